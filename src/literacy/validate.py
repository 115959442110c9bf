"""Check responses against the instrument: clean rows, rejected rows with every
reason, and a summary that accounts for every interview.

Checks (each one's action is ``reject``, ``flag`` or ``ignore``):

==================  =======  ===================================================
check               default  a row fails when
==================  =======  ===================================================
invalid_value       reject   an item holds a value outside the codebook
duplicate_id        reject   its respondent id was already seen (first one kept)
age_missing         reject   the age is blank
age_not_a_number    reject   the age is not a number
outside_population  reject   the age is outside the instrument's population
incomplete          reject   more items are missing than the standard allows
speeder             flag     completion time < ``speeder_share`` x median
straight_line       flag     the same code for every answered item (>= 10)
wrong_field_count   reject   (always) a text row has more or fewer fields than
                             the header: its fields cannot be placed
nul_byte            reject   (always) a text row holds a NUL byte (damage)
==================  =======  ===================================================

The last two are found while reading (:mod:`literacy.io.files`), so such a
row reaches the rejects file with its ``source_row`` and reason and its
answers left blank. ``source_row`` is where the row is in the file the user
has: for text, its (first) line number minus one, the header being line 1, so
blank lines count and 1 is the line under the header; for a spreadsheet, its
sheet row number minus one; otherwise its record number.

A flagged row is kept with a ``flag_<check>`` column set to true. The speeder
rule (a share of the median duration) is the common survey-industry rule; the
share is a setting because firms use a third to a half.

Input rows = clean rows + rejected rows, always; the summary says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError
from literacy.instrument import Instrument, load_instrument
from literacy.io.files import DEFAULT_CHUNK_ROWS
from literacy.io.platforms import DURATION_COLUMN
from literacy.io.read import ReadOptions, iter_read
from literacy.io.tables import TableSink, check_can_write, write_json
from literacy.io.textfiles import BadRow
from literacy.scoring import check_columns, item_results
from literacy.threads import background
from literacy.vocabulary import ACTIONS, DEFAULT_ACTIONS

SOURCE_ROW = "source_row"
REASONS = "reject_reasons"
READING_CHECKS = ("wrong_field_count", "nul_byte")


@dataclass(frozen=True)
class Rules:
    """What counts as a problem and what happens to a row that has one."""

    actions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))
    id_column: str = "respondent_id"
    age_column: str = "age"
    min_age: int | None = None  # default: the instrument's population
    max_age: int | None = None
    duration_column: str = DURATION_COLUMN
    speeder_share: float = 0.3
    straight_line_min_items: int = 10
    max_missing_share: float | None = None  # default: the instrument's standard

    def __post_init__(self) -> None:
        fixed = sorted(set(self.actions) & set(READING_CHECKS))
        if fixed:
            raise LiteracyError(
                f"{fixed[0]} always rejects: a row whose fields cannot be read as the header says cannot be kept."
            )
        unknown = set(self.actions) - set(DEFAULT_ACTIONS)
        if unknown:
            raise LiteracyError(
                f"Unknown check(s) {', '.join(sorted(unknown))}; the checks are {', '.join(DEFAULT_ACTIONS)}."
            )
        bad = {k: v for k, v in self.actions.items() if v not in ACTIONS}
        if bad:
            check, action = next(iter(bad.items()))
            raise LiteracyError(f"Action {action!r} for {check} is unknown; use one of {', '.join(ACTIONS)}.")
        if not 0 < self.speeder_share < 1:
            raise LiteracyError(f"The speeder share must be between 0 and 1, not {self.speeder_share}.")

    def with_actions(self, changes: dict[str, str]) -> Rules:
        return replace(self, actions={**self.actions, **changes})

    @classmethod
    def from_settings(cls, settings: Rules | Mapping[str, Any] | None) -> Rules:
        """Rules from a :class:`Rules`, None (the defaults) or a mapping of the
        same fields plus ``on: {check: action}`` (a run configuration's
        ``validation:`` block)."""
        if settings is None:
            return cls()
        if isinstance(settings, Rules):
            return settings
        if not isinstance(settings, Mapping):
            raise LiteracyError(
                f"rules must be a literacy.Rules or a mapping of its settings, not {type(settings).__name__}."
            )
        fields = {f.name for f in dataclasses.fields(cls)} - {"actions"}
        unknown = sorted(set(map(str, settings)) - fields - {"on"})
        if unknown:
            raise LiteracyError(
                f"Unknown validation setting(s) {', '.join(unknown)}; the settings are {', '.join(sorted(fields))} "
                "and on: {check: action}."
            )
        extra = {k: v for k, v in settings.items() if k != "on"}
        return cls(**extra).with_actions(dict(settings.get("on") or {}))

    def action(self, check: str) -> str:
        return self.actions.get(check, DEFAULT_ACTIONS[check])


@dataclass(frozen=True)
class Context:
    """Facts about the whole file a chunk needs: which rows repeat an id
    (by source row) and the median completion time."""

    duplicate_rows: frozenset[int] = frozenset()
    median_duration: float | None = None


@dataclass
class Validation:
    """What :func:`validate` returns: the ``clean`` rows (scoring reads them),
    the ``rejects`` with ``source_row`` and ``reject_reasons``, and the
    ``summary`` (counts per reason and column; input rows = clean + rejected)."""

    clean: pd.DataFrame
    rejects: pd.DataFrame
    summary: dict[str, Any]


def validate(
    responses: pd.DataFrame,
    questionnaire: Instrument | str,
    rules: Rules | Mapping[str, Any] | None = None,
) -> Validation:
    """Split ``responses`` (already mapped onto the instrument, e.g. by
    ``literacy.read``) into clean and rejected rows. ``rules`` is a
    :class:`Rules` or the same settings as a mapping (as in a run
    configuration: ``{"speeder_share": 0.2, "on": {"speeder": "reject"}}``)."""
    instrument = load_instrument(questionnaire)
    rules = Rules.from_settings(rules)
    frame = responses.reset_index(drop=True)
    rows = np.arange(1, len(frame) + 1)
    context = whole_file_context(frame.get(rules.id_column), frame.get(rules.duration_column), rows, rules)
    counter = Summary(instrument, rules, responses.attrs)
    clean, rejects = _check_chunk(frame, rows, instrument, rules, context, counter)
    return Validation(clean, rejects, counter.result())


def validate_file(
    path: str | Path,
    questionnaire: Instrument | str,
    *,
    clean_path: str | Path,
    rejects_path: str | Path,
    summary_path: str | Path | None = None,
    options: ReadOptions | None = None,
    rules: Rules | None = None,
    force: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Validate a file of any size in two streaming passes: the first reads
    only the id and duration columns (duplicates and the median need the whole
    file), the second checks and writes chunk by chunk. Returns the summary."""
    instrument = load_instrument(questionnaire)
    rules = rules or Rules()
    options = options or ReadOptions()
    outputs = [p for p in (clean_path, rejects_path, summary_path) if p is not None and str(p) != "-"]
    check_can_write([Path(p) for p in outputs], force=force)

    ids, durations, rows = [], [], []
    needed = {rules.id_column, rules.duration_column}
    for chunk in iter_read(path, instrument, options, chunk_rows=chunk_rows, only=needed, keep_bad_rows=True):
        rows.append(chunk.rows)
        if rules.id_column in chunk.frame:
            ids.append(chunk.frame[rules.id_column])
        if rules.duration_column in chunk.frame:
            durations.append(chunk.frame[rules.duration_column])
    all_rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    context = whole_file_context(
        pd.concat(ids, ignore_index=True) if ids else None,
        pd.concat(durations, ignore_index=True) if durations else None,
        all_rows,
        rules,
    )
    del ids, durations, rows, all_rows

    counter: Summary | None = None
    with (
        TableSink(clean_path, force=force) as clean_sink,
        TableSink(rejects_path, force=force) as reject_sink,
        background("literacy-validate-write") as writer,
    ):
        for chunk in iter_read(path, instrument, options, chunk_rows=chunk_rows, keep_bad_rows=True):
            first = counter is None
            if counter is None:
                counter = Summary(instrument, rules, chunk.frame.attrs)
            clean = None
            if len(chunk.frame):
                clean, rejects = _check_chunk(chunk.frame, chunk.rows, instrument, rules, context, counter)
            else:
                rejects = pd.DataFrame(columns=[SOURCE_ROW, REASONS, *chunk.frame.columns])
            if chunk.bad:
                rejects = _with_bad_rows(rejects, chunk.bad, counter)
            # The chunk is written while the next is read and checked (the two
            # cores both busy; issue 15); one chunk in flight bounds memory.
            # The first in this thread, so that the writer's imports are done.
            writer.wait()
            if first:
                _append(clean_sink, clean, reject_sink, rejects)
            else:
                writer.submit(_append, clean_sink, clean, reject_sink, rejects)
            if progress:
                progress(chunk.progress)
        writer.wait()
    assert counter is not None
    summary = counter.result()
    summary["files"] = {"input": str(path), "clean": str(clean_path), "rejects": str(rejects_path)}
    if summary_path is not None:
        write_json(summary_path, summary, force=force)
    return summary


def _append(clean_sink: TableSink, clean: pd.DataFrame | None, reject_sink: TableSink, rejects: pd.DataFrame) -> None:
    if clean is not None:
        clean_sink.append(clean)
    reject_sink.append(rejects)


def _with_bad_rows(rejects: pd.DataFrame, bad: list[BadRow], counter: Summary) -> pd.DataFrame:
    """Rows the reader could not parse, among the chunk's rejects in file
    order, with blank answers (integer columns become nullable so that the
    other rows keep printing as integers)."""
    columns: dict[str, Any] = {}
    for column in rejects.columns:
        if column == SOURCE_ROW:
            columns[column] = [b.row for b in bad]
        elif column == REASONS:
            columns[column] = [b.reason for b in bad]
        elif pd.api.types.is_integer_dtype(rejects[column].dtype):
            columns[column] = pd.array([pd.NA] * len(bad), dtype="Int64")
        else:
            columns[column] = pd.Series([None] * len(bad), dtype=object)
    extra = pd.DataFrame(columns, columns=rejects.columns)
    nullable = {c: "Int64" for c in rejects.columns if c != SOURCE_ROW and pd.api.types.is_integer_dtype(rejects[c])}
    combined = pd.concat([rejects.astype(nullable), extra], ignore_index=True) if len(rejects) else extra
    for check in READING_CHECKS:
        count = sum(1 for b in bad if b.reason.startswith(check))
        if count:
            counter.count(check, "reject", count)
    counter.rows(len(bad), 0, len(bad))
    return combined.sort_values(SOURCE_ROW, kind="stable").reset_index(drop=True)


def parse_actions(pairs: Iterable[str]) -> dict[str, str]:
    """``CHECK=ACTION`` pairs from the command line."""
    changes = {}
    for pair in pairs:
        check, sep, action = pair.partition("=")
        if not sep:
            raise LiteracyError(f"{pair!r} is not CHECK=ACTION, e.g. speeder=reject.")
        changes[check.strip()] = action.strip()
    return changes


def whole_file_context(ids: pd.Series | None, durations: pd.Series | None, rows: np.ndarray, rules: Rules) -> Context:
    duplicate_rows: frozenset[int] = frozenset()
    if ids is not None and rules.action("duplicate_id") != "ignore":
        key = ids.astype("string").str.strip()
        repeated = key.notna().to_numpy() & key.duplicated(keep="first").to_numpy()
        duplicate_rows = frozenset(rows[repeated].tolist())
    median = None
    if durations is not None:
        values = pd.to_numeric(durations, errors="coerce")
        values = values[values > 0]
        median = float(values.median()) if len(values) else None
    return Context(duplicate_rows, median)


# --------------------------------------------------------------------------
# The checks on one chunk
# --------------------------------------------------------------------------


def _check_chunk(
    frame: pd.DataFrame,
    rows: np.ndarray,
    instrument: Instrument,
    rules: Rules,
    context: Context,
    counter: Summary,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    attrs = frame.attrs
    frame = frame.reset_index(drop=True)
    frame.attrs = {}  # not deep-copied into every column taken out (see Adapter.apply)
    frame, lineage = _earlier_validation(frame, rows)
    check_columns(frame, instrument)
    n = len(frame)
    failures: dict[str, np.ndarray] = {}
    details: dict[str, pd.Series] = {}

    results = item_results(frame, instrument)
    invalid_text = np.full(n, "", dtype=object)
    any_invalid = np.zeros(n, dtype=bool)
    missing_count = np.zeros(n, dtype=np.int64)
    for item_id, result in results.items():
        missing_count += result.missing
        if result.invalid.any():
            any_invalid |= result.invalid
            counter.invalid_values[item_id] = counter.invalid_values.get(item_id, 0) + int(result.invalid.sum())
            # Only the invalid cells become text (a whole column as text cost seconds a million rows).
            where = np.flatnonzero(result.invalid)
            shown = frame[item_id].iloc[where].astype(str).to_numpy(dtype=object)
            before = invalid_text[where]
            invalid_text[where] = before + np.where(before == "", "", ", ") + f"{item_id}=" + shown
    failures["invalid_value"] = any_invalid
    details["invalid_value"] = pd.Series(invalid_text, dtype=object)

    if rules.id_column in frame:
        failures["duplicate_id"] = np.isin(rows, list(context.duplicate_rows))
    else:
        counter.skip("duplicate_id", f"no {rules.id_column} column")

    if rules.age_column in frame:
        age_raw = frame[rules.age_column]
        age = pd.to_numeric(age_raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        blank = age_raw.isna().to_numpy()
        if not _is_number_column(age_raw):  # only text can be blank without being missing
            blank = blank | (age_raw.astype(str).str.strip() == "").to_numpy()
        low = instrument.population.min_age if rules.min_age is None else rules.min_age
        high = instrument.population.max_age if rules.max_age is None else rules.max_age
        failures["age_missing"] = blank
        failures["age_not_a_number"] = ~blank & np.isnan(age)
        failures["outside_population"] = ~np.isnan(age) & ((age < low) | (age > high))
        details["outside_population"] = _detail(
            failures["outside_population"],
            lambda rows: "age " + age_raw.iloc[rows].astype(str) + f" not in {low}-{high}",
        )
        details["age_not_a_number"] = _detail(
            failures["age_not_a_number"], lambda rows: "age " + age_raw.iloc[rows].astype(str)
        )
    else:
        counter.skip("outside_population", f"no {rules.age_column} column")

    share = instrument.standard.max_missing_share if rules.max_missing_share is None else rules.max_missing_share
    n_items = len(instrument.items)
    failures["incomplete"] = missing_count > share * n_items + 1e-9
    details["incomplete"] = _detail(
        failures["incomplete"], lambda rows: pd.Series(missing_count[rows]).astype(str) + f" of {n_items} items missing"
    )

    if rules.duration_column in frame and context.median_duration:
        seconds = pd.to_numeric(frame[rules.duration_column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        limit = rules.speeder_share * context.median_duration
        failures["speeder"] = seconds < limit
        details["speeder"] = _detail(
            failures["speeder"], lambda rows: pd.Series(seconds[rows]).round(1).astype(str) + f"s < {limit:.1f}s"
        )
    else:
        counter.skip("speeder", f"no {rules.duration_column} column")

    failures["straight_line"] = _straight_lining(frame, instrument, results, rules)

    reject = np.zeros(n, dtype=bool)
    for check, mask in failures.items():
        action = rules.action(check)
        if action == "reject":
            reject |= mask
        if action != "ignore":
            counter.count(check, action, int(mask.sum()))

    clean = frame.loc[~reject].copy()
    clean.insert(0, SOURCE_ROW, lineage[~reject])
    for check, mask in failures.items():
        if rules.action(check) == "flag":
            clean[f"flag_{check}"] = mask[~reject]
    rejects = frame.loc[reject].copy()
    rejects.insert(0, SOURCE_ROW, lineage[reject])
    rejects.insert(1, REASONS, _reasons(failures, details, reject, rules))
    counter.rows(n, int((~reject).sum()), int(reject.sum()))
    rejects.attrs = dict(attrs)
    clean.attrs = {**attrs, "validation": counter.rules_record()}
    return clean, rejects


def _earlier_validation(frame: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """A table validated before (it has ``source_row``) keeps that column as
    its lineage to the original export, so a row's ``source_row`` still points
    at the line the user can open; the earlier ``flag_<check>`` and
    ``reject_reasons`` columns are dropped, because this validation makes them
    again under its own rules. ``rows`` (positions in the file now read) stay
    the key of the whole-file checks (duplicate ids)."""
    if SOURCE_ROW not in frame.columns:
        return frame, rows
    given = pd.to_numeric(frame[SOURCE_ROW], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    broken = np.isnan(given) | (given < 1) | (given != np.floor(given))
    if broken.any():
        at = int(np.flatnonzero(broken)[0])
        raise LiteracyError(
            f"Column {SOURCE_ROW} of row {int(rows[at])} holds {frame[SOURCE_ROW].iloc[at]!r}, not a line number: "
            f"a validated table keeps {SOURCE_ROW} as each row's line in the original export, so repair the column "
            "or remove it to number the rows afresh."
        )
    earlier = [SOURCE_ROW, REASONS, *(f"flag_{check}" for check in DEFAULT_ACTIONS)]
    return frame.drop(columns=[c for c in earlier if c in frame.columns]), given.astype(np.int64)


def _straight_lining(frame: pd.DataFrame, instrument: Instrument, results: dict, rules: Rules) -> np.ndarray:
    """Same code on every answered single-answer item, with enough answered."""
    items = [item for item in instrument.items if item.type != "multiple_choice"]
    if len(items) < rules.straight_line_min_items:
        return np.zeros(len(frame), dtype=bool)
    # Item by item over whole columns (contiguous arrays), not a rows x items matrix.
    n = len(frame)
    count = np.zeros(n, dtype=np.int64)
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    for item in items:
        codes = _numbers(frame[item.id])
        answered = ~np.isnan(codes) & ~results[item.id].missing & ~results[item.id].invalid
        count += answered
        np.minimum(low, np.where(answered, codes, np.inf), out=low)
        np.maximum(high, np.where(answered, codes, -np.inf), out=high)
    return (count >= rules.straight_line_min_items) & (low == high)


def _is_number_column(values: pd.Series) -> bool:
    dtype = values.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _detail(mask: np.ndarray, text: Callable[[np.ndarray], pd.Series]) -> pd.Series:
    """A check's detail for the rows in ``mask`` ("" elsewhere), made only for
    those rows: text for every row of a million cost seconds (issue 15)."""
    out = np.full(len(mask), "", dtype=object)
    rows = np.flatnonzero(mask)
    if len(rows):
        out[rows] = text(rows).to_numpy(dtype=object)
    return pd.Series(out, dtype=object)


def _numbers(values: pd.Series) -> np.ndarray:
    """``pd.to_numeric(values, errors="coerce")`` as floats; a text or mixed
    column is converted once per distinct value, not once per row."""
    if _is_number_column(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = pd.to_numeric(pd.Series(np.asarray(uniques, dtype=object)), errors="coerce")
    table = np.append(parsed.to_numpy(dtype=float, na_value=np.nan), np.nan)  # last slot: blanks (-1)
    return table[positions]


def _reasons(
    failures: dict[str, np.ndarray], details: dict[str, pd.Series], reject: np.ndarray, rules: Rules
) -> list[str]:
    """Every reason a rejected row failed (flags included, so nothing is
    hidden), in the order of the checks: built check by check over the
    rejected rows, not row by row (issue 15)."""
    indices = np.flatnonzero(reject)
    texts = np.full(len(indices), "", dtype=object)
    for check, mask in failures.items():
        if rules.action(check) == "ignore":
            continue
        hit = mask[indices]
        if not hit.any():
            continue
        part: Any = check
        detail = details.get(check)
        if detail is not None:
            extra = detail.to_numpy(dtype=object)[indices[hit]]
            part = np.where(extra != "", check + " (" + extra + ")", check)
        before = texts[hit]
        texts[hit] = np.where(before == "", part, before + "; " + part)
    return texts.tolist()


class Summary:
    """Counts accumulated over chunks."""

    def __init__(self, instrument: Instrument, rules: Rules, attrs: dict[str, Any]) -> None:
        self.instrument = instrument
        self.rules = rules
        self.ingest = attrs.get("ingest", {})
        self.source = attrs.get("source", {})
        self.input_rows = self.clean_rows = self.rejected_rows = 0
        self.rejections: dict[str, int] = {}
        self.flags: dict[str, int] = {}
        self.invalid_values: dict[str, int] = {}
        self.skipped: dict[str, str] = {}

    def rows(self, seen: int, clean: int, rejected: int) -> None:
        self.input_rows += seen
        self.clean_rows += clean
        self.rejected_rows += rejected

    def count(self, check: str, action: str, rows: int) -> None:
        target = self.rejections if action == "reject" else self.flags
        target[check] = target.get(check, 0) + rows

    def skip(self, check: str, why: str) -> None:
        self.skipped[check] = why

    def rules_record(self) -> dict[str, Any]:
        return {"actions": self.rules.actions, "speeder_share": self.rules.speeder_share}

    def result(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument.id,
            "source": self.source,
            "platform": self.ingest.get("platform"),
            "input_rows": self.input_rows,
            "clean_rows": self.clean_rows,
            "rejected_rows": self.rejected_rows,
            "balanced": self.input_rows == self.clean_rows + self.rejected_rows,
            "rejections": self.rejections,
            "flags": self.flags,
            "invalid_values_by_column": self.invalid_values,
            "checks_skipped": self.skipped,
            "rules": {**self.rules_record(), "max_missing_share": self.rules.max_missing_share},
            "columns": self.ingest.get("columns", {}),
        }


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The summary for people, one fact per line (stderr of ``validate``)."""
    lines = [
        f"{summary['input_rows']} rows read = {summary['clean_rows']} clean + {summary['rejected_rows']} rejected"
        + ("" if summary["balanced"] else "  (DOES NOT BALANCE: please report this)"),
    ]
    if summary.get("platform"):
        lines.append(f"platform: {summary['platform']}")
    for check, rows in summary["rejections"].items():
        if rows:
            lines.append(f"rejected  {check}: {rows} row(s)")
    for item_id, rows in summary["invalid_values_by_column"].items():
        lines.append(f"  invalid values in {item_id}: {rows} row(s)")
    for check, rows in summary["flags"].items():
        if rows:
            lines.append(f"flagged   {check}: {rows} row(s) (kept, see flag_{check})")
    for check, why in summary["checks_skipped"].items():
        lines.append(f"not checked {check}: {why}")
    return lines
