"""``read``: the one entry for every input file.

Decodes the file by its format (:mod:`literacy.io.files`) and, given an
instrument, maps the platform's layout onto the instrument's item columns and
codes (:mod:`literacy.io.platforms`). Without an instrument the table comes
back as the file holds it (the toolkit's own intermediate files).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError
from literacy.io.files import DEFAULT_CHUNK_ROWS, iter_file, read_file
from literacy.io.missing import is_number
from literacy.io.textfiles import BadRow, refuse_duplicate_columns

if TYPE_CHECKING:
    from literacy.instrument import Instrument
    from literacy.io.platforms import Adapter, ColumnMapping

# The instrument, the platform adapters and scoring are imported where an
# instrument is given: reading one of the toolkit's own tables needs none of
# them, and they cost 0.2 s of a `literacy estimate` (issue 15).


@dataclass(frozen=True)
class ReadOptions:
    """How to read an export: format, encoding, sheet, platform and mapping."""

    file_format: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    platform: str = "auto"
    mapping: str | Path | ColumnMapping | None = None

    def column_mapping(self) -> ColumnMapping | None:
        from literacy.io.platforms import ColumnMapping, read_mapping

        if self.mapping is None or isinstance(self.mapping, ColumnMapping):
            return self.mapping
        return read_mapping(self.mapping)


def read(
    source: str | Path | pd.DataFrame,
    questionnaire: Instrument | str | None = None,
    *,
    platform: str = "auto",
    encoding: str | None = None,
    file_format: str | None = None,
    sheet: str | int | None = None,
    mapping: str | Path | ColumnMapping | None = None,
    blanks_are_unanswered: bool = False,
) -> pd.DataFrame:
    """Read an export (CSV/TSV, Excel, SPSS, Stata, SAS, Parquet), or take a
    DataFrame already in memory, into the toolkit's table.

    With ``questionnaire``, columns are renamed to item and respondent-field
    ids and answers become the instrument's codes; ``attrs["ingest"]`` says
    how (platform, column map). ``attrs["labels"]`` keeps the file's variable
    and value labels and declared missing codes.

    A DataFrame goes through the same adapters and checks as a file. Readers
    outside the toolkit often blank declared codes (``pandas.read_spss`` and
    haven's ``read_sav`` turn don't know = 8 and refused = 9 into NaN) or put
    value labels where codes were: both change scores silently, so a frame
    that looks like either is refused with a pointer to ``literacy.read(path)``;
    ``blanks_are_unanswered=True`` says its blanks really are unanswered.
    """
    in_memory = isinstance(source, pd.DataFrame)
    if in_memory:
        refuse_duplicate_columns("The DataFrame", list(source.columns))  # what read_file checks of a file
        frame = source
    else:
        frame = read_file(source, kind=file_format, encoding=encoding, sheet=sheet)
    if questionnaire is None:
        return frame
    from literacy.instrument import load_instrument
    from literacy.io.platforms import plan_adapter

    instrument = load_instrument(questionnaire)
    adapter = plan_adapter(frame, instrument, platform=platform, mapping=ReadOptions(mapping=mapping).column_mapping())
    adapted = adapter.apply(frame)
    if in_memory:
        _check_codes_survived(frame, adapter, adapted, instrument, blanks_are_unanswered)
    return adapted


def _check_codes_survived(
    frame: pd.DataFrame, adapter: Adapter, adapted: pd.DataFrame, instrument: Instrument, blanks_are_unanswered: bool
) -> None:
    """The two signs of a reader outside the toolkit that lost the codes:
    labels the instrument does not know where codes were, and declared
    don't know / refused read as blanks."""
    from literacy.scoring import item_results

    items = [item.id for item in instrument.items if item.id in adapted.columns]
    if len(items) < len(instrument.item_ids):
        return  # scoring and validation name the missing item columns
    results = item_results(adapted, instrument)
    # Text where a code should be (an invalid number such as 99 is for
    # validation to reject, not a sign of labels).
    texts = {
        item_id: [v for v in pd.unique(adapted.loc[result.invalid, item_id].astype(str)) if not is_number(v)]
        for item_id, result in results.items()
        if result.invalid.any() and _holds_text(frame, adapter, item_id)
    }
    labelled = [item_id for item_id, values in texts.items() if values]
    if labelled:
        item_id = labelled[0]
        shown = ", ".join(map(repr, texts[item_id][:3]))
        raise LiteracyError(
            f"Item {item_id} (and {len(labelled) - 1} more) holds labels the instrument does not know ({shown}): "
            "the frame carries value labels in place of codes (pandas.read_spss does this by default). Read the "
            "file with literacy.read(path, instrument), which keeps the codes, or map the labels with mapping=."
        )
    if blanks_are_unanswered or frame.attrs.get("labels") is not None or frame.attrs.get("source"):
        return  # read by the toolkit, or the caller vouches for the blanks
    answers = adapted[items]
    blank = int(answers.isna().sum().sum())
    refusals = set(instrument.missing.answered_as_wrong)
    said_per_item = answers.isin(refusals | {str(c) for c in refusals}).sum()
    # pandas.read_spss keeps ReadStat's value labels in attrs but reads
    # declared missing values as blanks: an item whose labels name don't know
    # or refused, with blanks and not one such answer, lost its codes.
    value_labels = frame.attrs.get("variable_value_labels") or {}
    source_of = {target: source for source, target in adapter.renames.items()}
    lost_items = [
        item for item in items
        if said_per_item[item] == 0 and answers[item].isna().any()
        and refusals & {_as_code(k) for k in value_labels.get(source_of.get(item, item), {})}
    ]  # fmt: skip
    if lost_items:
        raise LiteracyError(
            f"{len(lost_items)} item column(s) of the frame (e.g. {lost_items[0]}) have value labels for don't "
            f"know or refused but not one such answer, while {blank:,} item answers are blank: its reader "
            "(pandas.read_spss) read the declared codes as blanks, which changes scores (don't know and refused "
            "count as wrong, blanks as unanswered). Read the file with literacy.read(path, instrument), which keeps "
            "the codes, or pass blanks_are_unanswered=True."
        )
    said = int(said_per_item.sum())
    if said == 0 and blank >= max(1, 0.02 * answers.size):
        raise LiteracyError(
            f"None of the frame's item answers is don't know or refused, yet {blank:,} of {answers.size:,} are blank: "
            "a reader outside the toolkit (pandas.read_spss, haven's read_sav) may have turned declared codes such "
            "as 8 and 9 into blanks, which changes scores. Read the file with literacy.read(path, instrument), or "
            "pass blanks_are_unanswered=True if the blanks really are unanswered."
        )


def _as_code(value: object) -> object:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number


def _holds_text(frame: pd.DataFrame, adapter: Adapter, item_id: str) -> bool:
    """Whether the source column of an item held text or categories (labels)."""
    sources = [source for source, target in adapter.renames.items() if target == item_id] or [item_id]
    for source in sources:
        if source in frame.columns:
            dtype = frame[source].dtype
            if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype) or isinstance(
                dtype, pd.StringDtype
            ):
                return True
    return False


@dataclass
class AdaptedChunk:
    """Mapped rows, each row's ``source_row`` (``rows``) and the rows set
    aside unparsed (``bad``, only with ``keep_bad_rows``)."""

    frame: pd.DataFrame
    progress: float
    adapter: Adapter
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    bad: list[BadRow] = field(default_factory=list)


def iter_read(
    path: str | Path,
    questionnaire: Instrument | str,
    options: ReadOptions | None = None,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    only: set[str] | None = None,
    keep_bad_rows: bool = False,
) -> Iterator[AdaptedChunk]:
    """Stream an export chunk by chunk, mapped onto the instrument. The
    mapping is planned from the first rows and reused for every chunk.

    ``only`` names target columns (e.g. the respondent id): then only the
    source columns behind them are read, for a cheap pass over a big file.
    ``keep_bad_rows`` hands malformed rows on instead of stopping at the first.
    """
    from literacy.instrument import load_instrument
    from literacy.io.platforms import plan_adapter

    options = options or ReadOptions()
    instrument = load_instrument(questionnaire)
    reading = {"kind": options.file_format, "encoding": options.encoding, "sheet": options.sheet}
    head = next(iter_file(path, chunk_rows=min(chunk_rows, 1000), keep_bad_rows=keep_bad_rows, **reading)).frame
    adapter = plan_adapter(head, instrument, platform=options.platform, mapping=options.column_mapping())
    columns = adapter.source_columns(only) if only is not None else None
    first = True
    for chunk in iter_file(path, chunk_rows=chunk_rows, columns=columns, keep_bad_rows=keep_bad_rows, **reading):
        rows = chunk.rows[adapter.skip_rows :] if first else chunk.rows  # a Kobo HXL tag row is not a data row
        frame = adapter.apply(chunk.frame, first_chunk=first)
        yield AdaptedChunk(frame, chunk.progress, adapter, rows, chunk.bad)
        first = False
