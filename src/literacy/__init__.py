"""literacy: measure citizen science literacy (公民具备科学素质的比例) from survey
exports, with design-based uncertainty, and compare it with plan targets.

The public Python API; each function is one step of the flow
read -> validate -> score -> add_groups -> weight -> estimate -> gap -> report,
and each class is what a step returns or takes. Everything a pipeline needs is
importable from ``literacy`` itself (see ``__all__``); errors a user can cause
raise :class:`LiteracyError` with a plain message.

    import literacy

    cast = literacy.load_instrument("cast-2024")
    checked = literacy.validate(literacy.read("responses.sav", cast), cast)
    scored = literacy.add_groups(literacy.score(checked.clean, cast))
    weighted = literacy.weight(scored, literacy.read_margins("margins.csv", by="city"),
                               base_weight="base_weight")
    design = weighted.design(strata="district", psu="community")
    rates = literacy.estimate(design, "literate", by="city")
    assessment = literacy.gap(rates, ["wuhai-2021-2025"], year=2025)
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("literacy")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"

from literacy.assessment import change, counted_progress, counted_progress_of_plans, disparities, gap
from literacy.collect.importing import import_instrument
from literacy.design import Design
from literacy.errors import LiteracyError
from literacy.estimation import Reliability, contrast, estimate
from literacy.groups import add_groups
from literacy.instrument import Instrument, list_instruments, load_instrument
from literacy.io import read, write_table
from literacy.items import ItemAnalysis, item_analysis
from literacy.pipeline import RunResult, demo, run
from literacy.plans import Plan, list_plans, load_plan
from literacy.report import ReportData, report
from literacy.scoring import score
from literacy.smallarea import SmallAreaResult, sae
from literacy.validate import Rules, Validation, validate
from literacy.weighting import Margins, WeightingResult, read_margins, weight

ValidationResult = Validation
"""What :func:`validate` returns (the same class as :class:`Validation`):
``clean``, ``rejects`` with their reasons, and the ``summary`` counts."""

__all__ = [
    "Design",
    "Instrument",
    "ItemAnalysis",
    "LiteracyError",
    "Margins",
    "Plan",
    "Reliability",
    "ReportData",
    "Rules",
    "RunResult",
    "SmallAreaResult",
    "Validation",
    "ValidationResult",
    "WeightingResult",
    "__version__",
    "add_groups",
    "change",
    "contrast",
    "counted_progress",
    "counted_progress_of_plans",
    "demo",
    "disparities",
    "estimate",
    "gap",
    "import_instrument",
    "item_analysis",
    "list_instruments",
    "list_plans",
    "load_instrument",
    "load_plan",
    "read",
    "read_margins",
    "report",
    "run",
    "sae",
    "score",
    "validate",
    "weight",
    "write_table",
]
