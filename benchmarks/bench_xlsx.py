"""Time and peak memory of validating a big spreadsheet export:
`python benchmarks/bench_xlsx.py [--rows 1000000] [--folder /tmp/xlsx-bench]`.

Writes N respondents (cast-2024) as an ``.xlsx`` with openpyxl's write-only
mode (not timed; a few minutes for 1,000,000 rows, reused when it exists),
then runs ``literacy validate`` on it in a fresh child process and prints the
wall time and the child's peak resident memory (its own ru_maxrss): with the
streaming sheet reader it should stay near the size of a chunk, not of the
sheet.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench_ingest import child  # the same timed validation, in a fresh process
from generate import respondents
from timing import machine


def write_xlsx(path: Path, rows: int) -> None:
    """Row by row through openpyxl's write-only mode, so writing stays small too."""
    from openpyxl import Workbook

    frame = respondents("cast-2024", rows, seed=1)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    sheet.append([str(c) for c in frame.columns])
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns]
    for values in zip(*columns, strict=True):
        sheet.append(list(values))
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", default="/tmp/xlsx-bench")
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = Path(args.folder)
    path = folder / f"export-{args.rows}.xlsx"
    if args.child:
        child(args.child, args.chunk_rows)
        return
    if args.write:
        folder.mkdir(parents=True, exist_ok=True)
        write_xlsx(path, args.rows)
        return
    folder.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--write", "--rows", str(args.rows), "--folder", str(folder)],
                       check=True)  # fmt: skip
        print(f"wrote {path.name} in {time.perf_counter() - start:.0f} s")
    print(machine())
    print(f"validate {path.name} ({path.stat().st_size / 2**20:,.0f} MiB on disk), chunks of {args.chunk_rows:,}")
    subprocess.run([sys.executable, __file__, "--child", str(path), "--chunk-rows", str(args.chunk_rows)], check=True)


if __name__ == "__main__":
    main()
