"""The README's Python pipeline runs exactly as written (on the shipped sample
data): the block after the ``<!-- readme: pipeline -->`` marker is taken from
the README itself, so the example cannot drift from the code."""

from __future__ import annotations

import re
import warnings

import pandas as pd

from conftest import REPO

MARKER = "<!-- readme: pipeline -->"


def pipeline_block() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert text.count(MARKER) == 1, f"README.md must hold {MARKER} exactly once"
    found = re.match(r"\s*```python\n(.*?)```", text.split(MARKER, 1)[1], re.S)
    assert found, f"a ```python block must follow {MARKER}"
    return found.group(1)


def test_readme_pipeline_example_runs(tmp_path, monkeypatch):
    code = pipeline_block()
    for step in ("read(", "validate(", "score(", "add_groups(", "read_margins(", "weight(", ".design(",
                 "estimate(", "gap(", "report("):  # fmt: skip
        assert step in code, step
    # Relative paths as in the README, run from a copy's root: the sample data
    # sit beside the README; the report lands in the working folder.
    (tmp_path / "sample_data").symlink_to(REPO / "sample_data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the example makes no guesses
        exec(compile(code, "README.md", "exec"), namespace)
    assessment = namespace["assessment"]
    assert isinstance(assessment, pd.DataFrame)
    assert assessment["jurisdiction"].tolist() == ["wuhai", "xuzhou"]
    rates = namespace["rates"]
    assert isinstance(rates, pd.DataFrame)
    assert rates["breakdown"].unique().tolist() == ["all", "city", "city*sex"]
    assert (tmp_path / "report.html").stat().st_size > 10_000
    _check_printed_head(rates)


def _check_printed_head(rates: pd.DataFrame) -> None:
    """The head of the estimates table printed in the README is what the block gives."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    shown = text.split("The block above gives:", 1)[1].split("...", 1)[0]
    header, *rows = [line.split() for line in shown.strip().splitlines()]
    assert header == ["breakdown", "city", "city_label", "sex", "sex_label", "estimate", "se", "ci_lower",
                      "ci_upper", "df"]  # fmt: skip
    for position, row in enumerate(rows):
        actual = rates.iloc[position]
        for column, value in zip(header, row, strict=True):
            if column in ("estimate", "se", "ci_lower", "ci_upper", "df"):
                assert float(value) == round(float(actual[column]), 4), (position, column)
            elif value == "<NA>":
                assert pd.isna(actual[column]), (position, column)
            else:
                assert str(actual[column]) == value, (position, column)
