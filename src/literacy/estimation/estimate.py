"""Design-based estimates by domain: the table every later step reads.

``estimate(design, outcome, by=...)`` returns one row per domain, always in
the same shape:

* ``breakdown``: which breakdown the row belongs to, the ``by`` columns joined
  by ``*`` (``city``, ``city*sex``) or ``all`` for the whole population;
* the domain columns under their own names (each followed by
  ``<column>_label`` when it has value labels), holding ``<NA>`` (``pd.NA``,
  nullable dtypes) in the rows of breakdowns that do not use them;
* ``level`` for the distribution of a categorical outcome;
* the fixed columns ``estimate, se, ci_lower, ci_upper, df, n, deff, cv,
  flags`` (:data:`FIXED_COLUMNS`) and the diagnostics ``population, n_eff``.

Later steps find the domain columns as the columns between ``breakdown`` and
``estimate`` (:func:`literacy.labels.domain_columns`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from literacy.design import Design
from literacy.errors import LiteracyError, spell
from literacy.estimation.intervals import mean_interval, proportion_interval, t_quantile
from literacy.estimation.variance import (
    DomainRows,
    design_df,
    domain_sums,
    domain_totals,
    replicate_df,
    replicate_estimates,
    replicate_variance,
    taylor_variance,
)
from literacy.labels import add_labels
from literacy.vocabulary import CI_METHODS, LABEL_MODES, MISSING_OUTCOME, STATISTICS

# Rows whose outcome is missing: "na.rm" keeps them in each domain's design,
# as R's svyby(..., svyciprop, na.rm = TRUE) does (they count in the domain's
# degrees of freedom and in Korn-Graubard's nrow(design) - 1); "subset" drops
# them first, as R's subset(design, !is.na(y)).
FIXED_COLUMNS = ["estimate", "se", "ci_lower", "ci_upper", "df", "n", "deff", "cv", "flags"]
"""The columns every estimates table has after its domain columns, in this order."""
EXTRA_COLUMNS = ["population", "n_eff"]
BREAKDOWN = "breakdown"
"""The first column of every estimates table: the ``by`` spec of the row (``city*sex``, or ``all``)."""
WHOLE_POPULATION = "all"


@dataclass(frozen=True)
class Reliability:
    """When an estimate is flagged as unreliable. Defaults follow the NCHS
    presentation standards for proportions (Parker et al. 2017): effective
    sample size below 30, degrees of freedom below 8, an interval 0.30 wide or
    more, or a relative width above 130%."""

    min_n_eff: float = 30.0
    min_df: float = 8.0
    max_ci_width: float = 0.30
    max_relative_ci_width: float = 1.30


By = str | Sequence[str] | Sequence[Sequence[str]] | None


def by_specs(by: By) -> list[list[str]]:
    """``"city"`` -> one spec; ``["city", "sex"]`` -> one crossed spec;
    ``[["city"], ["city", "sex"]]`` -> two specs; None or ``[]`` -> the whole
    population (``[[]]``); an empty spec inside a list (``[[], ["city"]]``) is
    the whole population stacked with the others."""
    if by is None or (not isinstance(by, str) and len(by) == 0):
        return [[]]
    if isinstance(by, str):
        return [[by]]
    if all(isinstance(b, str) for b in by):
        return [[str(b) for b in by]]
    specs = []
    for b in by:
        if isinstance(b, str):
            specs.append([b])
        elif isinstance(b, (list, tuple)) and all(isinstance(c, str) for c in b):
            specs.append(list(b))
        else:
            raise LiteracyError(
                f"by takes column names: 'city', ['city', 'sex'] (crossed) or [['city'], ['sex']] (stacked); "
                f"{b!r} in {by!r} is not one."
            )
    return specs


def breakdown_name(spec: Sequence[str]) -> str:
    """The ``breakdown`` value of a spec: ``city*sex``, or ``all`` for none."""
    return "*".join(spec) if spec else WHOLE_POPULATION


def estimate(
    design: Design,
    outcome: str,
    by: By = None,
    *,
    statistic: str = "auto",
    ci: str = "logit",
    level: float = 0.95,
    reliability: Reliability | None = None,
    missing_outcome: str = "na.rm",
    labels: str = "both",
    lang: str = "zh",
) -> pd.DataFrame:
    """Estimate a proportion (0/1 outcome), a mean, or the distribution of a
    categorical outcome, for the whole population or each domain of ``by``.
    ``statistic="auto"`` takes a 0/1 or boolean outcome as a proportion and
    text or categories as a distribution; any other numbers raise an error,
    because a mean of codes is only right when asked for (``"mean"``).

    ``by`` says which domains, and the table has the same shape whatever it is:

    * ``"city"``: one row per city; ``["city", "sex"]``: one row per city and
      sex (crossed);
    * ``[["city"], ["sex"]]``: the two breakdowns stacked (rows per city, then
      rows per sex); ``[[], ["city"]]`` adds the whole population first;
    * None or ``[]``: one row for the whole population.

    The first column, ``breakdown``, names each row's breakdown (``city``,
    ``city*sex``, ``all``); domain columns a row's breakdown does not use hold
    ``<NA>``. The columns after the domain columns are
    :data:`FIXED_COLUMNS`, then ``population`` and ``n_eff``.
    ``missing_outcome``: rows whose outcome is missing stay in each domain's
    design (``"na.rm"``, R's ``svyciprop(..., na.rm = TRUE)`` in ``svyby``) or
    are dropped first (``"subset"``); it changes df and Korn-Graubard intervals.
    ``labels``: ``"both"`` puts ``<column>_label`` (in ``lang``) beside each
    labelled domain column, ``"labels"`` replaces the codes, ``"codes"`` adds none."""
    if ci not in CI_METHODS:
        raise LiteracyError(f"Interval method {ci!r} is unknown; use one of {', '.join(CI_METHODS)}.")
    if not 0 < level < 1:
        raise LiteracyError(f"The confidence level must be between 0 and 1 (e.g. 0.95), not {level}.")
    if labels not in LABEL_MODES:
        raise LiteracyError(f"labels must be one of {', '.join(LABEL_MODES)}, not {labels!r}.")
    if missing_outcome not in MISSING_OUTCOME:
        raise LiteracyError(
            f"missing_outcome must be one of {', '.join(MISSING_OUTCOME)}, not {missing_outcome!r}."
        )
    reliability = reliability or Reliability()
    values, kind, levels = _outcome(design.plain, outcome, statistic)
    specs = by_specs(by)
    if any(BREAKDOWN in spec for spec in specs):
        raise LiteracyError(
            f"A by column may not be called {BREAKDOWN!r}: every estimates table starts with a {BREAKDOWN!r} "
            "column naming each row's breakdown; rename the data's column."
        )
    frames = []
    for spec in specs:
        codes, keys = _domains(design.plain, spec)
        frames.append(
            _estimate_spec(design, values, kind, levels, codes, keys, ci, level, reliability, missing_outcome)
        )
    for frame, spec in zip(frames, specs, strict=True):
        frame.insert(0, BREAKDOWN, breakdown_name(spec))
    result = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    domain_columns = list(dict.fromkeys(c for spec in specs for c in spec))
    for column in domain_columns:
        result[column] = _nullable(result[column])
    result[BREAKDOWN] = result[BREAKDOWN].astype("string")
    leading = [BREAKDOWN] + domain_columns + (["level"] if kind == "distribution" else [])
    result = result[leading + FIXED_COLUMNS + EXTRA_COLUMNS]
    labelled = {column: column for column in domain_columns} | ({"level": outcome} if kind == "distribution" else {})
    result = add_labels(result, design.data, labelled, labels, lang)
    result.attrs = {
        "estimate": {
            "outcome": outcome,
            "statistic": kind,
            "ci_method": ci if kind != "mean" else "wald",
            "level": level,
            "by": specs,
            "missing_outcome": missing_outcome,
            "outcome_missing_rows": int(np.isnan(values[:, 0]).sum()),
            "declared_missing": design.declared_missing,
            "variance": _variance_description(design),
            "lonely_psu": design.lonely_psu,
            "reliability": reliability.__dict__,
        }
    }
    return result


def _nullable(values: pd.Series) -> pd.Series:
    """A domain column with one missing-value marker, ``pd.NA``: text as
    ``string``, whole numbers as ``Int64``, other numbers as ``Float64``,
    categories as their values' type (the rows of stacked breakdowns that do
    not use the column are missing in it)."""
    converted = values.astype(object).convert_dtypes()
    if converted.dtype == object:  # mixed values: keep them, one marker
        converted = converted.where(converted.notna(), pd.NA)
    return converted


def _variance_description(design: Design) -> dict:
    if design.replicates is not None:
        rep = design.replicates
        recalibrated = ", each recalibrated" if design.calibration is not None else ""
        return {"method": f"replicates ({rep.method}{recalibrated})", "replicates": rep.count, "scale": rep.scale,
                "mse": rep.mse, "df": rep.df, "seed": rep.seed}  # fmt: skip
    calibrated = design.calibration.record["method"] if design.calibration is not None else None
    method = f"taylor, calibrated ({calibrated})" if calibrated else "taylor"
    return {"method": method, "weight": design.weight, "strata": design.strata, "psu": design.psu,
            "fpc": design.fpc, "strata_count": design.n_strata, "psu_count": design.n_psus}  # fmt: skip


def _outcome(data: pd.DataFrame, outcome: str, statistic: str) -> tuple[np.ndarray, str, list]:
    """Outcome columns (rows x k, NaN = missing), the statistic and the levels."""
    if statistic not in STATISTICS:
        raise LiteracyError(f"Statistic {statistic!r} is unknown; use one of {', '.join(STATISTICS)}.")
    if outcome not in data.columns:
        columns = ", ".join(map(str, list(data.columns)[:12]))
        raise LiteracyError(f"The outcome column {outcome!r} is not in the data; columns are {columns}.")
    series = data[outcome]
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype)
    if statistic == "auto":
        if not numeric:
            statistic = "distribution"
        else:
            # Only a 0/1 outcome has an obvious statistic; averaging codes
            # such as 0/1/2 is a choice the user must make (statistic="mean").
            # (hashed, then the few distinct values sorted: sorting 1M rows cost 30 ms)
            present = np.sort(pd.unique(np.asarray(series.dropna(), dtype=float)))
            if not set(present.tolist()) <= {0.0, 1.0}:
                shown = ", ".join(_number_text(v) for v in present[:5]) + (", ..." if len(present) > 5 else "")
                mean = spell("--statistic mean", 'statistic="mean"')
                distribution = spell("--statistic distribution", 'statistic="distribution"')
                raise LiteracyError(
                    f"The outcome {outcome!r} is not 0/1 (it holds {shown}), so pass {mean} for its mean or "
                    f"{distribution} for the share at each value."
                )
            statistic = "proportion"
    if statistic == "distribution":
        if isinstance(series.dtype, pd.CategoricalDtype):
            levels = [level for level in series.cat.categories]
        else:
            levels = sorted(pd.unique(series.dropna()), key=lambda v: (str(type(v)), v))
        if not levels:
            raise LiteracyError(f"The outcome {outcome!r} has no values.")
        codes = pd.Categorical(series, categories=levels).codes
        values = (codes[:, None] == np.arange(len(levels))[None, :]).astype(float)
        values[codes < 0] = np.nan
        return values, "distribution", levels
    if not numeric:
        raise LiteracyError(
            f"The outcome {outcome!r} is not numeric; use "
            f"{spell('--statistic distribution', 'statistic=' + chr(34) + 'distribution' + chr(34))} for categories."
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)[:, None]
    if statistic == "proportion":
        present = values[~np.isnan(values)]
        if not np.isin(present, (0.0, 1.0)).all():
            bad = sorted(set(present[~np.isin(present, (0.0, 1.0))].tolist()))[:5]
            raise LiteracyError(f"A proportion needs a 0/1 outcome; {outcome!r} also holds {bad}.")
    return values, statistic, []


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _domains(data: pd.DataFrame, spec: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    if not spec:
        return np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=[0])
    absent = [c for c in spec if c not in data.columns]
    if absent:
        raise LiteracyError(f"The by column(s) {', '.join(absent)} are not in the data.")
    grouped = data[spec].groupby(spec, sort=True, dropna=True, observed=True)
    codes = grouped.ngroup().fillna(-1).to_numpy(dtype=np.int64)
    keys = grouped.size().index.to_frame(index=False)
    return codes, keys


def _used_rows(codes: np.ndarray, values: np.ndarray, n_domains: int) -> DomainRows:
    used = (codes >= 0) & ~np.isnan(values[:, 0])
    rows = np.flatnonzero(used)
    return DomainRows(rows=rows, domain=codes[rows], values=values[rows], n_domains=n_domains)


def _estimate_spec(
    design: Design,
    values: np.ndarray,
    kind: str,
    levels: list,
    codes: np.ndarray,
    keys: pd.DataFrame,
    ci: str,
    level: float,
    reliability: Reliability,
    missing_outcome: str,
) -> pd.DataFrame:
    used = _used_rows(codes, values, len(keys))
    # The rows that make up each domain's design: with "na.rm" those whose
    # outcome is missing too (R degf and nrow on the svyby subset).
    in_design = used if missing_outcome == "subset" else _used_rows(codes, np.zeros((len(codes), 1)), len(keys))
    design_rows = np.bincount(in_design.domain, minlength=len(keys))
    totals = domain_totals(design, used)
    theta = totals.ratio  # domains x columns
    logit_variance = None
    if design.replicates is not None:
        thetas = replicate_estimates(design, used)
        variance, dropped = replicate_variance(design, thetas, theta)
        if kind != "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                logit_variance, _ = replicate_variance(design, _logit(thetas), _logit(theta))
        df = replicate_df(design, in_design).astype(float)
    else:
        linearised = _linearise(
            design.weights[used.rows], used.values, theta[used.domain], totals.weight[used.domain, None]
        )
        variance = taylor_variance(design, used, np.nan_to_num(linearised))
        dropped = np.zeros_like(variance, dtype=int)
        df = design_df(design, in_design).astype(float)
    if kind != "mean":
        # Rounding leaves ~1e-35 where the variance is zero (one PSU, p in
        # {0, 1}); an effective size above 1e13 is taken as exactly zero.
        with np.errstate(invalid="ignore"):
            variance = np.where(variance <= 1e-13 * theta * (1 - theta), 0.0, variance)
    deff = _design_effect(design, used, totals, theta, variance)
    frames = []
    for k in range(theta.shape[1]):
        frame = keys.copy()
        if kind == "distribution":
            frame["level"] = levels[k]
        frame = pd.concat(
            [frame, _columns(kind, theta[:, k], variance[:, k], df, totals, design_rows, deff[:, k], dropped[:, k],
                             ci, level, reliability, None if logit_variance is None else logit_variance[:, k])],
            axis=1,
        )  # fmt: skip
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _linearise(weights: np.ndarray, values: np.ndarray, ratio: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Linearised values of a ratio estimator, row by row: w (y - theta) / N
    (Woodruff; R ``svymean`` passes x * w / sum(w) after centring)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return weights[:, None] * (values - ratio) / total


def _design_effect(design: Design, used: DomainRows, totals, theta: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Variance over the variance under simple random sampling of the same
    number of respondents (R ``svymean(deff=TRUE)``): without replacement when
    the weights sum to a population larger than the sample, otherwise with
    replacement (R ``deff="replace"``), since weights scaled to the sample
    size say nothing about the population size."""
    w = design.weights[used.rows]
    n = totals.rows_weighted.astype(float)
    population = totals.weight
    squares = domain_sums(used.domain, w[:, None] * (used.values - theta[used.domain]) ** 2, used.n_domains)
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = squares / population[:, None] * (n / (n - 1))[:, None]
        srs = np.where(population > n, (population - n) / (population * n), 1.0 / n)[:, None] * s2
        return variance / srs


def _columns(
    kind: str,
    theta: np.ndarray,
    variance: np.ndarray,
    df: np.ndarray,
    totals,
    design_rows: np.ndarray,
    deff: np.ndarray,
    dropped: np.ndarray,
    ci: str,
    level: float,
    reliability: Reliability,
    logit_variance: np.ndarray | None,
) -> pd.DataFrame:
    rows = totals.rows
    se = np.sqrt(variance)
    if kind == "mean":
        lower, upper = mean_interval(theta, variance, df, level)
        boundary = np.zeros(len(theta), dtype=bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = np.where(deff > 0, totals.rows_weighted / deff, np.nan)
    else:
        lower, upper, boundary = proportion_interval(
            ci, theta, variance, df, rows, level, logit_variance, design_rows=design_rows
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = np.where(variance > 0, theta * (1 - theta) / variance, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = se / theta
    flags = _flags(kind, theta, n_eff, rows, df, lower, upper, boundary, dropped, reliability)
    return pd.DataFrame(
        {
            "estimate": theta,
            "se": se,
            "ci_lower": lower,
            "ci_upper": upper,
            "df": df,
            "n": rows.astype(np.int64),
            "deff": deff,
            "cv": cv,
            "flags": flags,
            "population": totals.weight,
            "n_eff": n_eff,
        }
    )


def _logit(p: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(p / (1 - p))


def _flags(kind, theta, n_eff, rows, df, lower, upper, boundary, dropped, reliability) -> np.ndarray:
    """Short reasons a report can show next to a greyed-out cell, joined by
    ";" (empty when the estimate is reliable); built flag by flag over all
    domains at once."""
    width = upper - lower
    capped = np.where(np.isnan(n_eff), rows, np.minimum(n_eff, rows))  # NCHS: deff below 1 counts as 1
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = width / theta
    no_data = rows == 0
    no_weight = ~no_data & np.isnan(theta)
    estimated = ~no_data & ~no_weight
    proportion = kind != "mean"
    rules = [
        (no_data, "no_data"),
        (no_weight, "no_weight"),
        (estimated & boundary & ((theta == 0) | (theta == 1)), "boundary_one_sided_ci"),
        (estimated & boundary & (theta > 0) & (theta < 1), "zero_variance"),
        (estimated & (df <= 0), "df_nonpositive"),
        (estimated & (df > 0) & (df < reliability.min_df), "low_df"),
        (estimated & proportion & (capped < reliability.min_n_eff), "low_n_eff"),
        (estimated & proportion & (width >= reliability.max_ci_width), "wide_ci"),
        (estimated & proportion & ~(width >= reliability.max_ci_width) & (relative > reliability.max_relative_ci_width),
         "wide_relative_ci"),
        (estimated & (dropped > 0), np.char.add("replicates_dropped_", dropped.astype(int).astype(str))),
    ]  # fmt: skip
    flags = np.full(len(theta), "", dtype=object)
    for mask, label in rules:
        joined = np.where(flags == "", label, flags + ";" + np.asarray(label, dtype=object))
        flags = np.where(mask, joined, flags)
    return flags


Domain = Mapping[str, object] | None
CONTRAST_COLUMNS = ["first", "second", "estimate_first", "estimate_second", "estimate", "se", "ci_lower", "ci_upper",
                    "df", "p_value"]  # fmt: skip


def contrast(
    design: Design,
    outcome: str,
    first: Mapping[str, object],
    second: Mapping[str, object] | None = None,
    *,
    statistic: str = "auto",
    level: float = 0.95,
) -> pd.DataFrame:
    """The difference first - second of a proportion or mean between two
    domains (``{"sex": "male"}``; ``second=None`` is the whole population),
    with the covariance the design induces between them: the linearised values
    of the two domains are subtracted row by row before the variance is taken
    (R ``svyby(..., covmat=TRUE)`` then ``svycontrast``). ``statistic`` is
    "auto" (a 0/1 outcome), "proportion" or "mean", as in ``estimate``."""
    table, errors = contrasts(design, outcome, [(first, second)], statistic=statistic, level=level)
    if errors[0]:
        raise LiteracyError(errors[0])
    return table[CONTRAST_COLUMNS]


def contrasts(
    design: Design,
    outcome: str,
    pairs: Sequence[tuple[Domain, Domain]],
    *,
    statistic: str = "auto",
    level: float = 0.95,
) -> tuple[pd.DataFrame, list[str]]:
    """Every ``(first, second)`` pair of :func:`contrast`: one row per pair
    (:data:`CONTRAST_COLUMNS`, then ``n_first, n_second``, the rows with an
    outcome in each domain, and ``df_first, df_second``, each domain's own
    degrees of freedom) and, per pair, the sentence saying why it has no
    estimate ("" when it has one; its numbers are then missing). The pairs
    share the rows of each (column, value), so the disparities of a national
    run compare each column once, not once per contrast (issue 15). Each
    pair's variance is taken over its own rows: stacking the pairs into one
    pass was tried and was slower (tables of pairs x PSUs leave the cache)."""
    data = design.plain
    # Each group's interviews with an outcome are counted whatever happens to
    # the contrast (a group nobody is in counts 0, the other group its own).
    present = data[outcome].notna().to_numpy() if outcome in data.columns else np.zeros(len(data), dtype=bool)
    errors = [""] * len(pairs)
    counts = np.zeros((len(pairs), 2), dtype=np.int64)
    group_df = np.full((len(pairs), 2), np.nan)
    numbers = np.full((len(pairs), len(CONTRAST_COLUMNS) - 2), np.nan)  # estimate_first ... p_value
    masks: dict[tuple[str, object], np.ndarray] = {}
    found: list[list[np.ndarray] | None] = []
    for index, pair in enumerate(pairs):
        both = []
        for side, domain in enumerate(pair):
            try:
                mask = _domain_mask(design, domain, masks)
            except LiteracyError as error:
                errors[index] = errors[index] or str(error)  # the first domain's reason first
                continue
            counts[index, side] = np.count_nonzero(present & mask)
            rows = np.flatnonzero(mask)
            # The group's own df (PSUs - strata of its rows, as its estimate has):
            # the gap's variance leans on it even when the pair's df is larger.
            group_df[index, side] = design_df(design, DomainRows(rows, np.zeros(len(rows), dtype=np.int64),
                                                                 np.zeros((len(rows), 1)), 1))[0]  # fmt: skip
            both.append(mask)
        found.append(None if errors[index] else both)
    try:
        values, kind, _ = design.memo(("outcome", outcome, statistic),
                                      lambda: _outcome(data, outcome, statistic))  # fmt: skip
        if kind == "distribution":
            raise LiteracyError("Contrasts need a 0/1 or numeric outcome.")
    except LiteracyError as error:  # the outcome's problem is every pair's reason
        return _contrast_table(pairs, numbers, counts, group_df), [str(error)] * len(pairs)
    valid = ~np.isnan(values[:, 0])
    for index, both in enumerate(found):
        if both is None:
            continue
        # Two domains as two columns of one "domain": each row carries its
        # membership, so one pass gives both estimates and their covariance.
        rows = np.flatnonzero(valid & (both[0] | both[1]))
        member = np.column_stack([m[rows] for m in both]).astype(float)
        try:
            theta, variance, df = _contrast_variance(design, rows, member, values[rows, 0])
        except LiteracyError as error:
            errors[index] = str(error)
            continue
        difference = theta[0] - theta[1]
        se = np.sqrt(variance)
        t = float(t_quantile(level, np.array([df]))[0])
        p_value = float(2 * special.stdtr(df, -abs(difference) / se)) if se > 0 and df > 0 else np.nan
        numbers[index] = [theta[0], theta[1], difference, se, difference - t * se, difference + t * se, df, p_value]
    return _contrast_table(pairs, numbers, counts, group_df), errors


def _contrast_table(
    pairs: Sequence[tuple[Domain, Domain]], numbers: np.ndarray, counts: np.ndarray, group_df: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "first": [_describe(first) for first, _ in pairs],
            "second": [_describe(second) for _, second in pairs],
            **{column: numbers[:, k] for k, column in enumerate(CONTRAST_COLUMNS[2:])},
            "n_first": counts[:, 0],
            "n_second": counts[:, 1],
            "df_first": group_df[:, 0],
            "df_second": group_df[:, 1],
        }
    )


def _contrast_variance(
    design: Design, rows: np.ndarray, member: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """The two domains' estimates, and the variance and df of their
    difference, from the rows in either (``member``: 0/1 per domain)."""
    w = design.weights[rows]
    totals = (w[:, None] * member).sum(axis=0)
    if (totals <= 0).any():
        which = "first" if totals[0] <= 0 else "second"
        raise LiteracyError(f"The {which} domain of the contrast has no respondents with a weight and an outcome.")
    theta = (w[:, None] * member * y[:, None]).sum(axis=0) / totals
    used = DomainRows(rows=rows, domain=np.zeros(len(rows), dtype=np.int64), values=member * y[:, None], n_domains=1)
    if design.replicates is not None:
        replicate_used = DomainRows(rows=rows, domain=np.zeros(len(rows), dtype=np.int64),
                                    values=np.column_stack([member * y[:, None], member]), n_domains=1)  # fmt: skip
        sums = replicate_estimates(design, replicate_used)[:, 0, :]  # replicates x 4, ratios to the union total
        thetas = (sums[:, 0] / sums[:, 2] - sums[:, 1] / sums[:, 3])[:, None, None]
        variance, _ = replicate_variance(design, thetas, np.array([[theta[0] - theta[1]]]))
        return theta, float(variance[0, 0]), float(design.replicates.df)
    linearised = _linearise(w, member * y[:, None], member * theta[None, :], totals[None, :])
    difference = (linearised[:, 0] - linearised[:, 1])[:, None]
    variance = float(taylor_variance(design, used, difference)[0, 0])
    return theta, variance, float(design_df(design, used)[0])


def _domain_mask(
    design: Design, domain: Mapping[str, object] | None, masks: dict[tuple[str, object], np.ndarray] | None = None
) -> np.ndarray:
    """Rows where every column equals its value (``data[column] == value``),
    compared on the column's distinct values: the design keeps each column
    factorised, so the many contrasts of ``disparities`` do not compare a
    million strings each time; ``masks`` keeps each (column, value)'s rows
    for the next domain that asks."""
    data = design.plain
    if domain is None:
        return np.ones(len(data), dtype=bool)
    masks = {} if masks is None else masks
    mask = np.ones(len(data), dtype=bool)
    for column, value in domain.items():
        if column not in data.columns:
            raise LiteracyError(f"The domain column {column!r} is not in the data.")
        key = (column, value)
        if key not in masks:
            codes, uniques = design.factorized(column)
            equal = pd.Series(uniques, dtype=data[column].dtype).eq(value).to_numpy(dtype=bool, na_value=False)
            masks[key] = np.append(equal, False)[codes]  # code -1 (missing) is never equal
        mask &= masks[key]
    if not mask.any():
        raise LiteracyError(f"No respondent is in the domain {_describe(domain)}.")
    return mask


def _describe(domain: Mapping[str, object] | None) -> str:
    if domain is None:
        return "all"
    return ", ".join(f"{k}={v}" for k, v in domain.items())
