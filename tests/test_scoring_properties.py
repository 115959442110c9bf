"""Properties of the scoring engine over random answer tables (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHIPPED, key_answer, table
from literacy import load_instrument, score
from literacy.instrument import Instrument, Item

INSTRUMENTS = {name: load_instrument(name) for name in SHIPPED}
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def answers(item: Item, instrument: Instrument) -> st.SearchStrategy[object]:
    """Any valid cell: an option, a missing code, or a blank."""
    missing = [*instrument.missing.all, None]
    if item.type == "multiple_choice":
        chosen = st.sets(st.sampled_from(item.option_codes), min_size=1).map(lambda s: " ".join(map(str, sorted(s))))
        return st.one_of(chosen, st.sampled_from([str(c) if c is not None else None for c in missing]))
    return st.sampled_from([*item.option_codes, *missing])


@st.composite
def answer_tables(draw, instrument: Instrument, min_rows: int = 1, max_rows: int = 12) -> pd.DataFrame:
    n = draw(st.integers(min_rows, max_rows))
    rows = [{item.id: draw(answers(item, instrument)) for item in instrument.items} for _ in range(n)]
    return table(instrument, rows)


def _grade_rank(scored: pd.DataFrame) -> pd.Series:
    return pd.Series(scored["grade"].cat.codes, index=scored.index)


@pytest.mark.parametrize("name", SHIPPED)
@SETTINGS
@given(data=st.data())
def test_turning_a_wrong_answer_right_never_lowers_a_score_or_grade(name, data):
    instrument = INSTRUMENTS[name]
    frame = data.draw(answer_tables(instrument))
    before = score(frame, instrument)
    wrong = [
        (row, item)
        for row in range(len(frame))
        for item in instrument.items
        if before.loc[row, f"{item.id}_correct"] is not pd.NA and before.loc[row, f"{item.id}_correct"] == 0
    ]
    if not wrong:
        return
    row, item = data.draw(st.sampled_from(wrong))
    changed = frame.copy()
    changed.loc[row, item.id] = key_answer(item)
    after = score(changed, instrument)
    assert after.loc[row, f"{item.id}_correct"] == 1
    assert after.loc[row, "scorable"] == before.loc[row, "scorable"]
    if not before.loc[row, "scorable"]:
        return
    assert after.loc[row, "score_total"] > before.loc[row, "score_total"]
    assert after.loc[row, f"score_{item.dimension}"] > before.loc[row, f"score_{item.dimension}"]
    assert _grade_rank(after)[row] >= _grade_rank(before)[row]
    assert after.loc[row, "literate"] >= before.loc[row, "literate"]
    if "score_100" in after:
        assert after.loc[row, "score_100"] > before.loc[row, "score_100"]
    others = [r for r in range(len(frame)) if r != row]
    pd.testing.assert_frame_equal(after.loc[others], before.loc[others])


@pytest.mark.parametrize("name", SHIPPED)
@SETTINGS
@given(data=st.data())
def test_row_order_does_not_change_any_respondent(name, data):
    instrument = INSTRUMENTS[name]
    frame = data.draw(answer_tables(instrument, min_rows=2))
    order = data.draw(st.permutations(list(range(len(frame)))))
    original = score(frame, instrument)
    shuffled = score(frame.iloc[order], instrument)
    pd.testing.assert_frame_equal(shuffled.loc[original.index], original)


@pytest.mark.parametrize("name", SHIPPED)
@SETTINGS
@given(data=st.data())
def test_dont_know_scores_as_wrong(name, data):
    instrument = INSTRUMENTS[name]
    frame = data.draw(answer_tables(instrument))
    item = data.draw(st.sampled_from(instrument.items))
    dont_know = instrument.missing.dont_know
    frame[item.id] = [str(dont_know) if item.type == "multiple_choice" else dont_know] * len(frame)
    scored = score(frame, instrument)
    assert (scored[f"{item.id}_correct"] == 0).all()
    everything_right = frame.copy()
    for other in instrument.items:
        if other.id != item.id:
            everything_right[other.id] = [key_answer(other)] * len(frame)
    best = score(everything_right, instrument)
    assert (best["score_total"] == instrument.max_points - item.points).all()


@pytest.mark.parametrize("name", SHIPPED)
@SETTINGS
@given(data=st.data())
def test_scores_stay_within_their_range_and_literate_follows_grade(name, data):
    instrument = INSTRUMENTS[name]
    scored = score(data.draw(answer_tables(instrument)), instrument)
    ok = scored[scored["scorable"]]
    assert ((ok["score_total"] >= 0) & (ok["score_total"] <= instrument.max_points)).all()
    if "score_100" in ok:
        assert ((ok["score_100"] >= -1e-9) & (ok["score_100"] <= 100 + 1e-9)).all()
    literate_grades = instrument.standard.literate_grades
    assert (ok["literate"].astype(int) == ok["grade"].isin(literate_grades).astype(int)).all()
    assert scored.loc[~scored["scorable"], "literate"].isna().all()
    assert (scored["items_answered"] + scored["items_missing"] == len(instrument.items)).all()
    flags = scored[[f"{item.id}_correct" for item in instrument.items]]
    assert np.array_equal(flags.isna().sum(axis=1).to_numpy(), scored["items_missing"].to_numpy())
