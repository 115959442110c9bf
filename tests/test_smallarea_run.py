"""District estimates in a run: simulated districts with known truth and a
census table, the `small_area` step (direct estimates by city and district,
Fay-Herriot EBLUPs pooled over cities, benchmarking to each city), district
targets in plans, the report's district section, and a simulation study of
the EBLUP against the direct estimator."""

from __future__ import annotations

import json
from typing import get_args

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from literacy import Design, load_instrument, score
from literacy import schemas as schema_module
from literacy.assessment import district_gaps
from literacy.cli import main
from literacy.collect.fieldwork import field_survey, simulate, write_simulation
from literacy.collect.population import city_spec, district_census, make_population
from literacy.districts import district_estimates
from literacy.errors import LiteracyError
from literacy.groups import add_groups
from literacy.pipeline import run
from literacy.plans import load_plan, parse_plan, plans_dir
from literacy.report.tables import header as column_header
from literacy.schemas import check_run_config
from literacy.smallarea import METHODS, TRANSFORMATIONS, ZERO_VARIANCE
from literacy.weighting import margins_from_frame, weight

CAST = load_instrument("cast-2024")


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    """Two cities of six districts that differ, about 70 interviews each."""
    folder = tmp_path_factory.mktemp("districts")
    simulation = simulate(CAST, {"wuhai": None, "xuzhou": None}, interviews=600, persons=12_000, seed=12,
                          districts=6, defect_rate=0.0)  # fmt: skip
    write_simulation(simulation, folder, layouts=["csv"])
    return folder


def _plan_with_district_targets(folder, targets):
    raw = yaml.safe_load((plans_dir() / "wuhai-2021-2025.yaml").read_text(encoding="utf-8"))
    raw["district_targets"] = targets
    path = folder / "wuhai-districts.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _config(survey, tmp_path, **small_area):
    targets = [
        {"district": "wuhai-d1", "name": {"zh": "一区", "en": "District 1"}, "year": 2025, "value": 1,
         "comparator": "at_least", "source": "test: a target any district meets"},
        {"district": "wuhai-d2", "year": 2025, "value": 90, "comparator": "more_than",
         "source": "test: a target no district meets"},
    ]  # fmt: skip
    plan = _plan_with_district_targets(tmp_path, targets)
    config = {
        "instrument": "cast-2024",
        "inputs": [{"path": str(survey / "responses-csv.csv")}],
        "margins": str(survey / "margins.csv"),
        "weighting": {"method": "rake", "by": "city"},
        "design": {"strata": "district", "psu": "community"},
        "assessment": {"plans": [str(plan), "xuzhou-2021-2035"], "year": 2025, "domain": "city"},
        "small_area": {"area": "district", "covariates": str(survey / "districts.csv"), "benchmark": True}
        | small_area,
        "report": {"formats": ["md", "json", "xlsx", "html"], "lang": "en"},
        "output": "out",
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


# --------------------------------------------------------------------------
# literacy simulate --districts


def test_simulate_districts_writes_their_truth_and_a_census_table(tmp_path):
    args = ["simulate", "--city", "wuhai", "--city", "xuzhou", "--districts", "8", "--interviews", "800",
            "--persons", "16000", "--seed", "5"]  # fmt: skip
    for name in ("one", "two"):
        result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    for path in (tmp_path / "one").iterdir():  # same seed, same bytes
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name
    truth = pd.read_csv(tmp_path / "one" / "truth.csv", encoding="utf-8-sig")
    rates = truth.query("group == 'district'")
    assert len(rates) == 16 and rates["level"].str.match(r"^(wuhai|xuzhou)-d\d$").all()
    assert rates["rate"].between(0, 1).all() and rates["rate"].std() > 0.02  # districts differ
    census = pd.read_csv(tmp_path / "one" / "districts.csv", encoding="utf-8-sig")
    assert list(census.columns) == ["city", "district", "population", "university_share", "urban_share",
                                    "aged_60_plus_share"]  # fmt: skip
    assert sorted(census["district"]) == sorted(rates["level"])
    assert census.groupby("city")["population"].sum().to_dict() == truth.query("group == 'all' and city != 'all'") \
        .set_index("city")["population"].to_dict()  # fmt: skip
    assert census[["university_share", "urban_share", "aged_60_plus_share"]].stack().between(0, 1).all()
    # 800 per city over 8 districts: about 100 sampled, 70 interviews, in each.
    delivered = pd.read_csv(tmp_path / "one" / "responses-csv.csv").groupby("district").size()
    assert len(delivered) == 16 and delivered.between(25, 160).all() and 50 <= delivered.median() <= 100
    assert json.loads((tmp_path / "one" / "simulation.json").read_text(encoding="utf-8"))["districts_per_city"] == 8


def test_without_districts_the_simulation_is_the_original_one():
    plain = simulate(CAST, {"wuhai": None}, interviews=200, persons=4000, seed=7)
    assert "district" not in set(plain.truth["group"]) and "districts_per_city" not in plain.settings
    assert sorted(plain.districts["district"]) == [f"wuhai-d{d}" for d in range(1, 6)]  # five, as before
    spec = city_spec("wuhai", None, 4000)
    assert spec.districts == 5 and not spec.varied_districts
    with pytest.raises(LiteracyError, match=r"from 1 to 200 districts, not 0 \(districts=\)"):
        city_spec("wuhai", None, 4000, 0)


# --------------------------------------------------------------------------
# literacy run with small_area


def test_run_writes_district_estimates_benchmarked_to_each_city(survey, tmp_path):
    result = run(_config(survey, tmp_path))
    folder = result.folder
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name in ("small_area.csv", "small_area.json", "district_gaps.csv"):
        assert name in manifest["outputs"], name
    assert any(entry["path"].endswith("districts.csv") for entry in manifest["inputs"])
    table = pd.read_csv(folder / "small_area.csv", encoding="utf-8-sig")
    assert len(table) == 12 and result.counts["small_areas"] == 12
    for column in ("direct", "eblup", "ci_lower", "ci_upper", "synthetic", "direct_ci_lower"):
        assert table[column].between(-0.2, 1).all(), column  # proportions, not percent
    assert (table["shrinkage"].between(0, 1)).all()
    # Benchmarked: each city's population-weighted EBLUP is the city's direct estimate.
    estimates = pd.read_csv(folder / "estimates.csv", encoding="utf-8-sig").query("breakdown == 'city'")
    for city, rows in table.groupby("city"):
        weighted = float((rows["eblup"] * rows["population"]).sum() / rows["population"].sum())
        assert weighted == pytest.approx(float(estimates.set_index("city").loc[city, "estimate"]), abs=1e-9)
    model = json.loads((folder / "small_area.json").read_text(encoding="utf-8"))
    assert model["pooled"] and model["model_covariates"] == ["city", "university_share", "urban_share",
                                                              "aged_60_plus_share"]  # fmt: skip
    assert set(model["benchmark"]["factors"]) == {"wuhai", "xuzhou"} and model["sigma2_u"] >= 0
    gaps = pd.read_csv(folder / "district_gaps.csv", encoding="utf-8-sig").set_index("district")
    assert gaps.loc["wuhai-d1", "status"] == "met" and gaps.loc["wuhai-d2", "status"] == "not_met"
    assert gaps.loc["wuhai-d1", "district_name"] == "District 1" and gaps.loc["wuhai-d2", "target"] == 0.9
    # The report: a district section in every format, percent only for people.
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    section = markdown.split("## District estimates (small areas)", 1)[1]
    assert "| City | District | Interviews | Direct |" in section and "| Wuhai | District 1 |" in section
    assert "Gap to district target (points)" in section and "%" in section
    payload = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert len(payload["small_area"]) == 12 and len(payload["district_gaps"]) == 2
    assert max(row["eblup"] for row in payload["small_area"]) < 1
    assert payload["methods"]["small_area"]["pooled"].startswith("one model over all cities")
    sheet = openpyxl.load_workbook(folder / "report.xlsx")["Districts"]
    header = [cell.value for cell in sheet[1]]
    eblup = sheet.cell(row=2, column=header.index(column_header("eblup", "en")) + 1)
    assert eblup.number_format == "0.0%" and 0 < eblup.value < 1 and column_header("status", "en") in header
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "District estimates (small areas)" in page and page.count("data:image/png") == 5


def test_district_codes_that_repeat_across_cities_are_districts_within_cities(survey):
    data, census, design = _weighted(survey)
    unique = district_estimates(design, census, area="district", domain="city").table
    # The same survey with the codes an office uses: d1, d2, ... in every city
    # (the design's strata stay the city's districts).
    local = data.assign(stratum=data["district"], district=data["district"].str.split("-").str[1])
    local_census = census.assign(district=census["district"].str.split("-").str[1])
    local_design = Design(local, weight="weight_final", strata="stratum", psu="community", calibration=None)
    repeated = district_estimates(local_design, local_census, area="district", domain="city").table
    assert repeated["district"].tolist() == unique["district"].str.split("-").str[1].tolist()
    assert repeated["city"].tolist() == unique["city"].tolist()
    fixed = district_estimates(
        Design(data, weight="weight_final", strata="district", psu="community", calibration=None),
        census, area="district", domain="city",
    ).table  # fmt: skip
    assert np.allclose(repeated["eblup"], fixed["eblup"]) and np.allclose(repeated["direct"], fixed["direct"])
    # Without a city column the census cannot say which d1 is meant.
    with pytest.raises(LiteracyError, match=r"District code 'd1' is used in more than one city.*needs a 'city' column"):
        district_estimates(local_design, local_census.drop(columns="city"), area="district", domain="city")
    # Unique codes need no city column in the census.
    alone = district_estimates(design, census.drop(columns="city"), area="district", domain="city").table
    assert np.allclose(alone["eblup"], unique["eblup"])


def _weighted(folder):
    responses = pd.read_csv(folder / "responses-csv.csv")
    data = add_groups(score(responses, CAST))
    data = data.loc[data["scorable"]].reset_index(drop=True)
    margins = margins_from_frame(pd.read_csv(folder / "margins.csv", encoding="utf-8-sig"), by="city")
    weighted = weight(data, margins, base_weight="base_weight", method="rake")
    census = pd.read_csv(folder / "districts.csv", encoding="utf-8-sig")
    design = weighted.design(strata="district", psu="community")
    return weighted.data, census, design


def test_small_area_mistakes_are_one_plain_sentence(survey, tmp_path):
    _, census, design = _weighted(survey)
    with pytest.raises(LiteracyError, match=r"area column 'ward' \(area=\) is not in the data"):
        district_estimates(design, census, area="ward")
    with pytest.raises(LiteracyError, match=r"covariate 'income' \(columns=\) is not in the census"):
        district_estimates(design, census, columns=["income"], source="the census")
    with pytest.raises(LiteracyError, match=r"2 surveyed area\(s\) \(wuhai/wuhai-d1, xuzhou/xuzhou-d1\) are not in"):
        district_estimates(design, census[~census["district"].str.endswith("-d1")])
    with pytest.raises(LiteracyError, match="has more than one row for area wuhai/wuhai-d1"):
        district_estimates(design, pd.concat([census, census.head(1)]))
    with pytest.raises(LiteracyError, match=r"Benchmarking needs the population .* \(population=\)"):
        district_estimates(design, census.drop(columns="population"), benchmark=True)
    with pytest.raises(LiteracyError, match=r"did you mean small_area\.method"):
        check_run_config({"instrument": "cast-2024", "inputs": "a.csv", "assessment": {},
                          "small_area": {"area": "district", "covariates": "d.csv", "metod": "reml"}},
                         source="run.yaml")  # fmt: skip
    with pytest.raises(LiteracyError) as caught:
        check_run_config({"instrument": "cast-2024", "inputs": "a.csv", "assessment": {},
                          "small_area": {"area": "district", "method": "bayes"}}, source="run.yaml")  # fmt: skip
    assert set(caught.value.details) == {
        "run.yaml: small_area.covariates is required.",
        "run.yaml: small_area.method is 'bayes'; use 'reml', 'ml' or 'fh'.",
    }
    # A failing step in a run names the step.
    config = _config(survey, tmp_path, columns=["income"])
    with pytest.raises(LiteracyError, match=r"Step `small_area` failed: The covariate 'income' \(columns=\)"):
        run(config)
    # On the command line the message names the configuration's key.
    result = CliRunner().invoke(main, ["run", str(config), "--force"])
    assert result.exit_code == 1
    assert "The covariate 'income' (small_area.columns) is not in districts.csv" in result.stderr


def test_the_schema_words_are_those_of_the_small_area_module():
    assert get_args(schema_module.SaeMethod) == METHODS
    assert get_args(schema_module.SaeTransformation) == TRANSFORMATIONS
    assert get_args(schema_module.SaeZeroVariance) == ZERO_VARIANCE


# --------------------------------------------------------------------------
# District targets in plans


def test_plans_accept_district_targets_and_check_them(tmp_path):
    path = _plan_with_district_targets(tmp_path, [
        {"district": "wuhai-d2", "year": 2025, "value": 11, "comparator": "at_least", "source": "s"},
        {"district": "wuhai-d2", "year": 2030, "value": 14, "comparator": "at_least", "source": "s"},
    ])  # fmt: skip
    plan = load_plan(path)
    assert [(t.district, t.year, t.value) for t in plan.district_targets] == [("wuhai-d2", 2025, 11.0),
                                                                               ("wuhai-d2", 2030, 14.0)]  # fmt: skip
    assert plan.district_target_for("wuhai-d2", 2027).year == 2030
    assert plan.district_target_for("wuhai-d9", 2025) is None
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["district_targets"] = [
        {"district": "d1", "year": 2025, "value": 120, "comparator": "above", "source": "s"},
        {"district": "d1", "year": 2025, "value": 10, "comparator": "at_least"},
        {"distrct": "d3", "year": 2025, "value": 10, "comparator": "at_least", "source": "s"},
    ]
    with pytest.raises(LiteracyError) as caught:
        parse_plan(raw, source="mine.yaml")
    details = "\n".join(caught.value.details)
    assert "district_targets[0]: comparator 'above' is not one of more_than, at_least, strive_for." in details
    assert "district_targets[0]: the target 120.0 is not a percentage from 0 to 100." in details
    assert "district_targets[1]: every number needs a `source`" in details
    assert "district_targets[1]: district 'd1' already has a target for 2025." in details
    assert "district_targets[2].distrct is not a known key; did you mean district_targets[2].district?" in details
    assert all(not load_plan(p).district_targets for p in plans_dir().glob("*.yaml"))  # no seed publishes any


def test_district_gaps_use_the_eblup_rmse_and_normal_quantiles(tmp_path):
    plan = load_plan(_plan_with_district_targets(tmp_path, [
        {"district": "a", "year": 2025, "value": 20, "comparator": "more_than", "source": "s"},
        {"district": "b", "year": 2025, "value": 20, "comparator": "more_than", "source": "s"},
        {"district": "c", "year": 2025, "value": 20, "comparator": "more_than", "source": "s"},
    ]))  # fmt: skip
    table = pd.DataFrame({"city": ["wuhai"] * 4, "district": ["a", "b", "c", "d"],
                          "eblup": [0.25, 0.15, 0.21, 0.3], "rmse": [0.02, 0.02, 0.02, 0.02]})  # fmt: skip
    table["ci_lower"], table["ci_upper"] = table["eblup"] - 1.96 * 0.02, table["eblup"] + 1.96 * 0.02
    gaps = district_gaps(table, [plan], year=2025, lang="en").set_index("district")
    assert list(gaps.index) == ["a", "b", "c"]  # d has no target
    assert gaps["status"].tolist() == ["met", "not_met", "cannot_tell"]
    assert gaps.loc["a", "gap"] == pytest.approx(0.05)
    assert gaps.loc["a", "p_value_met"] == pytest.approx(0.0062097, abs=1e-6)  # 1 - Phi(2.5)
    assert gaps.loc["c", "evidence"].startswith("Cannot tell from this sample: the estimate is 21.0%")


# --------------------------------------------------------------------------
# Simulation study


@pytest.mark.slow
def test_eblup_beats_the_direct_estimator_and_its_mse_tracks_the_truth():
    """30 two-stage samples of one synthetic population of two cities with 12
    districts each (about 65 interviews a district), raked to the margins;
    district EBLUPs (pooled, city indicators, three census shares, not
    benchmarked) against the true district rates."""
    rng = np.random.default_rng(2027)
    population = make_population([city_spec("wuhai", None, 30_000, 12), city_spec("xuzhou", None, 30_000, 12)],
                                 CAST, rng)  # fmt: skip
    census = district_census(population)
    first = field_survey(population, CAST, rng, interviews=1200, defect_rate=0.0, districts=True)
    truth = first.truth.query("group == 'district'").set_index("level")["rate"]
    margins = margins_from_frame(first.margins, by="city")
    tables = []
    for replicate in range(30):
        survey = field_survey(population, CAST, rng, interviews=1200, defect_rate=0.0, districts=True)
        data = add_groups(score(survey.responses.drop(columns=["defect", "person_id"]), CAST))
        weighted = weight(data.loc[data["scorable"]], margins, base_weight="base_weight", method="rake")
        design = weighted.design(strata="district", psu="community")
        table = district_estimates(design, census, area="district", domain="city").table
        tables.append(table.assign(truth=table["district"].map(truth), replicate=replicate))
    results = pd.concat(tables, ignore_index=True)
    direct_error = (results["direct"] - results["truth"]) ** 2
    eblup_error = (results["eblup"] - results["truth"]) ** 2
    efficiency = eblup_error.mean() / direct_error.mean()
    empirical = eblup_error.groupby(results["district"]).mean()
    estimated = results.groupby("district")["mse"].mean()
    tracking = estimated.mean() / empirical.mean()
    per_area = float((estimated / empirical).median())
    covered = ((results["ci_lower"] <= results["truth"]) & (results["truth"] <= results["ci_upper"])).mean()
    message = (f"EBLUP/direct mean squared error {efficiency:.2f}; estimated/empirical MSE {tracking:.2f} "
               f"(median over districts {per_area:.2f}); EBLUP interval coverage {covered:.3f}")  # fmt: skip
    print(message)
    assert efficiency < 0.85, message
    assert 0.6 <= tracking <= 1.4, message
    assert 0.75 <= per_area <= 1.3, message


def test_the_order_of_respondents_and_census_rows_changes_no_district_number(survey):
    data, census, design = _weighted(survey)
    first = district_estimates(design, census, area="district", domain="city", benchmark=True).table
    rng = np.random.default_rng(3)
    shuffled = data.iloc[rng.permutation(len(data))].reset_index(drop=True)
    shuffled.attrs = data.attrs
    again_design = Design(shuffled, weight="weight_final", strata="district", psu="community",
                          calibration=design.calibration.record)  # fmt: skip
    again = district_estimates(again_design, census.iloc[rng.permutation(len(census))], area="district",
                               domain="city", benchmark=True).table  # fmt: skip
    keys = ["city", "district"]
    columns = ["direct", "direct_se", "eblup", "mse", "ci_lower", "ci_upper"]
    a = first.set_index(keys).sort_index()[columns]
    b = again.set_index(keys).sort_index()[columns]
    np.testing.assert_allclose(b.to_numpy(float), a.to_numpy(float), rtol=1e-9, atol=1e-12)  # summation order
