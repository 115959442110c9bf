"""Confidence intervals for proportions and means, vectorised over domains.

Methods (R ``svyciprop`` in survey 4.1 unless said otherwise), all with t
quantiles on the design degrees of freedom:

* ``logit``: Wald interval on the log-odds, back-transformed
  (``method="logit"``; the SE of logit(p) is SE(p) / (p (1 - p))).
* ``wald``: p +/- t SE (``method="mean"``).
* ``korn-graubard``: Clopper-Pearson with the effective sample size
  n* = p(1 - p)/V, adjusted by (t_{n-1} / t_df)^2 (``method="beta"``;
  Korn & Graubard 1998).
* ``wilson``: Wilson's score interval with the effective sample size
  p(1 - p)/V and the t quantile (not in R survey 4.1; as svy's ``wilson``).

At p = 0 or 1, or when the variance is zero, no method can use the variance:
every method then gives the Korn-Graubard (Clopper-Pearson) interval with the
effective size set to the rows used, one end at the boundary, and the
estimate is flagged, never reported as a degenerate [0, 0].
"""

from __future__ import annotations

import numpy as np
from scipy import special

# scipy.special's Student t functions, not scipy.stats: importing scipy.stats
# took 0.4 s, a fifth of a whole `literacy estimate` on a million rows (issue
# 15). For 0 < q < 1 and df > 0, scipy.stats' t.ppf(q, df) is
# special.stdtrit(df, q) and t.sf(x, df) is special.stdtr(df, -x) (scipy's
# t_gen._ppf and _sf), so every number is the same.


def t_quantile(level: float, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, special.stdtrit(np.where(df > 0, df, 1), 1 - (1 - level) / 2), np.nan)


def mean_interval(estimate: np.ndarray, variance: np.ndarray, df: np.ndarray, level: float):
    half = t_quantile(level, df) * np.sqrt(variance)
    return estimate - half, estimate + half


def proportion_interval(
    method: str,
    estimate: np.ndarray,
    variance: np.ndarray,
    df: np.ndarray,
    rows: np.ndarray,
    level: float,
    logit_variance: np.ndarray | None = None,
    *,
    design_rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper limits, and a mask of estimates that fell back to the
    boundary (Korn-Graubard with n* = rows) interval.

    ``logit_variance`` is the variance of logit(p) when it was estimated
    directly (replicate designs: R refits the logistic model on each replicate);
    otherwise the delta method gives V / (p (1 - p))^2. ``design_rows`` are
    the rows of each domain's design for Korn-Graubard's t_{n-1} (R's
    ``nrow(design)``, which counts rows whose outcome is missing unless they
    were dropped first); by default the rows used."""
    design_rows = rows if design_rows is None else design_rows
    p = np.asarray(estimate, dtype=float)
    v = np.asarray(variance, dtype=float)
    alpha = 1 - level
    boundary = (p <= 0) | (p >= 1) | ~(v > 0)
    interior = ~boundary & ~np.isnan(p)
    lower = np.full(p.shape, np.nan)
    upper = np.full(p.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t_quantile(level, df)
        if method == "wald":
            lower, upper = p - t * np.sqrt(v), p + t * np.sqrt(v)
        elif method == "logit":
            logit = np.log(p / (1 - p))
            # Delta method unless the logit's variance was estimated directly.
            logit_se = np.sqrt(v) / (p * (1 - p)) if logit_variance is None else np.sqrt(logit_variance)
            half = t * logit_se
            lower, upper = _expit(logit - half), _expit(logit + half)
        elif method == "wilson":
            n = p * (1 - p) / v
            centre = (p + t**2 / (2 * n)) / (1 + t**2 / n)
            half = t / (1 + t**2 / n) * np.sqrt(p * (1 - p) / n + t**2 / (4 * n**2))
            lower, upper = centre - half, centre + half
        elif method == "korn-graubard":
            n_eff = p * (1 - p) / v * _df_adjustment(alpha, design_rows, df)
            lower, upper = _clopper_pearson(p, n_eff, alpha)
        else:
            raise ValueError(f"unknown interval method {method!r}")
        # The boundary fallback: Korn-Graubard with the effective size = rows used.
        fallback = boundary & ~np.isnan(p) & (rows > 0)
        kg_lower = kg_upper = np.full(p.shape, np.nan)
        if fallback.any():  # (element-wise, so computing it only when used changes no number)
            n_rows = rows * _df_adjustment(alpha, design_rows, df)
            kg_lower, kg_upper = _clopper_pearson(np.clip(p, 0, 1), n_rows, alpha)
    lower = np.where(fallback, kg_lower, np.where(interior, lower, np.nan))
    upper = np.where(fallback, kg_upper, np.where(interior, upper, np.nan))
    return lower, upper, fallback


def _df_adjustment(alpha: float, rows: np.ndarray, df: np.ndarray) -> np.ndarray:
    """(t_{n-1} / t_df)^2, Korn-Graubard's degrees-of-freedom adjustment of n*."""
    rows = np.asarray(rows, dtype=float)
    df = np.asarray(df, dtype=float)
    ok = (rows > 1) & (df > 0)
    with np.errstate(invalid="ignore"):
        ratio = special.stdtrit(np.where(ok, rows - 1, 1), alpha / 2) / special.stdtrit(np.where(ok, df, 1), alpha / 2)
    return np.where(ok, ratio**2, np.nan)


def _clopper_pearson(p: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """R: qbeta(a/2, n p, n (1 - p) + 1) and qbeta(1 - a/2, n p + 1, n (1 - p))."""
    from scipy import stats  # only for this interval (its import is slow)

    with np.errstate(invalid="ignore", divide="ignore"):
        x = n * p
        lower = np.where(p <= 0, 0.0, stats.beta.ppf(alpha / 2, np.maximum(x, 1e-300), n - x + 1))
        upper = np.where(p >= 1, 1.0, stats.beta.ppf(1 - alpha / 2, x + 1, np.maximum(n - x, 1e-300)))
    return lower, upper


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
