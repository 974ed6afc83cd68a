"""The run store: every training run (one configuration, one seed) stored once, by key.

The key is a SHA-256 digest of everything that can change a run's numbers: the model and its
arguments, optimizer, learning rate, batch size, budget, evaluation schedule, seed, the sizes of
the data subsets (``train.run_spec``), a fingerprint of the data themselves, the Keras backend,
and the declared version of the code that trains (``versions``: a committed lock guards each
version's code, so linting or moving the code never re-keys, and changing its numbers cannot go
unnoticed). What a reader must know but cannot change the numbers (hardware, library versions,
wall time, images/s, commit) is recorded beside it.

A new way to feed a run changes the key of the runs that use it, and only theirs:
``runsets.with_validation_in_training`` (Table 2's 60,000 images) through the data fingerprint
and ``n_train``; a probe through the ``probe`` fields it adds to its own spec. A field added to
``train.TrainConfig`` enters ``train.run_spec`` only when set away from its default (the lock's
``added_fields``), so existing runs keep their keys.

An entry is one JSON file, ``<store>/<model>/<key[:16]>.json``: a few header lines,
then one line per evaluation row, then the arrays chapters draw from the trained
model (test predictions, small weight tensors) as zlib-compressed base64. Entries are
written once and never modified, through a temporary file and ``os.replace``, so a
crash never leaves half an entry; an entry that fails to parse or whose key does not
match its name is an error naming the file, never silently a miss.

    python -m mnist_utils.runs.store              # what the book-of-record store holds
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import platform
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import paths, provenance
from ..core.files import write_atomically
from ..training import backend as keras_backend
from ..training import versions

FORMAT = 1
PACKAGES = ("keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "flax", "optax", "numpy")


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


# The second implementation keys its runs by its framework where a Keras run names its backend,
# and by its own locked code (versions: unit "flax": its models and trainer together).
FLAX = "flax"


def _code_unit(backend_name: str) -> str:
    return "flax" if backend_name == FLAX else "training"


def _devices(backend_name: str) -> str:
    """The accelerator(s) a run trained on, or 'cpu': Keras's backend's, or JAX's for Flax (as
    ``backend.devices`` reports them for Keras on JAX)."""
    if backend_name != FLAX:
        return keras_backend.devices()
    try:
        import jax

        found = [f"{d.platform}:{getattr(d, 'device_kind', '')}" for d in jax.devices()]
        return ", ".join(found) if any(not f.startswith("cpu") for f in found) else "cpu"
    except Exception:  # provenance must never fail a run
        return "cpu"


def run_key(spec: dict, fingerprint: str, backend_name: str | None = None) -> str:
    """The store key of one run: a digest of its spec, data, backend (a Keras backend, or
    ``"flax"``) and the declared version of the code that trains it (``versions``)."""
    backend_name = backend_name or keras_backend.name()
    payload = {"format": FORMAT, "spec": spec, "data": fingerprint, "code": versions.key_token(_code_unit(backend_name)),
               "backend": backend_name}
    model_code = versions.model_token(spec["model"]) if backend_name != FLAX else None
    if model_code is not None:
        payload["model_code"] = model_code
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# ---------------------------------------------------------------- records
def run_record(wall_seconds: float, rows: pd.DataFrame, spec: dict, backend_name: str | None = None) -> dict:
    """What a stored run records beside its numbers: when, how fast, on what, from which commit
    (``backend_name``: the Keras backend of this process unless ``"flax"``)."""
    backend_name = backend_name or keras_backend.name()
    packages = provenance.package_versions(PACKAGES)
    images = spec["batch_size"] * int(rows["step"].iloc[-1]) if len(rows) else 0
    return {
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(float(wall_seconds), 2),
        # Whole-run throughput (evaluation and tracing included), and the steady median.
        "images_per_second": round(images / wall_seconds, 1) if wall_seconds > 0 else None,
        "median_interval_images_per_second": round(float(rows["images_per_second"].median()), 1),
        "backend": backend_name,
        "device": _devices(backend_name),
        "cpu": provenance.cpu_name(),
        "cpu_count": os.cpu_count(),
        "threads": provenance.tf_threads() if backend_name != FLAX else f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}",
        "python": platform.python_version(),
        "versions": packages,
        "commit": provenance.commit(),
        "code_version": versions.unit(_code_unit(backend_name))["version"],
        "code_digest": versions.digests()[_code_unit(backend_name)],
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

    def put(self, key: str, spec: dict, run, backend_name: str | None = None) -> StoredRun:
        """Store a finished ``train.Run`` atomically; returns it as read back from disk."""
        record = run_record(run.wall_seconds, run.rows, spec, backend_name)
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
    mnist_utils.runs.fill --shard``) into the store ``into``: an entry it lacks is added
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


def main(argv: list[str] | None = None) -> int:
    """Summarise a store: runs per model, size on disk, total training time; or merge stores."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mnist_utils.runs.store", description=main.__doc__)
    parser.add_argument("folder", nargs="?", default=str(paths.RUNS), help="store folder (default: data/runs)")
    parser.add_argument("--merge", nargs="+", metavar="SOURCE", help="copy these stores' entries into the folder")
    args = parser.parse_args(argv)
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
