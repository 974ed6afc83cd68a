"""Chapter 6's runs from a GPU machine (the paper profile), read from their own store and shown
beside the CPU book's.
"""
from __future__ import annotations

import pandas as pd

from ..core import profiles
from ..judging import verdicts
from ..judging.results import ablation_effects
from ..present import intervals
from ..runs import experiments
from ..runs.runsets import by_backend
from .cnn_page import ABLATION, CHAPTER, FULL, _ablation_frame, _paper, _widths, _with_paper, run_sets

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


def gpu_numbers(gpu: dict, bench: pd.DataFrame) -> dict:
    """The paper profile's widths, budget and cost on two CPU cores (from the benchmark's rows,
    ``bench``), its GPU trainings' accuracy and speed, and the second looks at Liu & Fu's
    accuracy claims."""
    params, on_gpu = gpu["params"], gpu["full"]
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
    # The same declared tests the notebook records as second looks (``cnn_claims.on_gpu``).
    verdict = lambda claim_id: verdicts.judgement(claim_id, sample=accuracy, iterations=steps).verdict
    return numbers | {
        "gpu_speed": f"{on_gpu['images_per_second'].median():,.0f}",
        "gpu_seconds": f"{on_gpu['wall_seconds'].median():.0f}", "gpu_measured": intervals.interval(accuracy),
        "gpu_best": f"{accuracy.max():.4f}", "gpu_verdict": verdict("liu_fu.cnn.accuracy"),
        "gpu_best_verdict": verdict("liu_fu.cnn.best_accuracy")}


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
