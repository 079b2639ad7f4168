"""Notebook checks that nbval cannot make on its own.

Fast (run with the unit tests): every code cell was executed in order and has
stored output; errors are only stored where a cell is tagged raises-exception;
no noisy or machine-specific metadata is committed.

Slow (``-m slow``, run by ``make notebooks-clean``): each notebook runs in a
fresh kernel from a foreign working directory, then *again in the same
kernel*, reproducing its stored outputs, and leaves no files in the
repository, no child processes and no listening sockets behind.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
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
print(json.dumps({"children": children, "listening": listening, "cwd": os.getcwd()}))
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


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_twice_in_one_kernel_and_leaves_nothing_behind(path):
    patterns = nbtools.sanitize_patterns()
    stored = nbformat.read(path, as_version=4)
    before = _repository_files()
    with tempfile.TemporaryDirectory(prefix="elsewhere-") as elsewhere:
        nb = nbformat.read(path, as_version=4)
        client = nbtools.client(nb, Path(elsewhere))
        with client.setup_kernel():
            baseline = _probe(client, nb)  # the kernel's own ports and processes
            for run in (1, 2):
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    client.execute_cell(cell, index)
                    if nbtools.IGNORE_TAG in nbtools.tags(cell):
                        continue
                    want = nbtools.comparable(stored.cells[index], patterns)
                    got = nbtools.comparable(cell, patterns)
                    assert got == want, f"run {run}, cell {index}: output differs from stored"
            state = _probe(client, nb)
        new_children = set(state["children"]) - set(baseline["children"])
        new_ports = set(state["listening"]) - set(baseline["listening"])
        assert not new_children, f"child processes left running: {sorted(new_children)}"
        assert not new_ports, f"ports left open: {sorted(new_ports)}"
        assert Path(state["cwd"]) == Path(elsewhere).resolve(), "the notebook changed directory"
        assert sorted(Path(elsewhere).iterdir()) == [], "files left in the working directory"
    assert _repository_files() == before, "the notebook left files in the repository"
