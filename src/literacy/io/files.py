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
``.xlsx`` included (openpyxl's streaming reader, after a check of the sizes the
zip declares). Rows are strict: a CSV row with more or fewer fields than the
header, or with a NUL byte, is a :class:`BadRow` with its line number, never a
row padded with blanks; a header naming one column twice is refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from literacy.errors import LiteracyError, spell

FILE_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
    ".sas7bdat": "sas",
    ".xpt": "xport",
    ".parquet": "parquet",
    ".pq": "parquet",
}
ENCODINGS = ("utf-8-sig", "gb18030")
SIDECAR_SUFFIX = ".meta.json"
_SNIFF_BYTES = 1 << 20
_DELIMITERS = ",;\t|"
DEFAULT_CHUNK_ROWS = 100_000


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
class TextLayout:
    encoding: str
    delimiter: str


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
        for block in _guard(path, kind, lambda: list(_csv_blocks(path, layout, DEFAULT_CHUNK_ROWS, check_only=True))):
            if block.bad:
                raise LiteracyError(block.bad[0].sentence(path))
        frame = _guard(path, kind, lambda: _read_csv(path, layout))
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
        frame.attrs = {**frame.attrs, "source": {"path": str(path), "format": kind}}
    else:
        frame, meta = _guard(path, kind, lambda: _readstat(kind)(str(path), **_readstat_options(kind, encoding)))
        refuse_duplicate_columns(path, list(meta.column_names or []))
        info = FileInfo(path, kind, labels=_labels(meta))
        frame.attrs = info.attrs()
    _require_rows(frame, path)
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
            if block.bad and not keep_bad_rows:
                raise LiteracyError(block.bad[0].sentence(path))
            frame = _guard(path, kind, lambda b=block: _read_csv(io.BytesIO(b.data), parsed, usecols=columns))
            if len(frame) != len(block.rows):
                raise LiteracyError(
                    f"{path}: the rows near line {int(block.rows[0]) + 1 if len(block.rows) else '?'} could not be "
                    "numbered (unusual line endings?); save the file with Windows or Unix line endings."
                )
            frame = map_text_cells(frame, unescape_text_cell)[0] if escaped else frame
            frame.attrs = attrs
            yielded = True
            yield Chunk(frame, block.progress, block.rows, block.bad)
    elif kind == "parquet":
        import pyarrow.parquet as pq

        parquet = _guard(path, kind, lambda: pq.ParquetFile(path))
        total = max(parquet.metadata.num_rows, 1)
        attrs = {"source": {"path": str(path), "format": kind}}
        stored = parquet.schema_arrow.metadata or {}
        if b"PANDAS_ATTRS" in stored:
            attrs = {**json.loads(stored[b"PANDAS_ATTRS"]), **attrs}
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
# Text files: encoding and delimiter
# --------------------------------------------------------------------------


def text_layout(path: Path, encoding: str | None = None, *, tab: bool = False) -> TextLayout:
    """Find the encoding (unless given) and the delimiter from the file's start."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head.strip():
        raise LiteracyError(f"{path} is empty; export the data again.")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise LiteracyError(f"Encoding {encoding!r} is unknown; use e.g. utf-8, gb18030 or gbk.") from None
        text = _decode(head, encoding)
        if text is None:
            raise LiteracyError(
                f"{path} is not valid {encoding} text; leave out {spell('--encoding', 'encoding=')} to detect it, or "
                "name the right one."
            )
    elif (marked := _bom_encoding(head)) is not None:
        # Excel's "Unicode Text" export is UTF-16 with a byte-order mark.
        encoding = marked
        text = _decode(head, encoding)
        if text is None:
            raise LiteracyError(f"{path} starts with a {encoding.upper()} byte-order mark but is not valid {encoding}.")
    else:
        for candidate in ENCODINGS:
            text = _decode(head, candidate)
            if text is not None:
                encoding = candidate
                break
        else:
            raise LiteracyError(
                f"{path} is neither UTF-8 nor GB18030/GBK text (is it a spreadsheet or SPSS file with the wrong "
                f"extension?); give its encoding with {spell('--encoding', 'encoding=')}."
            )
    assert text is not None
    return TextLayout(encoding, "\t" if tab else _sniff_delimiter(text))


def _bom_encoding(head: bytes) -> str | None:
    """UTF-32 and UTF-16 by their byte-order mark (UTF-32 first: its
    little-endian mark begins with UTF-16's); the codec then drops the mark."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _decode(head: bytes, encoding: str) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        return decoder.decode(head, final=len(head) < _SNIFF_BYTES)
    except UnicodeDecodeError:
        return None


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _read_csv(source: Any, layout: TextLayout, **options: Any) -> Any:
    encoding = "utf-8-sig" if layout.encoding.replace("_", "-").lower() in ("utf-8", "utf8") else layout.encoding
    return pd.read_csv(
        source,
        sep=layout.delimiter,
        encoding=encoding,
        skipinitialspace=False,
        low_memory=False,
        **options,
    )


# --------------------------------------------------------------------------
# Text files: strict rows (field count, NUL bytes) with their line numbers
# --------------------------------------------------------------------------


@dataclass
class BadRow:
    """A row set aside before parsing: where it is and why."""

    row: int  # source_row: the line number in the file minus one (the header line)
    reason: str  # e.g. "wrong_field_count (5 of 60 fields)" or "nul_byte"

    def sentence(self, path: Path) -> str:
        return (
            f"{path} line {self.row + 1} {self.problem()}; fix that line, or "
            f"{spell('run `literacy validate`', 'use literacy.validate')} to set such rows aside."
        )

    def problem(self) -> str:
        if self.reason == "nul_byte":
            return "holds a NUL byte (the file may be damaged)"
        fields, _, width = self.reason.partition("(")[2].split()[:3]
        return f"has {fields} fields where the header has {width}"


@dataclass
class _Block:
    data: bytes  # header + the well-formed records, UTF-8, for pandas
    rows: np.ndarray  # source_row of each well-formed record
    bad: list[BadRow]
    progress: float


_READ_BYTES = 8 << 20
_BLANK = b" \t\r"


def _csv_blocks(
    path: Path, layout: TextLayout, chunk_rows: int | None, *, check_only: bool = False
) -> Iterator[_Block]:
    """The file as blocks of ``chunk_rows`` records (all when None), each
    record numbered by its first line and checked for its field count and NUL
    bytes before pandas sees it.

    Why not let pandas do it: it fills a short row with blanks (an interview
    silently losing its answers), fails the whole file on a long one, and
    numbers rows after skipping blank lines. Counting is vectorised with numpy
    for blocks without quote characters; blocks with quotes go through the
    csv module (quoted fields may hold delimiters and line breaks).
    """
    size = max(path.stat().st_size, 1)
    delimiter = layout.delimiter.encode()[0]
    decoder = None if _is_utf8(layout.encoding) else codecs.getincrementaldecoder(layout.encoding)()
    header: bytes | None = None
    width = 0
    line_base = 0  # lines of the file before ``pending``
    pending = b""
    first_read = True
    eof = False
    more = False  # one record longer than a whole read: read on
    with open(path, "rb") as handle:
        while True:
            pieces = [pending]
            lines = pending.count(b"\n")
            want = (chunk_rows or 1 << 62) + 2
            while (lines < want or more) and not eof:
                more = False
                raw = handle.read(_READ_BYTES)
                if not raw:
                    eof = True
                    if decoder is not None:
                        pieces.append(decoder.decode(b"", final=True).encode("utf-8"))
                    break
                piece = decoder.decode(raw).encode("utf-8") if decoder is not None else raw
                if first_read:
                    piece, first_read = piece.removeprefix(codecs.BOM_UTF8), False
                pieces.append(piece)
                lines += piece.count(b"\n")
            data = b"".join(pieces)
            if eof and data and not data.endswith(b"\n"):
                data += b"\n"
            if not data.strip(_BLANK + b"\n"):
                return
            records = _records(data, delimiter)
            if not eof and not len(records.starts):
                pending, more = data, True
                continue
            cut = len(data)
            if not eof:
                cut = int(records.starts[-1])  # the last record may continue in the next read
                records = records.take(slice(0, -1))
            filled = np.flatnonzero(~records.blank)
            if header is None:
                if not len(filled):
                    pending, more = data, True
                    continue
                first = int(filled[0])
                end = int(records.ends[first])
                header = data[int(records.starts[first]) : end].rstrip(b"\r\n") + b"\n"
                width = _check_header(path, header, layout)
                line_base += data.count(b"\n", 0, end)
                pending = data[end:]
                continue
            if chunk_rows is not None and len(filled) > chunk_rows:
                cut = int(records.starts[filled[chunk_rows]])
                filled = filled[:chunk_rows]
            if not len(filled) and not eof:
                pending, more = data, True
                continue
            taken = records.take(filled)
            wrong = (taken.fields != width) | taken.nul
            rows = line_base + taken.lines[~wrong]
            bad = [
                BadRow(line_base + int(line), "nul_byte" if nul else f"wrong_field_count ({fields} of {width} fields)")
                for line, fields, nul in zip(
                    taken.lines[wrong].tolist(), taken.fields[wrong].tolist(), taken.nul[wrong].tolist(), strict=True
                )
            ]
            if check_only or not len(filled):
                body = b""
            elif not bad:
                body = data[int(taken.starts[0]) : int(taken.ends[-1])]
            else:
                body = b"".join(
                    data[s:e] for s, e in zip(taken.starts[~wrong].tolist(), taken.ends[~wrong].tolist(), strict=True)
                )
            done = eof and cut == len(data)
            line_base += data.count(b"\n", 0, cut)
            pending = data[cut:]
            if len(filled):
                yield _Block(header + body, rows, bad, 1.0 if done else min(handle.tell() / size, 1.0))
            if done:
                return


@dataclass
class _Records:
    """The records of a block, as arrays: byte span (end just past the
    newline), first line (0-based within the block), field count, whether
    blank (pandas skips those) and whether holding a NUL byte."""

    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    fields: np.ndarray
    blank: np.ndarray
    nul: np.ndarray

    def take(self, which: Any) -> _Records:
        return _Records(*(getattr(self, name)[which] for name in ("starts", "ends", "lines", "fields", "blank", "nul")))


def _records(data: bytes, delimiter: int) -> _Records:
    """Every record of ``data`` (whose last complete line ends with a newline)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], newlines[:-1] + 1))
    ends = newlines + 1
    delimiters = np.flatnonzero(arr == delimiter)
    lines = np.arange(len(starts))
    if b'"' in data:
        quotes = np.flatnonzero(arr == _QUOTE)
        if len(quotes) % 2 or not _regular_quotes(arr, quotes, delimiter):
            return _quoted_records(data, starts, ends, delimiter)
        # Every quote opens or closes a field (or is doubled inside one), so a
        # delimiter or newline is inside quotes exactly when an odd number of
        # quotes precede it: the rule pandas' parser follows for such files.
        closing = np.searchsorted(quotes, newlines) % 2 == 0
        if not closing.any():
            return _quoted_records(data, starts, ends, delimiter)
        delimiters = delimiters[np.searchsorted(quotes, delimiters) % 2 == 0]
        lines = np.concatenate(([0], np.flatnonzero(closing)[:-1] + 1))
        ends = newlines[closing] + 1
        starts = np.concatenate(([0], ends[:-1]))
    fields = np.diff(np.searchsorted(delimiters, ends), prepend=0) + 1  # each record starts where the previous ends
    blank = np.zeros(len(starts), dtype=bool)
    for i in np.flatnonzero((fields == 1) & (ends - starts < 256)).tolist():
        blank[i] = not data[starts[i] : ends[i]].strip(_BLANK + b"\n")
    nul = np.zeros(len(starts), dtype=bool)
    if b"\x00" in data:
        where = np.flatnonzero(arr == 0)
        nul[np.searchsorted(ends, where[where < ends[-1]], side="right")] = True
    return _Records(starts, ends, lines, fields, blank, nul)


_QUOTE = ord('"')


def _regular_quotes(arr: np.ndarray, quotes: np.ndarray, delimiter: int) -> bool:
    """True when every quote opens a field (after a delimiter or line start),
    closes one (before a delimiter or line end) or is half of a doubled quote.
    Anything else (``5" screen`` unquoted) is read literally by pandas, which
    only the csv module mimics."""
    size = len(arr)
    before = np.where(quotes > 0, arr[np.maximum(quotes - 1, 0)], 10)
    after = np.where(quotes < size - 1, arr[np.minimum(quotes + 1, size - 1)], 10)
    opening = np.arange(len(quotes)) % 2 == 0
    fits_open = (before == delimiter) | (before == 10) | (before == _QUOTE)
    fits_close = (after == delimiter) | (after == 10) | (after == 13) | (after == _QUOTE)
    return bool(np.where(opening, fits_open, fits_close).all())


def _quoted_records(data: bytes, starts: np.ndarray, ends: np.ndarray, delimiter: int) -> _Records:
    """Records by the csv module, which splits quoted fields as pandas does."""
    if csv.field_size_limit() < 1 << 30:
        csv.field_size_limit(1 << 30)
    text_lines = data.decode("utf-8", errors="replace").split("\n")[: len(ends)]
    reader = csv.reader(iter(text_lines), delimiter=chr(delimiter), quotechar='"', doublequote=True, strict=False)
    firsts, lasts, fields = [], [], []
    line = 0
    try:
        for row in reader:
            firsts.append(line)
            line = reader.line_num
            lasts.append(line - 1)
            fields.append(len(row))
    except csv.Error as exc:
        raise LiteracyError(f"line {line + 1} of the block could not be split into fields ({exc}).") from None
    first, last = np.array(firsts, dtype=np.int64), np.array(lasts, dtype=np.int64)
    record_starts, record_ends = starts[first], ends[last]
    blank = np.zeros(len(first), dtype=bool)
    for i in np.flatnonzero((first == last) & (record_ends - record_starts < 256)).tolist():
        blank[i] = not data[record_starts[i] : record_ends[i]].strip(_BLANK + b"\n")
    nul = np.zeros(len(first), dtype=bool)
    if b"\x00" in data:
        where = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
        nul[np.searchsorted(record_ends, where[where < record_ends[-1]], side="right")] = True
    return _Records(record_starts, record_ends, first, np.array(fields, dtype=np.int64), blank, nul)


def _check_header(path: Path, header: bytes, layout: TextLayout) -> int:
    """The header's number of fields; a name used twice is refused."""
    names = next(csv.reader([header.decode("utf-8", errors="replace").rstrip("\r\n")], delimiter=layout.delimiter))
    refuse_duplicate_columns(path, names)
    return len(names)


def refuse_duplicate_columns(path: Path | str, names: list[Any]) -> None:
    """Two columns with one name (pandas would quietly call the second
    ``city.1``) leave it unclear which holds the answers."""
    seen: dict[str, list[int]] = {}
    for position, name in enumerate(names, start=1):
        if name is None or str(name).strip() == "":
            continue
        seen.setdefault(str(name), []).append(position)
    for name, positions in seen.items():
        if len(positions) > 1:
            where = ", ".join(str(p) for p in positions)
            raise LiteracyError(
                f"{path} has two columns named {name!r} (columns {where}); rename or delete one and export again."
            )


def _is_utf8(encoding: str) -> bool:
    return encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")


# --------------------------------------------------------------------------
# Spreadsheets: size limits before reading, then row by row
# --------------------------------------------------------------------------

MAX_XLSX_UNPACKED = 4 * 2**30
"""A workbook's parts may unpack to 4 GiB in all: a full 1,048,576-row sheet of
47 columns is about 1.6 GiB of XML (see benchmarks/README.md)."""
MAX_XLSX_RATIO = 200
"""Sheet XML packs 5-20 times; a part packed more than 200 times (and bigger
than :data:`RATIO_FROM_BYTES`) is a zip bomb, not a survey export."""
RATIO_FROM_BYTES = 64 * 2**20
MAX_XLS_BYTES = 256 * 2**20
"""Legacy ``.xls`` is read whole (at most 65,536 rows), so only its size is capped."""


def check_spreadsheet(path: Path) -> bool:
    """Refuse, in well under a second and before anything is unpacked, a
    workbook that would unpack to too much; True for a zip (``.xlsx``) workbook.

    The sizes checked are the ones the zip directory declares; Python's
    zipfile, which openpyxl reads through, never unpacks a part beyond its
    declared size, so a lying directory cannot get past this check."""
    if not zipfile.is_zipfile(path):
        size = path.stat().st_size
        if size > MAX_XLS_BYTES:
            raise LiteracyError(
                f"{path} is {size / 2**20:,.0f} MiB, more than the {MAX_XLS_BYTES // 2**20} MiB literacy reads from a "
                "legacy .xls workbook; save it as .xlsx or CSV."
            )
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise LiteracyError(f"{path} could not be read as an Excel workbook ({exc}); export it again.") from None
    total = sum(part.file_size for part in parts)
    if total > MAX_XLSX_UNPACKED:
        raise LiteracyError(
            f"{path} would unpack to {total / 2**30:,.1f} GiB, more than the {MAX_XLSX_UNPACKED // 2**30} GiB literacy "
            "reads from a workbook (it may be a zip bomb); export the data as CSV instead."
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM_BYTES and ratio > MAX_XLSX_RATIO:
            raise LiteracyError(
                f"{path}: its part {part.filename} unpacks {ratio:,.0f} times larger than it is stored (to "
                f"{part.file_size / 2**20:,.0f} MiB), which no real workbook does (it may be a zip bomb); export the "
                "data again."
            )
    return True


def _xlsx_chunks(
    path: Path, sheet: str | int | None, chunk_rows: int | None, columns: list[Any] | None = None
) -> Iterator[tuple[pd.DataFrame, np.ndarray, list[BadRow], float]]:
    """The sheet's rows in chunks (only ``columns`` when given), typed as
    ``pd.read_excel`` types them; ``source_row`` is the sheet row number minus
    one (the header row). Blank rows at the end are dropped, blank rows between
    answers kept (as ``read_excel`` does); a row with a value right of the last
    named column is a bad row."""
    from pandas.io.parsers import TextParser

    stream = _SheetStream(path, sheet, min(chunk_rows or _SLICE_ROWS, _SLICE_ROWS))
    rows = iter(stream)
    first = next(rows, None)
    header = list(first[1]) if first else []
    named = [i for i, value in enumerate(header) if not _blank_cell(value) and str(value).strip()]
    width = named[-1] + 1 if named else len(header)
    header = header[:width]
    refuse_duplicate_columns(path, header)
    names = list(TextParser([header], header=0).read().columns)  # "Unnamed: 3" as read_excel names them
    keep = list(range(width)) if columns is None else [names.index(c) for c in columns]
    kept = [names[i] for i in keep]

    def frame_of(data: list[list[Any]]) -> pd.DataFrame:
        if not data:
            return pd.DataFrame(columns=kept)
        return TextParser(data, names=kept, header=None, skip_blank_lines=False).read()

    data: list[list[Any]] = []
    numbers: list[int] = []
    bad: list[BadRow] = []
    blanks: list[int] = []
    for number, row in rows:
        if len(row) > width and not all(_blank_cell(value) for value in row[width:]):
            used = max(i for i, value in enumerate(row) if not _blank_cell(value)) + 1
            bad.append(BadRow(number - 1, f"wrong_field_count ({used} of {width} fields)"))
            continue
        if all(_blank_cell(value) for value in row[:width]):
            blanks.append(number)
            continue
        for blank in blanks:  # blank rows between answers stay rows, as in read_excel
            data.append([None] * len(keep))
            numbers.append(blank - 1)
        blanks = []
        data.append([_excel_cell(row[i]) if i < len(row) else None for i in keep])
        numbers.append(number - 1)
        if chunk_rows is not None and len(data) + len(bad) >= chunk_rows:
            yield frame_of(data), np.array(numbers, dtype=np.int64), bad, stream.progress
            data, numbers, bad = [], [], []
    if data or bad:
        yield frame_of(data), np.array(numbers, dtype=np.int64), bad, 1.0


def _blank_cell(value: Any) -> bool:
    """An empty cell as calamine gives it ("" for a cell with no value)."""
    return value is None or value == ""


class _SheetStream:
    """A worksheet's rows with bounded memory, read by calamine.

    calamine (what ``pd.read_excel`` uses) loads a whole sheet at once and has
    no streaming reader; openpyxl streams but parses XML in Python (with
    defusedxml, about 200 rows a second here). So the sheet's XML is streamed
    out of the zip, cut after every ``chunk_rows`` ``</row>`` tags, and each
    slice is read by calamine as a small workbook holding the original
    workbook's other parts (shared strings, styles for dates): same values,
    same types, a slice's worth of memory (:data:`_SLICE_ROWS` rows, whatever
    the chunk size, since calamine holds several copies of a slice)."""

    def __init__(self, path: Path, sheet: str | int | None, chunk_rows: int) -> None:
        self.path = path
        self.chunk_rows = chunk_rows
        self.progress = 0.0
        with zipfile.ZipFile(path) as archive:
            self.name, self.part = _sheet_part(path, archive, sheet)
            self.size = max(archive.getinfo(self.part).file_size, 1)
            folder = self.part.rpartition("/")[0]
            sheets = {n for n in archive.namelist() if n.startswith(f"{folder}/") and n.endswith(".xml")}
            base = io.BytesIO()
            with zipfile.ZipFile(base, "w", zipfile.ZIP_DEFLATED) as copy:
                for info in archive.infolist():
                    if info.filename in sheets:
                        if info.filename != self.part:
                            copy.writestr(info.filename, _EMPTY_SHEET)
                    elif not info.filename.endswith((".bin", ".png", ".jpeg", ".jpg", ".emf", ".wmf")):
                        copy.writestr(info.filename, archive.read(info.filename))
            self.base = base.getvalue()

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        with zipfile.ZipFile(self.path) as archive, archive.open(self.part) as handle:
            buffer = b""
            head = b""
            end_tag = b"</row>"
            read = 0
            while not head:
                piece = handle.read(_READ_BYTES)
                read += len(piece)
                buffer += piece
                found = _SHEET_DATA.search(buffer)
                if found:
                    prefix = found.group(1) or b""
                    if found.group(0).endswith(b"/>"):
                        return  # an empty sheet
                    head, buffer = buffer[: found.end()], buffer[found.end() :]
                    end_tag = b"</" + prefix + b"row>"
                    tail = b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"
                elif not piece:
                    return
            eof = False
            while buffer or not eof:
                pieces, rows = [buffer], buffer.count(end_tag)
                while rows < self.chunk_rows and not eof:
                    piece = handle.read(_READ_BYTES)
                    read += len(piece)
                    eof = not piece
                    pieces.append(piece)
                    rows += piece.count(end_tag)
                buffer = b"".join(pieces)
                cut = buffer.rfind(end_tag)
                if cut < 0:
                    break
                cut += len(end_tag)
                if not eof and buffer.count(end_tag, 0, cut) > self.chunk_rows:
                    cut = _nth(buffer, end_tag, self.chunk_rows)
                block, buffer = buffer[:cut], buffer[cut:]
                self.progress = min((read - len(buffer)) / self.size, 1.0)
                yield from self._rows(head + block + tail)
                if eof and end_tag not in buffer:
                    break

    def _rows(self, xml: bytes) -> Iterator[tuple[int, list[Any]]]:
        from python_calamine import CalamineWorkbook

        package = io.BytesIO(self.base)
        with zipfile.ZipFile(package, "a", zipfile.ZIP_STORED) as copy:
            copy.writestr(self.part, xml)
        package.seek(0)
        book = CalamineWorkbook.from_filelike(package)
        worksheet = book.get_sheet_by_name(self.name)
        start = worksheet.start
        if start is None:
            return
        row0, col0 = start
        pad = [None] * col0
        for offset, values in enumerate(worksheet.to_python(skip_empty_area=True)):
            yield row0 + offset + 1, pad + values if col0 else values


_SLICE_ROWS = 10_000
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?/?>")
_EMPTY_SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'


def _nth(data: bytes, token: bytes, n: int) -> int:
    """The end of the ``n``-th ``token`` in ``data``."""
    position = -1
    for _ in range(n):
        position = data.find(token, position + 1)
    return position + len(token)


def _sheet_part(path: Path, archive: zipfile.ZipFile, sheet: str | int | None) -> tuple[str, str]:
    """The sheet's name and its part in the zip, from the workbook's own index."""
    import xml.etree.ElementTree as ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    package = ElementTree.fromstring(archive.read("_rels/.rels"))
    documents = [r.get("Target", "") for r in package if r.get("Type", "").endswith("/officeDocument")]
    book_part = (documents[0] if documents else "xl/workbook.xml").lstrip("/")
    folder, _, book_name = book_part.rpartition("/")
    workbook = ElementTree.fromstring(archive.read(book_part))
    sheets = [(s.get("name", ""), s.get(relation, "")) for s in workbook.iter(f"{main}sheet")]
    links = ElementTree.fromstring(
        archive.read(f"{folder}/_rels/{book_name}.rels" if folder else f"_rels/{book_name}.rels")
    )
    targets = {r.get("Id"): r.get("Target", "") for r in links}
    names = [name for name, _ in sheets]
    if sheet is None:
        chosen = 0
    elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
        chosen = int(sheet)
    elif sheet in names:
        chosen = names.index(sheet)
    else:
        chosen = -1
    if not 0 <= chosen < len(sheets):
        raise LiteracyError(f"{path} has no sheet {sheet!r}; its sheets are {', '.join(names)}.")
    name, link = sheets[chosen]
    target = targets.get(link, "")
    part = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}".lstrip("/")
    return name, part


def _excel_header(path: Path, sheet: str | int | None) -> list[Any]:
    """The header row of a legacy workbook as it is written (pandas renames repeats)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    target = book.get_sheet_by_name(sheet) if isinstance(sheet, str) else book.get_sheet_by_index(sheet or 0)
    return list(next(iter(target.to_python(skip_empty_area=False, nrows=1)), []))


def _excel_cell(value: Any) -> Any:
    """A cell as pandas' calamine reader gives it: whole numbers as int, dates as datetime."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


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


# --------------------------------------------------------------------------
# CSV injection (OWASP): text cells that a spreadsheet would run as a formula
# --------------------------------------------------------------------------

TEXT_ESCAPE_KEY = "text_escape"
TEXT_ESCAPE_POLICY = "owasp-leading-quote"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = "^'*[=+\\-@\t\r]"  # the same test as _formula_like, for pyarrow


def _formula_like(text: str) -> bool:
    """True for text that, after any leading quotes, starts like a formula.
    Counting the quotes makes escaping a bijection: ``=x`` -> ``'=x`` and
    ``'=x`` -> ``''=x``, so reading removes exactly one quote."""
    return text.lstrip("'")[:1] in FORMULA_STARTS


def escape_text_cell(value: Any) -> Any:
    """A text value as written to CSV: one leading ``'`` when it could start a formula."""
    return "'" + value if isinstance(value, str) and _formula_like(value) else value


def unescape_text_cell(value: Any) -> Any:
    """The inverse of :func:`escape_text_cell`."""
    return value[1:] if isinstance(value, str) and value.startswith("'") and _formula_like(value) else value


def is_text_column(values: pd.Series) -> bool:
    """Text columns are the only ones escaped: numbers such as -0.5 never are."""
    dtype = values.dtype
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype))


def _formula_candidates(values: pd.Series) -> np.ndarray:
    """Which cells start like a formula after any leading quotes: one
    vectorised regular expression (pyarrow) instead of a Python call per cell;
    a column of mixed types falls back to one call per distinct value."""
    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        hits = np.array([isinstance(u, str) and _formula_like(u) for u in uniques] + [False], dtype=bool)
        return hits[codes]
    return pc.match_substring_regex(text, _FORMULA_PATTERN).fill_null(False).to_numpy(zero_copy_only=False)


def map_text_cells(frame: pd.DataFrame, change: Any) -> tuple[pd.DataFrame, bool]:
    """``frame`` with ``change`` applied to every text cell that starts like a
    formula (``change`` must leave other cells alone), a copy only when
    something changed, and whether anything did."""
    changed: dict[Any, pd.Series] = {}
    for position, column in enumerate(frame.columns):
        values = frame.iloc[:, position]
        if not is_text_column(values):
            continue
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = [change(c) for c in values.cat.categories]
            if categories != list(values.cat.categories):
                changed[position] = values.cat.rename_categories(categories)
            continue
        candidates = np.flatnonzero(_formula_candidates(values))
        if not len(candidates):
            continue
        subset = values.iloc[candidates]
        mapped = [change(v) for v in subset]
        if any(a is not b for a, b in zip(mapped, subset, strict=True)):
            replaced = values.astype(object).copy()
            replaced.iloc[candidates] = mapped
            changed[position] = pd.Series(replaced, index=values.index, dtype=values.dtype, name=column)
    if not changed:
        return frame, False
    out = frame.copy()
    for position, values in changed.items():
        out.isetitem(position, values)
    return out, True
