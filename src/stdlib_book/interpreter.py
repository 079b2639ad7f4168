"""A small Python interpreter of your own: ``code`` + ``tokenize`` + ``ast``.

* :func:`highlight` colours Python source with :mod:`tokenize` (ANSI for a
  terminal, HTML for a page); what it returns is the source, byte for byte,
  plus markup;
* :func:`check` reads source with :mod:`ast` *before it runs* and reports names
  that are never defined and calls that are unsafe to run on untrusted input
  (``eval``, ``exec``, ``os.system``, ``subprocess`` with ``shell=True``...);
* :class:`CheckedConsole` is a ``code.InteractiveConsole`` that checks each
  complete statement first and refuses to run it if the check finds an error;
* :func:`run_session` feeds it lines and returns the transcript, which is how a
  notebook or a test drives it;
* ``python -m stdlib_book.interpreter`` is the command line: interactive on a
  terminal, a transcript when standard input is a pipe or a file.

The checker is a safety net for mistakes, **not a sandbox**: Python code that
wants to escape a static check can (``getattr(__builtins__, "ev" + "al")``).
Untrusted code needs a separate process with no privileges, not a linter.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import code
import contextlib
import html
import io
import keyword
import os
import sys
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stdlib_book.cli import EXIT_OK, EXIT_PARTIAL, program_parser, run_main
from stdlib_book.selfcheck import Checker, Feedback, run_checks

#: What this program means by the contract's code 1 (3 keeps its general meaning).
EXIT_CODES = {1: "done, but a statement raised or was refused by the checker (shown)"}

Style = Literal["ansi", "html", "none"]

# --------------------------------------------------------------------- highlighting
ANSI = {
    "keyword": "\x1b[1;35m",
    "builtin": "\x1b[36m",
    "string": "\x1b[32m",
    "number": "\x1b[33m",
    "comment": "\x1b[2;37m",
    "definition": "\x1b[1;34m",
    "error": "\x1b[1;31m",
}
ANSI_RESET = "\x1b[0m"
#: Names coloured as built-ins (as Python's own REPL colours them: no ``_`` names).
#: The checker counts every name in ``dir(builtins)`` as defined, ``__debug__`` too.
BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))
_STRING_TYPES = {tokenize.STRING} | {
    getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END",
                                   "TSTRING_START", "TSTRING_MIDDLE", "TSTRING_END")
    if hasattr(tokenize, n)
}
#: From 3.12 (PEP 701) tokenize splits an f-string into FSTRING_START, its parts
#: (the expressions as ordinary tokens) and FSTRING_END; 3.14's t-strings likewise.
_STRING_OPENERS = {getattr(tokenize, n) for n in ("FSTRING_START", "TSTRING_START")
                   if hasattr(tokenize, n)}
_STRING_CLOSERS = {getattr(tokenize, n) for n in ("FSTRING_END", "TSTRING_END")
                   if hasattr(tokenize, n)}


def token_kinds(source: str) -> list[tuple[str, str]]:
    """Split ``source`` into ``(kind, text)`` pieces that join back to ``source``.

    ``kind`` is one of ``keyword builtin string number comment definition error``
    or ``""`` for text shown plain. Source that ``tokenize`` cannot finish (an
    unclosed bracket or string, as typed half-way) is still returned whole:
    the part it could not read is marked ``error``. An f-string is one
    ``string`` piece on every version: from 3.12 (PEP 701) ``tokenize`` splits
    it into ``FSTRING_START``, its parts and ``FSTRING_END``, which are joined
    back here, so the colours are the same on 3.11 and on 3.12 and later.

    >>> token_kinds("n = len('ab')  # two")[1:]
    [('builtin', 'len'), ('', '('), ('string', "'ab'"), ('', ')  '), ('comment', '# two')]
    """
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(row: int, col: int) -> int:
        # tokenize may report a position one past the end (an implied newline)
        return min(starts[row - 1] + col, len(source)) if row <= len(lines) else len(source)

    pieces: list[tuple[str, str]] = []
    done = 0
    previous = ""

    def emit(kind: str, end: int) -> None:
        nonlocal done
        if end <= done:
            return
        text = source[done:end]
        if pieces and pieces[-1][0] == kind:
            pieces[-1] = (kind, pieces[-1][1] + text)
        else:
            pieces.append((kind, text))
        done = end

    depth = 0  # inside how many f-strings (3.12+ tokenize: one f-string is many tokens)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            begin, end = offset(*tok.start), offset(*tok.end)
            emit("string" if depth else "", begin)  # whitespace and anything between tokens
            depth += tok.type in _STRING_OPENERS
            kind = "string" if depth else _kind(tok, previous)
            depth -= tok.type in _STRING_CLOSERS
            emit(kind, end)
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
                previous = tok.string
    except (tokenize.TokenError, SyntaxError):
        pass  # incomplete or invalid input: show the rest as an error
    emit("error", len(source))
    return pieces


def _kind(tok: tokenize.TokenInfo, previous: str) -> str:
    if tok.type == tokenize.NAME:
        if previous in ("def", "class"):
            return "definition"
        if keyword.iskeyword(tok.string):
            return "keyword"
        if tok.string in BUILTIN_NAMES and previous != ".":
            return "builtin"
        return ""
    if tok.type in _STRING_TYPES:
        return "string"
    if tok.type == tokenize.NUMBER:
        return "number"
    if tok.type == tokenize.COMMENT:
        return "comment"
    if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
        return "error"
    return ""


def highlight(source: str, style: Style = "ansi") -> str:
    """Return ``source`` with colour markup: ANSI escapes, HTML spans, or none.

    >>> highlight("if x: pass", "html")
    '<span class="py-keyword">if</span> x: <span class="py-keyword">pass</span>'
    >>> highlight("print(1)", "ansi") == "\\x1b[36mprint\\x1b[0m(\\x1b[33m1\\x1b[0m)"
    True
    >>> highlight("x", "rtf")
    Traceback (most recent call last):
    ...
    ValueError: style must be 'ansi', 'html' or 'none', got 'rtf'
    """
    if style not in ("ansi", "html", "none"):
        raise ValueError(f"style must be 'ansi', 'html' or 'none', got {style!r}")
    out = []
    for kind, text in token_kinds(source):
        if style == "html":
            text = html.escape(text, quote=False)
            out.append(f'<span class="py-{kind}">{text}</span>' if kind else text)
        elif style == "ansi" and kind:
            # colour each line separately, so a terminal never carries colour over
            out.append("\n".join(f"{ANSI[kind]}{part}{ANSI_RESET}" if part else part
                                 for part in text.split("\n")))
        else:
            out.append(text)
    return "".join(out)


HTML_STYLE = """<style>
pre.py-highlight {background:#f8f8f8; padding:0.5em; line-height:1.3}
.py-keyword {color:#8959a8; font-weight:bold} .py-builtin {color:#3e999f}
.py-string {color:#718c00} .py-number {color:#f5871f} .py-comment {color:#8e908c}
.py-definition {color:#4271ae; font-weight:bold} .py-error {color:#c82829; font-weight:bold}
</style>"""


class HighlightedHTML:
    """Highlighted source that Jupyter renders as HTML (and prints as plain text)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def _repr_html_(self) -> str:
        return f'{HTML_STYLE}<pre class="py-highlight">{highlight(self.source, "html")}</pre>'

    def __repr__(self) -> str:
        return self.source


# ------------------------------------------------------------------------ checking
@dataclass(frozen=True, order=True)
class Finding:
    """One thing the checker found: where, how bad, and what."""

    line: int
    col: int
    severity: Literal["error", "warning"]
    message: str

    def __str__(self) -> str:
        return f"line {self.line}:{self.col + 1}: {self.severity}: {self.message}"


UNSAFE_CALLS = {
    "eval": "eval() runs any expression it is given",
    "exec": "exec() runs any code it is given",
    "compile": "compile() prepares arbitrary code to run",
    "__import__": "__import__() loads any module by name",
    "os.system": "os.system() runs a shell command",
    "os.popen": "os.popen() runs a shell command",
    "pickle.loads": "pickle.loads() can run code hidden in the data",
    "pickle.load": "pickle.load() can run code hidden in the data",
}
SHELL_CALLS = {f"subprocess.{n}" for n in
               ("run", "call", "check_call", "check_output", "Popen", "getoutput",
                "getstatusoutput")}
_ALWAYS_SHELL = {"subprocess.getoutput", "subprocess.getstatusoutput"}


def _qualified_names(namespace: Mapping[str, Any]) -> dict[str, str]:
    """Map names bound in a running namespace to the dotted names they stand
    for, when they are modules or the functions the checker watches."""
    watched = {}
    for dotted in [*UNSAFE_CALLS, *SHELL_CALLS]:
        module_name, _, attr = dotted.rpartition(".")
        module = sys.modules.get(module_name or "builtins")
        if module is not None and hasattr(module, attr):
            watched[id(getattr(module, attr))] = dotted
    known = {}
    for name, value in namespace.items():
        if isinstance(value, type(sys)):
            known[name] = value.__name__
        elif id(value) in watched and name not in BUILTIN_NAMES:
            known[name] = watched[id(value)]
    return known


class _Visitor(ast.NodeVisitor):
    """Collects bound names, read names and unsafe calls, visiting nodes in
    source order without recursion: ``ast.NodeVisitor`` recurses once per level,
    and ``x = 1+1+...`` with 500 terms, which Python runs, is 500 levels deep."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases  # local name -> dotted name it refers to
        self.bound: set[str] = set()
        self.loads: list[tuple[ast.Name, bool]] = []  # (node, inside a function)
        self.findings: list[Finding] = []
        self.depth = 0
        self.star_import = False
        self._queued: list[tuple[ast.AST, int]] = []

    def walk(self, tree: ast.AST) -> None:
        """Visit ``tree`` with a stack of its own: each ``visit_*`` method's
        calls of :meth:`visit` only queue a child (with the function depth of
        that moment), and the children run next, in order, before any sibling."""
        stack = [(tree, 0)]
        while stack:
            node, self.depth = stack.pop()
            self._queued = []
            super().visit(node)
            stack.extend(reversed(self._queued))

    def visit(self, node: ast.AST) -> None:
        self._queued.append((node, self.depth))

    # -- names bound anywhere in the snippet
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.append((node, self.depth > 0))
        else:
            self.bound.add(node.id)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda):
            self.bound.add(node.name)
            for deco in node.decorator_list:
                self.visit(deco)
        for param in getattr(node, "type_params", ()):  # def f[T](x: T), 3.12+
            self.visit(param)
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                self.bound.add(arg.arg)
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.visit(default)
        self.depth += 1
        body = node.body if isinstance(node.body, list) else [node.body]
        for stmt in body:
            self.visit(stmt)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.bound.add(node.name)
        self.generic_visit(node)

    def _type_param(self, node: ast.AST) -> None:
        # class Box[T], def f[T], type Pair[K] = ... (PEP 695, 3.12+); a
        # TypeAlias's own name is a Name in Store context, bound as usual
        self.bound.add(node.name)  # type: ignore[attr-defined]
        self.generic_visit(node)

    visit_TypeVar = visit_ParamSpec = visit_TypeVarTuple = _type_param

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            self.bound.add(local)
            self.aliases[local] = alias.name if alias.asname else local

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.star_import = True
                continue
            local = alias.asname or alias.name
            self.bound.add(local)
            if node.module and not node.level:
                self.aliases[local] = f"{node.module}.{alias.name}"

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.bound.update(node.names)

    visit_Nonlocal = visit_Global  # type: ignore[assignment]

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.bound.add(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.bound.add(node.rest)
        self.generic_visit(node)

    # -- unsafe calls
    def dotted(self, node: ast.expr) -> str | None:
        attrs = []
        while isinstance(node, ast.Attribute):  # a loop: a.b.c... may be long
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        return ".".join([self.aliases.get(node.id, node.id), *reversed(attrs)])

    def visit_Call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        if name in UNSAFE_CALLS:
            self.findings.append(Finding(node.lineno, node.col_offset, "error",
                                         f"unsafe call: {UNSAFE_CALLS[name]}"))
        elif name in SHELL_CALLS:
            shell = next((kw.value for kw in node.keywords if kw.arg == "shell"), None)
            if name in _ALWAYS_SHELL or (shell is not None and not (
                    isinstance(shell, ast.Constant) and not shell.value)):
                self.findings.append(Finding(
                    node.lineno, node.col_offset, "error",
                    f"unsafe call: {name}() runs its command through a shell; "
                    "pass a list of arguments without shell=True"))
            elif any(kw.arg is None for kw in node.keywords):
                self.findings.append(Finding(
                    node.lineno, node.col_offset, "warning",
                    f"{name}(**kwargs) may pass shell=True; cannot tell before running"))
        self.generic_visit(node)


def check(source: str, namespace: Mapping[str, Any] | None = None) -> list[Finding]:
    """Find problems in ``source`` before it runs, given the names already
    defined in ``namespace`` (the console's variables).

    * a name used at top level that is defined nowhere is an **error** (it would
      raise ``NameError`` after any earlier lines had already run);
    * the same inside a function or lambda is a **warning**: it may be defined
      before the function is called;
    * calls that run arbitrary code or a shell are **errors**, followed through
      ``import ... as`` and names bound earlier in the session.

    A snippet that does not parse gives one error with the parser's message,
    and one nested too deeply for the parser (thousands of brackets or
    operators) one error saying so.

    >>> for f in check("import os as o\\nprint(totl)\\no.system('ls')"):
    ...     print(f)
    line 2:7: error: name 'totl' is not defined
    line 3:1: error: unsafe call: os.system() runs a shell command
    """
    namespace = namespace or {}
    try:
        tree = ast.parse(source, "<input>")
    except SyntaxError as exc:
        return [Finding(exc.lineno or 1, max((exc.offset or 1) - 1, 0), "error",
                        f"syntax error: {exc.msg}")]
    except (RecursionError, MemoryError):  # MemoryError: "Parser stack overflowed"
        return [Finding(1, 0, "error", "too deeply nested to check")]
    visitor = _Visitor(_qualified_names(namespace))
    visitor.walk(tree)
    findings = list(visitor.findings)
    # what a name falls back to when the session does not define it: builtins
    # (now, so that `_`, set by the display hook, counts once it exists)
    known = visitor.bound | set(namespace) | set(dir(builtins)) | {"__builtins__"}
    for node, in_function in visitor.loads:
        if node.id not in known:
            severity = "warning" if in_function or visitor.star_import else "error"
            unless = " (unless `import *` defines it)" if visitor.star_import else ""
            findings.append(Finding(node.lineno, node.col_offset, severity,
                                    f"name {node.id!r} is not defined{unless}"))
    return sorted(set(findings))


# ------------------------------------------------------------------------- console
class CheckedConsole(code.InteractiveConsole):
    """An interactive console that checks each statement before running it.

    Output of the console itself (prompts, findings, tracebacks) goes through
    :meth:`write`, which subclasses or :func:`run_session` can redirect.
    """

    def __init__(
        self,
        local_vars: dict[str, Any] | None = None,
        *,
        allow_unsafe: bool = False,
        color: bool = False,
    ) -> None:
        super().__init__(local_vars if local_vars is not None else
                         {"__name__": "__console__", "__doc__": None})
        self.allow_unsafe = allow_unsafe
        self.color = color
        self.blocked = 0
        self.failed = 0

    def runsource(self, source: str, filename: str = "<input>", symbol: str = "single") -> bool:
        try:
            compiled = self.compile(source, filename, symbol)
        except (OverflowError, SyntaxError, ValueError):
            self.showsyntaxerror(filename)
            self.failed += 1
            return False
        except (RecursionError, MemoryError):  # the parser's or compiler's depth limit
            self.write("too deeply nested to compile: not run\n")
            self.failed += 1
            return False
        if compiled is None:
            return True  # incomplete: ask for more lines
        findings = check(source, self.locals)
        errors = [f for f in findings if f.severity == "error"]
        if self.allow_unsafe:
            errors = [f for f in errors if not f.message.startswith("unsafe call")]
        for finding in findings:
            self.write(self._paint(f"checker: {finding}", finding.severity) + "\n")
        if errors:
            self.write("checker: not run\n")
            self.blocked += 1
            return False
        self.runcode(compiled)
        return False

    def showtraceback(self) -> None:
        self.failed += 1
        super().showtraceback()

    def _paint(self, text: str, severity: str) -> str:
        if not self.color:
            return text
        colour = ANSI["error"] if severity == "error" else ANSI["number"]
        return f"{colour}{text}{ANSI_RESET}"


def run_session(
    lines: Iterable[str],
    console: CheckedConsole | None = None,
    *,
    echo: bool = True,
) -> str:
    """Feed ``lines`` to ``console`` as if typed, and return the transcript.

    Each input line is echoed after its prompt (highlighted when the console
    has ``color=True``), followed by whatever running it printed. A session
    ends at the last line or at ``exit()``.

    >>> run_session(["x = 6 * 7", "x", "for i in range(2):", "    print(i)"]).splitlines()
    ['>>> x = 6 * 7', '>>> x', '42', '>>> for i in range(2):', '...     print(i)', '0', '1']
    """
    console = console or CheckedConsole()
    buffer = io.StringIO()
    console.write = buffer.write  # type: ignore[method-assign]
    more = False
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer), \
            plain_hooks():
        for raw in lines:
            line = raw.rstrip("\n")
            if echo:
                prompt = "... " if more else ">>> "
                shown = highlight(line, "ansi") if console.color else line
                buffer.write((prompt + shown).rstrip() + "\n")
            try:
                more = console.push(line)
            except SystemExit:
                break
        else:
            if more:  # input ended inside a block: finish it like an empty line
                with contextlib.suppress(SystemExit):
                    console.push("")
    return buffer.getvalue()


@contextlib.contextmanager
def plain_hooks() -> Iterator[None]:
    """Use Python's own display and exception hooks while a session runs.

    Hosts such as IPython replace ``sys.displayhook`` and ``sys.excepthook``;
    ``code.InteractiveConsole`` defers to a replaced excepthook, and the
    displayhook decides where ``>>> 6 * 7`` prints its result. With the
    defaults, both end up in the session's transcript.
    """
    saved = sys.displayhook, sys.excepthook
    sys.displayhook, sys.excepthook = sys.__displayhook__, sys.__excepthook__
    try:
        yield
    finally:
        sys.displayhook, sys.excepthook = saved


# ---------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    """``python -m stdlib_book.interpreter``: exit 0 if every statement ran,
    1 if any raised or was refused by the checker, 2 on a usage error (the
    package's contract, :mod:`stdlib_book.cli`)."""
    parser = program_parser(
        "interpreter",
        "A Python console that highlights what you type and checks each "
        "statement (undefined names, eval/exec, os.system, shell=True) "
        "before running it. Reads standard input as a session when it "
        "is not a terminal.", EXIT_CODES)
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the echoed input and findings (default: auto, "
                             "meaning only on a terminal)")
    parser.add_argument("--allow-unsafe", action="store_true",
                        help="report unsafe calls but run them anyway")
    parser.add_argument("--quiet", action="store_true",
                        help="do not echo input lines in a piped session")
    return run_main(parser, _run, argv)


def _run(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty()
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty()
                                       and "NO_COLOR" not in os.environ)
    console = CheckedConsole(allow_unsafe=args.allow_unsafe, color=color)
    if interactive:  # pragma: no cover - needs a terminal
        console.interact(banner="Checked Python console; exit() or Ctrl-D to leave.",
                         exitmsg="")
    else:
        sys.stdout.write(run_session(sys.stdin, console, echo=not args.quiet))
    return EXIT_PARTIAL if console.blocked or console.failed else EXIT_OK


# ------------------------------------------------------------------ exercise checks
def check_strip_comments(func: Any) -> Feedback:
    """Self-check: ``func(source)`` returns ``source`` without its comments
    (and without the spaces before them), leaving strings that contain ``#`` alone."""
    cases = [
        ("x = 1  # one\n", "x = 1\n"),
        ("# only a comment\ny = 2\n", "\ny = 2\n"),
        ("s = '# not a comment'\n", "s = '# not a comment'\n"),
        ('t = """\n# inside a string\n"""  # after\n', 't = """\n# inside a string\n"""\n'),
        ("def f():\n    return 1  # done\n", "def f():\n    return 1\n"),
        ("no_newline = 3  # end", "no_newline = 3"),
    ]

    def body(c: Checker) -> None:
        for source, want in cases:
            c.expect(f"strip_comments({source!r})", lambda s=source: func(s), want)

    return run_checks("strip_comments", body)


def check_open_without_encoding(func: Any) -> Feedback:
    """Self-check: ``func(source)`` returns the sorted line numbers of calls to
    ``open(...)`` in text mode that pass no ``encoding``."""
    cases = [
        ("f = open('a.txt')\n", [1]),
        ("f = open('a.txt', encoding='utf-8')\n", []),
        ("f = open('a.bin', 'rb')\ng = open('b.txt', 'w')\n", [2]),
        ("with open('x', mode='wb') as f:\n    pass\n", []),
        ("data = pathlib.Path('x').open()\nh = open(name, 'r', -1, 'utf-8')\n", []),
        ("def f():\n    return open('x', 'a')\n", [2]),
        ("print('open(x)')\n", []),
    ]

    def body(c: Checker) -> None:
        for source, want in cases:
            c.expect(f"open_without_encoding({source!r})", lambda s=source: func(s), want)

    return run_checks("open_without_encoding", body)


def check_input_status(func: Any) -> Feedback:
    """Self-check: ``func(source)`` says whether console input is
    ``"complete"``, ``"incomplete"`` (needs more lines) or ``"invalid"``."""
    cases = [
        ("x = 1", "complete"),
        ("if x:", "incomplete"),
        ("print(1,", "incomplete"),
        ("def f():\n    return 1\n", "complete"),
        ("x = = 1", "invalid"),
        ("'''open string", "incomplete"),
        ("1 +", "invalid"),
        ("", "complete"),
    ]

    def body(c: Checker) -> None:
        for source, want in cases:
            c.expect(f"input_status({source!r})", lambda s=source: func(s), want)

    return run_checks("input_status", body)


if __name__ == "__main__":
    sys.exit(main())
