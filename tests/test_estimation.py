"""Estimation edge cases and properties, checked against an independent,
deliberately naive implementation of the textbook formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from literacy import Design, LiteracyError, Reliability, contrast, estimate
from literacy.estimation import FIXED_COLUMNS


def naive_domain(data: pd.DataFrame, y: str, w: str, strata: str, psu: str, domain: pd.Series) -> tuple[float, float]:
    """Ratio estimate and Taylor variance for one domain, loop by loop
    (Cochran 1977 / Lumley 2010 ch. 2-3: with-replacement PSUs within strata)."""
    inside = domain.to_numpy() & data[y].notna().to_numpy()
    weight = np.where(inside, data[w], 0.0)
    total = weight.sum()
    p = (weight * data[y].fillna(0)).sum() / total
    z = weight * (data[y].fillna(0) - p) / total
    variance = 0.0
    for _, stratum in data.assign(z=z).groupby(strata):
        psu_totals = stratum.groupby(psu)["z"].sum().to_numpy()
        n_h = len(psu_totals)
        if n_h > 1:
            variance += n_h / (n_h - 1) * ((psu_totals - psu_totals.mean()) ** 2).sum()
    return p, variance


@st.composite
def designs(draw):
    n_strata = draw(st.integers(1, 4))
    rows = []
    for h in range(n_strata):
        for j in range(draw(st.integers(2, 4))):
            for _ in range(draw(st.integers(1, 5))):
                rows.append(
                    {
                        "stratum": f"s{h}",
                        "psu": j,
                        "w": draw(st.floats(0.5, 20)),
                        "y": draw(st.sampled_from([0, 1, 1, np.nan])),
                        "city": draw(st.sampled_from(["a", "b", "c"])),
                    }
                )
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None)
@given(data=designs())
def test_domains_match_the_naive_formula(data):
    if data["y"].notna().sum() == 0:
        return
    result = estimate(Design(data, weight="w", strata="stratum", psu="psu"), "y", "city", ci="wald")
    for _, row in result.iterrows():
        if row["n"] == 0:  # a domain whose outcomes are all missing is listed, flagged, not estimated
            assert row["flags"] == "no_data" and np.isnan(row["estimate"])
            continue
        p, variance = naive_domain(data, "y", "w", "stratum", "psu", data["city"] == row["city"])
        assert row["estimate"] == pytest.approx(p, rel=1e-9)
        assert row["se"] ** 2 == pytest.approx(variance, rel=1e-9, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(data=designs(), seed=st.integers(0, 10_000))
def test_row_order_does_not_matter_and_nothing_is_lost(data, seed):
    if data["y"].notna().sum() == 0:
        return
    shuffled = data.sample(frac=1.0, random_state=seed)
    first = estimate(Design(data, weight="w", strata="stratum", psu="psu"), "y", "city")
    second = estimate(Design(shuffled, weight="w", strata="stratum", psu="psu"), "y", "city")
    pd.testing.assert_frame_equal(first, second, check_exact=False, rtol=1e-10)
    observed = data[data["y"].notna()]
    assert first["n"].sum() == len(observed)
    assert first["population"].sum() == pytest.approx(observed["w"].sum())


def test_result_has_the_fixed_columns_in_order():
    data = pd.DataFrame({"y": [0, 1, 1, 0], "city": ["a", "a", "b", "b"]})
    result = estimate(Design(data), "y", "city")
    assert list(result.columns) == ["breakdown", "city", *FIXED_COLUMNS, "population", "n_eff"]


def test_equal_weights_reduce_to_simple_random_sampling():
    y = np.array([1] * 30 + [0] * 70)
    result = estimate(Design(pd.DataFrame({"y": y, "w": 5.0}), weight="w"), "y", ci="wald")
    p = 0.3
    assert result.loc[0, "estimate"] == pytest.approx(p)
    assert result.loc[0, "se"] == pytest.approx(np.sqrt(p * (1 - p) / 99))  # s^2 / n with s^2 = n p q / (n - 1)
    assert result.loc[0, "df"] == 99
    # Weights summing to 500 > n: SRS without replacement of 100 from 500.
    assert result.loc[0, "deff"] == pytest.approx(1 / (1 - 100 / 500))
    unit = estimate(Design(pd.DataFrame({"y": y})), "y")
    assert unit.loc[0, "deff"] == pytest.approx(1.0)  # weights sum to n: with-replacement baseline


def test_zero_weight_rows_change_nothing_but_n():
    base = pd.DataFrame(
        {
            "y": [1, 0, 1, 1, 0, 0, 1, 0],
            "w": [2.0, 3, 1, 2, 4, 1, 2, 3],
            "h": [1, 1, 1, 1, 2, 2, 2, 2],
            "psu": [1, 1, 2, 2, 1, 1, 2, 2],
        }
    )
    extra = pd.DataFrame({"y": [1, 1], "w": [0.0, 0.0], "h": [1, 2], "psu": [1, 2]})
    first = estimate(Design(base, weight="w", strata="h", psu="psu"), "y")
    second = estimate(Design(pd.concat([base, extra]), weight="w", strata="h", psu="psu"), "y")
    for column in ("estimate", "se", "ci_lower", "ci_upper", "df"):
        assert second.loc[0, column] == pytest.approx(first.loc[0, column])
    assert second.loc[0, "n"] == first.loc[0, "n"] + 2


def _two_strata():
    return pd.DataFrame(
        {
            "h": ["A"] * 6 + ["B"] * 6 + ["C"] * 6,
            "psu": [1, 1, 2, 2, 3, 3] * 3,
            "w": np.linspace(1, 3, 18),
            "y": [1, 0] * 9,
            "city": ["x"] * 4 + ["y"] * 2 + ["x"] * 4 + ["y"] * 2 + ["y"] * 6,
        }
    )


def test_a_domain_absent_from_a_stratum_keeps_the_full_design():
    data = _two_strata()
    result = estimate(Design(data, weight="w", strata="h", psu="psu"), "y", "city", ci="wald").set_index("city")
    # x lives in PSUs 1-2 of strata A and B: 4 PSUs - 2 strata.
    assert result.loc["x", "df"] == 2
    p, variance = naive_domain(data, "y", "w", "h", "psu", data["city"] == "x")
    assert result.loc["x", "estimate"] == pytest.approx(p)
    assert result.loc["x", "se"] ** 2 == pytest.approx(variance)
    # Filtering the rows instead would drop PSU 3 of A and B and change the SE.
    filtered = data[data.city == "x"]
    wrong = estimate(Design(filtered, weight="w", strata="h", psu="psu"), "y", ci="wald")
    assert wrong.loc[0, "estimate"] == pytest.approx(result.loc["x", "estimate"])
    assert wrong.loc[0, "se"] != pytest.approx(result.loc["x", "se"])


def test_a_domain_in_one_psu_has_zero_df_and_says_so():
    data = _two_strata().assign(city=lambda d: np.where((d.h == "C") & (d.psu == 3), "tiny", "rest"))
    result = estimate(Design(data, weight="w", strata="h", psu="psu"), "y", "city").set_index("city")
    assert result.loc["tiny", "df"] == 0
    assert np.isnan(result.loc["tiny", "ci_lower"]) and np.isnan(result.loc["tiny", "ci_upper"])
    assert "df_nonpositive" in result.loc["tiny", "flags"]


def test_lonely_psu_fails_by_default_naming_the_stratum():
    data = _two_strata()
    data = data[~((data.h == "B") & (data.psu != 1))]
    with pytest.raises(LiteracyError, match=r'Stratum B has only one PSU.*lonely_psu="remove"\|"certainty"\|"adjust"'):
        estimate(Design(data, weight="w", strata="h", psu="psu"), "y")
    assert not np.isnan(estimate(Design(data, weight="w", strata="h", psu="psu", lonely_psu="adjust"), "y").se[0])


def test_a_single_psu_stratum_sampled_completely_is_not_lonely():
    data = _two_strata().assign(N=lambda d: np.where(d.h == "B", 1, 10))
    data = data[~((data.h == "B") & (data.psu != 1))]
    result = estimate(Design(data, weight="w", strata="h", psu="psu", fpc="N"), "y")
    assert result.loc[0, "se"] > 0


@pytest.mark.parametrize("method", ["logit", "wald", "korn-graubard", "wilson"])
@pytest.mark.parametrize("value", [0, 1])
def test_p_at_zero_or_one_gets_a_one_sided_korn_graubard_interval(method, value):
    data = pd.DataFrame({"y": [value] * 40, "w": np.linspace(1, 2, 40), "psu": np.repeat(np.arange(20), 2)})
    result = estimate(Design(data, weight="w", psu="psu"), "y", ci=method)
    n, df, alpha = 40, 19, 0.05
    n_star = n * (stats.t.ppf(alpha / 2, n - 1) / stats.t.ppf(alpha / 2, df)) ** 2
    bound = 1 - (alpha / 2) ** (1 / n_star)  # Clopper-Pearson limit at x = 0
    if value == 0:
        assert (result.loc[0, "ci_lower"], result.loc[0, "ci_upper"]) == (0.0, pytest.approx(bound))
    else:
        assert (result.loc[0, "ci_lower"], result.loc[0, "ci_upper"]) == (pytest.approx(1 - bound), 1.0)
    assert "boundary_one_sided_ci" in result.loc[0, "flags"]
    assert result.loc[0, "ci_upper"] > result.loc[0, "ci_lower"]


def test_wilson_matches_the_textbook_formula_with_the_effective_size():
    rng = np.random.default_rng(4)
    data = pd.DataFrame({"y": rng.integers(0, 2, 300), "w": rng.uniform(1, 3, 300), "psu": np.repeat(range(60), 5)})
    result = estimate(Design(data, weight="w", psu="psu"), "y", ci="wilson").iloc[0]
    p, v = result["estimate"], result["se"] ** 2
    n, t = p * (1 - p) / v, stats.t.ppf(0.975, result["df"])
    centre = (p + t * t / (2 * n)) / (1 + t * t / n)
    half = t / (1 + t * t / n) * np.sqrt(p * (1 - p) / n + t * t / (4 * n * n))
    assert (result["ci_lower"], result["ci_upper"]) == (pytest.approx(centre - half), pytest.approx(centre + half))


def test_reliability_flags_follow_the_thresholds():
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"y": rng.integers(0, 2, 2000), "city": ["big"] * 1980 + ["small"] * 20})
    result = estimate(Design(data), "y", "city").set_index("city")
    assert result.loc["big", "flags"] == ""
    assert "low_n_eff" in result.loc["small", "flags"] and "wide_ci" in result.loc["small", "flags"]
    strict = estimate(Design(data), "y", "city", reliability=Reliability(min_n_eff=5000)).set_index("city")
    assert "low_n_eff" in strict.loc["big", "flags"]


def test_missing_outcomes_stay_in_the_design():
    data = _two_strata()
    data.loc[[0, 7], "y"] = np.nan
    result = estimate(Design(data, weight="w", strata="h", psu="psu"), "y", ci="wald")
    p, variance = naive_domain(data, "y", "w", "h", "psu", pd.Series(True, index=data.index))
    assert result.loc[0, "n"] == 16
    assert result.loc[0, "estimate"] == pytest.approx(p)
    assert result.loc[0, "se"] ** 2 == pytest.approx(variance)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weight": "nope"}, "The weight column 'nope' is not in the data"),
        ({"strata": "h", "lonely_psu": "ignore"}, "lonely_psu must be one of"),
    ],
)
def test_design_errors_are_plain(kwargs, message):
    with pytest.raises(LiteracyError, match=message):
        Design(_two_strata(), **kwargs)


def test_bad_weights_and_outcomes_are_reported():
    data = _two_strata()
    with pytest.raises(LiteracyError, match="1 negative value"):
        Design(data.assign(w=lambda d: d.w.where(d.index != 3, -1.0)), weight="w")
    with pytest.raises(LiteracyError, match="missing or non-numeric"):
        Design(data.assign(w=lambda d: d.w.where(d.index != 3)), weight="w")
    with pytest.raises(LiteracyError, match="A proportion needs a 0/1 outcome; 'w' also holds"):
        estimate(Design(data), "w", statistic="proportion")
    with pytest.raises(LiteracyError, match="The outcome column 'literate' is not in the data"):
        estimate(Design(data), "literate")


def test_replicate_variance_of_a_total_like_mean_equals_taylor_for_brr():
    """With two PSUs per stratum, BRR reproduces the with-replacement Taylor
    variance of a weighted mean up to the nonlinearity of the ratio."""
    rng = np.random.default_rng(11)
    data = pd.DataFrame(
        {
            "h": np.repeat(np.arange(7), 40),
            "psu": np.tile(np.repeat([1, 2], 20), 7),
            "w": rng.uniform(1, 2, 280),
            "y": rng.integers(0, 2, 280),
        }
    )
    design = Design(data, weight="w", strata="h", psu="psu")
    taylor = estimate(design, "y").loc[0, "se"]
    brr = estimate(design.with_replicates("brr"), "y").loc[0, "se"]
    assert brr == pytest.approx(taylor, rel=0.02)


def test_bootstrap_is_reproducible_with_a_seed():
    data = _two_strata()
    design = Design(data, weight="w", strata="h", psu="psu")
    first = estimate(design.with_replicates("bootstrap", replicates=50, seed=3), "y")
    second = estimate(design.with_replicates("bootstrap", replicates=50, seed=3), "y")
    pd.testing.assert_frame_equal(first, second)
    with pytest.raises(LiteracyError, match="BRR needs exactly 2 PSUs in every stratum"):
        design.with_replicates("brr")


def test_replicate_contrast_equals_the_spread_of_replicate_differences():
    from literacy import contrast
    from literacy.estimation.replicates import replicate_weights

    data = pd.read_csv(__import__("conftest").REPO / "tests" / "reference" / "nhanes.csv")
    design = Design(data, weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU").with_replicates("jkn")
    ours = contrast(design, "HI_CHOL", {"RIAGENDR": 2}, {"RIAGENDR": 1})
    observed = data["HI_CHOL"].notna().to_numpy()
    y = data["HI_CHOL"].fillna(0).to_numpy()
    women, men = (data["RIAGENDR"] == 2).to_numpy() & observed, (data["RIAGENDR"] == 1).to_numpy() & observed
    differences = []
    for r in range(design.replicates.count):
        w = replicate_weights(design, r)
        differences.append((w * y * women).sum() / (w * women).sum() - (w * y * men).sum() / (w * men).sum())
    differences = np.array(differences)
    variance = design.replicates.scale * (design.replicates.rscales * (differences - differences.mean()) ** 2).sum()
    assert ours.loc[0, "se"] == pytest.approx(np.sqrt(variance), rel=1e-10)
    assert ours.loc[0, "df"] == design.replicates.df


def test_a_contrast_against_the_whole_population_uses_the_covariance():
    from literacy import contrast

    data = _two_strata()
    design = Design(data, weight="w", strata="h", psu="psu")
    ours = contrast(design, "y", {"city": "x"}, None)
    whole = estimate(design, "y").loc[0, "estimate"]
    x = estimate(design, "y", "city").set_index("city").loc["x", "estimate"]
    assert ours.loc[0, "estimate"] == pytest.approx(x - whole)
    # The naive formula on the linearised difference, loop by loop.
    w, y = data["w"].to_numpy(), data["y"].to_numpy(float)
    inside = (data["city"] == "x").to_numpy()
    z = w * inside * (y - x) / (w * inside).sum() - w * (y - whole) / w.sum()
    variance = 0.0
    for _, stratum in data.assign(z=z).groupby("h"):
        totals = stratum.groupby("psu")["z"].sum().to_numpy()
        variance += len(totals) / (len(totals) - 1) * ((totals - totals.mean()) ** 2).sum()
    assert ours.loc[0, "se"] == pytest.approx(np.sqrt(variance))


def test_the_grade_distribution_of_a_scored_file():
    from conftest import REPO
    from literacy import read, score, validate

    raw = read(REPO / "sample_data" / "responses-spss.sav", "cast-2024")
    scored = score(validate(raw, "cast-2024").clean, "cast-2024")
    result = estimate(Design(scored), "grade", "city", labels="codes")
    assert list(result.columns[:3]) == ["breakdown", "city", "level"]
    assert result["level"].unique().tolist() == ["low", "basic", "literate", "advanced"]
    assert np.allclose(result.groupby("city")["estimate"].sum(), 1.0)
    shares = scored.groupby("city")["grade"].value_counts(normalize=True)
    for _, row in result.iterrows():
        assert row["estimate"] == pytest.approx(shares[(row["city"], row["level"])])


@pytest.mark.parametrize("replicates", [None, "jkn"])
def test_chunking_over_domains_gives_the_same_answer(monkeypatch, replicates):
    """Many domains x many PSUs are processed in chunks of domains; force tiny
    chunks and compare with the one-chunk answer."""
    import literacy.estimation.variance as variance

    rng = np.random.default_rng(8)
    data = pd.DataFrame({"h": rng.integers(0, 5, 3000), "psu": rng.integers(0, 6, 3000), "w": rng.uniform(1, 4, 3000),
                         "y": rng.integers(0, 2, 3000), "d": rng.integers(0, 40, 3000)})  # fmt: skip
    design = Design(data, weight="w", strata="h", psu="psu")
    if replicates:
        design = design.with_replicates(replicates)
    whole = estimate(design, "y", "d")
    monkeypatch.setattr(variance, "_MAX_CELLS", 70)  # 2 domains of 30 PSUs per chunk
    chunked = estimate(design, "y", "d")
    pd.testing.assert_frame_equal(whole, chunked, check_exact=False, rtol=1e-12)


def test_auto_takes_0_1_and_booleans_as_proportions_and_refuses_other_numbers():
    data = pd.DataFrame({"y": [0, 1, 2, 1, 0, 2, 3, 4, 5, 6, 1, 0], "flag": [True, False] * 6})
    refusal = r"'y' is not 0/1 \(it holds 0, 1, 2, 3, 4, \.\.\.\), so pass statistic=.mean."
    with pytest.raises(LiteracyError, match=refusal):
        estimate(Design(data), "y")
    with pytest.raises(LiteracyError, match=r"statistic=.distribution."):
        contrast(Design(data), "y", {"flag": True}, {"flag": False})
    mean = estimate(Design(data), "y", statistic="mean")
    assert mean.attrs["estimate"]["statistic"] == "mean"
    assert mean.loc[0, "estimate"] == pytest.approx(data["y"].mean())
    shares = estimate(Design(data), "y", statistic="distribution")
    assert shares["level"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert contrast(Design(data), "y", {"flag": True}, {"flag": False}, statistic="mean").loc[0, "estimate"] == (
        pytest.approx(data.y[data.flag].mean() - data.y[~data.flag].mean())
    )
    share = estimate(Design(data), "flag")
    assert share.attrs["estimate"]["statistic"] == "proportion" and share.loc[0, "estimate"] == pytest.approx(0.5)
    halves = data.assign(half=[2.5, 1.0] * 6)
    with pytest.raises(LiteracyError, match=r"holds 1, 2\.5\)"):
        estimate(Design(halves), "half")
