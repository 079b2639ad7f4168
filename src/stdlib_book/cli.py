"""What the package's command-line programs share: one exit-code contract and
one ``main`` wrapper that turns errors, Ctrl-C and a closed pipe into it.

The contract, for every program (``python -m stdlib_book.<program>``):

====  ==================================================================
code  meaning
====  ==================================================================
0     done
1     done, but something was skipped or needs a look; each one is listed
2     bad usage: nothing was done (argparse's convention)
3     failed: nothing was done (no backup, no crawl, no connection ...)
130   interrupted by Ctrl-C (128 + SIGINT, the shell's convention): not
      finished; what was done so far is in the program's log or output
141   standard output was closed by its reader (``prog | head``; 128 +
      SIGPIPE): the output is cut short, nothing else went wrong
====  ==================================================================

A nightly job can therefore tell "no backup" (3 or more) from "one link
skipped" (1). Each program says what *it* means by 1 and 3 in its ``--help``,
built here by :func:`exit_codes_epilog` so that the text is never retyped.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT(2), what a shell reports for a Ctrl-C'd program
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE(13), what `prog | head` gives a C program

#: The general meaning of each exit code; a program refines 1 and 3 in its help.
CONTRACT: dict[int, str] = {
    EXIT_OK: "done",
    EXIT_PARTIAL: "done, but something was skipped or needs a look (each one listed)",
    EXIT_USAGE: "bad usage, nothing done",
    EXIT_FAILED: "failed, nothing done",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C), not finished",
    EXIT_BROKEN_PIPE: "output pipe closed by its reader (prog | head), output cut short",
}


class UsageError(Exception):
    """The request is wrong (no such directory, an option that does not fit):
    nothing was done. The wrapper prints the usage line and exits with 2."""


class Failed(Exception):
    """The request was fine but could not be carried out at all (disk full,
    server unreachable): nothing was done. The wrapper exits with 3."""


def exit_codes_epilog(meanings: Mapping[int, str] | None = None) -> str:
    """The ``Exit codes:`` paragraph for a program's ``--help``: the contract,
    with the program's own wording for the codes it refines.

    >>> print(exit_codes_epilog({1: "some files skipped"}))  # doctest: +NORMALIZE_WHITESPACE
    Exit codes: 0 done; 1 some files skipped; 2 bad usage, nothing done;
    3 failed, nothing done; 130 interrupted (Ctrl-C), not finished; 141 output
    pipe closed by its reader (prog | head), output cut short.
    """
    meanings = {**CONTRACT, **(meanings or {})}
    unknown = sorted(set(meanings) - set(CONTRACT))
    if unknown:
        raise ValueError(f"not in the exit-code contract: {unknown}")
    text = "; ".join(f"{code} {meanings[code]}" for code in sorted(meanings))
    return f"Exit codes: {text}."


def program_parser(prog: str, description: str,
                   meanings: Mapping[int, str] | None = None) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` whose help ends with the exit codes (see
    :func:`exit_codes_epilog`)."""
    return argparse.ArgumentParser(prog=f"python -m stdlib_book.{prog}", description=description,
                                   epilog=exit_codes_epilog(meanings))


def add_command(subparsers: argparse._SubParsersAction, name: str,
                **kwargs: object) -> argparse.ArgumentParser:
    """``subparsers.add_parser(name, ...)`` that also makes a :class:`UsageError`
    raised for this command read ``prog name: error: ...``, as argparse's own
    errors for the command's arguments do."""
    command = subparsers.add_parser(name, **kwargs)  # type: ignore[arg-type]
    command.set_defaults(command_parser=command)
    return command


def shell_command(*words: str | Path) -> str:
    """A command line that is safe to paste into a POSIX shell: every word
    quoted with :func:`shlex.quote` where it needs it, and a relative ``Path``
    that starts with ``-`` written ``./-...`` so that it cannot read as an option.

    >>> print(shell_command("python", "-m", "stdlib_book.organiser", "undo", Path("it's.json")))
    python -m stdlib_book.organiser undo 'it'"'"'s.json'
    >>> print(shell_command("undo", Path("-rf log.json"), "--apply"))
    undo './-rf log.json' --apply
    """
    quoted = []
    for word in words:
        text = os.fsdecode(word)
        if isinstance(word, Path) and text.startswith("-"):
            text = f"./{text}"
        quoted.append(shlex.quote(text))
    return " ".join(quoted)


def describe(exc: OSError) -> str:
    """``file: problem`` for an ``OSError``, naming every file involved.

    >>> describe(FileNotFoundError(errno.ENOENT, "No such file or directory", "a b.txt"))
    "'a b.txt': No such file or directory"
    """
    names = [repr(os.fsdecode(n)) for n in (exc.filename, exc.filename2) if n is not None]
    problem = exc.strerror or str(exc) or type(exc).__name__
    return f"{' -> '.join(names)}: {problem}" if names else problem


def positive_int(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 1, or a usage error
    that says what was wrong (argparse then exits with code 2).

    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a number of at least 1, got 0
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def seconds(text: str) -> float:
    """An ``argparse`` type: a finite number of seconds, zero or more.

    >>> seconds("0.5")
    0.5
    >>> seconds("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a finite number of seconds, 0 or more, got 'nan'
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(
            f"expected a finite number of seconds, 0 or more, got {text!r}")
    return value


def _stdout_to_devnull() -> None:
    """After a broken pipe, point the stdout file descriptor at ``os.devnull``
    so that the interpreter's final flush at exit cannot fail again (the
    handling the :mod:`signal` documentation recommends for SIGPIPE)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file: nothing to flush at exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _relax_errors() -> list:
    """Let stdout and stderr print any file name; return the streams changed."""
    changed = []
    for stream, errors in ((sys.stdout, "surrogateescape"), (sys.stderr, "backslashreplace")):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=errors)
            changed.append(stream)
    return changed


def _say(prog: str, message: str) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr closed too
        print(f"{prog}: {message}", file=sys.stderr, flush=True)


def run_main(parser: argparse.ArgumentParser, body: Callable[[argparse.Namespace], int],
             argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` with ``parser``, run ``body(args)`` and return its exit
    code, turning what can go wrong into the contract instead of a traceback:

    * :class:`UsageError` -> the usage line and the message, exit 2
      (``SystemExit``, as ``argparse`` itself does for a bad option), from the
      subcommand's parser if it was made with :func:`add_command`;
    * :class:`Failed` -> the message, exit 3;
    * any other ``OSError`` that reached here (disk full, permission denied)
      -> the file and the problem, exit 3;
    * ``KeyboardInterrupt`` -> ``interrupted``, exit 130;
    * ``BrokenPipeError`` (the reader of standard output went away) -> no
      message, stdout pointed at ``os.devnull``, exit 141;
    * a file name that is not valid UTF-8 is printed as its own bytes on
      stdout (``errors="surrogateescape"`` while ``body`` runs) and escaped
      on stderr (``backslashreplace``, Python's default there), instead of
      raising ``UnicodeEncodeError``;
    * standard input closed (``prog <&-``: ``sys.stdin`` is ``None``) reads as
      an empty input, like ``< /dev/null``.

    Programs handle their own peers' errors (a socket's ``BrokenPipeError``
    included); an exception that is none of the above is a bug and keeps its
    traceback.
    """
    prog = parser.prog.split()[-1].removeprefix("stdlib_book.")
    stdin_closed = sys.stdin is None
    if stdin_closed:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - closed in finally
    # A file name that is not valid UTF-8 reaches Python as a str with
    # surrogates (PEP 383); printed strictly it would raise UnicodeEncodeError.
    # On stdout surrogateescape writes the name's own bytes back, as ls does;
    # stderr escapes them (backslashreplace, Python's default for stderr).
    relaxed = _relax_errors()
    try:
        args = parser.parse_args(argv)
        try:
            code = body(args)
            sys.stdout.flush()
            return code
        except UsageError as exc:  # said by the subcommand's parser where it has one
            getattr(args, "command_parser", parser).error(str(exc))
        except Failed as exc:
            _say(prog, str(exc))
            return EXIT_FAILED
        except BrokenPipeError:
            _stdout_to_devnull()
            return EXIT_BROKEN_PIPE
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _stdout_to_devnull()
                return EXIT_BROKEN_PIPE
            _say(prog, describe(exc))
            return EXIT_FAILED
        except KeyboardInterrupt:
            _say(prog, "interrupted")
            return EXIT_INTERRUPTED
    finally:
        for stream in relaxed:
            with contextlib.suppress(OSError, ValueError):  # flushes: the pipe may be gone
                stream.reconfigure(errors="strict")
        if stdin_closed:
            sys.stdin.close()
            sys.stdin = None  # type: ignore[assignment]
    return EXIT_USAGE  # not reached: parser.error raises SystemExit(2)
