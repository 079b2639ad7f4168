"""`make outputs`: re-execute notebooks and store their outputs.

A cell keeps its stored outputs when the new ones are the same once sanitised
(or, for a cell tagged nbval-ignore-output, have the same shape), so running
this twice in a row changes nothing and a diff shows only real changes.

    python tools/store_outputs.py notebooks/*.ipynb
    python tools/store_outputs.py --fresh-raw notebooks/02-core-system-utilities.ipynb

``--fresh-raw`` stores this run's outputs of the nbval-ignore-output cells too
(raw timings), so that they agree with the verdicts printed beside them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbtools  # noqa: E402


def shape(cell: dict) -> list:
    return [(o["output_type"], sorted(o.get("data", {}))) for o in cell.get("outputs", [])]


def store(path: Path, *, fresh_raw: bool = False) -> int:
    """Execute ``path`` and write it back; return how many cells changed."""
    old = nbformat.read(path, as_version=4)
    new = nbtools.execute(path)
    patterns = nbtools.sanitize_patterns()
    changed = 0
    for old_cell, new_cell in zip(old.cells, new.cells, strict=True):
        if new_cell.cell_type != "code":
            continue
        nbtools.merge_streams(new_cell)  # stored merged, so compare merged
        if nbtools.IGNORE_TAG in nbtools.tags(new_cell):
            same = not fresh_raw and shape(old_cell) == shape(new_cell)
        else:
            same = nbtools.comparable(old_cell, patterns) == nbtools.comparable(new_cell, patterns)
        if same and old_cell.get("execution_count") == new_cell.execution_count:
            new_cell.outputs = old_cell.outputs
        else:
            changed += 1
    nbformat.write(nbtools.clean_metadata(new), path)
    return changed


def main(paths: list[str]) -> int:
    fresh_raw = "--fresh-raw" in paths
    paths = [p for p in paths if p != "--fresh-raw"]
    if not paths:
        print("usage: store_outputs.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for name in paths:
        path = Path(name)
        if path.suffix != ".ipynb" or not path.is_file():
            print(f"store_outputs: not a notebook file: {name}", file=sys.stderr)
            return 2
        print(f"{path}: {store(path, fresh_raw=fresh_raw)} code cell(s) with new outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
