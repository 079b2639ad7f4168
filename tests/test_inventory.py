import json
import os
import sqlite3
from pathlib import Path

import pytest

from stdlib_book import inventory
from stdlib_book.commands import python


def _tree(root: Path) -> None:
    (root / "docs").mkdir(parents=True)
    (root / "a.txt").write_text("same", encoding="utf-8")
    (root / "docs" / "b.txt").write_text("same", encoding="utf-8")
    (root / "docs" / "c.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (root / "README").write_bytes(b"r" * 100)


def test_scan_save_diff_report_round_trip(tmp_path):
    root = tmp_path / "tree"
    _tree(root)
    db = tmp_path / "inv.sqlite"
    with inventory.open_db(db) as conn:
        first = inventory.save(conn, root, inventory.scan(root, workers=2))
        (root / "a.txt").write_text("changed", encoding="utf-8")
        (root / "README").unlink()
        (root / "new.py").write_text("print()", encoding="utf-8")
        second = inventory.save(conn, root, inventory.scan(root))
        changes = inventory.diff(inventory.load(conn, first), inventory.load(conn, second))
        assert changes == inventory.Diff(added=["new.py"], removed=["README"], changed=["a.txt"])
        data = inventory.report(conn, first)
    assert data["sizes"]["files"] == 4
    assert data["duplicates"] == [{"bytes_each": 4, "paths": ["a.txt", "docs/b.txt"]}]
    assert data["bytes_in_extra_copies"] == 4
    assert data["largest_suffixes"][0] == {"suffix": "(none)", "files": 1, "bytes": 100}
    json.dumps(data)  # plain data


@pytest.mark.parametrize("workers", [1, 3])
def test_scan_does_not_follow_symlinks_and_skips_the_database(tmp_path, workers):
    root = tmp_path / "tree"
    _tree(root)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s", encoding="utf-8")
    (root / "link").symlink_to(outside, target_is_directory=True)
    db = root / "inv.sqlite"
    db.write_bytes(b"")
    found = inventory.scan(root, workers=workers, skip=[db])
    assert sorted(found.entries) == ["README", "a.txt", "docs/b.txt", "docs/c.csv"]


def test_unreadable_file_is_reported_not_fatal(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can read anything")
    root = tmp_path / "tree"
    _tree(root)
    (root / "a.txt").chmod(0)
    found = inventory.scan(root)
    assert found.errors == ["a.txt: Permission denied"]
    assert "a.txt" not in found.entries


def test_scan_rejects_bad_arguments(tmp_path):
    with pytest.raises(inventory.InventoryError, match="not a directory"):
        inventory.scan(tmp_path / "nope")
    with pytest.raises(inventory.InventoryError, match="workers"):
        inventory.scan(tmp_path, workers=0)


def test_a_file_that_is_not_ours_is_refused_and_left_untouched(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("precious notes " * 100, encoding="utf-8")
    before = text.read_bytes()
    with pytest.raises(inventory.InventoryError, match="not an inventory database"), \
            inventory.open_db(text):
        pass
    assert text.read_bytes() == before
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    with conn:
        conn.execute("CREATE TABLE customers (name TEXT)")
    conn.close()
    before = other.read_bytes()
    with pytest.raises(inventory.InventoryError, match="another application"), \
            inventory.open_db(other):
        pass
    assert other.read_bytes() == before


def test_cli_exit_codes(tmp_path):
    root = tmp_path / "tree"
    _tree(root)
    db = tmp_path / "inv.sqlite"
    args = ["-m", "stdlib_book.inventory"]
    assert python(*args, "scan", root, "--db", db).returncode == 0
    ran = python(*args, "diff", "--db", db)
    assert ran.returncode == 2 and "needs two snapshots; the database has 1" in ran.stderr
    assert python(*args, "scan", root, "--db", db).returncode == 0
    assert python(*args, "diff", "--db", db).returncode == 0
    (root / "a.txt").write_text("other", encoding="utf-8")
    assert python(*args, "scan", root, "--db", db).returncode == 0
    ran = python(*args, "diff", "--db", db)
    assert ran.returncode == 1 and "~ a.txt" in ran.stdout
    ran = python(*args, "report", "--db", db, "--json")
    assert ran.returncode == 0 and json.loads(ran.stdout)["snapshot"] == 3
    for bad in (["scan", tmp_path / "nope", "--db", db], ["report", "--db", tmp_path / "x.db"],
                ["diff", "1", "--db", db], ["diff", "1", "9", "--db", db],
                ["scan", root, "--db", db, "--workers", "0"]):
        ran = python(*args, *bad)
        assert ran.returncode == 2, bad
        assert "Traceback" not in ran.stderr and "error:" in ran.stderr
    assert not (tmp_path / "x.db").exists()


def test_exercise_checks_pass_right_answers_and_fail_wrong_ones():
    def groups(entries):
        by = {}
        for path, (size, digest) in entries.items():
            by.setdefault((size, digest), []).append(path)
        return sorted(sorted(g) for g in by.values() if len(g) > 1)

    assert inventory.check_duplicate_groups(groups).passed
    assert not inventory.check_duplicate_groups(lambda e: [sorted(e)]).passed

    def changed(old, new):
        return sum(size for p, (size, d) in new.items() if old.get(p, (0, None))[1] != d)

    assert inventory.check_changed_bytes(changed).passed
    assert not inventory.check_changed_bytes(lambda o, n: sum(s for s, _ in n.values())).passed

    def per_suffix(conn, sid):
        return conn.execute("SELECT suffix, count(*) FROM entry WHERE snapshot = ? AND "
                            "suffix != '' GROUP BY suffix ORDER BY count(*) DESC, suffix",
                            (sid,)).fetchall()

    assert inventory.check_files_per_suffix(per_suffix).passed
    assert not inventory.check_files_per_suffix(
        lambda conn, sid: conn.execute("SELECT suffix, count(*) FROM entry GROUP BY suffix")
        .fetchall()).passed
