"""The book as a PDF (``make pdf``: Jupyter Book's LaTeX builder, Debian's TeX Live): every
chapter, the report's headline table with each main claim and its measured value, and every
figure the executed chapters show; shipped beside the HTML as book.pdf, which the book links.
Poppler's pdftotext and pdfimages read it. Without a built PDF the checks skip with their
reason; CI sets REQUIRE_PDF=1, so there a missing PDF fails.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata

import nbformat
import pytest
import yaml

from mnist_utils.core import claims, paths
from mnist_utils.judging import verdicts
from mnist_utils.present import rendering

PDF = paths.ROOT / "_build" / "latex" / "book.pdf"
HTML = paths.ROOT / "_build" / "html"
SKIP_REASON = ("no PDF built (make pdf)" if not PDF.exists() else
               "poppler-utils not installed (apt-get install poppler-utils)"
               if not (shutil.which("pdftotext") and shutil.which("pdfimages")) else "")
if SKIP_REASON and os.environ.get("REQUIRE_PDF") == "1":
    raise RuntimeError(f"PDF check required but impossible: {SKIP_REASON}")
pytestmark = pytest.mark.skipif(bool(SKIP_REASON), reason=f"PDF check skipped: {SKIP_REASON}")


def key(text: str) -> str:
    """Text compared without spaces, hyphens and quotes: LaTeX wraps lines, hyphenates words,
    curls quotes and uses ligatures."""
    return re.sub(r"[\s\-‐\"'“”‘’]+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def pdf_text() -> str:
    return key(subprocess.run(["pdftotext", str(PDF), "-"], check=True, capture_output=True, text=True).stdout)


def toc_files() -> list[str]:
    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


def title(file: str) -> str:
    """The first heading of a page of the book (an executed notebook or a Markdown file)."""
    source = paths.ROOT / f"{file}.ipynb"
    cells = nbformat.read(source, as_version=4).cells if source.exists() else \
        [nbformat.v4.new_markdown_cell((paths.ROOT / f"{file}.md").read_text())]
    return next(line[2:].strip() for c in cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("# "))


def test_the_pdf_has_every_chapter_of_the_table_of_contents(pdf_text):
    missing = [title(f) for f in toc_files() if key(title(f)) not in pdf_text]
    assert not missing, f"{PDF.name}: chapters missing: {missing}"


def test_the_pdf_has_the_headline_table_with_each_claim_its_measured_value_and_verdict(pdf_text):
    # The profile the book's report was executed with (papermill records its parameters).
    profile = nbformat.read(paths.BOOK / "07_reproduction_report.ipynb", as_version=4).metadata.papermill.parameters.profile
    rows = rendering.headline_rows(verdicts.claim_ledger(profile))
    assert len(rows) == sum(1 for c in claims.load()["claims"] if "headline" in c)
    for r in rows:
        for what in ("claim", "paper_value", "measured", "verdict"):
            assert key(r[what]) in pdf_text, f"{PDF.name}: headline {r['claim']!r}: {what} {r[what]!r} missing"


def shown_figures() -> int:
    """The PNG figures the executed chapters show (cells the book removes excluded)."""
    count = 0
    for file in toc_files():
        source = paths.ROOT / f"{file}.ipynb"
        if not source.exists():
            continue
        for cell in nbformat.read(source, as_version=4).cells:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if cell.cell_type == "code" and not tags & {"remove-cell", "remove-output"}:
                count += sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
    return count


def test_the_pdf_has_every_figure():
    listing = subprocess.run(["pdfimages", "-list", str(PDF)], check=True, capture_output=True, text=True).stdout
    images = sum(1 for line in listing.splitlines()[2:] if line.split()[2:3] == ["image"])
    assert shown_figures() > 0
    assert images >= shown_figures(), f"{PDF.name}: {images} images for {shown_figures()} figures in the chapters"


@pytest.mark.skipif(not HTML.exists(), reason="no built book (make html)")
def test_the_pdf_is_shipped_beside_the_html_and_linked_from_every_page():
    """make pdf (and make html, whichever runs second) copies the PDF to _build/html/book.pdf, as
    the pages workflow publishes it; the introduction links it, and so does the download menu of
    every page with one (book/_ext/whole_book_pdf.py), in place of the print-this-page button."""
    shipped = HTML / "book.pdf"
    assert shipped.exists() and shipped.read_bytes() == PDF.read_bytes(), \
        f"{shipped.relative_to(paths.ROOT)} is missing or differs from {PDF.relative_to(paths.ROOT)}"
    intro = (HTML / "book" / "intro.html").read_text()
    assert re.search(r'<a href="\.\./book\.pdf">[^<]*whole book', intro), "the introduction does not link book.pdf"
    pages = sorted(HTML.glob("book/*.html"))
    assert pages
    menu = re.compile(r'<a href="\.\./book\.pdf"[^>]*class="[^"]*btn-download-book-pdf-button')
    unlinked = [p.name for p in pages if not menu.search(p.read_text())]
    assert not unlinked, f"pages whose download menu does not link book.pdf: {unlinked}"
    printing = [p.name for p in pages if "btn-download-pdf-button" in p.read_text()]
    assert not printing, f"pages that still offer to print themselves as the .pdf: {printing}"
