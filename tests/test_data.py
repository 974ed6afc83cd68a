"""mnist_utils.training.data on tiny synthetic IDX files: parse, verify, fetch order, splits.

No test touches the network: ``synth`` replaces ``data._download`` with a failure
(one test uses the real downloader against a closed local port).
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, idx_bytes

from mnist_utils.training import data
from mnist_utils.training.data import MNISTError

REAL_DOWNLOAD = data._download  # captured before any fixture replaces it


def one_line(exc_info) -> str:
    message = str(exc_info.value)
    assert "\n" not in message, message
    return message


# ---------------------------------------------------------------------- parse
def test_parse_idx_round_trips_images_and_labels():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)

    got_images = data.parse_idx(idx_bytes(images), "img")
    got_labels = data.parse_idx(idx_bytes(labels), "lab")

    assert got_images.shape == (6, 28, 28) and got_images.dtype == np.uint8
    np.testing.assert_array_equal(got_images, images)
    assert got_labels.shape == (6,)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("magic", [b"\x00\x00\x08\x02", b"\x00\x00\x09\x03", b"\x01\x00\x08\x01", b"PK\x03\x04"])
def test_parse_idx_wrong_magic(magic):
    raw = magic + idx_bytes(np.zeros((2, 28, 28), np.uint8))[4:]
    with pytest.raises(MNISTError) as exc:
        data.parse_idx(raw, "some-file.gz")
    message = one_line(exc)
    assert message.startswith("some-file.gz:") and "magic" in message


@pytest.mark.parametrize("raw", [b"", b"\x00\x00", b"\x00\x00\x08\x03" + b"\x00\x00\x00\x06" + b"\x00\x00"])
def test_parse_idx_truncated_header(raw):
    with pytest.raises(MNISTError) as exc:
        data.parse_idx(raw, "short.idx")
    message = one_line(exc)
    assert message.startswith("short.idx:")
    assert "header" in message or "too short" in message


@pytest.mark.parametrize("delta", [-1, +1, -784])
def test_parse_idx_header_and_data_length_disagree(delta):
    raw = idx_bytes(np.zeros((3, 28, 28), np.uint8))
    raw = raw[:delta] if delta < 0 else raw + b"\x00" * delta
    with pytest.raises(MNISTError) as exc:
        data.parse_idx(raw, "train-images-idx3-ubyte.gz")
    message = one_line(exc)
    assert message.startswith("train-images-idx3-ubyte.gz:")
    assert "(3, 28, 28)" in message and str(len(raw)) in message


# ------------------------------------------------------------- damaged input
def damaged(kind: str, good_gz: bytes, raw: bytes) -> bytes:
    if kind == "truncated gzip":
        return good_gz[: len(good_gz) // 2]
    if kind == "corrupt gzip":
        return b"this is not a gzip file at all" * 10
    if kind == "SHA-256":  # a valid gzip of different content
        return gzip.compress(raw[:-1] + bytes([raw[-1] ^ 0xFF]), mtime=0)
    raise AssertionError(kind)


@pytest.mark.parametrize("where", ["cache", "mirror"])
@pytest.mark.parametrize("kind", ["truncated gzip", "corrupt gzip", "SHA-256"])
def test_damaged_file_is_rejected_with_a_one_line_error(synth, kind, where):
    name = TRAIN_IMAGES
    bad = damaged(kind, synth.gz(name), synth.raw[name])
    path = synth.put(getattr(synth, where), name, bad)

    with pytest.raises(MNISTError) as exc:
        data.load_file(name, specs=synth.specs)
    message = one_line(exc)
    assert message.startswith(f"{name}:")
    assert f"{where}: {path}" in message  # the damaged copy is named, with its place
    assert kind in message
    assert synth.downloads == [name]  # the download was tried (and failed) after it
    if where == "mirror":
        assert not (synth.cache / name).exists()
    else:
        assert (synth.cache / name).read_bytes() == bad  # not deleted, not replaced by anything


def test_verify_names_the_file(synth):
    path = synth.put(synth.mirror, TRAIN_LABELS, b"\x1f\x8b garbage")
    with pytest.raises(MNISTError) as exc:
        data.verify(path, synth.specs[TRAIN_LABELS])
    assert one_line(exc).startswith(str(path))


@pytest.mark.parametrize("labels, count, expected", [
    ([5, 0, 4, 1, 9, 2], 7, "6 items, expected 7"),          # count differs from the spec
    ([5, 0, 4, 10, 9, 2], None, "label 10 at index 3"),       # a label that is not a digit
])
def test_bad_label_file_contents(synth, labels, count, expected):
    specs = synth.with_spec(TRAIN_LABELS, np.array(labels, np.uint8), count=count)
    synth.put(synth.mirror, TRAIN_LABELS)
    with pytest.raises(MNISTError) as exc:
        data.load_file(TRAIN_LABELS, specs=specs)
    message = one_line(exc)
    assert message.startswith(f"{TRAIN_LABELS}:") and expected in message


def test_dimension_mismatch_with_spec(synth):
    specs = synth.with_spec(TRAIN_IMAGES, np.zeros(6, np.uint8))  # a labels-shaped file posing as images
    specs = {**specs, TRAIN_IMAGES: data.IdxFile(TRAIN_IMAGES, "x", specs[TRAIN_IMAGES].sha256, 3, 6)}
    synth.put(synth.mirror, TRAIN_IMAGES)
    with pytest.raises(MNISTError) as exc:
        data.load_file(TRAIN_IMAGES, specs=specs)
    assert one_line(exc).startswith(f"{TRAIN_IMAGES}: 1 dimensions, expected 3")


def test_images_and_labels_counts_must_agree(synth):
    specs = synth.with_spec(TRAIN_LABELS, np.array([5, 0, 4, 1, 9], np.uint8))
    for name in specs:
        synth.put(synth.mirror, name)
    with pytest.raises(MNISTError) as exc:
        data.load_raw(specs)
    message = one_line(exc)
    assert TRAIN_IMAGES in message and TRAIN_LABELS in message
    assert "6 images" in message and "5 labels" in message


def test_missing_file_without_network(synth):
    with pytest.raises(MNISTError) as exc:
        data.fetch(TEST_LABELS, specs=synth.specs)
    message = one_line(exc)
    assert message.startswith(f"{TEST_LABELS}: no valid copy found")
    assert "mirror:" in message and "file not found" in message
    assert "ConnectionError" in message
    assert not synth.cache.exists() or not any(synth.cache.iterdir())


def test_missing_file_without_mirror_suggests_one(synth, monkeypatch):
    monkeypatch.delenv("MNIST_MIRROR")
    with pytest.raises(MNISTError) as exc:
        data.fetch(TEST_LABELS, specs=synth.specs)
    message = one_line(exc)
    assert message.startswith(f"{TEST_LABELS}:") and "$MNIST_MIRROR" in message


def test_real_downloader_failure_is_one_line(synth, monkeypatch):
    """pooch against a closed local port: fails fast, reported per URL, no cache file."""
    monkeypatch.setattr(data, "_download", REAL_DOWNLOAD)
    with pytest.raises(MNISTError) as exc:
        data.fetch(TEST_LABELS, specs=synth.specs, urls=("http://127.0.0.1:9/",))
    message = one_line(exc)
    assert message.startswith(f"{TEST_LABELS}:") and "download http://127.0.0.1:9/:" in message
    assert not (synth.cache / TEST_LABELS).exists()


def test_unknown_name(synth):
    with pytest.raises(MNISTError) as exc:
        data.fetch("mnist.npz", specs=synth.specs)
    assert one_line(exc).startswith("mnist.npz: not an MNIST file")


# ------------------------------------------------------------- fetch order
def test_mirror_copy_lands_in_cache_and_verifies(synth):
    good = synth.put(synth.mirror, TRAIN_IMAGES)

    path = data.fetch(TRAIN_IMAGES, specs=synth.specs)

    assert path == synth.cache / TRAIN_IMAGES
    assert path.read_bytes() == good.read_bytes()
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert sorted(p.name for p in synth.cache.iterdir()) == [TRAIN_IMAGES]  # no .part left
    assert synth.downloads == []
    data.verify(path, synth.specs[TRAIN_IMAGES])
    np.testing.assert_array_equal(data.load_file(TRAIN_IMAGES, specs=synth.specs), synth.arrays[TRAIN_IMAGES])


def test_cache_is_used_before_the_mirror(synth):
    cached = synth.put(synth.cache, TRAIN_LABELS)
    before = cached.read_bytes(), cached.stat().st_mtime_ns
    (synth.mirror / TRAIN_LABELS).unlink(missing_ok=True)

    assert data.fetch(TRAIN_LABELS, specs=synth.specs) == cached
    assert (cached.read_bytes(), cached.stat().st_mtime_ns) == before
    assert synth.downloads == []


@pytest.mark.parametrize("kind", ["truncated gzip", "corrupt gzip", "SHA-256"])
def test_corrupt_mirror_never_replaces_good_cache(synth, kind):
    cached = synth.put(synth.cache, TRAIN_IMAGES)
    before = cached.read_bytes()
    synth.put(synth.mirror, TRAIN_IMAGES, damaged(kind, before, synth.raw[TRAIN_IMAGES]))

    np.testing.assert_array_equal(data.load_file(TRAIN_IMAGES, specs=synth.specs), synth.arrays[TRAIN_IMAGES])
    assert cached.read_bytes() == before
    assert sorted(p.name for p in synth.cache.iterdir()) == [TRAIN_IMAGES]


def test_corrupt_cache_and_corrupt_mirror_leave_cache_untouched(synth):
    bad_cache = b"old damaged cache"
    synth.put(synth.cache, TRAIN_IMAGES, bad_cache)
    synth.put(synth.mirror, TRAIN_IMAGES, synth.gz(TRAIN_IMAGES)[:100])
    with pytest.raises(MNISTError) as exc:
        data.fetch(TRAIN_IMAGES, specs=synth.specs)
    message = one_line(exc)
    assert "cache:" in message and "mirror:" in message
    assert (synth.cache / TRAIN_IMAGES).read_bytes() == bad_cache
    assert sorted(p.name for p in synth.cache.iterdir()) == [TRAIN_IMAGES]


def test_corrupt_cache_is_replaced_from_good_mirror(synth):
    synth.put(synth.cache, TRAIN_IMAGES, synth.gz(TRAIN_IMAGES)[:-10])
    good = synth.put(synth.mirror, TRAIN_IMAGES)

    path = data.fetch(TRAIN_IMAGES, specs=synth.specs)

    assert path.read_bytes() == good.read_bytes()
    assert gzip.decompress(path.read_bytes()) == synth.raw[TRAIN_IMAGES]
    assert sorted(p.name for p in synth.cache.iterdir()) == [TRAIN_IMAGES]
    assert synth.downloads == []


def test_install_is_atomic_when_the_copy_fails(synth, monkeypatch):
    """A copy that dies half-way (disk full) leaves the cached file as it was, and no temp file."""
    old = b"damaged cache bytes"
    synth.put(synth.cache, TRAIN_IMAGES, old)
    synth.put(synth.mirror, TRAIN_IMAGES)

    def copy_half_then_fail(src, dst, *args, **kwargs):
        Path(dst).write_bytes(Path(src).read_bytes()[:50])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(data.shutil, "copyfile", copy_half_then_fail)
    with pytest.raises(OSError):
        data.fetch(TRAIN_IMAGES, specs=synth.specs)
    assert (synth.cache / TRAIN_IMAGES).read_bytes() == old
    assert sorted(p.name for p in synth.cache.iterdir()) == [TRAIN_IMAGES]


def fake_download(content: bytes, calls: list):
    def download(spec, urls, workdir):
        calls.append(workdir)
        got = Path(workdir) / spec.name
        got.write_bytes(content)
        return got, []
    return download


@pytest.mark.parametrize("cached", [None, b"damaged cache bytes"])
def test_failed_download_does_not_touch_cache(synth, monkeypatch, cached):
    if cached is not None:
        synth.put(synth.cache, TEST_IMAGES, cached)
    calls = []
    monkeypatch.setattr(data, "_download", fake_download(b"\x1f\x8b\x08\x00corrupt", calls))

    with pytest.raises(MNISTError) as exc:
        data.fetch(TEST_IMAGES, specs=synth.specs)
    message = one_line(exc)
    assert message.startswith(f"{TEST_IMAGES}:") and "download:" in message
    assert len(calls) == 1 and not calls[0].exists()  # the download's temp dir is gone
    if cached is None:
        assert not (synth.cache / TEST_IMAGES).exists()
    else:
        assert (synth.cache / TEST_IMAGES).read_bytes() == cached
    assert [p.name for p in synth.cache.glob(".*")] == []


def test_good_download_is_installed(synth, monkeypatch):
    calls = []
    monkeypatch.setattr(data, "_download", fake_download(synth.gz(TEST_IMAGES), calls))
    path = data.fetch(TEST_IMAGES, specs=synth.specs)
    assert path == synth.cache / TEST_IMAGES
    assert gzip.decompress(path.read_bytes()) == synth.raw[TEST_IMAGES]
    assert len(calls) == 1 and not calls[0].exists()


# --------------------------------------------------------------------- splits
def test_load_raw_and_split(synth):
    for name in synth.specs:
        synth.put(synth.mirror, name)
    raw = data.load_raw(synth.specs)
    assert {k: v.shape for k, v in raw.items()} == {
        "x_train": (6, 28, 28), "y_train": (6,), "x_test": (4, 28, 28), "y_test": (4,)}

    mnist = data.split(raw, validation_size=2)

    assert (len(mnist.train), len(mnist.validation), len(mnist.test)) == (4, 2, 4)
    x, y = synth.arrays[TRAIN_IMAGES], synth.arrays[TRAIN_LABELS]
    np.testing.assert_array_equal(mnist.validation.labels, y[-2:])
    np.testing.assert_array_equal(mnist.train.labels, y[:4])
    np.testing.assert_allclose(mnist.validation.images, x[-2:] / 255.0, rtol=0, atol=1e-7)
    np.testing.assert_allclose(mnist.train.images, x[:4] / 255.0, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(mnist.test.labels, synth.arrays[TEST_LABELS])
    for part in (mnist.train, mnist.validation, mnist.test):
        assert part.images.dtype == np.float32 and part.labels.dtype == np.int32
        assert part.images.min() >= 0.0 and part.images.max() <= 1.0
    assert mnist.train.images.max() == 1.0 and mnist.train.images.min() == 0.0
    assert len(mnist.train.head(3)) == 3 and mnist.train.head(None) is mnist.train


@pytest.mark.parametrize("size", [0, -1, 6, 7])
def test_split_rejects_invalid_validation_size(synth, size):
    raw = {"x_train": synth.arrays[TRAIN_IMAGES], "y_train": synth.arrays[TRAIN_LABELS],
           "x_test": synth.arrays[TEST_IMAGES], "y_test": synth.arrays[TEST_LABELS]}
    with pytest.raises(MNISTError) as exc:
        data.split(raw, validation_size=size)
    assert one_line(exc).startswith(f"validation_size={size}:")


# ----------------------------------------------------------------- real MNIST
REAL_MIRROR = os.environ.get("MNIST_MIRROR")


@pytest.mark.skipif(
    not REAL_MIRROR or not all((Path(REAL_MIRROR) / n).is_file() for n in data.CANONICAL),
    reason="$MNIST_MIRROR does not point at a directory holding the four canonical MNIST files",
)
def test_real_mnist_from_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_CACHE", str(tmp_path / "cache"))

    def no_network(spec, urls, workdir):
        raise AssertionError(f"tried to download {spec.name}")

    monkeypatch.setattr(data, "_download", no_network)
    data.load.cache_clear()
    try:
        mnist = data.load()
    finally:
        data.load.cache_clear()

    assert (len(mnist.train), len(mnist.validation), len(mnist.test)) == (55_000, 5_000, 10_000)
    assert mnist.train.images.shape == (55_000, 28, 28)
    assert mnist.train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.test.labels[:5].tolist() == [7, 2, 1, 0, 4]
    all_train = np.concatenate([mnist.train.images, mnist.validation.images])
    assert abs(float(all_train.mean(dtype=np.float64)) - 0.1307) < 1e-3
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(data.CANONICAL)


# ------------------------------------------------------------ file sizes
def test_kib_rounded_up_gives_the_sizes_liu_and_fu_print():
    printed = {"train-images-idx3-ubyte.gz": 9681, "train-labels-idx1-ubyte.gz": 29,
               "t10k-images-idx3-ubyte.gz": 1611, "t10k-labels-idx1-ubyte.gz": 5}   # their Table 1
    assert {name: data.kib_rounded_up(n) for name, n in data.ORIGINAL_GZ_BYTES.items()} == printed
    assert data.kib_rounded_up(1024) == 1 and data.kib_rounded_up(1025) == 2


def test_gz_sizes_tells_the_original_file_from_a_recompressed_copy(synth):
    for name in synth.specs:
        synth.put(synth.mirror, name)
    on_disk = {name: len(synth.gz(name)) for name in synth.specs}
    original = {**on_disk, TRAIN_IMAGES: on_disk[TRAIN_IMAGES] + 1}   # as if the mirror recompressed it
    table = data.gz_sizes(specs=synth.specs, original_bytes=original).set_index("file")
    assert table.loc[TRAIN_IMAGES, "cache_copy"].startswith("recompressed")
    assert table.loc[TRAIN_LABELS, "cache_copy"] == "the original file"
    assert table.loc[TRAIN_LABELS, "cache_bytes"] == on_disk[TRAIN_LABELS]
    assert table.loc[TRAIN_IMAGES, "original_kib"] == data.kib_rounded_up(on_disk[TRAIN_IMAGES] + 1)
