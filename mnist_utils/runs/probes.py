"""Probes: a stored run trained again to look at what the run store does not keep, the model.

The store keeps a run's numbers and test predictions, not its weights. To find out why the
test errors of some of chapter 6's runs pile into one predicted digit, a probe repeats a
stored run step for step (the training code's own model, seed, data order and execution
size), keeps the weights of its last ``checkpoints`` evaluations, and tests three kinds of
model on the test set:

- ``as trained``: each kept checkpoint with batch normalisation's moving statistics;
- ``statistics re-estimated``: the last checkpoint with each batch-norm layer's mean and
  variance measured afresh on training images (layer by layer, in inference mode);
- ``checkpoints averaged``: the mean of the kept checkpoints' weights, its batch-norm
  statistics re-estimated (an average of weights has no moving statistics of its own).

The probe counts the test images its last checkpoint predicts unlike the stored run
(``differs_from_stored``): 0 where it repeats the run exactly (same code, seed and data order on
the same kind of processor), more where another processor's arithmetic made a look-alike, whose
findings are about the set-up rather than that one run. It is stored in the run store under the
run's spec plus ``probe``: it is computed once, and the store's key changes with it
(``store.run_key``), never the stored runs' keys. Its code is locked like the training code
(``versions``, unit ``probe:checkpoints``); its version 1 puts nothing into the spec, a later
version its token.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..core import profiles
from ..judging.measures import errors_by_digit
from ..training import backend, data, versions
from ..training import train as training
from ..training.data import MNIST
from . import experiments
from . import store as run_store

PROBE = "last_checkpoints"
REESTIMATE_IMAGES = 10_000   # training images that re-estimate batch norm's statistics
VARIANTS = ("as trained", "statistics re-estimated", "checkpoints averaged")


class ProbeError(RuntimeError):
    """A probe of a run that is not stored (one line, naming the run)."""


def probe_spec(config: training.TrainConfig, seed: int, mnist: MNIST, checkpoints: int, **train_kwargs) -> dict:
    """The stored run's spec (``train.run_spec``) and what the probe adds to it."""
    if not isinstance(checkpoints, int) or isinstance(checkpoints, bool) or checkpoints < 1:
        raise training.TrainConfigError(f"checkpoints={checkpoints!r}: must be an integer >= 1")
    spec = {**training.run_spec(config, seed, mnist, **train_kwargs), "probe": PROBE, "checkpoints": checkpoints}
    token = versions.key_token("probe:checkpoints")
    return spec if token is None else {**spec, "probe_code": token}


def _train_keeping_checkpoints(config, mnist: MNIST, seed: int, checkpoints: int, train_size=0,
                               steps_per_execution=32):
    """``train.train``'s training, step for step, keeping the weights of the last
    ``checkpoints`` evaluation intervals. (Evaluating does not move the training's random
    state, so leaving the recorder's evaluations out changes no weight; ``probe`` checks it.)"""
    import keras

    train_split = mnist.train.head(train_size)
    total, every = training.step_budget(config, len(train_split))
    model = training.compiled_model(config, seed, training.execution_size(every, steps_per_execution), total)
    order = backend.shuffled_order(len(train_split), total * config.batch_size, seed)
    kept: list[tuple[int, list[np.ndarray]]] = []
    started = time.perf_counter()

    class KeepLast(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            step = (epoch + 1) * every
            if step > total - checkpoints * every:
                kept.append((step, self.model.get_weights()))
            if step % max(total // 4, every) == 0 or step == total:
                print(f"  probe {config.name}/seed{seed}: step {step}/{total}  "
                      f"{time.perf_counter() - started:.0f} s", flush=True)

    model.fit(backend.training_batches(train_split.images, train_split.labels, order, config.batch_size),
              epochs=total // every, steps_per_epoch=every, callbacks=[KeepLast()], shuffle=False, verbose=0)
    return model, kept


def reestimate_batch_norm(model, images: np.ndarray, batch_size: int = 500) -> None:
    """Set every batch-norm layer's moving mean and variance to the mean and variance of its
    inputs over ``images``, layer by layer (each layer sees its predecessors re-estimated)."""
    import keras

    for layer in [m for m in model.layers if isinstance(m, keras.layers.BatchNormalization)]:
        inputs_of = keras.Model(model.input, layer.input)
        total, total_sq, n = 0.0, 0.0, 0
        for start in range(0, len(images), batch_size):
            x = np.asarray(inputs_of(images[start:start + batch_size], training=False), dtype=np.float64)
            axes = tuple(range(x.ndim - 1))
            total, total_sq = total + x.sum(axis=axes), total_sq + (x ** 2).sum(axis=axes)
            n += int(np.prod([x.shape[a] for a in axes]))
        mean = total / n
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign(np.maximum(total_sq / n - mean ** 2, 0.0).astype(np.float32))


def _tested(model, test, variant: str, step: int) -> tuple[dict, np.ndarray]:
    predicted = np.asarray(model.predict(test.images, batch_size=1000, verbose=0)).argmax(axis=1).astype(np.uint8)
    errors, digit, share, _ = errors_by_digit(predicted, test.labels)
    return ({"variant": variant, "step": step, "test_accuracy": float((predicted == test.labels).mean()),
             "errors": errors, "most_predicted_wrong": digit, "share": share}, predicted)


def probe(config: training.TrainConfig, seed: int, mnist: MNIST, *, checkpoints: int = 5, train_size: int = 0,
          eval_size: int = 0, store=None) -> pd.DataFrame:
    """The probe of the stored run of ``config`` and ``seed`` (stored first if missing): one
    row per kept checkpoint as trained, then the re-estimated and averaged models."""
    if config.augment or config.patience:
        raise training.TrainConfigError(f"{config.name}: a probe repeats runs without augmentation or early stopping")
    store = store or run_store.default()
    kwargs = {"train_size": train_size, "eval_size": eval_size}
    spec = probe_spec(config, seed, mnist, checkpoints, **kwargs)
    key, stored, run = store.derived(spec, training.run_spec(config, seed, mnist, **kwargs),
                                     run_store.data_fingerprint(mnist, **kwargs),
                                     ProbeError(f"{config.name}/seed{seed}: the run to probe is not stored; train it first"))
    if stored is None:
        print(f"probe {config.name}/seed{seed}: training again, keeping the last {checkpoints} checkpoints", flush=True)
        started = time.perf_counter()
        model, kept = _train_keeping_checkpoints(config, mnist, seed, checkpoints, train_size)
        images_per_second = config.batch_size * kept[-1][0] / (time.perf_counter() - started)
        test, rows, arrays = mnist.test.head(eval_size), [], {}
        for step, weights in kept:
            model.set_weights(weights)
            row, predicted = _tested(model, test, "as trained", step)
            rows.append(row)
        # Same code, seed and data order repeat a run exactly on the same kind of processor; another
        # one's arithmetic (a different vector unit) makes a look-alike, and the probe says how far.
        differs = int((predicted != run.arrays["test_predictions"]).sum())
        if differs:
            print(f"probe {config.name}/seed{seed}: its last checkpoint predicts {differs} test images unlike "
                  f"the stored run {run.key[:12]} (trained on {run.record.get('cpu')}): a retraining, not a repeat",
                  flush=True)
        reestimate_images = mnist.train.head(train_size).head(REESTIMATE_IMAGES).images
        reestimate_batch_norm(model, reestimate_images)
        row, arrays["predictions/statistics re-estimated"] = _tested(model, test, VARIANTS[1], kept[-1][0])
        rows.append(row)
        model.set_weights([np.mean(ws, axis=0) for ws in zip(*(w for _, w in kept))])
        reestimate_batch_norm(model, reestimate_images)
        row, arrays["predictions/checkpoints averaged"] = _tested(model, test, VARIANTS[2], kept[-1][0])
        rows.append(row)
        table = pd.DataFrame(rows).assign(images_per_second=images_per_second, differs_from_stored=differs)
        stored = store.put(key, spec, training.Run(table, arrays, time.perf_counter() - started))
        print(f"probe {config.name}/seed{seed}: stored as {store.describe(key)}", flush=True)
    rows = stored.rows.astype({"step": int, "errors": int, "most_predicted_wrong": int,   # JSON numbers come back
                               "differs_from_stored": int})                             # as floats
    return rows.assign(run_id=f"{config.name}/seed{seed}", config=config.name, seed=seed)


def chapter_probes(full_runs, seeds, checkpoints: int, mnist: MNIST, store=None) -> pd.DataFrame:
    """Chapter 6's probes: one per seed of ``seeds`` of its trainings at the paper's budget
    (``full_runs``, the chapter's first run set), each keeping ``checkpoints`` checkpoints."""
    seeds = [] if isinstance(seeds, (list, tuple)) and not seeds else training.check_seeds(seeds)
    missing = sorted(set(seeds) - set(full_runs.seeds))
    if missing:
        raise training.TrainConfigError(f"probe_seeds={list(seeds)}: {missing} not among the trainings' seeds "
                                        f"{list(full_runs.seeds)} (a probe repeats a stored training)")
    [config] = full_runs.configs
    frames = [probe(config, seed, mnist, checkpoints=checkpoints, store=store, **full_runs.train_kwargs) for seed in seeds]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["run_id", "variant", "step"])


def main(argv: list[str] | None = None) -> int:
    """Probe chapter 6's runs of a profile into the run store, without Jupyter."""
    import argparse


    parser = argparse.ArgumentParser(prog="python -m mnist_utils.runs.probes", description=main.__doc__)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--store", help="run-store folder to write (default: the process's store)")
    args = parser.parse_args(argv)
    store = run_store.RunStore(args.store) if args.store else None
    params = profiles.chapter_parameters("06_improved_cnn", args.profile)
    full_runs = experiments.improved_cnn(params.replace(sensitivity=[], ablations=[], final_configuration=""))[0]
    table = chapter_probes(full_runs, params.probe_seeds, params.probe_checkpoints, data.load(), store)
    print(table.drop(columns=["run_id", "config"]).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
