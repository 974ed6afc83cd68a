"""Chapter 2's page module on tiny hand-made frames (no training)."""
from __future__ import annotations

import pandas as pd
import pytest

from mnist_utils.chapters import softmax_page
from mnist_utils.core import claims

PAPER = claims.values("liu_fu.softmax.accuracy")


def test_accuracy_table_pairs_runs_with_the_papers_values_by_number():
    final = pd.DataFrame({"seed": [0, 1], "val_accuracy": [0.93124, 0.932], "test_accuracy": [0.91361, 0.9161]})
    table = softmax_page.accuracy_table(final, digits=4)
    assert list(table.columns) == ["seed", "validation accuracy", "test accuracy", "Liu & Fu Table 2 (paper)"]
    assert table["validation accuracy"].tolist() == ["0.9312", "0.9320"]
    assert table["Liu & Fu Table 2 (paper)"].tolist() == [f"{v:.4f}" for v in PAPER[:2]]
    assert softmax_page.accuracy_table(final, digits=2)["test accuracy"].tolist() == ["0.91", "0.92"]


def test_accuracy_table_has_a_dash_where_the_paper_has_no_run():
    final = pd.DataFrame({"seed": range(len(PAPER) + 1), "val_accuracy": 0.9, "test_accuracy": 0.9})
    assert softmax_page.accuracy_table(final)["Liu & Fu Table 2 (paper)"].iloc[-1] == "—"


class Recorded:
    def recorded(self, claim_id, column="verdict"):
        return {"verdict": "reproduced", "margin": "±0.54 pp", "how": "because"}[column]


def test_numbers_cite_the_difference_to_the_papers_mean():
    final = pd.DataFrame({"test_accuracy": [0.91, 0.93, 0.92]})
    values = softmax_page.numbers(final, Recorded())
    expected = (0.92 - sum(PAPER) / len(PAPER)) * 100
    assert values["softmax_diff_pp"] == f"{expected:+.2f}"
    assert values["softmax_measured"].startswith("0.9200 ± ")
    assert values["softmax_paper_range"] == f"{min(PAPER):.4f}–{max(PAPER):.4f}"
    assert (values["softmax_verdict"], values["softmax_margin"], values["softmax_n_seeds"]) == ("reproduced", "±0.54 pp", 3)


def test_curve_numbers_say_how_much_each_half_of_training_adds():
    results = pd.DataFrame({"step": [100, 200, 300, 400] * 2, "seed": [0] * 4 + [1] * 4,
                            "val_accuracy": [0.90, 0.92, 0.925, 0.93, 0.92, 0.92, 0.935, 0.94]})
    values = softmax_page.curve_numbers(results, eval_every=100)
    assert (values["softmax_curve_first_step"], values["softmax_curve_mid_step"],
            values["softmax_curve_last_step"]) == ("100", "200", "400")
    assert (values["softmax_curve_first"], values["softmax_curve_mid"], values["softmax_curve_last"]) == \
        ("0.9100", "0.9200", "0.9350")
    assert values["softmax_gain_first_half_pp"] == "1.00"
    assert values["softmax_gain_second_half_pp"] == "1.50"
    assert values["softmax_final_spread_pp"] == "1.00"
    assert values["softmax_eval_every"] == 100


def test_curve_numbers_write_iterations_as_integers_with_commas():
    results = pd.DataFrame({"step": [500.0, 1000.0], "val_accuracy": [0.9, 0.91]})
    values = softmax_page.curve_numbers(results, eval_every=500)
    assert values["softmax_curve_last_step"] == "1,000" and values["softmax_curve_mid_step"] == "500"


def backends(jax_seeds=(0, 1)):
    rows = [{"backend": "tensorflow", "seed": s, "test_accuracy": 0.91 + s / 100} for s in (0, 1)]
    rows += [{"backend": "jax", "seed": s, "test_accuracy": 0.9105 + s / 100} for s in jax_seeds]
    return pd.DataFrame(rows)


def test_backend_table_shows_both_backends_and_their_difference():
    table = softmax_page.backend_table(backends())
    assert list(table.columns) == ["seed", "TensorFlow test accuracy", "JAX test accuracy", "JAX − TensorFlow (pp)"]
    assert table["JAX − TensorFlow (pp)"].tolist() == ["+0.05", "+0.05"]
    only_tf = softmax_page.backend_table(backends(jax_seeds=()))
    assert list(only_tf.columns) == ["seed", "TensorFlow test accuracy"]


def test_jax_numbers_judge_only_a_complete_set_of_seeds():
    assert softmax_page.jax_numbers(backends(jax_seeds=(0,)), 2)["softmax_jax_verdict"] == "not judged"
    complete = softmax_page.jax_numbers(backends(), 2)
    assert complete["softmax_jax"].startswith("0.9155 ± ")
    assert complete["softmax_jax_verdict"] in {"reproduced", "not reproduced", "inconclusive"}


@pytest.mark.parametrize("digits", [2, 4])
def test_accuracy_table_never_shows_a_raw_float(digits):
    final = pd.DataFrame({"seed": [3], "val_accuracy": [0.1], "test_accuracy": [0.2]})
    assert all(isinstance(v, str) for v in softmax_page.accuracy_table(final, digits).iloc[0, 1:])


def test_a_seed_without_a_run_on_one_backend_shows_a_dash_not_nan():
    from mnist_utils.present import rendering

    table = softmax_page.backend_table(backends(jax_seeds=(0,)))
    assert pd.isna(table["JAX test accuracy"].iloc[1]) and pd.isna(table["JAX − TensorFlow (pp)"].iloc[1])
    shown = rendering.table_markdown(table, False) + rendering.table_html(table, False)
    assert "nan" not in shown.lower() and "0.9105" in shown
