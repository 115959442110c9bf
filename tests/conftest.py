"""Shared helpers: answer tables built from an instrument's own keys."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from literacy.instrument import Instrument, Item, load_instrument

REPO = Path(__file__).resolve().parents[1]
SHIPPED = ["benchmark-2016", "cast-2024", "crisp-classic", "nsf-knowledge"]


def key_answer(item: Item) -> object:
    """The correct answer as it appears in an export."""
    if item.type == "multiple_choice":
        return " ".join(str(code) for code in sorted(item.key))
    return min(item.key)


def wrong_answer(item: Item) -> object:
    """A substantive but wrong answer."""
    if item.type == "multiple_choice":
        extra = next(code for code in item.option_codes if code not in item.key)
        return " ".join(str(code) for code in sorted(item.key | {extra}))
    return next(code for code in item.option_codes if code not in item.key)


def respondent(instrument: Instrument, correct_ids: set[str], **overrides: object) -> dict[str, object]:
    """One respondent: key answers for ``correct_ids``, wrong answers elsewhere."""
    row = {item.id: key_answer(item) if item.id in correct_ids else wrong_answer(item) for item in instrument.items}
    row.update(overrides)
    return row


def first_n_per_dimension(instrument: Instrument, counts: dict[str, int]) -> set[str]:
    chosen: set[str] = set()
    for dimension, count in counts.items():
        chosen |= {item.id for item in instrument.dimension_items(dimension)[:count]}
    return chosen


def table(instrument: Instrument, rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=instrument.item_ids)
    return frame.astype({item.id: "string" for item in instrument.items if item.type == "multiple_choice"})


@pytest.fixture(params=SHIPPED)
def shipped(request: pytest.FixtureRequest) -> Instrument:
    return load_instrument(request.param)
