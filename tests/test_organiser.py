import hashlib
import json
import os
import tempfile
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stdlib_book import organiser
from stdlib_book.commands import python


def fingerprint(root: Path) -> dict[str, str]:
    """Every regular file (not following links) -> sha256 of its bytes."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath, name)
            if not p.is_symlink():
                out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def dirs(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


def write(root: Path, rel: str, data: bytes = b"x") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


# Small alphabets on purpose: random trees full of name clashes.
names = st.tuples(st.sampled_from(["a", "b", "report", "IMG_1"]),
                  st.sampled_from([".txt", ".jpg", ".csv", ".tar.gz", "", ".PNG", ".py"]))
rel_paths = st.tuples(st.lists(st.sampled_from(["x", "y", "images", "other"]), max_size=2),
                      names).map(lambda t: "/".join([*t[0], t[1][0] + t[1][1]]))
trees = st.dictionaries(rel_paths, st.binary(max_size=20), max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, by=st.sampled_from(["type", "date"]), recursive=st.booleans(),
       mtimes=st.lists(st.integers(0, 2_000_000_000), min_size=25, max_size=25))
def test_organise_then_undo_restores_every_file_byte_for_byte(tree, by, recursive, mtimes):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "target")
        root.mkdir()
        for (rel, data), mtime in zip(sorted(tree.items()), mtimes, strict=False):
            try:
                p = write(root, rel, data)
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                continue  # a file and a folder of the same name: not a valid tree
            os.utime(p, (mtime, mtime))
        before, before_dirs = fingerprint(root), dirs(root)
        plan = organiser.make_plan(root, by=by, recursive=recursive)
        log = Path(tmp, "undo.json")
        outcome = organiser.apply_plan(root, plan, log)
        assert outcome.problems == []
        during = fingerprint(root)
        # nothing lost, nothing overwritten: the same multiset of contents
        assert sorted(during.values()) == sorted(before.values())
        assert organiser.undo(log).problems == []
        assert fingerprint(root) == before
        assert dirs(root) == before_dirs
        assert not log.exists()


def test_dry_run_is_the_default_and_changes_nothing(tmp_path, capsys):
    write(tmp_path, "a.jpg")
    write(tmp_path, "b.txt")
    assert organiser.main(["organise", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "would move a.jpg -> images/a.jpg" in out and "nothing changed" in out
    assert sorted(fingerprint(tmp_path)) == ["a.jpg", "b.txt"]


def test_collisions_get_numbered_names_and_nothing_is_overwritten(tmp_path):
    write(tmp_path, "images/photo.jpg", b"old")
    write(tmp_path, "photo.jpg", b"new")
    write(tmp_path, "sub/photo.jpg", b"sub")
    plan = organiser.make_plan(tmp_path, recursive=True)
    assert sorted(m.destination for m in plan.moves) == ["images/photo (1).jpg",
                                                         "images/photo (2).jpg"]
    organiser.apply_plan(tmp_path, plan, tmp_path / "log.json")
    assert (tmp_path / "images/photo.jpg").read_bytes() == b"old"


def test_move_refuses_to_replace_a_file(tmp_path):
    a, b = write(tmp_path, "a", b"1"), write(tmp_path, "b", b"2")
    with pytest.raises(FileExistsError):
        organiser.move_no_replace(a, b)
    assert a.read_bytes() == b"1" and b.read_bytes() == b"2"


def test_a_file_appearing_after_planning_is_not_overwritten(tmp_path):
    write(tmp_path, "a.txt", b"mine")
    plan = organiser.make_plan(tmp_path)
    write(tmp_path, "documents/a.txt", b"someone else's")
    outcome = organiser.apply_plan(tmp_path, plan, tmp_path / "log.json")
    assert outcome.done == 0 and "a.txt" in outcome.problems[0]
    assert (tmp_path / "a.txt").read_bytes() == b"mine"
    assert (tmp_path / "documents/a.txt").read_bytes() == b"someone else's"


def test_symlinks_are_never_followed_or_moved(tmp_path):
    outside = tmp_path / "outside"
    target = tmp_path / "target"
    write(outside, "secret.txt", b"s")
    write(target, "a.jpg")
    (target / "link.txt").symlink_to(outside / "secret.txt")
    (target / "linkdir").symlink_to(outside, target_is_directory=True)
    (target / "documents").symlink_to(outside, target_is_directory=True)  # a trap
    write(target, "notes.txt")
    plan = organiser.make_plan(target, recursive=True)
    assert [m.source for m in plan.moves] == ["a.jpg"]
    assert any("notes.txt: destination documents/" in s for s in plan.skipped)
    assert any(s.startswith("link.txt: symbolic link") for s in plan.skipped)
    assert any(s.startswith("linkdir: symbolic link") for s in plan.skipped)
    organiser.apply_plan(target, plan, tmp_path / "log.json")
    assert sorted(fingerprint(outside)) == ["secret.txt"]


def test_by_date_uses_utc_modification_month(tmp_path):
    p = write(tmp_path, "scan.pdf")
    os.utime(p, (1_700_000_000, 1_700_000_000))
    assert organiser.make_plan(tmp_path, by="date").moves == [
        organiser.Move("scan.pdf", "2023/11/scan.pdf")]


def test_an_existing_log_is_never_overwritten(tmp_path, capsys):
    write(tmp_path, "a.jpg")
    (tmp_path / organiser.DEFAULT_LOG).write_text("{}", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        organiser.main(["organise", str(tmp_path), "--apply"])
    assert exc.value.code == 2 and "already exists" in capsys.readouterr().err
    assert (tmp_path / "a.jpg").exists()


def test_undo_after_an_interrupted_run_and_with_conflicts(tmp_path):
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        write(tmp_path, name, name.encode())
    plan = organiser.make_plan(tmp_path)
    log = tmp_path / ".log.json"
    organiser.apply_plan(tmp_path, organiser.Plan(plan.moves[:2], plan.new_dirs), log)
    data = json.loads(log.read_text(encoding="utf-8"))
    data["moves"] = [[m.source, m.destination] for m in plan.moves]  # as if it crashed
    log.write_text(json.dumps(data), encoding="utf-8")
    write(tmp_path, "a.jpg", b"new file")  # someone reused a name meanwhile
    outcome = organiser.undo(log)
    assert outcome.done == 1 and "a.jpg: something new" in outcome.problems[0]
    assert (tmp_path / "a.jpg").read_bytes() == b"new file"
    assert (tmp_path / "images/a.jpg").read_bytes() == b"a.jpg"
    assert log.exists()  # kept, because not everything could be restored


@pytest.mark.parametrize("content", ["not json", '{"format": 1}', "[]",
                                     '{"format": 1, "root": "/", "new_dirs": [], '
                                     '"moves": [["../x", "y"]]}'])
def test_bad_logs_are_refused(tmp_path, content):
    log = tmp_path / "log.json"
    log.write_text(content, encoding="utf-8")
    with pytest.raises(organiser.OrganiserError):
        organiser.undo(log)


@pytest.mark.parametrize(("moves", "new_dirs", "message"), [
    ([["a.txt", "a.txt"]], [], "onto itself"),
    ([["a.txt", "./a.txt"]], [], "onto itself"),
    ([], [1], "unexpected content"),
    ([], ["OUTSIDE"], "outside its root"),  # an absolute path to an empty folder
    ([], ["../outside"], "outside its root"),
    ([], [""], "outside its root"),
])
def test_logs_that_would_lose_a_file_or_touch_outside_the_root_are_refused(
        tmp_path, capsys, moves, new_dirs, message):
    root, outside = tmp_path / "root", tmp_path / "outside"
    write(root, "a.txt", b"keep me")
    outside.mkdir()
    new_dirs = [str(outside) if d == "OUTSIDE" else d for d in new_dirs]
    log = tmp_path / "log.json"
    log.write_text(json.dumps({"format": organiser.LOG_FORMAT, "root": str(root),
                               "new_dirs": new_dirs, "moves": moves}), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        organiser.main(["undo", str(log), "--apply"])
    assert exc.value.code == 2 and message in capsys.readouterr().err
    assert (root / "a.txt").read_bytes() == b"keep me" and outside.is_dir()


def test_undo_never_removes_the_only_name_of_a_file(tmp_path, monkeypatch):
    write(tmp_path, "a.txt", b"keep me")
    log = tmp_path / "log.json"
    log.write_text("{}", encoding="utf-8")
    monkeypatch.setattr(organiser, "read_log", lambda _: {  # a log that escaped validation
        "root": str(tmp_path), "new_dirs": [], "moves": [["a.txt", "a.txt"]]})
    outcome = organiser.undo(log)
    assert outcome.done == 0 and outcome.problems
    assert (tmp_path / "a.txt").read_bytes() == b"keep me" and log.exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["organise", "no-such-dir"], "not a directory"),
    (["organise", ".", "--by", "colour"], "invalid choice"),
    (["organise", ".", "--apply", "--dry-run"], "not allowed with"),
    (["undo", "missing.json"], "no such undo log"),
    ([], "required"),
])
def test_bad_usage_exits_2(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        organiser.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_round_trip_as_a_module(tmp_path):
    write(tmp_path, "a.jpg")
    write(tmp_path, "b.csv")
    before = fingerprint(tmp_path)
    ran = python("-m", "stdlib_book.organiser", "organise", str(tmp_path), "--apply")
    assert ran.returncode == 0, ran.stderr
    assert sorted(fingerprint(tmp_path)) == [organiser.DEFAULT_LOG, "images/a.jpg",
                                             "spreadsheets/b.csv"]
    ran = python("-m", "stdlib_book.organiser", "undo", str(tmp_path / organiser.DEFAULT_LOG),
                 "--apply")
    assert ran.returncode == 0 and "restored 2 file(s)" in ran.stdout
    assert fingerprint(tmp_path) == before
    helped = python("-m", "stdlib_book.organiser", "--help")
    assert helped.returncode == 0 and "Exit codes" in helped.stdout


def test_skipped_links_give_exit_code_1(tmp_path):
    write(tmp_path, "a.jpg")
    (tmp_path / "l.txt").symlink_to(tmp_path / "a.jpg")
    assert organiser.main(["organise", str(tmp_path)]) == 1


def good_unique_name(name, taken):
    if name not in taken:
        return name
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, dot + suffix) if dot else (suffix, "")
    n = 1
    while f"{stem} ({n}){suffix}" in taken:
        n += 1
    return f"{stem} ({n}){suffix}"


def test_check_unique_name():
    assert organiser.check_unique_name(good_unique_name).passed
    assert organiser.check_unique_name(organiser.unique_name).passed
    assert not organiser.check_unique_name(lambda n, t: n).passed
    assert not organiser.check_unique_name(lambda n, t: "copy of " + n).passed

    def mutating(name, taken):
        result = good_unique_name(name, taken)
        taken.add(result)
        return result

    assert not organiser.check_unique_name(mutating).passed


def good_unique_name_nocase(name, taken):
    folded = {t.casefold() for t in taken}
    if name.casefold() not in folded:
        return name
    suffix = PurePosixPath(name).suffix
    stem = name[: len(name) - len(suffix)]
    n = 1
    while f"{stem} ({n}){suffix}".casefold() in folded:
        n += 1
    return f"{stem} ({n}){suffix}"


def test_check_unique_name_nocase_passes_right_and_fails_the_case_sensitive_rule():
    assert organiser.check_unique_name_nocase(good_unique_name_nocase).passed
    # the chapter's own unique_name is case-sensitive: exactly what the exercise extends
    assert not organiser.check_unique_name_nocase(organiser.unique_name).passed

    def only_the_first_clash(name, taken):  # "A (1).Txt" missed: numbered names in any case
        if name.casefold() not in {t.casefold() for t in taken}:
            return name
        return organiser.unique_name(name, taken | {name})

    assert not organiser.check_unique_name_nocase(only_the_first_clash).passed
