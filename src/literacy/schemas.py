"""The shape of the three kinds of file people write by hand: instruments,
plans and ``literacy run`` configurations, as one typed definition.

Why: a misspelt key (``weighting: {metod: rake}``) used to be ignored and the
default silently used. Here every level of every file lists the keys it has
(pydantic models with ``extra="forbid"``), so a typo at any depth is an error
naming its path and the nearest valid key. The same models generate the JSON
Schemas shipped in ``literacy/reference/schemas/`` (``make schemas``), so
editors complete and check the files against exactly what the loaders accept.

The models describe keys and shapes: which keys exist, mappings vs lists,
text vs numbers. Whether a required key is present and whether a value is one
of the allowed words are stated in the models too (for the schemas), but for
instruments and plans the hand-written parsers in ``instrument.py`` and
``plans.py`` word those problems (naming the item or target) and do every
check that needs more than one value (keys among the options, weights
summing to the scale); :func:`structure_problems` leaves them to the parsers.
A run configuration has no other parser, so :func:`check_run_config` reports
everything.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from literacy.errors import LiteracyError

# The allowed words, as the modules that use them spell them (tests/test_schemas.py
# checks each list against its source, which cannot be imported here: they import this module
# or pull in pandas).
ItemType = Literal["true_false", "single_choice", "multiple_choice", "coded_open"]
Rule = Literal["all_dimensions_pass", "total_score_cut", "weighted_grades"]
Level = Literal["national", "province", "city", "county"]
Comparator = Literal["more_than", "at_least", "strive_for"]
Basis = Literal["cumulative", "per_year", "per_year_level", "level"]
Platform = Literal["auto", "generic", "kobo", "odk", "wjx", "spss"]
FileFormat = Literal["csv", "excel", "parquet", "sas", "spss", "stata", "tsv", "xport"]
Action = Literal["reject", "flag", "ignore"]
TableFormat = Literal["csv", "parquet"]
WeightMethod = Literal["poststratify", "rake", "linear", "raking-bounded"]
LonelyPsu = Literal["fail", "remove", "certainty", "adjust", "average"]
ReplicateMethod = Literal["jk1", "jkn", "brr", "fay", "bootstrap"]
CiMethod = Literal["logit", "wald", "korn-graubard", "wilson"]
ReportFormat = Literal["html", "xlsx", "md", "json", "docx", "pdf"]
# What a run writes when its configuration names no formats (PDF needs Chromium or LibreOffice, so it is asked for).
DEFAULT_REPORT_FORMATS = ("html", "docx", "xlsx", "md", "json")
SaeMethod = Literal["reml", "ml", "fh"]
SaeTransformation = Literal["none", "arcsin"]
SaeZeroVariance = Literal["gvf", "out_of_sample"]
Lang = Literal["zh", "en"]
PreviousUnit = Literal["proportion", "percent"]

SCHEMA_DIR = Path(__file__).resolve().parent / "reference" / "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _Strict(BaseModel):
    """Unknown keys are errors and values are taken as written (no "1" for 1),
    as the hand parsers take them."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """A key that may be left out but, when given, may not be empty (null):
    the parsers read such keys only when present and then need a value."""
    return Field(default=None, json_schema_extra=_no_default)


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "<mapping>"
    if isinstance(value, list | tuple):
        return "<list>"
    return "<scalar>"


def _one_of(*, scalar: Any = None, mapping: Any = None, many: Any = None) -> Any:
    """A value written in one of several shapes (``plans: wuhai`` or
    ``plans: [wuhai, xuzhou]``), chosen by the shape given, so that a wrong
    value is one problem about that shape rather than one per alternative."""
    branches = [
        Annotated[branch, Tag(tag)]
        for tag, branch in (("<scalar>", scalar), ("<mapping>", mapping), ("<list>", many))
        if branch is not None
    ]
    return Annotated[Union[tuple(branches)], Discriminator(_kind)]  # noqa: UP007 (a runtime-built union)


Scalar = str | int | float
"""Where a parser reads a value with ``str()``, a number is as good as text."""


def _pair(kind: Any) -> Any:
    return Annotated[list[kind], Field(min_length=2, max_length=2)]


# --------------------------------------------------------------------------
# Instruments (questionnaires/*.yaml)
# --------------------------------------------------------------------------


class Text(_Strict):
    """Bilingual text: both languages are required."""

    zh: Scalar
    en: Scalar


class Option(_Strict):
    """An answer option: its code in the data and its label."""

    code: int
    label: Text


class Population(_Strict):
    """Who the instrument is for (respondents outside are rejected)."""

    min_age: int = 18
    max_age: int = 69
    description: Text = _optional()


class MissingCodes(_Strict):
    """Codes that are not answers: don't know and refused score as wrong,
    not asked counts as missing."""

    dont_know: int = _optional()
    refused: int = _optional()
    not_asked: int = _optional()


class ItemDefaults(_Strict):
    """Fields every item inherits unless it sets them."""

    dimension: Scalar = _optional()
    type: ItemType = _optional()
    text: Text = _optional()
    options: _one_of(scalar=str, many=list[Option]) = Field(
        default=None,
        description="A list of options, or the name of an option set.",
        json_schema_extra=_no_default,
    )
    key: _one_of(scalar=int, many=list[int]) = Field(
        default=None,
        description="The correct code, or a list of codes (multiple_choice).",
        json_schema_extra=_no_default,
    )
    points: float = 1
    note: Scalar | None = None


class Item(ItemDefaults):
    """One question: id, dimension, type, text, options and key (any of them
    but the id may come from ``item_defaults``)."""

    id: Scalar


class Dimension(_Strict):
    """A part of the instrument (knowledge, method, ...); the weight is
    needed by ``weighted_grades``."""

    id: Scalar
    label: Text
    weight: float = _optional()


class Threshold(_Strict):
    """A dimension's pass mark: exactly one of min_share or min_points."""

    min_share: float = _optional()
    min_points: float = _optional()
    note: Scalar | None = None


class Grade(_Strict):
    """A grade of ``weighted_grades``, highest first; the lowest has no min."""

    id: Scalar
    label: Text
    min: float | None = None


class Standard(_Strict):
    """The classification rule and its parameters."""

    rule: Rule
    inclusive: bool = True
    max_missing_share: float = 0.2
    notes: _one_of(scalar=Scalar, many=list[Scalar]) | None = None
    thresholds: dict[str, Threshold] = _optional()
    cut_share: float = _optional()
    scale: float = 100
    grades: list[Grade] = _optional()
    literate_grades: _one_of(scalar=Scalar, many=list[Scalar]) = _optional()


class InstrumentFile(_Strict):
    """An instrument (questionnaire) file: ``questionnaires/*.yaml`` or your own."""

    model_config = ConfigDict(title="literacy instrument")

    id: Scalar
    version: Scalar
    title: Text
    description: Text = _optional()
    source: Scalar | None = None
    population: Population = _optional()
    missing_codes: MissingCodes = _optional()
    option_sets: dict[str, list[Option]] = _optional()
    dimensions: list[Dimension]
    item_defaults: ItemDefaults = _optional()
    items: list[Item]
    standard: Standard


# --------------------------------------------------------------------------
# Plans (literacy/reference/plans/*.yaml)
# --------------------------------------------------------------------------


class Jurisdiction(_Strict):
    """Whose plan it is; ``code`` is the value in the data's ``city`` column."""

    code: Scalar
    name: Text
    level: Level
    parent: Scalar | None = None


class Document(_Strict):
    """The plan document as published."""

    issuer: Text
    title: Text
    number: Scalar
    number_source: Scalar | None = None
    date: dt.date | Scalar
    seed: Scalar | None = None
    address: Scalar | None = None


class Baseline(_Strict):
    """A published literacy rate (percent) and where it comes from."""

    year: int
    value: float
    source: Scalar


class Target(_Strict):
    """A literacy-rate target (percent) with its comparator as worded."""

    year: int
    value: float
    comparator: Comparator
    wording: Scalar = _optional()
    source: Scalar


class DistrictTarget(_Strict):
    """A literacy-rate target (percent) a plan sets for one of its districts;
    ``district`` is the code in the data's district column."""

    district: Scalar
    name: Text = _optional()
    year: int
    value: float
    comparator: Comparator
    wording: Scalar = _optional()
    source: Scalar


class CountedTarget(_Strict):
    """A counted target (bases built, people trained, ...)."""

    id: Scalar
    label: Text
    value: float
    comparator: Comparator = "at_least"
    unit: Text
    period: _pair(int) | None = None
    basis: Basis
    condition: Text | None = None
    value_if_condition: float | None = None
    source: Scalar


class PlanFile(_Strict):
    """A plan file: ``literacy/reference/plans/*.yaml`` or your own."""

    model_config = ConfigDict(title="literacy plan")

    id: Scalar
    jurisdiction: Jurisdiction
    document: Document
    period: _pair(int) = Field(description="[first year, last year]")
    baselines: list[Baseline] | None = None
    targets: list[Target] | None = None
    district_targets: list[DistrictTarget] | None = None
    counted_targets: list[CountedTarget] | None = None
    notes: list[Scalar] | None = None


# --------------------------------------------------------------------------
# Run configurations (literacy run CONFIG.yaml)
# --------------------------------------------------------------------------


class InputFile(_Strict):
    """A survey export to read (paths are relative to the configuration)."""

    path: str
    platform: Platform = "auto"
    encoding: str | None = None
    format: FileFormat | None = None
    sheet: str | int | None = None
    mapping: str | None = None


_Input = _one_of(scalar=str, mapping=InputFile)


class Actions(_Strict):
    """What happens to a row that fails a check."""

    invalid_value: Action = "reject"
    duplicate_id: Action = "reject"
    age_missing: Action = "reject"
    age_not_a_number: Action = "reject"
    outside_population: Action = "reject"
    incomplete: Action = "reject"
    speeder: Action = "flag"
    straight_line: Action = "flag"


class Validation(_Strict):
    """Any setting of ``literacy.validate.Rules``, and ``on: {check: action}``."""

    on: Actions | None = None
    actions: Actions = _optional()
    id_column: str = "respondent_id"
    age_column: str = "age"
    min_age: int | None = None
    max_age: int | None = None
    duration_column: str = "duration_seconds"
    speeder_share: float = 0.3
    straight_line_min_items: int = 10
    max_missing_share: float | None = None


class Weighting(_Strict):
    """Calibration to the margins."""

    method: WeightMethod = "rake"
    by: str | None = None
    base_weight: str = "base_weight"
    bounds: _pair(float) | None = None
    trim: Annotated[list[str | float], Field(min_length=2, max_length=2)] | None = Field(
        default=None, description="[median, K] or [quantile, Q]"
    )


class DesignSettings(_Strict):
    """The sample design; replicates replace Taylor linearisation."""

    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    lonely_psu: LonelyPsu = "adjust"
    replicates: ReplicateMethod | None = None
    replicate_count: int = 200
    seed: int | None = 1
    fay_rho: float = 0.3


class EstimateSettings(_Strict):
    """Intervals and the groups estimated within each domain."""

    ci: CiMethod = "logit"
    level: float = 0.95
    groups: list[str] = Field(default=["sex", "age_band", "urban_rural", "education"])


class Assessment(_Strict):
    """Which plans' targets to compare with, for which year and domain column."""

    plans: _one_of(scalar=str, many=list[str]) | None = None
    year: int = _optional()
    domain: str = "city"


class SmallAreaSettings(_Strict):
    """District estimates: Fay-Herriot EBLUPs (``literacy.sae``) from the
    direct estimates and design variances by area, with covariates from a
    census table; pooled over the cities with city indicators."""

    area: str = Field(description="The area column of the data (district); areas are taken within the domain.")
    covariates: str = Field(description="A census table (CSV, ...) with one row per area: the domain and area "
                            "columns, the population and the covariates.")  # fmt: skip
    columns: list[str] | None = Field(
        default=None, description="The covariates to use (default: every numeric column but the population)."
    )
    population: str = Field(default="population", description="The census table's population column.")
    method: SaeMethod = "reml"
    transformation: SaeTransformation = "none"
    level: float = _optional()
    bootstrap: int = 200
    seed: int | None = 1
    zero_variance: SaeZeroVariance = "gvf"
    benchmark: bool = Field(
        default=False, description="Scale each city's district EBLUPs to the city's direct estimate."
    )


class ReportSettings(_Strict):
    """Which reports to write, in which language."""

    formats: _one_of(scalar=ReportFormat, many=list[ReportFormat]) | None = Field(
        default=list(DEFAULT_REPORT_FORMATS)
    )
    lang: Lang = "zh"


class PreviousWave(_Strict):
    """The previous survey, to report the change since it: its published (or
    earlier) figures, or its microdata estimated as this survey is. The rest
    of a microdata wave's settings (validation, weighting, design) default to
    this survey's; its margins are its own."""

    estimates: str = Field(default=None, description="A table of published or earlier figures: the domain "
                           "column (city), estimate and, where published, se (a blank se is taken as fixed).",
                           json_schema_extra=_no_default)  # fmt: skip
    unit: PreviousUnit = Field(default="proportion", description="Whether the figures' estimate and se are "
                               "proportions (0.1056) or percent (10.56); percent with every estimate below 1 is "
                               "refused.")  # fmt: skip
    standard: str = Field(default=None, description="The standard the figures were scored under: a shipped "
                          "instrument id such as crisp-classic or cast-2024, or an instrument file; a different one "
                          "is not like for like.", json_schema_extra=_no_default)  # fmt: skip
    year: int = Field(default=None, description="The year of the previous survey, before assessment.year.",
                      json_schema_extra=_no_default)  # fmt: skip
    inputs: _one_of(scalar=str, mapping=InputFile, many=Annotated[list[_Input], Field(min_length=1)]) = _optional()
    instrument: str = Field(default=None, description="The earlier wave's instrument (default: this survey's).",
                            json_schema_extra=_no_default)  # fmt: skip
    validation: Validation = _optional()
    margins: str | None = Field(default=None, description="The earlier wave's census margins (null: its base "
                                "weights as they are).")  # fmt: skip
    weighting: Weighting = _optional()
    design: DesignSettings = _optional()


class OutputSettings(_Strict):
    """Where a run writes, and in which format its tables (clean, rejects,
    scored, weighted, estimates, ...) are written."""

    folder: Scalar = Field(default="results", description="The output folder (relative to the configuration).")
    tables: TableFormat = Field(
        default="csv",
        description="csv: UTF-8 with BOM and a .meta.json sidecar beside each table; parquet: the same metadata "
        "in each file's schema (literacy.read reads it back), several times faster on a big survey.",
    )


class RunConfig(_Strict):
    """A ``literacy run`` configuration (paths are relative to it)."""

    model_config = ConfigDict(title="literacy run configuration")

    instrument: str
    inputs: _one_of(scalar=str, mapping=InputFile, many=Annotated[list[_Input], Field(min_length=1)])
    validation: Validation | None = None
    margins: str | None = None
    weighting: Weighting | None = None
    design: DesignSettings | None = None
    estimate: EstimateSettings | None = None
    assessment: Assessment
    disparities: dict[str, _pair(Scalar | bool)] | None = Field(
        default=None, description="{column: [group, reference group]}"
    )
    actuals: str | None = None
    small_area: SmallAreaSettings | None = None
    report: ReportSettings | None = None
    output: _one_of(scalar=Scalar, mapping=OutputSettings) = Field(
        default="results", description="The output folder, or {folder: results, tables: csv|parquet}."
    )
    previous: PreviousWave | None = None


SCHEMAS: dict[str, type[BaseModel]] = {
    "instrument": InstrumentFile,
    "plan": PlanFile,
    "run-config": RunConfig,
}
"""The shipped schema files, ``<name>.schema.json``, and their models."""


# --------------------------------------------------------------------------
# Pydantic's errors as the toolkit's sentences
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One structural problem: where (``weighting.metod``) and the sentence
    (which starts with where). ``unknown_key`` problems leave the file
    readable, so the loaders go on to the semantic checks."""

    path: str
    sentence: str
    unknown_key: bool


_NOUNS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date",
}
_TAG_NOUNS = {"<scalar>": "a single value", "<mapping>": "a mapping", "<list>": "a list"}
# Left to the instrument and plan parsers, which say them naming the item or target.
_PARSER_WORDED = frozenset({"missing", "literal_error"})


def structure_problems(model: type[BaseModel], raw: Any, *, parser_checks_values: bool = False) -> list[Problem]:
    """Every structural problem of ``raw`` against ``model``, one sentence
    each. With ``parser_checks_values`` (instruments, plans), missing keys
    and words outside their list are left to the hand parser."""
    try:
        model.model_validate(raw)
    except ValidationError as error:
        errors = error.errors(include_url=False)
    else:
        return []
    problems: list[Problem] = []
    expected: dict[str, list[str]] = {}
    shown: dict[str, str] = {}
    for entry in errors:
        kind = entry["type"]
        if parser_checks_values and kind in _PARSER_WORDED:
            continue
        parts = _raw_path(entry["loc"], raw, keep_last=kind == "missing")
        path = _render(parts)
        if kind == "extra_forbidden":
            problems.append(Problem(path, _unknown_key(model, raw, parts), True))
        elif kind == "missing":
            problems.append(Problem(path, f"{path} is required.", False))
        elif kind == "literal_error":
            allowed = entry.get("ctx", {}).get("expected", "")
            sentence = f"{path} is {_show(entry['input'])}; use {allowed}."
            problems.append(Problem(path, sentence, False))
        elif kind in ("too_short", "too_long"):
            ctx = entry.get("ctx", {})
            need = f"at least {ctx.get('min_length')}" if kind == "too_short" else f"at most {ctx.get('max_length')}"
            sentence = f"{path} must hold {need} entries, not {ctx.get('actual_length')}."
            problems.append(Problem(path, sentence, False))
        elif kind in _NOUNS or kind == "union_tag_invalid":
            if path not in expected:
                expected[path] = []
                shown[path] = _show(entry["input"])
                problems.append(Problem(path, "", False))  # worded below, once per path
            if kind == "union_tag_invalid":
                tags = [t.strip(" '") for t in str(entry.get("ctx", {}).get("expected_tags", "")).split(",")]
                nouns = [_TAG_NOUNS.get(tag, tag) for tag in tags]
            else:
                nouns = [_NOUNS[kind]]
            expected[path] += [noun for noun in nouns if noun not in expected[path]]
        else:
            message = str(entry["msg"])
            if message.startswith("Input should be"):
                message = f"{path or 'the file'} should be" + message[len("Input should be") :]
            else:
                message = f"{path or 'the file'}: {message[:1].lower()}{message[1:]}"
            problems.append(Problem(path, f"{message.rstrip('.')}, not {_show(entry['input'])}.", False))
    return [
        p
        if p.sentence
        else Problem(
            p.path, f"{p.path or 'the file'} must be {' or '.join(expected[p.path])}, not {shown[p.path]}.", False
        )
        for p in problems
    ]


def _raw_path(loc: tuple[Any, ...], raw: Any, *, keep_last: bool) -> list[str | int]:
    """The location in the file: pydantic's loc without its union tags,
    found by following the loc through the data."""
    node, parts = raw, []
    for position, segment in enumerate(loc):
        in_mapping = isinstance(node, Mapping) and not isinstance(segment, bool) and segment in node
        in_list = isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)
        if in_mapping or in_list:
            parts.append(segment)
            node = node[segment]
        elif keep_last and position == len(loc) - 1:
            parts.append(segment)
    return parts


def _render(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _show(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _unknown_key(model: type[BaseModel], raw: Any, parts: list[str | int]) -> str:
    path = _render(parts)
    parent = _model_at(model, raw, parts[:-1])
    known = list(parent.model_fields) if parent is not None else []
    close = difflib.get_close_matches(str(parts[-1]), known, n=1)
    if close:
        return f"{path} is not a known key; did you mean {_render([*parts[:-1], close[0]])}?"
    where = f" under {_render(parts[:-1])}" if parts[:-1] else ""
    return f"{path} is not a known key; the keys{where} are {', '.join(known)}."


def _model_at(model: type[BaseModel], raw: Any, parts: list[str | int]) -> type[BaseModel] | None:
    found = _branch(_type_at(model, raw, parts), _follow(raw, parts))
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def _follow(raw: Any, parts: list[str | int]) -> Any:
    node = raw
    for part in parts:
        node = node[part]
    return node


def _type_at(model: type[BaseModel], raw: Any, parts: list[str | int]) -> Any:
    """The declared type at ``parts``, choosing among alternatives by the
    shape of the value written there."""
    annotation: Any = model
    node = raw
    for part in parts:
        annotation = _branch(annotation, node)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) in (list, tuple):
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
        node = node[part]
    return annotation


def _branch(annotation: Any, value: Any) -> Any:
    """Unwrap ``Annotated`` and pick the alternative of a union that fits the
    shape of ``value`` (a mapping, a list or a single value)."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            inner = get_args(annotation)[0]
            if get_origin(inner) in (list, tuple, dict) or _is_union(inner):
                annotation = inner
                continue
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
            return annotation  # keep the metadata (e.g. the length of a pair)
        if _is_union(annotation):
            shape = _kind(value)
            for option in get_args(annotation):
                if option is type(None):
                    continue
                base = _strip(option)
                base_origin = get_origin(base)
                fits = (
                    (shape == "<mapping>" and (base_origin is dict or _is_model(base)))
                    or (shape == "<list>" and base_origin in (list, tuple))
                    or (shape == "<scalar>" and base_origin not in (list, tuple, dict) and not _is_model(base))
                )
                if fits:
                    annotation = option
                    break
            else:
                return None
            continue
        return annotation


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if _is_union(annotation):
        options = [o for o in get_args(annotation) if o is not type(None)]
        if len(options) == 1:
            return _strip(options[0])
    return annotation


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


# --------------------------------------------------------------------------
# Run configurations: the check pipeline.load_config calls
# --------------------------------------------------------------------------


def check_run_config(raw: Mapping[str, Any], *, source: str) -> None:
    """Check a ``literacy run`` configuration as a whole before anything runs:
    every unknown key (with the nearest valid one), missing required setting,
    wrong shape or unknown word, one sentence each, raised together."""
    if not isinstance(raw, Mapping):
        raise LiteracyError(f"{source} must be a YAML mapping (instrument:, inputs:, assessment:, ...).")
    problems = structure_problems(RunConfig, dict(raw))
    if problems:
        count = len(problems)
        raise LiteracyError(
            f"{source} is not a valid run configuration ({count} problem{'s' if count != 1 else ''}):",
            details=[f"{source}: {problem.sentence}" for problem in problems],
        )


# --------------------------------------------------------------------------
# The JSON Schema files
# --------------------------------------------------------------------------


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one file kind, from its model."""
    return {"$schema": JSON_SCHEMA_DIALECT, **SCHEMAS[name].model_json_schema()}


def schema_texts() -> dict[str, str]:
    """File name -> text of every shipped schema, exactly as written to disk
    (the tests compare the committed files with this)."""
    return {
        f"{name}.schema.json": json.dumps(json_schema(name), ensure_ascii=False, indent=2) + "\n" for name in SCHEMAS
    }


def write_schemas(folder: str | Path = SCHEMA_DIR) -> list[Path]:
    """Write the schema files into ``folder`` (``make schemas``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_texts().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
