"""Start-up stays light (issue 15): `literacy --help` and `--version` import
no step module, pandas, scipy or matplotlib; the API's names still resolve to
the functions, even where a submodule has the same name. Timings live in
benchmarks/, not here."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "openpyxl", "pyreadstat", "pyarrow", "docx", "statsmodels")


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["validate", "--help"], ["run", "--help"]])
def test_the_command_line_starts_without_the_heavy_modules(argv):
    code = (
        "import sys\n"
        "from literacy.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print('imported:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "imported:", result.stdout[-300:]


def test_import_literacy_is_light_and_every_public_name_resolves():
    code = (
        "import sys, literacy\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(all(getattr(literacy, n) is not None for n in literacy.__all__))"
    )
    heavy, resolved = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert heavy == "" and resolved == "True"


def test_submodules_named_like_functions_do_not_replace_them():
    import literacy
    import literacy.report.html
    import literacy.validate
    from literacy.report import report as report_function
    from literacy.validate import validate as validate_function

    assert literacy.validate is validate_function and literacy.report is report_function
    assert "validate" in dir(literacy) and literacy.ValidationResult is literacy.Validation
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        literacy.nonexistent  # noqa: B018
