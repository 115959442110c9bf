"""literacy: measure citizen science literacy (公民具备科学素质的比例) from survey
exports, with design-based uncertainty, and compare it with plan targets.

The public Python API; each function is one step of the flow
read -> validate -> score -> weight -> estimate -> compare -> report.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("literacy")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"

from literacy.design import Design
from literacy.errors import LiteracyError
from literacy.estimation import Reliability, contrast, estimate
from literacy.instrument import Instrument, list_instruments, load_instrument
from literacy.io import read, write_table
from literacy.scoring import score
from literacy.validate import Rules, Validation, validate

__all__ = [
    "Design",
    "Instrument",
    "LiteracyError",
    "Reliability",
    "Rules",
    "Validation",
    "__version__",
    "contrast",
    "estimate",
    "list_instruments",
    "load_instrument",
    "read",
    "score",
    "validate",
    "write_table",
]
