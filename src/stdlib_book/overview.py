"""Chapter 1 helpers: what the standard library is made of, and its mathematics.

* Which modules are written in C and which in Python, measured on the running
  interpreter (:func:`implementation`, :func:`c_accelerators`, :func:`census`).
* A pure-Python copy of a module with its C accelerator blocked
  (:func:`without_accelerator`), so the two can be timed against each other.
* Compound interest with ``float`` and with ``Decimal``, and the two standard
  deviations, written out so they can be compared with :mod:`statistics`.
* Self-checks for the chapter's exercises.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import math
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path
from types import ModuleType

from .selfcheck import Checker, Feedback, run_checks

# -- C or Python? ----------------------------------------------------------------

#: What :func:`implementation` can answer, and the language behind each answer.
KINDS = {
    "built-in": "C",  # compiled into the interpreter binary
    "extension": "C",  # a shared library (.so, .pyd) loaded on import
    "frozen": "Python",  # Python source compiled into the binary at build time
    "source": "Python",  # a .py file (or a package of them)
    "missing": "-",  # named by the standard library, not installed here
}

#: Public C modules that are an operating system's interface; ``os``, ``shutil``
#: and ``subprocess`` do their work through them.
_OS_INTERFACES = frozenset({"posix", "nt"})


def implementation(name: str) -> str:
    """How the module ``name`` is implemented here, without importing it.

    One of the keys of :data:`KINDS`. Built-in and frozen modules are part of
    the interpreter binary; which modules a build compiles in differs between
    builds (the Windows installer and some Linux distributions compile ``math``
    in; a default build from source on Linux or macOS loads it as an
    extension), so ask the running interpreter rather than a table.

    >>> implementation("sys"), implementation("json")
    ('built-in', 'source')
    >>> implementation("no_such_module_here")
    'missing'
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a module name such as 'json', got {name!r}")
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return "missing"
    if spec is None:
        return "missing"
    origin = spec.origin or ""
    if origin == "built-in" or name in sys.builtin_module_names:
        return "built-in"
    if origin == "frozen":
        return "frozen"
    if origin.endswith((".py", ".pyc")):
        return "source"
    if origin.endswith((".so", ".pyd", ".dylib")):
        return "extension"
    return "source" if spec.submodule_search_locations else "missing"


def language(name: str) -> str:
    """``"C"``, ``"Python"`` or ``"-"`` (not installed) for the module ``name``.

    >>> language("math"), language("statistics"), language("os")
    ('C', 'Python', 'Python')
    """
    return KINDS[implementation(name)]


def _source_text(module: ModuleType) -> str:
    """All the Python source of a module (every .py file of a package)."""
    file = getattr(module, "__file__", None)
    if not file or not file.endswith(".py"):
        return ""
    path = Path(file)
    files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def _imported_names(text: str) -> set[str]:
    """Top-level names of every absolute ``import`` in the source ``text``,
    wherever it sits (inside ``try``, ``if`` or a function)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def c_accelerators(name: str) -> list[str]:
    """The C modules that do part of the Python module ``name``'s work here.

    Counted: every private C module (a leading underscore: ``_json``,
    ``_sre``, ``_posixsubprocess``) and operating-system interface (``posix``,
    ``nt``) that the module's own source imports, any of its package's files
    included (``re``'s engine ``_sre`` is imported by ``re/_compiler.py``),
    and that is C on this interpreter. Public C modules that everything uses
    (``sys``, ``time``) are not counted. The module is imported to read its
    source, so only call this on modules that are safe to import.

    >>> c_accelerators("heapq"), c_accelerators("re"), c_accelerators("math")
    (['_heapq'], ['_sre'], [])
    """
    if language(name) != "Python":
        return []
    module = importlib.import_module(name)
    imported = _imported_names(_source_text(module))
    return sorted(
        n for n in imported
        if (n.startswith("_") or n in _OS_INTERFACES) and language(n) == "C"
    )


def describe(name: str, *, short: bool = False) -> str:
    """A short verdict: ``"C"``, ``"Python"``, ``"Python + C (_json)"`` or
    ``"not installed"``. ``short=True`` names only the first C part (the one
    named like the module first) and ``...`` for the rest, whose list varies
    between versions (hashlib's fallbacks ``_sha256`` and ``_sha512`` became
    ``_sha2`` in 3.12).

    >>> describe("json"), describe("math"), describe("sched")
    ('Python + C (_json)', 'C', 'Python')
    >>> describe("hashlib", short=True)
    'Python + C (_hashlib, ...)'
    """
    lang = language(name)
    if lang == "-":
        return "not installed"
    if lang == "C":
        return "C"
    helpers = sorted(c_accelerators(name), key=lambda h: (h != "_" + name.split(".")[-1], h))
    if not helpers:
        return "Python"
    if short and len(helpers) > 1:
        helpers = [helpers[0], "..."]
    return f"Python + C ({', '.join(helpers)})"


def census(names: Sequence[str] | None = None, *, public_only: bool = True) -> Counter[str]:
    """Count modules by :func:`implementation` (default: every name in
    ``sys.stdlib_module_names``; ``public_only`` skips names starting with ``_``).

    >>> sum(census(["sys", "json", "os"]).values())
    3
    """
    pool = sorted(sys.stdlib_module_names) if names is None else list(names)
    if public_only:
        pool = [n for n in pool if not n.startswith("_")]
    return Counter(implementation(n) for n in pool)


def without_accelerator(name: str, accelerator: str) -> ModuleType:
    """A fresh copy of the Python module ``name`` loaded while ``accelerator``
    cannot be imported, so it runs its pure-Python fallback code.

    The copy is not put in ``sys.modules``: the real module is untouched.
    Works for modules that fall back with ``try: from _x import * except
    ImportError`` (``heapq``, ``bisect``).

    >>> import heapq
    >>> slow = without_accelerator("heapq", "_heapq")
    >>> type(slow.heappush).__name__, type(heapq.heappush).__name__
    ('function', 'builtin_function_or_method')
    """
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}")
    missing = object()
    saved = sys.modules.get(accelerator, missing)
    sys.modules[accelerator] = None  # type: ignore[assignment]  # "import _x" now fails
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is missing:
            del sys.modules[accelerator]
        else:
            sys.modules[accelerator] = saved  # type: ignore[assignment]
    return module


# -- compound interest ---------------------------------------------------------------


def continuous_amount(principal: float, rate: float, years: float) -> float:
    """A = P * e**(r*t) with floats: continuous compounding.

    >>> round(continuous_amount(1000, 0.05, 10), 6)
    1648.721271
    """
    return principal * math.exp(rate * years)


def to_decimal(value: str | int | Decimal, what: str) -> Decimal:
    """Money as ``Decimal``, refusing floats: ``Decimal(0.1)`` would keep the
    binary rounding error of the float ``0.1``.

    >>> to_decimal("0.10", "rate")
    Decimal('0.10')
    >>> to_decimal(0.1, "rate")
    Traceback (most recent call last):
    ...
    TypeError: rate must be a str, int or Decimal, not a float: 0.1 was already rounded to binary
    """
    if isinstance(value, float):
        raise TypeError(f"{what} must be a str, int or Decimal, not a float: "
                        f"{value!r} was already rounded to binary")
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TypeError(f"{what} must be a str, int or Decimal, got {type(value).__name__}")
    try:
        return Decimal(value)
    except ArithmeticError:
        raise ValueError(f"{what} is not a number: {value!r}") from None


CENT = Decimal("0.01")


def continuous_amount_decimal(
    principal: str | int | Decimal,
    rate: str | int | Decimal,
    years: str | int | Decimal,
    *,
    digits: int = 28,
) -> Decimal:
    """A = P * e**(r*t) in decimal arithmetic with ``digits`` significant
    digits, rounded to the cent (half to even, the banker's rounding) only at
    the end.

    >>> continuous_amount_decimal("1000.00", "0.05", 10)
    Decimal('1648.72')
    """
    p, r, t = (to_decimal(v, n) for v, n in ((principal, "principal"), (rate, "rate"),
                                               (years, "years")))
    with localcontext() as ctx:
        ctx.prec = digits
        amount = p * (r * t).exp()
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def periodic_amount_decimal(
    principal: str | int | Decimal,
    rate: str | int | Decimal,
    years: int,
    periods_per_year: int,
) -> Decimal:
    """A = P * (1 + r/n)**(n*t): interest added ``n`` times a year, as real
    accounts do, rounded to the cent at the end.

    >>> periodic_amount_decimal("1000.00", "0.05", 10, 12)
    Decimal('1647.01')
    """
    if not isinstance(years, int) or years < 0:
        raise ValueError(f"years must be a whole number of years >= 0, got {years!r}")
    if not isinstance(periods_per_year, int) or periods_per_year < 1:
        raise ValueError(f"periods_per_year must be a whole number >= 1, got {periods_per_year!r}")
    p, r = to_decimal(principal, "principal"), to_decimal(rate, "rate")
    with localcontext() as ctx:
        ctx.prec = 28
        amount = p * (1 + r / periods_per_year) ** (periods_per_year * years)
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


# -- the two standard deviations ------------------------------------------------


def population_sd(data: Sequence[float]) -> float:
    """The article's formula, sigma = sqrt(sum((x - mean)**2) / n), two passes.

    >>> population_sd([2, 4, 4, 4, 5, 5, 7, 9])
    2.0
    """
    n = len(data)
    if n < 1:
        raise statistics.StatisticsError("population_sd needs at least one data point")
    mean = math.fsum(data) / n
    return math.sqrt(math.fsum((x - mean) ** 2 for x in data) / n)


def one_pass_sd(data: Sequence[float]) -> float:
    """sqrt(E[x**2] - E[x]**2): algebraically the same as :func:`population_sd`,
    numerically a trap (catastrophic cancellation when the mean is large).
    Shown in the chapter to be avoided."""
    n = len(data)
    mean = sum(data) / n
    return math.sqrt(max(0.0, sum(x * x for x in data) / n - mean * mean))


# -- exercise checks ---------------------------------------------------------------


def check_compound(func: Callable[..., Decimal]) -> Feedback:
    """Check ``func(principal, rate, years, periods_per_year)``: the amount
    after compounding ``periods_per_year`` times a year, as a ``Decimal``
    rounded to the cent, half to even; ``ValueError`` for fewer than one
    period a year."""

    def body(c: Checker) -> None:
        cases = [
            (("1000.00", "0.05", 10, 1), Decimal("1628.89")),
            (("1000.00", "0.05", 10, 12), Decimal("1647.01")),
            (("1000.00", "0.05", 10, 365), Decimal("1648.66")),
            (("2500", "0.031", 3, 4), Decimal("2742.67")),
            (("100", "0", 5, 12), Decimal("100.00")),
        ]
        for args, want in cases:
            c.expect(f"compound{args}", lambda a=args: func(*a), want)
        c.expect("the result is a Decimal",
                 lambda: type(func("1000.00", "0.05", 10, 12)).__name__, "Decimal")
        c.expect_raises("compound('1000', '0.05', 10, 0)",
                        lambda: func("1000", "0.05", 10, 0), ValueError)

    return run_checks("compound", body)


def check_sample_sd(func: Callable[[Sequence[float]], float]) -> Feedback:
    """Check ``func(data)`` against :func:`statistics.stdev`, including data
    with a large offset, and ``StatisticsError``/``ValueError`` for fewer than
    two points."""

    def body(c: Checker) -> None:
        cases = {
            "[2, 4, 4, 4, 5, 5, 7, 9]": [2, 4, 4, 4, 5, 5, 7, 9],
            "[1.5, 2.5]": [1.5, 2.5],
            "[1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16] (large offset)":
                [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16],
        }
        for text, data in cases.items():
            c.expect_close(f"sample_sd({text})", lambda d=data: func(d),
                           statistics.stdev(data), tol=1e-9)
        c.expect_raises("sample_sd([3.0]) (one point has no sample standard deviation)",
                        lambda: func([3.0]), ValueError)  # StatisticsError is a ValueError

    return run_checks("sample_sd", body)


def check_is_c_module(func: Callable[[str], bool]) -> Feedback:
    """Check ``func(name)``: True for modules written in C (built-in or
    extension), False for Python ones (source or frozen), and
    ``ModuleNotFoundError`` for names that are not installed."""

    def body(c: Checker) -> None:
        for name in ("sys", "math", "_json", "json", "os", "statistics", "heapq", "_heapq"):
            c.expect(f"is_c_module({name!r})", lambda n=name: func(n), language(name) == "C")
        c.expect_raises("is_c_module('no_such_module_xyz')",
                        lambda: func("no_such_module_xyz"), ModuleNotFoundError)

    return run_checks("is_c_module", body)
