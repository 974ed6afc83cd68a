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


def accuracy_matches(sample, paper_accuracy: float, *, at_paper_budget: bool = True,
                     converged: bool = True) -> Judgement:
    """A paper's accuracy against ours over seeds: reproduced inside our 95% CI or within the
    tolerance (``stats.tolerance``) of our mean; partially within twice the tolerance;
    inconclusive when below the paper after runs that stopped short of its budget or of
    convergence (they could still improve); otherwise not reproduced. For error rates pass
    ``1 - error``."""
    s = stats.mean_ci(sample)
    tol = stats.tolerance(paper_accuracy)
    distance = abs(paper_accuracy - s["mean"])
    inside = s["n"] > 1 and s["ci_low"] <= paper_accuracy <= s["ci_high"]
    if inside or distance <= tol:
        return Judgement("reproduced", f"the paper's {paper_accuracy:.4f} is within the interval or "
                                       f"{tol * 100:.1f} pp of our mean {s['mean']:.4f}")
    if s["mean"] < paper_accuracy and not (at_paper_budget and converged):
        short = "the paper's budget" if not at_paper_budget else "convergence"
        return Judgement("inconclusive", f"our mean {s['mean']:.4f} is below the paper's {paper_accuracy:.4f}, "
                                         f"but the runs stopped short of {short}")
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
        return Judgement("inconclusive", f"difference {d['diff']:+.4f} without a spread (fewer than two runs a side)")
    interval = f"95% CI {d['ci_low']:+.4f} to {d['ci_high']:+.4f}"
    if d["ci_low"] > 0:
        return Judgement("reproduced", f"the {interval} lies above zero")
    if d["ci_high"] < 0:
        return Judgement("not reproduced", f"reversed: the {interval} lies below zero")
    if -margin <= d["ci_low"] and d["ci_high"] <= margin:
        return Judgement("not reproduced", f"no difference: the {interval} lies within ±{margin:g}")
    return Judgement("inconclusive", f"the {interval} contains zero and differences beyond ±{margin:g}")


def ratio_about(per_seed_ratios, claimed: float, *, censored: bool = False) -> Judgement:
    """"A is about ``claimed`` times B" (e.g. converges 6× faster): reproduced when the claimed
    ratio lies in the 95% CI of the per-seed ratios; partially when the CI lies above 1 (faster,
    but not that much); not reproduced when it lies below 1; inconclusive otherwise, or when
    runs that never reached the threshold (``censored``) make the ratio a lower bound below
    the claim."""
    values = np.asarray(per_seed_ratios, float)
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return Judgement("inconclusive", "fewer than two per-seed ratios")
    s = stats.mean_ci(values)
    interval = f"95% CI {s['ci_low']:.1f} to {s['ci_high']:.1f}"
    if s["ci_low"] <= claimed <= s["ci_high"]:
        return Judgement("reproduced", f"the claimed {claimed:g}× lies in the {interval}")
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
