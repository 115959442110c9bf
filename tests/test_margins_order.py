"""Margins are matched by their keys, never by position (issue 17).

The weights must reproduce every target as the margins file states it, for
any order of the file's rows and columns and of the data's rows, in every
layout (long per-variable, joint cells, per city) and with every method. The
achieved totals are recomputed here with pandas from the output, so the
check does not trust the model the weighting built."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from literacy import LiteracyError
from literacy.weighting import margins_from_frame, weight

CITIES = ["wuhai", "xuzhou", "shenzhen"]
SEX = ["female", "male"]
AREA = ["rural", "urban"]
AGE = ["18-29", "30-49", "50-69"]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sample(seed: int, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "city": rng.choice(CITIES, n),
            "sex": rng.choice(SEX, n),
            "urban_rural": rng.choice(AREA, n),
            "age_band": rng.choice(AGE, n),
        }
    )
    # every cell of every city appears at least once
    cells = [(c, s, a, g) for c in CITIES for s in SEX for a in AREA for g in AGE]
    data.iloc[: len(cells)] = cells
    data["base_weight"] = rng.uniform(5, 50, n)
    data["respondent_id"] = np.arange(n)
    return data


def _joint_cells(seed: int) -> pd.DataFrame:
    """Joint city x sex x urban_rural targets, deliberately unequal so that a
    target given to the wrong cell cannot go unnoticed."""
    rng = np.random.default_rng(seed + 1)
    rows = [
        {"city": c, "sex": s, "urban_rural": a, "target": float(rng.integers(2_000, 40_000))}
        for c in CITIES
        for s in SEX
        for a in AREA
    ]
    return pd.DataFrame(rows)


def _long_per_city(seed: int) -> pd.DataFrame:
    """Consistent long margins per city: each variable sums to the city's total."""
    rng = np.random.default_rng(seed + 2)
    rows = []
    for city in CITIES:
        total = float(rng.integers(50_000, 500_000))
        for variable, levels in (("sex", SEX), ("urban_rural", AREA), ("age_band", AGE)):
            shares = rng.dirichlet(np.full(len(levels), 4.0))
            counts = np.round(shares * total)
            counts[-1] = total - counts[:-1].sum()
            rows += [
                {"city": city, "variable": variable, "category": c, "target": t}
                for c, t in zip(levels, counts, strict=True)
            ]
    return pd.DataFrame(rows)


def _achieved_joint(weighted: pd.DataFrame, cells: pd.DataFrame) -> pd.Series:
    keys = ["city", "sex", "urban_rural"]
    achieved = weighted.groupby(keys)["weight_final"].sum()
    return achieved.reindex(pd.MultiIndex.from_frame(cells[keys])).to_numpy()


def _achieved_long(weighted: pd.DataFrame, margins: pd.DataFrame) -> np.ndarray:
    out = []
    for row in margins.itertuples():
        inside = (weighted["city"] == row.city) & (weighted[row.variable] == row.category)
        out.append(weighted.loc[inside, "weight_final"].sum())
    return np.asarray(out)


def _weights_by_id(result) -> pd.Series:
    return result.data.set_index("respondent_id")["weight_final"].sort_index()


@SETTINGS
@given(seed=st.integers(0, 2**20), rows=st.randoms(use_true_random=False), columns=st.permutations([0, 1, 2]))
def test_joint_cells_in_any_order_reach_their_own_targets(seed, rows, columns):
    """The case of the issue: joint cells sorted by sex, then urban_rural,
    then city gave 10 of 12 cells another cell's target."""
    data = _sample(seed)
    cells = _joint_cells(seed)
    order = list(range(len(cells)))
    rows.shuffle(order)
    shuffled = cells.iloc[order][[["city", "sex", "urban_rural"][k] for k in columns] + ["target"]]
    reference = weight(data, margins_from_frame(cells, by="city"), base_weight="base_weight", method="poststratify")
    result = weight(data, margins_from_frame(shuffled, by="city"), base_weight="base_weight", method="poststratify")
    np.testing.assert_allclose(_achieved_joint(result.data, cells), cells["target"], rtol=1e-10)
    np.testing.assert_allclose(_weights_by_id(result), _weights_by_id(reference), rtol=1e-12)


@SETTINGS
@given(
    seed=st.integers(0, 2**20),
    rows=st.randoms(use_true_random=False),
    data_rows=st.randoms(use_true_random=False),
    method=st.sampled_from(["rake", "linear", "raking-bounded"]),
)
def test_long_margins_in_any_order_give_the_same_weights(seed, rows, data_rows, method):
    data = _sample(seed)
    margins = _long_per_city(seed)
    order = list(range(len(margins)))
    rows.shuffle(order)
    shuffled = margins.iloc[order][["target", "category", "city", "variable"]]
    data_order = list(range(len(data)))
    data_rows.shuffle(data_order)
    permuted = data.iloc[data_order].reset_index(drop=True)
    bounds = (0.05, 20.0) if method == "raking-bounded" else None
    try:
        reference = weight(data, margins_from_frame(margins, by="city"), base_weight="base_weight",
                           method=method, bounds=bounds, maxit=500)  # fmt: skip
    except LiteracyError as error:  # GREG may give negative weights on an unlucky sample: then both must say so
        with pytest.raises(LiteracyError, match=str(error)[:30].replace("(", r"\(")):
            weight(permuted, margins_from_frame(shuffled, by="city"), base_weight="base_weight",
                   method=method, bounds=bounds, maxit=500)  # fmt: skip
        return
    result = weight(permuted, margins_from_frame(shuffled, by="city"), base_weight="base_weight",
                    method=method, bounds=bounds, maxit=500)  # fmt: skip
    np.testing.assert_allclose(_achieved_long(result.data, margins), margins["target"], rtol=1e-8)
    np.testing.assert_allclose(_weights_by_id(result), _weights_by_id(reference), rtol=1e-8)


def test_shuffled_long_margins_are_not_called_inconsistent():
    """Raking used to refuse valid shuffled margins, quoting targets that the
    file does not hold ("... targets disagree")."""
    data = _sample(7)
    margins = _long_per_city(7).sample(frac=1.0, random_state=3)
    result = weight(data, margins_from_frame(margins, by="city"), base_weight="base_weight", method="rake")
    np.testing.assert_allclose(_achieved_long(result.data, margins), margins["target"], rtol=1e-8)


def test_a_message_quotes_the_target_the_file_has():
    data = _sample(11)
    data = data[~((data["city"] == "xuzhou") & (data["age_band"] == "50-69"))]
    margins = _long_per_city(11).sample(frac=1.0, random_state=5)
    stated = margins.query("city == 'xuzhou' and variable == 'age_band' and category == '50-69'")["target"].item()
    with pytest.raises(LiteracyError, match=rf"age_band=50-69 in city xuzhou, but the population has {stated:g}"):
        weight(data, margins_from_frame(margins, by="city"), base_weight="base_weight", method="rake")


@pytest.mark.parametrize(("bad", "shown"), [(np.inf, "inf"), (-np.inf, "-inf"), (1e308, "1e\\+308")])
def test_an_infinite_or_absurd_base_weight_is_named_not_called_non_convergence(bad, shown):
    data = _sample(3)
    data.loc[5, "base_weight"] = bad
    with pytest.raises(LiteracyError, match=rf"must hold a number from 0 to 1e15.*data row 6, has {shown}\)"):
        weight(data, margins_from_frame(_long_per_city(3), by="city"), base_weight="base_weight", method="rake")


def test_all_zero_base_weights_in_a_cell_with_a_target_are_named():
    data = _sample(5)
    data.loc[data["city"] == "wuhai", "base_weight"] = 0.0
    with pytest.raises(LiteracyError, match=r"in city wuhai has base weight 0"):
        weight(data, margins_from_frame(_long_per_city(5), by="city"), base_weight="base_weight", method="rake")
