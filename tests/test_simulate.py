"""Answers drawn from a latent trait: valid codes, and more literate with a
higher trait; a simulation that cannot be written leaves nothing behind."""

from __future__ import annotations

import numpy as np
import pytest

from literacy import LiteracyError, load_instrument, score
from literacy.collect import fieldwork, simulate_answers


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


def test_a_simulation_that_cannot_be_written_leaves_no_folder_behind(tmp_path, monkeypatch):
    simulation = fieldwork.simulate(load_instrument("cast-2024"), {"wuhai": None}, interviews=100, persons=1000)
    folder = tmp_path / "new" / "sim"
    with pytest.raises(LiteracyError, match="Export layout 'nope' is unknown"):
        fieldwork.write_simulation(simulation, folder, layouts=["nope"])
    assert not (tmp_path / "new").exists()

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fieldwork, "write_json", full_disk)  # the last file: the others are written by then
    with pytest.raises(OSError, match="No space left"):
        fieldwork.write_simulation(simulation, folder, layouts=["csv"])
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OSError, match="No space left"):
        fieldwork.write_simulation(simulation, kept, layouts=["csv"])
    assert [p.name for p in kept.iterdir()] == ["notes.txt"]
