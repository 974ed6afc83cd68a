"""mnist_utils.judging.results: atomic results files, runs read as if stopped at a step, how runs stopped,
and ablation effects paired by seed."""
import numpy as np
import pandas as pd
import pytest

from mnist_utils.judging import results as results_io

pytestmark = pytest.mark.backend


def test_cut_reads_longer_runs_as_if_stopped_at_a_step():
    from mnist_utils.judging.results import cut, final_rows

    rows = pd.DataFrame({"run_id": ["a"] * 4 + ["b"] * 2, "step": [1, 2, 3, 4, 1, 2],
                         "test_accuracy": [np.nan, 0.5, np.nan, 0.9, np.nan, 0.7],
                         "final": [0.0, 0.0, 0.0, 1.0, 0.0, 1.0], "steps": [4] * 4 + [2] * 2})
    kept = cut(rows, 2)
    assert kept["step"].tolist() == [1, 2, 1, 2] and kept["steps"].tolist() == [2] * 4
    assert final_rows(kept)["test_accuracy"].tolist() == [0.5, 0.7]
    assert cut(rows, 4).equals(rows)


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


def test_stopping_tells_runs_stopped_by_patience_from_runs_at_the_cap():
    from mnist_utils.judging.results import stopping

    # Run a: best at step 2, two evaluations after it with patience 2 -> stopped by the rule.
    # Run b: still improving at its last evaluation (the cap) -> not converged.
    rows = pd.DataFrame({"run_id": ["a"] * 4 + ["b"] * 4, "config": ["x"] * 8, "seed": [0] * 4 + [1] * 4,
                         "step": [1, 2, 3, 4] * 2, "epoch": [0.5, 1.0, 1.5, 2.0] * 2, "patience": [2] * 8,
                         "final": [False, True, False, False, False, False, False, True]})
    stops = stopping(rows).set_index("run_id")
    assert stops.loc["a", "converged"] and stops.loc["a", "best_epoch"] == 1.0 and stops.loc["a", "stop_epoch"] == 2.0
    assert not stops.loc["b", "converged"] and stops.loc["b", "best_epoch"] == 2.0


def test_ablation_effects_pair_runs_by_seed_and_skip_ablations_without_shared_seeds():
    from mnist_utils.judging.results import ablation_effects

    final = pd.DataFrame({"config": ["improved CNN"] * 3 + ["no_dropout"] * 2 + ["no_batch_norm"],
                          "seed": [0, 1, 2, 2, 0, 7],
                          "test_accuracy": [0.99, 0.98, 0.97, 0.96, 0.97, 0.5]})
    table = ablation_effects(final, ["no_dropout", "no_batch_norm"])
    assert table["ablation"].tolist() == ["no_dropout"]          # seed 7 has no full-model run
    row = table.iloc[0]
    assert row["n"] == 2 and row["test accuracy"] == pytest.approx(0.965)
    # Paired by seed (seed 0: -2 pp, seed 2: -1 pp), not by position.
    assert row["Δ vs full (pp)"] == pytest.approx(-1.5)
