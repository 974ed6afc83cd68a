"""The headline models again, in Flax (NNX): a second implementation beside the Keras one.

Written from the papers and the book's declared choices (widths, the place of dropout, the
pooling), not from ``models.py``: where the papers are silent, these models take Flax's own
defaults (``DIFFERENCES`` lists each one that differs from the Keras set-up). Every model maps
images (batch, 28, 28) in [0, 1] to 10 logits; ``model.train()`` and ``model.eval()`` switch
dropout and batch norm between training and inference.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

ACTIVATIONS = {"sigmoid": nnx.sigmoid, "tanh": nnx.tanh, "relu": nnx.relu, "elu": nnx.elu}

# Where Flax's defaults differ from the Keras models' (what the papers leave open), one line each.
DIFFERENCES = {
    "kernel initialiser": ("Glorot uniform (Keras)", "LeCun normal (Flax)"),
    "batch norm epsilon": ("0.001 (Keras)", "0.00001 (Flax)"),
    "batch norm momentum": ("0.99 (Keras)", "0.99 (Flax); 0.9 is PyTorch's convention, an ablation here"),
    "average pooling padding": ("'valid' (Keras)", "'VALID' (Flax): the same"),
    "random streams": ("Keras seed generator", "nnx.Rngs: 'params' and 'dropout' streams of the run's seed"),
}


class ModelConfigError(ValueError):
    """A one-line error naming the model parameter and the value that is wrong."""


def _activation(name) -> callable:
    if name not in ACTIVATIONS:
        raise ModelConfigError(f"activation={name!r}: must be one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def _rate(rate) -> float:
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0.0 <= rate < 1.0:
        raise ModelConfigError(f"dropout_rate={rate!r}: must be a number in [0, 1)")
    return float(rate)


def _images(images: jax.Array) -> jax.Array:
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ModelConfigError(f"images of shape {tuple(images.shape)}: must be (batch, 28, 28)")
    return images


class SoftmaxRegression(nnx.Module):
    """Liu & Fu §3, after TensorFlow's "MNIST for beginners": y = softmax(W x + b), W and b
    starting at zero as the tutorial starts them."""

    def __init__(self, *, rngs: nnx.Rngs):
        self.logits = nnx.Linear(784, 10, kernel_init=nnx.initializers.zeros, rngs=rngs)

    def __call__(self, images: jax.Array) -> jax.Array:
        images = _images(images)
        return self.logits(images.reshape(images.shape[0], -1))


class LeNet5(nnx.Module):
    """LeNet-5 as Wang et al. use it: C1 6@5×5 on the 28×28 image padded to LeCun's 32×32 field,
    S2 2×2 average pooling, C3 16@5×5, S4 2×2 average pooling, F5 120, F6 84, then (Wang's
    improvement) dropout before the 10 outputs; one activation throughout."""

    def __init__(self, activation: str = "sigmoid", dropout_rate: float = 0.0, *, rngs: nnx.Rngs):
        self.activation = _activation(activation)
        self.c1 = nnx.Conv(1, 6, (5, 5), padding="SAME", rngs=rngs)
        self.c3 = nnx.Conv(6, 16, (5, 5), padding="VALID", rngs=rngs)
        self.f5 = nnx.Linear(16 * 5 * 5, 120, rngs=rngs)
        self.f6 = nnx.Linear(120, 84, rngs=rngs)
        self.dropout = nnx.Dropout(_rate(dropout_rate), rngs=rngs)
        self.output = nnx.Linear(84, 10, rngs=rngs)

    def __call__(self, images: jax.Array) -> jax.Array:
        act = self.activation
        x = _images(images)[..., None]
        x = nnx.avg_pool(act(self.c1(x)), (2, 2), strides=(2, 2))
        x = nnx.avg_pool(act(self.c3(x)), (2, 2), strides=(2, 2))
        x = act(self.f6(act(self.f5(x.reshape(x.shape[0], -1)))))
        return self.output(self.dropout(x))


class LiuFuCNN(nnx.Module):
    """Liu & Fu §4.2's improved CNN: four convolutions (stride 1, 'same' padding), three batch
    norms, three poolings. C1 5×5, factorised into 5×1 then 1×5, → BN → ReLU → 2×2 max pool →
    C2 5×5 → BN → ReLU → C3 7×7 → BN → ReLU → 2×2 max pool → dropout → C4 5×5 to the 10
    classes → 7×7 global pooling (average; ``final_pool='max'`` is an ablation). The widths of
    C1-C3 and the place of the dropout are the book's declared choices (the paper gives
    neither); a convolution followed by batch norm has no bias (batch norm's own replaces it).
    ``batch_norm``, ``factorised`` and ``dropout_rate`` are the ablations' switches;
    ``bn_momentum`` the moving statistics' momentum (Flax's 0.99 by default)."""

    def __init__(self, widths=(32, 64, 64), batch_norm: bool = True, factorised: bool = True,
                 dropout_rate: float = 0.5, final_pool: str = "average", bn_momentum: float = 0.99, *,
                 rngs: nnx.Rngs):
        if (not isinstance(widths, (list, tuple)) or len(widths) != 3
                or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in widths)):
            raise ModelConfigError(f"widths={widths!r}: must be three positive integers (C1, C2, C3)")
        if final_pool not in ("average", "max"):
            raise ModelConfigError(f"final_pool={final_pool!r}: must be average or max")
        if not isinstance(bn_momentum, float) or not 0.0 < bn_momentum < 1.0:
            raise ModelConfigError(f"bn_momentum={bn_momentum!r}: must be a number in (0, 1)")
        c1, c2, c3 = widths
        conv = lambda cin, cout, size: nnx.Conv(cin, cout, size, padding="SAME", use_bias=not batch_norm, rngs=rngs)
        norm = (lambda width: nnx.BatchNorm(width, momentum=bn_momentum, rngs=rngs)) if batch_norm else \
            (lambda width: None)
        self.c1 = nnx.List([conv(1, c1, (5, 1)), conv(c1, c1, (1, 5))] if factorised else [conv(1, c1, (5, 5))])
        self.b1, self.c2, self.b2 = norm(c1), conv(c1, c2, (5, 5)), norm(c2)
        self.c3, self.b3 = conv(c2, c3, (7, 7)), norm(c3)
        self.dropout = nnx.Dropout(_rate(dropout_rate), rngs=rngs)
        self.c4 = nnx.Conv(c3, 10, (5, 5), padding="SAME", rngs=rngs)
        self.final_pool = nnx.avg_pool if final_pool == "average" else nnx.max_pool

    @staticmethod
    def _block(x, convs, norm):
        for conv in convs:
            x = conv(x)
        return nnx.relu(norm(x) if norm is not None else x)

    def __call__(self, images: jax.Array) -> jax.Array:
        x = _images(images)[..., None]
        x = nnx.max_pool(self._block(x, self.c1, self.b1), (2, 2), strides=(2, 2))
        x = self._block(self._block(x, (self.c2,), self.b2), (self.c3,), self.b3)
        x = self.dropout(nnx.max_pool(x, (2, 2), strides=(2, 2)))
        x = self.final_pool(self.c4(x), (7, 7), strides=(7, 7))
        return x.reshape(x.shape[0], 10)


BUILDERS = {"softmax": SoftmaxRegression, "lenet5": LeNet5, "liu_fu_cnn": LiuFuCNN}


def build(name: str, seed: int, **kwargs) -> nnx.Module:
    """The model ``name`` with its keyword arguments, its initial weights and dropout stream
    drawn from ``seed``."""
    if name not in BUILDERS:
        raise ModelConfigError(f"model={name!r}: unknown (known: {', '.join(BUILDERS)})")
    try:
        return BUILDERS[name](**kwargs, rngs=nnx.Rngs(params=seed, dropout=seed + 1))
    except TypeError as exc:
        raise ModelConfigError(f"model={name!r}: {exc}") from None


def parameter_count(model: nnx.Module) -> int:
    """Trainable parameters (batch norm's moving statistics are state, not parameters)."""
    return sum(int(jnp.size(p)) for p in jax.tree.leaves(nnx.state(model, nnx.Param)))
