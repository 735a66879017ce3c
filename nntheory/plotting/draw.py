"""Drawing a :class:`GraphLayout` with matplotlib patches, text included, in data coordinates."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, PathPatch, Polygon, Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath

from nntheory import _checks
from nntheory.autodiff import Graph, Node
from nntheory.plotting.labels import FONT
from nntheory.plotting.layout import GraphLayout, arrow_head, graph_layout

__all__ = ["draw_graph", "plot_graph", "graph_panels"]

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
_COLOURS = {"input": "#56B4E9", "const": "#DDDDDD", "output": "#E69F00", "op": "#FFFFFF"}
_EDGE = {"forward": ("0.35", "#0072B2"), "reverse": ("#D55E00", "#B34700")}  # (line, label text)


def draw_graph(layout: GraphLayout, ax=None):
    """Draw a :class:`GraphLayout` on ``ax`` (a new figure of ``layout.size_inches`` if omitted).

    The axes get equal aspect and limits ``[0, width] × [0, height]``, so the
    text has its nominal size when the axes are ``layout.size_inches`` large.
    Artists carry ids for tests: ``box:i``, ``text:i:k`` (box ``i``, line
    ``k``), ``edge:j``, ``head:j``, ``label:j``, ``labeltext:j``, with ``i``
    and ``j`` indices into ``layout.boxes`` and ``layout.edges``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(layout, GraphLayout):
        raise TypeError(f"layout must be a GraphLayout, got {type(layout).__name__}")
    _check_ax(ax)
    if ax is None:
        fig = plt.figure(figsize=layout.size_inches)
        ax = fig.add_axes((0, 0, 1, 1))
    fs = layout.fontsize
    line_colour, label_colour = _EDGE[layout.sweep]

    def text_patch(t, colour, gid):
        path = TextPath(t.origin, t.text, size=t.size, prop=FONT)
        return PathPatch(path, fc=colour, ec="none", lw=0, zorder=5, gid=gid)

    for i, box in enumerate(layout.boxes):
        r = box.rect
        ax.add_patch(FancyBboxPatch((r.x0, r.y0), r.width, r.height, boxstyle=f"round,pad=0,rounding_size={0.3 * fs}", fc=_COLOURS[box.kind], ec="0.2", lw=1.0, zorder=4, gid=f"box:{i}"))
        for k, t in enumerate(box.texts):
            ax.add_patch(text_patch(t, "black", f"text:{i}:{k}"))
    for j, e in enumerate(layout.edges):
        ax.add_patch(PathPatch(Path(e.points), fill=False, ec=line_colour, lw=1.3, joinstyle="round", capstyle="butt", zorder=2, gid=f"edge:{j}"))
        ax.add_patch(Polygon(arrow_head(e, fs), closed=True, fc=line_colour, ec="none", zorder=3, gid=f"head:{j}"))
        if e.label is not None:
            r = e.label_rect
            ax.add_patch(Rectangle((r.x0, r.y0), r.width, r.height, fc="white", ec="none", zorder=3, gid=f"label:{j}"))
            ax.add_patch(text_patch(e.label, label_colour, f"labeltext:{j}"))
    ax.set_xlim(0, layout.width)
    ax.set_ylim(0, layout.height)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _check_ax(ax) -> None:
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")


def plot_graph(graph: Graph, output: Node | None = None, ax=None, show_partials: bool = True, show_constants: bool = False, fontsize: float = 10.0, **kwargs):
    """Lay out and draw a recorded computational graph; returns the ``ax``.

    ``plot_graph(graph, ...)`` is ``draw_graph(graph_layout(graph, ...), ax)``.

    Parameters
    ----------
    graph : Graph
        The recorded graph.
    output : Node, optional
        Draw the nodes this output depends on; default the last node.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure of the drawing's natural size if omitted.
    show_partials : bool, default True
        Label the edges.
    show_constants : bool, default False
        Draw constant leaves as nodes.
    fontsize : float, default 10
        Size of the text in the boxes, in points.
    **kwargs
        ``sweep``, ``show_tangents`` and ``fmt`` of :func:`graph_layout`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check_ax(ax)
    layout = graph_layout(graph, output, show_partials=show_partials, show_constants=show_constants, fontsize=fontsize, **kwargs)
    return draw_graph(layout, ax)


def graph_panels(layouts, title_height: float = 0.45, titles=None, title_fontsize: float = 12.0):
    """A figure with one panel per layout, stacked, each at the size where its text has its nominal size.

    Parameters
    ----------
    layouts : sequence of GraphLayout
        The drawings, top to bottom.
    title_height : float, default 0.45
        Inches left free above each panel for its title (one line of 12 pt).
    titles : sequence of str, optional
        One title per panel. The figure is made wide enough for the widest
        title (with 0.1 inch to spare on each side), so no title is clipped.
    title_fontsize : float, default 12
        Size of the titles, in points.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : list of matplotlib.axes.Axes
        One per layout, ``layout.size_inches`` large, centred; draw with
        :func:`draw_graph`.
    """
    if isinstance(layouts, GraphLayout) or not isinstance(layouts, (list, tuple)):
        raise TypeError(f"layouts must be a list or tuple of GraphLayout, got {type(layouts).__name__}")
    layouts = list(layouts)
    if not layouts or not all(isinstance(lay, GraphLayout) for lay in layouts):
        raise TypeError("layouts must be a non-empty sequence of GraphLayout")
    title_height = _checks.check_real(title_height, "title_height", low=0)
    title_fontsize = _checks.check_real(title_fontsize, "title_fontsize", low=0, low_open=True)
    if titles is not None:
        titles = _checks.check_sequence(titles, "titles")
        if len(titles) != len(layouts) or not all(isinstance(t, str) for t in titles):
            raise TypeError(f"titles must be one str per layout ({len(layouts)}), got {titles!r}")
    width = max(lay.size_inches[0] for lay in layouts)
    height = sum(lay.size_inches[1] + title_height for lay in layouts)
    fig = plt.figure(figsize=(width, height))
    axes = [fig.add_axes((0, 0, 1, 1)) for _ in layouts]
    if titles is not None:
        for ax, title in zip(axes, titles):
            ax.set_title(title, fontsize=title_fontsize)
        renderer = fig.canvas.get_renderer()
        widest = max(ax.title.get_window_extent(renderer).width for ax in axes) / fig.dpi
        width = max(width, widest + 0.2)
        fig.set_size_inches(width, height)
    top = height
    for ax, lay in zip(axes, layouts):
        w, h = lay.size_inches
        top -= title_height
        ax.set_position(((width - w) / 2 / width, (top - h) / height, w / width, h / height))
        top -= h
    return fig, axes
