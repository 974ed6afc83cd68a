"""Models (shapes, parameter counts), parameter validation, deterministic training, results files."""
import numpy as np
import pandas as pd
import pytest

from mnist_utils import backend, models
from mnist_utils import results as results_io
from mnist_utils import runsets
from mnist_utils import train as training

from mnist_utils.store import RunStore
from mnist_utils.train import TrainConfig, TrainConfigError


def test_softmax_regression_shape_and_parameters():
    model = models.build("softmax")
    assert model.count_params() == 784 * 10 + 10
    assert model(np.zeros((3, 28, 28), np.float32)).shape == (3, 10)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "elu"])
def test_lenet5_has_lecun_layout(activation):
    model = models.build("lenet5", activation=activation)
    # C1 156 + C3 2,416 + F5 48,120 + F6 10,164 + output 850
    assert model.count_params() == 61_706
    assert model.get_layer("C1").output.shape[1:] == (28, 28, 6)
    assert model.get_layer("S4").output.shape[1:] == (5, 5, 16)
    assert model(np.zeros((2, 28, 28), np.float32)).shape == (2, 10)
    assert model.get_layer("F5").activation.__name__ == activation


def test_lenet5_dropout_sits_before_the_output_layer():
    model = models.build("lenet5", activation="relu", dropout_rate=models.dropout_rate_from_keep_prob(0.5))
    names = [layer.name for layer in model.layers]
    assert names[-2:] == ["dropout", "output"]
    assert model.get_layer("dropout").rate == pytest.approx(0.5)
    assert "dropout" not in [l.name for l in models.build("lenet5", activation="relu").layers]


@pytest.mark.parametrize("kwargs, culprit", [
    ({"activation": "swishy"}, "activation='swishy'"),
    ({"activation": "relu", "dropout_rate": 1.0}, "dropout_rate=1.0"),
    ({"activation": "relu", "pooling": "median"}, "pooling='median'"),
    ({"activation": "relu", "widths": 3}, "model='lenet5'"),
])
def test_bad_model_parameters_raise_one_line_errors(kwargs, culprit):
    with pytest.raises(models.ModelConfigError) as exc:
        models.build("lenet5", **kwargs)
    assert culprit in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("keep_prob, rate", [(0.5, 0.5), (1.0, 0.0), (0.75, 0.25), (None, 0.0)])
def test_keep_prob_is_converted_to_a_dropout_rate(keep_prob, rate):
    assert models.dropout_rate_from_keep_prob(keep_prob) == pytest.approx(rate)


@pytest.mark.parametrize("keep_prob", [0, -0.1, 1.5, "half"])
def test_bad_keep_prob_is_rejected(keep_prob):
    with pytest.raises(models.ModelConfigError, match="keep_prob="):
        models.dropout_rate_from_keep_prob(keep_prob)


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


def test_eval_interval_must_divide_the_budget(tiny_mnist):
    with pytest.raises(TrainConfigError, match="eval_every=3"):
        training.train(TrainConfig("softmax", batch_size=32, steps=8, eval_every=3), tiny_mnist, 0)


def _config(**changes):
    base = dict(model="lenet5", model_kwargs={"activation": "relu", "dropout_rate": 0.5},
                optimizer="adam", learning_rate=3e-3, batch_size=32, steps=16, eval_every=8, label="relu")
    return TrainConfig(**{**base, **changes})


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


def test_cut_reads_longer_runs_as_if_stopped_at_a_step():
    from mnist_utils.results import cut, final_rows

    rows = pd.DataFrame({"run_id": ["a"] * 4 + ["b"] * 2, "step": [1, 2, 3, 4, 1, 2],
                         "test_accuracy": [np.nan, 0.5, np.nan, 0.9, np.nan, 0.7],
                         "final": [0.0, 0.0, 0.0, 1.0, 0.0, 1.0], "steps": [4] * 4 + [2] * 2})
    kept = cut(rows, 2)
    assert kept["step"].tolist() == [1, 2, 1, 2] and kept["steps"].tolist() == [2] * 4
    assert final_rows(kept)["test_accuracy"].tolist() == [0.5, 0.7]
    assert cut(rows, 4).equals(rows)


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


def test_results_file_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "r.csv"
    results_io.write(pd.DataFrame({"a": [1]}), path)
    before = path.read_bytes()

    def explode(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", explode)
    with pytest.raises(OSError):
        results_io.write(pd.DataFrame({"a": [2]}), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


@pytest.fixture
def results_outside_the_record(tmp_path, monkeypatch):
    """Results written as a chapter outside the runner writes them: to scratch, under tmp_path."""
    from mnist_utils import paths

    monkeypatch.setattr(paths, "DATA", tmp_path)
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setenv(paths.SCRATCH_ENV, str(tmp_path / "scratch"))
    monkeypatch.delenv(paths.RECORD_ENV, raising=False)
    return tmp_path


def test_verdicts_are_recorded_per_chapter_and_read_back(results_outside_the_record):
    from mnist_utils import verdicts

    tmp_path = results_outside_the_record
    checks = verdicts.Verdicts("p", "02_softmax_baseline")
    # The paper's values and the margin come from the claims file: 0.9200 ± 0.54 pp for the softmax.
    assert checks.judge("liu_fu.softmax.accuracy", "x", sample=[0.9184, 0.9190, 0.9180], ran="1,000 steps") == "reproduced"
    assert checks.recorded("liu_fu.softmax.accuracy", "margin") == "±0.54 pp"
    with pytest.raises(Exception, match="no claim"):
        checks.judge("liu_fu.softmax.acuracy", "typo", sample=[0.9])
    # A claim judged at the paper's 20,000 iterations: 2,500 cannot refute it.
    assert checks.judge("liu_fu.cnn.accuracy", "x", sample=[0.970, 0.971, 0.969], iterations=2500) == "inconclusive"
    assert checks.judge("liu_fu.cnn.accuracy", "x", sample=[0.970, 0.971, 0.969], iterations=20000) == "not reproduced"
    with pytest.raises(ValueError, match="pass iterations="):
        checks.judge("liu_fu.cnn.accuracy", "x", sample=[0.99, 0.991])
    checks.save()
    table = verdicts.read_all("p")
    assert table.loc[0, "claim_id"] == "liu_fu.softmax.accuracy" and table.loc[0, "n"] == 3
    assert table.loc[0, "ci_low"] < 0.9185 < table.loc[0, "ci_high"] and table.loc[0, "margin"] == "±0.54 pp"
    assert table.loc[0, "budget"] == "1,000 steps" and table.loc[2, "verdict"] == "not reproduced"
    # Outside the runner the verdicts went to scratch, never to the record's folder.
    assert (tmp_path / "scratch" / "results" / "p" / "verdicts" / "02_softmax_baseline.csv").exists()
    assert not (tmp_path / "results").exists()


def test_second_looks_are_recorded_apart_and_never_reach_the_tally(results_outside_the_record):
    from mnist_utils import verdicts

    checks = verdicts.Verdicts("p", "06_improved_cnn")
    checks.judge("liu_fu.cnn.accuracy", "narrow", sample=[0.985, 0.986, 0.984], iterations=20000)
    assert checks.second_look("liu_fu.cnn.accuracy", "wide", ran="on a GPU", sample=[0.9925, 0.9930, 0.9922],
                              iterations=20000) == "reproduced"
    checks.save()
    assert verdicts.read_all("p")["measured"].tolist() == ["narrow"]
    assert verdicts.claim_ledger("p").set_index("id").loc["liu_fu.cnn.accuracy", "verdict"] == "not reproduced"
    second = verdicts.read_second_looks("p")
    assert second[["measured", "verdict", "budget"]].values.tolist() == [["wide", "reproduced", "on a GPU"]]
    # The report lists the second looks that disagree with the verdict of record.
    assert verdicts.second_look_changes("p").values.tolist() == [
        ["liu_fu.cnn.accuracy", "not reproduced", "reproduced", "on a GPU"]]
    # A rerun without the other runs removes the stale second look.
    verdicts.Verdicts("p", "06_improved_cnn").save()
    assert verdicts.read_second_looks("p").empty


def test_stopping_tells_runs_stopped_by_patience_from_runs_at_the_cap():
    from mnist_utils.results import stopping

    # Run a: best at step 2, two evaluations after it with patience 2 -> stopped by the rule.
    # Run b: still improving at its last evaluation (the cap) -> not converged.
    rows = pd.DataFrame({"run_id": ["a"] * 4 + ["b"] * 4, "config": ["x"] * 8, "seed": [0] * 4 + [1] * 4,
                         "step": [1, 2, 3, 4] * 2, "epoch": [0.5, 1.0, 1.5, 2.0] * 2, "patience": [2] * 8,
                         "final": [False, True, False, False, False, False, False, True]})
    stops = stopping(rows).set_index("run_id")
    assert stops.loc["a", "converged"] and stops.loc["a", "best_epoch"] == 1.0 and stops.loc["a", "stop_epoch"] == 2.0
    assert not stops.loc["b", "converged"] and stops.loc["b", "best_epoch"] == 2.0
