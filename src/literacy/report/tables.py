"""Every table of a report as people read it, built once for all formats
(HTML, XLSX, Markdown, Word): headers in the report language, codes as
their labels (城镇 for ``urban``, 深圳市 for ``shenzhen``, the grade's name
for ``basic``), flags and statuses in words. The cells keep the numbers as
proportions with a unit per cell, so the workbook can hold the number under
a percent format while HTML, Markdown and Word show ``12.3%``; the text
formats also join an interval's two ends into one cell so a table fits A4."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from literacy.assessment import (
    ASSESSMENT_UNITS,
    CHANGE_NOTES,
    CHANGE_UNITS,
    COUNTED_STATUSES,
    COUNTED_UNITS,
    DISPARITY_UNITS,
    SHARE_UNIT,
    Settings,
    assess_one,
    disparity_flags_text,
    progress_label,
    status_label,
)
from literacy.errors import LiteracyError
from literacy.instrument import Text
from literacy.report.data import (
    DISTRICT_GAP_UNITS,
    SMALL_AREA_UNITS,
    ReportData,
    cell_unit,
    comparison_text,
    estimate_units,
    flags_text,
    interval_text,
    sentence,
    shown,
    t,
    text_or_blank,
    value_text,
)

# Column headers, by the column's name in the tables the API returns.
COLUMN_TEXT: dict[str, Text] = {
    "jurisdiction": Text("地区", "Jurisdiction"),
    "name": Text("地区", "Jurisdiction"),
    "plan": Text("规划", "Plan"),
    "year": Text("调查年份", "Survey year"),
    "estimate": Text("估计值", "Estimate"),
    "se": Text("标准误（百分点）", "Standard error (points)"),
    "ci_lower": Text("置信区间下限", "CI lower"),
    "ci_upper": Text("置信区间上限", "CI upper"),
    "ci": Text("95% 置信区间", "95% CI"),
    "df": Text("自由度", "Degrees of freedom"),
    "n": Text("样本量", "Interviews"),
    "deff": Text("设计效应", "Design effect"),
    "cv": Text("变异系数", "Coefficient of variation"),
    "n_eff": Text("有效样本量", "Effective sample size"),
    "population": Text("总体规模（加权）", "Population (weighted)"),
    "flags": Text("可靠性", "Reliability"),
    "breakdown": Text("分组方式", "Breakdown"),
    "group_value": Text("组别", "Group"),
    "level": Text("等级", "Grade"),
    "target_year": Text("目标年份", "Target year"),
    "target": Text("目标", "Target"),
    "comparator": Text("目标类型", "Kind of target"),
    "target_wording": Text("规划原文", "Target as the plan words it"),
    "gap": Text("差距（百分点）", "Gap (points)"),
    "gap_lower": Text("差距下限（百分点）", "Gap lower (points)"),
    "gap_upper": Text("差距上限（百分点）", "Gap upper (points)"),
    "p_value_met": Text("p 值（已达到）", "p (met)"),
    "p_value_not_met": Text("p 值（未达到）", "p (not met)"),
    "status": Text("是否达到目标", "Target met?"),
    "evidence": Text("依据", "Evidence"),
    "baseline_year": Text("基线年份", "Baseline year"),
    "baseline": Text("基线值", "Baseline"),
    "path_linear": Text("路径要求值（线性）", "Path value (linear)"),
    "path_compound": Text("路径要求值（复合）", "Path value (compound)"),
    "gap_to_path_linear": Text("与线性路径差距（百分点）", "Gap to the linear path (points)"),
    "gap_to_path_compound": Text("与复合路径差距（百分点）", "Gap to the compound path (points)"),
    "observed_growth": Text("实际年均增长", "Observed growth per year"),
    "required_growth": Text("所需年均增长", "Required growth per year"),
    "progress_ratio": Text("进度比", "Progress ratio"),
    "progress_ratio_lower": Text("进度比下限", "Progress ratio lower"),
    "progress_ratio_upper": Text("进度比上限", "Progress ratio upper"),
    "progress": Text("进度", "Progress"),
    "growth_needed": Text("今后每年需增长", "Growth needed per year"),
    "increase_per_year_needed": Text("今后每年需提高（百分点）", "Increase needed per year (points)"),
    "note": Text("说明", "Note"),
    "comparison": Text("比较（前者减后者）", "Comparison (first minus second)"),
    "estimate_first": Text("前者估计值", "First group"),
    "estimate_second": Text("后者估计值", "Second group"),
    "difference": Text("差值（百分点）", "Difference (points)"),
    "p_value": Text("p 值", "p"),
    "label": Text("指标", "Target"),
    "basis": Text("口径", "Basis"),
    "target_value": Text("目标值", "Target value"),
    "unit": Text("单位", "Unit"),
    "period": Text("规划期", "Plan period"),
    "achieved": Text("实际完成", "Achieved"),
    "expected_by_now": Text("按进度应完成", "Expected by now"),
    "share_of_target": Text("占目标比例", "Share of the target"),
    "share_of_expected": Text("占进度要求比例", "Share of the expected"),
    "source": Text("来源", "Source"),
    "district": Text("区县", "District"),
    "district_name": Text("区县名称", "District name"),
    "direct": Text("直接估计", "Direct"),
    "direct_se": Text("直接估计标准误（百分点）", "Direct standard error (points)"),
    "direct_ci_lower": Text("直接估计区间下限", "Direct interval lower"),
    "direct_ci_upper": Text("直接估计区间上限", "Direct interval upper"),
    "eblup": Text("EBLUP（模型估计）", "EBLUP (model-based)"),
    "mse": Text("均方误差", "Mean squared error"),
    "rmse": Text("均方根误差（百分点）", "Root mean squared error (points)"),
    "shrinkage": Text("直接估计权重", "Weight on direct"),
    "synthetic": Text("合成估计", "Synthetic estimate"),
    "previous_year": Text("上次调查年份", "Previous survey"),
    "previous_estimate": Text("上次估计值", "Previous estimate"),
    "previous_se": Text("上次标准误（百分点）", "Previous standard error (points)"),
    "previous_standard": Text("上次评价标准", "Previous standard"),
    "standard": Text("本次评价标准", "This survey's standard"),
    "this_year": Text("本次调查年份", "This survey"),
    "change": Text("变化（百分点）", "Change (points)"),
    "change_se": Text("变化的标准误（百分点）", "Standard error of the change (points)"),
    "change_ci": Text("变化的 95% 置信区间", "95% CI of the change"),
    "like_for_like": Text("口径一致", "Like for like"),
    "item": Text("项目", "Item"),
    "value": Text("内容", "Value"),
}
# A change note's few words in a table cell; the sentence (assessment.CHANGE_NOTES) follows the table.
CHANGE_SHORT = {
    "different_standards": Text("口径不同，不可直接比较", "not like for like"),
    "fixed_previous": Text("上次数据无标准误", "earlier figure without a standard error"),
}
STANDARD_TEXT = {
    "all_dimensions_pass": Text("各维度均达标（2024 年以前）", "all dimensions pass (before 2024)"),
    "total_score_cut": Text("总分达到界值", "total score at the cut"),
    "weighted_grades": Text("百分制等级（2024 年起）", "100-point grades (2024 on)"),
}
# How a counted target counts (literacy.plans BASES); the English words differ from the codes on purpose.
BASIS_TEXT = {
    "cumulative": Text("累计", "total over the period"),
    "per_year": Text("每年", "each year"),
    "per_year_level": Text("每年保持的水平", "level held each year"),
    "level": Text("保持水平", "level to hold"),
}
COMPARATOR_TEXT = {
    "at_least": Text("达到", "reach"),
    "more_than": Text("超过", "exceed"),
    "strive_for": Text("力争达到", "strive to reach"),
}
# The methods section's facts (ReportData.methods), by key.
METHOD_TEXT = {
    "instrument": Text("问卷", "Instrument"),
    "standard": Text("评价标准", "Standard"),
    "survey_year": Text("调查年份", "Survey year"),
    "sample": Text("样本", "Sample"),
    "interviews_read": Text("读入问卷数", "Interviews read"),
    "clean": Text("有效问卷数", "Clean"),
    "rejected": Text("剔除问卷数", "Rejected"),
    "unscorable": Text("无法计分", "Unscorable"),
    "rejections": Text("剔除原因", "Reasons for rejection"),
    "invalid_value": Text("取值无效", "invalid value"),
    "duplicate_id": Text("编号重复", "duplicate id"),
    "age_missing": Text("年龄缺失", "age missing"),
    "age_not_a_number": Text("年龄不是数字", "age not a number"),
    "outside_population": Text("不属于调查总体", "outside the population"),
    "incomplete": Text("未答完", "incomplete"),
    "weighting": Text("加权", "Weighting"),
    "method": Text("方法", "Method"),
    "base_weight": Text("基础权重", "Base weight"),
    "variables": Text("校准变量", "Calibration variables"),
    "by": Text("分别加权的单位", "Weighted separately by"),
    "iterations": Text("迭代次数", "Iterations"),
    "converged": Text("是否收敛", "Converged"),
    "by_group": Text("各单位", "By group"),
    "design": Text("抽样设计", "Design"),
    "weight": Text("权重变量", "Weight"),
    "strata": Text("分层变量", "Stratum variable"),
    "psu": Text("初级抽样单位", "Primary sampling unit"),
    "strata_count": Text("层数", "Number of strata"),
    "psu_count": Text("初级抽样单位数", "Number of PSUs"),
    "lonely_psu": Text("单一 PSU 层的处理", "Lonely PSU"),
    "variance": Text("方差估计", "Variance"),
    "interval": Text("置信区间", "Interval"),
    "reliability": Text("可靠性标准", "Reliability rules"),
    "min_n_eff": Text("最小有效样本量", "Minimum effective sample size"),
    "min_df": Text("最小自由度", "Minimum degrees of freedom"),
    "max_ci_width": Text("最大区间宽度", "Largest interval width"),
    "max_relative_ci_width": Text("最大相对区间宽度", "Largest relative interval width"),
    "small_area": Text("小区域估计", "Small-area estimation"),
    "model": Text("模型", "Model"),
    "areas": Text("区域数", "Areas"),
    "covariates": Text("协变量", "Covariates"),
    "sigma2_u": Text("区域效应方差", "Area-effect variance"),
    "r2": Text("R²", "R²"),
    "residuals": Text("残差检验", "Residual checks"),
    "pooled": Text("模型范围", "Model scope"),
    "benchmark": Text("基准化", "Benchmarking"),
    "previous": Text("上次调查", "Previous survey"),
}


@dataclass
class PeopleTable:
    """One table for people: ``frame`` has the translated headers; ``units``
    (same shape) names each cell's unit (percent, points, se or None);
    ``grey`` marks unreliable rows; ``colours`` the status colour of a row's
    ``status_column`` cell, where it has one."""

    key: str
    title: str
    frame: pd.DataFrame
    units: pd.DataFrame
    grey: list[bool] = field(default_factory=list)
    colours: list[str | None] = field(default_factory=list)
    status_column: str | None = None
    notes: list[str] = field(default_factory=list)

    def text(self) -> pd.DataFrame:
        """The cells as text: proportions in percent, differences in points."""
        out = self.frame.copy().astype(object)
        for column in range(self.frame.shape[1]):
            out.iloc[:, column] = [
                _text_cell(v, u) for v, u in zip(self.frame.iloc[:, column], self.units.iloc[:, column], strict=True)
            ]
        return out


def _text_cell(value: Any, unit: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–" if unit else ""
    if unit == "count":
        return f"{float(value):,.0f}"
    if unit == "p":
        return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"
    if isinstance(unit, str) and unit:
        return shown(value, unit)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) and abs(value) < 1e15 else f"{value:.2f}"
    return str(value)


def header(column: str, lang: str) -> str:
    """A column's header in ``lang``: the table above, a respondent question's
    label (性别 for sex), a key group's name, or the name itself."""
    if column in COLUMN_TEXT:
        return COLUMN_TEXT[column].get(lang)
    label = variable_label(column, lang)
    return label if label is not None else column


def variable_label(variable: str, lang: str) -> str | None:
    """The label of a respondent variable (城乡 for urban_rural) or key group."""
    from literacy.groups import KEY_GROUPS
    from literacy.instrument import respondent_block

    if variable == "age_band":
        return Text("年龄段", "Age band").get(lang)
    if variable.startswith("group_") and variable[len("group_") :] in KEY_GROUPS:
        return KEY_GROUPS[variable[len("group_") :]].get(lang)
    for entry in respondent_block():
        if entry.id == variable:
            return entry.label.get(lang).removeprefix("所在")
    return None


def is_code_column(column: str) -> bool:
    """Whether a column holds the codes of a respondent variable or key group."""
    return column == "age_band" or column.startswith("group_") or variable_label(column, "en") is not None


def breakdown_text(breakdown: object, data: ReportData, lang: str) -> str:
    """``city*sex`` as 城市 × 性别."""
    if not isinstance(breakdown, str) or not breakdown:
        return ""
    if breakdown in ("overall", "all", "total"):
        return Text("总体", "Overall").get(lang)
    return " × ".join(header(part, lang) for part in breakdown.split("*"))


def _code_text(column: str, value: object, data: ReportData, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if column in (data.domain, "city", "jurisdiction"):
        return data.place(value, lang)
    text = value_text(column, value, lang)
    return text.removesuffix(".0") if text == str(value) else text


def readable(
    frame: pd.DataFrame, units: Mapping[str, str], data: ReportData, lang: str, *, text: bool,
    drop: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame, list[bool]]:  # fmt: skip
    """``frame`` for people: codes as labels (a ``*_label`` column the data
    carry replaces its code column), statuses and flags in words, headers in
    ``lang``. With ``text``, an interval's two ends become one cell and the
    estimate groups of a breakdown one "group" cell, so the table fits a page."""
    records = frame.to_dict("records")
    columns: dict[str, list[Any]] = {}
    cell_units: dict[str, list[Any]] = {}

    def put(name: str, values: list[Any], unit: list[Any] | None = None) -> None:
        columns[name] = values
        cell_units[name] = unit if unit is not None else [None] * len(values)

    places = (data.domain, "city", "jurisdiction")
    code_columns = [c for c in frame.columns if c not in drop and not str(c).endswith("_label")
                    and (c in places or is_code_column(str(c)))]  # fmt: skip
    in_text_group = [c for c in code_columns if c not in places]
    for column in frame.columns:
        column = str(column)
        if column in drop or column.endswith("_label"):
            continue
        unit_of = [cell_unit(units, column, r) for r in records]
        values = [r[column] for r in records]
        if column == "breakdown":
            put(header(column, lang), [breakdown_text(v, data, lang) for v in values])
        elif column in code_columns:
            if text and column in in_text_group:
                if column == in_text_group[0]:
                    put(
                        header("group_value", lang),
                        [" · ".join(x for x in (_code_text(c, r[c], data, lang) for c in in_text_group) if x)
                         for r in records],
                    )  # fmt: skip
                continue
            labelled = f"{column}_label"
            shown_values = [
                _code_text(column, r[column], data, lang)
                if column in (data.domain, "city", "jurisdiction") or lang == "en" or labelled not in frame
                else text_or_blank(r.get(labelled)) or _code_text(column, r[column], data, lang)
                for r in records
            ]
            put(header(column, lang), shown_values)
        elif column == "flags":
            put(header(column, lang), [flags_text(v, lang) for v in values])
        elif column == "status":
            words = COUNTED_STATUSES if "achieved" in frame else {}
            put(header(column, lang), [words[v].get(lang) if v in words else status_label(v, lang)
                                       if isinstance(v, str) else "" for v in values])  # fmt: skip
        elif column == "progress":
            put(header(column, lang), [progress_label(v, lang) if isinstance(v, str) else "" for v in values])
        elif column == "level":
            put(header(column, lang), [data.grade(v, lang) for v in values])
        elif column == "plan":
            put(header(column, lang), [_plan_name(data, v, lang) for v in values])
        elif column == "basis":
            put(header(column, lang), [BASIS_TEXT[v].get(lang) if v in BASIS_TEXT else text_or_blank(v)
                                       for v in values])  # fmt: skip
        elif column == "comparator":
            put(header(column, lang), [COMPARATOR_TEXT[v].get(lang) if v in COMPARATOR_TEXT else text_or_blank(v)
                                       for v in values])  # fmt: skip
        elif column == "unit":
            put(header(column, lang), [_unit_text(v, lang) for v in values])
        elif text and column == "ci_upper" and "ci_lower" in frame:
            continue
        elif text and column == "ci_lower" and "ci_upper" in frame:
            points = units.get("ci_lower") == "points"
            put(
                header("change_ci" if "change" in frame else "ci", lang),
                [_interval(r["ci_lower"], r["ci_upper"], points) for r in records],
            )
        elif text and column.endswith("_lower") and column.removesuffix("_lower") + "_upper" in frame:
            base = column.removesuffix("_lower")
            points = units.get(column) == "points"
            put(header(column, lang).replace("下限", "").replace(" lower", ""),
                [_interval(r[column], r[f"{base}_upper"], points) for r in records])  # fmt: skip
        elif text and column.endswith("_upper") and column.removesuffix("_upper") + "_lower" in frame:
            continue
        elif not text and column in _YEAR_COLUMNS:  # the workbook: years as numbers
            put(header(column, lang), [_year_number(v) for v in values])
        elif column in ("note", "evidence", "source", "label", "target_wording", "period", "district_name",
                        *_YEAR_COLUMNS):  # fmt: skip
            put(header(column, lang), [text_or_blank(v).removesuffix(".0") for v in values])
        elif column in ("n_eff", "population"):
            put(header(column, lang), values, ["count"] * len(values))
        elif column.startswith("p_value"):
            put(header(column, lang), values, ["p"] * len(values))
        else:
            put(header(column, lang), values, unit_of)
    # Reliability (the flags in words) last, as in the headline.
    flags_header = header("flags", lang)
    if flags_header in columns:
        columns[flags_header] = columns.pop(flags_header)
        cell_units[flags_header] = cell_units.pop(flags_header)
    shown_frame = pd.DataFrame(columns)
    unit_frame = pd.DataFrame(cell_units)
    grey = [bool(text_or_blank(r.get("flags")).strip()) for r in records] if "flags" in frame else []
    return shown_frame, unit_frame, grey


_YEAR_COLUMNS = ("year", "this_year", "target_year", "baseline_year", "previous_year")


def _year_number(value: Any) -> Any:
    """A year as a whole number (2025, not "2025" or 2025.0); other text as it is."""
    text = text_or_blank(value).removesuffix(".0")
    return int(text) if text.isdigit() else text or None


def _interval(low: Any, high: Any, points: bool) -> str:
    if not points:
        return interval_text(low, high)
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "–"
    return f"{shown(low, 'points')} – {shown(high, 'points')}"


def _plan_name(data: ReportData, plan_id: object, lang: str) -> str:
    """A plan as its document's title (the place has its own column)."""
    plan = data.plan(str(plan_id))
    return plan.title.get(lang) if plan is not None else text_or_blank(plan_id)


def _unit_text(value: object, lang: str) -> str:
    if value in (SHARE_UNIT.zh, SHARE_UNIT.en):
        return SHARE_UNIT.get(lang)
    return text_or_blank(value)


def _table(key: str, frame: pd.DataFrame, units: Mapping[str, str], data: ReportData, lang: str, *, text: bool,
           drop: tuple[str, ...] = (), title: str | None = None) -> PeopleTable:  # fmt: skip
    shown_frame, unit_frame, grey = readable(frame, units, data, lang, text=text, drop=drop)
    return PeopleTable(key, title or t(key, lang), shown_frame, unit_frame, grey)


def localised(data: ReportData, lang: str) -> pd.DataFrame:
    """The assessment with its names, sentences and notes in ``lang``: an
    assessment made in Chinese, reported in English, is assessed again from
    its own estimate, interval and standard error against the same plan (the
    same numbers, the sentences in the other language)."""
    table = data.assessment
    if table.empty:
        return table
    settings_ = table.attrs.get("assessment") or {}
    level = float((settings_.get("estimate") or {}).get("level", 0.95))
    rows = []
    for record in table.to_dict("records"):
        plan = data.plan(str(record.get("plan")))
        if plan is None:
            rows.append(record)
            continue
        settings = Settings(int(record["year"]), float(settings_.get("alpha", 0.05)), data.domain, lang)
        again = assess_one(pd.Series({**record, "level_ci": level}), plan, settings)
        rows.append({**record, "name": again["name"], "evidence": again["evidence"], "note": again.get("note", "")})
    out = pd.DataFrame(rows, columns=table.columns)
    out.attrs = table.attrs
    return out


def headline(data: ReportData, lang: str) -> PeopleTable:
    """The results by jurisdiction, as text: the place, estimate and interval,
    target (year), gap with its interval, status in words (and colour),
    progress, the path value, the growth needed, reliability and evidence."""
    from literacy.report.charts import STATUS_COLOURS  # matplotlib: only when a report is written

    table = localised(data, lang)
    heads = ["jurisdiction", "estimate", "ci", "target", "gap", "status", "progress", "path", "growth_needed",
             "reliability", "evidence"]  # fmt: skip
    rows = []
    for row in table.to_dict("records"):
        year = text_or_blank(row.get("target_year")).removesuffix(".0")
        target = f"{shown(row.get('target'), 'percent')} ({year})" if pd.notna(row.get("target")) else "–"
        gap = (
            f"{shown(row['gap'], 'points')} ({shown(row['gap_lower'], 'points')} – {shown(row['gap_upper'], 'points')})"
            if pd.notna(row.get("gap"))
            else "–"
        )
        progress = row.get("progress")
        rows.append(
            [
                _place(data, row, lang),
                shown(row["estimate"], "percent"),
                interval_text(row["ci_lower"], row["ci_upper"]),
                target,
                gap,
                status_label(row["status"], lang),
                progress_label(progress, lang) if isinstance(progress, str) else "–",
                f"{shown(row.get('path_linear'), 'percent')} / {shown(row.get('path_compound'), 'percent')}",
                shown(row.get("growth_needed"), "percent"),
                flags_text(row.get("flags"), lang) or t("reliable", lang),
                sentence(row.get("evidence"), row.get("note")),
            ]
        )
    frame = pd.DataFrame(rows, columns=[t(h, lang) for h in heads])
    # The number columns (already text): "text" marks them for right alignment.
    units = pd.DataFrame(None, index=frame.index, columns=frame.columns)
    for position, key in enumerate(heads):
        if key in ("estimate", "ci", "target", "gap", "path", "growth_needed"):
            units.iloc[:, position] = "text"
    return PeopleTable(
        "headline",
        t("headline", lang),
        frame,
        units,
        [bool(flags_text(f, lang)) for f in table["flags"]],
        [STATUS_COLOURS.get(s) for s in table["status"]],
        t("status", lang),
        [t("grey_note", lang)],
    )


def _place(data: ReportData, row: Mapping[str, Any], lang: str) -> str:
    plan = data.plan(str(row.get("plan")))
    return plan.name.get(lang) if plan is not None else text_or_blank(row.get("name"))


def summary_sheet(data: ReportData, lang: str) -> PeopleTable:
    """The assessment with every column, numbers kept (the workbook)."""
    table = localised(data, lang)
    table = table.assign(jurisdiction=[_place(data, r, lang) for r in table.to_dict("records")])
    return _table("headline", table, ASSESSMENT_UNITS, data, lang, text=False, drop=("name",))


def estimates_table(data: ReportData, lang: str, *, text: bool) -> PeopleTable:
    drop = ("population",) if text else ()
    if text:
        drop += ("df", "cv", "se")
    return _table("estimates", data.estimates, estimate_units(data.estimates), data, lang, text=text, drop=drop)


def grades_table(data: ReportData, lang: str, *, text: bool) -> PeopleTable:
    drop = ("population", "df", "cv", "se", "breakdown") if text else ()
    return _table("chart_grades", data.grades, estimate_units(data.grades), data, lang, text=text, drop=drop)


def disparities_table(data: ReportData, lang: str, *, text: bool) -> PeopleTable:
    """The group gaps: the place, the comparison in words, both groups' rates,
    the difference with its interval and p."""
    table = data.disparities
    comparison = [
        comparison_text(g, a, b, lang) for g, a, b in zip(table["group"], table["first"], table["second"], strict=True)
    ]
    flags = table["flags"] if "flags" in table else pd.Series("", index=table.index)  # flagged as the estimates are
    notes = [
        sentence("" if not text_or_blank(n) else Text("无法估计：", "Not estimable: ").get(lang) + text_or_blank(n),
                 disparity_flags_text(f, lang))
        for n, f in zip(table["note"], flags, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "jurisdiction": table["jurisdiction"].to_numpy(),
            "comparison": comparison,
            "estimate_first": table["estimate_first"].to_numpy(),
            "estimate_second": table["estimate_second"].to_numpy(),
            "difference": table["estimate"].to_numpy(),
            "ci_lower": table["ci_lower"].to_numpy(),
            "ci_upper": table["ci_upper"].to_numpy(),
            "p_value": table["p_value"].to_numpy(),
            "note": notes,
        }
    )
    units = {**DISPARITY_UNITS, "difference": "points"}
    out = _table("groups", frame, units, data, lang, text=text)
    out.grey = [bool(text_or_blank(f).strip()) for f in flags]
    out.frame.columns = [header("comparison", lang) if c == "comparison" else c for c in out.frame.columns]
    out.units.columns = out.frame.columns
    return out


def counted_table(data: ReportData, lang: str, *, text: bool) -> PeopleTable:
    """The counted targets, their labels and units from the plan in ``lang``
    (the table holds them in the language it was made in)."""
    table = data.counted.copy()
    if {"plan", "target"} <= set(table.columns):
        labels, units = [], []
        for record in table.to_dict("records"):
            plan = data.plan(str(record["plan"]))
            target = next((c for c in plan.counted_targets if c.id == str(record["target"])), None) if plan else None
            labels.append(target.label.get(lang) if target else record.get("label"))
            shared = record.get("unit") in (SHARE_UNIT.zh, SHARE_UNIT.en)
            units.append(SHARE_UNIT.get(lang) if shared else target.unit.get(lang) if target else record.get("unit"))
        table["label"] = labels
        if "unit" in table:
            table["unit"] = units
    return _table("counted", table, COUNTED_UNITS, data, lang, text=text, drop=("target",))


def districts_table(data: ReportData, lang: str, *, text: bool) -> PeopleTable:
    """The districts: the text formats' readable table, or for the workbook
    every column with the gap to a district target (numbers kept)."""
    if text:
        frame = data.readable_districts(lang)
        units = pd.DataFrame(None, index=frame.index, columns=frame.columns)
        grey = [bool(text_or_blank(f).strip()) for f in data.small_area.get("flags", [])]
        return PeopleTable("districts", t("districts", lang), frame, units, grey, notes=[t("district_note", lang)])
    from literacy.report.xlsx import district_sheet

    frame = district_sheet(data, lang)
    out = _table("districts", frame, {**SMALL_AREA_UNITS, **DISTRICT_GAP_UNITS}, data, lang, text=False)
    out.frame.columns = [c.removeprefix("所在") for c in out.frame.columns]
    out.units.columns = out.frame.columns
    return out


def change_table(data: ReportData, lang: str, *, text: bool) -> PeopleTable:
    """Change since the previous survey (``literacy.assessment.change``): both
    waves, the change in points with its interval and p, and the warnings."""
    table = data.change
    frame = table.copy()
    notes: list[str] = []
    full: list[str] = []
    for record in table.to_dict("records"):
        keys = [k for k in text_or_blank(record.get("note_key")).replace(",", ";").split(";") if k]
        if "like_for_like" in record and not bool(record["like_for_like"]):
            keys.append("different_standards")
        if "previous_se" in record and pd.isna(record["previous_se"]):
            keys.append("fixed_previous")
        words = []
        for key in dict.fromkeys(keys):
            if text and key in CHANGE_SHORT:  # the sentence follows the table
                words.append(CHANGE_SHORT[key].get(lang))
                full.append(_change_note(key, record, lang))
            elif key in CHANGE_NOTES:
                words.append(_change_note(key, record, lang))
        notes.append("; ".join(words))
    frame["note"] = notes
    for column in ("standard", "previous_standard"):
        if column in frame:
            frame[column] = [standard_text(v, lang) for v in frame[column]]
    if "like_for_like" in frame:
        frame["like_for_like"] = [Text("是", "yes").get(lang) if bool(v) else Text("否", "no").get(lang)
                                  for v in frame["like_for_like"]]  # fmt: skip
    frame = frame.rename(columns={"year": "this_year"})
    drop = ("note_key", "jurisdiction_name") + (("previous_standard", "standard", "like_for_like", "change_se")
                                                 if text else ())  # fmt: skip
    out = _table("change", frame, CHANGE_UNITS, data, lang, text=text, drop=drop)
    out.notes = [n for n in dict.fromkeys(full or [p for note in notes for p in note.split("; ")]) if n]
    return out


def _change_note(key: str, record: Mapping[str, Any], lang: str) -> str:
    """The sentence of a change note (the words of the `note` column of
    ``literacy.change``); different standards name both."""
    sentence = CHANGE_NOTES[key].get(lang)
    if key == "different_standards":
        both = Text("（上次：{}；本次：{}）。", " (before: {}; now: {}).").get(lang)
        return sentence.rstrip("。.") + both.format(standard_text(record.get("previous_standard"), lang),
                                                    standard_text(record.get("standard"), lang))
    return sentence


def standard_text(value: object, lang: str) -> str:
    """A standard as people name it: a rule (all_dimensions_pass) in words,
    a shipped instrument id (cast-2024) as its rule and title."""
    from literacy.errors import LiteracyError
    from literacy.instrument import load_instrument, shipped_ids

    name = text_or_blank(value)
    if name in STANDARD_TEXT:
        return STANDARD_TEXT[name].get(lang)
    if name in shipped_ids():
        try:
            instrument = load_instrument(name)
        except LiteracyError:
            return name
        rule = instrument.standard.rule
        return STANDARD_TEXT[rule].get(lang) if rule in STANDARD_TEXT else instrument.title.get(lang)
    return name


# The methods section's values in words: weighting methods, lonely-PSU rules,
# replicate methods, interval methods and small-area transformations by their
# codes (literacy.weighting METHODS, literacy.design, literacy.estimation).
METHOD_VALUE_TEXT = {
    "rake": Text("迭代比例拟合（耙式加权）", "raking (iterative proportional fitting)"),
    "poststratify": Text("事后分层", "post-stratification"),
    "linear": Text("线性校准（广义回归估计）", "linear calibration (GREG)"),
    "raking-bounded": Text("有界迭代比例拟合", "bounded raking"),
    "fail": Text("报错停止", "stop with an error"),
    "remove": Text("不计入方差", "left out of the variance"),
    "certainty": Text("视为必然入样", "taken as certainty units"),
    "adjust": Text("以总体均值为中心计算", "centred on the overall mean"),
    "average": Text("取其他层的平均方差", "the average variance of the other strata"),
    "jk1": Text("刀切法（JK1）", "jackknife (JK1)"),
    "jkn": Text("分层刀切法（JKn）", "stratified jackknife (JKn)"),
    "brr": Text("平衡重复复制（BRR）", "balanced repeated replication (BRR)"),
    "fay": Text("Fay 修正平衡重复复制", "Fay's balanced repeated replication"),
    "bootstrap": Text("自助法", "bootstrap"),
    "other": Text("给定的重复权重", "supplied replicate weights"),
    "logit": Text("logit 变换法", "logit"),
    "wald": Text("Wald 法", "Wald"),
    "korn-graubard": Text("Korn-Graubard 法", "Korn-Graubard"),
    "wilson": Text("Wilson 法", "Wilson"),
    "beta": Text("Beta 法", "beta"),
    "mean": Text("均值法", "mean"),
    "none": Text("无", "none"),
    "arcsin": Text("反正弦变换", "arcsine"),
    "reml": Text("限制最大似然（REML）", "REML"),
    "ml": Text("最大似然（ML）", "ML"),
    "fh": Text("Fay-Herriot 矩估计", "Fay-Herriot moments"),
}
# Variables the toolkit names itself (weights, census shares), beside those
# with a label in the respondent block (city, district, sex...).
VARIABLE_TEXT = {
    "base_weight": Text("基础权重", "base weight"),
    "weight_final": Text("最终权重（校准后）", "final (calibrated) weight"),
    "weight": Text("权重", "weight"),
    "population": Text("人口数", "population"),
    "university_share": Text("大学及以上文化程度人口比例", "share with a university education"),
    "urban_share": Text("城镇人口比例", "urban share"),
    "aged_60_plus_share": Text("60 岁及以上人口比例", "share aged 60 or over"),
    "age_group": Text("年龄段", "age group"),
}
# Keys whose values name variables (columns of the data or the census table).
_VARIABLE_KEYS = ("base_weight", "variables", "by", "weight", "strata", "psu", "covariates", "fpc")


def variable_text(name: object, lang: str) -> str:
    """A variable as its label with the column name after it (区县（district）),
    or the name alone when nothing labels it."""
    code = text_or_blank(name).strip()
    if not code:
        return "–"
    label = VARIABLE_TEXT[code].get(lang) if code in VARIABLE_TEXT else variable_label(code, lang)
    if label is None or label == code:
        return code
    return f"{label}（{code}）" if lang == "zh" else f"{label} ({code})"


def instrument_text(value: object, lang: str) -> str:
    """The instrument as its title in ``lang`` with its id and version: from the
    methods' own titles, or, in a report.json from an earlier version (one
    English line), from the shipped instrument of that id and title."""
    from literacy.instrument import load_instrument, shipped_ids

    if isinstance(value, Mapping):
        titles = value.get("title") or {}
        title = text_or_blank(titles.get(lang) or titles.get("en")) if isinstance(titles, Mapping) else titles
        ident = " ".join(text_or_blank(value.get(k)) for k in ("id", "version") if text_or_blank(value.get(k)))
    else:
        line = text_or_blank(value)
        ident, _, title = line.partition(": ")
        code = ident.split(" ")[0]
        if lang == "zh" and code in shipped_ids():
            with contextlib.suppress(LiteracyError):
                shipped = load_instrument(code)
                if shipped.title.en == title:  # that instrument indeed, not another under its id
                    title = shipped.title.zh
    if not title:
        return ident
    if lang == "zh":
        return f"{title}，{ident}" if title.endswith("）") else f"{title}（{ident}）"
    return f"{title} ({ident})"


def _word(code: str, lang: str) -> str:
    return METHOD_VALUE_TEXT[code].get(lang) if code in METHOD_VALUE_TEXT else code


def _translated(pattern: str, text: str, zh: Callable[[re.Match[str]], str], lang: str) -> str | None:
    """``zh(match)`` when ``text`` (an English methods line) matches ``pattern``
    and the report is in Chinese; the line itself in English; None if it
    does not match."""
    match = re.fullmatch(pattern, text)
    if match is None:
        return None
    return zh(match) if lang == "zh" else text


def method_value(path: tuple[str, ...], value: Any, lang: str, data: ReportData | None = None) -> str:
    """One methods fact in words in ``lang``: codes (rake, adjust, logit) in
    words, variable names with their labels, and the English lines the
    methods record (``literacy run``'s report.json) in Chinese."""
    key = path[-1]
    if isinstance(value, (list, tuple)):
        return "、".join(method_value(path, v, lang, data) for v in value) if lang == "zh" else ", ".join(
            method_value(path, v, lang, data) for v in value)  # fmt: skip
    if isinstance(value, bool) or not isinstance(value, str):
        return _plain(value, lang)
    if key in _VARIABLE_KEYS:
        names = [v.strip() for v in value.split(",")] if "," in value else [value]
        return ("、" if lang == "zh" else ", ").join(variable_text(n, lang) for n in names)
    if key in ("method", "lonely_psu", "transformation") and value in METHOD_VALUE_TEXT:
        return _word(value, lang)
    patterns: list[tuple[str, Callable[[re.Match[str]], str]]] = [
        (r"none \(equal weights or the base weight\)", lambda m: "无（等权，或只用基础权重）"),
        (r"n (\S+), Kish deff (\S+), weights (.+?)-(\d\S*), trimmed (\S+)",
         lambda m: f"样本量 {m[1]}，Kish 设计效应 {m[2]}，权重 {m[3]}–{m[4]}，截尾 {m[5]} 个"),
        (r"taylor(?:, calibrated \((\S+)\))? linearisation.*",
         lambda m: "泰勒线性化（同 R survey 包的 svydesign，含 ids 与 strata）"
         + (f"；{_word(m[1], 'zh')}校准权重的方差用校准残差计算" if m[1] else "")),
        (r"taylor", lambda m: "泰勒线性化"),
        (r"replicates \((\w+)(, each recalibrated)?\)",
         lambda m: f"重复权重法：{_word(m[1], 'zh')}" + ("，每组重复权重重新校准" if m[2] else "")),
        (r"(\S+) at ([\d.]+), df = PSUs - strata per domain",
         lambda m: f"{_word(m[1], 'zh')}，置信水平 {m[2]}，自由度 = 各地区初级抽样单位数 − 层数"),
        (r"Fay-Herriot area-level model, (\w+), transformation (\S+)",
         lambda m: f"Fay-Herriot 区域层次模型，{_word(m[1].lower(), 'zh')}估计，变换：{_word(m[2], 'zh')}"),
        (r"(\d+) \((\d+) with a direct estimate\)", lambda m: f"{m[1]} 个（其中 {m[2]} 个有直接估计）"),
        (r"Shapiro-Wilk W = (\S+), p = ([^;]+)(?:; mean EBLUP - direct = (\S+) points)?",
         lambda m: f"Shapiro-Wilk 正态性检验 W = {m[1]}，p = {m[2]}"
         + (f"；EBLUP 与直接估计之差的平均 {m[3]} 个百分点" if m[3] else "")),
        (r"mean EBLUP - direct = (\S+) points", lambda m: f"EBLUP 与直接估计之差的平均 {m[1]} 个百分点"),
        (r"one model over all cities, with city indicators", lambda m: "各城市共用一个模型，含城市指示变量"),
        (r"one model", lambda m: "一个模型"),
        (r"ratio, to each (\S+)'s direct estimate; mse is the EBLUP's",
         lambda m: f"比率基准化：各{variable_label(m[1], 'zh') or m[1]}内区县 EBLUP 的加权平均等于其直接估计；"
         "均方误差为基准化前 EBLUP 的"),
        (r"EBLUP ± z·rmse at ([\d.]+)", lambda m: f"EBLUP ± z × 均方根误差，置信水平 {m[1]}"),
    ]
    for pattern, zh in patterns:
        shown_ = _translated(pattern, value, zh, lang)
        if shown_ is not None:
            return shown_
    return _plain(value, lang) if value not in METHOD_VALUE_TEXT else _word(value, lang)


def methods_rows(methods: Mapping[str, Any], lang: str, prefix: str = "", data: ReportData | None = None,
                 path: tuple[str, ...] = ()) -> list[tuple[str, str]]:  # fmt: skip
    """The methods facts as (item, value) rows in ``lang``: the items named
    (a city code among them, as in weighting by city, by its name), the
    values in words (:func:`method_value`), the instrument by its title; the
    small-area model only when the report has the district table."""
    rows: list[tuple[str, str]] = []
    for key, value in methods.items():
        key = str(key)
        if key == "small_area" and not path and data is not None and data.small_area.empty:
            continue  # the model of a district table this report does not have
        word = METHOD_TEXT[key].get(lang) if key in METHOD_TEXT else data.place(key, lang) if data else key
        name = f"{prefix}{word}"
        if key == "instrument" and path in ((), ("previous",)):  # this wave's, or the earlier one's (run)
            rows.append((name, instrument_text(value, lang)))
        elif isinstance(value, Mapping):
            rows += methods_rows(value, lang, f"{name} / ", data, (*path, key))
        else:
            rows.append((name, method_value((*path, key), value, lang, data)))
    return rows


def _plain(value: Any, lang: str = "en") -> str:
    if isinstance(value, bool):
        return Text("是", "yes").get(lang) if value else Text("否", "no").get(lang)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str) and value in STANDARD_TEXT:
        return STANDARD_TEXT[value].get(lang)
    return text_or_blank(value)


NOT_RECORDED = (
    Text("说明", "Note"),
    Text("未记录：报告生成时没有抽样设计、加权和数据检查的记录。"
         "用 literacy run 或 ReportData.from_run(...) 生成报告即可写明方法。",
         "Not recorded: the report was made without the records of its design, weighting and checks. Make it with "
         "literacy run or ReportData.from_run(...) to describe them."),
)  # fmt: skip


def report_methods(data: ReportData, lang: str) -> list[tuple[str, str]]:
    """The Methods section of every report format: the facts the report was
    given and those its estimates table carries (``known_methods``), else a
    line saying none were recorded (never a heading with nothing under it)."""
    rows = methods_rows(data.known_methods(), lang, data=data)
    return rows or [(NOT_RECORDED[0].get(lang), NOT_RECORDED[1].get(lang))]


def methods_table(data: ReportData, lang: str) -> PeopleTable:
    columns = [header("item", lang), header("value", lang)]
    frame = pd.DataFrame(report_methods(data, lang), columns=columns)
    return PeopleTable("methods", t("methods", lang), frame, pd.DataFrame(None, index=frame.index,
                                                                          columns=frame.columns))  # fmt: skip


def body_tables(data: ReportData, lang: str, *, text: bool) -> list[PeopleTable]:
    """The report's tables after the headline, in order, those with data."""
    tables = []
    if not data.change.empty:
        tables.append(change_table(data, lang, text=text))
    if not data.disparities.empty:
        tables.append(disparities_table(data, lang, text=text))
    if not data.small_area.empty:
        tables.append(districts_table(data, lang, text=text))
    if not data.estimates.empty:
        tables.append(estimates_table(data, lang, text=text))
    if not data.grades.empty and not text:
        tables.append(grades_table(data, lang, text=text))
    if not data.counted.empty:
        tables.append(counted_table(data, lang, text=text))
    return tables
