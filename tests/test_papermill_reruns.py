"""Every chapter runs with parameter values the papers never used, through plain papermill,
and such a rerun changes no tracked file.

Each chapter is executed as a reader would rerun it (``papermill notebooks/NN.ipynb out.ipynb
-p ...``), on small subsets, with a profile name of its own so that chapters 5-7 read the
results the variants of chapters 2-4 wrote. A claim the variant cannot test must come out
as "not testable", never as a crash.
"""
from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass

import nbformat
import pandas as pd
import papermill
import pytest

from mnist_utils import runner
from mnist_utils.core import paths, profiles

pytestmark = pytest.mark.notebook

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
                                    "eval_every": 30, "flax_seeds": [7], **SMALL}),
    "03_activation_study": Variant({"activations": ["relu", "tanh"], "seeds": [0], "optimizer": "rmsprop",
                                    "max_epochs": 2, "patience_epochs": 1, "evals_per_epoch": 2,
                                    "extra_activations": ["selu"], "fully_connected_activations": ["relu"],
                                    "arm_optimizer": "sgd",
                                    "arm_learning_rates": [0.05], "arm_rates": {"relu": 0.05},
                                    "arm_seeds": [0], "sparsity_seeds": [0], "gradient_steps": 3,
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
    "10_second_implementation": Variant({}),
    "07_reproduction_report": Variant({}),
}


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


@pytest.mark.parametrize("parameters, culprit", [
    ({"grid_row": 2}, "01_reading_mnist: unknown parameter grid_row=2 "),
    ({"grid_rows": "2"}, "01_reading_mnist: parameter grid_rows='2': must be an integer, like its default 10"),
])
def test_a_misspelt_or_ill_typed_parameter_stops_the_chapter_with_one_line_naming_it(parameters, culprit, rerun_env,
                                                                                       tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as err:
        papermill.execute_notebook(str(paths.NOTEBOOKS / "01_reading_mnist.ipynb"), str(tmp_path / "out.ipynb"),
                                   parameters={"profile": PROFILE, **parameters}, kernel_name="python3",
                                   progress_bar=False, cwd=str(paths.ROOT))
    assert err.value.ename == "RunError" and err.value.evalue.startswith(culprit) and "\n" not in err.value.evalue


# One parameter changed alone on the smoke profile's small chapter: where another parameter
# depends on it (the optimizer arm's chosen rates on the activations, the arm itself on the
# optimizer, chapter 6's final five on its grid), the chapter follows without a second change.
ONE_CHANGE = [
    ("03_activation_study", {"activations": ["relu", "tanh"]}),
    ("03_activation_study", {"optimizer": "momentum"}),
    ("06_improved_cnn", {"sensitivity": []}),
]


@pytest.mark.parametrize("chapter, change", ONE_CHANGE, ids=[f"{c}-{next(iter(p))}" for c, p in ONE_CHANGE])
def test_a_chapter_runs_with_one_parameter_changed_and_no_other(chapter, change, rerun_env, tmp_path):
    smoke = {name: value for name, value in profiles.chapter_parameters(chapter, "smoke").items() if name != "profile"}
    papermill.execute_notebook(str(paths.NOTEBOOKS / f"{chapter}.ipynb"), str(tmp_path / "out.ipynb"),
                               parameters={**smoke, "profile": PROFILE, **change}, kernel_name="python3",
                               progress_bar=False, cwd=str(paths.ROOT))
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
