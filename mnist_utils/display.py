"""What readers see instead of internal names and raw values.

One display-name map (``NAMES``) for configurations, columns and the other identifiers a
table or figure would otherwise print; claim ids read as their words in the claims file
(``claim_label``). Number formatters per kind (accuracy, percentage points, images/s,
integers, p-values, yes/no, counts with their plural), and ``table``: a tidy frame as a
reader's table, its columns renamed and each formatted by its kind, drawn by ``report``
(padded cells, verdicts as badges that do not wrap, long tables collapsed under a summary).

    display.show(summary, kinds={"diff": "difference"})      # in a chapter
    glue("claims_table", display.table(ledger, summary=display.verdict_summary(ledger["verdict"])))
"""
from __future__ import annotations

import math
import numbers
import re

import pandas as pd

from . import claims, report

# ----------------------------------------------------------------------------- names
# Every identifier a reader might otherwise see, by what it names. Column names keep the
# book's lower-case style; a unit the header names is not repeated in its cells.
NAMES = {
    # models and configurations (``models.BUILDERS``, ``experiments.CNN_ABLATIONS``, activations)
    "softmax": "softmax regression", "lenet5": "LeNet-5", "liu_fu_cnn": "Liu & Fu CNN",
    "fully_connected": "fully connected", "shared": "shared weights",
    "sigmoid": "Sigmoid", "relu": "ReLU", "elu": "ELU", "tanh": "Tanh",
    "no_batch_norm": "without batch norm", "no_dropout": "without dropout",
    "unfactorised": "unfactorised kernels", "max_final_pool": "max pooling at the end",
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


# ----------------------------------------------------------------------------- numbers
def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def accuracy(value) -> str:
    """An accuracy (a fraction in [0, 1]) to 4 decimals: 0.91357 -> "0.9136"."""
    return "—" if _missing(value) else f"{float(value):.4f}"


def pp(value, unit: bool = True, decimals: int = 2) -> str:
    """A difference already in percentage points, signed: 0.42 -> "+0.42 pp", -1.5 -> "−1.50 pp"
    (a true minus sign); ``unit=False`` where the column's header names the unit."""
    if _missing(value):
        return "—"
    text = f"{float(value):+.{decimals}f}".replace("-", "−")
    if text in (f"+{0:.{decimals}f}", f"−{0:.{decimals}f}"):
        text = f"{0:.{decimals}f}"            # no sign on a zero
    return f"{text} pp" if unit else text


def difference(value, unit: bool = True, decimals: int = 2) -> str:
    """A difference of two accuracies (fractions), in percentage points: 0.0042 -> "+0.42 pp"."""
    return "—" if _missing(value) else pp(float(value) * 100, unit, decimals)


def integer(value) -> str:
    """Iterations, steps, counts, bytes: a whole number with thousands separators, never a
    decimal point: 2500.0 -> "2,500". A value that is not whole is rounded."""
    return "—" if _missing(value) else f"{round(float(value)):,}"


def images_per_s(value, unit: bool = True) -> str:
    """A throughput, whole images per second: 1234.4 -> "1,234 images/s" ("1,234" with ``unit=False``)."""
    if _missing(value):
        return "—"
    return f"{integer(value)} images/s" if unit else integer(value)


def p_value(value) -> str:
    """A p-value to 3 decimals, and "< 0.001" below that: 0.0427 -> "0.043", 2e-05 -> "< 0.001"."""
    if _missing(value):
        return "—"
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def yes_no(value) -> str:
    """A boolean as a word: True, "True", 1.0 -> "yes"; False, "false", 0 -> "no"."""
    if _missing(value):
        return "—"
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1", "1.0"):
            return "yes"
        if lowered in ("false", "no", "0", "0.0", ""):
            return "no"
        raise ValueError(f"{value!r} is not a boolean")
    return "yes" if bool(value) else "no"


def percent(value, decimals: int = 1) -> str:
    """A value already in percent: 0.7 -> "0.7%"."""
    return "—" if _missing(value) else f"{float(value):.{decimals}f}%"


def share(value, decimals: int = 0) -> str:
    """A fraction of a whole as a percentage: 0.423 -> "42%"."""
    return "—" if _missing(value) else f"{float(value) * 100:.{decimals}f}%"


def seconds(value, unit: bool = True) -> str:
    """A duration in seconds: whole above 100 s ("108 s"), else one decimal ("12.3 s")."""
    if _missing(value):
        return "—"
    text = integer(value) if abs(float(value)) >= 100 else f"{float(value):.1f}"
    return f"{text} s" if unit else text


def ratio(value, unit: bool = True) -> str:
    """A ratio to one decimal: 6.04 -> "6.0×"."""
    return "—" if _missing(value) else f"{float(value):.1f}{'×' if unit else ''}"


def number(value, decimals: int | None = None) -> str:
    """Any other number: whole numbers as ``integer``; otherwise ``decimals`` places, by default
    4 below 1, 3 below 10, 2 below 100 and none above (438.048 -> "438", 0.5 -> "0.5000")."""
    if _missing(value):
        return "—"
    value = float(value)
    if decimals is None:
        if value.is_integer():
            return integer(value)
        decimals = _decimals(abs(value))
    return f"{value:,.{decimals}f}"


def _decimals(magnitude: float) -> int:
    return 4 if magnitude < 1 else 3 if magnitude < 10 else 2 if magnitude < 100 else 0


_IRREGULAR = {"analysis": "analyses", "child": "children", "datum": "data", "matrix": "matrices", "axis": "axes",
              "set-up": "set-ups", "person": "people"}


def plural(noun: str, n: int = 2) -> str:
    """``noun`` as ``n`` of it needs: "configuration" / "configurations", "entry" / "entries"."""
    if n == 1:
        return noun
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    return noun + "s"


def count(n, noun: str) -> str:
    """A number of things with the right plural: (1, "configuration") -> "1 configuration",
    (2500, "run") -> "2,500 runs"."""
    return f"{integer(n)} {plural(noun, round(float(n)))}"


# ----------------------------------------------------------------------------- kinds
# What each kind of column looks like in a cell (``unit``: whether the cell names its unit).
FORMATTERS = {
    "accuracy": lambda v, unit: accuracy(v),
    "pp": lambda v, unit: pp(v, unit),
    "difference": lambda v, unit: difference(v, unit),
    "images_per_s": lambda v, unit: images_per_s(v, unit),
    "integer": lambda v, unit: integer(v),
    "p_value": lambda v, unit: p_value(v),
    "boolean": lambda v, unit: yes_no(v),
    "percent": lambda v, unit: percent(v),
    "share": lambda v, unit: share(v),
    "seconds": lambda v, unit: seconds(v, unit),
    "ratio": lambda v, unit: ratio(v, unit),
    "claim": lambda v, unit: claim_label(v) if isinstance(v, str) else v,
    "name": lambda v, unit: name(v),
    "verdict": lambda v, unit: v,
    "text": lambda v, unit: words(v),
}
NUMERIC_KINDS = {"accuracy", "pp", "difference", "images_per_s", "integer", "p_value", "percent", "share",
                 "seconds", "ratio", "number"}
# The unit a cell of each kind names, which a header naming it makes redundant.
UNITS = {"pp": "pp", "difference": "pp", "images_per_s": "images/s", "seconds": "(s)", "ratio": "×"}

# Kinds declared by column name (the internal name, before ``NAMES`` renames it).
COLUMN_KINDS = {
    "claim_id": "claim", "claim": "claim", "id": "claim",
    "config": "name", "configuration": "name", "activation": "name", "model": "name", "network": "name",
    "backend": "name", "optimizer": "name", "variant": "name", "ablation": "name", "paper": "name",
    "verdict": "verdict", "p_value": "p_value", "images_per_s": "images_per_s", "images/s": "images_per_s",
    "median images/s": "images_per_s",
    "test_accuracy": "accuracy", "val_accuracy": "accuracy", "train_accuracy": "accuracy",
    "mean_test_accuracy": "accuracy", "val_acc_mean": "accuracy", "test_acc_mean": "accuracy",
    "diff": "difference", "share": "share", "max_share": "share", "mean_share": "share",
    "magic": "text", "dims": "text", "ratio": "ratio",
    "wall_seconds": "seconds", "wall_s": "seconds", "median seconds": "seconds",
}
_INTEGER_NAMES = re.compile(r"^(n|runs?|seeds?|steps?|iterations?|epochs?|best_epoch|stop_epoch|errors|repeats|"
                            r"reached|censored_runs|images( per model| allowed| at target)?|count|.*_bytes|"
                            r".*\(bytes\)|n .*|budget_steps|slow_steps|fast_steps|most_predicted_wrong|"
                            r"predicted \d)$")
_BOOLEAN_NAMES = re.compile(r"^(.*_ok|is_.*|has_.*|converged|diverged|stuck|censored|chosen|final|imported|"
                            r"differs_from_stored|runs existed)$")


def kind_of(column: str, values: pd.Series | None = None) -> str:
    """The kind of a column: declared by its name (``COLUMN_KINDS``, patterns for counts,
    booleans, pp and accuracies), else inferred from its values (booleans, whole numbers,
    other numbers, text)."""
    column = str(column)
    if column in COLUMN_KINDS:
        return COLUMN_KINDS[column]
    present = values.dropna() if values is not None else pd.Series(dtype=object)
    if _BOOLEAN_NAMES.match(column) and _boolean_like(present):
        return "boolean"
    if _INTEGER_NAMES.match(column):
        return "integer"
    if column.endswith("_pp") or "(pp)" in column or column.startswith("Δ"):
        return "pp"
    if "p-value" in column or column == "p":
        return "p_value"
    if column.endswith("accuracy"):
        return "accuracy"
    if values is None or present.empty:
        return "text"
    if _boolean_like(present) and (values.dtype == bool or present.map(lambda v: isinstance(v, (bool, str))).all()):
        return "boolean"
    if pd.api.types.is_numeric_dtype(values):
        finite = present.astype(float)
        return "integer" if finite.map(float.is_integer).all() else "number"
    return "text"


def _boolean_like(values: pd.Series) -> bool:
    if values.empty:
        return False
    if values.dtype == bool:
        return True
    words_ = {"true", "false"} if values.map(lambda v: isinstance(v, str)).all() else None
    if words_ is not None:
        return set(values.str.strip().str.lower()) <= words_
    return values.map(lambda v: isinstance(v, bool) or (isinstance(v, numbers.Number) and v in (0, 1))).all()


def format_column(values: pd.Series, kind: str, unit: bool = True) -> pd.Series:
    """Every value of a column as its kind shows it (a missing value stays missing: the table
    draws a dash). "number" picks one number of decimals for the whole column, so that the
    column's digits line up."""
    if kind == "number":
        present = values.dropna().astype(float)
        decimals = _decimals(present.abs().max()) if len(present) and not present.map(float.is_integer).all() else 0
        return pd.Series([None if _missing(v) else number(v, decimals) if isinstance(v, numbers.Number) else words(v)
                          for v in values], index=values.index, dtype=object)
    if kind not in FORMATTERS:
        raise ValueError(f"kind {kind!r}: unknown (known: {', '.join([*FORMATTERS, 'number'])})")
    formatter = FORMATTERS[kind]

    def cell(v):
        if _missing(v):
            return None
        if kind in NUMERIC_KINDS and not isinstance(v, numbers.Number):
            return words(v)                 # a note in a numeric column ("not run") stays as it is
        return formatter(v, unit)
    return pd.Series([cell(v) for v in values], index=values.index, dtype=object)


# ----------------------------------------------------------------------------- tables
COLLAPSE_ABOVE = report.COLLAPSE_ABOVE


def reader_frame(frame: pd.DataFrame, kinds: dict | None = None, names: dict | None = None,
                 index: bool = False) -> pd.DataFrame:
    """``frame`` as readers see it: every cell a formatted string (or missing), by the kind its
    column declares in ``kinds`` or ``COLUMN_KINDS``, else infers (``kind_of``); columns renamed
    by ``names``, then ``NAMES``, else humanised."""
    frame = (frame.reset_index() if index else frame).reset_index(drop=True)
    kinds, names = dict(kinds or {}), dict(names or {})
    shown = {}
    for column in frame.columns:
        header = names.get(column) or name(str(column))
        kind = kinds.get(column) or kind_of(column, frame[column])
        unit = UNITS.get(kind, "\0") not in header
        shown[header] = format_column(frame[column], kind, unit)
    return pd.DataFrame(shown, index=range(len(frame)))


def table(frame: pd.DataFrame, kinds: dict | None = None, names: dict | None = None, *, index: bool = False,
          summary: str | None = None, collapse_above: int | None = COLLAPSE_ABOVE) -> report.Shown:
    """A reader's table, for ``display`` or ``glue``: ``reader_frame`` drawn by
    ``report.table_html`` (padded cells, numbers right-aligned, verdicts as badges, verdict and
    paper columns unbroken; collapsed under ``summary``, by default "N rows", when longer than
    ``collapse_above``) and by ``report.table_markdown`` for the PDF (always the full table)."""
    shown = reader_frame(frame, kinds, names, index)
    source = frame.reset_index() if index else frame
    numeric = [header for header, column in zip(shown.columns, source.columns)
               if ((kinds or {}).get(column) or kind_of(column, source[column])) in NUMERIC_KINDS]
    return report.Shown(report.table_html(shown, numeric=numeric, summary=summary, collapse_above=collapse_above),
                        report.table_markdown(shown))


def show(frame: pd.DataFrame, kinds: dict | None = None, names: dict | None = None, **options) -> None:
    """Display ``table(frame, kinds, names, **options)``."""
    from IPython.display import display

    display(table(frame, kinds, names, **options))


def verdict_summary(verdicts, noun: str = "claim") -> str:
    """The one line above a collapsed table of verdicts: "31 claims: 13 reproduced, 2 not
    reproduced, …", verdicts in the badges' order (``report.VERDICT_COLOURS``), then any other."""
    counts = pd.Series(list(verdicts), dtype=object).value_counts()
    order = [v for v in report.VERDICT_COLOURS if v in counts] + [v for v in counts.index if v not in report.VERDICT_COLOURS]
    return f"{count(int(counts.sum()), noun)}: " + ", ".join(f"{counts[v]} {v}" for v in order)
