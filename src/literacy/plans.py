"""Plans as data: jurisdictions, their published baselines and their targets.

The shipped plans are YAML files in ``literacy/reference/plans/`` (the six
seed documents and the national outline); a user passes the path of their own
file wherever a plan id is accepted. Loading checks the whole file and reports
every problem at once. Every number must carry its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from literacy.datafiles import locate, read_yaml
from literacy.errors import LiteracyError
from literacy.instrument import Text
from literacy.schemas import Basis, Level, PlanFile, structure_problems

COMPARATORS = {
    # comparator: (wording en, wording zh, strict)
    "more_than": ("more than", "超过", True),
    "at_least": ("at least", "达到", False),
    "strive_for": ("strive for", "力争达到", False),
}
LEVELS: tuple[str, ...] = get_args(Level)
BASES: tuple[str, ...] = get_args(Basis)
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class Rate:
    """A published rate in percent, with where it comes from."""

    year: int
    value: float
    source: str


@dataclass(frozen=True)
class Target:
    year: int
    value: float  # percent
    comparator: str
    wording: str
    source: str

    @property
    def strict(self) -> bool:
        return COMPARATORS[self.comparator][2]

    def describe(self, lang: str = "en") -> str:
        en, zh, _ = COMPARATORS[self.comparator]
        return f"{zh}{self.value:g}%" if lang == "zh" else f"{en} {self.value:g}%"


@dataclass(frozen=True)
class DistrictTarget(Target):
    """A plan's literacy-rate target for one of its districts (``district``:
    the code in the data's district column; ``name`` as the plan words it)."""

    district: str = ""
    name: Text | None = None


@dataclass(frozen=True)
class CountedTarget:
    id: str
    label: Text
    value: float
    comparator: str
    unit: Text
    basis: str
    source: str
    period: tuple[int, int] | None = None
    condition: Text | None = None
    value_if_condition: float | None = None


@dataclass(frozen=True)
class Plan:
    """A province's, city's or the national plan as data: the jurisdiction
    (``code`` matches the data's ``city`` column), the document, its
    published baselines and its literacy-rate and counted targets, each
    number with its source. What :func:`load_plan` returns and :func:`gap`
    compares estimates with."""

    id: str
    code: str
    name: Text
    level: str
    parent: str | None
    issuer: Text
    title: Text
    number: str
    date: str
    seed: str | None
    period: tuple[int, int]
    baselines: tuple[Rate, ...]
    targets: tuple[Target, ...]
    counted_targets: tuple[CountedTarget, ...] = ()
    notes: tuple[str, ...] = ()
    district_targets: tuple[DistrictTarget, ...] = ()
    path: Path | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        """One line, e.g. ``Plan('wuhai-2021-2025', code='wuhai', 乌海市/Wuhai, 2021-2025,
        targets: 2025 >=12%, counted targets: 3)`` (``>`` "more than", ``>=`` "at least")."""
        targets = ", ".join(f"{t.year} {'>' if t.strict else '>='}{t.value:g}%" for t in self.targets)
        return (
            f"Plan({self.id!r}, code={self.code!r}, {self.name.zh}/{self.name.en}, {self.period[0]}-{self.period[1]}, "
            f"targets: {targets or 'none'}, counted targets: {len(self.counted_targets)})"
        )

    def target_for(self, year: int | None = None) -> Target | None:
        """The target for ``year``; without a year, the first target not yet
        past (or the last one)."""
        if not self.targets:
            return None
        if year is not None:
            exact = [t for t in self.targets if t.year == year]
            if exact:
                return exact[0]
            later = [t for t in self.targets if t.year >= year]
            return min(later, key=lambda t: t.year) if later else max(self.targets, key=lambda t: t.year)
        return min(self.targets, key=lambda t: t.year)

    def district_target_for(self, district: str, year: int) -> DistrictTarget | None:
        """The target for ``district`` in ``year``, chosen as :meth:`target_for` chooses."""
        own = [t for t in self.district_targets if t.district == str(district)]
        if not own:
            return None
        exact = [t for t in own if t.year == year]
        if exact:
            return exact[0]
        later = [t for t in own if t.year >= year]
        return min(later, key=lambda t: t.year) if later else max(own, key=lambda t: t.year)

    def baseline_before(self, year: int) -> Rate | None:
        earlier = [b for b in self.baselines if b.year <= year]
        return max(earlier, key=lambda b: b.year) if earlier else None


@dataclass(frozen=True)
class NationalReference:
    series: tuple[Rate, ...]
    breakdown_year: int
    breakdown_source: str
    breakdowns: dict[str, dict[str, float]]


def plans_dir() -> Path:
    return REFERENCE_DIR / "plans"


def plan_ids() -> list[str]:
    return sorted(path.stem for path in plans_dir().glob("*.yaml"))


def list_plans() -> list[Plan]:
    """Every shipped plan (the seed documents and the national outline), loaded and checked."""
    return [load_plan(path) for path in sorted(plans_dir().glob("*.yaml"))]


def load_plan(id_or_path: str | Path | Plan) -> Plan:
    """A shipped plan by id, or a user's YAML file by path."""
    if isinstance(id_or_path, Plan):
        return id_or_path
    path = locate(id_or_path, plans_dir, "plan", plan_ids)
    return parse_plan(read_yaml(path, kind="plan file"), source=str(path), path=path)


def plan_for_jurisdiction(code: str) -> Plan | None:
    """The shipped plan whose jurisdiction code is ``code`` (e.g. ``wuhai``)."""
    for plan in list_plans():
        if plan.code == code:
            return plan
    return None


def national_reference() -> NationalReference:
    raw = read_yaml(REFERENCE_DIR / "national-series.yaml")
    series = tuple(Rate(int(r["year"]), float(r["value"]), str(r["source"])) for r in raw["series"])
    block = raw["breakdowns"]
    groups = {k: {str(c): float(v) for c, v in values.items()} for k, values in block["groups"].items()}
    return NationalReference(series, int(block["year"]), str(block["source"]), groups)


# --------------------------------------------------------------------------
# Parsing: collect every problem, then raise once
# --------------------------------------------------------------------------


def parse_plan(raw: Any, *, source: str = "<plan>", path: Path | None = None) -> Plan:
    problems: list[str] = []

    def need(mapping: Any, key: str, where: str) -> Any:
        if not isinstance(mapping, dict) or mapping.get(key) in (None, ""):
            problems.append(f"{where}: `{key}` is required.")
            return None
        return mapping[key]

    def text(value: Any, where: str) -> Text:
        if isinstance(value, dict) and value.get("zh") and value.get("en"):
            return Text(str(value["zh"]), str(value["en"]))
        problems.append(f"{where}: give both zh and en text.")
        return Text("", "")

    def number(value: Any, where: str) -> float:
        if value is None:  # need() has said it is required
            return float("nan")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{where}: {value!r} is not a number.")
            return float("nan")
        return float(value)

    def year(value: Any, where: str) -> int:
        number_ = number(value, where)
        return 0 if number_ != number_ else int(number_)  # NaN: the problem is already listed

    def sourced(entry: Any, where: str) -> str:
        value = entry.get("source") if isinstance(entry, dict) else None
        if not value:
            problems.append(f"{where}: every number needs a `source` (seed file and section, or an address).")
            return ""
        return str(value)

    if not isinstance(raw, dict):
        raise LiteracyError(f"{source}: a plan file is a YAML mapping with id, jurisdiction, document and targets.")
    # Keys and shapes first (schemas.PlanFile): an unknown key is listed with
    # the problems below; a wrong shape stops here, as the checks below read
    # the file assuming its shape.
    structural = structure_problems(PlanFile, raw, parser_checks_values=True)
    problems.extend(problem.sentence for problem in structural)
    if any(not problem.unknown_key for problem in structural):
        raise LiteracyError(f"{source}: {len(problems)} problem(s) in the plan file:", details=problems)
    plan_id = str(need(raw, "id", "plan") or "")
    jurisdiction = need(raw, "jurisdiction", "plan") or {}
    document = need(raw, "document", "plan") or {}
    level = need(jurisdiction, "level", "jurisdiction")
    if level is not None and level not in LEVELS:
        problems.append(f"jurisdiction: level {level!r} is not one of {', '.join(LEVELS)}.")
    period_raw = raw.get("period") or []
    if not (isinstance(period_raw, list) and len(period_raw) == 2):
        problems.append("plan: `period` is [first year, last year].")
        period_raw = [0, 0]

    baselines = []
    for index, entry in enumerate(raw.get("baselines") or []):
        where = f"baselines[{index}]"
        baselines.append(
            Rate(
                year(need(entry, "year", where), where),
                number(need(entry, "value", where), where),
                sourced(entry, where),
            )
        )
    def rate_target(entry: Any, where: str) -> tuple[int, float, str, str, str]:
        comparator = need(entry, "comparator", where)
        if comparator is not None and comparator not in COMPARATORS:
            problems.append(f"{where}: comparator {comparator!r} is not one of {', '.join(COMPARATORS)}.")
        value = number(need(entry, "value", where), where)
        if value == value and not 0 <= value <= 100:  # NaN: not a number, already listed
            problems.append(f"{where}: the target {value} is not a percentage from 0 to 100.")
        return (
            year(need(entry, "year", where), where),
            value,
            str(comparator),
            str(entry.get("wording", "")),
            sourced(entry, where),
        )

    targets = [Target(*rate_target(entry, f"targets[{i}]")) for i, entry in enumerate(raw.get("targets") or [])]
    district_targets = []
    seen: set[tuple[str, int]] = set()
    for index, entry in enumerate(raw.get("district_targets") or []):
        where = f"district_targets[{index}]"
        district = str(need(entry, "district", where) or "")
        fields = rate_target(entry, where)
        if (district, fields[0]) in seen:
            problems.append(f"{where}: district {district!r} already has a target for {fields[0]}.")
        seen.add((district, fields[0]))
        name = text(entry["name"], f"{where}.name") if entry.get("name") is not None else None
        district_targets.append(DistrictTarget(*fields, district=district, name=name))
    counted = []
    for index, entry in enumerate(raw.get("counted_targets") or []):
        where = f"counted_targets[{index}]"
        basis = need(entry, "basis", where)
        if basis is not None and basis not in BASES:
            problems.append(f"{where}: basis {basis!r} is not one of {', '.join(BASES)}.")
        span = entry.get("period")
        counted_comparator = entry.get("comparator", "at_least")
        if counted_comparator not in COMPARATORS:
            problems.append(f"{where}: comparator {counted_comparator!r} is not one of {', '.join(COMPARATORS)}.")
        counted.append(
            CountedTarget(
                id=str(need(entry, "id", where)),
                label=text(entry.get("label"), where),
                value=number(need(entry, "value", where), where),
                comparator=str(counted_comparator),
                unit=text(entry.get("unit"), where),
                basis=str(basis),
                source=sourced(entry, where),
                period=(int(span[0]), int(span[1])) if span else None,
                condition=text(entry["condition"], where) if entry.get("condition") else None,
                value_if_condition=entry.get("value_if_condition"),
            )
        )
    plan = Plan(
        id=plan_id,
        code=str(need(jurisdiction, "code", "jurisdiction") or ""),
        name=text(jurisdiction.get("name"), "jurisdiction.name"),
        level=str(level),
        parent=jurisdiction.get("parent"),
        issuer=text(document.get("issuer"), "document.issuer"),
        title=text(document.get("title"), "document.title"),
        number=str(need(document, "number", "document") or ""),
        date=str(need(document, "date", "document") or ""),
        seed=document.get("seed"),
        period=(int(period_raw[0]), int(period_raw[1])),
        baselines=tuple(sorted(baselines, key=lambda b: b.year)),
        targets=tuple(sorted(targets, key=lambda t: t.year)),
        counted_targets=tuple(counted),
        notes=tuple(str(n) for n in raw.get("notes") or ()),
        district_targets=tuple(sorted(district_targets, key=lambda t: (t.district, t.year))),
        path=path,
    )
    if problems:
        raise LiteracyError(f"{source}: {len(problems)} problem(s) in the plan file:", details=problems)
    return plan
