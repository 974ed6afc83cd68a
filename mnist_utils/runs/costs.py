"""What the runs of a profile cost: the compute ledger of the reproduction report.

Each run's training time is the one the run store recorded when it was trained (a run is
trained once and then reused, so this is what the numbers cost); each chapter's execution time
is the run manifest's.
"""
from __future__ import annotations

import json

import pandas as pd

from ..core import paths
from ..judging.results import read as read_results
from . import store as run_store

LEDGER_COLUMNS = ["chapter", "runs", "training (min)", "training images (M)", "execution (min)",
                  "median images/s", "trained on", "gpu", "commit", "finished"]
_NO_RUNS = pd.DataFrame(columns=["key", "wall_seconds", "images", "cpu"])


def stored_runs(tables) -> pd.DataFrame:
    """The run store's records (key, wall_seconds, images, cpu) of the runs that results
    ``tables`` list, each run once."""
    keys = sorted({k for t in tables if "run_key" in t for k in t["run_key"].dropna()})
    return run_store.default().records(keys) if keys else _NO_RUNS


def no_gpu(table: pd.DataFrame) -> bool:
    """Whether no chapter of the ledger ran on a GPU (its table then leaves the GPU column out)."""
    return len(table) > 0 and bool(table["gpu"].fillna("none").isin(["none", ""]).all())


def ledger(profile: str, skip: tuple[str, ...] = ("07_reproduction_report",)) -> tuple[pd.DataFrame, dict]:
    """One row per executed chapter of ``profile`` (from its run manifest; ``skip``: the report
    itself, whose entry is written after it ran), and the totals: distinct runs, their training
    minutes and images, how many uses repeat a run another chapter also uses, the hardware.
    Without a manifest (nbval executes the notebooks without the runner) the ledger is empty."""
    manifest_file = paths.find_manifest(profile)
    manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {"notebooks": {}}
    rows, chapter_runs = [], []
    for chapter, entry in sorted(manifest["notebooks"].items()):
        if chapter in skip:
            continue
        tables = [read_results(f) for f in paths.find_chapter_results(profile, chapter)]   # one per run set
        runs = stored_runs(tables)
        if len(runs):
            chapter_runs.append(runs)
        rows.append({"chapter": chapter, "runs": len(runs),
                     "training (min)": runs["wall_seconds"].sum() / 60, "training images (M)": runs["images"].sum() / 1e6,
                     "execution (min)": entry["wall_seconds"] / 60,
                     "median images/s": pd.concat(tables)["images_per_second"].median() if tables else None,
                     "trained on": ", ".join(sorted(set(runs["cpu"].dropna()))),
                     "gpu": entry["gpu"], "commit": entry.get("commit", entry["git_commit"][:7]),
                     "finished": entry["finished"]})
    table = pd.DataFrame(rows, columns=LEDGER_COLUMNS)
    # A run two chapters use (chapter 5 reuses chapter 3's Sigmoid runs) is paid once: the
    # totals count each stored run once, the per-chapter rows count it in every chapter.
    unique = pd.concat(chapter_runs, ignore_index=True).drop_duplicates("key") if chapter_runs else _NO_RUNS
    hardware = sorted({c for cs in table["trained on"] for c in cs.split(", ") if c})
    totals = {"runs": len(unique), "minutes": float(unique["wall_seconds"].sum() / 60),
              "images_millions": float(unique["images"].sum() / 1e6),
              "shared_uses": int(table["runs"].sum()) - len(unique),
              "hardware": (", ".join(hardware) or "unknown") + (" (no GPU)" if no_gpu(table) else ""),
              "has_manifest": bool(manifest["notebooks"])}
    return table, totals
