"""What readers see: display names instead of ids, numbers formatted by kind, padded tables that
collapse when long, and figures whose verdict colours are the badges' and that fit the page."""
from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from mnist_utils.core import claims
from mnist_utils.present import (
    intervals,
    model_plots,
    plots,  # noqa: E402
    rendering,
    tables,
)

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


# ----------------------------------------------------------------------------- names
def test_claim_ids_read_as_their_headline_or_their_claim_text():
    assert tables.name("wang2020.activation.relu_converges_6x_faster") == \
        "ReLU converges about 6 times faster than Sigmoid"          # its headline
    assert tables.name("liu_fu.cnn.keep_prob") == "Dropout keep_prob is 0.5 during training"   # its claim text
    assert tables.claim_label("wang2020.lr.table2") == "Results for the four learning rates"
    assert tables.name("wang2020.no_such.claim_here") == "claim here", "an unknown id still reads as words"


def test_every_claim_of_the_claims_file_has_a_label_that_is_not_its_id():
    for entry in claims.load()["claims"]:
        label = tables.name(entry["id"])
        assert label and label != entry["id"] and not label.startswith(("wang2020.", "liu_fu.")), entry["id"]


def test_configurations_and_columns_have_display_names():
    assert tables.name("no_batch_norm") == "without batch norm"
    assert tables.name("lenet5") == "LeNet-5"
    assert tables.name("liu_fu_cnn") == "Liu & Fu CNN"
    assert tables.name("fully_connected") == "fully connected"
    assert tables.name("relu") == "ReLU" and tables.name("elu") == "ELU" and tables.name("sigmoid") == "Sigmoid"
    assert tables.name("sha256_ok") == "SHA-256 matches"
    assert tables.name("idx_bytes") == "IDX file (bytes)"
    assert tables.name("p_value") == "p-value"
    assert tables.name("as_printed") == "as printed"
    assert tables.name("images_per_s") == "images/s"
    assert tables.name("ci_low") == "95% CI low" and tables.name("ci_high") == "95% CI high"


def test_an_unknown_snake_case_name_is_humanised_never_shown_raw():
    assert tables.humanise("ci_low") == "CI low"
    assert tables.name("val_loss_gap") == "validation loss gap"
    assert tables.name("checkpoint_spread_pp") == "checkpoint spread (pp)"
    assert tables.name("some_new_column") == "some new column"
    assert tables.name("already words") == "already words"
    assert tables.name(3) == "3"


def test_ids_inside_text_are_replaced_by_their_names():
    assert tables.words("liu_fu_cnn 16/32/32 b50: no_dropout") == "Liu & Fu CNN 16/32/32 b50: without dropout"
    assert tables.words("lenet5 b128: mnist_utils.train") == "LeNet-5 b128: this book's training loop"
    assert tables.words("relu − sigmoid") == "ReLU − Sigmoid"
    assert tables.words("see wang2020.lr.table2") == "see Results for the four learning rates"
    assert tables.words("train-images-idx3-ubyte.gz, 9,912,422 bytes") == "train-images-idx3-ubyte.gz, 9,912,422 bytes"
    assert tables.words("steps_per_execution=8, jit_compile=True (spe=32)") == \
        "steps per execution = 8, XLA compilation on (spe = 32)"
    assert tables.words("numpy_input=False") == "NumPy input off"
    assert tables.words("0.9 ≥ x, a=b") == "0.9 ≥ x, a = b"


def test_every_column_the_chapters_show_has_a_name_in_words():
    # The raw column names of the chapters' tables (issue 25 lists the ones readers saw).
    for column in ("idx_bytes", "sha256_ok", "ci_low", "ci_high", "p_value", "as_printed", "images_per_s",
                   "claim_id", "best_epoch", "stop_epoch", "run_id", "test_accuracy", "val_accuracy",
                   "most_predicted_wrong", "last_checkpoints", "checkpoint_range_pp", "differs_from_stored",
                   "input_over_output", "layer_spread", "mean_epochs_to_threshold", "val_acc_ci95",
                   "stopped_before_cap", "learning_rate", "max_share", "mean_share", "wall_seconds"):
        shown = tables.name(column)
        assert not SNAKE.search(shown) and shown != column, (column, shown)


# ----------------------------------------------------------------------------- numbers
def test_accuracies_have_four_decimals():
    assert tables.accuracy(0.91357) == "0.9136"
    assert tables.accuracy(1) == "1.0000"
    assert tables.accuracy(0.9) == "0.9000"
    assert tables.accuracy(float("nan")) == "—"


def test_percentage_points_are_signed_with_a_true_minus_and_their_unit():
    assert tables.pp(0.42) == "+0.42 pp"
    assert tables.pp(-1.5) == "−1.50 pp"
    assert tables.pp(0.0) == "0.00 pp" and tables.pp(-0.001) == "0.00 pp", "no sign on zero"
    assert tables.pp(2.3456, unit=False) == "+2.35"
    assert tables.difference(0.0042) == "+0.42 pp", "a difference of accuracies, times 100"
    assert tables.difference(-0.0123, unit=False) == "−1.23"


def test_throughput_is_whole_images_per_second_with_separators():
    assert tables.images_per_s(438.048) == "438 images/s"
    assert tables.images_per_s(1234.4) == "1,234 images/s"
    assert tables.images_per_s(12345.6, unit=False) == "12,346"


def test_iterations_and_counts_are_integers_never_with_a_decimal_point():
    assert tables.integer(2500.0) == "2,500"
    assert tables.integer(20000) == "20,000"
    assert tables.integer(np.int64(7)) == "7"
    assert tables.integer(0.0) == "0"
    assert tables.number(438.048) == "438"
    assert tables.number(5.0) == "5"
    assert tables.number(0.5) == "0.5000"
    assert tables.number(1.23456) == "1.235"
    assert tables.number(12.345678) == "12.35"


def test_p_values_have_three_decimals_and_a_floor():
    assert tables.p_value(0.0427) == "0.043"
    assert tables.p_value(0.5) == "0.500"
    assert tables.p_value(2e-5) == "< 0.001"
    assert tables.p_value(0.001) == "0.001"


def test_booleans_read_yes_or_no():
    assert [tables.yes_no(v) for v in (True, False, "True", "false", 1.0, 0, np.True_)] == \
        ["yes", "no", "yes", "no", "yes", "no", "yes"]
    with pytest.raises(ValueError):
        tables.yes_no("maybe")


def test_counts_take_the_right_plural():
    assert tables.count(1, "configuration") == "1 configuration"
    assert tables.count(2, "configuration") == "2 configurations"
    assert tables.count(0, "run") == "0 runs"
    assert tables.count(2500.0, "image") == "2,500 images"
    assert tables.count(3, "entry") == "3 entries" and tables.count(2, "day") == "2 days"
    assert tables.count(2, "batch") == "2 batches" and tables.count(2, "analysis") == "2 analyses"


def test_other_kinds():
    assert tables.share(0.423) == "42%"
    assert tables.percent(0.7) == "0.7%"
    assert tables.seconds(108.4) == "108 s" and tables.seconds(12.34) == "12.3 s"
    assert tables.ratio(6.04) == "6.0×"


# ----------------------------------------------------------------------------- kinds
def test_kinds_are_declared_by_column_name_or_inferred_from_values():
    assert tables.kind_of("test_accuracy") == "accuracy"
    assert tables.kind_of("p_value") == "p_value"
    assert tables.kind_of("images_per_s") == "images_per_s"
    assert tables.kind_of("claim_id") == "claim"
    assert tables.kind_of("config") == "name"
    assert tables.kind_of("steps", pd.Series([2500.0])) == "integer"
    assert tables.kind_of("n", pd.Series([3.0, np.nan])) == "integer"
    assert tables.kind_of("idx_bytes", pd.Series([47040016])) == "integer"
    assert tables.kind_of("sha256_ok", pd.Series([True, False])) == "boolean"
    assert tables.kind_of("flag", pd.Series(["True", "False"])) == "boolean"
    assert tables.kind_of("checkpoint_range_pp", pd.Series([0.4])) == "pp"
    assert tables.kind_of("Δ vs full (pp)", pd.Series([0.4])) == "pp"
    assert tables.kind_of("whatever", pd.Series([1.0, 2.0])) == "integer"
    assert tables.kind_of("whatever", pd.Series([0.91, 0.92])) == "number"
    assert tables.kind_of("whatever", pd.Series(["a"])) == "text"


def test_a_column_of_other_numbers_has_one_number_of_decimals():
    assert list(tables.format_column(pd.Series([0.91357, 0.9, np.nan]), "number")) == ["0.9136", "0.9000", None]
    assert list(tables.format_column(pd.Series([438.048, 12.6]), "number")) == ["438", "13"]
    assert list(tables.format_column(pd.Series([6.04, 3.2]), "number")) == ["6.040", "3.200"]


def test_a_note_in_a_numeric_column_is_kept():
    assert list(tables.format_column(pd.Series([2500.0, "not run"], dtype=object), "integer")) == ["2,500", "not run"]


def test_an_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown"):
        tables.format_column(pd.Series([1]), "acuracy")


# ----------------------------------------------------------------------------- tables
FRAME = pd.DataFrame({
    "claim_id": ["wang2020.activation.relu_converges_6x_faster", "liu_fu.cnn.accuracy"],
    "config": ["no_batch_norm", "lenet5"], "steps": [2500.0, 20000.0], "test_accuracy": [0.91357, 0.9136],
    "checkpoint_range_pp": [0.4213, -1.0], "p_value": [0.0427, 1e-6], "sha256_ok": [True, False],
    "images_per_s": [438.048, 1234.4], "verdict": ["reproduced", "not reproduced"]})


def test_the_reader_frame_renames_every_column_and_formats_every_cell():
    shown = tables.reader_frame(FRAME)
    assert list(shown.columns) == ["claim", "configuration", "iterations", "test accuracy", "checkpoint range (pp)",
                                   "p-value", "SHA-256 matches", "images/s", "verdict"]
    assert shown.iloc[0].tolist() == ["ReLU converges about 6 times faster than Sigmoid", "without batch norm", "2,500",
                                      "0.9136", "+0.42", "0.043", "yes", "438", "reproduced"]
    assert shown.iloc[1].tolist() == ["Improved CNN: test accuracy", "LeNet-5", "20,000",
                                      "0.9136", "−1.00", "< 0.001", "no", "1,234", "not reproduced"]


def test_rows_of_a_filtered_frame_keep_their_values():
    shown = tables.reader_frame(FRAME[FRAME["verdict"] == "not reproduced"])
    assert shown["configuration"].tolist() == ["LeNet-5"] and shown["iterations"].tolist() == ["20,000"]


def test_kinds_and_names_declared_by_the_caller_win():
    frame = pd.DataFrame({"diff": [0.0123], "ci_low": [0.001], "mean": [6.04]})
    shown = tables.reader_frame(frame, kinds={"ci_low": "difference", "mean": "ratio"}, names={"mean": "mean ratio"})
    assert shown.to_dict("records") == [{"difference": "+1.23 pp", "95% CI low": "+0.10 pp", "mean ratio": "6.0×"}]


def test_table_html_pads_its_cells_and_keeps_verdict_and_paper_columns_on_one_line():
    html = tables.table(FRAME.assign(paper=["Wang et al. (2020)", "Liu & Fu"]))._repr_html_()
    css = re.search(r"<style>(.*?)</style>", html, re.DOTALL).group(1)
    padding = re.search(r"table\.book-table th, table\.book-table td \{[^}]*padding: ([\d.]+)em ([\d.]+)em", css)
    assert padding and float(padding.group(2)) >= 0.5, "horizontal padding in every cell"
    assert "overflow-wrap: anywhere" not in css, "words break only between words"
    assert re.search(r"td\.nowrap[^{]*\{ white-space: nowrap; \}", css)
    assert re.search(r'<td class="nowrap" data-label="verdict"><span class="verdict-badge"', html)
    assert '<td class="nowrap" data-label="paper">Wang et al. (2020)</td>' in html
    assert '<td class="num" data-label="iterations">2,500</td>' in html, "numbers right-aligned"
    assert '<td data-label="configuration">without batch norm</td>' in html
    assert "<details" not in html, "a short table is shown in full"


def test_badges_in_tables_have_the_verdict_colours():
    html = tables.table(FRAME)._repr_html_()
    for verdict in FRAME["verdict"]:
        assert f"background:{rendering.VERDICT_COLOURS[verdict]};color:#fff" in html and f">{verdict}</span>" in html


def test_long_tables_collapse_under_a_one_line_summary():
    verdicts = ["reproduced"] * 13 + ["not reproduced"] * 2 + ["inconclusive"] * 16
    frame = pd.DataFrame({"claim_id": ["liu_fu.cnn.accuracy"] * 31, "verdict": verdicts})
    summary = tables.verdict_summary(frame["verdict"])
    assert summary == "31 claims: 13 reproduced, 2 not reproduced, 16 inconclusive"
    html = tables.table(frame, summary=summary)._repr_html_()
    assert re.search(r'<details class="book-table"><summary>31 claims: 13 reproduced, 2 not reproduced, '
                     r'16 inconclusive</summary><table', html)
    assert html.count("<tr>") == 32, "every row is still there, inside the details"
    default = tables.table(frame)._repr_html_()
    assert "<summary>31 rows" in default, "the default summary counts the rows"
    at_threshold = tables.table(frame.head(tables.COLLAPSE_ABOVE))._repr_html_()
    assert "<details" not in at_threshold
    assert "<details" not in tables.table(frame, collapse_above=None)._repr_html_()
    markdown = tables.table(frame, summary=summary)._repr_markdown_()
    assert "details" not in markdown and len(markdown.splitlines()) == 33, "the PDF gets the whole table"


def test_the_markdown_form_has_the_same_words_and_numbers():
    markdown = tables.table(FRAME)._repr_markdown_()
    assert markdown.splitlines()[0].startswith("| claim | configuration | iterations | test accuracy |")
    assert "| without batch norm | 2,500 | 0.9136 |" in markdown
    assert "<span" not in markdown


def test_a_shorter_table_with_a_summary_states_it_above():
    html = tables.table(FRAME, summary="2 claims")._repr_html_()
    assert '<p class="table-summary">2 claims</p><table' in html


# ----------------------------------------------------------------------------- figures
def _width_px(fig) -> int:
    """The figure's width as the book shows it: the inline backend saves with a tight box."""
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=plots.DPI)
    matplotlib.pyplot.close(fig)
    return Image.open(buffer).size[0]


MAX_PX = plots.COLUMN_PX   # the text column of a 1,400 px page: wider figures are shrunk, lettering and all


def test_the_verdict_chart_uses_the_badges_colours():
    counts = pd.Series({"not reproduced": 2, "reproduced": 13, "inconclusive": 12, "not testable": 3})
    fig = plots.verdict_counts(counts)
    ax = fig.axes[0]
    bars = {t.get_text(): to_hex(p.get_facecolor()) for t, p in zip(ax.get_yticklabels(), ax.patches)}
    assert bars == {v: rendering.VERDICT_COLOURS[v] for v in counts.index}
    assert [t.get_text() for t in ax.get_yticklabels()] == ["reproduced", "not reproduced", "inconclusive", "not testable"]
    assert [p.get_width() for p in ax.patches] == [13, 2, 12, 3]


def test_the_class_count_legend_is_outside_the_bars():
    counts = pd.DataFrame([{"digit": d, "split": s, "count": n} for d in range(10)
                           for s, n in (("train", 5900), ("validation", 500), ("test", 1000))])
    fig = model_plots.label_counts(counts)
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    for bar in ax.patches:
        box = bar.get_window_extent()
        overlap = min(box.x1, legend.x1) - max(box.x0, legend.x0) > 0 and min(box.y1, legend.y1) - max(box.y0, legend.y0) > 0
        assert not overlap, "the legend covers a bar"


def test_confusion_matrix_numbers_are_readable():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1000)
    fig = model_plots.confusion(labels, np.where(rng.random(1000) < 0.9, labels, rng.integers(0, 10, 1000)))
    sizes = {t.get_fontsize() for t in fig.axes[0].texts}
    assert sizes and min(sizes) >= 11, "at 100 dpi an 11-point number is 15 px tall"


def test_learning_curves_zoom_onto_late_training_and_keep_accuracy_within_0_and_1():
    rows = [{"config": c, "seed": s, "step": step, "val_accuracy": acc + s * 0.001 + (0.3 * (s - 1) if step == 500 else 0)}
            for c, gain in (("a", 0.0), ("b", 0.015)) for s in range(3)
            for step, acc in ((500, 0.5 + gain), (1000, 0.97 + gain), (2000, 0.975 + gain))]
    results = pd.DataFrame(rows)
    low, high = plots.learning_curves(results, x="step").axes[0].get_ylim()
    assert low >= 0 and high <= 1.005, "an accuracy axis never runs past 0 or 1"
    low, high = plots.learning_curves(results, x="step", zoom_from=1000).axes[0].get_ylim()
    assert 0.95 < low < 0.97 and 0.99 < high < 1.0, f"zoomed on the last evaluations: {low:.3f}–{high:.3f}"
    legend = [t.get_text() for t in plots.learning_curves(results.replace({"a": "no_dropout"}), x="step")
              .axes[0].get_legend().get_texts()]
    assert legend == ["without dropout", "b"], "configurations named for readers"


@pytest.mark.slow
def test_no_figure_is_wider_than_the_page():
    rng = np.random.default_rng(0)
    long_names = [("chapter 9 recipe: schedule + augmentation + label smoothing: peak 0.001, widths 16/32/32, "
                   "batch 50, 2,500 iterations"), "liu_fu_cnn 16/32/32 b50: mnist_utils.train"]
    bench = pd.DataFrame({"measurement": long_names, "median": [200.0, 180.0], "min": [190.0, 170.0], "max": [210.0, 185.0]})
    assert _width_px(plots.benchmark_bars(bench, "seconds to 99%", unit="seconds")) <= MAX_PX
    gradients = pd.DataFrame([{"config": c, "layer": layer, "seed": s, "step": step, "rms": 0.01 + 0.001 * s}
                              for c in ("sigmoid", "relu", "elu") for layer in ("C1", "C3", "F5", "F6", "output")
                              for s in range(2) for step in range(0, 50, 10)])
    assert _width_px(model_plots.gradient_sizes(gradients)) <= MAX_PX
    assert _width_px(model_plots.weight_images(rng.normal(size=(784, 10)))) <= MAX_PX
    assert _width_px(model_plots.digit_grid(rng.random((100, 28, 28)), rng.integers(0, 10, 100))) <= MAX_PX
    final = pd.DataFrame({"config": long_names * 3, "seed": [0, 0, 1, 1, 2, 2], "test_accuracy": rng.random(6)})
    assert _width_px(plots.final_accuracy(final)) <= MAX_PX
    pileup = pd.DataFrame({"set-up": long_names * 2, "schedule": ["constant", "cosine"] * 2, "widths": 1, "steps": 1,
                           "share": [0.2, 0.3, 0.4, 0.5]})
    assert _width_px(model_plots.error_pileup_by_setup(pileup)) <= MAX_PX
    counts = pd.DataFrame([{"digit": d, "split": s, "count": 5000} for d in range(10) for s in ("train", "test")])
    assert _width_px(model_plots.label_counts(counts)) <= MAX_PX
    labels = rng.integers(0, 10, 2000)
    assert _width_px(model_plots.confusion(labels, np.where(rng.random(2000) < 0.5, labels, 3))) <= MAX_PX
    run_id = "improved CNN, widths 32/64/64, seed {}, a longer description"
    pileup = pd.DataFrame([{"run_id": run_id.format(s), "test_accuracy": 0.99,
                            **{f"predicted {d}": int(rng.integers(0, 40)) for d in range(10)}} for s in range(3)])
    assert _width_px(model_plots.errors_by_predicted_digit(pileup)) <= MAX_PX
    fig, _ = plots._subplots(figsize=(14, 3))
    assert fig.get_figwidth() == plots.MAX_WIDTH_IN


# ----------------------------------------------------------------------------- prose, intervals, layers
def test_prose_names_identifiers_and_writes_true_minus_signs():
    assert tables.prose("sigmoid 0.0972; relu 1.37; elu 1.7; tanh 8,009") == \
        "Sigmoid 0.0972; ReLU 1.37; ELU 1.7; Tanh 8,009"
    assert tables.prose("paired 95% CI -0.59 pp to -0.19 pp (-0.0074)") == "paired 95% CI −0.59 pp to −0.19 pp (−0.0074)"
    assert tables.prose("softmax/seed0, seeds 0-2, 784-120-84-10, 2026-11-30") == \
        "softmax/seed 0, seeds 0-2, 784-120-84-10, 2026-11-30", "hyphens that are not minus signs stay"
    assert tables.prose("Adam 2e-3, batch 128, spe 32; constant 1e-4; 1e-05; 2.5e-3; key 0e3a1f") == \
        "Adam 0.002, batch 128, 32 steps per execution; constant 0.0001; 0.00001; 0.0025; key 0e3a1f"
    assert tables.prose("x86_64, 2 cores; relu_b") == "x86_64, 2 cores; ReLU b", "an architecture keeps its name"
    assert tables.prose(5) == 5 and tables.prose_values({"a": "relu", "n": 3}) == {"a": "ReLU", "n": 3}
    frame = tables.readable(pd.DataFrame({"comparison": ["elu − relu"], "low": ["-0.36 to +0.36"], "n": [5]}))
    assert frame.iloc[0].tolist() == ["ELU − ReLU", "−0.36 to +0.36", 5]


def _ends(text: str) -> tuple[float, float]:
    low, high = re.search(r"95% CI (\S+?)(?:–| to )(\S+?)[ ,]", text).groups()
    return tuple(float(v.replace("−", "-")) for v in (low, high))


def test_an_interval_never_leaves_the_bounds_of_its_quantity():
    # Two runs: the t-interval of "0.9917 ± 0.0191" would reach 1.0108. Few runs are shown, not summarised.
    assert intervals.interval([0.9852, 0.9982]) == "0.9917 (mean of 2 runs: 0.9852, 0.9982)"
    assert intervals.interval([0.9912]) == "0.9912 (1 run)" and intervals.interval([]) == "—"
    three = intervals.interval([0.2, 0.9, 0.99])
    assert "±" not in three and "0.2000, 0.9000, 0.9900" in three
    # Within the bounds: the usual mean ± half-width, as stats.fmt_ci writes it.
    from mnist_utils.judging import stats
    inside = [0.9865, 0.9855, 0.9875, 0.9870, 0.9860]
    assert intervals.interval(inside) == stats.fmt_ci(stats.mean_ci(inside))
    # Beyond them: the interval on the logit scale, inside (0, 1), around the mean.
    for sample in ([0.5, 0.99, 0.98, 0.97, 0.2], [0.9999, 0.99, 0.95, 0.999, 0.7], [0.001, 0.3, 0.01, 0.02]):
        text = intervals.interval(sample)
        low, high = _ends(text)
        assert 0 <= low < high <= 1 and "logit" in text and "±" not in text, text
    # Runs at a bound have no logit: their range, never a clipped interval.
    assert "runs at the bound" in intervals.interval([0.2, 0.9, 1.0, 0.5])


def test_an_interval_in_other_units_and_unbounded():
    assert intervals.interval([0.01, 0.012, 0.011, 0.013], 2, scale=100, unit="%").startswith("1.15% ± ")
    text = intervals.interval([-0.2, 0.1, -0.3, 0.05], 2, bounds=None)
    assert text.startswith("−0.09 ± ") and " to " in text, "negative ends with true minus signs and 'to'"


def test_the_layer_table_reads_as_words_and_whole_numbers():
    from mnist_utils.training import models

    table = tables.layer_table(models.build("lenet5", activation="relu"))
    assert list(table.columns) == ["layer", "kind", "output shape", "parameters"]
    c1 = table.set_index("layer").loc["C1"]
    assert c1["kind"] == "convolution 5×5, 6 maps, ReLU" and c1["output shape"] == "28 × 28 × 6"
    assert table["parameters"].dtype.kind == "i" and table["parameters"].sum() == 61_706
    assert table.set_index("layer").loc["S2", "kind"] == "average pooling 2×2"
    assert not table.astype(str).apply(lambda c: c.str.contains(r"None|\(|_")).any().any()
    cnn = tables.layer_table(models.build("liu_fu_cnn", widths=(16, 32, 32)))
    assert {"batch normalisation", "ReLU", "dropout, rate 0.5", "max pooling 2×2"} <= set(cnn["kind"])
    assert "C1 ReLU" in set(cnn["layer"]) and cnn["parameters"].sum() > 0


def test_a_table_s_interval_ends_agree_with_the_prose_and_stay_in_bounds():
    assert all(np.isnan(intervals.interval_ends([0.98, 0.99, 0.97])))   # three runs: shown, not summarised
    low, high = intervals.interval_ends([0.5, 0.99, 0.98, 0.97, 0.2])
    assert 0 < low < high < 1 and f"{low:.4f}–{high:.4f}" in intervals.interval([0.5, 0.99, 0.98, 0.97, 0.2])
    low, high = intervals.interval_ends([0.9865, 0.9855, 0.9875, 0.9870, 0.9860])
    assert f"{low:.4f}–{high:.4f}" in intervals.interval([0.9865, 0.9855, 0.9875, 0.9870, 0.9860])


def test_one_show_for_every_table_a_sentence_in_place_of_one_and_nothing_for_none(capsys, monkeypatch):
    shown = []
    monkeypatch.setattr(tables, "ipython_display", shown.append)
    tables.show(None)
    tables.show("This profile runs no ablations.")
    tables.show(pd.DataFrame({"val_accuracy": [0.98765]}))
    tables.show(pd.DataFrame({"val_accuracy": [0.98765]}), kinds={"val_accuracy": "accuracy"})
    assert capsys.readouterr().out == "This profile runs no ablations.\n"
    as_is, formatted = shown
    assert "val_accuracy" in as_is.html_text and "0.98765" in as_is.html_text          # as the chapter made it
    assert "validation accuracy" in formatted.html_text and "0.9877" in formatted.html_text   # readers' words
