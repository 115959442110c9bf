"""Decode a file into a DataFrame, whatever wrote it, keeping its labels.

One reader per file format, chosen by extension (or ``file_format``):
CSV/TSV (encoding detected among UTF-8 with or without BOM and GB18030, the
superset of GBK; delimiter sniffed, since KoboToolbox writes ``;``), Excel
``.xlsx``/``.xls`` (the calamine engine, which reads both and avoids the xlrd
version pyxform pins), SPSS ``.sav``/``.zsav``, Stata ``.dta``, SAS
``.sas7bdat``/``.xpt`` (pyreadstat with ``user_missing=True``, so SPSS
user-missing codes such as 8 "don't know" reach scoring as codes, not blanks)
and Parquet.

Labels travel in ``attrs["labels"]`` (``variables``: column -> label,
``values``: column -> {code: label}, ``missing``: column -> user-missing
codes); where the file came from is in ``attrs["source"]``. A CSV written by
this toolkit has its metadata in a ``<file>.meta.json`` sidecar, read back here.

Big files are read in chunks (:func:`iter_file`) so memory stays bounded,
``.xlsx`` included (:mod:`literacy.io.spreadsheets`). Text files are decoded
and their rows checked by :mod:`literacy.io.textfiles`; the CSV-injection
policy lives in :mod:`literacy.io.formulas`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError, spell
from literacy.io.formulas import TEXT_ESCAPE_KEY, TEXT_ESCAPE_POLICY, map_text_cells, unescape_text_cell
from literacy.io.spreadsheets import _excel_header, _xlsx_chunks, check_spreadsheet
from literacy.io.textfiles import (
    BadRow,
    TextLayout,
    _csv_blocks,
    _is_utf8,
    _read_csv,
    arrow_csv,
    refuse_duplicate_columns,
    text_layout,
)
from literacy.threads import pool_of, submit
from literacy.vocabulary import DEFAULT_CHUNK_ROWS, FILE_FORMATS

SIDECAR_SUFFIX = ".meta.json"


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def file_format(path: str | Path, override: str | None = None) -> str:
    """The reader for ``path``: from ``override`` or the extension."""
    if override:
        if override not in set(FILE_FORMATS.values()):
            raise LiteracyError(
                f"File format {override!r} is unknown; use one of {', '.join(sorted(set(FILE_FORMATS.values())))}."
            )
        return override
    suffix = Path(str(path)).suffix.lower()
    if suffix not in FILE_FORMATS:
        raise LiteracyError(
            f"Cannot tell the format of {path} from its extension; use one of "
            f"{', '.join(sorted(FILE_FORMATS))}, or name the format with {spell('--format', 'file_format=')}."
        )
    return FILE_FORMATS[suffix]


@dataclass
class Chunk:
    """A slice of rows and how far through the file it reaches (0..1).

    ``rows`` is each row's ``source_row`` (text: the line number minus one, so
    blank lines count; spreadsheet: the sheet row number minus one; other
    formats: the record number); ``bad`` holds rows set aside unparsed."""

    frame: pd.DataFrame
    progress: float
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    bad: list[BadRow] = field(default_factory=list)


@dataclass
class FileInfo:
    """What a reader learnt about the file before the rows."""

    path: Path
    kind: str
    labels: dict[str, Any] = field(default_factory=dict)
    layout: TextLayout | None = None
    rows: int | None = None

    def attrs(self) -> dict[str, Any]:
        source: dict[str, Any] = {"path": str(self.path), "format": self.kind}
        if self.layout:
            source.update(encoding=self.layout.encoding, delimiter=self.layout.delimiter)
        return {"source": source, **({"labels": self.labels} if self.labels else {})}


def read_file(
    path: str | Path,
    *,
    kind: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read a whole file (see :func:`iter_file` for big ones)."""
    path = _existing(path)
    kind = file_format(path, kind)
    if kind in ("csv", "tsv"):
        layout = text_layout(path, encoding, tab=kind == "tsv")
        frame = _read_plain_csv(path, layout)
        if frame is None:
            frame = _read_checked_csv(path, kind, layout)
        _return_free_memory()
        info = FileInfo(path, kind, layout=layout)
        meta, escaped = _sidecar(path)
        frame = map_text_cells(frame, unescape_text_cell)[0] if escaped else frame
        frame.attrs = meta or info.attrs()
    elif kind == "excel":
        if check_spreadsheet(path):
            frame, _, bad, _ = next(
                _guard(path, kind, lambda: iter(list(_xlsx_chunks(path, sheet, None)))), (None,) * 4
            )
            if bad:
                raise LiteracyError(bad[0].sentence(path))
            if frame is None:
                raise LiteracyError(f"{path} has a header but no data rows; export the responses again.")
        else:
            frame = _guard(path, kind, lambda: pd.read_excel(path, sheet_name=sheet or 0, engine="calamine"))
            refuse_duplicate_columns(path, _excel_header(path, sheet))
        frame = _drop_blank_excel_rows(frame)
        frame.attrs = FileInfo(path, kind).attrs()
    elif kind == "parquet":
        frame = _guard(path, kind, lambda: pd.read_parquet(path))
        frame.attrs = _parquet_attrs(path, kind)
    else:
        frame, meta = _guard(path, kind, lambda: _readstat(kind)(str(path), **_readstat_options(kind, encoding)))
        refuse_duplicate_columns(path, list(meta.column_names or []))
        info = FileInfo(path, kind, labels=_labels(meta))
        frame.attrs = info.attrs()
    _require_rows(frame, path)
    return frame


def _read_plain_csv(path: Path, layout: TextLayout) -> pd.DataFrame | None:
    """A UTF-8 file pyarrow parses as pandas would (:func:`arrow_csv`): no
    row of the wrong width, no NUL byte, no column read otherwise. None for
    anything else, which :func:`_read_checked_csv` reads and explains."""
    if not _is_utf8(layout.encoding):
        return None
    return arrow_csv(path, layout.delimiter)


def _read_checked_csv(path: Path, kind: str, layout: TextLayout) -> pd.DataFrame:
    """pandas' parse of the whole file, with every record's fields counted:
    a bad row is one sentence naming its line."""
    # The strict-row check and pandas' parse of the whole file run side by
    # side on two cores (both release the GIL for most of their work; 0.2 s
    # of a `literacy estimate`, more of a run; issue 15). The check's
    # verdict is taken first, so a bad row is reported as before. The
    # parse stays in this thread: memory it leaves free is then reused by
    # the steps after it (another thread's malloc arena kept 0.4 GiB more).
    with pool_of(1, "literacy-check") as pool:
        checking = submit(pool, lambda: list(_csv_blocks(path, layout, DEFAULT_CHUNK_ROWS, check_only=True)))
        try:
            frame = _guard(path, kind, lambda: _read_csv(path, layout))
        except LiteracyError:
            frame = None  # the check's sentence first, where it has one
        for block in _guard(path, kind, checking.result):
            if block.bad:
                raise LiteracyError(block.bad[0].sentence(path))
        if frame is None:
            frame = _guard(path, kind, lambda: _read_csv(path, layout))  # raises its sentence again
    return frame


def iter_file(
    path: str | Path,
    *,
    kind: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    columns: list[str] | None = None,
    keep_bad_rows: bool = False,
) -> Iterator[Chunk]:
    """Yield the file's rows in chunks with bounded memory (only ``columns``
    when given, which makes a pass over a few columns cheap).

    CSV streams in blocks of records checked before pandas parses them,
    ``.xlsx`` a slice of sheet rows at a time (:class:`_SheetStream`), SPSS/Stata/SAS through
    ReadStat's row offsets, Parquet by record batches; legacy ``.xls`` comes
    as one chunk. A bad row (wrong field count, NUL byte) is one plain
    sentence, or, with ``keep_bad_rows`` (``validate``), goes in ``Chunk.bad``.
    """
    path = _existing(path)
    kind = file_format(path, kind)
    yielded = False
    if kind in ("csv", "tsv"):
        layout = text_layout(path, encoding, tab=kind == "tsv")
        meta, escaped = _sidecar(path)
        attrs = meta or FileInfo(path, kind, layout=layout).attrs()
        parsed = TextLayout("utf-8", layout.delimiter)  # the blocks are UTF-8 whatever the file's encoding
        blocks = _csv_blocks(path, layout, chunk_rows)
        while True:
            block = _guard(path, kind, lambda: next(blocks, None))
            if block is None:
                break
            frame = None
            if block.strict is not None:
                # pyarrow first; where it refuses a row or could read a column
                # otherwise than pandas, the block is checked field by field.
                frame = arrow_csv(block.data, parsed.delimiter, columns, lines_checked=True)
                if frame is None or len(frame) != len(block.rows):
                    frame, block = None, _guard(path, kind, block.strict)
            if block.bad and not keep_bad_rows:
                raise LiteracyError(block.bad[0].sentence(path))
            if frame is None:
                frame = _guard(path, kind, lambda b=block: _read_csv(io.BytesIO(b.data), parsed, usecols=columns))
            if len(frame) != len(block.rows):
                raise LiteracyError(
                    f"{path}: the rows near line {int(block.rows[0]) + 1 if len(block.rows) else '?'} could not be "
                    "numbered (unusual line endings?); save the file with Windows or Unix line endings."
                )
            frame = map_text_cells(frame, unescape_text_cell)[0] if escaped else frame
            frame.attrs = attrs
            yielded = True
            yield Chunk(frame, block.progress, block.rows, block.bad or [])
    elif kind == "parquet":
        import pyarrow.parquet as pq

        parquet = _guard(path, kind, lambda: pq.ParquetFile(path))
        total = max(parquet.metadata.num_rows, 1)
        attrs = _parquet_attrs(path, kind, parquet.schema_arrow.metadata)
        done = 0
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=columns):
            frame = batch.to_pandas()
            frame.attrs = attrs
            yielded = True
            yield Chunk(frame, (done + len(frame)) / total, np.arange(done + 1, done + len(frame) + 1))
            done += len(frame)
    elif kind == "excel" and check_spreadsheet(path):
        attrs = FileInfo(path, kind).attrs()
        chunks = _xlsx_chunks(path, sheet, chunk_rows, columns)
        while True:
            item = _guard(path, kind, lambda: next(chunks, None))
            if item is None:
                break
            frame, rows, bad, progress = item
            if bad and not keep_bad_rows:
                raise LiteracyError(bad[0].sentence(path))
            frame.attrs = attrs
            yielded = True
            yield Chunk(frame, progress, rows, bad)
    elif kind == "excel":
        frame = read_file(path, kind=kind, sheet=sheet)
        if columns is not None:
            frame = frame[columns]
        yielded = True
        yield Chunk(frame, 1.0, np.arange(1, len(frame) + 1))
    else:
        read = _readstat(kind)
        options = _readstat_options(kind, encoding)
        if columns is not None:
            options["usecols"] = columns
        _, meta = _guard(path, kind, lambda: read(str(path), metadataonly=True, **options))
        refuse_duplicate_columns(path, list(meta.column_names or []))
        attrs = FileInfo(path, kind, labels=_labels(meta)).attrs()
        total = meta.number_rows
        offset = 0
        while total is None or offset < total:
            frame, _ = _guard(
                path, kind, lambda start=offset: read(str(path), row_offset=start, row_limit=chunk_rows, **options)
            )
            if frame.empty:
                break
            frame.attrs = attrs
            rows = np.arange(offset + 1, offset + len(frame) + 1)
            offset += len(frame)
            yielded = True
            yield Chunk(frame, offset / total if total else 0.0, rows)
            if len(frame) < chunk_rows:
                break
    if not yielded:
        raise LiteracyError(f"{path} has a header but no data rows; export the responses again.")


# --------------------------------------------------------------------------
# SPSS, Stata, SAS through pyreadstat
# --------------------------------------------------------------------------


def _readstat(kind: str) -> Any:
    import pyreadstat

    return {
        "spss": pyreadstat.read_sav,
        "stata": pyreadstat.read_dta,
        "sas": pyreadstat.read_sas7bdat,
        "xport": pyreadstat.read_xport,
    }[kind]


def _readstat_options(kind: str, encoding: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if kind != "xport":
        options["user_missing"] = True
    if encoding:
        options["encoding"] = encoding
    return options


def _labels(meta: Any) -> dict[str, Any]:
    """Variable labels, value labels and user-missing codes from ReadStat metadata."""
    variables = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    values = {
        column: {_code_key(code): str(label) for code, label in mapping.items()}
        for column, mapping in (meta.variable_value_labels or {}).items()
    }
    missing: dict[str, list[Any]] = {}
    for column, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        codes = []
        for entry in ranges:
            low, high = entry.get("lo"), entry.get("hi")
            if low == high:
                codes.append(_code_key(low))
            else:
                codes.append([_code_key(low), _code_key(high)])
        missing[column] = codes
    for column, codes in (getattr(meta, "missing_user_values", None) or {}).items():
        missing.setdefault(column, []).extend(_code_key(code) for code in codes)
    return {
        key: value for key, value in {"variables": variables, "values": values, "missing": missing}.items() if value
    }


def _code_key(value: Any) -> Any:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return value if isinstance(value, (int, str)) else str(value)


# --------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------


def _parquet_attrs(path: Path, kind: str, stored: dict[bytes, bytes] | None = None) -> dict[str, Any]:
    """The metadata a Parquet file written by the toolkit keeps in its schema
    (``PANDAS_ATTRS``: labels, the weighting record, where the data came
    from), read back as a CSV's ``.meta.json`` sidecar is; ``source`` is the
    file itself unless the metadata names the data's own source."""
    if stored is None:
        import pyarrow.parquet as pq

        stored = _guard(path, kind, lambda: pq.read_schema(path).metadata) or {}
    attrs: Any = {}
    if b"PANDAS_ATTRS" in stored:
        try:
            attrs = json.loads(stored[b"PANDAS_ATTRS"])
        except ValueError:
            attrs = {}
    return {"source": {"path": str(path), "format": kind}, **(attrs if isinstance(attrs, dict) else {})}


def _return_free_memory() -> None:
    """Give the memory a big read freed (the check's blocks, the parser's
    buffers, in two threads' malloc arenas) back to the system: glibc keeps it
    otherwise, and a run's peak grew by 0.4 GiB (issue 15). Nothing where the
    C library has no ``malloc_trim``."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc's name: no `ldconfig` run to look it up


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise LiteracyError(f"Input file {path} does not exist; check the path.")
    if path.stat().st_size == 0:
        raise LiteracyError(f"{path} is empty; export the data again.")
    return path


def _guard(path: Path, kind: str, action: Any) -> Any:
    """Run a reader and turn its failure into one plain sentence."""
    try:
        return action()
    except LiteracyError:
        raise
    except UnicodeDecodeError as exc:
        raise LiteracyError(
            f"{path} is not valid {exc.encoding} text further in the file; give the right encoding with "
            f"{spell('--encoding', 'encoding=')}."
        ) from None
    except pd.errors.EmptyDataError:
        raise LiteracyError(f"{path} is empty; export the data again.") from None
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        names = {
            "csv": "CSV",
            "tsv": "TSV",
            "excel": "an Excel workbook",
            "spss": "an SPSS file",
            "stata": "a Stata file",
            "sas": "a SAS file",
            "xport": "a SAS transport file",
            "parquet": "a Parquet file",
        }
        raise LiteracyError(
            f"{path} could not be read as {names.get(kind, kind)} ({first}); the file may be truncated or of "
            f"another type: export it again or name its format with {spell('--format', 'file_format=')}."
        ) from None


def _require_rows(frame: pd.DataFrame, path: Path) -> None:
    if frame.empty:
        if len(frame.columns):
            raise LiteracyError(f"{path} has a header but no data rows; export the responses again.")
        raise LiteracyError(f"{path} is empty; export the data again.")


def _drop_blank_excel_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Spreadsheets typed by hand often end with formatted but empty rows."""
    blank = frame.isna().all(axis=1).to_numpy()
    if blank.any() and blank[-1]:
        last = int(np.flatnonzero(~blank)[-1]) + 1 if (~blank).any() else 0
        frame = frame.iloc[:last]
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:") and frame[c].isna().all()]
    return frame.drop(columns=unnamed)


def _sidecar(path: Path) -> tuple[dict[str, Any] | None, bool]:
    """The table's metadata from its sidecar, and whether this toolkit wrote
    the CSV with escaped text cells (the flag is not kept in the metadata, so
    it never follows the table into a Parquet file)."""
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return None, False
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise LiteracyError(f"The metadata file {sidecar} is not valid JSON; fix or delete it.") from None
    if not isinstance(meta, dict):
        return None, False
    escaped = meta.pop(TEXT_ESCAPE_KEY, None) == TEXT_ESCAPE_POLICY
    return meta or None, escaped
