"""Mean and 95% CI over seeds, comparisons, and the tolerance of the book's accuracy rule
(the rules themselves are in ``rules.py``).

The tolerance is 10% of the paper's error rate, at least 0.1 percentage points:
0.8 pp for a 92% softmax baseline, 0.2 pp for a 98% LeNet-5, 0.1 pp for 99.3%.
Scaling with the error rate keeps the rule equally demanding for weak and strong
models; the floor is the size of a handful of test digits (10 of 10,000).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

RELATIVE_TOLERANCE = 0.10   # of the paper's error rate
MIN_TOLERANCE = 0.001       # 0.1 percentage points


def mean_ci(values, confidence: float = 0.95) -> dict:
    """Mean, standard deviation and Student-t confidence interval of a sample."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        raise ValueError("mean_ci: no values")
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else float("nan")
    half = float(st.t.ppf((1 + confidence) / 2, n - 1) * sd / np.sqrt(n)) if n > 1 else float("nan")
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "ci_half": half}


def summarize(frame: pd.DataFrame, by: str | list[str], value: str) -> pd.DataFrame:
    """``mean_ci`` of ``value`` per group, one row per group (group order kept)."""
    rows = []
    for key, group in frame.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        names = [by] if isinstance(by, str) else by
        rows.append({**dict(zip(names, key)), **mean_ci(group[value])})
    return pd.DataFrame(rows)


def tolerance(paper_accuracy: float) -> float:
    """The book's tolerance around a paper's accuracy (see the module docstring)."""
    return max(MIN_TOLERANCE, RELATIVE_TOLERANCE * (1.0 - paper_accuracy))


def difference(a, b, confidence: float = 0.95) -> dict:
    """mean(a) - mean(b) with a Welch confidence interval and two-sided p-value."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:  # no spread to estimate: the difference alone
        return {"diff": diff, "ci_low": float("nan"), "ci_high": float("nan"), "p_value": float("nan")}
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    if se == 0:
        return {"diff": diff, "ci_low": diff, "ci_high": diff, "p_value": 0.0 if diff else 1.0}
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = float(st.t.ppf((1 + confidence) / 2, dof) * se)
    p = float(2 * st.t.sf(abs(diff) / se, dof))
    return {"diff": diff, "ci_low": diff - half, "ci_high": diff + half, "p_value": p}


def steps_to_reach(results: pd.DataFrame, threshold: float, metric: str = "val_accuracy") -> pd.DataFrame:
    """First evaluation step at which each run's ``metric`` reached ``threshold`` (NaN: never)."""
    rows = []
    for run_id, run in results.sort_values("step").groupby("run_id", sort=False):
        hit = run.loc[run[metric] >= threshold, "step"]
        rows.append({"run_id": run_id, "config": run["config"].iloc[0], "seed": run["seed"].iloc[0],
                     "steps": float(hit.iloc[0]) if len(hit) else np.nan,
                     "epochs": float(run.loc[hit.index[0], "epoch"]) if len(hit) else np.nan})
    return pd.DataFrame(rows)


def fmt_ci(summary: dict | pd.Series, digits: int = 4, scale: float = 1.0, unit: str = "") -> str:
    """'0.9213 ± 0.0012 (95% CI 0.9201–0.9225, n = 5)' for prose and tables."""
    m, h = summary["mean"] * scale, summary["ci_half"] * scale
    lo, hi = summary["ci_low"] * scale, summary["ci_high"] * scale
    if np.isnan(h):
        return f"{m:.{digits}f}{unit} (n = {int(summary['n'])})"
    return f"{m:.{digits}f}{unit} ± {h:.{digits}f} (95% CI {lo:.{digits}f}–{hi:.{digits}f}, n = {int(summary['n'])})"


def fmt_difference(d: dict | pd.Series, digits: int = 2, scale: float = 1.0, unit: str = "") -> str:
    """'+0.45 pp (95% CI +0.30 to +0.60)' for a ``difference``; without a CI when it has none."""
    diff = f"{d['diff'] * scale:+.{digits}f}{unit}"
    if np.isnan(d["ci_low"]):
        return f"{diff} (no interval: fewer than two runs a side)"
    return f"{diff} (95% CI {d['ci_low'] * scale:+.{digits}f} to {d['ci_high'] * scale:+.{digits}f})"
