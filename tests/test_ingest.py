"""Reading exports: every format and platform scores as the plain codes do.

Fixtures are written by the real writers (pyreadstat for .sav/.zsav/.dta,
openpyxl for .xlsx, xlwt for legacy .xls, pandas for CSV in UTF-8 and GBK).
Layouts follow ../shared/reference/formats.md; a few small files are typed
here as the platforms' documentation shows them, so the reader is not only
checked against this toolkit's own exporter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from literacy import load_instrument, read, score
from literacy.collect.exports import write_export
from literacy.collect.simulate import simulate_answers
from literacy.io import detect_platform, read_mapping

CAST = load_instrument("cast-2024")
MULTI = next(item for item in CAST.items if item.type == "multiple_choice")


def fieldwork(n: int = 240, seed: int = 5) -> pd.DataFrame:
    """Respondents with the block's fields and answers as plain codes."""
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({
        "respondent_id": np.arange(1, n + 1),
        "city": rng.choice(["乌海", "徐州"], n),
        "sex": rng.choice(["male", "female"], n),
        "age": rng.integers(18, 70, n),
        "urban_rural": rng.choice(["urban", "rural"], n),
        "education": rng.choice(["primary_or_less", "senior_high", "university"], n),
        "occupation": rng.choice(["farmer", "industrial_worker", "student"], n),
        "duration_seconds": rng.normal(900, 120, n).round(),
    })  # fmt: skip
    answers = simulate_answers(CAST, rng.normal(0.3, 1.0, n), rng, blank_rate=0.02)
    return pd.concat([people, answers], axis=1)


@pytest.fixture(scope="module")
def plain() -> pd.DataFrame:
    return fieldwork()


@pytest.fixture(scope="module")
def reference(plain) -> pd.DataFrame:
    return score(plain, CAST)


def assert_same_scores(got: pd.DataFrame, reference: pd.DataFrame) -> None:
    scored = score(got, CAST)
    assert len(scored) == len(reference)
    np.testing.assert_array_equal(scored["score_100"].to_numpy(), reference["score_100"].to_numpy())
    assert scored["literate"].astype("Float64").equals(reference["literate"].astype("Float64"))
    assert (scored["grade"].astype(str).to_numpy() == reference["grade"].astype(str).to_numpy()).all()


LAYOUTS = [
    ("csv", "plain.csv", "generic"),
    ("kobo", "kobo.csv", "kobo"),
    ("kobo-labels", "kobo-labels.csv", "kobo"),
    ("odk", "odk.csv", "odk"),
    ("wjx", "wjx-text.xlsx", "wjx"),
    ("wjx", "wjx-text.xls", "wjx"),
    ("wjx-numeric", "wjx-numeric.xlsx", "wjx"),
    ("spss", "survey.sav", "spss"),
    ("spss", "survey.zsav", "spss"),
]


@pytest.mark.parametrize(("layout", "name", "platform"), LAYOUTS)
def test_every_export_scores_as_the_plain_codes(plain, reference, tmp_path, layout, name, platform):
    path = tmp_path / name
    write_export(plain, CAST, path, layout)
    got = read(path, CAST)
    assert got.attrs["ingest"]["platform"] == platform
    assert_same_scores(got, reference)
    assert (got["sex"].astype(str).to_numpy() == plain["sex"].to_numpy()).all()
    assert (got["age"].astype(float).to_numpy() == plain["age"].to_numpy()).all()
    np.testing.assert_allclose(got["duration_seconds"].astype(float), plain["duration_seconds"], atol=1)


def test_spss_keeps_user_missing_codes_and_chinese_labels(plain, tmp_path):
    path = tmp_path / "survey.sav"
    write_export(plain, CAST, path, "spss", lang="zh")
    raw = read(path)  # no instrument: the file as SPSS holds it
    labels = raw.attrs["labels"]
    assert labels["values"]["k01"][1] == "对" and labels["values"]["k01"][8] == "不知道"
    assert labels["variables"]["k01"] == CAST.item("k01").text.zh
    assert sorted(labels["missing"]["k01"]) == [7, 8, 9]
    # user_missing=True: the declared "don't know" code 8 survives as 8.
    dont_know = (pd.to_numeric(plain["k01"]) == 8).sum()
    assert dont_know > 0
    assert (raw["k01"] == 8).sum() == dont_know
    # The same file read with pyreadstat's default would have blanked them.
    default, _ = pyreadstat.read_sav(str(path))
    assert (default["k01"] == 8).sum() == 0


def test_stata_file_with_value_labels(plain, reference, tmp_path):
    path = tmp_path / "survey.dta"
    data = plain.drop(columns=[i.id for i in CAST.items if i.type == "multiple_choice"]).copy()
    codes = {"male": 1, "female": 2}
    data["sex"] = data["sex"].map(codes)
    for column in data.columns:
        if str(data[column].dtype) in ("Int64", "string", "str", "object") and column not in ("city",):
            data[column] = pd.to_numeric(data[column], errors="coerce")
    value_labels = {"sex": {1: "男", 2: "女"}, "k01": {1: "对", 2: "错", 8: "不知道"}}
    pyreadstat.write_dta(data, str(path), variable_value_labels=value_labels)
    for item in CAST.items:
        if item.type == "multiple_choice":
            data[item.id] = plain[item.id]
    got = read(path, CAST)
    assert got.attrs["ingest"]["platform"] == "spss"
    assert got.attrs["labels"]["values"]["sex"] == {1: "男", 2: "女"}
    assert (got["sex"].astype(str).to_numpy() == plain["sex"].to_numpy()).all()
    for item in CAST.items:
        if item.type != "multiple_choice":
            np.testing.assert_array_equal(
                pd.to_numeric(got[item.id]).to_numpy(dtype=float, na_value=np.nan),
                pd.to_numeric(plain[item.id]).to_numpy(dtype=float, na_value=np.nan),
            )


def test_spss_file_with_its_own_codes_is_translated_by_value_labels(tmp_path):
    # A firm coded 对 = 1, 错 = 0, 不知道 = 9: the labels say what the codes mean.
    item = CAST.item("k01")  # key 1 (对)
    frame = pd.DataFrame({"k01": [1.0, 0.0, 9.0, np.nan]})
    path = tmp_path / "firm.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={"k01": {1.0: "对", 0.0: "错", 9.0: "不知道"}},
                         missing_ranges={"k01": [9.0]})  # fmt: skip
    got = read(path, CAST)
    assert got["k01"].tolist()[:3] == [1, 2, CAST.missing.dont_know]
    assert pd.isna(got["k01"].iloc[3])
    assert item.key == frozenset({1})


def test_gbk_csv_with_chinese_labels(plain, reference, tmp_path):
    labelled = plain.copy()
    for item in CAST.items:
        if item.type == "multiple_choice":
            continue
        names = {o.code: o.label.zh for o in item.options} | {8: "不知道", 9: "拒绝回答"}
        labelled[item.id] = pd.to_numeric(plain[item.id]).map(names)
    labelled["sex"] = plain["sex"].map({"male": "男", "female": "女"})
    path = tmp_path / "gbk.csv"
    labelled.to_csv(path, index=False, encoding="gbk")
    got = read(path, CAST)
    assert got.attrs["source"]["encoding"] == "gb18030"
    assert_same_scores(got, reference)
    assert set(got["sex"]) == {"male", "female"}


def test_english_labels_and_synonyms_map_to_codes(tmp_path):
    path = tmp_path / "english.csv"
    pd.DataFrame({"k01": ["True", "false", "Don't know", "T", "正确", "×", "refused", ""]}).to_csv(path, index=False)
    got = read(path, CAST, platform="generic")
    assert got["k01"].tolist()[:7] == [1, 2, 8, 1, 1, 2, 9]
    assert pd.isna(got["k01"].iloc[7])


def test_kobo_file_as_formpack_writes_it(tmp_path):
    """Typed from formpack's export layout: ';', every field quoted, group
    paths, select_multiple summary plus q/option columns, metadata, HXL row."""
    a05 = MULTI
    key = sorted(a05.key)
    key_text = " ".join(map(str, key))
    detail_header = ";".join(f'"{MULTI.dimension}/{MULTI.id}/{o.code}"' for o in a05.options)
    detail_key = ";".join('"1"' if o.code in key else '"0"' for o in a05.options)
    detail_blank = ";".join('""' for _ in a05.options)
    text = (
        f'"start";"end";"knowledge/k01";"knowledge/k02";"{MULTI.dimension}/{MULTI.id}";{detail_header};"_id";"_uuid";'
        '"_submission_time";"_validation_status";"_notes";"_status";"_submitted_by";"_tags";"_index"\n'
        f'"#date";"#date";"#q1";"#q2";"#q3";{detail_blank};"#id";"";"";"";"";"";"";"";""\n'
        f'"2025-09-01T08:00:00.000+08:00";"2025-09-01T08:15:00.000+08:00";"1";"2";"{key_text}";{detail_key};"11";'
        '"aa";"2025-09-01T08:16:00";"";"";"submitted_via_web";"";"";"1"\n'
        f'"2025-09-01T09:00:00.000+08:00";"2025-09-01T09:02:00.000+08:00";"8";"";"";{detail_blank};"12";"bb";'
        '"2025-09-01T09:03:00";"";"";"submitted_via_web";"";"";"2"\n'
    )
    path = tmp_path / "kobo.csv"
    path.write_text(text, encoding="utf-8")
    got = read(path, CAST)
    assert got.attrs["ingest"]["platform"] == "kobo"
    assert got.attrs["ingest"]["skipped_header_rows"] == 1
    assert len(got) == 2
    assert got["k01"].tolist() == [1, 8]
    assert got["k02"].iloc[0] == 2 and pd.isna(got["k02"].iloc[1])
    assert got[MULTI.id].iloc[0] == key_text and pd.isna(got[MULTI.id].iloc[1])
    assert got["duration_seconds"].tolist() == [900.0, 120.0]
    assert got["respondent_id"].tolist() == [11, 12]  # _id stands in for a missing id question
    assert not [c for c in got.columns if c.startswith(f"{MULTI.dimension}/{MULTI.id}/")]


def test_odk_central_split_select_multiples_without_summary(tmp_path):
    a05 = MULTI
    key = sorted(a05.key)
    header = ["SubmissionDate", "knowledge-k01"] + [f"{MULTI.dimension}-{MULTI.id}/{o.code}" for o in a05.options]
    header += ["meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
               "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]  # fmt: skip
    row = ["2025-09-01T00:00:00.000Z", "2"] + ["1" if o.code in key else "0" for o in a05.options]
    row += ["uuid:1", "uuid:1", "5", "x", "0", "0", "", "", "collect:1", "0", "1.0"]
    path = tmp_path / "odk.csv"
    pd.DataFrame([row], columns=header).to_csv(path, index=False)
    got = read(path, CAST)
    assert got.attrs["ingest"]["platform"] == "odk"
    assert got["k01"].tolist() == [2]
    assert got[MULTI.id].tolist() == [" ".join(map(str, key))]


def test_wjx_numeric_multiselect_columns_and_minus_codes(tmp_path):
    a05 = MULTI
    columns = {"序号": [1, 2], "提交答卷时间": ["2025/9/1 8:00:00"] * 2, "所用时间": ["300秒", "2分30秒"],
               "来源": ["手机提交"] * 2, "来源详情": ["直接访问"] * 2, "来自IP": ["1.1.1.1"] * 2,
               f"1、{CAST.item('k01').text.zh}": [3, -2], f"2、{CAST.item('k02').text.zh}": [1, -3]}  # fmt: skip
    number = 1 + CAST.item_ids.index(MULTI.id) + 1 - CAST.item_ids.index("k01") - 1
    # Question numbers follow the instrument's order from k01 = 1, so a05 is question `number`.
    for option in a05.options:
        columns[f"第{number}题({option.label.zh})"] = [int(option.code in a05.key), -3]
    path = tmp_path / "wjx.xlsx"
    pd.DataFrame(columns).to_excel(path, index=False)
    got = read(path, CAST)
    assert got.attrs["ingest"]["platform"] == "wjx"
    assert got["k01"].tolist() == [CAST.missing.dont_know, CAST.missing.not_asked]  # option 3 = 不知道
    assert got["k02"].iloc[0] == 1 and pd.isna(got["k02"].iloc[1])
    assert got[MULTI.id].iloc[0] == " ".join(map(str, sorted(a05.key))) and pd.isna(got[MULTI.id].iloc[1])
    assert got["duration_seconds"].tolist() == [300.0, 150.0]
    assert got["respondent_id"].tolist() == [1, 2]


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_mapping_file_renames_columns_and_values(tmp_path, suffix):
    path = tmp_path / "firm.csv"
    pd.DataFrame({"Q1": ["yes", "no", "dk"], "GENDER": ["M", "F", "M"]}).to_csv(path, index=False)
    mapping = tmp_path / f"map{suffix}"
    if suffix == ".yaml":
        mapping.write_text(
            "columns: {Q1: k01, GENDER: sex}\n"
            "values:\n  k01: {'yes': 1, 'no': 2, dk: 8}\n  sex: {M: male, F: female}\n",
            encoding="utf-8",
        )
    else:
        pd.DataFrame({
            "source_column": ["Q1", "", "", "", "GENDER", "", ""],
            "target": ["k01", "k01", "k01", "k01", "sex", "sex", "sex"],
            "source_value": ["", "yes", "no", "dk", "", "M", "F"],
            "code": ["", "1", "2", "8", "", "male", "female"],
        }).to_csv(mapping, index=False)  # fmt: skip
    assert read_mapping(mapping).columns == {"Q1": "k01", "GENDER": "sex"}
    got = read(path, CAST, mapping=mapping)
    assert got["k01"].tolist() == [1, 2, 8]
    assert got["sex"].tolist() == ["male", "female", "male"]


def test_unknown_answers_are_kept_for_validate_to_reject(tmp_path):
    path = tmp_path / "odd.csv"
    pd.DataFrame({"k01": ["对", "也许", "5"]}).to_csv(path, index=False)
    got = read(path, CAST)
    assert got["k01"].tolist() == [1, "也许", "5"]


def test_detect_platform_from_headers():
    assert detect_platform(["序号", "提交答卷时间", "1、性别"]) == "wjx"
    assert detect_platform(["start", "g/q1", "_id", "_uuid", "_index"]) == "kobo"
    assert detect_platform(["SubmissionDate", "g1-q1", "KEY"]) == "odk"
    assert detect_platform(["k01", "k02"], "spss") == "spss"
    assert detect_platform(["k01", "k02"], "csv") == "generic"


def test_semicolon_tsv_and_parquet(plain, reference, tmp_path):
    semicolon = tmp_path / "semi.csv"
    plain.to_csv(semicolon, sep=";", index=False)
    assert_same_scores(read(semicolon, CAST), reference)
    tsv = tmp_path / "tab.tsv"
    plain.to_csv(tsv, sep="\t", index=False)
    assert_same_scores(read(tsv, CAST), reference)
    parquet = tmp_path / "plain.parquet"
    plain.to_parquet(parquet, index=False)
    assert_same_scores(read(parquet, CAST), reference)
