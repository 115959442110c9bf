"""The design owns its weighting (issue 18): a calibration travels with the
design, not only in ``DataFrame.attrs`` (which ``merge`` drops), and a frame
whose calibrated weights lost their record is refused, never silently
estimated as if its weights were fixed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import literacy
from literacy.cli import main
from literacy.pipeline import sample_data_dir

DESIGN = {"strata": "district", "psu": "community"}


@pytest.fixture(scope="module")
def weighted():
    data = sample_data_dir()
    responses = literacy.read(data / "responses-spss.sav", "cast-2024")
    scored = literacy.score(literacy.validate(responses, "cast-2024").clean, "cast-2024")
    margins = literacy.read_margins(data / "margins.csv", by="city")
    return literacy.weight(literacy.groups.add_groups(scored), margins, base_weight="base_weight")


def _se(design) -> pd.Series:
    return literacy.estimate(design, "literate", "city").set_index("city")["se"]


def test_a_merged_frame_is_refused_then_gives_the_calibrated_se_when_the_calibration_is_passed(weighted):
    # Another table (from a database, say): it has no attrs, so pandas drops them in the merge.
    extra = pd.DataFrame({"respondent_id": weighted.data["respondent_id"].to_numpy(),
                          "interviewer": np.arange(len(weighted.data)) % 7})  # fmt: skip
    merged = weighted.data.merge(extra, on="respondent_id")
    assert "weighting" not in merged.attrs  # what pandas does: the record is gone
    with pytest.raises(literacy.LiteracyError, match=r"calibration=<the WeightingResult>.*calibration=None"):
        literacy.Design(merged, weight="weight_final", **DESIGN)
    calibrated = _se(weighted.design(**DESIGN))
    passed = _se(literacy.Design(merged, weight="weight_final", calibration=weighted, **DESIGN))
    through_result = _se(weighted.design(data=merged, **DESIGN))
    fixed = _se(literacy.Design(merged, weight="weight_final", calibration=None, **DESIGN))
    np.testing.assert_allclose(passed, calibrated, rtol=1e-12)
    np.testing.assert_allclose(through_result, calibrated, rtol=1e-12)
    assert (np.abs(fixed - calibrated) / calibrated > 1e-3).all()  # calibration really changes the SE


def test_dropping_weighted_rows_is_refused_for_a_calibrated_design(weighted):
    with pytest.raises(literacy.LiteracyError, match=r"no longer reproduce the calibration targets.*since weighting"):
        weighted.design(data=weighted.data.iloc[10:], **DESIGN)
    with pytest.raises(literacy.LiteracyError, match=r"no longer match the calibration.*since weighting"):
        weighted.design(data=weighted.data[weighted.data["city"] != "wuhai"], **DESIGN)


def test_weight_design_equals_the_command_line(weighted, tmp_path):
    data = sample_data_dir()
    scored_path = tmp_path / "scored.csv"
    literacy.io.write_table(weighted.data.drop(columns="weight_final"), scored_path)
    runner = CliRunner()
    out = tmp_path / "weighted.csv"
    step = runner.invoke(main, ["weight", str(scored_path), "--margins", str(data / "margins.csv"),
                                "--by-city", "city", "--base-weight", "base_weight", "-o", str(out)])  # fmt: skip
    assert step.exit_code == 0, step.output
    estimates = tmp_path / "estimates.csv"
    step = runner.invoke(main, ["estimate", str(out), "--outcome", "literate", "--by", "city",
                                "--weight", "weight_final", "--strata", "district", "--psu", "community",
                                "-o", str(estimates)])  # fmt: skip
    assert step.exit_code == 0, step.output
    assert "calibrated (rake)" in step.stderr
    cli = literacy.read(estimates).set_index("city")
    api = literacy.estimate(weighted.design(**DESIGN), "literate", "city").set_index("city")
    for column in ("estimate", "se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(cli.loc[api.index, column], api[column], rtol=1e-12, err_msg=column)


def test_short_reprs(weighted):
    assert len(repr(weighted)) < 200 and "rake" in repr(weighted)
    margins = literacy.read_margins(sample_data_dir() / "margins.csv", by="city")
    for thing in (literacy.load_instrument("cast-2024"), margins, weighted.design(**DESIGN)):
        assert len(repr(thing)) < 200, repr(thing)[:300]
    assert repr(margins).startswith("Margins(variables=['age_band', 'education', 'sex', 'urban_rural']")
