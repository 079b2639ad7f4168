import json
import threading

import pytest

from stdlib_book import scraper as sc
from stdlib_book.cli import EXIT_FAILED
from stdlib_book.commands import python
from stdlib_book.servers import serve_http


@pytest.fixture
def site(tmp_path):
    sc.make_site(tmp_path, 20, seed=1)
    requests = []
    with serve_http(sc.site_handler(requests), directory=tmp_path) as url:
        yield url, requests, tmp_path


def test_crawls_the_whole_site_and_reports_what_is_wrong(site):
    url, requests, _ = site
    c = sc.crawl(url, workers=3)
    ok = {u.removeprefix(url) for u, p in c.pages.items() if not p.error}
    assert {f"/products/item-{i:03d}.html" for i in range(20)} <= ok
    assert {"/", "/about.html", "/messy.html", "/notes.txt"} <= ok
    broken = {p.url.removeprefix(url): p for p in c.broken}
    assert set(broken) == {"/away", "/loop", "/missing.html", "/hidden.html",
                           "/discontinued-3.html", "/discontinued-13.html"}
    assert broken["/missing.html"].status == 404
    assert "elsewhere.invalid" in broken["/away"].error
    assert c.redirects == {f"{url}/old/products/item-015.html": f"{url}/products/item-015.html",
                           f"{url}/old/products/item-005.html": f"{url}/products/item-005.html"}
    assert c.pages[f"{url}/products/item-000.html"].title == "Item 0 \u2013 caf\u00e9 edition"
    assert c.pages[f"{url}/notes.txt"].links == []
    # robots.txt obeyed, other hosts never contacted, each page fetched once
    # (except the targets of redirects, reached twice, and the loop, until urllib stops it)
    paths = [p for _, p in requests]
    assert paths[0] == "/robots.txt"
    assert not any(p.startswith("/private") for p in paths)
    assert c.robots_blocked == {f"{url}/private/admin.html"}
    assert c.offsite == {"https://example.invalid/partner"}
    again = {p for p in paths if paths.count(p) > 1}
    assert again == {"/loop", "/products/item-005.html", "/products/item-015.html"}
    assert paths.count("/loop") <= 11


def test_bad_html_still_gives_its_links():
    title, links = sc.extract_links(
        "<title>x</title><div><a href=a.html>a</div></span><a href='/b.html'<a href=c.html>",
        "http://h.test/dir/page.html")
    assert title == "x"
    assert "http://h.test/dir/a.html" in links


def test_base_href_and_schemes():
    _, links = sc.extract_links('<base href="/root/"><a href="x">x</a><a href="mailto:a@b">m</a>'
                                '<a href="javascript:go()">j</a><a href="ftp://f/">f</a>',
                                "http://h.test/a/b.html")
    assert links == ["http://h.test/root/x"]


def test_max_pages_limits_the_crawl(site):
    url, requests, _ = site
    c = sc.crawl(url, max_pages=5, workers=2)
    assert len(c.pages) == 5 and c.not_visited
    assert len(requests) == 6  # robots.txt + five pages


def test_ignoring_robots_fetches_private_pages(site):
    url, requests, _ = site
    sc.crawl(url, obey_robots=False)
    assert "/private/admin.html" in [p for _, p in requests]
    assert "/robots.txt" not in [p for _, p in requests]


def test_robots_can_forbid_everything(site):
    url, requests, root = site
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    c = sc.crawl(url)
    assert c.pages == {} and c.robots_blocked == {url + "/"}
    assert [p for _, p in requests] == ["/robots.txt"]


def test_missing_robots_allows_everything(site):
    url, _, root = site
    (root / "robots.txt").unlink()
    assert f"{url}/private/admin.html" in sc.crawl(url).pages


def test_rate_limiter_spaces_calls_across_threads_with_a_fake_clock():
    now = [0.0]
    lock = threading.Lock()
    slept = []

    def sleep(seconds):
        with lock:
            slept.append(seconds)

    limiter = sc.RateLimiter(0.25, clock=lambda: now[0], sleep=sleep)
    threads = [threading.Thread(target=limiter.wait) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # one call goes at once, the others were given the slots 0.25, 0.5, ... 1.75
    assert sorted(slept) == [0.25 * i for i in range(1, 8)]
    with pytest.raises(ValueError, match="interval"):
        sc.RateLimiter(-1)


def test_a_server_that_is_gone_is_a_broken_page_not_a_crash(tmp_path):
    with serve_http(directory=tmp_path) as url:
        pass  # the server is shut down: nothing listens there any more
    crawler = sc.Crawler(url, obey_robots=False, timeout=2)
    page = crawler.fetch(url + "/")
    assert page.status is None and "URLError" in page.error


def test_slow_server_times_out(tmp_path):
    (tmp_path / "index.html").write_text("<a href=x>x</a>", encoding="utf-8")
    with serve_http(sc.site_handler(latency=1.0), directory=tmp_path) as url:
        page = sc.Crawler(url, obey_robots=False, timeout=0.2).fetch(url + "/")
    assert page.status is None and "timed out" in page.error


@pytest.mark.parametrize("bad", ["ftp://h/", "file:///etc/passwd", "no-scheme", "http://"])
def test_only_http_urls(bad):
    with pytest.raises(ValueError, match="http"):
        sc.Crawler(bad)


def test_cli(site):
    url, _, _ = site
    ran = python("-m", "stdlib_book.scraper", url, "--delay", "0", "--json")
    assert ran.returncode == 1, ran.stderr  # the site has broken links
    data = json.loads(ran.stdout)
    assert data["pages"][url + "/missing.html"]["status"] == 404
    text = python("-m", "stdlib_book.scraper", url + "/products/item-000.html", "--delay", "0",
                  "--max-pages", "1")
    assert text.returncode == 0 and "crawled 1 page(s)" in text.stdout
    helped = python("-m", "stdlib_book.scraper", "--help")
    assert helped.returncode == 0 and "Exit codes" in helped.stdout


@pytest.mark.parametrize(("argv", "message"), [
    (["ftp://x/"], "http(s) URL"),
    (["http://h.test/", "--workers", "0"], "at least 1"),
    (["http://h.test/", "--delay", "soon"], "finite number of seconds"),
    (["http://h.test/", "--delay", "nan"], "finite number of seconds"),
    (["http://h.test/", "--timeout", "inf"], "finite number of seconds"),
    ([], "required"),
])
def test_bad_usage_exits_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        sc.main(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_robots_forbidding_the_start_fails_with_nothing_done(site, capsys):
    url, _, root = site
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    assert sc.main([url]) == EXIT_FAILED
    assert "robots.txt does not allow" in capsys.readouterr().err


def good_page_links(html, page_url):
    _, links = sc.extract_links(html, page_url)
    return sorted({u for u in links if sc.same_host(u, page_url)})


def test_check_page_links():
    assert sc.check_page_links(good_page_links).passed
    assert not sc.check_page_links(lambda h, u: sorted(set(sc.extract_links(h, u)[1]))).passed
    assert not sc.check_page_links(lambda h, u: []).passed


def test_every_redirect_hop_waits_for_the_rate_limiter(site, monkeypatch):
    url, requests, _ = site
    crawler = sc.Crawler(url, obey_robots=False)
    waits = []
    monkeypatch.setattr(crawler.limiter, "wait", lambda: waits.append(1))  # seen by the handler
    page = crawler.fetch(url + "/loop")
    assert page.error and len(requests) >= 3
    assert len(waits) == len(requests)


# ---- robots.txt as RFC 9309 §2.3.1 asks (issue 16, item 2)
def _robots_answering(code):
    class Answer(sc.site_handler()):
        def do_GET(self):  # noqa: N802
            if self.path == "/robots.txt":
                self.send_error(code)
            else:
                super().do_GET()
    return Answer


@pytest.mark.parametrize(("code", "note"), [
    (500, "unreachable (HTTP 500): nothing allowed"),  # before the fix: everything fetched
    (503, "unreachable (HTTP 503): nothing allowed"),
    # RFC 9309 counts 401 and 403 as "unavailable" (a crawler MAY crawl); the crawler
    # keeps RobotFileParser.read's stricter reading, and the notebook says so.
    (401, "HTTP 401: nothing allowed"),
    (403, "HTTP 403: nothing allowed"),
])
def test_robots_answering_5xx_401_or_403_allows_nothing(tmp_path, code, note):
    sc.make_site(tmp_path, 5, seed=1)
    with serve_http(_robots_answering(code), directory=tmp_path) as url:
        c = sc.crawl(url)
    assert c.pages == {} and c.robots_blocked == {url + "/"}
    assert c.robots_note == note


def test_robots_answering_404_still_allows_everything(tmp_path):
    sc.make_site(tmp_path, 5, seed=1)
    with serve_http(_robots_answering(404), directory=tmp_path) as url:
        c = sc.crawl(url)
    assert f"{url}/private/admin.html" in c.pages


def test_robots_unreachable_fails_and_says_why(tmp_path, capsys):
    with serve_http(directory=tmp_path) as url:
        pass  # nothing listens there any more
    assert sc.main([url, "--timeout", "2"]) == EXIT_FAILED
    assert "robots.txt unreachable" in capsys.readouterr().err


def test_robots_redirected_to_another_authority_is_followed_and_obeyed(tmp_path):
    sc.make_site(tmp_path / "site", 10, seed=1)
    (tmp_path / "site" / "robots.txt").unlink()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "robots.txt").write_text(
        "User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    with serve_http(directory=tmp_path / "other") as other:
        class RedirectsRobots(sc.site_handler()):
            def do_GET(self):  # noqa: N802
                if self.path == "/robots.txt":  # another port: another authority
                    self._redirect(301, other + "/robots.txt")
                else:
                    super().do_GET()

        with serve_http(RedirectsRobots, directory=tmp_path / "site") as url:
            c = sc.crawl(url)
    # before the fix the redirect was refused and everything was allowed
    assert f"{url}/private/admin.html" in c.robots_blocked
    assert not [u for u in c.pages if "/private/" in u]
    assert c.robots_note == f"read (redirected to {other}/robots.txt)"


def test_robots_redirecting_more_than_five_times_is_unavailable(tmp_path):
    sc.make_site(tmp_path, 5, seed=1)

    class Hops(sc.site_handler()):
        def do_GET(self):  # noqa: N802
            if self.path.startswith("/robots"):
                n = int(self.path.removeprefix("/robots").removesuffix(".txt") or 0)
                self._redirect(302, f"/robots{n + 1}.txt")
            else:
                super().do_GET()

    with serve_http(Hops, directory=tmp_path) as url:
        c = sc.crawl(url)
    assert c.robots_note.startswith("unavailable (HTTP 302)")
    assert f"{url}/private/admin.html" in c.pages


def _robots_after_hops(hops):
    """robots.txt reached after ``hops`` consecutive redirects."""
    class Hops(sc.site_handler()):
        def do_GET(self):  # noqa: N802
            if self.path.startswith("/robots"):
                n = int(self.path.removeprefix("/robots").removesuffix(".txt") or 0)
                if n < hops:
                    self._redirect(302, f"/robots{n + 1}.txt")
                    return
                body = b"User-agent: *\nDisallow: /private/\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                super().do_GET()
    return Hops


def test_robots_reached_within_five_redirects_is_obeyed(tmp_path):
    sc.make_site(tmp_path, 5, seed=1)
    (tmp_path / "robots.txt").unlink()
    with serve_http(_robots_after_hops(5), directory=tmp_path) as url:
        c = sc.crawl(url)
    assert c.robots_note == f"read (redirected to {url}/robots5.txt)"
    assert f"{url}/private/admin.html" in c.robots_blocked
    assert not [u for u in c.pages if "/private/" in u]


def test_robots_six_redirects_away_is_unavailable(tmp_path):
    sc.make_site(tmp_path, 5, seed=1)
    with serve_http(_robots_after_hops(6), directory=tmp_path) as url:
        c = sc.crawl(url)
    assert c.robots_note.startswith("unavailable (HTTP 302)")


def test_robots_is_read_once_per_crawl_and_within_the_rfc_parsing_limit(site):
    url, requests, _ = site
    sc.crawl(url)
    assert [p for _, p in requests].count("/robots.txt") == 1
    assert sc.MAX_BYTES >= 500 * 1024  # RFC 9309 §2.5: a parsing limit of at least 500 KiB


def test_the_crawler_obeys_the_matching_rules_of_the_running_pythons_robotparser(tmp_path):
    # gh-138907 gave urllib.robotparser RFC 9309's matching (the longest rule wins,
    # Allow on a tie, * and $) in 3.13.14, 3.14.5 and 3.15; older versions take the
    # first rule that is a prefix of the path. The crawler asks robotparser, so with
    # "Allow: /" first an older Python fetches what RFC 9309 forbids.
    import sys

    rfc9309 = sys.version_info >= (3, 14, 5) or (3, 13, 14) <= sys.version_info < (3, 14)
    sc.make_site(tmp_path, 5, seed=1)
    (tmp_path / "robots.txt").write_text(
        "User-agent: *\nAllow: /\nDisallow: /private/\n", encoding="utf-8")
    with serve_http(sc.site_handler(), directory=tmp_path) as url:
        c = sc.crawl(url)
    fetched_private = f"{url}/private/admin.html" in c.pages
    assert fetched_private is not rfc9309


def test_a_link_that_is_not_a_url_is_skipped_and_reported_not_fatal(site, capsys):
    url, _, root = site
    (root / "about.html").write_text('<a href="http://[oops">x</a><a href="/">home</a>',
                                     encoding="utf-8")
    (root / "base.html").write_text('<base href="http://[base"><a href="/">x</a>',
                                    encoding="utf-8")
    bad = []
    assert sc.extract_links((root / "base.html").read_text(), url + "/x/", bad) == (
        "", [url + "/"])
    assert bad == ["http://[base"]  # ignored, as browsers ignore an invalid base URL
    c = sc.crawl(url, delay=0)
    assert c.bad_links == {"http://[oops"} and len(c.pages) > 10
    assert sc.main([url, "--delay", "0"]) == 1
    assert "broken, not a URL: http://[oops" in capsys.readouterr().out


@pytest.mark.parametrize(("delay", "expected"), [("1" + "0" * 400, 60.0),  # the documented cap
                                                 ("2", 2.0)])
def test_crawl_delay_is_capped_and_never_raises(site, delay, expected):
    url, _, root = site
    (root / "robots.txt").write_text(f"User-agent: *\nCrawl-delay: {delay}\n", encoding="utf-8")
    crawler = sc.Crawler(url, delay=0, max_pages=1)
    assert crawler.robots_note == "read" and crawler.limiter.interval == expected


@pytest.mark.parametrize("line", ["Crawl-delay: " + "9" * 5000, "Disallow: http://[oops"])
def test_robots_that_robotparser_cannot_read_allows_nothing_or_skips_the_line(site, line):
    url, _, root = site
    (root / "robots.txt").write_text(f"User-agent: *\n{line}\n", encoding="utf-8")
    crawler = sc.Crawler(url, delay=0, max_pages=1)  # 3.11's parser raises on the URL rule
    assert crawler.robots_note == "read" or crawler.robots_note.startswith("unusable (")
    if crawler.robots_note != "read":
        assert sc.crawl(url, delay=0).pages == {}
