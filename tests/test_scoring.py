"""The scoring engine against hand-worked respondents, one standard at a time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from conftest import first_n_per_dimension, key_answer, respondent, table, wrong_answer
from literacy import LiteracyError, load_instrument, score

# ---------------------------------------------------------------- weighted_grades (cast-2024)
# Every cast-2024 item is worth 2.5 of 100 points (40/16 = 20/8 = 2.5), so a
# respondent with c correct answers scores exactly 2.5 c.


def _cast_with(correct_count: int) -> dict[str, object]:
    cast = load_instrument("cast-2024")
    return respondent(cast, {item.id for item in cast.items[:correct_count]})


@pytest.mark.parametrize(
    ("correct", "expected_score", "grade", "literate"),
    [
        (21, 52.5, "low", 0),
        (22, 55.0, "basic", 0),  # exactly 55: basic (达到55分)
        (27, 67.5, "basic", 0),
        (28, 70.0, "literate", 1),  # exactly 70: literate
        (33, 82.5, "literate", 1),
        (34, 85.0, "advanced", 1),  # exactly 85: advanced
        (40, 100.0, "advanced", 1),
        (0, 0.0, "low", 0),
    ],
)
def test_cast_2024_grades_at_and_around_each_boundary(correct, expected_score, grade, literate):
    cast = load_instrument("cast-2024")
    scored = score(table(cast, [_cast_with(correct)]), cast)
    assert scored.loc[0, "score_100"] == pytest.approx(expected_score, abs=1e-12)
    assert scored.loc[0, "grade"] == grade
    assert scored.loc[0, "literate"] == literate


def test_cast_2024_exclusive_boundaries_move_exact_scores_down():
    cast = load_instrument("cast-2024")
    exclusive = dataclasses.replace(cast, standard=dataclasses.replace(cast.standard, inclusive=False))
    scored = score(table(cast, [_cast_with(22), _cast_with(28), _cast_with(34), _cast_with(35)]), exclusive)
    assert list(scored["grade"]) == ["low", "basic", "literate", "advanced"]
    assert list(scored["literate"]) == [0, 0, 1, 1]


def test_cast_2024_dimension_weights_are_applied():
    cast = load_instrument("cast-2024")
    # All of knowledge (40 points) and nothing else: 40; all but knowledge: 60.
    knowledge_only = respondent(cast, first_n_per_dimension(cast, {"knowledge": 16}))
    others_only = respondent(cast, first_n_per_dimension(cast, {"method": 8, "spirit": 8, "application": 8}))
    half_method = respondent(cast, first_n_per_dimension(cast, {"method": 4}))
    scored = score(table(cast, [knowledge_only, others_only, half_method]), cast)
    assert list(scored["score_100"]) == pytest.approx([40.0, 60.0, 10.0])
    assert list(scored["score_knowledge"]) == [16, 0, 0]
    assert list(scored["score_method"]) == [0, 8, 4]
    assert list(scored["grade"]) == ["low", "basic", "low"]
    assert scored["grade"].cat.ordered and list(scored["grade"].cat.categories) == [
        "low",
        "basic",
        "literate",
        "advanced",
    ]


# ---------------------------------------------------------------- total_score_cut (benchmark-2016)


@pytest.mark.parametrize(("correct", "total", "literate"), [(29, 58, 0), (30, 60, 1), (31, 62, 1), (50, 100, 1)])
def test_benchmark_2016_sixty_percent_rule(correct, total, literate):
    bench = load_instrument("benchmark-2016")
    row = respondent(bench, {item.id for item in bench.items[:correct]})
    scored = score(table(bench, [row]), bench)
    assert scored.loc[0, "score_total"] == total
    assert scored.loc[0, "score_100"] == pytest.approx(total)
    assert scored.loc[0, "literate"] == literate
    assert scored.loc[0, "grade"] == ("literate" if literate else "not_literate")


def test_benchmark_2016_exclusive_cut_needs_more_than_sixty():
    bench = load_instrument("benchmark-2016")
    exclusive = dataclasses.replace(bench, standard=dataclasses.replace(bench.standard, inclusive=False))
    rows = [respondent(bench, {i.id for i in bench.items[:n]}) for n in (30, 31)]
    assert list(score(table(bench, rows), exclusive)["literate"]) == [0, 1]


# ---------------------------------------------------------------- all_dimensions_pass (crisp-classic, nsf)


@pytest.mark.parametrize(
    ("counts", "passes", "literate"),
    [
        ({"knowledge": 8, "method": 3, "spirit": 4}, (1, 1, 1), 1),  # 8 >= 7.2, 3 >= 3, 4 >= 4
        ({"knowledge": 7, "method": 4, "spirit": 5}, (0, 1, 1), 0),  # 7 < 7.2
        ({"knowledge": 12, "method": 2, "spirit": 5}, (1, 0, 1), 0),
        ({"knowledge": 12, "method": 4, "spirit": 3}, (1, 1, 0), 0),
    ],
)
def test_crisp_classic_needs_every_part_at_once(counts, passes, literate):
    crisp = load_instrument("crisp-classic")
    scored = score(table(crisp, [respondent(crisp, first_n_per_dimension(crisp, counts))]), crisp)
    assert tuple(scored.loc[0, ["pass_knowledge", "pass_method", "pass_spirit"]]) == passes
    assert scored.loc[0, "literate"] == literate
    assert "score_100" not in scored.columns


def test_somewhat_believing_counts_as_believing():
    crisp = load_instrument("crisp-classic")
    row = respondent(crisp, {item.id for item in crisp.items})
    row.update(s01=2, s02=2)  # 有些相信 on two superstition items: 3 of 5 rejected
    scored = score(table(crisp, [row]), crisp)
    assert scored.loc[0, "score_spirit"] == 3
    assert scored.loc[0, "literate"] == 0


def test_nsf_knowledge_thresholds():
    nsf = load_instrument("nsf-knowledge")
    rows = [
        respondent(nsf, first_n_per_dimension(nsf, {"knowledge": 7, "inquiry": 3})),  # 7 >= 6.3, 3 >= 3
        respondent(nsf, first_n_per_dimension(nsf, {"knowledge": 6, "inquiry": 4})),
        respondent(nsf, first_n_per_dimension(nsf, {"knowledge": 9, "inquiry": 2})),
    ]
    assert list(score(table(nsf, rows), nsf)["literate"]) == [1, 0, 0]


# ---------------------------------------------------------------- missing values and codes


def test_dont_know_and_refused_score_as_wrong_but_count_as_answered():
    cast = load_instrument("cast-2024")
    everything = {item.id for item in cast.items}
    rows = [respondent(cast, everything, k01=8, k02=9, k16="8")]
    scored = score(table(cast, rows), cast)
    assert list(scored.loc[0, ["k01_correct", "k02_correct", "k16_correct", "k03_correct"]]) == [0, 0, 0, 1]
    assert scored.loc[0, "items_missing"] == 0
    assert scored.loc[0, "items_answered"] == 40
    assert scored.loc[0, "score_100"] == pytest.approx(100 - 3 * 2.5)


def test_blank_and_not_asked_are_missing_and_too_many_make_a_respondent_unscorable():
    cast = load_instrument("cast-2024")
    everything = {item.id for item in cast.items}
    eight_missing = {item.id: (7 if n % 2 else None) for n, item in enumerate(cast.items[:8])}
    nine_missing = {item.id: None for item in cast.items[:9]}
    scored = score(
        table(cast, [respondent(cast, everything, **eight_missing), respondent(cast, everything, **nine_missing)]), cast
    )
    # 8 of 40 = 20% missing is still scorable (the limit is "more than 20%").
    assert list(scored["items_missing"]) == [8, 9]
    assert list(scored["scorable"]) == [True, False]
    assert scored.loc[0, "score_100"] == pytest.approx(80.0)  # missing items earn no points
    assert pd.isna(scored.loc[0, "k01_correct"])
    assert pd.isna(scored.loc[1, "literate"]) and pd.isna(scored.loc[1, "grade"])
    assert np.isnan(scored.loc[1, "score_100"])


def test_max_missing_share_can_be_overridden():
    cast = load_instrument("cast-2024")
    row = respondent(cast, {item.id for item in cast.items}, **{item.id: None for item in cast.items[:9]})
    assert score(table(cast, [row]), cast, max_missing_share=0.25).loc[0, "scorable"]


def test_codes_as_text_floats_and_integers_score_alike():
    bench = load_instrument("benchmark-2016")
    row = respondent(bench, {item.id for item in bench.items[::2]})
    as_int = table(bench, [row])
    as_text = as_int.astype("string")
    as_float = as_int.copy()
    for item in bench.items:
        if item.type != "multiple_choice":
            as_float[item.id] = as_float[item.id].astype(float)
    results = [score(frame, bench)[["score_total", "literate"]] for frame in (as_int, as_text, as_float)]
    pd.testing.assert_frame_equal(results[0], results[1])
    pd.testing.assert_frame_equal(results[0], results[2])


def test_multiple_choice_needs_exactly_the_key_in_any_order():
    bench = load_instrument("benchmark-2016")  # k28 key: 1 2 4
    rows = [respondent(bench, set(), k28=value) for value in ("1 2 4", "4 1 2", " 2  4 1 ", "1 2", "1 2 3 4", "8")]
    assert list(score(table(bench, rows), bench)["k28_correct"]) == [1, 1, 1, 0, 0, 0]


def test_a_multiple_choice_stored_as_a_number_is_one_code():
    bench = load_instrument("benchmark-2016")
    frame = table(bench, [respondent(bench, set()) for _ in range(2)])
    frame["k27"] = [1.0, 8.0]
    scored = score(frame, bench)
    assert list(scored["k27_correct"]) == [0, 0]
    assert list(scored["items_missing"]) == [0, 0]


@pytest.mark.parametrize(("column", "bad"), [("k01", 5), ("k01", "对"), ("k01", 1.5), ("k16", "1 6"), ("k16", "a b")])
def test_values_outside_the_codebook_stop_scoring_with_the_item_named(column, bad):
    cast = load_instrument("cast-2024")
    frame = table(cast, [respondent(cast, set()), respondent(cast, set())]).astype({column: "object"})
    frame.loc[1, column] = bad
    with pytest.raises(LiteracyError) as caught:
        score(frame, cast)
    assert f"{column}: 1 row(s) with value(s) {bad}" in str(caught.value)
    assert "literacy.validate" in str(caught.value)  # Python terms from Python


def test_missing_item_columns_are_listed():
    cast = load_instrument("cast-2024")
    frame = table(cast, [respondent(cast, set())]).drop(columns=["k02", "m05"])
    with pytest.raises(LiteracyError, match="2 item column\\(s\\) of cast-2024 are missing: k02, m05"):
        score(frame, cast)


def test_a_file_matching_no_item_says_what_was_expected_and_seen():
    with pytest.raises(LiteracyError, match="No column matches an item of cast-2024: expected item columns k01, k02"):
        score(pd.DataFrame({"q1": [1], "q2": [2]}), "cast-2024")


def test_existing_scoring_columns_are_not_overwritten():
    cast = load_instrument("cast-2024")
    frame = table(cast, [respondent(cast, set())]).assign(grade="3rd year")
    with pytest.raises(LiteracyError, match="already has column\\(s\\) grade"):
        score(frame, cast)


def test_input_columns_index_and_metadata_are_kept():
    cast = load_instrument("cast-2024")
    frame = table(cast, [respondent(cast, set()), respondent(cast, {"k01"})])
    frame.index = [10, 20]
    frame.insert(0, "city", ["wuhai", "xuzhou"])
    frame.attrs["labels"] = {"city": "城市"}
    scored = score(frame, cast)
    assert list(scored.index) == [10, 20]
    assert list(scored.columns[: len(frame.columns)]) == list(frame.columns)
    assert scored.attrs["labels"] == {"city": "城市"}
    assert scored.attrs["instrument"] == {"id": "cast-2024", "version": "1.0", "rule": "weighted_grades"}


def test_an_empty_table_scores_to_an_empty_table():
    cast = load_instrument("cast-2024")
    scored = score(table(cast, []), cast)
    assert len(scored) == 0 and "literate" in scored.columns


def test_key_and_wrong_helpers_agree_with_the_engine(shipped):
    right = score(table(shipped, [{i.id: key_answer(i) for i in shipped.items}]), shipped)
    wrong = score(table(shipped, [{i.id: wrong_answer(i) for i in shipped.items}]), shipped)
    assert right.loc[0, "score_total"] == shipped.max_points and right.loc[0, "literate"] == 1
    assert wrong.loc[0, "score_total"] == 0 and wrong.loc[0, "literate"] == 0
