"""The first cell of every chapter, for a reader who opens it on Colab.

Colab opens one notebook file, without this repository: ``mnist_utils`` is missing and the
chapter's first import fails. This cell fetches the repository and installs it (with its
pinned dependencies) where the package is missing, and does nothing anywhere else, so the
chapter is otherwise unchanged. A notebook cannot import the package before it exists, so the
text is copied into each chapter, from one place: the repository is ``_config.yml``'s
(``repository.url``), and ``python -m mnist_utils.launch`` writes ``SETUP_CELL`` into every
notebook's first code cell; ``tests/test_notebooks.py`` checks every copy against it, and the
book hides the cell (tag ``remove-cell``).
"""
import sys

import nbformat
import yaml

from .core import paths
from .core.files import write_atomically

REPOSITORY = yaml.safe_load((paths.ROOT / "_config.yml").read_text())["repository"]["url"]

SETUP_CELL = f"""\
# On Colab (or anywhere without this book's package): fetch the book and install it first.
import importlib.util

if importlib.util.find_spec("mnist_utils") is None:
    import os
    import subprocess
    import sys
    subprocess.run(["git", "clone", "-q", "--depth", "1", "{REPOSITORY}",
                    "mnist-tf-book"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "mnist-tf-book"], check=True)
    os.chdir("mnist-tf-book")
    sys.path.insert(0, os.getcwd())"""


def write_cells(notebooks=None) -> list[str]:
    """Write ``SETUP_CELL`` into the first code cell of each chapter source (hidden from the
    book); returns the names of the notebooks it changed."""
    changed = []
    for path in notebooks or sorted(paths.ROOT.glob("notebooks/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        if first.source == SETUP_CELL and "remove-cell" in first.metadata.get("tags", []):
            continue
        first.source = SETUP_CELL
        first.metadata["tags"] = sorted({*first.metadata.get("tags", []), "remove-cell"})
        write_atomically(path, nbformat.writes(nb) + "\n")
        changed.append(path.name)
    return changed


if __name__ == "__main__":
    written = write_cells()
    print(f"set-up cell written into {len(written)} notebooks" + (f": {', '.join(written)}" if written else ""))
    sys.exit(0)
