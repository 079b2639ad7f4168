import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stdlib_book import commands, plotting, selfcheck, servers, source, timing

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("threaded", [True, False])
def test_serve_http_serves_and_shuts_down(tmp_path, threaded):
    (tmp_path / "a.txt").write_text("hello", encoding="utf-8")
    with servers.serve_http(directory=tmp_path, threaded=threaded) as url:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/a.txt", timeout=5) as response:
            assert response.read() == b"hello"
        port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_serve_http_rejects_missing_directory(tmp_path):
    with pytest.raises(NotADirectoryError, match="does not exist"), servers.serve_http(
        directory=tmp_path / "nope"
    ):
        pass


def test_timing_validates_arguments():
    with pytest.raises(ValueError):
        timing.speedup(0, 1)
    with pytest.raises(ValueError, match="parallel_fraction"):
        timing.amdahl_speedup(1.2, 2)
    with pytest.raises(ValueError, match="workers"):
        timing.amdahl_speedup(0.5, 0)


def test_best_time_runs_setup_before_every_call():
    calls = []
    timing.best_time(lambda: calls.append("run"), setup=lambda: calls.append("setup"), repeat=3)
    assert calls == ["setup", "run"] * 3


def test_cpus_used_counts_cpu_time_not_waiting():
    assert timing.cpus_used(lambda: time.sleep(0.05)) < 0.5  # waiting keeps no CPU busy
    assert timing.cpus_used(lambda: timing.spin(100_000)) > 0.5
    with pytest.raises(ValueError, match="repeat"):
        timing.cpus_used(lambda: None, repeat=0)


@pytest.mark.skipif(not getattr(sys, "_is_gil_enabled", lambda: True)(),
                    reason="a free-threaded build runs the threads at once")
def test_cpus_used_sees_threads_take_turns_under_the_gil():
    with ThreadPoolExecutor(2) as pool:
        used = timing.cpus_used(lambda: list(pool.map(timing.spin, [100_000] * 4)))
    assert used < 1.2


def test_line_plot_rejects_mismatched_series():
    with pytest.raises(ValueError, match="has 1 points"):
        plotting.line_plot([1, 2], {"a": [1]}, title="", xlabel="", ylabel="")


def test_show_source_renders_markdown_and_refuses_builtins():
    shown = source.show_source(timing.speedup)
    assert shown._repr_markdown_().startswith("```python\ndef speedup(")
    with pytest.raises(TypeError, match="no Python source"):
        source.show_source(len)


def test_feedback_reports_each_problem():
    checker = selfcheck.Checker("ex")
    checker.expect("a", lambda: 1, 1)
    checker.expect_raises("b", lambda: 1, ValueError)
    checker.expect_close("c", lambda: 0.1 + 0.2, 0.3)
    checker.expect("d", lambda: 1 / 0, 1)
    fb = checker.feedback()
    assert fb.checks == 4 and not fb.passed
    assert fb.problems == ["b: expected ValueError, but it returned 1",
                           "d: raised ZeroDivisionError: division by zero"]


def test_commands_run_reports_exit_code_and_streams():
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    ran = commands.python("-c", code)
    assert (ran.returncode, ran.stdout, ran.stderr) == (3, "out\n", "err\n")
    assert repr(ran).endswith("[exit code 3]")
    with pytest.raises(subprocess.TimeoutExpired):
        commands.python("-c", "import time; time.sleep(10)", timeout=0.5)


GUARDED = [sys.executable, "-c"]


def _guarded(code, tmp_path):
    log = tmp_path / "guard.log"
    env = {"PYTHONPATH": str(ROOT / "tests" / "netguard"), "NETGUARD_LOG": str(log)}
    return commands.run([*GUARDED, code], env=env), log


def test_netguard_refuses_non_loopback_and_logs_it(tmp_path):
    code = ("import socket\n"
            "s = socket.socket()\n"
            "try:\n    s.connect(('192.0.2.1', 9))\n"
            "except PermissionError as e:\n    print('refused:', e)\n"
            "finally:\n    s.close()\n")
    ran, log = _guarded(code, tmp_path)
    assert "refused: netguard" in ran.stdout
    assert "192.0.2.1" in log.read_text(encoding="utf-8")


def test_netguard_refuses_name_lookups(tmp_path):
    ran, log = _guarded("import socket; socket.getaddrinfo('example.org', 80)", tmp_path)
    assert ran.returncode != 0 and "PermissionError" in ran.stderr
    assert "example.org" in log.read_text(encoding="utf-8")


def test_netguard_allows_loopback(tmp_path):
    code = ("import socket\n"
            "srv = socket.create_server(('127.0.0.1', 0))\n"
            "c = socket.create_connection(srv.getsockname(), timeout=5)\n"
            "c.close(); srv.close(); print('loopback ok')\n")
    ran, log = _guarded(code, tmp_path)
    assert ran.stdout.strip() == "loopback ok" and not log.exists()


def test_serve_http_backlog_is_used_and_validated():
    import socket

    with servers.serve_http(backlog=300) as url:
        port = int(url.rsplit(":", 1)[1])
        clients = []
        try:
            for _ in range(50):  # more than the default backlog of 5, all connect at once
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                clients.append(s)
        finally:
            for s in clients:
                s.close()
    with pytest.raises(ValueError, match="backlog"), servers.serve_http(backlog=0):
        pass


def test_serve_http_waits_for_handler_threads_on_close():
    """A handler still running when the block ends is waited for, not raced
    (ThreadingHTTPServer's own server_close() does not wait for it)."""
    import http.server
    import threading
    import time

    finished = threading.Event()

    class Lingering(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            self.wfile.flush()
            time.sleep(1.5)  # still working after the client has its answer (and
            finished.set()   # longer than shutdown()'s 0.5 s polling interval)

        def log_message(self, *args):
            pass

    with servers.serve_http(Lingering) as url:
        with urllib.request.urlopen(url + "/", timeout=5) as response:
            assert response.read() == b"ok"
        assert not finished.is_set()
    assert finished.is_set(), "serve_http returned while a handler was still running"
    assert [t.name for t in threading.enumerate() if "handler" in t.name] == []


def test_joined_threads_wait_is_bounded():
    """A handler that never ends cannot hang server_close(): the wait has a limit."""
    import socketserver
    import threading
    import time

    release = threading.Event()

    class Stuck(socketserver.BaseRequestHandler):
        def handle(self):
            release.wait(10)

    class Server(servers.JoinedThreadsMixIn, socketserver.TCPServer):
        join_timeout = 0.3

    server = Server(("127.0.0.1", 0), Stuck)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    conn = socket.create_connection(server.server_address, timeout=5)
    time.sleep(0.2)
    server.shutdown()
    start = time.monotonic()
    server.server_close()
    waited = time.monotonic() - start
    release.set()
    conn.close()
    thread.join(5)
    assert 0.2 <= waited < 3


def test_serve_tcp_wait_is_bounded_in_total():
    """Four stuck connections cost join_timeout once, not four times."""
    import threading
    import time

    release = threading.Event()
    started = threading.Semaphore(0)

    def stuck(conn):
        started.release()
        release.wait(10)

    clients = []
    with servers.serve_tcp(stuck, name="stuck", join_timeout=0.5) as server:
        for _ in range(4):
            clients.append(socket.create_connection((server.host, server.port), timeout=5))
        for _ in range(4):
            assert started.acquire(timeout=5)
        start = time.monotonic()
    waited = time.monotonic() - start
    threads = list(server.threads)
    release.set()
    for c in clients:
        c.close()
    for t in threads:
        t.join(5)
    assert 0.4 <= waited < 1.5, waited
    assert not any(t.is_alive() for t in threads)


def test_commands_run_merges_env_unlike_subprocess_run():
    # subprocess.run(env=...) replaces the environment; commands.run adds to it
    ran = commands.python("-c", "import os; print(os.environ['BOOK_X'], 'PATH' in os.environ)",
                          env={"BOOK_X": "1"})
    assert ran.stdout.split() == ["1", "True"]


def test_commands_run_switches_colour_off(monkeypatch):
    # 3.14's argparse (and 3.13's tracebacks) colour output when FORCE_COLOR is set
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("PYTHON_COLORS", "1")
    probe = ("import os; print(os.environ.get('NO_COLOR'), os.environ.get('FORCE_COLOR'),"
             " os.environ.get('PYTHON_COLORS'))")
    assert commands.python("-c", probe).stdout.split() == ["1", "None", "None"]
    ran = commands.python("-c", "import argparse; argparse.ArgumentParser(prog='p').parse_args()",
                          "--bad")
    assert "\x1b[" not in ran.stderr and "usage: p" in ran.stderr
    wanted = commands.python("-c", probe, env={"FORCE_COLOR": "1"})
    assert wanted.stdout.split() == ["1", "1", "None"]


def test_cpus_available_follows_the_affinity_mask():
    if hasattr(os, "sched_getaffinity"):
        assert timing.cpus_available() == len(os.sched_getaffinity(0))
    else:
        assert timing.cpus_available() == (os.cpu_count() or 1)


def test_parallel_verdict_reads_the_same_on_one_cpu_and_many():
    line = "at least 1.3x given 2 CPUs, and by less on 1 CPU"
    fast, slow = (lambda: 1.8), (lambda: 1.0)
    on_two = timing.parallel_verdict(fast, workers=2, at_least=1.3, claim="c", cpus=2)
    on_one = timing.parallel_verdict(slow, workers=2, at_least=1.3, claim="c", cpus=1)
    assert on_two == on_one == f"yes: c by {line}"
    slow_on_two = timing.parallel_verdict(slow, workers=2, at_least=1.3, claim="c", cpus=2)
    assert slow_on_two.startswith("no")
    fast_on_one = timing.parallel_verdict(fast, workers=2, at_least=1.3, claim="c", cpus=1)
    assert fast_on_one.startswith("no")


def test_parallel_verdict_measures_again_before_answering_no():
    ratios = iter([1.0, 1.1, 1.7])
    assert timing.parallel_verdict(lambda: next(ratios), workers=2, at_least=1.3, claim="c",
                                   cpus=2, tries=3).startswith("yes")
    with pytest.raises(ValueError, match="workers"):
        timing.parallel_verdict(lambda: 2.0, workers=1, at_least=1.3, claim="c")



def test_best_times_takes_turns_and_keeps_each_minimum():
    from stdlib_book import timing

    calls = []
    fake = iter([0.0, 5.0, 5.0, 6.0, 6.0, 8.0, 8.0, 9.0])  # a: 5, b: 1, a: 2, b: 1
    original = timing.time.perf_counter
    timing.time.perf_counter = lambda: next(fake)
    try:
        best = timing.best_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                                 repeat=2)
    finally:
        timing.time.perf_counter = original
    assert calls == ["a", "b", "a", "b"]
    assert best == {"a": 2.0, "b": 1.0}


@pytest.mark.parametrize("repeat", [0, -1])
def test_best_times_rejects_no_repeats(repeat):
    from stdlib_book import timing

    with pytest.raises(ValueError, match="repeat"):
        timing.best_times({"a": lambda: None}, repeat=repeat)
