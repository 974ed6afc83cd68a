"""learning_rate_page: chapter 4's measures, tables, numbers and verdicts on a hand-made grid."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from mnist_utils.chapters import learning_rate_page as page

STEPS = np.arange(100, 1100, 100)          # ten evaluations, 250 steps an epoch


def curve(rate: float, seed: int) -> np.ndarray:
    """Validation accuracy per evaluation: 0.0001 climbs slowly and never reaches 0.98; 0.001
    reaches it at step 500, 0.002 at step 300 and ends higher; 0.05 sits at chance (diverged and
    stuck). Every second evaluation jumps by 0.002 (the oscillation); seed s adds 0.001 · s."""
    if rate == 0.05:
        return np.full(len(STEPS), 0.10 + 0.001 * seed)
    if rate == 0.0001:
        return np.linspace(0.80, 0.95, len(STEPS)) + 0.001 * seed
    reach, plateau = {0.001: (500, 0.985), 0.002: (300, 0.988)}[rate]
    return np.where(STEPS >= reach, plateau, 0.95) + 0.001 * seed + 0.002 * (STEPS % 200 == 0)


def results(activations=("relu", "elu"), rates=(0.0001, 0.001, 0.002, 0.05), seeds=(0, 1, 2)) -> pd.DataFrame:
    rows = []
    for a in activations:
        for rate in rates:
            for seed in seeds:
                accuracy = curve(rate, seed)
                for i, step in enumerate(STEPS):
                    rows.append({"run_id": f"{a}-{rate}-{seed}", "config": f"{a} lr={rate:g}", "seed": seed,
                                 "step": int(step), "epoch": step / 250, "val_accuracy": accuracy[i],
                                 "val_loss": 1 - accuracy[i], "train_loss": 1 - accuracy[i],
                                 "test_accuracy": accuracy[i] - 0.002, "learning_rate": rate,
                                 "model_kwargs": json.dumps({"activation": a}), "final": i == len(STEPS) - 1})
    return pd.DataFrame(rows)


def params(**overrides) -> dict:
    return {"activations": ["relu", "elu"], "learning_rates": [0.0001, 0.001, 0.002, 0.05], "seeds": [0, 1, 2],
            "epochs": 4, "oscillation_window": 4, "convergence_threshold": None, **overrides}


@pytest.fixture(scope="module")
def study():
    return page.measure(results(), params())


def test_measure_summarises_each_activation_and_rate(study):
    s = study.summary.set_index(["activation", "lr"])
    assert list(study.summary["lr"][:4]) == ["0.0001", "0.001", "0.002", "0.05"]
    assert s.loc[("relu", "0.05"), "n"] == 3
    assert s.loc[("relu", "0.05"), "val_acc_mean"] == pytest.approx(0.101)          # 0.100, 0.101, 0.102
    assert s.loc[("elu", "0.002"), "test_acc_mean"] == pytest.approx(0.988 + 0.001 + 0.002 - 0.002)   # step 1,000 jumps
    assert study.threshold == 0.98                                                     # the claims file's
    assert study.best_rate == {"relu": "0.002", "elu": "0.002"}


def test_a_threshold_parameter_replaces_the_claims_files():
    assert page.measure(results(), params(convergence_threshold=0.9)).threshold == 0.9


def test_accuracy_table_reads_as_words_with_mean_and_interval(study):
    table = page.accuracy_table(study, digits=3)
    assert list(table.columns) == ["activation", "learning rate", "seeds", "validation accuracy", "test accuracy"]
    assert table["seeds"].dtype.kind == "i"
    row = table[(table["activation"] == "ReLU") & (table["learning rate"] == "0.05")].iloc[0]
    # Three seeds: the runs themselves (an interval on two degrees of freedom could pass 0 or 1).
    assert row["validation accuracy"] == "0.101 (mean of 3 runs: 0.100, 0.101, 0.102)"
    one_seed = page.measure(results(seeds=(0,)), params(seeds=[0]))
    assert page.accuracy_table(one_seed)["validation accuracy"].iloc[-1] == "0.1000 (1 run)"


def test_speed_table_counts_reached_and_stuck_runs_in_table_order(study):
    table = page.speed_table(study)
    assert list(table.columns) == ["activation", "learning rate", "runs", "reached 0.98", "mean epochs to reach it",
                                   "stuck"]
    relu = table[table["activation"] == "relu"].set_index("learning rate")
    assert list(relu.index) == ["0.0001", "0.001", "0.002", "0.05"]
    assert relu.loc["0.002", "mean epochs to reach it"] == "1.20"      # step 300 of 250 a epoch
    assert relu.loc["0.0001", "mean epochs to reach it"] == "never"
    assert relu.loc["0.0001", "stuck"] == 0                           # still improving: slow, not stuck
    assert relu.loc["0.05", "stuck"] == 3 and relu.loc["0.05", "reached 0.98"] == 0


def test_convergence_numbers(study):
    numbers = page.convergence_numbers(study)
    assert numbers["conv_threshold"] == "0.98"
    assert numbers["n_not_converged"] == 12                          # 0.0001 and 0.05, two activations, 3 seeds
    assert numbers["stuck_sentence"].startswith("12 of 24 runs did not reach 0.98 within the budget, and 6 of them")
    assert numbers["stuck_sentence"].endswith("those are the non-converging networks of the paper.")


def test_accuracy_numbers_name_best_and_worst_and_the_grid_edge(study):
    numbers = page.accuracy_numbers(study)
    assert numbers["best_setting"] in ("relu at 0.002", "elu at 0.002")
    assert numbers["worst_setting"] == "relu at 0.05" and numbers["worst_val"] == "0.1010"
    assert numbers["lr_epochs"] == 4 and numbers["lr_n_seeds"] == 3
    assert numbers["grid_edge"] == "For every activation the best rate lies inside the grid."
    edge = page.measure(results(rates=(0.0001, 0.001, 0.002)), params(learning_rates=[0.0001, 0.001, 0.002]))
    assert "relu (best at 0.002)" in page.accuracy_numbers(edge)["grid_edge"]


def test_oscillation_table_and_numbers(study):
    table = page.oscillation_table(study)
    assert list(table.columns) == ["activation", "learning rate", "oscillation", "runs diverged"]
    relu = table[table["activation"] == "relu"].set_index("learning rate")
    assert relu.loc["0.05", "runs diverged"] == "3 of 3" and relu.loc["0.002", "runs diverged"] == "0 of 3"
    assert relu.loc["0.05", "oscillation"].startswith("0.0000 (mean of 3 runs")   # flat at chance: no jumps
    numbers = page.oscillation_numbers(study)
    assert (numbers["lr_largest"], numbers["lr_smallest"]) == ("0.05", "0.0001")
    assert numbers["shock_rate"] == "0.002"                            # the paper's largest, in the grid
    assert numbers["osc_relu"].endswith("(best rate 0.002)") and numbers["osc_elu"].endswith("(best rate 0.002)")
    assert re.match(r"[+-]\d\.\d{4} ", numbers["osc_elu_vs_relu"])


def test_one_activation_leaves_the_other_not_run():
    numbers = page.oscillation_numbers(page.measure(results(activations=("relu",)), params(activations=["relu"])))
    assert numbers["osc_elu"] == "not run"
    assert numbers["osc_elu_vs_relu"] == "not measured (needs relu and elu runs)"


def judge(study):
    """The notebook's deciding lines: each claim's evidence under its declared rule, in order."""
    checks = page.Verdicts("smoke", page.CHAPTER)
    checks.decide(page.SLOW, page.slow_evidence(study))
    for claim_id, found in ((page.LARGE, page.large_evidence(study)), (page.MINIMUM, page.minimum_evidence(study))):
        for evidence, second_look in found:
            checks.decide(claim_id, evidence, second_look=second_look)
    checks.decide(page.SHOCK, page.shock_evidence(study))
    checks.decide(page.TUNING, page.tuning_evidence(study))
    return checks


def test_judge_records_every_claim_by_its_rule(study):
    checks = judge(study)
    frame = checks.frame()
    assert list(frame["claim_id"]) == [page.SLOW, page.LARGE, page.MINIMUM, page.SHOCK, page.TUNING]
    verdict = frame.set_index("claim_id")["verdict"]
    how = frame.set_index("claim_id")["how"]
    # The best rate reached 0.98 by step 300 and 0.0001 never did, on every seed: 3 pairs, whose most
    # extreme order has an exact sign-test p of 1/8, too few to decide.
    assert verdict[page.SLOW] == "inconclusive" and "p = 0.125" in how[page.SLOW]
    # Judged at the paper's four rates: the largest, 0.002, is the best of them, so none is too large.
    assert verdict[page.LARGE] == "inconclusive" and "none of them is too large" in how[page.LARGE]
    # At the paper's rates no run is stuck; the runs at 0.05 diverged, which is not a local minimum.
    assert verdict[page.MINIMUM] == "inconclusive"
    assert frame.set_index("claim_id").loc[page.MINIMUM, "measured"].startswith("0 of 18 runs at the paper's four rates")
    assert "over-fitting: inconclusive" in how[page.MINIMUM]
    # The grid beyond the paper is a second look: every run at 0.05 diverged.
    looks = {r["claim_id"]: r["verdict"] for r in checks.second_looks}
    assert looks[page.LARGE] == "reproduced" and looks[page.MINIMUM] == "inconclusive"
    # the validation-best of the paper's rates (0.002) reaches 0.98 at step 300, the baseline 0.001 at step 500
    assert "relu: lr 0.002 (validation-best of the paper's four) vs 0.001" in frame.iloc[-1]["measured"]
    assert page.verdict_numbers(checks) == {"shock_verdict": verdict[page.SHOCK], "large_verdict": "inconclusive",
                                            "tuning_verdict": verdict[page.TUNING]}


def test_one_rate_is_not_testable():
    one = page.measure(results(rates=(0.001,)), params(learning_rates=[0.001]))
    verdict = judge(one).frame().set_index("claim_id")["verdict"]
    assert verdict[page.SLOW] == verdict[page.LARGE] == verdict[page.SHOCK] == verdict[page.TUNING] == "not testable"


def test_verdict_table_shows_the_claim_in_words(study):
    table = page.verdict_table(judge(study).frame())
    assert list(table.columns) == ["claim", "measured", "verdict"]
    assert table["claim"].iloc[0] == "Too small a learning rate converges slowly"
    assert not table["claim"].str.contains(r"wang2020\.").any()


def test_figures_fit_the_page(study):
    import matplotlib.pyplot as plt

    for fig in (page.curves_figure(study), page.accuracy_figure(study)):
        assert fig.get_size_inches()[0] <= 8
        plt.close(fig)
    fig = page.curves_figure(study)
    assert len(fig.axes) == 2 and fig.axes[0].get_title().startswith("relu")
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    plt.close(fig)
