"""The verdict rules: every claim's test is one of these functions, declared before the
measurement in ``data/paper_claims.yaml`` (``rule:``, ``rule_args:``, ``budget:``); a change
after its runs is an amendment, listed there (``amendments:``) and in the report.

The vocabulary, the same everywhere in the book:

- *reproduced*: the evidence supports the claim as its words state it (rule by rule below);
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

``±`` in the book is the half-width of the 95% Student-t confidence interval of a mean
over seeds (``stats.mean_ci``), never a standard deviation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import stats

VERDICTS = ("reproduced", "partially reproduced", "not reproduced", "inconclusive", "not testable")
NEGATIVE = ("not reproduced", "partially reproduced")

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


def _signed(value: float, unit: str) -> str:
    return UNITS[unit](value)


def _size(value: float, unit: str) -> str:
    return _signed(value, unit).lstrip("+")


@dataclass(frozen=True)
class Judgement:
    verdict: str
    why: str                        # one sentence a reader can check against the numbers
    margin: str = ""                # the margin the verdict was judged with, in its unit

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict={self.verdict!r}: must be one of {', '.join(VERDICTS)}")


# ------------------------------------------------------------------ a value of the paper
def equivalent_to(sample, paper_accuracy: float, *, margin: float, short_of: str = "") -> Judgement:
    """Our mean accuracy is the paper's: *reproduced* when a two one-sided test (TOST, 5%)
    puts mean − paper within ±``margin`` (``stats.accuracy_margin``); *not reproduced* when the
    95% interval of mean − paper lies wholly outside ±margin; *inconclusive* otherwise, with one
    run or no spread, and when our mean is below the paper's after runs that stopped
    ``short_of`` the paper's budget or of convergence (more training could close the gap). An
    accuracy above the paper's stays refuted at any budget. For error rates pass ``1 - error``."""
    t = stats.equivalence(sample, paper_accuracy, margin)
    band = f"±{_size(margin, 'accuracy')}"
    mean = t["diff"] + paper_accuracy
    if np.isnan(t["p_value"]):
        return Judgement("inconclusive", f"{t['n']} run(s) without a spread ({mean:.4f}): no interval to judge by", band)
    interval = f"mean − paper {_signed(t['diff'], 'accuracy')} (95% CI {_signed(t['ci_low'], 'accuracy')} to " \
               f"{_signed(t['ci_high'], 'accuracy')})"
    if t["p_value"] < stats.ALPHA:
        return Judgement("reproduced", f"{interval}: equivalent within {band} (TOST p = {t['p_value']:.3f})", band)
    if t["ci_high"] < -margin and short_of:
        return Judgement("inconclusive", f"{interval}: below the paper beyond {band}, but the runs stopped short of "
                                         f"{short_of}", band)
    if t["ci_low"] > margin or t["ci_high"] < -margin:
        side = "above" if t["ci_low"] > margin else "below"
        return Judgement("not reproduced", f"{interval}: wholly {side} the paper beyond {band}", band)
    return Judgement("inconclusive", f"{interval}: holds values within and beyond {band} "
                                     f"(TOST p = {t['p_value']:.3f})", band)


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
    bounds = f"our mean {b['mean']:.4f}, one-sided 95% bounds {b['lower']:.4f} and {b['upper']:.4f}"
    if b["lower"] >= line:
        return Judgement("reproduced", f"{bounds}: the lower bound reaches {floor:.4f} {band} = {line:.4f}", band)
    if b["upper"] < line:
        if short_of:
            return Judgement("inconclusive", f"{bounds}: below {line:.4f}, but the runs stopped short of {short_of}", band)
        return Judgement("not reproduced", f"{bounds}: the upper bound stays below {floor:.4f} {band} = {line:.4f}", band)
    return Judgement("inconclusive", f"{bounds}: {line:.4f} lies between them", band)


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
    ``paired``; Welch otherwise): *reproduced* when the 95% interval of mean(a) − mean(b) lies
    above zero; *not reproduced* when it lies below zero (reversed) or inside ±``margin`` (no
    difference worth the claim, in ``unit``); *inconclusive* otherwise and without an interval,
    marked *underpowered* when the claimed ``effect`` is below the smallest difference these
    seeds can resolve (``stats.resolvable_effect``). ``relative`` compares logarithms (speeds:
    a margin of 0.05 is 5%)."""
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
    interval = f"{kind} 95% CI {_signed(d['ci_low'], ends_unit)} to {_signed(d['ci_high'], ends_unit)} (n = {d['n']})"
    zero = "×1 (no difference)" if relative else "zero"
    resolvable = stats.resolvable_effect(d["sd"], d["n"], paired=paired)
    power = f"these seeds resolve differences ≥ {_size(resolvable, unit)}"
    if d["ci_low"] > 0:
        return Judgement("reproduced", f"the {interval} lies above {zero}; {power}", band)
    if d["ci_high"] < 0:
        return Judgement("not reproduced", f"reversed: the {interval} lies below {zero}; {power}", band)
    if margin and -margin <= d["ci_low"] and d["ci_high"] <= margin:
        return Judgement("not reproduced", f"no difference worth the claim: the {interval} lies within {band}", band)
    if effect is not None and resolvable > effect:
        return Judgement("inconclusive", f"underpowered (n = {d['n']}, resolvable ≥ {_size(resolvable, unit)}, the "
                                         f"claimed effect ≤ {_size(effect, unit)}): the {interval} contains {zero}", band)
    return Judgement("inconclusive", f"the {interval} contains {zero}{' and values beyond ' + band if band else ''}; "
                                     f"{power}", band)


def beats_each(pairs: dict, **rule_args) -> Judgement:
    """Several "A beats B" at once ({name: (a, b)}): ``beats`` for each, combined by ``all_of``."""
    return all_of({name: beats(a, b, **rule_args) for name, (a, b) in pairs.items()})


def ratio_about(per_seed_ratios, claimed: float, *, relative_margin: float, censored: bool = False) -> Judgement:
    """"A is about ``claimed`` times B" from per-seed ratios: *reproduced* when a TOST puts
    their mean within ``claimed`` × (1 ± ``relative_margin``); *partially reproduced* when the
    95% interval lies above 1 (faster) but wholly outside that band; *not reproduced* when it
    lies wholly outside the band and does not exceed 1; *inconclusive* otherwise. With
    ``censored`` ratios (runs of the slower arm that never reached the threshold count as the
    budget) the ratios are lower bounds: they can show "more than about X", never "about X"."""
    values = stats.finite_values(per_seed_ratios)
    low, high = claimed * (1 - relative_margin), claimed * (1 + relative_margin)
    band = f"{low:.1f}× to {high:.1f}×"
    if not stats.varies(values):
        return Judgement("inconclusive", f"{len(values)} per-seed ratio(s) without a spread: no interval", band)
    s = stats.mean_ci(values)
    interval = f"95% CI {s['ci_low']:.1f}× to {s['ci_high']:.1f}× (n = {s['n']})"
    outside = s["ci_high"] < low or s["ci_low"] > high
    if censored:
        if s["ci_low"] > high:
            return Judgement("partially reproduced", f"faster than about {claimed:g}×: even the lower bounds' {interval} "
                                                     f"lie above {band}", band)
        return Judgement("inconclusive", f"lower bounds ({interval}): some runs never reached the threshold", band)
    tost = stats.equivalence(values, claimed, claimed * relative_margin)
    if tost["p_value"] < stats.ALPHA:
        return Judgement("reproduced", f"the {interval} lies within about {claimed:g}× ({band}; TOST p = "
                                       f"{tost['p_value']:.3f})", band)
    if outside and s["ci_low"] > 1:
        return Judgement("partially reproduced", f"faster, but the {interval} lies wholly outside about {claimed:g}× "
                                                 f"({band})", band)
    if outside:
        return Judgement("not reproduced", f"the {interval} lies wholly outside about {claimed:g}× ({band}) and "
                                           f"does not exclude no speed-up", band)
    return Judgement("inconclusive", f"the {interval} holds values within and outside {band}", band)


def fewer_steps(a_steps, b_steps, *, cap: float, paired: bool = True) -> Judgement:
    """"A converges faster than B" from per-seed steps to a threshold; NaN is a censored run
    (it never reached the threshold within its ``cap`` steps): not a number. Without censoring,
    ``beats`` on the steps (B − A). With censoring, *inconclusive* unless the censoring itself
    decides it: every run of A reached the threshold before any run of B did or could have
    (*reproduced*), or the reverse (*not reproduced*)."""
    a, b = np.asarray(a_steps, float), np.asarray(b_steps, float)
    a_hit, b_hit = ~np.isnan(a), ~np.isnan(b)
    if not a_hit.any() and not b_hit.any():
        return Judgement("inconclusive", f"neither variant reached the threshold within {cap:,.0f} steps")
    if a_hit.all() and b_hit.all():
        judged = beats(b, a, unit="steps", paired=paired)
        return Judgement(judged.verdict, f"steps to the threshold, the other minus this: {judged.why}")

    def first_possible(steps, hit):       # the earliest step at which any run of the arm reached it (or could have)
        return min(steps[hit].min() if hit.any() else np.inf, cap if not hit.all() else np.inf)

    reached = lambda steps, hit: f"{int(hit.sum())} of {len(steps)} runs reached it"
    if a_hit.all() and a.max() < first_possible(b, b_hit):
        return Judgement("reproduced", f"decided by the censoring: every run reached the threshold by step "
                                       f"{a.max():,.0f}, before any run of the other did or could have "
                                       f"({reached(b, b_hit)} within {cap:,.0f})")
    if b_hit.all() and b.max() < first_possible(a, a_hit):
        return Judgement("not reproduced", f"decided by the censoring, reversed: every run of the other reached the "
                                           f"threshold by step {b.max():,.0f}, before any run of this one "
                                           f"({reached(a, a_hit)} within {cap:,.0f})")
    return Judgement("inconclusive", f"rests on censored runs: this {reached(a, a_hit)}, the other "
                                     f"{reached(b, b_hit)} within {cap:,.0f} steps")


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
                     unmeasured: str = "") -> Judgement:
    """"Local receptive fields and shared weights need fewer parameters" (``shared`` against the
    same network ``fully_connected``: a count, it holds or not), and where the claim goes on,
    "... yet does better than a fully connected network" (``beats`` on per-run test accuracies
    ``a`` against ``b``, unpaired: different models) or a part this book does not measure
    (``unmeasured``, its words: inconclusive). Combined by ``all_of``."""
    parts = {"fewer parameters": fact(shared < fully_connected,
                                      f"{shared:,} with shared local weights, {fully_connected:,} fully connected")}
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
        steadier = Judgement("reproduced", f"{what}: varies less, one-sided p = {spread['p_less']:.3f}")
    elif spread["p_more"] < stats.ALPHA:
        steadier = Judgement("not reproduced", f"{what}: varies more, one-sided p = {spread['p_more']:.3f}")
    else:
        steadier = Judgement("inconclusive", f"{what}: neither less nor more spread at 5% (p = {spread['p_less']:.2f})")
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


def observed(count: int, total: int, what: str) -> Judgement:
    """A phenomenon the paper reports, seen in at least one of ``total`` runs or in none."""
    if count:
        return Judgement("reproduced", f"{what} in {count} of {total} runs")
    return Judgement("not reproduced", f"{what} in none of {total} runs")


def all_of(parts: dict) -> Judgement:
    """Combine the parts of a compound claim (all must hold): reproduced when every part is;
    a refuted part refutes the whole (not reproduced), or makes it partially reproduced where
    another part holds; partially when a part is partially reproduced; inconclusive otherwise
    (some part undecided, none refuted)."""
    verdicts = {j.verdict for j in parts.values()}
    why = "; ".join(f"{name}: {j.verdict} ({j.why})" for name, j in parts.items())
    margins = "; ".join(dict.fromkeys(f"{name} {j.margin}" for name, j in parts.items() if j.margin))
    holds = verdicts & {"reproduced", "partially reproduced"}
    if verdicts == {"reproduced"}:
        verdict = "reproduced"
    elif "not reproduced" in verdicts:
        verdict = "partially reproduced" if holds else "not reproduced"
    elif "partially reproduced" in verdicts:
        verdict = "partially reproduced"
    else:
        verdict = "inconclusive"
    return Judgement(verdict, why, margins)


def _plain(values: list) -> str:
    return ", ".join(f"{v:,}" if isinstance(v, (int, np.integer)) else str(v) for v in values)


# ------------------------------------------------------------------ declared tests
RULES = {f.__name__: f for f in (equivalent_to, at_least, best_reaches, both_match, beats, beats_each, ratio_about,
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
            return bool(converged), "convergence (some runs hit the epoch cap)"
        return True, ""


def evaluate(claim_id: str, rule: str, budget, *, iterations: int | None = None, converged=None,
             **evidence) -> Judgement:
    """Judge one claim by the test its entry declares: ``rule`` (a function of this module,
    given ``evidence``) at ``budget`` (see ``Budget``). Runs short of the declared budget
    cannot refute a claim where more training could move the value toward it: the accuracy
    rules decide that per arm (``converged`` may be ``{"before": bool, "after": bool}`` for
    ``both_match``); for the others a "not reproduced" or "partially reproduced" short of the
    budget is *inconclusive*."""
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
    shortfall = short(converged)
    if rule in DIRECTIONAL:
        return RULES[rule](**evidence, short_of=shortfall)
    judged = RULES[rule](**evidence)
    if shortfall and judged.verdict in NEGATIVE:
        return Judgement("inconclusive", f"{judged.why}; but the runs stopped short of {shortfall}", judged.margin)
    return judged
