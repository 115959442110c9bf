"""The README's Python examples run as written (on the shipped sample data)."""

from __future__ import annotations

import re

from conftest import REPO


def test_readme_pipeline_example_runs(tmp_path, monkeypatch):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    steps = [b for b in blocks if "literacy.read(" in b or "literacy.gap(" in b]
    assert len(steps) == 2
    code = "\n".join(steps).replace('"sample_data/', f'"{REPO / "sample_data"}/')
    code = "\n".join(line for line in code.splitlines() if "literacy.run(" not in line)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assessment = namespace["assessment"]
    assert assessment["jurisdiction"].tolist() == ["wuhai", "xuzhou"]
    assert (tmp_path / "report.html").stat().st_size > 10_000
