"""Shared helpers: answer tables built from an instrument's own keys."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from literacy.instrument import Instrument, Item, load_instrument

REPO = Path(__file__).resolve().parents[1]
SHIPPED = ["benchmark-2016", "cast-2024", "crisp-classic", "nsf-knowledge"]


def key_answer(item: Item) -> object:
    """The correct answer as it appears in an export."""
    if item.type == "multiple_choice":
        return " ".join(str(code) for code in sorted(item.key))
    return min(item.key)


def wrong_answer(item: Item) -> object:
    """A substantive but wrong answer."""
    if item.type == "multiple_choice":
        extra = next(code for code in item.option_codes if code not in item.key)
        return " ".join(str(code) for code in sorted(item.key | {extra}))
    return next(code for code in item.option_codes if code not in item.key)


def respondent(instrument: Instrument, correct_ids: set[str], **overrides: object) -> dict[str, object]:
    """One respondent: key answers for ``correct_ids``, wrong answers elsewhere."""
    row = {item.id: key_answer(item) if item.id in correct_ids else wrong_answer(item) for item in instrument.items}
    row.update(overrides)
    return row


def first_n_per_dimension(instrument: Instrument, counts: dict[str, int]) -> set[str]:
    chosen: set[str] = set()
    for dimension, count in counts.items():
        chosen |= {item.id for item in instrument.dimension_items(dimension)[:count]}
    return chosen


def table(instrument: Instrument, rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=instrument.item_ids)
    return frame.astype({item.id: "string" for item in instrument.items if item.type == "multiple_choice"})


@pytest.fixture(params=SHIPPED)
def shipped(request: pytest.FixtureRequest) -> Instrument:
    return load_instrument(request.param)


def assert_scores_like_plain_codes(export: Path, codes: Path, instrument_id: str, platform: str) -> pd.DataFrame:
    """A platform's export, read with ``platform="auto"``, validated and
    scored, equals the plain codes table it was written from, respondent for
    respondent (matched by id: platforms order rows their own way): every
    item's ``_correct``, ``score_total``, ``literate`` and the respondent
    fields. Returns the scored export."""
    import literacy

    instrument = load_instrument(instrument_id)
    frame = literacy.read(export, instrument, platform="auto")
    assert frame.attrs["ingest"]["platform"] == platform
    assert set(instrument.item_ids) <= set(frame.columns)
    checked = literacy.validate(frame, instrument)
    assert len(checked.rejects) == 0, checked.rejects.get("reject_reasons", pd.Series()).tolist()
    got = literacy.score(checked.clean, instrument).set_index("respondent_id")
    plain = literacy.read(codes, instrument_id, platform="generic")
    expected = literacy.score(plain, instrument_id).set_index("respondent_id")
    assert got.index.is_unique and sorted(got.index) == sorted(expected.index)
    got = got.loc[expected.index]
    columns = ["literate", "score_total", *(f"{item}_correct" for item in instrument.item_ids)]
    pd.testing.assert_frame_equal(
        got[columns].astype(float), expected[columns].astype(float), check_dtype=False, check_names=False
    )
    for field in ("city", "sex", "age", "urban_rural", "education", "occupation"):
        assert got[field].astype(str).tolist() == expected[field].astype(str).tolist(), field
    return got


def run_config(folder: Path, **changes: object) -> Path:
    """A quick ``literacy run`` configuration (the 问卷星 sample, one Markdown
    report) written to ``folder/run.yaml``; ``changes`` replace settings."""
    import yaml

    from literacy.pipeline import sample_data_dir

    data = sample_data_dir()
    config = {
        "instrument": "cast-2024",
        "inputs": [{"path": str(data / "responses-wjx.xlsx")}],
        "margins": str(data / "margins.csv"),
        "weighting": {"method": "rake", "by": "city"},
        "design": {"strata": "district", "psu": "community"},
        "assessment": {"plans": ["wuhai-2021-2025"], "year": 2024, "domain": "city"},
        "report": {"formats": ["md"], "lang": "en"},
        "output": "out",
    }
    config.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def assert_cli_validate_keeps_every_row(export: Path, codes: Path, tmp_path: Path) -> None:
    """``literacy validate`` on a platform export keeps all 40 rows, and its
    clean file scores, respondent for respondent, as the plain codes do."""
    from click.testing import CliRunner

    import literacy
    from literacy.cli import main

    clean = tmp_path / "clean.csv"
    result = CliRunner().invoke(
        main, ["validate", str(export), "-q", "cast-2024", "-o", str(clean), "--rejects", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "40 rows read = 40 clean + 0 rejected" in result.stderr
    scored = literacy.score(literacy.read(clean, "cast-2024", platform="generic"), "cast-2024")
    expected = literacy.score(literacy.read(codes, "cast-2024", platform="generic"), "cast-2024")
    scored, expected = scored.set_index("respondent_id"), expected.set_index("respondent_id")
    scored = scored.loc[expected.index]
    assert scored["score_total"].tolist() == pytest.approx(expected["score_total"].tolist())
    assert scored["literate"].tolist() == expected["literate"].tolist()
