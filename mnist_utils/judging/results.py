"""Tidy results tables: written atomically, read back with a clear error, and cut into
the views chapters need (the last row of every run, one column per model argument)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..core.files import write_atomically
from . import stats


def write(frame: pd.DataFrame, path: Path) -> Path:
    """Write a results CSV atomically (a crash never leaves half a file)."""
    return write_atomically(path, lambda fh: frame.to_csv(fh, index=False))


def read(path: Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no results file (execute its chapter first)")
    return pd.read_csv(path)


def with_model_kwargs(results: pd.DataFrame) -> pd.DataFrame:
    """The results with one column per model keyword argument (activation, dropout_rate, ...)."""
    kwargs = pd.DataFrame([json.loads(k) for k in results["model_kwargs"]], index=results.index)
    return results.join(kwargs[[c for c in kwargs.columns if c not in results.columns]])


def final_rows(results: pd.DataFrame) -> pd.DataFrame:
    """One row per run: the row of the weights it was tested with (``final``; the best
    validation loss when it stopped early), or its last row where the table marks none (a
    probe's rows have no ``final`` column)."""
    # Rows of a run are in step order, runs in training order: keep that order.
    last = ~results.duplicated("run_id", keep="last")
    if "final" not in results:
        return results[last].reset_index(drop=True)
    final = results["final"].map(lambda v: v is True or str(v).lower() in ("true", "1", "1.0"))
    has_final = final.groupby(results["run_id"]).transform("any")
    return results[final | (~has_final & last)].reset_index(drop=True)


def convergence_budget(stops: pd.DataFrame, patience_epochs: int, max_epochs: int) -> str:
    """The budget of runs trained to convergence, as verdicts record it: the stopping rule, and
    how many of the runs (``stopping``) the rule ended before the epoch cap."""
    return (f"until validation loss stopped improving for {patience_epochs} epochs (cap {max_epochs}); "
            f"{int(stops['converged'].sum())} of {len(stops)} runs stopped before the cap")


def stopping(results: pd.DataFrame) -> pd.DataFrame:
    """Per run trained with early stopping: the epoch of the weights it was tested with
    (``best_epoch``), the epoch it stopped at, and whether the patience rule ended it
    (``converged``) or the epoch cap did."""
    rows = []
    for run_id, run in results.groupby("run_id", sort=False):
        chosen = final_rows(run).iloc[0]
        patience = run["patience"].iloc[0] if "patience" in run else None
        evaluations_after = int((run["step"] > chosen["step"]).sum())
        rows.append({"run_id": run_id, "config": run["config"].iloc[0], "seed": run["seed"].iloc[0],
                     "best_epoch": float(chosen["epoch"]), "stop_epoch": float(run["epoch"].iloc[-1]),
                     "converged": bool(patience and not pd.isna(patience) and evaluations_after >= patience)})
    return pd.DataFrame(rows, columns=["run_id", "config", "seed", "best_epoch", "stop_epoch", "converged"])


def cut(results: pd.DataFrame, at: int) -> pd.DataFrame:
    """The runs of ``results`` that went beyond ``at`` steps, as if they had stopped there: their
    rows up to ``at``, the last of them final, ``steps`` set to ``at``; other runs unchanged. Sound
    for runs at a constant learning rate, which are the prefix of a longer run with the same
    seed (the same batches and dropout masks; ``tests/test_train.py`` checks it)."""
    longer = results.groupby("run_id")["step"].transform("max") > at
    kept = results[~longer | (results["step"] <= at)].copy()
    was_cut = longer[kept.index]
    last = ~kept.duplicated("run_id", keep="last")
    kept.loc[was_cut, "final"] = last[was_cut].astype(float)
    if "steps" in kept:
        kept.loc[was_cut, "steps"] = at
    return kept.reset_index(drop=True)


def ablation_effects(final: pd.DataFrame, ablations, reference: str = "improved CNN", metric: str = "test_accuracy",
                     name: str = "ablation", versus: str = "full") -> pd.DataFrame:
    """Each ablation's final ``metric`` against the ``reference`` configuration's runs, paired
    by seed (``final``: one row per run, with ``config``, ``seed`` and ``metric``): n, the
    ablation's mean, and the difference in percentage points with its 95% CI. ``name`` and
    ``versus`` word the columns (chapter 9 adds ingredients to a baseline instead)."""

    shown = metric.replace("val_", "validation ").replace("_", " ")
    columns = [name, "n", shown, f"Δ vs {versus} (pp)", "95% CI low", "95% CI high"]
    accuracy = lambda config: final.loc[final["config"] == config].set_index("seed")[metric]
    full, rows = accuracy(reference), []
    for ablation in ablations:
        runs = accuracy(ablation)
        seeds = sorted(set(runs.index) & set(full.index))
        if not seeds:
            continue
        d = stats.difference(runs[seeds].to_numpy(), full[seeds].to_numpy(), paired=True)
        rows.append(dict(zip(columns, [ablation, len(seeds), runs[seeds].mean(), d["diff"] * 100,
                                       d["ci_low"] * 100, d["ci_high"] * 100])))
    return pd.DataFrame(rows, columns=columns)
