"""The run store: every training run (one configuration, one seed) stored once, by key.

The key is a SHA-256 digest of everything that can change a run's numbers: the
model and its arguments, optimizer, learning rate, batch size, budget, evaluation
schedule, seed, the sizes of the data subsets (``train.run_spec``), a fingerprint
of the data themselves, the Keras backend, and the digest of the code that trains
(``models.py``, ``train.py``, ``data.py``, read as syntax trees so that comments and
docstrings do not re-key). What a reader must know but cannot change the numbers
(hardware, library versions, wall time, images/s, commit) is recorded beside it.

What re-keys, and what never does. Only the four training modules are read into the key:
every other module (experiments, runsets, probes, measures, rules, plots, ...) may change without
touching a stored run, so a new measurement of stored runs, or a probe, never re-keys. A new
way to feed a run changes the key of the runs that use it, and only theirs, through what it
changes: ``runsets.with_validation_in_training`` (Table 2's 60,000 images) through the data
fingerprint and ``n_train``; a probe (``probes``) through the ``probe`` fields it adds to its
own spec. A field added to ``train.TrainConfig`` must enter ``train.run_spec`` only when set
away from its default (``train.ADDED_FIELDS``), or every stored run re-keys (hours of retraining).

A change to the training code's syntax changes its digest. Every digest is declared in
``CODE_VERSIONS`` (a test fails on an undeclared one): either as a new version, whose runs are
all trained afresh (a deliberate, announced retrain), or as keying like an earlier version,
when the change adds a way to train that is off by default and leaves every existing
configuration's numbers as they were, checked by retraining stored runs
(``python -m mnist_utils.store --verify N``: same predictions, same metrics).

An entry is one JSON file, ``<store>/<model>/<key[:16]>.json``: a few header lines,
then one line per evaluation row, then the arrays chapters draw from the trained
model (test predictions, small weight tensors) as zlib-compressed base64. Entries are
written once and never modified, through a temporary file and ``os.replace``, so a
crash never leaves half an entry; an entry that fails to parse or whose key does not
match its name is an error naming the file, never silently a miss.

    python -m mnist_utils.store              # what the book-of-record store holds
"""
from __future__ import annotations

import ast
import base64
import datetime as dt
import hashlib
import json
import os
import platform
import sys
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import backend as keras_backend
from . import paths, provenance
from .files import write_atomically

FORMAT = 1
# The modules whose code decides a run's numbers: a change to them re-keys every run.
TRAINING_CODE = ("models.py", "train.py", "data.py", "backend.py")
VERSIONS = ("keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "numpy")


class StoreError(RuntimeError):
    """A one-line error naming the run-store entry that is wrong."""


@dataclass
class StoredRun:
    key: str
    spec: dict                       # the keyed fields (train.run_spec)
    record: dict                     # provenance: hardware, versions, wall time, images/s, ...
    rows: pd.DataFrame               # one row per evaluation, test metrics in the last row
    arrays: dict[str, np.ndarray]    # test predictions, stored weights


# ---------------------------------------------------------------------- keys
def _canonical_tree(tree: ast.AST) -> ast.AST:
    """``tree`` without docstrings, and as Python 3.11 dumps it: 3.12 added an empty
    ``type_params`` to every function and class (a GPU machine runs 3.12, the book 3.11)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
        if getattr(node, "type_params", None) == []:
            del node.type_params
    return tree


# Python 3.13 leaves empty fields out of ast.dump unless asked; 3.11 always writes them.
_DUMP_OPTIONS = {"show_empty": True} if sys.version_info >= (3, 13) else {}


def source_digest(text: str) -> str:
    """Digest of Python source as a syntax tree: comments, docstrings and layout do not count,
    and neither does the Python version (3.11 to 3.13 give the same digest)."""
    tree = _canonical_tree(ast.parse(text))
    return hashlib.sha256(ast.dump(tree, include_attributes=False, **_DUMP_OPTIONS).encode()).hexdigest()


@lru_cache(maxsize=2)
def code_digest(package: Path | None = None) -> str:
    """Digest of the training code (``TRAINING_CODE`` of ``package``, by default this one),
    computed once per process."""
    package = Path(package or Path(__file__).resolve().parent)
    parts = {name: source_digest((package / name).read_text()) for name in TRAINING_CODE}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


_fingerprints: dict[tuple, str] = {}


def data_fingerprint(mnist, train_size: int | None = None, eval_size: int | None = None, **_) -> str:
    """SHA-256 of the images and labels a run trains, validates and tests on (memoised per
    array): real MNIST and a test's synthetic digits can never share a key."""
    splits = (mnist.train.head(train_size), mnist.validation.head(eval_size), mnist.test.head(eval_size))
    memo = tuple((id(s.images), s.images.shape, id(s.labels)) for s in splits)
    if memo not in _fingerprints:
        digest = hashlib.sha256()
        for split in splits:
            for array in (split.images, split.labels):
                digest.update(str((array.dtype.str, array.shape)).encode())
                digest.update(np.ascontiguousarray(array).data)
        _fingerprints[memo] = digest.hexdigest()
    return _fingerprints[memo]


# Each training-code digest: None for a version whose runs are trained afresh, or the digest it
# keys as (its change leaves every existing configuration's numbers as they were).
CODE_VERSIONS = {
    # The code every run stored up to 2026-11-30 was keyed with.
    "4b6f4c7aee67bef24ea26606fdc3a0665c2dc7f331c2d383415a57f8ab979c32": None,
    # 2026-11-30, issue 24: train.TrainConfig.init_seed (a seed for the initial weights apart from
    # the data order), None by default, which seeds as before; run_spec leaves it out at None.
    # Checked with `python -m mnist_utils.store --verify 2` (2026-11-30, an AMD EPYC): three of four
    # stored runs trained again repeated exactly; the fourth (lenet5 a03952abf030, stored from a
    # faster EPYC host) differs in 110 test predictions under the code before this change too,
    # so that difference is the processor's, not this change's.
    "441ff9d408a1aaa403724131ba351b874bd079f781c145ef160fc20a0f9b27d0":
        "4b6f4c7aee67bef24ea26606fdc3a0665c2dc7f331c2d383415a57f8ab979c32",
    # 2026-11-30, issue 25: train's helpers that other modules call became public
    # (compiled_model, loss_function), and train() takes an on_trained callback (None by default)
    # in place of weights.py swapping out train's private _artifacts; no arithmetic changed.
    # Checked with `python -m mnist_utils.store --verify 2` (2026-11-30, an AMD EPYC): the same three of
    # four stored runs repeated exactly; lenet5 a03952abf030 differs in the same 110 test predictions.
    "363e97b355641eef545dd49c6dfc19ff98e9e8927718fd071da074a55858a103":
        "441ff9d408a1aaa403724131ba351b874bd079f781c145ef160fc20a0f9b27d0",
}


def keyed_code(code: str | None = None) -> str:
    """The digest a run of training code ``code`` (by default this one's) is keyed with: the
    earliest version it keys as (``CODE_VERSIONS``)."""
    code = code or code_digest()
    while CODE_VERSIONS.get(code):
        code = CODE_VERSIONS[code]
    return code


def run_key(spec: dict, fingerprint: str, code: str | None = None, backend_name: str | None = None) -> str:
    """The store key of one run: a digest of its spec, data, code and backend."""
    payload = {"format": FORMAT, "spec": spec, "data": fingerprint,
               "code": keyed_code(code), "backend": backend_name or keras_backend.name()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# ---------------------------------------------------------------- records
def run_record(wall_seconds: float, rows: pd.DataFrame, spec: dict) -> dict:
    """What a stored run records beside its numbers: when, how fast, on what, from which commit."""
    versions = provenance.package_versions(VERSIONS)
    images = spec["batch_size"] * int(rows["step"].iloc[-1]) if len(rows) else 0
    return {
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(float(wall_seconds), 2),
        # Whole-run throughput (evaluation and tracing included), and the steady median.
        "images_per_second": round(images / wall_seconds, 1) if wall_seconds > 0 else None,
        "median_interval_images_per_second": round(float(rows["images_per_second"].median()), 1),
        "backend": keras_backend.name(),
        "device": keras_backend.devices(),
        "cpu": provenance.cpu_name(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": provenance.commit(),
        "code_digest": code_digest(),
    }


# ------------------------------------------------------------------ encoding
def _encode_array(array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "zlib_base64": base64.b64encode(zlib.compress(array.tobytes(), 9)).decode("ascii")}


def _decode_array(entry: dict) -> np.ndarray:
    raw = zlib.decompress(base64.b64decode(entry["zlib_base64"]))
    return np.frombuffer(raw, dtype=np.dtype(entry["dtype"])).reshape(entry["shape"]).copy()


def _json_value(value):
    """NaN/inf are not JSON: they are stored as null and read back as NaN."""
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def encode(stored: StoredRun) -> str:
    """The entry as text: one line per header field, per row and per array (diff-friendly)."""
    columns = list(stored.rows.columns)
    rows = [[_json_value(v) for v in row] for row in stored.rows.itertuples(index=False, name=None)]
    final = stored.rows.iloc[-1]
    metrics = {k: _json_value(final[k]) for k in ("val_loss", "val_accuracy", "test_loss", "test_accuracy")
               if k in final}
    lines = ["{",
             f' "format": {FORMAT},',
             f' "key": {json.dumps(stored.key)},',
             f' "spec": {json.dumps(stored.spec, sort_keys=True)},',
             f' "metrics": {json.dumps(metrics, sort_keys=True)},',
             f' "record": {json.dumps(stored.record, sort_keys=True)},',
             f' "columns": {json.dumps(columns)},',
             ' "rows": [']
    lines += [f"  {json.dumps(r)}," for r in rows]
    if rows:
        lines[-1] = lines[-1].rstrip(",")
    lines.append(" ],")
    lines.append(' "arrays": {')
    items = [f'  {json.dumps(name)}: {json.dumps(_encode_array(a), sort_keys=True)},'
             for name, a in sorted(stored.arrays.items())]
    if items:
        items[-1] = items[-1].rstrip(",")
    lines += items
    lines += [" }", "}", ""]
    return "\n".join(lines)


def decode(text: str, where: Path) -> StoredRun:
    try:
        entry = json.loads(text)
        if entry.get("format") != FORMAT:
            raise ValueError(f"format {entry.get('format')!r}, expected {FORMAT}")
        rows = pd.DataFrame(entry["rows"], columns=entry["columns"]).astype(float, errors="ignore")
        arrays = {name: _decode_array(a) for name, a in entry["arrays"].items()}
        if rows.empty:
            raise ValueError("no evaluation rows")
        return StoredRun(entry["key"], entry["spec"], entry["record"], rows, arrays)
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        raise StoreError(f"{where}: corrupt run-store entry ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}); delete it and the run "
                         "is trained again") from None


# --------------------------------------------------------------------- store
class RunStore:
    """Runs read from ``read_dirs`` (first hit wins), new runs written to ``write_dir``."""

    def __init__(self, write_dir: Path, read_dirs: list[Path] | None = None):
        self.write_dir = Path(write_dir)
        self.read_dirs = [Path(d) for d in (read_dirs or [write_dir])]

    @staticmethod
    def _relative(key: str, model: str) -> Path:
        return Path(model) / f"{key[:16]}.json"

    def _find(self, key: str) -> Path | None:
        for folder in self.read_dirs:
            for path in folder.glob(f"*/{key[:16]}.json"):
                return path
        return None

    def __contains__(self, key: str) -> bool:
        """Whether a store holds ``key`` (without reading the entry)."""
        return self._find(key) is not None

    def get(self, key: str) -> StoredRun | None:
        """The stored run of ``key``, or None when no store holds it."""
        path = self._find(key)
        if path is None:
            return None
        stored = decode(path.read_text(), path)
        if stored.key != key:
            raise StoreError(f"{path}: run-store entry holds key {stored.key[:16]}…, not {key[:16]}… "
                             "(misplaced or edited); delete it and the run is trained again")
        return stored

    def put(self, key: str, spec: dict, run) -> StoredRun:
        """Store a finished ``train.Run`` atomically; returns it as read back from disk."""
        record = run_record(run.wall_seconds, run.rows, spec)
        stored = StoredRun(key, spec, record, run.rows, run.arrays)
        path = self.write_dir / self._relative(key, spec["model"])
        write_atomically(path, encode(stored), durable=True)
        # Read back what was written, so a reused run and a fresh one are the same object.
        return decode(path.read_text(), path)

    def derived(self, spec: dict, run_spec: dict, fingerprint: str, missing: Exception) -> tuple[str, StoredRun | None,
                                                                                            StoredRun | None]:
        """A measurement derived from a stored run (a probe, kept weights), stored under ``spec``
        (the run's ``run_spec`` plus its own fields): its key, its entry (None until stored) and,
        while it is not stored, the run it derives from; ``missing`` is raised when neither is."""
        key = run_key(spec, fingerprint)
        entry = self.get(key)
        if entry is not None:
            return key, entry, None
        run = self.get(run_key(run_spec, fingerprint))
        if run is None:
            raise missing
        return key, None, run

    def describe(self, key: str) -> str:
        path = self._find(key)
        return paths.shown(path) if path is not None else f"run {key[:12]} (not stored)"

    def records(self, keys) -> pd.DataFrame:
        """One row per stored run (full keys or their 16-character prefixes, as the
        ``run_key`` column of a results table holds them): where and when it was trained,
        how long it took, how many training images it went through (its last step times its
        batch size), and the sizes of the training and test sets it used."""
        rows = []
        for key in keys:
            path = self._find(key)
            if path is None:
                rows.append({"key": key[:16], "stored": False})
                continue
            entry = decode(path.read_text(), path)
            if not entry.key.startswith(key):
                raise StoreError(f"{path}: run-store entry holds key {entry.key[:16]}…, not {key[:16]}…")
            record = entry.record
            rows.append({"key": key[:16], "stored": True, "cpu": record.get("cpu"), "device": record.get("device"),
                         "backend": record.get("backend"), "commit": record.get("commit"),
                         "finished": record.get("finished"), "wall_seconds": record.get("wall_seconds"),
                         "images_per_second": record.get("images_per_second"),
                         "images": int(entry.rows["step"].max() * entry.spec["batch_size"]),
                         "train_images": entry.spec.get("n_train"), "test_images": entry.spec.get("n_test")})
        return pd.DataFrame(rows)

    def entries(self) -> list[Path]:
        return sorted(p for folder in self.read_dirs if folder.exists() for p in folder.glob("*/*.json"))


def default() -> RunStore:
    """The store of this process: the record's under the runner, scratch (reading the record) otherwise."""
    write, reads = paths.run_store_dirs()
    return RunStore(write, reads)


def merge(sources: list[Path], into: Path) -> dict[str, int]:
    """Copy every entry of the ``sources`` stores (e.g. the shards of ``python -m
    mnist_utils.fill --shard``) into the store ``into``: an entry it lacks is added
    atomically, one it holds byte for byte is skipped, so merging again changes nothing. An entry
    it holds with other contents (the same run trained twice) keeps the one already there and is
    counted as a conflict. Every entry is decoded first: a damaged one stops the merge, naming it."""
    counts = {"added": 0, "same": 0, "conflicts": 0}
    for source in sources:
        for path in RunStore(source).entries():
            entry = decode(path.read_text(), path)
            target = Path(into) / RunStore._relative(entry.key, path.parent.name)
            if not target.exists():
                write_atomically(target, path.read_text(), durable=True)
                counts["added"] += 1
            elif target.read_bytes() == path.read_bytes():
                counts["same"] += 1
            else:
                counts["conflicts"] += 1
                print(f"conflict: {paths.shown(path)} differs from {paths.shown(target)}; kept the stored one",
                      file=sys.stderr)
    return counts


def verify(store: RunStore, per_model: int, models=("softmax", "lenet5")) -> list[dict]:
    """Train again, with this code, the ``per_model`` quickest stored runs of each of ``models``
    that this code keys alike (``CODE_VERSIONS``) and compare them with what is stored: the
    evidence that a declared code change leaves the stored runs' numbers as they were."""
    from dataclasses import fields

    from . import data
    from . import train as training

    mnist, rows = data.load(), []
    fingerprint = data_fingerprint(mnist)
    names = {f.name for f in fields(training.TrainConfig)}
    for model in models:
        candidates = []
        for path in sorted((store.write_dir / model).glob("*.json")):
            run = decode(path.read_text(), path)
            if "probe" in run.spec or run_key(run.spec, fingerprint, backend_name=run.record.get("backend")) != run.key:
                continue   # a probe, another data subset or backend: not a run this code retrains as stored
            candidates.append(run)
        for run in sorted(candidates, key=lambda r: r.record.get("wall_seconds", 0))[:per_model]:
            config = training.TrainConfig(**{k: v for k, v in run.spec.items() if k in names})
            print(f"verify {model} {run.key[:12]} (seed {run.spec['seed']}): training again", flush=True)
            again = training.train(config, mnist, run.spec["seed"], steps_per_execution=run.spec["steps_per_execution"])
            same_rows = np.array_equal(again.rows["val_accuracy"].to_numpy(float), run.rows["val_accuracy"].to_numpy(float))
            differs = int((again.arrays["test_predictions"] != run.arrays["test_predictions"]).sum())
            rows.append({"model": model, "key": run.key[:12], "seed": run.spec["seed"],
                         "same_validation_curve": same_rows, "test_predictions_differing": differs,
                         "stored_on": run.record.get("cpu"), "here": provenance.cpu_name()})
            print(f"  {rows[-1]}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Summarise a store: runs per model, size on disk, total training time; or merge stores;
    or verify that this training code repeats stored runs."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mnist_utils.store", description=main.__doc__)
    parser.add_argument("folder", nargs="?", default=str(paths.RUNS), help="store folder (default: data/runs)")
    parser.add_argument("--merge", nargs="+", metavar="SOURCE", help="copy these stores' entries into the folder")
    parser.add_argument("--verify", type=int, metavar="N", help="train the N quickest stored softmax and LeNet-5 runs "
                                                                 "again and compare (a declared code change)")
    args = parser.parse_args(argv)
    if args.verify:
        checked = verify(RunStore(Path(args.folder)), args.verify)
        same = [r for r in checked if r["same_validation_curve"] and not r["test_predictions_differing"]]
        print(f"{len(same)} of {len(checked)} stored runs repeated exactly")
        return 0 if len(same) == len(checked) else 1
    if args.merge:
        missing = [s for s in args.merge if not Path(s).is_dir()]
        if missing:
            print(f"error: --merge {missing[0]}: no such store folder", file=sys.stderr)
            return 2
        try:
            counts = merge([Path(s) for s in args.merge], Path(args.folder))
        except StoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{args.folder}: {counts['added']} added, {counts['same']} already there, "
              f"{counts['conflicts']} conflicts (kept the stored ones)")
        return 0
    store = RunStore(Path(args.folder))
    entries = store.entries()
    by_model: dict[str, list] = {}
    for path in entries:
        try:
            by_model.setdefault(path.parent.name, []).append(decode(path.read_text(), path))
        except StoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    size = sum(p.stat().st_size for p in entries)
    print(f"{args.folder}: {len(entries)} runs, {size / 1024:.0f} KiB on disk")
    for model, runs in sorted(by_model.items()):
        hours = sum(r.record.get("wall_seconds", 0) for r in runs) / 3600
        print(f"  {model}: {len(runs)} runs, {hours:.2f} h of training")
    return 0


if __name__ == "__main__":
    sys.exit(main())
