"""Weights and SEs after weighting against R survey 4.1.1 (postStratify, rake,
calibrate linear/raking with and without bounds, a calibrated JK1 design).
References: tests/reference/weighting_reference.R and its JSON output."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from literacy import Design, estimate
from literacy.weighting import margins_from_frame, weight

REFERENCE = REPO / "tests" / "reference"
CASES = json.loads((REFERENCE / "weighting_reference.json").read_text(encoding="utf-8"))["cases"]
DATA = pd.read_csv(REFERENCE / "apiclus1_weighting.csv")
MARGINS = margins_from_frame(
    pd.DataFrame(
        {
            "variable": ["stype"] * 3 + ["sch_wide"] * 2,
            "category": ["E", "H", "M", "0", "1"],
            "target": [4421, 755, 1018, 1072, 5122],
        }
    )
)
JOINT = margins_from_frame(pd.DataFrame({"stype": ["E", "H", "M"], "target": [4421, 755, 1018]}))
CASE_SETTINGS = {
    "poststratify": ("poststratify", None, JOINT),
    "rake": ("rake", None, MARGINS),
    "linear": ("linear", None, MARGINS),
    "raking": ("raking-bounded", None, MARGINS),
    "linear_bounded": ("linear", (0.5, 1.7), MARGINS),
    "raking_bounded": ("raking-bounded", (0.5, 1.7), MARGINS),
}


def weighted(case: str) -> pd.DataFrame:
    method, bounds, margins = CASE_SETTINGS[case]
    return weight(DATA, margins, base_weight="pw", method=method, bounds=bounds).data


@pytest.mark.parametrize("case", CASE_SETTINGS)
def test_weights_match_r(case):
    ours = weighted(case)["weight_final"].to_numpy()
    np.testing.assert_allclose(ours, CASES[case]["weights"], rtol=1e-8)


@pytest.mark.parametrize("case", CASE_SETTINGS)
def test_standard_errors_after_weighting_match_r(case):
    design = Design(weighted(case), weight="weight_final", psu="dnum", fpc="fpc")
    assert design.calibration is not None  # picked up from the table's weighting record
    whole = estimate(design, "hi_api")
    assert whole.loc[0, "estimate"] == pytest.approx(CASES[case]["whole"][0]["estimate"], rel=1e-8)
    assert whole.loc[0, "se"] == pytest.approx(CASES[case]["whole"][0]["se"], rel=1e-6)
    domains = estimate(design, "hi_api", "awards01").merge(pd.DataFrame(CASES[case]["awards"]), on="awards01")
    np.testing.assert_allclose(domains["estimate_x"], domains["estimate_y"], rtol=1e-8)
    np.testing.assert_allclose(domains["se_x"], domains["se_y"], rtol=1e-6)


def test_ignoring_the_calibration_gives_r_s_uncalibrated_answer_not_the_calibrated_one():
    design = Design(weighted("linear"), weight="weight_final", psu="dnum", fpc="fpc", calibration=None)
    assert estimate(design, "hi_api").loc[0, "se"] != pytest.approx(CASES["linear"]["whole"][0]["se"], rel=1e-3)


def test_calibrated_jk1_replicates_are_each_recalibrated():
    design = Design(weighted("raking"), weight="weight_final", psu="dnum", fpc="fpc").with_replicates("jk1")
    reference = CASES["jk1_raking"]
    assert design.replicates.df == reference["degf"]
    whole = estimate(design, "hi_api")
    assert whole.loc[0, "se"] == pytest.approx(reference["whole"][0]["se"], rel=1e-6)
    domains = estimate(design, "hi_api", "awards01").merge(pd.DataFrame(reference["awards"]), on="awards01")
    np.testing.assert_allclose(domains["se_x"], domains["se_y"], rtol=1e-6)
