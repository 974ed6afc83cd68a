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

from dataclasses import dataclass

import numpy as np

from . import stats
from .comparisons import (
    beats,
    beats_by,
    beats_each,
    differs,
    fewer_parameters,
    fewer_steps,
    fewer_steps_each,
    ratio_about,
    steadier_and_better,
    tuning_improves,
    unstable_each,
)
from .judgement import (
    HOLDS,
    NEGATIVE,
    UNITS,
    VERDICTS,
    Judgement,
    _one_sided_pair,
    _signed,
    _size,
    _size_of_test,
    _two_sided,
    all_of,
    equals,
    fact,
    not_testable,
    observed,
)

# The rules and the vocabulary, in one place for the claims file and the chapters.
__all__ = ["HOLDS", "NEGATIVE", "UNITS", "VERDICTS", "Budget", "Judgement", "RULES", "all_of", "at_least",
           "beats", "beats_by", "beats_each", "best_reaches", "both_match", "differs", "equals",
           "equivalent_to", "evaluate", "fact", "fewer_parameters", "fewer_steps", "fewer_steps_each",
           "not_testable", "observed", "ratio_about", "steadier_and_better", "tuning_improves", "unstable_each"]


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
