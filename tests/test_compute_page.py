"""Chapter 8's page module on tiny hand-made benchmark rows."""
from __future__ import annotations

import math
import re

import pandas as pd

from mnist_utils.chapters import compute_page
from mnist_utils.core import paths


def row(part, measurement, value, unit="images/s", **extra):
    return {"part": part, "measurement": measurement, "unit": unit, "value": value, "note": None, "target": None,
            "machine": "x86_64", "cpu_count": 2, "quick": False, **extra}


def bench() -> pd.DataFrame:
    return pd.DataFrame([
        row("levers", "steps_per_execution=1", 600.0), row("levers", "steps_per_execution=1", 620.0),
        row("levers", "jit_compile=True (spe=32)", 400.0),
        row("levers", "threads (intra, inter) in use", 0.0, unit="threads", note="inter=0 (0 = TF default: all cores)"),
        *[row("throughput", m, v) for m, v in (("lenet5 b128: plain fit", 100.0), ("lenet5 b128: mnist_utils.train", 150.0),
                                              ("liu_fu_cnn b50: plain fit", 300.0), ("liu_fu_cnn b50: plain fit", 320.0),
                                              ("liu_fu_cnn b50: mnist_utils.train", 310.0),
                                              ("liu_fu_cnn b50: mnist_utils.train", 156.0),
                                              ("liu_fu_cnn b50: mnist_utils.train", 644.0))],
        row("time_to_accuracy", "LeNet-5 ELU, max-pool, Adam 2e-3", 100.0, unit="seconds", target=0.99),
        row("time_to_accuracy", "LeNet-5 ELU, max-pool, Adam 2e-3", 300.0, unit="seconds", target=0.9938),
        row("time_to_accuracy", "Keras example: Conv32-Conv64, plain fit", 250.0, unit="seconds", target=0.99),
        row("time_to_accuracy", "chapter 6 set-up: Adam 0.0001", math.nan, unit="seconds", target=0.99),
    ])


def test_summary_takes_median_range_and_counts_only_values():
    s = compute_page.summary(bench())
    bn = s[s["measurement"] == "liu_fu_cnn b50: mnist_utils.train"].iloc[0]
    assert (bn["median"], bn["min"], bn["max"], bn["repeats"]) == (310.0, 156.0, 644.0, 3)
    race = compute_page.race(bench())
    # A benchmark stored before the rename says "chapter 6 set-up": the page says "the tutorial set-up".
    assert race.loc[race["label"] == "the tutorial set-up", "repeats"].item() == 0


def test_machine_and_threads_in_words():
    assert compute_page.machine(bench()) == "x86_64, 2 cores"
    assert compute_page.machine(bench().assign(quick=True)).endswith("(quick run: not a measurement)")
    assert compute_page.threads(bench()) == "0 intra-op and 0 inter-op threads (the TensorFlow default: all cores)"
    assert compute_page.threads(bench().iloc[:2]) == "not recorded"


def test_throughput_rows_name_the_models_widths_and_ratios_compare_medians():
    rows = compute_page.throughput(compute_page.summary(bench()))
    assert rows["label"].tolist()[2:] == ["BN CNN 32/64/64, batch 50: plain model.fit on NumPy arrays",
                                          "BN CNN 32/64/64, batch 50: the book's training code"]
    assert compute_page.ratios(rows) == {"ratio_lenet5": "1.50", "ratio_liu_fu_cnn": f"{310 / 310:.2f}"}
    table = compute_page.throughput_table(rows)
    assert table.columns.tolist() == ["model and training loop", "median (images/s)", "min (images/s)",
                                      "max (images/s)", "repeats"]
    assert table["median (images/s)"].tolist() == ["100", "150", "310", "310"]


def test_levers_leave_out_the_threads_row_and_spread_compares_the_two_parts():
    s = compute_page.summary(bench())
    levers = compute_page.levers(s)
    assert levers["label"].tolist() == ["1 step per call", "compiled by XLA, 32 steps per call"]
    assert compute_page.levers_table(levers).columns[0] == "lever (BN CNN 32/64/64, batch 50)"
    assert compute_page.spread(compute_page.throughput(s), levers) == {
        "bn_throughput_median": "310", "bn_throughput_range": "156–644", "levers_range": "400–610"}


def test_race_keeps_one_target_and_cites_the_speed_up():
    race = compute_page.race(bench())
    assert race["label"].tolist() == ["LeNet-5 ELU", "Keras example", "the tutorial set-up"]
    assert compute_page.race_numbers(race) == {"race_ours": "100 s", "race_keras": "250 s", "race_ratio": "2.5"}
    table = compute_page.race_table(race)
    assert table["set-up"].iloc[1] == "Keras example: Conv32-Conv64, plain fit"
    assert table["median (seconds)"].tolist() == ["100", "250", "—"]
    assert compute_page.race_numbers(race.iloc[1:])["race_ratio"] == "n/a"


def test_bar_labels_fit_beside_an_8_inch_figure():
    race = compute_page.race(bench())
    long = race.assign(label="a set-up with a name far longer than any line of a bar label may be")
    for label in compute_page.bars(long)["measurement"]:
        assert max(len(line) for line in label.split("\n")) <= compute_page.LABEL_WIDTH
        assert label.replace("\n", " ") == long["label"].iloc[0]


def comparison(lows, highs):
    n = len(lows)
    return pd.DataFrame({"runs": ["02_softmax_baseline"] * n, "configuration": ["softmax"] * n,
                         "n TensorFlow": [5] * n, "n JAX": [5] * n, "TensorFlow test accuracy": [0.91691] * n,
                         "JAX test accuracy": [0.9169] * n, "JAX − TensorFlow (pp)": [0.0] * n,
                         "95% CI low (pp)": lows, "95% CI high (pp)": highs})


def test_backend_table_and_summary():
    table = compute_page.backend_table(comparison([-0.3623], [0.3623]))
    assert table.iloc[0].tolist() == ["chapter 2", "softmax", 5, 5, "0.9169", "0.9169", "+0.00", "-0.36 to +0.36"]
    assert compute_page.backend_table(None).empty
    assert compute_page.backend_table(pd.DataFrame()).columns[0] == "chapter"   # what backend_comparison gives for none
    one = compute_page.backend_summary(comparison([-0.3], [0.3]), "cpu")
    assert one == "1 configuration on both backends; the interval of its difference contains zero."
    two = compute_page.backend_summary(comparison([-0.3, 0.1], [0.3, 0.4]), "cpu")
    assert two == "2 configurations on both backends; for 1 of them the interval of the difference contains zero."
    assert "No parameter file params/other.yaml" in compute_page.backend_summary(None, "other")
    assert "stored on both backends yet" in compute_page.backend_summary(comparison([], []), "cpu")


def test_the_benchmark_still_times_the_bn_cnn_the_labels_name():
    source = (paths.ROOT / "benchmarks" / "speed.py").read_text()
    widths = re.search(r'bn_cnn = TrainConfig\("liu_fu_cnn", \{"widths": \[(\d+), (\d+), (\d+)\]\}.*?, (\d+),', source)
    assert widths, "benchmarks/speed.py: no bn_cnn = TrainConfig(...) line"
    assert compute_page.BN_CNN == f"BN CNN {'/'.join(widths.groups()[:3])}, batch {widths.group(4)}"
