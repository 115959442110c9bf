"""The whole job at national scale: `python benchmarks/bench_run.py [--folder F] [--copies 15]`.

Builds the million-interview survey of issue 15 (seeded): ``literacy simulate``
of three cities (wuhai, xuzhou, shenzhen; 33,600 interviews each from 1,100,000
persons a city), its CSV export copied 15 times with fresh respondent and
community ids (so the copies are new persons in new PSUs of the same
districts): 1,013,220 interviews (the issue's 1,006,095 came from its own
settings). Then, each in a fresh process, times pyarrow reading that CSV once
and ``literacy run`` of the whole job on it (cast-2024; rake by city; Taylor
design on district strata and community PSUs; estimates by city and four
groups; gap against the three cities' plans; disparities; HTML, XLSX, MD and
JSON reports), and prints both times, their ratio and the run's peak resident
memory (``wait4``'s ``ru_maxrss`` of the child).

The survey is built once into ``--folder`` and reused; ``--literacy`` names
the command to time (e.g. a baseline checkout's ``.venv/bin/literacy``), and
``--out`` the run's output folder (kept, for ``compare_outputs.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

CITIES = ("wuhai", "xuzhou", "shenzhen")
PLANS = ("wuhai-2021-2025", "xuzhou-2021-2035", "shenzhen-2022-2025")
READ = (
    "import sys, time, pyarrow.csv as c; t = time.perf_counter(); c.read_csv(sys.argv[1]); "
    "print(time.perf_counter() - t)"
)


def build(folder: Path, literacy: str, copies: int, seed: int) -> Path:
    """Simulate the three cities and copy the export ``copies`` times; return the CSV."""
    target = folder / "responses.csv"
    if target.exists():
        return target
    simulated = folder / "simulated"
    command = [literacy, "simulate", *[a for c in CITIES for a in ("--city", c)], "--interviews", "33600",
               "--persons", "1100000", "--seed", str(seed), "--out", str(simulated), "--force"]  # fmt: skip
    subprocess.run(command, check=True)
    shutil.copyfile(simulated / "margins.csv", folder / "margins.csv")
    text = (simulated / "responses-csv.csv").read_bytes().decode("utf-8-sig")
    header, *lines = text.splitlines()
    if not header.startswith('"respondent_id","city","district","community",'):
        raise SystemExit(f"unexpected export layout: {header[:80]}")
    # The first four fields are plain quoted codes (no comma, quote or line
    # break inside), so a copy rewrites them as text and leaves the rest as written.
    heads = [line.split(",", 4) for line in lines]
    if any(len(h) != 5 or not h[3].endswith('"') for h in heads):
        raise SystemExit("a record of the export does not start with four quoted codes")
    out = ["\ufeff" + header]
    for copy in range(copies):
        tag = f"{copy:02d}"
        for rid, city, district, community, rest in heads:
            out.append(f'{rid[:-1]}-{tag}",{city},{district},{community[:-1]}-{tag}",{rest}')
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    tmp.replace(target)
    config = (
        "instrument: cast-2024\n"
        "inputs:\n  - {path: responses.csv, platform: auto}\n"
        "margins: margins.csv\n"
        "weighting: {method: rake, by: city, base_weight: base_weight}\n"
        "design: {strata: district, psu: community}\n"
        "estimate: {ci: logit, level: 0.95, groups: [sex, age_band, urban_rural, education]}\n"
        f"assessment: {{plans: [{', '.join(PLANS)}], year: 2025, domain: city}}\n"
        "report: {formats: [html, xlsx, md, json], lang: zh}\n"
        "output: results\n"
    )
    (folder / "run.yaml").write_text(config, encoding="utf-8")
    return target


def run_child(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of ``command`` in a fresh process (wait4)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    err = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if status:
        raise SystemExit(f"{' '.join(command)} failed:\n{err[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default="/tmp/literacy-bench-run", help="Where the survey is built (reused).")
    parser.add_argument("--copies", type=int, default=15)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--literacy", default=str(Path(sys.executable).with_name("literacy")))
    parser.add_argument("--python", default=sys.executable, help="The Python whose pyarrow reads the CSV.")
    parser.add_argument("--out", default=None, help="The run's output folder (default FOLDER/results).")
    parser.add_argument("--repeat", type=int, default=1, help="Time the run this many times.")
    parser.add_argument("--tables", choices=("csv", "parquet"), default="csv",
                        help="The run's table format (output: {tables: ...}); parquet needs the new setting.")
    args = parser.parse_args()
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv = build(folder, args.literacy, args.copies, args.seed)
    with open(csv, "rb") as handle:
        rows = sum(1 for _ in handle) - 1
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"survey: {csv} ({rows:,} interviews, {csv.stat().st_size / 2**20:,.0f} MiB)")
    reads = []
    for _ in range(3):
        out = subprocess.run([args.python, "-c", READ, str(csv)], check=True, capture_output=True, text=True)
        reads.append(float(out.stdout))
    read = min(reads)
    print(f"pyarrow read_csv: {read:.2f} s (best of 3: {', '.join(f'{r:.2f}' for r in reads)})")
    output = Path(args.out) if args.out else folder / "results"
    config = folder / "run.yaml"
    if args.tables == "parquet":
        text = config.read_text(encoding="utf-8")
        text = text.replace("output: results\n", "output: {folder: results, tables: parquet}\n")
        config = folder / "run-parquet.yaml"
        config.write_text(text, encoding="utf-8")
    print(f"tables written as {args.tables}")
    for _ in range(args.repeat):
        seconds, peak = run_child([args.literacy, "run", str(config), "--out", str(output), "--force"])
        print(f"literacy run: {seconds:.1f} s, {seconds / read:.1f}x the pyarrow read, peak resident memory "
              f"{peak:,.0f} MiB ({peak / 1024:.2f} GiB); load {os.getloadavg()[0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
