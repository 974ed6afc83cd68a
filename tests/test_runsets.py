"""mnist_utils.runs.runsets: train_many validates everything before it trains, takes each run from the
store when it is there (hit and miss, a new label, a new seed, resume, a scratch store over the
record), writes tidy results; a run set may train on all training images."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import SOFTMAX, _config

from mnist_utils.judging import results as results_io
from mnist_utils.runs import experiments, runsets, store
from mnist_utils.runs.store import RunStore
from mnist_utils.training import backend
from mnist_utils.training import train as training
from mnist_utils.training.train import TrainConfig, TrainConfigError

pytestmark = pytest.mark.backend


def count_training(monkeypatch) -> list:
    """Record every real training (run id) that train_many starts."""
    calls = []
    real = training.train

    def counting(config, mnist, seed, **kwargs):
        calls.append(f"{config.name}/seed{seed}")
        return real(config, mnist, seed, **kwargs)

    monkeypatch.setattr(training, "train", counting)
    return calls


# ------------------------------------------------------------------ hit / miss
def test_second_call_reuses_every_run_and_returns_the_same_table(tiny_mnist, run_store, monkeypatch, capsys):
    calls = count_training(monkeypatch)
    first = runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=run_store)
    assert calls == ["softmax/seed0", "softmax/seed1"]
    second = runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=run_store)
    assert calls == ["softmax/seed0", "softmax/seed1"]  # nothing trained the second time
    pd.testing.assert_frame_equal(first.table, second.table)
    out = capsys.readouterr().out
    assert "2 runs: 0 reused, 2 trained" in out and "2 runs: 2 reused, 0 trained" in out
    assert out.count(": training (run ") == 2 and out.count(": trained in ") == 2   # progress of real work
    assert ": reused " not in out, "a stored run is counted in the summary, not printed on a line of its own"
    # What chapters draw from the model comes back from the store too.
    np.testing.assert_array_equal(first.predictions("softmax/seed0"), second.predictions("softmax/seed0"))
    assert second.predictions("softmax/seed0").shape == (64,)
    assert second.weights("softmax/seed1", "logits")[0].shape == (784, 10)
    assert len(run_store.entries()) == 2


def test_a_chapter_whose_runs_are_stored_prints_one_line_per_run_set(tiny_mnist, run_store, capsys):
    runsets.train_many([SOFTMAX, dataclasses.replace(SOFTMAX, label="again")], [0, 1, 2], tiny_mnist, store=run_store)
    capsys.readouterr()
    runsets.train_many([SOFTMAX], [0, 1, 2], tiny_mnist, store=run_store)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("3 runs: 3 reused, 0 trained, ")


def test_a_new_run_among_stored_ones_shows_its_progress_and_the_summary(tiny_mnist, run_store, capsys):
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store)
    capsys.readouterr()
    runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=run_store)
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("  ")]   # train's own
    assert [line.split(":")[0] for line in lines[:2]] == ["[2/2] softmax/seed1"] * 2
    assert "training (run " in lines[0] and "trained in " in lines[1]
    assert len(lines) == 3 and lines[2].startswith("2 runs: 1 reused, 1 trained, ")


def test_a_single_stored_run_says_where_it_is_stored(tiny_mnist, run_store, capsys):
    """``fill`` asks for its runs one at a time: each stored one names its file."""
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store)
    capsys.readouterr()
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("softmax/seed0: reused ") and "(trained " in lines[0]


def test_the_summary_line():
    assert runsets.summary_line(45, 0, 0.2) == "45 runs: 45 reused, 0 trained, 0 s"
    assert runsets.summary_line(1, 1, 12.4, "x: reused y") == "1 run: 0 reused, 1 trained, 12 s"
    assert runsets.summary_line(1, 0, 0.0, "x: reused y") == "x: reused y"


def test_a_stored_run_equals_a_fresh_training(tiny_mnist, run_store):
    stored = runsets.train_many([SOFTMAX], [3], tiny_mnist, store=run_store).table
    fresh = training.train(SOFTMAX, tiny_mnist, 3).rows
    for column in ("val_accuracy", "val_loss", "train_loss", "test_accuracy"):
        np.testing.assert_array_equal(stored[column].to_numpy(), fresh[column].to_numpy())


def test_a_new_label_reuses_the_run_under_its_new_name(tiny_mnist, run_store, monkeypatch):
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store)
    calls = count_training(monkeypatch)
    renamed = runsets.train_many([dataclasses.replace(SOFTMAX, label="baseline")], [0], tiny_mnist, store=run_store)
    assert calls == []
    assert set(renamed.table["run_id"]) == {"baseline/seed0"}


def test_a_new_seed_trains_only_that_seed(tiny_mnist, run_store, monkeypatch):
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store)
    calls = count_training(monkeypatch)
    runsets.train_many([SOFTMAX], [0, 5], tiny_mnist, store=run_store)
    assert calls == ["softmax/seed5"]


def test_resume_after_an_interrupted_chapter(tiny_mnist, run_store, monkeypatch):
    real = training.train

    def dies_on_seed_2(config, mnist, seed, **kwargs):
        if seed == 2:
            raise KeyboardInterrupt  # the kernel is killed during the third run
        return real(config, mnist, seed, **kwargs)

    monkeypatch.setattr(training, "train", dies_on_seed_2)
    with pytest.raises(KeyboardInterrupt):
        runsets.train_many([SOFTMAX], [0, 1, 2], tiny_mnist, store=run_store)
    assert len(run_store.entries()) == 2  # the finished runs are kept
    monkeypatch.setattr(training, "train", real)
    calls = count_training(monkeypatch)
    runsets.train_many([SOFTMAX], [0, 1, 2], tiny_mnist, store=run_store)
    assert calls == ["softmax/seed2"]


def test_scratch_store_reads_the_record_and_writes_only_itself(tiny_mnist, tmp_path, monkeypatch):
    record = store.RunStore(tmp_path / "record")
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=record)
    scratch = store.RunStore(tmp_path / "scratch", [tmp_path / "scratch", tmp_path / "record"])
    calls = count_training(monkeypatch)
    runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=scratch)
    assert calls == ["softmax/seed1"]
    assert len(list((tmp_path / "record").rglob("*.json"))) == 1      # the record is untouched
    assert len(list((tmp_path / "scratch").rglob("*.json"))) == 1     # the new run went to scratch


# ------------------------------------------------- validation, results, data
@pytest.mark.parametrize("changes, culprit", [
    ({"learning_rate": 0}, "learning_rate=0"),
    ({"learning_rate": -1e-3}, "learning_rate=-0.001"),
    ({"learning_rate": float("nan")}, "learning_rate=nan"),
    ({"epochs": 2.5}, "epochs=2.5"),
    ({"epochs": 0}, "epochs=0"),
    ({"epochs": 1, "steps": 10}, "give exactly one budget"),
    ({"batch_size": 0}, "batch_size=0"),
    ({"optimizer": "adamw2"}, "optimizer='adamw2'"),
    ({"model_kwargs": {"activation": "nope"}}, "activation='nope'"),
])
def test_bad_training_parameters_fail_before_any_training(changes, culprit, tiny_mnist, monkeypatch):
    monkeypatch.setattr(backend, "seed_everything", lambda seed: pytest.fail("training started"))
    config = TrainConfig("lenet5", **{"model_kwargs": {"activation": "relu"}, "epochs": 1, **changes})
    with pytest.raises(ValueError) as exc:
        runsets.train_many([config], [0], tiny_mnist)
    assert culprit in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("seeds", [[], None, [1, 1], [0, -2], "0", [0.5]])
def test_bad_seed_lists_are_rejected(seeds, tiny_mnist):
    with pytest.raises(TrainConfigError, match="seeds="):
        runsets.train_many([TrainConfig("softmax", epochs=1)], seeds, tiny_mnist)


def test_training_learns_and_rows_are_tidy(tiny_mnist, tmp_path):
    results = tmp_path / "results" / "chapter.csv"
    trained = runsets.train_many([_config(), _config(label="relu_b", learning_rate=1e-3)], [0, 1],
                                  tiny_mnist, results=results, store=RunStore(tmp_path / "runs"))
    table = pd.read_csv(results)
    assert len(table) == len(trained.table) == 2 * 2 * 2  # configs x seeds x evaluations
    assert set(table["run_id"]) == {"relu/seed0", "relu/seed1", "relu_b/seed0", "relu_b/seed1"}
    assert list(table.groupby("run_id")["step"].apply(list).iloc[0]) == [8, 16]
    final = results_io.final_rows(table)
    assert final["test_accuracy"].notna().all() and table["test_accuracy"].notna().sum() == 4
    assert (final["val_accuracy"] > 0.3).all(), "a ReLU LeNet-5 should beat chance (0.1) on synthetic digits"
    assert (table["images_per_second"] > 0).all() and table["wall_seconds"].is_monotonic_increasing is not None
    assert set(trained.arrays) == set(table["run_id"])
    assert all(trained.predictions(r).shape == (64,) for r in trained.arrays)


def test_all_training_images_add_the_validation_split_and_change_the_key_not_the_code(tiny_mnist):
    from mnist_utils.runs import store
    from mnist_utils.training import train as training

    both = runsets.with_validation_in_training(tiny_mnist)
    assert len(both.train) == len(tiny_mnist.train) + len(tiny_mnist.validation)
    assert np.array_equal(both.train.images[len(tiny_mnist.train):], tiny_mnist.validation.images)
    assert both.test is tiny_mnist.test and both.validation is tiny_mnist.validation
    assert runsets.with_validation_in_training(tiny_mnist) is both   # built once: one fingerprint
    config = experiments.TrainConfig("softmax", {}, "sgd", 0.5, 32, steps=4)
    key = lambda m: store.run_key(training.run_spec(config, 0, m), store.data_fingerprint(m), backend_name="b")
    assert key(both) != key(tiny_mnist)
    assert training.run_spec(config, 0, both)["n_train"] == len(both.train)


def test_raw_pixels_are_the_files_values_and_key_their_runs_apart():
    from mnist_utils.training.data import MNIST, Split

    split = lambda n: Split(np.linspace(0, 1, n * 784, dtype=np.float32).reshape(n, 28, 28), np.zeros(n, np.int32))
    mnist = MNIST(train=split(4), validation=split(2), test=split(2))
    raw = runsets.with_raw_pixels(mnist)
    assert raw.train.images.max() == np.float32(255.0) and raw.test.images.min() == 0
    assert runsets.with_raw_pixels(mnist) is raw                         # built once: the fingerprint memo holds
    from mnist_utils.runs import store
    assert store.data_fingerprint(raw) != store.data_fingerprint(mnist)
