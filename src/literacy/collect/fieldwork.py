"""Simulated fieldwork: a two-stage PPS sample from the synthetic population,
nonresponse that depends on age and education, realistic defects, and the
files a survey firm would deliver (plus the margins and the truth).

Design per city: the interviews are allocated to districts (strata) in
proportion to their population; in each district ``m`` communities are drawn
with probability proportional to size (systematic PPS, Cochran 1977, 9A.7),
then ``k`` persons by simple random sampling in each. A person's inclusion
probability is ``m M_c / M_d x k / M_c = m k / M_d``, so the base weight is
``M_d / (m k)`` (self-weighting within a district). Nonrespondents are not in
the export; their share rises for the young, the university-educated and
towns, so unweighted estimates are biased and weighting to census margins is
needed.

``districts=N`` (``--districts N``) gives each city N districts that differ
(see :mod:`literacy.collect.population`), the district rates in the truth
(group ``district``) for small-area estimation; the interviews are still
allocated to districts in proportion to their population, so 1,200 per city
in 12 districts gives about 100 per district (70 after nonresponse). Every
simulation writes the census table of its districts (``districts.csv``).

Same seed, same bytes: every random draw comes from one generator, and the
writers' timestamps (XLSX zip entries, SPSS header) are fixed.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from literacy.collect.exports import EXPORT_LAYOUTS, default_extension, write_export
from literacy.collect.population import (
    CitySpec,
    census_margins,
    city_spec,
    district_census,
    make_population,
    truth,
)
from literacy.errors import LiteracyError, spell
from literacy.instrument import Instrument, load_instrument, respondent_block
from literacy.io.tables import check_can_write, write_json, write_table

PERSONS_PER_COMMUNITY = 20
DEFECTS = ("speeder", "invalid_code", "duplicate_id", "under_age")
_FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


@dataclass
class Simulation:
    """Everything one simulation produces."""

    responses: pd.DataFrame  # what the firm delivers (completed interviews, with defects)
    margins: pd.DataFrame
    truth: pd.DataFrame
    sample: pd.DataFrame  # every sampled person, respondents and not
    settings: dict[str, Any] = field(default_factory=dict)
    districts: pd.DataFrame = field(default_factory=pd.DataFrame)  # census covariates per district
    # The instrument answered: the exports are written with it, not with the
    # shipped instrument of the same id (an imported questionnaire has none).
    instrument: Instrument | None = None


def simulate(
    questionnaire: Instrument | str,
    cities: dict[str, float | None],
    *,
    interviews: int = 1000,
    persons: int = 60_000,
    defect_rate: float = 0.01,
    response_rate: float = 0.7,
    seed: int = 1,
    districts: int | None = None,
) -> Simulation:
    """Simulate a survey of ``cities`` (code -> intended rate or None for the
    plan-based default) with ``interviews`` sampled persons per city;
    ``districts`` per city that differ, with their true rates (None: five
    that differ only by chance, the original population, byte for byte)."""
    instrument = load_instrument(questionnaire)
    if not cities:
        example = spell("--city wuhai --city xuzhou=0.14", 'cities={"wuhai": None, "xuzhou": 0.14}')
        raise LiteracyError(f"Name at least one city, e.g. {example}.")
    if interviews < PERSONS_PER_COMMUNITY * 2:
        raise LiteracyError(f"Sample at least {PERSONS_PER_COMMUNITY * 2} persons per city.")
    if not 0 <= defect_rate < 0.2:
        raise LiteracyError("The defect rate is a share below 0.2 (e.g. 0.01).")
    rng = np.random.default_rng(seed)
    specs: list[CitySpec] = [city_spec(code, rate, persons, districts) for code, rate in cities.items()]
    population = make_population(specs, instrument, rng)
    simulation = field_survey(
        population,
        instrument,
        rng,
        interviews=interviews,
        response_rate=response_rate,
        defect_rate=defect_rate,
        districts=districts is not None,
    )
    simulation.settings.update({"seed": seed, "persons_per_city": persons, "cities": {s.code: s.rate for s in specs}})
    if districts is not None:  # only then: the settings file of a default simulation stays as it was
        simulation.settings["districts_per_city"] = districts
    return simulation


def field_survey(
    population: pd.DataFrame,
    instrument: Instrument,
    rng: np.random.Generator,
    *,
    interviews: int = 1000,
    response_rate: float = 0.7,
    defect_rate: float = 0.01,
    districts: bool = False,
) -> Simulation:
    """One survey of an existing population (a simulation study draws many);
    ``districts`` puts the true district rates in the truth."""
    sample, short = _two_stage_sample(population, interviews, rng)
    sample["responded"] = _nonresponse(sample, response_rate, rng)
    respondents = sample.loc[sample["responded"]].copy()
    delivered = _delivery(respondents, instrument, defect_rate, rng)
    sampled = {str(c): int(n) for c, n in sample.groupby("city").size().items()}
    settings = {
        "instrument": instrument.id,
        "interviews_requested_per_city": interviews,
        "sampled_per_city": sampled,
        "delivered_per_city": {str(c): int(n) for c, n in delivered.groupby("city").size().items()},
        "shortfall": _shortfall(population, interviews, sampled, short),
        "persons_per_community": PERSONS_PER_COMMUNITY,
        "defect_rate": defect_rate,
        "response_rate": response_rate,
        "design": {"strata": "district", "psu": "community", "base_weight": "base_weight"},
    }
    return Simulation(
        delivered,
        census_margins(population),
        truth(population, districts=districts),
        sample,
        settings,
        district_census(population),
        instrument,
    )


def _shortfall(population: pd.DataFrame, interviews: int, sampled: dict[str, int], short: list[str]) -> str | None:
    """One sentence when a city's population could not give the sample asked
    for (too few communities for 20 persons each), else None. A sample that
    differs from the request only by rounding to whole communities is not one."""
    if not short:
        return None
    persons = population.groupby("city").size()
    communities = population.groupby("city")["community"].nunique()
    cities = "; ".join(
        f"{city} {sampled.get(city, 0):,} of {interviews:,}, its {persons[city]:,} persons living in "
        f"{communities[city]:,} communities"
        for city in short
    )
    needed = max(persons[c] * interviews / max(sampled.get(c, 0), 1) for c in short)
    return (
        f"Sampled fewer persons than asked ({cities}), because at most {PERSONS_PER_COMMUNITY} are taken in a "
        f"community and a community drawn twice counts once; give {spell('--persons', 'persons=')} of about "
        f"{int(round(needed, -3)):,} or fewer {spell('--interviews', 'interviews=')}."
    )


def _two_stage_sample(
    population: pd.DataFrame, interviews: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, list[str]]:
    """The sample, and the cities whose communities could not give the
    persons their allocation asked for (too few communities, some drawn twice
    by PPS, which counts once, or smaller than 20)."""
    chosen = []
    short = []
    for city, people in population.groupby("city", sort=True):
        taken = wanted = 0
        districts = people.groupby("district", sort=True).size()
        allocation = np.maximum(1, np.round(interviews * districts / districts.sum() / PERSONS_PER_COMMUNITY))
        for district, m in zip(districts.index, allocation.astype(int), strict=True):
            members = people.loc[people["district"] == district]
            sizes = members.groupby("community", sort=True).size()
            wanted += m * PERSONS_PER_COMMUNITY
            m = min(m, len(sizes))
            picked = _systematic_pps(sizes.to_numpy(float), m, rng)
            total = float(sizes.sum())
            for position in picked:
                community = sizes.index[position]
                persons = members.index[members["community"] == community].to_numpy()
                k = min(PERSONS_PER_COMMUNITY, len(persons))
                take = rng.choice(persons, size=k, replace=False)
                probability = min(1.0, m * sizes.iloc[position] / total) * k / len(persons)
                chosen.append(pd.DataFrame({"row": np.sort(take), "base_weight": 1.0 / probability}))
                taken += k
        if taken < min(wanted, interviews):
            short.append(str(city))
    picks = pd.concat(chosen, ignore_index=True)
    sample = population.loc[picks["row"]].reset_index(drop=True)
    sample["base_weight"] = picks["base_weight"].to_numpy()
    return sample, short


def _systematic_pps(sizes: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``m`` units drawn by systematic PPS from a random order."""
    order = rng.permutation(len(sizes))
    cumulative = np.cumsum(sizes[order])
    step = cumulative[-1] / m
    points = rng.uniform(0, step) + step * np.arange(m)
    hits = np.searchsorted(cumulative, points, side="right")
    return np.unique(order[np.minimum(hits, len(sizes) - 1)])


def _nonresponse(sample: pd.DataFrame, response_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Response is likelier for older, less educated and rural people (the
    usual pattern of household surveys)."""
    age = sample["age"].to_numpy(float)
    university = sample["education"].isin(["college", "university"]).to_numpy()
    rural = (sample["urban_rural"] == "rural").to_numpy()
    logit = 0.03 * (age - 43) - 0.6 * university + 0.4 * rural
    shift = np.log(response_rate / (1 - response_rate))
    probability = 1 / (1 + np.exp(-(logit - logit.mean() + shift)))
    return rng.random(len(sample)) < probability


def _delivery(
    respondents: pd.DataFrame, instrument: Instrument, defect_rate: float, rng: np.random.Generator
) -> pd.DataFrame:
    """The firm's file: interview records with ids, durations and defects."""
    fields = [f.id for f in respondent_block() if f.id in respondents.columns or f.id == "respondent_id"]
    out = respondents.copy()
    out["respondent_id"] = [f"{c[:2].upper()}{i:05d}" for c, i in zip(out["city"], range(1, len(out) + 1), strict=True)]
    out["duration_seconds"] = np.round(rng.lognormal(np.log(900), 0.3, len(out)))
    n = len(out)
    defects = np.array([""] * n, dtype=object)

    def pick(count: int) -> np.ndarray:
        free = np.flatnonzero(defects == "")
        return rng.choice(free, size=min(count, len(free)), replace=False)

    count = round(defect_rate * n)
    if count:
        rows = pick(count)
        out.iloc[rows, out.columns.get_loc("duration_seconds")] = rng.integers(60, 150, len(rows))
        defects[rows] = "speeder"
        rows = pick(count)
        single = [item.id for item in instrument.items if item.type != "multiple_choice"]
        for row in rows:
            item_id = single[int(rng.integers(0, len(single)))]
            out[item_id] = out[item_id].astype(object)
            out.iloc[row, out.columns.get_loc(item_id)] = 6 if rng.random() < 0.5 else 99
        defects[rows] = "invalid_code"
        rows = pick(count)
        out.iloc[rows, out.columns.get_loc("age")] = rng.integers(16, 18, len(rows))
        defects[rows] = "under_age"
    out["defect"] = defects
    if count:
        # Re-submitted interviews: a copy of an earlier record under the same id.
        source = rng.choice(np.flatnonzero(defects == ""), size=count, replace=False)
        copies = out.iloc[source].copy()
        copies["defect"] = "duplicate_id"
        copies["duration_seconds"] = np.round(rng.lognormal(np.log(900), 0.3, len(copies)))
        out = pd.concat([out, copies], ignore_index=True)
        order = rng.permutation(len(out))
        out = out.iloc[order].reset_index(drop=True)
    design = ["district", "community", "base_weight"]
    items = instrument.item_ids
    keep = ["respondent_id", *fields, *design, "duration_seconds", *items, "defect", "person_id"]
    return out[list(dict.fromkeys(keep))].copy()


def write_simulation(
    simulation: Simulation, folder: str | Path, *, layouts: list[str], lang: str = "zh", force: bool = False
) -> list[Path]:
    """Write the exports (one per layout), margins, truth, the census table of
    the districts, the full sample and a settings file. The ``defect`` and ``person_id`` columns stay out of the
    exports (a firm would not deliver them); they are in ``sample.csv``."""
    folder = Path(folder)
    instrument = simulation.instrument or load_instrument(simulation.settings["instrument"])
    unknown = [layout for layout in layouts if layout not in EXPORT_LAYOUTS]
    if unknown:
        raise LiteracyError(f"Export layout {unknown[0]!r} is unknown; use one of {', '.join(EXPORT_LAYOUTS)}.")
    if folder.exists() and not folder.is_dir():
        raise LiteracyError(f"{folder} is a file; {spell('--out', 'folder')} needs a folder.")
    names = {layout: f"responses-{layout}{default_extension(layout)}" for layout in layouts}
    targets = [folder / name for name in names.values()]
    tables = ("margins.csv", "truth.csv", "districts.csv", "sample.csv", "simulation.json")
    targets += [folder / n for n in tables]
    if folder.is_dir():
        check_can_write(targets, force=force)
    created = [p for p in (folder, *folder.parents) if not p.exists()]  # deepest first
    folder.mkdir(parents=True, exist_ok=True)
    before = {entry.name for entry in folder.iterdir()}
    try:
        written = _write_files(simulation, instrument, folder, names, lang)
    except BaseException:
        # Take away what this call wrote (a half-written simulation is worse
        # than none) and the folder it made; files that were there stay.
        for entry in folder.iterdir():
            if entry.name not in before and entry.is_file():
                entry.unlink(missing_ok=True)
        for made in created:
            if any(made.iterdir()):
                break
            made.rmdir()
        raise
    return written + [folder / n for n in tables]


def _write_files(
    simulation: Simulation, instrument: Instrument, folder: Path, names: dict[str, str], lang: str
) -> list[Path]:
    exported = simulation.responses.drop(columns=["defect", "person_id"])
    written = []
    for layout, name in names.items():
        path = folder / name
        write_export(exported, instrument, path, layout, lang=lang, seed=simulation.settings["seed"], force=True)
        _fix_timestamps(path)
        written.append(path)
    write_table(simulation.margins, folder / "margins.csv", force=True)
    write_table(simulation.truth, folder / "truth.csv", force=True)
    write_table(simulation.districts, folder / "districts.csv", force=True)
    sample = simulation.sample[
        [
            "person_id",
            "city",
            "district",
            "community",
            "base_weight",
            "responded",
            "sex",
            "age",
            "urban_rural",
            "education",
            "occupation",
            "literate",
        ]
    ]
    deliveries = simulation.responses[["person_id", "respondent_id", "defect"]].drop_duplicates("person_id")
    write_table(sample.merge(deliveries, on="person_id", how="left"), folder / "sample.csv", force=True)
    write_json(folder / "simulation.json", {**simulation.settings, "files": sorted(names.values())}, force=True)
    return written


def _fix_timestamps(path: Path) -> None:
    """Make writer timestamps constant so one seed gives identical bytes."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename == "docProps/core.xml":
                    data = _constant_dates(data)
                entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(entry, data)
        path.write_bytes(buffer.getvalue())
    elif suffix in (".sav", ".zsav"):
        # SPSS file header (ReadStat's sav header record): rec_type "$FL2" (4
        # bytes), prod_name (60), layout_code, nominal_case_size, compression,
        # weight_index, ncases (5 x 4), bias (8), then creation_date (9 bytes,
        # "dd mmm yy") and creation_time (8 bytes, "hh:mm:ss") at offset 92.
        header = bytearray(path.read_bytes())
        offset = 4 + 60 + 4 * 5 + 8
        header[offset : offset + 17] = b"01 Jan 2500:00:00"
        path.write_bytes(bytes(header))


def _constant_dates(core: bytes) -> bytes:
    import re

    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms)", rb"\g<1>2025-01-01T00:00:00Z\g<2>", core)
