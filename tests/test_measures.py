"""The quantities verdicts are made from: oscillation in the unit of accuracy, divergence,
stuck runs, per-seed speed ratios with their censoring, and the ratio against its threshold."""
import numpy as np
import pandas as pd
import pytest

from mnist_utils.judging import measures, stats


def run(run_id, config, seed, val_accuracy, val_loss=None, step=100):
    n = len(val_accuracy)
    return pd.DataFrame({"run_id": run_id, "config": config, "seed": seed, "step": step * np.arange(1, n + 1),
                         "epoch": np.arange(1, n + 1) / 4, "val_accuracy": val_accuracy,
                         "val_loss": val_loss if val_loss is not None else [0.1] * n, "train_loss": [0.1] * n})


def test_oscillation_is_the_spread_of_accuracy_jumps_and_ignores_the_loss_level():
    steady = run("a", "x", 0, [0.90, 0.95, 0.97, 0.98, 0.985, 0.988])
    jumpy = run("b", "x", 0, [0.90, 0.95, 0.97, 0.93, 0.98, 0.91])
    assert measures.oscillation(jumpy, 4) > 5 * measures.oscillation(steady, 4)
    changes = np.diff([0.97, 0.93, 0.98, 0.91])
    assert measures.oscillation(jumpy, 4) == pytest.approx(np.std(changes, ddof=1))
    # The same accuracies at a hundredth of the loss: the old measure (scatter / mean loss) grew
    # a hundredfold; this one does not move.
    low_loss = run("c", "x", 0, [0.90, 0.95, 0.97, 0.93, 0.98, 0.91], val_loss=[0.001] * 6)
    assert measures.oscillation(low_loss, 4) == measures.oscillation(jumpy, 4)


def test_a_run_at_chance_or_with_a_non_finite_loss_diverged():
    assert measures.diverged(run("a", "x", 0, [0.11, 0.10, 0.098]), below=0.2)
    assert measures.diverged(run("b", "x", 0, [0.5, 0.9, 0.95], val_loss=[1.0, np.nan, 0.2]), below=0.2)
    assert not measures.diverged(run("c", "x", 0, [0.5, 0.9, 0.95]), below=0.2)


def test_stuck_runs_end_below_the_threshold_without_improving():
    results = pd.concat([run("flat", "x", 0, [0.90, 0.95, 0.9500, 0.9502]),
                         run("rising", "x", 1, [0.80, 0.85, 0.90, 0.95]),
                         run("done", "x", 2, [0.90, 0.97, 0.985, 0.99])])
    table = measures.stuck(results, threshold=0.98, late_gain_below=0.001).set_index("run_id")
    assert table["stuck"].to_dict() == {"flat": True, "rising": False, "done": False}


def test_speed_ratios_pair_seeds_and_mark_a_slow_run_that_never_arrived_as_censored():
    results = pd.concat([run("s0", "sigmoid", 0, [0.5, 0.8, 0.9, 0.97]),       # reaches 0.97 at step 400
                         run("r0", "relu", 0, [0.97, 0.98, 0.99, 0.99]),       # at step 100
                         run("s1", "sigmoid", 1, [0.5, 0.8, 0.9, 0.95]),       # never: censored at 400
                         run("r1", "relu", 1, [0.9, 0.97, 0.99, 0.99])])       # at step 200
    ratios = measures.speed_ratios(results, "sigmoid", "relu", 0.97).set_index("seed")
    assert ratios.loc[0, "ratio"] == 4 and not ratios.loc[0, "censored"]
    assert ratios.loc[1, "ratio"] == 2 and ratios.loc[1, "censored"]           # a lower bound
    curve = measures.ratio_curve(results, "sigmoid", "relu", [0.9, 0.97]).set_index("threshold")
    assert curve.loc[0.97, "mean"] == 3 and curve.loc[0.97, "censored"] == 1
    assert curve.loc[0.9, "ci_low"] == pytest.approx(stats.mean_ci([3 / 1, 3 / 1])["ci_low"], nan_ok=True)


def test_paired_values_line_up_by_seed():
    a = pd.Series([0.9, 0.8, 0.7], index=[2, 0, 1])
    b = pd.Series([0.5, 0.6], index=[0, 2])
    left, right = measures.paired(a.sort_index(), b.sort_index())
    assert left.tolist() == [0.8, 0.9] and right.tolist() == [0.5, 0.6]
    frame = pd.DataFrame({"seed": [1, 0, 0], "lr": ["a", "a", "b"], "v": [1.0, 2.0, 3.0]})
    assert measures.per_seed_where(frame, "v", lr="a").tolist() == [2.0, 1.0]


def test_error_pileup_counts_errors_by_the_digit_they_predict_and_reads_the_last_checkpoints():
    from types import SimpleNamespace

    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9] * 2)
    predicted = labels.copy()
    predicted[[0, 1, 2, 3]] = 5           # four errors, all predicting 5
    predicted[4] = 8                      # one predicting 8
    table = pd.DataFrame({"run_id": ["r"] * 4, "step": [2500, 5000, 7500, 10000],
                          "test_accuracy": [0.98, 0.99, 0.985, 0.975]})
    trained = SimpleNamespace(predictions=lambda run_id: predicted, table=table)
    final = pd.DataFrame({"run_id": ["r"], "seed": [0], "test_accuracy": [0.975]})
    row = measures.error_pileup(trained, final, labels).iloc[0]
    assert (row["errors"], row["most_predicted_wrong"], row["share"]) == (5, 5, 0.8)
    assert row["predicted 5"] == 4 and row["predicted 8"] == 1
    assert row["last_checkpoints"] == "0.9900, 0.9850, 0.9750" and row["checkpoint_range_pp"] == pytest.approx(1.5)


def test_activation_evidence_reads_any_run_set_by_activation_and_pairs_seeds():
    rows = []
    for activation, accuracy, steps_to_97 in (("sigmoid", 0.980, 600), ("relu", 0.985, 100), ("elu", 0.984, 100)):
        for seed in (0, 1, 2):
            for step in (100, 200, 400, 600):
                rows.append({"config": f"{activation} (momentum)", "seed": seed, "step": step, "epoch": step / 400,
                             "model_kwargs": f'{{"activation": "{activation}"}}',
                             "val_accuracy": 0.98 if step >= steps_to_97 else 0.5,
                             "test_accuracy": accuracy + seed * 1e-4, "val_loss": 0.05, "train_eval_loss": 0.04})
    results = measures.by_activation(pd.DataFrame(rows))
    assert set(results["config"]) == {"sigmoid", "relu", "elu"} and "relu/seed2" in set(results["run_id"])
    final = results.groupby("run_id", sort=False).tail(1)
    found = measures.activation_evidence(results, final, threshold=0.97, claimed_ratio=6)
    assert set(found) == {"wang2020.activation.relu_elu_beat_sigmoid", "wang2020.activation.elu_slightly_better",
                          "wang2020.activation.relu_converges_6x_faster", "wang2020.activation.relu_alleviates_overfitting"}
    measured, evidence = found["wang2020.activation.relu_converges_6x_faster"]
    assert list(evidence["per_seed_ratios"]) == [6.0, 6.0, 6.0] and not evidence["censored"].any()
    a, b = found["wang2020.activation.relu_elu_beat_sigmoid"][1]["pairs"]["ReLU > Sigmoid"]
    np.testing.assert_allclose(a - b, [0.005] * 3)
    # Without Sigmoid runs only the ELU-against-ReLU claim has its arms.
    no_sigmoid = results[results["config"] != "sigmoid"]
    assert set(measures.activation_evidence(no_sigmoid, final[final["config"] != "sigmoid"], 0.97, 6)) == \
        {"wang2020.activation.elu_slightly_better"}


def test_an_interpolated_crossing_lies_on_the_line_between_the_evaluations_around_it():
    rows = [{"run_id": "relu/seed0", "config": "relu", "seed": 0, "step": s, "epoch": s / 400, "val_accuracy": v}
            for s, v in [(100, 0.90), (200, 0.96), (300, 0.98), (400, 0.99)]]
    rows += [{"run_id": "sigmoid/seed0", "config": "sigmoid", "seed": 0, "step": s, "epoch": s / 400,
              "val_accuracy": 0.5 + s / 2000} for s in range(100, 1100, 100)]
    results = pd.DataFrame(rows)
    first = stats.steps_to_reach(results, 0.97).set_index("run_id")
    line = stats.steps_to_reach(results, 0.97, interpolate=True).set_index("run_id")
    assert first.loc["relu/seed0", "steps"] == 300 and line.loc["relu/seed0", "steps"] == pytest.approx(250)
    assert line.loc["relu/seed0", "bracket"] == 100
    assert line.loc["sigmoid/seed0", "steps"] == pytest.approx(940)       # 0.5 + s/2000 = 0.97
    ratios = measures.speed_ratios(results, "sigmoid", "relu", 0.97, interpolate=True)
    assert ratios.loc[0, "ratio"] == pytest.approx(940 / 250)
    # Every other evaluation dropped (200 and 400 kept): relu crosses between 200 and 400.
    assert measures.speed_ratios(results, "sigmoid", "relu", 0.97, interpolate=True, every=2).loc[0, "fast_steps"] \
        == pytest.approx(200 + 200 * (0.01 / 0.03))
    resolution = measures.ratio_resolution(results, "sigmoid", "relu", 0.97)
    assert resolution["n"] == 1 and resolution["max_change"] > 0
