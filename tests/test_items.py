"""Item analysis (issue 13, part 2): ``literacy.item_analysis`` and
``literacy items`` against R (reference/items_reference.R on the simulated
answers reference/items_answers.csv: psych::alpha, psychotools::raschmodel,
mantelhaen.test), a hand-worked Mantel-Haenszel table, planted faults, row
order, and the command line."""

from __future__ import annotations

import dataclasses
import json
import math
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
