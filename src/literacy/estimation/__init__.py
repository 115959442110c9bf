"""Design-based estimation: Taylor and replicate variance, intervals, domains, contrasts."""

from literacy.estimation.estimate import FIXED_COLUMNS, Reliability, contrast, estimate
from literacy.estimation.intervals import CI_METHODS

__all__ = ["CI_METHODS", "FIXED_COLUMNS", "Reliability", "contrast", "estimate"]
