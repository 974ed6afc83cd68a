"""MNIST: fetch, verify, parse, split.

Sources, in order: the cache (``data/mnist``), a local mirror directory named by
``$MNIST_MIRROR``, then the public mirrors (through pooch). Every candidate file
is verified against the canonical SHA-256 of its *decompressed* bytes (gzip
headers differ between mirrors, the IDX content does not) before it may enter
the cache, and the cache is only ever replaced atomically, so a bad download
never replaces a good file.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..core import paths


class MNISTError(ValueError):
    """A one-line, file-naming error about the MNIST input."""


@dataclass(frozen=True)
class IdxFile:
    name: str     # file name of the gzip-compressed IDX file
    key: str      # short name used in tables and claim ids (train_images, ...)
    sha256: str   # digest of the decompressed bytes
    ndim: int     # 3 for images, 1 for labels
    count: int    # number of items


CANONICAL = {
    f.name: f
    for f in (
        IdxFile("train-images-idx3-ubyte.gz", "train_images",
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 3, 60_000),
        IdxFile("train-labels-idx1-ubyte.gz", "train_labels",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 1, 60_000),
        IdxFile("t10k-images-idx3-ubyte.gz", "test_images",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 3, 10_000),
        IdxFile("t10k-labels-idx1-ubyte.gz", "test_labels",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 1, 10_000),
    )
}

PUBLIC_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

VALIDATION_SIZE = 5_000  # Liu & Fu Table 1: 55,000 training + 5,000 verification images


def digests() -> dict[str, str]:
    """Canonical digests of the decompressed files; part of the runner's content hash."""
    return {name: f.sha256 for name, f in CANONICAL.items()}


# --------------------------------------------------------------------- verify
def decompress(path: Path) -> bytes:
    """The decompressed bytes of a .gz file; a one-line error if it is damaged."""
    try:
        return gzip.decompress(Path(path).read_bytes())
    except FileNotFoundError:
        raise MNISTError(f"{path}: file not found") from None
    except EOFError:
        raise MNISTError(f"{path}: truncated gzip stream") from None
    except (OSError, zlib.error) as exc:
        raise MNISTError(f"{path}: corrupt gzip data ({exc})") from None


def verify(path: Path, spec: IdxFile) -> bytes:
    """Decompress ``path`` and check its digest; returns the IDX bytes."""
    raw = decompress(path)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise MNISTError(
            f"{path}: SHA-256 of decompressed bytes is {digest[:16]}…, expected {spec.sha256[:16]}…"
        )
    return raw


# ---------------------------------------------------------------------- parse
def parse_idx(raw: bytes, name: str) -> np.ndarray:
    """Parse IDX bytes (magic 0x0000 08 ndim, big-endian uint32 dims, uint8 data)."""
    if len(raw) < 4:
        raise MNISTError(f"{name}: {len(raw)} bytes, too short for an IDX header")
    zero, dtype_code, ndim = int.from_bytes(raw[:2], "big"), raw[2], raw[3]
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise MNISTError(
            f"{name}: wrong magic number 0x{int.from_bytes(raw[:4], 'big'):08x} "
            f"(expected 0x00000801 for labels or 0x00000803 for images)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MNISTError(f"{name}: header truncated ({len(raw)} bytes, need {header})")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise MNISTError(
            f"{name}: header declares dims {dims} ({expected} bytes) but the file has {len(raw)} bytes"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


# ---------------------------------------------------------------------- fetch
def _install(candidate: Path, spec: IdxFile, cache: Path) -> tuple[Path, bytes]:
    """Copy ``candidate`` next to the cache, verify the copy, then move it in atomically."""
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{spec.name}.", suffix=".part")
    os.close(fd)
    try:
        if not Path(candidate).exists():
            raise MNISTError(f"{candidate}: file not found")
        shutil.copyfile(candidate, tmp)
        try:  # the copy is what enters the cache, so check the copy, but name the source
            raw = verify(Path(tmp), spec)
        except MNISTError as exc:
            raise MNISTError(str(exc).replace(tmp, str(candidate))) from None
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the cache is ordinary data
        os.replace(tmp, cache / spec.name)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return cache / spec.name, raw


def _download(spec: IdxFile, urls: tuple[str, ...], workdir: Path) -> tuple[Path | None, list[str]]:
    import pooch  # imported lazily: only needed off-mirror

    failures = []
    for base in urls:
        try:
            got = pooch.retrieve(base + spec.name, known_hash=None, fname=spec.name,
                                 path=workdir, progressbar=False)
            return Path(got), failures
        except Exception as exc:  # network errors come in many types; we report them all
            failures.append(f"{base}: {type(exc).__name__}")
    return None, failures


def fetch(name: str, *, specs: dict[str, IdxFile] | None = None,
          urls: tuple[str, ...] = PUBLIC_MIRRORS) -> Path:
    """Return the cached, verified path of one MNIST file, fetching it if needed."""
    return _obtain(name, specs, urls)[0]


def _obtain(name: str, specs: dict[str, IdxFile] | None,
            urls: tuple[str, ...] = PUBLIC_MIRRORS) -> tuple[Path, bytes]:
    """The cached path and verified decompressed bytes of one file."""
    specs = CANONICAL if specs is None else specs
    if name not in specs:
        raise MNISTError(f"{name}: not an MNIST file (known: {', '.join(specs)})")
    spec, cache = specs[name], paths.mnist_cache()
    problems = []

    cached = cache / name
    if cached.exists():
        try:
            return cached, verify(cached, spec)
        except MNISTError as exc:
            problems.append(f"cache: {exc}")

    mirror = os.environ.get(paths.MIRROR_ENV)
    if mirror:
        candidate = Path(mirror) / name
        try:
            return _install(candidate, spec, cache)
        except MNISTError as exc:
            problems.append(f"mirror: {exc}")

    with tempfile.TemporaryDirectory() as workdir:
        got, failures = _download(spec, urls, Path(workdir))
        problems += [f"download {f}" for f in failures]
        if got is not None:
            try:
                return _install(got, spec, cache)
            except MNISTError as exc:
                problems.append(f"download: {exc}")
    hint = "" if mirror else f" (set ${paths.MIRROR_ENV} to a local copy)"
    raise MNISTError(f"{name}: no valid copy found{hint}: " + "; ".join(problems))


def load_file(name: str, *, specs: dict[str, IdxFile] | None = None) -> np.ndarray:
    """Fetch, verify and parse one file, checking its item count and labels."""
    specs = CANONICAL if specs is None else specs
    _, raw = _obtain(name, specs)
    spec = specs[name]
    array = parse_idx(raw, name)
    if array.ndim != spec.ndim:
        raise MNISTError(f"{name}: {array.ndim} dimensions, expected {spec.ndim}")
    if len(array) != spec.count:
        raise MNISTError(f"{name}: {len(array)} items, expected {spec.count}")
    if spec.ndim == 1 and array.max(initial=0) >= 10:
        bad = int(np.argmax(array >= 10))
        raise MNISTError(f"{name}: label {int(array[bad])} at index {bad} is not a digit 0-9")
    return array


# --------------------------------------------------------------------- splits
@dataclass(frozen=True)
class Split:
    images: np.ndarray   # (n, 28, 28) float32 in [0, 1]
    labels: np.ndarray   # (n,) int32

    def __len__(self) -> int:
        return len(self.labels)

    def head(self, n: int | None) -> Split:
        """The first ``n`` examples (all when ``n`` is 0 or None): the smoke profile's subsets."""
        if n is not None and (not isinstance(n, (int, np.integer)) or n < 0):
            raise MNISTError(f"subset size {n!r}: must be a non-negative integer (0 = all)")
        return self if not n else Split(self.images[:n], self.labels[:n])


@dataclass(frozen=True)
class MNIST:
    train: Split       # first 55,000 training images
    validation: Split  # last 5,000 training images: every model choice is made here
    test: Split        # 10,000 test images: final numbers only


def _pair(images_name: str, labels_name: str, specs) -> tuple[np.ndarray, np.ndarray]:
    images, labels = load_file(images_name, specs=specs), load_file(labels_name, specs=specs)
    if len(images) != len(labels):
        raise MNISTError(f"{images_name}: {len(images)} images but {labels_name} has {len(labels)} labels")
    return images, labels


def load_raw(specs: dict[str, IdxFile] | None = None) -> dict[str, np.ndarray]:
    """The four files as uint8 arrays, exactly as stored (0-255)."""
    x_train, y_train = _pair("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", specs)
    x_test, y_test = _pair("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", specs)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def split(raw: dict[str, np.ndarray], validation_size: int = VALIDATION_SIZE) -> MNIST:
    """Scale to float32 once and cut the last ``validation_size`` training images off."""
    n_train = len(raw["y_train"])
    if not 0 < validation_size < n_train:
        raise MNISTError(f"validation_size={validation_size}: must be between 1 and {n_train - 1}")

    def as_split(x, y):
        return Split(np.ascontiguousarray(x, dtype=np.float32) / np.float32(255.0), y.astype(np.int32))

    cut = n_train - validation_size
    return MNIST(
        train=as_split(raw["x_train"][:cut], raw["y_train"][:cut]),
        validation=as_split(raw["x_train"][cut:], raw["y_train"][cut:]),
        test=as_split(raw["x_test"], raw["y_test"]),
    )


@lru_cache(maxsize=2)
def load(validation_size: int = VALIDATION_SIZE) -> MNIST:
    """MNIST as float32 splits, read and verified once per process."""
    return split(load_raw(), validation_size)


# ------------------------------------------------------------------ describe
def file_table(specs: dict[str, IdxFile] | None = None):
    """One row per file: gz size on disk, decompressed size, IDX header and digest check."""
    import pandas as pd

    specs = CANONICAL if specs is None else specs
    rows = []
    for name, spec in specs.items():
        path, raw = _obtain(name, specs)
        header = raw[: 4 + 4 * spec.ndim]
        dims = tuple(int.from_bytes(header[4 + 4 * i: 8 + 4 * i], "big") for i in range(spec.ndim))
        rows.append({
            "file": name,
            "key": spec.key,
            "gz_kib": round(path.stat().st_size / 1024),
            "idx_bytes": len(raw),
            "magic": f"0x{int.from_bytes(header[:4], 'big'):08x}",
            "dims": " x ".join(map(str, dims)),
            "sha256_ok": True,  # _obtain raises otherwise
        })
    return pd.DataFrame(rows)


# The original distribution (LeCun, Cortes & Burges, yann.lecun.com/exdb/mnist) lists each .gz
# file with its size in bytes, and Liu & Fu's Table 1 prints them in kilobytes (9,912,422 / 1,024,
# rounded up, is their 9,681). A recompressed copy holds identical content (its decompressed digest
# is checked) in a .gz of another size, so a printed size is compared with these, never a mirror's.
ORIGINAL_GZ_BYTES = {
    "train-images-idx3-ubyte.gz": 9_912_422,
    "train-labels-idx1-ubyte.gz": 28_881,
    "t10k-images-idx3-ubyte.gz": 1_648_877,
    "t10k-labels-idx1-ubyte.gz": 4_542,
}


def kib_rounded_up(n_bytes: int) -> int:
    """Kilobytes as file listings print them: 1,024 bytes each, any remainder counting as one."""
    return -(-n_bytes // 1024)


def gz_sizes(specs: dict | None = None, original_bytes: dict[str, int] | None = None):
    """One row per file: the original distribution's ``.gz`` size (bytes, and KiB rounded up),
    the size of the copy in this project's cache, and whether that copy is the original file
    or a recompression of the same content. Loads (and verifies) the files first."""
    import pandas as pd

    specs = CANONICAL if specs is None else specs
    original_bytes = ORIGINAL_GZ_BYTES if original_bytes is None else original_bytes
    load_raw(specs)   # every file in the cache, verified by the digest of its content
    rows = []
    for name, spec in specs.items():
        original, cached = original_bytes[name], (paths.mnist_cache() / name).stat().st_size
        rows.append({"file": name, "key": spec.key, "original_bytes": original,
                     "original_kib": kib_rounded_up(original), "cache_bytes": cached,
                     "cache_kib": kib_rounded_up(cached),
                     "cache_copy": "the original file" if cached == original else
                                   "recompressed (same content, other gzip settings)"})
    return pd.DataFrame(rows)


def label_counts(mnist: MNIST):
    """Images per digit in each split, as a long table (split, digit, count)."""
    import pandas as pd

    frames = []
    for split_name in ("train", "validation", "test"):
        labels = getattr(mnist, split_name).labels
        counts = np.bincount(labels, minlength=10)
        frames.append(pd.DataFrame({"split": split_name, "digit": np.arange(10), "count": counts}))
    return pd.concat(frames, ignore_index=True)


def main() -> int:
    """``python -m mnist_utils.training.data``: fetch and verify the four files, one line each."""
    import sys

    try:
        for name in CANONICAL:
            print(f"{name}: verified, {fetch(name)}", flush=True)
    except MNISTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
