"""The shared figures: readable category labels, axis labels in words, every figure with error bars
or bands saying what they show, and those bars and bands being the tables' intervals (the 95%
Student-t interval of the mean from ``stats``), read back from what matplotlib actually drew."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from mnist_utils.judging import stats  # noqa: E402
from mnist_utils.present import model_plots, plots

T_975_2 = 4.302652729911275  # Student t, 97.5th percentile, 2 degrees of freedom (3 seeds)
T_975_3 = 3.182446305284263  # 3 degrees of freedom (4 seeds)

# 3 seeds x 2 configs with known values: "a" has mean 0.91 and sd 0.01, so its interval is
# 0.91 ± t * 0.01 / sqrt(3) = 0.91 ± 0.02484; a bootstrap interval or ±1 sd would be much narrower.
FINAL = pd.DataFrame({"config": ["a"] * 3 + ["b"] * 3, "seed": [0, 1, 2] * 2,
                      "test_accuracy": [0.90, 0.91, 0.92, 0.95, 0.96, 0.99]})
# 4 seeds: the fewest the prose and the figures give an interval (three runs or fewer are shown as runs).
# "a": mean 0.91, sd sqrt(2/3) * 0.01.
FINAL4 = pd.DataFrame({"config": ["a"] * 4 + ["b"] * 4, "seed": [0, 1, 2, 3] * 2,
                       "test_accuracy": [0.90, 0.91, 0.92, 0.91, 0.95, 0.96, 0.99, 0.97]})


def texts(fig) -> str:
    """Every title and note of the figure, its wrapping undone."""
    return " ".join(" ".join(t.get_text().split()) for ax in fig.axes for t in [ax.title, *ax.texts])


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def bar_segments(ax) -> list[np.ndarray]:
    """The error-bar segments matplotlib drew (``ax.errorbar`` puts them in a LineCollection)."""
    return [np.asarray(seg) for c in ax.collections if isinstance(c, LineCollection) for seg in c.get_segments()]


def band_vertices(ax, colour) -> np.ndarray:
    """All vertices of the fill_between band(s) drawn in ``colour``."""
    polys = [c for c in ax.collections if isinstance(c, PolyCollection)
             and np.allclose(c.get_facecolor()[0][:3], to_rgb(colour))]
    assert polys, "a band for this line"
    return np.concatenate([p.vertices for c in polys for p in c.get_paths()])


def assert_same_intervals(drawn: pd.DataFrame, table: pd.DataFrame, keys: list[str]) -> None:
    drawn, table = drawn.sort_values(keys).reset_index(drop=True), table.sort_values(keys).reset_index(drop=True)
    assert list(drawn.columns) == [*keys, "mean", "ci_low", "ci_high"]
    assert drawn[keys].astype(str).equals(table[keys].astype(str))
    np.testing.assert_allclose(drawn[["mean", "ci_low", "ci_high"]].to_numpy(float),
                               table[["mean", "ci_low", "ci_high"]].to_numpy(float))


def test_final_values_put_long_category_names_on_the_vertical_axis_and_explain_the_bars():
    names = [f"relu lr={r}" for r in ("0.0001", "0.0002", "0.001", "0.002", "0.004", "0.008")]
    final = pd.DataFrame({"setting": names * 2, "val_accuracy": [0.95 + i / 1000 for i in range(12)]})
    fig = plots.final_accuracy(final, value="val_accuracy", by="setting", title="per rate")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == names, "one readable row per category"
    assert ax.get_xlabel() == "validation accuracy"
    assert "95% confidence interval of the mean (Student t)" in texts(fig)


def test_final_accuracy_draws_the_tables_student_t_interval():
    # "single" has one run and "three" three: a mean marker but no interval and no bar (the dots are the runs).
    final = pd.concat([FINAL4, pd.DataFrame({"config": ["single", "three", "three", "three"], "seed": [0, 0, 1, 2],
                                             "test_accuracy": [0.93, 0.92, 0.93, 0.94]})])
    fig = plots.final_accuracy(final)
    ax = fig.axes[0]
    table = stats.summarize(final, "config", "test_accuracy")
    table.loc[table["n"] <= 3, ["ci_low", "ci_high"]] = np.nan
    assert_same_intervals(fig.drawn_intervals, table, ["config"])
    a = table.set_index("config").loc["a"]
    sd = np.std([0.90, 0.91, 0.92, 0.91], ddof=1)
    assert a["ci_high"] - a["mean"] == pytest.approx(T_975_3 * sd / 2), "the Student-t half-width"

    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ["a", "b", "single", "three"], "categories in order of first appearance"
    segments = bar_segments(ax)
    assert len(segments) == 2, "one bar per category with more than three runs, nothing else"
    for seg in segments:
        (x0, y0), (x1, y1) = seg
        assert y0 == y1, "horizontal bars"
        expected = table.set_index("config").loc[rows[int(round(y0))]]
        np.testing.assert_allclose(sorted([x0, x1]), [expected["ci_low"], expected["ci_high"]])
    # The one-run category still has its mean drawn, on its own row.
    marks = np.concatenate([np.column_stack(line.get_data()) for line in ax.lines])
    assert any(np.allclose(m, [0.93, rows.index("single")]) for m in marks)


def test_final_accuracy_shows_the_papers_value_or_range():
    fig = plots.final_accuracy(FINAL, paper=0.97)
    ax = fig.axes[0]
    assert "paper: 0.97" in legend_texts(ax)
    line = next(line for line in ax.lines if line.get_label() == "paper: 0.97")
    assert np.allclose(line.get_xdata(), 0.97) and line.get_linestyle() == "--"

    fig = plots.final_accuracy(FINAL, paper=(0.955, 0.985))
    ax = fig.axes[0]
    assert "paper's range" in legend_texts(ax)
    span = next(p for p in ax.patches if p.get_label() == "paper's range")
    xs = ax.transData.inverted().transform(span.get_verts())[:, 0]
    np.testing.assert_allclose([xs.min(), xs.max()], [0.955, 0.985])


def test_measured_vs_paper_draws_each_sources_mean_and_student_t_interval():
    measured, paper = [0.90, 0.91, 0.92, 0.91], [0.95, 0.96, 0.99, 0.97]
    fig = plots.measured_vs_paper(measured, paper)
    ax = fig.axes[0]
    table = pd.DataFrame([{"source": "this replication (measured)", **stats.mean_ci(measured)},
                          {"source": "paper (as printed)", **stats.mean_ci(paper)}])
    assert_same_intervals(fig.drawn_intervals, table, ["source"])
    segments = bar_segments(ax)
    assert len(segments) == 2
    by_position = table.set_index("source")
    columns = [t.get_text() for t in ax.get_xticklabels()]
    for seg in segments:
        (x0, y0), (x1, y1) = seg
        assert x0 == x1, "vertical bars"
        expected = by_position.loc[columns[int(round(x0))]]
        np.testing.assert_allclose(sorted([y0, y1]), [expected["ci_low"], expected["ci_high"]])
    assert "95% confidence interval of the mean (Student t)" in texts(fig)


def test_an_accuracy_interval_never_leaves_0_1_and_few_runs_have_none():
    near_one = pd.DataFrame({"config": ["near 1"] * 5 + ["two"] * 2, "seed": [0, 1, 2, 3, 4, 0, 1],
                             "test_accuracy": [0.999, 0.95, 0.9999, 0.99, 0.97, 0.9852, 0.9982]})
    assert stats.mean_ci(near_one["test_accuracy"][:5])["ci_high"] > 1, "the plain t-interval would pass 1"
    for fig in (plots.final_accuracy(near_one), plots.measured_vs_paper(near_one["test_accuracy"][:5], [0.9852, 0.9982])):
        drawn = fig.drawn_intervals
        assert (drawn["ci_high"].dropna() <= 1).all() and (drawn["ci_low"].dropna() >= 0).all()
        assert drawn["ci_low"].isna().sum() == 1, "two runs: no interval"
        for (x0, y0), (x1, y1) in bar_segments(fig.axes[0]):
            assert max(x0, x1, y0, y1) <= 1
        assert "none for 3 runs or fewer" in texts(fig)


def test_a_title_and_the_note_below_it_never_overlap():
    long_title = "the grid: test accuracy per training (shaded: the paper's five), a title long enough to wrap"
    for fig in (plots.final_accuracy(FINAL4, title=long_title, paper=(0.95, 0.99)),
                plots.measured_vs_paper([0.9, 0.91, 0.92, 0.91], [0.95, 0.96, 0.97, 0.98], title=long_title),
                plots.learning_curves(curves(), x="step", title=long_title)):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        title, note = ax.title.get_window_extent(renderer), ax.texts[0].get_window_extent(renderer)
        assert title.y0 >= note.y1 - 0.5, f"title {title} overlaps the note {note}"
        figure = fig.bbox
        assert note.x0 >= figure.x0 - 1 and note.x1 <= figure.x1 + 1, "the note stays within the figure"
        plt.close(fig)


def _smallest_text_px_on_a_phone(fig) -> float:
    """The smallest visible text of ``fig`` in CSS pixels once the figure is shrunk to a phone's column."""
    fig.canvas.draw()
    shrink = min(1.0, plots.PHONE_COLUMN_PX / (fig.get_figwidth() * plots.DPI))
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    return min(sizes) * plots.DPI / 72 * shrink


def test_no_figure_text_is_smaller_than_8_px_on_a_phone():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 500)
    pileup = pd.DataFrame([{"run_id": f"improved CNN, seed {s}", "test_accuracy": 0.99,
                            **{f"predicted {d}": int(rng.integers(0, 40)) for d in range(10)}} for s in range(3)])
    setups = pd.DataFrame({"set-up": ["a", "b"] * 2, "schedule": ["constant", "cosine"] * 2, "widths": 1, "steps": 1,
                           "share": [0.2, 0.3, 0.4, 0.5]})
    gradients = pd.DataFrame([{"config": c, "layer": layer, "seed": s, "step": step, "rms": 0.01 + 0.001 * s}
                              for c in ("sigmoid", "relu") for layer in ("C1", "F5") for s in range(2) for step in (0, 10)])
    figures = [plots.final_accuracy(FINAL4, paper=0.97), plots.measured_vs_paper([0.9, 0.91], [0.95, 0.96]),
               plots.learning_curves(curves(), x="step", paper=0.9),
               model_plots.digit_grid(rng.random((100, 28, 28)), labels),
               model_plots.confusion(labels, np.where(rng.random(500) < 0.9, labels, 3)),
               model_plots.errors_by_predicted_digit(pileup), model_plots.error_pileup_by_setup(setups),
               model_plots.gradient_sizes(gradients), model_plots.weight_images(rng.normal(size=(784, 10))),
               plots.verdict_counts(pd.Series({"reproduced": 3, "inconclusive": 2}))]
    for fig in figures:
        assert _smallest_text_px_on_a_phone(fig) >= plots.MIN_TEXT_PX - 0.05, fig.axes[0].get_title()
        plt.close(fig)


def test_probe_effects_mark_each_kind_of_model_without_joining_them():
    from mnist_utils.runs.probes import VARIANTS

    probed = pd.DataFrame([{"run_id": f"improved CNN/seed{s}", "variant": v, "step": step, "test_accuracy": 0.98,
                            "share": 0.3} for s in (0, 2) for v, step in ((VARIANTS[0], 18_000), (VARIANTS[0], 20_000),
                                                                          *((v, 20_000) for v in VARIANTS[1:]))])
    fig = model_plots.probe_effects(probed)
    for ax in fig.axes:
        joined = [line for line in ax.lines
                  if len(line.get_xdata()) > 1 and line.get_linestyle() not in ("None", "none", "")]
        assert not joined, "categories are not a sequence: markers only"
    assert "improved CNN/seed 0" in legend_texts(fig.axes[1])


def curves() -> pd.DataFrame:
    """Two configs x three seeds at steps 100-300, and at step 400 a single run of "a"."""
    rng = np.random.default_rng(0)
    rows = [{"config": config, "seed": seed, "step": step, "val_accuracy": base + step / 10_000 + rng.normal(0, 0.01)}
            for config, base in (("a", 0.80), ("b", 0.85)) for seed in range(3) for step in (100, 200, 300)]
    rows.append({"config": "a", "seed": 0, "step": 400, "val_accuracy": 0.86})
    return pd.DataFrame(rows)


def test_learning_curves_band_is_the_student_t_interval_of_the_mean_at_each_step():
    results = curves()
    fig = plots.learning_curves(results, y="val_accuracy", x="step")
    ax = fig.axes[0]
    table = stats.summarize(results, ["config", "step"], "val_accuracy")
    assert_same_intervals(fig.drawn_intervals, table, ["config", "step"])

    lines = {line.get_label(): line for line in ax.lines if line.get_label() in ("a", "b")}
    assert sorted(lines) == ["a", "b"], "one line per config"
    for config, line in lines.items():
        vertices = band_vertices(ax, line.get_color())
        for step, group in results[results["config"] == config].groupby("step"):
            ci = stats.mean_ci(group["val_accuracy"])
            np.testing.assert_allclose(line.get_ydata()[list(line.get_xdata()).index(step)], ci["mean"])
            at_step = vertices[np.isclose(vertices[:, 0], step), 1]
            if ci["n"] < 2:
                assert at_step.size == 0, "no band where a single run reached this step"
            else:
                np.testing.assert_allclose([at_step.min(), at_step.max()], [ci["ci_low"], ci["ci_high"]])
    band_of_a = band_vertices(ax, lines["a"].get_color())
    assert band_of_a[:, 0].max() == 300, "the band of 'a' stops at its last step with two runs"
    assert lines["a"].get_xdata()[-1] == 400, "while its mean line goes on to the single run"


def test_learning_curves_name_their_axes_and_say_the_band_is_the_confidence_interval():
    results = pd.DataFrame({"step": [100, 200] * 2, "val_loss": [1.0, 0.5, 0.9, 0.6], "config": ["a"] * 4,
                            "seed": [0, 0, 1, 1]})
    fig = plots.learning_curves(results, y="val_loss", x="step", title="loss")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("training iterations", "validation loss")
    assert "loss" in ax.get_title()
    assert "line: mean over seeds; band: 95% confidence interval of the mean (Student t)" in texts(fig)
    assert "standard deviation" not in texts(fig)


def test_learning_curves_show_the_papers_value():
    fig = plots.learning_curves(curves(), y="val_accuracy", x="step", paper=0.9)
    ax = fig.axes[0]
    assert "paper: 0.9" in legend_texts(ax)
    line = next(line for line in ax.lines if line.get_label() == "paper: 0.9")
    assert np.allclose(line.get_ydata(), 0.9) and line.get_linestyle() == "--"


def test_accuracy_against_budget_draws_the_summary_tables_interval_and_the_papers_range():
    tested = pd.concat([FINAL.assign(step=s) for s in (1000, 2000)]
                       + [pd.DataFrame({"config": ["a"], "seed": [0], "step": [3000], "test_accuracy": [0.97]})])
    curve = stats.summarize(tested, "step", "test_accuracy")
    fig = plots.accuracy_against_budget(curve, [0.95, 0.97, 0.99])
    ax = fig.axes[0]
    assert_same_intervals(fig.drawn_intervals, curve, ["step"])
    segments = bar_segments(ax)
    assert len(segments) == 2, "no bar at the step with a single run"
    for (x0, y0), (_, y1) in segments:
        expected = curve.set_index("step").loc[x0]
        np.testing.assert_allclose(sorted([y0, y1]), [expected["ci_low"], expected["ci_high"]])
    assert "the paper's 3 trainings (range)" in legend_texts(ax)
    assert "95% confidence interval of the mean (Student t)" in texts(fig)


def test_fit_page_scales_a_wide_figure_to_the_page_and_keeps_its_aspect():
    wide = plt.figure(figsize=(15, 3))
    narrow = plt.figure(figsize=(6, 3))
    try:
        assert tuple(plots.fit_page(wide).get_size_inches()) == pytest.approx((plots.MAX_WIDTH_IN, 1.5))
        assert tuple(plots.fit_page(narrow).get_size_inches()) == pytest.approx((6, 3))
    finally:
        plt.close(wide)
        plt.close(narrow)
