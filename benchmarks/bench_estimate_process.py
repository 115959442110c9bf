"""Whole-process estimation, side by side with R survey and svy:
`python benchmarks/bench_estimate_process.py [--svy-python /tmp/svy-venv/bin/python] [--repeat 3]`.

The file of ``bench_estimation.py`` (1,000,000 rows, 300 strata, 2,400 PSUs,
300 city x sex x age-band domains) written once as CSV (PSU ids made unique
across strata, so every tool reads the same nesting). Each command runs in a
fresh process, the best of ``--repeat`` wall times is printed:

* ``literacy --version`` and ``python -c "import literacy"`` (start-up), and
  the imports the estimate command needs (pandas, pyarrow, scipy.special...);
* ``literacy estimate FILE --outcome literate --by city,sex,age_band ...``
  (read, design, Taylor estimates with logit intervals, write the CSV);
* R: ``read.csv`` + ``svydesign`` + ``svyby(~literate, ~city+sex+age_band, svymean)``
  when ``Rscript`` with the survey package is installed;
* svy: ``svy.read_csv`` + ``Sample``/``Design`` + ``estimation.prop(by=...)``
  when ``--svy-python`` names a Python with svy installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

R_SCRIPT = """
suppressMessages(library(survey))
d <- read.csv("{path}")
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d, nest = TRUE)
r <- svyby(~literate, ~city + sex + age_band, des, svymean)
cat(nrow(r), "domains\\n")
"""

SVY_SCRIPT = """
import svy
data = svy.read_csv("{path}")
sample = svy.Sample(data, svy.Design(stratum="stratum", psu="psu", wgt="weight"))
result = sample.estimation.prop("literate", by=["city", "sex", "age_band"])
print("done")
"""


def write_file(folder: Path) -> Path:
    """The estimation benchmark's data as CSV (made once)."""
    path = folder / "estimation.csv"
    if not path.exists():
        from bench_estimation import design_data

        data = design_data(1_000_000)
        data["psu"] = data["stratum"] * 8 + data["psu"]  # unique across strata
        data.to_csv(path, index=False)
    return path


def best(command: list[str], repeat: int) -> float:
    """Best wall time of ``command`` in a fresh process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default="/tmp/literacy-bench-estimate")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--svy-python", default=None, help="A Python with svy (e.g. /tmp/svy-venv/bin/python)")
    parser.add_argument("--literacy", default=str(Path(sys.executable).with_name("literacy")))
    args = parser.parse_args()
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = write_file(folder)
    print(f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}; file {path} ({path.stat().st_size / 2**20:.0f} MiB)")
    python = str(Path(args.literacy).with_name("python"))
    results: dict[str, float] = {}
    results["literacy --version"] = best([args.literacy, "--version"], args.repeat)
    results["python -c 'import literacy'"] = best([python, "-c", "import literacy"], args.repeat)
    results["python -c 'pass'"] = best([python, "-c", "pass"], args.repeat)
    imports = "import click, literacy.cli, literacy.design, literacy.estimation, literacy.io.read"
    results["imports of the estimate command"] = best([python, "-c", imports], args.repeat)
    estimate = [args.literacy, "estimate", str(path), "--outcome", "literate", "--by", "city,sex,age_band",
                "--weight", "weight", "--strata", "stratum", "--psu", "psu", "-o", str(folder / "out.csv"),
                "--force"]  # fmt: skip
    results["literacy estimate"] = best(estimate, args.repeat)
    if shutil.which("Rscript"):
        script = folder / "estimate.R"
        script.write_text(R_SCRIPT.format(path=path), encoding="utf-8")
        results["R survey"] = best(["Rscript", str(script)], 1)
    if args.svy_python:
        script = folder / "estimate_svy.py"
        script.write_text(SVY_SCRIPT.format(path=path), encoding="utf-8")
        results["svy"] = best([args.svy_python, str(script)], max(1, args.repeat - 1))
    for name, seconds in results.items():
        print(f"{name}: {seconds:.2f} s")
    ours = results["literacy estimate"]
    for other in ("R survey", "svy"):
        if other in results:
            print(f"literacy estimate is {results[other] / ours:.1f}x faster than {other}")
    share = results["imports of the estimate command"] / ours
    print(f"importing what `literacy estimate` needs is {share:.0%} of its whole process")


if __name__ == "__main__":
    main()
