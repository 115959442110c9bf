"""Answers drawn from a latent trait: valid codes, and more literate with a higher trait."""

from __future__ import annotations

import numpy as np

from literacy import score
from literacy.collect import simulate_answers


def test_simulated_answers_are_valid_and_follow_the_trait(shipped):
    rng = np.random.default_rng(7)
    low = score(simulate_answers(shipped, np.full(3000, -1.0), rng), shipped)
    high = score(simulate_answers(shipped, np.full(3000, 1.5), rng), shipped)
    assert low["score_total"].mean() < high["score_total"].mean()
    assert low["literate"].mean() < high["literate"].mean()
    dont_know = sum((low[f"{item.id}_correct"] == 0).sum() for item in shipped.items)
    assert dont_know > 0


def test_the_same_seed_gives_the_same_answers(shipped):
    first = simulate_answers(shipped, np.linspace(-2, 2, 200), np.random.default_rng(3))
    second = simulate_answers(shipped, np.linspace(-2, 2, 200), np.random.default_rng(3))
    assert first.equals(second)
