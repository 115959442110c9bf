"""ODK Central CSV exports written by ODK Central's own export code score
exactly like the plain codes they were made from, in every export variant.

The files in tests/fixtures/odk-central/ were written by central-backend's
``streamBriefcaseCsvs`` run under Node.js on the XForm of the XLSForm that
``literacy questionnaire export`` makes (see make_fixtures.py, export_csv.js
and the README there); neither Node.js nor Central is needed here. What the
real writer does that hand-made files did not: ``group-question`` headers or
bare names (``groupPaths``), ``question/value`` 0/1 columns only for the values
someone chose (``splitSelectMultiples``), a column of a field deleted in a
later form version (``deletedFields``), rows newest upload first, edited
submissions whose ``meta-instanceID`` is no longer their ``KEY``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import literacy
from conftest import assert_cli_validate_keeps_every_row, assert_scores_like_plain_codes

FIXTURES = Path(__file__).parent / "fixtures" / "odk-central"
RECORD = json.loads((FIXTURES / "exports.json").read_text(encoding="utf-8"))
VARIANTS = [
    (instrument_id, f"{variant['stem']}.csv")
    for instrument_id, record in RECORD["instruments"].items()
    for variant in record["variants"]
]
CAST = literacy.load_instrument("cast-2024")
RESPONDENT_FIELDS = ("city", "district", "community", "sex", "age", "urban_rural", "education", "occupation")


def _codes(instrument_id: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / instrument_id / "codes.csv", dtype=str, keep_default_na=False)


def _expected(instrument_id: str) -> pd.DataFrame:
    """The plain codes table, scored: what every export must reproduce."""
    codes = literacy.read(FIXTURES / instrument_id / "codes.csv", instrument_id, platform="generic")
    return literacy.score(codes, instrument_id).set_index("respondent_id")


def _raw(instrument_id: str, name: str) -> pd.DataFrame:
    """An export as text, exactly as Central wrote it."""
    return pd.read_csv(FIXTURES / instrument_id / name, dtype=str, keep_default_na=False)


def test_every_variant_is_committed() -> None:
    """groupPaths x splitSelectMultiples x deletedFields for both instruments,
    written from central-backend at a recorded commit, under 1 MB in all."""
    assert len(VARIANTS) == 2 * (2 * 2 * 2)
    assert all((FIXTURES / instrument_id / name).is_file() for instrument_id, name in VARIANTS)
    assert len(RECORD["central_backend_commit"]) == 40
    assert sum(path.stat().st_size for path in FIXTURES.rglob("*") if path.is_file()) < 1_000_000


@pytest.mark.parametrize(("instrument_id", "name"), VARIANTS)
def test_central_export_scores_like_the_plain_codes(instrument_id: str, name: str) -> None:
    """Central lists the newest upload first; respondents are matched by id."""
    assert_scores_like_plain_codes(FIXTURES / instrument_id / name, FIXTURES / instrument_id / "codes.csv",
                                   instrument_id, "odk")  # fmt: skip


def test_the_plain_codes_are_not_trivial() -> None:
    """The fixtures must be able to fail: both literate and not literate
    respondents, wrong answers, don't know and refused, several multi-select
    patterns, one of them don't know."""
    scored = _expected("cast-2024")
    assert 0 < scored["literate"].sum() < len(scored)
    codes = _codes("cast-2024")
    assert (codes[CAST.item_ids] == "8").to_numpy().sum() >= 5
    assert (codes[CAST.item_ids] == "9").to_numpy().sum() >= 3
    assert codes["k16"].nunique() >= 4 and codes["p06"].nunique() >= 4
    assert "8" in set(codes["p06"])
    assert (scored[[f"{i}_correct" for i in CAST.item_ids]] == 0).to_numpy().sum() > 100


@pytest.mark.parametrize("group_paths", ["true", "false"])
def test_split_columns_are_the_values_chosen_not_the_choices(group_paths: str) -> None:
    """splitSelectMultiples writes ``q/value`` only for values some submission
    holds (sorted), 1 where chosen, 0 elsewhere; the summary column stays and
    the adapter reads the item from it."""
    name = f"grouppaths-{group_paths}-split-true-deleted-false.csv"
    raw = _raw("cast-2024", name)
    codes = _codes("cast-2024").set_index("respondent_id")
    prefix = {"true": {"k16": "knowledge-k16", "p06": "application-p06"}, "false": {"k16": "k16", "p06": "p06"}}
    for item_id, header in prefix[group_paths].items():
        chosen = sorted({value for answer in codes[item_id] for value in answer.split()})
        assert [c for c in raw.columns if c.startswith(f"{header}/")] == [f"{header}/{v}" for v in chosen]
        options = {str(o.code) for o in CAST.item(item_id).options} | {"8", "9"}
        assert set(chosen) < options  # some choice nobody made has no column
        ids = raw["respondent-respondent_id" if group_paths == "true" else "respondent_id"]
        for value in chosen:
            marked = dict(zip(ids, raw[f"{header}/{value}"], strict=True))
            assert all(marked[r] == ("1" if value in codes.loc[r, item_id].split() else "0") for r in codes.index)
    frame = literacy.read(FIXTURES / "cast-2024" / name, CAST)
    assert frame.attrs["ingest"]["split_multiple"] == {}  # the summary column is read, the 0/1 ones dropped
    assert not [c for c in frame.columns if "/" in c]


@pytest.mark.parametrize(("group_paths", "header"), [("true", "respondent-phone"), ("false", "phone")])
def test_a_deleted_field_is_kept_apart(group_paths: str, header: str) -> None:
    """deletedFields adds the field form version 0.9 asked and 1.0 dropped:
    filled for 0.9 submissions, blank for 1.0; the adapter maps it to nothing."""
    name = f"grouppaths-{group_paths}-split-false-deleted-true.csv"
    raw = _raw("cast-2024", name)
    assert header in raw.columns
    assert header not in _raw("cast-2024", name.replace("deleted-true", "deleted-false")).columns
    assert set(raw["FormVersion"]) == {"0.9", "1.0"}
    assert (raw.loc[raw["FormVersion"] == "0.9", header] != "").all()
    assert (raw.loc[raw["FormVersion"] == "1.0", header] == "").all()
    frame = literacy.read(FIXTURES / "cast-2024" / name, CAST)
    assert header not in frame.attrs["ingest"]["columns"] or frame.attrs["ingest"]["columns"][header] == header
    assert header in frame.columns


def test_edited_submissions_keep_their_key_and_their_respondent() -> None:
    """An edited submission's ``meta-instanceID`` is its new instance id, its
    ``KEY`` the first one; the respondent is still the questionnaire number."""
    raw = _raw("cast-2024", "grouppaths-true-split-false-deleted-false.csv")
    edited = raw[raw["Edits"] == "1"]
    assert len(edited) >= 3
    assert (edited["meta-instanceID"] != edited["KEY"]).all()
    assert (edited["ReviewState"] == "edited").all()
    unedited = raw[raw["Edits"] == "0"]
    assert (unedited["meta-instanceID"] == unedited["KEY"]).all()
    frame = literacy.read(FIXTURES / "cast-2024" / "grouppaths-true-split-false-deleted-false.csv", CAST)
    assert sorted(frame["respondent_id"]) == sorted(_codes("cast-2024")["respondent_id"])


def test_rows_come_newest_upload_first() -> None:
    """Central's order, not the respondents': matching must go by id."""
    raw = _raw("cast-2024", "grouppaths-true-split-false-deleted-false.csv")
    uploaded = pd.to_datetime(raw["SubmissionDate"], utc=True, format="ISO8601")
    assert uploaded.is_monotonic_decreasing
    assert raw["respondent-respondent_id"].tolist() != sorted(raw["respondent-respondent_id"])


@pytest.mark.parametrize(
    "name", ["grouppaths-true-split-true-deleted-true.csv", "grouppaths-false-split-false-deleted-false.csv"]
)
def test_completion_time_comes_from_start_and_end(name: str) -> None:
    """Collect's ``start``/``end`` (local time with offset) give the duration
    the speeder check uses, respondent for respondent."""
    frame = literacy.read(FIXTURES / "cast-2024" / name, CAST).set_index("respondent_id")
    codes = _codes("cast-2024").set_index("respondent_id")
    expected = pd.to_datetime(codes["end"], format="ISO8601") - pd.to_datetime(codes["start"], format="ISO8601")
    assert frame.loc[codes.index, "duration_seconds"].tolist() == expected.dt.total_seconds().tolist()


def test_cli_validate_reads_a_central_export(tmp_path: Path) -> None:
    folder = FIXTURES / "cast-2024"
    export = folder / "grouppaths-false-split-true-deleted-true.csv"
    assert_cli_validate_keeps_every_row(export, folder / "codes.csv", tmp_path)
