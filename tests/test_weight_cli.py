"""`literacy weight` end to end: margins file in, weighted file out, and
`literacy estimate` picking the calibration up from the file's record."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO
from literacy.cli import main

REFERENCE = REPO / "tests" / "reference"
DATA = REFERENCE / "apiclus1_weighting.csv"
R = json.loads((REFERENCE / "weighting_reference.json").read_text(encoding="utf-8"))["cases"]


@pytest.fixture
def margins(tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text(
        "variable,category,target\nstype,E,4421\nstype,H ,755\nstype,M,1018\nsch_wide,0,1072\nsch_wide,1,5122\n",
        encoding="utf-8",
    )
    return path


def test_weight_then_estimate_carries_the_calibration(tmp_path, margins):
    out = tmp_path / "weighted.csv"
    diagnostics = tmp_path / "diagnostics.json"
    runner = CliRunner()
    args = ["weight", str(DATA), "--margins", str(margins), "--base-weight", "pw", "--method", "raking-bounded"]
    result = runner.invoke(main, [*args, "-o", str(out), "--diagnostics", str(diagnostics)])
    assert result.exit_code == 0, result.output
    assert "Weighted 183 rows by raking-bounded to 5 targets" in result.stderr
    assert "kish_deff" in result.stderr
    weighted = pd.read_csv(out, encoding="utf-8-sig")
    assert weighted["weight_final"].to_numpy() == pytest.approx(R["raking"]["weights"], rel=1e-8)
    report = json.loads(diagnostics.read_text(encoding="utf-8"))
    assert report["weighting"]["method"] == "raking-bounded"
    assert {row["variable"] for row in report["margins"]} == {"stype", "sch_wide"}
    estimated = runner.invoke(main, ["estimate", str(out), "--outcome", "hi_api", "--weight", "weight_final",
                                     "--psu", "dnum", "--fpc", "fpc"])  # fmt: skip
    assert estimated.exit_code == 0, estimated.output
    se = float(estimated.stdout.splitlines()[1].split(",")[2])  # breakdown, estimate, se
    assert se == pytest.approx(R["raking"]["whole"][0]["se"], rel=1e-6)
    assert "calibrated (raking-bounded)" in estimated.stderr


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--method", "linear", "--bounds", "0.5"], 2, "--bounds takes two numbers"),
        (["--trim", "median:x"], 2, "--trim takes median:5 or quantile:0.99"),
        (["--base-weight", "nope"], 1, "The base weight column 'nope' is not in the data"),
        (["--by-city", "cname"], 1, "has no 'cname' (or city) column for per-cname weighting"),
        (["--method", "raking-bounded", "--bounds", "0.95,1.05"], 1, "Calibration did not converge"),
    ],
)
def test_weight_errors(margins, extra, code, message):
    args = ["weight", str(DATA), "--margins", str(margins), "--base-weight", "pw", *extra]
    if "--base-weight" in extra:
        args = ["weight", str(DATA), "--margins", str(margins), *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_weight_refuses_to_overwrite(tmp_path, margins):
    out = tmp_path / "weighted.csv"
    out.write_text("keep", encoding="utf-8")
    result = CliRunner().invoke(main, ["weight", str(DATA), "--margins", str(margins), "--base-weight", "pw",
                                       "-o", str(out)])  # fmt: skip
    assert result.exit_code == 1 and "already exists; pass --force" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep"


def test_per_city_margins_with_a_collapse_file(tmp_path):
    data = pd.DataFrame(
        {"city": ["a"] * 6 + ["b"] * 6, "edu": ["low", "high", "low", "high", "low", "mid"] * 2, "w": [10.0] * 12}
    )
    source = tmp_path / "data.csv"
    data.to_csv(source, index=False)
    margins = tmp_path / "margins.csv"
    margins.write_text(
        "city,variable,category,target\n"
        "a,edu,low,500\na,edu,mid,100\na,edu,high,400\na,edu,phd,50\n"
        "b,edu,low,0.5\nb,edu,mid,0.2\nb,edu,high,0.25\nb,edu,phd,0.05\n",
        encoding="utf-8",
    )
    out = tmp_path / "weighted.parquet"
    args = ["weight", str(source), "--margins", str(margins), "--base-weight", "w", "--by-city", "city", "-o", str(out)]
    failed = CliRunner().invoke(main, args)
    assert failed.exit_code == 1 and "No respondent has edu=phd in city a, but the population has 50" in failed.stderr
    rules = tmp_path / "collapse.yaml"
    rules.write_text("edu:\n  phd: high\n", encoding="utf-8")
    result = CliRunner().invoke(main, [*args, "--collapse", str(rules)])
    assert result.exit_code == 0, result.output
    weighted = pd.read_parquet(out)
    assert weighted.loc[weighted.city == "a", "weight_final"].sum() == pytest.approx(1050)
    assert weighted.loc[(weighted.city == "b") & (weighted.edu == "high"), "weight_final"].sum() == pytest.approx(18)
    assert weighted.attrs["weighting"]["collapse"] == {"edu": {"phd": "high"}}
