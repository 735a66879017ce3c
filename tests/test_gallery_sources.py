"""Gallery and library sources: prose renders as prose, and no string hides a control character.

Two defects the built site shows but no example's assertions catch: a comment
block that follows code without a ``# %%`` line stays in the code cell, where
its ``:math:`` roles render raw; and a backslash sequence such as ``\\v`` in a
non-raw string (``"\\varepsilon"``) becomes a control character. A third,
related one: an *unknown* escape such as ``\\g`` in ``":math:`\\gamma`"`` is
kept as written today but is a ``SyntaxWarning`` (Python 3.12) on its way to
an error; such text belongs in a raw string.
"""

import ast
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from check_text_cells import prose_in_code  # noqa: E402

PAGES = sorted(ROOT.glob("gallery/*/plot_*.py"))
SOURCES = PAGES + sorted(ROOT.glob("nntheory/**/*.py"))
# What "\alpha", "\beta", "\frac", "\rho", "\varepsilon" turn into in a non-raw string. A deliberate
# control character (the NUL a loader looks for to recognise a binary file) is written as "\x00" and allowed.
LATEX_LIKE_ESCAPES = "\a\b\f\r\v"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_no_prose_in_code_cells(page):
    assert prose_in_code(page) == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_control_characters_in_strings(source):
    tree = ast.parse(source.read_text(encoding="utf-8"))
    bad = [
        (node.lineno, repr(c))
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for c in node.value
        if c in LATEX_LIKE_ESCAPES
    ]
    assert bad == [], f"control characters (a backslash escape in a non-raw string?): {bad}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_invalid_escape_sequences(source):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # DeprecationWarning (3.11) / SyntaxWarning (3.12+) -> SyntaxError
        compile(source.read_text(encoding="utf-8"), str(source), "exec")
