"""CSV injection (OWASP): text cells that a spreadsheet would run as a formula.

The one policy for every CSV/TSV the toolkit writes: a text cell beginning
with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``; the table's
``.meta.json`` sidecar records it, and reading such a file back removes exactly
that quote, so data files round-trip. Numeric columns are never touched.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TEXT_ESCAPE_KEY = "text_escape"
TEXT_ESCAPE_POLICY = "owasp-leading-quote"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = "^'*[=+\\-@\t\r]"  # the same test as _formula_like, for pyarrow


def _formula_like(text: str) -> bool:
    """True for text that, after any leading quotes, starts like a formula.
    Counting the quotes makes escaping a bijection: ``=x`` -> ``'=x`` and
    ``'=x`` -> ``''=x``, so reading removes exactly one quote."""
    return text.lstrip("'")[:1] in FORMULA_STARTS


def escape_text_cell(value: Any) -> Any:
    """A text value as written to CSV: one leading ``'`` when it could start a formula."""
    return "'" + value if isinstance(value, str) and _formula_like(value) else value


def unescape_text_cell(value: Any) -> Any:
    """The inverse of :func:`escape_text_cell`."""
    return value[1:] if isinstance(value, str) and value.startswith("'") and _formula_like(value) else value


def is_text_column(values: pd.Series) -> bool:
    """Text columns are the only ones escaped: numbers such as -0.5 never are."""
    dtype = values.dtype
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype))


def _formula_candidates(values: pd.Series) -> np.ndarray:
    """Which cells start like a formula after any leading quotes: one
    vectorised regular expression (pyarrow) instead of a Python call per cell;
    a column of mixed types falls back to one call per distinct value."""
    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        hits = np.array([isinstance(u, str) and _formula_like(u) for u in uniques] + [False], dtype=bool)
        return hits[codes]
    return pc.match_substring_regex(text, _FORMULA_PATTERN).fill_null(False).to_numpy(zero_copy_only=False)


def map_text_cells(frame: pd.DataFrame, change: Any) -> tuple[pd.DataFrame, bool]:
    """``frame`` with ``change`` applied to every text cell that starts like a
    formula (``change`` must leave other cells alone), a copy only when
    something changed, and whether anything did."""
    changed: dict[Any, pd.Series] = {}
    for position, column in enumerate(frame.columns):
        values = frame.iloc[:, position]
        if not is_text_column(values):
            continue
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = [change(c) for c in values.cat.categories]
            if categories != list(values.cat.categories):
                changed[position] = values.cat.rename_categories(categories)
            continue
        candidates = np.flatnonzero(_formula_candidates(values))
        if not len(candidates):
            continue
        subset = values.iloc[candidates]
        mapped = [change(v) for v in subset]
        if any(a is not b for a, b in zip(mapped, subset, strict=True)):
            replaced = values.astype(object).copy()
            replaced.iloc[candidates] = mapped
            changed[position] = pd.Series(replaced, index=values.index, dtype=values.dtype, name=column)
    if not changed:
        return frame, False
    out = frame.copy()
    for position, values in changed.items():
        out.isetitem(position, values)
    return out, True


def escape_arrow_text(frame: pd.DataFrame, table: pa.Table) -> tuple[pa.Table, bool]:
    """:func:`escape_text_cell` on ``table`` (``frame`` as pyarrow made it),
    for a writer that writes the arrow table: the same cells as
    :func:`map_text_cells` escapes (text columns of the frame whose values
    arrow holds as strings, or categories as a string dictionary), one
    regular expression a column, without converting the values again.
    Returns the table and whether anything changed."""
    changed = False
    for position in range(table.num_columns):
        if not is_text_column(frame.iloc[:, position]):
            continue  # numbers such as -0.5 are never escaped
        column = table.column(position)
        kind = column.type
        if pa.types.is_dictionary(kind):
            if not _is_arrow_text(kind.value_type):
                continue
            chunks = []
            for chunk in column.chunks:
                escaped, hit = _escape_strings(chunk.dictionary)
                changed |= hit
                chunks.append(
                    pa.DictionaryArray.from_arrays(chunk.indices, escaped.cast(kind.value_type), ordered=kind.ordered)
                    if hit
                    else chunk
                )
            column = pa.chunked_array(chunks, type=kind)
        elif _is_arrow_text(kind):
            column, hit = _escape_strings(column)
            if not hit:
                continue
            changed = True
        else:
            continue
        table = table.set_column(position, table.field(position), column)
    return table, changed


def _is_arrow_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def _escape_strings(values: Any) -> tuple[Any, bool]:
    """A leading ``'`` on the strings that start like a formula (after any quotes)."""
    hits = pc.match_substring_regex(values, _FORMULA_PATTERN).fill_null(False)
    if not pc.any(hits).as_py():
        return values, False
    if pa.types.is_string_view(values.type):
        values = values.cast(pa.large_string())
    quote, nothing = pa.scalar("'", type=values.type), pa.scalar("", type=values.type)
    return pc.if_else(hits, pc.binary_join_element_wise(quote, values, nothing), values), True
