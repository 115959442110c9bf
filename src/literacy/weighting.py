"""Weighting to census margins: nonresponse adjustment, post-stratification,
raking, linear (GREG) and bounded calibration, trimming, diagnostics.

Every step starts from base (design) weights, never from ones. The methods
follow R ``survey``:

* ``poststratify``: one (possibly joint) margin, weights x target / weighted
  sample count per cell (``postStratify``).
* ``rake``: iterative proportional fitting over several margins (``rake``),
  iterated to a relative misfit below ``epsilon``.
* ``linear``: GREG calibration, g = 1 + x'lambda (``calibrate(calfun="linear")``);
  with ``bounds`` the adjustment is clipped and solved by Newton steps as R's
  ``grake``.
* ``raking-bounded``: g = exp(x'lambda) clipped to ``bounds``
  (``calibrate(calfun="raking", bounds=)``, Deville & Sarndal 1992).

Per-city weighting interacts every margin with the city, so all cities are
solved at once. After a step the final weights must reproduce every target
within tolerance, or the step stops with the margin that is off.

The weighted table records how it was made (``attrs["weighting"]``), and
:func:`calibration_for` turns that record into the projection the Taylor
variance needs (R ``svyrecvar``: residuals of the linearised values on the
calibration variables, Deville & Sarndal 1992; Lumley 2010 ch. 7).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from literacy.datafiles import read_yaml
from literacy.errors import LiteracyError, spell
from literacy.io import read
from literacy.io.missing import blank_declared_missing
from literacy.vocabulary import WEIGHT_METHODS as METHODS

if TYPE_CHECKING:
    from literacy.design import Design

CELL_SEPARATOR = " | "  # joins the categories of a joint (post-stratification) cell
_TOLERANCE = 1e-8  # relative misfit allowed in the final check of every target


# --------------------------------------------------------------------------- margins


@dataclass(frozen=True)
class Margins:
    """Population targets in long form: ``variable, category, target`` (and
    ``city`` for per-city weighting). A joint margin has ``variable`` like
    ``sex*age_band`` and categories joined by `` | ``."""

    table: pd.DataFrame
    by: str | None = None

    def __repr__(self) -> str:
        groups = f", {self.table['by'].nunique()} {self.by} values" if self.by else ""
        return f"Margins(variables={self.variables}, rows={len(self.table)}, by={self.by!r}{groups})"

    @property
    def variables(self) -> list[str]:
        return list(dict.fromkeys(self.table["variable"]))


class MarginsWarning(UserWarning):
    """A margins file was read by a guess (e.g. per-city targets without ``by=``)."""


def read_margins(path: str | Path, *, by: str | None = None) -> Margins:
    """Read a margins file a statistician types from census tables.

    Long format: columns ``variable, category, target`` (plus ``city`` or the
    ``by`` column). Joint format for post-stratification: one column per cell
    variable and a ``target`` column. Targets are counts, or shares when a
    variable's targets sum to 1.

    ``by`` names the column the targets are per (``by="city"``: each city is
    weighted to its own margins). Without it, a long file whose one extra
    column repeats every ``variable, category`` (one set of targets per city)
    is read per that column, with a :class:`MarginsWarning` saying so; with
    several extra columns the error says which ``by=`` to pass."""
    return margins_from_frame(read(path), by=by, source=str(path))


def margins_from_frame(frame: pd.DataFrame, *, by: str | None = None, source: str = "margins") -> Margins:
    """:func:`read_margins` for a table already in memory (``source`` names it in messages)."""
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if "target" not in columns:
        raise LiteracyError(
            f"{source} needs a target column (and variable, category; or one column per cell variable)."
        )
    long_format = "variable" in columns and "category" in columns
    if by is None and long_format:
        by = _guess_by(frame, columns, source)
    by_column = None
    if by is not None:
        by_column = columns.get(by.lower()) or columns.get("city")
        if by_column is None:
            raise LiteracyError(f"{source} has no {by!r} (or city) column for per-{by} weighting.")
    targets = pd.to_numeric(frame[columns["target"]], errors="coerce")
    if targets.isna().any() or (targets < 0).any():
        raise LiteracyError(f"{source}: every target must be a number of at least 0.")
    if long_format:
        long = pd.DataFrame(
            {"variable": frame[columns["variable"]].map(_label), "category": frame[columns["category"]].map(_label)}
        )
    else:
        cell_columns = [c for c in frame.columns if c not in (columns["target"], by_column)]
        if not cell_columns:
            raise LiteracyError(f"{source} has no cell columns besides the target.")
        long = pd.DataFrame(
            {
                "variable": "*".join(str(c).strip() for c in cell_columns),
                "category": _joint_labels(frame, cell_columns),
            }
        )
    long["target"] = targets.to_numpy(dtype=float)
    long.insert(0, "by", frame[by_column].map(_label) if by_column is not None else "")
    duplicated = long.duplicated(["by", "variable", "category"])
    if duplicated.any():
        first = long[duplicated].iloc[0]
        where = f" for {by_column} {first['by']}" if by_column is not None else ""
        raise LiteracyError(f"{source} lists {first['variable']}={first['category']}{where} twice.")
    return Margins(long.reset_index(drop=True), by)


_LONG_COLUMNS = ("variable", "category", "target")


def _guess_by(frame: pd.DataFrame, columns: Mapping[str, object], source: str) -> str | None:
    """The ``by`` column of a long margins file read without ``by=``: needed
    only when some ``variable, category`` is listed more than once; guessed
    (with a warning) when exactly one other column tells those rows apart."""
    keys = [frame[columns[name]].map(_label) for name in ("variable", "category")]
    repeated = pd.DataFrame({"variable": keys[0], "category": keys[1]}).duplicated()
    if not repeated.any():
        return None
    extra = [str(c) for name, c in columns.items() if name not in _LONG_COLUMNS]
    first = f"{keys[0][repeated].iloc[0]}={keys[1][repeated].iloc[0]}"
    if not extra:
        raise LiteracyError(f"{source} lists {first} twice.")
    if len(extra) > 1:
        options = " or ".join(f"by={c!r}" for c in extra)
        raise LiteracyError(
            f"{source} lists {first} more than once, with columns {', '.join(extra)} besides variable, category and "
            f"target; say which one the targets are per: "
            f"{spell(f'--by-city {extra[0]} (literacy run: weighting.by)', f'read_margins(..., {options})')}."
        )
    guessed = extra[0]
    warnings.warn(
        f"{source} lists {first} once per {guessed}, so its targets are read per {guessed} "
        f"(by={guessed!r}); pass {spell(f'--by-city {guessed}', f'by={guessed!r}')} to say so.",
        MarginsWarning,
        stacklevel=4,
    )
    return guessed


def apply_collapse(data: pd.DataFrame, margins: Margins, rules: Mapping[str, Mapping[str, str]]) -> tuple:
    """Map categories together in the data and the margins, summing targets
    (a ``--collapse`` YAML file: ``{variable: {category: merged_category}}``)."""
    data = data.copy()
    table = margins.table.copy()
    for variable, mapping in rules.items():
        mapping = {_label(k): _label(v) for k, v in mapping.items()}
        if variable not in data.columns:
            raise LiteracyError(f"The collapse rules name {variable!r}, which is not a column of the data.")
        data[variable] = data[variable].map(_label).replace(mapping)
        rows = table["variable"] == variable
        table.loc[rows, "category"] = table.loc[rows, "category"].replace(mapping)
    table = table.groupby(["by", "variable", "category"], sort=False, as_index=False)["target"].sum()
    return data, Margins(table, margins.by)


def read_collapse(path: str | Path) -> dict:
    rules = read_yaml(path, kind="collapse file")
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        raise LiteracyError(f"The collapse file {path} must map each variable to {{category: merged_category}}.")
    return rules


def nonresponse_adjust(data: pd.DataFrame, base_weight: str, responded: str, cells: Sequence[str]) -> np.ndarray:
    """Weighting-class nonresponse adjustment: within each cell, respondents
    carry the base weight of the whole sampled cell (factor = sum of base
    weights / sum over respondents); nonrespondents get 0."""
    base = _base_weights(data, base_weight)
    flag = data[responded]
    answered = flag.map(_label).isin(["1", "True", "true", "yes", "Yes"]).to_numpy()
    unknown = ~flag.map(_label).isin(["1", "0", "True", "False", "true", "false", "yes", "no", "Yes", "No"])
    if unknown.any():
        raise LiteracyError(f"The response column {responded!r} must hold 1/0 (or yes/no); it has other values.")
    absent = [c for c in cells if c not in data.columns]
    if absent:
        raise LiteracyError(f"The nonresponse cell column(s) {', '.join(absent)} are not in the data.")
    codes = data[list(cells)].groupby(list(cells), sort=False, dropna=False).ngroup().to_numpy() if cells else (
        np.zeros(len(data), dtype=np.int64)
    )  # fmt: skip
    sampled = np.bincount(codes, weights=base)
    responding = np.bincount(codes, weights=base * answered, minlength=len(sampled))
    empty = np.flatnonzero((responding == 0) & (sampled > 0))
    if len(empty):
        example = data.iloc[int(np.flatnonzero(codes == empty[0])[0])][list(cells)].to_dict()
        raise LiteracyError(
            f"{len(empty)} nonresponse cell(s) have no respondent (e.g. {example}); "
            f"merge cells (fewer {spell('--nonresponse-cells', 'cells')})."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(responding > 0, sampled / responding, 0.0)
    return np.where(answered, base * factor[codes], 0.0)


# --------------------------------------------------------------------------- the model matrix


@dataclass(frozen=True)
class CalibrationModel:
    """Indicator columns for every (city, margin, category) and their targets."""

    matrix: sparse.csr_matrix  # rows x columns, 0/1
    targets: np.ndarray
    columns: pd.DataFrame  # by, variable, category per column
    margin_of_column: np.ndarray  # index of the margin (by, variable) of each column


def build_model(data: pd.DataFrame, margins: Margins, base: np.ndarray) -> CalibrationModel:
    """Match data categories to margin categories (after trimming spaces) and
    build the indicator matrix. Shares become counts of the base-weighted
    total; every margin of a city must add up to the same population.

    Columns are factorised once, so labels are compared per distinct value,
    never per respondent."""
    # Margins are matched by their keys (by, variable, category), never by
    # file position: a canonical order makes every method (raking's margin
    # order included) independent of how the file's rows were sorted.
    table = margins.table.copy()
    n = len(data)
    if margins.by is None:
        group_code, group_labels = np.zeros(n, dtype=np.int64), [""]
    else:
        group_code, group_labels = _coded(data, [margins.by])
        missing_groups = sorted(set(group_labels) - set(table["by"]))
        if missing_groups:
            raise LiteracyError(
                f"The data have {margins.by} {', '.join(missing_groups[:5])} with no margins; add their targets."
            )
    order = np.argsort(group_code, kind="stable")
    bounds = np.searchsorted(group_code[order], np.arange(len(group_labels) + 1))
    group_rows = {label: order[bounds[k] : bounds[k + 1]] for k, label in enumerate(group_labels)}
    no_rows = np.zeros(0, dtype=np.int64)
    # Shares -> counts, per (by, variable).
    for (by_value, _variable), rows in table.groupby(["by", "variable"], sort=False).groups.items():
        total = table.loc[rows, "target"].sum()
        if abs(total - 1.0) <= 1e-6:
            table.loc[rows, "target"] *= base[group_rows.get(by_value, no_rows)].sum()
    _check_margin_totals(table)
    table = table.sort_values(["by", "variable"], kind="stable").reset_index(drop=True)
    coded: dict[str, tuple[np.ndarray, list[str]]] = {}
    row_index, col_index, columns, margin_ids, targets = [], [], [], [], []
    for margin_id, ((by_value, variable), part) in enumerate(table.groupby(["by", "variable"], sort=False)):
        if variable not in coded:
            _require_margin_columns(data, variable)
            coded[variable] = _coded(data, variable.split("*"))
        codes, labels = coded[variable]
        in_group = group_rows.get(by_value, no_rows)
        row_codes = codes[in_group]
        present = {labels[c] for c in np.unique(row_codes)}
        categories = list(part["category"])
        where = f" in {margins.by} {by_value}" if margins.by else ""
        unknown = sorted(present - set(categories))
        if unknown:
            raise LiteracyError(
                f"The data have {variable}={', '.join(unknown[:5])}{where}, which the margins do not list "
                f"(they list {', '.join(categories[:8])}); add a target or collapse the category "
                f"({spell('--collapse', 'collapse=')})."
                + _derived_hint(variable)
            )
        for category, target in zip(categories, part["target"], strict=True):
            if category not in present and target > 0:
                raise LiteracyError(
                    f"No respondent has {variable}={category}{where}, but the population has {target:g}; "
                    f"collapse it with a neighbouring category ({spell('--collapse', 'collapse=')}) so the cell is "
                    "not empty."
                )
            if category in present and target == 0:
                raise LiteracyError(
                    f"Respondents have {variable}={category} but its population target is 0; fix the margins."
                )
        position = {category: k for k, category in enumerate(categories)}
        lookup = np.array([position.get(label, -1) for label in labels], dtype=np.int64)
        weighted = np.bincount(lookup[row_codes], weights=base[in_group], minlength=len(categories))
        for category, target, total in zip(categories, part["target"], weighted, strict=True):
            if category in present and target > 0 and total <= 0:
                raise LiteracyError(
                    f"Every respondent with {variable}={category}{where} has base weight 0, but the population "
                    f"has {target:g}; give them positive base weights or collapse the category "
                    f"({spell('--collapse', 'collapse=')})."
                )
        row_index.append(in_group)
        col_index.append(len(columns) + lookup[row_codes])
        columns.extend((by_value, variable, category) for category in categories)
        margin_ids.extend([margin_id] * len(categories))
        targets.extend(part["target"].to_numpy(dtype=float))
    rows_all = np.concatenate(row_index)
    cols_all = np.concatenate(col_index)
    matrix = sparse.csr_matrix((np.ones(len(rows_all)), (rows_all, cols_all)), shape=(n, len(columns)))
    keep = np.flatnonzero(np.asarray(matrix.sum(axis=0)).ravel() > 0)
    frame = pd.DataFrame(columns, columns=["by", "variable", "category"])
    return CalibrationModel(
        matrix=matrix[:, keep].tocsr(),
        targets=np.asarray(targets, dtype=float)[keep],
        columns=frame.iloc[keep].reset_index(drop=True),
        margin_of_column=np.asarray(margin_ids)[keep],
    )


def _derived(name: str) -> bool:
    """Columns :func:`literacy.groups.add_groups` derives from the respondent fields."""
    return name == "age_band" or name.startswith("group_")


def _derived_hint(variable: str) -> str:
    derived = [name for name in variable.split("*") if _derived(name)]
    if not derived:
        return ""
    return (
        f" {', '.join(derived)} should come from literacy.add_groups(data), which derives age_band as "
        "18-29 ... 60-69 and group_* as 1/0 (literacy run adds them after scoring)."
    )


def _require_margin_columns(data: pd.DataFrame, variable: str) -> None:
    """A margin whose column the data lack; a derived one says where it comes from."""
    absent = [name for name in variable.split("*") if name not in data.columns]
    if not absent:
        return
    derived = [name for name in absent if _derived(name)]
    if derived:
        raise LiteracyError(
            f"The margins name {', '.join(absent)}, which the data do not have; {', '.join(derived)} "
            f"{'is' if len(derived) == 1 else 'are'} made by literacy.add_groups(data) (age_band from age, "
            "group_* from age and occupation): call it on the scored data before weighting (literacy run does)."
        )
    raise LiteracyError(f"The margins name {', '.join(absent)}, which the data do not have.")


def check_consistent(model: CalibrationModel, by: str | None) -> None:
    """Say so before solving when no weights can meet every target: when
    categories are tied in the sample (e.g. every 18-29 respondent is also
    the only one with low education) but their targets disagree.

    Weights w can meet A'w = t only if t is orthogonal to the null space of
    A (the sample's indicator matrix): ties between categories are the null
    vectors of A'A, and a tie whose targets do not balance is infeasible. The
    check runs per city, where A'A is small."""
    for group in pd.unique(model.columns["by"]):
        columns = np.flatnonzero((model.columns["by"] == group).to_numpy())
        block = model.matrix[:, columns]
        gram = (block.T @ block).toarray()
        values, vectors = np.linalg.eigh(gram)
        null = vectors[:, values <= 1e-9 * max(values.max(), 1.0)]
        if not null.shape[1]:
            continue
        targets = model.targets[columns]
        residual = null @ (null.T @ targets)
        if np.abs(residual).max() <= 1e-6 * max(np.abs(targets).max(), 1.0):
            continue
        involved = np.argsort(-np.abs(residual))[: min(4, len(residual))]
        involved = sorted(i for i in involved if abs(residual[i]) > 1e-6 * np.abs(targets).max())
        names = [f"{model.columns['variable'].iloc[columns[i]]}={model.columns['category'].iloc[columns[i]]} "
                 f"(target {targets[i]:g})" for i in involved]  # fmt: skip
        where = f" in {by} {group}" if by else ""
        raise LiteracyError(
            f"The margins cannot all be met{where}: the sample ties {' and '.join(names)} (the same respondents "
            "make them up) while their targets disagree; collapse one of these categories "
            f"({spell('--collapse', 'collapse=')}) or check the margins."
        )


def _check_margin_totals(table: pd.DataFrame) -> None:
    for by_value, part in table.groupby("by", sort=False):
        sums = part.groupby("variable", sort=False)["target"].sum()
        if (sums.max() - sums.min()) > 1e-6 * max(1.0, sums.max()):
            where = f" for {by_value}" if by_value else ""
            listed = ", ".join(f"{v} {s:,.6g}" for v, s in sums.items())
            raise LiteracyError(f"The margins disagree on the population{where}: {listed}; each must sum to the same.")


# --------------------------------------------------------------------------- solving


@dataclass(frozen=True)
class WeightingResult:
    """What :func:`weight` returns: the weighted data, its diagnostics, and
    the record of how the weights were made. :meth:`design` builds the survey
    design that carries this calibration into every variance."""

    data: pd.DataFrame = field(repr=False)  # input plus the final weight column, attrs["weighting"] set
    diagnostics: pd.DataFrame = field(repr=False)  # one row per city (or one row)
    margins: pd.DataFrame = field(repr=False)  # target vs achieved for every category
    record: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        record = self.record
        return (
            f"WeightingResult(method={record.get('method')!r}, final_weight={record.get('final_weight')!r}, "
            f"rows={len(self.data)}, targets={len(record.get('targets', []))}, by={record.get('by')!r})"
        )

    def design(
        self,
        *,
        strata: str | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        lonely_psu: str = "fail",
        data: pd.DataFrame | None = None,
    ) -> Design:
        """The design of the weighted data (or of ``data``, e.g. the weighted
        frame merged with other columns: same respondents, same weights) with
        this calibration inside, as R's ``rake()`` returns a design."""
        from literacy.design import Design

        frame = self.data if data is None else data
        return Design(frame, weight=self.record["final_weight"], strata=strata, psu=psu, fpc=fpc,
                      lonely_psu=lonely_psu, calibration=self)  # type: ignore[arg-type]  # fmt: skip


# Weight columns this process has written by calibration: a frame holding one
# without its record (merge and concat drop DataFrame.attrs) is refused by
# Design rather than silently estimated as if its weights were fixed.
_CALIBRATED_NAMES: set[str] = {"weight_final"}


def resolve_calibration(data: pd.DataFrame, weight: str | None, calibration: object) -> Calibration | None:
    """The calibration a design carries: see ``Design.calibration``."""
    if calibration is None or weight is None:
        return None
    if isinstance(calibration, Calibration):
        return calibration
    if isinstance(calibration, WeightingResult):
        record: Mapping | None = calibration.record
    elif isinstance(calibration, Mapping):
        record = calibration
    elif isinstance(calibration, str) and calibration == "auto":
        record = data.attrs.get("weighting")
        if not record or record.get("final_weight") != weight:
            if weight in _CALIBRATED_NAMES:
                way_out = spell(
                    "keep the .meta.json file `literacy weight` wrote beside the table, or give the weight another "
                    "name to treat it as fixed",
                    "pass calibration=<the WeightingResult> (or build the design with result.design()), or "
                    "calibration=None to treat the weights as fixed",
                )
                raise LiteracyError(
                    f"The weight column {weight!r} holds weights made by calibration, but the data carry no record "
                    "of it (merge, concat and databases drop DataFrame.attrs; a CSV keeps it in its .meta.json "
                    f"sidecar); {way_out}."
                )
            return None
    else:
        raise LiteracyError(
            "calibration must be 'auto', None, a WeightingResult or its record, not "
            f"{type(calibration).__name__}."
        )
    if record.get("final_weight") != weight:
        raise LiteracyError(
            f"The calibration made the weight column {record.get('final_weight')!r}, but the design's weight is "
            f"{weight!r}; use weight={record.get('final_weight')!r} or calibration=None."
        )
    advice = "rows were added or removed since weighting. Keep every weighted row; domains never need filtering."
    try:
        found = calibration_for(data, record)
    except LiteracyError as error:
        raise LiteracyError(f"The data no longer match the calibration of {weight!r} ({error}): {advice}") from None
    assert found is not None
    final = found.base * found.g
    if _misfit(found.model, final) > 1e-6:
        raise LiteracyError(
            f"The weights in {weight!r} no longer reproduce the calibration targets "
            f"({_worst_target(found.model, final)}): {advice}"
        )
    return found


def weight(
    data: pd.DataFrame,
    margins: Margins | pd.DataFrame,
    *,
    base_weight: str,
    method: str = "rake",
    bounds: tuple[float, float] | None = None,
    trim: tuple[str, float] | None = None,
    out_weight: str = "weight_final",
    maxit: int = 100,
    epsilon: float = 1e-10,
    collapse: Mapping[str, Mapping[str, str]] | None = None,
) -> WeightingResult:
    """Adjust ``base_weight`` to the margins; returns the data with ``out_weight``.
    ``margins`` is what :func:`read_margins` returns, or the same table as a
    DataFrame (``variable, category, target`` and a grouping column)."""
    if isinstance(margins, pd.DataFrame):
        margins = margins_from_frame(margins, source="The margins DataFrame")
    elif not isinstance(margins, Margins):
        raise LiteracyError(
            "margins must come from literacy.read_margins(path, by=...) or be a DataFrame of variable, category, "
            f"target; not {type(margins).__name__}."
        )
    if method not in METHODS:
        raise LiteracyError(f"Weighting method {method!r} is unknown; use one of {', '.join(METHODS)}.")
    if base_weight not in data.columns:
        raise LiteracyError(f"The base weight column {base_weight!r} is not in the data.")
    if out_weight in data.columns and out_weight != base_weight:
        raise LiteracyError(
            f"The data already have a column {out_weight!r}; choose another {spell('--out-weight', 'out_weight=')}."
        )
    # Declared missing codes (SPSS user-missing, Stata/SAS special) are missing
    # in the base weight and every margins variable, never a category.
    analysed = [base_weight, *([margins.by] if margins.by else [])]
    analysed += [name for variable in margins.variables for name in variable.split("*")]
    working, _ = blank_declared_missing(data, analysed)
    base = _base_weights(working, base_weight)
    if collapse:
        working, margins = apply_collapse(working, margins, collapse)
    model = build_model(working, margins, base)
    check_consistent(model, margins.by)
    if method == "poststratify" and len(set(zip(model.columns["variable"], strict=True))) > 1:
        raise LiteracyError(
            "Post-stratification takes one joint table of cells; for several margins use "
            + spell("--method rake", 'method="rake"')
            + "."
        )
    g, iterations = solve(model, base, method, bounds, maxit, epsilon)
    final = base * g
    trimmed = np.zeros(len(final), dtype=bool)
    if trim is not None:
        final, trimmed, iterations = _trim_and_recalibrate(model, base, final, method, bounds, trim, maxit, epsilon)
    check_targets(model, final)
    out = data.copy(deep=False)  # copy-on-write: the columns are shared, not copied, and never changed
    out[out_weight] = final
    record = {
        "method": method,
        "base_weight": base_weight,
        "final_weight": out_weight,
        "by": margins.by,
        "bounds": list(bounds) if bounds else None,
        "trim": list(trim) if trim else None,
        "collapse": {k: dict(v) for k, v in (collapse or {}).items()},
        "targets": margins.table.to_dict("records"),
        "iterations": iterations,
        "maxit": maxit,
        "epsilon": epsilon,
    }
    out.attrs = {**data.attrs, "weighting": record}
    _CALIBRATED_NAMES.add(out_weight)
    return WeightingResult(
        data=out,
        diagnostics=diagnostics(working, margins.by, base, final, trimmed),
        margins=achieved_margins(model, base, final),
        record=record,
    )


def solve(
    model: CalibrationModel,
    base: np.ndarray,
    method: str,
    bounds: tuple[float, float] | None,
    maxit: int,
    epsilon: float,
) -> tuple[np.ndarray, int]:
    """The adjustment factors g (final = base x g) and the iterations used."""
    if method in ("poststratify", "rake"):
        if bounds is not None:
            raise LiteracyError(
                f"Bounds apply to {spell('--method', 'method=')} linear or raking-bounded, not to "
                "post-stratification or raking."
            )
        if method == "poststratify":  # one margin: a single pass is exact
            return _rake(model, base, 1, np.inf)
        return _rake(model, base, maxit, epsilon)
    lower, upper = bounds if bounds is not None else (-np.inf, np.inf)
    if not lower < 1 < upper:
        raise LiteracyError(f"Bounds must enclose 1 (e.g. 0.3,3), not {lower:g},{upper:g}.")
    if method == "linear" and bounds is None:
        return _linear(model, base), 1
    return _grake(model, base, "linear" if method == "linear" else "raking", lower, upper, maxit, epsilon)


def _rake(model: CalibrationModel, base: np.ndarray, maxit: int, epsilon: float) -> tuple[np.ndarray, int]:
    """Iterative proportional fitting, one margin at a time, all cities at once."""
    cells = [model.matrix[:, model.margin_of_column == m].tocsc() for m in np.unique(model.margin_of_column)]
    # Each row's column within each margin (rows outside a city's margins have none).
    codes = []
    for cell in cells:
        code = np.full(model.matrix.shape[0], -1)
        coo = cell.tocoo()
        code[coo.row] = coo.col
        codes.append(code)
    targets = [model.targets[model.margin_of_column == m] for m in np.unique(model.margin_of_column)]
    # The rows inside each margin and their columns, found once (not every iteration).
    insides = [np.flatnonzero(code >= 0) for code in codes]
    codes = [code[inside] for code, inside in zip(codes, insides, strict=True)]
    g = np.ones_like(base)
    for iteration in range(1, maxit + 1):
        for code, inside, target in zip(codes, insides, targets, strict=True):
            current = np.bincount(code, weights=(base * g)[inside], minlength=len(target))
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(current > 0, target / current, 1.0)
            g[inside] *= factor[code]
        if _misfit(model, base * g) < epsilon:
            return g, iteration
    raise LiteracyError(
        f"Raking did not converge in {maxit} iterations (largest relative misfit {_misfit(model, base * g):.2g}); "
        "collapse sparse categories or allow more iterations."
    )


def _linear(model: CalibrationModel, base: np.ndarray) -> np.ndarray:
    """GREG: g = 1 + X (X'WX)^+ (T - X'w) (R ``regcalibrate``; the
    pseudo-inverse tolerates the redundant full set of indicators)."""
    X = model.matrix
    M = (X.T @ X.multiply(base[:, None])).toarray()
    sample = X.T @ base
    lam = cross_product_inverse(M, X.shape[0]) @ (model.targets - sample)
    return 1.0 + X @ lam


def _grake(
    model: CalibrationModel, base: np.ndarray, calfun: str, lower: float, upper: float, maxit: int, epsilon: float
) -> tuple[np.ndarray, int]:
    """Newton iterations of R's ``grake`` for bounded linear or raking calibration."""
    X = model.matrix
    targets = model.targets
    sample = X.T @ base

    def inverse(u: np.ndarray) -> np.ndarray:  # F^{-1}(u) - 1, R's Fm1
        raw = u + 1 if calfun == "linear" else np.exp(np.minimum(u, 700))
        return np.clip(raw, lower, upper) - 1

    # Where the clipping binds, the derivative is zero (R's dF; for raking R
    # compares u with the bounds minus one, here with their logarithms).
    if calfun == "linear":
        low, high = lower - 1, upper - 1
    else:
        low = np.log(lower) if lower > 0 else -np.inf
        high = np.log(upper) if np.isfinite(upper) else np.inf

    def derivative(u: np.ndarray) -> np.ndarray:
        inside = (u < high) & (u > low)
        return np.where(inside, 1.0 if calfun == "linear" else np.exp(np.minimum(u, 700)), 0.0)

    eta = np.zeros(X.shape[1])
    u = X @ eta
    for iteration in range(1, maxit + 1):
        T = (X.T @ X.multiply((base * derivative(u))[:, None])).toarray()
        misfit = targets - sample - X.T @ (base * inverse(u))
        step = cross_product_inverse(T, X.shape[0]) @ misfit
        eta = eta + step
        u = X @ eta
        misfit = targets - sample - X.T @ (base * inverse(u))
        if np.all(np.abs(misfit) / (1 + np.abs(targets)) < epsilon):
            return 1 + inverse(u), iteration
    worst = _worst_target(model, base * (1 + inverse(u)))
    raise LiteracyError(
        f"Calibration did not converge in {maxit} iterations: {worst}. Widen the bounds, collapse sparse categories, "
        "or allow more iterations."
    )


def _trim_and_recalibrate(model, base, final, method, bounds, trim, maxit, epsilon):
    """Cap weights (a multiple of the median, or a quantile), then calibrate
    again so the margins hold; repeat until no weight exceeds the cap."""
    kind, value = trim
    if kind == "median":
        cap = value * float(np.median(final[final > 0]))
    elif kind == "quantile":
        cap = float(np.quantile(final[final > 0], value))
    else:
        raise LiteracyError(f"Trimming is by 'median' (a multiple) or 'quantile', not {kind!r}.")
    trimmed = np.zeros(len(final), dtype=bool)
    iterations = 0
    for iterations in range(1, 51):
        over = final > cap * (1 + 1e-9)
        if not over.any():
            return final, trimmed, iterations
        trimmed |= over
        capped = np.minimum(final, cap)
        # Recalibrate from the capped weights, holding the trimmed ones at the cap.
        free = ~trimmed
        held = sparse.csr_matrix(model.matrix.multiply(trimmed[:, None].astype(float))).T @ capped
        sub = CalibrationModel(model.matrix[free], model.targets - held, model.columns, model.margin_of_column)
        if (sub.targets <= 0).any():
            raise LiteracyError(f"Trimming at {cap:,.6g} leaves no weight for some category; raise the cap.")
        g, _ = solve(sub, capped[free], "rake" if method == "poststratify" else method, bounds, maxit, epsilon)
        final = capped.copy()
        final[free] = capped[free] * g
    raise LiteracyError(f"Trimming at {cap:,.6g} and recalibrating did not settle in 50 rounds; raise the cap.")


def _misfit(model: CalibrationModel, final: np.ndarray) -> float:
    achieved = model.matrix.T @ final
    return float(np.max(np.abs(achieved - model.targets) / np.maximum(model.targets, 1e-300)))


def _worst_target(model: CalibrationModel, final: np.ndarray) -> str:
    achieved = model.matrix.T @ final
    gap = np.abs(achieved - model.targets) / np.maximum(model.targets, 1e-300)
    k = int(np.argmax(gap))
    column = model.columns.iloc[k]
    where = f" ({column['by']})" if column["by"] else ""
    return (
        f"{column['variable']}={column['category']}{where} reaches {achieved[k]:,.6g} against a target of "
        f"{model.targets[k]:,.6g} ({gap[k]:.2%} off)"
    )


def check_targets(model: CalibrationModel, final: np.ndarray) -> None:
    """Every target must be reproduced, and every weight positive."""
    if _misfit(model, final) > _TOLERANCE:
        raise LiteracyError(f"The final weights miss a target: {_worst_target(model, final)}.")
    if not np.all(np.isfinite(final)) or (final < 0).any():
        raise LiteracyError(
            "Calibration produced negative weights; use "
            + spell("--method raking-bounded", 'method="raking-bounded"')
            + f" or {spell('--bounds', 'bounds=')} to keep them positive."
        )


# --------------------------------------------------------------------------- diagnostics


def diagnostics(data: pd.DataFrame, by: str | None, base: np.ndarray, final: np.ndarray, trimmed: np.ndarray):
    """Kish design effect of weighting (1 + CV^2), efficiency, weight and
    adjustment ranges, trimmed count, per city."""
    if by is None:
        code, labels = np.zeros(len(final), dtype=np.int64), ["(all)"]
    else:
        code, labels = _coded(data, [by])
    frame = pd.DataFrame({"by": code, "base": base, "final": final, "square": final**2, "trimmed": trimmed})
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["factor"] = np.where(base > 0, final / base, np.nan)
    grouped = frame.groupby("by", sort=True)
    sizes = grouped.size()
    out = pd.DataFrame(
        {
            "n": sizes,
            "base_total": grouped["base"].sum(),
            "final_total": grouped["final"].sum(),
            "kish_deff": sizes * grouped["square"].sum() / grouped["final"].sum() ** 2,
            "weight_min": grouped["final"].min(),
            "weight_median": grouped["final"].median(),
            "weight_max": grouped["final"].max(),
            "factor_min": grouped["factor"].min(),
            "factor_median": grouped["factor"].median(),
            "factor_max": grouped["factor"].max(),
            "trimmed": grouped["trimmed"].sum(),
        }
    )
    out["efficiency"] = 1 / out["kish_deff"]
    out.index = [labels[k] for k in out.index]
    out = out.sort_index().rename_axis(by or "scope").reset_index()
    return out


def achieved_margins(model: CalibrationModel, base: np.ndarray, final: np.ndarray) -> pd.DataFrame:
    out = model.columns.copy()
    out["target"] = model.targets
    out["base_weighted"] = model.matrix.T @ base
    out["achieved"] = model.matrix.T @ final
    out["difference"] = out["achieved"] - out["target"]
    return out


# --------------------------------------------------------------------------- variance after calibration


@dataclass(frozen=True)
class Calibration:
    """What the variance needs after calibration: the calibration variables
    and targets (to project linearised values, or to recalibrate replicates),
    the base weights and the adjustment factors g = final / base."""

    model: CalibrationModel
    g: np.ndarray
    base: np.ndarray
    record: dict
    # The projections made so far, one per PSU coding: (psu_code, n_psus, (M^+, A)).
    # Issue 15: every domain, estimate and contrast of a design reuses one.
    _operators: list = field(default_factory=list, init=False, repr=False, compare=False)

    def residual_operator(self, psu_code: np.ndarray, n_psus: int) -> tuple[np.ndarray, np.ndarray]:
        """(M^+, A): M = X'W0X over base weights, A = PSU totals of final
        weights x X. A domain's PSU totals Z become Z - (b M^+) A', with
        b = sum over its rows of x z / g (R ``svyrecvar``: ``qr.resid`` on
        mm * sqrt(w0), then times g sqrt(w0)).

        Made once per PSU coding and kept on this object (the products over
        every row cost far more than a domain's variance), so the arrays
        returned are shared: read them, never write into them."""
        for codes, count, operator in self._operators:
            if count == n_psus and (codes is psu_code or np.array_equal(codes, psu_code)):
                return operator
        X = self.model.matrix
        M = (X.T @ X.multiply(self.base[:, None])).toarray()
        final = self.base * self.g
        A = sparse.csr_matrix((final, (psu_code, np.arange(len(final)))), shape=(n_psus, len(final))) @ X
        operator = (cross_product_inverse(M, X.shape[0]), A.toarray())
        for array in operator:
            array.setflags(write=False)
        self._operators.append((psu_code, n_psus, operator))
        return operator

    def recalibrate(self, base: np.ndarray) -> np.ndarray:
        """Final weights from other base weights (a replicate), same targets and method."""
        record = self.record
        bounds = tuple(record["bounds"]) if record.get("bounds") else None
        g, _ = solve(self.model, base, record["method"], bounds, record.get("maxit", 100), record.get("epsilon", 1e-10))
        return base * g


def cross_product_inverse(matrix: np.ndarray, rows: int) -> np.ndarray:
    """A generalised inverse G of a cross product M = X'WX summed over
    ``rows`` rows (M G M = M, so the projection X G X'W and the calibration
    equations come out as with the Moore-Penrose inverse).

    The margins' indicator columns are dependent (each margin adds up to its
    city), so M has exact zero eigenvalues, which the sums leave as rounding
    of up to about rows x eps of the largest (1,500 eps on the million-
    interview run). Kept, as the old cut of 256 eps kept them, their
    inverses put noise into every projection: a calibrated standard error
    was off by up to 1e-6 of itself and changed with the order of a sum, and
    linear calibration of 200,000 rows of one base weight missed a target by
    3.5e-5 and stopped (issue 15; ``tests/test_contrasts.py``,
    ``tests/test_calibration_precision_vs_r.py``). So M is first scaled to a
    unit diagonal (D^-1/2 M D^-1/2: a category of few or light rows is as
    large as any other) and its eigenvalues below max(256, rows) x eps of
    the largest are cut; G = D^-1/2 pinv(scaled) D^-1/2."""
    diagonal = np.diag(matrix)
    scale = np.sqrt(np.where(diagonal > 0, diagonal, 1.0))  # an empty category's column stays zero
    scaled = matrix / scale[:, None] / scale[None, :]
    return np.linalg.pinv(scaled, rcond=max(256, rows) * np.finfo(float).eps) / scale[:, None] / scale[None, :]


def calibration_for(data: pd.DataFrame, record: Mapping | None = None) -> Calibration | None:
    """Rebuild the calibration of a weighted table from its record
    (``attrs["weighting"]``); None when the table was not calibrated."""
    record = record if record is not None else data.attrs.get("weighting")
    if not record:
        return None
    for key in ("base_weight", "final_weight"):
        if record.get(key) not in data.columns:
            raise LiteracyError(
                f"The weighting record names the {key.replace('_', ' ')} column {record.get(key)!r}, "
                "which the data no longer have."
            )
    margins = Margins(pd.DataFrame(record["targets"]), record.get("by"))
    working = data
    if record.get("collapse"):
        working, margins = apply_collapse(data, margins, record["collapse"])
    base = _base_weights(data, record["base_weight"])
    model = build_model(working, margins, base)
    final = pd.to_numeric(data[record["final_weight"]], errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(base > 0, final / base, 0.0)
    return Calibration(model=model, g=g, base=base, record=dict(record))


# --------------------------------------------------------------------------- helpers


def _label(value: object) -> str:
    """Category labels compare as trimmed text; 2.0 and 2 are the same code."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _joint_labels(frame: pd.DataFrame, columns: Sequence) -> pd.Series:
    """Cell labels of a joint margins table (a few rows)."""
    parts = [frame[c].map(_label) for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + CELL_SEPARATOR + part
    return joined


def _coded(data: pd.DataFrame, names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes per row and the label of each code for one variable or a
    joint cell of several; values with the same trimmed label share a code."""
    absent = [name for name in names if name not in data.columns]
    if absent:
        raise LiteracyError(f"The margins name {', '.join(absent)}, which the data do not have.")
    combined = np.zeros(len(data), dtype=np.int64)
    parts: list[list[str]] = []
    for name in names:
        column = data[name]
        if column.isna().any():
            raise LiteracyError(
                f"{int(column.isna().sum())} respondent(s) have no {name}; weighting needs it for everyone."
            )
        codes, uniques = pd.factorize(column)
        labels = [_label(value) for value in uniques]
        combined = combined * len(labels) + codes
        parts.append(labels)
    values, inverse = np.unique(combined, return_inverse=True)
    labels = []
    for value in values:
        digits = []
        for part in reversed(parts):
            value, digit = divmod(int(value), len(part))
            digits.append(part[digit])
        labels.append(CELL_SEPARATOR.join(reversed(digits)))
    # Merge codes whose labels coincide (" f" and "f").
    distinct = list(dict.fromkeys(labels))
    remap = np.array([distinct.index(label) for label in labels], dtype=np.int64)
    return remap[inverse.ravel()], distinct


def _base_weights(data: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    # Above 1e15 a weight is a typing or unit error, and squares overflow.
    bad = ~np.isfinite(values) | (values < 0) | (values > 1e15)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        shown = data[column].iloc[first]
        shown = f"{float(shown):g}" if isinstance(shown, (int, float, np.number)) else repr(shown)
        raise LiteracyError(
            f"The base weight column {column!r} must hold a number from 0 to 1e15 in every row; "
            f"{int(bad.sum())} row(s) do not (the first, data row {first + 1}, has {shown})."
        )
    if not (values > 0).any():
        raise LiteracyError(f"Every base weight in {column!r} is 0; weights must be positive somewhere.")
    return values
