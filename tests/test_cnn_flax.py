"""Chapter 6's second implementation (chapters/cnn_flax.py): the Flax run sets it declares, the
accuracy claim's second looks on them by set-up, and the batch-norm momentum ablation's answer by
the rule the claims file declared before its runs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_utils.chapters import cnn_flax, second_implementation
from mnist_utils.core import claims, profiles
from mnist_utils.judging import stats
from mnist_utils.runs import experiments
from mnist_utils.runs.runsets import Trained


def test_flax_seeds_declare_the_two_set_ups_and_the_momentum_arm_each_under_its_own_keys():
    params = profiles.chapter_parameters("06_improved_cnn", "cpu").replace(flax_seeds=[0, 1, 2], flax_bn_momentum=0.9,
                                                                            flax_final_seeds=[3, 4])
    sets = {s.name: s for s in experiments.improved_cnn(params)}
    tutorial, momentum, five = sets[cnn_flax.TUTORIAL_FLAX], sets[cnn_flax.MOMENTUM_FLAX], sets[cnn_flax.FIVE_FLAX]
    assert {s.framework for s in (tutorial, momentum, five)} == {"flax"} and tutorial.seeds == (0, 1, 2)
    assert tutorial.configs == sets["06_improved_cnn"].configs and five.all_training_images
    assert five.configs == sets["06_improved_cnn_final_five"].configs and five.seeds == (3, 4)
    assert momentum.options == (("bn_momentum", 0.9),) and tutorial.options == ()
    # Each set-up on its own seeds: the chosen schedule's Flax runs can wait for a later session.
    only_tutorial = {s.name for s in experiments.improved_cnn(params.replace(flax_final_seeds=[]))}
    assert {cnn_flax.TUTORIAL_FLAX, cnn_flax.MOMENTUM_FLAX} <= only_tutorial and cnn_flax.FIVE_FLAX not in only_tutorial
    only_chosen = {s.name for s in experiments.improved_cnn(params.replace(flax_seeds=[]))}
    assert cnn_flax.FIVE_FLAX in only_chosen and not {cnn_flax.TUTORIAL_FLAX, cnn_flax.MOMENTUM_FLAX} & only_chosen
    without = {s.name for s in experiments.improved_cnn(params.replace(flax_seeds=[], flax_final_seeds=[]))}
    assert not any(name.endswith("_flax") or "_flax_" in name for name in without)


def _momentum(accuracy_diffs, share_diffs):
    base = np.array([0.985, 0.986, 0.984, 0.987, 0.985])
    share = np.array([0.40, 0.35, 0.45, 0.38, 0.42])
    return {"accuracy": stats.difference(base + np.array(accuracy_diffs), base, paired=True),
            "share": stats.difference(share + np.array(share_diffs), share, paired=True),
            "range": stats.difference(share, share, paired=True), "other": 0.9}


def test_the_momentum_answer_follows_the_declared_rule():
    assert "rule" in claims.protocol(cnn_flax.MOMENTUM_PROTOCOL)
    assert cnn_flax.momentum_answer({"accuracy": None, "share": None, "other": 0.9}).startswith("not run")
    noise = cnn_flax.momentum_answer(_momentum([0.001, -0.001, 0.0005, -0.0004, 0.0002], [0.0] * 5))
    assert noise.endswith("does not move the test accuracy beyond what these seeds bound.")
    spread = cnn_flax.momentum_answer(_momentum([0.004, 0.005, 0.0045, 0.0042, 0.0048],
                                                [-0.2, -0.18, -0.22, -0.19, -0.21]))
    assert spread.endswith("the momentum matters, and it spreads the errors' pile-up.")
    only = cnn_flax.momentum_answer(_momentum([0.004, 0.005, 0.0045, 0.0042, 0.0048], [0.01, -0.02, 0.0, 0.015, -0.01]))
    assert only.endswith("the momentum matters.")


def test_without_flax_runs_the_section_says_so_and_compares_nothing():
    params = {"flax_seeds": [], "flax_bn_momentum": None, "flax_final_seeds": []}
    table = cnn_flax.agreement(pd.DataFrame(), pd.DataFrame(), None, None, {})
    momentum = cnn_flax.momentum_comparison(None, None, np.zeros(3), {**params, "digits": 4})
    said = cnn_flax.numbers(table, momentum, None, params)
    assert table.empty and momentum["table"].empty
    assert said["cnn_flax_verdicts"] == cnn_flax.NOT_RUN == said["cnn_flax_agreement"] and said["momentum_other"] == "none"
    assert said["cnn_flax_margin"] == f"±{second_implementation.margin() * 100:.1f} pp"


def test_the_section_names_each_set_ups_seeds_and_the_one_not_run():
    params = {"flax_seeds": [0, 1, 2], "flax_bn_momentum": 0.9, "flax_final_seeds": []}
    momentum = cnn_flax.momentum_comparison(None, None, np.zeros(3), {**params, "digits": 4})
    checks = type("Checks", (), {"recorded": lambda self, claim, finding, default: f"reproduced ({finding})"})()
    said = cnn_flax.numbers(pd.DataFrame(), momentum, checks, params)
    assert said["cnn_flax_n"] == "3 in the tutorial set-up and 0 in the validation-chosen schedule"
    assert said["cnn_flax_verdicts"] == ("the tutorial set-up: reproduced (Flax: the tutorial set-up); "
                                         "the validation-chosen schedule: not run (no Flax seeds declared)")


def _trained(label: str, seeds, accuracies, piled_into: dict[int, int]) -> Trained:
    """Flax runs of the tutorial set-up tested at three checkpoints, the last final; each seed's
    errors all predicted as ``piled_into[seed]`` on 100 test images labelled 0..9."""
    rows, arrays = [], {}
    for seed, checkpoints in zip(seeds, accuracies):
        run_id = f"{label}/seed{seed}"
        rows += [{"run_id": run_id, "run_key": f"{label}/{seed}", "seed": seed, "step": step, "test_accuracy": a,
                  "final": step == 3}
                 for step, a in zip((1, 2, 3), checkpoints)]
        labels = np.arange(100) % 10
        predicted = labels.copy()
        wrong = round((1 - checkpoints[-1]) * 100)
        predicted[np.flatnonzero(labels != piled_into[seed])[:wrong]] = piled_into[seed]
        arrays[run_id] = {"test_predictions": predicted}
    return Trained(pd.DataFrame(rows), arrays, {}, {})


def test_the_momentum_comparison_pairs_each_seeds_three_measures():
    labels = np.arange(100) % 10
    own = _trained("improved CNN", [0, 1, 2], [(0.90, 0.95, 0.96), (0.93, 0.92, 0.97), (0.94, 0.96, 0.95)],
                   {0: 3, 1: 4, 2: 5})
    other = _trained("improved CNN, batch-norm momentum 0.9", [1, 0, 2],
                     [(0.97, 0.97, 0.98), (0.96, 0.97, 0.97), (0.95, 0.95, 0.96)], {0: 3, 1: 4, 2: 5})
    momentum = cnn_flax.momentum_comparison(own, other, labels, {"flax_bn_momentum": 0.9, "digits": 4})
    table = momentum["table"].set_index("seed")
    assert list(table.index) == [0, 1, 2]                     # paired by seed, whatever order the runs came in
    assert table.loc[1, "test accuracy, 0.99"] == 0.97 and table.loc[1, "test accuracy, 0.9"] == 0.98
    assert table.loc[0, "range of the last three test checkpoints (pp), 0.99"] == 6.0
    assert table.loc[0, "share of errors in one digit, 0.9"] == 1.0    # every error on one digit
    assert momentum["accuracy"]["n"] == 3 and momentum["accuracy"]["diff"] == pytest.approx(0.01)
    assert momentum["range"]["diff"] == pytest.approx(((1 - 6) + (1 - 5) + (1 - 2)) / 3)
    assert "range of the last three test checkpoints" in cnn_flax.momentum_answer(momentum)
