"""What a chapter shows and glues: provenance line, tables, glued numbers."""
from __future__ import annotations

import datetime as dt
import html
import os
import re

from IPython.display import Markdown, display

from ..core import paths, provenance
from ..core.names import NAMES, SECOND_IMPLEMENTATION


def produced_by(chapter: str, profile: str) -> str:
    """Show which notebook, profile and commit produced every number on the page."""
    line = (f"Every figure and number on this page was produced by `notebooks/{chapter}.ipynb`, "
            f"profile `{profile}`, commit `{provenance.commit()}`, executed "
            f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC.")
    if os.environ.get(paths.EXPERIMENT_ENV) == "1":
        line += (" **Experiment**: executed by the runner with `--experiment` or `-p` overrides, into "
                 f"`{paths.shown(paths.scratch())}`; not the book of record.")
    elif not paths.writes_record():
        line += (" This is a rerun outside the book of record: its runs and results went to "
                 f"`{paths.shown(paths.scratch())}`.")
    display(Markdown(f"*{line}*"))
    return line


# Tables wrap their cells to the page's width, between words only (breaking anywhere let a narrow
# column split "reproduced" into "repr/oduc/ed"); cells are padded, so that two numbers side by
# side never read as one; numbers line up on the right; verdict and paper columns do not wrap.
# Below 640 px each row becomes a block of labelled values, so no table needs horizontal
# scrolling on a phone. A long table is collapsed under a one-line summary (``COLLAPSE_ABOVE``).
_TABLE_CSS = """<style>
table.book-table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.9em; line-height: 1.35; }
table.book-table th, table.book-table td {
  overflow-wrap: break-word; vertical-align: top; padding: 0.3em 0.65em; text-align: left; }
table.book-table thead th { border-bottom: 1px solid #8c959f; }
table.book-table tbody tr { border-top: 1px solid #d0d7de; }
table.book-table td.num { font-variant-numeric: tabular-nums; }
table.book-table td.nowrap, table.book-table th.nowrap { white-space: nowrap; }
details.book-table > summary { cursor: pointer; font-weight: 600; margin: 0.4em 0; }
@media (min-width: 641px) { table.book-table td.num, table.book-table th.num { text-align: right; } }
@media (max-width: 640px) {
  table.book-table, table.book-table tbody, table.book-table tr, table.book-table td { display: block; width: 100%; }
  table.book-table thead { display: none; }
  table.book-table tr { margin-bottom: 0.6em; border-bottom: 1px solid #d0d7de; }
  table.book-table td { padding: 0.1em 0.2em; }
  table.book-table td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
}
</style>"""
# Tables longer than this many rows are collapsed under a one-line summary (the PDF has them in full).
COLLAPSE_ABOVE = 12
# Columns whose cells never wrap: a verdict or a paper's name split over two lines reads as two.
NOWRAP_COLUMNS = ("verdict", "paper")


def _shown_frame(frame, index: bool):
    """The frame as a table shows it: the index as columns when asked, and no column that is
    missing in every row (it would read as a column of dashes)."""
    frame = frame.reset_index() if index else frame
    return frame.loc[:, frame.notna().any()] if len(frame) else frame


def _is_missing(value) -> bool:
    """None or NaN: a table shows a dash."""
    import pandas as pd

    return value is None or (not isinstance(value, str) and pd.isna(value))


def table_html(frame, index: bool = False, *, numeric=(), nowrap=NOWRAP_COLUMNS, badges: bool = True,
               summary: str | None = None, collapse_above: int | None = COLLAPSE_ABOVE) -> str:
    """A table as plain HTML: deterministic (no random Styler ids), so nbval can compare it; a
    missing value reads as a dash, never as NaN or None; every cell carries its column's name
    for the narrow layout. Cells of the ``numeric`` columns are right-aligned, those of the
    ``nowrap`` columns never wrap, and a "verdict" column shows each known verdict as its badge
    (``badges``). Longer than ``collapse_above`` rows (None: never), the table is collapsed in a
    ``<details>`` under ``summary`` (by default the rows and what they hold: "16 rows, by
    activation: learning rate, seeds, …")."""
    frame = _shown_frame(frame, index)
    columns = [str(c) for c in frame.columns]
    classes = [" ".join(k for k, names in (("num", numeric), ("nowrap", nowrap)) if c in map(str, names))
               for c in columns]
    attribute = lambda k: f' class="{k}"' if k else ""
    head = "".join(f"<th{attribute(k)}>{_escape(c)}</th>" for c, k in zip(columns, classes))

    def cell(column, value):
        if _is_missing(value):
            return "—"
        if badges and column == "verdict" and value in VERDICT_COLOURS:
            return verdict_badge(value)
        return _escape(value)
    body = "".join("<tr>" + "".join(f'<td{attribute(k)} data-label="{_escape(c)}">{cell(c, v)}</td>'
                                    for c, k, v in zip(columns, classes, row)) + "</tr>"
                   for row in frame.itertuples(index=False))
    table = f'<table class="book-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    if collapse_above is not None and len(frame) > collapse_above:
        line = summary or f"{len(frame)} rows, by {columns[0]}: {', '.join(columns[1:])}"
        table = f'<details class="book-table"><summary>{_escape(line)}</summary>{table}</details>'
    elif summary:
        table = f'<p class="table-summary">{_escape(summary)}</p>{table}'
    return _TABLE_CSS + table


def table_markdown(frame, index: bool = False) -> str:
    """The same table as a Markdown pipe table, for the PDF: a dash for a missing value."""
    frame = _shown_frame(frame, index)
    text = lambda v: "—" if _is_missing(v) else " ".join(str(v).split()).replace("|", "\\|")
    lines = ["| " + " | ".join(text(c) for c in frame.columns) + " |", "|" + " --- |" * len(frame.columns)]
    lines += ["| " + " | ".join(text(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


class Shown:
    """What a chapter displays or glues, in two forms: HTML for the web book and Jupyter, and
    Markdown for the PDF (myst-nb's LaTeX builder renders text/markdown, never text/html)."""

    def __init__(self, html_text: str, markdown_text: str):
        self.html_text, self.markdown_text = html_text, markdown_text

    def _repr_html_(self) -> str:
        return self.html_text

    def _repr_markdown_(self) -> str:
        return self.markdown_text

    def __repr__(self) -> str:      # the text/plain fallback: stable between executions
        return self.markdown_text


def prose(markdown_text: str) -> Shown:
    """A sentence or paragraph to glue into another page. A glued ``IPython.display.Markdown``
    reaches a page of another document as its text/plain repr ("<IPython.core.display.Markdown
    object>"), so the text goes as HTML too (rendered by markdown-it, myst's own parser)."""
    from markdown_it import MarkdownIt

    return Shown(MarkdownIt().render(markdown_text), markdown_text)


# ----------------------------------------------------------------- verdicts at a glance
# Colour-blind-safe enough to tell apart, and always with the word: the colour only repeats it.
VERDICT_COLOURS = {"reproduced": "#1a7f37", "exceeded": "#0b5cad", "partially reproduced": "#7d4e00",
                   "not reproduced": "#b42318",
                   "inconclusive": "#57606a", "not testable": "#6639ba", "not tested": "#6e7781"}


def verdict_badge(verdict: str) -> str:
    """A verdict as a coloured label (inline styles: it renders the same in the book, in a
    pasted copy on another page and in Jupyter)."""
    colour = VERDICT_COLOURS.get(verdict, "#57606a")
    return (f'<span class="verdict-badge" style="background:{colour};color:#fff;border-radius:0.75em;'
            f'padding:0.1em 0.6em;font-weight:600;font-size:0.85em;display:inline-block">{_escape(verdict)}</span>')


# Wide: four columns in a fixed layout whose cells wrap. Below 640 px each claim is a block:
# the claim and its badge on one line, the paper's and this book's values below, in small type.
_HEADLINE_CSS = """<style>
table.headline-verdicts { table-layout: fixed; width: 100%; border-collapse: collapse; font-size: 0.9em; line-height: 1.35; }
table.headline-verdicts th, table.headline-verdicts td {
  vertical-align: top; padding: 0.3em 0.45em; overflow-wrap: break-word; text-align: left; }
table.headline-verdicts tbody tr { border-top: 1px solid #d0d7de; }
/* the theme sizes small in rem */
table.headline-verdicts small { color: #57606a; font-size: 0.85em; font-weight: normal; }
@media (max-width: 640px) {
  table.headline-verdicts, table.headline-verdicts tbody { display: block; width: 100%; }
  table.headline-verdicts thead, table.headline-verdicts colgroup { display: none; }
  table.headline-verdicts tr { display: grid; grid-template-columns: 1fr auto; padding: 0.15em 0; }
  table.headline-verdicts th { grid-column: 1 / span 2; padding: 0.3em 0 0.1em; line-height: 1.25; }
  table.headline-verdicts td { padding: 0 0.2em; }
  table.headline-verdicts td.claim { grid-column: 1; grid-row: 1; }
  table.headline-verdicts td.verdict { grid-column: 2; grid-row: 1; text-align: right; }
  table.headline-verdicts td.value { grid-column: 1 / span 2; font-size: 0.85em; }
  table.headline-verdicts td.value[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
}
</style>"""

# "0.9169 ± 0.0031 (95% CI 0.9138–0.9200, n = 5)" -> "0.9169 ± 0.0031, n = 5": the interval is
# the ± (said once above the table); the full text stays in the claims table further down.
_MEAN_CI_N = re.compile(r"\s*\(95% CI [^,()]*, (n = \d+)\)")


def headline_measured(measured: str, unit: str = "") -> str:
    """The measured value as the headline shows it: mean ± half-width and n, without the
    interval's bounds or any further parenthetical detail; ``unit`` follows a bare number."""
    text = _MEAN_CI_N.sub(r", \1", str(measured)).split(" (")[0].strip()
    return f"{text}{unit}" if unit and re.fullmatch(r"[≥≤]?\s*[-+]?\d[\d.,]*", text) else text


def headline_budget(ran: str) -> str:
    """The budget that ran, as its first clause ("until validation loss stopped improving for 3
    epochs (cap 30)", not what follows the semicolon)."""
    return str(ran).split(";")[0].strip()


def headline_rows(ledger, second_looks=None) -> list[dict]:
    """The papers' main claims (``headline`` in the claims file), grouped by paper in file
    order: paper, claim, chapter, the paper's value, the measured value as the headline shows
    it, the budget that ran, the verdict and its why in one clause. A claim with two findings
    (a second look with a ``finding``: the paper's evident set-up beside the validation-chosen
    one) has a row for each, the second look's first."""
    main = ledger[ledger["headline"].notna()] if "headline" in ledger else ledger.iloc[:0]
    text = lambda c, key: c.get(key) if isinstance(c.get(key), str) else ""
    # The second implementation's looks are a check of the framework, shown on their own page
    # (chapter 10), not another set-up of the paper's.
    others = [] if second_looks is None or "finding" not in second_looks else \
        [o for _, o in second_looks.iterrows()
         if text(o, "finding") and not text(o, "finding").startswith(SECOND_IMPLEMENTATION)]

    def row(c, judged):
        finding = text(judged, "finding")
        return {"paper": NAMES.get(c["paper"], c["paper"]),
                "claim": f"{c['headline']}: {finding}" if finding else c["headline"], "chapter": c["chapter"],
                "paper_value": text(c, "headline_paper") or c["as_printed"],
                "measured": (headline_measured(judged["measured"], text(c, "headline_unit")) if judged["measured"]
                             else "not measured in this profile"),
                "budget": text(judged, "ran") or text(judged, "budget"), "verdict": judged["verdict"],
                "why": "; ".join(filter(None, [text(judged, "gist"), text(judged, "explanation")]))}

    rows = []
    for _, c in main.iterrows():
        rows += [row(c, o) for o in others if o["claim_id"] == c["id"]]
        rows.append(row(c, c))
    papers = list(dict.fromkeys(r["paper"] for r in rows))
    return sorted(rows, key=lambda r: papers.index(r["paper"]))   # stable: file order within a paper


def _by_paper(ledger, second_looks=None):
    """(paper, the budget its headline claims share, if more than one and all alike as the
    headline shows a budget (``headline_budget``), else "", its rows), per paper."""
    rows = headline_rows(ledger, second_looks)
    for paper in dict.fromkeys(r["paper"] for r in rows):
        group = [r for r in rows if r["paper"] == paper]
        budgets = {headline_budget(r["budget"]) for r in group}
        yield paper, (budgets.pop() if len(budgets) == 1 and len(group) > 1 else ""), group


def headline_html(ledger, second_looks=None) -> str:
    """The headline claims per paper: the claim, the paper's value, what this book measured
    (mean ± half-width, n, and the budget that ran: once under the paper's name where all its
    claims share it) and the verdict as a badge. It fits a 1,400 px page's first screen, and a
    phone's as blocks, with no horizontal scrolling; each claim links to the chapter that tested it."""
    rows = []
    for paper, shared_budget, group in _by_paper(ledger, second_looks):
        note = f' <small>(every run below: {_escape(headline_budget(shared_budget))})</small>' if shared_budget else ""
        rows.append(f'<tr><th colspan="4">{_escape(paper)}{note}</th></tr>')
        for r in group:
            budget = f'<br><small>{_escape(headline_budget(r["budget"]))}</small>' \
                if r["budget"] and not shared_budget else ""
            # The why sits under the measured value, in the widest column (a block of its own on a phone).
            why = f'<br><small class="why">why: {_escape(r["why"])}</small>' if r["why"] else ""
            rows.append(f'<tr><td class="claim"><a href="{r["chapter"]}.html">{_escape(r["claim"])}</a></td>'
                        f'<td class="value" data-label="paper">{_escape(r["paper_value"])}</td>'
                        f'<td class="value" data-label="here">{_escape(r["measured"])}{budget}{why}</td>'
                        f'<td class="verdict">{verdict_badge(r["verdict"])}</td></tr>')
    head = "".join(f"<th>{h}</th>" for h in ("claim", "the paper", "measured here", "verdict"))
    widths = "".join(f'<col style="width:{w}%">' for w in (28, 17, 38, 17))
    return (f'{_HEADLINE_CSS}<table class="headline-verdicts"><colgroup>{widths}</colgroup>'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def headline_markdown(ledger, second_looks=None) -> str:
    """The headline claims as one Markdown table per paper, for the PDF."""
    import pandas as pd

    parts = []
    for paper, shared_budget, group in _by_paper(ledger, second_looks):
        table = pd.DataFrame({
            "claim": [r["claim"] for r in group], "the paper": [r["paper_value"] for r in group],
            "measured here": [f'{r["measured"]} ({headline_budget(r["budget"])})' if r["budget"] and not shared_budget
                              else r["measured"] for r in group],
            "verdict": [f'**{r["verdict"]}**' + (f' ({r["why"]})' if r["why"] else "") for r in group]})
        note = f" (every run below: {shared_budget})" if shared_budget else ""
        parts.append(f"**{paper}**{note}\n\n{table_markdown(table)}")
    return "\n\n".join(parts)


def headline(ledger, second_looks=None) -> Shown:
    """The headline table, for ``display`` and ``glue``: HTML on the web, Markdown in the PDF."""
    return Shown(headline_html(ledger, second_looks), headline_markdown(ledger, second_looks))


def _escape(text) -> str:
    return html.escape(str(text), quote=False)


def glue_all(values: dict) -> None:
    """Glue every value of ``values`` under its key, not displayed: the numbers the prose cites."""
    from myst_nb import glue

    for key, value in values.items():
        glue(key, value, display=False)
