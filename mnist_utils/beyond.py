"""Chapter 9's own question, asked of its stored runs: what Liu & Fu's budget buys with
standard practice. Not a verdict on a paper (``verdicts`` judges those): these are the
book's results, and nothing here enters the report's tally.

The question is a rule (``answer``): a mean test accuracy over at least ``MIN_SEEDS`` seeds
above a target, with at most a given number of training images per model.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats

MIN_SEEDS = 5     # the rule's seeds: Liu & Fu's five trainings


def answer(accuracies, images_per_model: int, target: float, image_budget: int) -> str:
    """The rule's answer for one configuration's final test accuracies (one per seed).

    "yes" needs the mean above ``target`` on ``MIN_SEEDS`` or more seeds within the budget.
    Below the target, "no" only at the whole budget: a run that stopped short of it could
    have gone on, so there the answer is "not answered at this budget".
    """
    accuracies = np.asarray(accuracies, dtype=float)
    if images_per_model > image_budget:
        return f"outside the rule ({images_per_model:,} images per model, more than {image_budget:,})"
    if len(accuracies) < MIN_SEEDS:
        return f"not answered: {len(accuracies)} seed{'s' if len(accuracies) != 1 else ''}, the rule asks for {MIN_SEEDS}"
    if accuracies.mean() > target:
        return "yes"
    if images_per_model == image_budget:
        return "no"
    return f"not answered at this budget ({images_per_model:,} of the {image_budget:,} images per model)"


def ensemble_accuracy(probabilities: list[np.ndarray], labels: np.ndarray) -> float:
    """Test accuracy of the models' averaged class probabilities (one array per model,
    images × classes, as the run store keeps them)."""
    if not probabilities:
        raise ValueError("ensemble_accuracy: no models")
    shapes = {p.shape for p in probabilities}
    if len(shapes) != 1 or next(iter(shapes)) != (len(labels), 10):
        raise ValueError(f"ensemble_accuracy: probabilities of shapes {sorted(shapes)} for {len(labels)} labels")
    mean = np.mean([p.astype(np.float64) for p in probabilities], axis=0)
    return float((mean.argmax(axis=1) == labels).mean())


def first_reached(results: pd.DataFrame, target: float) -> pd.DataFrame:
    """Per run of a results table: the first tested iteration with a test accuracy at or above
    ``target``, and the run's wall time there (NaN when no test reached it)."""
    tested = results.dropna(subset=["test_accuracy"]).drop_duplicates(["run_id", "step"])
    reached = stats.steps_to_reach(tested, target, metric="test_accuracy")
    wall = tested.set_index(["run_id", "step"])["wall_seconds"]
    reached["wall_seconds"] = [wall.get((r, s), np.nan) if not np.isnan(s) else np.nan
                               for r, s in zip(reached["run_id"], reached["steps"])]
    return reached


def ingredient_effects(final: pd.DataFrame, ingredients, baseline: str) -> pd.DataFrame:
    """Each configuration of ``ingredients`` against ``baseline``, paired by seed, on the
    validation split (what a choice may look at) and on the test set (reported only)."""
    from .results import ablation_effects

    words = dict(name="configuration", versus="baseline", reference=baseline)
    validation = ablation_effects(final, ingredients, metric="val_accuracy", **words)
    test = ablation_effects(final, ingredients, metric="test_accuracy", **words)
    return validation.merge(test.drop(columns="n"), on="configuration", suffixes=(" (validation)", " (test)"))


def configurations(configs, cut_at: int = 0) -> pd.DataFrame:
    """What each configuration of the chapter changes, one row per configuration; a longer
    training read as if stopped at ``cut_at`` (``results.cut``) shows the iterations read."""
    rows = []
    for c in configs:
        read = cut_at if cut_at and c.steps > cut_at else c.steps
        rows.append({
            "configuration": c.name, "learning rate": f"{c.learning_rate:g}",
            "schedule": "constant" if c.schedule == "constant" else f"{c.schedule}, {c.warmup_steps:,} warm-up steps",
            "augmentation": ", ".join(f"{k} {v:g}{'°' if k == 'rotate' else ''}" for k, v in sorted(c.augment.items()))
                            or "none",
            "label smoothing": f"{c.label_smoothing:g}",
            "iterations": f"{read:,}" + (f" (of a {c.steps:,}-iteration training)" if read < c.steps else ""),
            "images per model": f"{read * c.batch_size:,}"})
    return pd.DataFrame(rows)


def against_papers(ours: dict, target: float, image_budget: int) -> pd.DataFrame:
    """The papers' values (labelled as the papers', from ``data/paper_claims.yaml``) and ours.

    ``ours``: name -> (test accuracies of single models, ensemble accuracy or None, images
    per model). Our rows carry the rule's ``answer``; the papers' rows are not judged here.
    """
    from . import claims

    liu_fu = claims.values("liu_fu.cnn.accuracy")
    wang_error = claims.values("wang2020.improved.error_reduction")[-1] / 100
    iterations = claims.values("liu_fu.cnn.runs")[1]
    rows = [
        {"what": f"Liu & Fu, improved CNN, mean of {len(liu_fu)} trainings", "source": "paper (Table 2)",
         "images per model": f"{iterations:,.0f} iterations", "test accuracy": stats.fmt_ci(stats.mean_ci(liu_fu)),
         "ensemble of the models": "", "the rule's answer": ""},
        {"what": "Liu & Fu, improved CNN, best training", "source": "paper (Table 2)",
         "images per model": f"{iterations:,.0f} iterations", "test accuracy": f"{target:.4f}",
         "ensemble of the models": "", "the rule's answer": "(the target)"},
        {"what": "Wang et al., improved LeNet-5 (0.7% error)", "source": "paper (§5)", "images per model": "not stated",
         "test accuracy": f"{1 - wang_error:.4f}", "ensemble of the models": "", "the rule's answer": ""},
    ]
    for name, (accuracies, ensemble, images) in ours.items():
        accuracies = np.asarray(accuracies, dtype=float)
        rows.append({"what": name, "source": "this book", "images per model": f"{images:,}",
                     "test accuracy": stats.fmt_ci(stats.mean_ci(accuracies)),
                     "ensemble of the models": "" if ensemble is None else f"{ensemble:.4f}",
                     "the rule's answer": answer(accuracies, images, target, image_budget)})
    return pd.DataFrame(rows)


def time_to_accuracy(bench: pd.DataFrame, n_train: int) -> pd.DataFrame:
    """The benchmark's part 3 per set-up and target: median training seconds to the target,
    the images trained by then, and the images the set-up was allowed (empty when the
    benchmark file predates the ``setup`` column)."""
    columns = ["set-up", "target", "median seconds", "repeats", "images at target", "images allowed"]
    race = bench[bench["part"] == "time_to_accuracy"]
    if "setup" not in race or race["setup"].isna().all():
        return pd.DataFrame(columns=columns)
    rows = []
    for (measurement, target), runs in race.groupby(["measurement", "target"], sort=False):
        reached = runs["value"].notna()
        rows.append({"set-up": measurement, "target": f"{target:.2%}",
                     "median seconds": f"{runs['value'].median():,.0f}" if reached.all() else
                     f"not reached ({(~reached).sum()} of {len(runs)} repeats)",
                     "repeats": len(runs),
                     "images at target": f"{(runs['epochs'] * n_train).median():,.0f}" if reached.all() else "",
                     "images allowed": f"{runs['max_images'].iloc[0]:,.0f}"})
    return pd.DataFrame(rows, columns=columns)


def training_cost(trained, exclude=()) -> dict:
    """Runs, training minutes and training images of the distinct runs of ``runsets.Trained``
    results, leaving out the configurations ``exclude`` names (reused from another chapter)."""
    table = pd.concat([t.table for t in trained], ignore_index=True)
    table = table[~table["config"].isin(exclude)]
    per_run = table.groupby("run_key").agg(seconds=("wall_seconds", "max"), steps=("step", "max"),
                                           batch=("batch_size", "first"))
    return {"runs": len(per_run), "minutes": per_run["seconds"].sum() / 60,
            "images": int((per_run["steps"] * per_run["batch"]).sum())}
