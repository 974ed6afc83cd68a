"""Chapter 3 (LeNet-5 with Sigmoid, ReLU, ELU and Tanh): its study and the numbers its prose cites.

The chapter trains its run sets (``experiments.activation_study``) and hands their tables to a
``Study``; every function here reads that study. The notebook decides each claim in one visible
line (``activation_claims``: the evidence; ``Verdicts.decide``: the declared rule); the
``*_numbers`` functions here and in ``activation_numbers`` return what the prose glues, reading
the verdicts recorded; ``activation_figures`` draws the tables and figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..core import claims
from ..judging import measures, stats
from ..judging.results import convergence_budget, final_rows, stopping
from ..judging.verdicts import Verdicts
from ..present import intervals, tables
from ..runs import gradients, weights

CHAPTER = "03_activation_study"
FLAX = CHAPTER + "_flax"          # the main runs again in Flax (experiments.activation_study)
# The parameters cell's names, in its order (``parameters`` takes them from the notebook).
PAIRS = [("relu", "sigmoid"), ("elu", "sigmoid"), ("elu", "relu")]   # the ordering claims' comparisons
ORDER, ELU, RATIO = ("wang2020.activation.relu_elu_beat_sigmoid", "wang2020.activation.elu_slightly_better",
                     "wang2020.activation.relu_converges_6x_faster")
OVERFIT = "wang2020.activation.relu_alleviates_overfitting"
BASELINE = "wang2020.lenet5.baseline_accuracy"
SPARSITY = "wang2020.activation.relu_sparsity"
# Why each activation claim is not testable where its arms are missing.
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

    def on_flax(self) -> Study | None:
        """The same study of the chapter's main runs trained again in Flax (``flax_seeds``: the
        second implementation), or None where these parameters train none."""
        table = self.tables.get(FLAX)
        return None if table is None else Study(self.sets, {CHAPTER: table}, self.params, self.mnist)

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


def comparisons(study: Study) -> pd.DataFrame:
    """The paired differences of mean test accuracy (``PAIRS`` present in the runs): comparison,
    n, diff, ci_low, ci_high, p_value (``stats.difference``, in accuracy)."""
    rows = [{"comparison": f"{a} − {b}", **stats.difference(*measures.paired(study.accuracy[a], study.accuracy[b]),
                                                             paired=True)}
            for a, b in PAIRS if a in study.accuracy and b in study.accuracy]
    return pd.DataFrame(rows, columns=["comparison", "n", "diff", "ci_low", "ci_high", "p_value"])


def _grid_final(study: Study) -> pd.DataFrame | None:
    grid = study.table("_optimizer_grid", activation_configs=False)
    return None if grid is None else final_rows(grid)


# ------------------------------------------------------------------ numbers and verdicts
def mean_steps(steps) -> str:
    return "never" if np.isnan(steps).all() else f"{np.nanmean(steps):,.0f}"


def stopping_numbers(study: Study) -> dict:
    stops = study.stops
    return {"stop_epochs": "; ".join(f"{tables.name(c)} {g['best_epoch'].min():.1f}–{g['best_epoch'].max():.1f}"
                                     for c, g in stops.groupby("config", sort=False)),
            "n_converged": f"{int(stops['converged'].sum())} of {len(stops)}"}


def accuracy_numbers(study: Study) -> dict:
    p = study.params
    values = {f"acc_{a}": intervals.interval(study.accuracy[a]) if a in study.accuracy
              else "not run with these parameters" for a in sorted(set(p["activations"]) | {"sigmoid", "relu", "elu"})}
    stopped = f", stopped {p['patience_epochs']} epochs after the best validation loss" if p["patience_epochs"] else ""
    return {**values, "n_seeds": len(p["seeds"]), "epochs": f"at most {p['max_epochs']} epochs{stopped}"}


def ordering_numbers(study: Study) -> dict:
    """The paired differences and the two ordering verdicts (ReLU, ELU > Sigmoid; ELU > ReLU)."""
    by_name = comparisons(study).set_index("comparison")
    values = {f"diff_{a}_{b}": stats.fmt_difference(by_name.loc[f"{a} − {b}"], scale=100, unit=" pp")
              if f"{a} − {b}" in by_name.index else f"not measured (no {a} or no {b} runs)" for a, b in PAIRS}
    values["order_verdict"] = study.checks.recorded(ORDER)
    values["elu_verdict"] = study.checks.recorded(ELU)
    return {**values, "elu_why": study.checks.recorded(ELU, "how")}


def ratio_numbers(study: Study, measured: dict) -> dict:
    """The 6× claim: Sigmoid's steps over ReLU's to the declared validation accuracy
    (``measured``: ``activation_claims.activation_measurements``)."""
    verdict = study.checks.recorded(RATIO)
    if RATIO in measured:
        found = measured[RATIO][1]
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
    mean = (f"{study.accuracy['sigmoid'].mean() * 100:.2f}%" if "sigmoid" in study.accuracy
            else "no accuracy (Sigmoid was not run)")
    return {"sigmoid_vs_98": study.checks.recorded(BASELINE), "sigmoid_mean_pct": mean,
            "floor_margin": study.checks.recorded(BASELINE, "margin")}


def overfitting_numbers(study: Study, measured: dict) -> dict:
    """The validation − training loss gap, Sigmoid against ReLU, paired by seed."""
    verdict = study.checks.recorded(OVERFIT)
    if OVERFIT in measured:
        found = measured[OVERFIT][1]
        gap = stats.fmt_difference(stats.difference(found["a"], found["b"], paired=True), digits=4)
    else:
        gap = f"not measured ({NEEDS[OVERFIT]})"
    return {"gap_relu_sigmoid": gap, "relu_overfit_verdict": verdict}


