"""Every program against the hostile corpus (tests/hostile.py): nothing lost,
never a traceback, the exit code per the contract in stdlib_book.cli.

Each injected fault is counted: a test fails if its injection never fired.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hostile import (
    NAMES,
    Inject,
    add_special_files,
    contents,
    enospc,
    eperm,
    make_tree,
    names_strategy,
    no_module,
)
from hypothesis import HealthCheck, given, settings

from stdlib_book import (
    backup,
    chat,
    cli,
    interpreter,
    inventory,
    loganalyser,
    organiser,
    scraper,
    treesummary,
)
from stdlib_book.servers import serve_http, serve_tcp

FEW = settings(max_examples=8, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])
DONE = {cli.EXIT_OK, cli.EXIT_PARTIAL}


def fresh(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    return path


def no_traceback(capsys) -> tuple[str, str]:
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return out, err


# -- the contract itself -------------------------------------------------------------


def test_every_program_documents_the_contract_in_its_help(capsys):
    for program in (organiser, backup, inventory, loganalyser, scraper, treesummary, chat,
                    interpreter):
        with pytest.raises(SystemExit) as exc:
            program.main(["--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert exc.value.code == 0
        expected = " ".join(cli.exit_codes_epilog(getattr(program, "EXIT_CODES", None)).split())
        assert expected in out, program.__name__


def test_hints_are_safe_to_paste(tmp_path, capsys):
    root = fresh(tmp_path, "it's -x")
    (root / "a.jpg").write_bytes(b"a")
    log = Path("-log $(rm -rf ~).json")
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert organiser.main(["organise", str(root), "--apply", "--log", str(log)]) == 0
        hint = capsys.readouterr().out.split("undo with: ")[1].strip()
        ran = subprocess.run(["sh", "-c", f"set -- {hint}; printf '%s\\n' \"$5\""],
                             capture_output=True, text=True, check=True)
        assert ran.stdout == f"./{log}\n"  # one word, the path, as typed
    finally:
        os.chdir(old)


# -- organiser ---------------------------------------------------------------------


@FEW
@given(names=names_strategy())
def test_organiser_loses_nothing_and_undo_restores_everything(tmp_path_factory, names):
    root = tmp_path_factory.mktemp("org")
    before = make_tree(root, names)
    add_special_files(root)
    log = root.parent / f"{root.name}.log"
    code = organiser.main(["organise", str(root), "--recursive", "--by", "date", "--apply",
                           "--log", str(log)])
    assert code in DONE
    after = contents(root)
    assert sorted(after.values()) == sorted(before.values())  # same contents, none lost
    moved = dict(json.loads(log.read_text(encoding="utf-8"))["moves"])
    for rel, digest in before.items():
        assert after.get(moved.get(rel, rel)) == digest, rel  # where it was or where the log says
    assert organiser.main(["undo", str(log), "--apply"]) == 0
    assert contents(root) == before


def test_organiser_long_names_get_a_suffix_that_fits(tmp_path, capsys):
    long = next(n for n in NAMES if len(os.fsencode(n)) == 255)
    make_tree(tmp_path, [long])  # the same long name at the top and in "sub dir"
    assert organiser.main(["organise", str(tmp_path), "--recursive", "--apply"]) == 0
    names = sorted(os.listdir(tmp_path / "documents"))
    assert len(names) == 2 and all(len(os.fsencode(n)) <= 255 for n in names)
    no_traceback(capsys)


@pytest.mark.parametrize("fault", ["link", "unlink", "rename", "mkdir", "fsync", "replace"])
def test_organiser_ctrl_c_at_every_step_can_be_undone(tmp_path, capsys, fault):
    fired = 0
    for k in range(40):
        root = fresh(tmp_path, f"t{k}")
        before = make_tree(root, NAMES[:5])
        log = tmp_path / f"{fault}{k}.json"
        with no_link() if fault == "rename" else contextlib_null(), \
                Inject(os, fault, KeyboardInterrupt, at={k}) as inj:
            code = organiser.main(["organise", str(root), "--recursive", "--apply",
                                   "--log", str(log)])
        no_traceback(capsys)
        if not inj.fired:
            assert code == 0
            break
        fired += 1
        assert code == cli.EXIT_INTERRUPTED
        # nothing lost (stopped between link and unlink, a file has two names)
        assert set(before.values()) <= set(contents(root).values())
        assert not list(tmp_path.glob(f".{log.name}*.tmp")), "temporary log left behind"
        if log.exists():
            assert organiser.main(["undo", str(log), "--apply"]) == 0, capsys.readouterr()
        assert contents(root) == before, (fault, k)
    assert fired, f"the KeyboardInterrupt on os.{fault} never fired"


def contextlib_null():
    import contextlib

    return contextlib.nullcontext()


def no_link():
    return Inject(os, "link", eperm)


def test_organiser_without_hard_links_still_moves_and_undoes(tmp_path):
    before = make_tree(tmp_path, NAMES)
    log = tmp_path.parent / f"{tmp_path.name}.log"
    with no_link() as inj:
        assert organiser.main(["organise", str(tmp_path), "--recursive", "--apply",
                               "--log", str(log)]) == 0
        assert organiser.main(["undo", str(log), "--apply"]) == 0
    assert inj.fired >= 2 * len(before)
    assert contents(tmp_path) == before


def test_organiser_disk_full_and_stale_temp_log(tmp_path, capsys):
    before = make_tree(tmp_path, NAMES[:5], sub=False)
    log = tmp_path.parent / f"{tmp_path.name}.json"
    stale = tmp_path.parent / f".{log.name}.tmp"  # the name a crashed run used to leave
    stale.write_text("{", encoding="utf-8")
    with Inject(os, "fsync", enospc) as inj:
        code = organiser.main(["organise", str(tmp_path), "--apply", "--log", str(log)])
    assert inj.fired == 1 and code == cli.EXIT_FAILED
    _, err = no_traceback(capsys)
    assert "No space left on device" in err and not log.exists()
    assert contents(tmp_path) == before
    assert organiser.main(["organise", str(tmp_path), "--apply", "--log", str(log)]) == 0


def test_organiser_target_that_is_a_file_and_unreadable_folder(tmp_path, capsys):
    make_tree(tmp_path, ["a.jpg", "b.txt"])
    (tmp_path / "images").write_bytes(b"a file where a folder should be")
    with Inject(os, "scandir", eperm, at={1}) as inj:  # the second folder cannot be read
        code = organiser.main(["organise", str(tmp_path), "--recursive"])
    assert inj.fired == 1 and code == cli.EXIT_PARTIAL
    _, err = no_traceback(capsys)
    assert "destination images/ is not a folder" in err and "Operation not permitted" in err


# -- backup ------------------------------------------------------------------------


@FEW
@given(names=names_strategy())
def test_a_backup_that_reports_success_restores_every_name(tmp_path_factory, names):
    base = tmp_path_factory.mktemp("bk")
    source, dest = base / "src", base / "dest"
    dest.mkdir()
    before = make_tree(source, names)
    add_special_files(source)
    (source / "empty folder" / "and one inside").mkdir(parents=True)
    code = backup.main(["create", str(source), str(dest)])
    assert code in DONE
    (archive,) = dest.iterdir()
    assert backup.main(["verify", str(archive)]) == 0
    assert backup.main(["restore", str(archive), str(base / "back")]) == 0
    restored = contents(base / "back")
    unstorable = {rel for rel in before  # listed as skipped
                  if not _utf8(rel) or rel == backup.MANIFEST}
    assert restored == {r: d for r, d in before.items() if r not in unstorable}
    assert folders(base / "back") == folders(source)  # empty ones too


def folders(root: Path) -> set[str]:
    return {os.fsdecode(Path(d, n).relative_to(root)) for d, names, _ in os.walk(root)
            for n in names if not Path(d, n).is_symlink()}


def _utf8(name: str) -> bool:
    try:
        name.encode()
    except UnicodeEncodeError:
        return False
    return True


def test_backup_lists_what_it_could_not_store(tmp_path, capsys):
    source, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    make_tree(source, NAMES, sub=False)
    add_special_files(source)
    assert backup.main(["create", str(source), str(dest)]) == cli.EXIT_PARTIAL
    out, err = no_traceback(capsys)
    assert "all correct" in out and "not valid UTF-8" in out and "fifo.txt" in out


def test_backup_without_hard_links_still_makes_an_archive(tmp_path, capsys):
    source, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    make_tree(source, ["a.txt"])
    with Inject(os, "link", eperm) as inj:
        assert backup.main(["create", str(source), str(dest)]) == 0
        assert backup.main(["create", str(source), str(dest)]) == 0  # same second: -1
    assert inj.fired >= 2
    assert len(list(dest.glob("*.zip"))) == 2 and not list(dest.glob(".*"))
    no_traceback(capsys)


@pytest.mark.parametrize("fault", ["disk full", "ctrl-c"])
def test_backup_fault_while_writing_leaves_no_partial_archive(tmp_path, capsys, fault):
    source, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    make_tree(source, NAMES[:4])
    exc = enospc if fault == "disk full" else KeyboardInterrupt
    with Inject(zipfile.ZipFile, "writestr", exc) as inj:  # the manifest, last of all
        code = backup.main(["create", str(source), str(dest)])
    assert inj.fired == 1
    assert code == (cli.EXIT_FAILED if fault == "disk full" else cli.EXIT_INTERRUPTED)
    assert list(dest.iterdir()) == []
    no_traceback(capsys)


def test_backup_restore_into_a_file_is_a_usage_error(tmp_path, capsys):
    source, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    make_tree(source, ["a.txt"])
    backup.main(["create", str(source), str(dest)])
    (archive,) = dest.iterdir()
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(SystemExit) as exc:
        backup.main(["restore", str(archive), str(tmp_path / "file")])
    assert exc.value.code == cli.EXIT_USAGE
    assert "not a directory" in no_traceback(capsys)[1]


# -- inventory and treesummary ----------------------------------------------------


def test_inventory_keeps_the_scan_whatever_the_names(tmp_path, capsys):
    root = tmp_path / "tree"
    before = make_tree(root, NAMES)
    add_special_files(root)
    db = tmp_path / "inv.db"
    with Inject(os, "scandir", eperm, at={1}) as inj:
        code = inventory.main(["scan", str(root), "--db", str(db)])
    assert inj.fired == 1 and code == cli.EXIT_PARTIAL  # one folder unreadable, listed
    _, err = no_traceback(capsys)
    assert "cannot read" in err
    assert inventory.main(["scan", str(root), "--db", str(db)]) == 0
    out, _ = no_traceback(capsys)
    assert f"{len(before)} files" in out
    assert inventory.main(["report", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sizes"]["files"] == len(before)
    assert inventory.main(["diff", "--db", str(db)]) == cli.EXIT_PARTIAL  # scan 1 missed a folder


def test_inventory_database_that_cannot_be_written_fails(tmp_path, capsys):
    make_tree(tmp_path / "tree", ["a.txt"])
    import sqlite3

    with Inject(sqlite3, "connect", lambda *a: sqlite3.OperationalError("disk I/O error")) as inj:
        code = inventory.main(["scan", str(tmp_path / "tree"), "--db", str(tmp_path / "x.db")])
    assert inj.fired == 1 and code == cli.EXIT_FAILED
    assert "disk I/O error" in no_traceback(capsys)[1]


def test_treesummary_over_the_corpus(tmp_path, capsys):
    make_tree(tmp_path, NAMES)
    add_special_files(tmp_path)
    assert treesummary.main([str(tmp_path), "--json"]) == 0
    assert json.loads(no_traceback(capsys)[0])["groups"]


# -- loganalyser ---------------------------------------------------------------------


def test_loganalyser_truncated_gz_keeps_what_was_read(tmp_path, capsys):
    log = tmp_path / "access.log.gz"
    loganalyser.generate_log(log, 2000, seed=1)
    log.write_bytes(log.read_bytes()[:-2000])
    assert loganalyser.main(["analyse", str(log)]) == cli.EXIT_PARTIAL
    out, err = no_traceback(capsys)
    assert "ends early" in err and "lines:" in out


def test_loganalyser_without_matplotlib_writes_the_tables(tmp_path, capsys):
    log = tmp_path / "access.log"
    loganalyser.generate_log(log, 200, seed=1)
    with no_module("matplotlib"):
        code = loganalyser.main(["analyse", str(log), "--out", str(tmp_path / "out")])
    assert code == cli.EXIT_PARTIAL
    assert "matplotlib is not installed" in no_traceback(capsys)[1]
    assert (tmp_path / "out" / "status.csv").exists()


# -- scraper: peers that do not speak HTTP properly ------------------------------------


def _reply(data: bytes):
    def handle(conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            conn.recv(65536)
            conn.sendall(data)
        except OSError:
            pass
    return handle


@pytest.mark.parametrize("data", [
    b"SSH-2.0-OpenSSH_9.6\r\n",  # not HTTP at all
    b"HTTP/1.1 OK\r\n\r\n",  # bad status line
    b"",  # closes at once
    b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/html\r\n\r\n<a href=x>",
])
def test_scraper_peer_that_speaks_http_badly(data, capsys):
    with serve_tcp(_reply(data)) as server:
        code = scraper.main([f"http://{server.host}:{server.port}/", "--ignore-robots",
                             "--timeout", "3"])
    assert code == cli.EXIT_FAILED
    assert "nothing crawled" in no_traceback(capsys)[1]


def test_scraper_truncated_page_is_listed_and_the_crawl_goes_on(tmp_path, capsys):
    (tmp_path / "index.html").write_text('<a href="/cut.html">c</a><a href="/ok.html">o</a>',
                                         encoding="utf-8")
    (tmp_path / "ok.html").write_text("fine", encoding="utf-8")
    (tmp_path / "cut.html").write_text("<a href=never.html>", encoding="utf-8")
    original = scraper.Crawler.fetch

    def fetch(self, url):
        if url.endswith("/cut.html"):
            import http.client
            with Inject(http.client.HTTPResponse, "read",
                        lambda *a: http.client.IncompleteRead(b"<a", 100)) as inj:
                page = original(self, url)
            fired.append(inj.fired)
            return page
        return original(self, url)

    fired: list[int] = []
    with serve_http(directory=tmp_path) as url:
        scraper.Crawler.fetch = fetch
        try:
            code = scraper.main([url, "--ignore-robots", "--delay", "0", "--workers", "1"])
        finally:
            scraper.Crawler.fetch = original
    assert fired == [1] and code == cli.EXIT_PARTIAL
    out, _ = no_traceback(capsys)
    assert "IncompleteRead" in out and "crawled 3 page(s)" in out


@pytest.mark.parametrize("robots", [
    b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n",  # 5xx
    b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",  # to a 5xx
    b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nUser-agent: *\nAllow: /\n",  # cut short
    b"\x16\x03\x01\x02\x00\x01",  # not HTTP (a TLS hello)
])
def test_scraper_robots_5xx_redirect_or_garbage_forbids_all(robots, capsys):
    answers = iter([robots, b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"])
    with serve_tcp(lambda conn: _reply(next(answers, b""))(conn)) as server:
        got = scraper.main([f"http://{server.host}:{server.port}/", "--timeout", "3"])
    assert got == cli.EXIT_FAILED
    assert "robots.txt" in no_traceback(capsys)[1]


# -- chat: a peer that sends garbage or vanishes ------------------------------------------


@pytest.mark.parametrize("data", [b"\xff\xfe garbage\n" + b"x" * 70000, b"", b"BYE\n"])
def test_chat_client_peer_garbage_or_gone(data):
    def handle(conn: socket.socket) -> None:
        conn.sendall(b"OK welcome\n")
        conn.settimeout(5)
        with contextlib_suppress():
            conn.recv(100)  # /nick
            conn.sendall(b"OK nick\n" + data)
            # then vanish: the connection closes when handle returns

    with serve_tcp(handle) as server:
        # standard input stays open, as a person's terminal does: the client must
        # notice on its own that the server has gone, not wait for a typed line
        proc = subprocess.Popen([sys.executable, "-m", "stdlib_book.chat", "connect",
                                 server.host, str(server.port), "--nick", "ann"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            code = proc.wait(timeout=20)
        finally:
            proc.kill()
            proc.stdin.close()
            err = proc.stderr.read()
            proc.stdout.close()
            proc.stderr.close()
    assert b"Traceback" not in err, err
    assert code in DONE, err
    if data.startswith(b"\xff"):
        assert code == cli.EXIT_PARTIAL and b"broke the session" in err


def contextlib_suppress():
    import contextlib

    return contextlib.suppress(OSError)


# -- interruptions in a real process: broken pipe, closed stdin, Ctrl-C -------------------


def test_closed_stdin_reads_as_empty(tmp_path):
    for args in (["stdlib_book.interpreter"], ["stdlib_book.loganalyser", "analyse", "-"]):
        ran = subprocess.run(["sh", "-c", '"$0" -m "$@" <&-', sys.executable, *args],
                             capture_output=True, text=True, timeout=60, check=False)
        assert ran.returncode == 0 and "Traceback" not in ran.stderr, ran.stderr


# -- files that vanish or grow mid-run, folders that refuse writes -------------------------


def test_organiser_file_vanishing_mid_run_is_listed_and_undo_is_clean(tmp_path, capsys,
                                                                      monkeypatch):
    before = make_tree(tmp_path / "t", NAMES[:6], sub=False)
    gone = tmp_path / "t" / NAMES[3]
    real = organiser.make_plan

    def plan_then_vanish(*args, **kwargs):
        plan = real(*args, **kwargs)
        gone.unlink()
        return plan

    monkeypatch.setattr(organiser, "make_plan", plan_then_vanish)
    log = tmp_path / "log.json"
    assert organiser.main(["organise", str(tmp_path / "t"), "--apply", "--log", str(log)]) == 1
    err = no_traceback(capsys)[1]
    assert "No such file or directory" in err
    assert organiser.main(["undo", str(log), "--apply"]) == 0  # nothing false to report
    del before[NAMES[3]]
    assert contents(tmp_path / "t") == before and not log.exists()


@pytest.mark.parametrize("errno_name", ["EACCES", "EROFS"])
def test_organiser_read_only_folders_lose_nothing(tmp_path, capsys, errno_name):
    import errno as errno_module

    code_ = getattr(errno_module, errno_name)
    before = make_tree(tmp_path / "t", NAMES[:6])
    log = tmp_path / "log.json"
    with Inject(os, "mkdir", lambda *a: OSError(code_, os.strerror(code_), os.fspath(a[0]))) as inj:
        code = organiser.main(["organise", str(tmp_path / "t"), "--recursive", "--apply",
                               "--log", str(log)])
    assert inj.fired and code == cli.EXIT_PARTIAL
    assert os.strerror(code_) in no_traceback(capsys)[1]
    assert contents(tmp_path / "t") == before


def test_backup_file_vanishing_or_growing_mid_run(tmp_path, capsys, monkeypatch):
    source, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    make_tree(source, ["grows.log", "goes.txt", "stays.txt"], sub=False)
    real = backup.inventory

    def inventory_then_change(src):
        inv = real(src)
        (source / "goes.txt").unlink()
        with open(source / "grows.log", "ab") as f:
            f.write(b"more lines\n" * 1000)
        return inv

    monkeypatch.setattr(backup, "inventory", inventory_then_change)
    assert backup.main(["create", str(source), str(dest)]) == cli.EXIT_PARTIAL
    out = no_traceback(capsys)[0]
    assert "skipped goes.txt: No such file or directory" in out and "all correct" in out
    (archive,) = dest.iterdir()
    assert backup.main(["restore", str(archive), str(tmp_path / "back")]) == 0
    assert contents(tmp_path / "back") == contents(source)  # the grown file as it was read


def test_inventory_file_vanishing_mid_run(tmp_path, capsys, monkeypatch):
    make_tree(tmp_path / "t", ["a.txt", "b.txt"], sub=False)
    real = inventory.walk_files

    def walk_then_vanish(*args, **kwargs):
        found = real(*args, **kwargs)
        (tmp_path / "t" / "a.txt").unlink()
        return found

    monkeypatch.setattr(inventory, "walk_files", walk_then_vanish)
    code = inventory.main(["scan", str(tmp_path / "t"), "--db", str(tmp_path / "db")])
    assert code == cli.EXIT_PARTIAL
    assert "a.txt: No such file or directory" in no_traceback(capsys)[1]


@pytest.mark.parametrize(("module", "name"), [(os, "link"), (os, "fsync"),
                                              (zipfile.ZipFile, "writestr"),
                                              (backup.hashlib, "sha256")])
def test_backup_ctrl_c_anywhere_leaves_nothing_behind(tmp_path, capsys, module, name):
    source, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    before = make_tree(source, NAMES[:4])
    with Inject(module, name, KeyboardInterrupt, at={1} if name == "sha256" else None) as inj:
        code = backup.main(["create", str(source), str(dest)])
    assert inj.fired == 1 and code == cli.EXIT_INTERRUPTED
    assert list(dest.iterdir()) == [] and contents(source) == before
    assert "interrupted" in no_traceback(capsys)[1]


@pytest.mark.parametrize("argv", [["organiser", "organise"], ["backup", "create", "--dry-run"]])
def test_broken_pipe_is_quiet(tmp_path, argv):  # `prog ... | head -1`
    make_tree(tmp_path / "t", [f"f{i}.txt" for i in range(3000)], sub=False)
    extra = [str(tmp_path / "dest")] if argv[0] == "backup" else []
    (tmp_path / "dest").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", f"stdlib_book.{argv[0]}", *argv[1:],
                             str(tmp_path / "t"), *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0)
    # One byte, unbuffered: a buffered readline may swallow the whole output
    # (3.14's larger io.DEFAULT_BUFFER_SIZE did), and then no write ever fails.
    assert proc.stdout.read(1)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == cli.EXIT_BROKEN_PIPE
    assert err == b"", err


def test_backup_of_nothing_but_unstorable_names_verifies(tmp_path, capsys):
    source, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    make_tree(source, [NAMES[2]], sub=False)  # the only file has a non-UTF-8 name
    assert backup.main(["create", str(source), str(dest)]) == cli.EXIT_PARTIAL
    out = no_traceback(capsys)[0]
    assert "0 file(s)" in out and "all correct" in out and "caf\\xe9.txt: name is not" in out


def test_inventory_duplicates_with_a_newline_in_a_name(tmp_path, capsys):
    (tmp_path / "t").mkdir()
    for name in ("dup\na.txt", "dupb.txt"):
        (tmp_path / "t" / name).write_bytes(b"same")
    db = str(tmp_path / "db")
    assert inventory.main(["scan", str(tmp_path / "t"), "--db", db]) == 0
    capsys.readouterr()
    assert inventory.main(["report", "--db", db, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["duplicates"][0]["paths"] == ["dup\na.txt", "dupb.txt"]
    assert data["bytes_in_extra_copies"] == 4


def test_backup_across_a_dst_change_in_local_time(tmp_path, monkeypatch, capsys):
    """ZIP stores local time without a zone: a file written in the hour a DST
    change skips or repeats must still back up and restore (its time within
    the hour the change moves it)."""
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        source, dest = tmp_path / "src", tmp_path / "dest"
        dest.mkdir()
        # 2024-03-31 01:30 UTC is 03:30 CEST; 2024-10-27 00:30/01:30 UTC are both 02:30 local
        times = [1_711_848_600.0, 1_729_989_000.0, 1_729_992_600.0]
        before = make_tree(source, ["spring.txt", "autumn1.txt", "autumn2.txt"], times=times,
                           sub=False)
        assert backup.main(["create", str(source), str(dest)]) == 0
        (archive,) = dest.iterdir()
        assert backup.main(["restore", str(archive), str(tmp_path / "back")]) == 0
        assert contents(tmp_path / "back") == before
        for name, t in zip(["spring.txt", "autumn1.txt", "autumn2.txt"], times, strict=True):
            assert abs((tmp_path / "back" / name).stat().st_mtime - t) <= 3600
        no_traceback(capsys)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_directory_named_like_an_option_after_double_dash(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_tree(tmp_path / "-rf", ["a.jpg"], sub=False)
    assert organiser.main(["organise", "--", "-rf"]) == 0
    assert "would move a.jpg -> images/a.jpg" in no_traceback(capsys)[0]


@pytest.mark.parametrize("program", ["backup", "treesummary", "organiser", "inventory"])
def test_an_unreadable_folder_is_listed_by_name(tmp_path, capsys, program):
    make_tree(tmp_path / "src", ["a.txt"])  # "a.txt" and "sub dir/a.txt"
    (tmp_path / "dest").mkdir()
    argv = {"backup": ["create", str(tmp_path / "src"), str(tmp_path / "dest")],
            "treesummary": [str(tmp_path / "src")],
            "organiser": ["organise", str(tmp_path / "src"), "--recursive"],
            "inventory": ["scan", str(tmp_path / "src"), "--db", str(tmp_path / "db")]}[program]
    module = {"backup": backup, "treesummary": treesummary, "organiser": organiser,
              "inventory": inventory}[program]
    with Inject(os, "scandir", eperm, at={1}) as inj:  # the second folder, "sub dir"
        code = module.main(argv)
    assert inj.fired == 1 and code == cli.EXIT_PARTIAL
    out, err = no_traceback(capsys)
    assert re.search(r"sub dir/?: Operation not permitted", out + err), out + err
