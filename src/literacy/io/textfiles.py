"""Text exports (CSV, TSV): encoding, delimiter and strict rows.

The encoding is detected among UTF-8 (with or without BOM), GB18030 (the
superset of GBK) and UTF-16/UTF-32 by their byte-order mark (Excel's "Unicode
Text"); the delimiter is sniffed (KoboToolbox writes ``;``). Rows are strict:
a row with more or fewer fields than the header, or with a NUL byte, is a
:class:`BadRow` with its line number, never a row padded with blanks; a header
naming one column twice is refused. Records are split with numpy (quote-aware),
so the check costs one vectorised pass, not a Python call per line.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError, spell

ENCODINGS = ("utf-8-sig", "gb18030")
_SNIFF_BYTES = 1 << 20
_DELIMITERS = ",;\t|"


@dataclass
class TextLayout:
    encoding: str
    delimiter: str


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
    """pandas' parse (the reference for every column's type; see
    :func:`arrow_csv` for the fast path that gives the same frame)."""
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
# The fast parse: pyarrow, when it gives exactly pandas' frame
# --------------------------------------------------------------------------

# pandas' default missing-value strings (``pandas._libs.parsers.STR_NA_VALUES``),
# so that a blank, "NA" or "NULL" cell is missing in both parsers.
_PANDAS_NA = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
              "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")  # fmt: skip
# pandas' truth values (pyarrow's also take 1 and 0).
_PANDAS_TRUE = ("True", "TRUE", "true")
_PANDAS_FALSE = ("False", "FALSE", "false")
# Text pandas may read as a number or a truth value where pyarrow keeps a
# string (pandas takes "+5"; pyarrow's trimming of blanks around numbers has
# changed between versions); a text column of nothing else goes to pandas.
_NUMBER_LIKE = (
    r"^[\s\v]*[+-]?(\d+\.?\d*([eE][+-]?\d*)?|\.\d+([eE][+-]?\d*)?|inf(inity)?|nan)[\s\v]*$"
    r"|^[\s\v]*(true|false)[\s\v]*$"
)
_PEEK = 64  # values looked at before a whole column is


def arrow_csv(
    source: bytes | Path, delimiter: str, columns: list[str] | None = None, *, lines_checked: bool = False
) -> pd.DataFrame | None:
    """The UTF-8 CSV text ``source`` (bytes, or a file read in pieces and
    never held whole) parsed by pyarrow (on every core, about twice pandas'
    speed on a block, four times on one column), or None where its frame
    could differ from ``pd.read_csv``'s in any way: then the caller parses
    with pandas, which stays the reference.

    None when the text holds anything :class:`_Scan` looks for (NUL bytes,
    ``0x``, a quote out of place or a field left open, a lone carriage
    return, a line beginning with a blank, bytes not UTF-8 where only some
    columns are read), or when: pyarrow refuses a row (a wrong field count, a
    whitespace-only line; the strict check then names it), a header name is
    blank, repeated or begins with a second byte-order mark, the file has one
    column or no data rows, no columns are asked for or one asked for is
    missing, a column holds truth values and blanks or binary data, a text
    column holds only number-like values (``+5``, `` 5``, ``1e5``, ``True``),
    a float column holds a NaN pandas would keep as text (``NAN``), a value
    past the 64-bit integers, or only whole numbers in a text with a ``+``
    (pandas reads ``+5`` as an integer). Dates and times are kept as text, as
    pandas keeps them. ``tests/test_arrow_csv.py`` compares the two parsers
    (hypothesis, every CSV the project ships, and what a review that tried to
    break this found).

    ``lines_checked``: the caller has split ``source`` into records already
    (:func:`_csv_blocks`): its quotes are regular and no line begins with a
    blank, so those are not looked for again.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if columns is not None and not columns:
        return None  # pandas: no columns at all; pyarrow: every one
    scan = _Scan(delimiter, utf8=columns is not None, lines=not lines_checked)  # pyarrow checks the columns it reads
    if isinstance(source, bytes):
        scan.add(source)
        head = source
    else:
        with open(source, "rb") as handle:
            head = piece = handle.read(_SNIFF_BYTES)
            while piece and not scan.refused:
                scan.add(piece)
                piece = handle.read(_READ_BYTES)
    scan.finish()
    if scan.refused:
        return None
    header = _header_names(head, delimiter)
    if (
        header is None or len(header) < 2 or len(set(header)) != len(header)
        or any(not name.strip() or name.startswith("\ufeff") for name in header)
    ):  # fmt: skip
        return None  # one column: a whitespace-only line is a row to pyarrow, blank to pandas; a second BOM
    if columns is not None and not set(columns) <= set(header):
        return None
    wanted = [name for name in header if columns is None or name in columns]
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=scan.quotes)

    def read(as_text: dict[str, Any]) -> Any:
        convert = pacsv.ConvertOptions(
            null_values=list(_PANDAS_NA), strings_can_be_null=True, quoted_strings_can_be_null=True,
            true_values=list(_PANDAS_TRUE), false_values=list(_PANDAS_FALSE),
            include_columns=wanted, column_types=as_text,
        )  # fmt: skip
        opened = pa.BufferReader(pa.py_buffer(source)) if isinstance(source, bytes) else str(source)
        return pacsv.read_csv(opened, parse_options=parse, convert_options=convert)

    try:
        table = read({})
        temporal = {f.name: pa.string() for f in table.schema if pa.types.is_temporal(f.type)}
        if temporal:
            table = read(temporal)  # "2024-05-01" stays text, as in pandas
    except (pa.ArrowException, ValueError):
        return None
    if not table.num_rows:
        return None
    fixed = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_null(kind):
            column = column.cast(pa.float64())  # all blank: pandas' float NaN column
        elif pa.types.is_string(kind):
            if _all_match(column, _NUMBER_LIKE):
                return None
        elif pa.types.is_floating(kind):
            # Whole numbers are floats to pyarrow only when written "1.0",
            # "1e2" or "+1"; pandas reads the last as an integer. A NaN is a
            # spelling pandas keeps as text ("NAN", "nan(1)"): its own words
            # are nulls here already.
            if _beyond_int64(column) or (scan.plus and _all_whole(column)) or _has_nan(column):
                return None
        elif pa.types.is_boolean(kind):
            if column.null_count:
                return None  # pandas: an object column of True, False and NaN
        elif not pa.types.is_int64(kind):
            return None
        fixed.append(column)
    frame = pa.Table.from_arrays(fixed, names=table.column_names).to_pandas()
    return frame


class _Scan:
    """What the bytes of a text hold that decides whether pyarrow may parse
    it, piece by piece (a file is never held whole). ``refused`` when it holds:
    NUL bytes; ``0x``/``0X`` (pyarrow reads hexadecimal integers, pandas
    text); a quote that neither opens a field, closes one nor is doubled
    inside one (pandas reads ``5"`` literally, and a field left open makes
    pandas fail where pyarrow reads on to the end: the rule of
    :func:`_regular_quotes`, applied across pieces); a carriage return not
    followed by a line feed (pandas and pyarrow end lines there differently);
    a line that begins with a blank (pandas drops that blank when the line
    starts on the last byte of its 256 KiB buffer: pandas' frame, not
    pyarrow's, is the reference); or, when ``utf8`` is asked, bytes that are
    not UTF-8 (pandas decodes every column, pyarrow only those it reads).
    ``quotes`` (records may span lines) and ``plus`` (a ``+5`` pandas reads
    as an integer) tell the parse what to expect. Without ``lines`` the
    quotes and line starts are not looked at (the caller has split the text
    into records already)."""

    def __init__(self, delimiter: str, *, utf8: bool = False, lines: bool = True) -> None:
        self.nul = self.hexadecimal = self.quotes = self.plus = False
        self.lone_return = self.leading_blank = self.not_utf8 = self.irregular_quotes = False
        self._delimiter = ord(delimiter)
        self._quotes_seen = 0
        self._tail = b"\n\n"  # the last two bytes before the piece; the text begins as a line does
        self._first = True
        self._decoder = codecs.getincrementaldecoder("utf-8")() if utf8 else None
        self._lines = lines

    @property
    def refused(self) -> bool:
        return (
            self.nul or self.hexadecimal or self.lone_return or self.leading_blank or self.not_utf8
            or self.irregular_quotes
        )  # fmt: skip

    def add(self, piece: bytes) -> None:
        if self._first:
            piece, self._first = piece.removeprefix(codecs.BOM_UTF8), False
        if not piece:
            return
        self.nul = self.nul or b"\x00" in piece
        self.quotes = self.quotes or b'"' in piece
        self.plus = self.plus or b"+" in piece
        if self._decoder is not None and not self.not_utf8:
            try:
                self._decoder.decode(piece)
            except UnicodeDecodeError:
                self.not_utf8 = True
        # Every byte is looked at beside its neighbours, in order: the last
        # byte of the previous piece and the first of this one through a
        # four-byte window, the rest in place (the piece is not copied); the
        # last byte waits for the next piece.
        if len(piece) < 4:
            window = self._tail + piece
            self._look(np.frombuffer(window, dtype=np.uint8), 1, len(window) - 1, window)
        else:
            window = self._tail + piece[:2]
            self._look(np.frombuffer(window, dtype=np.uint8), 1, 3, window)
            self._look(np.frombuffer(piece, dtype=np.uint8), 1, len(piece) - 1, piece)
        self._tail = (self._tail + piece[-2:])[-2:]

    def finish(self) -> None:
        """The end of the text: its last byte is looked at as the end of a
        line; a carriage return there is a lone one."""
        window = self._tail + b"\n"
        self._look(np.frombuffer(window, dtype=np.uint8), 1, 2, window)
        self.lone_return = self.lone_return or self._tail.endswith(b"\r")
        if self._lines:
            self.irregular_quotes = self.irregular_quotes or self._quotes_seen % 2 == 1  # a field left open
        if self._decoder is not None and not self.not_utf8:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.not_utf8 = True

    def _look(self, data: np.ndarray, lo: int, hi: int, text: bytes) -> None:
        """The bytes ``data[lo:hi]``, each beside ``data[i - 1]`` and
        ``data[i + 1]`` (``text`` holds them all, to skip what is absent)."""
        body, before, after = data[lo:hi], data[lo - 1 : hi - 1], data[lo + 1 : hi + 1]
        if not self.hexadecimal and (b"x" in text or b"X" in text):
            # An x after a zero (a tenth of the time of searching two bytes).
            x = np.flatnonzero((body | 0x20) == ord("x"))
            self.hexadecimal = bool((before[x] == ord("0")).any())
        if not self.lone_return and b"\r" in text:
            returns = np.flatnonzero(body == 13)
            self.lone_return = bool((after[returns] != 10).any())
        if not self._lines:
            return
        if not self.leading_blank:
            newlines = np.flatnonzero(body == 10)
            self.leading_blank = bool(np.isin(after[newlines], (32, 9)).any())
        if not self.irregular_quotes and b'"' in text:
            # Each quote opens or closes a field, in turn (_quotes_fit).
            quotes = np.flatnonzero(body == _QUOTE)
            first = self._quotes_seen % 2  # 0: this piece's first quote opens a field
            self.irregular_quotes = not _quotes_fit(before[quotes], after[quotes], self._delimiter, first)
            self._quotes_seen += len(quotes)


def _header_names(source: bytes, delimiter: str) -> list[str] | None:
    end = source.find(b"\n")
    line = source[: end if end >= 0 else len(source)].removeprefix(codecs.BOM_UTF8)
    try:
        return next(csv.reader([line.decode("utf-8").rstrip("\r")], delimiter=delimiter))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None


def _all_match(column: Any, pattern: str) -> bool:
    """Whether every value of a text column matches ``pattern`` (looking at a
    few first: one that does not settles it)."""
    import pyarrow.compute as pc

    def every(values: Any) -> bool:
        return pc.all(pc.match_substring_regex(values, pattern, ignore_case=True)).as_py() is not False

    return every(column.slice(0, _PEEK)) and every(column)


def _has_nan(column: Any) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(pc.is_nan(column)).as_py())


def _beyond_int64(column: Any) -> bool:
    """Whether a float column holds a value past the 64-bit integers (pandas
    reads such a column as unsigned integers, or as text beside decimals)."""
    import pyarrow.compute as pc

    largest = pc.max(pc.abs(column)).as_py()
    return largest is not None and largest >= 2.0**63


def _all_whole(column: Any) -> bool:
    """Whether every value of a float column is a whole number."""
    import pyarrow.compute as pc

    def whole(values: Any) -> bool:
        return pc.all(pc.equal(values, pc.floor(values))).as_py() is not False

    return whole(column.slice(0, _PEEK)) and whole(column)


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
    bad: list[BadRow] | None  # None: not counted yet (see ``strict``)
    progress: float
    # The block with every record's fields counted and the bad ones set
    # aside; for a block read before its fields were counted.
    strict: Callable[[], _Block] | None = None


def _strict_block(
    data: bytes,
    filled: np.ndarray,
    line_base: int,
    header: bytes,
    width: int,
    delimiter: int,
    progress: float,
    check_only: bool = False,
    taken: _Records | None = None,
) -> _Block:
    """The records ``filled`` of ``data`` checked field by field: the good
    ones as the block's text, the others as :class:`BadRow`."""
    if taken is None or taken.fields is None:
        taken = _records(data, delimiter).take(filled)
    wrong = (taken.fields != width) | taken.nul
    rows = line_base + taken.lines[~wrong]
    bad = [
        BadRow(line_base + int(line), "nul_byte" if nul else f"wrong_field_count ({fields} of {width} fields)")
        for line, fields, nul in zip(
            taken.lines[wrong].tolist(), taken.fields[wrong].tolist(), taken.nul[wrong].tolist(), strict=True
        )
    ]
    if check_only:
        body = b""
    elif not bad:
        body = data[int(taken.starts[0]) : int(taken.ends[-1])]
    else:
        body = b"".join(
            data[s:e] for s, e in zip(taken.starts[~wrong].tolist(), taken.ends[~wrong].tolist(), strict=True)
        )
    return _Block(header + body, rows, bad, progress)


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
    pending_lines = 0  # line feeds in ``pending``
    with open(path, "rb") as handle:
        while True:
            pieces = [pending]
            lines = pending_lines
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
                lines += 1
            if not data.strip(_BLANK + b"\n"):
                if eof:
                    return
                pending, pending_lines, more = data, lines, True  # blank lines so far: read on
                continue
            records = _records(data, delimiter, count_fields=check_only)
            if not eof and not len(records.starts):
                pending, pending_lines, more = data, lines, True
                continue
            cut, cut_lines = len(data), lines  # where the block ends, and the line feeds before it
            if not eof:
                # the last record may continue in the next read
                cut, cut_lines = int(records.starts[-1]), int(records.lines[-1])
                records = records.take(slice(0, -1))
            filled = np.flatnonzero(~records.blank)
            if header is None:
                if not len(filled):
                    pending, pending_lines, more = data, lines, True
                    continue
                first = int(filled[0])
                end = int(records.ends[first])
                header = data[int(records.starts[first]) : end].rstrip(b"\r\n") + b"\n"
                width = _check_header(path, header, layout)
                header_lines = data.count(b"\n", 0, end)
                line_base += header_lines
                pending, pending_lines = data[end:], lines - header_lines
                continue
            if chunk_rows is not None and len(filled) > chunk_rows:
                cut, cut_lines = int(records.starts[filled[chunk_rows]]), int(records.lines[filled[chunk_rows]])
                filled = filled[:chunk_rows]
            if not len(filled) and not eof:
                pending, pending_lines, more = data, lines, True
                continue
            taken = records.take(filled)
            done = eof and cut == len(data)
            progress = 1.0 if done else min(handle.tell() / size, 1.0)
            if len(filled) and taken.fields is None and not taken.nul.any() and not _leading_blank(data, taken):
                # Field counts only if pyarrow refuses the block (Block.strict).
                body = data[int(taken.starts[0]) : int(taken.ends[-1])]
                block = _Block(header + body, line_base + taken.lines, None, progress)
                block.strict = partial(_strict_block, data, filled, line_base, header, width, delimiter, progress)
            elif len(filled):
                block = _strict_block(data, filled, line_base, header, width, delimiter, progress, check_only, taken)
            line_base += cut_lines
            pending, pending_lines = data[cut:], lines - cut_lines
            if len(filled):
                yield block
            if done:
                return


def _leading_blank(data: bytes, records: _Records) -> bool:
    """Whether a record begins with a blank (pandas drops it at the edge of
    its read buffer; :class:`_Scan`): such a block goes to pandas."""
    first = np.frombuffer(data, dtype=np.uint8)[records.starts]
    return bool(np.isin(first, (32, 9)).any())


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
        return _Records(
            *(
                None if getattr(self, name) is None else getattr(self, name)[which]
                for name in ("starts", "ends", "lines", "fields", "blank", "nul")
            )
        )


def _records(data: bytes, delimiter: int, *, count_fields: bool = True) -> _Records:
    """Every record of ``data`` (whose last complete line ends with a newline).

    Without ``count_fields`` the field counts are left out (``fields`` is
    None): a third of the cost, for blocks pyarrow parses, which refuses a
    row of the wrong width itself (:func:`arrow_csv`)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], newlines[:-1] + 1))
    ends = newlines + 1
    is_delimiter = arr == delimiter if count_fields else None
    lines = np.arange(len(starts))
    if b'"' in data:
        # Only the complete lines: a read cut mid-field leaves a lone quote in
        # the unfinished last line, which would send the whole block through
        # the csv module (three times slower) for nothing.
        complete = arr[: int(newlines[-1]) + 1] if len(newlines) else arr
        quotes = np.flatnonzero(complete == _QUOTE)
        if len(quotes) % 2 or not _regular_quotes(complete, quotes, delimiter):
            return _quoted_records(data, starts, ends, delimiter)
        # Every quote opens or closes a field (or is doubled inside one), so a
        # delimiter or newline is inside quotes exactly when an odd number of
        # quotes precede it: the rule pandas' parser follows for such files.
        # The parity of the quotes before each byte, one pass over the block
        # (a delimiter or newline is not a quote, so "before" = "up to").
        inside = np.bitwise_xor.accumulate((complete == _QUOTE).view(np.uint8))
        closing = inside[newlines] == 0
        if not closing.any():
            return _quoted_records(data, starts, ends, delimiter)
        if is_delimiter is not None:
            is_delimiter = is_delimiter[: len(complete)] & (inside == 0)
        del inside
        lines = np.concatenate(([0], np.flatnonzero(closing)[:-1] + 1))
        ends = newlines[closing] + 1
        starts = np.concatenate(([0], ends[:-1]))
    # The delimiters of each record (records are contiguous: each starts where
    # the previous ends), summed in place rather than listed and searched.
    fields = None
    if is_delimiter is not None:
        fields = np.ones(len(starts), dtype=np.int64)
        if len(starts):
            # (as bytes: reduceat over booleans casts element by element, ten times slower)
            fields += np.add.reduceat(is_delimiter[: int(ends[-1])].view(np.uint8), starts, dtype=np.int64)
    # A blank record starts with a blank or is an empty line: look only at those.
    maybe_blank = np.isin(arr[np.minimum(starts, max(len(arr) - 1, 0))], np.frombuffer(_BLANK + b"\n", np.uint8))
    maybe_blank &= ends - starts < 256
    if fields is not None:
        maybe_blank &= fields == 1
    blank = np.zeros(len(starts), dtype=bool)
    for i in np.flatnonzero(maybe_blank).tolist():
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
    return _quotes_fit(before, after, delimiter)


def _quotes_fit(before: np.ndarray, after: np.ndarray, delimiter: int, first: int = 0) -> bool:
    """The rule of :func:`_regular_quotes` on the bytes before and after each
    quote, in order: quotes ``first``, ``first + 2``... open a field (after a
    delimiter, a line start or a quote), the others close one (before a
    delimiter, a line end or a quote)."""
    opening, closing = before[first::2], after[1 - first :: 2]
    fits_open = (opening == delimiter) | (opening == 10) | (opening == _QUOTE)
    fits_close = (closing == delimiter) | (closing == 10) | (closing == 13) | (closing == _QUOTE)
    return bool(fits_open.all()) and bool(fits_close.all())


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
