"""The reproduction report (chapter 7) as readers see it: its tables with reader column names,
its tally and verdict chart, and the numbers its prose cites.

Nothing here judges a claim: the verdicts come from the chapters' verdict files
(``verdicts.claim_ledger``); this module only counts, names and formats them.
"""
from __future__ import annotations

import json
import re

import pandas as pd

from ..core import claims, paths
from ..core.names import NAMES
from ..judging import sequential, stats
from ..judging.results import read as read_results
from ..present import rendering, tables
from ..runs import costs, store

VERDICT_ORDER = ["reproduced", "exceeded", "partially reproduced", "not reproduced", "inconclusive", "not testable",
                 "not tested"]
GROUPS = {"result": "results", "data": "data facts"}   # facts about the data are tallied apart from the results
MARGIN_CLAIMS = {"softmax": "liu_fu.softmax.accuracy", "lenet": "wang2020.lenet5.baseline_accuracy",
                 "cnn": "liu_fu.cnn.accuracy"}


def shorten(text, n: int = 90) -> str:
    """``text`` on one line, cut to ``n`` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def runs(n) -> str:
    """A run count as a table shows it: an integer, or nothing where no count applies."""
    return "" if n is None or pd.isna(n) else f"{int(n):,}"


def look_mark(look: str) -> str:
    """Where a claim of a sequential plan stands, in a few characters beside its n: " (look 1/2)"
    (its verdict comes from that look, decided or not) or " (cap)" (undecided at the plan's cap)."""
    state, k, of = sequential.standing(look)
    if state in ("", "pilot"):
        return ""
    return " (cap)" if state == "cap" else f" (look {k}/{of})"


def claim_names(ids) -> list[str]:
    """The claims file's short statement of each claim id (the id itself where it has none)."""
    words = {c["id"]: c.get("claim") or c["id"] for c in claims.load()["claims"]}
    return [words.get(i, i) for i in ids]


def claims_table(tested: pd.DataFrame) -> pd.DataFrame:
    """Every result claim with its verdict first (visible however narrow the page), the paper,
    what it claims and where, the measured value, n, the margin and the budget it was judged at
    (seven columns: the table fits the page; the words as printed are in the claims file)."""
    results = tested[tested["role"] == "result"]
    budgets = results["ran"].map(rendering.headline_budget)
    # A budget the row above has already said reads "as above": a chapter's claims share one.
    shown = budgets.where(budgets != budgets.shift(), "as above")
    # A claim of a sequential plan says its look in the budget column, whose words wrap (in the
    # narrow n column it would widen the table beyond the page).
    looks = results["look"] if "look" in results else pd.Series("", index=results.index)
    return pd.DataFrame({
        "verdict": results["verdict"], "paper": results["paper"].map(NAMES),
        "claim": results["claim"] + " (" + results["where"] + ")", "measured": results["measured"],
        "n": results["n"].map(runs), "margin": results["margin"],
        "budget": [b + look_mark(look) for b, look in zip(shown, looks)]}).reset_index(drop=True)


def facts_table(tested: pd.DataFrame) -> pd.DataFrame:
    """The facts about the data files, checked rather than replicated."""
    facts = tested[tested["role"] == "data"]
    return pd.DataFrame({"verdict": facts["verdict"], "paper": facts["paper"].map(NAMES),
                         "claim": facts["claim"] + " (" + facts["where"] + ")",
                         "measured": facts["measured"]}).reset_index(drop=True)


def setup_table(all_claims: list[dict], profile: str) -> pd.DataFrame:
    """The setup values the papers state, in the claims file's words, and what this book ran:
    for a claim that names the run sets it is about (``ran_in``), the training and test set
    sizes their stored runs used; else the claims file's ``here`` where the book departs from
    the paper (the deviations page says why), or "as stated"."""
    setup = [c for c in all_claims if c["role"] == "setup"]
    return pd.DataFrame({"paper": [NAMES.get(c["paper"], c["paper"]) for c in setup],
                         "where": [c["where"] for c in setup], "setting": [tables.words(c["claim"]) for c in setup],
                         "here": [ran_sizes(c["ran_in"], profile) if c.get("ran_in") else c.get("here", "as stated")
                                  for c in setup]})


def ran_sizes(run_sets: list[str], profile: str) -> str:
    """The training and test set sizes the stored runs of ``run_sets`` (results files) used."""

    said = []
    for name in run_sets:
        path = paths.find_results(profile, name)
        if not path.exists():
            said.append(f"{name.split('_', 1)[0]}: not run")
            continue
        records = store.default().records(sorted(set(read_results(path)["run_key"])))
        sizes = records.dropna(subset=["train_images"]).groupby(["train_images", "test_images"]).size()
        what = "; ".join(f"{int(train):,} training and {int(test):,} test images" for train, test in sizes.index)
        said.append(f"{what} ({tables.words(RUN_SET_NAMES.get(name, name))})")
    return "; ".join(said)


# The run sets a setup row can name, as readers know them.
RUN_SET_NAMES = {"02_softmax_baseline": "chapter 2's runs", "06_improved_cnn": "chapter 6, the tutorial set-up",
                 "06_improved_cnn_final_five": "chapter 6, the final five"}


def second_looks_table(second_looks: pd.DataFrame) -> pd.DataFrame:
    """Verdicts given on runs outside the book of record: verdict, claim, measured, n, budget."""
    return pd.DataFrame({"verdict": second_looks["verdict"], "claim": claim_names(second_looks["claim_id"]),
                         "measured": second_looks["measured"], "n": second_looks["n"].map(runs),
                         "runs judged": second_looks["budget"]}).reset_index(drop=True)


def second_look_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """``verdicts.second_look_changes`` with the claims named in words."""
    return changes.assign(claim=claim_names(changes["claim"])).rename(columns={"on": "runs judged"})


def tally(tested: pd.DataFrame) -> pd.DataFrame:
    """Claims per verdict, results and data facts apart, every verdict of ``VERDICT_ORDER`` a row."""
    counts = (tested.assign(group=tested["role"].map(GROUPS)).dropna(subset=["group"])
              .pivot_table(index="verdict", columns="group", values="id", aggfunc="count", fill_value=0)
              .reindex(index=VERDICT_ORDER, columns=list(GROUPS.values()), fill_value=0).astype(int))
    return counts.rename_axis(None, axis=1).rename_axis("verdict").reset_index()


def chapter_title(chapter: str) -> str:
    """"03_activation_study" as the book names it: its number and the notebook's first heading."""
    source = paths.NOTEBOOKS / f"{chapter}.ipynb"
    number = int(chapter.split("_")[0]) if chapter[:2].isdigit() else None
    heading = ""
    if source.exists():
        first = "".join(json.loads(source.read_text())["cells"][0]["source"])
        heading = next((line.lstrip("# ").strip() for line in first.splitlines() if line.startswith("# ")), "")
    heading = heading or chapter.split("_", 1)[-1].replace("_", " ")
    return f"{number}. {heading}" if number is not None else heading


def holm_table(tested: pd.DataFrame) -> pd.DataFrame:
    """The family view of the result verdicts of record: every one decided by a test with a
    p-value (the p of the test the verdict rests on, ``rules.Judgement.p_value``), that p, its
    Holm adjustment over the whole family (statsmodels' ``multipletests``) and whether the
    verdict still holds at a 5% family-wise error rate. Verdicts decided without a test (facts,
    counts, a best run) and undecided ones are not in the family."""
    from statsmodels.stats.multitest import multipletests

    p_values = pd.to_numeric(tested["p_value"], errors="coerce") if "p_value" in tested else pd.Series(float("nan"),
                                                                                                     index=tested.index)
    results = tested[(tested["role"] == "result") & p_values.notna()]
    results = results[results["verdict"] != "inconclusive"]
    columns = ["verdict", "claim", "p", "Holm-adjusted p", "holds family-wise"]
    if results.empty:
        return pd.DataFrame(columns=columns)
    p = results["p_value"].astype(float).to_numpy()
    holds, adjusted, _, _ = multipletests(p, alpha=stats.ALPHA, method="holm")
    table = pd.DataFrame({"verdict": results["verdict"].to_numpy(), "claim": claim_names(results["id"]),
                          "p": [tables.p_value(v) for v in p], "Holm-adjusted p": [tables.p_value(v) for v in adjusted],
                          "holds family-wise": ["yes" if h else "no" for h in holds]})
    return table.sort_values("Holm-adjusted p", key=lambda c: adjusted[c.index], kind="stable").reset_index(drop=True)


def ledger_table(ledger: pd.DataFrame) -> pd.DataFrame:
    """``costs.ledger``'s rows as readers see them: chapter titles, counts as integers, minutes,
    millions and images/s to one decimal, the time a chapter finished (UTC, said in its header);
    the GPU column only where a chapter ran on one (the prose says where none did)."""
    one = lambda v: "" if pd.isna(v) else f"{v:,.1f}"
    when = lambda t: re.sub(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d).*$", r"\1 \2", str(t))
    if costs.no_gpu(ledger):
        ledger = ledger.drop(columns="gpu")
    return ledger.assign(**{
        "chapter": ledger["chapter"].map(chapter_title), "runs": ledger["runs"].map(runs),
        **{c: ledger[c].map(one) for c in ("training (min)", "training images (M)", "execution (min)", "median images/s")},
        "finished": ledger["finished"].map(when)}).rename(columns={"gpu": "GPU", "finished": "finished (UTC)"})


def _counted(verdicts: pd.Series) -> str:
    """"7 are reproduced, 4 inconclusive and 1 not testable", in ``VERDICT_ORDER``."""
    counts = verdicts.value_counts()
    parts = [f"{counts[v]} {v}" for v in VERDICT_ORDER if counts.get(v, 0)]
    if not parts:
        return "none is judged yet"
    first = next(v for v in VERDICT_ORDER if counts.get(v, 0))
    parts[0] = f"{counts[first]} {'is' if counts[first] == 1 else 'are'} {first}"
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def bottom_lines(tested: pd.DataFrame, second_looks: pd.DataFrame | None = None) -> dict[str, str]:
    """One paragraph per paper (``bottom_line_<paper>``): how its result claims fared, and the
    verdict of each of its main claims, all from the recorded verdicts; a main claim with two
    findings (``rendering.headline_rows``) gives both, each with its set-up."""
    lines = {}
    for paper, claims_of in tested[tested["role"] == "result"].groupby("paper", sort=False):
        main = claims_of[claims_of["headline"].notna()] if "headline" in claims_of else claims_of.iloc[:0]
        text = f"Of its {len(claims_of)} claims about results, {_counted(claims_of['verdict'])}."
        if len(main):
            rows = rendering.headline_rows(main, second_looks)
            said = []
            for claim in dict.fromkeys(h for h in main["headline"]):
                mine = [r for r in rows if r["claim"].startswith(claim)]
                if len(mine) == 1:
                    said.append(f"“{claim}” is {mine[0]['verdict']}")
                else:
                    said.append(f"“{claim}” is " + " but ".join(
                        f"{r['verdict']} with {r['claim'][len(claim) + 2:]} ({r['why']})" for r in mine))
            text += f" Its main claims: {'; '.join(said)}."
        lines[f"bottom_line_{paper}"] = text
    return lines


def ablation_sentence(results: pd.DataFrame) -> str:
    """What the budget of chapter 6's ablations means for the claims that need them."""
    budget = results.set_index("id")["ran"].get("liu_fu.cnn.bn_converges_fast")
    if isinstance(budget, str) and budget:
        return (f"The ablations of chapter 6 ran {budget}: a negative verdict there is inconclusive where "
                "the claim needs the full budget of the paper.")
    return "The ablations of chapter 6 have not run in this profile yet, so the claims that need them are not tested."


def numbers(tested: pd.DataFrame, second_looks: pd.DataFrame, totals: dict, profile: str) -> dict:
    """Every value the report's prose and the introduction cite, by glue key."""
    from IPython.display import Markdown

    counts = tally(tested).set_index("verdict")
    results = tested[tested["role"] == "result"]
    values = {"headline_verdicts": rendering.headline(tested, second_looks),   # at the top and in the introduction
              "second_looks_note": Markdown(
                  f"{len(second_looks)} verdicts were also given on runs outside the book of record; see "
                  "[second looks](#second-looks)." if len(second_looks) else "")}
    values |= {f"margin_{name}": f"{stats.accuracy_margin(claims.paper_accuracies(claim_id)) * 100:.2f}"
               for name, claim_id in MARGIN_CLAIMS.items()}
    values |= bottom_lines(tested, second_looks)
    values |= {f"count_{verdict.replace(' ', '_')}": int(n) for verdict, n in counts["results"].items()}
    values |= {"count_total": int(counts["results"].sum()), "data_total": int(counts["data facts"].sum()),
               "data_reproduced": int(counts.loc["reproduced", "data facts"])}
    for _, row in results.iterrows():
        values[f"verdict_{row['id']}"] = row["verdict"]
        values[f"budget_{row['id']}"] = row["ran"] if isinstance(row["ran"], str) and row["ran"] else "not run"
    values["ablation_sentence"] = ablation_sentence(results)
    amendments = claims.amendments()
    values |= {"amendments_total": len(amendments), "amendments_late": sum(bool(a["runs_existed"]) for a in amendments)}
    tutorial = second_looks[(second_looks["claim_id"] == "liu_fu.cnn.accuracy")
                            & (second_looks.get("finding", "") == "the tutorial set-up")] \
        if "finding" in second_looks else second_looks.iloc[:0]
    values["cnn_tutorial_verdict"] = tutorial["verdict"].iloc[-1] if len(tutorial) else "not judged"
    family = holm_table(tested)
    values |= {"holm_family": len(family), "holm_holds": int((family["holds family-wise"] == "yes").sum()),
               "claim_alpha": f"{claims.error_control()['per_claim_alpha']:g}"}
    planned = tested[tested["id"].isin({c for p in claims.sequential_plans() for c in p["claims"]})]
    looks = planned["look"] if "look" in planned else pd.Series("", index=planned.index)
    states = [sequential.standing(look)[0] for look in looks]
    values |= {"plan_claims": len(planned), "plan_decided": states.count("decided"), "plan_at_cap": states.count("cap"),
               "plan_waiting": len(states) - states.count("decided") - states.count("cap")}
    values |= {"total_minutes": f"{totals['minutes']:.0f}", "total_images": f"{totals['images_millions']:.1f}",
               "ledger_profile": profile, "ledger_runs": f"{totals['runs']:,}",
               "ledger_shared_runs": f"{totals['shared_uses']:,}", "ledger_hardware": totals["hardware"]}
    return values


# ------------------------------------------------------------------ the sequential plans
def _seeds_of(plan: dict) -> str:
    return f"{plan['pilot']} → {' → '.join(map(str, plan['stages']))}"


def _declared(plan: dict) -> str:
    """When a plan was declared, and each extension with the cap it set."""
    said = [str(plan["declared"])]
    for extension in plan.get("extensions", []):
        said.append(f"extended {extension['declared']} to n = {extension['cap']}")
    return "; ".join(said)


def plan_minutes(plan: dict, profile: str) -> float | None:
    """Training minutes of the runs beyond the pilot of a plan's run sets (from the store's
    records; the configurations it declares ``predating`` it left out). None where its runs
    are derived entries (kept weights, probes) that no results table lists."""

    if not plan["run_sets"]:
        return None
    found = (paths.find_results(profile, name) for name in plan["run_sets"])
    tables = [read_results(path) for path in found if path.exists()]
    beyond_pilot = [t[(t["seed"] >= plan["pilot"]) & ~t["config"].isin(plan.get("predating", []))] for t in tables]
    return float(pd.to_numeric(costs.stored_runs(beyond_pilot)["wall_seconds"], errors="coerce").sum() / 60)


def plans_table(profile: str) -> pd.DataFrame:
    """The declared sequential plans as readers see them, in their order of compute: which
    claims, the seeds from the pilot through the stages, the alpha of each look, when it was declared
    (and extended), and the minutes
    declared beside those the runs beyond the pilot took (from the store; "–" for derived
    entries that no results table lists)."""
    rows = []
    for plan in sorted(claims.sequential_plans(), key=lambda p: p["order"]):
        spent = plan_minutes(plan, profile)
        stage_minutes = [*plan["cost_minutes"]["stages"],
                         *(m for extension in plan.get("extensions", []) for m in extension["cost_minutes"]["stages"])]
        declared = " + ".join(f"{m:g}" for m in stage_minutes)
        rows.append({"claims": "; ".join(tables.claim_label(c) for c in plan["claims"]),
                     "seeds": _seeds_of(plan), "α per look": " → ".join(f"{a:g}" for a in sequential.look_alphas(plan)),
                     "declared": _declared(plan), "minutes": f"{declared} / {'–' if spent is None else f'{spent:,.0f}'}"})
    return pd.DataFrame(rows)
