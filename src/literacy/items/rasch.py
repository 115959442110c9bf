"""The Rasch model by conditional maximum likelihood (CML).

P(correct) = exp(theta - b) / (1 + exp(theta - b)) (Rasch 1960). Conditioning
on each person's raw score removes theta, so the item difficulties b are
estimated without any assumption about the ability distribution (Andersen
1972). The conditional likelihood of a person with score r on the items
they answered is prod(eps_i ** x_i) / gamma_r(eps), eps_i = exp(-b_i), where
gamma_r is the elementary symmetric function of order r (Fischer & Molenaar
1995, ch. 3). Respondents who skipped items are grouped by the pattern of
items they answered, each pattern with its own gamma, as
``psychotools::raschmodel`` does.

Persons with every or no answered item right carry no information about b
and do not enter CML; items that everyone left (or everyone got right) have
no finite difficulty and are left out. Both are counted. Difficulties are
centred to sum zero (``psychotools::itempar``, ``ref = NULL``); standard
errors come from the inverse of the observed information in that
parameterisation. Person abilities are maximum likelihood (for the fit
statistics) and Warm's (1989) weighted likelihood estimates (finite for
every score, for the item map). Infit and outfit are the information-
weighted and unweighted mean squares of the standardised residuals (Wright
& Masters 1982), over the persons who entered CML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RaschFit:
    """Item difficulties (NaN for items left out), their standard errors,
    fit mean squares, person abilities and the counts behind them."""

    difficulty: np.ndarray
    se: np.ndarray
    infit: np.ndarray
    outfit: np.ndarray
    ability: np.ndarray  # Warm's WLE per person (NaN: no answered item in the model)
    persons_used: int
    persons_all_right: int
    persons_none_right: int
    persons_no_answer: int
    items_left_out: tuple[int, ...]
    loglik: float
    converged: bool


def esf(eps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elementary symmetric functions gamma_0..gamma_k of each row of ``eps``
    (a zero removes the item) by the summation algorithm (Fischer & Molenaar
    1995, eq. 3.12), rescaled every few steps so that large instruments do
    not overflow: gamma = values * exp(log_scale[:, None])."""
    rows, k = eps.shape
    columns = np.ascontiguousarray(eps.T)
    gamma = np.zeros((k + 1, rows))  # orders down the first axis: each step works on contiguous rows
    gamma[0] = 1.0
    log_scale = np.zeros(rows)
    for j in range(k):
        # Only orders 0..j+1 can be non-zero after j+1 items.
        gamma[1 : j + 2] = gamma[1 : j + 2] + columns[j] * gamma[: j + 1]
        if j % 8 == 7 or j == k - 1:
            peak = gamma[: j + 2].max(axis=0)
            peak[peak <= 0] = 1.0
            gamma[: j + 2] /= peak
            log_scale += np.log(peak)
    return gamma.T, log_scale


class _Conditional:
    """The conditional log-likelihood and its gradient for data grouped by
    the pattern of answered items."""

    def __init__(self, x: np.ndarray, present: np.ndarray) -> None:
        patterns, which = np.unique(present, axis=0, return_inverse=True)
        which = which.ravel()
        self.k = present.shape[1]
        self.patterns = patterns.astype(float)  # G x k
        raw = np.where(present, x, 0.0).sum(axis=1).astype(int)
        g = len(patterns)
        self.counts = np.bincount(which * (self.k + 1) + raw, minlength=g * (self.k + 1)).reshape(g, self.k + 1)
        self.item_totals = np.where(present, x, 0.0).sum(axis=0)

    def value_and_gradient(self, b: np.ndarray) -> tuple[float, np.ndarray]:
        """Minus the conditional log-likelihood and its gradient in b."""
        g, k = self.patterns.shape
        eps = np.exp(-b)[None, :] * self.patterns  # G x k
        gamma, scale = esf(eps)
        log_gamma = np.log(np.where(gamma > 0, gamma, 1.0)) + scale[:, None]
        value = float(self.item_totals @ b + (self.counts * np.where(self.counts > 0, log_gamma, 0.0)).sum())
        # gamma without item i: the same functions with eps_i set to zero.
        removed = np.repeat(eps[:, None, :], k, axis=1)
        removed[:, np.arange(k), np.arange(k)] = 0.0
        gamma_i, scale_i = esf(removed.reshape(g * k, k))
        gamma_i = gamma_i.reshape(g, k, k + 1)
        scale_i = scale_i.reshape(g, k)
        # E[x_i | r] = eps_i gamma^(i)_{r-1} / gamma_r, for r = 1..k
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = gamma_i[:, :, :-1] / gamma[:, None, 1:] * np.exp(scale_i - scale[:, None])[:, :, None]
            expected = np.where(self.counts[:, None, 1:] > 0, eps[:, :, None] * ratio, 0.0)
        gradient = self.item_totals - (self.counts[:, None, 1:] * expected).sum(axis=(0, 2))
        return value, gradient


def fit_rasch(correct: np.ndarray) -> RaschFit:
    """Fit the Rasch model to an n x k matrix of 0/1 (NaN = missing) by CML."""
    n, k = correct.shape
    present = ~np.isnan(correct)
    x = np.where(present, correct, 0.0)
    no_answer = ~present.any(axis=1)
    items = np.ones(k, dtype=bool)
    persons = ~no_answer
    # Drop extreme persons and then items without variation until neither changes.
    while True:
        answered = (present & items).sum(axis=1)
        raw = (x * items).sum(axis=1)
        persons = ~no_answer & (answered > 0) & (raw > 0) & (raw < answered)
        item_n = (present & persons[:, None]).sum(axis=0)
        item_right = (x * persons[:, None]).sum(axis=0)
        keep = items & (item_n > 0) & (item_right > 0) & (item_right < item_n)
        if (keep == items).all():
            break
        items = keep
    used_items = np.flatnonzero(items)
    # Extreme persons are counted over the items kept, or over all items when
    # none is kept (everyone right on everything is 'all right', not nobody).
    counting = items if items.any() else np.ones(k, dtype=bool)
    answered = (present & counting).sum(axis=1)
    raw = (x * counting).sum(axis=1)
    counted = ~no_answer & (answered > 0)
    all_right = int((counted & (raw == answered)).sum())
    none_right = int((counted & (raw == 0)).sum())
    nan = np.full(k, np.nan)
    if len(used_items) < 2 or persons.sum() < 2:
        left_out = tuple(int(j) for j in np.flatnonzero(~items))
        return RaschFit(nan, nan.copy(), nan.copy(), nan.copy(), np.full(n, np.nan), int(persons.sum()), all_right,
                        none_right, int(no_answer.sum()), left_out, float("nan"), False)  # fmt: skip
    xs = x[np.ix_(persons, used_items)]
    ps = present[np.ix_(persons, used_items)]
    model = _Conditional(xs, ps)
    m = len(used_items)
    # Sum-zero parameterisation: b = Z beta with the last difficulty minus the sum of the others.
    basis = np.vstack([np.eye(m - 1), -np.ones((1, m - 1))])

    def objective(beta: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = model.value_and_gradient(basis @ beta)
        return value, basis.T @ gradient

    share = (xs.sum(axis=0) + 0.5) / (ps.sum(axis=0) + 1.0)
    start = np.log((1.0 - share) / share)
    beta, value, hessian, converged = _newton(objective, (start - start.mean())[:-1], tolerance=1e-9 * len(xs))
    covariance = basis @ np.linalg.inv(hessian) @ basis.T
    b = basis @ beta
    difficulty = nan.copy()
    se = nan.copy()
    difficulty[used_items] = b
    se[used_items] = np.sqrt(np.diag(covariance))

    sub_present = present[:, used_items]
    sub_raw = raw
    theta_ml = _abilities(b, sub_present, sub_raw, weighted=False)
    theta_wle = _abilities(b, sub_present, sub_raw, weighted=True)
    theta_wle[~counted] = np.nan
    infit, outfit = nan.copy(), nan.copy()
    p = 1.0 / (1.0 + np.exp(b[None, :] - theta_ml[persons][:, None]))
    residual2 = (xs - p) ** 2
    information = p * (1.0 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        infit[used_items] = np.where(ps, residual2, 0.0).sum(axis=0) / np.where(ps, information, 0.0).sum(axis=0)
        outfit[used_items] = np.where(ps, residual2 / information, 0.0).sum(axis=0) / ps.sum(axis=0)
    return RaschFit(difficulty, se, infit, outfit, theta_wle, int(persons.sum()), all_right, none_right,
                    int(no_answer.sum()), tuple(int(j) for j in np.flatnonzero(~items)), -value, converged)  # fmt: skip


def _hessian(objective: Any, beta: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """Observed information: forward differences of the analytic gradient."""
    size = len(beta)
    hessian = np.empty((size, size))
    for j in range(size):
        step = 1e-6 * max(1.0, abs(beta[j]))
        shift = np.zeros(size)
        shift[j] = step
        hessian[:, j] = (objective(beta + shift)[1] - gradient) / step
    return (hessian + hessian.T) / 2.0


def _newton(objective: Any, beta: np.ndarray, tolerance: float) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """Minimise the convex minus log-likelihood by Newton steps with the
    observed information, recomputed every few steps (each costs one gradient
    per parameter) and at the end for the standard errors; a step that does not
    lower the objective is halved."""
    value, gradient = objective(beta)
    hessian = _hessian(objective, beta, gradient)
    for iteration in range(1, 200):
        if np.abs(gradient).max() < tolerance:
            break
        step = np.linalg.solve(hessian, gradient)
        shrink = 1.0
        for _ in range(30):
            candidate = beta - shrink * step
            new_value, new_gradient = objective(candidate)
            if new_value <= value + 1e-12 * abs(value):
                break
            shrink /= 2.0
        beta, value, gradient = candidate, new_value, new_gradient
        if iteration % 12 == 0 and np.abs(gradient).max() >= tolerance:
            hessian = _hessian(objective, beta, gradient)
    hessian = _hessian(objective, beta, gradient)
    if np.abs(gradient).max() >= tolerance:  # one more step on the fresh information
        beta = beta - np.linalg.solve(hessian, gradient)
        value, gradient = objective(beta)
    return beta, value, hessian, bool(np.abs(gradient).max() < max(tolerance, 1e-6))


def _abilities(b: np.ndarray, present: np.ndarray, raw: np.ndarray, *, weighted: bool) -> np.ndarray:
    """Ability for every person given the difficulties: the root in theta of
    r - sum P_i (maximum likelihood) or of r - sum P_i + J / (2 I) (Warm 1989,
    with I = sum P(1-P), J = sum P(1-P)(1-2P)), over the items the person
    answered. Solved once per distinct (pattern, score) by vectorised bisection;
    ML is infinite for a score of zero or full and left NaN."""
    n = len(raw)
    theta = np.full(n, np.nan)
    answered = present.any(axis=1)
    if not answered.any():
        return theta
    keys = np.column_stack([present[answered], raw[answered]])
    unique, which = np.unique(keys, axis=0, return_inverse=True)
    mask = unique[:, :-1].astype(bool)
    score = unique[:, -1].astype(float)
    top = mask.sum(axis=1)
    low = np.full(len(unique), -15.0)
    high = np.full(len(unique), 15.0)

    def excess(t: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(b[None, :] - t[:, None]))
        expected = np.where(mask, p, 0.0).sum(axis=1)
        value = score - expected
        if weighted:
            info = np.where(mask, p * (1 - p), 0.0).sum(axis=1)
            skew = np.where(mask, p * (1 - p) * (1 - 2 * p), 0.0).sum(axis=1)
            value = value + skew / (2.0 * info)
        return np.asarray(value, dtype=float)

    for _ in range(80):  # excess falls as theta rises
        middle = (low + high) / 2.0
        up = excess(middle) > 0
        low = np.where(up, middle, low)
        high = np.where(up, high, middle)
    solved = (low + high) / 2.0
    if not weighted:
        solved = np.where((score > 0) & (score < top), solved, np.nan)
    theta[np.flatnonzero(answered)] = solved[which.ravel()]
    return theta
