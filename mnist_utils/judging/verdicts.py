"""Each chapter's verdicts on the papers' claims, written to a tidy file for the report.

A chapter tests its claims where the data are, and records one row per claim: what it
measured (with mean, 95% CI and n where there is a sample), the budget it ran at, and the
verdict of the test the claims file declares for it (``Verdicts.judge``): no chapter decides
a verdict itself.
The report chapter reads these files with the claims file; it never recomputes them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..core import claims, names, paths
from . import rules, stats
from .results import read as read_results
from .results import write as write_results
from .sequential import first_seeds, judge_by_looks, seed_count


def verdicts_file(profile: str, chapter: str):
    """Where a chapter writes its verdicts (the record's folder only under the runner)."""
    return paths.results_dir(profile) / "verdicts" / f"{chapter}.csv"


def judgement(claim_id: str, **evidence) -> rules.Judgement:
    """The verdict on one claim by the test its entry declares, recorded nowhere (``Verdicts.judge``
    records it; this also serves a second look at the same claim, e.g. on another backend). The
    paper's values and the margins of accuracy rules come from the claims file, never from a chapter."""
    entry = claims.claim(claim_id)  # raises on an unknown id: a typo must not pass silently
    if "rule" not in entry:
        raise claims.ClaimError(f"{paths.CLAIMS.name}: claim {claim_id!r} declares no rule")
    rule, args = entry["rule"], dict(entry.get("rule_args", {}))
    if rule in rules.PAPER_VALUE_RULES and entry.get("values"):   # a floor of the claim's words ("most") has none
        args = paper_arguments(claim_id, rule, args)
    if "size_from" in args:      # "greatly better": the paper's own improvement, from the claim that prints it
        before, after = claims.paper_accuracies(args.pop("size_from"))
        args |= {"size": after - before, "size_margin": stats.accuracy_margin([before])}
    return rules.evaluate(claim_id, rule, entry.get("budget"), **args, **evidence)


def paper_arguments(claim_id: str, rule: str, args: dict) -> dict:
    """The paper's side of an accuracy rule: its value(s) from the claim and the margin from
    ``stats.accuracy_margin`` of the paper's values (of ``margin_from``'s claim where declared);
    with ``two_sample: true`` the paper's printed runs themselves, for a Welch comparison."""
    paper = claims.paper_accuracies(claim_id)
    source = claims.paper_accuracies(args.pop("margin_from", claim_id))
    if rule == "both_match":
        before, after = paper
        return {**args, "paper_before": before, "paper_after": after,
                "margin_before": stats.accuracy_margin([before]), "margin_after": stats.accuracy_margin([after])}
    value = {"equivalent_to": sum(paper) / len(paper), "at_least": min(paper), "best_reaches": max(paper)}[rule]
    if args.pop("two_sample", False):      # the paper prints its runs: our runs against them (Welch)
        args["paper_runs"] = paper
    return {**args, "floor" if rule == "at_least" else "paper_accuracy": value,
            "margin": stats.accuracy_margin(source)}


@dataclass(frozen=True)
class Evidence:
    """What decides one claim: the reader's summary of the measurement (``measured``) and the
    inputs of the rule the claims file declares for it (``found``), or, where these parameters
    do not produce them, why (``missing``: the claim is then not testable), or why they cannot
    decide it for a reason the rule does not see (``undecided``: inconclusive). ``explanation``:
    what explains the verdict, recorded with it."""

    measured: str = ""
    found: dict = field(default_factory=dict)
    missing: str = ""
    explanation: str = ""
    undecided: str = ""

    @classmethod
    def absent(cls, why: str) -> Evidence:
        return cls(missing=why)


class Verdicts:
    """Collect a chapter's verdicts; ``save()`` writes them atomically."""

    def __init__(self, profile: str, chapter: str):
        self.profile, self.chapter, self.rows, self.second_looks = profile, chapter, [], []
        self.plan_looks: list[dict] = []     # every look of a sequential plan taken here

    def judge(self, claim_id: str, measured: str, *, per_seed=None, ran: str = "", finding: str = "",
              **evidence) -> str:
        """Judge a claim by the test its entry in the claims file declares (``rule``,
        ``rule_args``, ``budget``: see ``rules.evaluate``) and record it. ``measured`` is the
        reader's summary of the evidence, ``per_seed`` values (by default the rule's ``sample``) add
        mean, CI and n to the row, and ``ran`` says at which budget the runs were made. ``finding``
        names the set-up where a claim has two findings (the paper's evident set-up and a chosen one)."""
        return self._judge(self.rows, claim_id, measured, per_seed, ran, finding, evidence)

    def decide(self, claim_id: str, evidence: Evidence, *, second_look: bool = False) -> str:
        """A chapter's deciding line: ``claim_id`` judged on ``evidence`` by the rule the claims file
        declares for it (``judge``; with ``second_look``, recorded apart as ``second_look`` does),
        or recorded as not testable where the evidence is missing."""
        if evidence.missing:
            return self.not_testable(claim_id, evidence.missing)
        if evidence.undecided:
            return self.undecided(claim_id, evidence.measured, evidence.undecided)
        record = self.second_look if second_look else self.judge
        verdict = record(claim_id, evidence.measured, **evidence.found)
        if evidence.explanation:
            self.explain(claim_id, evidence.explanation, finding=evidence.found.get("finding", ""))
        return verdict

    def second_look(self, claim_id: str, measured: str, *, ran: str, per_seed=None, finding: str = "",
                    **evidence) -> str:
        """Judge a claim by the same declared test on runs outside the book of record (e.g. the
        paper profile's widths, trained on a GPU). Recorded apart (``read_second_looks``): the
        report lists it, the tally never counts it. A second look with a ``finding`` is the
        other finding of a headline claim: the headline shows it beside the verdict of record."""
        return self._judge(self.second_looks, claim_id, measured, per_seed, ran, finding, evidence)

    def explain(self, claim_id: str, explanation: str, *, finding: str = "") -> None:
        """Add what explains a recorded verdict (of record, or the second look of ``finding``)."""
        rows = [r for r in [*self.rows, *self.second_looks]
                if r["claim_id"] == claim_id and r["finding"] == finding]
        if not rows:
            raise claims.ClaimError(f"explain: no verdict on {claim_id!r} with finding {finding!r} is recorded")
        rows[-1]["explanation"] = explanation

    def _judge(self, into: list, claim_id: str, measured: str, per_seed, ran: str, finding: str, evidence: dict) -> str:
        per_seed = evidence.get("sample") if per_seed is None else per_seed
        plan = claims.sequential_plan(claim_id) if into is self.rows else None    # second looks: no plan
        if plan is not None and plan.get("profile", "cpu") != self.profile:
            plan = None       # a plan governs the seeds of the book of record's profile only
        if plan is None:
            if into is self.rows:
                self._on_the_pilot(claim_id, measured, per_seed, ran, evidence)
            return self._record(claim_id, measured, judgement(claim_id, **evidence), per_seed, ran, into=into,
                                finding=finding)
        total = seed_count(evidence)
        judged, n, look, looks = judge_by_looks(claim_id, plan, evidence, judgement)
        self.plan_looks += looks
        if per_seed is not None and len(per_seed) == total:
            per_seed = first_seeds(per_seed, n, total)
        return self._record(claim_id, measured, judged, per_seed, ran, into=into, finding=finding, look=look)

    def _on_the_pilot(self, claim_id: str, measured: str, per_seed, ran: str, evidence: dict) -> None:
        """A claim outside every plan whose runs a plan extended (its chapter's ``seeds``): judged
        of record on all of them, and again, as a second look, on the pilot's seeds it was first
        judged on, so that the report shows where the plan's runs moved it."""
        total = seed_count(evidence)
        for plan in claims.sequential_plans():
            extends = plan["parameter"] == {"chapter": self.chapter, "name": "seeds"}
            if extends and plan.get("profile", "cpu") == self.profile and total in plan["stages"]:
                pilot, sample = plan["pilot"], evidence.get("sample") if per_seed is None else per_seed
                self._record(claim_id, measured, judgement(claim_id, **first_seeds(evidence, pilot, total)),
                             None if sample is None else first_seeds(sample, pilot, total),
                             f"{ran}; the first {pilot} seeds, before a sequential plan added runs",
                             into=self.second_looks)

    def undecided(self, claim_id: str, measured: str, why: str) -> str:
        """A claim these runs cannot decide for a reason its rule does not see (e.g. the paper's
        grid holds no rate that the claim is about): inconclusive, with the reason."""
        claims.claim(claim_id)
        return self._record(claim_id, measured, rules.Judgement("inconclusive", why, gist=why))

    def not_testable(self, claim_id: str, why: str) -> str:
        """A claim whose inputs these parameters do not produce (e.g. no Sigmoid runs)."""
        claims.claim(claim_id)
        return self._record(claim_id, f"not testable with these parameters: {why}", rules.not_testable(why))

    def _record(self, claim_id: str, measured: str, judged: rules.Judgement, sample=None, ran: str = "",
                into: list | None = None, finding: str = "", look: str = "") -> str:
        summary = stats.mean_ci(sample) if sample is not None and len(sample) else {}
        (self.rows if into is None else into).append({
            "claim_id": claim_id, "chapter": self.chapter, "measured": measured, "verdict": judged.verdict,
            "n": summary.get("n"), "mean": summary.get("mean"),
            "ci_low": summary.get("ci_low"), "ci_high": summary.get("ci_high"), "how": judged.why, "budget": ran,
            "margin": judged.margin, "gist": judged.gist, "finding": finding, "explanation": "", "p_value": judged.p_value,
            "look": look,
        })
        return judged.verdict

    def recorded(self, claim_id: str, column: str = "verdict", default: str = "not tested",
                 finding: str | None = None) -> str:
        """What this chapter recorded for a claim (its verdict, ``how`` or ``margin``), for the prose:
        the verdict of record, or with ``finding`` the last verdict of that finding, of record or
        a second look."""
        rows = ([r for r in self.rows if r["claim_id"] == claim_id] if finding is None else
                [r for r in [*self.rows, *self.second_looks] if r["claim_id"] == claim_id and r["finding"] == finding])
        return str(rows[-1][column]) if rows else default

    def plan_table(self) -> pd.DataFrame:
        """This chapter's claims under a sequential plan as readers see them: each look taken
        (its n and verdict), the verdict of record and where the claim stands."""
        rows = []
        for row in self.rows:
            if not row.get("look"):
                continue
            taken = [look for look in self.plan_looks if look["claim_id"] == row["claim_id"]]
            rows.append({"claim": names.claim_label(row["claim_id"]),
                         "looks": "; ".join(f"n = {look['n']}: {look['verdict']}" for look in taken) or "none yet",
                         "verdict": row["verdict"], "where it stands": row["look"]})
        return pd.DataFrame(rows, columns=["claim", "looks", "verdict", "where it stands"])

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def save(self) -> pd.DataFrame:
        frame = self.frame()
        write_results(frame, verdicts_file(self.profile, self.chapter))
        second = paths.second_looks_file(self.profile, self.chapter)
        if self.second_looks:
            write_results(pd.DataFrame(self.second_looks), second)
        else:
            second.unlink(missing_ok=True)   # a rerun without those runs leaves no stale second look
        looks = paths.plan_looks_file(self.profile, self.chapter)
        if self.plan_looks:
            write_results(pd.DataFrame(self.plan_looks), looks)
        else:
            looks.unlink(missing_ok=True)
        return frame


def read_all(profile: str) -> pd.DataFrame:
    """Every chapter's verdicts for one profile."""
    frames = _per_chapter(profile, "verdicts", paths.find_verdicts)
    if not frames:
        raise FileNotFoundError(f"{paths.RESULTS / profile / 'verdicts'}: no verdict files (execute the chapters first)")
    table = pd.concat(frames, ignore_index=True)
    return table.reindex(columns=list(dict.fromkeys([*table.columns, "budget"])))  # files written before budgets


def read_second_looks(profile: str) -> pd.DataFrame:
    """Every chapter's second looks for one profile (``Verdicts.second_look``); empty when none."""
    columns = ["claim_id", "chapter", "measured", "verdict", "n", "mean", "ci_low", "ci_high", "how", "budget", "margin",
               "gist", "finding", "explanation", "p_value"]
    frames = _per_chapter(profile, "second_looks", paths.find_second_looks)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def second_look_changes(profile: str) -> pd.DataFrame:
    """The second looks whose verdict differs from the verdict of record on the same claim:
    claim, verdict of record, the second look's verdict and the runs it was made on."""
    looks = read_second_looks(profile)
    record = read_all(profile).set_index("claim_id")["verdict"]
    looks = looks[looks["claim_id"].isin(record.index)]
    changed = looks[looks["verdict"] != looks["claim_id"].map(record)]
    return pd.DataFrame({"claim": changed["claim_id"], "of record": changed["claim_id"].map(record),
                         "second look": changed["verdict"], "on": changed["budget"]}).reset_index(drop=True)


def _per_chapter(profile: str, folder: str, find) -> list[pd.DataFrame]:
    """The files of ``data/results/<profile>/<folder>/``, one per chapter, each read where
    ``find`` reads it (a rerun's own first, else the record's)."""
    folders = {paths.results_dir(profile) / folder, paths.RESULTS / profile / folder}
    chapters = sorted({f.stem for d in folders if d.exists() for f in d.glob("*.csv")})
    return [read_results(find(profile, c)) for c in chapters]


def claim_ledger(profile: str) -> pd.DataFrame:
    """Every result and data claim of the claims file beside the verdict a chapter recorded
    for it: ``measured``, ``n``, ``verdict``, ``how`` and ``ran`` (the budget that ran; the
    claims file's ``budget`` is the declared one). A claim no chapter judged is "not testable"
    where the claims file says so, else "not tested", with its reason as ``measured``."""
    entries = pd.DataFrame(claims.load()["claims"])
    recorded = read_all(profile).reindex(columns=["claim_id", "measured", "n", "verdict", "how", "budget", "margin",
                                                  "gist", "finding", "explanation", "p_value", "look"])
    ledger = entries[entries["role"].isin(["result", "data"])].merge(
        recorded.rename(columns={"budget": "ran"}), left_on="id", right_on="claim_id", how="left")
    ledger["verdict"] = ledger["verdict"].fillna(
        ledger["kind"].map(lambda k: "not testable" if k == "not_testable" else "not tested"))
    reason = ledger["reason"] if "reason" in ledger else pd.Series("", index=ledger.index)
    ledger["measured"] = ledger["measured"].fillna(reason.fillna(""))
    for column in ("ran", "margin", "gist", "finding", "explanation", "look"):     # text columns: empty, never NaN
        ledger[column] = ledger[column].map(lambda v: "" if pd.isna(v) else v)
    return ledger.reset_index(drop=True)


def amendments_table() -> pd.DataFrame:
    """The claims file's ``amendments:`` as a table for readers: when, which claims (with the
    paper's words that decide their rule), what changed and why, and whether the runs the
    verdict rests on already existed when the rule changed; a change of evidence (which runs
    judge a claim) carries its ``timeline``."""
    rows = []
    for entry in claims.amendments():
        named = entry["claims"]
        # An amendment of many claims at once (the first declaration of every rule) lists them in
        # the claims file; the table names a few and counts the rest.
        labels = [f"“{names.claim_label(c)}”" for c in named]
        shown = "; ".join(labels) if len(named) <= 3 else f"{len(named)} claims: {'; '.join(labels[:2])}; …"
        words = (" / ".join(f"“{claims.claim(c)['as_printed']}”" for c in named) if len(named) <= 3
                 else "(each claim's own words, in the claims table below)")
        timeline = " Timeline: " + "; ".join(entry["timeline"]) + "." if entry.get("timeline") else ""
        rows.append({"date": str(entry["date"]), "claims": shown, "what changed": names.words(entry["changed"]),
                     "why": names.words(entry["why"]) + names.words(timeline), "the paper's words": words,
                     "runs existed": "yes" if entry["runs_existed"] else "no"})
    return pd.DataFrame(rows, columns=["date", "claims", "what changed", "why", "the paper's words", "runs existed"])
