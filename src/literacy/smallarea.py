"""Small-area estimates: the area-level Fay-Herriot model and its EBLUP.

Direct survey estimates of small areas (districts, counties) are unbiased but
noisy. The Fay-Herriot model (Fay & Herriot 1979; Rao & Molina, *Small Area
Estimation*, 2nd ed., 2015, ch. 6) borrows strength from covariates known for
every area:

    direct_i = theta_i + e_i,   e_i ~ N(0, psi_i)          (psi_i known: the direct variance)
    theta_i  = x_i' beta + u_i,  u_i ~ N(0, sigma2_u)

The EBLUP ``gamma_i direct_i + (1 - gamma_i) x_i' beta`` with ``gamma_i =
sigma2_u / (sigma2_u + psi_i)`` leans on the direct estimate where it is
precise and on the regression where it is not. Fitting and MSE follow R's
``sae`` package (Molina & Marhuenda 2015) formula by formula, so that the two
agree to rounding (``tests/reference/sae_reference.R``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from literacy.errors import LiteracyError, spell

METHODS = ("reml", "ml", "fh")
TRANSFORMATIONS = ("none", "arcsin")
ZERO_VARIANCE = ("gvf", "out_of_sample")
TOLERANCE = 1e-12
"""Relative change of sigma2_u that stops Fisher scoring (R sae's PRECISION)."""
MAX_ITERATIONS = 1000
CV_LIMIT = 0.3
RESIDUAL_LIMIT = 3.0
FLAGS = {
    "out_of_sample": "no usable direct estimate: the synthetic x'beta with its MSE",
    "variance_smoothed": "direct variance 0 or missing, replaced by the generalised variance function",
    "cv_above_0.3": "coefficient of variation rmse/eblup above 0.3",
    "mse_above_direct": "the EBLUP's MSE exceeds the direct variance (the model fits this area badly)",
    "residual_above_3": "standardised residual (direct - synthetic)/sqrt(sigma2_u + psi) beyond +-3",
}
"""The flags a row of :func:`sae`'s table can carry (joined by ``;``)."""
COLUMNS = ["direct", "direct_se", "eblup", "mse", "rmse", "ci_lower", "ci_upper", "shrinkage", "synthetic", "cv",
           "flags"]  # fmt: skip


@dataclass(frozen=True)
class SmallAreaResult:
    """What :func:`sae` returns: one row per area, and the fitted model.

    ``table`` has the area column as given, then ``direct, direct_se, eblup,
    mse, rmse, ci_lower, ci_upper, shrinkage, synthetic, cv, flags`` (and
    ``n`` when the input has it); ``table.attrs["small_area"]`` is ``model``.
    """

    table: pd.DataFrame
    model: dict[str, Any]

    def __repr__(self) -> str:
        m = self.model
        return (f"SmallAreaResult(method={m['method']!r}, transformation={m['transformation']!r}, "
                f"areas={m['areas']}, sigma2_u={m['sigma2_u']:.4g})")  # fmt: skip


@dataclass(frozen=True)
class _Fit:
    """One Fay-Herriot fit on the model scale (R sae::eblupFH's ``fit``)."""

    sigma2_u: float
    beta: np.ndarray
    cov_beta: np.ndarray  # Q = (X' V^-1 X)^-1
    iterations: int
    truncated: bool  # the estimating equation's root is at or below 0
    loglik: float
    eblup: np.ndarray


def _score(a: float, y: np.ndarray, X: np.ndarray, psi: np.ndarray, method: str) -> tuple[float, float]:
    """The estimating equation s(A) and its expected derivative F(A) of R sae::eblupFH
    (Rao & Molina 2015, eqs. 6.2.3 FH moments, 6.2.5 ML, 6.2.7 REML)."""
    m, p = X.shape
    v = 1.0 / (a + psi)  # diagonal of V^-1
    w = X * v[:, None]  # V^-1 X
    q = np.linalg.inv(X.T @ w)  # (X' V^-1 X)^-1
    wq = w @ q
    if method == "fh":
        # eblupFH "FH": s = sum(resid^2 / (A+psi)) - (m-p), F = sum(1/(A+psi))
        resid = y - X @ (q @ (w.T @ y))
        return float(np.sum(resid**2 * v)) - (m - p), float(np.sum(v))
    # P = V^-1 - V^-1 X Q X' V^-1 (never formed: m may be a few thousand)
    py = v * y - wq @ (w.T @ y)
    if method == "ml":
        # eblupFH "ML": s = -sum(Vi)/2 + (Py)'(Py)/2, F = sum(Vi^2)/2
        return -0.5 * float(np.sum(v)) + 0.5 * float(py @ py), 0.5 * float(np.sum(v**2))
    # eblupFH "REML": s = -tr(P)/2 + (Py)'(Py)/2, F = tr(PP)/2
    trace_p = float(np.sum(v)) - float(np.sum(wq * w))
    qwtw = q @ (w.T @ w)
    trace_pp = float(np.sum(v**2)) - 2.0 * float(np.sum(v[:, None] * wq * w)) + float(np.sum(qwtw * qwtw.T))
    return -0.5 * trace_p + 0.5 * float(py @ py), 0.5 * trace_pp


def _fisher_scoring(y: np.ndarray, X: np.ndarray, psi: np.ndarray, method: str) -> tuple[float, bool, int]:
    """sigma2_u by Fisher scoring from median(psi) until the relative change is
    below TOLERANCE, exactly R sae::eblupFH's loop while the iterates stay
    positive. Returns (estimate, truncated at 0, iterations)."""
    a = float(np.median(psi))
    for k in range(1, MAX_ITERATIONS + 1):
        score, info = _score(a, y, X, psi, method)
        new = a + score / info
        if new < 0:
            # R iterates on below 0 and truncates the limit at 0 (or fails in solve() when A + psi_i
            # reaches 0). The equation's root is below 0 exactly when s(0) <= 0: then the answer is 0;
            # otherwise the step overshot a positive root, so halve the way to 0 and go on.
            if a == 0 or _score(0.0, y, X, psi, method)[0] <= 0:
                return 0.0, True, k
            new = a / 2
        diff = abs(new - a) / abs(a)
        a = new
        if diff <= TOLERANCE:
            return a, False, k
    raise LiteracyError(
        f"The Fay-Herriot {method.upper()} fit did not converge in {MAX_ITERATIONS} iterations; "
        f"try {spell('--method fh', _quoted('method', 'fh'))} or fewer covariates."
    )


def _fit(y: np.ndarray, X: np.ndarray, psi: np.ndarray, method: str) -> _Fit:
    """beta, its covariance, log-likelihood and EBLUP at the fitted sigma2_u (R sae::eblupFH)."""
    a, truncated, iterations = _fisher_scoring(y, X, psi, method)
    v = 1.0 / (a + psi)
    w = X * v[:, None]
    q = np.linalg.inv(X.T @ w)
    beta = q @ (w.T @ y)
    resid = y - X @ beta
    # eblupFH: loglike = -1/2 sum(log(2 pi (A+psi)) + resid^2/(A+psi)) (the ML log-likelihood, for every method)
    loglik = -0.5 * float(np.sum(np.log(2 * np.pi * (a + psi)) + resid**2 * v))
    # EBLUP = X beta + A/(A+psi) (y - X beta)   (Rao & Molina 2015, eq. 6.1.12)
    eblup = X @ beta + a * v * resid
    return _Fit(a, beta, q, iterations, truncated, loglik, eblup)


def _mse_terms(X: np.ndarray, psi: np.ndarray, fit: _Fit, method: str) -> tuple[np.ndarray, float]:
    """Per-area MSE of in-sample areas, exactly R sae::mseFH, and the bias b of
    the sigma2_u estimator (0 for REML) used again for out-of-sample areas.

    g1 = psi (1 - B), g2 = B^2 x'Qx, g3 = B^2 Var(A)/(A + psi) with B = psi/(A + psi):
    REML: g1 + g2 + 2 g3, Var(A) = 2/sum V^-2                 (Prasad & Rao 1990; Rao & Molina eq. 6.2.13)
    ML:   g1 + g2 + 2 g3 - b B^2, b = -tr(Q X'V^-2 X)/sum V^-2 (Datta & Lahiri 2000; Rao & Molina eq. 6.2.22)
    FH:   g1 + g2 + 2 g3 - b B^2, Var(A) = 2m/(sum V^-1)^2,
          b = 2 (m sum V^-2 - (sum V^-1)^2)/(sum V^-1)^3        (Datta, Rao & Smith 2005; Rao & Molina eq. 6.2.26)
    """
    a, q = fit.sigma2_u, fit.cov_beta
    m = len(psi)
    v = 1.0 / (a + psi)
    shrink = psi * v  # B_d
    g1 = psi * (1 - shrink)
    g2 = shrink**2 * np.einsum("ij,jk,ik->i", X, q, X)
    sum_v2 = float(np.sum(v**2))
    if method == "fh":
        sum_v = float(np.sum(v))
        var_a = 2 * m / sum_v**2
        bias = 2 * (m * sum_v2 - sum_v**2) / sum_v**3
    else:
        var_a = 2 / sum_v2
        bias = -float(np.trace(q @ ((X * (v**2)[:, None]).T @ X))) / sum_v2 if method == "ml" else 0.0
    g3 = shrink**2 * var_a / (a + psi)
    return g1 + g2 + 2 * g3 - bias * shrink**2, bias


def _mse_out_of_sample(X_out: np.ndarray, fit: _Fit, bias: float) -> np.ndarray:
    """MSE of the synthetic x'beta for an area without a direct estimate: the
    in-sample formula as psi -> infinity (B = 1, g3 = 0), i.e. sigma2_u + x'Qx
    (Rao & Molina 2015, sec. 6.2.4), less the bias b of sigma2_u for ML and FH."""
    return fit.sigma2_u + np.einsum("ij,jk,ik->i", X_out, fit.cov_beta, X_out) - bias


def _design(
    data: pd.DataFrame, covariates: Sequence[str], inside: np.ndarray, area: str
) -> tuple[np.ndarray, list[str]]:
    """The model matrix: an intercept, numeric columns as they are, and other
    columns as indicators with the first sorted level as reference (R as.factor)."""
    parts = [np.ones((len(data), 1))]
    names = ["(Intercept)"]
    for column in covariates:
        values = data[column]
        blank = values.isna().to_numpy()
        if blank.any():
            where = ", ".join(str(a) for a in data.loc[blank, area].head(5))
            raise LiteracyError(f"The covariate {column!r} is missing for area(s) {where}; "
                                "every area needs every covariate.")  # fmt: skip
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            numbers = values.to_numpy(dtype=float)
            if np.unique(numbers[inside]).size < 2:
                raise LiteracyError(f"The covariate {column!r} has one value in every area with a direct estimate; "
                                    "it cannot be told from the intercept, so leave it out.")  # fmt: skip
            parts.append(numbers[:, None])
            names.append(column)
            continue
        text = values.astype(str)
        levels = sorted(set(text[inside]))
        if len(levels) < 2:
            raise LiteracyError(f"The covariate {column!r} has one value in every area with a direct estimate; "
                                "it cannot be told from the intercept, so leave it out.")  # fmt: skip
        unseen = sorted(set(text[~inside]) - set(levels))
        if unseen:
            raise LiteracyError(f"The covariate {column!r} takes the value(s) {', '.join(unseen)} only in areas "
                                "without a direct estimate, so the model has no coefficient for them.")  # fmt: skip
        for level in levels[1:]:
            parts.append((text == level).to_numpy(dtype=float)[:, None])
            names.append(f"{column}{level}")
    return np.hstack(parts), names


def _gvf(estimate: np.ndarray, variance: np.ndarray, n: np.ndarray | None, usable: np.ndarray,
         target: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:  # fmt: skip
    """Smoothed variances for the ``target`` areas from a generalised variance
    function fitted by least squares on the areas with a positive variance:
    log(var) = a + b log(p~(1-p~)/n), p~ = (n p + 0.5)/(n + 1) (kept off 0 and 1)
    when ``n`` is given, else log(var) = a + b log(estimate); exp() of the fit
    times Duan's smearing factor mean(exp(residual))."""
    if n is not None:
        shrunk = (n * estimate + 0.5) / (n + 1)
        predictor = shrunk * (1 - shrunk) / n
        form = "log(var) = a + b log(p(1-p)/n)"
    else:
        predictor = estimate
        form = "log(var) = a + b log(estimate)"
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.log(predictor)
    fit_rows = usable & np.isfinite(x)
    if fit_rows.sum() < 3:
        raise LiteracyError(f"Too few areas with a positive variance to fit a generalised variance function; use "
                            f"{_out_of_sample_option()}.")  # fmt: skip
    if not np.isfinite(x[target]).all():
        raise LiteracyError(f"An area with a zero or missing variance has an estimate the variance function cannot "
                            f"use (not above 0, or no n); give {spell('--n', 'n=')} or use "
                            f"{_out_of_sample_option()}.")  # fmt: skip
    design = np.column_stack([np.ones(int(fit_rows.sum())), x[fit_rows]])
    coef, *_ = np.linalg.lstsq(design, np.log(variance[fit_rows]), rcond=None)
    smearing = float(np.mean(np.exp(np.log(variance[fit_rows]) - design @ coef)))
    smoothed = np.exp(coef[0] + coef[1] * x[target]) * smearing
    return smoothed, {"form": form, "a": float(coef[0]), "b": float(coef[1]), "smearing": smearing,
                      "areas_fitted": int(fit_rows.sum())}  # fmt: skip


def _out_of_sample_option() -> str:
    return spell("--zero-variance out-of-sample", 'zero_variance="out_of_sample"')


def _quoted(name: str, value: str) -> str:
    return f'{name}="{value}"'


def _back(theta: np.ndarray) -> np.ndarray:
    """The naive arcsin back-transformation sin^2, after truncating to [0, pi/2] (as emdi)."""
    return np.sin(np.clip(theta, 0.0, np.pi / 2)) ** 2


def _column(data: pd.DataFrame, name: str | None, role: str, cli: str, python: str) -> pd.Series | None:
    if name is None:
        return None
    if name not in data.columns:
        raise LiteracyError(f"The {role} column {name!r} ({spell(cli, python)}) is not in the data; "
                            f"it has {', '.join(map(str, data.columns[:12]))}.")  # fmt: skip
    values = data[name]
    if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
        raise LiteracyError(f"The {role} column {name!r} must hold numbers.")
    return values.astype(float)


def sae(
    direct: pd.DataFrame,
    *,
    area: str,
    estimate: str,
    variance: str | None = None,
    se: str | None = None,
    covariates: Sequence[str] | None = None,
    n: str | None = None,
    method: str = "reml",
    level: float = 0.95,
    transformation: str = "none",
    bootstrap: int = 200,
    seed: int | None = None,
    zero_variance: str = "gvf",
    benchmark: Mapping[str, Any] | None = None,
) -> SmallAreaResult:
    """Fay-Herriot EBLUPs for small areas from their direct estimates.

    One row of ``direct`` per area: the direct ``estimate`` with its
    ``variance`` (or ``se``), and ``covariates`` known for every area. Areas
    whose estimate is missing get the synthetic x'beta (flag
    ``out_of_sample``). ``method``: ``reml`` (default), ``ml`` or ``fh``
    (moments), fitted and with MSEs exactly as R ``sae::eblupFH``/``mseFH``.
    ``transformation="arcsin"`` models asin(sqrt(p)) of a proportion (as
    emdi::fh) with a parametric bootstrap MSE of ``bootstrap`` replicates.
    ``zero_variance``: ``gvf`` smooths zero or missing variances, ``out_of_sample``
    treats those areas as having no direct estimate. ``benchmark={"value":
    total_estimate, "population": column}`` scales the EBLUPs so their
    population-weighted mean equals ``value``.
    """
    if method not in METHODS:
        raise LiteracyError(f"{spell('--method', 'method')} must be one of {', '.join(METHODS)}, not {method!r}.")
    if transformation not in TRANSFORMATIONS:
        raise LiteracyError(f"{spell('--transformation', 'transformation')} must be none or arcsin, "
                            f"not {transformation!r}.")  # fmt: skip
    if zero_variance not in ZERO_VARIANCE:
        raise LiteracyError(f"{spell('--zero-variance', 'zero_variance')} must be "
                            f"{spell('gvf or out-of-sample', 'gvf or out_of_sample')}, not {zero_variance!r}.")
    if not 0 < level < 1:
        raise LiteracyError(f"{spell('--level', 'level')} must be between 0 and 1, not {level!r}.")
    if (variance is None) == (se is None):
        raise LiteracyError(f"Give the direct estimates' sampling error as exactly one of "
                            f"{spell('--variance or --se', 'variance= or se=')}.")  # fmt: skip
    if transformation == "arcsin" and bootstrap < 1:
        raise LiteracyError(f"The arcsin transformation needs {spell('--bootstrap', 'bootstrap=')} of at least 1 "
                            "(its MSE comes from a parametric bootstrap).")  # fmt: skip
    if not isinstance(direct, pd.DataFrame):
        raise LiteracyError("sae() takes a pandas DataFrame with one row per area.")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates or [])
    if area not in direct.columns:
        raise LiteracyError(f"The area column {area!r} ({spell('--area', 'area=')}) is not in the data; "
                            f"it has {', '.join(map(str, direct.columns[:12]))}.")  # fmt: skip
    data = direct.reset_index(drop=True)
    if data[area].isna().any():
        raise LiteracyError(f"The area column {area!r} is blank in {int(data[area].isna().sum())} row(s).")
    duplicated = data[area][data[area].duplicated()].unique()
    if len(duplicated):
        raise LiteracyError(f"Each area must have one row; {', '.join(map(str, duplicated[:5]))} "
                            f"appear{'s' if len(duplicated) == 1 else ''} more than once.")  # fmt: skip
    y_raw = _column(data, estimate, "estimate", "--estimate", "estimate=")
    assert y_raw is not None
    if variance is not None:
        var_raw = _column(data, variance, "variance", "--variance", "variance=")
    else:
        se_values = _column(data, se, "standard error", "--se", "se=")
        assert se_values is not None
        if (se_values < 0).any():
            raise LiteracyError(f"The standard error column {se!r} holds negative values.")
        var_raw = se_values**2
    assert var_raw is not None
    if (var_raw < 0).any():
        bad = ", ".join(map(str, data.loc[var_raw < 0, area].head(5)))
        raise LiteracyError(f"The direct variances must not be negative; area(s) {bad} have negative ones.")
    for column in covariates:
        if column not in data.columns:
            raise LiteracyError(f"The covariate {column!r} ({spell('--covariates', 'covariates=')}) "
                                "is not in the data.")  # fmt: skip
    n_values = _column(data, n, "sample size", "--n", "n=")
    if benchmark is not None:
        if not isinstance(benchmark, Mapping) or set(benchmark) != {"value", "population"}:
            raise LiteracyError('benchmark takes {"value": overall_estimate, "population": column}.')
        if benchmark["population"] not in data.columns:
            raise LiteracyError(f"The benchmark population column {benchmark['population']!r} is not in the data.")

    y_all = y_raw.to_numpy()
    var_all = var_raw.to_numpy()
    n_all = None if n_values is None else n_values.to_numpy()
    notes: list[str] = []
    has_direct = np.isfinite(y_all)
    if transformation == "arcsin" and ((y_all[has_direct] < 0) | (y_all[has_direct] > 1)).any():
        raise LiteracyError("The arcsin transformation is for proportions; the estimates must lie in [0, 1].")
    if transformation == "arcsin":
        # psi = 1/(4 n_eff) with n_eff = p(1-p)/var (Hadam, Wuerz & Kreutzmann 2020; emdi's eff_smpsize)
        usable = has_direct & (var_all > 0) & (y_all > 0) & (y_all < 1)
    else:
        usable = has_direct & (var_all > 0)
    needs = has_direct & ~usable
    smoothed = np.zeros(len(data), dtype=bool)
    gvf_record = None
    psi_all = np.where(usable, var_all, np.nan)
    if needs.any() and zero_variance == "gvf":
        if transformation == "arcsin":
            if n_all is None:
                notes.append(f"{int(needs.sum())} area(s) with a proportion of 0 or 1 or no variance have no "
                             f"effective sample size without {spell('--n', 'n=')}; treated as out of sample.")
            else:
                # GVF on the effective-size scale: n_eff = n x the median n_eff/n (a common design effect)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = float(np.median((y_all * (1 - y_all) / var_all / n_all)[usable]))
                smoothed = needs.copy()
                gvf_record = {"form": "n_eff = n * median(n_eff / n)", "ratio": ratio,
                              "areas_fitted": int(usable.sum())}  # fmt: skip
        else:
            psi_all[needs], gvf_record = _gvf(y_all, var_all, n_all, usable, needs)
            smoothed = needs.copy()
        if smoothed.any():
            notes.append(f"{int(smoothed.sum())} area(s) with a zero or missing direct variance got a smoothed "
                         f"one ({gvf_record['form'] if gvf_record else ''}).")  # fmt: skip
    elif needs.any():
        notes.append(f"{int(needs.sum())} area(s) with a zero or missing direct variance are treated as out of "
                     "sample (synthetic estimate).")  # fmt: skip
    inside = usable | smoothed

    X_all, names = _design(data, covariates, inside, area)
    m, p = int(inside.sum()), X_all.shape[1]
    if m < p + 2:
        raise LiteracyError(f"The model has {p} coefficient(s) and a variance to estimate but only {m} area(s) "
                            f"with a direct estimate and variance; it needs at least {p + 2}.")  # fmt: skip
    if np.linalg.matrix_rank(X_all[inside]) < p:
        raise LiteracyError("The covariates are collinear in the areas with a direct estimate (one is a "
                            "combination of the others); leave one out.")  # fmt: skip

    # The model scale: the proportion itself, or asin(sqrt(p)) with psi = 1/(4 n_eff)
    if transformation == "arcsin":
        with np.errstate(divide="ignore", invalid="ignore"):
            n_eff = np.where(usable, y_all * (1 - y_all) / var_all, np.nan)
        if smoothed.any():
            assert n_all is not None and gvf_record is not None
            n_eff[smoothed] = n_all[smoothed] * gvf_record["ratio"]
        y_model = np.arcsin(np.sqrt(np.clip(y_all, 0, 1)))
        psi_model = 1.0 / (4.0 * n_eff)
    else:
        y_model, psi_model = y_all, psi_all
    X, y, psi = X_all[inside], y_model[inside], psi_model[inside]
    fit = _fit(y, X, psi, method)
    if fit.truncated:
        notes.append(f"The {method.upper()} estimate of sigma2_u is below 0 and is set to 0, as R sae does: "
                     "the EBLUPs are the synthetic estimates.")  # fmt: skip
    mse_in, bias = _mse_terms(X, psi, fit, method)
    X_out = X_all[~inside]
    mse_out = _mse_out_of_sample(X_out, fit, bias)
    synthetic_model = X_all @ fit.beta
    eblup_model = synthetic_model.copy()
    eblup_model[inside] = fit.eblup
    mse_model = np.empty(len(data))
    mse_model[inside], mse_model[~inside] = mse_in, mse_out
    gamma = np.zeros(len(data))
    gamma[inside] = fit.sigma2_u / (fit.sigma2_u + psi)
    z = float(special.ndtri(0.5 + level / 2))

    if transformation == "arcsin":
        eblup = _back(eblup_model)
        synthetic = _back(synthetic_model)
        mse, failed = _bootstrap_mse(X_all, inside, psi, fit, method, bootstrap, seed)
        if failed:
            notes.append(f"{failed} of {bootstrap} bootstrap fits failed and were left out.")
        # Intervals: the model-scale interval eblup_t +- z sqrt(mse_t) back-transformed (inside [0, 1]).
        rmse_model = np.sqrt(np.maximum(mse_model, 0))
        lower = _back(eblup_model - z * rmse_model)
        upper = _back(eblup_model + z * rmse_model)
        notes.append("Arcsin scale: estimates are sin^2 of the model-scale EBLUP (the naive back-transformation, "
                     "without bias correction); MSE by parametric bootstrap of "
                     f"{bootstrap} replicates; intervals are the model-scale intervals back-transformed.")
    else:
        eblup, synthetic, mse = eblup_model, synthetic_model, mse_model
        rmse_tmp = np.sqrt(np.maximum(mse, 0))
        lower, upper = eblup - z * rmse_tmp, eblup + z * rmse_tmp
    if (mse <= 0).any():
        notes.append(f"{int((mse <= 0).sum())} area(s) have an MSE estimate at or below 0 "
                     "(the bias correction outweighs the rest); their rmse is 0.")  # fmt: skip
    rmse = np.sqrt(np.maximum(mse, 0))

    # Diagnostics on the model scale (as emdi): standardised residuals (direct - x'beta)/sqrt(sigma2_u + psi),
    # which are N(0, 1) under the model, and the predicted random effects u = gamma (direct - x'beta).
    resid = y - X @ fit.beta
    std_resid = resid / np.sqrt(fit.sigma2_u + psi)
    std_all = np.full(len(data), np.nan)
    std_all[inside] = std_resid
    diagnostics = _diagnostics(std_resid, gamma[inside] * resid, eblup[inside] - y_all[inside], fit, y, X, psi,
                               method, p)  # fmt: skip

    bench_record = None
    if benchmark is not None:
        eblup, lower, upper, bench_record = _benchmark(data, benchmark, eblup, lower, upper, area)
        notes.append(f"Benchmarked (ratio, factor {bench_record['factor']:.6g}) so the population-weighted mean "
                     f"of the EBLUPs is {benchmark['value']}; mse and rmse are the unbenchmarked EBLUP's.")
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(eblup != 0, rmse / np.abs(eblup), np.nan)
    # The variance the model used for a smoothed area (none on the proportion scale under arcsin)
    direct_var = np.where(smoothed, psi_all if transformation == "none" else np.nan, var_all)
    flags = _flags(
        {
            "out_of_sample": ~inside,
            "variance_smoothed": smoothed,
            "cv_above_0.3": cv > CV_LIMIT,
            "mse_above_direct": inside & (mse > direct_var),
            "residual_above_3": np.abs(np.nan_to_num(std_all)) > RESIDUAL_LIMIT,
        }
    )
    table = pd.DataFrame({area: data[area]})
    table["direct"] = np.where(has_direct, y_all, np.nan)
    table["direct_se"] = np.sqrt(direct_var)
    table["eblup"] = eblup
    table["mse"] = mse
    table["rmse"] = rmse
    table["ci_lower"] = lower
    table["ci_upper"] = upper
    table["shrinkage"] = gamma
    table["synthetic"] = synthetic
    table["cv"] = cv
    table["flags"] = flags
    if n is not None:
        table["n"] = data[n]
    if (~inside).any():
        notes.append(f"{int((~inside).sum())} area(s) without a usable direct estimate get the synthetic "
                     "estimate x'beta with MSE sigma2_u + x'Qx (flag out_of_sample).")  # fmt: skip
    model = {
        "method": method,
        "transformation": transformation,
        "level": level,
        "sigma2_u": fit.sigma2_u,
        "beta": {name: {"estimate": float(b), "se": float(s), "z": float(b / s),
                        "p": float(2 * special.ndtr(-abs(b / s)))}
                 for name, b, s in zip(names, fit.beta, np.sqrt(np.diag(fit.cov_beta)), strict=True)},
        "loglik": fit.loglik,
        "aic": -2 * fit.loglik + 2 * (p + 1),
        "bic": -2 * fit.loglik + (p + 1) * np.log(m),
        "iterations": fit.iterations,
        "tolerance": TOLERANCE,
        "areas": m,
        "out_of_sample": int((~inside).sum()),
        "r2": diagnostics.pop("r2"),
        "diagnostics": diagnostics,
        "benchmark": bench_record,
        "gvf": gvf_record,
        "bootstrap": bootstrap if transformation == "arcsin" else None,
        "seed": seed if transformation == "arcsin" else None,
        "flags": dict(FLAGS),
        "notes": notes,
    }
    table.attrs["small_area"] = model
    return SmallAreaResult(table, model)


def _bootstrap_mse(X_all: np.ndarray, inside: np.ndarray, psi: np.ndarray, fit: _Fit, method: str,
                   replicates: int, seed: int | None) -> tuple[np.ndarray, int]:  # fmt: skip
    """MSE on the proportion scale by the parametric bootstrap of Gonzalez-Manteiga
    et al. (2008) as emdi::fh(transformation="arcsin", mse_type="boot"): draw
    theta* = x'beta + u*, y* = theta* + e* on the arcsin scale, refit, and average
    (sin^2(eblup*) - sin^2(theta*))^2 over the replicates."""
    rng = np.random.default_rng(seed)
    X = X_all[inside]
    linear = X_all @ fit.beta
    total = np.zeros(len(X_all))
    done = failed = 0
    for _ in range(replicates):
        theta = linear + rng.normal(0.0, np.sqrt(fit.sigma2_u), len(X_all))
        y_star = theta[inside] + rng.normal(0.0, np.sqrt(psi))
        try:
            refit = _fit(y_star, X, psi, method)
        except (LiteracyError, np.linalg.LinAlgError):
            failed += 1
            continue
        predicted = X_all @ refit.beta
        predicted[inside] = refit.eblup
        total += (_back(predicted) - _back(theta)) ** 2
        done += 1
    if done == 0:
        raise LiteracyError("Every bootstrap fit failed; the arcsin model cannot be fitted to these data.")
    return total / done, failed


def _diagnostics(std_resid: np.ndarray, effects: np.ndarray, eblup_minus_direct: np.ndarray, fit: _Fit,
                 y: np.ndarray, X: np.ndarray, psi: np.ndarray, method: str, p: int) -> dict[str, Any]:  # fmt: skip
    """Checks of the model's assumptions: normality of the standardised residuals
    and of the random effects (Shapiro-Wilk), the share of between-area
    variance the covariates explain, and the mean difference EBLUP - direct."""
    out: dict[str, Any] = {"residuals": "(direct - x'beta)/sqrt(sigma2_u + psi), model scale (as emdi)"}
    if len(std_resid) >= 3:
        from scipy import stats  # Shapiro-Wilk only here: importing scipy.stats is slow (issue 15)

        w, pw = stats.shapiro(std_resid)
        out.update(shapiro_w=float(w), shapiro_p=float(pw))
        if np.ptp(effects) > 0:
            we, pe = stats.shapiro(effects)
            out.update(shapiro_random_effects_w=float(we), shapiro_random_effects_p=float(pe))
    out["residuals_beyond_2"] = int((np.abs(std_resid) > 2).sum())
    out["max_abs_residual"] = float(np.abs(std_resid).max())
    out["mean_eblup_minus_direct"] = float(np.mean(eblup_minus_direct))
    # R^2 = 1 - sigma2_u / sigma2_u(intercept only): the share of the between-area variance the covariates
    # explain (the idea of Lahiri & Suntornchost 2015, by the same fitting method); None when there is none.
    if p == 1:
        out["r2"] = 0.0
    else:
        null = _fit(y, X[:, :1], psi, method).sigma2_u
        out["r2"] = None if null <= 0 else float(min(max(1 - fit.sigma2_u / null, 0.0), 1.0))
    return out


def _benchmark(data: pd.DataFrame, benchmark: Mapping[str, Any], eblup: np.ndarray, lower: np.ndarray,
               upper: np.ndarray, area: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:  # fmt: skip
    """Ratio benchmarking (Rao & Molina 2015, sec. 6.3.1): every EBLUP (and its
    interval) times value / (sum N_i eblup_i / sum N_i)."""
    column = benchmark["population"]
    population = data[column]
    if not pd.api.types.is_numeric_dtype(population) or population.isna().any() or (population <= 0).any():
        raise LiteracyError(f"The benchmark population column {column!r} must be a positive number for every area.")
    try:
        value = float(benchmark["value"])
    except (TypeError, ValueError):
        raise LiteracyError(f"The benchmark value must be a number, not {benchmark['value']!r}.") from None
    weights = population.to_numpy(dtype=float)
    before = float(np.sum(weights * eblup) / np.sum(weights))
    if before == 0:
        raise LiteracyError("The population-weighted mean of the EBLUPs is 0, so ratio benchmarking is undefined.")
    factor = value / before
    eblup = eblup * factor
    record = {"value": value, "population": column, "factor": factor, "weighted_mean_before": before,
              "weighted_mean_after": float(np.sum(weights * eblup) / np.sum(weights)), "kind": "ratio"}  # fmt: skip
    return eblup, lower * factor, upper * factor, record


def _flags(masks: Mapping[str, np.ndarray]) -> np.ndarray:
    flags = np.full(len(next(iter(masks.values()))), "", dtype=object)
    for label, mask in masks.items():
        joined = np.where(flags == "", label, flags + ";" + label)
        flags = np.where(mask, joined, flags)
    return flags
