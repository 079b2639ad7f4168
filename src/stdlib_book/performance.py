"""Chapter 10 helpers: measure first (timeit, cProfile, tracemalloc), then
cache with functools.lru_cache and queue with collections.deque.

The slow functions here are slow on purpose and deterministic, so that a
profile always points at the same hot spot and every cache statistic is the
same on every run.
"""

from __future__ import annotations

import cProfile
import functools
import io
import math
import pstats
import random
import time
import tracemalloc
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

from .selfcheck import Checker, Feedback, run_checks

# -- Fibonacci, with and without a cache -----------------------------------------


def fib(n: int) -> int:
    """The ``n``-th Fibonacci number by plain recursion: 2*fib(n+1) - 1
    calls (see :func:`fib_calls`), so exponential time.

    >>> [fib(i) for i in range(10)]
    [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    """
    if n < 0:
        raise ValueError(f"n must be zero or more, got {n}")
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@functools.cache
def fib_cached(n: int) -> int:
    """The same recursion with every result cached: ``n + 1`` distinct calls.

    The cache removes repeated work, not depth: from an empty cache the first
    call still nests about ``n`` calls, so a large ``n`` (5,000) raises
    :class:`RecursionError`; call it for 0, 1, 2, ... first to stay shallow.

    >>> fib_cached(90)
    2880067194370816120
    """
    if n < 0:
        raise ValueError(f"n must be zero or more, got {n}")
    return n if n < 2 else fib_cached(n - 1) + fib_cached(n - 2)


def fib_calls(n: int) -> int:
    """How many calls ``fib(n)`` makes: $2F(n+1) - 1$.

    >>> fib_calls(10), fib_calls(30)
    (177, 2692537)
    """
    a, b = 0, 1
    for _ in range(n + 1):
        a, b = b, a + b
    return 2 * a - 1


# -- a realistic slow function to profile ----------------------------------------

_WORD_LINE = (
    "time person year way day thing man world life hand part child eye woman place "
    "work week case point government company number group problem fact"
)
WORDS = _WORD_LINE.split()


def make_text(n_words: int, *, seed: int = 0) -> str:
    """``n_words`` words drawn with a skewed (Zipf-like) frequency, plus
    numbered rare words, as in real text. Seeded: the same text every run.

    >>> make_text(5, seed=1)
    'person rare555 rare267 day rare6'
    """
    if n_words < 0:
        raise ValueError(f"n_words must be zero or more, got {n_words}")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    vocabulary = WORDS + [f"rare{i}" for i in range(2000)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    return " ".join(rng.choices(vocabulary, weights, k=n_words))


def top_words_slow(text: str, k: int = 3) -> list[tuple[str, int]]:
    """The ``k`` most frequent words, written the way slow code often is:
    a list of distinct words, and ``list.count`` for each of them, which
    scans the whole text once per distinct word.

    >>> top_words_slow("b a b c b a", 2)
    [('b', 3), ('a', 2)]
    """
    words = _tokens(text)
    distinct = _distinct(words)
    counts = [(w, words.count(w)) for w in distinct]
    return sorted(counts, key=lambda wc: (-wc[1], wc[0]))[:k]


def _tokens(text: str) -> list[str]:
    return text.lower().split()


def _distinct(words: list[str]) -> list[str]:
    seen: list[str] = []
    for w in words:
        if w not in seen:  # a list: another scan per word
            seen.append(w)
    return seen


def top_words(text: str, k: int = 3) -> list[tuple[str, int]]:
    """The same answer in one pass with :class:`collections.Counter`.

    >>> top_words("b a b c b a", 2)
    [('b', 3), ('a', 2)]
    """
    counts = Counter(_tokens(text))
    return sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:k]


def profile_rows(func: Callable[..., Any], *args: Any, top: int = 5) -> list[tuple[str, int]]:
    """Run ``func(*args)`` under :mod:`cProfile` and return the ``top``
    functions by *own* time (``tottime``) as ``(name, call count)``.

    Names and call counts are the same on every run; the times are not,
    which is why they are left out here and shown separately.
    """
    profiler = cProfile.Profile()
    profiler.runcall(func, *args)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, _line, name), (_cc, ncalls, tottime, _ct, _callers) in stats.stats.items():
        label = name if filename != "~" else name.strip("<>")
        rows.append((tottime, label, ncalls))
    rows.sort(key=lambda r: -r[0])
    return [(label, ncalls) for _t, label, ncalls in rows[:top]]


def profile_report(func: Callable[..., Any], *args: Any, top: int = 5) -> str:
    """The usual ``pstats`` table (sorted by own time) for ``func(*args)``."""
    profiler = cProfile.Profile()
    profiler.runcall(func, *args)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


# -- an expensive lookup worth caching -------------------------------------------


def make_depots(count: int = 1500, *, seed: int = 1) -> list[tuple[str, float, float]]:
    """``count`` depots as ``(name, latitude, longitude)``, seeded."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    return [(f"depot-{i:04d}", rng.uniform(50, 59), rng.uniform(-6, 2)) for i in range(count)]


DEPOTS = make_depots()


def postcode_location(postcode: int) -> tuple[float, float]:
    """A made-up but stable location for a numbered postcode."""
    rng = random.Random(postcode)  # noqa: S311 - deterministic stand-in for a geocoder
    return rng.uniform(50, 59), rng.uniform(-6, 2)


def nearest_depot(postcode: int) -> str:
    """The depot nearest to ``postcode`` by great-circle distance: a linear
    scan over every depot, the kind of lookup that is worth caching because
    the same postcodes come back again and again.

    >>> nearest_depot(12345)
    'depot-0233'
    """
    lat, lon = map(math.radians, postcode_location(postcode))

    def distance(depot: tuple[str, float, float]) -> float:
        dlat, dlon = math.radians(depot[1]), math.radians(depot[2])
        cos_angle = (math.sin(lat) * math.sin(dlat)
                     + math.cos(lat) * math.cos(dlat) * math.cos(lon - dlon))
        return math.acos(max(-1.0, min(1.0, cos_angle)))

    return min(DEPOTS, key=distance)[0]


def zipf_requests(n: int, *, universe: int = 5000, s: float = 1.1, seed: int = 2) -> list[int]:
    """``n`` postcodes requested with a Zipf law of exponent ``s``: a few are
    very popular, most are rare, which is how real request streams look.

    >>> zipf_requests(5, universe=10)
    [9, 9, 1, 1, 6]
    """
    if n < 0 or universe < 1:
        raise ValueError("n must be zero or more and universe at least 1")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    keys = list(range(1, universe + 1))
    weights = [1 / k**s for k in keys]
    return rng.choices(keys, weights, k=n)


def hit_rate(requests: Iterable[int], maxsize: int | None) -> float:
    """The fraction of ``requests`` an ``lru_cache(maxsize)`` would answer from
    the cache. A stand-in function is cached, so this costs no real lookups:
    the hit rate depends only on the request stream and ``maxsize``.

    >>> hit_rate([1, 2, 1, 3, 1, 2], maxsize=None)
    0.5
    >>> hit_rate([1, 2, 1, 3, 1, 2], maxsize=1)
    0.0
    """
    cached = functools.lru_cache(maxsize=maxsize)(lambda key: key)
    for key in requests:
        cached(key)
    info = cached.cache_info()
    total = info.hits + info.misses
    return info.hits / total if total else 0.0


def traced_bytes(build: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes of Python memory still held after ``build()`` returns (measured
    by :mod:`tracemalloc`), and what it returned (kept alive while measuring).
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        value = build()
        return tracemalloc.get_traced_memory()[0] - before, value
    finally:
        if not was_tracing:
            tracemalloc.stop()


def cache_bytes_per_entry(entries: int) -> float:
    """Memory per entry of an unbounded ``lru_cache`` holding ``entries``
    results (int keys, small tuple values), measured with tracemalloc."""
    cached = functools.lru_cache(maxsize=None)(lambda key: (key, key + 1))

    def fill() -> Any:
        for key in range(entries):
            cached(key)
        return cached

    used, _ = traced_bytes(fill)
    cached.cache_clear()
    return used / entries


# -- deque against list -------------------------------------------------------------


def front_ops_seconds(kind: str, size: int, ops: int = 1000) -> float:
    """Seconds per push-and-pop at the *front* of a container holding ``size``
    items: ``appendleft``/``popleft`` for ``"deque"``, ``insert(0)``/``pop(0)``
    for ``"list"``. Best of three rounds of ``ops`` pairs.
    """
    if kind == "deque":
        box: Any = deque(range(size))
        push, pop = box.appendleft, box.popleft
    elif kind == "list":
        box = list(range(size))
        push, pop = functools.partial(box.insert, 0), functools.partial(box.pop, 0)
    else:
        raise ValueError(f"kind must be 'deque' or 'list', got {kind!r}")
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        for i in range(ops):
            push(i)
            pop()
        best = min(best, time.perf_counter() - start)
    return best / ops


def moving_average(values: Iterable[float], window: int) -> list[float]:
    """Mean of each full window of ``window`` consecutive values, in one pass:
    a ``deque(maxlen=window)`` drops the oldest value by itself, and a running
    total is corrected by what falls out.

    The running total is a :class:`fractions.Fraction`, exact for every float
    and int, so subtracting what falls out cancels nothing and each mean is
    the correctly rounded mean of its window. A float total would be the
    cancellation trap of chapter 1: ``1e16 + 1.0`` rounds the 1.0 away, and
    every later window would be off by it. An exact total needs finite
    numbers: NaN and infinity have no exact value and are refused by name
    (a float total would instead turn every later mean into NaN).

    >>> moving_average([1, 2, 3, 4, 5], 2)
    [1.5, 2.5, 3.5, 4.5]
    >>> moving_average([1e16, 1.0, 1.0, 1.0], 2)
    [5000000000000000.0, 1.0, 1.0]
    >>> moving_average([1.0, float("nan")], 2)
    Traceback (most recent call last):
    ...
    ValueError: value 1 is nan: moving_average needs finite numbers
    """
    if isinstance(window, bool) or not isinstance(window, int):
        raise TypeError(f"window must be an int, got {window!r}")
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    recent: deque[float] = deque(maxlen=window)
    total = Fraction(0)
    out = []
    for position, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"value {position} is {value!r}: moving_average needs numbers")
        if not math.isfinite(value):
            raise ValueError(f"value {position} is {value!r}: moving_average needs finite numbers")
        if len(recent) == window:
            total -= Fraction(recent[0])
        recent.append(value)
        total += Fraction(value)
        if len(recent) == window:
            out.append(float(total / window))
    return out


# -- exercise checks -------------------------------------------------------------------


def _sliding_max_reference(values: Sequence[float], k: int) -> list[float]:
    return [max(values[i:i + k]) for i in range(len(values) - k + 1)]


def check_sliding_max(func: Callable[[Sequence[float], int], list[float]]) -> Feedback:
    """Check ``func(values, k)``: the maximum of every window of ``k`` values,
    for any input, and ``ValueError`` for ``k < 1``."""

    def body(c: Checker) -> None:
        c.expect("sliding_max([1, 3, -1, -3, 5, 3, 6, 7], 3)",
                 lambda: list(func([1, 3, -1, -3, 5, 3, 6, 7], 3)), [3, 3, 5, 5, 6, 7])
        c.expect("sliding_max([4, 2, 12, 3], 1)", lambda: list(func([4, 2, 12, 3], 1)),
                 [4, 2, 12, 3])
        c.expect("sliding_max([5, 4, 3, 2, 1], 5)", lambda: list(func([5, 4, 3, 2, 1], 5)), [5])
        c.expect("sliding_max([1, 2], 3) (window longer than the data)",
                 lambda: list(func([1, 2], 3)), [])
        rng = random.Random(7)  # noqa: S311
        for trial in range(3):
            values = [rng.randint(-50, 50) for _ in range(200)]
            k = rng.randint(1, 30)
            c.expect(f"random data, trial {trial + 1} (k={k})",
                     lambda v=values, k=k: list(func(v, k)), _sliding_max_reference(values, k))
        c.expect_raises("sliding_max([1, 2], 0)", lambda: func([1, 2], 0), ValueError)

    return run_checks("sliding_max", body)


def _rate_limit_reference(times: Sequence[float], limit: int, window: float) -> list[bool]:
    accepted: list[float] = []
    out = []
    for t in times:
        recent = [a for a in accepted if a > t - window]
        ok = len(recent) < limit
        if ok:
            accepted.append(t)
        out.append(ok)
    return out


def check_rate_limiter(func: Callable[[Sequence[float], int, float], list[bool]]) -> Feedback:
    """Check ``func(times, limit, window)``: for each request time (ascending),
    accept it if fewer than ``limit`` *accepted* requests lie in the last
    ``window`` seconds, that is in ``(t - window, t]``."""

    def body(c: Checker) -> None:
        c.expect("rate_limit([0, 1, 2, 3], 2, 10)", lambda: list(func([0, 1, 2, 3], 2, 10)),
                 [True, True, False, False])
        c.expect("rate_limit([0, 1, 10, 11], 2, 10) (old ones leave the window)",
                 lambda: list(func([0, 1, 10, 11], 2, 10)), [True, True, True, True])
        c.expect("rate_limit([0, 0.5, 1, 1.2], 1, 1)",
                 lambda: list(func([0, 0.5, 1, 1.2], 1, 1)), [True, False, True, False])
        c.expect("rate_limit([], 3, 1)", lambda: list(func([], 3, 1)), [])
        rng = random.Random(3)  # noqa: S311
        times = sorted(round(rng.uniform(0, 100), 2) for _ in range(300))
        c.expect("300 random requests, limit 5 per 4 s", lambda: list(func(times, 5, 4)),
                 _rate_limit_reference(times, 5, 4))
        c.expect_raises("rate_limit([1], 0, 1)", lambda: func([1], 0, 1), ValueError)

    return run_checks("rate_limit", body)


def _hot_inner(n: int) -> int:
    total = i = 0
    while i < n:  # all of the work happens in this function's own frame
        total += i * i
        i += 1
    return total


def _calls_hot(n: int) -> int:
    total = 0
    for _ in range(n):
        total += _hot_inner(2000)
    return total


def check_hottest_function(func: Callable[..., str]) -> Feedback:
    """Check ``func(target, *args)``: the name of the function that spends the
    most time *itself* (own time, not including callees) when ``target(*args)``
    runs, as cProfile reports it."""

    def body(c: Checker) -> None:
        # 8,000 words: list.count's own time is about 4x _distinct's, so the pauses
        # of a busy machine (cProfile's clock is the wall clock) cannot swap them.
        c.expect("hottest_function(top_words_slow, text)",
                 lambda: func(top_words_slow, make_text(8000, seed=4)),
                 "<method 'count' of 'list' objects>")
        c.expect("hottest_function(_calls_hot, 100) (own time, not cumulative)",
                 lambda: func(_calls_hot, 100), "_hot_inner")
        c.expect("hottest_function(fib, 18)", lambda: func(fib, 18), "fib")

    return run_checks("hottest_function", body)
