import datetime as dt
import hashlib
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

import nbformat
import pytest

from stdlib_book import backup, files
from stdlib_book.cli import EXIT_FAILED
from stdlib_book.commands import python
from stdlib_book.smtpsink import smtp_sink

WHEN = dt.datetime(2025, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


def digests(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


@pytest.fixture
def source(tmp_path):
    root = tmp_path / "data"
    files.make_tree(root, 60, files_per_dir=10, file_size=3000)
    (root / "caf\u00e9 notes.txt").write_text("accents \u00e9\u00e8", encoding="utf-8")
    return root


@pytest.fixture
def dest(tmp_path):
    d = tmp_path / "backups"
    d.mkdir()
    return d


def test_create_verify_restore_round_trip(source, dest, tmp_path):
    made = backup.create_backup(source, dest, when=WHEN)
    assert made.archive.name == "data-20250203T040506Z.zip" and made.files == 61
    checked = backup.verify(made.archive)
    assert checked.ok and checked.checked == 61
    names = backup.restore(made.archive, tmp_path / "restored")
    assert len(names) == 61
    assert digests(tmp_path / "restored") == digests(source)
    assert sorted(p.name for p in dest.iterdir()) == [made.archive.name]  # no partial file left


def test_a_file_named_like_the_manifest_is_skipped_and_listed(source, dest, tmp_path, capsys):
    # hypothesis found it: a top-level MANIFEST.sha256 of the user's became a second
    # member of that name, and the backup failed verification (exit 3)
    (source / backup.MANIFEST).write_text("the user's own file\n", encoding="utf-8")
    (source / "dir00000_0" / backup.MANIFEST).write_text("another\n", encoding="utf-8")
    code = backup.main(["create", str(source), str(dest)])
    out = capsys.readouterr().out
    assert code == backup.EXIT_PARTIAL
    assert f"skipped {backup.MANIFEST}: the name of the archive's own manifest" in out
    (archive,) = dest.iterdir()
    assert backup.main(["restore", str(archive), str(tmp_path / "back")]) == 0
    want = {rel: d for rel, d in digests(source).items() if rel != backup.MANIFEST}
    assert digests(tmp_path / "back") == want and f"dir00000_0/{backup.MANIFEST}" in want


def test_never_overwrites_and_refuses_to_back_up_into_itself(source, dest):
    first = backup.create_backup(source, dest, when=WHEN).archive
    before = first.read_bytes()
    second = backup.create_backup(source, dest, when=WHEN).archive
    assert second.name == "data-20250203T040506Z-1.zip"
    assert first.read_bytes() == before
    with pytest.raises(backup.BackupError, match="inside the source"):
        backup.create_backup(source, source, when=WHEN)


def test_symlinks_are_skipped_not_followed(source, dest, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s", encoding="utf-8")
    (source / "link-dir").symlink_to(outside, target_is_directory=True)
    (source / "link-file").symlink_to(outside / "secret")
    made = backup.create_backup(source, dest, when=WHEN)
    assert sorted(made.skipped) == ["link-dir/: symbolic link", "link-file: symbolic link"]
    with zipfile.ZipFile(made.archive) as zf:
        assert not any("secret" in n or "link" in n for n in zf.namelist())


def flip_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_verify_detects_a_flipped_byte(source, dest):
    made = backup.create_backup(source, dest, when=WHEN)
    with zipfile.ZipFile(made.archive) as zf:
        info = zf.getinfo("dir00000_0/file000010.txt")
    flip_byte(made.archive, info.header_offset + 30 + len(info.filename) + 50)
    checked = backup.verify(made.archive)
    assert not checked.ok
    assert checked.problems[0].startswith("dir00000_0/file000010.txt: ")
    assert checked.checked == 60  # every other file still checked


def test_verify_detects_a_replaced_file_with_a_valid_crc(source, dest, tmp_path):
    made = backup.create_backup(source, dest, when=WHEN)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(made.archive) as old, zipfile.ZipFile(forged, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info.filename, b"tampered" if info.filename == "README" or
                         info.filename == "file000000.txt" else data)
        new.writestr("extra.bin", b"?")
    checked = backup.verify(forged)
    assert checked.problems == ["extra.bin: in the archive but not in the manifest",
                                "file000000.txt: checksum mismatch"]


@pytest.mark.parametrize("damage", ["truncate", "empty", "no-manifest"])
def test_verify_never_raises_on_broken_archives(source, dest, damage):
    made = backup.create_backup(source, dest, when=WHEN)
    if damage == "truncate":
        made.archive.write_bytes(made.archive.read_bytes()[:5000])
    elif damage == "empty":
        made.archive.write_bytes(b"")
    else:
        with zipfile.ZipFile(made.archive, "w") as zf:
            zf.writestr("a.txt", "a")
    checked = backup.verify(made.archive)
    assert not checked.ok and checked.problems


def test_restore_refuses_damaged_archives_and_non_empty_targets(source, dest, tmp_path):
    made = backup.create_backup(source, dest, when=WHEN)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(made.archive, busy)
    made.archive.write_bytes(made.archive.read_bytes()[:4000])
    with pytest.raises(backup.BackupError, match="verification"):
        backup.restore(made.archive, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_zip_slip_names_are_refused(tmp_path):
    evil = tmp_path / "evil.zip"
    digest = hashlib.sha256(b"x").hexdigest()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape.txt", b"x")
        zf.writestr(backup.MANIFEST, f"{digest}  ../escape.txt\n")
    assert "unsafe path" in backup.verify(evil).problems[0]
    with pytest.raises(backup.BackupError):
        backup.restore(evil, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_dry_run_writes_nothing(source, dest):
    ran = python("-m", "stdlib_book.backup", "create", source, dest, "--dry-run")
    assert ran.returncode == 0 and "dry run: 61 file(s)" in ran.stdout
    assert list(dest.iterdir()) == []


def test_cli_create_notifies_by_email(source, dest):
    with smtp_sink() as (host, port, inbox):
        ran = python("-m", "stdlib_book.backup", "create", source, dest,
                     "--notify-to", "ops@example.com", "--notify-to", "me@example.com",
                     "--smtp-host", host, "--smtp-port", str(port))
    assert ran.returncode == 0, ran.stderr
    assert "all correct" in ran.stdout
    [mail] = inbox
    assert mail.envelope_to == ["ops@example.com", "me@example.com"]
    assert mail.message["Subject"].startswith("[backup] OK: data-")
    assert "verified 61 checksum(s)" in mail.message.get_content()
    archive = next(dest.iterdir())
    assert python("-m", "stdlib_book.backup", "verify", archive).returncode == 0


def test_failed_notification_keeps_the_backup_and_exits_1(source, dest):
    with smtp_sink() as (host, port, _inbox):
        pass  # stopped: nothing listens on that port now
    ran = python("-m", "stdlib_book.backup", "create", source, dest, "--notify-to", "a@b.c",
                 "--smtp-host", host, "--smtp-port", str(port))
    assert ran.returncode == 1 and "notification failed" in ran.stderr
    [archive] = dest.iterdir()
    assert backup.verify(archive).ok


def test_cli_verify_and_restore_exit_codes(source, dest, tmp_path):
    made = backup.create_backup(source, dest, when=WHEN)
    flip_byte(made.archive, 200)
    ran = python("-m", "stdlib_book.backup", "verify", made.archive)
    assert ran.returncode == EXIT_FAILED and "FAILED" in ran.stdout
    ran = python("-m", "stdlib_book.backup", "restore", made.archive, tmp_path / "r")
    assert ran.returncode == EXIT_FAILED and "nothing restored" in ran.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (["create", "missing", "."], "source is not a directory"),
    (["verify", "missing.zip"], "no such archive"),
    (["restore"], "required"),
    (["create", ".", ".", "--smtp-port", "x"], "invalid int value"),
])
def test_bad_usage_exits_2(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        backup.main(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_smtp_sink_dot_stuffing_and_errors():
    with smtp_sink() as (host, port, inbox), \
            smtplib.SMTP(host, port, local_hostname="localhost", timeout=5) as smtp:
        smtp.sendmail("a@example.com", ["b@example.com"],
                      "Subject: dots\r\n\r\n.leading dot\r\n..two\r\nend\r\n")
        assert smtp.docmd("RCPT", "TO:<x@y>")[0] == 503
        assert smtp.docmd("FROB")[0] == 502
        assert smtp.docmd("MAIL", "nonsense")[0] == 501
    body = inbox[0].message.get_content()
    assert body.splitlines() == [".leading dot", "..two", "end"]


def test_check_manifest_line():
    assert backup.check_manifest_line(backup.manifest_line).passed
    backslash_last = lambda d, n: backup.manifest_line(d, n).replace("\\\\", "\\")  # noqa: E731
    assert not backup.check_manifest_line(backslash_last).passed
    assert not backup.check_manifest_line(lambda d, n: f"{d}  {n}").passed
    assert not backup.check_manifest_line(
        lambda d, n: f"{d}  {n.encode('unicode_escape').decode()}").passed


# ---- odd but legal file names (review of issue 16): before the fix a name with a
# newline broke the manifest, a backslash was called unsafe, and either made the
# whole archive fail verification, so restore refused every file.
ODD_NAMES = ["a\nb.txt", "back\\slash.txt", "c\rr.txt", "page\fbreak.txt", "u\u2028v.txt",
             "ends with backslash\\", "\\n not a newline.txt"]


@pytest.mark.skipif(os.name != "posix", reason="these names are POSIX file names")
def test_odd_file_names_are_backed_up_verified_and_restored(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    dest.mkdir()
    for i, name in enumerate(ODD_NAMES):
        (src / name).write_bytes(bytes([i]) * 10)
    created = backup.create_backup(src, dest)
    checked = backup.verify(created.archive)
    assert checked.problems == [] and checked.checked == len(ODD_NAMES)
    assert sorted(backup.restore(created.archive, tmp_path / "out")) == sorted(ODD_NAMES)
    for i, name in enumerate(ODD_NAMES):
        assert (tmp_path / "out" / name).read_bytes() == bytes([i]) * 10


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs GNU sha256sum")
def test_the_manifest_is_read_by_sha256sum(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    dest.mkdir()
    for name in ODD_NAMES:
        (src / name).write_text(name, encoding="utf-8")
    created = backup.create_backup(src, dest)
    with zipfile.ZipFile(created.archive) as zf:
        zf.extractall(tmp_path / "plain")
    done = subprocess.run(["sha256sum", "-c", backup.MANIFEST], cwd=tmp_path / "plain",
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


def test_manifest_lines_round_trip_and_reject_bad_escapes():
    digest = "0123456789abcdef" * 4
    for name in [*ODD_NAMES, "plain.txt", "two  spaces.txt"]:
        line = backup.manifest_line(digest, name)
        assert "\n" not in line and backup.parse_manifest_line(line) == (digest, name)
    assert backup.parse_manifest_line("\\" + digest + "  bad\\xescape") is None
    assert backup.parse_manifest_line(digest[:-1] + "  short digest") is None
    assert backup.parse_manifest_line(digest.upper() + "  not lowercase hex") is None


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes")
def test_a_name_that_is_not_utf8_is_skipped_and_reported_not_a_traceback(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    dest.mkdir()
    (src / "fine.txt").write_text("ok", encoding="utf-8")
    with open(os.path.join(os.fsencode(src), b"bad\xff.txt"), "wb") as f:
        f.write(b"latin-1 name")
    created = backup.create_backup(src, dest)
    assert created.files == 1
    assert created.skipped == ["bad\\xff.txt: name is not valid UTF-8, which a zip archive "
                               "cannot store"]
    assert backup.verify(created.archive).ok


@pytest.mark.parametrize(("name", "on_posix", "on_windows"), [
    ("back\\slash.txt", True, True), ("d/e.txt", True, True), ("\\n.txt", True, False),
    ("..\\up.txt", True, False), ("a\\..\\..\\x", True, False), ("C:x.txt", True, False),
    ("/etc/passwd", False, False), ("../x", False, False), ("", False, False),
])
def test_member_names_are_checked_for_the_system_that_extracts_them(name, on_posix, on_windows):
    assert backup._safe_member(name, PurePosixPath) is on_posix
    assert backup._safe_member(name, PureWindowsPath) is on_windows


def _odd_archive(path, oddity):
    """A zip whose manifest is right but whose a.txt is encrypted, stored with
    compression method 99, or dated month 0 (each flag patched in both headers)."""
    data = b"hello"
    info = zipfile.ZipInfo("a.txt", date_time=(2024, 0 if oddity == "month 0" else 1, 1, 0, 0, 0))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("b.txt", data)  # a good file first, so a half-restore would leave it
        zf.writestr(info, data)
        zf.writestr(backup.MANIFEST, "".join(
            backup.manifest_line(hashlib.sha256(data).hexdigest(), n) + "\n"
            for n in ("a.txt", "b.txt")))
    raw = bytearray(path.read_bytes())
    header = raw.index(b"PK\x03\x04a.txt"[:4], info.header_offset)
    central = raw.index(b"PK\x01\x02", raw.index(b"PK\x01\x02") + 1)  # a.txt's entry
    if oddity == "encrypted":
        raw[header + 6] |= 1
        raw[central + 8] |= 1
    elif oddity == "method 99":
        raw[header + 8:header + 10] = raw[central + 10:central + 12] = (99).to_bytes(2, "little")
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize(("oddity", "problem"), [
    ("encrypted", "a.txt: unreadable (RuntimeError"),
    ("method 99", "a.txt: unreadable (NotImplementedError"),
    ("month 0", "a.txt: invalid date"),
])
def test_odd_archives_fail_verification_and_nothing_is_restored(tmp_path, oddity, problem):
    archive = _odd_archive(tmp_path / "odd.zip", oddity)
    assert [p[:len(problem)] for p in backup.verify(archive).problems] == [problem]
    ran = python("-m", "stdlib_book.backup", "verify", archive)
    assert ran.returncode == EXIT_FAILED and "Traceback" not in ran.stderr, ran.stderr
    ran = python("-m", "stdlib_book.backup", "restore", archive, tmp_path / "out")
    assert ran.returncode == EXIT_FAILED and "nothing restored" in ran.stderr, ran.stderr
    assert sorted(os.listdir(tmp_path)) == ["odd.zip"]


def test_a_restore_that_fails_part_way_leaves_nothing(source, dest, tmp_path, monkeypatch):
    made = backup.create_backup(source, dest, when=WHEN)
    calls = []
    real = shutil.copyfileobj

    def disk_full_on_the_third(src, dst, length=0):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(dst.name))
        return real(src, dst, length)

    monkeypatch.setattr(shutil, "copyfileobj", disk_full_on_the_third)
    target = tmp_path / "empty"
    target.mkdir()
    with pytest.raises(backup.NothingRestored, match="No space left"):
        backup.restore(made.archive, target)
    assert len(calls) == 3 and list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backups", "data", "empty"]


@pytest.fixture(scope="module")
def smtp_tls(tmp_path_factory):
    """A server context for the sink, and the CA that signed its certificate."""
    from stdlib_book import security

    ca, cert = security.tls_test_pki("localhost", "127.0.0.1")
    folder = tmp_path_factory.mktemp("pki")
    cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    return security.server_context(str(folder / "server.pem")), folder / "ca.pem"


def test_a_password_is_never_sent_without_tls(source, dest, capsys):
    with smtp_sink() as (host, port, inbox):
        with pytest.raises(SystemExit) as exc:
            backup.main(["create", str(source), str(dest), "--notify-to", "a@b.c",
                         "--smtp-host", host, "--smtp-port", str(port), "--smtp-user", "ops"])
        msg = backup.report_message(True, "ok", sender="a@b.c", to=["a@b.c"])
        with pytest.raises(ValueError, match="without TLS"):
            backup.send_notification(msg, host=host, port=port, username="ops", password="pw")  # noqa: S106 - a test login
    assert exc.value.code == 2 and "--smtp-user needs --smtp-ssl or --starttls" in \
        capsys.readouterr().err
    assert inbox == [] and list(dest.iterdir()) == []  # usage error: nothing done


def test_implicit_tls_logs_in_and_sends(source, dest, smtp_tls):
    server_context, ca_pem = smtp_tls
    client = ssl.create_default_context(cafile=str(ca_pem))
    msg = backup.report_message(True, "ok", sender="a@b.c", to=["ops@b.c"])
    with smtp_sink(server_context) as (host, port, inbox):
        backup.send_notification(msg, host=host, port=port, implicit_tls=True,
                                 username="ops", password="pw", context=client)  # noqa: S106
        ran = python("-m", "stdlib_book.backup", "create", source, dest, "--notify-to", "me@b.c",
                     "--smtp-host", host, "--smtp-port", str(port), "--smtp-ssl",
                     "--smtp-user", "cron",
                     env={"SSL_CERT_FILE": str(ca_pem), "BACKUP_SMTP_PASSWORD": "secret"})
    assert ran.returncode == 0, ran.stderr
    assert [(m.user, m.envelope_to) for m in inbox] == [("ops", ["ops@b.c"]),
                                                        ("cron", ["me@b.c"])]


def test_the_sink_refuses_auth_without_tls():
    with smtp_sink() as (host, port, _), \
            smtplib.SMTP(host, port, local_hostname="localhost", timeout=5) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("auth")
        assert smtp.docmd("AUTH", "PLAIN AG9wcwBwdw==")[0] == 538


def test_restore_into_an_existing_empty_folder_keeps_its_mode(source, dest, tmp_path):
    made = backup.create_backup(source, dest, when=WHEN)
    target = tmp_path / "empty"
    target.mkdir()
    target.chmod(0o750)
    names = backup.restore(made.archive, target)
    assert (target / names[0]).is_file() and (target.stat().st_mode & 0o777) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backups", "data", "empty"]


def test_9_5_says_the_smtp_sink_is_under_200_lines():
    """Section 9.5 calls smtpsink.py 'under 200 lines'; keep that sentence true."""
    root = Path(__file__).resolve().parents[1]
    prose = "".join(cell.source for cell in nbformat.read(
        root / "notebooks" / "09-5-backup.ipynb", as_version=4).cells)
    assert "`smtpsink.py`: under 200 lines" in prose
    sink = root / "src" / "stdlib_book" / "smtpsink.py"
    assert len(sink.read_text(encoding="utf-8").splitlines()) < 200
