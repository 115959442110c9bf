"""Differential item functioning (DIF) by the Mantel-Haenszel procedure.

Respondents of the reference and the focal group are matched on their rest
score (points on the other items), and each item's 2 x 2 table (group x
right/wrong) is pooled over the rest-score strata (Holland & Thayer 1988):

* alpha_MH, the common odds ratio of a right answer, reference over focal
  (statsmodels ``StratifiedTable.oddsratio_pooled``); above 1 the item
  favours the reference group;
* ETS delta = -2.35 ln(alpha_MH) (Holland & Thayer 1988; negative: harder
  for the focal group), its standard error from the Robins-Breslow-Greenland
  variance of ln(alpha_MH) (``logodds_pooled_se``);
* the MH chi-square with continuity correction (Mantel & Haenszel 1959),
  the correction applied only when it does not exceed the deviation, as R's
  ``mantelhaen.test`` does (statsmodels' ``test_null_odds`` always applies it);
* the ETS classes (Zwick 2012, ETS RR-12-08): A, negligible, when |delta| < 1
  or the chi-square is not significant at 5%; C, large, when |delta| >= 1.5
  and |delta| is significantly above 1 (one-sided 5%); B otherwise.

Strata in which only one group is present add nothing to alpha_MH or the
test and are left out (R's ``mantelhaen.test`` refuses them). When alpha_MH
is not a positive finite number (the item everyone right or everyone wrong,
or one side of every table empty) every statistic is NaN: a blank cell, never
``inf``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

ETS_DELTA_SCALE = -2.35  # Holland & Thayer (1988): delta = -2.35 ln(alpha_MH)


@dataclass(frozen=True)
class MantelHaenszel:
    odds_ratio: float
    delta: float
    delta_se: float
    chi_square: float
    p_value: float
    ets_class: str  # A, B, C, or "" when it cannot be computed
    strata: int


def mantel_haenszel(right: np.ndarray, rest: np.ndarray, focal: np.ndarray) -> MantelHaenszel:
    """MH DIF for one item: ``right`` (0/1), ``rest`` (the matching score)
    and ``focal`` (True for the focal group) for the respondents who answered
    the item and belong to either group."""
    from scipy.stats import chi2, norm
    from statsmodels.stats.contingency_tables import StratifiedTable

    none = MantelHaenszel(float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), "", 0)
    if len(right) == 0:
        return none
    levels, stratum = np.unique(rest, return_inverse=True)
    stratum = stratum.ravel()
    cell = stratum * 4 + focal.astype(int) * 2 + (1 - right.astype(int))
    counts = np.bincount(cell, minlength=len(levels) * 4).reshape(len(levels), 2, 2).astype(float)
    both = (counts[:, 0, :].sum(axis=1) > 0) & (counts[:, 1, :].sum(axis=1) > 0)
    tables = counts[both]  # K x group (reference, focal) x (right, wrong)
    if len(tables) == 0:
        return none
    numerator = (tables[:, 0, 0] * tables[:, 1, 1] / tables.sum(axis=(1, 2))).sum()
    denominator = (tables[:, 0, 1] * tables[:, 1, 0] / tables.sum(axis=(1, 2))).sum()
    if numerator <= 0 or denominator <= 0:
        # alpha_MH is 0/0 (everyone right or everyone wrong), 0 or infinite: delta
        # is undefined or infinite, so nothing is reported (blank, not "inf").
        return dataclasses.replace(none, strata=len(tables))
    table = StratifiedTable(np.transpose(tables, (1, 2, 0)))
    odds_ratio = float(table.oddsratio_pooled)
    delta = ETS_DELTA_SCALE * float(np.log(odds_ratio))
    delta_se = abs(ETS_DELTA_SCALE) * float(table.logodds_pooled_se)
    chi_square = _mh_chi_square(tables)
    p_value = float(chi2.sf(chi_square, 1))
    size = abs(delta)
    if size < 1.0 or p_value >= 0.05:
        ets = "A"
    elif size >= 1.5 and (size - 1.0) / delta_se > norm.ppf(0.95):
        ets = "C"
    else:
        ets = "B"
    return MantelHaenszel(odds_ratio, delta, delta_se, chi_square, p_value, ets, len(tables))


def _mh_chi_square(tables: np.ndarray) -> float:
    """Mantel-Haenszel chi-square (1 df) of K x 2 x 2 tables, continuity
    corrected by 0.5 when the deviation is at least 0.5 (R's ``mantelhaen.test``)."""
    n = tables.sum(axis=(1, 2))
    reference, right = tables[:, 0, :].sum(axis=1), tables[:, :, 0].sum(axis=1)
    deviation = abs(float((tables[:, 0, 0] - reference * right / n).sum()))
    variance = float((reference * (n - reference) * right * (n - right) / (n**2 * (n - 1))).sum())
    correction = 0.5 if deviation >= 0.5 else 0.0
    return (deviation - correction) ** 2 / variance if variance > 0 else float("nan")
