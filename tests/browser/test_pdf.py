"""The PDF of the whole book (``make pdf``), read back as a reader would open it."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from make_pdf import toc_order
from pypdf import PdfReader

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PDF = ROOT / "_build" / "pdf" / "book.pdf"


def notebook_title(path: Path) -> str:
    """The first level-one heading of a notebook's markdown."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{path.name} has no title")


def plot_count(path: Path) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(
        "image/png" in output.get("data", {})
        for cell in nb["cells"]
        for output in cell.get("outputs", [])
    )


@pytest.fixture(scope="module")
def reader():
    if not PDF.exists():
        pytest.fail("_build/pdf/book.pdf is missing: run `make pdf`")
    return PdfReader(PDF)


@pytest.fixture(scope="module")
def text(reader):
    # NFKC folds the typographic ligatures a PDF uses ("ﬁ" -> "fi").
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    return unicodedata.normalize("NFKC", text)


def test_every_page_of_the_book_is_in_the_pdf_with_a_bookmark(reader):
    documents = toc_order(ROOT / "_toc.yml")
    assert len(reader.pages) >= len(documents)
    assert len(reader.outline) == len(documents), "one bookmark per page of the book"


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_chapter_title_is_in_the_pdf(text, notebook):
    title = " ".join(notebook_title(notebook).replace("`", "").split())
    assert title in text, f"chapter title {title!r} is in the PDF"


def test_code_outputs_plots_and_math_are_printed(reader, text):
    assert "import " in text, "code is printed"
    assert "True" in text, "outputs are printed"
    plots = sum(plot_count(path) for path in NOTEBOOKS)
    images = sum(len(page.images) for page in reader.pages)
    assert images >= plots, f"{images} images in the PDF for {plots} plots in the notebooks"
    assert "\\frac" not in text and "$$" not in text, "math is typeset, not left as TeX"
