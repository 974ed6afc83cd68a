"""Gradient probes: how large each layer's gradient is over the first steps of a training.

Wang et al. say Sigmoid "cannot solve the problem of neuron gradient dissipation" and that
ReLU's network "is not prone to" it; Liu & Fu say batch normalisation "alleviates the problems
of gradient explosion and disappearance". Both are statements about the gradients the optimizer
receives, which no training run records. A probe trains a chapter's configuration for its first
``steps`` steps with the same seeded model, optimizer and data order as ``train.train``, and
records the root-mean-square gradient of every kernel (convolution or dense weights) at every
step, before the optimizer uses it.

A probe is a short run of its own, stored in the run store under the configuration's spec
(``train.run_spec``) plus ``probe`` fields that name it, its step count and the declared version of
this module (``versions``): a stored run's key never changes, and a new version re-keys its probes only.

Two summaries judge the claims (declared in the claims file before the probes ran):

- ``input_over_output``: the first kernel's RMS over the last kernel's, geometric mean over the
  steps. A gradient that dissipates towards the input makes it small.
- ``layer_spread``: the largest kernel RMS over the smallest, geometric mean over the steps.
  Vanishing and exploding gradients both spread the layers apart.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..training import backend, versions
from ..training import train as training
from ..training.data import MNIST
from . import store as run_store

PROBE = "gradient_norms"


def probe_spec(config: training.TrainConfig, seed: int, mnist: MNIST, steps: int, **train_kwargs) -> dict:
    """The configuration's spec (``train.run_spec``) and what the probe adds to it."""
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise training.TrainConfigError(f"gradient_steps={steps!r}: must be an integer >= 1")
    return {**training.run_spec(config, seed, mnist, **train_kwargs), "probe": PROBE, "probe_steps": steps,
            "probe_code": versions.key_token("probe:gradient_norms")}


def kernel_rms_per_step(config: training.TrainConfig, seed: int, mnist: MNIST, steps: int, train_size=0):
    """Train ``steps`` steps as ``train.train`` would (same seeded model, optimizer, learning-rate
    schedule and batches) and return one row per step: the loss and each kernel's RMS gradient."""
    if backend.name() != "tensorflow":
        raise training.TrainConfigError(f"KERAS_BACKEND={backend.name()!r}: the gradient probe records "
                                        "gradients with TensorFlow's GradientTape; run it with tensorflow")
    import tensorflow as tf

    train_split = mnist.train.head(train_size)
    total, _ = training.step_budget(config, len(train_split))
    steps = min(steps, total)
    model = training.compiled_model(config, seed, 1, total)   # the schedule spans the run's own budget
    order = backend.shuffled_order(len(train_split), total * config.batch_size, seed)[:steps * config.batch_size]
    kernels = [i for i, v in enumerate(model.trainable_variables) if v.path.endswith("kernel")]
    names = [model.trainable_variables[i].path.split("/")[0] for i in kernels]
    loss_of = training.loss_function(config.label_smoothing)
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)

    @tf.function
    def step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_of(labels, model(images, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, [tf.sqrt(tf.reduce_mean(tf.square(grads[i]))) for i in kernels]

    rows, started, last = [], time.perf_counter(), time.perf_counter()
    for i in range(steps):
        batch = order[i * config.batch_size:(i + 1) * config.batch_size]
        loss, rms = step(tf.constant(train_split.images[batch]), tf.constant(train_split.labels[batch]))
        now = time.perf_counter()
        rows.append({"step": i + 1, "loss": float(loss), **{n: float(r) for n, r in zip(names, rms)},
                     "images_per_second": config.batch_size / max(now - last, 1e-9)})
        last = now
    return pd.DataFrame(rows), time.perf_counter() - started


def probe(config: training.TrainConfig, seed: int, mnist: MNIST, *, steps: int, train_size: int = 0,
          eval_size: int = 0, store=None) -> pd.DataFrame:
    """The gradient probe of ``config`` and ``seed`` (trained and stored first if missing): one
    row per step and kernel (``run_id``, ``config``, ``seed``, ``step``, ``layer``, ``rms``),
    the layers in the order of the network, input first."""
    store = store or run_store.default()
    kwargs = {"train_size": train_size, "eval_size": eval_size}
    spec = probe_spec(config, seed, mnist, steps, **kwargs)
    key = run_store.run_key(spec, run_store.data_fingerprint(mnist, **kwargs))
    stored = store.get(key)
    if stored is None:
        print(f"gradient probe {config.name}/seed{seed}: {steps} steps", flush=True)
        rows, seconds = kernel_rms_per_step(config, seed, mnist, steps, train_size)
        stored = store.put(key, spec, training.Run(rows, {}, seconds))
        print(f"gradient probe {config.name}/seed{seed}: stored as {store.describe(key)} ({seconds:.0f} s)", flush=True)
    layers = [c for c in stored.rows.columns if c not in ("step", "loss", "images_per_second")]
    long = stored.rows.melt(id_vars=["step"], value_vars=layers, var_name="layer", value_name="rms")
    return long.assign(step=long["step"].astype(int), run_id=f"{config.name}/seed{seed}", config=config.name,
                       seed=seed)[["run_id", "config", "seed", "step", "layer", "rms"]]


def run_set_probes(run_set, steps: int, seeds, mnist: MNIST, store=None, configs=None) -> pd.DataFrame:
    """The gradient probes of the configurations of ``run_set`` (those named in ``configs``, or
    all) for each of ``seeds`` (any seeds, not only those its trainings ran)."""
    seeds = training.check_seeds(seeds)
    chosen = [c for c in run_set.configs if configs is None or c.name in configs]
    missing = sorted(set(configs or ()) - {c.name for c in chosen})
    if missing:
        raise training.TrainConfigError(f"configs={list(configs)}: {missing} not in the run set "
                                        f"{run_set.name} ({', '.join(c.name for c in run_set.configs)})")
    frames = [probe(config, seed, mnist, steps=steps, store=store, **run_set.train_kwargs)
              for config in chosen for seed in seeds]
    return pd.concat(frames, ignore_index=True)


def summaries(table: pd.DataFrame) -> pd.DataFrame:
    """Per run: ``input_over_output`` (first kernel's RMS over the last's) and ``layer_spread``
    (largest kernel RMS over the smallest), each the geometric mean over the probe's steps."""
    rows = []
    for (run_id, config, seed), run in table.groupby(["run_id", "config", "seed"], sort=False):
        wide = run.pivot(index="step", columns="layer", values="rms")[list(dict.fromkeys(run["layer"]))]
        logs = np.log(wide.to_numpy(dtype=float))
        rows.append({"run_id": run_id, "config": config, "seed": seed,
                     "input_over_output": float(np.exp(np.mean(logs[:, 0] - logs[:, -1]))),
                     "layer_spread": float(np.exp(np.mean(logs.max(axis=1) - logs.min(axis=1))))})
    return pd.DataFrame(rows)
