"""Chapter 1's page module on tiny hand-made inputs (no MNIST files, no training)."""
from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from mnist_utils.chapters import reading_page
from mnist_utils.judging.verdicts import Verdicts

KEYS = ("train_images", "train_labels", "test_images", "test_labels")
NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")
ORIGINAL = (9_912_422, 28_881, 1_648_877, 4_542)


def sizes(cache_bytes=ORIGINAL) -> pd.DataFrame:
    return pd.DataFrame({"file": NAMES, "key": KEYS, "original_bytes": ORIGINAL,
                         "original_kib": [-(-b // 1024) for b in ORIGINAL], "cache_bytes": cache_bytes,
                         "cache_kib": [-(-b // 1024) for b in cache_bytes], "cache_copy": ["the original file"] * 4})


def test_file_table_speaks_words():
    files = pd.DataFrame({"file": ["a.gz", "b.gz"], "key": ["a", "b"], "gz_kib": [1, 2],
                          "idx_bytes": [47_040_016, 10_008], "magic": ["0x00000803", "0x00000801"],
                          "dims": ["60000 x 28 x 28", "10000"], "sha256_ok": [True, True]})
    table = reading_page.file_table(files)
    assert list(table.columns) == ["file", "decompressed bytes", "magic number", "dimensions", "SHA-256 of the content"]
    assert table["decompressed bytes"].tolist() == ["47,040,016", "10,008"]
    assert table["dimensions"].tolist() == ["60000 × 28 × 28", "10000"]
    assert table["SHA-256 of the content"].tolist() == ["matches", "matches"]


def test_size_table_puts_the_papers_printed_sizes_beside_the_measured_ones():
    table = reading_page.size_table(sizes(cache_bytes=(9_630_000, 28_881, 1_600_000, 4_542)))
    assert table["Liu & Fu Table 1 (paper)"].tolist() == ["9,681 kb", "29 kb", "1,611 kb", "5 kb"]
    assert table["original .gz (bytes)"].tolist() == ["9,912,422", "28,881", "1,648,877", "4,542"]
    assert table["this cache (KiB, rounded up)"].tolist() == ["9,405", "29", "1,563", "5"]
    assert not [c for c in table.columns if "_" in c]


def test_cache_copy_sentence_tells_originals_from_recompressed_copies():
    assert "holds the original files" in reading_page.cache_copy_sentence(sizes())
    recompressed = reading_page.cache_copy_sentence(sizes(cache_bytes=(1, 28_881, 1_648_877, 4_542)))
    assert "recompressed copies" in recompressed


def test_pixel_text_prints_label_range_and_matrix():
    images = np.array([[[0, 7, 255], [1, 2, 3]]], dtype=np.uint8)
    text = reading_page.pixel_text(images, np.array([4]), 0)
    first, matrix = text.split("\n", 1)
    assert first == "label 4, shape (2, 3), dtype uint8, min 0, max 255"
    assert matrix == "[[  0   7 255]\n [  1   2   3]]"
    with pytest.raises(ValueError, match="sample_index=1"):
        reading_page.pixel_text(images, np.array([4]), 1)


def test_png_round_trip_is_lossless_and_a_changed_pixel_is_caught():
    image = np.random.default_rng(0).integers(0, 256, size=(28, 28), dtype=np.uint8)
    back = reading_page.png_round_trip(image)
    assert back.dtype == np.uint8 and np.array_equal(back, image)
    assert reading_page.round_trip_line(image, back).endswith("identical to the IDX pixels: yes")
    changed = back.copy()
    changed[3, 4] ^= 1
    assert not reading_page.identical(image, changed)
    with pytest.raises(AssertionError):
        reading_page.round_trip_line(image, changed)


def test_label_table_orders_the_splits_and_formats_counts():
    counts = pd.DataFrame({"split": ["test"] * 2 + ["train"] * 2 + ["validation"] * 2,
                           "digit": [0, 1] * 3, "count": [980, 1135, 5434, 6212, 489, 530]})
    table = reading_page.label_table(counts)
    assert table["split"].tolist() == ["training", "validation", "test"]
    assert table["1"].tolist() == ["6,212", "530", "1,135"]


def test_numbers_are_the_ones_the_prose_cites():
    images = np.zeros((3, 2, 2), dtype=np.uint8)
    images[1, 0, 0] = 200
    mnist = SimpleNamespace(train=[0] * 55_000, validation=[0] * 5_000, test=[0] * 10_000)
    values = reading_page.numbers(images, np.array([5, 0, 4]), mnist, 1, images[1].copy(), sizes(), 24)
    assert values["sample_label"] == 0 and values["sample_index"] == 1 and values["n_grid"] == 24
    assert values["round_trip"] == "identical" and values["value_range"] == "0–200"
    assert (values["n_train"], values["n_validation"], values["n_test"]) == ("55,000", "5,000", "10,000")
    assert reading_page.numbers(images, np.array([5, 0, 4]), mnist, 1, images[0], sizes(), 24)["round_trip"] == "different"


class Labelled:
    """A split as ``judge`` reads it: its length and its labels."""

    def __init__(self, labels):
        self.labels = labels

    def __len__(self):
        return len(self.labels)


def fake_mnist(first_label: int, test_classes: int = 10):
    """Labels and images shaped like MNIST's files (zeros, one full pixel), split 55,000 / 5,000;
    the test file's labels cycle through ``test_classes`` digits."""
    y_train = np.tile(np.arange(10, dtype=np.uint8), 6_000)
    y_train[0] = first_label
    x_train = np.zeros((60_000, 28, 28), dtype=np.uint8)
    x_train[0, 5, 5] = 255
    y_test = (np.arange(10_000) % test_classes).astype(np.uint8)
    raw = {"x_train": x_train, "y_train": y_train, "y_test": y_test}
    return raw, SimpleNamespace(train=Labelled(y_train[:55_000]), validation=Labelled(y_train[55_000:]))


def judge(raw, mnist, files, file_sizes) -> pd.DataFrame:
    """The notebook's deciding lines: every data claim's evidence under its declared rule."""
    checks = Verdicts("test", reading_page.CHAPTER)
    for claim_id, evidence in reading_page.data_evidence(raw, mnist, files, file_sizes).items():
        checks.decide(claim_id, evidence)
    return checks.frame()


@pytest.mark.parametrize("first_label, failing", [(5, set()), (3, {"wang2020.data.first_image_label"})])
def test_judge_reproduces_every_data_claim_on_mnist_shaped_data(tmp_path, monkeypatch, first_label, failing):
    for name in NAMES:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(reading_page.paths, "mnist_cache", lambda: tmp_path)
    raw, mnist = fake_mnist(first_label)
    files = pd.DataFrame({"file": NAMES})
    verdicts = judge(raw, mnist, files, sizes())
    assert len(verdicts) == 19
    assert set(verdicts.loc[verdicts["verdict"] != "reproduced", "claim_id"]) == failing


def test_a_digit_missing_from_the_test_file_fails_the_classes_check(tmp_path, monkeypatch):
    # The check reads both files: a test file without the 9s must not pass on the training file's labels.
    for name in NAMES:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(reading_page.paths, "mnist_cache", lambda: tmp_path)
    raw, mnist = fake_mnist(5, test_classes=9)
    verdicts = judge(raw, mnist, pd.DataFrame({"file": NAMES}), sizes()).set_index("claim_id")
    assert verdicts.loc["wang2020.data.digit_classes", "verdict"] == "not reproduced"
    assert "(9 classes)" in verdicts.loc["wang2020.data.digit_classes", "measured"]


def test_verdict_and_evidence_tables_name_claims_in_words():
    verdicts = pd.DataFrame({"claim_id": ["wang2020.data.first_image_label", "wang2020.data.validation_holdout"],
                             "verdict": ["reproduced", "reproduced"], "measured": ["5", "5,000 validation images"],
                             "how": ["measured 5, paper 5", "measured True, paper True"]})
    table = reading_page.verdict_table(verdicts)
    assert table["claim"].tolist() == ["The first training image is a 5 (Wang et al. (2020), §2.3, Figure 4)",
                                       ("Part of the training data must be held out as validation data "
                                        "(Wang et al. (2020), §2.2)")]
    evidence = reading_page.evidence_table(verdicts)
    assert evidence["how it was judged"].tolist() == ["measured 5, paper 5", "measured yes, paper yes"]
    assert "claim_id" not in evidence.columns
