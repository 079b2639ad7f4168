"""Helpers for chapter 4: a messy data set, and the code that handles it right.

The chapter needs data that looks like the real thing: tens of thousands of
orders with missing fields, names that are not ASCII, commas and quotes and
line breaks inside fields. :func:`generate_orders` makes the same rows for the
same seed every time, so the chapter's printed outputs can be checked.

Everything that runs in another process (the chunk sums, the child that
crashes in the middle of a transaction) is a module-level function here,
because the ``spawn`` and ``forkserver`` start methods pickle functions by
name and cannot find one defined in a notebook.
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import itertools
import json
import math
import multiprocessing
import os
import random
import re
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from stdlib_book.selfcheck import Checker, Feedback, run_checks

# ---------------------------------------------------------------------------
# A deterministic, messy data set
# ---------------------------------------------------------------------------

ORDER_FIELDS = ("order_id", "date", "customer", "city", "product", "quantity",
                "unit_price", "note")

_CUSTOMERS = ("Ada Lovelace", "Zoë Müller", "Søren Kierkegaard", "山田 太郎",
              "Smith, Jane", 'Dana "DJ" Lee', "José Núñez", "Olu Adéyẹmí",
              "Grace Hopper", "Ines O'Brien")
_CITIES = ("Zürich", "Oslo", "São Paulo", "Kraków", "Lagos", "Osaka", "Reykjavík",
           "Montréal")
_PRODUCTS = {"widget": Decimal("2.50"), "gadget": Decimal("12.99"),
             "gizmo": Decimal("7.25"), "doohickey": Decimal("0.99"),
             "thingamajig": Decimal("105.00")}
_NOTES = ("", "", "", "gift wrap", "leave at door, side gate", 'say "hi"',
          "fragile\nhandle with care", "  ", "café order")


def generate_orders(n: int, *, seed: int = 0) -> list[dict[str, str]]:
    """Return ``n`` order rows as dicts of strings, the same for the same seed.

    About one row in fifty is messy in a way real exports are: a missing
    quantity, ``"n/a"``, a price with a decimal comma, a date written
    day-first. Names and notes contain non-ASCII letters, commas, quotes and
    line breaks, which only a real CSV writer quotes correctly.

    >>> rows = generate_orders(3, seed=1)
    >>> [r["order_id"] for r in rows]
    ['A000001', 'A000002', 'A000003']
    >>> rows == generate_orders(3, seed=1)
    True
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    start = dt.date(2024, 1, 1)
    products = sorted(_PRODUCTS)
    rows = []
    for i in range(1, n + 1):
        product = rng.choice(products)
        day = start + dt.timedelta(days=rng.randrange(366))
        quantity = str(rng.randint(1, 12))
        price = str(_PRODUCTS[product])
        date = day.isoformat()
        mess = rng.random()
        if mess < 0.005:
            quantity = ""
        elif mess < 0.010:
            quantity = "n/a"
        elif mess < 0.015:
            price = price.replace(".", ",")
        elif mess < 0.020:
            date = day.strftime("%d/%m/%Y")
        elif mess < 0.040:
            quantity = f" {quantity} "  # stray spaces: harmless once stripped
        rows.append({
            "order_id": f"A{i:06d}", "date": date, "customer": rng.choice(_CUSTOMERS),
            "city": rng.choice(_CITIES), "product": product, "quantity": quantity,
            "unit_price": price, "note": rng.choice(_NOTES),
        })
    return rows


def write_orders_csv(path: str | Path, rows: Iterable[dict[str, str]], *,
                     encoding: str = "utf-8") -> Path:
    """Write order rows to ``path`` as CSV, the way the ``csv`` docs ask:
    ``newline=""`` so that the writer alone decides line endings, and an
    explicit encoding."""
    path = Path(path)
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.DictWriter(f, fieldnames=ORDER_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@dataclass(frozen=True)
class Order:
    """One clean order: typed values, money as an exact ``Decimal``."""

    order_id: str
    date: dt.date
    customer: str
    city: str
    product: str
    quantity: int
    unit_price: Decimal
    note: str

    @property
    def total(self) -> Decimal:
        return self.quantity * self.unit_price


class BadRowError(ValueError):
    """A CSV row that cannot be turned into an :class:`Order`; the message
    names the line and the field."""


_QUANTITY = re.compile(r"-?[0-9]{1,9}")
_PRICE = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,6})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _shown(text: str, limit: int = 40) -> str:
    """``repr(text)``, cut short: a bad field can be megabytes long."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r} (+{len(text) - limit:,} characters)"


def parse_order(row: dict[str | None, Any], line: int) -> Order:
    """Turn one ``csv.DictReader`` row into an :class:`Order`.

    Raises :class:`BadRowError` naming the line and the problem instead of
    guessing: a missing or non-numeric quantity, a price that is not a
    decimal number with a point, a date that is not ISO ``YYYY-MM-DD``, or
    the wrong number of fields.

    >>> parse_order({"order_id": "A1", "date": "2024-02-29", "customer": "Ada",
    ...              "city": "Oslo", "product": "widget", "quantity": " 3 ",
    ...              "unit_price": "2.50", "note": ""}, line=2).total
    Decimal('7.50')
    >>> parse_order({"order_id": "A1", "date": "2024-02-29", "customer": "Ada",
    ...              "city": "Oslo", "product": "widget", "quantity": "n/a",
    ...              "unit_price": "2.50", "note": ""}, line=7)
    Traceback (most recent call last):
    ...
    stdlib_book.data.BadRowError: line 7: quantity 'n/a' is not a whole number
    """
    if None in row:  # DictReader puts surplus fields under the key None
        raise BadRowError(f"line {line}: expected {len(ORDER_FIELDS)} fields, "
                          f"got {len(ORDER_FIELDS) + len(row[None])}")
    missing = [name for name in ORDER_FIELDS if row.get(name) is None]
    if missing:
        raise BadRowError(f"line {line}: missing field(s) {', '.join(missing)}")
    text = {name: row[name].strip() for name in ORDER_FIELDS}
    # Patterns first, conversions second: int() also reads "٣" (3) and "1_000",
    # Decimal() reads "1e3" and "١٢.٥", and date.fromisoformat (3.11+) reads
    # "20240803" and "2024-W31-6". None of them is what this file format allows.
    if not text["quantity"]:
        raise BadRowError(f"line {line}: quantity is empty")
    if not _QUANTITY.fullmatch(text["quantity"]):
        raise BadRowError(f"line {line}: quantity {_shown(text['quantity'])} is not a whole number")
    quantity = int(text["quantity"])
    if quantity <= 0:
        raise BadRowError(f"line {line}: quantity must be positive, got {quantity}")
    if not _PRICE.fullmatch(text["unit_price"]):
        raise BadRowError(f"line {line}: unit_price {_shown(text['unit_price'])} is not a decimal "
                          "number like 12.50")
    price = Decimal(text["unit_price"])
    if price < 0:
        raise BadRowError(f"line {line}: unit_price must be a non-negative amount, got {price}")
    try:
        if not _DATE.fullmatch(text["date"]):
            raise ValueError(text["date"])
        date = dt.date.fromisoformat(text["date"])
    except ValueError:  # the wrong shape, or a day that does not exist (2024-02-30)
        raise BadRowError(f"line {line}: date {_shown(text['date'])} is not YYYY-MM-DD") from None
    return Order(text["order_id"], date, row["customer"], row["city"], text["product"],
                 quantity, price, row["note"])


def read_orders(path: str | Path, *, encoding: str = "utf-8"
                ) -> tuple[list[Order], list[str]]:
    """Read a CSV of orders; return the clean orders and one message per bad row.

    A bad row is reported and skipped, never silently "fixed": nothing is
    lost, because the message names the line to look at. A file whose header
    is not the expected one is refused outright.
    """
    orders: list[Order] = []
    problems: list[str] = []
    name = os.fspath(path)
    with open(path, newline="", encoding=encoding) as f:
        reader = csv.DictReader(f)
        try:
            if tuple(reader.fieldnames or ()) != ORDER_FIELDS:
                hint = (" (a byte-order mark: read it with encoding='utf-8-sig')"
                        if (reader.fieldnames or [""])[0].startswith("\ufeff") else "")
                raise BadRowError(f"{name}: header is {reader.fieldnames!r}, "
                                  f"expected {list(ORDER_FIELDS)!r}{hint}")
            for row in reader:
                try:
                    orders.append(parse_order(row, reader.line_num))
                except BadRowError as exc:
                    problems.append(str(exc))
        except csv.Error as exc:  # e.g. a field over csv.field_size_limit()
            # Where one record cannot be parsed, the next ones cannot be trusted
            # (a quote may be open): report it and stop, keeping what was read.
            problems.append(f"after line {reader.line_num}: {exc};"
                            " the rest of the file was not read")
        except UnicodeDecodeError as exc:
            raise BadRowError(f"{name}: not valid {encoding} ({exc.reason}, byte"
                              f" {exc.object[exc.start]:#04x}): read it with the encoding"
                              " it was written in") from None
    return orders, problems


# ---------------------------------------------------------------------------
# JSON for the types it does not have
# ---------------------------------------------------------------------------

class TaggedJSONEncoder(json.JSONEncoder):
    """Encode dates, datetimes, Decimals and sets as one-key tagged objects.

    JSON has no date, no exact decimal and no set. Turning them into strings
    would lose the type; a tag such as ``{"$decimal": "12.50"}`` keeps it, and
    :func:`tagged_object_hook` turns it back.

    >>> json.dumps({"price": Decimal("12.50"), "tags": {"b", "a"}}, cls=TaggedJSONEncoder)
    '{"price": {"$decimal": "12.50"}, "tags": {"$set": ["a", "b"]}}'
    """

    def iterencode(self, o: Any, _one_shot: bool = False) -> Iterator[str]:
        return super().iterencode(_escape_tag_lookalikes(o), _one_shot)

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):  # before date: a datetime is a date too
            return {"$datetime": o.isoformat()}
        if isinstance(o, dt.date):
            return {"$date": o.isoformat()}
        if isinstance(o, Decimal):
            return {"$decimal": str(o)}
        if isinstance(o, set | frozenset):
            try:
                items = sorted(o)  # a stable order, so equal sets give equal JSON
            except TypeError:
                items = list(o)
            return {"$set": items}
        return super().default(o)


#: tag -> (the JSON type its value must have, the function that decodes it)
_DECODERS: dict[str, tuple[type, Callable[[Any], Any]]] = {
    "$datetime": (str, dt.datetime.fromisoformat),
    "$date": (str, dt.date.fromisoformat),
    "$decimal": (str, Decimal),
    "$set": (list, set),
    "$dict": (list, dict),  # a user's dict that looks like a tag, as [[key, value]]
}


def _escape_tag_lookalikes(o: Any) -> Any:
    """Wrap every dict that would read back as a tag, such as a user's own
    ``{"$date": "soon"}``, as ``{"$dict": [[key, value]]}``: a list of pairs,
    because ``object_hook`` decodes inner objects first and would otherwise
    turn it into a date (or fail) before the wrapper is seen."""
    if isinstance(o, dict):
        items = {k: _escape_tag_lookalikes(v) for k, v in o.items()}
        if len(items) == 1 and next(iter(items)) in _DECODERS:
            return {"$dict": [[k, v] for k, v in items.items()]}
        return items
    if isinstance(o, list | tuple):
        return [_escape_tag_lookalikes(v) for v in o]
    return o


def tagged_object_hook(obj: dict[str, Any]) -> Any:
    """The decoding half of :class:`TaggedJSONEncoder` (an ``object_hook``).

    A tag whose value cannot be what :class:`TaggedJSONEncoder` wrote (a
    ``$set`` of a string, a ``$decimal`` that is not a number, a list in a
    set) raises ``ValueError`` naming the tag; ``Decimal("abc")`` alone would
    raise ``decimal.InvalidOperation`` with no useful message.

    >>> tagged_object_hook({"$decimal": "12.50"}), tagged_object_hook({"$x": 1})
    (Decimal('12.50'), {'$x': 1})
    """
    if len(obj) == 1:
        (key, value), = obj.items()
        if key in _DECODERS:
            kind, decode = _DECODERS[key]
            try:
                if not isinstance(value, kind):
                    raise TypeError(f"expected a {kind.__name__}")
                result = decode(value)
            except (ArithmeticError, TypeError, ValueError) as exc:
                raise ValueError(f"bad {key} value {value!r:.60}: {exc}") from None
            if isinstance(result, Decimal) and not result.is_finite():
                raise ValueError(f"bad {key} value {value!r}: not a finite number")
            return result
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` with the tagged encoder and ``allow_nan=False`` (NaN and
    infinity are not JSON, and other parsers reject them)."""
    return json.dumps(obj, cls=TaggedJSONEncoder, allow_nan=False, **kwargs)


def loads(text: str) -> Any:
    """``json.loads`` that restores what :func:`dumps` tagged.

    >>> loads(dumps({"when": dt.date(2025, 2, 1), "ids": {3, 1}}))
    {'when': datetime.date(2025, 2, 1), 'ids': {1, 3}}
    """
    return json.loads(text, object_hook=tagged_object_hook)


# ---------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------

ORDERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id    TEXT PRIMARY KEY,
    day         TEXT NOT NULL,
    customer    TEXT NOT NULL,
    city        TEXT NOT NULL,
    product     TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
)
"""

_INSERT = "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)"


def order_params(order: Order) -> tuple[Any, ...]:
    """The SQL parameters for one order. Money goes in as whole cents: an
    SQLite REAL is a binary float and would not keep 0.10 exact."""
    cents = order.unit_price * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{order.order_id}: price {order.unit_price} has fractions of a cent")
    return (order.order_id, order.date.isoformat(), order.customer, order.city,
            order.product, order.quantity, int(cents))


def create_orders_table(conn: sqlite3.Connection) -> None:
    """Create the ``orders`` table if it is not there yet."""
    conn.execute(ORDERS_SCHEMA)


def insert_orders_loop(conn: sqlite3.Connection, orders: Iterable[Order]) -> int:
    """Insert with one ``execute`` call per row (the slow way, for comparison)."""
    count = 0
    for order in orders:
        conn.execute(_INSERT, order_params(order))
        count += 1
    return count


def insert_orders_many(conn: sqlite3.Connection, orders: Iterable[Order]) -> int:
    """Insert every row with one ``executemany`` call."""
    cursor = conn.executemany(_INSERT, (order_params(o) for o in orders))
    return cursor.rowcount


def insert_then_crash(db_path: str, rows: int, ready: Any = None) -> None:
    """Child-process target: start a transaction, insert ``rows`` rows, and die.

    With ``ready`` (a ``multiprocessing.Event``) the child signals that its
    rows are written but not committed, then sleeps until the parent kills
    it. Without it, the child ends itself with ``os._exit(3)``, which skips
    every ``finally``, ``with`` exit and ``atexit`` handler: as close to
    pulling the plug as a process can get from inside.
    """
    conn = sqlite3.connect(db_path)
    # A tiny page cache forces SQLite to write changed pages into the database
    # file before the commit (the old pages are saved in the journal first),
    # so the crash leaves a really half-written file for recovery to undo.
    conn.execute("PRAGMA cache_size = 5")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO readings (value) VALUES (?)", ((i,) for i in range(rows)))
    if ready is not None:
        ready.set()
        time.sleep(60)  # the parent kills us long before this ends
    os._exit(3)


def crash_mid_transaction(db_path: str | Path, rows: int, *, how: str = "exit",
                          start_method: str | None = None) -> int:
    """Run :func:`insert_then_crash` in a child process; return its exit code.

    ``how="exit"``: the child calls ``os._exit`` itself. ``how="kill"``: the
    parent waits until the rows are inserted, then kills the child
    (``SIGKILL`` on POSIX). Either way nothing is committed.
    """
    if how not in ("exit", "kill"):
        raise ValueError(f"how must be 'exit' or 'kill', got {how!r}")
    ctx = multiprocessing.get_context(start_method)
    ready = ctx.Event() if how == "kill" else None
    child = ctx.Process(target=insert_then_crash, args=(os.fspath(db_path), rows, ready))
    child.start()
    try:
        if ready is not None:
            if not ready.wait(timeout=60):
                raise RuntimeError("the child never reported its rows inserted")
            child.kill()
        child.join(timeout=60)
    finally:
        if child.is_alive():
            child.kill()
            child.join()
    return child.exitcode


# ---------------------------------------------------------------------------
# Streams: top-k, a priority queue with changing priorities, lazy pipelines
# ---------------------------------------------------------------------------

def top_k(items: Iterable[Any], k: int, *, key: Callable[[Any], Any] | None = None
          ) -> list[Any]:
    """The ``k`` largest items of any iterable, largest first, in O(k) memory.

    A min-heap of the best ``k`` seen so far: its root is the smallest of
    them, so each new item is compared with one value and, if it is larger,
    replaces it in O(log k). Ties keep the earlier item, as ``sorted`` does.

    >>> top_k(iter([5, 1, 9, 3, 9, 7]), 3)
    [9, 9, 7]
    >>> top_k([], 2)
    []
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    key = key or (lambda x: x)
    heap: list[tuple[Any, int, Any]] = []
    # -index: among equal keys the earliest item ranks highest, so it stays
    for index, item in enumerate(items):
        entry = (key(item), -index, item)
        if len(heap) < k:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)
    return [item for _, _, item in sorted(heap, reverse=True)]


class PriorityQueue:
    """A priority queue whose priorities can change, built on ``heapq``.

    ``heapq`` has no "decrease key": an entry inside the heap cannot be found
    or moved cheaply. The usual pattern (from the ``heapq`` docs) marks the
    old entry as removed and pushes a new one; ``pop`` skips removed entries.
    A counter breaks ties in insertion order, so tasks are never compared.

    >>> q = PriorityQueue()
    >>> q.push("write", 5); q.push("test", 3); q.push("ship", 9)
    >>> q.push("ship", 1)          # ship is now the most urgent
    >>> [q.pop() for _ in range(len(q))]
    ['ship', 'test', 'write']
    """

    _REMOVED = object()

    def __init__(self) -> None:
        self._heap: list[list[Any]] = []
        self._entries: dict[Any, list[Any]] = {}
        self._counter = itertools.count()

    def push(self, task: Any, priority: float) -> None:
        """Add ``task``, or change its priority if it is already queued."""
        if task in self._entries:
            self.remove(task)
        entry = [priority, next(self._counter), task]
        self._entries[task] = entry
        heapq.heappush(self._heap, entry)

    def remove(self, task: Any) -> None:
        """Forget ``task``; ``KeyError`` if it is not queued."""
        entry = self._entries.pop(task)
        entry[-1] = self._REMOVED

    def pop(self) -> Any:
        """Remove and return the task with the lowest priority number."""
        while self._heap:
            *_, task = heapq.heappop(self._heap)
            if task is not self._REMOVED:
                del self._entries[task]
                return task
        raise KeyError("pop from an empty priority queue")

    def __len__(self) -> int:
        return len(self._entries)


def write_readings_file(path: str | Path, rows: int, *, seed: int = 0) -> Path:
    """Write ``rows`` sensor readings (``sensor,timestamp,value``) line by
    line, never holding them in memory. One value in a hundred is missing."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    sensors = [f"s{i:02d}" for i in range(20)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["sensor", "timestamp", "value"])
        for i in range(rows):
            value = "" if rng.random() < 0.01 else f"{rng.gauss(20, 5):.3f}"
            writer.writerow([rng.choice(sensors), 1_700_000_000 + i, value])
    return Path(path)


def _readings(path: str | Path) -> Iterator[tuple[str, float]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows, None)  # the header
        present = (r for r in rows if r[2])
        yield from ((sensor, float(value)) for sensor, _, value in present)


def mean_per_sensor_lazy(path: str | Path) -> dict[str, float]:
    """Mean value per sensor in one pass: memory grows with the number of
    sensors, not with the number of lines."""
    totals: dict[str, list[float]] = {}
    for sensor, value in _readings(path):
        acc = totals.setdefault(sensor, [0.0, 0])
        acc[0] += value
        acc[1] += 1
    return {s: total / n for s, (total, n) in sorted(totals.items())}


def mean_per_sensor_eager(path: str | Path) -> dict[str, float]:
    """The same result, after reading every row into a list first."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    totals: dict[str, list[float]] = {}
    for sensor, _, value in rows:
        if value:
            acc = totals.setdefault(sensor, [0.0, 0])
            acc[0] += float(value)
            acc[1] += 1
    return {s: total / n for s, (total, n) in sorted(totals.items())}


# ---------------------------------------------------------------------------
# The chunked sum S = sum of S_j
# ---------------------------------------------------------------------------

def chunks(values: Sequence[Any], count: int) -> list[Sequence[Any]]:
    """Split ``values`` into ``count`` contiguous chunks of nearly equal size.

    >>> [list(c) for c in chunks(range(7), 3)]
    [[0, 1, 2], [3, 4], [5, 6]]
    """
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    size, extra = divmod(len(values), count)
    out, start = [], 0
    for j in range(count):
        stop = start + size + (1 if j < extra else 0)
        out.append(values[start:stop])
        start = stop
    return out


def sum_chunk(chunk: Sequence[float]) -> float:
    """One chunk's sum, left to right. Module-level so processes can run it."""
    return sum(chunk)


def fsum_chunk(chunk: Sequence[float]) -> float:
    """One chunk's correctly rounded sum (``math.fsum``)."""
    return math.fsum(chunk)


def exact_chunk(chunk: Sequence[float]) -> tuple[int, int]:
    """One chunk's exact sum as a fraction ``(numerator, denominator)``.

    Every float is a fraction with a power-of-two denominator, so the sum is
    exact; the pair pickles cheaply between processes.
    """
    from fractions import Fraction

    total = sum(map(Fraction, chunk), Fraction(0))
    return total.numerator, total.denominator


def _check_numbers(values: Sequence[Any]) -> None:
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError(f"values[{i}] is {v!r} ({type(v).__name__}), not a number")


def chunked_sum(values: Sequence[float], *, chunk_count: int = 4, workers: int = 1,
                kind: str = "process", start_method: str | None = None,
                method: str = "sum") -> float:
    """S = S_1 + ... + S_k: sum each chunk (in a pool if ``workers > 1``),
    then add the chunk sums.

    ``method`` picks how each chunk and the total are added: ``"sum"`` (plain
    float addition, so the result depends on the chunking), ``"fsum"``
    (``math.fsum`` for the chunks and for the total: each chunk sum is
    correctly rounded, so the error is at most half a unit in the last place
    of each chunk sum, but rounding the chunk sums *before* adding them can
    still move the last digit) or ``"exact"`` (fractions, rounded once at the
    end: the true sum's nearest float, whatever the chunking).
    """
    _check_numbers(values)
    funcs = {"sum": sum_chunk, "fsum": fsum_chunk, "exact": exact_chunk}
    if method not in funcs:
        raise ValueError(f"method must be 'sum', 'fsum' or 'exact', got {method!r}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    parts = chunks(values, chunk_count)
    func = funcs[method]
    if workers == 1:
        partials = [func(p) for p in parts]
    else:
        with _executor(kind, workers, start_method) as pool:
            partials = list(pool.map(func, parts))
    if method == "sum":
        return sum(partials)
    if method == "fsum":
        return math.fsum(partials)
    from fractions import Fraction

    return float(sum((Fraction(n, d) for n, d in partials), Fraction(0)))


def _executor(kind: str, workers: int, start_method: str | None) -> Executor:
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers)
    if kind == "process":
        return ProcessPoolExecutor(max_workers=workers,
                                   mp_context=multiprocessing.get_context(start_method))
    raise ValueError(f"kind must be 'thread' or 'process', got {kind!r}")


def spread_floats(n: int, *, seed: int = 0) -> list[float]:
    """``n`` floats of both signs spread over twenty orders of magnitude: the
    kind of data on which the order of additions changes the float sum."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    return [rng.choice((-1, 1)) * rng.random() * 10.0 ** rng.randint(-6, 14)
            for _ in range(n)]


# ---------------------------------------------------------------------------
# Exercise checks
# ---------------------------------------------------------------------------

def check_property(c: Checker, description: str,
                   cases: Iterable[tuple[str, Callable[[], Any], Callable[[Any], str | None]]]
                   ) -> None:
    """One self-check made of many generated cases (a seeded property check).

    Each case is ``(text, call, judge)``: ``call()`` runs the reader's code
    and ``judge(result)`` returns ``None`` or what is wrong. The first
    counterexample is reported, with the input that produced it, so the
    reader can reproduce it.
    """

    def first_counterexample() -> str:
        for text, call, judge in cases:
            try:
                got = call()
            except NotImplementedError:
                raise
            except Exception as exc:  # the reader's bug, shown with its input
                return f"{text} raised {type(exc).__name__}: {exc}"
            problem = judge(got)
            if problem:
                return f"{text}: {problem}"
        return "none"

    c.expect(f"{description}; counterexample", first_counterexample, "none")



def check_top_k(func: Callable[[Iterable[int], int], list[int]]) -> Feedback:
    """Check ``func(iterable, k)`` against ``sorted`` on 300 random streams
    (a seeded property check) and on edge cases."""

    def body(c: Checker) -> None:
        c.expect("top(iter([4, 1, 7]), 2)", lambda: func(iter([4, 1, 7]), 2), [7, 4])
        c.expect("top(iter([]), 3) (an empty stream)", lambda: func(iter([]), 3), [])
        c.expect("top(iter([2, 1]), 5) (k larger than the stream)",
                 lambda: func(iter([2, 1]), 5), [2, 1])
        c.expect("top(itertools.islice(itertools.count(), 10_000), 2) (a long generator)",
                 lambda: func(itertools.islice(itertools.count(), 10_000), 2), [9999, 9998])
        c.expect_raises("top([1], 0) (k must be positive)", lambda: func([1], 0), ValueError)
        c.expect("top of 2,000 items with k=3 holds at most 100 of them at once"
                 " (memory proportional to k, not to the stream)",
                 lambda: _most_items_alive(func, 2_000, 3) <= 100, True)
        rng = random.Random(4)  # noqa: S311 - reproducible data, not secrets

        def cases():
            for _ in range(300):
                data = [rng.randint(-50, 50) for _ in range(rng.randint(0, 40))]
                k = rng.randint(1, 10)
                want = sorted(data, reverse=True)[:k]
                yield (f"top(iter({data}), {k})", lambda d=data, k=k: func(iter(d), k),
                       lambda got, want=want: None if got == want
                       else f"expected {want}, got {got!r}")

        check_property(c, "300 random streams agree with sorted(...)[:k]", cases())

    return run_checks("top", body)


class _Counted(int):
    """An int that counts how many of its kind are alive (not yet freed)."""

    alive = 0
    peak = 0

    def __new__(cls, value: int) -> _Counted:
        cls.alive += 1
        cls.peak = max(cls.peak, cls.alive)
        return super().__new__(cls, value)

    def __del__(self) -> None:
        type(self).alive -= 1


def _most_items_alive(func: Callable[[Iterable[int], int], list[int]], n: int, k: int) -> int:
    """Run ``func(stream, k)`` on ``n`` fresh items and return the largest
    number of them alive at one time: about ``k`` for a heap of size ``k``,
    ``n`` for ``sorted(stream)[:k]``, which holds the whole stream."""
    counted = type("Counted", (_Counted,), {"alive": 0, "peak": 0})
    rng = random.Random(11)  # noqa: S311 - reproducible data, not secrets
    func((counted(rng.randrange(10**6)) for _ in range(n)), k)
    return counted.peak


def _endless_stream(limit: int = 1000) -> Iterator[int]:
    """0, 1, 2, ... standing in for an endless stream: a function that tries
    to read all of it gets an error instead of hanging the notebook."""
    yield from range(limit)
    raise RuntimeError(f"read more than {limit} items of an endless stream: "
                       "the function must not consume its input eagerly")


def check_moving_average(func: Callable[[Iterable[float], int], Iterator[float]]
                         ) -> Feedback:
    """Check a lazy ``func(values, window)`` moving average."""

    def naive(values: list[float], w: int) -> list[float]:
        return [math.fsum(values[i - w + 1:i + 1]) / w for i in range(w - 1, len(values))]

    def body(c: Checker) -> None:
        c.expect("list(moving_average([1, 2, 3, 4], 2))",
                 lambda: list(func([1, 2, 3, 4], 2)), [1.5, 2.5, 3.5])
        c.expect("list(moving_average([1, 2], 3)) (window longer than the data)",
                 lambda: list(func([1, 2], 3)), [])
        c.expect("first 3 of moving_average(endless_stream(), 4): is it lazy?",
                 lambda: list(itertools.islice(func(_endless_stream(), 4), 3)),
                 [1.5, 2.5, 3.5])
        c.expect_raises("moving_average([1], 0), not iterated (raise when called)",
                        lambda: func([1], 0), ValueError)
        c.expect("list(moving_average([1e16, 1, 1, 1], 2)) (a running total drifts)",
                 lambda: list(func([1e16, 1, 1, 1], 2)), [5e15, 1.0, 1.0])
        rng = random.Random(7)  # noqa: S311 - reproducible data, not secrets

        def judge(got: Any, want: list[float]) -> str | None:
            if len(got) != len(want) or any(abs(a - b) > 1e-9
                                             for a, b in zip(got, want, strict=True)):
                return f"expected {want}, got {got}"
            return None

        def cases():
            for _ in range(200):
                data = [rng.randint(-100, 100) for _ in range(rng.randint(0, 30))]
                w = rng.randint(1, 6)
                want = naive(data, w)
                yield (f"list(moving_average({data}, {w}))",
                       lambda d=data, w=w: list(func(iter(d), w)),
                       lambda got, want=want: judge(got, want))

        check_property(c, "200 random lists agree with slicing and sum", cases())

    return run_checks("moving_average", body)


def _exercise_db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE customers (name TEXT, city TEXT)")
    conn.executemany("INSERT INTO customers VALUES (?, ?)", [
        ("Ada", "Oslo"), ("Ines O'Brien", "Lagos"), ("Zoë", "Zürich"), ("Grace", "Oslo")])
    conn.commit()
    return conn


def check_customers_in(func: Callable[[sqlite3.Connection, str], list[str]]) -> Feedback:
    """Check ``func(conn, city)``: sorted names in that city, safe against
    injection (the city is data, never SQL)."""

    def body(c: Checker) -> None:
        conn = _exercise_db()
        try:
            c.expect("customers_in(conn, 'Oslo')", lambda: func(conn, "Oslo"), ["Ada", "Grace"])
            c.expect("customers_in(conn, 'Zürich')", lambda: func(conn, "Zürich"), ["Zoë"])
            c.expect("customers_in(conn, 'Atlantis')", lambda: func(conn, "Atlantis"), [])
            c.expect("customers_in(conn, \"x' OR '1'='1\") (an injection attempt)",
                     lambda: func(conn, "x' OR '1'='1"), [])
            c.expect("customers_in(conn, \"Lagos'--\")", lambda: func(conn, "Lagos'--"), [])
            c.expect("table still has 4 rows afterwards",
                     lambda: conn.execute("SELECT count(*) FROM customers").fetchone()[0], 4)
        finally:
            conn.close()

    return run_checks("customers_in", body)


def moving_average(values: Iterable[float], window: int) -> Iterator[float]:
    """Means of each run of ``window`` consecutive values, lazily (a deque
    holds the window, so an endless stream is fine).

    >>> list(moving_average([2, 4, 6, 8], 3))
    [4.0, 6.0]
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    return _moving_average(values, window)


def _moving_average(values: Iterable[float], window: int) -> Iterator[float]:
    # math.fsum of the window, not a running total: "total -= oldest" drifts
    # for good once a large value has passed ([1e16, 1, 1, 1], window 2, would
    # give 0.5 for the window [1, 1]). fsum costs O(window) per value.
    buf: deque[float] = deque(maxlen=window)
    for v in values:
        buf.append(v)
        if len(buf) == window:
            yield math.fsum(buf) / window
