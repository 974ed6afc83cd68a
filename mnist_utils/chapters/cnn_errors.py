"""Where chapter 6's errors go: the digit they pile into, what a probe of the kept checkpoints
finds (batch norm's statistics re-estimated, checkpoints averaged), and every stored training of
the tutorial set-up.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..judging import measures
from ..present import model_plots, plots
from ..runs import probes

# ----------------------------------------------------------------- errors that pile into one digit
PILEUP_COLUMNS = {"run_id": "training", "test_accuracy": "test accuracy", "errors": "errors",
                  "most_predicted_wrong": "most frequent wrong answer", "share": "its share of the errors",
                  "last_checkpoints": "last three test checkpoints",
                  "checkpoint_range_pp": "range of the last three (pp)"}


def pileup(on_page, labels: np.ndarray) -> pd.DataFrame:
    """``measures.error_pileup`` of every (trained, final rows) pair of ``on_page`` (pairs
    whose trained is None left out), each stored run once, with its configuration."""
    frames = [measures.error_pileup(t, f, labels) for t, f in on_page if t is not None]
    table = pd.concat(frames, ignore_index=True).drop_duplicates("run_key").reset_index(drop=True)
    table["configuration"] = table["run_id"].str.rsplit("/", n=1).str[0]
    return table


def pileup_table(table: pd.DataFrame, params: dict) -> pd.DataFrame:
    """``pileup`` as readers see it."""
    return table[list(PILEUP_COLUMNS)].rename(columns=PILEUP_COLUMNS).round(params["digits"])


def pileup_figure(table: pd.DataFrame):
    """Each training's test errors by the digit it predicted."""
    title = "test errors of each training by the digit they predicted"
    return plots.fit_page(model_plots.errors_by_predicted_digit(table, title=title))


def pileup_numbers(table: pd.DataFrame) -> dict:
    """The worst pile-up, how many trainings put over 30% of their errors in one digit, the
    largest checkpoint range, and the largest share per configuration."""
    worst = table.sort_values("share").iloc[-1]
    by_configuration = table.groupby("configuration", sort=False)["share"].agg(["max", "size"])
    return {"pileup_worst": f"{worst['run_id']} answers {worst['most_predicted_wrong']} in {worst['share']:.0%} of "
                            f"its {worst['errors']} errors",
            "pileup_n": f"{int((table['share'] > 0.3).sum())} of {len(table)}",
            "pileup_checkpoints": f"{table['checkpoint_range_pp'].max():.2f}",
            "pileup_by_configuration": "; ".join(f"{c}: at most {r['max']:.0%} over {int(r['size'])} trainings"
                                                 for c, r in by_configuration.iterrows())}


# ----------------------------------------------------------------- probes
PROBE_COLUMNS = {"run_id": "training", "variant": "model", "step": "iteration", "test_accuracy": "test accuracy",
                 "errors": "errors", "most_predicted_wrong": "most frequent wrong answer",
                 "share": "its share of the errors", "differs_from_stored": "predictions unlike the stored run"}


def probe_table(probed: pd.DataFrame, params: dict):
    """The probes' checkpoints and variants as readers see them (a sentence without probes)."""
    if not len(probed):
        return "This profile probes no training (its parameter probe_seeds is empty)."
    table = probed[list(PROBE_COLUMNS)].rename(columns=PROBE_COLUMNS).round(params["digits"])
    table["iteration"] = table["iteration"].map(lambda s: f"{int(s):,}")
    return table


def probe_figure(probed: pd.DataFrame):
    """What re-estimating batch norm and averaging change (None without probes)."""
    if not len(probed):
        return None
    title = "probed trainings: what re-estimating batch norm and averaging change"
    return plots.fit_page(model_plots.probe_effects(probed, title=title))


def probe_numbers(probed: pd.DataFrame, params: dict) -> dict:
    """Per probed training, the change from its last checkpoint as trained to each variant,
    the checkpoints' spread, and the mean change per variant."""
    numbers = {"probe_k": params["probe_checkpoints"], "probe_every": f"{params['eval_every']:,}"}
    if not len(probed):
        return numbers | dict.fromkeys(("probe_reestimated", "probe_averaged", "probe_spread", "probe_mean_change"),
                                       "not probed in this profile")
    as_trained = probed[probed["variant"] == probes.VARIANTS[0]]
    last = as_trained.sort_values("step").groupby("run_id").tail(1).set_index("run_id")
    describe = lambda variant: "; ".join(
        f"{run} {last.loc[run, 'test_accuracy']:.4f} → {row['test_accuracy']:.4f} (top wrong digit "
        f"{last.loc[run, 'share']:.0%} → {row['share']:.0%} of the errors)"
        for run, row in probed[probed["variant"] == variant].set_index("run_id").iterrows())
    spread = as_trained.groupby("run_id")["test_accuracy"].agg(np.ptp).max()
    return numbers | {
        "probe_reestimated": describe(probes.VARIANTS[1]), "probe_averaged": describe(probes.VARIANTS[2]),
        "probe_spread": f"{spread * 100:.2f}",
        "probe_mean_change": "; ".join(f"{r['variant']}, test accuracy {r['accuracy_pp']:+.2f} pp and share of the "
                                       f"top wrong digit {r['share_pp']:+.0f} pp"
                                       for _, r in measures.probe_changes(probed).iterrows())}


# ----------------------------------------------------------------- every stored training
def setup_table(every_run: pd.DataFrame) -> pd.DataFrame:
    """Per set-up of the stored trainings (``runsets.stored_error_pileup``): runs, mean test
    accuracy, mean and largest share of the errors in one wrong digit; the largest first."""
    by_setup = every_run.groupby("set-up", sort=False).agg(
        runs=("seed", "size"), accuracy=("test_accuracy", "mean"), mean_share=("share", "mean"),
        max_share=("share", "max")).reset_index().sort_values("max_share", ascending=False)
    return by_setup.rename(columns={"accuracy": "mean test accuracy", "mean_share": "mean share in one wrong digit",
                                    "max_share": "largest share in one wrong digit"}).round(4)


def setup_figure(every_run: pd.DataFrame):
    """Each stored training's share of errors in one wrong digit, by set-up (None if none)."""
    return plots.fit_page(model_plots.error_pileup_by_setup(every_run)) if len(every_run) else None


def stored_numbers(every_run: pd.DataFrame) -> dict:
    """The largest share of errors in one wrong digit for a constant rate, for the cosine
    schedule and without batch norm, over every stored training."""
    kind = every_run["schedule"].str.split().str[0]
    largest = lambda rows: f"{every_run.loc[rows, 'share'].max():.0%}"
    without_bn = every_run["without"].str.contains("batch norm")
    return {"pileup_constant": largest(kind == "constant") if (kind == "constant").any() else "none stored",
            "pileup_cosine": largest(kind == "cosine") if (kind == "cosine").any() else "none stored",
            "pileup_runs": len(every_run),
            "pileup_no_bn": f"{largest(without_bn)} over {int(without_bn.sum())} trainings" if without_bn.any()
            else "not stored"}
