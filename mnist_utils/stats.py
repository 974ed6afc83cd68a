"""Mean and 95% CI over seeds, comparisons, and the one verdict rule of the book.

Verdict rule (stated once, used everywhere): a paper's value is *reproduced* when it
lies inside the 95% confidence interval of our mean or within ``tolerance`` of it;
*partially reproduced* when it lies within twice that distance; otherwise *not
reproduced*. The tolerance for accuracies is 0.5 percentage points: smaller than
the gap between the papers' baselines and their improvements, larger than the
seed-to-seed spread of a well-trained LeNet-5.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

ACCURACY_TOLERANCE = 0.005
VERDICTS = ("reproduced", "partially reproduced", "not reproduced", "not testable")


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


def verdict(measured, paper_value: float, tolerance: float = ACCURACY_TOLERANCE) -> str:
    """The book's rule: paper value inside our CI or within ``tolerance`` of our mean."""
    s = mean_ci(measured)
    distance = abs(paper_value - s["mean"])
    inside = s["n"] > 1 and s["ci_low"] <= paper_value <= s["ci_high"]
    if inside or distance <= tolerance:
        return "reproduced"
    if distance <= 2 * tolerance:
        return "partially reproduced"
    return "not reproduced"


def difference(a, b, confidence: float = 0.95) -> dict:
    """mean(a) - mean(b) with a Welch confidence interval and two-sided p-value."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    diff = float(a.mean() - b.mean())
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
