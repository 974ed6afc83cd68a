"""Declared versions of the code that decides a run's numbers, and the lock that guards them.

A stored run's key holds the *version* of the code that trained it, not the code's digest, so a
maintainer can lint, move or document the training code without retraining anything. The lock
(``code.lock.json`` beside this module) records, for each keyed unit of code, its current
version, what that version puts into a run's key, and every digest of the code that the version
was made with. A unit is:

- ``training``: the trainer, the data pipeline, the backend set-up and the parts of ``models.py``
  that are not a builder (checks, augmentation, ``build``);
- ``model:<builder>``: one model builder (``models.BUILDERS``), so a new or changed model re-keys its
  own runs only;
- ``probe:<name>``: a measurement stored beside the runs (gradient norms, kept weights);
- ``flax``: the second implementation, its models and trainer together (its runs key by it alone).

``tests/test_versions.py`` fails when a unit's digest is not in the lock. The mend is one of two:

- a new version (``"version": n + 1`` and a key token of its own): every run of the unit is
  trained afresh, a deliberate, announced retrain;
- a "same numbers" declaration for the current version, made only by
  ``python -m mnist_utils.runs.verify N --declare "why"``, which retrains N stored runs per
  model on this processor and writes the declaration when every one repeats bit for bit.

The digest reads the code as a syntax tree: comments, docstrings, layout and the Python version do
not count; a relative import counts by the names it binds, not by the package path it comes from,
so moving a module between sub-packages keeps its digest.
"""
from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path

from ..core.files import write_atomically

LOCK = Path(__file__).with_name("code.lock.json")
PACKAGE = Path(__file__).resolve().parents[1]

# The files of the ``training`` unit, in ``training/``.
TRAINING_FILES = ("train.py", "data.py", "backend.py", "models.py")
# The files of the ``flax`` unit (the second implementation: its models and trainer), in ``training/``.
FLAX_FILES = ("flax_models.py", "flax_train.py")
# Each model's builder in ``models.py`` (``models.BUILDERS``, by model name), a unit of its own.
BUILDERS = {"softmax": "softmax_regression", "lenet5": "lenet5", "liu_fu_cnn": "liu_fu_cnn",
            "fully_connected": "fully_connected"}
# The modules in ``runs/`` that are probes, and the names in each that compute what is stored.
PROBES = {
    "probe:gradient_norms": ("gradients.py", ("PROBE", "probe_spec", "kernel_rms_per_step", "probe")),
    "probe:final_weights": ("weights.py", ("PROBE", "weights_spec", "_train_capturing_weights", "kept_weights")),
    "probe:checkpoints": ("probes.py", ("PROBE", "REESTIMATE_IMAGES", "VARIANTS", "probe_spec",
                                        "_train_keeping_checkpoints", "reestimate_batch_norm", "_tested", "probe")),
}


class LockError(RuntimeError):
    """A one-line error naming the keyed unit whose code and lock disagree."""


# ------------------------------------------------------------------ digests
# Python 3.13 leaves empty fields out of ast.dump unless asked; 3.11 always writes them.
_DUMP_OPTIONS = {"show_empty": True} if sys.version_info >= (3, 13) else {}


def _canonical_import(node: ast.stmt) -> ast.stmt:
    """A relative import as the names it binds (its package path left out)."""
    if isinstance(node, ast.ImportFrom) and node.level:
        return ast.ImportFrom(module=None, names=[ast.alias(a.name, a.asname) for a in node.names], level=1)
    return node


def _canonical_body(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body`` with each run of consecutive imports canonical and sorted (their order is layout)."""
    out, run = [], []
    for node in body + [None]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            run.append(_canonical_import(node))
            continue
        out += sorted(run, key=ast.dump)
        run = []
        if node is not None:
            out.append(node)
    return out


def _canonical_tree(tree: ast.AST) -> ast.AST:
    """``tree`` without docstrings, with canonical imports, and as Python 3.11 dumps it (3.12
    added an empty ``type_params`` to every function and class)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body = body[1:] or [ast.Pass()]
            node.body = _canonical_body(body)
        if getattr(node, "type_params", None) == []:
            del node.type_params
    return tree


def _digest_of_tree(tree: ast.AST) -> str:
    return hashlib.sha256(ast.dump(tree, include_attributes=False, **_DUMP_OPTIONS).encode()).hexdigest()


def source_digest(text: str) -> str:
    """Digest of Python source as a canonical syntax tree (see the module's docstring)."""
    return _digest_of_tree(_canonical_tree(ast.parse(text)))


def _without_builders(text: str) -> str:
    tree = ast.parse(text)
    tree.body = [n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name in BUILDERS.values())]
    return ast.unparse(tree)


def _definitions(text: str, names: tuple[str, ...], file: str) -> str:
    """The source of the top-level functions and constants ``names`` of a module, in its order."""
    found = {}
    for node in ast.parse(text).body:
        name = getattr(node, "name", None) or (getattr(node.targets[0], "id", None) if isinstance(node, ast.Assign)
                                               else None)
        if name in names:
            found[name] = ast.unparse(node)
    missing = [n for n in names if n not in found]
    if missing:
        raise LockError(f"{file}: no {missing[0]} (versions.py names it as locked code)")
    return "\n\n".join(found.values())


@lru_cache(maxsize=4)
def digests(package: Path | None = None) -> dict[str, str]:
    """The digest of every keyed unit of ``package`` (by default this one), once per process."""
    package = Path(package or PACKAGE)
    texts = {name: (package / "training" / name).read_text() for name in TRAINING_FILES}
    parts = {name: source_digest(_without_builders(text) if name == "models.py" else text)
             for name, text in texts.items()}
    units = {"training": hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()}
    flax_parts = {name: source_digest((package / "training" / name).read_text()) for name in FLAX_FILES}
    units["flax"] = hashlib.sha256(json.dumps(flax_parts, sort_keys=True).encode()).hexdigest()
    for builder in BUILDERS.values():
        units[f"model:{builder}"] = source_digest(_definitions(texts["models.py"], (builder,), "models.py"))
    for unit, (file, names) in PROBES.items():
        units[unit] = source_digest(_definitions((package / "runs" / file).read_text(), names, file))
    return units


# --------------------------------------------------------------------- lock
@lru_cache(maxsize=1)
def lock() -> dict:
    try:
        return json.loads(LOCK.read_text())
    except (OSError, ValueError) as exc:
        raise LockError(f"{LOCK}: unreadable code lock ({type(exc).__name__}: {exc})") from None


def unit(name: str) -> dict:
    units = lock()["units"]
    if name not in units:
        raise LockError(f"{LOCK.name}: no unit {name!r} (units: {', '.join(sorted(units))})")
    return units[name]


def key_token(name: str) -> str | None:
    """What unit ``name`` puts into the key of its runs: its current version's token (for version 1,
    the digest its runs were keyed with before versions were declared, so they stay reachable), or
    None for a builder at version 1 whose runs key by the training code alone."""
    entry = unit(name)
    return entry["keys"][str(entry["version"])]


def model_token(model: str) -> str | None:
    """What a run of ``model`` adds to its key for its builder: nothing at version 1 (what a
    version-1 builder needs in the key, its spec already holds), its version's token after."""
    entry = lock()["units"].get(f"model:{BUILDERS.get(model)}")
    if entry is None or entry["version"] == 1:
        return None
    return entry["keys"][str(entry["version"])]


def added_fields() -> dict:
    """Fields added to the run spec since version 1, with the default that leaves them out of it."""
    return lock()["added_fields"]


def problems(package: Path | None = None) -> list[str]:
    """One line per keyed unit whose code is not locked at its current version; empty when the lock
    holds."""
    found = []
    for name, digest in digests(package).items():
        entry = lock()["units"].get(name)
        if entry is None:
            found.append(f"{name}: not in {LOCK.name}; add it at version 1")
            continue
        locked = {d["digest"] for d in entry["digests"] if d["version"] == entry["version"]}
        if digest not in locked:
            found.append(f"{name}: code digest {digest[:12]} is not locked at version {entry['version']}; bump the "
                         f"version (its runs retrain) or run `python -m mnist_utils.runs.verify 2 --declare "
                         f"\"why\"` to declare the same numbers")
    return found


def declare_same_numbers(why: str, repeated: dict[str, list[str]], evidence: dict,
                         package: Path | None = None) -> tuple[list[str], list[str]]:
    """Record the new digest of each changed unit for which ``repeated`` names stored results that
    this code repeated bit for bit, as making the same numbers as its version (``evidence``: the
    command, the processor, the threads). Returns the units declared and the changed units left
    undeclared (nothing of theirs repeated). The lock is rewritten atomically."""
    current, declared, left = json.loads(LOCK.read_text()), [], []
    for name, digest in digests(package).items():
        entry = current["units"][name]
        if any(d["digest"] == digest and d["version"] == entry["version"] for d in entry["digests"]):
            continue
        if not repeated.get(name):
            left.append(name)
            continue
        entry["digests"].append({"digest": digest, "version": entry["version"], "declared": dt.date.today().isoformat(),
                                 "same_numbers": why, **evidence, "repeated": repeated[name]})
        declared.append(name)
    write_atomically(LOCK, json.dumps(current, indent=1) + "\n")
    lock.cache_clear()
    return declared, left
