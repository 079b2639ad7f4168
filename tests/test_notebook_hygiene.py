"""Notebook checks that nbval cannot make on its own.

Fast (run with the unit tests): every code cell was executed in order and has
stored output; errors are only stored where a cell is tagged raises-exception;
no noisy or machine-specific metadata is committed.

Slow (``-m slow``, run by ``make notebooks``): each notebook runs in a fresh
kernel of the Binder-like environment from a foreign working directory, its
outputs compared with the stored ones as nbval compares them, then *again in
the same kernel*, reproducing them a second time, and leaves no files in the
repository, no child processes and no listening sockets behind.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import nbtools
import pytest

ROOT = nbtools.ROOT
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_code_cell_executed_in_order_with_output(path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    expected_count = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        expected_count += 1
        where = f"cell {index}"
        if cell.execution_count != expected_count:
            problems.append(f"{where}: execution_count {cell.execution_count}, "
                            f"expected {expected_count} (run top to bottom with `make outputs`)")
        if not cell.outputs:
            problems.append(f"{where}: no stored output, so nbval would prove nothing")
        for out in cell.outputs:
            if out.output_type == "error" and nbtools.RAISES_TAG not in nbtools.tags(cell):
                problems.append(f"{where}: stored {out.ename} without the raises-exception tag")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_noisy_metadata(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    extra = set(raw["metadata"]) - nbtools.KEEP_NOTEBOOK_METADATA - {"language_info"}
    assert not extra, f"notebook metadata to drop: {sorted(extra)}"
    assert raw["metadata"].get("language_info", {}) in ({}, {"name": "python"})
    for index, cell in enumerate(raw["cells"]):
        noisy = {"execution", "collapsed", "scrolled", "widgets"} & set(cell.get("metadata", {}))
        assert not noisy, f"cell {index}: noisy metadata {sorted(noisy)}"
        for output in cell.get("outputs", []):
            widget = "application/vnd.jupyter.widget-view+json" in output.get("data", {})
            assert not widget, f"cell {index}: widget state, which renders nowhere offline"
    text = path.read_text(encoding="utf-8")
    for machine in ("/root/", "/home/", "/work/", "/tmp/"):
        assert machine not in text, f"machine path {machine} stored in {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_outputs_hold_no_colour_codes_or_installation_paths(path):
    """Issue 12: no ANSI escape reaches a stored output (a traceback from the
    kernel is coloured, and a reader's own run would differ), and no path of
    this machine's Python installation does (a traceback through the standard
    library showed ~/.pyenv/versions/3.11.7/...)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for index, cell in enumerate(raw["cells"]):
        for output in cell.get("outputs", []):
            text = json.dumps(output, ensure_ascii=False)
            if "\x1b" in text or "\\u001b" in text:
                problems.append(f"cell {index}: an ANSI escape code in a stored output")
            for installed in ("~/.", ".pyenv", "site-packages", "/usr/lib/python"):
                if installed in text:
                    problems.append(f"cell {index}: installation path {installed!r} in an output")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_solutions_are_collapsed_in_jupyterlab_too(path):
    """The HTML book collapses cells tagged hide-input; JupyterLab ignores the
    tag and collapses a cell only when metadata.jupyter.source_hidden is set
    (`make outputs` sets it; see nbtools.hide_source_in_jupyterlab)."""
    nb = nbformat.read(path, as_version=4)
    open_cells = [
        index for index, cell in enumerate(nb.cells)
        if nbtools.HIDE_INPUT_TAG in nbtools.tags(cell)
        and not cell.metadata.get("jupyter", {}).get("source_hidden")
    ]
    assert not open_cells, f"cells {open_cells} are hidden in the book but open in JupyterLab"


# Notebooks still to be tagged (a strict xfail fails once they are: empty the set then).
SHOW_SOURCE_PENDING: set[str] = set()


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="issue 15's branch tags these"))
    if p.name in SHOW_SOURCE_PENDING else p for p in NOTEBOOKS], ids=IDS)
def test_show_source_calls_hide_their_input(path):
    """A helper is shown with show_source, its call cell tagged remove-input: the
    reader sees the helper's code, not the call (STYLE.md, CONTRIBUTING.md)."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(nb.cells):
        lines = [line for line in cell.source.splitlines() if line.strip()]
        if cell.cell_type != "code" or not any("show_source(" in line for line in lines):
            continue
        if "remove-input" not in nbtools.tags(cell):
            problems.append(f"cell {index}: show_source call without the remove-input tag")
    assert not problems, "\n".join(problems)


# Stored before store_outputs merged streams, in other branches; `make outputs` fixes
# them (the strict xfail then fails, as a reminder to empty this set).
SPLIT_LINE_PENDING: set[str] = set()


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="re-store with make outputs"))
    if p.name in SPLIT_LINE_PENDING else p for p in NOTEBOOKS], ids=IDS)
def test_no_stored_line_is_split_between_two_outputs(path):
    """The kernel may deliver one print in two pieces; stored that way, the HTML
    book shows the end of the line on a line of its own (store_outputs merges
    them with nbtools.merge_streams)."""
    nb = nbformat.read(path, as_version=4)
    split = [index for index, cell in enumerate(nb.cells)
             for a, b in itertools.pairwise(cell.get("outputs", []))
             if a.output_type == "stream" == b.output_type and a.name == b.name
             and not a.text.endswith("\n")]
    assert not split, f"cells {split} store a line in two pieces"


def _repository_files() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return {line for line in listed.splitlines() if (ROOT / line).exists()}


LEFTOVERS = """
import json, os, psutil
me = psutil.Process()
children = [p.pid for p in me.children(recursive=True)]
listening = [c.laddr.port for c in me.net_connections(kind="inet")
             if c.status == psutil.CONN_LISTEN]
print(json.dumps({"children": children, "listening": listening, "cwd": os.getcwd(),
                  "pid": os.getpid()}))
"""


def _probe(client, nb) -> dict:
    """Run LEFTOVERS in the notebook's kernel and return what it reports."""
    probe = nbformat.v4.new_code_cell(LEFTOVERS)
    nb.cells.append(probe)
    try:
        client.execute_cell(probe, len(nb.cells) - 1)
    finally:
        nb.cells.pop()
    return json.loads(probe.outputs[0]["text"])


class PeakMemory:
    """Sample the resident memory of a process and its descendants (every
    0.1 s, in a thread) and keep the largest total: what a Binder pod's
    memory limit would see. A child that lives less than 0.1 s can be missed."""

    def __init__(self, pid: int):
        import psutil

        self._root = psutil.Process(pid)
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)

    def _total(self) -> int:
        import psutil

        total = 0
        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return 0
        for proc in procs:
            with contextlib.suppress(psutil.Error):  # a child may end meanwhile
                total += proc.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self._total())

    def __enter__(self) -> PeakMemory:
        self.peak = self._total()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_twice_in_one_kernel_and_leaves_nothing_behind(path, record_property):
    """The one full execution of every notebook in `make test`.

    Run 1 compares every cell with its stored output exactly as nbval does
    (same sanitiser, same parts of the output; see nbtools.comparable); run 2,
    in the same kernel, must reproduce them again. Then the kernel must have
    no new child processes or listening ports, the same working directory,
    and no files left anywhere. ``BOOK_KERNEL`` names the kernel (make uses
    the Binder-like environment's); run 1's time and the peak memory go to
    the execution statistics."""
    patterns = nbtools.sanitize_patterns()
    stored = nbformat.read(path, as_version=4)
    before = _repository_files()
    kernel = os.environ.get("BOOK_KERNEL", "python3")
    compared = 0
    with tempfile.TemporaryDirectory(prefix="elsewhere-") as elsewhere:
        nb = nbformat.read(path, as_version=4)
        client = nbtools.client(nb, Path(elsewhere), kernel_name=kernel)
        with client.setup_kernel():
            baseline = _probe(client, nb)  # the kernel's own ports and processes
            with PeakMemory(baseline["pid"]) as memory:
                for run in (1, 2):
                    started = time.perf_counter()
                    for index, cell in enumerate(nb.cells):
                        if cell.cell_type != "code":
                            continue
                        client.execute_cell(cell, index)
                        if nbtools.IGNORE_TAG in nbtools.tags(cell):
                            continue
                        compared += run == 1
                        want = nbtools.comparable(stored.cells[index], patterns)
                        got = nbtools.comparable(cell, patterns)
                        assert got == want, (
                            f"run {run}, cell {index}: output differs from stored\n"
                            f"stored:   {want!r}\nthis run: {got!r}"
                        )
                    if run == 1:
                        record_property("notebook_seconds", time.perf_counter() - started)
            record_property("notebook_cells", compared)
            record_property("peak_mib", memory.peak / 2**20)
            state = _probe(client, nb)
        new_children = set(state["children"]) - set(baseline["children"])
        new_ports = set(state["listening"]) - set(baseline["listening"])
        assert not new_children, f"child processes left running: {sorted(new_children)}"
        assert not new_ports, f"ports left open: {sorted(new_ports)}"
        assert Path(state["cwd"]) == Path(elsewhere).resolve(), "the notebook changed directory"
        assert sorted(Path(elsewhere).iterdir()) == [], "files left in the working directory"
    assert _repository_files() == before, "the notebook left files in the repository"
