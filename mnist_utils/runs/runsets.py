"""Run sets and the runs they stand for: taken from the run store when stored, trained when not.

A ``RunSet`` is every configuration of a list with every seed of another, on chosen data
subsets; ``experiments`` declares each chapter's. ``train_many`` is the one call chapters
make: every run looked up in the store by its key and trained (``train.train``) only when
missing, then stored at once. It prints one line per run set saying how many runs were reused
and how many trained, and a line per run it starts and finishes training (long work shows its
progress), so a reader of a chapter sees what its execution cost without a line per stored run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import paths
from ..judging import results as results_io
from ..judging import stats
from ..judging.measures import errors_by_digit
from ..judging.results import final_rows
from ..training import backend as keras_backend
from ..training import train as training
from ..training.data import MNIST, Split
from . import store as run_store

FRAMEWORKS = ("keras", "flax")


@dataclass(frozen=True)
class RunSet:
    """Every configuration of ``configs`` with every seed of ``seeds``, on data subsets
    ``train_size``/``eval_size`` (0 = all): one ``train_many`` call."""

    name: str                       # the results file it is written to (paths.results_file)
    configs: tuple[training.TrainConfig, ...]
    seeds: tuple[int, ...]
    train_size: int = 0
    eval_size: int = 0
    cut_at: int = 0                 # longer runs are read as if stopped here (results.cut); 0: as run
    all_training_images: bool = False   # train on all 60,000 (``with_validation_in_training``)
    raw_pixels: bool = False            # pixels as the files store them, 0-255 (``with_raw_pixels``)
    framework: str = "keras"            # "flax": trained by the second implementation (``flax_train``)
    options: tuple = ()                 # the Flax trainer's own options, (name, value) pairs: ("bn_momentum", 0.9)

    @property
    def train_kwargs(self) -> dict:
        return {"train_size": self.train_size, "eval_size": self.eval_size}

    def data(self, mnist: MNIST) -> MNIST:
        """The splits this set trains on: ``mnist``, or it with the validation images added to
        training, or its pixels unscaled."""
        data = with_validation_in_training(mnist) if self.all_training_images else mnist
        return with_raw_pixels(data) if self.raw_pixels else data

    def __len__(self) -> int:
        return len(self.configs) * len(self.seeds)


def declare(name, configs, seeds, train_size=0, eval_size=0, cut_at=0, all_training_images=False,
            raw_pixels=False, framework="keras", options=None) -> RunSet:
    """A ``RunSet``, its seeds, framework and options checked."""
    trainer(framework, tuple(sorted((options or {}).items())))
    return RunSet(name, tuple(configs), tuple(training.check_seeds(list(seeds))), train_size or 0, eval_size or 0, cut_at,
                  all_training_images, raw_pixels, framework, tuple(sorted((options or {}).items())))


# id of the training images -> (those images, the splits built from them): holding the images keeps
# their id from being reused by another array while the entry lives.
_with_validation: dict[int, tuple[np.ndarray, MNIST]] = {}


def with_validation_in_training(mnist: MNIST) -> MNIST:
    """Liu & Fu's Table 2 data: all 60,000 training images train (the 55,000, then the 5,000
    validation ones). The validation split is still evaluated, but it is now part of training,
    so nothing may be chosen on it; the test split is unchanged. The run's key changes with the
    data (``n_train`` and the data fingerprint), not with the training code. Built once per
    ``mnist``, so that the store's fingerprint memo sees the same arrays."""
    memo = id(mnist.train.images)
    if memo not in _with_validation:
        train = Split(np.concatenate([mnist.train.images, mnist.validation.images]),
                      np.concatenate([mnist.train.labels, mnist.validation.labels]))
        _with_validation[memo] = (mnist.train.images, MNIST(train=train, validation=mnist.validation, test=mnist.test))
    return _with_validation[memo][1]


# id of the scaled training images -> (those images, the unscaled splits).
_raw_pixels: dict[int, tuple[np.ndarray, MNIST]] = {}


def with_raw_pixels(mnist: MNIST) -> MNIST:
    """Every split with its pixels as the IDX files store them, 0 to 255, instead of scaled to
    [0, 1] (Wang et al. 4.1.1: "the input value should not be too large, otherwise the model
    training effect is not good or even unable to train"). The run's key changes with the data
    fingerprint, not with the training code. Built once per ``mnist``, as above."""
    memo = id(mnist.train.images)
    if memo not in _raw_pixels:
        unscaled = lambda split: Split(split.images * np.float32(255.0), split.labels)
        _raw_pixels[memo] = (mnist.train.images, MNIST(train=unscaled(mnist.train), validation=unscaled(mnist.validation),
                                                       test=unscaled(mnist.test)))
    return _raw_pixels[memo][1]


@dataclass
class Trained:
    """The runs of ``train_many``: one tidy table and, per run id, what was kept of the model."""

    table: pd.DataFrame                        # all runs' rows
    arrays: dict[str, dict[str, np.ndarray]]   # run_id -> {"test_predictions": ..., "weights/<layer>/<i>": ...}
    keys: dict[str, str]                       # run_id -> run-store key
    machines: dict[str, str]                   # run_id -> the processor (and accelerator) it trained on

    def predictions(self, run_id: str) -> np.ndarray:
        """The predicted class of every test image (of the evaluated test subset)."""
        return self.arrays[run_id]["test_predictions"]

    def weights(self, run_id: str, layer: str) -> list[np.ndarray]:
        """The stored weights of one layer (see ``models.STORED_LAYERS``)."""
        found = sorted((k for k in self.arrays[run_id] if k.startswith(f"weights/{layer}/")),
                       key=lambda k: int(k.rsplit("/", 1)[1]))
        if not found:
            raise KeyError(f"{run_id}: no stored weights of layer {layer!r} (models.STORED_LAYERS)")
        return [self.arrays[run_id][k] for k in found]


FLAX_OPTIONS = ("bn_momentum",)   # what ``flax_train.train`` takes beyond a configuration


def trainer(framework: str, options: tuple = ()):
    """The ``train`` function of ``framework`` ("keras": ``train.train``; "flax": ``flax_train.train``)
    and the backend name its runs are keyed by (None: the Keras backend of this process);
    ``options``, (name, value) pairs, are the Flax trainer's own."""
    unknown = [name for name, _ in options if framework != "flax" or name not in FLAX_OPTIONS]
    if unknown:
        raise training.TrainConfigError(f"options={dict(options)!r}: {unknown[0]!r} is not an option of the "
                                        f"{framework} trainer (Flax's: {', '.join(FLAX_OPTIONS)})")
    if framework == "keras":
        return training.train, None
    if framework == "flax":
        try:   # loaded only here: Flax needs the jax extra, and a command that trains no Flax run never loads JAX
            from ..training.flax_train import train as train_flax
        except ModuleNotFoundError as missing:
            raise training.TrainConfigError(f"framework='flax': needs the project's jax extra "
                                            f"(pip install -e '.[jax]'): {missing}") from None
        return train_flax, run_store.FLAX
    raise training.TrainConfigError(f"framework={framework!r}: must be one of {', '.join(FRAMEWORKS)}")


def run_spec(config: training.TrainConfig, seed: int, mnist: MNIST, options: tuple = (), **train_kwargs) -> dict:
    """``train.run_spec`` with the Flax trainer's ``options`` (``flax_<name>``) that change the run."""
    return {**training.run_spec(config, seed, mnist, **train_kwargs), **{f"flax_{k}": v for k, v in options}}


def train_many(configs: list[training.TrainConfig], seeds, mnist: MNIST, results: Path | None = None,
               store=None, framework: str = "keras", options: tuple = (), **train_kwargs) -> Trained:
    """Every configuration with every seed, each run taken from the run store when it is
    there and trained (then stored at once) when it is not; ``framework`` "flax" trains and
    looks up the second implementation's runs.

    All configurations are validated before any training starts. A chapter killed
    half-way therefore loses at most the run in progress: the next execution reuses the
    finished ones. ``results`` (optional) receives the combined table, written atomically.
    """
    train_run, backend_name = trainer(framework, options)
    seeds = training.check_seeds(seeds)
    if not configs:
        raise training.TrainConfigError("configs=[]: nothing to train")
    for config in configs:
        config.validate()
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise training.TrainConfigError(f"configs: duplicate labels {names}")
    store = store or run_store.default()
    frames, arrays, keys, machines = [], {}, {}, {}
    n_runs, started, n_trained, reused = len(configs) * len(seeds), time.perf_counter(), 0, ""
    for i, (config, seed) in enumerate(((c, s) for c in configs for s in seeds), 1):
        run_id = f"{config.name}/seed{seed}"
        spec = run_spec(config, seed, mnist, options, **train_kwargs)
        key = run_store.run_key(spec, run_store.data_fingerprint(mnist, **train_kwargs), backend_name)
        stored = store.get(key)
        if stored is None:   # long work shows its progress: a line as each training starts and ends
            print(f"[{i}/{n_runs}] {run_id}: training (run {key[:12]}{', flax' if backend_name else ''})", flush=True)
            run = train_run(config, mnist, seed, **train_kwargs, **dict(options))
            stored = store.put(key, spec, run, backend_name)
            n_trained += 1
            print(f"[{i}/{n_runs}] {run_id}: trained in {run.wall_seconds:.0f} s, stored as "
                  f"{store.describe(key)}", flush=True)
        else:                # a stored run is counted in the summary line, not printed
            reused = (f"{run_id}: reused {store.describe(key)} (trained {stored.record.get('finished', '?')} in "
                      f"{stored.record.get('wall_seconds', 0):.0f} s)")
        rows = stored.rows.copy()
        rows.insert(0, "run_id", run_id)
        rows.insert(1, "config", config.name)
        rows.insert(2, "seed", seed)
        rows.insert(3, "run_key", key[:16])
        for column, value in training.config_columns(config).items():
            rows[column] = value
        frames.append(rows)
        arrays[run_id], keys[run_id] = stored.arrays, key
        device = stored.record.get("device") or "cpu"
        machines[run_id] = f"{stored.record.get('cpu')}" + (f" + {device}" if device != "cpu" else "")
    table = pd.concat(frames, ignore_index=True)
    if results is not None:
        results_io.write(table, results)
    print(summary_line(n_runs, n_trained, time.perf_counter() - started, reused), flush=True)
    return Trained(table, arrays, keys, machines)


def summary_line(n_runs: int, n_trained: int, seconds: float, reused: str = "") -> str:
    """The one line ``train_many`` prints for a call: "45 runs: 45 reused, 0 trained, 0 s". A
    single stored run (as ``fill`` asks for them, one at a time) is named with where it is stored
    (``reused``: that run's line)."""
    if n_runs == 1 and n_trained == 0 and reused:
        return reused
    return (f"{n_runs} run{'s' if n_runs != 1 else ''}: {n_runs - n_trained} reused, {n_trained} trained, "
            f"{seconds:.0f} s")


def train_set(run_set, mnist: MNIST, profile: str) -> Trained:
    """The runs of one ``RunSet``, their table written to its results file; runs
    longer than the set's ``cut_at`` are read as if stopped there (``results.cut``; what is
    kept of their models is the whole run's)."""
    trained = train_many(list(run_set.configs), list(run_set.seeds), run_set.data(mnist),
                         framework=run_set.framework, options=run_set.options, **run_set.train_kwargs)
    if run_set.cut_at:
        trained = replace(trained, table=results_io.cut(trained.table, run_set.cut_at))
    results_io.write(trained.table, paths.results_file(profile, run_set.name))
    return trained


def by_backend(run_set, mnist: MNIST, store=None) -> pd.DataFrame:
    """The final rows of ``run_set``'s runs on every Keras backend that has them stored (one
    backend trains, the other is looked up: nothing is trained here), with ``backend`` and
    ``device`` columns, and each run's overall images/s and wall time from its record. Two
    backends share a spec and the training code, so only the key differs."""

    store = store or run_store.default()
    mnist = run_set.data(mnist)
    fingerprint = run_store.data_fingerprint(mnist, **run_set.train_kwargs)
    frames = []
    for name in keras_backend.BACKENDS:
        for config in run_set.configs:
            for seed in run_set.seeds:
                spec = training.run_spec(config, seed, mnist, **run_set.train_kwargs)
                stored = store.get(run_store.run_key(spec, fingerprint, backend_name=name))
                if stored is not None:
                    rows = stored.rows.assign(run_id=f"{config.name}/seed{seed}")
                    rows = results_io.cut(rows, run_set.cut_at) if run_set.cut_at else rows
                    frames.append(final_rows(rows).assign(
                        backend=name, device=stored.record.get("device") or "cpu", config=config.name, seed=seed,
                        run_key=stored.key[:16], images_per_second=stored.record.get("images_per_second"),
                        wall_seconds=stored.record.get("wall_seconds")))
    columns = ["backend", "device", "config", "seed", "run_key", "val_accuracy", "test_accuracy", "images_per_second",
               "wall_seconds"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def backend_comparison(run_sets, mnist: MNIST, store=None) -> pd.DataFrame:
    """Per configuration stored on both Keras backends: runs and mean test accuracy on
    each, and the difference of the means (JAX − TensorFlow) with its 95% CI."""

    rows = []
    for run_set in run_sets:
        table = by_backend(run_set, mnist, store)
        for config, runs in table.groupby("config", sort=False):
            tf_acc = runs.loc[runs["backend"] == "tensorflow", "test_accuracy"].to_numpy()
            jax_acc = runs.loc[runs["backend"] == "jax", "test_accuracy"].to_numpy()
            if len(tf_acc) and len(jax_acc):
                d = stats.difference(jax_acc, tf_acc, paired=False)   # the backends draw different weights from a seed
                rows.append({"runs": run_set.name, "configuration": config, "n TensorFlow": len(tf_acc),
                             "n JAX": len(jax_acc), "TensorFlow test accuracy": tf_acc.mean(),
                             "JAX test accuracy": jax_acc.mean(), "JAX − TensorFlow (pp)": d["diff"] * 100,
                             "95% CI low (pp)": d["ci_low"] * 100, "95% CI high (pp)": d["ci_high"] * 100})
    return pd.DataFrame(rows)


def stored_error_pileup(labels: np.ndarray, model: str = "liu_fu_cnn", store=None) -> pd.DataFrame:
    """Every run of ``model`` in the store with test predictions on all of ``labels`` (probes
    and data subsets left out), whatever chapter or machine trained it: its set-up (widths,
    rate and schedule, steps, training images, ablated parts, backend and device), test
    accuracy, and how its errors spread over the predicted digits (``measures.errors_by_digit``)."""

    store = store or run_store.default()
    rows = []
    for path in store.entries():
        if path.parent.name != model:
            continue
        entry = run_store.decode(path.read_text(), path)
        predicted = entry.arrays.get("test_predictions")
        if "probe" in entry.spec or predicted is None or len(predicted) != len(labels):
            continue
        kwargs = entry.spec.get("model_kwargs", {})
        errors, digit, share, _ = errors_by_digit(predicted, labels)
        ablated = [name for name, off in (("batch norm", kwargs.get("batch_norm") is False),
                                          ("dropout", kwargs.get("dropout_rate") == 0.0)) if off]
        rows.append({"key": entry.key[:16], "widths": "/".join(map(str, kwargs.get("widths", []))),
                     "schedule": f"{entry.spec.get('schedule', 'constant')} {entry.spec['learning_rate']:g}",
                     "steps": int(entry.rows["step"].max()), "train_images": entry.spec.get("n_train"),
                     "without": ", ".join(ablated) or "-", "seed": entry.spec["seed"],
                     "backend": entry.record.get("backend"), "device": entry.record.get("device") or "cpu",
                     "test_accuracy": float((predicted == labels).mean()), "errors": errors,
                     "most_predicted_wrong": digit, "share": share})
    columns = ["key", "widths", "schedule", "steps", "train_images", "without", "seed", "backend", "device",
               "test_accuracy", "errors", "most_predicted_wrong", "share"]
    table = pd.DataFrame(rows, columns=columns)
    backends = {"tensorflow": "TF", "jax": "JAX"}
    table.insert(1, "set-up", [f"{r.widths} {r.schedule} · {r.steps:,} it. · {r.train_images // 1000}k img."
                               + (f" · no {r.without}" if r.without != "-" else "")
                               + f" · {backends.get(r.backend, r.backend)}"
                               for r in table.itertuples()])
    return table
