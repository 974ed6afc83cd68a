"""The Flax trainer (mnist_utils.training.flax_train): the Keras trainer's data order, budget,
evaluation schedule, early stopping, rows and arrays, from Flax's own model, loss and update; its
runs in the run store under keys of their own."""
from __future__ import annotations

from dataclasses import replace

import jax.numpy as jnp
import numpy as np
import pytest

from mnist_utils.runs import runsets
from mnist_utils.runs import store as run_store
from mnist_utils.training import backend, flax_train, models
from mnist_utils.training import train as keras_train
from mnist_utils.training.train import TrainConfig, TrainConfigError

SOFTMAX = TrainConfig("softmax", optimizer="sgd", learning_rate=0.5, batch_size=32, steps=8, eval_every=4,
                      label="softmax")
LENET = TrainConfig("lenet5", {"activation": "relu", "dropout_rate": 0.5}, "adam", 3e-3, 32, steps=24, eval_every=8,
                    label="relu")
CNN = TrainConfig("liu_fu_cnn", {"widths": [4, 8, 8], "dropout_rate": 0.5}, "adam", 1e-3, 32, steps=8,
                  eval_every=4, label="cnn")


def _numbers(rows):
    return rows.drop(columns=["wall_seconds", "images_per_second"])


@pytest.mark.slow
def test_a_flax_run_has_the_keras_runs_rows_and_arrays(tiny_mnist):
    flax_run = flax_train.train(SOFTMAX, tiny_mnist, 0)
    keras_run = keras_train.train(SOFTMAX, tiny_mnist, 0)
    assert list(flax_run.rows.columns) == list(keras_run.rows.columns)
    assert list(flax_run.rows["step"]) == list(keras_run.rows["step"]) == [4, 8]
    assert flax_run.rows["final"].sum() == 1 and flax_run.rows["test_accuracy"].notna().sum() == 1
    assert flax_run.arrays.keys() == keras_run.arrays.keys()
    for name, array in keras_run.arrays.items():
        assert flax_run.arrays[name].shape == array.shape and flax_run.arrays[name].dtype == array.dtype, name
    # Softmax regression from zero weights by plain SGD on the same batches: the same arithmetic,
    # so the two implementations agree to float32 rounding.
    np.testing.assert_allclose(flax_run.rows["val_loss"], keras_run.rows["val_loss"], rtol=1e-4)


def test_the_flax_trainer_presents_the_keras_trainers_images_in_the_same_order(tiny_mnist, monkeypatch):
    calls = []
    original = backend.shuffled_order

    def recording(n_examples, n_needed, seed):
        calls.append((n_examples, n_needed, seed))
        return original(n_examples, n_needed, seed)

    monkeypatch.setattr(backend, "shuffled_order", recording)
    flax_train.train(SOFTMAX, tiny_mnist, 3)
    keras_train.train(SOFTMAX, tiny_mnist, 3)
    assert calls[0] == calls[1] == (256, 8 * 32, 3)


@pytest.mark.slow
def test_a_seed_repeats_a_flax_run_and_another_seed_does_not(tiny_mnist):
    first, again, other = (flax_train.train(LENET, tiny_mnist, seed) for seed in (1, 1, 2))
    assert _numbers(first.rows).equals(_numbers(again.rows))
    assert np.array_equal(first.arrays["test_predictions"], again.arrays["test_predictions"])
    assert not _numbers(first.rows).equals(_numbers(other.rows))


@pytest.mark.parametrize("min_steps, stopped_at", [(None, 16), (20, 20)])
def test_patience_stops_no_earlier_than_min_steps_and_the_best_row_is_final(tiny_mnist, monkeypatch, min_steps,
                                                                          stopped_at):
    validation_losses = iter([1.0, 0.5, 0.9, 0.95, 0.97, 0.99])
    evaluate = flax_train._Steps.evaluate

    def scripted(self, state, split, smoothing=0.0):
        loss, accuracy, logits = evaluate(self, state, split, smoothing)
        return (next(validation_losses) if split is scripted.validation else loss), accuracy, logits

    scripted.validation = tiny_mnist.validation.head(None)
    monkeypatch.setattr(flax_train._Steps, "evaluate", scripted)
    config = TrainConfig("softmax", optimizer="sgd", learning_rate=0.1, batch_size=8, steps=24, eval_every=4,
                         patience=2, min_steps=min_steps)
    rows = flax_train.train(config, tiny_mnist, 0).rows
    assert rows["step"].iloc[-1] == stopped_at
    assert rows.loc[rows["final"], "step"].item() == 8          # the best validation loss, 0.5
    assert rows["test_accuracy"].notna().sum() == 1 and rows.loc[rows["final"], "test_accuracy"].notna().all()


@pytest.mark.parametrize("warmup", [0, 10])
def test_the_cosine_schedule_is_the_keras_trainers(warmup):
    config = TrainConfig("softmax", learning_rate=2e-3, steps=100, schedule="cosine", warmup_steps=warmup)
    flax_rate, keras_rate = flax_train.learning_rate(config, 100), keras_train._learning_rate(config, 100)
    for step in (0, 5, 10, 37, 99):
        assert float(flax_rate(step)) == pytest.approx(float(keras_rate(step)), rel=1e-5, abs=1e-9), step
    assert flax_train.learning_rate(replace(config, schedule="constant", warmup_steps=0), 100) == 2e-3


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_the_loss_is_the_keras_trainers_smoothed_or_not(smoothing):
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(0, 3, (16, 10)).astype(np.float32), rng.integers(0, 10, 16)
    loss, accuracy = flax_train.loss_and_accuracy(lambda _: jnp.asarray(logits), None, jnp.asarray(labels), smoothing)
    expected = np.mean(keras_train.loss_function(smoothing)(labels, logits))
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)
    assert float(accuracy) == pytest.approx(np.mean(logits.argmax(1) == labels))


@pytest.mark.parametrize("config, kwargs, culprit", [
    (replace(LENET, augment={"shift": 0.1}), {}, "augment="),
    (replace(LENET, model_kwargs={"activation": "relu", "pooling": "max"}), {}, "pooling='max'"),
    (LENET, {"bn_momentum": 0.9}, "bn_momentum=0.9"),
    (replace(LENET, model="fully_connected", model_kwargs=models.fully_connected_kwargs("relu")), {},
     "model='fully_connected'"),
])
def test_what_the_flax_trainer_cannot_do_is_a_one_line_error_naming_it(tiny_mnist, config, kwargs, culprit):
    with pytest.raises(TrainConfigError, match=culprit.replace("(", r"\(")) as caught:
        flax_train.train(config, tiny_mnist, 0, **kwargs)
    assert "\n" not in str(caught.value)


def test_the_batch_norm_momentum_reaches_the_model():
    assert flax_train.build(CNN, 0, bn_momentum=0.9).b1.momentum == 0.9
    assert flax_train.build(CNN, 0).b1.momentum == 0.99        # Flax's own default


def test_a_flax_run_has_a_key_of_its_own(tiny_mnist):
    spec = keras_train.run_spec(SOFTMAX, 0, tiny_mnist)
    fingerprint = run_store.data_fingerprint(tiny_mnist)
    keys = {name: run_store.run_key(spec, fingerprint, name) for name in ("tensorflow", "jax", run_store.FLAX)}
    assert len(set(keys.values())) == 3
    assert keys[run_store.FLAX] == run_store.run_key(spec, fingerprint, run_store.FLAX)


@pytest.mark.slow
def test_flax_runs_are_stored_once_and_read_back(tiny_mnist, run_store, monkeypatch):
    first = runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=run_store, framework="flax")
    assert {run_store.get(k).record["backend"] for k in first.keys.values()} == {"flax"}
    monkeypatch.setattr(flax_train, "train", lambda *a, **k: pytest.fail("a stored run was trained again"))
    again = runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=run_store, framework="flax")
    assert again.keys == first.keys and _numbers(again.table).equals(_numbers(first.table))
    keras_keys = runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store).keys
    assert keras_keys["softmax/seed0"] != first.keys["softmax/seed0"]


def test_an_unknown_framework_is_named():
    with pytest.raises(TrainConfigError, match="framework='torch'"):
        runsets.declare("x", [SOFTMAX], [0], framework="torch")


def test_verify_repeats_a_stored_flax_run_and_names_the_flax_unit(tiny_mnist, run_store, monkeypatch):
    from mnist_utils.runs import verify

    runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=run_store, framework="flax")
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store)             # a Keras run beside them
    monkeypatch.setattr(verify.data, "load", lambda: tiny_mnist)
    rows = verify.verify(run_store, 0, ("softmax",), gradient_probes=0, flax_runs=2)
    assert [(r["same"], r["units"]) for r in rows] == [(True, ["flax"])] * 2     # the Keras run is not repeated
    trained = flax_train.train

    def one_prediction_off(*args, **kwargs):
        run = trained(*args, **kwargs)
        run.arrays["test_predictions"][0] = (run.arrays["test_predictions"][0] + 1) % 10
        return run

    monkeypatch.setattr(flax_train, "train", one_prediction_off)
    [row] = verify.verify(run_store, 0, ("softmax",), gradient_probes=0, flax_runs=1)
    assert (row["same"], row["test_predictions_differing"]) == (False, 1)
