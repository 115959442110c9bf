"""District estimates from the survey itself: direct estimates and design
variances by district (within city) from the weighted design, census
covariates per district, one pooled Fay-Herriot model (:mod:`literacy.smallarea`)
and, when asked, ratio benchmarking of each city's districts to the city's
direct estimate. What ``literacy run`` does with a ``small_area:`` block."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from literacy.design import Design
from literacy.errors import LiteracyError, spell
from literacy.estimation import estimate
from literacy.smallarea import CV_LIMIT, SmallAreaResult, sae
from literacy.smallarea import FLAGS as SMALL_AREA_FLAGS

SMALL_AREA_COLUMNS = ["n", "population", "direct", "direct_se", "direct_ci_lower", "direct_ci_upper", "eblup", "mse",
                      "rmse", "ci_lower", "ci_upper", "shrinkage", "synthetic", "cv", "flags"]  # fmt: skip
_KEY = "_area"


def district_estimates(
    design: Design,
    census: pd.DataFrame,
    *,
    area: str = "district",
    domain: str = "city",
    outcome: str = "literate",
    columns: list[str] | None = None,
    population: str = "population",
    method: str = "reml",
    transformation: str = "none",
    level: float = 0.95,
    bootstrap: int = 200,
    seed: int | None = 1,
    zero_variance: str = "gvf",
    benchmark: bool = False,
    ci: str = "logit",
    source: str = "the covariates table",
) -> SmallAreaResult:
    """Fay-Herriot EBLUPs of ``outcome`` for every area of ``census``.

    Direct estimates and design variances come from :func:`estimate` by
    ``[domain, area]`` on the weighted design, so an area is a district
    *within* a city: district codes may repeat across cities (01, 02, ... in
    each), and the census table is matched on both columns. A census table
    without the domain column is matched on the area alone, which is only
    safe when no code repeats, so that is checked. One model is fitted over
    all cities (pooled, with a city indicator among the covariates):
    with five to fifteen districts a city, a model per city would estimate
    the between-district variance from a handful of points. Areas of the
    census with no interviews get the synthetic estimate. With ``benchmark``
    each city's EBLUPs are scaled (ratio benchmarking, as ``sae`` does for
    one total) so that their population-weighted mean is the city's direct
    estimate; ``mse``/``rmse`` stay the unbenchmarked EBLUP's."""
    data = design.data
    if area not in data.columns:
        raise LiteracyError(f"The area column {area!r} ({spell('small_area.area', 'area=')}) is not in the data.")
    keys = [domain, area] if domain in data.columns else [area]
    direct = estimate(design, outcome, [keys], ci=ci, level=level, labels="codes")
    direct = direct[[*keys, "estimate", "se", "ci_lower", "ci_upper", "n"]].rename(
        columns={"ci_lower": "direct_ci_lower", "ci_upper": "direct_ci_upper"}
    )
    for key in keys:
        direct[key] = direct[key].astype(str)
    census = _census_table(census, keys, area, domain, population, benchmark, source, direct)
    on = [k for k in keys if k in census.columns]
    names = columns if columns is not None else [
        c for c in census.columns
        if c not in (*keys, population) and pd.api.types.is_numeric_dtype(census[c])
    ]  # fmt: skip
    missing = [c for c in names if c not in census.columns]
    if missing:
        raise LiteracyError(f"The covariate {missing[0]!r} ({spell('small_area.columns', 'columns=')}) is not "
                            f"in {source}; it has {', '.join(map(str, census.columns))}.")  # fmt: skip
    if not names:
        raise LiteracyError(f"{source} has no numeric covariate column besides the population; add census shares "
                            "such as urban_share or university_share.")  # fmt: skip
    unknown = direct.merge(census[on].drop_duplicates(), on=on, how="left", indicator=True)
    unknown = unknown.loc[unknown["_merge"] == "left_only", keys]
    if len(unknown):
        shown = ", ".join("/".join(map(str, row)) for row in unknown.head(5).itertuples(index=False))
        raise LiteracyError(f"{len(unknown)} surveyed area(s) ({shown}) are not in {source}; every area needs its "
                            "covariates.")  # fmt: skip
    extra = [population] if population in census.columns else []
    if on != keys:  # matched on the area alone: take the domain from the survey
        census = census.merge(direct[keys].drop_duplicates(), on=area, how="left")
        census[domain] = census[domain].fillna("")
    merged = census[[*keys, *extra, *names]].merge(direct, on=keys, how="left")
    merged[_KEY] = merged[keys].astype(str).agg(" / ".join, axis=1)
    pooled = len(keys) == 2 and merged[domain].nunique() > 1
    model_covariates = ([domain] if pooled else []) + list(names)
    fitted = sae(merged, area=_KEY, estimate="estimate", se="se", covariates=model_covariates, n="n",
                 method=method, level=level, transformation=transformation, bootstrap=bootstrap, seed=seed,
                 zero_variance=zero_variance)  # fmt: skip
    table = merged[[_KEY, *keys, *extra, "direct_ci_lower", "direct_ci_upper"]].merge(
        fitted.table.drop(columns=["n"], errors="ignore"), on=_KEY, how="left"
    )
    table["n"] = merged["n"].fillna(0).astype(int).to_numpy()
    model = dict(fitted.model)
    model.update(
        outcome=outcome,
        area=area,
        domain=domain if len(keys) == 2 else None,
        covariates_table=source,
        covariates=list(names),
        pooled=pooled,
        model_covariates=model_covariates,
        direct="design-based estimate and Taylor/replicate variance by " + " x ".join(keys),
    )
    if benchmark:
        table, model["benchmark"] = _benchmark_by_domain(table, design, keys, domain, population, outcome, ci, level)
    table = table.sort_values(keys, kind="stable").reset_index(drop=True)
    table = table[[*keys, *[c for c in SMALL_AREA_COLUMNS if c in table.columns]]]
    table.attrs = {"small_area": model}
    return SmallAreaResult(table, model)


def _census_table(census: pd.DataFrame, keys: list[str], area: str, domain: str, population: str, benchmark: bool,
                  source: str, direct: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """The census table with its key columns as text, one row per area."""
    census = census.copy()
    if area not in census.columns:
        raise LiteracyError(f"{source} has no {area!r} column; it needs one row per area with the area column "
                            f"({', '.join(keys)}), the population and the covariates.")  # fmt: skip
    on = [k for k in keys if k in census.columns]
    for key in on:
        census[key] = census[key].astype(str)
    if on != keys:
        repeated = direct.groupby(area)[domain].nunique()
        repeated = repeated[repeated > 1]
        if len(repeated):
            raise LiteracyError(f"District code {repeated.index[0]!r} is used in more than one {domain}, so {source} "
                                f"needs a {domain!r} column to tell them apart.")  # fmt: skip
    duplicated = census[census.duplicated(on)]
    if len(duplicated):
        shown = "/".join(map(str, duplicated.iloc[0][on]))
        raise LiteracyError(f"{source} has more than one row for area {shown}; give one row per area.")
    if benchmark and population not in census.columns:
        raise LiteracyError(f"Benchmarking needs the population of each area: {source} has no {population!r} column "
                            f"({spell('small_area.population', 'population=')}).")  # fmt: skip
    return census


def _benchmark_by_domain(table: pd.DataFrame, design: Design, keys: list[str], domain: str, population: str,
                         outcome: str, ci: str, level: float) -> tuple[pd.DataFrame, dict[str, Any]]:  # fmt: skip
    """Ratio benchmarking within each city (Rao & Molina 2015, 6.3.1): the
    EBLUPs and their interval ends times direct_city / (sum N_d eblup_d /
    sum N_d). The districts of a city then add up to its published direct
    estimate, which is what an office reports; the MSE is the EBLUP's."""
    table = table.copy()
    if len(keys) == 2:
        totals = estimate(design, outcome, [[domain]], ci=ci, level=level, labels="codes")
        values = dict(zip(totals[domain].astype(str), totals["estimate"].astype(float), strict=True))
        groups = table.groupby(domain, sort=True).groups
    else:
        whole = estimate(design, outcome, None, ci=ci, level=level, labels="codes")
        values = {"all": float(whole["estimate"].iloc[0])}
        groups = {"all": table.index}
    record: dict[str, Any] = {"kind": "ratio", "by": domain if len(keys) == 2 else None, "population": population,
                              "note": "mse and rmse are the unbenchmarked EBLUP's", "factors": {}}  # fmt: skip
    for name, index in groups.items():
        if str(name) not in values:
            continue
        weights = table.loc[index, population].astype(float)
        before = float((weights * table.loc[index, "eblup"]).sum() / weights.sum())
        if before <= 0:
            off = spell("small_area.benchmark: false", "benchmark=False")
            raise LiteracyError(f"The districts of {name} have EBLUPs of 0, so they cannot be benchmarked to the "
                                f"{domain}'s estimate; give {off}.")  # fmt: skip
        factor = values[str(name)] / before
        for column in ("eblup", "ci_lower", "ci_upper"):
            table.loc[index, column] = table.loc[index, column] * factor
        record["factors"][str(name)] = {"value": values[str(name)], "weighted_mean_before": before, "factor": factor}
    with np.errstate(divide="ignore", invalid="ignore"):
        table["cv"] = np.where(table["eblup"] != 0, table["rmse"] / table["eblup"].abs(), np.nan)
    table["flags"] = [_cv_flag(str(f) if isinstance(f, str) else "", cv) for f, cv in zip(table["flags"], table["cv"],
                                                                                          strict=True)]  # fmt: skip
    return table, record


def _cv_flag(flags: str, cv: float) -> str:
    """The flags with ``cv_above_0.3`` said again for the benchmarked EBLUP."""
    parts = {f for f in flags.split(";") if f} - {"cv_above_0.3"}
    if cv == cv and cv > CV_LIMIT:
        parts.add("cv_above_0.3")
    order = list(SMALL_AREA_FLAGS)
    return ";".join(sorted(parts, key=lambda f: order.index(f) if f in order else len(order)))
