"""Sphinx extension: links to this book's own URL become checked internal links.

A notebook links to another page of the book as ``[text](<book URL>page.html#anchor)``
(written by tools/book_links.py) so that the link works where the notebook is
opened alone: JupyterLab, Binder, GitHub. In the HTML book each such link is
made relative again, and a page or anchor that does not exist is a warning,
which fails the strict (``-W``) build. The book URL is ``html_baseurl``
(``html.baseurl`` in _config.yml).
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _localise(app: Sphinx, doctree: nodes.document, fromdocname: str) -> None:
    base = (app.config.html_baseurl or "").rstrip("/") + "/"
    if base == "/":
        return
    env = app.builder.env
    for ref in doctree.findall(nodes.reference):
        uri = ref.get("refuri", "")
        if not uri.startswith(base):
            continue
        path, _, anchor = uri[len(base):].partition("#")
        docname = path.removesuffix(".html")
        if docname not in env.all_docs:
            logger.warning("link to a page the book does not have: %s", uri,
                           location=ref, type="book_links")
            continue
        if anchor:
            ids = {i for node in env.get_doctree(docname).findall(nodes.Element)
                   for i in node.get("ids", [])}
            if anchor not in ids:
                logger.warning("link to an anchor %s does not have: %s", docname, uri,
                               location=ref, type="book_links")
                continue
        relative = app.builder.get_relative_uri(fromdocname, docname)
        ref["refuri"] = relative + (f"#{anchor}" if anchor else "")
        ref["internal"] = True
        ref["classes"] = [c for c in ref.get("classes", []) if c != "external"] + ["internal"]


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", _localise)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
