"""Chapter 3's page module on tiny hand-made run tables: no training, no data."""
from __future__ import annotations

import json
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")

from mnist_utils.chapters import activation_claims, activation_figures, activation_numbers
from mnist_utils.chapters import activation_page as page  # noqa: E402
from mnist_utils.present import plots, tables  # noqa: E402
from mnist_utils.runs import benchmark_rows  # noqa: E402

# Per activation: validation accuracy at each of 5 evaluations (steps 100..500), the same for
# every seed plus a per-seed offset, and the test accuracy per seed.
CURVES = {"sigmoid": [0.50, 0.80, 0.90, 0.95, 0.96], "relu": [0.90, 0.97, 0.98, 0.985, 0.99],
          "elu": [0.85, 0.96, 0.975, 0.98, 0.985], "tanh": [0.70, 0.90, 0.97, 0.98, 0.98]}
TEST = {"sigmoid": [0.970, 0.972, 0.974], "relu": [0.980, 0.983, 0.983],
        "elu": [0.979, 0.981, 0.984], "tanh": [0.975, 0.976, 0.977]}


def run_rows(activation: str, seed: int, best: int = 4, label: str | None = None, **kwargs) -> pd.DataFrame:
    """One run: 5 evaluations, the weights of evaluation ``best`` (0-based) tested, patience 1."""
    steps = np.arange(1, 6) * 100
    return pd.DataFrame({
        "run_id": f"{label or activation}/seed{seed}", "config": label or activation, "seed": seed,
        "step": steps, "epoch": steps / 100, "val_accuracy": np.array(CURVES[activation]) - 0.001 * seed,
        "val_loss": 0.3, "train_loss": np.linspace(1.0, 0.1, 5), "train_eval_loss": 0.1 + 0.01 * seed,
        "test_accuracy": TEST[activation][seed], "final": (np.arange(5) == best).astype(float), "patience": 1,
        "model_kwargs": json.dumps({"activation": activation}), **kwargs})


def table(activations, seeds=(0, 1, 2), **kwargs) -> pd.DataFrame:
    return pd.concat([run_rows(a, s, **kwargs) for a in activations for s in seeds], ignore_index=True)


PARAMS = {"profile": "smoke", "activations": ["sigmoid", "relu", "elu"], "seeds": [0, 1, 2], "optimizer": "adam",
          "learning_rate": 0.001, "batch_size": 128, "max_epochs": 5, "patience_epochs": 1, "evals_per_epoch": 1,
          "extra_activations": ["tanh"], "fully_connected_activations": [], "arm_optimizer": "momentum",
          "arm_learning_rates": [], "arm_grid_seeds": [0], "arm_rates": {}, "arm_seeds": [0, 1, 2],
          "sparsity_seeds": [], "gradient_steps": 3, "gradient_seeds": [], "convergence_threshold": 0.95,
          "ratio_thresholds": [0.9, 0.985], "table_digits": 4, "train_size": 0, "eval_size": 0}


def study(tables=None, **params) -> page.Study:
    tables = {page.CHAPTER: table(PARAMS["activations"], best=3)} if tables is None else tables
    sets = [SimpleNamespace(name=page.CHAPTER, configs=[SimpleNamespace(steps=500)])]
    return page.Study(sets, tables, {**PARAMS, **params})


def test_names_readers_see():
    assert [tables.name(a) for a in ("relu", "elu", "sigmoid", "tanh", "momentum", "swish")] == [
        "ReLU", "ELU", "Sigmoid", "Tanh", "SGD with momentum", "swish"]


def test_stopping_table_says_what_stopped_each_run():
    tables = {page.CHAPTER: pd.concat([run_rows("sigmoid", 0, best=4), run_rows("relu", 0, best=2)])}
    shown = activation_figures.stopping_table(study(tables))
    assert list(shown.columns) == ["activation", "seed", "epoch of the tested weights", "stopped at epoch", "stopped by"]
    assert shown.to_dict("records") == [
        {"activation": "Sigmoid", "seed": 0, "epoch of the tested weights": "5.00", "stopped at epoch": "5.00",
         "stopped by": "epoch cap"},
        {"activation": "ReLU", "seed": 0, "epoch of the tested weights": "3.00", "stopped at epoch": "5.00",
         "stopped by": "patience"}]


def test_accuracy_table_is_the_mean_and_student_t_interval():
    final = pd.DataFrame({"config": ["relu"] * 4 + ["sigmoid"], "test_accuracy": [0.97, 0.98, 0.99, 0.98, 0.95]})
    shown = activation_figures.accuracy_table(final, 4)
    sd = np.std([0.97, 0.98, 0.99, 0.98], ddof=1)
    half = 3.182446 * sd / np.sqrt(4)   # t(0.975, 3) · sd / √n
    assert pd.isna(shown.iloc[0]["each run"]), "a dash: four runs have an interval, their runs are not listed"
    assert shown.iloc[0].drop("each run").to_dict() == {"activation": "ReLU", "runs": 4, "mean test accuracy": "0.9800",
                                       "SD": f"{sd:.4f}", "95% CI low": f"{0.98 - half:.4f}",
                                       "95% CI high": f"{0.98 + half:.4f}"}
    # one run: no spread, no interval (a dash in the page's table); its run is listed
    assert shown.iloc[1][["SD", "95% CI low", "95% CI high"]].isna().all() and shown.iloc[1]["each run"] == "0.9500"
    assert activation_figures.accuracy_table(final, 2).iloc[0]["mean test accuracy"] == "0.98"


def test_accuracy_table_lists_few_runs_and_keeps_every_interval_inside_0_1():
    few = activation_figures.accuracy_table(pd.DataFrame({"config": ["elu"] * 3, "test_accuracy": [0.2, 0.9, 0.99]}),
                                            4)
    assert few.iloc[0][["95% CI low", "95% CI high"]].isna().all() and few.iloc[0]["each run"] == "0.2000, 0.9000, 0.9900"
    wide = activation_figures.accuracy_table(
        pd.DataFrame({"config": ["elu"] * 5, "test_accuracy": [0.5, 0.99, 0.98, 0.97, 0.2]}), 4)
    assert 0 <= float(wide.iloc[0]["95% CI low"]) < float(wide.iloc[0]["95% CI high"]) <= 1
    assert "each run" not in wide.columns


def test_comparison_table_gives_paired_differences_in_percentage_points():
    shown = activation_figures.comparison_table(study())
    assert list(shown["comparison"]) == ["ReLU − Sigmoid", "ELU − Sigmoid", "ELU − ReLU"]
    relu_sigmoid = np.mean(np.array(TEST["relu"]) - np.array(TEST["sigmoid"])) * 100   # 1.0 pp
    assert shown.iloc[0]["difference (pp)"] == f"{relu_sigmoid:+.2f}" == "+1.00"
    assert shown.iloc[0]["pairs of runs"] == 3
    assert float(shown.iloc[0]["95% CI low (pp)"].replace("−", "-")) < 1.0 < float(shown.iloc[0]["95% CI high (pp)"])
    assert not any("_" in c for c in shown.columns)


def test_reach_table_counts_the_runs_that_reached_the_threshold():
    shown = activation_figures.reach_table(study(convergence_threshold=0.96))
    assert list(shown.columns) == ["activation", "runs", "reached 0.96", "mean epochs to reach it"]
    rows = shown.set_index("activation")
    # Sigmoid reaches 0.96 only at seed 0 (its last evaluation, epoch 5); ReLU at epoch 2 on every seed
    assert rows.loc["Sigmoid", "reached 0.96"] == 1 and rows.loc["Sigmoid", "mean epochs to reach it"] == "5.00"
    assert rows.loc["ReLU", "reached 0.96"] == 3 and rows.loc["ReLU", "mean epochs to reach it"] == "2.00"


def test_ratio_table_keeps_each_threshold_apart():
    shown = activation_figures.ratio_table(study(convergence_threshold=0.95, ratio_thresholds=[0.9, 0.985]))
    assert list(shown["validation accuracy threshold"]) == ["0.9", "0.95", "0.985"]
    rows = shown.set_index("validation accuracy threshold")
    # 0.95, each crossing interpolated between evaluations (the claims file's measure): Sigmoid at
    # steps 400, 410, 420 (seeds 0-2), ReLU at 171.4, 172.9, 174.3: ratios 2.33, 2.37, 2.41
    assert rows.loc["0.95", "censored runs"] == 0 and rows.loc["0.95", "mean ratio"] == "2.37"
    # 0.985: ReLU at steps 400, 420, 440; Sigmoid never, so its budget (500) counts: a lower bound
    assert rows.loc["0.985", "seeds with a ratio"] == 3 and rows.loc["0.985", "censored runs"] == 3
    assert rows.loc["0.985", "mean ratio"] == "1.19"


def test_grid_table_pivots_rates_against_activations():
    grid = pd.concat([run_rows(a, 0, label=f"{a}, momentum lr={r:g}", learning_rate=r)
                      .assign(val_accuracy=lambda f, r=r, a=a: f["val_accuracy"] + (r if a == "relu" else 0))
                      for a in ("sigmoid", "relu") for r in (0.01, 0.001)])
    shown = activation_figures.grid_table(study({page.CHAPTER: table(["sigmoid", "relu"]),
                                   page.CHAPTER + "_optimizer_grid": grid}))
    assert list(shown.columns) == ["learning rate", "Sigmoid", "ReLU"]
    assert list(shown["learning rate"]) == ["0.01", "0.001"]
    assert shown.iloc[0].tolist() == ["0.01", "0.9600", "1.0000"]
    assert shown.iloc[1].tolist() == ["0.001", "0.9600", "0.9910"]
    assert activation_figures.grid_table(study()).empty


def decide_activation_claims(s: page.Study) -> dict:
    """The notebook's deciding lines for the four activation claims."""
    measured = activation_claims.activation_measurements(s)
    for claim_id in (page.ORDER, page.ELU, page.RATIO, page.OVERFIT):
        s.checks.decide(claim_id, activation_claims.activation_comparison(s, measured, claim_id))
    return measured


def test_ordering_verdicts_come_from_the_claims_rules_and_are_recorded():
    s = study()
    decide_activation_claims(s)
    values = page.ordering_numbers(s)
    assert values["diff_relu_sigmoid"].startswith("+1.00 pp (95% CI")
    recorded = s.checks.frame().set_index("claim_id")
    assert values["order_verdict"] == recorded.loc[page.ORDER, "verdict"]
    assert values["elu_verdict"] == recorded.loc[page.ELU, "verdict"]
    assert values["elu_why"] == recorded.loc[page.ELU, "how"]
    assert recorded.loc[page.ORDER, "measured"].startswith("against Sigmoid, paired, n = ")
    assert "ReLU +1.00 pp (95% CI " in recorded.loc[page.ORDER, "measured"]


def test_claims_without_their_arms_are_not_testable():
    s = study({page.CHAPTER: table(["sigmoid", "relu"], best=3)}, activations=["sigmoid", "relu"])
    decide_activation_claims(s)
    values = page.ordering_numbers(s)
    assert values["order_verdict"] == values["elu_verdict"] == "not testable"
    assert values["diff_elu_relu"] == "not measured (no elu or no relu runs)"
    assert s.checks.recorded(page.ELU, "measured") == "not testable with these parameters: needs relu and elu runs"


def test_ratio_numbers_read_the_declared_threshold():
    s = study(convergence_threshold=0.9)
    values = page.ratio_numbers(s, decide_activation_claims(s))
    # The crossings of 0.9, interpolated between evaluations as the claims file declares: Sigmoid
    # between steps 200 and 300 (0.80 → 0.90, less 0.001 a seed), ReLU at or just after step 100.
    crossing = lambda below, above, v0, v1: below + (0.9 - v0) / (v1 - v0) * (above - below)
    ratios = [crossing(200, 300, 0.80 - d, 0.90 - d) / (100 if d == 0 else crossing(100, 200, 0.90 - d, 0.97 - d))
              for d in (0, 0.001, 0.002)]
    assert s.interpolated and values["ratio"].startswith(f"{np.mean(ratios):.1f} ± ")
    assert values["threshold"] == "0.90" and values["paper_ratio"] == "6"
    assert values["ratio_verdict"] == s.checks.recorded(page.RATIO)


def test_accuracy_numbers_and_stopping_numbers():
    s = study()
    values = {**page.accuracy_numbers(s), **page.stopping_numbers(s)}
    assert values["acc_relu"] == "0.9820 (mean of 3 runs: 0.9800, 0.9830, 0.9830)", "three runs: shown, not summarised"
    assert values["n_seeds"] == 3
    assert values["epochs"] == "at most 5 epochs, stopped 1 epochs after the best validation loss"
    assert values["n_converged"] == "9 of 9"
    assert values["stop_epochs"] == "Sigmoid 4.0–4.0; ReLU 4.0–4.0; ELU 4.0–4.0"


def test_tanh_numbers_pair_steps_by_seed():
    s = study({page.CHAPTER: table(["relu"]), page.CHAPTER + "_extra": table(["tanh"])},
              activations=["relu"], convergence_threshold=0.95)
    claim_id = "wang2020.activation.relu_faster_than_tanh"
    s.checks.decide(claim_id, activation_claims.tanh_speed(s))
    values = activation_numbers.tanh_numbers(s)
    # ReLU reaches 0.95 at step 200 on every seed, Tanh at 300
    assert values["tanh_steps"] == "ReLU 200, Tanh 300"
    assert values["tanh_verdict"] == s.checks.recorded(claim_id) != "not tested"
    without = study({page.CHAPTER: table(["relu"])}, activations=["relu"])
    without.checks.decide(claim_id, activation_claims.tanh_speed(without))
    assert activation_numbers.tanh_numbers(without)["tanh_verdict"] == "not testable"


def test_efficiency_numbers_read_the_benchmark_rows():
    rows = [{"measurement": benchmark_rows.activation_measurement(a), "value": v}
            for a, values in {"relu": [1300, 1310, 1290, 1305, 1295], "sigmoid": [1000, 1010, 990, 1005, 995]}.items()
            for v in values]
    s, claim_id = study(), "wang2020.activation.relu_efficiency"
    s.checks.decide(claim_id, activation_claims.training_speed(pd.DataFrame(rows)))
    values = activation_numbers.efficiency_numbers(s, pd.DataFrame(rows))
    assert values["activation_speeds"] == "relu 1,300, sigmoid 1,000"
    assert values["efficiency_verdict"] == "reproduced"   # 30% faster, far beyond the 5% margin
    empty, none = study(), pd.DataFrame(columns=["measurement", "value"])
    empty.checks.decide(claim_id, activation_claims.training_speed(none))
    assert activation_numbers.efficiency_numbers(empty, none) == {
        "activation_speeds": "not measured (the benchmark has no part 6 rows)", "efficiency_verdict": "not testable"}


def test_a_number_read_before_its_claim_is_decided_says_so():
    assert activation_numbers.tanh_numbers(study())["tanh_verdict"] == "not tested"


def test_looks_table_sets_the_second_look_beside_the_record():
    s = study()
    s.checks.not_testable(page.ELU, "x")
    s.checks.second_looks.append({"claim_id": page.ELU, "verdict": "inconclusive"})
    shown = activation_figures.looks_table(s)
    assert shown.to_dict("records") == [{"claim": "ELU is slightly better than ReLU", "Adam (of record)": "not testable",
                                         "SGD with momentum (second look)": "inconclusive"}]


def test_figures_fit_the_page_and_name_their_legend():
    s = study()
    figures = activation_figures
    for figure in (figures.accuracy_curves(s), figures.loss_curves(s), figures.accuracy_figure(s),
                   figures.comparison_figure(s)):
        assert figure.get_size_inches()[0] <= plots.MAX_WIDTH_IN
    assert activation_figures.loss_curves(s).axes[0].get_yscale() == "log"
    assert activation_figures.accuracy_curves(s).axes[0].get_legend().get_title().get_text() == "activation"
    probed = pd.DataFrame([{"run_id": f"{c}/seed{seed}", "config": c, "seed": seed, "step": step, "layer": layer,
                            "rms": 0.01 * (i + 1)} for c in ("sigmoid", "relu", "elu") for seed in (0, 1)
                           for step in (1, 2, 3) for i, layer in enumerate(("C1", "F6", "output"))])
    s.__dict__["probed"] = probed
    figure = activation_figures.gradient_figure(s)
    assert figure.get_size_inches()[0] == plots.MAX_WIDTH_IN
    assert all(ax.get_legend() is None for ax in figure.axes) and len(figure.legends) == 1
    assert [ax.get_title() for ax in figure.axes] == ["Sigmoid", "ReLU", "ELU"]
    gradient = activation_figures.gradient_table(s)
    assert gradient.iloc[0].tolist() == ["Sigmoid", "0.333", "3"]
    # The prose cites the table's own numbers (median over seeds, three significant figures).
    cited = activation_numbers.for_readers(activation_numbers.dissipation_numbers(s))["gradient_ratios"]
    assert cited == "; ".join(f"{a} {r}" for a, r in zip(gradient["activation"], gradient.iloc[:, 1]))


def test_comparisons_and_glued_numbers_read_as_prose():
    shown = activation_figures.comparison_table(study())
    assert shown["difference (pp)"].str.match(r"^[+−]\d").all() and not shown.astype(str).apply(
        lambda c: c.str.contains(r"(?<![\w.])-\d")).any().any()
    values = activation_numbers.for_readers({"x": "relu 0.1, sigmoid 0.03: CI -0.26 to -0.1", "n": 3})
    assert values == {"x": "ReLU 0.1, Sigmoid 0.03: CI −0.26 to −0.1", "n": 3}


def test_prose_numbers_show_few_seeds_as_runs_and_say_why_the_efficiency_verdict_is():
    s = study()
    s.__dict__["zeros"] = pd.DataFrame({"all": [0.03, 0.41, 0.80], "C1": 0.1, "differs_from_stored": 0})
    rows = [{"measurement": benchmark_rows.activation_measurement(a), "value": v}
            for a, values in {"relu": [1300, 1310, 1290, 1305, 1295], "sigmoid": [1000, 1010, 990, 1005, 995]}.items()
            for v in values]
    s.checks.decide("wang2020.activation.relu_efficiency", activation_claims.training_speed(pd.DataFrame(rows)))
    values = activation_numbers.prose_numbers(s)
    assert values["zero_share_runs"] == "0.413 (mean of 3 runs: 0.030, 0.410, 0.800)"
    assert values["order_margin"] == "+0.2 pp"
    assert values["efficiency_why"] == tables.prose(s.checks.recorded("wang2020.activation.relu_efficiency", "how"))
    assert values["efficiency_why"] and "-" not in values["efficiency_why"].replace(" - ", "")
