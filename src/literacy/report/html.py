"""One self-contained HTML file: inline CSS, charts as embedded PNG, no
scripts and no network access needed to open it."""

from __future__ import annotations

import base64
import html
import math
from typing import Any

import pandas as pd

from literacy.assessment import COUNTED_UNITS, DISPARITY_UNITS, progress_label, status_label
from literacy.report.charts import STATUS_COLOURS, all_charts, chart_language
from literacy.report.data import ReportData, cell_unit, estimate_units, flags_text, sentence, shown, t, text_or_blank

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
"""


def render_html(data: ReportData, lang: str) -> str:
    chart_lang = chart_language(lang)
    charts = all_charts(data, chart_lang)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
        f"<title>{html.escape(t('title', lang))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(t('title', lang))}</h1>",
        f"<h2>{html.escape(t('headline', lang))}</h2>",
        _headline(data, lang),
        f'<p class="note">{html.escape(t("grey_note", lang))}</p>',
        f"<h2>{html.escape(t('charts', lang))}</h2>",
    ]
    for key, png in charts.items():
        encoded = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure><img alt="{html.escape(t(key, lang))}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(t(key, lang))}</figcaption></figure>"
        )
    if not data.disparities.empty:
        parts += [
            f"<h2>{html.escape(t('groups', lang))}</h2>",
            _table(data.readable_disparities(lang), DISPARITY_UNITS),
        ]
    if not data.small_area.empty:
        parts += [
            f"<h2>{html.escape(t('districts', lang))}</h2>",
            _table(data.readable_districts(lang), {}, grey=True, lang=lang, flags_column=t("reliability", lang)),
            f'<p class="note">{html.escape(t("district_note", lang))}</p>',
        ]
    if not data.estimates.empty:
        parts += [
            f"<h2>{html.escape(t('estimates', lang))}</h2>",
            _table(data.estimates, estimate_units(data.estimates), grey=True, lang=lang),
        ]
    if not data.counted.empty:
        parts += [f"<h2>{html.escape(t('counted', lang))}</h2>", _table(data.counted, COUNTED_UNITS)]
    parts += [f"<h2>{html.escape(t('methods', lang))}</h2>", _methods(data.methods)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return html.escape(str(value))


def _percent(value: Any) -> str:
    """A proportion in percent (0.123 -> 12.3%), escaped."""
    return html.escape(shown(value, "percent"))


def _points(value: Any) -> str:
    """A difference of proportions in points (0.023 -> +2.3), escaped."""
    return html.escape(shown(value, "points"))


def _headline(data: ReportData, lang: str) -> str:
    heads = [
        "jurisdiction",
        "estimate",
        "ci",
        "target",
        "gap",
        "status",
        "progress",
        "path",
        "growth_needed",
        "reliability",
        "evidence",
    ]
    rows = [
        "<table><thead><tr>" + "".join(f"<th>{html.escape(t(h, lang))}</th>" for h in heads) + "</tr></thead><tbody>"
    ]
    for row in data.assessment.itertuples():
        reliability = flags_text(row.flags, lang)
        colour = STATUS_COLOURS.get(row.status, "#555")
        year = html.escape(text_or_blank(row.target_year)[:4])
        target = f"{_percent(row.target)} ({year})" if pd.notna(row.target) else "–"
        interval = (
            f"{_percent(row.ci_lower).removesuffix('%')}–{_percent(row.ci_upper).removesuffix('%')}"
            if pd.notna(row.ci_lower) and pd.notna(row.ci_upper)
            else "–"
        )
        cells = [
            html.escape(str(row.name)),
            f'<td class="num">{_percent(row.estimate)}',
            f'<td class="num">{interval}',
            f'<td class="num">{target}',
            f'<td class="num">{_points(row.gap)} ({_points(row.gap_lower)} to {_points(row.gap_upper)})',
            f'<td><span class="status" style="background:{colour}">'
            f"{html.escape(status_label(row.status, lang))}</span>",
            f"<td>{html.escape(progress_label(row.progress, lang)) if isinstance(row.progress, str) else '–'}",
            f'<td class="num">{_percent(row.path_linear)} / {_percent(row.path_compound)}',
            f'<td class="num">{_percent(row.growth_needed)}',
            f"<td>{html.escape(reliability) or html.escape(t('reliable', lang))}",
            f"<td>{html.escape(sentence(row.evidence, row.note))}",
        ]
        klass = ' class="unreliable"' if reliability else ""
        rows.append(f"<tr{klass}><td>" + cells[0] + "</td>" + "</td>".join(cells[1:]) + "</td></tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _table(
    frame: pd.DataFrame, units: dict[str, str], *, grey: bool = False, lang: str = "zh", flags_column: str = "flags"
) -> str:
    """A table; the proportions in the columns ``units`` names are shown in
    percent or points; with ``grey``, rows with flags in ``flags_column`` are grey."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for record in frame.to_dict("records"):
        flags = flags_text(record.get(flags_column), lang) if grey else ""
        klass = ' class="unreliable"' if flags else ""
        cells = "".join(_cell(v, cell_unit(units, str(c), record)) for c, v in record.items())
        body.append(f"<tr{klass}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cell(value: Any, unit: str | None) -> str:
    if unit is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="num">{html.escape(shown(value, unit))}</td>'
    return f'<td class="num">{_fmt(value, 2)}</td>' if isinstance(value, float) else f"<td>{_fmt(value)}</td>"


def _methods(methods: dict[str, Any], prefix: str = "") -> str:
    items = []
    for key, value in methods.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            items.append(_methods(value, f"{name} / "))
            continue
        items.append(f"<dt>{html.escape(name)}</dt><dd>{html.escape(_plain(value))}</dd>")
    return "<dl>" + "".join(items) + "</dl>" if not prefix else "".join(items)


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value)
