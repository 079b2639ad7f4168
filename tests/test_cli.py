"""The shared wrapper, stdlib_book.cli.run_main, case by case."""

import argparse
import errno
import io
import sys

import pytest

from stdlib_book import cli


def parser() -> argparse.ArgumentParser:
    p = cli.program_parser("demo", "A demonstration.", {1: "done, one thing skipped"})
    p.add_argument("what")
    return p


def raising(exc: BaseException):
    def body(args: argparse.Namespace) -> int:
        raise exc
    return body


@pytest.mark.parametrize(("exc", "code", "message"), [
    (cli.Failed("server unreachable"), cli.EXIT_FAILED, "demo: server unreachable"),
    (OSError(errno.ENOSPC, "No space left on device", "out/it's.zip"), cli.EXIT_FAILED,
     "demo: \"out/it's.zip\": No space left on device"),
    (PermissionError(errno.EACCES, "Permission denied", "a", None, "b"), cli.EXIT_FAILED,
     "demo: 'a' -> 'b': Permission denied"),
    (KeyboardInterrupt(), cli.EXIT_INTERRUPTED, "demo: interrupted"),
])
def test_errors_become_exit_codes_and_one_line(exc, code, message, capsys):
    assert cli.run_main(parser(), raising(exc), ["x"]) == code
    out, err = capsys.readouterr()
    assert err == message + "\n" and out == ""


def test_usage_error_is_argparse_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.run_main(parser(), raising(cli.UsageError("no such thing: x")), ["x"])
    assert exc.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m stdlib_book.demo") and "error: no such thing" in err


def test_a_bug_keeps_its_traceback():
    with pytest.raises(ZeroDivisionError):
        cli.run_main(parser(), raising(ZeroDivisionError()), ["x"])


def test_broken_pipe_is_silent(capsys):
    assert cli.run_main(parser(), raising(BrokenPipeError()), ["x"]) == cli.EXIT_BROKEN_PIPE
    assert capsys.readouterr() == ("", "")


def test_closed_stdin_reads_as_empty_and_is_put_back(monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    seen = []
    assert cli.run_main(parser(), lambda args: seen.append(sys.stdin.read()) or 0, ["x"]) == 0
    assert seen == [""] and sys.stdin is None


def test_non_utf8_names_print_and_streams_are_put_back(monkeypatch):
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    name = b"caf\xe9.txt".decode("utf-8", "surrogateescape")

    def body(args):
        print(name)
        print(name, file=sys.stderr)
        return 0

    assert cli.run_main(parser(), body, ["x"]) == 0
    out.flush()
    err.flush()
    assert out.buffer.getvalue() == b"caf\xe9.txt\n"  # the name's own bytes, as ls prints it
    assert err.buffer.getvalue() == b"caf\\udce9.txt\n"  # as Python's own stderr shows it
    assert out.errors == err.errors == "strict"


def test_epilog_refuses_codes_outside_the_contract():
    with pytest.raises(ValueError, match="not in the exit-code contract"):
        cli.exit_codes_epilog({4: "something new"})
