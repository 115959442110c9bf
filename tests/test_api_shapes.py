"""The public API's shapes (issue 18, items 5 and 6): what ``by`` gives and
the one layout of every estimates table, margins read without ``by=``, the
exported result types and their short reprs, the API reference (pdoc) and a
typed pipeline checked by ``mypy --strict``."""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
import typing
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import literacy
from conftest import REPO
from literacy.estimation import FIXED_COLUMNS
from literacy.labels import domain_columns
from literacy.weighting import MarginsWarning, margins_from_frame

SAMPLE = REPO / "sample_data"
TAIL = [*FIXED_COLUMNS, "population", "n_eff"]


def _frame(n: int = 240, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "literate": rng.integers(0, 2, n),
        "city": rng.choice(["wuhai", "xuzhou"], n),
        "sex": rng.choice(["male", "female"], n),
        "race": rng.choice([1, 2, 3], n),  # numeric codes
        "age_band": pd.Categorical(rng.choice(["18-29", "30-39"], n), categories=["18-29", "30-39"]),
        "grade": rng.choice(["low", "basic", "literate"], n),
        "w": rng.uniform(1, 3, n),
    })  # fmt: skip


@pytest.fixture(scope="module")
def design() -> literacy.Design:
    return literacy.Design(_frame(), weight="w")


# ---------------------------------------------------------------- by and the table's shape


@pytest.mark.parametrize("by", [None, [], [[]]])
def test_no_by_is_the_whole_population_in_the_same_shape(design, by):
    result = literacy.estimate(design, "literate", by, labels="codes")
    assert list(result.columns) == ["breakdown", *TAIL]
    assert result["breakdown"].tolist() == ["all"]
    assert domain_columns(result) == []


def test_a_string_and_a_list_of_one_are_the_same_breakdown(design):
    one = literacy.estimate(design, "literate", "city", labels="codes")
    listed = literacy.estimate(design, "literate", ["city"], labels="codes")
    pd.testing.assert_frame_equal(one, listed)
    assert list(one.columns) == ["breakdown", "city", *TAIL]
    assert one["breakdown"].tolist() == ["city", "city"]
    assert one["city"].tolist() == ["wuhai", "xuzhou"]


def test_a_list_of_columns_crosses_them(design):
    crossed = literacy.estimate(design, "literate", ["city", "sex"], labels="codes")
    assert list(crossed.columns) == ["breakdown", "city", "sex", *TAIL]
    assert set(crossed["breakdown"]) == {"city*sex"}
    assert len(crossed) == 4 and not crossed[["city", "sex"]].isna().any().any()


def test_a_list_of_lists_stacks_them_with_one_missing_marker(design):
    stacked = literacy.estimate(design, "literate", [[], ["city"], ["sex"], ["race"], ["age_band"]])
    assert stacked.columns[0] == "breakdown"
    assert stacked["breakdown"].tolist() == ["all"] + ["city"] * 2 + ["sex"] * 2 + ["race"] * 3 + ["age_band"] * 2
    assert domain_columns(stacked) == ["city", "sex", "race", "age_band"]
    assert list(stacked.columns[-len(TAIL) :]) == TAIL
    # Each stacked block equals that breakdown estimated alone.
    alone = literacy.estimate(design, "literate", "race")
    block = stacked[stacked["breakdown"] == "race"].reset_index(drop=True)
    np.testing.assert_allclose(block["estimate"], alone["estimate"])
    np.testing.assert_allclose(block["se"], alone["se"])
    # One marker in every domain and label column: pd.NA, nullable dtypes.
    leading = [str(c) for c in stacked.columns[1 : stacked.columns.get_loc("estimate")]]
    assert "sex_label" in leading and "city_label" in leading
    for column in leading:
        values = stacked[column]
        assert values.isna().any(), column  # every column is unused by some breakdown here
        assert all(v is pd.NA for v in values[values.isna()]), column
        assert not isinstance(values.dtype, pd.CategoricalDtype) and values.dtype != object, (column, values.dtype)
    assert str(stacked["race"].dtype) == "Int64"  # codes stay whole numbers, not 1.0
    assert stacked["age_band"].dtype == "string"
    assert "<NA>" in stacked.to_string() and "NaN" not in stacked[leading].to_string()


def test_a_by_column_called_breakdown_is_refused(design):
    data = _frame().rename(columns={"city": "breakdown"})
    with pytest.raises(literacy.LiteracyError, match="may not be called 'breakdown'"):
        literacy.estimate(literacy.Design(data, weight="w"), "literate", "breakdown")


def test_a_distribution_puts_level_after_the_domain_columns(design):
    result = literacy.estimate(design, "grade", [["city"], ["sex"]], labels="codes")
    assert list(result.columns[:4]) == ["breakdown", "city", "sex", "level"]
    assert list(result.columns[4:]) == TAIL
    sums = result.groupby(["breakdown", "city", "sex"], dropna=False)["estimate"].sum()
    np.testing.assert_allclose(sums, 1.0)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_stacked_table_round_trips_and_gap_still_finds_its_rows(tmp_path, suffix):
    data = _frame(400, seed=5)
    design = literacy.Design(data, weight="w")
    stacked = literacy.estimate(design, "literate", [[], ["city"], ["city", "sex"], ["race"]])
    path = tmp_path / f"estimates{suffix}"
    literacy.write_table(stacked, path)
    back = literacy.read(path)
    assert list(back.columns) == list(stacked.columns)
    if suffix == ".parquet":  # dtypes and the marker survive whole
        pd.testing.assert_frame_equal(back, stacked, check_like=False)
    else:  # CSV: an empty cell comes back missing; values come back equal
        for column in stacked.columns[: stacked.columns.get_loc("estimate")]:
            assert back[column].isna().tolist() == stacked[column].isna().tolist(), column
        for column in ("breakdown", "city", "city_label", "sex"):
            assert back[column].dropna().tolist() == stacked[column].dropna().tolist(), column
        assert back["race"].dropna().tolist() == [1.0, 2.0, 3.0]
        np.testing.assert_allclose(back["estimate"], stacked["estimate"])
    plans = ["wuhai-2021-2025", "xuzhou-2021-2035"]
    expected = literacy.gap(stacked, plans, year=2025)
    found = literacy.gap(back, plans, year=2025)
    assert found["jurisdiction"].tolist() == ["wuhai", "xuzhou"]
    np.testing.assert_allclose(found["estimate"], expected["estimate"])
    by_city = stacked[stacked["breakdown"] == "city"].set_index("city")["estimate"]
    np.testing.assert_allclose(found["estimate"], by_city[["wuhai", "xuzhou"]])


def test_readme_and_docstring_document_the_by_forms():
    doc = inspect.getdoc(literacy.estimate) or ""
    for text in ('"city"', '["city", "sex"]', '[["city"], ["sex"]]', "None", "breakdown", "<NA>", "FIXED_COLUMNS"):
        assert text in doc, text
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    for text in ('`[["city"], ["sex"]]`', "`breakdown`", "`<NA>`", "FIXED_COLUMNS", "`all`"):
        assert text in section, text


# ---------------------------------------------------------------- margins


def _long_margins(extra: dict[str, list[str]] | None = None) -> pd.DataFrame:
    cities = ["wuhai", "wuhai", "xuzhou", "xuzhou"]
    frame = pd.DataFrame({
        "city": cities,
        "variable": ["sex"] * 4,
        "category": ["male", "female"] * 2,
        "target": [10.0, 12.0, 20.0, 22.0],
    })  # fmt: skip
    for name, values in (extra or {}).items():
        frame[name] = values
    return frame


def test_margins_per_city_without_by_are_read_per_city_with_a_warning(tmp_path):
    path = tmp_path / "margins.csv"
    _long_margins().to_csv(path, index=False)
    with pytest.warns(MarginsWarning, match=r"once per city.*pass by='city'"):
        guessed = literacy.read_margins(path)
    assert guessed.by == "city"
    explicit = literacy.read_margins(path, by="city")
    pd.testing.assert_frame_equal(guessed.table, explicit.table)


def test_the_shipped_margins_without_by_guess_city():
    with pytest.warns(MarginsWarning, match="age_band=18-29 once per city"):
        margins = literacy.read_margins(SAMPLE / "margins.csv")
    assert margins.by == "city"


def test_margins_that_need_no_guess_warn_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one_city = margins_from_frame(_long_margins().iloc[:2])  # one set of targets: no by needed
        assert one_city.by is None
        assert margins_from_frame(_long_margins(), by="city").by == "city"


def test_ambiguous_margins_say_which_by_to_pass():
    with pytest.raises(literacy.LiteracyError, match=r"columns city, region .*by='city' or by='region'"):
        margins_from_frame(_long_margins({"region": ["n", "n", "e", "e"]}))
    repeated = _long_margins().drop(columns="city")
    with pytest.raises(literacy.LiteracyError, match="lists sex=male twice"):
        margins_from_frame(repeated)


def test_a_derived_margin_the_data_lack_points_to_add_groups():
    cast = literacy.load_instrument("cast-2024")
    checked = literacy.validate(literacy.read(SAMPLE / "responses-spss.sav", cast), cast)
    scored = literacy.score(checked.clean, cast)
    scored = scored[scored["scorable"]]
    margins = literacy.read_margins(SAMPLE / "margins.csv", by="city")
    with pytest.raises(literacy.LiteracyError, match=r"age_band.*literacy\.add_groups\(data\)"):
        literacy.weight(scored, margins, base_weight="base_weight")
    # With the groups but bands of its own making, the message says where bands come from.
    banded = literacy.add_groups(scored)
    banded["age_band"] = banded["age_band"].astype("string").replace({"18-29": "18-24"})
    with pytest.raises(literacy.LiteracyError, match=r"age_band=18-24.*add_groups"):
        literacy.weight(banded, margins, base_weight="base_weight")
    plain = scored.assign(region="x")
    table = pd.DataFrame({"variable": ["region"], "category": ["y"], "target": [1.0]})
    with pytest.raises(literacy.LiteracyError) as error:
        literacy.weight(plain.drop(columns="region"), margins_from_frame(table), base_weight="base_weight")
    assert "add_groups" not in str(error.value)


# ---------------------------------------------------------------- exports, reprs


EXPORTED = ["WeightingResult", "Margins", "Plan", "Instrument", "Design", "Reliability", "ValidationResult",
            "ReportData", "RunResult", "LiteracyError"]  # fmt: skip


def test_the_result_types_are_exported_and_every_public_name_has_a_docstring():
    assert set(EXPORTED) <= set(literacy.__all__)
    for name in literacy.__all__:
        value = getattr(literacy, name)
        if name == "__version__":
            continue
        doc = inspect.getdoc(value) or ""
        generated = doc.startswith(f"{getattr(value, '__name__', name)}(")  # a dataclass's signature, not a doc
        assert doc and not generated, f"literacy.{name} needs a docstring"
    assert typing.get_type_hints(literacy.validate)["return"] is literacy.ValidationResult
    from literacy.weighting import Margins, WeightingResult

    assert literacy.Margins is Margins and literacy.WeightingResult is WeightingResult


def test_the_package_is_marked_typed():
    assert (Path(literacy.__file__).parent / "py.typed").is_file()
    assert "py.typed" in (REPO / "setup.cfg").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_wheel_ships_py_typed(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(REPO)],
                   check=True, capture_output=True)  # fmt: skip
    (wheel,) = tmp_path.glob("literacy-*.whl")
    assert "literacy/py.typed" in zipfile.ZipFile(wheel).namelist()


@pytest.fixture(scope="module")
def weighted() -> literacy.WeightingResult:
    cast = literacy.load_instrument("cast-2024")
    checked = literacy.validate(literacy.read(SAMPLE / "responses-spss.sav", cast), cast)
    scored = literacy.score(checked.clean, cast)
    scored = literacy.add_groups(scored[scored["scorable"]])
    return literacy.weight(scored, literacy.read_margins(SAMPLE / "margins.csv", by="city"), base_weight="base_weight")


def test_design_repr_is_one_line_without_the_data(weighted):
    design = weighted.design(strata="district", psu="community")
    assert repr(design) == (
        "Design(rows=2009, weight='weight_final', strata='district' (15), psu='community' (150), "
        "calibrated=rake, replicates=None)"
    )
    boot = literacy.Design(weighted.data[["literate"]].assign(w=1.0), weight="w").with_replicates(
        "bootstrap", replicates=5, seed=1
    )
    assert repr(boot) == (
        "Design(rows=2009, weight='w', strata=None, psu=None, calibrated=None, replicates=bootstrap (5))"
    )
    assert repr(weighted).startswith("WeightingResult(method='rake'") and "\n" not in repr(weighted)


def test_plan_reprs_are_short():
    plans = literacy.list_plans()
    for plan in plans:
        text = repr(plan)
        assert "\n" not in text and len(text) < 200, text
        assert text.startswith(f"Plan({plan.id!r}, code={plan.code!r}")
    wuhai = literacy.load_plan("wuhai-2021-2025")
    assert "2025 >=12%" in repr(wuhai) and "乌海市/Wuhai" in repr(wuhai)


# ---------------------------------------------------------------- reference and types


def test_make_docs_renders_the_api_reference(tmp_path):
    if importlib.util.find_spec("pdoc") is None:
        pytest.skip("pdoc is not installed (it is in the test extras: pip install '.[test]')")
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^docs:.*\n\t(.+)$", makefile, re.M)
    assert recipe and "pdoc" in recipe.group(1) and "docs/api" in recipe.group(1)
    assert "docs/api/" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    command = recipe.group(1).replace("$(BIN)/python", sys.executable).replace("docs/api", str(tmp_path / "api"))
    result = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "api" / "literacy.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="([A-Za-z_][\w.]*)"', page))
    assert set(literacy.__all__) <= anchors
    assert "When an estimate is flagged as unreliable" in page  # docstrings are rendered


def test_the_typed_pipeline_passes_mypy_strict():
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it is in the test extras: pip install '.[test]')")
    package_root = Path(literacy.__file__).resolve().parent.parent
    env = dict(os.environ)
    if "site-packages" not in package_root.parts and "dist-packages" not in package_root.parts:
        env["MYPYPATH"] = str(package_root)  # an editable install or a clone: mypy cannot see its import hook
    # The pipeline is checked strictly against the library's annotations (as a
    # user's code is); the library's own modules are not part of this check.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--cache-dir", os.devnull,
         str(REPO / "tests" / "typed_pipeline.py")],
        capture_output=True, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_the_typed_pipeline_runs(tmp_path):
    spec = importlib.util.spec_from_file_location("typed_pipeline", REPO / "tests" / "typed_pipeline.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(tmp_path) == ["wuhai", "xuzhou"]
    assert (tmp_path / "report.md").stat().st_size > 1000
