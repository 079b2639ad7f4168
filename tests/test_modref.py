"""The module reference (book/modules.md) is generated, and must stay so."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stdlib_book import modref

ROOT = Path(__file__).resolve().parent.parent


def test_committed_page_is_what_the_generator_produces_now():
    committed = (ROOT / "book" / "modules.md").read_text(encoding="utf-8")
    assert committed == modref.render_page(ROOT), (
        "book/modules.md is out of date with src/stdlib_book/modref.py or the notebooks: "
        "run make reference")


def test_every_seed_module_once_in_seed_order():
    names = [m.name for m in modref.MODULES]
    assert len(names) == len(set(names))
    assert set(names) == set(modref.SEED_ROWS)
    assert names == list(dict.fromkeys(modref.SEED_ROWS))
    assert modref.SEED_ROWS[-1] == modref.TRUNCATED_ROW


def test_third_party_rows_have_a_pypi_project_and_stdlib_rows_do_not():
    for ref in modref.MODULES:
        if modref.in_stdlib(ref.module):
            assert not ref.pypi, ref.name
            assert modref.docs_url(ref) == f"https://docs.python.org/3/library/{ref.name}.html"
        else:
            assert ref.pypi, f"{ref.name}: third-party, so it needs its PyPI project name"
            assert modref.docs_url(ref).startswith("https://pypi.org/project/")


def test_stdlib_column_is_not_typed_by_hand():
    # The page says "no" exactly for names missing from sys.stdlib_module_names.
    third = {m.name for m in modref.MODULES if m.module.split(".")[0] not in
             sys.stdlib_module_names}
    assert third == {"requests", "numpy", "pandas", "matplotlib", "scikit-learn",
                     "tensorflow", "pygame"}


@pytest.mark.parametrize(("code", "expected"), [
    ("import os.path", {"os", "os.path"}),
    ("import numpy as np\nnp.linalg.norm", {"numpy", "numpy.linalg", "numpy.linalg.norm"}),
    ("from os import path", {"os", "os.path"}),
    ("from . import sibling", set()),
    ("%timeit sum(range(3))\nimport json", {"json"}),
    ("def f():\n    import unittest.mock\n", {"unittest", "unittest.mock"}),
    ("x = 1\nx.real", set()),
])
def test_modules_used(code, expected):
    assert modref.modules_used(code) == expected


def _notebook(path: Path, *sources: str) -> None:
    cells = [{"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
              "execution_count": None} for s in sources]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 4}), encoding="utf-8")


def test_a_new_chapter_shows_up_in_the_page(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    _notebook(tmp_path / "notebooks" / "03-concurrency.ipynb", "import threading, zoneinfo")
    _notebook(tmp_path / "notebooks" / "10-2-interpreter.ipynb", "import threading")
    page = modref.render_page(tmp_path)
    row = page.split("[`threading`]")[1].split("* - ")[0]
    assert "{doc}`3 </notebooks/03-concurrency>`" in row
    assert "{doc}`10.2 </notebooks/10-2-interpreter>`" in row
    assert "[`zoneinfo`](https://docs.python.org/3/library/zoneinfo.html)" in page
    assert modref.write_page(tmp_path, check=True) is False
    assert modref.write_page(tmp_path) is True
    assert modref.write_page(tmp_path, check=True) is True


def test_invalid_code_cell_is_an_error_naming_the_notebook(tmp_path):
    _notebook(tmp_path / "04-data.ipynb", "import json", "def broken(:")
    with pytest.raises(ValueError, match=r"04-data.ipynb, cell 1: not valid Python"):
        modref.usage([tmp_path / "04-data.ipynb"])


def test_chapter_of_rejects_unnumbered_notebooks():
    with pytest.raises(ValueError, match="chapter number"):
        modref.chapter_of(Path("intro.ipynb"))


def test_generator_check_mode_reports_how_to_fix(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_modref.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


def test_names_imported_in_one_cell_count_in_later_cells(tmp_path):
    _notebook(tmp_path / "02-x.ipynb", "import os", "os.path.join('a', 'b')")
    assert "os.path" in modref.usage([tmp_path / "02-x.ipynb"])


def test_a_chapters_helper_module_counts_but_shared_utilities_do_not(tmp_path):
    helpers = tmp_path / "src" / "stdlib_book"
    helpers.mkdir(parents=True)
    (helpers / "mailer.py").write_text("import smtplib\nfrom stdlib_book import parts\n")
    (helpers / "parts.py").write_text("import gzip\n")
    (helpers / "selfcheck.py").write_text("import inspect\n")
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _notebook(nbs / "09-5-backup.ipynb", "from stdlib_book import mailer, selfcheck")
    _notebook(nbs / "09-2-logs.ipynb", "print(python('-m', 'stdlib_book.parts'))")
    used = modref.usage(sorted(nbs.glob("*.ipynb")), helpers)
    assert used["smtplib"] == [nbs / "09-5-backup.ipynb"]  # through its helper
    assert used["gzip"] == [nbs / "09-2-logs.ipynb", nbs / "09-5-backup.ipynb"]
    assert "inspect" not in used  # a shared utility's import is not the chapter's


def test_the_real_page_counts_argparse_smtplib_and_gzip():
    page = modref.render_page(ROOT)
    for name, chapter in (("argparse", "{doc}`2 <"), ("smtplib", "{doc}`9.5 <"),
                          ("gzip", "{doc}`9.2 <")):
        row = page.split(f"[`{name}`]")[1].split("* - ")[0]
        assert chapter in row, (name, row)


def test_the_table_errors_are_listed():
    page = modref.render_page(ROOT)
    errors = page.split("## Where the table is wrong")[1].split("## ")[0]
    for name in ("datetime", "pickle", "xml", "random"):
        assert f"* - `{name}`" in errors
    assert "zoneinfo" in errors


def test_chapters_are_listed_in_chapter_order_not_file_name_order(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for name in ("09-5-backup", "09-applications", "10-performance", "09-1-organiser"):
        _notebook(tmp_path / "notebooks" / f"{name}.ipynb", "import zipfile")
    row = modref.render_page(tmp_path).split("[`zipfile`]")[1].split("* - ")[0]
    got = [part.split(" <")[0] for part in row.split("{doc}`")[1:]]
    assert got == ["9", "9.1", "9.5", "10"]
