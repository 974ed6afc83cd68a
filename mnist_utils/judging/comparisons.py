"""The comparison rules: "A beats B", "A differs from B", "about X times", "fewer steps", "fewer
parameters", "steadier and better", "unstable": each a function of the runs' measurements, paired by
seed where both arms share seeds. The vocabulary and the rule a claim's words call for are
explained in ``rules``.
"""
from __future__ import annotations

import math

import numpy as np

from . import stats
from .judgement import Judgement, _signed, _size, _size_of_test, _two_sided, all_of, fact


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




# ------------------------------------------------------------------ two implementations
def implementations_agree(second, first, *, margin: float, paired: bool) -> dict:
    """Whether two implementations' per-seed measures agree (claims file protocol
    ``second_implementation``): mean(second) − mean(first) with its 90% and 95% intervals, and
    "agree" when the 90% interval lies within ±``margin`` (two one-sided tests at 5%), "differ"
    when the 95% interval lies wholly outside it, "undecided" otherwise. Per-seed differences
    that do not vary at all (the same numbers up to a constant) agree when that constant does."""
    strict = stats.difference(second, first, paired=paired, confidence=1 - 2 * stats.ALPHA)
    usual = stats.difference(second, first, paired=paired)
    out = {"diff": strict["diff"], "n": strict["n"], "ci90_low": strict["ci_low"], "ci90_high": strict["ci_high"],
           "ci_low": usual["ci_low"], "ci_high": usual["ci_high"], "margin": margin}
    if math.isnan(strict["ci_low"]):
        constant = paired and strict["n"] >= 2
        verdict = ("agree" if abs(strict["diff"]) < margin else "differ") if constant else "undecided"
    elif -margin < strict["ci_low"] and strict["ci_high"] < margin:
        verdict = "agree"
    elif usual["ci_low"] > margin or usual["ci_high"] < -margin:
        verdict = "differ"
    else:
        verdict = "undecided"
    return {**out, "verdict": verdict}
