"""Matplotlib helpers shared by the gallery: each takes an ``ax`` and returns it."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch

from nntheory.autodiff import Graph, Node

__all__ = ["plot_graph"]

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
_COLOURS = {"input": "#56B4E9", "const": "#DDDDDD", "output": "#E69F00", "op": "#FFFFFF"}


def _layers(graph: Graph, nodes: list[Node]) -> dict:
    """Depth of each node: the longest path from a leaf (a topological layering)."""
    depth = {}
    for node in nodes:  # the tape is in topological order already
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    return depth


def plot_graph(graph: Graph, output: Node | None = None, ax=None, show_partials: bool = True, show_constants: bool = False, fontsize: float = 10.0):
    """Draw a recorded computational graph with matplotlib alone.

    Nodes are placed in columns by depth (inputs on the left, the output on
    the right) and labelled with their name, operation and value; each edge
    is labelled with the local partial derivative of the child with respect
    to the parent.

    Parameters
    ----------
    graph : Graph
        The recorded graph.
    output : Node, optional
        Draw only the nodes this output depends on, and highlight it.
        By default the whole graph is drawn and its last node highlighted.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.
    show_partials : bool, default True
        Label edges with local partials.
    show_constants : bool, default False
        Draw constant leaves as nodes (otherwise they are folded into the
        label of the operation that uses them).
    fontsize : float, default 10
        Font size of node and edge labels.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(graph, Graph):
        raise TypeError(f"graph must be a Graph, got {type(graph).__name__}")
    if not graph.nodes:
        raise ValueError("graph is empty: record some operations first")
    if output is None:
        output = graph.nodes[-1]
    elif not isinstance(output, Node) or output.graph is not graph:
        raise ValueError("output must be a Node of graph")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5))

    # Keep only ancestors of the output.
    keep = {output}
    for node in reversed(graph.nodes[: output.index + 1]):
        if node in keep:
            keep.update(node.parents)
    nodes = [n for n in graph.nodes if n in keep and (show_constants or n.op != "const")]
    depth = _layers(graph, [n for n in graph.nodes if n in keep])

    columns: dict[int, list[Node]] = {}
    for node in nodes:
        columns.setdefault(depth[node], []).append(node)
    pos = {}
    for d, col in columns.items():
        for i, node in enumerate(col):
            pos[node] = (d, (len(col) - 1) / 2.0 - i)

    def label(node):
        if node.op == "input":
            return f"{node.name}\n= {node.value:.4g}"
        consts = [p.name for p in node.parents if p.op == "const"]
        op = node.op + (f" ({', '.join(consts)})" if consts and not show_constants else "")
        return f"{node.name} = {op}\n= {node.value:.4g}"

    for node in nodes:
        for parent, partial in zip(node.parents, node.partials):
            if parent not in pos:
                continue
            (x0, y0), (x1, y1) = pos[parent], pos[node]
            arrow = FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14, shrinkA=28, shrinkB=28, color="0.35", lw=1.2, connectionstyle="arc3,rad=0.08")
            ax.add_patch(arrow)
            if show_partials:
                ax.text(0.55 * x0 + 0.45 * x1, 0.55 * y0 + 0.45 * y1 + 0.08, f"{partial:.3g}", fontsize=fontsize * 0.85, color="#0072B2", ha="center", va="bottom", bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    for node, (x, y) in pos.items():
        kind = "output" if node is output else ("input" if node.op == "input" else ("const" if node.op == "const" else "op"))
        ax.text(x, y, label(node), ha="center", va="center", fontsize=fontsize, bbox=dict(boxstyle="round,pad=0.4", fc=_COLOURS[kind], ec="0.2", lw=1.0), zorder=3)

    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_axis_off()
    return ax
