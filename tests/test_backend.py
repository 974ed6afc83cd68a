"""mnist_utils.training.backend: the order of the images, and training that gives the same numbers on both
Keras backends."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mnist_utils.core import paths
from mnist_utils.training import backend
from mnist_utils.training import train as training
from mnist_utils.training.train import TrainConfig

pytestmark = pytest.mark.backend

OTHER = {"tensorflow": "jax", "jax": "tensorflow"}[backend.name()]


OTHER_INSTALLED = importlib.util.find_spec(OTHER) is not None


def test_the_shuffled_order_is_a_fresh_permutation_per_pass_and_fixed_by_the_seed():
    order = backend.shuffled_order(10, 25, seed=7)
    assert len(order) == 25
    assert sorted(order[:10]) == list(range(10)) and sorted(order[10:20]) == list(range(10))
    assert not np.array_equal(order[:10], order[10:20])
    np.testing.assert_array_equal(order, backend.shuffled_order(10, 25, seed=7))
    assert not np.array_equal(order, backend.shuffled_order(10, 25, seed=8))


@pytest.mark.slow
@pytest.mark.skipif(not OTHER_INSTALLED, reason=f"the {OTHER} backend is not installed")
def test_both_backends_train_softmax_regression_to_the_same_numbers(tiny_mnist, tmp_path):
    # Zero initialisation and the NumPy order leave only floating-point rounding between backends.
    script = tmp_path / "softmax.py"
    script.write_text(
        f"import sys; sys.path.insert(0, {str(paths.ROOT)!r})\n"
        "from tests.conftest import synthetic_digits\n"
        "from mnist_utils.training import train\n"
        "config = train.TrainConfig('softmax', optimizer='sgd', learning_rate=0.5, batch_size=32, steps=16, eval_every=8)\n"
        "rows = train.train(config, synthetic_digits(), seed=2).rows\n"
        "print(rows[['val_loss', 'val_accuracy']].to_json())\n")
    env = {**os.environ, "KERAS_BACKEND": OTHER}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    theirs = pd.DataFrame(json.loads(out.stdout.strip().splitlines()[-1]))
    config = TrainConfig("softmax", optimizer="sgd", learning_rate=0.5, batch_size=32, steps=16, eval_every=8)
    ours = training.train(config, tiny_mnist, seed=2).rows
    np.testing.assert_allclose(ours["val_loss"].to_numpy(), theirs["val_loss"].to_numpy(), rtol=1e-4)
    np.testing.assert_array_equal(ours["val_accuracy"].to_numpy(), theirs["val_accuracy"].to_numpy())
