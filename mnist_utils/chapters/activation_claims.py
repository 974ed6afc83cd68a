"""Chapter 3's claims and the evidence that decides each: which runs, which measurement.

One function per claim (or per family of claims that share a measurement) returns a
``verdicts.Evidence``: the reader's summary of what was measured and the inputs of the rule
the claims file declares for the claim, or why these parameters cannot test it. The notebook's
"How each claim is decided" cell hands each to ``Verdicts.decide``, the only place the chapter
records a verdict; the page's numbers then read what was recorded.
"""
from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from ..core import claims, paths
from ..judging import measures, stats
from ..judging.results import convergence_budget, final_rows, stopping
from ..judging.results import read as read_results
from ..judging.verdicts import Evidence
from ..present import intervals, tables
from ..runs import benchmark_rows, gradients
from ..training import models
from .activation_page import ELU, ORDER, OVERFIT, RATIO, SPARSITY, Study, mean_steps

# The activations whose runs must all have converged for a claim's shortfall to count against it
# (None: the rule takes no budget).
ARMS = {ORDER: ("relu", "elu", "sigmoid"), ELU: ("elu", "relu"), RATIO: None, OVERFIT: ("sigmoid", "relu")}
NEEDS = {ORDER: "needs sigmoid, relu and elu runs", ELU: "needs relu and elu runs",
         RATIO: "not measurable (ReLU or Sigmoid runs missing, or ReLU below the threshold)",
         OVERFIT: "needs relu and sigmoid runs"}


def activation_measurements(study: Study) -> dict:
    """The four activation claims' measurements on the chapter's runs (``measures.activation_evidence``):
    paired test accuracies, the ratio of steps to the threshold, the loss gaps."""
    return measures.activation_evidence(study.results, study.final, study.threshold, study.claimed_ratio,
                                        study.interpolated)


def activation_comparison(study: Study, measured: dict, claim_id: str) -> Evidence:
    """One of the four activation claims on ``measured`` (``activation_measurements``), with
    whether each arm's runs converged where the rule can use it."""
    if claim_id not in measured:
        return Evidence.absent(NEEDS[claim_id])
    said, found = measured[claim_id]
    return Evidence(said, {**found, **arm_budget(study, claim_id), "ran": study.ran})


def arm_budget(study: Study, claim_id: str) -> dict:
    """Whether each claim's runs converged, per seed and per arm where the rule can use it: an
    accuracy comparison A > B is turned by more training only where arm A fell short."""
    arms = ARMS[claim_id]
    if arms is None:
        return {}
    if claim_id == ORDER:
        return {"converged": {f"{a} > Sigmoid": {"a": study.converged_by_seed(a.lower()),
                                                 "b": study.converged_by_seed("sigmoid")} for a in ("ReLU", "ELU")}}
    if claim_id == ELU:
        return {"converged": {"a": study.converged_by_seed("elu"), "b": study.converged_by_seed("relu")}}
    return {"converged": study.converged_by_seed(*arms)}


def sigmoid_floor(study: Study) -> Evidence:
    """The Sigmoid LeNet-5's test accuracy per seed, against the paper's 98% floor."""
    if "sigmoid" not in study.accuracy:
        return Evidence.absent("no sigmoid runs")
    sigmoid = study.accuracy["sigmoid"]
    return Evidence(stats.fmt_ci(stats.mean_ci(sigmoid)),
                    {"sample": sigmoid, "converged": study.converged("sigmoid"), "ran": study.ran})


def parameter_counts(study: Study) -> Evidence:
    """LeNet-5's parameters as built, against the same network with every convolution fully connected."""
    counts = measures.parameter_counts(models.build("lenet5", activation=study.params["activations"][0]))
    return Evidence(f"{counts['shared']:,} parameters; {counts['fully_connected']:,} with every convolution fully "
                    "connected", {"shared": counts["shared"], "fully_connected": counts["fully_connected"]})


def saturated(activation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The paper's two large inputs, ``activation`` (sigmoid or tanh) of them and its slope there,
    in the float32 arithmetic the networks use."""
    inputs = np.array(claims.values("wang2020.activation.sigmoid_saturation"), dtype=np.float32)
    outputs = keras.ops.convert_to_numpy(getattr(keras.activations, activation)(keras.ops.convert_to_tensor(inputs)))
    # The derivatives, in float32: Sigmoid's s(1 - s), Tanh's 1 - t².
    slopes = outputs * (np.float32(1) - outputs) if activation == "sigmoid" else np.float32(1) - outputs * outputs
    return inputs, outputs, slopes


def shown(outputs) -> str:
    """Outputs of ``saturated`` to the float32 digits that tell them apart."""
    return ", ".join(f"{o:.9g}" for o in outputs)


def saturation(activation: str) -> Evidence:
    """Saturated when the outputs of both large inputs are equal and both slopes zero."""
    inputs, outputs, slopes = saturated(activation)
    return Evidence(f"float32 {activation.capitalize()} of {', '.join(f'{x:g}' for x in inputs)}: {shown(outputs)}; "
                    f"slopes {', '.join(f'{g:g}' for g in slopes)}",
                    {"value": [bool(outputs[0] == outputs[1]), bool((slopes == 0).all())], "expected": [True, True]})


def raw_pixels(study: Study) -> Evidence:
    """LeNet-5 on pixels of 0 to 255 against the same activation on pixels scaled to [0, 1],
    test accuracy paired by seed, per activation."""
    raw = study.table("_raw_pixels")
    if raw is None:
        return Evidence.absent("no runs on raw pixels")
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
        return Evidence.absent("no scaled runs to compare with")
    return Evidence("; ".join(said), {"pairs": pairs, "converged": bool(stopping(raw)["converged"].all()),
                                      "ran": study.ran})


def sharing_steps(study: Study) -> dict | None:
    """Per activation the weight-sharing claim names, the steps to the declared validation
    accuracy of LeNet-5 and of the fully connected network, paired by seed (None without both)."""
    activations = claims.measure("wang2020.lenet5.speeds_up_learning")["activations"]
    if not all(a in study.accuracy and a in set(study.dense["config"]) for a in activations):
        return None
    lenet, dense = stats.steps_to_reach(study.results, study.threshold), stats.steps_to_reach(study.dense, study.threshold)
    return {a: measures.paired(measures.per_seed(lenet, a, "steps"), measures.per_seed(dense, a, "steps"))
            for a in activations}


def sharing_text(pairs: dict) -> str:
    return "; ".join(f"{a}: LeNet-5 {mean_steps(le)}, fully connected {mean_steps(d)}" for a, (le, d) in pairs.items())


def weight_sharing_speed(study: Study) -> Evidence:
    """Steps to the declared validation accuracy, LeNet-5 against the fully connected network of
    its hidden widths (``sharing_steps``)."""
    pairs = sharing_steps(study)
    if pairs is None:
        activations = claims.measure("wang2020.lenet5.speeds_up_learning")["activations"]
        return Evidence.absent(f"needs {' and '.join(activations)} runs of both networks")
    return Evidence(f"mean steps to validation accuracy {study.threshold}: {sharing_text(pairs)}",
                    {"pairs": pairs, "cap": study.runs.configs[0].steps, "ran": study.ran})


def tanh_steps(study: Study) -> tuple[np.ndarray, np.ndarray] | None:
    """Steps to the declared validation accuracy of ReLU and of Tanh, paired by seed (None without both)."""
    if not {"tanh", "relu"} <= set(study.results["config"]) | set(study.extra["config"]):
        return None
    reach = pd.concat([stats.steps_to_reach(study.results, study.threshold),
                       stats.steps_to_reach(study.extra, study.threshold)])
    return measures.paired(measures.per_seed(reach, "relu", "steps"), measures.per_seed(reach, "tanh", "steps"))


def tanh_speed(study: Study) -> Evidence:
    """ReLU against Tanh to the declared validation accuracy (``tanh_steps``)."""
    steps = tanh_steps(study)
    if steps is None:
        return Evidence.absent("needs relu runs and a tanh arm (extra_activations)")
    relu, tanh = steps
    return Evidence(f"mean steps to validation accuracy {study.threshold}: ReLU {mean_steps(relu)}, Tanh {mean_steps(tanh)}",
                    {"a_steps": relu, "b_steps": tanh, "cap": study.runs.configs[0].steps, "ran": study.ran})


def relu_zeros(study: Study) -> Evidence:
    """The share of exactly-zero hidden outputs of the ReLU network (weights kept per seed)."""
    zeros, measure = study.zeros, claims.measure(SPARSITY)
    if zeros is None:
        return Evidence.absent("needs relu runs and sparsity_seeds")
    share = stats.fmt_ci(stats.mean_ci(zeros["all"]), 3)
    return Evidence(f"share of zero outputs of {', '.join(measure['layers'])}: {share}",
                    {"sample": zeros["all"], "floor": measure["floor"], "converged": study.converged("relu"),
                     "ran": study.ran})


def gradient_ratios(study: Study) -> Evidence:
    """The first layer's RMS gradient over the output layer's in the first steps, ReLU against
    Sigmoid, paired by seed (the gradient probes)."""
    if study.probed is None or not {"relu", "sigmoid"} <= set(study.accuracy):
        return Evidence.absent("needs relu and sigmoid runs and gradient_seeds")
    steps, seeds = study.params["gradient_steps"], study.params["gradient_seeds"]
    shapes = gradients.summaries(study.probed)
    ratio_of = lambda config: measures.per_seed(shapes, config, "input_over_output")
    relu, sigmoid = measures.paired(ratio_of("relu"), ratio_of("sigmoid"))
    return Evidence(f"first-layer over output-layer RMS gradient, geometric mean of the first {steps} steps: "
                    f"ReLU {np.median(relu):.3g}, Sigmoid {np.median(sigmoid):.3g} (medians over seeds)",
                    {"a": relu, "b": sigmoid, "ran": f"the first {steps} steps, seeds {', '.join(map(str, seeds))}"})


def benchmark() -> pd.DataFrame:
    """The training-speed benchmark's rows (``paths.BENCHMARK``)."""
    return read_results(paths.BENCHMARK)


def activation_speeds(bench: pd.DataFrame) -> dict:
    """Training images per second per activation timed by the benchmark's part 6 (empty arrays where it has none)."""
    return {a: bench.loc[bench["measurement"] == benchmark_rows.activation_measurement(a), "value"].to_numpy()
            for a in ("relu", "sigmoid", "elu", "tanh")}


def training_speed(bench: pd.DataFrame) -> Evidence:
    """ReLU's training speed against Sigmoid's, paired by benchmark round."""
    timed = activation_speeds(bench)
    if not (len(timed["relu"]) and len(timed["sigmoid"])):
        return Evidence.absent("no benchmark rows for the activations")
    paired = benchmark_rows.paired_speeds(bench, benchmark_rows.activation_measurement("relu"),
                                          benchmark_rows.activation_measurement("sigmoid"))
    return Evidence(f"{np.median(timed['relu']):,.0f} vs {np.median(timed['sigmoid']):,.0f} images/s (medians of "
                    f"{paired['said']})", {"a": paired["a"], "b": paired["b"],
                                           "ran": "the benchmark's part 6 (`make benchmark`)"})


def optimizer_arm(study: Study) -> dict[str, Evidence]:
    """The four activation claims on the optimizer arm's runs at the chosen rates (second looks,
    never the verdicts of record); empty where the arm did not run."""
    arm = study.table("_optimizer")
    if arm is None:
        return {}
    p, stops = study.params, stopping(arm)
    ran = (f"{p['arm_optimizer']} at the rates chosen on validation, seeds {', '.join(map(str, p['arm_seeds']))}, "
           + convergence_budget(stops, p["patience_epochs"], p["max_epochs"]))
    found = measures.activation_evidence(arm, final_rows(arm), study.threshold, study.claimed_ratio, study.interpolated)
    return {claim_id: Evidence(said, {**evidence, "ran": ran, "converged": bool(stops["converged"].all())})
            for claim_id, (said, evidence) in found.items()}

