"""Chapter 2 helpers: files, directories and trees with os, shutil and pathlib.

Everything that another process must import (the hashing worker) or that a
test must check (tree generation, traversal, atomic writes, exercise checks)
lives here rather than in the notebook.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import multiprocessing
import os
import random
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass
from pathlib import Path

from .selfcheck import Checker, Feedback, run_checks

# -- building trees to measure ----------------------------------------------


@dataclass(frozen=True)
class TreeInfo:
    """What :func:`make_tree` created."""

    files: int
    directories: int
    total_bytes: int


def make_tree(
    root: str | Path,
    n_files: int,
    *,
    files_per_dir: int = 20,
    dirs_per_dir: int = 4,
    file_size: int = 256,
    seed: int = 0,
) -> TreeInfo:
    """Create a deterministic tree of ``n_files`` files under ``root``.

    Directories hold ``files_per_dir`` files each and branch ``dirs_per_dir``
    ways, breadth first, so the tree grows both wide and deep like a real
    project. File contents come from a seeded generator: the same arguments
    always give byte-for-byte the same tree.

    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     make_tree(tmp, 45, files_per_dir=10)
    TreeInfo(files=45, directories=4, total_bytes=11520)
    """
    if n_files < 0:
        raise ValueError(f"n_files must be zero or more, got {n_files}")
    if files_per_dir < 1 or dirs_per_dir < 1:
        raise ValueError("files_per_dir and dirs_per_dir must be at least 1")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    suffixes = [".txt", ".csv", ".log", ".py", ".json"]
    queue = [root]
    made_files = made_dirs = 0
    while made_files < n_files:
        directory = queue.pop(0)
        for i in range(min(files_per_dir, n_files - made_files)):
            name = f"file{made_files:06d}{suffixes[i % len(suffixes)]}"
            (directory / name).write_bytes(rng.randbytes(file_size))
            made_files += 1
        for j in range(dirs_per_dir):
            if made_files + files_per_dir * len(queue) >= n_files:
                break  # the directories already queued will hold the rest
            child = directory / f"dir{made_dirs:05d}_{j}"
            child.mkdir()
            made_dirs += 1
            queue.append(child)
    return TreeInfo(made_files, made_dirs, made_files * file_size)


# -- three ways to walk a tree ------------------------------------------------


def count_files_walk(root: str | Path) -> int:
    """Count regular files below ``root`` with :func:`os.walk`."""
    return sum(len(files) for _, _, files in os.walk(root))


def count_files_rglob(root: str | Path) -> int:
    """Count regular files below ``root`` with :meth:`pathlib.Path.rglob`."""
    return sum(1 for p in Path(root).rglob("*") if p.is_file())


def count_files_scandir(root: str | Path) -> int:
    """Count regular files below ``root`` with :func:`os.scandir` and a stack.

    ``DirEntry.is_file()`` and ``is_dir()`` usually answer from the directory
    listing itself, without one ``stat`` call per entry.
    """
    count = 0
    stack = [os.fspath(root)]
    while stack:
        files, subdirectories = _scan_directory(stack.pop())
        count += files
        stack += subdirectories
    return count



def _scan_directory(directory: str) -> tuple[int, list[str]]:
    """Regular files in ``directory`` (not below it), and its subdirectories."""
    files, subdirectories = 0, []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                subdirectories.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                files += 1
    return files, subdirectories


def count_files_threads(root: str | Path, workers: int = 4) -> int:
    """The same count as :func:`count_files_scandir`, with directories listed
    on ``workers`` threads: a parallel traversal.

    Each directory is one task; the subdirectories it lists become new tasks,
    so every thread has work for as long as any directory is waiting to be
    listed, however unbalanced the tree. An error in any directory (one that
    cannot be read, say) is raised here, as the serial version raises it.

    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     info = make_tree(tmp, 300)
    ...     count_files_threads(tmp, workers=3) == count_files_scandir(tmp) == 300
    True
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int of at least 1, got {workers!r}")
    total = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = {pool.submit(_scan_directory, os.fspath(root))}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                files, subdirectories = future.result()
                total += files
                pending |= {pool.submit(_scan_directory, d) for d in subdirectories}
    return total


# -- work on many files: hashing (CPU) and copying (storage) ------------------


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's contents, read in chunks (constant memory).

    Module-level on purpose: a process pool must import it by name.
    """
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _executor(kind: str, workers: int, start_method: str | None = None) -> Executor:
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers)
    if kind == "process":
        context = multiprocessing.get_context(start_method)
        return ProcessPoolExecutor(max_workers=workers, mp_context=context)
    raise ValueError(f"kind must be 'thread' or 'process', got {kind!r}")


def hash_files(
    paths: Iterable[str | Path],
    *,
    workers: int = 1,
    kind: str = "process",
    start_method: str | None = None,
) -> dict[str, str]:
    """Hash many files; ``workers=1`` runs in this process, sequentially.

    ``kind`` is ``"process"`` or ``"thread"``; ``start_method`` picks how
    processes start (``"fork"``, ``"spawn"``, ``"forkserver"``; default: the
    platform's). The worker is a module-level function, so every method can
    pickle it. Returns ``{path: hexdigest}`` in the order of ``paths``.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    paths = [os.fspath(p) for p in paths]
    if workers == 1:
        return {p: sha256_file(p) for p in paths}
    chunksize = max(1, len(paths) // (workers * 4))
    with _executor(kind, workers, start_method) as pool:
        if kind == "process":
            digests = list(pool.map(sha256_file, paths, chunksize=chunksize))
        else:
            digests = list(pool.map(sha256_file, paths))
    return dict(zip(paths, digests, strict=True))


def copy_file(pair: tuple[str | Path, str | Path], *, durable: bool = False) -> None:
    """Copy ``source`` to ``destination``; with ``durable=True`` wait until the
    copy is on the storage device (``fsync``), not just in the page cache."""
    src, dst = pair
    shutil.copyfile(src, dst)
    if durable:
        fd = os.open(dst, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def copy_files(
    pairs: Iterable[tuple[str | Path, str | Path]], *, workers: int = 1, durable: bool = False
) -> int:
    """Copy each ``(source, destination)`` pair; return how many were copied.

    Threads are enough here: the copying happens inside the operating system
    (``sendfile`` on Linux) with the GIL released.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    pairs = list(pairs)
    if workers == 1:
        for pair in pairs:
            copy_file(pair, durable=durable)
        return len(pairs)
    with _executor("thread", workers) as pool:
        list(pool.map(functools.partial(copy_file, durable=durable), pairs))
    return len(pairs)


# -- resources handled right --------------------------------------------------


def atomic_write_text(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old file or the
    new one, never half of either, and a crash leaves one of the two on disk.

    The text goes to a temporary file in the same directory (so the final
    rename stays on one file system), is flushed to disk, and then
    :func:`os.replace` swaps it in. POSIX requires that rename to be atomic,
    and that is all Python documents. On Windows ``os.replace`` calls
    ``MoveFileExW``, which Microsoft does not document as atomic, and which
    fails with :exc:`PermissionError` while another process has the target
    open (unless that process allowed deletion, ``FILE_SHARE_DELETE``, which
    few programs do): a Windows caller must be ready to retry.
    :func:`tempfile.mkstemp` creates its file with mode 0600, and the rename
    keeps that mode, so the old file's permission bits are copied first (a
    new file gets 0666 minus the umask, as ``open`` would give it). On POSIX
    the directory is fsynced after the rename, so the new name itself is on
    disk too (Windows cannot open a directory; there only the data is).

    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp, "settings.ini")
    ...     atomic_write_text(target, "v=1\\n")
    ...     target.chmod(0o644)
    ...     atomic_write_text(target, "v=2\\n")
    ...     print(target.read_text(encoding="utf-8"), sorted(os.listdir(tmp)),
    ...           oct(target.stat().st_mode & 0o777))
    v=2
     ['settings.ini'] 0o644
    """
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)  # the only way to read it; set back at once
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.chmod(tmp_name, mode)
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Flush a directory's entries (a rename) to disk; a no-op where a
    directory cannot be opened (Windows)."""
    if os.name != "posix":
        return
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def relative_listing(root: str | Path) -> list[str]:
    """Every file and directory below ``root`` as sorted POSIX-style relative
    paths (directories end in ``/``): a listing that prints the same on every
    machine and in every temporary directory.

    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     Path(tmp, "a", "b").mkdir(parents=True)
    ...     _ = Path(tmp, "a", "b", "c.txt").write_text("x", encoding="utf-8")
    ...     relative_listing(tmp)
    ['a/', 'a/b/', 'a/b/c.txt']
    """
    root = Path(root)
    out = []
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        out.append(rel + "/" if p.is_dir() and not p.is_symlink() else rel)
    return sorted(out)


# -- exercise checks -----------------------------------------------------------


def _exercise_tree(root: Path) -> None:
    """A small tree with files of known sizes, a hidden file and a symlink."""
    (root / "docs" / "old").mkdir(parents=True)
    (root / "src").mkdir()
    sizes = {
        "big.bin": 5000,
        "docs/report.txt": 1200,
        "docs/old/archive.txt": 4096,
        "src/tiny.py": 10,
        ".hidden.dat": 2048,
    }
    for rel, size in sizes.items():
        (root / rel).write_bytes(b"x" * size)
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "huge.bin").write_bytes(b"y" * 9000)
    with contextlib.suppress(OSError):  # e.g. Windows without the privilege: skip that case
        (root / "link-out").symlink_to(outside, target_is_directory=True)


def check_find_large_files(func: Callable[[Path, int], list[str]]) -> Feedback:
    """Check ``func(root, min_bytes)``: sorted relative POSIX paths of regular
    files of at least ``min_bytes``, not following symbolic links."""

    def body(c: Checker) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp, "tree")
            root.mkdir()
            _exercise_tree(root)
            c.expect(
                "find_large_files(root, 2048) (sorted, relative, '/' separators)",
                lambda: func(root, 2048),
                [".hidden.dat", "big.bin", "docs/old/archive.txt"],
            )
            c.expect("find_large_files(root, 1)", lambda: len(func(root, 1)), 5)
            c.expect("find_large_files(root, 10**6)", lambda: func(root, 10**6), [])
            if (root / "link-out").is_symlink():
                c.expect(
                    "a symlink to a directory outside root is not followed",
                    lambda: any("huge" in p for p in func(root, 1)),
                    False,
                )

    return run_checks("find_large_files", body)


def check_safe_join(func: Callable[[Path, str], Path]) -> Feedback:
    """Check ``func(base, user_path)``: the resolved path inside ``base``, or
    ``ValueError`` for anything that would land outside it."""

    def body(c: Checker) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp, "uploads")
            (base / "2025").mkdir(parents=True)
            real = base.resolve()
            c.expect("safe_join(base, '2025/a.txt')", lambda: func(base, "2025/a.txt"),
                     real / "2025" / "a.txt")
            c.expect("safe_join(base, './2025/../b.txt')", lambda: func(base, "./2025/../b.txt"),
                     real / "b.txt")
            c.expect_raises("safe_join(base, '../secret')", lambda: func(base, "../secret"),
                            ValueError)
            c.expect_raises("safe_join(base, '/etc/passwd')", lambda: func(base, "/etc/passwd"),
                            ValueError)
            c.expect_raises("safe_join(base, '2025/../../x')", lambda: func(base, "2025/../../x"),
                            ValueError)
            try:
                (base / "escape").symlink_to(Path(tmp), target_is_directory=True)
            except OSError:
                return
            c.expect_raises("safe_join(base, 'escape/x') through a symlink",
                            lambda: func(base, "escape/x"), ValueError)

    return run_checks("safe_join", body)


def check_amdahl(func: Callable[[float, int], float]) -> Feedback:
    """Check ``func(parallel_fraction, workers)`` against Amdahl's law."""

    def body(c: Checker) -> None:
        cases = [((1.0, 4), 4.0), ((0.0, 8), 1.0), ((0.5, 2), 4 / 3), ((0.9, 10), 1 / 0.19)]
        for (f, p), want in cases:
            c.expect_close(f"amdahl({f}, {p})", lambda f=f, p=p: func(f, p), want)
        c.expect_raises("amdahl(1.5, 2) (a fraction above 1)", lambda: func(1.5, 2), ValueError)

    return run_checks("amdahl", body)


def iter_files(root: str | Path) -> Iterator[Path]:
    """Regular files below ``root`` in sorted order, symlinks not followed."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_file() and not path.is_symlink():
                yield path
