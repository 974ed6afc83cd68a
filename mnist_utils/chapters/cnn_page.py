"""Chapter 6 (Liu & Fu's improved CNN): the tables, figures and numbers its page shows.

Each function takes the chapter's parameters (``params``, the dict of its parameters cell) and
what it trained, and returns a reader-ready frame, a figure, or a dict of the numbers its prose
cites (glued under their keys). The verdicts are the verdict module's (``verdicts.Verdicts``);
the functions that judge take it as ``checks`` and record in the chapter's order.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from . import (
    benchmark_rows,
    claims,
    display,
    experiments,
    gradients,
    measures,
    models,
    paths,
    plots,
    probes,
    profiles,
    stats,
    verdicts,
)
from .results import ablation_effects, final_rows
from .results import read as read_results
from .runsets import by_backend, train_set

CHAPTER = "06_improved_cnn"
FULL, SENSITIVITY, FINAL_FIVE, ABLATION = (CHAPTER, f"{CHAPTER}_sensitivity", f"{CHAPTER}_final_five",
                                           f"{CHAPTER}_ablation")
REFERENCE = "improved CNN"          # the full model's label among the ablations
ABLATION_NAMES = {"no_batch_norm": "without batch norm", "unfactorised": "unfactorised 5×5 C1",
                  "no_dropout": "without dropout", "max_final_pool": "max pooling at the end"}
PAPER_COLUMN = "Liu & Fu Table 2 (paper)"
# The two findings of Liu & Fu's accuracy claims: the set-up the paper evidently used (TensorFlow's
# Deep MNIST recipe, which it extends) and the one the declared protocol chose on the validation split.
TUTORIAL, CHOSEN = "the tutorial set-up", "the validation-chosen schedule"
ACCURACY, BEST = "liu_fu.cnn.accuracy", "liu_fu.cnn.best_accuracy"


# ----------------------------------------------------------------- parameters and run sets

def run_sets(params: dict) -> dict:
    """The chapter's run sets (``experiments.improved_cnn``) by name."""
    return {s.name: s for s in experiments.improved_cnn(**params)}


def train_if(sets: dict, name: str, mnist, profile: str):
    """``train_set`` of the run set ``name`` (stored runs reused), or None where the profile
    declares no such set."""
    return train_set(sets[name], mnist, profile) if name in sets else None


def finals(trained, default=None) -> pd.DataFrame | None:
    """The final rows of ``trained`` (``results.final_rows``), or ``default`` where nothing trained."""
    return final_rows(trained.table) if trained is not None else default


def layer_table(sets: dict) -> pd.DataFrame:
    """The full model at the page's widths, layer by layer (``display.layer_table``)."""
    [full] = sets[FULL].configs
    return display.layer_table(models.build("liu_fu_cnn", **full.model_kwargs))


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
    return {"cnn_measured": display.interval(final["test_accuracy"]),
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
    has two findings, what was measured, the verdict and why in one clause (a ``report.Shown``:
    HTML for the web, Markdown for the PDF)."""
    from . import report

    findings = [r for r in checks.second_looks if r["finding"]]
    rows = []
    for row in checks.rows:
        rows += [f for f in findings if f["claim_id"] == row["claim_id"] and f not in rows] + [row]
    frame = pd.DataFrame({
        "verdict": [r["verdict"] for r in rows],
        "claim": [display.claim_label(r["claim_id"]) + (f": {r['finding']}" if r["finding"] else "") for r in rows],
        "measured": [r["measured"] for r in rows], "why": [r["gist"] for r in rows]})
    return report.Shown(report.table_html(frame, collapse_above=None), report.table_markdown(frame))


# ----------------------------------------------------------------- the declared grid
def protocol_table() -> pd.DataFrame:
    """The protocol the claims file declared for what the paper leaves open."""
    protocol = claims.protocol("liu_fu.cnn.unstated_choices")
    return pd.DataFrame({
        "": [*(["left open by the paper"] * len(protocol["unstated"])), "grid", "the choice", "judged"],
        "declared": [*protocol["unstated"], "; ".join(p["name"] for p in protocol["grid"]["schedule"]),
                     protocol["choose"], display.words(protocol["final"])]})


def chosen(grid_final: pd.DataFrame | None, params: dict) -> str:
    """The grid point the validation split chooses ("" where no grid ran)."""
    return experiments.sensitivity_choice(grid_final, params["sensitivity"]) if grid_final is not None else ""


def _run_description(params: dict, n_train: int) -> str:
    return (f"{params['steps']:,} iterations of {params['batch_size']} images, widths {_widths(params['widths'])}, "
            f"{n_train:,} training images")


def tutorial_numbers(final: pd.DataFrame, params: dict, sets: dict, checks, n_train: int) -> dict:
    """The verdicts on Liu & Fu's mean and best accuracy for the tutorial set-up, the paper's
    evident one. Where the profile trains a validation-chosen schedule (the final five, judged
    of record), these are recorded as the claim's other finding (a second look the headline
    shows); otherwise they are the verdicts of record."""
    accuracy, steps, ran = final["test_accuracy"], params["steps"], _tutorial_ran(params, n_train)
    record = checks.second_look if FINAL_FIVE in sets else \
        (lambda claim_id, measured, **kw: checks.judge(claim_id, measured, **kw))
    verdict = record(ACCURACY, display.interval(accuracy), sample=accuracy, iterations=steps, ran=ran,
                     finding=TUTORIAL)
    best = record(BEST, f"best of {len(final)}: {accuracy.max():.4f}", sample=accuracy, iterations=steps, ran=ran,
                  finding=TUTORIAL)
    judged = verdicts.judgement(ACCURACY, sample=accuracy, iterations=steps)
    return {"tutorial_verdict": verdict, "tutorial_why": judged.why, "tutorial_best_verdict": best}


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


def grid_table(grid_final: pd.DataFrame | None, final: pd.DataFrame, params: dict, checks, n_train: int):
    """Per grid point and for the tutorial set-up: n, validation and test accuracy (mean and
    95% CI), the chosen point, and the paper's mean judged on its test accuracies (the grid's
    recorded as second looks in ``checks``; the tutorial set-up's is ``tutorial_numbers``'s).
    ``params["brief_tables"]``: configuration and n only. A sentence where the profile declares
    no grid."""
    if grid_final is None:
        return "This profile declares no grid (its parameter sensitivity is empty)."
    tutorial = f"{TUTORIAL}, all {len(final)} trainings above"
    candidates = pd.concat([grid_final, final.assign(config=tutorial)])
    grid = stats.summarize(candidates, "config", "val_accuracy").rename(columns={"config": "configuration"})
    label = experiments.sensitivity_label(chosen(grid_final, params))
    grid["chosen"] = grid["configuration"].map(lambda c: "yes" if c == label else "")
    sample = lambda c: candidates.loc[candidates["config"] == c, "test_accuracy"]
    grid["validation accuracy"] = grid["configuration"].map(
        lambda c: display.interval(candidates.loc[candidates["config"] == c, "val_accuracy"]))
    grid["test accuracy"] = grid["configuration"].map(lambda c: display.interval(sample(c)))
    grid["verdict on the paper's mean"] = [
        verdicts.judgement(ACCURACY, sample=sample(c), iterations=params["steps"]).verdict if c == tutorial else
        checks.second_look(ACCURACY, display.interval(sample(c)), iterations=params["steps"], sample=sample(c),
                           ran=f"{c}, {_run_description(params, n_train)}")
        for c in grid["configuration"]]
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


def show(table) -> None:
    """A table (``report.show``), or the sentence that stands in for it; nothing for None."""
    from . import report

    if isinstance(table, pd.DataFrame):
        report.show(table)
    elif table is not None:
        print(table)


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
    """The grid's choice, what the final five are, their accuracy, and the verdicts on Liu &
    Fu's mean and best accuracy (recorded in ``checks``)."""
    final_configuration, steps, ran = params["final_configuration"], params["steps"], judged_ran(params, sets, mnist)
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
    judged, best = display.interval(five["test_accuracy"]), five["test_accuracy"].max()
    numbers = {"grid_chosen": grid_choice or "none (no grid ran)", "grid_agrees": agrees, "final_what": what,
               "final_measured": judged, "final_best": f"{best:.4f}"}
    if FINAL_FIVE not in sets:       # the tutorial set-up is the verdict of record (``tutorial_numbers``)
        return numbers | {"cnn_verdict": checks.recorded(ACCURACY), "cnn_best_verdict": checks.recorded(BEST),
                          "cnn_margin": checks.recorded(ACCURACY, "margin"), "cnn_why": checks.recorded(ACCURACY, "how"),
                          "cnn_paper_best": f"{max(_paper()):.4f}", "final_above_best": ""}
    numbers["cnn_verdict"] = checks.judge(ACCURACY, judged, sample=five["test_accuracy"], iterations=steps, ran=ran,
                                          finding=CHOSEN)
    numbers["cnn_paper_best"] = f"{claims.values(BEST)[0] / 100:.2%}"
    numbers["cnn_best_verdict"] = checks.judge(BEST, f"best of {len(five)}: {best:.4f}", sample=five["test_accuracy"],
                                               iterations=steps, ran=ran, finding=CHOSEN)
    numbers["cnn_margin"] = checks.recorded(ACCURACY, "margin")
    numbers["cnn_why"] = checks.recorded(ACCURACY, "how")
    above = int((five["test_accuracy"] > max(_paper())).sum())
    numbers["final_above_best"] = (f"{above} of these {len(five)} trainings lie above the best of the paper's five "
                                   f"({max(_paper()):.4f}).")
    checks.explain(ACCURACY, f"{above} of {len(five)} above the paper's best ({max(_paper()):.4f})",
                   finding=CHOSEN)
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
    fig = plots.confusion(test.labels, trained.predictions(run), title=f"{run}: test confusion matrix")
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
    return plots.fit_page(plots.digit_grid(test.images[first], test.labels[first], rows=rows,
                                 cols=10, captions=[f"{test.labels[i]}→{predicted[i]}" for i in first],
                                 title=f"misclassified test digits (first {len(first)} of {len(wrong)})"))


# ----------------------------------------------------------------- errors that pile into one digit
PILEUP_COLUMNS = {"run_id": "training", "test_accuracy": "test accuracy", "errors": "errors",
                  "most_predicted_wrong": "most frequent wrong answer", "share": "its share of the errors",
                  "last_checkpoints": "last three test checkpoints",
                  "checkpoint_range_pp": "range of the last three (pp)"}


def pileup(on_page, labels: np.ndarray) -> pd.DataFrame:
    """``measures.error_pileup`` of every (trained, final rows) pair of ``on_page`` (pairs
    whose trained is None left out), each stored run once, with its configuration."""
    frames = [measures.error_pileup(t, f, labels) for t, f in on_page if t is not None]
    table = pd.concat(frames, ignore_index=True).drop_duplicates("run_key").reset_index(drop=True)
    table["configuration"] = table["run_id"].str.rsplit("/", n=1).str[0]
    return table


def pileup_table(table: pd.DataFrame, params: dict) -> pd.DataFrame:
    """``pileup`` as readers see it."""
    return table[list(PILEUP_COLUMNS)].rename(columns=PILEUP_COLUMNS).round(params["digits"])


def pileup_figure(table: pd.DataFrame):
    """Each training's test errors by the digit it predicted."""
    title = "test errors of each training by the digit they predicted"
    return plots.fit_page(plots.errors_by_predicted_digit(table, title=title))


def pileup_numbers(table: pd.DataFrame) -> dict:
    """The worst pile-up, how many trainings put over 30% of their errors in one digit, the
    largest checkpoint range, and the largest share per configuration."""
    worst = table.sort_values("share").iloc[-1]
    by_configuration = table.groupby("configuration", sort=False)["share"].agg(["max", "size"])
    return {"pileup_worst": f"{worst['run_id']} answers {worst['most_predicted_wrong']} in {worst['share']:.0%} of "
                            f"its {worst['errors']} errors",
            "pileup_n": f"{int((table['share'] > 0.3).sum())} of {len(table)}",
            "pileup_checkpoints": f"{table['checkpoint_range_pp'].max():.2f}",
            "pileup_by_configuration": "; ".join(f"{c}: at most {r['max']:.0%} over {int(r['size'])} trainings"
                                                 for c, r in by_configuration.iterrows())}


# ----------------------------------------------------------------- probes
PROBE_COLUMNS = {"run_id": "training", "variant": "model", "step": "iteration", "test_accuracy": "test accuracy",
                 "errors": "errors", "most_predicted_wrong": "most frequent wrong answer",
                 "share": "its share of the errors", "differs_from_stored": "predictions unlike the stored run"}


def probe_table(probed: pd.DataFrame, params: dict):
    """The probes' checkpoints and variants as readers see them (a sentence without probes)."""
    if not len(probed):
        return "This profile probes no training (its parameter probe_seeds is empty)."
    table = probed[list(PROBE_COLUMNS)].rename(columns=PROBE_COLUMNS).round(params["digits"])
    table["iteration"] = table["iteration"].map(lambda s: f"{int(s):,}")
    return table


def probe_figure(probed: pd.DataFrame):
    """What re-estimating batch norm and averaging change (None without probes)."""
    if not len(probed):
        return None
    title = "probed trainings: what re-estimating batch norm and averaging change"
    return plots.fit_page(plots.probe_effects(probed, title=title))


def probe_numbers(probed: pd.DataFrame, params: dict) -> dict:
    """Per probed training, the change from its last checkpoint as trained to each variant,
    the checkpoints' spread, and the mean change per variant."""
    numbers = {"probe_k": params["probe_checkpoints"], "probe_every": f"{params['eval_every']:,}"}
    if not len(probed):
        return numbers | dict.fromkeys(("probe_reestimated", "probe_averaged", "probe_spread", "probe_mean_change"),
                                       "not probed in this profile")
    as_trained = probed[probed["variant"] == probes.VARIANTS[0]]
    last = as_trained.sort_values("step").groupby("run_id").tail(1).set_index("run_id")
    describe = lambda variant: "; ".join(
        f"{run} {last.loc[run, 'test_accuracy']:.4f} → {row['test_accuracy']:.4f} (top wrong digit "
        f"{last.loc[run, 'share']:.0%} → {row['share']:.0%} of the errors)"
        for run, row in probed[probed["variant"] == variant].set_index("run_id").iterrows())
    spread = as_trained.groupby("run_id")["test_accuracy"].agg(np.ptp).max()
    return numbers | {
        "probe_reestimated": describe(probes.VARIANTS[1]), "probe_averaged": describe(probes.VARIANTS[2]),
        "probe_spread": f"{spread * 100:.2f}",
        "probe_mean_change": "; ".join(f"{r['variant']}, test accuracy {r['accuracy_pp']:+.2f} pp and share of the "
                                       f"top wrong digit {r['share_pp']:+.0f} pp"
                                       for _, r in measures.probe_changes(probed).iterrows())}


# ----------------------------------------------------------------- every stored training
def setup_table(every_run: pd.DataFrame) -> pd.DataFrame:
    """Per set-up of the stored trainings (``runsets.stored_error_pileup``): runs, mean test
    accuracy, mean and largest share of the errors in one wrong digit; the largest first."""
    by_setup = every_run.groupby("set-up", sort=False).agg(
        runs=("seed", "size"), accuracy=("test_accuracy", "mean"), mean_share=("share", "mean"),
        max_share=("share", "max")).reset_index().sort_values("max_share", ascending=False)
    return by_setup.rename(columns={"accuracy": "mean test accuracy", "mean_share": "mean share in one wrong digit",
                                    "max_share": "largest share in one wrong digit"}).round(4)


def setup_figure(every_run: pd.DataFrame):
    """Each stored training's share of errors in one wrong digit, by set-up (None if none)."""
    return plots.fit_page(plots.error_pileup_by_setup(every_run)) if len(every_run) else None


def stored_numbers(every_run: pd.DataFrame) -> dict:
    """The largest share of errors in one wrong digit for a constant rate, for the cosine
    schedule and without batch norm, over every stored training."""
    kind = every_run["schedule"].str.split().str[0]
    largest = lambda rows: f"{every_run.loc[rows, 'share'].max():.0%}"
    without_bn = every_run["without"].str.contains("batch norm")
    return {"pileup_constant": largest(kind == "constant") if (kind == "constant").any() else "none stored",
            "pileup_cosine": largest(kind == "cosine") if (kind == "cosine").any() else "none stored",
            "pileup_runs": len(every_run),
            "pileup_no_bn": f"{largest(without_bn)} over {int(without_bn.sum())} trainings" if without_bn.any()
            else "not stored"}


# ----------------------------------------------------------------- against the softmax baseline
def softmax_numbers(five: pd.DataFrame, params: dict, sets: dict, mnist, checks, profile: str) -> dict:
    """The difference to chapter 2's softmax regression (unpaired: different models share no
    seed) with the verdict on "better than softmax"; and "very little weight, yet what the fully
    connected network cannot achieve", judged against chapter 3's fully connected network of
    LeNet-5's widths (784-120-84-10, the activation its validation accuracy prefers), the fully
    connected network that does this job: its weights and its test accuracy (Welch)."""
    softmax = final_rows(read_results(paths.find_results(profile, "02_softmax_baseline")))
    d = stats.difference(five["test_accuracy"], softmax["test_accuracy"], paired=False)
    ran, steps = judged_ran(params, sets, mnist), params["steps"]
    [full] = sets[FULL].configs
    weights = measures.parameter_counts(models.build("liu_fu_cnn", **full.model_kwargs))
    evidence = {"a": five["test_accuracy"], "b": softmax["test_accuracy"], "iterations": steps, "ran": ran}
    numbers = {"vs_softmax": stats.fmt_difference(d, scale=100, unit=" percentage points"),
               "vs_softmax_verdict": checks.judge("liu_fu.cnn.better_than_softmax", f"{d['diff'] * 100:+.2f} pp",
                                                  **evidence),
               "cnn_parameters": f"{weights['shared']:,}", "softmax_parameters": f"{softmax_weights():,}"}
    dense = fully_connected_network(profile)
    if dense is None:
        why = "chapter 3's fully connected network did not run"
        return numbers | {"dense_parameters": "not trained", "dense_measured": "not trained", "vs_dense": "not measured",
                          "fewer_weights_verdict": checks.not_testable("liu_fu.cnn.fewer_weights", why),
                          "sharing_verdict": checks.not_testable("liu_fu.cnn.parameter_sharing_accuracy", why)}
    accuracy, n_dense = dense["test_accuracy"], dense_weights(dense)
    d_dense = stats.difference(five["test_accuracy"], accuracy, paired=False)
    against = f"in the fully connected 784-120-84-10 network ({dense['config'].iloc[0]}, chapter 3)"
    verdict = checks.judge(
        "liu_fu.cnn.fewer_weights", f"{weights['shared']:,} weights, {n_dense:,} {against}; test accuracy "
        f"{d_dense['diff'] * 100:+.2f} pp over it", shared=weights["shared"], fully_connected=n_dense,
        against=against, a=five["test_accuracy"], b=accuracy, iterations=steps, ran=ran)
    sharing = checks.judge("liu_fu.cnn.parameter_sharing_accuracy", f"{d_dense['diff'] * 100:+.2f} pp over the fully "
                           f"connected network", a=five["test_accuracy"], b=accuracy, iterations=steps, ran=ran)
    return numbers | {"dense_parameters": f"{n_dense:,}", "fewer_weights_verdict": verdict, "sharing_verdict": sharing,
                      "dense_measured": display.interval(accuracy),
                      "vs_dense": stats.fmt_difference(d_dense, scale=100, unit=" pp")}


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


# ----------------------------------------------------------------- ablations
def ablation_table(ablated, final: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Each ablation against the full model on the same seeds (``ablated``: their ``Trained``,
    None where none ran): n, iterations, test accuracy, the difference in pp with its 95% CI,
    and the median training speed. ``params["brief_tables"]``: ablation and n only."""
    table = _ablation_frame(finals(ablated, final.iloc[:0]), params["ablations"])
    table.insert(table.columns.get_loc("n") + 1, "iterations", f"{params['ablation_steps']:,}")
    speeds = ablated.table.groupby("config")["images_per_second"].median() if ablated is not None else {}
    table["images/s"] = table.pop("_config").map(speeds).map(lambda v: f"{v:,.0f}", na_action="ignore")
    return table[["ablation", "n"]] if params["brief_tables"] else table


def _ablation_frame(rows: pd.DataFrame, ablations) -> pd.DataFrame:
    """``results.ablation_effects`` as readers see it: ablations named in words, n an integer,
    the CI's bounds named; the configuration kept in ``_config``."""
    table = ablation_effects(rows, ablations).round(3)
    table.insert(0, "_config", table["ablation"])
    table["ablation"] = table["ablation"].map(lambda a: ABLATION_NAMES.get(a, a))
    table["n"] = table["n"].astype(int)
    return table.rename(columns={"95% CI low": "95% CI from (pp)", "95% CI high": "95% CI to (pp)"})


def _reached(steps: np.ndarray, budget: int) -> str:
    """Mean iterations to reach a threshold; a run that never reached it is censored at the budget."""
    if np.isnan(steps).all():
        return f"not within the {budget:,} iterations"
    return f"after {np.nanmean(steps):,.0f} iterations"


def ablation_numbers(ablated, params: dict, checks) -> dict:
    """The ablations' budget, the factorised kernel's speed, the steps to reach the batch-norm
    claim's threshold, and the change of the over-fitting gap without dropout and without batch
    norm, with the verdicts on the claims they test (recorded in ``checks``)."""
    ablations, budget, seeds = params["ablations"], params["ablation_steps"], params["ablation_seeds"]
    numbers = {"ablation_budget": f"{budget:,}", "ablation_status": (
        f"Budget: {budget:,} iterations, seeds {', '.join(map(str, seeds))}." if ablated is not None else
        "This profile runs no ablations (its parameter ablations is empty): the claims that need them are "
        "reported as not tested.")}
    numbers |= speed_numbers(params, checks)
    ran = f"{budget:,} iterations, seeds {', '.join(map(str, seeds))}"
    threshold = claims.measure("liu_fu.cnn.bn_converges_fast")["threshold"]
    numbers["bn_threshold"] = f"{threshold:.2f}"
    has = lambda name: ablated is not None and name in ablations
    if has("no_batch_norm"):
        reach = stats.steps_to_reach(ablated.table, threshold)
        steps_of = lambda config: measures.per_seed(reach, config, "steps").to_numpy()
        with_bn, without = _reached(steps_of(REFERENCE), budget), _reached(steps_of("no_batch_norm"), budget)
        numbers |= {"bn_steps_full": with_bn, "bn_steps_without": without}
        checks.judge("liu_fu.cnn.bn_converges_fast", f"{with_bn} with batch norm, {without} without, to validation "
                     f"accuracy {threshold}", a_steps=steps_of(REFERENCE), b_steps=steps_of("no_batch_norm"),
                     cap=budget, ran=ran)
    else:
        numbers |= {"bn_steps_full": "(not measured)",
                    "bn_steps_without": "(not measured: this profile runs no 'no_batch_norm' ablation)"}
    # Over-fitting as the gap between validation loss and the training loss in inference mode.
    final = finals(ablated)
    gap = lambda config: measures.per_seed(final.assign(gap=measures.overfitting_gap(final)), config, "gap")
    if has("no_dropout"):
        gap_without, gap_with = measures.paired(gap("no_dropout"), gap(REFERENCE))
        d = stats.difference(gap_without, gap_with, paired=True)
        accuracy = ablation_effects(final, ["no_dropout"]).iloc[0]["Δ vs full (pp)"]
        numbers["dropout_gap"] = stats.fmt_difference(d, digits=4)
        checks.judge("liu_fu.cnn.dropout_prevents_overfitting", f"removing dropout: validation − training loss gap "
                     f"{d['diff']:+.4f}, test accuracy {accuracy:+.2f} pp", a=gap_without, b=gap_with,
                     iterations=budget, ran=ran)
    else:
        numbers["dropout_gap"] = "not measured (no 'no_dropout' ablation)"
    if has("no_batch_norm"):   # "... and has strong generalization ability"
        gap_no_bn, gap_bn = measures.paired(gap("no_batch_norm"), gap(REFERENCE))
        d = stats.difference(gap_no_bn, gap_bn, paired=True)
        numbers["bn_gap"] = stats.fmt_difference(d, digits=4)
        numbers["bn_generalises_verdict"] = checks.judge(
            "liu_fu.cnn.bn_generalises", f"removing batch norm: validation − training loss gap {d['diff']:+.4f}",
            a=gap_no_bn, b=gap_bn, iterations=budget, ran=ran)
    else:
        numbers |= {"bn_gap": "not measured (no no_batch_norm ablation)", "bn_generalises_verdict": "not tested"}
    return numbers


def speed_numbers(params: dict, checks) -> dict:
    """Liu & Fu factorise C1 "to speed up the operation": the benchmark's interleaved timings
    of the factorised and unfactorised model in one process (part 5), never training runs
    timed at different moments on a shared machine; with the verdict."""
    widths = params["widths"]
    bench = read_results(paths.BENCHMARK)
    paired = benchmark_rows.paired_speeds(bench, *(benchmark_rows.factorised_measurement(widths, v)
                                                    for v in ("factorised", "unfactorised")))
    timed = {"factorised": paired["a"], "unfactorised": paired["b"]}
    if not (len(timed["factorised"]) and len(timed["unfactorised"])):
        why = f"no benchmark rows for widths {_widths(widths)}"
        return {"speed_full": "not measured",
                "speed_unfactorised": f"not measured (the benchmark has no rows for widths {_widths(widths)})",
                "factorised_speed_verdict": checks.not_testable("liu_fu.cnn.factorised_kernels_speed", why)}
    fast, slow = np.median(timed["factorised"]), np.median(timed["unfactorised"])
    return {"speed_full": f"{fast:,.0f}", "speed_unfactorised": f"{slow:,.0f}",
            "factorised_speed_verdict": checks.judge(
                "liu_fu.cnn.factorised_kernels_speed", f"{fast:,.0f} vs {slow:,.0f} images/s (medians of "
                f"{paired['said']})", a=timed["factorised"], b=timed["unfactorised"],
                ran="the benchmark's part 5 (`make benchmark`)")}   # paired by round


# ----------------------------------------------------------------- gradients
def gradient_probes(sets: dict, params: dict, mnist) -> pd.DataFrame | None:
    """The gradient probe of the full model and its no-batch-norm ablation (None where the
    profile runs neither the ablation nor gradient seeds)."""
    if ABLATION not in sets or "no_batch_norm" not in params["ablations"] or not params["gradient_seeds"]:
        return None
    return gradients.run_set_probes(sets[ABLATION], params["gradient_steps"], params["gradient_seeds"], mnist,
                                    configs=[REFERENCE, "no_batch_norm"])


def gradient_figure(probed: pd.DataFrame | None, params: dict):
    """Each layer's RMS gradient per step, with and without batch norm (None without probes)."""
    if probed is None:
        return None
    title = f"gradient size per layer, first {params['gradient_steps']} steps"
    return plots.fit_page(plots.gradient_sizes(probed, title=title))


def gradient_numbers(probed: pd.DataFrame | None, params: dict, checks) -> dict:
    """The spread of the layers' gradients with and without batch norm, and the verdict."""
    if probed is None:
        return {"bn_spreads": "not measured (no no_batch_norm ablation, or no gradient_seeds)",
                "bn_gradients_verdict": "not tested"}
    spreads = gradients.summaries(probed)
    spread_of = lambda config: measures.per_seed(spreads, config, "layer_spread")
    without, with_bn = measures.paired(spread_of("no_batch_norm"), spread_of(REFERENCE))
    both = f"{np.median(with_bn):.3g} with batch norm, {np.median(without):.3g} without"
    steps, seeds = params["gradient_steps"], ", ".join(map(str, params["gradient_seeds"]))
    return {"bn_spreads": both, "bn_gradients_verdict": checks.judge(
        "liu_fu.cnn.bn_gradients", f"largest over smallest layer RMS gradient, geometric mean of the first {steps} "
        f"steps: {both} (medians over seeds)", a=without, b=with_bn, ran=f"the first {steps} steps, seeds {seeds}")}


# ----------------------------------------------------------------- the paper profile on a GPU
def gpu_runs(mnist) -> dict:
    """The paper profile's run sets of this chapter and what the store holds of them trained on
    a GPU (looked up, never trained): ``params``, ``sets``, ``full`` and ``ablated`` (frames)."""
    params = profiles.chapter_parameters(CHAPTER, "paper")
    sets = run_sets(params)
    stored = by_backend(sets[FULL], mnist)
    ablated = by_backend(sets[ABLATION], mnist) if ABLATION in sets else stored.iloc[:0]
    return {"params": params, "sets": sets, "full": stored[stored["device"] != "cpu"],
            "ablated": ablated[ablated["device"] != "cpu"]}


def gpu_numbers(gpu: dict, checks) -> dict:
    """The paper profile's widths, budget and cost on two CPU cores (from the benchmark), its
    GPU trainings' accuracy and speed, and the second looks at Liu & Fu's accuracy claims."""
    params, on_gpu = gpu["params"], gpu["full"]
    bench = read_results(paths.BENCHMARK)
    speed = bench.loc[bench["measurement"] == "liu_fu_cnn b50: mnist_utils.train", "value"].median()
    images = experiments.training_images(list(gpu["sets"].values()))
    numbers = {"paper_widths": _widths(params["widths"]), "paper_steps": f"{params['steps']:,}",
               "paper_ablation_steps": f"{params['ablation_steps']:,}", "paper_speed": f"{speed:,.0f}",
               "paper_hours": f"{images / speed / 3600:.1f}", "paper_images": f"{images / 1e6:.1f} million",
               "gpu_n": len(on_gpu),
               "gpu_devices": ", ".join(sorted(set(on_gpu["device"].str.removeprefix("gpu:")))) or "none"}
    if not len(on_gpu):
        return numbers | dict.fromkeys(("gpu_speed", "gpu_seconds", "gpu_measured", "gpu_best"), "(no runs stored)") \
            | {"gpu_verdict": "not tested (no runs stored)", "gpu_best_verdict": "not tested"}
    accuracy, steps = on_gpu["test_accuracy"], params["steps"]
    ran = f"{steps:,} iterations, widths {_widths(params['widths'])}, on a GPU (Keras on JAX)"
    measured, best = display.interval(accuracy), f"{accuracy.max():.4f}"
    return numbers | {   # the same declared tests; recorded as second looks, outside the report's tally
        "gpu_speed": f"{on_gpu['images_per_second'].median():,.0f}",
        "gpu_seconds": f"{on_gpu['wall_seconds'].median():.0f}", "gpu_measured": measured, "gpu_best": best,
        "gpu_verdict": checks.second_look("liu_fu.cnn.accuracy", measured, ran=ran, sample=accuracy, iterations=steps),
        "gpu_best_verdict": checks.second_look("liu_fu.cnn.best_accuracy", f"best of {len(on_gpu)}: {best}", ran=ran,
                                               sample=accuracy, iterations=steps)}


def gpu_seed_table(final: pd.DataFrame, gpu: dict, params: dict) -> pd.DataFrame:
    """Per seed: this page's test accuracy, the paper profile's on a GPU, and the paper's."""
    per_seed = pd.concat({f"widths {_widths(params['widths'])} (this page)": final.set_index("seed")["test_accuracy"],
                          f"widths {_widths(gpu['params']['widths'])} (GPU)":
                          gpu["full"].set_index("seed")["test_accuracy"]}, axis=1).rename_axis("seed").reset_index()
    per_seed["seed"] = per_seed["seed"].astype(int)
    return _with_paper(per_seed, _paper()).round(4)


def gpu_ablation_table(gpu: dict) -> pd.DataFrame:
    """The paper profile's ablations on a GPU against its full model on the same seeds."""
    return _ablation_frame(gpu["ablated"], gpu["params"]["ablations"] or []).drop(columns="_config")


def gpu_ablation_numbers(gpu: dict) -> dict:
    """The change of test accuracy without batch norm and without dropout on a GPU, in words."""
    effects = ablation_effects(gpu["ablated"], gpu["params"]["ablations"] or []).set_index("ablation")
    numbers = {}
    for name in ("no_batch_norm", "no_dropout"):
        row = effects.loc[name] if name in effects.index else None
        numbers[f"gpu_{name}"] = "not run" if row is None else (
            f"{row['Δ vs full (pp)']:+.2f} percentage points (95% CI {row['95% CI low']:+.2f} to "
            f"{row['95% CI high']:+.2f}, n = {row['n']:.0f})")
    return numbers
