"""Replicate weights made from a design, or supplied as columns.

Generated replicates are PSU multipliers (PSUs x replicates), the same
numbers as R ``survey``'s ``jk1weights``, ``jknweights``, ``brrweights`` and
``subbootweights``; the scale factors follow ``as.svrepdesign`` and
``svrepdesign``. Degrees of freedom are the rank of the replicate weights
minus one, as R's ``degf.svyrep.design``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from literacy.design import Replicates
from literacy.errors import LiteracyError, spell
from literacy.vocabulary import REPLICATE_METHODS, SUPPLIED_TYPES

if TYPE_CHECKING:
    from literacy.design import Design

_RANK_TOLERANCE = 1e-5  # R: qr(weights, tol = 1e-5)$rank


def make_replicates(
    design: Design,
    method: str,
    *,
    replicates: int = 200,
    seed: int | None = None,
    fay_rho: float = 0.3,
    mse: bool = False,
) -> Replicates:
    method = method.lower()
    if method not in REPLICATE_METHODS:
        raise LiteracyError(f"Replicate method {method!r} is unknown; use one of {', '.join(REPLICATE_METHODS)}.")
    _check_memory(design, method, _replicate_count(design, method, replicates))
    if method == "jk1":
        factors, scale, rscales = _jk1(design)
    elif method == "jkn":
        factors, scale, rscales = _jkn(design)
    elif method in ("brr", "fay"):
        rho = fay_rho if method == "fay" else 0.0
        if not 0 <= rho < 1:
            raise LiteracyError(f"Fay's rho must be from 0 up to (not including) 1, not {rho}.")
        factors, scale, rscales = _brr(design, rho)
    else:
        if replicates < 2:
            raise LiteracyError("The bootstrap needs at least 2 replicates.")
        factors, scale, rscales = _rao_wu_bootstrap(design, replicates, seed)
    matrix = None
    calibration = design.calibration
    if calibration is not None:
        # Every replicate is calibrated again to the same targets (as R does
        # for calibrated replicate designs), so its weights are no longer PSU
        # multiples of the full-sample weights: keep them row by row.
        columns = []
        for r in range(factors.shape[1]):
            try:
                columns.append(calibration.recalibrate(calibration.base * factors[design.psu_code, r]))
            except LiteracyError as error:
                raise LiteracyError(
                    f"Replicate {r + 1} of {method} cannot be calibrated to the margins ({error}). A replicate that "
                    "drops every PSU holding a category cannot reach its target: use jkn replicates, or collapse "
                    f"sparse categories ({spell('--collapse', 'collapse=')})."
                ) from None
        matrix = np.column_stack(columns)
    return Replicates(
        method=method,
        scale=scale,
        rscales=rscales,
        df=rank_of(factors) - 1,
        mse=mse,
        factors=factors,
        matrix=matrix,
        seed=seed,
        fay_rho=fay_rho if method == "fay" else None,
    )


def supplied_replicates(
    design: Design,
    columns: list[str],
    *,
    type: str = "other",
    scale: float | None = None,
    rscales: np.ndarray | None = None,
    fay_rho: float | None = None,
    mse: bool = False,
    df: int | None = None,
) -> Replicates:
    """Replicate weight columns as R ``svrepdesign(repweights=, type=, scale=, rscales=)``."""
    if not columns:
        raise LiteracyError("No replicate weight columns were given.")
    absent = [c for c in columns if c not in design.data.columns]
    if absent:
        raise LiteracyError(f"Replicate weight column(s) {', '.join(absent[:5])} are not in the data.")
    if type not in SUPPLIED_TYPES:
        raise LiteracyError(f"Replicate type {type!r} is unknown; use one of {', '.join(SUPPLIED_TYPES)}.")
    matrix = design.data[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if np.isnan(matrix).any() or (matrix < 0).any():
        raise LiteracyError("Replicate weight columns must hold non-negative numbers in every row.")
    count = len(columns)
    if scale is None:
        if type == "jk1":
            scale = (count - 1) / count
        elif type == "brr":
            scale = 1 / count
        elif type == "fay":
            if fay_rho is None:
                raise LiteracyError("Fay replicate weights need Fay's rho (e.g. 0.3).")
            scale = 1 / (count * (1 - fay_rho) ** 2)
        elif type == "bootstrap":
            scale = 1 / (count - 1)
        else:
            raise LiteracyError("Replicate weights of type 'other' need a scale factor.")
    rscales = np.ones(count) if rscales is None else np.asarray(rscales, dtype=float)
    if len(rscales) != count:
        raise LiteracyError(f"{len(rscales)} rscales were given for {count} replicate columns.")
    if df is None:
        df = rank_of(np.unique(matrix, axis=0)) - 1
    return Replicates(
        method=f"supplied-{type}", scale=float(scale), rscales=rscales, df=int(df), mse=mse,
        columns=tuple(columns), matrix=matrix, fay_rho=fay_rho,
    )  # fmt: skip


def _replicate_count(design: Design, method: str, bootstrap: int) -> int:
    """How many replicates a method makes for this design (before making them)."""
    if method in ("jk1", "jkn"):
        return design.n_psus
    if method in ("brr", "fay"):
        return 1 << int(np.ceil(np.log2(design.n_strata + 1)))
    return bootstrap


def _memory_limit() -> float:
    """Bytes replicate weights may take: half the machine's physical memory."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2
    except (ValueError, OSError, AttributeError):  # not POSIX: assume 8 GiB
        return 4 * 2**30


def _check_memory(design: Design, method: str, count: int) -> None:
    """Refuse in one sentence before numpy fails with a MemoryError: the PSU
    multipliers take 8 bytes per PSU and replicate, and a calibrated design
    keeps its recalibrated weights row by row."""
    per_replicate = design.n_psus + (len(design.data) if design.calibration is not None else 0)
    needed = 8.0 * count * per_replicate * 2  # the weights and one working copy
    limit = _memory_limit()
    if needed > limit:
        advice = "ask for fewer replicates" if method == "bootstrap" else "use jkn, bootstrap or Taylor linearisation"
        raise LiteracyError(
            f"{count:,} {method} replicates of this design ({design.n_psus:,} PSUs) need about "
            f"{needed / 2**30:,.1f} GiB of memory, more than the {limit / 2**30:,.1f} GiB available; {advice}."
        )


def replicate_weights(design: Design, r: int) -> np.ndarray:
    """The analysis weights of replicate ``r`` for every row."""
    replicates = design.replicates
    assert replicates is not None
    if replicates.matrix is not None:
        return replicates.matrix[:, r]
    return design.weights * replicates.factors[design.psu_code, r]


# ---------------------------------------------------------------------------


def rank_of(matrix: np.ndarray) -> int:
    if matrix.size == 0:
        return 0
    singular = np.linalg.svd(matrix, compute_uv=False)
    return int((singular > _RANK_TOLERANCE * singular[0]).sum())


def _lonely_error(design: Design, method: str) -> None:
    lonely = design.lonely_strata()
    if lonely and design.lonely_psu == "fail":
        shown = ", ".join(map(str, lonely[:5]))
        raise LiteracyError(
            f"Stratum {shown} has only one PSU, so {method} replicates cannot be formed there; "
            "choose a lonely-PSU rule (remove, certainty, adjust, average) or merge the stratum with a similar one."
        )


def _jk1(design: Design) -> tuple[np.ndarray, float, np.ndarray]:
    """Delete-one-PSU jackknife for unstratified designs (R ``jk1weights``)."""
    if design.n_strata > 1:
        raise LiteracyError("JK1 is for unstratified designs; use jkn (one replicate per PSU within strata).")
    n = design.n_psus
    if n < 2:
        raise LiteracyError("The jackknife needs at least 2 PSUs.")
    factors = np.full((n, n), n / (n - 1))
    np.fill_diagonal(factors, 0.0)
    scale = float(design.fpc_factor[0]) * (n - 1) / n
    return factors, scale, np.ones(n)


def _jkn(design: Design) -> tuple[np.ndarray, float, np.ndarray]:
    """Stratified delete-one-PSU jackknife (R ``jknweights``), with R's handling
    of single-PSU strata."""
    _lonely_error(design, "JKn")
    n_psus, n_strata = design.n_psus, design.n_strata
    columns: list[np.ndarray] = []
    rscales: list[float] = []
    for h in range(n_strata):
        members = np.flatnonzero(design.psu_stratum == h)
        n_h = len(members)
        f_h = float(design.fpc_factor[h])
        if f_h < 1e-7:
            continue  # self-representing stratum: no replicates (survey.drop.replicates)
        if n_h == 1:
            if design.lonely_psu == "adjust":
                column = np.full(n_psus, n_strata / (n_strata - 1))
                column[members] = 0.0
                columns.append(column)
                rscales.append((n_strata - 1) / n_strata)
            continue  # remove / certainty / average: no replicate
        for dropped in members:
            column = np.ones(n_psus)
            column[members] = n_h / (n_h - 1)
            column[dropped] = 0.0
            columns.append(column)
            rscales.append(f_h * (n_h - 1) / n_h)
    if not columns:
        raise LiteracyError("Every stratum was sampled completely (or is a single PSU): there is no sampling variance.")
    scale = 1.0
    if design.lonely_psu == "average" and len(columns) < n_psus:
        scale = n_psus / len(columns)
    return np.column_stack(columns), scale, np.asarray(rscales)


def _sylvester(order: int) -> np.ndarray:
    matrix = np.ones((1, 1))
    while matrix.shape[0] < order:
        matrix = np.block([[matrix, matrix], [matrix, -matrix]])
    return matrix


def _brr(design: Design, rho: float) -> tuple[np.ndarray, float, np.ndarray]:
    """Balanced repeated replication with a Sylvester Hadamard matrix: in each
    replicate one PSU of every stratum gets 2 - rho and the other rho
    (R ``brrweights``; rho = 0 is plain BRR, rho > 0 Fay's method)."""
    wrong = np.flatnonzero(design.n_psu != 2)
    if len(wrong):
        shown = ", ".join(f"{design.stratum_labels[h]} ({design.n_psu[h]} PSUs)" for h in wrong[:5])
        raise LiteracyError(
            f"BRR needs exactly 2 PSUs in every stratum; {shown} differ. Merge or split PSUs, or use jkn or bootstrap."
        )
    n_strata = design.n_strata
    order = 1
    while order < n_strata + 1:
        order *= 2
    hadamard = _sylvester(order)[1 : n_strata + 1]  # strata x replicates; row 0 (all ones) unused, as R
    # The PSU of each stratum that appears first in the data takes the +1
    # entries, as R orders PSUs by first appearance.
    first_row = np.full(design.n_psus, len(design.psu_code))
    np.minimum.at(first_row, design.psu_code, np.arange(len(design.psu_code)))
    by_stratum_then_row = np.lexsort((first_row, design.psu_stratum))
    first = np.zeros(design.n_psus, dtype=bool)
    first[by_stratum_then_row[np.unique(design.psu_stratum[by_stratum_then_row], return_index=True)[1]]] = True
    sign = hadamard[design.psu_stratum]  # PSUs x replicates
    chosen = np.where(first[:, None], sign > 0, sign < 0)
    factors = np.where(chosen, 2.0 - rho, rho)
    scale = 1.0 / (order * (1.0 - rho) ** 2)
    return factors, scale, np.ones(order)


def _rao_wu_bootstrap(design: Design, replicates: int, seed: int | None) -> tuple[np.ndarray, float, np.ndarray]:
    """Rao-Wu rescaling bootstrap with n_h - 1 PSUs drawn per stratum
    (R ``subbootweights``: factor = count x n_h / (n_h - 1), scale 1/(R - 1))."""
    _lonely_error(design, "bootstrap")
    rng = np.random.default_rng(seed)
    n_psus = design.n_psus
    order = np.argsort(design.psu_stratum, kind="stable")
    starts = np.concatenate([[0], np.cumsum(design.n_psu)[:-1]])
    factors = np.ones((n_psus, replicates))
    sampled = design.n_psu >= 2
    for h in np.flatnonzero(sampled):  # one vectorised draw per stratum
        n_h = int(design.n_psu[h])
        members = order[starts[h] : starts[h] + n_h]
        draws = rng.integers(0, n_h, size=(n_h - 1, replicates))
        stratum_counts = np.zeros((n_h, replicates))
        np.add.at(stratum_counts, (draws, np.arange(replicates)[None, :]), 1.0)
        factors[members] = stratum_counts * n_h / (n_h - 1)
    return factors, 1.0 / (replicates - 1), np.ones(replicates)
