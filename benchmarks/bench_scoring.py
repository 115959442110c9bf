"""Time and peak memory of scoring: `python benchmarks/bench_scoring.py [--rows N]`.

Generates N respondents x the instrument's items in memory (not timed), then
scores them once and prints wall time, respondents per second and the peak
memory that scoring added (tracemalloc, which numpy and pandas report to).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from generate import respondents
from literacy import load_instrument, score
from timing import machine, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--questionnaire", default="benchmark-2016")
    args = parser.parse_args()
    instrument = load_instrument(args.questionnaire)
    frame = respondents(args.questionnaire, args.rows, seed=1)
    input_mb = frame.memory_usage(deep=True).sum() / 2**20
    print(machine())
    print(f"input {input_mb:,.0f} MiB")
    scored = timed(
        f"score {args.rows:,} respondents x {len(instrument.items)} items ({instrument.id})",
        lambda: score(frame, instrument),
    )
    print(f"literate share {scored['literate'].mean():.3f}")


if __name__ == "__main__":
    main()
