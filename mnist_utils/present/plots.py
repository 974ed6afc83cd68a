"""The seaborn/matplotlib figures the chapters share."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..judging import stats
from . import intervals, tables
from .rendering import VERDICT_COLOURS

# Every figure fits the page: at the book's resolution (the inline backend's 100 dpi) a figure
# of MAX_WIDTH_IN inches is narrower than the text column of a 1,400 px wide page (COLUMN_PX),
# so the browser never shrinks it, nor its lettering (tests/test_browser.py checks the built
# pages). ``_subplots`` caps every figure's width, and long category labels are wrapped
# (``_wrap_labels``) so that the figure's tight bounding box does not grow past it either.
DPI = 100
MAX_WIDTH_IN = 7.5
COLUMN_PX = 772
# On a phone (a 420 px wide page) the column is about PHONE_COLUMN_PX wide and a figure of
# MAX_WIDTH_IN is shrunk to it, its lettering with it: no text may then be smaller than
# MIN_TEXT_PX. SMALL_PT is the smallest type any figure uses (legends, notes, tick labels):
# 11.5 points at 100 dpi is 16 px, about 8 px on the phone.
PHONE_COLUMN_PX = 380
MIN_TEXT_PX = 8
SMALL_PT = 11.5
assert SMALL_PT * DPI / 72 * PHONE_COLUMN_PX / (MAX_WIDTH_IN * DPI) >= MIN_TEXT_PX - 0.05
# seaborn's "notebook" sizes, none below SMALL_PT (its "small" is 0.833 of font.size).
sns.set_theme(context="notebook", style="whitegrid",
              rc={"font.size": SMALL_PT / 0.833, "axes.labelsize": 13, "axes.titlesize": 13.5,
                  "xtick.labelsize": 12, "ytick.labelsize": 12, "legend.fontsize": SMALL_PT,
                  "legend.title_fontsize": 12, "figure.titlesize": 13.5})
plt.rcParams["figure.dpi"] = DPI


def fit_page(fig, width: float = MAX_WIDTH_IN):
    """``fig`` scaled, aspect kept, to at most ``width`` inches: for a figure drawn elsewhere
    (seaborn's figure-level functions, a caller's own axes) that ``_subplots`` did not size."""
    w, h = fig.get_size_inches()
    if w > width:
        fig.set_size_inches(width, h * width / w)
        fig.tight_layout()
    # The page shows the figure's tight bounding box, which a legend or a label outside the axes
    # can widen past the figure itself: shrink until that box fits too.
    for _ in range(3):
        tight = fig.get_tightbbox(fig.canvas.get_renderer()).width
        if tight <= width:
            break
        w, h = fig.get_size_inches()
        fig.set_size_inches(w * width / tight * 0.98, h * width / tight * 0.98)
        fig.tight_layout()
    return fig


def _subplots(nrows: int = 1, ncols: int = 1, *, figsize, **kwargs):
    """``plt.subplots`` with the figure's width capped at ``MAX_WIDTH_IN``."""
    width, height = figsize
    return plt.subplots(nrows, ncols, figsize=(min(width, MAX_WIDTH_IN), height), **kwargs)


def _wrap(label, width: int = 32) -> str:
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def _wrap_labels(ax, axis: str = "y", width: int = 32) -> None:
    """Wrap the category labels of ``axis`` at ``width`` characters."""
    ticks = ax.get_yticks() if axis == "y" else ax.get_xticks()
    labels = [_wrap(t.get_text(), width) for t in (ax.get_yticklabels() if axis == "y" else ax.get_xticklabels())]
    (ax.set_yticks if axis == "y" else ax.set_xticks)(ticks, labels)

# What a results column is called on an axis.
AXIS_LABELS = {"val_accuracy": "validation accuracy", "val_loss": "validation loss", "train_loss": "training loss",
               "test_accuracy": "test accuracy", "test_error_pct": "test error (%)", "step": "training iterations",
               "epoch": "epoch", "lr": "learning rate", "config": "model"}


def axis_label(column: str) -> str:
    """What a column is called on an axis: ``AXIS_LABELS``, else its display name (``tables.name``)."""
    return AXIS_LABELS.get(column) or tables.name(column)


def _title(ax, title: str, errorbars: str) -> None:
    """A figure's title with, below it in smaller type, what its error bars or bands show. Both
    are wrapped to the width of the axes, and the title is lifted by the height of the note's
    lines (in points, whatever the figure's layout does later), so the two never overlap."""
    ax.figure.tight_layout()   # the axes' width once the tick labels have their room
    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72 * 0.95
    note = textwrap.wrap(errorbars, max(20, int(width_pt / (SMALL_PT * 0.58))))
    ax.annotate("\n".join(note), xy=(0.5, 1.0), xycoords="axes fraction", xytext=(0, 4), textcoords="offset points",
                ha="center", va="bottom", fontsize=SMALL_PT, color="0.3")
    heading = textwrap.wrap(title, max(20, int(width_pt / (13.5 * 0.58))))
    ax.set_title("\n".join(heading), loc="center", pad=4 + len(note) * SMALL_PT * 1.25 + 6)


# Every interval drawn here is the one the tables print: the Student-t interval of the mean over
# seeds from ``stats.mean_ci``/``stats.summarize``. Seaborn's own error bars (a bootstrap, or ±1 sd)
# would put a different interval beside the same numbers, so none of the figures below use them.
CI = "95% confidence interval of the mean (Student t)"


def _attach_intervals(ax, drawn: pd.DataFrame) -> None:
    """Keep what was drawn on the Axes and its figure (``drawn_intervals``), so that a test or a
    reader can check it against the table. A figure of several panels keeps the last one drawn;
    each Axes keeps its own."""
    drawn = drawn.reset_index(drop=True)
    ax.drawn_intervals = drawn
    ax.figure.drawn_intervals = drawn


def bounds_of(value: str):
    """The values a quantity can take, by its column name: an accuracy or a share in [0, 1], a
    percentage in [0, 100]; None for anything else."""
    if "accuracy" in value or value in ("share", "value"):
        return (0.0, 1.0)
    if value.endswith("_pct") or "(%)" in value:
        return (0.0, 100.0)
    return None


FEW = "none for 3 runs or fewer"


def _reader_intervals(frame: pd.DataFrame, by: str, value: str, bounds) -> pd.DataFrame:
    """``stats.summarize`` of ``value`` per ``by`` with the interval the book's prose and tables
    write (``intervals.interval_ends``): none for three runs or fewer (the dots are the runs), and
    never beyond ``bounds`` (the t-interval on the logit scale where the plain one would leave them)."""
    summary = stats.summarize(frame, by, value)
    ends = [intervals.interval_ends(frame.loc[frame[by] == level, value], bounds=bounds) for level in summary[by]]
    summary["ci_low"], summary["ci_high"] = [e[0] for e in ends], [e[1] for e in ends]
    return summary


def _interval_table(summary: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    return summary[[*groups, "mean", "ci_low", "ci_high"]].reset_index(drop=True)


def _has_interval(summary: pd.DataFrame) -> np.ndarray:
    # A single run, or runs that do not vary, have no interval (``mean_ci`` gives NaN): the mean is
    # drawn without a bar, as a zero-length bar would look like a perfectly certain value.
    return np.isfinite(summary["ci_low"].to_numpy(float)) & np.isfinite(summary["ci_high"].to_numpy(float))


def _paper_reference(ax, paper, orientation: str, range_label: str = "paper's range"):
    """The paper's value as a dashed line, or its (low, high) range as a shaded span, across the
    value axis (``orientation``: "vertical" for a horizontal value axis, "horizontal" otherwise).
    Returns the labelled artist for the legend, or None without a paper value."""
    if paper is None:
        return None
    if np.ndim(paper) == 0:
        line = ax.axvline if orientation == "vertical" else ax.axhline
        return line(float(paper), color="tab:red", linestyle="--", linewidth=1.5, zorder=1,
                    label=f"paper: {float(paper):g}")
    low, high = float(np.min(paper)), float(np.max(paper))
    span = ax.axvspan if orientation == "vertical" else ax.axhspan
    return span(low, high, color="tab:orange", alpha=0.25, zorder=0, label=range_label)


def learning_curves(results, y: str = "val_accuracy", x: str = "epoch", hue: str | None = "config",
                    ylim=None, title: str | None = None, ax=None, paper: float | None = None,
                    zoom_from: float | None = None):
    """Mean over seeds (line) with the 95% Student-t interval of that mean (band) at each ``x``,
    one line per ``hue`` (named by ``tables.name``); the paper's value as a dashed horizontal
    line when given.

    ``zoom_from``: the value axis spans only what is drawn from this ``x`` on (means, bands and
    the paper's value), so that differences of a point or two late in training are visible;
    earlier points run off the axis. An accuracy axis never runs past 0 or 1 (a band of three
    seeds can). ``ylim`` overrides both.

    The band comes from ``stats.mean_ci`` per (hue, x), the interval the tables print; where fewer
    than two runs reached an ``x`` there is no interval and no band. ``drawn_intervals`` on the
    figure holds [hue, x, mean, ci_low, ci_high] (the actual column names)."""
    if ax is None:
        fig, ax = _subplots(figsize=(7, 4))
    groups = [x] if hue is None else [hue, x]
    # Missing values are rows that did not record this metric (seaborn dropped them too).
    summary = stats.summarize(results.dropna(subset=[y]), groups, y)
    if hue is None:
        levels = [None]
    else:
        levels = list(pd.unique(results[hue].dropna()))
        if pd.api.types.is_numeric_dtype(results[hue]):  # numbers (e.g. rates) in increasing order
            levels = sorted(levels)
    palette = sns.color_palette("husl" if len(levels) > 10 else None, n_colors=len(levels))
    drawn = []
    for level, colour in zip(levels, palette):
        curve = summary if hue is None else summary[summary[hue] == level]
        curve = curve.sort_values(x)
        if curve.empty:
            continue
        xs = curve[x].to_numpy(float)
        ax.plot(xs, curve["mean"], color=colour, label=None if hue is None else tables.name(str(level)))
        ax.fill_between(xs, curve["ci_low"], curve["ci_high"], where=_has_interval(curve),
                        color=colour, alpha=0.2, linewidth=0)
        drawn.append(curve)
    _attach_intervals(ax, _interval_table(pd.concat(drawn) if drawn else summary, groups))
    reference = _paper_reference(ax, paper, "horizontal")
    if ylim:
        ax.set_ylim(*ylim)
    else:
        _zoom(ax, pd.concat(drawn) if drawn else summary, x, zoom_from, paper, bounded="accuracy" in y)
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    if hue is not None or reference is not None:
        ax.legend(title=None if hue is None else axis_label(hue))
    if x == "step":
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _title(ax, title or axis_label(y), f"line: mean over seeds; band: {CI}")
    ax.figure.tight_layout()
    return ax.figure


def _zoom(ax, drawn: pd.DataFrame, x: str, zoom_from, paper, bounded: bool) -> None:
    """The value axis around what is drawn from ``zoom_from`` on (everything when None), with a
    margin of 8%; within [0, 1] when ``bounded``."""
    low, high = ax.get_ylim()
    if zoom_from is not None:
        late = drawn[drawn[x] >= zoom_from]
        values = late[["mean", "ci_low", "ci_high"]].to_numpy(float).ravel()
        values = np.concatenate([values, np.ravel(paper) if paper is not None else []])
        values = values[np.isfinite(values)]
        if bounded:
            values = np.clip(values, 0.0, 1.0)
        if len(values):
            margin = 0.08 * (values.max() - values.min()) or 0.005
            low, high = values.min() - margin, values.max() + margin
    if bounded:
        low, high = max(low, 0.0), min(high, 1.005)
    if (low, high) != tuple(ax.get_ylim()):   # else the axis keeps scaling to what a caller adds
        ax.set_ylim(low, high)


def verdict_counts(counts, title: str = "verdicts over the result claims of both papers", noun: str = "claims"):
    """Horizontal bars of how many claims got each verdict (``counts``: a Series indexed by
    verdict), in the badges' order and colours (``rendering.VERDICT_COLOURS``), each bar labelled
    with its count."""
    counts = pd.Series(counts)
    order = [v for v in VERDICT_COLOURS if v in counts.index] + [v for v in counts.index if v not in VERDICT_COLOURS]
    counts = counts.reindex(order)
    fig, ax = _subplots(figsize=(7, 0.45 * len(counts) + 1.2))
    bars = ax.barh(list(counts.index), counts.to_numpy(), color=[VERDICT_COLOURS.get(v, "#57606a") for v in counts.index])
    ax.bar_label(bars, labels=[f"{int(n):,}" for n in counts], padding=3)
    ax.invert_yaxis()
    ax.margins(x=0.08)   # room for the count at the end of the longest bar
    ax.set_xlabel(noun)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def measured_vs_paper(measured, paper, ylabel: str = "test accuracy", title: str | None = None):
    """Per-run values of this replication beside the paper's (dots), each source with its mean and
    the 95% Student-t interval of that mean (black) as the prose writes it (``_reader_intervals``:
    none for three runs or fewer, within [0, 1] for an accuracy)."""
    sources = ["this replication (measured)", "paper (as printed)"]
    frame = pd.concat([
        pd.DataFrame({"source": sources[0], "value": list(measured)}),
        pd.DataFrame({"source": sources[1], "value": list(np.atleast_1d(paper))}),
    ])
    fig, ax = _subplots(figsize=(6, 3.6))
    sns.stripplot(data=frame, x="source", y="value", hue="source", order=sources, hue_order=sources,
                  size=8, jitter=0.08, ax=ax, legend=False)
    summary = _reader_intervals(frame.dropna(subset=["value"]), "source", "value", bounds_of(ylabel))
    position = summary["source"].map(sources.index).to_numpy()
    bar = _has_interval(summary)
    # Wide flat markers for the means, so that they read as a level across each column of dots.
    ax.plot(position, summary["mean"], linestyle="none", marker="_", markersize=30, markeredgewidth=2,
            color="k", zorder=3)
    ax.errorbar(position[bar], summary["mean"][bar],
                yerr=[(summary["mean"] - summary["ci_low"])[bar], (summary["ci_high"] - summary["mean"])[bar]],
                fmt="none", ecolor="k", capsize=6, zorder=3)
    _attach_intervals(ax, _interval_table(summary, ["source"]))
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    _title(ax, title or ylabel, f"dots: runs; black: mean and its {CI}, {FEW}")
    fig.tight_layout()
    return fig


def final_accuracy(final, value: str = "test_accuracy", by: str = "config", title: str | None = None, ax=None,
                   paper=None):
    """Per-seed final values (dots) with the mean and the 95% Student-t interval of that mean (black,
    from ``stats.summarize``, the table's interval), one row per ``by`` category in order of first
    appearance: horizontal, so that long category names stay readable at any page width.

    ``paper``, in the unit of ``value``: a number (dashed line) or a (low, high) range (shaded span).
    The interval is the one the prose writes (``_reader_intervals``): a category of three runs or
    fewer has none (its dots are the runs), and an accuracy's never leaves [0, 1]."""
    final = final.dropna(subset=[value])
    levels = list(pd.unique(final[by]))
    if ax is None:
        fig, ax = _subplots(figsize=(7, 0.5 * len(levels) + 1.6))
    sns.stripplot(data=final, x=value, y=by, hue=by, order=levels, hue_order=levels, size=6, jitter=0.1,
                  alpha=0.7, orient="h", ax=ax, legend=False)
    summary = _reader_intervals(final, by, value, bounds_of(value))
    # The stripplot put category i at y = i (top to bottom); the black marks go on the same rows.
    row = summary[by].map({level: i for i, level in enumerate(levels)}).to_numpy()
    bar = _has_interval(summary)
    ax.plot(summary["mean"], row, linestyle="none", marker="o", color="k", zorder=3)
    ax.errorbar(summary["mean"][bar], row[bar],
                xerr=[(summary["mean"] - summary["ci_low"])[bar], (summary["ci_high"] - summary["mean"])[bar]],
                fmt="none", ecolor="k", capsize=4, zorder=3)
    _attach_intervals(ax, _interval_table(summary, [by]))
    reference = _paper_reference(ax, paper, "vertical")
    if reference is not None:
        ax.legend(handles=[reference], loc="best", fontsize=SMALL_PT)
    ax.set_xlabel(axis_label(value))
    ax.set_ylabel("")
    _wrap_labels(ax, "y")
    _title(ax, title or f"final {axis_label(value)} per seed", f"dots: seeds; black: mean and its {CI}, {FEW}")
    ax.figure.tight_layout()
    return ax.figure


def benchmark_bars(summary, title: str, unit: str = "images/s"):
    """Horizontal bars of benchmark medians with min–max whiskers."""
    frame = summary.reset_index(drop=True)
    fig, ax = _subplots(figsize=(8, 0.65 * len(frame) + 1.2))
    colours = sns.color_palette("deep", len(frame))
    ax.barh([_wrap(tables.words(m), 30) for m in frame["measurement"]], frame["median"], color=colours,
            xerr=[frame["median"] - frame["min"], frame["max"] - frame["median"]], capsize=3)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    _title(ax, title, "bars: median of the repeats; whiskers: their minimum and maximum")
    fig.tight_layout()
    return fig


def accuracy_against_budget(curve, paper_values=None, title: str | None = None):
    """Mean test accuracy (error bars: its 95% Student-t interval over seeds) against training
    iterations, from a ``stats.summarize(..., "step", ...)`` table; the paper's values as a band
    from their lowest to their highest when given (a single value: a dashed line)."""
    fig, ax = _subplots(figsize=(7, 3.6))
    curve = curve.sort_values("step")
    colour = sns.color_palette()[0]
    ax.plot(curve["step"], curve["mean"], marker="o", color=colour, label="this book (mean, 95% CI)")
    # Bars straight from the table's interval; a step with one run has none (see _has_interval).
    bar = _has_interval(curve)
    half = curve["ci_half"].to_numpy(float)
    ax.errorbar(curve["step"][bar], curve["mean"][bar], yerr=half[bar], fmt="none", ecolor=colour, capsize=3)
    _attach_intervals(ax, pd.DataFrame({"step": curve["step"], "mean": curve["mean"],
                                        "ci_low": curve["mean"] - half, "ci_high": curve["mean"] + half}))
    if paper_values is not None and np.size(paper_values):
        many = np.ndim(paper_values) > 0 and np.size(paper_values) > 1
        _paper_reference(ax, paper_values if many else float(np.ravel(paper_values)[0]), "horizontal",
                         range_label=f"the paper's {np.size(paper_values)} trainings (range)")
    ax.set_xlabel("training iterations")
    ax.set_ylabel("test accuracy")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _title(ax, title or "test accuracy against iterations", f"dots: mean over seeds; bars: {CI}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def ratio_curve(curve, declared: float, claimed: float, band=None, title: str | None = None):
    """Per-seed speed ratios against the threshold they are counted at (from
    ``measures.ratio_curve``): the mean ratio with its 95% interval per threshold, the declared
    threshold marked, and the claimed ratio with its "about" band. Thresholds where some slow
    runs never arrived (censored: the ratio is a lower bound) are drawn as open markers."""
    fig, ax = _subplots(figsize=(7, 3.6))
    curve = curve.dropna(subset=["mean"]).reset_index(drop=True)
    bar = _has_interval(curve)
    censored = curve["censored"].to_numpy() > 0
    ax.errorbar(curve["threshold"][bar], curve["mean"][bar],
                yerr=[(curve["mean"] - curve["ci_low"])[bar], (curve["ci_high"] - curve["mean"])[bar]],
                fmt="none", ecolor="k", capsize=3)
    ax.plot(curve["threshold"][~censored], curve["mean"][~censored], "o", color="k", label="mean per-seed ratio")
    if censored.any():
        ax.plot(curve["threshold"][censored], curve["mean"][censored], "o", mfc="white", color="k",
                label="lower bound (some runs never reached it)")
    ax.axvline(declared, color="tab:blue", linestyle=":", label=f"declared threshold {declared:g}")
    ax.axhline(claimed, color="tab:red", linestyle="--", label=f"paper: about {claimed:g}×")
    if band is not None:
        ax.axhspan(*band, color="tab:red", alpha=0.12, label=f"'about': {band[0]:.1f}× to {band[1]:.1f}×")
    _attach_intervals(ax, _interval_table(curve, ["threshold"]))
    ax.set_xlabel("validation accuracy threshold")
    ax.set_ylabel("steps ratio")
    ax.legend(loc="best", fontsize=SMALL_PT)
    _title(ax, title or "speed ratio against the threshold", f"dots: mean over seeds; bars: {CI}")
    fig.tight_layout()
    return fig


def paired_differences(table, unit_scale: float = 100.0, unit: str = "pp", title: str | None = None, margin=None,
                       bars: str = "dots: mean per-seed difference; bars: its paired 95% confidence interval"):
    """Differences between configurations trained on the same seeds (rows of a table with
    ``comparison``, ``diff``, ``ci_low``, ``ci_high`` from ``stats.difference(..., paired=True)``):
    each difference with its paired 95% interval, zero marked, and the claim's margin shaded."""
    frame = table.reset_index(drop=True)
    fig, ax = _subplots(figsize=(7, 0.55 * len(frame) + 1.6))
    rows = np.arange(len(frame))
    bar = _has_interval(frame)
    scaled = lambda column: frame[column].to_numpy(float) * unit_scale
    ax.plot(scaled("diff"), rows, "o", color="k")
    ax.errorbar(scaled("diff")[bar], rows[bar], xerr=[(scaled("diff") - scaled("ci_low"))[bar],
                                                      (scaled("ci_high") - scaled("diff"))[bar]],
                fmt="none", ecolor="k", capsize=4)
    ax.axvline(0, color="0.4", linewidth=1)
    if margin:
        ax.axvspan(-margin * unit_scale, margin * unit_scale, color="0.85", zorder=0,
                   label=f"±{margin * unit_scale:g} {unit}: no difference worth a claim")
        ax.legend(loc="best", fontsize=SMALL_PT)
    ax.set_yticks(rows, [_wrap(c) for c in frame["comparison"]])
    ax.invert_yaxis()
    ax.set_xlabel(f"difference ({unit})")
    drawn = frame[["comparison"]].assign(mean=frame["diff"], ci_low=frame["ci_low"], ci_high=frame["ci_high"])
    _attach_intervals(ax, drawn)
    _title(ax, title or "paired differences", bars)
    fig.tight_layout()
    return fig


