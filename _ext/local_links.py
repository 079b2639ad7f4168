"""Sphinx extension: links to this book's own URL become checked internal links.

A notebook links to another page of the book as ``[text](<book URL>page.html#anchor)``
(written by tools/book_links.py) so that the link works where the notebook is
opened alone: JupyterLab, Binder, GitHub. In the HTML book each such link is
made relative again, and a page or anchor that does not exist is a warning,
which fails the strict (``-W``) build.

The book URL follows the one setting that names the repository,
``repository.url`` in _config.yml: GitHub Pages' address for it
(``https://<owner>.github.io/<name>/``), unless ``html.baseurl`` is set.
"""

from __future__ import annotations

import urllib.parse

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
_IDS: dict[str, set[str]] = {}  # docname -> its element ids, read once per build


def book_url(repository_url: str, baseurl: str = "") -> str:
    """The rendered book's address, ending in '/'.

    >>> book_url("https://github.com/stdlib-book/stdlib-book")
    'https://stdlib-book.github.io/stdlib-book/'
    >>> book_url("https://github.com/o/n", "https://books.example/n")
    'https://books.example/n/'
    """
    if not baseurl:
        parts = urllib.parse.urlsplit(repository_url)
        owner, name = parts.path.strip("/").removesuffix(".git").split("/")[:2]
        if parts.hostname != "github.com":
            raise ValueError(f"repository.url {repository_url!r} is not on github.com: "
                             "set html.baseurl in _config.yml to the book's address")
        baseurl = f"https://{owner.lower()}.github.io/{name}/"
    return baseurl.rstrip("/") + "/"


def _localise(app: Sphinx, doctree: nodes.document, fromdocname: str) -> None:
    base = book_url(app.config.html_theme_options.get("repository_url", ""),
                    app.config.html_baseurl)
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
            if docname not in _IDS:
                _IDS[docname] = {i for node in env.get_doctree(docname).findall(nodes.Element)
                                 for i in node.get("ids", [])}
            if anchor not in _IDS[docname]:
                logger.warning("link to an anchor %s does not have: %s", docname, uri,
                               location=ref, type="book_links")
                continue
        relative = app.builder.get_relative_uri(fromdocname, docname)
        ref["refuri"] = relative + (f"#{anchor}" if anchor else "")
        ref["internal"] = True
        ref["classes"] = [c for c in ref.get("classes", []) if c != "external"] + ["internal"]


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", lambda app: _IDS.clear())
    app.connect("doctree-resolved", _localise)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
