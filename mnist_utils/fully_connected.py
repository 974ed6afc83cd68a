"""A fully connected network of LeNet-5's hidden widths, 784-120-84-10, for the speed half of
Wang et al.'s weight-sharing claim ("reduce the number of parameters ... and speed up the
learning process").

``models.py`` is part of the code whose digest keys every stored run, so a new model there
would retrain the whole book. This builder lives here instead and is registered in
``models.BUILDERS`` by ``model_kwargs``, which every configuration of it is made with. Its runs carry
the builder's digest among their model arguments (``code``), so their key follows the code
that builds the network and no other run's does; a spec with another digest is refused.
"""
from __future__ import annotations

import inspect

from . import models
from .store import source_digest

NAME = "fully_connected"


def digest() -> str:
    """The source digest of the builder, ``fully_connected`` (comments and docstrings do not
    count, nor does the rest of this module)."""
    return source_digest(inspect.getsource(fully_connected))


def fully_connected(activation: str = "sigmoid", widths=(120, 84), code: str = ""):
    """784 inputs -> ``widths`` hidden units with ``activation`` -> 10 logits; the hidden
    layers are named as LeNet-5's fully connected ones (F5, F6)."""
    import keras
    from keras import layers

    if code != digest():
        raise models.ModelConfigError(f"code={code[:12]!r}: the fully connected network is built by fully_connected.py "
                                      f"with digest {digest()[:12]}; a run of other code cannot be repeated here")
    models.check_activation(activation)
    if len(widths) != 2 or not all(isinstance(w, int) and w > 0 for w in widths):
        raise models.ModelConfigError(f"widths={widths!r}: two positive integers (F5, F6)")
    inputs = keras.Input((28, 28), name="image")
    x = layers.Flatten(name="flatten")(inputs)
    for name, width in zip(("F5", "F6"), widths):
        x = layers.Dense(width, activation=activation, name=name)(x)
    return keras.Model(inputs, layers.Dense(10, name="output")(x), name=f"{NAME}_{activation}")


def model_kwargs(activation: str) -> dict:
    """The model arguments of a run of this network, its activation and this module's digest;
    the network is registered in ``models.BUILDERS`` on the way (not on import: ``models``
    loads Keras, and a command checks its arguments before that)."""
    models.BUILDERS.setdefault(NAME, fully_connected)
    return {"activation": activation, "code": digest()}
