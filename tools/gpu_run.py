#!/usr/bin/env python3
"""Train a profile's runs on one borrowed GPU machine, time-boxed, with Keras on JAX.

The machine has Python 3.12 with JAX (CUDA), NumPy, pandas, SciPy, matplotlib, OpenCV and
PyYAML, no TensorFlow and no network. ``tools/gpu_bundle.sh`` prepares the rest
(``build/gpu-bundle``: Keras and its small dependencies as wheels, the MNIST files); this
script installs the wheels into the bundle (no network), then trains in priority order
(Liu & Fu's CNN first: chapter 6, then chapter 9's question at the whole budget, then
chapters 3, 4, 5 and 2), starting no run that would end after ``--minutes`` (default 8), so
every run started is finished and stored. It prints the GPU's name and every run's images/s,
checks determinism once (one short run trained twice) and writes the runs it stored
(``runs.tar.gz``, paths as in the store) and a JSON summary to ``--out``::

    python3 tools/gpu_run.py --profile paper --minutes 8 --out "$OUT"

At home: ``tar -xzf <out>/runs.tar.gz -C data/runs`` and commit the runs; the book is then
rendered on a CPU from the stored runs. The run records name the GPU.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "build" / "gpu-bundle"
PRIORITY = ["06", "09", "03", "04", "05", "02"]


def ensure_keras() -> None:
    """Install the bundled wheels into the bundle (offline) when Keras is missing."""
    site = BUNDLE / "site"
    if site.exists():
        sys.path.insert(0, str(site))
    try:
        import keras  # noqa: F401
        return
    except ImportError:
        pass
    wheels = sorted((BUNDLE / "wheels").glob("*.whl"))
    if not wheels:
        sys.exit(f"error: Keras is not installed and {BUNDLE / 'wheels'} has no wheels (run tools/gpu_bundle.sh)")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", str(site),
                    *map(str, wheels)], check=True)
    # On the path only now: a folder that did not exist at the first import is cached as absent.
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    import keras  # noqa: F401,F811


def determinism_check(mnist, config) -> dict:
    """One short run trained twice: identical metrics or not."""
    from mnist_utils import train

    first, again = (train.train(config, mnist, seed=0, train_size=5000, eval_size=1000) for _ in range(2))
    columns = ["train_loss", "val_loss", "val_accuracy", "test_accuracy"]
    same = first.rows[columns].equals(again.rows[columns])
    return {"config": f"{config.model} {config.model_kwargs} {config.steps} steps on 5,000 images",
            "identical": bool(same),
            "seconds": round(first.wall_seconds + again.wall_seconds, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--minutes", type=float, default=8.0, help="start no run that would end after this")
    parser.add_argument("--chapters", nargs="*", default=PRIORITY, help="chapters in priority order")
    parser.add_argument("--store", default=str(ROOT / "data" / "runs"), help="run-store folder to fill")
    parser.add_argument("--out", help="folder to copy the new runs and the summary to (e.g. $OUT)")
    parser.add_argument("--skip-determinism", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    deadline = started + 60 * args.minutes - 10   # leave time to copy the runs and write the summary

    os.environ.setdefault("KERAS_BACKEND", "jax")
    if (BUNDLE / "mnist").exists():
        os.environ.setdefault("MNIST_MIRROR", str(BUNDLE / "mnist"))
    ensure_keras()
    sys.path.insert(0, str(ROOT))
    from mnist_utils import backend, chapters, data
    from mnist_utils.store import RunStore, decode
    from mnist_utils.train import TrainConfig

    print(f"backend {backend.name()}, device {backend.devices()}", flush=True)
    mnist = data.load()
    before = {p.relative_to(args.store) for p in Path(args.store).glob("*/*.json")}
    summary = {"backend": backend.name(), "device": backend.devices(), "profile": args.profile,
               "minutes": args.minutes}
    if not args.skip_determinism:
        widths = chapters.chapter_parameters("06_improved_cnn", args.profile)["widths"]
        probe = TrainConfig("liu_fu_cnn", {"widths": list(widths)}, "adam", 1e-4, 50, steps=40, eval_every=20)
        summary["determinism"] = determinism_check(mnist, probe)
        print(f"determinism: {summary['determinism']}", flush=True)

    store = RunStore(Path(args.store))
    try:
        complete = chapters.fill_store(chapters._resolve(args.chapters), args.profile, store, mnist,
                                       deadline=deadline)
    except Exception as exc:   # the runs stored before the error still go home
        complete, summary["error"] = False, f"{type(exc).__name__}: {exc}"
        print(f"error: {summary['error']}", file=sys.stderr, flush=True)
    # In the order they were trained (a name order would put lenet5/ before liu_fu_cnn/).
    new = sorted({p.relative_to(args.store) for p in Path(args.store).glob("*/*.json")} - before,
                 key=lambda relative: (Path(args.store) / relative).stat().st_mtime_ns)
    summary["runs"] = []
    for relative in new:
        path = Path(args.store) / relative
        record = decode(path.read_text(), path).record
        summary["runs"].append({"file": str(relative), "images_per_second": record.get("images_per_second"),
                                "wall_seconds": record.get("wall_seconds")})
        print(f"stored {relative}: {record.get('images_per_second')} images/s, {record.get('wall_seconds')} s", flush=True)
    summary.update(complete=complete, seconds=round(time.monotonic() - started, 1))
    print(json.dumps(summary), flush=True)
    if args.out:
        # One archive, not a file per run: the device gives back at most 8 files.
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out / "runs.tar.gz", "w:gz") as archive:
            for relative in new:
                archive.add(Path(args.store) / relative, arcname=str(relative))
        (out / "gpu_summary.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
