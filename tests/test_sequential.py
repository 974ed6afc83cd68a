"""The sequential plans of seeds (claims file ``sequential_plans:``): declared before the runs
of their looks, judged look by look at the plan's alpha, and the book's seeds are the plan's."""
from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mnist_utils.core import claims, paths, profiles
from mnist_utils.judging import rules, sequential, stats, verdicts

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def declared_at(plan_id: str) -> datetime | None:
    """When git first committed the plan to the claims file (None: not committed yet)."""
    found = _git("log", "--format=%cI", "--reverse", "-S", f"id: {plan_id}", "--", "data/paper_claims.yaml").split()
    return datetime.fromisoformat(found[0]) if found else None


PLAN = {"id": "test_plan", "claims": ["x"], "pilot": 5, "stages": [10, 20], "cap": 20, "alpha_per_look": 0.025}


def test_every_plan_is_well_formed_and_points_at_a_parameter_of_its_chapter():
    plans = claims.sequential_plans()
    assert plans, "the claims file declares no sequential plan"
    for plan in plans:
        chapter, name = plan["parameter"]["chapter"], plan["parameter"]["name"]
        assert name in profiles.notebook_parameters(paths.NOTEBOOKS / f"{chapter}.ipynb"), plan["id"]
        for claim_id in plan["claims"]:
            assert claims.claim(claim_id)["role"] == "result", claim_id


def test_the_record_runs_each_plan_on_seeds_zero_to_n_minus_one_at_a_declared_stage():
    """A look of n takes seeds 0 to n − 1: the book of record's seeds are the plan's pilot or
    one of its stages, in order, never a count between them."""
    for plan in claims.sequential_plans():
        chapter, name = plan["parameter"]["chapter"], plan["parameter"]["name"]
        seeds = profiles.chapter_parameters(chapter, "cpu")[name]
        assert seeds == list(range(len(seeds))), f"{plan['id']}: {chapter}.{name} = {seeds}"
        assert len(seeds) in [plan["pilot"], *plan["stages"]], f"{plan['id']}: {len(seeds)} seeds"


def declaring_commit(plan_id: str) -> str | None:
    found = _git("log", "--format=%H", "--reverse", "-S", f"id: {plan_id}", "--", "data/paper_claims.yaml").split()
    return found[0] if found else None


def test_no_look_precedes_its_declaration():
    """Every plan was committed before its looks and before its runs beyond the pilot:

    * the execution of the book of record that took a plan's looks (its chapter's entry in the
      run manifest) ran from a commit that holds the plan's declaring commit;
    * each training run beyond the pilot (seed ≥ pilot) of a run set a plan governs finished
      after the earliest declaration of a plan that governs a run set holding that run (chapter
      5 reuses chapter 3's Sigmoid runs: trained for chapter 3's plan, they serve chapter 5's),
      except the configurations a plan declares ``predating`` it (references trained before it);
    * the plan's ``declared:`` date is its declaring commit's day."""
    plans = claims.sequential_plans()
    manifest = json.loads((paths.MANIFESTS / "cpu.json").read_text())["notebooks"]
    store = {p.stem: p for p in paths.RUNS.glob("*/*.json")}
    earliest: dict[str, datetime] = {}       # run key -> the earliest declaration of a plan that governs it
    beyond: set[str] = set()                  # run keys a look beyond its pilot takes
    for plan in plans:
        commit = declaring_commit(plan["id"])
        assert commit, f"plan {plan['id']}: not committed; a look needs its plan committed first"
        when = declared_at(plan["id"])
        assert str(plan["declared"]) == when.date().isoformat(), plan["id"]
        chapter = plan["parameter"]["chapter"]
        looks = paths.RESULTS / "cpu" / "plan_looks" / f"{chapter}.csv"
        if not looks.exists() or plan["id"] not in set(pd.read_csv(looks)["plan"]):
            continue      # no look taken yet: the pilot alone
        ran_from = manifest[chapter]["git_commit"]
        holds = subprocess.run(["git", "-C", str(ROOT), "merge-base", "--is-ancestor", commit, ran_from]).returncode == 0
        assert holds, f"plan {plan['id']}: {chapter} took its looks at {ran_from[:7]}, which lacks the plan ({commit[:7]})"
        for run_set in plan["run_sets"]:
            table = pd.read_csv(paths.RESULTS / "cpu" / f"{run_set}.csv", usecols=["config", "seed", "run_key"])
            table = table[~table["config"].isin(plan.get("predating", []))]    # declared as trained before it
            for key in table["run_key"].dropna().unique():
                earliest[key] = min(earliest.get(key, when), when)
            beyond |= set(table.loc[table["seed"] >= plan["pilot"], "run_key"].dropna())
    checked = 0
    for key in sorted(beyond & set(store)):
        finished = datetime.fromisoformat(json.loads(store[key].read_text())["record"]["finished"])
        assert finished > earliest[key], f"run {key[:12]} finished {finished}, before its plan ({earliest[key]})"
        checked += 1
    assert checked, "no look took a run beyond its pilot: nothing was checked"


def test_no_look_of_an_extension_precedes_the_extensions_declaration():
    """A plan's extension (``extensions:``) was committed on the day it says, before the book of
    record took a look at one of its stages, and every run of its run sets beyond the plan's
    earlier cap finished after that commit."""
    manifest = json.loads((paths.MANIFESTS / "cpu.json").read_text())["notebooks"]
    store = {p.stem: p for p in paths.RUNS.glob("*/*.json")}
    for plan in claims.sequential_plans():
        for extension in plan.get("extensions", []):
            commit = declaring_commit(extension["id"])
            assert commit, f"extension {extension['id']}: not committed"
            when = declared_at(extension["id"])
            assert str(extension["declared"]) == when.date().isoformat(), extension["id"]
            earlier_cap = min(extension["stages"]) - 1
            chapter = plan["parameter"]["chapter"]
            looks = paths.RESULTS / "cpu" / "plan_looks" / f"{chapter}.csv"
            taken = pd.read_csv(looks) if looks.exists() else pd.DataFrame(columns=["plan", "n"])
            if ((taken["plan"] == plan["id"]) & (taken["n"] > earlier_cap)).any():
                ran_from = manifest[chapter]["git_commit"]
                holds = subprocess.run(["git", "-C", str(ROOT), "merge-base", "--is-ancestor", commit, ran_from])
                assert holds.returncode == 0, f"{extension['id']}: {chapter} looked at it from {ran_from[:7]}"
            for run_set in plan["run_sets"]:
                table = pd.read_csv(paths.RESULTS / "cpu" / f"{run_set}.csv", usecols=["seed", "run_key"])
                for key in table.loc[table["seed"] > earlier_cap, "run_key"].dropna().unique():
                    if key in store:
                        finished = datetime.fromisoformat(json.loads(store[key].read_text())["record"]["finished"])
                        assert finished > when, f"run {key[:12]} finished {finished}, before {extension['id']} ({when})"


def test_an_extension_adds_looks_at_its_own_alpha_after_the_plans(monkeypatch):
    monkeypatch.setattr(claims, "claim", lambda claim_id: {"rule": "beats", "rule_args": {}, "budget": "as_run"})
    extended = claims._with_extensions({**PLAN, "declared": "2026-12-06", "extensions": [
        {"id": "test_plan_to_40", "declared": "2026-12-07", "stages": [40], "cap": 40, "alpha_per_look": 0.01}]})
    assert extended["stages"] == [10, 20, 40] and extended["cap"] == 40
    assert sequential.look_alphas(extended) == [0.025, 0.025, 0.01]
    rng = np.random.default_rng(3)
    b = rng.normal(0.0, 1.0, 40)
    a = np.r_[rng.normal(0.0, 1.0, 20), b[20:] + 2.0]     # no effect on the first twenty, a clear one after
    judged, n, said, looks = sequential.judge_by_looks("x", extended, {"a": a, "b": b}, verdicts.judgement)
    assert [look["alpha"] for look in looks] == [0.025, 0.025, 0.01] and n == 40
    assert judged.verdict == "reproduced" and "look 3 of 3" in said and "α = 0.01" in said and "99% CI" in judged.why


def test_an_extension_whose_cap_is_not_its_last_stage_is_refused():
    with pytest.raises(claims.ClaimError, match="cap 30 is not its last stage 40"):
        claims._with_extensions({**PLAN, "declared": "2026-12-06", "extensions": [
            {"id": "bad", "declared": "2026-12-07", "stages": [40], "cap": 30, "alpha_per_look": 0.01}]})


def test_a_look_decides_at_the_plans_alpha_and_the_first_decisive_look_stands(monkeypatch):
    monkeypatch.setattr(claims, "claim", lambda claim_id: {"rule": "beats", "rule_args": {}, "budget": "as_run"})
    rng = np.random.default_rng(0)
    b = rng.normal(0.0, 1.0, 20)
    a = b + 1.0 + rng.normal(0.0, 0.3, 20)       # a clear effect: decided at the first look
    judged, n, said, looks = sequential.judge_by_looks("x", PLAN, {"a": a, "b": b}, verdicts.judgement)
    assert (judged.verdict, n, len(looks)) == ("reproduced", 10, 1)
    assert "decided at look 1 of 2" in said and "97.5% CI" in judged.why
    reference = rules.beats(a[:10], b[:10])
    with stats.significance(0.025):
        assert judged.why == rules.beats(a[:10], b[:10]).why
    assert reference.why != judged.why          # outside a look: 95%


def test_an_effect_significant_at_5_percent_but_not_at_the_looks_alpha_goes_on_to_the_next_stage(monkeypatch):
    monkeypatch.setattr(claims, "claim", lambda claim_id: {"rule": "beats", "rule_args": {}, "budget": "as_run"})
    diff = np.array([0.5, 1.2, -0.1, 0.9, 0.3, 1.4, 0.2, 0.8, -0.2, 1.0]) - 0.2    # paired t: p = 0.046
    p = stats.difference(diff, np.zeros(10), paired=True)["p_value"]
    assert 0.025 < p < 0.05
    assert rules.beats(diff, np.zeros(10)).verdict == "reproduced"           # at 5% it would have decided
    evidence = {"a": np.concatenate([diff, np.full(10, 1.0) + np.linspace(0, 0.1, 10)]), "b": np.zeros(20)}
    judged, n, said, looks = sequential.judge_by_looks("x", PLAN, evidence, verdicts.judgement)
    assert [look["verdict"] for look in looks] == ["inconclusive", "reproduced"]
    assert n == 20 and "decided at look 2 of 2" in said


def test_runs_short_of_the_first_stage_are_the_pilot_judged_at_5_percent(monkeypatch):
    monkeypatch.setattr(claims, "claim", lambda claim_id: {"rule": "beats", "rule_args": {}, "budget": "as_run"})
    a, b = np.array([1.0, 1.2, 0.9, 1.1, 1.3]), np.zeros(5)
    judged, n, said, looks = sequential.judge_by_looks("x", PLAN, {"a": a, "b": b}, verdicts.judgement)
    assert looks == [] and n == 5 and "pilot" in said and "95% CI" in judged.why


def test_a_claim_undecided_at_the_cap_says_so_and_a_stage_short_of_it_names_the_next(monkeypatch):
    monkeypatch.setattr(claims, "claim", lambda claim_id: {"rule": "beats", "rule_args": {}, "budget": "as_run"})
    rng = np.random.default_rng(1)
    noise = {"a": rng.normal(0, 1, 20), "b": rng.normal(0, 1, 20)}
    judged, n, said, _ = sequential.judge_by_looks("x", PLAN, noise, verdicts.judgement)
    assert judged.verdict == "inconclusive" and n == 20 and "undecided at the cap" in said
    half = {k: v[:12] for k, v in noise.items()}
    judged, n, said, _ = sequential.judge_by_looks("x", PLAN, half, verdicts.judgement)
    assert n == 10 and "next stage is n = 20" in said


def test_first_seeds_cuts_every_per_seed_array_and_leaves_the_rest():
    evidence = {"pairs": {"A > B": (np.arange(20.0), pd.Series(np.arange(20.0)))}, "cap": 500.0,
                "censored": np.zeros(20, bool), "floor": 0.5, "other": [1.0, 2.0]}
    cut = sequential.first_seeds(evidence, 10, sequential.seed_count(evidence))
    assert len(cut["pairs"]["A > B"][0]) == 10 and len(cut["pairs"]["A > B"][1]) == 10
    assert len(cut["censored"]) == 10 and cut["cap"] == 500.0 and cut["other"] == [1.0, 2.0]


def test_significance_restores_the_level_even_when_the_rule_raises():
    with pytest.raises(ValueError):
        with stats.significance(0.01):
            assert stats.ALPHA == 0.01
            raise ValueError("boom")
    assert stats.ALPHA == 0.05
    with pytest.raises(ValueError, match="alpha=0"):
        with stats.significance(0):
            pass


def test_a_claim_outside_the_plans_on_their_runs_gets_a_second_look_on_the_pilot(monkeypatch):
    plan = {**PLAN, "parameter": {"chapter": "03_activation_study", "name": "seeds"}}
    monkeypatch.setattr(claims, "sequential_plans", lambda: [plan])
    monkeypatch.setattr(claims, "sequential_plan", lambda claim_id: None)
    monkeypatch.setattr(claims, "claim", lambda claim_id: {"rule": "beats", "rule_args": {}, "budget": "as_run"})
    checks = verdicts.Verdicts("cpu", "03_activation_study")
    b = np.zeros(20)
    a = np.r_[np.full(5, 1.0) + np.linspace(0, 0.1, 5), np.full(15, -1.0)]    # ahead on the pilot, behind after
    checks.judge("y", "measured", a=a, b=b)
    assert checks.rows[0]["verdict"] == "not reproduced"                   # of record: all twenty
    assert checks.second_looks[0]["verdict"] == "reproduced" and "first 5 seeds" in checks.second_looks[0]["budget"]
    other = verdicts.Verdicts("cpu", "05_dropout")                          # no plan extended its seeds
    other.judge("y", "measured", a=a, b=b)
    assert other.second_looks == []


@pytest.mark.parametrize("template, values, expected", [
    (sequential.DECIDED, dict(k=2, of=2, n=10, alpha=0.025), ("decided", 2, 2)),
    (sequential.CAP, dict(k=3, of=3, n=20, alpha=0.0167), ("cap", 3, 3)),
    (sequential.WAITING, dict(k=1, of=2, n=10, alpha=0.025, next=20), ("waiting", 1, 2)),
    (sequential.PILOT, dict(n=5, first=10), ("pilot", 0, 0)),
])
def test_where_a_claim_stands_reads_back_from_what_its_looks_told_the_reader(template, values, expected):
    assert sequential.standing(template.format(**values)) == expected
    assert sequential.standing("") == sequential.standing(None) == ("", 0, 0)
