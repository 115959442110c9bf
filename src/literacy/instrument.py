"""Instruments (questionnaires) written as data: load, validate, look up.

An instrument is a YAML file in ``questionnaires/`` (or anywhere the user keeps
one). Loading checks the whole file and reports every problem at once, each as
``file: item ID: sentence``, so a statistician can fix a file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from literacy.datafiles import locate, read_yaml
from literacy.errors import LiteracyError
from literacy.vocabulary import ITEM_TYPES, RULES

MISSING_KINDS = ("dont_know", "refused", "not_asked")
LANGS = ("zh", "en")
_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# Items are answered as integer codes; multiple-choice answers are codes joined
# by spaces, as ODK and KoboToolbox export a select_multiple.
_DEFAULT_MAX_MISSING_SHARE = 0.2


@dataclass(frozen=True)
class Text:
    """A bilingual string; every shipped instrument has both languages."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Option:
    code: int
    label: Text


@dataclass(frozen=True)
class Dimension:
    id: str
    label: Text
    weight: float | None = None


@dataclass(frozen=True)
class Item:
    id: str
    dimension: str
    type: str
    text: Text
    options: tuple[Option, ...]
    key: frozenset[int]
    points: float = 1.0
    note: str | None = None

    @property
    def option_codes(self) -> tuple[int, ...]:
        return tuple(option.code for option in self.options)


@dataclass(frozen=True)
class MissingCodes:
    """Codes that are not answers. Don't know and refused score as wrong;
    not asked (like a blank) counts towards the unscorable share."""

    dont_know: int | None = None
    refused: int | None = None
    not_asked: int | None = None

    @property
    def answered_as_wrong(self) -> tuple[int, ...]:
        return tuple(c for c in (self.dont_know, self.refused) if c is not None)

    @property
    def all(self) -> tuple[int, ...]:
        return tuple(c for c in (self.dont_know, self.refused, self.not_asked) if c is not None)


@dataclass(frozen=True)
class Grade:
    id: str
    label: Text
    min_score: float | None  # None for the lowest grade


@dataclass(frozen=True)
class Threshold:
    """A dimension's pass mark for ``all_dimensions_pass``: a share of the
    dimension's maximum points, or a number of points."""

    min_share: float | None = None
    min_points: float | None = None
    note: str | None = None

    def points_needed(self, max_points: float) -> float:
        if self.min_points is not None:
            return self.min_points
        assert self.min_share is not None
        return self.min_share * max_points


LITERATE = Grade("literate", Text("具备科学素质", "Scientifically literate"), None)
NOT_LITERATE = Grade("not_literate", Text("不具备科学素质", "Not scientifically literate"), None)


@dataclass(frozen=True)
class Standard:
    """The classification rule and its parameters, stated in the instrument."""

    rule: str
    inclusive: bool = True
    max_missing_share: float = _DEFAULT_MAX_MISSING_SHARE
    thresholds: Mapping[str, Threshold] = field(default_factory=dict)
    cut_share: float | None = None
    scale: float = 100.0
    grades: tuple[Grade, ...] = (LITERATE, NOT_LITERATE)
    literate_grades: frozenset[str] = frozenset({"literate"})
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Population:
    min_age: int = 18
    max_age: int = 69
    description: Text | None = None


@dataclass(frozen=True)
class Instrument:
    """A questionnaire and its scoring standard (items, answer keys, points,
    dimensions, thresholds, grades), as loaded from YAML and checked whole:
    what :func:`load_instrument` returns and every step that reads or scores
    answers takes."""

    id: str
    version: str
    title: Text
    population: Population
    dimensions: tuple[Dimension, ...]
    items: tuple[Item, ...]
    missing: MissingCodes
    standard: Standard
    source: str = ""
    description: Text | None = None
    path: Path | None = None

    def __repr__(self) -> str:
        return (
            f"Instrument({self.id!r}, version={self.version!r}, items={len(self.items)}, "
            f"dimensions={[d.id for d in self.dimensions]}, standard={self.standard.rule!r})"
        )

    @property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise LiteracyError(f"Instrument {self.id} has no item {item_id!r}.")

    def dimension_items(self, dimension_id: str) -> list[Item]:
        return [item for item in self.items if item.dimension == dimension_id]

    def dimension_max(self, dimension_id: str) -> float:
        return float(sum(item.points for item in self.dimension_items(dimension_id)))

    @property
    def max_points(self) -> float:
        return float(sum(item.points for item in self.items))


# --------------------------------------------------------------------------
# Finding instruments
# --------------------------------------------------------------------------


def shipped_dir() -> Path:
    """Where the shipped instruments are: inside the installed package (the
    wheel maps ``questionnaires/`` to ``literacy/questionnaires``), or at the
    top of a clone when running from source."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "questionnaires", here.parents[1] / "questionnaires"):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise LiteracyError(
        "The shipped questionnaires were not found; reinstall the package (pip install .) or run from a full clone."
    )


def shipped_ids() -> list[str]:
    return sorted(path.stem for path in shipped_dir().glob("*.yaml"))


def list_instruments() -> list[Instrument]:
    """Every shipped instrument, loaded and validated."""
    return [load_instrument(path) for path in sorted(shipped_dir().glob("*.yaml"))]


def load_instrument(id_or_path: str | Path | Instrument) -> Instrument:
    """Load a shipped instrument by id, or a user's YAML file by path."""
    if isinstance(id_or_path, Instrument):
        return id_or_path
    return _load_file(locate(id_or_path, shipped_dir, "questionnaire", shipped_ids))


def _load_file(path: Path) -> Instrument:
    return parse_instrument(read_yaml(path, kind="questionnaire file"), source=str(path), path=path)


# --------------------------------------------------------------------------
# Parsing and validation: collect every problem, then raise once.
# --------------------------------------------------------------------------


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, where: str, sentence: str) -> None:
        self.lines.append(f"{self.source}: {where}: {sentence}")

    def add_sentence(self, sentence: str) -> None:
        """A sentence that names its own place (``items[2].optons is not a known key; ...``)."""
        self.lines.append(f"{self.source}: {sentence}")

    def raise_if_any(self) -> None:
        if self.lines:
            count = len(self.lines)
            noun = "problem" if count == 1 else "problems"
            raise LiteracyError(
                f"{self.source} is not a valid questionnaire ({count} {noun}):",
                details=self.lines,
            )


def parse_instrument(raw: Any, *, source: str = "<instrument>", path: Path | None = None) -> Instrument:
    """Build an :class:`Instrument` from parsed YAML, checking everything."""
    problems = _Problems(source)
    if not isinstance(raw, Mapping):
        problems.add("file", "the top level must be a mapping with id, title, dimensions, items and standard.")
        problems.raise_if_any()
    # Keys and shapes first (schemas.InstrumentFile): an unknown key is listed
    # with the problems below; a wrong shape stops here, as the checks below
    # would only repeat it.
    # (pydantic is imported here, not with the module: labels need only the
    # respondent block, and `literacy estimate` is 0.1 s faster without it)
    from literacy.schemas import InstrumentFile, structure_problems

    structural = structure_problems(InstrumentFile, raw, parser_checks_values=True)
    for problem in structural:
        problems.add_sentence(problem.sentence)
    if any(not problem.unknown_key for problem in structural):
        problems.raise_if_any()
    instrument_id = _identifier(raw.get("id"), "questionnaire", "id", problems)
    version = str(raw.get("version", "")).strip()
    if not version:
        problems.add("questionnaire", 'version is missing; add e.g. version: "1.0".')
    title = _text(raw.get("title"), "questionnaire", "title", problems)
    description = _text(raw["description"], "questionnaire", "description", problems) if "description" in raw else None
    population = _population(raw.get("population", {}), problems)
    missing = _missing_codes(raw.get("missing_codes", {}), problems)
    option_sets = _option_sets(raw.get("option_sets", {}), problems)
    dimensions = _dimensions(raw.get("dimensions"), problems)
    dimension_ids = [d.id for d in dimensions]
    items = _items(raw.get("items"), raw.get("item_defaults", {}), option_sets, dimension_ids, missing, problems)
    for dimension in dimensions:
        if dimension.id and not any(item.dimension == dimension.id for item in items):
            problems.add(f"dimension {dimension.id}", "has no items; remove it or assign items to it.")
    standard = _standard(raw.get("standard"), dimensions, problems)
    _check_reachable(standard, items, problems)
    problems.raise_if_any()
    return Instrument(
        id=instrument_id,
        version=version,
        title=title,
        population=population,
        dimensions=tuple(dimensions),
        items=tuple(items),
        missing=missing,
        standard=standard,
        source=str(raw.get("source", "")),
        description=description,
        path=path,
    )


def _check_reachable(standard: Standard, items: list[Item], problems: _Problems) -> None:
    """A pass mark above a dimension's points makes nobody literate: refuse it."""
    for dim_id, threshold in standard.thresholds.items():
        available = sum(item.points for item in items if item.dimension == dim_id)
        if threshold.min_points is not None and available and threshold.min_points > available:
            problems.add(f"standard, dimension {dim_id}",
                         f"min_points {threshold.min_points:g} is more than the dimension's {available:g} points, "
                         "so nobody could pass; lower it.")  # fmt: skip


def _identifier(value: Any, where: str, name: str, problems: _Problems) -> str:
    if value is None or str(value).strip() == "":
        problems.add(where, f"{name} is missing.")
        return ""
    text = str(value).strip()
    if not _ID_PATTERN.match(text):
        problems.add(
            where,
            f"{name} {text!r} must start with a letter or _ and hold only letters, digits, _, - and . "
            "(the XLSForm and SPSS naming rule).",
        )
    return text


def _text(value: Any, where: str, name: str, problems: _Problems) -> Text:
    if isinstance(value, Mapping):
        missing = [lang for lang in LANGS if not str(value.get(lang, "") or "").strip()]
        if missing:
            problems.add(where, f"{name} needs text in {' and '.join(missing)} (both zh and en are required).")
        return Text(str(value.get("zh", "") or "").strip(), str(value.get("en", "") or "").strip())
    problems.add(where, f"{name} must be a mapping with zh and en text.")
    return Text("", "")


def _number(value: Any, where: str, name: str, problems: _Problems, *, positive: bool = False) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(where, f"{name} must be a number, not {value!r}.")
        return None
    if positive and value <= 0:
        problems.add(where, f"{name} must be above 0, not {value!r}.")
        return None
    return float(value)


def _code(value: Any, where: str, name: str, problems: _Problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(where, f"{name} must be a whole-number code, not {value!r}.")
        return None
    return int(value)


def _population(raw: Any, problems: _Problems) -> Population:
    if not isinstance(raw, Mapping):
        problems.add("population", "must be a mapping with min_age and max_age.")
        return Population()
    min_age = raw.get("min_age", 18)
    max_age = raw.get("max_age", 69)
    if not (isinstance(min_age, int) and isinstance(max_age, int) and 0 <= min_age <= max_age):
        problems.add(
            "population", f"min_age {min_age!r} and max_age {max_age!r} must be whole numbers with min_age <= max_age."
        )
        return Population()
    description = _text(raw["description"], "population", "description", problems) if "description" in raw else None
    return Population(min_age, max_age, description)


def _missing_codes(raw: Any, problems: _Problems) -> MissingCodes:
    if not isinstance(raw, Mapping):
        problems.add("missing_codes", "must be a mapping such as {dont_know: 8, refused: 9, not_asked: 7}.")
        return MissingCodes()
    codes = {kind: _code(raw[kind], "missing_codes", kind, problems) for kind in MISSING_KINDS if kind in raw}
    present = [c for c in codes.values() if c is not None]
    if len(present) != len(set(present)):
        problems.add("missing_codes", "dont_know, refused and not_asked must have different codes.")
    return MissingCodes(**codes)


def _options(raw: Any, where: str, problems: _Problems) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add(where, "options must be a non-empty list of {code, label: {zh, en}}.")
        return ()
    options: list[Option] = []
    seen: set[int] = set()
    for entry in raw:
        if not isinstance(entry, Mapping):
            problems.add(where, f"option {entry!r} must be a mapping with code and label.")
            continue
        code = _code(entry.get("code"), where, "option code", problems)
        label = _text(entry.get("label"), where, f"option {code} label", problems)
        if code is None:
            continue
        if code in seen:
            problems.add(where, f"option code {code} appears twice.")
        seen.add(code)
        options.append(Option(code, label))
    return tuple(options)


def _option_sets(raw: Any, problems: _Problems) -> dict[str, tuple[Option, ...]]:
    if not isinstance(raw, Mapping):
        problems.add("option_sets", "must map a name to a list of options.")
        return {}
    return {str(name): _options(value, f"option set {name}", problems) for name, value in raw.items()}


def _dimensions(raw: Any, problems: _Problems) -> list[Dimension]:
    if not isinstance(raw, list) or not raw:
        problems.add("dimensions", "must be a non-empty list of {id, label: {zh, en}, weight}.")
        return []
    dimensions: list[Dimension] = []
    seen: set[str] = set()
    for entry in raw:
        if not isinstance(entry, Mapping):
            problems.add("dimensions", f"entry {entry!r} must be a mapping.")
            continue
        dim_id = _identifier(entry.get("id"), "dimension", "id", problems)
        where = f"dimension {dim_id}"
        if dim_id in seen:
            problems.add(where, "the id appears twice; dimension ids must be unique.")
        seen.add(dim_id)
        label = _text(entry.get("label"), where, "label", problems)
        weight = _number(entry["weight"], where, "weight", problems, positive=True) if "weight" in entry else None
        dimensions.append(Dimension(dim_id, label, weight))
    return dimensions


def _items(
    raw: Any,
    defaults: Any,
    option_sets: Mapping[str, tuple[Option, ...]],
    dimension_ids: list[str],
    missing: MissingCodes,
    problems: _Problems,
) -> list[Item]:
    if not isinstance(raw, list) or not raw:
        problems.add("items", "must be a non-empty list of items.")
        return []
    if not isinstance(defaults, Mapping):
        problems.add("item_defaults", "must be a mapping (type, options, points).")
        defaults = {}
    items: list[Item] = []
    seen: dict[str, str] = {}  # casefolded id -> id: export columns are matched to items ignoring case
    for position, entry in enumerate(raw, start=1):
        if not isinstance(entry, Mapping):
            problems.add(f"item #{position}", "must be a mapping with id, dimension, type, text, options and key.")
            continue
        merged = {**defaults, **entry}
        item_id = _identifier(merged.get("id"), f"item #{position}", "id", problems)
        where = f"item {item_id or '#' + str(position)}"
        if item_id.casefold() in seen:
            first = seen[item_id.casefold()]
            if first == item_id:
                problems.add(where, "the id appears twice; item ids must be unique.")
            else:
                problems.add(where, f"the id differs from item {first} only in upper/lower case; export columns "
                             "are matched ignoring case, so rename one of them.")  # fmt: skip
        seen.setdefault(item_id.casefold(), item_id)
        dimension = str(merged.get("dimension", "")).strip()
        if dimension not in dimension_ids:
            known = ", ".join(dimension_ids) or "none declared"
            problems.add(where, f"dimension {dimension!r} is not declared (known: {known}).")
        item_type = str(merged.get("type", "")).strip()
        if item_type not in ITEM_TYPES:
            problems.add(where, f"type {item_type!r} is unknown; use one of {', '.join(ITEM_TYPES)}.")
        text = _text(merged.get("text"), where, "text", problems)
        raw_options = merged.get("options")
        if isinstance(raw_options, str):
            if raw_options not in option_sets:
                problems.add(where, f"option set {raw_options!r} is not declared in option_sets.")
                options: tuple[Option, ...] = ()
            else:
                options = option_sets[raw_options]
        else:
            options = _options(raw_options, where, problems)
        codes = [option.code for option in options]
        if item_type == "true_false" and options and len(options) != 2:
            problems.add(where, f"a true_false item needs exactly 2 options, not {len(options)}.")
        clash = sorted(set(codes) & set(missing.all))
        if clash:
            problems.add(where, f"option code {clash[0]} is also a missing-value code; use another code.")
        key = _key(merged.get("key"), item_type, codes, where, problems)
        points = merged.get("points", 1)
        points_value = _number(points, where, "points", problems, positive=True) or 1.0
        note = merged.get("note")
        items.append(Item(item_id, dimension, item_type, text, options, key, points_value, note))
    return items


def _key(raw: Any, item_type: str, codes: list[int], where: str, problems: _Problems) -> frozenset[int]:
    if raw is None:
        problems.add(where, "key (the correct answer code) is missing.")
        return frozenset()
    values = raw if isinstance(raw, list) else [raw]
    key: set[int] = set()
    for value in values:
        code = _code(value, where, "key", problems)
        if code is None:
            continue
        if codes and code not in codes:
            problems.add(where, f"key {code} is not among the options ({', '.join(map(str, codes))}).")
        key.add(code)
    if item_type == "true_false" and len(key) > 1:
        problems.add(where, "a true_false item has exactly one correct code.")
    if not key and values:
        problems.add(where, "key holds no valid code.")
    return frozenset(key)


def _standard(raw: Any, dimensions: list[Dimension], problems: _Problems) -> Standard:
    if not isinstance(raw, Mapping):
        problems.add("standard", f"must be a mapping whose rule is one of {', '.join(RULES)}.")
        return Standard(rule="total_score_cut", cut_share=0.6)
    rule = str(raw.get("rule", "")).strip()
    if rule not in RULES:
        problems.add("standard", f"rule {rule!r} is unknown; use one of {', '.join(RULES)}.")
    inclusive = raw.get("inclusive", True)
    if not isinstance(inclusive, bool):
        problems.add("standard", "inclusive must be true (a score at the cut point passes) or false.")
        inclusive = True
    max_missing = raw.get("max_missing_share", _DEFAULT_MAX_MISSING_SHARE)
    if isinstance(max_missing, bool) or not isinstance(max_missing, (int, float)) or not 0 <= max_missing < 1:
        problems.add(
            "standard", f"max_missing_share must be a share from 0 up to (not including) 1, not {max_missing!r}."
        )
        max_missing = _DEFAULT_MAX_MISSING_SHARE
    notes = tuple(str(n) for n in _as_list(raw.get("notes")))
    common = {"rule": rule, "inclusive": inclusive, "max_missing_share": float(max_missing), "notes": notes}
    dimension_ids = [d.id for d in dimensions]

    if rule == "all_dimensions_pass":
        thresholds = _thresholds(raw.get("thresholds"), dimension_ids, problems)
        return Standard(**common, thresholds=thresholds)
    if rule == "total_score_cut":
        cut = raw.get("cut_share")
        if isinstance(cut, bool) or not isinstance(cut, (int, float)) or not 0 < cut <= 1:
            problems.add("standard", f"cut_share must be a share above 0 and at most 1 (e.g. 0.6), not {cut!r}.")
            cut = 0.6
        return Standard(**common, cut_share=float(cut))
    if rule == "weighted_grades":
        scale = raw.get("scale", 100)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            problems.add("standard", f"scale must be a positive number, not {scale!r}.")
            scale = 100
        missing_weights = [d.id for d in dimensions if d.weight is None]
        if missing_weights:
            problems.add(
                "standard",
                f"weighted_grades needs a weight on every dimension; missing on {', '.join(missing_weights)}.",
            )
        else:
            total = sum(d.weight for d in dimensions if d.weight is not None)
            if abs(total - scale) > 1e-9 * max(1.0, scale):
                weights = ", ".join(f"{d.id} {d.weight:g}" for d in dimensions)
                problems.add(
                    "standard", f"dimension weights sum to {total:g} ({weights}) but the declared scale is {scale:g}."
                )
        grades, literate = _grades(raw.get("grades"), raw.get("literate_grades"), scale, problems)
        return Standard(**common, scale=float(scale), grades=grades, literate_grades=literate)
    return Standard(**common)


def _thresholds(raw: Any, dimension_ids: list[str], problems: _Problems) -> dict[str, Threshold]:
    if not isinstance(raw, Mapping):
        problems.add(
            "standard", "all_dimensions_pass needs thresholds: {dimension: {min_share: 0.6}} for every dimension."
        )
        return {}
    thresholds: dict[str, Threshold] = {}
    for dim_id, spec in raw.items():
        where = f"standard threshold {dim_id}"
        if dim_id not in dimension_ids:
            problems.add(where, f"dimension {dim_id!r} is not declared (known: {', '.join(dimension_ids)}).")
            continue
        if not isinstance(spec, Mapping) or ("min_share" in spec) == ("min_points" in spec):
            problems.add(where, "give exactly one of min_share (a share of the dimension's points) or min_points.")
            continue
        note = spec.get("note")
        if "min_share" in spec:
            share = spec["min_share"]
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
                problems.add(where, f"min_share must be above 0 and at most 1, not {share!r}.")
                continue
            thresholds[dim_id] = Threshold(min_share=float(share), note=note)
        else:
            points = _number(spec["min_points"], where, "min_points", problems, positive=True)
            if points is not None:
                thresholds[dim_id] = Threshold(min_points=points, note=note)
    absent = [d for d in dimension_ids if d not in raw]
    if absent:
        problems.add(
            "standard", f"all_dimensions_pass needs a threshold for every dimension; missing for {', '.join(absent)}."
        )
    return thresholds


def _grades(raw: Any, literate_raw: Any, scale: float, problems: _Problems) -> tuple[tuple[Grade, ...], frozenset[str]]:
    if not isinstance(raw, list) or len(raw) < 2:
        problems.add(
            "standard", "weighted_grades needs a list of at least two grades, highest first, each {id, label, min}."
        )
        return (LITERATE, NOT_LITERATE), frozenset({"literate"})
    grades: list[Grade] = []
    previous: float | None = None
    for position, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            problems.add("standard", f"grade {entry!r} must be a mapping with id, label and min.")
            continue
        grade_id = _identifier(entry.get("id"), "standard grade", "id", problems)
        where = f"standard grade {grade_id}"
        label = _text(entry.get("label"), where, "label", problems)
        is_last = position == len(raw) - 1
        minimum = entry.get("min")
        if is_last:
            if minimum is not None:
                problems.add(where, "the lowest grade takes every score below the others; remove its min.")
            grades.append(Grade(grade_id, label, None))
            continue
        value = _number(minimum, where, "min", problems)
        if value is None:
            continue
        if not 0 <= value <= scale:
            problems.add(where, f"min {value:g} lies outside the 0 to {scale:g} scale.")
        if previous is not None and value >= previous:
            problems.add(
                where, f"min {value:g} must be below the grade above it ({previous:g}); list grades highest first."
            )
        previous = value
        grades.append(Grade(grade_id, label, value))
    ids = [g.id for g in grades]
    if len(ids) != len(set(ids)):
        problems.add("standard", "grade ids must be unique.")
    literate = frozenset(str(g) for g in _as_list(literate_raw))
    if not literate:
        problems.add("standard", "literate_grades must list the grades that count as scientifically literate.")
    unknown = sorted(literate - set(ids))
    if unknown:
        problems.add("standard", f"literate_grades names unknown grade(s) {', '.join(unknown)}.")
    return tuple(grades), literate


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def describe(instrument: Instrument, lang: str = "en") -> Iterable[str]:
    """Lines a person reads: the instrument, its standard and every item."""
    std = instrument.standard
    yield f"{instrument.id} {instrument.version}: {instrument.title.get(lang)}"
    if instrument.description:
        yield f"  {instrument.description.get(lang)}"
    pop = instrument.population
    yield f"  population: ages {pop.min_age}-{pop.max_age}"
    miss = instrument.missing
    yield f"  missing codes: don't know {miss.dont_know}, refused {miss.refused}, not asked {miss.not_asked}"
    yield (
        f"  standard: {std.rule} (boundary {'inclusive' if std.inclusive else 'exclusive'}; "
        f"unscorable above {std.max_missing_share:.0%} missing)"
    )
    if std.rule == "total_score_cut":
        yield f"    literate at {std.cut_share:.0%} or more of {instrument.max_points:g} points"
    if std.rule == "all_dimensions_pass":
        for dim_id, threshold in std.thresholds.items():
            need = threshold.points_needed(instrument.dimension_max(dim_id))
            line = f"    {dim_id}: at least {need:g} of {instrument.dimension_max(dim_id):g} points"
            yield line + (f"  [{threshold.note}]" if threshold.note else "")
    if std.rule == "weighted_grades":
        for grade in std.grades:
            mark = "*" if grade.id in std.literate_grades else " "
            floor = f">= {grade.min_score:g}" if grade.min_score is not None else "below"
            yield f"   {mark}{grade.id}: {grade.label.get(lang)} ({floor})"
    for note in std.notes:
        yield f"    note: {note}"
    for dimension in instrument.dimensions:
        weight = f", weight {dimension.weight:g}" if dimension.weight is not None else ""
        count = len(instrument.dimension_items(dimension.id))
        yield f"  [{dimension.id}] {dimension.label.get(lang)} ({count} items{weight})"
        for item in instrument.dimension_items(dimension.id):
            yield f"    {item.id} ({item.type}, {item.points:g} pt): {item.text.get(lang)}"
            options = "; ".join(
                f"{o.code}{'*' if o.code in item.key else ''}={o.label.get(lang)}" for o in item.options
            )
            yield f"      {options}"


# --------------------------------------------------------------------------
# What every instrument shares: labels of the missing codes, the respondent block
# --------------------------------------------------------------------------

# How the non-answers are worded on forms and in exports (问卷星, Kobo labels).
MISSING_LABELS = {
    "dont_know": Text("不知道", "Don't know"),
    "refused": Text("拒绝回答", "Refused"),
    "not_asked": Text("未询问", "Not asked"),
}


@dataclass(frozen=True)
class Choice:
    name: str
    code: int
    label: Text


@dataclass(frozen=True)
class RespondentField:
    """One question of the respondent block (city, sex, age, ...)."""

    id: str
    type: str  # text, integer, select_one
    label: Text
    options: tuple[Choice, ...] = ()
    aliases: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None


def respondent_block() -> tuple[RespondentField, ...]:
    """The respondent questions (``questionnaires/blocks/respondent.yaml``)."""
    return _respondent_block(shipped_dir() / "blocks" / "respondent.yaml")


_BLOCK_CACHE: dict[Path, tuple[RespondentField, ...]] = {}


def _respondent_block(path: Path) -> tuple[RespondentField, ...]:
    if path not in _BLOCK_CACHE:
        raw = read_yaml(path, kind="respondent block")
        fields = []
        for entry in raw["fields"]:
            options = tuple(
                Choice(str(o["name"]), int(o["code"]), Text(**o["label"])) for o in entry.get("options", ())
            )
            fields.append(
                RespondentField(
                    id=entry["id"],
                    type=entry["type"],
                    label=Text(**entry["label"]),
                    options=options,
                    aliases=tuple(str(a) for a in entry.get("aliases", ())),
                    min=entry.get("min"),
                    max=entry.get("max"),
                )
            )
        _BLOCK_CACHE[path] = tuple(fields)
    return _BLOCK_CACHE[path]
