"""backup: zip a directory with a checksum manifest, verify it, and e-mail the result.

A backup nobody has verified is a hope, not a backup. Every archive this
tool writes carries ``MANIFEST.sha256`` (the format ``sha256sum -c`` reads),
and ``verify`` recomputes every checksum from the archive, so corruption
anywhere (a flipped bit, a truncated copy, a file replaced inside the zip)
is reported by name instead of being discovered on the day of the restore.

* The archive is written under a temporary name and renamed when complete,
  so a crash never leaves a half-written file that looks like a backup; an
  existing archive is never overwritten (a second backup in the same second
  gets ``-1`` added to its name).
* Symbolic links are not followed (a link to ``/`` would otherwise back up
  the whole machine); they are listed as skipped.
* ``--dry-run`` lists what would be backed up and writes nothing.
* ``--notify-to`` sends the outcome by e-mail with :mod:`smtplib`; a failure
  to notify is reported (exit code 1) but never deletes or spoils the backup.
  A password is sent only over TLS (``--smtp-ssl`` or ``--starttls``, RFC 8314).

    python -m stdlib_book.backup create SOURCE DEST_DIR [--dry-run] [--notify-to ADDR ...]
    python -m stdlib_book.backup verify ARCHIVE
    python -m stdlib_book.backup restore ARCHIVE TARGET_DIR [--dry-run]

Exit codes: the package's contract (:mod:`stdlib_book.cli`); see ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import hashlib
import os
import secrets
import shutil
import smtplib
import ssl
import stat
import sys
import tempfile  # noqa: F401 - used by the doctests
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path, PurePath, PurePosixPath

from stdlib_book.cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    UsageError,
    describe,
    program_parser,
    run_main,
)
from stdlib_book.selfcheck import Checker, Feedback, run_checks

#: What this program means by the contract's codes 1 and 3.
EXIT_CODES = {1: "done, but files were skipped or the notification failed (listed)",
              3: "failed: no verified archive (create), the archive failed verification "
                 "(verify), or nothing restored (restore)"}
MANIFEST = "MANIFEST.sha256"
CHUNK = 1 << 20


#: What reading a member can raise besides a CRC error: an encrypted member
#: (RuntimeError), an unknown compression method (NotImplementedError), bad
#: compressed data (zlib.error, OSError from bz2, lzma.LZMAError).
UNREADABLE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError,
              NotImplementedError, ValueError, getattr(zipfile.lzma, "LZMAError", OSError))


class BackupError(Exception):
    """The request cannot be carried out (bad source, archive in the way, ...)."""


class NothingRestored(BackupError):
    """The archive failed verification, or writing it failed: nothing restored."""


def sha256_of(stream) -> str:
    """SHA-256 of a binary stream, read in 1 MiB chunks (any size, flat memory)."""
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Inventory:
    files: list[str] = field(default_factory=list)  # POSIX paths relative to the source
    folders: list[str] = field(default_factory=list)  # "a/b/", so that empty ones come back
    total_bytes: int = 0
    skipped: list[str] = field(default_factory=list)


def manifest_line(digest: str, name: str) -> str:
    r"""One line of ``MANIFEST.sha256`` as GNU ``sha256sum`` writes it: a name
    containing a backslash, a newline or a carriage return is escaped (``\\``,
    ``\n``, ``\r``) and the line starts with a backslash, so that every name,
    however odd, is one line that ``sha256sum -c`` reads back.

    >>> manifest_line("ab" * 32, "notes.txt") == "ab" * 32 + "  notes.txt"
    True
    >>> manifest_line("ab" * 32, "a\nb.txt") == "\\" + "ab" * 32 + "  a\\nb.txt"
    True
    """
    if any(ch in name for ch in "\\\n\r"):
        escaped = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return f"\\{digest}  {escaped}"
    return f"{digest}  {name}"


def parse_manifest_line(line: str) -> tuple[str, str] | None:
    """``(digest, name)`` from one manifest line, undoing :func:`manifest_line`'s
    escapes; ``None`` for a line that is not in that format."""
    escaped = line.startswith("\\")
    digest, sep, name = line[escaped:].partition("  ")
    if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    if not escaped:
        return digest, name
    out, chars = [], iter(name)
    for ch in chars:
        if ch == "\\":
            ch = _UNESCAPE.get(next(chars, ""))
            if ch is None:  # a backslash before anything else, or at the end
                return None
        out.append(ch)
    return digest, "".join(out)


_UNESCAPE = {"\\": "\\", "n": "\n", "r": "\r"}


def inventory(source: str | Path) -> Inventory:
    """Every regular file under ``source``, sorted; links, special files,
    unreadable folders and a top-level file named like the manifest skipped
    and listed."""
    source = Path(source)
    inv = Inventory()

    def unreadable(exc: OSError) -> None:  # os.walk would leave the folder out silently
        where = Path(exc.filename).relative_to(source).as_posix() if exc.filename else "?"
        inv.skipped.append(f"{where}/: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(source, onerror=unreadable, followlinks=False):
        here = Path(dirpath)
        for d in sorted(dirnames):
            rel_d = (here / d).relative_to(source).as_posix()
            if (here / d).is_symlink():
                inv.skipped.append(f"{rel_d}/: symbolic link")
            elif _utf8(rel_d):  # a folder whose name a zip cannot hold: its files say so
                inv.folders.append(f"{rel_d}/")
        dirnames.sort()
        for name in sorted(filenames):
            path = here / name
            rel = path.relative_to(source).as_posix()
            if path.is_symlink():
                inv.skipped.append(f"{rel}: symbolic link")
            elif not path.is_file():
                inv.skipped.append(f"{rel}: not a regular file")
            elif rel == MANIFEST:  # the archive's own manifest takes that name
                inv.skipped.append(f"{rel}: the name of the archive's own manifest "
                                   "(rename the file to back it up)")
            elif not _utf8(rel):
                shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                inv.skipped.append(f"{shown}: name is not valid UTF-8, which a zip "
                                   "archive cannot store")
            else:
                try:
                    inv.total_bytes += path.stat().st_size
                except OSError as exc:  # vanished since the walk listed it
                    inv.skipped.append(f"{rel}: {exc.strerror or exc}")
                    continue
                inv.files.append(rel)
    return inv


def _utf8(name: str) -> bool:
    # os.walk gives undecodable bytes of a POSIX file name as lone surrogates
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def archive_name(source: str | Path, when: dt.datetime) -> str:
    """``<source name>-YYYYMMDDTHHMMSSZ.zip``: sorts by time, says what it holds.

    >>> archive_name("/data/reports", dt.datetime(2025, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc))
    'reports-20250203T040506Z.zip'
    """
    stamp = when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{Path(source).resolve().name or 'root'}-{stamp}.zip"


@dataclass
class Created:
    archive: Path
    files: int
    total_bytes: int
    skipped: list[str]


def create_backup(source: str | Path, dest_dir: str | Path, *,
                  when: dt.datetime | None = None) -> Created:
    """Zip every regular file of ``source`` into ``dest_dir`` with a manifest.

    Checksums are computed from the bytes as they are read into the archive,
    so the manifest describes exactly what was stored, even if a file changes
    while the backup runs.
    """
    source, dest_dir = Path(source), Path(dest_dir)
    if not source.is_dir():
        raise BackupError(f"source is not a directory: {source}")
    if not dest_dir.is_dir():
        raise BackupError(f"destination is not a directory: {dest_dir}")
    if dest_dir.resolve().is_relative_to(source.resolve()):
        raise BackupError("destination is inside the source: the backup would contain itself")
    when = when or dt.datetime.now(dt.UTC)
    name = archive_name(source, when)
    inv = inventory(source)
    tmp = dest_dir / f".{name}.{os.getpid()}.partial"
    manifest = []
    try:
        with zipfile.ZipFile(tmp, "x", compression=zipfile.ZIP_DEFLATED) as zf:
            for rel in list(inv.files):
                path = source / rel
                digest = hashlib.sha256()
                try:
                    # strict_timestamps=False: a time before 1980 (ZIP's epoch) or
                    # after 2107 is stored as the nearest one ZIP can hold.
                    info = zipfile.ZipInfo.from_file(path, rel, strict_timestamps=False)
                    src = open(path, "rb")  # noqa: SIM115 - closed by the with below
                except OSError as exc:  # vanished or unreadable since the walk
                    inv.files.remove(rel)
                    inv.skipped.append(f"{rel}: {exc.strerror or exc}")
                    continue
                info.compress_type = zipfile.ZIP_DEFLATED
                with src, zf.open(info, "w") as dst:
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
                manifest.append(manifest_line(digest.hexdigest(), rel) + "\n")
            for folder in inv.folders:
                zf.mkdir(folder)
            zf.writestr(MANIFEST, "".join(manifest))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        target = _link_unique(tmp, dest_dir / name)
    finally:
        tmp.unlink(missing_ok=True)
    return Created(target, len(inv.files), inv.total_bytes, inv.skipped)


def _link_unique(tmp: Path, target: Path) -> Path:
    """Give ``tmp`` the name ``target``, or ``stem-1.zip``, ``stem-2.zip``...
    if that is taken: ``os.link`` fails rather than replace an existing archive.

    Where hard links are refused (FAT, exFAT, many network shares), the name
    is claimed by creating it with ``O_EXCL`` and the archive is then renamed
    over that empty file, which is just as safe against replacing another
    archive."""
    for n in range(1000):
        candidate = target if n == 0 else target.with_name(f"{target.stem}-{n}{target.suffix}")
        try:
            os.link(tmp, candidate)
            return candidate
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK,
                                 errno.EXDEV, errno.ENOSYS):
                raise
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        os.replace(tmp, candidate)
        return candidate
    raise BackupError(f"too many archives named like {target}")


@dataclass
class Verified:
    archive: Path
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _safe_member(name: str, system: type[PurePath] = PurePath) -> bool:
    """Whether extracting ``name`` here stays inside the target: a zip member
    name uses ``/``, and on Windows (``system``) a backslash is a separator and
    ``C:`` a drive too. ``back\\slash.txt`` is an ordinary POSIX file name, but
    ``..\\x`` would leave the target on Windows."""
    paths = (PurePosixPath(name), system(name))
    return bool(name) and not any(p.anchor or ".." in p.parts for p in paths)


def verify(archive: str | Path) -> Verified:
    """Recompute every checksum in ``archive`` and compare with its manifest.

    Never raises for a damaged archive: every problem (unreadable zip, CRC
    error, checksum mismatch, file missing from or not in the manifest,
    unsafe member name, a member encrypted or compressed in a way zipfile
    cannot read, an impossible date) is returned in ``problems``.
    """
    result = Verified(Path(archive))
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        result.problems.append(f"not a readable zip archive: {exc}")
        return result
    with zf:
        try:
            text = zf.read(MANIFEST).decode("utf-8")
        except KeyError:
            result.problems.append(f"no {MANIFEST} in the archive")
            return result
        except UNREADABLE as exc:  # UnicodeDecodeError is a ValueError
            result.problems.append(f"{MANIFEST} is unreadable: {exc}")
            return result
        expected = {}
        # split("\n"), not splitlines(): a name may contain \f, \x1c or \u2028
        for line in text.removesuffix("\n").split("\n") if text else []:
            parsed = parse_manifest_line(line)
            if parsed is None:
                result.problems.append(f"{MANIFEST}: malformed line {line[:60]!r}")
                continue
            digest, name = parsed
            expected[name] = digest
        members = {n for n in zf.namelist() if n != MANIFEST and not n.endswith("/")}
        for name in sorted(members - expected.keys()):
            result.problems.append(f"{name}: in the archive but not in the manifest")
        for name in sorted(expected.keys() - members):
            result.problems.append(f"{name}: in the manifest but missing from the archive")
        for name in sorted(n for n in zf.namelist() if n.endswith("/")):
            if not _safe_member(name.rstrip("/")):
                result.problems.append(f"{name}: unsafe path in archive")
        for name in sorted(expected.keys() & members):
            if not _safe_member(name):
                result.problems.append(f"{name}: unsafe path in archive")
                continue
            try:
                dt.datetime(*zf.getinfo(name).date_time)  # restore sets it as the mtime
            except ValueError as exc:
                result.problems.append(f"{name}: invalid date in the archive ({exc})")
                continue
            try:
                with zf.open(name) as member:
                    actual = sha256_of(member)
            except UNREADABLE as exc:
                result.problems.append(f"{name}: unreadable ({type(exc).__name__}: {exc})")
                continue
            result.checked += 1
            if actual != expected[name]:
                result.problems.append(f"{name}: checksum mismatch")
    return result


def restore(archive: str | Path, target: str | Path, *, dry_run: bool = False) -> list[str]:
    """Verify ``archive``, then extract it into ``target`` (a new or empty directory).

    Refuses to extract anything from an archive that fails verification,
    and never writes outside ``target`` (names are checked by ``verify``).
    Files are extracted into a new folder beside ``target``, which becomes
    ``target`` only when every file is written: a restore that fails part-way
    (disk full) removes what it wrote and raises :class:`NothingRestored`.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise BackupError(f"target is not a directory: {target}")
    checked = verify(archive)
    if not checked.ok:
        raise NothingRestored(f"archive failed verification, nothing restored: "
                              f"{checked.problems[0]}")
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"target is not empty, not restoring over it: {target}")
    with zipfile.ZipFile(archive) as zf:
        names = sorted(n for n in zf.namelist() if n != MANIFEST and not n.endswith("/"))
        if dry_run:
            return names
        staging = target.parent / f".{target.name}.restoring-{secrets.token_hex(4)}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir()  # the umask's mode, as target would have had; never an old one
        except OSError as exc:
            raise NothingRestored(f"restore failed, nothing restored: {describe(exc)}") from None
        try:
            for folder in sorted(n for n in zf.namelist() if n.endswith("/")):
                (staging / folder).mkdir(parents=True, exist_ok=True)  # checked by verify
            for name in names:
                dest = staging / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(name) as src, open(dest, "xb") as out:
                    shutil.copyfileobj(src, out, CHUNK)
                mtime = dt.datetime(*zf.getinfo(name).date_time).timestamp()
                os.utime(dest, (mtime, mtime))
            if target.exists():  # empty, checked above
                staging.chmod(stat.S_IMODE(target.stat().st_mode))
            try:
                staging.replace(target)  # POSIX: replaces an empty directory atomically
            except OSError:  # Windows cannot; and anywhere, target is no longer empty
                target.rmdir()  # fails (and nothing is lost) if something is in it now
                staging.rename(target)
        except BaseException as exc:  # Ctrl-C included: never leave half a restore
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, OSError):
                raise NothingRestored(f"restore failed, nothing restored: {describe(exc)}"
                                      ) from None
            raise
    return names


# -- notification --------------------------------------------------------------------------


def report_message(subject_ok: bool, summary: str, *, sender: str, to: Sequence[str],
                   host_label: str = "backup") -> EmailMessage:
    """The e-mail for an outcome: a subject a filter can match, the details in the body."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    status = "OK" if subject_ok else "FAILED"
    msg["Subject"] = f"[{host_label}] {status}: {summary.splitlines()[0]}"
    msg.set_content(summary + "\n")
    return msg


def send_notification(msg: EmailMessage, *, host: str, port: int, starttls: bool = False,
                      implicit_tls: bool = False, username: str | None = None,
                      password: str | None = None, timeout: float = 10,
                      context: ssl.SSLContext | None = None) -> None:
    """Send ``msg`` with :mod:`smtplib`. With ``implicit_tls`` the connection is
    TLS from the first byte (``SMTP_SSL``, port 465, what RFC 8314 prefers);
    with ``starttls`` it is upgraded before anything else is sent. Either way
    the server's certificate and name are verified (``context``, by default
    :func:`ssl.create_default_context`). A password is never sent without
    TLS: ``username`` without either raises ``ValueError``. Raises
    ``OSError``/``smtplib.SMTPException`` for the caller to report.

    ``local_hostname`` is given because otherwise ``smtplib`` looks up this
    machine's fully qualified name (``socket.getfqdn()``) for its EHLO
    greeting: a DNS query that can stall for seconds where DNS is slow.
    """
    if username is not None and not (starttls or implicit_tls):
        raise ValueError("refusing to send an SMTP password without TLS")
    context = context or ssl.create_default_context()
    with (smtplib.SMTP_SSL(host, port, local_hostname="localhost", timeout=timeout,
                           context=context) if implicit_tls else
          smtplib.SMTP(host, port, local_hostname="localhost", timeout=timeout)) as smtp:
        if starttls and not implicit_tls:
            smtp.starttls(context=context)
        if username is not None:
            smtp.login(username, password or "")
        smtp.send_message(msg)


# -- command line ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = program_parser(
        "backup", "Back up a directory to a zip archive with a SHA-256 manifest; verify "
        "and restore archives; optionally e-mail the outcome.", EXIT_CODES)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cr = sub.add_parser("create", help="make a new backup archive")
    cr.add_argument("source", type=Path, help="directory to back up")
    cr.add_argument("dest", type=Path, help="directory to write the archive into")
    cr.add_argument("--dry-run", action="store_true", help="list what would be backed up")
    cr.add_argument("--notify-to", action="append", default=[], metavar="ADDRESS",
                    help="e-mail the outcome to ADDRESS (repeatable)")
    cr.add_argument("--notify-from", default="backup@localhost", metavar="ADDRESS",
                    help="sender address (%(default)s)")
    cr.add_argument("--smtp-host", default="localhost", help="SMTP server (%(default)s)")
    cr.add_argument("--smtp-port", type=int, help="SMTP port (465 with --smtp-ssl, else 25)")
    tls = cr.add_mutually_exclusive_group()
    tls.add_argument("--smtp-ssl", action="store_true",
                     help="TLS from the first byte (implicit TLS, port 465; RFC 8314)")
    tls.add_argument("--starttls", action="store_true", help="upgrade the connection to TLS")
    cr.add_argument("--smtp-user", help="log in as this user (needs --smtp-ssl or --starttls); "
                    "the password is read from the BACKUP_SMTP_PASSWORD environment variable, "
                    "never the command line")
    ve = sub.add_parser("verify", help="check every file of an archive against its manifest")
    ve.add_argument("archive", type=Path)
    re_ = sub.add_parser("restore", help="verify, then extract into an empty directory")
    re_.add_argument("archive", type=Path)
    re_.add_argument("target", type=Path)
    re_.add_argument("--dry-run", action="store_true", help="list what would be restored")
    return parser


def _create(args: argparse.Namespace) -> int:
    if not args.source.is_dir():
        raise UsageError(f"source is not a directory: {args.source}")
    if args.smtp_user is not None and not (args.smtp_ssl or args.starttls):
        raise UsageError("--smtp-user needs --smtp-ssl or --starttls: "
                         "the password would cross the network in clear text")
    if args.dry_run:
        inv = inventory(args.source)
        for rel in inv.files:
            print(f"would back up {rel}")
        print(f"dry run: {len(inv.files)} file(s), {inv.total_bytes:,} bytes; nothing written")
        for line in inv.skipped:
            print(f"backup: would skip {line}", file=sys.stderr)
        return EXIT_PARTIAL if inv.skipped else EXIT_OK
    try:
        made = create_backup(args.source, args.dest)
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    checked = verify(made.archive)
    summary = (f"{made.archive.name}: {made.files} file(s), {made.total_bytes:,} bytes, "
               f"verified {checked.checked} checksum(s), "
               f"{'all correct' if checked.ok else 'PROBLEMS FOUND'}")
    details = [summary, *(f"skipped {s}" for s in made.skipped),
               *(f"problem: {p}" for p in checked.problems)]
    print("\n".join(details))
    status = EXIT_FAILED if not checked.ok else EXIT_PARTIAL if made.skipped else EXIT_OK
    if args.notify_to:
        msg = report_message(checked.ok, "\n".join(details), sender=args.notify_from,
                             to=args.notify_to)
        try:
            send_notification(msg, host=args.smtp_host,
                              port=args.smtp_port or (465 if args.smtp_ssl else 25),
                              starttls=args.starttls, implicit_tls=args.smtp_ssl,
                              username=args.smtp_user,
                              password=os.environ.get("BACKUP_SMTP_PASSWORD"))
            print(f"notified {', '.join(args.notify_to)}")
        except (OSError, smtplib.SMTPException) as exc:
            print(f"backup: the backup is fine, but the notification failed: {exc}",
                  file=sys.stderr)
            status = max(status, EXIT_PARTIAL)
    return status


def _run(args: argparse.Namespace) -> int:
    if args.command == "create":
        return _create(args)
    if not args.archive.is_file():
        raise UsageError(f"no such archive: {args.archive}")
    if args.command == "verify":
        checked = verify(args.archive)
        for problem in checked.problems:
            print(f"FAILED {problem}")
        print(f"{args.archive.name}: {checked.checked} checksum(s) verified, "
              f"{len(checked.problems)} problem(s)")
        return EXIT_OK if checked.ok else EXIT_FAILED
    try:
        names = restore(args.archive, args.target, dry_run=args.dry_run)
    except NothingRestored as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    verb = "would restore" if args.dry_run else "restored"
    print(f"{verb} {len(names)} file(s) into {args.target}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(build_parser(), _run, argv)


# -- exercise check ----------------------------------------------------------------------------


def check_manifest_line(func) -> Feedback:
    """Check ``func(digest, name)`` against the lines GNU ``sha256sum`` writes
    for the same names (``tests/test_backup.py`` has ``sha256sum -c`` read them)."""
    d = "0123456789abcdef" * 4

    def body(ch: Checker) -> None:
        ch.expect("a plain name", lambda: func(d, "notes.txt"), f"{d}  notes.txt")
        ch.expect("spaces kept as they are", lambda: func(d, "my  file.txt"), f"{d}  my  file.txt")
        ch.expect("a newline", lambda: func(d, "a\nb.txt"), f"\\{d}  a\\nb.txt")
        ch.expect("a backslash", lambda: func(d, "back\\slash.txt"), f"\\{d}  back\\\\slash.txt")
        ch.expect("a carriage return", lambda: func(d, "c\rr.txt"), f"\\{d}  c\\rr.txt")
        ch.expect("a backslash, then n (not a newline)",
                  lambda: func(d, "\\n.txt"), f"\\{d}  \\\\n.txt")
        ch.expect("other characters left alone", lambda: func(d, "u\u2028v.txt"),
                  f"{d}  u\u2028v.txt")

    return run_checks("manifest_line", body)


if __name__ == "__main__":
    sys.exit(main())
