"""Chapter 5 helpers: small servers and clients that are safe to run anywhere.

Every server here listens on 127.0.0.1 and a port chosen by the operating
system (port 0), runs in a background thread or task, and is shut down, its
sockets closed and its threads joined, when its ``with`` block ends. Every
client has a timeout. Bad input (malformed HTTP, bad JSON, oversized or
truncated messages, garbage on a socket) gets an error that names the problem
and never stops a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import http.server
import json
import socket
import ssl
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from .selfcheck import Checker, Feedback, run_checks
from .servers import LOOPBACK, JoinedThreadingHTTPServer, serve_http, serve_tcp

# --------------------------------------------------------------------------
# HTTP: a small JSON API on http.server
# --------------------------------------------------------------------------

#: The largest request body the JSON API accepts, in bytes.
MAX_BODY = 64 * 1024
#: The largest note id the API looks up (larger ones cannot exist).
MAX_NOTE_ID = 2**63 - 1


def ascii_digits(text: str) -> bool:
    """True if ``text`` is one or more ASCII digits, as HTTP numbers are.

    ``str.isdigit()`` is not that test: it is also true for ``"²"`` (which
    ``int()`` refuses, so the handler would crash) and for ``"٣"`` (which
    ``int()`` reads as 3, a number no HTTP client should be sending).

    >>> [ascii_digits(t) for t in ("42", "²", "٣", "", "-1", " 7")]
    [True, False, False, False, False, False]

    Passing this test is not enough for ``int()`` either: from Python 3.11
    (and security releases before it) ``int()`` refuses a string of more
    than 4,300 digits with ``ValueError``, so compare the *length* of the
    digits with the largest number you accept first (:func:`bounded_int`).
    """
    return text.isascii() and text.isdigit()


def bounded_int(text: str, largest: int) -> int | None:
    """``int(text)`` for ASCII digits up to ``largest``; ``None`` for anything
    else: not digits, or a number over ``largest`` however many digits it has
    (``int()`` itself raises ``ValueError`` beyond 4,300 digits).

    >>> [bounded_int(t, 65536) for t in ("42", "0042", "²", "65537", "9" * 5000)]
    [42, 42, None, None, None]
    """
    if not ascii_digits(text):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(largest)):
        return None
    value = int(digits)
    return value if value <= largest else None


class JsonApiHandler(http.server.BaseHTTPRequestHandler):
    """A tiny notes API: ``GET /notes``, ``GET /notes/<id>``, ``POST /notes``.

    Each server gets its own store through :func:`json_api_handler`. Bodies
    are limited to :data:`MAX_BODY` bytes, and a client that stops sending is
    dropped after ``timeout`` seconds instead of holding a thread forever.
    """

    timeout = 5  # seconds a client may take to send its request (socket timeout)
    protocol_version = "HTTP/1.0"
    store: dict[int, dict[str, object]]
    lock: threading.Lock

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass  # no access log: it would put times and ports into the notebook

    def send_json(self, status: int, payload: object) -> None:
        body = json.dumps(payload, sort_keys=True).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        if self.path == "/notes":
            with self.lock:
                notes = [self.store[k] for k in sorted(self.store)]
            self.send_json(200, notes)
            return
        prefix, _, ident = self.path.partition("/notes/")
        if prefix == "" and ascii_digits(ident):
            number = bounded_int(ident, MAX_NOTE_ID)
            with self.lock:
                note = None if number is None else self.store.get(number)
            if note is None:
                self.send_json(404, {"error": f"no note with id {ident[:20]}"
                                              + ("..." if len(ident) > 20 else "")})
            else:
                self.send_json(200, note)
            return
        self.send_json(404, {"error": f"no such resource: {self.path}"})

    def do_POST(self) -> None:  # noqa: N802 - name fixed by http.server
        if self.path != "/notes":
            self.send_json(404, {"error": f"no such resource: {self.path}"})
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None or not ascii_digits(length_text):
            self.send_json(411, {"error": "a Content-Length header with the body size is required"})
            return
        length = bounded_int(length_text, MAX_BODY)
        if length is None:  # digits, but more than MAX_BODY (maybe more than int() reads)
            self.send_json(413, {"error": f"body of {length_text[:20]}"
                                          f"{'...' if len(length_text) > 20 else ''} bytes"
                                          f" is over the {MAX_BODY} limit"})
            return
        try:
            raw = self.rfile.read(length)
        except OSError:  # TimeoutError included: the client stopped sending
            self.close_connection = True
            return
        if len(raw) < length:
            self.send_json(400, {"error": f"body ended after {len(raw)} of {length} bytes"})
            return
        try:
            data = json.loads(raw)
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, and int()'s
            # refusal of a number with more than 4,300 digits (sys.get_int_max_str_digits)
            self.send_json(400, {"error": f"body is not valid JSON: {exc}"})
            return
        except RecursionError:  # "[[[[..." nested deeper than the parser's recursion limit
            self.send_json(400, {"error": "body is not valid JSON: nested too deeply"})
            return
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            self.send_json(422, {"error": 'expected an object like {"text": "..."}'})
            return
        with self.lock:
            ident = max(self.store, default=0) + 1
            note = {"id": ident, "text": data["text"]}
            self.store[ident] = note
        self.send_json(201, note)


def json_api_handler() -> type[JsonApiHandler]:
    """A fresh :class:`JsonApiHandler` subclass with its own empty store, so
    two servers (or two runs of a notebook) never share data."""
    return type("NotesHandler", (JsonApiHandler,), {"store": {}, "lock": threading.Lock()})


def http_json(url: str, data: object | None = None, *, raw: bytes | None = None,
              timeout: float = 5.0) -> tuple[int, object]:
    """GET ``url`` (or POST ``data`` as JSON, or ``raw`` bytes); return
    ``(status, decoded JSON)``. HTTP errors are returned, not raised, and so
    is a body that is not JSON (an error page, say): as ``{"text": ...}``."""
    body = raw if raw is not None else (None if data is None else json.dumps(data).encode())
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"this helper only talks to local servers, got {url!r}")
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310 # loopback http URL, checked above
            return response.status, _json_or_text(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, _json_or_text(exc.read() or b"null")


def _json_or_text(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return {"text": body.decode("utf-8", "replace")}


def raw_http(port: int, request: bytes, *, timeout: float = 5.0) -> bytes:
    """Send ``request`` bytes as they are and return everything the server
    answers: the way to show what a server does with malformed HTTP.

    A server may drop the connection before the request is even sent (an
    HTTPS server given plain text does): then the answer is what had arrived,
    often nothing, however the system reports the hang-up (a reset, a broken
    pipe, or "not connected" from ``shutdown``).
    """
    received = []
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(4096):
                received.append(chunk)
        except ConnectionError:  # reset or broken pipe: the server hung up
            pass
        except OSError as exc:
            if exc.errno != errno.ENOTCONN:  # shutdown() after the server hung up
                raise
    return b"".join(received)


class SlowHandler(http.server.BaseHTTPRequestHandler):
    """Answers ``GET /`` with a short text; used to show what slow clients
    do to a server that handles one connection at a time."""

    timeout = 5
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def time_behind_idle_clients(idle: int, *, threaded: bool, handler_timeout: float = 0.1,
                              timeout: float = 30.0) -> float:
    """Seconds one ordinary GET takes while ``idle`` clients are connected
    but have not sent their request yet (a slow link, a phone on a train,
    or an attacker), on a single-threaded or a threading server whose
    handler gives each client ``handler_timeout`` seconds.

    Keep ``idle`` at 4 or less: ``http.server`` listens with a backlog of 5,
    and connections beyond it are retried by the client's kernel after a
    second, which would measure TCP rather than the server.
    """
    if not 0 <= idle <= 4:
        raise ValueError(f"idle must be between 0 and 4, got {idle}")
    handler = type("TimedHandler", (SlowHandler,), {"timeout": handler_timeout})
    with serve_http(handler, threaded=threaded) as url, contextlib.ExitStack() as stack:
        port = int(url.rsplit(":", 1)[1])
        for _ in range(idle):
            stack.enter_context(socket.create_connection((LOOPBACK, port), timeout=timeout))
        time.sleep(0.02)  # let the server accept the idle connections first
        start = time.perf_counter()
        with urllib.request.urlopen(url + "/", timeout=timeout) as response:  # noqa: S310  # nosec B310 # loopback URL from serve_http
            response.read()
        return time.perf_counter() - start


# --------------------------------------------------------------------------
# HTTPS: the TLS handshake in the handler thread, with a timeout
# --------------------------------------------------------------------------


class HandshakeInThreadHTTPSServer(JoinedThreadingHTTPServer):
    """A threading HTTPS server whose TLS handshakes cannot block each other.

    Wrapping the *listening* socket (``context.wrap_socket(server.socket,
    server_side=True)``, which is also what Python 3.14's
    ``http.server.HTTPSServer`` does) runs every handshake inside
    ``accept()``, in the one thread that runs ``serve_forever``, with no
    timeout: a client that connects and says nothing stops the server from
    accepting anyone else. Here ``accept()`` returns the plain TCP
    connection at once; it is wrapped with ``do_handshake_on_connect=False``
    (no I/O yet), and the handshake runs in the request's own handler
    thread, limited to ``handshake_timeout`` seconds. A client that fails
    the handshake or stays silent is dropped, alone. ``server_close()``
    waits for the handler threads (:class:`~stdlib_book.servers.JoinedThreadsMixIn`).
    """

    handshake_timeout = 2.0

    def __init__(self, server_address: tuple[str, int], handler: type,
                 context: ssl.SSLContext, *, handshake_timeout: float | None = None) -> None:
        if not isinstance(context, ssl.SSLContext):
            raise TypeError(f"context must be an ssl.SSLContext, got {type(context).__name__}")
        if handshake_timeout is not None:
            if not handshake_timeout > 0:
                raise ValueError(f"handshake_timeout must be positive, got {handshake_timeout}")
            self.handshake_timeout = handshake_timeout
        self.context = context
        self.handshake_failures: list[str] = []
        super().__init__(server_address, handler)

    def get_request(self) -> tuple[ssl.SSLSocket, tuple[str, int]]:
        conn, address = self.socket.accept()  # plain TCP: returns as soon as a client connects
        return self.context.wrap_socket(conn, server_side=True,
                                        do_handshake_on_connect=False), address

    def finish_request(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        request.settimeout(self.handshake_timeout)  # runs in the handler thread
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError) as exc:  # TimeoutError included: a silent client
            self.handshake_failures.append(type(exc).__name__)
            return
        super().finish_request(request, client_address)


@contextlib.contextmanager
def serve_https(handler: type[http.server.BaseHTTPRequestHandler], context: ssl.SSLContext, *,
                handshake_timeout: float = 2.0) -> Iterator[HandshakeInThreadHTTPSServer]:
    """Run a :class:`HandshakeInThreadHTTPSServer` on 127.0.0.1, port 0;
    yield it (its port is ``server.server_address[1]``). Leaving the block
    shuts it down, closes it, and joins its serving and handler threads."""
    server = HandshakeInThreadHTTPSServer((LOOPBACK, 0), handler, context,
                                          handshake_timeout=handshake_timeout)
    thread = threading.Thread(target=server.serve_forever, name="serve_https", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --------------------------------------------------------------------------
# Sockets: length-prefixed messages
# --------------------------------------------------------------------------

#: Largest message accepted by default: a peer cannot make us allocate more.
MAX_MESSAGE = 1 << 20
_HEADER = struct.Struct("!I")  # 4-byte unsigned length, network byte order


class ProtocolError(ValueError):
    """The peer broke the framing protocol (for example, an oversized length)."""


class IncompleteMessage(ConnectionError):
    """The peer closed the connection in the middle of a message."""


def encode_message(payload: bytes, *, max_size: int = MAX_MESSAGE) -> bytes:
    """Frame ``payload``: its length as 4 big-endian bytes, then the bytes.

    >>> encode_message(b"hi")
    b'\\x00\\x00\\x00\\x02hi'
    """
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
    if len(payload) > max_size:
        raise ProtocolError(f"message of {len(payload)} bytes exceeds max_size={max_size}")
    return _HEADER.pack(len(payload)) + bytes(payload)


def send_all(sock: socket.socket, data: bytes) -> None:
    """Write all of ``data``: ``send`` may take only part of it, so keep
    going from where it stopped. (``socket.sendall`` does this loop for a
    blocking socket; written out here so the test can prove it.)"""
    view = memoryview(data)
    while view:
        sent = sock.send(view)
        view = view[sent:]


def send_message(sock: socket.socket, payload: bytes, *, max_size: int = MAX_MESSAGE) -> None:
    """Send one framed message."""
    send_all(sock, encode_message(payload, max_size=max_size))


def read_exactly(sock: socket.socket, n: int) -> bytes:
    """Read exactly ``n`` bytes: ``recv`` returns whatever has arrived, from
    one byte up, so a single call is never enough. Raises
    :class:`IncompleteMessage` if the peer closes first."""
    chunks, remaining = [], n
    while remaining:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            raise IncompleteMessage(f"connection closed with {remaining} of {n} bytes missing")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv_message(sock: socket.socket, *, max_size: int = MAX_MESSAGE) -> bytes | None:
    """Receive one framed message, or ``None`` if the peer closed cleanly
    between messages. An announced length over ``max_size`` raises
    :class:`ProtocolError` before anything is allocated."""
    first = sock.recv(1)
    if not first:
        return None
    (length,) = _HEADER.unpack(first + read_exactly(sock, _HEADER.size - 1))
    if length > max_size:
        raise ProtocolError(f"peer announced {length} bytes, over max_size={max_size}")
    return read_exactly(sock, length)


class FrameDecoder:
    """Incremental (sans-I/O) decoder: feed it bytes as they come, in pieces
    of any size, and it returns the complete messages.

    >>> decoder = FrameDecoder()
    >>> data = encode_message(b"one") + encode_message(b"two")
    >>> [m for byte in data for m in decoder.feed(bytes([byte]))]
    [b'one', b'two']
    """

    def __init__(self, *, max_size: int = MAX_MESSAGE) -> None:
        self.max_size = max_size
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        messages = []
        while len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            if length > self.max_size:
                raise ProtocolError(f"peer announced {length} bytes, over max_size={self.max_size}")
            if len(self._buffer) < _HEADER.size + length:
                break
            messages.append(bytes(self._buffer[_HEADER.size:_HEADER.size + length]))
            del self._buffer[:_HEADER.size + length]
        return messages

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a whole message."""
        return len(self._buffer)


@dataclass
class FramedServer:
    """What :func:`serve_framed` yields: the port, and a log of the
    connections that ended with an error."""

    host: str
    port: int
    errors: list[str] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list, repr=False)

    def active_threads(self) -> int:
        return sum(t.is_alive() for t in self._threads)


def _framed_connection(conn: socket.socket, handler: Callable[[bytes], bytes], max_size: int,
                       timeout: float, stop: threading.Event, info: FramedServer) -> None:
    conn.settimeout(timeout)
    try:
        with conn:
            while not stop.is_set():
                message = recv_message(conn, max_size=max_size)
                if message is None:
                    return
                send_message(conn, handler(message), max_size=max_size)
    except (ProtocolError, OSError) as exc:  # one bad client must not stop the server
        info.errors.append(f"{type(exc).__name__}: {exc}")


@contextlib.contextmanager
def serve_framed(
    handler: Callable[[bytes], bytes] = bytes.upper, *,
    max_size: int = MAX_MESSAGE, timeout: float = 2.0,
) -> Iterator[FramedServer]:
    """Serve length-prefixed messages on 127.0.0.1, port 0: each message is
    answered with ``handler(message)``. One thread per connection; a client
    idle for ``timeout`` seconds, or breaking the protocol, is disconnected
    and logged in ``errors``. Leaving the block closes the listening socket
    and joins every thread."""
    def handle(conn: socket.socket) -> None:
        _framed_connection(conn, handler, max_size, timeout, server.stopping, info)

    with serve_tcp(handle, name="serve_framed", join_timeout=timeout + 5) as server:
        info = FramedServer(server.host, server.port, _threads=server.threads)
        yield info


def framed_request(port: int, payload: bytes, *, timeout: float = 5.0) -> bytes:
    """One request/response over a fresh connection to a framed server."""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        send_message(sock, payload)
        reply = recv_message(sock)
    if reply is None:
        raise IncompleteMessage("server closed the connection without answering")
    return reply


# --------------------------------------------------------------------------
# asyncio streams: a line server with timeouts and back-pressure
# --------------------------------------------------------------------------

#: Longest line the line server accepts (also the StreamReader's buffer limit).
MAX_LINE = 4096


@dataclass
class LineServerStats:
    served: int = 0
    timeouts: int = 0
    too_long: int = 0
    max_active: int = 0
    active: int = 0


async def _handle_lines(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        idle_timeout: float, stats: LineServerStats) -> None:
    stats.active += 1
    stats.max_active = max(stats.max_active, stats.active)
    try:
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), idle_timeout)
            except TimeoutError:
                stats.timeouts += 1
                writer.write(b"ERR idle timeout\n")
                break
            except (ValueError, asyncio.LimitOverrunError):
                stats.too_long += 1
                writer.write(f"ERR line longer than {MAX_LINE} bytes\n".encode())
                break
            if not line:
                break  # the client closed its side
            writer.write(line.upper())
            # wait while the client is slower than we are, but not forever:
            # a client that sends and never reads would otherwise hold us here
            # (asyncio.timeout, 3.11+: on 3.11 wait_for wraps the coroutine in a
            # task; timeout() never does, and from 3.12 wait_for is built on it)
            async with asyncio.timeout(idle_timeout):
                await writer.drain()
            stats.served += 1
        with contextlib.suppress(ConnectionError):
            async with asyncio.timeout(idle_timeout):
                await writer.drain()
    except TimeoutError:  # a drain timed out: the client stopped reading
        stats.timeouts += 1
        writer.transport.abort()  # drop the unsent answers; close() would wait for them
    except ConnectionError:
        pass  # the client vanished; nothing to answer
    finally:
        stats.active -= 1
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@contextlib.asynccontextmanager
async def line_server(*, idle_timeout: float = 5.0) -> AsyncIterator[tuple[int, LineServerStats]]:
    """An upper-casing line echo server on 127.0.0.1, port 0, in the running
    event loop. Yields ``(port, stats)``; a client idle for ``idle_timeout``
    seconds or sending a line over :data:`MAX_LINE` bytes gets ``ERR ...``
    and is disconnected."""
    stats = LineServerStats()
    server = await asyncio.start_server(
        lambda r, w: _handle_lines(r, w, idle_timeout, stats), LOOPBACK, 0, limit=MAX_LINE)
    try:
        yield server.sockets[0].getsockname()[1], stats
    finally:
        server.close()
        await server.wait_closed()


async def line_client(port: int, lines: list[bytes], *, timeout: float = 10.0) -> list[bytes]:
    """Send each line and collect each answer; then say "no more" (a
    half-close) and wait until the server hangs up, so that its handler has
    finished when this returns."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(LOOPBACK, port), timeout)
    try:
        answers = []
        for line in lines:
            writer.write(line + b"\n")
            await writer.drain()
            answers.append(await asyncio.wait_for(reader.readline(), timeout))
        writer.write_eof()
        await asyncio.wait_for(reader.read(), timeout)
        return answers
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def ensure_open_files(needed: int) -> int:
    """Make sure this process may open ``needed`` files (sockets count):
    raise the soft limit up to the hard one if necessary, and say clearly
    when even that is not enough. Returns the soft limit now in force.

    Each local connection costs two descriptors here, one for the client and
    one for the server, and common soft limits are 1,024 (Linux) or 256
    (macOS): 1,000 clients would otherwise fail with "Too many open files".
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return needed
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise OSError(f"{needed} open files needed, but the hard limit is {hard}"
                          " (raise it with `ulimit -n`)")
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        except (ValueError, OSError) as exc:  # e.g. macOS refuses more than kern.maxfilesperproc
            raise OSError(f"{needed} open files needed, and raising the limit from {soft}"
                          f" failed: {exc} (raise it with `ulimit -n`)") from None
        soft = needed
    return soft


async def many_line_clients(clients: int, lines_each: int = 3,
                            *, idle_timeout: float = 5.0) -> tuple[float, LineServerStats]:
    """Run ``clients`` concurrent clients against a fresh line server; return
    the seconds taken and the server's statistics. Every answer is checked."""
    if clients < 1 or lines_each < 1:
        raise ValueError(f"clients and lines_each must be at least 1, got {clients}, {lines_each}")
    ensure_open_files(2 * clients + 256)
    async with line_server(idle_timeout=idle_timeout) as (port, stats):
        start = time.perf_counter()
        results = await asyncio.gather(*(
            line_client(port, [b"client %d line %d" % (c, i) for i in range(lines_each)])
            for c in range(clients)))
        elapsed = time.perf_counter() - start
    for c, answers in enumerate(results):
        if answers != [b"CLIENT %d LINE %d\n" % (c, i) for i in range(lines_each)]:
            raise RuntimeError(f"client {c} got wrong answers: {answers[:2]}")
    return elapsed, stats


async def flood_without_reader(total: int, *, drain: bool, chunk: int = 64 * 1024) -> int:
    """Write ``total`` bytes to a client that reads nothing for a while, and
    return the largest amount the server had to hold in its own write buffer.

    With ``drain`` the writer waits whenever the buffer passes the high-water
    mark, so memory stays bounded; without it every byte piles up in the
    server process."""
    peak = 0
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal peak
        try:
            for _ in range(total // chunk):
                writer.write(b"x" * chunk)
                peak = max(peak, writer.transport.get_write_buffer_size())
                if drain:
                    await writer.drain()
            await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            done.set()

    server = await asyncio.start_server(handle, LOOPBACK, 0)
    try:
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
        await asyncio.sleep(0.2)  # the slow reader: nothing read yet
        received = 0
        while chunk_in := await asyncio.wait_for(reader.read(1 << 20), 10):
            received += len(chunk_in)
        writer.close()
        await writer.wait_closed()
        await asyncio.wait_for(done.wait(), 10)
    finally:
        server.close()
        await server.wait_closed()
    if received != total // chunk * chunk:
        raise RuntimeError(f"received {received} bytes, expected {total}")
    return peak


# --------------------------------------------------------------------------
# A minimal API gateway: http.server in front, two backends behind
# --------------------------------------------------------------------------


class BackendHandler(http.server.BaseHTTPRequestHandler):
    """A stand-in microservice: answers any GET with JSON naming itself,
    after ``delay`` seconds. Made per backend by :func:`backend_handler`."""

    name = "backend"
    delay = 0.0
    timeout = 5
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        time.sleep(self.delay)
        body = json.dumps({"service": self.name, "path": self.path}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the gateway gave up on us (its timeout): nobody is listening


def backend_handler(name: str, delay: float = 0.0) -> type[BackendHandler]:
    return type(f"{name.title()}Handler", (BackendHandler,), {"name": name, "delay": delay})


class GatewayError(Exception):
    """A backend could not give an answer: ``status`` is 502 or 504."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def fetch_backend(url: str, timeout: float) -> object:
    """GET JSON from a backend; turn every failure into a :class:`GatewayError`:
    504 when it is too slow, 502 when it is down or answers nonsense."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"backends must be local http URLs, got {url!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  # nosec B310 # loopback http URL, checked above
            return json.loads(response.read())
    except TimeoutError:
        raise GatewayError(504, f"backend {url} did not answer within {timeout} s") from None
    except urllib.error.HTTPError as exc:
        exc.close()
        raise GatewayError(502, f"backend {url} answered {exc.code}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise GatewayError(504, f"backend {url} did not answer within {timeout} s") from None
        raise GatewayError(502, f"backend {url} unreachable: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise GatewayError(502, f"backend {url} gave a bad answer: {exc}") from None


async def fetch_all(urls: dict[str, str], timeout: float) -> dict[str, object]:
    """Fetch several backends at once: blocking ``urllib`` calls run in
    worker threads, and ``asyncio.gather`` waits for all of them, so the
    total time is the slowest backend's, not the sum."""
    results = await asyncio.gather(
        *(asyncio.to_thread(fetch_backend, url, timeout) for url in urls.values()))
    return dict(zip(urls, results, strict=True))


def gateway_handler(routes: dict[str, str], *, timeout: float = 0.5) -> type:
    """A gateway handler class: ``/api/<service>/<rest>`` is forwarded to
    ``routes[service] + "/" + rest``; ``/api/summary`` asks every backend at
    once. Backend failures become 502 or 504 with a JSON message. ``timeout``
    is for each backend; a client gets 5 s to send its request."""
    backend_timeout = timeout

    class GatewayHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"
        timeout = 5  # seconds a client may take to send its request (socket timeout)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def reply(self, status: int, payload: object) -> None:
            body = json.dumps(payload, sort_keys=True).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
            parts = urllib.parse.urlsplit(self.path).path.split("/", 3)
            if len(parts) < 3 or parts[1] != "api":
                self.reply(404, {"error": "routes are /api/<service>/... and /api/summary"})
                return
            service, rest = parts[2], (parts[3] if len(parts) > 3 else "")
            try:
                if service == "summary":
                    # asyncio inside a synchronous handler: one event loop per request
                    result = asyncio.run(fetch_all(
                        {name: f"{base}/summary" for name, base in routes.items()},
                        backend_timeout))
                elif service in routes:
                    result = fetch_backend(f"{routes[service]}/{rest}", backend_timeout)
                else:
                    self.reply(404, {"error": f"no route for service {service!r}"})
                    return
            except GatewayError as exc:
                self.reply(exc.status, {"error": str(exc)})
                return
            self.reply(200, result)

    return GatewayHandler


def closed_port_url() -> str:
    """The URL of a loopback port where nothing listens (a backend that is
    down): bind port 0 to get a free port, then close it at once."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return f"http://{LOOPBACK}:{sock.getsockname()[1]}"


# --------------------------------------------------------------------------
# Scraping a local site: html.parser, urljoin, robotparser
# --------------------------------------------------------------------------

SITE = {
    "robots.txt": "User-agent: *\nDisallow: /private/\n",
    "index.html": """<!doctype html><html><head><title>Home</title></head><body>
<h1>Local site</h1>
<p><a href="about.html">About</a> | <a href="blog/">Blog</a> | <A HREF='#top'>Top</A></p>
<p><a href="/private/admin.html">Admin</a> <a href="mailto:me@example.org">Mail</a>
<a href="https://example.org/elsewhere">Elsewhere</a> <a>no href</a>
<a href="missing.html">A broken link</a>
</body></html>""",
    "about.html": """<html><body><p>About us. <a href="index.html">Home</a>
<a href="blog/2025/first.html?ref=about#comments">First post</a></p></body></html>""",
    "blog/index.html": """<html><body><ul>
<li><a href="2025/first.html">First</a><li><a href="2025/second.html">Second</a>
</ul><a href="../index.html">Home</a></body></html>""",
    "blog/2025/first.html": """<html><body><p>First post.
<a href="./second.html">Next</a> <a href="../../about.html">About</a></p></body></html>""",
    "blog/2025/second.html": """<html><body><p>Second post, with unclosed <b>tags
<a href="/blog/">Back to the blog</a></body></html>""",
    "private/admin.html": "<html><body>Admin page: crawlers keep out.</body></html>",
}


def make_site(root: str | Path) -> list[str]:
    """Write :data:`SITE` under ``root``; return the files written."""
    root = Path(root)
    for rel, text in SITE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(SITE)


class LinkParser(HTMLParser):
    """Collects the ``href`` of every ``<a>`` tag, in document order.

    ``HTMLParser`` lower-cases tag and attribute names and keeps going
    through unclosed or badly nested tags; it builds no tree, which is all a
    link extractor needs.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def extract_links(html: str, base_url: str) -> list[str]:
    """Absolute http(s) links of a page, without fragments, sorted, unique.

    A link that :mod:`urllib.parse` cannot split (``http://[broken``, an
    unclosed IPv6 bracket: ``ValueError``) is skipped: one bad link on a
    page must not lose the page, or a whole crawl.

    >>> extract_links('<a href="b.html#x">b</a><a href="mailto:a@b">m</a>'
    ...               '<a href="http://[broken">?</a>', "http://h/a/")
    ['http://h/a/b.html']
    """
    parser = LinkParser()
    parser.feed(html)
    parser.close()
    links = set()
    for href in parser.hrefs:
        try:
            absolute = urllib.parse.urldefrag(urllib.parse.urljoin(base_url, href.strip())).url
            scheme = urllib.parse.urlsplit(absolute).scheme
        except ValueError:  # "Invalid IPv6 URL", a bad port and the like
            continue
        if scheme in ("http", "https"):
            links.add(absolute)
    return sorted(links)


@dataclass
class CrawlResult:
    pages: list[str] = field(default_factory=list)
    blocked_by_robots: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)


#: The largest page the crawler reads: a server cannot make it hold more.
MAX_PAGE_BYTES = 1 << 20


#: Characters left as they are when a link is made ASCII: the reserved ones and "%".
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


class PageTooLarge(ValueError):
    """A page over :data:`MAX_PAGE_BYTES`."""


def _get_text(url: str, timeout: float) -> str:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the crawler only visits local servers, got {url!r}")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  # nosec B310 # loopback http URL, checked above
        body = response.read(MAX_PAGE_BYTES + 1)
        if len(body) > MAX_PAGE_BYTES:
            raise PageTooLarge(f"{url} is larger than {MAX_PAGE_BYTES} bytes")
        charset = response.headers.get_content_charset() or "utf-8"
    try:
        return body.decode(charset, "replace")  # a wrong byte becomes U+FFFD, not an error
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", "replace")


def crawl(start_url: str, *, max_pages: int = 50, agent: str = "stdlib-book",
          timeout: float = 5.0) -> CrawlResult:
    """Breadth-first crawl of one local site, asking ``robots.txt`` first.

    Only pages on the start URL's host are fetched (others are listed in
    ``offsite``), each at most once, at most ``max_pages`` of them, each at
    most :data:`MAX_PAGE_BYTES` long and decoded with the charset its server
    names (bad bytes replaced). A page that cannot be fetched is listed in
    ``broken``. If ``robots.txt`` answers 5xx (or 401/403), or cannot be
    fetched at all, nothing is crawled (RFC 9309).
    """
    if max_pages < 1:
        raise ValueError(f"max_pages must be at least 1, got {max_pages}")
    site = urllib.parse.urlsplit(start_url)
    robots = urllib.robotparser.RobotFileParser()
    try:
        robots.parse(_get_text(urllib.parse.urljoin(start_url, "/robots.txt"),
                               timeout).splitlines())
    except urllib.error.HTTPError as exc:
        exc.close()
        # RFC 9309: a robots.txt answered with 4xx is "unavailable" (crawl
        # everything), with 5xx "unreachable" (crawl nothing); 401 and 403
        # forbid everything too, as RobotFileParser.read does.
        if exc.code in (401, 403) or exc.code >= 500:
            robots.disallow_all = True
        else:
            robots.allow_all = True
    except (urllib.error.URLError, OSError, ValueError):  # unreachable, too large
        robots.disallow_all = True
    result, queue, seen = CrawlResult(), [start_url], {start_url}
    while queue and len(result.pages) < max_pages:
        url = queue.pop(0)
        if not robots.can_fetch(agent, url):
            result.blocked_by_robots.append(url)
            continue
        try:
            html = _get_text(url, timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            result.broken.append(url)
            continue
        except (urllib.error.URLError, OSError, ValueError):  # gone, slow, too big, bad URL
            result.broken.append(url)
            continue
        result.pages.append(url)
        for link in extract_links(html, url):
            # as a browser does: "café.html" is requested as "caf%C3%A9.html"
            # (http.client refuses a request line that is not ASCII)
            link = urllib.parse.quote(link, safe=_URL_SAFE)
            if link in seen:
                continue
            seen.add(link)
            if urllib.parse.urlsplit(link).netloc != site.netloc:
                result.offsite.append(link)
            else:
                queue.append(link)
    for name in ("pages", "blocked_by_robots", "broken", "offsite"):
        getattr(result, name).sort()
    return result


# --------------------------------------------------------------------------
# Exercise checks
# --------------------------------------------------------------------------


def check_build_url(func: Callable[[str, str, dict[str, str]], str]) -> Feedback:
    """Check ``func(base, path, params)``: join and encode a URL safely."""

    def body(c: Checker) -> None:
        c.expect("simple", lambda: func("http://127.0.0.1:8000/api/", "search", {"q": "tea"}),
                 "http://127.0.0.1:8000/api/search?q=tea")
        c.expect("spaces, & and = in values are encoded",
                 lambda: func("http://h/", "s", {"q": "fish & chips", "x": "a=b"}),
                 "http://h/s?q=fish+%26+chips&x=a%3Db")
        c.expect("non-ASCII is UTF-8 percent-encoded",
                 lambda: func("http://h/", "s", {"city": "Zürich"}),
                 "http://h/s?city=Z%C3%BCrich")
        c.expect("no parameters: no '?'", lambda: func("http://h/a/", "b", {}), "http://h/a/b")
        c.expect("a relative path replaces the last segment of a base without '/'",
                 lambda: func("http://h/api", "items", {}), "http://h/items")

    return run_checks("build_url", body)


class _EndlessRecvLoop(RuntimeError):
    """Raised by the self-check when ``recv`` keeps being called after the
    peer has closed: not a ConnectionError, so it can never pass for one."""


class _GuardedSocket:
    """A socket for a reader's code: ``recv`` that has returned ``b""`` (the
    peer closed) 100 times in a row raises instead of letting a loop that
    never checks for ``b""`` spin forever and hang the notebook."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._empty = 0

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data = self._sock.recv(bufsize, flags)
        self._empty = 0 if data else self._empty + 1
        if self._empty > 100:
            raise _EndlessRecvLoop("recv() returned b'' (the peer has closed) 100 times in a"
                                   " row and was called again: stop when it returns b''")
        return data

    def __getattr__(self, name: str) -> object:
        return getattr(self._sock, name)


def check_read_exactly(func: Callable[[socket.socket, int], bytes]) -> Feedback:
    """Check ``func(sock, n)`` against a peer that sends one byte at a time.
    A function that loops on ``recv`` after the peer has closed is stopped
    and told so, instead of hanging."""

    def dribble(data: bytes, close: bool) -> tuple[socket.socket, threading.Thread]:
        left, right = socket.socketpair()
        left.settimeout(5)

        def send() -> None:
            with right, contextlib.suppress(OSError):  # the reader may hang up early
                for byte in data:
                    right.sendall(bytes([byte]))
                    time.sleep(0.001)
                if not close:
                    time.sleep(0.3)

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        return left, thread

    def attempt(data: bytes, n: int, close: bool = True) -> bytes:
        sock, thread = dribble(data, close)
        try:
            return func(_GuardedSocket(sock), n)  # type: ignore[arg-type]
        finally:
            sock.close()
            thread.join(5)

    def body(c: Checker) -> None:
        c.expect("5 bytes sent one at a time", lambda: attempt(b"hello", 5), b"hello")
        c.expect("read 3 of 10 bytes", lambda: attempt(b"0123456789", 3), b"012")
        c.expect("n = 0", lambda: attempt(b"abc", 0), b"")
        c.expect_raises("peer closes after 2 of 4 bytes", lambda: attempt(b"ab", 4),
                        ConnectionError)

    return run_checks("read_exactly", body)


def check_extract_links(func: Callable[[str, str], list[str]]) -> Feedback:
    """Check ``func(html, base_url)`` on a page with awkward links."""
    page = """<html><body><A HREF="x.html">x</A> <a href='../up.html#s'>up</a>
<a href="/root.html">root</a> <a href="x.html">again</a> <a>none</a>
<a href="mailto:a@b.c">mail</a> <a href="javascript:void(0)">js</a>
<a href="https://other.example/p?q=1">other</a> <p>unclosed <b>tags</body></html>"""
    want = ["http://127.0.0.1:9/a/up.html", "http://127.0.0.1:9/a/b/x.html",
            "http://127.0.0.1:9/root.html", "https://other.example/p?q=1"]

    def body(c: Checker) -> None:
        c.expect("links made absolute, unique, without #fragments, sorted",
                 lambda: func(page, "http://127.0.0.1:9/a/b/index.html"), sorted(want))
        c.expect("a page without links", lambda: func("<p>no links</p>", "http://h/"), [])
        c.expect("a link urllib.parse cannot split (http://[broken) is skipped, not an error",
                 lambda: func('<a href="http://[broken">bad</a> <a href="ok.html">ok</a>',
                              "http://h/"), ["http://h/ok.html"])

    return run_checks("extract_links", body)
