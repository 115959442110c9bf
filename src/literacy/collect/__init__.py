"""Collection beside the main flow: simulated answers (and, later, instrument
exports, sample sizes and simulated fieldwork)."""

from literacy.collect.simulate import simulate_answers

__all__ = ["simulate_answers"]
