"""Checks that a graph drawing is readable: the geometry of a :class:`GraphLayout`."""

from __future__ import annotations

from nntheory import _checks
from nntheory.plotting.geometry import Rect, collinear_overlap, segment_meets_rect, shrink
from nntheory.plotting.layout import GraphLayout

__all__ = ["layout_problems"]


def layout_problems(layout: GraphLayout, tol: float = 1e-6) -> list:
    """Everything that would make a drawing unreadable, as a list of sentences (empty if none).

    Checks that no edge enters a box (it may touch its own two boxes' borders
    where it starts and ends), no two edges share a stretch of line, no label
    overlaps a box, another label or another edge, every text lies inside its
    box or label, and everything lies inside the drawing.

    Parameters
    ----------
    layout : GraphLayout
    tol : float, default 1e-6
        Slack in points: a box is shrunk by ``tol`` before testing whether a
        line enters it; shared stretches shorter than ``tol`` do not count.

    Returns
    -------
    list of str
    """
    if not isinstance(layout, GraphLayout):
        raise TypeError(f"layout must be a GraphLayout, got {type(layout).__name__}")
    tol = _checks.check_real(tol, "tol", low=0)
    problems = []
    frame = Rect(0.0, 0.0, layout.width, layout.height)
    name = {id(e): f"edge {e.parent.name}->{e.child.name} ({e.slot})" for e in layout.edges}
    segs = [(e, a, b) for e in layout.edges for a, b in zip(e.points[:-1], e.points[1:])]
    for box in layout.boxes:
        if not frame.contains(box.rect):
            problems.append(f"box {box.node.name} lies outside the drawing")
        for t in box.texts:
            if not box.rect.contains(t.rect):
                problems.append(f"text {t.text!r} sticks out of box {box.node.name}")
        inner = shrink(box.rect, tol)
        for e, a, b in segs:
            if segment_meets_rect(a, b, inner):
                problems.append(f"{name[id(e)]} passes through box {box.node.name}")
    for i, (e, a, b) in enumerate(segs):
        for f, c, d in segs[i + 1 :]:
            if f is not e and collinear_overlap(a, b, c, d, tol):
                problems.append(f"{name[id(e)]} and {name[id(f)]} share a stretch of line")
    labelled = [e for e in layout.edges if e.label_rect is not None]
    for i, e in enumerate(labelled):
        r = e.label_rect
        if not frame.contains(r):
            problems.append(f"label of {name[id(e)]} lies outside the drawing")
        if not r.contains(e.label.rect):
            problems.append(f"text of the label of {name[id(e)]} sticks out of it")
        problems += [f"label of {name[id(e)]} overlaps box {b.node.name}" for b in layout.boxes if r.overlaps(b.rect)]
        problems += [f"labels of {name[id(e)]} and {name[id(f)]} overlap" for f in labelled[i + 1 :] if r.overlaps(f.label_rect)]
        inner = shrink(r, tol)
        crossed = {id(f) for f, a, b in segs if f is not e and segment_meets_rect(a, b, inner)}
        problems += [f"{name[k]} crosses the label of {name[id(e)]}" for k in sorted(crossed, key=list(name).index)]
    return problems
