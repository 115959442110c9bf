"""Item analysis (issue 13, part 2): ``literacy.item_analysis`` and
``literacy items`` against R (reference/items_reference.R on the simulated
answers reference/items_answers.csv: psych::alpha, psychotools::raschmodel,
mantelhaen.test), a hand-worked Mantel-Haenszel table, planted faults, row
order, and the command line."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import literacy
from literacy.cli import main
from literacy.items.classical import reliability
from literacy.items.dif import mantel_haenszel
from literacy.items.rasch import esf

REFERENCE = Path(__file__).resolve().parent / "reference"
R = json.loads((REFERENCE / "items_reference.json").read_text(encoding="utf-8"))
CAST = literacy.load_instrument("cast-2024")
NSF = literacy.load_instrument("nsf-knowledge")


@pytest.fixture(scope="module")
def answers() -> pd.DataFrame:
    return literacy.read(REFERENCE / "items_answers.csv", CAST)


@pytest.fixture(scope="module")
def analysis(answers: pd.DataFrame) -> literacy.ItemAnalysis:
    return literacy.item_analysis(answers, CAST)


def simulate(instrument, n: int, seed: int, *, dif_item: str | None = None, dif_logits: float = 0.0,
             dont_know: float = 0.05, blank: float = 0.01) -> pd.DataFrame:  # fmt: skip
    """Rasch answers coded as an export holds them, from the instrument's keys;
    ``dif_item`` is ``dif_logits`` harder for women of the same ability."""
    rng = np.random.default_rng(seed)
    k = len(instrument.items)
    difficulty = np.linspace(-1.8, 1.8, k)[rng.permutation(k)]
    female = rng.random(n) < 0.5
    theta = rng.normal(0.0, 1.0, n)
    columns: dict[str, object] = {"sex": np.where(female, "female", "male"),
                                  "urban_rural": rng.choice(["urban", "rural"], n)}  # fmt: skip
    for position, item in enumerate(instrument.items):
        b = difficulty[position] + (dif_logits * female if item.id == dif_item else 0.0)
        right = rng.random(n) < 1.0 / (1.0 + np.exp(b - theta))
        key = sorted(item.key)
        others = [code for code in item.option_codes if code not in item.key]
        if item.type == "multiple_choice":
            values = np.where(right, " ".join(map(str, key)), str(others[0])).astype(object)
        else:
            values = np.where(right, key[0], rng.choice(others, n)).astype(float)
        mark = rng.random(n)
        values[mark < dont_know] = 8
        values[(mark >= dont_know) & (mark < dont_know + blank)] = np.nan
        columns[item.id] = values
    return pd.DataFrame(columns)


def with_key(instrument, item_id: str, key: int):
    """The instrument with one item's key changed (a wrong key)."""
    items = tuple(dataclasses.replace(i, key=frozenset({key})) if i.id == item_id else i for i in instrument.items)
    return dataclasses.replace(instrument, items=items)


# ---------------------------------------------------------------- against R


def test_alpha_item_rest_and_alpha_if_deleted_agree_with_psych(analysis):
    summary = analysis.summary["alpha"]
    assert summary["alpha"] == pytest.approx(R["alpha"]["raw_alpha"], abs=1e-6)
    assert summary["feldt_lower"] == pytest.approx(R["alpha"]["feldt_lower"], abs=1e-6)
    assert summary["feldt_upper"] == pytest.approx(R["alpha"]["feldt_upper"], abs=1e-6)
    assert summary["n"] == R["alpha"]["n"] == 800
    table = analysis.items.set_index("item")
    for item in CAST.item_ids:
        assert table.at[item, "item_rest_correlation"] == pytest.approx(R["alpha"]["r_drop"][item], abs=1e-6), item
        assert table.at[item, "alpha_if_deleted"] == pytest.approx(R["alpha"]["alpha_drop"][item], abs=1e-6), item


def test_alpha_per_dimension_agrees_with_psych(analysis):
    for dimension, reference in R["dimensions"].items():
        ours = analysis.summary["dimensions"][dimension]
        assert ours["alpha"] == pytest.approx(reference["raw_alpha"], abs=1e-6), dimension
        assert ours["feldt_lower"] == pytest.approx(reference["feldt_lower"], abs=1e-6), dimension
        assert ours["feldt_upper"] == pytest.approx(reference["feldt_upper"], abs=1e-6), dimension
        assert ours["items"] == len(reference["r_drop"])


def test_rasch_cml_difficulties_and_standard_errors_agree_with_psychotools(analysis):
    table = analysis.items.set_index("item")
    assert table["rasch_difficulty"].sum() == pytest.approx(0.0, abs=1e-9)
    for item in CAST.item_ids:
        assert table.at[item, "rasch_difficulty"] == pytest.approx(R["rasch"]["difficulty"][item], abs=1e-3), item
        assert table.at[item, "rasch_se"] == pytest.approx(R["rasch"]["se"][item], abs=1e-4), item
    rasch = analysis.summary["rasch"]
    assert rasch["converged"]
    assert rasch["log_likelihood"] == pytest.approx(R["rasch"]["loglik"], abs=1e-4)
    assert rasch["persons_used"] == R["rasch"]["persons_used"]
    assert rasch["persons_all_right"] + rasch["persons_none_right"] == R["rasch"]["persons_extreme"]


def test_rasch_difficulties_infit_and_outfit_agree_with_erm(analysis):
    """eRm's RM (CML, sum zero) and itemfit (mean squares from ML abilities,
    persons with extreme scores excluded) as a second reference."""
    table = analysis.items.set_index("item")
    for item in CAST.item_ids:
        assert table.at[item, "rasch_difficulty"] == pytest.approx(R["erm"]["difficulty"][item], abs=1e-3), item
        assert table.at[item, "infit"] == pytest.approx(R["erm"]["infit"][item], abs=1e-4), item
        assert table.at[item, "outfit"] == pytest.approx(R["erm"]["outfit"][item], abs=1e-4), item


def test_mantel_haenszel_dif_agrees_with_mantelhaen_test(analysis):
    table = analysis.items.set_index("item")
    for column in ("urban_rural", "sex"):
        for item in CAST.item_ids:
            reference = R["dif"][column][item]
            assert table.at[item, f"dif_{column}_odds_ratio"] == pytest.approx(reference["odds_ratio"], rel=1e-9)
            assert table.at[item, f"dif_{column}_delta"] == pytest.approx(reference["delta"], abs=1e-9)
            assert table.at[item, f"dif_{column}_p_value"] == pytest.approx(reference["p_value"], rel=1e-6, abs=1e-12)
    assert analysis.summary["dif"]["urban_rural"]["reference"] == "urban"
    assert analysis.summary["dif"]["sex"]["focal"] == "female"


def test_a_hand_worked_mantel_haenszel_table():
    """Two strata (rest score 3 and 5): reference 10 right 5 wrong and 8/4;
    focal 5 right 10 wrong and 6/6. alpha_MH = (10*10/30 + 8*6/24) /
    (5*5/30 + 4*6/24) = (16/3) / (11/6) = 32/11. Deviation from expectation:
    (10 - 15*15/30) + (8 - 12*14/24) = 2.5 + 1 = 3.5; variance 15*15*15*15/(30^2*29)
    + 12*12*14*10/(24^2*23) = 1.939655 + 1.521739; chi-square (3.5 - 0.5)^2 / 3.461395."""
    cells = [(3, 0, 1, 10), (3, 0, 0, 5), (3, 1, 1, 5), (3, 1, 0, 10),
             (5, 0, 1, 8), (5, 0, 0, 4), (5, 1, 1, 6), (5, 1, 0, 6)]  # fmt: skip
    rest = np.concatenate([[r] * count for r, _, _, count in cells]).astype(float)
    focal = np.concatenate([[f] * count for _, f, _, count in cells]).astype(bool)
    right = np.concatenate([[y] * count for _, _, y, count in cells]).astype(float)
    result = mantel_haenszel(right, rest, focal)
    assert result.odds_ratio == pytest.approx(32 / 11, rel=1e-12)
    assert result.delta == pytest.approx(-2.35 * math.log(32 / 11), rel=1e-12)
    variance = 15**4 / (30**2 * 29) + 12 * 12 * 14 * 10 / (24**2 * 23)
    assert result.chi_square == pytest.approx(9 / variance, rel=1e-12)
    assert result.strata == 2
    # A stratum holding only one group adds nothing and is left out.
    lone = mantel_haenszel(np.r_[right, [1, 0]], np.r_[rest, [9, 9]], np.r_[focal, [False, False]])
    assert lone.odds_ratio == pytest.approx(result.odds_ratio) and lone.strata == 2


def test_alpha_of_complete_zero_one_items_is_kr20():
    rng = np.random.default_rng(4)
    theta = rng.normal(size=300)
    x = (rng.random((300, 9)) < 1 / (1 + np.exp(np.linspace(-1, 1, 9) - theta[:, None]))).astype(float)
    p = x.mean(axis=0)
    kr20 = 9 / 8 * (1 - (p * (1 - p)).sum() / x.sum(axis=1).var())  # KR-20, population variances
    assert reliability(x).alpha == pytest.approx(kr20, abs=1e-12)


def test_elementary_symmetric_functions_against_the_polynomial():
    """gamma_r(eps) are the coefficients of prod(1 + eps_i t)."""
    eps = np.array([[0.5, 2.0, 1.5, 0.0, 3.0]])
    gamma, scale = esf(eps)
    coefficients = np.polynomial.polynomial.polyfromroots(-1 / eps[0, eps[0] > 0]) * np.prod(eps[0, eps[0] > 0])
    assert np.allclose(gamma[0, :5] * np.exp(scale[0]), coefficients)
    assert gamma[0, 5] == 0.0


# ---------------------------------------------------------------- planted faults


def test_the_planted_wrong_key_and_dif_item_of_the_reference_data_are_flagged(analysis):
    flags = analysis.items.set_index("item")["flags"]
    assert "check the key" in flags["m03"]
    assert "large DIF by urban_rural (ETS class C, favours urban)" in flags["k05"]
    others = flags.drop(["m03", "k05"])
    assert not others.str.contains("check the key|large DIF").any(), others[others != ""]
    assert list(analysis.flagged["item"])[:2] == ["m03", "k05"]  # most flags first


def test_a_wrong_key_in_the_instrument_is_flagged():
    data = simulate(NSF, 600, seed=11)
    wrong = with_key(NSF, "lasers", 1)  # the true key is 2
    table = literacy.item_analysis(data, wrong).items.set_index("item")
    assert table.at["lasers", "item_rest_correlation"] < 0
    assert "check the key" in table.at["lasers", "flags"]
    assert not table["flags"].drop("lasers").str.contains("check the key").any()
    right = literacy.item_analysis(data, NSF).items.set_index("item")
    assert "check the key" not in right.at["lasers", "flags"]


def test_a_planted_dif_item_is_flagged_and_favours_men():
    data = simulate(NSF, 1500, seed=5, dif_item="electron", dif_logits=1.6)
    table = literacy.item_analysis(data, NSF, by="sex").items.set_index("item")
    assert table.at["electron", "dif_sex_class"] == "C"
    assert table.at["electron", "dif_sex_delta"] < -1.5  # harder for the focal group (women)
    assert "large DIF by sex (ETS class C, favours male)" in table.at["electron", "flags"]
    assert (table["dif_sex_class"].drop("electron") != "C").all()
    assert "dif_urban_rural_class" not in table.columns  # by= replaces the default groupings


def test_extreme_persons_and_items_without_variation_are_counted_not_dropped_silently():
    data = simulate(NSF, 400, seed=3, dont_know=0.0, blank=0.0)
    data.loc[:9, NSF.item_ids] = [sorted(i.key)[0] for i in NSF.items]  # ten respondents all right
    data["viruses"] = 2.0  # everyone right
    result = literacy.item_analysis(data, NSF)
    table = result.items.set_index("item")
    assert "no variation: everyone right" in table.at["viruses", "flags"]
    assert math.isnan(table.at["viruses", "rasch_difficulty"])
    assert result.summary["rasch"]["items_left_out"] == ["viruses"]
    correct = np.column_stack([(data[i.id] == sorted(i.key)[0]) for i in NSF.items if i.id != "viruses"])
    all_right = int(correct.all(axis=1).sum())
    none_right = int((~correct).all(axis=1).sum())
    assert result.summary["rasch"]["persons_all_right"] == all_right >= 10
    assert result.summary["rasch"]["persons_none_right"] == none_right
    assert result.summary["rasch"]["persons_used"] == 400 - all_right - none_right
    assert any("do not enter the Rasch model" in note for note in result.summary["notes"])
    assert math.isnan(table.at["viruses", "item_rest_correlation"])


def test_dont_know_scores_wrong_and_blank_is_missing(answers, analysis):
    table = analysis.items.set_index("item")
    raw = pd.read_csv(REFERENCE / "items_answers.csv", dtype=str, keep_default_na=False)
    for item in ("k01", "k16", "p06"):
        text = raw[item].str.strip()
        missing = text.isin(["", "7"])
        assert table.at[item, "n"] == int((~missing).sum())
        assert table.at[item, "missing_share"] == pytest.approx(missing.mean())
        assert table.at[item, "dont_know_share"] == pytest.approx((text == "8").sum() / (~missing).sum())
        key = " ".join(map(str, sorted(CAST.item(item).key)))
        assert table.at[item, "p_correct"] == pytest.approx((text == key).sum() / (~missing).sum())


# ---------------------------------------------------------------- weights, order


def test_frequency_weights_give_the_p_values_of_repeated_rows():
    data = simulate(NSF, 300, seed=8)
    counts = np.random.default_rng(1).integers(1, 4, len(data))
    weighted = literacy.item_analysis(data.assign(w=counts), NSF, weight="w")
    repeated = literacy.item_analysis(data.loc[data.index.repeat(counts)].reset_index(drop=True), NSF)
    for column in ("p_correct", "dont_know_share", "missing_share"):
        assert np.allclose(weighted.items[column], repeated.items[column], atol=1e-12), column
    assert weighted.items["item_rest_correlation"].to_numpy() == pytest.approx(
        repeated.items["item_rest_correlation"].to_numpy(), abs=2e-3
    )
    assert "alpha" in weighted.summary["weighted_statistics"]
    assert any("the Rasch model and DIF are unweighted" in note for note in weighted.summary["notes"])
    unweighted = literacy.item_analysis(data, NSF)
    assert np.allclose(weighted.items["rasch_difficulty"], unweighted.items["rasch_difficulty"])


ORDER_DATA = simulate(NSF, 250, seed=21, dif_item="hotcore", dif_logits=1.0)
ORDER_RESULT = literacy.item_analysis(ORDER_DATA, NSF)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(len(ORDER_DATA))))
def test_row_order_changes_no_number(order):
    shuffled = literacy.item_analysis(ORDER_DATA.iloc[list(order)], NSF)
    numbers = ORDER_RESULT.items.select_dtypes("number").columns
    assert np.allclose(shuffled.items[numbers], ORDER_RESULT.items[numbers], rtol=1e-7, atol=1e-7, equal_nan=True)
    assert (shuffled.items["flags"] == ORDER_RESULT.items["flags"]).all()
    assert shuffled.summary["alpha"]["alpha"] == pytest.approx(ORDER_RESULT.summary["alpha"]["alpha"], abs=1e-12)
    assert np.allclose(shuffled.abilities.sort_index(), ORDER_RESULT.abilities.sort_index(), equal_nan=True)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda d: literacy.item_analysis(d, NSF, weight="nope"), "weight column 'nope' is not in the table"),
        (lambda d: literacy.item_analysis(d.assign(w=0.0), NSF, weight="w"), "positive weight"),
        (lambda d: literacy.item_analysis(d.assign(g="a"), NSF, by="g"), "needs exactly two groups"),
        (lambda d: literacy.item_analysis(d, NSF, by="city"), "DIF column 'city' is not in the table"),
        (lambda d: literacy.item_analysis(d.assign(hotcore=5), NSF), "outside the codebook"),
        (lambda d: literacy.item_analysis(d.drop(columns="hotcore"), NSF), "missing: hotcore"),
    ],
)
def test_mistakes_are_one_plain_sentence_in_python_terms(call, words):
    with pytest.raises(literacy.LiteracyError) as caught:
        call(ORDER_DATA)
    text = str(caught.value)
    assert words in text
    assert "--" not in text.split("\n")[0]


def test_a_default_grouping_with_other_than_two_groups_is_noted_not_guessed():
    data = ORDER_DATA.assign(urban_rural=np.resize(["urban", "rural", "suburb"], len(ORDER_DATA)))
    result = literacy.item_analysis(data, NSF)
    assert "dif_urban_rural_class" not in result.items.columns and "dif_sex_class" in result.items.columns
    assert any("DIF by urban_rural needs exactly two groups" in note for note in result.summary["notes"])


# ---------------------------------------------------------------- command line


def test_the_command_writes_table_summary_and_report(tmp_path, analysis):
    out, summary, report = tmp_path / "items.csv", tmp_path / "items.json", tmp_path / "items.html"
    arguments = ["items", str(REFERENCE / "items_answers.csv"), "-q", "cast-2024", "-o", str(out),
                 "--summary", str(summary), "--report", str(report), "--lang", "en"]  # fmt: skip
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(table.columns[:12]) == literacy.items.analysis.BASE_COLUMNS
    assert np.allclose(table["rasch_difficulty"], analysis.items["rasch_difficulty"])
    assert "NaN" not in summary.read_text(encoding="utf-8")  # strict JSON: a missing number is null
    written = json.loads(summary.read_text(encoding="utf-8"))
    assert written["alpha"]["alpha"] == pytest.approx(R["alpha"]["raw_alpha"], abs=1e-9)
    page = report.read_text(encoding="utf-8")
    assert page.index("m03") < page.index("data:image/png;base64,") < page.index("<h2>All items")
    assert "2 item(s) flagged" in result.output
    again = CliRunner().invoke(main, ["items", str(REFERENCE / "items_answers.csv"), "-q", "cast-2024", "-o",
                                      str(tmp_path / "new.csv"), "--summary", str(summary)])  # fmt: skip
    assert again.exit_code == 1 and "already exists" in again.output
    assert not (tmp_path / "new.csv").exists()  # nothing half-written


def test_the_command_prints_percent_on_the_terminal_and_proportions_in_json(tmp_path):
    source = tmp_path / "answers.csv"
    ORDER_DATA.to_csv(source, index=False)
    shown = CliRunner().invoke(main, ["items", str(source), "-q", "nsf-knowledge"])
    assert shown.exit_code == 0, shown.output
    assert "%" in shown.stdout.splitlines()[1]
    as_json = CliRunner().invoke(main, ["items", str(source), "-q", "nsf-knowledge", "--format", "json"])
    rows = json.loads(as_json.stdout)["rows"]
    assert 0 <= rows[0]["p_correct"] <= 1


def test_the_command_says_what_a_weight_weights(tmp_path):
    source = tmp_path / "answers.csv"
    ORDER_DATA.assign(w=np.resize([1.0, 2.5], len(ORDER_DATA))).to_csv(source, index=False)
    result = CliRunner().invoke(main, ["items", str(source), "-q", "nsf-knowledge", "--weight", "w", "-o",
                                       str(tmp_path / "items.json")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "weighted by w" in result.stderr and "the Rasch model and DIF are unweighted" in result.stderr
    written = json.loads((tmp_path / "items.json").read_text(encoding="utf-8"))
    assert written["metadata"]["summary"]["weight"] == "w"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--weight", "nope"], "Error: The weight column 'nope' is not in the table"),
        (["--by", "nope"], "--by"),
        (["-q", "no-such-instrument"], "Error:"),
    ],
)
def test_bad_input_is_one_sentence_without_a_traceback(tmp_path, extra, words):
    source = tmp_path / "answers.csv"
    ORDER_DATA.to_csv(source, index=False)
    arguments = ["items", str(source), *(extra if "-q" in extra else ["-q", "nsf-knowledge", *extra])]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1
    assert words in result.output and "Traceback" not in result.output
    assert result.output.startswith("Error: ")


def test_the_command_never_writes_over_its_input(tmp_path):
    source = tmp_path / "answers.csv"
    ORDER_DATA.to_csv(source, index=False)
    before = source.read_bytes()
    result = CliRunner().invoke(main, ["items", str(source), "-q", "nsf-knowledge", "-o", str(source), "--force"])
    assert result.exit_code == 1 and "is the input file" in result.output
    assert source.read_bytes() == before


def test_hostile_group_values_never_become_html(tmp_path):
    data = simulate(NSF, 1500, seed=5, dif_item="electron", dif_logits=1.6)
    data["sex"] = data["sex"].map({"male": "<script>alert(1)</script>", "female": "<b>f</b>"})
    result = literacy.item_analysis(data, NSF, by="sex")
    assert "<script>" in " ".join(result.items["flags"])  # the value is kept as text ...
    from literacy.report.items import render_item_report

    page = render_item_report(result, "en")
    assert "<script" not in page and "<b>f" not in page  # ... and escaped in the page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ---------------------------------------------------------------- a new user's findings


def _csv(tmp_path: Path, data: pd.DataFrame, name: str = "answers.csv") -> Path:
    path = tmp_path / name
    data.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("n", [2, 5, 60])
def test_a_small_sample_is_said_to_be_untrustworthy_and_its_flags_marked(tmp_path, n):
    data = simulate(CAST, n, seed=40 + n)
    result = literacy.item_analysis(data, CAST)
    summary = result.summary
    assert summary["small_sample"] and summary["minimum_respondents"] == 100
    assert summary["notes"][0].startswith(f"Only {n} respondent(s) answered any item, fewer than the 100 needed")
    flags = result.items["flags"][result.items["flags"] != ""]
    assert len(flags) and flags.str.startswith(f"tentative: only {n} respondent(s) answered; ").all()
    shown = CliRunner().invoke(main, ["items", str(_csv(tmp_path, data)), "-q", "cast-2024", "-o",
                                      str(tmp_path / "items.csv")])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "too unstable to trust" in shown.stderr and "tentatively: too few respondents" in shown.stderr


def test_a_sample_of_a_hundred_or_more_is_not_marked(analysis):
    assert not ORDER_RESULT.summary["small_sample"] and not analysis.summary["small_sample"]
    assert not ORDER_RESULT.items["flags"].str.contains("tentative").any()


def test_fewer_respondents_than_items_is_small_whatever_the_count():
    """Above 100 items the minimum is the number of items."""
    items = tuple(dataclasses.replace(item, id=f"{item.id}_{copy}") for copy in range(3) for item in CAST.items)
    many = dataclasses.replace(CAST, items=items)  # 120 items
    result = literacy.item_analysis(simulate(many, 110, seed=9), many)
    assert result.summary["small_sample"] and result.summary["minimum_respondents"] == 120
    assert result.summary["notes"][0].startswith("Only 110 respondent(s) answered any item, fewer than the 120")
    assert not literacy.item_analysis(simulate(NSF, 110, seed=9), NSF).summary["small_sample"]


def test_the_chinese_report_translates_flags_notes_and_headers(tmp_path):
    data = simulate(NSF, 1500, seed=5, dif_item="electron", dif_logits=1.6)
    data.loc[:19, "sex"] = None  # a blank group: a note
    data["ethnic"] = np.resize(["汉族", "蒙古族"], len(data))
    result = literacy.item_analysis(data, with_key(NSF, "lasers", 1), by=["sex", "ethnic"])
    from literacy.report.items import render_item_report

    page = render_item_report(result, "zh")
    assert "与其余题目负相关：请核对答案" in page and "性别间 DIF 大（ETS C 级，有利于男）" in page
    assert "按性别分析 DIF：20 名受访者的性别为空，未纳入。" in page
    for english in ("check the key", "large DIF", "DIF by", "respondent(s)", "Rasch misfit", "Feldt 95% lower"):
        assert english not in page, english
    headers = re.findall(r"<th>(.*?)</th>", page)
    assert "与其余题目相关" in headers and "需要复核之处" in headers and "答对率" in headers
    assert not {"item_rest_correlation", "flags", "p_correct", "items"} & set(headers)
    # The table and the summary, the API, stay in English.
    assert "negative item-rest correlation: check the key" in result.items.set_index("item").at["lasers", "flags"]
    assert any(note.startswith("DIF by sex: 20 respondent(s)") for note in result.summary["notes"])
    assert "check the key" in render_item_report(result, "en")


def test_an_item_everyone_got_right_has_blank_dif_not_infinity(tmp_path):
    data = simulate(NSF, 300, seed=12)
    data["viruses"] = 2.0  # everyone right
    result = literacy.item_analysis(data, NSF)
    row = result.items.set_index("item").loc["viruses"]
    for column in ("sex", "urban_rural"):
        assert math.isnan(row[f"dif_{column}_odds_ratio"]) and math.isnan(row[f"dif_{column}_delta"])
    out = tmp_path / "items.csv"
    assert CliRunner().invoke(main, ["items", str(_csv(tmp_path, data)), "-q", "nsf-knowledge", "-o",
                                     str(out)]).exit_code == 0  # fmt: skip
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    header, viruses = rows[0].split(","), next(row for row in rows if row.startswith('"viruses"')).split(",")
    cells = {column.strip('"'): cell for column, cell in zip(header, viruses, strict=True)}
    assert cells["dif_sex_odds_ratio"] == cells["dif_urban_rural_odds_ratio"] == cells["dif_sex_delta"] == ""
    # A one-sided table (the reference group all right, the focal all wrong) has no finite odds ratio either.
    one_sided = mantel_haenszel(np.array([1.0, 1, 0, 0]), np.zeros(4), np.array([False, False, True, True]))
    assert math.isnan(one_sided.odds_ratio) and one_sided.ets_class == ""


def test_everyone_right_is_counted_and_a_missing_alpha_is_explained(tmp_path):
    data = simulate(NSF, 150, seed=13, dont_know=0.0, blank=0.0)
    data[NSF.item_ids] = [sorted(i.key)[0] for i in NSF.items]
    result = literacy.item_analysis(data, NSF)
    rasch = result.summary["rasch"]
    assert rasch["persons_all_right"] == 150 and rasch["persons_none_right"] == 0 and rasch["persons_used"] == 0
    assert result.summary["alpha"]["alpha"] is None
    assert any(note.startswith("Alpha is n/a: fewer than two items have scores that vary") for note in
               result.summary["notes"])  # fmt: skip
    shown = CliRunner().invoke(main, ["items", str(_csv(tmp_path, data)), "-q", "nsf-knowledge", "-o",
                                      str(tmp_path / "items.csv")])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "Rasch on 0 respondents (150 all right and 0 none right left out)" in shown.stderr
    alone = literacy.item_analysis(simulate(NSF, 1, seed=14), NSF)
    assert "Alpha is n/a: it needs at least two respondents with answers, and there are 1." in alone.summary["notes"]


def test_respondents_with_no_answer_are_said(tmp_path):
    data = simulate(NSF, 300, seed=15)
    data.loc[:9, NSF.item_ids] = np.nan
    result = literacy.item_analysis(data, NSF)
    assert result.summary["persons_no_answer"] == 10 and result.summary["respondents_answering"] == 290
    assert any(note.startswith("10 respondent(s) answered no item") for note in result.summary["notes"])
    shown = CliRunner().invoke(main, ["items", str(_csv(tmp_path, data)), "-q", "nsf-knowledge", "-o",
                                      str(tmp_path / "items.csv")])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "over 300 respondents (10 of them with no answer)" in shown.stderr
    assert "10 respondent(s) answered no item" in shown.stderr


def test_xiangcun_reads_as_rural_like_nongcun(tmp_path):
    data = simulate(NSF, 400, seed=16)
    words = {"urban": "城镇", "rural": "乡村"}
    data["urban_rural"] = data["urban_rural"].map(words)
    data.loc[:4, "urban_rural"] = "农村"
    assert set(literacy.read(data, NSF)["urban_rural"]) == {"urban", "rural"}
    shown = CliRunner().invoke(main, ["items", str(_csv(tmp_path, data)), "-q", "nsf-knowledge", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    dif = json.loads(shown.stdout)["metadata"]["summary"]["dif"]["urban_rural"]
    assert (dif["reference"], dif["focal"]) == ("urban", "rural")
    assert dif["n_focal"] == int(data["urban_rural"].isin(["乡村", "农村"]).sum())


def test_the_readme_item_analysis_example_runs_as_written(tmp_path, monkeypatch):
    """The commands of the README's "Item analysis" section, on the shipped
    sample data: the instrument is shipped and the raw export goes through
    validate first."""
    readme = (REFERENCE.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Item analysis", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for line in section.splitlines() if line.startswith("    literacy ")]
    assert [c.split()[1] for c in commands] == ["validate", "items"]
    (tmp_path / "sample_data").symlink_to(REFERENCE.parents[1] / "sample_data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for command in commands:
        done = CliRunner().invoke(main, command.split()[1:])
        assert done.exit_code == 0, (command, done.output)
    assert (tmp_path / "items.html").exists() and (tmp_path / "items.json").exists()
    for words in ("`.items`", "`.summary`", "`.abilities`", "run `literacy validate` on a", "zero or negative weight",
                  "`--by sex` included", "alphabetical order"):  # fmt: skip
        assert words in section.replace("\n", " "), words


def test_the_sex_reference_is_male_even_when_women_are_more():
    data = ORDER_DATA.assign(sex=np.where(np.arange(len(ORDER_DATA)) % 3 == 0, "male", "female"))
    result = literacy.item_analysis(data, NSF, by="sex")
    assert (result.summary["dif"]["sex"]["reference"], result.summary["dif"]["sex"]["focal"]) == ("male", "female")
    other = literacy.item_analysis(data.assign(g=data["sex"].map({"male": "b", "female": "a"})), NSF, by="g")
    assert other.summary["dif"]["g"]["reference"] == "a"  # any other column: the larger group


@pytest.mark.parametrize("name", ["rep.pdf", "rep", "-"])
def test_a_report_not_named_html_is_refused_and_nothing_written(tmp_path, name):
    out = tmp_path / "items.csv"
    target = name if name == "-" else str(tmp_path / name)
    done = CliRunner().invoke(main, ["items", str(_csv(tmp_path, ORDER_DATA)), "-q", "nsf-knowledge", "-o", str(out),
                                     "--report", target])  # fmt: skip
    assert done.exit_code == 1 and done.output.startswith("Error: --report writes an HTML page")
    assert "Traceback" not in done.output
    assert not out.exists() and not (tmp_path / name).exists()


def test_the_last_line_names_the_flagged_items_and_the_report_fits_a_laptop(tmp_path):
    data = simulate(NSF, 600, seed=11).assign(viruses=2.0, odds1=8)  # everyone right; everyone don't know
    source = _csv(tmp_path, data)
    result = literacy.item_analysis(data, with_key(NSF, "lasers", 1))
    from literacy.report.items import render_item_report

    page = render_item_report(result, "en")
    whole = page.split("<h2>All items</h2>", 1)[1]
    headers = re.findall(r"<th>(.*?)</th>", whole)
    assert len(headers) == 12 + 2 + 1  # the base columns, one DIF column per grouping, the flags
    assert max(len(h) for h in headers) <= 40 and "_" not in "".join(headers[:-3])
    assert 'class="flags">negative item-rest correlation' in whole
    shown = CliRunner().invoke(main, ["items", str(source), "-q", "nsf-knowledge", "-o", str(tmp_path / "i.csv")])
    assert shown.exit_code == 0, shown.output
    flagged = list(literacy.item_analysis(data, NSF).flagged["item"])
    assert {"viruses", "odds1"} <= set(flagged)
    assert f"{len(flagged)} item(s) flagged ({', '.join(flagged)})." in shown.stderr
