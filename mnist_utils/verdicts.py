"""Each chapter's verdicts on the papers' claims, written to a tidy file for the report.

A chapter tests its claims where the data are, and records one row per claim:
what it measured (with mean, 95% CI and n where there is a sample) and the verdict.
The report chapter reads these files with the claims file; it never recomputes them.
"""
from __future__ import annotations

import math

import pandas as pd

from . import claims, paths, rules, stats
from .results import read as read_results, write as write_results
from .rules import VERDICTS


def verdicts_file(profile: str, chapter: str):
    """Where a chapter writes its verdicts (the record's folder only under the runner)."""
    return paths.results_dir(profile) / "verdicts" / f"{chapter}.csv"


class Verdicts:
    """Collect a chapter's verdicts; ``save()`` writes them atomically."""

    def __init__(self, profile: str, chapter: str):
        self.profile, self.chapter, self.rows = profile, chapter, []

    def add(self, claim_id: str, measured: str, verdict: str, sample=None, how: str = "") -> str:
        """Record one claim; ``sample`` (per-seed values) adds mean, CI and n."""
        claims.claim(claim_id)  # raises on an unknown id: a typo must not pass silently
        if verdict not in VERDICTS:
            raise ValueError(f"verdict={verdict!r} for {claim_id}: must be one of {', '.join(VERDICTS)}")
        summary = stats.mean_ci(sample) if sample is not None else {}
        self.rows.append({
            "claim_id": claim_id, "chapter": self.chapter, "measured": measured, "verdict": verdict,
            "n": summary.get("n"), "mean": summary.get("mean"),
            "ci_low": summary.get("ci_low"), "ci_high": summary.get("ci_high"), "how": how,
        })
        return verdict

    def accuracy(self, claim_id: str, sample, paper_accuracy: float, how: str = "", *,
                 at_paper_budget: bool = True, converged: bool = True) -> str:
        """The book's accuracy rule (``rules.accuracy_matches``), with the sample recorded."""
        judged = rules.accuracy_matches(sample, paper_accuracy, at_paper_budget=at_paper_budget, converged=converged)
        return self.add(claim_id, stats.fmt_ci(stats.mean_ci(sample)), judged.verdict, sample=sample,
                        how=f"{how}; {judged.why}" if how else judged.why)

    def not_testable(self, claim_id: str, why: str) -> str:
        """A claim whose inputs these parameters do not produce (e.g. no Sigmoid runs)."""
        return self.add(claim_id, f"not testable with these parameters: {why}", "not testable", how=why)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def save(self) -> pd.DataFrame:
        frame = self.frame()
        write_results(frame, verdicts_file(self.profile, self.chapter))
        return frame


def sign_verdict(ci_low: float, ci_high: float) -> str:
    """For "A is better than B" claims: reproduced when the CI of A - B lies above zero."""
    if math.isnan(ci_low) or math.isnan(ci_high):
        return "not testable"
    if ci_low > 0:
        return "reproduced"
    return "not reproduced"


def read_all(profile: str) -> pd.DataFrame:
    """Every chapter's verdicts for one profile."""
    folders = {paths.results_dir(profile) / "verdicts", paths.RESULTS / profile / "verdicts"}
    chapters = sorted({f.stem for folder in folders if folder.exists() for f in folder.glob("*.csv")})
    if not chapters:
        raise FileNotFoundError(f"{paths.RESULTS / profile / 'verdicts'}: no verdict files (execute the chapters first)")
    return pd.concat([read_results(paths.find_verdicts(profile, c)) for c in chapters], ignore_index=True)
