"""Hostile input every program must meet (issue 17): names, times, kinds of
file, faults injected into the operating system, and peers that misbehave.

Fixed trees for the cases that need a particular shape, hypothesis strategies
to draw combinations, and :class:`Inject`, which makes the n-th call of a
function fail and counts what really fired, so a test can prove that its
fault happened.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from hypothesis import strategies as st

NAME_MAX = 255


def _fill(stem: str, suffix: str, size: int) -> str:
    """``stem`` padded with 'x' so that ``stem + suffix`` is ``size`` bytes."""
    need = size - len(os.fsencode(stem + suffix))
    return stem + "x" * need + suffix


#: Names that real folders contain and tidy test data never does.
NAMES: list[str] = [
    _fill("long", ".txt", NAME_MAX),  # at the limit: a " (1)" suffix must not overflow it
    _fill("long", ".txt", NAME_MAX - 2),  # near it
    os.fsdecode(b"latin1-caf\xe9.txt"),  # bytes that are not UTF-8
    "new\nline.txt",
    "line\u2028separator.txt",
    "tab\tand\x01control.txt",
    "zero\u200bwidth\u202eltr.txt",  # format characters (ZWSP, RLO)
    "-rf.txt",  # leading dash
    "--help.pdf",
    "with space's \"quotes\".jpg",
    "back\\slash.csv",
    unicodedata.normalize("NFC", "café.md"),
    unicodedata.normalize("NFD", "café.md"),  # the same name, other bytes
    "Report.PDF",
    "report.pdf",  # differs only in case
    "report (1).pdf",  # what the collision rule would produce
    "empty.txt",  # written empty
]

#: Modification times: before ZIP's 1980 epoch, the Unix epoch, a DST change
#: (Europe, 2024-03-31 01:30 UTC), far in the future.
TIMES: list[float] = [0.0, 315_532_799.0, 1_711_848_600.0, 4_102_444_800.0, 1_704_067_200.0]


def make_tree(root: Path, names: list[str] | None = None, *, times: list[float] | None = None,
              sub: bool = True) -> dict[str, str]:
    """Write every name (at the top and, with ``sub``, in ``sub dir/``) with
    distinct contents and hostile times; return ``{relative path: sha256}``."""
    names = NAMES if names is None else names
    times = TIMES if times is None else times
    root.mkdir(parents=True, exist_ok=True)
    made = {}
    folders = [root, root / "sub dir"] if sub else [root]
    for f_i, folder in enumerate(folders):
        folder.mkdir(exist_ok=True)
        for i, name in enumerate(names):
            path = folder / name
            data = b"" if name == "empty.txt" else f"{f_i}:{i}:{name!r}\n".encode() * (i + 1)
            path.write_bytes(data)
            t = times[i % len(times)]
            os.utime(path, (t, t))
            made[os.fsdecode(path.relative_to(root))] = hashlib.sha256(data).hexdigest()
    return made


def add_special_files(root: Path) -> list[str]:
    """Links (in the tree, out of it, dangling, a loop), a FIFO and a socket;
    returns their relative names. None of them may be followed or read."""
    (root / "link-in.txt").symlink_to("empty.txt")
    (root / "link-out").symlink_to("/etc")
    (root / "dangling.txt").symlink_to("nowhere.txt")
    (root / "loop").symlink_to("loop")
    (root / "sub dir").mkdir(exist_ok=True)
    (root / "sub dir" / "up").symlink_to("..")
    os.mkfifo(root / "fifo.txt")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(os.fspath(root / "socket.txt"))
    finally:
        sock.close()
    return ["link-in.txt", "link-out", "dangling.txt", "loop", "sub dir/up", "fifo.txt",
            "socket.txt"]


def contents(root: Path, *, skip: Callable[[str], bool] = lambda rel: False) -> dict[str, str]:
    """``{relative path: sha256}`` of every regular file under ``root`` (links
    and special files left out, ``skip(rel)`` too)."""
    found = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath, name)
            rel = os.fsdecode(path.relative_to(root))
            if path.is_symlink() or not path.is_file() or skip(rel):
                continue
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def names_strategy() -> st.SearchStrategy[list[str]]:
    """A few hostile names, plus one that hypothesis invents (no '/', no NUL)."""
    invented = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"),
                       min_size=1, max_size=40).filter(lambda n: n not in (".", "..")
                                                        and not n.startswith("."))
    return st.tuples(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True),
                     st.lists(invented, max_size=2, unique=True)).map(
        lambda t: list(dict.fromkeys(t[0] + t[1])))


class Inject:
    """Make calls ``at`` (0-based counts of calls to ``name`` in ``module``)
    raise ``exc`` (an exception, or a callable given the call's positional
    arguments that returns one). ``fired`` counts the failures that really
    happened.

    >>> import os
    >>> with Inject(os, "getcwd", OSError(28, "No space"), at={1}) as inj:
    ...     _ = os.getcwd()
    ...     try:
    ...         os.getcwd()
    ...     except OSError as e:
    ...         print(e.errno, inj.calls, inj.fired)
    28 2 1
    """

    def __init__(self, module: object, name: str, exc: BaseException | Callable[[], BaseException],
                 *, at: set[int] | None = None) -> None:
        self.module, self.name, self.exc, self.at = module, name, exc, at
        self.calls = self.fired = 0

    def __enter__(self) -> Inject:
        self.original = getattr(self.module, self.name)

        def wrapper(*args, **kwargs):
            n = self.calls
            self.calls += 1
            if self.at is None or n in self.at:
                self.fired += 1
                raise self.exc(*args) if callable(self.exc) else self.exc
            return self.original(*args, **kwargs)

        setattr(self.module, self.name, wrapper)
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(self.module, self.name, self.original)


def _os_error(code: int, cls: type[OSError], args: tuple) -> OSError:
    """As the system raises it: with the file name when the call had one."""
    path = args[0] if args and isinstance(args[0], (str, bytes, os.PathLike)) else None
    if path is None:
        return cls(code, os.strerror(code))
    return cls(code, os.strerror(code), os.fsdecode(path))


def eperm(*args: object) -> OSError:
    return _os_error(errno.EPERM, PermissionError, args)


def enospc(*args: object) -> OSError:
    return _os_error(errno.ENOSPC, OSError, args)


@contextlib.contextmanager
def no_module(name: str) -> Iterator[None]:
    """Make ``import name`` fail as if the package were not installed."""
    import sys

    saved = {k: v for k, v in sys.modules.items() if k == name or k.startswith(name + ".")}
    for k in saved:
        del sys.modules[k]
    sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        del sys.modules[name]
        sys.modules.update(saved)
