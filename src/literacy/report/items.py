"""The item report: one self-contained HTML page (inline CSS, the item map as
an embedded PNG, no scripts) from an :class:`literacy.items.ItemAnalysis`.

Flagged items come first, with what to check in words; then the item map
(respondents' Rasch abilities against the items' difficulties on one logit
axis, as a Wright map), the reliability summary and the whole item table.
Every piece of text is escaped: an item id or a grouping value from a file
never becomes HTML.
"""

from __future__ import annotations

import base64
import datetime
import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from literacy.items import ItemAnalysis

_CSS = """
body{font-family:'Noto Sans CJK SC','Microsoft YaHei','Helvetica Neue',Arial,sans-serif;margin:2em auto;
max-width:76em;color:#222;line-height:1.45}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}th,td{border:1px solid #ccc;padding:.25em .5em;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.flagged td{background:#fff4e5}figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption,.note{font-size:.9em;color:#555}.wide{overflow-x:auto;max-width:100%}
td.num,td.code{white-space:nowrap}td.flags{min-width:16em;max-width:30em}
.warning{background:#fde0dd;border-left:4px solid #c51b8a;padding:.5em .8em}
"""

_TEXT = {
    "title": {"zh": "题目分析", "en": "Item analysis"},
    "flagged": {"zh": "需要复核的题目", "en": "Items to check"},
    "none_flagged": {"zh": "没有题目被标记。", "en": "No item is flagged."},
    "map": {"zh": "题目-能力图", "en": "Item map"},
    "map_caption": {
        "zh": "左：受访者的 Rasch 能力（Warm 估计）；右：题目难度；同一 logit 轴。",
        "en": "Left: respondents' Rasch abilities (Warm's estimates); right: item difficulties; one logit axis.",
    },
    "reliability": {"zh": "信度", "en": "Reliability"},
    "items": {"zh": "全部题目", "en": "All items"},
    "notes": {"zh": "说明", "en": "Notes"},
    "whole": {"zh": "全卷", "en": "Whole test"},
    "date": {"zh": "生成日期", "en": "Made on"},
    "lower": {"zh": "Feldt {level:.0%} 下限", "en": "Feldt {level:.0%} lower"},
    "upper": {"zh": "Feldt {level:.0%} 上限", "en": "Feldt {level:.0%} upper"},
    "dif": {"zh": "DIF：{column}（ETS 等级 delta）", "en": "DIF by {column} (ETS class, delta)"},
    "full_note": {
        "zh": "DIF 的优势比和 p 值见 CSV/JSON 题目表。",
        "en": "The DIF odds ratios and p-values are in the CSV/JSON item table.",
    },
}
# Column headers of the report, short and able to wrap; the CSV and JSON
# keep the column names (they are the API).
_HEADERS = {
    "item": {"zh": "题目", "en": "item"},
    "dimension": {"zh": "维度", "en": "dimension"},
    "n": {"zh": "作答人数", "en": "n"},
    "p_correct": {"zh": "答对率", "en": "p correct"},
    "dont_know_share": {"zh": "“不知道”比例", "en": "don't know"},
    "missing_share": {"zh": "缺答比例", "en": "missing"},
    "item_rest_correlation": {"zh": "与其余题目相关", "en": "item-rest correlation"},
    "alpha_if_deleted": {"zh": "删除该题后的 α", "en": "alpha if deleted"},
    "rasch_difficulty": {"zh": "Rasch 难度", "en": "Rasch difficulty"},
    "rasch_se": {"zh": "难度标准误", "en": "SE"},
    "infit": {"zh": "加权拟合均方 (infit)", "en": "infit"},
    "outfit": {"zh": "未加权拟合均方 (outfit)", "en": "outfit"},
    "flags": {"zh": "需要复核之处", "en": "what to check"},
    "alpha": {"zh": "α", "en": "alpha"},
    "items": {"zh": "题数", "en": "items"},
}
_PERCENT = ("p_correct", "dont_know_share", "missing_share")


def _t(key: str, lang: str, **values: Any) -> str:
    text = _TEXT[key]["zh" if lang == "zh" else "en"]
    return text.format(**values) if values else text


def _header(column: str, lang: str) -> str:
    """A column's header in ``lang`` (a column without one: its name)."""
    return _HEADERS[column]["zh" if lang == "zh" else "en"] if column in _HEADERS else column


def render_item_report(analysis: ItemAnalysis, lang: str = "zh") -> str:
    """The item report as one HTML page (``analysis``: an ItemAnalysis)."""
    summary = analysis.summary
    table = analysis.items
    esc = html.escape
    instrument = summary["instrument"]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
        f"<title>{esc(_t('title', lang))}: {esc(str(instrument['id']))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(_t('title', lang))}: {esc(str(instrument['id']))} {esc(str(instrument['version']))}</h1>",
        f'<p class="note">{esc(_t("date", lang))}: {datetime.date.today().isoformat()}; '
        f"n = {int(summary['respondents'])}</p>",
        f"<h2>{esc(_t('flagged', lang))}</h2>",
    ]
    table = table.assign(flags=analysis.flags_in(lang))
    notes = analysis.notes_in(lang)
    if summary.get("small_sample"):
        parts.insert(-1, f'<p class="warning">{esc(notes[0])}</p>')
    flagged = table.loc[analysis.flagged.index]
    if len(flagged):
        shown = flagged[["item", "dimension", "p_correct", "item_rest_correlation", "flags"]]
        parts.append(_html_table(shown, lang))
    else:
        parts.append(f"<p>{esc(_t('none_flagged', lang))}</p>")
    png = item_map(analysis, lang)
    encoded = base64.b64encode(png).decode("ascii")
    parts += [
        f"<h2>{esc(_t('map', lang))}</h2>",
        f'<figure><img alt="{esc(_t("map", lang))}" src="data:image/png;base64,{encoded}">'
        f"<figcaption>{esc(_t('map_caption', lang))}</figcaption></figure>",
        f"<h2>{esc(_t('reliability', lang))}</h2>",
        _html_table(_reliability_rows(summary, lang), lang),
    ]
    if notes:
        parts.append(f"<h2>{esc(_t('notes', lang))}</h2><ul>")
        parts += [f"<li>{esc(note)}</li>" for note in notes]
        parts.append("</ul>")
    parts += [
        f"<h2>{esc(_t('items', lang))}</h2>",
        f'<div class="wide">{_html_table(_full_table(table, summary, lang), lang, flag_rows=True)}</div>',
        f'<p class="note">{esc(_t("full_note", lang))}</p>' if summary.get("dif") else "",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _full_table(table: pd.DataFrame, summary: dict[str, Any], lang: str) -> pd.DataFrame:
    """The whole item table as the report shows it: one DIF column per
    grouping (ETS class and delta) instead of four, the flags last; narrow
    enough for a laptop screen."""
    from literacy.items.analysis import BASE_COLUMNS, _group_label

    shown = table[BASE_COLUMNS].copy()
    for column in summary.get("dif", {}):
        label = _group_label(column, None) if lang == "zh" else column
        classes = table[f"dif_{column}_class"].astype(str).to_numpy()
        deltas = table[f"dif_{column}_delta"].to_numpy(dtype=float)
        cells = zip(classes, deltas, strict=True)
        shown[_t("dif", lang, column=label)] = [
            f"{klass} {delta:+.2f}" if klass and math.isfinite(delta) else "" for klass, delta in cells
        ]
    shown["flags"] = table["flags"]
    return shown


def _reliability_rows(summary: dict[str, Any], lang: str) -> pd.DataFrame:
    rows = [{"": _t("whole", lang), **_alpha_cells(summary["alpha"], lang)}]
    for dimension_id, record in summary["dimensions"].items():
        label = record["label"]["zh" if lang == "zh" else "en"]
        rows.append({"": f"{label} ({dimension_id})", **_alpha_cells(record, lang)})
    return pd.DataFrame(rows)


def _alpha_cells(record: dict[str, Any], lang: str) -> dict[str, Any]:
    level = record.get("level") or 0.95
    return {
        "alpha": record["alpha"],
        _t("lower", lang, level=level): record["feldt_lower"],
        _t("upper", lang, level=level): record["feldt_upper"],
        "items": record["items"],
        "n": record["n"],
    }


def _cell(column: str, value: Any) -> tuple[str, bool]:
    """The text of a cell and whether it is a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "", True
    if isinstance(value, (bool, np.bool_)):
        return str(value), False
    if isinstance(value, (int, np.integer)):
        return str(int(value)), True
    if isinstance(value, (float, np.floating)):
        if column in _PERCENT:
            return f"{100 * float(value):.1f}%", True
        return f"{float(value):.3f}", True
    return str(value), False


def _html_table(frame: pd.DataFrame, lang: str = "en", *, flag_rows: bool = False) -> str:
    """``frame`` as an HTML table, its headers in ``lang`` (the cells are
    formatted by the English column names)."""
    esc = html.escape
    keys = [str(column) for column in frame.columns]
    head = "".join(f"<th>{esc(_header(key, lang))}</th>" for key in keys)
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = []
        for key, value in zip(keys, values, strict=True):
            text, number = _cell(key, value)
            klass = "num" if number else "flags" if key == "flags" else "code" if key.startswith("DIF") else ""
            cells.append(f'<td class="{klass}">{esc(text)}</td>' if klass else f"<td>{esc(text)}</td>")
        flagged = flag_rows and "flags" in keys and values[keys.index("flags")]
        opening = '<tr class="flagged">' if flagged else "<tr>"
        rows.append(f"{opening}{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def item_map(analysis: ItemAnalysis, lang: str = "zh") -> bytes:
    """A Wright map as PNG: a histogram of abilities on the left, item
    difficulties (labelled by id, flagged items in orange) on the right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from literacy.report.charts import chart_language, figure_png

    chart_lang = chart_language(lang)
    abilities = analysis.abilities.to_numpy(dtype=float)
    abilities = abilities[np.isfinite(abilities)]
    items = analysis.items
    difficulty = items["rasch_difficulty"].to_numpy(dtype=float)
    shown = np.isfinite(difficulty)
    values = np.concatenate([abilities, difficulty[shown]]) if (len(abilities) or shown.any()) else np.zeros(1)
    low, high = float(np.floor(values.min())) - 0.5, float(np.ceil(values.max())) + 0.5
    figure, (left, right) = plt.subplots(1, 2, sharey=True, figsize=(8.5, 6.5), gridspec_kw={"width_ratios": [1, 1.3]})
    left.hist(abilities, bins=np.arange(low, high + 0.25, 0.25), orientation="horizontal", color="#4575b4")
    left.invert_xaxis()
    left.set_xlabel("受访者人数" if chart_lang == "zh" else "respondents")
    left.set_ylabel("logit")
    flagged = (items["flags"] != "").to_numpy()
    order = np.argsort(difficulty[shown], kind="stable")
    ids = items["item"].astype(str).to_numpy()[shown][order]
    ys = difficulty[shown][order]
    colours = np.where(flagged[shown][order], "#e66101", "#333333")
    # Items within the same quarter logit sit side by side, as in a Wright map.
    bins = np.floor(ys / 0.25).astype(int)
    xs = np.zeros(len(ys), dtype=int)
    for value in np.unique(bins):  # a loop over difficulty bins, not respondents
        members = np.flatnonzero(bins == value)
        xs[members] = np.arange(len(members))
    rows_y = (bins + 0.5) * 0.25
    right.scatter(xs, rows_y, s=10, c=list(colours))
    for x, y, label, colour in zip(xs, rows_y, ids, colours, strict=True):
        right.text(x + 0.12, y, label, va="center", fontsize=7, color=colour, parse_math=False)
    right.set_xlim(-0.5, max(4, int(xs.max(initial=0)) + 1) + 0.5)
    right.set_xticks([])
    right.set_xlabel("题目难度" if chart_lang == "zh" else "item difficulty")
    right.set_ylim(low, high)
    for axis in (left, right):
        axis.axhline(0.0, color="#bbbbbb", linewidth=0.8)
    return figure_png(figure)
