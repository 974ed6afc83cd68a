"""A second implementation beside the runs of record: a chapter that declares ``flax_seeds``
trains its headline configuration again in Flax (``training.flax_train``). These helpers compare
the two implementations configuration by configuration, by the claims file's protocol
``second_implementation``, and turn a chapter's evidence into the evidence of the claim's second
look on the Flax runs (finding ``FINDING``), shown beside the verdict of record."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..core import claims, paths
from ..core.names import SECOND_IMPLEMENTATION
from ..judging import results, stats
from ..judging.comparisons import implementations_agree
from ..judging.verdicts import Evidence, Verdicts
from ..present import tables

try:   # the Flax models need the project's jax extra; without it the table of differences is empty
    from ..training.flax_models import DIFFERENCES
except ModuleNotFoundError:
    DIFFERENCES = {}

PROTOCOL = "second_implementation"
FINDING = SECOND_IMPLEMENTATION
COLUMNS = ["configuration", "n Keras", "n Flax", "Keras test accuracy", "Flax test accuracy", "Flax − Keras (pp)",
           "90% CI (pp)", "implementations"]


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
    (``paired``: by seed, on the seeds both ran; else Welch on all)."""
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
                     "implementations": found["verdict"]})
    return pd.DataFrame(rows, columns=COLUMNS)


def numbers(prefix: str, table: pd.DataFrame, checks: Verdicts, claim_id: str, n_seeds: int) -> dict:
    """What the prose cites of a chapter's second implementation: the Flax verdict of the claim,
    and how the implementations compare, under ``<prefix>_flax_*`` names."""
    if not n_seeds or table.empty:
        absent = "not run with these parameters (they declare no Flax seeds)"
        return {f"{prefix}_flax_verdict": absent, f"{prefix}_flax_agreement": absent, f"{prefix}_flax_n": 0,
                f"{prefix}_flax_margin": f"±{margin() * 100:.1f} pp"}
    said = "; ".join(f"{row['configuration']}: {row['implementations']} (Flax − Keras {row['Flax − Keras (pp)']} pp, "
                     f"90% CI {row['90% CI (pp)']})" for _, row in table.iterrows())
    return {f"{prefix}_flax_verdict": checks.recorded(claim_id, finding=FINDING, default="not judged"),
            f"{prefix}_flax_agreement": said, f"{prefix}_flax_n": n_seeds,
            f"{prefix}_flax_margin": f"±{margin() * 100:.1f} pp"}


def save(table: pd.DataFrame, profile: str, chapter: str) -> None:
    """Write a chapter's agreement table (``agreement``) where the report reads it, atomically."""
    results.write(table.assign(chapter=chapter), paths.second_implementation_file(profile, chapter))


def read_all(profile: str) -> pd.DataFrame:
    """Every chapter's agreement table for one profile (empty when no chapter ran Flax)."""
    folders = {paths.results_dir(profile) / "second_implementation", paths.RESULTS / profile / "second_implementation"}
    chapters = sorted({f.stem for folder in folders if folder.exists() for f in folder.glob("*.csv")})
    # Read as written: the table holds numbers as readers see them ("+0.01", "−0.02 to +0.03").
    frames = [pd.read_csv(paths.find_second_implementation(profile, c), dtype=str, keep_default_na=False)
              for c in chapters]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*COLUMNS, "chapter"])


def report_table(second_looks: pd.DataFrame, of_record: pd.DataFrame, agreements: pd.DataFrame) -> pd.DataFrame:
    """Per claim judged on Flax runs: the Keras verdict of the same set-up (of record, or the
    second look of that set-up), the same rule's verdict on the Flax runs, what they measured,
    and how the two implementations' test accuracies compare in its chapter (``read_all``)."""
    finding_of = lambda frame: frame["finding"].fillna("") if "finding" in frame else pd.Series("", index=frame.index)
    keras = pd.concat([of_record.assign(finding=finding_of(of_record)),
                       second_looks[~second_looks["finding"].map(is_flax)].assign(
                           finding=finding_of(second_looks[~second_looks["finding"].map(is_flax)]))])
    rows = []
    for _, look in second_looks[second_looks["finding"].map(is_flax)].iterrows():
        setup = look["finding"].removeprefix(FINDING).removeprefix(": ")
        same = keras[(keras["claim_id"] == look["claim_id"]) & ((keras["finding"] == setup) | (setup == ""))]
        compared = agreements[agreements["chapter"] == look["chapter"]]
        rows.append({"claim": tables.claim_label(look["claim_id"]) + (f" ({setup})" if setup else ""),
                     "Keras": same["verdict"].iloc[0] if len(same) else "not tested",
                     "Flax": look["verdict"], "Flax measured": look["measured"],
                     "implementations (Flax − Keras, pp)": "; ".join(
                         f"{r['configuration']}: {r['implementations']} ({r['Flax − Keras (pp)']})"
                         for _, r in compared.iterrows()) or "not compared"})
    return pd.DataFrame(rows, columns=["claim", "Keras", "Flax", "Flax measured", "implementations (Flax − Keras, pp)"])


def differences_table() -> pd.DataFrame:
    """Where the Flax models take Flax's own defaults and the Keras models Keras's (what the papers
    leave open), one row each (``flax_models.DIFFERENCES``)."""
    return pd.DataFrame([{"what the papers leave open": what, "Keras (of record)": keras, "Flax": flax}
                         for what, (keras, flax) in DIFFERENCES.items()],
                        columns=["what the papers leave open", "Keras (of record)", "Flax"])
