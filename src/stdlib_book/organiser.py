"""organiser: sort the files under a directory into folders by type or by date.

A file organiser is only useful if it can be trusted with real files, so this
one is built around four promises (chapter 9):

* **dry run by default**: without ``--apply`` it only prints what it would do;
* **never overwrite**: a name that is taken gets a suffix, ``report (1).pdf``,
  and the move itself refuses to replace a file that appeared meanwhile;
* **undo**: every applied run writes a JSON log first, and ``undo`` replays it
  backwards, restoring the original tree and removing the folders it made;
* **stay inside the target**: symbolic links are never followed or moved, and a
  destination folder that resolves outside the target is refused.

    python -m stdlib_book.organiser organise PATH [--by type|date] [--apply] [--log FILE]
    python -m stdlib_book.organiser undo LOG [--apply]

Exit codes: the package's contract (:mod:`stdlib_book.cli`); see ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from stdlib_book.cli import (
    EXIT_OK,
    EXIT_PARTIAL,
    UsageError,
    program_parser,
    run_main,
    shell_command,
)
from stdlib_book.selfcheck import Checker, Feedback, run_checks

#: What this program means by the contract's codes 1 and 3.
EXIT_CODES = {1: "done, but some files were skipped or not put back (listed)",
              3: "failed: the undo log could not be written, nothing moved"}
NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems
DEFAULT_LOG = ".organiser-log.json"
LOG_FORMAT = 1

# A fixed table rather than ``mimetypes``: mimetypes also reads the system's
# /etc/mime.types and similar files, so its answers differ between machines.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "images": (".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".heic"),
    "documents": (".pdf", ".doc", ".docx", ".odt", ".txt", ".md", ".rtf"),
    "spreadsheets": (".csv", ".xls", ".xlsx", ".ods"),
    "archives": (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z"),
    "audio": (".mp3", ".wav", ".flac", ".ogg", ".m4a"),
    "video": (".mp4", ".mkv", ".mov", ".avi", ".webm"),
    "code": (".py", ".js", ".html", ".css", ".json", ".sh", ".c"),
}
_BY_SUFFIX = {suffix: cat for cat, suffixes in CATEGORIES.items() for suffix in suffixes}


class OrganiserError(Exception):
    """A problem with the request itself (bad path, log in the way): nothing was moved."""


def category_for(name: str) -> str:
    """The folder a file name belongs in when sorting by type.

    >>> category_for("Holiday.JPG"), category_for("notes.txt"), category_for("Makefile")
    ('images', 'documents', 'other')
    """
    return _BY_SUFFIX.get(PurePosixPath(name).suffix.lower(), "other")


def date_folder(mtime: float) -> str:
    """``YYYY/MM`` of a modification time, in UTC so that the result does not
    depend on the machine's time zone.

    Modification time, not "creation date": on Linux ``st_ctime`` is the time
    the file's *metadata* last changed, and a true birth time is not portable.

    >>> date_folder(0), date_folder(1_700_000_000)
    ('1970/01', '2023/11')
    """
    t = time.gmtime(mtime)
    return f"{t.tm_year:04d}/{t.tm_mon:02d}"


def unique_name(name: str, taken: set[str]) -> str:
    """``name`` if it is not in ``taken``, else the first free ``stem (n)suffix``.

    A name already at the file system's limit (255 bytes) would not fit with
    `` (1)`` added, so the stem is shortened until the new name fits.

    >>> unique_name("a.txt", set()), unique_name("a.txt", {"a.txt", "a (1).txt"})
    ('a.txt', 'a (2).txt')
    >>> unique_name("archive.tar.gz", {"archive.tar.gz"})
    'archive (1).tar.gz'
    >>> long = "é" * 125 + ".txt"  # 254 bytes in UTF-8
    >>> new = unique_name(long, {long}); new[-10:], len(os.fsencode(new))
    ('éé (1).txt', 254)
    """
    if name not in taken:
        return name
    suffix = PurePosixPath(name).suffix
    for double in (".tar.gz", ".tar.bz2", ".tar.xz"):
        if name.lower().endswith(double) and len(name) > len(double):
            suffix = name[-len(double):]
    stem = name[: len(name) - len(suffix)]
    n = 1
    while _fit(stem, f" ({n}){suffix}") in taken:
        n += 1
    return _fit(stem, f" ({n}){suffix}")


def _fit(stem: str, tail: str) -> str:
    """``stem + tail``, the stem cut (never inside a character) to fit NAME_MAX bytes."""
    while stem and len(os.fsencode(stem + tail)) > NAME_MAX:
        stem = stem[:-1]
    return stem + tail


@dataclass(frozen=True)
class Move:
    """One planned move, as POSIX paths relative to the target directory."""

    source: str
    destination: str


@dataclass
class Plan:
    moves: list[Move] = field(default_factory=list)
    new_dirs: list[str] = field(default_factory=list)  # created by the plan, parents first
    skipped: list[str] = field(default_factory=list)  # "path: reason"


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root)


def _walk_files(root: Path, recursive: bool, skipped: list[str]) -> Iterable[Path]:
    """Regular files under ``root`` (sorted, hidden ones left out); links,
    special files and unreadable folders are reported in ``skipped``, and
    links are never followed."""

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else "?"
        skipped.append(f"{where}/: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        here = Path(dirpath)
        for d in sorted(dirnames):
            if not d.startswith(".") and (here / d).is_symlink():
                skipped.append(f"{(here / d).relative_to(root).as_posix()}: symbolic link")
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            if path.is_symlink():
                skipped.append(f"{path.relative_to(root).as_posix()}: symbolic link")
            elif path.is_file():
                yield path
            elif path.exists():
                skipped.append(f"{path.relative_to(root).as_posix()}: not a regular file")


def make_plan(root: str | Path, *, by: str = "type", recursive: bool = False) -> Plan:
    """Work out every move without touching anything.

    Files already in the right folder stay put. Names are made unique against
    what is on disk *and* what the plan has already claimed, so two
    ``notes.txt`` from different folders become ``notes.txt`` and
    ``notes (1).txt``.
    """
    if by not in ("type", "date"):
        raise ValueError(f"by must be 'type' or 'date', got {by!r}")
    root = Path(root).resolve()
    if not root.is_dir():
        raise OrganiserError(f"not a directory: {root}")
    plan = Plan()
    claimed: dict[str, set[str]] = {}  # destination folder -> names taken there
    made: set[str] = set()
    for path in list(_walk_files(root, recursive, plan.skipped)):
        rel = path.relative_to(root)
        try:
            folder = category_for(path.name) if by == "type" else date_folder(path.stat().st_mtime)
        except OSError as exc:  # vanished since the walk saw it
            plan.skipped.append(f"{rel.as_posix()}: {exc.strerror or exc}")
            continue
        if rel.parent.as_posix() == folder:
            continue  # already where it belongs
        target_dir = root / folder
        # Refuse a destination that a symbolic link would take outside the target.
        probe = target_dir
        while not probe.exists() and probe != root:
            probe = probe.parent
        if probe.is_symlink() or not _inside(probe, root) or (
            probe.exists() and not probe.is_dir()
        ):
            plan.skipped.append(f"{rel.as_posix()}: destination {folder}/ is not a folder "
                                "inside the target")
            continue
        if folder not in claimed:
            try:
                claimed[folder] = set(os.listdir(target_dir)) if target_dir.is_dir() else set()
            except OSError as exc:  # an unreadable folder: its free names are unknown
                plan.skipped.append(f"{rel.as_posix()}: destination {folder}/: "
                                    f"{exc.strerror or exc}")
                continue
            parts = PurePosixPath(folder).parts
            for i in range(1, len(parts) + 1):
                sub = "/".join(parts[:i])
                if not (root / sub).exists() and sub not in made:
                    made.add(sub)
                    plan.new_dirs.append(sub)
        name = unique_name(path.name, claimed[folder])
        claimed[folder].add(name)
        plan.moves.append(Move(rel.as_posix(), f"{folder}/{name}"))
    return plan


def move_no_replace(source: Path, destination: Path) -> None:
    """Move a file, failing with ``FileExistsError`` rather than replacing one.

    ``os.rename`` silently replaces an existing file on POSIX. A hard link
    cannot: ``os.link`` fails if the new name exists, and then the old name is
    removed. Where hard links are not supported the fallback checks first,
    which leaves a tiny window for a race, so it is only the fallback.
    """
    try:
        os.link(source, destination, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if destination.exists() or destination.is_symlink():
            raise FileExistsError(errno.EEXIST, "destination exists", str(destination)) from None
        os.rename(source, destination)
        return
    os.unlink(source)


def _write_json_atomically(path: Path, data: object) -> None:
    """Write ``data`` to ``path`` whole or not at all: a fresh temporary file
    (so a stale one left by a crash is never in the way), flushed to disk, then
    renamed; the temporary file is removed on any failure, Ctrl-C included."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass
class Outcome:
    done: int = 0
    problems: list[str] = field(default_factory=list)


def apply_plan(root: str | Path, plan: Plan, log: str | Path) -> Outcome:
    """Carry out ``plan``, after writing it to the undo ``log``.

    The log is written (and flushed to disk) *before* the first move, so even
    a run that crashes half-way can be undone: undo skips moves that did not
    happen. A move that fails (the file vanished, a folder is read-only) is
    reported and taken out of the log at the end. An existing log, another
    run's, is never overwritten.
    """
    root = Path(root).resolve()
    log = Path(log)
    if log.exists():
        raise OrganiserError(f"undo log already exists, undo it or choose another: {log}")
    record = {"format": LOG_FORMAT, "root": str(root), "new_dirs": plan.new_dirs,
              "moves": [[m.source, m.destination] for m in plan.moves]}
    _write_json_atomically(log, record)
    outcome = Outcome()
    for sub in plan.new_dirs:
        try:
            (root / sub).mkdir(exist_ok=True)
        except OSError as exc:  # the moves into it fail one by one and are reported
            outcome.problems.append(f"{sub}/: cannot create ({exc.strerror or exc})")
    failed = []
    for m in plan.moves:
        try:
            move_no_replace(root / m.source, root / m.destination)
            outcome.done += 1
        except OSError as exc:
            failed.append(m)
            outcome.problems.append(f"{m.source}: {exc.strerror or exc}")
    if failed:  # the log keeps only moves that happened, so undo has nothing false to report
        record["moves"] = [[m.source, m.destination] for m in plan.moves if m not in failed]
        _write_json_atomically(log, record)
    return outcome


def read_log(log: str | Path) -> dict:
    """Load and validate an undo log; ``OrganiserError`` says what is wrong."""
    log = Path(log)
    try:
        data = json.loads(log.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OrganiserError(f"no such undo log: {log}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OrganiserError(f"not an organiser undo log ({exc}): {log}") from None
    ok = (isinstance(data, dict) and data.get("format") == LOG_FORMAT
          and isinstance(data.get("root"), str) and isinstance(data.get("moves"), list)
          and all(isinstance(m, list) and len(m) == 2 and all(isinstance(p, str) for p in m)
                  for m in data["moves"])
          and isinstance(data.get("new_dirs"), list)
          and all(isinstance(p, str) for p in data["new_dirs"]))
    if not ok:
        raise OrganiserError(f"not an organiser undo log (unexpected content): {log}")
    for p in [*(p for m in data["moves"] for p in m), *data["new_dirs"]]:
        path = PurePosixPath(p)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise OrganiserError(f"undo log names a path outside its root: {p!r}")
    for source, destination in data["moves"]:
        if PurePosixPath(source) == PurePosixPath(destination):
            raise OrganiserError(f"undo log moves a file onto itself: {source!r}")
    return data


def undo(log: str | Path, *, dry_run: bool = False) -> Outcome:
    """Put every file named in ``log`` back where it was, newest move first,
    remove the folders the run created (if empty), then delete the log.

    A move that never happened (source still there, destination absent) is
    skipped; anything ambiguous is reported and left alone, and the log kept.
    """
    data = read_log(log)
    root = Path(data["root"])
    outcome = Outcome()
    for source, destination in reversed(data["moves"]):
        src, dst = root / source, root / destination
        if src.exists() and not dst.exists():
            continue  # this move never happened (an interrupted run)
        if src != dst and _same_file(src, dst):  # interrupted between link and unlink
            if dry_run:
                print(f"would remove the second name {destination} of {source}")
            else:
                dst.unlink()
            outcome.done += 1
            continue
        if not dst.is_file() or dst.is_symlink():
            outcome.problems.append(f"{destination}: missing, cannot put back {source}")
            continue
        if src.exists() or src.is_symlink():
            outcome.problems.append(f"{source}: something new is there, left {destination}")
            continue
        if dry_run:
            print(f"would move {destination} -> {source}")
            outcome.done += 1
            continue
        try:
            src.parent.mkdir(parents=True, exist_ok=True)
            move_no_replace(dst, src)
            outcome.done += 1
        except OSError as exc:
            outcome.problems.append(f"{destination}: {exc.strerror or exc}")
    if not dry_run:
        for sub in reversed(data["new_dirs"]):
            with contextlib.suppress(OSError):  # not empty: something new is in it, keep it
                (root / sub).rmdir()
        if not outcome.problems:
            Path(log).unlink()
    return outcome


def _same_file(a: Path, b: Path) -> bool:
    """Two names of one file, as an interrupted ``move_no_replace`` leaves it:
    two hard links (a case-insensitive file system's two spellings of one name
    are one link, and removing "the other" would remove the file)."""
    try:
        return (not a.is_symlink() and not b.is_symlink() and os.path.samefile(a, b)
                and os.stat(b).st_nlink > 1)
    except OSError:
        return False


def make_messy_folder(root: str | Path, n_files: int = 60, *, seed: int = 0) -> list[str]:
    """Fill ``root`` with a deterministic, realistically messy downloads folder.

    Camera photos, invoices, exports and archives with clashing names (the same
    ``invoice.pdf`` in several places), spread over twelve months of
    modification times, some in subfolders. Returns the relative paths made.

    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     made = make_messy_folder(tmp, 8)
    ...     len(made), made == sorted(make_messy_folder(tmp + "/again", 8))
    (8, True)
    """
    import random

    rng = random.Random(seed)  # noqa: S311 - reproducible sample data
    root = Path(root)
    kinds = ["IMG_{n:04d}.jpg", "invoice.pdf", "export-{n}.csv", "notes.txt", "song{n}.mp3",
             "backup.tar.gz", "setup.py", "Screenshot {n}.png", "report.docx", "data.json",
             "Makefile", "clip{n}.mp4"]
    made = []
    for i in range(n_files):
        name = rng.choice(kinds).format(n=rng.randrange(1, 40))
        folder = rng.choice(["", "", "", "old", "old/2023", "misc"])
        rel = f"{folder}/{name}" if folder else name
        if rel in made:
            rel = rel.replace(".", f"-{i}.", 1) if "." in rel else f"{rel}-{i}"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randrange(10, 2000)))
        mtime = 1_704_067_200 + rng.randrange(366 * 86400)  # some time in 2024, UTC
        os.utime(path, (mtime, mtime))
        made.append(rel)
    return sorted(made)


# -- command line ----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = program_parser(
        "organiser",
        "Sort files into folders by type or by date. Dry run unless --apply; "
        "never overwrites; every applied run can be undone from its log.", EXIT_CODES)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    org = sub.add_parser("organise", help="sort the files in a directory",
                         description="Sort the files in PATH into folders.")
    org.add_argument("path", type=Path, help="the directory to organise")
    org.add_argument("--by", choices=["type", "date"], default="type",
                     help="folders by file type (default) or by modification YYYY/MM")
    org.add_argument("--recursive", action="store_true",
                     help="also take files from subfolders (default: top level only)")
    org.add_argument("--log", type=Path, metavar="FILE",
                     help=f"undo log to write (default: PATH/{DEFAULT_LOG})")
    mode = org.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", dest="apply", action="store_false",
                      help="only print the plan (the default)")
    mode.add_argument("--apply", dest="apply", action="store_true", help="really move the files")
    org.set_defaults(apply=False)  # explicit: with two actions on one dest, the last default wins
    und = sub.add_parser("undo", help="restore a tree from an undo log",
                         description="Move every file named in LOG back where it was.")
    und.add_argument("log", type=Path, help="the undo log written by organise --apply")
    mode = und.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", dest="apply", action="store_false",
                      help="only print what would be restored (the default)")
    mode.add_argument("--apply", dest="apply", action="store_true", help="really restore")
    und.set_defaults(apply=False)
    return parser


def _report(outcome: Outcome, skipped: list[str]) -> int:
    for line in [*skipped, *outcome.problems]:
        print(f"organiser: skipped {line}", file=sys.stderr)
    return EXIT_PARTIAL if skipped or outcome.problems else EXIT_OK


def undo_command(log: Path) -> str:
    """The command that undoes a run, safe to paste into a shell.

    >>> print(undo_command(Path("my folder/log.json")))
    python -m stdlib_book.organiser undo 'my folder/log.json' --apply
    """
    return shell_command("python", "-m", "stdlib_book.organiser", "undo", log, "--apply")


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "undo":
            outcome = undo(args.log, dry_run=not args.apply)
            verb = "restored" if args.apply else "would restore"
            print(f"{verb} {outcome.done} file(s)")
            return _report(outcome, [])
        if not args.path.is_dir():
            raise UsageError(f"not a directory: {args.path}")
        plan = make_plan(args.path, by=args.by, recursive=args.recursive)
        if not args.apply:
            for m in plan.moves:
                print(f"would move {m.source} -> {m.destination}")
            print(f"dry run: {len(plan.moves)} file(s) would move; nothing changed "
                  "(use --apply)")
            return _report(Outcome(), plan.skipped)
        log = args.log or args.path / DEFAULT_LOG
        try:
            outcome = apply_plan(args.path, plan, log)
        except KeyboardInterrupt:
            if log.exists():
                print(f"organiser: stopped part-way; undo with: {undo_command(log)}",
                      file=sys.stderr)
            raise
        print(f"moved {outcome.done} file(s); undo with: {undo_command(log)}")
        return _report(outcome, plan.skipped)
    except OrganiserError as exc:
        raise UsageError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(build_parser(), _run, argv)


# -- exercise check ----------------------------------------------------------------


def check_unique_name(func) -> Feedback:
    """Check ``func(name, taken)`` against the collision-safe naming rule."""

    def body(c: Checker) -> None:
        c.expect("free name kept", lambda: func("a.txt", set()), "a.txt")
        c.expect("first clash", lambda: func("a.txt", {"a.txt"}), "a (1).txt")
        c.expect("second clash", lambda: func("a.txt", {"a.txt", "a (1).txt"}), "a (2).txt")
        c.expect("gap reused", lambda: func("a.txt", {"a.txt", "a (2).txt"}), "a (1).txt")
        c.expect("no suffix", lambda: func("README", {"README"}), "README (1)")
        c.expect("taken not changed", lambda: (lambda t: (func("b.png", t), t))({"b.png"}),
                 ("b (1).png", {"b.png"}))
        c.expect("never returns a taken name",
                 lambda: func("x.csv", {f"x ({i}).csv" for i in range(1, 50)} | {"x.csv"}),
                 "x (50).csv")

    return run_checks("unique_name", body)


def check_unique_name_nocase(func) -> Feedback:
    """Check ``func(name, taken)``: :func:`unique_name` for a case-insensitive file
    system (macOS's APFS and Windows's NTFS by default), where ``Invoice.PDF`` and
    ``invoice.pdf`` are one file. A name is taken if it equals a taken name after
    ``str.casefold``; the caller's spelling is kept."""

    def body(c: Checker) -> None:
        c.expect("free name kept", lambda: func("Photo.JPG", {"notes.txt"}), "Photo.JPG")
        c.expect("same name in other case clashes",
                 lambda: func("Invoice.PDF", {"invoice.pdf"}), "Invoice (1).PDF")
        c.expect("numbered names clash in any case too",
                 lambda: func("a.txt", {"A.TXT", "A (1).Txt"}), "a (2).txt")
        c.expect("taken not changed", lambda: (lambda t: (func("B.png", t), t))({"b.png"}),
                 ("B (1).png", {"b.png"}))
        c.expect("no suffix", lambda: func("readme", {"README"}), "readme (1)")

    return run_checks("unique_name_nocase", body)


if __name__ == "__main__":
    sys.exit(main())
