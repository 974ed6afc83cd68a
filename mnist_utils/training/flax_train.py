"""The Flax trainer: the second implementation's training, beside ``train.train``.

It shares with the Keras trainer what defines a run, not how a run computes: the configuration
(``train.TrainConfig``), the order in which a seed presents the training images
(``backend.shuffled_order``), the step budget and evaluation schedule (``train.step_budget``),
early stopping (patience counted in evaluations, not before ``min_steps``, the best weights kept)
and the rows and arrays it returns (``train.Run``), so that the run store and every table read a
Flax run as they read a Keras one. The model (``flax_models``), the loss, the optimizer (optax)
and the update step are Flax's and optax's own, with their defaults.
"""
from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd
from flax import nnx

from . import backend, flax_models
from .data import MNIST, Split
from .flax_models import ModelConfigError
from .train import Run, TrainConfig, TrainConfigError, check_seeds, step_budget

FRAMEWORK = "flax"    # what the run store keys a Flax run by, where a Keras run has its backend

# The book's optimizers (train.OPTIMIZERS), from optax: SGD with momentum uses 0.9, as the Keras set-up.
OPTIMIZERS = {"sgd": lambda rate: optax.sgd(rate), "momentum": lambda rate: optax.sgd(rate, momentum=0.9),
              "adam": lambda rate: optax.adam(rate), "rmsprop": lambda rate: optax.rmsprop(rate)}
STORED_LAYERS = {"softmax": ("logits",)}          # as models.STORED_LAYERS: kernel, then bias
STORED_PROBABILITIES = ("liu_fu_cnn",)            # as models.STORED_PROBABILITIES
EVALUATION_BATCH = 1000


def optimizer(model: nnx.Module, name: str, learning_rate) -> nnx.Optimizer:
    """``name``'s optimizer at ``learning_rate`` (a number or an optax schedule) over the model's
    trainable parameters."""
    if name not in OPTIMIZERS:
        raise ModelConfigError(f"optimizer={name!r}: must be one of {', '.join(OPTIMIZERS)}")
    if not callable(learning_rate) and (not isinstance(learning_rate, float) or not learning_rate > 0):
        raise ModelConfigError(f"learning_rate={learning_rate!r}: must be a positive number")
    return nnx.Optimizer(model, OPTIMIZERS[name](learning_rate), wrt=nnx.Param)


def learning_rate(config: TrainConfig, total_steps: int):
    """The configuration's rate: constant, or a cosine decay to 0 over the budget after a linear
    warm-up from 0 (the Keras trainer's ``CosineDecay`` with ``warmup_target``)."""
    if config.schedule == "constant":
        return float(config.learning_rate)
    warmup = min(config.warmup_steps, total_steps - 1)
    if warmup:
        return optax.warmup_cosine_decay_schedule(0.0, float(config.learning_rate), warmup, total_steps, end_value=0.0)
    return optax.cosine_decay_schedule(float(config.learning_rate), total_steps)


def model_kwargs(config: TrainConfig, bn_momentum: float | None = None) -> dict:
    """The Flax builder's arguments for a configuration written for the Keras builders (``None``
    as "no dropout"; ``bn_momentum``: the moving statistics' momentum, Flax's own 0.99 if None)."""
    kwargs = dict(config.model_kwargs)
    if config.model == "lenet5" and kwargs.pop("pooling", "average") != "average":
        raise TrainConfigError(f"pooling={config.model_kwargs['pooling']!r}: the Flax LeNet-5 pools by average only")
    if "dropout_rate" in kwargs:
        kwargs["dropout_rate"] = float(kwargs["dropout_rate"] or 0.0)
    if "widths" in kwargs:
        kwargs["widths"] = tuple(kwargs["widths"])
    if bn_momentum is not None:
        if config.model != "liu_fu_cnn":
            raise TrainConfigError(f"bn_momentum={bn_momentum!r}: only Liu & Fu's CNN has batch norm")
        kwargs["bn_momentum"] = float(bn_momentum)
    return kwargs


def build(config: TrainConfig, seed: int, bn_momentum: float | None = None) -> nnx.Module:
    """The configuration's Flax model, its weights and dropout stream drawn from ``seed`` (or the
    configuration's ``init_seed``), in training mode."""
    init_seed = seed if config.init_seed is None else config.init_seed
    try:
        model = flax_models.build(config.model, init_seed, **model_kwargs(config, bn_momentum))
    except ModelConfigError as exc:
        raise TrainConfigError(str(exc)) from None
    model.train()
    return model


def loss_and_accuracy(model: nnx.Module, images, labels, label_smoothing: float = 0.0):
    """Mean cross-entropy of the logits against the labels (towards (1 − ε) one-hot + ε uniform
    when smoothed, as the Keras loss) and the batch's accuracy."""
    logits = model(images)
    if label_smoothing:
        targets = optax.smooth_labels(jax.nn.one_hot(labels, logits.shape[-1]), label_smoothing)
        loss = optax.softmax_cross_entropy(logits, targets).mean()
    else:
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
    return loss, (logits.argmax(-1) == labels).mean()


def cross_entropy(model: nnx.Module, images, labels):
    """Mean softmax cross-entropy of the model's logits against the integer labels."""
    return loss_and_accuracy(model, images, labels)[0]


@nnx.jit
def train_step(model: nnx.Module, optimizer: nnx.Optimizer, images, labels):
    """One update on a batch, in training mode (dropout drawn, batch norm on the batch's
    statistics, its moving averages updated); returns the batch's loss before the update."""
    loss, grads = nnx.value_and_grad(cross_entropy)(model, images, labels)
    optimizer.update(model, grads)
    return loss


class _Steps:
    """The jitted computations of one run, over the state of (model, optimizer) as one pytree:
    one update on a batch, and the logits in inference mode. An interval's updates are a Python
    loop of jitted steps: on CPUs, XLA runs a ``lax.scan`` of them about three times slower."""

    def __init__(self, model: nnx.Module, opt: nnx.Optimizer, label_smoothing: float):
        self.graph, self.state = nnx.split((model, opt))

        def one_step(state, images, labels):
            model, opt = nnx.merge(self.graph, state)
            (loss, accuracy), grads = nnx.value_and_grad(loss_and_accuracy, has_aux=True)(
                model, images, labels, label_smoothing)
            opt.update(model, grads)
            return nnx.state((model, opt)), loss, accuracy

        def logits(state, images):
            model, _ = nnx.merge(self.graph, state)
            model.eval()
            return model(images)

        self.step, self.logits = jax.jit(one_step), jax.jit(logits)

    def interval(self, state, images: np.ndarray, labels: np.ndarray, batches: np.ndarray):
        """The updates on ``batches`` (rows of indices into ``images``), in order: the state after
        them, and the mean loss and accuracy of the batches (in training mode, as Keras logs them)."""
        losses, accuracies = [], []
        for idx in batches:
            state, loss, accuracy = self.step(state, images[idx], labels[idx])
            losses.append(loss)
            accuracies.append(accuracy)
        return state, jnp.mean(jnp.stack(losses)), jnp.mean(jnp.stack(accuracies))

    def evaluate(self, state, split: Split, smoothing: float = 0.0) -> tuple[float, float, np.ndarray]:
        """Loss, accuracy and logits of ``split`` in inference mode; the loss is the training
        loss (smoothed when the configuration smooths), as Keras evaluates its compiled loss."""
        logits = np.concatenate([np.asarray(self.logits(state, jnp.asarray(split.images[i:i + EVALUATION_BATCH])))
                                 for i in range(0, len(split), EVALUATION_BATCH)]).astype(np.float64)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        one_hot = np.eye(logits.shape[1])[split.labels]
        targets = one_hot * (1 - smoothing) + smoothing / logits.shape[1]
        loss = float(-(targets * log_probs).sum(axis=1).mean())
        return loss, float((logits.argmax(axis=1) == split.labels).mean()), logits


def train(config: TrainConfig, mnist: MNIST, seed: int, *, train_size: int | None = None,
          eval_size: int | None = None, bn_momentum: float | None = None, **_keras_only) -> Run:
    """Train one Flax model with one seed: ``train.train``'s rows (one per evaluation, the test
    metrics in the final row) and arrays, from Flax's model, loss, optimizer and update.
    ``bn_momentum`` sets the batch norms' momentum (Liu & Fu's CNN only; Flax's 0.99 if None).
    Keras-only arguments (``steps_per_execution``) change nothing here."""
    config.validate()
    if config.augment:
        raise TrainConfigError(f"augment={config.augment!r}: the Flax trainer does not augment")
    seed = check_seeds([seed])[0]
    train_split = mnist.train.head(train_size)
    val_split, test_split = mnist.validation.head(eval_size), mnist.test.head(eval_size)
    total, every = step_budget(config, len(train_split))
    if total % every:
        raise TrainConfigError(f"eval_every={every}: must divide the budget of {total} steps")
    if config.test_every and config.test_every % every:
        raise TrainConfigError(f"test_every={config.test_every}: must be a multiple of the evaluation "
                               f"interval ({every} steps)")

    started = time.perf_counter()
    model = build(config, seed, bn_momentum)
    steps = _Steps(model, optimizer(model, config.optimizer, learning_rate(config, total)), config.label_smoothing)
    order = backend.shuffled_order(len(train_split), total * config.batch_size, seed)
    batches = order.reshape(total, config.batch_size).astype(np.int32)
    images, labels = train_split.images, train_split.labels
    train_eval = train_split.head(len(val_split))
    run_id, state, rows = f"{config.name}/seed{seed}", steps.state, []
    best_loss, best_index, best_state, next_report, last = math.inf, None, None, 0.0, time.perf_counter()
    for interval in range(total // every):
        state, train_loss, train_accuracy = steps.interval(state, images, labels,
                                                           batches[interval * every:(interval + 1) * every])
        step = (interval + 1) * every
        val_loss, val_accuracy, _ = steps.evaluate(state, val_split, config.label_smoothing)
        train_eval_loss, train_eval_accuracy, _ = steps.evaluate(state, train_eval, config.label_smoothing)
        tested = config.test_every and step % config.test_every == 0
        test_loss, test_accuracy, _ = (steps.evaluate(state, test_split, config.label_smoothing) if tested
                                       else (np.nan, np.nan, None))
        now = time.perf_counter()
        rows.append({"step": step, "epoch": step * config.batch_size / len(train_split),
                     "train_loss": float(train_loss), "train_accuracy": float(train_accuracy),
                     "train_eval_loss": train_eval_loss, "train_eval_accuracy": train_eval_accuracy,
                     "val_loss": val_loss, "val_accuracy": val_accuracy,
                     "test_loss": test_loss, "test_accuracy": test_accuracy,
                     "wall_seconds": now - started,
                     "images_per_second": every * config.batch_size / max(now - last, 1e-9)})
        last = now
        if val_loss < best_loss:
            best_loss, best_index, best_state = val_loss, len(rows) - 1, state   # jax arrays are never modified
        elif config.patience and len(rows) - 1 - best_index >= config.patience and step >= (config.min_steps or 0):
            print(f"  {run_id}: stopped at step {step} (best validation loss at step {rows[best_index]['step']})",
                  flush=True)
            break
        if step / total >= next_report or step == total:
            print(f"  {run_id}: step {step}/{total}  val_acc {val_accuracy:.4f}  {now - started:.0f} s (flax)", flush=True)
            next_report = step / total + 0.25
    final = best_index if config.patience else len(rows) - 1
    state = best_state if config.patience else state
    test_loss, test_accuracy, logits = steps.evaluate(state, test_split, config.label_smoothing)

    table = pd.DataFrame(rows)
    table["final"] = table.index == final
    table.loc[final, ["test_loss", "test_accuracy"]] = [test_loss, test_accuracy]
    model, _ = nnx.merge(steps.graph, state)
    return Run(table, _artifacts(model, config, logits), time.perf_counter() - started)


def _artifacts(model: nnx.Module, config: TrainConfig, logits: np.ndarray) -> dict[str, np.ndarray]:
    """What the Keras trainer keeps of a model (``train._artifacts``), from the Flax model: the
    predicted class of every test image, the class probabilities of the models that store
    them, and the kernel and bias of the layers that store them."""
    arrays = {"test_predictions": logits.argmax(axis=1).astype(np.uint8)}
    if config.model in STORED_PROBABILITIES:
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        arrays["test_probabilities"] = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float16)
    for layer in STORED_LAYERS.get(config.model, ()):
        linear = getattr(model, layer)
        arrays[f"weights/{layer}/0"] = np.asarray(linear.kernel[...])
        arrays[f"weights/{layer}/1"] = np.asarray(linear.bias[...])
    return arrays
