"""Chapter 3's tables and figures: stopping, accuracy, the comparisons, the 6x ratio, the networks,
Tanh, sparsity, gradient sizes, the optimizer arm and the plan's looks.
"""
from __future__ import annotations

import json

import pandas as pd

from ..core import claims
from ..judging import measures, stats
from ..judging.results import final_rows
from ..present import intervals, model_plots, plots, tables
from ..runs import gradients
from .activation_page import BASELINE, ORDER, RATIO, Study, _grid_final, comparisons


# ----------------------------------------------------------------------------------- tables
def _fixed(value, digits: int):
    """A number with ``digits`` decimals, or None (a dash in ``tables.show``) when it is missing."""
    return None if value is None or pd.isna(value) else f"{value:.{digits}f}"


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(config=frame["config"].map(tables.name))


def stopping_table(study: Study) -> pd.DataFrame:
    """Per run: the epoch of the weights it was tested with, the epoch it stopped at, and whether
    the patience rule stopped it (else the epoch cap did)."""
    stops = study.stops
    return pd.DataFrame({"activation": stops["config"].map(tables.name), "seed": stops["seed"].astype(int),
                         "epoch of the tested weights": stops["best_epoch"].map(lambda e: _fixed(e, 2)),
                         "stopped at epoch": stops["stop_epoch"].map(lambda e: _fixed(e, 2)),
                         "stopped by": stops["converged"].map({True: "patience", False: "epoch cap"})})


def accuracy_table(final: pd.DataFrame, digits: int, by: str = "activation") -> pd.DataFrame:
    """Test accuracy per ``config`` of ``final`` (one row per run): runs, mean, standard deviation
    and the 95% confidence interval of the mean, with ``digits`` decimals. The interval never
    leaves [0, 1] (``intervals.interval_ends``); a configuration of three runs or fewer has none,
    and its runs are listed instead ("each run")."""
    summary = stats.summarize(final, "config", "test_accuracy")
    values = {config: runs["test_accuracy"].to_numpy() for config, runs in final.groupby("config", sort=False)}
    ends = [intervals.interval_ends(values[c]) for c in summary["config"]]
    table = pd.DataFrame({by: summary["config"].map(tables.name), "runs": summary["n"].astype(int),
                          "mean test accuracy": summary["mean"].map(lambda v: _fixed(v, digits)),
                          "SD": summary["sd"].map(lambda v: _fixed(v, digits)),
                          "95% CI low": [_fixed(low, digits) for low, _ in ends],
                          "95% CI high": [_fixed(high, digits) for _, high in ends]})
    if (summary["n"] <= 3).any():
        table["each run"] = [", ".join(f"{v:.{digits}f}" for v in values[c]) if n <= 3 else None
                             for c, n in zip(summary["config"], summary["n"])]
    return table


def comparison_table(study: Study) -> pd.DataFrame:
    """``comparisons`` as readers see them: differences in percentage points."""
    table, digits = comparisons(study), max(study.params["table_digits"] - 2, 0)
    pp = lambda column: table[column].map(lambda v: None if pd.isna(v) else tables.pp(v * 100, False, digits))
    return pd.DataFrame({"comparison": table["comparison"].map(_named_comparison), "pairs of runs": table["n"],
                         "difference (pp)": pp("diff"), "95% CI low (pp)": pp("ci_low"),
                         "95% CI high (pp)": pp("ci_high"),
                         "p": table["p_value"].map(lambda v: _fixed(v, study.params["table_digits"]))})


def _named_comparison(comparison: str) -> str:
    return " − ".join(tables.name(part) for part in comparison.split(" − "))


def reach_table(study: Study) -> pd.DataFrame:
    """Per activation: its runs, how many reached the declared validation accuracy, and the mean
    epoch at which they did."""
    reach = stats.steps_to_reach(study.results, study.threshold)
    grouped = reach.groupby("config", sort=False)
    return pd.DataFrame({"activation": [tables.name(c) for c in grouped.groups],
                         "runs": grouped["steps"].size().to_numpy(),
                         f"reached {study.threshold:g}": grouped["steps"].count().to_numpy(),
                         "mean epochs to reach it": [_fixed(v, 2) for v in grouped["epochs"].mean()]})


def ratio_curve(study: Study) -> pd.DataFrame:
    """``measures.ratio_curve`` of Sigmoid over ReLU at ``ratio_thresholds`` and the declared threshold."""
    thresholds = sorted(set(study.params["ratio_thresholds"]) | {study.threshold})
    return measures.ratio_curve(study.results, "sigmoid", "relu", thresholds, interpolate=study.interpolated)


def ratio_table(study: Study) -> pd.DataFrame:
    """``ratio_curve`` as readers see it."""
    curve = ratio_curve(study)
    return pd.DataFrame({"validation accuracy threshold": curve["threshold"].map(lambda t: f"{t:g}"),
                         "seeds with a ratio": curve["n"].astype(int),
                         "mean ratio": curve["mean"].map(lambda v: _fixed(v, 2)),
                         "95% CI low": curve["ci_low"].map(lambda v: _fixed(v, 2)),
                         "95% CI high": curve["ci_high"].map(lambda v: _fixed(v, 2)),
                         "censored runs": curve["censored"].astype(int)})


def networks_table(study: Study) -> pd.DataFrame:
    """Test accuracy of LeNet-5 and of the fully connected network, per activation."""
    digits = study.params["table_digits"]
    parts = [accuracy_table(study.final, digits).assign(network="LeNet-5")]
    if len(study.dense):
        parts.append(accuracy_table(final_rows(study.dense), digits).assign(network="fully connected"))
    table = pd.concat(parts, ignore_index=True)
    return table[["network", *table.columns[:-1]]]


def tanh_table(study: Study) -> pd.DataFrame:
    """Test accuracy per activation, Tanh (``extra_activations``) included."""
    both = pd.concat([study.results, study.extra], ignore_index=True)
    return accuracy_table(final_rows(both), study.params["table_digits"])


def sparsity_table(study: Study) -> pd.DataFrame:
    """Per ReLU seed: the share of exactly-zero outputs of each hidden layer on the test set, over
    all of them, and by how many test predictions the retraining differs from its stored run."""
    if study.zeros is None:
        return pd.DataFrame()
    zeros = study.zeros.round(3)
    return zeros.rename(columns={"all": "all hidden outputs",
                                 "differs_from_stored": "test images unlike the stored run"})


def gradient_medians(study: Study) -> pd.DataFrame | None:
    """Per activation, the medians over seeds of each seed's geometric mean over the first steps:
    the first layer's RMS gradient over the output layer's (``input_over_output``, what the
    dissipation claim is judged on) and the largest layer's over the smallest's; None without probes."""
    if study.probed is None:
        return None
    shapes = gradients.summaries(study.probed)
    return shapes.groupby("config", sort=False)[["input_over_output", "layer_spread"]].median()


def _ratio(value: float) -> str:
    """A gradient ratio as table and prose both write it: three significant figures."""
    return f"{value:.3g}"


def gradient_table(study: Study) -> pd.DataFrame:
    """``gradient_medians`` as readers see them, in the numbers the prose cites (``gradient_ratios``)."""
    medians = gradient_medians(study)
    if medians is None:
        return pd.DataFrame()
    return pd.DataFrame({"activation": [tables.name(c) for c in medians.index],
                         "first layer over output layer (median over seeds)":
                             medians["input_over_output"].map(_ratio).to_numpy(),
                         "largest layer over smallest (median over seeds)":
                             medians["layer_spread"].map(_ratio).to_numpy()})


def grid_table(study: Study) -> pd.DataFrame:
    """The optimizer grid: validation accuracy per learning rate (rows) and activation (columns),
    the mean over ``arm_grid_seeds``."""
    grid = _grid_final(study)
    if grid is None:
        return pd.DataFrame()
    grid = grid.assign(activation=grid["model_kwargs"].map(lambda k: tables.name(json.loads(k)["activation"])))
    wide = grid.pivot_table(index="learning_rate", columns="activation", values="val_accuracy", sort=False)
    table = wide.map(lambda v: _fixed(v, study.params["table_digits"])).reset_index()
    table["learning_rate"] = table["learning_rate"].map(lambda r: f"{r:g}")
    return table.rename(columns={"learning_rate": "learning rate"}).rename_axis(columns=None)


def arm_table(study: Study) -> pd.DataFrame:
    """Test accuracy per activation with the second optimizer at the chosen rates."""
    arm = study.table("_optimizer")
    return pd.DataFrame() if arm is None else accuracy_table(final_rows(arm), study.params["table_digits"])


def looks_table(study: Study) -> pd.DataFrame:
    """Per claim judged again on the second optimizer's runs (after ``numbers``): the verdict of
    record (Adam's) and the second look's."""
    record = f"{tables.name(study.params['optimizer'])} (of record)"
    second = f"{tables.name(study.params['arm_optimizer'])} (second look)"
    rows = [{"claim": tables.claim_label(r["claim_id"]), record: study.checks.recorded(r["claim_id"]),
             second: r["verdict"]} for r in study.checks.second_looks]
    return pd.DataFrame(rows, columns=["claim", record, second])


# ---------------------------------------------------------------------------------- figures
def _legend_title(fig, title: str):
    legend = fig.axes[0].get_legend()
    if legend is not None:
        legend.set_title(title)
    return fig


def accuracy_curves(study: Study):
    """Validation accuracy against epochs, mean over seeds with its 95% interval, per activation."""
    return _legend_title(plots.learning_curves(_named(study.results), y="val_accuracy", ylim=(0.8, 1.0),
                                               title="validation accuracy"), "activation")


def loss_curves(study: Study):
    """Training loss (mean over each evaluation interval) against epochs, log scale, per activation."""
    fig = plots.learning_curves(_named(study.results), y="train_loss", title="training loss (interval mean)")
    fig.axes[0].set_yscale("log")
    return _legend_title(fig, "activation")


def accuracy_figure(study: Study):
    """Test accuracy per seed and activation against the paper's 98% floor."""
    return plots.final_accuracy(_named(study.final), title="LeNet-5 test accuracy per activation",
                                paper=claims.paper_accuracies(BASELINE)[0])


def comparison_figure(study: Study):
    """The paired differences with their intervals and the ordering claim's margin (None without pairs)."""
    table = comparisons(study)
    if table.empty:
        return None
    return plots.paired_differences(table.assign(comparison=table["comparison"].map(_named_comparison)),
                                    title="test accuracy, paired by seed",
                                    margin=claims.claim(ORDER)["rule_args"]["margin"])


def ratio_figure(study: Study):
    """The per-seed speed ratio against the threshold, with the claimed 6× and its band (None without ratios)."""
    curve = ratio_curve(study)
    if not curve["n"].any():
        return None
    six_x, about = study.claimed_ratio, claims.claim(RATIO)["rule_args"]["relative_margin"]
    return plots.ratio_curve(curve, declared=study.threshold, claimed=six_x,
                             band=(six_x * (1 - about), six_x * (1 + about)),
                             title="Sigmoid's steps over ReLU's, per seed, against the threshold")


def gradient_figure(study: Study, width: float = plots.MAX_WIDTH_IN):
    """Each layer's RMS gradient over the first steps, one panel per activation, ``width`` inches wide."""
    if study.probed is None:
        return None
    fig = model_plots.gradient_sizes(_named(study.probed), title=f"gradient size per layer, first "
                                                           f"{study.params['gradient_steps']} steps")
    fig.set_size_inches(width, fig.get_size_inches()[1] + 0.5)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    if legends:   # below the panels, where it hides no line
        handles, labels = fig.axes[-1].get_legend_handles_labels()
        for legend in legends:
            legend.remove()
        fig.legend(handles, labels, title="layer", loc="lower center", ncol=len(labels), fontsize="small")
        fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig
