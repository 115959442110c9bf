"""Issue 17, "no silent wrong number on unusual files": values that look like
formulas, markup or table syntax travel through every output as plain text.

XLSX: no cell is ever a formula. CSV/TSV: the OWASP policy (a leading ``'``
on text cells that start like a formula, recorded in the sidecar and removed
on reading). Markdown and HTML: every value escaped. A missing note never
reads "nan".
"""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyxform.xls2xform import convert

import literacy
from literacy.assessment import counted_progress, disparities
from literacy.cli import main
from literacy.collect.forms import export_form
from literacy.instrument import shipped_dir
from literacy.io import read_file, write_table
from literacy.io.formulas import FORMULA_STARTS, TEXT_ESCAPE_KEY, TEXT_ESCAPE_POLICY
from literacy.plans import load_plan, plans_dir
from literacy.report import report

HOSTILE = [
    '=HYPERLINK("http://x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "<script>alert(1)</script>",
    "a|b",
]
PLAN_NAME = '=HYPERLINK("http://x") <script>alert(1)</script> a|b'
TARGET_LABEL = "@SUM(A1) <script>alert(2)</script>"
TITLE = '=HYPERLINK("http://evil") <script>alert(3)</script>'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A user plan, an instrument and the report tables, every text field hostile."""
    folder = tmp_path_factory.mktemp("hostile")
    raw = yaml.safe_load((plans_dir() / "wuhai-2021-2025.yaml").read_text(encoding="utf-8"))
    raw["id"] = "hostile-plan"
    raw["jurisdiction"]["name"] = {"zh": PLAN_NAME, "en": PLAN_NAME}
    raw["counted_targets"][0]["label"] = {"zh": TARGET_LABEL, "en": TARGET_LABEL}
    plan_path = folder / "plan.yaml"
    plan_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    plan = load_plan(str(plan_path))

    instrument_raw = yaml.safe_load((shipped_dir() / "cast-2024.yaml").read_text(encoding="utf-8"))
    instrument_raw["title"] = {"zh": TITLE, "en": TITLE}
    instrument_path = folder / "hostile-instrument.yaml"
    instrument_path.write_text(yaml.safe_dump(instrument_raw, allow_unicode=True), encoding="utf-8")
    instrument = literacy.load_instrument(str(instrument_path))

    rng = np.random.default_rng(17)
    n = 700
    data = pd.DataFrame(
        {
            "city": "wuhai",
            "grp": [HOSTILE[i % len(HOSTILE)] for i in range(n)],
            "literate": rng.integers(0, 2, n).astype(float),
            "w": 1.0,
        }
    )
    design = literacy.Design(data, weight="w")
    estimates = literacy.estimate(design, "literate", by=[["city"], ["city", "grp"]])
    assessment = literacy.gap(estimates, [str(plan_path)], year=2025)
    contrasts = disparities(design, "literate", {"grp": (HOSTILE[0], HOSTILE[5])}, domain="city")
    actuals = pd.DataFrame({"target": [raw["counted_targets"][0]["id"]], "year": [2023], "value": [50]})
    counted = counted_progress(plan, actuals, year=2025, lang="en")
    methods = {"instrument": f"{instrument.id} {instrument.version}: {instrument.title.en}", "note": HOSTILE[3]}
    data = literacy.ReportData(
        assessment, estimates, disparities=contrasts, counted=counted, methods=methods, plans=[plan]
    )
    return {"folder": folder, "data": data, "plan_path": plan_path, "instrument_path": instrument_path}


def _unescaped_pipes(line):
    return len(re.findall(r"(?<!\\)\|", line))


def _markdown_tables(markdown):
    tables, current = [], []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def _cells(path):
    workbook = openpyxl.load_workbook(path)
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_xlsx_has_no_formula_cell(hostile, lang):
    path = report(hostile["data"], hostile["folder"] / f"report-{lang}.xlsx", lang=lang, force=True)
    cells = _cells(path)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells}
    # The hostile text is there, as text: group values, plan name, target label, title.
    assert HOSTILE[0] in values and "+1+1" in values and PLAN_NAME in values and TARGET_LABEL in values
    assert any(isinstance(v, str) and TITLE in v for v in values)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markdown_and_html_escape_every_value(hostile, lang):
    folder = hostile["folder"]
    markdown = report(hostile["data"], folder / f"report-{lang}.md", lang=lang, force=True).read_text("utf-8")
    page = report(hostile["data"], folder / f"report-{lang}.html", lang=lang, force=True).read_text("utf-8")
    # HTML: entities; Markdown: a backslash before "<" (inert, and readable as plain text).
    for text, tag in ((markdown, "\\<script>alert({})\\</script>"), (page, "&lt;script&gt;alert({})&lt;/script&gt;")):
        assert "<script" not in text.lower().replace("\\<script", "")
        assert tag.format(1) in text  # group value
        assert tag.format(3) in text  # instrument title
    assert "&lt;" not in markdown
    # Markdown table cells: | escaped, so the plan name stays in its cell.
    headline = next(line for line in markdown.splitlines() if line.startswith("| =HYPERLINK"))
    assert "a\\|b" in headline
    assert _unescaped_pipes(headline) == 11  # 10 columns (the evidence follows as a list)
    tables = _markdown_tables(markdown)
    # The headline, group gaps and estimates by group (hostile group values), counted targets (hostile label).
    assert len(tables) == 4 and all("\\<script>alert(1)" in "".join(rows) for rows in tables[1:3])
    assert "\\<script>alert(2)" in "".join(tables[3])
    for rows in tables:  # every row has its header's number of cells
        assert {_unescaped_pipes(row) for row in rows} == {_unescaped_pipes(rows[0])}
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page  # counted-target label
    payload = json.loads(report(hostile["data"], folder / f"report-{lang}.json", force=True).read_text("utf-8"))
    assert payload["counted_targets"][0]["label"] == TARGET_LABEL  # JSON keeps the data as it is


def test_xlsform_export_has_no_formula_cell_and_still_converts(hostile, tmp_path):
    path = tmp_path / "form.xlsx"
    export_form(str(hostile["instrument_path"]), path, "xlsform")
    cells = _cells(path)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert TITLE in {c.value for c in cells}
    result = convert(str(path))
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in result.xform


def _raw_cells(path, separator):
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    return rows[0], rows[1:]


@pytest.mark.parametrize("name", ["estimates.csv", "disparities.tsv", "counted.csv", "assessment.csv"])
def test_csv_tables_follow_the_escape_policy_and_round_trip(hostile, tmp_path, name):
    data = hostile["data"]
    frame = {"estimates": data.estimates, "disparities": data.disparities, "counted": data.counted,
             "assessment": data.assessment}[name.split(".")[0]]  # fmt: skip
    path = tmp_path / name
    write_table(frame, path)
    header, rows = _raw_cells(path, "\t" if name.endswith(".tsv") else ",")
    text_columns = [i for i, c in enumerate(header) if not pd.api.types.is_numeric_dtype(frame[c])]
    raw_text = [row[i] for row in rows for i in text_columns]
    assert not [cell for cell in raw_text if cell[:1] in FORMULA_STARTS]
    assert any(cell.startswith("'") for cell in raw_text)  # something was escaped
    meta = json.loads((tmp_path / f"{name}.meta.json").read_text(encoding="utf-8"))
    assert meta[TEXT_ESCAPE_KEY] == TEXT_ESCAPE_POLICY
    back = read_file(path)
    assert TEXT_ESCAPE_KEY not in back.attrs
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            np.testing.assert_allclose(back[column].to_numpy(float), frame[column].to_numpy(float), equal_nan=True)
        else:
            expected = frame[column].astype(object).where(frame[column].notna(), None).tolist()
            got = back[column].astype(object).where(back[column].notna(), None).tolist()
            assert got == [e if e != "" else None for e in expected], column


def test_numeric_columns_are_never_escaped(tmp_path):
    path = tmp_path / "numbers.csv"
    write_table(pd.DataFrame({"gap": [-0.5, 2.0], "label": ["-0.5", "x"]}), path)
    _, rows = _raw_cells(path, ",")
    assert [row[0] for row in rows] == ["-0.5", "2.0"] or [row[0] for row in rows] == ["-0.5", "2"]
    assert [row[1] for row in rows] == ["'-0.5", "x"]  # the same text in a text column is escaped
    back = read_file(path)
    assert back["gap"].tolist() == [-0.5, 2.0] and back["label"].tolist() == ["-0.5", "x"]


def test_a_foreign_csv_is_read_untouched(tmp_path):
    path = tmp_path / "foreign.csv"
    path.write_text("name,value\n'=1,1\n'quoted,2\n", encoding="utf-8")
    assert read_file(path)["name"].tolist() == ["'=1", "'quoted"]


def test_estimate_then_gap_and_report_on_the_cli_round_trip(hostile, tmp_path):
    """`literacy estimate` -> estimates.csv -> `literacy gap` and `literacy report`."""
    rng = np.random.default_rng(3)
    n = 350
    survey = pd.DataFrame(
        {
            "city": "wuhai",
            "grp": [HOSTILE[i % len(HOSTILE)] for i in range(n)],
            "literate": rng.integers(0, 2, n),
            "w": 1.0,
        }
    )
    write_table(survey, tmp_path / "survey.csv")
    runner = CliRunner()
    estimates = tmp_path / "estimates.csv"
    made = runner.invoke(main, ["estimate", str(tmp_path / "survey.csv"), "--outcome", "literate", "--by", "city",
                                "--by", "city,grp", "--weight", "w", "-o", str(estimates)])  # fmt: skip
    assert made.exit_code == 0, made.output
    assert set(HOSTILE) <= set(read_file(estimates)["grp"].dropna())
    assessment = tmp_path / "assessment.csv"
    gap = runner.invoke(main, ["gap", str(estimates), "--plan", str(hostile["plan_path"]), "--year", "2025",
                               "-o", str(assessment)])  # fmt: skip
    assert gap.exit_code == 0, gap.output
    assert read_file(assessment)["name"].tolist() == [PLAN_NAME]
    page = tmp_path / "report.md"
    shown = runner.invoke(main, ["report", str(assessment), "--estimates", str(estimates), "--plan",
                                 str(hostile["plan_path"]), "-o", str(page), "--format", "md"])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    markdown = page.read_text(encoding="utf-8")
    assert "<script" not in markdown.replace("\\<script", "") and "\\<script>" in markdown


def test_report_from_an_assessment_alone_has_no_nan_in_its_sentences(hostile, tmp_path):
    assessment = tmp_path / "assessment.csv"
    write_table(literacy.gap(hostile["data"].estimates, ["wuhai-2021-2025"], year=2025), assessment)
    assert read_file(assessment)["note"].isna().all()  # what made " nan"
    runner = CliRunner()
    for kind in ("md", "html"):
        out = tmp_path / f"report.{kind}"
        result = runner.invoke(main, ["report", str(assessment), "-o", str(out), "--format", kind, "--lang", "en"])
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert not re.search(r"\bnan\b", text, flags=re.IGNORECASE), kind
    sentences = [line for line in (tmp_path / "report.md").read_text("utf-8").splitlines() if line.startswith("- ")]
    assert sentences and all(line.rstrip().endswith(("。", ".")) for line in sentences[:1])


# --------------------------------------------------------------------------
# Property: any text round-trips, and no raw cell starts like a formula
# --------------------------------------------------------------------------

try:
    from pandas._libs.parsers import STR_NA_VALUES
except ImportError:  # pragma: no cover - pandas moved it
    STR_NA_VALUES = {"", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "<NA>", "#N/A", "n/a", "-NaN", "-nan"}

_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("=+-@'\t\r\n\",;| ")),
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in STR_NA_VALUES)
_PREFIXED = st.tuples(st.sampled_from(["", "'", "''", *FORMULA_STARTS]), _TEXT).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(_TEXT, _PREFIXED), min_size=1, max_size=8), numbers=st.lists(st.integers(-9, 9)))
def test_any_text_round_trips_through_csv_tsv_and_parquet(tmp_path, values, numbers):
    values = ["anchor", *values]  # one plain word keeps the column text when read back
    frame = pd.DataFrame({"text": values, "number": [(numbers[i] if i < len(numbers) else 0) - 0.5
                                                       for i in range(len(values))]})  # fmt: skip
    for suffix, separator in ((".csv", ","), (".tsv", "\t"), (".parquet", None)):
        path = tmp_path / f"t{suffix}"
        write_table(frame, path, force=True)
        back = read_file(path)
        assert back["text"].tolist() == values, suffix
        assert back["number"].tolist() == frame["number"].tolist(), suffix
        if separator:
            header, rows = _raw_cells(path, separator)
            assert header == ["text", "number"]
            assert not [row[0] for row in rows if row[0][:1] in FORMULA_STARTS]
            assert all(row[1].startswith("-") == (float(row[1]) < 0) for row in rows)


def test_hostile_district_names_in_the_district_section(hostile):
    """The district section (small-area estimates) in every report format: a
    district named like a formula or a script stays text."""
    rng = np.random.default_rng(5)
    names = [*HOSTILE, *(f"d{i}" for i in range(12 - len(HOSTILE)))]
    p = rng.uniform(0.05, 0.3, len(names))
    direct = pd.DataFrame({"district": names, "p": p, "se": 0.03 + 0.02 * rng.random(len(names)),
                           "x": rng.normal(size=len(names)), "n": 80})  # fmt: skip
    fitted = literacy.sae(direct, area="district", estimate="p", se="se", covariates=["x"], n="n")
    table = fitted.table.assign(direct_ci_lower=p - 0.06, direct_ci_upper=p + 0.06)
    table.attrs = {"small_area": {**fitted.model, "area": "district"}}
    base = hostile["data"]
    data = literacy.ReportData(base.assessment, base.estimates, plans=base.plans, small_area=table)
    folder = hostile["folder"]
    for lang in ("zh", "en"):
        workbook = report(data, folder / f"districts-{lang}.xlsx", lang=lang, force=True)
        cells = _cells(workbook)
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        assert HOSTILE[0] in {c.value for c in cells}  # there, as text
        for kind, tag in (("md", "\\<script>alert(1)\\</script>"), ("html", "&lt;script&gt;alert(1)&lt;/script&gt;")):
            text = report(data, folder / f"districts-{lang}.{kind}", lang=lang, force=True).read_text("utf-8")
            assert "<script" not in text.lower().replace("\\<script", "") and tag in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_word_report_keeps_every_hostile_value_as_plain_text(hostile, lang):
    """In Word a formula or link is a field; the hostile values must be plain runs of text."""
    import zipfile

    import docx

    path = report(hostile["data"], hostile["folder"] / f"report-{lang}.docx", lang=lang, force=True)
    body = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    assert "<w:fldSimple" not in body and "<w:instrText" not in body and "<w:hyperlink" not in body
    assert "<script" not in body  # the XML holds the text escaped
    document = docx.Document(str(path))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    text = "\n".join([p.text for p in document.paragraphs] + sorted(cells))
    assert HOSTILE[0] in text and "<script>alert(2)</script>" in text and "a|b" in text
