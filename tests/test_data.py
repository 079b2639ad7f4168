import csv
import datetime as dt
import itertools
import math
import sqlite3
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdlib_book import data

START_METHODS = ["fork", "spawn", "forkserver"]


def test_generate_orders_is_deterministic_and_messy():
    rows = data.generate_orders(5000, seed=3)
    assert rows == data.generate_orders(5000, seed=3)
    assert rows != data.generate_orders(5000, seed=4)
    assert any(r["quantity"] == "n/a" for r in rows)
    assert any("," in r["unit_price"] for r in rows)
    assert any("\n" in r["note"] for r in rows)
    assert any("," in r["customer"] for r in rows)


def test_generate_orders_rejects_bad_n():
    with pytest.raises(ValueError, match="n must be"):
        data.generate_orders(-1)


def test_csv_round_trip_keeps_every_field(tmp_path):
    rows = data.generate_orders(2000, seed=1)
    path = data.write_orders_csv(tmp_path / "orders.csv", rows)
    with open(path, newline="", encoding="utf-8") as f:
        assert list(csv.DictReader(f)) == rows


def test_read_orders_reports_every_bad_row_by_line(tmp_path):
    rows = data.generate_orders(3000, seed=2)
    path = data.write_orders_csv(tmp_path / "orders.csv", rows)
    orders, problems = data.read_orders(path)
    assert len(orders) + len(problems) == len(rows)
    assert problems and all(p.startswith("line ") for p in problems)
    assert all(isinstance(o.unit_price, Decimal) and o.quantity > 0 for o in orders)


def test_read_orders_refuses_a_wrong_header(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(data.BadRowError, match="header"):
        data.read_orders(path)


@pytest.mark.parametrize("change, message", [
    ({"quantity": ""}, "quantity is empty"),
    ({"quantity": "x"}, "not a whole number"),
    ({"quantity": "0"}, "must be positive"),
    ({"unit_price": "1,50"}, "not a decimal number"),
    ({"unit_price": "-1"}, "non-negative"),
    ({"date": "01/02/2024"}, "not YYYY-MM-DD"),
    # int(), Decimal() and date.fromisoformat() accept all of these: the format does not
    ({"quantity": "\u0663"}, "not a whole number"),  # Arabic-Indic 3: int() gives 3
    ({"quantity": "1_000"}, "not a whole number"),  # int() gives 1000
    ({"quantity": "+5"}, "not a whole number"),
    ({"quantity": "1" * 5000}, r"not a whole number"),
    ({"unit_price": "1e3"}, "not a decimal number"),  # Decimal gives 1E+3
    ({"unit_price": "1_0.50"}, "not a decimal number"),
    ({"unit_price": "\u0661\u0662.\u0665\u0660"}, "not a decimal number"),  # 12.50
    ({"unit_price": "NaN"}, "not a decimal number"),
    ({"date": "20240803"}, "not YYYY-MM-DD"),  # fromisoformat (3.11+) reads it
    ({"date": "2024-W31-6"}, "not YYYY-MM-DD"),
    ({"date": "2024-02-30"}, "not YYYY-MM-DD"),
    ({"note": None}, "missing field"),
    ({None: ["extra"]}, "expected 8 fields, got 9"),
])
def test_parse_order_names_the_problem(change, message):
    row = dict(data.generate_orders(1)[0], quantity="2", unit_price="2.50", date="2024-01-01")
    row.update(change)
    with pytest.raises(data.BadRowError, match=message) as info:
        data.parse_order(row, 42)
    assert str(info.value).startswith("line 42: ")
    assert len(str(info.value)) < 200  # a huge field is cut short in the message


HEADER = ",".join(data.ORDER_FIELDS) + "\r\n"
GOOD_ROW = "A1,2024-01-01,Ada,Oslo,widget,2,2.50,\r\n"


def test_read_orders_stops_at_a_csv_error_and_keeps_what_it_read(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(HEADER + GOOD_ROW + "A2,2024-01-01,Ada,Oslo,w,1,2.50," + "x" * 200_000
                    + "\r\n" + GOOD_ROW, encoding="utf-8", newline="")
    orders, problems = data.read_orders(path)  # raised csv.Error before
    assert [o.order_id for o in orders] == ["A1"]
    assert problems == ["after line 2: field larger than field limit (131072);"
                        " the rest of the file was not read"]


def test_read_orders_refuses_a_file_in_another_encoding(tmp_path):
    path = tmp_path / "cp1252.csv"
    path.write_bytes((HEADER + "A1,2024-01-01,Zo\u00eb,Oslo,w,1,2.50,\r\n").encode("cp1252"))
    with pytest.raises(data.BadRowError, match=r"not valid utf-8 .*byte 0xeb"):
        data.read_orders(path)  # raised UnicodeDecodeError before


def test_read_orders_names_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text(HEADER + GOOD_ROW, encoding="utf-8-sig", newline="")
    with pytest.raises(data.BadRowError, match="utf-8-sig"):
        data.read_orders(path)
    assert [o.order_id for o in data.read_orders(path, encoding="utf-8-sig")[0]] == ["A1"]


@pytest.mark.parametrize("text", [
    '{"$decimal": "abc"}', '{"$decimal": "NaN"}', '{"$decimal": 1.5}', '{"$date": 5}',
    '{"$date": "x"}', '{"$set": "abc"}', '{"$set": [[1]]}', '{"$dict": [[1, 2, 3]]}',
])
def test_loads_names_a_bad_tag(text):
    with pytest.raises(ValueError, match=r"bad \$"):
        data.loads(text)  # InvalidOperation, TypeError or a silent {'a', 'b', 'c'} before


@pytest.mark.parametrize("value", [
    {"$decimal": ""}, {"$date": "soon"}, {"$set": 1}, {"$dict": None},
    [{"$datetime": {"$set": [1]}}],
])
def test_dicts_that_look_like_tags_round_trip(value):
    assert data.loads(data.dumps(value)) == value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.dates() | st.datetimes()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.frozensets(st.integers(), max_size=5).map(set),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_tagged_json_round_trips(value):
    assert data.loads(data.dumps(value)) == value


def test_dumps_refuses_nan_and_unknown_types():
    with pytest.raises(ValueError):
        data.dumps(float("nan"))
    with pytest.raises(TypeError, match="complex"):
        data.dumps(1j)


def _clean_orders(tmp_path, n):
    path = data.write_orders_csv(tmp_path / "o.csv", data.generate_orders(n, seed=5))
    return data.read_orders(path)[0]


def test_loop_and_executemany_insert_the_same_rows(tmp_path):
    orders = _clean_orders(tmp_path, 500)
    a, b = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    try:
        for conn in (a, b):
            data.create_orders_table(conn)
        assert data.insert_orders_loop(a, orders) == len(orders)
        assert data.insert_orders_many(b, orders) == len(orders)
        query = "SELECT * FROM orders ORDER BY order_id"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        total = sum(o.total for o in orders) * 100
        assert b.execute("SELECT sum(quantity * price_cents) FROM orders").fetchone()[0] == total
    finally:
        a.close()
        b.close()


def test_order_params_refuses_fractions_of_a_cent(tmp_path):
    order = _clean_orders(tmp_path, 5)[0]
    bad = data.Order(**{**order.__dict__, "unit_price": Decimal("0.125")})
    with pytest.raises(ValueError, match="fractions of a cent"):
        data.order_params(bad)


def _readings_db(path):
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE readings (value INTEGER)")
        conn.executemany("INSERT INTO readings VALUES (?)", [(1,), (2,)])
    conn.close()


@pytest.mark.parametrize("start_method", START_METHODS)
@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_crash_mid_transaction_leaves_nothing_half_written(tmp_path, start_method, how):
    db = tmp_path / "r.db"
    _readings_db(db)
    code = data.crash_mid_transaction(db, 5000, how=how, start_method=start_method)
    assert code == (3 if how == "exit" else -9)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM readings").fetchone()[0] == 2
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_crash_mid_transaction_rejects_bad_how(tmp_path):
    with pytest.raises(ValueError, match="how must be"):
        data.crash_mid_transaction(tmp_path / "x.db", 1, how="explode")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-20, 20)), st.integers(1, 12))
def test_top_k_matches_sorted(values, k):
    assert data.top_k(iter(values), k) == sorted(values, reverse=True)[:k]


def test_top_k_is_stable_and_checks_k():
    pairs = [("a", 1), ("b", 2), ("c", 2), ("d", 1)]
    assert data.top_k(pairs, 2, key=lambda p: p[1]) == [("b", 2), ("c", 2)]
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="k must be"):
            data.top_k([1], bad)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(-50, 50)), max_size=40))
def test_priority_queue_pops_by_latest_priority(ops):
    q = data.PriorityQueue()
    latest = {}
    for task, priority in ops:
        q.push(task, priority)
        latest[task] = priority
    popped = [q.pop() for _ in range(len(q))]
    assert sorted(popped) == sorted(latest)
    assert [latest[t] for t in popped] == sorted(latest[t] for t in popped)
    with pytest.raises(KeyError):
        q.pop()


def test_lazy_and_eager_means_agree(tmp_path):
    path = data.write_readings_file(tmp_path / "r.csv", 5000, seed=1)
    lazy, eager = data.mean_per_sensor_lazy(path), data.mean_per_sensor_eager(path)
    assert lazy.keys() == eager.keys()
    assert all(math.isclose(lazy[k], eager[k]) for k in lazy)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(), max_size=50), st.integers(1, 8))
def test_chunks_cover_the_data_in_order(values, count):
    parts = data.chunks(values, count)
    assert len(parts) == count
    assert list(itertools.chain.from_iterable(parts)) == values
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("start_method", START_METHODS)
def test_chunked_sum_in_processes_under_every_start_method(start_method):
    values = data.spread_floats(2000, seed=9)
    exact = float(sum(map(Fraction, values)))
    got = data.chunked_sum(values, chunk_count=4, workers=2, start_method=start_method,
                           method="exact")
    assert got == exact
    got = data.chunked_sum(values, chunk_count=4, workers=2, start_method=start_method,
                           method="fsum")
    assert abs(got - exact) <= _fsum_bound(values, 4, exact)
    plain = data.chunked_sum(values, chunk_count=4, workers=2, start_method=start_method)
    assert plain == data.chunked_sum(values, chunk_count=4)  # same chunks, same float answer


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e12, 1e12), max_size=60), st.integers(1, 7))
def test_exact_and_fsum_chunked_sums_do_not_depend_on_chunking(values, k):
    exact = float(sum(map(Fraction, values), Fraction(0)))
    assert data.chunked_sum(values, chunk_count=k, method="exact") == exact
    got = data.chunked_sum(values, chunk_count=k, method="fsum")
    assert abs(got - exact) <= _fsum_bound(values, k, exact)
    if k == 1:
        assert got == math.fsum(values)


def _fsum_bound(values, k, exact):
    # half an ulp for each correctly rounded chunk sum, and for the final rounding
    partials = [math.fsum(c) for c in data.chunks(values, k)]
    # plus one ulp: ``exact`` is itself the true sum rounded to a float
    return sum(math.ulp(p) for p in partials) / 2 + math.ulp(exact)


def test_chunked_sum_names_bad_input():
    with pytest.raises(TypeError, match=r"values\[1\] is '2'"):
        data.chunked_sum([1.0, "2"])
    with pytest.raises(ValueError, match="method"):
        data.chunked_sum([1.0], method="kahan")
    with pytest.raises(ValueError, match="workers"):
        data.chunked_sum([1.0], workers=0)
    with pytest.raises(ValueError, match="kind"):
        data.chunked_sum([1.0, 2.0], workers=2, kind="fiber")


def test_moving_average_is_lazy_and_checks_window():
    assert list(itertools.islice(data.moving_average(itertools.count(), 2), 2)) == [0.5, 1.5]
    with pytest.raises(ValueError, match="window"):
        data.moving_average([1], 0)


def good_top(items, k):
    if k < 1:
        raise ValueError("k")
    return data.top_k(items, k)


def test_check_top_k():
    assert data.check_top_k(good_top).passed
    wrong = data.check_top_k(lambda items, k: sorted(items)[:k] if k > 0 else 1 / 0)
    assert not wrong.passed
    ascending = data.check_top_k(lambda items, k: sorted(sorted(items, reverse=True)[:k])
                                 if k > 0 else data.top_k([], 0))
    assert not ascending.passed
    assert any("counterexample" in p for p in ascending.problems)


def test_check_top_k_sees_memory():
    assert data.check_top_k(data.top_k).passed
    eager = data.check_top_k(lambda it, k: sorted(it, reverse=True)[:k] if k >= 1
                             else (_ for _ in ()).throw(ValueError("k")))
    assert not eager.passed and "memory proportional to k" in str(eager)

    def heap(it, k):
        if k < 1:
            raise ValueError("k")
        return data.heapq.nlargest(k, it)

    assert data.check_top_k(heap).passed
    assert data._most_items_alive(heap, 2_000, 3) <= 10
    assert data._most_items_alive(lambda it, k: sorted(it)[:k], 2_000, 3) == 2_000


def test_moving_average_does_not_drift():
    # a running total (total -= oldest) gives [5e15, 0.5, 0.5]
    assert list(data.moving_average([1e16, 1, 1, 1], 2)) == [5e15, 1.0, 1.0]
    assert list(data.moving_average([0.1] * 10 + [1e20, -1e20, 0.1, 0.1], 2))[-1] == 0.1


def test_check_moving_average_catches_drift_and_late_errors():
    def running_total(values, window):
        if window < 1:
            raise ValueError("window")
        recent, total = data.deque(maxlen=window), 0.0
        for v in values:
            if len(recent) == window:
                total -= recent[0]
            recent.append(v)
            total += v
            if len(recent) == window:
                yield total / window

    feedback = data.check_moving_average(running_total)
    assert not feedback.passed
    assert "drifts" in str(feedback) and "raise when called" in str(feedback)


def test_check_moving_average():
    assert data.check_moving_average(data.moving_average).passed

    def eager(values, window):  # reads the whole stream first: must be caught, not hang
        values = list(values)
        return data.moving_average(values, window)

    assert not data.check_moving_average(eager).passed
    assert not data.check_moving_average(lambda v, w: iter([])).passed


def test_check_customers_in():
    def safe(conn, city):
        rows = conn.execute("SELECT name FROM customers WHERE city = ? ORDER BY name", (city,))
        return [name for (name,) in rows]

    def unsafe(conn, city):
        rows = conn.execute(f"SELECT name FROM customers WHERE city = '{city}' ORDER BY name")  # noqa: S608
        return [name for (name,) in rows]

    assert data.check_customers_in(safe).passed
    feedback = data.check_customers_in(unsafe)
    assert not feedback.passed
    assert any("injection" in p for p in feedback.problems)


def test_stubs_are_reported_as_not_attempted():
    def stub(*args):
        raise NotImplementedError

    for check in (data.check_top_k, data.check_moving_average, data.check_customers_in):
        assert not check(stub).attempted


def test_order_total_is_exact():
    order = data.Order("A", dt.date(2024, 1, 1), "c", "x", "p", 3, Decimal("0.10"), "")
    assert order.total == Decimal("0.30")
