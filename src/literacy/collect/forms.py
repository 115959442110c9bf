"""The instrument exported to the field: XLSForm (ODK, KoboToolbox,
SurveyCTO), an SPSS template for firms that key data in SPSS, and a printable
paper form.

Names are chosen so that the platforms' exports come back through the ingest
adapters unchanged: one group per dimension named by the dimension id, the
respondent block in a group ``respondent``, item fields named by item id,
choice names equal to the instrument's codes (respondent choices use the
block's names, e.g. ``male``). Each item row carries ``literacy::key``,
``literacy::dimension``, ``literacy::points`` and ``literacy::type``, so that
``literacy questionnaire import`` reads the form back as the same instrument.
XLSForm conventions follow xlsform.org and ../shared/reference/formats.md
(``label::Chinese (zh)``, ``required``, ``constraint`` with ``.``).
"""

from __future__ import annotations

import html
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from literacy.collect.exports import _label_table
from literacy.errors import LiteracyError
from literacy.instrument import MISSING_LABELS, Instrument, Item, RespondentField, load_instrument, respondent_block
from literacy.io.tables import atomic_write, check_can_write, write_text
from literacy.report.xlsx import store_text_as_text
from literacy.vocabulary import FORM_FORMATS

LANGUAGES = {"zh": "Chinese (zh)", "en": "English (en)"}
RESPONDENT_GROUP = "respondent"
_METADATA = ("start", "end", "deviceid")


def export_form(
    questionnaire: Instrument | str, path: str | Path, form_format: str, *, lang: str = "both", force: bool = False
) -> None:
    """Write the instrument as ``form_format`` to ``path``."""
    instrument = load_instrument(questionnaire)
    if form_format not in FORM_FORMATS:
        raise LiteracyError(f"Form format {form_format!r} is unknown; use one of {', '.join(FORM_FORMATS)}.")
    if lang not in ("zh", "en", "both"):
        raise LiteracyError(f"Language {lang!r} is unknown; use zh, en or both.")
    path = Path(path)
    if form_format == "xlsform":
        sheets = xlsform(instrument, lang=lang)
        check_can_write([path], force=force)
        atomic_write(path, lambda handle: _write_workbook(sheets, handle), binary=True)
    elif form_format == "sav-template":
        check_can_write([path], force=force)
        write_sav_template(instrument, path, lang="en" if lang == "en" else "zh")
    else:
        write_text(path, paper_form(instrument, lang=lang), force=force)


# --------------------------------------------------------------------------
# XLSForm
# --------------------------------------------------------------------------


def _languages(lang: str) -> list[str]:
    return ["zh", "en"] if lang == "both" else [lang]


def _labels(text: Any, langs: list[str], column: str = "label") -> dict[str, str]:
    return {f"{column}::{LANGUAGES[code]}": text.get(code) for code in langs}


def choice_lists(instrument: Instrument) -> dict[str, str]:
    """Item id -> choice list name; items with the same options share a list."""
    names: dict[tuple, str] = {}
    lists = {}
    for item in instrument.items:
        signature = tuple((o.code, o.label.zh, o.label.en) for o in item.options)
        names.setdefault(signature, f"opts_{item.id}")
        lists[item.id] = names[signature]
    return lists


def xlsform(instrument: Instrument, *, lang: str = "both") -> dict[str, list[dict[str, Any]]]:
    """The XLSForm as sheets of row dicts (what pyxform's ``convert`` takes)."""
    langs = _languages(lang)
    survey: list[dict[str, Any]] = [{"type": name, "name": name} for name in _METADATA]
    choices: list[dict[str, Any]] = []
    survey.append({"type": "begin_group", "name": RESPONDENT_GROUP, **_labels(_text("受访者信息", "About you"), langs)})
    for field_ in respondent_block():
        survey.append(_field_row(field_, instrument, langs))
        if field_.options:
            choices += [{"list_name": field_.id, "name": c.name, **_labels(c.label, langs)} for c in field_.options]
    survey.append({"type": "end_group", "name": RESPONDENT_GROUP})

    lists = choice_lists(instrument)
    written: set[str] = set()
    for dimension in instrument.dimensions:
        survey.append({"type": "begin_group", "name": dimension.id, **_labels(dimension.label, langs)})
        for item in instrument.dimension_items(dimension.id):
            survey.append(_item_row(item, lists[item.id], instrument, langs))
            if lists[item.id] not in written:
                written.add(lists[item.id])
                choices += _item_choices(item, lists[item.id], instrument, langs)
        survey.append({"type": "end_group", "name": dimension.id})
    settings = [
        {
            "form_title": instrument.title.get(langs[0]),
            "form_id": instrument.id.replace("-", "_"),
            "version": instrument.version,
            "default_language": LANGUAGES[langs[0]],
        }
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


def _text(zh: str, en: str) -> Any:
    from literacy.instrument import Text

    return Text(zh, en)


def _field_row(field_: RespondentField, instrument: Instrument, langs: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"name": field_.id, "required": "yes", **_labels(field_.label, langs)}
    if field_.type == "select_one":
        row["type"] = f"select_one {field_.id}"
    elif field_.type == "integer":
        row["type"] = "integer"
    else:
        row["type"] = "text"
    if field_.id == "age":
        low, high = instrument.population.min_age, instrument.population.max_age
        row["constraint"] = f". >= {low} and . <= {high}"
        row.update(
            _labels(
                _text(f"年龄须在 {low}-{high} 岁之间", f"Age must be from {low} to {high}"), langs, "constraint_message"
            )
        )
    return row


def _item_row(item: Item, list_name: str, instrument: Instrument, langs: list[str]) -> dict[str, Any]:
    kind = "select_multiple" if item.type == "multiple_choice" else "select_one"
    row: dict[str, Any] = {
        "type": f"{kind} {list_name}",
        "name": item.id,
        "required": "yes",
        **_labels(item.text, langs),
        # Read back by ``literacy questionnaire import`` (pyxform ignores
        # columns it does not know, so the form still converts).
        "literacy::key": " ".join(str(code) for code in sorted(item.key)),
        "literacy::dimension": item.dimension,
        "literacy::points": f"{item.points:g}",
        "literacy::type": item.type,
    }
    if item.type == "multiple_choice":
        # Don't know / refused exclude every other option.
        codes = [str(c) for c in instrument.missing.answered_as_wrong]
        if codes:
            chosen = " or ".join(f"selected(., '{c}')" for c in codes)
            row["constraint"] = f"not(({chosen}) and count-selected(.) > 1)"
            row.update(
                _labels(
                    _text("“不知道”或“拒绝回答”不能与其他选项同选", "Don't know or refused stands alone"),
                    langs,
                    "constraint_message",
                )
            )
    return row


def _item_choices(item: Item, list_name: str, instrument: Instrument, langs: list[str]) -> list[dict[str, Any]]:
    rows = [{"list_name": list_name, "name": str(o.code), **_labels(o.label, langs)} for o in item.options]
    for kind in ("dont_know", "refused"):
        code = getattr(instrument.missing, kind)
        if code is not None:
            rows.append({"list_name": list_name, "name": str(code), **_labels(MISSING_LABELS[kind], langs)})
    return rows


def _write_workbook(sheets: dict[str, list[dict[str, Any]]], handle: Any) -> None:
    with pd.ExcelWriter(handle, engine="openpyxl") as writer:
        for name, rows in sheets.items():
            pd.DataFrame(rows).to_excel(writer, sheet_name=name, index=False)
            store_text_as_text(writer.sheets[name])


# --------------------------------------------------------------------------
# SPSS data-entry template
# --------------------------------------------------------------------------

# Ids and place names: 64 bytes hold 21 Chinese characters (3 bytes each in
# UTF-8), enough for 内蒙古自治区鄂尔多斯市伊金霍洛旗 and a village name.
TEXT_BYTES = 64
# Age and other whole numbers: three digits, so that a mistyped 102 can be
# keyed and then rejected by validation rather than refused by SPSS.
INTEGER_DIGITS = 3


@dataclass(frozen=True)
class SavVariable:
    """One variable of the template: its SPSS format (``A64``, ``F3.0``),
    labels, declared missing codes and level of measurement."""

    name: str
    label: str
    format: str
    value_labels: dict[float, str] = field(default_factory=dict)
    missing: list[float | str] = field(default_factory=list)
    measure: str = "nominal"

    @property
    def width(self) -> int:
        """Bytes of a string variable, 0 for a number."""
        return int(self.format[1:]) if self.format.startswith("A") else 0


def _digits(codes: list[int]) -> int:
    return max(len(str(abs(int(code)))) for code in codes)


def sav_variables(instrument: Instrument, *, lang: str = "zh") -> list[SavVariable]:
    """Every variable of the template, each wide enough for its longest
    allowed value: text for ids and places (:data:`TEXT_BYTES`), numbers for
    age and single-choice codes, and multiple-choice answers as the codes
    joined by spaces with room for every option at once."""
    missing = list(instrument.missing.all)[:3]  # SPSS declares at most three
    out = []
    for field_ in respondent_block():
        label = field_.label.get(lang)
        if field_.type == "select_one":
            codes = [c.code for c in field_.options]
            labels = {float(c.code): c.label.get(lang) for c in field_.options}
            out.append(SavVariable(field_.id, label, f"F{_digits(codes)}.0", labels))
        elif field_.type == "integer":
            bounds = [b for b in (field_.min, field_.max) if b is not None] or [0]
            digits = max(INTEGER_DIGITS, _digits(bounds))
            out.append(SavVariable(field_.id, label, f"F{digits}.0", measure="scale"))
        else:
            out.append(SavVariable(field_.id, label, f"A{TEXT_BYTES}"))
    for item in instrument.items:
        label = item.text.get(lang)
        if item.type == "multiple_choice":
            every = " ".join(str(code) for code in item.option_codes)
            width = max([len(every)] + [len(str(code)) for code in missing])
            out.append(SavVariable(item.id, label, f"A{width}", missing=[str(code) for code in missing]))
        else:
            labels = {float(code): text for code, text in _label_table(item, instrument, lang).items()}
            codes = list(item.option_codes) + missing
            out.append(SavVariable(item.id, label, f"F{_digits(codes)}.0", labels, [float(c) for c in missing]))
    return out


def write_sav_template(instrument: Instrument, path: Path, *, lang: str = "zh") -> None:
    """Write an empty SPSS file with :func:`sav_variables`.

    pyreadstat sizes a string variable by the longest value in the data (its
    ``variable_format`` cannot widen it), so an empty frame gives ``A1``
    strings that cannot hold a questionnaire number. The template is therefore
    written with one case of full-width placeholders, which
    :func:`_without_cases` then removes from the uncompressed file.
    """
    import pyreadstat

    variables = sav_variables(instrument, lang=lang)
    placeholder = pd.DataFrame(
        {
            v.name: pd.Series(["x" * v.width] if v.width else [float("nan")], dtype=object if v.width else float)
            for v in variables
        }
    )
    temporary = path.with_name(f".{path.name}.writing")
    try:
        pyreadstat.write_sav(
            placeholder,
            str(temporary),
            column_labels={v.name: v.label for v in variables},
            variable_value_labels={v.name: v.value_labels for v in variables if v.value_labels},
            missing_ranges={v.name: v.missing for v in variables if v.missing},
            variable_format={v.name: v.format for v in variables},
            variable_measure={v.name: v.measure for v in variables},
        )
        empty = _without_cases(temporary.read_bytes())
        atomic_write(path, lambda handle: handle.write(empty), binary=True)
    finally:
        temporary.unlink(missing_ok=True)


def _without_cases(sav: bytes) -> bytes:
    """An uncompressed SPSS system file with its cases removed: the case
    count in the header (offset 80) set to 0 and the data, ``cases x
    nominal case size x 8`` bytes after the dictionary's closing record
    (type 999), cut off. Layout as documented in PSPP's "System File Format"."""
    magic = sav[:4]
    layout, case_size, compression, _, cases = struct.unpack_from("<5i", sav, 64)
    data = cases * case_size * 8
    closing = len(sav) - data - 8
    if magic != b"$FL2" or layout not in (2, 3) or compression != 0 or closing < 176:
        raise LiteracyError("The SPSS template could not be written (unexpected file layout from pyreadstat).")
    if struct.unpack_from("<2i", sav, closing) != (999, 0):
        raise LiteracyError("The SPSS template could not be written (unexpected file layout from pyreadstat).")
    return sav[:80] + struct.pack("<i", 0) + sav[84 : len(sav) - data]


# --------------------------------------------------------------------------
# Paper form
# --------------------------------------------------------------------------


def paper_form(instrument: Instrument, *, lang: str = "zh") -> str:
    """A self-contained printable HTML form (no scripts, no network)."""
    langs = _languages(lang)

    def both(text: Any) -> str:
        return " / ".join(html.escape(text.get(code)) for code in langs)

    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{langs[0]}"><head><meta charset="utf-8">',
        f"<title>{both(instrument.title)}</title>",
        "<style>body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:52em;margin:2em auto;"
        "font-size:11pt}h1{font-size:15pt}h2{font-size:12.5pt;border-bottom:1px solid #444;margin-top:1.5em}"
        ".q{margin:.6em 0;page-break-inside:avoid}.opt{display:inline-block;margin-right:1.4em}"
        ".box{display:inline-block;width:.9em;height:.9em;border:1px solid #000;margin-right:.3em;vertical-align:-.1em}"
        ".line{display:inline-block;border-bottom:1px solid #000;min-width:12em}"
        "@media print{body{margin:0}}</style></head><body>",
        f"<h1>{both(instrument.title)}</h1>",
        f"<p>{instrument.id} {html.escape(instrument.version)}</p>",
        f"<h2>{both(_text('受访者信息', 'About you'))}</h2>",
    ]
    for field_ in respondent_block():
        if field_.options:
            options = "".join(
                f'<span class="opt"><span class="box"></span>{both(c.label)}</span>' for c in field_.options
            )
            parts.append(f'<div class="q"><b>{both(field_.label)}</b><br>{options}</div>')
        else:
            parts.append(f'<div class="q"><b>{both(field_.label)}</b> <span class="line"></span></div>')
    number = 0
    for dimension in instrument.dimensions:
        parts.append(f"<h2>{both(dimension.label)}</h2>")
        for item in instrument.dimension_items(dimension.id):
            number += 1
            hint = both(_text("（可多选）", "(tick all that apply)")) if item.type == "multiple_choice" else ""
            labels = [o.label for o in item.options] + [MISSING_LABELS["dont_know"]]
            options = "".join(f'<span class="opt"><span class="box"></span>{both(label)}</span>' for label in labels)
            parts.append(f'<div class="q" id="{item.id}"><b>{number}.</b> {both(item.text)} {hint}<br>{options}</div>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
