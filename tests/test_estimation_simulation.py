"""Simulation study: repeated stratified two-stage samples from a known finite
population. 95% intervals for each city's rate should cover the true rate
close to 95% of the time, and the estimates should be unbiased."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from literacy import Design, estimate

CITIES = {"wuhai": -2.0, "shenzhen": -1.1}  # logit of the city's level: about 12% and 25%
STRATA_PER_CITY, PSUS_PER_STRATUM, SAMPLED_PSUS, PERSONS_PER_PSU = 8, 30, 4, 8


def population(rng: np.random.Generator) -> pd.DataFrame:
    frames = []
    for city, level in CITIES.items():
        for h in range(STRATA_PER_CITY):
            sizes = rng.integers(40, 120, PSUS_PER_STRATUM)
            psu = np.repeat(np.arange(PSUS_PER_STRATUM), sizes)
            # Clustering: PSU effects give an intra-cluster correlation of about 0.05.
            effect = rng.normal(0, 0.45, PSUS_PER_STRATUM)[psu] + rng.normal(0, 0.2)
            literate = rng.random(len(psu)) < 1 / (1 + np.exp(-(level + effect)))
            frames.append(pd.DataFrame({"city": city, "stratum": f"{city}-{h}", "psu": psu, "literate": literate,
                                        "psu_size": sizes[psu]}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def sample(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """SRS of PSUs within strata, then SRS of persons within PSUs (vectorised)."""
    psu_key = frame["stratum"] + "/" + frame["psu"].astype(str)
    codes, _ = pd.factorize(psu_key)  # frame is sorted by stratum then PSU
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(frame)])
    n_strata = len(starts) // PSUS_PER_STRATUM
    chosen_in_stratum = np.argsort(rng.random((n_strata, PSUS_PER_STRATUM)), axis=1)[:, :SAMPLED_PSUS]
    chosen = (chosen_in_stratum + PSUS_PER_STRATUM * np.arange(n_strata)[:, None]).ravel()
    noise = rng.random((len(chosen), sizes.max()))
    noise[np.arange(sizes.max())[None, :] >= sizes[chosen][:, None]] = np.inf
    persons = np.argsort(noise, axis=1)[:, :PERSONS_PER_PSU]
    rows = (starts[chosen][:, None] + persons).ravel()
    out = frame.iloc[rows].reset_index(drop=True)
    weight = (PSUS_PER_STRATUM / SAMPLED_PSUS) * (sizes[chosen] / PERSONS_PER_PSU)
    out["w"] = np.repeat(weight, PERSONS_PER_PSU)
    out["literate"] = out["literate"].astype(int)
    return out


@pytest.mark.slow
def test_intervals_cover_the_true_city_rates():
    rng = np.random.default_rng(20261122)
    frame = population(rng)
    truth = frame.groupby("city")["literate"].mean()
    hits, estimates = [], []
    for _ in range(400):
        drawn = sample(frame, rng)
        result = estimate(Design(drawn, weight="w", strata="stratum", psu="psu"), "literate", "city")
        result = result.set_index("city")
        covered = (result["ci_lower"] <= truth) & (truth <= result["ci_upper"])
        hits.extend(covered.tolist())
        estimates.append(result["estimate"])
    coverage = np.mean(hits)
    bias = pd.concat(estimates, axis=1).mean(axis=1) - truth
    print(f"coverage {coverage:.3f}, bias {bias.round(4).to_dict()}")
    assert 0.925 <= coverage <= 0.985, coverage
    assert (bias.abs() < 0.006).all(), bias
    # Design df = 32 PSUs - 8 strata per city.
    assert (result["df"] == STRATA_PER_CITY * (SAMPLED_PSUS - 1)).all()
