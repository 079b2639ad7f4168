"""scraper: a polite crawler built on urllib, html.parser and a thread pool.

It crawls one site and reports its pages, titles, redirects and broken links.
Being polite is not optional for a crawler, so by default it:

* reads ``/robots.txt`` first (with :mod:`urllib.robotparser`) and never
  fetches a path that it disallows, honouring ``Crawl-delay`` too (at most
  ``MAX_CRAWL_DELAY``, 60 s); as RFC 9309 asks, it follows up to five redirects
  for robots.txt, even to another host (http to https is the common case), and
  when robots.txt is unreachable (5xx, timeout, no connection) or unusable (a
  rule urllib.robotparser cannot read) it fetches nothing;
* spaces its requests at least ``--delay`` seconds apart, however many
  threads it uses (a shared :class:`RateLimiter`);
* stays on the start URL's host, refusing even a *redirect* that leaves it;
* identifies itself with a ``User-Agent`` and gives up on a slow server
  after a timeout.

Bad HTML does not stop it: :class:`html.parser.HTMLParser` is forgiving by design;
a page it cannot decode or parse, or a link that is not a URL, is reported, not fatal.

    python -m stdlib_book.scraper URL [--max-pages N] [--workers N] [--delay S] [--json]

Exit codes: the package's contract (:mod:`stdlib_book.cli`); see ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from stdlib_book import cli
from stdlib_book.selfcheck import Checker, Feedback, run_checks
from stdlib_book.servers import QuietHandler

#: What this program means by the contract's codes 1 and 3.
EXIT_CODES = {1: "done, but broken links or failed pages were found (listed)",
              3: "failed: nothing crawled (the start page failed, or robots.txt forbids "
                 "it or could not be read)"}
#: What a peer that does not speak HTTP properly makes urllib raise besides
#: ``OSError``: a bad status line, a body shorter than its Content-Length.
PEER_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException)
USER_AGENT = "stdlib-book-scraper/1.0"
MAX_BYTES = 2_000_000
MAX_CRAWL_DELAY = 60.0  # seconds: a longer robots.txt Crawl-delay is capped to this


class LinkParser(HTMLParser):
    """Collect the ``href`` of every ``<a>`` and the text of ``<title>``.

    >>> p = LinkParser()
    >>> p.feed('<title>Hi &amp; bye</title><p><a href=x.html>x<a href="#top">')
    >>> p.close()
    >>> p.title, p.links
    ('Hi & bye', ['x.html', '#top'])
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.base: str | None = None
        self._title: list[str] = []
        self._in_title = False

    @property
    def title(self) -> str:
        return " ".join("".join(self._title).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href.strip())
        elif tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)


def normalise(url: str) -> str:
    """One spelling per page: no fragment, lower-case scheme and host,
    ``/`` for an empty path.

    >>> normalise("HTTP://Example.COM#intro"), normalise("http://e.com/a?b=1#c")
    ('http://example.com/', 'http://e.com/a?b=1')
    """
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(),
                                    parts.path or "/", parts.query, ""))


def same_host(url: str, start: str) -> bool:
    """True if ``url`` has the scheme, host and port of ``start``.

    >>> same_host("http://a.test:8000/x", "http://A.test:8000/")
    True
    >>> same_host("http://a.test:8001/", "http://a.test:8000/")
    False
    """
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(start)
    return (a.scheme.lower(), a.netloc.lower()) == (b.scheme.lower(), b.netloc.lower())


def extract_links(html: str, page_url: str, bad: list | None = None) -> tuple[str, list[str]]:
    """The title and the absolute, normalised http(s) links of a page. An href
    that is not a URL at all (``http://[oops``) is skipped, and added to ``bad``."""
    parser = LinkParser()
    parser.feed(html)
    parser.close()
    links, base, bad = [], page_url, [] if bad is None else bad
    for i, href in enumerate([parser.base or "", *parser.links]):  # a bad base is ignored
        try:
            url = urllib.parse.urljoin(base, href)
            if i == 0:
                base = url
            elif urllib.parse.urlsplit(url).scheme in ("http", "https"):
                links.append(normalise(url))
        except ValueError:  # urlsplit: "Invalid IPv6 URL", a bad port ...
            bad.append(href)
    return parser.title, links


class RateLimiter:
    """Let calls through at most once per ``interval`` seconds, across threads.

    Each caller *reserves* the next free slot under a lock and then sleeps
    outside it, so waiting threads do not block one another's bookkeeping.
    ``clock`` and ``sleep`` can be replaced, which is how the tests check it
    without waiting.

    >>> now = [0.0]
    >>> def fake_sleep(seconds):
    ...     now[0] += seconds
    >>> limiter = RateLimiter(0.5, clock=lambda: now[0], sleep=fake_sleep)
    >>> for _ in range(3):
    ...     limiter.wait()
    >>> now[0]
    1.0
    """

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if interval < 0:
            raise ValueError(f"interval must be zero or more seconds, got {interval}")
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._next = -float("inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


class _StayOnHost(urllib.request.HTTPRedirectHandler):
    """Follow redirects only within the start host: a redirect elsewhere is
    returned as the 3xx response it is, and reported."""

    def __init__(self, start: str) -> None:
        self.start = start

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not same_host(urllib.parse.urljoin(req.full_url, newurl), self.start):
            return None  # urllib then raises HTTPError with the 3xx code
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _RobotsRedirects(urllib.request.HTTPRedirectHandler):
    """robots.txt may redirect anywhere (RFC 9309 §2.3.1.2: follow at least five
    redirects, across authorities too); its rules still apply to the start host."""

    max_redirections = 5


class _RateLimited(urllib.request.BaseHandler):
    """Make *every* request the opener sends wait for the limiter, including
    each hop of a redirect, which urllib sends on its own."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        self.limiter.wait()
        return req

    https_request = http_request


@dataclass
class Page:
    url: str
    status: int | None  # None: no HTTP response at all (timeout, refused, ...)
    final_url: str
    title: str = ""
    links: list[str] = field(default_factory=list)
    error: str = ""
    bad_links: list[str] = field(default_factory=list)  # hrefs that are not URLs
    content_type: str = ""


@dataclass
class Crawl:
    start: str
    pages: dict[str, Page] = field(default_factory=dict)
    referrers: dict[str, set[str]] = field(default_factory=dict)
    robots_blocked: set[str] = field(default_factory=set)
    robots_note: str = ""  # how robots.txt was read (see Crawler._read_robots)
    offsite: set[str] = field(default_factory=set)
    not_visited: set[str] = field(default_factory=set)  # over --max-pages
    bad_links: set[str] = field(default_factory=set)  # hrefs that are not URLs: broken

    @property
    def broken(self) -> list[Page]:
        return sorted((p for p in self.pages.values() if p.error), key=lambda p: p.url)

    @property
    def redirects(self) -> dict[str, str]:
        return {u: p.final_url for u, p in sorted(self.pages.items())
                if not p.error and p.final_url != u}


def _read_whole(response) -> bytes:
    """The body, at most MAX_BYTES. ``read(n)`` returns a short body quietly
    when the peer closes before its Content-Length; that is an error here
    (``IncompleteRead``), not a page or a robots.txt cut in half."""
    body = response.read(MAX_BYTES)
    missing = getattr(response, "length", None)  # bytes still owed by Content-Length
    if missing and len(body) < MAX_BYTES:
        raise http.client.IncompleteRead(body, missing)
    return body


class Crawler:
    """Crawl one host breadth first with a pool of threads.

    Everything that decides *what* to fetch (the frontier, the set of seen
    URLs, robots.txt) happens in the calling thread; worker threads only
    fetch and parse, so there is no shared state to lock except the limiter.
    """

    def __init__(self, start: str, *, max_pages: int = 200, workers: int = 4,
                 delay: float = 0.0, timeout: float = 5.0, obey_robots: bool = True,
                 user_agent: str = USER_AGENT) -> None:
        parts = urllib.parse.urlsplit(start)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"start must be an http(s) URL, got {start!r}")
        if max_pages < 1 or workers < 1:
            raise ValueError("max_pages and workers must be at least 1")
        self.start = normalise(start)
        self.max_pages, self.workers, self.timeout = max_pages, workers, timeout
        self.user_agent, self.limiter = user_agent, RateLimiter(delay)
        self.opener = urllib.request.build_opener(_StayOnHost(self.start),
                                                  _RateLimited(self.limiter))
        self.robots_opener = urllib.request.build_opener(_RobotsRedirects(),
                                                         _RateLimited(self.limiter))
        self.robots_note = "not read (obey_robots=False)"
        self.robots = self._read_robots() if obey_robots else None
        robot_delay = self.robots.crawl_delay(user_agent) if self.robots else None
        self.limiter.interval = max(delay, float(min(robot_delay or 0, MAX_CRAWL_DELAY)))

    def _open(self, url: str):
        # Only http(s) URLs on the start host get here (checked in __init__ and run).
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})  # noqa: S310
        return self.opener.open(request, timeout=self.timeout)

    def _read_robots(self) -> urllib.robotparser.RobotFileParser:
        """Fetch robots.txt through our own opener (with our User-Agent, timeout
        and rate limit, which ``RobotFileParser.read`` would not use) and apply
        RFC 9309 §2.3.1: follow up to five redirects, to any host; 401/403
        forbid everything (as ``read`` does), other 4xx allow everything
        ("unavailable"); 5xx, network errors, an answer that is not HTTP and
        a body cut short of its Content-Length forbid everything
        ("unreachable"). :attr:`robots_note` says which case applied."""
        rp = urllib.robotparser.RobotFileParser(urllib.parse.urljoin(self.start, "/robots.txt"))
        request = urllib.request.Request(rp.url, headers={"User-Agent": self.user_agent})  # noqa: S310
        try:
            with self.robots_opener.open(request, timeout=self.timeout) as response:
                body = _read_whole(response)
                final = response.url
            self.robots_note = "read" + ("" if final == rp.url else f" (redirected to {final})")
            rp.parse(body.decode("utf-8", "replace").splitlines())
        except ValueError as exc:  # 3.11: a rule that is not a URL; any: a 5000-digit delay
            rp.disallow_all = True
            self.robots_note = f"unusable ({exc}): nothing allowed"
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code in (401, 403):
                rp.disallow_all = True
                self.robots_note = f"HTTP {exc.code}: nothing allowed"
            elif exc.code >= 500:
                rp.disallow_all = True
                self.robots_note = f"unreachable (HTTP {exc.code}): nothing allowed"
            else:  # 4xx, or more than five redirects: "unavailable"
                rp.allow_all = True
                self.robots_note = f"unavailable (HTTP {exc.code}): everything allowed"
        except PEER_ERRORS as exc:
            rp.disallow_all = True
            reason = getattr(exc, "reason", exc)
            self.robots_note = f"unreachable ({reason}): nothing allowed"
        return rp

    def allowed(self, url: str) -> bool:
        return self.robots is None or self.robots.can_fetch(self.user_agent, url)

    def fetch(self, url: str) -> Page:
        """Fetch and parse one page; every failure becomes ``Page.error``."""
        try:
            with self._open(url) as response:
                final = normalise(response.url)
                body = _read_whole(response)
                ctype = response.headers.get_content_type()
                charset = response.headers.get_content_charset() or "utf-8"
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            reason = exc.reason
            if 300 <= exc.code < 400:
                target = exc.headers.get("Location", "?")
                reason = f"redirect refused or looping, to {target}"
            return Page(url, exc.code, url, error=f"HTTP {exc.code}: {reason}")
        except http.client.HTTPException as exc:  # not HTTP, or a body cut short
            return Page(url, None, url, error=f"bad HTTP response: {exc!r}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return Page(url, None, url, error=f"{type(exc).__name__}: {reason}")
        page = Page(url, status, final, content_type=ctype)
        if ctype == "text/html":
            try:
                page.title, page.links = extract_links(body.decode(charset, "replace"), final,
                                                       page.bad_links)
            except (LookupError, AssertionError) as exc:  # unknown charset; parser bug
                page.error = f"unparseable HTML: {exc}"
        return page

    def run(self) -> Crawl:
        crawl = Crawl(self.start, robots_note=self.robots_note)
        if not self.allowed(self.start):
            crawl.robots_blocked.add(self.start)
            return crawl
        seen = {self.start}
        frontier = [self.start]
        running: dict[Future[Page], str] = {}
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="crawl") as pool:
            while frontier or running:
                while frontier and len(running) < self.workers:
                    url = frontier.pop(0)
                    running[pool.submit(self.fetch, url)] = url
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f]):
                    del running[future]
                    page = future.result()
                    crawl.pages[page.url] = page
                    crawl.bad_links.update(page.bad_links)
                    for link in page.links:
                        crawl.referrers.setdefault(link, set()).add(page.url)
                        if link in seen:
                            continue
                        seen.add(link)
                        if not same_host(link, self.start):
                            crawl.offsite.add(link)
                        elif not self.allowed(link):
                            crawl.robots_blocked.add(link)
                        elif len(crawl.pages) + len(running) + len(frontier) >= self.max_pages:
                            crawl.not_visited.add(link)
                        else:
                            frontier.append(link)
        return crawl


def crawl(start: str, **kwargs) -> Crawl:
    """Crawl the site at ``start``; see :class:`Crawler` for the options."""
    return Crawler(start, **kwargs).run()


def report(c: Crawl) -> str:
    """A text report whose order does not depend on thread timing."""
    base = c.start.rstrip("/")

    def short(url: str) -> str:
        return url[len(base):] or "/" if url.startswith(base) else url

    ok = sorted(u for u, p in c.pages.items() if not p.error)
    lines = [f"crawled {len(c.pages)} page(s) of {c.start}: {len(ok)} ok, "
             f"{len(c.broken)} broken"]
    for u in ok:
        p = c.pages[u]
        title = p.title if len(p.title) <= 40 else p.title[:39] + "\u2026"
        shown = title if p.content_type == "text/html" else f"({p.content_type})"
        lines.append(f"  {short(u):<28} {shown}")
    if c.redirects:
        lines.append("redirects:")
        lines += [f"  {short(a)} -> {short(b)}" for a, b in c.redirects.items()]
    if c.broken:
        lines.append("broken:")
        for p in c.broken:
            where = ", ".join(sorted(short(r) for r in c.referrers.get(p.url, ())))
            lines.append(f"  {short(p.url):<28} {p.error}  (linked from {where or 'start'})")
    for label, urls in (("not fetched, robots.txt", c.robots_blocked),
                        ("not fetched, other host", c.offsite),
                        ("not fetched, over --max-pages", c.not_visited),
                        ("broken, not a URL", c.bad_links)):
        if urls:
            lines.append(f"{label}: " + ", ".join(sorted(short(u) for u in urls)))
    return "\n".join(lines)


# -- a site to crawl -------------------------------------------------------------------


def make_site(root: str | Path, n_pages: int = 30, *, seed: int = 0) -> list[str]:
    """Write a small static shop site under ``root``; return its page paths.

    Product pages link to each other and to the index; a few links are broken
    (``/discontinued-N.html``), one points off-site, ``/private/`` is
    disallowed by robots.txt, one page is badly broken HTML, one is plain text, and some links go
    through the redirects served by :func:`site_handler`.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible sample site
    root = Path(root)
    (root / "products").mkdir(parents=True, exist_ok=True)
    (root / "private").mkdir(exist_ok=True)
    products = [f"/products/item-{i:03d}.html" for i in range(n_pages)]

    def page(title: str, links: list[str], extra: str = "") -> str:
        items = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
                f"</head><body><h1>{title}</h1><ul>{items}</ul>{extra}</body></html>")

    for i, path in enumerate(products):
        links = rng.sample(products, 3) + ["/"]
        if i % 10 == 3:
            links.append(f"/discontinued-{i}.html")  # broken
        if i % 10 == 5:
            links.append(f"/old/products/item-{i:03d}.html")  # a redirect to a real page
        (root / path.lstrip("/")).write_text(
            page(f"Item {i} &ndash; caf\u00e9 edition", [Path(h).name if h.startswith(
                "/products/") else h for h in links]), encoding="utf-8")
    (root / "index.html").write_text(page("Shop", [
        products[0], "/about.html", "/notes.txt", "/private/admin.html", "/messy.html",
        "/loop", "/away", "https://example.invalid/partner", "mailto:shop@example.invalid",
        "/products/item-000.html#reviews"]), encoding="utf-8")
    (root / "about.html").write_text(page("About us", ["./", "/missing.html"]),
                                     encoding="utf-8")
    (root / "private" / "admin.html").write_text(page("Admin", []), encoding="utf-8")
    (root / "notes.txt").write_text("plain text, not parsed for links", encoding="utf-8")
    (root / "messy.html").write_text(
        "<html><title>Messy &copy page</title><body><div><p>unclosed <b>bold <a href=products/"
        "item-001.html>no quotes</a> <a href='/about.html'>single</a></div></div></span>"
        "<a href=\"/products/item-002.html\"<a href=/hidden.html>broken tag</a> &#xZZ; "
        "<!-- comment never closed <a href=/in-comment.html>", encoding="utf-8")
    (root / "robots.txt").write_text(
        "User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    return ["/", "/about.html", "/messy.html", *products]


def site_handler(requests: list[tuple[float, str]] | None = None, *,
                 latency: float = 0.0) -> type[QuietHandler]:
    """A static-file handler with the site's redirects, which records every
    request as ``(monotonic time, path)`` in ``requests`` and can add
    ``latency`` seconds to each response (a slow server, for the
    concurrency measurement).

    ``/old/...`` redirects (301) to ``/...``; ``/loop`` redirects to itself;
    ``/away`` redirects to another host.
    """
    log = requests if requests is not None else []
    lock = threading.Lock()

    class SiteHandler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            with lock:
                log.append((time.monotonic(), self.path))
            if latency:
                time.sleep(latency)
            redirect = ((301, self.path[4:]) if self.path.startswith("/old/") else
                        {"/loop": (302, "/loop"),
                         "/away": (302, "http://elsewhere.invalid/")}.get(self.path))
            if redirect is None:
                return super().do_GET()
            return self._redirect(*redirect)

        def _redirect(self, code: int, location: str) -> None:
            self.send_response(code)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return SiteHandler


# -- command line ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = cli.program_parser(
        "scraper", "Crawl one website politely (robots.txt, rate limit, same host only) "
        "and report its pages, redirects and broken links. Read-only.", EXIT_CODES)
    parser.add_argument("url", help="start URL (http or https)")
    parser.add_argument("--max-pages", type=cli.positive_int, default=200, metavar="N",
                        help="stop after N pages (%(default)s)")
    parser.add_argument("--workers", type=cli.positive_int, default=4, metavar="N",
                        help="fetch N pages at a time (%(default)s)")
    parser.add_argument("--delay", type=cli.seconds, default=0.1, metavar="SECONDS",
                        help="at least this long between requests (%(default)s); "
                        "robots.txt's Crawl-delay wins if longer")
    parser.add_argument("--timeout", type=cli.seconds, default=10.0, metavar="SECONDS",
                        help="give up on a response after this long (%(default)s)")
    parser.add_argument("--ignore-robots", action="store_true",
                        help="do not read robots.txt (only for your own site)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _run(args: argparse.Namespace) -> int:
    try:
        c = crawl(args.url, max_pages=args.max_pages, workers=args.workers, delay=args.delay,
                  timeout=args.timeout, obey_robots=not args.ignore_robots)
    except ValueError as exc:
        raise cli.UsageError(str(exc)) from None
    if not c.pages and c.robots_blocked:
        raise cli.Failed(f"robots.txt does not allow fetching {c.start} "
                     f"(robots.txt {c.robots_note}); nothing crawled")
    first = c.pages.get(c.start)
    if first is not None and first.error:
        raise cli.Failed(f"{c.start}: {first.error}; nothing crawled")
    if args.json:
        print(json.dumps({
            "pages": {u: {"status": p.status, "title": p.title, "error": p.error}
                      for u, p in sorted(c.pages.items())},
            "redirects": c.redirects,
            "robots_blocked": sorted(c.robots_blocked), "offsite": sorted(c.offsite),
            "not_visited": sorted(c.not_visited), "bad_links": sorted(c.bad_links)},
            indent=2, ensure_ascii=False))
    else:
        print(report(c))
    return cli.EXIT_PARTIAL if c.broken or c.bad_links else cli.EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    return cli.run_main(build_parser(), _run, argv)


# -- exercise check ----------------------------------------------------------------------


def check_page_links(func) -> Feedback:
    """Check ``func(html, page_url)``: the sorted set of absolute http(s) links
    on the same host as ``page_url``, without fragments."""
    url = "http://shop.test/products/item.html"

    def body(c: Checker) -> None:
        c.expect("relative link", lambda: func('<a href="other.html">x</a>', url),
                 ["http://shop.test/products/other.html"])
        c.expect("root-relative and parent links",
                 lambda: func('<a href="/">h</a><a href="../about.html">a</a>', url),
                 ["http://shop.test/", "http://shop.test/about.html"])
        c.expect("fragment dropped, duplicates merged",
                 lambda: func('<a href="#top">t</a><a href="item.html#r">r</a>'
                              '<a href="item.html">i</a>', url),
                 ["http://shop.test/products/item.html"])
        c.expect("other hosts and schemes left out",
                 lambda: func('<a href="http://other.test/">o</a><a href="mailto:a@b">m</a>'
                              '<a href="javascript:void(0)">j</a>', url), [])
        c.expect("bad HTML still read",
                 lambda: func("<p><a href=x.html>no quotes<div></span><A HREF='y.html'>", url),
                 ["http://shop.test/products/x.html", "http://shop.test/products/y.html"])
        c.expect("no links", lambda: func("<p>nothing here", url), [])

    return run_checks("page_links", body)


if __name__ == "__main__":
    sys.exit(main())
