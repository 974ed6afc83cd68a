"""The source notebooks, the profiles, the nbval baselines and the table of contents agree."""

import ast
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest
import yaml

from mnist_utils import runner
from mnist_utils.core import paths, profiles
from mnist_utils.runs import store

SOURCES = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
NAMES = [p.stem for p in SOURCES]
# The executed book (the runner's in-progress files start with a dot and are git-ignored).
EXECUTED = sorted(p for p in paths.BOOK.glob("*.ipynb") if not p.name.startswith("."))


def test_there_are_chapters():
    assert "01_reading_mnist" in NAMES and len(SOURCES) >= 3


@pytest.mark.parametrize("source", SOURCES, ids=NAMES)
def test_source_notebook_is_stored_without_outputs(source):
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{source.name}: cell {cell.get('id')} has outputs"
            assert cell.execution_count is None, f"{source.name}: cell {cell.get('id')} has an execution count"


@pytest.mark.parametrize("source", SOURCES, ids=NAMES)
def test_parameters_cell_declares_every_assignment(source):
    """papermill silently drops lines it cannot parse (e.g. '=' in a comment): catch that."""
    nb = nbformat.read(source, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{source.name}: needs exactly one cell tagged 'parameters'"
    assigned = {line.split("=")[0].strip() for line in tagged[0].source.splitlines()
                if line and not line.startswith("#") and "=" in line}
    declared = set(papermill.inspect_notebook(str(source)))
    assert assigned == declared, f"{source.name}: papermill cannot parse {sorted(assigned - declared)}"
    assert "profile" in declared


@pytest.mark.parametrize("source", SOURCES, ids=NAMES)
def test_a_chapter_opened_alone_installs_the_book_first(source):
    """Colab opens a single notebook: its first code cell fetches and installs the book where
    mnist_utils is missing (the same text in every chapter), hidden from the book's pages."""
    from mnist_utils.launch import SETUP_CELL

    first = next(c for c in nbformat.read(source, as_version=4).cells if c.cell_type == "code")
    assert first.source == SETUP_CELL, f"{source.name}: first code cell differs from mnist_utils.launch.SETUP_CELL"
    assert "remove-cell" in first.metadata.get("tags", [])


def test_the_first_cell_clones_installs_and_enters_the_book_only_where_the_package_is_missing(
        monkeypatch, tmp_path):
    import importlib.util
    import os
    import subprocess
    import sys

    from mnist_utils.launch import REPOSITORY, SETUP_CELL

    commands = []
    monkeypatch.setattr(subprocess, "run", lambda command, check: commands.append(command))
    exec(SETUP_CELL, {})
    assert commands == [], "with mnist_utils installed the cell must do nothing"

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mnist-tf-book").mkdir()
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(SETUP_CELL, {})
    assert commands[0][:2] == ["git", "clone"] and REPOSITORY in commands[0]
    assert commands[1][1:] == ["-m", "pip", "install", "-q", "-e", "mnist-tf-book"]
    assert os.getcwd() == str(tmp_path / "mnist-tf-book") and sys.path[0] == os.getcwd()


@pytest.mark.parametrize("source", SOURCES, ids=NAMES)
def test_a_chapter_shows_its_parameters_and_collapses_its_set_up(source):
    """A page reads as a chapter: the parameters stay visible, the imports and loading right
    after them are collapsed (the reader can expand them)."""
    nb = nbformat.read(source, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    assert not {"hide-input", "remove-input", "remove-cell"} & set(nb.cells[at].metadata.get("tags", []))
    assert "hide-input" in nb.cells[at + 1].metadata.get("tags", []), f"{source.name}: set-up cell not collapsed"


@pytest.mark.parametrize("profile", ["smoke", "cpu", "paper"])
def test_every_profile_names_every_chapter_with_known_parameters(profile):
    spec = profiles.load_profile(profile)
    assert sorted(spec["notebooks"]) == NAMES, f"params/{profile}.yaml does not list every chapter"
    for name in NAMES:  # raises RunError on a parameter the notebook does not declare
        profiles.profile_values(name, profile, spec, {})


def test_nbval_baselines_exist_and_are_current():
    """A baseline is stale when its source, parameters, mnist_utils code or data changed:
    regenerate with `make baselines`."""
    for name in NAMES:
        assert (paths.BASELINES / f"{name}.ipynb").exists(), f"no nbval baseline for {name}"
    assert runner.stale("smoke") == [], "stale nbval baselines: run `make baselines`"


@pytest.mark.parametrize("name", NAMES)
def test_baselines_check_some_outputs(name):
    """nbval --nbval-lax compares only marked cells: every chapter must mark at least one,
    and the marked cells must have outputs in the baseline (else the check is vacuous)."""
    nb = nbformat.read(paths.BASELINES / f"{name}.ipynb", as_version=4)
    checked = [c for c in nb.cells if c.cell_type == "code" and "nbval-check-output" in c.metadata.get("tags", [])]
    assert checked, f"{name}: no cell tagged nbval-check-output"
    assert all(c.outputs for c in checked), f"{name}: a checked cell has no output"


@pytest.mark.parametrize("name", NAMES)
def test_readers_never_see_nbval_markers(name):
    """nbval's markers are cell tags, never comments a reader sees in the code."""
    nb = nbformat.read(paths.NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert not [c for c in nb.cells if c.cell_type == "code" and "NBVAL_" in c.source]


def test_executed_book_chapters_are_in_the_toc():
    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text())
    files = {ch["file"] for part in toc["parts"] for ch in part["chapters"]}
    for name in NAMES:
        if (paths.BOOK / f"{name}.ipynb").exists():
            assert f"book/{name}" in files, f"book/{name}.ipynb is not in _toc.yml"
    for f in files:
        assert (paths.ROOT / f"{f}.ipynb").exists() or (paths.ROOT / f"{f}.md").exists(), f"_toc.yml: {f} missing"


def test_the_sidebar_numbers_each_chapter_as_its_file_and_its_prose_do():
    """Numbered parts are numbered continuously (sphinx_multitoc_numbering): the n-th numbered
    chapter in the table of contents must be the file 0n_*, which the prose calls chapter n."""
    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text())
    numbered = [ch["file"] for part in toc["parts"] if part.get("numbered") for ch in part["chapters"]]
    assert numbered, "no numbered part in _toc.yml"
    prefixes = [Path(f).name.split("_", 1)[0] for f in numbered]
    assert prefixes == [f"{n:02d}" for n in range(1, len(numbered) + 1)], prefixes


@pytest.mark.parametrize("executed", EXECUTED, ids=lambda p: p.stem)
def test_executed_chapters_hide_parameters_and_carry_provenance(executed):
    nb = nbformat.read(executed, as_version=4)
    meta = nb.metadata.get(runner.META_KEY)
    assert meta and meta["content_hash"] and meta["profile"] in ("cpu", "paper")
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and all("remove-cell" in c.metadata["tags"] for c in injected)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                assert not any(runner.TF_LOG_LINE.match(line) for line in out["text"].splitlines()), executed.name
            assert out.get("output_type") != "error", f"{executed.name}: an error output"


def _literals(source: str) -> dict:
    """name -> value of the single-line assignments of a parameters cell."""
    return {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(source).body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}


@pytest.mark.parametrize("executed", EXECUTED, ids=lambda p: p.stem)
def test_a_page_shows_the_parameters_it_ran_with(executed):
    """The parameters cell a reader sees holds the executed values (defaults merged with the
    runner's), never a source default that was overridden."""
    nb = nbformat.read(executed, as_version=4)
    source = nbformat.read(paths.NOTEBOOKS / executed.name, as_version=4)
    shown_cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "remove-cell" not in shown_cell.metadata.get("tags", [])
    defaults = _literals(next(c for c in source.cells if "parameters" in c.metadata.get("tags", [])).source)
    ran = {**defaults, **nb.metadata[runner.META_KEY]["parameters"]}
    assert _literals(shown_cell.source) == ran


@pytest.mark.parametrize("executed", EXECUTED, ids=lambda p: p.stem)
def test_page_provenance_is_clean_and_agrees_with_the_manifest(executed):
    nb = nbformat.read(executed, as_version=4)
    meta = nb.metadata[runner.META_KEY]
    lines = [o["data"]["text/markdown"] for c in nb.cells for o in c.get("outputs", [])
             if "text/markdown" in o.get("data", {}) and "was produced by" in o["data"]["text/markdown"]]
    assert len(lines) == 1, f"{executed.name}: expected one provenance line"
    commit = re.search(r"commit `([^`]+)`", lines[0]).group(1)
    assert "dirty" not in commit and "Experiment" not in lines[0]
    manifest = json.loads((paths.MANIFESTS / f"{meta['profile']}.json").read_text())
    assert manifest["notebooks"][executed.stem]["commit"] == commit == meta["commit"]
    assert not meta["git_dirty"]


def test_the_book_of_record_is_current_and_its_runs_are_stored():
    """A fresh clone rebuilds the book without training: every chapter is up to date by its
    content hash, and every run its results name is in the committed run store."""
    assert runner.stale("cpu") == [], "the book of record is stale: commit, then `make book`"
    record_store = store.RunStore(paths.RUNS)
    chapter_results = sorted((paths.RESULTS / "cpu").glob("*.csv"))
    # Every training chapter has its results files: <chapter>.csv, or one per run set (chapter 9).
    from mnist_utils.runs.fill import TRAINING_CHAPTERS
    for chapter in TRAINING_CHAPTERS:
        assert [f for f in paths.find_chapter_results("cpu", chapter) if f.exists()], f"{chapter}: no results file"
    for results in chapter_results:
        keys = pd.read_csv(results)["run_key"].unique()
        records = record_store.records(keys)
        assert records["stored"].all(), f"{results.name}: runs missing from data/runs"
