"""The GPU script (tools/gpu_run.py), run here on the CPU with the JAX backend and a tiny
budget: it checks determinism, trains two runs at a time in priority order into the store,
stops on time and copies what it stored with a summary of the speed-up."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import time

import pytest

from mnist_utils.core import paths

pytestmark = [pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed"),
              pytest.mark.backend, pytest.mark.slow]


def test_the_gpu_script_trains_a_tiny_budget_and_stops_on_time(tmp_path):
    minutes = 3.5   # two processes start (TensorFlow, Keras, MNIST) before their first run
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    started = time.monotonic()
    out = subprocess.run([sys.executable, "tools/gpu_run.py", "--profile", "smoke", "--minutes", str(minutes),
                          "--store", str(tmp_path / "runs"), "--out", str(tmp_path / "out"), "--concurrent", "2"],
                         cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr[-3000:]
    assert elapsed < minutes * 60 + 30, f"ran {elapsed:.0f} s on a budget of {minutes * 60:.0f} s"
    summary = json.loads((tmp_path / "out" / "gpu_summary.json").read_text())
    assert summary["backend"] == "jax" and summary["determinism"]["identical"] is True
    assert summary["runs"], "at least one smoke run fits in the budget"
    # Priority: chapter 6 (Liu & Fu's CNN) first.
    assert summary["runs"][0]["file"].startswith("liu_fu_cnn/")
    with tarfile.open(tmp_path / "out" / "runs.tar.gz") as archive:
        copied = sorted(archive.getnames())
    assert copied == sorted(str(p.relative_to(tmp_path / "runs")) for p in (tmp_path / "runs").glob("*/*.json"))
    assert all(r["images_per_second"] > 0 for r in summary["runs"])
    # Two processes, one shard each: both trained (their runs alternate in the priority order).
    shards = {line[:5] for line in out.stdout.splitlines() if "missing runs were this shard's" in line}
    assert summary["concurrent"] == 2 and shards == {"[1/2]", "[2/2]"}
    assert summary["aggregate_images_per_second"] == pytest.approx(
        sum(r["images"] for r in summary["runs"]) / summary["phase_seconds"], rel=0.01)
    # Rounded to two decimals in the summary.
    assert summary["speed_up"] == pytest.approx(summary["aggregate_images_per_second"]
                                                / summary["one_run_images_per_second"], abs=0.006)


def test_the_number_of_concurrent_runs_follows_the_device():
    sys.path.insert(0, str(paths.ROOT / "tools"))
    import gpu_run

    gib = gpu_run.GIB
    assert gpu_run.concurrency("cpu", None, 16) == 1
    assert gpu_run.concurrency("gpu:NVIDIA H200", 139 * gib, 16) == 8          # capped at 8
    assert gpu_run.concurrency("gpu:NVIDIA T4", 15 * gib, 4) == 1              # under 16 GiB: one
    assert gpu_run.concurrency("gpu:NVIDIA A100", 80 * gib, 4) == 4            # no more than the cores
    assert gpu_run.concurrency("gpu:NVIDIA L4", None, 8) == 1                  # memory unknown: one


def test_each_shard_trains_the_chosen_chapters_with_every_override():
    sys.path.insert(0, str(paths.ROOT / "tools"))
    import argparse

    import gpu_run

    args = argparse.Namespace(profile="cpu", chapters=["06"], store="data/runs",
                              overrides=["06.flax_seeds=[0,1,2]", "06.flax_bn_momentum=0.9"])
    command = gpu_run.fill_command(args, 2, 3, 7.5)
    assert command[command.index("--shard") + 1] == "2/3" and command[command.index("--minutes") + 1] == "7.50"
    assert command[-4:] == ["-p", "06.flax_seeds=[0,1,2]", "-p", "06.flax_bn_momentum=0.9"]
