"""Responses written in the layout each platform exports (the reverse of
``literacy.io.platforms``), with the platform's own writer.

Used by ``literacy simulate`` to produce realistic exports and by the tests to
make fixtures. The layouts follow the sources in
../shared/reference/formats.md: KoboToolbox (formpack: ``;``, every field
quoted, ``group/q`` headers, select_multiple summary plus ``q/option`` 1/0
columns, ``_id`` ... ``_index``), ODK Central (``-`` group paths,
``SubmissionDate`` first, ``KEY`` ... ``FormVersion`` last), 问卷星 (six
leading columns, ``N、题目`` headers, option text with ``┋`` or option numbers
with ``第N题(选项)`` columns; -2 not asked, -3 skipped) and SPSS (pyreadstat,
value labels, missing codes declared).

Input: a table with item columns as codes (multiple choice space-joined) and
respondent fields as the block's choice names (``male``, ``urban``, ...).
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError
from literacy.instrument import MISSING_LABELS, Instrument, Item, RespondentField, load_instrument, respondent_block
from literacy.io.platforms import (
    KOBO_METADATA,
    ODK_METADATA,
    WJX_METADATA,
    WJX_NOT_ASKED,
    WJX_SKIPPED,
    map_distinct,
    wjx_option_codes,
)
from literacy.io.tables import atomic_write, check_can_write, write_table
from literacy.vocabulary import EXPORT_LAYOUTS

_EXTENSIONS = {
    "csv": ".csv",
    "kobo": ".csv",
    "kobo-labels": ".csv",
    "odk": ".csv",
    "wjx": ".xlsx",
    "wjx-numeric": ".xlsx",
    "spss": ".sav",
}


def default_extension(layout: str) -> str:
    return _EXTENSIONS[layout]


def export_layout(
    responses: pd.DataFrame, questionnaire: Instrument | str, layout: str, *, lang: str = "zh", seed: int = 0
) -> pd.DataFrame:
    """The table as ``layout`` would export it (not yet written)."""
    instrument = load_instrument(questionnaire)
    if layout not in EXPORT_LAYOUTS:
        raise LiteracyError(f"Export layout {layout!r} is unknown; use one of {', '.join(EXPORT_LAYOUTS)}.")
    frame = responses.reset_index(drop=True)
    fields = [f for f in respondent_block() if f.id in frame.columns]
    if layout == "csv":
        return frame.copy()
    if layout in ("kobo", "kobo-labels"):
        return _kobo(frame, instrument, fields, labels=layout == "kobo-labels", lang=lang, seed=seed)
    if layout == "odk":
        return _odk(frame, instrument, fields, seed=seed)
    if layout in ("wjx", "wjx-numeric"):
        return _wjx(frame, instrument, fields, numeric=layout == "wjx-numeric")
    return frame.copy()  # spss: written with labels by write_export


def write_export(
    responses: pd.DataFrame,
    questionnaire: Instrument | str,
    path: str | Path,
    layout: str,
    *,
    lang: str = "zh",
    seed: int = 0,
    force: bool = False,
) -> None:
    """Write ``responses`` as the platform's export file."""
    instrument = load_instrument(questionnaire)
    path = Path(path)
    table = export_layout(responses, instrument, layout, lang=lang, seed=seed)
    if layout == "spss":
        _write_sav(table, instrument, path, lang=lang, force=force)
    elif layout in ("wjx", "wjx-numeric") and path.suffix.lower() in (".xlsx", ".xls"):
        check_can_write([path], force=force)
        if path.suffix.lower() == ".xls":
            atomic_write(path, lambda handle: _write_xls(table, handle), binary=True)
        else:
            atomic_write(path, lambda handle: table.to_excel(handle, index=False, engine="openpyxl"), binary=True)
    elif layout in ("kobo", "kobo-labels"):
        check_can_write([path], force=force)
        atomic_write(
            path,
            lambda handle: table.to_csv(handle, sep=";", quoting=csv.QUOTE_ALL, index=False, lineterminator="\n"),
            encoding="utf-8",
        )
    elif layout == "odk":
        check_can_write([path], force=force)
        atomic_write(path, lambda handle: table.to_csv(handle, index=False, lineterminator="\n"), encoding="utf-8")
    else:
        write_table(table.copy(), path, force=force)


# --------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------


def _timestamps(frame: pd.DataFrame, seed: int) -> tuple[pd.Series, pd.Series]:
    """Interview start and end times (end - start = duration_seconds)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-09-01T08:00:00") + pd.to_timedelta(rng.integers(0, 30 * 86400, len(frame)), unit="s")
    seconds = frame["duration_seconds"] if "duration_seconds" in frame else pd.Series(np.full(len(frame), 900.0))
    end = start + pd.to_timedelta(seconds.fillna(900).to_numpy(), unit="s")
    return pd.Series(start), pd.Series(end)


def _kobo(
    frame: pd.DataFrame, instrument: Instrument, fields: list[RespondentField], *, labels: bool, lang: str, seed: int
) -> pd.DataFrame:
    start, end = _timestamps(frame, seed)
    out: dict[str, Any] = {
        "start": start.dt.strftime("%Y-%m-%dT%H:%M:%S.000+08:00"),
        "end": end.dt.strftime("%Y-%m-%dT%H:%M:%S.000+08:00"),
    }
    for field_ in fields:
        header = field_.label.get(lang) if labels else f"respondent/{field_.id}"
        out[header] = _field_values(frame[field_.id], field_, lang if labels else None)
    for item in instrument.items:
        header = item.text.get(lang) if labels else f"{item.dimension}/{item.id}"
        values = frame[item.id]
        if labels:
            out[header] = _labelled(values, item, instrument, lang, joiner=" ")
        else:
            out[header] = _as_text(values)
        if item.type == "multiple_choice":
            for option in item.options:
                name = option.label.get(lang) if labels else str(option.code)
                out[f"{header}/{name}"] = _chosen(values, option.code)
    n = len(frame)
    rng = np.random.default_rng(seed + 1)
    tail = {
        "_id": np.arange(100001, 100001 + n),
        "_uuid": [str(uuid.UUID(int=int(v))) for v in rng.integers(0, 2**63, n)],
        "_submission_time": end.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "_validation_status": "",
        "_notes": "",
        "_status": "submitted_via_web",
        "_submitted_by": "",
        "_tags": "",
        "_index": np.arange(1, n + 1),
    }
    assert tuple(tail) == tuple(c for c in KOBO_METADATA if c != "__version__")  # one version only
    out.update(tail)
    return pd.DataFrame(out)


def _odk(frame: pd.DataFrame, instrument: Instrument, fields: list[RespondentField], *, seed: int) -> pd.DataFrame:
    start, end = _timestamps(frame, seed)
    n = len(frame)
    out: dict[str, Any] = {
        "SubmissionDate": (end + pd.Timedelta(minutes=5)).dt.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "start": start.dt.strftime("%Y-%m-%dT%H:%M:%S.000+08:00"),
        "end": end.dt.strftime("%Y-%m-%dT%H:%M:%S.000+08:00"),
    }
    for field_ in fields:
        out[f"respondent-{field_.id}"] = _field_values(frame[field_.id], field_, None)
    for item in instrument.items:
        out[f"{item.dimension}-{item.id}"] = _as_text(frame[item.id])
    rng = np.random.default_rng(seed + 2)
    keys = [f"uuid:{uuid.UUID(int=int(v))}" for v in rng.integers(0, 2**63, n)]
    out["meta-instanceID"] = keys
    tail = {
        "KEY": keys,
        "SubmitterID": 5,
        "SubmitterName": "enumerator",
        "AttachmentsPresent": 0,
        "AttachmentsExpected": 0,
        "Status": "",
        "ReviewState": "",
        "DeviceID": "collect:demo",
        "Edits": 0,
        "FormVersion": instrument.version,
    }
    assert tuple(tail) == ODK_METADATA[1:]
    out.update(tail)
    return pd.DataFrame(out)


def _wjx(frame: pd.DataFrame, instrument: Instrument, fields: list[RespondentField], *, numeric: bool) -> pd.DataFrame:
    """问卷星: the respondent questions first, then the items, numbered 1, 2, ..."""
    _, end = _timestamps(frame, 0)
    n = len(frame)
    seconds = frame["duration_seconds"] if "duration_seconds" in frame else pd.Series(np.full(n, 900.0))
    meta = {
        "序号": np.arange(1, n + 1),
        "提交答卷时间": end.dt.strftime("%Y/%m/%d %H:%M:%S"),
        "所用时间": seconds.round().astype("Int64").astype(str) + "秒",
        "来源": "手机提交",
        "来源详情": "直接访问",
        "来自IP": "127.0.0.1(本地)",
    }
    assert tuple(meta) == WJX_METADATA
    out: dict[str, Any] = dict(meta)
    number = 0
    for field_ in fields:  # the questionnaire number is asked too (问卷编号), so repeats can be found
        number += 1
        header = f"{number}、{field_.label.zh}"
        if field_.type == "select_one" and numeric:
            positions = {choice.name: position for position, choice in enumerate(field_.options, start=1)}
            out[header] = frame[field_.id].map(positions).astype("Int64")
        else:
            out[header] = _field_values(frame[field_.id], field_, "zh")
    for item in instrument.items:
        number += 1
        values = frame[item.id]
        if item.type == "multiple_choice" and numeric:
            for option in item.options:
                out[f"第{number}题({option.label.zh})"] = _chosen(values, option.code, blank=WJX_SKIPPED)
        elif numeric:
            out[f"{number}、{item.text.zh}"] = _positions(values, item, instrument)
        else:
            out[f"{number}、{item.text.zh}"] = _labelled(values, item, instrument, "zh", joiner="┋", wjx=True)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


def _code_text(value: Any) -> str:
    """A code as the choice name the XLSForm export gives it ("1", "1 3"); "" for a blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _as_text(values: pd.Series) -> pd.Series:
    return pd.Series(map_distinct(values, _code_text), index=values.index)


def _field_values(values: pd.Series, field_: RespondentField, lang: str | None) -> pd.Series:
    if field_.type != "select_one" or lang is None:
        return values
    labels = {choice.name: choice.label.get(lang) for choice in field_.options}
    return values.map(lambda v: labels.get(v, v))


def _label_table(item: Item, instrument: Instrument, lang: str) -> dict[int, str]:
    table = {option.code: option.label.get(lang) for option in item.options}
    for kind, label in MISSING_LABELS.items():
        code = getattr(instrument.missing, kind)
        if code is not None:
            table[code] = label.get(lang)
    return table


def _labelled(
    values: pd.Series, item: Item, instrument: Instrument, lang: str, *, joiner: str, wjx: bool = False
) -> pd.Series:
    table = _label_table(item, instrument, lang)

    def show(value: Any) -> Any:
        text = _code_text(value)
        if not text:
            return WJX_SKIPPED if wjx else ""
        codes = [int(float(part)) for part in text.split()]
        if wjx and codes == [instrument.missing.not_asked]:
            return WJX_NOT_ASKED
        return joiner.join(table.get(code, str(code)) for code in codes)

    return pd.Series(map_distinct(values, show))


def _positions(values: pd.Series, item: Item, instrument: Instrument) -> pd.Series:
    order = {code: position for position, code in enumerate(wjx_option_codes(item, instrument), start=1)}
    order[instrument.missing.not_asked] = WJX_NOT_ASKED
    codes = pd.to_numeric(values, errors="coerce")
    return codes.map(lambda c: WJX_SKIPPED if pd.isna(c) else order.get(int(c), int(c))).astype("Int64")


def _chosen(values: pd.Series, code: int, *, blank: Any = "") -> pd.Series:
    text = _as_text(values)
    return text.map(lambda t: blank if not t else int(str(code) in t.split()))


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------


def _write_sav(frame: pd.DataFrame, instrument: Instrument, path: Path, *, lang: str, force: bool) -> None:
    import pyreadstat

    check_can_write([path], force=force)
    data = frame.copy()
    column_labels: dict[str, str] = {}
    value_labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[float]] = {}
    for field_ in respondent_block():
        if field_.id not in data:
            continue
        column_labels[field_.id] = field_.label.get(lang)
        if field_.type == "select_one":
            codes = {choice.name: choice.code for choice in field_.options}
            data[field_.id] = data[field_.id].map(codes).astype(float)
            value_labels[field_.id] = {float(c.code): c.label.get(lang) for c in field_.options}
    for item in instrument.items:
        column_labels[item.id] = item.text.get(lang)
        if item.type == "multiple_choice":
            data[item.id] = _as_text(data[item.id])
            continue
        data[item.id] = pd.to_numeric(data[item.id], errors="coerce").astype(float)
        value_labels[item.id] = {float(k): v for k, v in _label_table(item, instrument, lang).items()}
        missing[item.id] = [float(c) for c in instrument.missing.all][:3]
    for column in data.columns:
        if data[column].dtype == object or str(data[column].dtype).startswith("string"):
            data[column] = data[column].astype(object).where(data[column].notna(), "").astype(str)
        elif str(data[column].dtype) in ("Int64", "Int8", "boolean"):
            data[column] = data[column].astype(float)
    compress = path.suffix.lower() == ".zsav"
    # pyreadstat writes to a path: write beside the target, then rename (atomic).
    temporary = path.with_name(f".{path.name}.writing")
    try:
        pyreadstat.write_sav(
            data,
            str(temporary),
            column_labels=column_labels,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            compress=compress,
        )
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_xls(frame: pd.DataFrame, handle: Any) -> None:
    """Legacy .xls as 问卷星 exports it (BIFF, code page 936), through xlwt."""
    try:
        import xlwt
    except ImportError:
        raise LiteracyError("Writing legacy .xls needs the xlwt package (pip install xlwt); or write .xlsx.") from None

    book = xlwt.Workbook(encoding="gbk")
    sheet = book.add_sheet("Sheet1")
    for column, name in enumerate(frame.columns):
        sheet.write(0, column, str(name))
    values = frame.astype(object).where(frame.notna(), None).to_numpy()
    for row in range(values.shape[0]):
        for column in range(values.shape[1]):
            value = values[row, column]
            if value is not None:
                sheet.write(row + 1, column, value.item() if hasattr(value, "item") else value)
    book.save(handle)
