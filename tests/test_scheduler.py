"""The scheduler, driven by a fake clock: no test sleeps or reads the real time."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest

from stdlib_book.scheduler import (
    WALL_RECHECK,
    FakeClock,
    Scheduler,
    SystemClock,
    local_kind,
    next_daily,
    resolve_local,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def test_fixed_rate_has_no_drift_however_long_a_run_takes():
    clock = FakeClock()
    with Scheduler(clock=clock) as sched:
        job = sched.every(60, lambda: clock.advance(7.5), name="slow")
        sched.run(until=24 * 3600)
    assert len(job.started_at) == 24 * 60
    assert job.started_at[-1] == 24 * 3600
    assert all(t == 60 * (i + 1) for i, t in enumerate(job.started_at))


def test_first_in_zero_runs_at_once():
    clock = FakeClock(100)
    with Scheduler(clock=clock) as sched:
        job = sched.every(10, lambda: None, first_in=0)
        sched.run(until=125)
    assert job.started_at == [100, 110, 120]


def test_overrun_skips_missed_slots_and_logs(caplog):
    clock = FakeClock()
    durations = iter([25, 1, 1, 1])
    with Scheduler(clock=clock) as sched:
        job = sched.every(10, lambda: clock.advance(next(durations)), name="overrun",
                          first_in=0)
        with caplog.at_level(logging.WARNING, logger="stdlib_book.scheduler"):
            sched.run(until=50)
    assert job.started_at == [0, 30, 40, 50]
    assert job.skipped == 2
    assert "task overrun overran: skipping 2 missed run(s)" in caplog.text


def test_a_raising_task_is_logged_and_the_others_keep_running(caplog):
    clock = FakeClock()
    calls = []

    def broken():
        raise ZeroDivisionError("bad data")

    with Scheduler(clock=clock) as sched:
        bad = sched.every(5, broken, name="broken")
        good = sched.every(10, lambda: calls.append(clock.monotonic()), name="good")
        with caplog.at_level(logging.ERROR, logger="stdlib_book.scheduler"):
            sched.run(until=30)
    assert calls == [10, 20, 30]
    assert (bad.runs, bad.failures) == (6, 6)
    assert (good.runs, good.failures) == (3, 0)
    failures = [r for r in caplog.records if r.getMessage() == "task broken failed"]
    assert len(failures) == 6 and failures[0].exc_info[0] is ZeroDivisionError


def test_pool_tasks_do_not_block_the_loop_and_never_overlap(caplog):
    clock = FakeClock()
    release = threading.Event()
    quick = []
    with Scheduler(clock=clock, workers=2) as sched:
        long_job = sched.every(10, lambda: release.wait(30), name="long", in_pool=True)
        sched.every(1, lambda: quick.append(clock.monotonic()), name="quick")
        with caplog.at_level(logging.WARNING, logger="stdlib_book.scheduler"):
            sched.run(until=35)
        release.set()
    # the long task started once; its later slots were skipped while it ran
    assert long_job.started_at == [10]
    assert long_job.skipped == 2 and long_job.runs == 1
    assert quick == [float(t) for t in range(1, 36)]
    assert "task long still running: skipping this run" in caplog.text


def test_pool_failures_are_logged_too(caplog):
    clock = FakeClock()
    sched = Scheduler(clock=clock)
    job = sched.every(1, lambda: 1 / 0, in_pool=True, name="pool-bad")
    with caplog.at_level(logging.ERROR, logger="stdlib_book.scheduler"):
        sched.run(until=1)
        sched.stop()  # waits for the pool
    assert (job.runs, job.failures) == (1, 1)
    assert "task pool-bad failed" in caplog.text


def test_stop_from_another_thread_ends_a_background_loop_promptly():
    # real clock, but nothing is timed: stop() must wake a loop waiting an hour
    sched = Scheduler(clock=SystemClock())
    sched.every(3600, lambda: None)
    sched.start()
    with pytest.raises(RuntimeError, match="already running"):
        sched.start()
    sched.stop()
    assert not any(t.name == "scheduler" for t in threading.enumerate())
    with pytest.raises(RuntimeError, match="stopped"):
        sched.every(1, lambda: None)
    sched.stop()  # twice is fine


def test_stop_waits_for_running_pool_tasks():
    started, finished = threading.Event(), threading.Event()

    def task():
        started.set()
        finished.wait(0.2)  # stop() must wait for this to return
        finished.set()

    clock = FakeClock()
    sched = Scheduler(clock=clock)
    sched.every(1, task, in_pool=True)
    sched.run(until=1)
    assert started.wait(30)
    sched.stop()
    assert finished.is_set()
    assert not any(t.name.startswith("task") for t in threading.enumerate())


def test_cancel_removes_a_job():
    clock = FakeClock()
    with Scheduler(clock=clock) as sched:
        job = sched.every(1, lambda: None)
        sched.cancel(job)
        sched.run(until=5)
    assert job.runs == 0 and sched.jobs == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seconds": 0}, "seconds must be a positive number"),
    ({"seconds": float("nan")}, "seconds must be a positive number"),
    ({"seconds": 1, "first_in": -1}, "first_in must not be negative"),
])
def test_bad_intervals_are_refused(kwargs, message):
    with Scheduler(clock=FakeClock()) as sched, pytest.raises(ValueError, match=message):
        sched.every(func=lambda: None, **kwargs)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="workers must be at least 1"):
        Scheduler(workers=0)
    with Scheduler(clock=FakeClock()) as sched:
        with pytest.raises(TypeError, match="func must be callable"):
            sched.every(1, "not a function")
        with pytest.raises(ValueError, match="at must be a naive datetime.time"):
            sched.daily("02:30", LONDON, lambda: None)
    with pytest.raises(ValueError, match="seconds must not be negative"):
        FakeClock().advance(-1)


# ----------------------------------------------------------------- calendar runs
def test_london_0230_exists_once_on_both_change_days():
    assert local_kind(date(2026, 3, 29), dtime(2, 30), LONDON) == "normal"
    assert local_kind(date(2026, 10, 25), dtime(2, 30), LONDON) == "normal"
    assert local_kind(date(2026, 3, 29), dtime(1, 30), LONDON) == "nonexistent"
    assert local_kind(date(2026, 10, 25), dtime(1, 30), LONDON) == "ambiguous"


def test_nonexistent_times_shift_forward_by_the_gap():
    assert resolve_local(date(2026, 3, 29), dtime(1, 30), LONDON).isoformat() == \
        "2026-03-29T02:30:00+01:00"
    assert resolve_local(date(2026, 3, 8), dtime(2, 0), NEW_YORK).isoformat() == \
        "2026-03-08T03:00:00-04:00"


def test_ambiguous_times_run_once_at_the_first_occurrence():
    first = resolve_local(date(2026, 10, 25), dtime(1, 30), LONDON)
    assert first.isoformat() == "2026-10-25T01:30:00+01:00"
    after_first = next_daily(first, dtime(1, 30), LONDON)
    assert after_first.isoformat() == "2026-10-26T01:30:00+00:00"
    # between the two occurrences, the next run is tomorrow, not the repeat
    between = first + timedelta(minutes=30)
    assert next_daily(between, dtime(1, 30), LONDON) == after_first


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Lord_Howe",
                                  "UTC", "Asia/Kolkata"])
@pytest.mark.parametrize("at", [dtime(0, 0), dtime(1, 30), dtime(2, 30), dtime(23, 59)])
def test_a_year_of_daily_runs_is_one_run_per_local_day(zone, at):
    tz = ZoneInfo(zone)
    t = datetime(2025, 12, 31, 12, tzinfo=UTC)
    days = []
    for _ in range(366):
        nxt = next_daily(t, at, tz)
        assert nxt > t
        local = nxt.astimezone(tz)
        if local_kind(local.date(), at, tz) != "nonexistent":
            assert local.time() == at
        days.append(local.date())
        t = nxt
    assert days[0] in (date(2025, 12, 31), date(2026, 1, 1))
    assert days == [days[0] + timedelta(days=i) for i in range(366)]  # no day twice or missed


def test_next_daily_needs_an_aware_datetime_and_accepts_a_zone_name():
    with pytest.raises(ValueError, match="after must be an aware datetime"):
        next_daily(datetime(2026, 1, 1), dtime(2, 30), LONDON)
    got = next_daily(datetime(2026, 1, 1, tzinfo=UTC), dtime(2, 30), "Europe/London")
    assert got.isoformat() == "2026-01-01T02:30:00+00:00"


def test_daily_job_runs_at_0230_london_through_both_changes():
    start = datetime(2026, 3, 27, 12, tzinfo=UTC)
    clock = FakeClock(wall=start.timestamp())
    local_runs = []

    def task():
        local_runs.append(datetime.fromtimestamp(clock.time(), LONDON).isoformat())

    with Scheduler(clock=clock) as sched:
        sched.daily(dtime(2, 30), LONDON, task)
        sched.run(until=4 * 86400)
        clock2 = FakeClock(wall=datetime(2026, 10, 23, 12, tzinfo=UTC).timestamp())
    assert local_runs == [
        "2026-03-28T02:30:00+00:00",
        "2026-03-29T02:30:00+01:00",
        "2026-03-30T02:30:00+01:00",
        "2026-03-31T02:30:00+01:00",
    ]
    runs = []
    with Scheduler(clock=clock2) as sched:
        job = sched.daily(dtime(2, 30), "Europe/London",
                          lambda: runs.append(datetime.fromtimestamp(clock2.time(), LONDON)))
        assert sched.next_run_wall(job).isoformat() == "2026-10-24T01:30:00+00:00"
        sched.run(until=3 * 86400)
    assert [r.isoformat() for r in runs] == [
        "2026-10-24T02:30:00+01:00",
        "2026-10-25T02:30:00+00:00",
        "2026-10-26T02:30:00+00:00",
    ]
    assert runs[1] - runs[0] != timedelta(hours=25)  # same-zone subtraction ignores DST ...
    assert (runs[1].astimezone(UTC) - runs[0].astimezone(UTC)) == timedelta(hours=25)  # ... UTC


# ---- the wall clock itself changes while a calendar job waits (issue 16, item 1)
def _daily_0230(clock):
    runs = []
    sched = Scheduler(clock=clock)
    sched.daily(dtime(2, 30), LONDON,
                lambda: runs.append(datetime.fromtimestamp(clock.time(), LONDON).isoformat()))
    return sched, runs


def test_a_wall_clock_stepped_back_during_the_wait_runs_the_job_once_and_on_time():
    clock = FakeClock(wall=datetime(2026, 1, 10, 2, 0, tzinfo=UTC).timestamp())
    sched, runs = _daily_0230(clock)
    with sched:
        sched.run(until=600)  # 02:10: the job is planned for 02:30
        clock.step_wall(-5)  # an NTP step back by 5 s
        sched.run(until=86400)
    # before the fix: ['...02:29:55+00:00', '...02:30:00+00:00'] (early, then twice)
    assert runs == ["2026-01-10T02:30:00+00:00"]


def test_a_wall_clock_stepped_back_just_after_a_run_does_not_run_it_again():
    clock = FakeClock(wall=datetime(2026, 1, 10, 2, 0, tzinfo=UTC).timestamp())
    sched, runs = _daily_0230(clock)
    with sched:
        sched.run(until=1801)  # 02:30:01: it has run
        clock.step_wall(-10)  # back to 02:29:51
        sched.run(until=1801 + 86400 + 60)
    assert runs == ["2026-01-10T02:30:00+00:00", "2026-01-11T02:30:00+00:00"]


def test_a_wall_clock_stepped_forward_makes_the_job_late_by_at_most_a_recheck():
    clock = FakeClock(wall=datetime(2026, 1, 10, 1, 0, tzinfo=UTC).timestamp())
    sched, runs = _daily_0230(clock)
    with sched:
        sched.run(until=600)  # 01:10
        clock.step_wall(3600)  # stepped forward to 02:10; 02:30 is 20 min away
        sched.run(until=3600)
    # before the fix it ran at 03:30 wall, an hour late
    assert len(runs) == 1
    ran = datetime.fromisoformat(runs[0])
    assert timedelta(0) <= ran - datetime(2026, 1, 10, 2, 30, tzinfo=UTC) \
        <= timedelta(seconds=WALL_RECHECK)


def test_a_suspended_machine_runs_the_missed_job_within_a_recheck_of_waking():
    clock = FakeClock(wall=datetime(2026, 1, 10, 2, 0, tzinfo=UTC).timestamp())
    sched, runs = _daily_0230(clock)
    with sched:
        sched.run(until=600)  # 02:10
        clock.suspend(3600)  # asleep until 03:10 by the wall clock
        sched.run(until=600 + WALL_RECHECK)
    # before the fix it ran at 03:30 wall (20 min of monotonic time later)
    assert len(runs) == 1
    ran = datetime.fromisoformat(runs[0])
    assert ran - datetime(2026, 1, 10, 3, 10, tzinfo=UTC) <= timedelta(seconds=WALL_RECHECK)
    assert sched.next_run_wall(sched.jobs[0]).isoformat() == "2026-01-11T02:30:00+00:00"
