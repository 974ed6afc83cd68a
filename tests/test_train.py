"""mnist_utils.training.train: batches across evaluation intervals, early stopping, the test-every curve, the
training options, determinism, and the seed of the initial weights."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import _config

from mnist_utils.judging import results as results_io
from mnist_utils.training import train as training
from mnist_utils.training.train import TrainConfig, TrainConfigError

pytestmark = pytest.mark.backend


def _softmax(**changes):
    return TrainConfig(**{"model": "softmax", "optimizer": "sgd", "learning_rate": 0.5, "batch_size": 32,
                          "steps": 8, "eval_every": 8, **changes})


def test_batches_continue_across_evaluation_intervals(tiny_mnist):
    # Softmax regression starts from zeros: the only thing that can differ between two
    # intervals of 4 steps and one of 8 is which images the second interval sees.
    split = training.train(_softmax(eval_every=4), tiny_mnist, seed=1).rows
    whole = training.train(_softmax(eval_every=8), tiny_mnist, seed=1).rows
    assert split["val_loss"].iloc[-1] == pytest.approx(whole["val_loss"].iloc[-1], abs=1e-6)
    assert split["test_accuracy"].iloc[-1] == whole["test_accuracy"].iloc[-1]


def test_an_interval_trains_exactly_its_steps_whatever_the_execution_size(tiny_mnist):
    # 40 steps of 8 images per evaluation: 32 steps per execution would train 64 per interval.
    config = _softmax(batch_size=8, steps=80, eval_every=40)
    batched = training.train(config, tiny_mnist, seed=1).rows
    one_by_one = training.train(config, tiny_mnist, seed=1, steps_per_execution=1).rows
    np.testing.assert_allclose(batched["val_loss"], one_by_one["val_loss"], rtol=1e-6)
    assert training.execution_size(500, 32) == 25 and training.execution_size(107, 32) == 1


def test_early_stopping_keeps_the_weights_of_the_best_validation_loss(tiny_mnist):
    # A learning rate this high makes the validation loss bounce, so patience runs out.
    config = TrainConfig("lenet5", {"activation": "relu"}, "adam", 0.05, 32, steps=80, eval_every=4, patience=2)
    rows = training.train(config, tiny_mnist, seed=0).rows
    best = rows["val_loss"].idxmin()
    assert rows["final"].sum() == 1 and rows.loc[best, "final"]
    assert rows["test_accuracy"].notna().sum() == 1 and not np.isnan(rows.loc[best, "test_accuracy"])
    assert len(rows) < 20, "training should have stopped before the cap"
    assert len(rows) - 1 - best == 2, "stops exactly `patience` evaluations after the best one"
    final = results_io.final_rows(rows.assign(run_id="r"))
    assert final["step"].item() == rows.loc[best, "step"]


@pytest.mark.slow
def test_patience_does_not_stop_a_run_before_its_min_steps(tiny_mnist):
    # The bouncing run above stops within 20 evaluations; held to step 60, it stops only after it,
    # still keeping the weights of its best validation loss.
    config = TrainConfig("lenet5", {"activation": "relu"}, "adam", 0.05, 32, steps=80, eval_every=4, patience=2,
                         min_steps=60)
    early = training.train(dataclasses.replace(config, min_steps=None), tiny_mnist, seed=0).rows
    held = training.train(config, tiny_mnist, seed=0).rows
    assert early["step"].max() < 60 <= held["step"].max()
    pd.testing.assert_frame_equal(held.head(len(early)).drop(columns=["wall_seconds", "images_per_second", "final",
                                                                      "test_loss", "test_accuracy"]),
                                  early.drop(columns=["wall_seconds", "images_per_second", "final", "test_loss",
                                                      "test_accuracy"]))
    assert held.loc[held["val_loss"].idxmin(), "final"]
    # At its default the field stays out of the spec: every stored run keeps its key.
    assert "min_steps" not in training.run_spec(dataclasses.replace(config, min_steps=None), 0, tiny_mnist)
    assert training.run_spec(config, 0, tiny_mnist)["min_steps"] == 60


def test_test_every_records_a_test_curve_and_must_match_the_evaluations(tiny_mnist):
    rows = training.train(_softmax(steps=16, eval_every=4, test_every=8), tiny_mnist, seed=0).rows
    assert rows.loc[rows["test_accuracy"].notna(), "step"].tolist() == [8, 16]
    with pytest.raises(TrainConfigError, match="test_every=6"):
        training.train(_softmax(steps=16, eval_every=4, test_every=6), tiny_mnist, seed=0)


def test_training_loss_in_inference_mode_is_recorded(tiny_mnist):
    rows = training.train(_softmax(), tiny_mnist, seed=0).rows
    assert rows["train_eval_loss"].notna().all() and rows["train_eval_accuracy"].between(0, 1).all()


@pytest.mark.parametrize("changes, culprit", [
    ({"schedule": "step"}, "schedule='step'"),
    ({"warmup_steps": 3}, "warmup_steps=3"),
    ({"label_smoothing": 1.0}, "label_smoothing=1.0"),
    ({"augment": {"shear": 1}}, "unknown key 'shear'"),
    ({"augment": {"rotate": 500}}, "augment['rotate']=500"),
    ({"patience": 0}, "patience=0"),
    ({"test_every": -1}, "test_every=-1"),
    ({"min_steps": 10}, "min_steps=10: needs patience"),
    ({"min_steps": 0, "patience": 2}, "min_steps=0"),
])
def test_bad_training_options_are_one_line_errors(changes, culprit):
    with pytest.raises(TrainConfigError) as exc:
        _softmax(**changes).validate()
    assert culprit in str(exc.value) and "\n" not in str(exc.value)


def test_augmentation_schedule_and_label_smoothing_train_and_are_deterministic(tiny_mnist):
    config = _softmax(steps=8, eval_every=4, schedule="cosine", warmup_steps=2, label_smoothing=0.1,
                      augment={"shift": 0.1, "rotate": 10})
    first, again = (training.train(config, tiny_mnist, seed=5) for _ in range(2))
    pd.testing.assert_frame_equal(first.rows.drop(columns=["wall_seconds", "images_per_second"]),
                                  again.rows.drop(columns=["wall_seconds", "images_per_second"]))
    plain = training.train(_softmax(steps=8, eval_every=4), tiny_mnist, seed=5)
    assert not np.allclose(first.rows["val_loss"], plain.rows["val_loss"])
    assert first.arrays["weights/logits/0"].shape == (784, 10)   # stored from inside the augmented model


def test_cnn_runs_keep_float16_test_probabilities(tiny_mnist):
    config = TrainConfig("liu_fu_cnn", {"widths": [2, 4, 4], "dropout_rate": 0.0}, "adam", 3e-2, 32, steps=24)
    arrays = training.train(config, tiny_mnist, seed=0).arrays
    probabilities = arrays["test_probabilities"]
    assert probabilities.dtype == np.float16 and probabilities.shape == (64, 10)
    np.testing.assert_allclose(probabilities.astype(np.float32).sum(axis=1), 1.0, atol=1e-2)
    top2 = np.sort(probabilities.astype(np.float32), axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 1e-3        # float16 rounding can only swap near-ties
    assert clear.any()
    np.testing.assert_array_equal(probabilities.argmax(axis=1)[clear], arrays["test_predictions"][clear])


def test_eval_interval_must_divide_the_budget(tiny_mnist):
    with pytest.raises(TrainConfigError, match="eval_every=3"):
        training.train(TrainConfig("softmax", batch_size=32, steps=8, eval_every=3), tiny_mnist, 0)


def test_same_seed_gives_identical_metrics_and_other_seeds_differ(tiny_mnist):
    first = training.train(_config(), tiny_mnist, seed=3).rows
    again = training.train(_config(), tiny_mnist, seed=3).rows
    other = training.train(_config(), tiny_mnist, seed=4).rows
    metrics = ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy"]
    pd.testing.assert_frame_equal(first[metrics], again[metrics])
    assert not np.allclose(first["train_loss"], other["train_loss"])


def test_a_shorter_run_is_the_prefix_of_a_longer_one_with_the_same_seed(tiny_mnist):
    # What lets chapter 6 cut the full model's trainings at the ablations' budget (results.cut)
    # instead of training the reference again: same batches, same dropout masks, same updates.
    short = training.train(_config(steps=8), tiny_mnist, seed=3).rows
    long = training.train(_config(steps=16), tiny_mnist, seed=3).rows
    metrics = ["train_loss", "train_accuracy", "train_eval_loss", "val_loss", "val_accuracy"]
    pd.testing.assert_frame_equal(short[metrics], long[metrics].iloc[: len(short)])
    assert len(long) > len(short)


def test_init_seed_moves_the_initial_weights_and_not_the_data_order(tiny_mnist):
    lenet = TrainConfig("lenet5", {"activation": "relu"}, "adam", 0.003, 32, steps=8, eval_every=4)
    first = training.compiled_model(lenet, 0, 1, 8).get_weights()[0]
    other = training.compiled_model(dataclasses.replace(lenet, init_seed=1), 0, 1, 8).get_weights()[0]
    assert not np.array_equal(first, other)
    # The run's own seed as init_seed is the run as before, prediction for prediction.
    as_before = training.train(lenet, tiny_mnist, 0)
    same_seed = training.train(dataclasses.replace(lenet, init_seed=0), tiny_mnist, 0)
    np.testing.assert_array_equal(same_seed.arrays["test_predictions"], as_before.arrays["test_predictions"])
    np.testing.assert_array_equal(same_seed.rows["val_loss"], as_before.rows["val_loss"])
