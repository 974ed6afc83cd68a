"""Sequential plans of seeds (claims file ``sequential_plans:``): a claim its first seeds left
undecided is judged at each declared stage n on seeds 0 to n − 1, at the alpha of that look,
and the first look that decides stands. Per-seed evidence is cut to a look's seeds here; the
rules themselves never know about looks (``stats.significance`` sets their level)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import rules, stats


def _is_per_seed(value) -> bool:
    """A one-dimensional array of numbers (one per seed), as the rules take them."""
    if isinstance(value, (np.ndarray, pd.Series)):
        return value.ndim == 1
    return isinstance(value, list) and all(isinstance(v, (int, float, bool, np.number, np.bool_)) for v in value)


def seed_count(evidence: dict) -> int:
    """How many seeds the per-seed arrays of a rule's evidence hold (pairs are tuples of arrays,
    several comparisons a dict of them): the longest."""
    def lengths(value):
        if isinstance(value, dict):
            return [n for v in value.values() for n in lengths(v)]
        if isinstance(value, tuple):
            return [n for v in value for n in lengths(v)]
        return [len(value)] if _is_per_seed(value) else []
    return max(lengths(evidence), default=0)


def first_seeds(evidence, n: int, total: int):
    """``evidence`` with every per-seed array of ``total`` values cut to its first ``n`` (the
    seeds 0 to n − 1 of a plan's look: the chapters list seeds in order)."""
    if isinstance(evidence, dict):
        return {k: first_seeds(v, n, total) for k, v in evidence.items()}
    if isinstance(evidence, tuple):
        return tuple(first_seeds(v, n, total) for v in evidence)
    if _is_per_seed(evidence) and len(evidence) == total:
        return evidence.iloc[:n] if isinstance(evidence, pd.Series) else evidence[:n]
    return evidence


def judge_by_looks(claim_id: str, plan: dict, evidence: dict, judge) -> tuple[rules.Judgement, int, str, list[dict]]:
    """A claim of a sequential plan judged look by look (claims file ``sequential_plans:``): at
    each declared stage n that the runs reach, the rule on seeds 0 to n − 1 at the plan's alpha
    per look; the first look that decides (any verdict but inconclusive) is the verdict, else
    the last look's. Returns the judgement, its n, what the reader is told of the looks, and one
    row per look taken. Runs short of the first stage are the pilot, judged at 5% as before.
    ``judge(claim_id, **evidence)`` is the declared test (``verdicts.judgement``)."""
    total, stages, alphas = seed_count(evidence), plan["stages"], look_alphas(plan)
    taken = [n for n in stages if n <= total]
    if not taken:
        return judge(claim_id, **evidence), total, PILOT.format(n=total, first=stages[0]), []
    looks = []
    for k, (n, alpha) in enumerate(zip(taken, alphas), 1):
        with stats.significance(alpha):
            judged = judge(claim_id, **first_seeds(evidence, n, total))
        looks.append({"claim_id": claim_id, "plan": plan["id"], "look": k, "of": len(stages), "n": n, "alpha": alpha,
                      "verdict": judged.verdict, "gist": judged.gist or judged.why})
        if judged.verdict != "inconclusive":
            return judged, n, DECIDED.format(k=k, of=len(stages), n=n, alpha=alpha), looks
    following = stages[len(taken)] if len(taken) < len(stages) else None
    said = (CAP if taken[-1] == plan["cap"] else WAITING).format(k=len(taken), of=len(stages), n=taken[-1],
                                                                  alpha=alpha, next=following)
    return judged, taken[-1], said, looks


def look_alphas(plan: dict) -> list[float]:
    """The alpha of each of a plan's looks, in the order of its stages: the plan's own
    ``alpha_per_look``, then each extension's for the stages it adds (``claims.sequential_plans``)."""
    return [look["alpha"] for look in plan["looks"]] if "looks" in plan else [plan["alpha_per_look"]] * len(plan["stages"])


# What a reader is told of a plan's looks (the verdict files' ``look``), and how it reads back.
PILOT = "the pilot (n = {n}); its plan's first look is at n = {first}"
DECIDED = "decided at look {k} of {of} (n = {n}, α = {alpha:g} per look)"
CAP = "undecided at the cap, look {k} of {of} (n = {n}, α = {alpha:g} per look)"
WAITING = "undecided at look {k} of {of} (n = {n}, α = {alpha:g} per look); the plan's next stage is n = {next}"
_STANDINGS = {"decided": DECIDED, "cap": CAP, "waiting": WAITING, "pilot": PILOT}
# Each template as a pattern that reads its fields back: "{k}" -> (?P<k>...), "{alpha:g}" -> (?P<alpha>...).
_READ_BACK = {state: re.compile("^" + re.sub(r"\\\{(\w+)(?::g)?\\\}", lambda m: f"(?P<{m[1]}>[^ ;)]+)",
                                             re.escape(template)) + "$")
              for state, template in _STANDINGS.items()}


def standing(said) -> tuple[str, int, int]:
    """Where a claim stands, read back from what ``judge_by_looks`` said: ("decided", "cap",
    "waiting" or "pilot", the look, the looks declared); ("", 0, 0) for a claim of no plan."""
    for state, pattern in _READ_BACK.items():
        found = pattern.match(str(said or ""))
        if found:
            fields = found.groupdict()
            return state, int(fields.get("k", 0)), int(fields.get("of", 0))
    return "", 0, 0
