"""The seaborn/matplotlib figures the chapters share."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

sns.set_theme(context="notebook", style="whitegrid")


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
    ax.set_title(title or f"{y.replace('_', ' ')} (mean ± 1 sd over seeds)")
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
    if title:
        ax.set_title(title)
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


def final_accuracy(final, y: str = "test_accuracy", x: str = "config", title: str | None = None, ax=None):
    """Per-seed final values (dots) with the mean and its 95% CI (bars)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.6))
    sns.pointplot(data=final, x=x, y=y, errorbar=("ci", 95), seed=0, color="k", capsize=0.15,
                  linestyles="none", ax=ax)
    sns.stripplot(data=final, x=x, y=y, hue=x, size=6, jitter=0.1, alpha=0.7, ax=ax, legend=False)
    ax.set_title(title or f"final {y.replace('_', ' ')} per seed, mean and 95% CI")
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
    ax.set_xlabel(f"{unit} (median; whiskers: min–max)")
    ax.set_title(title)
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
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
