"""Calibrated standard errors on many rows agree with R survey to 1e-9
(issue 15). X'WX of the margins' indicator columns (dependent: each margin
adds up to its city) summed over 200,000 rows of one base weight keeps
"zero" eigenvalues of hundreds of machine epsilons; inverted, they once put
noise of up to 1e-6 into every calibrated SE, and linear calibration of
these very rows stopped with "The final weights miss a target" (sex=m in
city c, 3.5e-5 off). R takes the residuals with a
QR of its full-rank model matrix (``calibrate``, ``svyrecvar``), so it is
the reference: ``tests/reference/calibration_precision.R`` and its JSON.
The rows are made by exact integer arithmetic, identical in R and here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from literacy import estimate
from literacy.weighting import margins_from_frame, weight

REFERENCE = json.loads((Path(__file__).parent / "reference" / "calibration_precision.json").read_text("utf-8"))


def _rows(n: int) -> pd.DataFrame:
    """The R script's rows: variable k is floor(levels * ((i * a_k + b_k) mod 2^32) / 2^32)."""
    i = np.arange(n, dtype=np.int64)

    def u(a: int, b: int) -> np.ndarray:
        return ((i * a + b) % 2**32) / 2**32  # i * a < 2^63: exact, as R's doubles are below 2^53

    data = pd.DataFrame({
        "city": np.array(["a", "b", "c"])[np.floor(3 * u(2654435761, 7)).astype(int)],
        "sex": np.where(u(2246822519, 11) < 0.5, "f", "m"),
        "age": (np.floor(5 * u(3266489917, 13)).astype(int) + 1).astype(str),
        "urban": np.where(u(668265263, 17) < 0.7, "u", "r"),
        "edu": np.array(["p", "j", "s", "c", "u"])[np.floor(5 * u(374761393, 19)).astype(int)],
        "stratum": np.floor(40 * u(2870177453, 23)).astype(int),
        "w": 32.7,
    })  # fmt: skip
    data["psu"] = data["stratum"] * 100 + np.floor(30 * u(1103515245, 29)).astype(int)
    chance = 0.1 + 0.1 * (data["urban"] == "u") + 0.05 * (data["sex"] == "m")
    data["y"] = (u(1664525, 31) < chance).astype(float)
    return data


@pytest.fixture(scope="module")
def design():
    margins = pd.DataFrame([row for block in REFERENCE["margins"] for row in block])
    result = weight(_rows(REFERENCE["n"][0]), margins_from_frame(margins, by="city"), base_weight="w",
                    method="linear")  # fmt: skip
    return result


def test_the_weights_are_r_calibrate_linear(design):
    weights = design.data["weight_final"].to_numpy()
    assert weights.sum() == pytest.approx(REFERENCE["weight_sum"][0], rel=1e-12)
    np.testing.assert_allclose(weights[:5], REFERENCE["weight_first"], rtol=1e-10)


@pytest.mark.parametrize(("by", "key"), [("city", "city"), (["city", "urban"], "city_urban")])
def test_calibrated_standard_errors_agree_with_r_to_1e_9(design, by, key):
    ours = estimate(design.design(strata="stratum", psu="psu"), "y", by, labels="codes")
    theirs = pd.DataFrame(REFERENCE[key])
    merged = ours.merge(theirs, on=[by] if isinstance(by, str) else by, suffixes=("", "_r"))
    assert len(merged) == len(theirs)
    np.testing.assert_allclose(merged["estimate"], merged["estimate_r"], rtol=1e-10)
    np.testing.assert_allclose(merged["se"], merged["se_r"], rtol=1e-9)
