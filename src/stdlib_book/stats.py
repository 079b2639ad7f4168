"""Helpers for chapter 7: a small statistics engine that says which formula it uses.

Built on :mod:`statistics`, which already computes carefully (exact
fractions inside ``mean`` and ``variance``). What this module adds: input
checked up front with errors that name the bad value, sample *and*
population measures side by side and labelled, a one-pass (streaming)
mean and variance, bootstrap intervals, and multiple regression by the
normal equations.
"""

from __future__ import annotations

import math
import random
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, getcontext
from fractions import Fraction
from numbers import Real
from typing import Any

from stdlib_book.data import check_property
from stdlib_book.selfcheck import Checker, Feedback, run_checks

_FLOAT_MAX = Fraction(2**1024 - 2**971)  # the largest float, exactly

# ---------------------------------------------------------------------------
# Input that is checked, once
# ---------------------------------------------------------------------------


def numbers(data: Iterable[Any], *, name: str = "data", at_least: int = 1) -> list[Any]:
    """Return ``data`` as a list after checking every value is a real number.

    ``statistics`` itself says ``can't convert type 'str' to numerator/denominator``
    for ``mean(["1", "2"])`` and returns ``nan`` for data containing NaN; this
    says which value is wrong and where.

    >>> numbers([1, 2.5, Fraction(1, 3)])
    [1, 2.5, Fraction(1, 3)]
    >>> numbers([3, "4"])
    Traceback (most recent call last):
    ...
    TypeError: data[1] is '4' (str), not a number
    >>> numbers([], name="prices")
    Traceback (most recent call last):
    ...
    ValueError: prices is empty: need at least 1 value
    """
    if isinstance(data, str | bytes):
        raise TypeError(f"{name} must be a collection of numbers, not a {type(data).__name__}")
    values = list(data)
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, Real | Decimal):
            raise TypeError(f"{name}[{i}] is {v!r} ({type(v).__name__}), not a number")
        check_finite(v, f"{name}[{i}]")
    kinds = {Decimal if isinstance(v, Decimal) else type(v) for v in values} - {int}
    if Decimal in kinds and len(kinds) > 1:
        first = next(i for i, v in enumerate(values)
                     if not isinstance(v, Decimal | int))
        raise TypeError(f"{name} mixes Decimal with {type(values[first]).__name__}"
                        f" ({name}[{first}]): statistics cannot combine them exactly;"
                        " convert one kind to the other first")
    if len(values) < at_least:
        if not values:
            raise ValueError(f"{name} is empty: need at least {at_least} value"
                             + ("s" if at_least > 1 else ""))
        raise ValueError(f"{name} has {len(values)} value(s): need at least {at_least}")
    return values


# ---------------------------------------------------------------------------
# The textbook formulas, written out, to check the library against
# ---------------------------------------------------------------------------


def textbook_mean(xs: Sequence[float]) -> float:
    r"""$\frac{1}{n}\sum x_i$, exactly as written: float additions, left to right.

    Not ``sum(xs)``: from Python 3.12 ``sum()`` of floats is compensated, so it
    would no longer be the formula as a calculator evaluates it.

    >>> textbook_mean([1e20, 1.0, -1e20])
    0.0
    """
    xs = numbers(xs, name="xs")
    total = 0.0
    for x in xs:
        total += x
    return total / len(xs)


def textbook_population_stdev(xs: Sequence[float]) -> float:
    r"""$\sqrt{\frac{1}{n}\sum (x_i-\mu)^2}$: the formula printed in the article.
    It divides by $n$, so it is the *population* standard deviation."""
    xs = numbers(xs, name="xs")
    mu = sum(xs) / len(xs)
    return math.sqrt(sum((x - mu) ** 2 for x in xs) / len(xs))


def textbook_sample_stdev(xs: Sequence[float]) -> float:
    r"""$\sqrt{\frac{1}{n-1}\sum (x_i-\bar x)^2}$: Bessel's correction, what
    ``statistics.stdev`` computes."""
    xs = numbers(xs, name="xs", at_least=2)
    mean = sum(xs) / len(xs)
    return math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def textbook_median(xs: Sequence[float]) -> float:
    """The middle value, or the mean of the middle two."""
    s = sorted(numbers(xs, name="xs"))
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


# ---------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Summary statistics of one data set. ``sample_*`` divide by n - 1 (an
    estimate for the population the data was drawn from); ``population_*``
    divide by n (the data *is* the whole population)."""

    n: int
    mean: Any
    median: Any
    modes: list[Any]
    sample_variance: Any
    sample_stdev: float
    population_variance: Any
    population_stdev: float
    quartiles: list[Any]
    minimum: Any
    maximum: Any

    def table(self, digits: int = 4) -> str:
        """The summary as aligned text, floats rounded to ``digits`` places."""
        def fmt(v: Any) -> str:
            if isinstance(v, list):
                return "[" + ", ".join(fmt(x) for x in v) + "]"
            if isinstance(v, float):
                return f"{v:.{digits}f}"
            return str(v)
        width = max(len(k) for k in self.__dataclass_fields__)
        return "\n".join(f"{k:<{width}}  {fmt(getattr(self, k))}"
                         for k in self.__dataclass_fields__)


def summarize(data: Iterable[Any]) -> Summary:
    """Summarise ``data`` with :mod:`statistics`, labelling sample vs population.

    Fractions stay exact where the result is rational (mean, median,
    variances); square roots are floats. Quartiles use the "inclusive"
    method (the data is treated as the population, as spreadsheets'
    QUARTILE does); ``statistics.quantiles`` defaults to "exclusive".

    >>> s = summarize([2, 4, 4, 4, 5, 5, 7, 9])
    >>> s.mean, s.population_stdev, round(s.sample_stdev, 4)
    (5, 2.0, 2.1381)
    """
    xs = numbers(data, at_least=2)
    return Summary(
        n=len(xs),
        mean=statistics.mean(xs),
        median=statistics.median(xs),
        modes=statistics.multimode(xs),
        sample_variance=statistics.variance(xs),
        sample_stdev=statistics.stdev(xs),
        population_variance=statistics.pvariance(xs),
        population_stdev=statistics.pstdev(xs),
        quartiles=statistics.quantiles(xs, n=4, method="inclusive"),
        minimum=min(xs),
        maximum=max(xs),
    )


def correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's r via ``statistics.correlation``, with the inputs checked.

    >>> correlation([1, 2, 3], [2, 4, 7]) > 0.99
    True
    """
    xs, ys = numbers(x, name="x", at_least=2), numbers(y, name="y", at_least=2)
    if len(xs) != len(ys):
        raise ValueError(f"x and y must have the same length, got {len(xs)} and {len(ys)}")
    if len(set(xs)) == 1 or len(set(ys)) == 1:
        raise ValueError("correlation is undefined when x or y is constant")
    return statistics.correlation(xs, ys)


def fit_line(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """``(intercept, slope)`` of the least-squares line, by
    ``statistics.linear_regression``.

    >>> fit_line([0, 1, 2], [1, 3, 5])
    (1.0, 2.0)
    """
    xs, ys = numbers(x, name="x", at_least=2), numbers(y, name="y", at_least=2)
    if len(xs) != len(ys):
        raise ValueError(f"x and y must have the same length, got {len(xs)} and {len(ys)}")
    if len(set(xs)) == 1:
        raise ValueError("x is constant: no line can be fitted")
    slope, intercept = statistics.linear_regression(xs, ys)
    return intercept, slope


# ---------------------------------------------------------------------------
# Multiple regression by the normal equations
# ---------------------------------------------------------------------------


def check_finite(v: Real | Decimal, where: str) -> None:
    """Raise ``ValueError`` naming ``where`` if the number ``v`` is NaN, infinite,
    or an int or Fraction beyond the float range (``math.isfinite(10**400)``
    raises a bare ``OverflowError: int too large to convert to float``).

    >>> check_finite(10**400, "value #3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: value #3 is larger than any float: the standard deviation and the ...
    """
    # Decimal's own test: math.isfinite(Decimal("sNaN")) raises ValueError
    if isinstance(v, Decimal):
        finite = v.is_finite()
    else:  # ints and Fractions are always finite
        finite = not isinstance(v, float) or math.isfinite(v)
    if not finite:
        raise ValueError(f"{where} is {v!r}: NaN and infinity have no place in a "
                         "summary statistic")
    if isinstance(v, int | Fraction) and abs(v) > _FLOAT_MAX:
        raise ValueError(f"{where} is larger than any float: the standard deviation"
                         " and the other float results would overflow")


def solve(a: list[list[Any]], b: list[Any]) -> list[Any]:
    """Solve ``a @ x = b`` by Gaussian elimination with partial pivoting.

    Works on floats or, exactly, on Fractions. Raises ``ValueError`` when the
    matrix is singular (for regression: predictors that are collinear).

    >>> solve([[2, 1], [1, 3]], [3, 5])
    [0.8, 1.4]
    """
    n = len(a)
    if n == 0 or any(len(row) != n for row in a) or len(b) != n:
        raise ValueError("a must be a square n x n matrix and b a vector of length n")
    for v in (*(v for row in a for v in row), *b):
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"a and b must be finite, found {v!r}")
    m = [list(row) + [rhs] for row, rhs in zip(a, b, strict=True)]
    scale = max((abs(v) for row in a for v in row), default=0) or 1
    tiny = 0 if isinstance(scale, Fraction | int) else 1e-12 * scale
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) <= tiny:
            raise ValueError("the matrix is singular: are two predictors collinear "
                             "(one a multiple or combination of others)?")
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            if factor:
                for c in range(col, n + 1):
                    m[r][c] -= factor * m[col][c]
    x: list[Any] = [0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def multiple_regression(rows: Sequence[Sequence[float]], y: Sequence[float], *,
                        exact: bool = False) -> list[float]:
    r"""Least-squares $\beta$ for $y = \beta_0 + \beta_1 x_1 + \dots + \beta_p x_p$.

    Solves the normal equations $(X^\top X)\beta = X^\top y$, with a column of
    ones in $X$ for the intercept. ``exact=True`` does the algebra in
    fractions (slow, but no rounding until the end). The normal equations
    square the condition number of $X$, which is why numerical libraries
    prefer QR or SVD; for a few well-scaled predictors they are fine.

    >>> [round(b, 6) for b in multiple_regression([[0, 1], [1, 0], [1, 1], [2, 3]],
    ...                                           [1, 3, 4, 9])]
    [0.0, 3.0, 1.0]
    """
    if len(rows) != len(y):
        raise ValueError(f"rows and y must have the same length, got {len(rows)} and {len(y)}")
    ys = numbers(y, name="y")
    p = len(rows[0]) if rows else 0
    if p == 0:
        raise ValueError("rows must hold at least one predictor each")
    design = []
    for i, row in enumerate(rows):
        if len(row) != p:
            raise ValueError(f"rows[{i}] has {len(row)} predictors, rows[0] has {p}")
        design.append([1, *numbers(row, name=f"rows[{i}]")])
    if len(design) <= p:
        raise ValueError(f"need more rows than coefficients ({p + 1}), got {len(design)}")
    conv: Callable[[Any], Any] = Fraction if exact else float
    X = [[conv(v) for v in row] for row in design]
    Y = [conv(v) for v in ys]
    cols = range(p + 1)
    if exact:
        xtx = [[sum(r[i] * r[j] for r in X) for j in cols] for i in cols]
        xty = [sum(r[i] * yv for r, yv in zip(X, Y, strict=True)) for i in cols]
    else:
        xtx = [[math.fsum(r[i] * r[j] for r in X) for j in cols] for i in cols]
        xty = [math.fsum(r[i] * yv for r, yv in zip(X, Y, strict=True)) for i in cols]
    return [float(b) for b in solve(xtx, xty)]


# ---------------------------------------------------------------------------
# One pass, constant memory: Welford's algorithm
# ---------------------------------------------------------------------------


class RunningStats:
    """Mean and variance in one pass over a stream (Welford, 1962).

    Keeps only ``n``, the running mean and ``m2`` (the sum of squared
    deviations from the current mean), updating them with differences from
    the mean instead of summing raw squares, which is what keeps it
    accurate. Two instances can be merged (Chan et al.), so chunks of a large
    data set can be summarised separately, even in different processes.

    >>> r = RunningStats()
    >>> r.extend([2, 4, 4, 4, 5, 5, 7, 9])
    >>> r.n, r.mean, r.pvariance, round(r.variance, 4)
    (8, 5.0, 4.0, 4.5714)
    """

    __slots__ = ("n", "mean", "m2")

    def __init__(self, n: int = 0, mean: float = 0.0, m2: float = 0.0) -> None:
        # A summary sent back by another process is input too: check it.
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a count (an int >= 0), got {n!r}")
        check_finite(mean, "mean")
        check_finite(m2, "m2")
        if m2 < 0:
            raise ValueError(f"m2 is a sum of squares: it cannot be negative, got {m2!r}")
        self.n, self.mean, self.m2 = n, mean, m2

    def add(self, x: float) -> None:
        if isinstance(x, bool) or not isinstance(x, Real):
            raise TypeError(f"value #{self.n} is {x!r} ({type(x).__name__}), not a real "
                            "number (int, float or Fraction)")
        check_finite(x, f"value #{self.n}")
        n = self.n + 1
        delta = x - self.mean
        mean = self.mean + delta / n
        m2 = self.m2 + delta * (x - mean)
        if not (math.isfinite(mean) and math.isfinite(m2)):  # e.g. 1e308 then -1e308
            raise OverflowError(f"value #{self.n} ({x!r}) overflows the running sums;"
                                " scale the data down first")
        self.n, self.mean, self.m2 = n, mean, m2

    def extend(self, xs: Iterable[float]) -> None:
        for x in xs:
            self.add(x)

    def merge(self, other: RunningStats) -> RunningStats:
        """A new summary of both streams together."""
        n = self.n + other.n
        if n == 0:
            return RunningStats()
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / n
        m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        return RunningStats(n, mean, m2)

    @property
    def variance(self) -> float:
        """Sample variance (divides by n - 1)."""
        if self.n < 2:
            raise ValueError(f"sample variance needs at least 2 values, got {self.n}")
        return self.m2 / (self.n - 1)

    @property
    def pvariance(self) -> float:
        """Population variance (divides by n)."""
        if self.n < 1:
            raise ValueError("population variance needs at least 1 value, got 0")
        return self.m2 / self.n

    @property
    def stdev(self) -> float:
        return math.sqrt(self.variance)

    def __repr__(self) -> str:
        return f"RunningStats(n={self.n}, mean={self.mean!r}, m2={self.m2!r})"


def naive_variance(xs: Iterable[float]) -> float:
    r"""Sample variance by the one-pass "sum of squares" shortcut
    $\frac{\sum x^2 - (\sum x)^2/n}{n-1}$. Algebraically right, numerically
    fragile: when the mean is large next to the spread, the two sums agree in
    almost every digit and their difference is mostly rounding error."""
    n, s, s2 = 0, 0.0, 0.0
    for x in xs:
        n += 1
        s += x
        s2 += x * x
    if n < 2:
        raise ValueError(f"sample variance needs at least 2 values, got {n}")
    return (s2 - s * s / n) / (n - 1)


def chunk_summary(chunk: Sequence[float]) -> tuple[int, float, float]:
    """``(n, mean, m2)`` of one chunk: module-level, so a process pool can run it."""
    r = RunningStats()
    r.extend(chunk)
    return r.n, r.mean, r.m2


# ---------------------------------------------------------------------------
# Resampling and simulation
# ---------------------------------------------------------------------------


def bootstrap_ci(data: Sequence[float], statistic: Callable[[Sequence[float]], float] | None = None,
                 *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
                 ) -> tuple[float, float]:
    """Percentile bootstrap confidence interval for ``statistic`` (default: the
    mean). Resample ``data`` with replacement, compute the statistic each time,
    and take the middle ``confidence`` share of the results. Seeded, so the
    same call gives the same interval.

    >>> lo, hi = bootstrap_ci([4.1, 5.0, 5.2, 4.8, 5.9, 5.5, 4.4, 5.1], seed=1)
    >>> lo < 5.0 < hi
    True
    """
    xs = numbers(data, at_least=2)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 100:
        raise ValueError(f"resamples must be at least 100, got {resamples}")
    stat = statistic or statistics.fmean
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    estimates = sorted(stat(rng.choices(xs, k=len(xs))) for _ in range(resamples))
    tail = (1 - confidence) / 2
    lo = estimates[int(math.floor(tail * resamples))]
    hi = estimates[int(math.ceil((1 - tail) * resamples)) - 1]
    return lo, hi


def monte_carlo_pi(n: int, *, seed: int = 0) -> float:
    """Estimate pi from ``n`` random points in the unit square: the share that
    falls inside the quarter circle, times four. Its error shrinks like
    1/sqrt(n)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    inside = sum(1 for _ in range(n) if rng.random() ** 2 + rng.random() ** 2 <= 1.0)
    return 4 * inside / n


# ---------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------

CENT = Decimal("0.01")
_AMOUNT = re.compile(r"[+-]?[0-9]{1,30}(\.[0-9]{1,30})?", re.ASCII)


def to_cents(amount: Decimal | int | str, *, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round an amount to whole cents. Give it a ``Decimal``, ``int`` or
    ``str``: a float has already lost the exact value (``2.675`` is stored as
    2.67499999...).

    >>> to_cents(Decimal("2.675")), to_cents("0.125")
    (Decimal('2.68'), Decimal('0.13'))
    >>> to_cents(2.675)
    Traceback (most recent call last):
    ...
    TypeError: amount must be a Decimal, int or str, not float (2.675 is not exact in binary)
    """
    if isinstance(amount, float):
        raise TypeError(f"amount must be a Decimal, int or str, not float "
                        f"({amount!r} is not exact in binary)")
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | str):
        raise TypeError(f"amount must be a Decimal, int or str, not {type(amount).__name__}")
    # Decimal() alone accepts " 1.5 ", "NaN", "Infinity" and Arabic-Indic digits
    # ("١٢" is 12), and says only "[<class 'decimal.ConversionSyntax'>]" otherwise.
    if isinstance(amount, str) and not _AMOUNT.fullmatch(amount):
        raise ValueError(f"amount must be written like 12.50 or -3 (ASCII digits, a point),"
                         f" got {amount[:40]!r}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"amount must be a finite number, got {amount!r}")
    precision = getcontext().prec
    if value.adjusted() + 3 > precision:  # quantize would raise InvalidOperation
        raise ValueError(f"amount has more digits than {precision}-digit Decimal arithmetic"
                         f" can hold to the cent: {str(amount)[:40]!r}")
    return value.quantize(CENT, rounding=rounding)


# ---------------------------------------------------------------------------
# Exercise checks
# ---------------------------------------------------------------------------


def check_split_amount(func: Callable[[Decimal, int], list[Decimal]]) -> Feedback:
    """Check ``func(total, n)``: n shares in cents that add up to ``total``
    exactly and differ by at most one cent, largest first."""

    def body(c: Checker) -> None:
        c.expect("split_amount(Decimal('10.00'), 3)", lambda: func(Decimal("10.00"), 3),
                 [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")])
        c.expect("split_amount(Decimal('0.05'), 2)", lambda: func(Decimal("0.05"), 2),
                 [Decimal("0.03"), Decimal("0.02")])
        c.expect("split_amount(Decimal('7'), 1)", lambda: func(Decimal("7"), 1),
                 [Decimal("7.00")])
        c.expect_raises("split_amount(Decimal('1.00'), 0)", lambda: func(Decimal("1.00"), 0),
                        ValueError)
        c.expect_raises("split_amount(Decimal('1.005'), 2) (not whole cents)",
                        lambda: func(Decimal("1.005"), 2), ValueError)
        rng = random.Random(11)  # noqa: S311 - reproducible data, not secrets

        def judge(got: Any, total: Decimal, n: int) -> str | None:
            if not isinstance(got, list) or len(got) != n:
                return f"should return a list of {n} shares, got {got!r}"
            if sum(got) != total:
                return f"shares {got} add up to {sum(got)}, not {total}"
            if any(s != s.quantize(CENT) for s in got):
                return f"shares {got} are not all whole cents"
            if max(got) - min(got) > CENT or got != sorted(got, reverse=True):
                return f"shares {got} should differ by at most a cent, largest first"
            return None

        def cases():
            for _ in range(300):
                total = Decimal(rng.randint(0, 10**6)) / 100
                n = rng.randint(1, 13)
                yield (f"split_amount({total!r}, {n})", lambda t=total, n=n: func(t, n),
                       lambda got, t=total, n=n: judge(got, t, n))

        check_property(c, "300 random totals: exact sum, whole cents, fair shares", cases())

    return run_checks("split_amount", body)


def check_merge_stats(func: Callable[[tuple, tuple], tuple]) -> Feedback:
    """Check ``func((n_a, mean_a, m2_a), (n_b, mean_b, m2_b))`` against
    ``statistics`` on the two chunks put together."""

    def summary(xs: list[float]) -> tuple[int, float, float]:
        if not xs:
            return 0, 0.0, 0.0
        return len(xs), statistics.fmean(xs), statistics.pvariance(xs) * len(xs)

    def body(c: Checker) -> None:
        c.expect("merge((2, 1.0, 2.0), (2, 5.0, 2.0))",
                 lambda: tuple(func((2, 1.0, 2.0), (2, 5.0, 2.0))), (4, 3.0, 20.0))
        c.expect("merge((0, 0.0, 0.0), (3, 2.0, 8.0)) (an empty chunk)",
                 lambda: tuple(func((0, 0.0, 0.0), (3, 2.0, 8.0))), (3, 2.0, 8.0))
        rng = random.Random(3)  # noqa: S311 - reproducible data, not secrets

        def judge(got: Any, want: tuple[int, float, float]) -> str | None:
            got = tuple(got)
            if (len(got) == 3 and got[0] == want[0]
                    and math.isclose(got[1], want[1], rel_tol=1e-9)
                    and math.isclose(got[2], want[2], rel_tol=1e-6, abs_tol=1e-6)):
                return None
            return f"expected about {want}, got {got}"

        def cases():
            for _ in range(200):
                xs = [rng.uniform(-1000, 1000) + 1e6 for _ in range(rng.randint(1, 40))]
                cut = rng.randint(0, len(xs))
                a, b, want = summary(xs[:cut]), summary(xs[cut:]), summary(xs)
                yield (f"merge({a}, {b})", lambda a=a, b=b: func(a, b),
                       lambda got, want=want: judge(got, want))

        check_property(c, "200 random splits agree with statistics on the whole", cases())

    return run_checks("merge", body)


def check_trimmed_mean(func: Callable[[Sequence[float], float], float]) -> Feedback:
    """Check ``func(data, proportion)``: drop ``int(proportion * n)`` values
    from each end of the sorted data, average the rest."""

    def body(c: Checker) -> None:
        c.expect_close("trimmed_mean([1, 2, 3, 4, 1000], 0.2)",
                       lambda: func([1, 2, 3, 4, 1000], 0.2), 3.0)
        c.expect_close("trimmed_mean([5, 1, 3], 0.0) (no trimming: the plain mean)",
                       lambda: func([5, 1, 3], 0.0), 3.0)
        c.expect_close("trimmed_mean([9, 1, 4, 7], 0.25) (unsorted input)",
                       lambda: func([9, 1, 4, 7], 0.25), 5.5)
        c.expect_raises("trimmed_mean([], 0.1) (empty data)", lambda: func([], 0.1), ValueError)
        c.expect_raises("trimmed_mean([1, 2], 0.5) (nothing left)",
                        lambda: func([1, 2], 0.5), ValueError)
        c.expect_raises("trimmed_mean([1, 2], -0.1)", lambda: func([1, 2], -0.1), ValueError)
        rng = random.Random(5)  # noqa: S311 - reproducible data, not secrets

        def cases():
            for _ in range(200):
                xs = [rng.randint(-100, 100) for _ in range(rng.randint(1, 30))]
                p = rng.choice([0.0, 0.05, 0.1, 0.2, 0.3])
                k = int(p * len(xs))
                want = statistics.fmean(sorted(xs)[k:len(xs) - k])
                yield (f"trimmed_mean({xs}, {p})", lambda xs=xs, p=p: func(xs, p),
                       lambda got, want=want: None
                       if isinstance(got, int | float) and math.isclose(got, want, abs_tol=1e-9)
                       else f"expected {want}, got {got!r}")

        check_property(c, "200 random lists agree with sorting and slicing", cases())

    return run_checks("trimmed_mean", body)
