"""Design-based estimation: Taylor and replicate variance, intervals, domains, contrasts.

Every estimates table starts with :data:`BREAKDOWN`, then the domain columns,
then :data:`FIXED_COLUMNS`; see :func:`estimate`."""

from literacy.estimation.estimate import BREAKDOWN, FIXED_COLUMNS, Reliability, contrast, estimate
from literacy.vocabulary import CI_METHODS

__all__ = ["BREAKDOWN", "CI_METHODS", "FIXED_COLUMNS", "Reliability", "contrast", "estimate"]
