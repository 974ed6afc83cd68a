"""The second implementation beside the runs of record (chapters/second_implementation.py and
comparisons.implementations_agree): agreement within the declared margin by two one-sided tests,
per configuration, and the claim's second look on the Flax runs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_utils.chapters import second_implementation
from mnist_utils.core import claims
from mnist_utils.judging.comparisons import implementations_agree
from mnist_utils.judging.verdicts import Evidence
from mnist_utils.present import tables

KERAS = 0.99 + np.random.default_rng(0).normal(0, 0.0005, 10)


def test_the_declared_margin_is_the_protocols():
    assert second_implementation.margin() == claims.protocol("second_implementation")["agreement"]["margin"] == 0.002


@pytest.mark.parametrize("shift, verdict", [(0.0001, "agree"), (0.01, "differ"), (-0.01, "differ"), (0.0019, "undecided")])
def test_two_implementations_agree_differ_or_stay_undecided_by_their_intervals(shift, verdict):
    flax = KERAS + shift + np.random.default_rng(1).normal(0, 0.0005, 10)
    found = implementations_agree(flax, KERAS, margin=0.002, paired=False)
    assert found["verdict"] == verdict
    assert found["ci90_low"] > found["ci_low"] and found["ci90_high"] < found["ci_high"]   # 90% inside 95%


def test_the_same_numbers_up_to_a_constant_agree_when_the_constant_is_inside_the_margin():
    assert implementations_agree(KERAS + 0.001, KERAS, margin=0.002, paired=True)["verdict"] == "agree"
    assert implementations_agree(KERAS + 0.003, KERAS, margin=0.002, paired=True)["verdict"] == "differ"
    assert implementations_agree(KERAS[:1], KERAS[:1], margin=0.002, paired=True)["verdict"] == "undecided"


def _final(accuracies, config="softmax"):
    return pd.DataFrame({"config": config, "seed": range(len(accuracies)), "test_accuracy": accuracies})


def test_the_agreement_table_pairs_by_seed_on_the_seeds_both_ran():
    keras = _final(KERAS)
    flax = _final(KERAS[:4] + 0.0001).iloc[[3, 1, 0, 2]]          # four seeds, in another order
    table = second_implementation.agreement(keras, pd.concat([flax, _final([0.5], "not in keras")]), paired=True)
    assert list(table["configuration"]) == ["softmax"]               # a configuration Keras lacks is left out
    row = table.iloc[0]
    assert (row["n Keras"], row["n Flax"], row["implementations"]) == (4, 4, "agree")
    assert row["Flax − Keras (pp)"] == "+0.01"


def test_the_flax_evidence_is_the_chapters_named_as_the_second_look_of_flax():
    evidence = Evidence("0.92", {"sample": [0.92, 0.921], "ran": "1,000 steps"})
    flax = second_implementation.on_flax(evidence)
    assert flax.found["finding"] == "Flax" and flax.found["ran"].startswith("1,000 steps; Flax")
    assert flax.found["sample"] == evidence.found["sample"] and "finding" not in evidence.found
    absent = Evidence.absent("no runs")
    assert second_implementation.on_flax(absent) is absent


def test_without_flax_runs_the_prose_says_so():
    said = second_implementation.numbers("softmax", second_implementation.agreement(_final(KERAS), _final([])[:0],
                                                                                    paired=True), None, "x", 0)
    assert said["softmax_flax_verdict"].startswith("not run with these parameters") and said["softmax_flax_n"] == 0


def test_the_page_puts_each_headline_claims_flax_verdict_beside_its_keras_verdict_with_their_n(
        results_outside_the_record):    # a rerun's results, in scratch, would be read first
    table = second_implementation.agreement(_final(KERAS), _final(KERAS + 0.0001), paired=True)
    second_implementation.save(table, "cpu", "02_softmax_baseline")
    agreements = second_implementation.read_all("cpu")
    assert list(agreements["chapter"]) == ["02_softmax_baseline"]
    assert agreements["diff"].iloc[0] == pytest.approx(0.0001)      # the numbers a figure draws read back as numbers
    looks = pd.DataFrame({"claim_id": ["liu_fu.softmax.accuracy"] * 2 + ["wang2020.lenet5.baseline_accuracy"],
                          "chapter": ["02_softmax_baseline"] * 2 + ["03_activation_study"],
                          "finding": ["Flax", "on JAX", "Flax"], "n": [5, 5, 5],
                          "verdict": ["inconclusive", "not reproduced", "reproduced"],
                          "measured": ["0.9200 ± 0.0010 (n = 5)", "x", "0.9861 (n = 5)"]})
    record = pd.DataFrame({"claim_id": ["liu_fu.softmax.accuracy", "wang2020.activation.relu_elu_beat_sigmoid"],
                           "verdict": ["reproduced", "partially reproduced"], "n": [20, None],
                           "measured": ["0.9176 (n = 20)", "against Sigmoid, paired, n = 20: …"],
                           "look": ["", "decided at look 1 of 3 (n = 10, α = 0.025 per look)"]})
    page = second_implementation.claims_table(record, looks, agreements).set_index("claim")
    softmax = page.loc[tables.claim_label("liu_fu.softmax.accuracy")]       # the look of another finding is not Flax's
    assert (softmax["Keras"], softmax["Flax"]) == ("reproduced (n = 20)", "inconclusive (n = 5)")
    assert softmax["implementations (Flax − Keras, pp)"] == "softmax: agree (+0.01)"
    order = page.loc[tables.claim_label("wang2020.activation.relu_elu_beat_sigmoid")]
    assert order["Keras"] == "partially reproduced (n = 10)"                # the look that decided it, not all runs
    assert order["Flax"].startswith("not run")
    assert len(page) == len(claims.protocol("second_implementation")["claims"])   # every headline claim, once
    said = second_implementation.page_numbers(agreements, looks, second_implementation.read_momentum_answer("cpu"))
    assert said["flax_configurations"] == "1 configuration agree" and said["flax_seed_counts"] == "5"
    assert "no answer yet" in said["flax_cnn_state"]
    assert second_implementation.read_all("paper").empty


def test_a_claim_with_two_set_ups_shows_each_set_ups_own_comparison(results_outside_the_record):
    tutorial = second_implementation.agreement(_final(KERAS, "improved CNN"), _final(KERAS + 0.004, "improved CNN"),
                                               paired=False)
    chosen = second_implementation.agreement(_final(KERAS, "chosen"), _final(KERAS, "chosen"), paired=False)
    second_implementation.save(pd.concat([tutorial.assign(**{second_implementation.SETUP: "the tutorial set-up"}),
                                          chosen.assign(**{second_implementation.SETUP: "the chosen schedule"})]),
                               "cpu", "06_improved_cnn")
    looks = pd.DataFrame({"claim_id": ["liu_fu.cnn.accuracy"] * 2, "chapter": ["06_improved_cnn"] * 2,
                          "finding": ["Flax: the tutorial set-up", "Flax: the chosen schedule"], "n": [3, 3],
                          "verdict": ["inconclusive", "reproduced"], "measured": ["0.9895", "0.9945"]})
    page = second_implementation.claims_table(pd.DataFrame(columns=["claim_id", "verdict"]), looks,
                                              second_implementation.read_all("cpu")).set_index("claim")
    said = lambda setup: page.loc[f"{tables.claim_label('liu_fu.cnn.accuracy')} ({setup})",
                                  "implementations (Flax − Keras, pp)"]
    assert said("the tutorial set-up").startswith("improved CNN: ") and "chosen" not in said("the tutorial set-up")
    assert said("the chosen schedule") == "chosen: agree (+0.00)"


def test_the_page_cites_the_momentum_answer_chapter_6_saved_and_loses_it_when_a_rerun_does_not_run_it(
        results_outside_the_record):
    from mnist_utils.core import paths
    from mnist_utils.judging import stats

    base = np.array([0.985, 0.986, 0.984])
    momentum = {"accuracy": stats.difference(base + 0.001, base, paired=True),
                "share": stats.difference(base, base, paired=True),
                "range": stats.difference(base - 0.002, base, paired=True), "other": 0.9}
    second_implementation.save_momentum(momentum, "test accuracy +0.10 pp: the momentum matters.", "cpu")
    saved = pd.read_csv(paths.find_bn_momentum("cpu")).iloc[0]
    assert saved[["accuracy_diff", "share_diff", "range_diff"]].round(4).tolist() == [0.001, 0.0, -0.002]
    assert second_implementation.read_momentum_answer("cpu") == "test accuracy +0.10 pp: the momentum matters."
    looks = pd.DataFrame({"claim_id": ["liu_fu.cnn.accuracy"], "chapter": ["06_improved_cnn"],
                          "finding": ["Flax: the tutorial set-up"], "n": [3], "verdict": ["reproduced"],
                          "measured": ["0.99 (n = 3)"]})
    said = second_implementation.page_numbers(second_implementation.read_all("cpu"), looks,
                                              second_implementation.read_momentum_answer("cpu"))
    assert said["flax_cnn_state"] == "test accuracy +0.10 pp: the momentum matters"   # the page's sentence ends it
    assert "not the ablation's second momentum" in second_implementation.page_numbers(
        second_implementation.read_all("cpu"), looks, None)["flax_cnn_state"]
    second_implementation.save_momentum({"accuracy": None, "share": None, "range": None, "other": None}, "", "cpu")
    assert second_implementation.read_momentum_answer("cpu") is None


def test_the_figure_draws_the_tables_90_percent_interval():
    table = second_implementation.agreement(_final(KERAS), _final(KERAS + 0.0005 + np.random.default_rng(2).normal(
        0, 0.0005, 10)), paired=False).assign(chapter="03_activation_study")
    figure = second_implementation.differences_figure(table)
    drawn = figure.axes[0].lines[0].get_xdata()
    assert drawn[0] == pytest.approx(table["diff"].iloc[0] * 100)
    (low, _), (high, _) = figure.axes[0].collections[0].get_segments()[0]
    assert (low, high) == pytest.approx((table["ci90_low"].iloc[0] * 100, table["ci90_high"].iloc[0] * 100))
    assert second_implementation.readable(table).columns.tolist() == second_implementation.COLUMNS
    assert second_implementation.readable(table.iloc[:0]) is None


def test_the_table_of_differences_lists_each_default_that_differs_once():
    table = second_implementation.differences_table()
    assert len(table) == len(second_implementation.DIFFERENCES) >= 4
    assert table["what the papers leave open"].is_unique
    assert "Glorot uniform (Keras)" in set(table["Keras (of record)"]) and "LeCun normal (Flax)" in set(table["Flax"])
