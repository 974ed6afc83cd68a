"""The one place where the Keras backends differ: seeding, determinism and feeding batches.

The book trains with ``KERAS_BACKEND=tensorflow`` (the default, faster on CPUs) or ``jax``
(the backend of a borrowed GPU machine without TensorFlow). Everything else in
``mnist_utils`` is plain Keras and NumPy. The order in which a seed presents the training
images is drawn from NumPy (``shuffled_order``), so the two backends differ only in their
arithmetic and in their random streams (weight initialisation, dropout).
"""
from __future__ import annotations

import numpy as np

BACKENDS = ("tensorflow", "jax")


def name() -> str:
    """The Keras backend of this process."""
    import keras

    return keras.backend.backend()


def seed_everything(seed: int) -> None:
    """Python, NumPy and the backend's random streams; deterministic kernels."""
    import keras

    keras.utils.set_random_seed(seed)
    if name() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        # Each run builds a new model, so Keras retraces its train function; TF warns about
        # that on its Python logger, which would clutter every chapter. Errors still show.
        tf.get_logger().setLevel("ERROR")
    elif name() != "jax":
        raise RuntimeError(f"KERAS_BACKEND={name()!r}: the book trains with one of {', '.join(BACKENDS)}")


def shuffled_order(n_examples: int, n_needed: int, seed: int) -> np.ndarray:
    """The training-image indices a seed presents, in order: one fresh NumPy permutation
    per pass over the data, concatenated, cut to ``n_needed`` (batches run across pass
    boundaries, so no image is skipped)."""
    rng = np.random.default_rng(seed)
    passes = -(-n_needed // n_examples)
    return np.concatenate([rng.permutation(n_examples) for _ in range(passes)])[:n_needed].astype(np.int64)


def devices() -> str:
    """The accelerator(s) this process trains on, or 'cpu'."""
    try:
        if name() == "tensorflow":
            import tensorflow as tf

            return ", ".join(g.name for g in tf.config.list_logical_devices("GPU")) or "cpu"
        if name() == "jax":
            import jax

            found = [f"{d.platform}:{getattr(d, 'device_kind', '')}" for d in jax.devices()]
            return ", ".join(found) if any(not f.startswith("cpu") for f in found) else "cpu"
    except Exception:  # provenance must never fail a run
        pass
    return "cpu"


def training_batches(images: np.ndarray, labels: np.ndarray, order: np.ndarray, batch_size: int):
    """Batches of ``images[order]`` for ``model.fit``, gathered from memory one batch at a time.

    TensorFlow gets a ``tf.data`` pipeline (a Python-level dataset halves its CNN throughput
    on two cores: the feeding thread competes with the compute threads); JAX gets a
    ``keras.utils.PyDataset``. Both present the same images in the same order.
    """
    n_batches = len(order) // batch_size
    if name() == "tensorflow":
        import tensorflow as tf

        images_t, labels_t = tf.constant(images), tf.constant(labels)
        return (tf.data.Dataset.from_tensor_slices(order[:n_batches * batch_size].reshape(n_batches, batch_size))
                .map(lambda idx: (tf.gather(images_t, idx), tf.gather(labels_t, idx)))
                .prefetch(tf.data.AUTOTUNE))

    import keras

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)

        def __len__(self):
            return n_batches

        def __getitem__(self, i):
            idx = order[i * batch_size:(i + 1) * batch_size]
            return images[idx], labels[idx]

    # fit(..., shuffle=False) is required: Keras would otherwise shuffle the batch order.

    return Batches()
