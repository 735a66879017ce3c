"""The text of a graph drawing: mathtext for names, formulas and numbers, and its measured ink."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath

from nntheory.autodiff import Node
from nntheory.plotting.geometry import Rect

__all__ = ["TextItem"]

FONT = FontProperties(family="DejaVu Sans")


@dataclass(frozen=True)
class TextItem:
    """One line of text: ``text`` (mathtext) drawn at ``size`` points from ``origin``; ``rect`` is its ink."""

    text: str
    size: float
    origin: tuple
    rect: Rect


@lru_cache(maxsize=4096)
def ink(text: str, size: float) -> tuple:
    """Ink extents (x, y, width, height) of ``text`` drawn with its origin at (0, 0), in points."""
    return tuple(TextPath((0, 0), text, size=size, prop=FONT).get_extents().bounds)


def centred_text(text: str, size: float, cx: float, cy: float) -> TextItem:
    """A line of text whose ink is centred on (cx, cy)."""
    x, y, w, h = ink(text, size)
    ox, oy = cx - x - w / 2, cy - y - h / 2
    return TextItem(text, size, (ox, oy), Rect(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))


def _math_name(name: str) -> tuple:
    """(base, subscript) of a node name in mathtext: "v12" -> ("v", "12"); "loss" -> (r"\\mathrm{loss}", "")."""
    m = re.fullmatch(r"([A-Za-z])(\d*)", name)
    if m:
        return m.group(1), m.group(2)
    return r"\mathrm{" + re.sub(r"([_$#%&{}])", r"\\\1", name.replace("\\", "/")) + "}", ""


def _decorated(name: str, accent: str = "") -> str:
    base, sub = _math_name(name)
    if accent:
        base = (rf"\{accent}{{{base}}}" if len(base) == 1 else rf"\{'overline' if accent == 'bar' else accent}{{{base}}}")
    return base + (f"_{{{sub}}}" if sub else "")


_FORMULAS = {
    "add": "{0} + {1}", "sub": "{0} - {1}", "mul": r"{0} \cdot {1}", "div": "{0} / {1}", "pow": "{0}^{{{1}}}",
    "neg": "-{0}", "exp": "e^{{{0}}}", "log": r"\log\,{0}", "sin": r"\sin\,{0}", "cos": r"\cos\,{0}",
    "tanh": r"\tanh\,{0}", "sigmoid": r"\sigma({0})", "relu": r"\mathrm{{relu}}({0})",
}


def _formula(node: Node, drawn: set, num: Callable) -> str:
    """The operation producing ``node`` in mathtext, e.g. ``v_{1} / v_{4}``."""
    args = []
    for p in node.parents:
        if p.op == "const" and p not in drawn:
            s = num(p.value)
            args.append(f"({s})" if s.startswith("-") else s)
        else:
            args.append(_decorated(p.name))
    m = re.fullmatch(r"pow(.+)", node.op)
    if node.op in _FORMULAS:
        return _FORMULAS[node.op].format(*args)
    if m:
        return f"{args[0]}^{{{m.group(1)}}}"
    return r"\mathrm{" + node.op + "}(" + ", ".join(args) + ")"


def default_fmt(v: float) -> str:
    return f"{v:.4g}"


def numberer(fmt: Callable[[float], str]) -> Callable[[float], str]:
    """Wrap ``fmt`` so that e-notation becomes a power of ten in mathtext."""

    def num(v):
        s = str(fmt(float(v)))
        m = re.fullmatch(r"(-?[\d.]+)e([-+]?)0*(\d+)", s)
        if m:
            s = rf"{m.group(1)}\times10^{{{'-' if m.group(2) == '-' else ''}{m.group(3)}}}"
        return s

    return num


def node_lines(nodes, edges, values, output, drawn, sweep, show_tangents, num):
    """The lines of mathtext in each box."""
    lines = {}
    for n in nodes:
        name = _decorated(n.name)
        if sweep == "reverse":
            # Contributions in the order the sweep adds them: latest consumer first.
            terms = [v for (p, c, _), v in sorted(zip(edges, values), key=lambda ev: -ev[0][1].index) if p is n]
            bar = _decorated(n.name, "bar")
            if n is output or len(terms) < 2:
                lines[n] = [f"${bar} = {num(n.grad)}$"]
            else:
                total = num(terms[0]) + "".join((" + " + num(t)) if t >= 0 else (" - " + num(-t)) for t in terms[1:])
                lines[n] = [f"${bar}$", f"$= {total}$", f"$= {num(n.grad)}$"]
        elif n.op == "input":
            lines[n] = [f"${name} = {num(n.value)}$"]
        elif n.op == "const":
            lines[n] = [f"${num(n.value)}$"]
        else:
            lines[n] = [f"${name} = {_formula(n, drawn, num)}$", f"$= {num(n.value)}$"]
        if show_tangents and sweep == "forward":
            lines[n].append(f"${_decorated(n.name, 'dot')} = {num(n.tangent)}$")
    return lines
