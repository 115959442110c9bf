"""The report as an Excel workbook for people: one sheet per table, frozen
and bold headers, sensible column widths. Cells keep the proportions of the
tables (0.123) under percent number formats (12.3%), so a formula over them
computes with the data's own numbers."""

from __future__ import annotations

from typing import IO, Any

import pandas as pd
from openpyxl.styles import Font, PatternFill

from literacy.instrument import Text
from literacy.report.data import EXCEL_FORMATS, ReportData
from literacy.report.tables import (
    PeopleTable,
    change_table,
    counted_table,
    disparities_table,
    districts_table,
    estimates_table,
    grades_table,
    methods_table,
    summary_sheet,
)

SHEETS = {
    "summary": Text("目标差距", "Summary"),
    "change": Text("与上次调查比较", "Change"),
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
    """One sheet per table, headers and codes in ``lang``, numbers kept."""
    tables: list[tuple[str, PeopleTable | None]] = [
        ("summary", summary_sheet(data, lang)),
        ("change", change_table(data, lang, text=False) if not data.change.empty else None),
        ("estimates", estimates_table(data, lang, text=False) if not data.estimates.empty else None),
        ("grades", grades_table(data, lang, text=False) if not data.grades.empty else None),
        ("groups", disparities_table(data, lang, text=False) if not data.disparities.empty else None),
        ("counted", counted_table(data, lang, text=False) if not data.counted.empty else None),
        ("districts", districts_table(data, lang, text=False) if not data.small_area.empty else None),
        ("methods", methods_table(data, lang)),
    ]
    with pd.ExcelWriter(handle, engine="openpyxl") as writer:
        for key, table in tables:
            if table is None:
                continue
            name = sheet_name(key, lang)
            table.frame.to_excel(writer, sheet_name=name, index=False)
            store_text_as_text(writer.sheets[name])
            _format(writer.sheets[name], table)


def district_sheet(data: ReportData, lang: str) -> pd.DataFrame:
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
    return table.astype(as_text).merge(extra.astype(as_text), on=keys, how="left")


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


def _format(sheet: Any, table: PeopleTable) -> None:
    """Bold frozen header, widths, number formats (each cell's unit: shares as
    percent, other decimals with up to three places) and grey unreliable rows."""
    frame = table.frame
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(frame.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        width = max([_width(column)] + [_width(v) for v in frame[column].head(200)])
        sheet.column_dimensions[letter].width = min(max(8, width + 2), 60)
        for row, unit in enumerate(table.units.iloc[:, index - 1], start=2):
            value = frame.iat[row - 2, index - 1]
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            if unit in EXCEL_FORMATS:
                sheet.cell(row=row, column=index).number_format = EXCEL_FORMATS[unit]
            elif unit == "p" or isinstance(value, float):
                sheet.cell(row=row, column=index).number_format = "0.0##"
    for row, grey in enumerate(table.grey, start=2):
        if grey:
            for cell in sheet[row]:
                cell.fill = _GREY


def _width(value: Any) -> int:
    """Display width: a CJK character takes two columns."""
    text = str(value)
    return len(text) + sum(1 for ch in text if ord(ch) > 0x2E80)
