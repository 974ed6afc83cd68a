"""Chapter 6's ablations: each of Liu & Fu's changes taken out of the improved CNN in turn, paired
by seed with the full model; the factorised kernels' speed; the gradient sizes batch norm is
said to tame.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import claims, paths
from ..judging import measures, stats
from ..judging.results import ablation_effects
from ..judging.results import read as read_results
from ..present import model_plots, plots
from ..runs import benchmark_rows, gradients
from .cnn_page import ABLATION, REFERENCE, _ablation_frame, _widths, finals


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
    return plots.fit_page(model_plots.gradient_sizes(probed, title=title))


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
