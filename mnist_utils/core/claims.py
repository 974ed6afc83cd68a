"""The papers' reported values, read from ``data/paper_claims.yaml``.

Paper numbers reach the book only through this module, and always labelled as
the paper's, so a reader can tell a reported value from a measured one.
"""
from __future__ import annotations

from functools import lru_cache

import yaml

from . import paths


class ClaimError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; keep it one plain line
        return self.args[0]


@lru_cache(maxsize=1)
def load() -> dict:
    with open(paths.CLAIMS) as fh:
        return yaml.safe_load(fh)


def claim(claim_id: str) -> dict:
    """One claim (or context value from outside the papers) by id (see data/paper_claims.yaml)."""
    for entry in load()["claims"] + load().get("context", []):
        if entry["id"] == claim_id:
            return entry
    raise ClaimError(f"{paths.CLAIMS.name}: no claim with id {claim_id!r}")


def values(claim_id: str) -> list[float]:
    """The numbers of a numeric claim, as printed in the paper."""
    entry = claim(claim_id)
    if "values" not in entry:
        raise ClaimError(f"{paths.CLAIMS.name}: claim {claim_id!r} has no numeric values")
    return list(entry["values"])


def paper_accuracies(claim_id: str) -> list[float]:
    """A claim's values as test accuracies in (0, 1): fractions as printed, percents / 100,
    error rates (metric ``test_error``) as 1 − error."""
    entry = claim(claim_id)
    scale = 100.0 if entry.get("unit") == "percent" else 1.0
    accuracies = [v / scale for v in values(claim_id)]
    return [1 - a for a in accuracies] if entry.get("metric") == "test_error" else accuracies


def measure(claim_id: str) -> dict:
    """What a chapter measures for a claim's rule (``measure:``: thresholds and the like)."""
    return dict(claim(claim_id).get("measure", {}))


def protocol(protocol_id: str) -> dict:
    """A declared protocol for choices a paper leaves open (``protocols:``): what it leaves
    open, the grid, the seeds and budget, how the validation split chooses, what is judged."""
    for entry in load().get("protocols", []):
        if entry["id"] == protocol_id:
            return dict(entry)
    raise ClaimError(f"{paths.CLAIMS.name}: no protocol {protocol_id!r} under protocols:")


def error_control() -> dict:
    """How the claims file controls errors (``error_control:``): the α of each claim's test and
    the family view the report shows."""
    return dict(load()["error_control"])


def sequential_plans() -> list[dict]:
    """The declared sequential plans of seeds (``sequential_plans:``), each checked: stages that
    grow from the pilot to the cap, and an alpha per look. A plan's ``extensions`` (each declared
    later, before its runs, for a plan whose cap left a claim undecided) add stages, each with its
    own alpha: the plan returned holds every stage (``stages``, ``cap``) and ``looks``, one
    ``{"n", "alpha", "declared"}`` per stage (``"extension"``: the id of the extension that adds it)."""
    plans = [_with_extensions(dict(p)) for p in load().get("sequential_plans", [])]
    for plan in plans:
        stages = [plan["pilot"], *plan["stages"]]
        if stages != sorted(set(stages)) or stages[-1] != plan["cap"]:
            raise ClaimError(f"{paths.CLAIMS.name}: sequential plan {plan['id']!r}: pilot {plan['pilot']}, stages "
                             f"{plan['stages']} and cap {plan['cap']} must grow strictly and end at the cap")
        for look in plan["looks"]:
            if not 0 < look["alpha"] <= 0.05:
                raise ClaimError(f"{paths.CLAIMS.name}: sequential plan {plan['id']!r}: alpha_per_look="
                                 f"{look['alpha']!r} (look at n = {look['n']}) must be in (0, 0.05]")
        for claim_id in plan["claims"]:
            claim(claim_id)      # an unknown id is a typo
    return plans


def _with_extensions(plan: dict) -> dict:
    """``plan`` with its extensions' stages appended to its own (see ``sequential_plans``)."""
    looks = [{"n": n, "alpha": plan["alpha_per_look"], "declared": plan["declared"], "extension": ""}
             for n in plan["stages"]]
    for extension in plan.get("extensions", []):
        looks += [{"n": n, "alpha": extension["alpha_per_look"], "declared": extension["declared"],
                   "extension": extension["id"]} for n in extension["stages"]]
        strays = sorted(set(extension.get("claims", [])) - set(plan["claims"]))
        if strays:
            raise ClaimError(f"{paths.CLAIMS.name}: extension {extension['id']!r} of plan {plan['id']!r}: "
                             f"claims {strays} are not the plan's")
        if extension["cap"] != extension["stages"][-1]:
            raise ClaimError(f"{paths.CLAIMS.name}: extension {extension['id']!r} of plan {plan['id']!r}: "
                             f"cap {extension['cap']} is not its last stage {extension['stages'][-1]}")
    cap = plan["extensions"][-1]["cap"] if plan.get("extensions") else plan["cap"]
    return {**plan, "stages": [look["n"] for look in looks], "cap": cap, "looks": looks}


def sequential_plan(claim_id: str) -> dict | None:
    """The sequential plan that governs ``claim_id``'s seeds, or None."""
    found = [p for p in sequential_plans() if claim_id in p["claims"]]
    if len(found) > 1:
        raise ClaimError(f"{paths.CLAIMS.name}: claim {claim_id!r} is in two sequential plans: "
                         f"{', '.join(p['id'] for p in found)}")
    return found[0] if found else None


def amendments() -> list[dict]:
    """Every declared change to a claim's test after its first verdict (``amendments:``)."""
    return list(load().get("amendments", []))


# What a claim's test is made of: a change to any of these after a verdict is an amendment.
TEST_FIELDS = ("rule", "rule_args", "budget", "measure")


def unamended_changes(first_judged: dict, amendments: list[dict]) -> list[str]:
    """The changes to a claim's test that no amendment names: ``first_judged`` maps a claim id
    to ``(date, entry)``, the entry as the claims file had it when a verdict on the claim was
    first recorded (on that date, ``YYYY-MM-DD``); an amendment names a change when it lists the
    claim and is dated on or after that day. One line per unlisted change."""
    missing = []
    for claim_id, (date, then) in sorted(first_judged.items()):
        now = claim(claim_id)
        changed = [f for f in TEST_FIELDS if then.get(f) != now.get(f)]
        named = any(claim_id in a["claims"] and str(a["date"]) >= str(date) for a in amendments)
        if changed and not named:
            missing.append(f"{claim_id}: {', '.join(f'{f} {then.get(f)!r} -> {now.get(f)!r}' for f in changed)} "
                           f"(first judged {date}) and no amendment names it")
    unknown = sorted({c for a in amendments for c in a["claims"]} - {c["id"] for c in load()["claims"]})
    return missing + [f"{c}: an amendment names a claim the file does not have" for c in unknown]


def for_chapter(chapter: str) -> list[dict]:
    """Every claim a chapter tests, in file order."""
    return [c for c in load()["claims"] if c.get("chapter") == chapter]
