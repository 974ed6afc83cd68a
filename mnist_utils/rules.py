"""The verdict rules: every claim's test is one of these functions, declared before the
measurement in ``data/paper_claims.yaml`` (``test: {rule: ..., ...}``).

The vocabulary, the same everywhere in the book:

- *reproduced*: the measurement agrees with the claim (rule by rule below);
- *partially reproduced*: it agrees in direction or within twice the tolerance;
- *not reproduced*: the evidence contradicts the claim (a finding, not a failure to run);
- *inconclusive*: the evidence cannot decide: the confidence interval spans both the claim
  and its negation, or the runs stopped short of the paper's budget or of convergence
  while still below the paper's value;
- *not testable*: the paper's value was lost, or the claim is not measurable.

``±`` in the book is the half-width of the 95% Student-t confidence interval of a mean
over seeds (``stats.mean_ci``), never a standard deviation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import stats

VERDICTS = ("reproduced", "partially reproduced", "not reproduced", "inconclusive", "not testable")
# A difference smaller than this (in accuracy, 0.1 percentage points: 10 test digits) is no
# difference worth a claim: an interval inside ±EQUIVALENCE_MARGIN refutes "A beats B".
EQUIVALENCE_MARGIN = 0.001


@dataclass(frozen=True)
class Judgement:
    verdict: str
    why: str                        # one sentence a reader can check against the numbers

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict={self.verdict!r}: must be one of {', '.join(VERDICTS)}")


def accuracy_matches(sample, paper_accuracy: float, *, short_of: str = "") -> Judgement:
    """A paper's accuracy against ours over seeds: reproduced inside our 95% CI or within the
    tolerance (``stats.tolerance``) of our mean; partially within twice the tolerance;
    inconclusive with a single run outside the tolerance (no interval to judge it by);
    inconclusive when below the paper after runs that stopped ``short_of`` the paper's budget or
    of convergence (they could still improve); otherwise not reproduced. For error rates pass
    ``1 - error``."""
    s = stats.mean_ci(sample)
    tol = stats.tolerance(paper_accuracy)
    distance = abs(paper_accuracy - s["mean"])
    inside = s["n"] > 1 and s["ci_low"] <= paper_accuracy <= s["ci_high"]
    if inside or distance <= tol:
        return Judgement("reproduced", f"the paper's {paper_accuracy:.4f} is within the interval or "
                                       f"{tol * 100:.1f} pp of our mean {s['mean']:.4f}")
    if s["n"] < 2:   # one run has no interval: it can confirm a value, not refute one
        return Judgement("inconclusive", f"one run ({s['mean']:.4f}) is {distance * 100:.2f} pp from the paper's "
                                         f"{paper_accuracy:.4f}, and one run has no interval")
    if s["mean"] < paper_accuracy and short_of:
        return Judgement("inconclusive", f"our mean {s['mean']:.4f} is below the paper's {paper_accuracy:.4f}, "
                                         f"but the runs stopped short of {short_of}")
    if distance <= 2 * tol:
        return Judgement("partially reproduced", f"our mean {s['mean']:.4f} is within twice the tolerance "
                                                 f"({2 * tol * 100:.1f} pp) of the paper's {paper_accuracy:.4f}")
    return Judgement("not reproduced", f"our mean {s['mean']:.4f} is {distance * 100:.2f} pp from the paper's "
                                       f"{paper_accuracy:.4f} (tolerance {tol * 100:.1f} pp)")


def beats(a, b, *, margin: float = EQUIVALENCE_MARGIN) -> Judgement:
    """"A is better than B" from per-seed values: reproduced when the 95% CI of mean(a) −
    mean(b) (Welch) lies above zero; not reproduced when it lies below zero (reversed) or
    inside ±``margin`` (no difference worth the claim); inconclusive otherwise (the interval
    holds both the claim and its negation) and with fewer than two values a side."""
    d = stats.difference(a, b)
    if math.isnan(d["ci_low"]):
        return Judgement("inconclusive", f"difference {d['diff']:+.4g} without a spread (fewer than two runs a side)")
    interval = f"95% CI {d['ci_low']:+.4g} to {d['ci_high']:+.4g}"
    if d["ci_low"] > 0:
        return Judgement("reproduced", f"the {interval} lies above zero")
    if d["ci_high"] < 0:
        return Judgement("not reproduced", f"reversed: the {interval} lies below zero")
    if -margin <= d["ci_low"] and d["ci_high"] <= margin:
        return Judgement("not reproduced", f"no difference: the {interval} lies within ±{margin:g}")
    beyond = f" and differences beyond ±{margin:g}" if margin else ""
    return Judgement("inconclusive", f"the {interval} contains zero{beyond}")


def ratio_about(per_seed_ratios, claimed: float, *, censored: bool = False) -> Judgement:
    """"A is about ``claimed`` times B" (e.g. converges 6× faster): reproduced when the claimed
    ratio lies in the 95% CI of the per-seed ratios and the CI lies above 1; partially when the CI
    lies above 1 but excludes the claim (faster,
    but not that much); not reproduced when it lies below 1; inconclusive otherwise, or when
    runs that never reached the threshold (``censored``) make the ratio a lower bound below
    the claim."""
    values = np.asarray(per_seed_ratios, float)
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return Judgement("inconclusive", "fewer than two per-seed ratios")
    s = stats.mean_ci(values)
    interval = f"95% CI {s['ci_low']:.1f} to {s['ci_high']:.1f}"
    if s["ci_low"] <= claimed <= s["ci_high"] and s["ci_low"] > 1:
        return Judgement("reproduced", f"the claimed {claimed:g}× lies in the {interval}")
    if s["ci_low"] <= claimed <= s["ci_high"]:
        return Judgement("inconclusive", f"the {interval} holds the claimed {claimed:g}× and no speed-up at all")
    if censored and s["ci_high"] < claimed:
        return Judgement("inconclusive", f"a lower bound ({interval}): some runs never reached the threshold")
    if s["ci_low"] > 1:
        return Judgement("partially reproduced", f"faster, but the {interval} excludes {claimed:g}×")
    if s["ci_high"] < 1:
        return Judgement("not reproduced", f"slower: the {interval} lies below 1")
    return Judgement("inconclusive", f"the {interval} contains 1")


def fact(holds: bool, what: str) -> Judgement:
    """A data fact (file names, counts, sizes): it holds or it does not."""
    return Judgement("reproduced" if holds else "not reproduced", what)


def not_testable(why: str) -> Judgement:
    return Judgement("not testable", why)


def equals(value, expected) -> Judgement:
    """A fact about the data (counts, shapes, values): it matches exactly or it does not."""
    value, expected = list(np.atleast_1d(value)), list(np.atleast_1d(expected))
    return fact(value == expected, f"measured {_plain(value)}, paper {_plain(expected)}")


def best_reaches(sample, paper_accuracy: float, *, paper_runs: int) -> Judgement:
    """"Our best run reaches the paper's best" (the best of ``paper_runs``): reproduced when the
    best of our seeds lies within the tolerance of the paper's best or above it; inconclusive
    when it does not and we have fewer runs than the paper picked its best from."""
    values = np.asarray(sample, float)
    best, tol = float(np.nanmax(values)), stats.tolerance(paper_accuracy)
    if best >= paper_accuracy - tol:
        return Judgement("reproduced", f"our best {best:.4f} is within {tol * 100:.1f} pp of the paper's "
                                       f"{paper_accuracy:.4f} or above it")
    if len(values) < paper_runs:
        return Judgement("inconclusive", f"our best {best:.4f} of {len(values)} run(s) is below the paper's "
                                         f"{paper_accuracy:.4f}, the best of {paper_runs}")
    return Judgement("not reproduced", f"our best {best:.4f} is {(paper_accuracy - best) * 100:.2f} pp below the "
                                       f"paper's {paper_accuracy:.4f}")


def both_match(before, paper_before: float, after, paper_after: float) -> Judgement:
    """A change from one accuracy to another (e.g. error 2% → 0.7%): both ends by
    ``accuracy_matches``."""
    return all_of({"before": accuracy_matches(before, paper_before), "after": accuracy_matches(after, paper_after)})


def beats_each(pairs: dict) -> Judgement:
    """Several "A beats B" at once ({name: (a, b)}): ``beats`` for each, combined by ``all_of``."""
    return all_of({name: beats(a, b) for name, (a, b) in pairs.items()})


def fewer_steps(a_steps, b_steps, *, cap: float) -> Judgement:
    """"A converges faster than B" from per-seed steps to a threshold (NaN: never reached
    within ``cap`` steps). Inconclusive when neither reaches it; a run that never reached it
    counts as ``cap`` steps (a lower bound), so B never reaching it while A does is evidence
    for the claim."""
    a, b = np.asarray(a_steps, float), np.asarray(b_steps, float)
    if np.isnan(a).all() and np.isnan(b).all():
        return Judgement("inconclusive", f"neither variant reached the threshold within {cap:,.0f} steps")
    if np.isnan(a).all():
        return Judgement("not reproduced", f"only the other variant reached the threshold within {cap:,.0f} steps")
    judged = beats(np.nan_to_num(b, nan=cap), np.nan_to_num(a, nan=cap), margin=0)
    return Judgement(judged.verdict, f"steps to the threshold (never = {cap:,.0f}), the other minus this: {judged.why}")


def fewer_steps_each(pairs: dict, *, cap: float) -> Judgement:
    """Several "A converges faster than B" at once ({name: (a_steps, b_steps)})."""
    return all_of({name: fewer_steps(a, b, cap=cap) for name, (a, b) in pairs.items()})


def observed(count: int, total: int, what: str) -> Judgement:
    """A phenomenon the paper reports, seen in at least one of ``total`` runs or in none."""
    if count:
        return Judgement("reproduced", f"{what} in {count} of {total} runs")
    return Judgement("not reproduced", f"{what} in none of {total} runs")


def all_of(parts: dict) -> Judgement:
    """Combine the judgements of a compound claim: reproduced when every part is; not
    reproduced when no part is and one contradicts it; partially when some parts are and
    others are not; inconclusive otherwise."""
    verdicts = {j.verdict for j in parts.values()}
    why = "; ".join(f"{name}: {j.verdict} ({j.why})" for name, j in parts.items())
    if verdicts == {"reproduced"}:
        return Judgement("reproduced", why)
    if "reproduced" in verdicts or "partially reproduced" in verdicts:
        return Judgement("partially reproduced", why)
    if "not reproduced" in verdicts:
        return Judgement("not reproduced", why)
    return Judgement("inconclusive", why)


def _plain(values: list) -> str:
    return ", ".join(f"{v:,}" if isinstance(v, (int, np.integer)) else str(v) for v in values)


# ------------------------------------------------------------------ declared tests
RULES = {f.__name__: f for f in (accuracy_matches, best_reaches, both_match, beats, beats_each, ratio_about,
                                   fewer_steps, fewer_steps_each, observed, equals)}


@dataclass(frozen=True)
class Budget:
    """What a claim's test declares about the training it needs (``budget:`` in the claims file):
    ``{iterations: N}`` (the paper's budget), ``convergence`` (until validation stops
    improving), or ``as_run`` (the chapter's own budget: the claim is about speed or shape)."""
    kind: str
    iterations: int = 0

    @classmethod
    def parse(cls, declared, claim_id: str) -> "Budget":
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
            return iterations >= self.iterations, f"the paper's {self.iterations:,} iterations (ran {iterations:,})"
        if self.kind == "convergence":
            if converged is None:
                raise ValueError("this claim is judged at convergence: pass converged=")
            return bool(converged), "convergence (some runs hit the epoch cap)"
        return True, ""


def evaluate(claim_id: str, rule: str, budget, *, iterations: int | None = None, converged: bool | None = None,
             **evidence) -> Judgement:
    """Judge one claim by the test its entry declares: ``rule`` (a function of this module,
    given ``evidence``) at ``budget`` (see ``Budget``). Runs short of the declared budget
    cannot refute a claim: what would be "not reproduced" or "partially reproduced" there is
    *inconclusive*."""
    if rule == "not_testable":
        return not_testable(evidence.get("why", "declared not testable"))
    if rule not in RULES:
        raise ValueError(f"claim {claim_id}: rule={rule!r}: unknown (known: {', '.join(RULES)})")
    met, short = Budget.parse(budget, claim_id).met(iterations=iterations, converged=converged)
    if rule == "accuracy_matches":   # an accuracy above the paper's stays refuted at any budget
        return accuracy_matches(**evidence, short_of="" if met else short)
    judged = RULES[rule](**evidence)
    if not met and judged.verdict in ("not reproduced", "partially reproduced"):
        return Judgement("inconclusive", f"{judged.why}; but the runs stopped short of {short}")
    return judged
