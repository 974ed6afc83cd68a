"""mnist_utils.runs.weights: kept weights repeat the stored run and are kept once; zero shares; sparsity."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import LENET

from mnist_utils.runs import runsets, weights
from mnist_utils.training import models
from mnist_utils.training.train import TrainConfigError


def test_kept_weights_repeat_the_stored_run_and_are_kept_once(tiny_mnist, run_store, monkeypatch):
    with pytest.raises(weights.WeightsError, match="relu/seed0: the run whose weights to keep is not stored"):
        weights.kept_weights(LENET, 0, tiny_mnist, store=run_store)
    stored = runsets.train_many([LENET], [0], tiny_mnist, store=run_store)
    kept, comparison = weights.kept_weights(LENET, 0, tiny_mnist, store=run_store)
    assert comparison["differs_from_stored"] == 0 and comparison["step"] == comparison["stored_step"]
    # The weights are the final (best) model's: they predict what the stored run predicted.
    model = models.build("lenet5", activation="relu")
    model.set_weights(kept)
    predicted = np.asarray(model.predict(tiny_mnist.test.images, verbose=0)).argmax(axis=1)
    np.testing.assert_array_equal(predicted, stored.predictions("relu/seed0"))
    assert all(w.dtype == np.float32 for w in kept)
    monkeypatch.setattr(weights, "_train_capturing_weights", lambda *a, **k: pytest.fail("trained again"))
    again, _ = weights.kept_weights(LENET, 0, tiny_mnist, store=run_store)
    assert all(np.array_equal(a, b) for a, b in zip(again, kept))


def test_zero_shares_count_exact_zeros_per_layer_and_pooled(tiny_mnist):
    import keras

    inputs = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(inputs)
    half = keras.layers.Dense(4, activation="relu", name="half")(flat)
    none = keras.layers.Dense(2, activation="sigmoid", name="none")(half)
    model = keras.Model(inputs, none)
    kernel = np.zeros((784, 4), np.float32)
    model.get_layer("half").set_weights([kernel, np.array([1, 1, -1, -1], np.float32)])  # two units always 0
    shares = weights.zero_shares(model, ["half", "none"], tiny_mnist.test)
    assert shares == {"half": 0.5, "none": 0.0, "all": pytest.approx(2 / 6)}


def test_sparsity_needs_seeds_the_trainings_ran(tiny_mnist, run_store):
    run_set = runsets.RunSet("x", (LENET,), (0,))
    with pytest.raises(TrainConfigError, match=r"sparsity_seeds=\[3\]: \[3\] not among"):
        weights.sparsity(run_set, "relu", [3], ["C1"], tiny_mnist, store=run_store)
    with pytest.raises(TrainConfigError, match="activation='elu': not among"):
        weights.sparsity(run_set, "elu", [0], ["C1"], tiny_mnist, store=run_store)
