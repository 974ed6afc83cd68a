"""One training step of the Flax models (``flax_models``) with optax: the update a Flax trainer
repeats. The loss is the cross-entropy of the logits against the integer labels, as the Keras
trainer's; the optimizers are the book's four, written with optax's own defaults."""
from __future__ import annotations

import jax
import optax
from flax import nnx

from .flax_models import ModelConfigError

# The book's optimizers (train.OPTIMIZERS), from optax: SGD with momentum uses 0.9, as the Keras set-up.
OPTIMIZERS = {"sgd": lambda rate: optax.sgd(rate), "momentum": lambda rate: optax.sgd(rate, momentum=0.9),
              "adam": lambda rate: optax.adam(rate), "rmsprop": lambda rate: optax.rmsprop(rate)}


def optimizer(model: nnx.Module, name: str, learning_rate: float) -> nnx.Optimizer:
    """``name``'s optimizer at ``learning_rate`` over the model's trainable parameters."""
    if name not in OPTIMIZERS:
        raise ModelConfigError(f"optimizer={name!r}: must be one of {', '.join(OPTIMIZERS)}")
    if not isinstance(learning_rate, float) or not learning_rate > 0:
        raise ModelConfigError(f"learning_rate={learning_rate!r}: must be a positive number")
    return nnx.Optimizer(model, OPTIMIZERS[name](learning_rate), wrt=nnx.Param)


def cross_entropy(model: nnx.Module, images: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy of the model's logits against the integer labels."""
    return optax.softmax_cross_entropy_with_integer_labels(model(images), labels).mean()


@nnx.jit
def train_step(model: nnx.Module, optimizer: nnx.Optimizer, images: jax.Array, labels: jax.Array) -> jax.Array:
    """One update on a batch, in training mode (dropout drawn, batch norm on the batch's
    statistics, its moving averages updated); returns the batch's loss before the update."""
    loss, grads = nnx.value_and_grad(cross_entropy)(model, images, labels)
    optimizer.update(model, grads)
    return loss
