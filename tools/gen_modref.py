"""`make reference`: generate book/modules.md, the verified module reference.

    python tools/gen_modref.py           write the page if it changed
    python tools/gen_modref.py --check   exit 1 if the committed page is out of date

The data is in src/stdlib_book/modref.py; which modules are in the standard
library and which chapters use them is computed now, from this interpreter and
from notebooks/*.ipynb.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stdlib_book import modref

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate book/modules.md.")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if book/modules.md is out of date")
    args = parser.parse_args(argv)
    try:
        up_to_date = modref.write_page(ROOT, check=args.check)
    except ValueError as exc:
        print(f"gen_modref: {exc}", file=sys.stderr)
        return 2
    if args.check and not up_to_date:
        print("book/modules.md is out of date: run make reference", file=sys.stderr)
        return 1
    print("book/modules.md is up to date" if args.check else "wrote book/modules.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
