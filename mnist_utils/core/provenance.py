"""Where a number came from: the commit, its uncommitted files, the machine, the versions.

The one module that calls git. Run records (``store``), the run manifest (``runner``) and the
line under every chapter's title (``rendering.produced_by``) take their facts from here, so they
agree.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata as importlib_metadata
from pathlib import Path

from . import paths


def git(*args: str) -> str:
    """The output of ``git args`` in the repository, or "unknown" outside a checkout."""
    try:
        return subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def uncommitted(pathspecs) -> list[str]:
    """The files under ``pathspecs`` with uncommitted changes, untracked ones included (none
    outside a git checkout: there is nothing to compare with)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", *pathspecs],
                             cwd=paths.ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [line[3:] for line in out.splitlines() if line.strip()]


def short_commit(dirty: bool) -> str:
    """The short commit of the checkout, with '+dirty' when ``dirty``."""
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


def commit() -> str:
    """The commit this process runs from: the runner's (so that pages, manifest and run records
    agree), else the working tree's short commit, with '+dirty' when it has local changes."""
    if os.environ.get(paths.COMMIT_ENV):
        return os.environ[paths.COMMIT_ENV]
    return short_commit(git("status", "--porcelain", "--untracked-files=no") not in ("", "unknown"))


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        return next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def tf_threads() -> str:
    """TensorFlow's thread settings from the environment ("intra 1, inter 1"; "default" unset):
    a convolution's sums depend on them."""
    intra, inter = (os.environ.get(f"TF_NUM_{k}_THREADS") for k in ("INTRAOP", "INTEROP"))
    return "default" if intra is None and inter is None else f"intra {intra or 'default'}, inter {inter or 'default'}"


def gpu_name() -> str:
    """The GPUs ``nvidia-smi -L`` lists, or "none"."""
    if not shutil.which("nvidia-smi"):
        return "none"
    return subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout.strip() or "none"


def package_versions(names) -> dict[str, str]:
    """Installed versions of those of ``names`` that are installed."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return versions


def environment(packages, dirty: bool) -> dict:
    """Hardware and software of this process, for the manifest and the ledger (``dirty``: whether
    the sources have uncommitted changes)."""
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": dirty,
        "python": platform.python_version(),
        "packages": package_versions(packages),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "gpu": gpu_name(),
    }
