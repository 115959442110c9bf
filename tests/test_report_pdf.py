"""Issue 14 point 2: the PDF report. Headless Chromium prints the HTML (A4,
page numbers); LibreOffice converts the Word report where only it is
installed; without either, one sentence says what to install. The first
page is rendered (pdftoppm) and must not be blank, and its text (pdftotext)
is Chinese."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import literacy
from literacy.cli import main
from literacy.report import report
from literacy.report.pdf import NO_RENDERER, chromium, soffice, write_pdf

POPPLER = shutil.which("pdftoppm") is not None and shutil.which("pdftotext") is not None
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftoppm, pdftotext) is not installed")


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf") / "demo"
    literacy.demo(folder)
    return folder


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _first_page(pdf, folder) -> np.ndarray:
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(folder / "page")], check=True)
    return np.asarray(Image.open(next(folder.glob("page*.png"))).convert("L"), dtype=float)


@needs_poppler
@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (Debian: chromium; `make browser`)")
def test_format_pdf_prints_the_report_with_chromium(demo_folder, tmp_path):
    """`literacy report --format pdf` from the run's files: A4 pages, numbered,
    a first page with the Chinese headline table and a chart."""
    out = tmp_path / "report.pdf"
    arguments = ["report", str(demo_folder / "assessment.csv"), "--estimates", str(demo_folder / "estimates.csv"),
                 "-o", str(out), "--format", "pdf"]  # fmt: skip
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"%PDF-"
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert width == pytest.approx(595.28, abs=1) and height == pytest.approx(841.89, abs=1)  # A4 in points
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    text = _text(out)
    for word in ("公民科学素质调查", "各地区结果", "乌海市", "徐州市", "深圳市", "未达到"):
        assert word in text, word
    assert "今后每年" in text  # finding 8: a Chinese header keeps four characters a line, not one
    assert re.search(rf"^\s*1\s*/\s*{pages}\s*$", text, re.MULTILINE)  # the footer's page number
    assert "file://" not in text  # not Chromium's default footer with the temporary file's address
    page = _first_page(out, tmp_path)
    assert page.std() > 10 and (page < 128).mean() > 0.01
    assert (page < 250).any(axis=1).mean() > 0.3  # ink over much of the page, not one line


@needs_poppler
@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (Debian: libreoffice-writer-nogui; "
                    "`make office`)")  # fmt: skip
def test_libreoffice_makes_the_pdf_from_the_word_report(demo_folder, tmp_path):
    data = literacy.ReportData(literacy.read(demo_folder / "assessment.csv"),
                               plans=[literacy.load_plan(p) for p in ("wuhai-2021-2025", "xuzhou-2021-2035",
                                                                     "shenzhen-2022-2025")])  # fmt: skip
    out = write_pdf(data, tmp_path / "report.pdf", "zh", using="libreoffice")
    text = _text(out)
    assert "各地区结果" in text and "深圳市" in text
    assert (_first_page(out, tmp_path) < 128).mean() > 0.01


def test_without_chromium_or_libreoffice_one_sentence_says_what_to_install(demo_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no renderer to be found
    result = CliRunner().invoke(main, ["report", str(demo_folder / "assessment.csv"), "-o",
                                       str(tmp_path / "report.pdf")])  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert NO_RENDERER in result.stderr and "apt-get install chromium" in result.stderr
    assert not (tmp_path / "report.pdf").exists()


def test_a_pdf_is_never_written_over_without_force(demo_folder, tmp_path):
    out = tmp_path / "report.pdf"
    out.write_bytes(b"keep")
    data = literacy.ReportData(literacy.read(demo_folder / "assessment.csv"))
    with pytest.raises(literacy.LiteracyError, match="force"):
        report(data, out)
    assert out.read_bytes() == b"keep"


def _files_data(folder) -> literacy.ReportData:
    assessment = literacy.read(folder / "assessment.csv")
    plans = [literacy.load_plan(p) for p in sorted(set(assessment["plan"].astype(str)))]
    tables = [literacy.read(folder / f"{name}.csv") for name in ("estimates", "grades", "disparities")]
    return literacy.ReportData(assessment, *tables, plans=plans)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_grade_chart_legend_covers_no_axis_label(demo_folder, monkeypatch, lang):
    """Finding 9: the legend sits below the axis: it overlaps neither the
    tick labels nor an axis label (the "%" once sat half under it)."""
    from literacy.report import charts

    figures = []
    render = charts.figure_png
    monkeypatch.setattr(charts, "figure_png", lambda figure: (figures.append(figure), render(figure))[1])
    charts.grades_chart(_files_data(demo_folder), lang)
    figure = figures[0]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)  # the closed figure, drawn again as saved
    canvas.draw()
    renderer = canvas.get_renderer()
    axis = figure.axes[0]
    legend = axis.get_legend() or figure.legends[0]
    box = legend.get_window_extent(renderer)
    labels = [*axis.get_xticklabels(), axis.xaxis.label]
    for label in labels:
        if label.get_text():
            assert not box.overlaps(label.get_window_extent(renderer)), label.get_text()
    assert box.y1 <= min(label.get_window_extent(renderer).y0 for label in axis.get_xticklabels()) + 1


def test_the_group_gap_chart_takes_the_width_of_the_printed_page(demo_folder):
    """Finding 10: in the PDF the group-gap chart (many rows, so tall) is
    not shrunk by the print height limit: it fills the page's width, and its
    row labels print at 7 pt or more."""
    from literacy.report import charts, html

    data = _files_data(demo_folder)
    png = charts.groups_chart(data, "zh")
    picture = Image.open(__import__("io").BytesIO(png))
    limit_mm = float(re.search(r"figure img\{[^}]*max-height:(\d+)mm", html._PRINT_CSS)[1])
    page_mm = 210 - 2 * 0.45 * 25.4  # A4 less Chromium's margins (pdf.py)
    shown_mm = min(page_mm, limit_mm * picture.width / picture.height)
    assert shown_mm >= 0.95 * page_mm, shown_mm
    inches = picture.width / 110  # the chart's own dpi
    assert 8 * (shown_mm / 25.4) / inches >= 7  # the labels' 8 pt, as printed
