"""Chapter 3 (LeNet-5 with Sigmoid, ReLU, ELU and Tanh): the tables and figures its page shows,
the numbers its prose cites and the verdicts it records.

The chapter trains its run sets (``experiments.activation_study``) and hands their tables to a
``Study``; every function here reads that study. ``numbers`` judges the chapter's claims by the
rules the claims file declares (``verdicts.Verdicts``) and returns what the prose glues; the
``*_table`` functions return frames with the names readers see, the ``*_figure`` ones figures.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from . import benchmark_rows, claims, display, experiments, gradients, measures, models, paths, plots, stats, weights
from .results import convergence_budget, final_rows, stopping
from .results import read as read_results
from .verdicts import Verdicts

CHAPTER = "03_activation_study"
# The parameters cell's names, in its order (``parameters`` takes them from the notebook).
PAIRS = [("relu", "sigmoid"), ("elu", "sigmoid"), ("elu", "relu")]   # the ordering claims' comparisons
ORDER, ELU, RATIO = ("wang2020.activation.relu_elu_beat_sigmoid", "wang2020.activation.elu_slightly_better",
                     "wang2020.activation.relu_converges_6x_faster")
OVERFIT = "wang2020.activation.relu_alleviates_overfitting"
BASELINE = "wang2020.lenet5.baseline_accuracy"
SPARSITY = "wang2020.activation.relu_sparsity"
# The activations whose runs must all have converged for a claim's shortfall to count against it
# (None: the rule takes no budget; ``measures.activation_evidence`` supplies the evidence).
ARMS = {ORDER: ("relu", "elu", "sigmoid"), ELU: ("elu", "relu"), RATIO: None, OVERFIT: ("sigmoid", "relu")}
NEEDS = {ORDER: "needs sigmoid, relu and elu runs", ELU: "needs relu and elu runs",
         RATIO: "not measurable (ReLU or Sigmoid runs missing, or ReLU below the threshold)",
         OVERFIT: "needs relu and sigmoid runs"}



@dataclass
class Study:
    """The chapter's trained run sets (``sets``, from ``experiments.activation_study``), their tables
    by set name (``runsets.train_set(...).table``), its parameters and the data the probes read."""

    sets: list
    tables: dict
    params: dict
    mnist: object = None
    checks: Verdicts = field(init=False)

    def __post_init__(self):
        self.checks = Verdicts(self.params["profile"], CHAPTER)
        self.runs = {s.name: s for s in self.sets}[CHAPTER]

    def table(self, suffix: str, activation_configs: bool = True) -> pd.DataFrame | None:
        """The table of the run set ``03_activation_study<suffix>`` (None when these parameters
        declare none), its ``config`` the activation (``measures.by_activation``) unless asked not."""
        table = self.tables.get(CHAPTER + suffix)
        return measures.by_activation(table) if table is not None and activation_configs else table

    @property
    def results(self) -> pd.DataFrame:
        return self.tables[CHAPTER]

    @cached_property
    def final(self) -> pd.DataFrame:
        return final_rows(self.results)

    @cached_property
    def stops(self) -> pd.DataFrame:
        return stopping(self.results)

    @property
    def ran(self) -> str:
        return convergence_budget(self.stops, self.params["patience_epochs"], self.params["max_epochs"])

    def converged(self, *activations) -> bool:
        """Whether every run of ``activations`` stopped by the patience rule, not the epoch cap."""
        return bool(self.stops.loc[self.stops["config"].isin(activations), "converged"].all())

    def converged_by_seed(self, *activations) -> np.ndarray:
        """Per seed (in seed order): whether the runs of all ``activations`` with that seed stopped
        by the patience rule."""
        stops = self.stops[self.stops["config"].isin(activations)]
        return stops.groupby("seed")["converged"].all().sort_index().to_numpy(bool)

    @cached_property
    def accuracy(self) -> dict:
        """Test accuracy per activation of ``activations``, indexed by seed."""
        return {a: measures.per_seed(self.final, a, "test_accuracy") for a in self.params["activations"]}

    @property
    def threshold(self) -> float:
        return self.params["convergence_threshold"] or claims.measure(RATIO)["threshold"]

    @property
    def claimed_ratio(self) -> float:
        return claims.values(RATIO)[0]

    @property
    def interpolated(self) -> bool:
        """Whether the 6× claim's crossings are interpolated between evaluations (its ``measure``)."""
        return claims.measure(RATIO).get("crossing") == "interpolated"

    @cached_property
    def extra(self) -> pd.DataFrame:
        extra = self.table("_extra", activation_configs=False)
        return self.results.iloc[:0] if extra is None else extra

    @cached_property
    def dense(self) -> pd.DataFrame:
        dense = self.table("_fully_connected")
        return self.results.iloc[:0] if dense is None else dense

    @cached_property
    def zeros(self) -> pd.DataFrame | None:
        """Per ReLU seed of ``sparsity_seeds``, the share of exact zeros per hidden layer (the runs
        are trained once more, weights kept: ``weights.sparsity``); None without them."""
        seeds = self.params["sparsity_seeds"]
        if "relu" not in self.accuracy or not seeds:
            return None
        return weights.sparsity(self.runs, "relu", seeds, claims.measure(SPARSITY)["layers"], self.mnist)

    @cached_property
    def probed(self) -> pd.DataFrame | None:
        """The gradient probes of the first ``gradient_steps`` (``gradients.run_set_probes``); None without seeds."""
        if not self.params["gradient_seeds"]:
            return None
        return gradients.run_set_probes(self.runs, self.params["gradient_steps"], self.params["gradient_seeds"],
                                        self.mnist)


# ----------------------------------------------------------------------------------- tables
def _fixed(value, digits: int):
    """A number with ``digits`` decimals, or None (a dash in ``report.show``) when it is missing."""
    return None if value is None or pd.isna(value) else f"{value:.{digits}f}"


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(config=frame["config"].map(display.name))


def stopping_table(study: Study) -> pd.DataFrame:
    """Per run: the epoch of the weights it was tested with, the epoch it stopped at, and whether
    the patience rule stopped it (else the epoch cap did)."""
    stops = study.stops
    return pd.DataFrame({"activation": stops["config"].map(display.name), "seed": stops["seed"].astype(int),
                         "epoch of the tested weights": stops["best_epoch"].map(lambda e: _fixed(e, 2)),
                         "stopped at epoch": stops["stop_epoch"].map(lambda e: _fixed(e, 2)),
                         "stopped by": stops["converged"].map({True: "patience", False: "epoch cap"})})


def accuracy_table(final: pd.DataFrame, digits: int, by: str = "activation") -> pd.DataFrame:
    """Test accuracy per ``config`` of ``final`` (one row per run): runs, mean, standard deviation
    and the 95% confidence interval of the mean, with ``digits`` decimals. The interval never
    leaves [0, 1] (``display.interval_ends``); a configuration of three runs or fewer has none,
    and its runs are listed instead ("each run")."""
    summary = stats.summarize(final, "config", "test_accuracy")
    values = {config: runs["test_accuracy"].to_numpy() for config, runs in final.groupby("config", sort=False)}
    ends = [display.interval_ends(values[c]) for c in summary["config"]]
    table = pd.DataFrame({by: summary["config"].map(display.name), "runs": summary["n"].astype(int),
                          "mean test accuracy": summary["mean"].map(lambda v: _fixed(v, digits)),
                          "SD": summary["sd"].map(lambda v: _fixed(v, digits)),
                          "95% CI low": [_fixed(low, digits) for low, _ in ends],
                          "95% CI high": [_fixed(high, digits) for _, high in ends]})
    if (summary["n"] <= 3).any():
        table["each run"] = [", ".join(f"{v:.{digits}f}" for v in values[c]) if n <= 3 else None
                             for c, n in zip(summary["config"], summary["n"])]
    return table


def comparisons(study: Study) -> pd.DataFrame:
    """The paired differences of mean test accuracy (``PAIRS`` present in the runs): comparison,
    n, diff, ci_low, ci_high, p_value (``stats.difference``, in accuracy)."""
    rows = [{"comparison": f"{a} − {b}", **stats.difference(*measures.paired(study.accuracy[a], study.accuracy[b]),
                                                             paired=True)}
            for a, b in PAIRS if a in study.accuracy and b in study.accuracy]
    return pd.DataFrame(rows, columns=["comparison", "n", "diff", "ci_low", "ci_high", "p_value"])


def comparison_table(study: Study) -> pd.DataFrame:
    """``comparisons`` as readers see them: differences in percentage points."""
    table, digits = comparisons(study), max(study.params["table_digits"] - 2, 0)
    pp = lambda column: table[column].map(lambda v: None if pd.isna(v) else display.pp(v * 100, False, digits))
    return pd.DataFrame({"comparison": table["comparison"].map(_named_comparison), "pairs of runs": table["n"],
                         "difference (pp)": pp("diff"), "95% CI low (pp)": pp("ci_low"),
                         "95% CI high (pp)": pp("ci_high"),
                         "p": table["p_value"].map(lambda v: _fixed(v, study.params["table_digits"]))})


def _named_comparison(comparison: str) -> str:
    return " − ".join(display.name(part) for part in comparison.split(" − "))


def reach_table(study: Study) -> pd.DataFrame:
    """Per activation: its runs, how many reached the declared validation accuracy, and the mean
    epoch at which they did."""
    reach = stats.steps_to_reach(study.results, study.threshold)
    grouped = reach.groupby("config", sort=False)
    return pd.DataFrame({"activation": [display.name(c) for c in grouped.groups],
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
    tables = [accuracy_table(study.final, digits).assign(network="LeNet-5")]
    if len(study.dense):
        tables.append(accuracy_table(final_rows(study.dense), digits).assign(network="fully connected"))
    table = pd.concat(tables, ignore_index=True)
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
    return pd.DataFrame({"activation": [display.name(c) for c in medians.index],
                         "first layer over output layer (median over seeds)":
                             medians["input_over_output"].map(_ratio).to_numpy(),
                         "largest layer over smallest (median over seeds)":
                             medians["layer_spread"].map(_ratio).to_numpy()})


def _grid_final(study: Study) -> pd.DataFrame | None:
    grid = study.table("_optimizer_grid", activation_configs=False)
    return None if grid is None else final_rows(grid)


def grid_table(study: Study) -> pd.DataFrame:
    """The optimizer grid: validation accuracy per learning rate (rows) and activation (columns),
    the mean over ``second_grid_seeds``."""
    grid = _grid_final(study)
    if grid is None:
        return pd.DataFrame()
    grid = grid.assign(activation=grid["model_kwargs"].map(lambda k: display.name(json.loads(k)["activation"])))
    wide = grid.pivot_table(index="learning_rate", columns="activation", values="val_accuracy", sort=False)
    table = wide.map(lambda v: _fixed(v, study.params["table_digits"])).reset_index()
    table["learning_rate"] = table["learning_rate"].map(lambda r: f"{r:g}")
    return table.rename(columns={"learning_rate": "learning rate"}).rename_axis(columns=None)


def second_table(study: Study) -> pd.DataFrame:
    """Test accuracy per activation with the second optimizer at the chosen rates."""
    second = study.table("_optimizer")
    return pd.DataFrame() if second is None else accuracy_table(final_rows(second), study.params["table_digits"])


def looks_table(study: Study) -> pd.DataFrame:
    """Per claim judged again on the second optimizer's runs (after ``numbers``): the verdict of
    record (Adam's) and the second look's."""
    record = f"{display.name(study.params['optimizer'])} (of record)"
    second = f"{display.name(study.params['second_optimizer'])} (second look)"
    rows = [{"claim": display.claim_label(r["claim_id"]), record: study.checks.recorded(r["claim_id"]),
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
    fig = plots.gradient_sizes(_named(study.probed), title=f"gradient size per layer, first "
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


# ------------------------------------------------------------------ numbers and verdicts
def _mean_steps(steps) -> str:
    return "never" if np.isnan(steps).all() else f"{np.nanmean(steps):,.0f}"


def stopping_numbers(study: Study) -> dict:
    stops = study.stops
    return {"stop_epochs": "; ".join(f"{display.name(c)} {g['best_epoch'].min():.1f}–{g['best_epoch'].max():.1f}"
                                     for c, g in stops.groupby("config", sort=False)),
            "n_converged": f"{int(stops['converged'].sum())} of {len(stops)}"}


def accuracy_numbers(study: Study) -> dict:
    p = study.params
    values = {f"acc_{a}": display.interval(study.accuracy[a]) if a in study.accuracy
              else "not run with these parameters" for a in sorted(set(p["activations"]) | {"sigmoid", "relu", "elu"})}
    stopped = f", stopped {p['patience_epochs']} epochs after the best validation loss" if p["patience_epochs"] else ""
    return {**values, "n_seeds": len(p["seeds"]), "epochs": f"at most {p['max_epochs']} epochs{stopped}"}


def _judge_evidence(study: Study, claim_id: str, evidence: dict) -> str:
    """A claim of ``measures.activation_evidence`` judged for the record (not testable when absent)."""
    if claim_id not in evidence:
        return study.checks.not_testable(claim_id, NEEDS[claim_id])
    measured, found = evidence[claim_id]
    return study.checks.judge(claim_id, measured, **found, **arm_budget(study, claim_id), ran=study.ran)


def arm_budget(study: Study, claim_id: str) -> dict:
    """Whether each claim's runs converged, per arm where the rule can use it: an accuracy
    comparison A > B is turned by more training only where arm A fell short (``rules.evaluate``)."""
    arms = ARMS[claim_id]
    if arms is None:
        return {}
    # Per seed, so that a sequential plan's look at n asks only whether its own n runs converged.
    if claim_id == ORDER:
        return {"converged": {f"{a} > Sigmoid": {"a": study.converged_by_seed(a.lower()),
                                                 "b": study.converged_by_seed("sigmoid")} for a in ("ReLU", "ELU")}}
    if claim_id == ELU:
        return {"converged": {"a": study.converged_by_seed("elu"), "b": study.converged_by_seed("relu")}}
    return {"converged": study.converged_by_seed(*arms)}


def ordering_numbers(study: Study, evidence: dict) -> dict:
    """The paired differences and the two ordering verdicts (ReLU, ELU > Sigmoid; ELU > ReLU)."""
    by_name = comparisons(study).set_index("comparison")
    values = {f"diff_{a}_{b}": stats.fmt_difference(by_name.loc[f"{a} − {b}"], scale=100, unit=" pp")
              if f"{a} − {b}" in by_name.index else f"not measured (no {a} or no {b} runs)" for a, b in PAIRS}
    values["order_verdict"] = _judge_evidence(study, ORDER, evidence)
    values["elu_verdict"] = _judge_evidence(study, ELU, evidence)
    return {**values, "elu_why": study.checks.recorded(ELU, "how")}


def ratio_numbers(study: Study, evidence: dict) -> dict:
    """The 6× claim: Sigmoid's steps over ReLU's to the declared validation accuracy."""
    verdict = _judge_evidence(study, RATIO, evidence)
    if RATIO in evidence:
        found = evidence[RATIO][1]
        ratio = f"{'≥ ' if found['censored'].any() else ''}{stats.fmt_ci(stats.mean_ci(found['per_seed_ratios']), 1)}"
        resolution = measures.ratio_resolution(study.results, "sigmoid", "relu", study.threshold)
        finest = (f"{resolution['mean_change']:.1%} on the mean ratio (a seed's ratio by a median "
                  f"{resolution['median_change']:.1%}, at most {resolution['max_change']:.1%}, over {resolution['n']} "
                  "seeds)" if resolution["n"] else "not measurable (no seed with a ratio)")
    else:
        ratio = finest = NEEDS[RATIO]
    return {"threshold": f"{study.threshold:.2f}", "ratio": ratio, "paper_ratio": f"{study.claimed_ratio:g}",
            "ratio_verdict": verdict, "ratio_look": study.checks.recorded(RATIO, "look", ""),
            "ratio_resolution": finest}


def baseline_numbers(study: Study) -> dict:
    """The 98% floor of the Sigmoid LeNet-5."""
    if "sigmoid" in study.accuracy:
        sigmoid = study.accuracy["sigmoid"]
        values = {"sigmoid_vs_98": study.checks.judge(BASELINE, stats.fmt_ci(stats.mean_ci(sigmoid)), sample=sigmoid,
                                                      converged=study.converged("sigmoid"), ran=study.ran),
                  "sigmoid_mean_pct": f"{sigmoid.mean() * 100:.2f}%"}
    else:
        values = {"sigmoid_vs_98": study.checks.not_testable(BASELINE, "no sigmoid runs"),
                  "sigmoid_mean_pct": "no accuracy (Sigmoid was not run)"}
    return {**values, "floor_margin": study.checks.recorded(BASELINE, "margin")}


def overfitting_numbers(study: Study, evidence: dict) -> dict:
    """The validation − training loss gap, Sigmoid against ReLU, paired by seed."""
    verdict = _judge_evidence(study, OVERFIT, evidence)
    if OVERFIT in evidence:
        found = evidence[OVERFIT][1]
        gap = stats.fmt_difference(stats.difference(found["a"], found["b"], paired=True), digits=4)
    else:
        gap = f"not measured ({NEEDS[OVERFIT]})"
    return {"gap_relu_sigmoid": gap, "relu_overfit_verdict": verdict}


def parameter_numbers(study: Study) -> dict:
    """LeNet-5's parameters as built and with every convolution fully connected."""
    counts = measures.parameter_counts(models.build("lenet5", activation=study.params["activations"][0]))
    shared, dense = f"{counts['shared']:,}", f"{counts['fully_connected']:,}"
    verdict = study.checks.judge("wang2020.lenet5.fewer_parameters",
                                 f"{shared} parameters; {dense} with every convolution fully connected",
                                 shared=counts["shared"], fully_connected=counts["fully_connected"])
    return {"lenet_parameters": shared, "lenet_fully_connected": dense, "fewer_parameters_verdict": verdict}


def saturation_numbers(study: Study) -> dict:
    """Sigmoid of the paper's two inputs, and its slope, in the float32 arithmetic the networks use."""
    import keras

    inputs = np.array(claims.values("wang2020.activation.sigmoid_saturation"), dtype=np.float32)
    outputs = keras.ops.convert_to_numpy(keras.activations.sigmoid(keras.ops.convert_to_tensor(inputs)))
    slopes = outputs * (np.float32(1) - outputs)   # the derivative of Sigmoid, in float32
    shown = ", ".join(f"{o:.9g}" for o in outputs)
    verdict = study.checks.judge(
        "wang2020.activation.sigmoid_saturation", f"float32 Sigmoid of {', '.join(f'{x:g}' for x in inputs)}: "
        f"{shown}; slopes {', '.join(f'{g:g}' for g in slopes)}",
        value=[bool(outputs[0] == outputs[1]), bool((slopes == 0).all())], expected=[True, True])
    tanh = keras.ops.convert_to_numpy(keras.activations.tanh(keras.ops.convert_to_tensor(inputs)))
    tanh_slopes = np.float32(1) - tanh * tanh   # the derivative of Tanh, in float32
    tanh_shown = ", ".join(f"{o:.9g}" for o in tanh)
    tanh_verdict = study.checks.judge(
        "wang2020.activation.tanh_saturation", f"float32 Tanh of {', '.join(f'{x:g}' for x in inputs)}: "
        f"{tanh_shown}; slopes {', '.join(f'{g:g}' for g in tanh_slopes)}",
        value=[bool(tanh[0] == tanh[1]), bool((tanh_slopes == 0).all())], expected=[True, True])
    return {"saturation_outputs": shown, "saturation_verdict": verdict, "tanh_saturation_outputs": tanh_shown,
            "tanh_saturation_verdict": tanh_verdict}


def raw_pixel_numbers(study: Study) -> dict:
    """LeNet-5 on pixels of 0 to 255 against the same activation on pixels scaled to [0, 1]
    (chapter 3's own runs), test accuracy paired by seed: "the input value should not be too
    large, otherwise ... unable to train" (judged per activation)."""
    claim_id = "wang2020.activation.large_inputs_untrainable"
    raw = study.table("_raw_pixels")
    if raw is None:
        return {"raw_pixels_measured": "not run (raw_pixel_activations is empty)",
                "raw_pixels_verdict": study.checks.not_testable(claim_id, "no runs on raw pixels")}
    raw_final = final_rows(raw)
    extra = study.table("_extra")
    scaled = study.final if extra is None else pd.concat([study.final, final_rows(extra)])   # Tanh is an extra
    pairs, said = {}, []
    for activation in dict.fromkeys(raw_final["config"]):
        on_raw = measures.per_seed(raw_final, activation, "test_accuracy")
        on_scaled = measures.per_seed(scaled, activation, "test_accuracy")
        if on_scaled.empty:
            continue
        pairs[display.name(activation)] = measures.paired(on_scaled, on_raw)
        said.append(f"{display.name(activation)} {display.interval(on_raw)} on pixels of 0 to 255 against "
                    f"{display.interval(on_scaled)} scaled")
    if not pairs:
        return {"raw_pixels_measured": "not comparable (no scaled runs of these activations)",
                "raw_pixels_verdict": study.checks.not_testable(claim_id, "no scaled runs to compare with")}
    converged = bool(stopping(raw)["converged"].all())
    verdict = study.checks.judge(claim_id, "; ".join(said), pairs=pairs, converged=converged, ran=study.ran)
    return {"raw_pixels_measured": "; ".join(said), "raw_pixels_verdict": verdict}


def weight_sharing_numbers(study: Study) -> dict:
    """Steps to the declared validation accuracy, LeNet-5 against the fully connected network."""
    claim_id, threshold = "wang2020.lenet5.speeds_up_learning", study.threshold
    dense_set = {s.name: s for s in study.sets}.get(CHAPTER + "_fully_connected")
    size = 0 if dense_set is None else measures.parameter_counts(
        models.build(dense_set.configs[0].model, **dense_set.configs[0].model_kwargs))["shared"]
    activations = claims.measure(claim_id)["activations"]
    values = {"dense_parameters": f"{size:,}"}
    if not all(a in study.accuracy and a in set(study.dense["config"]) for a in activations):
        values["dense_steps"] = f"not measured (needs LeNet-5 and fully connected runs of {' and '.join(activations)})"
        values["speed_up_verdict"] = study.checks.not_testable(
            claim_id, f"needs {' and '.join(activations)} runs of both networks")
        return values
    lenet, dense = stats.steps_to_reach(study.results, threshold), stats.steps_to_reach(study.dense, threshold)
    pairs = {a: measures.paired(measures.per_seed(lenet, a, "steps"), measures.per_seed(dense, a, "steps"))
             for a in activations}
    text = "; ".join(f"{a}: LeNet-5 {_mean_steps(le)}, fully connected {_mean_steps(d)}"
                     for a, (le, d) in pairs.items())
    values["dense_steps"] = text
    values["speed_up_verdict"] = study.checks.judge(claim_id, f"mean steps to validation accuracy {threshold}: {text}",
                                                    pairs=pairs, cap=study.runs.configs[0].steps, ran=study.ran)
    return values


def tanh_numbers(study: Study) -> dict:
    """Steps to the declared validation accuracy, ReLU against Tanh, paired by seed."""
    claim_id, threshold = "wang2020.activation.relu_faster_than_tanh", study.threshold
    values = {"tanh_threshold": f"{threshold:.2f}"}
    if not {"tanh", "relu"} <= set(study.results["config"]) | set(study.extra["config"]):
        values["tanh_steps"] = "not measured (no tanh or no relu runs)"
        values["tanh_verdict"] = study.checks.not_testable(claim_id,
                                                           "needs relu runs and a tanh arm (extra_activations)")
        return values
    reach = pd.concat([stats.steps_to_reach(study.results, threshold), stats.steps_to_reach(study.extra, threshold)])
    relu, tanh = measures.paired(measures.per_seed(reach, "relu", "steps"), measures.per_seed(reach, "tanh", "steps"))
    values["tanh_steps"] = f"ReLU {_mean_steps(relu)}, Tanh {_mean_steps(tanh)}"
    values["tanh_verdict"] = study.checks.judge(
        claim_id, f"mean steps to validation accuracy {threshold}: {values['tanh_steps']}",
        a_steps=relu, b_steps=tanh, cap=study.runs.configs[0].steps, ran=study.ran)
    return values


def sparsity_numbers(study: Study) -> dict:
    """The share of exactly-zero hidden outputs of the ReLU network against "most" (the claims file's floor)."""
    zeros, measure = study.zeros, claims.measure(SPARSITY)
    if zeros is None:
        why = "not measured (no relu runs or no sparsity_seeds)"
        return {"zero_share": why, "zero_layers": why, "zero_repeats": why,
                "sparsity_verdict": study.checks.not_testable(SPARSITY, "needs relu runs and sparsity_seeds")}
    share = stats.fmt_ci(stats.mean_ci(zeros["all"]), 3)
    return {"zero_share": share,
            "zero_layers": ", ".join(f"{layer} {zeros[layer].mean():.2f}" for layer in measure["layers"]),
            "zero_repeats": f"{int((zeros['differs_from_stored'] == 0).sum())} of {len(zeros)}",
            "sparsity_verdict": study.checks.judge(
                SPARSITY, f"share of zero outputs of {', '.join(measure['layers'])}: {share}", sample=zeros["all"],
                floor=measure["floor"], converged=study.converged("relu"), ran=study.ran)}


def dissipation_numbers(study: Study) -> dict:
    """The first layer's gradient over the output layer's, ReLU against Sigmoid, paired by seed."""
    claim_id, steps, seeds = "wang2020.activation.gradient_dissipation", *(study.params[p] for p in
                                                                           ("gradient_steps", "gradient_seeds"))
    if study.probed is None or not {"relu", "sigmoid"} <= set(study.accuracy):
        return {"gradient_ratios": "not measured (no gradient_seeds)", "dissipation_verdict": study.checks.not_testable(
            claim_id, "needs relu and sigmoid runs and gradient_seeds")}
    shapes = gradients.summaries(study.probed)
    ratio_of = lambda config: measures.per_seed(shapes, config, "input_over_output")
    relu, sigmoid = measures.paired(ratio_of("relu"), ratio_of("sigmoid"))
    verdict = study.checks.judge(
        claim_id, f"first-layer over output-layer RMS gradient, geometric mean of the first {steps} steps: "
        f"ReLU {np.median(relu):.3g}, Sigmoid {np.median(sigmoid):.3g} (medians over seeds)",
        a=relu, b=sigmoid, ran=f"the first {steps} steps, seeds {', '.join(map(str, seeds))}")
    return {"gradient_ratios": "; ".join(f"{c} {ratio_of(c).median():.3g}" for c in dict.fromkeys(shapes["config"])),
            "dissipation_verdict": verdict}


def efficiency_numbers(study: Study, bench: pd.DataFrame | None = None) -> dict:
    """Training images per second per activation from the benchmark's part 6 (``bench``: its rows,
    by default ``paths.BENCHMARK``), ReLU against Sigmoid."""
    bench = read_results(paths.BENCHMARK) if bench is None else bench
    timed = {a: bench.loc[bench["measurement"] == benchmark_rows.activation_measurement(a), "value"].to_numpy()
             for a in ("relu", "sigmoid", "elu", "tanh")}
    claim_id = "wang2020.activation.relu_efficiency"
    if not (len(timed["relu"]) and len(timed["sigmoid"])):
        return {"activation_speeds": "not measured (the benchmark has no part 6 rows)",
                "efficiency_verdict": study.checks.not_testable(claim_id, "no benchmark rows for the activations")}
    speed = lambda a: f"{np.median(timed[a]):,.0f}"
    paired = benchmark_rows.paired_speeds(bench, benchmark_rows.activation_measurement("relu"),
                                          benchmark_rows.activation_measurement("sigmoid"))
    return {"activation_speeds": ", ".join(f"{a} {speed(a)}" for a in timed if len(timed[a])),
            "efficiency_verdict": study.checks.judge(
                claim_id, f"{speed('relu')} vs {speed('sigmoid')} images/s (medians of {paired['said']})",
                a=paired["a"], b=paired["b"], ran="the benchmark's part 6 (`make benchmark`)")}


def optimizer_numbers(study: Study) -> dict:
    """The optimizer grid's choice against the rates run, and the four activation claims judged
    again (second looks) on the chosen rates' runs; which verdicts change with the optimizer."""
    p, grid = study.params, _grid_final(study)
    if grid is None:
        values = {"second_choice": "none (no grid: second_learning_rates is empty)", "second_ran": "none",
                  "second_matches": "not comparable"}
    else:
        choice = experiments.second_rate_choice(grid)
        values = {"second_choice": ", ".join(f"{a} {r:g}" for a, r in choice.items()),
                  "second_ran": ", ".join(f"{a} {r:g}" for a, r in (p["second_rates"] or {}).items()) or "none yet",
                  "second_matches": "the same" if dict(p["second_rates"] or {}) == choice
                  else "not the same: the runs below are not the protocol choice"}
    second = study.table("_optimizer")
    if second is not None:
        second_final, stops = final_rows(second), stopping(second)
        seeds = ", ".join(map(str, p["second_seeds"]))
        ran = (f"{p['second_optimizer']} at the rates chosen on validation, seeds {seeds}, "
               + convergence_budget(stops, p["patience_epochs"], p["max_epochs"]))
        found = measures.activation_evidence(second, second_final, study.threshold, study.claimed_ratio,
                                             study.interpolated)
        for claim_id, (measured, evidence) in found.items():
            study.checks.second_look(claim_id, measured, ran=ran, converged=bool(stops["converged"].all()), **evidence)
    changed = [f"“{display.claim_label(r['claim_id'])}” ({study.checks.recorded(r['claim_id'])} with Adam, {r['verdict']} "
               f"with {p['second_optimizer']})" for r in study.checks.second_looks
               if r["verdict"] != study.checks.recorded(r["claim_id"])]
    return {**values, "optimizer_changes": "; ".join(changed) or "none"}


def prose_numbers(study: Study) -> dict:
    """What the prose cites beside ``numbers`` (call it after ``numbers``, which records the
    verdicts read here): the ordering claims' margin, the share of ReLU's zero outputs over its
    few seeds (the runs themselves, ``display.interval``) and why the efficiency verdict is what it is."""
    zeros = study.zeros
    return {"order_margin": f"+{claims.claim(ORDER)['rule_args']['margin'] * 100:g} pp",
            "zero_share_runs": "not measured (no ReLU runs or no seeds for the weights)" if zeros is None
            else display.interval(zeros["all"], 3),
            "efficiency_why": display.prose(study.checks.recorded("wang2020.activation.relu_efficiency", "how"))}


def for_readers(values: dict) -> dict:
    """The glued numbers as readers read them (``display.prose``: names, not ids; true minus signs)."""
    return display.prose_values(values)


def numbers(study: Study, bench: pd.DataFrame | None = None) -> dict:
    """Every number the prose cites, by glue key, the chapter's verdicts recorded in ``study.checks``
    on the way (in the page's order; the second looks last). ``bench``: the benchmark's rows."""
    evidence = measures.activation_evidence(study.results, study.final, study.threshold, study.claimed_ratio,
                                            study.interpolated)
    return {**stopping_numbers(study), **accuracy_numbers(study), **ordering_numbers(study, evidence),
            **ratio_numbers(study, evidence), **baseline_numbers(study), **overfitting_numbers(study, evidence),
            **parameter_numbers(study), **saturation_numbers(study), **raw_pixel_numbers(study),
            **weight_sharing_numbers(study),
            **tanh_numbers(study), **sparsity_numbers(study), **dissipation_numbers(study),
            **efficiency_numbers(study, bench), **optimizer_numbers(study)}
