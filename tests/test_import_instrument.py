"""Importing an office's own questionnaire: item tables (.xlsx, .xls, .csv in
UTF-8 and GB18030) and XLSForms become instruments that load, pass
``questionnaire check`` and score answers as worked out by hand; bad tables
list every problem by sheet row; export -> import round-trips every shipped
instrument. Fixtures: tests/fixtures/item-tables/make_fixtures.py."""

from __future__ import annotations

import csv
import dataclasses
import datetime
import importlib.util
import io
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyxform.xls2xform import convert

import literacy
from conftest import SHIPPED
from literacy import LiteracyError, load_instrument, score
from literacy.cli import main
from literacy.collect.forms import export_form
from literacy.collect.importing import (
    QuestionnaireImportWarning,
    dimension_id,
    import_instrument,
    instrument_yaml,
    standard_sheet,
)

TABLES = Path(__file__).resolve().parent / "fixtures" / "item-tables"
OFFICE = TABLES / "office-items.xlsx"
CUT = {"standard": "total_score_cut", "cut_share": 0.6}

# The office table as read by a person: 题号 -> (dimension id, type, key codes, points).
# 判断: 对/√/正确/T = 1, 错/×/错误/F = 2; letters: A = 1, B = 2, ...
EXPECTED = {
    "q1": ("knowledge", "true_false", {1}, 1),  # 对
    "q2": ("knowledge", "true_false", {2}, 1),  # 错
    "q3": ("knowledge", "true_false", {1}, 1),  # √
    "q4": ("knowledge", "true_false", {2}, 1),  # ×
    "q5": ("method", "true_false", {1}, 2),  # 正确
    "q6": ("method", "true_false", {2}, 2),  # 错误
    "q7": ("spirit", "true_false", {2}, 1),  # F
    "q8": ("spirit", "true_false", {1}, 1),  # T
    "q9": ("knowledge", "single_choice", {3}, 1),  # C
    "q10": ("knowledge", "single_choice", {2}, 1),  # b
    "q11": ("health", "single_choice", {2}, 1.5),  # full-width Ｂ
    "q12": ("knowledge", "multiple_choice", {1, 2, 4}, 2),  # ABD
    "q13": ("method", "multiple_choice", {1, 3, 4}, 2),  # A,C,D
    "q14": ("health", "multiple_choice", {1, 2, 4}, 1),  # A B D
    "q15": ("spirit", "multiple_choice", {1, 3}, 1),  # A、C
}


def _health(instrument: literacy.Instrument) -> str:
    return next(d.id for d in instrument.dimensions if d.label.zh == "健康素养")


def _without_notes(instrument: literacy.Instrument) -> list[literacy.instrument.Item]:
    return [dataclasses.replace(item, note=None) for item in instrument.items]


# ---------------------------------------------------------------- the office table


def test_the_office_table_reads_every_answer_notation():
    instrument = import_instrument(OFFICE, instrument_id="office")
    assert instrument.item_ids == [f"q{n}" for n in range(1, 16)]  # 题号 order, not the sheet's row order
    health = _health(instrument)
    assert re.fullmatch(r"dim_[0-9a-f]{8}", health)
    assert [d.id for d in instrument.dimensions] == ["knowledge", "method", "spirit", health]
    assert [d.label.zh for d in instrument.dimensions] == ["科学知识", "科学方法", "科学精神与思想", "健康素养"]
    for item in instrument.items:
        dimension, kind, key, points = EXPECTED[item.id]
        assert (item.dimension if dimension != "health" else "health", item.type) == (dimension, kind), item.id
        assert (set(item.key), item.points) == (key, points), item.id
    q10 = instrument.item("q10")
    assert [(o.code, o.label.zh) for o in q10.options] == [(1, "煤炭"), (2, "太阳能"), (3, "石油")]
    q1 = instrument.item("q1")
    assert [(o.code, o.label.zh, o.label.en) for o in q1.options] == [(1, "对", "True"), (2, "错", "False")]
    assert instrument.item("q11").note == "全角字母"
    assert instrument.item("q9").text.zh == "地球绕太阳公转一周大约需要多长时间？"  # full-width punctuation kept
    assert (instrument.missing.dont_know, instrument.missing.refused, instrument.missing.not_asked) == (8, 9, 7)
    std = instrument.standard
    assert (std.rule, std.cut_share) == ("total_score_cut", 0.6)
    assert std.notes == ("60% of the points or more (the office's own rule).",)


def test_the_imported_instrument_scores_answers_as_worked_out_by_hand(tmp_path):
    path = tmp_path / "office.yaml"
    import_instrument(OFFICE, path, instrument_id="office", title="某市问卷")
    checked = CliRunner().invoke(main, ["questionnaire", "check", str(path)])
    assert checked.exit_code == 0, checked.output
    instrument = load_instrument(path)
    health = _health(instrument)
    answers = pd.DataFrame(
        {
            # A: every answer right (q13 and q15 ticked in another order).
            # B: q2, q5, q8, q10 wrong; q3 don't know; q12 a subset, q14 a superset of the key.
            # C: q1, q4, q6, q7 wrong; q11 refused; the rest right.
            "q1": [1, 1, 2], "q2": [2, 1, 2], "q3": [1, 8, 1], "q4": [2, 2, 1], "q5": [1, 2, 1],
            "q6": [2, 2, 1], "q7": [2, 2, 1], "q8": [1, 2, 1], "q9": [3, 3, 3], "q10": [2, 1, 2],
            "q11": [2, 2, 9], "q12": ["1 2 4", "1 2", "1 2 4"], "q13": ["4 3 1", "1 3 4", "1 3 4"],
            "q14": ["1 2 4", "1 2 3 4", "1 2 4"], "q15": ["3 1", "1 3", "1 3"],
        }
    ).astype({"q12": "string", "q13": "string", "q14": "string", "q15": "string"})  # fmt: skip
    scored = score(answers, instrument)
    # By hand (points: q5, q6, q12, q13 = 2; q11 = 1.5; the rest 1; 19.5 in all; cut 0.6 x 19.5 = 11.7):
    # A: knowledge 1+1+1+1+1+1+2 = 8, method 2+2+2 = 6, spirit 1+1+1 = 3, health 1.5+1 = 2.5 -> 19.5, literate
    # B: knowledge q1 q4 q9 = 3, method q6 q13 = 4, spirit q7 q15 = 2, health q11 = 1.5 -> 10.5, not literate
    # C: knowledge q2 q3 q9 q10 q12 = 1+1+1+1+2 = 6, method q5 q13 = 4, spirit q8 q15 = 2, health q14 = 1 -> 13
    assert scored["score_knowledge"].tolist() == [8, 3, 6]
    assert scored["score_method"].tolist() == [6, 4, 4]
    assert scored["score_spirit"].tolist() == [3, 2, 2]
    assert scored[f"score_{health}"].tolist() == [2.5, 1.5, 1]
    assert scored["score_total"].tolist() == [19.5, 10.5, 13]
    assert scored["literate"].tolist() == [1, 0, 1]
    assert scored["q3_correct"].tolist() == [1, 0, 1] and scored["q11_correct"].tolist() == [1, 1, 0]


@pytest.mark.parametrize(
    ("name", "flags"),
    [("office-items.xls", {}), ("office-items-utf8.csv", CUT), ("office-items-gb18030.csv", CUT)],
)
def test_xls_and_csv_in_utf8_and_gb18030_give_the_same_instrument(name, flags):
    reference = import_instrument(OFFICE, instrument_id="office")
    other = import_instrument(TABLES / name, instrument_id="office", **flags)
    assert other.items == reference.items
    assert other.dimensions == reference.dimensions
    assert (other.standard.rule, other.standard.cut_share) == ("total_score_cut", 0.6)
    assert (TABLES / "office-items-gb18030.csv").read_bytes()[:2] != b"\xef\xbb"  # really not UTF-8


def test_the_fixtures_are_what_the_generator_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_item_tables", TABLES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("office-items-utf8.csv", "office-items-gb18030.csv"):
        assert (tmp_path / name).read_bytes() == (TABLES / name).read_bytes(), name
    for name in ("office-items.xlsx", "office-items.xls", "bad-items.xlsx", "odk-form.xlsx"):
        fresh = pd.read_excel(tmp_path / name, sheet_name=None, header=None, engine="calamine")
        committed = pd.read_excel(TABLES / name, sheet_name=None, header=None, engine="calamine")
        assert fresh.keys() == committed.keys(), name
        for sheet in fresh:
            pd.testing.assert_frame_equal(fresh[sheet], committed[sheet])


def _office_rows() -> tuple[list[str], list[list[str]]]:
    with (TABLES / "office-items-utf8.csv").open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=st.permutations(range(15)))
def test_the_row_order_of_the_table_changes_nothing(order):
    header, rows = _office_rows()
    with tempfile.TemporaryDirectory() as folder:
        shuffled = Path(folder) / "shuffled.csv"
        with shuffled.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows([header] + [rows[i] for i in order])
        instrument = import_instrument(shuffled, instrument_id="office", **CUT)
    reference = import_instrument(TABLES / "office-items-utf8.csv", instrument_id="office", **CUT)
    assert instrument.items == reference.items
    assert instrument.dimensions == reference.dimensions


def test_dimension_ids_are_stable_ascii():
    assert dimension_id("科学知识") == "knowledge" and dimension_id("科学精神与思想") == "spirit"
    assert dimension_id("Health literacy") == "health_literacy"
    assert dimension_id("健康素养", "Health") == "health"
    assert dimension_id("健康素养") == dimension_id("健康素养") != dimension_id("安全素养")
    assert dimension_id("健康素养").isascii()


# ---------------------------------------------------------------- problems


def test_a_bad_table_lists_every_problem_by_row_and_writes_nothing(tmp_path):
    out = tmp_path / "bad.yaml"
    with pytest.raises(LiteracyError) as error:
        import_instrument(TABLES / "bad-items.xlsx", out, instrument_id="bad")
    text = str(error.value)
    assert not out.exists()
    assert "nothing was written" in text
    for line in [
        'row 1: column L "难度" is not an item-table column',
        "row 3: 题号 is empty",
        'row 4: 题型 "填空" is unknown',
        'row 5: 答案 "可能" is not true or false',
        'row 6: 答案 "AB" holds 2 letters but a 单选 item has one',
        'row 7: 答案 "E" but the item has options A-D.',
        'row 8: 答案 "A1" is not option letters',
        'row 9: 题号 "1" is also on row 2',
        'row 10: 分值 "两分" is not a positive number',
        "row 11: 选项C is empty but a later option is filled",
        "row 12: 维度 is empty",
        "row 12: 题干 is empty",
        'states no standard. Give the rule: standard="total_score_cut", cut_share=0.6',  # Python's words here
    ]:
        assert line in text, line
    assert "row 2:" not in text
    assert len(error.value.details) == 13


def test_the_command_line_says_the_same_without_a_traceback(tmp_path):
    result = CliRunner().invoke(
        main, ["questionnaire", "import", str(TABLES / "bad-items.xlsx"), "-o", str(tmp_path / "x.yaml"), "--id", "x"]
    )
    assert result.exit_code == 1
    assert 'row 7: 答案 "E" but the item has options A-D.' in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"cut_share": 0.6}, "--cut-share given without --standard RULE"),
        ({"standard": "total_score_cut"}, "total_score_cut needs --cut-share"),
        ({"standard": "all_dimensions_pass", "min_share": {"科学知识": 0.6}}, "none for method, spirit, dim_"),
        ({"standard": "weighted_grades", "weights": {"科学知识": 40}}, "needs --grades"),
        ({"standard": "all_dimensions_pass", "min_share": {"天文": 0.6}}, "dimension '天文' is not in the table"),
        ({"standard": "total_score_cut", "cut_share": 0.6, "weights": {"科学知识": 1}}, "--weights do(es) not apply"),
    ],
)
def test_standard_flags_that_do_not_add_up_are_named(flags, message):
    with pytest.raises(LiteracyError) as error, literacy.errors.command_line():
        import_instrument(TABLES / "office-items-utf8.csv", instrument_id="office", **flags)
    assert message in str(error.value)


@pytest.mark.filterwarnings("ignore::literacy.collect.importing.QuestionnaireImportWarning")  # its sheet is not read
def test_the_standard_from_flags(tmp_path):
    share = import_instrument(
        OFFICE, instrument_id="o", standard="all_dimensions_pass", min_share=0.5, min_points={"科学方法": 4}
    )
    thresholds = share.standard.thresholds
    assert thresholds["knowledge"].min_share == 0.5 and thresholds["method"].min_points == 4
    graded = import_instrument(
        OFFICE,
        instrument_id="o",
        standard="weighted_grades",
        weights={"科学知识": 40, "科学方法": 30, "spirit": 20, "健康素养": 10},
        grades={"优秀": 85, "合格": 60, "不合格": None},
        literate_grades=["优秀", "合格"],
    )
    std = graded.standard
    assert [d.weight for d in graded.dimensions] == [40, 30, 20, 10]
    assert [(g.id, g.label.zh, g.min_score) for g in std.grades] == [
        ("grade_1", "优秀", 85), ("grade_2", "合格", 60), ("grade_3", "不合格", None)
    ]  # fmt: skip
    assert std.literate_grades == {"grade_1", "grade_2"}
    # Weighted: A of the hand-worked test has every point (100), B scores
    # 40*3/8 + 30*4/6 + 20*2/3 + 10*1.5/2.5 = 15 + 20 + 13.33 + 6 = 54.33 -> 不合格.
    answers = pd.DataFrame(
        {"q1": [1, 1], "q2": [2, 1], "q3": [1, 8], "q4": [2, 2], "q5": [1, 2], "q6": [2, 2], "q7": [2, 2],
         "q8": [1, 2], "q9": [3, 3], "q10": [2, 1], "q11": [2, 2], "q12": ["1 2 4", "1 2"],
         "q13": ["1 3 4", "1 3 4"], "q14": ["1 2 4", "1 2 3 4"], "q15": ["1 3", "1 3"]}
    ).astype({"q12": "string", "q13": "string", "q14": "string", "q15": "string"})  # fmt: skip
    scored = score(answers, graded)
    np.testing.assert_allclose(scored["score_100"], [100, 15 + 20 + 40 / 3 + 6])
    assert scored["grade"].tolist() == ["grade_1", "grade_3"] and scored["literate"].tolist() == [1, 0]


def test_output_is_never_overwritten_without_force_nor_the_input(tmp_path):
    out = tmp_path / "office.yaml"
    args = ["questionnaire", "import", str(OFFICE), "-o", str(out), "--id", "office"]
    runner = CliRunner()
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "15 items in 4 dimensions" in first.stderr
    again = runner.invoke(main, args)
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert runner.invoke(main, [*args, "--force"]).exit_code == 0
    table = tmp_path / "items.csv"
    table.write_bytes((TABLES / "office-items-utf8.csv").read_bytes())
    with pytest.raises(LiteracyError, match=r"does not end in \.yaml"):
        import_instrument(table, table, instrument_id="office", force=True, **CUT)
    link = tmp_path / "link.yaml"
    link.symlink_to(table)
    with pytest.raises(LiteracyError, match="is the table being imported"):
        import_instrument(table, link, instrument_id="office", force=True, **CUT)
    assert table.read_bytes() == (TABLES / "office-items-utf8.csv").read_bytes()


def test_sheet_option_and_cli_flags(tmp_path):
    out = tmp_path / "graded.yaml"
    result = CliRunner().invoke(
        main,
        ["questionnaire", "import", str(OFFICE), "-o", str(out), "--id", "office", "--sheet", "题目",
         "--standard", "weighted_grades", "--weights", "科学知识=40，科学方法=30,科学精神与思想=20,健康素养=10",
         "--grades", "advanced=85,pass=60,fail", "--literate-grades", "advanced,pass"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    std = load_instrument(out).standard
    assert [(g.id, g.min_score) for g in std.grades] == [("advanced", 85), ("pass", 60), ("fail", None)]
    missing = CliRunner().invoke(
        main, ["questionnaire", "import", str(OFFICE), "-o", str(tmp_path / "y.yaml"), "--id", "o", "--sheet", "x"]
    )
    assert missing.exit_code == 1 and "has no sheet 'x'; its sheets are 题目, 评分标准" in missing.stderr


# ---------------------------------------------------------------- XLSForm


def _flags(instrument: literacy.Instrument) -> dict[str, object]:
    """The shipped standard as command-line flags would give it."""
    std = instrument.standard
    if std.rule == "total_score_cut":
        return {"standard": std.rule, "cut_share": std.cut_share}
    if std.rule == "all_dimensions_pass":
        return {
            "standard": std.rule,
            "min_share": {d: t.min_share for d, t in std.thresholds.items() if t.min_share is not None},
            "min_points": {d: t.min_points for d, t in std.thresholds.items() if t.min_points is not None},
        }
    return {
        "standard": std.rule,
        "weights": {d.label.zh: d.weight for d in instrument.dimensions},
        "grades": {g.id: g.min_score for g in std.grades},
        "literate_grades": sorted(std.literate_grades),
    }


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_export_then_import_gives_back_the_instrument(tmp_path, instrument_id):
    original = load_instrument(instrument_id)
    form = tmp_path / "form.xlsx"
    export_form(original, form, "xlsform")
    convert(str(form))  # the literacy:: columns do not stop pyxform
    survey = openpyxl.load_workbook(form)["survey"]
    header = [cell.value for cell in survey[1]]
    assert {"literacy::key", "literacy::dimension", "literacy::points"} <= set(header)

    back = import_instrument(form, tmp_path / "back.yaml", instrument_id=instrument_id, **_flags(original))
    assert _without_notes(original) == list(back.items)  # ids, order, dimensions, types, text, options, keys, points
    assert back.dimensions == original.dimensions  # ids, labels and (weighted_grades) weights
    assert (back.missing, back.population, back.version) == (original.missing, original.population, original.version)
    assert back.title.zh == original.title.zh
    std, got = original.standard, back.standard
    assert (got.rule, got.inclusive, got.max_missing_share, got.cut_share) == (
        std.rule, std.inclusive, std.max_missing_share, std.cut_share
    )  # fmt: skip
    assert {d: (t.min_share, t.min_points) for d, t in got.thresholds.items()} == {
        d: (t.min_share, t.min_points) for d, t in std.thresholds.items()
    }
    assert [(g.id, g.min_score) for g in got.grades] == [(g.id, g.min_score) for g in std.grades]
    assert got.literate_grades == std.literate_grades

    # With a standard sheet added to the form, the standard comes back whole (labels and notes too).
    workbook = openpyxl.load_workbook(form)
    sheet = workbook.create_sheet("standard")
    rows = standard_sheet(original)
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    workbook.save(form)
    whole = import_instrument(form, instrument_id=instrument_id)
    assert whole.standard == original.standard
    assert whole.dimensions == original.dimensions


def test_a_hand_written_xlsform_imports_and_says_what_it_leaves_out():
    form = TABLES / "odk-form.xlsx"
    convert(str(form))
    with pytest.warns(QuestionnaireImportWarning, match="not scored: consent"):
        instrument = import_instrument(form, instrument_id="odk", **CUT)
    assert instrument.item_ids == ["hotcore", "earthsun", "mammals"]
    assert [i.type for i in instrument.items] == ["true_false", "single_choice", "multiple_choice"]
    assert [set(i.key) for i in instrument.items] == [{1}, {3}, {1, 2}]
    assert [i.points for i in instrument.items] == [1, 2, 1]
    assert [o.code for o in instrument.item("earthsun").options] == [1, 2, 3]  # 不知道 (8) is the don't-know code
    assert instrument.missing.dont_know == 8
    assert (instrument.title.zh, instrument.version) == ("家庭科学知识", "2")
    assert [(d.id, d.label.zh) for d in instrument.dimensions] == [("knowledge", "科学知识")]


def test_the_written_yaml_has_no_anchors_and_reads_back(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        instrument = import_instrument(OFFICE, tmp_path / "o.yaml", instrument_id="office")
    text = (tmp_path / "o.yaml").read_text(encoding="utf-8")
    assert "&id" not in text and "*id" not in text
    assert load_instrument(tmp_path / "o.yaml").items == instrument.items
    assert instrument_yaml({"id": "x"}, "t.xlsx").startswith("# Imported from t.xlsx")
    assert literacy.import_instrument is import_instrument


# ---------------------------------------------------------------- what a new user ran into

HEADER = ["题号", "维度", "题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "分值"]
GOOD = [
    [1, "科学知识", "判断", "地心的温度非常高。", None, None, None, None, "对", None],
    [2, "科学方法", "单选", "检验一种药是否有效，需要什么？", "对照组", "名人推荐", "广告", None, "A", 5],
]


def _workbook(
    path: Path,
    rows: list[list[object]],
    *,
    header: list[str] = HEADER,
    standard: list[list[object]] | None = None,
    notes_sheet_first: bool = False,
    edit=None,
) -> Path:
    """An item table written by openpyxl, as Excel would save it."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if notes_sheet_first:
        sheet.title = "说明"
        sheet.append(["本表说明：题目在下一页。"])
        sheet = workbook.create_sheet("题目")
    else:
        sheet.title = "题目"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if edit is not None:
        edit(sheet)
    if standard is not None:
        extra = workbook.create_sheet("standard")
        for row in standard:
            extra.append(row)
    workbook.save(path)
    return path


def _problems(path: Path, flags: dict[str, object] | None = None) -> list[str]:
    """The problems the import lists (command-line wording); nothing written.
    ``flags``: the standard's (default: CUT); {} to read the standard sheet."""
    out = path.with_suffix(".yaml")
    with pytest.raises(LiteracyError) as error, literacy.errors.command_line():
        import_instrument(path, out, instrument_id="t", **(CUT if flags is None else flags))
    assert not out.exists()
    assert error.value.message.endswith("nothing was written:"), error.value.message
    return error.value.details


@pytest.mark.parametrize("source", ["imported table", "renamed shipped copy"])
def test_simulate_takes_an_own_questionnaire_file_and_its_exports_validate_and_score(tmp_path, source):
    own = tmp_path / "ordos-2025.yaml"
    if source == "imported table":
        import_instrument(OFFICE, own, instrument_id="ordos-2025")
    else:
        text = load_instrument("crisp-classic").path.read_text(encoding="utf-8")
        own.write_text(re.sub(r"(?m)^id: crisp-classic$", "id: my-crisp", text), encoding="utf-8")
        assert load_instrument(own).id == "my-crisp"
    runner = CliRunner()
    folder = tmp_path / "sim"
    simulated = runner.invoke(
        main,
        ["simulate", "-q", str(own), "--city", "ordos=0.15", "--interviews", "100", "--persons", "1000",
         "--layout", "csv", "--layout", "wjx", "--out", str(folder)],
    )  # fmt: skip
    assert simulated.exit_code == 0, simulated.output
    instrument = load_instrument(own)
    delivered = pd.read_csv(folder / "responses-csv.csv")
    assert set(instrument.item_ids) <= set(delivered.columns)
    for export in ("responses-csv.csv", "responses-wjx.xlsx"):
        checked = runner.invoke(
            main, ["validate", str(folder / export), "-q", str(own), "-o", str(tmp_path / f"{export}.clean.csv")]
        )
        assert checked.exit_code == 0, checked.output
    clean = tmp_path / "responses-csv.csv.clean.csv"
    scored = runner.invoke(main, ["score", str(clean), "-q", str(own), "-o", "-"])
    assert scored.exit_code == 0, scored.output
    assert f"with {instrument.id}" in scored.stderr
    assert len(pd.read_csv(io.StringIO(scored.stdout))) == len(pd.read_csv(clean)) > 0


def test_item_ids_that_differ_only_in_case_or_by_leading_zeros_are_refused(tmp_path):
    rows = [
        *GOOD,
        ["K1", "科学知识", "判断", "电子比原子小。", None, None, None, None, "对", None],  # row 4
        ["k1", "科学知识", "判断", "声音可以在真空中传播。", None, None, None, None, "错", None],  # row 5
        ["01", "科学知识", "判断", "抗生素能够杀死病毒。", None, None, None, None, "错", None],  # row 6
    ]
    details = _problems(_workbook(tmp_path / "ids.xlsx", rows))
    assert details == [
        'row 5: 题号 "k1" and "K1" on row 4 differ only in case, which data columns cannot tell apart; give one of '
        "them another 题号.",
        'row 6: 题号 "01" is also on row 2 (as "1"); 题号 must be unique.',
    ]
    zeros = import_instrument(
        _workbook(tmp_path / "zeros.xlsx", [["01", *GOOD[0][1:]], ["02", *GOOD[1][1:]]]), instrument_id="t", **CUT
    )
    assert zeros.item_ids == ["q1", "q2"]  # as Excel's number 1 shown as 01 gives


def test_a_pass_mark_nobody_can_reach_and_a_share_above_one_are_refused(tmp_path):
    table = _workbook(tmp_path / "items.xlsx", GOOD)  # 科学方法 (method) has 5 points
    details = _problems(table, {"standard": "all_dimensions_pass", "min_share": 0.6, "min_points": {"科学方法": 30}})
    assert details == [
        "--min-points 科学方法=30 asks for 30 points, but dimension method has 5 in all, so nobody could pass; give "
        "at most 5."
    ]
    assert _problems(table, {"standard": "total_score_cut", "cut_share": 60}) == [
        "--cut-share 60 is not a share; give it above 0 and at most 1 (0.6 for 60%)."
    ]
    assert _problems(table, {"standard": "all_dimensions_pass", "min_share": {"科学知识": 0.6, "科学方法": 1.5}}) == [
        "--min-share 科学方法 1.5 is not a share; give it above 0 and at most 1."
    ]
    sheet = _workbook(
        tmp_path / "sheet.xlsx",
        GOOD,
        standard=[["setting", "target", "value"], ["rule", None, "all_dimensions_pass"],
                  ["min_share", "科学知识", 0.6], ["min_points", "科学方法", 6]],
    )  # fmt: skip
    assert _problems(sheet, {}) == [
        "standard row 4: min_points asks for 6 points, but dimension method has 5 in all, so nobody could pass; "
        "give at most 5."
    ]


def test_the_checks_of_the_instrument_speak_as_the_import(tmp_path):
    table = _workbook(tmp_path / "items.xlsx", GOOD)
    with pytest.raises(LiteracyError) as error:
        import_instrument(table, tmp_path / "t.yaml", instrument_id="t", standard="total_score_cut", cut_share=0.6,
                          max_missing_share=1.5)  # fmt: skip
    assert error.value.message == f"{table} cannot be imported (1 problem); nothing was written:"
    assert error.value.details[0].startswith("standard: max_missing_share must be a share")
    assert "not a valid questionnaire" not in str(error.value)


def test_standard_sheet_settings_the_rule_does_not_use_are_refused_as_the_flags_are(tmp_path):
    graded = [
        ["setting", "target", "value"], ["rule", None, "weighted_grades"], ["weight", "科学知识", 50],
        ["weight", "科学方法", 50], ["grade", "ok", 60], ["grade", "low", None], ["literate_grades", None, "ok"],
        ["note", "科学知识", "知识维度的说明"],
    ]  # fmt: skip
    assert _problems(_workbook(tmp_path / "graded.xlsx", GOOD, standard=graded), {}) == [
        "standard row 8: a note with a dimension as target belongs to that dimension's pass mark, which "
        "weighted_grades does not have; empty the target to make it a note of the standard."
    ]
    cut = [["setting", "target", "value"], ["rule", None, "total_score_cut"], ["cut_share", None, 0.6],
           ["min_share", "科学知识", 0.5], ["cut_share", None, 0.7]]  # fmt: skip
    assert _problems(_workbook(tmp_path / "cut.xlsx", GOOD, standard=cut), {}) == [
        "standard row 4: min_share does not apply to total_score_cut; delete the row or change the rule.",
        "standard row 5: cut_share is also on row 3; keep one.",
    ]
    graded[-1] = ["note", None, "知识维度的说明"]  # a note of the standard: kept
    kept = import_instrument(_workbook(tmp_path / "kept.xlsx", GOOD, standard=graded), instrument_id="t")
    assert kept.standard.notes == ("知识维度的说明",)


def test_flags_given_over_a_standard_sheet_say_that_the_sheet_is_not_read(tmp_path):
    table = _workbook(
        tmp_path / "items.xlsx", GOOD, standard=[["setting", "value"], ["rule", "total_score_cut"], ["cut_share", 0.6]]
    )
    with pytest.warns(QuestionnaireImportWarning, match="has a sheet standard, but the standard comes from"):
        instrument = import_instrument(table, instrument_id="t", standard="total_score_cut", cut_share=0.5)
    assert instrument.standard.cut_share == 0.5


def test_excel_dates_are_refused_and_formatted_numbers_read_as_excel_shows_them(tmp_path):
    def format_cells(sheet):
        sheet["E4"].value, sheet["F4"].value = datetime.date(2025, 3, 12), 0.29  # typed: 3月12日, 29%
        sheet["F4"].number_format = "0%"
        sheet["E5"].value, sheet["E5"].number_format = 0.125, "0.0%"
        sheet["F5"].value, sheet["F5"].number_format = 1500, "#,##0"

    rows = [*GOOD, [3, "科学知识", "单选", "哪一天是植树节？", None, None, "4月1日", None, "A", None],
            [4, "科学知识", "单选", "约有多少？", None, None, "两千", None, "B", None]]  # fmt: skip
    details = _problems(_workbook(tmp_path / "dates.xlsx", rows, edit=format_cells))
    assert details == [
        "row 4: 选项A holds a date (2025-03-12), which Excel made of what was typed; format the column as text "
        "(Format Cells > Text, 设置单元格格式 > 文本), type the cell again and import again."
    ]

    def percent_only(sheet):
        format_cells(sheet)
        sheet["E4"].value = "3月12日"  # typed into a text cell

    instrument = import_instrument(
        _workbook(tmp_path / "shown.xlsx", rows, edit=percent_only), instrument_id="t", **CUT
    )
    assert [o.label.zh for o in instrument.item("q3").options] == ["3月12日", "29%", "4月1日"]
    assert [o.label.zh for o in instrument.item("q4").options] == ["12.5%", "1,500", "两千"]
    assert instrument.item("q2").points == 5  # numbers outside the label columns are read as numbers


@pytest.mark.parametrize(
    ("options", "key", "letter", "answer"),
    [(["甲", "乙", "丙", "不知道"], "A", "D", "don't-know"), (["Don't know", "甲", "乙", None], "B", "A", "don't-know"),
     (["甲", "乙", "拒绝回答", None], "A", "C", "refused")],
)  # fmt: skip
def test_an_option_that_is_a_missing_answer_is_refused(tmp_path, options, key, letter, answer):
    rows = [*GOOD, [3, "科学知识", "单选", "哪一个对？", *options, key, None]]
    details = _problems(_workbook(tmp_path / "dk.xlsx", rows))
    assert len(details) == 1
    assert details[0].startswith(f'row 4: 选项{letter} "{options["ABCD".index(letter)]}" is the {answer} answer')


def test_a_true_false_item_with_options_is_told_them_in_the_sheet_order(tmp_path):
    rows = [*GOOD, [3, "科学知识", "判断", "光速是有限的。", "错", "对", None, None, "B", None],
            [4, "科学知识", "判断", "鲸是鱼。", "是", "否", None, None, "否", None]]  # fmt: skip
    assert _problems(_workbook(tmp_path / "tf.xlsx", rows)) == [
        "row 4: a 判断 item uses the options 对 (1), 错 (2); leave its 选项 empty, or make it 单选 with its options "
        "as they stand (选项A 错, 选项B 对) and 答案 as a letter.",
        "row 5: a 判断 item uses the options 对 (1), 错 (2); leave its 选项 empty, or make it 单选 with its options "
        "as they stand (选项A 是, 选项B 否) and 答案 as a letter.",
    ]


def test_a_dimension_id_depends_on_its_name_alone(tmp_path):
    rows = [*GOOD, [3, "Knowledge", "判断", "电子比原子小。", None, None, None, None, "对", None]]
    assert _problems(_workbook(tmp_path / "both.xlsx", rows)) == [
        'rows 2 and 4: 维度 "科学知识" and "Knowledge" would both get the id knowledge; write one dimension one way, '
        "or rename one of them."
    ]
    alone = [GOOD[1], [3, "Knowledge", "判断", "电子比原子小。", None, None, None, None, "对", None]]
    instrument = import_instrument(_workbook(tmp_path / "alone.xlsx", alone), instrument_id="t", **CUT)
    assert [d.id for d in instrument.dimensions] == ["method", "knowledge"]


def test_items_on_another_sheet_or_in_big5_are_pointed_to(tmp_path):
    details = _problems(_workbook(tmp_path / "second.xlsx", GOOD, notes_sheet_first=True))
    assert details == [
        "sheet 说明 has no header row in its first 20 rows; the items look to be on sheet 题目: add --sheet 题目."
    ]  # and no "dimension ... not in the table" for a standard that has no items to refer to
    assert (
        _problems(tmp_path / "second.xlsx", {"standard": "all_dimensions_pass", "min_share": {"科学知识": 0.6}})
        == details
    )
    big5 = tmp_path / "items.csv"
    big5.write_bytes("題號,維度,題型,題幹,選項A,選項B,答案\n1,科學知識,判斷,地心很熱。,,,對\n".encode("big5"))
    (message,) = _problems(big5)
    assert "it looks like Big5 (traditional Chinese); save it as CSV UTF-8" in message


def _form(path: Path, survey: list[list[object]], choices: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    for row in [["type", "name", "label", "literacy::key", "literacy::dimension"], *survey]:
        sheet.append(row)
    listing = workbook.create_sheet("choices")
    for row in [["list_name", "name", "label"], *choices]:
        listing.append(row)
    workbook.save(path)
    return path


def test_xlsform_dimension_names_choice_lists_and_keys_are_said_once_and_plainly(tmp_path):
    choices = [["abc", "1", "甲"], ["abc", "b", "乙"], ["abc", "3", "丙"]]
    survey = [["select_one abc", "k1", "题一", "E", "科学方法"], ["select_one abc", "k2", "题二", "1", "科学方法"],
              ["select_one abc", "K2", "题三", "1", "科学方法"]]  # fmt: skip
    assert _problems(_form(tmp_path / "bad.xlsx", survey, choices)) == [
        "choices row 3: choice 'b' of list abc is not a whole-number code; scored choices are named 1, 2, 3, ...",
        'survey row 2: literacy::key "E" of k1 is not a choice name of list abc (1, 3); write the name of the '
        "correct choice, not its letter or label.",
        "survey row 4: K2 is also on survey row 3 as k2 (names differing only in case are one data column).",
    ]
    choices[1] = ["abc", "2", "乙"]
    good = _form(tmp_path / "good.xlsx", [[*survey[0][:3], "3", "科学方法"], survey[1]], choices)
    workbook = openpyxl.load_workbook(good)
    workbook["choices"]["C4"].value, workbook["choices"]["C4"].number_format = 0.29, "0%"  # choice 3, typed 29%
    workbook.save(good)
    instrument = import_instrument(good, instrument_id="t", **CUT)
    assert [(d.id, d.label.zh) for d in instrument.dimensions] == [("method", "科学方法")]
    assert instrument.item("k1").key == {3}
    assert [o.label.zh for o in instrument.item("k1").options] == ["甲", "乙", "29%"]


def test_hidden_rows_headings_and_a_one_answer_multiple_choice_are_said(tmp_path):
    rows = [
        *GOOD,
        ["一、科学知识"],  # row 4: a section heading
        [3, "科学知识", "多选", "下列哪些是哺乳动物？", "鲸", "鲨鱼", "企鹅", None, "A", None],  # row 5
        [4, "科学知识", "判断", "这一题已删去。", None, None, None, None, "对", None],  # row 6, hidden
    ]
    table = _workbook(
        tmp_path / "items.xlsx", rows, edit=lambda sheet: setattr(sheet.row_dimensions[6], "hidden", True)
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        instrument = import_instrument(table, instrument_id="t", **CUT)
    assert instrument.item_ids == ["q1", "q2", "q3"]
    said = [str(w.message) for w in caught if w.category is QuestionnaireImportWarning]
    assert said == [
        "row 6 is hidden in the sheet and not imported; unhide it (or clear the filter) to import it, or delete it.",
        'row 4 ("一、科学知识"): one filled cell, read as a heading, not an item.',
        "row 5 (q3): a 多选 item with one correct option (counted right only when just that option is ticked); check "
        "答案, or make it 单选.",
    ]


def test_options_are_coded_by_letter_wherever_their_column_stands(tmp_path):
    header = ["题号", "维度", "题型", "题干", "选项B", "选项A", "答案"]
    table = _workbook(tmp_path / "ba.xlsx", [[1, "科学知识", "单选", "哪一个？", "乙", "甲", "A"]], header=header)
    item = import_instrument(table, instrument_id="t", **CUT).item("q1")
    assert [(o.code, o.label.zh) for o in item.options] == [(1, "甲"), (2, "乙")] and item.key == {1}


def test_two_columns_for_one_option_are_both_named(tmp_path):
    table = _workbook(tmp_path / "two.xlsx", GOOD, header=[*HEADER, "选项b"])
    assert _problems(table) == ['row 1: columns F "选项B" and K "选项b" are both option B; keep one.']


def test_the_command_line_writes_yaml_only_and_names_flags_only(tmp_path):
    runner = CliRunner()
    as_json = runner.invoke(main, ["questionnaire", "import", str(OFFICE), "-o", str(tmp_path / "x.json"), "--id", "x"])
    assert as_json.exit_code == 1 and "x.json does not end in .yaml" in as_json.stderr
    assert not (tmp_path / "x.json").exists()
    table = _workbook(tmp_path / "items.xlsx", GOOD)
    bare = runner.invoke(main, ["questionnaire", "import", str(table), "-o", str(tmp_path / "x.yaml"), "--id", "x"])
    assert bare.exit_code == 1 and "Give the rule: --standard total_score_cut --cut-share 0.6" in bare.stderr
    assert "in Python" not in bare.stderr and "standard=" not in bare.stderr and "Traceback" not in bare.output
