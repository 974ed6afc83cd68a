"""The numbers chapter 3's prose cites, all in one dictionary (``numbers``), read after the
notebook has decided the chapter's claims (``activation_claims``, ``Verdicts.decide``): the
parameters, saturation, raw pixels, weight sharing, Tanh, sparsity, gradient dissipation,
efficiency and the optimizer arm.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import claims
from ..judging import measures, stats
from ..present import intervals, tables
from ..runs import experiments, gradients
from ..training import models
from . import activation_claims
from .activation_page import (
    CHAPTER,
    ORDER,
    SPARSITY,
    Study,
    _grid_final,
    accuracy_numbers,
    baseline_numbers,
    mean_steps,
    ordering_numbers,
    overfitting_numbers,
    ratio_numbers,
    stopping_numbers,
)


# ------------------------------------------------------------------ the chapter's other claims
def parameter_numbers(study: Study) -> dict:
    """LeNet-5's parameters as built and with every convolution fully connected."""
    counts = measures.parameter_counts(models.build("lenet5", activation=study.params["activations"][0]))
    return {"lenet_parameters": f"{counts['shared']:,}", "lenet_fully_connected": f"{counts['fully_connected']:,}",
            "fewer_parameters_verdict": study.checks.recorded("wang2020.lenet5.fewer_parameters")}


def saturation_numbers(study: Study) -> dict:
    """Sigmoid and Tanh of the paper's two inputs, in the float32 arithmetic the networks use."""
    outputs = lambda activation: activation_claims.shown(activation_claims.saturated(activation)[1])
    return {"saturation_outputs": outputs("sigmoid"),
            "saturation_verdict": study.checks.recorded("wang2020.activation.sigmoid_saturation"),
            "tanh_saturation_outputs": outputs("tanh"),
            "tanh_saturation_verdict": study.checks.recorded("wang2020.activation.tanh_saturation")}


def raw_pixel_numbers(study: Study) -> dict:
    """LeNet-5 on pixels of 0 to 255 against the same activation on scaled pixels."""
    evidence = activation_claims.raw_pixels(study)
    measured = evidence.measured or ("not run (raw_pixel_activations is empty)" if study.table("_raw_pixels") is None
                                     else "not comparable (no scaled runs of these activations)")
    return {"raw_pixels_measured": measured,
            "raw_pixels_verdict": study.checks.recorded("wang2020.activation.large_inputs_untrainable")}


def weight_sharing_numbers(study: Study) -> dict:
    """Steps to the declared validation accuracy, LeNet-5 against the fully connected network."""
    claim_id = "wang2020.lenet5.speeds_up_learning"
    dense_set = {s.name: s for s in study.sets}.get(CHAPTER + "_fully_connected")
    size = 0 if dense_set is None else measures.parameter_counts(
        models.build(dense_set.configs[0].model, **dense_set.configs[0].model_kwargs))["shared"]
    pairs, activations = activation_claims.sharing_steps(study), claims.measure(claim_id)["activations"]
    steps = (activation_claims.sharing_text(pairs) if pairs is not None else
             f"not measured (needs LeNet-5 and fully connected runs of {' and '.join(activations)})")
    return {"dense_parameters": f"{size:,}", "dense_steps": steps, "speed_up_verdict": study.checks.recorded(claim_id)}


def tanh_numbers(study: Study) -> dict:
    """Steps to the declared validation accuracy, ReLU against Tanh, paired by seed."""
    paired = activation_claims.tanh_steps(study)
    steps = (f"ReLU {mean_steps(paired[0])}, Tanh {mean_steps(paired[1])}" if paired is not None
             else "not measured (no tanh or no relu runs)")
    return {"tanh_threshold": f"{study.threshold:.2f}", "tanh_steps": steps,
            "tanh_verdict": study.checks.recorded("wang2020.activation.relu_faster_than_tanh")}


def sparsity_numbers(study: Study) -> dict:
    """The share of exactly-zero hidden outputs of the ReLU network against "most" (the claims file's floor)."""
    zeros, measure = study.zeros, claims.measure(SPARSITY)
    verdict = study.checks.recorded(SPARSITY)
    if zeros is None:
        why = "not measured (no relu runs or no sparsity_seeds)"
        return {"zero_share": why, "zero_layers": why, "zero_repeats": why, "sparsity_verdict": verdict}
    return {"zero_share": stats.fmt_ci(stats.mean_ci(zeros["all"]), 3),
            "zero_layers": ", ".join(f"{layer} {zeros[layer].mean():.2f}" for layer in measure["layers"]),
            "zero_repeats": f"{int((zeros['differs_from_stored'] == 0).sum())} of {len(zeros)}",
            "sparsity_verdict": verdict}


def dissipation_numbers(study: Study) -> dict:
    """The first layer's gradient over the output layer's, per activation (median over seeds)."""
    verdict = study.checks.recorded("wang2020.activation.gradient_dissipation")
    if study.probed is None or not {"relu", "sigmoid"} <= set(study.accuracy):
        return {"gradient_ratios": "not measured (no gradient_seeds)", "dissipation_verdict": verdict}
    shapes = gradients.summaries(study.probed)
    ratio_of = lambda config: measures.per_seed(shapes, config, "input_over_output")
    return {"gradient_ratios": "; ".join(f"{c} {ratio_of(c).median():.3g}" for c in dict.fromkeys(shapes["config"])),
            "dissipation_verdict": verdict}


def efficiency_numbers(study: Study, bench: pd.DataFrame) -> dict:
    """Training images per second per activation from the benchmark's part 6 (``bench``: its rows,
    ``activation_claims.benchmark()``)."""
    timed = activation_claims.activation_speeds(bench)
    speeds = ", ".join(f"{a} {np.median(timed[a]):,.0f}" for a in timed if len(timed[a]))
    return {"activation_speeds": speeds if len(timed["relu"]) and len(timed["sigmoid"])
            else "not measured (the benchmark has no part 6 rows)",
            "efficiency_verdict": study.checks.recorded("wang2020.activation.relu_efficiency")}


def optimizer_numbers(study: Study) -> dict:
    """The optimizer grid's choice against the rates run, and which verdicts change with the
    optimizer (the second looks the notebook recorded on the arm's runs)."""
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


def numbers(study: Study, bench: pd.DataFrame) -> dict:
    """Every number the prose cites, by glue key, reading the verdicts the notebook recorded in
    ``study.checks`` (call it after them). ``bench``: the benchmark's rows."""
    measured = activation_claims.activation_measurements(study)
    return {**stopping_numbers(study), **accuracy_numbers(study), **ordering_numbers(study),
            **ratio_numbers(study, measured), **baseline_numbers(study), **overfitting_numbers(study, measured),
            **parameter_numbers(study), **saturation_numbers(study), **raw_pixel_numbers(study),
            **weight_sharing_numbers(study),
            **tanh_numbers(study), **sparsity_numbers(study), **dissipation_numbers(study),
            **efficiency_numbers(study, bench), **optimizer_numbers(study)}
