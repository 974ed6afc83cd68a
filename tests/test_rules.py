"""The verdict rules tell "not reproduced" (the evidence says no) from "inconclusive"
(the evidence cannot decide)."""
import pytest

from mnist_utils import rules


def test_an_accuracy_inside_the_interval_or_tolerance_is_reproduced():
    assert rules.accuracy_matches([0.9910, 0.9920, 0.9915], 0.9915).verdict == "reproduced"
    assert rules.accuracy_matches([0.9200, 0.9201], 0.9207).verdict == "reproduced"  # within 0.8 pp


def test_an_accuracy_far_below_after_the_full_budget_is_not_reproduced():
    judged = rules.accuracy_matches([0.970, 0.971, 0.969], 0.992)
    assert judged.verdict == "not reproduced" and "pp from the paper's" in judged.why


def test_an_accuracy_below_after_a_short_budget_is_inconclusive_not_refuted():
    assert rules.accuracy_matches([0.970, 0.971, 0.969], 0.992, at_paper_budget=False).verdict == "inconclusive"
    assert rules.accuracy_matches([0.970, 0.971, 0.969], 0.992, converged=False).verdict == "inconclusive"
    # Above the paper after a short budget is a finding all the same.
    assert rules.accuracy_matches([0.999, 0.999], 0.992, at_paper_budget=False).verdict == "not reproduced"


def test_within_twice_the_tolerance_is_partially_reproduced():
    # 98% paper accuracy: tolerance 0.2 pp; 0.3 pp away -> partially.
    assert rules.accuracy_matches([0.9770, 0.9770], 0.9800).verdict == "partially reproduced"


@pytest.mark.parametrize("a, b, expected", [
    ([0.99, 0.991, 0.992], [0.98, 0.981, 0.982], "reproduced"),
    ([0.98, 0.981, 0.982], [0.99, 0.991, 0.992], "not reproduced"),               # reversed
    ([0.9900, 0.9901, 0.9902], [0.9901, 0.9900, 0.9902], "not reproduced"),       # no difference
    ([0.97, 0.99, 0.98], [0.98, 0.97, 0.99], "inconclusive"),                     # wide interval
    ([0.99], [0.98], "inconclusive"),                                             # no spread
])
def test_a_beats_b(a, b, expected):
    assert rules.beats(a, b).verdict == expected


@pytest.mark.parametrize("ratios, censored, expected", [
    ([5.5, 6.5, 6.0], False, "reproduced"),
    ([2.0, 2.2, 2.1], False, "partially reproduced"),
    ([0.5, 0.6, 0.55], False, "not reproduced"),
    ([2.0, 2.2, 2.1], True, "inconclusive"),
    ([0.5, 1.5, 1.0], False, "inconclusive"),
    ([3.0], False, "inconclusive"),
])
def test_a_ratio_about_the_claimed_one(ratios, censored, expected):
    assert rules.ratio_about(ratios, 6, censored=censored).verdict == expected


def test_the_vocabulary_is_closed():
    with pytest.raises(ValueError, match="verdict='maybe'"):
        rules.Judgement("maybe", "")
    assert rules.fact(True, "four files").verdict == "reproduced"
    assert rules.not_testable("table lost").verdict == "not testable"
