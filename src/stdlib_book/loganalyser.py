"""loganalyser: stream a web-server access log and report what happened.

The log format is Apache's **Combined Log Format** with one field appended,
``%D``, the time taken to serve the request in **microseconds**:

    LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D"

(nginx can write the same with ``$request_time``, in seconds with millisecond
resolution; ``--time-unit s`` reads that variant.) A line without the
trailing field is still counted, it just has no response time.

The analyser reads one line at a time, at most ``MAX_LINE`` characters of it (a
longer one, say a crashed log's megabytes of NUL bytes, is malformed), and keeps only
counters whose size depends on how many *different* statuses, paths, clients and
minutes there are, never on how many lines: memory stays flat as the log grows
(chapter 9 measures it). Lines it cannot parse are counted and reported, never fatal.

    python -m stdlib_book.loganalyser generate OUT.log --lines N [--seed S]
    python -m stdlib_book.loganalyser analyse LOG [--out DIR] [--top N] [--force]

Exit codes: the package's contract (:mod:`stdlib_book.cli`); see ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import itertools
import math
import random
import re
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from stdlib_book.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, UsageError, program_parser, run_main
from stdlib_book.selfcheck import Checker, Feedback, run_checks

#: What this program means by the contract's codes 1 and 3.
EXIT_CODES = {1: "done, but more than --max-bad of the lines were malformed, the log "
                 "ended early (a truncated .gz), or the plot was skipped (no matplotlib)",
              3: "failed: not one line of the log could be read"}
EXIT_TOO_MANY_BAD = EXIT_PARTIAL

LINE = re.compile(
    r'(?P<client>\S+) \S+ \S+ \[(?P<time>\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2}) [+-]\d{4}\] '
    r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/\d(?:\.\d)?" (?P<status>\d{3}) (?P<size>\d+|-)'
    r'(?: "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*")?(?: (?P<duration>\d+(?:\.\d+)?))?\s*$'
)
_ID = re.compile(r"/\d+(?=/|$)")
MAX_LINE = 65_536  # characters; Apache refuses request lines over 8,190 bytes anyway


def endpoint(target: str) -> str:
    """The request target reduced to an endpoint: no query string, numeric
    path segments replaced by ``:id``. Without this, every ``/search?q=...``
    and every ``/products/123`` would be a key of its own and the counters
    would grow with the log.

    >>> endpoint("/products/123/reviews?page=2"), endpoint("/search?q=socks")
    ('/products/:id/reviews', '/search')
    """
    return _ID.sub("/:id", target.split("?", 1)[0].split("#", 1)[0]) or "/"


class LatencyHistogram:
    """Response times in fixed, geometrically growing buckets (10% wide).

    Exact percentiles need every value kept; a histogram has a fixed size
    however many values it sees, and gives each percentile to within 10%.

    >>> h = LatencyHistogram()
    >>> for ms in range(1, 101):
    ...     h.add(ms)
    >>> h.count, h.max, round(h.quantile(0.5)), round(h.quantile(0.95))
    (100, 100, 54, 96)
    """

    EDGES = [0.1 * 1.1**i for i in range(170)]  # 0.1 ms ... about 1,000 s

    def __init__(self) -> None:
        self.buckets = [0] * (len(self.EDGES) + 1)
        self.count, self.total, self.max = 0, 0.0, 0.0

    def add(self, ms: float) -> None:
        self.buckets[bisect.bisect_left(self.EDGES, ms)] += 1
        self.count += 1
        self.total += ms
        self.max = max(self.max, ms)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    def quantile(self, q: float) -> float:
        """Upper edge of the bucket holding the ``q`` quantile (never above the max)."""
        if not self.count:
            return math.nan
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for i, n in enumerate(self.buckets):
            seen += n
            if seen >= rank:
                return min(self.EDGES[min(i, len(self.EDGES) - 1)], self.max)
        return self.max  # pragma: no cover - the loop always reaches rank


@dataclass
class Analysis:
    lines: int = 0
    malformed: int = 0
    malformed_examples: list[tuple[int, str]] = field(default_factory=list)
    status: Counter[str] = field(default_factory=Counter)
    endpoints: Counter[str] = field(default_factory=Counter)
    endpoint_errors: Counter[str] = field(default_factory=Counter)
    clients: Counter[str] = field(default_factory=Counter)
    hours: Counter[str] = field(default_factory=Counter)
    minutes: Counter[str] = field(default_factory=Counter)  # "dd/Mon/yyyy:HH:MM"
    read_error: str | None = None  # why reading stopped early (a truncated .gz), or None
    minute_errors: Counter[str] = field(default_factory=Counter)
    latency: defaultdict[str, LatencyHistogram] = field(
        default_factory=lambda: defaultdict(LatencyHistogram))

    @property
    def parsed(self) -> int:
        return self.lines - self.malformed


def analyse(lines: Iterable[str], *, time_unit: str = "us", keep_examples: int = 5) -> Analysis:
    """Count everything in one pass over ``lines`` (any iterable: an open
    file is read lazily, line by line)."""
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}.get(time_unit)
    if scale is None:
        raise ValueError(f"time_unit must be 'us', 'ms' or 's', got {time_unit!r}")
    a = Analysis()
    match = LINE.match
    for number, line in enumerate(lines, start=1):
        a.lines += 1
        m = match(line)
        if m is None:
            a.malformed += 1
            if len(a.malformed_examples) < keep_examples:
                a.malformed_examples.append((number, line.rstrip("\n")[:80]))
            continue
        status, ts = m["status"], m["time"]
        ep = endpoint(m["target"])
        a.status[status] += 1
        a.endpoints[ep] += 1
        a.clients[m["client"]] += 1
        a.hours[ts[12:14]] += 1
        minute = ts[:17]
        a.minutes[minute] += 1
        if status[0] == "5":
            a.minute_errors[minute] += 1
            a.endpoint_errors[ep] += 1
        if m["duration"] is not None:
            a.latency[ep].add(float(m["duration"]) * scale)
    return a


@dataclass(frozen=True)
class Spike:
    start: str
    end: str
    requests: int
    errors: int


def error_spikes(a: Analysis, *, window: int = 5, min_errors: int = 5,
                 factor: float = 5.0) -> list[Spike]:
    """Runs of consecutive ``window``-minute windows in which 5xx responses
    were at least ``min_errors`` and at least ``factor`` times the log's
    overall 5xx share (and never less than 10% of the window's requests).

    Windows, not single minutes: a small site has too few requests in one
    minute for any share to mean much.
    """
    if window < 1 or 60 % window:
        raise ValueError(f"window must divide 60 minutes, got {window}")
    requests: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for minute, n in a.minutes.items():  # "dd/Mon/yyyy:HH:MM", in log (time) order
        key = f"{minute[:15]}{int(minute[15:17]) // window * window:02d}"
        requests[key] += n
        errors[key] += a.minute_errors[minute]
    total = sum(requests.values())
    if not total:
        return []
    threshold = max(0.10, factor * sum(errors.values()) / total)
    spikes: list[Spike] = []
    run: list[str] = []
    for key in [*requests, None]:
        if (key is not None and errors[key] >= min_errors
                and errors[key] / requests[key] >= threshold):
            run.append(key)
            continue
        if run:
            last = run[-1]
            end = f"{last[:15]}{int(last[15:17]) + window - 1:02d}"
            spikes.append(Spike(run[0], end, sum(requests[k] for k in run),
                                sum(errors[k] for k in run)))
            run = []
    return spikes


def slowest(a: Analysis, top: int = 5, *, min_requests: int = 10) -> list[tuple]:
    """(endpoint, requests, mean ms, p95 ms, max ms), slowest p95 first."""
    rows = [(ep, h.count, h.mean, h.quantile(0.95), h.max)
            for ep, h in a.latency.items() if h.count >= min_requests]
    return sorted(rows, key=lambda r: (-r[3], r[0]))[:top]


def open_log(path: str | Path) -> TextIO:
    """Open a log for streaming: ``-`` is standard input, ``.gz`` is
    decompressed on the fly. Undecodable bytes become U+FFFD instead of
    stopping the run (the line is then parsed or counted as malformed)."""
    if str(path) == "-":
        return open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)
    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def analyse_file(path: str | Path, **kwargs) -> Analysis:
    """:func:`analyse` over a log file, at most ``MAX_LINE`` characters a line.
    A file that stops being readable part-way (a ``.gz`` cut short by a full
    disk or an interrupted copy) keeps what was read; ``read_error`` says why."""
    problems: list[str] = []
    with open_log(path) as f:
        a = analyse(_until_unreadable(f, problems), **kwargs)
    a.read_error = problems[0] if problems else None
    return a


def _until_unreadable(f: TextIO, problems: list[str]) -> Iterable[str]:
    """The lines of ``f`` until it cannot be read (``problems`` says why); a line over
    ``MAX_LINE`` characters is cut to end in `` [cut]`` (never a ``LINE``), its rest dropped."""
    try:
        while line := f.readline(MAX_LINE):
            if len(line) == MAX_LINE and not line.endswith("\n"):
                while (rest := f.readline(MAX_LINE)) and not rest.endswith("\n"):
                    pass
                line = line[:200] + " [cut]"
            yield line
    except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        problems.append(str(exc) or type(exc).__name__)


# -- a deterministic log generator ---------------------------------------------------

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# endpoint template, weight, median ms, methods
_ENDPOINTS = [
    ("/", 14, 12, "GET"), ("/products/{id}", 22, 35, "GET"), ("/search?q={word}", 10, 180, "GET"),
    ("/static/app.js", 12, 2, "GET"), ("/static/style.css", 10, 2, "GET"),
    ("/api/cart", 8, 40, "POST"), ("/api/checkout", 4, 120, "POST"),
    ("/login", 5, 60, "POST"), ("/reports/{id}/pdf", 2, 1500, "GET"),
    ("/favicon.ico", 6, 1, "GET"), ("/old-page", 2, 3, "GET"),
]
_WORDS = ["socks", "shoes", "hat", "scarf", "gloves", "coat", "boots"]
_AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0',
           'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/122.0',
           'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) Safari/604.1']
_BOT = "203.0.113.7"


def _timestamp(seconds: int) -> str:
    """Seconds since 2024-03-10 00:00:00 as a log timestamp (the log is UTC)."""
    day, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return f"{10 + day:02d}/{_MONTHS[2]}/2024:{h:02d}:{m:02d}:{s:02d} +0000"


def generate_lines(n: int, *, seed: int = 0, bad_fraction: float = 0.003) -> Iterable[str]:
    """Yield ``n`` log lines covering one day (10 March 2024), deterministic for a seed.

    Traffic follows a day/night curve; clients come from the documentation
    address ranges (RFC 5737), with one crawler making ~8% of requests;
    ``/reports/:id/pdf`` and ``/search`` are slow; from 14:00 to 14:11 the
    ``/api/`` endpoints mostly fail with 503 and 10% of the rest with 500 (the
    error spike to find); about ``bad_fraction`` of the lines are malformed in assorted ways.
    """
    if n < 0:
        raise ValueError(f"n must be zero or more, got {n}")
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data
    nets = ("192.0.2", "198.51.100", "203.0.113")
    clients = [f"{net}.{i}" for net in nets for i in range(1, 101)]
    cum_weights = list(itertools.accumulate(w for _, w, _, _ in _ENDPOINTS))
    spike = range(14 * 3600, 14 * 3600 + 12 * 60)
    for i in range(n):
        u = (i + 0.5) / n
        # More traffic by day than by night: invert a cumulative rate 1 - 0.6 cos(2 pi u).
        t = min(86399, max(0, int(86400 * (u + 0.6 * math.sin(2 * math.pi * u) / (2 * math.pi)))))
        if rng.random() < bad_fraction:
            yield _malformed(rng, t) + "\n"
            continue
        template, _, median, method = rng.choices(_ENDPOINTS, cum_weights=cum_weights)[0]
        target = template.format(id=rng.randrange(1, 500), word=rng.choice(_WORDS))
        bot = rng.random() < 0.08
        client = _BOT if bot else rng.choice(clients)
        agent = "BadBot/1.0 (+http://bot.invalid)" if bot else rng.choice(_AGENTS)
        status = 200
        r = rng.random()
        if template == "/old-page":
            status = 301
        elif r < 0.03:
            status = 404
        elif r < 0.033:
            status = 500
        elif template.startswith("/static") and r < 0.2:
            status = 304
        if t in spike:  # the payment backend is down: the API fails, the rest struggles
            if template.startswith("/api/") and r < 0.7:
                status = 503
            elif r < 0.1:
                status = 500
        ms = median * math.exp(rng.gauss(0, 0.5))
        size = 0 if status in (301, 304) else rng.randrange(200, 40_000)
        yield (f'{client} - - [{_timestamp(t)}] "{method} {target} HTTP/1.1" {status} {size} '
               f'"-" "{agent}" {round(ms * 1000)}\n')


def _malformed(rng: random.Random, t: int) -> str:
    kind = rng.randrange(6)
    good = f'192.0.2.9 - - [{_timestamp(t)}] "GET / HTTP/1.1" 200 512 "-" "curl/8.5" 1200'
    if kind == 0:
        return good[: rng.randrange(10, len(good) - 10)]  # truncated by a crash
    if kind == 1:
        return ""  # blank line
    if kind == 2:
        return good.replace(" 200 ", " 2OO ")  # letter O in the status
    if kind == 3:
        return good.replace('"GET / HTTP/1.1"', '"\\x16\\x03\\x01\\x02\\x00"')  # TLS to plain HTTP
    if kind == 4:
        return good.replace("[", "", 1)  # broken timestamp
    # Binary garbage: lone surrogates, written as raw bytes 0x80-0xff (surrogateescape).
    return "".join(chr(0xDC80 + rng.randrange(128)) for _ in range(rng.randrange(1, 30)))


def generate_log(path: str | Path, n: int, *, seed: int = 0, bad_fraction: float = 0.003) -> Path:
    """Write :func:`generate_lines` to ``path`` (gzip-compressed if it ends in ``.gz``)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", errors="surrogateescape") as f:
        f.writelines(generate_lines(n, seed=seed, bad_fraction=bad_fraction))
    return path


# -- outputs ---------------------------------------------------------------------------

OUTPUT_FILES = ("status.csv", "endpoints.csv", "clients.csv", "hours.csv", "spikes.csv",
                "per-minute.png")


def write_csvs(a: Analysis, out: Path) -> list[Path]:
    """One CSV per table, with a header row; returns the files written."""
    spikes = error_spikes(a)
    tables = {
        "status.csv": (["status", "requests"], sorted(a.status.items())),
        "endpoints.csv": (
            ["endpoint", "requests", "5xx", "mean_ms", "p95_ms", "max_ms"],
            [(ep, n, a.endpoint_errors[ep], *_latency_cells(a, ep))
             for ep, n in sorted(a.endpoints.items(), key=lambda kv: (-kv[1], kv[0]))]),
        "clients.csv": (["client", "requests"],
                        sorted(a.clients.items(), key=lambda kv: (-kv[1], kv[0]))),
        "hours.csv": (["hour", "requests"], sorted(a.hours.items())),
        "spikes.csv": (["start", "end", "requests", "5xx"],
                       [(s.start, s.end, s.requests, s.errors) for s in spikes]),
    }
    written = []
    for name, (header, rows) in tables.items():
        path = out / name
        with open(path, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([header, *rows])
        written.append(path)
    return written


def _latency_cells(a: Analysis, ep: str) -> list[str]:
    h = a.latency.get(ep)
    if h is None or not h.count:
        return ["", "", ""]
    return [f"{h.mean:.1f}", f"{h.quantile(0.95):.1f}", f"{h.max:.1f}"]


def per_minute_figure(a: Analysis, *, bucket_minutes: int = 10):
    """Requests and 5xx responses per ``bucket_minutes``, with spikes shaded."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    def index(minute: str) -> int:  # minutes since the start of the log's day
        return int(minute[12:14]) * 60 + int(minute[15:17])

    buckets: Counter[int] = Counter()
    errors: Counter[int] = Counter()
    for minute, n in a.minutes.items():
        buckets[index(minute) // bucket_minutes] += n
        errors[index(minute) // bucket_minutes] += a.minute_errors[minute]
    xs = sorted(buckets)
    hours = [x * bucket_minutes / 60 for x in xs]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    ax.plot(hours, [buckets[x] for x in xs], label="requests")
    ax.plot(hours, [errors[x] for x in xs], label="5xx responses", color="tab:red")
    for s in error_spikes(a):
        ax.axvspan(index(s.start) / 60, (index(s.end) + 1) / 60, color="tab:red", alpha=0.2)
    ax.set(title=f"Traffic per {bucket_minutes} minutes (error spikes shaded)",
           xlabel="hour of the day (log time)", ylabel="count", xlim=(0, 24))
    ax.grid(True, alpha=0.3)
    ax.legend()
    plt.close(fig)
    return fig


def text_report(a: Analysis, *, top: int = 5) -> str:
    pct = (lambda n: f"{100 * n / a.parsed:5.1f}%") if a.parsed else (lambda n: "    -")
    out = [f"lines: {a.lines:,}  parsed: {a.parsed:,}  malformed: {a.malformed:,}", "",
           "status  requests"]
    out += [f"{s:<6}  {n:>8,} {pct(n)}" for s, n in sorted(a.status.items())]
    out += ["", f"top {top} endpoints         requests    5xx"]
    out += [f"{ep:<24} {n:>9,} {a.endpoint_errors[ep]:>6,}"
            for ep, n in sorted(a.endpoints.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    out += ["", f"top {top} clients      requests"]
    out += [f"{c:<18} {n:>9,} {pct(n)}"
            for c, n in sorted(a.clients.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    busiest = sorted(a.hours.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    out += ["", "busiest hours: " + ", ".join(f"{h}:00 ({n:,})" for h, n in busiest)]
    out += ["", "slowest endpoints (p95)   requests   mean ms    p95 ms    max ms"]
    out += [f"{ep:<24} {n:>9,} {mean:>9.1f} {p95:>9.1f} {mx:>9.1f}"
            for ep, n, mean, p95, mx in slowest(a, top)]
    spikes = error_spikes(a)
    out += ["", f"error spikes: {len(spikes)}"]
    out += [f"  {s.start} to {s.end}: {s.errors:,} of {s.requests:,} requests were 5xx"
            for s in spikes]
    return "\n".join(out)


def peak_memory(func, *args, **kwargs) -> tuple[object, int]:
    """Call ``func`` and return ``(result, peak bytes allocated meanwhile)``,
    measured with :mod:`tracemalloc` (Python allocations only, which is what
    grows if a program keeps lines it has read)."""
    import tracemalloc

    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        result = func(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not already:
            tracemalloc.stop()
    return result, peak


# -- command line ----------------------------------------------------------------------


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, zero or more, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = program_parser(
        "loganalyser", "Analyse a Combined Log Format access log (with the response time, "
        "Apache's %%D, appended) in one streaming pass, or generate a sample log.", EXIT_CODES)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    an = sub.add_parser("analyse", help="report on a log",
                        description="Report on LOG ('-' for standard input; .gz is read "
                        "compressed). With --out, also write CSV tables and a plot.")
    an.add_argument("log", help="the access log")
    an.add_argument("--out", type=Path, metavar="DIR", help="write CSV files and a PNG plot here")
    an.add_argument("--force", action="store_true", help="replace output files that exist")
    an.add_argument("--top", type=_count, default=5, metavar="N", help="rows per table (5)")
    an.add_argument("--time-unit", choices=["us", "ms", "s"], default="us",
                    help="unit of the last field: us for Apache %%D (default), s for nginx "
                    "$request_time")
    an.add_argument("--max-bad", type=_fraction, default=0.05, metavar="FRACTION",
                    help="exit with 1 if more than this share of lines is malformed (0.05)")
    gen = sub.add_parser("generate", help="write a deterministic sample log",
                         description="Write a sample log of one day's traffic.")
    gen.add_argument("out", type=Path, help="file to write (.gz to compress)")
    gen.add_argument("--lines", type=_count, default=10_000, metavar="N",
                     help="number of lines (%(default)s)")
    gen.add_argument("--seed", type=int, default=0, help="random seed (%(default)s)")
    gen.add_argument("--force", action="store_true", help="replace OUT if it exists")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "generate":
        if args.out.exists() and not args.force:
            raise UsageError(f"output exists (use --force to replace it): {args.out}")
        generate_log(args.out, args.lines, seed=args.seed)
        print(f"wrote {args.lines:,} lines to {args.out}")
        return EXIT_OK
    if args.log != "-" and not Path(args.log).is_file():
        raise UsageError(f"no such log file: {args.log}")
    if args.out is not None:
        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"--out is not a directory: {args.out}")
        clash = [n for n in OUTPUT_FILES if (args.out / n).exists()]
        if clash and not args.force:
            raise UsageError(f"output files exist in {args.out} (use --force): "
                             f"{', '.join(clash)}")
    a = analyse_file(args.log, time_unit=args.time_unit)
    if a.read_error is not None and not a.lines:
        print(f"loganalyser: cannot read {args.log}: {a.read_error}", file=sys.stderr)
        return EXIT_FAILED
    status = EXIT_OK
    print(text_report(a, top=args.top))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        written = [p.name for p in write_csvs(a, args.out)]
        try:
            per_minute_figure(a).savefig(args.out / "per-minute.png", dpi=80)
            written.append("per-minute.png")
        except ImportError as exc:  # matplotlib is optional: the tables are the report
            print(f"loganalyser: per-minute.png not written ({exc.name or 'matplotlib'} "
                  "is not installed)", file=sys.stderr)
            status = EXIT_PARTIAL
        print(f"\nwrote {', '.join(written)} to {args.out}")
    if a.read_error is not None:
        print(f"loganalyser: {args.log} ends early after line {a.lines:,} ({a.read_error}); "
              "the report covers the lines before it", file=sys.stderr)
        status = EXIT_PARTIAL
    if a.malformed:
        print(f"loganalyser: {a.malformed:,} malformed line(s) skipped, for example:",
              file=sys.stderr)
        for number, text in a.malformed_examples:
            print(f"  line {number}: {text!r}", file=sys.stderr)
    bad_share = a.malformed / a.lines if a.lines else 0.0
    return EXIT_TOO_MANY_BAD if bad_share > args.max_bad else status


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(build_parser(), _run, argv)


# -- exercise check ------------------------------------------------------------------


def check_bytes_by_endpoint(func) -> Feedback:
    """Check ``func(lines)``: endpoint -> total response bytes, lines read in one pass; a
    size of ``-`` counts as 0, malformed lines (and sizes int() refuses) are skipped."""
    sample = list(generate_lines(400, seed=5, bad_fraction=0.05))
    want: Counter[str] = Counter()
    for line in sample:
        if m := LINE.match(line):
            want[endpoint(m["target"])] += 0 if m["size"] == "-" else int(m["size"])

    def line(target: str, size: str) -> str:
        return f'192.0.2.1 - - [10/Mar/2024:00:00:01 +0000] "GET {target} HTTP/1.1" 200 {size}\n'

    def body(c: Checker) -> None:
        c.expect("400 generated lines, given as a list", lambda: dict(func(sample)), dict(want))
        c.expect("the same lines as a one-pass iterator", lambda: dict(func(iter(sample))),
                 dict(want))
        c.expect("an empty log", lambda: dict(func([])), {})
        c.expect("query strings and ids merged into one endpoint",
                 lambda: dict(func([line("/search?q=a", "100"), line("/search?q=b", "50"),
                                    line("/products/7", "10"), line("/products/8", "5")])),
                 {"/search": 150, "/products/:id": 15})
        c.expect("a size of '-' counts as 0 bytes",
                 lambda: dict(func([line("/", "-"), line("/", "7")])), {"/": 7})
        c.expect("garbage, a 5,000-digit size too (int() refuses it), is skipped, never raised",
                 lambda: dict(func(["", "\x00\xff", '"', line("/", "9" * 5000), line("/", "3")])),
                 {"/": 3})

    return run_checks("bytes_by_endpoint", body)


if __name__ == "__main__":
    sys.exit(main())
