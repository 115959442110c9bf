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

from literacy.assessment import counted_progress, disparities, gap
from literacy.design import Design
from literacy.errors import LiteracyError
from literacy.estimation import Reliability, contrast, estimate
from literacy.instrument import Instrument, list_instruments, load_instrument
from literacy.io import read, write_table
from literacy.pipeline import demo, run
from literacy.plans import list_plans, load_plan
from literacy.report import ReportData, report
from literacy.scoring import score
from literacy.validate import Rules, Validation, validate
from literacy.weighting import read_margins, weight

__all__ = [
    "Design",
    "Instrument",
    "LiteracyError",
    "Reliability",
    "ReportData",
    "Rules",
    "Validation",
    "__version__",
    "contrast",
    "counted_progress",
    "demo",
    "disparities",
    "estimate",
    "gap",
    "list_instruments",
    "list_plans",
    "load_instrument",
    "load_plan",
    "read",
    "read_margins",
    "report",
    "run",
    "score",
    "validate",
    "weight",
    "write_table",
]
