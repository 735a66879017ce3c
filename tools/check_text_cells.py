"""Find prose that sphinx-gallery would render as code comments.

A text block is rendered as text only when it starts a cell (``# %%``); a
comment block placed straight after code stays inside the code cell, where
its ``:math:`` roles, RST headings and directives show up raw. This script
parses each example with sphinx-gallery's own splitter and reports, in code
cells, comment lines that carry RST markup (``:math:``, ``:func:`` and
friends, a heading underline, a ``.. directive::``) or a bare ``#`` line (a
paragraph break, which only prose needs). It exits non-zero if it finds any.

    python tools/check_text_cells.py                  # every page
    python tools/check_text_cells.py gallery/06_dynamics/plot_02_heteroscedastic_regression.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sphinx_gallery.py_source_parser import split_code_and_text_blocks

ROOT = Path(__file__).resolve().parent.parent
PROSE = re.compile(r":(math|func|class|mod|meth|attr|data|ref|doc):`|^#\s*[-=~^]{4,}\s*$|^#\s*\.\. \w")


def prose_in_code(path: Path) -> list[tuple[int, str]]:
    """(line number, line) of every comment line in a code cell that looks like prose."""
    hits = []
    for kind, content, lineno in split_code_and_text_blocks(str(path))[1]:
        if kind != "code":
            continue
        for i, line in enumerate(content.splitlines()):
            s = line.strip()
            if s.startswith("#") and (s == "#" or PROSE.search(s)):
                hits.append((lineno + i, s))
    return hits


def main(argv: list[str]) -> int:
    pages = [Path(a) for a in argv] or sorted((ROOT / "gallery").glob("*/plot_*.py"))
    n = 0
    for page in pages:
        for lineno, line in prose_in_code(page):
            print(f"{page}:{lineno}: {line[:90]}")
            n += 1
    print(f"{n} prose line(s) in code cells")
    return 1 if n else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
