"""Checks that a graph drawing is readable: the geometry of a :class:`GraphLayout`, and the text of a figure."""

from __future__ import annotations

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.spines import Spine
from matplotlib.text import Text

from nntheory import _checks

from nntheory.plotting.geometry import (
    Rect,
    collinear_overlap,
    polygon_meets_rect,
    polygon_meets_segment,
    polygons_meet,
    segment_distance,
    segment_meets_rect,
    segments_meet,
    shrink,
)
from nntheory.plotting.layout import GraphLayout, arrow_head

__all__ = ["layout_problems", "figure_text_problems"]


def _boxes_within(a, b, c, d, gap) -> bool:
    """Whether the bounding boxes of segments a-b and c-d come within ``gap`` of each other (a cheap pre-test)."""
    return not (max(a[0], b[0]) + gap < min(c[0], d[0]) or max(c[0], d[0]) + gap < min(a[0], b[0]) or max(a[1], b[1]) + gap < min(c[1], d[1]) or max(c[1], d[1]) + gap < min(a[1], b[1]))


def layout_problems(layout: GraphLayout, tol: float = 1e-6, min_gap: float = 2.0) -> list:
    """Everything that would make a drawing unreadable, as a list of sentences (empty if none).

    The checks run on the layout's geometry, in points, which is what
    :func:`draw_graph` draws (the arrow heads are the triangles of
    :func:`~nntheory.plotting.layout.arrow_head`). They are:

    * no edge enters a box (it may touch its own two boxes' borders where it
      starts and ends);
    * no two edges share a stretch of line, and two edges that do not cross
      keep at least ``min_gap`` apart (centre line to centre line);
    * no arrow head enters a box (its tip touches its own box's border), a
      label, another arrow head or another edge;
    * no label overlaps a box, another label or another edge;
    * every text lies inside its box or label;
    * every box, label, edge and arrow head lies inside the drawing.

    Text outside the layout, such as a title set on the axes, is out of its
    reach: :func:`figure_text_problems` checks that on the drawn figure.

    Parameters
    ----------
    layout : GraphLayout
    tol : float, default 1e-6
        Slack in points: a box or label is shrunk by ``tol`` before testing
        whether a line or head enters it; shared stretches shorter than
        ``tol`` do not count.
    min_gap : float, default 2.0
        Smallest distance, in points, between two segments of different
        edges that do not meet. Lines are drawn 1.3 points wide, so 2 points
        leave a visible gap.

    Returns
    -------
    list of str
    """
    if not isinstance(layout, GraphLayout):
        raise TypeError(f"layout must be a GraphLayout, got {type(layout).__name__}")
    tol = _checks.check_real(tol, "tol", low=0)
    min_gap = _checks.check_real(min_gap, "min_gap", low=0)
    problems = []
    frame = Rect(0.0, 0.0, layout.width, layout.height)
    name = {id(e): f"edge {e.parent.name}->{e.child.name} ({e.slot})" for e in layout.edges}
    segs = [(e, a, b) for e in layout.edges for a, b in zip(e.points[:-1], e.points[1:])]
    heads = [(e, arrow_head(e, layout.fontsize)) for e in layout.edges]
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
        for e, head in heads:
            if polygon_meets_rect(head, inner):
                problems.append(f"the arrow head of {name[id(e)]} enters box {box.node.name}")
    for e in layout.edges:
        if not all(frame.contains(Rect(x, y, x, y)) for x, y in e.points):
            problems.append(f"{name[id(e)]} leaves the drawing")
    for e, head in heads:
        if not all(frame.contains(Rect(x, y, x, y)) for x, y in head):
            problems.append(f"the arrow head of {name[id(e)]} leaves the drawing")
    for i, (e, a, b) in enumerate(segs):
        for f, c, d in segs[i + 1 :]:
            if f is e:
                continue
            if collinear_overlap(a, b, c, d, tol):
                problems.append(f"{name[id(e)]} and {name[id(f)]} share a stretch of line")
            elif _boxes_within(a, b, c, d, min_gap) and not segments_meet(a, b, c, d) and segment_distance(a, b, c, d) < min_gap:
                problems.append(f"{name[id(e)]} and {name[id(f)]} run closer than {min_gap:g} pt without crossing")
    for i, (e, head) in enumerate(heads):
        for f, a, b in segs:
            if f is not e and polygon_meets_segment(head, a, b):
                problems.append(f"{name[id(f)]} passes through the arrow head of {name[id(e)]}")
        for f, other in heads[i + 1 :]:
            if polygons_meet(head, other):
                problems.append(f"the arrow heads of {name[id(e)]} and {name[id(f)]} overlap")
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
        problems += [f"the arrow head of {name[id(f)]} overlaps the label of {name[id(e)]}" for f, head in heads if polygon_meets_rect(head, inner)]
    return problems


def figure_text_problems(fig: Figure, tol: float = 0.5) -> list:
    """Every piece of text that the figure would clip, as a list of sentences (empty if none).

    Draws ``fig`` and checks that the window extent of every text it draws
    lies inside the figure: titles, axis labels and tick labels (of axes
    that are shown), legends, free text, and the text of graph drawings
    (drawn as paths by :func:`draw_graph`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    tol : float, default 0.5
        Slack in pixels.

    Returns
    -------
    list of str
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    tol = _checks.check_real(tol, "tol", low=0)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    items = []  # (description, Bbox in pixels)

    def walk(artist: Artist):
        if not artist.get_visible():
            return
        if isinstance(artist, Axis):  # the tick labels actually drawn, and the axis label
            box = artist.get_tightbbox(renderer)
            if box is not None:
                items.append((f"the labels of the {artist.axis_name}-axis", box))
            return
        if isinstance(artist, Text):
            if artist.get_text():
                items.append((f"text {artist.get_text()!r}", artist.get_window_extent(renderer)))
            return
        if isinstance(artist, PathPatch) and str(artist.get_gid()).startswith(("text:", "labeltext:")):
            items.append((f"graph text {artist.get_gid()}", artist.get_window_extent(renderer)))
            return
        children = artist.get_children()
        if isinstance(artist, Axes) and not artist.axison:  # as Axes.draw: no axes, no spines
            children = [c for c in children if not isinstance(c, (Axis, Spine))]
        for child in children:
            walk(child)

    walk(fig)
    return [
        f"{what} sticks out of the figure: ({box.x0:.1f}, {box.y0:.1f}) to ({box.x1:.1f}, {box.y1:.1f}) px in a {frame.width:.0f} x {frame.height:.0f} px figure"
        for what, box in items
        if box.x0 < frame.x0 - tol or box.y0 < frame.y0 - tol or box.x1 > frame.x1 + tol or box.y1 > frame.y1 + tol
    ]
