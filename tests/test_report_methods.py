"""Reports made through the Python API from tables alone. The Methods
section is never a heading with nothing under it, and places have their
names. A report made through the Python API from an assessment and an estimates table
alone (``ReportData(assessment, estimates)``) describes what the estimates
table carries (design, variance, interval, reliability rule, from its
``.meta.json``); one made with no estimates says that no methods were
recorded. Each format is read back with its own reader."""

from __future__ import annotations

import json

import docx
import openpyxl
import pandas as pd
import pytest

import literacy
from literacy.report import ReportData, report

EXPECTED = {
    "en": ("Number of strata", "Not recorded: the report was made without the records"),
    "zh": ("层数", "未记录：报告生成时没有抽样设计"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("methods") / "demo"
    literacy.demo(folder)
    return literacy.read(folder / "assessment.csv"), literacy.read(folder / "estimates.csv")


def _methods_text(path) -> str:
    """The text after the Methods heading, read with the format's reader."""
    if path.suffix == ".docx":
        document = docx.Document(str(path))
        cells = [cell.text for table in document.tables[-1:] for row in table.rows for cell in row.cells]
        return "\n".join(cells)
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        sheet = book[book.sheetnames[-1]]
        return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    text = path.read_text(encoding="utf-8")
    heading = "## Methods" if "## Methods" in text else "## 方法说明"
    if path.suffix == ".html":
        heading = "<h2>Methods</h2>" if "<h2>Methods</h2>" in text else "<h2>方法说明</h2>"
    return text.split(heading, 1)[1]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", ["html", "md", "docx", "xlsx"])
def test_methods_come_from_the_estimates_or_say_none_were_recorded(demo, tmp_path, kind, lang):
    assessment, estimates = demo
    described, not_recorded = EXPECTED[lang]
    made = report(ReportData(assessment, estimates), tmp_path / f"with.{kind}", report_format=kind, lang=lang)
    text = _methods_text(made)
    assert described in text and "150" in text  # the demo's 150 PSUs
    assert not_recorded not in text
    bare = report(ReportData(assessment, pd.DataFrame()), tmp_path / f"bare.{kind}", report_format=kind, lang=lang)
    assert not_recorded in _methods_text(bare)


def test_the_json_report_and_a_partial_methods_record_show_the_estimates_facts(demo, tmp_path):
    """The JSON report's ``methods`` and a report given only some facts (here
    the survey year) both add what the estimates table carries."""
    assessment, estimates = demo
    made = report(ReportData(assessment, estimates), tmp_path / "with.json", report_format="json", lang="en")
    methods = json.loads(made.read_text(encoding="utf-8"))["methods"]
    assert methods["design"]["psu_count"] == 150 and methods["interval"].startswith("logit at 0.95")
    partial = ReportData(assessment, estimates, methods={"survey_year": 2025})
    text = _methods_text(report(partial, tmp_path / "partial.md", report_format="md", lang="en"))
    assert "Survey year: 2025" in text and "Number of strata" in text


def test_a_report_made_from_tables_alone_names_the_places(demo, tmp_path):
    """Without its plans, a report names a city as the shipped plans do."""
    assessment, estimates = demo
    for lang, name in (("zh", "徐州市"), ("en", "Xuzhou")):
        text = report(ReportData(assessment, estimates), tmp_path / f"{lang}.md", report_format="md",
                      lang=lang).read_text(encoding="utf-8")  # fmt: skip
        assert name in text
        assert "| xuzhou |" not in text
