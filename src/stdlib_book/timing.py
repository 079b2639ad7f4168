"""Timing that survives a busy two-core machine.

A single timing is noise. These helpers take the *minimum* of several runs (the
run least disturbed by everything else on the machine: noise only ever adds
time), and report *ratios* and *verdicts*, which are stable from run to run,
instead of raw seconds, which are not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Executor


def best_time(
    func: Callable[[], object],
    *,
    repeat: int = 5,
    setup: Callable[[], object] | None = None,
) -> float:
    """Return the fastest of ``repeat`` timed calls of ``func()``, in seconds.

    ``setup`` (untimed) runs before every call: use it to recreate state that
    the timed call consumes, such as a directory that the call deletes.

    >>> best_time(lambda: sum(range(100)), repeat=3) > 0
    True
    >>> best_time(lambda: None, repeat=0)
    Traceback (most recent call last):
    ...
    ValueError: repeat must be at least 1, got 0
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    best = float("inf")
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best



def best_times(funcs: dict[str, Callable[[], object]], *, repeat: int = 5) -> dict[str, float]:
    """The fastest of ``repeat`` calls of each function, taken in turns.

    The functions are called one after the other, ``repeat`` rounds of them,
    so that a burst of load from other programs falls on all of them alike
    rather than on whichever happened to be timed at that moment: use it to
    compare two ways of doing the same job on a busy machine.

    >>> sorted(best_times({"a": lambda: None, "b": lambda: sum(range(99))}, repeat=2))
    ['a', 'b']
    >>> best_times({}, repeat=1)
    Traceback (most recent call last):
    ...
    ValueError: funcs must name at least one function
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    if not funcs:
        raise ValueError("funcs must name at least one function")
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def cpus_used(func: Callable[[], object], *, repeat: int = 3) -> float:
    """How many CPUs this process kept busy, on average, while ``func()`` ran:
    the CPU time of all its threads (not of child processes) divided by the
    wall-clock time, the highest of ``repeat`` calls.

    Unlike a speedup this does not depend on a quiet machine: threads that
    take turns under the GIL stay at about 1 however busy the machine is
    (other programs can only lower it), and only threads that really compute
    at the same time, given free CPUs, go above it.

    >>> 0 < cpus_used(lambda: sum(range(200_000))) < 1.2
    True
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    most = 0.0
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        func()
        wall = time.perf_counter() - wall
        most = max(most, (time.process_time() - cpu) / wall)
    return most


def speedup(baseline_seconds: float, seconds: float) -> float:
    """How many times faster ``seconds`` is than ``baseline_seconds``.

    >>> speedup(2.0, 0.5)
    4.0
    """
    if baseline_seconds <= 0 or seconds <= 0:
        raise ValueError("timings must be positive")
    return baseline_seconds / seconds


def amdahl_speedup(parallel_fraction: float, workers: int) -> float:
    """Amdahl's law: the best speedup when ``parallel_fraction`` of the work
    is spread perfectly over ``workers`` and the rest stays serial.

    >>> amdahl_speedup(1.0, 4)
    4.0
    >>> round(amdahl_speedup(0.9, 2), 3)
    1.818
    >>> round(amdahl_speedup(0.9, 10**9), 3)  # the serial 10% caps it at 10x
    10.0
    """
    if not 0.0 <= parallel_fraction <= 1.0:
        raise ValueError(f"parallel_fraction must be between 0 and 1, got {parallel_fraction}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    return 1.0 / ((1.0 - parallel_fraction) + parallel_fraction / workers)


def verdict(ratio: float, *, at_least: float, claim: str) -> str:
    """A one-line, run-to-run stable statement about a measured ratio.

    Choose ``at_least`` with a wide margin from what you measure, so that a
    noisy machine cannot flip the verdict.

    >>> verdict(1.9, at_least=1.3, claim="processes speed up hashing")
    'yes: processes speed up hashing (at least 1.3x)'
    >>> verdict(1.1, at_least=1.3, claim="threads speed up copying")
    'no: threads speed up copying (less than 1.3x)'
    """
    if ratio >= at_least:
        return f"yes: {claim} (at least {at_least}x)"
    return f"no: {claim} (less than {at_least}x)"


def cpus_available() -> int:
    """The number of CPUs this process may run on: its affinity mask where the
    system has one (``taskset -c 0`` shows up here;
    a container's CPU quota, as on Binder, does not),
    else :func:`os.cpu_count`. A parallel speedup is bounded by this, not by
    the machine's core count.

    >>> cpus_available() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parallel_verdict(
    measure: Callable[[], float],
    *,
    workers: int,
    at_least: float,
    claim: str,
    cpus: int | None = None,
    tries: int = 3,
) -> str:
    """A verdict on a parallel speedup that reads the same on one CPU as on
    many, because it is checked against the CPUs this process may use.

    ``measure()`` measures the speedup of ``workers`` workers over one. With
    at least two usable CPUs the claim is that it reaches ``at_least``; with
    one CPU, that it does not (workers can only take turns). A busy machine
    only lowers a measured speedup, so the parallel case is measured up to
    ``tries`` times and the best counts; the one-CPU case counts the lowest.
    The printed sentence names both cases and never the CPU count, so the
    same line is true, and compared, everywhere.

    >>> parallel_verdict(lambda: 1.9, workers=2, at_least=1.3, claim="2 processes hash faster",
    ...                  cpus=2)
    'yes: 2 processes hash faster by at least 1.3x given 2 CPUs, and by less on 1 CPU'
    >>> parallel_verdict(lambda: 1.0, workers=2, at_least=1.3, claim="2 processes hash faster",
    ...                  cpus=1)
    'yes: 2 processes hash faster by at least 1.3x given 2 CPUs, and by less on 1 CPU'
    >>> parallel_verdict(lambda: 1.0, workers=2, at_least=1.3, claim="2 processes hash faster",
    ...                  cpus=4)
    'no: 2 processes hash faster by at least 1.3x given 2 CPUs, and by less on 1 CPU'
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 2:
        raise ValueError(f"workers must be an int of at least 2, got {workers!r}")
    if tries < 1:
        raise ValueError(f"tries must be at least 1, got {tries}")
    cpus = cpus_available() if cpus is None else cpus
    if cpus < 1:
        raise ValueError(f"cpus must be at least 1, got {cpus}")
    parallel = cpus >= 2
    ok = False
    for _ in range(tries):
        ratio = measure()
        ok = ratio >= at_least if parallel else ratio < at_least
        if ok:
            break
    answer = "yes" if ok else "no"
    return (f"{answer}: {claim} by at least {at_least}x given {min(workers, 2)} CPUs, "
            "and by less on 1 CPU")


def spin(n: int) -> int:
    """Pure-Python arithmetic that holds the GIL from start to end: the
    reference for CPU-bound work. Module-level, so that a worker process
    started by ``spawn`` or ``forkserver`` can import it.

    >>> spin(4)
    7
    """
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def cpu_capacity(pool: Executor, workers: int, *, n: int = 300_000, repeat: int = 3) -> float:
    """How many times faster the process ``pool`` computes ``workers`` equal
    pieces of pure arithmetic than this process computes them one after the
    other: the parallel speed the machine gives *right now*. About ``workers``
    on idle CPUs, about 1 on one CPU, and in between when other programs keep
    CPUs busy (about 1.3 for two workers on two CPUs with one of them taken).

    The two timings are taken in turns, ``repeat`` rounds, and the best of
    each counts, so that a burst of load falls on both alike.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    pieces = [n] * workers
    list(pool.map(spin, pieces))  # start the workers before any clock runs
    one, many = float("inf"), float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for piece in pieces:
            spin(piece)
        one = min(one, time.perf_counter() - start)
        start = time.perf_counter()
        list(pool.map(spin, pieces))
        many = min(many, time.perf_counter() - start)
    return one / many


def scaling_verdict(
    measure: Callable[[], tuple[float, float]],
    *,
    claim: str,
    share: float = 0.75,
    tries: int = 3,
) -> str:
    """A verdict on a parallel speedup that holds on one CPU, on many, and on
    a busy machine, because it is judged against what the CPUs free at that
    moment allow rather than against the CPU count.

    ``measure()`` returns ``(speedup, capacity)``: the speedup of the work
    under test, and :func:`cpu_capacity` measured around it. The claim is that
    the work gets at least ``share`` of the capacity: work that scales like
    pure computation passes (1.8x of 1.95x on two idle CPUs, 1.0x of 1.0x on
    one), work serialised by a lock fails wherever there is more than one CPU
    free. Load that changes between the two readings is met by measuring
    again, up to ``tries`` times, before answering "no".

    >>> scaling_verdict(lambda: (1.8, 1.95), claim="2 threads hash")
    'yes: 2 threads hash at least 75% as well as pure computation does on the CPUs free now'
    >>> scaling_verdict(lambda: (1.0, 1.0), claim="2 threads hash")
    'yes: 2 threads hash at least 75% as well as pure computation does on the CPUs free now'
    >>> scaling_verdict(lambda: (1.0, 1.95), claim="2 threads hash")
    'no: 2 threads hash at least 75% as well as pure computation does on the CPUs free now'
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    if tries < 1:
        raise ValueError(f"tries must be at least 1, got {tries}")
    ok = False
    for _ in range(tries):
        ratio, capacity = measure()
        ok = ratio >= share * capacity
        if ok:
            break
    answer = "yes" if ok else "no"
    return (f"{answer}: {claim} at least {share:.0%} as well as pure computation does "
            "on the CPUs free now")
