"""Show the source of a package function inside a notebook.

What the reader reads is then exactly what the tests test: the chapter does
not paste a copy of the code that could drift from the package.
"""

from __future__ import annotations

import inspect
from typing import Any


class SourceCode:
    """Source text that Jupyter renders as a highlighted Python block."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.text}```\n"

    def __repr__(self) -> str:
        return self.text


def show_source(obj: Any) -> SourceCode:
    """Return the source of a function, class or module for display.

    >>> from stdlib_book.timing import speedup
    >>> print(show_source(speedup).text.splitlines()[0])
    def speedup(baseline_seconds: float, seconds: float) -> float:
    """
    try:
        text = inspect.getsource(obj)
    except (TypeError, OSError) as exc:
        raise TypeError(f"no Python source available for {obj!r}: {exc}") from None
    return SourceCode(text)
