"""What a report shows, gathered in one object, and the texts in two languages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from literacy.instrument import Text
from literacy.plans import Plan

TEXT = {
    "title": Text("公民科学素质调查：目标差距评估", "Citizen science literacy survey: target-gap assessment"),
    "headline": Text("各地区结果", "Results by jurisdiction"),
    "jurisdiction": Text("地区", "Jurisdiction"),
    "estimate": Text("估计值", "Estimate"),
    "ci": Text("95% 置信区间", "95% CI"),
    "target": Text("目标", "Target"),
    "gap": Text("差距（百分点）", "Gap (points)"),
    "status": Text("是否达到目标", "Target met?"),
    "progress": Text("进度", "Progress"),
    "evidence": Text("依据", "Evidence"),
    "reliability": Text("可靠性", "Reliability"),
    "reliable": Text("可靠", "reliable"),
    "path": Text("路径要求值（线性 / 复合）", "Path value now (linear / compound)"),
    "growth_needed": Text("今后每年需增长", "Growth needed per year"),
    "charts": Text("图表", "Charts"),
    "chart_targets": Text("估计值、置信区间与目标", "Estimates with intervals against the targets"),
    "chart_trajectory": Text("从基线到目标的轨迹", "Trajectory from the baselines to the target"),
    "chart_grades": Text("等级分布", "Grade distribution"),
    "chart_groups": Text("群体差距（百分点）", "Group gaps (percentage points)"),
    "groups": Text("群体差距", "Group gaps"),
    "comparison": Text("比较（前者减后者，百分点）", "Comparison (first minus second, points)"),
    "estimates": Text("分组估计", "Estimates by group"),
    "counted": Text("其他量化目标", "Counted targets"),
    "methods": Text("方法说明", "Methods"),
    "national": Text("全国", "China"),
    "survey": Text("本次调查", "This survey"),
    "baseline": Text("公布值", "Published"),
    "year": Text("年份", "Year"),
    "rate": Text("具备科学素质的比例（%）", "Scientifically literate (%)"),
    "grey_note": Text(
        "灰色行的估计不可靠，原因见“可靠性”列。",
        "Grey rows are unreliable; the reason is in the Reliability column.",
    ),
}
FLAG_TEXT = {
    "low_n_eff": Text("有效样本量过小", "effective sample size too small"),
    "low_df": Text("自由度过少", "too few degrees of freedom"),
    "df_nonpositive": Text("自由度不足", "no degrees of freedom"),
    "wide_ci": Text("置信区间过宽", "interval too wide"),
    "wide_relative_ci": Text("相对区间过宽", "interval too wide relative to the estimate"),
    "no_data": Text("无数据", "no data"),
    "no_weight": Text("无权重", "no weight"),
    "zero_variance": Text("方差为零", "zero variance"),
    "boundary_one_sided_ci": Text("估计为 0 或 100%，区间为单侧", "estimate at 0 or 100%: one-sided interval"),
}


def value_text(variable: str, value: object, lang: str) -> str:
    """A group value as people read it: 男/Male for sex=male, 农民 for group_farmer=1."""
    from literacy.groups import KEY_GROUPS
    from literacy.instrument import respondent_block

    if variable.startswith("group_"):
        group = KEY_GROUPS.get(variable[len("group_") :], Text(variable, variable))
        member = str(value) in ("1", "1.0", "True")
        return group.get(lang) if member else Text("其他人", "everyone else").get(lang)
    for field_ in respondent_block():
        if field_.id == variable:
            for choice in field_.options:
                if choice.name == str(value):
                    return choice.label.get(lang)
    return str(value)


def comparison_text(variable: str, first: object, second: object, lang: str) -> str:
    return f"{value_text(variable, first, lang)} − {value_text(variable, second, lang)}"


def t(key: str, lang: str) -> str:
    return TEXT[key].get(lang)


def text_or_blank(value: object) -> str:
    """A value as text, with a missing one (None, NaN, NA) as "": an optional
    note read back from CSV is NaN, and ``NaN or ""`` is NaN, which once ended
    every headline sentence with " nan"."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    return str(value)


def sentence(*parts: object) -> str:
    """Parts of a sentence joined by spaces, leaving out missing ones."""
    return " ".join(text for text in (text_or_blank(p).strip() for p in parts) if text)


def flags_text(flags: object, lang: str) -> str:
    if not isinstance(flags, str) or not flags.strip():
        return ""
    parts = []
    for flag in flags.replace(";", ",").split(","):
        flag = flag.strip()
        if not flag:
            continue
        parts.append(FLAG_TEXT[flag].get(lang) if flag in FLAG_TEXT else flag)
    return "; ".join(parts)


@dataclass
class ReportData:
    """The tables and facts of one report."""

    assessment: pd.DataFrame
    estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    grades: pd.DataFrame = field(default_factory=pd.DataFrame)
    disparities: pd.DataFrame = field(default_factory=pd.DataFrame)
    counted: pd.DataFrame = field(default_factory=pd.DataFrame)
    methods: dict[str, Any] = field(default_factory=dict)
    plans: list[Plan] = field(default_factory=list)
    domain: str = "city"
    grade_labels: dict[str, Text] = field(default_factory=dict)

    def plan(self, plan_id: str) -> Plan | None:
        return next((p for p in self.plans if p.id == plan_id), None)

    def place(self, code: object, lang: str) -> str:
        """A jurisdiction code (the data's city column) as its name."""
        plan = next((p for p in self.plans if p.code == str(code)), None)
        return plan.name.get(lang) if plan else str(code)

    def readable_disparities(self, lang: str) -> pd.DataFrame:
        """The group gaps with names and comparisons in words."""
        table = self.disparities
        if table.empty:
            return table
        out = pd.DataFrame(
            {
                t("jurisdiction", lang): [self.place(c, lang) for c in table["jurisdiction"]],
                t("comparison", lang): [
                    comparison_text(g, a, b, lang)
                    for g, a, b in zip(table["group"], table["first"], table["second"], strict=True)
                ],
            }
        )
        for column in ("estimate_first", "estimate_second", "estimate", "ci_lower", "ci_upper", "p_value"):
            out[column] = table[column].to_numpy()
        out["note"] = table["note"].fillna("").to_numpy()
        return out
