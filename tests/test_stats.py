import math
import statistics
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdlib_book import stats

floats = st.floats(-1e6, 1e6, allow_nan=False)
samples = st.lists(floats, min_size=2, max_size=60)


@pytest.mark.parametrize("bad, error, message", [
    ([], ValueError, "data is empty"),
    ([1, "2"], TypeError, r"data\[1\] is '2' \(str\)"),
    ([1, None], TypeError, r"data\[1\] is None"),
    ([1, True], TypeError, r"data\[1\] is True \(bool\)"),
    ([1.0, math.nan], ValueError, r"data\[1\] is nan"),
    ([Decimal("Infinity")], ValueError, "NaN and infinity"),
    ("123", TypeError, "not a str"),
    ([Decimal("sNaN"), 1], ValueError, r"data\[0\] is Decimal\('sNaN'\)"),  # isfinite raised
    ([1, 10**400], ValueError, r"data\[1\] is larger than any float"),  # was OverflowError
    ([Fraction(10**400, 3)], ValueError, "larger than any float"),
    ([Decimal("1.5"), 2, 2.5], TypeError, r"mixes Decimal with float \(data\[2\]\)"),
])
def test_numbers_names_the_bad_value(bad, error, message):
    with pytest.raises(error, match=message):
        stats.numbers(bad)


def test_numbers_needs_enough_values():
    with pytest.raises(ValueError, match="has 1 value"):
        stats.numbers([1], at_least=2)


@settings(max_examples=200, deadline=None)
@given(samples)
def test_textbook_formulas_agree_with_statistics(xs):
    assert math.isclose(stats.textbook_mean(xs), statistics.fmean(xs), rel_tol=1e-9, abs_tol=1e-6)
    assert stats.textbook_median(xs) == statistics.median(xs)
    assert math.isclose(stats.textbook_population_stdev(xs), statistics.pstdev(xs),
                        rel_tol=1e-7, abs_tol=1e-6)
    assert math.isclose(stats.textbook_sample_stdev(xs), statistics.stdev(xs),
                        rel_tol=1e-7, abs_tol=1e-6)


def test_summarize_keeps_fractions_exact_and_labels_both_variances():
    s = stats.summarize([Fraction(1, 2), Fraction(3, 4), Fraction(5, 6), Fraction(7, 8)])
    assert s.mean == Fraction(71, 96)
    assert s.sample_variance == Fraction(65, 2304)
    assert s.population_variance == Fraction(65, 3072)
    assert s.sample_stdev > s.population_stdev
    assert "sample_stdev" in s.table()


def test_summarize_rejects_a_single_value():
    with pytest.raises(ValueError, match="need at least 2"):
        stats.summarize([3])


def test_correlation_and_fit_line_check_their_input():
    with pytest.raises(ValueError, match="same length"):
        stats.correlation([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="constant"):
        stats.correlation([1, 1, 1], [1, 2, 3])
    with pytest.raises(ValueError, match="x is constant"):
        stats.fit_line([2, 2], [1, 3])
    with pytest.raises(TypeError, match=r"y\[0\]"):
        stats.fit_line([1, 2], ["a", 3])


@settings(max_examples=200, deadline=None)
@given(st.lists(floats, min_size=1, max_size=80), st.integers(0, 80))
def test_running_stats_agree_with_statistics_and_merge(xs, cut):
    whole = stats.RunningStats()
    whole.extend(xs)
    assert math.isclose(whole.mean, statistics.fmean(xs), rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(whole.pvariance, statistics.pvariance(xs), rel_tol=1e-7, abs_tol=1e-4)
    a, b = stats.RunningStats(), stats.RunningStats()
    a.extend(xs[:cut])
    b.extend(xs[cut:])
    merged = a.merge(b)
    assert merged.n == len(xs)
    assert math.isclose(merged.mean, whole.mean, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(merged.m2, whole.m2, rel_tol=1e-7, abs_tol=1e-4)


def test_running_stats_stays_accurate_where_the_naive_formula_fails():
    xs = [1e9 + d for d in (4.0, 7.0, 13.0, 16.0)] * 250
    true = statistics.variance(xs)  # exact arithmetic inside: 30.03...
    r = stats.RunningStats()
    r.extend(xs)
    assert math.isclose(r.variance, true, rel_tol=1e-9)
    assert not math.isclose(stats.naive_variance(xs), true, rel_tol=1e-2)


def test_running_stats_errors():
    r = stats.RunningStats()
    with pytest.raises(ValueError, match="at least 2"):
        r.variance  # noqa: B018
    with pytest.raises(ValueError, match="at least 1"):
        r.pvariance  # noqa: B018
    with pytest.raises(TypeError, match="value #0 is 'x'"):
        r.add("x")
    with pytest.raises(ValueError, match="value #0 is inf: NaN and infinity"):
        r.add(math.inf)
    assert stats.RunningStats().merge(stats.RunningStats()).n == 0
    with pytest.raises(ValueError):
        stats.naive_variance([1.0])


def test_running_stats_names_a_value_beyond_the_float_range():
    # was a bare "OverflowError: int too large to convert to float" from math.isfinite
    with pytest.raises(ValueError, match="value #0 is larger than any float"):
        stats.RunningStats().add(10**400)
    r = stats.RunningStats()
    with pytest.raises(ValueError, match="value #1 is larger than any float"):
        r.extend([1, -Fraction(10**400, 3)])
    assert (r.n, r.mean) == (1, 1.0)
    with pytest.raises(ValueError, match="value #0 is larger than any float"):
        stats.chunk_summary([10**400])
    with pytest.raises(ValueError, match="mean is larger than any float"):
        stats.RunningStats(2, 10**400, 0.0)  # a summary from another process


def test_chunk_summary_matches_running_stats():
    n, mean, m2 = stats.chunk_summary([1.0, 2.0, 3.0])
    assert (n, mean, m2) == (3, 2.0, 2.0)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 4), st.integers(0, 1000))
def test_multiple_regression_matches_numpy(p, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, p))
    y = X @ rng.normal(size=p) + 2.0 + rng.normal(scale=0.1, size=30)
    ours = stats.multiple_regression(X.tolist(), y.tolist())
    design = np.column_stack([np.ones(30), X])
    theirs, *_ = np.linalg.lstsq(design, y, rcond=None)
    assert np.allclose(ours, theirs, rtol=1e-8, atol=1e-8)
    exact = stats.multiple_regression(X.tolist(), y.tolist(), exact=True)
    assert np.allclose(exact, theirs, rtol=1e-8, atol=1e-8)


def test_multiple_regression_with_one_predictor_is_linear_regression():
    x = [1.0, 2.0, 4.0, 5.0, 7.0]
    y = [2.1, 3.9, 8.2, 9.8, 14.1]
    intercept, slope = stats.fit_line(x, y)
    b0, b1 = stats.multiple_regression([[v] for v in x], y)
    assert math.isclose(b0, intercept) and math.isclose(b1, slope)


def test_multiple_regression_errors():
    with pytest.raises(ValueError, match="collinear"):
        stats.multiple_regression([[1, 2], [2, 4], [3, 6], [4, 8]], [1, 2, 3, 4])
    with pytest.raises(ValueError, match="collinear"):
        stats.multiple_regression([[1, 2], [2, 4], [3, 6], [4, 8]], [1, 2, 3, 4], exact=True)
    with pytest.raises(ValueError, match="more rows than coefficients"):
        stats.multiple_regression([[1, 2], [3, 4]], [1, 2])
    with pytest.raises(ValueError, match=r"rows\[1\] has 1"):
        stats.multiple_regression([[1, 2], [3], [5, 6]], [1, 2, 3])
    with pytest.raises(TypeError, match=r"rows\[1\]\[0\]"):
        stats.multiple_regression([[1], ["x"], [3]], [1, 2, 3])
    with pytest.raises(ValueError, match="same length"):
        stats.multiple_regression([[1], [2]], [1, 2, 3])


def test_solve_rejects_non_square_input():
    with pytest.raises(ValueError, match="square"):
        stats.solve([[1, 2]], [1])


def test_bootstrap_ci_is_reproducible_and_covers_the_mean():
    data = [float(x) for x in range(1, 41)]
    a = stats.bootstrap_ci(data, seed=3)
    assert a == stats.bootstrap_ci(data, seed=3)
    assert a[0] < statistics.fmean(data) < a[1]
    wider = stats.bootstrap_ci(data, confidence=0.99, seed=3)
    assert wider[0] <= a[0] and wider[1] >= a[1]
    med = stats.bootstrap_ci(data, statistics.median, seed=3)
    assert med[0] < 20.5 < med[1]


@pytest.mark.parametrize("kwargs, message", [
    (dict(confidence=1.5), "confidence"), (dict(resamples=10), "resamples")])
def test_bootstrap_ci_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stats.bootstrap_ci([1.0, 2.0, 3.0], **kwargs)


def test_monte_carlo_pi():
    assert abs(stats.monte_carlo_pi(20_000, seed=1) - math.pi) < 0.05
    assert stats.monte_carlo_pi(500, seed=2) == stats.monte_carlo_pi(500, seed=2)
    with pytest.raises(ValueError, match="n must be"):
        stats.monte_carlo_pi(0)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-10**6, max_value=10**6, places=4))
def test_to_cents_rounds_half_up_to_whole_cents(amount):
    cents = stats.to_cents(amount)
    assert cents == cents.quantize(stats.CENT)
    assert abs(cents - amount) <= Decimal("0.005")


@pytest.mark.parametrize("amount, error, message", [
    ("NaN", ValueError, "written like 12.50"),  # Decimal("NaN") used to come back as NaN
    ("Infinity", ValueError, "written like"),
    (" 1.5 ", ValueError, "written like"),
    ("\u0661\u0662", ValueError, "written like"),  # Arabic-Indic 12: Decimal() reads it
    ("12,50", ValueError, "written like"),  # was decimal.InvalidOperation
    ("1e5", ValueError, "written like"),
    ("1" * 27, ValueError, "more digits than 28-digit"),  # quantize raised InvalidOperation
    (Decimal("sNaN"), ValueError, "finite number"),
    (Decimal("1e40"), ValueError, "more digits"),
    (True, TypeError, "not bool"),
    (Fraction(1, 2), TypeError, "not Fraction"),
])
def test_to_cents_refuses_what_is_not_an_amount(amount, error, message):
    with pytest.raises(error, match=message):
        stats.to_cents(amount)


def test_to_cents_accepts_plain_amounts():
    assert stats.to_cents("+3") == Decimal("3.00")
    assert stats.to_cents("-0.005") == Decimal("-0.01")
    assert stats.to_cents("1" * 26) == Decimal("1" * 26 + ".00")


def test_solve_refuses_non_finite_input():
    with pytest.raises(ValueError, match="finite"):
        stats.solve([[math.nan, 1.0], [1.0, 1.0]], [1.0, 2.0])  # gave [nan, nan]
    with pytest.raises(ValueError, match="finite"):
        stats.solve([[2.0, 1.0], [1.0, 1.0]], [math.inf, 2.0])


def test_running_stats_checks_a_summary_it_is_given_and_overflow():
    for args in ((-1,), (1.5,), (True,), (2, math.nan, 0.0), (2, 0.0, -1.0), (2, 0.0, math.inf)):
        with pytest.raises(ValueError):
            stats.RunningStats(*args)
    r = stats.RunningStats()
    with pytest.raises(OverflowError, match="value #1"):
        r.extend([1e308, -1e308, 1e308])  # the variance used to come out as nan
    assert (r.n, r.mean, r.m2) == (1, 1e308, 0.0)  # left as it was before the bad value


def split_good(total, n):
    if n < 1 or total != total.quantize(stats.CENT):
        raise ValueError("bad")
    cents = int(total * 100)
    q, r = divmod(cents, n)
    return [Decimal(q + (i < r)) / 100 for i in range(n)]


def test_check_split_amount():
    assert stats.check_split_amount(lambda t, n: [x.quantize(stats.CENT)
                                                  for x in split_good(t, n)]).passed
    naive = stats.check_split_amount(
        lambda t, n: [(t / n).quantize(stats.CENT)] * n if n > 0 else 1 / 0)
    assert not naive.passed
    assert any("add up to" in p for p in naive.problems)


def merge_good(a, b):
    r = stats.RunningStats(*a).merge(stats.RunningStats(*b))
    return r.n, r.mean, r.m2


def test_check_merge_stats():
    assert stats.check_merge_stats(merge_good).passed
    forgot_cross_term = stats.check_merge_stats(
        lambda a, b: (a[0] + b[0], (a[0] * a[1] + b[0] * b[1]) / max(1, a[0] + b[0]), a[2] + b[2]))
    assert not forgot_cross_term.passed


def trimmed_good(data, proportion):
    if not data or not 0 <= proportion < 0.5:
        raise ValueError("bad")
    k = int(proportion * len(data))
    kept = sorted(data)[k:len(data) - k]
    if not kept:
        raise ValueError("nothing left")
    return statistics.fmean(kept)


def test_check_trimmed_mean():
    assert stats.check_trimmed_mean(trimmed_good).passed
    unsorted = stats.check_trimmed_mean(
        lambda d, p: trimmed_good(d, p) if not d or len(d) < 3 else statistics.fmean(
            d[int(p * len(d)):len(d) - int(p * len(d))]))
    assert not unsorted.passed


def test_stubs_are_reported_as_not_attempted():
    def stub(*args):
        raise NotImplementedError

    for check in (stats.check_split_amount, stats.check_merge_stats, stats.check_trimmed_mean):
        assert not check(stub).attempted


@pytest.mark.parametrize("start_method", ["fork", "spawn", "forkserver"])
def test_chunk_summaries_from_processes_merge_to_the_whole(start_method):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    xs = [1e6 + i % 17 * 0.5 for i in range(4000)]
    chunks = [xs[i:i + 1000] for i in range(0, 4000, 1000)]
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        parts = [stats.RunningStats(*s) for s in pool.map(stats.chunk_summary, chunks)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    assert merged.n == len(xs)
    assert math.isclose(merged.variance, statistics.variance(xs), rel_tol=1e-9)


def test_textbook_mean_adds_left_to_right_on_every_python():
    # sum() is compensated from 3.12 and gives 1/3 here; the formula as written gives 0.0
    assert stats.textbook_mean([1e20, 1.0, -1e20]) == 0.0
    assert stats.textbook_mean([0.1] * 10) == 0.09999999999999999
