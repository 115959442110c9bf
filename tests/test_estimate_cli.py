"""`literacy estimate` on real files: output shape, formats, errors."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import literacy
from conftest import REPO
from literacy.cli import main
from literacy.estimation import FIXED_COLUMNS

NHANES = REPO / "tests" / "reference" / "nhanes.csv"
DESIGN = ["--weight", "WTMEC2YR", "--strata", "SDMVSTRA", "--psu", "SDMVPSU"]
R = json.loads((REPO / "tests" / "reference" / "survey_reference.json").read_text(encoding="utf-8"))


def run(*args: str):
    return CliRunner().invoke(main, ["estimate", str(NHANES), "--outcome", "HI_CHOL", *DESIGN, *args])


def test_csv_output_has_domain_columns_then_the_fixed_columns(tmp_path):
    out = tmp_path / "estimates.csv"
    result = run("--by", "race", "--by", "race,RIAGENDR", "--missing-outcome", "subset", "-o", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns[:3]) == ["breakdown", "race", "RIAGENDR"]
    assert list(table.columns[3 : 3 + len(FIXED_COLUMNS)]) == FIXED_COLUMNS
    assert len(table) == 4 + 8
    reference = pd.DataFrame(R["cases"]["nhanes_race_logit"])
    by_race = table[table["RIAGENDR"].isna()].merge(reference, on="race", suffixes=("", "_r"))
    np.testing.assert_allclose(by_race["ci_lower"], by_race["ci_lower_r"], rtol=1e-6)
    assert "12 row(s)" in result.stderr and "31 PSUs in 15 strata" in result.stderr


def test_json_and_table_formats(tmp_path):
    result = run("--format", "json", "--ci", "korn-graubard")
    payload = json.loads(result.stdout)
    assert payload["metadata"]["estimate"]["ci_method"] == "korn-graubard"
    assert payload["rows"][0]["df"] == 16
    table = run("--by", "race", "--format", "table")
    assert table.stdout.splitlines()[0].split()[:4] == ["breakdown", "race", "estimate", "se"]


def test_plain_csv_with_na_for_missing(tmp_path):
    source = tmp_path / "plain.csv"
    pd.read_csv(NHANES).to_csv(source, index=False, na_rep="NA")
    result = CliRunner().invoke(main, ["estimate", str(source), "--outcome", "HI_CHOL", *DESIGN])
    assert result.exit_code == 0, result.output
    assert float(result.stdout.splitlines()[1].split(",")[1]) == pytest.approx(0.112142956349692)


def test_replicates_from_the_design():
    result = run("--replicates", "jkn", "--by", "race")
    assert result.exit_code == 0
    table = pd.read_csv(pd.io.common.StringIO(result.stdout))
    reference = pd.DataFrame(R["replicates"]["jkn"]["race"])
    np.testing.assert_allclose(table["se"], reference["se"], rtol=1e-6)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--by", "province"], 1, "The by column(s) province are not in the data"),
        (["--ci", "exact"], 2, "Invalid value for '--ci'"),
        (["--replicates", "brr"], 1, "BRR needs exactly 2 PSUs in every stratum; 86 (3 PSUs)"),
        (["--replicates", "jkn", "--replicate-weights", "r*"], 2, "Give either --replicates"),
        (["--replicate-weights", "rep*"], 1, "No replicate weight column matches 'rep*'"),
    ],
)
def test_errors(args, code, message):
    result = run(*args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_lonely_psu_from_the_command_line(tmp_path):
    data = pd.read_csv(NHANES)
    source = tmp_path / "lonely.csv"
    data[~((data.SDMVSTRA == 83) & (data.SDMVPSU == 2))].to_csv(source, index=False)
    failed = CliRunner().invoke(main, ["estimate", str(source), "--outcome", "HI_CHOL", *DESIGN])
    assert failed.exit_code == 1 and "Stratum 83 has only one PSU" in failed.stderr
    ok = CliRunner().invoke(main, ["estimate", str(source), "--outcome", "HI_CHOL", *DESIGN, "--lonely-psu", "adjust"])
    assert ok.exit_code == 0


def test_reliability_thresholds_from_the_command_line():
    loose = pd.read_csv(pd.io.common.StringIO(run("--by", "race").stdout))
    strict = pd.read_csv(pd.io.common.StringIO(run("--by", "race", "--min-n-eff", "1000").stdout))
    assert loose["flags"].isna().sum() == 4  # no flag on any race
    assert strict["flags"].fillna("").str.contains("low_n_eff").tolist() == [False, False, True, True]


def test_a_non_binary_outcome_is_a_mean_or_distribution_only_when_asked():
    def race(*args: str):
        return CliRunner().invoke(main, ["estimate", str(NHANES), "--outcome", "race", *DESIGN, *args])

    refused = race()
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "Error: The outcome 'race' is not 0/1 (it holds 1, 2, 3, 4), so pass --statistic mean" in refused.stderr
    assert "Traceback" not in refused.output
    mean = race("--statistic", "mean")
    assert mean.exit_code == 0 and "Estimated race (mean)" in mean.stderr
    assert 1 < pd.read_csv(pd.io.common.StringIO(mean.stdout)).loc[0, "estimate"] < 4
    shares = pd.read_csv(pd.io.common.StringIO(race("--statistic", "distribution").stdout))
    assert shares["level"].tolist() == [1, 2, 3, 4] and shares["estimate"].sum() == pytest.approx(1)


def test_a_weighted_file_is_not_estimated_unweighted_by_omission(tmp_path):
    """A file `literacy weight` wrote records its calibrated weight column;
    leaving out --weight is then a usage error naming both ways on (issue 15
    review: unweighted rates of the demo's weighted.csv came out with exit 0)."""
    folder = tmp_path / "demo"
    literacy.demo(folder)
    weighted = str(folder / "weighted.csv")
    runner = CliRunner()
    refused = runner.invoke(main, ["estimate", weighted, "--outcome", "literate", "--by", "city"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "records weights made by calibration in 'weight_final'; pass --weight weight_final" in refused.stderr
    both = runner.invoke(main, ["estimate", weighted, "--outcome", "literate", "--weight", "weight_final",
                                "--unweighted"])  # fmt: skip
    assert both.exit_code == 2 and "either --weight COLUMN or --unweighted" in both.stderr
    plain = runner.invoke(main, ["estimate", weighted, "--outcome", "literate", "--by", "city", "--unweighted"])
    assert plain.exit_code == 0 and "unweighted (every respondent weighs 1)" in plain.stderr
    weighed = runner.invoke(main, ["estimate", weighted, "--outcome", "literate", "--by", "city", "--weight",
                                   "weight_final", "--strata", "district", "--psu", "community"])  # fmt: skip
    assert weighed.exit_code == 0 and "calibrated (rake)" in weighed.stderr
    unweighted, calibrated = (pd.read_csv(io.StringIO(r.stdout)) for r in (plain, weighed))
    assert not np.allclose(unweighted["estimate"], calibrated["estimate"])
