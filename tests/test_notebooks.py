"""The source notebooks, the profiles, the nbval baselines and the table of contents agree."""

import nbformat
import papermill
import pytest
import yaml

from mnist_utils import paths, run

SOURCES = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
NAMES = [p.stem for p in SOURCES]


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


@pytest.mark.parametrize("profile", ["smoke", "cpu", "paper"])
def test_every_profile_names_every_chapter_with_known_parameters(profile):
    spec = run.load_profile(profile)
    assert sorted(spec["notebooks"]) == NAMES, f"params/{profile}.yaml does not list every chapter"
    for name in NAMES:  # raises RunError on a parameter the notebook does not declare
        run.chapter_parameters(name, profile, spec, {})


def test_nbval_baselines_exist_and_are_current():
    """A baseline is stale when its source, parameters, mnist_utils code or data changed:
    regenerate with `make baselines`."""
    for name in NAMES:
        assert (paths.BASELINES / f"{name}.ipynb").exists(), f"no nbval baseline for {name}"
    assert run.stale("smoke") == [], "stale nbval baselines: run `make baselines`"


@pytest.mark.parametrize("name", NAMES)
def test_baselines_check_some_outputs(name):
    """nbval --nbval-lax compares only marked cells: every chapter must mark at least one,
    and the marked cells must have outputs in the baseline (else the check is vacuous)."""
    nb = nbformat.read(paths.BASELINES / f"{name}.ipynb", as_version=4)
    checked = [c for c in nb.cells if c.cell_type == "code" and "# NBVAL_CHECK_OUTPUT" in c.source]
    assert checked, f"{name}: no cell marked # NBVAL_CHECK_OUTPUT"
    assert all(c.outputs for c in checked), f"{name}: a checked cell has no output"


def test_executed_book_chapters_are_in_the_toc():
    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text())
    files = {ch["file"] for part in toc["parts"] for ch in part["chapters"]}
    for name in NAMES:
        if (paths.BOOK / f"{name}.ipynb").exists():
            assert f"book/{name}" in files, f"book/{name}.ipynb is not in _toc.yml"
    for f in files:
        assert (paths.ROOT / f"{f}.ipynb").exists() or (paths.ROOT / f"{f}.md").exists(), f"_toc.yml: {f} missing"


@pytest.mark.parametrize("executed", sorted(paths.BOOK.glob("*.ipynb")), ids=lambda p: p.stem)
def test_executed_chapters_hide_parameters_and_carry_provenance(executed):
    nb = nbformat.read(executed, as_version=4)
    meta = nb.metadata.get(run.META_KEY)
    assert meta and meta["content_hash"] and meta["profile"] in ("cpu", "paper")
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and all("remove-cell" in c.metadata["tags"] for c in injected)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                assert not any(run.TF_LOG_LINE.match(l) for l in out["text"].splitlines()), executed.name
            assert out.get("output_type") != "error", f"{executed.name}: an error output"
