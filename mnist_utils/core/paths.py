"""Every path of the project, in one place.

The repository root is found from this file's location, so notebooks executed
from any working directory (papermill, nbval, Jupyter) agree on where things are.

Two places receive what a chapter produces. The **book of record** (``data/runs``,
``data/results``, ``data/manifests``, committed) is written only when the runner
executes a record profile from committed code: it sets ``MNIST_BOOK_RECORD=1`` in
the kernel's environment. Every other execution (a direct ``papermill`` call, nbval,
the smoke profile, ``--experiment``) writes to the git-ignored **scratch** folder
``data/scratch`` and reads the book of record only where scratch has nothing, so a
rerun with any parameters leaves every tracked file as it was.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NOTEBOOKS = ROOT / "notebooks"          # parameterised sources, stored without outputs
BOOK = ROOT / "book"                    # executed notebooks of the book of record
BASELINES = ROOT / "tests" / "baselines"  # executed smoke notebooks checked by nbval
PARAMS = ROOT / "params"                # papermill parameter files, one per profile
DATA = ROOT / "data"
MNIST_CACHE = DATA / "mnist"            # git-ignored cache of the four IDX files
RESULTS = DATA / "results"              # tidy results files, one folder per profile
CLAIMS = DATA / "paper_claims.yaml"     # the papers' reported values, the only place they live
MANIFESTS = DATA / "manifests"          # one run manifest per profile
BENCHMARK = RESULTS / "benchmark" / "training_speed.csv"   # written by `make benchmark`
RUNS = DATA / "runs"                    # the run store of the book of record (committed)
SCRATCH = DATA / "scratch"              # git-ignored: runs, results, notebooks of reruns

# Environment variable naming a local directory that mirrors the public MNIST
# files (CI points it at ../shared/mnist); checked before any download.
MIRROR_ENV = "MNIST_MIRROR"
# Environment variable that overrides the cache directory (tests use a tmp dir).
CACHE_ENV = "MNIST_CACHE"
# Set to 1 by the runner, and only by it, when it writes the book of record.
RECORD_ENV = "MNIST_BOOK_RECORD"
# Overrides the scratch folder (tests and nbval use a temporary one).
SCRATCH_ENV = "MNIST_BOOK_SCRATCH"
# Set to 1 by the runner for --experiment and -p overrides: every page then says it is an experiment.
EXPERIMENT_ENV = "MNIST_BOOK_EXPERIMENT"
# The runner's short commit, so that run records, pages and the manifest name the same one.
COMMIT_ENV = "MNIST_BOOK_COMMIT"
# Third-party variables the package sets or reads: Keras's backend, TensorFlow's C++ log level, XLA's flags.
KERAS_BACKEND_ENV = "KERAS_BACKEND"
TF_LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"
XLA_FLAGS_ENV = "XLA_FLAGS"
PYTHON_WARNINGS_ENV = "PYTHONWARNINGS"


def mnist_cache() -> Path:
    """The directory holding verified, decompressed-digest-checked IDX files."""
    return Path(os.environ.get(CACHE_ENV, MNIST_CACHE))


def shown(path: Path) -> str:
    """A path as messages show it: relative to the repository when inside it."""
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def writes_record() -> bool:
    """True when this process writes the book of record (the runner said so)."""
    return os.environ.get(RECORD_ENV) == "1"


def scratch() -> Path:
    return Path(os.environ.get(SCRATCH_ENV, SCRATCH))


def _writable(record: Path) -> Path:
    """``record`` itself for the book of record, else its counterpart under scratch."""
    return record if writes_record() else scratch() / record.relative_to(DATA)


def _readable(record: Path) -> Path:
    """Where to read what ``record`` names: scratch first when not writing the record."""
    candidate = _writable(record)
    return candidate if candidate.exists() else record


def run_store_dirs() -> tuple[Path, list[Path]]:
    """The run store written to, and the stores read from (in order)."""
    if writes_record():
        return RUNS, [RUNS]
    return _writable(RUNS), [_writable(RUNS), RUNS]


def results_dir(profile: str) -> Path:
    """Where a chapter writes the tidy results of one profile (``data/results/<profile>``)."""
    return _writable(RESULTS / profile)


def results_file(profile: str, name: str) -> Path:
    """The CSV a chapter writes its tidy results to."""
    return results_dir(profile) / f"{name}.csv"


def find_results(profile: str, name: str) -> Path:
    """The results CSV of chapter ``name`` to read: a rerun's own first, else the record's."""
    return _readable(RESULTS / profile / f"{name}.csv")


def find_chapter_results(profile: str, chapter: str) -> list[Path]:
    """Every results CSV of ``chapter`` to read: ``<chapter>.csv`` and one per other run set,
    ``<chapter>_<set>.csv`` (each a rerun's own first, else the record's)."""
    folders = {RESULTS / profile, _writable(RESULTS / profile)}
    names = {p.stem for folder in folders if folder.is_dir() for p in folder.glob(f"{chapter}*.csv")
             if p.stem == chapter or p.stem.startswith(f"{chapter}_")}
    return [find_results(profile, name) for name in sorted(names)]


def find_verdicts(profile: str, name: str) -> Path:
    return _readable(RESULTS / profile / "verdicts" / f"{name}.csv")


def second_looks_file(profile: str, chapter: str) -> Path:
    """Where a chapter writes its second looks: claims judged on runs outside the book of
    record (another width, trained on a GPU), kept apart from the verdicts the tally counts."""
    return results_dir(profile) / "second_looks" / f"{chapter}.csv"


def plan_looks_file(profile: str, chapter: str) -> Path:
    """Where a chapter writes the looks of the sequential plans it judged (one row per look)."""
    return results_dir(profile) / "plan_looks" / f"{chapter}.csv"


def second_implementation_file(profile: str, chapter: str) -> Path:
    """Where a chapter writes how its Keras and Flax runs compare (``chapters.second_implementation``)."""
    return results_dir(profile) / "second_implementation" / f"{chapter}.csv"


def find_second_implementation(profile: str, chapter: str) -> Path:
    return _readable(RESULTS / profile / "second_implementation" / f"{chapter}.csv")


def bn_momentum_file(profile: str) -> Path:
    """Where chapter 6 writes the answer of its batch-norm momentum ablation (one row), which the
    second implementation's page cites."""
    return results_dir(profile) / "second_implementation" / "bn_momentum" / "06_improved_cnn.csv"


def find_bn_momentum(profile: str) -> Path:
    return _readable(RESULTS / profile / "second_implementation" / "bn_momentum" / "06_improved_cnn.csv")


def find_second_looks(profile: str, chapter: str) -> Path:
    return _readable(RESULTS / profile / "second_looks" / f"{chapter}.csv")


def manifest_file(profile: str) -> Path:
    """The run manifest the runner writes for ``profile``."""
    return _writable(MANIFESTS / f"{profile}.json")


def find_manifest(profile: str) -> Path:
    return _readable(MANIFESTS / f"{profile}.json")


def experiment_output(profile: str) -> Path:
    """Where ``--experiment`` executions of a record profile put their notebooks."""
    return scratch() / "book" / profile


def profile_file(profile: str) -> Path:
    return PARAMS / f"{profile}.yaml"
