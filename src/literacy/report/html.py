"""One self-contained HTML file: inline CSS, charts as embedded PNG, no
scripts and no network access needed to open it."""

from __future__ import annotations

import base64
import datetime
import html

from literacy.report.charts import all_charts, chart_language
from literacy.report.data import ReportData, t
from literacy.report.tables import PeopleTable, body_tables, headline, report_methods

_CSS = """
body{font-family:'Noto Sans CJK SC','Microsoft YaHei','Helvetica Neue',Arial,sans-serif;margin:2em auto;
max-width:70em;color:#222;line-height:1.45}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.3em .55em;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.unreliable td{background:#eeeeee;color:#777}
.status{font-weight:bold;padding:.1em .45em;border-radius:.3em;color:#fff;white-space:nowrap}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.9em;color:#555}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}
.note{color:#555;font-size:.9em}
table.headline td{word-break:keep-all}table.headline td:first-child,table.headline td.num{white-space:nowrap}
table.headline .status{white-space:normal;display:inline-block}td.short,td.num{white-space:nowrap}
th:lang(zh){min-width:4.2em}
"""
# For the PDF: A4 with margins, no page width limit, tables kept within the
# page (a long table breaks between rows, not inside one), figures whole.
_PRINT_CSS = """
@page{size:A4;margin:16mm 12mm 18mm 12mm}body{max-width:none;margin:0;font-size:10pt}
table{font-size:8pt;width:100%;page-break-inside:auto}tr{page-break-inside:avoid}thead{display:table-header-group}
td,th{padding:.2em .35em}figure{page-break-inside:avoid}figure img{max-width:100%;max-height:235mm}
h2{page-break-after:avoid}dl{font-size:8.5pt}
"""


def render_html(data: ReportData, lang: str, *, for_print: bool = False) -> str:
    """The report as one HTML page; ``for_print`` sizes it for an A4 page
    (the PDF printed from it by Chromium)."""
    chart_lang = chart_language(lang)
    charts = all_charts(data, chart_lang)
    head = headline(data, lang)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
        f"<title>{html.escape(t('title', lang))}</title><style>{_CSS}{_PRINT_CSS if for_print else ''}</style>"
        "</head><body>",
        f"<h1>{html.escape(t('title', lang))}</h1>",
        f'<p class="note">{html.escape(t("date", lang))}: {datetime.date.today().isoformat()}</p>',
        f"<h2>{html.escape(head.title)}</h2>",
        _headline(head, for_print),
        *(f'<p class="note">{html.escape(note)}</p>' for note in head.notes),
        f"<h2>{html.escape(t('charts', lang))}</h2>",
    ]
    for key, png in charts.items():
        encoded = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure><img alt="{html.escape(t(key, lang))}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(t(key, lang))}</figcaption></figure>"
        )
    for table in body_tables(data, lang, text=True):
        parts += [f"<h2>{html.escape(table.title)}</h2>", _table(table)]
        parts += [f'<p class="note">{html.escape(note)}</p>' for note in table.notes]
    parts += [f"<h2>{html.escape(t('methods', lang))}</h2>", _methods(report_methods(data, lang))]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _headline(head: PeopleTable, for_print: bool) -> str:
    """The headline table; on paper, the evidence sentences follow it as a
    list, so the table fits the width of A4 without breaking words."""
    if not for_print:
        return _table(head, klass="headline")
    evidence = head.frame.columns[-1]
    table = PeopleTable(head.key, head.title, head.frame.drop(columns=[evidence]),
                        head.units.drop(columns=[evidence]), head.grey, head.colours, head.status_column)  # fmt: skip
    items = "".join(f"<li><b>{html.escape(str(place))}</b>: {html.escape(str(text))}</li>"
                    for place, text in zip(head.frame.iloc[:, 0], head.frame[evidence], strict=True))  # fmt: skip
    return _table(table, klass="headline") + f"<ul>{items}</ul>"


def _table(table: PeopleTable, klass: str = "") -> str:
    """A table: every cell escaped; unreliable rows grey; a status in its colour."""
    text = table.text()
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in text.columns)
    body = []
    numeric = [table.units.iloc[:, i].notna().any() for i in range(text.shape[1])]
    for index in range(len(text)):
        grey = bool(table.grey[index]) if index < len(table.grey) else False
        cells = []
        for position, column in enumerate(text.columns):
            value = html.escape(str(text.iat[index, position]))
            colour = table.colours[index] if index < len(table.colours) else None
            if column == table.status_column and colour:
                value = f'<span class="status" style="background:{colour}">{value}</span>'
            # Numbers, and short text (a place name, 男), never break inside, whatever the column's width.
            short = len(str(text.iat[index, position])) <= 8
            klass = "num" if numeric[position] else "short" if short else ""
            cells.append(f'<td class="{klass}">{value}</td>' if klass else f"<td>{value}</td>")
        row_class = ' class="unreliable"' if grey else ""
        body.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    attribute = f' class="{klass}"' if klass else ""
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _methods(rows: list[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows) + "</dl>"
