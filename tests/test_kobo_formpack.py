"""KoboToolbox exports written by KoboToolbox's own writer (formpack) score
exactly like the plain codes they were made from, in every export variant.

The files in tests/fixtures/kobo-formpack/ were written by formpack from the
XLSForm ``literacy questionnaire export`` makes (see make_fixtures.py and the
README there); formpack is not needed here. Why this matters: label exports
carry True/False columns that pandas reads as booleans, ``question/option``
detail columns, and ``/`` inside labels, and each of these once made answers
"invalid" or "missing" without any error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import literacy
from conftest import assert_cli_validate_keeps_every_row, assert_scores_like_plain_codes
from literacy.instrument import Instrument
from literacy.io.platforms import Adapter, plan_adapter

FIXTURES = Path(__file__).parent / "fixtures" / "kobo-formpack"
RECORD = json.loads((FIXTURES / "exports.json").read_text(encoding="utf-8"))
VARIANTS = [
    (instrument_id, f"{variant['stem']}.{suffix}")
    for instrument_id, variants in RECORD["instruments"].items()
    for variant in variants
    for suffix in ("csv", "xlsx")
]
CAST = literacy.load_instrument("cast-2024")
CRISP = literacy.load_instrument("crisp-classic")


def _expected(instrument_id: str) -> pd.DataFrame:
    """The plain codes table, scored: what every export must reproduce."""
    codes = literacy.read(FIXTURES / instrument_id / "codes.csv", instrument_id, platform="generic")
    return literacy.score(codes, instrument_id).set_index("respondent_id")


def test_every_variant_is_committed() -> None:
    """3 languages x hierarchy on/off x both/summary/details for cast-2024,
    3 x 2 x both for crisp-classic, each as CSV and XLSX."""
    assert len(VARIANTS) == 2 * (3 * 2 * 3 + 3 * 2)
    assert all((FIXTURES / instrument_id / name).is_file() for instrument_id, name in VARIANTS)
    assert sum(path.stat().st_size for path in FIXTURES.rglob("*") if path.is_file()) < 2_000_000


@pytest.mark.parametrize(("instrument_id", "name"), VARIANTS)
def test_formpack_export_scores_like_the_plain_codes(instrument_id: str, name: str) -> None:
    """Row order too: formpack keeps the submissions' order."""
    got = assert_scores_like_plain_codes(FIXTURES / instrument_id / name, FIXTURES / instrument_id / "codes.csv",
                                         instrument_id, "kobo")  # fmt: skip
    raw = literacy.read(FIXTURES / instrument_id / name, instrument_id, platform="auto")
    assert raw["respondent_id"].tolist() == got.index.tolist()


def test_the_plain_codes_are_not_trivial() -> None:
    """The fixtures must be able to fail: both literate and not literate
    respondents, wrong answers, don't know, several multi-select patterns."""
    scored = _expected("cast-2024")
    assert 0 < scored["literate"].sum() < len(scored)
    codes = pd.read_csv(FIXTURES / "cast-2024" / "codes.csv", dtype=str)
    assert (codes[CAST.item_ids] == "8").to_numpy().sum() >= 5
    assert codes["k16"].nunique() >= 4
    assert (scored[[f"{i}_correct" for i in CAST.item_ids]] == 0).to_numpy().sum() > 100


def test_english_labels_really_hold_boolean_columns() -> None:
    """The case the adapter must handle: pandas turns label columns holding
    only True/False into booleans."""
    raw = literacy.read(FIXTURES / "cast-2024" / "en-flat-both.csv")
    booleans = [c for c in raw.columns if raw[c].dtype == bool]
    assert len(booleans) >= 5
    got = literacy.read(FIXTURES / "cast-2024" / "en-flat-both.csv", CAST)
    item = CAST.item_ids[[CAST.item(i).text.en for i in CAST.item_ids].index(booleans[0])]
    assert set(got[item].dropna().astype(int)) <= {1, 2}


def test_label_only_details_are_reassembled() -> None:
    """Details only, labels only: ``question label/option label`` 0/1 columns
    become the item's codes again, in Chinese and English."""
    for lang in ("zh", "en"):
        frame = literacy.read(FIXTURES / "cast-2024" / f"{lang}-hierarchy-details.csv", CAST)
        split = frame.attrs["ingest"]["split_multiple"]
        assert set(split) == {"k16", "p06"}
        assert len(split["k16"]) == len(CAST.item("k16").options) + 2  # plus don't know and refused
    codes = pd.read_csv(FIXTURES / "cast-2024" / "codes.csv", dtype=str)
    assert frame["k16"].tolist() == codes["k16"].tolist()


def test_slash_in_a_real_label_is_not_a_group_separator() -> None:
    frame = literacy.read(FIXTURES / "crisp-classic" / "en-hierarchy-both.csv", CRISP)
    header = "Upholding the scientific spirit/Do you believe in spirit boards or spirit pens (碟仙/笔仙)?"
    assert frame.attrs["ingest"]["columns"][header] == "s05"


def test_cli_validate_reads_an_english_label_export(tmp_path: Path) -> None:
    folder = FIXTURES / "cast-2024"
    assert_cli_validate_keeps_every_row(folder / "en-hierarchy-details.csv", folder / "codes.csv", tmp_path)


# --------------------------------------------------------------------------
# A "/" inside a label is kept whole
# --------------------------------------------------------------------------

_LABEL_TEXT = st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), min_size=1, max_size=8)


def _instrument_with_labels(question: str, options: tuple[str, str]) -> Instrument:
    """cast-2024 with k16's question and first two option labels replaced."""
    from dataclasses import replace

    from literacy.instrument import Option, Text

    k16 = CAST.item("k16")
    new_options = (
        Option(k16.options[0].code, Text(options[0], options[0])),
        Option(k16.options[1].code, Text(options[1], options[1])),
        *k16.options[2:],
    )
    items = tuple(
        replace(item, text=Text(question, question), options=new_options) if item.id == "k16" else item
        for item in CAST.items
    )
    return replace(CAST, items=items)


def _plan(columns: list[str], instrument: Instrument) -> Adapter:
    return plan_adapter(pd.DataFrame(columns=[*columns, "_id", "_uuid", "_index"]), instrument, platform="auto")


@settings(max_examples=60, deadline=None)
@given(
    left=_LABEL_TEXT,
    right=_LABEL_TEXT,
    option_left=_LABEL_TEXT,
    option_right=_LABEL_TEXT,
    group=st.sampled_from(["", "Scientific knowledge/", "科学/知识/"]),
)
def test_a_slash_inside_labels_never_splits_them(
    left: str, right: str, option_left: str, option_right: str, group: str
) -> None:
    question = f"Which are {left}/{right} mammals?"
    option = f"{option_left}/{option_right}"
    instrument = _instrument_with_labels(question, (option, "Bat"))
    summary = _plan([f"{group}{question}"], instrument)
    assert summary.renames[f"{group}{question}"] == "k16"
    details = _plan([f"{group}{question}/{option}", f"{group}{question}/Bat"], instrument)
    assert details.multi_details == {"k16": [(f"{group}{question}/{option}", "1"), (f"{group}{question}/Bat", "2")]}


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Do you believe in spirit boards or spirit pens (碟仙/笔仙)?", "s05"),
        ("Upholding the scientific spirit/Do you believe in spirit boards or spirit pens (碟仙/笔仙)?", "s05"),
        ("a/b/Do you believe in spirit boards or spirit pens (碟仙/笔仙)?", "s05"),
        ("崇尚科学精神/您相信碟仙或笔仙吗？", "s05"),
    ],
)
def test_known_label_with_a_slash_maps_whole(header: str, target: str) -> None:
    assert _plan([header], CRISP).renames[header] == target


@pytest.mark.parametrize(
    "cells",
    [
        pd.Series([True, False, True], dtype=bool),
        pd.Series([True, False, None], dtype=object),
        pd.Series([False, False, False], dtype=bool),
    ],
)
def test_booleans_map_back_by_label_text(cells: pd.Series) -> None:
    """True is the option labelled True (1), False the one labelled False (2),
    never the number 0; a blank stays blank."""
    frame = pd.DataFrame({"k01": cells, "m01": ["Yes", "No", "No"], "_id": [1, 2, 3], "_uuid": ["a", "b", "c"]})
    got = literacy.io.platforms.adapt(frame, CAST)
    expected = [None if pd.isna(v) else (1 if v else 2) for v in cells]
    assert [None if pd.isna(v) else int(v) for v in got["k01"]] == expected
    assert got["m01"].tolist() == [1, 2, 2]


def test_booleans_only_by_label_for_items_labelled_true_false() -> None:
    """An item whose options are not labelled True/False keeps the old
    reading of a boolean, so nothing else changes."""
    adapter = _plan(["k01", "m01"], CAST)
    assert "k01" in adapter.boolean_labels and "m01" not in adapter.boolean_labels
