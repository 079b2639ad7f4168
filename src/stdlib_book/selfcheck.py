"""Feedback for exercise answers: say what is wrong, not just that it is.

A chapter's check functions build a :class:`Checker`, try the reader's
function on cases whose answers are known, and return the checker's
:class:`Feedback`, which a notebook displays as a short report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Feedback:
    """The outcome of checking one exercise answer."""

    exercise: str
    problems: list[str] = field(default_factory=list)
    checks: int = 0
    attempted: bool = True

    @property
    def passed(self) -> bool:
        return self.attempted and not self.problems

    def __repr__(self) -> str:
        if not self.attempted:
            return (f"[not yet] {self.exercise}: "
                    "replace the `raise NotImplementedError` with your code.")
        if self.passed:
            return f"[pass] {self.exercise}: all {self.checks} checks passed."
        failed = len(self.problems)
        lines = [f"[try again] {self.exercise}: {failed} of {self.checks} checks failed."]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class _NotAttempted(Exception):
    """Raised inside a check when the reader's function is still the stub."""


class Checker:
    """Collects the results of several checks on one exercise answer.

    >>> checker = Checker("double")
    >>> checker.expect("double(2)", lambda: 2 * 2, 4)
    >>> checker.expect("double(3)", lambda: 3 + 3 + 3, 6)
    >>> print(checker.feedback())
    [try again] double: 1 of 2 checks failed.
      - double(3): expected 6, got 9
    """

    def __init__(self, exercise: str) -> None:
        self._feedback = Feedback(exercise)

    def _call(self, description: str, func: Callable[[], Any]) -> tuple[bool, Any]:
        try:
            return True, func()
        except NotImplementedError:
            raise _NotAttempted from None
        except Exception as exc:  # the reader's bug, reported rather than raised
            self.fail(f"{description}: raised {type(exc).__name__}: {exc}")
            return False, None

    def fail(self, problem: str) -> None:
        self._feedback.problems.append(problem)

    def expect(self, description: str, func: Callable[[], Any], want: Any) -> None:
        """Call ``func()`` and compare its result with ``want``."""
        self._feedback.checks += 1
        ok, got = self._call(description, func)
        if ok and got != want:
            self.fail(f"{description}: expected {want!r}, got {got!r}")

    def expect_close(
        self, description: str, func: Callable[[], Any], want: float, *, tol: float = 1e-9
    ) -> None:
        """Call ``func()`` and require a number within ``tol`` of ``want``."""
        self._feedback.checks += 1
        ok, got = self._call(description, func)
        if ok and not (isinstance(got, int | float) and abs(got - want) <= tol):
            self.fail(f"{description}: expected {want:.6g}, got {got!r}")

    def expect_raises(
        self, description: str, func: Callable[[], Any], error: type[BaseException]
    ) -> None:
        """Call ``func()`` and require it to raise ``error``."""
        self._feedback.checks += 1
        try:
            got = func()
        except NotImplementedError:
            raise _NotAttempted from None
        except error:
            return
        except Exception as exc:
            self.fail(f"{description}: expected {error.__name__}, got {type(exc).__name__}: {exc}")
            return
        self.fail(f"{description}: expected {error.__name__}, but it returned {got!r}")

    def feedback(self) -> Feedback:
        return self._feedback


def run_checks(exercise: str, body: Callable[[Checker], None]) -> Feedback:
    """Run ``body(checker)``; a stub that raises NotImplementedError counts as
    "not attempted yet" rather than as a crash.

    >>> def stub():
    ...     raise NotImplementedError
    >>> run_checks("stub", lambda c: c.expect("stub()", stub, 1))
    [not yet] stub: replace the `raise NotImplementedError` with your code.
    """
    checker = Checker(exercise)
    try:
        body(checker)
    except _NotAttempted:
        return Feedback(exercise, attempted=False)
    return checker.feedback()
