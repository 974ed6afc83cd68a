"""dropout_page: chapter 5's choice, measures, tables, numbers and verdicts on hand-made runs."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mnist_utils.chapters import dropout_page as page

CONFIGS = tuple(SimpleNamespace(label=label) for label in
                ("traditional LeNet-5 (sigmoid)", "relu, no dropout", "relu + dropout (improved)"))
# Per model: test error per seed 0-4, the validation − training loss gap, training accuracy.
ERRORS = {CONFIGS[0].label: [0.020, 0.021, 0.019, 0.020, 0.020], CONFIGS[1].label: [0.010, 0.011, 0.012, 0.010, 0.012],
          CONFIGS[2].label: [0.007, 0.008, 0.006, 0.007, 0.007]}
GAPS = {CONFIGS[0].label: 0.010, CONFIGS[1].label: 0.030, CONFIGS[2].label: 0.010}
PARAMS = {"patience_epochs": 2, "max_epochs": 10, "seeds": [0, 1, 2, 3, 4], "init_seeds": [0, 1, 2, 3, 4]}


def run_rows(label: str, seed: int, error: float, gap: float, run_id: str, stop_epoch: int) -> list[dict]:
    """One run evaluated once an epoch up to ``stop_epoch``: stopped by the patience rule (2)
    before the cap (10), its best (final) weights two evaluations before the end; at the cap, one."""
    rows = []
    for epoch in range(1, stop_epoch + 1):
        rows.append({"run_id": run_id, "config": label, "seed": seed, "step": epoch * 100, "epoch": float(epoch),
                     "val_loss": 0.05 + gap + 0.001 * seed, "train_loss": 0.04, "train_eval_loss": 0.05 + 0.001 * seed,
                     "val_accuracy": 1 - error, "test_accuracy": 1 - error,
                     "train_eval_accuracy": 0.99 + 0.001 * seed + (0.005 if "improved" in label else 0.0),
                     "patience": 2, "final": epoch == stop_epoch - (2 if stop_epoch < 10 else 1)})
    return rows


def table() -> pd.DataFrame:
    rows = []
    for label, errors in ERRORS.items():
        for seed, error in enumerate(errors):
            stop = 10 if (label.startswith("traditional") and seed < 2) else 8      # two capped Sigmoid runs
            rows += run_rows(label, seed, error, GAPS[label] + 0.001 * seed * (label == CONFIGS[2].label),
                             f"{label}-{seed}", stop)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def study():
    return page.measure(table(), CONFIGS, PARAMS)


def test_choose_reads_both_chapters():
    chapter3 = pd.DataFrame({"config": ["relu", "relu", "elu", "sigmoid"], "val_accuracy": [0.99, 0.98, 0.97, 0.96]})
    chapter4 = pd.DataFrame({"learning_rate": [0.001, 0.002, 0.05, 0.002],
                             "val_accuracy": [0.98, 0.985, 0.99, 0.97],
                             "model_kwargs": [json.dumps({"activation": a}) for a in ("relu", "relu", "relu", "elu")]})
    chapter4["activation"] = [json.loads(k)["activation"] for k in chapter4["model_kwargs"]]
    choice = page.choose(chapter3, chapter4)
    assert (choice.activation, choice.learning_rate) == ("relu", 0.002)    # 0.05 is not among the paper's four
    assert list(choice.by_activation.columns) == ["activation", "mean final validation accuracy (chapter 3)"]
    assert list(choice.by_activation["activation"]) == ["ReLU", "ELU", "Sigmoid"], "named for readers"
    assert choice.by_activation.iloc[0, 1] == pytest.approx(0.985)
    assert list(choice.by_rate.columns) == ["activation", "learning rate", "mean final validation accuracy (chapter 4)"]
    assert list(choice.by_rate["learning rate"]) == ["0.05", "0.002", "0.001", "0.002"]


def test_stopping_table(study):
    table = page.stopping_table(study)
    assert list(table.columns) == ["model", "runs", "stopped before the cap", "best epoch, earliest", "best epoch, latest"]
    first = table.iloc[0]
    assert (first["model"], first["runs"], first["stopped before the cap"]) == ("traditional LeNet-5 (Sigmoid)", 5, 3)
    assert (first["best epoch, earliest"], first["best epoch, latest"]) == (6.0, 9.0)
    assert study.ran.endswith("13 of 15 runs stopped before the cap")
    assert not study.converged(CONFIGS[0]) and study.converged(CONFIGS[1], CONFIGS[2])


def test_overfitting_table(study):
    table = page.overfitting_table(study, digits=3)
    assert list(table.columns) == ["model", "seeds", "validation − training loss"]
    assert list(table["model"]) == ["traditional LeNet-5 (Sigmoid)", "ReLU, no dropout", "ReLU + dropout (improved)"]
    assert table.set_index("model").loc["ReLU, no dropout", "validation − training loss"] == "0.030"   # no spread
    assert table.set_index("model").loc["ReLU + dropout (improved)", "validation − training loss"].startswith("0.012 ± ")


def test_error_table_beside_the_papers_values(study):
    shown = page.error_table(study)
    assert list(shown.columns) == ["model", "seeds", "test error (%)", "95% CI (%)", "Wang et al. (%)"]
    assert list(shown["test error (%)"]) == ["2.00", "1.10", "0.70"]
    assert list(shown["Wang et al. (%)"]) == ["2", "—", "0.7"]
    low, high = (float(x) for x in shown["95% CI (%)"].iloc[0].split("–"))
    assert low < 2.0 < high
    assert list(page.error_table(study, measured=False).columns) == ["model", "seeds", "Wang et al. (%)"]
    one_seed = page.measure(table().query("seed == 0"), CONFIGS, PARAMS)
    assert list(page.error_table(one_seed)["95% CI (%)"]) == ["—"] * 3          # one run: no interval, never "nan"


def judge(study, choice):
    """The notebook's deciding lines: each claim's evidence under its declared rule, in order."""
    checks = page.Verdicts("smoke", page.CHAPTER)
    for claim_id, evidence in ((page.OVERFITTING, page.overfitting_evidence), (page.REDUCTION, page.reduction_evidence),
                               (page.BETTER, page.better_evidence), (page.INITIALISATION, page.initialisation_evidence),
                               (page.TRAINING, page.training_evidence), (page.SPEED, page.speed_evidence)):
        checks.decide(claim_id, evidence(study))
    return checks, page.numbers(study, choice, checks)


def test_judge_records_the_claims_in_order_and_the_numbers_of_the_prose(study):
    checks, numbers = judge(study, page.Choice("relu", 0.002, None, None))
    frame = checks.frame()
    assert list(frame["claim_id"]) == [page.OVERFITTING, page.REDUCTION, page.BETTER, page.INITIALISATION,
                                       page.TRAINING, page.SPEED]
    assert frame.set_index("claim_id").loc[page.REDUCTION, "measured"] == "2.00% → 0.70%"
    assert frame.set_index("claim_id").loc[page.BETTER, "verdict"] == "inconclusive"      # two Sigmoid runs capped
    assert numbers["chosen"] == "relu at learning rate 0.002"
    assert (numbers["err_traditional"], numbers["err_improved"]) == ("2.00%", "0.70%")
    assert (numbers["paper_before"], numbers["paper_after"]) == ("2%", "0.7%")
    assert numbers["gap_diff"].replace("−", "-").startswith("-0.0180 ")     # 0.012 with dropout, 0.030 without
    assert numbers["train_gain"].startswith("+0.50 pp")
    assert numbers["reduction_verdict"] == frame.set_index("claim_id").loc[page.REDUCTION, "verdict"]
    for key in ("err_diff_pp", "dropout_overfit_verdict", "init_spread", "init_verdict", "training_accuracy_verdict",
                "convergence_speed_verdict",
                "reduction_margin", "reduction_why", "lecun_lenet5", "lecun_boosted"):
        assert numbers[key], key


def test_initialisation_runs_parsed_and_judged_as_a_second_look(study):
    varied = table()
    varied["config"] = varied["config"] + ", init " + varied["seed"].astype(str)
    varied["seed"] = 0
    final = page.initialisation_final(varied)
    assert set(final["model"]) == {c.label for c in CONFIGS} and sorted(set(final["init_seed"])) == [0, 1, 2, 3, 4]
    shown = page.initialisation_table(varied, digits=3)
    assert list(shown.columns) == ["model", "seeds", "test accuracy (mean)", "sd", "95% CI"]
    assert shown.set_index("model").loc[page.model_name(CONFIGS[2].label), "test accuracy (mean)"] == 0.993
    checks, _ = judge(study, page.Choice("relu", 0.002, None, None))
    only = varied[varied["config"].str.startswith(("traditional", "relu +"))]
    checks.decide(page.INITIALISATION, page.initialisation_only_evidence(study, only), second_look=True)
    numbers = page.initialisation_numbers(study, only, checks)
    assert numbers["init_only_spread"] == "1.00"                  # both models: sd of the same errors' spread
    assert len(checks.second_looks) == 1 and checks.second_looks[0]["claim_id"] == page.INITIALISATION
    assert numbers["init_only_verdict"] == checks.second_looks[0]["verdict"]
    assert checks.second_looks[0]["budget"].startswith("init seeds 0, 1, 2, 3, 4, data order of seed 0, ")
    assert page.initialisation_only_evidence(study, None) is None
    assert page.initialisation_numbers(study, None, checks) == {"init_only_spread": "not measured (init_seeds is empty)",
                                                                 "init_only_verdict": "not judged"}


def test_the_error_interval_stays_within_0_and_100_percent_and_few_runs_have_none():
    wide = table()
    near_zero = wide["config"] == CONFIGS[2].label
    wide.loc[near_zero, "test_accuracy"] = 1 - wide.loc[near_zero, "seed"].map({0: 0.0001, 1: 0.03, 2: 0.0002,
                                                                                 3: 0.0001, 4: 0.0003})
    shown = page.error_table(page.measure(wide, CONFIGS, PARAMS))
    low, high = (float(x) for x in shown["95% CI (%)"].iloc[2].split("–"))
    assert 0 <= low < high <= 100, "a t-interval of these errors would start below 0%"
    three = page.measure(table().query("seed < 3"), CONFIGS, PARAMS)
    assert list(page.error_table(three)["95% CI (%)"]) == ["—"] * 3


def test_the_error_reduction_is_told_in_the_error_s_own_sign(study):
    checks, _ = judge(study, page.Choice("relu", 0.002, None, None))
    ends = page.reduction_numbers(study, checks)["reduction_ends"]
    before, after = ends.split("; ")
    assert before.startswith("before, ") and "our error − the paper's 2% = 0.00 pp" in before
    assert after.startswith("after, ") and "our error − the paper's 0.7% = 0.00 pp" in after
    worse = table()
    worse.loc[worse["config"] == CONFIGS[2].label, "test_accuracy"] -= 0.002      # 0.9% error: 0.2 pp more than 0.7%
    worse_study = page.measure(worse, CONFIGS, PARAMS)
    checks, _ = judge(worse_study, page.Choice("relu", 0.002, None, None))
    after = page.reduction_numbers(worse_study, checks)["reduction_ends"].split("; ")[1]
    assert "= +0.20 pp (95% CI +" in after, "more errors than the paper: a positive difference"
    verdict = checks.recorded(page.REDUCTION, "how").split("after: ")[1].split(" (")[0]
    assert after.startswith(f"after, {verdict}: ")


def test_figures_fit_the_page_and_mark_the_papers_values(study):
    import matplotlib.pyplot as plt

    curves = page.curves_figure(study)
    assert curves.get_size_inches()[0] <= 8 and len(curves.axes) == 2
    plt.close(curves)
    errors = page.error_figure(study)
    assert errors.get_size_inches()[0] <= 8
    diamonds = [line for line in errors.axes[0].lines if line.get_marker() == "D"]
    assert [float(np.asarray(d.get_xdata())[0]) for d in diamonds] == [2.0, 0.7]
    plt.close(errors)


def test_a_convergence_speed_without_runs_that_reach_the_threshold_is_undecided(study, monkeypatch):
    # No run reaches 0.999: no steps to compare, so the claim is inconclusive, never an error.
    measure = page.claims.measure
    monkeypatch.setattr(page.claims, "measure", lambda claim_id: {**measure(claim_id), "threshold": 0.999}
                        if claim_id == page.SPEED else measure(claim_id))
    checks, _ = judge(study, page.Choice("relu", 0.002, None, None))
    row = checks.frame().set_index("claim_id").loc[page.SPEED]
    assert row["verdict"] == "inconclusive" and "0 seed(s) where both models reached it" in row["measured"]
