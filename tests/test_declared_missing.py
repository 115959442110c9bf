"""Declared missing values are missing wherever a column is analysed (issue 11).

Fixtures come from the real writers: GNU PSPP (``reference/pspp/*.sps``, the
file committed) and pyreadstat's SPSS and Stata writers. The reference is the
same data with the missing rows blanked by hand, and R's ``survey`` on the
PSPP file (``reference/missing_reference.R``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from literacy import Design, LiteracyError, estimate, read
from literacy.io.missing import blank_declared_missing, declared_missing_mask
from literacy.weighting import margins_from_frame, weight

REFERENCE = Path(__file__).parent / "reference"
PSPP_SAV = REFERENCE / "pspp" / "nhanes_missing.sav"


def _nhanes() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "nhanes.csv")


def _nhanes_design(data: pd.DataFrame) -> Design:
    return Design(data, weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU")


def test_the_pspp_file_declares_9_missing_and_the_9s_stay_out_of_every_estimate():
    data = read(PSPP_SAV)
    assert data.attrs["labels"]["missing"]["HI_CHOL"] == [9]
    assert (data["HI_CHOL"] == 9).sum() == _nhanes()["HI_CHOL"].isna().sum() > 0  # the codes arrive as codes
    design = _nhanes_design(data)
    assert design.declared_missing == {"HI_CHOL": int((data["HI_CHOL"] == 9).sum())}
    ours = estimate(design, "HI_CHOL", "race", ci="korn-graubard")
    expected = estimate(_nhanes_design(_nhanes()), "HI_CHOL", "race", ci="korn-graubard")
    assert ours.attrs["estimate"]["statistic"] == "proportion"
    assert ours["estimate"].between(0, 1).all()
    columns = ["estimate", "se", "ci_lower", "ci_upper", "df", "n"]
    np.testing.assert_allclose(ours[columns].to_numpy(float), expected[columns].to_numpy(float), rtol=1e-12)


def test_spss_ranges_and_single_codes_in_by_and_design_columns(tmp_path):
    rng = np.random.default_rng(4)
    n = 400
    frame = pd.DataFrame({
        "y": rng.integers(0, 2, n).astype(float),
        "region": rng.choice([1.0, 2.0, 3.0], n),
        "stratum": rng.choice([1.0, 2.0], n),
        "psu": rng.integers(1, 6, n).astype(float),
        "w": rng.uniform(1, 3, n),
    })  # fmt: skip
    frame.loc[rng.choice(n, 30, replace=False), "y"] = 8.0  # inside the range 7 thru 9
    frame.loc[rng.choice(n, 20, replace=False), "region"] = 99.0
    path = tmp_path / "ranges.sav"
    pyreadstat.write_sav(frame, str(path), missing_ranges={"y": [{"lo": 7.0, "hi": 9.0}], "region": [99.0]})
    data = read(path)
    ours = estimate(Design(data, weight="w", strata="stratum", psu="psu"), "y", "region")
    blanked = frame.assign(y=frame["y"].where(frame["y"] != 8.0), region=frame["region"].where(frame["region"] != 99))
    expected = estimate(Design(blanked, weight="w", strata="stratum", psu="psu"), "y", "region")
    assert list(ours["region"]) == [1.0, 2.0, 3.0]  # no domain "99"
    np.testing.assert_allclose(ours[["estimate", "se", "n"]].to_numpy(float),
                               expected[["estimate", "se", "n"]].to_numpy(float), rtol=1e-12)  # fmt: skip


def test_a_declared_missing_weight_or_stratum_is_refused_not_used(tmp_path):
    frame = pd.DataFrame({"y": [0.0, 1, 1, 0, 1, 0], "w": [1.0, 2, 9999, 1, 2, 1], "s": [1.0, 1, 1, 2, 2, 2]})
    path = tmp_path / "weights.sav"
    pyreadstat.write_sav(frame, str(path), missing_ranges={"w": [9999.0]})
    with pytest.raises(LiteracyError, match="weight"):
        Design(read(path), weight="w", strata="s")


def test_stata_extended_missing_letters_leave_a_numeric_proportion(tmp_path):
    frame = pd.DataFrame({"y": [0, 1, 1, "a", 0, "b", 1, 0], "g": [1, 1, 1, 1, 2, 2, 2, 2]})
    path = tmp_path / "extended.dta"
    pyreadstat.write_dta(frame, str(path), missing_user_values={"y": ["a", "b"]})
    data = read(path)
    assert set(data["y"].dropna().astype(str)) >= {"a", "b"}  # they arrive as letters
    ours = estimate(Design(data), "y", "g")
    assert ours.attrs["estimate"]["statistic"] == "proportion"
    np.testing.assert_allclose(ours["estimate"], [2 / 3, 1 / 3])
    np.testing.assert_array_equal(ours["n"], [3, 3])


def test_margins_variables_lose_their_declared_codes_before_weighting(tmp_path):
    frame = pd.DataFrame({"sex": [1.0, 2, 1, 2, 9], "w": [1.0] * 5})
    path = tmp_path / "margins.sav"
    pyreadstat.write_sav(frame, str(path), missing_ranges={"sex": [9.0]})
    margins = margins_from_frame(pd.DataFrame({"variable": ["sex"] * 2, "category": ["1", "2"], "target": [50, 50]}))
    with pytest.raises(LiteracyError, match="1 respondent\\(s\\) have no sex"):
        weight(read(path), margins, base_weight="w")


def test_masks_compare_numbers_text_and_ranges():
    column = pd.Series([1.0, 9.0, 7.5, None, 3.0])
    np.testing.assert_array_equal(declared_missing_mask(column, [[7, 9]]), [False, True, True, False, False])
    letters = pd.Series([0, "a", 1, ".b", "c"], dtype=object)
    np.testing.assert_array_equal(declared_missing_mask(letters, ["a", "b"]), [False, True, False, True, False])


def test_nothing_declared_returns_the_frame_itself():
    frame = pd.DataFrame({"y": [1, 9]})
    same, counts = blank_declared_missing(frame)
    assert same is frame and counts == {}


@pytest.mark.parametrize("name", ["special_missing.dta", "special_missing.sas7bdat", "special_missing.xpt"])
def test_stata_and_sas_special_missing_written_by_r_haven(name):
    """R haven's Stata (.a, .b), SAS (.A, .B) and SAS transport files: the
    special values stay out and the 0/1 outcome is a proportion."""
    data = read(REFERENCE / "haven" / name)
    ours = estimate(Design(data), "y", "g")
    assert ours.attrs["estimate"]["statistic"] == "proportion"
    np.testing.assert_allclose(ours["estimate"], [2 / 3, 1 / 3])
    np.testing.assert_array_equal(ours["n"], [3, 3])
