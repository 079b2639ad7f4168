import hashlib
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdlib_book import files


def test_make_tree_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert files.make_tree(a, 137, seed=5) == files.make_tree(b, 137, seed=5)
    assert files.relative_listing(a) == files.relative_listing(b)
    for rel in files.relative_listing(a):
        if not rel.endswith("/"):
            assert (a / rel).read_bytes() == (b / rel).read_bytes()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 300), per_dir=st.integers(1, 30), fanout=st.integers(1, 5))
def test_every_walker_counts_every_file(tmp_path_factory, n, per_dir, fanout):
    root = tmp_path_factory.mktemp("tree")
    info = files.make_tree(root, n, files_per_dir=per_dir, dirs_per_dir=fanout)
    assert info.files == n
    assert files.count_files_walk(root) == n
    assert files.count_files_rglob(root) == n
    assert files.count_files_scandir(root) == n
    assert files.count_files_threads(root, workers=3) == n
    dirs = [p for p in files.relative_listing(root) if p.endswith("/")]
    assert len(dirs) == info.directories


def test_parallel_walk_skips_links_like_the_serial_scandir_walk(tmp_path):
    root = tmp_path / "root"
    files.make_tree(root, 50)
    outside = tmp_path / "outside"
    files.make_tree(outside, 30)
    (root / "link-to-dir").symlink_to(outside, target_is_directory=True)
    (root / "link-to-file").symlink_to(outside / "file000000.txt")
    assert files.count_files_threads(root, workers=4) == files.count_files_scandir(root) == 50


def test_parallel_walk_raises_what_the_serial_walk_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        files.count_files_scandir(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        files.count_files_threads(tmp_path / "missing", workers=2)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_parallel_walk_rejects_bad_worker_counts(tmp_path, workers):
    with pytest.raises(ValueError, match="workers"):
        files.count_files_threads(tmp_path, workers=workers)


@pytest.mark.parametrize("bad", [dict(n_files=-1), dict(n_files=1, files_per_dir=0)])
def test_make_tree_rejects_bad_arguments(tmp_path, bad):
    with pytest.raises(ValueError):
        files.make_tree(tmp_path, **bad)


@pytest.fixture
def blobs(tmp_path):
    paths = []
    for i in range(6):
        p = tmp_path / f"b{i}.bin"
        p.write_bytes(os.urandom(100_000 + i))
        paths.append(p)
    return paths


@pytest.mark.parametrize("start_method", ["fork", "spawn", "forkserver"])
def test_hash_files_in_processes_under_every_start_method(blobs, start_method):
    expected = {os.fspath(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in blobs}
    got = files.hash_files(blobs, workers=2, kind="process", start_method=start_method)
    assert got == expected
    assert list(got) == [os.fspath(p) for p in blobs]  # order preserved


def test_hash_files_threads_and_sequential_agree(blobs):
    assert files.hash_files(blobs) == files.hash_files(blobs, workers=3, kind="thread")


def test_hash_files_rejects_bad_kind_and_workers(blobs):
    with pytest.raises(ValueError, match="kind"):
        files.hash_files(blobs, workers=2, kind="fibre")
    with pytest.raises(ValueError, match="workers"):
        files.hash_files(blobs, workers=0)


@pytest.mark.parametrize("workers", [1, 4])
@pytest.mark.parametrize("durable", [False, True])
def test_copy_files_copies_every_byte(blobs, tmp_path, workers, durable):
    out = tmp_path / "out"
    out.mkdir()
    pairs = [(p, out / p.name) for p in blobs]
    assert files.copy_files(pairs, workers=workers, durable=durable) == len(blobs)
    for src, dst in pairs:
        assert dst.read_bytes() == src.read_bytes()


def test_atomic_write_replaces_and_cleans_up(tmp_path):
    target = tmp_path / "t.txt"
    files.atomic_write_text(target, "one")
    files.atomic_write_text(target, "two ✓")
    assert target.read_text(encoding="utf-8") == "two ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_atomic_write_failure_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "t.txt"
    files.atomic_write_text(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk vanished")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk vanished"):
        files.atomic_write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_iter_files_sorted_and_skips_symlinks(tmp_path):
    files.make_tree(tmp_path / "t", 30, files_per_dir=7)
    (tmp_path / "t" / "link.txt").symlink_to(tmp_path / "t" / "file000000.txt")
    found = [p.relative_to(tmp_path / "t").as_posix() for p in files.iter_files(tmp_path / "t")]
    assert len(found) == 30 and "link.txt" not in found


# -- the exercise checks must pass right answers and catch wrong ones --------


def good_find_large_files(root, min_bytes):
    root = Path(root)
    out = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = Path(dirpath, name)
            if not p.is_symlink() and p.stat().st_size >= min_bytes:
                out.append(p.relative_to(root).as_posix())
    return sorted(out)


def following_links(root, min_bytes):
    root = Path(root)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and p.stat().st_size >= min_bytes) + (
        [] if min_bytes > 9000 else ["link-out/huge.bin"])


def absolute_paths(root, min_bytes):
    return sorted(str(p) for p in Path(root).rglob("*")
                  if p.is_file() and p.stat().st_size >= min_bytes)


def good_safe_join(base, user_path):
    base = Path(base).resolve()
    candidate = (base / user_path).resolve()
    if not candidate.is_relative_to(base):
        raise ValueError(user_path)
    return candidate


def prefix_safe_join(base, user_path):
    candidate = Path(os.path.normpath(Path(base).resolve() / user_path))
    if not str(candidate).startswith(str(Path(base).resolve())):
        raise ValueError(user_path)
    return candidate


def naive_safe_join(base, user_path):
    return (Path(base) / user_path).resolve()


def test_check_find_large_files():
    assert files.check_find_large_files(good_find_large_files).passed
    assert not files.check_find_large_files(following_links).passed
    feedback = files.check_find_large_files(absolute_paths)
    assert not feedback.passed and "expected" in repr(feedback)


def test_check_safe_join():
    assert files.check_safe_join(good_safe_join).passed
    wrong = files.check_safe_join(prefix_safe_join)  # misses the symlink escape
    assert not wrong.passed and "symlink" in repr(wrong)
    naive = files.check_safe_join(naive_safe_join)
    assert len(naive.problems) == 4


def test_check_amdahl():
    def good(f, p):
        if not 0 <= f <= 1:
            raise ValueError(f)
        return 1 / ((1 - f) + f / p)

    assert files.check_amdahl(good).passed
    assert not files.check_amdahl(lambda f, p: p * f).passed


def test_stubs_are_reported_as_not_attempted():
    def stub(*args):
        raise NotImplementedError

    for check in (files.check_find_large_files, files.check_safe_join, files.check_amdahl):
        feedback = check(stub)
        assert not feedback.attempted and "[not yet]" in repr(feedback)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_atomic_write_keeps_the_old_files_mode(tmp_path):
    # mkstemp makes 0600 and os.replace keeps it: a 0644 config must stay 0644
    target = tmp_path / "service.conf"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    files.atomic_write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    target.chmod(0o640)
    files.atomic_write_text(target, "newer")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="POSIX umask")
def test_atomic_write_new_file_gets_the_umask_mode_like_open(tmp_path):
    old = os.umask(0o022)
    try:
        files.atomic_write_text(tmp_path / "new.conf", "x")
        (tmp_path / "plain.conf").write_text("x", encoding="utf-8")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.conf").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "plain.conf").stat().st_mode) == 0o644


@pytest.mark.skipif(os.name != "posix", reason="directories can be fsynced on POSIX")
def test_atomic_write_fsyncs_the_directory_after_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        events.append(kind)
        real_fsync(fd)

    def replace(a, b):
        events.append("replace")
        real_replace(a, b)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    files.atomic_write_text(tmp_path / "x.txt", "data")
    assert events == ["file", "replace", "dir"]
