"""The seaborn/matplotlib figures the chapters share."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

sns.set_theme(context="notebook", style="whitegrid")

# What a results column is called on an axis.
AXIS_LABELS = {"val_accuracy": "validation accuracy", "val_loss": "validation loss", "train_loss": "training loss",
               "test_accuracy": "test accuracy", "test_error_pct": "test error (%)", "step": "training iterations",
               "epoch": "epoch", "lr": "learning rate", "config": "model"}


def axis_label(column: str) -> str:
    return AXIS_LABELS.get(column, column.replace("_", " "))


def _title(ax, title: str, errorbars: str) -> None:
    """A figure's title with, below it in smaller type, what its error bars or bands show."""
    ax.set_title(f"{title}\n", loc="center")
    ax.text(0.5, 1.01, errorbars, transform=ax.transAxes, ha="center", va="bottom", fontsize="small", color="0.3")


def digit_grid(images: np.ndarray, labels: np.ndarray, rows: int = 10, cols: int = 10,
               title: str | None = None, captions: list[str] | None = None):
    """A rows x cols grid of digits, each captioned with its label (or ``captions``)."""
    n = min(rows * cols, len(images))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 1.0 + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=images.max() or 1)
            ax.set_title(captions[i] if captions else str(int(labels[i])), fontsize=8, pad=2)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def single_digit(image: np.ndarray, title: str):
    """One image at pixel resolution with a colour bar of its raw values."""
    fig, ax = plt.subplots(figsize=(3.6, 3.2))
    shown = ax.imshow(image, cmap="gray", interpolation="nearest")
    fig.colorbar(shown, ax=ax, fraction=0.046)
    ax.set_title(title)
    ax.set_xticks([0, 27])
    ax.set_yticks([0, 27])
    fig.tight_layout()
    return fig


def label_counts(counts):
    """Bar chart of images per digit, one colour per split (from ``data.label_counts``)."""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    sns.barplot(data=counts, x="digit", y="count", hue="split", ax=ax)
    ax.set_ylabel("images")
    fig.tight_layout()
    return fig


def learning_curves(results, y: str = "val_accuracy", x: str = "epoch", hue: str = "config",
                    ylim=None, title: str | None = None, ax=None):
    """Mean over seeds with a band of ±1 standard deviation, one line per ``hue``."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    sns.lineplot(data=results, x=x, y=y, hue=hue, errorbar="sd", ax=ax)
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.legend(title=axis_label(hue))
    if x == "step":
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _title(ax, title or axis_label(y), "line: mean over seeds; band: ±1 standard deviation")
    ax.figure.tight_layout()
    return ax.figure


def measured_vs_paper(measured, paper, ylabel: str = "test accuracy", title: str | None = None):
    """Per-run values of this replication beside the paper's, each with its mean."""
    import pandas as pd

    frame = pd.concat([
        pd.DataFrame({"source": "this replication (measured)", "value": list(measured)}),
        pd.DataFrame({"source": "paper (as printed)", "value": list(paper)}),
    ])
    fig, ax = plt.subplots(figsize=(6, 3.6))
    sns.stripplot(data=frame, x="source", y="value", hue="source", size=8, jitter=0.08, ax=ax, legend=False)
    sns.pointplot(data=frame, x="source", y="value", errorbar=("ci", 95), seed=0, color="k",
                  markers="_", linestyles="none", capsize=0.15, ax=ax)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    _title(ax, title or ylabel, "dots: runs; black: mean and its 95% confidence interval")
    fig.tight_layout()
    return fig


def weight_images(kernel: np.ndarray, title: str = "learned weights per class"):
    """The 784 x 10 weights of a linear classifier as ten 28x28 images (red +, blue -)."""
    weights = kernel.reshape(28, 28, 10)
    limit = np.abs(weights).max()
    fig, axes = plt.subplots(1, 10, figsize=(12, 1.8))
    for digit, ax in enumerate(axes):
        ax.imshow(weights[:, :, digit], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(str(digit))
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def final_accuracy(final, value: str = "test_accuracy", by: str = "config", title: str | None = None, ax=None):
    """Per-seed final values (dots) with the mean and its 95% CI (black), one row per ``by``
    category: horizontal, so that long category names stay readable at any page width."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 0.5 * final[by].nunique() + 1.6))
    sns.pointplot(data=final, x=value, y=by, errorbar=("ci", 95), seed=0, color="k", capsize=0.15,
                  linestyles="none", orient="h", ax=ax)
    sns.stripplot(data=final, x=value, y=by, hue=by, size=6, jitter=0.1, alpha=0.7, orient="h", ax=ax, legend=False)
    ax.set_xlabel(axis_label(value))
    ax.set_ylabel("")
    _title(ax, title or f"final {axis_label(value)} per seed", "dots: seeds; black: mean and its 95% confidence interval")
    ax.figure.tight_layout()
    return ax.figure


def confusion(labels: np.ndarray, predicted: np.ndarray, title: str = "confusion matrix (test set)"):
    """Counts of true (rows) vs predicted (columns) digits; the diagonal is left blank to show errors."""
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (labels, predicted), 1)
    off_diagonal = np.where(np.eye(10, dtype=bool), np.nan, matrix)
    fig, ax = plt.subplots(figsize=(6.4, 5.4))
    sns.heatmap(off_diagonal, annot=matrix, fmt="d", cmap="Reds", cbar=False, ax=ax,
                annot_kws={"fontsize": 8}, linewidths=0.5, linecolor="0.9")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def benchmark_bars(summary, title: str, unit: str = "images/s"):
    """Horizontal bars of benchmark medians with min–max whiskers."""
    frame = summary.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(frame) + 1.2))
    colours = sns.color_palette("deep", len(frame))
    ax.barh(frame["measurement"], frame["median"], color=colours,
            xerr=[frame["median"] - frame["min"], frame["max"] - frame["median"]], capsize=3)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    _title(ax, title, "bars: median of the repeats; whiskers: their minimum and maximum")
    fig.tight_layout()
    return fig


def accuracy_against_budget(curve, paper_values=None, title: str | None = None):
    """Mean test accuracy (error bars: 95% CI over seeds) against training iterations, from a
    ``stats.summarize(..., "step", ...)`` table; the paper's range as a band when given."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    half = np.nan_to_num(curve["ci_half"].to_numpy(float))
    ax.errorbar(curve["step"], curve["mean"], yerr=half, marker="o", capsize=3, label="this book (mean, 95% CI)")
    if paper_values is not None and len(paper_values):
        ax.axhspan(min(paper_values), max(paper_values), color="tab:orange", alpha=0.25,
                   label="the paper's five trainings (range)")
    ax.set_xlabel("training iterations")
    ax.set_ylabel("test accuracy")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _title(ax, title or "test accuracy against iterations", "dots: mean over seeds; bars: its 95% confidence interval")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
