"""Each chapter's training runs, declared once: the notebook presents them, ``fill`` trains
them without Jupyter.

A function per training chapter turns the chapter's parameters (the names of its
``parameters`` cell) into ``RunSet``s: configurations, seeds and data subsets. The notebook
passes its parameters and hands the sets to ``runsets.train_set``; ``python -m mnist_utils.runs.fill``
does the same without Jupyter, so any machine (a GPU runner included) can fill the run store
and the book is then rendered on a CPU from the stored runs.
"""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd

from ..core import claims, paths
from ..core.profiles import Parameters, chapter_parameters
from ..judging.results import final_rows, read
from ..training import models
from ..training.train import OPTIMIZERS, TrainConfig, TrainConfigError, check_seeds, config_columns, step_budget
from .runsets import RunSet, declare

CNN_ABLATIONS = {
    "no_batch_norm": {"batch_norm": False},
    "unfactorised": {"factorised": False},
    "no_dropout": {"dropout_rate": 0.0},
    "max_final_pool": {"final_pool": "max"},
}


def _n_train(train_size: int) -> int:
    """Training images of the 55,000 (or of ``train_size``), without loading MNIST."""
    return min(train_size, 55_000) if train_size else 55_000


def evaluation_interval(train_size: int, batch_size: int, evals_per_epoch: int) -> int:
    """Steps between evaluations, so that an epoch holds ``evals_per_epoch`` of them."""
    for name, value in (("batch_size", batch_size), ("evals_per_epoch", evals_per_epoch)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise TrainConfigError(f"{name}={value!r}: must be a positive integer")
    every = _n_train(train_size) // batch_size // evals_per_epoch
    # A multiple of 8 lets Keras run several steps per execution (train.execution_size).
    every = every // 8 * 8 if every >= 8 else every
    if every == 0:
        raise TrainConfigError(f"evals_per_epoch={evals_per_epoch}: more evaluations than the "
                               f"{_n_train(train_size) // batch_size} steps of an epoch")
    return every


def lenet5_config(activation: str, learning_rate: float, label: str, *, optimizer: str, batch_size: int,
                  epochs: int, evals_per_epoch: int, patience_epochs: int = 0, min_epochs: int = 0,
                  train_size: int = 0, **model_kwargs) -> TrainConfig:
    """LeNet-5 for ``epochs`` epochs (a cap when ``patience_epochs`` > 0: training stops after
    that many epochs without a lower validation loss and keeps the best weights; never before
    ``min_epochs``, so that a run is not stopped on its initial plateau; a minimum at or past
    ``epochs`` lets every run train to the cap)."""
    every = evaluation_interval(train_size, batch_size, evals_per_epoch)
    if not isinstance(patience_epochs, int) or isinstance(patience_epochs, bool) or patience_epochs < 0:
        raise TrainConfigError(f"patience_epochs={patience_epochs!r}: must be an integer >= 0 (0 = no early stop)")
    if not isinstance(min_epochs, int) or isinstance(min_epochs, bool) or min_epochs < 0:
        raise TrainConfigError(f"min_epochs={min_epochs!r}: must be an integer >= 0 (0 = patience counts from the start)")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs <= 0:
        raise TrainConfigError(f"epochs={epochs!r}: must be a positive integer")
    min_steps = min(min_epochs, epochs) * evals_per_epoch * every if min_epochs and patience_epochs else None
    return TrainConfig("lenet5", {"activation": activation, **model_kwargs}, optimizer, float(learning_rate),
                       batch_size, steps=epochs * evals_per_epoch * every, eval_every=every,
                       patience=patience_epochs * evals_per_epoch or None, min_steps=min_steps, label=label)


# ------------------------------------------------------------------ chapters
def softmax_baseline(params: Parameters) -> list[RunSet]:
    """Chapter 2: softmax regression by gradient descent, one run per seed (Liu & Fu: five);
    the same runs in the second implementation (Flax) on ``flax_seeds``."""
    config = TrainConfig("softmax", optimizer="sgd", learning_rate=params.learning_rate,
                         batch_size=params.batch_size, steps=params.steps, eval_every=params.eval_every, label="softmax")
    sets = [declare("02_softmax_baseline", [config], params.seeds, params.train_size, params.eval_size)]
    if params.flax_seeds:
        sets.append(declare("02_softmax_baseline_flax", [config], params.flax_seeds, params.train_size,
                            params.eval_size, framework="flax"))
    return sets


def activation_study(params: Parameters) -> list[RunSet]:
    """Chapter 3: LeNet-5 with each activation, trained to convergence (capped); the
    ``extra_activations`` (Tanh: a claim of the paper's background) beside them; the fully
    connected network of LeNet-5's hidden widths with each of ``fully_connected_activations``
    (``fully_connected``: the speed half of the weight-sharing claim); LeNet-5 with each of
    ``raw_pixel_activations`` on pixels of 0 to 255 ("the input value should not be too large")
    on ``raw_pixel_seeds`` (None: ``seeds``); and the
    optimizer arm: each activation with ``arm_optimizer`` at each of
    ``arm_learning_rates`` on ``arm_grid_seeds``, then at the rate chosen for it
    (``arm_rates``, {activation: rate}, the validation split's choice) on ``arm_seeds``,
    patience counting from epoch ``arm_min_epochs`` (Sigmoid under momentum sits on a
    plateau of chance accuracy for its first epochs); the chapter's main runs again in Flax on
    ``flax_seeds``."""
    def config(activation, rate, label, optimizer=params.optimizer, min_epochs=0):
        return lenet5_config(activation, rate, label, optimizer=optimizer, batch_size=params.batch_size,
                             epochs=params.max_epochs, evals_per_epoch=params.evals_per_epoch,
                             patience_epochs=params.patience_epochs, min_epochs=min_epochs, train_size=params.train_size)

    def runs(name, configs, seeds=params.seeds, **options):
        return declare(name, configs, seeds, params.train_size, params.eval_size, **options)

    activations, rate = params.activations, params.learning_rate
    sets = [runs("03_activation_study", [config(a, rate, a) for a in activations])]
    if params.flax_seeds:   # the same runs in the second implementation
        sets.append(runs("03_activation_study_flax", [config(a, rate, a) for a in activations], params.flax_seeds,
                         framework="flax"))
    extra = [a for a in params.extra_activations if a not in activations]
    if extra:
        sets.append(runs("03_activation_study_extra", [config(a, rate, a) for a in extra]))
    if params.fully_connected_activations:
        dense = [replace(config(a, rate, f"fully connected, {a}"), model="fully_connected",
                         model_kwargs=models.fully_connected_kwargs(a)).validate()
                 for a in params.fully_connected_activations]
        sets.append(runs("03_activation_study_fully_connected", dense))
    if params.raw_pixel_activations:
        raw = [config(a, rate, f"{a}, pixels 0-255") for a in params.raw_pixel_activations]
        seeds = params.seeds if params.raw_pixel_seeds is None else params.raw_pixel_seeds
        sets.append(runs("03_activation_study_raw_pixels", raw, seeds, raw_pixels=True))
    arm = params.arm_optimizer
    if arm not in OPTIMIZERS:
        raise TrainConfigError(f"arm_optimizer={arm!r}: must be one of {', '.join(OPTIMIZERS)}")
    if arm == params.optimizer:   # the chapter's own optimizer: the arm would look at nothing new
        return sets
    if params.arm_learning_rates:
        grid = [config(a, r, arm_label(a, arm, r), arm, params.arm_min_epochs)
                for a in activations for r in params.arm_learning_rates]
        sets.append(runs("03_activation_study_optimizer_grid", grid, params.arm_grid_seeds))
    # The chosen rates of activations this chapter does not study are not used, so that changing
    # the activations alone never needs arm_rates changed too.
    chosen_rates = {a: r for a, r in (params.arm_rates or {}).items() if a in activations}
    if chosen_rates:
        chosen = [config(a, r, f"{a} ({arm})", arm, params.arm_min_epochs) for a, r in chosen_rates.items()]
        sets.append(runs("03_activation_study_optimizer", chosen, params.arm_seeds))
    return sets


def arm_label(activation: str, optimizer: str, rate: float) -> str:
    """How a run of chapter 3's optimizer grid is named: "sigmoid, momentum lr=0.1"."""
    return f"{activation}, {optimizer} lr={rate:g}"


def arm_rate_choice(grid_final: pd.DataFrame, tie: float = 0.0005) -> dict[str, float]:
    """Per activation, the rate of the optimizer grid with the highest mean validation accuracy
    (at each run's best validation loss); a tie within ``tie`` goes to the smaller rate (the
    claims file's protocol wang2020.activation.optimizer_sensitivity)."""
    activations = grid_final["model_kwargs"].map(lambda k: json.loads(k)["activation"])
    chosen = {}
    for activation, rows in grid_final.groupby(activations, sort=False):
        by_rate = rows.groupby("learning_rate")["val_accuracy"].mean().sort_index()
        chosen[activation] = float(by_rate[by_rate >= by_rate.max() - tie].index[0])
    return chosen


def learning_rate_study(params: Parameters) -> list[RunSet]:
    """Chapter 4: LeNet-5 per activation and learning rate, a fixed short budget (the claims
    are about speed and oscillation, not about final accuracy)."""
    configs = [lenet5_config(a, rate, f"{a} lr={rate:g}", optimizer=params.optimizer, batch_size=params.batch_size,
                             epochs=params.epochs, evals_per_epoch=params.evals_per_epoch, train_size=params.train_size)
               for a in params.activations for rate in params.learning_rates]
    return [declare("04_learning_rate_study", configs, params.seeds, params.train_size, params.eval_size)]


def dropout_choice(activation_final: pd.DataFrame, rate_final: pd.DataFrame) -> tuple[str, float]:
    """The activation with the best mean validation accuracy in chapter 3, at its best rate
    in chapter 4 (chapter 4's best overall if it did not try that activation). The rate is
    chosen among Wang's four (``wang2020.lr.values``) where chapter 4 ran any of them: the rates
    beyond them test "too large a rate oscillates", they are not candidates for the tuned model."""
    best_activation = activation_final.groupby("config")["val_accuracy"].mean().idxmax()
    papers = claims.values("wang2020.lr.values")
    papers_rates = rate_final["learning_rate"].map(lambda r: any(abs(r - p) < 1e-12 for p in papers))
    if papers_rates.any():
        rate_final = rate_final[papers_rates]
    kwargs = rate_final["model_kwargs"].map(lambda k: json.loads(k)["activation"])
    candidates = rate_final[kwargs == best_activation]
    if candidates.empty:
        candidates = rate_final
    by_rate = candidates.groupby([kwargs[candidates.index], "learning_rate"])["val_accuracy"].mean()
    activation, rate = by_rate.idxmax()
    return activation, float(rate)


def dropout(params: Parameters, chosen_activation: str, chosen_learning_rate: float) -> list[RunSet]:
    """Chapter 5: the traditional LeNet-5, the chosen activation and rate (``dropout_choice``) without and with
    Dropout before the output layer, all trained to convergence (capped); and the traditional
    and improved models again with each of ``init_seeds`` as the seed of the initial weights,
    the data always in the order of the first of ``seeds`` (the initialisation alone varies)."""
    common = dict(optimizer=params.optimizer, batch_size=params.batch_size, epochs=params.max_epochs,
                  evals_per_epoch=params.evals_per_epoch, patience_epochs=params.patience_epochs,
                  train_size=params.train_size)
    configs = [
        lenet5_config(params.baseline_activation, params.baseline_learning_rate,
                      f"traditional LeNet-5 ({params.baseline_activation})", **common),
        lenet5_config(chosen_activation, chosen_learning_rate, f"{chosen_activation}, no dropout", **common),
        lenet5_config(chosen_activation, chosen_learning_rate, f"{chosen_activation} + dropout (improved)",
                      dropout_rate=models.dropout_rate_from_keep_prob(params.keep_prob), **common),
    ]
    sets = [declare("05_dropout", configs, params.seeds, params.train_size, params.eval_size)]
    if params.init_seeds:
        data_seed = check_seeds(params.seeds)[0]
        # init_seed equal to the data seed is the run above: left at None, it is that stored run.
        varied = [replace(c, label=initialisation_label(c.label, s), init_seed=None if s == data_seed else s)
                  for c in (configs[0], configs[2]) for s in check_seeds(params.init_seeds)]
        sets.append(declare("05_dropout_initialisation", varied, [data_seed], params.train_size, params.eval_size))
    return sets


def initialisation_label(label: str, init_seed: int) -> str:
    """How a run of chapter 5's initialisation-only runs is named: "<model>, init 3"."""
    return f"{label}, init {init_seed}"


def sensitivity_config(full: TrainConfig, point: dict) -> TrainConfig:
    """The full model with one grid point of the declared protocol for Liu & Fu's unstated
    choices (claims file ``protocols:``): ``{name, learning_rate, schedule[, warmup_fraction]}``."""
    unknown = sorted(set(point) - {"name", "learning_rate", "schedule", "warmup_fraction"})
    if unknown or "name" not in point or "learning_rate" not in point:
        listed = f"; unknown {', '.join(unknown)}" if unknown else ""
        raise TrainConfigError(f"sensitivity point {point!r}: needs name and learning_rate "
                               f"(and may give schedule, warmup_fraction){listed}")
    schedule = point.get("schedule", "constant")
    warmup = int(round(point.get("warmup_fraction", 0.0) * full.steps)) if schedule == "cosine" else 0
    return replace(full, learning_rate=float(point["learning_rate"]), schedule=schedule, warmup_steps=warmup,
                   label=sensitivity_label(point["name"]))


def sensitivity_label(name: str) -> str:
    """The configuration label of a grid point's runs."""
    return f"improved CNN, {name}"


def sensitivity_choice(sensitivity_final: pd.DataFrame, sensitivity: list[dict], tie: float = 0.0005) -> str:
    """The grid point the declared protocol chooses (claims file ``protocols:``
    ``liu_fu.cnn.unstated_choices``): the highest mean validation accuracy over the point's
    seeds; points within ``tie`` of the best go to the earliest in ``sensitivity``'s order.
    ``sensitivity_final`` holds the final rows of ``06_improved_cnn_sensitivity``."""
    means = sensitivity_final.groupby("config")["val_accuracy"].mean()
    by_point = {p["name"]: means.get(sensitivity_label(p["name"])) for p in sensitivity}
    ran = {name: m for name, m in by_point.items() if m is not None and not np.isnan(m)}
    if not ran:
        raise TrainConfigError("sensitivity: no grid point has stored runs to choose from")
    best = max(ran.values())
    return next(name for name, m in ran.items() if m >= best - tie)


def improved_cnn(params: Parameters) -> list[RunSet]:
    """Chapter 6: Liu & Fu's CNN at ``steps`` iterations (tested every ``test_every`` steps
    for the accuracy-against-budget curve), each ablation beside the full model at
    ``ablation_steps`` on ``ablation_seeds``, the full model at each ``sensitivity`` grid
    point (``sensitivity_config``) on ``sensitivity_seeds``, and the grid point named
    ``final_configuration`` (the validation split's choice; "" for none) trained on all
    60,000 training images with ``final_seeds``, as Liu & Fu's Table 2; on ``flax_seeds``, the tutorial
    set-up again in Flax, and with the batch norms' momentum at ``flax_bn_momentum`` (None: not
    run); on ``flax_final_seeds``, the chosen schedule again in Flax."""
    unknown = sorted(set(params.ablations) - set(CNN_ABLATIONS))
    if unknown:
        raise TrainConfigError(f"ablations={unknown}: unknown (known: {', '.join(CNN_ABLATIONS)})")
    full_kwargs = {"widths": list(params.widths), "dropout_rate": models.dropout_rate_from_keep_prob(params.keep_prob)}

    def cnn(label, budget, test_every=None, **changes):
        return TrainConfig("liu_fu_cnn", {**full_kwargs, **changes}, "adam", params.learning_rate, params.batch_size,
                           steps=budget, eval_every=params.eval_every, test_every=test_every, label=label)

    full = cnn("improved CNN", params.steps, params.test_every)
    # In the order a time-boxed machine should train them: the grid and the final five decide the
    # headline verdict, the ablations test the smaller claims.
    sets = [declare("06_improved_cnn", [full], params.seeds, params.train_size, params.eval_size)]
    if params.sensitivity:
        grid = [sensitivity_config(full, p) for p in params.sensitivity]
        sets.append(declare("06_improved_cnn_sensitivity", grid, params.sensitivity_seeds, params.train_size,
                            params.eval_size))
    if params.final_configuration and params.sensitivity:   # without a grid there is no choice to train
        points = {p["name"]: p for p in params.sensitivity}   # each checked by sensitivity_config above
        if params.final_configuration not in points:
            raise TrainConfigError(f"final_configuration={params.final_configuration!r}: not a sensitivity point "
                                   f"(declared: {', '.join(map(str, points)) or 'none'})")
        final = sensitivity_config(full, points[params.final_configuration])
        sets.append(declare("06_improved_cnn_final_five", [replace(final, label=f"{final.label}, all training images")],
                         params.final_seeds, params.train_size, params.eval_size, all_training_images=True))
    if params.flax_seeds:   # the second implementation: the tutorial set-up and the momentum ablation
        sets.append(declare("06_improved_cnn_flax", [full], params.flax_seeds, params.train_size, params.eval_size,
                            framework="flax"))
        if params.flax_bn_momentum is not None:
            momentum = replace(full, label=f"{full.label}, batch-norm momentum {params.flax_bn_momentum:g}")
            sets.append(declare("06_improved_cnn_flax_bn_momentum", [momentum], params.flax_seeds, params.train_size,
                                params.eval_size, framework="flax", options={"bn_momentum": params.flax_bn_momentum}))
    if params.flax_final_seeds and params.final_configuration and params.sensitivity:   # the chosen schedule
        [final_config] = sets[[s.name for s in sets].index("06_improved_cnn_final_five")].configs
        sets.append(declare("06_improved_cnn_final_five_flax", [final_config], params.flax_final_seeds,
                            params.train_size, params.eval_size, all_training_images=True, framework="flax"))
    if params.ablations:
        # Adam at a constant rate makes a shorter run the prefix of a longer one with the same seed,
        # so the full model's trainings, cut at ablation_steps, are the ablations' reference
        # whenever they hold those seeds and were tested at that step: nothing is trained twice.
        budget = params.ablation_steps
        prefix = (budget <= params.steps and set(params.ablation_seeds) <= set(params.seeds)
                  and budget % params.eval_every == 0 and bool(params.test_every) and budget % params.test_every == 0)
        reference = full if prefix else cnn("improved CNN", budget)
        configs = [reference] + [cnn(a, budget, **CNN_ABLATIONS[a]) for a in params.ablations]
        sets.append(declare("06_improved_cnn_ablation", configs, params.ablation_seeds, params.train_size,
                            params.eval_size, cut_at=budget if prefix else 0))
    return sets


# Chapter 9's standard ingredients, each a change to the chapter-6 set-up; ``recipe`` adds them all.
INGREDIENTS = ("schedule", "augmentation", "label_smoothing")


def _with_ingredient(config: TrainConfig, name: str, *, peak_learning_rate, warmup_fraction, label_smoothing,
                     shift, rotate) -> TrainConfig:

    if name == "schedule":   # cosine decay to 0 after a linear warm-up, at a higher peak rate
        return replace(config, schedule="cosine", learning_rate=float(peak_learning_rate),
                       warmup_steps=int(round(warmup_fraction * config.steps)))
    if name == "augmentation":   # random shifts and rotations of every batch, drawn on the fly
        return replace(config, augment={"shift": float(shift), "rotate": float(rotate)})
    if name == "label_smoothing":
        return replace(config, label_smoothing=float(label_smoothing))
    raise TrainConfigError(f"ingredients: unknown {name!r} (known: {', '.join(INGREDIENTS)})")


def beyond_the_papers(params: Parameters) -> list[RunSet]:
    """Chapter 9: chapter 6's set-up at ``steps`` iterations, each ingredient added alone (on
    ``ingredient_seeds``) and all of them together (the recipe, on ``seeds``); and chapter 6's
    own trainings of ``reference_steps`` iterations (0: none), which are also the baseline,
    cut at ``steps``, when they were tested there."""
    unknown = [i for i in params.ingredients if i not in INGREDIENTS]
    if unknown or not params.ingredients:
        raise TrainConfigError(f"ingredients={list(params.ingredients)!r}: name one or more of "
                               f"{', '.join(INGREDIENTS)}")
    if not isinstance(params.warmup_fraction, (int, float)) or not 0 <= params.warmup_fraction < 1:
        raise TrainConfigError(f"warmup_fraction={params.warmup_fraction!r}: must be a number in [0, 1)")
    if params.reference_steps < 0:
        raise TrainConfigError(f"reference_steps={params.reference_steps!r}: must be an integer >= 0 (0 = no reference)")
    kwargs = {"widths": list(params.widths), "dropout_rate": models.dropout_rate_from_keep_prob(params.keep_prob)}

    def setup(label, budget, test_every=None):
        return TrainConfig("liu_fu_cnn", kwargs, "adam", params.learning_rate, params.batch_size, steps=budget,
                           eval_every=params.eval_every, test_every=test_every, label=label)

    steps, reference_steps, reference_test_every = params.steps, params.reference_steps, params.reference_test_every
    chapter6 = setup("the tutorial set-up", reference_steps, reference_test_every) if reference_steps else None
    # As in chapter 6's ablations: at a constant rate a shorter run is the prefix of a longer one.
    prefix = (chapter6 is not None and steps <= reference_steps and bool(reference_test_every)
              and steps % reference_test_every == 0 and steps % params.eval_every == 0)
    baseline = chapter6 if prefix else setup("the tutorial set-up", steps)
    values = dict(peak_learning_rate=params.peak_learning_rate, warmup_fraction=params.warmup_fraction,
                  label_smoothing=params.label_smoothing, shift=params.shift, rotate=params.rotate)
    alone = [_with_ingredient(setup(f"+ {name.replace('_', ' ')}", steps), name, **values) for name in params.ingredients]
    recipe = setup("recipe: " + " + ".join(i.replace("_", " ") for i in params.ingredients), steps)
    for name in params.ingredients:
        recipe = _with_ingredient(recipe, name, **values)
    cut_at = steps if prefix else 0
    sets = [declare("09_beyond_the_papers_ingredients", [baseline, *alone], params.ingredient_seeds,
                    params.train_size, params.eval_size, cut_at),
            declare("09_beyond_the_papers_recipe", [baseline, recipe], params.seeds, params.train_size,
                    params.eval_size, cut_at)]
    if chapter6 is not None:
        sets.append(declare("09_beyond_the_papers_chapter6", [chapter6], params.seeds, params.train_size, params.eval_size))
    return sets


TRAINING_CHAPTERS = {
    "02_softmax_baseline": softmax_baseline,
    "03_activation_study": activation_study,
    "04_learning_rate_study": learning_rate_study,
    "05_dropout": dropout,
    "06_improved_cnn": improved_cnn,
    "09_beyond_the_papers": beyond_the_papers,
}


def run_sets(params: Parameters, trained: dict) -> list[RunSet]:
    """The run sets of ``params``' chapter; chapter 5 chooses its setting from the final rows of
    chapters 3 and 4 (``trained``: chapter -> table)."""
    if params.chapter == "05_dropout":
        return dropout(params, *dropout_choice(final_rows(trained["03_activation_study"]),
                                               final_rows(trained["04_learning_rate_study"])))
    return TRAINING_CHAPTERS[params.chapter](params)


def all_run_sets(profile: str) -> list[RunSet]:
    """Every run set of the training chapters of ``profile``, chapter 5's chosen from the
    results files chapters 3 and 4 wrote (skipped when they are missing)."""

    tables = {}
    for name in ("03_activation_study", "04_learning_rate_study"):
        try:
            tables[name] = read(paths.find_results(profile, name))
        except FileNotFoundError:
            pass
    sets = []
    for name in TRAINING_CHAPTERS:
        if name == "05_dropout" and len(tables) < 2:
            continue
        sets += run_sets(chapter_parameters(name, profile), tables)
    return sets


def images_per_run(config: TrainConfig, train_size: int = 0) -> int:
    """Training images of one run of ``config`` at its full budget (early stopping may end it sooner)."""
    return step_budget(config, _n_train(train_size))[0] * config.batch_size


def training_images(run_sets) -> int:
    """Training images of the distinct runs of ``run_sets``: a run that two sets share (chapter 6's
    ablation reference is its full trainings) is trained, and counted, once."""

    runs = {(json.dumps(config_columns(c), sort_keys=True, default=str), seed, run_set.train_size): c
            for run_set in run_sets for c in run_set.configs for seed in run_set.seeds}
    return sum(images_per_run(c, train_size) for (_, _, train_size), c in runs.items())


