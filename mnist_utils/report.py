"""What a chapter shows and glues: provenance line, tables, glued numbers."""
from __future__ import annotations

import datetime as dt
import os

from IPython.display import HTML, Markdown, display

from . import paths, store


def commit() -> str:
    """The commit this execution ran from (see ``store.commit``)."""
    return store.commit()


def provenance(chapter: str, profile: str) -> str:
    """Show which notebook, profile and commit produced every number on the page."""
    line = (f"Every figure and number on this page was produced by `notebooks/{chapter}.ipynb`, "
            f"profile `{profile}`, commit `{commit()}`, executed "
            f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC.")
    if os.environ.get("MNIST_BOOK_EXPERIMENT") == "1":
        line += (" **Experiment**: executed by the runner with `--experiment` or `-p` overrides, into "
                 f"`{paths.shown(paths.scratch())}`; not the book of record.")
    elif not paths.writes_record():
        line += (" This is a rerun outside the book of record: its runs and results went to "
                 f"`{paths.shown(paths.scratch())}`.")
    display(Markdown(f"*{line}*"))
    return line


def show(frame, index: bool = False) -> None:
    """Display a table as plain HTML: deterministic (no random Styler ids), so nbval can compare it."""
    display(HTML(frame.to_html(index=index, border=0)))
