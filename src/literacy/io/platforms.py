"""Platform adapters: turn an export's layout into the instrument's columns and codes.

Every platform names columns and writes answers its own way (sources in
../shared/reference/formats.md):

* ``kobo``: KoboToolbox. Headers are XML names or labels, with group paths
  ``group/q``; a select_multiple is a summary column plus ``q/option`` 1/0
  columns; metadata ``_id`` ... ``_index``; an optional HXL tag row.
* ``odk``: ODK Central. Group paths joined by ``-``; choice names as values;
  ``SubmissionDate`` first, ``KEY`` ... ``FormVersion`` last.
* ``wjx``: 问卷星. Six leading columns (序号, 提交答卷时间, 所用时间, 来源,
  来源详情, 来自IP), headers ``N、题目``; answers as option text (multi-select
  joined by ``┋``) or as option numbers (multi-select split into
  ``第N题(选项)`` 0/1 columns); -2 not asked, -3 skipped.
* ``spss``: SPSS/Stata/SAS files; value labels translate the file's codes
  when they differ from the instrument's.
* ``generic``: any table whose columns are item ids or item texts.

Answers may be codes, option labels in Chinese or English (对/错/不知道,
True/False/Don't know) or choice names; all become the instrument's codes.
A value that matches nothing is left as it was, so that ``validate`` can
reject the row and say why (it is never silently blanked).

A user mapping file (YAML or CSV) names source columns and values for
anything else. The adapter is planned once from the header and first rows,
then applied chunk by chunk, so big files stream.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from literacy.datafiles import read_yaml
from literacy.errors import LiteracyError, spell
from literacy.instrument import MISSING_LABELS, Instrument, Item, RespondentField, respondent_block
from literacy.vocabulary import PLATFORMS

KOBO_METADATA = (
    "_id",
    "_uuid",
    "_submission_time",
    "_validation_status",
    "_notes",
    "_status",
    "_submitted_by",
    "__version__",
    "_tags",
    "_index",
)
ODK_METADATA = (
    "SubmissionDate",
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
)
WJX_METADATA = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP")
WJX_MULTI_SEPARATOR = "┋"
# 问卷星 writes -2 for a question the respondent was not shown (skip logic)
# and -3 for one left unanswered (reportgen treats both as missing).
WJX_NOT_ASKED, WJX_SKIPPED = -2, -3
DURATION_COLUMN = "duration_seconds"

_WJX_HEADER = re.compile(r"^\s*(\d+)\s*[、.．]\s*(.*?)\s*$")
_WJX_SPLIT = re.compile(r"^\s*第\s*(\d+)\s*题\s*[(（](.*)[)）]\s*$")
_EDGE_PUNCTUATION = "。．.？?：:！!；;，,\"'“”‘’ "
# Other ways people write the same answer (checked against option labels).
_SYNONYMS = {
    "对": ("正确", "√", "是", "true", "t", "correct", "right", "yes"),
    "错": ("错误", "×", "x", "否", "false", "f", "incorrect", "wrong", "no"),
    "true": ("t", "correct", "对", "正确"),
    "false": ("f", "incorrect", "错", "错误"),
    "不知道": ("不清楚", "不知", "don't know", "dont know", "do not know", "dk"),
    "don't know": ("dont know", "do not know", "dk", "不知道", "不清楚"),
    "拒绝回答": ("拒答", "refused", "refuse"),
    "refused": ("refuse", "拒答", "拒绝回答"),
    "农村": ("乡村",),  # urban_rural: 乡村 is the statistical yearbooks' word for rural
}


def normalise_text(value: object) -> str:
    """A header or label in a comparable form: NFKC (full-width to half-width),
    no spaces, no edge punctuation, case-folded."""
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text).strip(_EDGE_PUNCTUATION)
    return text.casefold()


def normalise_token(value: object) -> str | None:
    """One answer in a comparable form (``1.0`` -> ``1``); None for a blank."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    try:
        number = float(text)
        if number.is_integer():
            return str(int(number))
    except ValueError:
        pass
    return re.sub(r"\s+", " ", text).casefold()


# --------------------------------------------------------------------------
# User mapping files
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """``columns``: source column -> item or respondent field id.
    ``values``: target id (or ``*`` for every item) -> source value -> code."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_mapping(path: str | Path) -> ColumnMapping:
    """Read a mapping file: YAML ``{columns: {...}, values: {...}}`` or a CSV
    with columns ``source_column, target`` and optionally ``source_value, code``."""
    path = Path(path)
    if not path.is_file():
        raise LiteracyError(f"Mapping file {path} does not exist; check the path.")
    if path.suffix.lower() in (".yaml", ".yml"):
        raw = read_yaml(path, kind="mapping file") or {}
        if not isinstance(raw, dict) or not set(raw) <= {"columns", "values"}:
            raise LiteracyError(f"Mapping file {path} must hold `columns:` and/or `values:` sections.")
        columns = {str(k): str(v) for k, v in (raw.get("columns") or {}).items()}
        values = {
            str(target): {str(k): v for k, v in (mapping or {}).items()}
            for target, mapping in (raw.get("values") or {}).items()
        }
        return ColumnMapping(columns, values)
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    if not {"source_column", "target"} <= set(table.columns):
        raise LiteracyError(
            f"Mapping file {path} needs the columns source_column and target "
            "(and source_value, code to map answers); it has " + ", ".join(map(str, table.columns)) + "."
        )
    columns: dict[str, str] = {}
    values: dict[str, dict[str, Any]] = {}
    for row in table.itertuples(index=False):
        if row.source_column and row.target:
            columns[row.source_column] = row.target
        value = getattr(row, "source_value", "")
        if value != "" and row.target:
            values.setdefault(row.target, {})[value] = getattr(row, "code", "")
    return ColumnMapping(columns, values)


# --------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------


def detect_platform(columns: list[str], kind: str | None = None) -> str:
    """The platform whose layout the headers show; ``generic`` when unclear."""
    names = {str(c).strip() for c in columns}
    if {"序号", "提交答卷时间"} <= names or sum(bool(_WJX_HEADER.match(str(c))) for c in columns) >= 2:
        return "wjx"
    if {"_uuid", "_submission_time"} & names or {"_id", "_index"} <= names:
        return "kobo"
    if "SubmissionDate" in names and ("KEY" in names or "meta-instanceID" in names):
        return "odk"
    if kind in ("spss", "stata", "sas", "xport"):
        return "spss"
    return "generic"


# --------------------------------------------------------------------------
# The adapter
# --------------------------------------------------------------------------


@dataclass
class Adapter:
    """How one export maps onto the instrument, planned once, applied per chunk."""

    platform: str
    instrument: Instrument
    renames: dict[str, str]
    item_lookups: dict[str, dict[str, Any]]
    field_lookups: dict[str, dict[str, str]]
    label_codes: dict[str, dict[str, Any]]
    positional: set[str]
    multi_details: dict[str, list[tuple[str, str]]]
    consumed: list[str]
    columns: list[str]
    skip_rows: int = 0
    duration_from: tuple[str, str] | None = None
    boolean_labels: set[str] = field(default_factory=set)

    def describe(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "columns": dict(self.renames),
            "option_numbers": sorted(self.positional),
            "split_multiple": {k: [c for c, _ in v] for k, v in self.multi_details.items()},
            "skipped_header_rows": self.skip_rows,
        }

    def source_columns(self, targets: set[str]) -> list[str]:
        """The export's columns behind ``targets``, in file order."""
        wanted = {c for c, t in self.renames.items() if t in targets}
        if DURATION_COLUMN in targets and self.duration_from:
            wanted |= set(self.duration_from)
        wanted |= {c for c in targets if c not in self.renames.values()}  # unmapped names kept as they are
        # At least one column, so that the rows are still counted.
        return [c for c in self.columns if c in wanted] or self.columns[:1]

    def apply(self, frame: pd.DataFrame, *, first_chunk: bool = True) -> pd.DataFrame:
        attrs = frame.attrs
        # pandas deep-copies attrs into every column taken out of a frame: with
        # the file's labels in them that was 0.4 s a million rows (issue 15).
        frame = frame.copy(deep=False)
        frame.attrs = {}
        if self.skip_rows and first_chunk:
            # The tag row made every column text; give numbers back their type.
            frame = frame.iloc[self.skip_rows :].apply(_numbers_if_all)
        out: dict[str, Any] = {}
        targets = set(self.renames.values())
        for column in frame.columns:
            if column in self.consumed:
                continue
            target = self.renames.get(column, column)
            if column not in self.renames and column in targets:
                target = f"{column}_source"  # an unmapped column whose name a mapped one takes
            series = frame[column]
            if target in self.item_lookups:
                series = self._item(series, target, column)
            elif target in self.field_lookups:
                series = _translate(series, self.field_lookups[target], self.label_codes.get(column), str)
            elif target == "age":
                series = _numbers_kept(series)
            elif target == DURATION_COLUMN:
                series = parse_duration(series)
            out[target] = series.reset_index(drop=True)
        if self.duration_from and DURATION_COLUMN not in out:
            start, end = (pd.to_datetime(frame[c], errors="coerce", utc=True, format="ISO8601")
                          for c in self.duration_from)  # fmt: skip
            out[DURATION_COLUMN] = (end - start).dt.total_seconds().reset_index(drop=True)
        for item_id, details in self.multi_details.items():
            if item_id not in out and all(column in frame for column, _ in details):
                out[item_id] = _combine_details(frame, details)
        result = pd.DataFrame(out)
        item_order = [i for i in self.instrument.item_ids if i in result.columns]
        rest = [c for c in result.columns if c not in item_order]
        result = result[rest + item_order]
        result.attrs = {**attrs, "ingest": self.describe()}
        return result

    def _item(self, series: pd.Series, item_id: str, column: str) -> pd.Series:
        item = self.instrument.item(item_id)
        lookup = self.item_lookups[item_id]
        if item_id in self.positional:
            lookup = {**lookup, **_positional_lookup(item, self.instrument)}
        if item.type == "multiple_choice":
            return _translate_multiple(series, lookup, self.label_codes.get(column))
        return _translate(series, lookup, self.label_codes.get(column), int, booleans=item_id in self.boolean_labels)


def plan_adapter(
    sample: pd.DataFrame,
    instrument: Instrument,
    *,
    platform: str = "auto",
    mapping: ColumnMapping | None = None,
) -> Adapter:
    """Work out column and value mappings from the header and first rows."""
    if platform not in PLATFORMS:
        raise LiteracyError(f"Platform {platform!r} is unknown; use one of {', '.join(PLATFORMS)}.")
    columns = [str(c) for c in sample.columns]
    kind = sample.attrs.get("source", {}).get("format")
    if platform == "auto":
        platform = detect_platform(columns, kind)
    mapping = mapping or ColumnMapping()
    labels = sample.attrs.get("labels", {})
    skip_rows = 1 if platform == "kobo" and _is_hxl_row(sample) else 0
    targets = _targets(instrument)
    renames: dict[str, str] = {}
    wjx_numbers: dict[int, str] = {}
    split_columns: list[tuple[str, int | None, str]] = []  # column, wjx question number or None, option text

    for column in columns:
        if column in mapping.columns:
            target = mapping.columns[column]
            if target not in targets["ids"]:
                raise LiteracyError(
                    f"The mapping sends column {column!r} to {target!r}, which is neither an item of "
                    f"{instrument.id} nor a respondent field; check the spelling."
                )
            renames[column] = target
            continue
        split = _WJX_SPLIT.match(column) if platform == "wjx" else None
        if split:
            split_columns.append((column, int(split.group(1)), split.group(2)))
            continue
        target = None
        for candidate in _header_candidates(column, platform, labels.get("variables", {}).get(column)):
            target = targets["exact"].get(normalise_text(candidate))
            if target:
                break
        if target is None and platform in ("kobo", "odk") and "/" in column:
            split_columns.append((column, None, ""))  # ``question/option``: split in _plan_details
            continue
        if target:
            renames[column] = target
            number = _WJX_HEADER.match(column)
            if number:
                wjx_numbers[int(number.group(1))] = target

    # Aliases only fill targets nothing else matched (``_id`` or 序号 as the
    # respondent id when the form has no id question).
    taken = set(renames.values())
    for column in columns:
        if column in renames:
            continue
        alias = targets["aliases"].get(normalise_text(column))
        if alias and alias not in taken:
            renames[column] = alias
            taken.add(alias)
    if platform == "wjx" and "所用时间" in columns and DURATION_COLUMN not in taken:
        renames["所用时间"] = DURATION_COLUMN
    _reject_duplicate_targets(renames)

    multi_details, consumed = _plan_details(
        split_columns, renames, wjx_numbers, instrument, mapping, platform, targets["exact"]
    )
    item_lookups = {item.id: _item_lookup(item, instrument, mapping) for item in instrument.items}
    if platform == "wjx":
        for lookup in item_lookups.values():
            lookup.setdefault(str(WJX_NOT_ASKED), instrument.missing.not_asked)
            lookup.setdefault(str(WJX_SKIPPED), None)
    field_lookups = {f.id: _field_lookup(f, mapping) for f in respondent_block() if f.type == "select_one"}
    label_codes = _file_label_codes(labels.get("values", {}), renames, item_lookups, field_lookups)
    positional: set[str] = set()
    if platform == "wjx":
        body = sample.iloc[skip_rows:]
        for column, target in renames.items():
            if target in item_lookups and _all_numeric(body[column]):
                positional.add(target)
        for field_ in respondent_block():
            column = next((c for c, t in renames.items() if t == field_.id), None)
            if column and field_.options and _all_numeric(body[column]):
                field_lookups[field_.id] = {
                    **field_lookups[field_.id],
                    **{str(position): choice.name for position, choice in enumerate(field_.options, start=1)},
                }
    duration_from = None
    if platform in ("kobo", "odk") and {"start", "end"} <= set(columns) and DURATION_COLUMN not in taken:
        duration_from = ("start", "end")  # the XLSForm start/end metadata
    return Adapter(
        platform,
        instrument,
        renames,
        item_lookups,
        field_lookups,
        label_codes,
        positional,
        multi_details,
        consumed,
        columns,
        skip_rows,
        duration_from,
        {item.id for item in instrument.items if _has_boolean_labels(item)},
    )


def adapt(
    frame: pd.DataFrame,
    instrument: Instrument,
    *,
    platform: str = "auto",
    mapping: ColumnMapping | None = None,
) -> pd.DataFrame:
    """Map a whole export onto the instrument (see :func:`plan_adapter`)."""
    return plan_adapter(frame, instrument, platform=platform, mapping=mapping).apply(frame)


def wjx_option_codes(item: Item, instrument: Instrument) -> list[int]:
    """The codes behind 问卷星 option numbers 1, 2, ...: the item's options in
    order, then "don't know" (the layout ``literacy simulate`` and the export
    use for online panels)."""
    codes = list(item.option_codes)
    if instrument.missing.dont_know is not None:
        codes.append(instrument.missing.dont_know)
    return codes


def parse_duration(series: pd.Series) -> pd.Series:
    """Completion time in seconds from numbers or text such as ``120秒``,
    ``2分30秒`` or ``00:02:30``; unreadable cells become empty."""
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype(float)
    return pd.Series(map_distinct(series, _seconds).astype(float), index=series.index)


def map_distinct(series: pd.Series, function: Any) -> np.ndarray:
    """``function`` applied once per distinct value (and once to a blank,
    ``None``) and spread back to every row: exports have many rows but few
    distinct answers."""
    positions, uniques = pd.factorize(series, use_na_sentinel=True)
    return np.array([function(value) for value in uniques] + [function(None)], dtype=object)[positions]


# --------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------


def _targets(instrument: Instrument) -> dict[str, dict[str, str] | set[str]]:
    exact: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for item in instrument.items:
        for name in (item.text.zh, item.text.en, item.id):
            exact[normalise_text(name)] = item.id
    for field_ in respondent_block():
        for name in (field_.label.zh, field_.label.en, field_.id):
            exact.setdefault(normalise_text(name), field_.id)
        for alias in field_.aliases:
            aliases[normalise_text(alias)] = field_.id
    exact.setdefault(normalise_text(DURATION_COLUMN), DURATION_COLUMN)
    ids = set(instrument.item_ids) | {f.id for f in respondent_block()} | {DURATION_COLUMN}
    return {"exact": exact, "aliases": aliases, "ids": ids}


def _header_candidates(column: str, platform: str, variable_label: str | None) -> list[str]:
    """Spellings of a header to look up, longest first. A Kobo header is a
    path ``group/…/question`` whose labels may hold a ``/`` themselves
    (``碟仙/笔仙``), so every tail after a ``/`` is tried, the whole header
    first: a known label is matched whole before the path is split."""
    candidates = [column]
    if platform in ("kobo", "generic"):
        parts = column.split("/")
        candidates += ["/".join(parts[i:]) for i in range(1, len(parts))]
    if platform in ("odk", "generic"):
        parts = column.split("-")
        candidates += ["-".join(parts[i:]) for i in range(1, len(parts))]
    if platform in ("wjx", "generic"):
        match = _WJX_HEADER.match(column)
        if match:
            candidates.append(match.group(2))
    if variable_label:
        candidates.append(variable_label)
    return candidates


def _reject_duplicate_targets(renames: dict[str, str]) -> None:
    seen: dict[str, str] = {}
    for column, target in renames.items():
        if target in seen:
            raise LiteracyError(
                f"Columns {seen[target]!r} and {column!r} both map to {target!r}; keep one, or name the right one "
                f"in a mapping file ({spell('--mapping', 'mapping=')})."
            )
        seen[target] = column


def _plan_details(
    split_columns: list[tuple[str, int | None, str]],
    renames: dict[str, str],
    wjx_numbers: dict[int, str],
    instrument: Instrument,
    mapping: ColumnMapping,
    platform: str,
    known: dict[str, str],
) -> tuple[dict[str, list[tuple[str, str]]], list[str]]:
    """Group ``q/option`` (Kobo, ODK) and ``第N题(选项)`` (问卷星) 0/1 columns by item."""
    order = {item_id: position for position, item_id in enumerate(instrument.item_ids)}
    offsets = [number - order[target] for number, target in wjx_numbers.items() if target in order]
    offset = max(set(offsets), key=offsets.count) if offsets else None
    lookups = {
        item.id: _item_lookup(item, instrument, mapping) for item in instrument.items if item.type == "multiple_choice"
    }
    details: dict[str, list[tuple[str, str]]] = {}
    consumed: list[str] = []
    for column, number, option in split_columns:
        found: tuple[str, Any] | None = None
        if number is not None:
            item_id = wjx_numbers.get(number)
            if item_id is None and offset is not None and 0 <= number - offset < len(instrument.items):
                item_id = instrument.item_ids[number - offset]
            code = lookups[item_id].get(normalise_token(option) or "") if item_id in lookups else None
            found = (item_id, code) if item_id is not None and code is not None else None
        else:
            found = _split_detail(column, platform, renames, known, lookups)
        if found is None:
            continue
        consumed.append(column)
        details.setdefault(found[0], []).append((column, str(found[1])))
    # A summary column present: the 0/1 columns only repeat it.
    summary = set(renames.values())
    return {k: v for k, v in details.items() if k not in summary}, consumed


def _split_detail(
    column: str,
    platform: str,
    renames: dict[str, str],
    known: dict[str, str],
    lookups: dict[str, dict[str, Any]],
) -> tuple[str, Any] | None:
    """The multi-select item and option code behind a ``question/option``
    header (Kobo, ODK), or None.

    Question and option may be XML names or labels in any of the
    instrument's languages, and labels may hold ``/``: every split point is
    tried, the longest question first, and a split counts only when the
    question is a known multi-select item (by id, label or the header of a
    column already mapped to it) and the option one of its known answers."""
    parts = column.split("/")
    for cut in range(len(parts) - 1, 0, -1):
        prefix, option = "/".join(parts[:cut]), "/".join(parts[cut:])
        item_id = next((t for c, t in renames.items() if c == prefix and t in lookups), None)
        if item_id is None:
            item_id = next(
                (known.get(normalise_text(c)) for c in _header_candidates(prefix, platform, None)
                 if known.get(normalise_text(c))),
                None,
            )  # fmt: skip
        if item_id not in lookups:
            continue
        code = lookups[item_id].get(normalise_token(option) or "")
        if code is not None:
            return item_id, code
    return None


def _has_boolean_labels(item: Item) -> bool:
    """True when an option of ``item`` is labelled True or False (any case,
    either language): then a column pandas read as booleans holds exactly
    those labels (see :func:`_translate`)."""
    return any(normalise_token(text) in ("true", "false") for o in item.options for text in (o.label.zh, o.label.en))


def _item_lookup(item: Item, instrument: Instrument, mapping: ColumnMapping) -> dict[str, Any]:
    """Every accepted spelling of an answer -> the instrument's code."""
    lookup: dict[str, Any] = {}
    labelled = [(o.code, o.label) for o in item.options]
    for kind, label in MISSING_LABELS.items():
        code = getattr(instrument.missing, kind)
        if code is not None:
            labelled.append((code, label))
    for code, _ in labelled:
        lookup[str(code)] = code
    for code, label in labelled:
        for text in (label.zh, label.en):
            token = normalise_token(text)
            assert token is not None
            lookup.setdefault(token, code)
            for synonym in _SYNONYMS.get(token, ()):
                lookup.setdefault(synonym, code)
    for source, code in {**mapping.values.get("*", {}), **mapping.values.get(item.id, {})}.items():
        token = normalise_token(source)
        if token is not None:
            lookup[token] = _mapped_code(code, item.id)
    return lookup


def _mapped_code(code: Any, target: str) -> Any:
    token = normalise_token(code)
    if token is None:
        return None
    try:
        return int(token)
    except ValueError:
        raise LiteracyError(f"The mapping gives {code!r} as a code for {target}; codes are whole numbers.") from None


def _field_lookup(field_: RespondentField, mapping: ColumnMapping) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for choice in field_.options:
        for spelling in (choice.name, str(choice.code), choice.label.zh, choice.label.en):
            lookup[normalise_token(spelling) or ""] = choice.name
        for synonym in _SYNONYMS.get(normalise_token(choice.label.zh) or "", ()):
            lookup.setdefault(synonym, choice.name)
    for source, name in mapping.values.get(field_.id, {}).items():
        lookup[normalise_token(source) or ""] = str(name)
    return lookup


def _file_label_codes(
    value_labels: dict[str, dict[Any, str]],
    renames: dict[str, str],
    item_lookups: dict[str, dict[str, Any]],
    field_lookups: dict[str, dict[str, str]],
) -> dict[str, dict[str, Any]]:
    """A file's own codes translated through its value labels (an SPSS file
    coding 对 as 1 and 错 as 0 still scores right)."""
    translations: dict[str, dict[str, Any]] = {}
    for column, labels in value_labels.items():
        target = renames.get(column, column)
        lookup = item_lookups.get(target) or field_lookups.get(target)
        if not lookup:
            continue
        table = {}
        for code, label in labels.items():
            mapped = lookup.get(normalise_token(label) or "")
            if mapped is not None:
                table[normalise_token(code) or ""] = mapped
        if table:
            translations[column] = table
    return translations


def _positional_lookup(item: Item, instrument: Instrument) -> dict[str, Any]:
    lookup: dict[str, Any] = {
        str(position): code for position, code in enumerate(wjx_option_codes(item, instrument), start=1)
    }
    lookup[str(WJX_NOT_ASKED)] = instrument.missing.not_asked
    lookup[str(WJX_SKIPPED)] = None
    return lookup


def _translate(
    series: pd.Series,
    lookup: dict[str, Any],
    file_codes: dict[str, Any] | None,
    kind: type,
    *,
    booleans: bool = False,
) -> pd.Series:
    """Map each distinct value once; values that match nothing stay as they were.

    With ``booleans`` (the item has options labelled True/False), a boolean
    cell is looked up by its text, ``true`` or ``false``. This is lossless:
    pandas (read_csv, calamine) makes a cell a boolean only when its text was
    True/TRUE/true or False/FALSE/false, so the boolean says exactly which
    label was written, and labels are matched case-insensitively anyway. A
    boolean as a number (True == 1) would turn False into 0, an invalid code.
    """
    positions, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped: list[Any] = []
    unmatched: list[Any] = []
    all_found = True
    for value in uniques:
        if booleans and isinstance(value, (bool, np.bool_)):
            token: str | None = "true" if value else "false"
        else:
            token = normalise_token(value)
        if token is None:
            mapped.append(None)
            continue
        if file_codes and token in file_codes:
            mapped.append(file_codes[token])
        elif token in lookup:
            mapped.append(lookup[token])
        else:
            mapped.append(value)
            unmatched.append(value)
            all_found = False
    if kind is int and all_found:
        # Build the integer column from the few distinct values, not cell by cell.
        codes = np.array([0 if m is None else int(m) for m in mapped] + [0], dtype=np.int64)[positions]
        blank = np.array([m is None for m in mapped] + [True])[positions]
        return pd.Series(pd.arrays.IntegerArray(codes, blank))
    if kind is int:
        numeric = _numeric_codes(mapped, unmatched, positions)
        if numeric is not None:
            return numeric
    if kind is str and all_found:
        # The few distinct values as text, then taken row by row (not a
        # million Python strings converted one by one; issue 15).
        return pd.Series(pd.array(mapped, dtype="string").take(positions, allow_fill=True))
    values = np.array([*mapped, None], dtype=object)[positions]
    return pd.Series(values, dtype=object)


def _numeric_codes(mapped: list[Any], unmatched: list[Any], positions: np.ndarray) -> pd.Series | None:
    """An item column holding codes that match nothing (validation rejects
    them) as numbers when they are numbers: Int64 when every value is a
    whole number of integer type, Float64 when the unmatched ones are all
    floats (as read_csv gives a column with blanks). Each value prints as it
    did as a Python object (``99``, ``6.0``), and the column stays numeric for
    validation, scoring and writing, instead of a million Python objects each
    step converts again (issue 15). Otherwise None: the values stay objects."""
    present = [m for m in mapped if m is not None]
    whole = [m for m in present if _is_integer(m)]
    blank = np.array([m is None for m in mapped] + [True])[positions]
    if len(whole) == len(present) and all(-(2**63) <= int(m) < 2**63 for m in whole):
        codes = np.array([0 if m is None else int(m) for m in mapped] + [0], dtype=np.int64)[positions]
        return pd.Series(pd.arrays.IntegerArray(codes, blank))
    floats = [v for v in unmatched if isinstance(v, (float, np.floating))]
    if len(floats) == len(unmatched) and len(whole) + len(floats) == len(present):
        values = np.array([np.nan if m is None else float(m) for m in mapped] + [np.nan], dtype=float)[positions]
        return pd.Series(pd.arrays.FloatingArray(values, blank))
    return None


def _is_integer(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _translate_multiple(series: pd.Series, lookup: dict[str, Any], file_codes: dict[str, Any] | None) -> pd.Series:
    """A multi-select cell -> space-joined codes ("1 3"); cells with any
    unknown part stay as they were."""
    labels_longest_first = sorted((k for k in lookup if not k.lstrip("-").isdigit()), key=len, reverse=True)

    def one(value: Any) -> Any:
        token = normalise_token(value)
        if token is None:
            return None
        if file_codes and token in file_codes:
            return str(file_codes[token])
        if token in lookup and not isinstance(lookup[token], int):  # a blank or not-asked marker
            return None if lookup[token] is None else str(lookup[token])
        parts = [p for p in re.split(rf"[{WJX_MULTI_SEPARATOR}|,;，；]|\s+", str(value)) if p.strip()]
        codes = [lookup.get(normalise_token(p) or "") for p in parts]
        if any(c is None for c in codes):
            codes = _labels_in(token, labels_longest_first, lookup)
        return " ".join(str(c) for c in sorted(set(codes))) if codes else value

    return pd.Series(map_distinct(series, one), dtype=object)


def _labels_in(text: str, labels: list[str], lookup: dict[str, Any]) -> list[Any]:
    """Kobo joins multi-select labels with spaces, and labels hold spaces:
    find whole labels in the cell, longest first."""
    found = []
    rest = text
    for label in labels:
        if label and label in rest:
            found.append(lookup[label])
            rest = rest.replace(label, " ")
    return found if not rest.strip() else []


def _combine_details(frame: pd.DataFrame, details: list[tuple[str, str]]) -> pd.Series:
    """0/1 option columns -> one space-joined code cell per row; blank when
    every option column is blank (the question was not answered)."""
    chosen = np.zeros((len(frame), len(details)), dtype=bool)
    answered = np.zeros(len(frame), dtype=bool)
    for position, (column, _) in enumerate(details):
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        chosen[:, position] = values == 1
        answered |= ~np.isnan(values) & (values >= 0)
    codes = [code for _, code in details]
    order = np.argsort([int(c) for c in codes])
    chosen = chosen[:, order]
    codes = [codes[i] for i in order]
    # Distinct patterns are few; build each text once.
    weights = 1 << np.arange(len(codes), dtype=np.int64)
    pattern = chosen.astype(np.int64) @ weights
    texts = {p: " ".join(c for bit, c in enumerate(codes) if p >> bit & 1) for p in np.unique(pattern)}
    values = np.array([texts[p] for p in pattern], dtype=object)
    values[~answered] = None
    values[answered & (pattern == 0)] = ""
    return pd.Series(values, dtype=object)


def _numbers_kept(series: pd.Series) -> pd.Series:
    """Numbers as numbers; text that is not a number stays, for validate to reject."""
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().sum() == series.notna().sum():
        return numbers
    return series.astype(object).where(numbers.isna(), numbers.astype(object))


def _numbers_if_all(series: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce")
    return numbers if numbers.notna().sum() == series.notna().sum() else series


def _all_numeric(series: pd.Series) -> bool:
    present = series.dropna()
    if present.empty:
        return False
    return bool(pd.to_numeric(present.astype(str).str.strip(), errors="coerce").notna().all())


def _is_hxl_row(sample: pd.DataFrame) -> bool:
    if sample.empty:
        return False
    cells = [str(v).strip() for v in sample.iloc[0].tolist() if v is not None and str(v).strip() not in ("", "nan")]
    return bool(cells) and all(cell.startswith("#") for cell in cells)


def _seconds(value: object) -> float:
    if value is None:
        return np.nan
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return np.nan
    try:
        return float(text)
    except ValueError:
        pass
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}", text):
        total = 0.0
        for part in text.split(":"):
            total = total * 60 + float(part)
        return total
    match = re.fullmatch(
        r"(?:(\d+)\s*(?:小时|时|h))?\s*(?:(\d+)\s*(?:分钟|分|min|m))?\s*(?:(\d+(?:\.\d+)?)\s*(?:秒|s))?",
        text,
        flags=re.IGNORECASE,
    )
    if match and any(match.groups()):
        hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    return np.nan
