"""Chapter 8 (where the training time goes): the benchmark's tables and numbers as readers see them.

Reads the rows ``benchmarks/speed.py`` writes (``part``, ``measurement``, ``unit``, ``value``,
one row per repeat) and returns frames with reader labels, bar-chart inputs whose labels fit an
8-inch figure, and a dict of the numbers the prose cites.
"""
from __future__ import annotations

import re
import textwrap

import pandas as pd

from ..core import paths
from ..present import tables
from ..runs import experiments, runsets
from ..training import data

# The BN CNN that parts 1 and 2 of benchmarks/speed.py time (its ``bn_cnn``: widths 32/64/64,
# the paper profile's), at batch 50; tests/test_compute_page.py checks the script still says so.
BN_CNN = "BN CNN 32/64/64, batch 50"
MODELS = {"lenet5 b128": "LeNet-5 (ReLU), batch 128", "liu_fu_cnn b50": BN_CNN}
HOW = {"plain fit": "plain model.fit on NumPy arrays", "mnist_utils.train": "the book's training code"}
# "steps per call" is Keras's steps_per_execution.
LEVERS = {
    "steps_per_execution=1": "1 step per call",
    "steps_per_execution=8": "8 steps per call",
    "steps_per_execution=32": "32 steps per call",
    "steps_per_execution=128": "128 steps per call",
    "numpy input (spe=32)": "NumPy input, 32 steps per call",
    "jit_compile=True (spe=32)": "compiled by XLA, 32 steps per call",
    "validation every 50 steps": "a validation pass every 50 steps",
}
THREADS = "threads (intra, inter) in use"
LABEL_WIDTH = 32   # characters per line of a bar label: an 8-inch figure keeps room for its bars


def summary(bench: pd.DataFrame, by=("part", "measurement", "unit")) -> pd.DataFrame:
    """Median, minimum, maximum and number of repeats of each measurement, in benchmark order;
    a repeat without a value (a target never reached) is not counted."""
    return (bench.groupby(list(by), sort=False)["value"]
            .agg(median="median", min="min", max="max", repeats="count").reset_index())


def machine(bench: pd.DataFrame) -> str:
    """The machine the benchmark ran on, and whether it was a quick (not measuring) run."""
    first = bench.iloc[0]
    return f"{first['machine']}, {first['cpu_count']} cores" + (" (quick run: not a measurement)" if first["quick"] else "")


def threads(bench: pd.DataFrame) -> str:
    """TensorFlow's thread pools during the levers, in words (0 is TensorFlow's default: all cores)."""
    rows = bench[bench["measurement"] == THREADS]
    if rows.empty:
        return "not recorded"
    intra = int(rows["value"].iloc[0])
    inter = str(rows["note"].iloc[0]).split()[0].removeprefix("inter=")
    default = "the TensorFlow default: all cores" if intra == 0 and inter == "0" else "set by hand"
    return f"{intra} intra-op and {inter} inter-op threads ({default})"


def throughput_label(measurement: str) -> str:
    """'liu_fu_cnn b50: plain fit' -> 'BN CNN 32/64/64, batch 50: plain model.fit on NumPy arrays'."""
    model, how = measurement.split(": ", 1)
    return f"{MODELS.get(model, model)}: {HOW.get(how, how)}"


def _shown(frame: pd.DataFrame, label: str, unit: str, digits: int = 0) -> pd.DataFrame:
    number = lambda v: "—" if pd.isna(v) else f"{v:,.{digits}f}"
    return pd.DataFrame({label: frame["label"], **{f"{c} ({unit})": frame[c].map(number) for c in ("median", "min", "max")},
                         "repeats": frame["repeats"].astype(int)})


def throughput(summary_: pd.DataFrame) -> pd.DataFrame:
    """Part 1 with reader labels (``label``) beside the summary's columns."""
    rows = summary_[summary_["part"] == "throughput"].reset_index(drop=True)
    return rows.assign(label=rows["measurement"].map(throughput_label))


def throughput_table(rows: pd.DataFrame) -> pd.DataFrame:
    return _shown(rows, "model and training loop", "images/s")


def ratios(rows: pd.DataFrame) -> dict:
    """The training function's throughput over plain ``fit``'s, per model, as the prose cites it."""
    median = rows.set_index("measurement")["median"]
    return {f"ratio_{model.split()[0]}": f"{median[f'{model}: mnist_utils.train'] / median[f'{model}: plain fit']:.2f}"
            for model in MODELS}


def spread(throughput_rows: pd.DataFrame, lever_rows: pd.DataFrame) -> dict:
    """The BN CNN's throughput with this project's training function in part 1 (median and the
    range of its repeats) and the range of the lever medians of part 2 (the same model and batch)."""
    bn = throughput_rows[throughput_rows["measurement"] == "liu_fu_cnn b50: mnist_utils.train"].iloc[0]
    return {"bn_throughput_median": f"{bn['median']:,.0f}",
            "bn_throughput_range": f"{bn['min']:,.0f}–{bn['max']:,.0f}",
            "levers_range": f"{lever_rows['median'].min():,.0f}–{lever_rows['median'].max():,.0f}"}


def levers(summary_: pd.DataFrame) -> pd.DataFrame:
    """Part 2's throughputs (images/s) with reader labels; the threads row is ``threads``'s sentence."""
    rows = summary_[(summary_["part"] == "levers") & (summary_["unit"] == "images/s")].reset_index(drop=True)
    return rows.assign(label=rows["measurement"].map(lambda m: LEVERS.get(m, m)))


def levers_table(rows: pd.DataFrame) -> pd.DataFrame:
    return _shown(rows, f"lever ({BN_CNN})", "images/s")


def race(bench: pd.DataFrame, target: float = 0.99) -> pd.DataFrame:
    """Part 3 at one accuracy target: seconds of training per set-up (no value where the set-up
    did not reach the target within its budget)."""
    rows = summary(bench[bench["part"] == "time_to_accuracy"], by=("measurement", "target"))
    rows = rows[rows["target"] == target].reset_index(drop=True)
    return rows.assign(label=rows["measurement"].map(short_setup_name))


def short_setup_name(measurement: str) -> str:
    """A race set-up by its name alone: 'Keras example: Conv32-Conv64 + …' -> 'Keras example'."""
    return re.split(r"[:,]", tables.current_setup_name(measurement), maxsplit=1)[0].strip()


def race_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Each set-up in full (the figure names it only), its seconds and how many runs reached the target."""
    return (_shown(rows.assign(label=rows["measurement"].map(tables.current_setup_name)), "set-up", "seconds")
            .rename(columns={"repeats": "runs that reached the target"}))


def race_numbers(rows: pd.DataFrame) -> dict:
    """This project's LeNet-style set-up against the Keras example: seconds and the speed-up."""
    keras = rows[rows["measurement"].str.startswith("Keras example")]["median"]
    ours = rows[rows["measurement"].str.startswith("LeNet-5")]["median"]
    found = len(keras) and len(ours) and pd.notna(keras.iloc[0]) and pd.notna(ours.iloc[0])
    if not found:
        return {"race_ours": "n/a", "race_keras": "n/a", "race_ratio": "n/a"}
    return {"race_ours": f"{ours.iloc[0]:.0f} s", "race_keras": f"{keras.iloc[0]:.0f} s",
            "race_ratio": f"{keras.iloc[0] / ours.iloc[0]:.1f}"}


def backend_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """``runsets.backend_comparison`` as readers see it: chapter, configuration, runs and mean test
    accuracy per backend, and JAX − TensorFlow with its 95% interval in pp (no rows when none)."""
    pp = lambda v: f"{v:+.2f}"
    if comparison is None or comparison.empty:   # backend_comparison of nothing has no columns either
        comparison = pd.DataFrame(columns=["runs", "configuration", "n TensorFlow", "n JAX", "TensorFlow test accuracy",
                                           "JAX test accuracy", "JAX − TensorFlow (pp)", "95% CI low (pp)",
                                           "95% CI high (pp)"])
    return pd.DataFrame({
        "chapter": comparison["runs"].map(lambda name: f"chapter {int(name[:2])}" if name[:2].isdigit() else name),
        "configuration": comparison["configuration"],
        "TensorFlow runs": comparison["n TensorFlow"].astype(int), "JAX runs": comparison["n JAX"].astype(int),
        "TensorFlow test accuracy": comparison["TensorFlow test accuracy"].map("{:.4f}".format),
        "JAX test accuracy": comparison["JAX test accuracy"].map("{:.4f}".format),
        "JAX − TensorFlow (pp)": comparison["JAX − TensorFlow (pp)"].map(pp),
        "95% CI (pp)": [f"{pp(lo)} to {pp(hi)}" for lo, hi in
                        zip(comparison["95% CI low (pp)"], comparison["95% CI high (pp)"])],
    })


def compare_backends(profile: str) -> pd.DataFrame | None:
    """``runsets.backend_comparison`` of every run set the profile's parameter file declares;
    None when no parameter file declares this folder's runs (a rerun under another name)."""

    if not paths.profile_file(profile).exists():
        return None
    return runsets.backend_comparison(experiments.all_run_sets(profile), data.load())


def backend_summary(comparison: pd.DataFrame | None, profile: str) -> str:
    """One sentence on the backend comparison: how many configurations, and for how many the
    interval of the difference contains zero."""
    if comparison is None:
        return f"No parameter file params/{profile}.yaml declares this folder's runs."
    if comparison.empty:
        return "No configuration of this profile is stored on both backends yet."
    n = len(comparison)
    inside = int(((comparison["95% CI low (pp)"] <= 0) & (comparison["95% CI high (pp)"] >= 0)).sum())
    if n == 1:
        return ("1 configuration on both backends; the interval of its difference "
                f"{'contains' if inside else 'does not contain'} zero.")
    return f"{n:,} configurations on both backends; for {inside:,} of them the interval of the difference contains zero."


def bars(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``throughput``, ``levers`` or ``race`` ready for ``plots.benchmark_bars``: each
    label wrapped to fit beside its bar in an 8-inch figure."""
    return rows.assign(measurement=rows["label"].map(lambda s: "\n".join(textwrap.wrap(s, LABEL_WIDTH))))
