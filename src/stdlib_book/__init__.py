"""Tested helpers for the book *Python's Standard Library, Run and Verified*.

Each chapter notebook imports what it needs from here. Shared utilities:

* :mod:`stdlib_book.servers`   -- local servers bound to 127.0.0.1 on port 0
* :mod:`stdlib_book.timing`    -- honest timing: best of several runs, ratios, verdicts
* :mod:`stdlib_book.plotting`  -- small, deterministic matplotlib figures
* :mod:`stdlib_book.source`    -- show a package function's source inside a notebook
* :mod:`stdlib_book.selfcheck` -- feedback for the reader's exercise answers

Chapter modules are named for their topic, e.g. :mod:`stdlib_book.files` (chapter 2).
"""

__version__ = "0.1.0"
