"""The papers' reported values, read from ``data/paper_claims.yaml``.

Paper numbers reach the book only through this module, and always labelled as
the paper's, so a reader can tell a reported value from a measured one.
"""
from __future__ import annotations

from functools import lru_cache

import yaml

from . import paths


class ClaimError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; keep it one plain line
        return self.args[0]


@lru_cache(maxsize=1)
def load() -> dict:
    with open(paths.CLAIMS) as fh:
        return yaml.safe_load(fh)


def claim(claim_id: str) -> dict:
    """One claim (or context value from outside the papers) by id (see data/paper_claims.yaml)."""
    for entry in load()["claims"] + load().get("context", []):
        if entry["id"] == claim_id:
            return entry
    raise ClaimError(f"{paths.CLAIMS.name}: no claim with id {claim_id!r}")


def values(claim_id: str) -> list[float]:
    """The numbers of a numeric claim, as printed in the paper."""
    entry = claim(claim_id)
    if "values" not in entry:
        raise ClaimError(f"{paths.CLAIMS.name}: claim {claim_id!r} has no numeric values")
    return list(entry["values"])


def for_chapter(chapter: str) -> list[dict]:
    """Every claim a chapter tests, in file order."""
    return [c for c in load()["claims"] if c.get("chapter") == chapter]
