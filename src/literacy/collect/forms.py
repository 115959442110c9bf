"""The instrument exported to the field: XLSForm (ODK, KoboToolbox,
SurveyCTO), an SPSS template for firms that key data in SPSS, and a printable
paper form.

Names are chosen so that the platforms' exports come back through the ingest
adapters unchanged: one group per dimension named by the dimension id, the
respondent block in a group ``respondent``, item fields named by item id,
choice names equal to the instrument's codes (respondent choices use the
block's names, e.g. ``male``). XLSForm conventions follow xlsform.org and
../shared/reference/formats.md (``label::Chinese (zh)``, ``required``,
``constraint`` with ``.``).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from literacy.errors import LiteracyError
from literacy.instrument import MISSING_LABELS, Instrument, Item, RespondentField, load_instrument, respondent_block
from literacy.io.tables import atomic_write, check_can_write, write_text

FORM_FORMATS = ("xlsform", "sav-template", "html")
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
        from literacy.collect.exports import write_export

        columns = [f.id for f in respondent_block()] + instrument.item_ids
        write_export(
            pd.DataFrame(columns=columns), instrument, path, "spss", lang="en" if lang == "en" else "zh", force=force
        )
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
