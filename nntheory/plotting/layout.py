"""The layered layout of a computational graph: boxes, edge routes and labels, in points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from nntheory import _checks
from nntheory.autodiff import Graph, Node
from nntheory.plotting.geometry import Rect
from nntheory.plotting.labels import default_fmt, ink, node_lines, numberer, centred_text

__all__ = ["NodeBox", "EdgeRoute", "GraphLayout", "graph_layout", "arrow_head"]


@dataclass(frozen=True, eq=False)
class NodeBox:
    """A drawn node: its box, its kind (input, op, const, output) and its lines of text."""

    node: Node
    kind: str
    rect: Rect
    texts: tuple


@dataclass(frozen=True, eq=False)
class EdgeRoute:
    """A drawn edge ``parent -> child`` (``slot``: which argument of ``child``).

    ``points`` (shape (k, 2)) is the polyline from the parent's box to the
    child's box; ``value`` is the number on the label (the local partial in a
    forward drawing, the adjoint contribution in a reverse one); the arrow
    head sits at ``arrow_at`` ("child" or "parent").
    """

    parent: Node
    child: Node
    slot: int
    points: np.ndarray
    value: float
    label: TextItem | None
    label_rect: Rect | None
    arrow_at: str


@dataclass(frozen=True, eq=False)
class GraphLayout:
    """The geometry of a graph drawing, in points; ``(0, 0)`` is the lower left corner."""

    boxes: tuple
    edges: tuple
    width: float
    height: float
    fontsize: float
    sweep: str

    @property
    def size_inches(self) -> tuple:
        """Figure size at which the text has its nominal size (72 points per inch)."""
        return (self.width / 72.0, self.height / 72.0)

    def box(self, node: Node) -> NodeBox:
        """The box of ``node`` (a ``KeyError`` if it is not drawn)."""
        for b in self.boxes:
            if b.node is node:
                return b
        raise KeyError(node.name)


def _returns_str(fmt: Callable[[float], str]) -> Callable[[float], str]:
    def checked(v: float) -> str:
        text = fmt(v)
        if not isinstance(text, str):
            raise TypeError(f"fmt must return a str, got {type(text).__name__} for {v!r}")
        return text

    return checked


def arrow_head(edge: EdgeRoute, fontsize: float) -> np.ndarray:
    """The arrow head of ``edge`` as a triangle, shape (3, 2), in points: tip first.

    The tip is the end of the polyline at ``edge.arrow_at`` (on the border of
    that box); the head is ``0.6 * fontsize`` long and ``0.44 * fontsize``
    wide, along the polyline's last (or first) stretch.
    """
    if not isinstance(edge, EdgeRoute):
        raise TypeError(f"edge must be an EdgeRoute (from graph_layout(...).edges), got {type(edge).__name__}")
    fontsize = _checks.check_real(fontsize, "fontsize", low=0, low_open=True)
    pts = edge.points
    tip, prev = (pts[-1], pts[-2]) if edge.arrow_at == "child" else (pts[0], pts[1])
    u = (tip - prev) / np.hypot(*(tip - prev))
    n = np.array([-u[1], u[0]])
    back = tip - 0.6 * fontsize * u
    return np.array([tip, back + 0.22 * fontsize * n, back - 0.22 * fontsize * n])


def _isotonic(values: list) -> list:
    """Least-squares non-decreasing fit to ``values`` (pool-adjacent-violators)."""
    blocks = []  # [sum, count]
    for v in values:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    return [s / c for s, c in blocks for _ in range(c)]


def graph_layout(graph: Graph, output: Node | None = None, *, sweep: str = "forward", show_partials: bool = True, show_tangents: bool = False, show_constants: bool = False, fontsize: float = 10.0, fmt: Callable[[float], str] | None = None) -> GraphLayout:
    """Lay out a recorded computational graph: boxes, edge routes and labels, in points.

    Parameters
    ----------
    graph : Graph
        The recorded graph.
    output : Node, optional
        Draw only the nodes this output depends on, and highlight it. By
        default the last node of the graph.
    sweep : {"forward", "reverse"}, default "forward"
        "forward": boxes show each node's operation and value, edges point
        from parent to child and carry the local partial
        :math:`\\partial v_{child}/\\partial v_{parent}`. "reverse": boxes
        show the adjoint :math:`\\bar v` (as the sum of its contributions when
        the node has several consumers), edges point back from child to parent
        and carry the contribution :math:`\\bar v_{child}\\,\\partial
        v_{child}/\\partial v_{parent}`. Needs ``graph.backward(output)`` first.
    show_partials : bool, default True
        Label the edges.
    show_tangents : bool, default False
        In a forward drawing, add each node's tangent :math:`\\dot v`; needs
        :meth:`Graph.tangents` first.
    show_constants : bool, default False
        Draw constant leaves as nodes (otherwise they are written into the
        formula of the operation that uses them).
    fontsize : float, default 10
        Size of the text in the boxes, in points; edge labels are 0.85 of it.
    fmt : callable, optional
        Formats a number for the drawing, e.g. as an exact fraction; the
        string is set in mathtext (digits, ``-``, ``.``, ``/``). Default 4
        significant digits.

    Returns
    -------
    GraphLayout
    """
    if not isinstance(graph, Graph):
        raise TypeError(f"graph must be a Graph, got {type(graph).__name__}")
    if not graph.nodes:
        raise ValueError("graph is empty: record some operations first")
    if output is None:
        output = graph.nodes[-1]
    elif not isinstance(output, Node) or output.graph is not graph:
        raise ValueError("output must be a Node of graph")
    _checks.check_choice(sweep, "sweep", ("forward", "reverse"))
    show_partials = _checks.check_bool(show_partials, "show_partials")
    show_tangents = _checks.check_bool(show_tangents, "show_tangents")
    show_constants = _checks.check_bool(show_constants, "show_constants")
    fs = _checks.check_real(fontsize, "fontsize", low=0, high=200, low_open=True, high_open=True)
    if fmt is not None and not callable(fmt):
        raise TypeError(f"fmt must be callable (float -> str), got {type(fmt).__name__}")
    num = numberer(_returns_str(fmt) if fmt is not None else default_fmt)

    keep = {output}
    for node in reversed(graph.nodes[: output.index + 1]):
        if node in keep:
            keep.update(node.parents)
    nodes = [n for n in graph.nodes if n in keep and (show_constants or n.op != "const")]
    drawn = set(nodes)
    if sweep == "reverse" and output.grad != 1.0:
        raise ValueError("sweep='reverse' draws adjoints: call graph.backward(output) first")
    if show_tangents and any(n.tangent is None for n in nodes):
        raise ValueError("show_tangents needs the tangents: call graph.tangents(seed) first")
    edges = [(p, c, slot) for c in nodes for slot, p in enumerate(c.parents) if p in drawn]

    # 1. Columns: longest path from a leaf.
    depth = {}
    for n in nodes:
        depth[n] = 1 + max((depth[p] for p in n.parents if p in drawn), default=-1)
    n_layers = 1 + max(depth.values())

    # 2. Waypoints: each edge is a chain of items, an item being a Node or a
    # waypoint ("w", edge, column) in each column the edge crosses.
    chains = [[p] + [("w", e, l) for l in range(depth[p] + 1, depth[c])] + [c] for e, (p, c, _) in enumerate(edges)]
    column = dict(depth)
    column.update({it: it[2] for chain in chains for it in chain[1:-1]})
    order = [[it for it in column if column[it] == l] for l in range(n_layers)]
    preds, succs = {}, {}
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            succs.setdefault(a, []).append(b)
            preds.setdefault(b, []).append(a)

    # 3. Order within columns.
    order = _order_columns(order, chains, column, preds, succs)

    # Text and sizes.
    values = [c.partials[slot] * (c.grad if sweep == "reverse" else 1.0) for p, c, slot in edges]
    lines = node_lines(nodes, edges, values, output, drawn, sweep, show_tangents, num)
    lab_fs, lab_pad = 0.85 * fs, 0.15 * fs
    labels = [f"${num(v)}$" if show_partials else None for v in values]
    lab_size = [(ink(t, lab_fs)[2] + 2 * lab_pad, ink(t, lab_fs)[3] + 2 * lab_pad) if t else (0.0, 0.0) for t in labels]
    pad_x, pad_y, line_gap, vgap = 0.5 * fs, 0.35 * fs, 0.3 * fs, 0.6 * fs
    margin, head = 0.4 * fs, 0.6 * fs
    # Ports (and so labels in a lane) are at least one label height plus a gap apart.
    pitch = max([h for _, h in lab_size] + [0.8 * fs]) + 0.35 * fs
    size = {}  # node -> (width, height, height of a line of text)
    for n in nodes:
        inks = [ink(t, fs) for t in lines[n]]
        line_h = max(h for *_, h in inks) + line_gap
        text_h = len(inks) * line_h - line_gap + 2 * pad_y
        n_ports = max(sum(p is n for p, _, _ in edges), sum(c is n for _, c, _ in edges))
        size[n] = (max(w for _, _, w, _ in inks) + 2 * pad_x, max(text_h, n_ports * pitch), line_h)
    height = {it: (size[it][1] if it in size else pitch) for it in column}

    # 4. Heights (s grows downwards).
    s = _place_heights(order, height, preds, succs, vgap)
    top = min(s[it] - height[it] / 2 for it in s)
    s = {it: v + margin - top for it, v in s.items()}
    total_h = max(s[it] + height[it] / 2 for it in s) + margin

    # 5. Ports: a node's out-ports ordered by where their edges go next, its in-ports by where they come from.
    out_port, in_port = {}, {}
    for n in nodes:
        for ports, key in ((out_port, lambda e: (s[chains[e][1]], edges[e][2], e)), (in_port, lambda e: (s[chains[e][-2]], edges[e][2], e))):
            mine = sorted((e for e in range(len(edges)) if edges[e][0 if ports is out_port else 1] is n), key=key)
            for k, e in enumerate(mine):
                ports[e] = s[n] + (k - (len(mine) - 1) / 2) * pitch

    def port(e, it, out):
        if isinstance(it, tuple):
            return s[it]
        return out_port[e] if out else in_port[e]

    # x: each column is as wide as its widest box; each gap holds a label lane
    # (an arrow head in a reverse drawing, then the labels), a zone for the
    # diagonal stretches, and an entry lane (an arrow head in a forward drawing).
    lane_head = head if sweep == "reverse" else 0.0
    entry = (head if sweep == "forward" else 0.0) + 0.3 * fs
    col_w = [max(size[n][0] for n in order[l] if n in size) for l in range(n_layers)]
    lane_w, diag_w = [], []
    for l in range(n_layers - 1):
        widths = [lab_size[e][0] for e in range(len(edges)) if depth[edges[e][0]] == l]
        lane_w.append(lane_head + 0.2 * fs + max(widths, default=0.0) + 0.2 * fs)
        rise = [abs(port(e, a, True) - port(e, b, False)) for e, ch in enumerate(chains) for a, b in zip(ch, ch[1:]) if column[a] == l]
        diag_w.append(max(1.4 * fs, 0.3 * max(rise, default=0.0)))
    col_x0 = [margin]
    for l in range(n_layers - 1):
        col_x0.append(col_x0[l] + col_w[l] + lane_w[l] + diag_w[l] + entry)
    width = col_x0[-1] + col_w[-1] + margin

    def y(v):
        return total_h - v

    boxes = []
    for n in nodes:
        w, h, line_h = size[n]
        cx = col_x0[depth[n]] + col_w[depth[n]] / 2
        first = s[n] - (len(lines[n]) - 1) * line_h / 2
        texts = tuple(centred_text(t, fs, cx, y(first + k * line_h)) for k, t in enumerate(lines[n]))
        kind = "output" if n is output else (n.op if n.op in ("input", "const") else "op")
        boxes.append(NodeBox(n, kind, Rect(cx - w / 2, y(s[n] + h / 2), cx + w / 2, y(s[n] - h / 2)), texts))
    routes = []
    for e, ((p, c, slot), chain) in enumerate(zip(edges, chains)):
        pts = [(col_x0[depth[p]] + (col_w[depth[p]] + size[p][0]) / 2, out_port[e])]
        for a, b in zip(chain, chain[1:]):
            l = column[a]
            xr = col_x0[l] + col_w[l]
            sa, sb = port(e, a, True), port(e, b, False)
            pts += [(xr, sa), (xr + lane_w[l], sa), (col_x0[l + 1] - entry, sb), (col_x0[l + 1], sb)]
        pts.append((col_x0[depth[c]] + (col_w[depth[c]] - size[c][0]) / 2, in_port[e]))
        pts = np.array([(px, y(py)) for k, (px, py) in enumerate(pts) if k == 0 or (px, py) != pts[k - 1]])
        label = label_rect = None
        if labels[e]:
            lw, lh = lab_size[e]
            x0 = col_x0[depth[p]] + col_w[depth[p]] + lane_head + 0.2 * fs
            label_rect = Rect(x0, y(out_port[e]) - lh / 2, x0 + lw, y(out_port[e]) + lh / 2)
            label = centred_text(labels[e], lab_fs, x0 + lw / 2, y(out_port[e]))
        routes.append(EdgeRoute(p, c, slot, pts, values[e], label, label_rect, "child" if sweep == "forward" else "parent"))
    return GraphLayout(tuple(boxes), tuple(routes), width, total_h, fs, sweep)


def _order_columns(order, chains, column, preds, succs, n_sweeps=6):
    """Barycentre sweeps down and up the columns; keep the order with fewest crossings."""

    def crossings(order):
        pos = {it: i for col in order for i, it in enumerate(col)}
        segs = [(column[a], pos[a], pos[b]) for ch in chains for a, b in zip(ch, ch[1:])]
        return sum(l1 == l2 and (a1 - a2) * (b1 - b2) < 0 for i, (l1, a1, b1) in enumerate(segs) for l2, a2, b2 in segs[i + 1 :])

    order = [list(col) for col in order]
    best, best_c = [list(col) for col in order], crossings(order)
    n_layers = len(order)
    for _ in range(n_sweeps):
        for nbr, layers in ((preds, range(1, n_layers)), (succs, range(n_layers - 2, -1, -1))):
            for l in layers:
                pos = {it: i for col in order for i, it in enumerate(col)}
                order[l].sort(key=lambda it: (np.mean([pos[o] for o in nbr[it]]) if it in nbr else pos[it], pos[it]))
            c = crossings(order)
            if c < best_c:
                best, best_c = [list(col) for col in order], c
    return best


def _place_heights(order, height, preds, succs, vgap, n_iter=20):
    """Centre height of each item: stacked in order with gaps of at least ``vgap``,
    each pulled towards the mean height of its neighbours (isotonic regression)."""
    s = {}
    for col in order:
        acc = 0.0
        for it in col:
            s[it] = acc + height[it] / 2
            acc += height[it] + vgap
    for _ in range(n_iter):
        for col in order + order[-2::-1]:
            want = [np.mean([s[o] for o in preds.get(it, []) + succs.get(it, [])]) if (it in preds or it in succs) else s[it] for it in col]
            # s_k = t_k + offs_k with t non-decreasing keeps the order and the gaps.
            offs = np.concatenate([[0.0], np.cumsum([(height[a] + height[b]) / 2 + vgap for a, b in zip(col, col[1:])])])
            for it, v in zip(col, np.asarray(_isotonic(list(np.asarray(want) - offs))) + offs):
                s[it] = float(v)
    return s
