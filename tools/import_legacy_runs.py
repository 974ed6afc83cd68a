"""One-off migration: put the runs of the pre-store book of record into the run store.

Before the run store existed, the `cpu` book's runs lived only as rows of
``data/results/cpu/*.csv`` (commit 081e692, trained on a 2-core Intel Xeon). The
training code that produced them computes the same numbers as today's (the store
refactoring moved code around, it did not change a single operation), so those runs
can be keyed under today's code digest instead of retraining 3 hours of CPU time —
*if* that claim holds. It is checked, not assumed:

    python tools/import_legacy_runs.py import --keep-out RUN_ID ...   # import all but a sample
    python -m mnist_utils.run --profile cpu                           # trains the sample natively
    python tools/import_legacy_runs.py verify                         # sample vs legacy rows

``verify`` compares every natively trained run of the store that also exists in the
legacy files, at every evaluation: "same to rounding" when the accuracies are identical
and the losses equal up to float32 rounding (1e-6; the legacy runs ran on another CPU,
whose vector units round sums differently). It writes the comparison to
``data/results/cpu/legacy_import_check.csv`` and exits non-zero when a run differs: then
the imported runs are that other machine's numbers, not this one's, and a book using them
must say so. (The book of record has used no imported run since every run was retrained
with the current code; that file was removed then.) An imported
entry carries ``record.imported`` (source file, commit, machine, versions as the old
manifest recorded them) and no test-set predictions (the old files have none): chapters
that draw predictions from a run need that run trained natively (``--keep-out``).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mnist_utils import data, paths, results, store  # noqa: E402
from mnist_utils.train import TrainConfig, run_spec  # noqa: E402

LEGACY_COMMIT = "081e692"
LEGACY_FILES = ["02_softmax_baseline", "03_activation_study", "04_learning_rate_study", "05_dropout",
                "06_improved_cnn", "06_improved_cnn_ablation"]
ROW_COLUMNS = ["step", "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "wall_seconds",
               "images_per_second", "test_loss", "test_accuracy"]
METRICS = ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy"]
# Two CPUs with different vector units round float32 sums differently: the losses of the
# same computation may differ in their last bits (1 ulp of float32 near 1 is 1.2e-7), the
# accuracies (counts of correct digits) may not differ at all.
LOSS_TOLERANCE = 1e-6


def legacy_text(relative: str) -> str:
    return subprocess.run(["git", "show", f"{LEGACY_COMMIT}:{relative}"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def legacy_runs():
    """(file, run_id, config, seed, rows) for every run of the legacy results files."""
    from io import StringIO

    for name in LEGACY_FILES:
        table = pd.read_csv(StringIO(legacy_text(f"data/results/cpu/{name}.csv")))
        for run_id, rows in table.groupby("run_id", sort=False):
            first = rows.iloc[0]
            config = TrainConfig(
                first["model"], json.loads(first["model_kwargs"]), first["optimizer"], float(first["learning_rate"]),
                int(first["batch_size"]),
                epochs=None if pd.isna(first["epochs"]) else int(first["epochs"]),
                steps=None if pd.isna(first["steps"]) else int(first["steps"]),
                eval_every=None if pd.isna(first["eval_every"]) else int(first["eval_every"]), label=first["config"])
            yield name, run_id, config, int(first["seed"]), rows[ROW_COLUMNS].reset_index(drop=True)


def key_of(config: TrainConfig, seed: int, mnist) -> tuple[str, dict]:
    spec = run_spec(config, seed, mnist)
    return store.run_key(spec, store.data_fingerprint(mnist)), spec


def import_runs(keep_out: set[str]) -> int:
    manifest = json.loads(legacy_text("data/manifests/cpu.json"))["notebooks"]
    mnist = data.load()
    record_store = store.RunStore(paths.RUNS)
    imported = skipped = 0
    for name, run_id, config, seed, rows in legacy_runs():
        key, spec = key_of(config, seed, mnist)
        if f"{name}:{run_id}" in keep_out or record_store.get(key) is not None:
            skipped += 1
            continue
        chapter = manifest.get(name.replace("_ablation", ""), {})
        wall = float(rows["wall_seconds"].iloc[-1])
        record = {
            "imported": {"from": f"data/results/cpu/{name}.csv", "commit": LEGACY_COMMIT,
                         "chapter_commit": chapter.get("git_commit", "")[:7],
                         "chapter_finished": chapter.get("finished"),
                         "how": "tools/import_legacy_runs.py; bit-identity checked with its `verify`"},
            "finished": chapter.get("finished"),
            "wall_seconds": round(wall, 2),
            "images_per_second": round(spec["batch_size"] * int(rows["step"].iloc[-1]) / wall, 1),
            "median_interval_images_per_second": round(float(rows["images_per_second"].median()), 1),
            "backend": "tensorflow", "device": "cpu",
            "cpu": chapter.get("cpu"), "cpu_count": chapter.get("cpu_count"), "python": chapter.get("python"),
            "versions": {k: v for k, v in chapter.get("packages", {}).items() if k in store.VERSIONS},
            "commit": chapter.get("git_commit", "")[:7] + ("+dirty" if chapter.get("git_dirty") else ""),
            "code_digest": None,
        }
        entry = store.StoredRun(key, spec, record, rows.astype(float), {})
        path = record_store.write_dir / record_store._relative(key, spec["model"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(store.encode(entry))
        store.decode(path.read_text(), path)  # reads back as a valid entry
        imported += 1
    print(f"imported {imported} legacy runs into {paths.RUNS.relative_to(ROOT)}, skipped {skipped} "
          "(kept out or already stored)")
    return 0


def verify() -> int:
    """Compare every natively trained run that also exists in the legacy files with its legacy
    rows; write the comparison to ``paths.LEGACY_IMPORT_CHECK``."""
    mnist = data.load()
    record_store = store.RunStore(paths.RUNS)
    rows_out = []
    for name, run_id, config, seed, rows in legacy_runs():
        key, _ = key_of(config, seed, mnist)
        stored = record_store.get(key)
        if stored is None or "imported" in stored.record:
            continue
        new = stored.rows[METRICS].to_numpy(float)
        old = rows[METRICS].to_numpy(float)
        if new.shape != old.shape:
            raise SystemExit(f"{name}: {run_id}: {len(new)} native vs {len(old)} legacy evaluations")
        diff = np.nan_to_num(np.abs(new - old), nan=0.0)
        per_metric = dict(zip(METRICS, diff.max(axis=0)))
        accuracies_equal = all(per_metric[m] == 0 for m in METRICS if m.endswith("accuracy"))
        loss_diff = max(per_metric[m] for m in METRICS if m.endswith("loss"))
        same = accuracies_equal and loss_diff <= LOSS_TOLERANCE
        rows_out.append({"results_file": name, "run": run_id, "evaluations": len(old),
                         "same_to_rounding": same, "accuracies_identical": accuracies_equal,
                         "max_loss_difference": loss_diff,
                         "legacy_test_accuracy": float(rows["test_accuracy"].iloc[-1]),
                         "native_test_accuracy": float(stored.rows["test_accuracy"].iloc[-1]),
                         "native_cpu": stored.record.get("cpu"), "native_commit": stored.record.get("commit")})
        print(f"{'same' if same else 'DIFFERENT'}  {name}: {run_id}  ({len(old)} evaluations; accuracies "
              f"{'identical' if accuracies_equal else 'differ'}; max |diff| of losses {loss_diff:.2g}; test accuracy "
              f"legacy {rows_out[-1]['legacy_test_accuracy']:.4f}, native {rows_out[-1]['native_test_accuracy']:.4f})")
    table = pd.DataFrame(rows_out)
    results.write(table, paths.LEGACY_IMPORT_CHECK)
    differing = int((~table["same_to_rounding"]).sum()) if len(table) else 0
    print(f"{len(table)} natively trained runs compared with the legacy rows, {differing} differ "
          f"-> {paths.LEGACY_IMPORT_CHECK.relative_to(ROOT)}")
    return 1 if differing or table.empty else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import")
    imp.add_argument("--keep-out", nargs="*", default=[], metavar="FILE:RUN_ID",
                     help="legacy runs to leave to native training, e.g. 06_improved_cnn:'improved CNN/seed0'")
    sub.add_parser("verify")
    args = parser.parse_args(argv)
    return import_runs(set(args.keep_out)) if args.command == "import" else verify()


if __name__ == "__main__":
    sys.exit(main())
