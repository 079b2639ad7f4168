import asyncio
import http.server
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from stdlib_book import concurrency as c
from stdlib_book.servers import serve_http

START_METHODS = ["fork", "spawn", "forkserver"]


@pytest.fixture(scope="module")
def server():
    with c.serve_files(0.0, size=300) as url:
        yield url


@pytest.fixture(scope="module")
def async_server():
    with c.serve_files_asyncio(0.0, size=300) as url:
        yield url


def expected(n):
    return [c.file_body(i, 300) for i in range(n)]


@pytest.mark.parametrize("serve", [c.serve_files, c.serve_files_asyncio])
def test_servers_answer_404_for_unknown_paths_and_close(serve):
    with serve(0.0) as url:
        with pytest.raises(OSError, match="HTTP status 404"):
            c.fetch(url + "/nothing")
        with pytest.raises(OSError, match="404"):
            c.run_async(c.fetch_async(url + "/files/x"))
        # fetch_async dropped the query and fetched /files/3 (200) where fetch got 404
        with pytest.raises(OSError, match="HTTP status 404"):
            c.fetch(url + "/files/3?x=1")
        with pytest.raises(OSError, match="404"):
            c.run_async(c.fetch_async(url + "/files/3?x=1"))
    with pytest.raises(OSError):
        c.fetch(url + "/files/1", timeout=2)  # the port is closed once the block ends


class EchoPath(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the request target it received."""

    def do_GET(self):
        body = self.path.encode("ascii")
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("tail, sent", [
    ("/files/3?x=1", "/files/3?x=1"),  # fetch_async sent /files/3
    ("/caf\u00e9 1?q=\u00e9t\u00e9&n=1", "/caf%C3%A9%201?q=%C3%A9t%C3%A9&n=1"),  # both raised
    ("/a%20b/?", "/a%20b/?"),
    ("", "/"),
    ("/page#part", "/page"),
])
def test_both_clients_send_the_same_request_target(tail, sent):
    with serve_http(EchoPath) as url:
        assert c.fetch(url + tail) == sent.encode()
        assert c.run_async(c.fetch_async(url + tail)) == sent.encode()


def test_fetch_async_refuses_a_host_that_is_not_ascii():
    with pytest.raises(ValueError, match="ASCII host"):
        c.run_async(c.fetch_async("http://caf\u00e9.invalid/"))


@pytest.mark.parametrize("serve", [c.serve_files, c.serve_files_asyncio])
@pytest.mark.parametrize("bad", [dict(delay=-1), dict(delay=0, size=-1)])
def test_servers_reject_bad_arguments(serve, bad):
    with pytest.raises(ValueError), serve(**bad):
        pass


@pytest.mark.parametrize("url_fixture", ["server", "async_server"])
def test_every_download_strategy_gets_every_byte_in_order(request, url_fixture):
    url = request.getfixturevalue(url_fixture)
    urls = c.file_urls(url, 9)
    want = expected(9)
    assert c.download_sequential(urls) == want
    assert c.download_threads(urls, 4) == want
    assert c.download_threads(urls, 20) == want
    assert c.download_pool(urls, 3) == want
    assert c.run_async(c.download_asyncio(urls)) == want
    assert c.run_async(c.download_asyncio(urls, limit=2)) == want


def test_download_errors_are_raised_not_swallowed(server):
    urls = c.file_urls(server, 3) + [server + "/missing"]
    with pytest.raises(OSError):
        c.download_threads(urls, 2)
    with pytest.raises(OSError):
        c.download_pool(urls, 2)
    with pytest.raises(OSError):
        c.run_async(c.download_asyncio(urls))


def test_bad_arguments_name_the_problem(server):
    with pytest.raises(ValueError, match="workers"):
        c.download_pool([], 0)
    with pytest.raises(ValueError, match="workers"):
        c.download_threads([], 0)
    with pytest.raises(ValueError, match="limit"):
        c.run_async(c.download_asyncio([], limit=0))
    with pytest.raises(ValueError, match="http"):
        c.run_async(c.fetch_async("ftp://127.0.0.1/x"))
    with pytest.raises(ValueError, match="count"):
        c.file_urls(server, -1)


def test_thread_speedups_reports_each_worker_count(server):
    got = c.thread_speedups(server, 4, [1, 2])
    assert sorted(got) == [1, 2] and all(v > 0 for v in got.values())


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 4, 2), (7, 5, 6), (0, 0, 0)])
def test_pure_python_matmul_matches_numpy(shape):
    m, n, p = shape
    a, b = c.random_matrix(m, n, seed=1), c.random_matrix(n, p, seed=2)
    got = c.matmul(a, b)
    if m:
        assert np.array_equal(np.array(got), np.array(a) @ np.array(b))
    else:
        assert got == []


@pytest.mark.parametrize("start_method", START_METHODS)
def test_matmul_processes_under_every_start_method(start_method):
    a, b = c.random_matrix(9, 6, seed=3), c.random_matrix(6, 5, seed=4)
    got = c.matmul_processes(a, b, workers=2, start_method=start_method)
    assert got == c.matmul(a, b)


@pytest.mark.parametrize("start_method", START_METHODS)
def test_run_all_on_a_process_pool_under_every_start_method(start_method):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        assert c.run_all(pool, c.count_primes, [10, 30, 100]) == [4, 10, 25]
        assert c.run_all(pool, c.busy_sum, [10, 0]) == [19, 0]


def test_matmul_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="columns"):
        c.matmul([[1.0, 2.0]], [[1.0]])
    with pytest.raises(ValueError, match="rectangular"):
        c.matmul([[1.0, 2.0], [1.0]], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="workers"):
        c.matmul_processes([[1.0]], [[1.0]], workers=0)


@pytest.mark.parametrize("n,parts", [(0, 1), (1, 4), (10, 3), (100, 7), (7, 7)])
def test_row_chunks_cover_every_row_once(n, parts):
    pieces = c.row_chunks(n, parts)
    rows = [i for start, stop in pieces for i in range(start, stop)]
    assert rows == list(range(n))
    sizes = [stop - start for start, stop in pieces]
    assert not sizes or max(sizes) - min(sizes) <= 1
    assert len(pieces) == min(n, parts)


def test_unlocked_counter_loses_updates_and_locked_one_does_not():
    # the unlocked counter yields the GIL between read and write on purpose
    assert c.hammer(c.Counter(lock=False), threads=4, increments=300) < 1200
    assert c.hammer(c.Counter(lock=True), threads=4, increments=300) == 1200


def test_gil_status_describes_this_build():
    text = c.gil_status()
    assert ("standard build" in text) or ("free-threaded" in text)


@pytest.mark.parametrize("measure", [c.wait_in_threads, c.wait_in_tasks])
def test_wait_measurements_leave_no_threads(measure):
    before = threading.active_count()
    cost = measure(50)
    assert cost.n == 50 and cost.seconds > 0 and cost.traced_bytes > 0
    assert threading.active_count() == before
    with pytest.raises(ValueError):
        measure(0)


def test_listening_ports_sees_a_server_and_then_not():
    with c.serve_files(0.0) as url:
        port = int(url.rsplit(":", 1)[1])
        assert ("127.0.0.1", port) in c.listening_ports()
    assert ("127.0.0.1", port) not in c.listening_ports()


# -- the exercise checks pass right answers and fail wrong ones ----------------


def test_check_row_chunks():
    assert c.check_row_chunks(c.row_chunks).passed

    def article_split(n, parts):  # remainder dumped on the last piece
        step = n // parts
        return [(i * step, (i + 1) * step if i != parts - 1 else n) for i in range(parts)]

    assert not c.check_row_chunks(article_split).passed


class LockedCounter:
    def __init__(self):
        self.value = 0
        self._lock = threading.Lock()

    def increment(self):
        with self._lock:
            value = self.value
            time.sleep(0)
            self.value = value + 1


class RacyCounter:
    def __init__(self):
        self.value = 0

    def increment(self):
        value = self.value
        time.sleep(0)
        self.value = value + 1


def test_check_safe_counter():
    assert c.check_safe_counter(LockedCounter).passed
    feedback = c.check_safe_counter(RacyCounter)
    assert not feedback.passed, feedback


async def gather_limited_right(factories, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    gate = asyncio.Semaphore(limit)

    async def one(factory):
        async with gate:
            return await factory()

    return await asyncio.gather(*(one(f) for f in factories))


async def gather_unlimited(factories, limit):
    return await asyncio.gather(*(f() for f in factories))


async def gather_one_by_one(factories, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return [await f() for f in factories]


def test_check_gather_limited():
    assert c.check_gather_limited(gather_limited_right).passed
    assert not c.check_gather_limited(gather_unlimited).passed
    assert not c.check_gather_limited(gather_one_by_one).passed


def test_checks_report_not_attempted():
    def stub(*args):
        raise NotImplementedError

    assert not c.check_row_chunks(stub).attempted
    assert not c.check_safe_counter(stub).attempted
    assert not c.check_gather_limited(stub).attempted


def test_quiet_stderr_worker_still_works():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=c.quiet_stderr) as pool:
        assert pool.submit(c.busy_sum, 10).result() == 19


def test_stop_process_helpers_leaves_no_children():
    import psutil

    a, b = c.random_matrix(4, 3, seed=1), c.random_matrix(3, 2, seed=2)
    for method in START_METHODS:
        c.matmul_processes(a, b, workers=2, start_method=method)
    stopped = c.stop_process_helpers()
    assert "forkserver" in stopped
    assert psutil.Process().children(recursive=True) == []
    assert c.stop_process_helpers() == []  # nothing left to stop
    assert c.matmul_processes(a, b, workers=2, start_method="forkserver") == c.matmul(a, b)
    c.stop_process_helpers()


def _children():
    import psutil

    return {p.pid for p in psutil.Process().children(recursive=True)}


def _resource_tracker_pid():
    from multiprocessing import resource_tracker

    return getattr(resource_tracker._resource_tracker, "_pid", None)


def test_local_dask_client_runs_executor_code_on_loopback_and_closes_everything():
    ports_before, children_before = set(c.listening_ports()), _children()
    with c.local_dask_client(workers=2) as client:
        opened = set(c.listening_ports()) - ports_before
        workers = _children() - children_before - {_resource_tracker_pid()}
        results, seconds = c.executor_seconds(client.get_executor(pure=False), c.busy_sum,
                                                [10, 0, 7], warm_up=[1])
    assert results == [19, 0, c.busy_sum(7)]
    assert seconds > 0
    assert opened, "the scheduler and workers listen on some port"
    assert {ip for ip, _ in opened} == {"127.0.0.1"}
    assert len(workers) >= 2, "two worker processes (and their nannies) ran"
    assert set(c.listening_ports()) <= ports_before
    assert not (workers & _children()), "worker processes are left after the block"


def test_local_dask_client_closes_when_the_block_fails():
    ports_before, children_before = set(c.listening_ports()), _children()
    with pytest.raises(ZeroDivisionError), c.local_dask_client(workers=1) as client:
        client.submit(divmod, 1, 0).result()
    assert set(c.listening_ports()) <= ports_before
    assert _children() - children_before <= {_resource_tracker_pid()}


def test_local_dask_client_rejects_zero_workers():
    with pytest.raises(ValueError, match="at least 1"), c.local_dask_client(workers=0):
        pass


def test_executor_seconds_warms_up_then_times_the_whole_list():
    calls = []

    def record(x):
        calls.append(x)
        return x * 2

    with ThreadPoolExecutor(1) as pool:
        results, seconds = c.executor_seconds(pool, record, [1, 2, 3], warm_up=[9])
    assert results == [2, 4, 6]
    assert calls == [9, 1, 2, 3]
    assert seconds >= 0
