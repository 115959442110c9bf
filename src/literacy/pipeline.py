"""``literacy run CONFIG.yaml``: validate -> score -> weight -> estimate -> gap
-> report in one go, every intermediate file and a manifest written to the
output folder, stopping at the first failing step with its message.

The configuration (paths are relative to the configuration file)::

    instrument: cast-2024
    inputs:
      - {path: responses.sav, platform: auto}     # encoding, mapping, sheet also accepted
    validation: {on: {speeder: flag}}              # CHECK: reject|flag|ignore, speeder_share, ...
    margins: margins.csv
    weighting: {method: rake, by: city, base_weight: base_weight}
    design: {strata: district, psu: community}     # fpc, lonely_psu, replicates: jkn|bootstrap|..., seed
    estimate: {ci: logit, level: 0.95, groups: [sex, age_band, urban_rural, education]}
    assessment: {plans: [wuhai-2021-2025], year: 2025, domain: city}
    disparities: {urban_rural: [urban, rural], sex: [male, female]}
    actuals: null                                  # a table of counted-target actuals
    small_area: {area: district, covariates: districts.csv, population: population, method: reml,
                 transformation: none, benchmark: true}   # district EBLUPs (optional)
    report: {formats: [html, docx, xlsx, md, json], lang: zh}   # add pdf for a PDF (needs Chromium or LibreOffice)
    output: results                                # or {folder: results, tables: parquet} (tables: csv|parquet)
    previous: {estimates: previous.csv, year: 2020, standard: crisp-classic, unit: percent}
    # or the earlier wave's microdata, estimated as this survey is (README "Change since the previous survey"):
    # previous: {inputs: [wave-2020.sav], instrument: cast-2024, margins: margins-2020.csv, year: 2020}
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from literacy.assessment import change, counted_progress_of_plans, disparities, district_gaps, gap, known_standard
from literacy.datafiles import read_yaml
from literacy.design import Design
from literacy.districts import district_estimates
from literacy.errors import LiteracyError
from literacy.estimation import estimate
from literacy.groups import add_groups
from literacy.instrument import load_instrument
from literacy.io import read, write_json, write_table
from literacy.plans import load_plan
from literacy.report import ReportData, report
from literacy.report.data import methods_section
from literacy.runfolder import LOCK_NAME, MANIFEST_NAME, MARKER_NAME, RunFolder, refuse_outputs_over_inputs
from literacy.schemas import DEFAULT_REPORT_FORMATS, check_run_config
from literacy.scoring import score
from literacy.validate import Rules, Validation, validate
from literacy.weighting import margins_from_frame, weight

DEFAULT_GROUPS = ["sex", "age_band", "urban_rural", "education"]
DEFAULT_DISPARITIES = {
    "urban_rural": ["urban", "rural"],
    "sex": ["male", "female"],
    "age_band": ["18-29", "60-69"],
    "group_youth": [1, 0],
    "group_farmer": [1, 0],
    "group_industrial_worker": [1, 0],
    "group_elderly": [1, 0],
    "group_cadre_civil_servant": [1, 0],
}
_DEPENDENCIES = ("pandas", "numpy", "scipy", "pyreadstat", "pyarrow", "matplotlib", "openpyxl", "python-calamine")


@dataclass
class RunResult:
    """What :func:`run` and :func:`demo` return: the output folder, every file
    written (name -> path), the row counts at each step (``input_rows``,
    ``clean_rows``, ``scored_rows`` ...) and the assessment table, so a
    pipeline can check a run without reading ``manifest.json``."""

    folder: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    assessment: pd.DataFrame = field(default_factory=pd.DataFrame)


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a run configuration and check it as a whole against its typed
    definition (:mod:`literacy.schemas`): a misspelt key at any depth is
    named with the nearest valid one, never ignored."""
    path = Path(path)
    config = read_yaml(path, kind="configuration file")
    check_run_config(config, source=str(path))
    _check_previous(config, str(path))
    return config


def run(config_path: str | Path, *, output: str | Path | None = None, force: bool = False) -> RunResult:
    """Run the whole job described by ``config_path``.

    The run owns its output folder: it holds a lock there (a second run into
    the same folder refuses), writes into a hidden staging folder and moves
    the files into place only when every step has succeeded, so the folder
    holds the previous complete result or this one, never a mixture. A failed
    or interrupted run leaves ``RUN-FAILED.txt`` saying what happened."""
    return _run(config_path, output=output, force=force)


def demo_config(folder: Path) -> Path:
    """Write the demo configuration for the shipped sample data into ``folder``."""
    data = sample_data_dir()
    config = {
        "instrument": "cast-2024",
        "inputs": [{"path": str(data / "responses-spss.sav"), "platform": "spss"}],
        "margins": str(data / "margins.csv"),
        "weighting": {"method": "rake", "by": "city", "base_weight": "base_weight"},
        "design": {"strata": "district", "psu": "community"},
        "estimate": {"ci": "logit", "level": 0.95, "groups": DEFAULT_GROUPS},
        "assessment": {
            "plans": ["wuhai-2021-2025", "xuzhou-2021-2035", "shenzhen-2022-2025"],
            "year": 2025,
            "domain": "city",
        },
        # District estimates: the five districts of each city, pooled (city indicators), benchmarked to the city.
        "small_area": {
            "area": "district",
            "covariates": str(data / "districts.csv"),
            "population": "population",
            "method": "reml",
            "transformation": "none",
            "benchmark": True,
        },
        "report": {"formats": list(DEFAULT_REPORT_FORMATS), "lang": "zh"},
        "output": ".",
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def demo(folder: str | Path, *, force: bool = False) -> RunResult:
    """The whole job on the shipped sample data; ``demo.yaml`` is written with
    the other outputs (and listed in the manifest) so the run can be repeated."""
    with tempfile.TemporaryDirectory() as scratch:
        config = demo_config(Path(scratch))
        return _run(config, output=folder, force=force, config_copy="demo.yaml")


_TABLES = ("clean", "rejects", "scored", "weighted", "estimates", "grades", "assessment", "disparities",
           "counted_targets", "small_area", "district_gaps", "change", "previous_estimates")  # fmt: skip
# Every name a run can write: checked against the inputs before anything is written.
OUTPUT_NAMES = frozenset(
    [f"{t}.csv" for t in _TABLES]
    + [f"{t}.csv.meta.json" for t in _TABLES]
    + [f"{t}.parquet" for t in _TABLES]
    + ["validation.json", "weighting.json", "small_area.json", MANIFEST_NAME, "demo.yaml", MARKER_NAME, LOCK_NAME]
    + [f"report.{kind}" for kind in ("html", "docx", "xlsx", "md", "json", "pdf")]
)


def _run(
    config_path: str | Path, *, output: str | Path | None, force: bool, config_copy: str | None = None
) -> RunResult:
    config_path = Path(config_path).resolve()
    config = load_config(config_path)
    base = config_path.parent
    folder = Path(output) if output else base / str(_output_settings(config)["folder"])
    inputs = _input_files(config_path, config, base)
    names = (OUTPUT_NAMES - {"demo.yaml"}) | ({config_copy} if config_copy else set())
    refuse_outputs_over_inputs(folder, inputs, names)
    label = f"literacy demo ({config_copy})" if config_copy else str(config_path)
    steps = _Steps()
    with RunFolder(folder, force=force, inputs=inputs, configuration=label, steps=steps) as target:
        # Hashed before the run reads them: the manifest records what was read.
        config_record = {"path": str(config_path), "sha256": _sha256(config_path), "settings": config}
        input_records = [_file_record(p) for p in _manifest_inputs(config, base)]
        result = _job(config, base, target.staging, steps)
        steps.current = "manifest"
        if config_copy:
            shutil.copyfile(config_path, target.staging / config_copy)
            config_record["path"] = str(folder.resolve() / config_copy)
        _manifest(config_record, input_records, target.staging, result)
        target.commit()
    result.folder = folder
    result.outputs = {name: folder / name for name in sorted(target.written)}
    return result


class _Steps:
    """Runs the steps: a user error is reported as ``Step `name` failed: ...``
    and the step running when anything goes wrong is named in the marker."""

    def __init__(self) -> None:
        self.current = "start"

    def __call__(self, name: str, action: Any, *args: Any) -> Any:
        self.current = name
        try:
            return action(*args)
        except LiteracyError as error:
            raise LiteracyError(
                f"Step `{name}` failed: {error}", details=list(getattr(error, "details", []) or [])
            ) from None


def _input_files(config_path: Path, config: dict[str, Any], base: Path) -> list[Path]:
    """Every file the run reads (a shipped id is not a file)."""
    values: list[Any] = [config.get("instrument"), config.get("margins"), config.get("actuals")]
    for entry in _inputs(config["inputs"]):
        values += [entry["path"], entry.get("mapping")]
    values += _as_list((config.get("assessment") or {}).get("plans"))
    values.append((config.get("small_area") or {}).get("covariates"))
    values += _previous_files(config)
    paths = [config_path]
    for value in values:
        if value is None:
            continue
        resolved = _resolve(value, base)
        if isinstance(resolved, Path):
            paths.append(resolved)
    return paths


def _job(config: dict[str, Any], base: Path, folder: Path, step: _Steps) -> RunResult:
    """The steps, with each table written in a background thread while the
    next step computes (writing a million-row table is seconds of encoding
    that releases the GIL; issue 15). Every write has finished, or failed
    with its file named, before the run goes on to its manifest."""
    from concurrent.futures import Future

    from literacy.threads import background

    parquet = _output_settings(config)["tables"] == "parquet"
    pending: list[tuple[str, Future[None]]] = []
    with background("literacy-write") as writer:

        def save(name: str, frame: pd.DataFrame) -> None:
            if parquet:  # output: {tables: parquet}: the metadata goes in the file's schema, not a sidecar
                name = name.removesuffix(".csv") + ".parquet"
            # A shallow copy: later steps may add columns to their frame, never to
            # this one, and copy-on-write keeps its values as they are now.
            handed = frame.copy(deep=False)
            pending.append((name, writer.submit(write_table, handed, folder / name, force=True)))

        # Failed or stopped by a signal: the writes not started are cancelled and
        # the running one gets a moment to finish before the staging folder goes.
        result = _steps(config, base, folder, step, save)
    for name, written in pending:
        step.current = f"write {name}"
        written.result()
    return result


def _steps(config: dict[str, Any], base: Path, folder: Path, step: _Steps, save: Any) -> RunResult:
    """validate -> score -> weight -> estimate -> gap -> report into ``folder`` (the staging folder)."""
    result = RunResult(folder)
    instrument = step("load instrument", lambda: load_instrument(_resolve(config["instrument"], base)))

    # validate, score, weight, design (the same steps an earlier wave under `previous:` goes through)
    wave = _wave(config, instrument, base, step)
    checks = wave.checks
    save("clean.csv", wave.clean)
    save("rejects.csv", wave.rejects)
    write_json(folder / "validation.json", wave.summaries, force=True)
    save("scored.csv", wave.scored)
    result.counts.update(wave.counts)
    if wave.weighting is not None:
        write_json(folder / "weighting.json", wave.weighting_record, force=True)
        save("weighted.csv", wave.data)
    scored, design, weighting_result = wave.data, wave.design, wave.weighting
    domain = (config.get("assessment") or {}).get("domain", "city")

    # estimate
    settings = config.get("estimate") or {}
    groups = [g for g in settings.get("groups", DEFAULT_GROUPS) if g in scored]
    ci, level = settings.get("ci", "logit"), float(settings.get("level", 0.95))
    by = [[domain]] + [[domain, g] for g in groups] if domain in scored else [[]] + [[g] for g in groups]
    estimates = step("estimate", lambda: estimate(design, "literate", by, ci=ci, level=level))
    save("estimates.csv", estimates)
    grades = step(
        "estimate grades", lambda: estimate(design, "grade", [domain] if domain in scored else None, ci=ci, level=level)
    )
    save("grades.csv", grades)

    # gap
    assessment_settings = config["assessment"]
    plans = [load_plan(_resolve(p, base)) for p in _as_list(assessment_settings.get("plans"))]
    year = int(assessment_settings.get("year", pd.Timestamp.today().year))
    lang = (config.get("report") or {}).get("lang", "zh")
    table = step("gap", lambda: gap(estimates, plans, year=year, domain=domain, lang=lang))
    save("assessment.csv", table)
    result.assessment = table
    wanted = config.get("disparities", DEFAULT_DISPARITIES) or {}
    # The distinct places as text (each distinct value once, not a million rows through Python).
    surveyed = set(pd.Series(scored[domain].unique()).astype(str)) if domain in scored else set()
    contrasts = step(
        "disparities",
        lambda: disparities(
            design,
            "literate",
            {k: tuple(v) for k, v in wanted.items()},
            domain=domain,
            domains=[p.code for p in plans if p.code in surveyed],
        ),
    )
    save("disparities.csv", contrasts)
    counted = pd.DataFrame()
    if config.get("actuals"):
        actuals = read(_resolve(config["actuals"], base))
        counted = counted_progress_of_plans(plans, actuals, year=year, lang=lang)
        save("counted_targets.csv", counted)

    # small areas (districts)
    districts = district_targets = None
    if config.get("small_area"):
        small = config["small_area"]
        census_path = _resolve(small["covariates"], base)
        census = step("read covariates", lambda: read(census_path))
        fitted = step(
            "small_area",
            lambda: district_estimates(
                design,
                census,
                area=small["area"],
                domain=domain,
                columns=small.get("columns"),
                population=small.get("population", "population"),
                method=small.get("method", "reml"),
                transformation=small.get("transformation", "none"),
                level=float(small.get("level", level)),
                bootstrap=int(small.get("bootstrap", 200)),
                seed=small.get("seed", 1),
                zero_variance=small.get("zero_variance", "gvf"),
                benchmark=bool(small.get("benchmark", False)),
                ci=ci,
                source=census_path.name if isinstance(census_path, Path) else str(census_path),
            ),
        )
        districts = fitted.table
        save("small_area.csv", districts)
        write_json(folder / "small_area.json", _plain_json(fitted.model), force=True)
        result.counts["small_areas"] = len(districts)
        district_targets = step(
            "district gaps",
            lambda: district_gaps(districts, plans, year=year, domain=domain, area=small["area"], lang=lang),
        )
        if not district_targets.empty:
            save("district_gaps.csv", district_targets)

    # change since the previous survey
    changed, earlier_wave = None, None
    if config.get("previous"):
        changed, earlier_wave = _change_since_previous(config, base, step, save, estimates, instrument,
                                                       domain=domain, year=year, ci=ci, level=level)  # fmt: skip
        save("change.csv", changed)
        result.counts["change_rows"] = len(changed)
        if earlier_wave is not None:  # its microdata: rows read, clean, rejected and scored, as this wave's
            result.counts.update({f"previous_{k}": v for k, v in earlier_wave["counts"].items()})

    # report
    # The same builder a Python user calls (README "Python API"): one way to make the report.
    data = ReportData.from_run(table, estimates, instrument=instrument, validation=checks, design=design,
                               weighting=weighting_result, grades=grades, disparities=contrasts, counted=counted,
                               plans=plans, small_area=districts, district_gaps=district_targets,
                               change=changed)  # fmt: skip
    if earlier_wave is not None:
        data.methods["previous"] = earlier_wave["methods"]
    for kind in _as_list((config.get("report") or {}).get("formats", DEFAULT_REPORT_FORMATS)):
        name = f"report.{kind}"
        step(
            f"report {kind}",
            lambda kind=kind, name=name: report(data, folder / name, report_format=kind, lang=lang, force=True),
        )
    return result


@dataclass
class _Wave:
    """One survey wave made ready to estimate: its validation, scored table
    (before weighting), the table its design holds, the design and weights."""

    checks: list[Validation]
    summaries: list[dict[str, Any]]
    clean: pd.DataFrame
    rejects: pd.DataFrame
    scored: pd.DataFrame
    data: pd.DataFrame
    design: Design
    weighting: Any = None
    weighting_record: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _wave(config: dict[str, Any], instrument: Any, base: Path, step: _Steps, label: str = "") -> _Wave:
    """validate -> score -> weight -> design for one wave: this survey, or the
    earlier one under ``previous:`` (``label`` names its steps), so that both
    are estimated the same way by the same functions."""
    frames, rejects, summaries = [], [], []
    checks: list[Validation] = []
    counts: dict[str, int] = {}
    for index, entry in enumerate(_inputs(config["inputs"]), start=1):
        path = _resolve(entry["path"], base)
        checked = step(f"{label}validate {path.name}", _validate_input, path, entry, instrument, config, base)
        frames.append(checked.clean.assign(source_file=path.name))
        rejects.append(checked.rejects.assign(source_file=path.name))
        summaries.append({"file": str(path), **checked.summary})
        checks.append(checked)
        counts[f"input_rows_{index}"] = checked.summary["input_rows"]
    clean = pd.concat(frames, ignore_index=True)
    clean.attrs = frames[0].attrs
    counts.update(
        input_rows=sum(s["input_rows"] for s in summaries),
        clean_rows=len(clean),
        rejected_rows=sum(s["rejected_rows"] for s in summaries),
    )

    # score
    scored = step(f"{label}score", lambda: add_groups(score(clean, instrument)))
    unscorable = int((~scored["scorable"]).sum())
    scored = scored.loc[scored["scorable"]].reset_index(drop=True)
    counts.update(scored_rows=len(scored), unscorable_rows=unscorable)

    # weight
    weighting = config.get("weighting") or {}
    data, weight_column, weighting_result, weighting_record = scored, None, None, {}
    if config.get("margins"):
        margins_path = _resolve(config["margins"], base)
        margins = step(
            f"{label}read margins",
            lambda: margins_from_frame(read(margins_path), by=weighting.get("by"), source=str(margins_path)),
        )
        base_weight = weighting.get("base_weight", "base_weight")
        start = scored if base_weight in scored else scored.assign(**{base_weight: 1.0})
        weighting_result = step(
            f"{label}weight",
            lambda: weight(
                start,
                margins,
                base_weight=base_weight,
                method=weighting.get("method", "rake"),
                bounds=tuple(weighting["bounds"]) if weighting.get("bounds") else None,
                trim=tuple(weighting["trim"]) if weighting.get("trim") else None,
            ),
        )
        data = weighting_result.data
        weight_column = "weight_final"
        weighting_record = {
            "record": weighting_result.record,
            "diagnostics": weighting_result.diagnostics.to_dict("records"),
        }
    elif weighting.get("base_weight"):
        weight_column = weighting["base_weight"]

    # design
    design_settings = config.get("design") or {}
    design = step(
        f"{label}design",
        lambda: Design(
            data,
            weight=weight_column,
            strata=design_settings.get("strata"),
            psu=design_settings.get("psu"),
            fpc=design_settings.get("fpc"),
            lonely_psu=design_settings.get("lonely_psu", "adjust"),
        ),
    )
    if design_settings.get("replicates"):
        # Replicate weights made from the design (R as.svrepdesign); with
        # calibrated weights every replicate is recalibrated to the margins.
        design = step(
            f"{label}replicates",
            lambda: design.with_replicates(
                design_settings["replicates"],
                replicates=int(design_settings.get("replicate_count", 200)),
                seed=design_settings.get("seed", 1),
                fay_rho=float(design_settings.get("fay_rho", 0.3)),
            ),
        )
    return _Wave(checks, summaries, clean, pd.concat(rejects, ignore_index=True), scored, data, design,
                 weighting_result, weighting_record, counts)  # fmt: skip


# The settings an earlier wave's microdata may have of its own; the rest (estimate: ci and level) is this survey's.
_WAVE_KEYS = ("inputs", "validation", "margins", "weighting", "design")


def _change_since_previous(
    config: dict[str, Any], base: Path, step: _Steps, save: Any, estimates: pd.DataFrame, instrument: Any, *,
    domain: str, year: int, ci: str, level: float,
) -> tuple[pd.DataFrame, dict[str, Any] | None]:  # fmt: skip
    """The change since the wave under ``previous:``: its published figures
    (``estimates: FILE``), or its microdata estimated as this survey is; with
    microdata also that wave's row counts and methods facts (sample, standard)."""
    previous = config["previous"]
    facts = None
    if previous.get("estimates"):
        path = _resolve(previous["estimates"], base)
        figures = step("read previous estimates", lambda: read(path))
        earlier: Any = _resolve(previous["standard"], base) if previous.get("standard") is not None else None
        unit = previous.get("unit", "proportion")
        if earlier is None and "standard" not in figures.columns:
            raise LiteracyError(
                "Step `previous` failed: say which standard the previous figures were scored under with "
                "previous: {standard: ...} (an instrument id such as crisp-classic or cast-2024): a change across "
                "standards is not like for like."
            )
    else:
        earlier = step(
            "previous wave: load instrument",
            lambda: load_instrument(_resolve(previous.get("instrument", config["instrument"]), base)),
        )
        wave = _wave({**config, **{k: previous[k] for k in _WAVE_KEYS if k in previous}}, earlier, base, step,
                     "previous wave: ")  # fmt: skip
        by = [[domain]] if domain in wave.data else None
        figures = step("previous wave: estimate",
                       lambda: estimate(wave.design, "literate", by, ci=ci, level=level))  # fmt: skip
        save("previous_estimates.csv", figures)
        unit = "proportion"
        described = methods_section(earlier, wave.checks, wave.design, figures, wave.weighting, previous.get("year"))
        facts = {"counts": wave.counts,
                 "methods": {k: described[k] for k in ("survey_year", "instrument", "standard", "sample")}}  # fmt: skip
    if previous.get("year") is None and "year" not in figures.columns:
        raise LiteracyError("Step `previous` failed: say which year the previous survey was, previous: {year: ...}.")
    table = step(
        "change",
        lambda: change(estimates, figures, year=year, previous_year=previous.get("year"), standard=instrument,
                       previous_standard=earlier, domain=domain, unit=unit, level=level),
    )  # fmt: skip
    return table, facts


def _check_previous(config: dict[str, Any], source: str) -> None:
    """``previous:`` names published figures or microdata, never both; an
    earlier wave of a weighted survey is weighted to its own margins."""
    previous = config.get("previous")
    if not previous:
        return
    microdata = [k for k in ("inputs", "instrument", *_WAVE_KEYS) if k in previous]
    if previous.get("estimates") and microdata:
        raise LiteracyError(
            f"{source}: previous: names published figures (estimates:) and microdata ({', '.join(microdata)}); "
            "give one of them."
        )
    if not previous.get("estimates") and not previous.get("inputs"):
        raise LiteracyError(
            f"{source}: previous: needs estimates: FILE (published or earlier figures) or inputs: (the earlier "
            "wave's microdata, with its year:)."
        )
    if previous.get("inputs") and config.get("margins") and "margins" not in previous:
        raise LiteracyError(
            f"{source}: this survey is weighted to census margins, so the earlier wave is too: give its margins "
            "under previous: (margins: FILE), or margins: null to use its base weights as they are."
        )
    if "unit" in previous and not previous.get("estimates"):
        raise LiteracyError(f"{source}: previous: unit: applies to published figures (estimates: FILE) only.")
    if previous.get("standard") is not None:  # checked before any work, as instrument: is
        try:
            known_standard(_resolve(previous["standard"], Path(source).parent), "previous standard")
        except LiteracyError as error:
            raise LiteracyError(f"{source}: previous: {error}") from None
    survey_year = (config.get("assessment") or {}).get("year")
    if previous.get("year") is not None and survey_year is not None and int(previous["year"]) >= int(survey_year):
        raise LiteracyError(
            f"{source}: previous: year {previous['year']} is not before the survey year {survey_year} "
            "(assessment: year); the previous survey comes first."
        )


def _output_settings(config: dict[str, Any]) -> dict[str, Any]:
    """``output:`` as a folder name or ``{folder: ..., tables: csv|parquet}``."""
    given = config.get("output", "results")
    settings = dict(given) if isinstance(given, dict) else {"folder": given}
    return {"folder": settings.get("folder", "results"), "tables": settings.get("tables", "csv")}


def _plain_json(value: Any) -> Any:
    """Numbers of numpy as plain JSON numbers (and NaN as null)."""
    return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v)),
                      parse_constant=lambda _: None)  # fmt: skip


def sample_data_dir() -> Path:
    """The shipped sample data: inside the installed package, or the clone's top."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "sample_data", here.parents[1] / "sample_data"):
        if (candidate / "responses-spss.sav").is_file() and (candidate / "districts.csv").is_file():
            return candidate
    raise LiteracyError("The sample data were not found; reinstall the package or run from a full clone.")


# --------------------------------------------------------------------------


def _validate_input(path: Path, entry: dict[str, Any], instrument: Any, config: dict[str, Any], base: Path) -> Any:
    responses = read(
        path,
        instrument,
        platform=entry.get("platform", "auto"),
        encoding=entry.get("encoding"),
        file_format=entry.get("format"),
        sheet=entry.get("sheet"),
        mapping=_resolve(entry["mapping"], base) if entry.get("mapping") else None,
    )
    return validate(responses, instrument, Rules.from_settings(config.get("validation") or {}))


def _resolve(value: Any, base: Path) -> Any:
    text = str(value)
    candidate = base / text
    if Path(text).is_absolute() or candidate.exists() or text.endswith((".yaml", ".yml", ".csv", ".sav")):
        return candidate if not Path(text).is_absolute() else Path(text)
    return text  # a shipped id


def _inputs(entries: Any) -> list[dict[str, Any]]:
    out = []
    for entry in _as_list(entries):
        out.append(entry if isinstance(entry, dict) else {"path": entry})
        if "path" not in out[-1]:
            raise LiteracyError("Every entry under `inputs:` needs a `path:`.")
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_record(path: Path) -> dict[str, Any]:
    return {"path": str(path), "sha256": _sha256(path), "bytes": path.stat().st_size}


def _manifest_inputs(config: dict[str, Any], base: Path) -> list[Path]:
    inputs = [_resolve(e["path"], base) for e in _inputs(config["inputs"])]
    if config.get("margins"):
        inputs.append(_resolve(config["margins"], base))
    if (config.get("small_area") or {}).get("covariates"):
        inputs.append(_resolve(config["small_area"]["covariates"], base))
    inputs += [p for p in (_resolve(v, base) for v in _previous_files(config)) if isinstance(p, Path)]
    return inputs


def _previous_files(config: dict[str, Any]) -> list[Any]:
    """The files ``previous:`` names (a shipped instrument id is not a file)."""
    previous = config.get("previous") or {}
    values = [previous.get("estimates"), previous.get("instrument"), previous.get("margins"), previous.get("standard")]
    for entry in _inputs(previous.get("inputs")):
        values += [entry["path"], entry.get("mapping")]
    return [v for v in values if v is not None]


def _manifest(config: dict[str, Any], inputs: list[dict[str, Any]], folder: Path, result: RunResult) -> None:
    """``manifest.json``: the configuration and inputs as they were read,
    row counts, versions, and every file this run wrote with its hash, which
    is also the list a later ``--force`` run removes."""
    versions = {"literacy": _version("literacy"), "python": platform.python_version()}
    versions.update({name: _version(name) for name in _DEPENDENCIES})
    written = sorted(entry for entry in folder.iterdir() if entry.name != MANIFEST_NAME)
    manifest = {
        "config": config,
        "inputs": inputs,
        "row_counts": result.counts,
        "outputs": {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size} for p in written},
        "versions": versions,
    }
    write_json(folder / MANIFEST_NAME, json.loads(json.dumps(manifest, default=str)), force=True)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed" if name != "literacy" else "0.0.0+source"
