"""Gradient probes and kept weights: measurements of trained models that never re-key a stored run."""
from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mnist_utils import fully_connected, gradients, models, runsets, store, weights
from mnist_utils.train import TrainConfig, TrainConfigError, run_spec

LENET = TrainConfig("lenet5", {"activation": "relu"}, "adam", 0.003, 32, steps=24, eval_every=8, patience=2,
                    label="relu")
SIGMOID = TrainConfig("lenet5", {"activation": "sigmoid"}, "adam", 0.003, 32, steps=24, eval_every=8, label="sigmoid")


@pytest.fixture
def run_store(tmp_path):
    return store.RunStore(tmp_path / "runs")


def test_a_gradient_probe_records_every_kernel_every_step_and_is_stored_once(tiny_mnist, run_store, monkeypatch):
    probed = gradients.probe(SIGMOID, 0, tiny_mnist, steps=5, store=run_store)
    assert list(dict.fromkeys(probed["layer"])) == ["C1", "C3", "F5", "F6", "output"]
    assert sorted(set(probed["step"])) == [1, 2, 3, 4, 5] and (probed["rms"] > 0).all()
    # Its key is the configuration's spec plus the probe: the run of that configuration is another entry.
    [entry] = run_store.entries()
    fingerprint = store.data_fingerprint(tiny_mnist)
    assert entry.stem != store.run_key(run_spec(SIGMOID, 0, tiny_mnist), fingerprint)[:16]
    monkeypatch.setattr(gradients, "_kernel_rms_per_step", lambda *a, **k: pytest.fail("trained again"))
    pd.testing.assert_frame_equal(gradients.probe(SIGMOID, 0, tiny_mnist, steps=5, store=run_store), probed)


def test_gradient_summaries_are_geometric_means_over_the_steps():
    table = pd.DataFrame({"run_id": "a/seed0", "config": "a", "seed": 0, "step": [1, 1, 1, 2, 2, 2],
                          "layer": ["first", "middle", "last"] * 2, "rms": [1.0, 10.0, 100.0, 4.0, 1.0, 1.0]})
    [row] = gradients.summaries(table).to_dict("records")
    assert row["input_over_output"] == pytest.approx(np.sqrt(0.01 * 4.0))      # first/last: 0.01, then 4
    assert row["layer_spread"] == pytest.approx(np.sqrt(100.0 * 4.0))          # max/min: 100, then 4


def test_gradient_probes_name_unknown_configurations_and_bad_steps(tiny_mnist, run_store):
    run_set = runsets.RunSet("x", (SIGMOID,), (0,))
    with pytest.raises(TrainConfigError, match=r"configs=\['relu'\]: \['relu'\] not in the run set x"):
        gradients.run_set_probes(run_set, 2, [0], tiny_mnist, store=run_store, configs=["relu"])
    with pytest.raises(TrainConfigError, match="gradient_steps=0"):
        gradients.probe(SIGMOID, 0, tiny_mnist, steps=0, store=run_store)


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


def test_a_comment_in_a_keyed_module_or_a_probe_module_change_never_re_keys_a_stored_run(tmp_path, tiny_mnist):
    package = Path(store.__file__).parent
    copy = tmp_path / "mnist_utils"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "train.py").write_text((copy / "train.py").read_text() + "\n# a comment changes no number\n")
    (copy / "gradients.py").write_text((copy / "gradients.py").read_text() + "\n\ndef helper():\n    return 1\n")
    (copy / "weights.py").write_text((copy / "weights.py").read_text().replace("batch_size: int = 1000",
                                                                               "batch_size: int = 500"))
    assert store.code_digest(copy) == store.code_digest()
    spec = run_spec(LENET, 0, tiny_mnist)
    fingerprint = store.data_fingerprint(tiny_mnist)
    assert store.run_key(spec, fingerprint, code=store.code_digest(copy)) == store.run_key(spec, fingerprint)
    # A probe's own code enters its own key only.
    assert store.source_digest((copy / "gradients.py").read_text()) != \
        gradients.probe_spec(LENET, 0, tiny_mnist, 5)["probe_code"]
    # Code (not a comment) in a keyed module does re-key (another folder: the digest is cached per folder).
    changed = shutil.copytree(copy, tmp_path / "changed" / "mnist_utils")
    (changed / "train.py").write_text((changed / "train.py").read_text().replace("OPTIMIZERS = (", "OPTIMIZERS = ('x', "))
    assert store.code_digest(changed) != store.code_digest()


def test_the_fully_connected_network_is_keyed_by_its_builder_and_refuses_other_code():
    kwargs = fully_connected.model_kwargs("relu")
    model = models.build(fully_connected.NAME, **kwargs)
    assert model.count_params() == 784 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10
    with pytest.raises(models.ModelConfigError, match="code='stale': the fully connected network"):
        models.build(fully_connected.NAME, activation="relu", code="stale")
    assert kwargs["code"] == store.source_digest(inspect.getsource(fully_connected.fully_connected))
