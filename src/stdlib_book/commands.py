"""Run a command the way a terminal would, and show what a terminal would show.

The chapters run real programs (scripts they write, the package's own tools)
in child processes: a notebook's ``sys.argv`` belongs to the Jupyter kernel,
so a command-line program only behaves like one in a process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Ran:
    """A finished command: what was run, its exit code and its output."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:
        shown = ["python" if a == sys.executable else a for a in self.argv]
        lines = ["$ " + " ".join(shown)]
        if self.stdout:
            lines.append(self.stdout.rstrip("\n"))
        if self.stderr:
            lines.append("[stderr] " + self.stderr.rstrip("\n").replace("\n", "\n[stderr] "))
        lines.append(f"[exit code {self.returncode}]")
        return "\n".join(lines)


def run(
    argv: Sequence[str | Path],
    *,
    cwd: str | Path | None = None,
    input: str | None = None,  # noqa: A002 - same name as subprocess.run
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> Ran:
    """Run ``argv`` (no shell), wait at most ``timeout`` seconds, and capture
    its text output. A non-zero exit is returned, not raised: showing it is
    the point. ``COLUMNS=80`` keeps argparse's help the same width everywhere.

    ``env`` is *added to* a copy of this process's environment. That is not
    what :func:`subprocess.run` does: its ``env=`` *replaces* the whole
    environment (PATH included); the plain equivalent of ``run(argv,
    env={"X": "1"})`` is ``subprocess.run(argv, env={**os.environ, "X": "1"})``.

    The output is captured text, not a terminal, so colour is switched off:
    ``NO_COLOR=1`` (which Python 3.13+ honours for tracebacks and 3.14+ for
    argparse help) and no ``FORCE_COLOR`` or ``PYTHON_COLORS`` inherited from
    this process; pass them in ``env`` to see colour on purpose.

    >>> run([sys.executable, "-c", "print('hi')"])
    $ python -c print('hi')
    hi
    [exit code 0]
    """
    child_env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    for name in ("PYTHONWARNINGS", "FORCE_COLOR", "PYTHON_COLORS"):
        child_env.pop(name, None)
    child_env.update(env or {})
    done = subprocess.run(
        [os.fspath(a) for a in argv],
        cwd=cwd,
        input=input,
        env=child_env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    return Ran(tuple(os.fspath(a) for a in argv), done.returncode, done.stdout, done.stderr)


def python(*args: str | Path, **kwargs: object) -> Ran:
    """:func:`run` with this interpreter: ``python(script, "--flag")``."""
    return run([sys.executable, *args], **kwargs)  # type: ignore[arg-type]
