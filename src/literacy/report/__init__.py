"""Reports a plan office can use: HTML (self-contained, with charts), an Excel
workbook for people, Markdown and JSON for pipelines. All four show the same
tables from one :class:`ReportData`. The tables hold proportions; HTML,
Markdown and the charts show percent and points, the workbook keeps the
proportions under percent number formats, and JSON carries them as data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from literacy.assessment import progress_label, status_label
from literacy.errors import LiteracyError, spell
from literacy.io.tables import atomic_write, check_can_write, write_json, write_text
from literacy.report.data import (
    DISPARITY_UNITS,
    ReportData,
    cell_unit,
    check_units,
    flags_text,
    sentence,
    shown,
    t,
    text_or_blank,
)

REPORT_FORMATS = ("html", "xlsx", "md", "json")

__all__ = ["REPORT_FORMATS", "ReportData", "report"]


def report(
    data: ReportData, path: str | Path, *, report_format: str | None = None, lang: str = "zh", force: bool = False
) -> Path:
    """Write ``data`` as a report; the format defaults to the extension.
    ``lang`` is zh by default, as in every function of the API and the CLI."""
    path = Path(path)
    kind = report_format or {".html": "html", ".htm": "html", ".xlsx": "xlsx", ".md": "md", ".json": "json"}.get(
        path.suffix.lower()
    )
    if kind not in REPORT_FORMATS:
        raise LiteracyError(
            f"Report format of {path} is unknown; use "
            f"{spell('--format', 'file_format=')} {'|'.join(REPORT_FORMATS)} or an extension among them."
        )
    if lang not in ("zh", "en"):
        raise LiteracyError(f"Language {lang!r} is unknown; use zh or en.")
    check_units(data)
    if kind == "html":
        from literacy.report.html import render_html

        write_text(path, render_html(data, lang), force=force)
    elif kind == "xlsx":
        from literacy.report.xlsx import write_workbook

        check_can_write([path], force=force)
        atomic_write(path, lambda handle: write_workbook(data, handle, lang), binary=True)
    elif kind == "md":
        write_text(path, render_markdown(data, lang), force=force)
    else:
        write_json(path, report_json(data), force=force)
    return path


def report_json(data: ReportData) -> dict[str, Any]:
    def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return json.loads(frame.to_json(orient="records", force_ascii=False)) if not frame.empty else []

    return {
        "assessment": records(data.assessment),
        "estimates": records(data.estimates),
        "grades": records(data.grades),
        "disparities": records(data.disparities),
        "counted_targets": records(data.counted),
        "small_area": records(data.small_area),
        # NaN (e.g. a coefficient's p with se 0) as null, numpy numbers as numbers.
        "small_area_model": json.loads(
            json.dumps(data.small_area.attrs.get("small_area") or {}, default=str), parse_constant=lambda _: None
        ),
        "district_gaps": records(data.district_gaps),
        "methods": data.methods,
    }


def render_markdown(data: ReportData, lang: str) -> str:
    """The report as Markdown; every value from the data goes through
    :func:`md_text` (or :func:`md_cell` in tables)."""
    lines = [f"# {t('title', lang)}", "", f"## {t('headline', lang)}", ""]
    heads = ["jurisdiction", "estimate", "ci", "target", "gap", "status", "progress", "reliability"]
    lines.append("| " + " | ".join(t(h, lang) for h in heads) + " |")
    lines.append("|" + "---|" * len(heads))
    for row in data.assessment.itertuples():
        year = text_or_blank(row.target_year).removesuffix(".0")
        target = f"{_percent(row.target)} ({md_cell(year)})" if pd.notna(row.target) else "–"
        gap = f"{_points(row.gap)} ({_points(row.gap_lower)} to {_points(row.gap_upper)})" if pd.notna(row.gap) else "–"
        progress = md_cell(progress_label(row.progress, lang)) if isinstance(row.progress, str) else "–"
        lines.append(
            f"| {md_cell(row.name)} | {_percent(row.estimate)} | "
            f"{_interval(row.ci_lower, row.ci_upper)} | {target} | {gap} | "
            f"**{md_cell(status_label(row.status, lang))}** | {progress} | "
            f"{md_cell(flags_text(row.flags, lang) or t('reliable', lang))} |"
        )
    lines += [""] + [
        f"- {md_text(row.name)}: {md_text(sentence(row.evidence, row.note))}" for row in data.assessment.itertuples()
    ]
    if not data.disparities.empty:
        lines += ["", f"## {t('groups', lang)}", "", markdown_table(data.readable_disparities(lang), DISPARITY_UNITS)]
    if not data.small_area.empty:
        lines += ["", f"## {t('districts', lang)}", "", markdown_table(data.readable_districts(lang)), "",
                  md_text(t("district_note", lang))]  # fmt: skip
    lines += ["", f"## {t('methods', lang)}", ""]
    lines += [
        f"- {md_text(key)}: {md_text(json.dumps(value, ensure_ascii=False))}" for key, value in data.methods.items()
    ]
    return "\n".join(lines) + "\n"


_MARKDOWN_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def md_text(value: Any) -> str:
    """A value as Markdown text: ``&``, ``<`` and ``>`` as HTML entities (a
    renderer passes raw HTML through, so ``<script>`` in a group value or
    plan name would run) and line breaks as spaces (a line could start a
    heading or a list)."""
    return " ".join(text_or_blank(value).translate(_MARKDOWN_ENTITIES).splitlines())


def md_cell(value: Any) -> str:
    """A value in a Markdown table cell: :func:`md_text` and ``|`` escaped,
    which would otherwise end the cell."""
    return md_text(value).replace("|", "\\|")


def _percent(value: Any) -> str:
    """A proportion as percent for a Markdown cell (0.123 -> 12.3%)."""
    return md_cell(shown(value, "percent"))


def _points(value: Any) -> str:
    """A difference of proportions in points (0.023 -> +2.3)."""
    return md_cell(shown(value, "points"))


def _interval(low: Any, high: Any) -> str:
    """An interval of proportions in percent without the signs (9.4–15.2)."""
    if pd.isna(low) or pd.isna(high):
        return "–"
    return f"{_percent(low).removesuffix('%')}–{_percent(high).removesuffix('%')}"


def markdown_table(frame: pd.DataFrame, units: dict[str, str] | None = None) -> str:
    """A table in Markdown; columns named in ``units`` hold proportions and
    are shown in percent or points."""
    units = units or {}

    def cell(column: Any, record: dict[Any, Any]) -> str:
        value = record[column]
        unit = cell_unit(units, str(column), record)
        if unit is None and isinstance(value, float):
            return "" if pd.isna(value) else f"{value:.2f}"
        if unit is not None and (value is None or (isinstance(value, float) and pd.isna(value))):
            return ""
        return md_cell(shown(value, unit) if unit else value)

    columns = list(frame.columns)
    lines = ["| " + " | ".join(md_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(c, r) for c in columns) + " |" for r in frame.to_dict("records")]
    return "\n".join(lines)
