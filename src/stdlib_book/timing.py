"""Timing that survives a busy two-core machine.

A single timing is noise. These helpers take the *minimum* of several runs (the
run least disturbed by everything else on the machine: noise only ever adds
time), and report *ratios* and *verdicts*, which are stable from run to run,
instead of raw seconds, which are not.
"""

from __future__ import annotations

import time
from collections.abc import Callable


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
