"""Chapter 3 helpers: threads, processes and asyncio, measured on this machine.

What lives here and why:

* a local HTTP server that waits a chosen delay before each answer, so that
  "downloading files" is I/O-bound in a controlled, offline way;
* the same downloads done sequentially, with :mod:`threading`, with a
  :class:`~concurrent.futures.ThreadPoolExecutor` and with asyncio streams;
* matrix multiplication in pure Python, split over processes: the work sent
  to another process must be importable by name, because the ``spawn`` and
  ``forkserver`` start methods cannot pickle a function defined in a notebook;
* a lost-update race and its fix, memory and time of many concurrent waits,
  and the exercise checks.
"""

from __future__ import annotations

import asyncio
import http.server
import multiprocessing
import operator
import os
import queue
import random
import sys
import threading
import time
import tracemalloc
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import psutil

from .selfcheck import Checker, Feedback, _NotAttempted, run_checks
from .servers import LOOPBACK as LOOPBACK_HOST
from .servers import serve_http

T = TypeVar("T")
Matrix = list[list[float]]

# -- a slow file server on loopback -------------------------------------------


def file_body(index: int, size: int) -> bytes:
    """The bytes the local server sends for file number ``index``.

    Deterministic, so a download can be checked byte for byte.

    >>> file_body(7, 20)
    b'file 7\\nfile 7\\nfile 7'
    """
    if index < 0 or size < 0:
        raise ValueError(f"index and size must be zero or more, got {index} and {size}")
    line = f"file {index}\n".encode()
    return (line * (size // len(line) + 1))[:size]


class DelayedFileHandler(http.server.BaseHTTPRequestHandler):
    """Answers ``GET /files/<n>`` after sleeping ``delay`` seconds.

    The sleep stands for the time a real server and network take: the client
    spends it waiting, not computing, which is what makes downloads I/O-bound.
    ``delay`` and ``size`` are class attributes; :func:`serve_files` makes a
    subclass with the values asked for.
    """

    delay = 0.1
    size = 1024
    protocol_version = "HTTP/1.0"  # one request per connection: simple clients

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        prefix = "/files/"
        name = self.path[len(prefix):] if self.path.startswith(prefix) else ""
        if not name.isdigit():
            self.send_error(404, "only /files/<number> exists here")
            return
        time.sleep(self.delay)
        body = file_body(int(name), self.size)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass  # no access log: it would put ports and times into notebook output


@contextmanager
def serve_files(delay: float = 0.1, *, size: int = 1024, backlog: int = 2048) -> Iterator[str]:
    """Serve ``/files/<n>`` on 127.0.0.1 (port 0) with ``delay`` seconds per
    request; yield the base URL. Built on :func:`stdlib_book.servers.serve_http`,
    so the server is shut down when the ``with`` block ends, even on error.

    Each request gets its own thread on the server side, so the server itself
    never serialises the waits; ``backlog`` lets many clients connect at once.

    >>> with serve_files(0.0, size=6) as url:
    ...     print(fetch(url + "/files/3"))
    b'file 3'
    """
    if delay < 0:
        raise ValueError(f"delay must be zero or more seconds, got {delay}")
    if size < 0:
        raise ValueError(f"size must be zero or more bytes, got {size}")
    handler = type("DelayedFiles", (DelayedFileHandler,), {"delay": delay, "size": size})
    with serve_http(handler, backlog=backlog) as url:
        yield url


@contextmanager
def serve_files_asyncio(
    delay: float = 0.1, *, size: int = 1024, backlog: int = 2048
) -> Iterator[str]:
    """The same ``/files/<n>`` service as :func:`serve_files`, written with
    :func:`asyncio.start_server`: one event loop (in a background thread)
    serves every connection, so a thousand clients cost a thousand small
    tasks instead of a thousand threads.

    Loopback, port 0, and shut down (server closed, loop stopped, thread
    joined) when the ``with`` block ends, even on error.

    >>> with serve_files_asyncio(0.0, size=6) as url:
    ...     print(fetch(url + "/files/4"))
    b'file 4'
    """
    if delay < 0:
        raise ValueError(f"delay must be zero or more seconds, got {delay}")
    if size < 0:
        raise ValueError(f"size must be zero or more bytes, got {size}")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await reader.readline()
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # skip the request headers
            fields = request_line.decode("latin-1").split()
            path = fields[1] if len(fields) > 1 else ""
            name = path[len("/files/"):] if path.startswith("/files/") else ""
            if name.isdigit():
                await asyncio.sleep(delay)
                body = file_body(int(name), size)
                head = f"HTTP/1.0 200 OK\r\nContent-Length: {len(body)}\r\n\r\n"
            else:
                body = b"only /files/<number> exists here\n"
                head = f"HTTP/1.0 404 Not Found\r\nContent-Length: {len(body)}\r\n\r\n"
            writer.write(head.encode("ascii") + body)
            await writer.drain()
        except ConnectionError:
            pass  # the client went away; nothing to answer
        finally:
            writer.close()

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        try:
            server = await asyncio.start_server(handle, LOOPBACK_HOST, 0, backlog=backlog)
        except BaseException as exc:
            state["error"] = exc
            ready.set()
            return
        state["port"] = server.sockets[0].getsockname()[1]
        state["stop"] = asyncio.Event()
        ready.set()
        async with server:
            await state["stop"].wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),),
                              name="serve_files_asyncio", daemon=True)
    thread.start()
    ready.wait()
    try:
        if "error" in state:
            raise state["error"]
        yield f"http://{LOOPBACK_HOST}:{state['port']}"
    finally:
        if "stop" in state:
            loop.call_soon_threadsafe(state["stop"].set)
        thread.join(timeout=10)
        loop.close()


def file_urls(base_url: str, count: int) -> list[str]:
    """``count`` URLs of distinct files on the server at ``base_url``.

    >>> file_urls("http://127.0.0.1:8000", 2)
    ['http://127.0.0.1:8000/files/0', 'http://127.0.0.1:8000/files/1']
    """
    if count < 0:
        raise ValueError(f"count must be zero or more, got {count}")
    return [f"{base_url}/files/{i}" for i in range(count)]


# -- downloads: sequential, threads, pool, asyncio -----------------------------


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
#: Characters a request target keeps as they are: RFC 3986's reserved ones and "%".
_TARGET_SAFE = "/?:@!$&'()*+,;=%~"


def request_target(url: str) -> str:
    """The path and query of ``url`` as they go on the HTTP request line.

    A request line must be ASCII (:mod:`http.client` raises
    ``UnicodeEncodeError`` otherwise), so every other character, and a
    space, is percent-encoded as UTF-8, as a browser does; reserved
    characters and existing ``%`` escapes are kept, and the fragment is
    dropped (it is never sent). :func:`fetch` and :func:`fetch_async` both
    send exactly this, so the two clients ask for the same resource.

    >>> request_target("http://h/caf\u00e9 au lait?q=\u00e9t\u00e9&x=1#top")
    '/caf%C3%A9%20au%20lait?q=%C3%A9t%C3%A9&x=1'
    """
    parts = urllib.parse.urlsplit(url)
    has_query = "?" in url.partition("#")[0]  # an empty query ("/a?") is kept too
    target = (parts.path or "/") + ("?" + parts.query if has_query else "")
    return urllib.parse.quote(target, safe=_TARGET_SAFE)


def fetch(url: str, *, timeout: float = 30) -> bytes:
    """Download ``url`` with :mod:`urllib.request`; raise on any status but 200.

    A ``timeout`` is always set: without one a stalled server blocks the
    caller (and a thread pool's worker) forever. Proxy settings from the
    environment are ignored: the book's servers are on this machine.
    """
    parts = urllib.parse.urlsplit(url)
    try:
        response = _NO_PROXY.open(f"{parts.scheme}://{parts.netloc}{request_target(url)}",
                                  timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection open; close it before raising our own error
        raise OSError(f"{url}: HTTP status {exc.code}") from None
    with response:
        if response.status != 200:
            raise OSError(f"{url}: HTTP status {response.status}")
        return response.read()


def download_sequential(urls: Sequence[str]) -> list[bytes]:
    """One download after another: the total time is the sum of the waits."""
    return [fetch(url) for url in urls]


def _check_workers(workers: int) -> None:
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")


def download_threads(urls: Sequence[str], workers: int) -> list[bytes]:
    """Download with ``workers`` plain :class:`threading.Thread` objects that
    take URLs from a :class:`queue.Queue`. Results keep the order of ``urls``;
    the first error in any thread is raised here, after every thread ended.
    """
    _check_workers(workers)
    todo: queue.Queue[tuple[int, str]] = queue.Queue()
    for item in enumerate(urls):
        todo.put(item)
    results: list[bytes | None] = [None] * len(urls)
    errors: list[BaseException] = []

    def worker() -> None:
        while True:
            try:
                index, url = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[index] = fetch(url)
            except Exception as exc:  # reported to the caller below
                errors.append(exc)

    threads = [threading.Thread(target=worker, name=f"download-{i}")
               for i in range(min(workers, max(1, len(urls))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


def download_pool(urls: Sequence[str], workers: int) -> list[bytes]:
    """The same with :class:`~concurrent.futures.ThreadPoolExecutor`: the pool
    does the queueing, ordering and error passing that :func:`download_threads`
    had to write by hand."""
    _check_workers(workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fetch, urls))


async def fetch_async(url: str, *, timeout: float = 30) -> bytes:
    """Download ``url`` with asyncio streams only (no third-party client).

    A minimal HTTP/1.0 client: one connection per request, status 200 or an
    error, the body read to the end. Enough for the local server; a real
    client (aiohttp, httpx) adds what is missing here, listed in chapter 3.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or not parts.netloc.isascii():
        raise ValueError(f"only http://host[:port]/path URLs with an ASCII host"
                         f" are supported, got {url!r}")
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        try:
            request = f"GET {request_target(url)} HTTP/1.0\r\nHost: {parts.netloc}\r\n\r\n"
            writer.write(request.encode("ascii"))
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    fields = status_line.split()
    if len(fields) < 2 or fields[1] != "200":
        raise OSError(f"{url}: {status_line or 'no response'}")
    return body


async def download_asyncio(urls: Sequence[str], *, limit: int | None = None) -> list[bytes]:
    """All downloads at once on one event loop, in the order of ``urls``.

    ``limit`` caps how many are in flight (a :class:`asyncio.Semaphore`); a
    polite client sets one, because an unlimited burst can overload a server.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1 or None, got {limit}")
    if limit is None:
        return list(await asyncio.gather(*(fetch_async(u) for u in urls)))
    gate = asyncio.Semaphore(limit)

    async def one(url: str) -> bytes:
        async with gate:
            return await fetch_async(url)

    return list(await asyncio.gather(*(one(u) for u in urls)))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion with :func:`asyncio.run` in a helper
    thread, and return its result.

    Why a thread: inside Jupyter an event loop is already running in the main
    thread, and ``asyncio.run`` refuses to start a second one there. In a
    plain script ``asyncio.run(coroutine)`` is all you need.

    >>> async def answer():
    ...     return 42
    >>> run_async(answer())
    42
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="run_async") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def time_call(func: Callable[[], object]) -> float:
    """Seconds taken by one call of ``func()`` (for waits, one run is enough:
    the delay dominates, and noise only adds to it)."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def thread_speedups(
    base_url: str, n_files: int, workers: Sequence[int], *, use_pool: bool = True
) -> dict[int, float]:
    """Speedup of threaded downloads over sequential ones, per worker count.

    Every run downloads the same ``n_files`` files and checks their bytes.
    """
    urls = file_urls(base_url, n_files)
    sequential = time_call(lambda: download_sequential(urls))
    download = download_pool if use_pool else download_threads
    return {w: sequential / time_call(lambda w=w: download(urls, w)) for w in workers}


def ideal_speedup(n_files: int, workers: int) -> int:
    """With every file taking the same wait, ``workers`` threads can overlap at
    most ``min(n_files, workers)`` waits.

    >>> ideal_speedup(16, 4), ideal_speedup(16, 32)
    (4, 16)
    """
    return min(n_files, workers)


# -- CPU-bound work: matrix multiplication in processes ------------------------


def random_matrix(rows: int, cols: int, *, seed: int = 0) -> Matrix:
    """A ``rows`` x ``cols`` matrix of small whole numbers stored as floats.

    Whole numbers keep every product and sum exact in floating point, so the
    pure-Python, process and NumPy results can be compared with ``==``.

    >>> random_matrix(2, 3, seed=1)
    [[-5.0, 9.0, -7.0], [-1.0, -6.0, 6.0]]
    """
    if rows < 0 or cols < 0:
        raise ValueError(f"rows and cols must be zero or more, got {rows} and {cols}")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    return [[float(rng.randint(-9, 9)) for _ in range(cols)] for _ in range(rows)]


def _check_shapes(a: Matrix, b: Matrix) -> None:
    inner = len(a[0]) if a else 0
    if any(len(row) != inner for row in a):
        raise ValueError("a is not rectangular: its rows differ in length")
    if len(b) != inner:
        raise ValueError(f"cannot multiply: a has {inner} columns but b has {len(b)} rows")
    if b and any(len(row) != len(b[0]) for row in b):
        raise ValueError("b is not rectangular: its rows differ in length")


def multiply_rows(rows: Matrix, b_columns: Sequence[Sequence[float]]) -> Matrix:
    """Rows of ``A @ B`` for the given rows of ``A`` and the columns of ``B``.

    Module-level on purpose: a process pool sends it to workers by name.
    Each entry is $c_{ij} = \\sum_k a_{ik} b_{kj}$.

    >>> multiply_rows([[1.0, 2.0]], [(3.0, 4.0), (5.0, 6.0)])
    [[11.0, 17.0]]
    """
    return [[sum(map(operator.mul, row, col)) for col in b_columns] for row in rows]


def _multiply_chunk(args: tuple[Matrix, list[tuple[float, ...]]]) -> Matrix:
    rows, b_columns = args
    return multiply_rows(rows, b_columns)


def matmul(a: Matrix, b: Matrix) -> Matrix:
    """``A @ B`` in pure Python, in this process: the sequential baseline.

    >>> matmul([[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]])
    [[19.0, 22.0], [43.0, 50.0]]
    """
    _check_shapes(a, b)
    return multiply_rows(a, list(zip(*b, strict=True)))


def row_chunks(n_rows: int, parts: int) -> list[tuple[int, int]]:
    """Split ``range(n_rows)`` into ``parts`` contiguous ``(start, stop)``
    pieces whose sizes differ by at most one (the remainder is spread, not
    dumped on the last piece). Empty pieces are dropped.

    >>> row_chunks(10, 4)
    [(0, 3), (3, 6), (6, 8), (8, 10)]
    >>> row_chunks(2, 4)
    [(0, 1), (1, 2)]
    """
    if n_rows < 0:
        raise ValueError(f"n_rows must be zero or more, got {n_rows}")
    if parts < 1:
        raise ValueError(f"parts must be at least 1, got {parts}")
    size, extra = divmod(n_rows, parts)
    chunks, start = [], 0
    for i in range(parts):
        stop = start + size + (1 if i < extra else 0)
        if stop > start:
            chunks.append((start, stop))
        start = stop
    return chunks


def matmul_processes(
    a: Matrix, b: Matrix, *, workers: int = 2, start_method: str | None = None
) -> Matrix:
    """``A @ B`` with the rows of ``A`` split over ``workers`` processes.

    Each worker *returns* its rows (the article's version wrote into an array
    that each child only had a private copy of). ``start_method`` is
    ``"fork"``, ``"spawn"`` or ``"forkserver"`` (default: the platform's).
    Starting the pool is part of the cost and is included, honestly, in any
    timing of this function.
    """
    _check_workers(workers)
    _check_shapes(a, b)
    b_columns = list(zip(*b, strict=True))
    tasks = [(a[start:stop], b_columns) for start, stop in row_chunks(len(a), workers)]
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = list(pool.map(_multiply_chunk, tasks))
    return [row for part in parts for row in part]


def quiet_stderr() -> None:
    """Pool initializer: send this worker's standard error to ``os.devnull``.

    For demonstrations that break a worker on purpose: the child's own
    traceback would otherwise be printed (and, in a notebook, stored).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker


def stop_process_helpers() -> list[str]:
    """Stop the helper processes that multiprocessing keeps for the rest of
    the program's life, and return the names of those that were running.

    The ``forkserver`` start method leaves its server process running, and
    ``spawn``/``forkserver`` (and dask's workers) start a *resource tracker*
    process; both normally end only when the program exits. A notebook kernel
    lives on, so the chapter stops them at the end to leave no processes
    behind. This uses the same private ``_stop`` methods as CPython's own
    test suite; on a Python without them it does nothing.
    """
    from multiprocessing import forkserver, resource_tracker

    stopped = []
    server = getattr(forkserver, "_forkserver", None)
    if server is not None and getattr(server, "_forkserver_pid", None) is not None:
        server._stop()
        stopped.append("forkserver")
    tracker = getattr(resource_tracker, "_resource_tracker", None)
    if tracker is not None and getattr(tracker, "_pid", None) is not None:
        tracker._stop()
        stopped.append("resource tracker")
    return stopped


def count_primes(limit: int) -> int:
    """How many primes are below ``limit``, by trial division: deliberately
    slow, pure-Python CPU work (module-level, so processes can run it).

    >>> count_primes(30)
    10
    """
    count = 0
    for n in range(2, limit):
        d = 2
        while d * d <= n:
            if n % d == 0:
                break
            d += 1
        else:
            count += 1
    return count


def busy_sum(n: int) -> int:
    """Sum of ``i * i % 7`` for ``i < n``: a CPU task whose cost grows with ``n``.

    >>> busy_sum(10)
    19
    """
    return sum(i * i % 7 for i in range(n))


def run_all(executor: Executor, func: Callable[[Any], T], items: Sequence[Any]) -> list[T]:
    """``func`` over ``items`` on any :class:`concurrent.futures.Executor`.

    This is the point of the Executor interface: the same function runs on
    threads, processes, subinterpreters (3.14) or a dask cluster
    (``Client.get_executor()``).
    """
    futures = [executor.submit(func, item) for item in items]
    return [f.result() for f in futures]



def executor_seconds(
    executor: Executor, func: Callable[[Any], T], items: Sequence[Any],
    *, warm_up: Sequence[Any] = (),
) -> tuple[list[T], float]:
    """Results of :func:`run_all` and the seconds it took.

    ``func`` runs over ``warm_up`` first, untimed: give it a few cheap inputs
    so that starting workers, and their importing this module, is not counted
    as the cost of the work.
    """
    run_all(executor, func, warm_up)
    start = time.perf_counter()
    results = run_all(executor, func, items)
    return results, time.perf_counter() - start


@contextmanager
def local_dask_client(workers: int = 2) -> Iterator[Any]:
    """A ``dask.distributed`` client on a cluster of this machine, loopback only.

    A scheduler and ``workers`` single-threaded worker processes, every one of
    them bound to ``127.0.0.1``; no dashboard is served, and the internal HTTP
    endpoint that each dask node opens for health checks is given no routes.
    Client, workers and scheduler are all closed when the ``with`` block ends,
    even if it fails. On a real cluster, ``Client("tcp://scheduler:8786")``
    replaces all of this.

    Its ``get_executor(pure=False)`` is a :class:`concurrent.futures.Executor`
    that runs every call; by default dask treats functions as pure and hands
    back a result it still holds for an identical call.
    """
    _check_workers(workers)
    import dask
    from dask.distributed import Client, LocalCluster

    no_http_routes = {"distributed.scheduler.http.routes": [],
                      "distributed.worker.http.routes": []}
    with (
        dask.config.set(no_http_routes),
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                     host=LOOPBACK_HOST, dashboard_address=None,
                     worker_dashboard_address=None,
                     scheduler_kwargs={"dashboard": False,
                                       "dashboard_address": f"{LOOPBACK_HOST}:0"})
        as cluster,
        Client(cluster) as client,
    ):
        yield client


# -- shared state: a lost update and its fix ------------------------------------


class Counter:
    """A counter whose ``increment`` reads, pauses, then writes: the pause
    (``time.sleep(0)``) lets another thread run between the read and the
    write, which is exactly where a race loses updates. With ``lock=True``
    the read-modify-write is done while holding a :class:`threading.Lock`.
    """

    def __init__(self, *, lock: bool) -> None:
        self.value = 0
        self._lock = threading.Lock() if lock else None

    def increment(self) -> None:
        if self._lock is None:
            current = self.value
            time.sleep(0)  # a thread switch can happen here...
            self.value = current + 1  # ...and this write undoes another's
        else:
            with self._lock:
                current = self.value
                time.sleep(0)
                self.value = current + 1


def hammer(counter: Any, *, threads: int = 4, increments: int = 500) -> int:
    """Call ``counter.increment()`` ``increments`` times in each of ``threads``
    threads started together; return the final ``counter.value``."""
    if threads < 1 or increments < 0:
        raise ValueError("threads must be at least 1 and increments zero or more")
    start = threading.Barrier(threads)

    def work() -> None:
        start.wait()
        for _ in range(increments):
            counter.increment()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return counter.value


def gil_status() -> str:
    """Which kind of interpreter this is, in one line.

    Free-threaded builds (PEP 703, ``python3.13t`` and later) can run Python
    threads on several cores at once; a normal build has the GIL.
    """
    import sysconfig

    built_free = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    if not built_free:
        return "standard build: the GIL is always on"
    return f"free-threaded build: the GIL is {'on' if enabled else 'off'} right now"


# -- many concurrent waits: threads against asyncio ------------------------------


@dataclass(frozen=True)
class WaitCost:
    """What ``n`` concurrent waits cost: wall time, and memory measured two ways."""

    n: int
    seconds: float
    rss_bytes: int  # growth of resident memory: stacks, thread states, objects
    traced_bytes: int  # Python allocations only (tracemalloc), no thread stacks


def _measure(start_waiters: Callable[[], Callable[[], None]], n: int) -> WaitCost:
    me = psutil.Process()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        rss_before = me.memory_info().rss
        traced_before = tracemalloc.get_traced_memory()[0]
        begin = time.perf_counter()
        finish = start_waiters()  # returns once all n are waiting
        rss = me.memory_info().rss - rss_before
        traced = tracemalloc.get_traced_memory()[0] - traced_before
        finish()
        seconds = time.perf_counter() - begin
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return WaitCost(n, seconds, max(rss, 0), max(traced, 0))


def wait_in_threads(n: int) -> WaitCost:
    """Start ``n`` threads that all wait on one event, measure, release them."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")

    def start() -> Callable[[], None]:
        # One semaphore to hear "I am waiting" and one lock per thread to let
        # it go: a shared Event or Barrier would wake 10,000 threads through
        # one condition variable, whose bookkeeping is quadratic in their number.
        ready = threading.Semaphore(0)
        gates = [threading.Lock() for _ in range(n)]

        def waiter(gate: threading.Lock) -> None:
            ready.release()
            gate.acquire()  # blocks: the main thread holds it

        threads = []
        for gate in gates:
            gate.acquire()
            # daemon: CPython 3.11 does O(number of threads) bookkeeping per
            # non-daemon thread start, which turns 10,000 starts quadratic
            threads.append(threading.Thread(target=waiter, args=(gate,), daemon=True))
        for t in threads:
            t.start()
        for _ in range(n):
            ready.acquire()

        def finish() -> None:
            # One at a time: releasing every gate first wakes 10,000 threads
            # that then queue for the GIL together (measured: ~8x slower).
            for gate, t in zip(gates, threads, strict=True):
                gate.release()
                t.join()

        return finish

    return _measure(start, n)


def wait_in_tasks(n: int) -> WaitCost:
    """Start ``n`` asyncio tasks that all wait on one event, measure, release
    them. The event loop runs in a helper thread (see :func:`run_async`)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    all_waiting = threading.Event()
    release = threading.Event()

    async def main() -> None:
        go = asyncio.Event()
        tasks = [asyncio.create_task(go.wait()) for _ in range(n)]
        await asyncio.sleep(0)  # every task runs up to its first wait
        all_waiting.set()
        await asyncio.to_thread(release.wait)
        go.set()
        await asyncio.gather(*tasks)

    def start() -> Callable[[], None]:
        runner = threading.Thread(target=asyncio.run, args=(main(),))
        runner.start()
        all_waiting.wait()

        def finish() -> None:
            release.set()
            runner.join()

        return finish

    return _measure(start, n)


# -- exercise checks -------------------------------------------------------------


def check_row_chunks(func: Callable[[int, int], list[tuple[int, int]]]) -> Feedback:
    """Check ``func(n_rows, parts)``: contiguous, covering, balanced pieces."""

    def body(c: Checker) -> None:
        c.expect("row_chunks(10, 4)", lambda: func(10, 4), [(0, 3), (3, 6), (6, 8), (8, 10)])
        c.expect("row_chunks(8, 2)", lambda: func(8, 2), [(0, 4), (4, 8)])
        c.expect("row_chunks(3, 5) (no empty pieces)", lambda: func(3, 5),
                 [(0, 1), (1, 2), (2, 3)])
        c.expect("row_chunks(0, 3)", lambda: func(0, 3), [])
        for n, p in [(101, 7), (1000, 3), (5, 1)]:
            def balanced(n: int = n, p: int = p) -> bool:
                pieces = func(n, p)
                sizes = [stop - start for start, stop in pieces]
                joined = [i for start, stop in pieces for i in range(start, stop)]
                return joined == list(range(n)) and max(sizes) - min(sizes) <= 1
            c.expect(f"row_chunks({n}, {p}) covers every row once, sizes within 1", balanced,
                     True)
        c.expect_raises("row_chunks(10, 0)", lambda: func(10, 0), ValueError)

    return run_checks("row_chunks", body)


def check_safe_counter(counter_class: Callable[[], Any]) -> Feedback:
    """Check a counter class with ``increment()`` and ``value``: no update may
    be lost when 4 threads increment it together, even though its increment
    pauses (``time.sleep(0)``) between reading and writing, as the exercise asks."""

    def body(c: Checker) -> None:
        c.expect("a new counter starts at 0", lambda: counter_class().value, 0)
        for trial in range(3):
            c.expect(f"4 threads x 1,000 increments (trial {trial + 1})",
                     lambda: hammer(counter_class(), threads=4, increments=1000), 4000)

    return run_checks("SafeCounter", body)


def check_gather_limited(
    func: Callable[[Sequence[Callable[[], Awaitable[Any]]], int], Awaitable[list[Any]]],
) -> Feedback:
    """Check ``await func(factories, limit)``: every coroutine factory called
    once, results in order, never more than ``limit`` running at once, and
    ``limit`` actually used (that many run together)."""

    def make(n: int) -> tuple[list[Callable[[], Awaitable[int]]], dict[str, int]]:
        state = {"active": 0, "peak": 0, "calls": 0}

        def factory(i: int) -> Callable[[], Awaitable[int]]:
            async def job() -> int:
                state["calls"] += 1
                state["active"] += 1
                state["peak"] = max(state["peak"], state["active"])
                await asyncio.sleep(0.01 * (1 + i % 3))
                state["active"] -= 1
                return i * i
            return job

        return [factory(i) for i in range(n)], state

    def run(n: int, limit: int) -> tuple[list[Any], dict[str, int]]:
        factories, state = make(n)
        return run_async(_awaitable_to_coroutine(func(factories, limit))), state

    def body(c: Checker) -> None:
        try:
            results, state = run(12, 3)
        except NotImplementedError:
            raise _NotAttempted from None
        except Exception as exc:  # the reader's bug, reported rather than raised
            c.fail(f"gather_limited(12 jobs, limit 3): raised {type(exc).__name__}: {exc}")
            return
        c.expect("results of 12 jobs with limit 3, in order", lambda: results,
                 [i * i for i in range(12)])
        c.expect("peak number running at once (limit 3)", lambda: state["peak"], 3)
        c.expect("each job started exactly once", lambda: state["calls"], 12)
        c.expect("5 jobs with limit 10: all run together", lambda: run(5, 10)[1]["peak"], 5)
        c.expect("results with limit 10", lambda: run(5, 10)[0], [0, 1, 4, 9, 16])
        c.expect("no jobs", lambda: run(0, 2)[0], [])
        c.expect_raises("limit 0", lambda: run(3, 0), ValueError)

    return run_checks("gather_limited", body)


async def _awaitable_to_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


def listening_ports(process: psutil.Process | None = None) -> list[tuple[str, int]]:
    """``(address, port)`` of every listening TCP socket of ``process`` and its
    children: used to check that a cluster listens on loopback only, and that
    nothing is left listening once it is closed."""
    process = process or psutil.Process(os.getpid())
    found = []
    for proc in [process, *process.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found += [(c.laddr.ip, c.laddr.port) for c in conns if c.status == psutil.CONN_LISTEN]
    return sorted(found)
