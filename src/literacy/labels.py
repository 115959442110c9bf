"""Value labels for the columns an estimate is broken down by.

A code in a table is only useful to someone who knows the codebook: an
estimate for ``race = 2`` or ``sex = female`` should say what 2 or female
is, in the reader's language. Labels come from, in this order:

1. the file's own value labels (SPSS, Stata, SAS; ``attrs["labels"]["values"]``),
   in the one language the file has;
2. the respondent block of the instruments (``questionnaires/blocks/respondent.yaml``:
   ``sex``, ``urban_rural``, ``education``, ``occupation``) in zh or en;
3. the key groups of :mod:`literacy.groups` (``group_farmer`` ...: 1 = in the group);
4. for ``city``, the jurisdiction names of the shipped plans (``wuhai`` -> 乌海市).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

LABEL_SUFFIX = "_label"


def domain_columns(estimates: pd.DataFrame) -> list[str]:
    """The domain columns of an estimates table: those before ``estimate``,
    less the leading ``breakdown`` column (which names each row's breakdown)
    and the label columns beside them (``city_label`` labels ``city``)."""
    leading = [str(c) for c in estimates.columns[: estimates.columns.get_loc("estimate")]]
    leading = [c for c in leading if c != "breakdown"]
    return [c for c in leading if not (c.endswith(LABEL_SUFFIX) and c[: -len(LABEL_SUFFIX)] in leading)]


def value_labels(frame: pd.DataFrame, column: str, lang: str = "zh") -> list[Mapping[Any, str]]:
    """The label sets that may name ``column``'s values, most specific first:
    the file's own, then the toolkit's (a file's labels for ``sex`` name
    its codes 1/2, which the reader has already turned into male/female)."""
    candidates: list[Mapping[Any, str]] = []
    file_labels = ((frame.attrs.get("labels") or {}).get("values") or {}).get(column)
    if file_labels:
        candidates.append({_key(code): str(label) for code, label in file_labels.items()})
    numeric = column in frame.columns and pd.api.types.is_numeric_dtype(frame[column].dtype)
    known = _known_labels(column, lang, numeric=numeric)
    if known:
        candidates.append(known)
    return candidates


def label_column(values: pd.Series, labels: Mapping[Any, str]) -> pd.Series:
    """The label of each value, looked up once per distinct value; a value
    without a label keeps its code as text, and a missing value stays missing."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([_lookup(labels, value) for value in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype="string")


def add_labels(
    table: pd.DataFrame, source: pd.DataFrame, columns: Mapping[str, str], mode: str, lang: str
) -> pd.DataFrame:
    """Put ``<column>_label`` beside each labelled column of ``table`` (``both``),
    replace the codes by their labels (``labels``), or leave them (``codes``).
    ``columns`` maps a table column to the ``source`` column whose labels it takes."""
    if mode == "codes":
        return table
    out = table.copy()
    for column, source_column in columns.items():
        if column not in out:
            continue
        fitting = [c for c in value_labels(source, source_column, lang) if _any_labelled(out[column], c)]
        if not fitting:
            continue
        labels = fitting[0]
        texts = label_column(out[column], labels)
        if mode == "labels":
            out[column] = texts
        else:
            out.insert(out.columns.get_loc(column) + 1, column + LABEL_SUFFIX, texts)
    out.attrs = table.attrs
    return out


def _known_labels(column: str, lang: str, *, numeric: bool = False) -> dict[Any, str] | None:
    """The toolkit's labels for ``column``, loading only their source (the
    plans, the key groups or the respondent block): loading all of them for
    every `literacy estimate` cost 0.1 s (issue 15)."""
    if column == "city":
        # The shipped plans' codes are text (tests/test_labels.py) and a number
        # is never looked up as text (_lookup): a numeric city column takes no
        # plan's name, so the plans are not loaded (0.15 s of an estimate).
        return None if numeric else _plan_labels(lang)
    if column.startswith("group_"):
        from literacy.groups import KEY_GROUPS

        name = column.removeprefix("group_")
        if name in KEY_GROUPS:
            member = {"zh": ("是", "否"), "en": ("yes", "no")}.get(lang, ("yes", "no"))
            text = KEY_GROUPS[name]
            return {1: f"{text.get(lang)}: {member[0]}", 0: f"{text.get(lang)}: {member[1]}"}
    return _respondent_labels(lang).get(column)


@cache
def _respondent_labels(lang: str) -> dict[str, dict[Any, str]]:
    from literacy.instrument import respondent_block

    known: dict[str, dict[Any, str]] = {}
    for field in respondent_block():
        if field.options:
            labels: dict[Any, str] = {}
            for choice in field.options:
                labels[choice.name] = choice.label.get(lang)
                labels[choice.code] = choice.label.get(lang)
            known[field.id] = labels
    return known


def place_name(code: object, lang: str = "zh") -> str | None:
    """The name a shipped plan gives a jurisdiction code (``wuhai`` ->
    乌海市), or None: for a report made without its plans."""
    return _plan_labels(lang).get(str(code))


@cache
def _plan_labels(lang: str) -> dict[Any, str]:
    from literacy.plans import list_plans

    return {plan.code: plan.name.get(lang) for plan in list_plans() if plan.code}


def _any_labelled(values: pd.Series, labels: Mapping[Any, str]) -> bool:
    """Whether a label exists for any value (codes nobody labelled get no column)."""
    return any(_lookup(labels, value, None) is not None for value in pd.unique(values.dropna()))


def _lookup(labels: Mapping[Any, str], value: Any, default: Any = "") -> Any:
    """The label of ``value``; without one, ``default`` ("" means the code as text)."""
    key = _key(value)
    fallback = str(key) if default == "" else default
    if key in labels:
        return labels[key]
    if isinstance(key, str):  # "2" in a text column, 2 in the codebook
        try:
            number = float(key)
        except ValueError:
            return fallback
        return labels.get(_key(number), fallback)
    return fallback


def _key(value: Any) -> Any:
    """2.0 and 2 are the same code; text compares trimmed."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    try:
        if float(value).is_integer():
            return int(value)
    except (TypeError, ValueError):
        pass
    return value
