"""Replicate designs that cannot fit in memory are refused in one sentence
before numpy runs out of memory (issue 11, a bad-input battery case)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO
from literacy import Design, LiteracyError
from literacy.cli import main

NHANES = REPO / "tests" / "reference" / "nhanes.csv"


def test_a_hundred_million_bootstrap_replicates_are_refused_with_the_memory_they_need():
    result = CliRunner().invoke(main, [
        "estimate", str(NHANES), "--outcome", "HI_CHOL", "--weight", "WTMEC2YR", "--strata", "SDMVSTRA",
        "--psu", "SDMVPSU", "--replicates", "bootstrap", "--replicate-count", "100000000",
    ])  # fmt: skip
    assert result.exit_code == 1
    assert "100,000,000 bootstrap replicates of this design (31 PSUs) need about" in result.stderr
    assert "ask for fewer replicates" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_jackknife_of_a_million_single_row_psus_is_refused_before_allocating():
    design = Design(pd.DataFrame({"y": [0.0, 1.0] * 500_000}))  # every row its own PSU
    with pytest.raises(LiteracyError, match=r"1,000,000 jk1 replicates .* use jkn, bootstrap or Taylor"):
        design.with_replicates("jk1")


def test_a_reasonable_request_still_runs():
    design = Design(pd.read_csv(NHANES), weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU")
    assert design.with_replicates("bootstrap", replicates=50, seed=1).replicates.count == 50
