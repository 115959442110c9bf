"""Instrument files: every shipped one loads; broken copies are rejected with
one plain sentence per problem, naming the file and the item."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO, SHIPPED
from literacy.cli import main
from literacy.errors import LiteracyError
from literacy.instrument import load_instrument, parse_instrument, shipped_ids


def test_every_shipped_instrument_is_listed_and_loads(shipped):
    assert shipped.id in SHIPPED
    assert shipped.items and shipped.dimensions
    for item in shipped.items:
        assert item.text.zh and item.text.en, item.id
        assert item.key <= set(item.option_codes), item.id
        for option in item.options:
            assert option.label.zh and option.label.en, (item.id, option.code)
    assert shipped.population.min_age == 18 and shipped.population.max_age == 69


def test_shipped_ids_are_exactly_the_four_instruments():
    assert shipped_ids() == SHIPPED


def test_published_structures_are_encoded():
    benchmark = load_instrument("benchmark-2016")
    assert len(benchmark.items) == 50
    assert benchmark.max_points == 100
    assert benchmark.standard.cut_share == 0.6
    cast = load_instrument("cast-2024")
    assert {d.id: d.weight for d in cast.dimensions} == {"knowledge": 40, "method": 20, "spirit": 20, "application": 20}
    assert [(g.id, g.min_score) for g in cast.standard.grades] == [
        ("advanced", 85),
        ("literate", 70),
        ("basic", 55),
        ("low", None),
    ]
    assert cast.standard.literate_grades == {"advanced", "literate"}
    nsf = load_instrument("nsf-knowledge")
    keys = {item.id: min(item.key) for item in nsf.items}
    # Published NSF keys: True=1, False=2; Earth around Sun; one year; odds1 No, odds2 Yes; 500/500 design.
    assert keys == {
        "hotcore": 1,
        "condrift": 1,
        "earthsun": 1,
        "solarrev": 3,
        "radioact": 2,
        "electron": 1,
        "lasers": 2,
        "boyorgrl": 1,
        "viruses": 2,
        "odds1": 2,
        "odds2": 1,
        "expdesgn": 2,
        "scistudy": 1,
    }


def test_unpublished_cut_offs_are_marked_as_assumed():
    for name in ("crisp-classic", "nsf-knowledge"):
        for threshold in load_instrument(name).standard.thresholds.values():
            assert threshold.note and "ASSUMED" in threshold.note


def _broken_copy(tmp_path: Path, name: str, change) -> Path:
    raw = yaml.safe_load((REPO / "questionnaires" / f"{name}.yaml").read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / f"broken-{name}.yaml"
    # PyYAML writes an anchor and alias where two parts share one object; the
    # toolkit refuses aliases (YAML bombs), and a person would write it out.
    path.write_text(yaml.dump(raw, Dumper=_NoAliases, allow_unicode=True), encoding="utf-8")
    return path


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def _duplicate_item(raw):
    raw["items"][1]["id"] = raw["items"][0]["id"]


def _key_not_an_option(raw):
    raw["items"][2]["key"] = 5


def _unknown_dimension(raw):
    raw["items"][3]["dimension"] = "astrology"


def _weights_off(raw):
    raw["dimensions"][0]["weight"] = 45


BROKEN = [
    ("cast-2024", _duplicate_item, "item k01: the id appears twice; item ids must be unique."),
    ("crisp-classic", _key_not_an_option, "item k03: key 5 is not among the options (1, 2)."),
    ("benchmark-2016", _unknown_dimension, "item s04: dimension 'astrology' is not declared"),
    (
        "cast-2024",
        _weights_off,
        "dimension weights sum to 105 (knowledge 45, method 20, spirit 20, application 20) "
        "but the declared scale is 100.",
    ),
]


@pytest.mark.parametrize(("name", "change", "message"), BROKEN, ids=[b[1].__name__ for b in BROKEN])
def test_check_rejects_a_broken_copy_with_a_clear_message(tmp_path, name, change, message):
    path = _broken_copy(tmp_path, name, change)
    result = CliRunner().invoke(main, ["questionnaire", "check", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert str(path) in result.output
    assert "Traceback" not in result.output


def test_every_problem_is_reported_at_once(tmp_path):
    def several(raw):
        _duplicate_item(raw)
        _key_not_an_option(raw)
        _unknown_dimension(raw)

    path = _broken_copy(tmp_path, "crisp-classic", several)
    with pytest.raises(LiteracyError) as caught:
        load_instrument(path)
    assert "(3 problems)" in str(caught.value)
    assert len(caught.value.details) == 3


def test_check_accepts_every_shipped_file():
    files = [str(REPO / "questionnaires" / f"{name}.yaml") for name in SHIPPED]
    result = CliRunner().invoke(main, ["questionnaire", "check", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count(": OK (") == 4


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nitems: [1, 2\nversion: 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["questionnaire", "check", str(path)])
    assert result.exit_code == 1
    assert "not valid YAML at line" in result.output


def test_unknown_id_lists_the_shipped_instruments():
    with pytest.raises(LiteracyError, match="Unknown questionnaire 'nope': use one of benchmark-2016, cast-2024"):
        load_instrument("nope")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["standard"].update(rule="median_split"), "rule 'median_split' is unknown"),
        (lambda raw: raw["standard"]["grades"][1].update(min=90), "min 90 must be below the grade above it (85)"),
        (lambda raw: raw["items"][0]["text"].pop("en"), "item k01: text needs text in en"),
        (lambda raw: raw["standard"].update(literate_grades=["gold"]), "literate_grades names unknown grade(s) gold"),
        (
            lambda raw: raw["items"].append({**raw["items"][0], "id": "k99", "key": [1, 2]}),
            "item k99: a true_false item has exactly one correct code.",
        ),
    ],
)
def test_other_schema_problems(tmp_path, change, message):
    path = _broken_copy(tmp_path, "cast-2024", change)
    with pytest.raises(LiteracyError) as caught:
        load_instrument(path)
    assert message in str(caught.value)


def test_all_dimensions_pass_needs_every_threshold(tmp_path):
    path = _broken_copy(tmp_path, "crisp-classic", lambda raw: raw["standard"]["thresholds"].pop("method"))
    with pytest.raises(LiteracyError, match="missing for method"):
        load_instrument(path)


def test_ids_differing_only_in_case_are_refused() -> None:
    """Export columns are matched to items ignoring case, so K1 and k1 could never both be scored."""
    raw = yaml.safe_load((REPO / "questionnaires" / "cast-2024.yaml").read_text(encoding="utf-8"))
    raw["items"][1]["id"] = raw["items"][0]["id"].upper()
    with pytest.raises(LiteracyError, match="only in upper/lower case"):
        parse_instrument(raw)


def test_a_pass_mark_above_the_dimensions_points_is_refused() -> None:
    raw = yaml.safe_load((REPO / "questionnaires" / "crisp-classic.yaml").read_text(encoding="utf-8"))
    raw["standard"]["thresholds"]["method"] = {"min_points": 5}  # the method part has 4 one-point items
    with pytest.raises(LiteracyError, match="nobody could pass"):
        parse_instrument(raw)
