"""The instruments are found from an installed wheel and from a clone."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO, SHIPPED


@pytest.mark.slow
def test_the_wheel_ships_every_instrument(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("literacy-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"literacy/questionnaires/{name}.yaml" for name in SHIPPED} <= names
    assert "literacy/scoring.py" in names
    assert "literacy/questionnaires/blocks/respondent.yaml" in names
    assert {"literacy/report/html.py", "literacy/reference/national-series.yaml",
            "literacy/reference/plans/wuhai-2021-2025.yaml"} <= names  # fmt: skip
    assert {"literacy/sample_data/responses-spss.sav", "literacy/sample_data/margins.csv"} <= names
    # Every module of the source tree is in the wheel (a package missing from setup.cfg is not).
    modules = {f"literacy/{p.relative_to(REPO / 'src' / 'literacy').as_posix()}"
               for p in (REPO / "src" / "literacy").rglob("*.py")}  # fmt: skip
    assert modules - names == set()


def test_a_clone_finds_the_instruments_without_installing():
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    code = "import literacy.instrument as i; print(i.shipped_dir()); print(','.join(i.shipped_ids()))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    folder, ids = result.stdout.splitlines()
    assert folder == str(REPO / "questionnaires")
    assert ids.split(",") == SHIPPED
