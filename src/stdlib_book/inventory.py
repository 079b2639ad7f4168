"""inventory: snapshot a directory tree into SQLite, then compare and report.

Chapter 11's project: one small, useful program built only from the standard
library, using what the earlier chapters teach. ``pathlib`` and ``os.scandir``
walk the tree (chapter 2), a thread pool hashes files in parallel (chapter 3),
``sqlite3`` stores every snapshot and ``json`` exports reports (chapter 4),
``hashlib`` identifies contents (chapter 6), ``statistics`` summarises sizes
(chapter 7), and ``argparse`` makes it a command other scripts can rely on
(chapter 2).

    python -m stdlib_book.inventory scan ROOT --db FILE [--workers N]
    python -m stdlib_book.inventory diff --db FILE [OLD NEW]
    python -m stdlib_book.inventory report --db FILE [--snapshot ID] [--json]

Exit codes: the package's contract (:mod:`stdlib_book.cli`), with ``diff``
using 1 as diff(1) does (see ``EXIT_CODES``). A file that is not an inventory
database is a usage error (2) and is left untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sqlite3
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from .cli import (
    EXIT_OK,
    EXIT_PARTIAL,
    Failed,
    UsageError,
    add_command,
    positive_int,
    program_parser,
    run_main,
)
from .selfcheck import Checker, Feedback, run_checks

#: What this program means by the contract's codes 1 and 3.
EXIT_CODES = {1: "done, but some files could not be read (scan, listed), or the snapshots "
                 "differ (diff, listed, as diff(1) uses 1)",
              3: "failed: the database could not be written (scan saves nothing)"}
EXIT_DIFFERENT = EXIT_PARTIAL
#: Marks a database as ours (``PRAGMA application_id``), so that the program
#: never writes tables into some other application's SQLite file.
APPLICATION_ID = 0x5354_4C42  # "STLB"

SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshot (
    id       INTEGER PRIMARY KEY,
    root     TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    errors   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entry (
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    path     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    sha256   TEXT NOT NULL,
    suffix   TEXT NOT NULL,  -- lower-case, as PurePosixPath(path).suffix; '' if none
    PRIMARY KEY (snapshot, path)
);
"""


class InventoryError(Exception):
    """A problem the user can fix: the message says what it is."""


# -- scanning -------------------------------------------------------------------------


def walk_files(root: Path, *, skip: Sequence[Path] = (),
               errors: list[str] | None = None) -> list[str]:
    """Relative POSIX paths of the regular files under ``root``, sorted.

    Symbolic links are not followed (a link cannot lead the walk out of the
    tree or round in a loop), and the paths in ``skip`` (the database itself,
    when it lives inside the tree) are left out. A folder that cannot be read
    is added to ``errors`` (``"folder/: problem"``) and the walk goes on.
    """
    skipped = {os.path.realpath(p) for p in skip}
    found = []
    stack = [os.fspath(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError as exc:
            if errors is None:
                raise
            errors.append(f"{_text(Path(folder).relative_to(root).as_posix())}/: "
                          f"{exc.strerror or exc}")
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False) and \
                        os.path.realpath(entry.path) not in skipped:
                    found.append(Path(entry.path).relative_to(root).as_posix())
    return sorted(found)


def file_digest(path: Path) -> tuple[int, str]:
    """(size, SHA-256) of a file, read in chunks so memory stays constant.
    ``hashlib`` releases the GIL while it hashes, so threads run in parallel."""
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
        return f.tell(), digest


@dataclass
class Scan:
    """What one scan found: ``{path: (size, sha256)}`` and unreadable files."""

    entries: dict[str, tuple[int, str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def scan(root: str | Path, *, workers: int = 4, skip: Sequence[Path] = ()) -> Scan:
    """Hash every regular file under ``root`` with ``workers`` threads.

    A file that cannot be read is recorded in ``errors`` and the scan goes on.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "a.txt").write_text("hi", encoding="utf-8")
    ...     scan(tmp).entries["a.txt"][0]
    2
    """
    root = Path(root)
    if not root.is_dir():
        raise InventoryError(f"not a directory: {root}")
    if not isinstance(workers, int) or workers < 1:
        raise InventoryError(f"workers must be a whole number of at least 1, got {workers!r}")
    result = Scan()
    paths = walk_files(root, skip=skip, errors=result.errors)

    def one(rel: str) -> tuple[str, tuple[int, str] | str]:
        try:
            return rel, file_digest(root / rel)
        except OSError as exc:
            return rel, exc.strerror or type(exc).__name__

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for rel, outcome in pool.map(one, paths):
            if isinstance(outcome, str):
                result.errors.append(f"{_text(rel)}: {outcome}")
            else:
                result.entries[_text(rel)] = outcome
    result.errors.sort()
    return result


def _text(path: str) -> str:
    r"""``path`` as text SQLite can store: a name whose bytes are not UTF-8
    (surrogates, PEP 383) gets each such byte written as ``\xNN``.

    >>> _text("caf\udce9.txt"), _text("café.txt")
    ('caf\\xe9.txt', 'café.txt')
    """
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# -- the database -------------------------------------------------------------------------


@contextlib.contextmanager
def open_db(path: str | Path, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """Open (or, with ``create``, create) an inventory database; always closed.

    A file that is not SQLite, or an SQLite file of another application, is
    refused with :class:`InventoryError` before anything is written to it.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise InventoryError(f"no inventory database at {path}: run 'scan' first")
        if not path.parent.is_dir():
            raise InventoryError(f"directory for the database does not exist: {path.parent}")
    elif not path.is_file():
        raise InventoryError(f"database path is not a file: {path}")
    conn = sqlite3.connect(path)
    try:
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise InventoryError(f"{path} is not an inventory database ({exc})") from None
        if app_id != APPLICATION_ID:
            if tables:
                raise InventoryError(f"{path} is an SQLite database of another application; "
                                     "refusing to change it")
            with conn:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.executescript(SCHEMA)
        yield conn
    finally:
        conn.close()


def save(conn: sqlite3.Connection, root: Path, result: Scan, *, taken_at: str = "") -> int:
    """Store a scan as a new snapshot, in one transaction (all or nothing);
    return its id."""
    taken_at = taken_at or datetime.now(UTC).isoformat(timespec="seconds")
    with conn:
        cursor = conn.execute(
            "INSERT INTO snapshot (root, taken_at, errors) VALUES (?, ?, ?)",
            (os.fspath(root.resolve()), taken_at, len(result.errors)),
        )
        snapshot_id = cursor.lastrowid
        conn.executemany(
            "INSERT INTO entry (snapshot, path, size, sha256, suffix) VALUES (?, ?, ?, ?, ?)",
            [(snapshot_id, p, size, digest, PurePosixPath(p).suffix.lower())
             for p, (size, digest) in result.entries.items()],
        )
    assert snapshot_id is not None
    return snapshot_id


def snapshot_ids(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT id FROM snapshot ORDER BY id")]


def load(conn: sqlite3.Connection, snapshot_id: int) -> dict[str, tuple[int, str]]:
    """``{path: (size, sha256)}`` of a stored snapshot."""
    if snapshot_id not in snapshot_ids(conn):
        raise InventoryError(f"no snapshot {snapshot_id}; the database has "
                             f"{snapshot_ids(conn) or 'none'}")
    rows = conn.execute("SELECT path, size, sha256 FROM entry WHERE snapshot = ? ORDER BY path",
                        (snapshot_id,))
    return {path: (size, digest) for path, size, digest in rows}


# -- comparing and reporting ----------------------------------------------------------------


@dataclass(frozen=True)
class Diff:
    added: list[str]
    removed: list[str]
    changed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def diff(old: dict[str, tuple[int, str]], new: dict[str, tuple[int, str]]) -> Diff:
    """Files added, removed and changed (same path, other contents), each sorted.

    >>> diff({"a": (1, "x"), "b": (1, "y")}, {"b": (1, "z"), "c": (2, "w")})
    Diff(added=['c'], removed=['a'], changed=['b'])
    """
    return Diff(
        added=sorted(new.keys() - old.keys()),
        removed=sorted(old.keys() - new.keys()),
        changed=sorted(p for p in old.keys() & new.keys() if old[p][1] != new[p][1]),
    )


def report(conn: sqlite3.Connection, snapshot_id: int, *, top: int = 5) -> dict:
    """Sizes, the largest suffixes and duplicated contents of one snapshot,
    as plain data (ready for ``json.dumps``)."""
    entries = load(conn, snapshot_id)
    sizes = sorted(size for size, _ in entries.values())
    stats: dict[str, float | int] = {"files": len(sizes), "bytes": sum(sizes)}
    if sizes:
        stats |= {"median": statistics.median(sizes), "mean": round(statistics.fmean(sizes), 1)}
    if len(sizes) >= 2:
        q1, _, q3 = statistics.quantiles(sizes, n=4, method="inclusive")
        stats |= {"q1": q1, "q3": q3, "stdev": round(statistics.stdev(sizes), 1)}
    suffix_sql = """
        SELECT CASE suffix WHEN '' THEN '(none)' ELSE suffix END, count(*), sum(size)
        FROM entry WHERE snapshot = ?
        GROUP BY suffix ORDER BY sum(size) DESC, suffix LIMIT ?
    """
    suffixes = [{"suffix": s, "files": n, "bytes": b}
                for s, n, b in conn.execute(suffix_sql, (snapshot_id, top))]
    dup_sql = """
        SELECT sha256, size, group_concat(path, char(0)) FROM
            (SELECT * FROM entry WHERE snapshot = ? ORDER BY path)
        GROUP BY sha256, size HAVING count(*) > 1 ORDER BY size * (count(*) - 1) DESC, sha256
    """
    duplicates = [{"bytes_each": size, "paths": paths.split("\0")}  # no name holds NUL
                  for _, size, paths in conn.execute(dup_sql, (snapshot_id,))]
    wasted = sum(d["bytes_each"] * (len(d["paths"]) - 1) for d in duplicates)
    return {"snapshot": snapshot_id, "sizes": stats, "largest_suffixes": suffixes,
            "duplicates": duplicates, "bytes_in_extra_copies": wasted}


def _format_report(data: dict) -> str:
    s = data["sizes"]
    lines = [f"snapshot {data['snapshot']}: {s['files']} files, {s['bytes']:,} bytes"]
    if "median" in s:
        lines.append(f"  file size: median {s['median']:,.0f} bytes, mean {s['mean']:,.0f}")
    if "q1" in s:
        lines.append(f"  middle half of the files: {s['q1']:,.0f} to {s['q3']:,.0f} bytes")
    lines.append("  largest suffixes:")
    lines += [f"    {x['suffix']:<10} {x['files']:>4} files {x['bytes']:>12,} bytes"
              for x in data["largest_suffixes"]]
    lines.append(f"  groups of files with the same contents: {len(data['duplicates'])}, "
                 f"{data['bytes_in_extra_copies']:,} bytes in extra copies")
    for d in data["duplicates"]:
        lines.append(f"    {d['bytes_each']:,} bytes each: {', '.join(d['paths'])}")
    return "\n".join(lines)


# -- the command line -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = program_parser(
        "inventory", "Snapshot a directory tree (sizes and SHA-256 of every file) into an "
        "SQLite database, then list what changed and report sizes and duplicates.", EXIT_CODES)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_scan = add_command(sub, "scan", help="take a new snapshot of a directory")
    p_scan.add_argument("root", type=Path, help="the directory to snapshot")
    p_scan.add_argument("--workers", type=positive_int, default=4, metavar="N",
                        help="threads hashing files (default: %(default)s)")
    p_diff = add_command(sub, "diff", help="list files added, removed and changed")
    p_diff.add_argument("ids", type=positive_int, nargs="*", metavar="ID",
                        help="two snapshot ids (default: the last two)")
    p_report = add_command(sub, "report", help="sizes, largest suffixes, duplicates")
    p_report.add_argument("--snapshot", type=positive_int, metavar="ID",
                          help="which snapshot (default: the last)")
    p_report.add_argument("--json", action="store_true", help="print JSON instead of text")
    for p in (p_scan, p_diff, p_report):
        p.add_argument("--db", type=Path, required=True, help="the SQLite database file")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "scan":
        if not args.root.is_dir():
            raise InventoryError(f"not a directory: {args.root}")
        with open_db(args.db) as conn:
            result = scan(args.root, workers=args.workers,
                          skip=[args.db, Path(f"{args.db}-journal")])
            snapshot_id = save(conn, args.root, result)
        total = sum(size for size, _ in result.entries.values())
        print(f"snapshot {snapshot_id}: {len(result.entries)} files, {total:,} bytes")
        for error in result.errors:
            print(f"inventory: cannot read {error}", file=sys.stderr)
        return EXIT_DIFFERENT if result.errors else EXIT_OK
    with open_db(args.db, create=False) as conn:
        ids = snapshot_ids(conn)
        if args.command == "report":
            if not ids:
                raise InventoryError("the database has no snapshots yet: run 'scan' first")
            data = report(conn, args.snapshot or ids[-1])
            print(json.dumps(data, indent=2) if args.json else _format_report(data))
            return EXIT_OK
        if len(args.ids) not in (0, 2):
            raise InventoryError(f"diff takes two snapshot ids or none, got {len(args.ids)}")
        if not args.ids and len(ids) < 2:
            raise InventoryError(f"diff needs two snapshots; the database has {len(ids)}")
        old_id, new_id = args.ids or ids[-2:]
        changes = diff(load(conn, old_id), load(conn, new_id))
        print(f"snapshot {old_id} -> {new_id}: {len(changes.added)} added, "
              f"{len(changes.removed)} removed, {len(changes.changed)} changed")
        for mark, paths in (("+", changes.added), ("-", changes.removed), ("~", changes.changed)):
            for path in paths:
                print(f"  {mark} {path}")
        return EXIT_DIFFERENT if changes else EXIT_OK


def _checked_run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except InventoryError as exc:
        raise UsageError(str(exc)) from None
    except sqlite3.Error as exc:  # read-only folder, disk full, locked: nothing saved
        raise Failed(f"{args.db}: {exc}") from None


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(build_parser(), _checked_run, argv)


# -- exercise checks --------------------------------------------------------------------------


def check_duplicate_groups(func: Callable[[dict[str, tuple[int, str]]], list[list[str]]]
                           ) -> Feedback:
    """Check ``func(entries)``: groups of paths with the same contents, each
    group sorted, groups sorted by their first path, single files left out."""

    def body(c: Checker) -> None:
        entries = {"b.txt": (3, "h1"), "a.txt": (3, "h1"), "c.log": (5, "h2"),
                   "z/d.txt": (3, "h1"), "y/e.bin": (5, "h2"), "only.md": (9, "h3")}
        c.expect("duplicate_groups(6 files, 2 groups)", lambda: func(entries),
                 [["a.txt", "b.txt", "z/d.txt"], ["c.log", "y/e.bin"]])
        c.expect("duplicate_groups({}) (nothing)", lambda: func({}), [])
        c.expect("duplicate_groups(all different)",
                 lambda: func({"x": (1, "a"), "y": (1, "b")}), [])

    return run_checks("duplicate_groups", body)


def check_changed_bytes(func: Callable[..., int]) -> Feedback:
    """Check ``func(old, new)``: bytes in files that are new or whose contents
    changed, counted at their new size."""

    def body(c: Checker) -> None:
        old = {"a": (10, "x"), "b": (20, "y"), "c": (30, "z")}
        new = {"a": (10, "x"), "b": (25, "y2"), "d": (7, "w")}
        c.expect("changed_bytes(old, new)", lambda: func(old, new), 32)
        c.expect("changed_bytes(same, same)", lambda: func(old, dict(old)), 0)
        c.expect("changed_bytes({}, new)", lambda: func({}, new), 42)
        c.expect("a renamed-back file with the same digest is unchanged",
                 lambda: func({"a": (5, "q")}, {"a": (5, "q")}), 0)

    return run_checks("changed_bytes", body)


def check_files_per_suffix(func: Callable[[sqlite3.Connection, int], list[tuple[str, int]]]
                           ) -> Feedback:
    """Check ``func(conn, snapshot_id)``: ``[(suffix, count), ...]`` from SQL,
    most files first, ties by suffix; files without a suffix left out."""

    def body(c: Checker) -> None:
        conn = sqlite3.connect(":memory:")
        try:
            conn.executescript(SCHEMA)
            rows = [(1, "a.txt"), (1, "b.TXT"), (1, "c.csv"), (1, "d/e.csv"), (1, "f/g.txt"),
                    (1, "README"), (1, "h.py"), (2, "x.txt")]
            conn.execute("INSERT INTO snapshot VALUES (1, '/r', 't', 0), (2, '/r', 't', 0)")
            conn.executemany("INSERT INTO entry VALUES (?, ?, 1, 'h', ?)",
                             [(s, p, PurePosixPath(p).suffix.lower()) for s, p in rows])
            c.expect("files_per_suffix(conn, 1)", lambda: [tuple(r) for r in func(conn, 1)],
                     [(".txt", 3), (".csv", 2), (".py", 1)])
            c.expect("files_per_suffix(conn, 2)", lambda: [tuple(r) for r in func(conn, 2)],
                     [(".txt", 1)])
            c.expect("files_per_suffix(conn, 3) (no such snapshot)",
                     lambda: list(func(conn, 3)), [])
        finally:
            conn.close()

    return run_checks("files_per_suffix", body)


if __name__ == "__main__":
    sys.exit(main())
