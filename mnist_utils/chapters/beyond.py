"""Chapter 9's own question, asked of its stored runs: what Liu & Fu's budget buys with
standard practice. Not a verdict on a paper (``verdicts`` judges those): these are the
book's results, and nothing here enters the report's tally.

The question is a rule (``answer``): a mean test accuracy over at least ``MIN_SEEDS`` seeds
above a target, with at most a given number of training images per model.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import claims, paths, profiles
from ..judging import measures, stats
from ..judging.results import ablation_effects, final_rows
from ..judging.results import read as read_results
from ..present import intervals, rendering, tables
from ..runs import benchmark_rows, experiments
from ..training import models

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

    words = {"name": "configuration", "versus": "baseline", "reference": baseline}
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
                     "test accuracy": intervals.interval(accuracies),
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
        rows.append({"set-up": tables.current_setup_name(measurement), "target": f"{target:.2%}",
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


# ----------------------------------------------------------------- the page (chapter 9)
CHAPTER = "09_beyond_the_papers"



def target() -> float:
    """The rule's target: Liu & Fu's best training (``liu_fu.cnn.best_accuracy``), as a fraction."""

    return claims.values("liu_fu.cnn.best_accuracy")[0] / 100


def budget_numbers(params: dict) -> dict:
    """The rule and the budget of this page's models, as the prose cites them."""
    images = params["steps"] * params["batch_size"]
    return {"target": f"{target():.2%}", "image_budget": f"{params['image_budget']:,}",
            "images_per_model": f"{images:,}", "budget_share": f"{images / params['image_budget']:.1%}",
            "steps": f"{params['steps']:,}", "batch_size": f"{params['batch_size']}"}


def effects_table(effects: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """``ingredient_effects`` as the page shows it: per split, the mean accuracy and the paired
    difference from the baseline with its 95% interval in one cell (so the table fits the page),
    numbers rounded to ``digits``, n an integer."""
    table = effects[["configuration"]].assign(n=effects["n"].map(lambda n: f"{int(n)}"))
    for split in ("validation", "test"):
        low, high = effects[f"95% CI low ({split})"], effects[f"95% CI high ({split})"]
        table[f"{split} accuracy"] = effects[f"{split} accuracy"].round(digits)
        table[f"Δ {split} (pp), 95% CI"] = [f"{d:+.{digits}f} ({lo:+.{digits}f} to {hi:+.{digits}f})"
                                            for d, lo, hi in zip(effects[f"Δ vs baseline (pp) ({split})"], low, high)]
    return table


def effects_numbers(effects: pd.DataFrame, ingredient_seeds) -> dict:
    """The seeds and each ingredient's validation difference, as the prose cites them."""
    return {"ingredient_seeds": ", ".join(map(str, ingredient_seeds)),
            "effects_validation": "; ".join(f"{row['configuration']} {row['Δ vs baseline (pp) (validation)']:+.2f} pp"
                                            for _, row in effects.iterrows())}


def _accuracies(final: pd.DataFrame, name: str, metric: str = "test_accuracy") -> pd.Series:
    return final.loc[final["config"] == name, metric]


def chapter6_final_five(profile: str) -> pd.DataFrame | None:
    """The last rows of chapter 6's final five (the validation-chosen schedule trained on all
    60,000 training images at the whole budget), read from chapter 6's results file; None where
    the profile has none."""

    path = paths.find_results(profile, "06_improved_cnn_final_five")
    return final_rows(read_results(path)) if path.exists() else None


def final_five_images(final_five: pd.DataFrame) -> int:
    """Training images each of chapter 6's final five saw (iterations × batch)."""
    return int(final_five["steps"].max() * final_five["batch_size"].max())


def recipe_numbers(final: pd.DataFrame, baseline: str, recipe: str, params: dict,
                   final_five: pd.DataFrame | None = None) -> dict:
    """The recipe against the baseline after this page's budget: each mean test accuracy, their
    difference paired by seed (same data order, same initial weights), the validation split's
    choice between them, the rule's answer, and the summary the introduction pastes, which
    also gives the answer of chapter 6's final five (``chapter6_final_five``) where they ran:
    the runs that ask the question at the whole budget."""

    images = params["steps"] * params["batch_size"]
    chosen = stats.summarize(final, "config", "val_accuracy").set_index("config")["mean"].idxmax()
    ours, theirs = (intervals.interval(_accuracies(final, name)) for name in (recipe, baseline))
    d = stats.difference(*measures.paired(measures.per_seed(final, recipe, "test_accuracy"),
                                          measures.per_seed(final, baseline, "test_accuracy")), paired=True)
    reply = answer(_accuracies(final, recipe), images, target(), params["image_budget"])
    summary = (f"With {images:,} training images per model, the {recipe.replace(':', ' (', 1)}) takes the CNN of "
               f"chapter 6 from {theirs} to {ours} test accuracy. Is the mean above the best training of Liu & Fu "
               f"({target():.2%}) within {params['image_budget']:,} images? For the recipe: **{reply}**.")
    five_reply = ""
    if final_five is not None:
        five_images = final_five_images(final_five)
        five_reply = answer(final_five["test_accuracy"], five_images, target(), params["image_budget"])
        summary += (f" For chapter 6's final five (the validation-chosen cosine schedule on all 60,000 training "
                    f"images, {five_images:,} images each): **{five_reply}** "
                    f"({intervals.interval(final_five['test_accuracy'])}).")
    return {"recipe_measured": ours, "baseline_measured": theirs, "final_five_answer": five_reply or "not run",
            "recipe_gain": stats.fmt_difference(d, scale=100, unit=" pp"),
            "validation_choice": "the recipe" if chosen == recipe else "the baseline", "answer_recipe": reply,
            "beyond_summary": rendering.prose(summary)}   # pasted into the introduction


def per_seed_table(final: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """Validation and test accuracy of every seed (rows) and configuration (columns)."""
    table = final.pivot(index="seed", columns="config", values=["val_accuracy", "test_accuracy"])
    table.columns = [f"{config}: {'validation' if metric == 'val_accuracy' else 'test'}"
                     for metric, config in table.columns]
    return table.reset_index().round(digits)


def stored_probabilities(trained, name: str) -> list[np.ndarray]:
    """The stored test-set probabilities of every run of configuration ``name``."""
    ids = trained.table.loc[trained.table["config"] == name, "run_id"].unique()
    return [trained.arrays[run_id]["test_probabilities"] for run_id in ids]


def ensemble_numbers(trained, recipe, labels: np.ndarray) -> dict:
    """The parameters of one model and of the ensemble of the recipe's models, and its accuracy."""

    n_models = trained.table.loc[trained.table["config"] == recipe.name, "run_id"].nunique()
    n_parameters = models.build("liu_fu_cnn", **recipe.model_kwargs).count_params()
    return {"model_parameters": f"{n_parameters:,}", "ensemble_parameters": f"{n_models * n_parameters:,}",
            "recipe_ensemble": f"{ensemble_accuracy(stored_probabilities(trained, recipe.name), labels):.4f}"}


def papers_table(trained_recipe, full, baseline: str, recipe: str, labels: np.ndarray, params: dict,
                 final_five: pd.DataFrame | None = None) -> pd.DataFrame:
    """``against_papers`` for this page: the recipe and the baseline (chapter 6's tutorial
    set-up) after this page's budget, chapter 6's trainings of the tutorial set-up at the whole
    budget (``full``; None where they were not declared) and chapter 6's final five
    (``final_five``, the validation-chosen schedule; None where they did not run)."""
    images, final = params["steps"] * params["batch_size"], results_final(trained_recipe)
    ours = {f"recipe, {images:,} images": (_accuracies(final, recipe), ensemble_accuracy(
                stored_probabilities(trained_recipe, recipe), labels), images),
            f"the tutorial set-up, {images:,} images": (_accuracies(final, baseline), None, images)}
    if full is not None:
        reference = params["reference_steps"] * params["batch_size"]
        ours[f"the tutorial set-up, {reference:,} images (chapter 6's first five)"] = (
            results_final(full)["test_accuracy"], ensemble_accuracy(stored_probabilities(full, baseline), labels),
            reference)
    if final_five is not None:
        five_images = final_five_images(final_five)
        ours[f"the validation-chosen schedule, {five_images:,} images (chapter 6's final five)"] = (
            final_five["test_accuracy"], None, five_images)
    return against_papers(ours, target(), params["image_budget"])


def results_final(trained) -> pd.DataFrame:
    """The last row of every run of a ``runsets.Trained`` (``results.final_rows``)."""

    return final_rows(trained.table)


def reference_numbers(full) -> dict:
    """The time one training of the whole budget takes (chapter 6's, median, evaluations
    included) and when chapter 6's trainings first reached each target of the race."""
    if full is None:
        return {"full_budget_minutes": "(not measured: reference_steps = 0)",
                "chapter6_reached": "not run (reference_steps = 0)"}

    minutes = full.table.groupby("run_id")["wall_seconds"].max().median() / 60
    reached = {t: first_reached(full.table, t) for t in benchmark_rows.race_targets()}
    return {"full_budget_minutes": f"about {minutes:.0f} minutes", "chapter6_reached": "; ".join(
        f"{t:.2%} by {r['steps'].notna().sum()} of {len(r)} (first at iteration {r['steps'].min():,.0f}, "
        f"{r['wall_seconds'].min() / 60:.0f} min)" if r["steps"].notna().any() else f"{t:.2%} by none of {len(r)}"
        for t, r in reached.items())}


def cost_numbers(trained: list, baseline: str, reused: bool) -> dict:
    """What this page's own runs cost (the baseline is free where it reuses chapter 6's
    trainings, cut where they were tested), and the training images of the ``paper`` profile."""

    cost = training_cost(trained, exclude=[baseline] if reused else [])
    paper_sets = experiments.beyond_the_papers(profiles.chapter_parameters(CHAPTER, "paper"))
    # No apostrophes in glued text: the web page shows typographic ones.
    return {"baseline_cost": "The baseline reuses the trainings of chapter 6 (cut where they were tested), so it "
                             "costs nothing here." if reused else "The baseline was trained here too: the trainings "
                             "of chapter 6 were not tested at this budget.",
            "cost_machines": ", ".join(sorted({m for t in trained for m in t.machines.values()})),
            "cost_minutes": f"{cost['minutes']:.0f}", "cost_runs": f"{cost['runs']}",
            "cost_images": f"{cost['images'] / 1e6:.2f} million",
            "paper_images": f"{experiments.training_images(paper_sets[:2]) / 1e6:.1f} million"}
