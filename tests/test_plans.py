"""The plan registry: every shipped plan loads, every number has a source."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from literacy import LiteracyError
from literacy.cli import main
from literacy.plans import list_plans, load_plan, national_reference, plan_ids, plans_dir

SEEDS = {
    "wuhai-2021-2025-implementation-plan.txt", "shenzhen-2022-2025-implementation-plan.txt",
    "xuzhou-2021-2035-action-plan.txt", "guizhou-2020-work-points.txt",
    "inner-mongolia-2024-science-popularization-plan.txt",
}  # fmt: skip


def test_every_plan_file_loads_and_cites_a_seed_or_an_address():
    plans = list_plans()
    assert {p.id for p in plans} == set(plan_ids())
    assert {p.seed for p in plans if p.seed} == SEEDS  # every seed document has its plan
    for plan in plans:
        numbers = [*plan.baselines, *plan.targets, *plan.counted_targets]
        for entry in numbers:
            assert entry.source.startswith(("seed ", "http")), (plan.id, entry)
            if entry.source.startswith("seed "):
                assert entry.source.split()[1].rstrip(",") in SEEDS


def test_seed_facts():
    wuhai = load_plan("wuhai-2021-2025")
    assert (wuhai.baselines[-1].value, wuhai.targets[0].value, wuhai.number) == (9.0, 12.0, "乌海政发〔2022〕22号")
    shenzhen = load_plan("shenzhen-2022-2025")
    assert shenzhen.targets[0].comparator == "more_than" and shenzhen.baselines[-1].value == 21.1
    xuzhou = load_plan("xuzhou-2021-2035")
    assert [b.value for b in xuzhou.baselines] == [4.4, 7.5, 11.7]
    assert xuzhou.targets[0].comparator == "strive_for" and xuzhou.targets[0].value == 15.5
    counted = {c.id: c for c in xuzhou.counted_targets}
    assert counted["farmers_trained"].value == 12000 and counted["farmers_trained"].basis == "per_year"
    assert counted["city_bases"].value == 30 and counted["provincial_bases"].value == 10
    assert counted["activity_coverage"].value == 80 and counted["science_counsellors_trained"].value == 300
    mongolia = {c.id: c for c in load_plan("inner-mongolia-2024").counted_targets}
    assert (
        mongolia["county_association_staff"].value == 10
        and mongolia["county_association_staff"].value_if_condition == 15
    )
    national = load_plan("national-2021-2035")
    assert [(t.year, t.value, t.comparator) for t in national.targets] == [(2025, 15.0, "more_than"),
                                                                             (2035, 25.0, "at_least")]  # fmt: skip
    assert load_plan("guizhou-2020").baselines == ()


def test_national_series_and_breakdowns():
    reference = national_reference()
    years = [r.year for r in reference.series]
    assert years[0] == 1996 and years[-1] == 2024 and years == sorted(years)
    # Every figure names its publication (outlet, title, date; a URL only on the publisher's domain).
    assert all(len(r.source) > 20 and r.year is not None for r in reference.series)
    mirrors = ("kmdx120", "gordon-maytravelgetaways", "fx361", "soolun", "dbsqp", "blog.sina", "hamasdt", "nsh-em")
    assert not any(host in r.source for r in reference.series for host in mirrors)
    assert reference.breakdowns["education"]["university"] == 43.99
    assert reference.breakdowns["age_band"]["60-69"] == 4.45


def test_a_broken_user_plan_lists_every_problem(tmp_path):
    path = tmp_path / "mine.yaml"
    raw = yaml.safe_load((plans_dir() / "wuhai-2021-2025.yaml").read_text(encoding="utf-8"))
    del raw["targets"][0]["source"]
    raw["jurisdiction"]["level"] = "village"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LiteracyError) as error:
        load_plan(path)
    assert "2 problem(s)" in str(error.value)
    with pytest.raises(LiteracyError, match="Unknown plan 'atlantis'"):
        load_plan("atlantis")


def test_plans_commands():
    runner = CliRunner()
    listed = runner.invoke(main, ["plans", "list", "--lang", "en"])
    assert listed.exit_code == 0
    assert "wuhai-2021-2025\tWuhai\tcity\tbaseline 2020 9%\ttargets 2025 at least 12%" in listed.stdout
    shown = runner.invoke(main, ["plans", "show", "xuzhou-2021-2035", "--lang", "zh"])
    assert shown.exit_code == 0
    assert "target 2025: 力争达到15.5%" in shown.stdout and "徐政发〔2022〕13号" in shown.stdout
    assert Path(plans_dir()).is_dir()
