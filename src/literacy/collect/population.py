"""A synthetic adult population (18-69) whose literacy is known.

Each city has districts (the strata of a survey) and communities or villages
(its PSUs) of varying size, urban or rural. By default districts differ only
by chance (five per city, as the shipped sample data were made); with
``districts=N`` (``literacy simulate --districts N``) they differ as real
ones do, so that small-area estimation has something to find: an urban core
and rural outskirts (the district's urban share), an older or younger
population, and a district effect on the trait. The census table of each
district's covariates (:func:`district_census`) is what an office would take
from the census. Persons get sex, age, education
and occupation, and a latent literacy trait:

    theta = city level + group effects + community effect + person noise

Group effects are the logit gaps of the national 2023 breakdowns
(``literacy/reference/national-series.yaml``: urban/rural, sex, age band,
education), scaled down (0.45 for education, 0.25 for the others, because
education differs by those groups and carries part of their gap, and because
a 70-point cut on 40 items is steeper in the trait than a logistic curve).
With these factors a city's scored population shows roughly the national
pattern: e.g. for a 14% city, 1.4 / 4.7 / 11.9 / 17.1 / 29.2% from primary
school to university, 23 to 5% from age 18-29 to 60-69, urban 17% vs rural 8%. Every person
answers the instrument (``simulate_answers``), and the city level is solved
so that the scored population reaches the intended rate; the truth file is
the scored population itself, so it is exact, not a model value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from literacy.collect.simulate import simulate_answers
from literacy.errors import LiteracyError, spell
from literacy.groups import KEY_GROUPS, add_groups
from literacy.instrument import Instrument
from literacy.plans import national_reference, plan_for_jurisdiction
from literacy.scoring import score

EDUCATION = ("primary_or_less", "junior_high", "senior_high", "college", "university")
MARGIN_VARIABLES = ("sex", "age_band", "urban_rural", "education")
TRUTH_GROUPS = ("sex", "age_band", "urban_rural", "education", "occupation")
DEFAULT_DISTRICTS = 5
# Districts that differ (``districts=N``): Beta concentration of the urban
# share around the city's, sd of the mean age shift (years) and of the
# district effect on the trait (a district's rate is then a few points off
# what its make-up predicts, as a Fay-Herriot model assumes).
_URBAN_CONCENTRATION = 3.0
_AGE_SHIFT_SD = 4.0
_DISTRICT_EFFECT_SD = 0.2
_SIZE_CONCENTRATION = 15.0
_CALIBRATION_PERSONS = 30_000


@dataclass(frozen=True)
class CitySpec:
    code: str
    name_zh: str
    rate: float  # intended share literate (0-1)
    persons: int
    districts: int
    urban_share: float
    varied_districts: bool = False  # districts differ in make-up and level (``districts=N``)


def default_rate(code: str) -> float:
    """A plausible current level for a seed city: halfway along the straight
    path from the plan's latest baseline to its first target (e.g. Wuhai 9% ->
    12%: 10.5%)."""
    plan = plan_for_jurisdiction(code)
    if plan is None or not plan.baselines or not plan.targets:
        raise LiteracyError(f"No shipped plan with a baseline and a target for {code!r}; give its rate (CITY=RATE).")
    baseline = plan.baselines[-1].value
    target = plan.target_for(None)
    assert target is not None
    return (baseline + target.value) / 200.0


def city_spec(code: str, rate: float | None = None, persons: int = 60_000, districts: int | None = None) -> CitySpec:
    """A city to simulate; ``districts`` given makes that many districts that
    differ (``None``: five that differ only by chance, the original population)."""
    plan = plan_for_jurisdiction(code)
    name = plan.name.zh if plan else code
    urban = {"shenzhen": 0.95, "wuhai": 0.85, "xuzhou": 0.65}.get(code, 0.6)
    if districts is not None and not 1 <= districts <= 200:
        where = spell("--districts", "districts=")
        raise LiteracyError(f"A city has from 1 to 200 districts, not {districts} ({where}).")
    count = DEFAULT_DISTRICTS if districts is None else districts
    rate_ = default_rate(code) if rate is None else rate
    return CitySpec(code, name, rate_, persons, count, urban, varied_districts=districts is not None)


def _effects() -> dict[str, dict[str, float]]:
    """Latent effects from the 2023 national breakdowns (logit gaps)."""
    reference = national_reference()
    national = next(r.value for r in reference.series if r.year == reference.breakdown_year) / 100

    def logit(p: float) -> float:
        return float(np.log(p / (1 - p)))

    effects = {}
    for variable, shrink in (("education", 0.45), ("age_band", 0.25), ("urban_rural", 0.25), ("sex", 0.25)):
        groups = reference.breakdowns[variable]
        effects[variable] = {g: shrink * (logit(v / 100) - logit(national)) for g, v in groups.items()}
    return effects


def make_population(cities: list[CitySpec], instrument: Instrument, rng: np.random.Generator) -> pd.DataFrame:
    """Every person of every city, with answers, scores and design units."""
    effects = _effects()
    frames = []
    next_id = 1
    for spec in cities:
        people = _people(spec, rng)
        base = (
            people["education"].map(effects["education"]).to_numpy(float)
            + people["age_band"].map(effects["age_band"]).astype(float).to_numpy()
            + people["urban_rural"].map(effects["urban_rural"]).to_numpy(float)
            + people["sex"].map(effects["sex"]).to_numpy(float)
            + people["community_effect"].to_numpy(float)
            + rng.normal(0.0, 0.9, len(people))
        )
        level = _solve_level(base, spec.rate, instrument, rng)
        theta = base + level
        answers = simulate_answers(instrument, theta, rng)
        people = pd.concat([people.drop(columns=["community_effect"]), answers], axis=1)
        people.insert(0, "person_id", np.arange(next_id, next_id + len(people)))
        next_id += len(people)
        frames.append(people)
    population = pd.concat(frames, ignore_index=True)
    return score(population, instrument)


def _people(spec: CitySpec, rng: np.random.Generator) -> pd.DataFrame:
    """Districts, communities of varying size, and persons in them."""
    # Varied districts are of more even size (within about a quarter of the
    # mean), so that a proportional sample gives each 50-150 interviews.
    concentration = _SIZE_CONCENTRATION if spec.varied_districts else 4.0
    district_sizes = rng.dirichlet(np.full(spec.districts, concentration)) * spec.persons
    width = len(str(spec.districts))  # d01 ... d12 sort as numbers; the default five stay d1 ... d5
    rows = []
    community_number = 0
    for d, d_size in enumerate(district_sizes, start=1):
        # Draws for varied districts only when asked, so that the default
        # population (and the shipped sample data) stays the same, byte for byte.
        urban_share, age_shift, level = spec.urban_share, 0.0, 0.0
        if spec.varied_districts:
            a = _URBAN_CONCENTRATION * spec.urban_share
            urban_share = float(np.clip(rng.beta(a, _URBAN_CONCENTRATION - a), 0.02, 0.99))
            age_shift = float(rng.normal(0.0, _AGE_SHIFT_SD))
            level = float(rng.normal(0.0, _DISTRICT_EFFECT_SD))
        sizes = rng.lognormal(mean=np.log(400), sigma=0.5, size=max(8, int(d_size / 350)))
        sizes = np.maximum(40, np.round(sizes / sizes.sum() * d_size)).astype(int)
        urban = rng.random(len(sizes)) < urban_share
        effect = rng.normal(0.0, 0.35, len(sizes)) + level  # communities differ: the ICC of a real survey
        for size, is_urban, eff in zip(sizes, urban, effect, strict=True):
            community_number += 1
            district = f"{spec.code}-d{d:0{width}d}"
            rows.append((district, f"{spec.code}-c{community_number:04d}", size, is_urban, eff, age_shift))
    columns = ["district", "community", "size", "urban", "community_effect", "age_shift"]
    units = pd.DataFrame(rows, columns=columns)
    people = units.loc[units.index.repeat(units["size"])].reset_index(drop=True)
    n = len(people)
    urban = people["urban"].to_numpy()
    age = np.clip(rng.normal(43, 14, n).round() + people["age_shift"].to_numpy().round(), 18, 69).astype(int)
    # Education rises for the young and in towns (about the census mix).
    drive = 0.9 * urban - 0.035 * (age - 43) + rng.normal(0, 1.0, n)
    education = np.array(EDUCATION, dtype=object)[np.digitize(drive, [-0.9, 0.2, 0.9, 1.4])]
    occupation = np.where(
        age >= 60,
        "retired",
        np.where(
            ~urban & (rng.random(n) < 0.6),
            "farmer",
            np.where(
                rng.random(n) < 0.25,
                "industrial_worker",
                np.where(
                    rng.random(n) < 0.06, "cadre_civil_servant", np.where(age <= 22, "student", "business_service")
                ),
            ),
        ),
    )
    out = pd.DataFrame(
        {
            "city": spec.code,
            "district": people["district"],
            "community": people["community"],
            "community_size": people["size"].astype(int),
            "sex": np.where(rng.random(n) < 0.5, "male", "female"),
            "age": age,
            "urban_rural": np.where(urban, "urban", "rural"),
            "education": education,
            "occupation": occupation,
            "community_effect": people["community_effect"],
        }
    )
    return add_groups(out)


def _solve_level(base: np.ndarray, rate: float, instrument: Instrument, rng: np.random.Generator) -> float:
    """The city level at which the scored share literate is ``rate``
    (bisection on a fixed subsample with common random numbers, so the share
    is monotone in the level)."""
    if not 0 < rate < 1:
        raise LiteracyError(f"A city rate is a share between 0 and 1, not {rate}.")
    seed = int(rng.integers(0, 2**31))
    sample = base[np.random.default_rng(seed).choice(len(base), min(len(base), _CALIBRATION_PERSONS), replace=False)]

    def share(level: float) -> float:
        answers = simulate_answers(instrument, sample + level, np.random.default_rng(seed + 1))
        return float(score(answers, instrument)["literate"].astype(float).mean())

    low, high = -6.0, 6.0
    for _ in range(30):
        middle = (low + high) / 2
        if share(middle) < rate:
            low = middle
        else:
            high = middle
        if high - low < 1e-3:
            break
    return (low + high) / 2


def census_margins(population: pd.DataFrame) -> pd.DataFrame:
    """Population counts per city by sex, age band, urban/rural and education
    (the margins ``literacy weight --by-city city`` takes)."""
    parts = []
    for variable in MARGIN_VARIABLES:
        counts = population.groupby(["city", variable], observed=True).size().rename("target").reset_index()
        parts.append(counts.rename(columns={variable: "category"}).assign(variable=variable))
    margins = pd.concat(parts, ignore_index=True)[["city", "variable", "category", "target"]]
    margins["category"] = margins["category"].astype(str)
    return margins.sort_values(["city", "variable", "category"], kind="stable").reset_index(drop=True)


def district_census(population: pd.DataFrame) -> pd.DataFrame:
    """The census table of each district (what an office takes from the
    census for small-area estimation): adults 18-69 and the shares with a
    college or university education, living in towns, and aged 60 or over,
    as proportions 0-1."""
    grouped = population.groupby(["city", "district"], sort=True, observed=True)
    table = pd.DataFrame(
        {
            "population": grouped.size(),
            "university_share": grouped["education"].agg(lambda s: float(s.isin(["college", "university"]).mean())),
            "urban_share": grouped["urban_rural"].agg(lambda s: float((s == "urban").mean())),
            "aged_60_plus_share": grouped["age"].agg(lambda s: float((s >= 60).mean())),
        }
    ).reset_index()
    table["population"] = table["population"].astype(int)
    return table


def truth(population: pd.DataFrame, *, districts: bool = False) -> pd.DataFrame:
    """The true literate share per city (and all cities) overall and by group;
    with ``districts``, per district too (group ``district``, the level its code)."""
    literate = population["literate"].astype(float)
    rows = []
    scopes = [("all", population.index)] + [(c, idx) for c, idx in population.groupby("city").groups.items()]
    for city, index in scopes:
        part = population.loc[index]
        value = literate.loc[index]
        rows.append((city, "all", "all", len(part), value.sum(), value.mean()))
        for variable in (*TRUTH_GROUPS, "district") if districts and city != "all" else TRUTH_GROUPS:
            grouped = value.groupby(part[variable].astype(str))
            for level, series in grouped:
                rows.append((city, variable, level, len(series), series.sum(), series.mean()))
        for name in KEY_GROUPS:
            column = f"group_{name}"
            if column in part:
                members = part[column].astype(bool)
                rows.append((city, "key_group", name, int(members.sum()), value[members].sum(), value[members].mean()))
    table = pd.DataFrame(rows, columns=["city", "group", "level", "population", "literate", "rate"])
    table["literate"] = table["literate"].round().astype(int)
    return table
