"""Sphinx extension: the ``{execution-statistics}`` directive.

It renders what the last notebook runs recorded (see the root conftest.py),
from the copy that ``make book``/``make book-strict`` take of them when the
build starts (``_build/stats-for-book/``), so that a run finishing during the
build cannot make the page disagree with itself:

* ``execution-stats.json``, the run of every notebook in the Binder-like
  environment (``make notebooks``): each chapter, how long one execution took,
  how many cells were compared, the peak memory, and the status;
* ``execution-stats-py3.N.json``, one per Python version that nbval ran
  (``make nbval``, ``make test-pythons``): a table of notebook against Python
  version, passed or failed.

The page is re-read on every build so it never shows a stale run.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

SNAPSHOT = Path("_build") / "stats-for-book"
STATS = SNAPSHOT / "execution-stats.json"


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell if isinstance(cell, nodes.Element) and not isinstance(
            cell, nodes.Text
        ) else nodes.paragraph(text=str(cell))
        row += entry
    return row


def _doc_link(docname: str) -> nodes.Node:
    para = nodes.paragraph()
    ref = addnodes.pending_xref(
        "", refdomain="std", reftype="doc", reftarget="/" + docname, refexplicit=False
    )
    ref += nodes.literal(text=docname)
    para += ref
    return para


def _table(headers: list[str], rows: list[list[nodes.Node]]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    head += _row([nodes.paragraph(text=h) for h in headers])
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += _row(cells)
    group += body
    return table


def _cpus(stats: dict) -> str:
    cpus = stats.get("cpus")
    return "" if cpus is None else f", {cpus} CPU" + ("s" if cpus != 1 else "")


def _version_table(srcdir: Path, main: dict | None) -> list[nodes.Node]:
    """Notebook against Python version: passed, failed or not run."""
    runs = []
    if main is not None:
        runs.append((f"{main['python']}{_cpus(main)}, run twice", main))
    for path in sorted(
        (srcdir / SNAPSHOT).glob("execution-stats-py*.json"),
        key=lambda p: tuple(int(x) for x in p.stem.removeprefix("execution-stats-py").split(".")),
    ):
        stats = json.loads(path.read_text(encoding="utf-8"))
        runs.append((f"{stats['python']}{_cpus(stats)}, nbval", stats))
    if not runs:
        return []
    notebooks = sorted({nb for _, stats in runs for nb in stats["notebooks"]})
    rows = [
        [_doc_link(nb.removesuffix(".ipynb"))]
        + [nodes.paragraph(text=stats["notebooks"].get(nb, {}).get("status", "not run"))
           for _, stats in runs]
        for nb in notebooks
    ]
    intro = nodes.paragraph(
        text="Each notebook under each Python version that checked it "
        "(the last run recorded for that version):"
    )
    table = _table(["Chapter"] + [f"Python {label}" for label, _ in runs], rows)
    table["classes"].append("python-versions")
    return [intro, table]


class ExecutionStatistics(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        srcdir = Path(self.env.srcdir)
        path = srcdir / STATS
        self.env.note_dependency(str(path))
        if not path.exists():
            note = nodes.note()
            note += nodes.paragraph(
                text="No notebook run is recorded in this build yet. "
                "`make test` executes every chapter and records it; build the book after it."
            )
            return [note, *_version_table(srcdir, None)]
        stats = json.loads(path.read_text(encoding="utf-8"))
        rows = [
            [
                _doc_link(notebook.removesuffix(".ipynb")),
                nodes.paragraph(text=f"{record['seconds']:.1f}"),
                nodes.paragraph(text=str(record["cells"])),
                nodes.paragraph(text=str(record.get("peak_mib", "not measured"))),
                nodes.paragraph(text=record["status"]),
            ]
            for notebook, record in sorted(stats["notebooks"].items())
        ]
        table = _table(
            ["Chapter", "Executed in (s)", "Cells compared", "Peak memory (MiB)", "Status"], rows
        )
        table["classes"].append("execution-times")
        summary = nodes.paragraph(
            text=f"Run finished {stats['finished']} with Python {stats['python']}{_cpus(stats)} "
            f"in {stats['environment']}; {len(stats['notebooks'])} notebooks, "
            f"{stats['total_seconds']:.0f} s in all."
        )
        return [summary, table, *_version_table(srcdir, stats)]


def _always_reread(app: Sphinx, env, added, changed, removed) -> list[str]:
    return [doc for doc in env.found_docs if doc.endswith("execution-statistics")]


def setup(app: Sphinx) -> dict:
    app.add_directive("execution-statistics", ExecutionStatistics)
    app.connect("env-get-outdated", _always_reread)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
