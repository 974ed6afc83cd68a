"""Shared fixtures: tiny synthetic MNIST files and an isolated cache/mirror; the training
configurations and the run store that several test files use.

Nothing here is autouse: the nbval baselines under tests/baselines share this
conftest and must not see a patched environment.
"""
from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from mnist_utils.training import data
from mnist_utils.training.data import MNIST, Split

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX: magic 0x000008<ndim>, big-endian uint32 dims, data."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def spec_for(name: str, raw: bytes, ndim: int, count: int) -> data.IdxFile:
    return data.IdxFile(name, name.split(".")[0], hashlib.sha256(raw).hexdigest(), ndim, count)


@dataclass
class Synthetic:
    """Four tiny IDX files (6 train, 4 test) with their specs, plus the places they may live."""

    cache: Path
    mirror: Path
    arrays: dict[str, np.ndarray]
    raw: dict[str, bytes]
    specs: dict[str, data.IdxFile]
    downloads: list[str] = field(default_factory=list)

    def gz(self, name: str) -> bytes:
        # mtime=0: the same content always compresses to the same bytes
        return gzip.compress(self.raw[name], mtime=0)

    def put(self, where: Path, name: str, content: bytes | None = None) -> Path:
        """Write ``content`` (default: the good .gz of ``name``) to ``where/name``."""
        where.mkdir(parents=True, exist_ok=True)
        path = where / name
        path.write_bytes(self.gz(name) if content is None else content)
        return path

    def with_spec(self, name: str, array: np.ndarray, count: int | None = None) -> dict[str, data.IdxFile]:
        """Replace one file's content by ``array`` (digest recomputed) and return the new specs."""
        raw = idx_bytes(array)
        self.arrays[name], self.raw[name] = np.asarray(array, dtype=np.uint8), raw
        self.specs = {**self.specs, name: spec_for(name, raw, array.ndim, len(array) if count is None else count)}
        return self.specs


@pytest.fixture
def synth(tmp_path, monkeypatch) -> Synthetic:
    """Synthetic MNIST, ``$MNIST_CACHE``/``$MNIST_MIRROR`` in tmp dirs, downloads that always fail."""
    rng = np.random.default_rng(0)
    arrays = {
        TRAIN_IMAGES: rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8),
        TRAIN_LABELS: np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8),
        TEST_IMAGES: rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8),
        TEST_LABELS: np.array([7, 2, 1, 0], dtype=np.uint8),
    }
    arrays[TRAIN_IMAGES][0, 0, 0], arrays[TRAIN_IMAGES][0, 0, 1] = 0, 255  # both ends of the scale
    raw = {name: idx_bytes(a) for name, a in arrays.items()}
    specs = {name: spec_for(name, raw[name], a.ndim, len(a)) for name, a in arrays.items()}

    cache, mirror = tmp_path / "cache", tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("MNIST_CACHE", str(cache))
    monkeypatch.setenv("MNIST_MIRROR", str(mirror))
    s = Synthetic(cache, mirror, arrays, raw, specs)

    def no_network(spec, urls, workdir):
        s.downloads.append(spec.name)
        return None, ["https://example.invalid/: ConnectionError"]

    monkeypatch.setattr(data, "_download", no_network)
    data.load.cache_clear()
    yield s
    data.load.cache_clear()


@pytest.fixture(scope="module")
def tiny_mnist() -> MNIST:
    return synthetic_digits()


def synthetic_digits() -> MNIST:
    """Learnable synthetic digits for training tests: class k lights up row block k, plus noise."""
    rng = np.random.default_rng(0)

    def make(n):
        labels = rng.integers(0, 10, n).astype(np.int32)
        images = rng.uniform(0, 0.3, (n, 28, 28)).astype(np.float32)
        for i, k in enumerate(labels):
            images[i, 2 * k + 4: 2 * k + 6, 4:24] = 1.0
        return Split(images, labels)

    return MNIST(train=make(256), validation=make(64), test=make(64))


# ------------------------------------------------- training configurations, run store
# Built on first use (PEP 562): mnist_utils.train imports Keras, which the nbval baselines
# sharing this conftest never need.
def __getattr__(name: str):
    from mnist_utils.training.train import TrainConfig

    configs = {
        "SOFTMAX": TrainConfig("softmax", optimizer="sgd", learning_rate=0.5, batch_size=32, steps=8, eval_every=4,
                               label="softmax"),
        "LENET": TrainConfig("lenet5", {"activation": "relu"}, "adam", 0.003, 32, steps=24, eval_every=8, patience=2,
                             label="relu"),
    }
    if name not in configs:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals().update(configs)
    return configs[name]


def _config(**changes):
    from mnist_utils.training.train import TrainConfig

    base = dict(model="lenet5", model_kwargs={"activation": "relu", "dropout_rate": 0.5},
                optimizer="adam", learning_rate=3e-3, batch_size=32, steps=16, eval_every=8, label="relu")
    return TrainConfig(**{**base, **changes})


@pytest.fixture
def run_store(tmp_path):
    from mnist_utils.runs import store

    return store.RunStore(tmp_path / "runs")


@pytest.fixture
def results_outside_the_record(tmp_path, monkeypatch):
    """Results written as a chapter outside the runner writes them: to scratch, under tmp_path."""
    from mnist_utils.core import paths

    monkeypatch.setattr(paths, "DATA", tmp_path)
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setenv(paths.SCRATCH_ENV, str(tmp_path / "scratch"))
    monkeypatch.delenv(paths.RECORD_ENV, raising=False)
    return tmp_path
