"""Write the tables that pass between steps, with their metadata.

A DataFrame's ``attrs`` carry the metadata (instrument, weighting record,
labels). Parquet keeps them in its schema; a CSV gets a sidecar
``<file>.meta.json`` next to it. Files are written atomically (a temporary file
in the same folder, then a rename) and never replace an existing file unless
``force`` is given.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from literacy.errors import LiteracyError
from literacy.io.files import sidecar_path

TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
STDOUT = "-"


def table_format(path: str | Path, override: str | None = None) -> str:
    if override:
        return override
    suffix = Path(str(path)).suffix.lower()
    if suffix not in TABLE_FORMATS:
        known = ", ".join(sorted(TABLE_FORMATS))
        raise LiteracyError(f"Cannot tell the format of {path} from its extension; use one of {known}.")
    return TABLE_FORMATS[suffix]


def write_table(frame: pd.DataFrame, path: str | Path, *, force: bool = False) -> None:
    """Write a table to ``path`` (``-`` is stdout, as CSV without a BOM):
    CSV/TSV through :class:`TableSink` (UTF-8 with BOM, metadata sidecar),
    Parquet with the metadata inside."""
    if str(path) != STDOUT:
        path = Path(path)
        kind = table_format(path)
        writes_sidecar = kind != "parquet" and bool(frame.attrs)
        check_can_write([path] + ([sidecar_path(path)] if writes_sidecar else []), force=force)
        if kind == "parquet":
            atomic_write(path, lambda handle: frame.to_parquet(handle, index=False), binary=True)
            return
    with TableSink(path, force=True) as sink:
        sink.append(frame)


OUTPUT_FORMATS = ("csv", "json", "table")


def write_frame(
    frame: pd.DataFrame, path: str | Path, output_format: str | None = None, *, force: bool = False
) -> None:
    """Write a result table as CSV/Parquet (by extension), JSON (records plus
    the table's metadata) or a fixed-width text table for people."""
    kind = output_format or ("json" if str(path).lower().endswith(".json") else "csv")
    if kind == "csv":
        write_table(frame, path, force=force)
    elif kind == "json":
        payload = {"metadata": frame.attrs, "rows": json.loads(frame.to_json(orient="records", force_ascii=False))}
        write_json(path, payload, force=force)
    elif kind == "table":
        write_text(path, frame.to_string(index=False, float_format=lambda v: f"{v:.4g}") + "\n", force=force)
    else:
        raise LiteracyError(f"Output format {kind!r} is unknown; use one of {', '.join(OUTPUT_FORMATS)}.")


def write_json(path: str | Path, payload: Any, *, force: bool = False) -> None:
    write_text(path, json.dumps(payload, ensure_ascii=False, indent=2, default=_jsonable) + "\n", force=force)


def write_text(path: str | Path, text: str, *, force: bool = False) -> None:
    """UTF-8 text to stdout (``-``) or atomically to a new file."""
    if str(path) == STDOUT:
        sys.stdout.write(text)
        return
    target = Path(path)
    check_can_write([target], force=force)
    atomic_write(target, lambda handle: handle.write(text), encoding="utf-8")


def check_can_write(paths: list[Path], *, force: bool) -> None:
    for target in paths:
        if target.exists() and not force:
            raise LiteracyError(f"{target} already exists; pass --force to replace it or choose another name.")
        if not target.parent.exists():
            raise LiteracyError(f"The folder {target.parent} does not exist; create it first.")


def atomic_write(
    path: Path,
    writer: Callable[[IO[Any]], Any],
    *,
    binary: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write through a temporary file in the same folder, then rename, so a
    crash never leaves a half-written file under the final name."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if binary:
            with os.fdopen(descriptor, "wb") as handle:
                writer(handle)
        else:
            with os.fdopen(descriptor, "w", encoding=encoding, newline="") as handle:
                writer(handle)
        os.chmod(temporary, 0o666 & ~_current_umask())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _current_umask() -> int:
    # mkstemp creates files readable by the owner only; give the final file the
    # permissions an ordinary open() would.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, io.IOBase):
        return repr(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class TableSink:
    """Write a table chunk by chunk (bounded memory for CSV/TSV), atomically:
    rows go to a temporary file renamed into place only when every chunk is
    written. Parquet collects the chunks and writes once at the end."""

    def __init__(self, path: str | Path, *, force: bool = False) -> None:
        self.to_stdout = str(path) == STDOUT
        self.path = Path(path)
        self.kind = "csv" if self.to_stdout else table_format(self.path)
        if not self.to_stdout:
            check_can_write([self.path], force=force)
        self.force = force
        self.columns: list[str] | None = None
        self.attrs: dict[str, Any] = {}
        self.parts: list[pd.DataFrame] = []
        self.rows = 0
        self._handle: IO[str] | None = None
        self._temporary: str | None = None

    def __enter__(self) -> TableSink:
        return self

    def append(self, frame: pd.DataFrame) -> None:
        if self.columns is None:
            self.columns = [str(c) for c in frame.columns]
            self.attrs = dict(frame.attrs)
        frame = frame.reindex(columns=self.columns)
        self.rows += len(frame)
        if self.kind == "parquet":
            self.parts.append(frame)
            return
        header = self._handle is None
        if header:
            self._open()
        assert self._handle is not None
        separator = "\t" if self.kind == "tsv" else ","
        if not self.to_stdout and _write_csv_arrow(frame, self._handle, header=header, separator=separator):
            return
        frame.to_csv(self._handle, index=False, header=header, sep=separator, lineterminator="\n")

    def _open(self) -> None:
        if self.to_stdout:
            self._handle = sys.stdout
            return
        descriptor, self._temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        # UTF-8 with BOM so that Excel opens Chinese text correctly.
        self._handle = os.fdopen(descriptor, "w", encoding="utf-8-sig", newline="")

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if error is not None:
            self._discard()
            return
        if self.kind == "parquet":
            frame = pd.concat(self.parts, ignore_index=True) if self.parts else pd.DataFrame(columns=self.columns)
            frame.attrs = self.attrs
            write_table(frame, self.path, force=True)
            return
        if self._handle is None:
            self._open()
        if self.to_stdout:
            return
        assert self._handle is not None and self._temporary is not None
        self._handle.close()
        os.chmod(self._temporary, 0o666 & ~_current_umask())
        os.replace(self._temporary, self.path)
        if self.attrs:
            write_json(sidecar_path(self.path), self.attrs, force=True)

    def _discard(self) -> None:
        if self._handle is not None and not self.to_stdout:
            self._handle.close()
        if self._temporary and os.path.exists(self._temporary):
            os.unlink(self._temporary)


def _write_csv_arrow(frame: pd.DataFrame, handle: IO[str], *, header: bool, separator: str) -> bool:
    """pyarrow's CSV writer, several times faster than pandas' on nullable
    integer columns; False when a column holds mixed types arrow cannot take
    (the caller then uses pandas)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return False
    buffer = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=header, delimiter=separator, quoting_style="needed")
    pa_csv.write_csv(table, buffer, options)
    handle.flush()
    handle.write(buffer.getvalue().decode("utf-8"))
    return True
