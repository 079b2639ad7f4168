"""Local servers for examples and tests: loopback only, port 0, always shut down.

Why port 0: the operating system picks a free port, so two notebooks, two test
runs or a reader's own Jupyter server never collide on a hard-coded number.
Why 127.0.0.1: nothing outside this machine can reach the server, and nothing
in the book depends on a network that a reader (or CI) may not have.
"""

from __future__ import annotations

import functools
import http.server
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static-file handler that does not write an access log to stderr.

    The default handler logs every request, which would put timestamps and
    ports (different on every run) into a notebook's stored output.
    """

    timeout = 10  # seconds a client may stay silent before its connection is dropped

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


class JoinedThreadsMixIn(socketserver.ThreadingMixIn):
    """A threading server whose ``server_close()`` waits for its handler threads.

    ``ThreadingHTTPServer`` and ``ThreadingTCPServer`` with ``daemon_threads``
    start every handler as a daemon thread and never wait for it, so a
    request can still be running after the server is "closed" (and a check
    that nothing is left running races it). Here the handler threads stay
    daemons (a stuck one cannot keep the interpreter alive), but each is
    recorded and ``server_close()`` joins them all, waiting at most
    ``join_timeout`` seconds in total. Handlers in this book have socket
    timeouts, so the wait is bounded by them.
    """

    daemon_threads = True
    join_timeout = 10.0

    def process_request(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        threads = getattr(self, "_handler_threads", None)
        if threads is None:
            threads = self._handler_threads = []
        threads[:] = [t for t in threads if t.is_alive()]
        thread = threading.Thread(target=self.process_request_thread,
                                  args=(request, client_address),
                                  name=f"{type(self).__name__} handler", daemon=True)
        threads.append(thread)
        thread.start()

    def server_close(self) -> None:
        super().server_close()
        deadline = time.monotonic() + self.join_timeout
        for thread in getattr(self, "_handler_threads", []):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


class JoinedThreadingHTTPServer(JoinedThreadsMixIn, http.server.HTTPServer):
    """:class:`http.server.ThreadingHTTPServer` whose close waits for its handlers."""


@contextmanager
def serve_http(
    handler: type[http.server.BaseHTTPRequestHandler] = QuietHandler,
    *,
    directory: str | Path | None = None,
    threaded: bool = True,
    backlog: int | None = None,
) -> Iterator[str]:
    """Run an HTTP server on 127.0.0.1 and a free port; yield its base URL.

    The server runs in a background thread and is shut down, its socket closed
    and its threads joined (the serving thread and every request's handler
    thread) when the ``with`` block ends, even on an exception.

    ``directory`` is passed to handlers that accept it (the static-file
    handlers do). The threaded server is :class:`JoinedThreadingHTTPServer`,
    a ``ThreadingHTTPServer`` that waits for its handler threads on close;
    ``threaded=False`` gives the single-threaded
    :class:`http.server.HTTPServer`, which handles one request at a time.

    ``backlog`` sets how many connections may wait to be accepted (the
    ``listen()`` queue). The standard library's default is 5, which is fine
    for a few clients; a thousand clients connecting at once overflow it, and
    the kernel then drops their first attempt and retries a second or more
    later. Pass a larger number when an example opens many connections at once.

    >>> import urllib.request, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = pathlib.Path(tmp, "hello.txt").write_text("hi", encoding="utf-8")
    ...     with serve_http(directory=tmp) as url:
    ...         with urllib.request.urlopen(url + "/hello.txt", timeout=5) as response:
    ...             print(response.status, response.read())
    200 b'hi'
    """
    if directory is not None:
        if not Path(directory).is_dir():
            raise NotADirectoryError(f"directory to serve does not exist: {directory}")
        handler = functools.partial(handler, directory=str(directory))  # type: ignore[assignment]
    server_class = JoinedThreadingHTTPServer if threaded else http.server.HTTPServer
    if backlog is not None:
        if backlog < 1:
            raise ValueError(f"backlog must be at least 1, got {backlog}")
        server_class = type(server_class.__name__, (server_class,),
                            {"request_queue_size": backlog})
    server = server_class((LOOPBACK, 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="serve_http", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class TCPServer:
    """What :func:`serve_tcp` yields: the address, a flag set when the server
    is stopping (for handlers that loop), and the connection threads."""

    host: str
    port: int
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    threads: list[threading.Thread] = field(default_factory=list, repr=False)


@contextmanager
def serve_tcp(
    handle: Callable[[socket.socket], None], *, name: str = "serve_tcp", join_timeout: float = 10.0
) -> Iterator[TCPServer]:
    """Accept TCP connections on 127.0.0.1 and a free port; yield a :class:`TCPServer`.

    Each connection is passed to ``handle(conn)`` in a thread of its own and
    closed when ``handle`` returns or raises; one bad client cannot stop the
    server. Leaving the block sets ``stopping``, closes the listening socket
    and joins the accept thread and every connection thread, waiting at most
    ``join_timeout`` seconds for all of them together (handlers should have
    socket timeouts shorter than that, so nothing is left running).

    >>> def shout(conn):
    ...     conn.sendall(conn.recv(100).upper())
    >>> with serve_tcp(shout) as server:
    ...     with socket.create_connection((server.host, server.port), timeout=5) as client:
    ...         client.sendall(b"hi")
    ...         print(client.recv(100))
    b'HI'
    """
    listener = socket.create_server((LOOPBACK, 0))
    listener.settimeout(0.05)  # so the accept loop notices `stopping` promptly
    server = TCPServer(*listener.getsockname()[:2])

    def serve_one(conn: socket.socket) -> None:
        with conn:
            handle(conn)

    def accept_loop() -> None:
        while not server.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=serve_one, args=(conn,), name=name, daemon=True)
            thread.start()
            server.threads.append(thread)

    acceptor = threading.Thread(target=accept_loop, name=name, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        server.stopping.set()
        acceptor.join(timeout=5)
        listener.close()
        deadline = time.monotonic() + join_timeout
        for thread in server.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
