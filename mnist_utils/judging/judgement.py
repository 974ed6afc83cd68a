"""What a rule returns: a ``Judgement`` (a verdict of the book's vocabulary, why, the margin, the
p-value it rests on), the helpers that write a quantity in its unit, and the rules of facts and
observations, which need no statistics. The vocabulary is explained in ``rules``.
"""
from __future__ import annotations

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


