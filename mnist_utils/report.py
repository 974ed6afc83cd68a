"""What a chapter shows and glues: provenance line, tables, glued numbers."""
from __future__ import annotations

import datetime as dt
import subprocess

from IPython.display import HTML, Markdown, display

from . import paths


def commit() -> str:
    """Short git commit of the working tree (with '+dirty' when it has local changes)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True).stdout.strip()

    try:
        sha = git("rev-parse", "--short", "HEAD") or "unknown"
        return sha + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
    except OSError:
        return "unknown"


def provenance(chapter: str, profile: str) -> str:
    """Show which notebook, profile and commit produced every number on the page."""
    line = (f"Every figure and number on this page was produced by `notebooks/{chapter}.ipynb`, "
            f"profile `{profile}`, commit `{commit()}`, executed "
            f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC.")
    display(Markdown(f"*{line}*"))
    return line


def show(frame, index: bool = False) -> None:
    """Display a table as plain HTML: deterministic (no random Styler ids), so nbval can compare it."""
    display(HTML(frame.to_html(index=index, border=0)))
