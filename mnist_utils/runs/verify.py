"""Evidence that a change to locked code leaves the stored numbers as they were: stored runs
trained again, bit for bit, on the kind of processor that trained them.

    python -m mnist_utils.runs.verify 2                       # retrain 2 runs per small model, compare
    python -m mnist_utils.runs.verify 2 --declare "why"       # and, if all repeat, lock the new code

Run it with the threads the stored runs were trained with: a convolution's sums are split across
threads, so LeNet-5 trained on two threads differs from the same run trained on one (the book's
background trainings use one, ``TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1``).

A declaration is the only way a changed digest of locked code enters the lock at its version
(``training.versions``); any other change is a new version, whose runs retrain.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np

from ..core import paths, provenance
from ..training import data, versions
from ..training import models as models_module
from ..training import train as training
from . import gradients, probes, weights
from .store import FLAX, RunStore, StoredRun, data_fingerprint, decode, run_key


def _repeatable(store: RunStore, model: str, fingerprint: str, probe: str | None) -> list[StoredRun]:
    """The stored runs of ``model`` (or its probes named ``probe``) that this code keys alike and
    that were trained on this kind of processor (bit-for-bit repeats are only expected there),
    quickest first."""
    here, found = provenance.cpu_name(), []
    for path in sorted((store.write_dir / model).glob("*.json")):
        run = decode(path.read_text(), path)
        if run.spec.get("probe") != probe or run.record.get("cpu") != here:
            continue
        if probe is None and run_key(run.spec, fingerprint, backend_name=run.record.get("backend")) != run.key:
            continue   # another data subset or backend
        found.append(run)
    return sorted(found, key=lambda r: r.record.get("wall_seconds", 0))


def verify(store: RunStore, per_model: int, models=("softmax", "lenet5", "fully_connected"),
           gradient_probes: int = 1, flax_runs: int = 0) -> list[dict]:
    """Train again, with this code, the ``per_model`` quickest stored runs of each of ``models`` and
    ``gradient_probes`` stored LeNet-5 gradient probes that this code keys alike on this kind of
    processor, and compare them with what is stored; likewise the ``flax_runs`` quickest stored
    Flax runs of each of ``models`` (the second implementation). Each row names the locked units
    it is evidence for: a run, the training code and its model's builder (a Flax run, the ``flax``
    unit); a probe, the probe's code."""
    mnist, rows = data.load(), []
    fingerprint = data_fingerprint(mnist)
    names = {f.name for f in fields(training.TrainConfig)}

    def config_of(run):
        return training.TrainConfig(**{k: v for k, v in run.spec.items() if k in names})

    for model in models:
        stored = _repeatable(store, model, fingerprint, None)
        flax = [r for r in stored if r.record.get("backend") == FLAX][:flax_runs]
        if flax:
            from ..training.flax_train import train as train_flax  # JAX loads only where Flax runs are repeated
        for run in flax:
            print(f"verify {model} {run.key[:12]} (seed {run.spec['seed']}, Flax): training again", flush=True)
            again = train_flax(config_of(run), mnist, run.spec["seed"], bn_momentum=run.spec.get("flax_bn_momentum"))
            rows.append(_compared(model, run, again, ["flax"]))
        keras = [r for r in stored if r.record.get("backend") != FLAX]
        for run in keras[:per_model]:
            print(f"verify {model} {run.key[:12]} (seed {run.spec['seed']}): training again", flush=True)
            again = training.train(config_of(run), mnist, run.spec["seed"],
                                   steps_per_execution=run.spec["steps_per_execution"])
            rows.append(_compared(model, run, again, ["training", f"model:{models_module.BUILDERS[model].__name__}"]))
    for run in _repeatable(store, "lenet5", fingerprint, gradients.PROBE)[:gradient_probes]:
        print(f"verify gradient probe {run.key[:12]} (seed {run.spec['seed']}): probing again", flush=True)
        again, _ = gradients.kernel_rms_per_step(config_of(run), run.spec["seed"], mnist, run.spec["probe_steps"],
                                                  train_size=run.spec["n_train"])
        columns = [c for c in run.rows.columns if c != "images_per_second"]
        same = again[columns].to_numpy(float).tolist() == run.rows[columns].to_numpy(float).tolist()
        rows.append({"model": "lenet5 gradient probe", "key": run.key[:12], "seed": run.spec["seed"], "same": same,
                     "test_predictions_differing": 0, "units": ["probe:gradient_norms"]})
        print(f"  {rows[-1]}", flush=True)
    return rows


def _compared(model: str, run: StoredRun, again, units: list[str]) -> dict:
    """Whether a run trained again repeats the stored one bit for bit (its validation curve and
    every test prediction), as a row of the check, printed."""
    same = np.array_equal(again.rows["val_accuracy"].to_numpy(float), run.rows["val_accuracy"].to_numpy(float))
    differs = int((again.arrays["test_predictions"] != run.arrays["test_predictions"]).sum())
    row = {"model": model, "key": run.key[:12], "seed": run.spec["seed"], "same": bool(same and not differs),
           "test_predictions_differing": differs, "units": units}
    print(f"  {row}", flush=True)
    return row


PROBE_SPECS = {weights.PROBE: ("probe:final_weights", lambda c, seed, m, spec, **kw: weights.weights_spec(c, seed, m, **kw)),
               probes.PROBE: ("probe:checkpoints", lambda c, seed, m, spec, **kw: probes.probe_spec(
                   c, seed, m, spec["checkpoints"], **kw))}


def probe_keys(store: RunStore) -> list[dict]:
    """For every stored kept-weights and checkpoint probe of the full data: whether this code
    builds the same spec, hence the same key, from the run it probes: the evidence that a change
    to a probe's spec leaves its stored entries where they are (its arithmetic is what the
    trainer's verification covers)."""
    mnist, rows = data.load(), []
    names = {f.name for f in fields(training.TrainConfig)}
    for path in store.entries():
        entry = decode(path.read_text(), path)
        if entry.spec.get("probe") not in PROBE_SPECS or entry.spec["n_train"] != len(mnist.train):
            continue
        unit, spec_of = PROBE_SPECS[entry.spec["probe"]]
        config = training.TrainConfig(**{k: v for k, v in entry.spec.items() if k in names})
        spec = spec_of(config, entry.spec["seed"], mnist, entry.spec, steps_per_execution=entry.spec["steps_per_execution"])
        same = run_key(spec, data_fingerprint(mnist), backend_name=entry.record.get("backend")) == entry.key
        rows.append({"model": f"{entry.spec['model']} {entry.spec['probe']} key", "key": entry.key[:12],
                     "seed": entry.spec["seed"], "same": same, "test_predictions_differing": 0, "units": [unit]})
        print(f"  {rows[-1]}", flush=True)
    return rows


def repeat_command(args: argparse.Namespace) -> str:
    """The command that repeats this check (without ``--declare``), as the lock records it."""
    parts = ["python -m mnist_utils.runs.verify", str(args.per_model), "--models", *args.models,
             "--gradient-probes", str(args.gradient_probes)]
    if args.flax:
        parts += ["--flax", str(args.flax)]
    if args.probe_keys:
        parts.append("--probe-keys")
    if args.store != str(paths.RUNS):
        parts += ["--store", args.store]
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_utils.runs.verify", description=__doc__.split("\n")[0])
    parser.add_argument("per_model", type=int, help="stored runs to train again per model (quickest first)")
    parser.add_argument("--models", nargs="*", default=["softmax", "lenet5", "fully_connected"],
                        help="models whose runs to train again (default: softmax lenet5 fully_connected)")
    parser.add_argument("--gradient-probes", type=int, default=1, help="stored LeNet-5 gradient probes to repeat")
    parser.add_argument("--flax", type=int, default=0, help="stored Flax runs to train again per model (quickest first)")
    parser.add_argument("--probe-keys", action="store_true", help="also rebuild every stored kept-weights and "
                                                                 "checkpoint probe's key from the run it probes")
    parser.add_argument("--store", default=str(paths.RUNS), help="run-store folder (default: data/runs)")
    parser.add_argument("--declare", metavar="WHY", help="when every run repeats exactly, lock the changed code of "
                                                         "the units they are evidence for as making the same numbers")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models if m not in models_module.BUILDERS]
    if unknown:
        print(f"error: --models {unknown[0]}: no such model (models: {', '.join(models_module.BUILDERS)})",
              file=sys.stderr)
        return 2
    checked = verify(RunStore(Path(args.store)), args.per_model, args.models, args.gradient_probes, args.flax)
    if args.probe_keys:
        checked += probe_keys(RunStore(Path(args.store)))
    same = [r for r in checked if r["same"]]
    print(f"{len(same)} of {len(checked)} stored runs repeated exactly")
    if not checked or len(same) < len(checked):
        return 1
    if args.declare:
        command = repeat_command(args)
        repeated: dict[str, list[str]] = {}
        for row in checked:
            for unit in row["units"]:
                repeated.setdefault(unit, []).append(f"{row['model']} {row['key']}")
        declared, left = versions.declare_same_numbers(
            args.declare, repeated, {"command": command, "cpu": provenance.cpu_name(), "threads": provenance.tf_threads()})
        print(f"locked as the same numbers: {', '.join(declared) or 'nothing'}")
        if left:
            print(f"still not locked (no stored result of theirs repeated here): {', '.join(left)}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
