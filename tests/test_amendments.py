"""No late rule goes undisclosed: every change to a claim's test (its rule, rule_args, budget,
measure, and a protocol under ``protocols:`` that decides which runs judge it) made after its
evidence existed is an amendment that the claims file lists under ``amendments:``.

A change is late when git committed it

* after the first commit whose cpu verdict files record a verdict on the claim, or
* before that verdict, for a claim judged on training runs (it declares a ``budget``), when no
  commit between the change and that verdict added a run of its chapter's models (the models
  of ``data/results/cpu/<chapter>*.csv`` then) to the store ``data/runs``: the verdict rests
  on runs that were committed before its test was written. The history does not say which runs
  a claim rests on, so a claim whose first verdict came with any new run of those models gets
  the benefit of the doubt (a test written before its runs is never flagged; one written after
  them may escape when other runs of its models came in between).

Each late change needs its own amendment that names the claim: one that lists the change's
commit under ``commits:``, or else one without ``commits:`` dated on or after the change (the
same day first). One amendment without ``commits:`` covers one change, so a second change to
a claim that already has an amendment is caught too. An uncommitted change to the claims file
counts as a change made now.

tests/test_claims.py compares each claim with its version at the first verdict; this file walks
every version in between.
"""
from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path

import pytest
import yaml

from mnist_utils.core import claims, paths

CLAIMS_FILE = "data/paper_claims.yaml"
CPU_RESULTS = "data/results/cpu"
VERDICTS = f"{CPU_RESULTS}/verdicts"
RUNS = "data/runs"


@dataclass(frozen=True)
class Commit:
    sha: str            # full hash, or "working tree" for uncommitted edits
    when: datetime      # commit time, UTC

    def __str__(self) -> str:
        name = self.sha if self.sha == "working tree" else self.sha[:7]
        return f"{name} ({self.when:%Y-%m-%d %H:%M} UTC)"


@dataclass(frozen=True)
class LateChange:
    claim: str
    commit: Commit
    fields: tuple[str, ...]   # what changed: rule, rule_args, budget, measure, protocols; () when first declared
    after: str                # what existed already, in words


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True, check=True).stdout


def _commits(*pathspecs: str) -> list[Commit]:
    """The commits that touched ``pathspecs``, oldest first."""
    lines = _git("log", "--reverse", "--format=%H %ct", "--", *pathspecs).splitlines()
    return [Commit(sha, datetime.fromtimestamp(int(t), timezone.utc)) for sha, t in (line.split() for line in lines)]


@cache
def _claims_at(sha: str) -> dict:
    return yaml.safe_load(_git("show", f"{sha}:{CLAIMS_FILE}"))


def claim_test(doc: dict, claim_id: str) -> dict | None:
    """A claim's test in one version of the claims file (None where the claim has no rule yet)."""
    entry = next((c for c in doc.get("claims", []) if c["id"] == claim_id), {})
    if not entry.get("rule"):
        return None
    test = {f: entry.get(f) for f in claims.TEST_FIELDS}
    test["protocols"] = [p for p in doc.get("protocols") or [] if claim_id in p.get("claims", []) and judges(p)]
    return test


def judges(protocol: dict) -> bool:
    """Whether a protocol decides what the verdict of record rests on; one whose runs give only
    a second look beside that verdict ("never replacing it") is no part of the claim's test,
    as a claim's own ``second_look`` is not."""
    return "second look" not in str(protocol.get("final", ""))


def versions(current: dict) -> list[tuple[Commit, dict]]:
    """Every committed version of the claims file, oldest first, then ``current`` (the file as
    it stands) as a change made now if it differs from the last commit."""
    found = [(commit, _claims_at(commit.sha)) for commit in _commits(CLAIMS_FILE)]
    if found and current != found[-1][1]:
        found.append((Commit("working tree", datetime.now(timezone.utc)), current))
    return found


def claim_changes(claim_id: str, history: list[tuple[Commit, dict]]) -> list[tuple[Commit, tuple[str, ...]]]:
    """The commits that gave the claim a test (no fields) or changed it (the fields they changed)."""
    changes, before = [], None
    for commit, doc in history:
        test = claim_test(doc, claim_id)
        if test != before and test is not None:
            changed = tuple(f for f in test if before is None or test[f] != before[f])
            changes.append((commit, changed if before is not None else ()))
        before = test
    return changes


def first_verdicts() -> dict[str, Commit]:
    """Claim id -> the first commit whose cpu verdict files hold a row for it."""
    found: dict[str, Commit] = {}
    for commit in _commits(VERDICTS):
        for name in _git("ls-tree", "--name-only", f"{commit.sha}:{VERDICTS}").split():
            for row in csv.DictReader(io.StringIO(_git("show", f"{commit.sha}:{VERDICTS}/{name}"))):
                found.setdefault(row["claim_id"], commit)
    return found


@cache
def chapter_models(sha: str, chapter: str) -> frozenset[str]:
    """The models of a chapter's runs at a commit: the ``model`` column of its cpu results files
    (one per run set, ``<chapter>*.csv``); empty for a chapter that trains nothing."""
    names = [n for n in _git("ls-tree", "--name-only", f"{sha}:{CPU_RESULTS}/").split()
             if n.startswith(chapter) and n.endswith(".csv")]
    return frozenset(row["model"] for n in names
                     for row in csv.DictReader(io.StringIO(_git("show", f"{sha}:{CPU_RESULTS}/{n}"))) if row.get("model"))


def runs_added(since: Commit, until: Commit, models: frozenset[str]) -> bool:
    """Whether a commit after ``since``, up to ``until``, added a run of one of ``models`` to the
    run store (``data/runs/<model>/``)."""
    stores = [f"{RUNS}/{m}" for m in sorted(models)]
    added = _git("log", "--no-renames", "--diff-filter=A", "--format=%H", f"{since.sha}..{until.sha}", "--", *stores)
    return bool(added.strip())


def late_changes(current: dict) -> list[LateChange]:
    """Every change to a ruled claim's test made after its first verdict; and, for a claim judged
    on training runs (it declares a ``budget``), every change before that verdict after which no
    run of its chapter's models was added to the store: the runs of its first verdict were all
    committed already."""
    history, verdicts = versions(current), first_verdicts()
    late = []
    for entry in current["claims"]:
        claim_id, verdict = entry["id"], verdicts.get(entry["id"])
        if not entry.get("rule") or verdict is None:
            continue   # no verdict yet: whatever it is judged on comes later
        for commit, fields in claim_changes(claim_id, history):
            if commit.when > verdict.when:
                late.append(LateChange(claim_id, commit, fields, f"its first verdict {verdict}"))
            elif entry.get("budget") and (models := chapter_models(verdict.sha, entry["chapter"])) \
                    and not runs_added(commit, verdict, models):
                late.append(LateChange(claim_id, commit, fields, f"the runs of its first verdict {verdict} were "
                                                                 "committed (none of its models added in between)"))
    return late


def _day(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def undisclosed(late: list[LateChange], amendments: list[dict]) -> list[str]:
    """One line per late change that no amendment covers (see the module docstring)."""
    missing = []
    for claim_id in dict.fromkeys(change.claim for change in late):
        naming = [a for a in amendments if claim_id in a.get("claims", [])]
        by_commit = [a for a in naming if a.get("commits")]
        by_date = sorted((a for a in naming if not a.get("commits")), key=lambda a: _day(a["date"]))
        listed = {str(h) for a in by_commit for h in a["commits"]}
        pending = [c for c in late if c.claim == claim_id and not any(c.commit.sha.startswith(h) for h in listed)]
        for change in list(pending):   # an amendment without commits: of the change's own day first
            same_day = next((a for a in by_date if _day(a["date"]) == f"{change.commit.when:%Y-%m-%d}"), None)
            if same_day is not None:
                by_date.remove(same_day)
                pending.remove(change)
        for change in pending:          # then any later one left over
            later = next((a for a in by_date if _day(a["date"]) >= f"{change.commit.when:%Y-%m-%d}"), None)
            if later is not None:
                by_date.remove(later)
                continue
            listing = "" if change.commit.sha == "working tree" else f" or lists {change.commit.sha[:7]} under commits:"
            what = f"{', '.join(change.fields)} changed" if change.fields else "test declared"
            missing.append(f"{claim_id}: {what} at {change.commit}, after {change.after}; "
                           f"no amendment names it dated {change.commit.when:%Y-%m-%d} or later{listing}")
    return missing


def undisclosed_late_changes(claims_path: Path = paths.CLAIMS) -> list[str]:
    """The late changes that the claims file at ``claims_path`` lists no amendment for."""
    current = yaml.safe_load(Path(claims_path).read_text())
    return undisclosed(late_changes(current), current.get("amendments", []))


@pytest.fixture(scope="module")
def git_history():
    try:
        shallow = _git("rev-parse", "--is-shallow-repository").strip() == "true"
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("no git history here (not a git checkout)")
    if shallow:
        pytest.skip("a shallow clone has no history of the claims file (fetch with --unshallow)")


def test_every_late_change_to_a_claims_test_is_a_listed_amendment(git_history):
    missing = undisclosed_late_changes()
    assert not missing, f"{len(missing)} late change(s) to a claim's test with no amendment:\n" + "\n".join(missing)


def _change(claim: str, sha: str, day: str) -> LateChange:
    when = datetime.fromisoformat(f"{day}T12:00:00+00:00")
    return LateChange(claim, Commit(sha, when), ("rule",), "its first verdict")


def test_each_late_change_needs_its_own_amendment():
    one, two = _change("x.claim", "aaaaaaa1", "2026-11-26"), _change("x.claim", "bbbbbbb2", "2026-11-30")
    dated = {"date": date(2026, 11, 30), "claims": ["x.claim"]}
    # The 11-30 amendment covers the 11-30 change; the 11-26 change is left undisclosed.
    assert len(undisclosed([one, two], [dated])) == 1 and "aaaaaaa" in undisclosed([one, two], [dated])[0]
    assert undisclosed([one], [dated]) == []   # a later disclosure covers an earlier change
    assert undisclosed([two], [{"date": date(2026, 11, 26), "claims": ["x.claim"]}]) != []   # an earlier one cannot
    assert undisclosed([one], [{"date": date(2026, 11, 26), "claims": ["y.claim"]}]) != []   # nor one of another claim
    # An amendment that lists commits covers those, however many, and no others.
    listed = {"date": date(2026, 12, 6), "claims": ["x.claim"], "commits": ["aaaaaaa", "bbbbbbb"]}
    assert undisclosed([one, two], [listed]) == []
    assert undisclosed([one, two], [{**listed, "commits": ["aaaaaaa"]}]) != []
