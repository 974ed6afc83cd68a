"""Chapter 3's other claims (parameters, saturation, raw pixels, weight sharing, Tanh, sparsity,
gradient dissipation, efficiency, the optimizer arm) and the numbers the chapter's prose cites,
all in one dictionary (numbers).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import claims, paths
from ..judging import measures, stats
from ..judging.results import convergence_budget, final_rows, stopping
from ..judging.results import read as read_results
from ..present import intervals, tables
from ..runs import benchmark_rows, experiments, gradients
from ..training import models
from .activation_page import (
    CHAPTER,
    ORDER,
    SPARSITY,
    Study,
    _grid_final,
    _mean_steps,
    accuracy_numbers,
    baseline_numbers,
    ordering_numbers,
    overfitting_numbers,
    ratio_numbers,
    stopping_numbers,
)


# ------------------------------------------------------------------ the chapter's other claims
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
        pairs[tables.name(activation)] = measures.paired(on_scaled, on_raw)
        said.append(f"{tables.name(activation)} {intervals.interval(on_raw)} on pixels of 0 to 255 against "
                    f"{intervals.interval(on_scaled)} scaled")
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
        values = {"arm_choice": "none (no grid: arm_learning_rates is empty)", "arm_ran": "none",
                  "arm_matches": "not comparable"}
    else:
        choice = experiments.arm_rate_choice(grid)
        values = {"arm_choice": ", ".join(f"{a} {r:g}" for a, r in choice.items()),
                  "arm_ran": ", ".join(f"{a} {r:g}" for a, r in (p["arm_rates"] or {}).items()) or "none yet",
                  "arm_matches": "the same" if dict(p["arm_rates"] or {}) == choice
                  else "not the same: the runs below are not the protocol choice"}
    arm = study.table("_optimizer")
    if arm is not None:
        arm_final, stops = final_rows(arm), stopping(arm)
        seeds = ", ".join(map(str, p["arm_seeds"]))
        ran = (f"{p['arm_optimizer']} at the rates chosen on validation, seeds {seeds}, "
               + convergence_budget(stops, p["patience_epochs"], p["max_epochs"]))
        found = measures.activation_evidence(arm, arm_final, study.threshold, study.claimed_ratio,
                                             study.interpolated)
        for claim_id, (measured, evidence) in found.items():
            study.checks.second_look(claim_id, measured, ran=ran, converged=bool(stops["converged"].all()), **evidence)
    changed = [f"“{tables.claim_label(r['claim_id'])}” ({study.checks.recorded(r['claim_id'])} with Adam, {r['verdict']} "
               f"with {p['arm_optimizer']})" for r in study.checks.second_looks
               if r["verdict"] != study.checks.recorded(r["claim_id"])]
    return {**values, "optimizer_changes": "; ".join(changed) or "none"}


def prose_numbers(study: Study) -> dict:
    """What the prose cites beside ``numbers`` (call it after ``numbers``, which records the
    verdicts read here): the ordering claims' margin, the share of ReLU's zero outputs over its
    few seeds (the runs themselves, ``intervals.interval``) and why the efficiency verdict is what it is."""
    zeros = study.zeros
    return {"order_margin": f"+{claims.claim(ORDER)['rule_args']['margin'] * 100:g} pp",
            "zero_share_runs": "not measured (no ReLU runs or no seeds for the weights)" if zeros is None
            else intervals.interval(zeros["all"], 3),
            "efficiency_why": tables.prose(study.checks.recorded("wang2020.activation.relu_efficiency", "how"))}


def for_readers(values: dict) -> dict:
    """The glued numbers as readers read them (``tables.prose``: names, not ids; true minus signs)."""
    return tables.prose_values(values)


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
