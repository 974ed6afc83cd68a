"""Chapter 6's second implementation: Liu & Fu's CNN again in Flax (the tutorial set-up on
``flax_seeds``, the validation-chosen schedule on ``flax_final_seeds``), the accuracy claim's
second looks on those runs, how the implementations compare, and the batch-norm momentum ablation
(claims file protocol ``second_implementation.bn_momentum``)."""
from __future__ import annotations

import pandas as pd

from ..judging import stats
from ..judging.results import final_rows
from ..judging.verdicts import Evidence
from . import cnn_claims, cnn_errors, second_implementation
from .cnn_page import ACCURACY, CHAPTER, CHOSEN, TUTORIAL, judged_ran

TUTORIAL_FLAX, FIVE_FLAX, MOMENTUM_FLAX = (f"{CHAPTER}_flax", f"{CHAPTER}_final_five_flax",
                                           f"{CHAPTER}_flax_bn_momentum")
MOMENTUM_PROTOCOL = "second_implementation.bn_momentum"
NOT_RUN = "not run with these parameters (they declare no Flax seeds)"
NOT_ANSWERED = "not run with these parameters (they declare no Flax seeds, or no second momentum)."


def accuracy_evidence(flax_tutorial, flax_five, params, sets: dict, mnist, n_train: int) -> list[Evidence]:
    """Liu & Fu's mean accuracy on the Flax runs of each set-up these parameters train, as the
    claim's second looks ("Flax: <set-up>")."""
    found = []
    if flax_tutorial is not None:
        found.append(cnn_claims.tutorial(final_rows(flax_tutorial.table), params, n_train)[ACCURACY])
    if flax_five is not None:
        found.append(cnn_claims.accuracy_claims(final_rows(flax_five.table), judged_ran(params, sets, mnist),
                                                params["steps"], CHOSEN)[ACCURACY])
    return [second_implementation.on_flax(evidence) for evidence in found]


def agreement(final: pd.DataFrame, five: pd.DataFrame, flax_tutorial, flax_five, sets: dict) -> pd.DataFrame:
    """Each set-up's Keras trainings against its Flax trainings (Welch: each framework draws its
    own weights from a seed), by ``second_implementation.agreement``; ``SETUP`` names the set-up,
    so that the comparison page puts each row beside its own set-up's claim."""
    frames = [second_implementation.agreement(final, final_rows(flax_tutorial.table), paired=False)
              .assign(**{second_implementation.SETUP: TUTORIAL}) if flax_tutorial is not None else None,
              second_implementation.agreement(five, final_rows(flax_five.table), paired=False)
              .assign(**{second_implementation.SETUP: CHOSEN}) if flax_five is not None and FIVE_FLAX in sets else None]
    frames = [f for f in frames if f is not None]
    columns = [*second_implementation.COLUMNS, *second_implementation.NUMBERS, second_implementation.SETUP]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


MOMENTUM_MEASURES = {"test_accuracy": "test accuracy", "share": "share of errors in one digit",
                     "checkpoint_range_pp": "range of the last three test checkpoints (pp)"}
MOMENTUM_COLUMNS = ["seed", *(f"{label}, {m}" for label in MOMENTUM_MEASURES.values() for m in ("0.99", "other"))]


def momentum_comparison(flax_tutorial, flax_momentum, labels, params) -> dict:
    """The tutorial set-up in Flax with its own momentum (0.99) and with ``flax_bn_momentum``,
    paired by seed: per seed, the protocol's three measures (test accuracy, the share of the errors
    in the most-predicted wrong digit: chapter 6's pile-up, and the range of the last three test
    checkpoints), and the paired differences (other − 0.99) with 95% CIs."""
    other = params["flax_bn_momentum"]
    if flax_tutorial is None or flax_momentum is None:
        return {"table": pd.DataFrame(columns=MOMENTUM_COLUMNS), "accuracy": None, "share": None, "range": None,
                "other": other}
    piled = {name: cnn_errors.pileup([(trained, final_rows(trained.table))], labels).set_index("seed")
             for name, trained in (("0.99", flax_tutorial), ("other", flax_momentum))}
    seeds = sorted(set(piled["0.99"].index) & set(piled["other"].index))
    column = lambda name, measure: piled[name].loc[seeds, measure].to_numpy(float)
    table = pd.DataFrame({"seed": seeds, **{f"{label}, {name}": column(name, measure)
                                            for measure, label in MOMENTUM_MEASURES.items()
                                            for name in ("0.99", "other")}})
    table = table.rename(columns=lambda c: c.replace("other", f"{other:g}")).round(params["digits"])
    differ = lambda measure: stats.difference(column("other", measure), column("0.99", measure), paired=True)
    return {"table": table, "accuracy": differ("test_accuracy"), "share": differ("share"),
            "range": differ("checkpoint_range_pp"), "other": other}


def momentum_answer(momentum: dict) -> str:
    """What the momentum ablation answers, by the protocol's declared rule (or what it bounds)."""
    accuracy, share = momentum["accuracy"], momentum["share"]
    if accuracy is None:
        return NOT_ANSWERED
    said = (f"test accuracy {stats.fmt_difference(accuracy, scale=100, unit=' pp')}; share of the errors in one "
            f"digit {stats.fmt_difference(share, scale=100, unit=' pp')}; range of the last three test checkpoints "
            f"{stats.fmt_difference(momentum['range'], unit=' pp')} (momentum {momentum['other']:g} minus 0.99, "
            f"paired, n = {accuracy['n']})")
    return f"{said}: {_conclusion(momentum)}."


def _conclusion(momentum: dict) -> str:
    accuracy, share = momentum["accuracy"], momentum["share"]
    excludes = lambda d: not pd.isna(d["ci_low"]) and (d["ci_low"] > 0 or d["ci_high"] < 0)
    if not excludes(accuracy):
        return "the momentum does not move the test accuracy beyond what these seeds bound"
    spread = excludes(share) and (share["diff"] < 0) == (accuracy["diff"] > 0)
    return "the momentum matters" + (", and it spreads the errors' pile-up" if spread else "")


def numbers(implementations: pd.DataFrame, momentum: dict, checks, params) -> dict:
    """What the prose of the section cites."""
    counts = {TUTORIAL: len(params["flax_seeds"]), CHOSEN: len(params["flax_final_seeds"])}
    said = lambda setup: checks.recorded(ACCURACY, finding=f"{second_implementation.FINDING}: {setup}",
                                         default="not judged")
    verdicts = "; ".join(f"{setup}: {said(setup)}" if n else f"{setup}: not run (no Flax seeds declared)"
                         for setup, n in counts.items()) if any(counts.values()) else NOT_RUN
    agreement = second_implementation.agreement_sentence(implementations) or NOT_RUN
    other = params["flax_bn_momentum"]
    return {"cnn_flax_n": " and ".join(f"{n} in {setup}" for setup, n in counts.items()),
            "cnn_flax_verdicts": verdicts, "cnn_flax_agreement": agreement,
            "cnn_flax_margin": f"±{second_implementation.margin() * 100:.1f} pp",
            "momentum_other": "none" if other is None else f"{other:g}", "momentum_answer": momentum_answer(momentum)}
