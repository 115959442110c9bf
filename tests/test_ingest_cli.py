"""`literacy validate` and `literacy score` on exports: messages, exit codes, files."""

from __future__ import annotations

import codecs
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from literacy.cli import main
from literacy.collect.exports import write_export
from test_ingest import CAST, fieldwork


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def export(tmp_path):
    frame = fieldwork(80, seed=3)
    frame["k01"] = frame["k01"].astype(object)
    frame.loc[0, "k01"] = 6
    frame.loc[1, "age"] = 80
    path = tmp_path / "wjx.xlsx"
    write_export(frame, CAST, path, "wjx")
    return path


def test_validate_writes_clean_rejects_and_summary(runner, export, tmp_path):
    clean = tmp_path / "clean.csv"
    result = runner.invoke(main, ["validate", str(export), "-q", "cast-2024", "-o", str(clean),
                                  "--summary", str(tmp_path / "summary.json")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "80 rows read = 78 clean + 2 rejected" in result.stderr
    assert "platform: wjx" in result.stderr
    assert "invalid values in k01: 1 row(s)" in result.stderr
    rejects = pd.read_csv(tmp_path / "clean.rejects.csv", encoding="utf-8-sig")
    assert rejects["source_row"].tolist() == [1, 2]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["balanced"] and summary["input_rows"] == 80
    assert result.stdout == ""


def test_validate_never_overwrites_without_force(runner, export, tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text("keep me", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(export), "-q", "cast-2024", "-o", str(clean)])
    assert result.exit_code == 1
    assert "already exists; pass --force" in result.stderr
    assert clean.read_text(encoding="utf-8") == "keep me"
    forced = runner.invoke(main, ["validate", str(export), "-q", "cast-2024", "-o", str(clean), "--force"])
    assert forced.exit_code == 0, forced.output


def test_validate_to_stdout_needs_a_rejects_file(runner, export, tmp_path):
    result = runner.invoke(main, ["validate", str(export), "-q", "cast-2024"])
    assert result.exit_code == 2
    assert "Give --rejects FILE" in result.stderr
    ok = runner.invoke(main, ["validate", str(export), "-q", "cast-2024", "--rejects", str(tmp_path / "r.csv")])
    assert ok.exit_code == 0
    assert ok.stdout.startswith("source_row,")


def test_score_reads_any_platform(runner, export, tmp_path):
    out = tmp_path / "scored.csv"
    # The wjx fixture has one invalid code: scoring refuses it and says what to do.
    refused = runner.invoke(main, ["score", str(export), "-q", "cast-2024", "-o", str(out)])
    assert refused.exit_code == 1
    assert "k01: 1 row(s) with value(s) 6" in refused.stderr and "literacy validate" in refused.stderr
    assert not out.exists()
    clean = tmp_path / "clean.csv"
    runner.invoke(main, ["validate", str(export), "-q", "cast-2024", "-o", str(clean)])
    scored = runner.invoke(main, ["score", str(clean), "-q", "cast-2024", "-o", str(out)])
    assert scored.exit_code == 0, scored.output
    assert "Scored 78 respondents" in scored.stderr


def _bad(runner, path, *extra):
    rejects = str(path.parent / "rejects.csv")
    result = runner.invoke(main, ["validate", str(path), "-q", "cast-2024", "--rejects", rejects, *extra])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.stderr


def test_truncated_spss_file(runner, tmp_path):
    path = tmp_path / "survey.sav"
    write_export(fieldwork(50), CAST, path, "spss")
    path.write_bytes(path.read_bytes()[:600])
    assert "could not be read as an SPSS file" in _bad(runner, path)
    assert "truncated" in _bad(runner, path)


def test_truncated_workbook(runner, tmp_path):
    path = tmp_path / "wjx.xlsx"
    write_export(fieldwork(20), CAST, path, "wjx")
    path.write_bytes(path.read_bytes()[:300])
    assert "could not be read as an Excel workbook" in _bad(runner, path)


def test_wrong_and_undetectable_encoding(runner, tmp_path):
    gbk = tmp_path / "gbk.csv"
    fieldwork(10).assign(city="乌海市").to_csv(gbk, index=False, encoding="gbk")
    assert "is not valid utf-8 text" in _bad(runner, gbk, "--encoding", "utf-8")
    assert "Encoding 'klingon' is unknown" in _bad(runner, gbk, "--encoding", "klingon")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"k01,k02\n\x80\x80\xff,1\n")
    assert "neither UTF-8 nor GB18030/GBK" in _bad(runner, binary)


def test_empty_and_header_only_files(runner, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "is empty" in _bad(runner, empty)
    header = tmp_path / "header.csv"
    header.write_text(",".join(CAST.item_ids) + "\n", encoding="utf-8")
    assert "has a header but no data rows" in _bad(runner, header)
    header_xlsx = tmp_path / "header.xlsx"
    pd.DataFrame(columns=CAST.item_ids).to_excel(header_xlsx, index=False)
    assert "has a header but no data rows" in _bad(runner, header_xlsx)


def test_columns_that_match_no_item(runner, tmp_path):
    path = tmp_path / "other.csv"
    pd.DataFrame({"name": ["a"], "score": [3]}).to_csv(path, index=False)
    message = _bad(runner, path)
    assert "No column matches an item of cast-2024" in message
    assert "k01" in message and "the file has name, score" in message


def test_unknown_extension_and_missing_file(runner, tmp_path):
    odd = tmp_path / "data.foo"
    odd.write_text("x", encoding="utf-8")
    assert "Cannot tell the format" in _bad(runner, odd)
    assert "does not exist" in _bad(runner, tmp_path / "nope.csv")


def test_mixed_types_in_a_column(runner, tmp_path):
    frame = fieldwork(30)
    frame["k05"] = frame["k05"].astype(object)
    frame.loc[[3, 4], "k05"] = ["yes please", "2.5"]
    frame["age"] = frame["age"].astype(object)
    frame.loc[6, "age"] = "about 40"
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    score = runner.invoke(main, ["score", str(path), "-q", "cast-2024"])
    assert score.exit_code == 1
    assert "k05: 2 row(s) with value(s) yes please, 2.5" in score.stderr
    ok = runner.invoke(main, ["validate", str(path), "-q", "cast-2024", "-o", str(tmp_path / "c.csv")])
    assert ok.exit_code == 0
    rejects = pd.read_csv(tmp_path / "c.rejects.csv", encoding="utf-8-sig")
    assert rejects["source_row"].tolist() == [4, 5, 7]
    assert "age_not_a_number (age about 40)" in rejects["reject_reasons"].iloc[2]


def test_a_failure_midway_leaves_no_output(runner, tmp_path):
    frame = fieldwork(9000)
    path = tmp_path / "broken.csv"
    frame.to_csv(path, index=False)
    assert path.stat().st_size > (1 << 20)  # past the part read to detect the encoding
    last = path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[1]
    with open(path, "ab") as handle:  # the last row again, with bytes that are neither UTF-8 nor GB18030
        handle.write(last.replace(b",", b",\xff\xfe\xff", 1) + b"\n")
    clean = tmp_path / "clean.csv"
    message = _bad(runner, path, "-o", str(clean), "--chunk-rows", "1000")
    assert "further in the file" in message and "--encoding" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.csv"]


def test_bad_check_action_is_a_plain_error(runner, export, tmp_path):
    result = runner.invoke(main, ["validate", str(export), "-q", "cast-2024", "-o", str(tmp_path / "c.csv"),
                                  "--on", "speeder"])  # fmt: skip
    assert result.exit_code == 1
    assert "'speeder' is not CHECK=ACTION" in result.stderr


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    import sys

    from literacy.cli import _progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with _progress("Validating") as progress:
        assert progress is None  # not a terminal: no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with _progress("Validating") as progress:
        progress(0.5)
        progress(1.0)
    assert "Validating" in capsys.readouterr().err


@pytest.mark.parametrize(("encoding", "mark"), [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                                                ("utf-32-le", codecs.BOM_UTF32_LE)])  # fmt: skip
def test_excel_unicode_text_utf16_with_a_byte_order_mark_is_read(runner, tmp_path, encoding, mark):
    """Excel's "Unicode Text" (UTF-16 with a BOM, tab-separated, CRLF) was refused
    as "neither UTF-8 nor GB18030" (issue 11)."""
    frame = fieldwork(60, seed=5)
    plain = tmp_path / "plain.csv"
    frame.to_csv(plain, index=False)
    path = tmp_path / "unicode-text.txt"
    path.write_bytes(mark + frame.to_csv(sep="\t", index=False, lineterminator="\r\n").encode(encoding))
    outputs = []
    for source in (plain, path):
        out = tmp_path / f"clean-{source.stem}.csv"
        result = runner.invoke(main, ["validate", str(source), "-q", "cast-2024", "-o", str(out),
                                      "--rejects", str(tmp_path / f"rejects-{source.stem}.csv")])  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append(pd.read_csv(out, encoding="utf-8-sig"))
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    assert len(outputs[1]) > 0
