"""Training-speed benchmark: where the time goes, measured in one run on one machine.

    .venv/bin/python -m benchmarks.speed                 # full run (~40 min on 2 cores)
    .venv/bin/python -m benchmarks.speed --quick         # seconds; a check that it works

Writes ``data/results/benchmark/training_speed.csv`` (one row per measurement and
repeat; the compute appendix reads it) and prints medians. Six parts:

1. throughput of ``mnist_utils.training.train`` vs plain ``model.fit(x_numpy, y)`` for the
   same model, seed and batch: LeNet-5 at batch 128, the Liu & Fu BN CNN at batch 50;
2. the levers one at a time: steps_per_execution, tf.data vs NumPy input,
   jit_compile, thread settings, evaluation frequency;
3. wall time to 99.0% and to 99.38% test accuracy: this project's fastest LeNet-style
   set-up, the Keras "Simple MNIST convnet" example set-up, chapter 6's set-up and chapter 9's
   recipe, one after the other in one process;
4. the two Keras backends (TensorFlow, JAX) for LeNet-5 and the CNN of the ``cpu``
   profile, measured alternately by the same driver;
5. Liu & Fu's factorised first convolution (5×1 then 1×5) against a plain 5×5 one, the
   ``cpu`` profile's CNN, in interleaved blocks of two warm models in one process
   (``interleaved_blocks``; chapter 6 judges the speed claim on these rows, paired by round);
6. LeNet-5 at batch 128 with each of chapter 3's activations, in interleaved blocks the same
   way (chapter 3 judges ReLU's "operating efficiency" against Sigmoid on these rows).

The test set is used in part 3 only because the target is defined on it; nothing
measured here selects a setting of the book's chapters.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from mnist_utils.core import claims, paths, profiles, provenance
from mnist_utils.judging import results
from mnist_utils.runs import benchmark_rows, experiments
from mnist_utils.training import backend, data, models
from mnist_utils.training import train as training
from mnist_utils.training.train import TrainConfig

RESULTS = paths.RESULTS / "benchmark" / "training_speed.csv"
# Parts 5 and 6: how many rounds of interleaved blocks, as the claims file declares each speed
# claim's measure (``measure: {protocol: interleaved_blocks, rounds: N}``).
FACTORISED_CLAIM, ACTIVATIONS_CLAIM = "liu_fu.cnn.factorised_kernels_speed", "wang2020.activation.relu_efficiency"


def declared_rounds(claim_id: str) -> int:
    """The rounds of interleaved blocks that ``claim_id``'s declared measure asks for."""
    return int(claims.claim(claim_id)["measure"]["rounds"])


def keras_simple_convnet():
    """The Keras example "Simple MNIST convnet" (keras.io/examples/vision/mnist_convnet)."""
    import keras
    from keras import layers

    inputs = keras.Input((28, 28), name="image")
    x = layers.Reshape((28, 28, 1))(inputs)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, layers.Dense(10)(x), name="keras_simple_convnet")


models.BUILDERS.setdefault("keras_simple_convnet", keras_simple_convnet)


def shuffled_batches(mnist, batch_size: int, seed: int, steps: int):
    """The training input of ``mnist_utils.training.train``: the seed's NumPy order, batched by the backend."""
    order = backend.shuffled_order(len(mnist.train), steps * batch_size, seed)
    return backend.training_batches(mnist.train.images, mnist.train.labels, order, batch_size)


def compiled(config: TrainConfig, seed: int, steps_per_execution: int = 1, jit_compile=False):
    import keras

    backend.seed_everything(seed)
    model = models.build(config.model, **config.model_kwargs)
    model.compile(optimizer=training.make_optimizer(config.optimizer, config.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return model


def plain_fit_throughput(config: TrainConfig, mnist, steps: int, warmup: int, seed: int = 0) -> float:
    """What a Keras user writes: fit on NumPy arrays, default steps_per_execution."""
    model = compiled(config, seed)
    x, y = mnist.train.images, mnist.train.labels
    model.fit(x[: warmup * config.batch_size], y[: warmup * config.batch_size],
              batch_size=config.batch_size, epochs=1, verbose=0)
    n = steps * config.batch_size
    started = time.perf_counter()
    model.fit(x[:n], y[:n], batch_size=config.batch_size, epochs=1, shuffle=True, verbose=0)
    return n / (time.perf_counter() - started)


def lever_throughput(config: TrainConfig, mnist, steps: int, warmup: int, *, numpy_input=False,
                     steps_per_execution=32, jit_compile=False, eval_every=None, seed: int = 0) -> float:
    """Throughput with one lever changed; ``eval_every`` adds validation every N steps."""
    model = compiled(config, seed, steps_per_execution, jit_compile)
    if numpy_input:
        x, y = mnist.train.images, mnist.train.labels
        fit = lambda n, **kw: model.fit(x[: n * config.batch_size], y[: n * config.batch_size],
                                        batch_size=config.batch_size, epochs=1, verbose=0, **kw)
    else:
        batches = shuffled_batches(mnist, config.batch_size, seed, warmup + steps)
        fit = lambda n, **kw: model.fit(batches, epochs=kw.pop("epochs", 1), steps_per_epoch=n,
                                        shuffle=False, verbose=0, **kw)
    fit(warmup)
    started = time.perf_counter()
    if eval_every:
        validation = (mnist.validation.images, mnist.validation.labels)
        fit(eval_every, epochs=steps // eval_every, validation_data=validation)
        done = (steps // eval_every) * eval_every
    else:
        fit(steps)
        done = steps
    return done * config.batch_size / (time.perf_counter() - started)


def time_to_accuracy(config: TrainConfig, mnist, targets, check_every: int, max_steps: int, seed: int,
                     steps_per_execution: int, numpy_input: bool) -> dict[float, tuple[float, float]]:
    """Per target: training seconds until test accuracy >= target (the checks' own time
    excluded) and the epochs trained by then; NaN for a target not reached in ``max_steps``.

    The model is compiled as ``mnist_utils.training.train`` compiles it (schedule over ``max_steps``,
    label smoothing, augmentation), so a chapter's recipe is timed as it trains. A callback
    tests every ``check_every`` steps (a multiple of ``steps_per_execution``, since Keras calls
    batch callbacks once per execution) and stops at the highest target.
    """
    import keras
    import tensorflow as tf

    model = training.compiled_model(config, seed, steps_per_execution, max_steps)
    test_images, test_labels = tf.constant(mnist.test.images), mnist.test.labels
    targets = sorted(targets)

    class Check(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step, self.checking, self.trained, self.reached = 0, 0.0, 0.0, {}
            self.started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.step += steps_per_execution
            if self.step % check_every:
                return
            started = time.perf_counter()
            logits = np.concatenate([model(test_images[i:i + 1000], training=False).numpy()
                                     for i in range(0, len(test_labels), 1000)])
            accuracy = (logits.argmax(1) == test_labels).mean()
            for target in targets:
                if accuracy >= target and target not in self.reached:
                    self.reached[target] = (started - self.started - self.checking, self.step)
            if len(self.reached) == len(targets):
                model.stop_training = True
            self.checking += time.perf_counter() - started

    steps_per_epoch = len(mnist.train) // config.batch_size
    check = Check()
    if numpy_input:   # what a Keras user writes: fit on the arrays, Keras shuffles
        model.fit(mnist.train.images, mnist.train.labels, batch_size=config.batch_size,
                  epochs=-(-max_steps // steps_per_epoch), shuffle=True, callbacks=[check], verbose=0)
    else:
        model.fit(shuffled_batches(mnist, config.batch_size, seed, max_steps), epochs=1, steps_per_epoch=max_steps,
                  shuffle=False, callbacks=[check], verbose=0)
    nan = (float("nan"), float("nan"))
    return {t: (check.reached[t][0], check.reached[t][1] / steps_per_epoch) if t in check.reached else nan
            for t in targets}


def interleaved_blocks(configs: dict[str, TrainConfig], mnist, *, block_steps: int, pairs: int, warmup: int,
                       seed: int = 0):
    """Speeds of several models measured against each other on a machine whose speed drifts
    and jumps: each model is built and warmed once, then timed in blocks of ``block_steps``
    training steps, the models in turn, the order reversed every other round (A B, B A, ...),
    for ``pairs`` rounds. A round's blocks run seconds apart, so a change of the machine's
    speed between rounds cancels in their ratio. Yields, per round and model, the images per
    second of wall time and of the process's CPU time (both threads' work: CPU time stays put
    when the VM's cores slow for everyone, wall time does not)."""
    order = backend.shuffled_order(len(mnist.train), (warmup + block_steps) * max(c.batch_size for c in configs.values()),
                                   seed)
    models_and_batches = {}
    for name, config in configs.items():
        model = training.compiled_model(config, seed, training.execution_size(block_steps, 32), warmup + block_steps)
        batches = backend.training_batches(mnist.train.images, mnist.train.labels, order, config.batch_size)
        model.fit(batches, epochs=1, steps_per_epoch=warmup, shuffle=False, verbose=0)
        models_and_batches[name] = (model, batches, config.batch_size)
    names = list(configs)
    for round_ in range(pairs):
        for name in names if round_ % 2 == 0 else names[::-1]:
            model, batches, batch_size = models_and_batches[name]
            wall, cpu = time.perf_counter(), time.process_time()
            model.fit(batches, epochs=1, steps_per_epoch=block_steps, shuffle=False, verbose=0)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            yield round_, name, block_steps * batch_size / wall, block_steps * batch_size / cpu


def machine_load() -> float:
    """The 1-minute load average before a measurement (an idle 2-core machine reads below 0.5)."""
    return os.getloadavg()[0]


def race_setups(quick: bool) -> list[tuple[str, TrainConfig, int, bool, int, int]]:
    """Part 3's set-ups: (name in the ``setup`` column, configuration, steps per execution,
    NumPy input, step budget, steps between tests: about 3.4 tests per epoch at batch 128,
    every 5,000 images at batch 50).

    Chapter 9's recipe and chapter 6's set-up are taken from the ``cpu`` profile's chapter 9,
    so the race times what the book trains; each gets the recipe's budget (its cosine
    schedule is laid over it). The LeNet and Keras set-ups get 15 epochs at batch 128 (LeNet:
    15 × 416 steps, a multiple of its 32 steps per execution).
    """
    params = profiles.chapter_parameters("09_beyond_the_papers", "cpu")
    if quick:
        params = params.replace(steps=40, eval_every=20, reference_steps=0)
    recipe_set = experiments.beyond_the_papers(params)[1]
    baseline, recipe = recipe_set.configs
    budget = params["steps"]
    shown = f"widths {'/'.join(map(str, params['widths']))}, batch {baseline.batch_size}, {budget:,} iterations"
    chapter6 = replace(baseline, steps=budget, test_every=None,
                       label=f"the tutorial set-up: Adam {baseline.learning_rate:g}, {shown}")
    recipe = replace(recipe, label=f"chapter 9 {recipe.label}: peak {recipe.learning_rate:g}, {shown}")
    lenet = TrainConfig("lenet5", {"activation": "elu", "pooling": "max", "dropout_rate": 0.25}, "adam", 2e-3, 128,
                        epochs=1, label="LeNet-5 ELU, max-pool, dropout 0.25, Adam 2e-3, batch 128, spe 32")
    keras_example = TrainConfig("keras_simple_convnet", {}, "adam", 1e-3, 128, epochs=1,
                                label="Keras example: Conv32-Conv64 + dropout, Adam 1e-3, batch 128, plain fit")
    if quick:
        return [("lenet", lenet, 32, False, 416, 32), ("keras", keras_example, 1, True, 429, 32),
                ("chapter6", chapter6, 10, False, budget, 10), ("recipe", recipe, 10, False, budget, 10)]
    return [("lenet", lenet, 32, False, 15 * 416, 128), ("keras", keras_example, 1, True, 15 * 429, 128),
            ("chapter6", chapter6, 50, False, budget, 100), ("recipe", recipe, 50, False, budget, 100)]




BACKEND_MODELS = {
    "lenet5 b128": TrainConfig("lenet5", {"activation": "relu"}, "adam", 1e-3, 128, epochs=1),
    "liu_fu_cnn 16/32/32 b50": TrainConfig("liu_fu_cnn", {"widths": [16, 32, 32]}, "adam", 1e-4, 50, epochs=1),
}


def throughput_here(name: str, steps: int, warmup: int, seed: int) -> float:
    """``mnist_utils.training.train.throughput`` of ``BACKEND_MODELS[name]`` in this process's backend."""
    return training.throughput(BACKEND_MODELS[name], data.load(), steps=steps, warmup=warmup, seed=seed)


def backend_throughput(backend_name: str, name: str, steps: int, warmup: int, seed: int) -> float:
    """The same measurement in a fresh process on ``backend_name`` (Keras picks its backend
    once per process, so the two backends alternate between processes of one driver)."""
    import subprocess

    code = f"from benchmarks.speed import throughput_here; print(throughput_here({name!r}, {steps}, {warmup}, {seed}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=paths.ROOT, capture_output=True, text=True,
                         env={**os.environ, "KERAS_BACKEND": backend_name})
    if out.returncode:
        last = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"
        raise RuntimeError(f"{backend_name} {name}: {last}")
    return float(out.stdout.strip().splitlines()[-1])


PARTS = ("throughput", "levers", "time_to_accuracy", "backends", "factorised", "activations")
TIMED_ACTIVATIONS = ("relu", "sigmoid", "elu", "tanh")   # part 6: chapter 3's arms


def median_row(rows):
    values = [r["value"] for r in rows]
    return statistics.median(values), min(values), max(values)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets: checks the script, measures nothing useful")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default=str(RESULTS))
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="comma-separated parts to (re)measure; the other parts' rows in --output are kept")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats={args.repeats}: must be at least 1")
    quick = args.quick
    parts = set(args.parts.split(","))
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"--parts: unknown part(s) {', '.join(sorted(unknown))}")
    repeats = 1 if quick else args.repeats
    mnist = data.load()
    rows = []

    def record(part, name, unit, value, repeat, **extra):
        rows.append({"part": part, "measurement": name, "unit": unit, "value": value, "repeat": repeat, **extra})
        print(f"  {part} | {name} | repeat {repeat}: {value:,.2f} {unit}", flush=True)

    lenet = TrainConfig("lenet5", {"activation": "relu"}, "adam", 1e-3, 128, epochs=1)
    bn_cnn = TrainConfig("liu_fu_cnn", {"widths": [32, 64, 64]}, "adam", 1e-4, 50, epochs=1)
    steps = {"lenet5": 30 if quick else 320, "liu_fu_cnn": 10 if quick else 128}
    warmup = 5 if quick else 30

    print("1. throughput: mnist_utils.train vs plain model.fit", flush=True)
    for config in (lenet, bn_cnn) if "throughput" in parts else ():
        for r in range(repeats):
            n = steps[config.model]
            record("throughput", f"{config.model} b{config.batch_size}: plain fit", "images/s",
                   plain_fit_throughput(config, mnist, n, warmup, seed=r), r)
            record("throughput", f"{config.model} b{config.batch_size}: mnist_utils.train", "images/s",
                   training.throughput(config, mnist, steps=n, warmup=warmup, seed=r), r)

    print("2. levers, one at a time (BN CNN at batch 50 unless named)", flush=True)
    levers = {
        "steps_per_execution=1": dict(steps_per_execution=1),
        "steps_per_execution=8": dict(steps_per_execution=8),
        "steps_per_execution=32": dict(steps_per_execution=32),
        "steps_per_execution=128": dict(steps_per_execution=128),
        "numpy input (spe=32)": dict(numpy_input=True),
        "jit_compile=True (spe=32)": dict(jit_compile=True),
        "validation every 50 steps": dict(eval_every=50 if not quick else 5),
    }
    for name, kwargs in levers.items() if "levers" in parts else ():
        for r in range(min(repeats, 2)):  # levers: two repeats keep the run under ~15 minutes
            try:
                value = lever_throughput(bn_cnn, mnist, steps["liu_fu_cnn"], warmup, seed=r, **kwargs)
            except Exception as exc:  # e.g. XLA refused under op determinism: record why
                print(f"  levers | {name}: failed ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
                value = float("nan")
            record("levers", name, "images/s", value, r)
    import tensorflow as tf

    if "levers" in parts:
        record("levers", "threads (intra, inter) in use", "threads",
               tf.config.threading.get_intra_op_parallelism_threads(), 0,
               note=f"inter={tf.config.threading.get_inter_op_parallelism_threads()} (0 = TF default: all cores)")

    print("3. time to 99.0% and 99.38% test accuracy", flush=True)
    targets = (0.9,) if quick else benchmark_rows.race_targets()
    for setup, config, spe, numpy_input, max_steps, check_every in race_setups(quick) if "time_to_accuracy" in parts else ():
        for r in range(repeats):
            reached = time_to_accuracy(config, mnist, targets, check_every, max_steps, r, spe, numpy_input)
            for target, (seconds, epochs) in reached.items():
                record("time_to_accuracy", config.label, "seconds", seconds, r, epochs=epochs, target=target,
                       max_images=max_steps * config.batch_size, setup=setup)

    print("4. the two Keras backends, alternating (a fresh process per measurement)", flush=True)
    for r in range(repeats) if "backends" in parts else ():
        for name in BACKEND_MODELS:
            for backend_name in backend.BACKENDS:
                n = 20 if quick else (300 if name.startswith("lenet5") else 100)
                record("backends", f"{name}: {backend_name}", "images/s",
                       backend_throughput(backend_name, name, n, 5 if quick else 30, r), r)

    # Parts 5 and 6 judge speed claims within ±5%: interleaved blocks of warm models, many rounds.

    print("5. factorised vs plain 5x5 first convolution, interleaved blocks in this process", flush=True)
    widths = [16, 32, 32]   # the cpu profile's CNN (params/cpu.yaml)
    variants = {"factorised": {}, "unfactorised": experiments.CNN_ABLATIONS["unfactorised"]}
    if "factorised" in parts:
        load = machine_load()
        configs = {v: TrainConfig("liu_fu_cnn", {"widths": widths, **changes}, "adam", 1e-4, 50, epochs=1)
                   for v, changes in variants.items()}
        rounds = 2 if quick else declared_rounds(FACTORISED_CLAIM)
        for r, variant, wall, cpu in interleaved_blocks(configs, mnist, block_steps=4 if quick else 32, pairs=rounds,
                                                        warmup=4 if quick else 30):
            record("factorised", benchmark_rows.factorised_measurement(widths, variant), "images/s", wall, r,
                   cpu_images_per_second=cpu, load_before=load)

    print("6. LeNet-5 per activation, interleaved blocks in this process", flush=True)
    if "activations" in parts:
        load = machine_load()
        configs = {a: TrainConfig("lenet5", {"activation": a}, "adam", 1e-3, 128, epochs=1) for a in TIMED_ACTIVATIONS}
        rounds = 2 if quick else declared_rounds(ACTIVATIONS_CLAIM)
        for r, activation, wall, cpu in interleaved_blocks(configs, mnist, block_steps=4 if quick else 32, pairs=rounds,
                                                           warmup=4 if quick else 30):
            record("activations", benchmark_rows.activation_measurement(activation), "images/s", wall, r,
                   cpu_images_per_second=cpu, load_before=load)

    frame = pd.DataFrame(rows)
    frame["machine"] = provenance.cpu_name()
    frame["cpu_count"] = os.cpu_count()
    frame["quick"] = quick
    if os.path.exists(args.output):  # keep the rows of the parts not measured this time
        previous = pd.read_csv(args.output)
        frame = pd.concat([previous[~previous["part"].isin(parts)], frame], ignore_index=True)
    results.write(frame, args.output)
    print(f"wrote {args.output}")
    keys = ["part", "measurement"] + (["target"] if "target" in frame else [])   # part 3 has one row per target
    summary = frame.groupby(keys, sort=False, dropna=False)["value"].agg(["median", "min", "max"])
    print(summary.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
