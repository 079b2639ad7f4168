import weakref
from collections import deque
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdlib_book import performance as p


def test_fib_and_cached_fib_agree_and_count_calls():
    assert [p.fib(i) for i in range(20)] == [p.fib_cached(i) for i in range(20)]
    calls = 0

    def counted(n):
        nonlocal calls
        calls += 1
        return n if n < 2 else counted(n - 1) + counted(n - 2)

    counted(15)
    assert calls == p.fib_calls(15)
    with pytest.raises(ValueError, match="n must"):
        p.fib(-1)


def test_slow_and_fast_top_words_agree():
    text = p.make_text(3000, seed=9)
    assert p.top_words_slow(text, 5) == p.top_words(text, 5)
    assert p.make_text(50, seed=3) == p.make_text(50, seed=3)


def test_profile_finds_the_hot_spot():
    rows = p.profile_rows(p.top_words_slow, p.make_text(3000, seed=4))
    assert rows[0][0] == "method 'count' of 'list' objects"
    assert "tottime" in p.profile_report(p.fib, 12)


def test_hit_rate_grows_with_maxsize_and_caps_at_unbounded():
    requests = p.zipf_requests(5000, universe=1000)
    rates = [p.hit_rate(requests, m) for m in (8, 64, 512, None)]
    assert rates == sorted(rates)
    assert p.hit_rate([], 4) == 0.0


def test_cache_memory_is_positive():
    assert 20 < p.cache_bytes_per_entry(2000) < 2000


@pytest.mark.parametrize("kind", ["list", "deque"])
def test_front_ops_time_is_positive(kind):
    assert p.front_ops_seconds(kind, 100, ops=10) > 0


def test_front_ops_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        p.front_ops_seconds("array", 10)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-100, 100), max_size=60), st.integers(1, 10))
def test_moving_average_matches_brute_force(values, window):
    want = [sum(values[i:i + window]) / window for i in range(len(values) - window + 1)]
    assert p.moving_average(values, window) == pytest.approx(want)


@pytest.mark.parametrize("bad, error", [(float("nan"), ValueError), (float("-inf"), ValueError),
                                        ("2", TypeError), (None, TypeError), (True, TypeError)])
def test_moving_average_names_a_bad_value(bad, error):
    with pytest.raises(error, match=r"value 1 is "):
        p.moving_average([1.0, bad, 3.0], 2)


def test_moving_average_rejects_empty_window():
    with pytest.raises(ValueError, match="window"):
        p.moving_average([1], 0)


def test_nearest_depot_is_deterministic():
    assert p.nearest_depot(42) == p.nearest_depot(42)
    assert p.nearest_depot.__name__ == "nearest_depot"


def test_lru_cache_on_a_method_keeps_the_instance_alive():
    import functools
    import gc

    class Book:
        @functools.cache  # noqa: B019 - the leak is what this test shows
        def price(self, sku):
            return len(sku)

    book = Book()
    book.price("abc")
    ref = weakref.ref(book)
    del book
    gc.collect()
    assert ref() is not None  # held by the cache
    Book.price.cache_clear()
    gc.collect()
    assert ref() is None


# -- exercise checks pass right answers and fail wrong ones -------------------


def sliding_max_right(values, k):
    if k < 1:
        raise ValueError("k must be at least 1")
    out, window = [], deque()
    for i, v in enumerate(values):
        while window and values[window[-1]] <= v:
            window.pop()
        window.append(i)
        if window[0] <= i - k:
            window.popleft()
        if i >= k - 1:
            out.append(values[window[0]])
    return out


def sliding_max_off_by_one(values, k):
    if k < 1:
        raise ValueError("k must be at least 1")
    return [max(values[i:i + k]) for i in range(len(values) - k)]


def test_check_sliding_max():
    assert p.check_sliding_max(sliding_max_right).passed
    assert not p.check_sliding_max(sliding_max_off_by_one).passed


def rate_limit_right(times, limit, window):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    accepted, out = deque(), []
    for t in times:
        while accepted and accepted[0] <= t - window:
            accepted.popleft()
        ok = len(accepted) < limit
        if ok:
            accepted.append(t)
        out.append(ok)
    return out


def rate_limit_counts_rejected_too(times, limit, window):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    seen, out = deque(), []
    for t in times:
        while seen and seen[0] <= t - window:
            seen.popleft()
        out.append(len(seen) < limit)
        seen.append(t)
    return out


def test_check_rate_limiter():
    assert p.check_rate_limiter(rate_limit_right).passed
    assert not p.check_rate_limiter(rate_limit_counts_rejected_too).passed


def hottest_right(target, *args):
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(target, *args)
    stats = pstats.Stats(profiler).stats
    return max(stats.items(), key=lambda kv: kv[1][2])[0][2]


def hottest_cumulative(target, *args):
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(target, *args)
    stats = pstats.Stats(profiler).stats
    return max(stats.items(), key=lambda kv: kv[1][3])[0][2]


def test_check_hottest_function():
    assert p.check_hottest_function(hottest_right).passed
    assert not p.check_hottest_function(hottest_cumulative).passed


def test_checks_report_not_attempted():
    def stub(*args):
        raise NotImplementedError

    for check in (p.check_sliding_max, p.check_rate_limiter, p.check_hottest_function):
        assert not check(stub).attempted


def test_moving_average_does_not_cancel_after_a_huge_value():
    # a running float total rounds 1e16 + 1.0 to 1e16 and gives [5e15, 0.5, 0.5]
    assert p.moving_average([1e16, 1.0, 1.0, 1.0], 2) == [5000000000000000.0, 1.0, 1.0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=-1e300, max_value=1e300), min_size=1, max_size=40),
       st.integers(min_value=1, max_value=8))
def test_moving_average_is_the_correctly_rounded_mean_of_each_window(values, window):
    want = [float(sum(map(Fraction, values[i:i + window])) / window)
            for i in range(len(values) - window + 1)]
    assert p.moving_average(values, window) == want


def test_moving_average_rejects_a_non_integer_window():
    with pytest.raises(TypeError, match="window must be an int"):
        p.moving_average([1.0, 2.0], 1.5)
