"""The statistics behind the verdicts, checked against SciPy and statsmodels (well-kept
implementations of the same tests), and the properties the book relies on: paired where the
design pairs, no interval of zero width, margins that never depend on our runs."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from statsmodels.stats.power import TTestIndPower, TTestPower
from statsmodels.stats.weightstats import DescrStatsW, ttost_paired

from mnist_utils.judging import stats

TABLE_2 = [0.9903, 0.9932, 0.9931, 0.9933, 0.9938]   # Liu & Fu's CNN, five trainings


def test_mean_ci_matches_student_t():
    s = stats.mean_ci([0.9182, 0.9213, 0.9195, 0.9216, 0.9196])
    assert s["mean"] == pytest.approx(0.92004)
    assert s["ci_half"] == pytest.approx(2.776445 * np.std([0.9182, 0.9213, 0.9195, 0.9216, 0.9196], ddof=1) / np.sqrt(5))


def test_values_that_do_not_vary_have_no_interval_not_a_zero_width_one():
    assert np.isnan(stats.mean_ci([0.99, 0.99, 0.99])["ci_half"])
    assert np.isnan(stats.difference([1500.0, 1500.0], [0.0, 0.0], paired=True)["ci_low"])
    assert np.isnan(stats.difference([5000.0, 5000.0], [3500.0, 3500.0], paired=False)["ci_low"])


def test_the_accuracy_margin_comes_from_the_paper_and_the_test_set():
    # Table 2's five runs: their SD (0.139 pp) is larger than the binomial SE at 99.27% (0.085 pp).
    assert stats.accuracy_margin(TABLE_2) == pytest.approx(2 * np.std(TABLE_2, ddof=1))
    # One printed value: the binomial standard error on 10,000 test digits.
    assert stats.accuracy_margin([0.98]) == pytest.approx(2 * np.sqrt(0.98 * 0.02 / 10_000))
    assert stats.accuracy_margin([0.98]) == pytest.approx(0.0028)
    with pytest.raises(ValueError, match="not a fraction"):
        stats.accuracy_margin([98])


def test_paired_and_welch_intervals_are_scipys():
    a, b = np.array([0.990, 0.985, 0.993, 0.988]), np.array([0.987, 0.983, 0.990, 0.986])
    paired, welch = stats.difference(a, b, paired=True), stats.difference(a, b, paired=False)
    expected_paired = st.ttest_rel(a, b).confidence_interval(0.95)
    expected_welch = st.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (paired["ci_low"], paired["ci_high"]) == pytest.approx((expected_paired.low, expected_paired.high))
    assert (welch["ci_low"], welch["ci_high"]) == pytest.approx((expected_welch.low, expected_welch.high))
    # The seeds shift both arms alike: pairing removes that spread, Welch keeps it.
    assert paired["ci_low"] > 0 > welch["ci_low"]


def test_a_paired_difference_needs_one_value_per_seed_on_each_side():
    with pytest.raises(ValueError, match="one value per seed"):
        stats.difference([0.9, 0.91, 0.92], [0.9, 0.91], paired=True)


def test_the_equivalence_test_is_statsmodels_tost():
    sample = np.array([0.9921, 0.9930, 0.9925, 0.9919, 0.9928])
    ours = stats.equivalence(sample, 0.9927, 0.0028)
    p, _, _ = DescrStatsW(sample).ttost_mean(0.9927 - 0.0028, 0.9927 + 0.0028)
    assert ours["p_value"] == pytest.approx(p)
    # The same test on paired data is statsmodels' paired TOST on the differences.
    a, b = sample, sample - np.array([0.0010, 0.0012, 0.0008, 0.0011, 0.0009])
    p_paired, _, _ = ttost_paired(a, b, -0.002, 0.002)
    assert stats.equivalence(a - b, 0.0, 0.002)["p_value"] == pytest.approx(p_paired)


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_the_resolvable_effect_is_statsmodels_power_solution(n):
    assert stats.resolvable_effect(1.0, n, paired=True) == pytest.approx(
        TTestPower().solve_power(nobs=n, alpha=0.05, power=0.8), rel=1e-5)
    assert stats.resolvable_effect(2.0, n, paired=False) == pytest.approx(
        2.0 * TTestIndPower().solve_power(nobs1=n, alpha=0.05, power=0.8), rel=1e-5)
    assert np.isnan(stats.resolvable_effect(0.0, n))


def test_steps_to_reach_marks_runs_that_never_get_there_and_their_budget():
    results = pd.DataFrame({"run_id": ["a"] * 3 + ["b"] * 3, "config": ["x"] * 3 + ["y"] * 3, "seed": [0] * 6,
                            "step": [1, 2, 3] * 2, "epoch": [0.5, 1.0, 1.5] * 2,
                            "val_accuracy": [0.5, 0.97, 0.99, 0.5, 0.6, 0.7]})
    reach = stats.steps_to_reach(results, 0.97).set_index("run_id")
    assert reach.loc["a", "steps"] == 2 and np.isnan(reach.loc["b", "steps"]) and reach.loc["b", "budget_steps"] == 3


def test_a_difference_is_formatted_with_its_interval_or_says_it_has_none():
    assert stats.fmt_difference({"diff": 0.0045, "ci_low": 0.003, "ci_high": 0.006, "paired": True}, scale=100,
                                unit=" pp") == "+0.45 pp (paired 95% CI +0.30 to +0.60)"
    assert "no interval" in stats.fmt_difference(stats.difference([0.9], [0.8], paired=False))
    assert "no interval" in stats.fmt_ci(stats.mean_ci([0.9, 0.9]))


def test_spread_ratio_is_the_pitman_morgan_test_of_paired_variances():
    rng = np.random.default_rng(3)
    b = rng.normal(0.98, 0.004, 12)
    a = 0.99 + 0.2 * (b - b.mean()) + rng.normal(0, 0.0005, 12)   # same seeds, a fifth of the spread
    got = stats.spread_ratio(a, b)
    r, p_two = st.pearsonr(a - b, a + b)
    assert got["r"] == pytest.approx(r) and got["p_less"] == pytest.approx(p_two / 2, rel=1e-6)
    assert got["sd_ratio"] == pytest.approx(np.std(a, ddof=1) / np.std(b, ddof=1)) and got["p_less"] < 0.05
    assert stats.spread_ratio(b, a)["p_more"] == pytest.approx(got["p_less"])
    assert np.isnan(stats.spread_ratio(a[:2], b[:2])["p_less"])
    with pytest.raises(ValueError, match="paired samples"):
        stats.spread_ratio(a, b[:5])


def test_fmt_mean_half_gives_the_half_width_or_the_mean_alone():
    assert stats.fmt_mean_half(0.92134, 0.00119) == "0.9213 ± 0.0012"
    assert stats.fmt_mean_half(0.92134, float("nan"), digits=2) == "0.92"
