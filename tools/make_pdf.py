"""Print the built HTML book to one PDF: ``make pdf`` -> _build/pdf/book.pdf.

Each page of ``_build/html`` is opened in headless Chromium (served on
127.0.0.1 and a free port), MathJax is allowed to finish, exercise solutions
are opened (a reader of paper cannot click), and the page is printed with the
theme's print style. The pages are joined in the order of ``_toc.yml``, with
a bookmark per page. Jupyter Book's LaTeX route needs a TeX installation and
its single-page HTML builder fails on hidden-input cells, so this route uses
only what ``make test`` already installs.

    python tools/make_pdf.py _build/html _build/pdf/book.pdf
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import yaml
from browser import chromium, wait_for_math
from pypdf import PdfReader, PdfWriter

from stdlib_book.servers import serve_http

ROOT = Path(__file__).resolve().parent.parent


def toc_order(toc_path: Path) -> list[str]:
    """The book's documents (without suffix) in reading order."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    order = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                order.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return [str(Path(doc).with_suffix("")) for doc in order]


def print_page(browser, url: str) -> tuple[str, bytes]:
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    try:
        page.goto(url, wait_until="load")
        wait_for_math(page)
        for title in page.locator("div.solution.dropdown .admonition-title").all():
            title.click()
        page.emulate_media(media="print")
        heading = page.locator("main h1").first
        title = heading.inner_text().strip("#¶ \n") if heading.count() else page.title()
        pdf = page.pdf(
            format="A4",
            print_background=True,
            margin={"top": "18mm", "bottom": "18mm", "left": "15mm", "right": "15mm"},
        )
        return title, pdf
    finally:
        page.close()


def build_pdf(html: Path, output: Path) -> int:
    """Write the PDF; return its number of pages."""
    documents = toc_order(ROOT / "_toc.yml")
    missing = [doc for doc in documents if not (html / f"{doc}.html").exists()]
    if missing:
        raise FileNotFoundError(f"pages not built (run `make book`): {', '.join(missing)}")
    writer = PdfWriter()
    with serve_http(directory=html) as site, chromium() as browser:
        for doc in documents:
            title, pdf = print_page(browser, f"{site}/{doc}.html")
            writer.append(PdfReader(io.BytesIO(pdf)), outline_item=title)
    writer.add_metadata({"/Title": "Python's Standard Library, Run and Verified"})
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as handle:
        writer.write(handle)
    return len(writer.pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the built HTML book (_build/html)")
    parser.add_argument("output", type=Path, help="where to write the PDF")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").exists():
        parser.error(f"{args.html} holds no built book: run `make book` first")
    pages = build_pdf(args.html, args.output)
    print(f"wrote {args.output} ({pages} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
