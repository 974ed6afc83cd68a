"""Chapter 9 (beyond both papers): its runs, its rule, its ensembles and its time-to-accuracy rows."""
from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from mnist_utils.chapters import beyond
from mnist_utils.core import profiles
from mnist_utils.runs import experiments
from mnist_utils.training.train import TrainConfigError

PARAMS = profiles.chapter_parameters("09_beyond_the_papers", "cpu").replace(
    seeds=[0, 1, 2, 3, 4], ingredient_seeds=[0, 1], ingredients=["schedule", "augmentation", "label_smoothing"],
    widths=[16, 32, 32], keep_prob=0.5, learning_rate=1e-4, batch_size=50, steps=2500, eval_every=500,
    peak_learning_rate=1e-3, warmup_fraction=0.05, label_smoothing=0.1, shift=0.1, rotate=10.0,
    reference_steps=20000, reference_test_every=2500)


def test_chapter_6s_trainings_are_the_baseline_when_they_were_tested_at_the_budget():
    ingredients, recipe, reference = experiments.beyond_the_papers(PARAMS)
    [chapter6] = reference.configs
    assert ingredients.configs[0] == chapter6 and recipe.configs[0] == chapter6   # nothing trained twice
    assert ingredients.cut_at == recipe.cut_at == 2500 and reference.cut_at == 0
    # The same set-up as chapter 6 of the same profile, so the run store keys agree.
    chapter6_params = profiles.chapter_parameters("06_improved_cnn", "cpu").replace(ablations=[])
    [chapter6_own] = experiments.improved_cnn(chapter6_params)[0].configs
    assert replace(chapter6, label=chapter6_own.label) == chapter6_own


def test_the_baseline_is_trained_at_the_budget_when_chapter_6_was_not_tested_there():
    for changes in ({"steps": 3000}, {"reference_steps": 0}, {"steps": 25000}):
        ingredients, recipe, *reference = experiments.beyond_the_papers(PARAMS.replace(**changes))
        baseline = ingredients.configs[0]
        assert baseline.steps == (changes.get("steps") or 2500) and ingredients.cut_at == 0
        assert len(reference) == (0 if changes.get("reference_steps") == 0 else 1)


def test_each_ingredient_changes_one_thing_and_the_recipe_all_of_them():
    ingredients, recipe, _ = experiments.beyond_the_papers(PARAMS)
    baseline, schedule, augmentation, smoothing = ingredients.configs
    assert (schedule.schedule, schedule.learning_rate, schedule.warmup_steps) == ("cosine", 1e-3, 125)
    assert augmentation.augment == {"shift": 0.1, "rotate": 10.0} and augmentation.learning_rate == 1e-4
    assert smoothing.label_smoothing == 0.1 and smoothing.schedule == "constant"
    for config in (schedule, augmentation, smoothing):
        assert config.steps == 2500 and config.model_kwargs == {"widths": [16, 32, 32], "dropout_rate": 0.5}
    full = recipe.configs[1]
    assert (full.schedule, full.augment, full.label_smoothing) == ("cosine", {"shift": 0.1, "rotate": 10.0}, 0.1)
    assert recipe.seeds == (0, 1, 2, 3, 4) and ingredients.seeds == (0, 1)


@pytest.mark.parametrize("changes, culprit", [
    ({"ingredients": ["mixup"]}, "ingredients"), ({"ingredients": []}, "ingredients"),
    ({"warmup_fraction": 1.5}, "warmup_fraction"), ({"reference_steps": -1}, "reference_steps"),
    ({"shift": 0.9}, "augment"), ({"label_smoothing": 1.0}, "label_smoothing"),
])
def test_bad_chapter_9_parameters_raise_one_line_errors_naming_them(changes, culprit):
    with pytest.raises(TrainConfigError, match=culprit):
        for run_set in experiments.beyond_the_papers(PARAMS.replace(**changes)):
            for config in run_set.configs:
                config.validate()


@pytest.mark.parametrize("accuracies, images, expected", [
    ([0.995] * 5, 1_000_000, "yes"),
    ([0.995] * 5, 125_000, "yes"),                       # a yes needs no more than the budget
    ([0.990] * 5, 1_000_000, "no"),                      # a no needs the whole budget ...
    ([0.990] * 5, 125_000, "not answered at this budget"),   # ... short of it, nothing is settled
    ([0.9938] * 5, 1_000_000, "no"),                     # "above" the target: equal is not enough
    ([0.995] * 4, 1_000_000, "not answered: 4 seeds"),
    ([0.995] * 5, 1_000_050, "outside the rule"),
])
def test_the_rule(accuracies, images, expected):
    assert beyond.answer(accuracies, images, 0.9938, 1_000_000).startswith(expected)


def test_an_ensemble_averages_probabilities_not_votes():
    labels = np.array([0, 1])
    # Image 0: two models lean weakly to class 1, one is sure of class 0: the average says 0.
    a = np.zeros((2, 10))
    a[0, :2] = [0.45, 0.55]
    a[1, 1] = 1.0
    b = a.copy()
    c = np.zeros((2, 10))
    c[0, 0] = 1.0
    c[1, 1] = 1.0
    assert beyond.ensemble_accuracy([a, b, c], labels) == 1.0        # a majority vote would give 0.5
    assert beyond.ensemble_accuracy([a], labels) == 0.5
    with pytest.raises(ValueError, match="shapes"):
        beyond.ensemble_accuracy([a, np.zeros((3, 10))], labels)


def test_first_reached_gives_the_first_tested_step_and_its_wall_time():
    results = pd.DataFrame({"run_id": ["r/0"] * 4 + ["r/1"] * 2, "config": "r", "seed": [0] * 4 + [1] * 2,
                            "step": [10, 20, 30, 40, 10, 20], "epoch": 1.0,
                            "test_accuracy": [np.nan, 0.991, np.nan, 0.995, 0.98, 0.985],
                            "wall_seconds": [1, 2, 3, 4, 1, 2]})
    reached = beyond.first_reached(results, 0.99).set_index("run_id")
    assert reached.loc["r/0", "steps"] == 20 and reached.loc["r/0", "wall_seconds"] == 2
    assert math.isnan(reached.loc["r/1", "steps"]) and math.isnan(reached.loc["r/1", "wall_seconds"])


def test_the_papers_rows_are_labelled_as_the_papers_and_only_ours_are_judged():
    rows = beyond.against_papers({"ours": ([0.99, 0.992, 0.991, 0.993, 0.994], 0.995, 125_000)}, 0.9938, 1_000_000)
    papers = rows[rows["source"].str.startswith("paper")]
    assert len(papers) == 3 and (rows["source"] == "this book").sum() == 1
    assert papers["test accuracy"].tolist()[1:] == ["0.9938", "0.9930"]
    ours = rows.set_index("what").loc["ours"]
    assert ours["the rule's answer"].startswith("not answered at this budget") and ours["ensemble of the models"] == "0.9950"


def test_time_to_accuracy_rows_say_when_a_target_was_not_reached():
    bench = pd.DataFrame({"part": "time_to_accuracy", "measurement": ["a", "a", "b", "b"], "unit": "seconds",
                          "value": [30.0, np.nan, 50.0, 70.0], "repeat": 0, "epochs": [0.5, np.nan, 1.0, 2.0],
                          "target": [0.99, 0.9938, 0.99, 0.9938], "max_images": 125_000, "setup": ["x", "x", "y", "y"]})
    table = beyond.time_to_accuracy(bench, 55_000).set_index(["set-up", "target"])
    assert table.loc[("a", "99.00%"), "median seconds"] == "30"
    assert table.loc[("a", "99.00%"), "images at target"] == "27,500"
    assert table.loc[("a", "99.38%"), "median seconds"].startswith("not reached")
    assert beyond.time_to_accuracy(bench.drop(columns="setup"), 55_000).empty   # rows measured before part 3 had set-ups


def test_training_cost_counts_each_run_once_and_leaves_out_reused_configurations():
    class Trained:
        def __init__(self, table):
            self.table = table

    rows = lambda config, key, seconds: pd.DataFrame({"config": config, "run_key": key, "step": [50, 100],
                                                      "wall_seconds": [seconds / 2, seconds], "batch_size": 10})
    shared = rows("baseline", "k0", 600)
    cost = beyond.training_cost([Trained(pd.concat([shared, rows("x", "k1", 120)])),
                                 Trained(pd.concat([shared, rows("x", "k1", 120), rows("y", "k2", 60)]))],
                                exclude=["baseline"])
    assert cost == {"runs": 2, "minutes": 3.0, "images": 2000}


def test_the_benchmark_times_chapter_9s_recipe_as_the_chapter_declares_it():
    from benchmarks import speed

    setups = {name: config for name, config, *_ in speed.race_setups(quick=False)}
    params = profiles.chapter_parameters("09_beyond_the_papers", "cpu")
    recipe = experiments.beyond_the_papers(params)[1].configs[1]
    timed = setups["recipe"]
    assert (timed.schedule, timed.learning_rate, timed.augment, timed.label_smoothing, timed.steps, timed.warmup_steps) \
        == (recipe.schedule, recipe.learning_rate, recipe.augment, recipe.label_smoothing, recipe.steps, recipe.warmup_steps)
    for name, config, spe, _, max_steps, check_every in speed.race_setups(quick=False):
        config.validate()
        assert check_every % spe == 0 and max_steps % spe == 0, name   # Keras calls back once per execution


def test_time_to_accuracy_reports_each_target_once_reached(tiny_mnist):
    from benchmarks import speed
    from mnist_utils.training.train import TrainConfig

    config = TrainConfig("lenet5", {"activation": "relu"}, "adam", 3e-3, 16, steps=24)
    reached = speed.time_to_accuracy(config, tiny_mnist, [0.0, 1.01], check_every=8, max_steps=24, seed=0,
                                     steps_per_execution=8, numpy_input=False)
    seconds, epochs = reached[0.0]
    assert seconds >= 0 and epochs == pytest.approx(8 * 16 / len(tiny_mnist.train))   # the first test reaches 0%
    assert all(math.isnan(v) for v in reached[1.01])                                  # nothing reaches 101%


def test_a_chapters_results_are_every_run_sets_file_a_reruns_own_first(results_outside_the_record):
    """The report's compute ledger finds a chapter's runs through these files (chapter 9 writes
    one per run set); another chapter whose name starts alike is not one of them."""
    from mnist_utils.core import paths

    tmp_path = results_outside_the_record
    record, rerun = tmp_path / "results" / "p", tmp_path / "scratch" / "results" / "p"
    for folder, names in ((record, ["09_x", "09_x_recipe", "09_x_chapter6", "09_xy", "06_y"]), (rerun, ["09_x_recipe"])):
        folder.mkdir(parents=True)
        for name in names:
            (folder / f"{name}.csv").write_text("run_key\n")
    found = paths.find_chapter_results("p", "09_x")
    assert found == [record / "09_x.csv", record / "09_x_chapter6.csv", rerun / "09_x_recipe.csv"]


def test_the_configurations_table_shows_a_cut_training_as_it_was_read():
    ingredients, recipe, _ = experiments.beyond_the_papers(PARAMS)
    table = beyond.configurations([*ingredients.configs, recipe.configs[1]], cut_at=ingredients.cut_at)
    baseline = table.iloc[0]
    assert baseline["iterations"] == "2,500 (of a 20,000-iteration training)" and baseline["images per model"] == "125,000"
    assert (table["iterations"].iloc[1:] == "2,500").all()
    assert table.iloc[-1]["schedule"] == "cosine, 125 warm-up steps"
    assert table.iloc[2]["augmentation"] == "rotate 10°, shift 0.1"


# ----------------------------------------------------------------- the page's functions
PAGE = {**PARAMS, "image_budget": 1_000_000}
RECIPE = "recipe: schedule + augmentation"


def recipe_final(gain: float = 0.02) -> pd.DataFrame:
    """Five seeds of a baseline and a recipe whose test accuracy is ``gain`` higher on average."""
    base = np.array([0.960, 0.965, 0.970, 0.962, 0.968])
    noise = np.array([0.0, 0.001, -0.001, 0.002, -0.002])   # the paired differences spread, their mean is ``gain``
    return pd.DataFrame({"config": ["baseline"] * 5 + [RECIPE] * 5, "seed": [*range(5), *range(5)],
                         "val_accuracy": [*base, *(base + gain + 0.001)], "test_accuracy": [*base, *(base + gain + noise)]})


def test_the_budget_numbers_state_the_rule_and_this_pages_share_of_it():
    assert beyond.budget_numbers(PAGE) == {"target": "99.38%", "image_budget": "1,000,000", "images_per_model": "125,000",
                                           "budget_share": "12.5%", "steps": "2,500", "batch_size": "50"}


def test_the_recipe_numbers_pair_by_seed_and_answer_the_rule():
    values = beyond.recipe_numbers(recipe_final(), "baseline", RECIPE, PAGE)
    assert values["recipe_gain"] == "+2.00 pp (paired 95% CI +1.80 to +2.20, n = 5)"
    assert values["validation_choice"] == "the recipe"
    assert values["answer_recipe"] == "not answered at this budget (125,000 of the 1,000,000 images per model)"
    assert values["recipe_measured"].startswith("0.9850 ± ") and values["baseline_measured"].startswith("0.9650 ± ")
    assert "**not answered at this budget" in values["beyond_summary"].markdown_text
    assert "recipe ( schedule + augmentation)" in values["beyond_summary"].markdown_text
    worse = beyond.recipe_numbers(recipe_final(gain=-0.01), "baseline", RECIPE, PAGE)
    assert worse["validation_choice"] == "the baseline" and worse["recipe_gain"].startswith("−1.00 pp")
    assert values["final_five_answer"] == "not run"


def test_chapter_6s_final_five_answer_the_question_at_the_whole_budget():
    # The runs that ask the question at 1,000,000 images: chapter 6's final five, read from its results.
    five = pd.DataFrame({"test_accuracy": [0.9944, 0.9955, 0.9950, 0.9949, 0.9951], "steps": 20000, "batch_size": 50})
    values = beyond.recipe_numbers(recipe_final(), "baseline", RECIPE, PAGE, five)
    assert values["final_five_answer"] == "yes"
    assert "For chapter 6's final five" in values["beyond_summary"].markdown_text
    short = five.assign(test_accuracy=[0.990, 0.991, 0.992, 0.990, 0.991])
    assert beyond.recipe_numbers(recipe_final(), "baseline", RECIPE, PAGE, short)["final_five_answer"] == "no"


def test_the_per_seed_table_has_a_row_per_seed_and_a_column_per_configuration_and_split():
    table = beyond.per_seed_table(recipe_final(), digits=2)
    assert list(table.columns) == ["seed", "baseline: validation", f"{RECIPE}: validation", "baseline: test",
                                   f"{RECIPE}: test"]
    assert table["seed"].tolist() == [0, 1, 2, 3, 4] and table.loc[1, "baseline: test"] == 0.96   # 0.965 at 2 digits


def test_the_effects_numbers_cite_the_validation_differences():
    effects = pd.DataFrame({"configuration": ["+ schedule", "+ augmentation"], "n": [2.0, 2.0],
                            "Δ vs baseline (pp) (validation)": [1.974, -1.306]})
    assert beyond.effects_numbers(effects, [0, 1]) == {
        "ingredient_seeds": "0, 1", "effects_validation": "+ schedule +1.97 pp; + augmentation -1.31 pp"}


def test_the_effects_table_puts_each_difference_and_its_interval_in_one_cell():
    effects = pd.DataFrame({"configuration": ["+ schedule"], "n": [2.0],
                            "validation accuracy": [0.98123], "Δ vs baseline (pp) (validation)": [1.974],
                            "95% CI low (validation)": [-0.5], "95% CI high (validation)": [4.448],
                            "test accuracy": [0.97911], "Δ vs baseline (pp) (test)": [-0.2],
                            "95% CI low (test)": [-1.0], "95% CI high (test)": [0.6]})
    table = beyond.effects_table(effects, digits=2)
    assert list(table.columns) == ["configuration", "n", "validation accuracy", "Δ validation (pp), 95% CI",
                                   "test accuracy", "Δ test (pp), 95% CI"]
    assert table.iloc[0].tolist() == ["+ schedule", "2", 0.98, "+1.97 (-0.50 to +4.45)", 0.98, "-0.20 (-1.00 to +0.60)"]


class FakeTrained:
    def __init__(self, table, arrays=None, machines=None):
        self.table, self.arrays, self.machines = table, arrays or {}, machines or {}


def test_the_ensemble_and_the_papers_table_read_the_stored_probabilities():
    labels = np.array([0, 1, 2])
    probs = {"r0": np.eye(10)[[0, 1, 3]], "r1": np.eye(10)[[0, 1, 2]] * 2, "b0": np.eye(10)[[5, 5, 5]]}
    table = pd.DataFrame({"config": [RECIPE, RECIPE, "baseline"], "run_id": ["r0", "r1", "b0"], "seed": [0, 1, 0],
                          "step": [10, 10, 10], "test_accuracy": [2 / 3, 1.0, 0.0], "val_accuracy": [0.5, 0.6, 0.1]})
    trained = FakeTrained(table, {k: {"test_probabilities": v} for k, v in probs.items()})
    assert [p.tolist() for p in beyond.stored_probabilities(trained, RECIPE)] == [probs["r0"].tolist(),
                                                                                  probs["r1"].tolist()]
    rows = beyond.papers_table(trained, None, "baseline", RECIPE, labels, PAGE)
    ours = rows[rows["source"] == "this book"].set_index("what")
    assert ours.loc["recipe, 125,000 images", "ensemble of the models"] == "1.0000"   # the doubled model wins the vote
    assert ours.loc["the tutorial set-up, 125,000 images", "ensemble of the models"] == ""
    assert len(ours) == 2   # no reference row without chapter 6's trainings
    five = pd.DataFrame({"test_accuracy": [0.9944, 0.9955, 0.9950, 0.9949, 0.9951], "steps": 20000, "batch_size": 50})
    rows = beyond.papers_table(trained, None, "baseline", RECIPE, labels, PAGE, five)
    chosen = rows.set_index("what").loc["the validation-chosen schedule, 1,000,000 images (chapter 6's final five)"]
    assert chosen["the rule's answer"] == "yes"


def test_without_chapter_6s_trainings_the_reference_numbers_say_so():
    assert beyond.reference_numbers(None) == {"full_budget_minutes": "(not measured: reference_steps = 0)",
                                              "chapter6_reached": "not run (reference_steps = 0)"}


def test_the_cost_numbers_leave_out_a_reused_baseline():
    rows = lambda config, key, seconds: pd.DataFrame({"config": config, "run_key": key, "step": [100],
                                                      "wall_seconds": [seconds], "batch_size": [50]})
    trained = [FakeTrained(pd.concat([rows("baseline", "k0", 600), rows("x", "k1", 120)]), machines={"a": "CPU B"}),
               FakeTrained(rows("y", "k2", 60), machines={"b": "CPU A"})]
    reused = beyond.cost_numbers(trained, "baseline", reused=True)
    assert (reused["cost_runs"], reused["cost_minutes"], reused["cost_images"]) == ("2", "3", "0.01 million")
    assert reused["cost_machines"] == "CPU A, CPU B" and reused["baseline_cost"].startswith("The baseline reuses")
    trained_here = beyond.cost_numbers(trained, "baseline", reused=False)
    assert (trained_here["cost_runs"], trained_here["cost_minutes"]) == ("3", "13")
    assert re.fullmatch(r"\d+\.\d million", trained_here["paper_images"])
