"""Reports a plan office can use: HTML (self-contained, with charts), Word
(.docx) to edit and PDF to circulate, an Excel workbook for people, Markdown
and JSON for pipelines. All show the same tables from one :class:`ReportData`. The tables hold proportions; HTML,
Markdown and the charts show percent and points, the workbook keeps the
proportions under percent number formats, and JSON carries them as data."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from literacy.errors import LiteracyError, spell
from literacy.io.tables import atomic_write, check_can_write, write_json, write_text
from literacy.report.data import ReportData, check_units, t, text_or_blank
from literacy.report.tables import body_tables, headline, report_methods
from literacy.vocabulary import REPORT_FORMATS

_EXTENSIONS = {".html": "html", ".htm": "html", ".xlsx": "xlsx", ".md": "md", ".json": "json", ".docx": "docx",
               ".pdf": "pdf"}  # fmt: skip

__all__ = ["REPORT_FORMATS", "ReportData", "report"]


def report(
    data: ReportData, path: str | Path, *, report_format: str | None = None, lang: str = "zh", force: bool = False
) -> Path:
    """Write ``data`` as a report; the format defaults to the extension.
    ``lang`` is zh by default, as in every function of the API and the CLI."""
    path = Path(path)
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    kind = report_format or by_extension
    if report_format and by_extension and by_extension != report_format:
        raise LiteracyError(
            f"The file name {path.name} says {by_extension} but the format asked for is {report_format}; "
            f"name the file .{report_format} (or leave out {spell('--format', 'report_format=')})."
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
    elif kind == "docx":
        from literacy.report.docx import write_docx

        check_can_write([path], force=force)
        atomic_write(path, lambda handle: write_docx(data, handle, lang), binary=True)
    elif kind == "pdf":
        from literacy.report.pdf import write_pdf

        write_pdf(data, path, lang, force=force)
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
        "change": records(data.change),
        "methods": data.known_methods(),
    }


def render_markdown(data: ReportData, lang: str) -> str:
    """The report as Markdown; every value from the data goes through
    :func:`md_text` (or :func:`md_cell` in tables)."""
    head = headline(data, lang)
    lines = [f"# {t('title', lang)}", "", f"{t('date', lang)}: {datetime.date.today().isoformat()}", "",
             f"## {head.title}", ""]  # fmt: skip
    # The evidence sentences follow the table as a list (a table cell holds no paragraph).
    evidence = head.frame.columns[-1]
    lines.append(markdown_table(head.text().drop(columns=[evidence]), bold=head.status_column))
    lines += [""] + [f"- {md_text(place)}: {md_text(text)}"
                     for place, text in zip(head.frame.iloc[:, 0], head.frame[evidence], strict=True)]  # fmt: skip
    for table in body_tables(data, lang, text=True):
        lines += ["", f"## {md_text(table.title)}", "", markdown_table(table.text())]
        lines += [line for note in table.notes for line in ("", md_text(note))]
    lines += ["", f"## {t('methods', lang)}", ""]
    lines += [f"- {md_text(key)}: {md_text(value)}" for key, value in report_methods(data, lang)]
    return "\n".join(lines) + "\n"


# Markdown's own specials, escaped with a backslash (CommonMark shows the
# character itself): emphasis, code, links, strikethrough, backslash; "<" only
# where it could open an HTML tag, comment or autolink ("<0.001" stays as it
# is) and "&" only where it could start an entity ("&lt;" would be decoded).
_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]~]|<(?=[A-Za-z/!?])|&(?=#?\w+;)|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def md_text(value: Any) -> str:
    """A value as Markdown text: Markdown's specials escaped with a backslash,
    so a plain-text reader sees ``<0.001`` (not ``&lt;0.001``) while a
    renderer shows ``<script>`` in a group value or plan name as text rather
    than passing it through as raw HTML; line breaks as spaces (a line could
    start a heading or a list)."""
    text = _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(0), text_or_blank(value))
    return " ".join(text.splitlines())


def md_cell(value: Any) -> str:
    """A value in a Markdown table cell: :func:`md_text` and ``|`` escaped,
    which would otherwise end the cell."""
    return md_text(value).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame, bold: str | None = None) -> str:
    """A table of text cells in Markdown, the ``bold`` column in bold."""

    def cell(column: Any, value: Any) -> str:
        text = md_cell(value)
        return f"**{text}**" if column == bold and text else text

    columns = list(frame.columns)
    lines = ["| " + " | ".join(md_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(c, r[c]) for c in columns) + " |" for r in frame.to_dict("records")]
    return "\n".join(lines)
