"""Seeded, deterministic training that returns a tidy table, one run at a time.

One row per evaluation: run id, configuration, seed, step, epoch, train and
validation loss/accuracy, wall time, images/s. The test set is evaluated once,
after the last step, and reported in the final row only.

This module, ``models``, ``data`` and ``backend`` are the training code whose declared version keys
the run store (``versions``): only what changes a run's numbers belongs here. Chapters call ``runsets.train_many``,
which takes every run it can from the store and calls ``train`` for the others.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from . import backend, models, versions
from .data import MNIST, Split

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
SCHEDULES = ("constant", "cosine")
AUGMENTATIONS = {"shift": (0.0, 0.5), "rotate": (0.0, 180.0)}   # allowed ranges


class TrainConfigError(ValueError):
    """A one-line error naming the training parameter and the offending value."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines one training run except the seed."""

    model: str                       # models.BUILDERS key: softmax, lenet5, ...
    model_kwargs: dict = field(default_factory=dict)
    optimizer: str = "adam"          # sgd | momentum (0.9) | adam | rmsprop
    learning_rate: float = 1e-3
    batch_size: int = 128
    epochs: int | None = None        # budget in epochs ...
    steps: int | None = None         # ... or in iterations (exactly one of the two)
    eval_every: int | None = None    # steps between validation evaluations; None = once per epoch
    patience: int | None = None      # stop after this many evaluations without a lower validation
                                     # loss, keeping the best weights; None = train the whole budget
    test_every: int | None = None    # also test every this many steps (a reported curve; choices
                                     # never look at it); None = test once, at the end
    schedule: str = "constant"       # learning rate: constant | cosine (decay to 0 over the budget)
    warmup_steps: int = 0            # cosine only: linear warm-up from 0 over these steps
    label_smoothing: float = 0.0     # weight of the uniform distribution in the training targets
    augment: dict = field(default_factory=dict)  # on-the-fly {"shift": fraction, "rotate": degrees}
    label: str = ""                  # how the run is named in tables and plots
    init_seed: int | None = None     # seed of the initial weights and dropout's masks; None: the run's
                                     # seed, which always sets the order of the training images
    min_steps: int | None = None     # patience does not stop a run before this step (a run is not
                                     # judged converged on its initial plateau); None: from the start

    def validate(self) -> TrainConfig:
        def positive_int(name, value):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise TrainConfigError(f"{name}={value!r}: must be a positive integer")

        if self.optimizer not in OPTIMIZERS:
            raise TrainConfigError(f"optimizer={self.optimizer!r}: must be one of {', '.join(OPTIMIZERS)}")
        lr = self.learning_rate
        if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not math.isfinite(lr) or lr <= 0:
            raise TrainConfigError(f"learning_rate={lr!r}: must be a finite number > 0")
        positive_int("batch_size", self.batch_size)
        if (self.epochs is None) == (self.steps is None):
            raise TrainConfigError(f"epochs={self.epochs!r}, steps={self.steps!r}: give exactly one budget")
        if self.epochs is not None:
            positive_int("epochs", self.epochs)
        if self.steps is not None:
            positive_int("steps", self.steps)
        for name in ("eval_every", "patience", "test_every", "min_steps"):
            if getattr(self, name) is not None:
                positive_int(name, getattr(self, name))
        if self.min_steps is not None and self.patience is None:
            raise TrainConfigError(f"min_steps={self.min_steps!r}: needs patience (without early stopping every "
                                   "run trains its whole budget)")
        if self.schedule not in SCHEDULES:
            raise TrainConfigError(f"schedule={self.schedule!r}: must be one of {', '.join(SCHEDULES)}")
        if not isinstance(self.warmup_steps, (int, np.integer)) or isinstance(self.warmup_steps, bool) \
                or self.warmup_steps < 0 or (self.warmup_steps and self.schedule != "cosine"):
            raise TrainConfigError(f"warmup_steps={self.warmup_steps!r}: a non-negative integer, "
                                   "and 0 unless schedule='cosine'")
        eps = self.label_smoothing
        if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not 0.0 <= eps < 1.0:
            raise TrainConfigError(f"label_smoothing={eps!r}: must be a number in [0, 1)")
        if not isinstance(self.augment, dict):
            raise TrainConfigError(f"augment={self.augment!r}: must be a dict like {{'shift': 0.1, 'rotate': 10}}")
        for key, value in self.augment.items():
            low, high = AUGMENTATIONS.get(key, (None, None))
            if low is None:
                raise TrainConfigError(f"augment={self.augment!r}: unknown key {key!r} (known: {', '.join(AUGMENTATIONS)})")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
                raise TrainConfigError(f"augment[{key!r}]={value!r}: must be a number in [{low:g}, {high:g}]")
        seed = self.init_seed
        if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0):
            raise TrainConfigError(f"init_seed={seed!r}: must be None (the run's seed) or an integer >= 0")
        models.build(self.model, **self.model_kwargs)  # raises ModelConfigError on bad kwargs
        return self

    @property
    def name(self) -> str:
        return self.label or self.model


def check_seeds(seeds) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = [seeds]
    if not isinstance(seeds, (list, tuple)) or not seeds:
        raise TrainConfigError(f"seeds={seeds!r}: must be a non-empty list of integers")
    for seed in seeds:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise TrainConfigError(f"seeds={seeds!r}: {seed!r} is not a non-negative integer")
    if len(set(seeds)) != len(seeds):
        raise TrainConfigError(f"seeds={seeds!r}: contains duplicates")
    return [int(s) for s in seeds]


def make_optimizer(name: str, learning_rate: float):
    import keras

    return {
        "sgd": lambda: keras.optimizers.SGD(learning_rate),
        "momentum": lambda: keras.optimizers.SGD(learning_rate, momentum=0.9),
        "adam": lambda: keras.optimizers.Adam(learning_rate),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate),
    }[name]()


def _evaluate(model, split: Split) -> tuple[float, float]:
    """Loss and accuracy of ``model`` in inference mode (dropout off, batch-norm statistics)."""
    loss, accuracy = model.evaluate(split.images, split.labels, batch_size=1000, verbose=0)
    return float(loss), float(accuracy)


class _Recorder:
    """Evaluates the model every ``eval_every`` steps, one row each, prints a progress line
    now and then, and stops early (keeping the best weights) when ``patience`` is set."""

    def __init__(self, config: TrainConfig, run_id: str, total_steps: int, every: int, n_train: int,
                 splits: dict[str, Split]):
        import keras

        recorder = self

        class Callback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                recorder.started = recorder.last = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                recorder.record(self.model, epoch, logs or {})

        self.callback = Callback()
        self.config, self.run_id, self.total, self.every, self.n_train = config, run_id, total_steps, every, n_train
        self.splits = splits
        self.rows: list[dict] = []
        self.next_report = 0.0
        self.best_loss, self.best_index, self.best_weights = math.inf, None, None

    def record(self, model, interval: int, logs: dict) -> None:
        step = (interval + 1) * self.every
        val_loss, val_accuracy = _evaluate(model, self.splits["validation"])
        # The training loss in inference mode on training images, comparable with the
        # validation loss (the running ``train_loss`` is measured with dropout on).
        train_eval_loss, train_eval_accuracy = _evaluate(model, self.splits["train_eval"])
        test_every = self.config.test_every
        test = _evaluate(model, self.splits["test"]) if test_every and step % test_every == 0 else (np.nan, np.nan)
        now = time.perf_counter()
        self.rows.append({
            "step": step,
            "epoch": step * self.config.batch_size / self.n_train,
            "train_loss": logs.get("loss"), "train_accuracy": logs.get("accuracy"),
            "train_eval_loss": train_eval_loss, "train_eval_accuracy": train_eval_accuracy,
            "val_loss": val_loss, "val_accuracy": val_accuracy,
            "test_loss": test[0], "test_accuracy": test[1],
            "wall_seconds": now - self.started,
            # Throughput of the interval, evaluation included (it is part of the cost).
            "images_per_second": self.every * self.config.batch_size / max(now - self.last, 1e-9),
        })
        self.last = now
        if val_loss < self.best_loss:
            self.best_loss, self.best_index = val_loss, len(self.rows) - 1
            if self.config.patience:
                self.best_weights = model.get_weights()
        elif self.config.patience and len(self.rows) - 1 - self.best_index >= self.config.patience \
                and step >= (self.config.min_steps or 0):
            model.stop_training = True
            print(f"  {self.run_id}: stopped at step {step} (best validation loss at step "
                  f"{self.rows[self.best_index]['step']})", flush=True)
        if step / self.total >= self.next_report or step == self.total:
            print(f"  {self.run_id}: step {step}/{self.total}  val_acc {val_accuracy:.4f}"
                  f"  {now - self.started:.0f} s", flush=True)
            self.next_report = step / self.total + 0.25

    def final_index(self, model) -> int:
        """The row whose weights the model holds now: the best one under early stopping."""
        if self.config.patience and self.best_weights is not None:
            model.set_weights(self.best_weights)
            return self.best_index
        return len(self.rows) - 1


@dataclass
class Run:
    """One finished training: what the run store keeps of it (the model itself is not kept)."""

    rows: pd.DataFrame               # one row per evaluation; test metrics in the last row
    arrays: dict[str, np.ndarray]    # what chapters draw from the trained model (see ``_artifacts``)
    wall_seconds: float


def run_spec(config: TrainConfig, seed: int, mnist: MNIST, *, train_size: int | None = None,
             eval_size: int | None = None, steps_per_execution: int = 32) -> dict:
    """Everything of one run that can change its numbers, except the code and the data
    fingerprint that the run store adds: the run store's key is a digest of this."""
    fields = _without_added_defaults(asdict(config.validate()))
    fields.pop("label")  # a name in tables, not part of the run
    return {**fields, "seed": check_seeds([seed])[0],
            "n_train": len(mnist.train.head(train_size)),
            "n_validation": len(mnist.validation.head(eval_size)),
            "n_test": len(mnist.test.head(eval_size)),
            "steps_per_execution": int(steps_per_execution)}


def _without_added_defaults(fields: dict) -> dict:
    """``fields`` less those added to the spec after runs were stored, while they have the default
    that reproduces the code before them: the runs that do not use them keep their keys."""
    added = versions.added_fields()
    return {k: v for k, v in fields.items() if not (k in added and v == added[k])}


def step_budget(config: TrainConfig, n_train: int) -> tuple[int, int]:
    """The steps a run of ``config`` takes on ``n_train`` training images (its ``steps``, or its
    epochs of whole batches) and the steps between its evaluations (an epoch unless set)."""
    steps_per_epoch = n_train // config.batch_size
    if steps_per_epoch == 0:
        raise TrainConfigError(f"batch_size={config.batch_size}: larger than the {n_train} training images")
    total = config.steps if config.steps is not None else config.epochs * steps_per_epoch
    return total, min(config.eval_every or steps_per_epoch, total)


def train(config: TrainConfig, mnist: MNIST, seed: int, *, train_size: int | None = None,
          eval_size: int | None = None, steps_per_execution: int = 32, on_trained=None) -> Run:
    """Train one model with one seed; returns its tidy rows (test accuracy in the last row)
    and the arrays chapters draw from the trained model.

    ``train_size``/``eval_size`` cut the splits to their first examples (smoke profile).
    ``on_trained`` (optional) is called with the trained model, holding the weights it is tested
    with, before its arrays are taken (``weights`` keeps all of them); it changes no number.
    """
    config.validate()
    seed = check_seeds([seed])[0]
    train_split = mnist.train.head(train_size)
    val_split, test_split = mnist.validation.head(eval_size), mnist.test.head(eval_size)
    total, every = step_budget(config, len(train_split))
    if total % every:
        raise TrainConfigError(f"eval_every={every}: must divide the budget of {total} steps")
    intervals = total // every
    if config.test_every and config.test_every % every:
        raise TrainConfigError(f"test_every={config.test_every}: must be a multiple of the evaluation "
                               f"interval ({every} steps)")

    started = time.perf_counter()
    model = compiled_model(config, seed, execution_size(every, steps_per_execution), total)
    splits = {"validation": val_split, "test": test_split,
              "train_eval": train_split.head(len(val_split))}
    recorder = _Recorder(config, f"{config.name}/seed{seed}", total, every, len(train_split), splits)
    order = backend.shuffled_order(len(train_split), total * config.batch_size, seed)
    # Keras "epochs" are our evaluation intervals: fit runs `every` steps, then the recorder evaluates.
    model.fit(backend.training_batches(train_split.images, train_split.labels, order, config.batch_size),
              epochs=intervals, steps_per_epoch=every, callbacks=[recorder.callback], shuffle=False, verbose=0)
    final = recorder.final_index(model)
    test_loss, test_accuracy = _evaluate(model, test_split)

    rows = pd.DataFrame(recorder.rows)
    rows["final"] = rows.index == final   # the row of the weights tested last (best, when stopped early)
    rows.loc[final, ["test_loss", "test_accuracy"]] = [test_loss, test_accuracy]
    if on_trained is not None:
        on_trained(model)
    return Run(rows, _artifacts(model, config, test_split), time.perf_counter() - started)


def _artifacts(model, config: TrainConfig, test_split: Split) -> dict[str, np.ndarray]:
    """What chapters draw from a trained model, so that presenting a run never needs the
    model again: the predicted class of every test image (confusion matrices, misclassified
    digits), the class probabilities of the models ``models.STORED_PROBABILITIES`` names
    (ensembles; float16 keeps the store small) and the weights of the layers
    ``models.STORED_LAYERS`` names (weight images)."""
    logits = np.asarray(model.predict(test_split.images, batch_size=1000, verbose=0), dtype=np.float64)
    arrays = {"test_predictions": logits.argmax(axis=1).astype(np.uint8)}
    if config.model in models.STORED_PROBABILITIES:
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        arrays["test_probabilities"] = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float16)
    base = model.get_layer("base") if config.augment else model
    for layer in models.STORED_LAYERS.get(config.model, ()):
        for i, weights in enumerate(base.get_layer(layer).get_weights()):
            arrays[f"weights/{layer}/{i}"] = np.asarray(weights)
    return arrays


def execution_size(interval: int, limit: int) -> int:
    """Steps per Keras execution: the largest number up to ``limit`` that divides ``interval``.

    Keras runs whole executions, so an execution that straddles an evaluation (or the end of
    the data) trains past it: with 32 steps per execution, an "interval of 500 steps" would
    train 512.
    """
    return max(d for d in range(1, min(limit, interval) + 1) if interval % d == 0)


def _learning_rate(config: TrainConfig, total_steps: int):
    import keras

    if config.schedule == "constant":
        return config.learning_rate
    warmup = min(config.warmup_steps, total_steps - 1)
    return keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else config.learning_rate, decay_steps=total_steps - warmup,
        warmup_target=config.learning_rate if warmup else None, warmup_steps=warmup)


def loss_function(label_smoothing: float):
    """Cross-entropy on logits and integer labels, towards (1 - eps) one-hot + eps uniform."""
    import keras

    if not label_smoothing:
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def smoothed_cross_entropy(labels, logits):
        nll = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        uniform = -keras.ops.mean(keras.ops.log_softmax(logits, axis=-1), axis=-1)
        return (1.0 - label_smoothing) * nll + label_smoothing * uniform

    return smoothed_cross_entropy


def compiled_model(config: TrainConfig, seed: int, steps_per_execution: int, total_steps: int):
    """A freshly seeded, compiled model: the same recipe for training and for timing."""
    backend.seed_everything(seed if config.init_seed is None else config.init_seed)
    model = models.build(config.model, **config.model_kwargs)
    if config.augment:
        model = models.with_augmentation(model, seed=seed, **config.augment)
    model.compile(optimizer=make_optimizer(config.optimizer, _learning_rate(config, total_steps)),
                  loss=loss_function(config.label_smoothing), metrics=["accuracy"],
                  steps_per_execution=steps_per_execution)
    return model


def throughput(config: TrainConfig, mnist: MNIST, steps: int = 100, warmup: int = 20, seed: int = 0,
               steps_per_execution: int = 32) -> float:
    """Training images per second of ``config`` on this machine, after ``warmup`` steps
    (tracing and memory allocation are not part of the steady state)."""
    config.validate()
    model = compiled_model(config, seed, execution_size(math.gcd(warmup, steps), steps_per_execution), warmup + steps)
    order = backend.shuffled_order(len(mnist.train), (warmup + steps) * config.batch_size, seed)
    batches = backend.training_batches(mnist.train.images, mnist.train.labels, order, config.batch_size)
    model.fit(batches, epochs=1, steps_per_epoch=warmup, shuffle=False, verbose=0)
    started = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    return steps * config.batch_size / (time.perf_counter() - started)


def config_columns(config: TrainConfig) -> dict:
    """The configuration as table columns (model arguments and augmentation as JSON strings)."""
    fields = _without_added_defaults(asdict(config))
    fields.pop("label")
    return {**fields, "model_kwargs": json.dumps(fields["model_kwargs"], sort_keys=True),
            "augment": json.dumps(fields["augment"], sort_keys=True)}
