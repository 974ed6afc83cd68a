"""The papermill runner: execute the chapters of one profile, skipping those that are current.

    python -m mnist_utils.runner --profile cpu                 # the book of record
    python -m mnist_utils.runner --profile smoke               # nbval baselines, seconds each
    python -m mnist_utils.runner --profile cpu --only 03_activation_study -p seeds=[0,1]
    python -m mnist_utils.runner --profile cpu --check         # list stale notebooks, run nothing
    python -m mnist_utils.runner --profile cpu --experiment    # from uncommitted code, into data/scratch

A profile marked ``record: true`` (cpu, paper) writes the book of record: executed
notebooks in its ``output`` folder, runs in ``data/runs``, results, verdicts and the
manifest under ``data/``. The runner executes such a profile only from committed code
(the notebooks, ``mnist_utils``, ``params`` and the claims file) and tells the kernels
so through ``MNIST_BOOK_RECORD=1``; ``--experiment`` runs it from uncommitted code
into ``data/scratch`` instead, marked as an experiment on every page. Every other
execution, including a direct papermill call, writes to ``data/scratch`` only.

A profile (``params/<profile>.yaml``) names where its executed notebooks go and
the parameters of each chapter. A chapter re-executes only when its *content
hash* changed: the source cells, its parameters, the ``mnist_utils`` code that
can change results, and the MNIST digests (file mtimes mean nothing after
``git clone``). The hash is stored in the executed notebook's metadata.

Executed notebooks are written to a temporary file and moved into place, so a
failing chapter leaves the previous executed one untouched; the failed copy is
kept under ``_build/failed/`` for inspection and the CLI exits non-zero naming
the chapter and the cell.
"""
from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from .core import paths, provenance
from .core.files import write_atomically
from .core.profiles import RunError, load_profile, notebook_parameters, parse_override, profile_values
from .training import data

# Silence TensorFlow's C++ logging in the kernels papermill starts: under
# papermill those lines reach the notebook's stderr, under pytest (nbval) they
# do not, so left alone they would make the two executions differ.
KERNEL_ENV = {paths.TF_LOG_LEVEL_ENV: "3", paths.PYTHON_WARNINGS_ENV: "ignore::DeprecationWarning"}
# Lines that still slip through (absl/C++ log format, oneDNN banner, cuda probes).
TF_LOG_LINE = re.compile(
    r"^(?:[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\]|WARNING: All log messages before absl|"
    r".*oneDNN custom operations are on|.*Unable to register cu(?:DNN|FFT|BLAS)|"
    r".*This TensorFlow binary is optimized|.*cuda_(?:executor|blas|dnn|fft)|"
    r".*TF-TRT Warning|.*computation placer already registered|.*absl::InitializeLog)"
)
# What a book-of-record execution must find committed: what the content hash covers.
SOURCES = ("notebooks", "mnist_utils", "params", "data/paper_claims.yaml", "data/results/benchmark")
# Modules whose code cannot change a chapter's results; excluded from the hash so
# that improving the runner does not invalidate hours of executed notebooks.
NOT_HASHED = {"runner.py", "__main__.py"}
META_KEY = "mnist_book"
PACKAGES = ("tensorflow", "tensorflow-cpu", "keras", "numpy", "pandas", "scipy", "matplotlib",
            "seaborn", "opencv-python-headless", "papermill", "jupyter-book", "myst-nb", "nbval")


# --------------------------------------------------------------- content hash
def _imported_modules(code: str, package_modules: set[str], within: str | None) -> set[str]:
    """The ``mnist_utils`` modules (dotted names below the package, e.g. ``runs.store``) that
    ``code`` imports: its absolute imports, or, for a module of the package (``within``, its own
    dotted name), its relative ones too. A package counts as its ``__init__`` and, for
    ``from package import name``, the module ``name``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(package_modules)  # cannot tell: assume it uses everything
    here = within.split(".")[:-1] if within is not None else None
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level and here is not None:
                base = here[:len(here) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            elif node.level == 0 and node.module and node.module.split(".")[0] == "mnist_utils":
                base = node.module.split(".")[1:]
            else:
                continue
            dotted = ".".join(base)
            found |= {dotted, f"{dotted}.__init__" if dotted else "__init__"}
            found |= {f"{dotted}.{a.name}" if dotted else a.name for a in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "mnist_utils":
                    found |= {".".join(parts[1:])} if len(parts) > 1 else set(package_modules)
    return found & package_modules


def package_digests(code: str | None = None) -> dict[str, str]:
    """Digests of the ``mnist_utils`` modules that ``code`` uses, directly or through
    other modules (all modules when ``code`` is None). A chapter is therefore not
    invalidated by a change to a module it never imports."""
    package = Path(__file__).resolve().parent
    files = {".".join(p.relative_to(package).with_suffix("").parts): p for p in sorted(package.rglob("*.py"))
             if p.name not in NOT_HASHED and "__pycache__" not in p.parts}
    files |= {".".join(p.relative_to(package).parts): p for p in package.rglob("*.lock.json")}
    modules = set(files)
    if code is not None:
        todo, used = _imported_modules(code, modules, within=None), set()
        while todo:
            name = todo.pop()
            used.add(name)
            if files[name].suffix == ".py":
                todo |= _imported_modules(files[name].read_text(), modules, within=name) - used
        modules = used | ({"__init__"} & modules)
        if "training.versions" in used:
            modules |= {m for m in files if m.endswith(".lock.json")}
    return {str(files[name].relative_to(package)): hashlib.sha256(files[name].read_bytes()).hexdigest()
            for name in sorted(modules)}


def _code_of(nb: nbformat.NotebookNode) -> str:
    """The notebook's Python code, with IPython magics and shell lines dropped."""
    lines = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines += [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def input_digests(nb: nbformat.NotebookNode, profile: str, code_files: dict) -> dict[str, str]:
    """Digests of the files a chapter reads besides MNIST: the claims file when it uses
    ``mnist_utils.core.claims``, and the patterns its source declares in
    ``metadata.mnist_book.inputs`` (``{profile}`` is substituted), e.g. another
    chapter's results file. A chapter re-executes when one of them changes."""
    patterns = list(nb.metadata.get(META_KEY, {}).get("inputs", []))
    files = [paths.CLAIMS] if "core/claims.py" in code_files else []
    for pattern in patterns:
        files += sorted(paths.ROOT.glob(pattern.format(profile=profile)))
    return {str(f.relative_to(paths.ROOT)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in files if f.is_file()}


def content_hash(source: Path, params: dict, hash_inputs: bool = True) -> str:
    """What a chapter's outputs depend on: cell sources, parameters, the code it uses,
    the files it reads (unless ``hash_inputs`` is off), MNIST."""
    nb = nbformat.read(source, as_version=4)
    code = package_digests(_code_of(nb))
    payload = {
        "cells": [[c.cell_type, c.source] for c in nb.cells],
        "parameters": params,
        "mnist_utils": code,
        "inputs": input_digests(nb, params.get("profile", ""), code) if hash_inputs else {},
        "mnist": data.digests(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def stored_hash(executed: Path) -> str | None:
    if not executed.exists():
        return None
    try:
        return nbformat.read(executed, as_version=4).metadata.get(META_KEY, {}).get("content_hash")
    except Exception:  # an unreadable notebook is simply out of date
        return None


# ------------------------------------------------------------ post-processing
def clean_executed(nb: nbformat.NotebookNode) -> None:
    """Hide the injected-parameters cell in the book and drop TF log lines from stderr."""
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(line for line in out["text"].splitlines(keepends=True) if not TF_LOG_LINE.match(line))
                if not text.strip():
                    continue
                out["text"] = text
            kept.append(out)
        cell["outputs"] = kept


def _literal(value) -> str:
    """A parameter value as Python source, strings in double quotes like the notebooks'."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def show_executed_parameters(nb: nbformat.NotebookNode, params: dict, profile: str) -> None:
    """Rewrite the ``parameters`` cell so that it shows the values this execution ran with
    (the defaults, overridden by the injected ones), keeping each line's comment; the
    reader must never see a source default that did not run."""
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None or not params:
        return
    lines = cell.source.splitlines()
    for node in ast.parse(cell.source).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in params and node.lineno == node.end_lineno):
            i, value = node.lineno - 1, node.value
            old = lines[i]
            new_code = old[:value.col_offset] + _literal(params[node.targets[0].id])
            comment = old[value.end_col_offset:]
            if comment.strip():  # keep the comment in its column when the value fits
                comment = " " * max(1, len(old[:value.end_col_offset]) + len(comment) - len(comment.lstrip())
                                    - len(new_code)) + comment.lstrip()
            lines[i] = new_code + comment
    header = f"# What ran: the defaults below, overridden by params/{profile}.yaml"
    cell.source = "\n".join([header, *lines])
    cell.metadata.setdefault(META_KEY, {})["shows"] = "executed parameters"


# ------------------------------------------------------------------- manifest
def uncommitted_sources() -> list[str]:
    """The files among ``SOURCES`` with uncommitted changes (untracked ones included)."""
    return provenance.uncommitted(SOURCES)


def update_manifest(profile: str, name: str, entry: dict, env: dict, path: Path | None = None) -> None:
    """Record one chapter's run in ``data/manifests/<profile>.json`` (atomically)."""
    path = path or paths.MANIFESTS / f"{profile}.json"
    manifest = json.loads(path.read_text()) if path.exists() else {"profile": profile, "notebooks": {}}
    manifest["notebooks"][name] = {**entry, **env}
    manifest["updated"] = entry["finished"]
    write_atomically(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------------- run
def execute(name: str, profile: str, params: dict, output: Path, digest: str, env: dict,
            manifest: Path | None = None) -> float:
    """Execute one chapter with papermill; returns wall seconds. Raises RunError on failure."""
    import papermill

    source = paths.NOTEBOOKS / f"{name}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{name}.", suffix=".tmp.ipynb")
    os.close(fd)
    os.environ.update(KERNEL_ENV)
    started, started_at = time.perf_counter(), time.time()
    try:
        papermill.execute_notebook(str(source), tmp, parameters=params, kernel_name="python3",
                                   progress_bar=sys.stderr.isatty(), cwd=str(paths.ROOT))
        wall = time.perf_counter() - started
        nb = nbformat.read(tmp, as_version=4)
    except Exception as exc:  # a dead kernel or a papermill error: same handling, one line
        detail = (f"cell {exc.exec_count} ({exc.ename}: {exc.evalue.splitlines()[0] if exc.evalue else ''})"
                  if isinstance(exc, papermill.PapermillExecutionError) else f"{type(exc).__name__}: {exc}")
        failed = paths.ROOT / "_build" / "failed" / f"{name}.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(tmp, failed)
        raise RunError(
            f"{name}: failed in {detail.splitlines()[0] if detail else ''}; "
            f"previous {paths.shown(output)} kept, failed copy in {paths.shown(failed)}"
        ) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    clean_executed(nb)
    defaults = notebook_parameters(source)
    show_executed_parameters(nb, {**defaults, **params}, profile)
    finished = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    entry = {"profile": profile, "parameters": params, "content_hash": digest,
             "wall_seconds": round(wall, 1), "finished": finished}
    nb.metadata[META_KEY] = {**entry, **env}
    write_atomically(output, nbformat.writes(nb))
    update_manifest(profile, name, entry, env, manifest)
    for stale_file in prune_results(name, profile, started_at):
        print(f"{name}: removed {paths.shown(stale_file)} (a run set this execution no longer declares)", flush=True)
    return wall


def prune_results(name: str, profile: str, since: float) -> list[Path]:
    """Delete the results files of chapter ``name`` (``<name>.csv``, ``<name>_<set>.csv``)
    that its successful execution since ``since`` did not write again: a run set no longer
    declared (ablations switched off, say) would otherwise be read by the report as if it
    had run. Called only after success, so a failed execution removes nothing."""
    folder = paths.results_dir(profile)
    candidates = [folder / f"{name}.csv", *folder.glob(f"{name}_*.csv")]
    stale = [f for f in candidates if f.exists() and f.stat().st_mtime < since]
    for f in stale:
        f.unlink()
    return stale


def plan(profile: str, only: list[str] | None, overrides: dict) -> tuple[dict, list[tuple[str, dict, Path, str]]]:
    """The chapters of a profile with their parameters, output path and content hash."""
    spec = load_profile(profile)
    names = list(spec["notebooks"])
    if only:
        missing = [n for n in only if n not in names]
        if missing:
            raise RunError(f"--only {', '.join(missing)}: not in params/{profile}.yaml (chapters: {', '.join(names)})")
        names = [n for n in names if n in only]
    out_dir = paths.ROOT / spec["output"]
    jobs = []
    for name in names:
        params = profile_values(name, profile, spec, overrides)
        digest = content_hash(paths.NOTEBOOKS / f"{name}.ipynb", params, spec.get("hash_inputs", True))
        jobs.append((name, params, out_dir / f"{name}.ipynb", digest))
    return spec, jobs


def stale(profile: str, only: list[str] | None = None) -> list[str]:
    """Chapters whose executed notebook is missing or out of date."""
    _, jobs = plan(profile, only, {})
    return [name for name, _, output, digest in jobs if stored_hash(output) != digest]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_utils.runner", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu", help="params/<profile>.yaml (smoke, cpu, paper)")
    parser.add_argument("--only", action="append", metavar="NOTEBOOK", help="run just this chapter (repeatable)")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter of the selected chapters (value read as YAML)")
    parser.add_argument("--force", action="store_true", help="execute even if the content hash matches")
    parser.add_argument("--check", action="store_true", help="list stale chapters and exit 1 if any")
    parser.add_argument("--experiment", action="store_true",
                        help="a record profile from uncommitted code, into data/scratch (pages marked as experiments)")
    args = parser.parse_args(argv)

    try:
        overrides = dict(parse_override(p) for p in args.param)
        spec, jobs = plan(args.profile, args.only, overrides)
        # Overridden parameters are not the profile's: such a run is an experiment by definition.
        experiment = args.experiment or bool(spec.get("record") and overrides)
        record = bool(spec.get("record")) and not experiment
        dirty = uncommitted_sources()
        if record and dirty and not args.check:
            shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
            raise RunError(f"--profile {args.profile} writes the book of record, but these files have uncommitted "
                           f"changes: {shown}; commit them, or pass --experiment to execute into data/scratch")
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # What the kernels (and this process, for the manifest) write to: see mnist_utils.core.paths.
    os.environ.pop(paths.RECORD_ENV, None)
    os.environ.pop(paths.EXPERIMENT_ENV, None)
    if record:
        os.environ[paths.RECORD_ENV] = "1"
    elif spec.get("record"):  # an experiment: scratch outputs, pages marked as such
        os.environ[paths.EXPERIMENT_ENV] = "1"
        out_dir = paths.experiment_output(args.profile)
        print(f"experiment ({'-p overrides' if overrides else '--experiment'}): the book of record stays as it is; "
              f"outputs go to {paths.shown(out_dir)}", flush=True)
        jobs = [(name, params, out_dir / output.name, digest) for name, params, output, digest in jobs]
    os.environ[paths.COMMIT_ENV] = provenance.short_commit(bool(dirty))

    todo = [job for job in jobs if args.force or stored_hash(job[2]) != job[3]]
    if args.check:
        for name, *_ in todo:
            print(f"stale: {name}")
        return 1 if todo else 0

    env = provenance.environment(PACKAGES, bool(dirty))
    env["commit"] = os.environ[paths.COMMIT_ENV]
    manifest = paths.manifest_file(args.profile)
    failures, total = [], time.perf_counter()
    print(f"profile {args.profile}: {len(todo)} of {len(jobs)} chapter(s) out of date now "
          "(a chapter reading another's results is checked again at its turn)", flush=True)
    for i, (name, params, output, digest) in enumerate(jobs, 1):
        # Hash again at the chapter's turn: an earlier chapter of this run may have rewritten
        # a results file this one reads, and the stored hash must describe those inputs.
        digest = content_hash(paths.NOTEBOOKS / f"{name}.ipynb", params, spec.get("hash_inputs", True))
        if not args.force and stored_hash(output) == digest:
            print(f"[{i}/{len(jobs)}] {name}: up to date ({paths.shown(output)})", flush=True)
            continue
        print(f"[{i}/{len(jobs)}] {name}: executing with {json.dumps(params, default=str)}", flush=True)
        try:
            wall = execute(name, args.profile, params, output, digest, env, manifest)
            print(f"[{i}/{len(jobs)}] {name}: done in {wall:.1f} s -> {paths.shown(output)}", flush=True)
        except RunError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            failures.append(name)
    print(f"profile {args.profile}: finished in {time.perf_counter() - total:.1f} s"
          + (f", {len(failures)} failed: {', '.join(failures)}" if failures else ""), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
