"""Item analysis of one instrument's answers: does each item work?

Items are scored exactly as :func:`literacy.score` scores them (the same
``item_results``): the key's answer is right, don't know and refused are
wrong, blank and not asked are missing. Per item this gives the classical
statistics (``classical``), the Rasch model by conditional maximum likelihood
(``rasch``) and Mantel-Haenszel DIF by sex, urban/rural or any two-group
column (``dif``), and flags in words saying when to look again at an item.

Unweighted by default, the psychometric convention: these statistics
describe how the items behave in this sample. ``weight=`` weights the
p-values, shares, covariances, alpha and item-rest correlations (so they
describe the population); the Rasch model and DIF stay unweighted and the
summary says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from literacy.errors import LiteracyError, spell
from literacy.instrument import Instrument, load_instrument
from literacy.scoring import check_columns, item_results, raise_on_invalid

# Thresholds of the flags, with where they come from.
EASY = 0.95  # p above: nearly everyone right, the item tells little (the issue's rule; Ebel & Frisbie 1991)
HARD = 0.05  # p below: nearly everyone wrong
WEAK_DISCRIMINATION = 0.20  # item-rest correlation below: "poor, revise" (Ebel 1965, Ebel & Frisbie 1991)
DONT_KNOW = 0.30  # don't-know share above: the item may be unclear or out of reach
OFTEN_MISSING = 0.10  # missing share above: skipped or not asked often
MISFIT = 1.3  # infit or outfit mean square above: noisy (Wright & Linacre 1994, multiple-choice tests)

# Below this many respondents with an answer (or fewer respondents than
# items), the statistics are too unstable to act on: the summary and the
# command say so and every flag is marked tentative. Linacre (1994, "Sample
# size and item calibration stability", Rasch Measurement Transactions 7:4,
# 328, rasch.org/rmt/rmt74m.htm): Rasch difficulties stable within half a
# logit at 95% confidence need 64 (well-targeted test) to 144 respondents;
# 100 lies between. Fewer respondents than items leave the item covariance
# matrix singular (rank below the number of items), so alpha and the
# item-rest correlations rest on fewer observations than quantities.
MIN_RESPONDENTS = 100

# The usual reference group of the two shipped groupings; any other column
# takes its larger group as the reference.
REFERENCE_GROUPS = {"sex": "male", "urban_rural": "urban"}
DEFAULT_DIF_COLUMNS = ("sex", "urban_rural")

BASE_COLUMNS = [
    "item",
    "dimension",
    "n",
    "p_correct",
    "dont_know_share",
    "missing_share",
    "item_rest_correlation",
    "alpha_if_deleted",
    "rasch_difficulty",
    "rasch_se",
    "infit",
    "outfit",
]
DIF_STATISTICS = ("odds_ratio", "delta", "p_value", "class")

# The words of the flags and notes in both languages. The item table and the
# summary hold the English (that text is part of the API); the report is
# written in the reader's language from the same keys and values.
Words = tuple[str, dict[str, Any]]
_WORDS: dict[str, dict[str, str]] = {
    "nobody": {"en": "nobody answered it", "zh": "无人作答"},
    "all_right": {"en": "no variation: everyone right", "zh": "没有区分：人人答对"},
    "all_wrong": {"en": "no variation: everyone wrong", "zh": "没有区分：人人答错"},
    "negative": {"en": "negative item-rest correlation: check the key", "zh": "与其余题目负相关：请核对答案"},
    "weak": {
        "en": "weak item-rest correlation (below {limit:.2f}): the item hardly discriminates",
        "zh": "与其余题目相关偏弱（低于 {limit:.2f}）：几乎没有区分度",
    },
    "easy": {"en": "very easy (p above {limit:.2f})", "zh": "过易（答对率高于 {limit:.2f}）"},
    "hard": {"en": "very hard (p below {limit:.2f})", "zh": "过难（答对率低于 {limit:.2f}）"},
    "dont_know": {"en": "don't know above {limit:.0%}", "zh": "“不知道”超过 {limit:.0%}"},
    "missing": {"en": "missing for more than {limit:.0%}", "zh": "缺答超过 {limit:.0%}"},
    "misfit": {"en": "Rasch misfit (mean square above {limit})", "zh": "Rasch 拟合不佳（均方高于 {limit}）"},
    "left_out": {"en": "left out of the Rasch model", "zh": "未纳入 Rasch 模型"},
    "dif": {
        "en": "large DIF by {column} (ETS class C, favours {favoured})",
        "zh": "{column}间 DIF 大（ETS C 级，有利于{favoured}）",
    },
    "tentative": {
        "en": "tentative: only {n} respondent(s) answered",
        "zh": "仅供参考：只有 {n} 名受访者作答",
    },
    "small_sample": {
        "en": "Only {n} respondent(s) answered any item, fewer than the {minimum} needed (100, or the number of "
        "items if more): the statistics are too unstable to trust and every flag is marked tentative.",
        "zh": "只有 {n} 名受访者作答，少于所需的 {minimum} 名（100 名；题目多于 100 道时为题数）："
        "各项统计量很不稳定，不足为凭，所有标记均仅供参考。",
    },
    "no_answer": {
        "en": "{count} respondent(s) answered no item (every item blank or not asked): they count in "
        "missing_share only, in no other statistic.",
        "zh": "{count} 名受访者一题未答（全部空白或未问）：只计入缺答比例，不计入其他统计量。",
    },
    "alpha_few_respondents": {
        "en": "Alpha is n/a: it needs at least two respondents with answers, and there are {n}.",
        "zh": "α 无法计算：至少需要两名作答的受访者，现有 {n} 名。",
    },
    "alpha_few_items": {
        "en": "Alpha is n/a: it needs at least two items.",
        "zh": "α 无法计算：至少需要两道题。",
    },
    "alpha_no_variation": {
        "en": "Alpha is n/a: fewer than two items have scores that vary (everyone got the same mark on the others).",
        "zh": "α 无法计算：得分有差异的题目不足两道（其余题目人人得分相同）。",
    },
    "alpha_no_overlap": {
        "en": "Alpha is n/a: some items were never answered by the same respondent, so they have no covariance.",
        "zh": "α 无法计算：有些题目从未由同一受访者同时作答，无法计算协方差。",
    },
    "alpha_no_covariance": {
        "en": "Alpha is n/a: the item covariances sum to zero or less.",
        "zh": "α 无法计算：题目协方差之和不大于零。",
    },
    "dimension_alpha": {"en": "{dimension}: {text}", "zh": "{dimension}：{text}"},
    "no_column": {
        "en": "No DIF by {column}: the table has no {column} column.",
        "zh": "未按{column}分析 DIF：表中没有 {name} 列。",
    },
    "not_two_groups": {
        "en": "DIF by {column} needs exactly two groups, and {column} has {count}{shown}, so it was not tested.",
        "zh": "按{column}分析 DIF 需要恰好两组，而 {name} 有 {count} 组{shown}，因此未做检验。",
    },
    "blank_group": {
        "en": "DIF by {column}: {count} respondent(s) with a blank {column} are left out.",
        "zh": "按{column}分析 DIF：{count} 名受访者的{column}为空，未纳入。",
    },
    "extreme_persons": {
        "en": "{all_right} respondent(s) with every answered item right and {none_right} with none right do not "
        "enter the Rasch model (their scores say nothing about the items' difficulties).",
        "zh": "{all_right} 名受访者所答题目全部答对、{none_right} 名全部答错，未纳入 Rasch 模型"
        "（他们的得分不反映题目难度）。",
    },
    "items_left_out": {
        "en": "Left out of the Rasch model, everyone being right or everyone wrong among those who count: {items}.",
        "zh": "以下题目在纳入的受访者中人人答对或人人答错，未纳入 Rasch 模型：{items}。",
    },
    "not_converged": {
        "en": "The Rasch model did not converge fully; treat its difficulties with care.",
        "zh": "Rasch 模型未完全收敛，其难度估计请谨慎使用。",
    },
    "weighted": {
        "en": "Weighted by {weight}: p_correct, dont_know_share, missing_share, item_rest_correlation, "
        "alpha_if_deleted and alpha; the Rasch model and DIF are unweighted.",
        "zh": "按 {weight} 加权：答对率、“不知道”比例、缺答比例、与其余题目相关、删除该题后的 α 以及 α；"
        "Rasch 模型和 DIF 不加权。",
    },
}


def say(words: Words, lang: str = "en") -> str:
    """``words`` (a key of ``_WORDS`` and its values) in ``lang`` (zh or en).
    In Chinese a shipped grouping and its groups take their labels (sex ->
    性别, male -> 男); any other column or value is shown as it is."""
    key, given = words
    zh = lang == "zh"
    values = dict(given)
    if isinstance(values.get("text"), tuple):
        values["text"] = say(values["text"], lang)
    if "groups" in values:
        groups = values.pop("groups")
        values["shown"] = "" if not groups else f"（{groups}）" if zh else f" ({groups})"
    column = values.get("column")
    if zh and column is not None:
        if "favoured" in values:
            values["favoured"] = _group_label(str(column), str(values["favoured"]))
        values["name"] = column
        values["column"] = _group_label(str(column), None)
    return _WORDS[key]["zh" if zh else "en"].format(**values)


def _group_label(column: str, value: str | None) -> str:
    """The Chinese label of a shipped grouping (``value`` None) or of one of
    its groups; the text itself otherwise."""
    from literacy.instrument import respondent_block

    for entry in respondent_block():
        if entry.id == column:
            if value is None:
                return entry.label.zh
            return next((choice.label.zh for choice in entry.options if choice.name == value), value)
    return column if value is None else value


@dataclass
class ItemAnalysis:
    """What :func:`item_analysis` returns.

    ``items``: one row per item (``BASE_COLUMNS``, then ``dif_<column>_odds_ratio``,
    ``_delta``, ``_p_value``, ``_class`` per grouping, then ``flags``), shares as
    proportions; ``summary``: alpha with its Feldt interval overall and per
    dimension, the Rasch and DIF bookkeeping and notes (JSON-ready, also in
    ``items.attrs["summary"]``; ``small_sample`` is true below
    ``minimum_respondents``, see ``MIN_RESPONDENTS``); ``abilities``: each
    respondent's Rasch ability (Warm's estimate, logits; NaN when no item was
    answered), for the item map. The flags and notes are English; the report
    takes them in Chinese from :meth:`flags_in` and :meth:`notes_in`."""

    items: pd.DataFrame
    summary: dict[str, Any]
    abilities: pd.Series = field(repr=False)
    wording: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The flags (per item) and notes as keys and values of ``_WORDS``, for
    :meth:`flags_in` and :meth:`notes_in`."""

    def __repr__(self) -> str:
        alpha = self.summary["alpha"]["alpha"]
        return (
            f"ItemAnalysis({self.summary['instrument']['id']!r}, items={len(self.items)}, "
            f"respondents={self.summary['respondents']}, alpha={'n/a' if alpha is None else round(alpha, 3)}, "
            f"flagged={self.summary['flagged_items']})"
        )

    def flags_in(self, lang: str = "en") -> pd.Series:
        """The ``flags`` column in ``lang`` (zh or en), indexed as ``items``."""
        if "flags" not in self.wording:
            return self.items["flags"]
        texts = ["; ".join(say(words, lang) for words in item) for item in self.wording["flags"]]
        return pd.Series(texts, index=self.items.index, name="flags", dtype=object)

    def notes_in(self, lang: str = "en") -> list[str]:
        """The summary's notes in ``lang`` (zh or en)."""
        if "notes" not in self.wording:
            return [str(note) for note in self.summary.get("notes", [])]
        return [say(words, lang) for words in self.wording["notes"]]

    @property
    def flagged(self) -> pd.DataFrame:
        """The flagged items, those with the most flags first, then the others."""
        count = self.items["flags"].map(lambda text: len(text.split("; ")) if text else 0)
        order = np.lexsort((np.arange(len(count)), -count.to_numpy()))
        return self.items.iloc[order][count.iloc[order] > 0]


def item_analysis(
    responses: pd.DataFrame,
    instrument: Instrument | str,
    *,
    weight: str | None = None,
    by: str | list[str] | tuple[str, ...] | None = None,
    level: float = 0.95,
) -> ItemAnalysis:
    """Item statistics of ``responses`` (answers as an export holds them, read
    with :func:`literacy.read`; a scored or validated table works too).

    ``by``: the two-group columns to test for DIF (default: ``sex`` and
    ``urban_rural``, those the table has). ``weight``: a column of survey
    weights for the descriptive statistics. ``level``: of the Feldt interval.

    With fewer respondents who answered than ``MIN_RESPONDENTS`` (or than
    items), the analysis still runs but says the numbers are not to be
    trusted: a note, ``summary["small_sample"]`` and every flag starting
    with "tentative"."""
    from literacy.items.classical import reliability
    from literacy.items.dif import mantel_haenszel
    from literacy.items.rasch import fit_rasch

    instrument = load_instrument(instrument)
    if not 0 < level < 1:
        raise LiteracyError(f"level must be between 0 and 1 (0.95 for a 95% interval), not {level}.")
    check_columns(responses, instrument)
    n = len(responses)
    weights = _weights(responses, weight)
    results = item_results(responses, instrument)
    raise_on_invalid(results, instrument)
    items = instrument.items
    k = len(items)
    if n == 0:
        raise LiteracyError("The table has no respondents; item analysis needs answers.")
    correct = np.column_stack([np.where(results[i.id].missing, np.nan, results[i.id].correct) for i in items])
    missing = np.isnan(correct)
    points = np.array([i.points for i in items], dtype=float)
    scores = correct * points
    dont_know = np.column_stack([_is_code(responses[i.id], instrument.missing.dont_know) for i in items])
    w = np.ones(n) if weights is None else weights
    answered_w = (~missing * w[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_correct = np.where(missing, 0.0, correct * w[:, None]).sum(axis=0) / answered_w
        dk_share = ((dont_know & ~missing) * w[:, None]).sum(axis=0) / answered_w
    missing_share = (missing * w[:, None]).sum(axis=0) / w.sum()

    total = reliability(scores, weights, level)
    rasch = fit_rasch(correct)
    table = pd.DataFrame(
        {
            "item": [i.id for i in items],
            "dimension": [i.dimension for i in items],
            "n": (~missing).sum(axis=0).astype("int64"),
            "p_correct": p_correct,
            "dont_know_share": dk_share,
            "missing_share": missing_share,
            "item_rest_correlation": total.item_rest_correlation,
            "alpha_if_deleted": total.alpha_if_deleted,
            "rasch_difficulty": rasch.difficulty,
            "rasch_se": rasch.se,
            "infit": rasch.infit,
            "outfit": rasch.outfit,
        }
    )

    groupings, dif_notes = _groupings(responses, by)
    dif_summary: dict[str, Any] = {}
    rest = np.nansum(scores, axis=1)[:, None] - np.nan_to_num(scores)  # points on the other items
    for column, (reference, focal, in_group, is_focal, blank) in groupings.items():
        found = [mantel_haenszel(correct[keep, j], rest[keep, j], is_focal[keep])
                 for j in range(k) for keep in [in_group & ~missing[:, j]]]  # fmt: skip
        table[f"dif_{column}_odds_ratio"] = [r.odds_ratio for r in found]
        table[f"dif_{column}_delta"] = [r.delta for r in found]
        table[f"dif_{column}_p_value"] = [r.p_value for r in found]
        table[f"dif_{column}_class"] = [r.ets_class for r in found]
        dif_summary[column] = {
            "reference": reference,
            "focal": focal,
            "n_reference": int((in_group & ~is_focal).sum()),
            "n_focal": int((in_group & is_focal).sum()),
            "n_blank": int(blank),
            "matching": "rest score (points on the other items, a missing answer counting 0)",
        }

    answered = total.n  # respondents with at least one answer
    minimum = max(MIN_RESPONDENTS, k)
    small = answered < minimum
    tentative: Words | None = ("tentative", {"n": answered}) if small else None
    flag_words = _flags(table, groupings, rasch.items_left_out, tentative)
    table["flags"] = ["; ".join(say(words) for words in item) for item in flag_words]
    dimensions = {}
    notes: list[Words] = []
    if small:
        notes.append(("small_sample", {"n": answered, "minimum": minimum}))
    if rasch.persons_no_answer:
        notes.append(("no_answer", {"count": rasch.persons_no_answer}))
    if total.why_missing:
        notes.append((total.why_missing, {"n": answered}))
    for dimension in instrument.dimensions:
        positions = [j for j, item in enumerate(items) if item.dimension == dimension.id]
        part = reliability(scores[:, positions], weights, level)
        dimensions[dimension.id] = {
            "label": {"zh": dimension.label.zh, "en": dimension.label.en},
            **_alpha_record(part, level),
        }
        if part.why_missing and not total.why_missing:
            notes.append(("dimension_alpha", {"dimension": dimension.id, "text": (part.why_missing, {"n": part.n})}))
    notes += dif_notes
    if rasch.persons_all_right or rasch.persons_none_right:
        notes.append(
            ("extreme_persons", {"all_right": rasch.persons_all_right, "none_right": rasch.persons_none_right})
        )
    if rasch.items_left_out:
        notes.append(("items_left_out", {"items": ", ".join(items[j].id for j in rasch.items_left_out)}))
    if not rasch.converged and math.isfinite(rasch.loglik):
        notes.append(("not_converged", {}))
    if weight:
        notes.append(("weighted", {"weight": weight}))
    summary: dict[str, Any] = {
        "instrument": {"id": instrument.id, "version": instrument.version},
        "respondents": n,
        "items": k,
        "weight": weight,
        "weighted_statistics": (
            ["p_correct", "dont_know_share", "missing_share", "item_rest_correlation", "alpha_if_deleted", "alpha"]
            if weight
            else []
        ),
        "scoring": "the key's answer right; don't know and refused wrong; blank and not asked missing",
        "alpha": _alpha_record(total, level),
        "dimensions": dimensions,
        "rasch": {
            "method": "conditional maximum likelihood, difficulties centred to sum zero (logits)",
            "persons_used": rasch.persons_used,
            "persons_all_right": rasch.persons_all_right,
            "persons_none_right": rasch.persons_none_right,
            "persons_no_answer": rasch.persons_no_answer,
            "items_left_out": [items[j].id for j in rasch.items_left_out],
            "log_likelihood": rasch.loglik,
            "converged": rasch.converged,
        },
        "dif": dif_summary,
        "flagged_items": int((table["flags"] != "").sum()),
        "respondents_answering": answered,
        "persons_no_answer": rasch.persons_no_answer,
        "small_sample": small,
        "minimum_respondents": minimum,
        "notes": [say(words) for words in notes],
    }
    summary = _jsonable(summary)
    table.attrs = {"summary": summary}
    abilities = pd.Series(rasch.ability, index=responses.index, name="ability")
    return ItemAnalysis(table, summary, abilities, {"flags": flag_words, "notes": notes})


def _alpha_record(part: Any, level: float) -> dict[str, Any]:
    return {
        "alpha": part.alpha,
        "feldt_lower": part.feldt_lower,
        "feldt_upper": part.feldt_upper,
        "level": level,
        "n": part.n,
        "items": part.items_used,
    }


def _weights(responses: pd.DataFrame, weight: str | None) -> np.ndarray | None:
    if weight is None:
        return None
    if weight not in responses.columns:
        raise LiteracyError(
            f"The weight column {weight!r} is not in the table; name an existing column with "
            f"{spell('--weight', 'weight=')} or leave it out for the unweighted statistics."
        )
    values = pd.to_numeric(responses[weight], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise LiteracyError(
            f"The weight column {weight!r} has {int(bad.sum())} row(s) that are blank, not a number, zero or "
            "negative; every respondent needs a positive weight."
        )
    return np.asarray(values, dtype=float)


def _is_code(series: pd.Series, code: int | None) -> np.ndarray:
    """Cells holding ``code`` (a number, or text such as "8" in a
    multiple-choice column)."""
    if code is None:
        return np.zeros(len(series), dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        text = series.astype("string").str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(values == code, dtype=bool)


def _groupings(
    responses: pd.DataFrame, by: str | list[str] | tuple[str, ...] | None
) -> tuple[dict[str, tuple[str, str, np.ndarray, np.ndarray, int]], list[Words]]:
    """For each DIF column: reference and focal group, who is in either,
    who is focal, and how many rows are blank."""
    explicit = by is not None
    columns = [by] if isinstance(by, str) else list(by) if by is not None else list(DEFAULT_DIF_COLUMNS)
    found: dict[str, tuple[str, str, np.ndarray, np.ndarray, int]] = {}
    notes: list[Words] = []
    for column in columns:
        if column not in responses.columns:
            if explicit:
                raise LiteracyError(
                    f"The DIF column {column!r} is not in the table; name a column with two groups in "
                    f"{spell('--by', 'by=')}."
                )
            notes.append(("no_column", {"column": column}))
            continue
        text = responses[column].astype("string").str.strip()
        blank = text.isna() | (text == "")
        counts = text[~blank].value_counts()
        if len(counts) != 2:
            listed = ", ".join(map(str, counts.index[:6]))
            shown = f" ({listed})" if listed else ""
            if explicit:
                raise LiteracyError(
                    f"DIF by {column} needs exactly two groups, and {column} has {len(counts)}{shown}; recode it "
                    f"into two groups or choose another column for {spell('--by', 'by=')}."
                )
            notes.append(("not_two_groups", {"column": column, "count": len(counts), "groups": listed}))
            continue
        groups = [str(value) for value in counts.index]
        reference = REFERENCE_GROUPS.get(column)
        if reference not in groups:
            reference = groups[0] if counts.iloc[0] != counts.iloc[1] else sorted(groups)[0]
        focal = next(g for g in groups if g != reference)
        values = text.fillna("").to_numpy(dtype=object)
        in_group = ~blank.to_numpy()
        found[column] = (reference, focal, in_group, in_group & (values == focal), int(blank.sum()))
        if blank.any():
            notes.append(("blank_group", {"column": column, "count": int(blank.sum())}))
    return found, notes


def _flags(
    table: pd.DataFrame, groupings: dict[str, Any], left_out: tuple[int, ...], tentative: Words | None
) -> list[list[Words]]:
    """What to check about each item, as words (empty when nothing); with
    ``tentative`` (a small sample) every flagged item's words start with it."""
    out = []
    for position, row in enumerate(table.to_dict("records")):
        words: list[Words] = []
        p, r = row["p_correct"], row["item_rest_correlation"]
        if row["n"] == 0:
            words.append(("nobody", {}))
        elif p in (0.0, 1.0):
            words.append(("all_right" if p == 1.0 else "all_wrong", {}))
        if np.isfinite(r) and r < 0:
            words.append(("negative", {}))
        elif np.isfinite(r) and r < WEAK_DISCRIMINATION:
            words.append(("weak", {"limit": WEAK_DISCRIMINATION}))
        if np.isfinite(p) and EASY < p < 1:
            words.append(("easy", {"limit": EASY}))
        if np.isfinite(p) and 0 < p < HARD:
            words.append(("hard", {"limit": HARD}))
        if row["dont_know_share"] > DONT_KNOW:
            words.append(("dont_know", {"limit": DONT_KNOW}))
        if row["missing_share"] > OFTEN_MISSING:
            words.append(("missing", {"limit": OFTEN_MISSING}))
        fits = [value for value in (row["infit"], row["outfit"]) if np.isfinite(value)]
        if fits and max(fits) > MISFIT:
            words.append(("misfit", {"limit": MISFIT}))
        if position in left_out and row["n"] > 0 and p not in (0.0, 1.0):
            words.append(("left_out", {}))
        for column, (reference, focal, *_rest) in groupings.items():
            if row[f"dif_{column}_class"] == "C":
                favoured = reference if row[f"dif_{column}_delta"] < 0 else focal
                words.append(("dif", {"column": column, "favoured": favoured}))
        if words and tentative is not None:
            words.insert(0, tentative)
        out.append(words)
    return out


def _jsonable(value: Any) -> Any:
    """NaN and infinity become None (JSON has neither), numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value
