"""`make bench`: measure the speed goals of chapter 3 against their targets.

Not part of `make test`: these are wall-clock measurements, and a busy machine
can miss them. Each line prints the measured figure, the goal and PASS/FAIL;
the exit code is 1 if any goal failed. The load average is printed first,
because on a shared machine it explains most failures.

    python tools/bench.py            # all goals
    python tools/bench.py threads    # only some: threads, processes, asyncio
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from stdlib_book import concurrency as cc

GOALS = ("threads", "processes", "asyncio")


def report(name: str, measured: str, goal: str, passed: bool) -> bool:
    print(f"{'PASS' if passed else 'FAIL'}  {name}: {measured}  (goal: {goal})", flush=True)
    return passed


def bench_threads() -> bool:
    """16 files, 100 ms server delay, 16 workers: at least 80% of the ideal 16x."""
    with cc.serve_files(delay=0.1) as base:
        urls = cc.file_urls(base, 16)
        want = [cc.file_body(i, 1024) for i in range(16)]
        sequential = min(cc.time_call(lambda: cc.download_sequential(urls)) for _ in range(2))
        threaded = min(cc.time_call(lambda: cc.download_pool(urls, 16)) for _ in range(3))
        assert cc.download_pool(urls, 16) == want
    speedup = sequential / threaded
    ideal = cc.ideal_speedup(16, 16)
    return report("threads, 16 files x 100 ms, 16 workers",
                  f"{speedup:.2f}x = {speedup / ideal:.0%} of the ideal {ideal}x",
                  ">= 80% of ideal", speedup >= 0.8 * ideal)


def bench_processes() -> bool:
    """Pure-Python matrix product on 2 processes: at least 1.6x for large matrices."""
    ok = True
    for n in (200, 300):
        a, b = cc.random_matrix(n, n, seed=1), cc.random_matrix(n, n, seed=2)
        want = cc.matmul(a, b)
        sequential = min(cc.time_call(lambda a=a, b=b: cc.matmul(a, b)) for _ in range(2))
        parallel = min(cc.time_call(lambda a=a, b=b: cc.matmul_processes(a, b, workers=2))
                       for _ in range(2))
        assert cc.matmul_processes(a, b, workers=2) == want
        speedup = sequential / parallel
        if n == 300:  # the goal is for "large enough" matrices: the largest size
            ok = report(f"processes, {n}x{n} matrix product, 2 workers (fork, pool start included)",
                        f"{speedup:.2f}x", ">= 1.6x", speedup >= 1.6)
        else:
            print(f"info  processes, {n}x{n}: {speedup:.2f}x", flush=True)
    return ok


def bench_asyncio() -> bool:
    """1,000 concurrent requests complete in under 3 times one request's delay."""
    ok = True
    for delay, judged in ((0.1, False), (0.5, True)):
        with cc.serve_files_asyncio(delay=delay) as base:
            urls = cc.file_urls(base, 1000)
            start = time.perf_counter()
            bodies = asyncio.run(cc.download_asyncio(urls))
            elapsed = time.perf_counter() - start
        assert bodies == [cc.file_body(i, 1024) for i in range(1000)]
        ratio = elapsed / delay
        text = f"{elapsed:.2f} s = {ratio:.1f}x the delay"
        name = f"asyncio, 1,000 concurrent requests, {delay * 1000:.0f} ms delay"
        if judged:
            ok = report(name, text, "< 3x the delay", ratio < 3)
        else:
            print(f"info  {name}: {text}", flush=True)
    return ok


def main(argv: list[str]) -> int:
    chosen = argv or list(GOALS)
    unknown = [g for g in chosen if g not in GOALS]
    if unknown:
        print(f"bench.py: unknown goal(s) {unknown}; choose from {list(GOALS)}", file=sys.stderr)
        return 2
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"cores: {os.cpu_count()}, load average (1, 5, 15 min): {load}", flush=True)
    results = [globals()[f"bench_{g}"]() for g in chosen]
    print(f"{sum(results)} of {len(results)} goals met", flush=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
