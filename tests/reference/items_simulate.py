"""Simulate answers to cast-2024 from its keys for the item-analysis reference.

Writes ``items_answers.csv`` (one row per respondent, answers coded as an
export holds them) and ``items_keys.csv`` (item, dimension, type, key, points),
which ``items_reference.R`` scores on its own. Run from the repository root:

    .venv/bin/python tests/reference/items_simulate.py

Rasch data (Rasch 1960): P(correct) = 1 / (1 + exp(b_i - theta)), with
* theta ~ N(0, 1) plus 0.4 for urban respondents;
* item ``PLANTED_DIF`` 1.5 logits harder for rural respondents than for urban
  ones of the same ability (DIF by urban_rural);
* item ``PLANTED_WRONG_KEY`` answered as if its key were another option, so
  the instrument's key marks the able as wrong (a wrong key);
* 5% don't know (8), 1% refused (9), 1.5% blank and 0.5% not asked (7).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import literacy

HERE = Path(__file__).resolve().parent
N = 800
SEED = 20240613
PLANTED_DIF = "k05"
PLANTED_WRONG_KEY = "m03"


def main() -> None:
    cast = literacy.load_instrument("cast-2024")
    rng = np.random.default_rng(SEED)
    k = len(cast.items)
    difficulty = np.linspace(-2.0, 2.0, k)[rng.permutation(k)]
    sex = rng.choice(["male", "female"], N)
    urban = rng.random(N) < 0.55
    theta = rng.normal(0.0, 1.0, N) + 0.4 * urban
    columns: dict[str, object] = {
        "respondent_id": [f"R{i:04d}" for i in range(1, N + 1)],
        "sex": sex,
        "urban_rural": np.where(urban, "urban", "rural"),
    }
    for position, item in enumerate(cast.items):
        b = difficulty[position] + (1.5 * ~urban if item.id == PLANTED_DIF else 0.0)
        right = rng.random(N) < 1.0 / (1.0 + np.exp(b - theta))
        options = list(item.option_codes)
        key = sorted(item.key)
        if item.id == PLANTED_WRONG_KEY:
            key = [next(code for code in options if code not in item.key)]
        if item.type == "multiple_choice":
            keyed = " ".join(map(str, key))
            wrong = [" ".join(map(str, sorted(rng.choice(options, rng.integers(1, len(options)), replace=False))))
                     for _ in range(N)]  # fmt: skip
            wrong = [w if w != keyed else " ".join(map(str, options)) for w in wrong]
            answers = np.where(right, keyed, np.array(wrong, dtype=object)).astype(object)
        else:
            others = [code for code in options if code not in key]
            answers = np.where(right, key[0], rng.choice(others, N)).astype(object)
        mark = rng.random(N)
        answers[mark < 0.05] = 8 if item.type != "multiple_choice" else "8"
        answers[(mark >= 0.05) & (mark < 0.06)] = 9 if item.type != "multiple_choice" else "9"
        answers[(mark >= 0.06) & (mark < 0.075)] = None
        answers[(mark >= 0.075) & (mark < 0.08)] = 7 if item.type != "multiple_choice" else "7"
        columns[item.id] = answers
    pd.DataFrame(columns).to_csv(HERE / "items_answers.csv", index=False, lineterminator="\n")
    keys = pd.DataFrame(
        {
            "item": cast.item_ids,
            "dimension": [item.dimension for item in cast.items],
            "type": [item.type for item in cast.items],
            "key": [" ".join(map(str, sorted(item.key))) for item in cast.items],
            "points": [item.points for item in cast.items],
        }
    )
    keys.to_csv(HERE / "items_keys.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
