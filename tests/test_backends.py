"""Training behaves the same on both Keras backends: the order of the images, early
stopping, the test-every curve, the new training options, and the chapter declarations."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mnist_utils import backend, experiments, paths, profiles, runner
from mnist_utils import results as results_io
from mnist_utils import train as training
from mnist_utils.train import TrainConfig, TrainConfigError

OTHER = {"tensorflow": "jax", "jax": "tensorflow"}[backend.name()]
OTHER_INSTALLED = importlib.util.find_spec(OTHER) is not None


def test_the_shuffled_order_is_a_fresh_permutation_per_pass_and_fixed_by_the_seed():
    order = backend.shuffled_order(10, 25, seed=7)
    assert len(order) == 25
    assert sorted(order[:10]) == list(range(10)) and sorted(order[10:20]) == list(range(10))
    assert not np.array_equal(order[:10], order[10:20])
    np.testing.assert_array_equal(order, backend.shuffled_order(10, 25, seed=7))
    assert not np.array_equal(order, backend.shuffled_order(10, 25, seed=8))


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


@pytest.mark.skipif(not OTHER_INSTALLED, reason=f"the {OTHER} backend is not installed")
def test_both_backends_train_softmax_regression_to_the_same_numbers(tiny_mnist, tmp_path):
    # Zero initialisation and the NumPy order leave only floating-point rounding between backends.
    script = tmp_path / "softmax.py"
    script.write_text(
        "import sys; sys.path.insert(0, %r)\n"
        "from tests.conftest import synthetic_digits\n"
        "from mnist_utils import train\n"
        "config = train.TrainConfig('softmax', optimizer='sgd', learning_rate=0.5, batch_size=32, steps=16, eval_every=8)\n"
        "rows = train.train(config, synthetic_digits(), seed=2).rows\n"
        "print(rows[['val_loss', 'val_accuracy']].to_json())\n" % str(paths.ROOT))
    env = {**os.environ, "KERAS_BACKEND": OTHER}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    theirs = pd.DataFrame(json.loads(out.stdout.strip().splitlines()[-1]))
    config = TrainConfig("softmax", optimizer="sgd", learning_rate=0.5, batch_size=32, steps=16, eval_every=8)
    ours = training.train(config, tiny_mnist, seed=2).rows
    np.testing.assert_allclose(ours["val_loss"].to_numpy(), theirs["val_loss"].to_numpy(), rtol=1e-4)
    np.testing.assert_array_equal(ours["val_accuracy"].to_numpy(), theirs["val_accuracy"].to_numpy())


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


# ------------------------------------------------------------------ chapters
def test_each_chapter_declares_its_runs_from_its_parameters():
    params = {name: profiles.chapter_parameters(name, "cpu") for name in experiments.TRAINING_CHAPTERS}
    paper_cnn = profiles.chapter_parameters("06_improved_cnn", "paper")
    sets = {s.name: s for s in experiments.improved_cnn(**paper_cnn)}
    cnn, ablation = sets["06_improved_cnn"], sets["06_improved_cnn_ablation"]
    # The paper profile declares the protocol's grid at its own widths, and trains it before the ablations.
    assert list(sets) == ["06_improved_cnn", "06_improved_cnn_sensitivity", "06_improved_cnn_ablation"]
    assert all(c.model_kwargs["widths"] == [32, 64, 64] for c in sets["06_improved_cnn_sensitivity"].configs)
    assert [c.steps for c in cnn.configs] == [paper_cnn["steps"]] == [20000]
    assert cnn.configs[0].test_every == paper_cnn["test_every"]
    assert len(ablation.configs) == 1 + len(paper_cnn["ablations"])
    assert {c.steps for c in ablation.configs} == {paper_cnn["ablation_steps"]}
    # Without ablations, grid or final five the chapter declares its main runs only.
    assert len(experiments.improved_cnn(**{**params["06_improved_cnn"], "ablations": [], "sensitivity": [],
                                        "final_configuration": ""})) == 1
    activations, *optimizer_arm = experiments.activation_study(**params["03_activation_study"])
    assert [s.name for s in optimizer_arm] == ["03_activation_study_extra", "03_activation_study_fully_connected",
                                               "03_activation_study_optimizer_grid", "03_activation_study_optimizer"]
    p = params["03_activation_study"]
    assert [c.name for c in activations.configs] == p["activations"] and activations.seeds == tuple(p["seeds"])
    assert all(c.patience == p["patience_epochs"] * p["evals_per_epoch"] for c in activations.configs)
    [lr] = experiments.learning_rate_study(**params["04_learning_rate_study"])
    assert len(lr) == len(params["04_learning_rate_study"]["activations"]) * len(
        params["04_learning_rate_study"]["learning_rates"]) * len(params["04_learning_rate_study"]["seeds"])


def test_chapter_five_reuses_chapter_three_baseline_runs():
    three = profiles.chapter_parameters("03_activation_study", "cpu")
    five = profiles.chapter_parameters("05_dropout", "cpu")
    baseline_set = experiments.activation_study(**three)[0]
    dropout_set, initialisation = experiments.dropout(chosen_activation="relu", chosen_learning_rate=1e-3, **five)
    sigmoid = next(c for c in baseline_set.configs if c.name == "sigmoid")
    traditional = dropout_set.configs[0]
    strip = lambda c: {**c.__dict__, "label": ""}
    assert strip(sigmoid) == strip(traditional), "same run, so the store trains it once"
    # The initialisation-only runs: the data in the first seed's order, the initial weights' seed
    # varying; the one equal to that seed is the run above (init_seed left at None: one key).
    assert initialisation.seeds == (five["seeds"][0],)
    assert [c.init_seed for c in initialisation.configs] == [None, 1, 2, 3, 4] * 2
    assert strip(initialisation.configs[0]) == strip(traditional)
    assert strip(initialisation.configs[5]) == strip(dropout_set.configs[2])


def test_dropout_choice_uses_validation_accuracy_only():
    three = pd.DataFrame({"config": ["relu", "elu"], "val_accuracy": [0.98, 0.99], "test_accuracy": [0.999, 0.5]})
    four = pd.DataFrame({"model_kwargs": ['{"activation": "elu"}', '{"activation": "elu"}', '{"activation": "relu"}'],
                         "learning_rate": [1e-3, 2e-3, 1e-3], "val_accuracy": [0.97, 0.99, 0.995],
                         "test_accuracy": [0.999, 0.1, 0.999]})
    assert experiments.dropout_choice(three, four) == ("elu", 2e-3)


def test_dropout_choice_takes_one_of_wangs_rates_not_the_larger_ones_that_test_oscillation():
    three = pd.DataFrame({"config": ["relu"], "val_accuracy": [0.99], "test_accuracy": [0.99]})
    four = pd.DataFrame({"model_kwargs": ['{"activation": "relu"}'] * 3, "learning_rate": [1e-3, 2e-3, 5e-3],
                         "val_accuracy": [0.985, 0.98, 0.99], "test_accuracy": [0.99] * 3})
    assert experiments.dropout_choice(three, four) == ("relu", 1e-3)
    # A grid without any of Wang's rates (a reader's experiment) chooses among what it has.
    assert experiments.dropout_choice(three, four[four["learning_rate"] == 5e-3]) == ("relu", 5e-3)


def test_the_command_line_trains_into_a_store_and_lists_what_is_stored(tmp_path, monkeypatch):
    store = tmp_path / "runs"
    args = ["--profile", "smoke", "--chapters", "2", "--store", str(store), "-p", "steps=20", "-p", "eval_every=10"]
    cli = [sys.executable, "-m", "mnist_utils.fill"]
    env = {**os.environ, paths.SCRATCH_ENV: str(tmp_path / "scratch")}
    trained = subprocess.run(cli + args, cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert trained.stdout.count(": trained in ") == 2 and "all runs stored" in trained.stdout
    assert len(list(store.glob("softmax/*.json"))) == 2
    listed = subprocess.run(cli + args + ["--list"], cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert listed.stdout.count(": stored (") == 2 and "missing" not in listed.stdout


def test_the_command_line_names_an_unknown_chapter():
    """A wrong argument is answered by one error line, before TensorFlow loads: where it loads,
    it prints a banner on some processors (oneDNN) that no log level silences."""
    # -X importtime lists on stderr ("import time: ... | module") every module the command imports.
    command = [sys.executable, "-X", "importtime", "-m", "mnist_utils.fill", "--chapters", "10", "--list"]
    out = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True, timeout=300)
    lines = out.stderr.splitlines()
    imported = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")}
    # What the command itself wrote: neither the import list nor a library's log lines.
    own = [line for line in lines if not line.startswith("import time:") and not runner.TF_LOG_LINE.match(line)]
    assert out.returncode == 2, out.stderr[-2000:]
    assert len(own) == 1 and own[0].startswith("error: --chapters 10: not a training chapter"), own
    assert "mnist_utils.train" in imported         # the listing works: chapters.py's own imports are in it
    assert not sorted(m for m in imported if m.split(".")[0] in ("tensorflow", "keras", "jax")), \
        "the arguments must be checked before Keras and TensorFlow load"


def test_a_deadline_starts_no_run_that_would_end_after_it(tmp_path):
    args = ["--profile", "smoke", "--chapters", "6", "--store", str(tmp_path / "runs"), "--minutes", "0.01"]
    out = subprocess.run([sys.executable, "-m", "mnist_utils.fill", *args], cwd=paths.ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "not started, it would end after the deadline" in out.stdout and "runs missing after" in out.stdout
    assert not list((tmp_path / "runs").glob("*/*.json"))


def test_shards_partition_the_missing_runs_and_a_shard_with_nothing_to_do_exits_0(tmp_path):
    cli = [sys.executable, "-m", "mnist_utils.fill", "--profile", "smoke", "--chapters", "2",
           "-p", "steps=20", "-p", "eval_every=10", "-p", "seeds=[0, 1, 2]"]
    env = {**os.environ, paths.SCRATCH_ENV: str(tmp_path / "scratch")}
    shard = lambda k, n, folder: subprocess.run(cli + ["--store", str(tmp_path / folder), "--shard", f"{k}/{n}"],
                                                cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600)
    one, two = shard(1, 2, "shard1"), shard(2, 2, "shard2")
    assert one.returncode == two.returncode == 0, (one.stderr[-1500:], two.stderr[-1500:])
    keys = lambda folder: {p.stem for p in (tmp_path / folder).glob("*/*.json")}
    assert len(keys("shard1")) == 2 and len(keys("shard2")) == 1 and not keys("shard1") & keys("shard2")
    assert "shard 1/2: 2 of 3 missing runs" in one.stdout and "shard 2/2 trains it" in one.stdout
    # Three shards of three runs, and a fourth with nothing to do: it trains nothing and succeeds.
    idle = shard(4, 4, "shard4")
    assert idle.returncode == 0 and not keys("shard4") and "0 of 3 missing runs" in idle.stdout
    bad = shard(3, 2, "bad")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].startswith("error: --shard 3/2")


def test_the_optimizer_rate_is_chosen_on_validation_a_tie_going_to_the_smaller_rate():
    grid = pd.DataFrame({"model_kwargs": ['{"activation": "relu"}'] * 3 + ['{"activation": "sigmoid"}'] * 2,
                         "learning_rate": [0.1, 0.01, 0.03, 0.01, 0.1], "val_accuracy": [0.990, 0.9897, 0.95, 0.5, 0.9],
                         "test_accuracy": [0.1, 0.1, 0.999, 0.999, 0.1]})
    assert experiments.second_rate_choice(grid) == {"relu": 0.01, "sigmoid": 0.1}   # 0.9897 ties 0.990 within 0.05 pp


def test_the_optimizer_arm_trains_its_grid_then_the_chosen_rates_with_other_seeds():
    three = {**profiles.chapter_parameters("03_activation_study", "cpu"), "extra_activations": []}
    sets = {s.name: s for s in experiments.activation_study(**{**three, "second_rates": {"relu": 0.03}})}
    grid, chosen = sets["03_activation_study_optimizer_grid"], sets["03_activation_study_optimizer"]
    assert {(c.model_kwargs["activation"], c.learning_rate) for c in grid.configs} == \
        {(a, r) for a in three["activations"] for r in three["second_learning_rates"]}
    assert {c.optimizer for c in grid.configs + chosen.configs} == {"momentum"}
    assert [(c.model_kwargs["activation"], c.learning_rate) for c in chosen.configs] == [("relu", 0.03)]
    assert chosen.seeds == tuple(three["second_seeds"])
    # The chosen rate's seed-0 run is the grid's: one key, trained once.
    strip = lambda c: {**c.__dict__, "label": ""}
    assert strip(chosen.configs[0]) in [strip(c) for c in grid.configs]
    with pytest.raises(TrainConfigError, match="second_rates=.*must map activations"):
        experiments.activation_study(**{**three, "second_rates": {"swish": 0.1}})
    with pytest.raises(TrainConfigError, match="second_optimizer='adam'"):
        experiments.activation_study(**{**three, "second_optimizer": "adam"})
