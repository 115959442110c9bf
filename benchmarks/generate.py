"""Make a big synthetic response table for benchmarks (fast: no population,
no sample design; `literacy simulate` makes realistic survey data).

    python benchmarks/generate.py --questionnaire benchmark-2016 --rows 1000000 -o /tmp/responses.parquet

Respondents get a city, sex, age, urban/rural and education, and a latent
literacy trait that rises with education and falls with age; answers are drawn
from the trait by `literacy.collect.simulate_answers`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from literacy.collect import simulate_answers
from literacy.instrument import load_instrument
from literacy.io import write_table

CITIES = {"wuhai": -0.45, "xuzhou": -0.25, "shenzhen": 0.25}
EDUCATION = {"primary_or_less": -1.3, "junior_high": -0.6, "senior_high": 0.0, "college": 0.5, "university": 1.0}


def respondents(questionnaire: str, rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    instrument = load_instrument(questionnaire)
    city = rng.choice(list(CITIES), size=rows, p=[0.25, 0.35, 0.40])
    education = rng.choice(list(EDUCATION), size=rows, p=[0.18, 0.32, 0.22, 0.13, 0.15])
    age = rng.integers(18, 70, size=rows)
    ability = (
        np.vectorize(CITIES.get)(city)
        + np.vectorize(EDUCATION.get)(education)
        - 0.02 * (age - 40)
        + rng.normal(0.0, 0.8, size=rows)
    )
    frame = pd.DataFrame(
        {
            "respondent_id": np.arange(1, rows + 1),
            "city": city,
            "district": [f"{c}-{d}" for c, d in zip(city, rng.integers(1, 5, size=rows), strict=True)],
            "sex": rng.choice(["male", "female"], size=rows),
            "age": age,
            "urban_rural": rng.choice(["urban", "rural"], size=rows, p=[0.65, 0.35]),
            "education": education,
        }
    )
    return pd.concat([frame, simulate_answers(instrument, ability, rng)], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questionnaire", default="benchmark-2016")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    write_table(respondents(args.questionnaire, args.rows, args.seed), args.output, force=args.force)


if __name__ == "__main__":
    main()
