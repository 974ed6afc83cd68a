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
    assert rules.accuracy_matches([0.970, 0.971, 0.969], 0.992, short_of="the paper's budget").verdict == "inconclusive"
    assert rules.accuracy_matches([0.970, 0.971, 0.969], 0.992, short_of="convergence").verdict == "inconclusive"
    # Above the paper after a short budget is a finding all the same.
    assert rules.accuracy_matches([0.999, 0.999], 0.992, short_of="the paper's budget").verdict == "not reproduced"


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
    ([0.5, 11.5, 6.0], False, "inconclusive"),                                   # holds 6x and 1x
])
def test_a_ratio_about_the_claimed_one(ratios, censored, expected):
    assert rules.ratio_about(ratios, 6, censored=censored).verdict == expected


def test_the_vocabulary_is_closed():
    with pytest.raises(ValueError, match="verdict='maybe'"):
        rules.Judgement("maybe", "")
    assert rules.fact(True, "four files").verdict == "reproduced"
    assert rules.not_testable("table lost").verdict == "not testable"


def test_every_result_claim_declares_a_known_rule_and_budget():
    from mnist_utils import claims
    declared = [c for c in claims.load()["claims"] if "rule" in c]
    assert len(declared) >= 30
    for entry in declared:
        assert entry["rule"] in rules.RULES, entry["id"]
        rules.Budget.parse(entry.get("budget"), entry["id"])   # raises on a malformed budget
    headline = {c["id"]: c.get("budget") for c in declared}
    assert headline["liu_fu.cnn.accuracy"] == {"iterations": 20000}
    assert headline["wang2020.lenet5.baseline_accuracy"] == "convergence"


def test_short_runs_make_a_negative_verdict_inconclusive():
    a, b = [0.97, 0.971, 0.972], [0.98, 0.981, 0.982]
    assert rules.evaluate("x", "beats", "convergence", a=a, b=b, converged=True).verdict == "not reproduced"
    judged = rules.evaluate("x", "beats", "convergence", a=a, b=b, converged=False)
    assert judged.verdict == "inconclusive" and "convergence" in judged.why
    assert rules.evaluate("x", "beats", {"iterations": 100}, a=b, b=a, iterations=10).verdict == "reproduced"
    with pytest.raises(ValueError, match="rule='guess'"):
        rules.evaluate("x", "guess", None)
    with pytest.raises(ValueError, match="budget='long'"):
        rules.evaluate("x", "beats", "long", a=a, b=b)


@pytest.mark.parametrize("a, b, expected", [
    ([100, 120, 110], [400, 380, 420], "reproduced"),
    ([float("nan")] * 3, [float("nan")] * 3, "inconclusive"),        # neither reached the threshold
    ([100, 120, 110], [float("nan")] * 3, "reproduced"),             # only A reached it
    ([float("nan")] * 3, [100, 120, 110], "not reproduced"),
])
def test_fewer_steps_to_a_threshold(a, b, expected):
    assert rules.fewer_steps(a, b, cap=500).verdict == expected


def test_compound_claims_combine_their_parts():
    yes, no = rules.Judgement("reproduced", ""), rules.Judgement("not reproduced", "")
    maybe = rules.Judgement("inconclusive", "")
    assert rules.all_of({"x": yes, "y": yes}).verdict == "reproduced"
    assert rules.all_of({"x": yes, "y": no}).verdict == "partially reproduced"
    assert rules.all_of({"x": no, "y": maybe}).verdict == "not reproduced"
    assert rules.all_of({"x": maybe, "y": maybe}).verdict == "inconclusive"
    assert rules.equals((28, 28), [28, 28]).verdict == "reproduced"
    assert rules.equals([9681], 9681).verdict == "reproduced" and rules.equals(9405, 9681).verdict != "reproduced"


def test_one_run_can_confirm_an_accuracy_but_not_refute_it():
    assert rules.accuracy_matches([0.9926], 0.9927).verdict == "reproduced"
    judged = rules.accuracy_matches([0.9847], 0.9927)
    assert judged.verdict == "inconclusive" and "one run" in judged.why


def test_a_best_run_below_the_papers_best_of_five_is_inconclusive_with_fewer_runs():
    assert rules.best_reaches([0.9847], 0.9938, paper_runs=5).verdict == "inconclusive"
    assert rules.best_reaches([0.984, 0.985, 0.983, 0.984, 0.9847], 0.9938, paper_runs=5).verdict == "not reproduced"
    assert rules.best_reaches([0.9935], 0.9938, paper_runs=5).verdict == "reproduced"
