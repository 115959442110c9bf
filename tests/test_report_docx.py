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
from literacy.report.docx import EAST_ASIAN_FONT, PADDING_CM, TEXT_WIDTH_CM, column_widths, display_width
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
    assert widths[0] >= 5 * one_em + PADDING_CM  # five characters and the cell margins: 鄂尔多斯市 on one line
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


def _files_report(folder, out, *extra: str) -> CliRunner:
    """`literacy report` from the files a run wrote, as a new user makes one."""
    arguments = ["report", str(folder / "assessment.csv"), "--estimates", str(folder / "estimates.csv"),
                 "--grades", str(folder / "grades.csv"), "--disparities", str(folder / "disparities.csv"),
                 "--methods", str(folder / "report.json"), "-o", str(out), *extra]  # fmt: skip
    return CliRunner().invoke(main, arguments)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_header_is_narrower_than_its_longest_word(demo_folder, tmp_path, lang):
    """Finding 8: every column is at least as wide as its header's longest
    English word ("Estimate", not "Estimat/e") or four Chinese characters
    (标准误（百分点） in lines of four, not of one or two), at the table's font."""
    path = tmp_path / f"report-{lang}.docx"
    made = _files_report(demo_folder, path, "--lang", lang, "--small-area", str(demo_folder / "small_area.csv"))
    assert made.exit_code == 0, made.output
    checked = 0
    for table in docx.Document(str(path)).tables[:-1]:  # the methods table has no header
        header = table.rows[0].cells
        size = header[0].paragraphs[0].runs[0].font.size.pt
        em_cm = size * 0.03528
        grid = [int(col.get(qn("w:w"))) / 567 for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        for cell, width in zip(header, grid, strict=True):
            text = cell.text
            if re.search(r"[\u4e00-\u9fff]", text):
                latin = max((display_width(w) for w in re.findall(r"[A-Za-z0-9%.]+", text)), default=0)
                least = max(min(display_width(text), 4.0), latin)
            else:
                least = max(display_width(word) for word in text.split())
            assert width >= least * em_cm + 2 * 0.1, (text, width, size)
            checked += 1
    assert checked > 30


def test_a_format_that_contradicts_the_extension_is_refused(demo_folder, tmp_path):
    """Finding 5: --format docx -o r.pdf (a Word file named .pdf) is refused,
    in one sentence, with nothing written; through the API as well."""
    for kind, name in (("docx", "r.pdf"), ("pdf", "x.docx"), ("md", "r.html")):
        made = _files_report(demo_folder, tmp_path / name, "--format", kind)
        assert made.exit_code == 1 and "Traceback" not in made.output, made.output
        assert f"says {name.rsplit('.', 1)[1]} but the format asked for is {kind}" in made.output
        assert not (tmp_path / name).exists()
    data = ReportData(literacy.read(demo_folder / "assessment.csv"), plans=[literacy.load_plan("wuhai-2021-2025")])
    with pytest.raises(literacy.LiteracyError, match="report_format="):
        report(data, tmp_path / "r.xlsx", report_format="json")
    assert report(data, tmp_path / "r.out", report_format="json").is_file()  # no known extension: the format decides


def test_report_from_files_has_the_district_section_only_with_the_district_table(demo_folder, tmp_path):
    """Finding 12: --small-area (and --district-gaps) give a report made
    outside `run` its district section; without it the methods leave the
    small-area model out; a wrong file is refused."""
    without, with_ = tmp_path / "without.md", tmp_path / "with.md"
    assert _files_report(demo_folder, without).exit_code == 0
    made = _files_report(demo_folder, with_, "--small-area", str(demo_folder / "small_area.csv"))
    assert made.exit_code == 0, made.output
    plain, districts = without.read_text(encoding="utf-8"), with_.read_text(encoding="utf-8")
    assert "区县估计" not in plain and "小区域估计" not in plain and "Fay-Herriot" not in plain
    assert "## 区县估计（小区域估计）" in districts and "小区域估计 / 模型: Fay-Herriot" in districts
    assert "| 深圳市 | shenzhen-d1 |" in districts
    wrong = _files_report(demo_folder, tmp_path / "wrong.md", "--small-area", str(demo_folder / "estimates.csv"))
    assert wrong.exit_code == 1 and "has no column 'district'" in wrong.output and "Traceback" not in wrong.output
    alone = _files_report(demo_folder, tmp_path / "alone.md", "--district-gaps", str(demo_folder / "estimates.csv"))
    assert alone.exit_code == 1 and "--small-area" in alone.output
    assert not (tmp_path / "wrong.md").exists() and not (tmp_path / "alone.md").exists()
