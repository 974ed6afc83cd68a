"""What readers see instead of internal names and raw values.

One display-name map (``NAMES``) for configurations, columns and the other identifiers a
table or figure would otherwise print; claim ids read as their words in the claims file
(``claim_label``). Number formatters per kind (accuracy, percentage points, images/s,
integers, p-values, yes/no, counts with their plural), and ``table``: a tidy frame as a
reader's table, its columns renamed and each formatted by its kind, drawn by ``report``
(padded cells, verdicts as badges that do not wrap, long tables collapsed under a summary).

    tables.show(summary, kinds={"diff": "difference"})      # in a chapter
    glue("claims_table", tables.table(ledger, summary=tables.verdict_summary(ledger["verdict"])))
"""
from __future__ import annotations

import math
import numbers
import re

import pandas as pd
from IPython.display import display as ipython_display

from ..core.names import NAMES, claim_label, humanise, name, words  # noqa: F401  (the presentation API)
from . import rendering


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
COLLAPSE_ABOVE = rendering.COLLAPSE_ABOVE


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
          summary: str | None = None, collapse_above: int | None = COLLAPSE_ABOVE) -> rendering.Shown:
    """A reader's table, for ``display`` or ``glue``: ``reader_frame`` drawn by
    ``rendering.table_html`` (padded cells, numbers right-aligned, verdicts as badges, verdict and
    paper columns unbroken; collapsed under ``summary``, by default "N rows", when longer than
    ``collapse_above``) and by ``rendering.table_markdown`` for the PDF (always the full table)."""
    shown = reader_frame(frame, kinds, names, index)
    source = frame.reset_index() if index else frame
    numeric = [header for header, column in zip(shown.columns, source.columns)
               if ((kinds or {}).get(column) or kind_of(column, source[column])) in NUMERIC_KINDS]
    return rendering.Shown(rendering.table_html(shown, numeric=numeric, summary=summary, collapse_above=collapse_above),
                        rendering.table_markdown(shown))


def show(shown, kinds: dict | None = None, names: dict | None = None, *, index: bool = False, **options) -> None:
    """Show a chapter's table to its reader (HTML for the page, Markdown for the PDF): a frame as it
    is (``rendering.table_html`` with ``options``), or, given ``kinds`` or ``names``, formatted by
    ``table``; a sentence that stands in for a table is printed; None shows nothing."""
    if shown is None:
        return
    if isinstance(shown, str):
        print(shown)
        return
    if kinds is not None or names is not None:
        ipython_display(table(shown, kinds, names, index=index, **options))
        return
    ipython_display(rendering.Shown(rendering.table_html(shown, index, **options), rendering.table_markdown(shown, index)))


def verdict_summary(verdicts, noun: str = "claim") -> str:
    """The one line above a collapsed table of verdicts: "31 claims: 13 reproduced, 2 not
    reproduced, …", verdicts in the badges' order (``rendering.VERDICT_COLOURS``), then any other."""
    counts = pd.Series(list(verdicts), dtype=object).value_counts()
    colours = rendering.VERDICT_COLOURS
    order = [v for v in colours if v in counts] + [v for v in counts.index if v not in colours]
    return f"{count(int(counts.sum()), noun)}: " + ", ".join(f"{counts[v]} {v}" for v in order)


# ----------------------------------------------------------------------------- prose
_HYPHEN_MINUS = re.compile(r"(?<![\w.)\]])-(?=\.?\d)")
_MORE_NAMES = re.compile(r"\b(?:tanh|seed(\d+))\b")


def minus(text):
    """Text with every hyphen used as a minus sign before a number written as one ("−"):
    "CI -0.26 to +0.04" -> "CI −0.26 to +0.04"; ranges, dates and widths keep their hyphens
    ("784-120-84-10", "2026-11-30", "seeds 0-2")."""
    return _HYPHEN_MINUS.sub("−", text) if isinstance(text, str) else text


_OWN_NAMES = re.compile(r"\b(x86_64|aarch64|arm64)\b")
_SCIENTIFIC = re.compile(r"(?<![\w.])(\d(?:\.\d+)?)e-0?(\d)\b")
_STEPS_PER_EXECUTION = re.compile(r"\bspe (\d+)\b")


def plain_decimals(text):
    """Small numbers written as Python prints them in scientific notation, as decimals like the
    rest of the book: "Adam 1e-4" -> "Adam 0.0001", "2e-3" -> "0.002"."""
    if not isinstance(text, str):
        return text
    def decimal(m) -> str:
        places = int(m.group(2)) + len(m.group(1)) - 1
        return f"{float(m.group(1)) * 10 ** -int(m.group(2)):.{places}f}".rstrip("0").rstrip(".")
    return _SCIENTIFIC.sub(decimal, text)


def prose(text):
    """A value glued into prose as a reader reads it: identifiers by their names (``words``:
    "relu 0.1" -> "ReLU 0.1"), Tanh capitalised, "seed0" as "seed 0", "spe 32" as "32 steps per
    execution", numbers as decimals (``plain_decimals``) and true minus signs (``minus``).
    Anything that is not text comes back unchanged."""
    if not isinstance(text, str):
        return text
    if _OWN_NAMES.search(text):   # names that are right as they are (an architecture: uname -m)
        return "".join(part if _OWN_NAMES.fullmatch(part) else prose(part) for part in _OWN_NAMES.split(text))
    text = _MORE_NAMES.sub(lambda m: f"seed {m.group(1)}" if m.group(1) else "Tanh", words(text))
    text = _STEPS_PER_EXECUTION.sub(r"\1 steps per execution", text)
    return minus(plain_decimals(text))


def prose_values(values: dict) -> dict:
    """``prose`` of every value of a chapter's glue dictionary."""
    return {key: prose(value) for key, value in values.items()}


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column name as ``prose`` writes it (for a table a
    chapter draws with ``show`` from a function that formats its own cells)."""
    shown = frame.rename(columns=lambda c: prose(c) if isinstance(c, str) else c)
    texts = lambda column: column.dtype == object or pd.api.types.is_string_dtype(column)
    return shown.apply(lambda column: column.map(prose) if texts(column) else column)


# ----------------------------------------------------------------------------- models
_LAYER_KINDS = {"InputLayer": "input", "Reshape": "reshape", "Flatten": "flatten",
                "BatchNormalization": "batch normalisation", "GlobalAveragePooling2D": "global average pooling",
                "GlobalMaxPooling2D": "global max pooling"}


def _activation_name(layer) -> str:
    activation = getattr(getattr(layer, "activation", None), "__name__", "linear")
    return "" if activation == "linear" else name(activation)


def layer_kind(layer) -> str:
    """What a Keras layer does, in words: "convolution 5×5, 6 maps, Sigmoid", "average
    pooling 2×2", "fully connected, 120 units, ReLU", "dropout, rate 0.5", "ReLU"."""
    cls = type(layer).__name__
    sizes = lambda pair: "×".join(str(v) for v in pair)
    then = lambda text: f"{text}, {_activation_name(layer)}" if _activation_name(layer) else text
    if cls.startswith("Conv"):
        return then(f"convolution {sizes(layer.kernel_size)}, {layer.filters} maps")
    if cls.endswith("Pooling2D") and not cls.startswith("Global"):
        kind = "average" if cls.startswith("Average") else "max"
        return f"{kind} pooling {sizes(layer.pool_size)}"
    if cls == "Dense":
        return then(f"fully connected, {layer.units} units")
    if cls == "Dropout":
        return f"dropout, rate {layer.rate:g}"
    if cls == "Activation":
        return _activation_name(layer) or "identity"
    return _LAYER_KINDS.get(cls, humanise(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", cls).lower()))


def layer_table(model) -> pd.DataFrame:
    """A Keras model layer by layer as readers read it, instead of its printed summary: the
    layer's name ("C1", "C1 ReLU"), its kind in words (``layer_kind``), its output shape without
    the batch dimension ("28 × 28 × 16") and its parameters, an integer (trainable or not)."""
    rows = [{"layer": prose(layer.name.replace("_", " ")), "kind": layer_kind(layer),
             "output shape": " × ".join(str(d) for d in tuple(layer.output.shape)[1:]),
             "parameters": int(layer.count_params())} for layer in model.layers]
    return pd.DataFrame(rows, columns=["layer", "kind", "output shape", "parameters"])


def current_setup_name(label: str) -> str:
    """A set-up's label as the book names it now: chapter 6's Adam-at-1e-4 recipe is "the
    tutorial set-up" everywhere (labels stored by older benchmark runs say "chapter 6 set-up")."""
    return str(label).replace("chapter 6 set-up", "the tutorial set-up")
