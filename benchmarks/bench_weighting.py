"""Time and peak memory of weighting: `python benchmarks/bench_weighting.py [--rows N]`.

Rakes N respondents to four census margins (sex 2, age band 5, urban/rural 2,
education 5), then calibrates with bounded raking, and times a Taylor estimate
that carries the calibration into the variance.
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
from literacy.weighting import margins_from_frame, weight
from timing import machine, timed

MARGINS = {
    "sex": ["male", "female"],
    "age_band": ["18-29", "30-39", "40-49", "50-59", "60-69"],
    "urban_rural": ["urban", "rural"],
    "education": ["primary", "junior", "senior", "college", "university"],
}


def sample(rows: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({name: rng.choice(levels, rows) for name, levels in MARGINS.items()})
    data["stratum"] = rng.integers(0, 300, rows)
    data["psu"] = rng.integers(0, 8, rows)
    data["base"] = rng.uniform(50, 500, rows)
    data["literate"] = (rng.random(rows) < 0.15).astype(np.int8)
    population = data["base"].sum()
    targets = []
    for name, levels in MARGINS.items():
        shares = rng.dirichlet(np.full(len(levels), 4.0))
        for category, share in zip(levels, shares, strict=True):
            targets.append({"variable": name, "category": category, "target": share * population})
    return data, pd.DataFrame(targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    data, targets = sample(args.rows)
    margins = margins_from_frame(targets)
    print(machine())
    raked = timed(f"rake {args.rows:,} rows to 4 margins", lambda: weight(data, margins, base_weight="base"))
    print(f"  iterations {raked.record['iterations']}, largest miss {raked.margins['difference'].abs().max():.3g}")
    timed("raking calibration with bounds 0.2,5", lambda: weight(data, margins, base_weight="base",
                                                               method="raking-bounded", bounds=(0.2, 5.0)))  # fmt: skip
    design = timed("design with the calibration", lambda: Design(raked.data, weight="weight_final", strata="stratum",
                                                                 psu="psu"))  # fmt: skip
    timed("taylor estimate, calibrated, by education", lambda: estimate(design, "literate", "education"))


if __name__ == "__main__":
    main()
