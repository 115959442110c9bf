"""Write the tables that pass between steps, with their metadata.

A DataFrame's ``attrs`` carry the metadata (instrument, weighting record,
labels). Parquet keeps them in its schema; a CSV gets a sidecar
``<file>.meta.json`` next to it. Files are written atomically (a temporary file
in the same folder, then a rename) and never replace an existing file unless
``force`` is given.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import glob
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError, spell
from literacy.io.files import sidecar_path
from literacy.io.formulas import (
    TEXT_ESCAPE_KEY,
    TEXT_ESCAPE_POLICY,
    escape_arrow_text,
    escape_text_cell,
    map_text_cells,
)
from literacy.threads import pool_of, submit
from literacy.vocabulary import OUTPUT_FORMATS

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
            atomic_write(path, lambda handle: _write_parquet(frame, handle), binary=True)
            return
    with TableSink(path, force=True) as sink:
        sink.append(frame)


def _write_parquet(frame: pd.DataFrame, handle: IO[bytes]) -> None:
    """Parquet with the table's metadata (what a CSV's ``.meta.json`` sidecar
    holds) in the schema metadata under pandas' ``PANDAS_ATTRS`` key, which
    ``literacy.read`` and ``pandas.read_parquet`` read back into ``attrs``.
    Written here rather than by ``DataFrame.to_parquet`` because that one
    cannot serialise NumPy numbers or dates in ``attrs``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        # A column of mixed Python objects (a disparity's groups: 1 and "urban")
        # has no Parquet type: its values are written as the text a CSV holds.
        frame = frame.copy()
        for column in [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c].dtype)]:
            try:
                pa.array(frame[column], from_pandas=True)
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                frame[column] = frame[column].map(lambda v: v if v is None or v is pd.NA or v != v else str(v))
        table = pa.Table.from_pandas(frame, preserve_index=False)
    if frame.attrs:
        attrs = json.dumps(frame.attrs, ensure_ascii=False, default=_jsonable)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"PANDAS_ATTRS": attrs.encode()})
    pq.write_table(table, handle)


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
            raise LiteracyError(
                f"{target} already exists; pass {spell('--force', 'force=True')} to replace it or choose another name."
            )
        if not target.parent.exists():
            raise LiteracyError(f"The folder {target.parent} does not exist; create it first.")
        if target.is_dir():
            raise LiteracyError(f"{target} is a folder; give a file name.")


# Temporary files are named ``.NAME.litPID.XXXXXXXX.tmp``: hidden, beside the
# final file (same filesystem, so the rename is atomic), and carrying the
# writer's process id so that a later writer can tell a killed writer's
# leftovers (pid no longer running) from a live writer's file.
TEMPORARY_MARK = ".lit"
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.lit(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


def make_temporary(path: Path) -> tuple[int, str]:
    """Open a new temporary file for ``path`` (see :data:`TEMPORARY_MARK`),
    first removing the ones a killed writer of the same name left."""
    remove_stale_temporaries(path.parent, path.name)
    try:
        return tempfile.mkstemp(prefix=f".{path.name}{TEMPORARY_MARK}{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise naming(error, path) from error


def remove_stale_temporaries(folder: Path, name: str | None = None) -> list[Path]:
    """Remove the temporaries in ``folder`` (of file ``name``, or of any file)
    whose writing process is no longer running; returns what was removed."""
    pattern = f".{glob.escape(name)}{TEMPORARY_MARK}*.tmp" if name else f".*{TEMPORARY_MARK}*.tmp"
    removed = []
    for candidate in Path(folder).glob(pattern):
        match = _TEMPORARY.match(candidate.name)
        if match is None or (name is not None and match["name"] != name):
            continue
        if process_is_running(int(match["pid"])):
            continue
        try:
            candidate.unlink()
        except FileNotFoundError:
            continue  # another writer cleaned it first
        except OSError:
            continue  # not ours to fix here; the write itself reports real problems
        removed.append(candidate)
    return removed


def process_is_running(pid: int) -> bool:
    """Whether a process with this id exists on this machine (signal 0 probes
    without sending anything)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def naming(error: OSError, path: Path, operation: str = "write") -> OSError:
    """The same error naming ``path`` (the file the user asked for, not the
    hidden temporary) and saying whether it was a read or a write, so the
    command line can say which file could not be written and why."""
    renamed = OSError(error.errno, error.strerror or str(error), str(path))
    renamed.operation = operation  # type: ignore[attr-defined]
    return renamed


def os_error_message(error: OSError) -> str:
    """One sentence for an operating-system error, naming the file and what
    to do: the disk is full, no permission, a read-only disk, a missing file."""
    path = error.filename or "a file"
    writing = getattr(error, "operation", None) == "write" or (
        getattr(error, "operation", None) is None and error.filename is not None and not os.path.exists(path)
    )
    number = error.errno
    elsewhere = spell("-o/--out", "output path")
    if number == errno.ENOSPC:
        return f"The disk is full while writing {path}; free space or choose another {elsewhere}."
    if number == errno.EDQUOT:
        return f"The disk quota is used up while writing {path}; free space or choose another {elsewhere}."
    if number == errno.EROFS:
        return f"Cannot write {path}: its disk is mounted read-only; choose another {elsewhere}."
    if number in (errno.EACCES, errno.EPERM):
        if writing:
            return f"No permission to write {path}; choose a folder you can write to ({elsewhere}) or change it."
        return f"No permission to read {path}; change its permissions or copy it somewhere readable."
    if number == errno.ENOENT:
        return f"{path} does not exist; check the path."
    if number == errno.EISDIR:
        return f"{path} is a folder; give a file name."
    if number == errno.ENOTDIR:
        return f"A part of {path} is a file, not a folder; check the path."
    if number in (errno.EMFILE, errno.ENFILE):
        return "Too many files are open; close some programs and try again."
    reason = (error.strerror or str(error) or type(error).__name__).rstrip(".")
    verb = "write" if writing else "read"
    return f"Cannot {verb} {path}: {reason}." if error.filename else f"{reason}."


def atomic_write(
    path: Path,
    writer: Callable[[IO[Any]], Any],
    *,
    binary: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write through a temporary file in the same folder, then rename, so a
    crash never leaves a half-written file under the final name; on any
    error or interruption (KeyboardInterrupt, SIGTERM) the temporary goes."""
    temporary: str | None = None
    try:
        descriptor, temporary = make_temporary(path)
        if binary:
            with os.fdopen(descriptor, "wb") as handle:
                writer(handle)
        else:
            with os.fdopen(descriptor, "w", encoding=encoding, newline="") as handle:
                writer(handle)
        os.chmod(temporary, 0o666 & ~_current_umask())
        os.replace(temporary, path)
    except BaseException as error:
        _unlink_quietly(temporary)
        if isinstance(error, OSError) and not hasattr(error, "operation"):
            raise naming(error, path) from error
        raise


def _unlink_quietly(path: str | None) -> None:
    if path is None:
        return
    with contextlib.suppress(OSError):
        os.unlink(path)


# The codecs the writing code names, looked up (imported) with this module in
# the main thread, so that a writer thread never runs an import itself: an
# import lock an interrupted main thread left taken would stop it for good
# (see pipeline._job).
for _codec in ("ascii", "utf-8", "utf-8-sig"):
    codecs.lookup(_codec)


def _current_umask() -> int:
    # mkstemp creates files readable by the owner only; give the final file the
    # permissions an ordinary open() would. Read from /proc where possible:
    # os.umask(0) briefly changes the process's umask, and a signal between
    # the two calls would leave it at 0.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
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
        self.escaped = False
        self._handle: IO[Any] | None = None
        self._temporary: str | None = None

    def __enter__(self) -> TableSink:
        return self

    def append(self, frame: pd.DataFrame) -> None:
        try:
            self._append(frame)
        except OSError as error:
            if hasattr(error, "operation") or self.to_stdout:
                raise
            raise naming(error, self.path) from error  # the file asked for, not the hidden temporary

    def _append(self, frame: pd.DataFrame) -> None:
        if self.columns is None:
            self.columns = [str(c) for c in frame.columns]
            self.attrs = dict(frame.attrs)
        frame = frame.reindex(columns=self.columns)
        if frame.attrs:
            # pandas deep-copies attrs into every column pyarrow takes out.
            frame = frame.copy(deep=False)
            frame.attrs = {}
        self.rows += len(frame)
        if self.kind == "parquet":
            self.parts.append(frame)
            return
        header = self._handle is None
        if header:
            self._open()
        assert self._handle is not None
        separator = "\t" if self.kind == "tsv" else ","
        if self.to_stdout:
            frame.to_csv(self._handle, index=False, header=header, sep=separator, lineterminator="\n")
            return
        # CSV injection (OWASP): a text cell that starts like a formula gets a
        # leading ' ; the sidecar says so and reading removes it again.
        table = _arrow_table(frame)
        if table is not None:
            table, escaped = escape_arrow_text(frame, table)
            if _write_csv_arrow(table, self._handle, header=header, separator=separator):
                self.escaped = self.escaped or escaped
                return
        frame, escaped = map_text_cells(frame, escape_text_cell)
        self.escaped = self.escaped or escaped
        frame.to_csv(self._handle, index=False, header=header, sep=separator, lineterminator="\n", encoding="utf-8")

    def _open(self) -> None:
        if self.to_stdout:
            self._handle = sys.stdout
            return
        descriptor, self._temporary = make_temporary(self.path)
        # UTF-8 with BOM so that Excel opens Chinese text correctly. The file is
        # binary: pyarrow's writer makes UTF-8 bytes, which go out as they are
        # (decoding and re-encoding them in Python cost seconds a million rows).
        self._handle = os.fdopen(descriptor, "wb")
        self._handle.write(codecs.BOM_UTF8)

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if error is not None:
            self._discard()
            return
        try:
            self._finish()
        except BaseException as failure:
            self._discard()
            if isinstance(failure, OSError) and not hasattr(failure, "operation"):
                raise naming(failure, self.path) from failure
            raise

    def _finish(self) -> None:
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
        self._temporary = None
        if self.attrs or self.escaped:
            write_json(sidecar_path(self.path), {**self.attrs, TEXT_ESCAPE_KEY: TEXT_ESCAPE_POLICY}, force=True)

    def _discard(self) -> None:
        """Close and remove the temporary (after an error, Ctrl-C or SIGTERM)."""
        if self._handle is not None and not self.to_stdout:
            with contextlib.suppress(OSError):  # closing flushes; on a full disk that fails again
                self._handle.close()
        _unlink_quietly(self._temporary)
        self._temporary = None


def _arrow_table(frame: pd.DataFrame) -> Any:
    """The frame as a pyarrow table, or None when a column holds mixed types
    arrow cannot take (the caller then uses pandas)."""
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None


def _write_csv_arrow(table: Any, handle: IO[bytes], *, header: bool, separator: str) -> bool:
    """pyarrow's CSV writer, several times faster than pandas' on nullable
    integer columns, straight into the binary file (it writes UTF-8; no
    Python pass over the values); False when it cannot write a column's type
    (the caller then uses pandas)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    # The text goes through the system allocator: memory the reading of the
    # input left free in it is reused, where arrow's own pool would add to it.
    memory = pa.system_memory_pool()

    def render(start: int) -> Any:
        options = pa_csv.WriteOptions(include_header=header and start == 0, delimiter=separator,
                                      quoting_style="needed")  # fmt: skip
        sink = pa.BufferOutputStream(memory_pool=memory)
        pa_csv.write_csv(table.slice(start, _WRITE_ROWS), sink, options, memory_pool=memory)
        return sink.getvalue()

    table = whole_number_columns(table)
    handle.flush()
    # Slices of rows rendered on every core (the writer is single-threaded and
    # releases the GIL), then written in order: memory stays bounded by a few
    # slices, and a type the writer refuses fails in the first round, before
    # anything is written.
    starts = list(range(0, max(table.num_rows, 1), _WRITE_ROWS))
    workers = min(len(starts), _WRITE_THREADS)
    with pool_of(workers, "literacy-render") as pool:
        for round_start in range(0, len(starts), workers):
            try:
                futures = [submit(pool, render, start) for start in starts[round_start : round_start + workers]]
                rendered = [future.result() for future in futures]
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                if round_start == 0:
                    return False
                raise
            for buffer in rendered:
                handle.write(buffer)
    return True


_WRITE_ROWS = 50_000
# Below this a whole number prints the same as a double and as an integer
# (pyarrow switches doubles such as 1e+15 to exponent notation).
_PLAIN_WHOLE = 1e6


def whole_number_columns(table: Any) -> Any:
    """``table`` with its double columns that hold only small whole numbers
    (codes, counts: an item column with blanks is Float64) cast to integers,
    which pyarrow's CSV writer prints twice as fast and exactly alike
    (``1`` for 1.0); a negative zero (``-0``), a NaN or a large value keeps
    the column a double."""
    import pyarrow as pa

    for position in range(table.num_columns):
        column = table.column(position)
        if not pa.types.is_float64(column.type):
            continue
        values = column.to_numpy(zero_copy_only=False)
        present = values[~column.is_null().to_numpy(zero_copy_only=False)]
        if (
            np.isfinite(present).all()
            and (np.abs(present) < _PLAIN_WHOLE).all()
            and (present == np.trunc(present)).all()
            and not ((present == 0) & np.signbit(present)).any()
        ):
            # The narrowest integer type: the cast copies the column, and codes fit in a byte.
            largest = float(np.abs(present).max()) if len(present) else 0.0
            kind = pa.int8() if largest < 2**7 else pa.int16() if largest < 2**15 else pa.int32()
            table = table.set_column(position, table.field(position).with_type(kind), column.cast(kind))
    return table


_WRITE_THREADS = max(1, min(4, os.cpu_count() or 1))
