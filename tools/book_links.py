"""Write cross-page references in the notebooks as links to the rendered book.

A lone notebook in JupyterLab cannot resolve ``{term}``, ``{doc}`` or a
``{ref}`` whose target is on another page: jupyterlab-myst logs "Cross
reference target was not found" and shows no link, and ``{doc}`` becomes a
link to a file that does not exist. This rewrites each such reference as a
plain Markdown link to the page (and anchor) in the rendered book,
``<book URL><page>.html#<anchor>``, which works in JupyterLab, on Binder and
on GitHub. In the HTML book ``_ext/local_links.py`` turns every link under the
book URL back into a relative internal link and fails the strict build when
its page or anchor does not exist, so the links stay checked.

Targets are looked up in the built book's ``objects.inv`` (build the book
first). The book URL is GitHub Pages' address for ``repository.url`` in
_config.yml, or ``html.baseurl`` if set. Running it again changes nothing: a
reference already written as a link is no longer a role.

    python tools/book_links.py notebooks/*.ipynb          # show the changes
    python tools/book_links.py --write notebooks/*.ipynb  # make them (make links)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from local_links import book_url  # noqa: E402 (the extension's rule, shared)

INVENTORY = ROOT / "_build" / "html" / "objects.inv"
ROLE = re.compile(r"\{(ref|doc|term)\}`([^`]+)`")
EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.DOTALL)


def configured_book_url(config: Path = ROOT / "_config.yml") -> str:
    """The rendered book's address for this repository's _config.yml, ending in '/'."""
    import yaml

    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    return book_url(settings["repository"]["url"], (settings.get("html") or {}).get("baseurl", ""))


def load_inventory(path: Path = INVENTORY) -> dict[tuple[str, str], tuple[str, str]]:
    """(role, target) -> (uri relative to the book, display name)."""
    if not path.exists():
        raise SystemExit(f"{path} not found: build the book first (make book)")
    from sphinx.util.inventory import InventoryFile

    with path.open("rb") as stream:
        inventory = InventoryFile.load(stream, "", lambda base, uri: uri)
    found = {}
    for kind, role in (("std:label", "ref"), ("std:doc", "doc"), ("std:term", "term")):
        for name, item in inventory.get(kind, {}).items():
            uri, display = item[2], item[3]
            found[(role, name.lower() if role == "term" else name)] = (uri, display)
    return found


def local_labels(markdown: str) -> set[str]:
    """The labels a page defines: ``(label)=`` targets and ``:label:``/``:name:`` options."""
    return set(re.findall(r"^\((\S+)\)=", markdown, re.MULTILINE)) | set(
        re.findall(r"^:(?:label|name):\s*(\S+)", markdown, re.MULTILINE))


def rewrite(markdown: str, labels: set[str], inventory: dict,
            base: str) -> tuple[str, list[str]]:
    """The cell's text with cross-page references as links; and what was not found.

    A ``{ref}`` to a label on the same page stays a role: jupyterlab-myst
    resolves it inside the notebook.
    """
    missing: list[str] = []

    def replace(match: re.Match) -> str:
        role, body = match.groups()
        explicit = EXPLICIT.match(body)
        text, target = (explicit.groups() if explicit else (None, body.strip()))
        if role == "ref" and target in labels:
            return match.group(0)
        key = target
        if role == "doc":
            key = _normalise(f"notebooks/{target}")  # {doc} is relative to notebooks/
        elif role == "term":
            key = target.lower()
        item = inventory.get((role, key))
        if item is None:
            missing.append(f"{role}:{target}")
            return match.group(0)
        uri, display = item
        label = re.sub(r"([][])", r"\\\1", text or (target if role == "term" else display))
        return f"[{label}]({base}{uri})"

    return ROLE.sub(replace, markdown), missing


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true", help="write the notebooks back")
    args = parser.parse_args(argv)
    base, inventory = configured_book_url(), load_inventory()
    status = 0
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=4)
        markdown = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
        labels = local_labels("\n".join(cell.source for cell in markdown))
        changed = False
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "markdown":
                continue
            new, missing = rewrite(cell.source, labels, inventory, base)
            for item in missing:
                print(f"{path.name} cell {index}: target not in the book: {item}")
                status = 1
            for found in ROLE.finditer(cell.source):
                link, _ = rewrite(found.group(0), labels, inventory, base)
                if link != found.group(0):
                    print(f"{path.name} cell {index}: {found.group(0)}  ->  {link}")
            changed |= new != cell.source
            cell.source = new
        if changed and args.write:
            nbformat.write(notebook, path)
    return status


if __name__ == "__main__":
    sys.exit(main())
