"""How many interviews a city needs, and how to spread a total over cities.

Formulas (each function returns its inputs with the result, so the CLI can
print how the number was reached):

* Precision (Cochran 1977, *Sampling Techniques*, eq. 4.2 and 4.3):
  ``n0 = z^2 p (1 - p) / e^2`` for an absolute margin ``e`` (a relative margin
  ``r`` means ``e = r p``); with a finite population ``n = n0 / (1 + (n0 - 1) / N)``.
* Design effect (Kish 1965, *Survey Sampling*, 5.4; Kish 1992, "Weighting for
  unequal Pi"): ``deff = (1 + (m - 1) icc) (1 + cv_w^2)``: clustering of ``m``
  interviews per PSU with intra-class correlation ``icc``, times the weighting
  effect of weights with coefficient of variation ``cv_w``.
* Power to show a city is above or below its target ``p0`` when the true rate
  is ``p1`` (one-sided test of one proportion; Lemeshow, Hosmer, Klar & Lwanga
  1990, *Adequacy of Sample Size in Health Studies*, ch. 1):
  ``n = (z_{1-a} sqrt(p0 q0) + z_{1-b} sqrt(p1 q1))^2 / (p1 - p0)^2``, times deff.
* Response: interviews to issue = completes / response rate.

Allocation over cities or strata (``allocate``): proportional, equal, Neyman
(``n_h ∝ N_h S_h``, S_h = sqrt(p_h (1 - p_h)); Cochran 5.25) and power
allocation (Bankier 1988, *Power allocations*: ``n_h ∝ N_h^q``, q = 0 equal,
q = 1 proportional, q = 0.5 a compromise between national and city precision),
each with a minimum per unit and rounded so the parts add up to the total.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from literacy.errors import LiteracyError, spell
from literacy.vocabulary import ALLOCATIONS


@dataclass(frozen=True)
class SampleSize:
    """The inputs and every step of the calculation."""

    p: float
    margin: float  # absolute margin of error used
    level: float
    z: float
    n0: float  # simple random sample size, infinite population
    deff: float
    n_deff: float
    population: float | None
    n_fpc: float
    response_rate: float
    completes: int  # interviews needed
    issued: int  # interviews to issue (sample to draw)
    method: str

    def as_dict(self) -> dict[str, float | int | str | None]:
        return asdict(self)


def design_effect(cluster_size: float = 1.0, icc: float = 0.0, weight_cv: float = 0.0) -> float:
    """Kish: (1 + (m - 1) icc) x (1 + cv^2)."""
    if cluster_size < 1 or not 0 <= icc <= 1 or weight_cv < 0:
        raise LiteracyError("Cluster size must be at least 1, the ICC from 0 to 1, and the weight CV non-negative.")
    return (1 + (cluster_size - 1) * icc) * (1 + weight_cv**2)


def sample_size(
    p: float,
    *,
    margin: float | None = None,
    relative_margin: float | None = None,
    level: float = 0.95,
    deff: float = 1.0,
    population: float | None = None,
    response_rate: float = 1.0,
) -> SampleSize:
    """Interviews needed to estimate a proportion ``p`` to within a margin."""
    _check_share(p, "The expected rate")
    if (margin is None) == (relative_margin is None):
        raise LiteracyError("Give either an absolute margin (e.g. 0.02) or a relative one (e.g. 0.15), not both.")
    e = margin if margin is not None else relative_margin * p  # type: ignore[operator]
    if not 0 < e < 1:
        raise LiteracyError(f"The margin of error must be between 0 and 1 (a share), not {e}.")
    z = float(stats.norm.ppf(0.5 + level / 2))
    n0 = z**2 * p * (1 - p) / e**2
    return _finish(p, e, level, z, n0, deff, population, response_rate, "precision")


def power_sample_size(
    target: float,
    expected: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    deff: float = 1.0,
    population: float | None = None,
    response_rate: float = 1.0,
) -> SampleSize:
    """Interviews needed so that a one-sided test at level ``alpha`` shows,
    with probability ``power``, that the rate differs from ``target`` in the
    direction of ``expected``."""
    _check_share(target, "The target")
    _check_share(expected, "The expected rate")
    if expected == target:
        raise LiteracyError("The expected rate equals the target: no sample size can show a difference of zero.")
    if not 0 < alpha < 0.5 or not 0.5 <= power < 1:
        raise LiteracyError("alpha must be between 0 and 0.5 and power between 0.5 and 1.")
    z_alpha = float(stats.norm.ppf(1 - alpha))
    z_beta = float(stats.norm.ppf(power))
    root = z_alpha * math.sqrt(target * (1 - target)) + z_beta * math.sqrt(expected * (1 - expected))
    n0 = root**2 / (expected - target) ** 2
    return _finish(expected, abs(expected - target), 1 - alpha, z_alpha, n0, deff, population, response_rate, "power")


def _finish(p: float, margin: float, level: float, z: float, n0: float, deff: float, population: float | None,
            response_rate: float, method: str) -> SampleSize:  # fmt: skip
    """The steps both sizes share: design effect, finite population
    correction (Cochran 4.3) and response rate."""
    _check_rate(response_rate)
    if deff < 1e-9:
        raise LiteracyError("The design effect must be positive.")
    n_deff = n0 * deff
    n_fpc = n_deff / (1 + (n_deff - 1) / population) if population else n_deff
    completes = math.ceil(n_fpc - 1e-9)
    issued = math.ceil(completes / response_rate - 1e-9)
    return SampleSize(p, margin, level, z, n0, deff, n_deff, population, n_fpc, response_rate, completes, issued,
                      method)  # fmt: skip


def allocate(
    units: pd.DataFrame,
    total: int,
    *,
    method: str = "proportional",
    size: str = "population",
    rate: str | None = None,
    power: float = 0.5,
    minimum: int = 0,
    unit: str | None = None,
) -> pd.DataFrame:
    """Spread ``total`` interviews over the rows of ``units`` (cities or strata).

    ``size`` names the population column; Neyman needs ``rate`` (expected
    proportion per unit). Returns ``units`` with ``share`` and ``n``.
    """
    if method not in ALLOCATIONS:
        raise LiteracyError(f"Allocation {method!r} is unknown; use one of {', '.join(ALLOCATIONS)}.")
    if size not in units:
        raise LiteracyError(f"The units table has no column {size!r} with population sizes.")
    sizes = pd.to_numeric(units[size], errors="coerce").to_numpy(dtype=float)
    if np.isnan(sizes).any() or (sizes <= 0).any():
        raise LiteracyError(f"Column {size!r} must hold positive population sizes.")
    k = len(units)
    if minimum * k > total:
        raise LiteracyError(f"A minimum of {minimum} for {k} units needs {minimum * k} interviews, more than {total}.")
    if method == "proportional":
        raw = sizes
    elif method == "equal":
        raw = np.ones(k)
    elif method == "power":
        raw = sizes**power
    else:
        if rate is None or rate not in units:
            raise LiteracyError(
                f"Neyman allocation needs a column of expected rates per unit ({spell('--rate COLUMN', 'rate=')})."
            )
        p = pd.to_numeric(units[rate], errors="coerce").to_numpy(dtype=float)
        if np.isnan(p).any() or (p <= 0).any() or (p >= 1).any():
            raise LiteracyError(f"Column {rate!r} must hold expected rates strictly between 0 and 1.")
        raw = sizes * np.sqrt(p * (1 - p))
    share = raw / raw.sum()
    n = _with_minimum(share, total, minimum)
    out = units.copy()
    out["share"] = share
    out["n"] = n
    out.attrs = {
        "allocation": {
            "method": method,
            "total": total,
            "minimum": minimum,
            **({"power": power} if method == "power" else {}),
        }
    }
    return out


def _with_minimum(share: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Units below the minimum get it; the rest is shared again among the
    others (repeated until stable), then rounded by largest remainder."""
    fixed = np.zeros(len(share), dtype=bool)
    while True:
        free_total = total - minimum * fixed.sum()
        weights = np.where(fixed, 0.0, share)
        ideal = np.where(fixed, float(minimum), free_total * weights / weights.sum())
        below = ~fixed & (ideal < minimum)
        if not below.any():
            break
        fixed |= below
    floor = np.floor(ideal).astype(int)
    remainder = total - floor.sum()
    order = np.argsort(-(ideal - floor), kind="stable")
    floor[order[:remainder]] += 1
    return floor


def _check_share(value: float, what: str) -> None:
    if not 0 < value < 1:
        raise LiteracyError(f"{what} is a share between 0 and 1 (e.g. 0.12 for 12%), not {value}.")


def _check_rate(rate: float) -> None:
    if not 0 < rate <= 1:
        raise LiteracyError(f"The response rate is a share from 0 (exclusive) to 1, not {rate}.")
