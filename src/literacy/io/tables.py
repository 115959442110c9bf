"""Read and write the tables that pass between steps, with their metadata.

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

TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
SIDECAR_SUFFIX = ".meta.json"
STDOUT = "-"


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def table_format(path: str | Path, override: str | None = None) -> str:
    if override:
        return override
    suffix = Path(str(path)).suffix.lower()
    if suffix not in TABLE_FORMATS:
        known = ", ".join(sorted(TABLE_FORMATS))
        raise LiteracyError(f"Cannot tell the format of {path} from its extension; use one of {known}.")
    return TABLE_FORMATS[suffix]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV/TSV (UTF-8, with or without BOM) or Parquet table.

    The ingest step (platform exports, SPSS, Stata, Excel) builds on this; this
    reader covers the toolkit's own intermediate files.
    """
    path = Path(path)
    if not path.is_file():
        raise LiteracyError(f"Input file {path} does not exist; check the path.")
    kind = table_format(path)
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",", encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LiteracyError(f"{path} is not UTF-8 text; save it as UTF-8 (Excel: CSV UTF-8).") from None
    except pd.errors.EmptyDataError:
        raise LiteracyError(f"{path} is empty; export the data again.") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LiteracyError(f"{path} could not be read as {kind.upper()} ({first}).") from None
    sidecar = sidecar_path(path)
    if kind != "parquet" and sidecar.is_file():
        try:
            frame.attrs = json.loads(sidecar.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise LiteracyError(f"The metadata file {sidecar} is not valid JSON; fix or delete it.") from None
    return frame


def write_table(frame: pd.DataFrame, path: str | Path, *, force: bool = False) -> None:
    """Write a table to ``path`` (``-`` is stdout, as CSV without a BOM)."""
    if str(path) == STDOUT:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    path = Path(path)
    kind = table_format(path)
    sidecar = sidecar_path(path)
    writes_sidecar = kind != "parquet" and bool(frame.attrs)
    targets = [path] + ([sidecar] if writes_sidecar else [])
    check_can_write(targets, force=force)
    if kind == "parquet":
        atomic_write(path, lambda handle: frame.to_parquet(handle, index=False), binary=True)
        return
    separator = "\t" if kind == "tsv" else ","
    # UTF-8 with BOM so that Excel opens Chinese text correctly.
    atomic_write(
        path,
        lambda handle: frame.to_csv(handle, index=False, sep=separator, lineterminator="\n"),
        encoding="utf-8-sig",
    )
    if writes_sidecar:
        write_json(sidecar, frame.attrs, force=True)


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
