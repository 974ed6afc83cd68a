"""Chapter 5, Dropout and the improved LeNet-5, as its page shows it: the choice read from
chapters 3 and 4, the measures of the three models (``measure``), the tables and figures
readers see, the numbers the prose cites and the verdicts the claims file's rules give.

The three models are ``Study.configs``: the traditional LeNet-5, the chosen activation and rate
without Dropout, and with it (the improved LeNet-5); every comparison pairs runs of one seed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core import claims, paths
from ..judging import measures, stats
from ..judging.results import convergence_budget, final_rows, stopping, with_model_kwargs
from ..judging.results import read as read_results
from ..judging.verdicts import Evidence, Verdicts
from ..present import intervals, plots, tables
from ..runs import experiments

CHAPTER = "05_dropout"
OVERFITTING = "wang2020.dropout.reduces_overfitting"
REDUCTION = "wang2020.improved.error_reduction"
BETTER = "wang2020.improved.better_than_lenet5"
INITIALISATION = "wang2020.improved.initialisation_sensitivity"
TRAINING = "wang2020.improved.training_accuracy"
SPEED = "wang2020.improved.convergence_speed"


@dataclass
class Choice:
    """The activation (chapter 3) and learning rate (chapter 4) chosen on the validation split,
    with the mean final validation accuracies they were chosen from."""

    activation: str
    learning_rate: float
    by_activation: pd.DataFrame
    by_rate: pd.DataFrame


def choose(activation_runs: pd.DataFrame, rate_runs: pd.DataFrame) -> Choice:
    """``experiments.dropout_choice`` on the final rows of chapters 3 and 4, with the tables it reads."""
    activation, rate = experiments.dropout_choice(activation_runs, rate_runs)
    by_activation = (activation_runs.groupby("config")["val_accuracy"].mean().sort_values(ascending=False)
                     .rename("mean final validation accuracy (chapter 3)").round(4).reset_index()
                     .rename(columns={"config": "activation"}))
    by_activation["activation"] = by_activation["activation"].map(tables.name)
    by_rate = (rate_runs.groupby(["activation", "learning_rate"])["val_accuracy"].mean().sort_values(ascending=False)
               .rename("mean final validation accuracy (chapter 4)").round(4).reset_index())
    by_rate["activation"] = by_rate["activation"].map(tables.name)
    by_rate["learning_rate"] = by_rate["learning_rate"].map(lambda r: f"{r:g}")
    return Choice(activation, rate, by_activation, by_rate.rename(columns={"learning_rate": "learning rate"}))


def read_choice(profile: str) -> Choice:
    """The choice from the results files chapters 3 and 4 wrote for ``profile``."""
    activation_runs = final_rows(read_results(paths.find_results(profile, "03_activation_study")))
    rate_runs = with_model_kwargs(final_rows(read_results(paths.find_results(profile, "04_learning_rate_study"))))
    return choose(activation_runs, rate_runs)


@dataclass
class Study:
    """The three models' evaluations (``results``), final rows with the overfitting gap
    (``final``), how each run stopped (``stops``) and the budget that ran (``ran``)."""

    params: dict
    configs: tuple
    results: pd.DataFrame
    final: pd.DataFrame
    stops: pd.DataFrame
    ran: str

    def per_seed(self, config, value: str) -> pd.Series:
        """``value`` of one model's final rows, per seed."""
        return measures.per_seed(self.final, config.label, value)

    def converged_by_seed(self, *configs) -> np.ndarray:
        """Per seed (in seed order): whether the patience rule ended the runs of all ``configs``
        with that seed (a sequential plan's look at n asks about its own n runs)."""
        stops = self.stops[self.stops["config"].isin([c.label for c in configs])]
        return stops.groupby("seed")["converged"].all().sort_index().to_numpy(bool)

    def converged(self, *configs) -> bool:
        """Whether the patience rule, not the epoch cap, ended every run of ``configs``."""
        of = self.stops.groupby("config")["converged"].all()
        return bool(of[[c.label for c in configs]].all())


def measure(table: pd.DataFrame, configs, params: dict) -> Study:
    """The chapter's measures from ``train_set``'s results of the three models (in ``configs`` order)."""
    final = final_rows(table)
    final["val_minus_train_loss"] = measures.overfitting_gap(final)   # both in inference mode
    stops = stopping(table)
    return Study(params, tuple(configs), table, final, stops,
                 convergence_budget(stops, params["patience_epochs"], params["max_epochs"]))


# ------------------------------------------------------------------------ tables and figures
def model_name(label: str) -> str:
    """A model's label as readers read it: "relu + dropout (improved)" -> "ReLU + dropout (improved)"."""
    return tables.prose(label)


def stopping_table(study: Study) -> pd.DataFrame:
    """Per model: runs, how many stopped before the epoch cap, the earliest and latest best epoch."""
    s = study.stops.groupby("config", sort=False).agg(runs=("seed", "size"), stopped=("converged", "sum"),
                                                       first=("best_epoch", "min"), last=("best_epoch", "max"))
    return pd.DataFrame({"model": s.index.map(model_name), "runs": s["runs"].astype(int).to_numpy(),
                         "stopped before the cap": s["stopped"].astype(int).to_numpy(),
                         "best epoch, earliest": s["first"].round(2).to_numpy(),
                         "best epoch, latest": s["last"].round(2).to_numpy()})


def overfitting_table(study: Study, digits: int = 4) -> pd.DataFrame:
    """Per model: validation minus training loss (inference mode), mean ± 95% CI half-width over seeds."""
    s = stats.summarize(study.final, "config", "val_minus_train_loss")
    return pd.DataFrame({"model": s["config"].map(model_name), "seeds": s["n"].astype(int),
                         "validation − training loss": [tables.minus(stats.fmt_mean_half(m, h, digits))
                                                        for m, h in zip(s["mean"], s["ci_half"])]})


def paper_errors() -> tuple[float, float]:
    """The paper's test error before and after, in percent."""
    before, after = claims.values(REDUCTION)
    return before, after


def error_table(study: Study, measured: bool = True) -> pd.DataFrame:
    """Test error per model (percent, mean and 95% CI, which never leaves [0, 100]%:
    ``intervals.interval_ends``; none for three runs or fewer) beside the paper's two values;
    ``measured=False`` leaves out the measured columns (tiny runs whose errors vary)."""
    before, after = paper_errors()
    rows = []
    for config, paper in zip(study.configs, (before, None, after)):
        errors = 1 - study.final.loc[study.final["config"] == config.label, "test_accuracy"]
        s, (low, high) = stats.mean_ci(errors), intervals.interval_ends(errors)
        rows.append({"model": model_name(config.label), "seeds": s["n"], "test error (%)": f"{s['mean'] * 100:.2f}",
                     "95% CI (%)": "—" if np.isnan(low) else f"{low * 100:.2f}–{high * 100:.2f}",
                     "Wang et al. (%)": f"{paper:g}" if paper is not None else "—"})
    table = pd.DataFrame(rows)
    return table if measured else table.drop(columns=["test error (%)", "95% CI (%)"])


def curves_figure(study: Study):
    """Validation loss (top) and the running training loss, dropout active (bottom), log scale."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    results = study.results.assign(config=study.results["config"].map(model_name))
    plots.learning_curves(results, y="val_loss", ax=axes[0], title="validation loss")
    plots.learning_curves(results, y="train_loss", ax=axes[1], title="training loss (interval mean, dropout active)")
    for ax in axes:
        ax.set_yscale("log")
    return fig


def error_figure(study: Study):
    """Test error per model and seed (percent), the paper's two values as red diamonds."""
    final = study.final.assign(model=study.final["config"].map(model_name),
                               test_error_pct=100 * (1 - study.final["test_accuracy"]))
    fig = plots.final_accuracy(final, by="model", value="test_error_pct", title="test error per model")
    ax = fig.axes[0]
    for row, paper in ((0, paper_errors()[0]), (2, paper_errors()[1])):
        ax.plot([paper], [row], marker="D", color="tab:red", linestyle="none",
                label="Wang et al. (paper)" if row == 0 else None)
    ax.legend(loc="best", fontsize="small")
    return fig


# ------------------------------------------------------------------------------ verdicts
def _gaps(study: Study) -> tuple[np.ndarray, np.ndarray]:
    """The validation − training loss gap without and with dropout, paired by seed."""
    _, without, dropout = study.configs
    return measures.paired(study.per_seed(without, "val_minus_train_loss"),
                           study.per_seed(dropout, "val_minus_train_loss"))


def _error_change(study: Study) -> dict:
    """Test error with dropout minus without, paired by seed (``stats.difference``)."""
    _, without, dropout = study.configs
    return stats.difference(*measures.paired(1 - study.per_seed(dropout, "test_accuracy"),
                                             1 - study.per_seed(without, "test_accuracy")), paired=True)


def overfitting_evidence(study: Study) -> Evidence:
    """"Dropout reduces over-fitting": the loss gap without and with dropout, by seed."""
    _, without, dropout = study.configs
    gap_without, gap_with = _gaps(study)
    d_gap = stats.difference(gap_with, gap_without, paired=True)
    return Evidence(f"validation − training loss gap {d_gap['diff']:+.4f} with dropout; test error "
                    f"{_error_change(study)['diff'] * 100:+.2f} pp",
                    {"a": gap_without, "b": gap_with, "converged": study.converged_by_seed(without, dropout),
                     "ran": study.ran})


def reduction_evidence(study: Study) -> Evidence:
    """"The error fell from 2% to 0.7%": each end's test accuracies against the paper's."""
    traditional, _, dropout = study.configs
    errors = error_table(study)
    before, after = errors["test error (%)"].iloc[0], errors["test error (%)"].iloc[2]
    final = lambda config: study.final[study.final["config"] == config.label].sort_values("seed")["test_accuracy"]
    return Evidence(f"{before}% → {after}%", {
        "before": final(traditional), "after": final(dropout),
        "converged": {"before": study.converged_by_seed(traditional), "after": study.converged_by_seed(dropout)},
        "ran": study.ran})


def _accuracies(study: Study, value: str) -> tuple[np.ndarray, np.ndarray]:
    """``value`` of the improved and the traditional model, paired by seed."""
    traditional, _, dropout = study.configs
    return measures.paired(study.per_seed(dropout, value), study.per_seed(traditional, value))


def better_evidence(study: Study) -> Evidence:
    """"Better than the traditional LeNet-5": test accuracy, improved against traditional, by seed."""
    traditional, _, dropout = study.configs
    improved, lenet5 = _accuracies(study, "test_accuracy")
    # More training raises an accuracy: only a short improved arm could turn "not better" (rules.evaluate).
    arms = {"a": study.converged(dropout), "b": study.converged(traditional)}
    return Evidence(f"{stats.difference(improved, lenet5, paired=True)['diff'] * 100:+.2f} pp test accuracy",
                    {"a": improved, "b": lenet5, "converged": arms, "ran": study.ran})


def _training(study: Study) -> str:
    train_improved, train_lenet5 = _accuracies(study, "train_eval_accuracy")
    return f"training accuracy {train_improved.mean():.4f} vs {train_lenet5.mean():.4f}"


def initialisation_evidence(study: Study) -> Evidence:
    """"Less sensitive to initialisation": the spread of test accuracy over seeds, improved over
    traditional, with the training accuracies it must not come from."""
    traditional, _, dropout = study.configs
    (improved, lenet5), (train_improved, train_lenet5) = (_accuracies(study, "test_accuracy"),
                                                          _accuracies(study, "train_eval_accuracy"))
    spread = stats.spread_ratio(improved, lenet5)
    return Evidence(f"sd of test accuracy over seeds, improved / traditional: {spread['sd_ratio']:.2f}; "
                    f"{_training(study)}",
                    {"a_spread": improved, "b_spread": lenet5, "a_accuracy": train_improved, "b_accuracy": train_lenet5,
                     "converged": study.converged(dropout, traditional), "ran": study.ran})


def training_evidence(study: Study) -> Evidence:
    """"Improves the training accuracy": training accuracy (inference mode), improved against traditional."""
    traditional, _, dropout = study.configs
    train_improved, train_lenet5 = _accuracies(study, "train_eval_accuracy")
    return Evidence(_training(study), {
        "a": train_improved, "b": train_lenet5, "ran": study.ran,
        "converged": {"a": study.converged_by_seed(dropout), "b": study.converged_by_seed(traditional)}})


def speed_evidence(study: Study) -> Evidence:
    """"Converges faster": steps to the declared validation accuracy, improved against traditional,
    on the seeds where both reached it (too few such seeds: undecided)."""
    traditional, _, dropout = study.configs
    threshold = claims.measure(SPEED)["threshold"]
    reach = stats.steps_to_reach(study.results, threshold)
    steps = lambda config: reach[reach["config"] == config.label].set_index("seed")["steps"]
    fast, slow = measures.paired(steps(dropout), steps(traditional))
    reached = ~(np.isnan(fast) | np.isnan(slow))
    if reached.sum() < 2:        # a model that never reached the threshold has no steps to compare
        return Evidence(f"steps to validation accuracy {threshold}: {int(reached.sum())} seed(s) where both models "
                        "reached it", undecided="too few seeds where both models reached the threshold")
    return Evidence(f"steps to validation accuracy {threshold}: improved {np.nanmean(fast):,.0f}, traditional "
                    f"{np.nanmean(slow):,.0f} (means over the {int(reached.sum())} seeds where both reached it)",
                    {"a": fast[reached], "b": slow[reached], "converged": study.converged(dropout, traditional),
                     "ran": study.ran})


def numbers(study: Study, choice: Choice, checks: Verdicts) -> dict:
    """The numbers the prose cites, with the verdicts the notebook recorded."""
    gap_without, gap_with = _gaps(study)
    improved, lenet5 = _accuracies(study, "test_accuracy")
    train_improved, train_lenet5 = _accuracies(study, "train_eval_accuracy")
    errors = error_table(study)
    before, after = errors["test error (%)"].iloc[0], errors["test error (%)"].iloc[2]
    before_paper, after_paper = paper_errors()
    return {
        "gap_diff": stats.fmt_difference(stats.difference(gap_with, gap_without, paired=True), digits=4),
        "err_diff_pp": stats.fmt_difference(_error_change(study), scale=100, unit=" pp"),
        "dropout_overfit_verdict": checks.recorded(OVERFITTING),
        "chosen": f"{choice.activation} at learning rate {choice.learning_rate:g}",
        "init_spread": f"{stats.spread_ratio(improved, lenet5)['sd_ratio']:.2f}",
        "init_verdict": checks.recorded(INITIALISATION),
        "train_gain": stats.fmt_difference(stats.difference(train_improved, train_lenet5, paired=True), scale=100,
                                           unit=" pp"),
        "training_accuracy_verdict": checks.recorded(TRAINING), "convergence_speed_verdict": checks.recorded(SPEED),
        "err_traditional": f"{before}%", "err_improved": f"{after}%",
        "reduction_verdict": checks.recorded(REDUCTION), "reduction_margin": checks.recorded(REDUCTION, "margin"),
        "reduction_why": checks.recorded(REDUCTION, "how"), "paper_before": f"{before_paper:g}%",
        "paper_after": f"{after_paper:g}%",
        "lecun_lenet5": f"{claims.values('lecun_page.lenet5_error')[0]:g}%",
        "lecun_boosted": f"{claims.values('lecun_page.boosted_lenet4_error')[0]:g}%"}


def budget_numbers(params: dict) -> dict:
    """The set-up the prose describes, from the parameters and the claims file: the training
    budget, the over-fitting claim's margin and the convergence-speed claim's threshold."""
    stopped = f", stopped {params['patience_epochs']} epochs after the best validation loss" \
        if params["patience_epochs"] else ""
    try:
        speed = f"{claims.measure('wang2020.improved.convergence_speed')['threshold']:g}"
    except (KeyError, TypeError):
        speed = "not declared"
    return {"dropout_budget": f"at most {params['max_epochs']} epochs{stopped}",
            "overfit_margin": f"{claims.claim(OVERFITTING)['rule_args']['margin']:g}",
            "speed_threshold": speed}


def reduction_numbers(study: Study, checks: Verdicts) -> dict:
    """"The error fell from 2% to 0.7%" end by end, in the error's own sign (call after
    ``judge``, which records the verdict): our mean test error minus the paper's, in
    percentage points, with its 95% interval (negative: fewer errors than the paper), and each
    end's verdict as the rule recorded it."""
    traditional, _, dropout = study.configs
    verdicts = dict(re.findall(r"\b(before|after): (not reproduced|partially reproduced|reproduced|inconclusive|"
                               r"exceeded|not testable)", checks.recorded(REDUCTION, "how")))
    ends = []
    for end, config, paper in zip(("before", "after"), (traditional, dropout), paper_errors()):
        excess = 100 * (1 - study.per_seed(config, "test_accuracy").dropna().to_numpy()) - paper
        s = stats.mean_ci(excess)
        interval = (f"n = {s['n']}, too few runs for an interval" if s["n"] <= 3 or np.isnan(s["ci_half"])
                    else f"95% CI {tables.pp(s['ci_low'], unit=False)} to {tables.pp(s['ci_high'])}")
        said = f"{verdicts[end]}: " if end in verdicts else ""
        ends.append(f"{end}, {said}our error − the paper's {paper:g}% = {tables.pp(s['mean'])} ({interval})")
    return {"reduction_ends": "; ".join(ends)}


# ------------------------------------------------------------- the initialisation alone
def initialisation_final(varied: pd.DataFrame) -> pd.DataFrame:
    """Final rows of the initialisation-only runs, with their ``init_seed`` and ``model``
    (labels "<model>, init <seed>": ``experiments.initialisation_label``)."""
    return final_rows(varied).assign(init_seed=lambda f: f["config"].str.rsplit(" ", n=1).str[-1].astype(int),
                                     model=lambda f: f["config"].str.rsplit(",", n=1).str[0])


def initialisation_table(varied: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """Per model: test accuracy over initialisation seeds, mean, sd and 95% CI."""
    final = initialisation_final(varied)
    s = stats.summarize(final, "model", "test_accuracy")
    ends = [intervals.interval_ends(final.loc[final["model"] == m, "test_accuracy"]) for m in s["model"]]
    return pd.DataFrame({"model": s["model"].map(model_name), "seeds": s["n"].astype(int),
                         "test accuracy (mean)": s["mean"].round(digits), "sd": s["sd"].round(digits),
                         "95% CI": ["—" if np.isnan(lo) else f"{lo:.{digits}f}–{hi:.{digits}f}" for lo, hi in ends]})


def _by_initialisation(study: Study, varied: pd.DataFrame, value: str) -> tuple[np.ndarray, np.ndarray]:
    """``value`` of the improved and the traditional model, paired by the seed of the initial weights."""
    traditional, _, dropout = study.configs
    final = initialisation_final(varied)
    by_init = lambda config: final[final["model"] == config.label].set_index("init_seed")[value]
    return measures.paired(by_init(dropout), by_init(traditional))


def initialisation_only_evidence(study: Study, varied: pd.DataFrame | None) -> Evidence | None:
    """The initialisation-sensitivity claim on runs where only the initial weights' seed varies
    (``varied``; None when no such runs were declared: nothing to judge)."""
    if varied is None:
        return None
    (improved, lenet5), (train_improved, train_lenet5) = (_by_initialisation(study, varied, "test_accuracy"),
                                                          _by_initialisation(study, varied, "train_eval_accuracy"))
    spread, stops, p = stats.spread_ratio(improved, lenet5), stopping(varied), study.params
    return Evidence(f"initialisation only: sd of test accuracy, improved / traditional: {spread['sd_ratio']:.2f}; "
                    f"training accuracy {train_improved.mean():.4f} vs {train_lenet5.mean():.4f}", {
                        "ran": f"init seeds {', '.join(map(str, p['init_seeds']))}, data order of seed {p['seeds'][0]}, "
                               + convergence_budget(stops, p["patience_epochs"], p["max_epochs"]),
                        "a_spread": improved, "b_spread": lenet5, "a_accuracy": train_improved,
                        "b_accuracy": train_lenet5, "converged": bool(stops["converged"].all())})


def initialisation_numbers(study: Study, varied: pd.DataFrame | None, checks: Verdicts) -> dict:
    """The spread over initial weights alone and the second look recorded on it."""
    if varied is None:
        return {"init_only_spread": "not measured (init_seeds is empty)", "init_only_verdict": "not judged"}
    improved, lenet5 = _by_initialisation(study, varied, "test_accuracy")
    looks = [r for r in checks.second_looks if r["claim_id"] == INITIALISATION]
    return {"init_only_spread": f"{stats.spread_ratio(improved, lenet5)['sd_ratio']:.2f}",
            "init_only_verdict": looks[-1]["verdict"] if looks else "not judged"}
