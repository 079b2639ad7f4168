import asyncio
import contextlib
import json
import socket
import ssl
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdlib_book import networking as net
from stdlib_book.servers import serve_http


@pytest.fixture
def no_thread_left():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        extra = [t for t in set(threading.enumerate()) - before if t.is_alive()]
        if not extra:
            return
        time.sleep(0.05)
    raise AssertionError(f"threads left running: {extra}")


def dropped(sock):
    """True if the server closed the connection (cleanly, or with a reset
    because our unread bytes were still in its buffer)."""
    try:
        return sock.recv(10) == b""
    except ConnectionResetError:
        return True


def port_of(url):
    return urllib.parse.urlsplit(url).port


# -- JSON API on http.server --------------------------------------------------------


def test_json_api_round_trip(no_thread_left):
    with serve_http(net.json_api_handler()) as url:
        assert net.http_json(url + "/notes") == (200, [])
        assert net.http_json(url + "/notes", {"text": "buy tea"}) == (201, {"id": 1,
                                                                           "text": "buy tea"})
        assert net.http_json(url + "/notes/1") == (200, {"id": 1, "text": "buy tea"})
        assert net.http_json(url + "/notes") == (200, [{"id": 1, "text": "buy tea"}])


def test_each_handler_has_its_own_store():
    with serve_http(net.json_api_handler()) as a, serve_http(net.json_api_handler()) as b:
        net.http_json(a + "/notes", {"text": "only in a"})
        assert net.http_json(b + "/notes") == (200, [])


@pytest.mark.parametrize("raw, status, words", [
    (b"{not json", 400, "not valid JSON"),
    (b"\xff\xfe", 400, "not valid JSON"),
    (b"[1, 2]", 422, "expected an object"),
    (b'{"text": 5}', 422, "expected an object"),
])
def test_json_api_bad_bodies(raw, status, words, no_thread_left):
    with serve_http(net.json_api_handler()) as url:
        got_status, payload = net.http_json(url + "/notes", raw=raw)
        assert got_status == status and words in payload["error"]
        assert net.http_json(url + "/notes") == (200, [])  # still serving, nothing stored


def test_json_api_drops_a_client_that_stops_sending(no_thread_left, capsys):
    handler = type("Impatient", (net.json_api_handler(),), {"timeout": 0.2})
    with serve_http(handler) as url:
        with socket.create_connection(("127.0.0.1", port_of(url)), timeout=5) as s:
            s.sendall(b"POST /notes HTTP/1.0\r\nContent-Length: 50\r\n\r\n{")
            assert dropped(s)  # closed after the handler's timeout, no answer
        assert net.http_json(url + "/notes") == (200, [])
    assert "Traceback" not in capsys.readouterr().err


def test_json_api_errors_and_malformed_http(no_thread_left):
    with serve_http(net.json_api_handler()) as url:
        port = port_of(url)
        assert net.http_json(url + "/nope")[0] == 404
        assert net.http_json(url + "/notes/99")[0] == 404
        too_big = (b"POST /notes HTTP/1.0\r\nContent-Length: 999999999\r\n\r\n")
        assert b" 413 " in net.raw_http(port, too_big).split(b"\r\n")[0]
        no_length = b"POST /notes HTTP/1.0\r\n\r\n{}"
        assert b" 411 " in net.raw_http(port, no_length).split(b"\r\n")[0]
        assert b" 400 " in net.raw_http(port, b"HELLO THERE\r\n\r\n")
        assert b" 400 " in net.raw_http(port, b"\x00\x01garbage\xff" * 10 + b"\r\n\r\n")
        assert b" 501 " in net.raw_http(port, b"DELETE /notes HTTP/1.0\r\n\r\n")
        assert net.raw_http(port, b"") == b""  # connect and hang up: no crash
        short = b"POST /notes HTTP/1.0\r\nContent-Length: 50\r\n\r\n{\"text\": "
        assert b"body ended after 9 of 50 bytes" in net.raw_http(port, short)
        assert net.http_json(url + "/notes") == (200, [])


# http.server decodes the request line and headers as ISO-8859-1, so the bytes
# b"\xb2", b"\xb3", b"\xb9" arrive as "\u00b2", "\u00b3", "\u00b9": str.isdigit()
# is True for them and int() raises ValueError, which used to kill the handler
# (no answer for the client, a traceback on the server).
@pytest.mark.parametrize("length", ["\u00b2", "\u00b3", "1\u00b9"])
def test_content_length_with_non_ascii_digits_gets_411(length, no_thread_left, capsys):
    with serve_http(net.json_api_handler()) as url:
        request = ("POST /notes HTTP/1.0\r\nContent-Length: " + length + "\r\n\r\n{}")
        answer = net.raw_http(port_of(url), request.encode("latin-1"))
        assert answer.split(b"\r\n")[0].endswith(b" 411 Length Required"), answer[:80]
        assert net.http_json(url + "/notes") == (200, [])
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("ident", ["\u00b2", "1\u00b3"])
def test_note_path_with_non_ascii_digits_is_404(ident, no_thread_left, capsys):
    with serve_http(net.json_api_handler()) as url:
        net.http_json(url + "/notes", {"text": "one"})
        request = f"GET /notes/{ident} HTTP/1.0\r\n\r\n".encode("latin-1")
        answer = net.raw_http(port_of(url), request)
        assert answer.split(b"\r\n")[0].endswith(b" 404 Not Found"), answer[:80]
        assert b"no note with id" not in answer
    assert "Traceback" not in capsys.readouterr().err


# int() refuses more than 4,300 digits (ValueError, Python 3.11+ and security
# releases), and json.loads raises RecursionError for deep nesting: both used to
# kill the handler (no answer, a traceback on the server).
def test_content_length_with_thousands_of_digits_gets_413(no_thread_left, capsys):
    with serve_http(net.json_api_handler()) as url:
        for length in ("9" * 5000, "1" + "0" * 5000, str(net.MAX_BODY + 1)):
            request = f"POST /notes HTTP/1.0\r\nContent-Length: {length}\r\n\r\n{{}}"
            answer = net.raw_http(port_of(url), request.encode())
            assert b" 413 " in answer.split(b"\r\n")[0], answer[:80]
        assert net.http_json(url + "/notes") == (200, [])
    assert "Traceback" not in capsys.readouterr().err


def test_leading_zeros_in_content_length_are_still_a_number(no_thread_left):
    with serve_http(net.json_api_handler()) as url:
        body = b'{"text": "zeros"}'
        request = (b"POST /notes HTTP/1.0\r\nContent-Length: 000"
                   + str(len(body)).encode() + b"\r\n\r\n" + body)
        assert b" 201 " in net.raw_http(port_of(url), request).split(b"\r\n")[0]


def test_note_id_with_thousands_of_digits_is_404(no_thread_left, capsys):
    with serve_http(net.json_api_handler()) as url:
        net.http_json(url + "/notes", {"text": "one"})
        status, payload = net.http_json(url + "/notes/" + "1" * 5000)
        assert status == 404 and len(payload["error"]) < 100, payload
        assert net.http_json(url + "/notes/" + "0" * 50 + "1")[0] == 200
    assert "Traceback" not in capsys.readouterr().err


def test_json_nested_too_deeply_gets_400(no_thread_left, capsys):
    with serve_http(net.json_api_handler()) as url:
        status, payload = net.http_json(url + "/notes", raw=b"[" * 60_000)
        # Up to 3.13 the decoder's recursion gives up ("nested too deeply"); from
        # 3.14 it reads all 60,000 brackets and then finds the body ends early.
        # Either way the client gets a 400 with a reason, never a traceback.
        assert status == 400, payload
        assert ("nested too deeply" in payload["error"]
                or "not valid JSON" in payload["error"]), payload
        assert net.http_json(url + "/notes") == (200, [])
    assert "Traceback" not in capsys.readouterr().err


def test_json_number_with_thousands_of_digits_gets_400(no_thread_left, capsys):
    # json.loads converts with int(), which refuses more than 4,300 digits with a
    # plain ValueError (not a JSONDecodeError): the handler died without an answer.
    with serve_http(net.json_api_handler()) as url:
        status, payload = net.http_json(url + "/notes", raw=b'{"text": "x", "n": '
                                        + b"1" * 5000 + b"}")
        assert status == 400 and "not valid JSON" in payload["error"], payload
        assert net.http_json(url + "/notes") == (200, [])
    assert "Traceback" not in capsys.readouterr().err


def test_bounded_int():
    assert net.bounded_int("42", 100) == 42
    assert net.bounded_int("0" * 5000 + "42", 100) == 42
    assert net.bounded_int("0", 100) == 0
    for text in ("", "101", "9" * 5000, "\u00b2", "-1", " 1"):
        assert net.bounded_int(text, 100) is None, text


def test_ascii_digits():
    assert net.ascii_digits("0123456789")
    for text in ("", "\u00b2", "\u0663", "\uff15", "+1", "1.0", "1_000"):
        assert not net.ascii_digits(text), text


def test_http_json_returns_a_body_that_is_not_json(no_thread_left):
    # http.server's own error pages are HTML: http_json raised JSONDecodeError.
    with serve_http() as url:  # the static-file handler: a 404 page in HTML
        status, body = net.http_json(url + "/missing")
        assert status == 404 and "<html" in body["text"].lower()


def test_http_json_refuses_non_local_urls():
    with pytest.raises(ValueError, match="local servers"):
        net.http_json("http://example.org/")
    with pytest.raises(ValueError, match="local"):
        net.fetch_backend("file:///etc/passwd", 1)


def test_idle_clients_measurement(no_thread_left):
    for threaded in (False, True):
        assert net.time_behind_idle_clients(2, threaded=threaded, handler_timeout=0.01) > 0
    with pytest.raises(ValueError, match="idle"):
        net.time_behind_idle_clients(5, threaded=True)


# -- length-prefixed framing -------------------------------------------------------


class OneByteSocket:
    """A fake socket whose send and recv move one byte at a time."""

    def __init__(self, incoming=b""):
        self.incoming = bytearray(incoming)
        self.sent = bytearray()

    def send(self, data):
        self.sent += bytes(data[:1])
        return 1 if len(data) else 0

    def recv(self, n):
        chunk = bytes(self.incoming[:1])
        del self.incoming[:1]
        return chunk


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=5))
def test_partial_reads_and_writes(messages):
    writer = OneByteSocket()
    for m in messages:
        net.send_message(writer, m)
    reader = OneByteSocket(writer.sent)
    got = []
    while (m := net.recv_message(reader)) is not None:
        got.append(m)
    assert got == messages


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=6), st.integers(1, 17))
def test_decoder_any_chunking(messages, step):
    data = b"".join(net.encode_message(m) for m in messages)
    decoder = net.FrameDecoder()
    got = [m for i in range(0, len(data), step) for m in decoder.feed(data[i:i + step])]
    assert got == messages and decoder.pending == 0


def test_oversized_and_truncated_messages():
    with pytest.raises(net.ProtocolError, match="exceeds max_size=4"):
        net.encode_message(b"12345", max_size=4)
    with pytest.raises(net.ProtocolError, match="announced 5 bytes"):
        net.recv_message(OneByteSocket(net.encode_message(b"12345")), max_size=4)
    with pytest.raises(net.ProtocolError, match="announced"):
        net.FrameDecoder(max_size=10).feed(struct.pack("!I", 11))
    with pytest.raises(net.IncompleteMessage, match="2 of 5 bytes missing"):
        net.recv_message(OneByteSocket(net.encode_message(b"12345")[:-2]))
    with pytest.raises(net.IncompleteMessage, match="header|missing"):
        net.recv_message(OneByteSocket(b"\x00\x00"))
    with pytest.raises(TypeError, match="bytes"):
        net.encode_message("text")


def test_framed_server_survives_bad_clients(no_thread_left):
    with net.serve_framed(max_size=1000, timeout=0.5) as server:
        assert net.framed_request(server.port, b"hello") == b"HELLO"
        # oversized announcement
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(struct.pack("!I", 10**9))
            assert dropped(s)  # without an answer
        # garbage: ASCII text read as a length
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\n\r\n")
            assert dropped(s)
        # truncated message, then the client vanishes
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(net.encode_message(b"x" * 100)[:50])
        # a client that never speaks is timed out
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            assert dropped(s)
        # many messages on one connection
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            for i in range(20):
                net.send_message(s, b"m%d" % i)
                assert net.recv_message(s) == b"M%d" % i
        assert net.framed_request(server.port, b"still here") == b"STILL HERE"
    errors = "\n".join(server.errors)
    assert errors.count("ProtocolError") == 2
    assert "IncompleteMessage" in errors and "timed out" in errors
    assert server.active_threads() == 0


def test_peer_reset_is_a_connection_error():
    left, right = socket.socketpair()
    with left:
        right.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        net.send_all(right, struct.pack("!I", 10))
        right.close()
        with pytest.raises(ConnectionError):
            net.recv_message(left)


# -- asyncio line server --------------------------------------------------------------


def test_many_line_clients():
    elapsed, stats = asyncio.run(net.many_line_clients(200, lines_each=2))
    assert elapsed > 0 and stats.served == 400 and stats.active == 0
    assert stats.max_active > 1


def test_ensure_open_files_says_why_it_cannot_raise_the_limit(monkeypatch):
    resource = pytest.importorskip("resource")
    monkeypatch.setattr(resource, "getrlimit", lambda which: (256, resource.RLIM_INFINITY))

    def refuse(which, limits):
        raise ValueError("not allowed to raise maximum limit")

    monkeypatch.setattr(resource, "setrlimit", refuse)
    with pytest.raises(OSError, match="2000 open files needed, and raising the limit from 256"
                                      " failed: not allowed"):
        net.ensure_open_files(2000)


def test_ensure_open_files():
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert net.ensure_open_files(10) == soft  # already enough: unchanged
    if hard != resource.RLIM_INFINITY:
        with pytest.raises(OSError, match="hard limit"):
            net.ensure_open_files(hard + 1)
    with pytest.raises(ValueError, match="at least 1"):
        asyncio.run(net.many_line_clients(0))


def test_line_server_timeouts_and_long_lines():
    async def scenario():
        async with net.line_server(idle_timeout=0.2) as (port, stats):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await reader.readline() == b"ERR idle timeout\n"
            assert await reader.read() == b""
            writer.close()
            await writer.wait_closed()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"x" * (net.MAX_LINE * 2) + b"\n")
            await writer.drain()
            assert (await reader.readline()).startswith(b"ERR line longer")
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            # a client that vanishes mid-line
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"half a li")
            writer.transport.abort()
            assert await net.line_client(port, [b"ok"]) == [b"OK\n"]
            await asyncio.sleep(0.05)
            return stats

    stats = asyncio.run(scenario())
    assert stats.timeouts == 1 and stats.too_long == 1 and stats.active == 0


def test_line_client_returns_after_the_server_handler_has_finished():
    # What the notebook's printed statistics rely on: one client after another
    # never overlap on the server (max_active stays 1, active is 0 at once).
    async def scenario():
        async with net.line_server(idle_timeout=5) as (port, stats):
            for i in range(20):
                assert await net.line_client(port, [b"n%d" % i]) == [b"N%d\n" % i]
                assert stats.active == 0, i
        return stats

    stats = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert stats.max_active == 1 and stats.served == 20


def test_line_server_drops_a_client_that_never_reads():
    # It sends 32 MiB of lines and reads none of the answers: once the socket
    # buffers are full, drain() waits. Without a timeout on it the handler
    # waited forever, and so did closing the server (3.12+ wait_closed waits
    # for every connection).
    async def scenario():
        async with net.line_server(idle_timeout=0.3) as (port, stats):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write((b"y" * 4000 + b"\n") * 8192)  # never drained or read
            for _ in range(200):
                if stats.timeouts:
                    break
                await asyncio.sleep(0.05)
            writer.transport.abort()
            assert await net.line_client(port, [b"ok"]) == [b"OK\n"]
            await asyncio.sleep(0.05)
        return stats

    stats = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert stats.timeouts == 1 and stats.active == 0 and stats.served > 0, stats


def test_drain_bounds_the_write_buffer():
    total = 8 << 20
    with_drain = asyncio.run(net.flood_without_reader(total, drain=True))
    without = asyncio.run(net.flood_without_reader(total, drain=False))
    assert with_drain <= 1 << 20
    assert without > with_drain


# -- API gateway ---------------------------------------------------------------------


def test_gateway_routes_and_failures(no_thread_left):
    with serve_http(net.backend_handler("users")) as users, \
            serve_http(net.backend_handler("orders", delay=0.05)) as orders:
        routes = {"users": users, "orders": orders}
        with serve_http(net.gateway_handler(routes, timeout=2)) as gw:
            assert net.http_json(gw + "/api/users/7") == (200, {"path": "/7",
                                                                 "service": "users"})
            status, summary = net.http_json(gw + "/api/summary")
            assert status == 200 and sorted(summary) == ["orders", "users"]
            assert net.http_json(gw + "/api/nothing/1")[0] == 404
            assert net.http_json(gw + "/other")[0] == 404
    with serve_http(net.backend_handler("slow", delay=1.0)) as slow:
        routes = {"users": net.closed_port_url(), "slow": slow}
        with serve_http(net.gateway_handler(routes, timeout=0.2)) as gw:
            status, body = net.http_json(gw + "/api/users/1")
            assert status == 502 and "unreachable" in body["error"]
            status, body = net.http_json(gw + "/api/slow/1")
            assert status == 504 and "0.2 s" in body["error"]
            assert net.http_json(gw + "/api/summary")[0] in (502, 504)



@pytest.mark.parametrize("handler", [net.json_api_handler(), net.SlowHandler,
                                     net.backend_handler("users"), net.gateway_handler({})],
                         ids=["json api", "slow", "backend", "gateway"])
def test_every_handler_of_the_chapter_has_a_socket_timeout(handler):
    # Chapter 5 says so: a silent client cannot hold a handler thread until
    # server_close's join_timeout (the gateway had none).
    assert handler.timeout is not None and 0 < handler.timeout <= 10

# -- scraping --------------------------------------------------------------------------


def test_extract_links():
    html = net.SITE["index.html"]
    links = net.extract_links(html, "http://127.0.0.1:1/")
    assert "http://127.0.0.1:1/about.html" in links
    assert "http://127.0.0.1:1/" in links  # '#top' resolves to the page itself
    assert not any(link.startswith("mailto") for link in links)
    assert net.extract_links("<a href=", "http://h/") == []  # truncated HTML: no crash
    # urljoin raised ValueError ("Invalid IPv6 URL") and the page was lost
    assert net.extract_links('<a href="http://[broken">x</a><a href="a.html">a</a>',
                             "http://h/") == ["http://h/a.html"]


def test_crawl_local_site(tmp_path, no_thread_left):
    net.make_site(tmp_path)
    with serve_http(directory=tmp_path) as url:
        result = net.crawl(url + "/index.html")
    base = url + "/"
    assert [p.removeprefix(base) for p in result.pages] == [
        "about.html", "blog/", "blog/2025/first.html", "blog/2025/first.html?ref=about",
        "blog/2025/second.html", "index.html"]
    assert [p.removeprefix(base) for p in result.blocked_by_robots] == ["private/admin.html"]
    assert [p.removeprefix(base) for p in result.broken] == ["missing.html"]
    assert result.offsite == ["https://example.org/elsewhere"]
    with pytest.raises(ValueError, match="max_pages"):
        net.crawl(url, max_pages=0)


def test_crawl_without_robots(tmp_path):
    (tmp_path / "index.html").write_text('<a href="a.html">a</a>', encoding="utf-8")
    (tmp_path / "a.html").write_text("a", encoding="utf-8")
    with serve_http(directory=tmp_path) as url:
        result = net.crawl(url + "/index.html", max_pages=1)
    assert len(result.pages) == 1


def _site_handler(pages):
    """A handler serving ``pages``: path -> (status, content type, body)."""
    class Site(net.SlowHandler):
        def do_GET(self):
            status, ctype, body = pages.get(self.path, (404, "text/plain", b"missing"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    return Site


@pytest.mark.parametrize("robots_status, crawled", [(404, True), (410, True), (500, False),
                                                     (503, False), (403, False)])
def test_crawl_follows_rfc_9309_when_robots_txt_fails(robots_status, crawled, no_thread_left):
    # Before: any HTTP error on robots.txt meant "everything allowed", 5xx included.
    pages = {"/robots.txt": (robots_status, "text/plain", b"oops"),
             "/index.html": (200, "text/html", b"<p>hello</p>")}
    with serve_http(_site_handler(pages)) as url:
        result = net.crawl(url + "/index.html")
    assert bool(result.pages) is crawled
    assert bool(result.blocked_by_robots) is not crawled


def test_crawl_survives_bad_pages(no_thread_left):
    # Before: a latin-1 page raised UnicodeDecodeError, a vanished server
    # URLError, and a page of any size was read whole.
    big = b"<p>" + b"x" * net.MAX_PAGE_BYTES + b"</p>"
    pages = {"/robots.txt": (404, "text/plain", b""),
             "/index.html": (200, "text/html; charset=iso-8859-1",
                             '<a href="caf\u00e9.html">caf\u00e9</a><a href="big.html">b</a>'
                             '<a href="bad.html">?</a>'.encode("latin-1")),
             "/caf%C3%A9.html": (200, "text/html", b"ok"),
             "/big.html": (200, "text/html", big),
             "/bad.html": (200, "text/html; charset=no-such-codec", b"\xff<p>odd</p>")}
    with serve_http(_site_handler(pages)) as url:
        result = net.crawl(url + "/index.html")
    base = url + "/"
    assert [p.removeprefix(base) for p in result.pages] == ["bad.html", "caf%C3%A9.html",
                                                          "index.html"]
    assert [p.removeprefix(base) for p in result.broken] == ["big.html"]
    pages["/index.html"] = (200, "text/html", b'<a href="http://[broken">x</a>'
                                              b'<a href="bad.html">y</a>')
    with serve_http(_site_handler(pages)) as url:  # one malformed link lost the crawl
        result = net.crawl(url + "/index.html")
    assert [p.removeprefix(url + "/") for p in result.pages] == ["bad.html", "index.html"]
    gone = net.crawl(net.closed_port_url() + "/index.html")  # nothing there at all
    assert gone.pages == [] and gone.blocked_by_robots


# -- exercise checks -------------------------------------------------------------------


def test_build_url_check():
    def good(base, path, params):
        url = urllib.parse.urljoin(base, path)
        return url + ("?" + urllib.parse.urlencode(params) if params else "")

    def naive(base, path, params):
        return base + path + "?" + "&".join(f"{k}={v}" for k, v in params.items())

    assert net.check_build_url(good).passed
    assert not net.check_build_url(naive).passed


def test_read_exactly_check():
    assert net.check_read_exactly(net.read_exactly).passed
    assert not net.check_read_exactly(lambda sock, n: sock.recv(n)).passed


def test_read_exactly_check_stops_a_loop_that_ignores_end_of_stream():
    # The commonest mistake: never checking for b"". Once the peer closes,
    # recv returns b"" at once, forever; the check used to hang with it.
    def spins(sock, n):
        data = b""
        while len(data) < n:
            data += sock.recv(n - len(data))
        return data

    result = {}
    worker = threading.Thread(target=lambda: result.update(fb=net.check_read_exactly(spins)),
                              daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the self-check hung on a loop that ignores b''"
    assert not result["fb"].passed and "returned b''" in str(result["fb"])


def test_extract_links_check():
    assert net.check_extract_links(net.extract_links).passed

    def no_join(html, base):
        return sorted(set(net.LinkParser().hrefs))

    assert not net.check_extract_links(no_join).passed


def test_json_dumps_sorted_for_stable_output():
    assert json.dumps({"b": 1, "a": 2}, sort_keys=True) == '{"a": 2, "b": 1}'


# -- HTTPS: the handshake in the handler thread --------------------------------------


@pytest.fixture(scope="module")
def tls_pair():
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context(cadata=ca.cert_pem.bytes().decode())
    return server, client


def _https_get(port, client, timeout=5):
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/", context=client,  # noqa: S310
                                timeout=timeout) as response:
        return response.status, response.read()


def test_https_silent_client_does_not_block_others(tls_pair, no_thread_left):
    server_ctx, client = tls_pair
    with net.serve_https(net.SlowHandler, server_ctx, handshake_timeout=3) as server:
        port = server.server_address[1]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as silent:
            time.sleep(0.1)  # the server has accepted it and is waiting for its ClientHello
            start = time.monotonic()
            assert _https_get(port, client) == (200, b"ok\n")
            # wrapping the listening socket makes this wait for the silent client (3 s)
            assert time.monotonic() - start < 2
            assert dropped(silent)  # after the handshake timeout
        assert server.handshake_failures == ["TimeoutError"]


def test_https_bad_handshakes_are_dropped_alone(tls_pair, no_thread_left):
    server_ctx, client = tls_pair
    with net.serve_https(net.SlowHandler, server_ctx, handshake_timeout=1) as server:
        port = server.server_address[1]
        assert net.raw_http(port, b"GET / HTTP/1.0\r\n\r\n") == b""  # plain HTTP on HTTPS
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            _https_get(port, ssl.create_default_context())  # a client that does not trust us
        assert _https_get(port, client) == (200, b"ok\n")
    assert server.handshake_failures and set(server.handshake_failures) <= {
        "SSLError", "ConnectionResetError", "OSError"}


def test_serve_https_refuses_bad_arguments():
    with pytest.raises(TypeError, match="ssl.SSLContext"):
        net.HandshakeInThreadHTTPSServer(("127.0.0.1", 0), net.SlowHandler, "cert.pem")
    with pytest.raises(ValueError, match="handshake_timeout must be positive"):
        net.HandshakeInThreadHTTPSServer(("127.0.0.1", 0), net.SlowHandler,
                                         ssl.create_default_context(), handshake_timeout=0)
