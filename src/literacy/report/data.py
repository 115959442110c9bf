"""What a report shows, gathered in one object, and the texts in two languages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from literacy.plans import Plan

TEXT = {
    "title": ("公民科学素质调查：目标差距评估", "Citizen science literacy survey: target-gap assessment"),
    "headline": ("各地区结果", "Results by jurisdiction"),
    "jurisdiction": ("地区", "Jurisdiction"),
    "estimate": ("估计值", "Estimate"),
    "ci": ("95% 置信区间", "95% CI"),
    "target": ("目标", "Target"),
    "gap": ("差距（百分点）", "Gap (points)"),
    "status": ("是否达到目标", "Target met?"),
    "progress": ("进度", "Progress"),
    "evidence": ("依据", "Evidence"),
    "reliability": ("可靠性", "Reliability"),
    "reliable": ("可靠", "reliable"),
    "path": ("路径要求值（线性 / 复合）", "Path value now (linear / compound)"),
    "growth_needed": ("今后每年需增长", "Growth needed per year"),
    "charts": ("图表", "Charts"),
    "chart_targets": ("估计值、置信区间与目标", "Estimates with intervals against the targets"),
    "chart_trajectory": ("从基线到目标的轨迹", "Trajectory from the baselines to the target"),
    "chart_grades": ("等级分布", "Grade distribution"),
    "chart_groups": ("群体差距（百分点）", "Group gaps (percentage points)"),
    "groups": ("群体差距", "Group gaps"),
    "estimates": ("分组估计", "Estimates by group"),
    "counted": ("其他量化目标", "Counted targets"),
    "methods": ("方法说明", "Methods"),
    "national": ("全国", "China"),
    "survey": ("本次调查", "This survey"),
    "baseline": ("公布值", "Published"),
    "year": ("年份", "Year"),
    "rate": ("具备科学素质的比例（%）", "Scientifically literate (%)"),
    "grey_note": (
        "灰色行的估计不可靠，原因见“可靠性”列。",
        "Grey rows are unreliable; the reason is in the Reliability column.",
    ),
}
FLAG_TEXT = {
    "low_n_eff": ("有效样本量过小", "effective sample size too small"),
    "low_df": ("自由度过少", "too few degrees of freedom"),
    "df_nonpositive": ("自由度不足", "no degrees of freedom"),
    "wide_ci": ("置信区间过宽", "interval too wide"),
    "wide_relative_ci": ("相对区间过宽", "interval too wide relative to the estimate"),
    "no_data": ("无数据", "no data"),
    "no_weight": ("无权重", "no weight"),
    "zero_variance": ("方差为零", "zero variance"),
    "boundary_one_sided_ci": ("估计为 0 或 100%，区间为单侧", "estimate at 0 or 100%: one-sided interval"),
}


def t(key: str, lang: str) -> str:
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


def flags_text(flags: object, lang: str) -> str:
    if not isinstance(flags, str) or not flags.strip():
        return ""
    parts = []
    for flag in flags.replace(";", ",").split(","):
        flag = flag.strip()
        if not flag:
            continue
        zh, en = FLAG_TEXT.get(flag, (flag, flag))
        parts.append(zh if lang == "zh" else en)
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

    def plan(self, plan_id: str) -> Plan | None:
        return next((p for p in self.plans if p.id == plan_id), None)
