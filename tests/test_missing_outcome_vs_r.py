"""Rows with a missing outcome, both conventions, against R survey 4.1.1
(``reference/missing_reference.R`` on the PSPP file whose missing HI_CHOL is
the declared code 9; its JSON is committed, R is not needed).

* ``na.rm`` (the default): R's svyby(~y, ~g, design, svyciprop, na.rm = TRUE).
  The rows stay in each domain's design, so its df and Korn-Graubard's
  nrow(design) - 1 count them.
* ``subset``: R's subset(design, !is.na(y)) first."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO
from literacy import Design, estimate, read
from literacy.cli import main

REFERENCE = REPO / "tests" / "reference"
R = json.loads((REFERENCE / "missing_reference.json").read_text(encoding="utf-8"))
PSPP_SAV = REFERENCE / "pspp" / "nhanes_missing.sav"
METHODS = {"logit": "logit", "mean": "wald", "beta": "korn-graubard"}
DOMAINS = {"whole": None, "race": ["race"], "agecat": ["agecat"], "race_sex": ["race", "RIAGENDR"]}
COLUMNS = ["estimate", "se", "ci_lower", "ci_upper", "df"]


def _design() -> Design:
    return Design(read(PSPP_SAV), weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU")


def _compare(ours: pd.DataFrame, case: str, keys: list[str]) -> None:
    reference = pd.DataFrame(R["cases"][case])
    if keys:
        ours = ours.assign(**{k: ours[k].astype(str).str.strip() for k in keys})
        reference = reference.assign(**{k: reference[k].astype(str).str.strip() for k in keys})
        ours = ours.assign(**{k: ours[k].str.replace(r"\.0$", "", regex=True) for k in keys})
        merged = ours.merge(reference, on=keys, suffixes=("", "_r"), validate="one_to_one")
        assert len(merged) == len(reference) == len(ours), case
    else:
        merged = pd.concat([ours.reset_index(drop=True), reference.add_suffix("_r")], axis=1)
    for column in COLUMNS:
        np.testing.assert_allclose(merged[column].to_numpy(float), merged[f"{column}_r"].to_numpy(float),
                                   rtol=1e-6, err_msg=f"{case} {column}")  # fmt: skip


@pytest.mark.parametrize("convention", ["narm", "subset"])
@pytest.mark.parametrize("r_method", METHODS)
@pytest.mark.parametrize("domain", DOMAINS)
def test_both_missing_outcome_conventions_match_r(convention, r_method, domain):
    ours = estimate(_design(), "HI_CHOL", DOMAINS[domain], ci=METHODS[r_method],
                    missing_outcome="na.rm" if convention == "narm" else "subset")  # fmt: skip
    assert ours.attrs["estimate"]["missing_outcome"] == ("na.rm" if convention == "narm" else "subset")
    _compare(ours, f"{convention}_{domain}_{r_method}", DOMAINS[domain] or [])


@pytest.mark.parametrize("convention", ["narm", "subset"])
def test_replicate_design_df_under_both_conventions(convention):
    design = _design().with_replicates("jkn")
    ours = estimate(design, "HI_CHOL", "race", missing_outcome="na.rm" if convention == "narm" else "subset")
    _compare(ours, f"{convention}_jkn_race_logit", ["race"])


def test_the_conventions_differ_where_r_says_they_do():
    """Race 4 has PSUs whose only respondents lack HI_CHOL: 15 df kept, 14 dropped."""
    narm = estimate(_design(), "HI_CHOL", "race", ci="korn-graubard")
    subset = estimate(_design(), "HI_CHOL", "race", ci="korn-graubard", missing_outcome="subset")
    assert narm.loc[narm["race"] == 4, "df"].item() == 15
    assert subset.loc[subset["race"] == 4, "df"].item() == 14
    np.testing.assert_allclose(narm["se"], subset["se"], rtol=1e-12)  # the variance is the same


def test_the_command_says_how_many_outcomes_were_declared_missing(tmp_path):
    result = CliRunner().invoke(main, [
        "estimate", str(PSPP_SAV), "--outcome", "HI_CHOL", "--by", "race", "--weight", "WTMEC2YR",
        "--strata", "SDMVSTRA", "--psu", "SDMVPSU", "-o", str(tmp_path / "e.csv"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    missing = R["missing_rows"]
    assert f"{missing} row(s) have no HI_CHOL ({missing} of them a declared missing code)" in result.stderr
    assert "Estimated HI_CHOL (proportion)" in result.stderr
    table = pd.read_csv(tmp_path / "e.csv", encoding="utf-8-sig")
    assert table["estimate"].between(0, 0.2).all()  # never a "mean" of 0/1/9 codes
