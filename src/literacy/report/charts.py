"""Charts for the report (matplotlib, Agg), returned as PNG bytes.

Chinese labels need a CJK font. It is found by its file (fontconfig's
``fc-list :lang=zh``, else the usual Debian, Fedora, Windows and macOS paths)
and registered with matplotlib directly, because matplotlib's cached font list
(``fontlist-*.json``) is written once and never sees a font installed later.
When no CJK font exists, one warning says so and the charts use English names
and carry no CJK text, so they show no boxes (and matplotlib does not warn
once per missing glyph).

The tables hold proportions; the axes show them in percent (a tick
formatter, not rescaled data), and the plans' published percents enter
through :func:`literacy.assessment.plan_share` like every other number.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager
from matplotlib.text import Text as TextArtist
from matplotlib.ticker import FuncFormatter, PercentFormatter

from literacy.assessment import plan_share
from literacy.plans import national_reference
from literacy.report.data import ReportData, comparison_text, t

_WINDOWS_FONTS = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
# Known places of a CJK font, best first: Debian/Ubuntu fonts-noto-cjk and
# fonts-wqy-*, Fedora, Arch, Windows (Microsoft YaHei, SimHei), macOS.
KNOWN_CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    str(_WINDOWS_FONTS / "msyh.ttc"),
    str(_WINDOWS_FONTS / "simhei.ttf"),
    str(_WINDOWS_FONTS / "simsun.ttc"),
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)
_LOADABLE = (".ttf", ".otf", ".ttc")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # all but the newline
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
NO_FONT_WARNING = (
    "No CJK font was found (on Debian: apt-get install fonts-noto-cjk), so the chart labels are in English."
)
STATUS_COLOURS = {"met": "#1a9850", "not_met": "#d73027", "cannot_tell": "#f1a340", "no_target": "#999999"}


class FontWarning(UserWarning):
    """Charts fall back to English because no CJK font is installed."""


def _fontconfig_files() -> list[str]:
    """CJK font files fontconfig knows, regular sans faces first."""
    if shutil.which("fc-list") is None:
        return []
    try:
        listed = subprocess.run(
            ["fc-list", "-f", "%{file}\\n", ":lang=zh"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = {line.strip() for line in listed.splitlines() if line.strip().lower().endswith(_LOADABLE)}
    known = [Path(p).name.lower() for p in KNOWN_CJK_FILES]

    def rank(path: str) -> tuple:
        name = Path(path).name.lower()
        return (
            known.index(name) if name in known else len(known),
            "sans" not in name and "hei" not in name,
            any(w in name for w in ("bold", "black", "light", "thin", "medium", "heavy", "mono", "serif")),
            name,
        )

    return sorted(files, key=rank)


def cjk_font_file() -> str | None:
    """The file of an installed CJK font, or None: asked of fontconfig, then
    looked for at the known paths (so a stale matplotlib cache is no matter)."""
    for path in [*_fontconfig_files(), *KNOWN_CJK_FILES]:
        if Path(path).is_file():
            return path
    return None


def register_cjk_font() -> str | None:
    """Register the CJK font file with matplotlib, whatever its cache says,
    and make it the first sans-serif family; return its family name."""
    path = cjk_font_file()
    if path is None:
        return None
    faces = [entry.name for entry in font_manager.fontManager.ttflist if entry.fname == path]
    if not faces:
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            return None
        faces = [entry.name for entry in font_manager.fontManager.ttflist if entry.fname == path]
    if not faces:
        return None
    # A collection (.ttc) holds several faces: simplified Chinese, not monospaced, first.
    family = min(faces, key=lambda name: ("SC" not in name.split() and "GB" not in name.split(), "Mono" in name))
    # Both families by name: matplotlib then takes a glyph the CJK font lacks
    # (some, such as Droid Sans Fallback, have no digits) from DejaVu Sans.
    plt.rcParams["font.family"] = [family, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return family


def chart_language(lang: str) -> str:
    """``lang`` if the charts can show it; English, with one warning, when
    Chinese is asked for and no CJK font is installed."""
    if lang != "zh":
        return lang
    if register_cjk_font() is not None:
        return "zh"
    warnings.warn_explicit(NO_FONT_WARNING, FontWarning, filename="literacy", lineno=0)
    return "en"


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _cjk_ready() -> bool:
    """Whether a registered CJK font heads the font families."""
    families = plt.rcParams["font.family"]
    registered = {entry.name for entry in font_manager.fontManager.ttflist}
    return bool(families) and families[0] in registered and families[0] not in ("DejaVu Sans", "Bitstream Vera Sans")


def _place_name(data: ReportData, row: object, lang: str) -> str:
    """A jurisdiction's name in ``lang`` from its plan (the assessment holds
    the name in the language it was made in); its code when that is all
    there is in a language the charts can show."""
    plan = data.plan(str(getattr(row, "plan", "")))
    name = plan.name.get(lang) if plan is not None else str(getattr(row, "name", ""))
    if lang != "zh" and has_cjk(name):
        code = str(getattr(row, "jurisdiction", ""))
        return code if code and not has_cjk(code) else name
    return name


def _label_rows(axis: Any, labels: list[str], **options: Any) -> None:
    """One row label per domain or district. Control characters from user
    values (a tab, a carriage return) have no glyph in any font: spaces."""
    axis.set_yticks(range(len(labels)), [_CONTROL.sub(" ", str(label)) for label in labels], **options)


def figure_png(figure: plt.Figure) -> bytes:
    """The figure as PNG at its own resolution (set by the chart's ``dpi``)."""
    if not _cjk_ready():
        # Last resort, for user-supplied values with no English name: CJK
        # characters without a font would render as boxes, one warning each.
        for artist in figure.findobj(TextArtist):
            text = artist.get_text()
            if has_cjk(text):
                artist.set_text(_CJK.sub("?", text))
    buffer = io.BytesIO()
    if figure.get_layout_engine() is None:  # a constrained figure (a legend outside the axes) keeps its own
        figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=figure.dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def targets_chart(data: ReportData, lang: str, dpi: int = 110) -> bytes:
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
    _label_rows(axis, [_place_name(data, row, lang) for row in table.itertuples()])
    axis.invert_yaxis()
    axis.xaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_xlabel(t("rate", lang))
    axis.set_title(t("chart_targets", lang))
    axis.grid(axis="x", alpha=0.3)
    figure.set_dpi(dpi)
    return figure_png(figure)


def trajectory_chart(data: ReportData, lang: str, dpi: int = 110) -> bytes:
    """Published rates, the straight path to the target, and this survey."""
    figure, axis = plt.subplots(figsize=(7.5, 4.2))
    national = national_reference()
    axis.plot(
        [r.year for r in national.series],
        [plan_share(r.value) for r in national.series],
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
                [b.year for b in plan.baselines],
                [plan_share(b.value) for b in plan.baselines],
                "s-",
                color=colour,
                alpha=0.7,
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
            label=_place_name(data, row, lang),
        )
        _previous_wave(axis, data, row, colour)
    if not data.change.empty:
        axis.plot([], [], "D", color="#555555", markerfacecolor="white", label=t("previous_wave", lang))
    axis.yaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_xlabel(t("year", lang))
    axis.set_ylabel(t("rate", lang))
    axis.set_title(t("chart_trajectory", lang))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.set_dpi(dpi)
    return figure_png(figure)


def _previous_wave(axis: Any, data: ReportData, row: Any, colour: str) -> None:
    """The previous survey of this jurisdiction (``ReportData.change``): an
    open diamond with its interval where it has a standard error, joined to
    this survey by a dotted line (dashed grey when not like for like)."""
    table = data.change
    if table.empty or (data.domain not in table and "jurisdiction" not in table):
        return
    key = data.domain if data.domain in table else "jurisdiction"
    rows = table[table[key].astype(str) == str(row.jurisdiction)]
    if "plan" in rows and len(rows) > 1:
        rows = rows[rows["plan"].astype(str) == str(row.plan)]
    if rows.empty:
        return
    previous = rows.iloc[0]
    year, value = previous.get("previous_year"), previous.get("previous_estimate")
    if pd.isna(year) or pd.isna(value):
        return
    se = previous.get("previous_se")
    z = 1.959964  # normal 97.5% point: the interval of a published figure with its standard error
    error = [[z * float(se)], [z * float(se)]] if pd.notna(se) else None
    axis.errorbar([float(year)], [float(value)], yerr=error, fmt="D", color=colour, markerfacecolor="white",
                  capsize=3)  # fmt: skip
    same = bool(previous.get("like_for_like", True))
    axis.plot([float(year), float(row.year)], [float(value), float(row.estimate)], ":" if same else "--",
              color=colour if same else "#999999", alpha=0.8)  # fmt: skip


def grades_chart(data: ReportData, lang: str, dpi: int = 110) -> bytes:
    table = data.grades
    pivot = table.pivot_table(index=data.domain, columns="level", values="estimate", sort=False)
    pivot.index = [data.place(code, lang) for code in pivot.index]
    pivot.columns = [data.grade(g, lang) for g in pivot.columns]
    # Constrained layout: the legend goes below the axis and its tick labels,
    # never over them, however few rows the chart has.
    figure, axis = plt.subplots(figsize=(7, 1.3 + 0.5 * len(pivot)), layout="constrained")
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
    axis.xaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_xlim(0, max(1.0, float(left.max())))
    axis.set_title(t("chart_grades", lang))
    # The ticks say "%"; the legend below them, in two columns when long names would run off the edges.
    long_names = sum(len(str(c)) for c in pivot.columns) > 60
    figure.legend(fontsize=8, ncol=2 if long_names else len(pivot.columns), loc="outside lower center")
    figure.set_dpi(dpi)
    return figure_png(figure)


def groups_chart(data: ReportData, lang: str, dpi: int = 110) -> bytes:
    table = data.disparities.dropna(subset=["estimate"])
    labels = [
        f"{data.place(r.jurisdiction, lang)}: {comparison_text(r.group, r.first, r.second, lang)}"
        for r in table.itertuples()
    ]
    figure, axis = plt.subplots(figsize=(7, 0.8 + 0.3 * max(len(table), 1)))
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
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{100 * value:+.0f}"))  # points
    _label_rows(axis, labels, fontsize=8)
    axis.invert_yaxis()
    axis.set_title(t("chart_groups", lang))
    axis.grid(axis="x", alpha=0.3)
    figure.set_dpi(dpi)
    return figure_png(figure)


def districts_chart(data: ReportData, lang: str, dpi: int = 110) -> bytes:
    """Each district's direct estimate and EBLUP with their intervals, the
    direct one above in grey, so the pull towards the model shows at a glance."""
    table = data.small_area
    model = table.attrs.get("small_area") or {}
    area = str(model.get("area") or "district")
    domain = model.get("domain")
    labels = [
        f"{data.place(city, lang)} {data.district(city, district, lang)}" if domain
        else data.district(None, district, lang)
        for city, district in zip(table[domain] if domain else [""] * len(table), table[area], strict=True)
    ]  # fmt: skip
    figure, axis = plt.subplots(figsize=(7.5, 1.0 + 0.34 * len(table)))
    for position, row in enumerate(table.itertuples()):
        if pd.notna(row.direct) and pd.notna(row.direct_ci_lower):
            axis.errorbar(row.direct, position - 0.17,
                          xerr=[[max(row.direct - row.direct_ci_lower, 0)], [max(row.direct_ci_upper - row.direct, 0)]],
                          fmt="s", color="#999999", markersize=4, capsize=2,
                          label=t("direct", lang) if position == 0 else None)  # fmt: skip
        axis.errorbar(row.eblup, position + 0.17,
                      xerr=[[max(row.eblup - row.ci_lower, 0)], [max(row.ci_upper - row.eblup, 0)]],
                      fmt="o", color="#2b8cbe", markersize=4, capsize=2,
                      label="EBLUP" if position == 0 else None)  # fmt: skip
    _label_rows(axis, labels, fontsize=7)
    axis.invert_yaxis()
    axis.xaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_xlabel(t("rate", lang))
    axis.set_title(t("chart_districts", lang))
    axis.grid(axis="x", alpha=0.3)
    axis.legend(fontsize=8, loc="lower right")
    figure.set_dpi(dpi)
    return figure_png(figure)


def all_charts(data: ReportData, lang: str, dpi: int = 110) -> dict[str, bytes]:
    """Every chart the data allow, keyed by the TEXT key of its title; ``dpi``
    110 for a screen, about 220 for print (the Word report)."""
    charts = {"chart_targets": targets_chart(data, lang, dpi), "chart_trajectory": trajectory_chart(data, lang, dpi)}
    if not data.grades.empty:
        charts["chart_grades"] = grades_chart(data, lang, dpi)
    if not data.disparities.empty and data.disparities["estimate"].notna().any():
        charts["chart_groups"] = groups_chart(data, lang, dpi)
    if not data.small_area.empty:
        charts["chart_districts"] = districts_chart(data, lang, dpi)
    return charts
