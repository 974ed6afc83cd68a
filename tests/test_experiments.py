"""mnist_utils.runs.experiments: the run sets each chapter declares from its parameters, and the choices
(activation, learning rates, configuration) made on validation accuracy."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from mnist_utils.core import claims, paths, profiles
from mnist_utils.runs import experiments, runsets
from mnist_utils.training.train import TrainConfigError

pytestmark = pytest.mark.backend


def test_each_chapter_declares_its_runs_from_its_parameters():
    params = {name: profiles.chapter_parameters(name, "cpu") for name in experiments.TRAINING_CHAPTERS}
    paper_cnn = profiles.chapter_parameters("06_improved_cnn", "paper")
    sets = {s.name: s for s in experiments.improved_cnn(paper_cnn)}
    cnn, ablation = sets["06_improved_cnn"], sets["06_improved_cnn_ablation"]
    # The paper profile declares the protocol's grid at its own widths, and trains it before the ablations.
    assert list(sets) == ["06_improved_cnn", "06_improved_cnn_sensitivity", "06_improved_cnn_ablation"]
    assert all(c.model_kwargs["widths"] == [32, 64, 64] for c in sets["06_improved_cnn_sensitivity"].configs)
    assert [c.steps for c in cnn.configs] == [paper_cnn["steps"]] == [20000]
    assert cnn.configs[0].test_every == paper_cnn["test_every"]
    assert len(ablation.configs) == 1 + len(paper_cnn["ablations"])
    assert {c.steps for c in ablation.configs} == {paper_cnn["ablation_steps"]}
    # Without ablations, grid, final five or Flax runs the chapter declares its main runs only.
    assert len(experiments.improved_cnn(params["06_improved_cnn"].replace(
        ablations=[], sensitivity=[], final_configuration="", flax_seeds=[], flax_final_seeds=[]))) == 1
    activations, flax, *optimizer_arm = experiments.activation_study(params["03_activation_study"])
    # The main runs again in Flax (flax_seeds), right after them: the same configurations, their own keys.
    assert flax.name == "03_activation_study_flax" and flax.framework == "flax" and flax.configs == activations.configs
    assert [s.name for s in optimizer_arm] == ["03_activation_study_extra", "03_activation_study_fully_connected",
                                               "03_activation_study_raw_pixels", "03_activation_study_optimizer_grid",
                                               "03_activation_study_optimizer"]
    raw = optimizer_arm[2]       # the same LeNet-5 on pixels of 0 to 255: its data, hence its key, differ
    assert raw.raw_pixels and [c.model_kwargs["activation"] for c in raw.configs] == ["sigmoid", "tanh"]
    p = params["03_activation_study"]
    assert [c.name for c in activations.configs] == p["activations"] and activations.seeds == tuple(p["seeds"])
    assert all(c.patience == p["patience_epochs"] * p["evals_per_epoch"] for c in activations.configs)
    [lr] = experiments.learning_rate_study(params["04_learning_rate_study"])
    assert len(lr) == len(params["04_learning_rate_study"]["activations"]) * len(
        params["04_learning_rate_study"]["learning_rates"]) * len(params["04_learning_rate_study"]["seeds"])


def test_chapter_five_reuses_chapter_three_baseline_runs():
    three = profiles.chapter_parameters("03_activation_study", "cpu")
    five = profiles.chapter_parameters("05_dropout", "cpu")
    baseline_set = experiments.activation_study(three)[0]
    dropout_set, initialisation = experiments.dropout(five, chosen_activation="relu", chosen_learning_rate=1e-3)
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


def test_the_optimizer_rate_is_chosen_on_validation_a_tie_going_to_the_smaller_rate():
    grid = pd.DataFrame({"model_kwargs": ['{"activation": "relu"}'] * 3 + ['{"activation": "sigmoid"}'] * 2,
                         "learning_rate": [0.1, 0.01, 0.03, 0.01, 0.1], "val_accuracy": [0.990, 0.9897, 0.95, 0.5, 0.9],
                         "test_accuracy": [0.1, 0.1, 0.999, 0.999, 0.1]})
    assert experiments.arm_rate_choice(grid) == {"relu": 0.01, "sigmoid": 0.1}   # 0.9897 ties 0.990 within 0.05 pp


def test_the_optimizer_arm_trains_its_grid_then_the_chosen_rates_with_other_seeds():
    three = profiles.chapter_parameters("03_activation_study", "cpu").replace(extra_activations=[])
    sets = {s.name: s for s in experiments.activation_study(three.replace(arm_rates={"relu": 0.03}))}
    grid, chosen = sets["03_activation_study_optimizer_grid"], sets["03_activation_study_optimizer"]
    assert {(c.model_kwargs["activation"], c.learning_rate) for c in grid.configs} == \
        {(a, r) for a in three["activations"] for r in three["arm_learning_rates"]}
    assert {c.optimizer for c in grid.configs + chosen.configs} == {"momentum"}
    assert [(c.model_kwargs["activation"], c.learning_rate) for c in chosen.configs] == [("relu", 0.03)]
    assert chosen.seeds == tuple(three["arm_seeds"])
    # The chosen rate's seed-0 run is the grid's: one key, trained once.
    strip = lambda c: {**c.__dict__, "label": ""}
    assert strip(chosen.configs[0]) in [strip(c) for c in grid.configs]
    # A chosen rate of an activation the chapter does not study is not used: changing the
    # activations alone never needs the chosen rates changed too.
    others = {s.name: s for s in experiments.activation_study(three.replace(activations=["relu", "tanh"]))}
    assert [c.model_kwargs["activation"] for c in others["03_activation_study_optimizer"].configs] == ["relu"]
    # The arm's optimizer made the chapter's own: no arm (nothing new to look at).
    same = experiments.activation_study(three.replace(arm_optimizer="adam"))
    assert not [s for s in same if "optimizer" in s.name]
    with pytest.raises(TrainConfigError, match="arm_optimizer='lbfgs': must be one of"):
        experiments.activation_study(three.replace(arm_optimizer="lbfgs"))


def test_the_optimizer_arm_counts_patience_from_its_minimum_epoch_and_the_adam_arm_from_the_start():
    three = profiles.chapter_parameters("03_activation_study", "cpu")
    sets = {s.name: s for s in experiments.activation_study(three.replace(arm_min_epochs=10))}
    epoch = sets["03_activation_study"].configs[0].steps // three["max_epochs"]
    assert {c.min_steps for c in sets["03_activation_study_optimizer_grid"].configs} == {10 * epoch}
    assert {c.min_steps for c in sets["03_activation_study"].configs} == {None}
    # A minimum past the cap lets every run train to the cap; a shorter cap needs no other change.
    short = {s.name: s for s in experiments.activation_study(three.replace(max_epochs=4))}
    assert {c.min_steps for c in short["03_activation_study_optimizer"].configs} == {4 * epoch}
    with pytest.raises(TrainConfigError, match="min_epochs=-1"):
        experiments.activation_study(three.replace(arm_min_epochs=-1))


def test_the_ablations_reuse_the_full_models_trainings_cut_at_their_budget():
    from mnist_utils.core import profiles
    from mnist_utils.runs import experiments

    params = profiles.chapter_parameters("06_improved_cnn", "cpu")
    sets = lambda **changes: {s.name: s for s in experiments.improved_cnn(params.replace(**changes))}
    full, ablation = sets()["06_improved_cnn"], sets()["06_improved_cnn_ablation"]
    assert ablation.configs[0] == full.configs[0] and ablation.cut_at == params["ablation_steps"]
    # Seeds the full model never trained, or a budget it was not tested at: a reference of its own.
    for changes in ({"ablation_seeds": [0, 9]}, {"ablation_steps": 3000}):
        ablation = sets(**changes)["06_improved_cnn_ablation"]
        assert ablation.configs[0].steps == ablation.configs[1].steps and ablation.cut_at == 0


def test_training_images_count_a_run_two_sets_share_once():
    from mnist_utils.core import profiles
    from mnist_utils.runs import experiments

    params = profiles.chapter_parameters("06_improved_cnn", "cpu").replace(
        seeds=[0, 1, 2], steps=1000, test_every=500, ablations=["no_dropout"], ablation_seeds=[0, 1], ablation_steps=500,
        sensitivity=[], final_configuration="")
    sets = experiments.improved_cnn(params)
    # 3 full trainings of 1,000 steps (the reference reuses two of them) + 2 ablation runs of 500 steps.
    assert experiments.training_images(sets) == 50 * (3 * 1000 + 2 * 500)
    # Tested only every 1,000 steps, the full trainings cannot stand in at 500: 2 references more.
    sets = experiments.improved_cnn(params.replace(test_every=1000))
    assert experiments.training_images(sets) == 50 * (3 * 1000 + 2 * 500 + 2 * 500)
    lenet = runsets.RunSet("x", (experiments.TrainConfig("lenet5", batch_size=100, epochs=2),), (0, 1))
    assert experiments.training_images([lenet]) == 2 * 2 * 55_000


def test_the_sensitivity_grid_changes_only_the_rate_and_schedule_of_the_full_model():
    params = profiles.chapter_parameters("06_improved_cnn", "cpu")
    grid = [{"name": "constant 1e-3", "learning_rate": 0.001, "schedule": "constant"},
            {"name": "cosine from 1e-3", "learning_rate": 0.001, "schedule": "cosine", "warmup_fraction": 0.05}]
    sets = {s.name: s for s in experiments.improved_cnn(params.replace(sensitivity=grid))}
    [full] = sets["06_improved_cnn"].configs
    constant, cosine = sets["06_improved_cnn_sensitivity"].configs
    assert sets["06_improved_cnn_sensitivity"].seeds == (0, 1)
    varied = ("label", "learning_rate", "schedule", "warmup_steps")
    strip = lambda c: {k: v for k, v in c.__dict__.items() if k not in varied}
    assert strip(constant) == strip(full) == strip(cosine)
    assert (constant.learning_rate, constant.schedule, constant.warmup_steps) == (0.001, "constant", 0)
    assert (cosine.schedule, cosine.warmup_steps) == ("cosine", round(0.05 * full.steps))
    # Without a grid the chapter trains no grid and no final five, in either implementation.
    no_grid = params.replace(sensitivity=[], final_configuration="", flax_seeds=[], flax_final_seeds=[0])
    names = {s.name for s in experiments.improved_cnn(no_grid)}
    assert names == {"06_improved_cnn", "06_improved_cnn_ablation"}
    with pytest.raises(experiments.TrainConfigError, match="needs name and learning_rate"):
        experiments.improved_cnn(params.replace(sensitivity=[{"learning_rate": 0.001}]))


def test_the_final_five_train_the_named_grid_point_on_all_training_images(tiny_mnist):
    params = profiles.chapter_parameters("06_improved_cnn", "cpu").replace(flax_final_seeds=[0])
    sets = {s.name: s for s in experiments.improved_cnn(params)}
    final, final_flax = sets["06_improved_cnn_final_five"], sets["06_improved_cnn_final_five_flax"]
    chosen = next(c for c in sets["06_improved_cnn_sensitivity"].configs
                  if c.label == experiments.sensitivity_label(params["final_configuration"]))
    assert final.all_training_images and final.seeds == (0, 1, 2, 3, 4)
    assert final_flax.all_training_images and final_flax.seeds == (0,) and final_flax.framework == "flax"
    assert dataclasses.replace(final.configs[0], label="") == dataclasses.replace(chosen, label="")
    # Every other set trains on the training split alone, the very arrays it was given.
    assert all(s.data(tiny_mnist) is tiny_mnist for s in sets.values() if s not in (final, final_flax))
    with pytest.raises(experiments.TrainConfigError, match="final_configuration='cosine'.*not a sensitivity point"):
        experiments.improved_cnn(params.replace(final_configuration="cosine"))


def test_the_protocol_chooses_the_best_mean_validation_accuracy_and_breaks_ties_by_order():
    grid = [{"name": "a", "learning_rate": 1e-4}, {"name": "b", "learning_rate": 1e-3}, {"name": "c", "learning_rate": 1e-2}]
    final = lambda vals: pd.DataFrame([{"config": experiments.sensitivity_label(n), "val_accuracy": v}
                                       for n, vs in vals.items() for v in vs], columns=["config", "val_accuracy"])
    assert experiments.sensitivity_choice(final({"a": [0.98, 0.98], "b": [0.99, 0.985], "c": [0.97, 0.99]}), grid) == "b"
    # Within 0.05 pp of the best, the earlier point of the declared list wins.
    assert experiments.sensitivity_choice(final({"a": [0.9900], "b": [0.9904], "c": [0.95]}), grid) == "a"
    assert experiments.sensitivity_choice(final({"a": [0.9900], "b": [0.9906]}), grid) == "b"
    assert experiments.sensitivity_choice(final({"c": [0.9]}), grid) == "c"   # points without runs are skipped
    with pytest.raises(experiments.TrainConfigError, match="no grid point has stored runs"):
        experiments.sensitivity_choice(final({}), grid)


def test_the_book_of_record_trains_the_final_five_of_the_configuration_its_validation_split_chose():
    from mnist_utils.judging.results import final_rows, read

    params = profiles.chapter_parameters("06_improved_cnn", "cpu")
    grid = final_rows(read(paths.RESULTS / "cpu" / "06_improved_cnn_sensitivity.csv"))
    assert experiments.sensitivity_choice(grid, params["sensitivity"]) == params["final_configuration"]
    # The grid the profile runs is the protocol the claims file declared before the runs.
    declared = claims.protocol("liu_fu.cnn.unstated_choices")
    assert [{k: v for k, v in p.items() if k != "schedule" or v != "constant"} for p in declared["grid"]["schedule"]] \
        == params["sensitivity"]
    assert params["sensitivity_seeds"] == declared["seeds"]["cpu"] and params["widths"] == declared["grid"]["widths"]["cpu"]
    with pytest.raises(claims.ClaimError, match="no protocol 'x'"):
        claims.protocol("x")


ONE_AT_A_TIME = {
    "02_softmax_baseline": {"seeds": [7], "learning_rate": 0.1, "steps": 200, "batch_size": 32, "flax_seeds": [2]},
    "03_activation_study": {"activations": ["relu", "tanh"], "seeds": [5, 6], "max_epochs": 2, "optimizer": "momentum",
                            "patience_epochs": 0, "evals_per_epoch": 2, "extra_activations": [],
                            "arm_learning_rates": [], "raw_pixel_activations": ["relu"]},
    "04_learning_rate_study": {"activations": ["sigmoid"], "learning_rates": [0.1], "seeds": [9], "epochs": 1},
    "05_dropout": {"seeds": [3, 4], "keep_prob": 1.0, "max_epochs": 2, "init_seeds": [], "baseline_activation": "tanh"},
    "06_improved_cnn": {"seeds": [8], "widths": [4, 8, 8], "steps": 1000, "ablations": [], "sensitivity": [],
                        "ablation_seeds": [5], "ablation_steps": 1500, "test_every": None, "flax_seeds": [2],
                        "flax_bn_momentum": 0.9},
    "09_beyond_the_papers": {"seeds": [9], "ingredients": ["augmentation"], "steps": 700, "reference_steps": 0,
                             "widths": [4, 8, 8]},
}


@pytest.mark.parametrize("chapter, name", [(c, n) for c, changes in ONE_AT_A_TIME.items() for n in changes])
def test_a_reader_changes_one_parameter_and_the_chapter_declares_its_runs(chapter, name):
    # A parameter that depends on others (the optimizer arm's chosen rates, chapter 6's final
    # configuration, the ablations' reference) follows from them: no second change is needed.
    params = profiles.chapter_parameters(chapter, "cpu").replace(**{name: ONE_AT_A_TIME[chapter][name]})
    sets = experiments.run_sets(params, {}) if chapter != "05_dropout" else experiments.dropout(params, "relu", 1e-3)
    assert sets and all(len(s) > 0 for s in sets)
    for run_set in sets:
        for config in run_set.configs:
            config.validate()
