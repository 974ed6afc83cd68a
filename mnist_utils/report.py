"""What a chapter shows and glues: provenance line, tables, glued numbers."""
from __future__ import annotations

import datetime as dt
import html
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


# Tables wrap their cells to the page's width; below 640 px each row becomes a block of
# labelled values, so no table needs horizontal scrolling on a phone.
_TABLE_CSS = """<style>
table.book-table th, table.book-table td { overflow-wrap: anywhere; vertical-align: top; }
@media (max-width: 640px) {
  table.book-table, table.book-table tbody, table.book-table tr, table.book-table td { display: block; width: 100%; }
  table.book-table thead { display: none; }
  table.book-table tr { margin-bottom: 0.6em; border-bottom: 1px solid #d0d7de; }
  table.book-table td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
}
</style>"""


def table_html(frame, index: bool = False) -> str:
    """A table as plain HTML: deterministic (no random Styler ids), so nbval can compare it; a
    missing value reads as a dash, never as NaN or None; every cell carries its column's name
    for the narrow layout."""
    import pandas as pd

    frame = frame.reset_index() if index else frame
    columns = [str(c) for c in frame.columns]
    head = "".join(f"<th>{_escape(c)}</th>" for c in columns)
    cell = lambda v: "—" if v is None or (not isinstance(v, str) and pd.isna(v)) else _escape(v)
    body = "".join("<tr>" + "".join(f'<td data-label="{_escape(c)}">{cell(v)}</td>' for c, v in zip(columns, row))
                   + "</tr>" for row in frame.itertuples(index=False))
    return f'{_TABLE_CSS}<table class="book-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def show(frame, index: bool = False) -> None:
    """Display ``frame`` as ``table_html``."""
    display(HTML(table_html(frame, index)))


# ----------------------------------------------------------------- verdicts at a glance
PAPER_NAMES = {"liu_fu": "Liu & Fu", "wang2020": "Wang et al. (2020)"}
# Colour-blind-safe enough to tell apart, and always with the word: the colour only repeats it.
VERDICT_COLOURS = {"reproduced": "#1a7f37", "partially reproduced": "#7d4e00", "not reproduced": "#b42318",
                   "inconclusive": "#57606a", "not testable": "#6639ba", "not tested": "#6e7781"}


def verdict_badge(verdict: str) -> str:
    """A verdict as a coloured label (inline styles: it renders the same in the book, in a
    pasted copy on another page and in Jupyter)."""
    colour = VERDICT_COLOURS.get(verdict, "#57606a")
    return (f'<span class="verdict-badge" style="background:{colour};color:#fff;border-radius:0.75em;'
            f'padding:0.1em 0.6em;font-weight:600;font-size:0.85em;display:inline-block">{_escape(verdict)}</span>')


# Below 640 px the four columns become one: each claim a block, each value labelled.
_HEADLINE_NARROW_CSS = """<style>
@media (max-width: 640px) {
  table.headline-verdicts, table.headline-verdicts tbody, table.headline-verdicts tr,
  table.headline-verdicts th, table.headline-verdicts td { display: block; width: 100% !important; }
  table.headline-verdicts thead, table.headline-verdicts colgroup { display: none; }
  table.headline-verdicts tr { margin-bottom: 0.6em; }
  table.headline-verdicts td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
}
</style>"""


def headline_html(ledger) -> str:
    """The papers' main claims (``headline`` in the claims file), per paper: the claim, the
    paper's value, what this book measured with its budget, and the verdict. A fixed-layout
    table of the page's width whose cells wrap, stacked into one column on narrow screens, so
    it needs no horizontal scrolling at any width; each claim links to the chapter that tested it."""
    main = ledger[ledger["headline"].notna()] if "headline" in ledger else ledger.iloc[:0]
    cell = 'style="vertical-align:top;padding:0.35em 0.5em;overflow-wrap:break-word;text-align:left"'
    rows = []
    for paper, claims_of_paper in main.groupby("paper", sort=False):
        rows.append(f'<tr><th colspan="4" {cell}>{_escape(PAPER_NAMES.get(paper, paper))}</th></tr>')
        for _, c in claims_of_paper.iterrows():
            paper_value = c.get("headline_paper") if isinstance(c.get("headline_paper"), str) else c["as_printed"]
            measured = _escape(c["measured"]) if c["measured"] else "not measured in this profile"
            budget = f'<br><small>budget: {_escape(c["ran"])}</small>' if c["ran"] else ""
            rows.append(f'<tr><td {cell}><a href="{c["chapter"]}.html">{_escape(c["headline"])}</a></td>'
                        f'<td data-label="the paper" {cell}>{_escape(paper_value)}</td>'
                        f'<td data-label="measured here" {cell}>{measured}{budget}</td>'
                        f'<td {cell}>{verdict_badge(c["verdict"])}</td></tr>')
    head = "".join(f'<th {cell}>{h}</th>' for h in ("claim", "the paper", "measured here", "verdict"))
    widths = "".join(f'<col style="width:{w}%">' for w in (28, 22, 33, 17))
    return (f'{_HEADLINE_NARROW_CSS}<table class="headline-verdicts" '
            f'style="table-layout:fixed;width:100%;border-collapse:collapse">'
            f'<colgroup>{widths}</colgroup><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _escape(text) -> str:
    return html.escape(str(text), quote=False)
