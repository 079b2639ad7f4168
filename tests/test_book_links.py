"""Cross-page references in the notebooks are links to the rendered book (fast, no build).

A lone notebook in JupyterLab cannot resolve ``{term}``, ``{doc}`` or a
``{ref}`` to another page, so tools/book_links.py writes them as links to the
book's address, and _ext/local_links.py makes them internal (and checked) in
the HTML book. These tests fail when a notebook gains a cross-page role again
(run ``make links``) or links to a page or anchor the sources do not define;
the strict build checks the same links against the built book.
"""

import re
from pathlib import Path

import book_links
import pytest
import yaml
from sphinx.util.nodes import _make_id  # how Sphinx writes a glossary term's anchor
from test_errata import _markdown_sources, labels
from test_glossary import glossary_entries

ROOT = Path(__file__).resolve().parent.parent
BASE = book_links.configured_book_url()
LINK = re.compile(r"\]\(" + re.escape(BASE) + r"([^)#\s]*)(?:#([^)\s]*))?\)")


def notebook_markdown():
    """(notebook name, markdown) of every notebook's Markdown cell."""
    return [(name, text) for name, text in _markdown_sources() if name.endswith(".ipynb")]


def test_the_book_url_follows_repository_url():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    owner, name = config["repository"]["url"].rstrip("/").split("/")[-2:]
    assert not (config.get("html") or {}).get("baseurl")
    assert f"https://{owner.lower()}.github.io/{name}/" == BASE


def test_book_url():
    book_url = book_links.book_url
    assert book_url("https://github.com/Owner/repo.git") == "https://owner.github.io/repo/"
    assert book_url("https://gitlab.com/o/n", "https://b.example/n") == "https://b.example/n/"
    with pytest.raises(ValueError, match="html.baseurl"):
        book_url("https://gitlab.com/o/n")


def test_no_notebook_has_a_cross_page_reference():
    by_notebook: dict[str, list[str]] = {}
    for name, text in notebook_markdown():
        by_notebook.setdefault(name, []).append(text)
    problems = []
    for name, texts in by_notebook.items():
        local = book_links.local_labels("\n".join(texts))
        for text in texts:
            for role, body in book_links.ROLE.findall(text):
                target = body.rsplit("<", 1)[-1].rstrip(">").strip()
                if role != "ref" or target not in local:
                    problems.append(f"{name}: {{{role}}}`{body}`")
    assert not problems, ("a lone notebook cannot resolve these in JupyterLab; "
                          "run `make links`:\n" + "\n".join(problems))


def test_links_to_the_book_name_pages_and_anchors_that_exist():
    known_labels = labels()
    terms = {_make_id(f"term-{term}") for term in glossary_entries()}
    found, problems = 0, []
    for name, text in notebook_markdown():
        for page, anchor in LINK.findall(text):
            found += 1
            doc = page.removesuffix(".html")
            if not (ROOT / f"{doc}.ipynb").exists() and not (ROOT / f"{doc}.md").exists():
                problems.append(f"{name}: no page {page}")
            elif anchor and anchor not in (terms if doc == "book/glossary" else known_labels):
                problems.append(f"{name}: no anchor {anchor} in {page}")
    assert found >= 40, "the chapters link to the glossary, the errata and each other"
    assert not problems, "\n".join(problems)


INVENTORY = {("term", "standard library"): ("book/glossary.html#term-standard-library", "x"),
             ("ref", "far"): ("notebooks/05-n.html#far", "Far section"),
             ("doc", "book/errata"): ("book/errata.html", "Errata")}


def test_rewrite_makes_cross_page_references_links_and_keeps_local_ones():
    text = ("The {term}`Standard Library`, {ref}`near`, {ref}`there <far>`, {ref}`far`, "
            "the {doc}`errata <../book/errata>` and {doc}`../book/errata`.")
    new, missing = book_links.rewrite(text, {"near"}, INVENTORY, "https://o.github.io/b/")
    assert missing == []
    assert new == (
        "The [Standard Library](https://o.github.io/b/book/glossary.html#term-standard-library), "
        "{ref}`near`, [there](https://o.github.io/b/notebooks/05-n.html#far), "
        "[Far section](https://o.github.io/b/notebooks/05-n.html#far), "
        "the [errata](https://o.github.io/b/book/errata.html) and "
        "[Errata](https://o.github.io/b/book/errata.html).")
    assert book_links.rewrite(new, {"near"}, INVENTORY, "https://o.github.io/b/") == (new, [])


def test_rewrite_reports_a_target_the_book_does_not_have_and_escapes_brackets():
    new, missing = book_links.rewrite("{ref}`nowhere` {term}`a [b] <standard library>`", set(),
                                      INVENTORY, "https://o.github.io/b/")
    assert missing == ["ref:nowhere"]
    assert new == ("{ref}`nowhere` [a \\[b\\]]"
                   "(https://o.github.io/b/book/glossary.html#term-standard-library)")


def test_local_labels():
    text = "(top)=\n# T\n\n```{exercise}\n:label: ex-1\n```\n:::{figure} x.png\n:name: fig\n"
    assert book_links.local_labels(text) == {"top", "ex-1", "fig"}


def test_the_extension_makes_book_links_internal_and_warns_about_missing_targets(tmp_path):
    """A two-page Sphinx project with _ext/local_links.py: a link to a page and
    anchor that exist becomes relative; a missing page or anchor is a warning
    (which -W, the strict build, turns into a failure)."""
    import io

    from sphinx.application import Sphinx

    base = "https://o.github.io/b/"
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['myst_parser', 'local_links']\n"
        f"html_baseurl = {base!r}\n",
        encoding="utf-8")
    (src / "index.md").write_text(
        "# Index\n\n```{toctree}\nsub/b\n```\n\n"
        f"[good]({base}sub/b.html#there) [page]({base}sub/b.html) "
        f"[bad anchor]({base}sub/b.html#nowhere) [bad page]({base}c.html) "
        "[elsewhere](https://example.org/x.html)\n", encoding="utf-8")
    (src / "sub" / "b.md").write_text("# B\n\n(there)=\n## There\n\ntext\n", encoding="utf-8")
    warnings = io.StringIO()
    app = Sphinx(str(src), str(src), str(tmp_path / "html"), str(tmp_path / "doctrees"),
                 "html", status=None, warning=warnings, freshenv=True)
    app.build()
    html = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert 'href="sub/b.html#there"' in html
    assert 'href="sub/b.html"' in html
    assert 'href="https://example.org/x.html"' in html
    log = warnings.getvalue()
    assert f"link to an anchor sub/b does not have: {base}sub/b.html#nowhere" in log
    assert f"link to a page the book does not have: {base}c.html" in log
    assert log.count("WARNING") == 2, log
