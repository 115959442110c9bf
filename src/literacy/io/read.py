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

import numpy as np
import pandas as pd

from literacy.instrument import Instrument, load_instrument
from literacy.io.files import DEFAULT_CHUNK_ROWS, BadRow, iter_file, read_file
from literacy.io.platforms import Adapter, ColumnMapping, plan_adapter, read_mapping


@dataclass(frozen=True)
class ReadOptions:
    """How to read an export: format, encoding, sheet, platform and mapping."""

    file_format: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    platform: str = "auto"
    mapping: str | Path | ColumnMapping | None = None

    def column_mapping(self) -> ColumnMapping | None:
        if self.mapping is None or isinstance(self.mapping, ColumnMapping):
            return self.mapping
        return read_mapping(self.mapping)


def read(
    path: str | Path,
    questionnaire: Instrument | str | None = None,
    *,
    platform: str = "auto",
    encoding: str | None = None,
    file_format: str | None = None,
    sheet: str | int | None = None,
    mapping: str | Path | ColumnMapping | None = None,
) -> pd.DataFrame:
    """Read an export (CSV/TSV, Excel, SPSS, Stata, SAS, Parquet) into a DataFrame.

    With ``questionnaire``, columns are renamed to item and respondent-field
    ids and answers become the instrument's codes; ``attrs["ingest"]`` says
    how (platform, column map). ``attrs["labels"]`` keeps the file's variable
    and value labels and declared missing codes.
    """
    frame = read_file(path, kind=file_format, encoding=encoding, sheet=sheet)
    if questionnaire is None:
        return frame
    instrument = load_instrument(questionnaire)
    adapter = plan_adapter(frame, instrument, platform=platform, mapping=ReadOptions(mapping=mapping).column_mapping())
    return adapter.apply(frame)


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
