"""The report as an Excel workbook for people: one sheet per table, frozen
and bold headers, sensible column widths. Cells keep the proportions of the
tables (0.123) under percent number formats (12.3%), so a formula over them
computes with the data's own numbers."""

from __future__ import annotations

from typing import IO, Any

import pandas as pd
from openpyxl.styles import Font, PatternFill

from literacy.assessment import ASSESSMENT_UNITS, COUNTED_UNITS, DISPARITY_UNITS, progress_label, status_label
from literacy.instrument import Text
from literacy.report.data import (
    DISTRICT_GAP_UNITS,
    ESTIMATE_UNITS,
    EXCEL_FORMATS,
    SMALL_AREA_UNITS,
    ReportData,
    cell_unit,
    estimate_units,
    flags_text,
)

SHEETS = {
    "summary": Text("目标差距", "Summary"),
    "estimates": Text("分组估计", "Estimates"),
    "grades": Text("等级分布", "Grades"),
    "groups": Text("群体差距", "Group gaps"),
    "counted": Text("量化目标", "Counted targets"),
    "districts": Text("区县估计", "Districts"),
    "methods": Text("方法", "Methods"),
}
_GREY = PatternFill("solid", fgColor="EEEEEE")


def sheet_name(key: str, lang: str) -> str:
    return SHEETS[key].get(lang)


def write_workbook(data: ReportData, handle: IO[bytes], lang: str) -> None:
    summary = data.assessment.copy()
    summary["status"] = [status_label(s, lang) for s in summary["status"]]
    summary["progress"] = [progress_label(p, lang) if isinstance(p, str) else "" for p in summary["progress"]]
    summary["flags"] = [flags_text(f, lang) for f in summary["flags"]]
    methods = pd.DataFrame(_flatten(data.methods), columns=["item", "value"])
    tables = [
        ("summary", summary, ASSESSMENT_UNITS),
        ("estimates", data.estimates, estimate_units(data.estimates)),
        ("grades", data.grades, ESTIMATE_UNITS),
        ("groups", data.readable_disparities(lang), DISPARITY_UNITS),
        ("counted", data.counted, COUNTED_UNITS),
        ("districts", _districts(data, lang), {**SMALL_AREA_UNITS, **DISTRICT_GAP_UNITS}),
        ("methods", methods, {}),
    ]
    with pd.ExcelWriter(handle, engine="openpyxl") as writer:
        for key, frame, units in tables:
            if frame.empty and key not in ("summary", "methods"):
                continue
            name = sheet_name(key, lang)
            frame.to_excel(writer, sheet_name=name, index=False)
            store_text_as_text(writer.sheets[name])
            _format(writer.sheets[name], frame, units)


def _districts(data: ReportData, lang: str) -> pd.DataFrame:
    """The district table as the run wrote it (proportions), with the gap to a
    district target and its status where a plan sets one."""
    table = data.small_area
    gaps = data.district_gaps
    if table.empty or gaps.empty:
        return table
    model = table.attrs.get("small_area") or {}
    area, domain = str(model.get("area") or "district"), model.get("domain")
    extra = gaps[["jurisdiction", "district", "target", "gap", "gap_lower", "gap_upper", "status"]].rename(
        columns={"jurisdiction": domain or "_city", "district": area}
    )
    keys = [domain, area] if domain else [area]
    if not domain:
        extra = extra.drop(columns="_city")
    as_text = {k: str for k in keys}
    merged = table.astype(as_text).merge(extra.astype(as_text), on=keys, how="left")
    merged["status"] = [status_label(s, lang) if isinstance(s, str) else "" for s in merged["status"]]
    return merged


def store_text_as_text(sheet: Any) -> None:
    """Make every cell that openpyxl took for a formula a plain string.

    openpyxl stores any ``str`` that begins with ``=`` as a formula, so a
    respondent's value, plan name or label such as ``=HYPERLINK(...)`` would
    run when the workbook is opened. The toolkit never writes formulas on
    purpose, so every formula cell here came from text. Call it on every
    sheet written from data (reports, XLSForm, templates)."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _format(sheet: Any, frame: pd.DataFrame, units: dict[str, str]) -> None:
    """Bold frozen header, widths, and number formats: the proportions in the
    columns ``units`` names as percent, other decimals with up to three places."""
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    records = frame.to_dict("records")
    for index, column in enumerate(frame.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        sheet.column_dimensions[letter].width = min(max(8, width + 2), 60)
        numeric = frame[column].dtype.kind in "fiu"
        if not numeric:
            continue
        for row, record in enumerate(records, start=2):
            unit = cell_unit(units, str(column), record)
            if unit in EXCEL_FORMATS:
                sheet.cell(row=row, column=index).number_format = EXCEL_FORMATS[unit]
            elif frame[column].dtype.kind == "f":
                sheet.cell(row=row, column=index).number_format = "0.0##"
    if "flags" in frame.columns:
        position = list(frame.columns).index("flags") + 1
        for row in range(2, len(frame) + 2):
            if sheet.cell(row=row, column=position).value:
                for cell in sheet[row]:
                    cell.fill = _GREY


def _flatten(methods: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for key, value in methods.items():
        if isinstance(value, dict):
            rows += _flatten(value, f"{prefix}{key} / ")
        else:
            rows.append((f"{prefix}{key}", ", ".join(map(str, value)) if isinstance(value, list) else str(value)))
    return rows
