"""Chapter 6 (Liu & Fu's improved CNN): the tables, figures and numbers its page shows.

Each function takes the chapter's parameters (``params``) and what it trained, and returns a
reader-ready frame, a figure, or a dict of the numbers its prose cites (glued under their keys).
The notebook decides each claim where its runs are shown (``cnn_claims``: the evidence;
``Verdicts.decide``: the declared rule); the functions here that take ``checks`` only read it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core import claims, paths
from ..core.names import NAMES
from ..core.profiles import Parameters
from ..judging import measures, stats, verdicts
from ..judging.results import ablation_effects, final_rows
from ..judging.results import read as read_results
from ..present import intervals, model_plots, plots, rendering, tables
from ..runs import experiments, probes
from ..runs.runsets import train_set
from ..training import models

CHAPTER = "06_improved_cnn"
FULL, SENSITIVITY, FINAL_FIVE, ABLATION = (CHAPTER, f"{CHAPTER}_sensitivity", f"{CHAPTER}_final_five",
                                           f"{CHAPTER}_ablation")
REFERENCE = "improved CNN"          # the full model's label among the ablations
PAPER_COLUMN = "Liu & Fu Table 2 (paper)"
# The two findings of Liu & Fu's accuracy claims: the set-up the paper evidently used (TensorFlow's
# Deep MNIST recipe, which it extends) and the one the declared protocol chose on the validation split.
TUTORIAL, CHOSEN = "the tutorial set-up", "the validation-chosen schedule"
ACCURACY, BEST = "liu_fu.cnn.accuracy", "liu_fu.cnn.best_accuracy"


# ----------------------------------------------------------------- parameters and run sets

def run_sets(params: Parameters) -> dict:
    """The chapter's run sets (``experiments.improved_cnn``) by name."""
    return {s.name: s for s in experiments.improved_cnn(params)}


def train_if(sets: dict, name: str, mnist, profile: str):
    """``train_set`` of the run set ``name`` (stored runs reused), or None where the profile
    declares no such set."""
    return train_set(sets[name], mnist, profile) if name in sets else None


def finals(trained, default=None) -> pd.DataFrame | None:
    """The final rows of ``trained`` (``results.final_rows``), or ``default`` where nothing trained."""
    return final_rows(trained.table) if trained is not None else default


def layer_table(sets: dict) -> pd.DataFrame:
    """The full model at the page's widths, layer by layer (``tables.layer_table``)."""
    [full] = sets[FULL].configs
    return tables.layer_table(models.build("liu_fu_cnn", **full.model_kwargs))


def _widths(widths) -> str:
    return "/".join(map(str, widths))


def _paper() -> list[float]:
    return claims.values("liu_fu.cnn.accuracy")


def _with_paper(table: pd.DataFrame, paper) -> pd.DataFrame:
    table[PAPER_COLUMN] = (list(paper) + [None] * len(table))[: len(table)]
    return table


# ----------------------------------------------------------------- the tutorial set-up
def seed_table(final: pd.DataFrame, params: dict, validation: bool = True) -> pd.DataFrame:
    """Per seed: validation accuracy (unless ``validation`` is False), test accuracy, and the
    paper's Table 2 beside them, rounded to ``params["digits"]``."""
    columns = {"seed": "seed", "val_accuracy": "validation accuracy", "test_accuracy": "test accuracy"}
    if not validation:
        columns.pop("val_accuracy")
    table = final[list(columns)].rename(columns=columns).reset_index(drop=True)
    table["seed"] = table["seed"].astype(int)
    return _with_paper(table, _paper()).round(params["digits"])


def setup_numbers(final: pd.DataFrame, params: dict, n_train: int) -> dict:
    """The numbers the tutorial set-up's and the protocol's prose cite (``n_train``: the
    training images of the first section)."""
    paper, steps = _paper(), params["steps"]
    protocol = claims.protocol("liu_fu.cnn.unstated_choices")
    return {"cnn_measured": intervals.interval(final["test_accuracy"]),
            "cnn_paper": stats.fmt_ci(stats.mean_ci(paper)),
            "cnn_paper_range": f"{min(paper):.4f}–{max(paper):.4f}",
            "cnn_best": f"{final['test_accuracy'].max():.4f}", "cnn_rate": f"{params['learning_rate']:g}",
            "cnn_steps": f"{steps:,}", "cnn_epochs": f"{steps * params['batch_size'] / n_train:.1f}",
            "cnn_widths": _widths(params["widths"]), "cnn_n": len(params["seeds"]),
            "cnn_test_every": f"{params['test_every']:,}" if params["test_every"] else "(no intermediate tests)",
            "protocol_declared": f"declared {protocol['declared']}", "grid_n": len(params["sensitivity_seeds"]),
            "grid_seeds": ", ".join(map(str, params["sensitivity_seeds"]))}


def accuracy_figure(final: pd.DataFrame, title: str):
    """Test accuracy per training against the paper's five."""
    return plots.fit_page(plots.measured_vs_paper(final["test_accuracy"], _paper(), title=title))


def verdict_summary(checks):
    """This page's verdicts at a glance, for its top: each claim in words with its set-up where it
    has two findings, what was measured, the verdict and why in one clause (a ``rendering.Shown``:
    HTML for the web, Markdown for the PDF)."""

    findings = [r for r in checks.second_looks if r["finding"]]
    rows = []
    for row in checks.rows:
        rows += [f for f in findings if f["claim_id"] == row["claim_id"] and f not in rows] + [row]
    frame = pd.DataFrame({
        "verdict": [r["verdict"] for r in rows],
        "claim": [tables.claim_label(r["claim_id"]) + (f": {r['finding']}" if r["finding"] else "") for r in rows],
        "measured": [r["measured"] for r in rows], "why": [r["gist"] for r in rows]})
    return rendering.Shown(rendering.table_html(frame, collapse_above=None), rendering.table_markdown(frame))


# ----------------------------------------------------------------- the declared grid
def protocol_table() -> pd.DataFrame:
    """The protocol the claims file declared for what the paper leaves open."""
    protocol = claims.protocol("liu_fu.cnn.unstated_choices")
    return pd.DataFrame({
        "": [*(["left open by the paper"] * len(protocol["unstated"])), "grid", "the choice", "judged"],
        "declared": [*protocol["unstated"], "; ".join(p["name"] for p in protocol["grid"]["schedule"]),
                     protocol["choose"], tables.words(protocol["final"])]})


def chosen(grid_final: pd.DataFrame | None, params: dict) -> str:
    """The grid point the validation split chooses ("" where no grid ran)."""
    return experiments.sensitivity_choice(grid_final, params["sensitivity"]) if grid_final is not None else ""


def _run_description(params: dict, n_train: int) -> str:
    return (f"{params['steps']:,} iterations of {params['batch_size']} images, widths {_widths(params['widths'])}, "
            f"{n_train:,} training images")


def tutorial_numbers(checks) -> dict:
    """The verdicts recorded on Liu & Fu's mean and best accuracy for the tutorial set-up, the
    paper's evident one (of record, or the claim's other finding where the profile trains a
    validation-chosen schedule), and why."""
    return {"tutorial_verdict": checks.recorded(ACCURACY, finding=TUTORIAL),
            "tutorial_why": checks.recorded(ACCURACY, "how", finding=TUTORIAL),
            "tutorial_best_verdict": checks.recorded(BEST, finding=TUTORIAL)}


def _tutorial_ran(params: dict, n_train: int) -> str:
    return (f"Adam at a constant {params['learning_rate']:g}, {n_train:,} images; "
            f"{params['steps']:,} iterations of {params['batch_size']} images, widths {_widths(params['widths'])}")


def probe_explanation(probed: pd.DataFrame) -> str:
    """What the probes say of the tutorial set-up's shortfall, in one clause for the headline."""
    if not len(probed):
        return ""
    changes = measures.probe_changes(probed).set_index("variant")
    after = probed.groupby("variant")["test_accuracy"].mean()
    said = [f"{after[variant]:.4f} with {variant}" for variant in probes.VARIANTS[1:] if variant in changes.index]
    return f"probes: {', '.join(said)}"


def _candidates(grid_final: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    """The grid's trainings and the tutorial set-up's, the latter as one more configuration."""
    return pd.concat([grid_final, final.assign(config=f"{TUTORIAL}, all {len(final)} trainings above")])


def grid_configurations(grid_final: pd.DataFrame, final: pd.DataFrame) -> list[str]:
    """The configurations of ``grid_table``'s rows, in its order."""
    return list(stats.summarize(_candidates(grid_final, final), "config", "val_accuracy")["config"])


def grid_table(grid_final: pd.DataFrame | None, final: pd.DataFrame, params: dict):
    """Per grid point and for the tutorial set-up: n, validation and test accuracy (mean and
    95% CI), the chosen point, and the paper's mean judged on its test accuracies by the declared
    rule (the notebook records the grid's as second looks). ``params["brief_tables"]``:
    configuration and n only. A sentence where the profile declares no grid."""
    if grid_final is None:
        return "This profile declares no grid (its parameter sensitivity is empty)."
    candidates = _candidates(grid_final, final)
    grid = stats.summarize(candidates, "config", "val_accuracy").rename(columns={"config": "configuration"})
    label = experiments.sensitivity_label(chosen(grid_final, params))
    grid["chosen"] = grid["configuration"].map(lambda c: "yes" if c == label else "")
    sample = lambda c: candidates.loc[candidates["config"] == c, "test_accuracy"]
    grid["validation accuracy"] = grid["configuration"].map(
        lambda c: intervals.interval(candidates.loc[candidates["config"] == c, "val_accuracy"]))
    grid["test accuracy"] = grid["configuration"].map(lambda c: intervals.interval(sample(c)))
    grid["verdict on the paper's mean"] = [
        verdicts.judgement(ACCURACY, sample=sample(c), iterations=params["steps"]).verdict for c in grid["configuration"]]
    grid["n"] = grid["n"].astype(int)
    columns = ["configuration", "n"] if params["brief_tables"] else [
        "configuration", "chosen", "n", "validation accuracy", "test accuracy", "verdict on the paper's mean"]
    return grid[columns]


def grid_figure(grid_final: pd.DataFrame | None, final: pd.DataFrame | None = None):
    """The grid's test accuracy per training, and the tutorial set-up's (``final``) as the table
    beside it has them, the paper's range shaded (None without a grid)."""
    if grid_final is None:
        return None
    paper = _paper()
    rows = grid_final if final is None else pd.concat([grid_final, final.assign(config=f"{TUTORIAL}, all trainings")])
    return plots.fit_page(plots.final_accuracy(rows, paper=(min(paper), max(paper)),
                                               title="the grid: test accuracy per training (shaded: the paper's five)"))


# ----------------------------------------------------------------- the final five
def judged_ran(params: dict, sets: dict, mnist) -> str:
    """The budget the accuracy verdicts were taken at, in words."""
    if FINAL_FIVE not in sets:
        return (f"the tutorial set-up (Adam at a constant {params['learning_rate']:g}), "
                f"{params['steps']:,} iterations of {params['batch_size']} images, widths {_widths(params['widths'])}")
    n_images = len(sets[FINAL_FIVE].data(mnist).train.head(params["train_size"]))
    return (f"{params['final_configuration']} (validation choice), {n_images:,} images; "
            f"{params['steps']:,} iterations of {params['batch_size']} images, widths {_widths(params['widths'])}")


def final_table(five: pd.DataFrame, params: dict, sets: dict):
    """The final five per seed beside the paper's Table 2 (None where the profile has no final five)."""
    return seed_table(five, params, validation=False) if FINAL_FIVE in sets else None


def final_numbers(five: pd.DataFrame, grid_choice: str, params: dict, sets: dict, mnist, checks) -> dict:
    """The grid's choice, what the final five are, their accuracy, and the verdicts recorded on
    Liu & Fu's mean and best accuracy."""
    final_configuration, steps = params["final_configuration"], params["steps"]
    agrees = ("The final five below train it." if grid_choice and grid_choice == final_configuration else
              f"The final five below were declared for {final_configuration!r}, not the validation choice: "
              "their verdict is not the protocol verdict." if final_configuration else
              "This profile has not trained the final five yet (its parameter final_configuration is empty).")
    if FINAL_FIVE in sets:
        n_images = len(sets[FINAL_FIVE].data(mnist).train.head(params["train_size"]))
        what = (f"The validation choice, {final_configuration}, trained {len(five)} times on all {n_images:,} training "
                f"images (the 55,000 and the 5,000 validation images) for {steps:,} iterations. Its validation "
                "accuracy is now measured on images it trained on, so nothing is read from it.")
    else:
        what = ("This profile has not trained the final five (its parameter final_configuration is empty): the "
                "verdicts are taken on the tutorial set-up above, the one configuration it has.")
    judged, best = intervals.interval(five["test_accuracy"]), five["test_accuracy"].max()
    numbers = {"grid_chosen": grid_choice or "none (no grid ran)", "grid_agrees": agrees, "final_what": what,
               "final_measured": judged, "final_best": f"{best:.4f}"}
    if FINAL_FIVE not in sets:       # the tutorial set-up is the verdict of record (``tutorial_numbers``)
        return numbers | {"cnn_verdict": checks.recorded(ACCURACY), "cnn_best_verdict": checks.recorded(BEST),
                          "cnn_margin": checks.recorded(ACCURACY, "margin"), "cnn_why": checks.recorded(ACCURACY, "how"),
                          "cnn_paper_best": f"{max(_paper()):.4f}", "final_above_best": ""}
    numbers["cnn_verdict"] = checks.recorded(ACCURACY)
    numbers["cnn_paper_best"] = f"{claims.values(BEST)[0] / 100:.2%}"
    numbers["cnn_best_verdict"] = checks.recorded(BEST)
    numbers["cnn_margin"] = checks.recorded(ACCURACY, "margin")
    numbers["cnn_why"] = checks.recorded(ACCURACY, "how")
    above = int((five["test_accuracy"] > max(_paper())).sum())
    numbers["final_above_best"] = (f"{above} of these {len(five)} trainings lie above the best of the paper's five "
                                   f"({max(_paper()):.4f}).")
    return numbers


# ----------------------------------------------------------------- accuracy against budget
def budget_curve(results: pd.DataFrame) -> pd.DataFrame:
    """Mean test accuracy (95% CI) of the trainings at every test checkpoint."""
    tested = results.dropna(subset=["test_accuracy"]).drop_duplicates(["run_id", "step"])
    return stats.summarize(tested, "step", "test_accuracy")


def budget_table(results: pd.DataFrame) -> pd.DataFrame:
    """``budget_curve`` as readers see it: iterations as integers, mean and ± of the 95% CI."""
    curve = budget_curve(results)
    return pd.DataFrame({"iterations": curve["step"].map(lambda s: f"{int(s):,}"), "n": curve["n"].astype(int),
                         "mean test accuracy": curve["mean"].round(4), "± (95% CI)": curve["ci_half"].round(4)})


def budget_figure(results: pd.DataFrame):
    """Test accuracy against iterations, the paper's five beside it."""
    return plots.fit_page(plots.accuracy_against_budget(budget_curve(results), _paper(),
                                              title="improved CNN: test accuracy against iterations"))


def learning_curves_figure(results: pd.DataFrame):
    """Validation accuracy against iterations, per training."""
    return plots.fit_page(plots.learning_curves(results, y="val_accuracy", x="step", ylim=(0.95, 1.0),
                                      title="improved CNN: validation accuracy"))


# ----------------------------------------------------------------- which digits it gets wrong
def confusion_figure(trained, final: pd.DataFrame, test):
    """The first training's test confusion matrix, its numbers legible (11 pt)."""
    run = final["run_id"].iloc[0]
    fig = model_plots.confusion(test.labels, trained.predictions(run), title=f"{run}: test confusion matrix")
    for ax in fig.axes:
        for text in ax.texts:
            text.set_fontsize(plots.SMALL_PT)
    return plots.fit_page(fig)


def wrong_digits(trained, final: pd.DataFrame, test) -> np.ndarray:
    """The indices of the test images the first training gets wrong."""
    return np.flatnonzero(trained.predictions(final["run_id"].iloc[0]) != test.labels)


def wrong_digits_figure(trained, final: pd.DataFrame, test, shown: int = 40):
    """The first ``shown`` test digits the first training gets wrong, captioned true → predicted."""
    predicted, wrong = trained.predictions(final["run_id"].iloc[0]), wrong_digits(trained, final, test)
    first = wrong[:shown]
    rows = max(1, int(np.ceil(len(first) / 10)))
    return plots.fit_page(model_plots.digit_grid(test.images[first], test.labels[first], rows=rows,
                                 cols=10, captions=[f"{test.labels[i]}→{predicted[i]}" for i in first],
                                 title=f"misclassified test digits (first {len(first)} of {len(wrong)})"))


# ----------------------------------------------------------------- against the softmax baseline
@dataclass(frozen=True)
class Baselines:
    """What chapter 6's CNN is compared with, read once: chapter 2's softmax regression and
    chapter 3's fully connected network (final rows; None where that chapter has not run), the
    CNN's weights, and the final five's test accuracy minus each (Welch: no shared seeds)."""

    softmax: pd.DataFrame | None
    dense: pd.DataFrame | None
    cnn_weights: int
    vs_softmax: dict | None
    vs_dense: dict | None


def baselines(five: pd.DataFrame, sets: dict, profile: str) -> Baselines:
    """The CNN's baselines for ``five`` (the final five's rows) under ``profile``."""
    softmax_file = paths.find_results(profile, "02_softmax_baseline")
    softmax = final_rows(read_results(softmax_file)) if softmax_file.exists() else None
    dense = fully_connected_network(profile)
    [full] = sets[FULL].configs
    minus = lambda other: None if other is None else stats.difference(five["test_accuracy"], other["test_accuracy"],
                                                                        paired=False)
    return Baselines(softmax, dense, measures.parameter_counts(models.build("liu_fu_cnn", **full.model_kwargs))["shared"],
                     minus(softmax), minus(dense))


def softmax_numbers(base: Baselines, checks) -> dict:
    """The difference to chapter 2's softmax regression and to chapter 3's fully connected
    network, the weights of each, and the verdicts recorded on the claims they test
    (``cnn_claims.against_fully_connected``)."""
    verdict = lambda claim_id: checks.recorded(claim_id)
    numbers = {"vs_softmax_verdict": verdict("liu_fu.cnn.better_than_softmax"),
               "fewer_weights_verdict": verdict("liu_fu.cnn.fewer_weights"),
               "sharing_verdict": verdict("liu_fu.cnn.parameter_sharing_accuracy"),
               "softmax_parameters": f"{softmax_weights():,}"}
    if base.softmax is None:
        return numbers | {"vs_softmax": "not measured", "cnn_parameters": "not counted", "dense_parameters":
                          "not trained", "dense_measured": "not trained", "vs_dense": "not measured"}
    numbers |= {"vs_softmax": stats.fmt_difference(base.vs_softmax, scale=100, unit=" percentage points"),
                "cnn_parameters": f"{base.cnn_weights:,}"}
    if base.dense is None:
        return numbers | {"dense_parameters": "not trained", "dense_measured": "not trained", "vs_dense": "not measured"}
    return numbers | {"dense_parameters": f"{dense_weights(base.dense):,}",
                      "dense_measured": intervals.interval(base.dense["test_accuracy"]),
                      "vs_dense": stats.fmt_difference(base.vs_dense, scale=100, unit=" pp")}


def fully_connected_network(profile: str) -> pd.DataFrame | None:
    """The final rows of chapter 3's fully connected network, 784-120-84-10, of the activation
    with the better mean validation accuracy (None where chapter 3 did not train it)."""
    path = paths.find_results(profile, "03_activation_study_fully_connected")
    if not path.exists():
        return None
    final = final_rows(read_results(path))
    best = final.groupby("config")["val_accuracy"].mean().idxmax()
    return final[final["config"] == best]


def dense_weights(dense: pd.DataFrame) -> int:
    """Weights of the fully connected network these runs trained (as built from their arguments)."""
    return models.fully_connected(**json.loads(dense["model_kwargs"].iloc[0])).count_params()


def softmax_weights() -> int:
    """Weights of softmax regression, the paper's own fully connected model: 784 × 10 + 10."""
    return models.build("softmax").count_params()


def _ablation_frame(rows: pd.DataFrame, ablations) -> pd.DataFrame:
    """``results.ablation_effects`` as readers see it: ablations named in words, n an integer,
    the CI's bounds named; the configuration kept in ``_config``."""
    table = ablation_effects(rows, ablations).round(3)
    table.insert(0, "_config", table["ablation"])
    table["ablation"] = table["ablation"].map(lambda a: NAMES.get(a, a))
    table["n"] = table["n"].astype(int)
    return table.rename(columns={"95% CI low": "95% CI from (pp)", "95% CI high": "95% CI to (pp)"})
