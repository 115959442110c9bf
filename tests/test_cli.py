"""The command line: data to stdout or -o, messages to stderr, exit 0/1/2."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO, respondent, table
from literacy import load_instrument, read
from literacy.cli import main


def _clean_sample() -> Path:
    """The shipped sample's SPSS file, validated: the clean rows as a CSV
    (the raw file has defects on purpose, which scoring refuses)."""
    from literacy import validate

    folder = Path(tempfile.mkdtemp(prefix="literacy-cli-"))
    clean = validate(read(REPO / "sample_data" / "responses-spss.sav", "cast-2024"), "cast-2024").clean
    clean.drop(columns=["source_row", "flag_speeder", "flag_straight_line"]).to_csv(folder / "clean.csv", index=False)
    return folder / "clean.csv"


SAMPLE = _clean_sample()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_score_writes_a_bom_csv_and_reports_on_stderr(runner, tmp_path):
    out = tmp_path / "scored.csv"
    result = runner.invoke(main, ["score", str(SAMPLE), "-q", "cast-2024", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    scored = read(out)
    source = pd.read_csv(SAMPLE, encoding="utf-8-sig")
    assert len(scored) == len(source)
    assert scored.attrs["instrument"]["id"] == "cast-2024"  # from the sidecar
    assert (tmp_path / "scored.csv.meta.json").is_file()
    literate = int(scored["literate"].sum())
    assert f"Scored {len(source)} respondents with cast-2024" in result.stderr
    assert f"{literate} literate" in result.stderr
    assert result.stdout == ""


def test_score_to_stdout_when_no_output_is_given(runner):
    result = runner.invoke(main, ["score", str(SAMPLE), "-q", "cast-2024"])
    assert result.exit_code == 0
    header = result.stdout.splitlines()[0].split(",")
    assert header[0] == "respondent_id" and "literate" in header and "grade" in header
    assert "Scored" in result.stderr and "Scored" not in result.stdout


def test_score_parquet_keeps_types_and_metadata(runner, tmp_path):
    out = tmp_path / "scored.parquet"
    assert runner.invoke(main, ["score", str(SAMPLE), "-q", "cast-2024", "-o", str(out)]).exit_code == 0
    scored = pd.read_parquet(out)
    assert scored.attrs["instrument"]["rule"] == "weighted_grades"
    assert list(scored["grade"].cat.categories) == ["low", "basic", "literate", "advanced"]


def test_score_refuses_to_overwrite_without_force(runner, tmp_path):
    out = tmp_path / "scored.csv"
    out.write_text("precious", encoding="utf-8")
    result = runner.invoke(main, ["score", str(SAMPLE), "-q", "cast-2024", "-o", str(out)])
    assert result.exit_code == 1
    assert "already exists; pass --force" in result.stderr
    assert out.read_text(encoding="utf-8") == "precious"
    forced = runner.invoke(main, ["score", str(SAMPLE), "-q", "cast-2024", "-o", str(out), "--force"])
    assert forced.exit_code == 0
    assert len(read(out)) > 0


def test_a_failed_score_leaves_no_output_file(runner, tmp_path):
    cast = load_instrument("cast-2024")
    bad = table(cast, [respondent(cast, set())]).assign(k01=5)
    source = tmp_path / "bad.csv"
    bad.to_csv(source, index=False)
    out = tmp_path / "scored.csv"
    result = runner.invoke(main, ["score", str(source), "-q", "cast-2024", "-o", str(out)])
    assert result.exit_code == 1
    assert "outside the codebook" in result.stderr
    assert list(tmp_path.iterdir()) == [source]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["score", "missing.csv", "-q", "cast-2024"], 1, "Input file missing.csv does not exist"),
        (["score", str(SAMPLE), "-q", "no-such"], 1, "Unknown questionnaire 'no-such'"),
        (["score", str(SAMPLE), "-q", "nsf-knowledge"], 1, "No column matches an item of nsf-knowledge"),
        (["score", str(SAMPLE), "-q", "crisp-classic"], 1, "hold values outside the codebook of crisp-classic"),
        (["score", str(SAMPLE), "-q", "cast-2024", "-o", "x.xlsb"], 1, "Cannot tell the format of x.xlsb"),
        (["score", str(SAMPLE)], 2, "Missing option '-q'"),
        (["score", str(SAMPLE), "-q", "cast-2024", "--max-missing", "1.5"], 2, "Invalid value for '--max-missing'"),
        (["questionnaire", "show", "cast-2024", "--lang", "fr"], 2, "Invalid value for '--lang'"),
    ],
)
def test_user_errors_give_one_message_and_the_right_exit_code(runner, tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_an_empty_input_file_is_reported(runner, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(main, ["score", str(empty), "-q", "cast-2024"])
    assert result.exit_code == 1
    assert f"{empty} is empty" in result.stderr


def test_questionnaire_list_and_show_in_both_languages(runner):
    listed = runner.invoke(main, ["questionnaire", "list", "--lang", "en"])
    assert listed.exit_code == 0
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == [
        "benchmark-2016",
        "cast-2024",
        "crisp-classic",
        "nsf-knowledge",
    ]
    zh = runner.invoke(main, ["questionnaire", "show", "cast-2024"])
    en = runner.invoke(main, ["questionnaire", "show", "cast-2024", "--lang", "en"])
    assert "地心的温度非常高。" in zh.stdout and "具备科学素质 (>= 70)" in zh.stdout
    assert "The centre of the Earth is very hot." in en.stdout and "Scientifically literate (>= 70)" in en.stdout


def test_the_installed_command_and_the_clone_entry_agree(tmp_path):
    command = shutil.which("literacy", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("the literacy console script is not installed in this environment")
    installed = subprocess.run([command, "questionnaire", "list"], capture_output=True, text=True, check=False)
    clone = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "questionnaire", "list"], capture_output=True, text=True, check=False
    )
    assert installed.returncode == clone.returncode == 0
    assert installed.stdout == clone.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\n", encoding="utf-8")
    failed = subprocess.run(
        [command, "questionnaire", "check", str(broken)], capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1
    assert "is not a valid questionnaire" in failed.stderr and "Traceback" not in failed.stderr
