"""The checked console: highlighting, the checker, sessions and the CLI."""

from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdlib_book.interpreter import (
    CheckedConsole,
    HighlightedHTML,
    check,
    check_input_status,
    check_open_without_encoding,
    check_strip_comments,
    highlight,
    main,
    run_session,
    token_kinds,
)

ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def messages(source, namespace=None):
    return [f"{f.severity}: {f.message}" for f in check(source, namespace)]


# ------------------------------------------------------------------ highlighting
STDLIB_SAMPLES = [Path(m.__file__) for m in (ast, tokenize, subprocess, io)]


@pytest.mark.parametrize("path", STDLIB_SAMPLES, ids=lambda p: p.name)
def test_highlighting_real_modules_keeps_every_character(path):
    source = path.read_text(encoding="utf-8")
    assert ANSI_RE.sub("", highlight(source, "ansi")) == source
    assert "".join(text for _, text in token_kinds(source)) == source
    kinds = {kind for kind, _ in token_kinds(source)}
    assert {"keyword", "builtin", "string", "number", "comment", "definition"} <= kinds
    assert "error" not in kinds


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 ()[]'\"#\n\\:=.+fx\t")), max_size=40))
def test_any_text_round_trips_even_if_it_is_not_python(text):
    assert "".join(t for _, t in token_kinds(text)) == text
    assert ANSI_RE.sub("", highlight(text, "ansi")) == text


def test_incomplete_input_is_shown_with_the_unreadable_part_marked():
    pieces = token_kinds("s = '''never closed\nmore")
    assert pieces[0] == ("", "s =")
    assert pieces[-1] == ("error", " '''never closed\nmore")


def test_html_escapes_and_classes():
    out = highlight("if a < b: print('<b>')  # x & y", "html")
    assert out == ('<span class="py-keyword">if</span> a &lt; b: '
                   '<span class="py-builtin">print</span>('
                   '<span class="py-string">\'&lt;b&gt;\'</span>)  '
                   '<span class="py-comment"># x &amp; y</span>')
    shown = HighlightedHTML("def f(): return 1")
    assert '<span class="py-definition">f</span>' in shown._repr_html_()
    assert repr(shown) == "def f(): return 1"


def test_attribute_named_like_a_builtin_is_not_a_builtin():
    assert ("builtin", "len") not in token_kinds("obj.len")
    assert ("builtin", "len") in token_kinds("len(obj)")


def test_ansi_colours_end_on_each_line():
    out = highlight('"""a\nb"""', "ansi")
    for line in out.splitlines():
        assert line.endswith("\x1b[0m")
    with pytest.raises(ValueError, match="style must be"):
        highlight("x", "latex")
    assert highlight("x = 1", "none") == "x = 1"


# ----------------------------------------------------------------------- checker
@pytest.mark.parametrize(("source", "want"), [
    ("eval(input())", ["error: unsafe call: eval() runs any expression it is given",
                       ]),
    ("import os\nos.system('ls')", ["error: unsafe call: os.system() runs a shell command"]),
    ("import os as o\no.popen('ls')", ["error: unsafe call: os.popen() runs a shell command"]),
    ("from os import system as s\ns('ls')",
     ["error: unsafe call: os.system() runs a shell command"]),
    ("import subprocess\nsubprocess.run('ls', shell=True)",
     ["error: unsafe call: subprocess.run() runs its command through a shell; "
      "pass a list of arguments without shell=True"]),
    ("import subprocess as sp\nflag = 1\nsp.Popen('ls', shell=flag)",
     ["error: unsafe call: subprocess.Popen() runs its command through a shell; "
      "pass a list of arguments without shell=True"]),
    ("import subprocess\nsubprocess.run(['ls'], shell=False)", []),
    ("import subprocess\nsubprocess.run(['ls'])", []),
    ("import subprocess\nopts = {}\nsubprocess.run(['ls'], **opts)",
     ["warning: subprocess.run(**kwargs) may pass shell=True; cannot tell before running"]),
    ("from subprocess import getoutput\ngetoutput('ls')",
     ["error: unsafe call: subprocess.getoutput() runs its command through a shell; "
      "pass a list of arguments without shell=True"]),
    ("import pickle\npickle.loads(b'')",
     ["error: unsafe call: pickle.loads() can run code hidden in the data"]),
    ("print(totl)", ["error: name 'totl' is not defined"]),
    ("def f():\n    return later", ["warning: name 'later' is not defined"]),
    ("f = lambda: nope", ["warning: name 'nope' is not defined"]),
    ("x = = 1", ["error: syntax error: invalid syntax"]),
])
def test_checker_findings(source, want):
    assert messages(source) == want


@pytest.mark.parametrize("source", [
    "total = 0\nfor i in range(3):\n    total += i\nprint(total)",
    "[y for y in range(3) if y]",
    "def f(a, /, b=1, *args, c, **kw):\n    return a, b, args, c, kw",
    "class A:\n    def m(self):\n        return A",
    "try:\n    pass\nexcept ValueError as err:\n    print(err)",
    "path = 'x'\nwith open(path, encoding='utf-8') as fh:\n    fh.read()",
    "if (n := 3) > 2:\n    print(n)",
    "match [1, 2]:\n    case [first, *rest]:\n        print(first, rest)\n"
    "    case {'k': v, **others}:\n        print(v, others)\n    case str() as s:\n"
    "        print(s)",
    "def g():\n    global counter\n    counter = 1",
])
def test_correct_code_gives_no_findings(source):
    assert check(source) == []


def test_underscore_builtins_are_defined():
    assert check("print(__debug__, __build_class__, __spec__)") == []


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 syntax is new in 3.12")
@pytest.mark.parametrize("source", [
    "class Box[T]:\n    item: T\n    def get(self) -> T:\n        return self.item",
    "type Pair[K] = tuple[K, K]",
    "def first[T: (int, str), *Ts, **P](xs: list[T]) -> T:\n    return T, Ts, P",
])
def test_type_parameters_are_bound(source):
    assert check(source) == []


def test_deep_expressions_are_checked_without_recursion():
    # 500 terms are 500 levels of BinOp: a recursive ast.NodeVisitor hits the limit
    assert check("x = 1" + "+1" * 2000) == []
    assert messages("x = 1" + "+1" * 2000 + "+oops") == ["error: name 'oops' is not defined"]
    assert messages("import os\nos" + ".path" * 900 + ".system('ls')") == []
    assert messages("import os as o\no.system('ls')") == [
        "error: unsafe call: os.system() runs a shell command"]


@pytest.mark.parametrize("source", ["x = 1" + "+1" * 200_000, "-" * 100_000 + "1"])
def test_too_deep_for_the_parser_is_one_finding_and_one_refusal(source):
    # RecursionError ("during ast construction"), MemoryError ("Parser stack overflowed")
    assert messages(source) == ["error: too deeply nested to check"]
    console = CheckedConsole()
    out = run_session([source, "print('still here')"], console, echo=False)
    assert out == "too deeply nested to compile: not run\nstill here\n"
    assert (console.blocked, console.failed) == (0, 1)


def test_after_a_star_import_unknown_names_are_only_warnings():
    assert messages("from math import *\nprint(sqrt(2))") == [
        "warning: name 'sqrt' is not defined (unless `import *` defines it)"]


def test_names_from_the_namespace_count_and_unsafe_aliases_are_followed():
    assert messages("print(x)", {"x": 1}) == []
    assert messages("sh('ls')", {"sh": os.system}) == [
        "error: unsafe call: os.system() runs a shell command"]
    assert messages("o.system('ls')", {"o": os}) == [
        "error: unsafe call: os.system() runs a shell command"]
    assert messages("evaluate = len\nevaluate('x')") == []  # a name is not a call


def test_findings_have_positions_and_read_well():
    (finding,) = check("x = 1\ny = x + undefined_thing")
    assert (finding.line, finding.col) == (2, 8)
    assert str(finding) == "line 2:9: error: name 'undefined_thing' is not defined"


# ------------------------------------------------------------------------ console
def test_session_runs_blocks_and_reports():
    console = CheckedConsole()
    out = run_session(["total = 0", "for i in range(4):", "    total += i", "",
                       "total", "print(unknown)", "eval('1')", "1/0"], console)
    lines = out.splitlines()
    assert lines[:6] == [">>> total = 0", ">>> for i in range(4):", "...     total += i",
                         "...", ">>> total", "6"]
    assert "checker: line 1:7: error: name 'unknown' is not defined" in lines
    assert lines.count("checker: not run") == 2
    assert lines[-1] == "ZeroDivisionError: division by zero"
    assert (console.blocked, console.failed) == (2, 1)


def test_allow_unsafe_reports_but_runs():
    console = CheckedConsole(allow_unsafe=True)
    out = run_session(["eval('6 * 7')"], console)
    assert out.splitlines()[-1] == "42"
    assert "unsafe call: eval()" in out and "not run" not in out


def test_exit_ends_the_session_and_syntax_errors_are_counted():
    console = CheckedConsole()
    out = run_session(["x = = 1", "raise SystemExit", "print('never')"], console)
    assert "never" not in out and "SyntaxError" in out
    assert console.failed == 1


def test_an_unfinished_block_at_the_end_still_runs():
    out = run_session(["for i in range(2):", "    print(i * 10)"])
    assert out.splitlines()[-2:] == ["0", "10"]


def test_colour_echo_highlights_input():
    out = run_session(["print(1)"], CheckedConsole(color=True))
    assert out.splitlines()[0] == ">>> " + highlight("print(1)", "ansi")
    blocked = run_session(["eval('1')"], CheckedConsole(color=True))
    assert "\x1b[1;31mchecker:" in blocked


# --------------------------------------------------------------------------- CLI
def cli(*args, stdin=""):
    env = {**os.environ}
    env.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "stdlib_book.interpreter", *args],
                          input=stdin, capture_output=True, text=True, encoding="utf-8",
                          timeout=60, env=env, check=False)


def test_cli_reads_a_piped_session():
    done = cli(stdin="x = 6\nx * 7\n")
    assert done.stdout == ">>> x = 6\n>>> x * 7\n42\n"
    assert done.returncode == 0


def test_cli_exit_code_is_1_when_something_was_refused_or_failed():
    assert cli(stdin="os.system('ls')\n").returncode == 1
    assert cli(stdin="1/0\n").returncode == 1
    assert cli("--allow-unsafe", "--quiet", stdin="print(eval('2'))\n").stdout.endswith("2\n")


def test_cli_runs_deep_code_and_refuses_code_too_deep_to_compile():
    ran = cli("--quiet", stdin="x = 1" + "+1" * 899 + "\nprint(x)\n")
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "900\n", "")
    refused = cli("--quiet", stdin="-" * 100_000 + "1\nprint(2)\n")
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        1, "too deeply nested to compile: not run\n2\n", "")


def test_cli_usage():
    assert "before running it" in cli("--help").stdout
    bad = cli("--color", "sometimes")
    assert bad.returncode == 2 and "invalid choice: 'sometimes'" in bad.stderr
    coloured = cli("--color", "always", stdin="print(1)\n")
    assert "\x1b[36mprint" in coloured.stdout


def test_main_in_process(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("print('hi')\n"))
    assert main(["--color", "never"]) == 0
    assert capsys.readouterr().out == ">>> print('hi')\nhi\n"


# ------------------------------------------------------------ exercise checks
def strip_comments(source):
    lines = source.splitlines(keepends=True)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            line = lines[row - 1]
            lines[row - 1] = line[:col].rstrip() + line[tok.end[1]:]
    return "".join(lines)


def open_without_encoding(source):
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "open":
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            binary = isinstance(mode, ast.Constant) and "b" in str(mode.value)
            has_encoding = len(node.args) > 3 or any(k.arg == "encoding" for k in node.keywords)
            if not binary and not has_encoding:
                found.append(node.lineno)
    return sorted(found)


def input_status(source):
    import code
    try:
        return "incomplete" if code.compile_command(source) is None else "complete"
    except (SyntaxError, ValueError, OverflowError):
        return "invalid"


def test_exercise_checks_pass_right_answers():
    assert check_strip_comments(strip_comments).passed
    assert check_open_without_encoding(open_without_encoding).passed
    assert check_input_status(input_status).passed


def test_exercise_checks_fail_wrong_answers():
    assert not check_strip_comments(lambda s: s.split("#")[0]).passed
    assert not check_open_without_encoding(
        lambda s: [i + 1 for i, line in enumerate(s.splitlines()) if "open(" in line]).passed
    assert not check_input_status(
        lambda s: "incomplete" if s.rstrip().endswith(":") else "complete").passed


def test_stubs_are_not_attempted():
    def stub(source):
        raise NotImplementedError

    for checker in (check_strip_comments, check_open_without_encoding, check_input_status):
        assert not checker(stub).attempted


def test_a_host_that_replaced_the_hooks_does_not_steal_the_transcript(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "displayhook", lambda value: seen.append(("display", value)))
    monkeypatch.setattr(sys, "excepthook", lambda *exc: seen.append(("except", exc[0])))
    out = run_session(["6 * 7", "1/0"])
    assert seen == []
    assert out.splitlines()[1] == "42"
    assert out.splitlines()[-1] == "ZeroDivisionError: division by zero"
    assert sys.displayhook is not sys.__displayhook__  # the host's hooks are back


def test_an_f_string_is_one_string_piece_on_every_version():
    # 3.12+ tokenize splits f-strings (FSTRING_START, NAME, OP, ..., FSTRING_END)
    source = 'print(f"hello, { name !r:>{width}}!")'
    pieces = token_kinds(source)
    assert ("string", 'f"hello, { name !r:>{width}}!"') in pieces
    assert "".join(text for _, text in pieces) == source


def test_the_section_states_the_size_of_this_module():
    """10.2's summary gives the module's length; it must stay true (within 10%)."""
    root = Path(__file__).resolve().parents[1]
    cells = json.loads((root / "notebooks" / "10-2-interpreter.ipynb").read_text(encoding="utf-8"))
    summary = next("".join(c["source"]) for c in cells["cells"]
                   if c["cell_type"] == "markdown" and "## Summary" in "".join(c["source"]))
    stated = int(re.search(r"About ([\d,]+) lines", summary).group(1).replace(",", ""))
    module = root / "src" / "stdlib_book" / "interpreter.py"
    actual = len(module.read_text(encoding="utf-8").splitlines())
    assert abs(actual - stated) <= stated / 10, f"the summary says {stated} lines, it has {actual}"
