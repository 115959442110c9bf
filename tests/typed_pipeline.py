"""A small typed pipeline over the public API, end to end on the shipped
sample data: ``mypy --strict`` must pass on it (tests/test_api_shapes.py runs
it), so the public signatures say what a pipeline gets back.

Run it as a script to do the job: ``python tests/typed_pipeline.py OUT_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import literacy

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def weighted_design(instrument: literacy.Instrument) -> tuple[literacy.ValidationResult, literacy.WeightingResult,
                                                                 literacy.Design]:  # fmt: skip
    """Read, validate, score, add the groups, weight to the city margins, and
    build the design that carries the calibration."""
    responses = literacy.read(SAMPLE / "responses-spss.sav", instrument)
    checked: literacy.ValidationResult = literacy.validate(responses, instrument)
    scored = literacy.score(checked.clean, instrument)
    scored = literacy.add_groups(scored[scored["scorable"]])
    margins: literacy.Margins = literacy.read_margins(SAMPLE / "margins.csv", by="city")
    weighted: literacy.WeightingResult = literacy.weight(scored, margins, base_weight="base_weight")
    design: literacy.Design = weighted.design(strata="district", psu="community")
    return checked, weighted, design


def main(folder: Path) -> list[str]:
    """The whole job into ``folder``; returns the jurisdictions assessed."""
    instrument: literacy.Instrument = literacy.load_instrument("cast-2024")
    checked, weighted, design = weighted_design(instrument)
    reliability = literacy.Reliability(min_n_eff=30.0)
    rates = literacy.estimate(design, "literate", by=[[], ["city"]], reliability=reliability)
    plans: list[literacy.Plan] = [literacy.load_plan("wuhai-2021-2025"), literacy.load_plan("xuzhou-2021-2035")]
    assessment = literacy.gap(rates, plans, year=2025)
    data: literacy.ReportData = literacy.ReportData.from_run(
        assessment, rates, instrument=instrument, validation=checked, design=design, weighting=weighted, plans=plans
    )
    folder.mkdir(parents=True, exist_ok=True)
    literacy.report(data, folder / "report.md", lang="en")
    literacy.write_table(rates, folder / "estimates.parquet", force=True)
    back = literacy.read(folder / "estimates.parquet")
    if list(back.columns) != list(rates.columns):
        raise literacy.LiteracyError("The estimates did not round-trip through Parquet.")
    return [str(code) for code in assessment["jurisdiction"]]


if __name__ == "__main__":
    print(", ".join(main(Path(sys.argv[1]))))
