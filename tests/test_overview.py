import math
import statistics
import sys
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdlib_book import overview


@pytest.mark.parametrize(("name", "lang"), [("sys", "C"), ("math", "C"), ("_json", "C"),
                                             ("json", "Python"), ("os", "Python"),
                                             ("nonexistent_mod_q", "-")])
def test_language(name, lang):
    assert overview.language(name) == lang


def test_accelerators_found_and_not_invented():
    assert overview.c_accelerators("json") == ["_json"]
    assert overview.c_accelerators("decimal") == ["_decimal"]
    assert "_sre" not in overview.c_accelerators("shutil")
    assert overview.describe("no_such_thing_x") == "not installed"


def test_implementation_rejects_non_names():
    with pytest.raises(TypeError, match="module name"):
        overview.implementation("")


def test_without_accelerator_leaves_the_real_module_alone():
    import heapq
    import sys
    slow = overview.without_accelerator("heapq", "_heapq")
    assert slow is not heapq and sys.modules["heapq"] is heapq
    assert type(heapq.heappush).__name__ == "builtin_function_or_method"
    assert "_heapq" in sys.modules and sys.modules["_heapq"] is not None
    with pytest.raises(ModuleNotFoundError):
        overview.without_accelerator("no_such_mod_zz", "_x")


def test_decimal_money_helpers():
    assert overview.periodic_amount_decimal("1000.00", "0.05", 10, 12) == Decimal("1647.01")
    with pytest.raises(TypeError, match="not a float"):
        overview.periodic_amount_decimal(1000.0, "0.05", 1, 1)
    with pytest.raises(ValueError, match="not a number"):
        overview.continuous_amount_decimal("lots", "0.05", 1)
    with pytest.raises(ValueError, match="periods_per_year"):
        overview.periodic_amount_decimal("1", "0.05", 1, 0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50))
def test_population_sd_is_pstdev(data):
    assert math.isclose(overview.population_sd(data), statistics.pstdev(data),
                        rel_tol=1e-9, abs_tol=1e-6)


def test_one_pass_formula_really_cancels():
    data = [1e9 + x for x in (4, 7, 13, 16)]
    assert overview.one_pass_sd(data) != pytest.approx(statistics.pstdev(data))


def test_exercise_checks_pass_right_answers_and_fail_wrong_ones():
    def compound(p, r, years, n):
        if n < 1:
            raise ValueError("n")
        amount = Decimal(p) * (1 + Decimal(r) / n) ** (n * years)
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)

    def compound_float(p, r, years, n):
        return Decimal(round(float(p) * (1 + float(r) / n) ** (n * years), 2))

    assert overview.check_compound(compound).passed
    assert not overview.check_compound(compound_float).passed

    def sample_sd(data):
        if len(data) < 2:
            raise ValueError("two")
        return statistics.stdev(data)

    def one_pass(data):
        n = len(data)
        m = sum(data) / n
        return math.sqrt(max(0.0, (sum(x * x for x in data) - n * m * m) / (n - 1)))

    assert overview.check_sample_sd(sample_sd).passed
    assert not overview.check_sample_sd(one_pass).passed
    assert not overview.check_sample_sd(statistics.pstdev).passed

    def is_c(name):
        lang = overview.language(name)
        if lang == "-":
            raise ModuleNotFoundError(name)
        return lang == "C"

    assert overview.check_is_c_module(is_c).passed
    assert not overview.check_is_c_module(lambda n: n.startswith("_")).passed


def test_c_parts_found_where_the_work_is_done():
    # re's engine is _sre (imported by re/_compiler.py), os wraps posix/nt,
    # subprocess starts children through _posixsubprocess (_winapi on Windows)
    assert "_sre" in overview.c_accelerators("re")
    assert overview.describe("re") != "Python"
    backend = "nt" if sys.platform == "win32" else "posix"
    assert backend in overview.c_accelerators("os")
    child = "_winapi" if sys.platform == "win32" else "_posixsubprocess"
    assert child in overview.c_accelerators("subprocess")
    assert overview.describe("sched") == "Python"


def test_describe_short_names_the_namesake_first():
    assert overview.describe("hashlib", short=True) == "Python + C (_hashlib, ...)"
    assert overview.describe("json", short=True) == "Python + C (_json)"
