"""The verdict rules: every claim's test is one of these functions, declared before the
measurement in ``data/paper_claims.yaml`` (``rule:``, ``rule_args:``, ``budget:``); a change
after its runs is an amendment, listed there (``amendments:``) and in the report.

The vocabulary, the same everywhere in the book:

- *reproduced*: the evidence supports the claim as its words state it (rule by rule below);
- *exceeded*: a value of the paper measured better than the paper beyond the margin (a higher
  accuracy, a lower error): the claim's own number is conservative;
- *partially reproduced*: the direction holds but not the size ("faster, but not about 6×"),
  or some parts of a compound claim hold and others do not;
- *not reproduced*: the evidence contradicts the claim (a finding, not a failure to run);
- *inconclusive*: the evidence cannot decide: its interval holds both the claim and its
  negation, a comparison has too few seeds to resolve the claimed effect (underpowered), it
  rests on censored runs, or runs stopped short of the declared budget while more training
  could still move the value toward the claim;
- *not testable*: the paper's value was lost, or the claim is not measurable.

How the words decide the rule: a floor ("reach", "at least") is one-sided (``at_least``,
``best_reaches``); a value ("0.9903–0.9938 over five runs", "error 2% → 0.7%") is an
equivalence test within a margin (``equivalent_to``, ``both_match``); "about X times" is an
equivalence test around X (``ratio_about``); "A better than B" is a difference (``beats``),
paired by seed when both arms were trained on the same seeds. Extra variance in our runs
widens every interval, so it can make a verdict inconclusive but never reproduced.

No rule gives a stronger-looking result a weaker verdict: moving an interval toward the claim
moves the verdict along not reproduced → inconclusive → reproduced (→ exceeded for a value
of the paper), never back (``tests/test_rules.py`` checks every rule over a grid of intervals).
A value of the paper is judged on the 90% interval of our mean minus the paper's (its ends
are the one-sided 95% bounds, the two one-sided tests of an equivalence test at 5%); the
book prints it beside the 95% one.

``±`` in the book is the half-width of the 95% Student-t confidence interval of a mean
over seeds (``stats.mean_ci``), never a standard deviation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import stats

VERDICTS = ("reproduced", "exceeded", "partially reproduced", "not reproduced", "inconclusive", "not testable")
NEGATIVE = ("not reproduced", "partially reproduced")
HOLDS = ("reproduced", "exceeded")      # the claim holds (exceeded: beyond the paper's own value)

# How a quantity of each unit is written (a rule's margin comes with the unit of its quantity).
UNITS = {
    "accuracy": lambda v: f"{v * 100:+.2f} pp",
    "loss": lambda v: f"{v:+.4f}",
    "steps": lambda v: f"{v:+,.0f} steps",
    # A difference of logarithms: a percentage while small, a factor beyond a doubling.
    "relative": lambda v: f"{np.expm1(v) * 100:+.1f}%" if abs(v) < np.log(2) else f"×{np.exp(v):.3g}",
    "factor": lambda v: f"×{np.exp(v):.3g}",
    "share": lambda v: f"{v * 100:+.1f}% of the outputs",
}


def _two_sided() -> str:
    """The level of a two-sided interval at the current test size: "95%" (a plan's look: "97.5%")."""
    return stats.level(1 - stats.ALPHA)


def _one_sided_pair() -> str:
    """The level of the two-sided interval whose ends are one-sided bounds at the current size: "90%"."""
    return stats.level(1 - 2 * stats.ALPHA)


def _size_of_test() -> str:
    return stats.level(stats.ALPHA)


def _signed(value: float, unit: str) -> str:
    return UNITS[unit](value).replace("-", "−")     # a true minus sign


def _size(value: float, unit: str) -> str:
    return _signed(value, unit).lstrip("+−")


@dataclass(frozen=True)
class Judgement:
    verdict: str
    why: str                        # one sentence a reader can check against the numbers
    margin: str = ""                # the margin the verdict was judged with, in its unit
    gist: str = ""                  # the why in one clause, for the headline table
    # The p-value of the test the verdict rests on (one-sided where the rule decides on a one-sided
    # bound; twice that where it decides on a two-sided 95% interval), NaN where no test decides
    # (facts, counts, too few runs): the report's Holm adjustment reads it.
    p_value: float = float("nan")

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict={self.verdict!r}: must be one of {', '.join(VERDICTS)}")


# ------------------------------------------------------------------ a value of the paper
def equivalent_to(sample, paper_accuracy: float, *, margin: float, short_of: str = "", paper_runs=None) -> Judgement:
    """Our accuracy is the paper's value. The rule decides on the 90% interval [L, U] of our
    mean − the paper's (its ends are one-sided 95% bounds): against the paper's mean, or, where
    the paper prints its runs (``paper_runs``, Table 2's five), a Welch two-sample interval of
    our runs against them, which carries the paper's own run-to-run spread. Along the accuracy
    axis, never inverting:

    - *not reproduced*: U < −``margin`` (below the paper beyond the margin), at the declared
      budget; runs ``short_of`` it are *inconclusive*, since more training could close the gap;
    - *inconclusive*: L < −margin ≤ U, and with one run or no spread;
    - *reproduced*: −margin ≤ L ≤ margin: not worse than the paper beyond the margin (within
      ±margin by the two one-sided tests when U ≤ margin too; above the paper by an undecided
      amount when U > margin, which the why says);
    - *exceeded*: L > margin: better than the paper beyond the margin.

    For error rates pass ``1 - error``."""
    band = f"±{_size(margin, 'accuracy')}"
    wide = _difference_to_paper(sample, paper_accuracy, paper_runs, confidence=1 - stats.ALPHA)       # 95%, shown
    d = _difference_to_paper(sample, paper_accuracy, paper_runs, confidence=1 - 2 * stats.ALPHA)     # 90%, decides
    mean = wide["diff"] + (paper_accuracy if paper_runs is None else float(np.mean(paper_runs)))
    if np.isnan(d["ci_low"]):
        return Judgement("inconclusive", f"{d['n']} run(s) without a spread ({mean:.4f}): no interval to judge by", band,
                         "no interval to judge by")
    against = "the paper's five runs (Welch)" if paper_runs is not None else "the paper"
    low, high = d["ci_low"], d["ci_high"]
    p = lambda shift, alternative: _p_to_paper(sample, paper_accuracy, paper_runs, shift, alternative)
    interval = (f"mean − {against} {_signed(d['diff'], 'accuracy')} ({_two_sided()} CI "
                f"{_signed(wide['ci_low'], 'accuracy')} "
                f"to {_signed(wide['ci_high'], 'accuracy')}; the rule decides on the {_one_sided_pair()} CI "
                f"{_signed(low, 'accuracy')} to {_signed(high, 'accuracy')})")
    if low > margin:
        return Judgement("exceeded", f"{interval}: wholly above the paper beyond {band}", band,
                         f"better than the paper beyond {band}", p(margin, "greater"))
    if low >= -margin:
        if high <= margin:
            return Judgement("reproduced", f"{interval}: within {band} (two one-sided tests at {_size_of_test()})", band,
                             f"within {band} of the paper", p(-margin, "greater"))
        return Judgement("reproduced", f"{interval}: not below the paper beyond {band}, and above it by an amount the "
                                       f"runs cannot place within or beyond {band}", band,
                         "not below the paper; above it by an undecided amount", p(-margin, "greater"))
    if high < -margin:
        if short_of:
            return Judgement("inconclusive", f"{interval}: below the paper beyond {band}, but the runs stopped short of "
                                             f"{short_of}", band, "below the paper, but short of its budget")
        return Judgement("not reproduced", f"{interval}: wholly below the paper beyond {band}", band,
                         f"below the paper beyond {band}", p(-margin, "less"))
    return Judgement("inconclusive", f"{interval}: holds values within and below {band}", band,
                     f"could be within or below {band}")


def _p_to_paper(sample, paper_accuracy: float, paper_runs, shift: float, alternative: str) -> float:
    """One-sided p that our mean − the paper's is greater or less than ``shift``."""
    if paper_runs is not None:
        return stats.difference_p(sample, list(paper_runs), shift, alternative, paired=False)
    return stats.one_sided_p(sample, paper_accuracy + shift, alternative)


def _difference_to_paper(sample, paper_accuracy: float, paper_runs, *, confidence: float) -> dict:
    """Our mean − the paper's with its two-sided ``confidence`` interval: one-sample against
    ``paper_accuracy``, or Welch against ``paper_runs``."""
    if paper_runs is not None:
        return stats.difference(sample, list(paper_runs), paired=False, confidence=confidence)
    x = stats.finite_values(sample)
    if not len(x):
        raise ValueError("equivalent_to: no runs to judge")
    s = stats.mean_ci(x, confidence=confidence)
    return {"diff": float(s["mean"] - paper_accuracy),
            "ci_low": s["ci_low"] - paper_accuracy, "ci_high": s["ci_high"] - paper_accuracy, "n": len(x)}


def at_least(sample, floor: float, *, margin: float, unit: str = "accuracy", short_of: str = "") -> Judgement:
    """A floor ("will be able to reach 98%", "most elements 0"): *reproduced* when the one-sided
    95% lower bound of our mean is at or above ``floor`` − ``margin``; *not reproduced* when the
    one-sided 95% upper bound lies below it (at the declared budget: runs ``short_of`` it could
    still rise); *inconclusive* otherwise and without a spread. ``unit`` names the margin's."""
    b = stats.one_sided_bounds(sample)
    band = f"−{_size(margin, unit)}"
    line = floor - margin
    if np.isnan(b["lower"]):
        return Judgement("inconclusive", f"{b['n']} run(s) without a spread ({b['mean']:.4f}): no bound to judge by", band)
    bounds = f"our mean {b['mean']:.4f}, one-sided {_two_sided()} bounds {b['lower']:.4f} and {b['upper']:.4f}"
    if b["lower"] >= line:
        return Judgement("reproduced", f"{bounds}: the lower bound reaches {floor:.4f} {band} = {line:.4f}", band,
                         f"reaches {floor:.4f} {band}", stats.one_sided_p(sample, line, "greater"))
    if b["upper"] < line:
        if short_of:
            return Judgement("inconclusive", f"{bounds}: below {line:.4f}, but the runs stopped short of {short_of}", band,
                             "below the floor, but short of the budget")
        return Judgement("not reproduced", f"{bounds}: the upper bound stays below {floor:.4f} {band} = {line:.4f}", band,
                         f"below {floor:.4f} {band}", stats.one_sided_p(sample, line, "less"))
    return Judgement("inconclusive", f"{bounds}: {line:.4f} lies between them", band, "the bounds straddle the floor")


def best_reaches(sample, paper_accuracy: float, *, margin: float, paper_runs: int, short_of: str = "") -> Judgement:
    """"Reaches 99.38%", the best of the paper's ``paper_runs`` trainings: *reproduced* when
    our best run is at or above the paper's best − ``margin``; *not reproduced* when it is below
    after at least as many runs as the paper picked its best from, at the declared budget;
    *inconclusive* with fewer runs or runs short of the budget."""
    values = stats.finite_values(sample)
    best, line = float(values.max()), paper_accuracy - margin
    band = f"−{_size(margin, 'accuracy')}"
    if best >= line:
        return Judgement("reproduced", f"our best {best:.4f} reaches the best of the paper, {paper_accuracy:.4f} {band}",
                         band)
    if len(values) < paper_runs:
        return Judgement("inconclusive", f"our best {best:.4f} of {len(values)} run(s) is below {line:.4f}; the "
                                         f"paper picked its best of {paper_runs}", band)
    if short_of:
        return Judgement("inconclusive", f"our best {best:.4f} is below {line:.4f}, but the runs stopped short of "
                                         f"{short_of}", band)
    return Judgement("not reproduced", f"our best {best:.4f} of {len(values)} is below the best of the paper, "
                                       f"{paper_accuracy:.4f} {band} = {line:.4f}", band)


def both_match(before, paper_before: float, after, paper_after: float, *, margin_before: float,
               margin_after: float, short_of_before: str = "", short_of_after: str = "") -> Judgement:
    """A change from one accuracy to another (error 2% → 0.7%): each end by ``equivalent_to``
    with its own margin and its own budget (a short arm downgrades only its own end)."""
    return all_of({"before": equivalent_to(before, paper_before, margin=margin_before, short_of=short_of_before),
                   "after": equivalent_to(after, paper_after, margin=margin_after, short_of=short_of_after)})


# ------------------------------------------------------------------ comparisons
def beats(a, b, *, margin: float = 0.0, unit: str = "accuracy", paired: bool = True, effect: float | None = None,
          relative: bool = False) -> Judgement:
    """"A is better than B" from per-seed values (``a[i]`` and ``b[i]`` share seed i when
    ``paired``; Welch otherwise), on the 95% interval [L, U] of mean(a) − mean(b): *reproduced*
    when L > 0; *not reproduced* when U < 0 (reversed) or U ≤ ``margin`` (any advantage of A is
    smaller than a difference worth the claim, in ``unit``); *inconclusive* otherwise and without
    an interval, marked *underpowered* when the claimed ``effect`` is below the smallest
    difference these seeds can resolve (``stats.resolvable_effect``). Moving the interval up
    never weakens the verdict. ``relative`` compares logarithms (speeds: a margin of 0.05 is 5%)."""
    if relative:
        a, b, unit = np.log(np.asarray(a, float)), np.log(np.asarray(b, float)), "relative"
        margin = float(np.log1p(margin))
    band = f"±{_size(margin, unit)}" if margin else ""
    d = stats.difference(a, b, paired=paired)
    kind = "paired" if paired else "Welch"
    if np.isnan(d["ci_low"]):
        return Judgement("inconclusive", f"difference {_signed(d['diff'], unit)} without an interval (n = {d['n']}: "
                                         f"fewer than two runs a side, or no spread)", band)
    # One style for both ends: percentages, or factors where an end is beyond a doubling.
    ends_unit = "factor" if relative and max(abs(d["ci_low"]), abs(d["ci_high"])) >= np.log(2) else unit
    interval = (f"{kind} {_two_sided()} CI {_signed(d['ci_low'], ends_unit)} to {_signed(d['ci_high'], ends_unit)} "
                f"(n = {d['n']})")
    zero = "×1 (no difference)" if relative else "zero"
    twice = lambda shift, alternative: min(1.0, 2 * stats.difference_p(a, b, shift, alternative, paired=paired))
    if d["ci_low"] > 0:
        return Judgement("reproduced", f"the {interval} lies above {zero}", band, "better, beyond chance",
                         twice(0.0, "greater"))
    if d["ci_high"] < 0:
        return Judgement("not reproduced", f"reversed: the {interval} lies below {zero}", band,
                         "reversed: worse, beyond chance", twice(0.0, "less"))
    if margin and d["ci_high"] <= margin:
        return Judgement("not reproduced", f"no difference worth the claim: the {interval} stays below "
                                           f"{_signed(margin, unit)}", band, f"any advantage is below {band.lstrip('±')}",
                         twice(margin, "less"))
    # What more seeds would need, from these runs' spread taken as a pilot (a plan for the next
    # runs, not a statement about these).
    target = effect if effect is not None else margin
    needed = stats.seeds_needed(d["sd"], target, paired=paired) if target else None
    pilot = (f"with this spread as a pilot, {needed} {'pairs' if paired else 'runs a side'} would resolve "
             f"{_size(target, unit)} at 80% power" if needed else
             f"with this spread as a pilot, more than 1,000 seeds would be needed to resolve {_size(target, unit)}"
             if target else "")
    if effect is not None and stats.resolvable_effect(d["sd"], d["n"], paired=paired) > effect:
        return Judgement("inconclusive", f"underpowered: the {interval} contains {zero}; the claimed effect is at most "
                                         f"{_size(effect, unit)}; {pilot}", band, "too few seeds for an effect this small")
    return Judgement("inconclusive", f"the {interval} contains {zero}{' and values beyond ' + band if band else ''}"
                                     f"{'; ' + pilot if pilot else ''}", band, "the interval holds both answers")


def differs(a, b, *, margin: float = 0.0, unit: str = "accuracy", paired: bool = True,
            relative: bool = False) -> Judgement:
    """"A differs from B" (either way), on the 95% interval [L, U] of mean(a) − mean(b):
    *reproduced* when it excludes zero (L > 0 or U < 0); *not reproduced* when it lies within
    ±``margin``; *inconclusive* otherwise. ``relative`` compares logarithms (a margin of 0.1 is
    10%). Moving the interval away from zero, either way, never weakens the verdict."""
    if relative:
        a, b, unit = np.log(np.asarray(a, float)), np.log(np.asarray(b, float)), "relative"
        margin = float(np.log1p(margin))
    band = f"±{_size(margin, unit)}" if margin else ""
    d = stats.difference(a, b, paired=paired)
    if np.isnan(d["ci_low"]):
        return Judgement("inconclusive", f"difference {_signed(d['diff'], unit)} without an interval (n = {d['n']})",
                         band, "no interval")
    interval = (f"{'paired' if paired else 'Welch'} {_two_sided()} CI {_signed(d['ci_low'], unit)} to "
                f"{_signed(d['ci_high'], unit)} "
                f"(n = {d['n']})")
    if d["ci_low"] > 0 or d["ci_high"] < 0:
        side = "greater" if d["ci_low"] > 0 else "less"
        return Judgement("reproduced", f"the {interval} excludes no difference", band,
                         "different, beyond chance", min(1.0, 2 * stats.difference_p(a, b, 0.0, side, paired=paired)))
    if margin and -margin <= d["ci_low"] and d["ci_high"] <= margin:
        return Judgement("not reproduced", f"no difference worth the claim: the {interval} lies within {band}", band,
                         f"the same within {band}")
    return Judgement("inconclusive", f"the {interval} holds no difference and differences beyond {band}", band,
                     "the interval holds both answers")


def beats_by(a, b, *, size: float, size_margin: float, margin: float = 0.0, paired: bool = True) -> Judgement:
    """"A is greatly better than B", where the paper's own improvement is ``size`` (accuracy):
    two parts, combined by ``all_of``. *better*: ``beats`` (``margin``); *by about the paper's
    size*: the one-sided 95% lower bound of mean(a) − mean(b) at or above ``size`` −
    ``size_margin`` (*reproduced*), its upper bound below that (*not reproduced*), else
    *inconclusive*. Direction without size is partially reproduced."""
    d = stats.difference(a, b, paired=paired, confidence=1 - 2 * stats.ALPHA)
    line, band = size - size_margin, f"−{_size(size_margin, 'accuracy')}"
    what = (f"one-sided {_two_sided()} bounds {_signed(d['ci_low'], 'accuracy')} and {_signed(d['ci_high'], 'accuracy')} "
            f"against the paper's {_signed(size, 'accuracy')} {band} = {_signed(line, 'accuracy')}")
    if np.isnan(d["ci_low"]):
        sized = Judgement("inconclusive", f"no interval (n = {d['n']})", band)
    elif d["ci_low"] >= line:
        sized = Judgement("reproduced", f"{what}: the lower bound reaches it", band)
    elif d["ci_high"] < line:
        sized = Judgement("not reproduced", f"{what}: the upper bound stays below it", band)
    else:
        sized = Judgement("inconclusive", f"{what}: it lies between them", band)
    return all_of({"better": beats(a, b, margin=margin, paired=paired), "by about the paper's size": sized})


def beats_each(pairs: dict, **rule_args) -> Judgement:
    """Several "A beats B" at once ({name: (a, b)}): ``beats`` for each, combined by ``all_of``."""
    return all_of({name: beats(a, b, **rule_args) for name, (a, b) in pairs.items()})


def ratio_about(per_seed_ratios, claimed: float, *, relative_margin: float, censored=False) -> Judgement:
    """"A is about ``claimed`` times B" from per-seed ratios: *reproduced* when a TOST puts
    their mean within ``claimed`` × (1 ± ``relative_margin``); *partially reproduced* when the
    95% interval lies above 1 (faster) but wholly outside that band; *not reproduced* when it
    lies wholly outside the band and does not exceed 1; *inconclusive* otherwise. With
    ``censored`` ratios (runs of the slower arm that never reached the threshold count as the
    budget) the ratios are lower bounds: they can show "more than about X", never "about X"."""
    values = stats.finite_values(per_seed_ratios)
    censored = bool(np.any(censored))       # one flag, or one per seed (a plan's look cuts it with the ratios)
    low, high = claimed * (1 - relative_margin), claimed * (1 + relative_margin)
    band = f"{low:.1f}× to {high:.1f}×"
    if not stats.varies(values):
        return Judgement("inconclusive", f"{len(values)} per-seed ratio(s) without a spread: no interval", band)
    s = stats.mean_ci(values)
    interval = f"{_two_sided()} CI {s['ci_low']:.1f}× to {s['ci_high']:.1f}× (n = {s['n']})"
    outside = s["ci_high"] < low or s["ci_low"] > high
    if censored:
        if s["ci_low"] > high:
            return Judgement("partially reproduced", f"faster than about {claimed:g}×: even the lower bounds' {interval} "
                                                     f"lie above {band}", band)
        return Judgement("inconclusive", f"lower bounds ({interval}): some runs never reached the threshold", band)
    tost = stats.equivalence(values, claimed, claimed * relative_margin)
    # The p of "outside the band": the side the interval lies on, two-sided as the 95% interval decides.
    p_outside = min(1.0, 2 * (stats.one_sided_p(values, low, "less") if s["ci_high"] < low
                              else stats.one_sided_p(values, high, "greater")))
    if tost["p_value"] < stats.ALPHA:
        return Judgement("reproduced", f"the {interval} lies within about {claimed:g}× ({band}; TOST p = "
                                       f"{tost['p_value']:.3f})", band, f"about {claimed:g}×", tost["p_value"])
    if outside and s["ci_low"] > 1:
        return Judgement("partially reproduced", f"faster, but the {interval} lies wholly outside about {claimed:g}× "
                                                 f"({band})", band, f"faster, but not about {claimed:g}×", p_outside)
    if outside:
        return Judgement("not reproduced", f"the {interval} lies wholly outside about {claimed:g}× ({band}) and "
                                           f"does not exclude no speed-up", band, f"not about {claimed:g}×", p_outside)
    return Judgement("inconclusive", f"the {interval} holds values within and outside {band}", band,
                     f"could be about {claimed:g}× or not")


def fewer_steps(a_steps, b_steps, *, cap: float, paired: bool = True) -> Judgement:
    """"A converges faster than B" from per-seed steps to a threshold; NaN is a censored run
    (it never reached the threshold within its ``cap`` steps): not a number. Without censoring,
    ``beats`` on the steps (B − A). With censoring, *inconclusive* unless the censoring itself
    decides it: every run of A reached the threshold before any run of B did or could have
    (*reproduced*), or the reverse (*not reproduced*), with enough runs that this order has an
    exact p of at most 5% (paired by seed: a sign test, 3 pairs are too few; else Mann-Whitney)."""
    a, b = np.asarray(a_steps, float), np.asarray(b_steps, float)
    a_hit, b_hit = ~np.isnan(a), ~np.isnan(b)
    if not a_hit.any() and not b_hit.any():
        return Judgement("inconclusive", f"neither variant reached the threshold within {cap:,.0f} steps")
    if a_hit.all() and b_hit.all():
        judged = beats(b, a, unit="steps", paired=paired)
        return Judgement(judged.verdict, f"steps to the threshold, the other minus this: {judged.why}", gist=judged.gist,
                         p_value=judged.p_value)

    def first_possible(steps, hit):       # the earliest step at which any run of the arm reached it (or could have)
        return min(steps[hit].min() if hit.any() else np.inf, cap if not hit.all() else np.inf)

    reached = lambda steps, hit: f"{int(hit.sum())} of {len(steps)} runs reached it"
    # A complete separation of the two arms is the most extreme order an exact test can see: by
    # chance it has p = 0.5^n over n pairs (sign test), or 1 / C(n_a + n_b, n_a) unpaired
    # (Mann-Whitney); it decides only where that p is at most 5%.
    p = 0.5 ** len(a) if paired else 1 / math.comb(len(a) + len(b), len(a))
    test = f"exact {'sign' if paired else 'Mann-Whitney'} test p = {p:.3g}"
    separated = None
    if a_hit.all() and a.max() < first_possible(b, b_hit):
        separated = ("reproduced", f"every run reached the threshold by step {a.max():,.0f}, before any run of the "
                                   f"other did or could have ({reached(b, b_hit)} within {cap:,.0f})")
    elif b_hit.all() and b.max() < first_possible(a, a_hit):
        separated = ("not reproduced", f"reversed: every run of the other reached the threshold by step "
                                       f"{b.max():,.0f}, before any run of this one ({reached(a, a_hit)} within "
                                       f"{cap:,.0f})")
    if separated and p <= stats.ALPHA:
        return Judgement(separated[0], f"decided by the censoring: {separated[1]}; {test}",
                         gist=f"every run {'sooner' if separated[0] == 'reproduced' else 'later'} ({test})", p_value=p)
    if separated:
        return Judgement("inconclusive", f"the censoring orders the arms ({separated[1]}), but too few runs for that "
                                         f"order to decide: {test}, above {_size_of_test()}", gist="too few runs to decide")
    return Judgement("inconclusive", f"rests on censored runs: this {reached(a, a_hit)}, the other "
                                     f"{reached(b, b_hit)} within {cap:,.0f} steps", gist="rests on censored runs")


def fewer_steps_each(pairs: dict, *, cap: float, paired: bool = True) -> Judgement:
    """Several "A converges faster than B" at once ({name: (a_steps, b_steps)})."""
    return all_of({name: fewer_steps(a, b, cap=cap, paired=paired) for name, (a, b) in pairs.items()})


def tuning_improves(steps: dict, accuracy: dict, *, cap: float, margin: float) -> Judgement:
    """"Modifying the learning rate speeds up convergence and makes the model more accurate",
    per model ({name: (tuned, baseline)} per seed, for steps to a threshold and for test
    accuracy): both ``fewer_steps`` and ``beats`` (paired, ``margin`` in accuracy) must hold,
    combined by ``all_of``. Without a model whose tuned rate differs from the baseline, nothing
    was modified: *inconclusive*."""
    if not steps:
        return Judgement("inconclusive", "the validation-best rate is the baseline rate: nothing was modified")
    return all_of({"converges faster": fewer_steps_each(steps, cap=cap),
                   "more accurate": beats_each(accuracy, margin=margin)})


def fewer_parameters(shared: int, fully_connected: int, *, a=None, b=None, margin: float = 0.0,
                     unmeasured: str = "", against: str = "fully connected") -> Judgement:
    """"Local receptive fields and shared weights need fewer parameters" (``shared`` against the
    same network ``fully_connected``: a count, it holds or not), and where the claim goes on,
    "... yet does better than a fully connected network" (``beats`` on per-run test accuracies
    ``a`` against ``b``, unpaired: different models) or a part this book does not measure
    (``unmeasured``, its words: inconclusive). Combined by ``all_of``."""
    parts = {"fewer parameters": fact(shared < fully_connected,
                                      f"{shared:,} with shared local weights, {fully_connected:,} {against}")}
    if a is not None and b is not None:
        parts["better than the fully connected network"] = beats(a, b, margin=margin, paired=False)
    if unmeasured:
        parts[unmeasured] = Judgement("inconclusive", "not measured in this book")
    return all_of(parts)


def steadier_and_better(a_spread, b_spread, a_accuracy, b_accuracy, *, margin: float = 0.0) -> Judgement:
    """"The changes weaken the influence of the initial parameters and improve the accuracy":
    A's per-seed values vary less than B's (``stats.spread_ratio``, paired by seed: *reproduced*
    when "A varies less" has p < 0.05, *not reproduced* when "A varies more" does, else
    *inconclusive*), and A ``beats`` B on ``a_accuracy``/``b_accuracy`` (paired). Combined by
    ``all_of``."""
    spread = stats.spread_ratio(a_spread, b_spread)
    what = f"sd ratio {spread['sd_ratio']:.2f} (Pitman-Morgan, n = {spread['n']})"
    if np.isnan(spread["p_less"]):
        steadier = Judgement("inconclusive", f"{what}: too few seeds or no spread to compare")
    elif spread["p_less"] < stats.ALPHA:
        steadier = Judgement("reproduced", f"{what}: varies less, one-sided p = {spread['p_less']:.3f}",
                             p_value=spread["p_less"])
    elif spread["p_more"] < stats.ALPHA:
        steadier = Judgement("not reproduced", f"{what}: varies more, one-sided p = {spread['p_more']:.3f}",
                             p_value=spread["p_more"])
    else:
        steadier = Judgement("inconclusive", f"{what}: neither less nor more spread at {_size_of_test()} "
                                             f"(p = {spread['p_less']:.2f})")
    return all_of({"less spread over seeds": steadier,
                   "more accurate": beats(a_accuracy, b_accuracy, margin=margin, paired=True)})


def unstable_each(pairs: dict, *, margin: float) -> Judgement:
    """"Too large a rate may not converge and may oscillate", per activation
    ({name: (oscillation at the largest rate, oscillation at the validation-best rate, diverged
    at the largest rate)}, per seed): *reproduced* for a name where some run at the largest
    rate diverged (did not converge); otherwise ``beats`` on the oscillation (paired, in
    accuracy, ``margin``). Combined by ``all_of``."""
    parts = {}
    for name, (large, reference, diverged) in pairs.items():
        diverged = np.asarray(diverged, bool)
        if diverged.any():
            parts[name] = Judgement("reproduced", f"{int(diverged.sum())} of {len(diverged)} runs at the largest rate "
                                                  f"diverged (did not converge)")
        else:
            parts[name] = beats(large, reference, margin=margin, unit="accuracy", paired=True)
    return all_of(parts)


# ------------------------------------------------------------------ facts and observations
def fact(holds: bool, what: str) -> Judgement:
    """A data fact (file names, counts, sizes): it holds or it does not."""
    return Judgement("reproduced" if holds else "not reproduced", what)


def not_testable(why: str) -> Judgement:
    return Judgement("not testable", why)


def equals(value, expected) -> Judgement:
    """A fact about the data (counts, shapes, values): it matches exactly or it does not."""
    value, expected = list(np.atleast_1d(value)), list(np.atleast_1d(expected))
    return fact(value == expected, f"measured {_plain(value)}, paper {_plain(expected)}")


def observed(count: int, total: int, what: str, untested: str = "") -> Judgement:
    """A phenomenon the paper reports, seen in at least one of ``total`` runs or in none; where
    the claim goes on to a part these runs cannot show (``untested``, its words), that part is
    inconclusive and the whole is combined by ``all_of``."""
    seen = (Judgement("reproduced", f"{what} in {count} of {total} runs", gist=f"seen in {count} of {total} runs")
            if count else Judgement("not reproduced", f"{what} in none of {total} runs", gist=f"in none of {total} runs"))
    if not untested:
        return seen
    return all_of({what: seen, untested: Judgement("inconclusive", "not measured by these runs")})


def all_of(parts: dict) -> Judgement:
    """Combine the parts of a compound claim (all must hold): reproduced when every part holds
    (exceeded when every part is exceeded); a refuted part refutes the whole (not reproduced),
    or makes it partially reproduced where another part holds; partially when a part is
    partially reproduced; inconclusive otherwise (some part undecided, none refuted). A part
    that gets stronger never makes the whole weaker."""
    verdicts = {j.verdict for j in parts.values()}
    why = "; ".join(f"{name}: {j.verdict} ({j.why})" for name, j in parts.items())
    margins = "; ".join(dict.fromkeys(f"{name} {j.margin}" for name, j in parts.items() if j.margin))
    holds = verdicts & {*HOLDS, "partially reproduced"}
    if verdicts == {"exceeded"}:
        verdict = "exceeded"
    elif verdicts <= set(HOLDS):
        verdict = "reproduced"
    elif "not reproduced" in verdicts:
        verdict = "partially reproduced" if holds else "not reproduced"
    elif "partially reproduced" in verdicts:
        verdict = "partially reproduced"
    else:
        verdict = "inconclusive"
    gist = "; ".join(f"{name}: {j.verdict}" for name, j in parts.items())
    return Judgement(verdict, why, margins, gist, _compound_p(verdict, parts))


def _compound_p(verdict: str, parts: dict) -> float:
    """The p of a compound verdict: where every part must hold (reproduced, exceeded, partially),
    the largest of the deciding parts' p (an intersection-union test); where a part refutes the
    whole, the smallest p among the refuting parts. A part decided without a test (a count, a
    fact) adds no p; NaN where no deciding part has one."""
    if verdict in ("inconclusive", "not testable"):
        return float("nan")
    deciding = [j for j in parts.values() if j.verdict != "inconclusive"]
    if verdict == "not reproduced":
        deciding = [j for j in deciding if j.verdict == "not reproduced"]
    ps = [j.p_value for j in deciding if np.isfinite(j.p_value)]     # a fact (a count) decides without a test
    if not ps:
        return float("nan")
    return float(min(ps)) if verdict == "not reproduced" else float(max(ps))


def _plain(values: list) -> str:
    return ", ".join(f"{v:,}" if isinstance(v, (int, np.integer)) else str(v) for v in values)


# ------------------------------------------------------------------ declared tests
RULES = {f.__name__: f for f in (equivalent_to, at_least, best_reaches, both_match, beats, beats_by, beats_each, differs,
                                   ratio_about,
                                   fewer_steps, fewer_steps_each, tuning_improves, fewer_parameters, steadier_and_better,
                                   unstable_each, observed, equals)}
# Rules on an accuracy against the paper's: ``evaluate`` gives them the declared budget per arm,
# and they downgrade only where more training could move our value toward the paper's.
DIRECTIONAL = {"equivalent_to", "at_least", "best_reaches"}
# Rules that judge our accuracy against the paper's: the paper's values and the margin come from
# the claims file (``verdicts.paper_arguments``), never from a chapter.
PAPER_VALUE_RULES = DIRECTIONAL | {"both_match"}


@dataclass(frozen=True)
class Budget:
    """What a claim's test declares about the training it needs (``budget:`` in the claims file):
    ``{iterations: N}`` (the paper's budget), ``convergence`` (until validation stops
    improving), or ``as_run`` (the chapter's own budget: the claim is about speed or shape)."""
    kind: str
    iterations: int = 0

    @classmethod
    def parse(cls, declared, claim_id: str) -> Budget:
        if declared in ("convergence", "as_run", None):
            return cls(declared or "none")
        if isinstance(declared, dict) and isinstance(declared.get("iterations"), int):
            return cls("iterations", declared["iterations"])
        raise ValueError(f"claim {claim_id}: budget={declared!r}: must be convergence, as_run or {{iterations: N}}")

    def met(self, *, iterations: int | None = None, converged: bool | None = None) -> tuple[bool, str]:
        """Whether the runs met this budget, and what fell short."""
        if self.kind == "iterations":
            if iterations is None:
                raise ValueError("this claim is judged at the paper's iterations: pass iterations=")
            # No apostrophe: a glued verdict text is compared with the page, which curls it.
            return iterations >= self.iterations, f"the {self.iterations:,} iterations of the paper (ran {iterations:,})"
        if self.kind == "convergence":
            if converged is None:
                raise ValueError("this claim is judged at convergence: pass converged=")
            return bool(np.all(converged)), "convergence (some runs hit the epoch cap)"   # one flag, or one per seed
        return True, ""


def evaluate(claim_id: str, rule: str, budget, *, iterations: int | None = None, converged=None,
             **evidence) -> Judgement:
    """Judge one claim by the test its entry declares: ``rule`` (a function of this module,
    given ``evidence``) at ``budget`` (see ``Budget``). Runs short of the declared budget
    cannot refute a claim where more training could move the value toward it, and only there:

    - the accuracy rules decide it per arm (``converged`` may be ``{"before": bool, "after":
      bool}`` for ``both_match``);
    - ``beats`` (and ``beats_by``) on accuracy may get ``converged={"a": bool, "b": bool}``: more training raises
      an accuracy, so only a short arm A (the one claimed better) can turn a refutation; for
      ``beats_each``, ``{part: {"a": bool, "b": bool}}``;
    - otherwise (one bool, or another quantity whose direction under more training the rule
      does not know) a "not reproduced" or "partially reproduced" short of the budget is
      *inconclusive*."""
    if rule == "not_testable":
        return not_testable(evidence.get("why", "declared not testable"))
    if rule not in RULES:
        raise ValueError(f"claim {claim_id}: rule={rule!r}: unknown (known: {', '.join(RULES)})")
    declared = Budget.parse(budget, claim_id)

    def short(arm_converged) -> str:
        met, what = declared.met(iterations=iterations, converged=arm_converged)
        return "" if met else what

    if rule == "both_match":
        arms = converged if isinstance(converged, dict) else {"before": converged, "after": converged}
        return both_match(**evidence, short_of_before=short(arms["before"]), short_of_after=short(arms["after"]))
    if rule == "beats_each" and isinstance(converged, dict):
        pairs = evidence.pop("pairs")
        return all_of({name: _downgraded(beats(a, b, **evidence), _short_arm(short, converged[name], evidence))
                       for name, (a, b) in pairs.items()})
    if rule in ("beats", "beats_by") and isinstance(converged, dict):
        return _downgraded(RULES[rule](**evidence), _short_arm(short, converged, evidence))
    shortfall = short(converged)
    if rule in DIRECTIONAL:
        return RULES[rule](**evidence, short_of=shortfall)
    return _downgraded(RULES[rule](**evidence), shortfall)


def _short_arm(short, arms: dict, rule_args: dict) -> str:
    """What fell short in a comparison A > B that more training could turn: arm A alone for an
    accuracy (more training raises it), either arm for another quantity."""
    if rule_args.get("unit", "accuracy") == "accuracy" and not rule_args.get("relative"):
        return short(arms["a"])
    return short(arms["a"]) or short(arms["b"])


def _downgraded(judged: Judgement, shortfall: str) -> Judgement:
    """A negative verdict made on runs short of the budget, where more training could turn it, is inconclusive."""
    if shortfall and judged.verdict in NEGATIVE:
        return Judgement("inconclusive", f"{judged.why}; but the runs stopped short of {shortfall}", judged.margin,
                         "short of the budget, where more training could turn it")
    return judged
