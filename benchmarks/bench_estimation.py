"""Time and peak memory of design-based estimation:
`python benchmarks/bench_estimation.py [--rows N]`.

The shape of the estimation issue: 1,000,000 respondents, 300 strata
(30 cities x 10 districts), 2,400 PSUs (8 per stratum), and 300 domains
(city x sex x 5 age bands). Times Taylor estimation of all domains, and the
same with 200 Rao-Wu bootstrap replicates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from literacy import Design, estimate
from timing import machine, timed


def design_data(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 300, rows)
    psu = rng.integers(0, 8, rows)
    city = stratum // 10
    age_band = rng.integers(0, 5, rows)
    sex = rng.integers(0, 2, rows)
    level = -2.0 + 0.03 * city + 0.2 * sex - 0.15 * age_band + rng.normal(0, 0.3, 2400)[stratum * 8 + psu]
    return pd.DataFrame(
        {
            "city": city,
            "sex": sex,
            "age_band": age_band,
            "stratum": stratum,
            "psu": psu,
            "weight": rng.uniform(50, 500, rows),
            "literate": (rng.random(rows) < 1 / (1 + np.exp(-level))).astype(np.int8),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--replicates", type=int, default=200)
    args = parser.parse_args()
    data = design_data(args.rows)
    print(machine())
    design = timed("design (codes, PSU nesting)", lambda: Design(data, weight="weight", strata="stratum", psu="psu"))
    by = ["city", "sex", "age_band"]
    result = timed(f"taylor, {args.rows:,} rows, 300 domains", lambda: estimate(design, "literate", by))
    print(f"  domains: {len(result)}, PSUs {design.n_psus}, strata {design.n_strata}")
    timed(
        "taylor, logit + korn-graubard intervals again (warm)",
        lambda: estimate(design, "literate", by, ci="korn-graubard"),
    )
    replicated = timed(
        f"make {args.replicates} bootstrap replicates",
        lambda: design.with_replicates("bootstrap", replicates=args.replicates, seed=1),
    )
    timed(
        f"replicate variance, {args.replicates} replicates, 300 domains", lambda: estimate(replicated, "literate", by)
    )


if __name__ == "__main__":
    main()
