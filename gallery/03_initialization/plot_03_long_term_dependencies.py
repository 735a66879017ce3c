"""
Long-term dependencies: the gradient as a product of Jacobians
==============================================================

In an :math:`N`-layer fully connected network that uses the *same* square
weight matrix :math:`W` in every layer, the gradient with respect to a
first-layer weight is a product of :math:`N-1` layer Jacobians. The exercise
asks for this product in matrix–vector form, for what happens to it when
:math:`\\nabla_y E` is an eigenvector and every ReLU is active, for the effect
of sigmoid or tanh activations, and for two further reasons why training
deep networks is hard. This is exercise 9.3.2 of sheet 9 of the Theory of
Neural Networks course, ID ``tnn-9/3.2``.

The claim checked here: with all ReLUs active and :math:`\\nabla_y E` an
eigenvector (of :math:`W^\\top`) with eigenvalue :math:`\\lambda`,
:math:`\\partial E/\\partial w^{(1)}_{11} = \\lambda^{N-1} x_1 (\\nabla_y E)_1`,
which vanishes or explodes exponentially in the depth unless
:math:`|\\lambda| = 1`; sigmoids add a factor of at most :math:`1/4` per
layer, tanh a factor of at most 1.
"""

# %%
# Notation and the backward recursion
# -----------------------------------
# Following Bishop's §5.3.1 as the sheet does: :math:`z^{(1)} = x`,
# :math:`a^{(k+1)} = W^{(k)} z^{(k)}`, :math:`z^{(k)} = h(a^{(k)})` for
# :math:`k = 2, \dots, N`, linear output :math:`y = a^{(N+1)}`, and
# :math:`\delta^{(k)} = \partial E/\partial a^{(k)}`. The chain rule through
# :math:`a^{(k+1)}_l = \sum_j w^{(k)}_{lj} h(a^{(k)}_j)` gives
#
# .. math::
#
#    \delta^{(k)}_j = h'(a^{(k)}_j) \sum_l w^{(k)}_{lj}\, \delta^{(k+1)}_l,
#    \qquad \frac{\partial E}{\partial w^{(k)}_{ji}} = \delta^{(k+1)}_j z^{(k)}_i .
#
# (The sheet prints :math:`\delta^{(k+1)}_j` inside the sum; the summation
# index must be :math:`l`.) In vector form, with :math:`\odot` the
# elementwise product and :math:`D^{(k)} = \operatorname{diag}(h'(a^{(k)}))`,
#
# .. math::
#
#    \delta^{(k)} = h'(a^{(k)}) \odot \big(W^{(k)\top} \delta^{(k+1)}\big)
#    = D^{(k)} W^{(k)\top} \delta^{(k+1)}, \qquad
#    \delta^{(N+1)} = \nabla_y E .
#
# (a) The first-layer derivative
# ------------------------------
# Unrolling the recursion from :math:`\delta^{(N+1)}` down to
# :math:`\delta^{(2)}` with :math:`W^{(k)} = W` in every layer,
#
# .. math::
#
#    \frac{\partial E}{\partial w^{(1)}_{11}} = \delta^{(2)}_1\, x_1
#    = x_1\, \Big[ D^{(2)} W^\top D^{(3)} W^\top \cdots D^{(N)} W^\top
#    \nabla_y E \Big]_1 ,
#
# or, written with :math:`\odot`,
#
# .. math::
#
#    \delta^{(2)} = h'(a^{(2)}) \odot W^\top \Big( h'(a^{(3)}) \odot W^\top
#    \big( \cdots \big( h'(a^{(N)}) \odot W^\top \nabla_y E \big) \cdots \big) \Big),
#
# so the derivative is a product of :math:`N - 1` factors :math:`D^{(k)} W^\top`.
# :func:`nntheory.diagnostics.jacobian_products.shared_weight_backprop` (module
# :mod:`nntheory.diagnostics.jacobian_products`) evaluates exactly this
# recursion; we compare it with ``torch.autograd`` on a network whose
# :math:`N` layers hold separate copies of :math:`W` (so that autograd
# returns the derivative with respect to the *first-layer* copy, not the
# sum over layers that a truly tied parameter would get), with the loss
# :math:`E = \tfrac12\|y - t\|^2`, so :math:`\nabla_y E = y - t`.
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.diagnostics.jacobian_products import first_layer_gradient_bound, shared_weight_backprop

rng = np.random.default_rng(0)
n_units = 8
ACT = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def autograd_first_layer(W, x, t, n_layers, activation):
    """dE/dW^(1) (shape (n_units, n_units)) and grad_y E, by torch.autograd in float64."""
    Ws = [torch.tensor(W, requires_grad=True) for _ in range(n_layers)]
    z = torch.tensor(x)
    for k, Wk in enumerate(Ws):
        a = Wk @ z
        z = ACT[activation](a) if k < n_layers - 1 else a  # linear output layer
    E = 0.5 * ((z - torch.tensor(t)) ** 2).sum()
    E.backward()
    return Ws[0].grad.numpy(), (z - torch.tensor(t)).detach().numpy()


W = rng.normal(0.0, 1.0 / math.sqrt(n_units), size=(n_units, n_units))
x, t = rng.normal(size=n_units), rng.normal(size=n_units)
print("random W, N = 6: dE/dw11 by the product formula and by autograd")
for activation in ACT:
    ref, grad_y = autograd_first_layer(W, x, t, 6, activation)
    ours = shared_weight_backprop(W, x, grad_y, 6, activation).grad_first_layer
    print(f"  {activation:7s}  formula {ours[0, 0]:+.6e}  autograd {ref[0, 0]:+.6e}  max |diff| over all of dE/dW1 = {np.abs(ours - ref).max():.1e}")

# %%
# (b) All ReLUs active, :math:`\nabla_y E` an eigenvector
# --------------------------------------------------------
# If every ReLU fires, :math:`h'(a^{(k)}) = 1` and :math:`D^{(k)} = I`, so
# :math:`\partial E/\partial w^{(1)}_{11} = x_1 [(W^\top)^{N-1} \nabla_y E]_1`.
# If :math:`W^\top \nabla_y E = \lambda \nabla_y E`,
#
# .. math::
#
#    \frac{\partial E}{\partial w^{(1)}_{11}} = \lambda^{N-1}\, x_1\, (\nabla_y E)_1 .
#
# (Precisely, :math:`\nabla_y E` must be an eigenvector of :math:`W^\top`,
# a left eigenvector of :math:`W`; for a symmetric :math:`W`, as used
# below, the two coincide.) For :math:`|\lambda| < 1` the derivative
# **vanishes** exponentially with the depth: the first layer receives
# essentially no learning signal, training stalls in the lower layers, and
# the network cannot learn how the output depends on inputs many layers
# (or, in a recurrent network, many time steps) back. For
# :math:`|\lambda| > 1` it **explodes**: a single gradient step is then
# huge, overshoots and can diverge (or overflow), unless the step size is
# made so small that the other layers no longer learn. Only
# :math:`|\lambda| = 1` keeps the scale, and that is a knife edge.
#
# To make every ReLU fire we take a symmetric matrix :math:`P` with positive
# entries, scaled so that its largest eigenvalue is 1, and its positive
# (Perron) eigenvector :math:`u`; with :math:`W = \lambda P` and a positive
# input, all pre-activations are positive, and the target
# :math:`t = y - u` makes :math:`\nabla_y E = y - t = u` an eigenvector with
# eigenvalue :math:`\lambda`.
A = rng.uniform(0.2, 1.0, size=(n_units, n_units))
P = (A + A.T) / 2
eigvals, eigvecs = np.linalg.eigh(P)
P = P / eigvals[-1]
u = np.abs(eigvecs[:, -1])  # Perron vector: all entries of one sign
x_pos = rng.uniform(0.5, 1.0, size=n_units)

lambdas = [0.7, 0.9, 1.0, 1.1, 1.3]
depths = np.arange(1, 41)


def eigen_experiment(lam, activation):
    """|dE/dw11| for each depth: autograd, formula, and the bound; shape (len(depths),) each."""
    W = lam * P
    auto, formula, bound, all_active = [], [], [], True
    for N in depths:
        res = shared_weight_backprop(W, x_pos, u, N, activation)
        y = res.preactivations[-1]
        ref, grad_y = autograd_first_layer(W, x_pos, y - u, N, activation)
        all_active &= all(np.all(a > 0) for a in res.preactivations[:-1])
        auto.append(abs(ref[0, 0]))
        formula.append(abs(shared_weight_backprop(W, x_pos, grad_y, N, activation).grad_first_layer[0, 0]))
        bound.append(first_layer_gradient_bound(W, x_pos, grad_y, N, activation))
    return np.array(auto), np.array(formula), np.array(bound), all_active


results = {(lam, act): eigen_experiment(lam, act) for lam in lambdas for act in ACT}
law = {lam: lam ** (depths - 1.0) * x_pos[0] * u[0] for lam in lambdas}
print("ReLU, grad_y E = eigenvector with eigenvalue lambda:")
print("  lambda  all ReLUs active  |dE/dw11| at N=40   lambda^39 x1 u1   max rel. diff (autograd vs law, all N)")
for lam in lambdas:
    auto, formula, _, active = results[(lam, "relu")]
    print(f"  {lam:.1f}     {active}              {auto[-1]:.4e}         {law[lam][-1]:.4e}        {np.max(np.abs(auto / law[lam] - 1)):.1e}")

# %%
# (c) Sigmoid and tanh
# --------------------
# Now :math:`D^{(k)}` is no longer the identity. Its diagonal entries are
# :math:`\sigma'(a) \in (0, 1/4]` or :math:`\tanh'(a) \in (0, 1]`, so
# :math:`\|D^{(k)}\|_2 \le c` with :math:`c = 1/4` or 1, and
#
# .. math::
#
#    \Big|\frac{\partial E}{\partial w^{(1)}_{11}}\Big|
#    \le |x_1|\, \|D^{(2)} W^\top \cdots D^{(N)} W^\top \nabla_y E\|
#    \le |x_1|\, \big(c\, \|W\|_2\big)^{N-1} \|\nabla_y E\| .
#
# With the sigmoid every layer multiplies the bound by at most
# :math:`\|W\|_2 / 4`: compared with the all-active ReLU network the
# derivative shrinks by at least :math:`4^{-(N-1)}`, and it vanishes
# exponentially unless :math:`\|W\|_2 > 4`. With tanh the bound is the
# same as for the linear case, but every factor :math:`\tanh'(a) < 1` for
# :math:`a \neq 0`, and saturated units (:math:`|a|` large) contribute
# factors near zero, so the derivative decays faster than :math:`\lambda^{N-1}`.
# Either way the vanishing problem gets worse, never better.
# :func:`nntheory.diagnostics.jacobian_products.first_layer_gradient_bound`
# evaluates the bound.
for act in ("tanh", "sigmoid"):
    print(f"{act}: |dE/dw11| at N=40 (autograd) and the bound x (c ||W||)^39 ||grad_y E||")
    for lam in lambdas:
        auto, formula, bound, _ = results[(lam, act)]
        print(f"  lambda={lam:.1f}: {auto[-1]:.3e}  bound {bound[-1]:.3e}  "
              f"bound holds at every N: {bool(np.all(auto <= bound * (1 + 1e-12)))}  max rel. diff formula vs autograd: {np.max(np.abs(formula / auto - 1)):.1e}")

# %%
# Figure: first-layer gradient against depth
# ------------------------------------------
# Markers: ``torch.autograd``; lines: the product formula; dashed:
# :math:`\lambda^{N-1} x_1 u_1` (ReLU) or the bound (tanh, sigmoid). The
# vertical axis is logarithmic, so exponential laws are straight lines.
colours = plt.get_cmap("tab10").colors
fig, axes = plt.subplots(1, 3, figsize=(12, 4.6), sharey=True)
for ax, act in zip(axes, ACT):
    for i, lam in enumerate(lambdas):
        auto, formula, bound, _ = results[(lam, act)]
        ax.semilogy(depths, auto, "o", ms=3.5, color=colours[i], label=f"$\\lambda = {lam}$")
        ax.semilogy(depths, formula, "-", lw=1.2, color=colours[i])
        ax.semilogy(depths, law[lam] if act == "relu" else bound, "--", lw=1.0, color=colours[i])
    ax.set_xlabel("depth $N$ (number of weight layers)", fontsize=12)
    ax.set_title({"relu": "ReLU (all active): $\\lambda^{N-1}$", "tanh": "tanh: factor $\\tanh' \\leq 1$", "sigmoid": "sigmoid: factor $\\sigma' \\leq 1/4$"}[act], fontsize=12)
    ax.grid(alpha=0.3)
axes[0].set_ylabel("$|\\partial E / \\partial w^{(1)}_{11}|$", fontsize=12)
axes[0].legend(fontsize=10, loc="lower left")
axes[1].plot([], [], "k--", lw=1.0, label="bound $|x_1|(c\\|W\\|_2)^{N-1}\\|\\nabla_y E\\|$")
axes[1].legend(fontsize=10, loc="lower left")
axes[0].set_ylim(1e-33, 1e6)
fig.suptitle("The first-layer gradient scales like $\\lambda^{N-1}$ with all ReLUs active, and vanishes far faster with sigmoids", fontsize=13)
fig.tight_layout()

# %%
# (d) Two further obstacles
# -------------------------
# 1. **Saddle points and flat regions**: in high dimension most critical
#    points of a non-convex loss are saddles, surrounded by plateaus where
#    the gradient is tiny although the loss is far from minimal, so gradient
#    descent slows to a crawl there.
# 2. **Inexact gradients**: minibatch (stochastic) gradients are noisy
#    estimates of the true gradient, so the iterates keep fluctuating and the
#    learning rate must be decayed, trading speed against precision.
#
# (Ill-conditioned Hessians, the other classic obstacle, are the subject of
# exercise 9.3.1.)
#
# What to notice
# --------------
# * (a) :math:`\partial E/\partial w^{(1)}_{11} = x_1 [D^{(2)} W^\top \cdots
#   D^{(N)} W^\top \nabla_y E]_1` with :math:`D^{(k)} = \operatorname{diag}(h'(a^{(k)}))`;
#   the library's recursion matches autograd to rounding error (printed
#   differences).
# * (b) With all ReLUs active and :math:`\nabla_y E` an eigenvector, the
#   derivative is :math:`\lambda^{N-1} x_1 (\nabla_y E)_1`: straight lines
#   on the log axis, down for :math:`|\lambda| < 1` (vanishing gradients:
#   the first layers stop learning), up for :math:`|\lambda| > 1`
#   (exploding gradients: unstable steps), flat only for :math:`|\lambda| = 1`.
# * (c) Sigmoids multiply by at most :math:`1/4` per layer, so even
#   :math:`\lambda = 1.3` gives a vanishing gradient; tanh multiplies by at most
#   1, and in practice by less. The measured values stay below the bound at
#   every depth.
# * (d) Saddle points/plateaus, and noisy minibatch gradients.

# sphinx_gallery_thumbnail_number = 1
