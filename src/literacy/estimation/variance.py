"""Variance of domain ratio estimators: Taylor linearisation and replicates.

Every domain of a ``by`` specification is computed in one pass over the rows:
``np.bincount`` over (domain, PSU) gives a domains x PSUs table of totals,
from which estimates, Taylor variances and replicate estimates all follow.
Out-of-domain rows contribute zero; their PSUs stay in the design.

Taylor variance (R ``svyrecvar`` -> ``onestage``/``onestrat``, with-replacement
PSU approximation): for each stratum h with n_h PSUs and finite population
factor f_h = 1 - n_h/N_h,
    V = sum_h f_h n_h/(n_h - 1) sum_{j in h} (z_hj - mean_h z)^2
where z_hj is PSU j's total of the linearised values
    z_i = w_i (y_i - theta_d) / N_d   (rows of domain d, zero elsewhere),
the ratio linearisation of theta_d = sum w y / sum w.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from literacy.design import Design
from literacy.errors import LiteracyError, spell
from literacy.estimation.replicates import replicate_weights

# Domains x PSUs cells held in memory at once before chunking over domains.
_MAX_CELLS = 20_000_000


@dataclass(frozen=True)
class DomainRows:
    """The rows an estimate uses: row index, domain code and outcome values."""

    rows: np.ndarray  # indices into the design's data
    domain: np.ndarray  # domain code per used row, 0..n_domains-1
    values: np.ndarray  # used rows x outcome columns
    n_domains: int


@dataclass(frozen=True)
class DomainTotals:
    weight: np.ndarray  # n_domains: estimated population N_d
    value: np.ndarray  # n_domains x columns: weighted totals
    rows: np.ndarray  # n_domains: rows used
    rows_weighted: np.ndarray  # n_domains: rows with a non-zero weight

    @property
    def ratio(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.value / self.weight[:, None]


def domain_sums(domain: np.ndarray, values: np.ndarray, n_domains: int) -> np.ndarray:
    """Column sums of ``values`` (rows x columns) within each domain."""
    return np.column_stack(
        [np.bincount(domain, weights=values[:, k], minlength=n_domains) for k in range(values.shape[1])]
    ).reshape(n_domains, values.shape[1])


def domain_totals(design: Design, used: DomainRows) -> DomainTotals:
    w = design.weights[used.rows]
    n = used.n_domains
    weight = np.bincount(used.domain, weights=w, minlength=n)
    value = domain_sums(used.domain, w[:, None] * used.values, n)
    rows = np.bincount(used.domain, minlength=n)
    rows_weighted = np.bincount(used.domain[w > 0], minlength=n)
    return DomainTotals(weight, value, rows, rows_weighted)


def design_df(design: Design, used: DomainRows) -> np.ndarray:
    """PSUs minus strata holding at least one used row with a non-zero weight,
    per domain: R ``degf`` on each ``svyby`` subset."""
    keep = design.weights[used.rows] > 0
    domain = used.domain[keep]
    psu = design.psu_code[used.rows][keep]
    stratum = design.stratum_code[used.rows][keep]
    n = used.n_domains
    psus = _count_distinct(domain, psu, n)
    strata = _count_distinct(domain, stratum, n)
    return psus - strata


def _count_distinct(domain: np.ndarray, code: np.ndarray, n_domains: int) -> np.ndarray:
    """Distinct codes per domain: a dense (domain, code) table when it is small,
    a sort otherwise."""
    if len(domain) == 0:
        return np.zeros(n_domains, dtype=np.int64)
    width = int(code.max()) + 1
    key = domain.astype(np.int64) * width + code
    if n_domains * width <= _MAX_CELLS:
        present = np.bincount(key, minlength=n_domains * width).reshape(n_domains, width) > 0
        return present.sum(axis=1)
    return np.bincount(np.unique(key) // width, minlength=n_domains)


def taylor_variance(design: Design, used: DomainRows, linearised: np.ndarray) -> np.ndarray:
    """Variance of each domain's estimate from row-level linearised values
    (used rows x columns); returns domains x columns."""
    check_lonely(design)
    out = np.zeros((used.n_domains, linearised.shape[1]))
    lonely = (design.n_psu == 1) & (design.fpc_factor >= 1e-7)
    calibration = design.calibration
    if calibration is not None:
        inverse, psu_x = calibration.residual_operator(design.psu_code, design.n_psus)
    for lo, hi, rows in _domain_chunks(used, design.n_psus):
        domain, source = used.domain[rows] - lo, used.rows[rows]
        if calibration is not None:
            # The chunk's rows of the calibration variables, once for every outcome column.
            x_rows = calibration.model.matrix[source]
            g = calibration.g[source]
        for k in range(linearised.shape[1]):
            totals = _psu_table(design, domain, source, linearised[rows, k], hi - lo)
            if calibration is not None:
                # Residuals on the calibration variables (R svyrecvar with a
                # greg_calibration): Z - (b M^+) A' with b = sum of x z / g per domain.
                with np.errstate(divide="ignore", invalid="ignore"):
                    scaled = np.where(g > 0, linearised[rows, k] / g, 0.0)
                onehot = sparse.csr_matrix((scaled, (domain, np.arange(len(rows)))), shape=(hi - lo, len(rows)))
                b = (onehot @ x_rows).toarray()
                totals = totals - (b @ inverse) @ psu_x.T
            out[lo:hi, k] = _stratified_sum_of_squares(design, totals, lonely)
    if design.lonely_psu == "average" and lonely.any():
        out *= _average_factor(design, used, lonely)[:, None]
    return out


def check_lonely(design: Design) -> None:
    lonely = design.lonely_strata()
    if lonely and design.lonely_psu == "fail":
        shown = ", ".join(map(str, lonely[:8])) + (f" and {len(lonely) - 8} more" if len(lonely) > 8 else "")
        rules = ['"remove"', '"certainty"', '"adjust"', '"average"']
        raise LiteracyError(
            f"Stratum {shown} has only one PSU, so its variance cannot be estimated; choose a lonely-PSU rule "
            f"({spell('--lonely-psu remove|certainty|adjust|average', 'lonely_psu=' + '|'.join(rules))}, as R's "
            "survey.lonely.psu) or merge the stratum with a similar one."
        )


def _stratified_sum_of_squares(design: Design, totals: np.ndarray, lonely: np.ndarray) -> np.ndarray:
    """R ``onestrat`` for every stratum at once; ``totals`` is domains x PSUs."""
    n_h = design.n_psu
    f_h = design.fpc_factor
    stratum = design.psu_stratum
    sums = np.zeros((totals.shape[0], design.n_strata))
    np.add.at(sums.T, stratum, totals.T)  # PSUs are few: this is domains x PSUs work
    mean = sums / n_h
    deviation = totals - mean[:, stratum]
    regular = (n_h > 1) & (f_h >= 1e-7)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(regular, f_h * n_h / np.maximum(n_h - 1, 1), 0.0)
    result = (deviation**2) @ factor[stratum]
    if design.lonely_psu == "adjust" and lonely.any():
        # A single PSU is centred at the grand mean, i.e. zero for linearised values.
        result += (totals**2) @ np.where(lonely, f_h, 0.0)[stratum]
    return result


def _average_factor(design: Design, used: DomainRows, lonely: np.ndarray) -> np.ndarray:
    """R's ``average`` rule: variance times strata / strata with 2+ PSUs, counting
    the strata each domain touches."""
    stratum = design.stratum_code[used.rows]
    present = np.zeros((used.n_domains, design.n_strata), dtype=bool)
    present[used.domain, stratum] = True
    total = present.sum(axis=1)
    ok = (present & ~lonely[None, :]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok > 0, total / ok, np.nan)


def _psu_table(design: Design, domain: np.ndarray, rows: np.ndarray, values: np.ndarray, n_domains: int) -> np.ndarray:
    n_psus = design.n_psus
    key = domain.astype(np.int64) * n_psus + design.psu_code[rows]
    return np.bincount(key, weights=values, minlength=n_domains * n_psus).reshape(n_domains, n_psus)


def _domain_chunks(used: DomainRows, n_psus: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """Ranges of domains small enough for a dense domains x PSUs table, with
    the positions of their rows."""
    per_chunk = max(1, _MAX_CELLS // n_psus)
    if per_chunk >= used.n_domains:
        yield 0, used.n_domains, np.arange(len(used.rows))
        return
    order = np.argsort(used.domain, kind="stable")
    bounds = np.searchsorted(used.domain[order], np.arange(0, used.n_domains + per_chunk, per_chunk))
    for start in range(0, used.n_domains, per_chunk):
        index = start // per_chunk
        yield start, min(start + per_chunk, used.n_domains), order[bounds[index] : bounds[index + 1]]


def replicate_estimates(design: Design, used: DomainRows) -> np.ndarray:
    """Ratio estimates under every replicate: replicates x domains x columns."""
    replicates = design.replicates
    assert replicates is not None
    n_domains, n_columns = used.n_domains, used.values.shape[1]
    if replicates.matrix is None:
        # Replicate weights are PSU multipliers: aggregate to domains x PSUs
        # once, then one matrix product gives every replicate.
        out = np.empty((replicates.count, n_domains, n_columns))
        for lo, hi, rows in _domain_chunks(used, design.n_psus):
            domain, source = used.domain[rows] - lo, used.rows[rows]
            w = design.weights[source]
            denominator = _psu_table(design, domain, source, w, hi - lo) @ replicates.factors
            for k in range(n_columns):
                numerator = _psu_table(design, domain, source, w * used.values[rows, k], hi - lo)
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[:, lo:hi, k] = (numerator @ replicates.factors / denominator).T
        return out
    out = np.empty((replicates.count, n_domains, n_columns))
    for r in range(replicates.count):
        w = replicate_weights(design, r)[used.rows]
        denominator = np.bincount(used.domain, weights=w, minlength=n_domains)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[r] = domain_sums(used.domain, w[:, None] * used.values, n_domains) / denominator[:, None]
    return out


def replicate_df(design: Design, used: DomainRows) -> np.ndarray:
    """Rank of the replicate weights over each domain's rows, minus one: R's
    ``degf`` of a replicate design's ``svyby`` subset. Domains that share the
    same PSUs share the computation."""
    from literacy.estimation.replicates import rank_of

    replicates = design.replicates
    assert replicates is not None
    out = np.full(used.n_domains, np.nan)
    keep = design.weights[used.rows] > 0
    rows, domain = used.rows[keep], used.domain[keep]
    order = np.argsort(domain, kind="stable")
    bounds = np.searchsorted(domain[order], np.arange(used.n_domains + 1))
    cache: dict[bytes, float] = {}
    for d in range(used.n_domains):
        members = rows[order[bounds[d] : bounds[d + 1]]]
        if len(members) == 0:
            continue
        if replicates.factors is None:  # supplied columns
            out[d] = rank_of(np.unique(replicates.matrix[members], axis=0)) - 1
            continue
        # Rows of one PSU carry the same multipliers: the rank is that of the PSUs' rows.
        psus = np.unique(design.psu_code[members])
        if len(psus) == design.n_psus:
            out[d] = replicates.df
            continue
        key = psus.tobytes()
        if key not in cache:
            cache[key] = rank_of(replicates.factors[psus]) - 1
        out[d] = cache[key]
    return out


def replicate_variance(design: Design, thetas: np.ndarray, full_sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R ``svrVar``: scale * sum_r rscale_r (theta_r - centre)^2, centred at the
    replicate mean (or the full-sample estimate with ``mse``). Replicates that
    give no estimate for a domain are dropped for it, as R's na.omit. Returns
    the variance and the number of dropped replicates."""
    replicates = design.replicates
    assert replicates is not None
    valid = ~np.isnan(thetas)
    rscales = replicates.rscales[:, None, None] * valid
    if replicates.mse:
        centre = full_sample
    else:
        weight = (replicates.rscales[:, None, None] > 0) & valid
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.where(weight, thetas, 0.0).sum(axis=0) / weight.sum(axis=0)
    deviation = np.where(valid, thetas - centre[None], 0.0)
    variance = replicates.scale * (rscales * deviation**2).sum(axis=0)
    return variance, (~valid).sum(axis=0)
