#!/usr/bin/env python3
"""Train a profile's runs on one borrowed GPU machine, time-boxed, with Keras on JAX.

The machine has Python 3.12 with JAX (CUDA), NumPy, pandas, SciPy, matplotlib, OpenCV and
PyYAML, no TensorFlow and no network. ``tools/gpu_bundle.sh`` prepares the rest
(``build/gpu-bundle``: Keras and its small dependencies as wheels, the MNIST files); this
script installs the wheels into the bundle (no network), then trains in priority order
(Liu & Fu's CNN first: chapter 6, then chapter 9's question at the whole budget, then
chapters 3, 4, 5 and 2), starting no run that would end after ``--minutes`` (default 8), so
every run started is finished and stored. Small models leave most of a large GPU idle, so it
trains ``--concurrent`` runs at a time: one process per shard of the missing runs
(``python -m mnist_utils.runs.fill --shard K/N``, each run seeded as always), N chosen from the
device unless given (``concurrency``). It prints the GPU's name and every run's images/s,
checks determinism once (one short run trained twice), times one run alone, and writes the
runs it stored (``runs.tar.gz``, paths as in the store) and a JSON summary to ``--out``, with
the aggregate images/s of the concurrent runs against the one run alone::

    python3 tools/gpu_run.py --profile paper --minutes 8 --out "$OUT"

Chapter 6's Flax CNN for the book of record (the second implementation, on JAX alone)::

    python3 tools/gpu_run.py --profile cpu --chapters 06 --minutes 8 --out "$OUT" \
        -p 06.flax_seeds=[0,1,2] -p 06.flax_bn_momentum=0.9 -p 06.flax_final_seeds=[0,1,2]

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
GIB = 2 ** 30


def concurrency(device: str, memory_bytes: int | None, cpu_count: int) -> int:
    """How many runs to train at once: on a GPU, one per 16 GiB of its memory (a CNN of this book
    needs well under 2 GiB; the rest is each process's share of XLA's working memory), at most 8
    and at most the CPU cores (each process feeds its GPU from a core); on a CPU, one (the CNN is
    compute-bound: two processes share the same cores)."""
    if device == "cpu" or not memory_bytes:
        return 1
    return max(1, min(8, cpu_count, int(memory_bytes // (16 * GIB))))


def device_memory() -> int | None:
    """Bytes of memory of the first accelerator JAX sees (None on a CPU or when unknown)."""
    try:
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        return stats.get("bytes_limit")
    except Exception:
        return None


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
    from mnist_utils.training import train

    first, again = (train.train(config, mnist, seed=0, train_size=5000, eval_size=1000) for _ in range(2))
    columns = ["train_loss", "val_loss", "val_accuracy", "test_accuracy"]
    same = first.rows[columns].equals(again.rows[columns])
    return {"config": f"{config.model} {config.model_kwargs} {config.steps} steps on 5,000 images",
            "identical": bool(same),
            "seconds": round(first.wall_seconds + again.wall_seconds, 1)}


def single_run_speed(mnist, profile: str) -> float:
    """Images/s of one run alone on this machine: chapter 6's CNN at the profile's widths."""
    from mnist_utils.core import profiles
    from mnist_utils.training import train

    params = profiles.chapter_parameters("06_improved_cnn", profile)
    config = train.TrainConfig("liu_fu_cnn", {"widths": list(params["widths"])}, "adam", 1e-4, params["batch_size"],
                               steps=1)
    return train.throughput(config, mnist, steps=100, warmup=20)


def fill_command(args, k: int, n: int, minutes: float) -> list[str]:
    """The command that trains shard ``k`` of ``n``: the chapters of ``args.profile`` in order,
    with every ``-p`` override, starting no run that would end after ``minutes``."""
    return [sys.executable, "-m", "mnist_utils.runs.fill", "--profile", args.profile, "--chapters", *args.chapters,
            "--store", args.store, "--minutes", f"{minutes:.2f}", "--shard", f"{k}/{n}",
            *[part for override in args.overrides for part in ("-p", override)]]


def train_concurrently(args, deadline: float) -> tuple[bool, list[str]]:
    """Shard k of ``args.concurrent`` in a process each, all writing to ``args.store`` (every
    run is its own file, written atomically), their lines forwarded as ``[k/N] ...``. Returns
    whether every shard stored all of its runs, and the shards that failed. Each process has its
    share of the accelerator's memory."""
    import threading

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BUNDLE / "site"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
           "XLA_PYTHON_CLIENT_MEM_FRACTION": f"{0.9 / args.concurrent:.3f}"}
    # Each process estimates its runs' time from a speed probe it takes while the others start or
    # train: a tenth of the time box is kept back for a run that takes longer than estimated.
    minutes = max(0.0, 0.9 * (deadline - time.monotonic()) / 60)
    n = args.concurrent
    workers = [subprocess.Popen(fill_command(args, k, n, minutes), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
               for k in range(1, n + 1)]
    finished: set[int] = set()

    def forward(k: int, worker) -> None:
        for line in worker.stdout:
            print(f"[{k}/{n}] {line}", end="", flush=True)
            if line.startswith("all runs stored"):   # the command's last line when its shard is done
                finished.add(k)

    threads = [threading.Thread(target=forward, args=(k, w)) for k, w in enumerate(workers, 1)]
    for thread in threads:
        thread.start()
    codes = [w.wait() for w in workers]
    for thread in threads:
        thread.join()
    errors = [f"shard {k}/{n} exited {c}" for k, c in enumerate(codes, 1) if c != 0]
    return len(finished) == n and not errors, errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--minutes", type=float, default=8.0, help="start no run that would end after this")
    parser.add_argument("--chapters", nargs="*", default=PRIORITY, help="chapters in priority order")
    parser.add_argument("--store", default=str(ROOT / "data" / "runs"), help="run-store folder to fill")
    parser.add_argument("--out", help="folder to copy the new runs and the summary to (e.g. $OUT)")
    parser.add_argument("--skip-determinism", action="store_true")
    parser.add_argument("-p", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="a parameter override passed to every fill (e.g. 06.flax_seeds=[0,1,2])")
    parser.add_argument("--concurrent", type=int, help="runs trained at once (default: chosen from the device)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    deadline = started + 60 * args.minutes - 10   # leave time to copy the runs and write the summary

    os.environ.setdefault("KERAS_BACKEND", "jax")
    # This process only checks and times; the trainings' processes need the accelerator's memory.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    if (BUNDLE / "mnist").exists():
        os.environ.setdefault("MNIST_MIRROR", str(BUNDLE / "mnist"))
    ensure_keras()
    sys.path.insert(0, str(ROOT))
    from mnist_utils.core import profiles
    from mnist_utils.runs.store import decode
    from mnist_utils.training import backend, data
    from mnist_utils.training.train import TrainConfig

    print(f"backend {backend.name()}, device {backend.devices()}", flush=True)
    mnist = data.load()
    before = {p.relative_to(args.store) for p in Path(args.store).glob("*/*.json")}
    summary = {"backend": backend.name(), "device": backend.devices(), "profile": args.profile,
               "minutes": args.minutes}
    if not args.skip_determinism:
        widths = profiles.chapter_parameters("06_improved_cnn", args.profile)["widths"]
        probe = TrainConfig("liu_fu_cnn", {"widths": list(widths)}, "adam", 1e-4, 50, steps=40, eval_every=20)
        summary["determinism"] = determinism_check(mnist, probe)
        print(f"determinism: {summary['determinism']}", flush=True)

    if args.concurrent is None:
        args.concurrent = concurrency(backend.devices(), device_memory(), os.cpu_count() or 1)
    summary["concurrent"] = args.concurrent
    alone = single_run_speed(mnist, args.profile)
    summary["one_run_images_per_second"] = round(alone, 1)
    print(f"one run alone: {alone:,.0f} images/s; training {args.concurrent} at a time", flush=True)

    phase_started = time.monotonic()
    complete, errors = train_concurrently(args, deadline)
    summary["phase_seconds"] = round(time.monotonic() - phase_started, 1)
    if errors:
        summary["error"] = "; ".join(errors)
        print(f"error: {summary['error']}", file=sys.stderr, flush=True)
    # In the order they were trained (a name order would put lenet5/ before liu_fu_cnn/).
    new = sorted({p.relative_to(args.store) for p in Path(args.store).glob("*/*.json")} - before,
                 key=lambda relative: (Path(args.store) / relative).stat().st_mtime_ns)
    summary["runs"] = []
    for relative in new:
        path = Path(args.store) / relative
        entry = decode(path.read_text(), path)
        record = entry.record
        summary["runs"].append({"file": str(relative), "images_per_second": record.get("images_per_second"),
                                "wall_seconds": record.get("wall_seconds"),
                                "images": int(entry.rows["step"].max()) * int(entry.spec["batch_size"])})
        print(f"stored {relative}: {record.get('images_per_second')} images/s, {record.get('wall_seconds')} s", flush=True)
    images = sum(r["images"] for r in summary["runs"])
    summary["aggregate_images_per_second"] = round(images / summary["phase_seconds"], 1) if images else 0.0
    summary["speed_up"] = round(summary["aggregate_images_per_second"] / alone, 2) if alone else None
    print(f"{len(new)} runs, {images:,} images in {summary['phase_seconds']:.0f} s: "
          f"{summary['aggregate_images_per_second']:,.0f} images/s together, {summary['speed_up']}x one run alone",
          flush=True)
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
