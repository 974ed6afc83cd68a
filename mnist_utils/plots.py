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
