"""Running other programs safely, for chapter 8 (automation).

* :func:`run_tree` is ``subprocess.run`` with a timeout that kills the *whole*
  process tree, not just the direct child (POSIX: a new session, then
  ``os.killpg``);
* :func:`process_alive` tells a live process from a finished (or zombie) one;
* :func:`run_tool` integrates a command-line tool: no shell, a timeout that
  ends its whole tree, text output, and an exception that carries the tool's
  own error message;
* ``check_*`` functions are the self-checks of the chapter's exercises.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil

from stdlib_book.selfcheck import Checker, Feedback, run_checks


def run_tree(
    argv: Sequence[str | os.PathLike[str]],
    *,
    timeout: float,
    grace: float = 1.0,
    input: str | None = None,  # noqa: A002 - same name as subprocess.run
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (no shell) and capture its text output; on timeout, end the
    child **and everything it started**, then raise ``subprocess.TimeoutExpired``
    carrying the output so far.

    The child starts in a new session, so it leads a process group that its
    children join. On timeout the group gets ``SIGTERM`` (a chance to clean up),
    then ``SIGKILL`` after ``grace`` seconds.

    The escape: a descendant that starts its own session (a daemon, ``setsid``)
    leaves the group, survives the kill and may still hold the output pipes.
    ``run_tree`` then waits at most :data:`PIPE_DRAIN` more seconds for them to
    close, raises ``TimeoutExpired`` with the output read so far and a note
    saying so, and leaves that process running: only a container or a cgroup
    (``systemd-run --scope``) catches it.

    POSIX only (Linux, macOS): on Windows it raises :class:`NotImplementedError`
    with a message saying what to use instead.

    >>> run_tree([sys.executable, "-c", "print('hi')"], timeout=30).stdout
    'hi\\n'
    >>> run_tree([sys.executable, "-c", "pass"], timeout=0)
    Traceback (most recent call last):
    ...
    ValueError: timeout must be a positive number of seconds, got 0
    """
    if os.name != "posix":  # pragma: no cover - the book's CI is POSIX
        raise NotImplementedError(
            "run_tree needs POSIX process groups (Linux, macOS); on Windows use "
            "subprocess.run(..., timeout=...), which ends only the direct child, "
            "or a Job Object (pywin32) to end the whole tree")
    if not timeout or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
    with subprocess.Popen(
        [os.fspath(a) for a in argv],
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=None if env is None else dict(env),
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc, grace)
            try:  # every writer in the group is gone, so the pipes close ...
                out, err = proc.communicate(timeout=PIPE_DRAIN)
            except subprocess.TimeoutExpired as still_open:  # ... unless one escaped
                out, err = (_text(still_open.output), _text(still_open.stderr))
                expired = subprocess.TimeoutExpired(proc.args, timeout, out, err)
                expired.add_note(
                    f"a descendant outside the process group (it called setsid) still "
                    f"holds the output pipes after {PIPE_DRAIN} s; it was not killed")
                raise expired from None
            raise subprocess.TimeoutExpired(proc.args, timeout, out, err) from None
        except BaseException:  # KeyboardInterrupt too: never leave the tree behind
            _kill_group(proc, 0)
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


#: After the group is killed, how long :func:`run_tree` waits for the output
#: pipes to close before it gives up on a descendant that escaped the group.
PIPE_DRAIN = 1.0


def _text(data: bytes | str | None) -> str:
    # POSIX communicate() attaches the partial output as bytes, even with text=True
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def _kill_group(proc: subprocess.Popen[str], grace: float) -> None:
    """SIGTERM the child's process group, SIGKILL it after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:  # the whole group is already gone
            return
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; give its children the rest of the time to follow
        deadline = time.monotonic() + wait
        while _group_members(proc.pid):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        else:
            return


def _group_members(pgid: int) -> list[int]:
    members = []
    for p in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(p.pid)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return members


def process_alive(pid: int) -> bool:
    """True if ``pid`` is a running process (a zombie, finished but not yet
    collected by its parent, counts as not alive).

    >>> process_alive(os.getpid())
    True
    """
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def kill_and_reap(pid: int, timeout: float = 10) -> bool:
    """Kill ``pid`` if it still runs and wait until it is gone; return whether it
    was running. For cleaning up after a demonstration of a leaked process.

    "Gone" includes a zombie: a killed process that is not our child can only be
    collected by its parent, and where that parent never collects (an orphan in
    a container whose PID 1 is not an init), it stays a zombie for good; waiting
    for it to vanish would never end."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        proc.kill()
    except psutil.NoSuchProcess:
        return False
    try:
        deadline = time.monotonic() + timeout
        while proc.status() != psutil.STATUS_ZOMBIE:
            if time.monotonic() > deadline:
                raise TimeoutError(f"process {pid} still runs {timeout} s after SIGKILL")
            time.sleep(0.01)
        with contextlib.suppress(psutil.Error, ChildProcessError):
            proc.wait(0)  # collect it if it is our own child
    except psutil.NoSuchProcess:
        pass
    return True


class ToolError(RuntimeError):
    """A tool ran but failed, or could not be run; the message says which."""


def run_tool(
    argv: Sequence[str | os.PathLike[str]],
    *,
    timeout: float = 60,
    cwd: str | os.PathLike[str] | None = None,
) -> str:
    """Run an external tool and return its standard output, or raise
    :class:`ToolError` naming the tool, its exit code and its own error text.

    A tool that cannot be run (not found, not executable, a missing ``cwd``) is a
    :class:`ToolError` that says which. On POSIX the timeout ends the tool's
    whole process tree (through :func:`run_tree`), not just the tool. The tool
    runs with ``NO_COLOR=1``, so no colour codes reach the captured text.

    >>> run_tool([sys.executable, "-c", "print(6 * 7)"])
    '42\\n'
    >>> run_tool([sys.executable, "-c", "import sys; sys.exit('disk full')"])
    Traceback (most recent call last):
    ...
    stdlib_book.automation.ToolError: python failed with exit code 1: disk full
    >>> run_tool(["no-such-tool-xyz"])
    Traceback (most recent call last):
    ...
    stdlib_book.automation.ToolError: no-such-tool-xyz: not found (is it installed and on PATH?)
    """
    args = [os.fspath(a) for a in argv]
    if not args:
        raise ValueError("argv must name a program")
    name = "python" if args[0] == sys.executable else Path(args[0]).name
    if cwd is not None and not Path(cwd).is_dir():
        raise ToolError(f"{name}: working directory {os.fspath(cwd)!r} does not exist "
                        "or is not a directory")
    try:
        # The output is captured, so ask for plain text: Python 3.14's json.tool
        # and argparse colour their output when FORCE_COLOR is set, as Jupyter
        # kernels set it; NO_COLOR wins over it.
        env = {**os.environ, "NO_COLOR": "1"}
        if os.name == "posix":  # a timeout ends the tool's whole process tree
            done = run_tree(args, timeout=timeout, cwd=cwd, env=env)
        else:  # pragma: no cover - Windows: only the direct child is ended
            done = subprocess.run(args, capture_output=True, text=True, encoding="utf-8",
                                  timeout=timeout, cwd=cwd, env=env)
    except FileNotFoundError as exc:
        if cwd is not None and exc.filename == os.fspath(cwd):  # removed meanwhile
            raise ToolError(f"{name}: working directory {exc.filename!r} does not exist") \
                from None
        raise ToolError(f"{name}: not found (is it installed and on PATH?)") from None
    except PermissionError:
        raise ToolError(f"{name}: permission denied (is it executable? "
                        f"chmod +x {args[0]})") from None
    except OSError as exc:  # e.g. ENOEXEC: a file that is not a program
        raise ToolError(f"{name}: cannot be run: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{name}: no answer within {timeout} s") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout or "").strip().splitlines()
        why = detail[-1] if detail else "(no output)"
        raise ToolError(f"{name} failed with exit code {done.returncode}: {why}")
    return done.stdout


# ------------------------------------------------------------------ exercise checks
def check_fixed_rate_times(
    func: Callable[[float, float, list[float]], list[float]],
) -> Feedback:
    """Self-check: ``func(first, interval, durations)`` returns the start time of
    each run under fixed-rate scheduling, skipping slots missed by an overrun."""

    def body(c: Checker) -> None:
        c.expect("fixed_rate_times(0, 10, [1, 1, 1])", lambda: func(0, 10, [1, 1, 1]),
                 [0, 10, 20])
        c.expect("no drift: each run takes 3 s", lambda: func(5, 10, [3, 3, 3, 3]),
                 [5, 15, 25, 35])
        c.expect("a 25 s run skips two slots", lambda: func(0, 10, [25, 1, 1]),
                 [0, 30, 40])
        c.expect("a run of exactly one interval", lambda: func(0, 10, [10, 1]), [0, 10])
        c.expect("no runs", lambda: func(0, 10, []), [])

    return run_checks("fixed_rate_times", body)


def check_elapsed_hours(func: Callable[[datetime, datetime], float]) -> Feedback:
    """Self-check: ``func(start, end)`` is the real time elapsed, in hours,
    between two aware datetimes, even in the same zone across a clock change."""
    london = ZoneInfo("Europe/London")

    def body(c: Checker) -> None:
        c.expect_close("an ordinary day in London",
                       lambda: func(datetime(2026, 6, 1, 2, 30, tzinfo=london),
                                    datetime(2026, 6, 2, 2, 30, tzinfo=london)), 24)
        c.expect_close("across the spring change in London",
                       lambda: func(datetime(2026, 3, 28, 2, 30, tzinfo=london),
                                    datetime(2026, 3, 29, 2, 30, tzinfo=london)), 23)
        c.expect_close("across the autumn change in London",
                       lambda: func(datetime(2026, 10, 24, 2, 30, tzinfo=london),
                                    datetime(2026, 10, 25, 2, 30, tzinfo=london)), 25)
        c.expect_close("London to UTC, same instant",
                       lambda: func(datetime(2026, 7, 1, 13, 0, tzinfo=london),
                                    datetime(2026, 7, 1, 12, 0, tzinfo=UTC)), 0)
        c.expect_close("backwards in time is negative",
                       lambda: func(datetime(2026, 3, 29, 2, 30, tzinfo=london),
                                    datetime(2026, 3, 28, 2, 30, tzinfo=london)), -23)

    return run_checks("elapsed_hours", body)


def check_tool_version(func: Callable[[Sequence[str]], tuple[int, ...]]) -> Feedback:
    """Self-check: ``func(argv)`` runs a tool that prints "Name X.Y.Z" and returns
    the version as a tuple of ints; a failing or silent tool raises ToolError."""
    py = sys.executable

    def body(c: Checker) -> None:
        c.expect("python --version", lambda: func([py, "--version"]),
                 tuple(sys.version_info[:3]))
        c.expect("a tool printing 'widget 2.10.1'",
                 lambda: func([py, "-c", "print('widget 2.10.1')"]), (2, 10, 1))
        c.expect("a tool printing 'Tool 7.0' on stderr",
                 lambda: func([py, "-c", "import sys; print('Tool 7.0', file=sys.stderr)"]),
                 (7, 0))
        c.expect_raises("a tool that exits with 3",
                        lambda: func([py, "-c", "import sys; sys.exit(3)"]), ToolError)
        c.expect_raises("a tool that prints no version",
                        lambda: func([py, "-c", "print('hello')"]), ToolError)
        c.expect_raises("a tool that does not exist",
                        lambda: func(["no-such-tool-xyz", "--version"]), ToolError)

    return run_checks("tool_version", body)
