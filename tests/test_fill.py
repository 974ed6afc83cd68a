"""mnist_utils.runs.fill, the command line that fills the run store: it trains into a store and lists it,
answers a wrong argument before TensorFlow loads, keeps a deadline, and splits the missing runs
into shards."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import SOFTMAX

from mnist_utils import runner
from mnist_utils.core import paths
from mnist_utils.runs import fill, runsets

pytestmark = pytest.mark.backend


@pytest.mark.slow
def test_the_command_line_trains_into_a_store_and_lists_what_is_stored(tmp_path, monkeypatch):
    store = tmp_path / "runs"
    args = ["--profile", "smoke", "--chapters", "2", "--store", str(store), "-p", "steps=20", "-p", "eval_every=10"]
    cli = [sys.executable, "-m", "mnist_utils.runs.fill"]
    env = {**os.environ, paths.SCRATCH_ENV: str(tmp_path / "scratch")}
    trained = subprocess.run(cli + args, cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert trained.returncode == 0, trained.stderr[-2000:]
    # The smoke profile's chapter 2: two Keras runs and the same two again in Flax (flax_seeds).
    assert trained.stdout.count(": trained in ") == 4 and "all runs stored" in trained.stdout
    entries = [p.read_text() for p in store.glob("softmax/*.json")]
    assert len(entries) == 4 and sum('"backend": "flax"' in entry for entry in entries) == 2
    listed = subprocess.run(cli + args + ["--list"], cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert listed.stdout.count(": stored (") == 4 and "missing" not in listed.stdout


def test_the_command_line_names_an_unknown_chapter():
    """A wrong argument is answered by one error line, before TensorFlow loads: where it loads,
    it prints a banner on some processors (oneDNN) that no log level silences."""
    # -X importtime lists on stderr ("import time: ... | module") every module the command imports.
    command = [sys.executable, "-X", "importtime", "-m", "mnist_utils.runs.fill", "--chapters", "10", "--list"]
    out = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True, timeout=300)
    lines = out.stderr.splitlines()
    imported = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")}
    # What the command itself wrote: neither the import list nor a library's log lines.
    own = [line for line in lines if not line.startswith("import time:") and not runner.TF_LOG_LINE.match(line)]
    assert out.returncode == 2, out.stderr[-2000:]
    assert len(own) == 1 and own[0].startswith("error: --chapters 10: not a training chapter"), own
    assert "mnist_utils.training.train" in imported         # the listing works: fill.py's own imports are in it
    assert not sorted(m for m in imported if m.split(".")[0] in ("tensorflow", "keras", "jax")), \
        "the arguments must be checked before Keras and TensorFlow load"


@pytest.mark.slow
def test_a_deadline_starts_no_run_that_would_end_after_it(tmp_path):
    args = ["--profile", "smoke", "--chapters", "6", "--store", str(tmp_path / "runs"), "--minutes", "0.01"]
    out = subprocess.run([sys.executable, "-m", "mnist_utils.runs.fill", *args], cwd=paths.ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "not started, it would end after the deadline" in out.stdout and "runs missing after" in out.stdout
    assert not list((tmp_path / "runs").glob("*/*.json"))


@pytest.mark.slow
def test_shards_partition_the_missing_runs_and_a_shard_with_nothing_to_do_exits_0(tmp_path):
    cli = [sys.executable, "-m", "mnist_utils.runs.fill", "--profile", "smoke", "--chapters", "2",
           "-p", "steps=20", "-p", "eval_every=10", "-p", "seeds=[0, 1, 2]", "-p", "flax_seeds=[]"]
    env = {**os.environ, paths.SCRATCH_ENV: str(tmp_path / "scratch")}
    shard = lambda k, n, folder: subprocess.run(cli + ["--store", str(tmp_path / folder), "--shard", f"{k}/{n}"],
                                                cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600)
    one, two = shard(1, 2, "shard1"), shard(2, 2, "shard2")
    assert one.returncode == two.returncode == 0, (one.stderr[-1500:], two.stderr[-1500:])
    keys = lambda folder: {p.stem for p in (tmp_path / folder).glob("*/*.json")}
    assert len(keys("shard1")) == 2 and len(keys("shard2")) == 1 and not keys("shard1") & keys("shard2")
    assert "shard 1/2: 2 of 3 missing runs" in one.stdout and "shard 2/2 trains it" in one.stdout
    # Three shards of three runs, and a fourth with nothing to do: it trains nothing and succeeds.
    idle = shard(4, 4, "shard4")
    assert idle.returncode == 0 and not keys("shard4") and "0 of 3 missing runs" in idle.stdout
    bad = shard(3, 2, "bad")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].startswith("error: --shard 3/2")


def test_a_chapter_whose_run_sets_all_carry_suffixes_lists_as_complete_once_stored(tiny_mnist, run_store, monkeypatch):
    # Chapter 9's sets are all named "09_beyond_the_papers_<part>": none is the chapter's main table.
    run_set = runsets.declare("09_beyond_the_papers_recipe", [SOFTMAX], [0, 1])
    monkeypatch.setattr(fill, "chapter_parameters", lambda name, profile: {})
    monkeypatch.setattr(fill, "run_sets", lambda params, trained: [run_set])
    assert not fill.fill_store(["09_beyond_the_papers"], "cpu", run_store, tiny_mnist, list_only=True)
    runsets.train_many([SOFTMAX], [0, 1], tiny_mnist, store=run_store)
    assert fill.fill_store(["09_beyond_the_papers"], "cpu", run_store, tiny_mnist, list_only=True)
