"""Fay-Herriot small-area estimates (literacy.sae) against R sae 1.3 and by simulation.

The reference values come from tests/reference/sae_reference.R (R's
eblupFH/mseFH with PRECISION = 1e-12); the tests never need R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import literacy
from literacy import LiteracyError, SmallAreaResult, sae
from literacy.cli import main

REFERENCE = Path(__file__).parent / "reference"
R = json.loads((REFERENCE / "sae_reference.json").read_text(encoding="utf-8"))
NUMERIC = REFERENCE / "sae_numeric.csv"


def _milk() -> pd.DataFrame:
    milk = pd.DataFrame(R["milk"]["data"])
    milk["MajorArea"] = milk["MajorArea"].astype(str)  # R: as.factor(MajorArea)
    return milk


CASES = {
    "milk": (_milk, {"area": "SmallArea", "estimate": "yi", "se": "SD", "covariates": ["MajorArea"]}),
    "numeric": (lambda: pd.read_csv(NUMERIC), {"area": "area", "estimate": "y", "variance": "vardir",
                                               "covariates": ["x1", "x2"]}),
    "zero": (lambda: pd.read_csv(REFERENCE / "sae_zero.csv"), {"area": "area", "estimate": "y", "variance": "vardir",
                                                              "covariates": ["z"]}),
}  # fmt: skip


def _close(actual: object, expected: object, rel: float = 1e-6) -> None:
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    np.testing.assert_allclose(a, e, rtol=rel, atol=1e-300)


@pytest.mark.parametrize(
    ("data", "method"), [(name, method) for name in CASES for method in R[name]["fits"]]
)  # fmt: skip
def test_eblup_mse_and_coefficients_agree_with_r_sae(data: str, method: str) -> None:
    make, kwargs = CASES[data]
    expected = R[data]["fits"][method]
    result = sae(make(), method=method, **kwargs)
    table, model = result.table, result.model
    _close(table["eblup"], expected["eblup"])
    _close(table["mse"], expected["mse"])
    _close(table["rmse"], np.sqrt(expected["mse"]))
    if expected["sigma2_u"] == 0:
        assert model["sigma2_u"] == 0 and any("set to 0" in note for note in model["notes"])
    else:
        _close(model["sigma2_u"], expected["sigma2_u"])
    beta = list(model["beta"].values())
    _close([b["estimate"] for b in beta], expected["beta"])
    _close([b["se"] for b in beta], expected["beta_se"])
    _close([b["z"] for b in beta], expected["beta_z"])
    _close([b["p"] for b in beta], expected["beta_p"])
    _close([model["loglik"], model["aic"], model["bic"]], [expected["loglik"], expected["aic"], expected["bic"]])
    assert [name.removeprefix("X").replace("as.factor(MajorArea)", "MajorArea") for name in expected["beta_names"]] \
        == list(model["beta"])  # fmt: skip
    assert model["areas"] == len(table) and model["out_of_sample"] == 0


def test_the_table_has_the_contract_columns_and_the_model_in_its_attrs() -> None:
    result = sae(pd.read_csv(NUMERIC), area="area", estimate="y", variance="vardir", covariates=["x1", "x2"])
    assert isinstance(result, SmallAreaResult) and literacy.sae is sae
    assert list(result.table.columns) == ["area", "direct", "direct_se", "eblup", "mse", "rmse", "ci_lower",
                                          "ci_upper", "shrinkage", "synthetic", "cv", "flags"]  # fmt: skip
    assert result.table.attrs["small_area"] is result.model
    t = result.table
    _close(t["ci_upper"] - t["eblup"], 1.959963984540054 * t["rmse"])
    _close(t["cv"], t["rmse"] / t["eblup"].abs())
    gamma = result.model["sigma2_u"] / (result.model["sigma2_u"] + t["direct_se"] ** 2)
    _close(t["shrinkage"], gamma)
    _close(t["eblup"], gamma * t["direct"] + (1 - gamma) * t["synthetic"])
    d = result.model["diagnostics"]
    assert 0 < d["shapiro_p"] <= 1 and 0 < d["shapiro_w"] <= 1 and 0 <= result.model["r2"] <= 1
    _close(d["mean_eblup_minus_direct"], (t["eblup"] - t["direct"]).mean())
    assert set(t["flags"].str.split(";").explode()) - {""} <= set(literacy.smallarea.FLAGS)


def test_an_area_without_a_direct_estimate_gets_the_synthetic_with_its_mse() -> None:
    full = pd.read_csv(NUMERIC)
    data = full.copy()
    data.loc[4, "y"] = np.nan
    result = sae(data, area="area", estimate="y", variance="vardir", covariates=["x1", "x2"])
    without = sae(full.drop(index=4), area="area", estimate="y", variance="vardir", covariates=["x1", "x2"])
    row = result.table.loc[4]
    assert row["flags"].split(";")[0] == "out_of_sample" and row["shrinkage"] == 0
    x = np.array([1.0, full.loc[4, "x1"], full.loc[4, "x2"]])
    beta = np.array([b["estimate"] for b in without.model["beta"].values()])
    se = np.array([b["se"] for b in without.model["beta"].values()])
    _close(row["eblup"], x @ beta)
    _close(row["synthetic"], x @ beta)
    assert row["mse"] > without.model["sigma2_u"] + (x * se) @ (x * se) * 0  # at least sigma2_u
    assert result.model["areas"] == 29 and result.model["out_of_sample"] == 1
    _close(result.table.drop(index=4)["eblup"], without.table["eblup"])  # the others are unchanged


def test_zero_variances_are_smoothed_by_a_gvf_or_left_out() -> None:
    data = pd.read_csv(NUMERIC)
    data.loc[2, "vardir"] = 0
    data.loc[8, "vardir"] = np.nan
    smoothed = sae(data, area="area", estimate="y", variance="vardir", covariates=["x1", "x2"])
    flags = smoothed.table["flags"]
    assert all("variance_smoothed" in flags[i] for i in (2, 8)) and smoothed.model["areas"] == 30
    assert (smoothed.table.loc[[2, 8], "direct_se"] > 0).all()
    negative = data.assign(vardir=data["vardir"].where(data.index != 7, 0))  # y = -0.67: log(estimate) undefined
    with pytest.raises(LiteracyError, match='zero_variance="out_of_sample"'):
        sae(negative, area="area", estimate="y", variance="vardir", covariates=["x1", "x2"])
    assert smoothed.model["gvf"]["form"] == "log(var) = a + b log(estimate)"
    out = sae(data, area="area", estimate="y", variance="vardir", covariates=["x1", "x2"],
              zero_variance="out_of_sample")  # fmt: skip
    assert all("out_of_sample" in out.table["flags"][i] for i in (2, 8)) and out.model["areas"] == 28
    assert (out.table.loc[[2, 8], "shrinkage"] == 0).all()


def test_the_gvf_with_n_uses_p_one_minus_p_over_n() -> None:
    rng = np.random.default_rng(5)
    n = rng.integers(30, 300, 25)
    p = rng.binomial(n, 0.2) / n
    data = pd.DataFrame({"area": range(25), "p": p, "v": p * (1 - p) / n * 1.8, "n": n, "x": rng.normal(size=25)})
    data.loc[0, ["p", "v"]] = [0.0, 0.0]
    result = sae(data, area="area", estimate="p", variance="v", covariates=["x"], n="n")
    gvf = result.model["gvf"]
    assert gvf["form"] == "log(var) = a + b log(p(1-p)/n)" and abs(gvf["b"] - 1) < 0.05
    assert gvf["areas_fitted"] == 24
    assert list(result.table.columns)[-1] == "n" and "variance_smoothed" in result.table.loc[0, "flags"]


def test_benchmarking_makes_the_population_weighted_mean_equal_the_value() -> None:
    data = pd.read_csv(NUMERIC)
    data["pop"] = np.arange(1, 31) * 1000
    plain = sae(data, area="area", estimate="y", variance="vardir", covariates=["x1", "x2"])
    result = sae(data, area="area", estimate="y", variance="vardir", covariates=["x1", "x2"],
                 benchmark={"value": 5.0, "population": "pop"})  # fmt: skip
    weighted = float(np.average(result.table["eblup"], weights=data["pop"]))
    assert weighted == pytest.approx(5.0, rel=1e-12)
    factor = result.model["benchmark"]["factor"]
    _close(result.table["eblup"], plain.table["eblup"] * factor)
    _close(factor, 5.0 / np.average(plain.table["eblup"], weights=data["pop"]))
    _close(result.table["mse"], plain.table["mse"])


def test_benchmarking_from_the_command_line(tmp_path: Path) -> None:
    data = pd.read_csv(NUMERIC)
    data["pop"] = np.arange(1, 31) * 1000
    source = tmp_path / "direct.csv"
    data.to_csv(source, index=False)
    out = tmp_path / "sae.csv"
    args = ["sae", str(source), "--area", "area", "--estimate", "y", "--variance", "vardir", "--covariates", "x1,x2"]
    done = CliRunner().invoke(main, [*args, "--benchmark", "5", "--population", "pop", "-o", str(out)])
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert float(np.average(table["eblup"], weights=data["pop"])) == pytest.approx(5.0, rel=1e-9)
    half = CliRunner().invoke(main, [*args, "--benchmark", "5"])
    assert half.exit_code == 2 and "--benchmark and --population go together" in half.output


def _proportions(seed: int = 11, m: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = rng.integers(15, 150, m)
    x = rng.normal(size=m)
    truth = 1 / (1 + np.exp(-(-1.5 + 0.6 * x + rng.normal(0, 0.3, m))))
    p = rng.binomial(n, truth) / n
    return pd.DataFrame({"area": [f"d{i}" for i in range(m)], "p": p, "v": p * (1 - p) / n * 1.3, "n": n, "x": x})


def test_arcsin_estimates_stay_in_the_unit_interval_and_the_bootstrap_is_seeded() -> None:
    data = _proportions()
    data.loc[0, ["p", "v"]] = [0.0, 0.0]
    data.loc[1, "p"] = np.nan
    kwargs = {"area": "area", "estimate": "p", "variance": "v", "covariates": ["x"], "n": "n",
              "transformation": "arcsin", "bootstrap": 50}  # fmt: skip
    first = sae(data, seed=4, **kwargs)
    t = first.table
    for column in ("eblup", "ci_lower", "ci_upper", "synthetic"):
        assert t[column].between(0, 1).all(), column
    assert (t["ci_lower"] <= t["eblup"]).all() and (t["eblup"] <= t["ci_upper"]).all()
    assert (t["mse"] > 0).all() and "out_of_sample" in t.loc[1, "flags"] and "variance_smoothed" in t.loc[0, "flags"]
    pd.testing.assert_frame_equal(t, sae(data, seed=4, **kwargs).table)
    assert not np.allclose(t["mse"], sae(data, seed=5, **kwargs).table["mse"])
    assert first.model["transformation"] == "arcsin" and any("naive" in note for note in first.model["notes"])


@pytest.mark.parametrize(
    ("change", "kwargs", "words"),
    [
        (None, {"covariates": ["x1", "x2", "c1", "c2", "c3"]}, "at least"),
        ("constant", {"covariates": ["x1", "k"]}, "one value"),
        ("missing_x", {}, "missing for area"),
        ("negative", {}, "negative"),
        ("duplicate", {}, "more than once"),
        (None, {"area": "nope"}, "area column 'nope'"),
        (None, {"estimate": "nope"}, "estimate column 'nope'"),
        (None, {"se": "vardir"}, "exactly one of variance= or se="),
        (None, {"variance": None}, "exactly one of variance= or se="),
        (None, {"method": "bayes"}, "method"),
        (None, {"covariates": ["nope"]}, "covariate 'nope'"),
    ],
)
def test_bad_input_is_one_plain_sentence(change: str | None, kwargs: dict[str, object], words: str) -> None:
    data = pd.read_csv(NUMERIC)
    data["k"] = 1.0
    if change == "missing_x":
        data.loc[3, "x1"] = np.nan
    elif change == "negative":
        data.loc[3, "vardir"] = -0.1
    elif change == "duplicate":
        data.loc[3, "area"] = data.loc[2, "area"]
    settings: dict[str, object] = {"area": "area", "estimate": "y", "variance": "vardir", "covariates": ["x1"]}
    settings.update(kwargs)
    if "c1" in settings["covariates"]:  # type: ignore[operator]
        data = data.head(6).assign(c1=[1, 2, 3, 4, 5, 7], c2=[2, 1, 4, 3, 6, 5], c3=[0, 0, 1, 1, 3, 1])
    with pytest.raises(LiteracyError) as caught:
        sae(data, **settings)  # type: ignore[arg-type]
    message = str(caught.value)
    assert words in message and "\n" not in message and message.endswith(".")


def test_the_command_writes_the_table_and_json_carries_the_model(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["sae", str(NUMERIC), "--area", "area", "--estimate", "y", "--covariates", "x1,x2"]
    out = tmp_path / "sae.json"
    done = runner.invoke(main, [*base, "--variance", "vardir", "--method", "ml", "-o", str(out)])
    assert done.exit_code == 0, done.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    _close([row["eblup"] for row in payload["rows"]], R["numeric"]["fits"]["ml"]["eblup"])
    assert payload["metadata"]["small_area"]["method"] == "ml"
    assert "Fay-Herriot ML fit on 30 area(s)" in done.stderr
    again = runner.invoke(main, [*base, "--variance", "vardir", "-o", str(out)])
    assert again.exit_code == 1 and "--force" in again.stderr
    both = runner.invoke(main, [*base, "--variance", "vardir", "--se", "vardir"])
    assert both.exit_code == 1 and "--variance or --se" in both.stderr and "Traceback" not in both.output
    csv = runner.invoke(main, [*base, "--se", "vardir", "--zero-variance", "out-of-sample"])
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].lstrip("\ufeff").startswith("area,direct,direct_se")


def test_simulation_eblup_beats_direct_and_its_mse_estimate_is_calibrated() -> None:
    """200 samples of a known FH model, m = 40 areas (x ~ U(0, 10), beta = (2, 0.5),
    sigma2_u = 1, psi from 0.3 to 3): per area, the EBLUP's empirical MSE is below the
    direct one's, and the average REML/Prasad-Rao MSE estimate over areas is within 15%
    of the empirical MSE (observed: EBLUP/direct MSE 0.409, estimated/empirical MSE 1.003)."""
    rng = np.random.default_rng(2024)
    m, reps = 40, 200
    x = rng.uniform(0, 10, m)
    psi = np.linspace(0.3, 3.0, m)
    linear = 2 + 0.5 * x
    sq_eblup, sq_direct, estimated = np.zeros(m), np.zeros(m), np.zeros(m)
    for _ in range(reps):
        theta = linear + rng.normal(0, 1, m)
        y = theta + rng.normal(0, np.sqrt(psi))
        result = sae(pd.DataFrame({"a": range(m), "y": y, "v": psi, "x": x}), area="a", estimate="y",
                     variance="v", covariates=["x"])  # fmt: skip
        sq_eblup += (result.table["eblup"].to_numpy() - theta) ** 2
        sq_direct += (y - theta) ** 2
        estimated += result.table["mse"].to_numpy()
    empirical, direct, estimated = sq_eblup / reps, sq_direct / reps, estimated / reps
    gain = empirical.mean() / direct.mean()
    calibration = estimated.mean() / empirical.mean()
    message = f"EBLUP/direct MSE {gain:.3f}, estimated/empirical MSE {calibration:.3f}"
    assert gain < 0.8, message
    assert (empirical[psi > 1] < direct[psi > 1]).all(), message
    assert 0.85 < calibration < 1.15, message


@settings(max_examples=15, deadline=None)
@given(order=st.permutations(list(range(30))), method=st.sampled_from(["reml", "ml", "fh"]))
def test_the_order_of_the_areas_changes_no_number(order: list[int], method: str) -> None:
    data = pd.read_csv(NUMERIC)
    first = sae(data, area="area", estimate="y", variance="vardir", covariates=["x1", "x2"], method=method)
    again = sae(data.iloc[order], area="area", estimate="y", variance="vardir", covariates=["x2", "x1"],
                method=method)  # fmt: skip
    columns = ["eblup", "mse", "ci_lower", "ci_upper", "shrinkage", "synthetic"]
    a, b = first.table.set_index("area")[columns], again.table.set_index("area").loc[first.table["area"], columns]
    np.testing.assert_allclose(b.to_numpy(float), a.to_numpy(float), rtol=1e-9)
    assert again.model["sigma2_u"] == pytest.approx(first.model["sigma2_u"], rel=1e-9)
