"""The change since the previous survey (issue 14 point 4): the row worked by
hand with and without a published standard error, agreement with R survey
(tests/reference/change_reference.R), different standards flagged, `literacy
run` with `previous:` as published figures and as the earlier wave's
microdata, order invariance, and one plain sentence for every bad input."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from conftest import REPO, run_config
from literacy import Design, LiteracyError, change, estimate, load_instrument
from literacy.assessment import PREVIOUS_UNITS
from literacy.cli import main
from literacy.collect.fieldwork import simulate, write_simulation
from literacy.pipeline import run
from literacy.schemas import PreviousUnit

REFERENCE = REPO / "tests" / "reference"
R = json.loads((REFERENCE / "change_reference.json").read_text(encoding="utf-8"))


def _current(**columns: list[object]) -> pd.DataFrame:
    """An estimates table as `literacy estimate` shapes it (domain column first)."""
    base = {"city": ["wuhai", "xuzhou"], "estimate": [0.15, 0.20], "se": [0.03, 0.02],
            "ci_lower": [0.10, 0.16], "ci_upper": [0.21, 0.24], "n": [900, 900], "flags": ["", ""]}  # fmt: skip
    base.update(columns)
    return pd.DataFrame(base)


# ---------------------------------------------------------------- worked by hand


def test_change_with_standard_errors_worked_by_hand():
    # Wuhai: 15% (se 3 points) now, 11% (se 4 points) before: the variances add, 0.03^2 + 0.04^2 = 0.05^2,
    # so the change of 4 points has se 5 points, z = 0.04 / 0.05 = 0.8 and p = 2 (1 - Phi(0.8)) = 0.4237.
    previous = pd.DataFrame({"city": ["wuhai"], "estimate": [0.11], "se": [0.04]})
    row = change(_current(), previous, year=2025, previous_year=2020, standard="cast-2024",
                 previous_standard="cast-2024").iloc[0]  # fmt: skip
    assert row["city"] == "wuhai" and row["previous_year"] == 2020 and row["year"] == 2025
    assert row["change"] == pytest.approx(0.04) and row["change_se"] == pytest.approx(0.05)
    z = stats.norm.ppf(0.975)  # no design df in the table: normal quantiles
    assert row["ci_lower"] == pytest.approx(0.04 - z * 0.05) and row["ci_upper"] == pytest.approx(0.04 + z * 0.05)
    assert row["p_value"] == pytest.approx(0.42371, abs=1e-5)
    assert row["like_for_like"] and row["note_key"] == "" and row["note"] == ""


def test_change_without_a_published_standard_error_takes_the_earlier_figure_as_fixed():
    # 11% published without a standard error, in percent: fixed, so the change's se is this survey's 3
    # points, z = 0.04 / 0.03 = 4/3 and p = 2 (1 - Phi(1.3333)) = 0.1824; with the design's 40 df the
    # interval uses t(40) = 2.0211.
    previous = pd.DataFrame({"city": ["wuhai"], "estimate": [11.0], "se": [None]})
    row = change(_current(df=[40, 40]), previous, year=2025, previous_year=2020, standard="cast-2024",
                 previous_standard="cast-2024", unit="percent").iloc[0]  # fmt: skip
    assert row["previous_estimate"] == pytest.approx(0.11) and math.isnan(row["previous_se"])
    assert row["change_se"] == pytest.approx(0.03)
    assert row["ci_lower"] == pytest.approx(0.04 - 2.021075 * 0.03, abs=1e-6)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(4 / 3, 40))
    assert stats.t.sf(4 / 3, 40) * 2 == pytest.approx(0.19, abs=0.005)  # t(40), a little above the normal 0.1824
    assert row["note_key"] == "fixed_previous" and "taken as fixed" in row["note"]


def test_different_standards_are_not_like_for_like():
    previous = pd.DataFrame({"city": ["wuhai", "xuzhou"], "estimate": [0.05, 0.08], "se": [0.01, None]})
    table = change(_current(), previous, year=2024, previous_year=2015, standard="cast-2024",
                   previous_standard="crisp-classic")  # fmt: skip
    assert not table["like_for_like"].any()
    assert table["note_key"].tolist() == ["different_standards", "different_standards"]
    assert "Not like for like" in table["note"].iloc[0] and "taken as fixed" in table["note"].iloc[1]
    # A standard per row in the previous file wins over the one handed in.
    previous["standard"] = ["cast-2024", "crisp-classic"]
    table = change(_current(), previous, year=2024, previous_year=2020, standard="cast-2024")
    assert table["like_for_like"].tolist() == [True, False]


def test_two_instruments_are_compared_by_their_standards():
    cast = load_instrument("cast-2024")
    renamed = dataclasses.replace(cast, id="cast-2024-local")
    previous = pd.DataFrame({"city": ["wuhai"], "estimate": [0.11]})
    same = change(_current(), previous, year=2025, previous_year=2023, standard=cast, previous_standard=renamed)
    assert same["like_for_like"].iloc[0] and same["previous_standard"].iloc[0] == "cast-2024-local"
    classic = load_instrument("crisp-classic")
    other = change(_current(), previous, year=2025, previous_year=2015, standard=cast, previous_standard=classic)
    assert not other["like_for_like"].iloc[0] and other["note_key"].iloc[0] == "different_standards"


# ---------------------------------------------------------------- against R


def _api_estimates(level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    current = pd.read_csv(REFERENCE / "apistrat.csv", dtype={"cds": str})
    previous = pd.read_csv(REFERENCE / "apiclus1.csv", dtype={"cds": str})
    now = estimate(Design(current, weight="pw", strata="stype", fpc="fpc"), "sch_wide", "stype", level=level)
    before = estimate(Design(previous, weight="pw", psu="dnum", fpc="fpc"), "sch_wide", "stype", level=level)
    return now, before


def _assert_like_r(table: pd.DataFrame, key: str) -> None:
    expected = pd.DataFrame(R[key]).set_index("stype")
    got = table.set_index("stype")
    for column in ("change", "change_se", "ci_lower", "ci_upper", "p_value"):
        assert got.loc[expected.index, column].to_numpy() == pytest.approx(expected[column].to_numpy(), rel=1e-7,
                                                                           abs=1e-10), column  # fmt: skip
    assert table.attrs["change"]["df"] == pytest.approx(expected.loc[got.index, "df"].to_list(), rel=1e-9)


def test_the_change_between_two_estimated_waves_matches_r_survey():
    # R: one stacked design with the two samples as separate strata, svyby + svycontrast (zero covariance).
    now, before = _api_estimates()
    table = change(now, before, year=2001, previous_year=2000, standard="cast-2024", previous_standard="cast-2024",
                   domain="stype")  # fmt: skip
    assert sorted(table["stype"]) == ["E", "H", "M"] and table["note_key"].eq("").all()
    _assert_like_r(table, "microdata")


def test_published_figures_with_and_without_standard_errors_match_r():
    now, _ = _api_estimates(level=0.90)  # the interval at the estimates' own level
    published = pd.DataFrame(R["published"])
    with_se = change(now, published, year=2001, previous_year=1999, standard="cast-2024", previous_standard="cast-2024",
                     domain="stype")  # fmt: skip
    _assert_like_r(with_se, "with_se")
    fixed = change(now, published.drop(columns="se"), year=2001, previous_year=1999, standard="cast-2024",
                   previous_standard="cast-2024", domain="stype")  # fmt: skip
    _assert_like_r(fixed, "fixed")
    assert fixed["note_key"].eq("fixed_previous").all()


# ---------------------------------------------------------------- order invariance


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(range(3)), st.permutations(range(3)))
def test_row_order_changes_no_number(order_now, order_before):
    now, before = _api_estimates()
    reference = change(now, before, year=2001, previous_year=2000, standard="cast-2024", domain="stype",
                       previous_standard="cast-2024").set_index("stype").sort_index()  # fmt: skip
    shuffled = change(now.iloc[list(order_now)], before.iloc[list(order_before)], year=2001, previous_year=2000,
                      standard="cast-2024", previous_standard="cast-2024", domain="stype")
    shuffled = shuffled.set_index("stype").sort_index()
    pd.testing.assert_frame_equal(shuffled, reference)


# ---------------------------------------------------------------- literacy run with previous:


def test_a_run_with_published_previous_figures_writes_change_csv(tmp_path):
    (tmp_path / "previous.csv").write_text("city,estimate,se\nwuhai,9.0,\n", encoding="utf-8")
    config = run_config(tmp_path, previous={"estimates": "previous.csv", "year": 2020, "standard": "cast-2024",
                                            "unit": "percent"})  # fmt: skip
    result = run(config)
    written = pd.read_csv(result.outputs["change.csv"], encoding="utf-8-sig")
    estimates = pd.read_csv(result.outputs["estimates.csv"], encoding="utf-8-sig")
    wuhai = estimates[(estimates["city"] == "wuhai") & estimates["sex"].isna() & estimates["age_band"].isna()
                      & estimates["urban_rural"].isna() & estimates["education"].isna()].iloc[0]  # fmt: skip
    row = written.iloc[0]
    assert len(written) == 1 and row["city"] == "wuhai" and row["previous_estimate"] == pytest.approx(0.09)
    assert row["change"] == pytest.approx(wuhai["estimate"] - 0.09)
    assert row["change_se"] == pytest.approx(wuhai["se"])  # the 9% was published without an se: fixed
    assert row["note_key"] == "fixed_previous" and bool(row["like_for_like"])
    manifest = json.loads(result.outputs["manifest.json"].read_text(encoding="utf-8"))
    assert "change.csv" in manifest["outputs"]
    assert any(entry["path"].endswith("previous.csv") for entry in manifest["inputs"])  # hashed as an input


@pytest.fixture(scope="module")
def two_waves(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small simulated waves of the same two cities (different seeds and true rates)."""
    folder = tmp_path_factory.mktemp("waves")
    for name, instrument, rates, seed in (("w2025", "cast-2024", {"wuhai": 0.12, "xuzhou": 0.15}, 7),
                                          ("w2020", "cast-2024", {"wuhai": 0.09, "xuzhou": 0.117}, 8),
                                          ("w2015", "crisp-classic", {"wuhai": 0.05, "xuzhou": 0.07}, 9)):  # fmt: skip
        wave = simulate(instrument, rates, interviews=200, persons=4000, seed=seed)
        write_simulation(wave, folder / name, layouts=["csv"])
    return folder


def _wave_config(folder: Path, inputs: str, margins: str, **changes: object) -> Path:
    config = {
        "instrument": "cast-2024",
        "inputs": [inputs],
        "margins": margins,
        "weighting": {"method": "rake", "by": "city"},
        "design": {"strata": "district", "psu": "community"},
        "assessment": {"plans": ["wuhai-2021-2025", "xuzhou-2021-2035"], "year": 2025},
        "report": {"formats": ["md"], "lang": "en"},
        "disparities": {"sex": ["male", "female"]},
        **changes,
    }
    path = folder / f"{config['output']}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_run_with_the_previous_waves_microdata_estimates_it_the_same_way(two_waves):
    folder = two_waves
    both = run(_wave_config(folder, "w2025/responses-csv.csv", "w2025/margins.csv", output="both", previous={
        "inputs": ["w2020/responses-csv.csv"], "margins": "w2020/margins.csv", "year": 2020}))  # fmt: skip
    # The earlier wave run on its own: its city rows are what `previous:` compared with.
    alone = run(_wave_config(folder, "w2020/responses-csv.csv", "w2020/margins.csv", output="alone"))
    table = pd.read_csv(both.outputs["change.csv"], encoding="utf-8-sig").set_index("city")
    earlier = pd.read_csv(alone.outputs["estimates.csv"], encoding="utf-8-sig")
    earlier = earlier[earlier["breakdown"] == "city"].set_index("city")
    now = pd.read_csv(both.outputs["estimates.csv"], encoding="utf-8-sig")
    now = now[now["breakdown"] == "city"].set_index("city")
    assert sorted(table.index) == ["wuhai", "xuzhou"]
    for city in table.index:
        assert table.loc[city, "previous_estimate"] == pytest.approx(earlier.loc[city, "estimate"], rel=1e-12)
        assert table.loc[city, "previous_se"] == pytest.approx(earlier.loc[city, "se"], rel=1e-12)
        assert table.loc[city, "change_se"] ** 2 == pytest.approx(now.loc[city, "se"] ** 2
                                                                   + earlier.loc[city, "se"] ** 2)  # fmt: skip
    assert table["like_for_like"].all() and (table["previous_standard"] == "cast-2024").all()
    assert "previous_estimates.csv" in both.outputs


def test_an_earlier_wave_scored_under_another_standard_is_not_like_for_like(two_waves):
    result = run(_wave_config(two_waves, "w2025/responses-csv.csv", "w2025/margins.csv", output="classic", previous={
        "inputs": ["w2015/responses-csv.csv"], "instrument": "crisp-classic", "margins": "w2015/margins.csv",
        "year": 2015}))  # fmt: skip
    table = pd.read_csv(result.outputs["change.csv"], encoding="utf-8-sig")
    assert (table["previous_standard"] == "crisp-classic").all() and (table["standard"] == "cast-2024").all()
    assert not table["like_for_like"].any() and (table["note_key"] == "different_standards").all()
    assert table["previous_se"].gt(0).all()  # estimated from its microdata: a standard error, not fixed


def test_a_previous_wave_of_a_weighted_survey_needs_its_margins(two_waves, tmp_path):
    config = _wave_config(two_waves, "w2025/responses-csv.csv", "w2025/margins.csv", output="nomargins",
                          previous={"inputs": ["w2020/responses-csv.csv"], "year": 2020})  # fmt: skip
    with pytest.raises(LiteracyError, match="give its margins under previous:"):
        run(config, output=tmp_path / "out")


# ---------------------------------------------------------------- bad inputs: one sentence


@pytest.mark.parametrize(
    ("previous", "kwargs", "sentence"),
    [
        (pd.DataFrame({"city": ["wuhai"], "rate": [0.1]}), {}, "need an estimate column"),
        (pd.DataFrame({"city": ["wuhai"], "estimate": [9.0]}), {}, "It looks like percent"),
        (pd.DataFrame({"city": ["wuhia"], "estimate": [0.09]}), {}, "name wuhia, which the current estimates"),
        (pd.DataFrame({"city": ["wuhai", "wuhai"], "estimate": [0.09, 0.1]}), {}, "more than one row for wuhai"),
        (pd.DataFrame({"city": ["wuhai"], "estimate": [0.09], "se": ["n/a"]}), {}, "leave se blank"),
        (pd.DataFrame({"city": ["wuhai"], "estimate": [None]}), {}, "not a number"),
        (pd.DataFrame({"estimate": [0.09, 0.1]}), {}, "no 'city' column saying whose each is"),
        (pd.DataFrame({"city": ["wuhai"], "estimate": [0.09]}), {"previous_year": None}, "which year"),
        (pd.DataFrame({"city": ["wuhai"], "estimate": [0.09]}), {"previous_standard": None}, "which standard"),
        (pd.DataFrame({"city": ["wuhai"], "estimate": [0.09]}), {"unit": "points"}, "proportion or percent"),
    ],
)
def test_bad_previous_figures_are_one_sentence(previous, kwargs, sentence):
    settings = {"year": 2025, "previous_year": 2020, "standard": "cast-2024", "previous_standard": "cast-2024"}
    with pytest.raises(LiteracyError, match=sentence) as caught:
        change(_current(), previous, **{**settings, **kwargs})
    assert "\n" not in str(caught.value)


def test_the_change_command_and_its_errors(tmp_path):
    current, previous = tmp_path / "current.csv", tmp_path / "previous.csv"
    _current(df=[40, 40]).to_csv(current, index=False)
    previous.write_text("city,estimate,se\nwuhai,11,\nxuzhou,17,1.5\n", encoding="utf-8")
    runner = CliRunner()
    args = ["change", str(current), str(previous), "--year", "2025", "--previous-year", "2020",
            "--standard", "cast-2024", "--previous-standard", "cast-2024"]  # fmt: skip
    wrong = runner.invoke(main, args)
    assert wrong.exit_code == 1 and "--previous-unit percent" in wrong.output and "Traceback" not in wrong.output
    done = runner.invoke(main, [*args, "--previous-unit", "percent", "-o", str(tmp_path / "change.csv")])
    assert done.exit_code == 0, done.output
    table = pd.read_csv(tmp_path / "change.csv", encoding="utf-8-sig").set_index("city")
    assert table.loc["xuzhou", "change_se"] == pytest.approx(math.hypot(0.02, 0.015))
    assert table.loc["wuhai", "note_key"] == "fixed_previous" and "wuhai: The earlier figure" in done.output
    # The report command takes the table back.
    assessment = tmp_path / "assessment.csv"
    assert runner.invoke(main, ["gap", str(current), "--plan", "wuhai-2021-2025", "--year", "2025",
                                "-o", str(assessment)]).exit_code == 0  # fmt: skip
    shown = runner.invoke(main, ["report", str(assessment), "--change", str(tmp_path / "change.csv"), "--lang", "en",
                                 "-o", str(tmp_path / "report.md")])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "Change since the previous survey" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_a_configuration_names_published_figures_or_microdata_not_both(tmp_path):
    config = run_config(tmp_path, previous={"estimates": "p.csv", "inputs": ["a.csv"], "year": 2020})
    with pytest.raises(LiteracyError, match="give one of them"):
        run(config)
    config = run_config(tmp_path, previous={"year": 2020})
    with pytest.raises(LiteracyError, match="needs estimates: FILE"):
        run(config)
    config = run_config(tmp_path, previous={"estimates": "p.csv", "unit": "percentage"})
    with pytest.raises(LiteracyError, match=r"previous\.unit is 'percentage'"):
        run(config)


def test_the_schema_words_are_those_of_the_function():
    assert get_args(PreviousUnit) == PREVIOUS_UNITS


# ---------------------------------------------------------------- what a new user got wrong (reports-findings)


def _change_files(tmp_path: Path, previous: str) -> list[str]:
    """CURRENT and PREVIOUS written as files, and the arguments of `literacy change` on them."""
    current, earlier = tmp_path / "current.csv", tmp_path / "previous.csv"
    _current(df=[40, 40]).to_csv(current, index=False)
    earlier.write_text(previous, encoding="utf-8")
    return ["change", str(current), str(earlier), "--year", "2025", "--previous-year", "2020", "--standard",
            "cast-2024", "--previous-standard", "cast-2024", "-o", str(tmp_path / "change.csv")]  # fmt: skip


def _refused(args: list[str], tmp_path: Path, *sentences: str) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    for sentence in sentences:
        assert sentence in result.output, result.output
    assert not (tmp_path / "change.csv").exists()
    return result.output


def test_percent_over_proportions_is_refused(tmp_path):
    # Finding 1: unit percent over a file of proportions made 0.09 "0.09%" and a change of +11 points.
    args = _change_files(tmp_path, "city,estimate,se\nwuhai,0.09,\nxuzhou,0.117,0.01\n")
    _refused([*args, "--previous-unit", "percent"], tmp_path, "all below 1", "leave out --previous-unit percent")
    config = run_config(tmp_path / "run", previous={"estimates": str(tmp_path / "previous.csv"), "year": 2020,
                                                    "standard": "cast-2024", "unit": "percent"})  # fmt: skip
    with pytest.raises(LiteracyError, match="not plausible as percent"):
        run(config, output=tmp_path / "out")
    assert not (tmp_path / "out" / "change.csv").exists() and not (tmp_path / "out" / "report.md").exists()
    # Percent that holds percent still works (a proportion's file is read as it is).
    assert CliRunner().invoke(main, args).exit_code == 0


def test_a_standard_error_in_points_next_to_proportions_is_refused(tmp_path):
    # Finding 2: se 1.2 (points) beside estimates 0.09 gave a previous se of "120.00" and intervals of +-300 points.
    args = _change_files(tmp_path, "city,estimate,se\nwuhai,0.09,1.2\nxuzhou,0.117,1.5\n")
    _refused(args, tmp_path, "standard error for wuhai is 1.2, more than a proportion's can be (at most 0.5)",
             "give 0.012 for 1.2 points")  # fmt: skip
    too_large = _change_files(tmp_path, "city,estimate,se\nwuhai,9,60\n")
    _refused([*too_large, "--previous-unit", "percent"], tmp_path, "more than a percent's can be (at most 50).")


@pytest.mark.parametrize("option", ["--standard", "--previous-standard"])
def test_a_misspelt_standard_is_not_a_known_instrument(tmp_path, option):
    # Finding 3: cast-2042 was taken as a standard of its own, every row "not like for like".
    args = _change_files(tmp_path, "city,estimate\nwuhai,0.09\n")
    args[args.index(option) + 1] = "cast-2042"
    output = _refused(args, tmp_path, "'cast-2042' is not a known instrument", "cast-2024, crisp-classic")
    assert len(output.strip().splitlines()) == 1
    # The same check as -q: an instrument file is a standard too, and compared by its id.
    copy = tmp_path / "local.yaml"
    copy.write_text((REPO / "questionnaires" / "cast-2024.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    args[args.index(option) + 1] = str(copy)
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert pd.read_csv(tmp_path / "change.csv", encoding="utf-8-sig")["like_for_like"].all()


def test_a_misspelt_standard_in_a_run_or_the_file_is_refused(tmp_path):
    (tmp_path / "previous.csv").write_text("city,estimate\nwuhai,0.09\n", encoding="utf-8")
    config = run_config(tmp_path, previous={"estimates": "previous.csv", "year": 2020, "standard": "crisp-clasic"})
    with pytest.raises(LiteracyError, match="previous standard 'crisp-clasic' is not a known instrument") as caught:
        run(config)
    assert "\n" not in str(caught.value) and not (tmp_path / "out").exists()  # refused before any work
    per_row = pd.DataFrame({"city": ["wuhai"], "estimate": [0.09], "standard": ["crisp-clasic"]})
    with pytest.raises(LiteracyError, match="'crisp-clasic' is not a known instrument"):
        change(_current(), per_row, year=2025, previous_year=2020, standard="cast-2024")


def test_reversed_years_are_refused(tmp_path):
    # Finding 4: --year 2020 --previous-year 2025 gave a table with the years swapped.
    args = _change_files(tmp_path, "city,estimate\nwuhai,0.09\n")
    args[args.index("--year") + 1], args[args.index("--previous-year") + 1] = "2020", "2025"
    _refused(args, tmp_path, "previous survey's year 2025 is not before this survey's year 2020")
    args[args.index("--year") + 1] = "2025"  # the same year is not a previous survey either
    _refused(args, tmp_path, "year 2025 is not before")
    (tmp_path / "previous.csv").write_text("city,estimate\nwuhai,0.09\n", encoding="utf-8")
    config = run_config(tmp_path, previous={"estimates": "previous.csv", "year": 2024, "standard": "cast-2024"})
    with pytest.raises(LiteracyError, match="previous: year 2024 is not before the survey year 2024"):
        run(config)
    assert not (tmp_path / "out").exists()


def test_previous_figures_without_a_city_column_say_so(tmp_path):
    # Finding 13: "The previous figures name (overall), which the current estimates do not have".
    args = _change_files(tmp_path, "estimate,se\n0.09,0.01\n")
    output = _refused(args, tmp_path, "need a city column saying whose figure each is", "wuhai, xuzhou")
    assert "(overall)" not in output
    blank = _change_files(tmp_path, "city,estimate\n,0.09\nwuhai,0.1\n")
    _refused(blank, tmp_path, "has no city (a blank cell)")


def test_group_gaps_with_a_group_at_0_percent_are_flagged():
    # Finding 6: 0 of 35 farmers in Wuhai are literate; the gap showed p<0.001 with an empty note.
    from literacy import read, score, validate
    from literacy.assessment import disparities
    from literacy.groups import add_groups
    from literacy.pipeline import sample_data_dir
    from literacy.report.data import ReportData
    from literacy.report.tables import disparities_table

    answers = read(sample_data_dir() / "responses-spss.sav", "cast-2024", platform="spss")
    scored = add_groups(score(validate(answers, "cast-2024").clean, "cast-2024"))
    design = Design(scored[scored["scorable"]].reset_index(drop=True), weight="base_weight", strata="district",
                    psu="community")  # fmt: skip
    table = disparities(design, "literate", {"group_farmer": (1, 0), "group_cadre_civil_servant": (1, 0),
                                             "sex": ("male", "female")}, domain="city", domains=["wuhai"])  # fmt: skip
    rows = table.set_index("group")
    farmers, cadres, sex = rows.loc["group_farmer"], rows.loc["group_cadre_civil_servant"], rows.loc["sex"]
    assert farmers["estimate_first"] == 0 and farmers["n_first"] == 35
    # A group with too few PSUs of its own is flagged as its estimate is (df below 8), though the gap's df is 45.
    own = estimate(design, "literate", ["city", "group_farmer"], labels="codes").set_index(["city", "group_farmer"])
    assert own.loc[("wuhai", 1), "df"] < 8 and "low_df" in own.loc[("wuhai", 1), "flags"]
    assert farmers["flags"] == "group_at_0_or_100;group_low_df" and farmers["df"] == 45
    assert cadres["n_first"] < 30 and cadres["flags"] == "low_n_eff;group_low_df"  # the estimates table's rules
    assert sex["flags"] == "" and sex["n_first"] + sex["n_second"] == (design.data["city"] == "wuhai").sum()
    assert list(table.columns[-3:]) == ["n_second", "flags", "note"]
    shown = disparities_table(ReportData(pd.DataFrame(), disparities=table), "zh", text=True)
    notes = shown.frame.iloc[:, -1].tolist()
    assert "一组估计为0或100%" in notes[0] and "有效样本量过小" in notes[1] and notes[2] == ""
    assert "自由度不足" in notes[0] and "自由度不足" in notes[1]
    assert shown.grey == [True, True, False]
    english = disparities_table(ReportData(pd.DataFrame(), disparities=table), "en", text=True)
    assert "0 or 100%" in english.frame.iloc[0, -1]


def test_the_previous_waves_rows_are_reported(two_waves):
    # Finding 14: the earlier wave's rows read / clean / rejected appeared nowhere.
    config = _wave_config(two_waves, "w2025/responses-csv.csv", "w2025/margins.csv", output="counted",
                          previous={"inputs": ["w2020/responses-csv.csv"], "margins": "w2020/margins.csv",
                                    "year": 2020}, report={"formats": ["md", "json"], "lang": "en"})  # fmt: skip
    result = CliRunner().invoke(main, ["run", str(config)])
    assert result.exit_code == 0, result.output
    raw = pd.read_csv(two_waves / "w2020" / "responses-csv.csv", dtype=str)
    folder = two_waves / "counted"
    counts = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["row_counts"]
    assert counts["previous_input_rows"] == len(raw)
    assert counts["previous_clean_rows"] + counts["previous_rejected_rows"] == len(raw)
    assert f"Previous wave: {len(raw)} interviews read = {counts['previous_clean_rows']} clean + " \
           f"{counts['previous_rejected_rows']} rejected; {counts['previous_scored_rows']} scored." in result.output
    methods = json.loads((folder / "report.json").read_text(encoding="utf-8"))["methods"]["previous"]
    assert methods["survey_year"] == 2020 and methods["sample"]["interviews_read"] == len(raw)
    assert methods["sample"]["rejected"] == counts["previous_rejected_rows"]
    assert "Previous survey" in (folder / "report.md").read_text(encoding="utf-8")


def test_a_small_groups_gap_interval_stays_within_100_points(two_waves):
    # Three cadres in Xuzhou with 5 design df: the interval of their gap reached +118 points, and the run's own
    # report then refused its disparities table as "a percentage".
    config = _wave_config(two_waves, "w2025/responses-csv.csv", "w2025/margins.csv", output="cadres",
                          disparities={"group_cadre_civil_servant": [1, 0]})  # fmt: skip
    result = run(config)
    table = pd.read_csv(result.outputs["disparities.csv"], encoding="utf-8-sig").set_index("jurisdiction")
    xuzhou = table.loc["xuzhou"]
    assert xuzhou["n_first"] < 10 and xuzhou["flags"] == "low_n_eff;group_low_df"
    assert xuzhou["ci_upper"] == 1.0 and xuzhou["estimate"] + 2.57 * xuzhou["se"] > 1  # t(0.975, 5) = 2.57
    assert table["ci_lower"].ge(-1).all() and "report.md" in result.outputs


def test_the_readme_synopsis_says_the_previous_standard_is_needed(tmp_path):
    # Finding 12: the synopsis showed [--previous-standard ID] as optional, yet every call without it failed.
    synopsis = next(line for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
                    if line.strip().startswith("literacy change CURRENT"))  # fmt: skip
    assert "--previous-standard ID" in synopsis and "[--previous-standard" not in synopsis
    args = _change_files(tmp_path, "city,estimate\nwuhai,0.09\n")
    del args[args.index("--previous-standard") : args.index("--previous-standard") + 2]
    _refused(args, tmp_path, "Say which standard the previous figures were scored under (--previous-standard")
    (tmp_path / "previous.csv").write_text("city,estimate,standard\nwuhai,0.09,crisp-classic\n", encoding="utf-8")
    assert CliRunner().invoke(main, args).exit_code == 0  # a standard column is the other way to say it
