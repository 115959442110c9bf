"""The report as an Excel workbook for people: one sheet per table, frozen
and bold headers, sensible column widths. Shares keep the proportions of the
tables (0.123) under percent number formats (12.3%), so a formula over them
computes with the data's own numbers; differences and standard errors, whose
headers say "(points)", are stored in points (3.1, not 0.031 as "3.1%");
p-values show three decimals or "<0.001"; years are numbers."""

from __future__ import annotations

from typing import IO, Any

import pandas as pd
from openpyxl.styles import Font, PatternFill

from literacy.instrument import Text
from literacy.report.data import EXCEL_FORMATS, EXCEL_IN_POINTS, EXCEL_P_FORMAT, ReportData, text_or_blank
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
            table.frame = in_points(table)
            table.frame.to_excel(writer, sheet_name=name, index=False)
            store_text_as_text(writer.sheets[name])
            _format(writer.sheets[name], table)


def district_sheet(data: ReportData, lang: str) -> pd.DataFrame:
    """The district table as the run wrote it (proportions), with the gap to a
    district target and its status where a plan sets one."""
    table = data.small_area
    gaps = data.district_gaps
    model = table.attrs.get("small_area") or {}
    area, domain = str(model.get("area") or "district"), model.get("domain")
    if not table.empty and area in table.columns and "district_name" not in table.columns:
        cities = table[domain] if domain and domain in table.columns else [None] * len(table)
        names = [data.district(c, d, lang) for c, d in zip(cities, table[area], strict=True)]
        if any(name != text_or_blank(code) for name, code in zip(names, table[area], strict=True)):
            attrs = table.attrs
            table = table.copy()
            table.insert(list(table.columns).index(area) + 1, "district_name", names)
            table.attrs = attrs
    if table.empty or gaps.empty:
        return table
    extra = gaps[["jurisdiction", "district", "target", "gap", "gap_lower", "gap_upper", "status"]].rename(
        columns={"jurisdiction": domain or "_city", "district": area}
    )
    keys = [domain, area] if domain else [area]
    if not domain:
        extra = extra.drop(columns="_city")
    as_text = {k: str for k in keys}
    return table.astype(as_text).merge(extra.astype(as_text), on=keys, how="left")


def in_points(table: PeopleTable) -> pd.DataFrame:
    """The table's frame with its cells in points or standard errors (their
    unit) multiplied by 100: 0.031 becomes 3.1 under a "(points)" header."""
    frame = table.frame.copy()
    for position in range(frame.shape[1]):
        units = table.units.iloc[:, position]
        if not units.isin(EXCEL_IN_POINTS).any():
            continue
        values = frame.iloc[:, position].astype(object)
        number = [isinstance(v, (int, float)) and not isinstance(v, bool) for v in values]
        frame.isetitem(position, [100 * v if u in EXCEL_IN_POINTS and is_number else v
                                  for v, u, is_number in zip(values, units, number, strict=True)])  # fmt: skip
    return frame


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
            elif unit == "p":
                sheet.cell(row=row, column=index).number_format = EXCEL_P_FORMAT
            elif isinstance(value, float):
                sheet.cell(row=row, column=index).number_format = "0.0##"
    for row, grey in enumerate(table.grey, start=2):
        if grey:
            for cell in sheet[row]:
                cell.fill = _GREY


def _width(value: Any) -> int:
    """Display width: a CJK character takes two columns."""
    text = str(value)
    return len(text) + sum(1 for ch in text if ord(ch) > 0x2E80)
