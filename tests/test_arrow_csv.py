"""The fast CSV parse (pyarrow) gives pandas' frame or steps aside (issue 15).

pandas' ``read_csv`` is the reference: every column's type and value must
be what it gives. Where pyarrow could read a cell otherwise (``+5``, ``0x10``,
``True``, a whole-number float column, a row of the wrong width) the fast
path returns None and the caller parses with pandas.
"""

from __future__ import annotations

import io
import random
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from literacy.io.files import iter_file, read_file
from literacy.io.textfiles import arrow_csv

# Cells chosen where the two parsers' rules part: signs, blanks around
# numbers, exponents, missing-value words, truth values, dates, times,
# hexadecimal, huge integers, quotes, embedded delimiters and line breaks.
CELLS = [
    "1", "2", "8", "99", "007", " 5", "5 ", "+5", "-6", "1.5", "2.0", "1.", ".5", "1e5", "1E+05", "-1.5e-3",
    "inf", "-inf", "Infinity", "", "NA", "N/A", "null", "NULL", "nan", "None", "#N/A", "<NA>",
    "True", "false", "TRUE", "FALSE", "tRUE", "yes", "2024-05-01", "2024-05-01 10:00:00", "10:00", "0x10", "0X1f",
    "18446744073709551615", "9223372036854775807", "-9223372036854775808", "x", " x", "中文", "城镇",
    '"a,b"', '"multi\nline"', '""', '" "', '"1"', '"NA"', "1 2 3", "a b", "=1+2", "@SUM(A1)", "1_000", "1,5",
]  # fmt: skip


def pandas_frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), sep=",", encoding="utf-8-sig", skipinitialspace=False, low_memory=False)


def assert_same(fast: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert list(fast.columns) == list(reference.columns)
    assert list(fast.dtypes) == list(reference.dtypes)
    pd.testing.assert_frame_equal(fast, reference, check_exact=True)


@settings(max_examples=1500, deadline=None)
@given(
    st.integers(min_value=2, max_value=4).flatmap(
        lambda width: st.lists(st.lists(st.sampled_from(CELLS), min_size=width, max_size=width), min_size=1, max_size=6)
    ),
    st.booleans(),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_the_fast_parse_is_pandas_or_steps_aside(rows, bom, newline, some_columns):
    width = len(rows[0])
    names = [f"c{i}" for i in range(width)]
    text = ",".join(names) + newline + newline.join(",".join(row) for row in rows) + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    columns = names[::-1][:2] if some_columns else None  # asked in another order: the file's order comes back
    fast = arrow_csv(data, ",", columns)
    if fast is None:
        return
    reference = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", low_memory=False, usecols=columns)
    assert_same(fast, reference)


def test_a_plain_survey_export_takes_the_fast_path(tmp_path):
    text = (
        "respondent_id,city,age,weight,k01,k16,note\n"
        'R1,wuhai,20,32.5,1,"1 2 3",\n'
        'R2,xuzhou,59,31.25,,"8",abc\n'
        "R3,shenzhen,41,30.125,2,2,\n"
    )
    data = text.encode("utf-8")
    fast = arrow_csv(data, ",")
    assert fast is not None, "the common export fell back to pandas"
    assert_same(fast, pandas_frame(data))
    assert fast["k01"].dtype == "float64" and fast["age"].dtype == "int64"


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n+5,1\n-6,2\n",  # pyarrow: float; pandas: integer
        "a,b\n0x10,1\n1,2\n",  # pyarrow: 16; pandas: text
        "a,b\nTrue,1\n,2\n",  # pandas: True and NaN in an object column
        "a,b\nTrue,1\n1,2\n",  # pyarrow's truth values take 1, pandas' do not
        "a,b\n18446744073709551615,1\n1,2\n",  # pandas: uint64
        "a,b\n1,2,3\n",  # a row too wide
        "a,b\n \n1,2\n",  # a whitespace-only line: blank to pandas
        "a,a\n1,2\n",  # pandas renames the second a
        "a,b\n1,\x002\n",
        # Found by a review that tried to break the fast path (pandas 3.1, pyarrow 26):
        "a,b\n1.5,x\nNAN,y\n",  # a NaN spelling pandas keeps as text ("Nan", "nan(1)", "+nan")
        'a,b\n1,"abc\n2,y\n',  # a field left open: pandas fails, pyarrow reads to the end
        'h0|h1\n#"|"\n',  # a quote inside an unquoted field, then one opening a field left open
        "a,b\n1,x\n\r,y\n",  # a carriage return alone ends a line differently
        "\ufeff\ufeffa,b\n1,x\n",  # a second byte-order mark
        "a,b\nx,1\n abc,2\n",  # a line that begins with a blank (pandas loses it at its buffer's edge)
    ],
)
def test_where_the_parsers_could_differ_the_fast_path_steps_aside(text):
    assert arrow_csv(text.encode("utf-8"), ",") is None


def test_no_columns_and_bytes_that_are_not_utf8_step_aside():
    assert arrow_csv(b"a,b\n1,x\n", ",", []) is None  # pandas: no columns; pyarrow: all of them
    assert arrow_csv(b"a,b\n1,\xff\n2,y\n", ",", ["a"]) is None  # pandas fails on the column not asked for
    assert arrow_csv(b"a,b\n1,x\n2,y\n", ",", ["a"]) is not None


def test_files_read_whole_and_in_chunks_are_pandas_frames(tmp_path):
    """The readers use the fast path and still give pandas' frame, for a
    file with dates, blanks, quoted multiple choices and a line break in a
    quoted field."""
    rows = [
        f"R{i},{'wuhai' if i % 3 else 'xuzhou'},{18 + i % 50},{30 + i / 7:.6f},{'' if i % 11 == 0 else i % 4},"
        f'"{i % 3} {i % 5}",2024-05-{1 + i % 28:02d},"{"line one" + chr(10) + "line two" if i == 7 else "ok"}"'
        for i in range(2_500)
    ]
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,city,age,weight,k01,k16,date,note\n" + "\n".join(rows) + "\n", encoding="utf-8")
    reference = pandas_frame(path.read_bytes())
    whole = read_file(path)
    assert_same(whole.reset_index(drop=True), reference)
    chunks = list(iter_file(path, chunk_rows=700))
    assert sum(len(c.frame) for c in chunks) == len(reference)
    rows_seen = [int(r) for c in chunks for r in c.rows]
    assert rows_seen[:8] == [1, 2, 3, 4, 5, 6, 7, 8] and rows_seen[8] == 10  # the quoted line break counts as a line
    for chunk in chunks:
        start = rows_seen.index(int(chunk.rows[0]))
        part = reference.iloc[start : start + len(chunk.frame)].reset_index(drop=True)
        pd.testing.assert_frame_equal(chunk.frame.reset_index(drop=True), part, check_dtype=False, check_exact=True)


def test_a_file_is_scanned_in_pieces_and_a_hexadecimal_across_two_still_counts(tmp_path, monkeypatch):
    """A file is never held whole to be scanned (a run reads 200 MB); an
    ``0x`` split between two pieces still sends it to pandas."""
    import literacy.io.textfiles as textfiles

    monkeypatch.setattr(textfiles, "_SNIFF_BYTES", 16)
    monkeypatch.setattr(textfiles, "_READ_BYTES", 16)
    rows = "".join(f"R{i},{i % 7}\n" for i in range(40))
    plain = tmp_path / "plain.csv"
    plain.write_text("id,code\n" + rows, encoding="utf-8")
    assert arrow_csv(plain, ",") is not None
    prefix = "id,code\n" + rows
    cut = ((len(prefix) + 4) // 16 + 1) * 16 - 1  # the 0 ends a piece, the x begins the next
    hexadecimal = tmp_path / "hex.csv"
    hexadecimal.write_text(prefix + "R99," + "9" * (cut - len(prefix) - 4) + "0x1f\n", encoding="utf-8")
    assert hexadecimal.read_bytes()[cut : cut + 2] == b"0x"
    assert arrow_csv(hexadecimal, ",") is None
    assert read_file(hexadecimal)["code"].dtype == pandas_frame(hexadecimal.read_bytes())["code"].dtype


def test_every_csv_the_project_ships_reads_the_same_either_way():
    """Real exports (ODK Central, KoboToolbox's formpack, 问卷星, the sample
    data, R references, item tables): the fast parse is pandas' frame or
    steps aside, and it does not step aside on all of them."""
    from conftest import REPO
    from literacy.io.textfiles import text_layout

    paths = sorted(p for folder in ("tests", "sample_data") for p in (REPO / folder).rglob("*.csv"))
    assert len(paths) > 20
    fast = 0
    for path in paths:
        layout = text_layout(path)
        if layout.encoding not in ("utf-8-sig", "utf-8"):
            continue
        try:
            reference = pd.read_csv(path, sep=layout.delimiter, encoding="utf-8-sig", low_memory=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            assert arrow_csv(path, layout.delimiter) is None, path
            continue
        frame = arrow_csv(path, layout.delimiter)
        if frame is not None:
            fast += 1
            assert list(frame.dtypes) == list(reference.dtypes), path
            pd.testing.assert_frame_equal(frame, reference, check_exact=True, obj=str(path))
    assert fast >= len(paths) // 2


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["plain", "quoted", "multiline", "blank", "short", "long", "spaced"]), min_size=1, max_size=25
    ),
    st.integers(min_value=1, max_value=6),
    st.sampled_from([16, 64, 1 << 20]),
)
def test_every_row_keeps_its_line_number_whichever_parser_reads_its_block(kinds, chunk_rows, read_bytes):
    """source_row is the line number minus one whatever the blocks, the reads
    and the parser: blank lines count, a quoted line break counts, a row of the
    wrong width is set aside with its own line."""
    import literacy.io.textfiles as textfiles

    kinds = [*kinds, "plain"]  # a file of blank and bad lines only has no data rows (refused in one sentence)
    lines, expected, bad = ["id,city,k01"], [], []
    for number, kind in enumerate(kinds):
        line = sum(text.count("\n") + 1 for text in lines)  # 0-based line of this record = its source_row
        if kind == "blank":
            lines.append("")
            continue
        if kind == "short":
            lines.append(f"R{number},wuhai")
            bad.append(line)
            continue
        if kind == "long":
            lines.append(f"R{number},wuhai,1,2")
            bad.append(line)
            continue
        text = {"plain": f"R{number},xuzhou,{number % 3}", "quoted": f'"R{number}","城,镇",{number % 3}',
                "multiline": f'"R{number}","line one\nline two",{number % 3}',
                "spaced": f" R{number},wuhai,{number % 3}"}[kind]  # fmt: skip
        lines.append(text)
        expected.append(line)
    path = Path(tempfile.mkdtemp()) / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    original = textfiles._READ_BYTES
    textfiles._READ_BYTES = read_bytes
    try:
        chunks = list(iter_file(path, chunk_rows=chunk_rows, keep_bad_rows=True))
    finally:
        textfiles._READ_BYTES = original
    assert [int(r) for c in chunks for r in c.rows] == expected
    assert [b.row for c in chunks for b in c.bad] == bad
    assert sum(len(c.frame) for c in chunks) == len(expected)
    ids = [str(v).strip() for c in chunks for v in c.frame["id"]]
    assert ids == [f"R{n}" for n, k in enumerate(kinds) if k not in ("blank", "short", "long")]


@settings(max_examples=12, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_a_shuffled_export_reads_and_estimates_the_same(seed):
    """The rows of a real file in any order: the same frame once sorted, and
    the same estimates (pyarrow infers types from its first block, pandas
    from the whole file; neither may let row order change a number)."""
    from conftest import REPO
    from literacy import Design, estimate, read

    source = REPO / "sample_data" / "sample.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    body = lines[1:]
    random.Random(seed).shuffle(body)
    shuffled = Path(tempfile.mkdtemp()) / "sample.csv"
    shuffled.write_text(lines[0] + "".join(body), encoding="utf-8")
    original, again = read(source), read(shuffled)
    key = ["person_id"]
    pd.testing.assert_frame_equal(
        original.sort_values(key).reset_index(drop=True), again.sort_values(key).reset_index(drop=True),
        check_exact=True,
    )  # fmt: skip
    first = estimate(Design(original, weight="base_weight", strata="district", psu="community"), "literate", "city")
    second = estimate(Design(again, weight="base_weight", strata="district", psu="community"), "literate", "city")
    pd.testing.assert_frame_equal(first, second, check_exact=False, rtol=1e-12)
