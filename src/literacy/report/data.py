"""What a report shows, gathered in one object, the texts in two languages,
and how numbers are shown: the tables hold proportions (README "Units") and
only what people read (reports, ``--format table``) shows percent."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from literacy.assessment import ASSESSMENT_UNITS, DISPARITY_UNITS, SHARE_UNIT
from literacy.errors import LiteracyError
from literacy.instrument import Text
from literacy.plans import Plan, load_plan

if TYPE_CHECKING:
    from literacy.design import Design
    from literacy.instrument import Instrument
    from literacy.validate import Validation
    from literacy.weighting import WeightingResult

# The estimates of a proportion (``literacy.estimate``); a mean has no unit here.
ESTIMATE_UNITS = {"estimate": "percent", "se": "se", "ci_lower": "percent", "ci_upper": "percent"}
# How a unit is written for people and its Excel number format on the proportion.
# The district (small-area) table and its target gaps: proportions as above;
# mse (a variance), shrinkage and cv are not shares.
SMALL_AREA_UNITS = {
    "direct": "percent",
    "direct_se": "se",
    "direct_ci_lower": "percent",
    "direct_ci_upper": "percent",
    "eblup": "percent",
    "rmse": "se",
    "ci_lower": "percent",
    "ci_upper": "percent",
    "synthetic": "percent",
}
DISTRICT_GAP_UNITS = {
    "eblup": "percent",
    "rmse": "se",
    "ci_lower": "percent",
    "ci_upper": "percent",
    "target": "percent",
    "gap": "points",
    "gap_lower": "points",
    "gap_upper": "points",
}
_SHOWN = {"percent": "{:.1f}%", "points": "{:+.1f}", "se": "{:.2f}"}
# The workbook keeps shares as proportions under a percent format (0.123 as
# 12.3%); differences and standard errors, headed "(points)", as points
# (0.031 stored as 3.1): Excel has no format that shows a proportion as points.
EXCEL_FORMATS = {"percent": "0.0%", "points": "+0.0;-0.0;0.0", "se": "0.00"}
EXCEL_IN_POINTS = ("points", "se")
# p-values: three decimals, and "<0.001" below that (never "0.0" for 4e-11).
EXCEL_P_FORMAT = '[<0.001]"<0.001";0.000'

_SHARE_UNIT_TEXTS = {SHARE_UNIT.zh, SHARE_UNIT.en}

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
    "districts": Text("区县估计（小区域估计）", "District estimates (small areas)"),
    "chart_districts": Text(
        "区县：直接估计与 EBLUP 及其置信区间", "Districts: direct estimates and EBLUPs with their intervals"
    ),
    "city": Text("城市", "City"),
    "district": Text("区县", "District"),
    "interviews": Text("样本量", "Interviews"),
    "direct": Text("直接估计", "Direct"),
    "direct_ci": Text("直接估计区间", "Direct interval"),
    "eblup": Text("EBLUP（模型估计）", "EBLUP (model-based)"),
    "eblup_ci": Text("EBLUP 区间", "EBLUP interval"),
    "shrinkage": Text("直接估计权重", "Weight on direct"),
    "target_gap": Text("与区县目标差距（百分点）", "Gap to district target (points)"),
    "district_note": Text(
        "EBLUP 借助普查协变量（Fay-Herriot 模型），样本少的区县更多依赖模型；"
        "“直接估计权重”为 EBLUP 中直接估计所占的比重。",
        "The EBLUP borrows strength from census covariates (Fay-Herriot model): districts with few interviews "
        "lean more on the model; the weight on direct is the direct estimate's share in the EBLUP.",
    ),
    "change": Text("与上次调查相比的变化", "Change since the previous survey"),
    "previous_wave": Text("上次调查", "Previous survey"),
    "date": Text("报告日期", "Report date"),
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
    # District (small-area) estimates: literacy.smallarea.FLAGS
    "out_of_sample": Text("无样本，仅模型估计", "no interviews: model (synthetic) estimate only"),
    "variance_smoothed": Text("直接估计方差为零，已平滑", "zero direct variance, smoothed"),
    "cv_above_0.3": Text("变异系数超过 0.3", "coefficient of variation above 0.3"),
    "mse_above_direct": Text("模型估计误差大于直接估计", "model error above the direct estimate's"),
    "residual_above_3": Text("模型残差过大", "the model fits this district badly"),
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


def estimate_units(estimates: pd.DataFrame) -> dict[str, str]:
    """The units of an estimates table: shares unless it holds means."""
    statistic = (estimates.attrs.get("estimate") or {}).get("statistic")
    return {} if statistic == "mean" else ESTIMATE_UNITS


def cell_unit(units: Mapping[str, str], column: str, record: Mapping[str, Any]) -> str | None:
    """The unit of one cell: a counted target's values are shares only in
    the rows whose unit is "share" (a target the plan words in percent)."""
    unit = units.get(column)
    if unit == "if_share":
        return "percent" if str(record.get("unit", "")) in _SHARE_UNIT_TEXTS else None
    return unit


def shown(value: Any, unit: str | None, digits: int = 2) -> str:
    """A number as people read it: a proportion in percent (12.3%), a
    difference of proportions in points (+2.3), others as they are."""
    if value is None or value is pd.NA:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "–"
    if unit in _SHOWN:
        return _SHOWN[unit].format(100 * number)
    return f"{number:.{digits}f}" if isinstance(value, float) else str(value)


def for_people(frame: pd.DataFrame, units: Mapping[str, str]) -> pd.DataFrame:
    """A copy of ``frame`` whose number columns named in ``units`` are text
    in percent or points (``--format table``, HTML and Markdown tables)."""
    out = frame.copy()
    records = frame.to_dict("records")
    for column in frame.columns:
        if column in units:
            out[column] = [shown(r[column], cell_unit(units, str(column), r)) for r in records]
    return out


def check_units(data: ReportData) -> None:
    """Refuse tables in percent (an assessment made by an older version, or
    typed by hand): a share of 12 would be shown as 1200%."""
    tables = (
        ("assessment", data.assessment, ASSESSMENT_UNITS),
        ("estimates", data.estimates, estimate_units(data.estimates)),
        ("grades", data.grades, ESTIMATE_UNITS),
        ("disparities", data.disparities, DISPARITY_UNITS),
        ("small_area", data.small_area, SMALL_AREA_UNITS),
        ("district_gaps", data.district_gaps, DISTRICT_GAP_UNITS),
    )
    for name, frame, units in tables:
        for column, unit in units.items():
            # Growth rates are proportions too, but may pass 1 (doubling in a year).
            if column not in frame or unit not in ("percent", "points") or "growth" in column:
                continue
            values = pd.to_numeric(frame[column], errors="coerce").abs()
            if (values > 1 + 1e-9).any():
                raise LiteracyError(
                    f"The {name} column {column} holds {values.max():g}, a percentage: tables hold proportions "
                    f"from 0 to 1 (0.12 for 12%), so make the {name} table again with this version."
                )


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
    small_area: pd.DataFrame = field(default_factory=pd.DataFrame)
    district_gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Change since the previous survey (``literacy.assessment.change``): one
    # row per jurisdiction (and plan), shares as proportions; empty when the
    # run names no earlier wave.
    change: pd.DataFrame = field(default_factory=pd.DataFrame)

    def plan(self, plan_id: str) -> Plan | None:
        return next((p for p in self.plans if p.id == plan_id), None)

    def known_methods(self) -> dict[str, Any]:
        """The methods facts the report was given, with those its estimates
        table carries (design, variance, interval, reliability rule) where
        they are missing: what every format's Methods section and the JSON's
        ``methods`` show."""
        known = dict(self.methods)
        for key, value in estimate_methods(self.estimates).items():
            known.setdefault(key, value)
        return known

    def grade(self, level: object, lang: str) -> str:
        """A grade id (``basic``) as its name: from the instrument the run
        used, else from the shipped instrument that has that grade (a report
        made from files, ``literacy report``, has no instrument in hand)."""
        key = str(level)
        if key in self.grade_labels:
            return self.grade_labels[key].get(lang)
        from literacy.instrument import list_instruments

        for instrument in list_instruments():
            for grade in instrument.standard.grades:
                if grade.id == key:
                    return grade.label.get(lang)
        return key

    def place(self, code: object, lang: str) -> str:
        """A jurisdiction code (the data's city column) as its name: from the
        report's plans, else from the shipped plans (a report made through the
        API from tables alone), else the code itself."""
        plan = next((p for p in self.plans if p.code == str(code)), None)
        if plan:
            return plan.name.get(lang)
        from literacy.labels import place_name

        return place_name(code, lang) or str(code)

    def district(self, city: object, code: object, lang: str) -> str:
        """A district code as its name: as a plan's district target names it,
        or a name column of the district table (``district_name``,
        ``<area>_name``); else the code itself, never words of another language."""
        key = text_or_blank(code)
        for plan in self.plans:
            if city is not None and text_or_blank(city) and plan.code != text_or_blank(city):
                continue
            for target in plan.district_targets:
                if target.district == key and target.name is not None:
                    return target.name.get(lang)
        table = self.small_area
        area = str((table.attrs.get("small_area") or {}).get("area") or "district")
        for column in (f"{area}_name_{lang}", "district_name", f"{area}_name"):
            if column in table.columns and area in table.columns:
                names = table.loc[table[area].astype(str) == key, column].dropna()
                if len(names) and text_or_blank(names.iloc[0]).strip():
                    return text_or_blank(names.iloc[0]).strip()
        return key

    @classmethod
    def from_run(
        cls,
        assessment: pd.DataFrame,
        estimates: pd.DataFrame,
        *,
        instrument: Instrument,
        validation: Validation | Sequence[Validation],
        design: Design,
        weighting: WeightingResult | None = None,
        grades: pd.DataFrame | None = None,
        disparities: pd.DataFrame | None = None,
        counted: pd.DataFrame | None = None,
        plans: Sequence[Plan | str] | None = None,
        small_area: pd.DataFrame | None = None,
        district_gaps: pd.DataFrame | None = None,
        change: pd.DataFrame | None = None,
    ) -> ReportData:
        """The report ``literacy run`` writes, from the step results a Python
        user holds: the methods section (instrument and standard, sample and
        rejects, weighting and its diagnostics, design, variance, interval)
        is assembled here, so the two cannot drift apart. ``validation`` is
        one result per input file; rows of the clean data that are not
        scorable rows of ``design`` count as unscorable. Plans default to
        those the assessment names; survey year and domain come from it."""
        checks = [validation] if not isinstance(validation, Sequence) else list(validation)
        if not checks:
            raise LiteracyError("Give the validation result of at least one input file.")
        settings = assessment.attrs.get("assessment") or {}
        year = settings.get("year", assessment["year"].iloc[0] if len(assessment) and "year" in assessment else None)
        wanted = list(plans) if plans is not None else list(dict.fromkeys(map(str, assessment.get("plan", []))))
        loaded = [load_plan(p) for p in wanted]
        methods = methods_section(instrument, checks, design, estimates, weighting, year)
        if small_area is not None and not small_area.empty:
            methods["small_area"] = small_area_method(small_area)
        return cls(
            assessment,
            estimates,
            grades if grades is not None else pd.DataFrame(),
            disparities if disparities is not None else pd.DataFrame(),
            counted if counted is not None else pd.DataFrame(),
            methods,
            loaded,
            str(settings.get("domain", "city")),
            {grade.id: grade.label for grade in instrument.standard.grades},
            small_area if small_area is not None else pd.DataFrame(),
            district_gaps if district_gaps is not None else pd.DataFrame(),
            change if change is not None else pd.DataFrame(),
        )

    def readable_districts(self, lang: str) -> pd.DataFrame:
        """The district table as people read it: names, intervals in percent,
        the weight on the direct estimate, and the gap to a district target."""
        table = self.small_area
        if table.empty:
            return table
        model = table.attrs.get("small_area") or {}
        area = str(model.get("area") or "district")
        domain = model.get("domain")
        gaps: dict[tuple[str, str], str] = {}
        for row in self.district_gaps.to_dict("records") if not self.district_gaps.empty else []:
            gaps[(str(row["jurisdiction"]), str(row["district"]))] = (
                f"{shown(row['gap'], 'points')} ({shown(row['gap_lower'], 'points')} to "
                f"{shown(row['gap_upper'], 'points')})"
            )
        out = pd.DataFrame()
        if domain and domain in table.columns:
            out[t("city", lang)] = [self.place(c, lang) for c in table[domain]]
        cities = table[domain] if domain and domain in table.columns else [None] * len(table)
        out[t("district", lang)] = [self.district(c, d, lang) for c, d in zip(cities, table[area], strict=True)]
        out[t("interviews", lang)] = table["n"].to_numpy()
        out[t("direct", lang)] = [shown(v, "percent") for v in table["direct"]]
        out[t("direct_ci", lang)] = [interval_text(lo, hi) for lo, hi in
                                     zip(table["direct_ci_lower"], table["direct_ci_upper"], strict=True)]  # fmt: skip
        out[t("eblup", lang)] = [shown(v, "percent") for v in table["eblup"]]
        out[t("eblup_ci", lang)] = [interval_text(lo, hi) for lo, hi in
                                    zip(table["ci_lower"], table["ci_upper"], strict=True)]  # fmt: skip
        out[t("shrinkage", lang)] = [f"{v:.2f}" if pd.notna(v) else "–" for v in table["shrinkage"]]
        if gaps:
            cities = table[domain].astype(str) if domain and domain in table.columns else [""] * len(table)
            out[t("target_gap", lang)] = [gaps.get((c, str(d)), "–") for c, d in zip(cities, table[area],
                                                                                    strict=True)]  # fmt: skip
        out[t("reliability", lang)] = [flags_text(f, lang) for f in table["flags"]]
        return out

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


def interval_text(low: Any, high: Any) -> str:
    """An interval of proportions in percent without the signs (9.4–15.2)."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "–"
    return f"{100 * float(low):.1f}–{100 * float(high):.1f}"


SMALL_AREA_COLUMNS = ("n", "direct", "direct_ci_lower", "direct_ci_upper", "eblup", "ci_lower", "ci_upper",
                      "shrinkage", "flags")  # fmt: skip
DISTRICT_GAP_COLUMNS = ("jurisdiction", "district", "target", "gap", "gap_lower", "gap_upper", "status")


def district_tables(small_area: pd.DataFrame, district_gaps: pd.DataFrame | None = None, *, source: str = "",
                    gaps_source: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """A district table (``literacy run``'s small_area.csv) and its gaps to
    district targets (district_gaps.csv) checked for a report made from files:
    the columns the report shows, and the model's metadata (area and city
    columns), taken from the columns when the file came without its sidecar."""
    missing = [c for c in SMALL_AREA_COLUMNS if c not in small_area.columns]
    model = dict(small_area.attrs.get("small_area") or {})
    area = str(model.get("area") or "district")
    if area not in small_area.columns:
        missing.insert(0, area)
    if missing:
        raise LiteracyError(f"{source or 'The district table'} has no column {missing[0]!r}; give the small_area.csv "
                            "that literacy run writes (with its .meta.json beside it).")  # fmt: skip
    if not model:
        model = {"area": area, "domain": "city" if "city" in small_area.columns else None}
        small_area = small_area.copy()
        small_area.attrs["small_area"] = model
    gaps = district_gaps if district_gaps is not None else pd.DataFrame()
    if not gaps.empty:
        absent = [c for c in DISTRICT_GAP_COLUMNS if c not in gaps.columns]
        if absent:
            raise LiteracyError(f"{gaps_source or 'The district gaps table'} has no column {absent[0]!r}; give the "
                                "district_gaps.csv that literacy run writes.")  # fmt: skip
    return small_area, gaps


def small_area_method(table: pd.DataFrame) -> dict[str, Any]:
    """The methods facts of the district estimates (from the table's metadata)."""
    model = table.attrs.get("small_area") or {}
    bench = model.get("benchmark") or {}
    r2 = model.get("r2")
    return {
        "model": f"Fay-Herriot area-level model, {str(model.get('method', '')).upper()}, transformation "
        f"{model.get('transformation')}",
        "areas": f"{len(table)} ({model.get('areas')} with a direct estimate)",
        "covariates": ", ".join(map(str, model.get("model_covariates", []))),
        "sigma2_u": model.get("sigma2_u"),
        "r2": r2 if r2 is not None else "–",
        "residuals": _residual_summary(model.get("diagnostics") or {}),
        "pooled": "one model over all cities, with city indicators" if model.get("pooled") else "one model",
        "benchmark": f"ratio, to each {bench.get('by') or 'survey'}'s direct estimate; mse is the EBLUP's"
        if bench
        else "none",
        "interval": f"EBLUP ± z·rmse at {model.get('level')}",
    }


def _residual_summary(diagnostics: dict[str, Any]) -> str:
    """The model checks a reviewer asks for, in one line: normality of the
    standardised residuals (Shapiro-Wilk) and EBLUP - direct on average."""
    parts = []
    if diagnostics.get("shapiro_p") is not None:
        parts.append(f"Shapiro-Wilk W = {diagnostics.get('shapiro_w', float('nan')):.3f}, "
                     f"p = {diagnostics['shapiro_p']:.3g}")  # fmt: skip
    if diagnostics.get("mean_eblup_minus_direct") is not None:
        parts.append(f"mean EBLUP - direct = {100 * diagnostics['mean_eblup_minus_direct']:+.2f} points")
    return "; ".join(parts) or "–"


def sample_counts(validation: Sequence[Validation], design: Design) -> dict[str, Any]:
    """Rows read, clean, rejected (with reasons) and unscorable: clean rows
    that are not scorable rows of the design."""
    rejections: dict[str, int] = {}
    for check in validation:
        for reason, rows in check.summary["rejections"].items():
            rejections[reason] = rejections.get(reason, 0) + rows
    clean = sum(int(check.summary["clean_rows"]) for check in validation)
    data = design.data
    scorable = int(data["scorable"].astype(bool).sum()) if "scorable" in data else len(data)
    return {
        "interviews_read": sum(int(check.summary["input_rows"]) for check in validation),
        "clean": clean,
        "rejected": sum(int(check.summary["rejected_rows"]) for check in validation),
        "unscorable": max(clean - scorable, 0),
        "rejections": rejections,
    }


def methods_section(
    instrument: Instrument,
    validation: Sequence[Validation],
    design: Design,
    estimates: pd.DataFrame,
    weighting: WeightingResult | None,
    year: object,
) -> dict[str, Any]:
    """The methods facts of a report (``ReportData.methods``), from the step
    results; :meth:`ReportData.from_run` and ``literacy run`` both use it."""
    if weighting is not None:
        record = weighting.record or {}
        described: dict[str, Any] | str = {
            **{
                k: v
                for k, v in record.items()
                if k in ("method", "base_weight", "variables", "by", "iterations", "converged")
            },
            "by_group": {
                str(d.get(record.get("by") or "scope", d.get("city", index))): (
                    f"n {d.get('n')}, Kish deff {d.get('kish_deff', float('nan')):.2f}, weights "
                    f"{d.get('weight_min', float('nan')):.3g}-{d.get('weight_max', float('nan')):.3g}, "
                    f"trimmed {d.get('trimmed')}"
                )
                for index, d in enumerate(weighting.diagnostics.to_dict("records"))
            },
        }
    else:
        described = "none (equal weights or the base weight)"
    return {
        # Its title in both languages: a Chinese report names it in Chinese.
        "instrument": {
            "id": instrument.id,
            "version": instrument.version,
            "title": {"zh": instrument.title.zh, "en": instrument.title.en},
        },
        "standard": instrument.standard.rule,
        "survey_year": int(year) if isinstance(year, (int, float)) and not isinstance(year, bool) else year,
        "sample": sample_counts(validation, design),
        "weighting": described,
        **estimate_methods(estimates),
    }


def estimate_methods(estimates: pd.DataFrame) -> dict[str, Any]:
    """The methods facts an estimates table carries itself (its
    ``attrs["estimate"]``, kept in the ``.meta.json`` beside a CSV): design,
    variance, interval and reliability rule. A report made from an estimates
    table alone (``ReportData(assessment, estimates)``) describes these."""
    settings = estimates.attrs.get("estimate", {})
    if not settings:
        return {}
    variance = settings.get("variance", {})
    method = variance.get("method", "taylor")
    return {
        "design": {
            "weight": variance.get("weight"),
            "strata": variance.get("strata"),
            "psu": variance.get("psu"),
            "strata_count": variance.get("strata_count"),
            "psu_count": variance.get("psu_count"),
            "lonely_psu": settings.get("lonely_psu"),
        },
        "variance": method + " linearisation (R survey: svydesign with ids, strata; calibrated weights' variance "
        "uses the calibration residuals)"
        if method.startswith("taylor")
        else method,
        "interval": f"{settings.get('ci_method')} at {settings.get('level')}, df = PSUs - strata per domain",
        "reliability": settings.get("reliability", {}),
    }
