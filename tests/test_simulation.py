"""Simulated fieldwork: seeded and byte-identical, defects caught by validate,
and a simulation study of the whole chain against the known truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from literacy import Design, estimate, load_instrument, score, validate
from literacy.cli import main
from literacy.collect.fieldwork import field_survey, simulate
from literacy.collect.population import city_spec, make_population
from literacy.groups import add_groups
from literacy.validate import REASONS, SOURCE_ROW
from literacy.weighting import margins_from_frame, weight

CAST = load_instrument("cast-2024")


def test_same_seed_gives_identical_files(tmp_path):
    runner = CliRunner()
    layouts = ["--layout", "csv", "--layout", "spss", "--layout", "wjx", "--layout", "kobo", "--layout", "odk"]
    args = ["simulate", "--city", "wuhai", "--city", "shenzhen=0.23", "--interviews", "200", "--persons", "4000"]
    args += layouts
    for folder in ("one", "two"):
        result = runner.invoke(main, [*args, "--out", str(tmp_path / folder), "--seed", "7"])
        assert result.exit_code == 0, result.output
    one = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert "responses-spss.sav" in one and "truth.csv" in one and "margins.csv" in one
    for name in one:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    other = runner.invoke(main, [*args, "--out", str(tmp_path / "three"), "--seed", "8"])
    assert other.exit_code == 0
    assert (tmp_path / "three" / "truth.csv").read_bytes() != (tmp_path / "one" / "truth.csv").read_bytes()


def test_city_levels_default_to_the_plans_and_are_reached():
    assert city_spec("wuhai").rate == pytest.approx(0.105)  # halfway from 9% (2020) to 12% (2025)
    assert city_spec("xuzhou").rate == pytest.approx(0.136)
    population = make_population([city_spec("wuhai", None, 20_000)], CAST, np.random.default_rng(3))
    assert population["literate"].astype(float).mean() == pytest.approx(0.105, abs=0.008)


def test_group_differences_follow_the_national_pattern():
    population = make_population([city_spec("xuzhou", 0.14, 30_000)], CAST, np.random.default_rng(5))
    rate = population["literate"].astype(float)
    by = {variable: rate.groupby(population[variable], observed=True).mean() for variable in
          ("education", "age_band", "urban_rural", "sex")}  # fmt: skip
    education = by["education"][["primary_or_less", "junior_high", "senior_high", "college", "university"]]
    assert education.is_monotonic_increasing
    assert by["age_band"].is_monotonic_decreasing
    assert by["urban_rural"]["urban"] > by["urban_rural"]["rural"]
    assert by["sex"]["male"] > by["sex"]["female"]


def test_validate_catches_the_injected_defects():
    simulation = simulate(CAST, {"wuhai": None}, interviews=600, persons=6000, defect_rate=0.02, seed=4)
    delivered = simulation.responses
    result = validate(delivered, CAST)
    rejects = result.rejects.set_index(SOURCE_ROW)
    defect = delivered["defect"].to_numpy()
    for row in np.flatnonzero(defect == "invalid_code") + 1:
        assert "invalid_value" in rejects.loc[row, REASONS]
    for row in np.flatnonzero(defect == "under_age") + 1:
        assert "outside_population" in rejects.loc[row, REASONS]
    assert result.summary["rejections"]["duplicate_id"] == (defect == "duplicate_id").sum()
    flagged = result.clean.set_index(SOURCE_ROW)["flag_speeder"]
    speeders = np.flatnonzero(defect == "speeder") + 1
    assert flagged.reindex(speeders).dropna().all()
    assert result.summary["balanced"]


@pytest.mark.slow
def test_weighted_estimates_recover_the_truth_and_intervals_cover_it():
    """A simulation study of the whole chain: one synthetic population, many
    two-stage samples with selective nonresponse; each is scored, raked to the
    census margins by city and estimated with Taylor intervals."""
    rng = np.random.default_rng(2026)
    population = make_population([city_spec("wuhai", None, 30_000), city_spec("xuzhou", None, 30_000)], CAST, rng)
    first = field_survey(population, CAST, rng, interviews=800, defect_rate=0.0)
    truth = first.truth.query("group == 'all' and city != 'all'").set_index("city")["rate"]
    margins = margins_from_frame(first.margins, by="city")
    weighted, unweighted, covered = [], [], []
    for _ in range(80):
        survey = field_survey(population, CAST, rng, interviews=800, defect_rate=0.0)
        data = add_groups(score(survey.responses.drop(columns=["defect", "person_id"]), CAST))
        data = data.loc[data["scorable"]]
        result = weight(data, margins, base_weight="base_weight", method="rake")
        design = Design(result.data, weight="weight_final", strata="district", psu="community")
        rates = estimate(design, "literate", by="city").set_index("city")
        naive = data.groupby("city")["literate"].mean()
        for city in truth.index:
            weighted.append(rates.loc[city, "estimate"] - truth[city])
            unweighted.append(float(naive[city]) - truth[city])
            covered.append(rates.loc[city, "ci_lower"] <= truth[city] <= rates.loc[city, "ci_upper"])
    weighted_bias, unweighted_bias = np.mean(weighted), np.mean(unweighted)
    weighted_se = np.std(weighted, ddof=1) / np.sqrt(len(weighted))
    unweighted_se = np.std(unweighted, ddof=1) / np.sqrt(len(unweighted))
    coverage = np.mean(covered)
    print(f"bias weighted {weighted_bias:+.4f} (se {weighted_se:.4f}), unweighted {unweighted_bias:+.4f} "
          f"(se {unweighted_se:.4f}); coverage {coverage:.3f} of {len(covered)}")  # fmt: skip
    assert abs(weighted_bias) < max(3 * weighted_se, 0.002), weighted_bias
    # Nonresponse is selective (the young and the university-educated answer
    # less): the naive rate is too low by many standard errors.
    assert unweighted_bias < -5 * unweighted_se, unweighted_bias
    # 160 intervals: the standard error of a 95% coverage is 1.7 points.
    assert 0.90 <= coverage <= 0.99, coverage


def test_a_sample_the_population_cannot_give_is_said_and_recorded(tmp_path):
    args = ["simulate", "--city", "wuhai", "--persons", "1000", "--interviews", "2000", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    settings = json.loads((tmp_path / "simulation.json").read_text(encoding="utf-8"))
    sampled = settings["sampled_per_city"]["wuhai"]
    assert settings["interviews_requested_per_city"] == 2000 and 0 < sampled < 2000
    delivered = pd.read_csv(tmp_path / "responses-csv.csv")
    assert settings["delivered_per_city"] == {"wuhai": len(delivered)}
    notes = [line for line in result.stderr.splitlines() if line.startswith("Sampled fewer persons than asked")]
    assert len(notes) == 1 and f"wuhai {sampled:,} of 2,000" in notes[0] and "--persons of about" in notes[0]
    assert settings["shortfall"] == notes[0]


def test_a_sample_the_population_can_give_has_no_shortfall():
    simulation = simulate(CAST, {"wuhai": None}, interviews=400, persons=8000, seed=2)
    settings = simulation.settings
    assert settings["shortfall"] is None
    assert settings["sampled_per_city"] == {"wuhai": len(simulation.sample)}
    assert abs(len(simulation.sample) - 400) <= 5 * 10  # whole communities of 20 in 5 districts
