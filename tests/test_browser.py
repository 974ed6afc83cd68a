"""The built book in a real browser: headless Debian Chromium, no network.

Opens every page of ``_build/html`` (served on localhost) and asserts: no console
errors, every image loaded, the glued numbers present, every internal link
resolves, math rendered. Screenshots go to ``_build/screenshots/``. Run after
``make html``; CI installs Debian's chromium and chromium-driver (``.ci/run``)
and sets REQUIRE_BROWSER=1 so a missing browser fails instead of skipping.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import nbformat
import pytest

from mnist_utils import paths

HTML = paths.ROOT / "_build" / "html"
# The whole book as one PDF: make pdf builds it (TeX Live) and puts it beside the HTML, where
# the introduction and every page's download menu link it.
BUILT_PDF = paths.ROOT / "_build" / "latex" / "book.pdf"
SHIPPED_PDF = HTML / "book.pdf"
SCREENSHOTS = paths.ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
PAGES = sorted(p.relative_to(HTML).as_posix() for p in HTML.glob("**/*.html")
               if not any(part.startswith(("_", ".")) for part in p.relative_to(HTML).parts)) if HTML.exists() else []

SKIP_REASON = ("no built book (make html)" if not PAGES else
               "Debian chromium/chromium-driver not installed (apt-get install chromium chromium-driver)"
               if not (CHROMIUM and CHROMEDRIVER) else "")
if SKIP_REASON and os.environ.get("REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"browser check required but impossible: {SKIP_REASON}")
# Skip each test rather than the module: a module-level skip collects no test, and pytest
# then exits 5, which fails `make test` on a machine without Chromium.
pytestmark = pytest.mark.skipif(bool(SKIP_REASON), reason=f"browser check skipped: {SKIP_REASON}")


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
                 # No network: every host name fails locally, so a page that reaches for a
                 # CDN shows a console error here instead of silently working online.
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def glued_texts(page: str) -> list[str]:
    """The values a chapter glues into its prose (``{glue:text}`key```), as rendered text."""
    source = paths.BOOK / Path(page).with_suffix(".ipynb").name
    if not source.exists():
        return []
    nb = nbformat.read(source, as_version=4)
    used = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            used |= set(re.findall(r"\{glue:text\}`([^`:]+)`", cell.source))
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name in used:
                # glue(..., display=False) stores the value under a scrapbook mime type
                text = next(v for k, v in out["data"].items() if k.endswith("text/plain"))
                values[name] = text[1:-1] if text[:1] in "'\"" and text[-1:] == text[:1] else text
    missing = used - set(values)
    assert not missing, f"{page}: glue keys used in the prose but never glued: {sorted(missing)}"
    return [" ".join(v.split()) for v in values.values()]


# What a reader must never see in a page's prose, tables or printed output: a value
# formatted for Python, not for a reader.
# Raw values, and the repr of a Python object glued or displayed as text ("<... object>").
RAW_VALUE = re.compile(r"\b(?:nan|NaN|inf|None)\b|\(\d+,(?:\s*\d+,?)*\)|<[\w.]+ object(?: at 0x[0-9a-f]+)?>")
# The visible text outside code: cell inputs, code blocks and the sidebar are not prose.
READER_TEXT = """
    const article = (document.querySelector('article') || document.body).cloneNode(true);
    article.querySelectorAll('.cell_input, div.highlight, pre, code, script, style').forEach(e => e.remove());
    return article.innerText;"""


# Tables, figures and cell outputs that stick out of the article or scroll sideways inside it.
OVERFLOWING = """
    const article = document.querySelector('article') || document.body;
    const right = article.getBoundingClientRect().right + 1;
    return [...article.querySelectorAll('table, img, .cell_output')]
        .filter(e => e.getBoundingClientRect().right > right || e.scrollWidth > e.clientWidth + 1)
        .map(e => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().width)} px)`);"""


# A reader's first screen: a laptop's 1,400 x 900 and a phone's 420 x 900 (CSS pixels of the viewport).
FIRST_SCREENS = (1400, 420)
FIRST_SCREEN_HEIGHT = 900


@contextlib.contextmanager
def first_screen(browser, width: int):
    """The page laid out in a viewport of ``width`` x FIRST_SCREEN_HEIGHT, scrolled to the top."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": FIRST_SCREEN_HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    browser.execute_script("window.scrollTo(0, 0)")
    try:
        yield
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def raw_values(text: str) -> list[str]:
    return [f"{m.group(0)!r} in ...{text[max(0, m.start() - 50):m.end() + 20]!r}..." for m in RAW_VALUE.finditer(text)]


def test_the_raw_value_scan_catches_what_it_must_and_nothing_else():
    assert len(raw_values("n = (60000, 10000), shape (4,), relu: nan vs inf, None")) == 5
    assert len(raw_values("practice: <IPython.core.display.Markdown object> and <Figure object at 0x7f3a>")) == 2
    assert raw_values("Eq. (1), Wang et al. (2020), 86(11):2278, information, nonetheless, never") == []


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(page, browser, server):
    browser.get(f"{server}/{page}")
    browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const ready = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)
            ? MathJax.startup.promise.then(() => done()) : done();
        if (document.readyState === 'complete') ready(); else window.addEventListener('load', ready);
    """)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / (page.replace("/", "_").removesuffix(".html") + ".png")))

    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors: {errors}"

    broken = browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert not broken, f"{page}: images that did not load: {broken}"

    text = " ".join(browser.execute_script("return document.body.innerText").split())
    raw = raw_values(" ".join(browser.execute_script(READER_TEXT).split()))
    assert not raw, f"{page}: values a reader should not see: {raw[:5]}"
    for value in glued_texts(page):
        assert value in text, f"{page}: glued value {value!r} not on the page"
    assert "glue" not in browser.execute_script(
        "return [...document.querySelectorAll('.problematic, .system-message')].map(e => e.innerText).join(' ')"), \
        f"{page}: a glue reference failed to render"

    math = browser.execute_script("return document.querySelectorAll('.math, span.math, div.math').length")
    if math:
        rendered = browser.execute_script("return document.querySelectorAll('mjx-container').length")
        assert rendered >= math, f"{page}: {math} math elements but {rendered} rendered by MathJax"

    # Nothing wider than the page, on a desktop and on a phone; each width's first screen saved.
    for width in FIRST_SCREENS:
        with first_screen(browser, width):
            browser.save_screenshot(str(SCREENSHOTS / f"{page.replace('/', '_').removesuffix('.html')}_{width}px.png"))
            wide = browser.execute_script(OVERFLOWING)
        assert not wide, f"{page}: wider than the page at {width} px: {wide[:5]}"

    assert not browser.execute_script("return document.querySelectorAll('.btn-download-pdf-button').length"), \
        f"{page}: the download menu prints the page instead of linking the whole-book PDF"

    for href in browser.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)"):
        url, fragment = urldefrag(href)
        parsed = urlparse(url)
        if not url.startswith(server) or parsed.path.startswith("/_"):
            continue  # external links (repository, Binder, DOIs) and sources are not ours to check
        target = HTML / unquote(parsed.path).lstrip("/")
        if target == SHIPPED_PDF and not BUILT_PDF.exists():
            # No TeX Live here, so no PDF to ship (test_pdf.py says so and skips); where a PDF
            # was built, make html/pdf copy it beside the HTML and the link must resolve.
            continue
        if target.is_dir():
            target = target / "index.html"
        assert target.exists(), f"{page}: internal link to missing {parsed.path}"
        if fragment and target.suffix == ".html":
            html = target.read_text(errors="replace")
            assert f'id="{fragment}"' in html, f"{page}: link to missing anchor {parsed.path}#{fragment}"


INTRO = "book/intro.html"
WHOLE_BOOK_PDF_LINKS = """
    const toPdf = a => new URL(a.href).pathname === '/book.pdf';
    const article = document.querySelector('article') || document.body;
    return {prose: [...article.querySelectorAll('a[href]')].filter(a => toPdf(a) && a.offsetParent !== null)
                       .map(a => a.innerText.trim()),
            menu: [...document.querySelectorAll('.dropdown-download-buttons a[href]')].filter(toPdf).length};"""


@pytest.mark.skipif(INTRO not in PAGES, reason="the introduction was not built")
def test_the_introduction_and_the_download_menu_link_the_whole_book_pdf(browser, server):
    """Whether book.pdf itself is there is the link check's business (test_page_renders_offline)."""
    browser.get(f"{server}/{INTRO}")
    links = browser.execute_script(WHOLE_BOOK_PDF_LINKS)
    assert any("whole book" in text for text in links["prose"]), \
        f"{INTRO}: no visible link to the whole-book PDF in the text: {links}"
    assert links["menu"] == 1, f"{INTRO}: the download menu has {links['menu']} links to book.pdf"


REPORT = "book/07_reproduction_report.html"
# Where the headline table and its verdict badges end, in viewport pixels.
HEADLINE_EXTENT = """
    const table = document.querySelector('table.headline-verdicts');
    if (!table) return null;
    const badges = [...table.querySelectorAll('.verdict-badge')];
    return {badges: badges.length, table_bottom: table.getBoundingClientRect().bottom,
            badge_bottom: Math.max(...badges.map(b => b.getBoundingClientRect().bottom))};"""


@pytest.mark.skipif(REPORT not in PAGES, reason="the report page was not built")
@pytest.mark.parametrize("width", FIRST_SCREENS)
def test_the_report_shows_every_headline_verdict_with_its_numbers_on_the_first_screen(width, browser, server):
    from mnist_utils import claims

    headlines = sum(1 for c in claims.load()["claims"] if "headline" in c)
    browser.get(f"{server}/{REPORT}")
    with first_screen(browser, width):
        extent = browser.execute_script(HEADLINE_EXTENT)
    assert extent, f"{REPORT}: no headline table"
    assert extent["badges"] == headlines, f"{REPORT}: {extent['badges']} verdicts for {headlines} headline claims"
    assert extent["table_bottom"] <= FIRST_SCREEN_HEIGHT, \
        f"{REPORT}: at {width} px the headline table ends {extent['table_bottom']:.0f} px down, below the first screen"
