"""The built book as a reader meets it: every page opened in headless Chromium.

Run with ``make browser`` after ``make book`` (``make test`` does both). The
browser is Debian's ``chromium`` (``/usr/bin/chromium``) driven by Playwright;
nothing is downloaded at install or test time. The book is served from
``_build/html`` on 127.0.0.1 and a free port, and every request the pages make
to any other host is refused and reported, so the book is proved to work
offline. Screenshots of each chapter's first screen are written to
``_build/screenshots`` as test artifacts.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import pytest
from book_links import configured_book_url
from browser import chromium, wait_for_math

from stdlib_book.servers import serve_http

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
SKIP_DIRS = {"_static", "_sources", "_images"}


def book_pages() -> list[str]:
    """Every HTML page of the built book, as a path relative to _build/html."""
    if not HTML.is_dir():
        return []
    return sorted(
        path.relative_to(HTML).as_posix()
        for path in HTML.rglob("*.html")
        if not SKIP_DIRS & set(path.relative_to(HTML).parts)
        and path != HTML / "index.html"  # a redirect to the landing page, tested below
    )


PAGES = book_pages()
CHAPTERS = [page for page in PAGES if page.startswith("notebooks/")]
NOTEBOOKS = sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="session")
def site():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` first")
    with serve_http(directory=HTML) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with chromium() as running:
        yield running


class Visit:
    """A page opened in a fresh browser context, with everything that went wrong."""

    def __init__(self, browser, site: str, page_path: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.site = site
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)
        self.page.route("**/*", self._only_local)
        self.page.goto(f"{site}/{page_path}", wait_until="load")
        wait_for_math(self.page)

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _request_failed(self, request) -> None:
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _only_local(self, route) -> None:
        if route.request.url.startswith(self.site) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            self.problems.append(f"request beyond the local book: {route.request.url}")
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, site):
    opened: list[Visit] = []

    def open_page(page_path: str) -> Visit:
        opened.append(Visit(browser, site, page_path))
        return opened[-1]

    yield open_page
    for item in opened:
        item.close()


def test_the_front_door_leads_to_the_landing_page(browser, site):
    page = browser.new_page()
    try:
        page.goto(f"{site}/index.html")
        page.wait_for_url(f"{site}/book/intro.html")
        assert page.locator("main h1:visible").count() == 1
    finally:
        page.close()


def test_the_book_has_a_page_for_every_notebook():
    built = {Path(page).stem for page in CHAPTERS}
    assert built == set(NOTEBOOKS), "every notebook is a page of the book and vice versa"


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_cleanly_and_its_links_and_images_resolve(visit, page_path):
    seen = visit(page_path)
    page = seen.page
    assert not seen.problems, "\n".join(seen.problems)
    broken_images = page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert not broken_images, f"images that did not load: {broken_images}"
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    # The notebooks' links to the book's own address (tools/book_links.py) are
    # internal in the book (_ext/local_links.py), so they are checked below.
    own = [href for href in hrefs if href.startswith(configured_book_url())]
    assert not own, f"links to the book's address left external: {own}"
    missing = []
    for href in sorted(set(hrefs)):
        if not href.startswith(seen.site):
            continue
        parsed = urllib.parse.urlsplit(href)
        target = HTML / urllib.parse.unquote(parsed.path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            missing.append(href)
        elif parsed.fragment and target.suffix == ".html":
            ids = set(re.findall(r'id="([^"]+)"', target.read_text(encoding="utf-8")))
            if urllib.parse.unquote(parsed.fragment) not in ids:
                missing.append(href)
    assert not missing, f"internal links that lead nowhere: {missing}"


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_chapter_shows_outputs_plots_and_math(visit, page_path):
    seen = visit(page_path)
    page = seen.page
    cells = page.locator("div.cell")
    assert cells.count() > 0, "a chapter has code cells"
    without_output = page.eval_on_selector_all(
        "div.cell", "cells => cells.filter(c => !c.querySelector('.cell_output')).length"
    )
    assert without_output == 0, f"{without_output} code cell(s) show no output"
    plots = page.locator(".cell_output img")
    for index in range(plots.count()):
        box = plots.nth(index).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, "a plot is visible"
    math_nodes = page.locator(".math").count()
    rendered = page.locator("mjx-container").count()
    assert rendered >= math_nodes, f"math rendered: {rendered} of {math_nodes}"
    mathjax = page.eval_on_selector_all(
        "script[src*='mathjax']", "scripts => scripts.map(s => s.src)"
    )
    assert all(src.startswith(seen.site) for src in mathjax), f"MathJax offline: {mathjax}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{Path(page_path).stem}.png"))
    assert (SHOTS / f"{Path(page_path).stem}.png").stat().st_size > 10_000


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_solutions_are_hidden_until_clicked(visit, page_path):
    page = visit(page_path).page
    solutions = page.locator("div.solution.dropdown")
    for index in range(solutions.count()):
        solution = solutions.nth(index)
        body = solution.locator("section").first
        assert not body.is_visible(), f"solution {index + 1} is hidden at first"
        solution.locator(".admonition-title").click()
        body.wait_for(state="visible")


def test_every_chapter_has_at_least_three_exercises_with_solutions():
    per_chapter: dict[str, int] = {}
    for page in CHAPTERS:
        html = (HTML / page).read_text(encoding="utf-8")
        chapter = Path(page).stem[:2]  # 09-applications and 09-1-organiser are chapter 9
        per_chapter[chapter] = per_chapter.get(chapter, 0) + html.count('class="solution dropdown')
    short = {chapter: n for chapter, n in per_chapter.items() if n < 3}
    assert not short, f"chapters with fewer than three exercise solutions: {short}"


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_launch_and_download_buttons_point_at_this_notebook(visit, page_path):
    seen = visit(page_path)
    notebook = f"notebooks/{Path(page_path).stem}.ipynb"
    assert (ROOT / notebook).exists()
    hrefs = seen.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    binder = [h for h in hrefs if h.startswith("https://mybinder.org/")]
    assert binder, "a Binder launch button"
    assert all(h.endswith(f"urlpath=lab/tree/{notebook}") for h in binder), binder
    downloads = [h for h in hrefs if h.startswith(seen.site) and h.endswith(".ipynb")]
    assert downloads, "a download button for the notebook"
    for href in downloads:
        local = HTML / urllib.parse.urlsplit(href).path.lstrip("/")
        assert local.read_bytes() == (ROOT / notebook).read_bytes(), href


def test_search_finds_a_word_from_a_chapter(visit):
    page = visit("search.html?q=scandir").page
    results = page.locator("#search-results li a")
    results.first.wait_for(timeout=15_000)
    found = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any("02-core-system-utilities" in href for href in found), found



def test_execution_statistics_page_shows_every_chapter_from_the_last_run(visit):
    """The page shows the runs copied when the book was built (make book-strict
    copies _build/execution-stats*.json to _build/stats-for-book/)."""
    snapshot = ROOT / "_build" / "stats-for-book"
    page = visit("book/execution-statistics.html").page
    stats_file = snapshot / "execution-stats.json"
    if not stats_file.exists():
        assert page.get_by_text("No notebook run is recorded in this build yet").count() == 1
        pytest.skip("no notebook run recorded when the book was built (make notebooks writes it)")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    rows = page.locator("main table.execution-times tbody tr")
    assert rows.count() == len(NOTEBOOKS) == len(stats["notebooks"])
    shown = sorted(rows.evaluate_all("rows => rows.map(r => r.lastElementChild.innerText)"))
    assert shown == sorted(record["status"] for record in stats["notebooks"].values())
    for index in range(rows.count()):
        assert rows.nth(index).locator("a").count() == 1, "each chapter links to its page"
    memory = rows.evaluate_all("rows => rows.map(r => r.children[3].innerText)")
    assert memory == [str(stats["notebooks"][nb].get("peak_mib", "not measured"))
                      for nb in sorted(stats["notebooks"])]
    versions = page.locator("main table.python-versions")
    assert versions.count() == 1
    header = versions.locator("thead th").all_inner_texts()
    runs = sorted(snapshot.glob("execution-stats-py*.json"))
    assert len(header) == 2 + len(runs), header
    assert versions.locator("tbody tr").count() == len(NOTEBOOKS)
