"""The compressed sizes of the MNIST files: the original distribution's, and this cache's copy.

The original distribution (LeCun, Cortes & Burges, yann.lecun.com/exdb/mnist) lists each
``.gz`` file with its size in bytes; the public mirrors of ``mnist_utils.data`` serve those
same files. Liu & Fu's Table 1 prints them in kilobytes: 9,912,422 bytes / 1,024, rounded up,
is their 9,681. A recompressed copy (another gzip level or tool) holds identical content —
``mnist_utils.data`` checks the SHA-256 of the decompressed bytes — in a ``.gz`` of another
size, so a printed size is compared with the distribution's sizes, never with a mirror's, and
the table says which kind of copy the cache holds.

(A module of its own: ``mnist_utils.data`` is training code whose digest keys every stored run.)
"""
from __future__ import annotations

import math

from . import data, paths

# Sizes in bytes of the four .gz files as the original distribution lists them.
ORIGINAL_GZ_BYTES = {
    "train-images-idx3-ubyte.gz": 9_912_422,
    "train-labels-idx1-ubyte.gz": 28_881,
    "t10k-images-idx3-ubyte.gz": 1_648_877,
    "t10k-labels-idx1-ubyte.gz": 4_542,
}


def kib_rounded_up(n_bytes: int) -> int:
    """Kilobytes as file listings print them: 1,024 bytes each, any remainder counting as one."""
    return math.ceil(n_bytes / 1024)


def gz_sizes(specs: dict | None = None, original_bytes: dict[str, int] | None = None):
    """One row per file: the original distribution's ``.gz`` size (bytes, and KiB rounded up),
    the size of the copy in this project's cache, and whether that copy is the original file
    or a recompression of the same content. Loads (and verifies) the files first."""
    import pandas as pd

    specs = data.CANONICAL if specs is None else specs
    original_bytes = ORIGINAL_GZ_BYTES if original_bytes is None else original_bytes
    data.load_raw(specs)   # every file in the cache, verified by the digest of its content
    rows = []
    for name, spec in specs.items():
        original, cached = original_bytes[name], (paths.mnist_cache() / name).stat().st_size
        rows.append({"file": name, "key": spec.key, "original_bytes": original,
                     "original_kib": kib_rounded_up(original), "cache_bytes": cached,
                     "cache_kib": kib_rounded_up(cached),
                     "cache_copy": "the original file" if cached == original else
                                   "recompressed (same content, other gzip settings)"})
    return pd.DataFrame(rows)
