"""Issue 14 point 4, the rendering: the change since the previous survey in
every report format and the trajectory chart with both waves.

Two cities, worked by hand: Wuhai, 12% (se 1.0 point, 45 df) now against a
published 10% with a standard error of 0.75 points; Xuzhou, 15% (se 2.0
points) against a published 11.7% without a standard error (taken as fixed).
Independent samples, so the variances add (Kish 1965, 12.4):
  Wuhai:  change 2.0 points, se sqrt(1.0^2 + 0.75^2) = 1.25 points,
          Welch df = 1.25^4 / (1.0^4 / 45) = 109.86, t(0.975) = 1.9818,
          interval 2.0 -/+ 2.477 = -0.48 to +4.48, p = 2 P(T > 1.6) = 0.112;
  Xuzhou: change 3.3 points, se 2.0 (the published figure adds nothing),
          df 45, t(0.975) = 2.0141, interval 3.3 -/+ 4.028 = -0.73 to +7.33,
          p = 2 P(T > 1.65) = 0.106."""

from __future__ import annotations

import math

import docx
import numpy as np
import openpyxl
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from scipy import stats

import literacy
from literacy.assessment import change
from literacy.report import ReportData, report
from literacy.report import charts as chart_module
from literacy.report.tables import header

CURRENT = pd.DataFrame({"city": ["wuhai", "xuzhou"], "estimate": [0.12, 0.15], "se": [0.01, 0.02],
                        "ci_lower": [0.10, 0.11], "ci_upper": [0.14, 0.19], "df": [45.0, 45.0], "n": [660, 690],
                        "flags": ["", ""]})  # fmt: skip
PUBLISHED = pd.DataFrame({"city": ["wuhai", "xuzhou"], "estimate": [0.10, 0.117], "se": [0.0075, np.nan]})
PLANS = ["wuhai-2021-2025", "xuzhou-2021-2035"]


def hand_worked() -> dict[str, tuple[float, float, float, float]]:
    """(change, lower, upper, p) in proportions, from the formulas above."""
    out = {}
    for city, (p1, se1, p0, se0) in {"wuhai": (0.12, 0.01, 0.10, 0.0075), "xuzhou": (0.15, 0.02, 0.117, 0.0)}.items():
        v1, v0 = se1**2, se0**2
        df = (v1 + v0) ** 2 / (v1**2 / 45)  # Welch-Satterthwaite; the published figure's df is infinite
        se = math.sqrt(v1 + v0)
        t = stats.t.ppf(0.975, df)
        out[city] = (p1 - p0, p1 - p0 - t * se, p1 - p0 + t * se, 2 * stats.t.sf((p1 - p0) / se, df))
    return out


@pytest.fixture(scope="module", params=["same", "different"])
def data(request):
    previous_standard = "cast-2024" if request.param == "same" else "crisp-classic"
    moved = change(CURRENT, PUBLISHED, year=2025, previous_year=2020, standard="cast-2024",
                   previous_standard=previous_standard)  # fmt: skip
    assessment = literacy.gap(CURRENT, PLANS, year=2025)
    return ReportData(assessment, CURRENT, plans=[literacy.load_plan(p) for p in PLANS], change=moved)


def test_the_hand_worked_numbers():
    worked = hand_worked()
    assert worked["wuhai"][1] == pytest.approx(-0.00477, abs=1e-4)
    assert worked["wuhai"][3] == pytest.approx(0.1125, abs=1e-3)
    assert worked["xuzhou"][2] == pytest.approx(0.07328, abs=1e-4)


def _row(markdown: str, city: str) -> list[str]:
    section = markdown.split("## 与上次调查相比的变化", 1)[1].split("\n## ", 1)[0]
    line = next(line for line in section.splitlines() if line.startswith(f"| {city} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_markdown_and_word_show_the_change_row(data, tmp_path):
    worked = hand_worked()
    markdown = report(data, tmp_path / "report.md").read_text(encoding="utf-8")
    document = docx.Document(str(report(data, tmp_path / "report.docx")))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "城市")
    # Word shows a negative number with the minus sign (U+2212), which keeps it on one line.
    word_rows = {row.cells[0].text: [c.text.replace("\u2212", "-") for c in row.cells] for row in table.rows[1:]}
    for city, name in (("wuhai", "乌海市"), ("xuzhou", "徐州市")):
        delta, low, high, p = worked[city]
        expected = [f"{100 * delta:+.1f}", f"{100 * low:+.1f} – {100 * high:+.1f}", f"{p:.3f}"]
        for row in (_row(markdown, name), word_rows[name]):
            assert row[7:10] == expected, (city, row)
    wuhai, xuzhou = _row(markdown, "乌海市"), word_rows["徐州市"]
    assert wuhai[1:4] == ["2020", "10.0%", "0.75"] and xuzhou[1:4] == ["2020", "11.7%", "–"]
    assert "上次数据无标准误" in xuzhou[-1] and "上次数据无标准误" not in wuhai[-1]
    assert "上次调查的数值没有公布标准误，按固定值处理" in markdown  # the sentence under the table (the note column's)


def test_not_like_for_like_is_said_in_every_format(data, tmp_path):
    different = not data.change["like_for_like"].all()
    english = report(data, tmp_path / "report-en.md", lang="en").read_text(encoding="utf-8")
    page = report(data, tmp_path / "report.html").read_text(encoding="utf-8")
    document = docx.Document(str(report(data, tmp_path / "report.docx")))
    words = "\n".join([p.text for p in document.paragraphs] + [c.text for t in document.tables
                                                                  for r in t.rows for c in r.cells])  # fmt: skip
    for text in (page, words):
        assert ("口径不同，不可直接比较" in text) == different
    assert ("Not like for like" in english) == different
    assert "The earlier figure was published without a standard error and is taken as fixed" in english
    if different:
        assert "各维度均达标" in page and "百分制等级" in page  # both standards named


def test_the_workbook_keeps_the_change_in_points(data, tmp_path):
    """The change, headed "(points)", is stored in points (0.031 as 3.1) under
    a points format, not as a percent; p as a number with "<0.001" below."""
    worked = hand_worked()
    sheet = openpyxl.load_workbook(report(data, tmp_path / "report.xlsx"))["与上次调查比较"]
    head = [c.value for c in sheet[1]]
    rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    for city, name in (("wuhai", "乌海市"), ("xuzhou", "徐州市")):
        for column, value in zip(("change", "ci_lower", "ci_upper", "p_value"), worked[city], strict=True):
            title = header(column, "zh") if column != "ci_lower" else "置信区间下限"
            cell = sheet.cell(row=rows[name], column=head.index(title) + 1)
            scale = 1 if column == "p_value" else 100
            assert cell.value == pytest.approx(scale * value, abs=1e-4), (city, column)
        shown = sheet.cell(row=rows[name], column=head.index(header("change", "zh")) + 1)
        assert shown.number_format == "+0.0;-0.0;0.0" and "%" not in shown.number_format
        p = sheet.cell(row=rows[name], column=head.index(header("p_value", "zh")) + 1)
        assert p.number_format == '[<0.001]"<0.001";0.000'
        for column in ("this_year", "previous_year"):
            year = sheet.cell(row=rows[name], column=head.index(header(column, "zh")) + 1).value
            assert isinstance(year, int) and 2000 < year < 2100, (column, year)


def test_the_trajectory_chart_shows_both_waves(data, monkeypatch):
    figures = []
    render = chart_module.figure_png

    def keep(figure):
        figures.append(figure)
        return render(figure)

    monkeypatch.setattr(chart_module, "figure_png", keep)
    chart_module.trajectory_chart(data, "zh")
    axis = figures[0].axes[0]
    points = {(round(float(x), 3), round(float(y), 4)) for line in axis.lines
              for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)}  # fmt: skip
    assert {(2020.0, 0.10), (2020.0, 0.117), (2025.0, 0.12), (2025.0, 0.15)} <= points
    # Wuhai's earlier figure with its interval (1.96 se each way); Xuzhou's, fixed, without one.
    spans = [segment for collection in axis.collections if isinstance(collection, LineCollection)
             for segment in collection.get_segments() if np.allclose(segment[:, 0], 2020)]  # fmt: skip
    assert len(spans) == 1
    assert sorted(spans[0][:, 1]) == pytest.approx([0.10 - 1.959964 * 0.0075, 0.10 + 1.959964 * 0.0075])
    legend = [text.get_text() for text in axis.get_legend().get_texts()]
    assert "上次调查" in legend


def test_no_previous_wave_no_change_section(tmp_path):
    data = ReportData(literacy.gap(CURRENT, PLANS, year=2025), CURRENT, plans=[literacy.load_plan(p) for p in PLANS])
    markdown = report(data, tmp_path / "report.md").read_text(encoding="utf-8")
    assert "与上次调查" not in markdown
    assert "上次调查" not in report(data, tmp_path / "r.html").read_text("utf-8")
