"""Chapter 2 (the softmax regression baseline): its tables, numbers and the evidence of its claim.

Every function returns what a reader sees: frames with reader column names, or a dict of the
numbers the prose cites. The notebook decides the claim (``Verdicts.decide`` on
``accuracy_evidence``: the claims file's declared rule).
"""
from __future__ import annotations

import pandas as pd

from ..core import claims
from ..judging import stats
from ..judging.verdicts import Evidence, Verdicts, judgement

CHAPTER = "02_softmax_baseline"
CLAIM = "liu_fu.softmax.accuracy"


def accuracy_table(final: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """One row per training: its seed, validation and test accuracy, and beside it the paper's
    value for the run with the same number (Liu & Fu's Table 2); ``digits`` decimals."""
    paper = claims.values(CLAIM)
    shown = lambda v: "—" if pd.isna(v) else f"{v:.{digits}f}"
    return pd.DataFrame({
        "seed": final["seed"].astype(int).to_numpy(),
        "validation accuracy": final["val_accuracy"].map(shown).to_numpy(),
        "test accuracy": final["test_accuracy"].map(shown).to_numpy(),
        "Liu & Fu Table 2 (paper)": [shown(v) for v in (paper + [None] * len(final))[: len(final)]],
    })


def accuracy_evidence(final: pd.DataFrame, params) -> Evidence:
    """The test accuracy of each seed's training, at the budget that ran."""
    return Evidence(stats.fmt_ci(stats.mean_ci(final["test_accuracy"])),
                    {"sample": final["test_accuracy"], "ran": f"{params['steps']:,} steps of {params['batch_size']} images"})


def numbers(final: pd.DataFrame, checks: Verdicts) -> dict:
    """The test accuracy, the paper's, their difference and the verdict, as the prose cites them."""
    paper = claims.values(CLAIM)
    measured, paper_summary = stats.mean_ci(final["test_accuracy"]), stats.mean_ci(paper)
    return {
        "softmax_measured": stats.fmt_ci(measured),
        "softmax_paper": stats.fmt_ci(paper_summary),
        "softmax_paper_range": f"{min(paper):.4f}–{max(paper):.4f}",
        "softmax_diff_pp": f"{(measured['mean'] - paper_summary['mean']) * 100:+.2f}",
        "softmax_verdict": checks.recorded(CLAIM),
        "softmax_margin": checks.recorded(CLAIM, "margin"),
        "softmax_why": checks.recorded(CLAIM, "how"),
        "softmax_n_seeds": len(final),
    }


def curve_numbers(results: pd.DataFrame, eval_every: int) -> dict:
    """What the validation curve shows: the mean over seeds at the first evaluation, halfway and
    at the end, the gain (pp) in each half, and the spread of the runs at the end."""
    curve = results.dropna(subset=["val_accuracy"]).groupby("step")["val_accuracy"].mean().sort_index()
    first, last = curve.index[0], curve.index[-1]
    mid = curve.index[curve.index <= last / 2].max() if (curve.index <= last / 2).any() else first
    end = results.loc[results["step"] == last, "val_accuracy"]
    iterations = lambda step: f"{int(step):,}"
    return {
        "softmax_eval_every": eval_every,
        "softmax_curve_first_step": iterations(first), "softmax_curve_first": f"{curve[first]:.4f}",
        "softmax_curve_mid_step": iterations(mid), "softmax_curve_mid": f"{curve[mid]:.4f}",
        "softmax_curve_last_step": iterations(last), "softmax_curve_last": f"{curve[last]:.4f}",
        "softmax_gain_first_half_pp": f"{(curve[mid] - curve[first]) * 100:.2f}",
        "softmax_gain_second_half_pp": f"{(curve[last] - curve[mid]) * 100:.2f}",
        "softmax_final_spread_pp": f"{(end.max() - end.min()) * 100:.2f}",
    }


def backend_table(on_backends: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy per seed on each Keras backend stored, and JAX − TensorFlow in pp when both are."""
    wide = on_backends.pivot_table(index="seed", columns="backend", values="test_accuracy")
    table = pd.DataFrame({"seed": wide.index.astype(int)})
    # A seed without a run on one backend shows a dash (None), never "nan".
    for backend, name in (("tensorflow", "TensorFlow"), ("jax", "JAX")):
        if backend in wide:
            table[f"{name} test accuracy"] = [None if pd.isna(v) else f"{v:.4f}" for v in wide[backend]]
    if {"tensorflow", "jax"} <= set(wide.columns):
        table["JAX − TensorFlow (pp)"] = [None if pd.isna(v) else f"{v:+.2f}"
                                          for v in (wide["jax"] - wide["tensorflow"]) * 100]
    return table


def jax_numbers(on_backends: pd.DataFrame, n_seeds: int) -> dict:
    """The test accuracy on JAX and its verdict by the same rule, when every seed has a JAX run."""
    jax = on_backends.loc[on_backends["backend"] == "jax", "test_accuracy"]
    if len(jax) != n_seeds:
        return {"softmax_jax": "not available (not all seeds trained on JAX)", "softmax_jax_verdict": "not judged"}
    return {"softmax_jax": stats.fmt_ci(stats.mean_ci(jax)),
            "softmax_jax_verdict": judgement(CLAIM, sample=jax).verdict}
