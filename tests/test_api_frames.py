"""Frames already in memory go through the same adapters and checks as files
(issue 18), and a frame whose reader lost the codes is refused, never scored
differently without a word."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import literacy
from literacy.pipeline import sample_data_dir

SAV = sample_data_dir() / "responses-spss.sav"
CAST = literacy.load_instrument("cast-2024")


def _scores(frame: pd.DataFrame) -> pd.DataFrame:
    clean = literacy.validate(frame, CAST).clean
    return literacy.score(clean, CAST).set_index("respondent_id")[["score_100", "literate"]].sort_index()


def test_a_frame_scores_exactly_as_the_file_it_came_from(tmp_path):
    path = tmp_path / "export.csv"
    literacy.read(SAV, CAST).to_csv(path, index=False)
    from_file = _scores(literacy.read(path, CAST))
    from_frame = _scores(literacy.read(pd.read_csv(path), CAST))
    pd.testing.assert_frame_equal(from_file, from_frame)


def test_pandas_read_spss_blanks_declared_codes_and_is_refused():
    frame = pd.read_spss(SAV)  # ReadStat without user_missing: 8 and 9 become NaN
    with pytest.raises(literacy.LiteracyError, match=r"read the declared codes as blanks.*literacy\.read\(path"):
        literacy.read(frame, CAST)
    ours = literacy.read(SAV, CAST)
    items = CAST.item_ids
    assert ours[items].isin([8, 9]).sum().sum() > 0  # the file does hold don't know and refused
    vouched = literacy.read(frame, CAST, blanks_are_unanswered=True)  # the caller's decision, on record
    assert vouched[items].isna().sum().sum() > ours[items].isna().sum().sum()


def test_labels_the_instrument_does_not_know_are_refused_with_the_way_out():
    frame = literacy.read(SAV, CAST).copy()
    frame["k01"] = pd.Categorical(np.where((frame["k01"] == 1).fillna(False), "Richtig", "Falsch"))
    with pytest.raises(literacy.LiteracyError, match=r"Item k01 .*'Richtig'.*value labels in place of codes"):
        literacy.read(frame, CAST)


def test_a_frame_with_two_columns_of_one_name_is_refused():
    frame = pd.DataFrame([[1, 2]], columns=["city", "city"])
    with pytest.raises(literacy.LiteracyError, match="two columns named 'city'"):
        literacy.read(frame, CAST)


def test_invalid_numeric_codes_are_left_for_validation_to_reject():
    frame = literacy.read(SAV, CAST).copy()
    frame.loc[0, "k02"] = 99
    adapted = literacy.read(frame, CAST)
    checked = literacy.validate(adapted, CAST)
    assert "invalid_value (k02=99)" in checked.rejects["reject_reasons"].iloc[0]
