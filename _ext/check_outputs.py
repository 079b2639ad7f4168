"""Sphinx extension: fail the build on a stored notebook error that nobody meant.

The book renders outputs as committed (execution is off in _config.yml), so
myst-nb never sees an error happen. This extension reads each notebook as it
is parsed and warns (an error under -W) about any error output in a cell
without the ``raises-exception`` tag, and about any code cell that was never
executed.
"""

from __future__ import annotations

import json
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _check(app: Sphinx, docname: str, source: list[str]) -> None:
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".ipynb":
        return
    nb = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or not "".join(cell.get("source", "")).strip():
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("execution_count") is None:
            logger.warning("code cell %d was never executed: run `make outputs`", index,
                           location=docname)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and "raises-exception" not in tags:
                logger.warning("code cell %d stores an error (%s) but is not tagged "
                               "raises-exception", index, out.get("ename"), location=docname)


def setup(app: Sphinx) -> dict:
    app.connect("source-read", _check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
