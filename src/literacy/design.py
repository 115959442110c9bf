"""The survey design: weights, strata, PSUs, FPC, lonely-PSU policy, replicates.

One object, as in R's ``survey`` package (``svydesign``/``svrepdesign``):
every estimator takes it, and domains never filter its rows. PSU codes are
nested within strata (R ``nest=TRUE``): code 1 in stratum A and code 1 in
stratum B are different PSUs. Without a PSU column every row is its own PSU;
without strata the design has one stratum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError
from literacy.io.missing import blank_declared_missing
from literacy.vocabulary import LONELY_PSU_RULES

LonelyRule = Literal["fail", "remove", "certainty", "adjust", "average"]


@dataclass(frozen=True)
class Replicates:
    """Replicate weights and how their spread becomes a variance
    (R ``svrVar``: ``scale * sum(rscales * (theta_r - centre)^2)``).

    Generated replicates are PSU multipliers (``factors``, PSUs x replicates)
    applied to the full-sample weights; supplied ones are weight columns.
    """

    method: str
    scale: float
    rscales: np.ndarray
    df: int
    mse: bool = False
    factors: np.ndarray | None = None
    columns: tuple[str, ...] = ()
    matrix: np.ndarray | None = None  # row-level replicate weights (supplied, or recalibrated), rows x replicates
    seed: int | None = None
    fay_rho: float | None = None

    @property
    def count(self) -> int:
        return len(self.rscales)


@dataclass(frozen=True)
class Design:
    """A survey design bound to its data.

    ``fpc`` names a column holding, per stratum, the number of PSUs in the
    population, or the sampling fraction (all values <= 1), as R's ``fpc=``.
    """

    data: pd.DataFrame
    weight: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    lonely_psu: LonelyRule = "fail"
    replicates: Replicates | None = None
    # The calibration the weights came from, carried into the variance (R's
    # rake() returns a design for the same reason): "auto" takes the data's
    # weighting record (attrs, or a CSV's sidecar) and refuses calibrated
    # weights whose record was lost; a WeightingResult (or its record) passes
    # it explicitly; None declares the weights fixed.
    calibration: object = "auto"
    # Derived arrays (filled in __post_init__).
    weights: np.ndarray = field(init=False, repr=False)
    stratum_code: np.ndarray = field(init=False, repr=False)
    psu_code: np.ndarray = field(init=False, repr=False)
    psu_stratum: np.ndarray = field(init=False, repr=False)
    stratum_labels: list = field(init=False, repr=False)
    n_psu: np.ndarray = field(init=False, repr=False)  # PSUs per stratum in the sample
    fpc_factor: np.ndarray = field(init=False, repr=False)  # 1 - sampling fraction, per stratum
    # Values derived from the data on first use (see ``memo``).
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Declared missing codes (SPSS user-missing, Stata/SAS special
        # missing) are missing in every column a design analyses.
        data, _ = blank_declared_missing(self.data)
        object.__setattr__(self, "data", data)
        for role, column in (("weight", self.weight), ("strata", self.strata), ("psu", self.psu), ("fpc", self.fpc)):
            if column is not None and column not in data.columns:
                raise LiteracyError(
                    f"The {role} column {column!r} is not in the data; columns are {_show_columns(data)}."
                )
        if self.lonely_psu not in LONELY_PSU_RULES:
            raise LiteracyError(f"lonely_psu must be one of {', '.join(LONELY_PSU_RULES)}, not {self.lonely_psu!r}.")
        if len(data) == 0:
            raise LiteracyError("The data have no rows; a design needs at least one respondent.")
        set_ = object.__setattr__
        set_(self, "weights", _weights(data, self.weight))
        stratum_code, stratum_labels = _codes(data, self.strata, "strata")
        set_(self, "stratum_code", stratum_code)
        set_(self, "stratum_labels", stratum_labels)
        if self.psu is None:
            psu_code = np.arange(len(data))
        else:
            # Nested within strata: the PSU is the (stratum, psu) pair.
            psu_values, _ = _codes(data, self.psu, "psu")
            pair = stratum_code.astype(np.int64) * (int(psu_values.max()) + 1) + psu_values
            psu_code, _ = pd.factorize(pair, sort=True)  # np.unique's codes, hashed rather than sorted (issue 15)
        set_(self, "psu_code", psu_code.astype(np.int64))
        n_psus = int(psu_code.max()) + 1
        psu_stratum = np.zeros(n_psus, dtype=np.int64)
        psu_stratum[psu_code] = stratum_code
        set_(self, "psu_stratum", psu_stratum)
        n_psu = np.bincount(psu_stratum, minlength=len(stratum_labels))
        set_(self, "n_psu", n_psu)
        set_(self, "fpc_factor", self._fpc_factor(n_psu))
        from literacy.weighting import resolve_calibration

        set_(self, "calibration", resolve_calibration(data, self.weight, self.calibration))

    def __repr__(self) -> str:
        """One line, never the data: ``Design(rows=2009, weight='weight_final',
        strata='district' (30), psu='community' (104), calibrated=rake, replicates=None)``."""
        strata = f"{self.strata!r} ({self.n_strata})" if self.strata is not None else "None"
        psu = f"{self.psu!r} ({self.n_psus})" if self.psu is not None else "None"
        fpc = f", fpc={self.fpc!r}" if self.fpc is not None else ""
        lonely = f", lonely_psu={self.lonely_psu!r}" if self.lonely_psu != "fail" else ""
        calibration = self.calibration
        calibrated = getattr(calibration, "record", {}).get("method") if calibration is not None else None
        replicates = f"{self.replicates.method} ({self.replicates.count})" if self.replicates is not None else "None"
        return (
            f"Design(rows={len(self.data)}, weight={self.weight!r}, strata={strata}, psu={psu}{fpc}{lonely}, "
            f"calibrated={calibrated}, replicates={replicates})"
        )

    # ------------------------------------------------------------------ helpers
    @property
    def declared_missing(self) -> dict[str, int]:
        """Rows per column whose declared missing code was blanked."""
        return dict(self.data.attrs.get("declared_missing_blanked", {}))

    @property
    def n_strata(self) -> int:
        return len(self.stratum_labels)

    @property
    def n_psus(self) -> int:
        return len(self.psu_stratum)

    @property
    def plain(self) -> pd.DataFrame:
        """``data`` without its attrs, to take columns out of: pandas
        deep-copies a frame's attrs (the file's labels, the weighting record
        with its targets) into every column taken out, 1-4 ms a column on a
        calibrated design, 0.2 s of a run's disparities (issue 15). The same
        columns (a shallow copy); read them, never write into them."""

        def without_attrs() -> pd.DataFrame:
            plain = self.data.copy(deep=False)
            plain.attrs = {}
            return plain

        return self.memo(("plain",), without_attrs)

    def memo(self, key: tuple, make: Callable[[], Any]) -> Any:
        """A value derived from the data, made once per design (the data never
        change): contrasts and disparities ask for the same domain codes and
        outcome columns many times over the same million rows (issue 15).
        Arrays returned are shared: read them, never write into them."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def factorized(self, column: str) -> tuple[np.ndarray, Any]:
        """(codes, distinct values) of a data column (``pd.factorize``, -1 for
        missing), made once per design."""
        return self.memo(("factorized", column), lambda: pd.factorize(self.plain[column], use_na_sentinel=True))

    def lonely_strata(self) -> list:
        """Strata with a single PSU that are not self-representing (FPC)."""
        lonely = (self.n_psu == 1) & (self.fpc_factor >= 1e-7)
        return [self.stratum_labels[h] for h in np.flatnonzero(lonely)]

    def with_replicates(
        self,
        method: str,
        *,
        replicates: int = 200,
        seed: int | None = None,
        fay_rho: float = 0.3,
        mse: bool = False,
    ) -> Design:
        """Replicate weights made from this design, as R ``as.svrepdesign``."""
        from literacy.estimation.replicates import make_replicates

        return replace(
            self,
            replicates=make_replicates(self, method, replicates=replicates, seed=seed, fay_rho=fay_rho, mse=mse),
        )

    def with_replicate_columns(self, columns: list[str], **options: Any) -> Design:
        """Replicate weights supplied as columns (R ``svrepdesign`` with
        ``combined.weights=TRUE``: each column is a full analysis weight).
        ``options`` are those of ``estimation.replicates.supplied_replicates``:
        type, scale, rscales, fay_rho, mse, df."""
        from literacy.estimation.replicates import supplied_replicates

        return replace(self, replicates=supplied_replicates(self, columns, **options))

    def _fpc_factor(self, n_psu: np.ndarray) -> np.ndarray:
        if self.fpc is None:
            return np.ones(len(n_psu))
        values = pd.to_numeric(self.data[self.fpc], errors="coerce").to_numpy(dtype=float)
        if np.isnan(values).any():
            raise LiteracyError(
                f"The fpc column {self.fpc!r} has {int(np.isnan(values).sum())} missing or non-numeric value(s)."
            )
        per_stratum = pd.Series(values).groupby(self.stratum_code).agg(["min", "max"])
        varying = per_stratum.index[per_stratum["min"] != per_stratum["max"]]
        if len(varying):
            names = ", ".join(str(self.stratum_labels[h]) for h in varying[:5])
            raise LiteracyError(
                f"The fpc column {self.fpc!r} must be constant within each stratum; it varies in {names}."
            )
        fpc = per_stratum["min"].to_numpy()
        if (fpc <= 0).any():
            raise LiteracyError(f"The fpc column {self.fpc!r} must be positive.")
        if (fpc <= 1).all():
            # Sampling fractions, as R: population PSUs = sample PSUs / fraction.
            population = n_psu / fpc
        else:
            population = fpc
            short = np.flatnonzero(population < n_psu)
            if len(short):
                h = short[0]
                raise LiteracyError(
                    f"The fpc column {self.fpc!r} says stratum {self.stratum_labels[h]} has {population[h]:g} PSUs "
                    f"in the population but the sample has {n_psu[h]}; give the population count of PSUs."
                )
        return (population - n_psu) / population


def _show_columns(data: pd.DataFrame, limit: int = 12) -> str:
    names = [str(c) for c in data.columns]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _weights(data: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.ones(len(data))
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) | np.isinf(values)
    if bad.any():
        raise LiteracyError(
            f"The weight column {column!r} has {int(bad.sum())} missing or non-numeric value(s); "
            "every respondent needs a weight (0 to leave one out)."
        )
    if (values < 0).any():
        raise LiteracyError(f"The weight column {column!r} has {int((values < 0).sum())} negative value(s).")
    if values.sum() <= 0:
        raise LiteracyError(f"The weight column {column!r} sums to zero.")
    return values


def _codes(data: pd.DataFrame, column: str | None, role: str) -> tuple[np.ndarray, list]:
    if column is None:
        return np.zeros(len(data), dtype=np.int64), ["(all)"]
    series = data[column]
    if series.isna().any():
        raise LiteracyError(
            f"The {role} column {column!r} has {int(series.isna().sum())} missing value(s); every row needs one."
        )
    codes, labels = pd.factorize(series, sort=True)
    return codes.astype(np.int64), list(labels)
