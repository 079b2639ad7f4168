"""The errata page: every row has three cells and links to a section that exists.

Fast, without building the book: labels are collected from the notebooks'
Markdown cells and from the pages in book/, the way MyST writes them:
``(label)=`` targets and ``:label:``/``:name:`` options of directives.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ERRATA = ROOT / "book" / "errata.md"

TARGET = re.compile(r"^\(([\w\-.:]+)\)=\s*$", re.MULTILINE)
OPTION = re.compile(r"^:(?:label|name):\s*([\w\-.:]+)\s*$", re.MULTILINE)
REF = re.compile(r"\{ref\}`(?:[^`<]*<([^`>]+)>|([^`<>]+))`")


def _markdown_sources():
    for page in sorted((ROOT / "book").glob("*.md")):
        yield page.name, page.read_text(encoding="utf-8")
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                source = cell["source"]
                yield nb_path.name, source if isinstance(source, str) else "".join(source)


def labels() -> set[str]:
    found: set[str] = set()
    for _, text in _markdown_sources():
        found |= set(TARGET.findall(text)) | set(OPTION.findall(text))
    return found


def errata_rows() -> list[tuple[str, int, list[str]]]:
    """(section, line number, cells) for every row of every list-table, header
    rows excluded."""
    rows = []
    section = "?"
    in_table = False
    header_rows = 0
    current: list[str] | None = None
    start = 0
    seen_in_table = 0

    def finish():
        nonlocal current, seen_in_table
        if current is not None:
            seen_in_table += 1
            if seen_in_table > header_rows:
                rows.append((section, start, current))
        current = None

    for number, line in enumerate(ERRATA.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("```{list-table}"):
            in_table, header_rows, seen_in_table, current = True, 0, 0, None
            continue
        if not in_table:
            continue
        if line.startswith("```"):
            finish()
            in_table = False
        elif line.startswith(":header-rows:"):
            header_rows = int(line.split(":")[2])
        elif line.startswith("* - "):
            finish()
            current, start = [line[4:]], number
        elif line.startswith("  - ") and current is not None:
            current.append(line[4:])
        elif line.startswith("    ") and current:
            current[-1] += " " + line.strip()
    return rows


def test_errata_has_rows():
    assert len(errata_rows()) >= 5


def test_every_erratum_has_three_cells():
    bad = [f"{section}, line {line}: {len(cells)} cells" for section, line, cells in errata_rows()
           if len(cells) != 3]
    assert not bad, "each erratum needs: what the article says, what happens, the fix\n" + \
        "\n".join(bad)


def test_every_erratum_links_to_a_label_that_exists():
    known = labels()
    problems = []
    for section, line, cells in errata_rows():
        refs = [a or b for a, b in REF.findall(" ".join(cells))]
        if not refs:
            problems.append(f"{section}, line {line}: no {{ref}} to the evidence")
        problems += [f"{section}, line {line}: {{ref}} to unknown label {r!r}"
                     for r in refs if r.strip() not in known]
    assert not problems, "\n".join(problems)


def test_the_parser_sees_bad_rows(tmp_path, monkeypatch):
    page = tmp_path / "errata.md"
    page.write_text("## Chapter: X\n\n```{list-table}\n:header-rows: 1\n\n* - a\n  - b\n  - c\n"
                    "* - says\n  - happens {ref}`nowhere`\n```\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "ERRATA", page)
    rows = errata_rows()
    assert rows == [("Chapter: X", 9, ["says", "happens {ref}`nowhere`"])]
