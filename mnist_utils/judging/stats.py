"""The statistics behind every table, figure and verdict of the book (the verdict rules that
use them are in ``rules.py``).

- ``mean_ci``: mean over seeds with its 95% Student-t interval. ``±`` in the book is always
  the half-width of that interval, never a standard deviation, and every figure draws it.
- ``difference``: mean(a) − mean(b) with its 95% interval, **paired** (per-seed
  differences, ``scipy.stats.ttest_rel``) when the two arms were trained on the same seeds (a
  seed fixes the initial weights and the data order, so runs with one seed are pairs), Welch
  (``scipy.stats.ttest_ind(equal_var=False)``) when they were not.
- ``equivalence``: a two one-sided test (TOST) that a mean lies within ±margin of a value.
- ``accuracy_margin``: the one margin of every accuracy claim, derived from the paper and the
  test set only (never from our runs).
- ``resolvable_effect``: the smallest effect a comparison with n seeds can resolve.

An interval needs a spread: one value, or values that do not vary, have no interval (NaN),
and no interval of zero width is ever reported.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as st

N_TEST = 10_000          # MNIST's test images: the resolution of every test accuracy
ALPHA = 0.05             # every interval is 95%, every one-sided test at 5% (a look of a sequential plan: less)
POWER = 0.80             # the power at which ``resolvable_effect`` is computed


@contextlib.contextmanager
def significance(alpha: float):
    """Every test and interval inside at level ``alpha`` instead of 5% (a look of a sequential
    plan spends part of a claim's 5%: ``verdicts.Verdicts.judge``); the book's displayed
    intervals, computed outside, stay 95%."""
    global ALPHA
    if not 0 < alpha <= 0.5:
        raise ValueError(f"alpha={alpha!r}: must be in (0, 0.5]")
    saved, ALPHA = ALPHA, alpha
    try:
        yield
    finally:
        ALPHA = saved


def level(confidence: float) -> str:
    """A confidence level or test size as the book writes it: 0.95 -> "95%", 0.975 -> "97.5%"."""
    return f"{confidence * 100:.3g}%"


def finite_values(values) -> np.ndarray:
    """``values`` as floats, NaNs left out."""
    x = np.asarray(values, dtype=float)
    return x[~np.isnan(x)]


def varies(values) -> bool:
    """Whether values spread at all: beyond the rounding of float32 numbers (the metrics are
    computed in float32, so two equal accuracies can differ in their 8th digit)."""
    x = finite_values(values)
    return len(x) > 1 and float(np.ptp(x)) > 1e-6 * max(1.0, float(np.abs(x).max()))


def mean_ci(values, confidence: float | None = None) -> dict:
    """Mean, standard deviation and Student-t confidence interval of a sample (at 1 − ``ALPHA``,
    95%, unless ``confidence`` says otherwise)."""
    confidence = 1 - ALPHA if confidence is None else confidence
    x = finite_values(values)
    n = len(x)
    if n == 0:
        raise ValueError("mean_ci: no values")
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else float("nan")
    half = float(st.t.ppf((1 + confidence) / 2, n - 1) * sd / np.sqrt(n)) if varies(x) else float("nan")
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "ci_half": half}


def summarize(frame: pd.DataFrame, by: str | list[str], value: str) -> pd.DataFrame:
    """``mean_ci`` of ``value`` per group, one row per group (group order kept)."""
    rows = []
    for key, group in frame.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        names = [by] if isinstance(by, str) else by
        rows.append({**dict(zip(names, key)), **mean_ci(group[value])})
    return pd.DataFrame(rows)


def accuracy_margin(paper_accuracies) -> float:
    """The equivalence margin of an accuracy claim: twice the larger of the paper's own
    run-to-run standard deviation (where it prints several runs) and the binomial standard error
    of a test accuracy at the paper's mean on MNIST's 10,000 test images.

    Both are quantities of the paper and of the test set, not of our runs. Within two of them, a
    mean could be one of the paper's own trainings or the same model on another draw of 10,000
    test digits: no reader could tell it from the paper's value. 0.28 pp at 98%, 0.17 pp at
    99.3% (error 0.7%), 0.28 pp for Liu & Fu's CNN (its five runs' SD, 0.14 pp), 0.54 pp for
    their softmax (the binomial SE at 92%, 0.27 pp)."""
    values = np.asarray(paper_accuracies, dtype=float)
    p = float(values.mean())
    if not 0 < p < 1:
        raise ValueError(f"accuracy_margin: paper accuracy {p!r} is not a fraction in (0, 1)")
    paper_sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    binomial_se = float(np.sqrt(p * (1 - p) / N_TEST))
    return 2 * max(paper_sd, binomial_se)


def difference(a, b, *, paired: bool, confidence: float | None = None) -> dict:
    """mean(a) − mean(b) with its confidence interval and two-sided p-value: paired (a[i] and
    b[i] share seed i; SciPy's ``ttest_rel``) or Welch (SciPy's ``ttest_ind``). NaN interval and
    p-value when there is no spread to estimate (fewer than two values a side, or values that
    do not vary): never an interval of zero width. ``sd`` is the spread the interval rests on
    (of the per-seed differences when paired, the pooled one otherwise), for ``resolvable_effect``."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if paired:
        if len(a) != len(b):
            raise ValueError(f"difference: paired arms must have one value per seed each (got {len(a)} and {len(b)})")
        keep = ~(np.isnan(a) | np.isnan(b))
        a, b = a[keep], b[keep]
    else:
        a, b = finite_values(a), finite_values(b)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("difference: an arm has no values")
    diff = float(a.mean() - b.mean())
    none = {"diff": diff, "ci_low": float("nan"), "ci_high": float("nan"), "p_value": float("nan"),
            "n": min(len(a), len(b)), "sd": float("nan"), "paired": paired}
    if len(a) < 2 or len(b) < 2:
        return none
    if paired:
        if not varies(a - b):
            return none
        sd, test = float(np.std(a - b, ddof=1)), st.ttest_rel(a, b)
    else:
        if not (varies(a) or varies(b)):
            return none
        sd, test = float(np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)), st.ttest_ind(a, b, equal_var=False)
    interval = test.confidence_interval(1 - ALPHA if confidence is None else confidence)
    return {**none, "ci_low": float(interval.low), "ci_high": float(interval.high), "p_value": float(test.pvalue),
            "sd": sd}


def equivalence(sample, value: float, margin: float) -> dict:
    """Two one-sided tests (TOST) that the mean of ``sample`` lies within ±``margin`` of
    ``value``: ``p_value`` is the larger of the two one-sided p-values (equivalent at 5% when it
    is below 0.05); ``ci_low``/``ci_high`` the 95% interval of mean − value. NaN p-value and
    interval with fewer than two values or no spread."""
    x = finite_values(sample)
    diff = float(x.mean() - value) if len(x) else float("nan")
    out = {"diff": diff, "margin": margin, "p_value": float("nan"), "ci_low": float("nan"),
           "ci_high": float("nan"), "n": len(x)}
    if not varies(x):
        return out
    above = st.ttest_1samp(x, value - margin, alternative="greater").pvalue
    below = st.ttest_1samp(x, value + margin, alternative="less").pvalue
    interval = st.ttest_1samp(x, value).confidence_interval(1 - ALPHA)
    return {**out, "p_value": float(max(above, below)), "ci_low": float(interval.low - value),
            "ci_high": float(interval.high - value)}


def spread_ratio(a, b) -> dict:
    """Whether paired samples ``a`` and ``b`` (seed i in both) differ in spread: the
    Pitman-Morgan test, the correlation of a − b with a + b, whose covariance is
    var(a) − var(b). ``sd_ratio`` is sd(a)/sd(b); ``p_less`` and ``p_more`` are the one-sided
    p-values of "a varies less" and "a varies more" (NaN with fewer than three pairs or no spread)."""
    a, b = finite_values(a), finite_values(b)
    if len(a) != len(b):
        raise ValueError(f"spread_ratio: {len(a)} and {len(b)} values: paired samples need one each per seed")
    n = len(a)
    ratio = float(np.std(a, ddof=1) / np.std(b, ddof=1)) if n > 1 and np.std(b, ddof=1) > 0 else np.nan
    if n < 3 or not (varies(a - b) and varies(a + b)):
        return {"n": n, "sd_ratio": ratio, "r": np.nan, "p_less": np.nan, "p_more": np.nan}
    less = st.pearsonr(a - b, a + b, alternative="less")
    more = st.pearsonr(a - b, a + b, alternative="greater")
    return {"n": n, "sd_ratio": ratio, "r": float(less.statistic), "p_less": float(less.pvalue),
            "p_more": float(more.pvalue)}


def one_sided_bounds(sample) -> dict:
    """The one-sided 95% lower and upper confidence bounds of the mean (NaN without a spread)."""
    s = mean_ci(sample, confidence=1 - 2 * ALPHA)   # a 90% two-sided interval = two 95% one-sided bounds
    return {"mean": s["mean"], "n": s["n"], "lower": s["ci_low"], "upper": s["ci_high"]}


def resolvable_effect(sd: float, n: int, *, paired: bool = True) -> float:
    """The smallest true difference that a two-sided 5% t-test on ``n`` seeds (pairs when
    ``paired``, else ``n`` a side) detects with 80% power, at spread ``sd`` (of the per-seed
    differences when paired; of one arm otherwise). Exact, from the noncentral t distribution.
    NaN when it cannot be computed (n < 2 or no spread)."""
    if n < 2 or not np.isfinite(sd) or sd <= 0:
        return float("nan")
    dof = n - 1 if paired else 2 * n - 2
    scale = 1 / np.sqrt(n) if paired else np.sqrt(2 / n)        # standard error per unit sd
    critical = st.t.ppf(1 - ALPHA / 2, dof)

    def power_gap(effect_in_sd: float) -> float:
        nc = effect_in_sd / scale
        lower_tail = np.nan_to_num(st.nct.cdf(-critical, dof, nc))   # NaN where it underflows to 0
        return st.nct.sf(critical, dof, nc) + lower_tail - POWER

    high = 1.0
    while power_gap(high) < 0:      # widen the bracket (a few doublings; n = 2 needs about 30 sd)
        high *= 2
    return float(optimize.brentq(power_gap, 1e-9, high) * sd)


def seeds_needed(sd: float, effect: float, *, paired: bool = True, cap: int = 1000) -> int | None:
    """The fewest seeds (pairs, or runs a side) whose two-sided 5% t-test detects a true
    difference of ``effect`` with 80% power at spread ``sd`` (``resolvable_effect`` inverted):
    a prospective statement when ``sd`` comes from a pilot. None beyond ``cap`` or without a spread."""
    if not np.isfinite(sd) or sd <= 0 or effect <= 0:
        return None
    for n in range(2, cap + 1):
        if resolvable_effect(sd, n, paired=paired) <= effect:
            return n
    return None


def one_sided_p(values, value: float, alternative: str) -> float:
    """One-sample t-test p of mean(values) against ``value`` (``alternative``: "greater" or
    "less"); NaN without a spread."""
    x = finite_values(values)
    if not varies(x):
        return float("nan")
    return float(st.ttest_1samp(x, value, alternative=alternative).pvalue)


def difference_p(a, b, shift: float, alternative: str, *, paired: bool) -> float:
    """One-sided p that mean(a) − mean(b) is greater (``alternative``) or less than ``shift``:
    paired by seed or Welch; NaN without a spread."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if paired:
        keep = ~(np.isnan(a) | np.isnan(b))
        return one_sided_p(a[keep] - b[keep], shift, alternative)
    a, b = finite_values(a), finite_values(b)
    if len(a) < 2 or len(b) < 2 or not (varies(a) or varies(b)):
        return float("nan")
    return float(st.ttest_ind(a - shift, b, equal_var=False, alternative=alternative).pvalue)


def steps_to_reach(results: pd.DataFrame, threshold: float, metric: str = "val_accuracy", *,
                   interpolate: bool = False) -> pd.DataFrame:
    """First evaluation step at which each run's ``metric`` reached ``threshold`` (NaN: never,
    i.e. censored at the run's last step ``budget_steps``). With ``interpolate``, the crossing
    between that evaluation and the one before it, on the straight line through them (a run that
    reached it at its first evaluation keeps that step: the line has no start); ``bracket`` is
    the width of the interval the crossing lies in, the measurement's own step."""
    rows = []
    for run_id, run in results.sort_values("step").groupby("run_id", sort=False):
        steps, values, epochs = (run[c].to_numpy(float) for c in ("step", metric, "epoch"))
        hit = np.flatnonzero(values >= threshold)
        row = {"run_id": run_id, "config": run["config"].iloc[0], "seed": run["seed"].iloc[0], "steps": np.nan,
               "epochs": np.nan, "bracket": np.nan, "budget_steps": float(steps.max())}
        if len(hit):
            i = hit[0]
            row |= {"steps": steps[i], "epochs": epochs[i], "bracket": steps[i] - (steps[i - 1] if i else 0.0)}
            if interpolate and i > 0:
                share = (threshold - values[i - 1]) / (values[i] - values[i - 1])
                row["steps"] = steps[i - 1] + share * (steps[i] - steps[i - 1])
                row["epochs"] = epochs[i - 1] + share * (epochs[i] - epochs[i - 1])
        rows.append(row)
    return pd.DataFrame(rows, columns=["run_id", "config", "seed", "steps", "epochs", "bracket", "budget_steps"])


def fmt_mean_half(mean: float, half: float, digits: int = 4) -> str:
    """'0.9213 ± 0.0012' for a table cell (the mean alone where there is no interval)."""
    return f"{mean:.{digits}f}" if np.isnan(half) else f"{mean:.{digits}f} ± {half:.{digits}f}"


def fmt_ci(summary: dict | pd.Series, digits: int = 4, scale: float = 1.0, unit: str = "") -> str:
    """'0.9213 ± 0.0012 (95% CI 0.9201–0.9225, n = 5)' for prose and tables."""
    m, h = summary["mean"] * scale, summary["ci_half"] * scale
    lo, hi = summary["ci_low"] * scale, summary["ci_high"] * scale
    if np.isnan(h):
        return f"{m:.{digits}f}{unit} (n = {int(summary['n'])}, no interval)"
    return f"{m:.{digits}f}{unit} ± {h:.{digits}f} (95% CI {lo:.{digits}f}–{hi:.{digits}f}, n = {int(summary['n'])})"


def signed(value: float, digits: int = 2) -> str:
    """A number with its sign, the minus a true minus sign: +0.45, −0.11."""
    return f"{value:+.{digits}f}".replace("-", "−")


def fmt_difference(d: dict | pd.Series, digits: int = 2, scale: float = 1.0, unit: str = "") -> str:
    """'+0.45 pp (paired 95% CI +0.30 to +0.60, n = 5)' for a ``difference``; without a CI when it
    has none."""
    diff = f"{signed(d['diff'] * scale, digits)}{unit}"
    n = f", n = {int(d['n'])}" if "n" in d and not pd.isna(d["n"]) else ""
    if np.isnan(d["ci_low"]):
        return f"{diff} (no interval: fewer than two runs a side, or no spread{n})"
    kind = "paired " if d.get("paired") else ("Welch " if d.get("paired") is False else "")
    return (f"{diff} ({kind}95% CI {signed(d['ci_low'] * scale, digits)} to {signed(d['ci_high'] * scale, digits)}"
            f"{n})")
