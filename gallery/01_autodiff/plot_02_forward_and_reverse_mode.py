"""
Forward and reverse mode on a minimal graph
===========================================

Exercise 1 of the deep learning exercise sheet (ID ``dl-sheet/1``) asks for
the derivative of

.. math::

   y = \\exp\\!\\left(e^{x} + e^{2x}\\right) + \\sin\\!\\left(e^{x} + e^{2x}\\right)

three ways: draw the smallest computational graph built from the primitives
:math:`+`, :math:`\\exp`, :math:`(\\cdot)^2` and :math:`\\sin`; differentiate
it in *forward mode* (tangents from :math:`x` towards :math:`y`); and in
*reverse mode* (adjoints from :math:`y` back to :math:`x`). This page
builds that graph with :mod:`nntheory.autodiff`, prints the tangents and
adjoints node by node, and shows that both equal the closed form.
"""

# %%
# The minimal graph
# -----------------
# Writing :math:`e^{2x} = (e^x)^2` lets us compute the exponential once and
# share both the inner sum and :math:`e^x` itself:
#
# .. math::
#
#    f_1 = e^x,\quad f_2 = f_1^2,\quad f_3 = f_1 + f_2,\quad
#    f_4 = e^{f_3},\quad f_5 = \sin f_3,\quad y = f_6 = f_4 + f_5 .
#
# Five primitive operations after the input, each evaluated once. A naive
# graph that evaluates :math:`e^x` and :math:`e^{2x}` separately for each of
# the two outer functions needs more nodes and computes the same values
# repeatedly.
import math

import matplotlib.pyplot as plt

from nntheory import autodiff
from nntheory.plotting import plot_graph

x0 = 0.5  # the point at which we differentiate

graph = autodiff.Graph()
x = graph.input(x0, "x")
f1 = autodiff.exp(x)
f2 = f1**2
f3 = f1 + f2
f4 = autodiff.exp(f3)
f5 = autodiff.sin(f3)
y = f4 + f5
for node, name in zip((f1, f2, f3, f4, f5, y), ("f1", "f2", "f3", "f4", "f5", "y")):
    node.name = name

fig, ax = plt.subplots(figsize=(8.5, 3.4), layout="constrained")
plot_graph(graph, output=y, ax=ax, fontsize=12)
ax.set_title(f"Minimal graph of y(x) at x = {x0}: e^x computed once, f3 shared", fontsize=12)
plt.show()

# %%
# Forward mode: tangents
# ----------------------
# Forward mode carries :math:`\dot f_i = \mathrm{d}f_i/\mathrm{d}x` along with
# each value, starting from :math:`\dot x = 1`. Each tangent uses only the
# tangents of the node's inputs:
#
# .. math::
#
#    \begin{aligned}
#    \dot f_1 &= e^x\,\dot x = f_1, &
#    \dot f_2 &= 2 f_1 \dot f_1, &
#    \dot f_3 &= \dot f_1 + \dot f_2,\\
#    \dot f_4 &= e^{f_3}\dot f_3 = f_4\,\dot f_3, &
#    \dot f_5 &= \cos(f_3)\,\dot f_3, &
#    \dot y &= \dot f_4 + \dot f_5 .
#    \end{aligned}
graph.tangents({x: 1.0})
print(autodiff.format_table(graph.trace(), columns=("name", "op", "inputs", "value", "partials", "tangent")))

# %%
# Reverse mode: adjoints
# ----------------------
# Reverse mode starts from :math:`\bar y = 1` and propagates
# :math:`\bar f_i = \partial y/\partial f_i` backwards. A node used by
# several others sums their contributions; here :math:`f_3` feeds
# :math:`f_4` and :math:`f_5`, and :math:`f_1` feeds :math:`f_2` and
# :math:`f_3`:
#
# .. math::
#
#    \begin{aligned}
#    \bar f_4 &= \bar f_5 = 1,\\
#    \bar f_3 &= \bar f_4\, e^{f_3} + \bar f_5 \cos f_3,\\
#    \bar f_2 &= \bar f_3,\\
#    \bar f_1 &= \bar f_3 + \bar f_2\, 2 f_1 = \bar f_3 (1 + 2 f_1),\\
#    \bar x &= \bar f_1\, e^x .
#    \end{aligned}
graph.backward(y)
print(autodiff.format_table(graph.trace(), columns=("name", "op", "value", "adjoint")))

# %%
# Both modes against the closed form
# ----------------------------------
# Collapsing either recursion gives
#
# .. math::
#
#    \frac{\mathrm{d}y}{\mathrm{d}x}
#    = \left(e^{x} + 2e^{2x}\right)
#      \left[\exp\!\left(e^{x} + e^{2x}\right) + \cos\!\left(e^{x} + e^{2x}\right)\right].
#
# We compare the forward tangent :math:`\dot y`, the reverse adjoint
# :math:`\bar x`, a dual-number evaluation (forward mode without a recorded
# graph) and ``torch.autograd``, at several points.
import torch


def y_of(v, lib):
    e = lib.exp(v)
    s = e + e**2
    return lib.exp(s) + lib.sin(s)


def closed_form(v):
    s = math.exp(v) + math.exp(2 * v)
    return (math.exp(v) + 2 * math.exp(2 * v)) * (math.exp(s) + math.cos(s))


print("relative deviation from the closed form (cf):")
print(f"{'x':>6s}{'cf':>22s}{'forward':>16s}{'reverse':>16s}{'dual':>14s}{'torch':>14s}")
worst = 0.0
for xv in (-2.0, -0.5, 0.0, 0.5, 1.0):
    g = autodiff.Graph()
    xn = g.input(xv, "x")
    out = y_of(xn, autodiff)
    g.tangents({xn: 1.0})
    forward = out.tangent
    g.backward(out)
    reverse = xn.grad
    dual = y_of(autodiff.Dual(xv, 1.0), autodiff).tangent
    xt = torch.tensor(xv, dtype=torch.float64, requires_grad=True)
    y_of(xt, torch).backward()
    cf = closed_form(xv)
    errs = [abs(v - cf) / abs(cf) for v in (forward, reverse, dual, xt.grad.item())]
    worst = max(worst, *errs)
    print(f"{xv:6.2f}{cf:22.12f}" + "".join(f"{e:16.1e}" if i < 2 else f"{e:14.1e}" for i, e in enumerate(errs)))
print(f"largest relative deviation from the closed form: {worst:.1e}")

# %%
# What to notice
# --------------
# * Forward mode and reverse mode visit the same five operations and use the
#   same local partials; they differ only in the direction of the sweep and
#   in what they accumulate (tangents of nodes w.r.t. the input, or adjoints
#   of the output w.r.t. nodes).
# * Both, the dual numbers and ``torch.autograd`` agree with the closed form
#   to float64 rounding at every point in the table.
# * With one input and one output both modes cost one sweep. They differ
#   when a function has many inputs or many outputs:
#   :ref:`sphx_glr_auto_examples_01_autodiff_plot_03_forward_vs_reverse_cost.py`
#   measures that.

# sphinx_gallery_thumbnail_number = 1
