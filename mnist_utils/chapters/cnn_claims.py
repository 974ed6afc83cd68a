"""Chapter 6's claims and the evidence that decides each: which runs, which measurement.

Each function returns ``verdicts.Evidence`` by claim id (the claims whose runs these parameters
declare; a claim whose ablation did not run is not judged at all, one whose comparison is
missing is not testable). The notebook hands each to ``Verdicts.decide`` where the runs are
shown, the only place the chapter records a verdict; its numbers then read what was recorded.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import claims
from ..judging import measures, stats
from ..judging.results import ablation_effects
from ..judging.verdicts import Evidence
from ..present import intervals
from .cnn_ablations import factorised_speeds, layer_spreads, reached
from .cnn_page import (
    ACCURACY,
    BEST,
    CHOSEN,
    FINAL_FIVE,
    REFERENCE,
    TUTORIAL,
    Baselines,
    _paper,
    _run_description,
    _tutorial_ran,
    _widths,
    dense_weights,
    finals,
    grid_configurations,
    judged_ran,
)


def accuracy_claims(final: pd.DataFrame, ran: str, iterations: int, finding: str, explanation: str = "") -> dict:
    """Liu & Fu's mean accuracy (Table 2's five) and best accuracy, on ``final``'s test accuracies."""
    accuracy = final["test_accuracy"]
    common = {"sample": accuracy, "iterations": iterations, "ran": ran, "finding": finding}
    return {ACCURACY: Evidence(intervals.interval(accuracy), common, explanation=explanation),
            BEST: Evidence(f"best of {len(final)}: {accuracy.max():.4f}", common)}


def tutorial(final: pd.DataFrame, params, n_train: int) -> dict:
    """The accuracy claims on the tutorial set-up, the paper's evident one (Adam at a constant rate
    on the 55,000 training images)."""
    return accuracy_claims(final, _tutorial_ran(params, n_train), params["steps"], TUTORIAL)


def grid_points(grid_final: pd.DataFrame | None, final: pd.DataFrame, params, n_train: int) -> dict:
    """Liu & Fu's mean accuracy on each grid point's trainings, by configuration (second looks:
    the grid chooses on validation accuracy, its test accuracy is only shown)."""
    if grid_final is None:
        return {}
    tutorial_row = f"{TUTORIAL}, all {len(final)} trainings above"
    return {c: Evidence(intervals.interval(grid_final.loc[grid_final["config"] == c, "test_accuracy"]),
                        {"iterations": params["steps"], "sample": grid_final.loc[grid_final["config"] == c, "test_accuracy"],
                         "ran": f"{c}, {_run_description(params, n_train)}"})
            for c in grid_configurations(grid_final, final) if c != tutorial_row}


def final_five(five: pd.DataFrame, params, sets: dict, mnist) -> dict:
    """The accuracy claims on the final five, the validation choice trained on all 60,000 training
    images, of record (empty where the profile trains no final five: the tutorial set-up is then of record)."""
    if FINAL_FIVE not in sets:
        return {}
    best = max(_paper())
    above = int((five["test_accuracy"] > best).sum())
    return accuracy_claims(five, judged_ran(params, sets, mnist), params["steps"], CHOSEN,
                           explanation=f"{above} of {len(five)} above the paper's best ({best:.4f})")


def against_fully_connected(five: pd.DataFrame, params, sets: dict, mnist, base: Baselines) -> dict:
    """"Better than softmax" against chapter 2's softmax regression (Welch: different models share
    no seed); "very little weight, yet what the fully connected network cannot achieve" against
    chapter 3's fully connected network of LeNet-5's widths (784-120-84-10, the activation its
    validation accuracy prefers): its weights and its test accuracy (Welch). ``base``: the
    baselines as ``cnn_page.baselines`` read them."""
    if base.softmax is None:
        why = "chapter 2 has not run for this profile"
        return {claim_id: Evidence.absent(why) for claim_id in (
            "liu_fu.cnn.better_than_softmax", "liu_fu.cnn.fewer_weights", "liu_fu.cnn.parameter_sharing_accuracy")}
    ran, steps, ours = judged_ran(params, sets, mnist), params["steps"], five["test_accuracy"]
    found = {"liu_fu.cnn.better_than_softmax": Evidence(
        f"{base.vs_softmax['diff'] * 100:+.2f} pp",
        {"a": ours, "b": base.softmax["test_accuracy"], "iterations": steps, "ran": ran})}
    if base.dense is None:
        why = "chapter 3's fully connected network did not run"
        return found | {"liu_fu.cnn.fewer_weights": Evidence.absent(why),
                        "liu_fu.cnn.parameter_sharing_accuracy": Evidence.absent(why)}
    accuracy, n_dense = base.dense["test_accuracy"], dense_weights(base.dense)
    gain = f"{base.vs_dense['diff'] * 100:+.2f} pp"
    against = f"in the fully connected 784-120-84-10 network ({base.dense['config'].iloc[0]}, chapter 3)"
    return found | {
        "liu_fu.cnn.fewer_weights": Evidence(
            f"{base.cnn_weights:,} weights, {n_dense:,} {against}; test accuracy {gain} over it",
            {"shared": base.cnn_weights, "fully_connected": n_dense, "against": against, "a": ours, "b": accuracy,
             "iterations": steps, "ran": ran}),
        "liu_fu.cnn.parameter_sharing_accuracy": Evidence(
            f"{gain} over the fully connected network", {"a": ours, "b": accuracy, "iterations": steps, "ran": ran})}


def factorised_speed(params, bench: pd.DataFrame) -> Evidence:
    """Liu & Fu factorise C1 "to speed up the operation": the benchmark's interleaved timings
    (``bench``: its rows, ``cnn_ablations.benchmark()``)."""
    timed = factorised_speeds(params["widths"], bench)
    if not (len(timed["factorised"]) and len(timed["unfactorised"])):
        return Evidence.absent(f"no benchmark rows for widths {_widths(params['widths'])}")
    fast, slow = np.median(timed["factorised"]), np.median(timed["unfactorised"])
    return Evidence(f"{fast:,.0f} vs {slow:,.0f} images/s (medians of {timed['said']})",
                    {"a": timed["factorised"], "b": timed["unfactorised"],
                     "ran": "the benchmark's part 5 (`make benchmark`)"})   # paired by round


def ablations(ablated, params) -> dict:
    """The claims each ablation tests, paired by seed with the full model at the ablations' budget:
    steps to the batch-norm claim's threshold, and the over-fitting gap (validation − training
    loss in inference mode) without dropout and without batch norm. A claim whose ablation did
    not run is left out (not judged)."""
    if ablated is None:
        return {}
    budget, seeds = params["ablation_steps"], params["ablation_seeds"]
    ran, found = f"{budget:,} iterations, seeds {', '.join(map(str, seeds))}", {}
    final = finals(ablated)
    gap = lambda config: measures.per_seed(final.assign(gap=measures.overfitting_gap(final)), config, "gap")
    if "no_batch_norm" in params["ablations"]:
        threshold = claims.measure("liu_fu.cnn.bn_converges_fast")["threshold"]
        reach = stats.steps_to_reach(ablated.table, threshold)
        steps_of = lambda config: measures.per_seed(reach, config, "steps").to_numpy()
        found["liu_fu.cnn.bn_converges_fast"] = Evidence(
            f"{reached(steps_of(REFERENCE), budget)} with batch norm, {reached(steps_of('no_batch_norm'), budget)} "
            f"without, to validation accuracy {threshold}",
            {"a_steps": steps_of(REFERENCE), "b_steps": steps_of("no_batch_norm"), "cap": budget, "ran": ran})
    if "no_dropout" in params["ablations"]:
        gap_without, gap_with = measures.paired(gap("no_dropout"), gap(REFERENCE))
        d = stats.difference(gap_without, gap_with, paired=True)
        accuracy = ablation_effects(final, ["no_dropout"]).iloc[0]["Δ vs full (pp)"]
        found["liu_fu.cnn.dropout_prevents_overfitting"] = Evidence(
            f"removing dropout: validation − training loss gap {d['diff']:+.4f}, test accuracy {accuracy:+.2f} pp",
            {"a": gap_without, "b": gap_with, "iterations": budget, "ran": ran})
    if "no_batch_norm" in params["ablations"]:   # "... and has strong generalization ability"
        gap_no_bn, gap_bn = measures.paired(gap("no_batch_norm"), gap(REFERENCE))
        d = stats.difference(gap_no_bn, gap_bn, paired=True)
        found["liu_fu.cnn.bn_generalises"] = Evidence(
            f"removing batch norm: validation − training loss gap {d['diff']:+.4f}",
            {"a": gap_no_bn, "b": gap_bn, "iterations": budget, "ran": ran})
    return found


def bn_gradients(probed: pd.DataFrame | None, params) -> dict:
    """Batch norm's claim on gradient sizes, from the gradient probe of the full model and its
    no-batch-norm ablation (empty without the probe: not judged)."""
    if probed is None:
        return {}
    without, with_bn = layer_spreads(probed)
    steps, seeds = params["gradient_steps"], ", ".join(map(str, params["gradient_seeds"]))
    return {"liu_fu.cnn.bn_gradients": Evidence(
        f"largest over smallest layer RMS gradient, geometric mean of the first {steps} steps: "
        f"{np.median(with_bn):.3g} with batch norm, {np.median(without):.3g} without (medians over seeds)",
        {"a": without, "b": with_bn, "ran": f"the first {steps} steps, seeds {seeds}"})}


def on_gpu(gpu: dict) -> dict:
    """The accuracy claims on the paper profile's trainings on a GPU (second looks, outside the
    report's tally; empty where none is stored)."""
    params, runs = gpu["params"], gpu["full"]
    if not len(runs):
        return {}
    ran = f"{params['steps']:,} iterations, widths {_widths(params['widths'])}, on a GPU (Keras on JAX)"
    accuracy, common = runs["test_accuracy"], {"iterations": params["steps"], "ran": ran}
    return {ACCURACY: Evidence(intervals.interval(accuracy), {**common, "sample": accuracy}),
            BEST: Evidence(f"best of {len(runs)}: {accuracy.max():.4f}", {**common, "sample": accuracy})}
