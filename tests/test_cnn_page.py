"""Chapter 6's page module: reader-ready tables, the numbers its prose cites, and the verdicts
recorded in the chapter's order, on small hand-made frames (no training)."""
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from mnist_utils.chapters import cnn_ablations, cnn_claims, cnn_errors, cnn_gpu, cnn_page
from mnist_utils.core import claims
from mnist_utils.judging.verdicts import Verdicts
from mnist_utils.runs import probes

PAPER = claims.values("liu_fu.cnn.accuracy")
PARAMS = {"seeds": [0, 1, 2], "widths": [16, 32, 32], "learning_rate": 0.0001, "batch_size": 50, "steps": 20000,
          "test_every": 2500, "eval_every": 500, "sensitivity_seeds": [0, 1], "final_configuration": "",
          "train_size": 0, "ablations": ["no_batch_norm", "no_dropout"], "ablation_steps": 5000,
          "ablation_seeds": [0, 1], "probe_checkpoints": 3, "digits": 2, "brief_tables": False}


class FakeTrained:
    def __init__(self, table):
        self.table = table


def finals(accuracies, config="improved CNN", val=None):
    return pd.DataFrame({"run_id": [f"{config}/seed{s}" for s in range(len(accuracies))], "config": config,
                         "seed": np.arange(len(accuracies)), "test_accuracy": accuracies,
                         "val_accuracy": val if val is not None else accuracies})


def test_seed_table_puts_the_papers_five_beside_ours_and_rounds_to_the_declared_digits():
    final = finals([0.98471, 0.98382, 0.98576], val=[0.98861, 0.98762, 0.98583])
    table = cnn_page.seed_table(final, PARAMS)
    assert list(table.columns) == ["seed", "validation accuracy", "test accuracy", "Liu & Fu Table 2 (paper)"]
    assert table["seed"].tolist() == [0, 1, 2] and table["seed"].dtype.kind == "i"
    assert table["test accuracy"].tolist() == [0.98, 0.98, 0.99]
    assert table["Liu & Fu Table 2 (paper)"].tolist() == [round(v, 2) for v in PAPER[:3]]
    longer = cnn_page.seed_table(finals([0.99] * 7), {**PARAMS, "digits": 4}, validation=False)
    assert "validation accuracy" not in longer
    assert longer["Liu & Fu Table 2 (paper)"].isna().tolist() == [False] * 5 + [True] * 2


def test_setup_numbers_cite_mean_range_budget_and_epochs():
    final = finals([0.98, 0.99, 1.0])
    numbers = cnn_page.setup_numbers(final, PARAMS, n_train=55000)
    assert numbers["cnn_best"] == "1.0000" and numbers["cnn_n"] == 3
    assert numbers["cnn_steps"] == "20,000" and numbers["cnn_epochs"] == f"{20000 * 50 / 55000:.1f}" == "18.2"
    # Three runs: the runs themselves, not an interval on two degrees of freedom (which would pass 1).
    assert numbers["cnn_measured"] == "0.9900 (mean of 3 runs: 0.9800, 0.9900, 1.0000)"
    assert numbers["cnn_paper_range"] == f"{min(PAPER):.4f}–{max(PAPER):.4f}"
    assert numbers["cnn_widths"] == "16/32/32" and numbers["cnn_rate"] == "0.0001"
    assert numbers["cnn_test_every"] == "2,500" and numbers["grid_n"] == 2 and numbers["grid_seeds"] == "0, 1"
    assert cnn_page.setup_numbers(final, {**PARAMS, "test_every": 0}, 55000)["cnn_test_every"] == \
        "(no intermediate tests)"


def test_budget_table_shows_integer_iterations_and_counts_each_run_once_per_step():
    results = pd.DataFrame({"run_id": ["a", "a", "a", "b", "b", "b"], "step": [2500.0, 2500.0, 5000.0] * 2,
                            "test_accuracy": [0.96, 0.96, 0.98, 0.97, 0.97, 0.99]})
    table = cnn_page.budget_table(results)
    assert table["iterations"].tolist() == ["2,500", "5,000"]
    assert table["n"].tolist() == [2, 2]   # the duplicated row of run a at 2,500 counts once
    assert table["mean test accuracy"].tolist() == [0.965, 0.985]
    assert list(table.columns) == ["iterations", "n", "mean test accuracy", "± (95% CI)"]


def pileup_frame():
    return pd.DataFrame({"run_id": ["cnn/seed0", "cnn/seed1", "cosine/seed0"], "configuration": ["cnn", "cnn", "cosine"],
                         "test_accuracy": [0.98, 0.985, 0.995], "errors": [200, 150, 50],
                         "most_predicted_wrong": [5, 2, 8], "share": [0.5, 0.2, 0.32],
                         "last_checkpoints": ["0.97, 0.98, 0.98", "x", "y"], "checkpoint_range_pp": [1.0, 0.25, 0.1]})


def test_pileup_numbers_name_the_worst_training_and_count_those_over_30_percent():
    numbers = cnn_errors.pileup_numbers(pileup_frame())
    assert numbers["pileup_worst"] == "cnn/seed0 answers 5 in 50% of its 200 errors"
    assert numbers["pileup_n"] == "2 of 3"
    assert numbers["pileup_checkpoints"] == "1.00"
    assert numbers["pileup_by_configuration"] == "cnn: at most 50% over 2 trainings; cosine: at most 32% over 1 trainings"


def test_pileup_table_has_reader_columns():
    table = cnn_errors.pileup_table(pileup_frame(), PARAMS)
    assert list(table.columns) == list(cnn_errors.PILEUP_COLUMNS.values())
    assert not any("_" in c for c in table.columns)


def test_pileup_skips_sets_not_trained_and_counts_a_stored_run_once(monkeypatch):
    def error_pileup(trained, final, labels):
        return final.assign(run_key=final["run_id"].str[-5:])
    monkeypatch.setattr(cnn_page.measures, "error_pileup", error_pileup)
    a = finals([0.9, 0.9], config="improved CNN")
    b = finals([0.9], config="grid, constant")   # its seed 0 has the key of a's seed 0
    table = cnn_errors.pileup([(object(), a), (None, a), (object(), b)], np.zeros(3))
    assert table["run_id"].tolist() == ["improved CNN/seed0", "improved CNN/seed1"]
    assert table["configuration"].tolist() == ["improved CNN", "improved CNN"]


def probed_frame():
    rows = []
    for run, accuracies, shares in (("r0", [0.98, 0.987], [0.4, 0.48]), ("r2", [0.96, 0.986], [0.3, 0.56])):
        for step, acc, share in zip((19500, 20000), accuracies, shares):
            rows.append({"run_id": run, "variant": probes.VARIANTS[0], "step": step, "test_accuracy": acc, "share": share})
        rows.append({"run_id": run, "variant": probes.VARIANTS[1], "step": 20000, "test_accuracy": acc + 0.004,
                     "share": 0.2})
        rows.append({"run_id": run, "variant": probes.VARIANTS[2], "step": 20000, "test_accuracy": acc + 0.006,
                     "share": 0.16})
    frame = pd.DataFrame(rows)
    return frame.assign(errors=100, most_predicted_wrong=5, differs_from_stored=3)


def test_probe_numbers_compare_each_variant_with_the_last_checkpoint_as_trained():
    numbers = cnn_errors.probe_numbers(probed_frame(), PARAMS)
    assert numbers["probe_k"] == 3 and numbers["probe_every"] == "500"
    assert numbers["probe_reestimated"] == ("r0 0.9870 → 0.9910 (top wrong digit 48% → 20% of the errors); "
                                            "r2 0.9860 → 0.9900 (top wrong digit 56% → 20% of the errors)")
    assert numbers["probe_averaged"].startswith("r0 0.9870 → 0.9930 (top wrong digit 48% → 16%")
    assert numbers["probe_spread"] == "2.60"   # r2's checkpoints: 0.960 and 0.986
    assert numbers["probe_mean_change"].startswith("statistics re-estimated, test accuracy +0.40 pp and share of "
                                                   "the top wrong digit -32 pp")


def test_without_probes_the_numbers_and_the_table_say_so():
    empty = pd.DataFrame(columns=["run_id", "variant", "step"])
    numbers = cnn_errors.probe_numbers(empty, PARAMS)
    assert numbers["probe_spread"] == numbers["probe_averaged"] == "not probed in this profile"
    assert isinstance(cnn_errors.probe_table(empty, PARAMS), str) and cnn_errors.probe_figure(empty) is None


def test_probe_table_reads_as_words_with_integer_iterations():
    table = cnn_errors.probe_table(probed_frame(), PARAMS)
    assert "predictions unlike the stored run" in table and "differs_from_stored" not in table
    assert table["iteration"].iloc[0] == "19,500"


def stored_frame():
    return pd.DataFrame({"set-up": ["A", "A", "B", "C"], "seed": [0, 1, 0, 0],
                         "schedule": ["constant 0.0001", "constant 0.0001", "cosine 0.001", "constant 0.0001"],
                         "without": ["-", "-", "-", "batch norm"], "test_accuracy": [0.98, 0.99, 0.995, 0.97],
                         "share": [0.5, 0.3, 0.2, 0.25]})


def test_stored_numbers_take_the_largest_share_per_schedule_and_without_batch_norm():
    numbers = cnn_errors.stored_numbers(stored_frame())
    assert numbers == {"pileup_constant": "50%", "pileup_cosine": "20%", "pileup_runs": 4,
                       "pileup_no_bn": "25% over 1 trainings"}
    cosine_only = cnn_errors.stored_numbers(stored_frame().iloc[[2]])
    assert cosine_only["pileup_constant"] == "none stored" and cosine_only["pileup_no_bn"] == "not stored"


def test_setup_table_puts_the_largest_pileup_first():
    table = cnn_errors.setup_table(stored_frame())
    assert table["set-up"].tolist() == ["A", "C", "B"]
    assert table["runs"].tolist() == [2, 1, 1] and table["mean test accuracy"].iloc[0] == 0.985
    assert not any("_" in c for c in table.columns)


def ablation_rows():
    rows = []
    for config, accuracies in (("improved CNN", [0.98, 0.99]), ("no_batch_norm", [0.96, 0.965]),
                               ("no_dropout", [0.975, 0.985])):
        for seed, acc in enumerate(accuracies):
            rows.append({"run_id": f"{config}/seed{seed}", "config": config, "seed": seed, "step": 5000,
                         "test_accuracy": acc, "images_per_second": 400.0 + seed + (config == "no_dropout") * 40})
    return pd.DataFrame(rows)


def test_ablation_table_names_ablations_in_words_and_gives_integer_speeds(monkeypatch):
    monkeypatch.setattr(cnn_page, "final_rows", lambda table: table)
    table = cnn_ablations.ablation_table(FakeTrained(ablation_rows()), finals([0.9]), PARAMS)
    assert list(table.columns) == ["ablation", "n", "iterations", "test accuracy", "Δ vs full (pp)",
                                   "95% CI from (pp)", "95% CI to (pp)", "images/s"]
    assert table["ablation"].tolist() == ["without batch norm", "without dropout"]
    assert table["n"].tolist() == [2, 2] and table["iterations"].tolist() == ["5,000", "5,000"]
    assert table["Δ vs full (pp)"].tolist() == [pytest.approx(-2.25), pytest.approx(-0.5)]
    assert table["images/s"].tolist() == ["400", "440"]   # medians of 400, 401 and 440, 441, rounded
    brief = cnn_ablations.ablation_table(FakeTrained(ablation_rows()), finals([0.9]), {**PARAMS, "brief_tables": True})
    assert list(brief.columns) == ["ablation", "n"]
    assert cnn_ablations.ablation_table(None, finals([0.9]), PARAMS).empty


def test_gpu_ablation_numbers_word_each_effect_or_say_not_run():
    gpu = {"ablated": ablation_rows(), "params": {"ablations": ["no_batch_norm"]}}
    numbers = cnn_gpu.gpu_ablation_numbers(gpu)
    assert numbers["gpu_no_batch_norm"].startswith("-2.25 percentage points (95% CI ")
    assert numbers["gpu_no_batch_norm"].endswith("n = 2)")
    assert numbers["gpu_no_dropout"] == "not run"
    table = cnn_gpu.gpu_ablation_table(gpu)
    assert table["ablation"].tolist() == ["without batch norm"] and "images/s" not in table


def test_gpu_seed_table_aligns_seeds_and_leaves_missing_ones_empty():
    gpu = {"full": pd.DataFrame({"seed": [0, 2], "test_accuracy": [0.991, 0.990]}), "params": {"widths": [32, 64, 64]}}
    table = cnn_gpu.gpu_seed_table(finals([0.98, 0.97, 0.96]), gpu, PARAMS)
    assert list(table.columns) == ["seed", "widths 16/32/32 (this page)", "widths 32/64/64 (GPU)",
                                   "Liu & Fu Table 2 (paper)"]
    assert table["seed"].tolist() == [0, 1, 2]
    assert table["widths 32/64/64 (GPU)"].isna().tolist() == [False, True, False]


def decide_all(checks, found: dict, second_look: bool = False) -> None:
    """The notebook's deciding lines for ``found`` (``cnn_claims``: claim id -> evidence)."""
    for claim_id, evidence in found.items():
        checks.decide(claim_id, evidence, second_look=second_look)


def test_the_final_five_are_judged_mean_then_best_of_record_and_their_numbers_read_it(monkeypatch):
    monkeypatch.setattr(cnn_claims, "judged_ran", lambda params, sets, mnist: "cosine from 1e-3, 60,000 images")

    class AllImages:       # the final five's run set: its data are all 60,000 training images
        def data(self, mnist):
            return SimpleNamespace(train=SimpleNamespace(head=lambda n: range(60000)))

    sets, params = {cnn_page.FINAL_FIVE: AllImages()}, {**PARAMS, "final_configuration": "cosine from 1e-3"}
    five, checks = finals([0.9955, 0.9948, 0.9944]), Verdicts("smoke", cnn_page.CHAPTER)
    decide_all(checks, cnn_claims.final_five(five, params, sets, None))
    rows = checks.frame()
    assert rows["claim_id"].tolist() == ["liu_fu.cnn.accuracy", "liu_fu.cnn.best_accuracy"]
    assert set(rows["finding"]) == {cnn_page.CHOSEN}            # the validation-chosen schedule, of record
    assert rows["measured"].iloc[1] == "best of 3: 0.9955" and rows["budget"].iloc[0] == "cosine from 1e-3, 60,000 images"
    # All three lie above the paper's best training: the verdict's explanation and the headline say so.
    assert rows["explanation"].iloc[0] == "3 of 3 above the paper's best (0.9938)"
    numbers = cnn_page.final_numbers(five, "cosine from 1e-3", params, sets, None, checks)
    assert numbers["grid_agrees"] == "The final five below train it." and numbers["final_best"] == "0.9955"
    assert numbers["cnn_verdict"] == checks.recorded("liu_fu.cnn.accuracy") != "not tested"
    assert numbers["cnn_margin"] == checks.recorded("liu_fu.cnn.accuracy", "margin")
    assert numbers["final_above_best"] == "3 of these 3 trainings lie above the best of the paper's five (0.9938)."
    other = cnn_page.final_numbers(five, "constant 1e-3", params, sets, None, checks)
    assert "not the validation choice" in other["grid_agrees"]
    # Without a final five the tutorial set-up's verdicts are the record: nothing to decide here.
    assert cnn_claims.final_five(five, PARAMS, {}, None) == {}
    none = cnn_page.final_numbers(five, "", PARAMS, {}, None, Verdicts("smoke", cnn_page.CHAPTER))
    assert none["grid_chosen"] == "none (no grid ran)" and "has not trained the final five" in none["grid_agrees"]


def test_the_tutorial_set_up_is_the_claims_other_finding_beside_a_chosen_schedule():
    tutorial = finals([0.9850, 0.9862, 0.9857, 0.9870, 0.9845])
    checks = Verdicts("smoke", cnn_page.CHAPTER)
    decide_all(checks, cnn_claims.tutorial(tutorial, PARAMS, n_train=55000), second_look=True)
    assert not checks.rows and [(r["claim_id"], r["finding"]) for r in checks.second_looks] == [
        ("liu_fu.cnn.accuracy", cnn_page.TUTORIAL), ("liu_fu.cnn.best_accuracy", cnn_page.TUTORIAL)]
    assert checks.second_looks[0]["budget"] == ("Adam at a constant 0.0001, 55,000 images; 20,000 iterations of 50 "
                                                "images, widths 16/32/32")
    numbers = cnn_page.tutorial_numbers(checks)
    assert numbers["tutorial_verdict"] == checks.second_looks[0]["verdict"]
    assert numbers["tutorial_why"] == checks.second_looks[0]["how"]     # read from the record, never judged again
    assert "Welch" in numbers["tutorial_why"] and "90% CI" in numbers["tutorial_why"]
    alone = Verdicts("smoke", cnn_page.CHAPTER)       # no chosen schedule: the tutorial set-up is the record
    decide_all(alone, cnn_claims.tutorial(tutorial, PARAMS, n_train=55000))
    assert len(alone.rows) == 2 and not alone.second_looks


def test_the_grid_judges_each_point_as_a_second_look_and_its_table_marks_the_choice():
    grid_final = pd.concat([finals([0.988, 0.987], "improved CNN, constant 1e-4", val=[0.988, 0.988]),
                            finals([0.995, 0.994], "improved CNN, cosine from 1e-3", val=[0.995, 0.996])])
    sensitivity = [{"name": "constant 1e-4", "learning_rate": 0.0001},
                   {"name": "cosine from 1e-3", "learning_rate": 0.001}]
    tutorial, checks = finals([0.985, 0.986]), Verdicts("smoke", cnn_page.CHAPTER)
    for evidence in cnn_claims.grid_points(grid_final, tutorial, PARAMS, n_train=55000).values():
        checks.decide("liu_fu.cnn.accuracy", evidence, second_look=True)
    assert [r["claim_id"] for r in checks.second_looks] == ["liu_fu.cnn.accuracy"] * 2 and not checks.rows
    table = cnn_page.grid_table(grid_final, tutorial, {**PARAMS, "sensitivity": sensitivity})
    assert table["chosen"].tolist() == ["", "yes", ""]
    assert table["n"].tolist() == [2, 2, 2]
    # The table's verdicts are the declared rule's, the same the second looks recorded.
    assert table["verdict on the paper's mean"].tolist()[:2] == [r["verdict"] for r in checks.second_looks]
    assert table["verdict on the paper's mean"].tolist()[-1] == "not reproduced"
    assert cnn_page.grid_table(None, finals([0.9]), PARAMS).startswith("This profile declares no grid")
    assert cnn_claims.grid_points(None, tutorial, PARAMS, 55000) == {}


def test_the_ablation_numbers_without_ablations_say_not_measured():
    no_rows = pd.DataFrame({"measurement": [], "value": []})
    checks = Verdicts("smoke", cnn_page.CHAPTER)
    checks.decide("liu_fu.cnn.factorised_kernels_speed", cnn_claims.factorised_speed(PARAMS, no_rows))
    assert cnn_claims.ablations(None, {**PARAMS, "ablations": []}) == {}     # no ablation: nothing judged
    numbers = cnn_ablations.ablation_numbers(None, {**PARAMS, "ablations": []}, checks, no_rows)
    assert numbers["ablation_status"].startswith("This profile runs no ablations")
    assert numbers["bn_gap"].startswith("not measured") and numbers["bn_generalises_verdict"] == "not tested"
    assert numbers["speed_unfactorised"] == "not measured (the benchmark has no rows for widths 16/32/32)"
    assert [r["verdict"] for r in checks.rows] == ["not testable"] and numbers["factorised_speed_verdict"] == "not testable"
