"""A second implementation beside the runs of record: a chapter that declares ``flax_seeds``
trains its headline configuration again in Flax (``training.flax_train``). These helpers compare
the two implementations configuration by configuration, by the claims file's protocol
``second_implementation``, and turn a chapter's evidence into the evidence of the claim's second
look on the Flax runs (finding ``FINDING``), shown beside the verdict of record."""
from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from ..core import claims, paths
from ..core.names import SECOND_IMPLEMENTATION
from ..judging import results, stats
from ..judging.comparisons import implementations_agree
from ..judging.verdicts import Evidence, Verdicts
from ..present import plots, tables

try:   # the Flax models need the project's jax extra; without it the table of differences is empty
    from ..training.flax_models import DIFFERENCES
except ModuleNotFoundError:
    DIFFERENCES = {}

PROTOCOL = "second_implementation"
FINDING = SECOND_IMPLEMENTATION
COLUMNS = ["configuration", "n Keras", "n Flax", "Keras test accuracy", "Flax test accuracy", "Flax − Keras (pp)",
           "90% CI (pp)", "implementations"]
NUMBERS = ["diff", "ci90_low", "ci90_high"]    # Flax − Keras and its 90% CI as fractions: what a figure draws
SETUP = "set-up"    # where a chapter compares several set-ups: the claim's set-up each row belongs to


def margin() -> float:
    """The declared margin within which the two implementations agree (a fraction)."""
    return float(claims.protocol(PROTOCOL)["agreement"]["margin"])


def on_flax(evidence: Evidence) -> Evidence:
    """A chapter's evidence for a claim, measured on its Flax runs: the same rule's inputs, named
    as the second look of finding ``FINDING`` (with the set-up, where the evidence names one)."""
    if evidence.missing or evidence.undecided:
        return evidence
    setup = evidence.found.get("finding", "")      # a claim with two set-ups keeps them apart: "Flax: <set-up>"
    found = {**evidence.found, "finding": f"{FINDING}: {setup}" if setup else FINDING,
             "ran": f"{evidence.found.get('ran', '')}; Flax (NNX) with optax"}
    return replace(evidence, found=found)


def is_flax(finding) -> bool:
    """Whether a recorded finding is a look at the second implementation's runs."""
    return isinstance(finding, str) and (finding == FINDING or finding.startswith(f"{FINDING}: "))


def agreement(keras_final: pd.DataFrame, flax_final: pd.DataFrame, *, paired: bool) -> pd.DataFrame:
    """Per configuration with runs in both implementations: the runs, both mean test accuracies,
    Flax − Keras in pp with its 90% CI and whether they agree within the declared margin
    (``paired``: by seed, on the seeds both ran; else Welch on all). The reader's columns are
    ``COLUMNS``; ``NUMBERS`` keep the difference and its interval as numbers for a figure."""
    rows = []
    for config, flax in flax_final.groupby("config", sort=False):
        keras = keras_final[keras_final["config"] == config]
        if keras.empty:
            continue
        if paired:
            common = sorted(set(flax["seed"]) & set(keras["seed"]))
            second, first = (frame.set_index("seed").loc[common, "test_accuracy"].to_numpy() for frame in (flax, keras))
        else:
            second, first = flax["test_accuracy"].to_numpy(), keras["test_accuracy"].to_numpy()
        found = implementations_agree(second, first, margin=margin(), paired=paired)
        interval = ("–" if pd.isna(found["ci90_low"]) else
                    f"{stats.signed(found['ci90_low'] * 100)} to {stats.signed(found['ci90_high'] * 100)}")
        rows.append({"configuration": config, "n Keras": len(first), "n Flax": len(second),
                     "Keras test accuracy": f"{first.mean():.4f}", "Flax test accuracy": f"{second.mean():.4f}",
                     "Flax − Keras (pp)": stats.signed(found["diff"] * 100), "90% CI (pp)": interval,
                     "implementations": found["verdict"], **{n: found[n] for n in NUMBERS}})
    return pd.DataFrame(rows, columns=[*COLUMNS, *NUMBERS])


def readable(table: pd.DataFrame) -> pd.DataFrame | None:
    """The agreement table as readers see it (``COLUMNS``); None when it is empty, which shows
    nothing (an empty table breaks the PDF's LaTeX)."""
    return table[COLUMNS] if len(table) else None


def numbers(prefix: str, table: pd.DataFrame, checks: Verdicts, claim_id: str, n_seeds: int) -> dict:
    """What the prose cites of a chapter's second implementation: the Flax verdict of the claim,
    and how the implementations compare, under ``<prefix>_flax_*`` names."""
    if not n_seeds or table.empty:
        absent = "not run with these parameters (they declare no Flax seeds)"
        return {f"{prefix}_flax_verdict": absent, f"{prefix}_flax_agreement": absent, f"{prefix}_flax_n": 0,
                f"{prefix}_flax_margin": f"±{margin() * 100:.1f} pp"}
    return {f"{prefix}_flax_verdict": checks.recorded(claim_id, finding=FINDING, default="not judged"),
            f"{prefix}_flax_agreement": agreement_sentence(table), f"{prefix}_flax_n": n_seeds,
            f"{prefix}_flax_margin": f"±{margin() * 100:.1f} pp"}


def agreement_sentence(table: pd.DataFrame) -> str:
    """The agreement table in one sentence: per configuration, the verdict, Flax − Keras and its
    90% CI ("" for an empty table)."""
    return "; ".join(f"{row['configuration']}: {row['implementations']} (Flax − Keras {row['Flax − Keras (pp)']} pp, "
                     f"90% CI {row['90% CI (pp)']})" for _, row in table.iterrows())


def save(table: pd.DataFrame, profile: str, chapter: str) -> None:
    """Write a chapter's agreement table (``agreement``) where the report reads it, atomically."""
    results.write(table.assign(chapter=chapter), paths.second_implementation_file(profile, chapter))


def save_momentum(momentum: dict, answer: str, profile: str) -> None:
    """Chapter 6's batch-norm momentum ablation (``cnn_flax.momentum_comparison``) and its
    ``answer``, one row, where this page reads it; where it did not run, nothing, and any
    earlier answer removed."""
    path = paths.bn_momentum_file(profile)
    if momentum["accuracy"] is None:
        path.unlink(missing_ok=True)
        return
    row = {"momentum": momentum["other"], "n": momentum["accuracy"]["n"], "answer": answer}
    for measure in ("accuracy", "share", "range"):   # cnn_flax.momentum_comparison's three differences
        row |= {f"{measure}_{k}": momentum[measure][k] for k in ("diff", "ci_low", "ci_high")}
    results.write(pd.DataFrame([row]), path)


def read_momentum_answer(profile: str) -> str | None:
    """The answer chapter 6 saved (``save_momentum``), or None where it has not run."""
    path = paths.find_bn_momentum(profile)
    return str(pd.read_csv(path)["answer"].iloc[0]) if path.exists() else None


def read_all(profile: str) -> pd.DataFrame:
    """Every chapter's agreement table for one profile (empty when no chapter ran Flax)."""
    folders = {paths.results_dir(profile) / "second_implementation", paths.RESULTS / profile / "second_implementation"}
    chapters = sorted({f.stem for folder in folders if folder.exists() for f in folder.glob("*.csv")})
    # Read as written: the table holds numbers as readers see them ("+0.01", "−0.02 to +0.03").
    frames = [pd.read_csv(paths.find_second_implementation(profile, c), dtype=str, keep_default_na=False)
              for c in chapters]
    table = (pd.concat(frames, ignore_index=True) if frames
             else pd.DataFrame(columns=[*COLUMNS, *NUMBERS, "chapter"]))
    for column in NUMBERS:
        table[column] = pd.to_numeric(table[column], errors="coerce") if column in table else float("nan")
    return table


def claims_table(of_record: pd.DataFrame, second_looks: pd.DataFrame, agreements: pd.DataFrame) -> pd.DataFrame:
    """Per headline claim of the protocol (and per set-up where a claim has two): the Keras verdict
    of the same set-up (of record, or the second look of that set-up), the same rule's verdict on
    the Flax runs, each with its n, and how the two implementations' test accuracies compare in
    the claim's chapter (``read_all``). A claim whose chapter ran no Flax says so."""
    finding_of = lambda frame: frame["finding"].fillna("") if "finding" in frame else pd.Series("", index=frame.index)
    flax = second_looks["finding"].map(is_flax)
    keras = pd.concat([of_record.assign(finding=finding_of(of_record)),
                       second_looks[~flax].assign(finding=finding_of(second_looks[~flax]))])
    rows = []
    for claim_id in claims.protocol(PROTOCOL)["claims"]:
        looks = second_looks[flax & (second_looks["claim_id"] == claim_id)]
        chapter = claims.claim(claim_id)["chapter"]
        compared = agreements[agreements["chapter"] == chapter]
        if looks.empty:
            record = keras[(keras["claim_id"] == claim_id)].head(1)      # of record first
            setup = record["finding"].iloc[0] if len(record) else ""
            rows.append({"claim": tables.claim_label(claim_id) + (f" ({setup})" if setup else ""),
                         "Keras": _verdict_with_n(record),
                         "Flax": "not run (its chapter declares no Flax seeds)", "Flax measured": "",
                         "implementations (Flax − Keras, pp)": _compared(compared, setup)})
        for _, look in looks.iterrows():
            setup = look["finding"].removeprefix(FINDING).removeprefix(": ")
            same = keras[(keras["claim_id"] == claim_id) & ((keras["finding"] == setup) | (setup == ""))].head(1)
            rows.append({"claim": tables.claim_label(claim_id) + (f" ({setup})" if setup else ""),
                         "Keras": _verdict_with_n(same), "Flax": _verdict_with_n(look.to_frame().T),
                         "Flax measured": look["measured"],
                         "implementations (Flax − Keras, pp)": _compared(compared, setup)})
    return pd.DataFrame(rows, columns=["claim", "Keras", "Flax", "Flax measured", "implementations (Flax − Keras, pp)"])


def _compared(compared: pd.DataFrame, setup: str) -> str:
    """How the implementations compare in a claim's chapter: the rows of the claim's own set-up
    where the chapter names set-ups (``SETUP``), else every configuration it compared."""
    if setup and SETUP in compared and (compared[SETUP] == setup).any():
        compared = compared[compared[SETUP] == setup]
    return "; ".join(f"{r['configuration']}: {r['implementations']} ({r['Flax − Keras (pp)']})"
                     for _, r in compared.iterrows()) or "not compared"


def _verdict_with_n(found: pd.DataFrame) -> str:
    """"reproduced (n = 20)": a recorded verdict with the seeds it was decided on (the look's n
    where a sequential plan decided it, else the runs its measure counted)."""
    if found.empty:
        return "not tested"
    row = found.iloc[0]
    n = _decided_on(row)
    return f"{row['verdict']} (n = {n})" if n else str(row["verdict"])


def _decided_on(row: pd.Series) -> int | None:
    """The seeds a recorded verdict was decided on: the look's n where a sequential plan decided
    it, else the runs its measure counted."""
    return _n_of(row.get("look")) or (None if pd.isna(row.get("n")) else int(row["n"])) or _n_of(row.get("measured"))


def _n_of(text) -> int | None:
    found = re.search(r"\bn = (\d+)", text) if isinstance(text, str) else None
    return int(found[1]) if found else None


def page_numbers(agreements: pd.DataFrame, second_looks: pd.DataFrame, momentum_answer: str | None = None) -> dict:
    """What the second implementation's page cites: the margin, how the configurations compare,
    the Flax seeds behind the verdicts, and the batch-norm question's answer (``momentum_answer``,
    chapter 6's, or None where its Flax CNN has not run the ablation)."""
    verdicts = agreements["implementations"].value_counts()
    flax = second_looks[second_looks["finding"].map(is_flax)]
    counts = {n for _, look in flax.iterrows() if (n := _decided_on(look))}
    return {"flax_margin": f"±{margin() * 100:.1f} pp",
            "flax_configurations": (", ".join(f"{tables.count(verdicts[v], 'configuration')} {v}"
                                              for v in ("agree", "undecided", "differ") if v in verdicts)
                                    or "no configuration compared (no chapter declares Flax seeds)"),
            "flax_seed_counts": " or ".join(str(n) for n in sorted(counts)) or "no",
            "flax_cnn_state": _momentum_state(momentum_answer, cnn_ran=(flax["chapter"] == "06_improved_cnn").any())}


def _momentum_state(momentum_answer: str | None, cnn_ran: bool) -> str:
    """The batch-norm question's answer as the page's sentence ends it, or why there is none."""
    if momentum_answer:
        return momentum_answer.rstrip(".")
    if cnn_ran:
        return "chapter 6's Flax CNN ran, but not the ablation's second momentum, so there is no answer yet"
    return "the ablation is declared, but chapter 6's Flax CNN has not yet run in this profile, so there is no answer yet"


def differences_figure(agreements: pd.DataFrame):
    """Flax − Keras test accuracy per configuration with its 90% interval, the declared margin
    shaded: the agreement table (``read_all``) drawn."""
    drawn = agreements.assign(comparison=agreements["chapter"].str[:2].str.lstrip("0").radd("chapter ") + ": "
                              + agreements["configuration"], ci_low=agreements["ci90_low"],
                              ci_high=agreements["ci90_high"])
    figure = plots.paired_differences(drawn, margin=margin(), title="Flax − Keras, test accuracy",
                                      bars="dots: difference of the means; bars: its 90% confidence interval")
    axes = figure.axes[0]
    handles, _ = axes.get_legend_handles_labels()      # below the plot, where it hides no interval
    axes.legend(handles, [f"±{margin() * 100:g} pp: the declared margin, within which the two agree"],
                loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False, fontsize=plots.SMALL_PT)
    figure.tight_layout()
    return figure


def differences_table() -> pd.DataFrame:
    """Where the Flax models take Flax's own defaults and the Keras models Keras's (what the papers
    leave open), one row each (``flax_models.DIFFERENCES``)."""
    return pd.DataFrame([{"what the papers leave open": what, "Keras (of record)": keras, "Flax": flax}
                         for what, (keras, flax) in DIFFERENCES.items()],
                        columns=["what the papers leave open", "Keras (of record)", "Flax"])
