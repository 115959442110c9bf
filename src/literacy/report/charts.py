"""Charts for the report (matplotlib, Agg), returned as PNG bytes.

Chinese labels need a CJK font: the first installed of Noto Sans CJK SC (Debian
``fonts-noto-cjk``), Source Han Sans, WenQuanYi or SimHei is used; when none is
installed, charts fall back to English labels and say so in a warning.
"""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager

from literacy.plans import national_reference
from literacy.report.data import ReportData, comparison_text, t

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "Noto Sans CJK JP",
)
STATUS_COLOURS = {"met": "#1a9850", "not_met": "#d73027", "cannot_tell": "#f1a340", "no_target": "#999999"}


def chart_language(lang: str) -> str:
    """``lang`` if the charts can show it; English (with a warning) when
    Chinese is asked for and no CJK font is installed."""
    if lang != "zh":
        return lang
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            plt.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
            plt.rcParams["axes.unicode_minus"] = False
            return "zh"
    warnings.warn(
        "No CJK font is installed (e.g. Debian's fonts-noto-cjk), so chart labels are in English.", stacklevel=2
    )
    return "en"


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def targets_chart(data: ReportData, lang: str) -> bytes:
    """Each jurisdiction's estimate and interval, with its target marked."""
    table = data.assessment
    figure, axis = plt.subplots(figsize=(7, 0.7 + 0.55 * len(table)))
    for position, row in enumerate(table.itertuples()):
        colour = STATUS_COLOURS.get(row.status, "#555555")
        axis.errorbar(
            row.estimate,
            position,
            xerr=[[row.estimate - row.ci_lower], [row.ci_upper - row.estimate]],
            fmt="o",
            color=colour,
            capsize=4,
        )
        if pd.notna(row.target):
            axis.plot([row.target, row.target], [position - 0.35, position + 0.35], color="black", linewidth=2)
    axis.set_yticks(range(len(table)), [str(n) for n in table["name"]])
    axis.invert_yaxis()
    axis.set_xlabel(t("rate", lang))
    axis.set_title(t("chart_targets", lang))
    axis.grid(axis="x", alpha=0.3)
    return _png(figure)


def trajectory_chart(data: ReportData, lang: str) -> bytes:
    """Published rates, the straight path to the target, and this survey."""
    figure, axis = plt.subplots(figsize=(7.5, 4.2))
    national = national_reference()
    axis.plot(
        [r.year for r in national.series],
        [r.value for r in national.series],
        color="#bbbbbb",
        marker=".",
        label=t("national", lang),
    )
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, row in enumerate(data.assessment.itertuples()):
        colour = palette[index % len(palette)]
        plan = data.plan(row.plan)
        if plan is None:
            continue
        if plan.baselines:
            axis.plot(
                [b.year for b in plan.baselines], [b.value for b in plan.baselines], "s-", color=colour, alpha=0.7
            )
        if pd.notna(row.target) and pd.notna(row.baseline):
            axis.plot([row.baseline_year, row.target_year], [row.baseline, row.target], "--", color=colour, alpha=0.6)
        if pd.notna(row.target):
            axis.plot([row.target_year], [row.target], marker="*", markersize=12, color=colour)
        axis.errorbar(
            [row.year],
            [row.estimate],
            yerr=[[row.estimate - row.ci_lower], [row.ci_upper - row.estimate]],
            fmt="o",
            color=colour,
            capsize=4,
            label=str(row.name),
        )
    axis.set_xlabel(t("year", lang))
    axis.set_ylabel(t("rate", lang))
    axis.set_title(t("chart_trajectory", lang))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return _png(figure)


def grades_chart(data: ReportData, lang: str) -> bytes:
    table = data.grades
    pivot = table.pivot_table(index=data.domain, columns="level", values="estimate", sort=False) * 100
    pivot.index = [data.place(code, lang) for code in pivot.index]
    pivot.columns = [data.grade_labels[g].get(lang) if g in data.grade_labels else str(g) for g in pivot.columns]
    figure, axis = plt.subplots(figsize=(7, 0.8 + 0.5 * len(pivot)))
    left = pd.Series(0.0, index=pivot.index)
    colours = ["#d7191c", "#fdae61", "#a6d96a", "#1a9641", "#0b6b2f"]
    for index, level in enumerate(pivot.columns):
        axis.barh(
            [str(i) for i in pivot.index],
            pivot[level],
            left=left,
            label=str(level),
            color=colours[index % len(colours)],
        )
        left += pivot[level].fillna(0)
    axis.set_xlabel("%")
    axis.set_title(t("chart_grades", lang))
    axis.legend(fontsize=8, ncol=len(pivot.columns), loc="lower center", bbox_to_anchor=(0.5, -0.45))
    return _png(figure)


def groups_chart(data: ReportData, lang: str) -> bytes:
    table = data.disparities.dropna(subset=["estimate"])
    labels = [
        f"{data.place(r.jurisdiction, lang)}: {comparison_text(r.group, r.first, r.second, lang)}"
        for r in table.itertuples()
    ]
    figure, axis = plt.subplots(figsize=(7.5, 0.7 + 0.32 * max(len(table), 1)))
    for position, row in enumerate(table.itertuples()):
        axis.errorbar(
            row.estimate,
            position,
            xerr=[[row.estimate - row.ci_lower], [row.ci_upper - row.estimate]],
            fmt="o",
            color="#2b8cbe",
            capsize=3,
        )
    axis.axvline(0, color="black", linewidth=1)
    axis.set_yticks(range(len(table)), labels, fontsize=7)
    axis.invert_yaxis()
    axis.set_title(t("chart_groups", lang))
    axis.grid(axis="x", alpha=0.3)
    return _png(figure)


def all_charts(data: ReportData, lang: str) -> dict[str, bytes]:
    """Every chart the data allow, keyed by the TEXT key of its title."""
    charts = {"chart_targets": targets_chart(data, lang), "chart_trajectory": trajectory_chart(data, lang)}
    if not data.grades.empty:
        charts["chart_grades"] = grades_chart(data, lang)
    if not data.disparities.empty and data.disparities["estimate"].notna().any():
        charts["chart_groups"] = groups_chart(data, lang)
    return charts
