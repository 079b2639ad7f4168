"""A small scheduler for recurring tasks, built on the standard library only.

What ``sched`` does not give you, and this module does:

* **fixed-rate runs without drift**: the *n*-th run is due at
  ``first + n * interval``, however long the earlier runs took (re-entering a
  task "in ``interval`` seconds" at the end of each run adds the run's own
  duration every time);
* **a raising task does not stop the others**: the exception is logged with
  :mod:`logging` (logger ``stdlib_book.scheduler``) and the task stays scheduled;
* **long tasks run on a thread pool**, so they do not hold up the loop, and a
  task never overlaps itself (a slot that comes round while the previous run is
  still busy is skipped and logged);
* **calendar tasks** ("every day at 02:30 Europe/London") that stay right across
  daylight-saving changes (see :func:`next_daily`) and across changes of the wall
  clock itself: a calendar job is due when the *wall clock* reaches its target,
  the loop re-reads the wall clock at least every :data:`WALL_RECHECK` seconds
  (cron checks once a minute), and the next target is planned strictly after the
  previous one, so a clock stepped back never runs a job twice, a clock stepped
  forward makes a job late by at most :data:`WALL_RECHECK` seconds, and a job
  whose time passed while the machine was suspended (Linux's monotonic clock
  stops during suspend) runs once, within :data:`WALL_RECHECK` seconds of waking;
* **a clean stop**: :meth:`Scheduler.stop` wakes the loop at once, waits for
  running tasks and leaves no thread behind;
* **an injectable clock**, so tests drive hours of schedule in microseconds with
  :class:`FakeClock` instead of sleeping.
"""

from __future__ import annotations

import logging
import math
import threading
import time as _time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

log = logging.getLogger("stdlib_book.scheduler")

#: The longest the loop waits, while a calendar job is scheduled, before it reads
#: the wall clock again (cron checks once a minute).
WALL_RECHECK = 60.0

LocalKind = Literal["normal", "nonexistent", "ambiguous"]


# --------------------------------------------------------------------------- clocks
class Clock(Protocol):
    """What the scheduler needs from time: two readings and a way to wait."""

    def monotonic(self) -> float: ...  # for intervals: never jumps
    def time(self) -> float: ...  # wall clock (epoch seconds), for calendar tasks
    def wait(self, event: threading.Event, timeout: float) -> bool: ...


class SystemClock:
    """The real clock: ``time.monotonic`` for intervals, ``time.time`` for dates."""

    def monotonic(self) -> float:
        return _time.monotonic()

    def time(self) -> float:
        return _time.time()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        return event.wait(max(timeout, 0.0))


class FakeClock:
    """A clock that only moves when told to: waiting advances it instantly.

    >>> clock = FakeClock(wall=datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    >>> clock.wait(threading.Event(), 90.0)
    False
    >>> clock.monotonic(), datetime.fromtimestamp(clock.time(), UTC).isoformat()
    (90.0, '2026-01-01T00:01:30+00:00')
    """

    def __init__(self, start: float = 0.0, *, wall: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._wall_offset = float(wall) - self._now
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def time(self) -> float:
        with self._lock:
            return self._now + self._wall_offset

    def advance(self, seconds: float) -> None:
        """Move time forward (a task "taking" ``seconds`` calls this)."""
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
        with self._lock:
            self._now += seconds

    def step_wall(self, seconds: float) -> None:
        """Step the wall clock alone, forward or back (an NTP step, an admin's ``date -s``).

        >>> clock = FakeClock(wall=1000.0)
        >>> clock.step_wall(-5)
        >>> clock.monotonic(), clock.time()
        (0.0, 995.0)
        """
        with self._lock:
            self._wall_offset += seconds

    def suspend(self, seconds: float) -> None:
        """A suspended machine: the wall clock moves on, the monotonic clock does not.

        (Linux's ``CLOCK_MONOTONIC`` stops during suspend; ``CLOCK_BOOTTIME`` does not.)
        """
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
        self.step_wall(seconds)

    def wait(self, event: threading.Event, timeout: float) -> bool:
        if event.is_set():
            return True
        self.advance(max(timeout, 0.0))
        return event.is_set()


# ------------------------------------------------------------ calendar arithmetic
def local_kind(day: date, at: dtime, tz: ZoneInfo) -> LocalKind:
    """Say whether wall time ``at`` on ``day`` exists once, never or twice in ``tz``.

    >>> ny = ZoneInfo("America/New_York")
    >>> local_kind(date(2026, 3, 8), dtime(2, 30), ny)
    'nonexistent'
    >>> local_kind(date(2026, 11, 1), dtime(1, 30), ny)
    'ambiguous'
    >>> local_kind(date(2026, 3, 29), dtime(2, 30), ZoneInfo("Europe/London"))
    'normal'
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    there_and_back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if there_and_back != naive:
        return "nonexistent"
    if first.utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset():
        return "ambiguous"
    return "normal"


def resolve_local(day: date, at: dtime, tz: ZoneInfo) -> datetime:
    """The instant a daily task "at ``at``" runs on ``day``, as an aware datetime.

    The two awkward cases are decided explicitly:

    * a wall time that does not exist (skipped when clocks go forward) runs
      **shifted forward by the length of the gap**: 02:30 on a day when 02:00
      jumps to 03:00 runs at 03:30, so the task still runs once that day;
    * a wall time that happens twice (clocks go back) runs **once, at the first
      occurrence** (``fold=0``).

    >>> ny = ZoneInfo("America/New_York")
    >>> resolve_local(date(2026, 3, 8), dtime(2, 30), ny).isoformat()
    '2026-03-08T03:30:00-04:00'
    >>> resolve_local(date(2026, 11, 1), dtime(1, 30), ny).isoformat()
    '2026-11-01T01:30:00-04:00'
    """
    first = datetime.combine(day, at).replace(tzinfo=tz, fold=0)
    # For a skipped time, fold=0 reads the wall time with the offset in force
    # *before* the change; converting back normalises it to the real instant.
    return first.astimezone(UTC).astimezone(tz)


def next_daily(after: datetime, at: dtime, tz: ZoneInfo | str) -> datetime:
    """The first run of "every day at ``at`` in ``tz``" strictly after ``after``.

    ``after`` must be aware (a naive datetime has no place on the time line).

    >>> london = ZoneInfo("Europe/London")
    >>> before_spring = datetime(2026, 3, 28, 3, 0, tzinfo=london)
    >>> next_daily(before_spring, dtime(2, 30), london).isoformat()
    '2026-03-29T02:30:00+01:00'
    >>> next_daily(datetime(2026, 1, 1), dtime(2, 30), london)
    Traceback (most recent call last):
    ...
    ValueError: after must be an aware datetime, got naive 2026-01-01 00:00:00
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError(f"after must be an aware datetime, got naive {after}")
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    day = after.astimezone(tz).date()
    for offset in range(3):  # today, tomorrow, or (rarely) the day after
        candidate = resolve_local(day + timedelta(days=offset), at, tz)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a day always has a run")  # pragma: no cover


# ------------------------------------------------------------------- the scheduler
@dataclass(eq=False)
class Job:
    """One scheduled task and what has happened to it so far."""

    name: str
    func: Callable[[], object]
    in_pool: bool
    interval: float | None = None  # fixed-rate jobs
    daily: tuple[dtime, ZoneInfo] | None = None  # calendar jobs
    anchor: float = 0.0  # monotonic time of slot 0 (fixed-rate jobs)
    slot: int = 0
    next_run: float = 0.0  # monotonic deadline (for calendar jobs: an estimate)
    target: float | None = None  # calendar jobs: wall-clock (epoch) time of the next run
    runs: int = 0
    failures: int = 0
    skipped: int = 0
    started_at: list[float] = field(default_factory=list, repr=False)
    future: Future[None] | None = field(default=None, repr=False)


class Scheduler:
    """Run tasks at fixed intervals or daily wall-clock times; see the module doc.

    >>> clock = FakeClock()
    >>> sched = Scheduler(clock=clock)
    >>> job = sched.every(10, lambda: clock.advance(3), name="three-second task")
    >>> sched.run(until=45)
    >>> job.started_at  # 10, 20, 30, 40: no drift although each run took 3 s
    [10.0, 20.0, 30.0, 40.0]
    >>> sched.stop()
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        workers: int = 4,
        logger: logging.Logger | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.clock: Clock = clock or SystemClock()
        self.log = logger or log
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: list[Job] = []
        self._lock = threading.RLock()
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- adding and removing tasks
    def every(
        self,
        seconds: float,
        func: Callable[[], object],
        *,
        name: str | None = None,
        in_pool: bool = False,
        first_in: float | None = None,
    ) -> Job:
        """Run ``func`` every ``seconds``, first after ``first_in`` (default: one interval)."""
        if not callable(func):
            raise TypeError(f"func must be callable, got {func!r}")
        if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"seconds must be a positive number, got {seconds!r}")
        delay = seconds if first_in is None else first_in
        if delay < 0:
            raise ValueError(f"first_in must not be negative, got {first_in!r}")
        anchor = self.clock.monotonic() + delay
        job = Job(name or _name_of(func), func, in_pool, interval=float(seconds),
                  anchor=anchor, next_run=anchor)
        return self._add(job)

    def daily(
        self,
        at: dtime,
        tz: ZoneInfo | str,
        func: Callable[[], object],
        *,
        name: str | None = None,
        in_pool: bool = False,
    ) -> Job:
        """Run ``func`` every day at wall time ``at`` in time zone ``tz``."""
        if not callable(func):
            raise TypeError(f"func must be callable, got {func!r}")
        if not isinstance(at, dtime) or at.tzinfo is not None:
            raise ValueError(f"at must be a naive datetime.time, got {at!r}")
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        job = Job(name or _name_of(func), func, in_pool, daily=(at, zone))
        self._plan_daily(job)
        return self._add(job)

    def cancel(self, job: Job) -> None:
        with self._lock:
            self._jobs.remove(job)
        self._wakeup.set()

    @property
    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs)

    def next_run_wall(self, job: Job) -> datetime:
        """When ``job`` runs next, as an aware UTC datetime (for display)."""
        if job.target is not None:
            return datetime.fromtimestamp(job.target, UTC)
        delay = job.next_run - self.clock.monotonic()
        return datetime.fromtimestamp(self.clock.time() + delay, UTC)

    # ---- running
    def run_pending(self) -> int:
        """Start every job that is due now; return how many were started."""
        now = self.clock.monotonic()
        wall = self.clock.time()
        with self._lock:
            due = [job for job in self._jobs if _is_due(job, now, wall)]
        started = 0
        for job in due:
            started += self._start(job, now)
            self._plan_next(job)
        return started

    def run(self, *, until: float | None = None) -> None:
        """Run jobs in this thread until :meth:`stop` (or monotonic time ``until``)."""
        while not self._stopping.is_set():
            self.run_pending()
            now = self.clock.monotonic()
            if until is not None and now >= until:
                return
            wall = self.clock.time()
            with self._lock:
                deadlines = [job.next_run if job.target is None
                             else now + min(job.target - wall, WALL_RECHECK)
                             for job in self._jobs]
            target = min(deadlines, default=math.inf)
            if until is not None:
                target = min(target, until)
            timeout = 3600.0 if target == math.inf else max(target - now, 0.0)
            self.clock.wait(self._wakeup, timeout)
            self._wakeup.clear()

    def start(self) -> Scheduler:
        """Run the loop in a background thread (stop it with :meth:`stop`)."""
        if self._thread is not None:
            raise RuntimeError("the scheduler is already running")
        self._stopping.clear()
        self._thread = threading.Thread(target=self.run, name="scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, *, cancel_queued: bool = True) -> None:
        """Stop the loop, wait for running tasks, and release every thread.

        Queued pool tasks that have not started are cancelled unless
        ``cancel_queued=False``. Safe to call more than once.
        """
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel_queued)
            self._pool = None

    def __enter__(self) -> Scheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- internals
    def _add(self, job: Job) -> Job:
        if self._stopping.is_set():
            raise RuntimeError("the scheduler has been stopped")
        with self._lock:
            self._jobs.append(job)
        self._wakeup.set()
        return job

    def _start(self, job: Job, now: float) -> int:
        if job.in_pool:
            if job.future is not None and not job.future.done():
                job.skipped += 1
                self.log.warning("task %s still running: skipping this run", job.name)
                return 0
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="task")
            job.started_at.append(now)
            job.future = self._pool.submit(self._call, job)
        else:
            job.started_at.append(now)
            self._call(job)
        return 1

    def _call(self, job: Job) -> None:
        try:
            job.func()
        except Exception:  # a task's failure is logged, never fatal to the others
            with self._lock:
                job.failures += 1
            self.log.exception("task %s failed", job.name)
        finally:
            with self._lock:
                job.runs += 1

    def _plan_next(self, job: Job) -> None:
        if job.daily is not None:
            self._plan_daily(job)
            return
        assert job.interval is not None
        now = self.clock.monotonic()
        slot = job.slot + 1
        if job.anchor + slot * job.interval < now:  # overran: skip the missed slots
            missed = math.ceil((now - job.anchor) / job.interval) - slot
            job.skipped += missed
            self.log.warning("task %s overran: skipping %d missed run(s)", job.name, missed)
            slot += missed
        job.slot = slot
        job.next_run = job.anchor + slot * job.interval

    def _plan_daily(self, job: Job) -> None:
        assert job.daily is not None
        at, zone = job.daily
        wall_now = self.clock.time()
        # Strictly after now *and* after the previous target: when the wall clock
        # was stepped back after a run, the run that just happened is not planned
        # again.
        after = wall_now if job.target is None else max(wall_now, job.target)
        target = next_daily(datetime.fromtimestamp(after, UTC), at, zone).timestamp()
        job.target = target
        job.next_run = self.clock.monotonic() + (target - wall_now)


def _is_due(job: Job, now: float, wall: float) -> bool:
    # A calendar job is due by the wall clock, read now; an interval job by the
    # monotonic clock.
    return job.next_run <= now if job.target is None else job.target <= wall


def _name_of(func: Callable[[], object]) -> str:
    return getattr(func, "__name__", None) or repr(func)
