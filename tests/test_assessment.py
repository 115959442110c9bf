"""Target-gap assessment against hand-worked cases. Every share is a
proportion (0.12 for 12%); plans hold percent as their documents do."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from literacy import LiteracyError
from literacy.assessment import counted_progress, gap
from literacy.errors import command_line
from literacy.plans import parse_plan

WUHAI = "wuhai-2021-2025"  # baseline 2020: 9%; target 2025: at least 12%
SHENZHEN = "shenzhen-2022-2025"  # baseline 2020: 21.1%; target 2025: more than 25%


def estimates(city: str, rate: float, se: float, df: float = 100.0, level: float = 0.95) -> pd.DataFrame:
    """One estimate row with a t interval (as `literacy estimate --ci wald` gives)."""
    half = stats.t.ppf(0.5 + level / 2, df) * se if se else 0.0
    return pd.DataFrame({"city": [city], "estimate": [rate], "se": [se], "ci_lower": [rate - half],
                         "ci_upper": [rate + half], "df": [df], "n": [800], "flags": [""]})  # fmt: skip


def one(rate: float, se: float, plan: str = WUHAI, year: int = 2023, city: str = "wuhai", **kw) -> pd.Series:
    return gap(estimates(city, rate, se, **kw), plan, year=year, lang="en").iloc[0]


def test_target_already_met_with_the_one_sided_t_test():
    row = one(0.30, 0.01, plan=SHENZHEN, city="shenzhen", year=2024)
    assert row["status"] == "met"
    # t = (0.30 - 0.25) / 0.01 = 5 on 100 df.
    assert row["p_value_met"] == pytest.approx(stats.t.sf(5.0, 100))
    assert row["target"] == pytest.approx(0.25) and row["estimate"] == pytest.approx(0.30)
    assert row["gap"] == pytest.approx(0.05)
    assert row["gap_lower"] == pytest.approx(0.05 - 0.01 * stats.t.ppf(0.975, 100))
    assert "Met" in row["evidence"] and "more than 25%" in row["evidence"]
    assert "the estimate 30.0% (95% CI 28.0–32.0)" in row["evidence"]


def test_interval_straddling_the_target_cannot_tell():
    row = one(0.12, 0.015)
    assert row["status"] == "cannot_tell"
    assert row["gap_lower"] < 0 < row["gap_upper"]
    assert "Cannot tell from this sample" in row["evidence"]


def test_clearly_below_is_not_met():
    row = one(0.08, 0.005, year=2025)
    assert row["status"] == "not_met"
    assert row["p_value_not_met"] == pytest.approx(stats.t.cdf((0.08 - 0.12) / 0.005, 100))


def test_on_track_paths_and_growth_needed():
    """Wuhai, survey 2023: required growth (12/9)^(1/5) - 1 = 5.92% a year
    (0.0592); an estimate of 11% grew (11/9)^(1/3) - 1 = 6.92% a year: ratio 1.17."""
    row = one(0.11, 0.001)
    assert row["baseline"] == pytest.approx(0.09)
    assert row["required_growth"] == pytest.approx((12 / 9) ** 0.2 - 1)
    assert row["observed_growth"] == pytest.approx((11 / 9) ** (1 / 3) - 1)
    assert row["progress_ratio"] == pytest.approx(((11 / 9) ** (1 / 3) - 1) / ((12 / 9) ** 0.2 - 1))
    assert row["progress"] == "on_track"
    assert row["path_linear"] == pytest.approx(0.09 + 0.03 * 3 / 5)  # 10.8%
    assert row["path_compound"] == pytest.approx(0.09 * (12 / 9) ** 0.6)  # 10.70%
    assert row["gap_to_path_linear"] == pytest.approx(0.11 - 0.108)
    assert row["growth_needed"] == pytest.approx((12 / 11) ** 0.5 - 1)
    assert row["increase_per_year_needed"] == pytest.approx(0.005)  # half a point a year


def test_progress_categories_at_the_interval_ends():
    # 10.32% in 2023: (10.32/9)^(1/3) - 1 = 4.67% a year against 5.92% needed: ratio 0.79 (CI 0.73-0.85).
    assert one(0.1032, 0.0005)["progress"] == "acceleration_needed"
    assert one(0.092, 0.0005)["progress"] == "limited_progress"  # ratio 0.12
    wide = one(0.10, 0.01)  # the interval runs from deterioration to target achieved
    assert wide["progress"] == "indeterminate"
    assert wide["progress_ratio_lower"] < 0 < 1 < wide["progress_ratio_upper"]


def test_deterioration_below_the_baseline():
    row = one(0.08, 0.001)
    assert row["progress_ratio"] < 0
    assert row["progress"] == "deterioration"


def test_more_than_versus_at_least_at_equality():
    # A census (se 0) exactly at the target: "at least 12%" is met, "more than 25%" is not.
    assert one(0.12, 0.0)["status"] == "met"
    assert one(0.12, 0.0)["progress"] == "target_achieved"
    assert one(0.25, 0.0, plan=SHENZHEN, city="shenzhen")["status"] == "not_met"
    assert one(0.25, 0.0, plan=SHENZHEN, city="shenzhen")["progress"] != "target_achieved"


def test_a_plan_with_no_baseline():
    row = one(0.07, 0.003, plan="guizhou-2020", city="guizhou", year=2020)
    assert row["status"] in {"met", "cannot_tell"} and row["target"] == pytest.approx(0.065)
    assert math.isnan(row["path_linear"]) and row["progress"] == "not_assessed"
    assert "No published baseline" in row["note"]


def test_a_survey_year_past_the_target_year():
    row = one(0.13, 0.004, year=2027)
    assert row["target_year"] == 2025
    assert row["path_linear"] == pytest.approx(0.12) and row["path_compound"] == pytest.approx(0.12)
    assert math.isnan(row["growth_needed"])
    assert "after the target year 2025" in row["note"]


def test_chinese_wording():
    # Chinese is the default, as in report(), estimate() and the CLI.
    row = gap(estimates("shenzhen", 0.30, 0.01), SHENZHEN, year=2024).iloc[0]
    assert row["name"] == "深圳市" and row["evidence"].startswith("已达到") and "超过25%" in row["evidence"]
    assert "估计值 30.0%" in row["evidence"]


def test_matching_rows_and_errors():
    table = pd.concat([estimates("wuhai", 0.11, 0.01), estimates("xuzhou", 0.13, 0.01)], ignore_index=True)
    both = gap(table, [WUHAI, "xuzhou-2021-2035"], year=2023, lang="en")
    assert both["jurisdiction"].tolist() == ["wuhai", "xuzhou"]
    # A one-city survey without a city column uses its overall row.
    alone = gap(estimates("x", 0.11, 0.01).drop(columns="city"), WUHAI, year=2023)
    assert alone["jurisdiction"].tolist() == ["wuhai"]
    with pytest.raises(LiteracyError, match="No estimate for shenzhen"):
        gap(table, SHENZHEN, year=2023)
    with pytest.raises(LiteracyError, match="lacks se"):
        gap(table.drop(columns="se"), WUHAI, year=2023)


def test_plan_without_rate_target():
    row = one(0.1, 0.01, plan="inner-mongolia-2024", city="inner-mongolia", year=2025)
    assert row["status"] == "no_target"


def test_counted_targets_against_actuals():
    actuals = pd.DataFrame({
        "target": ["farmers_trained", "city_bases", "city_bases", "city_bases", "activity_coverage"],
        "year": [2023, 2021, 2022, 2023, 2023],
        "value": [11000, 5, 8, 7, 0.82],  # coverage is a share: 0.82, as every table holds shares
    })  # fmt: skip
    table = counted_progress("xuzhou-2021-2035", actuals, year=2023, lang="en").set_index("target")
    assert table.loc["farmers_trained", "status"] == "behind"  # 11,000 of 12,000 a year
    # Cumulative: 20 city-level bases by 2023 against 30 by 2025; pro rata 3/5 x 30 = 18.
    assert table.loc["city_bases", "achieved"] == 20
    assert table.loc["city_bases", "expected_by_now"] == pytest.approx(18)
    assert table.loc["city_bases", "status"] == "on_track"
    assert table.loc["farmers_trained", "share_of_target"] == pytest.approx(11000 / 12000)  # 0.92, not 92
    assert table.loc["activity_coverage", "status"] == "target_achieved"  # 82% >= 80%
    assert table.loc["activity_coverage", "target_value"] == pytest.approx(0.80)  # the plan's 80%
    assert table.loc["activity_coverage", "unit"] == "share"
    with pytest.raises(LiteracyError, match=r"The actual 82 for activity_coverage is not a proportion.*give 0.82"):
        counted_progress("xuzhou-2021-2035", actuals.replace({0.82: 82}), year=2023)
    assert table.loc["provincial_bases", "status"] == "no_data"
    with pytest.raises(LiteracyError, match="no counted target 'bridges'"):
        counted_progress("xuzhou-2021-2035", pd.DataFrame({"target": ["bridges"], "year": [2023], "value": [1]}),
                         year=2023)  # fmt: skip


def test_a_user_plan_file_is_checked_and_every_number_needs_a_source():
    raw = {
        "id": "mine", "jurisdiction": {"code": "x", "name": {"zh": "某市", "en": "X"}, "level": "city"},
        "document": {"issuer": {"zh": "a", "en": "a"}, "title": {"zh": "t", "en": "t"}, "number": "1", "date": "2024"},
        "period": [2021, 2025],
        "baselines": [{"year": 2020, "value": 9.0}],
        "targets": [{"year": 2025, "value": 120, "comparator": "roughly", "source": "s"}],
    }  # fmt: skip
    with pytest.raises(LiteracyError) as error:
        parse_plan(raw, source="mine.yaml")
    details = "\n".join(error.value.details)
    assert "baselines[0]: every number needs a `source`" in details
    assert "comparator 'roughly'" in details and "not a percentage" in details


def test_a_one_sided_decision_inside_the_two_sided_interval_says_so():
    # 26.8% with se 1.0: one-sided p = 0.037 < 0.05 (met), but the 95% interval 24.8-28.8 reaches 25%.
    row = one(0.268, 0.01, plan=SHENZHEN, city="shenzhen", year=2024)
    assert row["status"] == "met" and row["ci_lower"] < 25
    assert "the two-sided interval still reaches the target" in row["evidence"]
    assert "still" not in one(0.30, 0.01, plan=SHENZHEN, city="shenzhen", year=2024)["evidence"]


def _crossed(rows: list[tuple[str | None, str | None, float]]) -> pd.DataFrame:
    """Estimates with city and sex domain columns (None: the column not used)."""
    frames = []
    for city, sex, rate in rows:
        frame = estimates(city, rate, 0.01)
        frame.insert(1, "sex", [sex])
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table[["city", "sex"]] = table[["city", "sex"]].astype("string")
    return table


def test_only_crossed_estimates_name_the_breakdown_and_the_fix():
    crossed = _crossed([("wuhai", "male", 0.12), ("wuhai", "female", 0.10), ("xuzhou", "male", 0.13)])
    with pytest.raises(LiteracyError) as error:
        gap(crossed, WUHAI, year=2023)
    message = str(error.value)
    assert message.startswith("No estimate for wuhai alone: the estimates are broken down by city and sex together")
    assert "by=[['city'], ['city', 'sex']]" in message and "--by" not in message  # Python terms from Python
    with command_line(), pytest.raises(LiteracyError, match="--by city --by city,sex"):  # the CLI's terms
        gap(crossed, WUHAI, year=2023)
    # With the city rows added, the same table works.
    fixed = pd.concat([_crossed([("wuhai", None, 0.11)]), crossed], ignore_index=True)
    assert gap(fixed, WUHAI, year=2023)["estimate"].tolist() == [pytest.approx(0.11)]


def test_the_national_plan_needs_the_overall_row_and_says_so():
    by_city = pd.concat([estimates("wuhai", 0.11, 0.01), estimates("xuzhou", 0.13, 0.01)], ignore_index=True)
    with pytest.raises(LiteracyError) as error:
        gap(by_city, "national-2021-2035", year=2023)
    message = str(error.value)
    assert "no overall row" in message and "by=[[], ['city']]" in message
    assert "estimate by city" not in message  # the city rows are there; the overall row is missing
    overall = estimates("x", 0.14, 0.01).assign(city=pd.NA)
    row = gap(pd.concat([overall, by_city], ignore_index=True), "national-2021-2035", year=2023).iloc[0]
    assert row["jurisdiction"] == "china" and row["estimate"] == pytest.approx(0.14)
    assert row["target"] == pytest.approx(0.15)


def test_the_sentence_names_the_interval_level_the_estimates_were_made_at():
    """The evidence said "95%" whatever --level the estimates had."""
    import literacy
    from literacy.pipeline import sample_data_dir

    data = sample_data_dir()
    raw = literacy.read(data / "responses-spss.sav", "cast-2024")
    scored = literacy.add_groups(literacy.score(literacy.validate(raw, "cast-2024").clean, "cast-2024"))
    margins = literacy.read_margins(data / "margins.csv", by="city")
    weighted = literacy.weight(scored, margins, base_weight="base_weight")
    rates = literacy.estimate(weighted.design(strata="district", psu="community"), "literate", "city", level=0.90)
    sentence = gap(rates, ["xuzhou-2021-2035"], year=2025, lang="en")["evidence"].item()
    assert "90% CI" in sentence and "95%" not in sentence
