"""Validation: every interview accounted for, each rejected row with its reasons."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from literacy import LiteracyError, Rules, load_instrument, score, validate
from literacy.validate import REASONS, SOURCE_ROW, validate_file
from test_ingest import CAST, fieldwork

NSF = load_instrument("nsf-knowledge")


@pytest.fixture
def defective() -> pd.DataFrame:
    frame = fieldwork(60, seed=9)
    frame.loc[0, "k01"] = 5  # outside the codebook
    frame["k02"] = frame["k02"].astype(object)
    frame.loc[1, "k02"] = "maybe"
    frame.loc[2, "respondent_id"] = frame.loc[3, "respondent_id"]  # row 4 repeats row 3's id
    frame["age"] = frame["age"].astype(object)
    frame.loc[4, "age"] = 75
    frame.loc[5, "age"] = None
    frame.loc[6, "age"] = "forty"
    for item in CAST.items[:15]:  # 15 of 40 missing > 20%
        frame.loc[7, item.id] = None
    frame.loc[8, "duration_seconds"] = 60  # far below the median of ~900
    for item in CAST.items:  # says "true" to everything
        frame.loc[9, item.id] = "1" if item.type == "multiple_choice" else 1
    return frame


def test_each_defect_is_caught_with_its_reason(defective):
    result = validate(defective, CAST)
    summary = result.summary
    assert summary["input_rows"] == 60
    assert summary["clean_rows"] + summary["rejected_rows"] == 60 and summary["balanced"]
    reasons = dict(zip(result.rejects[SOURCE_ROW], result.rejects[REASONS], strict=True))
    assert reasons[1].startswith("invalid_value (k01=5")
    assert "k02=maybe" in reasons[2]
    assert 3 not in reasons and "duplicate_id" in reasons[4]  # the first of a repeated id is kept
    assert "outside_population (age 75 not in 18-69)" in reasons[5]
    assert reasons[6] == "age_missing"
    assert "age_not_a_number (age forty)" in reasons[7]
    assert "incomplete (15 of 40 items missing)" in reasons[8]
    assert set(reasons) == {1, 2, 4, 5, 6, 7, 8}
    assert summary["rejections"] == {
        "invalid_value": 2, "duplicate_id": 1, "age_missing": 1, "age_not_a_number": 1,
        "outside_population": 1, "incomplete": 1,
    }  # fmt: skip
    assert summary["invalid_values_by_column"] == {"k01": 1, "k02": 1}
    # Speeders and straight-liners are flagged, not dropped.
    clean = result.clean.set_index(SOURCE_ROW)
    assert bool(clean.loc[9, "flag_speeder"]) and clean["flag_speeder"].sum() == 1
    assert bool(clean.loc[10, "flag_straight_line"]) and clean["flag_straight_line"].sum() == 1
    assert summary["flags"] == {"speeder": 1, "straight_line": 1}
    # What validate keeps, scoring accepts.
    score(result.clean, CAST)


def test_actions_are_configurable(defective):
    rules = Rules().with_actions({"speeder": "reject", "invalid_value": "flag", "straight_line": "ignore"})
    result = validate(defective, CAST, rules)
    rejected = set(result.rejects[SOURCE_ROW])
    assert 9 in rejected and 1 not in rejected
    assert "flag_straight_line" not in result.clean and "flag_invalid_value" in result.clean
    with pytest.raises(LiteracyError, match="Unknown check"):
        Rules().with_actions({"speedy": "reject"})
    with pytest.raises(LiteracyError, match="Action 'drop' for speeder is unknown"):
        Rules().with_actions({"speeder": "drop"})


def test_population_limits_follow_the_rules(defective):
    result = validate(defective, CAST, Rules(max_age=80))
    assert 5 not in set(result.rejects[SOURCE_ROW])


def test_streamed_file_equals_the_in_memory_result(defective, tmp_path):
    source = tmp_path / "in.csv"
    defective.to_csv(source, index=False)
    clean, rejects, summary = tmp_path / "clean.csv", tmp_path / "rejects.csv", tmp_path / "summary.json"
    streamed = validate_file(source, CAST, clean_path=clean, rejects_path=rejects, summary_path=summary,
                             chunk_rows=7)  # fmt: skip
    in_memory = validate(pd.read_csv(source), CAST).summary
    for key in ("input_rows", "clean_rows", "rejected_rows", "rejections", "flags", "invalid_values_by_column"):
        assert streamed[key] == in_memory[key], key
    assert json.loads(summary.read_text(encoding="utf-8"))["balanced"] is True
    written = pd.read_csv(rejects, encoding="utf-8-sig")
    assert written[SOURCE_ROW].tolist() == [1, 2, 4, 5, 6, 7, 8]
    assert len(pd.read_csv(clean, encoding="utf-8-sig")) == 53
    assert clean.read_bytes().startswith(b"\xef\xbb\xbf")


def test_missing_item_columns_name_expected_and_seen():
    with pytest.raises(LiteracyError, match=r"No column matches an item of cast-2024.*the file has a, b"):
        validate(pd.DataFrame({"a": [1], "b": [2]}), CAST)
    partial = fieldwork(5).drop(columns=["k03", "m02"])
    with pytest.raises(LiteracyError, match=r"2 item column\(s\) of cast-2024 are missing: k03, m02"):
        validate(partial, CAST)


# --------------------------------------------------------------------------
# Properties: nothing lost, nothing invalid kept
# --------------------------------------------------------------------------

GARBAGE = st.one_of(st.just("x"), st.just("99"), st.just("-1"), st.just("1.5"), st.just(" "), st.none(),
                    st.integers(-3, 12), st.text(max_size=3))  # fmt: skip


@st.composite
def answer_tables(draw):
    n = draw(st.integers(1, 25))
    columns = {}
    for item in NSF.items:
        allowed = list(item.option_codes) + list(NSF.missing.all)
        cell = st.one_of(st.sampled_from(allowed), GARBAGE) if draw(st.booleans()) else st.sampled_from(allowed)
        columns[item.id] = draw(st.lists(cell, min_size=n, max_size=n))
    frame = pd.DataFrame(columns, dtype=object)
    frame["respondent_id"] = draw(st.lists(st.integers(1, 8), min_size=n, max_size=n))
    frame["age"] = draw(st.lists(st.one_of(st.integers(10, 90), st.none()), min_size=n, max_size=n))
    return frame


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_tables())
def test_clean_plus_rejected_is_the_input_and_clean_rows_score(frame):
    result = validate(frame, NSF)
    assert len(result.clean) + len(result.rejects) == len(frame)
    rows = sorted(result.clean[SOURCE_ROW].tolist() + result.rejects[SOURCE_ROW].tolist())
    assert rows == list(range(1, len(frame) + 1))
    assert result.summary["balanced"]
    scored = score(result.clean.drop(columns=[SOURCE_ROW]), NSF)  # raises on any value outside the codebook
    assert len(scored) == len(result.clean)
    assert (result.rejects[REASONS] != "").all()


@settings(max_examples=25, deadline=None)
@given(answer_tables(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_which_rows_fail_except_duplicates(frame, random):
    frame = frame.drop(columns=["respondent_id"])
    order = list(range(len(frame)))
    random.shuffle(order)
    first = validate(frame, NSF)
    shuffled = validate(frame.iloc[order].reset_index(drop=True), NSF)
    rejected = set(first.rejects[SOURCE_ROW] - 1)
    rejected_after = {order[r - 1] for r in shuffled.rejects[SOURCE_ROW]}
    assert rejected == rejected_after


def test_straight_lining_needs_enough_answers():
    frame = fieldwork(3)
    for item in CAST.items:
        frame.loc[0, item.id] = "8" if item.type == "multiple_choice" else 8  # all "don't know"
    result = validate(frame, CAST)
    assert bool(result.clean.set_index(SOURCE_ROW).loc[1, "flag_straight_line"])
    few = validate(frame, CAST, Rules(straight_line_min_items=100))
    assert not few.clean["flag_straight_line"].any()


def test_no_duration_column_is_reported_not_guessed():
    result = validate(fieldwork(5).drop(columns=["duration_seconds"]), CAST)
    assert "speeder" in result.summary["checks_skipped"]
    assert np.all(~result.clean.get("flag_speeder", pd.Series([False])))


def test_a_validated_file_validated_again_keeps_its_lineage(defective, tmp_path):
    """`literacy validate clean.csv` crashed ("cannot insert source_row, already
    exists"): source_row stays each row's line in the original export, the
    flags are made again under the new rules, and a row rejected now is
    named by its original line."""
    from click.testing import CliRunner

    from literacy.cli import main

    source = tmp_path / "in.csv"
    defective.to_csv(source, index=False)
    clean, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    validate_file(source, CAST, clean_path=clean, rejects_path=rejects, chunk_rows=7)
    first = pd.read_csv(clean, encoding="utf-8-sig")

    again, again_rejects = tmp_path / "again.csv", tmp_path / "again.rejects.csv"
    result = CliRunner().invoke(main, ["validate", str(clean), "-q", "cast-2024", "-o", str(again),
                                       "--on", "speeder=reject", "--on", "straight_line=ignore"])  # fmt: skip
    assert result.exit_code == 0, result.output
    second = pd.read_csv(again, encoding="utf-8-sig")
    rejected = pd.read_csv(again_rejects, encoding="utf-8-sig")
    speeders = first.loc[first["flag_speeder"], SOURCE_ROW].tolist()
    assert speeders == [9]
    assert rejected[SOURCE_ROW].tolist() == speeders and rejected[REASONS].str.startswith("speeder").all()
    assert sorted(second[SOURCE_ROW].tolist() + speeders) == first[SOURCE_ROW].tolist()
    # Flags of the first validation are not carried over: straight_line is ignored now, speeders rejected.
    assert "flag_straight_line" not in second.columns and "flag_speeder" not in second.columns
    assert REASONS not in second.columns
    kept = first.set_index(SOURCE_ROW).drop(columns=["flag_speeder", "flag_straight_line"]).drop(index=speeders)
    pd.testing.assert_frame_equal(second.set_index(SOURCE_ROW), kept, check_dtype=False)  # 2 vs 2.0 once blanks go

    # In memory alike; a broken source_row is refused in one sentence, not renumbered silently.
    assert validate(first, CAST).clean[SOURCE_ROW].tolist() == first[SOURCE_ROW].tolist()
    broken = first.assign(**{SOURCE_ROW: first[SOURCE_ROW].astype(object)})
    broken.loc[3, SOURCE_ROW] = "x"
    with pytest.raises(LiteracyError, match="source_row of row 4 holds 'x', not a line number"):
        validate(broken, CAST)
