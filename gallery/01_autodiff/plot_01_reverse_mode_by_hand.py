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
:mod:`nntheory.autodiff`, shows every intermediate number the hand
computation writes down, and checks the result against ``torch.autograd``
and the closed form.
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
# with respect to each of its direct inputs.
import matplotlib.pyplot as plt

from nntheory import autodiff
from nntheory.plotting import plot_graph

graph = autodiff.Graph()
a = graph.input(2.0, "a")
b = graph.input(1.0, "b")
v1 = a**2
v2 = b**2
v3 = v1 + v2
v4 = v3 + 1
z = v1 / v4

fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
plot_graph(graph, output=z, ax=ax, fontsize=12)
ax.set_title("z = a² / (a² + b² + 1) at (a, b) = (2, 1); edges carry local partials", fontsize=12)
plt.show()

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
#    z &= v_1/v_4 = 2/3, & \partial z/\partial v_1 &= 1/v_4 = 1/6,\quad
#    \partial z/\partial v_4 = -v_1/v_4^2 = -1/9 .
#    \end{aligned}
#
# The engine's trace lists exactly these rows (the constant 1 appears as an
# input of :math:`v_4`):
print(autodiff.format_table(graph.trace(), columns=("name", "op", "inputs", "value", "partials")))

# %%
# Backward pass: adjoints
# -----------------------
# Reverse mode computes the *adjoint* :math:`\bar v = \partial z/\partial v`
# of every node, from the output back to the inputs. It starts from
# :math:`\bar z = 1`; a node's adjoint is the sum, over the nodes that use
# it, of their adjoint times the local partial on the connecting edge:
#
# .. math::
#
#    \begin{aligned}
#    \bar v_4 &= \bar z\,\partial z/\partial v_4 = -1/9,\\
#    \bar v_3 &= \bar v_4 \cdot 1 = -1/9,\\
#    \bar v_2 &= \bar v_3 \cdot 1 = -1/9,\\
#    \bar v_1 &= \bar z\,\partial z/\partial v_1 + \bar v_3 \cdot 1
#              = 1/6 - 1/9 = 1/18,\\
#    \bar b &= \bar v_2 \cdot 2b = -2/9,\\
#    \bar a &= \bar v_1 \cdot 2a = 4/18 = 2/9 .
#    \end{aligned}
#
# :math:`v_1` is used twice, so its adjoint collects two contributions. That
# accumulation is the whole difference between a graph and a tree.
graph.backward(z)
print(autodiff.format_table(graph.trace(), columns=("name", "op", "value", "adjoint")))
print(f"\ndz/da = {a.grad:.15f}   (2/9  = {2 / 9:.15f})")
print(f"dz/db = {b.grad:.15f}   (-2/9 = {-2 / 9:.15f})")

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
# float64.
import torch

at = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
bt = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
zt = at**2 / (at**2 + bt**2 + 1)
zt.backward()

closed = (2 * 2 * (1**2 + 1) / 36, -2 * 2**2 * 1 / 36)
print(f"{'':8s}{'nntheory':>20s}{'torch.autograd':>20s}{'closed form':>20s}")
print(f"{'dz/da':8s}{a.grad:20.15f}{at.grad.item():20.15f}{closed[0]:20.15f}")
print(f"{'dz/db':8s}{b.grad:20.15f}{bt.grad.item():20.15f}{closed[1]:20.15f}")
print(f"max |nntheory - torch| = {max(abs(a.grad - at.grad.item()), abs(b.grad - bt.grad.item())):.1e}")

# %%
# What to notice
# --------------
# * The backward sweep returns :math:`\partial z/\partial a = 2/9` and
#   :math:`\partial z/\partial b = -2/9` at :math:`(2, 1)`; the printed
#   difference to ``torch.autograd`` is at the level of float64 rounding.
# * One backward sweep produced *both* partial derivatives. For a scalar
#   output, reverse mode costs a small constant multiple of one function
#   evaluation however many inputs there are; that is why training, with
#   one loss and millions of parameters, uses it (see
#   :ref:`sphx_glr_auto_examples_01_autodiff_plot_03_forward_vs_reverse_cost.py`).
# * The only non-local step is the sum over a node's consumers: :math:`v_1`
#   feeds both the numerator and the denominator, and its adjoint
#   :math:`1/6 - 1/9` is the sum of the two paths.

# sphinx_gallery_thumbnail_number = 1
