"""Notebook tooling shared by `make outputs` and the notebook tests.

* ``execute``: run a notebook top to bottom with nbclient, in a chosen directory.
* ``sanitize``: apply tests/sanitize.cfg (the only things allowed to vary).
* ``comparable``: the part of a cell's outputs that nbval compares.
* ``clean_metadata``: drop what changes on every run or names a machine.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SANITIZE_CFG = ROOT / "tests" / "sanitize.cfg"
IGNORE_TAG = "nbval-ignore-output"
RAISES_TAG = "raises-exception"
HIDE_INPUT_TAG = "hide-input"
SKIP_COMPARE = {"image/png", "image/jpeg", "image/svg+xml"}
KEEP_NOTEBOOK_METADATA = {"kernelspec", "jupytext", "myst"}


def sanitize_patterns(path: Path = SANITIZE_CFG) -> list[tuple[re.Pattern[str], str]]:
    """The regex/replace pairs of an nbval sanitize file, in file order."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def sanitize(text: str, patterns: list[tuple[re.Pattern[str], str]]) -> str:
    for regex, replace in patterns:
        text = regex.sub(replace, text)
    return text


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def comparable(cell: dict, patterns: list[tuple[re.Pattern[str], str]]) -> list:
    """What nbval compares for a code cell: text and non-image data, sanitised."""
    result = []
    for out in cell.get("outputs", []):
        kind = out["output_type"]
        if kind == "stream":
            result.append((kind, out["name"], sanitize(out["text"], patterns)))
        elif kind in ("execute_result", "display_data"):
            data = {k: v for k, v in out["data"].items() if k not in SKIP_COMPARE}
            result.append((kind, {k: sanitize(str(v), patterns) for k, v in sorted(data.items())}))
        elif kind == "error":
            result.append((kind, out["ename"]))
    # nbval merges consecutive stream outputs; do the same.
    merged: list = []
    for item in result:
        if merged and item[0] == "stream" == merged[-1][0] and item[1] == merged[-1][1]:
            merged[-1] = ("stream", item[1], merged[-1][2] + item[2])
        else:
            merged.append(item)
    return merged


def hide_source_in_jupyterlab(cell: dict) -> None:
    """A cell the HTML book shows collapsed (tag ``hide-input``: the solutions)
    is collapsed in JupyterLab too: it honours ``metadata.jupyter.source_hidden``,
    not the tag, and would otherwise show every solution under its exercise."""
    if HIDE_INPUT_TAG in tags(cell):
        cell.setdefault("metadata", {}).setdefault("jupyter", {})["source_hidden"] = True


def merge_streams(cell: dict) -> None:
    """Join consecutive stream outputs of the same stream into one, as nbval
    and JupyterLab do. The kernel flushes a cell's output on a timer, so one
    ``print`` can be stored in two pieces; the HTML book would show the second
    piece on a line of its own."""
    merged: list = []
    for out in cell.get("outputs", []):
        if (merged and out["output_type"] == "stream" == merged[-1]["output_type"]
                and out["name"] == merged[-1]["name"]):
            merged[-1]["text"] = "".join(merged[-1]["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    if "outputs" in cell:
        cell["outputs"] = merged


def clean_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove per-run and per-machine metadata so that diffs show real changes,
    and store each run of stream output as one piece (:func:`merge_streams`)."""
    nb.metadata = nbformat.NotebookNode(
        {k: v for k, v in nb.metadata.items() if k in KEEP_NOTEBOOK_METADATA}
    )
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        hide_source_in_jupyterlab(cell)
        merge_streams(cell)
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        cell.pop("id", None)
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nb


def client(nb: nbformat.NotebookNode, cwd: Path, *, timeout: int = 600,
           kernel_name: str = "python3") -> NotebookClient:
    return NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
    )


def execute(path: Path, *, cwd: Path | None = None) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` in a fresh kernel (in ``cwd``, by default
    the notebook's directory) and return the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    client(nb, cwd or path.parent).execute()
    return nb
