"""Time and peak memory of reading and validating a big export:
`python benchmarks/bench_ingest.py [--rows 1000000] [--folder /tmp/ingest-bench]`.

Writes N respondents (cast-2024) as a CSV and an SPSS .sav (not timed), then
runs `validate_file` on each in a fresh child process and prints its wall time
and the child's peak resident memory (its own ru_maxrss), which is what bounded memory
is about: it should stay near the size of a chunk, not of the file.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from generate import respondents
from timing import machine


def child(source: str, chunk_rows: int) -> None:
    from literacy.validate import validate_file

    folder = Path(source).parent
    stem = Path(source).stem
    start = time.perf_counter()
    summary = validate_file(
        source, "cast-2024", clean_path=folder / f"{stem}.clean.csv", rejects_path=folder / f"{stem}.rejects.csv",
        force=True, chunk_rows=chunk_rows,
    )  # fmt: skip
    print(f"  {summary['input_rows']:,} rows = {summary['clean_rows']:,} clean + {summary['rejected_rows']:,} "
          f"rejected in {time.perf_counter() - start:.1f} s")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak resident memory of the whole process: {peak:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", default="/tmp/ingest-bench")
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.chunk_rows)
        return
    folder = Path(args.folder)
    if args.write:
        write_files(folder, args.rows)
        return
    # Each step runs in its own process: a child's peak memory (ru_maxrss)
    # starts from its parent's, so the parent must stay small.
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, __file__, "--write", "--rows", str(args.rows), "--folder", str(folder)],
                   check=True)  # fmt: skip
    print(machine())
    for path in (folder / "export.csv", folder / "export.sav"):
        print(f"validate {path.name} ({path.stat().st_size / 2**20:,.0f} MiB on disk), chunks of {args.chunk_rows:,}")
        subprocess.run([sys.executable, __file__, "--child", str(path), "--chunk-rows", str(args.chunk_rows)],
                       check=True)  # fmt: skip


def write_files(folder: Path, rows: int) -> None:
    import pyreadstat

    frame = respondents("cast-2024", rows, seed=1)
    frame.to_csv(folder / "export.csv", index=False)
    multiple = [c for c in frame.columns if str(frame[c].dtype) == "string"]
    sav = frame.astype({c: "float64" for c in frame.columns if str(frame[c].dtype) == "Int64"})
    sav[multiple] = sav[multiple].fillna("").astype(str)
    sav = sav.astype({c: str for c in sav.columns if sav[c].dtype == object or str(sav[c].dtype) == "str"})
    pyreadstat.write_sav(sav, str(folder / "export.sav"))


if __name__ == "__main__":
    main()
