"""`literacy run` and `literacy demo`: every step, its files, the manifest, the
report in a real browser, and a clean stop at the first failing step."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import REPO, run_config
from literacy.cli import main
from literacy.pipeline import demo, run, sample_data_dir
from literacy.report.tables import header as column_header
from literacy.report.xlsx import SHEETS

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "out"
    return demo(folder)


def test_demo_writes_every_step_and_a_manifest(demo_run):
    folder = demo_run.folder
    for name in ("clean.csv", "rejects.csv", "validation.json", "scored.csv", "weighted.csv", "weighting.json",
                 "estimates.csv", "grades.csv", "assessment.csv", "disparities.csv", "report.html", "report.xlsx",
                 "report.md", "report.json", "manifest.json", "demo.yaml", "small_area.csv",
                 "small_area.json"):  # fmt: skip
        assert (folder / name).is_file(), name
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["row_counts"]
    assert counts["input_rows"] == counts["clean_rows"] + counts["rejected_rows"]
    assert counts["scored_rows"] + counts["unscorable_rows"] == counts["clean_rows"]
    source = manifest["inputs"][0]
    assert source["path"].endswith("responses-spss.sav") and len(source["sha256"]) == 64
    assert manifest["versions"]["pandas"] == pd.__version__
    assert manifest["outputs"]["report.html"]["bytes"] > 10_000
    assessment = pd.read_csv(folder / "assessment.csv", encoding="utf-8-sig")
    assert assessment["jurisdiction"].tolist() == ["wuhai", "xuzhou", "shenzhen"]
    truth = pd.read_csv(sample_data_dir() / "truth.csv", encoding="utf-8-sig")
    truth = truth.query("group == 'all'").set_index("city")["rate"]
    for row in assessment.itertuples():  # the shipped sample's intervals (proportions) cover its truth
        assert row.ci_lower <= truth[row.jurisdiction] <= row.ci_upper
    districts = pd.read_csv(folder / "small_area.csv", encoding="utf-8-sig")  # the demo's district estimates
    assert len(districts) == 15 and districts.groupby("city").size().to_dict() == {"shenzhen": 5, "wuhai": 5,
                                                                                    "xuzhou": 5}  # fmt: skip
    assert "small_area.csv" in manifest["outputs"] and districts["eblup"].between(0, 1).all()


def test_report_renders_in_a_real_browser(demo_run):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no chromium on this machine (Debian package chromium; `make test` installs it when root)")
    ARTIFACTS.mkdir(exist_ok=True)
    page = (demo_run.folder / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page and "https://" not in page  # self-contained
    # The test's copy records script errors and each image's decoded size.
    probe = (
        "<script>window.__errors=[];window.addEventListener('error',e=>window.__errors.push(String(e.message)));"
        "const ce=console.error;console.error=(...a)=>{window.__errors.push(a.join(' '));ce(...a)};"
        "window.addEventListener('load',()=>{"
        "const imgs=[...document.images].map(i=>i.naturalWidth+'x'+i.naturalHeight);"
        "document.body.setAttribute('data-probe',JSON.stringify({errors:window.__errors,images:imgs}));});</script>"
    )
    probed = demo_run.folder / "probe.html"
    probed.write_text(page.replace("<head>", "<head>" + probe, 1), encoding="utf-8")
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000"]
    dom = subprocess.run([*command, "--dump-dom", probed.as_uri()], capture_output=True, text=True, timeout=120)
    match = re.search(r"data-probe=\"([^\"]*)\"", dom.stdout)
    assert match, dom.stderr[-2000:]
    result = json.loads(match.group(1).replace("&quot;", '"'))
    assert result["errors"] == []
    assert len(result["images"]) == 5  # targets, trajectory, grades, group gaps, districts
    for size in result["images"]:
        width, height = map(int, size.split("x"))
        assert width > 300 and height > 150
    screenshot = ARTIFACTS / "report.png"
    subprocess.run([*command, f"--screenshot={screenshot}", "--window-size=1280,2400", (demo_run.folder /
                    "report.html").as_uri()], capture_output=True, timeout=120, check=True)  # fmt: skip
    shot = np.asarray(Image.open(screenshot).convert("L"))
    assert shot.shape == (2400, 1280) and shot.std() > 10  # something was drawn


def test_charts_are_not_blank(demo_run):
    page = (demo_run.folder / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 5  # targets, trajectory, grades, group gaps, districts
    for encoded in images:
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))).convert("L"), dtype=float)
        assert pixels.std() > 5 and (pixels < 128).mean() > 0.005


def test_workbook_sheets_and_formats(demo_run):
    workbook = openpyxl.load_workbook(demo_run.folder / "report.xlsx")
    names = [name.zh for name in SHEETS.values()]
    assert workbook.sheetnames == [n for n in names if n not in ("量化目标", "与上次调查比较")]
    summary = workbook["目标差距"]
    assert summary.freeze_panes == "A2" and summary["A1"].font.bold
    estimates = workbook["分组估计"]
    header = [c.value for c in estimates[1]]
    column = header.index(column_header("estimate", "zh")) + 1
    assert estimates.cell(row=2, column=column).number_format == "0.0%"
    assert 0 < estimates.cell(row=2, column=column).value < 1


def test_markdown_and_json_reports(demo_run):
    markdown = (demo_run.folder / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("# 公民科学素质调查") and "| 乌海市 |" in markdown
    payload = json.loads((demo_run.folder / "report.json").read_text(encoding="utf-8"))
    assert {"assessment", "estimates", "grades", "disparities", "methods"} <= set(payload)
    assert payload["methods"]["sample"]["interviews_read"] == 2072




def test_run_command_from_a_config(tmp_path):
    result = CliRunner().invoke(main, ["run", str(run_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "interviews read" in result.stderr and "Wuhai:" in result.stderr
    assert (tmp_path / "out" / "report.md").is_file()
    again = CliRunner().invoke(main, ["run", str(run_config(tmp_path))])
    assert again.exit_code == 1 and "is not empty; pass --force" in again.stderr


def test_run_stops_at_the_first_failing_step(tmp_path):
    margins = pd.read_csv(sample_data_dir() / "margins.csv", encoding="utf-8-sig")
    broken = tmp_path / "margins.csv"
    margins[margins["category"] != "rural"].assign(target=lambda m: m["target"]).to_csv(broken, index=False)
    margins_without_rural = run_config(tmp_path, margins=str(broken))
    result = CliRunner().invoke(main, ["run", str(margins_without_rural)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Step `weight` failed:")
    # Nothing new but the marker naming the step (tests/test_run_safety.py has the rest).
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["RUN-FAILED.txt"]
    assert "step: weight" in (tmp_path / "out" / "RUN-FAILED.txt").read_text(encoding="utf-8")
    unknown = CliRunner().invoke(main, ["run", str(run_config(tmp_path, colour="red"))])
    assert unknown.exit_code == 1 and "colour is not a known key" in unknown.stderr


def test_demo_command_refuses_a_used_folder(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "not empty" in result.stderr
    assert (tmp_path / "x" / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_run_is_the_same_as_the_steps_by_hand(demo_run):
    """`run` calls the public steps; the weighted estimate equals doing them by hand."""
    import literacy

    scored = literacy.read(demo_run.folder / "weighted.csv")
    design = literacy.Design(scored, weight="weight_final", strata="district", psu="community")
    by_hand = literacy.estimate(design, "literate", "city").set_index("city")["estimate"]
    saved = pd.read_csv(demo_run.folder / "estimates.csv", encoding="utf-8-sig")
    others = [c for c in literacy.labels.domain_columns(saved) if c != "city"]
    assert saved["city_label"].notna().all()  # 乌海市 beside wuhai
    saved = saved[saved[others].isna().all(axis=1)].set_index("city")["estimate"]
    for city, value in by_hand.items():
        assert saved[city] == pytest.approx(value)


def test_gap_and_report_commands_on_the_demo_files(demo_run, tmp_path):
    runner = CliRunner()
    folder = demo_run.folder
    assessment = tmp_path / "assessment.csv"
    plans = ["--plan", "wuhai-2021-2025", "--plan", "shenzhen-2022-2025"]
    result = runner.invoke(main, ["gap", str(folder / "estimates.csv"), *plans, "--year", "2025", "--lang", "en",
                                  "-o", str(assessment)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wuhai: Cannot tell from this sample" in result.stderr
    table = pd.read_csv(assessment, encoding="utf-8-sig")
    saved = pd.read_csv(folder / "assessment.csv", encoding="utf-8-sig").set_index("jurisdiction")
    for row in table.itertuples():  # the same numbers as `run` gave
        assert row.gap == pytest.approx(saved.loc[row.jurisdiction, "gap"])
    page = tmp_path / "report.html"
    made = runner.invoke(main, ["report", str(assessment), "--estimates", str(folder / "estimates.csv"), "--grades",
                                str(folder / "grades.csv"), "--methods", str(folder / "report.json"),
                                "-o", str(page), "--lang", "en"])  # fmt: skip
    assert made.exit_code == 0, made.output
    html = page.read_text(encoding="utf-8")
    assert "Results by jurisdiction" in html and html.count("data:image/png;base64,") == 3
    missing = runner.invoke(main, ["gap", str(folder / "estimates.csv"), "--plan", "guizhou-2020", "--year", "2025"])
    assert missing.exit_code == 1 and "No estimate for guizhou" in missing.stderr


def test_run_with_replicate_weights(tmp_path):
    config = run_config(tmp_path, design={"strata": "district", "psu": "community", "replicates": "jkn",
                                       "seed": 3})  # fmt: skip
    result = run(config)
    estimates = pd.read_csv(result.folder / "estimates.csv", encoding="utf-8-sig")
    meta = json.loads((result.folder / "estimates.csv.meta.json").read_text(encoding="utf-8"))
    assert meta["estimate"]["variance"]["method"] == "replicates (jkn, each recalibrated)"
    assert estimates["se"].notna().all() and (estimates["se"] > 0).any()


def test_replicates_that_cannot_be_recalibrated_say_why(tmp_path):
    # The wjx sample has few rural communities in Shenzhen: a bootstrap
    # replicate that draws none of them cannot reach the rural target.
    config = run_config(tmp_path, design={"strata": "district", "psu": "community", "replicates": "bootstrap",
                                       "replicate_count": 50, "seed": 3})  # fmt: skip
    result = CliRunner().invoke(main, ["run", str(config)])
    assert result.exit_code == 1
    assert "Step `replicates` failed: Replicate" in result.stderr and "use jkn replicates" in result.stderr


def test_run_reads_actuals_without_a_plan_column(tmp_path):
    """The README's actuals layout (target, year, value): each row goes to
    the plan that has the target (a run crashed with KeyError: True)."""
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("target,year,value\nfarmers_trained,2024,150\n", encoding="utf-8")
    config = run_config(tmp_path, actuals=str(actuals))
    result = CliRunner().invoke(main, ["run", str(config)])
    assert result.exit_code == 0, result.output
    counted = pd.read_csv(tmp_path / "out" / "counted_targets.csv", encoding="utf-8-sig")
    assert "farmers_trained" in set(counted["target"])
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("target,year,value\nrockets,2024,1\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["run", str(run_config(tmp_path, actuals=str(unknown), output="out2"))])
    assert refused.exit_code == 1 and "No plan given has a counted target 'rockets'" in refused.stderr
