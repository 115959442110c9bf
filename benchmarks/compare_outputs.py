"""Compare the data outputs of two runs number by number:
`python benchmarks/compare_outputs.py BEFORE_FOLDER AFTER_FOLDER [--tolerance 1e-12]`.

Speed work must not change a result (issue 15). Every CSV (with its
``.meta.json`` sidecar) and JSON data file of a ``literacy run``/``demo``
folder is compared: the same files, columns, rows and keys; text equal; numbers
equal to a relative tolerance (``|a - b| <= tol * max(1, |a|, |b|)``). The
reports (``report.*``, which change with their templates) are left out, and of
``manifest.json`` only the row counts and the settings are compared (its hashes
and versions are of the files and software, not results). Exit status 1 when
anything differs, with the first differences listed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SKIPPED_PREFIX = "report."


def compare_csv(before: Path, after: Path, tolerance: float, new_columns: bool = False) -> list[str]:
    """Differences between two CSV files, read as text so nothing is lost;
    with ``new_columns`` the after file may add columns (a feature added
    meanwhile), which are named, and the before file's columns are compared."""
    a = pd.read_csv(before, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    b = pd.read_csv(after, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    name = before.name
    added = [c for c in b.columns if c not in a.columns]
    if new_columns and added and [c for c in b.columns if c in a.columns] == list(a.columns):
        print(f"note: {name} has new columns {added}; the {len(a.columns)} others are compared")
        b = b[list(a.columns)]
    if list(a.columns) != list(b.columns):
        return [f"{name}: columns differ: {list(a.columns)} vs {list(b.columns)}"]
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows vs {len(b)}"]
    problems = []
    for column in a.columns:
        x, y = a[column].to_numpy(dtype=object), b[column].to_numpy(dtype=object)
        differ = x != y
        if not differ.any():
            continue
        nx = pd.to_numeric(pd.Series(x[differ]), errors="coerce").to_numpy(dtype=float)
        ny = pd.to_numeric(pd.Series(y[differ]), errors="coerce").to_numpy(dtype=float)
        scale = np.maximum(1.0, np.maximum(np.abs(nx), np.abs(ny)))
        close = np.abs(nx - ny) <= tolerance * scale
        numeric = ~np.isnan(nx) & ~np.isnan(ny)
        bad = ~(numeric & close)
        if bad.any():
            rows = np.flatnonzero(differ)[bad]
            first = int(rows[0])
            problems.append(
                f"{name}: column {column!r} differs in {len(rows)} row(s), e.g. row {first + 1}: "
                f"{x[first]!r} vs {y[first]!r}"
            )
    return problems


def compare_values(
    a: Any, b: Any, where: str, tolerance: float, out: list[str], ignore: frozenset = frozenset()
) -> None:
    """Recursive comparison of parsed JSON; keys named in ``ignore`` are skipped at any depth."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) - ignore != set(b) - ignore:
            out.append(f"{where}: keys differ: {sorted((set(a) ^ set(b)) - ignore)}")
        for key in sorted((set(a) & set(b)) - ignore):
            compare_values(a[key], b[key], f"{where}.{key}", tolerance, out, ignore)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} items vs {len(b)}")
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            compare_values(x, y, f"{where}[{index}]", tolerance, out, ignore)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if math.isnan(a) and math.isnan(b):
            return
        if abs(a - b) > tolerance * max(1.0, abs(a), abs(b)):
            out.append(f"{where}: {a!r} vs {b!r}")
    elif a != b:
        out.append(f"{where}: {a!r} vs {b!r}")


def csv_view(folder: Path) -> Path:
    """``folder`` as CSV: a run with ``output: {tables: parquet}`` has
    ``X.parquet`` where a CSV run has ``X.csv`` and ``X.csv.meta.json``; each
    is read back with ``literacy.read`` (its metadata from the Parquet schema)
    and written with the toolkit's CSV writer into a temporary folder, so the
    values and the metadata are compared with the CSV run's. A folder without
    Parquet files is returned as it is."""
    tables = sorted(folder.glob("*.parquet"))
    if not tables:
        return folder
    import tempfile

    from literacy.io import read, write_table

    view = Path(tempfile.mkdtemp(prefix="compare-outputs-"))
    for path in folder.iterdir():
        if path.is_file() and path.suffix != ".parquet":
            (view / path.name).symlink_to(path.resolve())
    for path in tables:
        frame = read(path)
        if (frame.attrs.get("source") or {}).get("path") == str(path):  # added by reading, not the run's metadata
            frame.attrs = {k: v for k, v in frame.attrs.items() if k != "source"}
        write_table(frame, view / (path.stem + ".csv"))
    print(f"note: {len(tables)} Parquet table(s) of {folder} compared as the CSV the toolkit writes of them")
    return view


def compare_folders(
    before: Path, after: Path, tolerance: float, ignore: frozenset = frozenset(), new_columns: bool = False
) -> tuple[list[str], list[str]]:
    """(files compared, differences)."""
    before, after = csv_view(before), csv_view(after)
    names = sorted(p.name for p in before.iterdir() if p.is_file() and not p.name.startswith(SKIPPED_PREFIX))
    others = sorted(p.name for p in after.iterdir() if p.is_file() and not p.name.startswith(SKIPPED_PREFIX))
    problems = [f"only in {before}: {n}" for n in sorted(set(names) - set(others))]
    problems += [f"only in {after}: {n}" for n in sorted(set(others) - set(names))]
    compared = []
    for name in names:
        if name not in others:
            continue
        if name.endswith(".csv"):
            problems += compare_csv(before / name, after / name, tolerance, new_columns)
        elif name.endswith(".json"):
            a = json.loads((before / name).read_text(encoding="utf-8"))
            b = json.loads((after / name).read_text(encoding="utf-8"))
            if name == "manifest.json":
                a = {k: a.get(k) for k in ("row_counts", "config")}
                b = {k: b.get(k) for k in ("row_counts", "config")}
            compare_values(a, b, name, tolerance, problems, ignore)
        else:
            continue
        compared.append(name)
    return compared, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tolerance", type=float, default=1e-12)
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        help="A JSON key to skip at any depth, e.g. path (runs of two checkouts read their inputs from two places).",
    )
    parser.add_argument("--new-columns", action="store_true", help="Allow columns the after run adds (named).")
    args = parser.parse_args()
    compared, problems = compare_folders(
        args.before, args.after, args.tolerance, frozenset(args.ignore), args.new_columns
    )
    print(f"compared {len(compared)} files: {', '.join(compared)}")
    for line in problems[:40]:
        print("DIFFERS", line)
    if problems:
        print(f"{len(problems)} difference(s)")
        sys.exit(1)
    print(f"every number equal to {args.tolerance:g} (relative), every text equal")


if __name__ == "__main__":
    main()
