"""Issue 18: one unit. Every share in a DataFrame the Python API returns is a
proportion from 0 to 1 (differences of shares from -1 to 1); percent is only
how reports and ``--format table`` show them; plan files hold percent.

The steps run once on the shipped sample data as the README does them, and
each function's share columns are named here, per function, on purpose: a
column added later is not checked by accident, and counts (n, df,
population) are never taken for shares."""

from __future__ import annotations

import inspect
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import literacy
from literacy.assessment import counted_progress, disparities
from literacy.cli import main
from literacy.groups import add_groups
from literacy.pipeline import sample_data_dir
from literacy.report.tables import header as column_header
from literacy.report.xlsx import sheet_name

PLANS = ["wuhai-2021-2025", "xuzhou-2021-2035", "shenzhen-2022-2025"]
# Per function: columns that are shares (0 to 1) and differences of shares or
# growth rates (-1 to 1 on these data).
SHARES = {
    "estimate": ["estimate", "se", "ci_lower", "ci_upper"],
    "grades": ["estimate", "se", "ci_lower", "ci_upper"],
    "contrast": ["estimate_first", "estimate_second", "se"],
    "gap": ["estimate", "ci_lower", "ci_upper", "se", "target", "baseline", "path_linear", "path_compound"],
    "disparities": ["estimate_first", "estimate_second", "se"],
    "counted_progress": ["share_of_target", "share_of_expected"],
    "weight diagnostics": ["efficiency"],
}
DIFFERENCES = {
    "contrast": ["estimate", "ci_lower", "ci_upper"],
    "gap": [
        "gap",
        "gap_lower",
        "gap_upper",
        "gap_to_path_linear",
        "gap_to_path_compound",
        "observed_growth",
        "required_growth",
        "growth_needed",
        "increase_per_year_needed",
    ],
    "disparities": ["estimate", "ci_lower", "ci_upper"],
}
NOT_SHARES = {"n", "df", "population", "n_eff", "deff", "cv", "p_value", "p_value_met", "p_value_not_met"}


@pytest.fixture(scope="module")
def steps():
    """The README's steps on the shipped sample data, every result kept."""
    data = sample_data_dir()
    cast = literacy.load_instrument("cast-2024")
    checked = literacy.validate(literacy.read(data / "responses-spss.sav", cast, platform="spss"), cast)
    scored = add_groups(literacy.score(checked.clean, cast))
    margins = literacy.read_margins(data / "margins.csv", by="city")
    weighting = literacy.weight(scored, margins, base_weight="base_weight")
    design = literacy.Design(weighting.data, weight="weight_final", strata="district", psu="community",
                             lonely_psu="adjust")  # fmt: skip
    rates = literacy.estimate(design, "literate", by=[["city"], ["city", "sex"]])
    grades = literacy.estimate(design, "grade", by="city")
    assessment = literacy.gap(rates, PLANS, year=2024)  # before the target year: growth still needed
    actuals = pd.DataFrame({"target": ["farmers_trained", "city_bases", "activity_coverage"],
                            "year": [2025, 2023, 2025], "value": [9000, 12, 0.7]})  # fmt: skip
    groups = {"urban_rural": ("urban", "rural"), "sex": ("male", "female")}
    return {
        "cast": cast,
        "checked": checked,
        "weighting": weighting,
        "design": design,
        "estimate": rates,
        "grades": grades,
        "contrast": literacy.contrast(design, "literate", {"urban_rural": "urban"}, {"urban_rural": "rural"}),
        "gap": assessment,
        "disparities": disparities(design, "literate", groups, domains=["wuhai", "xuzhou", "shenzhen"]),
        "counted_progress": counted_progress("xuzhou-2021-2035", actuals, year=2025),
        "weight diagnostics": weighting.diagnostics,
    }


@pytest.mark.parametrize("function", sorted(SHARES))
def test_every_share_the_api_returns_is_a_proportion(steps, function):
    table = steps[function]
    for column in SHARES[function]:
        values = pd.to_numeric(table[column], errors="coerce").dropna()
        assert len(values), f"{function}: {column} is empty"
        assert values.between(0, 1).all(), f"{function}: {column} holds {values.max()}"
    for column in DIFFERENCES.get(function, []):
        values = pd.to_numeric(table[column], errors="coerce").dropna()
        assert len(values), f"{function}: {column} is empty"
        assert values.between(-1, 1).all(), f"{function}: {column} holds {values.abs().max()}"
    assert not NOT_SHARES & set(SHARES[function])


def test_the_numbers_are_proportions_not_percent_divided_twice(steps):
    """The plan's 12% is 0.12, the estimate sits near it, and the gap is
    their difference: nothing was divided by 100 once too often."""
    wuhai = steps["gap"].set_index("jurisdiction").loc["wuhai"]
    assert wuhai["target"] == pytest.approx(0.12) and wuhai["baseline"] == pytest.approx(0.09)
    assert 0.05 < wuhai["estimate"] < 0.3
    assert wuhai["gap"] == pytest.approx(wuhai["estimate"] - 0.12)
    by_city = steps["estimate"]
    city_row = by_city[(by_city["city"] == "wuhai") & by_city["sex"].isna()].iloc[0]
    assert wuhai["estimate"] == pytest.approx(city_row["estimate"])
    counted = steps["counted_progress"].set_index("target")
    assert counted.loc["farmers_trained", "share_of_target"] == pytest.approx(0.75)  # 9,000 of 12,000
    assert counted.loc["activity_coverage", "target_value"] == pytest.approx(0.8)  # the plan's 80%
    assert counted.loc["activity_coverage", "share_of_target"] == pytest.approx(0.7 / 0.8)
    grades = steps["grades"].groupby("city")["estimate"].sum()
    assert np.allclose(grades, 1.0)


def test_lang_defaults_to_chinese_throughout_the_api():
    for function in (literacy.gap, literacy.counted_progress, literacy.estimate, literacy.report):
        assert inspect.signature(function).parameters["lang"].default == "zh", function.__name__


@pytest.fixture(scope="module")
def reports(steps, tmp_path_factory):
    folder = tmp_path_factory.mktemp("units")
    data = literacy.ReportData.from_run(
        steps["gap"], steps["estimate"], instrument=steps["cast"], validation=steps["checked"],
        design=steps["design"], weighting=steps["weighting"], grades=steps["grades"],
        disparities=steps["disparities"], counted=steps["counted_progress"],
    )  # fmt: skip
    paths = {kind: literacy.report(data, folder / f"report.{kind}", lang="en") for kind in ("html", "md", "xlsx")}
    return {"data": data, "paths": paths, "folder": folder}


def test_reports_show_percent_of_the_proportions(steps, reports):
    wuhai = steps["gap"].set_index("jurisdiction").loc["wuhai"]
    shown = f"{100 * wuhai['estimate']:.1f}%"
    gap = f"{100 * wuhai['gap']:+.1f}"
    markdown = reports["paths"]["md"].read_text(encoding="utf-8")
    row = next(line for line in markdown.splitlines() if line.startswith("| Wuhai |"))  # the headline, in English
    assert f"| {shown} |" in row and "| 12.0% (2025) |" in row and f"| {gap} (" in row
    page = reports["paths"]["html"].read_text(encoding="utf-8")
    assert f'<td class="num">{shown}</td>' in page and "12.0% (2025)" in page
    workbook = openpyxl.load_workbook(reports["paths"]["xlsx"])
    summary = workbook[sheet_name("summary", "en")]
    # The headers are in the report's language (literacy.report.tables.header).
    header = [cell.value for cell in summary[1]]
    for column, number_format in (("estimate", "0.0%"), ("target", "0.0%"), ("gap", "+0.0;-0.0;0.0"),
                                  ("se", "0.00"), ("n", "General")):  # fmt: skip
        cell = summary.cell(row=2, column=header.index(column_header(column, "en")) + 1)
        assert cell.number_format == number_format, column
    estimate = summary.cell(row=2, column=header.index(column_header("estimate", "en")) + 1)
    assert estimate.value == pytest.approx(wuhai["estimate"]) and 0 < estimate.value < 1
    assert summary.cell(row=2, column=header.index(column_header("target", "en")) + 1).value == pytest.approx(0.12)
    counted = workbook[sheet_name("counted", "en")]
    header = [cell.value for cell in counted[1]]
    labels = {t.id: t.label.en for t in literacy.load_plan("xuzhou-2021-2035").counted_targets}
    rows = {counted.cell(row=r, column=header.index(column_header("label", "en")) + 1).value: r
            for r in range(2, counted.max_row + 1)}  # fmt: skip
    value_column = header.index(column_header("target_value", "en")) + 1
    share = counted.cell(row=rows[labels["activity_coverage"]], column=value_column)
    persons = counted.cell(row=rows[labels["farmers_trained"]], column=value_column)
    assert share.value == pytest.approx(0.8) and share.number_format == "0.0%"
    assert persons.value == 12000 and persons.number_format != "0.0%"


def test_from_run_makes_the_methods_run_makes(reports, tmp_path):
    """The by-hand report's methods match `literacy run`'s on the same data."""
    methods = reports["data"].methods
    result = literacy.demo(tmp_path / "demo")
    ran = json.loads((result.folder / "report.json").read_text(encoding="utf-8"))["methods"]
    assert methods["sample"] == ran["sample"]
    assert methods["weighting"] == ran["weighting"] and methods["design"] == ran["design"]
    assert methods["instrument"] == ran["instrument"] and methods["survey_year"] == 2024
    assert [p.id for p in reports["data"].plans] == PLANS


def test_gap_command_table_shows_percent_and_files_hold_proportions(steps, tmp_path):
    estimates = tmp_path / "estimates.csv"
    literacy.write_table(steps["estimate"], estimates)
    runner = CliRunner()
    shown = runner.invoke(main, ["gap", str(estimates), "--plan", "wuhai-2021-2025", "--year", "2025",
                                 "--lang", "en"])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    wuhai = steps["gap"].set_index("jurisdiction").loc["wuhai"]
    assert f"{100 * wuhai['estimate']:.1f}%" in shown.stdout and "12.0%" in shown.stdout
    saved = tmp_path / "assessment.csv"
    written = runner.invoke(main, ["gap", str(estimates), "--plan", "wuhai-2021-2025", "--year", "2025",
                                   "-o", str(saved)])  # fmt: skip
    assert written.exit_code == 0, written.output
    table = pd.read_csv(saved, encoding="utf-8-sig")
    assert table.loc[0, "target"] == pytest.approx(0.12)
    assert table.loc[0, "estimate"] == pytest.approx(wuhai["estimate"])


def test_a_table_in_percent_is_refused_by_report(steps, tmp_path):
    old = steps["gap"].assign(estimate=lambda t: 100 * t["estimate"])
    with pytest.raises(literacy.LiteracyError, match=r"holds .* a percentage: tables hold proportions"):
        literacy.report(literacy.ReportData(old), tmp_path / "report.md")
