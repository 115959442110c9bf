"""Spreadsheets (``.xlsx``, ``.xls``) read within bounds.

Before anything is unpacked, the sizes the zip declares are checked (a zip
bomb is refused in milliseconds); the sheet's XML is then streamed out of the
zip and cut into slices that calamine reads as small workbooks carrying the
original's shared strings and styles, so a 1,000,000-row sheet validates in
bounded memory with the same values ``pandas.read_excel`` gives.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError
from literacy.io.textfiles import _READ_BYTES, BadRow, refuse_duplicate_columns

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
