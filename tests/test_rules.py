"""The verdict rules read a claim's words: a floor is one-sided, a value is an equivalence test,
"about X" is an equivalence around X, "A beats B" a difference, paired by seed where the design
pairs. They tell "not reproduced" (the evidence says no) from "inconclusive" (it cannot
decide), and extra variance in our runs never makes a claim "reproduced"."""
import inspect

import numpy as np
import pytest

from mnist_utils.core import claims
from mnist_utils.judging import rules, stats

NAN = float("nan")
CNN_MARGIN = stats.accuracy_margin([0.9903, 0.9932, 0.9931, 0.9933, 0.9938])   # 0.28 pp
PAPER_CNN = 0.99274


# ------------------------------------------------------------------ floors
def test_reach_98_percent_is_a_floor_that_a_higher_mean_reaches():
    # The book's chapter 3 measured 0.9861 ± 0.0013 against Wang's "will be able to reach 98%".
    judged = rules.at_least([0.9848, 0.9862, 0.9873], 0.98, margin=0.0028)
    assert judged.verdict == "reproduced" and "lower bound" in judged.why
    # Read as a value, the same numbers lie above 98% beyond the margin: exceeded, never refuted.
    assert rules.equivalent_to([0.9848, 0.9862, 0.9873], 0.98, margin=0.0028).verdict == "exceeded"


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
    assert judged.verdict == "reproduced" and "two one-sided tests" in judged.why and judged.margin == "±0.28 pp"
    assert "95% CI" in judged.why and "the rule decides on the 90% CI" in judged.why


def test_a_value_is_judged_against_the_papers_runs_when_it_prints_them():
    # Chapter 6's final five against Table 2's five: all above the paper's best, by less than the
    # paper's own spread can place within or beyond the margin.
    ours, table_2 = [0.9944, 0.9955, 0.9950, 0.9949, 0.9951], [0.9903, 0.9932, 0.9931, 0.9933, 0.9938]
    judged = rules.equivalent_to(ours, PAPER_CNN, margin=CNN_MARGIN, paper_runs=table_2)
    assert judged.verdict == "reproduced" and "Welch" in judged.why and "undecided" in judged.gist
    d90 = stats.difference(ours, table_2, paired=False, confidence=0.90)
    assert f"{d90['ci_low'] * 100:+.2f} pp" in judged.why
    far_above = [0.9990, 0.9992, 0.9991, 0.9989, 0.9993]
    assert rules.equivalent_to(far_above, PAPER_CNN, margin=CNN_MARGIN, paper_runs=table_2).verdict == "exceeded"


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
    # Above the paper beyond the margin: exceeded, a finding at any budget.
    assert rules.equivalent_to([0.999, 0.998, 0.9985], PAPER_CNN, margin=CNN_MARGIN,
                               short_of="convergence").verdict == "exceeded"


def test_an_error_change_judges_each_end_at_its_own_budget():
    sigmoid = [0.9848, 0.9862, 0.9873]          # error 1.39%: better than the paper's 2%
    improved = [0.9030, 0.9040, 0.9035]         # far below the paper's 99.3%
    arms = dict(before=sigmoid, paper_before=0.98, after=improved, paper_after=0.993,
                margin_before=0.0028, margin_after=0.0017)
    # The "before" end beats the paper's 2% beyond the margin (exceeded), the "after" end falls
    # short of 0.7% beyond it: one part holds, one does not.
    assert rules.both_match(**arms).verdict == "partially reproduced"
    # A Sigmoid run at the epoch cap cannot move the "before" end below the paper: it stays exceeded.
    short_before = rules.both_match(**arms, short_of_before="convergence")
    assert short_before.verdict == "partially reproduced" and "before: exceeded" in short_before.why
    # A short "after" arm below the paper could still rise: that end becomes inconclusive.
    short_after = rules.both_match(**arms, short_of_after="convergence")
    assert short_after.verdict == "inconclusive" and "after: inconclusive" in short_after.why
    judged = rules.evaluate("x", "both_match", "convergence", converged={"before": False, "after": True}, **arms)
    assert judged.verdict == "partially reproduced" and "before: exceeded" in judged.why


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
    assert judged.verdict == "inconclusive" and judged.why.startswith("underpowered: ")
    # The power statement is prospective: what the next runs would need, this spread taken as a pilot.
    assert "with this spread as a pilot, 11 pairs would resolve 0.20 pp at 80% power" in judged.why
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
    ([3500] * 5, [NAN] * 5, "reproduced"),                   # every A before any B could have (p = 1/32)
    ([3500, 3500], [NAN, NAN], "inconclusive"),              # the same order on 2 pairs: p = 1/4
    ([NAN] * 5, [100, 120, 110, 105, 115], "not reproduced"),
    ([NAN] * 3, [100, 120, 110], "inconclusive"),            # 3 pairs: p = 1/8
    ([100, NAN, 110], [400, 380, NAN], "inconclusive"),      # rests on censored runs
    ([100, 4800, 110], [400, NAN, 420], "inconclusive"),     # an A after a B: censoring cannot decide
])
def test_fewer_steps_to_a_threshold(a, b, expected):
    judged = rules.fewer_steps(a, b, cap=5000)
    assert judged.verdict == expected
    assert "to +" not in judged.why or "+1,500 to +1,500" not in judged.why


def test_two_censored_arms_never_print_an_interval_of_zero_width():
    judged = rules.fewer_steps([3500.0] * 5, [NAN] * 5, cap=5000)
    assert "decided by the censoring" in judged.why and "CI" not in judged.why


def test_a_censoring_order_decides_only_with_enough_runs_for_an_exact_test():
    two = rules.fewer_steps([1000.0, 1200.0], [NAN, NAN], cap=5000)            # bn_converges_fast's 2 seeds
    assert two.verdict == "inconclusive" and "p = 0.25" in two.why
    unpaired = rules.fewer_steps([1000.0] * 3, [NAN] * 3, cap=5000, paired=False)
    assert unpaired.verdict == "reproduced" and "Mann-Whitney test p = 0.05" in unpaired.why
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
    assert rules.all_of({"x": yes, "y": rules.Judgement("exceeded", "")}).verdict == "reproduced"
    assert rules.all_of({"x": rules.Judgement("exceeded", "")}).verdict == "exceeded"
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
            claims_file_only = ("margin_from", "two_sample", "size_from")   # verdicts.judgement reads these
            assert name in accepted or name in claims_file_only or "rule_args" in accepted, (entry["id"], name)
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


# ------------------------------------------------------------------ no rule inverts
# How strongly a verdict supports the claim (for "about X", partially and inconclusive share a
# rank: neither excludes the other). Moving the evidence toward the claim may never lower it.
RANK = {"not reproduced": 0, "inconclusive": 1, "partially reproduced": 1, "reproduced": 2, "exceeded": 3}


def _sample(centre: float, half: float, n: int = 5) -> np.ndarray:
    """``n`` values whose 95% interval of the mean is centre ± half (a symmetric pattern scaled)."""
    pattern = np.linspace(-1, 1, n)
    unit = stats.mean_ci(pattern)["ci_half"]
    return centre + pattern * half / unit


GRID = [(c / 1000, h / 1000) for c in range(-8, 9) for h in (0.5, 1, 2, 3, 5)]   # centre and half-width, in accuracy


def _never_weaker(verdict_of, centres, halves):
    for half in halves:
        ranks = [RANK[verdict_of(c, half)] for c in centres]
        assert ranks == sorted(ranks), (half, list(zip(centres, ranks)))


def test_beats_never_inverts_over_a_grid_of_intervals():
    base = np.array([0.98, 0.982, 0.981, 0.979, 0.983])
    verdict = lambda c, h: rules.beats(base + _sample(c, h), base, margin=0.002, paired=True).verdict
    _never_weaker(verdict, [c for c, _ in GRID[::5]], [h for _, h in GRID[:5]])
    # The pair: (-0.26, +0.04) pp must not be weaker than (-0.19, +0.04) pp.
    low = rules.beats(base + _sample(-0.0011, 0.0015), base, margin=0.002).verdict
    high = rules.beats(base + _sample(-0.00075, 0.00115), base, margin=0.002).verdict
    assert RANK[high] >= RANK[low] and low == "not reproduced"


def test_value_and_floor_rules_never_invert_over_a_grid_of_intervals():
    paper, table = 0.9927, [0.9903, 0.9932, 0.9931, 0.9933, 0.9938]
    centres, halves = [paper + c for c, _ in GRID[::5]], [h for _, h in GRID[:5]]
    _never_weaker(lambda c, h: rules.equivalent_to(_sample(c, h), paper, margin=CNN_MARGIN).verdict, centres, halves)
    _never_weaker(lambda c, h: rules.equivalent_to(_sample(c, h), paper, margin=CNN_MARGIN,
                                                   paper_runs=table).verdict, centres, halves)
    _never_weaker(lambda c, h: rules.equivalent_to(_sample(c, h), paper, margin=CNN_MARGIN,
                                                   short_of="the budget").verdict, centres, halves)
    _never_weaker(lambda c, h: rules.at_least(_sample(c, h), paper, margin=CNN_MARGIN).verdict, centres, halves)
    _never_weaker(lambda c, h: rules.best_reaches(_sample(c, h), paper, margin=CNN_MARGIN, paper_runs=5).verdict,
                  centres, halves)


def test_ratio_about_never_inverts_below_the_claimed_band():
    # Up to the claim's band a larger ratio is stronger; beyond it "about 6x" no longer holds by its words.
    centres = [0.5, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 4.5, 5.0, 5.5, 6.0]
    _never_weaker(lambda c, h: rules.ratio_about(_sample(c, h), 6, relative_margin=0.2).verdict, centres,
                  [0.1, 0.3, 0.6, 1.0, 2.0])


def test_fewer_steps_never_inverts_as_the_claimed_arm_gets_faster():
    b = np.array([400.0, 380.0, 420.0, 410.0, 390.0])
    _never_weaker(lambda c, h: rules.fewer_steps(b - _sample(c * 1e5, h * 1e5), b, cap=5000).verdict,
                  [c for c, _ in GRID[::5]], [h for _, h in GRID[:5]])


def test_compound_claims_never_invert_as_a_part_gets_stronger():
    ordered = ["not reproduced", "inconclusive", "reproduced", "exceeded"]
    for other in [*ordered, "partially reproduced"]:
        ranks = [RANK[rules.all_of({"x": rules.Judgement(v, ""), "y": rules.Judgement(other, "")}).verdict]
                 for v in ordered]
        assert ranks == sorted(ranks), other


def test_one_part_reproduced_and_the_other_ruled_out_is_partially_reproduced():
    sigmoid = np.array([0.9860, 0.9868, 0.9858, 0.9870, 0.9865])
    relu = sigmoid + np.array([0.0030, 0.0025, 0.0035, 0.0028, 0.0032])
    elu = sigmoid + np.array([-0.0010, 0.0002, -0.0012, 0.0001, -0.0008])
    judged = rules.beats_each({"ReLU > Sigmoid": (relu, sigmoid), "ELU > Sigmoid": (elu, sigmoid)}, margin=0.002)
    assert judged.verdict == "partially reproduced" and "ELU > Sigmoid: not reproduced" in judged.why


def test_a_short_arm_downgrades_only_where_more_training_could_turn_the_verdict():
    a, b = [0.97, 0.971, 0.972], [0.98, 0.9812, 0.9815]
    # B (claimed worse) stopped short: more training raises B, which only strengthens the refutation.
    judged = rules.evaluate("x", "beats", "convergence", a=a, b=b, converged={"a": True, "b": False})
    assert judged.verdict == "not reproduced"
    # A (claimed better) stopped short: more training could raise it, so the refutation waits.
    judged = rules.evaluate("x", "beats", "convergence", a=a, b=b, converged={"a": False, "b": True})
    assert judged.verdict == "inconclusive" and "stopped short" in judged.why
    # A loss gap's direction under more training is not known to the rule: either short arm downgrades.
    judged = rules.evaluate("x", "beats", "convergence", a=a, b=b, unit="loss", converged={"a": True, "b": False})
    assert judged.verdict == "inconclusive"
    pairs = {"p": (a, b), "q": (b, a)}
    judged = rules.evaluate("x", "beats_each", "convergence", pairs=pairs,
                            converged={"p": {"a": True, "b": False}, "q": {"a": True, "b": True}})
    assert judged.verdict == "partially reproduced"


def test_greatly_better_judges_the_direction_and_the_papers_size():
    lenet5 = np.array([0.9865, 0.9860, 0.9870, 0.9858, 0.9866])
    improved = lenet5 + np.array([0.0040, 0.0045, 0.0038, 0.0044, 0.0043])    # +0.42 pp, the paper's 1.3 pp
    judged = rules.beats_by(improved, lenet5, size=0.013, size_margin=0.0028, margin=0.002)
    assert judged.verdict == "partially reproduced" and "by about the paper's size: not reproduced" in judged.why
    assert rules.beats_by(lenet5 + 0.013 + (improved - lenet5) / 10, lenet5, size=0.013, size_margin=0.0028,
                          margin=0.002).verdict == "reproduced"


def test_decided_verdicts_carry_the_p_value_they_rest_on():
    a, b = [0.99, 0.991, 0.992], [0.98, 0.9812, 0.9815]
    judged = rules.beats(a, b, paired=True)
    assert judged.verdict == "reproduced" and 0 < judged.p_value < 0.05
    assert np.isnan(rules.beats([0.99], [0.98]).p_value)
    exceeded = rules.equivalent_to([0.999, 0.998, 0.9985], PAPER_CNN, margin=CNN_MARGIN)
    assert exceeded.verdict == "exceeded" and exceeded.p_value < 0.05
    parts = rules.all_of({"x": rules.Judgement("reproduced", "", p_value=0.01),
                          "y": rules.Judgement("reproduced", "", p_value=0.03)})
    assert parts.p_value == 0.03            # every part must hold: the largest p (intersection-union)


def test_seeds_needed_inverts_the_resolvable_effect():
    n = stats.seeds_needed(0.002, 0.002)
    assert stats.resolvable_effect(0.002, n) <= 0.002 < stats.resolvable_effect(0.002, n - 1)
    assert stats.seeds_needed(0.0, 0.002) is None


def test_differs_is_two_sided_and_never_inverts_away_from_zero():
    base = np.array([400.0, 380.0, 420.0, 410.0, 390.0])
    jitter = np.array([1.01, 0.99, 1.0, 1.02, 0.98])
    faster = rules.differs(base * 0.7 * jitter, base, margin=0.1, relative=True)
    slower = rules.differs(base * 1.4 * jitter, base, margin=0.1, relative=True)
    assert faster.verdict == slower.verdict == "reproduced"
    same = rules.differs(base * jitter, base, margin=0.1, relative=True)
    assert same.verdict == "not reproduced"
    # Away from zero on either side the verdict only strengthens.
    for sign in (1, -1):
        ranks = [RANK[rules.differs(base + sign * _sample(c, 5.0), base, margin=20).verdict] for c in range(0, 80, 5)]
        assert ranks == sorted(ranks), ranks
