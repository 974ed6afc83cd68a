"""How an interval reads in prose and tables: a mean and its 95% interval over seeds, clipped to
the quantity's bounds, with the unit said once (``interval``), and the ends a figure draws
(``interval_ends``), so that a figure and its table show the same interval."""
from __future__ import annotations

import math

import pandas as pd

from ..judging import stats
from .tables import minus


def _fraction(value: float, digits: int, scale: float, unit: str) -> str:
    return minus(f"{value * scale:.{digits}f}{unit}")


def _span(low: float, high: float, digits: int, scale: float, unit: str) -> str:
    joint = " to " if low < 0 or high < 0 else "–"
    return f"{_fraction(low, digits, scale, '')}{joint}{_fraction(high, digits, scale, unit)}"


def interval(values, digits: int = 4, *, bounds: tuple[float, float] | None = (0.0, 1.0), scale: float = 1.0,
             unit: str = "", few: int = 3) -> str:
    """The mean of a sample with its 95% interval, for prose and tables, never beyond what
    the quantity can be (``bounds``: an accuracy or a share lies in [0, 1]; None: unbounded).

    - ``few`` runs or fewer (3): the runs themselves, not an interval resting on two degrees
      of freedom: "0.9917 (mean of 2 runs: 0.9852, 0.9982)".
    - otherwise the Student-t interval of the mean (``stats.mean_ci``), as ``stats.fmt_ci``
      writes it, "0.9865 ± 0.0010 (95% CI 0.9855–0.9875, n = 5)", when it lies within the bounds;
    - when it does not, the t-interval computed on the logit scale of the bounds and
      transformed back, which always lies inside them (asymmetric, so without "±"):
      "0.9917 (95% CI 0.9712–0.9976 on the logit scale, n = 5)". Runs at a bound have no
      logit: their range is shown instead. Nothing is clipped.

    ``scale`` and ``unit`` show the values in other units (100 and "%" for percent)."""

    x = stats.finite_values(values)
    n = len(x)
    if n == 0:
        return "—"
    show = lambda v: _fraction(v, digits, scale, unit)
    mean = float(x.mean())
    if n == 1:
        return f"{show(mean)} (1 run)"
    if n <= few:
        return f"{show(mean)} (mean of {n} runs: {', '.join(show(v) for v in x)})"
    summary = stats.mean_ci(x)
    half = summary["ci_half"]
    if math.isnan(half):
        return f"{show(mean)} (n = {n}, no interval: the runs do not vary)"
    low, high, how = _bounded_interval(x, bounds)
    if how == "t":
        return (f"{show(mean)} ± {_fraction(half, digits, scale, unit)} "
                f"(95% CI {_span(low, high, digits, scale, unit)}, n = {n})")
    if how == "logit":
        return f"{show(mean)} (95% CI {_span(low, high, digits, scale, unit)} on the logit scale, n = {n})"
    at = bounds[0] if (x <= bounds[0]).any() else bounds[1]
    return (f"{show(mean)} (n = {n}, runs {_span(x.min(), x.max(), digits, scale, unit)}; "
            f"no interval: runs at the bound {show(at)})")


def _bounded_interval(x, bounds) -> tuple[float, float, str]:
    """The 95% interval of the mean of ``x`` (several values that vary) and how it was made:
    "t" (Student's t, within ``bounds``), "logit" (t on the logit scale of the bounds,
    transformed back) or "none" (runs at a bound, no logit: NaN ends)."""
    from scipy import stats as st


    summary = stats.mean_ci(x)
    low, high = summary["ci_low"], summary["ci_high"]
    if bounds is None or (low >= bounds[0] and high <= bounds[1]):
        return low, high, "t"
    a, b = bounds
    if (x <= a).any() or (x >= b).any():
        return float("nan"), float("nan"), "none"
    logits = [math.log((v - a) / (b - v)) for v in x]
    centre, sd = sum(logits) / len(x), float(pd.Series(logits).std(ddof=1))
    reach = float(st.t.ppf(0.975, len(x) - 1)) * sd / math.sqrt(len(x))
    back = lambda z: a + (b - a) / (1 + math.exp(-z))
    return back(centre - reach), back(centre + reach), "logit"


def interval_ends(values, *, bounds: tuple[float, float] | None = (0.0, 1.0), few: int = 3) -> tuple[float, float]:
    """The two ends of the interval ``interval`` writes, for a table's "95% CI low/high"
    columns: NaN (a dash) for ``few`` runs or fewer, runs that do not vary or runs at a bound."""

    x = stats.finite_values(values)
    if len(x) <= few or not stats.varies(x):
        return float("nan"), float("nan")
    low, high, _ = _bounded_interval(x, bounds)
    return low, high
