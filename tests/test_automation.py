"""run_tree kills whole process trees; run_tool reports failures; exercise checks."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC

import pytest

from stdlib_book.automation import (
    PIPE_DRAIN,
    ToolError,
    check_elapsed_hours,
    check_fixed_rate_times,
    check_tool_version,
    kill_and_reap,
    process_alive,
    run_tool,
    run_tree,
)

PARENT_WITH_CHILD = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""

IGNORES_SIGTERM = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def test_plain_run_leaves_the_grandchild_running():
    with pytest.raises(subprocess.TimeoutExpired) as info:
        subprocess.run([sys.executable, "-c", PARENT_WITH_CHILD],
                       capture_output=True, text=True, timeout=2)
    pid = int(info.value.stdout)  # bytes, even with text=True
    try:
        assert process_alive(pid)
    finally:
        assert kill_and_reap(pid)
    assert not process_alive(pid)


@pytest.mark.parametrize("script", [PARENT_WITH_CHILD, IGNORES_SIGTERM])
def test_run_tree_kills_the_whole_tree(script):
    with pytest.raises(subprocess.TimeoutExpired) as info:
        run_tree([sys.executable, "-c", script], timeout=2, grace=0.5)
    assert isinstance(info.value.stdout, str)
    pid = int(info.value.stdout)
    alive = process_alive(pid)
    kill_and_reap(pid)
    assert not alive


def test_run_tree_returns_output_input_and_exit_code():
    done = run_tree([sys.executable, "-c", "import sys; s = sys.stdin.read(); "
                     "print(s.upper()); sys.exit(4)"], timeout=30, input="héllo")
    assert (done.returncode, done.stdout) == (4, "HÉLLO\n")


def test_run_tree_refuses_a_missing_timeout():
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        run_tree([sys.executable, "-c", "pass"], timeout=-1)


def test_kill_and_reap_of_a_finished_process_is_false():
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    assert not kill_and_reap(int(done.stdout))
    assert not process_alive(int(done.stdout))


def test_run_tool_messages():
    assert run_tool([sys.executable, "-c", "print('ok')"]) == "ok\n"
    with pytest.raises(ToolError, match="python failed with exit code 2: usage"):
        run_tool([sys.executable, "-c", "import sys; print('usage', file=sys.stderr); "
                  "sys.exit(2)"])
    with pytest.raises(ToolError, match="no answer within 0.5 s"):
        run_tool([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    with pytest.raises(ToolError, match="not found"):
        run_tool(["no-such-tool-xyz"])
    with pytest.raises(ValueError, match="argv must name a program"):
        run_tool([])


# ------------------------------------------------------------ the exercise checks
def good_fixed_rate(first, interval, durations):
    starts, t, slot = [], first, 0
    for d in durations:
        t = first + slot * interval
        starts.append(t)
        end = t + d
        slot += 1
        while first + slot * interval < end:
            slot += 1
    return starts


def drifting(first, interval, durations):
    starts, t = [], first
    for d in durations:
        starts.append(t)
        t += d + interval
    return starts


def test_fixed_rate_check_passes_right_and_fails_wrong():
    assert check_fixed_rate_times(good_fixed_rate).passed
    assert not check_fixed_rate_times(drifting).passed
    assert not check_fixed_rate_times(lambda f, i, d: [f + i * n for n in range(len(d))]).passed


def test_elapsed_hours_check_passes_right_and_fails_wrong():
    def right(a, b):
        return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() / 3600

    def wall_clock(a, b):
        return (b - a).total_seconds() / 3600

    assert check_elapsed_hours(right).passed
    assert not check_elapsed_hours(wall_clock).passed
    assert not check_elapsed_hours(lambda a, b: 24).passed


def test_tool_version_check_passes_right_and_fails_wrong():
    import re

    def right(argv):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False) \
            if argv[0] != "no-such-tool-xyz" else None
        if done is None or done.returncode != 0:
            raise ToolError("failed")
        found = re.search(r"(\d+(?:\.\d+)+)", done.stdout + done.stderr)
        if not found:
            raise ToolError("no version")
        return tuple(int(p) for p in found.group(1).split("."))

    def stdout_only(argv):
        out = run_tool(argv)
        return tuple(int(p) for p in out.split()[-1].split("."))

    assert check_tool_version(right).passed
    assert not check_tool_version(stdout_only).passed
    assert not check_tool_version(lambda argv: (3, 11)).passed


def test_stub_counts_as_not_attempted():
    def stub(*args):
        raise NotImplementedError

    for check in (check_fixed_rate_times, check_elapsed_hours, check_tool_version):
        assert not check(stub).attempted


# ---- issue 16, items 4 and 5
STARTS_A_DAEMON = """
import subprocess, sys, time
daemon = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(40)"],
                          start_new_session=True)  # setsid: it leaves the group
print(daemon.pid, flush=True)
time.sleep(60)
"""


def test_run_tree_returns_in_bounded_time_when_a_setsid_descendant_holds_the_pipe():
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as info:
        run_tree([sys.executable, "-c", STARTS_A_DAEMON], timeout=1, grace=0.5)
    took = time.monotonic() - started
    daemon = int(info.value.stdout)
    try:
        assert process_alive(daemon)  # the escape: documented, not hidden
        assert any("setsid" in note for note in info.value.__notes__)
    finally:
        kill_and_reap(daemon)
    # timeout + grace + PIPE_DRAIN + slack for a busy machine; before the fix
    # it waited the daemon's 40 s
    assert took < 1 + 0.5 + PIPE_DRAIN + 6


def test_run_tool_names_a_missing_working_directory(tmp_path):
    missing = tmp_path / "gone"
    with pytest.raises(ToolError, match=r"working directory '.*gone' does not exist"):
        run_tool([sys.executable, "-c", "pass"], cwd=missing)


def test_run_tool_names_a_file_that_is_not_executable(tmp_path):
    script = tmp_path / "tool.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    with pytest.raises(ToolError, match=r"tool.sh: permission denied \(is it executable"):
        run_tool([script])


def test_run_tool_names_a_file_that_is_not_a_program(tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00\x01\x02 not a program")
    junk.chmod(0o755)
    with pytest.raises(ToolError, match="junk: cannot be run: Exec format error"):
        run_tool([junk])


def test_run_tool_timeout_ends_the_grandchildren_too(tmp_path):
    script = PARENT_WITH_CHILD.replace("print(child.pid, flush=True)",
                                       "open(sys.argv[1], 'w').write(str(child.pid))")
    pidfile = tmp_path / "pid"
    with pytest.raises(ToolError, match="no answer within 3 s"):
        run_tool([sys.executable, "-c", script, pidfile], timeout=3)
    pid = int(pidfile.read_text())
    alive = process_alive(pid)
    kill_and_reap(pid)
    assert not alive  # before the fix: the grandchild was left running


def test_run_tool_asks_for_plain_text_even_when_colour_is_forced(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # as ipykernel sets it in every kernel
    out = run_tool([sys.executable, "-c", "import os; print(os.environ.get('NO_COLOR'))"])
    assert out == "1\n"


def test_kill_and_reap_returns_for_a_zombie_whose_parent_never_collects_it():
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time\n"
         "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
         "print(c.pid, flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        started = time.monotonic()
        assert kill_and_reap(pid, timeout=5) is True  # before: psutil.TimeoutExpired
        assert time.monotonic() - started < 5
        assert not process_alive(pid)  # a zombie, not running
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
