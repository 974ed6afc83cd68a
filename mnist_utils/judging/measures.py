"""The quantities verdicts are made from, measured on the tidy results tables that
``runsets.train_set`` returns (one row per evaluation: ``run_id``, ``config``, ``seed``, ``step``,
``epoch``, ``val_accuracy``, ``val_loss``, ...). Chapters call these and present what they
return; the rules in ``rules.py`` judge it.

A per-seed quantity comes back as a ``pandas.Series`` indexed by seed (``per_seed``), so that
two configurations trained on the same seeds pair by index.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats


def per_seed(frame: pd.DataFrame, config: str, value: str, by: str = "config") -> pd.Series:
    """``value`` of the rows whose ``by`` is ``config``, indexed by seed (sorted)."""
    return per_seed_where(frame, value, **{by: config})


def per_seed_where(frame: pd.DataFrame, value: str, **where) -> pd.Series:
    """``value`` of the rows matching every ``column=value`` of ``where``, indexed by seed (sorted)."""
    rows = frame
    for column, wanted in where.items():
        rows = rows.loc[rows[column] == wanted]
    return rows.set_index("seed")[value].sort_index()


def paired(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The values of ``a`` and ``b`` on the seeds both have, in seed order (for paired rules)."""
    seeds = sorted(set(a.index) & set(b.index))
    return a.loc[seeds].to_numpy(float), b.loc[seeds].to_numpy(float)


def _last(run: pd.DataFrame, window: int) -> pd.DataFrame:
    return run.sort_values("step").tail(window)


def oscillation(run: pd.DataFrame, window: int) -> float:
    """How much one run's validation accuracy jumps between evaluations at the end of training:
    the standard deviation of its change from one evaluation to the next over the last
    ``window`` evaluations, in accuracy (0.01 = 1 pp). Bounded and in the unit of accuracy at any
    loss level (a measure divided by the mean loss grows without bound as the loss falls)."""
    changes = np.diff(_last(run, window)["val_accuracy"].to_numpy(float))
    return float(np.std(changes, ddof=1)) if len(changes) > 1 else float("nan")


def diverged(run: pd.DataFrame, below: float) -> bool:
    """A run that did not converge: its loss is not finite, or its final validation accuracy is
    below ``below`` (chance on MNIST is 0.1)."""
    run = run.sort_values("step")
    losses = run[["train_loss", "val_loss"]].to_numpy(float) if "train_loss" in run else run[["val_loss"]].to_numpy(float)
    return bool(not np.isfinite(losses).all() or run["val_accuracy"].iloc[-1] < below)


def late_gain(run: pd.DataFrame) -> float:
    """Validation accuracy gained over the second half of a run's evaluations: near zero for a
    run that stopped improving."""
    run = run.sort_values("step")
    half = run[run["step"] >= run["step"].max() / 2]
    return float(half["val_accuracy"].iloc[-1] - half["val_accuracy"].iloc[0])


def per_run(results: pd.DataFrame, measure, *args, name: str, keep=("config", "seed")) -> pd.DataFrame:
    """``measure(run, *args)`` for every run of ``results``: one row per run with ``keep``."""
    rows = []
    for run_id, run in results.groupby("run_id", sort=False):
        rows.append({"run_id": run_id, **{k: run[k].iloc[0] for k in keep if k in run}, name: measure(run, *args)})
    return pd.DataFrame(rows)


def stability(results: pd.DataFrame, window: int, diverged_below: float, keep=("config", "seed")) -> pd.DataFrame:
    """Per run: ``oscillation`` over the last ``window`` evaluations and whether it ``diverged``."""
    osc = per_run(results, oscillation, window, name="oscillation", keep=keep)
    div = per_run(results, diverged, diverged_below, name="diverged", keep=())
    return osc.merge(div, on="run_id")


def stuck(results: pd.DataFrame, threshold: float, late_gain_below: float) -> pd.DataFrame:
    """Per run: whether it reached validation accuracy ``threshold``, its ``late_gain``, and
    whether it is stuck (below the threshold and gaining less than ``late_gain_below``)."""
    reach = stats.steps_to_reach(results, threshold)
    gains = per_run(results, late_gain, name="late_gain", keep=())
    table = reach.merge(gains, on="run_id")
    table["stuck"] = table["steps"].isna() & (table["late_gain"] < late_gain_below)
    return table


def overfitting_gap(final: pd.DataFrame) -> pd.Series:
    """Validation loss minus training loss, both in inference mode (dropout off), per final row."""
    return final["val_loss"] - final["train_eval_loss"]


def speed_ratios(results: pd.DataFrame, slow: str, fast: str, threshold: float, *, interpolate: bool = False,
                 every: int = 1) -> pd.DataFrame:
    """Per seed: steps of ``slow`` over steps of ``fast`` to validation accuracy ``threshold``
    (each crossing interpolated between evaluations with ``interpolate``; from every ``every``-th
    evaluation only, to see how the ratio moves with the evaluations' spacing). A ``slow`` run
    that never reached it counts as its budget (the ratio is a lower bound: ``censored``); a
    seed whose ``fast`` run never reached it has no ratio."""
    if every > 1:
        results = results.sort_values("step")
        results = results[(results.groupby("run_id").cumcount() + 1) % every == 0]
    reach = stats.steps_to_reach(results, threshold, interpolate=interpolate)
    slow_runs = reach[reach["config"] == slow].set_index("seed")
    fast_runs = reach[reach["config"] == fast].set_index("seed")
    seeds = sorted(set(slow_runs.index) & set(fast_runs.index))
    rows = []
    for seed in seeds:
        s, f = slow_runs.loc[seed], fast_runs.loc[seed]
        censored = bool(np.isnan(s["steps"]))
        slow_steps = s["budget_steps"] if censored else s["steps"]
        rows.append({"seed": seed, "slow_steps": slow_steps, "fast_steps": f["steps"], "censored": censored,
                     "ratio": slow_steps / f["steps"] if not np.isnan(f["steps"]) else np.nan})
    return pd.DataFrame(rows, columns=["seed", "slow_steps", "fast_steps", "censored", "ratio"])


def ratio_resolution(results: pd.DataFrame, slow: str, fast: str, threshold: float) -> dict:
    """How finely the interpolated ratio is measured: the change of the mean ratio (the judged
    quantity) and the largest and median change of a seed's ratio when the evaluations are twice
    as far apart (every other one dropped), and
    the evaluations' own spacing as a share of the fast arm's steps. Interpolation's error grows
    with the spacing, so the change at twice the spacing bounds the error at the spacing run."""
    full = speed_ratios(results, slow, fast, threshold, interpolate=True).set_index("seed")["ratio"]
    halved = speed_ratios(results, slow, fast, threshold, interpolate=True, every=2).set_index("seed")["ratio"]
    change = (halved / full - 1).abs().dropna()
    reach = stats.steps_to_reach(results[results["config"] == fast], threshold)
    return {"mean_change": float(abs(halved.mean() / full.mean() - 1)) if len(change) else np.nan,
            "max_change": float(change.max()) if len(change) else np.nan,
            "median_change": float(change.median()) if len(change) else np.nan,
            "spacing_share": float((reach["bracket"] / reach["steps"]).median()) if reach["steps"].notna().any()
            else np.nan, "n": len(change)}


def ratio_curve(results: pd.DataFrame, slow: str, fast: str, thresholds, *, interpolate: bool = False) -> pd.DataFrame:
    """``speed_ratios`` over several thresholds: per threshold the mean per-seed ratio with its
    95% interval (``stats.mean_ci``), the seeds with a ratio and how many were censored."""
    rows = []
    for threshold in thresholds:
        ratios = speed_ratios(results, slow, fast, threshold, interpolate=interpolate)
        values = ratios["ratio"].dropna()
        summary = stats.mean_ci(values) if len(values) else {"n": 0, "mean": np.nan, "ci_low": np.nan,
                                                              "ci_high": np.nan, "ci_half": np.nan}
        rows.append({"threshold": threshold, "n": summary["n"], "mean": summary["mean"], "ci_low": summary["ci_low"],
                     "ci_high": summary["ci_high"], "censored": int(ratios["censored"].sum())})
    return pd.DataFrame(rows)


def errors_by_digit(predicted: np.ndarray, labels: np.ndarray) -> tuple[int, int, float, np.ndarray]:
    """A model's test errors: how many, the wrong digit it predicts most often, that digit's
    share of the errors, and the errors per predicted digit."""
    wrong = predicted[predicted != labels]
    counts = np.bincount(wrong, minlength=10)
    digit = int(counts.argmax())
    return int(len(wrong)), digit, float(counts[digit] / max(len(wrong), 1)), counts


def error_pileup(trained, final: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Per run (``final``'s rows, predictions from the run store): its test errors, the wrong
    digit it predicts most often and that digit's share of its errors, and its test accuracy at
    its last three test checkpoints (a stable model keeps its errors spread over the digits and
    its accuracy flat between checkpoints)."""
    rows = []
    for _, row in final.iterrows():
        errors, digit, share, counts = errors_by_digit(trained.predictions(row["run_id"]), labels)
        tested = trained.table.loc[(trained.table["run_id"] == row["run_id"]) & trained.table["test_accuracy"].notna()]
        last = tested.drop_duplicates("step").sort_values("step")["test_accuracy"].tail(3).to_numpy()
        rows.append({"run_id": row["run_id"], "run_key": row.get("run_key"), "seed": row["seed"],
                     "test_accuracy": row["test_accuracy"],
                     "errors": errors, "most_predicted_wrong": digit, "share": share,
                     "last_checkpoints": ", ".join(f"{a:.4f}" for a in last),
                     "checkpoint_range_pp": float(np.ptp(last) * 100) if len(last) else np.nan,
                     **{f"predicted {d}": int(counts[d]) for d in range(10)}})
    return pd.DataFrame(rows)


def probe_changes(probed: pd.DataFrame) -> pd.DataFrame:
    """Per probe variant other than "as trained" (``probes.VARIANTS``): the mean change, over
    the probed runs, of test accuracy and of the share of errors in the top wrong digit against
    each run's last checkpoint as trained, both in percentage points."""
    as_trained = probed[probed["variant"] == "as trained"].sort_values("step").groupby("run_id").tail(1)
    last = as_trained.set_index("run_id")
    rows = []
    for variant, group in probed[probed["variant"] != "as trained"].groupby("variant", sort=False):
        group = group.set_index("run_id")
        rows.append({"variant": variant, "runs": len(group),
                     "accuracy_pp": float((group["test_accuracy"] - last.loc[group.index, "test_accuracy"]).mean() * 100),
                     "share_pp": float((group["share"] - last.loc[group.index, "share"]).mean() * 100)})
    return pd.DataFrame(rows, columns=["variant", "runs", "accuracy_pp", "share_pp"])


def parameter_counts(model) -> dict[str, int]:
    """A convolutional network's trainable parameters as built (``shared``: local receptive
    fields, one kernel per map) and as the same network with every convolution replaced by a
    fully connected layer between the same input and output maps (``fully_connected``: every
    output unit sees every input unit with weights of its own, one bias per unit). Other
    layers count alike in both."""
    import keras

    shared = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    fully_connected = shared
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            own = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
            n_in = int(np.prod(layer.input.shape[1:]))
            n_out = int(np.prod(layer.output.shape[1:]))
            fully_connected += n_in * n_out + n_out - own
    return {"shared": shared, "fully_connected": fully_connected}


def by_activation(results: pd.DataFrame) -> pd.DataFrame:
    """``results`` with ``config`` set to each run's LeNet-5 activation ("sigmoid (momentum)"
    becomes "sigmoid"), so that chapter 3's claims read any of its run sets alike."""
    import json

    activation = results["model_kwargs"].map(lambda k: json.loads(k)["activation"])
    return results.assign(config=activation, run_id=activation + "/seed" + results["seed"].astype(str))


def activation_evidence(results: pd.DataFrame, final: pd.DataFrame, threshold: float,
                        claimed_ratio: float, interpolate: bool = False) -> dict[str, tuple[str, dict]]:
    """Chapter 3's four activation claims, from runs whose ``config`` is the activation (see
    ``by_activation``): {claim id: (what was measured, the evidence its rule takes)}, for each
    claim whose arms are present. Chapter 3 judges both its verdicts of record and its optimizer
    arm's second looks on this evidence (``activation_page``)."""
    accuracy = {a: per_seed(final, a, "test_accuracy") for a in dict.fromkeys(final["config"])}
    gaps = final.assign(gap=overfitting_gap(final))
    def diff(a, b):       # "+0.28 pp (95% CI +0.12 to +0.44)": the pairing and n are said once, before
        d = stats.difference(*paired(accuracy[a], accuracy[b]), paired=True)
        if np.isnan(d["ci_low"]):
            return f"{stats.signed(d['diff'] * 100)} pp (no interval)"
        return (f"{stats.signed(d['diff'] * 100)} pp (95% CI {stats.signed(d['ci_low'] * 100)} to "
                f"{stats.signed(d['ci_high'] * 100)})")

    n_pairs = lambda a, b: len(paired(accuracy[a], accuracy[b])[0])
    found = {}
    if {"sigmoid", "relu", "elu"} <= set(accuracy):
        found["wang2020.activation.relu_elu_beat_sigmoid"] = (
            f"against Sigmoid, paired, n = {n_pairs('relu', 'sigmoid')}: ReLU {diff('relu', 'sigmoid')}, "
            f"ELU {diff('elu', 'sigmoid')}",
            {"pairs": {"ReLU > Sigmoid": paired(accuracy["relu"], accuracy["sigmoid"]),
                       "ELU > Sigmoid": paired(accuracy["elu"], accuracy["sigmoid"])}})
    if {"relu", "elu"} <= set(accuracy):
        elu, relu = paired(accuracy["elu"], accuracy["relu"])
        found["wang2020.activation.elu_slightly_better"] = (f"ELU − ReLU, paired, n = {n_pairs('elu', 'relu')}: "
                                                            f"{diff('elu', 'relu')}",
                                                            {"a": elu, "b": relu})
    if {"sigmoid", "relu"} <= set(accuracy):
        ratios = speed_ratios(results, "sigmoid", "relu", threshold, interpolate=interpolate)
        if ratios["ratio"].notna().any():
            censored = bool(ratios["censored"].any())
            found["wang2020.activation.relu_converges_6x_faster"] = (
                f"{'≥ ' if censored else ''}{stats.fmt_ci(stats.mean_ci(ratios['ratio']), 1, unit='×')} (per-seed "
                f"ratios of steps to validation accuracy {threshold})",
                {"per_seed_ratios": ratios["ratio"], "claimed": claimed_ratio,
                 "censored": ratios["censored"].to_numpy(bool)})
        sigmoid_gap, relu_gap = paired(per_seed(gaps, "sigmoid", "gap"), per_seed(gaps, "relu", "gap"))
        found["wang2020.activation.relu_alleviates_overfitting"] = (
            f"validation − training loss gap, Sigmoid − ReLU: {(sigmoid_gap - relu_gap).mean():+.4f}",
            {"a": sigmoid_gap, "b": relu_gap})
    return found
