"""The book's module reference: data, checks, and the generator of book/modules.md.

The data is the seed table "Python Modules and Their Uses" (see the book's
appendix), with one line per module written for this book. Everything a
reader could doubt is *computed* when the page is generated, not typed:

* whether a module is in the standard library: ``sys.stdlib_module_names``
  of the interpreter that generates the page;
* which chapters use it: the ``import`` statements (and ``module.sub``
  attribute chains) in the code cells of ``notebooks/*.ipynb``, read with
  :mod:`ast`, so a new chapter shows up the next time the page is generated;
  plus the imports of the chapter's own helper modules (``stdlib_book.backup``
  for section 9.5, named in an import or a ``python -m`` string), because what
  a chapter teaches through a helper is still taught. The shared utilities
  that every chapter uses (:data:`SHARED_HELPERS`) are not counted.

``python tools/gen_modref.py`` (``make reference``) writes the page; a test
fails when the committed page differs from what the generator produces.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: The module names of the seed table, row by row, as the table gives them:
#: repeats included. Its last row (``base64``) is cut off in the middle of the
#: description; the name is complete, so the module is kept and described here.
SEED_ROWS: tuple[str, ...] = (
    "os", "sys", "math", "random", "datetime", "re", "json", "csv", "requests", "sqlite3",
    "tkinter", "numpy", "pandas", "matplotlib", "scikit-learn", "tensorflow", "pygame",
    "threading", "multiprocessing", "asyncio", "logging", "unittest", "argparse",
    "collections", "itertools", "pickle", "gzip", "zipfile", "hashlib", "subprocess",
    "collections", "xml", "html", "smtplib", "imaplib", "ftplib", "socket", "asyncio", "ssl",
    "argparse", "gettext", "timeit", "uuid", "os.path", "configparser", "concurrent.futures",
    "glob", "shutil", "io", "zipfile", "platform", "argparse", "pathlib", "functools",
    "asyncio", "unittest.mock", "multiprocessing", "base64",
)
TRUNCATED_ROW = "base64"


@dataclass(frozen=True)
class ModuleRef:
    """One module of the reference: its name as the seed table writes it, what
    it is for (in this book's words), and, for a third-party package, the
    name it is imported by and its project name on PyPI."""

    name: str
    purpose: str
    import_name: str = ""
    pypi: str = ""

    @property
    def module(self) -> str:
        """The name used in an ``import`` statement."""
        return self.import_name or self.name


_PURPOSES: dict[str, tuple[str, ...]] = {
    "os": ("The operating system as this process sees it: environment, files, "
           "directories, process ids, low-level calls.",),
    "sys": ("The running interpreter: argv, exit, module search path, version, "
            "standard streams.",),
    "math": ("Functions on floats and integers (exp, log, sqrt, fsum, isclose, comb); "
             "for complex numbers use cmath.",),
    "random": ("Seedable pseudo-random numbers for simulations and tests; predictable, "
               "so never for passwords or tokens (use secrets).",),
    "datetime": ("Dates, times and durations; time zones through timezone and zoneinfo.",),
    "re": "Regular expressions: search, match, split and substitute text by pattern.",
    "json": ("Read and write JSON text; maps it to dicts, lists, strings, numbers, "
             "True/False/None.",),
    "csv": ("Read and write comma- (or otherwise) separated files, with quoting done "
            "right; open files with newline=''.",),
    "requests": ("Third-party HTTP client with a friendlier API than urllib.request; "
                 "install it with pip.", "requests", "requests"),
    "sqlite3": ("An SQL database in one file (or in memory), through the SQLite C "
                "library this Python was built with.",),
    "tkinter": ("Desktop GUIs with Tk; part of the standard library, but some Linux "
                "distributions package it separately.",),
    "numpy": ("Third-party n-dimensional arrays and fast vectorised maths, the base of "
              "scientific Python.", "numpy", "numpy"),
    "pandas": ("Third-party labelled tables (DataFrame) for loading, cleaning and "
               "summarising data.", "pandas", "pandas"),
    "matplotlib": ("Third-party plotting: static, animated and interactive figures.",
                   "matplotlib", "matplotlib"),
    "scikit-learn": ("Third-party machine learning (models, preprocessing, evaluation); "
                     "imported as sklearn.", "sklearn", "scikit-learn"),
    "tensorflow": ("Third-party deep-learning framework with tensors and GPU support.",
                   "tensorflow", "tensorflow"),
    "pygame": ("Third-party library for 2D games and multimedia on top of SDL.",
               "pygame", "pygame"),
    "threading": ("Threads with a high-level API (Thread, Lock, Event, Condition); "
                  "_thread is the low-level one.",),
    "multiprocessing": ("Work in separate processes, each with its own interpreter, "
                        "to use several CPU cores.",),
    "asyncio": ("Many waiting tasks in one thread with async/await: sockets, "
                "subprocesses, timers.",),
    "logging": ("Leveled, configurable log records sent to handlers (stderr, files, "
                "syslog...).",),
    "unittest": "The built-in xUnit-style test framework (TestCase, assertions, runner).",
    "argparse": ("Command-line parsing with generated help, type conversion, and exit "
                 "code 2 on bad usage.",),
    "collections": ("Specialised containers: deque, Counter, defaultdict, OrderedDict, "
                    "namedtuple, ChainMap.",),
    "itertools": ("Building blocks for iterators: chain, islice, groupby, product, "
                  "combinations, batched (3.12).",),
    "pickle": ("Serialise Python objects to bytes and back; loading runs code, so never "
               "unpickle untrusted data.",),
    "gzip": "Read and write .gz files (DEFLATE compression via zlib).",
    "zipfile": ("Create, read and extract ZIP archives; check member names before "
                "extracting untrusted ones.",),
    "hashlib": ("Message digests (SHA-2, SHA-3, BLAKE2) and pbkdf2/scrypt; MD5 and SHA-1 "
                "are there but broken for security.",),
    "subprocess": ("Run other programs, feed their input, capture their output and exit "
                   "code; no shell needed.",),
    "xml": ("Packages for XML (etree, dom, sax); the docs warn which parsers are unsafe "
            "for untrusted input.",),
    "html": ("html.escape and html.unescape; the parser itself is the submodule "
             "html.parser.",),
    "smtplib": "Send email through an SMTP server (with STARTTLS or SMTP_SSL).",
    "imaplib": "A low-level IMAP4 client for reading mailboxes on a server.",
    "ftplib": "An FTP client; plain FTP sends passwords in clear, so prefer FTP_TLS or SFTP.",
    "socket": ("The BSD socket interface: TCP and UDP connections at the lowest level "
               "the standard library offers.",),
    "ssl": ("TLS for sockets; create_default_context() verifies certificates and host "
            "names.",),
    "gettext": "Translate a program's messages with GNU gettext catalogs (.mo files).",
    "timeit": ("Time small snippets repeatedly with the best clock; report the minimum, "
               "not the mean.",),
    "uuid": ("Universally unique identifiers; uuid4 is random, uuid1 embeds the time and "
             "a node id.",),
    "os.path": ("Path strings for this platform (posixpath or ntpath): join, split, "
                "exists; pathlib wraps the same jobs in objects.",),
    "configparser": "Read and write INI-style configuration files.",
    "concurrent.futures": ("Thread and process pools behind one Executor API: submit, "
                           "map, futures.",),
    "glob": "Find paths by shell-style wildcards (*, ?, [...], ** with recursive=True).",
    "shutil": "Whole-file and whole-tree operations: copy, move, rmtree, archives, disk usage.",
    "io": ("The file objects behind open(), plus in-memory files StringIO and "
           "BytesIO.",),
    "platform": "Identify the machine, operating system and Python implementation.",
    "pathlib": "Paths as objects, with the / operator and methods for small file I/O.",
    "functools": ("Tools for functions: lru_cache and cache, partial, reduce, wraps, "
                  "singledispatch.",),
    "unittest.mock": "Replace parts of a system under test with Mock objects and patch().",
    "base64": ("Encode bytes as base64/base32/base16 text and back; an encoding, not "
               "encryption.",),
}


def _ref(name: str, spec: tuple[str, ...] | str) -> ModuleRef:
    if isinstance(spec, str):
        spec = (spec,)
    return ModuleRef(name, *spec)


#: Every module the seed table names, once, in order of first appearance.
MODULES: tuple[ModuleRef, ...] = tuple(
    _ref(name, _PURPOSES[name]) for name in dict.fromkeys(SEED_ROWS)
)


# -- computed facts --------------------------------------------------------------


def in_stdlib(module: str) -> bool:
    """True if the top-level package of ``module`` is in this interpreter's
    standard library (``sys.stdlib_module_names``, Python 3.10+).

    >>> in_stdlib("os.path"), in_stdlib("requests"), in_stdlib("sklearn")
    (True, False, False)
    """
    return module.split(".")[0] in sys.stdlib_module_names


def docs_url(ref: ModuleRef) -> str:
    """The documentation page: docs.python.org for the standard library, the
    PyPI project page otherwise.

    >>> docs_url(MODULES[0])
    'https://docs.python.org/3/library/os.html'
    """
    if in_stdlib(ref.module):
        return f"https://docs.python.org/3/library/{ref.module}.html"
    return f"https://pypi.org/project/{ref.pypi or ref.module}/"


def _code_cells(notebook: Path) -> Iterable[tuple[int, str]]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            yield index, source if isinstance(source, str) else "".join(source)


_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def modules_used(source: str, bound: dict[str, str] | None = None) -> set[str]:
    """Every module name a piece of code imports, with each parent package,
    plus dotted attribute chains on an imported module (``os.path.join``
    counts as using ``os.path``). Relative imports are skipped.

    ``bound`` maps names to the modules they were imported as; pass the same
    dict for every cell of a notebook, so that ``import os`` in one cell and
    ``os.path.join`` in a later one count as using ``os.path``.

    >>> sorted(modules_used("import os\\nfrom concurrent.futures import wait\\nos.path.join"))
    ['concurrent', 'concurrent.futures', 'concurrent.futures.wait', 'os', 'os.path', 'os.path.join']
    """
    tree = ast.parse(_MAGIC.sub("", source))
    found: set[str] = set()
    bound = {} if bound is None else bound  # local name -> module it is bound to

    def add(dotted: str) -> None:
        parts = dotted.split(".")
        found.update(".".join(parts[: i + 1]) for i in range(len(parts)))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            add(node.module)
            for alias in node.names:
                if alias.name != "*":
                    add(f"{node.module}.{alias.name}")
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain: list[str] = []
            current: ast.expr = node
            while isinstance(current, ast.Attribute):
                chain.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name) and current.id in bound:
                add(".".join([bound[current.id], *reversed(chain)]))
    return found


def chapter_of(notebook: Path) -> str:
    """The chapter number in a notebook's file name: ``02-core`` -> ``2``,
    ``10-2-interpreter`` -> ``10.2``.

    >>> chapter_of(Path("notebooks/10-2-interpreter.ipynb")), chapter_of(Path("07-x.ipynb"))
    ('10.2', '7')
    """
    match = re.match(r"(\d+)(?:-(\d+)(?=-|$))?", notebook.stem)
    if not match:
        raise ValueError(f"notebook name must start with its chapter number: {notebook.name}")
    major, minor = match.groups()
    return f"{int(major)}.{int(minor)}" if minor else str(int(major))


#: Package modules that serve every chapter (checks, display, child processes,
#: local servers): their imports are not counted as a chapter's.
SHARED_HELPERS = frozenset({"selfcheck", "source", "commands", "timing", "plotting",
                            "servers", "cli"})

_HELPER_NAME = re.compile(r"\bstdlib_book\.(\w+)")


def _helper_modules(names: set[str], sources: str, helpers: Path) -> set[str]:
    """The chapter helper modules a notebook uses, and those they import in turn."""
    todo = {n.split(".")[1] for n in names if n.startswith("stdlib_book.")}
    todo |= set(_HELPER_NAME.findall(sources))
    found: set[str] = set()
    while todo:
        name = todo.pop()
        path = helpers / f"{name}.py"
        if name in found or name in SHARED_HELPERS or not path.is_file():
            continue
        found.add(name)
        todo |= {n.split(".")[1] for n in modules_used(path.read_text(encoding="utf-8"))
                 if n.startswith("stdlib_book.") and n.count(".") >= 1}
    return found


def usage(notebooks: Iterable[Path], helpers: Path | None = None) -> dict[str, list[Path]]:
    """``{module: [notebook, ...]}`` for every module the notebooks' code cells
    use, notebooks in file-name order. A cell that is not valid Python is an
    error naming the notebook and cell, rather than a silently missed import.

    With ``helpers`` (the package's source directory), the imports of each
    chapter's own helper modules count too (see the module docstring)."""
    used: dict[str, list[Path]] = defaultdict(list)
    for notebook in sorted(notebooks):
        names: set[str] = set()
        bound: dict[str, str] = {}
        sources = []
        for index, source in _code_cells(notebook):
            sources.append(source)
            try:
                names |= modules_used(source, bound)
            except SyntaxError as exc:
                raise ValueError(f"{notebook.name}, cell {index}: not valid Python "
                                 f"({exc.msg}, line {exc.lineno})") from None
        if helpers is not None:
            for helper in _helper_modules(names, "\n".join(sources), helpers):
                names |= {n for n in modules_used((helpers / f"{helper}.py").read_text(
                    encoding="utf-8")) if not n.startswith("stdlib_book")}
        for name in names:
            used[name].append(notebook)
    return dict(used)


#: Where the seed table's own words are wrong or dangerously incomplete: the
#: module, what the table says, and what is true. (The "What it is for" column
#: of the page is this book's rewrite; this list says why it was rewritten.)
TABLE_ERRORS: tuple[tuple[str, str, str], ...] = (
    ("datetime", "\"time zone handling\"",
     "datetime alone has only fixed UTC offsets (datetime.timezone); named zones with "
     "daylight-saving rules need zoneinfo (3.9+), and on Windows the tzdata package "
     "(chapter 8)."),
    ("pickle", "\"object serialization, data persistence\"",
     "Unpickling runs code chosen by whoever wrote the data: never load untrusted "
     "pickles; the pickle documentation opens with this warning."),
    ("xml", "\"parsing ... XML documents\"",
     "The xml documentation's security section: with an Expat older than 2.6.0 (a "
     "system library on many builds; see pyexpat.EXPAT_VERSION) the parsers may be open to "
     "\"billion laughs\", quadratic blowup and large-token attacks; before parsing "
     "untrusted XML, check the Expat version or use the third-party defusedxml."),
    ("random", "\"random number generation\"",
     "random is predictable by design (Mersenne Twister): never for passwords, tokens "
     "or keys; use secrets (chapter 6)."),
)


# -- the page -----------------------------------------------------------------------

HEADER = """\
<!-- Generated by tools/gen_modref.py from src/stdlib_book/modref.py and the notebooks.
     Do not edit by hand: change the data or a chapter, then run `make reference`. -->
"""


def _chapters(notebooks: list[Path], root: Path) -> str:
    if not notebooks:
        return "-"
    links = []
    # chapter order: 9 before 9.1 (file names would put 09-applications after 09-5)
    for nb in sorted(notebooks, key=lambda n: tuple(map(int, chapter_of(n).split(".")))):
        doc = nb.relative_to(root).with_suffix("").as_posix()
        links.append(f"{{doc}}`{chapter_of(nb)} </{doc}>`")
    return ", ".join(links)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_page(root: Path) -> str:
    """The Markdown of book/modules.md for the repository at ``root``."""
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    used = usage(notebooks, root / "src" / "stdlib_book")
    rows = Counter(SEED_ROWS)
    repeated = {name: n for name, n in rows.items() if n > 1}
    third_party = [m for m in MODULES if not in_stdlib(m.module)]
    out = [HEADER, "(modules)=", "# Appendix: modules and their uses", ""]
    out += [
        "This is the article's companion table *Python Modules and Their Uses*, checked. "
        "The column **Standard library** is computed from `sys.stdlib_module_names` "
        "when the page is generated; **Used in chapter** lists the chapters whose code "
        "use the module, found by reading every code cell with `ast`, and counting too "
        "the imports of the chapter's own helper module (such as `stdlib_book.backup` for "
        "section 9.5, which sends mail with `smtplib`), since what a helper does is what "
        "the chapter teaches; the shared utilities every chapter uses ("
        + ", ".join(f"`{n}`" for n in sorted(SHARED_HELPERS)) + ") are not counted. "
        "The page is generated by `make reference`, and a test fails if it is out of date, "
        "so neither column can drift from the book.",
        "",
        f"The table has {len(SEED_ROWS)} rows but names {len(MODULES)} modules: "
        + ", ".join(f"`{n}` appears {c} times" for n, c in repeated.items())
        + f". Its last row, `{TRUNCATED_ROW}`, is cut off in the middle of its description; "
        "the name is complete, so the module is kept with a description of our own. "
        f"{len(third_party)} of the {len(MODULES)} are **not** in the standard library "
        "(the table does not say so): "
        + ", ".join(f"`{m.name}`" for m in third_party) + ". "
        "See also {ref}`ch01-module-table`, where the table's descriptions are checked.",
        "",
        "## Where the table is wrong",
        "",
        "The column **What it is for** below is this book's own; these rows of the "
        "article's table say something false or leave out a danger:",
        "",
        "```{list-table}",
        ":header-rows: 1",
        ":widths: 15 30 55",
        "",
        "* - Module",
        "  - The table says",
        "  - In fact",
        *[line for name, says, fact in TABLE_ERRORS
          for line in (f"* - `{name}`", f"  - {_cell(says)}", f"  - {_cell(fact)}")],
        "```",
        "",
        "## The table, verified",
        "",
        "```{list-table}",
        ":header-rows: 1",
        ":widths: 18 14 50 18",
        "",
        "* - Module",
        "  - Standard library",
        "  - What it is for",
        "  - Used in chapter",
    ]
    for ref in MODULES:
        stdlib = "yes" if in_stdlib(ref.module) else "no, third-party (`pip install "\
            f"{ref.pypi}`)"
        out += [
            f"* - [`{ref.name}`]({docs_url(ref)})",
            f"  - {stdlib}",
            f"  - {_cell(ref.purpose)}",
            f"  - {_chapters(used.get(ref.module, []), root)}",
        ]
    out += ["```", ""]
    listed = {m.module.split(".")[0] for m in MODULES}
    extra = sorted(
        name for name in used
        if "." not in name and name not in listed and not name.startswith("_")
        and name != "stdlib_book"
    )
    out += [
        "## Modules the chapters use that the table leaves out",
        "",
        "Top-level modules imported by the chapters but missing from the table, "
        "computed the same way.",
        "",
        "```{list-table}",
        ":header-rows: 1",
        ":widths: 30 25 45",
        "",
        "* - Module",
        "  - Standard library",
        "  - Used in chapter",
    ]
    for name in extra:
        ref = ModuleRef(name, "", pypi=_KNOWN_THIRD_PARTY.get(name, ""))
        out += [
            f"* - [`{name}`]({docs_url(ref)})",
            f"  - {'yes' if in_stdlib(name) else 'no, third-party'}",
            f"  - {_chapters(used[name], root)}",
        ]
    out += ["```", ""]
    return "\n".join(out)


#: PyPI project names of third-party imports whose project name differs from
#: the import name (or that the chapters are likely to use); any other
#: third-party import is linked by its import name.
_KNOWN_THIRD_PARTY: Mapping[str, str] = {
    "numpy": "numpy", "matplotlib": "matplotlib", "psutil": "psutil", "pandas": "pandas",
    "requests": "requests", "sklearn": "scikit-learn", "cryptography": "cryptography",
    "trustme": "trustme", "aiohttp": "aiohttp", "httpx": "httpx", "yaml": "PyYAML",
    "IPython": "ipython", "hypothesis": "hypothesis", "pytest": "pytest",
}


def write_page(root: Path, *, check: bool = False) -> bool:
    """Write book/modules.md under ``root``; with ``check``, only compare.
    Return True when the file on disk is (or now is) up to date."""
    path = root / "book" / "modules.md"
    text = render_page(root)
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if check:
        return current == text
    if current != text:
        path.write_text(text, encoding="utf-8")
    return True
