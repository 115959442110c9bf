"""Score each respondent against the instrument's literacy standard.

Three rules, all parameterised by the instrument file (never hard-coded here):

* ``all_dimensions_pass``: literate only if every dimension reaches its pass
  mark (the Miller-derived rule of the Chinese surveys 1992-2015, "同时通过").
* ``total_score_cut``: points summed, literate at or above a share of the
  maximum (《中国公民科学素质基准》 2016 test spec: 50 items x 2 points, >= 60%).
* ``weighted_grades``: each dimension's share of its points times its weight,
  summed to a 0-100 score and graded by cut points (CAST 2024: 40/20/20/20;
  >= 85 高阶, >= 70 具备, >= 55 基本具备, below 55 较低).

Conventions (NSF Science & Engineering Indicators and CRISP): "don't know" and
refused score as incorrect; blank and "not asked" are missing. A respondent
with more than ``max_missing_share`` of items missing is unscorable: scores,
grade and ``literate`` are left empty rather than guessed. Missing items of a
scorable respondent earn no points.

Everything is vectorised over respondents: one numpy pass per item, then
matrix products for the dimension scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError, spell
from literacy.instrument import Instrument, Item, load_instrument

# Scores are compared with cut points up to this relative tolerance so that a
# score of exactly 70 computed as 40*k/16 + ... is never lost to rounding.
_BOUNDARY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ItemResult:
    """Per-item outcome arrays, length n (one entry per respondent)."""

    correct: np.ndarray  # float 0/1
    missing: np.ndarray  # bool: blank or not asked
    invalid: np.ndarray  # bool: a value outside the codebook
    invalid_examples: tuple[str, ...]


def score(
    responses: pd.DataFrame,
    instrument: Instrument | str,
    *,
    max_missing_share: float | None = None,
) -> pd.DataFrame:
    """Return ``responses`` with the scoring columns added.

    Added columns: ``<item>_correct`` (1/0, empty when missing), one
    ``score_<dimension>`` per dimension (points), ``score_total``,
    ``score_100`` (where the standard defines a 0-100 score), ``pass_<dimension>``
    (for ``all_dimensions_pass``), ``grade``, ``literate`` (1/0),
    ``items_answered``, ``items_missing`` and ``scorable``.
    """
    instrument = load_instrument(instrument)
    standard = instrument.standard
    threshold_missing = standard.max_missing_share if max_missing_share is None else max_missing_share
    if not 0 <= threshold_missing < 1:
        raise LiteracyError(f"max_missing_share must be from 0 up to (not including) 1, not {threshold_missing}.")
    check_columns(responses, instrument)
    n = len(responses)

    results = item_results(responses, instrument)
    raise_on_invalid(results, instrument)

    correct = (
        np.column_stack([results[i.id].correct for i in instrument.items])
        if n
        else np.zeros((0, len(instrument.items)))
    )
    missing = (
        np.column_stack([results[i.id].missing for i in instrument.items])
        if n
        else np.zeros((0, len(instrument.items)), bool)
    )
    points = np.array([item.points for item in instrument.items], dtype=float)
    membership = np.array(
        [[item.dimension == dim.id for dim in instrument.dimensions] for item in instrument.items], dtype=float
    )
    dimension_points = (correct * points) @ membership  # n x dimensions
    dimension_max = points @ membership
    total = dimension_points.sum(axis=1)

    items_missing = missing.sum(axis=1)
    n_items = len(instrument.items)
    scorable = items_missing <= threshold_missing * n_items + _BOUNDARY_TOLERANCE

    out: dict[str, object] = {}
    for position, item in enumerate(instrument.items):
        out[f"{item.id}_correct"] = _flags(correct[:, position], missing[:, position])
    for position, dimension in enumerate(instrument.dimensions):
        out[f"score_{dimension.id}"] = np.where(scorable, dimension_points[:, position], np.nan)
    out["score_total"] = np.where(scorable, total, np.nan)

    grade_rank, literate, extra = _classify(instrument, dimension_points, dimension_max, total)
    if standard.rule != "all_dimensions_pass":
        out["score_100"] = np.where(scorable, extra.pop("score_100"), np.nan)
    for name, values in extra.items():
        out[name] = _flags(values, ~scorable)

    # Categories run from the lowest grade up, so the column sorts by level.
    lowest_first = [grade.id for grade in reversed(standard.grades)]
    codes = np.where(scorable, len(lowest_first) - 1 - grade_rank, -1)
    out["grade"] = pd.Categorical.from_codes(codes, categories=lowest_first, ordered=True)
    out["literate"] = _flags(literate, ~scorable)
    out["items_answered"] = (n_items - items_missing).astype("int64")
    out["items_missing"] = items_missing.astype("int64")
    out["scorable"] = scorable

    clash = [name for name in out if name in responses.columns]
    if clash:
        raise LiteracyError(
            f"The input already has column(s) {', '.join(clash[:5])} that scoring would write; "
            "score the unscored export, or rename those columns first."
        )
    added = pd.DataFrame(out, index=responses.index)
    scored = pd.concat([responses, added], axis=1)
    scored.attrs = {
        **responses.attrs,
        "instrument": {"id": instrument.id, "version": instrument.version, "rule": standard.rule},
        "scoring": {"max_missing_share": threshold_missing, "inclusive": standard.inclusive},
    }
    return scored


def _flags(values: np.ndarray, empty: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable 0/1 column (pandas Int8), empty where ``empty`` is true."""
    return pd.arrays.IntegerArray(np.asarray(values).astype("int8"), np.ascontiguousarray(empty, dtype=bool))


def check_columns(responses: pd.DataFrame, instrument: Instrument) -> None:
    """Every item needs its column; say which are missing and what the file has
    (``validate`` runs the same check before it looks at any row)."""
    absent = [item_id for item_id in instrument.item_ids if item_id not in responses.columns]
    if not absent:
        return
    seen = [str(c) for c in responses.columns]
    shown = ", ".join(seen[:12]) + (f" and {len(seen) - 12} more" if len(seen) > 12 else "")
    if len(absent) == len(instrument.item_ids):
        raise LiteracyError(
            f"No column matches an item of {instrument.id}: expected item columns "
            f"{', '.join(absent[:8])}{' ...' if len(absent) > 8 else ''}; the file has {shown or 'no columns'}. "
            f"Check {spell('-q and --platform', 'the instrument and platform=')}, or map the columns with "
            f"{spell('a --mapping file', 'mapping=')}."
        )
    raise LiteracyError(
        f"{len(absent)} item column(s) of {instrument.id} are missing: {', '.join(absent[:10])}"
        f"{' ...' if len(absent) > 10 else ''}; the file has {shown}. Export every item, or map the columns "
        f"with {spell('--mapping', 'mapping=')}."
    )


def _reaches(value: np.ndarray, cut: float, inclusive: bool) -> np.ndarray:
    tolerance = _BOUNDARY_TOLERANCE * max(1.0, abs(cut))
    return value >= cut - tolerance if inclusive else value > cut + tolerance


def _classify(
    instrument: Instrument,
    dimension_points: np.ndarray,
    dimension_max: np.ndarray,
    total: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Grade ranks (0 = the highest grade), literate flags and rule-specific
    columns for every row."""
    standard = instrument.standard
    n = len(total)
    extra: dict[str, np.ndarray] = {}
    if standard.rule == "all_dimensions_pass":
        passed = np.ones(n, dtype=bool)
        for position, dimension in enumerate(instrument.dimensions):
            need = standard.thresholds[dimension.id].points_needed(float(dimension_max[position]))
            dimension_pass = _reaches(dimension_points[:, position], need, standard.inclusive)
            extra[f"pass_{dimension.id}"] = dimension_pass
            passed &= dimension_pass
        return np.where(passed, 0, 1), passed, extra
    if standard.rule == "total_score_cut":
        assert standard.cut_share is not None
        max_points = float(dimension_max.sum())
        passed = _reaches(total, standard.cut_share * max_points, standard.inclusive)
        extra["score_100"] = 100.0 * total / max_points
        return np.where(passed, 0, 1), passed, extra
    # weighted_grades: sum of weight x share of the dimension's points.
    weights = np.array([d.weight or 0.0 for d in instrument.dimensions])
    scaled = (dimension_points / dimension_max) @ weights * (100.0 / standard.scale)
    extra["score_100"] = scaled
    grade_rank = np.full(n, len(standard.grades) - 1)
    for rank in range(len(standard.grades) - 2, -1, -1):  # lowest cut first
        grade = standard.grades[rank]
        assert grade.min_score is not None
        cut = grade.min_score * 100.0 / standard.scale
        grade_rank[_reaches(scaled, cut, standard.inclusive)] = rank
    literate_ranks = [rank for rank, grade in enumerate(standard.grades) if grade.id in standard.literate_grades]
    return grade_rank, np.isin(grade_rank, literate_ranks), extra


def item_results(responses: pd.DataFrame, instrument: Instrument) -> dict[str, ItemResult]:
    """Correct, missing and invalid masks for every item (``validate`` uses
    the same masks, so it rejects exactly what scoring would refuse)."""
    return {item.id: _score_item(responses[item.id], item, instrument) for item in instrument.items}


def _score_item(series: pd.Series, item: Item, instrument: Instrument) -> ItemResult:
    try:
        return _score_values(series, item, instrument)
    except TypeError:  # unhashable cells: lists, as a pipeline may hold a multi-select answer
        return _score_values(_lists_as_answers(series, item), item, instrument)


def _lists_as_answers(series: pd.Series, item: Item) -> pd.Series:
    """A list (tuple, set) of codes is a multiple-choice answer written as
    data: the same as the space-joined codes an export holds. In any other
    item it cannot be one answer."""
    listed = series.map(lambda value: isinstance(value, (list, tuple, set, frozenset, np.ndarray)))
    if item.type != "multiple_choice":
        first = series[listed].iloc[0]
        raise LiteracyError(
            f"Item {item.id} ({item.type}) holds a list ({first!r}) in {int(listed.sum())} row(s); it takes one "
            "code per respondent (only multiple_choice items take several)."
        )
    joined = series.astype(object).copy()
    joined[listed] = [" ".join(str(code) for code in sorted(value, key=str)) for value in series[listed]]
    return joined


def _score_values(series: pd.Series, item: Item, instrument: Instrument) -> ItemResult:
    if item.type == "multiple_choice":
        return _score_multiple(series, item, instrument)
    codes, blank, not_code = _as_codes(series)
    missing = blank.copy()
    if instrument.missing.not_asked is not None:
        missing |= codes == instrument.missing.not_asked
    allowed = np.isin(codes, list(item.option_codes) + list(instrument.missing.all))
    invalid = ~missing & (not_code | ~allowed)
    correct = np.isin(codes, list(item.key)) & ~invalid & ~missing
    return ItemResult(correct.astype(float), missing, invalid, _examples(series, invalid))


def _as_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numeric codes, a blank mask and a mask of cells that are not a code.

    Text columns are factorised so each distinct value is parsed once.
    """
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        codes = series.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(codes)
        not_code = ~blank & (codes != np.round(codes))
        return codes, blank, not_code
    positions, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed = np.full(len(uniques) + 1, np.nan)  # last slot: blanks (position -1)
    blank_u = np.zeros(len(uniques) + 1, dtype=bool)
    blank_u[-1] = True
    for index, value in enumerate(uniques):
        text = str(value).strip()
        if not text:
            blank_u[index] = True
            continue
        try:
            parsed[index] = float(text)
        except ValueError:
            parsed[index] = np.nan
    codes = parsed[positions]
    blank = blank_u[positions]
    not_code = ~blank & (np.isnan(codes) | (codes != np.round(codes)))
    return codes, blank, not_code


def _score_multiple(series: pd.Series, item: Item, instrument: Instrument) -> ItemResult:
    """A select-multiple answer: option codes separated by spaces ("1 3").

    The column is factorised first, so each distinct answer pattern (a few
    dozen at most) is parsed once and the result is spread back by index.
    """
    positions, uniques = pd.factorize(series, use_na_sentinel=True)
    n_unique = len(uniques)
    # One extra slot at the end for blanks (position -1).
    missing_u = np.zeros(n_unique + 1, dtype=bool)
    correct_u = np.zeros(n_unique + 1, dtype=bool)
    invalid_u = np.zeros(n_unique + 1, dtype=bool)
    missing_u[-1] = True
    options = set(item.option_codes)
    for index, value in enumerate(uniques):
        tokens = _tokens(value)
        if tokens is None:  # not a list of whole numbers
            invalid_u[index] = True
        elif not tokens or (len(tokens) == 1 and next(iter(tokens)) == instrument.missing.not_asked):
            missing_u[index] = True
        elif len(tokens) == 1 and next(iter(tokens)) in instrument.missing.answered_as_wrong:
            pass  # don't know or refused: answered, scored as wrong
        elif not tokens <= options:
            invalid_u[index] = True
        else:
            correct_u[index] = tokens == item.key
    missing = missing_u[positions]
    invalid = invalid_u[positions]
    return ItemResult(correct_u[positions].astype(float), missing, invalid, _examples(series, invalid))


def _tokens(value: object) -> frozenset[int] | None:
    """The set of codes in one cell; None when the cell holds anything else."""
    if isinstance(value, (int, np.integer)):
        return frozenset({int(value)})
    if isinstance(value, (float, np.floating)):
        return frozenset({int(value)}) if float(value).is_integer() else None
    codes = set()
    for token in str(value).split():
        try:
            number = float(token)
        except ValueError:
            return None
        if not number.is_integer():
            return None
        codes.add(int(number))
    return frozenset(codes)


def _examples(series: pd.Series, invalid: np.ndarray, limit: int = 3) -> tuple[str, ...]:
    if not invalid.any():
        return ()
    return tuple(_show(value) for value in pd.unique(series[invalid])[:limit])


def _show(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def raise_on_invalid(results: dict[str, ItemResult], instrument: Instrument) -> None:
    bad = {item_id: r for item_id, r in results.items() if r.invalid.any()}
    if not bad:
        return
    details = []
    for item_id, result in bad.items():
        item = instrument.item(item_id)
        allowed = ", ".join(map(str, list(item.option_codes) + list(instrument.missing.all)))
        details.append(
            f"{item_id}: {int(result.invalid.sum())} row(s) with value(s) {', '.join(result.invalid_examples)} "
            f"(allowed codes: {allowed})"
        )
    raise LiteracyError(
        f"{len(bad)} item column(s) hold values outside the codebook of {instrument.id}; "
        f"{spell('run `literacy validate`', 'use literacy.validate')} to set those rows aside, or fix the codes:",
        details=details,
    )
