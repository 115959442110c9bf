"""Weighting: properties of raking and calibration (hypothesis), per-city
weighting, trimming, nonresponse, and a clear message for every failure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from literacy import LiteracyError
from literacy.weighting import margins_from_frame, nonresponse_adjust, weight

CATEGORIES = {"sex": ["female", "male"], "age": ["18-29", "30-49", "50-69"], "edu": ["low", "mid", "high"]}


@st.composite
def samples(draw):
    n = draw(st.integers(12, 120))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    data = pd.DataFrame({name: rng.choice(levels, n) for name, levels in CATEGORIES.items()})
    for name, levels in CATEGORIES.items():  # every category appears at least once
        data.loc[: len(levels) - 1, name] = levels
    data["w"] = rng.uniform(1, 10, n)
    population = draw(st.floats(1_000, 1e6))
    rows = []
    for name, levels in CATEGORIES.items():
        shares = rng.dirichlet(np.full(len(levels), 3.0))
        rows += [
            {"variable": name, "category": c, "target": s * population} for c, s in zip(levels, shares, strict=True)
        ]
    return data, margins_from_frame(pd.DataFrame(rows)), population


def _achieved(frame: pd.DataFrame, weights: str) -> dict:
    return {
        (name, c): frame.loc[frame[name] == c, weights].sum() for name, levels in CATEGORIES.items() for c in levels
    }


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=samples(), method=st.sampled_from(["rake", "raking-bounded"]))
def test_raking_reproduces_every_margin_with_positive_weights(sample, method):
    data, margins, population = sample
    try:
        result = weight(data, margins, base_weight="w", method=method, maxit=300)
    except LiteracyError as error:  # a sample too unlike the population may not rake: it must say so
        # (or the sample ties categories whose targets disagree, found before solving)
        assert "did not converge" in str(error) or "The margins cannot all be met" in str(error)
        return
    final = result.data["weight_final"]
    assert (final > 0).all()
    assert final.sum() == pytest.approx(population, rel=1e-8)
    targets = {(r.variable, r.category): r.target for r in margins.table.itertuples()}
    for key, value in _achieved(result.data, "weight_final").items():
        assert value == pytest.approx(targets[key], rel=1e-8)
    assert result.data.drop(columns="weight_final").equals(data)  # nothing else changed, no row lost


@SETTINGS
@given(sample=samples())
def test_raking_a_calibrated_sample_changes_nothing(sample):
    data, margins, _ = sample
    try:
        first = weight(data, margins, base_weight="w", method="rake", maxit=2000).data
    except LiteracyError:
        return
    second = weight(first, margins, base_weight="weight_final", method="rake", out_weight="again").data
    np.testing.assert_allclose(second["again"], first["weight_final"], rtol=1e-8)


@SETTINGS
@given(sample=samples())
def test_linear_calibration_hits_the_targets_exactly(sample):
    data, margins, population = sample
    try:
        result = weight(data, margins, base_weight="w", method="linear")
    except LiteracyError as error:
        # Either the exact solution needs negative weights, or categories that
        # cover the same respondents carry different targets (no solution):
        # both must be said, never returned as weights.
        assert "negative weights" in str(error) or "cannot all be met" in str(error)
        return
    assert result.data["weight_final"].sum() == pytest.approx(population, rel=1e-9)


def _city_data():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {
            "city": np.repeat(["wuhai", "xuzhou"], 60),
            "sex": np.tile(["female", "male"], 60),
            "age": rng.choice(["18-39", "40-69"], 120),
            "w": rng.uniform(50, 150, 120),
        }
    )
    margins = pd.DataFrame(
        {
            "city": ["wuhai"] * 4 + ["xuzhou"] * 4,
            "variable": ["sex", "sex", "age", "age"] * 2,
            "category": ["female", "male", "18-39", "40-69"] * 2,
            "target": [2600, 2400, 2000, 3000, 0.52, 0.48, 0.45, 0.55],
        }
    )
    return data, margins


def test_per_city_weighting_equals_weighting_each_city_alone():
    data, margins = _city_data()
    together = weight(data, margins_from_frame(margins, by="city"), base_weight="w").data
    for city in ("wuhai", "xuzhou"):
        alone = weight(
            data[data.city == city].reset_index(drop=True),
            margins_from_frame(margins[margins.city == city].drop(columns="city")),
            base_weight="w",
        ).data
        np.testing.assert_allclose(together.loc[together.city == city, "weight_final"], alone["weight_final"])
    # Shares (xuzhou) are shares of the city's base-weighted total.
    xuzhou = together[together.city == "xuzhou"]
    assert xuzhou["weight_final"].sum() == pytest.approx(data.loc[data.city == "xuzhou", "w"].sum())
    assert xuzhou.loc[xuzhou.sex == "female", "weight_final"].sum() == pytest.approx(0.52 * xuzhou["w"].sum())


def test_diagnostics_per_city():
    data, margins = _city_data()
    result = weight(data, margins_from_frame(margins, by="city"), base_weight="w")
    diagnostics = result.diagnostics.set_index("city")
    for city, part in result.data.groupby("city"):
        w = part["weight_final"]
        assert diagnostics.loc[city, "kish_deff"] == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)
        assert diagnostics.loc[city, "efficiency"] == pytest.approx(1 / diagnostics.loc[city, "kish_deff"])
        assert diagnostics.loc[city, "weight_max"] == pytest.approx(w.max())
    assert (result.margins["difference"].abs() < 1e-6).all()
    assert set(result.margins.columns) >= {"by", "variable", "category", "target", "base_weighted", "achieved"}


def test_trimming_caps_weights_and_keeps_the_margins():
    data, margins = _city_data()
    data.loc[0, "w"] = 2000.0  # one extreme base weight
    result = weight(data, margins_from_frame(margins, by="city"), base_weight="w", trim=("median", 3.0))
    final = result.data["weight_final"]
    untrimmed = weight(data, margins_from_frame(margins, by="city"), base_weight="w").data["weight_final"]
    cap = 3.0 * np.median(untrimmed)
    assert final.max() <= cap * (1 + 1e-6)
    assert result.diagnostics["trimmed"].sum() >= 1
    assert (result.margins["difference"].abs() < 1e-5).all()


def test_nonresponse_adjustment_within_cells():
    data = pd.DataFrame({"cell": ["a", "a", "a", "b", "b"], "w": [1.0, 2, 3, 4, 4], "ok": [1, 0, 1, 1, 1]})
    adjusted = nonresponse_adjust(data, "w", "ok", ["cell"])
    np.testing.assert_allclose(adjusted, [1 * 6 / 4, 0, 3 * 6 / 4, 4, 4])
    assert adjusted.sum() == pytest.approx(data["w"].sum())
    with pytest.raises(LiteracyError, match="have no respondent"):
        nonresponse_adjust(data.assign(ok=[0, 0, 0, 1, 1]), "w", "ok", ["cell"])


# ---------------------------------------------------------------- failures, each with its message


def _simple(**changes):
    data = pd.DataFrame({"sex": ["f", "m", "f", "m", " f "], "w": [1.0, 1, 1, 1, 1]})
    margins = pd.DataFrame({"variable": ["sex", "sex"], "category": ["f", "m"], "target": [60.0, 40.0]})
    return data, margins


def test_labels_are_matched_after_trimming_spaces():
    data, margins = _simple()
    result = weight(data, margins_from_frame(margins.assign(category=[" f", "m "])), base_weight="w")
    assert result.data.loc[data.sex.str.strip() == "f", "weight_final"].sum() == pytest.approx(60)


def test_a_category_missing_from_the_margins_is_named():
    data, margins = _simple()
    data.loc[0, "sex"] = "x"
    with pytest.raises(LiteracyError, match="The data have sex=x, which the margins do not list"):
        weight(data, margins_from_frame(margins), base_weight="w")


def test_an_empty_sample_cell_suggests_collapsing_and_collapsing_works():
    data, margins = _simple()
    margins = pd.concat([margins, pd.DataFrame({"variable": ["sex"], "category": ["other"], "target": [5.0]})])
    with pytest.raises(LiteracyError, match="No respondent has sex=other, but the population has 5; collapse it"):
        weight(data, margins_from_frame(margins), base_weight="w")
    result = weight(data, margins_from_frame(margins), base_weight="w", collapse={"sex": {"other": "m"}})
    assert result.data["weight_final"].sum() == pytest.approx(105)


def test_margins_that_disagree_on_the_population_are_reported():
    data, margins = _simple()
    data["age"] = ["y", "o", "y", "o", "y"]
    margins = pd.concat(
        [margins, pd.DataFrame({"variable": ["age"] * 2, "category": ["y", "o"], "target": [50.0, 60]})]
    )
    with pytest.raises(LiteracyError, match="The margins disagree on the population: sex 100, age 110"):
        weight(data, margins_from_frame(margins), base_weight="w")


def test_non_convergence_names_the_margin_that_is_off():
    data, margins = _simple()
    with pytest.raises(LiteracyError, match=r"Calibration did not converge in 100 iterations: sex=f .* off"):
        weight(data, margins_from_frame(margins), base_weight="w", method="raking-bounded", bounds=(0.9, 1.1))
    data["age"] = ["y", "o", "y", "o", "o"]
    two = pd.concat([margins, pd.DataFrame({"variable": ["age"] * 2, "category": ["y", "o"], "target": [30.0, 70]})])
    with pytest.raises(LiteracyError, match="Raking did not converge in 1 iterations"):
        weight(data, margins_from_frame(two), base_weight="w", maxit=1)


def test_negative_linear_weights_are_refused():
    data = pd.DataFrame({"a": ["x", "y", "y", "y"], "b": ["p", "p", "q", "q"], "w": [1.0, 1, 1, 1]})
    margins = pd.DataFrame(
        {"variable": ["a", "a", "b", "b"], "category": ["x", "y", "p", "q"], "target": [90.0, 10, 10, 90]}
    )
    with pytest.raises(LiteracyError, match='negative weights; use method="raking-bounded" or bounds='):
        weight(data, margins_from_frame(margins), base_weight="w", method="linear")


def test_poststratify_takes_one_joint_table():
    data, margins = _simple()
    data["age"] = ["y", "o", "o", "y", "y"]
    joint = pd.DataFrame({"sex": ["f", "f", "m", "m"], "age": ["y", "o", "y", "o"], "target": [40.0, 20, 10, 30]})
    result = weight(data, margins_from_frame(joint), base_weight="w", method="poststratify")
    cell = (data.sex.str.strip() == "f") & (data.age == "y")
    assert result.data.loc[cell, "weight_final"].sum() == pytest.approx(40)
    two = pd.concat([margins, pd.DataFrame({"variable": ["age"] * 2, "category": ["y", "o"], "target": [30.0, 70]})])
    with pytest.raises(LiteracyError, match="Post-stratification takes one joint table"):
        weight(data, margins_from_frame(two), base_weight="w", method="poststratify")


def test_the_final_check_names_a_target_the_weights_miss():
    from literacy.weighting import build_model, check_targets

    data, margins = _simple()
    model = build_model(data, margins_from_frame(margins), np.ones(5))
    with pytest.raises(LiteracyError, match=r"The final weights miss a target: sex=f reaches 3 against a target of 60"):
        check_targets(model, np.ones(5))


def test_trimming_by_quantile():
    data, margins = _city_data()
    data.loc[[0, 1], "w"] = [1500.0, 1800.0]
    untrimmed = weight(data, margins_from_frame(margins, by="city"), base_weight="w").data["weight_final"]
    result = weight(data, margins_from_frame(margins, by="city"), base_weight="w", trim=("quantile", 0.95))
    assert result.data["weight_final"].max() <= np.quantile(untrimmed, 0.95) * (1 + 1e-6)
    assert result.record["trim"] == ["quantile", 0.95]
    assert (result.margins["difference"].abs() < 1e-5).all()


def test_tied_categories_with_different_targets_are_named_before_solving():
    # Every 18-29 respondent is also the only kind with low education: no
    # weights can give them 300 as 18-29s and 500 as low-educated.
    data = pd.DataFrame({
        "sex": ["f", "m", "f", "m", "f", "m"],
        "age": ["18-29", "18-29", "30+", "30+", "30+", "30+"],
        "edu": ["low", "low", "high", "high", "high", "high"],
        "w": 1.0,
    })  # fmt: skip
    margins = margins_from_frame(pd.DataFrame({
        "variable": ["sex", "sex", "age", "age", "edu", "edu"],
        "category": ["f", "m", "18-29", "30+", "low", "high"],
        "target": [500, 500, 300, 700, 500, 500],
    }))  # fmt: skip
    tied = r"cannot all be met: the sample ties (?=.*age=18-29 \(target 300\))(?=.*edu=low \(target 500\))"
    for method in ("rake", "linear"):
        with pytest.raises(LiteracyError, match=tied):
            weight(data, margins, base_weight="w", method=method)
    consistent = margins_from_frame(margins.table.assign(target=[500, 500, 300, 700, 300, 700])[
        ["variable", "category", "target"]])  # fmt: skip
    result = weight(data, consistent, base_weight="w", method="rake")
    assert result.data["weight_final"].sum() == pytest.approx(1000)
