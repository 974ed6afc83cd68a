"""Chapter 6's ablations: each of Liu & Fu's changes taken out of the improved CNN in turn, paired
by seed with the full model; the factorised kernels' speed; the gradient sizes batch norm is
said to tame.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import claims, paths
from ..judging import measures, stats
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


def ablation_numbers(ablated, params: dict, checks, bench: pd.DataFrame) -> dict:
    """The ablations' budget, the factorised kernel's speed (``bench``: the benchmark's rows), the
    steps to reach the batch-norm claim's threshold, and the change of the over-fitting gap without
    dropout and without batch norm, with the verdicts recorded on the claims they test
    (``cnn_claims.ablations``)."""
    ablations, budget, seeds = params["ablations"], params["ablation_steps"], params["ablation_seeds"]
    numbers = {"ablation_budget": f"{budget:,}", "ablation_status": (
        f"Budget: {budget:,} iterations, seeds {', '.join(map(str, seeds))}." if ablated is not None else
        "This profile runs no ablations (its parameter ablations is empty): the claims that need them are "
        "reported as not tested.")}
    numbers |= speed_numbers(params, checks, bench)
    threshold = claims.measure("liu_fu.cnn.bn_converges_fast")["threshold"]
    numbers["bn_threshold"] = f"{threshold:.2f}"
    has = lambda name: ablated is not None and name in ablations
    final = finals(ablated)
    gap = lambda config: measures.per_seed(final.assign(gap=measures.overfitting_gap(final)), config, "gap")
    if has("no_batch_norm"):
        reach = stats.steps_to_reach(ablated.table, threshold)
        steps_of = lambda config: measures.per_seed(reach, config, "steps").to_numpy()
        numbers |= {"bn_steps_full": reached(steps_of(REFERENCE), budget),
                    "bn_steps_without": reached(steps_of("no_batch_norm"), budget),
                    "bn_gap": stats.fmt_difference(stats.difference(*measures.paired(
                        gap("no_batch_norm"), gap(REFERENCE)), paired=True), digits=4)}
    else:
        numbers |= {"bn_steps_full": "(not measured)",
                    "bn_steps_without": "(not measured: this profile runs no 'no_batch_norm' ablation)",
                    "bn_gap": "not measured (no no_batch_norm ablation)"}
    numbers["dropout_gap"] = stats.fmt_difference(stats.difference(
        *measures.paired(gap("no_dropout"), gap(REFERENCE)), paired=True), digits=4) if has("no_dropout") \
        else "not measured (no 'no_dropout' ablation)"
    return numbers | {"bn_generalises_verdict": checks.recorded("liu_fu.cnn.bn_generalises")}


def reached(steps: np.ndarray, budget: int) -> str:
    """Mean iterations to reach a threshold; a run that never reached it is censored at the budget."""
    if np.isnan(steps).all():
        return f"not within the {budget:,} iterations"
    return f"after {np.nanmean(steps):,.0f} iterations"


def speed_numbers(params: dict, checks, bench: pd.DataFrame) -> dict:
    """The factorised and unfactorised model's median speeds in the benchmark's interleaved
    timings (part 5) and the verdict recorded on "to speed up the operation"."""
    timed = factorised_speeds(params["widths"], bench)
    verdict = checks.recorded("liu_fu.cnn.factorised_kernels_speed")
    if not (len(timed["factorised"]) and len(timed["unfactorised"])):
        return {"speed_full": "not measured", "speed_unfactorised": "not measured (the benchmark has no rows for "
                f"widths {_widths(params['widths'])})", "factorised_speed_verdict": verdict}
    return {"speed_full": f"{np.median(timed['factorised']):,.0f}",
            "speed_unfactorised": f"{np.median(timed['unfactorised']):,.0f}", "factorised_speed_verdict": verdict}


def benchmark() -> pd.DataFrame:
    """The training-speed benchmark's rows (``paths.BENCHMARK``): the chapter reads them once."""
    return read_results(paths.BENCHMARK)


def factorised_speeds(widths, bench: pd.DataFrame) -> dict:
    """Images per second of the factorised and the unfactorised model at ``widths``, paired by
    round of the benchmark's part 5 (interleaved in one process), and how they were timed."""
    paired = benchmark_rows.paired_speeds(bench, *(benchmark_rows.factorised_measurement(widths, v)
                                                    for v in ("factorised", "unfactorised")))
    return {"factorised": paired["a"], "unfactorised": paired["b"], "said": paired["said"]}


def layer_spreads(probed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Largest over smallest layer RMS gradient per seed, without and with batch norm, paired."""
    spreads = gradients.summaries(probed)
    spread_of = lambda config: measures.per_seed(spreads, config, "layer_spread")
    return measures.paired(spread_of("no_batch_norm"), spread_of(REFERENCE))


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


def gradient_numbers(probed: pd.DataFrame | None, checks) -> dict:
    """The spread of the layers' gradients with and without batch norm, and the verdict recorded."""
    if probed is None:
        return {"bn_spreads": "not measured (no no_batch_norm ablation, or no gradient_seeds)",
                "bn_gradients_verdict": "not tested"}
    without, with_bn = layer_spreads(probed)
    return {"bn_spreads": f"{np.median(with_bn):.3g} with batch norm, {np.median(without):.3g} without",
            "bn_gradients_verdict": checks.recorded("liu_fu.cnn.bn_gradients")}
