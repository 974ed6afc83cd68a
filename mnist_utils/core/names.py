"""The names readers see instead of internal identifiers: one map (``NAMES``) for models,
configurations, columns, papers and the other ids a table or figure would otherwise print; claim
ids read as their words in the claims file (``claim_label``); any other snake_case id humanised.
Every layer that writes reader text (verdicts, tables, figures, chapters) takes its names here.
"""
from __future__ import annotations

import re

from . import claims

# Every identifier a reader might otherwise see, by what it names. Column names keep the
# book's lower-case style; a unit the header names is not repeated in its cells.
# The finding under which a claim judged again on the second implementation's runs is recorded
# (a second look beside the verdict of record: a robustness check, not another set-up).
SECOND_IMPLEMENTATION = "Flax"

NAMES = {
    # models and configurations (``models.BUILDERS``, ``experiments.CNN_ABLATIONS``, activations)
    "softmax": "softmax regression", "lenet5": "LeNet-5", "liu_fu_cnn": "Liu & Fu CNN",
    "fully_connected": "fully connected", "shared": "shared weights",
    "sigmoid": "Sigmoid", "relu": "ReLU", "elu": "ELU", "tanh": "Tanh",
    "no_batch_norm": "without batch norm", "no_dropout": "without dropout",
    "unfactorised": "unfactorised 5×5 C1", "max_final_pool": "max pooling at the end",
    "adam": "Adam", "sgd": "SGD", "momentum": "SGD with momentum", "rmsprop": "RMSprop",
    "tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch",
    "liu_fu": "Liu & Fu", "wang2020": "Wang et al. (2020)",
    # benchmark levers and the training loop they are compared with
    "mnist_utils.train": "this book's training loop", "steps_per_execution": "steps per execution",
    "jit_compile": "XLA compilation", "numpy_input": "NumPy input", "eval_every": "evaluation every",
    # columns: data files (chapter 1)
    "idx_bytes": "IDX file (bytes)", "magic": "magic number", "dims": "dimensions",
    "sha256_ok": "SHA-256 matches", "original_bytes": "original .gz (bytes)",
    "original_kib": "original .gz (KiB)", "cache_kib": "this cache (KiB)",
    # columns: claims and verdicts
    "claim_id": "claim", "id": "claim", "as_printed": "as printed", "also_as_printed": "also printed",
    "headline_paper": "the paper", "how": "how it was judged", "ran": "budget that ran",
    "rule_args": "rule arguments", "second_look": "second look",
    # columns: runs and their results
    "config": "configuration", "run_id": "run", "run_key": "run key", "seed": "seed", "step": "iterations",
    "steps": "iterations", "epoch": "epoch", "lr": "learning rate", "learning_rate": "learning rate",
    "test_accuracy": "test accuracy", "val_accuracy": "validation accuracy",
    "train_accuracy": "training accuracy", "val_loss": "validation loss", "train_loss": "training loss",
    "train_eval_loss": "training loss (inference mode)", "test_error_pct": "test error (%)",
    "best_epoch": "best epoch", "stop_epoch": "stopped at epoch", "best_epoch_min": "best epoch (min)",
    "best_epoch_max": "best epoch (max)", "stopped_before_cap": "stopped before the cap",
    "mean_epochs": "mean epochs", "mean_epochs_to_threshold": "mean epochs to the threshold",
    "val_acc_mean": "mean validation accuracy", "val_acc_ci95": "± 95% CI (validation)",
    "test_acc_mean": "mean test accuracy", "test_acc_ci95": "± 95% CI (test)",
    "mean_test_accuracy": "mean test accuracy", "differs_from_stored": "differs from the stored run",
    "most_predicted_wrong": "most-predicted wrong digit", "last_checkpoints": "last checkpoints",
    "checkpoint_range_pp": "checkpoint range (pp)", "share": "share of errors",
    "max_share": "largest share of errors", "mean_share": "mean share of errors",
    "accuracy_pp": "accuracy change (pp)", "share_pp": "share change (pp)",
    "late_gain": "late gain", "slow_steps": "iterations (slower)", "fast_steps": "iterations (faster)",
    "budget_steps": "budget (iterations)", "input_over_output": "input / output gradient",
    "layer_spread": "spread over layers",
    # columns: statistics
    "n": "n", "mean": "mean", "sd": "SD", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "ci_half": "± 95% CI", "diff": "difference", "p_value": "p-value",
    # columns: compute
    "images_per_s": "images/s", "wall_seconds": "wall time (s)", "wall_s": "wall time (s)",
}

# Words a humanised identifier spells differently ("ci_low" -> "CI low").
_WORDS = {"ci": "CI", "sd": "SD", "id": "ID", "pp": "(pp)", "bn": "BN", "cnn": "CNN", "gpu": "GPU",
          "cpu": "CPU", "idx": "IDX", "jax": "JAX", "kib": "(KiB)", "mib": "(MiB)", "val": "validation",
          "acc": "accuracy", "lr": "learning rate", "ok": "OK", "sha256": "SHA-256", "xla": "XLA",
          "relu": "ReLU", "elu": "ELU", "pct": "(%)", "ci95": "95% CI", "lenet5": "LeNet-5"}

_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\.[a-z_][a-z0-9_]*)*\b")
_CLAIM_ID = re.compile(r"^(?:liu_fu|wang2020|lecun_page)\.[a-z0-9_.]+$")
_CLAIM_IDS = re.compile(r"\b(?:liu_fu|wang2020|lecun_page)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*")


def humanise(identifier: str) -> str:
    """An identifier no map names, in words: underscores become spaces and short words are
    spelled out (``ci_low`` -> "CI low", ``val_loss_pp`` -> "validation loss (pp)")."""
    parts = [p for p in re.split(r"[_\s]+", str(identifier)) if p]
    return " ".join(_WORDS.get(p, p) for p in parts)


def claim_label(claim_id: str) -> str:
    """A claim as readers see it: its ``headline`` in the claims file, else its ``claim`` text;
    an unknown id reads as its last part in words."""
    try:
        entry = claims.claim(claim_id)
    except KeyError:
        return humanise(claim_id.rsplit(".", 1)[-1])
    return entry.get("headline") or entry.get("claim") or humanise(claim_id.rsplit(".", 1)[-1])


def name(key) -> str:
    """The display name of an internal identifier: a claim id, a configuration, a column, a
    benchmark lever; anything else in snake_case humanised, never the raw id. Other values
    (numbers, text with spaces) come back as ``str``."""
    if not isinstance(key, str):
        return str(key)
    if key in NAMES:
        return NAMES[key]
    if _CLAIM_ID.match(key):
        return claim_label(key)
    if _SNAKE.fullmatch(key):
        return humanise(key)
    return words(key)


def words(text) -> str:
    """Text with every internal identifier inside it replaced by its display name: claim ids
    by their words, known ids by ``NAMES``, other snake_case tokens humanised
    ("liu_fu_cnn 16/32/32: no_dropout" -> "Liu & Fu CNN 16/32/32: without dropout")."""
    if not isinstance(text, str):
        return text
    text = _CLAIM_IDS.sub(lambda m: claim_label(m.group(0)), text)
    text = _SNAKE.sub(lambda m: NAMES.get(m.group(0)) or humanise(m.group(0)), text)
    text = re.sub(r"(?<=\w)=(True|False)\b", lambda m: " on" if m.group(1) == "True" else " off", text)
    text = re.sub(r"(?<=[A-Za-z])=(?=[\w.])", " = ", text)          # "steps per execution = 8"
    return _WHOLE_WORDS.sub(lambda m: NAMES[m.group(0)], text)


# Single-word ids that read as code wherever they stand ("lenet5 b128" -> "LeNet-5 b128",
# "relu − sigmoid" -> "ReLU − Sigmoid").
_WHOLE_WORDS = re.compile(r"\b(?:lenet5|tensorflow|relu|elu|sigmoid)\b")
