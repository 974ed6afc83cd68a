"""The GPU script (tools/gpu_run.py), run here on the CPU with the JAX backend and a tiny
budget: it checks determinism, trains in priority order into the store, stops on time and
copies what it stored with a summary."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import time

import pytest

from mnist_utils import paths

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")


def test_the_gpu_script_trains_a_tiny_budget_and_stops_on_time(tmp_path):
    minutes = 2.5
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    started = time.monotonic()
    out = subprocess.run([sys.executable, "tools/gpu_run.py", "--profile", "smoke", "--minutes", str(minutes),
                          "--store", str(tmp_path / "runs"), "--out", str(tmp_path / "out")],
                         cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr[-3000:]
    assert elapsed < minutes * 60 + 20, f"ran {elapsed:.0f} s on a budget of {minutes * 60:.0f} s"
    summary = json.loads((tmp_path / "out" / "gpu_summary.json").read_text())
    assert summary["backend"] == "jax" and summary["determinism"]["identical"] is True
    assert summary["runs"], "at least one smoke run fits in the budget"
    # Priority: chapter 6 (Liu & Fu's CNN) first.
    assert summary["runs"][0]["file"].startswith("liu_fu_cnn/")
    with tarfile.open(tmp_path / "out" / "runs.tar.gz") as archive:
        copied = sorted(archive.getnames())
    assert copied == sorted(str(p.relative_to(tmp_path / "runs")) for p in (tmp_path / "runs").glob("*/*.json"))
    assert all(r["images_per_second"] > 0 for r in summary["runs"])
