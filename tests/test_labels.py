"""Labels travel with estimates (issue 11): a ``<column>_label`` beside each
labelled domain column, from the file's value labels (here written by GNU
PSPP) or the instrument's respondent block, in the language asked for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO
from literacy import Design, LiteracyError, estimate, read
from literacy.cli import main
from literacy.labels import domain_columns

PSPP_SAV = REPO / "tests" / "reference" / "pspp" / "nhanes_missing.sav"


def _nhanes() -> Design:
    return Design(read(PSPP_SAV), weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU")


def test_spss_value_labels_sit_beside_their_codes():
    result = estimate(_nhanes(), "HI_CHOL", "race")
    assert list(result.columns[:3]) == ["breakdown", "race", "race_label"]
    assert dict(zip(result["race"], result["race_label"], strict=True)) == {
        1: "Hispanic", 2: "Non-Hispanic White", 3: "Non-Hispanic Black", 4: "Other"
    }  # fmt: skip
    assert domain_columns(result) == ["race"]


def test_labels_mode_replaces_codes_and_codes_mode_adds_nothing():
    both = estimate(_nhanes(), "HI_CHOL", "race")
    labels = estimate(_nhanes(), "HI_CHOL", "race", labels="labels")
    codes = estimate(_nhanes(), "HI_CHOL", "race", labels="codes")
    assert list(labels["race"]) == list(both["race_label"])
    assert "race_label" not in codes and "race_label" not in labels
    np.testing.assert_array_equal(codes["estimate"], both["estimate"])
    with pytest.raises(LiteracyError, match="labels must be one of codes, labels, both"):
        estimate(_nhanes(), "HI_CHOL", "race", labels="names")


@pytest.mark.parametrize(("lang", "male", "wuhai"), [("zh", "男", "乌海市"), ("en", "Male", "Wuhai")])
def test_respondent_fields_and_cities_are_labelled_in_the_language_asked(lang, male, wuhai):
    data = pd.DataFrame({
        "literate": [1, 0, 1, 0, 1, 1, 0, 0],
        "sex": ["male", "female"] * 4,
        "city": ["wuhai"] * 4 + ["unlisted"] * 4,
    })  # fmt: skip
    result = estimate(Design(data), "literate", [["sex"], ["city"]], lang=lang)
    assert result.loc[result["sex"] == "male", "sex_label"].item() == male
    assert result.loc[result["city"] == "wuhai", "city_label"].item() == wuhai
    assert result.loc[result["city"] == "unlisted", "city_label"].item() == "unlisted"  # no label: the code
    assert result.loc[result["city"].isna(), "city_label"].isna().all()  # the sex rows of the stack
    assert domain_columns(result) == ["sex", "city"]


def test_a_grade_distribution_labels_its_levels_only_when_labelled():
    data = pd.DataFrame({"grade": ["low", "basic", "low", "literate"], "sex": [1, 2, 1, 2]})
    result = estimate(Design(data), "grade", "sex")
    assert "level_label" not in result  # grades are not value-labelled in a plain frame
    assert list(result.columns[:4]) == ["breakdown", "sex", "sex_label", "level"]
    assert set(result["sex_label"]) == {"男", "女"}  # codes 1/2 of the respondent block


def test_the_command_writes_labels_and_gap_still_finds_its_rows(tmp_path):
    out = tmp_path / "e.csv"
    result = CliRunner().invoke(main, [
        "estimate", str(PSPP_SAV), "--outcome", "HI_CHOL", "--by", "race", "--weight", "WTMEC2YR",
        "--strata", "SDMVSTRA", "--psu", "SDMVPSU", "--lang", "en", "-o", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = read(out)
    assert list(table.columns[:3]) == ["breakdown", "race", "race_label"]
    assert table.loc[table["race"] == 2, "race_label"].item() == "Non-Hispanic White"


def test_the_instrument_labels_fields_whose_file_labels_name_other_codes():
    """The sample .sav labels sex 1/2; the reader turns them into male/female,
    which the file's labels no longer name: the respondent block's do."""
    from literacy.pipeline import sample_data_dir

    data = read(sample_data_dir() / "responses-spss.sav", "cast-2024")
    assert "sex" in (data.attrs.get("labels") or {}).get("values", {})  # the file does label sex
    result = estimate(Design(data.assign(one=1)), "one", "sex", lang="zh", statistic="mean")
    assert set(result["sex_label"]) == {"男", "女"}


def test_a_numeric_city_column_needs_no_plan_names():
    """`literacy estimate` leaves the plans unloaded for a numeric city
    column (issue 15): that is only right while every shipped plan's code is
    text, which a number is never looked up as."""
    from literacy.labels import _lookup, _plan_labels
    from literacy.plans import list_plans

    codes = [plan.code for plan in list_plans() if plan.code]
    assert codes and all(isinstance(code, str) and not code.strip().lstrip("-").replace(".", "", 1).isdigit()
                         for code in codes)  # fmt: skip
    names = _plan_labels("zh")
    assert _lookup(names, "wuhai", None) == "乌海市"
    assert all(_lookup(names, number, None) is None for number in (0, 1, 14, 15.0))
    frame = pd.DataFrame({"city": [14, 15, 14], "y": [1, 0, 1], "w": [1.0, 2.0, 1.5]})
    result = estimate(Design(frame, weight="w"), "y", "city")
    assert "city_label" not in result
    text = estimate(Design(frame.assign(city=["wuhai", "xuzhou", "wuhai"]), weight="w"), "y", "city")
    assert list(text["city_label"]) == ["乌海市", "徐州市"]
