"""Kept weights: a stored run's trained model, for measurements that need the model itself.

The run store keeps a run's numbers and test predictions, not its weights (that keeps the
committed store small). A measurement of the trained network, such as how many of ReLU's
outputs are exactly zero, needs them. ``kept_weights`` trains the stored run once more with
the training code itself (``train.train``), takes the final weights (the best ones, under early
stopping), and compares the retraining with the stored run: its test predictions and its final
validation accuracy. Identical numbers mean the same model; otherwise the weights are a retraining's, and the
entry says by how much they differ.

The weights are stored in the run store as float32 under the run's spec plus ``probe``
fields naming this measurement and this module's declared version (``versions``): the stored
run's key never changes, and a new version re-keys only the kept weights.

Which runs keep weights: those a claim's ``measure`` names (chapter 3's ReLU runs of seeds
0-2, for ``wang2020.activation.relu_sparsity``), LeNet-5's 61,706 parameters each, about
0.3 MB of compressed text per run.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..training import models, versions
from ..training import train as training
from ..training.data import MNIST, Split
from . import store as run_store

PROBE = "final_weights"


class WeightsError(RuntimeError):
    """Weights asked of a run that is not stored (one line, naming the run)."""


def weights_spec(config: training.TrainConfig, seed: int, mnist: MNIST, **train_kwargs) -> dict:
    return {**training.run_spec(config, seed, mnist, **train_kwargs), "probe": PROBE,
            "probe_code": versions.key_token("probe:final_weights")}


def _train_capturing_weights(config, mnist: MNIST, seed: int, **train_kwargs):
    """``train.train`` as it is, with the final model's weights captured on the way out (they
    are the weights ``train`` tests and describes, after early stopping restored the best)."""
    captured = {}

    def capture(model):
        captured["weights"] = [np.asarray(w, dtype=np.float32) for w in model.get_weights()]

    run = training.train(config, mnist, seed, on_trained=capture, **train_kwargs)
    return run, captured["weights"]


def kept_weights(config: training.TrainConfig, seed: int, mnist: MNIST, *, train_size: int = 0,
                 eval_size: int = 0, store=None) -> tuple[list[np.ndarray], dict]:
    """The final weights of the stored run of ``config`` and ``seed`` (retrained and kept
    first if missing), and how the retraining compares with the stored run."""
    store = store or run_store.default()
    kwargs = {"train_size": train_size, "eval_size": eval_size}
    spec = weights_spec(config, seed, mnist, **kwargs)
    key, kept, run = store.derived(spec, training.run_spec(config, seed, mnist, **kwargs),
                                   run_store.data_fingerprint(mnist, **kwargs),
                                   WeightsError(f"{config.name}/seed{seed}: the run whose weights to keep is not "
                                                "stored; train it first"))
    if kept is None:
        print(f"weights {config.name}/seed{seed}: training the stored run {run.key[:12]} again", flush=True)
        started = time.perf_counter()
        again, weights = _train_capturing_weights(config, mnist, seed, **kwargs)
        final = again.rows[again.rows["final"]].iloc[-1]
        stored_final = run.rows[run.rows["final"].astype(bool)].iloc[-1]
        comparison = pd.DataFrame([{
            "step": int(final["step"]),
            "stored_step": int(stored_final["step"]),
            "val_accuracy": float(final["val_accuracy"]),
            "stored_val_accuracy": float(stored_final["val_accuracy"]),
            "test_accuracy": float(final["test_accuracy"]),
            "stored_test_accuracy": float(stored_final["test_accuracy"]),
            "differs_from_stored": int((again.arrays["test_predictions"] != run.arrays["test_predictions"]).sum()),
            "images_per_second": float(again.rows["images_per_second"].median()),
        }])
        if comparison.loc[0, "differs_from_stored"] or comparison.loc[0, "step"] != comparison.loc[0, "stored_step"]:
            print(f"weights {config.name}/seed{seed}: the retraining predicts "
                  f"{comparison.loc[0, 'differs_from_stored']} test images unlike the stored run (trained on "
                  f"{run.record.get('cpu')}): its weights are a retraining's, not the stored run's", flush=True)
        arrays = {f"weights/{i:02d}": w for i, w in enumerate(weights)}
        kept = store.put(key, spec, training.Run(comparison, arrays, time.perf_counter() - started))
        print(f"weights {config.name}/seed{seed}: kept as {store.describe(key)}", flush=True)
    weights = [kept.arrays[name] for name in sorted(kept.arrays)]
    return weights, {k: (int(v) if k in ("step", "stored_step", "differs_from_stored") else float(v))
                     for k, v in kept.rows.iloc[0].items()}


def zero_shares(model, layers, split: Split, batch_size: int = 1000) -> dict[str, float]:
    """Per layer of ``layers`` (and ``all``, pooled over their units), the share of the outputs
    on ``split``'s images that are exactly zero."""
    import keras

    outputs = keras.Model(model.input, [model.get_layer(name).output for name in layers])
    zeros, sizes = np.zeros(len(layers)), np.zeros(len(layers))
    for start in range(0, len(split), batch_size):
        values = outputs(split.images[start:start + batch_size], training=False)
        for i, v in enumerate(values if isinstance(values, (list, tuple)) else [values]):
            v = np.asarray(v)
            zeros[i] += np.count_nonzero(v == 0)
            sizes[i] += v.size
    return {**{name: float(z / s) for name, z, s in zip(layers, zeros, sizes)}, "all": float(zeros.sum() / sizes.sum())}


def sparsity(run_set, activation: str, seeds, layers, mnist: MNIST, store=None) -> pd.DataFrame:
    """One row per seed of ``run_set``'s ``activation`` runs: the share of exact zeros of each
    of ``layers`` on the test set (and pooled, ``all``), and how the retraining compared."""

    seeds = [] if isinstance(seeds, (list, tuple)) and not seeds else training.check_seeds(seeds)
    [config] = [c for c in run_set.configs if c.model_kwargs.get("activation") == activation] or [None]
    if config is None:
        raise training.TrainConfigError(f"activation={activation!r}: not among the run set's "
                                        f"{[c.model_kwargs.get('activation') for c in run_set.configs]}")
    missing = sorted(set(seeds) - set(run_set.seeds))
    if missing:
        raise training.TrainConfigError(f"sparsity_seeds={list(seeds)}: {missing} not among the trainings' seeds "
                                        f"{list(run_set.seeds)} (the weights are a stored training's)")
    test = mnist.test.head(run_set.train_kwargs.get("eval_size", 0))
    rows = []
    for seed in seeds:
        weights, comparison = kept_weights(config, seed, mnist, store=store, **run_set.train_kwargs)
        model = models.build(config.model, **config.model_kwargs)
        model.set_weights(weights)
        rows.append({"seed": seed, **zero_shares(model, layers, test),
                     "differs_from_stored": comparison["differs_from_stored"]})
    return pd.DataFrame(rows, columns=["seed", *layers, "all", "differs_from_stored"])
