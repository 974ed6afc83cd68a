"""The claims file: a claim's test (rule, rule_args, measure, budget) is declared before its
runs, and any change after a verdict was first recorded for it is an amendment that the file
lists (and the report shows). The check reads the file as it was, in git, at the commit that
first recorded each claim's verdict."""
import subprocess

import pytest
import yaml

from mnist_utils.core import claims, paths

VERDICTS = "data/results/cpu/verdicts"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True, check=True).stdout


def first_judged_versions() -> dict:
    """Claim id -> (date, its entry in the claims file) at the first commit whose cpu verdict
    files record a verdict on it."""
    found = {}
    for commit_line in _git("log", "--reverse", "--format=%H %ad", "--date=short", "--", VERDICTS).splitlines():
        commit, date = commit_line.split()
        listed = _git("ls-tree", "--name-only", f"{commit}:{VERDICTS}").split()
        text = "".join(_git("show", f"{commit}:{VERDICTS}/{name}") for name in listed)
        new = [c["id"] for c in claims.load()["claims"] if c["id"] not in found and f"{c['id']}," in text]
        if new:
            then = {c["id"]: c for c in yaml.safe_load(_git("show", f"{commit}:data/paper_claims.yaml"))["claims"]}
            found.update({c: (date, then.get(c, {})) for c in new})
    return found


@pytest.fixture(scope="module")
def history():
    if _git("rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("a shallow clone has no history of the claims file (fetch with --unshallow)")
    return first_judged_versions()


def test_every_change_to_a_judged_claims_test_is_a_listed_amendment(history):
    assert len(history) >= 20, "the cpu verdicts of every chapter are in the history"
    assert claims.unamended_changes(history, claims.amendments()) == []


def test_the_first_amendment_is_the_undisclosed_budget_change_of_the_6x_claim(history):
    before = {c["id"]: c for c in yaml.safe_load(_git("show", "567623e~1:data/paper_claims.yaml"))["claims"]}
    six_x = "wang2020.activation.relu_converges_6x_faster"
    assert before[six_x]["budget"] == "convergence" and claims.claim(six_x)["budget"] == "as_run"
    first = claims.amendments()[0]
    assert first["claims"] == ["wang2020.activation.relu_converges_6x_faster"] and first["runs_existed"] is True


def test_an_unlisted_change_is_caught_and_a_listed_one_is_not():
    entry = claims.claim("liu_fu.cnn.accuracy")
    before = {**entry, "rule": "accuracy_matches"}
    history = {"liu_fu.cnn.accuracy": ("2026-11-22", before)}
    missing = claims.unamended_changes(history, [])
    assert len(missing) == 1 and "rule 'accuracy_matches' -> 'equivalent_to'" in missing[0]
    listed = [{"date": "2026-11-30", "claims": ["liu_fu.cnn.accuracy"]}]
    assert claims.unamended_changes(history, listed) == []
    # An amendment dated before the first verdict cannot excuse a later change.
    assert claims.unamended_changes(history, [{"date": "2026-11-01", "claims": ["liu_fu.cnn.accuracy"]}]) != []
    # Nor can one that names a claim the file does not have.
    assert claims.unamended_changes({}, [{"date": "2026-11-30", "claims": ["liu_fu.cnn.acuracy"]}]) != []


def test_every_amendment_is_complete():
    for entry in claims.amendments():
        assert {"date", "claims", "changed", "why", "runs_existed"} <= set(entry), entry
        assert isinstance(entry["runs_existed"], bool) and entry["claims"]


def test_the_report_table_lists_each_amendment_with_the_papers_words():
    from mnist_utils.judging import verdicts

    table = verdicts.amendments_table()
    assert len(table) == len(claims.amendments())
    six_x = table.iloc[0]
    assert "about 6 times" in six_x["the paper's words"] and six_x["runs existed"] == "yes"
    assert table["claims"].str.len().max() < 300, "a many-claim amendment is summarised, not spelled out"
    assert table["claims"].iloc[1].startswith("34 claims: ")
