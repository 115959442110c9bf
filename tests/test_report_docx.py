"""Issue 14 point 1: the Word report. `literacy demo` writes report.docx;
python-docx reads its tables back (the three cities in the headline table),
its charts are embedded images at print resolution, every run names an East
Asian font, its tables fit A4, and LibreOffice turns it into a PDF whose
text is Chinese (skipped, saying why, where LibreOffice is absent)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import docx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn
from PIL import Image

import literacy
from literacy.cli import main
from literacy.report import ReportData, report
from literacy.report.docx import EAST_ASIAN_FONT, TEXT_WIDTH_CM, column_widths
from literacy.report.pdf import docx_to_pdf, soffice

CITIES = ["乌海市", "徐州市", "深圳市"]


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docx") / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def test_demo_writes_a_word_report_python_docx_reads(demo_folder):
    document = docx.Document(str(demo_folder / "report.docx"))
    headline = document.tables[0]
    assert [cell.text for cell in headline.columns[0].cells] == ["地区", *CITIES]
    status = [row.cells[5].text for row in headline.rows[1:]]
    assert status == ["无法判断（样本不足以区分）", "未达到", "无法判断（样本不足以区分）"]
    fills = [row.cells[5]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) for row in headline.rows[1:]]
    assert fills == ["F1A340", "D73027", "F1A340"]  # the status in its colour, as in the HTML
    texts = "\n".join(p.text for p in document.paragraphs)
    assert texts.startswith("公民科学素质调查：目标差距评估") and "方法说明" in texts and "报告日期" in texts
    assert "徐州市: 未达到：估计值 11.2%" in texts  # the evidence sentences follow the table


def test_the_charts_are_embedded_images_at_print_resolution(demo_folder):
    document = docx.Document(str(demo_folder / "report.docx"))
    shapes = document.inline_shapes
    assert len(shapes) == 5  # targets, trajectory, grades, group gaps, districts
    for shape in shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        image = document.part.related_parts[blip.embed]
        picture = Image.open(io.BytesIO(image.blob))
        inches = shape.width / 914400
        assert picture.format == "PNG" and picture.width / inches >= 200  # dots per inch on the page
        pixels = np.asarray(picture.convert("L"), dtype=float)
        assert pixels.std() > 5 and (pixels < 128).mean() > 0.003  # not blank


def test_every_run_names_an_east_asian_font_and_tables_fit_a4(demo_folder):
    document = docx.Document(str(demo_folder / "report.docx"))
    body = document.element.body
    runs = body.findall(".//" + qn("w:r"))
    assert len(runs) > 500
    missing = [r for r in runs if r.find(qn("w:rPr")) is None
               or r.find(qn("w:rPr")).find(qn("w:rFonts")) is None
               or r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) != EAST_ASIAN_FONT]  # fmt: skip
    assert not missing, "".join(r.xpath("string(.)") for r in missing[:5])
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    text_width = (section.page_width - section.left_margin - section.right_margin) / 360000  # EMU to cm
    for table in document.tables:
        grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
        width = sum(int(col.get(qn("w:w"))) for col in grid) / 567  # twips to cm
        assert width <= text_width + 0.05, [c.text for c in table.rows[0].cells]


def test_column_widths_keep_a_place_name_whole():
    cells = [["地区", "估计值", "依据"], ["乌海市", "12.0%", "无法判断：估计值 12.0%，置信区间包含目标" * 3],
             ["鄂尔多斯市", "9.1%", "未达到"]]  # fmt: skip
    widths = column_widths(cells, nowrap_first=True, font_pt=8)
    assert sum(widths) == pytest.approx(TEXT_WIDTH_CM)
    one_em = 8 * 0.03528
    assert widths[0] >= 5 * one_em + 0.38  # five characters and the cell margins: 鄂尔多斯市 on one line
    assert widths[2] > widths[1]


def test_control_characters_in_a_value_do_not_break_the_document(tmp_path):
    """XML cannot hold a form feed: a plan name with one is written with a space."""
    estimates = pd.DataFrame({"city": ["wuhai"], "estimate": [0.12], "se": [0.01], "ci_lower": [0.1],
                              "ci_upper": [0.14], "df": [40], "n": [600], "flags": [""]})  # fmt: skip
    assessment = literacy.gap(estimates, ["wuhai-2021-2025"], year=2025)
    data = ReportData(assessment, methods={"note": "line\x0cbreak\x00"}, plans=[literacy.load_plan("wuhai-2021-2025")])
    path = report(data, tmp_path / "r.docx")
    methods = docx.Document(str(path)).tables[-1]
    assert [cell.text for cell in methods.rows[0].cells] == ["note", "line break "]


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (Debian: libreoffice-writer-nogui; "
                    "`make office` installs it), so the DOCX -> PDF conversion cannot be checked")  # fmt: skip
def test_libreoffice_converts_the_word_report_with_readable_chinese(demo_folder, tmp_path):
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftotext, pdftoppm) is not installed")
    source = tmp_path / "report.docx"
    shutil.copy(demo_folder / "report.docx", source)
    pdf = docx_to_pdf(source, tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for word in ["各地区结果", *CITIES, "与目标", "方法说明"]:
        assert word in text, word
    assert re.search(r"^\s*1\s*/\s*\d+\s*$", text, re.MULTILINE)  # the footer's page numbers
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    page = np.asarray(Image.open(next(tmp_path.glob("page*.png"))).convert("L"), dtype=float)
    assert (page < 128).mean() > 0.01  # text, table and chart on the first page
