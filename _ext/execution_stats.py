"""Sphinx extension: the ``{execution-statistics}`` directive.

It renders the table written by the last notebook run of ``make test`` (nbval
in a fresh, Binder-like environment; see the root conftest.py), read from
``_build/execution-stats.json``: each chapter, how long it took to execute,
how many cells were checked and whether they all matched their stored
outputs. The page is re-read on every build so it never shows a stale run.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

STATS = Path("_build") / "execution-stats.json"


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


class ExecutionStatistics(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(Path(self.env.srcdir) / STATS))
        path = Path(self.env.srcdir) / STATS
        if not path.exists():
            note = nodes.note()
            note += nodes.paragraph(
                text="No notebook run is recorded in this build yet. "
                "`make test` executes every chapter and records it; build the book after it."
            )
            return [note]
        stats = json.loads(path.read_text(encoding="utf-8"))
        headers = ["Chapter", "Executed in (s)", "Cells checked", "Status"]
        table = nodes.table()
        group = nodes.tgroup(cols=len(headers))
        table += group
        for _ in headers:
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        head += _row([nodes.paragraph(text=h) for h in headers])
        group += head
        body = nodes.tbody()
        for notebook, record in sorted(stats["notebooks"].items()):
            docname = notebook.removesuffix(".ipynb")
            body += _row(
                [
                    _doc_link(docname),
                    nodes.paragraph(text=f"{record['seconds']:.1f}"),
                    nodes.paragraph(text=str(record["cells"])),
                    nodes.paragraph(text=record["status"]),
                ]
            )
        group += body
        summary = nodes.paragraph(
            text=f"Run finished {stats['finished']} with Python {stats['python']} "
            f"in {stats['environment']}; {len(stats['notebooks'])} notebooks, "
            f"{stats['total_seconds']:.0f} s in all."
        )
        return [summary, table]


def _always_reread(app: Sphinx, env, added, changed, removed) -> list[str]:
    return [doc for doc in env.found_docs if doc.endswith("execution-statistics")]


def setup(app: Sphinx) -> dict:
    app.add_directive("execution-statistics", ExecutionStatistics)
    app.connect("env-get-outdated", _always_reread)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
