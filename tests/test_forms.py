"""Instrument exports: XLSForm (converted by pyxform), SPSS template, paper form,
and the round trip field -> export -> ingest -> score."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert

from conftest import SHIPPED
from literacy import load_instrument, read, score
from literacy.cli import main
from literacy.collect.exports import write_export
from literacy.collect.forms import export_form, xlsform
from literacy.instrument import respondent_block
from test_ingest import fieldwork

XF = "{http://www.w3.org/2002/xforms}"


def _bind_paths(xform: str) -> dict[str, str]:
    """Field name -> its path below the form root, from the XForm binds."""
    root = ET.fromstring(xform)
    paths = {}
    for bind in root.iter(f"{XF}bind"):
        parts = bind.get("nodeset", "").strip("/").split("/")[1:]  # drop the root element
        if parts:
            paths[parts[-1]] = "/".join(parts)
    return paths


@pytest.mark.parametrize("instrument_id", SHIPPED)
@pytest.mark.parametrize("lang", ["both", "zh", "en"])
def test_pyxform_converts_every_shipped_instrument(tmp_path, instrument_id, lang):
    path = tmp_path / f"{instrument_id}.xlsx"
    export_form(instrument_id, path, "xlsform", lang=lang)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    result = convert(str(path))  # raises PyXFormError on any problem
    instrument = load_instrument(instrument_id)
    paths = _bind_paths(result.xform)
    for item in instrument.items:
        assert paths[item.id] == f"{item.dimension}/{item.id}"
    for field_ in respondent_block():
        assert paths[field_.id] == f"respondent/{field_.id}"
    assert {"start", "end", "deviceid"} <= set(paths)
    assert f". &gt;= {instrument.population.min_age} and . &lt;= {instrument.population.max_age}" in result.xform
    if lang == "both":
        assert 'lang="Chinese (zh)"' in result.xform and 'lang="English (en)"' in result.xform


def test_xlsform_choice_names_are_the_instrument_codes():
    cast = load_instrument("cast-2024")
    sheets = xlsform(cast)
    survey = {row["name"]: row for row in sheets["survey"]}
    for item in cast.items:
        list_name = survey[item.id]["type"].split()[1]
        names = [row["name"] for row in sheets["choices"] if row["list_name"] == list_name]
        assert names == [str(c) for c in item.option_codes] + ["8", "9"]
        assert survey[item.id]["required"] == "yes"


def test_xlsform_kobo_and_odk_exports_score_as_plain_codes(tmp_path):
    """The headers the XForm gives (group/name) are what the Kobo and ODK
    layouts write, and both come back through ingest to the same scores."""
    cast = load_instrument("cast-2024")
    form = tmp_path / "form.xlsx"
    export_form(cast, form, "xlsform")
    paths = _bind_paths(convert(str(form)).xform)
    plain = fieldwork(120, seed=21)
    reference = score(plain, cast)
    for layout, separator in (("kobo", "/"), ("odk", "-")):
        export = tmp_path / f"{layout}.csv"
        write_export(plain, cast, export, layout)
        header = pd.read_csv(export, sep=None, engine="python", nrows=0).columns
        for item in cast.items:
            assert paths[item.id].replace("/", separator) in header
        got = score(read(export, cast), cast)
        np.testing.assert_array_equal(got["score_100"].to_numpy(), reference["score_100"].to_numpy())


def test_sav_template_declares_labels_and_missing_codes_and_round_trips(tmp_path):
    cast = load_instrument("cast-2024")
    template = tmp_path / "template.sav"
    export_form(cast, template, "sav-template", lang="zh")
    empty, meta = pyreadstat.read_sav(str(template), user_missing=True)
    assert len(empty) == 0
    assert meta.column_names_to_labels["k01"] == cast.item("k01").text.zh
    assert meta.variable_value_labels["sex"] == {1.0: "男", 2.0: "女"}
    assert meta.variable_value_labels["k01"][8.0] == "不知道"
    assert sorted(r["lo"] for r in meta.missing_ranges["k01"]) == [7.0, 8.0, 9.0]
    # A firm keys interviews into the template's variables and labels.
    plain = fieldwork(90, seed=8)
    keyed = tmp_path / "keyed.sav"
    write_export(plain, cast, keyed, "spss", lang="zh")
    _, keyed_meta = pyreadstat.read_sav(str(keyed), metadataonly=True)
    shared = [c for c in keyed_meta.column_names if c in meta.column_names]
    assert shared == [c for c in meta.column_names if c in keyed_meta.column_names]
    assert set(cast.item_ids) <= set(shared)
    assert keyed_meta.variable_value_labels["k01"] == meta.variable_value_labels["k01"]
    np.testing.assert_array_equal(
        score(read(keyed, cast), cast)["score_100"].to_numpy(), score(plain, cast)["score_100"].to_numpy()
    )


def test_paper_form_is_self_contained_and_complete(tmp_path):
    cast = load_instrument("cast-2024")
    path = tmp_path / "form.html"
    export_form(cast, path, "html", lang="zh")
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"<script|https?://|<link", page)
    for item in cast.items:
        assert f'id="{item.id}"' in page and item.text.zh.replace("DNA", "DNA") in page
    assert "不知道" in page and "性别" in page


def test_questionnaire_export_command(tmp_path):
    runner = CliRunner()
    out = tmp_path / "form.xlsx"
    result = runner.invoke(main, ["questionnaire", "export", "nsf-knowledge", "--format", "xlsform", "-o", str(out)])
    assert result.exit_code == 0, result.output
    convert(str(out))
    again = runner.invoke(main, ["questionnaire", "export", "nsf-knowledge", "--format", "xlsform", "-o", str(out)])
    assert again.exit_code == 1 and "already exists" in again.stderr


# A 64-byte place name (21 Chinese characters of 3 bytes, plus one) and a
# multiple-choice answer with every option: the longest values the SPSS
# template must hold.
LONG_PLACE = "内蒙古自治区鄂尔多斯市伊金霍洛旗乌兰木伦镇1"


def test_sav_template_variables_are_wide_enough(tmp_path):
    cast = load_instrument("cast-2024")
    template = tmp_path / "template.sav"
    export_form(cast, template, "sav-template", lang="zh")
    empty, meta = pyreadstat.read_sav(str(template), user_missing=True)
    assert len(empty) == 0
    types, widths = meta.original_variable_types, meta.variable_storage_width
    assert len(LONG_PLACE.encode("utf-8")) == 64
    for name in ("respondent_id", "city", "district", "community"):
        assert (
            meta.readstat_variable_types[name] == "string" and widths[name] >= 64 and types[name] == f"A{widths[name]}"
        )
    assert types["age"] == "F3.0" and meta.readstat_variable_types["age"] == "double"
    assert types["sex"] == "F1.0" and types["k01"] == "F1.0"
    for item in cast.items:
        if item.type == "multiple_choice":
            every = " ".join(str(c) for c in item.option_codes)
            assert meta.readstat_variable_types[item.id] == "string" and widths[item.id] >= len(every)
            assert sorted(r["lo"] for r in meta.missing_ranges[item.id]) == ["7", "8", "9"]
        else:
            assert meta.readstat_variable_types[item.id] == "double"


def _pspp() -> str:
    import shutil

    path = shutil.which("pspp")
    if path is None:
        pytest.skip("pspp is not installed (Debian: apt-get install pspp)")
    return path


def test_sav_template_holds_the_longest_values_when_keyed_in_pspp(tmp_path):
    """Key one interview into the template with PSPP (which truncates a value
    to its variable's width) and read it back intact."""
    import subprocess

    pspp = _pspp()
    cast = load_instrument("cast-2024")
    template = tmp_path / "template.sav"
    export_form(cast, template, "sav-template", lang="zh")
    multiple = [item for item in cast.items if item.type == "multiple_choice"]
    answers = {item.id: " ".join(str(c) for c in item.option_codes) for item in multiple}
    keyed = tmp_path / "keyed.sav"
    syntax = tmp_path / "key.sps"
    computes = "\n".join(f"COMPUTE {name} = '{value}'." for name, value in answers.items())
    syntax.write_text(
        f"""GET FILE='{template}'.
DISPLAY DICTIONARY /VARIABLES=respondent_id city age {" ".join(answers)}.
DATA LIST LIST /entry_row (F1.0).
BEGIN DATA
1
END DATA.
ADD FILES /FILE='{template}' /FILE=*.
COMPUTE city = '{LONG_PLACE}'.
COMPUTE respondent_id = '{"9" * 64}'.
COMPUTE age = 69.
{computes}
SAVE OUTFILE='{keyed}' /DROP=entry_row.
""",
        encoding="utf-8",
    )
    shown = subprocess.run([pspp, "-O", "format=txt", str(syntax)], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    dictionary = re.sub(r"\s+", " ", shown.stdout)
    assert re.search(r"\|city *\| *2\|.*?\|A64 *\|A64 *\|", shown.stdout), shown.stdout
    assert re.search(r"\|age *\| *6\|.*?\|F3\.0 *\|F3\.0 *\|", shown.stdout), dictionary
    data, _ = pyreadstat.read_sav(str(keyed), user_missing=True)
    assert data.loc[0, "city"] == LONG_PLACE and data.loc[0, "respondent_id"] == "9" * 64
    assert data.loc[0, "age"] == 69
    for name, value in answers.items():
        assert data.loc[0, name] == value
