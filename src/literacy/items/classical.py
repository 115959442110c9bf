"""Classical test theory: item covariances, Cronbach's alpha, alpha if an
item is deleted, item-rest correlations and the Feldt interval of alpha.

Covariances are pairwise (each pair of items over the respondents who
answered both), as ``psych::alpha`` computes them by default, so an
occasional blank answer does not drop a respondent from every statistic.
Formulas follow ``psych::alpha`` (Revelle, psych package):

* alpha = k / (k - 1) * (1 - tr(C) / sum(C))   (Cronbach 1951; KR-20 for 0/1 items)
* alpha if item i is deleted: the same on C without row and column i
* item-rest correlation r.drop_i = (sum_j C_ij - C_ii) / sqrt(C_ii * sum(C without i))
* Feldt (1965) interval: 1 - (1 - alpha) * F(1 - a/2 or a/2; n - 1, (n - 1)(k - 1))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Reliability:
    """Alpha of a set of items, its Feldt interval and the per-item statistics
    (NaN for items left out because nobody's score varied on them)."""

    alpha: float
    feldt_lower: float
    feldt_upper: float
    n: int
    items_used: int
    item_rest_correlation: np.ndarray
    alpha_if_deleted: np.ndarray
    why_missing: str = ""  # when alpha is NaN: why (a key of analysis._WORDS), else ""


def pairwise_covariance(scores: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Covariance matrix of the columns of ``scores`` (NaN = missing), each
    pair over the rows where both are present (R's ``cov(use = "pairwise")``).

    With ``weights`` the sums are weighted and the divisor is
    ``sum(w) * (n - 1) / n``, so weights of 1 give R's unweighted value."""
    present = ~np.isnan(scores)
    values = np.where(present, scores, 0.0)
    m = present.astype(float)
    w = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=float)
    counts = m.T @ m
    total_w = (m * w[:, None]).T @ m
    sums = (values * w[:, None]).T @ m  # sums[i, j]: weighted sum of item i where j is answered too
    cross = (values * w[:, None]).T @ values
    with np.errstate(divide="ignore", invalid="ignore"):
        centred = cross - sums * sums.T / total_w
        return np.where(counts > 1, centred / total_w * counts / (counts - 1), np.nan)


def cronbach_alpha(covariance: np.ndarray) -> float:
    """Cronbach's alpha from a covariance matrix (NaN with fewer than two items)."""
    k = covariance.shape[0]
    if k < 2:
        return float("nan")
    total = covariance.sum()
    return float(k / (k - 1) * (1.0 - np.trace(covariance) / total)) if total > 0 else float("nan")


def feldt_interval(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's (1965) F-based interval for alpha, as ``psych::alpha.ci``."""
    from scipy.stats import f

    if not np.isfinite(alpha) or n < 2 or k < 2:
        return float("nan"), float("nan")
    tail = 1.0 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1.0 - (1.0 - alpha) * f.ppf(1.0 - tail / 2.0, df1, df2)
    upper = 1.0 - (1.0 - alpha) * f.ppf(tail / 2.0, df1, df2)
    return float(lower), float(upper)


def reliability(scores: np.ndarray, weights: np.ndarray | None = None, level: float = 0.95) -> Reliability:
    """Alpha, Feldt interval, alpha if deleted and item-rest correlations of
    the columns of ``scores`` (n x k item scores, NaN = missing).

    Items whose scores do not vary are left out, as ``psych::alpha`` deletes
    them, and get NaN; ``n`` counts the rows with at least one answer."""
    k = scores.shape[1]
    n = int((~np.isnan(scores)).any(axis=1).sum()) if k else 0
    rest_r = np.full(k, np.nan)
    if_deleted = np.full(k, np.nan)
    if k == 0 or n < 2:
        return Reliability(float("nan"), float("nan"), float("nan"), n, 0, rest_r, if_deleted,
                           "alpha_few_respondents" if k else "alpha_few_items")  # fmt: skip
    full = pairwise_covariance(scores, weights)
    variance = np.diag(full)
    varies = np.isfinite(variance) & (variance > 1e-12)
    used = np.flatnonzero(varies)
    cov = full[np.ix_(used, used)]
    if len(used) < 2:
        return Reliability(float("nan"), float("nan"), float("nan"), n, len(used), rest_r, if_deleted,
                           "alpha_few_items" if k < 2 else "alpha_no_variation")  # fmt: skip
    if np.isnan(cov).any():  # two items never answered by the same respondent
        return Reliability(float("nan"), float("nan"), float("nan"), n, len(used), rest_r, if_deleted,
                           "alpha_no_overlap")  # fmt: skip
    alpha = cronbach_alpha(cov)
    lower, upper = feldt_interval(alpha, n, len(used), level)
    if len(used) >= 2:
        total = cov.sum()
        column = cov.sum(axis=0)
        diag = np.diag(cov)
        without = total - 2.0 * column + diag  # sum(C) with item i's row and column removed
        with np.errstate(divide="ignore", invalid="ignore"):
            rest_r[used] = (column - diag) / np.sqrt(diag * without)
            kept = len(used) - 1
            if kept >= 2:
                if_deleted[used] = kept / (kept - 1) * (1.0 - (np.trace(cov) - diag) / without)
    why = "" if np.isfinite(alpha) else "alpha_no_covariance"
    return Reliability(alpha, lower, upper, n, len(used), rest_r, if_deleted, why)
