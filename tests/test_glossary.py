"""Every {term} in the book names a term of book/glossary.md (fast, no build)."""

import re
from pathlib import Path

from test_errata import _markdown_sources

ROOT = Path(__file__).resolve().parent.parent
TERM = re.compile(r"\{term\}`(?:[^`<]*<([^`>]+)>|([^`<>]+))`")


def glossary_entries() -> list[str]:
    """The terms of book/glossary.md, as written."""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    return [line.strip() for line in block.splitlines()
            if line.strip() and not line.startswith((" ", "\t"))]


def glossary_terms() -> set[str]:
    return {term.lower() for term in glossary_entries()}


def test_glossary_has_the_core_terms():
    terms = glossary_terms()
    assert len(terms) >= 20
    assert "standard library" in terms


def test_every_term_reference_is_defined():
    known = glossary_terms()
    missing = sorted({f"{name}: {a or b}" for name, text in _markdown_sources()
                      for a, b in TERM.findall(text) if (a or b).strip().lower() not in known})
    assert not missing, "add these to book/glossary.md:\n" + "\n".join(missing)


def test_chapters_1_2_and_11_use_the_glossary():
    # A notebook links to the glossary in the rendered book (tools/book_links.py).
    used = {name for name, text in _markdown_sources()
            if TERM.search(text) or "book/glossary.html#term-" in text}
    for notebook in ("01-introduction.ipynb", "02-core-system-utilities.ipynb",
                     "11-final-thoughts.ipynb"):
        assert notebook in used
