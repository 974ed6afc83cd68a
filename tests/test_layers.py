"""The package's layers, as its folders show them: no import runs back up a layer, none goes
sideways between training and judging, and no module of the package is imported inside a function
(an import placed there to dodge a circle would hide one)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mnist_utils"
# Bottom to top. Training and judging are side by side: both rest on core alone.
LAYERS = {"core": 0, "training": 1, "judging": 1, "runs": 2, "present": 3, "chapters": 4, "": 5}


def layer_of(dotted: str) -> str:
    first = dotted.split(".")[0]
    return first if first in LAYERS else ""


def imports(path: Path):
    """(line, imported dotted module below the package, inside a function?) for each package import."""
    own = path.relative_to(PACKAGE).with_suffix("").parts
    here = list(own[:-1])
    tree = ast.parse(path.read_text())
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    inside = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "mnist_utils":
                base = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:
                target = ".".join(base) if base else alias.name
                yield node.lineno, target, id(node) in inside
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "mnist_utils" and "." in alias.name:
                    yield node.lineno, alias.name.split(".", 1)[1], id(node) in inside


# The one import made inside a function, and why: an optional dependency, never a circle.
OPTIONAL = {("runs/runsets.py", "training.flax_train"):
            "Flax needs the jax extra; a command that trains no Flax run must not load JAX",
            ("runs/verify.py", "training.flax_train"): "likewise: a check that repeats no Flax run must not load JAX"}

MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_sits_in_a_layer_folder_or_is_an_entry_point():
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == {"__init__.py", "runner.py", "launch.py"}
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(LAYERS) - {""}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_runs_up_or_sideways_and_none_hides_in_a_function(path):
    own = layer_of(".".join(path.relative_to(PACKAGE).parts))
    for line, target, in_function in imports(path):
        where = f"{path.relative_to(PACKAGE)}:{line} imports {target}"
        other = layer_of(target)
        assert not in_function or (str(path.relative_to(PACKAGE)), target) in OPTIONAL, f"{where} inside a function"
        if other == own:
            continue
        assert LAYERS[other] < LAYERS[own], f"{where}, a layer at or above its own ({own or 'entry points'})"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_longer_than_a_maintainer_reads_at_once(path):
    assert len(path.read_text().splitlines()) <= 420, f"{path.relative_to(PACKAGE)}: split it by topic"


def test_the_architecture_page_draws_these_layers_in_this_order():
    page = (PACKAGE.parent / "ARCHITECTURE.md").read_text()
    rows = [r.split("|") for r in page.splitlines() if r.startswith("| ") and "`" in r.split("|")[2]]
    drawn = {cells[2].strip().strip("`").rstrip("/"): int(cells[1]) for cells in rows if cells[1].strip().isdigit()}
    assert drawn == {layer: rank for layer, rank in LAYERS.items() if layer}


# Every chapter that judges claims decides them in its notebook, one visible line per claim
# (``Verdicts.decide``): its modules measure and present, and record nothing themselves.
DECIDED_IN_THE_NOTEBOOK = sorted(p.stem for p in (PACKAGE / "chapters").glob("*.py") if p.stem != "__init__")
RECORDING = {"judge", "decide", "second_look", "not_testable", "undecided"}


@pytest.mark.parametrize("module", DECIDED_IN_THE_NOTEBOOK)
def test_a_chapter_that_decides_in_its_notebook_records_no_verdict_in_its_modules(module):
    tree = ast.parse((PACKAGE / "chapters" / f"{module}.py").read_text())
    calls = [f"line {node.lineno}: {node.func.attr}" for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RECORDING]
    assert not calls, f"{module} records verdicts: {calls}"
