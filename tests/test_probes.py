"""Probes repeat a stored run exactly, are stored once, and measure what they say they measure."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_utils.judging import measures
from mnist_utils.runs import probes, runsets
from mnist_utils.training.train import TrainConfig, TrainConfigError

CNN = TrainConfig("liu_fu_cnn", {"widths": [4, 8, 8], "dropout_rate": 0.5}, "adam", 0.003, 32, steps=24, eval_every=8,
                  label="tiny CNN")


@pytest.mark.slow
def test_a_probe_repeats_the_stored_run_and_is_stored_once(tiny_mnist, run_store, monkeypatch, capsys):
    runsets.train_many([CNN], [0], tiny_mnist, store=run_store)
    probed = probes.probe(CNN, 0, tiny_mnist, checkpoints=2, store=run_store)
    assert list(probed["variant"]) == ["as trained", "as trained", *probes.VARIANTS[1:]]
    assert list(probed["step"]) == [16, 24, 24, 24]
    stored = runsets.train_many([CNN], [0], tiny_mnist, store=run_store)
    # Its last checkpoint as trained is the stored run (probe raises otherwise) ...
    assert probed["test_accuracy"].iloc[1] == pytest.approx(stored.table["test_accuracy"].dropna().iloc[-1], abs=1e-6)
    assert len(run_store.entries()) == 2
    # ... and a second call reads the probe back instead of training again.
    monkeypatch.setattr(probes, "_train_keeping_checkpoints", lambda *a, **k: pytest.fail("trained again"))
    again = probes.probe(CNN, 0, tiny_mnist, checkpoints=2, store=run_store)
    pd.testing.assert_frame_equal(again, probed)


@pytest.mark.slow
def test_a_probe_that_does_not_repeat_its_run_says_by_how_much(tiny_mnist, run_store, monkeypatch, capsys):
    runsets.train_many([CNN], [0], tiny_mnist, store=run_store)
    exact = probes.probe(CNN, 0, tiny_mnist, checkpoints=1, store=run_store)
    assert (exact["differs_from_stored"] == 0).all()
    real = probes._train_keeping_checkpoints
    # Another seed's training stands in for the run (as another processor's arithmetic would).
    monkeypatch.setattr(probes, "_train_keeping_checkpoints", lambda config, mnist, seed, *a: real(config, mnist, 1, *a))
    other = probes.probe(CNN, 0, tiny_mnist, checkpoints=2, store=run_store)
    stored = runsets.train_many([CNN], [0, 1], tiny_mnist, store=run_store)
    differs = int((stored.predictions("tiny CNN/seed0") != stored.predictions("tiny CNN/seed1")).sum())
    assert differs > 0 and (other["differs_from_stored"] == differs).all()
    assert "a retraining, not a repeat" in capsys.readouterr().out


def test_a_probe_needs_its_run_stored_and_valid_parameters(tiny_mnist, run_store):
    with pytest.raises(probes.ProbeError, match="tiny CNN/seed0: the run to probe is not stored"):
        probes.probe(CNN, 0, tiny_mnist, checkpoints=2, store=run_store)
    with pytest.raises(TrainConfigError, match="checkpoints=0"):
        probes.probe(CNN, 0, tiny_mnist, checkpoints=0, store=run_store)
    full_runs = runsets.RunSet("x", (CNN,), (0, 1))
    with pytest.raises(TrainConfigError, match=r"probe_seeds=\[2\]: \[2\] not among"):
        probes.chapter_probes(full_runs, [2], 2, tiny_mnist, store=run_store)
    assert probes.chapter_probes(full_runs, [], 2, tiny_mnist, store=run_store).empty


def test_re_estimated_batch_norm_statistics_are_those_of_its_inputs(tiny_mnist):
    import keras

    from mnist_utils.training import models

    model = models.build("liu_fu_cnn", widths=[4, 8, 8])
    images = tiny_mnist.train.images[:100]
    probes.reestimate_batch_norm(model, images, batch_size=30)   # batches that do not divide 100
    for layer in [m for m in model.layers if isinstance(m, keras.layers.BatchNormalization)]:
        x = np.asarray(keras.Model(model.input, layer.input)(images, training=False), dtype=np.float64)
        np.testing.assert_allclose(layer.moving_mean.numpy(), x.mean(axis=(0, 1, 2)), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(layer.moving_variance.numpy(), x.var(axis=(0, 1, 2)), rtol=1e-3, atol=1e-6)


def test_errors_by_digit_and_probe_changes():
    labels = np.array([0, 1, 2, 3, 4, 5])
    predicted = np.array([0, 5, 5, 5, 1, 5])
    errors, digit, share, counts = measures.errors_by_digit(predicted, labels)
    assert (errors, digit, share) == (4, 5, 0.75) and counts[1] == 1 and counts.sum() == 4
    probed = pd.DataFrame({"run_id": ["a", "a", "a", "b", "b"],
                           "variant": ["as trained", "as trained", "statistics re-estimated", "as trained",
                                       "statistics re-estimated"],
                           "step": [1, 2, 2, 2, 2], "test_accuracy": [0.5, 0.90, 0.95, 0.80, 0.84],
                           "share": [0.1, 0.6, 0.2, 0.5, 0.3]})
    [row] = measures.probe_changes(probed).to_dict("records")
    # Against each run's last checkpoint (step 2), never an earlier one.
    assert row["runs"] == 2 and row["accuracy_pp"] == pytest.approx(4.5) and row["share_pp"] == pytest.approx(-30)


@pytest.mark.slow
def test_the_stored_pileup_lists_each_training_and_leaves_probes_out(tiny_mnist, run_store):
    runsets.train_many([CNN], [0, 1], tiny_mnist, store=run_store)
    probes.probe(CNN, 0, tiny_mnist, checkpoints=1, store=run_store)
    table = runsets.stored_error_pileup(tiny_mnist.test.labels, store=run_store)
    assert sorted(table["seed"]) == [0, 1]
    assert table["set-up"].nunique() == 1 and table["set-up"].iloc[0].startswith("4/8/8 constant 0.003 · 24 it.")
    trained = runsets.train_many([CNN], [0, 1], tiny_mnist, store=run_store)
    for seed, row in table.set_index("seed").iterrows():
        predicted = trained.predictions(f"tiny CNN/seed{seed}")
        errors, digit, share, _ = measures.errors_by_digit(predicted, tiny_mnist.test.labels)
        assert (row["errors"], row["most_predicted_wrong"], row["share"]) == (errors, digit, share)
    # Predictions on another test subset are not comparable: left out.
    assert runsets.stored_error_pileup(tiny_mnist.test.labels[:10], store=run_store).empty
