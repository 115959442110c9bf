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

import sys
import types
from typing import TYPE_CHECKING, Any

from literacy.lazy import bind_on_first_use

# The API is imported when first used (PEP 562), so that ``literacy --help``
# and ``import literacy`` stay fast (issue 15: start-up under 0.3 s); a name
# is imported from its step's module on first access and kept here.
_EXPORTS = {
    "change": "literacy.assessment",
    "counted_progress": "literacy.assessment",
    "counted_progress_of_plans": "literacy.assessment",
    "disparities": "literacy.assessment",
    "gap": "literacy.assessment",
    "import_instrument": "literacy.collect.importing",
    "Design": "literacy.design",
    "LiteracyError": "literacy.errors",
    "Reliability": "literacy.estimation",
    "contrast": "literacy.estimation",
    "estimate": "literacy.estimation",
    "add_groups": "literacy.groups",
    "Instrument": "literacy.instrument",
    "list_instruments": "literacy.instrument",
    "load_instrument": "literacy.instrument",
    "read": "literacy.io",
    "write_table": "literacy.io",
    "ItemAnalysis": "literacy.items",
    "item_analysis": "literacy.items",
    "RunResult": "literacy.pipeline",
    "demo": "literacy.pipeline",
    "run": "literacy.pipeline",
    "Plan": "literacy.plans",
    "list_plans": "literacy.plans",
    "load_plan": "literacy.plans",
    "ReportData": "literacy.report",
    "report": "literacy.report",
    "score": "literacy.scoring",
    "SmallAreaResult": "literacy.smallarea",
    "sae": "literacy.smallarea",
    "Rules": "literacy.validate",
    "Validation": "literacy.validate",
    "validate": "literacy.validate",
    "Margins": "literacy.weighting",
    "WeightingResult": "literacy.weighting",
    "read_margins": "literacy.weighting",
    "weight": "literacy.weighting",
}
# What :func:`validate` returns (the same class as :class:`Validation`):
# ``clean``, ``rejects`` with their reasons, and the ``summary`` counts.
_ALIASES = {"ValidationResult": "Validation"}

if TYPE_CHECKING:  # what type checkers and editors see: the same names, imported eagerly
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
    from literacy.validate import Validation as ValidationResult
    from literacy.weighting import Margins, WeightingResult, read_margins, weight

    __version__: str


_bind = bind_on_first_use(globals(), _EXPORTS, "literacy")


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("literacy")
        except PackageNotFoundError:  # running from a source tree without installing
            value = "0.0.0+source"
    else:
        value = _bind(_ALIASES.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``literacy.validate`` and ``literacy.report`` the API's functions
    when their submodules of the same names are imported: the import system
    binds a submodule on its package, which would otherwise replace them."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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

if "pdoc" in sys.modules:  # `make docs`: pdoc reads the names from the module's __dict__, so resolve them now
    for _name in __all__:
        __getattr__(_name)
