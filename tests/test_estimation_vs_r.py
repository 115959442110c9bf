"""Estimates, SEs, intervals, df and design effects against R survey 4.1.1.

The references come from tests/reference/survey_reference.R (committed with its
JSON output) on public data shipped with R survey: NHANES (strata x PSUs),
the California API stratified sample with FPC and the one-stage cluster
sample with FPC. Agreement is to a relative 1e-6; R is not needed here.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from literacy import Design, contrast, estimate

REFERENCE = REPO / "tests" / "reference"
R = json.loads((REFERENCE / "survey_reference.json").read_text(encoding="utf-8"))
CASES = R["cases"]
METHODS = {"logit": "logit", "mean": "wald", "beta": "korn-graubard"}
TOLERANCE = 1e-6


def nhanes() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "nhanes.csv")


def nhanes_design(**options) -> Design:
    return Design(nhanes(), weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", **options)


def assert_matches(ours: pd.DataFrame, case: str, keys: list[str], columns: list[str]) -> None:
    reference = pd.DataFrame(CASES[case]) if isinstance(CASES[case], list) else pd.DataFrame([CASES[case]])
    if keys:
        merged = ours.merge(reference, on=keys, suffixes=("", "_r"), validate="one_to_one")
        assert len(merged) == len(reference) == len(ours), case
    else:
        merged = pd.concat([ours.reset_index(drop=True), reference.add_suffix("_r")], axis=1)
    for column in columns:
        np.testing.assert_allclose(
            merged[column].to_numpy(float), merged[f"{column}_r"].to_numpy(float), rtol=TOLERANCE, err_msg=case
        )


BY = {"whole": None, "race": "race", "race_sex": ["race", "RIAGENDR"], "agecat": "agecat"}


@pytest.mark.parametrize("r_method", METHODS)
@pytest.mark.parametrize("domain", BY)
def test_nhanes_proportions_by_domain(r_method, domain):
    # survey_reference.R estimates on subset(design, !is.na(HI_CHOL)); the
    # default (R's na.rm = TRUE) is checked in test_missing_outcome_vs_r.py.
    ours = estimate(nhanes_design(), "HI_CHOL", BY[domain], ci=METHODS[r_method], missing_outcome="subset")
    keys = [] if BY[domain] is None else ([BY[domain]] if isinstance(BY[domain], str) else BY[domain])
    assert_matches(ours, f"nhanes_{domain}_{r_method}", keys, ["estimate", "se", "ci_lower", "ci_upper", "df"])


def test_nhanes_level_90():
    ours = estimate(nhanes_design(), "HI_CHOL", "race", level=0.90, missing_outcome="subset")
    assert_matches(ours, "nhanes_race_logit_90", ["race"], ["ci_lower", "ci_upper"])


def test_nhanes_design_effects():
    assert_matches(estimate(nhanes_design(), "HI_CHOL", "race"), "nhanes_race_deff", ["race"], ["se", "deff"])
    assert_matches(estimate(nhanes_design(), "HI_CHOL"), "nhanes_whole_deff", [], ["estimate", "se", "deff"])


def test_mean_of_a_numeric_outcome():
    ours = estimate(nhanes_design(), "race", "RIAGENDR", statistic="mean")
    assert_matches(ours, "nhanes_mean_race_by_sex", ["RIAGENDR"], ["estimate", "se"])


def test_distribution_of_a_categorical_outcome():
    ours = estimate(nhanes_design(), "agecat", "RIAGENDR")
    assert_matches(ours, "nhanes_agecat_distribution_by_sex", ["RIAGENDR", "level"], ["estimate", "se"])
    assert np.allclose(ours.groupby("RIAGENDR")["estimate"].sum(), 1.0)


def test_contrast_between_correlated_domains():
    ours = contrast(nhanes_design(), "HI_CHOL", {"RIAGENDR": 2}, {"RIAGENDR": 1})
    reference = CASES["nhanes_contrast_sex"][0]
    assert ours.loc[0, "estimate"] == pytest.approx(reference["estimate"], rel=TOLERANCE)
    assert ours.loc[0, "se"] == pytest.approx(reference["se"], rel=TOLERANCE)


@pytest.mark.parametrize("rule", ["remove", "certainty", "adjust", "average"])
def test_lonely_psu_rules(rule):
    data = nhanes()
    data = data[~((data.SDMVSTRA == 83) & (data.SDMVPSU == 2)) & data.HI_CHOL.notna()]
    design = Design(data, weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", lonely_psu=rule)
    columns = ["estimate", "se", "ci_lower", "ci_upper", "df"]
    assert_matches(estimate(design, "HI_CHOL", ci="wald"), f"lonely_{rule}_whole", [], columns)
    assert_matches(estimate(design, "HI_CHOL", "race", ci="wald"), f"lonely_{rule}_race", ["race"], columns)


@pytest.mark.parametrize("r_method", METHODS)
def test_stratified_sample_with_fpc(r_method):
    data = pd.read_csv(REFERENCE / "apistrat.csv")
    design = Design(data, weight="pw", strata="stype", fpc="fpc")
    columns = ["estimate", "se", "ci_lower", "ci_upper", "df"]
    assert_matches(estimate(design, "sch_wide", "stype", ci=METHODS[r_method]), f"apistrat_stype_{r_method}",
                   ["stype"], columns)  # fmt: skip
    assert_matches(estimate(design, "sch_wide", ci=METHODS[r_method]), f"apistrat_whole_{r_method}", [], columns)


def test_stratified_fpc_design_effect_is_without_replacement():
    data = pd.read_csv(REFERENCE / "apistrat.csv")
    design = Design(data, weight="pw", strata="stype", fpc="fpc")
    assert_matches(estimate(design, "sch_wide", "stype"), "apistrat_deff", ["stype"], ["se", "deff"])


@pytest.mark.parametrize("r_method", METHODS)
def test_cluster_sample_with_fpc(r_method):
    data = pd.read_csv(REFERENCE / "apiclus1.csv")
    design = Design(data, weight="pw", psu="dnum", fpc="fpc")
    assert_matches(estimate(design, "sch_wide", "stype", ci=METHODS[r_method]), f"apiclus1_stype_{r_method}",
                   ["stype"], ["estimate", "se", "ci_lower", "ci_upper", "df"])  # fmt: skip


# ---------------------------------------------------------------- replicate designs


def _replicate_reference(name: str, data: pd.DataFrame, design: Design, by: str) -> None:
    reference = R["replicates"][name]
    assert design.replicates.df == reference["degf"]
    assert design.replicates.scale == pytest.approx(reference["scale"], rel=1e-12)
    # Replicate order follows stratum order, which R takes from first appearance: compare as sets.
    np.testing.assert_allclose(np.sort(design.replicates.rscales), np.sort(reference["rscales"]), rtol=1e-12)
    whole = estimate(design, "sch_wide" if by == "stype" else "HI_CHOL")
    assert whole.loc[0, "estimate"] == pytest.approx(reference["whole"][0]["estimate"], rel=TOLERANCE)
    assert whole.loc[0, "se"] == pytest.approx(reference["whole"][0]["se"], rel=TOLERANCE)
    domains = estimate(design, "sch_wide" if by == "stype" else "HI_CHOL", by)
    expected = pd.DataFrame(reference[by])
    merged = domains.merge(expected, on=by, suffixes=("", "_r"))
    assert len(merged) == len(expected)
    np.testing.assert_allclose(merged["se"], merged["se_r"], rtol=TOLERANCE)
    if f"ciprop_logit_{by}" in reference:
        ci = pd.DataFrame(reference[f"ciprop_logit_{by}"])
        merged = domains.merge(ci, on=by, suffixes=("", "_r"))
        for column in ("ci_lower", "ci_upper", "df"):
            np.testing.assert_allclose(merged[column], merged[f"{column}_r"], rtol=TOLERANCE)


def test_jk1_on_a_cluster_sample():
    data = pd.read_csv(REFERENCE / "apiclus1.csv")
    design = Design(data, weight="pw", psu="dnum", fpc="fpc").with_replicates("jk1")
    _replicate_reference("jk1_apiclus1", data, design, "stype")


def test_jkn_on_nhanes():
    design = nhanes_design().with_replicates("jkn")
    _replicate_reference("jkn", nhanes(), design, "race")


@pytest.mark.parametrize(("method", "name"), [("brr", "brr"), ("fay", "fay")])
def test_brr_and_fay_on_nhanes_with_paired_psus(method, name):
    data = nhanes().assign(brr_psu=lambda d: d.SDMVPSU.where(d.SDMVPSU != 3, 2))
    design = Design(data, weight="WTMEC2YR", strata="SDMVSTRA", psu="brr_psu").with_replicates(method, fay_rho=0.3)
    _replicate_reference(name, data, design, "race")


def test_bootstrap_replicates_supplied_as_columns():
    """R's Rao-Wu bootstrap replicates (R's random numbers) given as columns."""
    data = nhanes()
    factors = pd.read_csv(REFERENCE / "nhanes_bootstrap_factors.csv")
    merged = data.merge(factors, on=["SDMVSTRA", "SDMVPSU"], how="left", validate="many_to_one")
    columns = [c for c in factors.columns if c not in ("SDMVSTRA", "SDMVPSU")]
    for column in columns:
        merged[column] = merged[column] * merged["WTMEC2YR"]
    reference = R["replicates"]["bootstrap"]
    design = Design(merged, weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU").with_replicate_columns(
        columns, type="bootstrap"
    )
    _replicate_reference("bootstrap", merged, design, "race")
    assert reference["scale"] == pytest.approx(1 / (len(columns) - 1))
