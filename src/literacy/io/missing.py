"""Declared missing values are missing wherever a column is analysed.

SPSS user-missing values and ranges (``MISSING VALUES x (9)``, ``(7 THRU 9)``),
Stata extended missing values (``.a``-``.z``) and SAS special missing values
(``.A``-``.Z``, ``._``) reach the toolkit as codes, because the reader asks
ReadStat for them (``user_missing=True``): scoring needs an item's don't-know
(8) and refused (9) as answers. Everywhere else (an outcome, a domain, a weight,
strata, PSUs, an FPC, a margins variable) SPSS, Stata and R leave them out, and
so does the toolkit. The declared codes travel in ``attrs["labels"]["missing"]``
(``{column: [code, [low, high], ...]}``) as :mod:`literacy.io.files` records them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd


def declared_missing(frame: pd.DataFrame) -> Mapping[str, list[Any]]:
    """The declared missing codes of each column, as the reader recorded them."""
    labels = frame.attrs.get("labels") or {}
    missing = labels.get("missing") or {}
    return {column: codes for column, codes in missing.items() if column in frame.columns and codes}


def declared_missing_mask(column: pd.Series, codes: Iterable[Any]) -> np.ndarray:
    """Rows whose value is one of ``codes`` (single values, or ``[low, high]``
    ranges as SPSS declares them); compared per distinct value."""
    singles: list[Any] = []
    ranges: list[tuple[float, float]] = []
    for code in codes:
        if isinstance(code, (list, tuple)) and len(code) == 2:
            ranges.append((float(code[0]), float(code[1])))
        else:
            singles.append(code)
    codes_found, uniques = pd.factorize(column, use_na_sentinel=True)
    if not len(uniques):
        return np.zeros(len(column), dtype=bool)
    hit = np.zeros(len(uniques), dtype=bool)
    text = {str(code).strip().lower() for code in singles if isinstance(code, str)}
    numbers = {float(code) for code in singles if is_number(code)}
    for k, value in enumerate(uniques):
        if isinstance(value, str):
            stripped = value.strip().lower()
            hit[k] = stripped in text or stripped.lstrip(".") in text or (is_number(value) and float(value) in numbers)
            number = float(value) if is_number(value) else None
        else:
            number = float(value) if is_number(value) else None
            hit[k] = number is not None and number in numbers
        if number is not None and not hit[k]:
            hit[k] = any(low <= number <= high for low, high in ranges)
    return np.where(codes_found >= 0, hit[np.maximum(codes_found, 0)], False)


def blank_declared_missing(
    frame: pd.DataFrame, columns: Iterable[str] | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """A copy of ``frame`` with declared missing codes blanked in ``columns``
    (default: every column that declares some), and the count per column.

    A column that held only numbers besides its codes (a Stata or SAS column
    with letters for extended missing values) becomes numeric again, so a
    0/1 outcome with declared codes is a proportion, not a list of categories.
    The frame is returned unchanged (not copied) when nothing is declared."""
    declared = declared_missing(frame)
    wanted = list(declared) if columns is None else [c for c in dict.fromkeys(columns) if c in declared]
    counts: dict[str, int] = {}
    out = frame
    for column in wanted:
        mask = declared_missing_mask(frame[column], declared[column])
        if not mask.any():
            continue
        if out is frame:
            out = frame.copy()
        kept = frame[column].mask(mask)
        if kept.dtype == object:
            numeric = pd.to_numeric(kept, errors="coerce")
            if numeric.notna().sum() == kept.notna().sum():
                kept = numeric
        out[column] = kept
        counts[column] = int(mask.sum())
    if out is not frame:
        out.attrs = {**frame.attrs, "declared_missing_blanked": {**frame.attrs.get("declared_missing_blanked", {}),
                                                                 **counts}}  # fmt: skip
    return out, counts


def is_number(value: Any) -> bool:
    """A number, or text that reads as one (not a bool, not NaN)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return not np.isnan(float(value))
    try:
        float(str(value))
    except ValueError:
        return False
    return True
