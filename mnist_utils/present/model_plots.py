"""Figures of digits and of what trained models get wrong: digit grids, label counts, weight
images, confusion matrices, where errors pile up, what a probe finds, gradient sizes. They share
``plots``' page sizing and style."""
from __future__ import annotations

import numpy as np
import seaborn as sns

from ..runs.probes import VARIANTS
from . import tables
from .plots import MAX_WIDTH_IN, SMALL_PT, _subplots, _title, _wrap_labels, axis_label


def digit_grid(images: np.ndarray, labels: np.ndarray, rows: int = 10, cols: int = 10,
               title: str | None = None, captions: list[str] | None = None):
    """A rows x cols grid of digits, each captioned with its label (or ``captions``)."""
    n = min(rows * cols, len(images))
    cell = min(0.9, MAX_WIDTH_IN / cols)
    fig, axes = _subplots(rows, cols, figsize=(cols * cell, rows * cell * 1.1 + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=images.max() or 1)
            ax.set_title(captions[i] if captions else str(int(labels[i])), fontsize=SMALL_PT, pad=2)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def single_digit(image: np.ndarray, title: str):
    """One image at pixel resolution with a colour bar of its raw values."""
    fig, ax = _subplots(figsize=(3.6, 3.2))
    shown = ax.imshow(image, cmap="gray", interpolation="nearest")
    fig.colorbar(shown, ax=ax, fraction=0.046)
    ax.set_title(title)
    ax.set_xticks([0, 27])
    ax.set_yticks([0, 27])
    fig.tight_layout()
    return fig


def label_counts(counts):
    """Bar chart of images per digit, one colour per split (from ``data.label_counts``)."""
    fig, ax = _subplots(figsize=(8, 3.5))
    sns.barplot(data=counts, x="digit", y="count", hue="split", ax=ax)
    ax.set_ylabel("images")
    # Above the bars, in one row: inside the axes it covered the bars of the last digits.
    sns.move_legend(ax, "lower center", bbox_to_anchor=(0.5, 1.0), ncol=counts["split"].nunique(),
                    title=None, frameon=False)
    fig.tight_layout()
    return fig


def weight_images(kernel: np.ndarray, title: str = "learned weights per class"):
    """The 784 x 10 weights of a linear classifier as ten 28x28 images (red +, blue -)."""
    weights = kernel.reshape(28, 28, 10)
    limit = np.abs(weights).max()
    fig, axes = _subplots(2, 5, figsize=(6.5, 3.2))
    for digit, ax in enumerate(axes.flat):
        ax.imshow(weights[:, :, digit], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(str(digit))
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


CONFUSION_FONT_PT = 12


def confusion(labels: np.ndarray, predicted: np.ndarray, title: str = "confusion matrix (test set)"):
    """Counts of true (rows) vs predicted (columns) digits; the diagonal is left blank to show errors."""
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (labels, predicted), 1)
    off_diagonal = np.where(np.eye(10, dtype=bool), np.nan, matrix)
    # Cells of 0.6 in (60 px) hold a four-digit count in 12-point type (about 17 px on the page).
    fig, ax = _subplots(figsize=(7, 6.2))
    sns.heatmap(off_diagonal, annot=matrix, fmt="d", cmap="Reds", cbar=False, ax=ax,
                annot_kws={"fontsize": CONFUSION_FONT_PT}, linewidths=0.5, linecolor="0.9")
    ax.grid(False)   # the style's grid would cross the blank diagonal
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def errors_by_predicted_digit(pileup, title: str | None = None):
    """Rows: runs; columns: the digit a wrong answer predicted; cells: how many test errors.
    A run whose errors pile into one digit shows one dark cell (from ``measures.error_pileup``)."""
    columns = [f"predicted {d}" for d in range(10)]
    counts = pileup[columns].to_numpy()
    fig, ax = _subplots(figsize=(7.5, 0.45 * len(pileup) + 1.6))
    sns.heatmap(counts, annot=True, fmt="d", cmap="Reds", cbar=False, ax=ax, annot_kws={"fontsize": SMALL_PT},
                linewidths=0.5, linecolor="0.9", xticklabels=list(range(10)),
                yticklabels=[f"{r.removeprefix('improved CNN, ')} ({a:.4f})"
                             for r, a in zip(pileup["run_id"], pileup["test_accuracy"])])
    _wrap_labels(ax, "y")
    ax.set_xlabel("digit predicted by a wrong answer")
    ax.set_ylabel("")
    ax.set_title(title or "test errors by the digit they predicted")
    fig.tight_layout()
    return fig


def probe_effects(probed, title: str | None = None):
    """What a probe (``probes.probe``) finds, one line per probed run: test accuracy (left) and
    the share of its errors in its most-predicted wrong digit (right) for each kept checkpoint as
    trained, then with batch norm's statistics re-estimated, then with the checkpoints averaged."""

    frame = probed.copy()
    as_trained = frame["variant"] == VARIANTS[0]
    frame["model"] = np.where(as_trained, frame["step"].map(lambda s: f"step {int(s):,}"), frame["variant"])
    order = list(dict.fromkeys([*frame.loc[as_trained].sort_values("step")["model"], *VARIANTS[1:]]))
    fig, axes = _subplots(1, 2, figsize=(10, 0.4 * len(order) + 2), sharey=True)
    for ax, value, label in ((axes[0], "test_accuracy", "test accuracy"),
                             (axes[1], "share", "share of errors in the top wrong digit")):
        # Markers only: the rows are kinds of model, not a sequence a line could join.
        sns.pointplot(data=frame.assign(run_id=frame["run_id"].map(tables.prose)), x=value, y="model",
                      hue="run_id", order=order, ax=ax, markers="o", linestyles="none",
                  dodge=0.3 if frame["run_id"].nunique() > 1 else False, errorbar=None,   # seaborn divides by runs − 1
                      legend=ax is axes[1])
        ax.set_xlabel(label)
        ax.set_ylabel("")
    axes[1].legend(title="", fontsize=SMALL_PT, loc="best")
    fig.suptitle(title or "what re-estimating batch norm and averaging checkpoints change")
    fig.tight_layout()
    return fig


def error_pileup_by_setup(pileup, title: str | None = None):
    """One row per set-up (``runsets.stored_error_pileup``), one dot per run: the share of its test
    errors that went to the one wrong digit it answered most often. Dots near 0.1 spread their
    errors over the digits; dots far right pile them into one."""
    levels = list(pileup.sort_values(["schedule", "widths", "steps"])["set-up"].unique())
    fig, ax = _subplots(figsize=(11, 0.42 * len(levels) + 1.8))
    sns.stripplot(data=pileup, x="share", y="set-up", hue="schedule", order=levels, size=7, jitter=0.12,
                  alpha=0.8, orient="h", ax=ax)
    ax.axvline(0.3, color="0.6", linestyle=":", linewidth=1)
    ax.set_xlim(0, max(0.65, float(pileup["share"].max()) + 0.05) if len(pileup) else 1)
    ax.set_xlabel("share of a run's test errors in its top wrong digit")
    ax.set_ylabel("")
    ax.legend(title="learning rate", fontsize=SMALL_PT, loc="best")
    _wrap_labels(ax, "y", 40)
    _title(ax, title or "where the errors go, every stored run", "dots: runs; dotted: 30%")
    fig.tight_layout()
    return fig


def gradient_sizes(table, title: str | None = None):
    """Each layer's root-mean-square gradient over the first steps of training (``gradients``),
    one panel per configuration, one line per layer: the median over seeds, and the band
    from the smallest to the largest seed (a band of three or so seeds, not an interval)."""
    configs = list(dict.fromkeys(table["config"]))
    fig, axes = _subplots(1, len(configs), figsize=(3.2 * len(configs), 3.6), sharey=True, squeeze=False)
    for ax, config in zip(axes[0], configs):
        runs = table[table["config"] == config]
        for layer in dict.fromkeys(runs["layer"]):
            by_step = runs[runs["layer"] == layer].groupby("step")["rms"]
            median = by_step.median()
            line, = ax.plot(median.index, median.to_numpy(), label=layer, lw=1.2)
            ax.fill_between(median.index, by_step.min().to_numpy(), by_step.max().to_numpy(),
                            color=line.get_color(), alpha=0.15, lw=0)
        ax.set_yscale("log")
        ax.set_xlabel(axis_label("step"))
        ax.set_title(tables.name(config))
    axes[0][0].set_ylabel("RMS gradient of the layer's kernel")
    # Below the panels, in one row: inside a panel it covered that panel's lines.
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.suptitle(f"{title or 'gradient size per layer'}\nline: median over seeds; band: smallest to largest seed",
                 fontsize=13)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(handles, labels, title=None, fontsize=SMALL_PT, loc="lower center", ncol=len(labels), frameon=False)
    return fig
