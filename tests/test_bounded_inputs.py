"""Hostile or damaged inputs end in one plain sentence, quickly and in bounded
memory: YAML alias bombs, zip bombs posing as .xlsx, rows with the wrong number
of fields, NUL bytes, a header naming one column twice (issue 17).

Fixtures come from the real writers (pandas, openpyxl, xlwt, pyreadstat); the
zip bomb is a real deflate stream, built from one repeated compressed block so
that making 3 GB of zeros takes a fraction of a second.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from literacy import load_instrument, read
from literacy.cli import main
from literacy.datafiles import MAX_YAML_BYTES, read_yaml
from literacy.errors import LiteracyError
from literacy.io import files, spreadsheets
from literacy.io.files import iter_file, read_file
from literacy.pipeline import load_config
from literacy.plans import load_plan
from literacy.validate import validate_file
from literacy.weighting import read_collapse
from test_ingest import fieldwork

REPO = Path(__file__).resolve().parents[1]
LAUGHS = textwrap.dedent(
    """\
    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
    h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
    i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
    """
)


# --------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------


def _bomb_under(text: str, key: str, indent: str = "") -> str:
    """``text`` with the billion-laughs lists nested under ``key``."""
    bomb = textwrap.indent(LAUGHS, indent + "  ")
    return f"{text}{indent}{key}:\n{bomb}"


@pytest.mark.parametrize(
    ("kind", "make", "load"),
    [
        ("instrument title", lambda: _instrument_with_bomb(), load_instrument),
        ("plan wording", lambda: _plan_with_bomb(), load_plan),
        ("collapse file", lambda: "education:\n  primary_or_less: low\n" + _bomb_under("", "sex"), read_collapse),
        ("unknown config key", lambda: _bomb_under("instrument: cast-2024\ninputs: [x.csv]\n", "extra"), load_config),
    ],
)
def test_yaml_alias_bombs_are_refused_at_once(tmp_path, kind, make, load):
    path = tmp_path / "bomb.yaml"
    path.write_text(make(), encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(LiteracyError) as caught:
        load(path)
    assert time.perf_counter() - start < 1.0, kind
    message = str(caught.value)
    assert "uses a YAML anchor/alias (&/*), which literacy does not accept; write the value out" in message
    assert message.startswith(f"{path} line ")
    line = int(message.split(" line ")[1].split()[0])
    assert "&" in path.read_text(encoding="utf-8").splitlines()[line - 1]


def test_a_yaml_bomb_is_refused_fast_under_a_1_gb_memory_limit(tmp_path):
    """As the issue asks: a billion-laughs instrument, checked from the command
    line in a process that may not use more than 1 GiB of address space."""
    path = tmp_path / "bomb.yaml"
    path.write_text(_instrument_with_bomb(), encoding="utf-8")
    seconds, code, output = _cli_under_1_gib(["questionnaire", "check", str(path)])
    assert seconds < 1.0
    assert code == "1"
    assert "anchor/alias" in output and "Traceback" not in output and "MemoryError" not in output


def _cli_under_1_gib(args: list[str]) -> tuple[float, str, str]:
    """Run a command in a fresh process that may use at most 1 GiB of address
    space: its time (in the command only), exit code and output."""
    script = textwrap.dedent(
        f"""
        import resource, time
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from click.testing import CliRunner
        from literacy.cli import main
        start = time.perf_counter()
        result = CliRunner().invoke(main, {args!r})
        print(f"{{time.perf_counter() - start:.3f}}")
        print(result.exit_code)
        print(result.output)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seconds, code, output = done.stdout.split("\n", 2)
    return float(seconds), code, output


def _instrument_with_bomb() -> str:
    text = (REPO / "questionnaires" / "cast-2024.yaml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    title = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    return "".join(lines[:title]) + _bomb_under("", "title") + "".join(lines[title + 1 :])


def _plan_with_bomb() -> str:
    text = (REPO / "src" / "literacy" / "reference" / "plans" / "wuhai-2021-2025.yaml").read_text(encoding="utf-8")
    return text + "\n" + _bomb_under("", "wording_extra")


def test_a_single_alias_is_refused_too_and_by_the_cli(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text("base: &x {a: 1}\nother: *x\n", encoding="utf-8")
    with pytest.raises(LiteracyError, match=r"small.yaml line 1 uses a YAML anchor/alias"):
        read_yaml(path)
    result = CliRunner().invoke(main, ["questionnaire", "show", str(path)])
    assert result.exit_code == 1
    assert "Error:" in result.output and "anchor/alias" in result.output and "Traceback" not in result.output


def test_oversized_yaml_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(MAX_YAML_BYTES + 1)  # sparse: costs no disk
    start = time.perf_counter()
    with pytest.raises(LiteracyError, match="more than the 20 MiB literacy reads as a YAML file"):
        read_yaml(path)
    assert time.perf_counter() - start < 0.5


def test_yaml_booleans_are_yaml_1_2(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "validation: {on: {speeder: flag}}\nwords: [yes, no, on, off, y, n, Yes, NO]\nflags: [true, False, TRUE]\n",
        encoding="utf-8",
    )
    data = read_yaml(path)
    assert data["validation"] == {"on": {"speeder": "flag"}}
    assert data["words"] == ["yes", "no", "on", "off", "y", "n", "Yes", "NO"]
    assert data["flags"] == [True, False, True]


def test_every_shipped_yaml_means_what_it_meant():
    import yaml

    shipped = [*REPO.glob("questionnaires/**/*.yaml"), *(REPO / "src" / "literacy" / "reference").glob("**/*.yaml")]
    assert len(shipped) >= 10
    for path in shipped:
        assert read_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path


# --------------------------------------------------------------------------
# Strict CSV rows
# --------------------------------------------------------------------------


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "export.csv"
    fieldwork(40, seed=9).to_csv(path, index=False)
    return path


def _edit_lines(path: Path, change) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    change(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def _validate(path: Path, tmp_path: Path, **options) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    clean, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    summary = validate_file(path, "cast-2024", clean_path=clean, rejects_path=rejects, force=True, **options)
    return summary, pd.read_csv(clean, encoding="utf-8-sig"), pd.read_csv(rejects, encoding="utf-8-sig")


@pytest.mark.parametrize("chunk_rows", [100_000, 7])
def test_rows_with_the_wrong_field_count_are_rejected_with_their_line(export, tmp_path, chunk_rows):
    width = len(export.read_text(encoding="utf-8").splitlines()[0].split(","))

    def damage(lines: list[str]) -> None:
        lines[5] = ",".join(lines[5].split(",")[:5])  # line 6: 5 fields
        lines[9] = lines[9] + ",extra,fields"  # line 10: two too many
        lines.insert(12, "")  # a blank line 13 shifts nothing

    _edit_lines(export, damage)
    summary, clean, rejects = _validate(export, tmp_path, chunk_rows=chunk_rows)
    assert summary["input_rows"] == 40 and summary["balanced"]
    assert summary["rejections"]["wrong_field_count"] == 2
    wrong = rejects[rejects["reject_reasons"].str.startswith("wrong_field_count")]
    assert wrong["source_row"].tolist() == [5, 9]  # line number - 1 (the header is line 1)
    assert wrong["reject_reasons"].tolist() == [
        f"wrong_field_count (5 of {width} fields)",
        f"wrong_field_count ({width + 2} of {width} fields)",
    ]
    assert wrong["k01"].isna().all()  # no answers guessed into the wrong columns
    assert 5 not in clean["source_row"].tolist()
    # After the blank line 13, line 14 holds the 13th data row: source_row 13, not 12.
    assert clean["source_row"].iloc[-1] == 41
    assert sorted(clean["source_row"].tolist() + rejects["source_row"].tolist()) == [n for n in range(1, 42) if n != 12]


def test_a_nul_byte_rejects_its_row(export, tmp_path):
    _edit_lines(export, lambda lines: lines.__setitem__(3, lines[3].replace(",", ",x\x00", 1)))
    summary, clean, rejects = _validate(export, tmp_path)
    assert summary["rejections"]["nul_byte"] == 1
    assert rejects.loc[rejects["reject_reasons"] == "nul_byte", "source_row"].tolist() == [3]
    assert not clean["city"].astype(str).str.contains("\x00").any()


def test_quoted_fields_with_delimiters_and_line_breaks_are_one_row(tmp_path):
    frame = fieldwork(12, seed=2)
    frame["city"] = frame["city"].astype(object)
    frame.loc[2, "city"] = "乌海, 海勃湾区"
    frame.loc[4, "city"] = "徐州\n(second line)"
    path = tmp_path / "quoted.csv"
    frame.to_csv(path, index=False)
    _edit_lines(path, lambda lines: lines.__setitem__(9, lines[9] + ",1"))  # line 10: data row 8, one too many
    got = list(iter_file(path, keep_bad_rows=True))
    assert got[0].frame["city"].tolist()[2] == "乌海, 海勃湾区"
    assert got[0].frame["city"].tolist()[4] == "徐州\n(second line)"
    assert got[0].rows.tolist() == [1, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13]  # row 5 takes lines 6-7
    assert [b.row for b in got[0].bad] == [9]


def test_other_commands_stop_at_a_bad_row_with_its_line(export, tmp_path):
    _edit_lines(export, lambda lines: lines.__setitem__(20, lines[20] + ",1,2"))
    with pytest.raises(LiteracyError, match=r"export.csv line 21 has \d+ fields where the header has \d+"):
        read(export, "cast-2024")
    result = CliRunner().invoke(main, ["score", str(export), "-q", "cast-2024", "-o", str(tmp_path / "s.csv")])
    assert result.exit_code == 1
    assert "line 21 has" in result.stderr and "literacy validate" in result.stderr
    assert "Traceback" not in result.output


def test_validate_cli_reports_the_bad_rows(export, tmp_path):
    _edit_lines(export, lambda lines: lines.__setitem__(2, "1,2"))
    result = CliRunner().invoke(main, ["validate", str(export), "-q", "cast-2024", "-o", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    assert "40 rows read = 39 clean + 1 rejected" in result.stderr
    assert "rejected  wrong_field_count: 1 row(s)" in result.stderr
    rejects = pd.read_csv(tmp_path / "c.rejects.csv", encoding="utf-8-sig")
    assert rejects["source_row"].tolist() == [2]


def test_gb18030_files_are_numbered_and_checked_too(tmp_path):
    frame = fieldwork(15, seed=4)
    path = tmp_path / "gbk.csv"
    frame.to_csv(path, index=False, encoding="gb18030")
    raw = path.read_bytes().split(b"\n")
    raw[7] = raw[7] + b",1"
    path.write_bytes(b"\n".join(raw))
    got = list(iter_file(path, keep_bad_rows=True))
    assert [b.row for b in got[0].bad] == [7]
    assert set(got[0].frame["city"]) <= {"乌海", "徐州"}
    pd.testing.assert_frame_equal(got[0].frame, frame.drop(index=6).reset_index(drop=True), check_dtype=False)


def test_streamed_csv_reads_as_pandas_reads_it(export):
    expected = pd.read_csv(export, encoding="utf-8-sig", low_memory=False)
    got = pd.concat([c.frame for c in iter_file(export, chunk_rows=9)], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)


# --------------------------------------------------------------------------
# Duplicated headers
# --------------------------------------------------------------------------


def test_a_duplicated_header_is_refused_for_csv_xlsx_and_spss(tmp_path):
    frame = fieldwork(10, seed=1)[["respondent_id", "city", "sex", "age"]]
    twice = frame.copy()
    twice.columns = ["respondent_id", "city", "sex", "city"]
    csv_path, xlsx_path = tmp_path / "twice.csv", tmp_path / "twice.xlsx"
    twice.to_csv(csv_path, index=False)
    twice.to_excel(xlsx_path, index=False)
    for path in (csv_path, xlsx_path):
        with pytest.raises(LiteracyError) as caught:
            read_file(path)
        assert str(caught.value) == (
            f"{path} has two columns named 'city' (columns 2, 4); rename or delete one and export again."
        )
        result = CliRunner().invoke(main, ["validate", str(path), "-q", "cast-2024", "-o", str(tmp_path / "c.csv")])
        assert result.exit_code == 1 and "two columns named 'city'" in result.stderr


def test_a_duplicated_variable_in_spss_or_stata_is_refused(tmp_path, monkeypatch):
    # ReadStat refuses to write two variables with one name, so the metadata a
    # reader sees is what is checked, on a file pyreadstat wrote.
    frame = pd.DataFrame({"city": ["a", "b"], "age": [30.0, 40.0]})
    path = tmp_path / "x.sav"
    pyreadstat.write_sav(frame, str(path))
    real = pyreadstat.read_sav

    def twice(*args, **kwargs):
        data, meta = real(*args, **kwargs)
        meta.column_names = ["city", "city"]
        return data, meta

    monkeypatch.setattr(pyreadstat, "read_sav", twice)
    for reader in (read_file, lambda p: list(iter_file(p))):
        with pytest.raises(LiteracyError, match=r"two columns named 'city' \(columns 1, 2\)"):
            reader(path)


# --------------------------------------------------------------------------
# Spreadsheets
# --------------------------------------------------------------------------


def test_streamed_xlsx_reads_as_read_excel_reads_it(tmp_path):
    from datetime import date, datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["respondent_id", "city", "age", "score", "when", "note"])
    for n in range(1, 30):
        sheet.append([n, "乌海" if n % 2 else "徐州", 20 + n, n / 4, date(2024, 1, n % 28 + 1), None if n % 3 else "x"])
    sheet.append([])  # rows 31-32 blank between answers: kept as rows, as read_excel keeps them
    sheet.append([])
    sheet.append([99, "徐州", 70, 1.5, datetime(2024, 5, 1, 12, 30), "last"])
    sheet.cell(row=40, column=1).number_format = "0.00"  # a formatted but empty trailing row: dropped
    path = tmp_path / "answers.xlsx"
    book.save(path)

    expected = files._drop_blank_excel_rows(pd.read_excel(path, engine="calamine"))
    chunks = list(iter_file(path, chunk_rows=4))
    assert len(chunks) > 5
    got = pd.concat([c.frame for c in chunks], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(read_file(path), expected)
    rows = np.concatenate([c.rows for c in chunks]).tolist()
    assert rows == [*range(1, 30), 30, 31, 32]  # sheet row number - 1


def test_a_value_right_of_the_header_is_a_bad_row(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["respondent_id", "city", "age"])
    sheet.append([1, "乌海", 30])
    sheet.append([2, "徐州", 40, "stray"])
    path = tmp_path / "stray.xlsx"
    book.save(path)
    chunk = next(iter_file(path, keep_bad_rows=True))
    assert chunk.frame["respondent_id"].tolist() == [1]
    assert [(b.row, b.reason) for b in chunk.bad] == [(2, "wrong_field_count (4 of 3 fields)")]
    with pytest.raises(LiteracyError, match=r"stray\.xlsx line 3 has 4 fields where the header has 3"):
        read_file(path)


def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``size`` zero bytes and its CRC-32, fast: after a
    full flush the compressor starts afresh, so every 16 MiB block packs to the
    same bytes, which are repeated."""
    block = bytes(16 << 20)
    assert size % len(block) == 0
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // len(block)):
        crc = zlib.crc32(block, crc)
    return packed * (size // len(block)) + packer.flush(zlib.Z_FINISH), crc


def _write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of already deflated members (name, data, crc, size), written by hand."""
    local, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0)
        local += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0,
            offset,
        )  # fmt: skip
        central += encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local) + bytes(central) + end)


def _xlsx_bomb(path: Path, gigabytes: int) -> None:
    from openpyxl import Workbook

    template = path.with_suffix(".template.xlsx")
    Workbook().save(template)
    import zipfile

    members = []
    with zipfile.ZipFile(template) as archive:
        for info in archive.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                data, crc = _deflated_zeros(gigabytes << 30)
                members.append((info.filename, data, crc, gigabytes << 30))
            else:
                raw = archive.read(info.filename)
                packer = zlib.compressobj(9, zlib.DEFLATED, -15)
                members.append((info.filename, packer.compress(raw) + packer.flush(), zlib.crc32(raw), len(raw)))
    _write_zip(path, members)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "answers.xlsx"
    _xlsx_bomb(path, 3)
    return path


def test_the_bomb_is_a_real_zip_of_3_gb(bomb):
    import zipfile

    assert bomb.stat().st_size < 5 << 20
    with zipfile.ZipFile(bomb) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        assert info.file_size == 3 << 30
        with archive.open(info) as handle:  # it really unpacks to zeros
            assert handle.read(1 << 20) == bytes(1 << 20)


def test_a_zip_bomb_is_refused_fast_under_a_1_gb_memory_limit(bomb, tmp_path):
    seconds, code, output = _cli_under_1_gib(["validate", str(bomb), "-q", "cast-2024", "-o", str(tmp_path / "c.csv")])
    assert seconds < 1.0
    assert code == "1"
    assert "Error:" in output and "unpacks" in output and "zip bomb" in output and "Traceback" not in output
    assert not (tmp_path / "c.csv").exists()


def test_a_workbook_declaring_too_much_in_all_is_refused(tmp_path, monkeypatch):
    frame = fieldwork(5)
    path = tmp_path / "big.xlsx"
    frame.to_excel(path, index=False)
    monkeypatch.setattr(spreadsheets, "MAX_XLSX_UNPACKED", 10_000)
    with pytest.raises(LiteracyError, match=r"would unpack to .* GiB, more than the 0 GiB"):
        read_file(path)


def test_a_legacy_xls_is_size_capped(tmp_path, monkeypatch):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("answers")
    for column, name in enumerate(["respondent_id", "city"]):
        sheet.write(0, column, name)
    sheet.write(1, 0, 1)
    sheet.write(1, 1, "乌海")
    path = tmp_path / "old.xls"
    book.save(str(path))
    assert read_file(path)["city"].tolist() == ["乌海"]
    monkeypatch.setattr(spreadsheets, "MAX_XLS_BYTES", 1000)
    with pytest.raises(LiteracyError, match=r"more than the 0 MiB literacy reads from a legacy .xls workbook"):
        read_file(path)


def test_the_readme_validation_setting_now_reads(tmp_path):
    from literacy.validate import Rules

    path = tmp_path / "run.yaml"
    path.write_text(
        "instrument: cast-2024\ninputs: [x.csv]\nassessment: {year: 2024}\nvalidation: {on: {speeder: reject}}\n",
        encoding="utf-8",
    )
    assert Rules.from_settings(load_config(path)["validation"]).action("speeder") == "reject"


def test_the_reading_checks_cannot_be_switched_off(export, tmp_path):
    result = CliRunner().invoke(
        main, ["validate", str(export), "-q", "cast-2024", "-o", str(tmp_path / "c.csv"), "--on", "nul_byte=ignore"]
    )
    assert result.exit_code == 1
    assert "nul_byte always rejects" in result.stderr


def test_stray_quotes_are_read_as_pandas_reads_them(tmp_path):
    # A quote inside an unquoted field is a plain character to pandas; the
    # fast quote rule does not hold there, so such blocks take the csv module.
    path = tmp_path / "stray.csv"
    path.write_text('id,item,size\n1,screen,5" wide\n2,"a ""b"", c",7\n\n3,x,9\n4,y\n', encoding="utf-8")
    chunk = next(iter_file(path, keep_bad_rows=True))
    expected = pd.read_csv(path, encoding="utf-8-sig").iloc[:3]
    pd.testing.assert_frame_equal(chunk.frame, expected)
    assert chunk.frame["size"].tolist()[0] == '5" wide'
    assert chunk.rows.tolist() == [1, 2, 4]
    assert [(b.row, b.reason) for b in chunk.bad] == [(5, "wrong_field_count (2 of 3 fields)")]
