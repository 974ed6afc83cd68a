"""mnist_utils.launch: the Colab set-up cell, from one place."""
from __future__ import annotations

import shutil

import nbformat
import yaml

from mnist_utils import launch
from mnist_utils.core import paths


def test_the_cell_clones_the_repository_named_in_the_book_config():
    config = yaml.safe_load((paths.ROOT / "_config.yml").read_text())
    assert launch.REPOSITORY == config["repository"]["url"] and f'"{launch.REPOSITORY}"' in launch.SETUP_CELL


def test_a_drifted_copy_is_written_back_and_a_current_one_left_alone(tmp_path):
    current, drifted = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    shutil.copy(paths.ROOT / "notebooks" / "02_softmax_baseline.ipynb", current)
    shutil.copy(paths.ROOT / "notebooks" / "02_softmax_baseline.ipynb", drifted)
    nb = nbformat.read(drifted, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = first.source.replace(launch.REPOSITORY, "https://example.org/an-old-fork")
    first.metadata["tags"] = []
    nbformat.write(nb, drifted)
    assert launch.write_cells([current, drifted]) == ["b.ipynb"]
    again = next(c for c in nbformat.read(drifted, as_version=4).cells if c.cell_type == "code")
    assert again.source == launch.SETUP_CELL and "remove-cell" in again.metadata["tags"]
    assert launch.write_cells([current, drifted]) == []
