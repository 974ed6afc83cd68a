"""Fill the run store without Jupyter: train what the chapters of a profile are missing.

    python -m mnist_utils.runs.fill --profile cpu --chapters 06 03    # train what is missing
    python -m mnist_utils.runs.fill --profile paper --list           # what a profile would train
    python -m mnist_utils.runs.fill --profile cpu --shard 1/2        # one of two disjoint shares

A chapter's parameters come from its notebook's defaults, then ``params/<profile>.yaml``,
then ``-p key=value`` overrides, exactly as the runner (``mnist_utils.runner``) passes them;
its runs are the ones ``experiments`` declares, so the book is then rendered from the stored
runs on any machine.
"""
from __future__ import annotations

import json
import sys
import time

import pandas as pd

from ..core import paths, profiles, provenance
from ..core.profiles import chapter_parameters
from ..training import data, models, train
from ..training.train import TrainConfig, TrainConfigError
from . import store as run_store
from .experiments import TRAINING_CHAPTERS, images_per_run, run_sets
from .runsets import run_spec, train_many, trainer
from .store import RunStore, data_fingerprint, run_key


def resolve_chapters(selection: list[str] | None) -> list[str]:
    """Training chapters by name or number (all of them when ``selection`` is empty)."""
    if not selection:
        return list(TRAINING_CHAPTERS)
    chosen = []
    for item in selection:
        found = [n for n in TRAINING_CHAPTERS if n == item or n.split("_", 1)[0] == item.zfill(2)]
        if not found:
            raise TrainConfigError(f"--chapters {item}: not a training chapter "
                                   f"(known: {', '.join(TRAINING_CHAPTERS)}, or their numbers)")
        chosen += [n for n in found if n not in chosen]
    return chosen



def run_time_estimate(config: TrainConfig, mnist, train_size: int = 0, **_) -> float:
    """Seconds one run of ``config`` should take here: its images over a short throughput
    probe of the same model (cached per model), plus a third for evaluations."""

    probe = TrainConfig(config.model, config.model_kwargs, config.optimizer, config.learning_rate,
                        config.batch_size, steps=1)
    # One probe per model, width and batch size: ablations and learning rates barely change the speed.
    key = (probe.model, json.dumps(probe.model_kwargs.get("widths")), probe.batch_size)
    if key not in _throughputs:
        _throughputs[key] = train.throughput(probe, mnist, steps=50, warmup=10)
    return 1.33 * images_per_run(config, train_size) / _throughputs[key]



_throughputs: dict[tuple, float] = {}



class Shards:
    """Disjoint shares of a profile's missing runs (``--shard K/N``): a run missing from the
    store when the command starts belongs to shard ``i % N + 1``, ``i`` counting distinct missing
    runs in the order the chapters declare them. Every shard starts from the same store (a
    checkout of the repository), so every shard counts alike: the N shards partition the missing
    runs, none twice, none left out (a run two run sets share is counted once)."""

    def __init__(self, k: int, n: int, present: set[str]):
        if not (isinstance(k, int) and isinstance(n, int) and 1 <= k <= n):
            raise TrainConfigError(f"--shard {k}/{n}: must be K/N with 1 <= K <= N")
        self.k, self.n, self.present, self.owner = k, n, present, {}

    @classmethod
    def parse(cls, text: str, store) -> Shards:
        try:
            k, n = (int(part) for part in text.split("/"))
        except ValueError:
            raise TrainConfigError(f"--shard {text}: must be K/N, e.g. 1/4") from None
        return cls(k, n, {path.stem for path in store.entries()})

    def shard_of(self, key: str) -> int | None:
        """The shard (1..N) that trains ``key``; None when it was stored before the command."""
        if key[:16] in self.present:
            return None
        if key not in self.owner:
            self.owner[key] = len(self.owner) % self.n + 1
        return self.owner[key]


def chapter_overrides(name: str, overrides: dict) -> dict:
    """The overrides that apply to chapter ``name``: ``key`` applies to every chapter that
    declares it, ``<chapter>.key`` (its name or number: ``04.seeds``) to that chapter alone, e.g.
    to train chapter 5 on more seeds while chapter 4, whose runs choose its rate, keeps its own."""
    chosen = {}
    for key, value in overrides.items():
        chapter, dot, parameter = key.rpartition(".")
        if not dot:
            chosen.setdefault(key, value)
        elif name == chapter or name.startswith(f"{chapter}_"):
            chosen[parameter] = value
    return chosen


def fill_store(names: list[str], profile: str, store, mnist, overrides: dict | None = None,
               deadline: float | None = None, list_only: bool = False, shards: Shards | None = None) -> bool:
    """Train (or, with ``list_only``, list) the missing runs of chapters ``names`` of
    ``profile`` into ``store``, one run at a time, in the given order. With ``deadline``
    (a ``time.monotonic()`` value) no run starts that would end after it, so every run
    started is finished and stored. With ``shards`` only this shard's missing runs are trained
    (chapter 5, chosen from chapters 3 and 4, waits until their shards are merged). Returns True
    when every run was reached."""

    overrides = overrides or {}
    trained: dict[str, pd.DataFrame] = {}
    # Chapter 5 chooses its setting from chapters 3 and 4: those come just before it.
    needed = [n for name in names for n in
              (["03_activation_study", "04_learning_rate_study"] if name == "05_dropout" else []) + [name]]
    for name in dict.fromkeys(needed):
        params = chapter_parameters(name, profile)
        changes = {k: v for k, v in chapter_overrides(name, overrides).items() if k in params}
        params = params.replace(**changes) if changes else params
        if name == "05_dropout" and not {"03_activation_study", "04_learning_rate_study"} <= set(trained):
            print(f"== {name}: chosen from the runs of chapters 3 and 4, which are not all stored yet", flush=True)
            if shards is None:
                return False
            continue   # the other chapters' shares are still this shard's to train
        frames, complete = [], True
        for run_set in run_sets(params, trained):
            print(f"== {name}: {run_set.name}, {len(run_set)} runs", flush=True)
            set_data = run_set.data(mnist)
            fingerprint = data_fingerprint(set_data, **run_set.train_kwargs)
            backend_name = trainer(run_set.framework, run_set.options)[1]
            for config in run_set.configs:
                for seed in run_set.seeds:
                    spec = run_spec(config, seed, set_data, run_set.options, **run_set.train_kwargs)
                    key = run_key(spec, fingerprint, backend_name)
                    stored = key in store   # train_many reads it back below
                    if list_only:
                        print(f"  {config.name}/seed{seed}: {'stored' if stored else 'missing'} ({key[:12]})", flush=True)
                    owner = shards.shard_of(key) if shards is not None else None
                    if not stored and owner is not None and owner != shards.k:
                        print(f"  {config.name}/seed{seed}: shard {owner}/{shards.n} trains it", flush=True)
                        complete = False
                        continue
                    late = (not stored and deadline is not None
                            and (time.monotonic() > deadline or run_time_estimate(config, set_data, **run_set.train_kwargs)
                                 + time.monotonic() > deadline))
                    if late:
                        print(f"  {config.name}/seed{seed}: not started, it would end after the deadline", flush=True)
                    if not stored and (list_only or late):
                        complete = False
                        continue
                    # A stored run is read back (chapter 5 chooses from chapters 3 and 4's main tables).
                    table = train_many([config], [seed], set_data, store=store, framework=run_set.framework,
                                       options=run_set.options, **run_set.train_kwargs).table
                    if run_set.name == name:
                        frames.append(table)
        if complete:   # a chapter whose sets all carry suffixes (chapter 9's) has no main table
            trained[name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        elif not complete and deadline is not None:
            return False
    return all(n in trained for n in dict.fromkeys(needed))


def main(argv: list[str] | None = None) -> int:
    """Train the runs of chosen chapters of a profile into the run store, without Jupyter."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mnist_utils.runs.fill", description=main.__doc__)
    parser.add_argument("--profile", default="cpu", help="params/<profile>.yaml (default: cpu)")
    parser.add_argument("--chapters", nargs="*", help="chapter names or numbers, in the order to train them "
                                                      "(default: all training chapters)")
    parser.add_argument("-p", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter of every chosen chapter that declares it (an experiment); "
                             "CHAPTER.KEY=VALUE (e.g. 04.seeds=[0,1,2]) overrides it in that chapter alone")
    parser.add_argument("--store", help="run-store folder to write (default: data/runs for a record profile "
                                        "without overrides, data/scratch/runs otherwise)")
    parser.add_argument("--minutes", type=float, help="start no run that would end after this many minutes")
    parser.add_argument("--list", action="store_true", help="print the runs and whether they are stored; train nothing")
    parser.add_argument("--shard", metavar="K/N", help="train only the K-th of N disjoint shares of the missing runs "
                                                      "(merge the stores with python -m mnist_utils.runs.store --merge)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    # Every argument is checked before anything loads Keras and TensorFlow (fill_store does; see
    # mnist_utils/__init__.py): an error is then answered at once, as one line on stderr.
    try:
        names = resolve_chapters(args.chapters)
        overrides = dict(profiles.parse_override(o) for o in args.overrides)
        for name in names:
            chapter_parameters(name, args.profile)
        store = store_for(args.profile, overrides, args.store, check_committed=not args.list)
        shards = Shards.parse(args.shard, store) if args.shard else None
    except (TrainConfigError, profiles.RunError, run_store.StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        mnist = data.load()
        deadline = started + 60 * args.minutes if args.minutes else None
        complete = fill_store(names, args.profile, store, mnist, overrides, deadline, args.list, shards)
        if shards is not None:
            mine = [key for key, owner in shards.owner.items() if owner == shards.k]
            complete = all(key in store for key in mine)
            print(f"shard {shards.k}/{shards.n}: {len(mine)} of {len(shards.owner)} missing runs were this shard's",
                  flush=True)
        print(f"{'all runs stored' if complete else 'runs missing'} after "
              f"{time.monotonic() - started:.0f} s; store: {paths.shown(store.write_dir)}", flush=True)
    except (TrainConfigError, profiles.RunError, models.ModelConfigError, run_store.StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def store_for(profile: str, overrides: dict, folder: str | None = None, check_committed: bool = True):
    """Where trained runs go: ``folder`` when given; the record's ``data/runs`` for a record
    profile without overrides (from committed training code only); scratch otherwise."""

    if folder:
        return RunStore(folder, [folder, paths.RUNS])
    if profiles.load_profile(profile).get("record") and not overrides:
        dirty = provenance.uncommitted(["mnist_utils"]) if check_committed else []
        if dirty:
            raise profiles.RunError(f"--profile {profile}: the record's run store takes runs of committed "
                                    f"training code only; uncommitted: {', '.join(dirty)}")
        return RunStore(paths.RUNS)
    return RunStore(paths.scratch() / "runs", [paths.scratch() / "runs", paths.RUNS])


if __name__ == "__main__":
    sys.exit(main())
