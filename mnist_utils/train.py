"""Seeded, deterministic training that returns a tidy table, one run at a time.

One row per evaluation: run id, configuration, seed, step, epoch, train and
validation loss/accuracy, wall time, images/s. The test set is evaluated once,
after the last step, and reported in the final row only.

This module and ``models``/``data`` are the code whose digest keys the run store:
only what changes a run's numbers belongs here. Chapters call ``runs.train_many``,
which takes every run it can from the store and calls ``train`` for the others.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import models
from .data import MNIST, Split

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")


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
    label: str = ""                  # how the run is named in tables and plots

    def validate(self) -> "TrainConfig":
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
        if self.eval_every is not None:
            positive_int("eval_every", self.eval_every)
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


def seed_everything(seed: int) -> None:
    """Python, NumPy and TF seeds, and deterministic TF kernels."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    # Each run builds a new model, so Keras retraces its train function; TF warns about
    # that on its Python logger, which would clutter every chapter. Errors still show.
    tf.get_logger().setLevel("ERROR")


def _batches(split: Split, batch_size: int, seed: int):
    """An endless, seeded reshuffle of the training split, gathered from memory.

    Shuffling indices (not images) keeps the shuffle buffer tiny; the images stay one
    float32 tensor in memory and each batch is a gather.
    """
    import tensorflow as tf

    images, labels = tf.constant(split.images), tf.constant(split.labels)
    return (tf.data.Dataset.range(len(split))
            .shuffle(len(split), seed=seed, reshuffle_each_iteration=True)
            .repeat()
            .batch(batch_size, drop_remainder=True)
            .map(lambda idx: (tf.gather(images, idx), tf.gather(labels, idx)))
            .prefetch(tf.data.AUTOTUNE))


def _eval_set(split: Split, batch_size: int = 1000):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((split.images, split.labels)).batch(batch_size).cache()


class _Recorder:
    """Collects one row per evaluation and prints a progress line now and then."""

    def __init__(self, run_id: str, total_steps: int, eval_every: int, batch_size: int, n_train: int):
        import keras

        recorder = self

        class Callback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                recorder.started = recorder.last = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                recorder.record(epoch, logs or {})

        self.callback = Callback()
        self.run_id, self.total, self.every = run_id, total_steps, eval_every
        self.batch_size, self.n_train = batch_size, n_train
        self.rows: list[dict] = []
        self.next_report = 0.0

    def record(self, interval: int, logs: dict) -> None:
        now = time.perf_counter()
        step = (interval + 1) * self.every
        self.rows.append({
            "step": step,
            "epoch": step * self.batch_size / self.n_train,
            "train_loss": logs.get("loss"), "train_accuracy": logs.get("accuracy"),
            "val_loss": logs.get("val_loss"), "val_accuracy": logs.get("val_accuracy"),
            "wall_seconds": now - self.started,
            # Throughput of the interval, evaluation included (it is part of the cost).
            "images_per_second": self.every * self.batch_size / max(now - self.last, 1e-9),
        })
        self.last = now
        if step / self.total >= self.next_report or step == self.total:
            print(f"  {self.run_id}: step {step}/{self.total}  val_acc {logs.get('val_accuracy', float('nan')):.4f}"
                  f"  {now - self.started:.0f} s", flush=True)
            self.next_report = step / self.total + 0.25


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
    fields = asdict(config.validate())
    fields.pop("label")  # a name in tables, not part of the run
    return {**fields, "seed": check_seeds([seed])[0],
            "n_train": len(mnist.train.head(train_size)),
            "n_validation": len(mnist.validation.head(eval_size)),
            "n_test": len(mnist.test.head(eval_size)),
            "steps_per_execution": int(steps_per_execution)}


def train(config: TrainConfig, mnist: MNIST, seed: int, *, train_size: int | None = None,
          eval_size: int | None = None, steps_per_execution: int = 32) -> Run:
    """Train one model with one seed; returns its tidy rows (test accuracy in the last row)
    and the arrays chapters draw from the trained model.

    ``train_size``/``eval_size`` cut the splits to their first examples (smoke profile).
    """
    config.validate()
    seed = check_seeds([seed])[0]
    train_split = mnist.train.head(train_size)
    val_split, test_split = mnist.validation.head(eval_size), mnist.test.head(eval_size)
    steps_per_epoch = len(train_split) // config.batch_size
    if steps_per_epoch == 0:
        raise TrainConfigError(f"batch_size={config.batch_size}: larger than the {len(train_split)} training images")
    total = config.steps if config.steps is not None else config.epochs * steps_per_epoch
    every = min(config.eval_every or steps_per_epoch, total)
    if total % every:
        raise TrainConfigError(f"eval_every={every}: must divide the budget of {total} steps")
    intervals = total // every

    started = time.perf_counter()
    model = _compiled_model(config, seed, min(steps_per_execution, every))
    recorder = _Recorder(f"{config.name}/seed{seed}", total, every, config.batch_size, len(train_split))
    # Keras "epochs" are our evaluation intervals: fit runs `every` steps, then validates.
    model.fit(_batches(train_split, config.batch_size, seed), epochs=intervals, steps_per_epoch=every,
              validation_data=_eval_set(val_split), callbacks=[recorder.callback], shuffle=False, verbose=0)
    test_loss, test_accuracy = model.evaluate(_eval_set(test_split), verbose=0)

    rows = pd.DataFrame(recorder.rows)
    rows["test_loss"], rows["test_accuracy"] = np.nan, np.nan
    rows.loc[rows.index[-1], ["test_loss", "test_accuracy"]] = [test_loss, test_accuracy]
    return Run(rows, _artifacts(model, config, test_split), time.perf_counter() - started)


def _artifacts(model, config: TrainConfig, test_split: Split) -> dict[str, np.ndarray]:
    """What chapters draw from a trained model, so that presenting a run never needs the
    model again: the predicted class of every test image (confusion matrices, misclassified
    digits) and the weights of the layers ``models.STORED_LAYERS`` names (weight images)."""
    logits = model.predict(test_split.images, batch_size=1000, verbose=0)
    arrays = {"test_predictions": logits.argmax(axis=1).astype(np.uint8)}
    for layer in models.STORED_LAYERS.get(config.model, ()):
        for i, weights in enumerate(model.get_layer(layer).get_weights()):
            arrays[f"weights/{layer}/{i}"] = np.asarray(weights)
    return arrays


def _compiled_model(config: TrainConfig, seed: int, steps_per_execution: int):
    """A freshly seeded, compiled model: the same recipe for training and for timing."""
    import keras

    seed_everything(seed)
    model = models.build(config.model, **config.model_kwargs)
    model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], steps_per_execution=steps_per_execution)
    return model


def throughput(config: TrainConfig, mnist: MNIST, steps: int = 100, warmup: int = 20, seed: int = 0,
               steps_per_execution: int = 32) -> float:
    """Training images per second of ``config`` on this machine, after ``warmup`` steps
    (tracing and memory allocation are not part of the steady state)."""
    config.validate()
    model = _compiled_model(config, seed, min(steps_per_execution, warmup, steps))
    batches = _batches(mnist.train, config.batch_size, seed)
    model.fit(batches, epochs=1, steps_per_epoch=warmup, shuffle=False, verbose=0)
    started = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    return steps * config.batch_size / (time.perf_counter() - started)


def config_columns(config: TrainConfig) -> dict:
    """The configuration as table columns (model arguments as one JSON string)."""
    fields = asdict(config)
    kwargs = fields.pop("model_kwargs")
    fields.pop("label")
    return {**fields, "model_kwargs": json.dumps(kwargs, sort_keys=True)}
