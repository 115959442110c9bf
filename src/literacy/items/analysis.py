"""Item analysis of one instrument's answers: does each item work?

Items are scored exactly as :func:`literacy.score` scores them (the same
``item_results``): the key's answer is right, don't know and refused are
wrong, blank and not asked are missing. Per item this gives the classical
statistics (``classical``), the Rasch model by conditional maximum likelihood
(``rasch``) and Mantel-Haenszel DIF by sex, urban/rural or any two-group
column (``dif``), and flags in words saying when to look again at an item.

Unweighted by default, the psychometric convention: these statistics
describe how the items behave in this sample. ``weight=`` weights the
p-values, shares, covariances, alpha and item-rest correlations (so they
describe the population); the Rasch model and DIF stay unweighted and the
summary says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError, spell
from literacy.instrument import Instrument, load_instrument
from literacy.scoring import _raise_on_invalid, check_columns, item_results

# Thresholds of the flags, with where they come from.
EASY = 0.95  # p above: nearly everyone right, the item tells little (the rule; Ebel & Frisbie 1991)
HARD = 0.05  # p below: nearly everyone wrong
WEAK_DISCRIMINATION = 0.20  # item-rest correlation below: "poor, revise" (Ebel 1965, Ebel & Frisbie 1991)
DONT_KNOW = 0.30  # don't-know share above: the item may be unclear or out of reach
OFTEN_MISSING = 0.10  # missing share above: skipped or not asked often
MISFIT = 1.3  # infit or outfit mean square above: noisy (Wright & Linacre 1994, multiple-choice tests)

# The usual reference group of the two shipped groupings; any other column
# takes its larger group as the reference.
REFERENCE_GROUPS = {"sex": "male", "urban_rural": "urban"}
DEFAULT_DIF_COLUMNS = ("sex", "urban_rural")

BASE_COLUMNS = [
    "item",
    "dimension",
    "n",
    "p_correct",
    "dont_know_share",
    "missing_share",
    "item_rest_correlation",
    "alpha_if_deleted",
    "rasch_difficulty",
    "rasch_se",
    "infit",
    "outfit",
]
DIF_STATISTICS = ("odds_ratio", "delta", "p_value", "class")


@dataclass
class ItemAnalysis:
    """What :func:`item_analysis` returns.

    ``items``: one row per item (``BASE_COLUMNS``, then ``dif_<column>_odds_ratio``,
    ``_delta``, ``_p_value``, ``_class`` per grouping, then ``flags``), shares as
    proportions; ``summary``: alpha with its Feldt interval overall and per
    dimension, the Rasch and DIF bookkeeping and notes (JSON-ready, also in
    ``items.attrs["summary"]``); ``abilities``: each respondent's Rasch ability
    (Warm's estimate, logits; NaN when no item was answered), for the item map."""

    items: pd.DataFrame
    summary: dict[str, Any]
    abilities: pd.Series = field(repr=False)

    def __repr__(self) -> str:
        alpha = self.summary["alpha"]["alpha"]
        return (
            f"ItemAnalysis({self.summary['instrument']['id']!r}, items={len(self.items)}, "
            f"respondents={self.summary['respondents']}, alpha={'n/a' if alpha is None else round(alpha, 3)}, "
            f"flagged={self.summary['flagged_items']})"
        )

    @property
    def flagged(self) -> pd.DataFrame:
        """The flagged items, those with the most flags first, then the others."""
        count = self.items["flags"].map(lambda text: len(text.split("; ")) if text else 0)
        order = np.lexsort((np.arange(len(count)), -count.to_numpy()))
        return self.items.iloc[order][count.iloc[order] > 0]


def item_analysis(
    responses: pd.DataFrame,
    instrument: Instrument | str,
    *,
    weight: str | None = None,
    by: str | list[str] | tuple[str, ...] | None = None,
    level: float = 0.95,
) -> ItemAnalysis:
    """Item statistics of ``responses`` (answers as an export holds them, read
    with :func:`literacy.read`; a scored or validated table works too).

    ``by``: the two-group columns to test for DIF (default: ``sex`` and
    ``urban_rural``, those the table has). ``weight``: a column of survey
    weights for the descriptive statistics. ``level``: of the Feldt interval."""
    from literacy.items.classical import reliability
    from literacy.items.dif import mantel_haenszel
    from literacy.items.rasch import fit_rasch

    instrument = load_instrument(instrument)
    if not 0 < level < 1:
        raise LiteracyError(f"level must be between 0 and 1 (0.95 for a 95% interval), not {level}.")
    check_columns(responses, instrument)
    n = len(responses)
    weights = _weights(responses, weight)
    results = item_results(responses, instrument)
    _raise_on_invalid(results, instrument)
    items = instrument.items
    k = len(items)
    if n == 0:
        raise LiteracyError("The table has no respondents; item analysis needs answers.")
    correct = np.column_stack([np.where(results[i.id].missing, np.nan, results[i.id].correct) for i in items])
    missing = np.isnan(correct)
    points = np.array([i.points for i in items], dtype=float)
    scores = correct * points
    dont_know = np.column_stack([_is_code(responses[i.id], instrument.missing.dont_know) for i in items])
    w = np.ones(n) if weights is None else weights
    answered_w = (~missing * w[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_correct = np.where(missing, 0.0, correct * w[:, None]).sum(axis=0) / answered_w
        dk_share = ((dont_know & ~missing) * w[:, None]).sum(axis=0) / answered_w
    missing_share = (missing * w[:, None]).sum(axis=0) / w.sum()

    total = reliability(scores, weights, level)
    rasch = fit_rasch(correct)
    table = pd.DataFrame(
        {
            "item": [i.id for i in items],
            "dimension": [i.dimension for i in items],
            "n": (~missing).sum(axis=0).astype("int64"),
            "p_correct": p_correct,
            "dont_know_share": dk_share,
            "missing_share": missing_share,
            "item_rest_correlation": total.item_rest_correlation,
            "alpha_if_deleted": total.alpha_if_deleted,
            "rasch_difficulty": rasch.difficulty,
            "rasch_se": rasch.se,
            "infit": rasch.infit,
            "outfit": rasch.outfit,
        }
    )

    groupings, dif_notes = _groupings(responses, by)
    dif_summary: dict[str, Any] = {}
    rest = np.nansum(scores, axis=1)[:, None] - np.nan_to_num(scores)  # points on the other items
    for column, (reference, focal, in_group, is_focal, blank) in groupings.items():
        found = [mantel_haenszel(correct[keep, j], rest[keep, j], is_focal[keep])
                 for j in range(k) for keep in [in_group & ~missing[:, j]]]  # fmt: skip
        table[f"dif_{column}_odds_ratio"] = [r.odds_ratio for r in found]
        table[f"dif_{column}_delta"] = [r.delta for r in found]
        table[f"dif_{column}_p_value"] = [r.p_value for r in found]
        table[f"dif_{column}_class"] = [r.ets_class for r in found]
        dif_summary[column] = {
            "reference": reference,
            "focal": focal,
            "n_reference": int((in_group & ~is_focal).sum()),
            "n_focal": int((in_group & is_focal).sum()),
            "n_blank": int(blank),
            "matching": "rest score (points on the other items, a missing answer counting 0)",
        }

    table["flags"] = _flags(table, groupings, rasch.items_left_out)
    dimensions = {}
    for dimension in instrument.dimensions:
        positions = [j for j, item in enumerate(items) if item.dimension == dimension.id]
        part = reliability(scores[:, positions], weights, level)
        dimensions[dimension.id] = {
            "label": {"zh": dimension.label.zh, "en": dimension.label.en},
            **_alpha_record(part, level),
        }
    notes = list(dif_notes)
    if rasch.persons_all_right or rasch.persons_none_right:
        notes.append(
            f"{rasch.persons_all_right} respondent(s) with every answered item right and "
            f"{rasch.persons_none_right} with none right do not enter the Rasch model (their scores say "
            "nothing about the items' difficulties)."
        )
    if rasch.items_left_out:
        notes.append(
            "Left out of the Rasch model, everyone being right or everyone wrong among those who count: "
            + ", ".join(items[j].id for j in rasch.items_left_out)
            + "."
        )
    if not rasch.converged and math.isfinite(rasch.loglik):
        notes.append("The Rasch model did not converge fully; treat its difficulties with care.")
    if weight:
        notes.append(
            f"Weighted by {weight}: p_correct, dont_know_share, missing_share, item_rest_correlation, "
            "alpha_if_deleted and alpha; the Rasch model and DIF are unweighted."
        )
    summary: dict[str, Any] = {
        "instrument": {"id": instrument.id, "version": instrument.version},
        "respondents": n,
        "items": k,
        "weight": weight,
        "weighted_statistics": (
            ["p_correct", "dont_know_share", "missing_share", "item_rest_correlation", "alpha_if_deleted", "alpha"]
            if weight
            else []
        ),
        "scoring": "the key's answer right; don't know and refused wrong; blank and not asked missing",
        "alpha": _alpha_record(total, level),
        "dimensions": dimensions,
        "rasch": {
            "method": "conditional maximum likelihood, difficulties centred to sum zero (logits)",
            "persons_used": rasch.persons_used,
            "persons_all_right": rasch.persons_all_right,
            "persons_none_right": rasch.persons_none_right,
            "persons_no_answer": rasch.persons_no_answer,
            "items_left_out": [items[j].id for j in rasch.items_left_out],
            "log_likelihood": rasch.loglik,
            "converged": rasch.converged,
        },
        "dif": dif_summary,
        "flagged_items": int((table["flags"] != "").sum()),
        "notes": notes,
    }
    summary = _jsonable(summary)
    table.attrs = {"summary": summary}
    return ItemAnalysis(table, summary, pd.Series(rasch.ability, index=responses.index, name="ability"))


def _alpha_record(part: Any, level: float) -> dict[str, Any]:
    return {
        "alpha": part.alpha,
        "feldt_lower": part.feldt_lower,
        "feldt_upper": part.feldt_upper,
        "level": level,
        "n": part.n,
        "items": part.items_used,
    }


def _weights(responses: pd.DataFrame, weight: str | None) -> np.ndarray | None:
    if weight is None:
        return None
    if weight not in responses.columns:
        raise LiteracyError(
            f"The weight column {weight!r} is not in the table; name an existing column with "
            f"{spell('--weight', 'weight=')} or leave it out for the unweighted statistics."
        )
    values = pd.to_numeric(responses[weight], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise LiteracyError(
            f"The weight column {weight!r} has {int(bad.sum())} row(s) that are blank, not a number, zero or "
            "negative; every respondent needs a positive weight."
        )
    return np.asarray(values, dtype=float)


def _is_code(series: pd.Series, code: int | None) -> np.ndarray:
    """Cells holding ``code`` (a number, or text such as "8" in a
    multiple-choice column)."""
    if code is None:
        return np.zeros(len(series), dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        text = series.astype("string").str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(values == code, dtype=bool)


def _groupings(
    responses: pd.DataFrame, by: str | list[str] | tuple[str, ...] | None
) -> tuple[dict[str, tuple[str, str, np.ndarray, np.ndarray, int]], list[str]]:
    """For each DIF column: reference and focal group, who is in either,
    who is focal, and how many rows are blank."""
    explicit = by is not None
    columns = [by] if isinstance(by, str) else list(by) if by is not None else list(DEFAULT_DIF_COLUMNS)
    found: dict[str, tuple[str, str, np.ndarray, np.ndarray, int]] = {}
    notes: list[str] = []
    for column in columns:
        if column not in responses.columns:
            if explicit:
                raise LiteracyError(
                    f"The DIF column {column!r} is not in the table; name a column with two groups in "
                    f"{spell('--by', 'by=')}."
                )
            notes.append(f"No DIF by {column}: the table has no {column} column.")
            continue
        text = responses[column].astype("string").str.strip()
        blank = text.isna() | (text == "")
        counts = text[~blank].value_counts()
        if len(counts) != 2:
            shown = ", ".join(map(str, counts.index[:6]))
            sentence = f"DIF by {column} needs exactly two groups, and {column} has {len(counts)}" + (
                f" ({shown})" if len(counts) else ""
            )
            if explicit:
                raise LiteracyError(
                    f"{sentence}; recode it into two groups or choose another column for {spell('--by', 'by=')}."
                )
            notes.append(sentence + ", so it was not tested.")
            continue
        groups = [str(value) for value in counts.index]
        reference = REFERENCE_GROUPS.get(column)
        if reference not in groups:
            reference = groups[0] if counts.iloc[0] != counts.iloc[1] else sorted(groups)[0]
        focal = next(g for g in groups if g != reference)
        values = text.fillna("").to_numpy(dtype=object)
        in_group = ~blank.to_numpy()
        found[column] = (reference, focal, in_group, in_group & (values == focal), int(blank.sum()))
        if blank.any():
            notes.append(f"DIF by {column}: {int(blank.sum())} respondent(s) with a blank {column} are left out.")
    return found, notes


def _flags(table: pd.DataFrame, groupings: dict[str, Any], left_out: tuple[int, ...]) -> list[str]:
    """Words saying what to check about each item (empty when nothing)."""
    out = []
    for position, row in enumerate(table.to_dict("records")):
        words = []
        p, r = row["p_correct"], row["item_rest_correlation"]
        if row["n"] == 0:
            words.append("nobody answered it")
        elif p in (0.0, 1.0):
            words.append("no variation: everyone " + ("right" if p == 1.0 else "wrong"))
        if np.isfinite(r) and r < 0:
            words.append("negative item-rest correlation: check the key")
        elif np.isfinite(r) and r < WEAK_DISCRIMINATION:
            words.append(f"weak item-rest correlation (below {WEAK_DISCRIMINATION:.2f}): the item hardly discriminates")
        if np.isfinite(p) and EASY < p < 1:
            words.append(f"very easy (p above {EASY:.2f})")
        if np.isfinite(p) and 0 < p < HARD:
            words.append(f"very hard (p below {HARD:.2f})")
        if row["dont_know_share"] > DONT_KNOW:
            words.append(f"don't know above {DONT_KNOW:.0%}")
        if row["missing_share"] > OFTEN_MISSING:
            words.append(f"missing for more than {OFTEN_MISSING:.0%}")
        fits = [value for value in (row["infit"], row["outfit"]) if np.isfinite(value)]
        if fits and max(fits) > MISFIT:
            words.append(f"Rasch misfit (mean square above {MISFIT})")
        if position in left_out and row["n"] > 0 and p not in (0.0, 1.0):
            words.append("left out of the Rasch model")
        for column, (reference, focal, *_rest) in groupings.items():
            if row[f"dif_{column}_class"] == "C":
                favoured = reference if row[f"dif_{column}_delta"] < 0 else focal
                words.append(f"large DIF by {column} (ETS class C, favours {favoured})")
        out.append("; ".join(words))
    return out


def _jsonable(value: Any) -> Any:
    """NaN and infinity become None (JSON has neither), numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value
