"""Matplotlib helpers shared by the gallery: drawing a recorded computational graph.

Modules: :mod:`~nntheory.plotting.layout` (the geometry),
:mod:`~nntheory.plotting.draw` (matplotlib), :mod:`~nntheory.plotting.checks`
(readability checks), :mod:`~nntheory.plotting.labels` (text) and
:mod:`~nntheory.plotting.geometry` (rectangles and segments).

The drawing is computed before anything is drawn. :func:`graph_layout` returns
the geometry, in points: every box, every edge as a polyline, every label's
rectangle. :func:`draw_graph` draws a layout on an ``ax`` and returns it, and
:func:`layout_problems` checks one: no edge passes through a box, no label
covers a box, another label or another edge, no two edges share a stretch of
line. :func:`plot_graph` does the first two in one call.

The layout is a small layered (Sugiyama-style) drawing, built so that those
properties hold by construction:

1. *Columns.* A node's column is the length of the longest path to it from a
   leaf, so every edge runs from left to right.
2. *Waypoints.* An edge that skips columns gets a slot of its own in every
   column it crosses, stacked with the boxes of that column, so it runs
   between boxes, never behind one.
3. *Order.* Barycentre sweeps order each column to reduce crossings.
4. *Heights.* Each slot is pulled towards its neighbours, subject to the
   order and a minimum gap (isotonic regression, pool-adjacent-violators).
5. *Routing.* Each edge leaves its parent from a port of its own on the
   right side of the box, runs horizontally through a *label lane* (where its
   label sits on it), then diagonally to its own port on the next column. Ports
   are at least one label height apart, so labels in a lane cannot touch.

Text is drawn as paths (:class:`matplotlib.textpath.TextPath`) in data
coordinates, so a drawing scales as one piece with its axes and the measured
text extents are exactly the drawn ones.
"""

from nntheory.plotting.checks import figure_text_problems, layout_problems
from nntheory.plotting.draw import draw_graph, graph_panels, plot_graph
from nntheory.plotting.geometry import Rect
from nntheory.plotting.labels import TextItem
from nntheory.plotting.layout import EdgeRoute, GraphLayout, NodeBox, graph_layout

__all__ = ["Rect", "TextItem", "NodeBox", "EdgeRoute", "GraphLayout", "graph_layout", "draw_graph", "graph_panels", "layout_problems", "figure_text_problems", "plot_graph"]
