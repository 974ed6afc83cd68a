"""The run store: what changes a run's key, atomic and corrupt entries, the summary, merging
shards, fields added later."""
from __future__ import annotations

import dataclasses
import os

import pytest
from conftest import SOFTMAX

from mnist_utils.runs import runsets, store
from mnist_utils.training import train as training
from mnist_utils.training.data import MNIST, Split

pytestmark = pytest.mark.backend


# ----------------------------------------------------------------------- keys
def spec(tiny_mnist, config=SOFTMAX, seed=0, **kwargs):
    return training.run_spec(config, seed, tiny_mnist, **kwargs)


@pytest.mark.parametrize("change", [
    {"model": "lenet5"},
    {"model_kwargs": {"activation": "relu"}, "model": "lenet5"},
    {"optimizer": "adam"},
    {"learning_rate": 0.25},
    {"batch_size": 16},
    {"steps": 12, "eval_every": 4},
    {"steps": None, "epochs": 1, "eval_every": None},
    {"eval_every": 2},
])
def test_every_keyed_config_field_changes_the_key(tiny_mnist, change):
    fingerprint = store.data_fingerprint(tiny_mnist)
    base = store.run_key(spec(tiny_mnist), fingerprint, backend_name="tensorflow")
    changed = dataclasses.replace(SOFTMAX, **change)
    assert store.run_key(spec(tiny_mnist, changed), fingerprint, backend_name="tensorflow") != base


def test_seed_subsets_data_and_backend_change_the_key(tiny_mnist):
    fingerprint = store.data_fingerprint(tiny_mnist)
    key = lambda s=None, f=fingerprint, backend="tensorflow": store.run_key(s or spec(tiny_mnist), f,
                                                                            backend_name=backend)
    base = key()
    assert key(spec(tiny_mnist, seed=1)) != base
    assert key(spec(tiny_mnist, train_size=64)) != base
    assert key(spec(tiny_mnist, eval_size=16)) != base
    assert key(spec(tiny_mnist, steps_per_execution=1)) != base
    assert key(f=store.data_fingerprint(tiny_mnist, train_size=64)) != base
    assert key(backend="jax") != base
    assert key() == base


def test_the_label_is_not_part_of_the_key(tiny_mnist):
    assert spec(tiny_mnist) == spec(tiny_mnist, dataclasses.replace(SOFTMAX, label="another name"))


def test_other_images_change_the_data_fingerprint(tiny_mnist):
    other = MNIST(Split(tiny_mnist.train.images.copy(), tiny_mnist.train.labels.copy()),
                  tiny_mnist.validation, tiny_mnist.test)
    assert store.data_fingerprint(other) == store.data_fingerprint(tiny_mnist)
    other.train.images[0, 0, 0] += 0.5
    store._fingerprints.clear()
    assert store.data_fingerprint(other) != store.data_fingerprint(tiny_mnist)


# ------------------------------------------------------- atomic and corrupt
def test_a_crash_while_writing_leaves_no_entry(tiny_mnist, run_store, monkeypatch):
    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store)
    assert list(run_store.write_dir.rglob("*")) == [run_store.write_dir / "softmax"]  # no entry, no temp file
    monkeypatch.undo()
    assert len(runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store).table) == 2


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong key", "empty"])
def test_a_corrupt_entry_is_a_one_line_error_naming_it(tiny_mnist, run_store, damage):
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store)
    (entry,) = run_store.entries()
    text = entry.read_text()
    entry.write_text({"truncate": text[: len(text) // 2], "garbage": "not json",
                      "wrong key": text.replace('"key": "', '"key": "0', 1), "empty": ""}[damage])
    with pytest.raises(store.StoreError) as err:
        runsets.train_many([SOFTMAX], [0], tiny_mnist, store=run_store)
    message = str(err.value)
    assert str(entry) in message and "\n" not in message


def test_store_summary_counts_runs(tiny_mnist, run_store, capsys):
    runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=run_store)
    assert store.main([str(run_store.write_dir)]) == 0
    out = capsys.readouterr().out
    assert "2 runs" in out and "softmax: 2 runs" in out


# ------------------------------------------------------------------ merging shards
def test_merging_two_shards_adds_their_runs_once_and_again_changes_nothing(tiny_mnist, tmp_path, capsys):
    first, second, into = (store.RunStore(tmp_path / name) for name in ("shard1", "shard2", "record"))
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=first)
    runsets.train_many([SOFTMAX], [1], tiny_mnist, store=second)
    assert store.merge([first.write_dir, second.write_dir], into.write_dir) == {"added": 2, "same": 0, "conflicts": 0}
    before = {p.name: p.read_bytes() for p in into.entries()}
    assert store.main([str(into.write_dir), "--merge", str(first.write_dir), str(second.write_dir)]) == 0
    assert "0 added, 2 already there, 0 conflicts" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in into.entries()} == before
    # The merged store serves both runs: nothing is trained again.
    table = runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=into).table
    assert set(table["seed"]) == {0, 1}


def test_a_run_merged_twice_with_other_numbers_keeps_the_stored_one_and_says_so(tiny_mnist, tmp_path, capsys):
    source, into = store.RunStore(tmp_path / "shard"), store.RunStore(tmp_path / "record")
    runsets.train_many([SOFTMAX], [0], tiny_mnist, store=source)
    store.merge([source.write_dir], into.write_dir)
    (entry,) = source.entries()
    entry.write_text(entry.read_text().replace('"wall_seconds": ', '"wall_seconds": 1', 1))
    kept = next(iter(into.entries())).read_bytes()
    assert store.merge([source.write_dir], into.write_dir)["conflicts"] == 1
    assert next(iter(into.entries())).read_bytes() == kept and "conflict:" in capsys.readouterr().err
    assert store.main([str(into.write_dir), "--merge", str(tmp_path / "nowhere")]) == 2


# ------------------------------------------------- fields and code added later
def test_an_added_field_at_its_default_leaves_the_spec_and_key_as_before(tiny_mnist):
    # The spec's fields as every run stored before init_seed existed was keyed with.
    before = {"model", "model_kwargs", "optimizer", "learning_rate", "batch_size", "epochs", "steps", "eval_every",
              "patience", "test_every", "schedule", "warmup_steps", "label_smoothing", "augment", "seed", "n_train",
              "n_validation", "n_test", "steps_per_execution"}
    assert set(spec(tiny_mnist)) == before
    assert spec(tiny_mnist, dataclasses.replace(SOFTMAX, init_seed=None)) == spec(tiny_mnist)
    set_away = spec(tiny_mnist, dataclasses.replace(SOFTMAX, init_seed=3))
    assert set_away["init_seed"] == 3
    fingerprint = store.data_fingerprint(tiny_mnist)
    assert store.run_key(set_away, fingerprint) != store.run_key(spec(tiny_mnist), fingerprint)
    with pytest.raises(training.TrainConfigError, match="init_seed=-1"):
        dataclasses.replace(SOFTMAX, init_seed=-1).validate()
