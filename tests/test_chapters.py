"""Every chapter runs with parameter values the papers never used, through plain papermill,
and such a rerun changes no tracked file.

Each chapter is executed as a reader would rerun it (``papermill notebooks/NN.ipynb out.ipynb
-p ...``), on small subsets, with a profile name of its own so that chapters 5-7 read the
results the variants of chapters 2-4 wrote. A claim the variant cannot test must come out
as "not testable", never as a crash.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest

from mnist_utils import claims, experiments, paths, profiles, runner, runsets

PROFILE = "variant"
SMALL = {"train_size": 1024, "eval_size": 300}


@dataclass(frozen=True)
class Variant:
    """Parameters nobody used in the papers, and what the chapter must then say of its claims."""

    params: dict
    not_testable: tuple[str, ...] = ()   # claims the variant cannot test: verdict "not testable"
    not_judged: tuple[str, ...] = ()     # claims whose runs it leaves out: no verdict row


VARIANTS = {
    "01_reading_mnist": Variant({"grid_rows": 2, "grid_cols": 5, "sample_index": 7}),
    "02_softmax_baseline": Variant({"seeds": [7], "learning_rate": 0.2, "batch_size": 50, "steps": 60,
                                    "eval_every": 30, **SMALL}),
    "03_activation_study": Variant({"activations": ["relu", "tanh"], "seeds": [0], "optimizer": "rmsprop",
                                    "max_epochs": 2, "patience_epochs": 1, "evals_per_epoch": 2,
                                    "extra_activations": ["selu"], "fully_connected_activations": ["relu"], "second_optimizer": "sgd",
                                    "second_learning_rates": [0.05], "second_rates": {"relu": 0.05},
                                    "second_seeds": [0], "sparsity_seeds": [0], "gradient_steps": 3,
                                    "gradient_seeds": [1], **SMALL},
                                   not_testable=("wang2020.activation.relu_elu_beat_sigmoid",
                                                 "wang2020.activation.elu_slightly_better",
                                                 "wang2020.activation.relu_converges_6x_faster",
                                                 "wang2020.lenet5.baseline_accuracy",
                                                 "wang2020.activation.relu_alleviates_overfitting",
                                                 "wang2020.activation.gradient_dissipation",
                                                 "wang2020.lenet5.speeds_up_learning")),
    "04_learning_rate_study": Variant({"activations": ["tanh"], "learning_rates": [0.01], "optimizer": "sgd",
                                       "seeds": [0, 1], "epochs": 1, "evals_per_epoch": 4, "oscillation_window": 3,
                                       **SMALL},
                                      not_testable=("wang2020.lr.too_small_slow", "wang2020.lr.too_large_oscillates",
                                                    "wang2020.activation.elu_needs_lr_tuning")),
    "05_dropout": Variant({"keep_prob": 0.8, "seeds": [0], "max_epochs": 1, "patience_epochs": 0, "init_seeds": [2],
                           "evals_per_epoch": 2, **SMALL}),
    "06_improved_cnn": Variant({"seeds": [1], "widths": [4, 4, 8], "keep_prob": 1.0, "learning_rate": 0.003,
                                "batch_size": 25, "steps": 20, "eval_every": 10, "test_every": 10,
                                "ablations": ["no_batch_norm"], "ablation_seeds": [2], "ablation_steps": 20,
                                "probe_seeds": [1], "probe_checkpoints": 1, **SMALL},
                               # no benchmark rows for these widths; no 'no_dropout' ablation ran
                               not_testable=("liu_fu.cnn.factorised_kernels_speed",),
                               not_judged=("liu_fu.cnn.dropout_prevents_overfitting",)),
    # Chapter 6's variant trained other widths: the baseline is trained here (reference_steps=0).
    "09_beyond_the_papers": Variant({"seeds": [3], "ingredient_seeds": [3], "ingredients": ["augmentation"],
                                     "widths": [4, 4, 8], "learning_rate": 0.003, "batch_size": 25, "steps": 20,
                                     "eval_every": 10, "shift": 0.2, "rotate": 30.0, "reference_steps": 0,
                                     "image_budget": 400, **SMALL}),
    "08_compute_appendix": Variant({}),
    "07_reproduction_report": Variant({}),
}


# Lines TensorFlow prints on some processors only, whatever the log level: the oneDNN banner,
# written while it loads, before its logging starts (TF_CPP_MIN_LOG_LEVEL cannot reach it; only
# TF_ENABLE_ONEDNN_OPTS=0, which changes the arithmetic, removes it). No test may depend on them.
UNSILENCEABLE = re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\)|"
                           r".*\] oneDNN custom operations are on")


def test_importing_mnist_utils_first_silences_tensorflow_logs():
    """Under a reader's papermill call (no runner to set the log level) TensorFlow's C++ log
    lines reach the notebook's stderr; chapters import mnist_utils before TensorFlow, which
    silences them. (Under pytest a kernel's C-level stderr does not reach the notebook, so
    this is checked in a plain subprocess.)"""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    # Logging device placement makes TensorFlow's C++ code log (at INFO) each op it runs, on any
    # processor: lines that the log level must silence, and that show the check can see them.
    work = "tensorflow.debugging.set_log_device_placement(True); keras.layers.Dense(2)(tensorflow.zeros((1, 2)))"

    def log_lines(imports: str) -> list[str]:
        stderr = subprocess.run([sys.executable, "-c", f"import {imports}; {work}"], cwd=paths.ROOT, env=env,
                                capture_output=True, text=True, check=True).stderr
        return [line for line in stderr.splitlines() if runner.TF_LOG_LINE.match(line) and not UNSILENCEABLE.match(line)]

    unsilenced = log_lines("tensorflow, keras")
    assert any("Executing op" in line for line in unsilenced), f"TensorFlow logged no op it ran: {unsilenced}"
    assert log_lines("mnist_utils, tensorflow, keras") == []


def tracked_state() -> tuple[str, str]:
    """git's view of the tracked files: status and a digest of the diff against HEAD."""
    git = lambda *a: subprocess.run(["git", *a], cwd=paths.ROOT, capture_output=True, text=True).stdout
    return git("status", "--porcelain", "--untracked-files=no"), hashlib.sha256(git("diff").encode()).hexdigest()


def test_every_variant_sets_only_declared_parameters():
    # papermill only warns about an undeclared parameter: a renamed one would silently
    # leave the chapter at its (book-sized) default.
    for chapter, variant in VARIANTS.items():
        declared = profiles.notebook_parameters(paths.NOTEBOOKS / f"{chapter}.ipynb")
        assert set(variant.params) <= set(declared), \
            f"{chapter}: undeclared {sorted(set(variant.params) - set(declared))}"


@pytest.fixture(scope="module")
def rerun_env(tmp_path_factory):
    """Plain papermill, as a reader runs it: no runner, scratch in a temporary folder."""
    scratch = tmp_path_factory.mktemp("scratch")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.SCRATCH_ENV, str(scratch))
        # A reader's environment: no runner settings (the TF log level included).
        for key in runner.KERNEL_ENV:
            mp.delenv(key, raising=False)
        for key in (paths.RECORD_ENV, paths.EXPERIMENT_ENV, paths.COMMIT_ENV):
            mp.delenv(key, raising=False)
        before = tracked_state()
        yield scratch
        assert tracked_state() == before, "a papermill rerun changed a tracked file"


@pytest.mark.parametrize("chapter", list(VARIANTS))
def test_chapter_runs_with_parameters_the_papers_never_used(chapter, rerun_env, tmp_path):
    variant = VARIANTS[chapter]
    output = tmp_path / f"{chapter}.ipynb"
    papermill.execute_notebook(str(paths.NOTEBOOKS / f"{chapter}.ipynb"), str(output),
                               parameters={"profile": PROFILE, **variant.params}, kernel_name="python3",
                               progress_bar=False, cwd=str(paths.ROOT))
    nb = nbformat.read(output, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    text = "".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", []))
    if "was produced by" in text:  # every page says where a rerun's outputs went
        assert "outside the book of record" in text
    verdicts_file = rerun_env / "results" / PROFILE / "verdicts" / f"{chapter}.csv"
    if variant.not_testable or variant.not_judged:
        verdicts = pd.read_csv(verdicts_file).set_index("claim_id")["verdict"]
        for claim_id in variant.not_testable:
            assert verdicts[claim_id] == "not testable", f"{chapter}: {claim_id} is {verdicts[claim_id]!r}"
        for claim_id in variant.not_judged:
            assert claim_id not in verdicts, f"{chapter}: {claim_id} was judged without its runs"


def test_ablation_effects_pair_runs_by_seed_and_skip_ablations_without_shared_seeds():
    from mnist_utils.results import ablation_effects

    final = pd.DataFrame({"config": ["improved CNN"] * 3 + ["no_dropout"] * 2 + ["no_batch_norm"],
                          "seed": [0, 1, 2, 2, 0, 7],
                          "test_accuracy": [0.99, 0.98, 0.97, 0.96, 0.97, 0.5]})
    table = ablation_effects(final, ["no_dropout", "no_batch_norm"])
    assert table["ablation"].tolist() == ["no_dropout"]          # seed 7 has no full-model run
    row = table.iloc[0]
    assert row["n"] == 2 and row["test accuracy"] == pytest.approx(0.965)
    # Paired by seed (seed 0: -2 pp, seed 2: -1 pp), not by position.
    assert row["Δ vs full (pp)"] == pytest.approx(-1.5)


def test_the_ablations_reuse_the_full_models_trainings_cut_at_their_budget():
    from mnist_utils import experiments, profiles

    params = profiles.chapter_parameters("06_improved_cnn", "cpu")
    sets = lambda **changes: {s.name: s for s in experiments.improved_cnn(**{**params, **changes})}
    full, ablation = sets()["06_improved_cnn"], sets()["06_improved_cnn_ablation"]
    assert ablation.configs[0] == full.configs[0] and ablation.cut_at == params["ablation_steps"]
    # Seeds the full model never trained, or a budget it was not tested at: a reference of its own.
    for changes in ({"ablation_seeds": [0, 9]}, {"ablation_steps": 3000}):
        ablation = sets(**changes)["06_improved_cnn_ablation"]
        assert ablation.configs[0].steps == ablation.configs[1].steps and ablation.cut_at == 0


def test_training_images_count_a_run_two_sets_share_once():
    from mnist_utils import experiments, profiles

    params = {**profiles.chapter_parameters("06_improved_cnn", "cpu"), "seeds": [0, 1, 2], "steps": 1000,
              "test_every": 500, "ablations": ["no_dropout"], "ablation_seeds": [0, 1], "ablation_steps": 500,
              "sensitivity": [], "final_configuration": ""}
    sets = experiments.improved_cnn(**params)
    # 3 full trainings of 1,000 steps (the reference reuses two of them) + 2 ablation runs of 500 steps.
    assert experiments.training_images(sets) == 50 * (3 * 1000 + 2 * 500)
    # Tested only every 1,000 steps, the full trainings cannot stand in at 500: 2 references more.
    sets = experiments.improved_cnn(**{**params, "test_every": 1000})
    assert experiments.training_images(sets) == 50 * (3 * 1000 + 2 * 500 + 2 * 500)
    lenet = runsets.RunSet("x", (experiments.TrainConfig("lenet5", batch_size=100, epochs=2),), (0, 1))
    assert experiments.training_images([lenet]) == 2 * 2 * 55_000


def test_the_sensitivity_grid_changes_only_the_rate_and_schedule_of_the_full_model():
    params = profiles.chapter_parameters("06_improved_cnn", "cpu")
    grid = [{"name": "constant 1e-3", "learning_rate": 0.001, "schedule": "constant"},
            {"name": "cosine from 1e-3", "learning_rate": 0.001, "schedule": "cosine", "warmup_fraction": 0.05}]
    sets = {s.name: s for s in experiments.improved_cnn(**{**params, "sensitivity": grid})}
    [full] = sets["06_improved_cnn"].configs
    constant, cosine = sets["06_improved_cnn_sensitivity"].configs
    assert sets["06_improved_cnn_sensitivity"].seeds == (0, 1)
    strip = lambda c: {k: v for k, v in c.__dict__.items() if k not in ("label", "learning_rate", "schedule", "warmup_steps")}
    assert strip(constant) == strip(full) == strip(cosine)
    assert (constant.learning_rate, constant.schedule, constant.warmup_steps) == (0.001, "constant", 0)
    assert (cosine.schedule, cosine.warmup_steps) == ("cosine", round(0.05 * full.steps))
    # Without a grid the chapter trains no grid and no final five.
    names = {s.name for s in experiments.improved_cnn(**{**params, "sensitivity": [], "final_configuration": ""})}
    assert names == {"06_improved_cnn", "06_improved_cnn_ablation"}
    with pytest.raises(experiments.TrainConfigError, match="needs name and learning_rate"):
        experiments.improved_cnn(**{**params, "sensitivity": [{"learning_rate": 0.001}]})


def test_the_final_five_train_the_named_grid_point_on_all_training_images(tiny_mnist):
    params = profiles.chapter_parameters("06_improved_cnn", "cpu")
    sets = {s.name: s for s in experiments.improved_cnn(**params)}
    final = sets["06_improved_cnn_final_five"]
    chosen = next(c for c in sets["06_improved_cnn_sensitivity"].configs
                  if c.label == experiments.sensitivity_label(params["final_configuration"]))
    assert final.all_training_images and final.seeds == (0, 1, 2, 3, 4)
    assert dataclasses.replace(final.configs[0], label="") == dataclasses.replace(chosen, label="")
    # Every other set trains on the training split alone, the very arrays it was given.
    assert all(s.data(tiny_mnist) is tiny_mnist for s in sets.values() if s is not final)
    with pytest.raises(experiments.TrainConfigError, match="final_configuration='cosine'.*not a sensitivity point"):
        experiments.improved_cnn(**{**params, "final_configuration": "cosine"})


def test_all_training_images_add_the_validation_split_and_change_the_key_not_the_code(tiny_mnist):
    from mnist_utils import store
    from mnist_utils import train as training

    both = runsets.with_validation_in_training(tiny_mnist)
    assert len(both.train) == len(tiny_mnist.train) + len(tiny_mnist.validation)
    assert np.array_equal(both.train.images[len(tiny_mnist.train):], tiny_mnist.validation.images)
    assert both.test is tiny_mnist.test and both.validation is tiny_mnist.validation
    assert runsets.with_validation_in_training(tiny_mnist) is both   # built once: one fingerprint
    config = experiments.TrainConfig("softmax", {}, "sgd", 0.5, 32, steps=4)
    key = lambda m: store.run_key(training.run_spec(config, 0, m), store.data_fingerprint(m), code="c", backend_name="b")
    assert key(both) != key(tiny_mnist)
    assert training.run_spec(config, 0, both)["n_train"] == len(both.train)


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
    from mnist_utils.results import final_rows, read

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
