"""Sample sizes and allocation against worked examples."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from literacy import LiteracyError
from literacy.cli import main
from literacy.collect.samplesize import allocate, design_effect, power_sample_size, sample_size


def test_cochran_example_as_worked_by_israel_1992():
    """Israel, G. D. (1992), "Determining Sample Size", University of Florida
    IFAS fact sheet PEOD-6, equations 2 and 3: p = .5, 95% confidence,
    +-5% precision gives n0 = (1.96^2)(.5)(.5)/(.05^2) = 385; for a population
    of 2,000 the finite population correction gives 323 (Cochran 1977)."""
    infinite = sample_size(0.5, margin=0.05)
    assert infinite.n0 == pytest.approx(384.146, abs=1e-3)  # z = 1.95996, not 1.96
    assert infinite.completes == 385
    finite = sample_size(0.5, margin=0.05, population=2000)
    assert finite.completes == 323


def test_relative_margin_deff_and_response_rate():
    # A 12% rate to within 15% of itself (+-1.8 points), deff 2, 80% response:
    result = sample_size(0.12, relative_margin=0.15, deff=2.0, response_rate=0.8)
    n0 = 1.959964**2 * 0.12 * 0.88 / 0.018**2
    assert result.margin == pytest.approx(0.018)
    assert result.n0 == pytest.approx(n0, rel=1e-6)
    assert result.completes == 2505 and result.issued == 3132  # ceil(2 x 1252.03), ceil(2505 / 0.8)


def test_kish_design_effect():
    # Kish (1965) 5.4: deff = 1 + (m - 1) roh; weighting effect 1 + cv^2 (Kish 1992).
    assert design_effect(20, 0.05) == pytest.approx(1.95)
    assert design_effect(20, 0.05, 0.5) == pytest.approx(1.95 * 1.25)
    with pytest.raises(LiteracyError):
        design_effect(0.5, 0.1)


def test_power_for_a_target_matches_the_formula_and_exact_binomial_power():
    """One-sided test of p0 = 12% (a plan target) when the true rate is 15%,
    alpha .05, power .8 (Lemeshow et al. 1990, ch. 1):
    (1.6449 sqrt(.12 x .88) + 0.8416 sqrt(.15 x .85))^2 / .03^2 = 774.7 -> 775."""
    result = power_sample_size(0.12, 0.15, alpha=0.05, power=0.8)
    assert result.n0 == pytest.approx(774.7, abs=0.2)
    assert result.completes == 775
    # The exact binomial test at that n has close to the intended power.
    n = result.completes
    critical = stats.binom.ppf(0.95, n, 0.12) + 1
    power = stats.binom.sf(critical - 1, n, 0.15)
    assert 0.75 < power < 0.85
    with pytest.raises(LiteracyError, match="equals the target"):
        power_sample_size(0.12, 0.12)


UNITS = pd.DataFrame({"city": ["a", "b", "c"], "population": [1000, 2000, 7000], "rate": [0.1, 0.5, 0.2]})


def test_allocations_worked_by_hand():
    assert allocate(UNITS, 100, method="proportional")["n"].tolist() == [10, 20, 70]
    assert allocate(UNITS, 100, method="equal")["n"].tolist() == [34, 33, 33]
    # Neyman (Cochran 5.25): N_h S_h = 1000 x .3, 2000 x .5, 7000 x .4 = 300, 1000, 2800.
    assert allocate(UNITS, 410, method="neyman", rate="rate")["n"].tolist() == [30, 100, 280]
    # Power allocation (Bankier 1988) with q = .5: sqrt(N) = 31.6, 44.7, 83.7.
    power = allocate(UNITS, 160, method="power", power=0.5)
    assert power["n"].tolist() == [31, 45, 84]  # 31.62, 44.72, 83.66: largest remainders round up
    # A minimum per unit is met and the rest is shared proportionally.
    floor = allocate(UNITS, 100, method="proportional", minimum=15)
    assert floor["n"].tolist() == [15, 19, 66]  # 85 x 2/9 = 18.89, 85 x 7/9 = 66.11


def test_allocation_errors():
    with pytest.raises(LiteracyError, match="needs 60 interviews"):
        allocate(UNITS, 50, minimum=20)
    with pytest.raises(LiteracyError, match="expected rates"):
        allocate(UNITS, 100, method="neyman")


def test_samplesize_and_allocate_commands(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["samplesize", "--p", "0.5", "--margin", "0.05", "--population", "2000"])
    assert result.exit_code == 0, result.output
    assert "completes\t323" in result.stdout and "n0\t384.146" in result.stdout
    planned = runner.invoke(main, ["samplesize", "--plan", "wuhai-2021-2025", "--target", "0.12", "--icc", "0.05",
                                   "--cluster-size", "20"])  # fmt: skip
    assert planned.exit_code == 0, planned.output
    assert "p\t0.09" in planned.stdout and "deff\t1.95" in planned.stdout
    missing = runner.invoke(main, ["samplesize", "--p", "0.1"])
    assert missing.exit_code == 2
    units = tmp_path / "units.csv"
    UNITS.to_csv(units, index=False)
    allocated = runner.invoke(main, ["allocate", str(units), "--total", "100", "--format", "csv"])
    assert allocated.exit_code == 0, allocated.output
    assert pd.read_csv(pd.io.common.StringIO(allocated.stdout))["n"].tolist() == [10, 20, 70]
