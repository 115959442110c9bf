"""Errors in the caller's terms (issue 18): every mistake a Python caller can
plausibly make is a LiteracyError (never AttributeError or TypeError), and
its text names Python arguments, not command-line flags; the same mistake on
the command line names the flag. One message source, two spellings."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import literacy
from literacy.cli import main
from literacy.pipeline import sample_data_dir

DATA = sample_data_dir()
CAST = literacy.load_instrument("cast-2024")
FLAG = re.compile(r"(?<![\w-])--?[a-z][\w-]*|`literacy [a-z]+`")


@pytest.fixture(scope="module")
def steps():
    raw = literacy.read(DATA / "responses-spss.sav", CAST)
    scored = literacy.groups.add_groups(literacy.score(literacy.validate(raw, CAST).clean, CAST))
    margins = literacy.read_margins(DATA / "margins.csv", by="city")
    weighted = literacy.weight(scored, margins, base_weight="base_weight")
    design = weighted.design(strata="district", psu="community")
    rates = literacy.estimate(design, "literate", by="city")
    return {"raw": raw, "scored": scored, "weighted": weighted, "design": design, "rates": rates}


def _mistakes(steps, tmp_path):
    raw, scored, design, rates = steps["raw"], steps["scored"], steps["design"], steps["rates"]
    existing = tmp_path / "report.md"
    existing.write_text("mine", encoding="utf-8")
    listed = raw.copy()
    listed["k01"] = listed["k01"].astype(object)
    listed.at[listed.index[0], "k01"] = [1, 2]
    lonely = scored.assign(one_psu_strata=np.arange(len(scored)))
    crossed = literacy.estimate(design, "literate", by=["city", "sex"])
    margins = literacy.read_margins(DATA / "margins.csv", by="city")
    assessment = literacy.gap(rates, ["wuhai-2021-2025"], year=2025)
    one_psu_each = literacy.Design(lonely, strata="one_psu_strata", psu="community")
    return {
        "rules of the wrong type": lambda: literacy.validate(raw, CAST, ["speeder"]),
        "an unknown rule": lambda: literacy.validate(raw, CAST, {"speeder_shar": 0.2}),
        "margins of the wrong type": lambda: literacy.weight(scored, [1, 2], base_weight="base_weight"),
        "None in by": lambda: literacy.estimate(design, "literate", by=["city", None]),
        "a list as a single-choice answer": lambda: literacy.score(listed, CAST),
        "an existing output": lambda: literacy.report(literacy.ReportData(assessment, rates), existing),
        "a lonely PSU": lambda: literacy.estimate(one_psu_each, "literate"),
        "no item columns": lambda: literacy.score(pd.DataFrame({"x": [1]}), CAST),
        "invalid codes": lambda: literacy.score(raw, CAST),
        "collapse needed": lambda: literacy.weight(scored[scored["age_band"] != "18-29"], margins,
                                                   base_weight="base_weight"),
        "a non-binary outcome": lambda: literacy.estimate(design, "score_100", by="city"),
        "gap on crossed estimates": lambda: literacy.gap(crossed, ["wuhai-2021-2025"], year=2025),
        "unknown file format": lambda: literacy.read(tmp_path / "x.abc"),
    }


def test_every_plausible_mistake_is_a_literacy_error_in_python_terms(steps, tmp_path):
    for name, mistake in _mistakes(steps, tmp_path).items():
        with pytest.raises(literacy.LiteracyError) as caught:
            mistake()
        text = str(caught.value)
        assert not FLAG.search(text), f"{name}: {text}"


def test_a_multiple_choice_answer_may_be_a_list(steps):
    """A pipeline may hold a multi-select answer as a list of codes: it
    scores as the space-joined codes an export holds."""
    clean = literacy.validate(steps["raw"], CAST).clean.head(200)
    as_lists = clean.copy()
    as_lists["k16"] = [None if pd.isna(v) else [int(c) for c in str(v).split()][::-1] for v in clean["k16"]]
    assert literacy.validate(as_lists, CAST).summary["rejected_rows"] == 0
    ours, expected = literacy.score(as_lists, CAST), literacy.score(clean, CAST)
    for column in ("k16_correct", "score_100", "literate"):
        pd.testing.assert_series_equal(ours[column], expected[column])
    assert expected["k16_correct"].sum() > 0


def test_rules_and_margins_may_be_given_as_plain_data(steps):
    raw, scored = steps["raw"], steps["scored"]
    as_mapping = literacy.validate(raw, CAST, {"speeder_share": 0.2, "on": {"speeder": "reject"}})
    assert as_mapping.summary["rejected_rows"] > literacy.validate(raw, CAST).summary["rejected_rows"]
    frame = pd.read_csv(DATA / "margins.csv", encoding="utf-8-sig")
    with pytest.warns(UserWarning, match="by='city'"):
        from_frame = literacy.weight(scored, frame, base_weight="base_weight")
    np.testing.assert_allclose(from_frame.data["weight_final"], steps["weighted"].data["weight_final"], rtol=1e-12)


def test_the_command_line_names_its_flags_for_the_same_mistakes(tmp_path):
    out = tmp_path / "e.csv"
    out.write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(main, ["estimate", str(DATA / "sample.csv"), "--outcome", "literate",
                                       "-o", str(out)])  # fmt: skip
    assert result.exit_code == 1 and "--force" in result.stderr and "force=True" not in result.stderr
    one_psu = tmp_path / "lonely.csv"
    pd.DataFrame({"y": [0, 1, 1], "s": [1, 2, 3], "p": [1, 1, 1]}).to_csv(one_psu, index=False)
    result = CliRunner().invoke(main, ["estimate", str(one_psu), "--outcome", "y", "--strata", "s", "--psu", "p"])
    assert result.exit_code == 1 and "--lonely-psu" in result.stderr and "lonely_psu=" not in result.stderr
