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

Big files are read in chunks (:func:`iter_file`) so memory stays bounded.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError

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
            f"{', '.join(sorted(FILE_FORMATS))}, or name the format with --format."
        )
    return FILE_FORMATS[suffix]


@dataclass
class Chunk:
    """A slice of rows and how far through the file it reaches (0..1)."""

    frame: pd.DataFrame
    progress: float


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
        frame = _guard(path, kind, lambda: _read_csv(path, layout))
        info = FileInfo(path, kind, layout=layout)
        frame.attrs = _sidecar(path) or info.attrs()
    elif kind == "excel":
        frame = _guard(path, kind, lambda: pd.read_excel(path, sheet_name=sheet or 0, engine="calamine"))
        frame = _drop_blank_excel_rows(frame)
        frame.attrs = FileInfo(path, kind).attrs()
    elif kind == "parquet":
        frame = _guard(path, kind, lambda: pd.read_parquet(path))
        frame.attrs = {**frame.attrs, "source": {"path": str(path), "format": kind}}
    else:
        frame, meta = _guard(path, kind, lambda: _readstat(kind)(str(path), **_readstat_options(kind, encoding)))
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
) -> Iterator[Chunk]:
    """Yield the file's rows in chunks with bounded memory (only ``columns``
    when given, which makes a pass over a few columns cheap).

    CSV streams through pandas' chunked reader, SPSS/Stata/SAS through
    ReadStat's row offsets, Parquet by record batches. Excel has no streaming
    reader (and holds at most 1,048,576 rows), so it comes as one chunk.
    """
    path = _existing(path)
    kind = file_format(path, kind)
    yielded = False
    if kind in ("csv", "tsv"):
        layout = text_layout(path, encoding, tab=kind == "tsv")
        attrs = _sidecar(path) or FileInfo(path, kind, layout=layout).attrs()
        size = max(path.stat().st_size, 1)
        with open(path, "rb") as handle:
            reader = _guard(path, kind, lambda: _read_csv(handle, layout, chunksize=chunk_rows, usecols=columns))
            while True:
                frame = _guard(path, kind, lambda: next(reader, None))
                if frame is None:
                    break
                if frame.empty:
                    continue
                frame.attrs = attrs
                yielded = True
                yield Chunk(frame, min(handle.tell() / size, 1.0))
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
            done += len(frame)
            yielded = True
            yield Chunk(frame, done / total)
    elif kind == "excel":
        frame = read_file(path, kind=kind, sheet=sheet)
        if columns is not None:
            frame = frame[columns]
        yielded = True
        yield Chunk(frame, 1.0)
    else:
        read = _readstat(kind)
        options = _readstat_options(kind, encoding)
        if columns is not None:
            options["usecols"] = columns
        _, meta = _guard(path, kind, lambda: read(str(path), metadataonly=True, **options))
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
            offset += len(frame)
            yielded = True
            yield Chunk(frame, offset / total if total else 0.0)
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
                f"{path} is not valid {encoding} text; leave out --encoding to detect it, or name the right one."
            )
    else:
        for candidate in ENCODINGS:
            text = _decode(head, candidate)
            if text is not None:
                encoding = candidate
                break
        else:
            raise LiteracyError(
                f"{path} is neither UTF-8 nor GB18030/GBK text (is it a spreadsheet or SPSS file with the wrong "
                "extension?); give its encoding with --encoding."
            )
    assert text is not None
    return TextLayout(encoding, "\t" if tab else _sniff_delimiter(text))


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
            f"{path} is not valid {exc.encoding} text further in the file; give the right encoding with --encoding."
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
            "another type: export it again or name its format with --format."
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


def _sidecar(path: Path) -> dict[str, Any] | None:
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return None
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise LiteracyError(f"The metadata file {sidecar} is not valid JSON; fix or delete it.") from None
