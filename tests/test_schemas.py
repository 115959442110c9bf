"""Instruments, plans and run configurations are checked as a whole against one
typed definition (literacy.schemas): a misspelt key at any depth is an error
naming its path and the nearest valid key; the shipped JSON Schemas are
exactly what that definition generates and accept every shipped file."""

from __future__ import annotations

import configparser
import dataclasses
import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

import literacy
from conftest import REPO
from literacy import schemas
from literacy.datafiles import load_yaml_text, read_yaml
from literacy.errors import LiteracyError
from literacy.pipeline import demo_config
from literacy.schemas import SCHEMA_DIR, check_run_config

jsonschema = pytest.importorskip("jsonschema")

INSTRUMENTS = sorted((REPO / "questionnaires").glob("*.yaml"))
PLANS = sorted((REPO / "src" / "literacy" / "reference" / "plans").glob("*.yaml"))


def _readme_config() -> dict[str, Any]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith("instrument:")]
    return load_yaml_text(block)


def _quick_config() -> dict[str, Any]:
    """The configuration tests/test_pipeline.py runs, with every design setting."""
    return {
        "instrument": "cast-2024",
        "inputs": [{"path": "responses-wjx.xlsx"}],
        "margins": "margins.csv",
        "weighting": {"method": "rake", "by": "city"},
        "design": {"strata": "district", "psu": "community", "replicates": "jkn", "replicate_count": 50,
                   "seed": 3, "fay_rho": 0.5, "lonely_psu": "adjust", "fpc": None},
        "assessment": {"plans": ["wuhai-2021-2025"], "year": 2024, "domain": "city"},
        "report": {"formats": ["md"], "lang": "en"},
        "output": "out",
    }  # fmt: skip


def _problems(raw: Any) -> list[str]:
    with pytest.raises(LiteracyError) as caught:
        check_run_config(raw, source="demo.yaml")
    return caught.value.details


# --------------------------------------------------------------------------
# Run configurations


def test_a_misspelt_setting_in_a_run_configuration_names_the_nearest_one():
    config = _quick_config()
    config["weighting"] = {"metod": "rake", "by": "city"}
    details = _problems(config)
    assert details == ["demo.yaml: weighting.metod is not a known key; did you mean weighting.method?"]


def test_every_problem_of_a_run_configuration_is_listed_at_once():
    config = _quick_config()
    config["validation"] = {"on": {"speedr": "flag", "incomplete": "drop"}, "speeder_share": "a third"}
    config["inputs"] = [{"path": "a.sav", "platfrom": "spss"}, "b.csv"]
    config["report"] = {"formats": "rtf"}
    config["colour"] = "red"
    del config["assessment"]
    with pytest.raises(LiteracyError) as caught:
        check_run_config(config, source="demo.yaml")
    assert str(caught.value).startswith("demo.yaml is not a valid run configuration (7 problems):")
    assert set(caught.value.details) == {
        "demo.yaml: inputs[0].platfrom is not a known key; did you mean inputs[0].platform?",
        "demo.yaml: validation.on.speedr is not a known key; did you mean validation.on.speeder?",
        "demo.yaml: validation.on.incomplete is 'drop'; use 'reject', 'flag' or 'ignore'.",
        "demo.yaml: validation.speeder_share must be a number, not 'a third'.",
        "demo.yaml: report.formats is 'rtf'; use 'html', 'xlsx', 'md', 'json', 'docx' or 'pdf'.",
        "demo.yaml: assessment is required.",
        "demo.yaml: colour is not a known key; the keys are instrument, inputs, validation, margins, weighting, "
        "design, estimate, assessment, disparities, actuals, small_area, report, output, previous.",
    }


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (lambda c: c.update(inputs=[]), "inputs must hold at least 1 entries, not 0."),
        (lambda c: c.update(inputs=[["a.sav"]]), "inputs[0] must be a single value or a mapping, not a list."),
        (lambda c: c["weighting"].update(bounds=[0.5]), "weighting.bounds must hold at least 2 entries, not 1."),
        (lambda c: c.update(disparities={"sex": "male"}), "disparities.sex must be a list, not 'male'."),
        (lambda c: c.update(estimate=["logit"]), "estimate must be a mapping, not a list."),
        (lambda c: c["design"].update(replicates="jackknife"), "design.replicates is 'jackknife'; use 'jk1'"),
    ],
)
def test_wrong_shapes_and_words_in_a_run_configuration(change, sentence):
    config = _quick_config()
    change(config)
    assert any(sentence in line for line in _problems(config))


def test_a_run_configuration_must_be_a_mapping():
    with pytest.raises(LiteracyError, match=r"demo\.yaml must be a YAML mapping"):
        check_run_config(["instrument"], source="demo.yaml")  # type: ignore[arg-type]


def test_the_readme_demo_and_test_configurations_are_accepted(tmp_path):
    readme = _readme_config()
    assert {"validation", "disparities", "actuals", "estimate"} <= set(readme)
    check_run_config(readme, source="README.md")
    check_run_config(read_yaml(demo_config(tmp_path)), source="demo.yaml")
    check_run_config(_quick_config(), source="run.yaml")
    check_run_config({**_quick_config(), "inputs": "one.sav", "disparities": None, "actuals": "actuals.csv",
                      "validation": {"actions": {"speeder": "reject"}, "min_age": 16, "max_missing_share": None,
                                     "straight_line_min_items": 8}, "estimate": {"groups": []},
                      "weighting": {"trim": ["median", 5], "bounds": [0.3, 3]}}, source="run.yaml")  # fmt: skip


def test_the_validation_settings_are_the_rules_fields_and_on():
    from literacy.validate import ACTIONS, DEFAULT_ACTIONS, Rules

    fields = {f.name: f for f in dataclasses.fields(Rules)}
    assert set(schemas.Validation.model_fields) == set(fields) | {"on"}
    for name, field in fields.items():
        if name != "actions":
            assert schemas.Validation.model_fields[name].default == field.default, name
    assert schemas.Actions().model_dump() == DEFAULT_ACTIONS
    assert get_args(schemas.Action) == ACTIONS


def test_the_allowed_words_are_those_of_the_modules_that_use_them():
    from literacy.instrument import ITEM_TYPES, RULES
    from literacy.plans import BASES, COMPARATORS, LEVELS
    from literacy.vocabulary import (
        CI_METHODS,
        FILE_FORMATS,
        LONELY_PSU_RULES,
        PLATFORMS,
        REPLICATE_METHODS,
        REPORT_FORMATS,
    )
    from literacy.vocabulary import WEIGHT_METHODS as METHODS

    assert get_args(schemas.ItemType) == ITEM_TYPES and get_args(schemas.Rule) == RULES
    assert get_args(schemas.Level) == LEVELS and get_args(schemas.Basis) == BASES
    assert get_args(schemas.Comparator) == tuple(COMPARATORS)
    assert get_args(schemas.Platform) == PLATFORMS
    assert set(get_args(schemas.FileFormat)) == set(FILE_FORMATS.values())
    assert get_args(schemas.WeightMethod) == METHODS
    assert get_args(schemas.LonelyPsu) == LONELY_PSU_RULES
    assert get_args(schemas.ReplicateMethod) == REPLICATE_METHODS
    assert get_args(schemas.CiMethod) == CI_METHODS
    assert get_args(schemas.ReportFormat) == REPORT_FORMATS


# --------------------------------------------------------------------------
# Instruments and plans, through the public loaders


def _copy(tmp_path: Path, source: Path, change) -> Path:
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / f"mine-{source.name}"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_a_misspelt_key_in_an_instrument_names_the_nearest_one(tmp_path):
    def typo(raw):
        raw["population"]["min_agee"] = raw["population"].pop("min_age")
        raw["items"][2]["optons"] = [{"code": 1, "label": {"zh": "对", "en": "True"}}]
        raw["items"][3]["key"] = 5  # a semantic problem, listed with the typos

    path = _copy(tmp_path, REPO / "questionnaires" / "crisp-classic.yaml", typo)
    with pytest.raises(LiteracyError) as caught:
        literacy.load_instrument(path)
    details = caught.value.details
    assert f"{path}: population.min_agee is not a known key; did you mean population.min_age?" in details
    assert f"{path}: items[2].optons is not a known key; did you mean items[2].options?" in details
    assert any("item k04: key 5 is not among the options" in line for line in details)
    assert "(3 problems)" in str(caught.value)


def test_a_wrong_shape_in_an_instrument_is_one_sentence(tmp_path):
    def wrong(raw):
        raw["items"][0]["options"] = {"code": 1}
        raw["missing_codes"]["dont_knwo"] = 8

    path = _copy(tmp_path, REPO / "questionnaires" / "cast-2024.yaml", wrong)
    with pytest.raises(LiteracyError) as caught:
        literacy.load_instrument(path)
    assert caught.value.details == [
        f"{path}: missing_codes.dont_knwo is not a known key; did you mean missing_codes.dont_know?",
        f"{path}: items[0].options must be a single value or a list, not a mapping.",
    ]


def test_a_misspelt_key_in_a_plan_names_the_nearest_one(tmp_path):
    def typo(raw):
        raw["document"]["tilte"] = raw["document"].pop("title")
        raw["targets"][0]["comparater"] = "at_least"

    path = _copy(tmp_path, PLANS[-1], typo)
    with pytest.raises(LiteracyError) as caught:
        literacy.load_plan(path)
    details = caught.value.details
    assert "document.tilte is not a known key; did you mean document.title?" in details
    assert "targets[0].comparater is not a known key; did you mean targets[0].comparator?" in details
    assert "document.title: give both zh and en text." in details  # the parser still checks the rest


def test_a_plan_with_a_wrong_shape_or_a_missing_year_says_so(tmp_path):
    path = _copy(tmp_path, PLANS[-1], lambda raw: raw["counted_targets"][0].update(period=2025))
    with pytest.raises(LiteracyError) as caught:
        literacy.load_plan(path)
    assert caught.value.details == ["counted_targets[0].period must be a list, not 2025."]

    def no_year(raw):
        del raw["baselines"][0]["year"]
        raw["counted_targets"][0]["comparator"] = "about"

    path = _copy(tmp_path, PLANS[-1], no_year)
    with pytest.raises(LiteracyError) as caught:
        literacy.load_plan(path)
    assert caught.value.details == [
        "baselines[0]: `year` is required.",
        "counted_targets[0]: comparator 'about' is not one of more_than, at_least, strive_for.",
    ]


# --------------------------------------------------------------------------
# The shipped JSON Schemas


def test_the_schema_files_are_what_the_models_generate():
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in SCHEMA_DIR.glob("*.schema.json")}
    assert on_disk == schemas.schema_texts(), "the schemas are stale: run `make schemas`"


def _as_json(value: Any) -> Any:
    """What an editor sees: YAML dates are text in JSON."""
    return json.loads(json.dumps(value, default=str))


def _validator(name: str) -> Any:
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(("name", "files"), [("instrument", INSTRUMENTS), ("plan", PLANS)])
def test_the_schemas_accept_every_shipped_file(name, files):
    validator = _validator(name)
    assert files
    for path in files:
        errors = [e.message for e in validator.iter_errors(_as_json(read_yaml(path)))]
        assert not errors, (path.name, errors)


def test_the_run_schema_accepts_the_example_configurations_and_refuses_a_typo(tmp_path):
    validator = _validator("run-config")
    for config in (_readme_config(), read_yaml(demo_config(tmp_path)), _quick_config()):
        assert not list(validator.iter_errors(_as_json(config)))
    typo = {**_quick_config(), "weighting": {"metod": "rake"}}
    error = jsonschema.exceptions.best_match(validator.iter_errors(typo))
    assert error.validator == "additionalProperties" and "'metod'" in error.message


def test_the_schemas_are_shipped_and_pydantic_is_required():
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg", encoding="utf-8")
    assert "reference/schemas/*.schema.json" in setup["options.package_data"]["literacy"]
    assert "pydantic>=2.5" in setup["options"]["install_requires"]
    assert {p.name for p in SCHEMA_DIR.glob("*.schema.json")} == {f"{n}.schema.json" for n in schemas.SCHEMAS}
