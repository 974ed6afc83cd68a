"""Chapter 4, the learning-rate study, as its page shows it: from the tidy results of
``runsets.train_set``, the measures (``measure``), the tables and figures readers see, the
numbers the prose cites and the verdicts the claims file's rules give.

Learning rates are labelled as printed (``f"{rate:g}"``: "0.0001", "0.05"), the ``lr`` column;
every comparison pairs the runs of one seed (``measures.paired``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core import claims
from ..judging import measures, stats
from ..judging.results import final_rows, with_model_kwargs
from ..judging.verdicts import Evidence, Verdicts
from ..present import intervals, plots, tables

CHAPTER = "04_learning_rate_study"
SLOW = "wang2020.lr.too_small_slow"
LARGE = "wang2020.lr.too_large_oscillates"
MINIMUM = "wang2020.lr.improper_local_minimum"
SHOCK = "wang2020.activation.elu_needs_lr_tuning"
TUNING = "wang2020.lr.tuning_improves"


@dataclass
class Study:
    """What the chapter measured: every evaluation (``results``), the final row of each run
    (``final``), validation and test accuracy per activation and rate (``summary``), each run's
    steps to ``threshold`` and whether it is stuck (``reach``), their count per activation and
    rate (``speed``), each run's oscillation and whether it diverged (``stability``), and the
    validation-best rate per activation (``best_rate``)."""

    params: dict
    results: pd.DataFrame
    final: pd.DataFrame
    summary: pd.DataFrame
    threshold: float
    reach: pd.DataFrame
    speed: pd.DataFrame
    stability: pd.DataFrame
    best_rate: dict


def rate_label(rate: float) -> str:
    """A learning rate as the page prints it: 0.0001, 0.002, 0.05."""
    return f"{float(rate):g}"


def labelled(table: pd.DataFrame) -> pd.DataFrame:
    """The results of ``train_set`` with each run's ``activation`` and its rate as a label ``lr``."""
    results = with_model_kwargs(table)
    results["lr"] = results["learning_rate"].map(rate_label)
    return results


def accuracy_summary(final: pd.DataFrame) -> pd.DataFrame:
    """Per activation and rate (in run order): n, mean validation and test accuracy with the
    half-width of their 95% CI."""
    table = (stats.summarize(final, ["activation", "lr"], "val_accuracy")[["activation", "lr", "n", "mean", "ci_half"]]
             .rename(columns={"mean": "val_acc_mean", "ci_half": "val_acc_ci95"}))
    test = stats.summarize(final, ["activation", "lr"], "test_accuracy")
    table["test_acc_mean"], table["test_acc_ci95"] = test["mean"].to_numpy(), test["ci_half"].to_numpy()
    return table


def best_rates(summary: pd.DataFrame, rates=None) -> dict:
    """Per activation, the rate with the best mean validation accuracy (among ``rates``, labels, if given)."""
    among = summary if rates is None else summary[summary["lr"].isin(rates)]
    return {a: group.sort_values("val_acc_mean").iloc[-1]["lr"] for a, group in among.groupby("activation", sort=False)}


def convergence_threshold(params: dict) -> float:
    """The validation accuracy counted as converged: the parameter, else the claims file's."""
    return params.get("convergence_threshold") or claims.measure(SLOW)["threshold"]


def measure(table: pd.DataFrame, params: dict) -> Study:
    """Every measure of the chapter, from the results of ``train_set`` and the chapter's parameters."""
    results = labelled(table)
    final = final_rows(results)
    summary = accuracy_summary(final)
    threshold = convergence_threshold(params)
    runs_of = final[["run_id", "activation", "lr"]]
    reach = measures.stuck(results, threshold, claims.measure(MINIMUM)["late_gain_below"]).merge(runs_of, on="run_id")
    speed = reach.groupby(["activation", "lr"], sort=False).agg(
        runs=("steps", "size"), reached=("steps", "count"), mean_epochs_to_threshold=("epochs", "mean"),
        stuck=("stuck", "sum")).reset_index()
    order = summary[["activation", "lr"]]   # the accuracy table's order: activation, then rate
    speed = order.merge(speed, on=["activation", "lr"], how="inner")
    stability = measures.stability(results, params["oscillation_window"],
                                   claims.measure(LARGE)["diverged_below"]).merge(runs_of, on="run_id")
    return Study(params, results, final, summary, threshold, reach, speed, stability, best_rates(summary))


def of(frame: pd.DataFrame, activation: str, lr: str, value: str) -> pd.Series:
    """``value`` of one activation and rate, per seed."""
    return measures.per_seed_where(frame, value, activation=activation, lr=lr)


# ------------------------------------------------------------------------ tables and figures
def accuracy_table(study: Study, digits: int = 4) -> pd.DataFrame:
    """Final validation and test accuracy per activation and rate: the mean and its 95% interval
    inside [0, 1], or the runs themselves for three or fewer (``intervals.interval``)."""
    s = study.summary
    cell = lambda metric: [intervals.interval(of(study.final, a, lr, metric), digits)
                           for a, lr in zip(s["activation"], s["lr"])]
    return pd.DataFrame({
        "activation": s["activation"].map(tables.name), "learning rate": s["lr"], "seeds": s["n"].astype(int),
        "validation accuracy": cell("val_accuracy"), "test accuracy": cell("test_accuracy")})


def speed_table(study: Study) -> pd.DataFrame:
    """Per activation and rate: runs, how many reached the threshold, their mean epochs to it, how many are stuck."""
    s = study.speed
    epochs = s["mean_epochs_to_threshold"].map(lambda e: "never" if np.isnan(e) else f"{e:.2f}")
    return pd.DataFrame({"activation": s["activation"], "learning rate": s["lr"], "runs": s["runs"].astype(int),
                         f"reached {study.threshold:.2f}": s["reached"].astype(int),
                         "mean epochs to reach it": epochs, "stuck": s["stuck"].astype(int)})


def oscillation_table(study: Study, digits: int = 4) -> pd.DataFrame:
    """Per activation and rate: oscillation (mean ± 95% CI half-width over seeds, in accuracy)
    and how many runs diverged."""
    osc = stats.summarize(study.stability, ["activation", "lr"], "oscillation")
    runs = study.stability.groupby(["activation", "lr"], sort=False)["diverged"].agg(["sum", "size"])
    return pd.DataFrame({"activation": osc["activation"], "learning rate": osc["lr"],
                         "oscillation": [intervals.interval(of(study.stability, a, lr, "oscillation"), digits)
                                         for a, lr in zip(osc["activation"], osc["lr"])],
                         "runs diverged": [f"{int(d)} of {int(n)}" for d, n in zip(runs["sum"], runs["size"])]})


def curves_figure(study: Study):
    """Validation loss per rate (log scale), one panel per activation, stacked (the page's width)."""
    import matplotlib.pyplot as plt

    activations = list(pd.unique(study.results["activation"]))
    fig, axes = plt.subplots(len(activations), 1, figsize=(7, 3.6 * len(activations)), squeeze=False, sharex=True)
    for ax, activation in zip(axes[:, 0], activations):
        plots.learning_curves(study.results[study.results["activation"] == activation], y="val_loss", hue="lr",
                              ax=ax, title=f"{activation}: validation loss")
        ax.set_yscale("log")
    return fig


def accuracy_figure(study: Study):
    """Final validation accuracy per activation and rate: seeds and the mean with its 95% CI."""
    final = study.final.assign(setting=study.final["activation"] + " " + study.final["lr"])
    return plots.final_accuracy(final, by="setting", value="val_accuracy",
                                title="final validation accuracy per activation and rate")


# ------------------------------------------------------------------------- numbers for the prose
def accuracy_numbers(study: Study) -> dict:
    """The best and worst setting on the validation split, the budget, and whether a best rate
    lies at the edge of the grid."""
    s, rates = study.summary, [float(r) for r in study.params["learning_rates"]]
    best = s.sort_values("val_acc_mean", ascending=False).iloc[0]
    worst = s.sort_values("val_acc_mean").iloc[0]
    at_edge = [f"{a} (best at {lr})" for a, lr in study.best_rate.items()
               if len(rates) > 1 and float(lr) in (min(rates), max(rates))]
    return {"best_setting": f"{best['activation']} at {best['lr']}", "best_val": f"{best['val_acc_mean']:.4f}",
            "worst_setting": f"{worst['activation']} at {worst['lr']}", "worst_val": f"{worst['val_acc_mean']:.4f}",
            "lr_epochs": study.params["epochs"], "lr_n_seeds": len(study.params["seeds"]),
            "grid_edge": ("The best rate on the validation split lies at the edge of the grid for "
                          + ", ".join(at_edge) + ": a rate outside the four of the paper might do better still."
                          if at_edge else "For every activation the best rate lies inside the grid.")}


def convergence_numbers(study: Study) -> dict:
    """The threshold, how many runs never reached it, and how many of those were stuck."""
    n_not = int((study.speed["runs"] - study.speed["reached"]).sum())
    n_stuck, total = int(study.reach["stuck"].sum()), len(study.reach)
    return {"conv_threshold": f"{study.threshold:.2f}", "n_not_converged": n_not,
            "stuck_sentence": f"{n_not} of {total} runs did not reach {study.threshold:.2f} within the budget, "
                              f"and {n_stuck} of them had stopped improving (stuck); "
                              + ("the others were still improving: slow, not trapped in a local minimum."
                                 if n_stuck == 0 else "those are the non-converging networks of the paper.")}


def extreme_rates(study: Study) -> tuple[str, str, str]:
    """The largest and smallest rate of the grid, and the rate the "shock" claim is judged at:
    the paper's largest where the grid has it, else the grid's largest."""
    rates = study.params["learning_rates"]
    largest, smallest = rate_label(max(rates)), rate_label(min(rates))
    papers_largest = rate_label(max(claims.values("wang2020.lr.values")))
    return largest, smallest, papers_largest if papers_largest in set(study.results["lr"]) else largest


def _has_both(study: Study) -> bool:
    return {"relu", "elu"} <= set(study.results["activation"])


def oscillation_numbers(study: Study) -> dict:
    """Per activation, oscillation at the largest rate minus at the validation-best rate; ELU
    minus ReLU at the shock rate (paired by seed, in accuracy); the rates concerned."""
    largest, smallest, shock_rate = extreme_rates(study)
    osc = lambda a, lr: of(study.stability, a, lr, "oscillation")
    numbers = {f"osc_{a}": "not run" for a in ("relu", "elu")}
    for a, best in study.best_rate.items():
        d = stats.difference(*measures.paired(osc(a, largest), osc(a, best)), paired=True)
        numbers[f"osc_{a}"] = stats.fmt_difference(d, digits=4) + f" (best rate {best})"
    numbers["osc_elu_vs_relu"] = (stats.fmt_difference(stats.difference(
        *measures.paired(osc("elu", shock_rate), osc("relu", shock_rate)), paired=True), digits=4)
        if _has_both(study) else "not measured (needs relu and elu runs)")
    margin = lambda claim_id: f"{claims.claim(claim_id)['rule_args']['margin'] * 100:g} percentage points"
    return {**numbers, "lr_largest": largest, "lr_smallest": smallest, "shock_rate": shock_rate,
            "large_margin": margin(LARGE), "shock_margin": margin(SHOCK)}


# ---------------------------------------------------------------------------------- verdicts
def _never(x: float) -> str:
    return "never" if np.isnan(x) else f"{x:.2f}"


def _ran(study: Study) -> str:
    return f"{study.params['epochs']} epochs per run (short: the claims are about speed and oscillation)"


def slow_evidence(study: Study) -> Evidence:
    """"Too small a rate converges slowly": per activation, the steps to the threshold at the
    grid's smallest rate against its validation-best rate, paired by seed."""
    if len(set(study.params["learning_rates"])) < 2:
        return Evidence.absent("one learning rate only")
    _, smallest, _ = extreme_rates(study)
    best, reach, cap = study.best_rate, study.reach, float(study.results["step"].max())
    epochs_to = study.speed.set_index(["activation", "lr"])["mean_epochs_to_threshold"]
    return Evidence("; ".join(
        f"{a}: {_never(epochs_to[(a, smallest)])} at lr {smallest} vs {_never(epochs_to[(a, best[a])])} "
        f"at the validation-best lr {best[a]} (epochs to {study.threshold})" for a in best),
        {"pairs": {a: measures.paired(of(reach, a, best[a], "steps"), of(reach, a, smallest, "steps")) for a in best},
         "cap": cap, "ran": _ran(study)})


def papers_rates(study: Study) -> list[str]:
    """The paper's four rates (``wang2020.lr.values``) among the rates this grid ran, as labels."""
    papers = {rate_label(r) for r in claims.values("wang2020.lr.values")}
    return [lr for lr in dict.fromkeys(study.results["lr"]) if lr in papers]


def large_evidence(study: Study) -> list[tuple[Evidence, bool]]:
    """"Too large a rate may not converge and oscillates", of record at the paper's four rates:
    its largest against the validation-best of the four, per activation (an activation whose best
    rate is the paper's largest has no rate of the paper that is too large: inconclusive); the
    grid's own largest rate, beyond the paper's, as a second look. (evidence, second look) pairs."""
    if len(set(study.params["learning_rates"])) < 2:
        return [(Evidence.absent("one learning rate only"), False)]
    stab, ran = study.stability, _ran(study)

    def pairs(largest, best):
        return {a: (*measures.paired(of(stab, a, largest, "oscillation"), of(stab, a, best[a], "oscillation")),
                    of(stab, a, largest, "diverged").to_numpy()) for a in best if best[a] != largest}

    def measured(largest, best):
        return "; ".join(f"{a}: {int(of(stab, a, largest, 'diverged').sum())} of {len(of(stab, a, largest, 'diverged'))} "
                         f"diverged at lr {largest} (validation-best {best[a]})" for a in best)

    rates, found = papers_rates(study), []
    if len(rates) > 1:
        largest = max(rates, key=float)
        best = best_rates(study.summary, rates)
        compared = pairs(largest, best)
        found.append((Evidence(measured(largest, best), {"pairs": compared, "ran": ran}) if compared
                      else Evidence(measured(largest, best), undecided=f"the paper's largest rate, {largest}, is the "
                                    "validation-best of its four: none of them is too large"), False))
    else:
        found.append((Evidence.absent("the grid holds fewer than two of the paper's rates"), False))
    grid_largest = rate_label(max(study.params["learning_rates"]))
    beyond = pairs(grid_largest, study.best_rate) if grid_largest not in rates else {}
    if beyond:
        said = f"{ran}; the grid's largest rate, {grid_largest}, beyond the paper's"
        found.append((Evidence(measured(grid_largest, study.best_rate), {"pairs": beyond, "ran": said}), True))
    return found


def minimum_evidence(study: Study) -> list[tuple[Evidence, bool]]:
    """"An improper rate leads to a local minimum, no convergence and over-fitting": a run is
    stuck when it stays below the threshold and has stopped gaining; a run that diverged is not
    stuck in a minimum. Of record at the paper's four rates; the whole grid as a second look.
    The over-fitting half is not measured (4-epoch runs cannot show it): the rule's ``untested``."""
    reach = study.reach.merge(study.stability[["run_id", "diverged"]], on="run_id")
    reach["stuck"] = reach["stuck"] & ~reach["diverged"].astype(bool)
    found = []
    for runs, second_look in ((reach[reach["lr"].isin(papers_rates(study))], False), (reach, True)):
        n_stuck, n_below = int(runs["stuck"].sum()), int(runs["steps"].isna().sum())
        n_diverged = int(runs["diverged"].astype(bool).sum())
        where = "every rate of the grid" if second_look else "the paper's four rates"
        found.append((Evidence(
            f"{n_stuck} of {len(runs)} runs at {where} stuck ({n_below} below the threshold: {n_diverged} diverged, "
            "the rest still improving)",
            {"count": n_stuck, "total": len(runs), "what": f"stuck below validation accuracy {study.threshold}",
             "converged": False, "ran": f"{_ran(study)}; {where}" if second_look else _ran(study)}), second_look))
    return found


def shock_evidence(study: Study) -> Evidence:
    """"ELU needs its rate tuned": ELU's oscillation against ReLU's at the grid's shock rate, by seed."""
    if not (_has_both(study) and len(set(study.params["learning_rates"])) > 1):
        return Evidence.absent("needs relu and elu runs at several rates")
    shock_rate, stab = extreme_rates(study)[2], study.stability
    elu, relu = measures.paired(of(stab, "elu", shock_rate, "oscillation"), of(stab, "relu", shock_rate, "oscillation"))
    return Evidence(f"ELU − ReLU oscillation at lr {shock_rate}: {(elu - relu).mean() * 100:+.2f} pp",
                    {"a": elu, "b": relu, "ran": _ran(study)})


def tuning_evidence(study: Study) -> Evidence:
    """"The learning rate is modified to accelerate convergence and make the model more accurate":
    per activation, the validation-best of the paper's four rates against chapter 3's rate."""
    tune = claims.measure(TUNING)
    baseline = rate_label(tune["baseline_learning_rate"])
    papers = {rate_label(r) for r in claims.values("wang2020.lr.values")}
    if baseline not in set(study.results["lr"]) or study.summary.loc[study.summary["lr"].isin(papers), "lr"].nunique() < 2:
        return Evidence.absent(f"needs the baseline rate {baseline} and another of the paper's rates in the grid")
    tuned = best_rates(study.summary, papers)
    modified = [a for a in tuned if tuned[a] != baseline]
    reach = measures.stuck(study.results, tune["threshold"], claims.measure(MINIMUM)["late_gain_below"]).merge(
        study.final[["run_id", "activation", "lr"]], on="run_id")
    test = lambda a, lr: of(study.final, a, lr, "test_accuracy")
    return Evidence("; ".join(
        f"{a}: lr {tuned[a]} (validation-best of the paper's four) vs {baseline}, test accuracy "
        f"{test(a, tuned[a]).mean():.4f} vs {test(a, baseline).mean():.4f}" for a in tuned),
        {"steps": {a: measures.paired(of(reach, a, tuned[a], "steps"), of(reach, a, baseline, "steps")) for a in modified},
         "accuracy": {a: measures.paired(test(a, tuned[a]), test(a, baseline)) for a in modified},
         "cap": float(study.results["step"].max()), "converged": False, "ran": _ran(study)})


def verdict_numbers(checks: Verdicts) -> dict:
    """The verdicts the prose cites."""
    return {"shock_verdict": checks.recorded(SHOCK), "large_verdict": checks.recorded(LARGE),
            "tuning_verdict": checks.recorded(TUNING)}


def verdict_table(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The chapter's verdicts for readers: the claim in words, what was measured, the verdict."""
    return pd.DataFrame({"claim": [claims.claim(c)["claim"] for c in verdicts["claim_id"]],
                         "measured": verdicts["measured"], "verdict": verdicts["verdict"]})
