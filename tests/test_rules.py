"""The verdict rules read a claim's words: a floor is one-sided, a value is an equivalence test,
"about X" is an equivalence around X, "A beats B" a difference, paired by seed where the design
pairs. They tell "not reproduced" (the evidence says no) from "inconclusive" (it cannot
decide), and extra variance in our runs never makes a claim "reproduced"."""
import inspect

import numpy as np
import pytest

from mnist_utils import claims, rules, stats

NAN = float("nan")
CNN_MARGIN = stats.accuracy_margin([0.9903, 0.9932, 0.9931, 0.9933, 0.9938])   # 0.28 pp
PAPER_CNN = 0.99274


# ------------------------------------------------------------------ floors
def test_reach_98_percent_is_a_floor_that_a_higher_mean_reaches():
    # The book's chapter 3 measured 0.9861 ± 0.0013 against Wang's "will be able to reach 98%".
    judged = rules.at_least([0.9848, 0.9862, 0.9873], 0.98, margin=0.0028)
    assert judged.verdict == "reproduced" and "lower bound" in judged.why
    # Two-sided equivalence would call the same numbers not reproduced: that was the old misreading.
    assert rules.equivalent_to([0.9848, 0.9862, 0.9873], 0.98, margin=0.0028).verdict == "not reproduced"


def test_a_floor_far_above_the_runs_is_not_reached_but_a_short_budget_cannot_refute_it():
    below = [0.970, 0.971, 0.969]
    assert rules.at_least(below, 0.98, margin=0.0028).verdict == "not reproduced"
    assert rules.at_least(below, 0.98, margin=0.0028, short_of="convergence").verdict == "inconclusive"
    assert rules.at_least([0.975, 0.985, 0.980], 0.98, margin=0.0028).verdict == "inconclusive"   # bound straddles
    assert rules.at_least([0.99], 0.98, margin=0.0028).verdict == "inconclusive"                  # one run, no bound


def test_the_best_of_five_reaches_the_papers_best_within_the_margin():
    assert rules.best_reaches([0.985, 0.9915], 0.9938, margin=CNN_MARGIN, paper_runs=5).verdict == "reproduced"
    assert rules.best_reaches([0.984, 0.985], 0.9938, margin=CNN_MARGIN, paper_runs=5).verdict == "inconclusive"
    five = [0.984, 0.985, 0.983, 0.984, 0.9877]
    assert rules.best_reaches(five, 0.9938, margin=CNN_MARGIN, paper_runs=5).verdict == "not reproduced"
    assert rules.best_reaches(five, 0.9938, margin=CNN_MARGIN, paper_runs=5,
                              short_of="the paper's budget").verdict == "inconclusive"


# ------------------------------------------------------------------ equivalence
def test_an_accuracy_within_the_margin_by_tost_is_reproduced():
    judged = rules.equivalent_to([0.9925, 0.9930, 0.9928, 0.9922, 0.9931], PAPER_CNN, margin=CNN_MARGIN)
    assert judged.verdict == "reproduced" and "TOST" in judged.why and judged.margin == "±0.28 pp"


def test_extra_variance_never_makes_an_accuracy_reproduced():
    # Four tight seeds clearly below the paper, then one low seed that widens the interval until it
    # holds the paper's value (as chapter 6's GPU runs did): containment called that "reproduced".
    tight = [0.9895, 0.9885, 0.9890, 0.9893]
    assert rules.equivalent_to(tight, PAPER_CNN, margin=CNN_MARGIN).verdict == "not reproduced"
    inflated = [*tight, 0.9990, 0.9800]
    assert stats.mean_ci(inflated)["ci_low"] < PAPER_CNN < stats.mean_ci(inflated)["ci_high"]
    assert rules.equivalent_to(inflated, PAPER_CNN, margin=CNN_MARGIN).verdict == "inconclusive"
    # More spread around a mean inside the margin can only lose "reproduced", never gain it.
    close = [0.9915, 0.9905, 0.9900, 0.9910]
    assert rules.equivalent_to(close, PAPER_CNN, margin=CNN_MARGIN).verdict == "reproduced"
    assert rules.equivalent_to([0.9930, 0.9890, 0.9875, 0.9945], PAPER_CNN, margin=CNN_MARGIN).verdict == "inconclusive"
    # However wide the spread around the paper's own value, containment no longer counts.
    wide = [PAPER_CNN - 0.01, PAPER_CNN + 0.01, PAPER_CNN - 0.005, PAPER_CNN + 0.005]
    assert rules.equivalent_to(wide, PAPER_CNN, margin=CNN_MARGIN).verdict == "inconclusive"


def test_an_accuracy_far_from_the_paper_is_refuted_only_at_the_budget_and_only_below_it():
    far_below = [0.985, 0.986, 0.984, 0.987, 0.9877]
    assert rules.equivalent_to(far_below, PAPER_CNN, margin=CNN_MARGIN).verdict == "not reproduced"
    assert rules.equivalent_to(far_below, PAPER_CNN, margin=CNN_MARGIN,
                               short_of="the paper's 20,000 iterations").verdict == "inconclusive"
    # Above the paper, more training cannot move it toward the paper: a finding at any budget.
    assert rules.equivalent_to([0.999, 0.998, 0.9985], PAPER_CNN, margin=CNN_MARGIN,
                               short_of="convergence").verdict == "not reproduced"


def test_an_error_change_judges_each_end_at_its_own_budget():
    sigmoid = [0.9848, 0.9862, 0.9873]          # error 1.39%: better than the paper's 2%
    improved = [0.9030, 0.9040, 0.9035]         # far below the paper's 99.3%
    arms = dict(before=sigmoid, paper_before=0.98, after=improved, paper_after=0.993,
                margin_before=0.0028, margin_after=0.0017)
    assert rules.both_match(**arms).verdict == "not reproduced"
    # A Sigmoid run at the epoch cap cannot move the "before" end toward 2%: it stays refuted.
    short_before = rules.both_match(**arms, short_of_before="convergence")
    assert short_before.verdict == "not reproduced"
    # A short "after" arm below the paper could still rise: that end becomes inconclusive.
    short_after = rules.both_match(**arms, short_of_after="convergence")
    assert short_after.verdict == "not reproduced" and "after: inconclusive" in short_after.why
    judged = rules.evaluate("x", "both_match", "convergence", converged={"before": False, "after": True}, **arms)
    assert judged.verdict == "not reproduced" and "before: not reproduced" in judged.why


# ------------------------------------------------------------------ differences
@pytest.mark.parametrize("a, b, expected", [
    ([0.99, 0.991, 0.992], [0.98, 0.9812, 0.9815], "reproduced"),
    ([0.98, 0.9812, 0.9815], [0.99, 0.991, 0.992], "not reproduced"),             # reversed
    ([0.9900, 0.9901, 0.9902], [0.9901, 0.9900, 0.9902], "not reproduced"),       # no difference worth it
    ([0.97, 0.99, 0.98], [0.98, 0.97, 0.99], "inconclusive"),                     # wide interval
    ([0.99], [0.98], "inconclusive"),                                             # no spread
])
def test_a_beats_b(a, b, expected):
    assert rules.beats(a, b, margin=0.002, paired=True).verdict == expected


def test_paired_seeds_decide_what_an_unpaired_test_cannot():
    # Each seed moves both arms alike (same initial weights, same data order): A is better on every seed.
    seed_effect = np.array([0.000, 0.006, -0.004, 0.003])
    a, b = 0.990 + seed_effect + 0.0015, 0.990 + seed_effect
    a = a + np.array([0.0002, -0.0001, 0.0001, -0.0002])
    assert rules.beats(a, b, paired=True).verdict == "reproduced"
    assert rules.beats(a, b, paired=False).verdict == "inconclusive"


def test_an_underpowered_comparison_says_so():
    elu = [0.9880, 0.9850]
    relu = [0.9870, 0.9870]
    judged = rules.beats(elu, relu, margin=0.0, effect=0.002, paired=True)
    assert judged.verdict == "inconclusive" and judged.why.startswith("underpowered (n = 2, resolvable ≥ ")
    # Enough seeds with little spread resolve 0.2 pp: no longer underpowered.
    judged = rules.beats([0.9880, 0.9879, 0.9881, 0.9878, 0.9882], [0.9879, 0.9880, 0.9879, 0.9880, 0.9880],
                         margin=0.0, effect=0.002, paired=True)
    assert not judged.why.startswith("underpowered")


def test_margins_are_in_the_unit_of_their_quantity():
    loss = rules.beats([0.051, 0.052, 0.050], [0.050, 0.0515, 0.0505], margin=0.005, unit="loss")
    assert loss.verdict == "not reproduced" and "±0.0050" in loss.margin
    speed = rules.beats([520, 515, 530], [500, 490, 505], margin=0.05, relative=True)
    assert speed.verdict == "reproduced" and speed.margin == "±5.0%"   # log(1.05), written back as 5%


# ------------------------------------------------------------------ ratios and thresholds
@pytest.mark.parametrize("ratios, censored, expected", [
    ([5.5, 6.5, 6.0, 6.1, 5.9], False, "reproduced"),
    ([2.0, 2.2, 2.1], False, "partially reproduced"),        # faster, not about 6x
    ([0.5, 0.6, 0.55], False, "not reproduced"),             # slower
    ([2.0, 2.2, 2.1], True, "inconclusive"),                 # lower bounds below the band
    ([9.0, 9.5, 9.2], True, "partially reproduced"),         # even the lower bounds exceed "about 6"
    ([0.5, 1.5, 1.0], False, "not reproduced"),              # wholly below the band, holds 1
    ([3.0], False, "inconclusive"),
    ([0.5, 11.5, 6.0], False, "inconclusive"),               # holds 6x and 1x
])
def test_a_ratio_about_the_claimed_one(ratios, censored, expected):
    assert rules.ratio_about(ratios, 6, relative_margin=0.2, censored=censored).verdict == expected


@pytest.mark.parametrize("a, b, expected", [
    ([100, 120, 110], [400, 380, 420], "reproduced"),
    ([NAN] * 3, [NAN] * 3, "inconclusive"),                  # both arms censored
    ([3500, 3500], [NAN, NAN], "reproduced"),                # every A before any B could have
    ([NAN] * 3, [100, 120, 110], "not reproduced"),
    ([100, NAN, 110], [400, 380, NAN], "inconclusive"),      # rests on censored runs
    ([100, 4800, 110], [400, NAN, 420], "inconclusive"),     # an A after a B: censoring cannot decide
])
def test_fewer_steps_to_a_threshold(a, b, expected):
    judged = rules.fewer_steps(a, b, cap=5000)
    assert judged.verdict == expected
    assert "to +" not in judged.why or "+1,500 to +1,500" not in judged.why


def test_two_censored_arms_never_print_an_interval_of_zero_width():
    judged = rules.fewer_steps([3500.0, 3500.0], [NAN, NAN], cap=5000)
    assert "decided by the censoring" in judged.why and "CI" not in judged.why
    judged = rules.fewer_steps([1500.0, 1500.0], [3000.0, 3000.0], cap=5000)   # no spread, nothing censored
    assert judged.verdict == "inconclusive" and "without an interval" in judged.why


def test_a_diverged_run_at_the_largest_rate_did_not_converge():
    osc = {"relu": ([0.02, 0.03], [0.001, 0.002], [True, False]),
           "elu": ([0.004, 0.006, 0.005], [0.001, 0.0012, 0.0009], [False, False, False])}
    judged = rules.unstable_each(osc, margin=0.001)
    assert judged.verdict == "reproduced" and "diverged" in judged.why


# ------------------------------------------------------------------ combining and declaring
def test_compound_claims_combine_their_parts():
    yes, no = rules.Judgement("reproduced", ""), rules.Judgement("not reproduced", "")
    maybe = rules.Judgement("inconclusive", "")
    assert rules.all_of({"x": yes, "y": yes}).verdict == "reproduced"
    assert rules.all_of({"x": yes, "y": no}).verdict == "partially reproduced"
    assert rules.all_of({"x": no, "y": maybe}).verdict == "not reproduced"      # one refuted part refutes
    assert rules.all_of({"x": yes, "y": maybe}).verdict == "inconclusive"
    assert rules.all_of({"x": maybe, "y": maybe}).verdict == "inconclusive"
    assert rules.equals((28, 28), [28, 28]).verdict == "reproduced"
    assert rules.equals([9681], 9681).verdict == "reproduced" and rules.equals(9405, 9681).verdict != "reproduced"


def test_the_vocabulary_is_closed():
    with pytest.raises(ValueError, match="verdict='maybe'"):
        rules.Judgement("maybe", "")
    assert rules.fact(True, "four files").verdict == "reproduced"
    assert rules.not_testable("table lost").verdict == "not testable"


def test_short_runs_make_a_negative_verdict_inconclusive():
    a, b = [0.97, 0.971, 0.972], [0.98, 0.9812, 0.9815]
    assert rules.evaluate("x", "beats", "convergence", a=a, b=b, converged=True).verdict == "not reproduced"
    judged = rules.evaluate("x", "beats", "convergence", a=a, b=b, converged=False)
    assert judged.verdict == "inconclusive" and "convergence" in judged.why
    assert rules.evaluate("x", "beats", {"iterations": 100}, a=b, b=a, iterations=10).verdict == "reproduced"
    # Without a stuck run, runs short of convergence cannot refute a local minimum.
    assert rules.evaluate("x", "observed", "convergence", count=0, total=16, what="stuck",
                          converged=False).verdict == "inconclusive"
    with pytest.raises(ValueError, match="rule='guess'"):
        rules.evaluate("x", "guess", None)
    with pytest.raises(ValueError, match="budget='long'"):
        rules.evaluate("x", "beats", "long", a=a, b=b)


def test_every_result_claim_declares_a_known_rule_with_arguments_it_accepts():
    declared = [c for c in claims.load()["claims"] if "rule" in c]
    assert len(declared) >= 30
    for entry in declared:
        assert entry["rule"] in rules.RULES, entry["id"]
        rules.Budget.parse(entry.get("budget"), entry["id"])   # raises on a malformed budget
        accepted = inspect.signature(rules.RULES[entry["rule"]]).parameters
        for name in entry.get("rule_args", {}):
            assert name in accepted or name == "margin_from" or "rule_args" in accepted, (entry["id"], name)
    by_id = {c["id"]: c for c in declared}
    assert by_id["liu_fu.cnn.accuracy"]["budget"] == {"iterations": 20000}
    assert by_id["wang2020.lenet5.baseline_accuracy"]["rule"] == "at_least"      # "reach 98%": a floor
    assert by_id["liu_fu.cnn.best_accuracy"]["rule"] == "best_reaches"           # "reaches 99.38%": a floor too


def test_tuning_improves_needs_both_faster_and_more_accurate():
    tuned_steps, base_steps = [100.0, 120.0, 110.0], [300.0, 340.0, 305.0]
    better, worse = [0.990, 0.991, 0.993], [0.980, 0.982, 0.981]
    both = rules.tuning_improves({"relu": (tuned_steps, base_steps)}, {"relu": (better, worse)}, cap=1000, margin=0.001)
    assert both.verdict == "reproduced"
    # Faster but less accurate: one half refuted, the other holds.
    half = rules.tuning_improves({"relu": (tuned_steps, base_steps)}, {"relu": (worse, better)}, cap=1000, margin=0.001)
    assert half.verdict == "partially reproduced" and "more accurate: not reproduced" in half.why
    nothing = rules.tuning_improves({}, {}, cap=1000, margin=0.001)
    assert nothing.verdict == "inconclusive" and "nothing was modified" in nothing.why


def test_steadier_and_better_needs_less_spread_and_more_accuracy():
    rng = np.random.default_rng(5)
    b = rng.normal(0.980, 0.004, 10)
    a = 0.990 + 0.2 * (b - b.mean()) + rng.normal(0, 0.0003, 10)
    both = rules.steadier_and_better(a, b, a, b, margin=0.001)
    assert both.verdict == "reproduced" and "varies less" in both.why
    assert rules.steadier_and_better(b, a, b, a, margin=0.001).verdict == "not reproduced"
    assert rules.steadier_and_better(a[:2], b[:2], a, b).verdict == "inconclusive"
