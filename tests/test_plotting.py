"""Tests of nntheory.plotting: the graph drawing is readable, and shows the right numbers.

Readability is checked geometrically, with code independent of the library's
own checks (matplotlib's ``Path.intersects_bbox``, ``Path.intersects_path``
and ``Bbox.overlaps``, and point sampling for stretches of line that two
edges share or run along less than 2 points apart), on two representations:

* the layout, in points: boxes, edge polylines, labels and texts as the
  layout computed them;
* the drawn artists, in pixels, after a draw: every box, edge, arrow head,
  label and text patch, found by its ``gid``, with the arrow heads checked
  against boxes, labels, edges and each other; and every text of the figure,
  titles included, checked to lie inside the figure.

The drawings the two gallery pages publish are checked as published: the
test runs each page and checks every figure it draws. The numbers on the
drawings are checked against torch.autograd and the closed forms of the two
gallery exercises (nndl-s2/m1 and dl-sheet/1).
"""

import dataclasses
import math
import runpy
from fractions import Fraction
from pathlib import Path as FilePath

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.path import Path
from matplotlib.transforms import Bbox

from nntheory import autodiff as ad
from nntheory.plotting import draw_graph, figure_text_problems, graph_layout, graph_panels, layout_problems, plot_graph

GALLERY = FilePath(__file__).resolve().parents[1] / "gallery" / "01_autodiff"
MIN_GAP = 2.0  # points between the centre lines of two edges that do not cross

# ---------------------------------------------------------------------------
# The two gallery graphs.
# ---------------------------------------------------------------------------


def nndl_m1_graph(a=2.0, b=1.0):
    """z(a, b) = a^2 / (a^2 + b^2 + 1) as on the gallery page: v1 = a^2 is used twice."""
    g = ad.Graph()
    an, bn = g.input(a, "a"), g.input(b, "b")
    v1 = an**2
    v2 = bn**2
    v3 = v1 + v2
    v4 = v3 + 1
    z = v1 / v4
    return g, {"a": an, "b": bn, "v1": v1, "v2": v2, "v3": v3, "v4": v4, "v5": z}


def dl_sheet_graph(x=0.5):
    """y(x) = exp(e^x + e^2x) + sin(e^x + e^2x) on its minimal graph."""
    g = ad.Graph()
    xn = g.input(x, "x")
    f1 = ad.exp(xn)
    f2 = f1**2
    f3 = f1 + f2
    f4 = ad.exp(f3)
    f5 = ad.sin(f3)
    y = f4 + f5
    nodes = {"x": xn, "f1": f1, "f2": f2, "f3": f3, "f4": f4, "f5": f5, "y": y}
    for name, node in nodes.items():
        node.name = name
    return g, nodes


def fraction(v):
    return str(Fraction(v).limit_denominator(100))


# ---------------------------------------------------------------------------
# Independent geometry.
# ---------------------------------------------------------------------------


# Path.intersects_bbox(..., filled=False) is True when a segment of the open
# polyline meets the box or lies inside it; filled=True would close the
# polyline into a polygon and flag boxes merely enclosed by it.


def _bbox(r, shrink=0.0):
    return Bbox.from_extents(r[0] + shrink, r[1] + shrink, r[2] - shrink, r[3] - shrink)


def _distances(p, q, n=200):
    """Distances from n points spread evenly along segment p (ends included) to segment q."""
    (a, b), (c, d) = np.asarray(p, float), np.asarray(q, float)
    pts = a + np.linspace(0.0, 1.0, n)[:, None] * (b - a)
    cd = d - c
    u = np.clip(((pts - c) @ cd) / max(cd @ cd, 1e-300), 0.0, 1.0)[:, None]
    return np.hypot(*(pts - (c + u * cd)).T)


def _shares_stretch(p, q, tol, n=200):
    """True if more than a sliver of segment p lies on segment q."""
    on = _distances(p, q, n) < tol
    return on.sum() * np.hypot(*np.subtract(p[1], p[0])) / (n - 1) > 10 * tol


def _too_close(p, q, gap):
    """True if segments p and q do not cross, yet come closer than ``gap`` (two segments
    that do not meet are closest at an end of one of them, which the samples include)."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    if np.any(p.min(0) - gap > q.max(0)) or np.any(q.min(0) - gap > p.max(0)):
        return False  # their bounding boxes are more than gap apart
    if Path(np.asarray(p, float)).intersects_path(Path(np.asarray(q, float)), filled=False):
        return False
    return min(_distances(p, q).min(), _distances(q, p).min()) < gap


def _closed(poly):
    poly = np.asarray(poly, float)
    return Path(np.vstack([poly, poly[:1]]), closed=True)


def geometry_violations(boxes, edges, labels, texts, tol, gap, heads=None):
    """Readability violations of a drawing given as plain coordinates.

    boxes: list of (x0, y0, x1, y1); edges: list of (k, 2) polylines;
    labels: dict edge index -> (x0, y0, x1, y1); texts: list of
    (inner rect, container rect); heads: dict edge index -> (3, 2) triangle.
    Returns a list of strings.
    """
    heads = heads or {}
    out = []
    for i, pts in enumerate(edges):
        path = Path(np.asarray(pts))
        for k, r in enumerate(boxes):
            if path.intersects_bbox(_bbox(r, tol), filled=False):
                out.append(f"edge {i} enters box {k}")
        for j, lab in labels.items():
            if j != i and path.intersects_bbox(_bbox(lab, tol), filled=False):
                out.append(f"edge {i} crosses label {j}")
    segs = [(i, s) for i, pts in enumerate(edges) for s in zip(pts[:-1], pts[1:])]
    for m, (i, s) in enumerate(segs):
        for j, t in segs[m + 1 :]:
            if i == j:
                continue
            if _shares_stretch(s, t, tol) or _shares_stretch(t, s, tol):
                out.append(f"edges {i} and {j} share a stretch")
            elif _too_close(s, t, gap):
                out.append(f"edges {i} and {j} run closer than {gap:.2f} without crossing")
    for i, tri in heads.items():
        head = _closed(tri)
        out += [f"head {i} enters box {k}" for k, r in enumerate(boxes) if head.intersects_bbox(_bbox(r, tol), filled=True)]
        out += [f"head {i} overlaps label {j}" for j, lab in labels.items() if head.intersects_bbox(_bbox(lab, tol), filled=True)]
        out += [f"edge {j} passes through head {i}" for j, pts in enumerate(edges) if j != i and head.intersects_path(Path(np.asarray(pts)), filled=True)]
        out += [f"heads {i} and {j} overlap" for j, other in heads.items() if j > i and head.intersects_path(_closed(other), filled=True)]
    labs = list(labels.items())
    for m, (i, lab) in enumerate(labs):
        out += [f"label {i} overlaps box {k}" for k, r in enumerate(boxes) if _bbox(lab).overlaps(_bbox(r))]
        out += [f"labels {i} and {j} overlap" for j, other in labs[m + 1 :] if _bbox(lab).overlaps(_bbox(other))]
    for k, (inner, outer) in enumerate(texts):
        if not (outer[0] - tol <= inner[0] and inner[2] <= outer[2] + tol and outer[1] - tol <= inner[1] and inner[3] <= outer[3] + tol):
            out.append(f"text {k} sticks out")
    return out


def _ext(r):
    return (r.x0, r.y0, r.x1, r.y1)


def layout_violations(layout, tol=1e-6):
    """The checks on the layout, in points (arrow heads are not part of a layout: they are checked as drawn)."""
    boxes = [_ext(b.rect) for b in layout.boxes]
    edges = [e.points for e in layout.edges]
    labels = {j: _ext(e.label_rect) for j, e in enumerate(layout.edges) if e.label_rect is not None}
    texts = [(_ext(t.rect), _ext(b.rect)) for b in layout.boxes for t in b.texts]
    texts += [(_ext(e.label.rect), _ext(e.label_rect)) for e in layout.edges if e.label is not None]
    out = geometry_violations(boxes, edges, labels, texts, tol, MIN_GAP - tol)
    frame = (0.0, 0.0, layout.width, layout.height)
    everything = boxes + list(labels.values()) + [(*e.min(0), *e.max(0)) for e in edges]
    out += [f"{r} outside the drawing" for r in everything if not (r[0] >= -tol and r[1] >= -tol and r[2] <= frame[2] + tol and r[3] <= frame[3] + tol)]
    return out


def rendered_violations(ax, tol=0.75):
    """The same checks on the artists drawn on ``ax``, in pixels, after a draw.

    Everything is read back from the figure: the artists are found by their
    gids (``box:i``, ``text:i:k``, ``edge:j``, ``head:j``, ``label:j``,
    ``labeltext:j``), their extents and vertices transformed to pixels.
    """
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    by_gid = {a.get_gid(): a for a in ax.patches if a.get_gid()}

    def ids(kind):
        return sorted(int(g.split(":")[1]) for g in by_gid if g.split(":")[0] == kind)

    def extent(a):
        return tuple(a.get_window_extent(renderer).extents)

    def pixels(a):
        return a.get_transform().transform(a.get_path().vertices)

    assert ids("box") == list(range(len(ids("box")))) and ids("edge") == list(range(len(ids("edge"))))
    assert ids("head") == ids("edge")  # one head per edge
    boxes = [extent(by_gid[f"box:{i}"]) for i in ids("box")]
    edges = [pixels(by_gid[f"edge:{j}"]) for j in ids("edge")]
    heads = {j: pixels(by_gid[f"head:{j}"])[:3] for j in ids("head")}
    labels = {j: extent(by_gid[f"label:{j}"]) for j in ids("label")}
    texts = [(extent(a), boxes[int(g.split(":")[1])]) for g, a in by_gid.items() if g.startswith("text:")]
    texts += [(extent(a), labels[int(g.split(":")[1])]) for g, a in by_gid.items() if g.startswith("labeltext:")]
    return geometry_violations(boxes, edges, labels, texts, tol, MIN_GAP * fig.dpi / 72 - tol, heads)


def clipped_text(fig, tol=0.5):
    """Texts of the figure whose extent, after a draw, is not inside the figure: titles, free text, legends and graph text."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = list(fig.texts) + [t for ax in fig.axes for t in (ax.title, *ax.texts)]
    texts += [t for ax in fig.axes if ax.get_legend() is not None for t in ax.get_legend().get_texts()]
    extents = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_visible() and t.get_text()]
    extents += [(a.get_gid(), a.get_window_extent(renderer)) for ax in fig.axes for a in ax.patches if str(a.get_gid()).startswith(("text:", "labeltext:"))]
    w, h = fig.canvas.get_width_height()
    return [(what, tuple(np.round(e.extents, 1))) for what, e in extents if e.x0 < -tol or e.y0 < -tol or e.x1 > w + tol or e.y1 > h + tol]


# ---------------------------------------------------------------------------
# The two gallery drawings.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["nndl", "dl"])
@pytest.mark.parametrize("sweep", ["forward", "reverse"])
def test_gallery_drawings_are_readable(which, sweep):
    g, n = nndl_m1_graph() if which == "nndl" else dl_sheet_graph()
    out = n["v5"] if which == "nndl" else n["y"]
    g.backward(out)
    g.tangents({n["a"] if which == "nndl" else n["x"]: 1.0})
    layout = graph_layout(g, out, sweep=sweep, fontsize=12, fmt=fraction if which == "nndl" else None, show_tangents=(which == "dl" and sweep == "forward"))
    assert layout_violations(layout) == []
    assert layout_problems(layout) == []
    fig, (ax,) = graph_panels([layout])
    draw_graph(layout, ax)
    assert rendered_violations(ax) == []
    # The panel is exactly the layout's size, so the text has its nominal size.
    w, h = ax.get_window_extent().size / fig.dpi
    assert (w, h) == pytest.approx(layout.size_inches, abs=1.5 / fig.dpi)
    plt.close(fig)


@pytest.mark.parametrize("page, n_drawings", [("plot_01_reverse_mode_by_hand.py", 2), ("plot_02_forward_and_reverse_mode.py", 3)])
def test_published_drawings_are_readable(page, n_drawings, monkeypatch):
    """Run the gallery page and check every graph drawing it publishes, as drawn, titles included."""
    plt.close("all")
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    runpy.run_path(str(GALLERY / page), run_name="__main__")
    figures = [plt.figure(k) for k in plt.get_fignums()]
    drawings = [ax for fig in figures for ax in fig.axes if any(str(a.get_gid()).startswith("box:") for a in ax.patches)]
    assert len(drawings) == n_drawings
    for ax in drawings:
        assert rendered_violations(ax) == []
        assert ax.get_title()  # every drawing says what it shows
    for fig in figures:
        assert clipped_text(fig) == []
    plt.close("all")


def test_titled_panels_are_as_wide_as_their_titles():
    g, n = nndl_m1_graph()
    layout = graph_layout(g, n["v5"], fontsize=12)
    long_title = "a title much wider than the drawing under it, " * 3
    fig, (ax,) = graph_panels([layout], titles=[long_title])
    draw_graph(layout, ax)
    assert clipped_text(fig) == [] and figure_text_problems(fig) == []
    assert fig.get_size_inches()[0] > layout.size_inches[0] + 1.0
    w, h = ax.get_window_extent().size / fig.dpi  # the panel keeps its natural size
    assert (w, h) == pytest.approx(layout.size_inches, abs=1.5 / fig.dpi)
    plt.close(fig)
    # The same title set by hand on an untitled panel sticks out, and both checks say so.
    fig, (ax,) = graph_panels([layout])
    draw_graph(layout, ax)
    ax.set_title(long_title, fontsize=12)
    assert clipped_text(fig) and any(long_title.strip()[:20] in p for p in figure_text_problems(fig))
    plt.close(fig)


def test_every_edge_is_drawn_on_its_own():
    """The finding behind these tests: v1 -> v5 skips two columns and must not run behind v3 and v4."""
    g, n = nndl_m1_graph()
    layout = graph_layout(g, n["v5"], fontsize=12)
    pairs = sorted((e.parent.name, e.child.name) for e in layout.edges)
    assert pairs == sorted([("a", "v1"), ("b", "v2"), ("v1", "v3"), ("v2", "v3"), ("v3", "v4"), ("v4", "v5"), ("v1", "v5")])
    skip = next(e for e in layout.edges if (e.parent.name, e.child.name) == ("v1", "v5"))
    for name in ("v3", "v4"):
        r = layout.box(n[name]).rect
        assert not Path(skip.points).intersects_bbox(_bbox(_ext(r), -3.0), filled=False)  # 3 pt clear of the box
    # f1 -> f3 on the dl-sheet graph skips the column of f2.
    g, n = dl_sheet_graph()
    layout = graph_layout(g, n["y"], fontsize=12)
    skip = next(e for e in layout.edges if (e.parent.name, e.child.name) == ("f1", "f3"))
    assert not Path(skip.points).intersects_bbox(_bbox(_ext(layout.box(n["f2"]).rect), -3.0), filled=False)


# ---------------------------------------------------------------------------
# Random small graphs.
# ---------------------------------------------------------------------------


@st.composite
def random_graphs(draw):
    g = ad.Graph()
    nodes = [g.input(draw(st.floats(0.2, 1.5)), f"x{i}") for i in range(draw(st.integers(1, 3)))]
    for _ in range(draw(st.integers(1, 9))):
        kind = draw(st.sampled_from(["add", "mul", "sub", "div", "sin", "tanh", "sq", "addc", "neg"]))
        u = nodes[draw(st.integers(0, len(nodes) - 1))]
        w = nodes[draw(st.integers(0, len(nodes) - 1))]  # may equal u: an edge drawn twice
        nodes.append({
            "add": lambda: u + w, "mul": lambda: u * w, "sub": lambda: u - w, "div": lambda: u / (1.0 + w * w),
            "sin": lambda: ad.sin(u), "tanh": lambda: ad.tanh(u), "sq": lambda: u**2, "addc": lambda: u + 2.5, "neg": lambda: -u,
        }[kind]())
    output = nodes[draw(st.integers(len(nodes) // 2, len(nodes) - 1))]
    return g, output


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_graphs(), sweep=st.sampled_from(["forward", "reverse"]), show_constants=st.booleans(), fontsize=st.sampled_from([8.0, 12.0]))
def test_random_graph_layouts_are_readable(case, sweep, show_constants, fontsize):
    g, output = case
    g.backward(output)
    layout = graph_layout(g, output, sweep=sweep, show_constants=show_constants, fontsize=fontsize)
    assert layout_violations(layout) == []
    assert layout_problems(layout) == []
    # Every dependency of the output is drawn exactly once per argument slot.
    drawn = {b.node for b in layout.boxes}
    expected = sorted((c.index, slot) for c in drawn for slot, p in enumerate(c.parents) if p in drawn)
    assert sorted((e.child.index, e.slot) for e in layout.edges) == expected


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_graphs(), sweep=st.sampled_from(["forward", "reverse"]))
def test_random_graph_drawings_are_readable_when_rendered(case, sweep):
    g, output = case
    g.backward(output)
    layout = graph_layout(g, output, sweep=sweep, fontsize=10)
    fig, (ax,) = graph_panels([layout], title_height=0.0)
    draw_graph(layout, ax)
    assert rendered_violations(ax) == []
    assert clipped_text(fig) == [] and figure_text_problems(fig) == []
    plt.close(fig)


def test_figure_text_problems_on_ordinary_axes():
    """Titles, axis labels, tick labels and legends: flagged when cut off, not when inside."""
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.loglog([1, 10, 100], [1, 5, 30], label="a line")
    ax.set(xlabel="x", ylabel="y", title="short")
    ax.legend()
    assert figure_text_problems(fig) == [] and clipped_text(fig) == []
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1])
    ax.set_title("a title far too long for a figure four inches wide, " * 2)
    ax.text(1.2, 0.5, "text beyond the right edge", transform=ax.transAxes)
    found = figure_text_problems(fig)
    assert any(p.startswith("text 'a title far too long") for p in found) and any("beyond the right edge" in p for p in found)
    assert len(clipped_text(fig)) == 2
    ax.set_axis_off()  # hidden axes: their tick labels are not drawn, so not checked
    ax.set_title("")
    ax.texts[0].remove()
    assert figure_text_problems(fig) == []
    plt.close(fig)


# ---------------------------------------------------------------------------
# The library's segment geometry against matplotlib and sampling.
# ---------------------------------------------------------------------------

coords = st.floats(-10.0, 10.0, allow_nan=False)
segments = st.tuples(st.tuples(coords, coords), st.tuples(coords, coords)).filter(lambda s: s[0] != s[1])


@settings(max_examples=300, deadline=None)
@given(p=segments, q=segments)
def test_segment_distance_and_meeting(p, q):
    from nntheory.plotting.geometry import segment_distance, segments_meet

    meet = segments_meet(*p, *q)
    crossing = Path(np.asarray(p)).intersects_path(Path(np.asarray(q)), filled=False)
    sampled = min(_distances(p, q).min(), _distances(q, p).min())
    if meet:
        assert segment_distance(*p, *q) == 0.0
        assert crossing or sampled < 1e-9  # matplotlib agrees, or the two touch at an end
    else:
        assert not crossing or sampled < 1e-9
        # Segments that do not meet are closest at an end of one of them: the samples include the ends.
        assert segment_distance(*p, *q) == pytest.approx(sampled, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------
# The library's own check flags broken layouts.
# ---------------------------------------------------------------------------


def _with_edge(layout, j, edge):
    """``layout`` with its edge ``j`` replaced by ``edge``."""
    return dataclasses.replace(layout, edges=tuple(edge if k == j else f for k, f in enumerate(layout.edges)))


def _drawn_violations(layout):
    """The violations :func:`rendered_violations` finds in ``layout`` as drawn (in pixels)."""
    fig, (ax,) = graph_panels([layout], title_height=0.0)
    draw_graph(layout, ax)
    found = rendered_violations(ax)
    plt.close(fig)
    return found


def test_layout_problems_flags_broken_layouts():
    g, n = nndl_m1_graph()
    good = graph_layout(g, n["v5"], fontsize=12)
    assert layout_problems(good) == []
    j = next(k for k, e in enumerate(good.edges) if (e.parent.name, e.child.name) == ("v1", "v5"))
    r3 = good.box(n["v3"]).rect
    # The old drawing: the skip edge straight through the boxes of v3 and v4.
    start, end = good.edges[j].points[0], good.edges[j].points[-1]
    through = np.array([start, ((r3.x0 + r3.x1) / 2, (r3.y0 + r3.y1) / 2), end])
    bad = _with_edge(good, j, dataclasses.replace(good.edges[j], points=through))
    found, oracle = layout_problems(bad), layout_violations(bad)
    assert any("v1->v5 (0) passes through box v3" in p for p in found), found
    assert any("enters box" in p for p in oracle)
    # Two labels on top of each other, and a label moved onto a box.
    e0, e1 = good.edges[0], good.edges[1]
    stacked = dataclasses.replace(good, edges=(e0, dataclasses.replace(e1, label_rect=e0.label_rect, label=e0.label)) + good.edges[2:])
    assert any("labels of" in p and "overlap" in p for p in layout_problems(stacked))
    on_box = dataclasses.replace(good, edges=(dataclasses.replace(e0, label_rect=good.boxes[0].rect),) + good.edges[1:])
    assert any("overlaps box" in p for p in layout_problems(on_box))
    # Two edges sharing a stretch of line.
    shared = dataclasses.replace(good, edges=(e0, dataclasses.replace(e1, points=e0.points.copy())) + good.edges[2:])
    assert any("share a stretch" in p for p in layout_problems(shared))
    assert any("share a stretch" in p for p in layout_violations(shared))
    # An edge moved to run 0.3 pt beside another along its whole length (lines are 1.3 pt wide).
    beside = dataclasses.replace(good, edges=(e0, dataclasses.replace(e1, points=e0.points + [0.0, 0.3])) + good.edges[2:])
    assert any("run closer than 2 pt" in p for p in layout_problems(beside))
    assert any("run closer than" in p for p in layout_violations(beside))
    # ... and 2.5 pt beside it: apart, as far as the separation goes.
    apart = dataclasses.replace(good, edges=(e0, dataclasses.replace(e1, points=e0.points + [0.0, 2.5])) + good.edges[2:])
    assert not any("run closer" in p or "share a stretch" in p for p in layout_problems(apart))
    assert not any("run closer" in p or "share a stretch" in p for p in layout_violations(apart))


def test_arrow_heads_are_checked_as_drawn():
    """An arrow head moved onto a label: flagged by the library (in points) and by the drawn artists (in pixels)."""
    g, n = nndl_m1_graph()
    good = graph_layout(g, n["v5"], fontsize=12)
    j = next(k for k, e in enumerate(good.edges) if (e.parent.name, e.child.name) == ("v1", "v5"))
    e = good.edges[j]
    r = next(f.label_rect for f in good.edges if f is not e and f.label_rect is not None)
    # The edge now ends, arrow head and all, in the middle of another edge's label.
    end = np.array([(r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2])
    moved = dataclasses.replace(e, points=np.array([e.points[0], end - [20.0, 0.0], end]))
    bad = _with_edge(good, j, moved)
    assert any("arrow head of edge v1->v5 (0) overlaps the label" in p for p in layout_problems(bad))
    assert any(p.startswith(f"head {j} overlaps label") for p in _drawn_violations(bad))
    # A head drawn into a box other than its own.
    box = good.box(n["v3"]).rect
    into = dataclasses.replace(e, points=np.array([e.points[0], [box.x0 - 20.0, (box.y0 + box.y1) / 2], [box.x0 + 3.0, (box.y0 + box.y1) / 2]]))
    bad = _with_edge(good, j, into)
    assert any("arrow head of edge v1->v5 (0) enters box v3" in p for p in layout_problems(bad))
    assert any(p.startswith(f"head {j} enters box") for p in _drawn_violations(bad))


# ---------------------------------------------------------------------------
# The numbers on the drawings, against torch.autograd and the closed forms.
# ---------------------------------------------------------------------------


def _torch_nndl(a=2.0, b=1.0):
    at = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    v = {"a": at, "b": bt}
    v["v1"] = at**2
    v["v2"] = bt**2
    v["v3"] = v["v1"] + v["v2"]
    v["v4"] = v["v3"] + 1
    v["v5"] = v["v1"] / v["v4"]
    for t in v.values():
        t.retain_grad()
    v["v5"].backward()
    return v


def test_nndl_drawing_shows_the_hand_computation():
    g, n = nndl_m1_graph()
    g.backward(n["v5"])
    fwd = graph_layout(g, n["v5"], fmt=fraction)
    rev = graph_layout(g, n["v5"], sweep="reverse", fmt=fraction)
    # Local partials on the forward edges: the quotient and power rules by hand.
    hand = {("a", "v1"): 4, ("b", "v2"): 2, ("v1", "v3"): 1, ("v2", "v3"): 1, ("v3", "v4"): 1, ("v1", "v5"): Fraction(1, 6), ("v4", "v5"): Fraction(-1, 9)}
    for e in fwd.edges:
        assert e.value == pytest.approx(float(hand[e.parent.name, e.child.name]), rel=1e-15)
        assert e.label.text == f"${fraction(e.value)}$"
    # Adjoints in the reverse boxes against torch.autograd (retain_grad on every intermediate).
    v = _torch_nndl()
    for box in rev.boxes:
        assert box.node.grad == pytest.approx(v[box.node.name].grad.item(), rel=1e-15, abs=1e-16)
        contributions = [e.value for e in rev.edges if e.parent is box.node]
        if contributions:  # the fan-out sum the reverse drawing shows
            assert sum(contributions) == pytest.approx(v[box.node.name].grad.item(), rel=1e-15)
    assert [t.text for t in rev.box(n["v1"]).texts] == [r"$\bar{v}_{1}$", "$= 1/6 - 1/9$", "$= 1/18$"]
    assert [t.text for t in fwd.box(n["v5"]).texts] == ["$v_{5} = v_{1} / v_{4}$", "$= 2/3$"]
    assert [t.text for t in fwd.box(n["v4"]).texts] == ["$v_{4} = v_{3} + 1$", "$= 6$"]


def test_dl_sheet_drawing_shows_tangents_and_adjoints():
    x0 = 0.5
    g, n = dl_sheet_graph(x0)
    g.tangents({n["x"]: 1.0})
    g.backward(n["y"])
    fwd = graph_layout(g, n["y"], show_tangents=True)
    rev = graph_layout(g, n["y"], sweep="reverse")
    # Closed-form local partials.
    f1 = math.exp(x0)
    f3 = f1 + f1**2
    hand = {("x", "f1"): f1, ("f1", "f2"): 2 * f1, ("f1", "f3"): 1.0, ("f2", "f3"): 1.0, ("f3", "f4"): math.exp(f3), ("f3", "f5"): math.cos(f3), ("f4", "y"): 1.0, ("f5", "y"): 1.0}
    for e in fwd.edges:
        assert e.value == pytest.approx(hand[e.parent.name, e.child.name], rel=1e-14)
    # The minus sign of d f5 / d f3 = cos f3 < 0 is on the label.
    neg = next(e for e in fwd.edges if (e.parent.name, e.child.name) == ("f3", "f5"))
    assert neg.value < 0 and neg.label.text.startswith("$-")
    # Tangents against torch.func.jvp, adjoints against torch.autograd.
    names = ["f1", "f2", "f3", "f4", "f5", "y"]

    def chain(x):
        t1 = torch.exp(x)
        t2 = t1**2
        t3 = t1 + t2
        t4 = torch.exp(t3)
        t5 = torch.sin(t3)
        return t1, t2, t3, t4, t5, t4 + t5

    xt = torch.tensor(x0, dtype=torch.float64)
    _, tangents = torch.func.jvp(chain, (xt,), (torch.ones((), dtype=torch.float64),))
    for name, tan in zip(names, tangents):
        assert n[name].tangent == pytest.approx(tan.item(), rel=1e-14)
        assert fwd.box(n[name]).texts[-1].text.startswith(r"$\dot{f}" if name != "y" else r"$\dot{y}")
    xg = xt.clone().requires_grad_(True)
    ts = chain(xg)
    for t in ts:
        t.retain_grad()
    ts[-1].backward()
    for name, t in zip(names, ts):
        assert n[name].grad == pytest.approx(t.grad.item(), rel=1e-14)
    assert n["x"].grad == pytest.approx(xg.grad.item(), rel=1e-14)
    # The fan-out of f1: its adjoint is the sum of two contributions, shown in its box.
    parts = [e.value for e in rev.edges if e.parent is n["f1"]]
    assert len(parts) == 2 and sum(parts) == pytest.approx(n["f1"].grad, rel=1e-15)
    assert [t.text for t in rev.box(n["f1"]).texts] == [r"$\bar{f}_{1}$", "$= 78.47 + 258.7$", "$= 337.2$"]


# ---------------------------------------------------------------------------
# Interface.
# ---------------------------------------------------------------------------


def test_plot_graph_keeps_its_signature_and_returns_the_axes():
    g, n = nndl_m1_graph()
    fig, ax = plt.subplots()
    assert plot_graph(g, output=n["v5"], ax=ax, fontsize=12) is ax
    assert plot_graph(g, n["v5"], ax, True, True, 10.0, sweep="forward") is not None
    plt.close("all")


def test_bad_input_is_refused():
    g, n = nndl_m1_graph()
    other, _ = nndl_m1_graph()
    with pytest.raises(TypeError, match="graph must be a Graph"):
        graph_layout("not a graph")
    with pytest.raises(ValueError, match="graph is empty"):
        graph_layout(ad.Graph())
    with pytest.raises(ValueError, match="output must be a Node of graph"):
        graph_layout(g, other.nodes[-1])
    with pytest.raises(ValueError, match="sweep must be"):
        graph_layout(g, sweep="backward")
    with pytest.raises(ValueError, match="fontsize"):
        graph_layout(g, fontsize=-1)
    with pytest.raises(TypeError, match="fmt must be callable"):
        graph_layout(g, fmt="{:.3f}")
    with pytest.raises(ValueError, match="call graph.backward"):
        graph_layout(g, n["v5"], sweep="reverse")
    with pytest.raises(ValueError, match="call graph.tangents"):
        graph_layout(g, n["v5"], show_tangents=True)
    with pytest.raises(TypeError, match="layout must be a GraphLayout"):
        layout_problems(g)
    with pytest.raises(TypeError, match="layout must be a GraphLayout"):
        draw_graph(g)
    with pytest.raises(TypeError, match="layouts must be"):
        graph_panels([])
