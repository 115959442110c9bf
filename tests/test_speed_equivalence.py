"""Issue 15, the whole job at national scale: the faster paths give what the
slower ones gave. The projection on the calibration variables is made once
per design and reused; CSV escaping on the arrow table equals the cell-by-cell
policy; the strict-row check of a read that stops inside a quoted field finds
the same records; item columns with unmatched codes keep their values and
their text when they become numeric. (Times are measured in ``benchmarks/``.)"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_config
from literacy import Design, estimate
from literacy.estimation import contrast
from literacy.io.formulas import escape_arrow_text, escape_text_cell, map_text_cells
from literacy.io.platforms import _translate
from literacy.io.tables import whole_number_columns
from literacy.io.textfiles import _quoted_records, _records
from literacy.weighting import calibration_for, margins_from_frame, weight


def _weighted_sample(n: int = 400, seed: int = 3) -> tuple[pd.DataFrame, object]:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "sex": rng.choice(["female", "male"], n),
            "edu": rng.choice(["low", "mid", "high"], n),
            "stratum": rng.integers(0, 5, n),
            "psu": rng.integers(0, 4, n),
            "w": rng.uniform(1, 10, n),
            "y": (rng.random(n) < 0.3).astype(int),
        }
    )
    margins = pd.DataFrame(
        [{"variable": "sex", "category": c, "target": t} for c, t in (("female", 520.0), ("male", 480.0))]
        + [
            {"variable": "edu", "category": c, "target": t}
            for c, t in (("low", 300.0), ("mid", 400.0), ("high", 300.0))
        ]
    )
    result = weight(data, margins_from_frame(margins), base_weight="w")
    return result.data, result


def test_the_projection_is_made_once_per_design_and_reused():
    data, result = _weighted_sample()
    design = result.design(strata="stratum", psu="psu")
    first = estimate(design, "y", [["sex"], ["edu"]])
    contrast(design, "y", {"sex": "male"}, {"sex": "female"})
    again = estimate(design, "y", [["sex"], ["edu"]])
    calibration = design.calibration
    assert len(calibration._operators) == 1  # one PSU coding, one projection
    pd.testing.assert_frame_equal(first, again)
    # The kept projection is the one a fresh calibration makes, and cannot be written into.
    fresh = calibration_for(data, result.record)
    for kept, made in zip(
        calibration.residual_operator(design.psu_code, design.n_psus),
        fresh.residual_operator(design.psu_code, design.n_psus),
        strict=True,
    ):
        np.testing.assert_array_equal(kept, made)
        assert not kept.flags.writeable
    # Another PSU coding (no PSU column: every row its own PSU) gets its own projection.
    other = Design(data, weight="weight_final", strata="stratum", calibration=result)
    estimate(other, "y", "sex")
    assert len(other.calibration._operators) == 1


TEXT = st.one_of(
    st.text(max_size=8),
    st.builds(
        lambda p, t: p + t, st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "''=", "'x"]), st.text(max_size=5)
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.one_of(TEXT, st.none()), min_size=1, max_size=12),
    dtype=st.sampled_from(["object", "str", "string", "category"]),
)
def test_escaping_the_arrow_table_equals_escaping_cell_by_cell(values, dtype):
    frame = pd.DataFrame({"text": pd.Series(values, dtype=dtype), "number": np.linspace(-1, 1, len(values))})
    escaped_frame, changed = map_text_cells(frame, escape_text_cell)
    expected = pa.Table.from_pandas(escaped_frame, preserve_index=False)
    table, flagged = escape_arrow_text(frame, pa.Table.from_pandas(frame, preserve_index=False))
    assert flagged == changed
    for name in ("text", "number"):
        assert table.column(name).to_pylist() == expected.column(name).to_pylist()


def _rows(data: bytes) -> list[tuple[int, int, int]]:
    records = _records(data, ord(","))
    return list(zip(records.starts.tolist(), records.ends.tolist(), records.fields.tolist(), strict=True))


def test_a_read_that_stops_inside_a_quoted_field_finds_the_same_records(monkeypatch):
    lines = ['"a","b, c","d"', '"1","x ""y"" z",3', '"2","",4', '"3","p, q","r"']
    data = ("\n".join(lines) + "\n").encode()
    whole = _rows(data)
    newlines = [i for i, byte in enumerate(data) if byte == 10]
    starts = np.array([0] + [i + 1 for i in newlines[:-1]])
    reference = _quoted_records(data, starts, np.array(newlines) + 1, ord(","))
    assert whole == list(
        zip(reference.starts.tolist(), reference.ends.tolist(), reference.fields.tolist(), strict=True)
    )
    assert [fields for _, _, fields in whole] == [len(row) for row in csv.reader(io.StringIO(data.decode()))]

    # Cut anywhere in the last line (as a read of a fixed number of bytes does):
    # the complete lines are the same records, found without the csv module.
    def slow_path(*_args):
        raise AssertionError("a block cut inside a quoted field went through the csv module")

    monkeypatch.setattr("literacy.io.textfiles._quoted_records", slow_path)
    for cut in range(newlines[-2] + 2, len(data)):
        assert _rows(data[:cut]) == whole[:-1]


@pytest.mark.parametrize(
    ("values", "dtype", "shown"),
    [
        ([1.0, 2.0, np.nan, 6.0], "Float64", "6.0"),  # read_csv: a column with blanks is float
        ([1, 2, 99], "Int64", "99"),  # no blanks: integers
        ([1, 2.5, 99], "object", None),  # an unmatched float and an unmatched integer: kept as they were
        ([1, 2, "abc"], "object", None),
    ],
)
def test_unmatched_codes_keep_their_values_and_text(values, dtype, shown):
    lookup = {"1": 1, "2": 2}
    series = pd.Series(values, dtype=object if dtype == "object" else None)
    out = _translate(series, lookup, None, int)
    assert str(out.dtype) == dtype
    expected = [lookup.get(str(v).removesuffix(".0"), v) for v in values]
    assert [None if pd.isna(v) else v for v in out.tolist()] == [None if pd.isna(v) else v for v in expected]
    if shown is not None:
        assert out.iloc[[-1]].astype(str).iloc[0] == shown


NUMBERS = st.one_of(
    st.integers(-2_000_000, 2_000_000).map(float),
    st.sampled_from([0.0, -0.0, 1e15, 1e16, 123456789012.0, 999_999.0, 1e6, 0.5, float("nan"), float("inf")]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
)


def _csv_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(quoting_style="needed"))
    return sink.getvalue().to_pybytes()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(NUMBERS, min_size=1, max_size=10), nullable=st.booleans())
def test_whole_numbers_written_as_integers_print_exactly_as_doubles(values, nullable):
    series = pd.Series(values, dtype="Float64" if nullable else float)
    table = pa.Table.from_pandas(pd.DataFrame({"x": series, "y": series}), preserve_index=False)
    assert _csv_bytes(whole_number_columns(table)) == _csv_bytes(table)


def test_parquet_tables_hold_what_the_csv_tables_hold(tmp_path):
    """``output: {tables: parquet}`` writes each table as Parquet with the
    metadata the CSV's sidecar holds in its schema; ``literacy.read`` gives
    back the same values and metadata, and the reports and numbers are the
    run's own (the CSV run, compared with the toolkit's CSV writer)."""
    from literacy import read
    from literacy.io import write_table
    from literacy.pipeline import run

    csv_run = run(run_config(tmp_path / "a"))
    parquet_run = run(run_config(tmp_path / "b", output={"folder": "out", "tables": "parquet"}))
    csv_tables = sorted(p.stem for p in csv_run.folder.glob("*.csv"))
    assert csv_tables == sorted(p.stem for p in parquet_run.folder.glob("*.parquet"))
    assert {"clean", "rejects", "scored", "weighted", "estimates", "disparities"} <= set(csv_tables)
    assert not list(parquet_run.folder.glob("*.csv*"))  # no CSV, no sidecar
    for name in csv_tables:
        back = read(parquet_run.folder / f"{name}.parquet")
        if back.attrs["source"]["path"].endswith(".parquet"):  # where it was read from, as for any Parquet file
            back.attrs = {k: v for k, v in back.attrs.items() if k != "source"}
        written = tmp_path / "view" / f"{name}.csv"
        written.parent.mkdir(exist_ok=True)
        write_table(back, written)
        # Every value exactly (a column of mixed codes, 1 and "urban", is text in Parquet, so the
        # CSV writer takes its arrow path, which prints a zero as 0 where pandas prints 0.0).
        cells = [pd.read_csv(p, encoding="utf-8-sig") for p in (written, csv_run.folder / f"{name}.csv")]
        pd.testing.assert_frame_equal(*cells, obj=name, check_dtype=False, check_exact=True)
        sidecar = csv_run.folder / f"{name}.csv.meta.json"
        if sidecar.exists():
            expected = json.loads(sidecar.read_text(encoding="utf-8"))
            assert json.loads(written.with_name(written.name + ".meta.json").read_text(encoding="utf-8")) == expected
    weighted = read(parquet_run.folder / "weighted.parquet")
    assert weighted.attrs["weighting"] == read(csv_run.folder / "weighted.csv").attrs["weighting"]
    manifest = json.loads((parquet_run.folder / "manifest.json").read_text(encoding="utf-8"))
    assert "weighted.parquet" in manifest["outputs"]


def test_an_unknown_table_format_is_one_sentence(tmp_path):
    from literacy import LiteracyError
    from literacy.pipeline import run

    with pytest.raises(LiteracyError) as error:
        run(run_config(tmp_path, output={"folder": "out", "tables": "xlsx"}))
    assert "output.tables" in str(error.value) + " ".join(getattr(error.value, "details", []) or [])


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
def test_t_quantiles_from_scipy_special_equal_scipy_stats(level):
    """``scipy.special.stdtrit``/``stdtr`` replace ``scipy.stats.t`` (whose
    import was a fifth of a `literacy estimate`): the same numbers."""
    from scipy import special, stats

    from literacy.estimation.intervals import _df_adjustment, t_quantile

    df = np.array([0.0, -1.0, np.nan, 0.5, 1.0, 2.0, 7.0, 29.5, 70.0, 1e4, np.inf])
    with np.errstate(invalid="ignore"):
        expected = np.where(df > 0, stats.t.ppf(1 - (1 - level) / 2, np.where(df > 0, df, 1)), np.nan)
    np.testing.assert_array_equal(t_quantile(level, df), expected)
    rows = np.array([0.0, 1.0, 2.0, 3.0, 10.0, 50.0, 300.0, 5.0, 80.0, 2e4, 7.0])
    ok = (rows > 1) & (df > 0)
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        ratio = stats.t.ppf(alpha / 2, np.where(ok, rows - 1, 1)) / stats.t.ppf(alpha / 2, np.where(ok, df, 1))
    np.testing.assert_array_equal(_df_adjustment(alpha, rows, df), np.where(ok, ratio**2, np.nan))
    x = np.array([0.0, 0.3, 1.7, 4.2, 40.0])
    for d in (1.0, 3.0, 29.5, 400.0):
        np.testing.assert_array_equal(special.stdtr(d, -x), stats.t.sf(x, d))
