"""The first cell of every chapter, for a reader who opens it on Colab.

Colab opens one notebook file, without this repository: ``mnist_utils`` is missing and the
chapter's first import fails. This cell fetches the repository and installs it (with its
pinned dependencies) where the package is missing, and does nothing anywhere else, so the
chapter is otherwise unchanged. A notebook cannot import the package before it exists, so the
text is copied into each chapter; ``tests/test_notebooks.py`` checks every copy against
``SETUP_CELL``, and the book hides the cell (tag ``remove-cell``).
"""

REPOSITORY = "https://github.com/mnist-replication/mnist-tf-book"

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
