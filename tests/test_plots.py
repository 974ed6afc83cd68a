"""The shared figures: readable category labels, axis labels in words, and every figure with
error bars or bands saying what they show."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from mnist_utils import plots  # noqa: E402


def texts(fig) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in [ax.title, *ax.texts])


def test_final_values_put_long_category_names_on_the_vertical_axis_and_explain_the_bars():
    names = [f"relu lr={r}" for r in ("0.0001", "0.0002", "0.001", "0.002", "0.004", "0.008")]
    final = pd.DataFrame({"setting": names * 2, "val_accuracy": [0.95 + i / 1000 for i in range(12)]})
    fig = plots.final_accuracy(final, value="val_accuracy", by="setting", title="per rate")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == names, "one readable row per category"
    assert ax.get_xlabel() == "validation accuracy"
    assert "95% confidence interval" in texts(fig)


def test_learning_curves_name_their_axes_and_say_the_band_is_one_standard_deviation():
    results = pd.DataFrame({"step": [100, 200] * 2, "val_loss": [1.0, 0.5, 0.9, 0.6], "config": ["a"] * 4,
                            "seed": [0, 0, 1, 1]})
    fig = plots.learning_curves(results, y="val_loss", x="step", title="loss")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("training iterations", "validation loss")
    assert "±1 standard deviation" in texts(fig) and "loss" in ax.get_title()
