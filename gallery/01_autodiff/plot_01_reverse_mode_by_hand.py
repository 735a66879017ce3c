"""
Reverse-mode differentiation by hand and by machine
===================================================

Exercise m1 of session 2 of the NNDL 2025 course on neural network
optimisation and generalisation (ID ``nndl-s2/m1``) asks us to run
reverse-mode automatic differentiation with pen and paper on

.. math::

   z(a, b) = \\frac{a^2}{a^2 + b^2 + 1},

following the algorithm step by step rather than writing down the derivative
in closed form: draw the computational graph, do the forward pass with the
local partial derivatives, then sweep backwards and read off
:math:`\\partial z/\\partial a` and :math:`\\partial z/\\partial b` at
:math:`a=2, b=1`.

This page does the same computation with the library's own engine,
:mod:`nntheory.autodiff`, prints every intermediate number the hand
computation writes down, as the exact fractions a hand computation gives, and
checks the result against ``torch.autograd`` and the closed form.
"""

# %%
# The computational graph
# -----------------------
# We break :math:`z` into primitive operations, each with inputs we already
# have. Reusing :math:`v_1 = a^2` in the numerator and the denominator is
# what makes this a graph rather than a tree:
#
# .. math::
#
#    v_1 = a^2,\quad v_2 = b^2,\quad v_3 = v_1 + v_2,\quad
#    v_4 = v_3 + 1,\quad z = v_5 = v_1 / v_4 .
#
# :class:`~nntheory.autodiff.Graph` records each operation as it is
# evaluated, together with its *local partials*: the derivative of the node
# with respect to each of its direct inputs. The drawing puts each node in a
# box with its operation and value, and writes on each edge the local partial
# of the node the arrow points to with respect to the node it comes from.
# The edge :math:`v_1 \to v_5` skips two columns; it is routed around
# :math:`v_3` and :math:`v_4` rather than behind them, so that :math:`v_1`
# visibly has two consumers. Below the figure, the library's geometric check
# confirms that no edge or arrow head runs through a box or a label, no two
# edges run closer than 2 points except where they cross, and no text,
# title included, is cut off by the figure's edge.
import math
from fractions import Fraction

import matplotlib.pyplot as plt

from nntheory import autodiff
from nntheory.plotting import draw_graph, figure_text_problems, graph_layout, graph_panels, layout_problems

graph = autodiff.Graph()
a = graph.input(2.0, "a")
b = graph.input(1.0, "b")
v1 = a**2
v2 = b**2
v3 = v1 + v2
v4 = v3 + 1
z = v1 / v4


def exact(v: float) -> Fraction:
    """The fraction p/q with q <= 100 that the float v stands for, to within 4 units in the last place."""
    f = Fraction(v).limit_denominator(100)
    assert abs(v - f) <= 4 * math.ulp(v), (v, f)
    return f


def frac(v: float) -> str:
    return str(exact(v))


forward = graph_layout(graph, z, fontsize=12, fmt=frac)
title = "z = a²/(a² + b² + 1) at (a, b) = (2, 1): values in the boxes, local partials on the edges"
fig, (ax,) = graph_panels([forward], titles=[title])  # the figure is made as wide as its title
draw_graph(forward, ax)
clipped = figure_text_problems(fig)  # draws the figure and measures every text in it
plt.show()

consumers = {n.name: [c.name for c in graph.nodes if n in c.parents] for n in graph.nodes if n.op != "const"}
print("consumers of each node:")
for name, used_by in consumers.items():
    print(f"  {name:2s} -> {', '.join(used_by) or '(the output)'}")
assert consumers["v1"] == ["v3", "v5"], consumers  # "reusing v1 in the numerator and the denominator"
problems = layout_problems(forward)
print(f"drawing: {len(forward.edges)} edges; layout_problems: {problems}; clipped text: {clipped}")
assert len(forward.edges) == 7 and problems == [], problems  # every edge on its own; labels and heads clear
assert clipped == [], clipped  # the title and all text inside the figure

# %%
# Forward pass: values and local partials
# ---------------------------------------
# Going left to right, each node's value is computed from its inputs, and
# each local partial is evaluated at those values:
#
# .. math::
#
#    \begin{aligned}
#    v_1 &= a^2 = 4, & \partial v_1/\partial a &= 2a = 4,\\
#    v_2 &= b^2 = 1, & \partial v_2/\partial b &= 2b = 2,\\
#    v_3 &= v_1 + v_2 = 5, & \partial v_3/\partial v_1 &= \partial v_3/\partial v_2 = 1,\\
#    v_4 &= v_3 + 1 = 6, & \partial v_4/\partial v_3 &= 1,\\
#    z = v_5 &= v_1/v_4 = 2/3, & \partial v_5/\partial v_1 &= 1/v_4 = 1/6,\quad
#    \partial v_5/\partial v_4 = -v_1/v_4^2 = -1/9 .
#    \end{aligned}
#
# The engine's trace lists exactly these rows, every number printed as the
# fraction it equals to within 4 units in the last place (the constant 1
# appears as the second input of :math:`v_4`, with its partial 1, which
# nobody uses):
print(autodiff.format_table(graph.trace(), columns=("name", "op", "inputs", "value", "partials"), fmt=frac))

hand = {  # name: (value, local partials), from the derivation above
    "v1": (4, (4,)),
    "v2": (1, (2,)),
    "v3": (5, (1, 1)),
    "v4": (6, (1, 1)),
    "v5": (Fraction(2, 3), (Fraction(1, 6), Fraction(-1, 9))),
}
for node in graph.nodes:
    if node.name in hand:
        value, partials = hand[node.name]
        # The engine's numbers are the hand-derived fractions (exact() allows 4 ulp).
        assert exact(node.value) == value and tuple(map(exact, node.partials)) == partials, node

# %%
# Backward pass: adjoints
# -----------------------
# Reverse mode computes the *adjoint* :math:`\bar v = \partial z/\partial v`
# of every node, from the output back to the inputs. It starts from
# :math:`\bar z = 1`; a node's adjoint is the sum, over the nodes that use
# it, of their adjoint times the local partial on the connecting edge. The
# sweep visits the nodes in the reverse of the order in which they were
# computed, so every consumer of a node is finished before the node itself:
#
# .. math::
#
#    \begin{aligned}
#    \bar v_5 &= \bar z = 1,\\
#    \bar v_4 &= \bar v_5\,\partial v_5/\partial v_4 = -1/9,\\
#    \bar v_3 &= \bar v_4 \cdot 1 = -1/9,\\
#    \bar v_2 &= \bar v_3 \cdot 1 = -1/9,\\
#    \bar v_1 &= \bar v_5\,\partial v_5/\partial v_1 + \bar v_3 \cdot 1
#              = 1/6 - 1/9 = 1/18,\\
#    \bar b &= \bar v_2 \cdot 2b = -2/9,\\
#    \bar a &= \bar v_1 \cdot 2a = 4/18 = 2/9 .
#    \end{aligned}
#
# :math:`v_1` is used twice, so its adjoint collects two contributions. That
# accumulation is the whole difference between a graph and a tree. The table
# below is the engine's sweep, row by row in the order it visits the nodes:
# :meth:`~nntheory.autodiff.Graph.backward` records that order in
# ``graph.sweep`` as it goes (it also visits the constant 1 of
# :math:`v_4 = v_3 + 1`, which the table leaves out).
graph.backward(z)
sweep = [n for n in graph.sweep if n.op != "const"]  # the nodes in the order Graph.backward visited them
print(f"{'step':>4s}  {'node':4s}  {'adjoint = sum over consumers c of adj(c) * dc/dnode':52s}  adjoint")
for step, node in enumerate(sweep, 1):
    terms = [(c, p) for c in reversed(graph.nodes) for q, p in zip(c.parents, c.partials) if q is node]
    rule = " + ".join(f"adj({c.name}) * ({frac(p)})" for c, p in terms) or "seed: adj(z) = 1"
    print(f"{step:4d}  {node.name:4s}  {rule:52s}  {frac(node.grad)}")
print(f"graph.sweep: {', '.join(n.name for n in graph.sweep)} (the constant 1 included)")

expected = {"v5": 1, "v4": Fraction(-1, 9), "v3": Fraction(-1, 9), "v2": Fraction(-1, 9),
            "v1": Fraction(1, 18), "b": Fraction(-2, 9), "a": Fraction(2, 9)}
assert [n.name for n in sweep] == list(expected), [n.name for n in sweep]  # the engine's visiting order, v5 -> a
position = {n.name: k for k, n in enumerate(graph.sweep)}
consumers_first = all(position[c.name] < position[n.name] for n in graph.sweep for c in graph.sweep if n in c.parents)
assert consumers_first  # "every consumer of a node is finished before the node itself"
for node in sweep:
    assert exact(node.grad) == expected[node.name], (node.name, node.grad)  # the derivation above
assert abs(v1.grad - (Fraction(1, 6) + Fraction(-1, 9))) <= 4 * math.ulp(1 / 18)  # v1: the sum of two paths

# %%
# The backward sweep on the graph
# -------------------------------
# The same sweep drawn on the graph: arrows now point from each node back to
# the nodes it was computed from, and each carries the contribution
# :math:`\bar v_{c}\,\partial v_c/\partial v` that it sends back. Each box
# shows the adjoint, written as the sum of the contributions it received
# when there are two.
backward = graph_layout(graph, z, sweep="reverse", fontsize=12, fmt=frac)
title = "Backward sweep: adjoints in the boxes, contributions on the arrows; v̄₁ sums two"
fig, (ax,) = graph_panels([backward], titles=[title])
draw_graph(backward, ax)
clipped = figure_text_problems(fig)
plt.show()

into_v1 = [e.value for e in sorted(backward.edges, key=lambda e: -e.child.index) if e.parent is v1]  # sweep order
print(f"contributions to adj(v1): {[frac(c) for c in into_v1]}, sum {frac(sum(into_v1))}")
print(f"layout_problems: {layout_problems(backward)}; clipped text: {clipped}")
assert sorted(map(exact, into_v1)) == [Fraction(-1, 9), Fraction(1, 6)]  # "v̄1 sums two"
assert layout_problems(backward) == [] and clipped == [], clipped  # every arrow, label and title readable

# %%
# Check against torch.autograd and the closed form
# ------------------------------------------------
# The quotient rule gives the closed form
#
# .. math::
#
#    \frac{\partial z}{\partial a} = \frac{2a(b^2+1)}{(a^2+b^2+1)^2},\qquad
#    \frac{\partial z}{\partial b} = \frac{-2a^2 b}{(a^2+b^2+1)^2},
#
# which at :math:`(2, 1)` is :math:`8/36 = 2/9` and :math:`-8/36 = -2/9`.
# ``torch.autograd`` differentiates the same expression independently, in
# float64. We compare at :math:`(2, 1)` and, to see that the agreement is not
# special to that point, on a grid of nine other points.
import torch


def closed_form(a, b):
    d = (a * a + b * b + 1) ** 2
    return 2 * a * (b * b + 1) / d, -2 * a * a * b / d


def by_torch(a, b):
    at = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    (at**2 / (at**2 + bt**2 + 1)).backward()
    return at.grad.item(), bt.grad.item()


def by_engine(a, b):
    g = autodiff.Graph()
    an, bn = g.input(a, "a"), g.input(b, "b")
    w = an**2
    out = w / (w + bn**2 + 1)
    g.backward(out)
    return an.grad, bn.grad


torch_grad = by_torch(2.0, 1.0)
exact_closed = closed_form(Fraction(2), Fraction(1))  # in exact rational arithmetic
print(f"{'':8s}{'nntheory':>20s}{'torch.autograd':>20s}{'closed form':>14s}")
print(f"{'dz/da':8s}{a.grad:20.15f}{torch_grad[0]:20.15f}{str(exact_closed[0]):>14s}")
print(f"{'dz/db':8s}{b.grad:20.15f}{torch_grad[1]:20.15f}{str(exact_closed[1]):>14s}")
diff = max(abs(a.grad - torch_grad[0]), abs(b.grad - torch_grad[1]))
print(f"max |nntheory - torch| at (2, 1) = {diff:.1e}  (1 ulp of 2/9 = {math.ulp(2 / 9):.1e})")
assert exact_closed == (Fraction(2, 9), Fraction(-2, 9))  # "8/36 = 2/9 and -8/36 = -2/9"
assert diff <= 2 * math.ulp(2 / 9), diff  # "equal to float64 rounding": within 2 ulp

worst = 0.0
for pa in (-1.5, 0.5, 3.0):
    for pb in (-2.0, 0.25, 1.5):
        for mine, ref, cf in zip(by_engine(pa, pb), by_torch(pa, pb), closed_form(pa, pb)):
            worst = max(worst, abs(mine - ref) / abs(cf), abs(mine - cf) / abs(cf))
print(f"nine other points: largest relative deviation from torch or the closed form = {worst:.1e}")
assert worst <= 8 * 2.2e-16, worst  # a few roundings in each of the three computations

# %%
# What to notice
# --------------
# * The backward sweep returns :math:`\partial z/\partial a = 2/9` and
#   :math:`\partial z/\partial b = -2/9` at :math:`(2, 1)`; the engine,
#   ``torch.autograd`` and the closed form agree to float64 rounding, there
#   and at the other points of the grid (checked above).
# * One backward sweep, one call of ``graph.backward(z)``, produced *both*
#   partial derivatives. That is the point of reverse mode: for a scalar
#   output, one sweep gives the derivative with respect to every input;
#   :ref:`sphx_glr_auto_examples_01_autodiff_plot_03_forward_vs_reverse_cost.py`
#   measures what that saves.
# * The only non-local step is the sum over a node's consumers: :math:`v_1`
#   feeds both the numerator and the denominator, and its adjoint
#   :math:`1/6 - 1/9 = 1/18` is the sum of the contributions along the two
#   edges leaving it, as the second drawing shows.

# sphinx_gallery_thumbnail_number = 1
