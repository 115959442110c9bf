"""Answers generated from a latent literacy trait, for simulation and benchmarks.

A respondent with trait ``theta`` answers item ``i`` correctly with the Rasch
probability ``1 / (1 + exp(-(theta - b_i)))``. Otherwise they say "don't
know" (more often the lower their trait), skip the item, or pick a wrong
option. Everything is drawn per item over all respondents at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from literacy.instrument import Instrument, Item, load_instrument


def item_difficulties(instrument: Instrument) -> dict[str, float]:
    """Difficulties spread evenly from -1.5 to 1.5 within each dimension, so
    every dimension has easy and hard items."""
    difficulties: dict[str, float] = {}
    for dimension in instrument.dimensions:
        items = instrument.dimension_items(dimension.id)
        for item, value in zip(items, np.linspace(-1.5, 1.5, num=len(items)), strict=True):
            difficulties[item.id] = float(value)
    return difficulties


def simulate_answers(
    instrument: Instrument | str,
    ability: np.ndarray,
    rng: np.random.Generator,
    *,
    dont_know_rate: float = 0.06,
    blank_rate: float = 0.01,
) -> pd.DataFrame:
    """One column per item: integer codes (a space-joined code list for
    multiple choice), with don't-know codes and blanks mixed in."""
    instrument = load_instrument(instrument)
    ability = np.asarray(ability, dtype=float)
    difficulties = item_difficulties(instrument)
    columns: dict[str, object] = {}
    for item in instrument.items:
        p_correct = 1.0 / (1.0 + np.exp(-(ability - difficulties[item.id])))
        right = rng.random(len(ability)) < p_correct
        # Don't know is likelier for those with a low trait.
        p_dont_know = dont_know_rate * 2.0 / (1.0 + np.exp(ability))
        dont_know = ~right & (rng.random(len(ability)) < p_dont_know)
        blank = rng.random(len(ability)) < blank_rate
        columns[item.id] = _codes(item, instrument, right, dont_know, blank, rng)
    return pd.DataFrame(columns)


def _codes(
    item: Item,
    instrument: Instrument,
    right: np.ndarray,
    dont_know: np.ndarray,
    blank: np.ndarray,
    rng: np.random.Generator,
) -> pd.Series:
    n = len(right)
    wrong_codes = [code for code in item.option_codes if code not in item.key]
    if item.type == "multiple_choice":
        key_text = " ".join(str(c) for c in sorted(item.key))
        # A wrong answer: the key with one option toggled, a typical near miss.
        near_misses = [
            " ".join(str(c) for c in sorted(set(item.key) ^ {code})) or str(wrong_codes[0])
            for code in item.option_codes
        ]
        picks = np.asarray(near_misses, dtype=object)[rng.integers(0, len(near_misses), n)]
        values = np.where(right, key_text, picks).astype(object)
        if instrument.missing.dont_know is not None:
            values[dont_know] = str(instrument.missing.dont_know)
        values[blank] = None
        return pd.Series(values, dtype="string")
    key_choices = np.asarray(sorted(item.key), dtype=float)
    values = key_choices[rng.integers(0, len(key_choices), n)]
    if wrong_codes:
        wrong = np.asarray(wrong_codes, dtype=float)[rng.integers(0, len(wrong_codes), n)]
        values = np.where(right, values, wrong)
    if instrument.missing.dont_know is not None:
        values[dont_know] = instrument.missing.dont_know
    values[blank] = np.nan
    return pd.Series(values).astype("Int64")
