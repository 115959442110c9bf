"""Issue 14 point 3: labels, not codes, in every table of every report format.

The demo's tables (read back from its files, as `literacy report` does) with
counted targets and a change since a previous survey are written as HTML,
XLSX, Word and Markdown in Chinese and English; every table of every file is
read back with its own reader (an HTML parser, openpyxl, python-docx, the
Markdown pipe tables) and no header may be an internal column name and no
cell a raw code (a city code, a respondent option such as ``female``, a
grade or status id, a breakdown such as ``city*sex``, or the 1/2 code of a
respondent question)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import docx
import openpyxl
import pandas as pd
import pytest

import literacy
from literacy.assessment import COUNTED_STATUSES, PROGRESS, STATUSES, change, counted_progress
from literacy.instrument import list_instruments, respondent_block
from literacy.plans import BASES, COMPARATORS, load_plan
from literacy.report import ReportData, report
from literacy.report.data import FLAG_TEXT
from literacy.report.tables import variable_label

PLANS = ["wuhai-2021-2025", "xuzhou-2021-2035", "shenzhen-2022-2025"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labels") / "demo"
    literacy.demo(folder)
    assessment = literacy.read(folder / "assessment.csv")
    estimates = literacy.read(folder / "estimates.csv")
    published = pd.DataFrame({"city": ["wuhai", "xuzhou", "shenzhen"], "estimate": [0.09, 0.117, 0.211],
                              "se": [0.012, float("nan"), 0.015]})  # fmt: skip
    moved = change(estimates, published, year=2025, previous_year=2020, standard="cast-2024",
                   previous_standard="crisp-classic")  # fmt: skip
    actuals = pd.DataFrame({"target": ["farmers_trained", "activity_coverage"], "year": [2023, 2023],
                            "value": [5000, 0.62]})
    return ReportData(
        assessment,
        estimates,
        literacy.read(folder / "grades.csv"),
        literacy.read(folder / "disparities.csv"),
        counted_progress("xuzhou-2021-2035", actuals, year=2025),
        json.loads((folder / "report.json").read_text(encoding="utf-8"))["methods"],
        [load_plan(p) for p in PLANS],
        small_area=literacy.read(folder / "small_area.csv"),
        change=moved,
    )


def internal_names(data: ReportData) -> set[str]:
    """Every column name of every table the report is made from."""
    frames = (data.assessment, data.estimates, data.grades, data.disparities, data.counted, data.small_area,
              data.change)  # fmt: skip
    return {str(c) for frame in frames for c in frame.columns}


def raw_codes(data: ReportData) -> set[str]:
    """The codes a person should never read in a table."""
    codes = {p.code for p in data.plans} | {p.id for p in data.plans}
    codes |= {choice.name for field in respondent_block() for choice in field.options}
    codes |= {grade.id for instrument in list_instruments() for grade in instrument.standard.grades}
    codes |= set(STATUSES) | set(PROGRESS) | set(COUNTED_STATUSES) | set(FLAG_TEXT)
    codes |= {str(b) for b in data.estimates["breakdown"].unique() if "*" in str(b)}
    codes |= {str(t) for t in data.counted["target"]} | set(BASES) | set(COMPARATORS)
    codes |= {"cast-2024", "crisp-classic", "weighted_grades", "all_dimensions_pass", "True", "False", "nan"}
    return codes - {"", "level"}


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append(text)


def html_tables(path) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def xlsx_tables(path) -> list[list[list[str]]]:
    workbook = openpyxl.load_workbook(path)
    return [[["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets]  # fmt: skip


def docx_tables(path) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in docx.Document(str(path)).tables]


def md_tables(path) -> list[list[list[str]]]:
    tables, current = [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("|"):
            if not re.fullmatch(r"\|(---\|)+", line):
                cells = re.split(r"(?<!\\)\|", line)[1:-1]
                current.append([c.strip().strip("*").replace("\\|", "|") for c in cells])
        elif current:
            tables.append(current)
            current = []
    return tables


READERS = {"html": html_tables, "xlsx": xlsx_tables, "docx": docx_tables, "md": md_tables}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["html", "xlsx", "docx", "md"])
def test_no_table_shows_a_column_name_or_a_code(data, tmp_path, kind, lang):
    path = report(data, tmp_path / f"report.{kind}", lang=lang)
    tables = READERS[kind](path)
    # headline, change, gaps, districts, estimates, counted (and methods, grades as tables in XLSX and Word)
    assert len(tables) >= 6, [t[0] for t in tables]
    names, codes = internal_names(data), raw_codes(data)
    respondent = {variable_label(f.id, lang) for f in respondent_block() if f.options} - {None}
    problems = []
    for table in tables:
        header, *rows = table
        methods = kind == "docx" and len(header) == 2 and not header[0].strip()  # the Word methods table: no header
        for cell in header:
            if cell in names:
                problems.append(f"header {cell!r}")
            if lang == "zh" and re.fullmatch(r"[A-Za-z_]+", cell) and cell not in ("EBLUP",):
                problems.append(f"English header {cell!r} in the Chinese report")
        coded = [i for i, cell in enumerate(header) if cell in respondent]
        for row in [header, *rows] if methods else rows:
            last = len(row) - 1
            for position, cell in enumerate(row):
                if methods and position == last:
                    continue  # the methods' values: variable names, as the user named them
                if cell in codes:
                    problems.append(f"code {cell!r} under {header[position] if position < len(header) else '?'!r}")
                if position in coded and re.fullmatch(r"\d+(\.0)?", cell):
                    problems.append(f"numeric code {cell!r} under {header[position]!r}")
    assert not problems, problems[:20]


@pytest.mark.parametrize("kind", ["html", "xlsx", "docx", "md"])
def test_labels_as_the_respondent_block_and_the_plans_write_them(data, tmp_path, kind):
    """The words themselves: city names as the plans write them, 城镇/农村,
    男/女, translated headers, and shares in percent (XLSX: a percent format)."""
    path = report(data, tmp_path / f"report.{kind}", lang="zh")
    cells = {cell for table in READERS[kind](path) for row in table for cell in row}
    assert {p.name.zh for p in data.plans} <= cells
    assert {"估计值", "有效样本量", "设计效应"} <= cells
    if kind == "xlsx":
        assert {"置信区间下限", "标准误（百分点）"} <= cells
        workbook = openpyxl.load_workbook(path)
        sheet = workbook["分组估计"]
        header = [c.value for c in sheet[1]]
        column = header.index("估计值") + 1
        assert all(sheet.cell(row=r, column=column).number_format == "0.0%" for r in range(2, sheet.max_row + 1))
        assert {"城镇", "农村", "男", "女"} <= cells
    else:
        assert "95% 置信区间" in cells and any(re.fullmatch(r"\d+\.\d%", c) for c in cells)
        assert any("城镇" in c for c in cells) and any("女" in c for c in cells)


def test_an_english_report_of_a_chinese_assessment_is_in_english(data, tmp_path):
    """The assessment holds Chinese names and sentences; `--lang en` shows
    the plans' English names and the evidence in English."""
    assert data.assessment["name"].tolist() == ["乌海市", "徐州市", "深圳市"]
    markdown = report(data, tmp_path / "report.md", lang="en").read_text(encoding="utf-8")
    head = markdown.split("## Change since", 1)[0]
    assert not re.search(r"[\u4e00-\u9fff]", head), head
    assert "| Wuhai |" in head and "- Xuzhou: Not met: the estimate" in head


# Findings of the new-user test (reports): 7, 11, 15.
_PROPER_NAMES = ("Fay-Herriot", "Shapiro-Wilk", "Kish", "EBLUP", "REML", "R survey", "svydesign", "ids", "strata",
                 "logit", "PSU", "cast-2024")  # fmt: skip


@pytest.mark.parametrize("kind", ["md", "html", "docx", "xlsx"])
def test_the_methods_section_of_a_chinese_report_is_in_chinese(data, tmp_path, kind):
    """Finding 7: the instrument by its Chinese title, methods in words,
    variables by their labels (the column name only in brackets after one),
    no English sentence: every Latin word left is a proper name or a code."""
    path = report(data, tmp_path / f"report.{kind}", lang="zh")
    if kind == "xlsx":
        sheet = openpyxl.load_workbook(path)["方法"]
        rows = [(str(a.value), str(b.value)) for a, b in sheet.iter_rows(min_row=2)]
    elif kind == "docx":
        rows = [(r.cells[0].text, r.cells[1].text) for r in docx.Document(str(path)).tables[-1].rows]
    else:
        text = path.read_text(encoding="utf-8")
        section = text[text.index("方法说明"):]
        rows = [tuple(line[2:].split(": ", 1)) for line in section.splitlines() if line.startswith("- ")]
        if kind == "html":
            rows = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section)
    values = dict(rows)
    instrument = next(i for i in list_instruments() if i.id == "cast-2024")
    assert values["问卷"].startswith(instrument.title.zh)
    assert values["加权 / 方法"] == "迭代比例拟合（耙式加权）"
    assert values["抽样设计 / 权重变量"] == "最终权重（校准后）（weight_final）"
    assert values["抽样设计 / 分层变量"] == "区县（district）"
    assert "泰勒线性化" in values["方差估计"] and values["抽样设计 / 单一 PSU 层的处理"] == "以总体均值为中心计算"
    assert values["加权 / 各单位 / 深圳市"].startswith("样本量 ")
    for item, value in rows:
        left = re.sub(r"[（(][^）)]*[）)]", "", f"{item} {value}")  # a column name in brackets after its label
        for name in _PROPER_NAMES:
            left = left.replace(name, "")
        assert not re.search(r"[A-Za-z]{2,}", left.replace("R²", "")), (item, value)


def test_a_district_is_shown_by_the_name_its_plan_gives_it(data):
    """Finding 7: district codes as names where a plan names them, else the code."""
    from dataclasses import replace

    from literacy.plans import DistrictTarget

    named = DistrictTarget(2025, 20.0, "at_least", "达到20%", "test", district="shenzhen-d1",
                           name=literacy.instrument.Text("福田区", "Futian"))  # fmt: skip
    plans = [replace(p, district_targets=(named,)) if p.code == "shenzhen" else p for p in data.plans]
    named_data = replace(data, plans=plans)
    shown = named_data.readable_districts("zh")["区县"].tolist()
    assert "福田区" in shown and "shenzhen-d2" in shown and "shenzhen-d1" not in shown
    assert named_data.readable_districts("en")["District"].tolist()[0] == "Futian"


def test_the_workbook_stores_points_as_points_and_years_as_numbers(data, tmp_path):
    """Finding 11: "(points)" columns hold points under a points format (not
    1.43%), p-values never show 0.0, years are numbers, plans their titles."""
    path = report(data, tmp_path / "report.xlsx", lang="zh")
    sheet = openpyxl.load_workbook(path)["目标差距"]
    head = [c.value for c in sheet[1]]

    def cell(column: str, row: int = 2):
        return sheet.cell(row=row, column=head.index(column) + 1)

    first = data.assessment.iloc[0]
    assert cell("标准误（百分点）").value == pytest.approx(100 * first["se"])
    assert cell("标准误（百分点）").number_format == "0.00"
    assert cell("差距（百分点）").value == pytest.approx(100 * first["gap"])
    assert "%" not in cell("差距（百分点）").number_format
    assert cell("估计值").value == pytest.approx(first["estimate"]) and cell("估计值").number_format == "0.0%"
    assert cell("p 值（已达到）").number_format == '[<0.001]"<0.001";0.000'
    assert all(isinstance(cell(c).value, int) for c in ("调查年份", "目标年份", "基线年份"))
    assert cell("规划").value == load_plan(str(first["plan"])).title.zh
    groups = openpyxl.load_workbook(path)["群体差距"]
    p_column = [c.value for c in groups[1]].index("p 值") + 1
    assert {groups.cell(row=r, column=p_column).number_format for r in range(2, groups.max_row + 1)} == {
        '[<0.001]"<0.001";0.000'}


def test_markdown_shows_p_below_0_001_as_plain_text(data, tmp_path):
    """Finding 15: "<0.001" as it is, not "&lt;0.001"; Markdown's specials escaped."""
    from literacy.report import md_cell

    text = report(data, tmp_path / "report.md", lang="zh").read_text(encoding="utf-8")
    assert "<0.001" in text and "&lt;" not in text and "&gt;" not in text
    assert md_cell("a*b* [x](y) `c` <b>") == "a\\*b\\* \\[x\\](y) \\`c\\` \\<b>"
    assert md_cell("R&D 18-29 <0.05 snake_case") == "R&D 18-29 <0.05 snake_case"


def test_a_methods_file_from_an_earlier_version_names_the_instrument_in_chinese():
    """Finding 7, for `literacy report --methods` with an older report.json
    (the instrument as one English line): a shipped instrument's Chinese
    title, but only when the line's title is that instrument's."""
    from literacy.report.tables import instrument_text

    shipped = next(i for i in list_instruments() if i.id == "cast-2024")
    line = f"cast-2024 {shipped.version}: {shipped.title.en}"
    assert instrument_text(line, "zh").startswith(shipped.title.zh) and "cast-2024" in instrument_text(line, "zh")
    assert instrument_text(line, "en") == f"{shipped.title.en} (cast-2024 {shipped.version})"
    other = f"cast-2024 {shipped.version}: Our own edition"
    assert instrument_text(other, "zh").startswith("Our own edition")  # not passed off as the shipped one
