"""Target-gap assessment: is a jurisdiction on course for its plan's target?

Units (README "Units"): every share in the tables this module returns is a
proportion from 0 to 1, and a gap is a difference of proportions (0.023 is
2.3 points); plan files hold percent as their documents word them, and
:func:`plan_share` is the one place a plan's percent becomes a proportion.
Percent is formatting, applied by the reports and ``--format table``.

For each jurisdiction with an estimate:

* the gap to the target in percentage points, with its interval (the
  estimate's interval shifted by the target);
* the evidence that the target is already met: a one-sided t test of the
  estimate against the target with the design degrees of freedom (R survey's
  ``degf``), reported as "met" (p < alpha that the rate is at or below the
  target), "not met" (p < alpha that it is at or above) or "cannot tell from
  this sample". A census-like estimate (se 0) is compared directly, and then
  "more than" (超过) needs the rate above the target while "at least" (达到)
  accepts equality;
* the value the straight path from the latest published baseline to the target
  requires in the survey year, linear and compound, and the gap to each;
* the progress ratio of observed to required compound annual growth, as in
  Eurostat's SDG progress assessment and open-sdg's ``progress_calculation``:
  target achieved; on track (ratio >= 0.95); acceleration needed (0.60-0.95);
  limited progress (0-0.60); deterioration (< 0). It is computed at the
  interval ends too and called "indeterminate" when they fall in different
  categories;
* the annual growth now needed to reach the target on time.

Counted targets (farmers trained, bases built, ...) are compared with a
user's table of actuals: progress against the target and against the
pro-rata expectation for the elapsed part of the plan period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from literacy.errors import LiteracyError, spell
from literacy.instrument import Instrument, Text, load_instrument, shipped_ids
from literacy.labels import domain_columns
from literacy.plans import CountedTarget, Plan, load_plan

STATUSES = {
    "met": Text("已达到", "met"),
    "not_met": Text("未达到", "not met"),
    "cannot_tell": Text("无法判断（样本不足以区分）", "cannot tell from this sample"),
    "no_target": Text("无目标", "no target"),
}
PROGRESS = {
    "target_achieved": Text("已实现目标", "target achieved"),
    "on_track": Text("进度正常", "on track"),
    "acceleration_needed": Text("需加快进度", "acceleration needed"),
    "limited_progress": Text("进展有限", "limited progress"),
    "deterioration": Text("倒退", "deterioration"),
    "indeterminate": Text("不确定（区间跨越类别）", "indeterminate (the interval spans categories)"),
    "not_assessed": Text("无法评估", "not assessed"),
}
# The status of a counted target (counted_progress): the first two are PROGRESS's words.
COUNTED_STATUSES = {
    "target_achieved": PROGRESS["target_achieved"],
    "on_track": PROGRESS["on_track"],
    "behind": Text("落后于进度", "behind schedule"),
    "no_data": Text("无数据", "no data"),
}
# What each number column of the returned tables holds, for the reports and
# `--format table`: "percent" a proportion shown as 12.3% (shares, growth
# rates), "points" a difference of proportions shown as +2.3 points, "se" a
# standard error shown in points. Columns not named are not shares.
ASSESSMENT_UNITS = {
    "estimate": "percent",
    "ci_lower": "percent",
    "ci_upper": "percent",
    "se": "se",
    "target": "percent",
    "gap": "points",
    "gap_lower": "points",
    "gap_upper": "points",
    "baseline": "percent",
    "path_linear": "percent",
    "path_compound": "percent",
    "gap_to_path_linear": "points",
    "gap_to_path_compound": "points",
    "observed_growth": "percent",
    "required_growth": "percent",
    "growth_needed": "percent",
    "increase_per_year_needed": "points",
}
DISPARITY_UNITS = {
    "estimate_first": "percent",
    "estimate_second": "percent",
    "estimate": "points",
    "se": "se",
    "ci_lower": "points",
    "ci_upper": "points",
}
# The flags of a group-gap row (``disparities``), in the words of the
# estimates table's flags: "low_n_eff" is its key for the same rule.
DISPARITY_FLAGS = {
    "group_at_0_or_100": Text("一组估计为0或100%，差距的区间和检验不可靠",
                              "a group's estimate is 0 or 100%: the gap's interval and test are not reliable"),
    "low_n_eff": Text("一组有效样本量过小", "a group's effective sample size is too small"),
    "group_low_df": Text("一组的自由度不足（初级抽样单位太少），差距的区间和检验不可靠",
                         "a group has too few degrees of freedom (too few PSUs): the gap's interval and test "
                         "are not reliable"),
}  # fmt: skip
# A counted target worded in percent (unit "%" in the plan) is a share: its
# target, achieved and expected values are proportions ("if_share": percent in
# the rows whose unit is SHARE_UNIT), other targets count persons, bases, ...
# The shares of the target reached may pass 1 (120% of the target).
SHARE_UNIT = Text("比例", "share")
COUNTED_UNITS = {
    "target_value": "if_share",
    "achieved": "if_share",
    "expected_by_now": "if_share",
    "share_of_target": "percent",
    "share_of_expected": "percent",
}
# Eurostat / open-sdg progress ratio thresholds.
ON_TRACK, ACCELERATION = 0.95, 0.60
ASSESSMENT_COLUMNS = [
    "jurisdiction",
    "name",
    "plan",
    "year",
    "estimate",
    "ci_lower",
    "ci_upper",
    "se",
    "df",
    "n",
    "flags",
    "target_year",
    "target",
    "comparator",
    "target_wording",
    "gap",
    "gap_lower",
    "gap_upper",
    "p_value_met",
    "p_value_not_met",
    "status",
    "evidence",
    "baseline_year",
    "baseline",
    "path_linear",
    "path_compound",
    "gap_to_path_linear",
    "gap_to_path_compound",
    "observed_growth",
    "required_growth",
    "progress_ratio",
    "progress_ratio_lower",
    "progress_ratio_upper",
    "progress",
    "growth_needed",
    "increase_per_year_needed",
    "note",
]


def plan_share(percent: float) -> float:
    """A plan's number (percent, as its document words it) as the proportion
    every table holds: the one conversion, so that no caller divides by 100."""
    return percent / 100


@dataclass(frozen=True)
class Settings:
    year: int
    alpha: float = 0.05
    domain: str = "city"
    lang: str = "zh"


def gap(
    estimates: pd.DataFrame,
    plans: list[Plan] | list[str] | list[Plan | str] | Plan | str,
    *,
    year: int,
    domain: str = "city",
    alpha: float = 0.05,
    lang: str = "zh",
) -> pd.DataFrame:
    """One row per plan whose jurisdiction has an estimate in ``estimates``.

    A plan matches the row whose ``domain`` column equals the plan's
    jurisdiction code and whose other domain columns are empty; a single plan
    with no such row uses the table's overall row (a one-city survey, or the
    national plan against a national sample). Shares are proportions 0-1
    (see the module docstring); ``lang`` (zh by default, as everywhere in the
    API and CLI) is the language of the names and sentences.
    """
    if not 0 < alpha < 0.5:
        raise LiteracyError(f"alpha must be between 0 and 0.5, not {alpha}.")
    loaded = [load_plan(p) for p in (plans if isinstance(plans, list) else [plans])]
    if not loaded:
        raise LiteracyError(f"Name at least one plan ({spell('--plan ID or FILE', 'a plan id, file or Plan')}).")
    _require_estimate_columns(estimates)
    settings = Settings(year, alpha, domain, lang)
    rows = []
    # The interval level the estimates were made at (their metadata; a CSV
    # keeps it in its sidecar), so the sentence names the interval it quotes.
    level = float((estimates.attrs.get("estimate") or {}).get("level", 0.95))
    for plan in loaded:
        row = _jurisdiction_row(estimates, plan, domain, single=len(loaded) == 1)
        if row is None:
            continue
        row = row.copy()
        row["level_ci"] = level
        rows.append(assess_one(row, plan, settings))
    if not rows:
        raise LiteracyError(_no_estimate(estimates, loaded, domain))
    table = pd.DataFrame(rows, columns=ASSESSMENT_COLUMNS)
    table.attrs = {
        "assessment": {
            "year": year,
            "alpha": alpha,
            "domain": domain,
            "plans": [p.id for p in loaded],
            "estimate": estimates.attrs.get("estimate", {}),
        }
    }
    return table


def assess_one(row: pd.Series, plan: Plan, settings: Settings) -> dict[str, object]:
    """The assessment of one estimate (a share) against ``plan``."""
    lang = settings.lang
    year = settings.year
    p = float(row["estimate"])
    low, high = float(row["ci_lower"]), float(row["ci_upper"])
    se = float(row["se"]) if pd.notna(row["se"]) else math.nan
    df = float(row["df"]) if pd.notna(row.get("df")) else math.inf
    out: dict[str, object] = {
        "jurisdiction": plan.code,
        "name": plan.name.get(lang),
        "plan": plan.id,
        "year": year,
        "estimate": p,
        "ci_lower": low,
        "ci_upper": high,
        "se": se,
        "df": df,
        "n": row.get("n"),
        "flags": row.get("flags", ""),
    }
    target = plan.target_for(year)
    notes = []
    if target is None:
        out.update(
            status="no_target",
            evidence=_text(lang, "该规划没有科学素质比例目标。", "The plan sets no literacy-rate target."),
            progress="not_assessed",
        )
        return out
    t = plan_share(target.value)
    out.update(
        target_year=target.year,
        target=t,
        comparator=target.comparator,
        target_wording=target.wording,
        gap=p - t,
        gap_lower=low - t,
        gap_upper=high - t,
    )
    status, p_met, p_not = _test(p, se, df, t, target.strict, settings.alpha)
    out.update(
        p_value_met=p_met,
        p_value_not_met=p_not,
        status=status,
        evidence=_evidence(status, p, low, high, target, t, p_met, p_not, row, lang),
    )
    if year > target.year:
        notes.append(
            _text(
                lang,
                f"调查年份晚于目标年份 {target.year}。",
                f"The survey year is after the target year {target.year}.",
            )
        )

    baseline = plan.baseline_before(min(year, target.year))
    if baseline is None or baseline.year >= target.year:
        notes.append(
            _text(lang, "没有公布的基线，无法计算路径和进度比。", "No published baseline: no path or progress ratio.")
        )
        out.update(progress="not_assessed")
    else:
        b, y0, y_t = plan_share(baseline.value), baseline.year, target.year
        out.update(baseline_year=y0, baseline=b)
        share = min(max((year - y0) / (y_t - y0), 0.0), 1.0)
        linear = b + (t - b) * share
        compound = b * (t / b) ** share
        out.update(
            path_linear=linear, path_compound=compound, gap_to_path_linear=p - linear, gap_to_path_compound=p - compound
        )
        required = (t / b) ** (1 / (y_t - y0)) - 1
        out["required_growth"] = required
        if year > y0:
            ratios = [_ratio(value, b, year - y0, required) for value in (p, low, high)]
            observed = (p / b) ** (1 / (year - y0)) - 1 if p > 0 else -1.0
            out.update(
                observed_growth=observed,
                progress_ratio=ratios[0],
                progress_ratio_lower=ratios[1],
                progress_ratio_upper=ratios[2],
            )
            categories = [
                _category(value, ratio, t, target.strict) for value, ratio in zip((p, low, high), ratios, strict=True)
            ]
            out["progress"] = categories[0] if categories[1] == categories[2] else "indeterminate"
        else:
            out["progress"] = "not_assessed"
            notes.append(_text(lang, "调查年份不晚于基线年份。", "The survey year is not after the baseline year."))
    if year < target.year and p > 0:
        out["growth_needed"] = (t / p) ** (1 / (target.year - year)) - 1
        out["increase_per_year_needed"] = (t - p) / (target.year - year)
    out["note"] = " ".join(notes)
    return out


def _test(p: float, se: float, df: float, target: float, strict: bool, alpha: float) -> tuple[str, float, float]:
    """One-sided t tests of the rate against the target (design df)."""
    if not se or math.isnan(se):
        met = p > target if strict else p >= target
        return ("met" if met else "not_met"), (0.0 if met else 1.0), (1.0 if met else 0.0)
    t = (p - target) / se
    # Student t (normal without design df) from scipy.special, as estimation/intervals.py does: importing
    # scipy.stats costs about a second of every run. special.stdtr(df, x) is t.cdf(x, df); df = inf is the normal.
    degrees = df if math.isfinite(df) and df > 0 else math.inf
    p_met = float(special.stdtr(degrees, -t))  # H0: rate <= target
    p_not = float(special.stdtr(degrees, t))  # H0: rate >= target
    if p_met < alpha:
        return "met", p_met, p_not
    if p_not < alpha:
        return "not_met", p_met, p_not
    return "cannot_tell", p_met, p_not


def _ratio(value: float, baseline: float, years: float, required: float) -> float:
    if required == 0:
        return math.nan
    observed = (value / baseline) ** (1 / years) - 1 if value > 0 else -1.0
    return observed / required


def _category(value: float, ratio: float, target: float, strict: bool) -> str:
    if value > target or (value == target and not strict):
        return "target_achieved"
    if math.isnan(ratio):
        return "not_assessed"
    if ratio >= ON_TRACK:
        return "on_track"
    if ratio >= ACCELERATION:
        return "acceleration_needed"
    if ratio >= 0:
        return "limited_progress"
    return "deterioration"


def _evidence(
    status: str,
    p: float,
    low: float,
    high: float,
    target: object,
    value: float,
    p_met: float,
    p_not: float,
    row: pd.Series,
    lang: str,
) -> str:
    """The decision in one sentence, numbers in percent (the sentence is for
    people; ``value`` is the target as a proportion)."""
    wording = target.describe(lang)  # type: ignore[attr-defined]
    level = row.get("level_ci", 0.95)
    interval = f"{100 * low:.1f}–{100 * high:.1f}"
    p = 100 * p
    # The one-sided test at 5% can decide while the two-sided 95% interval
    # still reaches the target: say so rather than let the two disagree silently.
    caveat_zh = f"（双侧 {level:.0%} 置信区间仍包含目标值）" if low <= value <= high else ""
    caveat_en = " (the two-sided interval still reaches the target)" if low <= value <= high else ""
    if status == "met":
        return _text(
            lang,
            f"已达到：估计值 {p:.1f}%（{level:.0%} 置信区间 {interval}）高于目标（{wording}），"
            f"单侧检验 p = {p_met:.3f}{caveat_zh}。",
            f"Met: the estimate {p:.1f}% ({level:.0%} CI {interval}) is above the target ({wording}); "
            f"one-sided p = {p_met:.3f}{caveat_en}.",
        )
    if status == "not_met":
        return _text(
            lang,
            f"未达到：估计值 {p:.1f}%（{level:.0%} 置信区间 {interval}）低于目标（{wording}），"
            f"单侧检验 p = {p_not:.3f}{caveat_zh}。",
            f"Not met: the estimate {p:.1f}% ({level:.0%} CI {interval}) is below the target ({wording}); "
            f"one-sided p = {p_not:.3f}{caveat_en}.",
        )
    return _text(
        lang,
        f"无法判断：估计值 {p:.1f}%，置信区间 {interval} 包含目标（{wording}），样本不足以区分。",
        f"Cannot tell from this sample: the estimate is {p:.1f}% and the interval {interval} includes the "
        f"target ({wording}).",
    )


def _text(lang: str, zh: str, en: str) -> str:
    return Text(zh, en).get(lang)


def _require_estimate_columns(estimates: pd.DataFrame) -> None:
    needed = ["estimate", "se", "ci_lower", "ci_upper"]
    absent = [c for c in needed if c not in estimates.columns]
    if absent:
        raise LiteracyError(
            f"The estimates table lacks {', '.join(absent)}; give the output of "
            f"{spell('`literacy estimate`', 'literacy.estimate')} (columns estimate, se, ci_lower, ci_upper, df, "
            "n, ...)."
        )
    if "level" in estimates.columns:
        raise LiteracyError("The estimates are a distribution (a level column); estimate the 0/1 literate rate.")


def _jurisdiction_row(estimates: pd.DataFrame, plan: Plan, domain: str, *, single: bool) -> pd.Series | None:
    by = domain_columns(estimates)
    others = [c for c in by if c != domain]
    overall_of_domain = estimates[others].isna().all(axis=1) if others else pd.Series(True, index=estimates.index)
    if domain in estimates:
        match = estimates[(estimates[domain].astype("string") == plan.code) & overall_of_domain]
        if len(match):
            return match.iloc[0]
    if single:
        overall = estimates[estimates[by].isna().all(axis=1)] if by else estimates
        if len(overall) == 1 or (not by and len(estimates) == 1):
            return overall.iloc[0]
    return None


def _no_estimate(estimates: pd.DataFrame, plans: list[Plan], domain: str) -> str:
    """Why no plan found its row, naming what is actually missing: the
    domain's own rows (the table is only crossed, e.g. city x sex), the
    overall row (a national or single-area plan), or the area itself."""
    codes = ", ".join(p.code for p in plans)
    by = domain_columns(estimates)
    if domain not in estimates:
        if len(plans) == 1 and by:
            return (
                f"No estimate for {codes}: the estimates are broken down by {', '.join(by)} with no {domain!r} "
                f"column and no overall row (every domain column empty), which the {plans[0].id} plan is "
                f"compared with; estimate the whole sample too, with "
                f"{spell('`literacy estimate` without --by', f'by=[[], {by!r}]')}, or by {domain}."
            )
        return (
            f"No estimate for {codes}: the estimates have no {domain!r} column; estimate by {domain} "
            f"({spell(f'--by {domain}', f'by=[[{domain!r}]]')}) or choose the plan of the surveyed area."
        )
    present = set(estimates[domain].dropna().astype(str))
    crossed = [p for p in plans if p.code in present]
    if crossed:
        others = [c for c in by if c != domain]
        with_others = [domain, *others]
        return (
            f"No estimate for {', '.join(p.code for p in crossed)} alone: the estimates are broken down by "
            f"{' and '.join(with_others)} together, with no row for {domain} by itself; estimate with "
            f"{spell(f'--by {domain} --by {chr(44).join(with_others)}', f'by=[[{domain!r}], {with_others!r}]')}."
        )
    seen = ", ".join(sorted(present)) or "nothing"
    if len(plans) == 1:
        return (
            f"No estimate for {codes}: no {domain} is {codes!r} (the {domain} column holds {seen}) and the "
            f"estimates have no overall row (every domain column empty), which the {plans[0].id} plan is "
            f"compared with; estimate the whole sample too, with "
            f"{spell('`literacy estimate` without --by', f'by=[[], [{domain!r}]]')}."
        )
    return (
        f"No estimate for {codes}: the estimates' {domain} column holds {seen}; choose the plans of "
        "surveyed areas (several plans are each matched by their own code, never by the overall row)."
    )


# --------------------------------------------------------------------------
# Counted targets
# --------------------------------------------------------------------------


def counted_progress_of_plans(
    plans: list[Plan | str], actuals: pd.DataFrame, *, year: int, lang: str = "zh"
) -> pd.DataFrame:
    """:func:`counted_progress` for several plans from one actuals table: a
    ``plan`` column says whose each row is; without one, each row goes to the
    plan that has its target (a target two plans share needs the column)."""
    loaded = [load_plan(p) for p in plans]
    loaded = [p for p in loaded if p.counted_targets]
    if not loaded:
        return pd.DataFrame()
    if "target" not in actuals.columns:
        raise LiteracyError("The actuals table needs columns target, year, value; it lacks target.")
    if "plan" in actuals.columns:
        owner = actuals["plan"].astype(str)
    else:
        owners: dict[str, list[str]] = {}
        for plan in loaded:
            for target in plan.counted_targets:
                owners.setdefault(target.id, []).append(plan.id)
        shared = sorted({str(t) for t in actuals["target"]} & {t for t, ids in owners.items() if len(ids) > 1})
        if shared:
            raise LiteracyError(
                f"The counted target {shared[0]!r} belongs to {' and '.join(owners[shared[0]])}; add a plan column "
                "to the actuals table saying whose each row is."
            )
        unknown = sorted({str(t) for t in actuals["target"]} - set(owners))
        if unknown:
            raise LiteracyError(
                f"No plan given has a counted target {unknown[0]!r}; the targets are {', '.join(sorted(owners))}."
            )
        owner = actuals["target"].astype(str).map(lambda t: owners[t][0])
    frames = [counted_progress(p, actuals[(owner == p.id).to_numpy()], year=year, lang=lang) for p in loaded]
    return pd.concat(frames, ignore_index=True)


def counted_progress(plan: Plan | str, actuals: pd.DataFrame, *, year: int, lang: str = "zh") -> pd.DataFrame:
    """Actuals (columns ``target``, ``year``, ``value``) against the plan's
    counted targets: share of the target reached and of the pro-rata
    expectation for the years elapsed (proportions, 0.8 = 80%).

    A target the plan words in percent (unit ``%``) is a share: its actuals
    are proportions like every table's shares (0.82, not 82) and its row holds
    proportions, with the unit "share"."""
    plan = load_plan(plan)
    missing = [c for c in ("target", "year", "value") if c not in actuals.columns]
    if missing:
        raise LiteracyError(f"The actuals table needs columns target, year, value; it lacks {', '.join(missing)}.")
    known = {t.id: t for t in plan.counted_targets}
    unknown = sorted(set(actuals["target"].astype(str)) - set(known))
    if unknown:
        raise LiteracyError(
            f"{plan.id} has no counted target {unknown[0]!r}; its targets are {', '.join(known) or 'none'}."
        )
    rows = []
    for target_id, target in known.items():
        mine = actuals[actuals["target"].astype(str) == target_id]
        if _is_share(target):
            _check_share_actuals(target, mine)
        rows.append(_counted_row(plan, target, mine, year, lang))
    return pd.DataFrame(rows)


def _is_share(target: CountedTarget) -> bool:
    return target.unit.en.strip() == "%" or target.unit.zh.strip() == "%"


def _check_share_actuals(target: CountedTarget, actuals: pd.DataFrame) -> None:
    """A percent-worded target's actuals must be proportions: 82 read as a
    proportion would be 8200%, so it is refused rather than guessed at."""
    values = pd.to_numeric(actuals["value"], errors="coerce")
    wrong = values[(values < 0) | (values > 1)]
    if len(wrong):
        first = float(wrong.iloc[0])
        raise LiteracyError(
            f"The actual {first:g} for {target.id} is not a proportion from 0 to 1: the target is a share "
            f"({target.value:g}% in the plan), so give {first / 100:g} for {first:g}%."
        )


def _counted_row(plan: Plan, target: CountedTarget, actuals: pd.DataFrame, year: int, lang: str) -> dict[str, object]:
    period = target.period or plan.period
    first, last = period
    share = _is_share(target)
    goal = plan_share(target.value) if share else target.value
    elapsed = min(max(year - first + 1, 0), last - first + 1)
    total_years = last - first + 1
    values = actuals.assign(value=pd.to_numeric(actuals["value"], errors="coerce"))
    values = values[values["year"].astype(int) <= year]
    if target.basis == "cumulative":
        achieved = float(values["value"].sum()) if len(values) else math.nan
        expected = goal * elapsed / total_years
    elif target.basis == "per_year":
        this_year = values[values["year"].astype(int) == year]["value"]
        achieved = float(this_year.sum()) if len(this_year) else math.nan
        expected = goal
    else:  # a level to hold (coverage share, staff numbers)
        latest = values.sort_values("year")["value"]
        achieved = float(latest.iloc[-1]) if len(latest) else math.nan
        expected = goal
    if math.isnan(achieved):
        status = "no_data"
    elif achieved >= goal:
        status = "target_achieved"
    elif achieved >= expected:
        status = "on_track"
    else:
        status = "behind"
    return {
        "plan": plan.id,
        "target": target.id,
        "label": target.label.get(lang),
        "basis": target.basis,
        "target_value": goal,
        "unit": (SHARE_UNIT if share else target.unit).get(lang),
        "period": f"{first}-{last}",
        "year": year,
        "achieved": achieved,
        "expected_by_now": expected,
        "share_of_target": achieved / goal if goal else math.nan,
        "share_of_expected": achieved / expected if expected else math.nan,
        "status": status,
        "source": target.source,
    }


def status_label(status: str, lang: str = "zh") -> str:
    text = STATUSES.get(status) or PROGRESS.get(status)
    return text.get(lang) if text else status


def progress_label(progress: str, lang: str = "zh") -> str:
    text = PROGRESS.get(progress)
    return text.get(lang) if text else progress


def disparities(
    design: object,
    outcome: str,
    groups: dict[str, tuple[object, object]],
    *,
    domain: str = "city",
    domains: list[str] | None = None,
) -> pd.DataFrame:
    """Design-based contrasts (first minus second) within each jurisdiction,
    e.g. ``{"urban_rural": ("urban", "rural"), "sex": ("male", "female")}``,
    with intervals (``literacy.contrast``, R's ``svycontrast`` on ``svyby``).
    Proportions and differences of proportions, as ``contrast`` gives them."""
    from literacy.estimation.estimate import contrasts

    data = design.plain  # type: ignore[attr-defined]
    values = domains if domains is not None else sorted(map(str, data[domain].dropna().unique()))
    # Places are named as text (plan codes); a numeric code column (110000) is
    # matched on its own values, whose text they are.
    own = {str(v): v for v in data[domain].dropna().unique()} if domain in data else {}
    asked = [(place, variable, first, second) for place in values
             for variable, (first, second) in groups.items() if variable in data]  # fmt: skip
    pairs = []
    for place, variable, first, second in asked:
        code = own.get(str(place), place)
        pairs.append(({domain: code, variable: first}, {domain: code, variable: second}))
    found, errors = contrasts(design, outcome, pairs)  # type: ignore[arg-type]
    # A contrast without an estimate (e.g. no cadre was interviewed in this city) has no numbers and keeps its
    # reason; every group is counted, also then.
    jurisdiction, group, first, second = (list(part) for part in zip(*asked, strict=True)) if asked else ([],) * 4
    table = found.drop(columns=["first", "second"]).assign(jurisdiction=jurisdiction, group=group, first=first,
                                                           second=second, note=errors)  # fmt: skip
    columns = ["jurisdiction", "group", "first", "second", "estimate_first", "estimate_second", "estimate", "se",
               "ci_lower", "ci_upper", "df", "p_value", "note"]  # fmt: skip
    group_df = np.fmin(found["df_first"], found["df_second"]).to_numpy(dtype=float)
    return _flag_disparities(table[columns], found["n_first"].to_numpy(dtype=float),
                             found["n_second"].to_numpy(dtype=float), group_df)  # fmt: skip


def _flag_disparities(
    table: pd.DataFrame, n_first: np.ndarray, n_second: np.ndarray, group_df: np.ndarray
) -> pd.DataFrame:
    """``n_first``, ``n_second`` (interviews with the outcome in each group)
    and ``flags`` before ``note``, as the estimates table flags a rate: a
    group at 0 or 100% has no variance of its own, so the gap's interval and
    test look more certain than they are (``group_at_0_or_100``); a group of
    fewer than the reliability rule's 30 interviews is ``low_n_eff``; a
    group whose own degrees of freedom (PSUs minus strata of its rows) are
    below the rule's 8 is ``group_low_df``: the gap's variance leans on the
    few PSUs it has, though the pair's df is larger. The interval of a
    difference of proportions ends within -1 and 1 (a group of 3 with 5 df
    once reached +118 points)."""
    from literacy.estimation.estimate import Reliability

    first, second = table["estimate_first"].to_numpy(dtype=float), table["estimate_second"].to_numpy(dtype=float)
    estimated = ~np.isnan(first) & ~np.isnan(second)
    at_edge = estimated & (np.isclose(first, 0) | np.isclose(first, 1) | np.isclose(second, 0) | np.isclose(second, 1))
    small = estimated & (np.minimum(n_first, n_second) < Reliability().min_n_eff)
    few_psus = estimated & (group_df < Reliability().min_df)
    flags = [";".join(key for key, on in (("group_at_0_or_100", edge), ("low_n_eff", few), ("group_low_df", thin))
                      if on)
             for edge, few, thin in zip(at_edge, small, few_psus, strict=True)]  # fmt: skip
    out = table.drop(columns="note").assign(n_first=n_first.astype(int), n_second=n_second.astype(int), flags=flags)
    out["note"] = table["note"].to_numpy()
    out["ci_lower"], out["ci_upper"] = out["ci_lower"].clip(lower=-1.0), out["ci_upper"].clip(upper=1.0)
    return out


def disparity_flags_text(flags: object, lang: str) -> str:
    """The flags of a group-gap row in words (:data:`DISPARITY_FLAGS`)."""
    keys = [k.strip() for k in str(flags).replace(",", ";").split(";")] if isinstance(flags, str) else []
    return Text("；", "; ").get(lang).join(DISPARITY_FLAGS[k].get(lang) if k in DISPARITY_FLAGS else k
                                          for k in keys if k)  # fmt: skip


# --------------------------------------------------------------------------
# District targets (small-area estimates)
# --------------------------------------------------------------------------

DISTRICT_GAP_COLUMNS = ["jurisdiction", "district", "district_name", "plan", "year", "eblup", "rmse", "ci_lower",
                        "ci_upper", "target_year", "target", "comparator", "target_wording", "gap", "gap_lower",
                        "gap_upper", "p_value_met", "p_value_not_met", "status", "evidence"]  # fmt: skip

def district_gaps(
    table: pd.DataFrame,
    plans: list[Plan],
    *,
    year: int,
    domain: str = "city",
    area: str = "district",
    alpha: float = 0.05,
    lang: str = "zh",
) -> pd.DataFrame:
    """Each district's EBLUP against the target its city's plan sets for it
    (``district_targets``): the gap and its interval, and the one-sided test
    of :func:`literacy.gap` with the EBLUP's rmse as standard error and
    normal quantiles (a model-based estimate has no design df)."""
    level = float((table.attrs.get("small_area") or {}).get("level", 0.95))
    rows = []
    for plan in plans:
        if not plan.district_targets:
            continue
        mine = table[table[domain].astype(str) == plan.code] if domain in table.columns else table
        for record in mine.to_dict("records"):
            district = str(record[area])
            target = plan.district_target_for(district, year)
            if target is None:
                continue
            p, se = float(record["eblup"]), float(record["rmse"])
            low, high = float(record["ci_lower"]), float(record["ci_upper"])
            share = plan_share(target.value)
            status, p_met, p_not = _test(p, se, float("inf"), share, target.strict, alpha)
            evidence = _evidence(status, p, low, high, target, share, p_met, p_not, pd.Series({"level_ci": level}),
                                 lang)  # fmt: skip
            rows.append({
                "jurisdiction": plan.code, "district": district,
                "district_name": target.name.get(lang) if target.name else district, "plan": plan.id,
                "year": year, "eblup": p, "rmse": se, "ci_lower": low, "ci_upper": high,
                "target_year": target.year, "target": share, "comparator": target.comparator,
                "target_wording": target.wording, "gap": p - share, "gap_lower": low - share,
                "gap_upper": high - share, "p_value_met": p_met, "p_value_not_met": p_not, "status": status,
                "evidence": evidence,
            })  # fmt: skip
    out = pd.DataFrame(rows, columns=DISTRICT_GAP_COLUMNS)
    out.attrs = {"district_gaps": {"year": year, "alpha": alpha, "se": "rmse of the EBLUP", "test": "one-sided z"}}
    return out


# --------------------------------------------------------------------------
# Change since the previous survey
# --------------------------------------------------------------------------

CHANGE_COLUMNS = ["previous_year", "previous_estimate", "previous_se", "previous_standard", "year", "estimate", "se",
                  "standard", "change", "change_se", "ci_lower", "ci_upper", "p_value", "like_for_like", "note",
                  "note_key"]  # fmt: skip
# As ASSESSMENT_UNITS: how the reports and `--format table` show each column.
CHANGE_UNITS = {
    "previous_estimate": "percent",
    "previous_se": "se",
    "estimate": "percent",
    "se": "se",
    "change": "points",
    "change_se": "se",
    "ci_lower": "points",
    "ci_upper": "points",
}
PREVIOUS_UNITS = ("proportion", "percent")
CHANGE_NOTES = {
    "fixed_previous": Text(
        "上次调查的数值没有公布标准误，按固定值处理：区间和检验只反映本次调查的不确定性。",
        "The earlier figure was published without a standard error and is taken as fixed: the interval and the "
        "test reflect this survey's uncertainty only.",
    ),
    "different_standards": Text(
        "口径不同，不可直接比较：两次调查采用不同的评价标准，变化中含有标准改变的影响。",
        "Not like for like: the two surveys were scored under different standards, so the change mixes a change "
        "in literacy with the change of standard.",
    ),
}


def change(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    year: int,
    previous_year: int | None = None,
    standard: str | Instrument,
    previous_standard: str | Instrument | None = None,
    domain: str = "city",
    unit: str = "proportion",
    level: float | None = None,
) -> pd.DataFrame:
    """The change in each jurisdiction's rate since the previous survey, with
    its interval and a two-sided test of no change.

    ``current`` is an estimates table (``literacy.estimate``); ``previous`` is
    either one too (the earlier wave's microdata estimated the same way) or a
    table of published figures: the ``domain`` column (optional when there is
    one figure for a one-area survey), ``estimate`` and, when published, ``se``
    (``year`` and ``standard`` columns may give those per row). ``unit`` says
    whether its ``estimate``/``se`` are proportions (0.1056, the toolkit's
    unit) or percent (10.56); a proportion above 1 is refused, not guessed at.

    The two waves are independent samples, so the variance of the change is
    the sum of their variances (no covariance term: var(p1 - p0) = var(p1) +
    var(p0); R survey gives the same from the two samples stacked as
    separate strata, tests/reference/change_reference.R), and a figure published
    without a standard error is taken as fixed (variance 0). The interval
    and p-value use Student's t with the Welch-Satterthwaite degrees of
    freedom (v1 + v0)^2 / (v1^2/df1 + v0^2/df0); a published figure has
    infinite df, a fixed one drops out (df = the current design df). A
    standard is an instrument (a shipped id, an instrument file or an
    :class:`Instrument`; a misspelt id is refused): the change is
    ``like_for_like`` only when both waves were scored under the same
    instrument, or two whose standards are the same. The previous year must
    be before ``year``; a standard error above 0.5 (of a proportion) and
    percent that are all below 1 are refused as the wrong unit.
    Shares are proportions; the change is a difference of proportions.
    """
    if unit not in PREVIOUS_UNITS:
        raise LiteracyError(f"The previous figures' unit must be proportion or percent, not {unit!r}.")
    _require_estimate_columns(current)
    level = float(level if level is not None else (current.attrs.get("estimate") or {}).get("level", 0.95))
    if not 0 < level < 1:
        raise LiteracyError(f"The interval level must be between 0 and 1, not {level}.")
    now = _jurisdiction_rows(current, domain, "current estimates")
    scored_under = known_standard(standard, "standard")
    fallback = known_standard(previous_standard, "previous standard") if previous_standard is not None else None
    before = _previous_rows(previous, domain, unit, previous_year, fallback)
    later = before[before["previous_year"] >= int(year)]
    if len(later):
        raise LiteracyError(
            f"The previous survey's year {int(later['previous_year'].iloc[0])} is not before this survey's year "
            f"{int(year)}; check {spell('--year and --previous-year', 'year= and previous_year=')} (or the year "
            "column of the previous figures)."
        )
    before = _match_previous(now, before, domain, has_column=domain in previous.columns)
    merged = now.merge(before.drop(columns="_label"), on="_key", how="inner", validate="one_to_one")
    if merged.empty:
        raise LiteracyError(
            f"No jurisdiction has both a current and a previous figure: the current estimates have "
            f"{_keys_text(now)} and the previous figures {_keys_text(before)}."
        )
    name_now = scored_under.id
    if merged["previous_standard"].isna().any() and fallback is None:
        raise LiteracyError(
            "Say which standard the previous figures were scored under "
            f"({spell('--previous-standard', 'previous_standard=')} an instrument id such as crisp-classic or "
            "cast-2024, or a standard column in the previous file): a change across standards is not like for like."
        )
    # A standard per row in the previous file wins over the one handed in; every one is a known instrument.
    earlier = {name: known_standard(name, "previous standard") for name in merged["previous_standard"].dropna()}
    instruments = [earlier[name] if pd.notna(name) else fallback for name in merged["previous_standard"]]
    prev_std = pd.Series([i.id if i else None for i in instruments], index=merged.index, dtype=object)
    # The same instrument, or two whose standards are the same (a renamed copy of cast-2024 scores as it does).
    same = pd.Series([i is not None and (i.id.casefold() == name_now.casefold() or i.standard == scored_under.standard)
                      for i in instruments], index=merged.index, dtype=bool)  # fmt: skip

    p1, se1 = merged["estimate"].astype(float), merged["se"].astype(float)
    p0, se0 = merged["previous_estimate"].astype(float), merged["previous_se"].astype(float)
    df1 = pd.to_numeric(merged["df"], errors="coerce").fillna(np.inf) if "df" in merged else np.inf
    df0 = merged["previous_df"].astype(float)
    fixed = se0.isna()
    v1, v0 = se1**2, se0.fillna(0.0) ** 2
    variance = v1 + v0
    # Welch-Satterthwaite: a term with infinite df (or zero variance) adds nothing to the denominator.
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = np.where(np.isfinite(df1), v1**2 / df1, 0.0) + np.where(np.isfinite(df0), v0**2 / df0, 0.0)
        df = np.where(denominator > 0, variance**2 / denominator, np.inf)
    difference = p1 - p0
    change_se = np.sqrt(variance)
    quantile = special.stdtrit(df, 0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_value = np.abs(difference) / change_se
    p_value = np.where(change_se > 0, 2 * special.stdtr(df, -t_value), np.where(difference == 0, 1.0, 0.0))
    p_value = np.where(np.isnan(change_se), np.nan, p_value)

    key = np.where(~same, "different_standards", np.where(fixed, "fixed_previous", ""))
    notes = [
        " ".join(CHANGE_NOTES[k].en for k, flag in (("different_standards", not s), ("fixed_previous", f)) if flag)
        for s, f in zip(same, fixed, strict=True)
    ]
    table = pd.DataFrame({
        domain: merged[domain] if domain in merged else pd.Series(pd.NA, index=merged.index, dtype="string"),
        "previous_year": merged["previous_year"], "previous_estimate": p0, "previous_se": se0,
        "previous_standard": prev_std.astype(str), "year": int(year), "estimate": p1, "se": se1,
        "standard": name_now, "change": difference, "change_se": change_se,
        "ci_lower": difference - quantile * change_se, "ci_upper": difference + quantile * change_se,
        "p_value": p_value, "like_for_like": same.astype(bool), "note": notes, "note_key": key,
    })  # fmt: skip
    table = table[[domain, *CHANGE_COLUMNS]].reset_index(drop=True)
    table.attrs = {
        "change": {
            "level": level,
            "domain": domain,
            "df": [float(d) for d in np.broadcast_to(df, len(table))],
            "variance": "independent samples: var(change) = var(current) + var(previous); no SE = fixed",
            "interval": "difference +/- t(level, Welch-Satterthwaite df) x se",
            "without_previous": sorted(set(now["_label"]) - set(merged["_label"])),
        }
    }
    return table


def known_standard(standard: str | Path | Instrument, what: str) -> Instrument:
    """A standard as the instrument it names: a shipped id or an instrument
    file, checked as ``-q`` is (a misspelt id is refused, never compared)."""
    if isinstance(standard, Instrument):
        return standard
    text = str(standard).strip()
    if not text:
        raise LiteracyError(f"Name the {what} (an instrument id such as cast-2024, or an instrument file).")
    path = Path(text)
    if text not in shipped_ids() and path.suffix.lower() not in (".yaml", ".yml") and not path.exists():
        raise LiteracyError(
            f"The {what} {text!r} is not a known instrument: use one of {', '.join(shipped_ids())}, or the path "
            "of an instrument file."
        )
    return load_instrument(text)


def _keys_text(rows: pd.DataFrame) -> str:
    return ", ".join(sorted(map(str, rows["_label"]))) or "no rows"


def _jurisdiction_rows(estimates: pd.DataFrame, domain: str, what: str) -> pd.DataFrame:
    """The rows of the jurisdictions themselves (the ``domain`` set, other
    domain columns empty), or the overall row, keyed by the domain value."""
    by = domain_columns(estimates)
    others = [c for c in by if c != domain]
    own = estimates[estimates[others].isna().all(axis=1)] if others else estimates
    if domain in own.columns:
        key = own[domain].astype("string").str.strip()
    else:
        if len(own) != 1:
            raise LiteracyError(
                f"The {what} have no {domain!r} column and {len(own)} overall rows; estimate by {domain} "
                f"({spell(f'--by {domain}', f'by={domain!r}')}) or give one overall row."
            )
        key = pd.Series([pd.NA], index=own.index, dtype="string")
    out = own.assign(_key=key.fillna("").to_numpy(), _label=key.fillna("(overall)").to_numpy())
    duplicated = out["_key"].duplicated(keep=False)
    if duplicated.any():
        raise LiteracyError(f"The {what} have more than one row for {out.loc[duplicated, '_label'].iloc[0]}.")
    return out


def _previous_rows(
    previous: pd.DataFrame, domain: str, unit: str, year: int | None, standard: str | Instrument | None
) -> pd.DataFrame:
    """The previous figures, checked and as proportions, in the columns the merge takes."""
    if "estimate" not in previous.columns:
        raise LiteracyError(
            f"The previous figures need an estimate column (and {domain} and se where published); "
            f"they have {', '.join(map(str, previous.columns)) or 'no columns'}."
        )
    if "level" in previous.columns:
        raise LiteracyError("The previous figures are a distribution (a level column); give the literate rate.")
    if len(previous) == 0:
        raise LiteracyError("The previous figures table has no rows.")
    # The output of `literacy estimate` (its crossed rows are left out as in the current table) or a hand-made table.
    made_by_estimate = {"ci_lower", "ci_upper", "df", "flags"} <= set(map(str, previous.columns))
    if made_by_estimate:
        rows = _jurisdiction_rows(previous, domain, "previous figures")
    else:
        rows = _plain_rows(previous, domain)
    scale = 100.0 if unit == "percent" else 1.0
    values = {}
    for column in ("estimate", "se"):
        raw = rows[column] if column in rows else pd.Series(np.nan, index=rows.index)
        number = pd.to_numeric(raw, errors="coerce")
        bad = number.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
        if column == "estimate":
            bad |= raw.isna()
        if bad.any():
            first = rows.loc[bad].iloc[0]
            raise LiteracyError(
                f"The previous {column} for {first['_label']} is {first[column]!r}, not a number"
                + (" (leave se blank where none was published)." if column == "se" else ".")
            )
        values[column] = number / scale
    estimate_, se_ = values["estimate"], values["se"]
    out_of_range = (estimate_ < 0) | (estimate_ > 1)
    if out_of_range.any():
        first = rows.loc[out_of_range].iloc[0]
        setting = spell("--previous-unit percent", "unit='percent'")
        hint = (f" It looks like percent: say so with {setting} (unit: percent under previous: in a run "
                "configuration)." if unit == "proportion" and float(first["estimate"]) <= 100 else "")  # fmt: skip
        raise LiteracyError(
            f"The previous estimate for {first['_label']} is {first['estimate']}, not a {unit} "
            f"({'0 to 1' if unit == 'proportion' else '0 to 100'}).{hint}"
        )
    if unit == "percent" and (estimate_ < 0.01).all():
        first = rows.iloc[0]
        setting = spell("--previous-unit percent", "unit='percent'")
        where = f" for {first['_label']}" if first["_key"] else ""
        raise LiteracyError(
            f"The previous estimates are all below 1 ({first['estimate']}{where}), which is not "
            f"plausible as percent: they look like proportions, so leave out {setting} (unit: percent under "
            "previous: in a run configuration)."
        )
    if (se_ < 0).any():
        raise LiteracyError(f"A previous standard error is negative ({float(se_[se_ < 0].iloc[0]) * scale:g}).")
    too_large = se_ > 0.5  # a proportion's standard error is at most 0.5 (a 0/1 variable's sd)
    if too_large.any():
        first = rows.loc[too_large].iloc[0]
        raw = float(pd.to_numeric(first["se"]))
        hint = (f": it looks like percentage points, so give {raw / 100:g} for {raw:g} points, in the estimate's unit"
                if unit == "proportion" else "")  # fmt: skip
        raise LiteracyError(
            f"The previous standard error for {first['_label']} is {raw:g}, more than a {unit}'s can be (at most "
            f"{'0.5' if unit == 'proportion' else '50'}){hint}."
        )
    if "year" in rows:
        years = pd.to_numeric(rows["year"], errors="coerce")
        if years.isna().any() and year is None:
            raise LiteracyError("Some previous figures have no year; fill the year column or give previous_year.")
        years = years.fillna(year if year is not None else np.nan)
    elif year is not None:
        years = pd.Series(int(year), index=rows.index)
    else:
        raise LiteracyError(
            f"Say which year the previous figures are from ({spell('--previous-year', 'previous_year=')} or a "
            "year column)."
        )
    standards = (rows["standard"].astype("string").str.strip().replace("", pd.NA) if "standard" in rows
                 else pd.Series(pd.NA, index=rows.index, dtype="string"))  # fmt: skip
    df = pd.to_numeric(rows["df"], errors="coerce").fillna(np.inf) if "df" in rows else np.inf
    return pd.DataFrame({
        "_key": rows["_key"], "_label": rows["_label"], "previous_year": years.astype(int),
        "previous_estimate": estimate_, "previous_se": se_, "previous_df": df, "previous_standard": standards,
    })  # fmt: skip


def _plain_rows(previous: pd.DataFrame, domain: str) -> pd.DataFrame:
    """A hand-made table of published figures: one row per jurisdiction
    (blank = the whole surveyed area), or a single row without a domain column."""
    if domain in previous.columns:
        key = previous[domain].astype("string").str.strip()
    elif len(previous) == 1:
        key = pd.Series([pd.NA], index=previous.index, dtype="string")
    else:
        raise LiteracyError(
            f"The previous figures have {len(previous)} rows but no {domain!r} column saying whose each is."
        )
    out = previous.assign(_key=key.fillna("").to_numpy(), _label=key.fillna("(overall)").to_numpy())
    duplicated = out["_key"].duplicated(keep=False)
    if duplicated.any():
        raise LiteracyError(f"The previous figures have more than one row for {out.loc[duplicated, '_label'].iloc[0]}.")
    return out


def _match_previous(now: pd.DataFrame, before: pd.DataFrame, domain: str, *, has_column: bool) -> pd.DataFrame:
    """Every previous figure must find its jurisdiction (a misspelt code is an
    error, not a silently missing row); a single overall figure matches a
    one-jurisdiction survey."""
    unknown = before[~before["_key"].isin(now["_key"])]
    if len(unknown) == len(before) == 1 and before["_key"].iloc[0] == "" and len(now) == 1:
        return before.assign(_key=now["_key"].iloc[0], _label=now["_label"].iloc[0])
    if (unknown["_key"] == "").any():
        where = (f"a previous figure has no {domain} (a blank cell)" if has_column
                 else f"the previous figures need a {domain} column")  # fmt: skip
        raise LiteracyError(
            f"{where[0].upper()}{where[1:]} saying whose figure each is: the current estimates are by {domain} "
            f"({_keys_text(now)}), so a figure for the whole area has nothing to be compared with."
        )
    if len(unknown):
        raise LiteracyError(
            f"The previous figures name {unknown['_label'].iloc[0]}, which the current estimates do not have "
            f"(their {domain} rows are {_keys_text(now)}); correct the code or leave that row out."
        )
    return before
