"""The models of both papers, as Keras functions returning uncompiled models.

Every model outputs logits (the softmax is folded into the loss), so training uses
``SparseCategoricalCrossentropy(from_logits=True)``; ``predict_proba`` applies it.
"""
from __future__ import annotations

import keras
from keras import layers

from . import versions


class ModelConfigError(ValueError):
    """A one-line error naming the model parameter and the value that is wrong."""


def check_activation(activation: str) -> str:
    """Any Keras activation name (sigmoid, tanh, relu, elu, ...)."""
    if not isinstance(activation, str):
        raise ModelConfigError(f"activation={activation!r}: must be a Keras activation name")
    try:
        keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ModelConfigError(f"activation={activation!r}: not a Keras activation "
                               "(e.g. sigmoid, tanh, relu, elu)") from None
    return activation


def check_rate(name: str, rate: float | None) -> float:
    """A dropout rate in [0, 1); None means no dropout."""
    if rate is None:
        return 0.0
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0.0 <= rate < 1.0:
        raise ModelConfigError(f"{name}={rate!r}: must be a number in [0, 1)")
    return float(rate)


def dropout_rate_from_keep_prob(keep_prob: float | None) -> float:
    """The papers speak TF1's ``keep_prob`` (fraction kept); Keras wants the fraction dropped."""
    if keep_prob is None:
        return 0.0
    if not isinstance(keep_prob, (int, float)) or isinstance(keep_prob, bool) or not 0.0 < keep_prob <= 1.0:
        raise ModelConfigError(f"keep_prob={keep_prob!r}: must be a number in (0, 1]")
    return 1.0 - float(keep_prob)


def softmax_regression() -> keras.Model:
    """Liu & Fu §3 (TF's "MNIST for beginners"): y = softmax(W x + b), 7,850 parameters."""
    inputs = keras.Input((28, 28), name="image")
    x = layers.Flatten(name="flatten")(inputs)
    logits = layers.Dense(10, kernel_initializer="zeros", name="logits")(x)
    return keras.Model(inputs, logits, name="softmax_regression")


def lenet5(activation: str = "sigmoid", dropout_rate: float | None = None,
           pooling: str = "average") -> keras.Model:
    """LeNet-5 (LeCun et al. 1998) as Wang et al. use it, parameterised by activation.

    C1 6@5x5 'same' (28x28 input padded to LeCun's 32x32 field) -> S2 2x2 pool ->
    C3 16@5x5 'valid' -> S4 2x2 pool -> F5 120 -> F6 84 -> [Dropout] -> 10 logits.
    ``pooling`` is 'average' (LeCun's subsampling, without its trainable coefficients) or
    'max'. ``dropout_rate`` (fraction dropped, = 1 - keep_prob) adds Wang's Dropout before
    the output layer. C3 is fully connected to S2 (LeCun's sparse C3 table is not used).
    """
    check_activation(activation)
    rate = check_rate("dropout_rate", dropout_rate)
    pools = {"average": layers.AveragePooling2D, "max": layers.MaxPooling2D}
    if pooling not in pools:
        raise ModelConfigError(f"pooling={pooling!r}: must be one of {', '.join(pools)}")
    pool = pools[pooling]

    inputs = keras.Input((28, 28), name="image")
    x = layers.Reshape((28, 28, 1), name="channel")(inputs)
    x = layers.Conv2D(6, 5, padding="same", activation=activation, name="C1")(x)
    x = pool(2, name="S2")(x)
    x = layers.Conv2D(16, 5, padding="valid", activation=activation, name="C3")(x)
    x = pool(2, name="S4")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation=activation, name="F5")(x)
    x = layers.Dense(84, activation=activation, name="F6")(x)
    if rate > 0:
        x = layers.Dropout(rate, name="dropout")(x)
    logits = layers.Dense(10, name="output")(x)
    suffix = f"_dropout{rate:g}" if rate > 0 else ""
    return keras.Model(inputs, logits, name=f"lenet5_{activation}{suffix}")


def liu_fu_cnn(widths: tuple[int, int, int] = (32, 64, 64), batch_norm: bool = True,
               factorised: bool = True, dropout_rate: float | None = 0.5,
               final_pool: str = "average") -> keras.Model:
    """The improved CNN of Liu & Fu §4.2: 4 convolutions, 3 poolings, 3 batch norms.

    C1 5x5 (as 5x1 then 1x5 when ``factorised``) -> B1 -> ReLU -> S1 max 2x2/2 ->
    C2 5x5 -> B2 -> ReLU -> C3 7x7 -> B3 -> ReLU -> S2 max 2x2/2 -> [Dropout] ->
    C4 5x5 to 10 channels -> S3 7x7/7 pool -> 10 logits (softmax in the loss).
    All convolutions stride 1, 'same' padding. The paper gives neither the channel
    widths (``widths`` = C1, C2, C3; the default follows TF's "Deep MNIST" 32/64) nor
    the place of the dropout (here before C4, the layer that produces the logits, as
    Deep MNIST puts it before its readout layer). ``final_pool`` 'max' is an ablation.
    """
    if (not isinstance(widths, (list, tuple)) or len(widths) != 3
            or not all(isinstance(w, int) and w > 0 for w in widths)):
        raise ModelConfigError(f"widths={widths!r}: must be three positive integers (C1, C2, C3)")
    rate = check_rate("dropout_rate", dropout_rate)
    pools = {"average": layers.AveragePooling2D, "max": layers.MaxPooling2D}
    if final_pool not in pools:
        raise ModelConfigError(f"final_pool={final_pool!r}: must be one of {', '.join(pools)}")
    c1, c2, c3 = widths

    def conv_block(x, filters, size, name):
        # With batch norm the convolution's bias is redundant (BN's beta replaces it).
        if isinstance(size, tuple):  # factorised: two thin convolutions
            x = layers.Conv2D(filters, size[0], padding="same", use_bias=not batch_norm, name=f"{name}a")(x)
            x = layers.Conv2D(filters, size[1], padding="same", use_bias=not batch_norm, name=f"{name}b")(x)
        else:
            x = layers.Conv2D(filters, size, padding="same", use_bias=not batch_norm, name=name)(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"B{name[1:]}")(x)
        return layers.Activation("relu", name=f"{name}_relu")(x)

    inputs = keras.Input((28, 28), name="image")
    x = layers.Reshape((28, 28, 1), name="channel")(inputs)
    x = conv_block(x, c1, ((5, 1), (1, 5)) if factorised else 5, "C1")
    x = layers.MaxPooling2D(2, 2, name="S1")(x)
    x = conv_block(x, c2, 5, "C2")
    x = conv_block(x, c3, 7, "C3")
    x = layers.MaxPooling2D(2, 2, name="S2")(x)
    if rate > 0:
        x = layers.Dropout(rate, name="dropout")(x)
    x = layers.Conv2D(10, 5, padding="same", name="C4")(x)
    x = pools[final_pool](7, 7, name="S3")(x)
    logits = layers.Flatten(name="logits")(x)
    return keras.Model(inputs, logits, name="liu_fu_cnn")


def fully_connected(activation: str = "sigmoid", widths=(120, 84), code: str = ""):
    """784 inputs -> ``widths`` hidden units with ``activation`` -> 10 logits, for the speed half
    of Wang et al.'s weight-sharing claim; the hidden layers are named as LeNet-5's fully
    connected ones (F5, F6). ``code`` is the builder's key token (``fully_connected_kwargs``)."""
    if code != versions.key_token("model:fully_connected"):
        raise ModelConfigError(f"code={code[:12]!r}: not the fully connected builder's declared version "
                               f"({versions.key_token('model:fully_connected')[:12]}); a run of other code "
                               "cannot be repeated here")
    check_activation(activation)
    if len(widths) != 2 or not all(isinstance(w, int) and w > 0 for w in widths):
        raise ModelConfigError(f"widths={widths!r}: two positive integers (F5, F6)")
    inputs = keras.Input((28, 28), name="image")
    x = layers.Flatten(name="flatten")(inputs)
    for name, width in zip(("F5", "F6"), widths):
        x = layers.Dense(width, activation=activation, name=name)(x)
    return keras.Model(inputs, layers.Dense(10, name="output")(x), name=f"fully_connected_{activation}")


def fully_connected_kwargs(activation: str) -> dict:
    """The model arguments of a run of the fully connected network: its activation and the
    builder's key token, which its runs have always carried in their spec."""
    return {"activation": activation, "code": versions.key_token("model:fully_connected")}


BUILDERS = {"softmax": softmax_regression, "lenet5": lenet5, "liu_fu_cnn": liu_fu_cnn,
            "fully_connected": fully_connected}
# Layers whose trained weights the run store keeps, per model: chapters draw pictures from
# them (the softmax weight images). Other models keep only their test-set predictions,
# which keeps the committed store small.
STORED_LAYERS = {"softmax": ("logits",)}
# Models whose test-set class probabilities the run store keeps (averaged into ensembles).
STORED_PROBABILITIES = ("liu_fu_cnn",)


def with_augmentation(model: keras.Model, shift: float = 0.0, rotate: float = 0.0, seed: int = 0) -> keras.Model:
    """``model`` behind on-the-fly random shifts (up to ``shift`` of the image size in each
    direction) and rotations (up to ``rotate`` degrees), active in training only; empty
    pixels are black, as MNIST's background. The original model is the layer ``base``."""
    inputs = keras.Input((28, 28), name="image")
    x = layers.Reshape((28, 28, 1), name="augment_channel")(inputs)
    if shift:
        x = layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seed, name="shift")(x)
    if rotate:
        x = layers.RandomRotation(rotate / 360.0, fill_mode="constant", seed=seed + 1, name="rotate")(x)
    x = layers.Reshape((28, 28), name="augment_back")(x)
    base = keras.Model(model.inputs, model.outputs, name="base")
    return keras.Model(inputs, base(x), name=f"augmented_{model.name}")


def build(name: str, **kwargs) -> keras.Model:
    """A model by name (``softmax``, ``lenet5``, ...) with its keyword arguments."""
    if name not in BUILDERS:
        raise ModelConfigError(f"model={name!r}: unknown (known: {', '.join(BUILDERS)})")
    try:
        return BUILDERS[name](**kwargs)
    except TypeError as exc:
        raise ModelConfigError(f"model={name!r}: {exc}") from None


def summary_text(model: keras.Model) -> str:
    """The Keras summary as plain text (for printing in a chapter)."""
    lines: list[str] = []
    model.summary(print_fn=lambda line, **_: lines.append(line), line_length=80)
    return "\n".join(lines)
