"""Reports a plan office can use: HTML (self-contained, with charts), an Excel
workbook for people, Markdown and JSON for pipelines. All four show the same
tables from one :class:`ReportData`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from literacy.assessment import progress_label, status_label
from literacy.errors import LiteracyError
from literacy.io.tables import atomic_write, check_can_write, write_json, write_text
from literacy.report.data import ReportData, flags_text, t

REPORT_FORMATS = ("html", "xlsx", "md", "json")

__all__ = ["REPORT_FORMATS", "ReportData", "report"]


def report(
    data: ReportData, path: str | Path, *, report_format: str | None = None, lang: str = "zh", force: bool = False
) -> Path:
    """Write ``data`` as a report; the format defaults to the extension."""
    path = Path(path)
    kind = report_format or {".html": "html", ".htm": "html", ".xlsx": "xlsx", ".md": "md", ".json": "json"}.get(
        path.suffix.lower()
    )
    if kind not in REPORT_FORMATS:
        raise LiteracyError(f"Report format of {path} is unknown; use --format {'|'.join(REPORT_FORMATS)}.")
    if lang not in ("zh", "en"):
        raise LiteracyError(f"Language {lang!r} is unknown; use zh or en.")
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
        "methods": data.methods,
    }


def render_markdown(data: ReportData, lang: str) -> str:
    lines = [f"# {t('title', lang)}", "", f"## {t('headline', lang)}", ""]
    heads = ["jurisdiction", "estimate", "ci", "target", "gap", "status", "progress", "reliability"]
    lines.append("| " + " | ".join(t(h, lang) for h in heads) + " |")
    lines.append("|" + "---|" * len(heads))
    for row in data.assessment.itertuples():
        target = f"{row.target:.1f}% ({row.target_year})" if pd.notna(row.target) else "–"
        gap = f"{row.gap:+.1f} ({row.gap_lower:+.1f} to {row.gap_upper:+.1f})" if pd.notna(row.gap) else "–"
        progress = progress_label(row.progress, lang) if isinstance(row.progress, str) else "–"
        lines.append(
            f"| {row.name} | {row.estimate:.1f}% | {row.ci_lower:.1f}–{row.ci_upper:.1f} | {target} | {gap} | "
            f"**{status_label(row.status, lang)}** | {progress} | "
            f"{flags_text(row.flags, lang) or t('reliable', lang)} |"
        )
    lines += [""] + [f"- {row.name}: {row.evidence} {row.note or ''}".rstrip() for row in data.assessment.itertuples()]
    if not data.disparities.empty:
        lines += ["", f"## {t('groups', lang)}", "", markdown_table(data.readable_disparities(lang))]
    lines += ["", f"## {t('methods', lang)}", ""]
    lines += [f"- {key}: {json.dumps(value, ensure_ascii=False)}" for key, value in data.methods.items()]
    return "\n".join(lines) + "\n"


def markdown_table(frame: pd.DataFrame) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else f"{value:.2f}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in record) + " |" for record in frame.itertuples(index=False)]
    return "\n".join(lines)
