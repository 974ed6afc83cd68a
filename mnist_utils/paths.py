"""Every path of the project, in one place.

The repository root is found from this file's location, so notebooks executed
from any working directory (papermill, nbval, Jupyter) agree on where things are.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOKS = ROOT / "notebooks"          # parameterised sources, stored without outputs
BOOK = ROOT / "book"                    # executed notebooks of the book of record
BASELINES = ROOT / "tests" / "baselines"  # executed smoke notebooks checked by nbval
PARAMS = ROOT / "params"                # papermill parameter files, one per profile
DATA = ROOT / "data"
MNIST_CACHE = DATA / "mnist"            # git-ignored cache of the four IDX files
RESULTS = DATA / "results"              # tidy results files, one folder per profile
CLAIMS = DATA / "paper_claims.yaml"     # the papers' reported values, the only place they live
MANIFESTS = DATA / "manifests"          # one run manifest per profile

# Environment variable naming a local directory that mirrors the public MNIST
# files (CI points it at ../shared/mnist); checked before any download.
MIRROR_ENV = "MNIST_MIRROR"
# Environment variable that overrides the cache directory (tests use a tmp dir).
CACHE_ENV = "MNIST_CACHE"


def mnist_cache() -> Path:
    """The directory holding verified, decompressed-digest-checked IDX files."""
    return Path(os.environ.get(CACHE_ENV, MNIST_CACHE))


def results_dir(profile: str) -> Path:
    """Where the tidy results of one profile live (``data/results/<profile>``)."""
    return RESULTS / profile


def results_file(profile: str, name: str) -> Path:
    """The CSV a chapter writes its tidy results to."""
    return results_dir(profile) / f"{name}.csv"


def profile_file(profile: str) -> Path:
    return PARAMS / f"{profile}.yaml"
