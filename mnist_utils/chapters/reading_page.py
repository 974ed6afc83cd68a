"""Chapter 1 (reading MNIST): the tables, numbers and data-claim verdicts of the page.

Every function returns what a reader sees: frames with reader column names, strings, or a dict
of the numbers the prose cites. The notebook decides each data claim (``Verdicts.decide``, the rules of the
claims file); this module only gathers what each claim is judged on.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import claims, paths
from ..core.names import NAMES
from ..judging.verdicts import Evidence

CHAPTER = "01_reading_mnist"
SPLITS = ("train", "validation", "test")
SPLIT_NAMES = {"train": "training", "validation": "validation", "test": "test"}


def file_table(files: pd.DataFrame) -> pd.DataFrame:
    """``data.file_table()`` as readers see it: the IDX header of each file and its digest check."""
    return pd.DataFrame({
        "file": files["file"],
        "decompressed bytes": files["idx_bytes"].map("{:,}".format),
        "magic number": files["magic"],
        "dimensions": files["dims"].str.replace(" x ", " × "),
        "SHA-256 of the content": files["sha256_ok"].map({True: "matches", False: "differs"}),
    })


def size_table(file_sizes: pd.DataFrame) -> pd.DataFrame:
    """``data.gz_sizes()`` beside the sizes printed in Liu & Fu's Table 1."""
    return pd.DataFrame({
        "file": file_sizes["file"],
        "Liu & Fu Table 1 (paper)": [claims.claim(f"liu_fu.data.file_size.{k}")["as_printed"]
                                     for k in file_sizes["key"]],
        "original .gz (bytes)": file_sizes["original_bytes"].map("{:,}".format),
        "original .gz (KiB, rounded up)": file_sizes["original_kib"].map("{:,}".format),
        "this cache (KiB, rounded up)": file_sizes["cache_kib"].map("{:,}".format),
        "this cache holds": file_sizes["cache_copy"],
    })


def cache_copy_sentence(file_sizes: pd.DataFrame) -> str:
    """Whether the sizes above were measured on the original files or are the distribution's."""
    if (file_sizes["cache_bytes"] == file_sizes["original_bytes"]).all():
        return "This cache holds the original files: the sizes above were measured here."
    return ("This cache holds recompressed copies (the same content by SHA-256, other gzip settings), so their "
            "sizes differ; the claims are compared with the sizes the original distribution lists.")


def pixel_text(images: np.ndarray, labels: np.ndarray, index: int) -> str:
    """One training image as its label, shape and range, then its pixel matrix row by row."""
    if not 0 <= index < len(images):
        raise ValueError(f"sample_index={index}: must be in 0..{len(images) - 1}")
    image = images[index]
    with np.printoptions(linewidth=200):
        matrix = str(image)
    return (f"label {int(labels[index])}, shape {image.shape}, dtype {image.dtype}, "
            f"min {image.min()}, max {image.max()}\n{matrix}")


def png_round_trip(image: np.ndarray) -> np.ndarray:
    """``image`` written as PNG by ``cv2.imwrite`` and read back by ``cv2.imread`` (grayscale)."""
    import cv2

    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "image.png"
        if not cv2.imwrite(str(png), image):
            raise OSError(f"{png}: cv2.imwrite failed")
        back = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    if back is None:
        raise OSError(f"{png}: cv2.imread read nothing")
    return back


def identical(image: np.ndarray, back: np.ndarray) -> bool:
    """The same pixels, the same shape and 8-bit unsigned: a lossless round trip."""
    return back.dtype == np.uint8 and back.shape == image.shape and np.array_equal(back, image)


def round_trip_line(image: np.ndarray, back: np.ndarray) -> str:
    """What the round trip gave back; raises when it changed the pixels."""
    if not identical(image, back):
        raise AssertionError("PNG round trip changed the pixels")
    return f"PNG read back: shape {back.shape}, dtype {back.dtype}, identical to the IDX pixels: yes"


def label_table(counts: pd.DataFrame) -> pd.DataFrame:
    """``data.label_counts`` as one row per split and one column per digit, counts with commas."""
    wide = counts.pivot(index="split", columns="digit", values="count").loc[list(SPLITS)]
    wide.columns = [str(d) for d in wide.columns]
    wide = wide.apply(lambda col: col.map("{:,}".format))
    return wide.rename(index=SPLIT_NAMES).rename_axis("split").reset_index()


def numbers(images: np.ndarray, labels: np.ndarray, mnist, sample_index: int, back: np.ndarray,
            file_sizes: pd.DataFrame, n_grid: int) -> dict:
    """The numbers and phrases the prose cites."""
    return {
        "cache_copy_sentence": cache_copy_sentence(file_sizes),
        "n_grid": n_grid,
        "sample_index": sample_index,
        "sample_label": int(labels[sample_index]),
        "round_trip": "identical" if identical(images[sample_index], back) else "different",
        "value_range": f"{back.min()}–{back.max()}",
        **{f"n_{split}": f"{len(getattr(mnist, split)):,}" for split in SPLITS},
    }


def data_evidence(raw: dict, mnist, files: pd.DataFrame, file_sizes: pd.DataFrame) -> dict[str, Evidence]:
    """What the files hold against what the papers print, one ``Evidence`` per data claim, in the
    page's order (each claim's rule compares the value with the printed one)."""
    found = {}

    def exact(claim_id, measured):
        found[claim_id] = Evidence(", ".join(f"{v:,}" for v in measured), {
            "value": list(measured), "expected": list(claims.values(claim_id))})

    def judged(claim_id, measured, value, expected):
        found[claim_id] = Evidence(measured, {"value": value, "expected": expected})

    x, y = raw["x_train"], raw["y_train"]
    n_train_file, n_test_file = len(y), len(raw["y_test"])
    for claim_id in ("liu_fu.data.train_test_split", "wang2020.data.train_test_split"):
        exact(claim_id, (n_train_file, n_test_file))
    exact("wang2020.data.total_images", (n_train_file + n_test_file,))
    # The 55,000/5,000 split is the book's own, made as TensorFlow's tutorial made it: the check
    # says so rather than pass for a property of the files.
    judged("liu_fu.data.train_validation_split",
           f"{len(mnist.train):,}, {len(mnist.validation):,} (the book's own split of the training file, made as "
           "the tutorial makes it: as stated, not measured)",
           [len(mnist.train), len(mnist.validation)], list(claims.values("liu_fu.data.train_validation_split")))
    exact("liu_fu.data.test_file_count", (n_test_file,))
    for claim_id in ("liu_fu.data.file_count", "wang2020.data.file_count"):
        exact(claim_id, (len(files),))
    for claim_id in ("liu_fu.data.image_shape", "wang2020.data.image_shape"):
        exact(claim_id, x.shape[1:])
    # Every digit class in both files, not in the training file only.
    y_test = raw["y_test"]
    in_each = [sorted(set(map(int, labels))) for labels in (y, y_test)]
    every = in_each[0] == in_each[1] == list(range(in_each[0][0], in_each[0][-1] + 1))   # no class missing
    said = [f"{c[0]}–{c[-1]} in the {f} file ({len(c)} classes)" for c, f in zip(in_each, ("training", "test"))]
    judged("wang2020.data.digit_classes", ", ".join(said),
           [in_each[0][0], in_each[0][-1]] if every else [len(in_each[0]), len(in_each[1])],
           list(claims.values("wang2020.data.digit_classes")))
    exact("wang2020.data.first_image_label", (int(y[0]),))
    exact("wang2020.data.pixel_range", (int(x.min()), int(x.max())))
    for _, row in file_sizes.iterrows():
        claim_id = f"liu_fu.data.file_size.{row['key']}"
        source = ("measured: the cache holds the original file" if row["cache_bytes"] == row["original_bytes"] else
                  f"as the original distribution lists it, not measured: the recompressed copy here is "
                  f"{row['cache_kib']:,} KiB")
        judged(claim_id, f"{row['original_kib']:,} KiB ({row['original_bytes']:,} bytes rounded up, {source})",
               row["original_kib"], claims.values(claim_id)[0])
    # The names are measured (the files on disk); their printed order is the distribution's listing, as stated.
    on_disk = sorted(p.name for p in paths.mnist_cache().glob("*.gz"))
    judged("liu_fu.data.file_names", f"{', '.join(on_disk)} (the names on disk; the printed order is the "
           "distribution's, as stated, not measured)", on_disk, sorted(claims.values("liu_fu.data.file_names")))
    channels = 1 if x.ndim == 3 else x.shape[-1]   # idx3: n × rows × columns, no channel axis
    judged("liu_fu.data.grayscale", f"{channels} intensity per pixel ({x.dtype}, idx3 dimensions "
           f"{' × '.join(map(str, x.shape))})", [channels], claims.values("liu_fu.data.grayscale"))
    cut = len(mnist.train)
    held_out = (len(mnist.validation) > 0 and np.array_equal(mnist.validation.labels, y[cut:])
                and np.array_equal(mnist.train.labels, y[:cut]))
    judged("wang2020.data.validation_holdout", f"{len(mnist.validation):,} validation images, indices "
           f"{cut:,}–{n_train_file - 1:,} of the training file; training uses indices 0–{cut - 1:,} (the "
           "book's own hold-out, checked to share no image with training)",
           [bool(held_out)], claims.values("wang2020.data.validation_holdout"))
    return found


def claim_words(claim_id: str) -> str:
    """A claim as the claims file words it, with its paper and section."""
    entry = claims.claim(claim_id)
    paper = NAMES.get(entry["paper"], entry["paper"])
    return f"{entry['claim']} ({paper}, {entry['where']})" if entry.get("where") else f"{entry['claim']} ({paper})"


def verdict_table(verdicts: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: the claim in words and its verdict."""
    return pd.DataFrame({"claim": verdicts["claim_id"].map(claim_words), "verdict": verdicts["verdict"]})


def evidence_table(verdicts: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: the claim in words, what was measured and how the rule compared it."""
    return pd.DataFrame({"claim": verdicts["claim_id"].map(claim_words), "measured here": verdicts["measured"],
                         "how it was judged": verdicts["how"].fillna("").str.replace("True", "yes")
                         .str.replace("False", "no")})
