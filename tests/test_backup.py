import datetime as dt
import hashlib
import smtplib
import zipfile

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


def good_manifest_problems(text, actual):
    expected = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        expected[name] = digest
    problems = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            problems.append(f"{name}: missing")
        elif name not in expected:
            problems.append(f"{name}: not in manifest")
        elif actual[name] != expected[name]:
            problems.append(f"{name}: checksum mismatch")
    return problems


def test_check_manifest_problems():
    assert backup.check_manifest_problems(good_manifest_problems).passed
    split_wrong = lambda t, a: good_manifest_problems(  # noqa: E731
        "\n".join(" ".join(line.split()[:2]) for line in t.splitlines()), a)
    assert not backup.check_manifest_problems(split_wrong).passed
    assert not backup.check_manifest_problems(lambda t, a: []).passed
