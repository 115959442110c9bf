"""Chart fonts: a CJK font installed after matplotlib cached its font list is
still used, and without any CJK font the charts are English, never boxes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text as TextArtist

from literacy import load_plan
from literacy.report import charts
from literacy.report.data import ReportData

GLYPH = "Glyph"  # matplotlib: "Glyph 20044 (...) missing from font(s) DejaVu Sans."


def _data() -> ReportData:
    """A report of two jurisdictions whose assessment names are Chinese;
    one has its plan (an English name), one has none."""
    wuhai = load_plan("wuhai-2021-2025")
    assessment = pd.DataFrame(
        {
            "jurisdiction": ["wuhai", "x-city"],
            "name": ["乌海市", "某市"],
            "plan": [wuhai.id, "no-such-plan"],
            "year": [2025, 2025],
            "estimate": [12.0, 20.0],
            "ci_lower": [9.4, 15.0],
            "ci_upper": [15.2, 25.0],
            "target": [12.0, np.nan],
            "baseline": [9.0, np.nan],
            "baseline_year": [2020, np.nan],
            "target_year": [2025, np.nan],
            "status": ["cannot_tell", "no_target"],
        }
    )
    return ReportData(assessment, plans=[wuhai])


_SCRIPT = """
import json, sys, warnings
from matplotlib import font_manager
cached = sorted({e.name for e in font_manager.fontManager.ttflist if e.fname == sys.argv[1]})
sys.path.insert(0, sys.argv[2])
from test_charts import _data
from literacy.report import charts
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    lang = charts.chart_language("zh")
    png = charts.targets_chart(_data(), lang) + charts.trajectory_chart(_data(), lang)
print(json.dumps({"cached": cached, "lang": lang, "bytes": len(png),
                  "family": charts.plt.rcParams["font.family"][0],
                  "warnings": [str(w.message) for w in caught]}))
"""


def test_a_font_installed_after_the_cache_was_built_is_used(tmp_path):
    font = charts.cjk_font_file()
    if font is None:
        pytest.skip("no CJK font file on this machine (on Debian: apt-get install fonts-noto-cjk)")
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True)
    # Make the cache predate the font: drop every entry of a CJK font file.
    (cache,) = tmp_path.glob("fontlist-*.json")
    listed = json.loads(cache.read_text(encoding="utf-8"))
    cjk_files = {font, *charts._fontconfig_files()}
    listed["ttflist"] = [e for e in listed["ttflist"] if e["fname"] not in cjk_files]
    cache.write_text(json.dumps(listed), encoding="utf-8")
    script = [sys.executable, "-c", _SCRIPT, font, str(Path(__file__).parent)]
    result = json.loads(subprocess.run(script, env=env, check=True, capture_output=True, text=True).stdout)
    assert result["cached"] == []  # matplotlib's own list did not know the font
    assert result["lang"] == "zh"
    assert result["family"] != "DejaVu Sans"
    assert result["bytes"] > 0
    assert not [w for w in result["warnings"] if GLYPH in w], result["warnings"]


def test_without_a_cjk_font_one_warning_and_english_labels(monkeypatch):
    monkeypatch.setattr(charts, "cjk_font_file", lambda: None)
    monkeypatch.setitem(charts.plt.rcParams, "font.family", ["sans-serif"])
    seen: list[str] = []
    render = charts.figure_png

    def spy(figure):
        """The texts before rendering (names must already be English) and after."""
        seen.extend(a.get_text() for a in figure.findobj(TextArtist))
        png = render(figure)
        return png

    monkeypatch.setattr(charts, "figure_png", spy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lang = charts.chart_language("zh")
        produced = charts.all_charts(_data(), lang)
    assert lang == "en"
    assert [str(w.message) for w in caught] == [charts.NO_FONT_WARNING]
    assert set(produced) == {"chart_targets", "chart_trajectory"}
    assert "Wuhai" in seen  # the plan's English name, not the assessment's 乌海市
    assert "x-city" in seen  # no plan: the code, not 某市
    assert not [text for text in seen if charts.has_cjk(text)], seen


def test_cjk_text_left_in_a_chart_without_a_font_is_replaced_not_drawn_as_boxes(monkeypatch):
    monkeypatch.setitem(charts.plt.rcParams, "font.family", ["sans-serif"])
    figure, axis = charts.plt.subplots()
    axis.set_title("城镇 − 农村")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts.figure_png(figure)
    assert axis.get_title() == "?? − ??"
    assert not [w for w in caught if GLYPH in str(w.message)]
