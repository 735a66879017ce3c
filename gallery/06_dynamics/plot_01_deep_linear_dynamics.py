"""
Learning rates of a two-layer scalar linear network
===================================================

Question 4 of the CSC413 math homework 2 (ID ``csc413-hw2/q4``) studies the
smallest "deep" network there is: :math:`f(x) = w_2 w_1 x`, two scalar
weights and no nonlinearity, trained by gradient descent to represent the
zero function, with a separate learning rate :math:`\\alpha_1, \\alpha_2` for
each layer. Part (a) asks for the loss, its gradient and Hessian, whether it
is convex and where its minima are; part (b) for the explicit update; part
(c) for pictures of the loss after :math:`k` steps over a grid of learning
rates, for several initialisations, with a zoom on the edge between
convergence and divergence. This page derives (a) and (b), checks every
formula numerically, and draws (c). The research question of part (c5) has
its own page, :ref:`sphx_glr_auto_examples_06_dynamics_plot_01b_deep_linear_implicit_bias.py`.

The claim in short: the population loss :math:`\\tfrac12 (w_1 w_2)^2` is not
convex, its minimisers are the two coordinate axes, and whether GD converges
is decided by the single number :math:`s(0) = \\alpha_1 w_2(0)^2 + \\alpha_2 w_1(0)^2`:
below 4 it converges, above 4 it diverges (for every grid cell off the axes
we computed), because GD maps the line :math:`s = 4` onto itself. Near that
edge the convergence *speed* forms intricate, ever finer filaments.
"""

# %%
# Part (a1, a2): pointwise and population loss
# --------------------------------------------
# With target :math:`f^*(x) = 0` and :math:`\ell(y, t) = \tfrac12 (y - t)^2`,
# the pointwise loss is
#
# .. math::
#
#    \ell\big(f(x; w_1, w_2), f^*(x)\big) = \tfrac12 (w_2 w_1 x)^2
#    = \tfrac12 w_1^2 w_2^2 x^2 .
#
# Only :math:`x^2` is random, so taking the expectation over :math:`X` with
# :math:`\mathbb E[X^2] = 1` gives the population loss
#
# .. math::
#
#    L(w_1, w_2) = \tfrac12 w_1^2 w_2^2\, \mathbb E[X^2] = \tfrac12 (w_1 w_2)^2 .
#
# Only the second moment of :math:`X` enters (the zero mean is not even
# needed). We check it by Monte Carlo for two input distributions with
# :math:`\mathbb E[X^2] = 1`, a standard normal and a uniform on
# :math:`[-\sqrt3, \sqrt3]`, and compare with
# :func:`nntheory.deep_linear.population_loss`.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import deep_linear

# sphinx_gallery_thumbnail_number = 3
rng = np.random.default_rng(0)

w1, w2 = 0.8, -1.3
n = 1_000_000
for name, x in [("normal", rng.standard_normal(n)), ("uniform", rng.uniform(-np.sqrt(3), np.sqrt(3), n))]:
    pointwise = 0.5 * (w2 * w1 * x) ** 2
    se = pointwise.std() / np.sqrt(n)
    print(f"{name:8s} Monte Carlo L = {pointwise.mean():.5f} +- {se:.5f}   closed form = {deep_linear.population_loss(w1, w2):.5f}")

# %%
# Part (a3, a4): gradient and Hessian
# -----------------------------------
# Differentiating :math:`L = \tfrac12 w_1^2 w_2^2`:
#
# .. math::
#
#    \nabla L(w_1, w_2) = \begin{pmatrix} w_1 w_2^2 \\ w_1^2 w_2 \end{pmatrix},
#    \qquad
#    \nabla^2 L(w_1, w_2) = \begin{pmatrix} w_2^2 & 2 w_1 w_2 \\ 2 w_1 w_2 & w_1^2 \end{pmatrix}.
#
# The off-diagonal entry is :math:`\partial_{w_2}(w_1 w_2^2) = 2 w_1 w_2`.
# We compare both with ``torch.autograd`` in float64 at random points.
points = rng.normal(scale=1.5, size=(20, 2))
grad_err, hess_err = 0.0, 0.0
for a, b in points:
    w = torch.tensor([a, b], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(0.5 * (w[0] * w[1]) ** 2, w)
    h = torch.autograd.functional.hessian(lambda v: 0.5 * (v[0] * v[1]) ** 2, w.detach())
    grad_err = max(grad_err, np.abs(np.array(deep_linear.gradient(a, b)) - g.numpy()).max())
    hess_err = max(hess_err, np.abs(deep_linear.hessian(a, b) - h.numpy()).max())
print(f"max |closed-form gradient - autograd| over 20 points: {grad_err:.2e}")
print(f"max |closed-form Hessian  - autograd| over 20 points: {hess_err:.2e}")

# %%
# Part (a5): the loss is not convex
# ---------------------------------
# A twice-differentiable function is convex if and only if its Hessian is
# positive semidefinite everywhere. Here
#
# .. math::
#
#    \det \nabla^2 L = w_1^2 w_2^2 - 4 w_1^2 w_2^2 = -3\, w_1^2 w_2^2 ,
#
# which is strictly negative whenever :math:`w_1 w_2 \neq 0`. A negative
# determinant of a 2×2 symmetric matrix means one positive and one negative
# eigenvalue, so the Hessian is indefinite at every point off the axes, and
# :math:`L` is not convex. At :math:`(1, 1)` the eigenvalues are :math:`3`
# and :math:`-1` (the direction :math:`(1, -1)` curves downwards).
#
# A direct counterexample to the definition
# :math:`L(\tfrac{u+v}2) \le \tfrac12 L(u) + \tfrac12 L(v)` needs no
# calculus: :math:`u = (1, 0)` and :math:`v = (0, 1)` both have loss 0, but
# their midpoint :math:`(\tfrac12, \tfrac12)` has loss
# :math:`\tfrac12 \cdot \tfrac1{16} = \tfrac1{32} > 0`.
print("eigenvalues of the Hessian at (1, 1):", np.linalg.eigvalsh(deep_linear.hessian(1.0, 1.0)))
print("L(1, 0), L(0, 1), L(1/2, 1/2) =", deep_linear.population_loss(1.0, 0.0), deep_linear.population_loss(0.0, 1.0), deep_linear.population_loss(0.5, 0.5))
off_axis = rng.normal(size=(10_000, 2))
eig = np.linalg.eigvalsh(deep_linear.hessian(off_axis[:, 0], off_axis[:, 1]))
print(f"random points off the axes with an indefinite Hessian: {np.mean((eig[:, 0] < 0) & (eig[:, 1] > 0)):.1%}")

# %%
# Part (a6): minimum and minimisers
# ---------------------------------
# :math:`L \ge 0` as half a square, and :math:`L = 0` exactly when
# :math:`w_1 w_2 = 0`. So the minimum value is 0 and the set of minimisers is
# the union of the two axes,
#
# .. math::
#
#    \operatorname{argmin} L = \{(w_1, w_2) : w_1 = 0\} \cup \{(w_1, w_2) : w_2 = 0\},
#
# a connected but non-convex set: another way to see that :math:`L` is not
# convex (the minimisers of a convex function form a convex set). The origin
# is special: there the gradient *and* the Hessian vanish, it is a
# degenerate saddle of the landscape, and GD started near it moves slowly.
# On the axis :math:`w_2 = 0` the Hessian is
# :math:`\operatorname{diag}(0, w_1^2)`: flat along the valley, curvature
# :math:`w_1^2` across it. This *sharpness* will decide which minima GD can
# settle in.
grid = np.linspace(-2, 2, 401)
W1, W2 = np.meshgrid(grid, grid)
fig, ax = plt.subplots(figsize=(6, 5.2), layout="constrained")
cs = ax.contourf(W1, W2, np.log10(deep_linear.population_loss(W1, W2) + 1e-4), levels=20, cmap="viridis")
fig.colorbar(cs, ax=ax, label=r"$\log_{10}\,(L(w_1, w_2) + 10^{-4})$")
ax.axhline(0, color="#E69F00", lw=3, label="minimisers ($L = 0$)")
ax.axvline(0, color="#E69F00", lw=3)
ax.plot([1, 0, 0.5], [0, 1, 0.5], "o", color="white", mec="black", ms=8, label=r"$L(1,0)=L(0,1)=0 < L(\frac{1}{2},\frac{1}{2})$")
ax.plot([1, 0], [0, 1], "--", color="white", lw=1.5)
ax.set_xlabel(r"$w_1$", fontsize=12)
ax.set_ylabel(r"$w_2$", fontsize=12)
ax.set_title("The minimisers are the two axes; the chord between\ntwo of them leaves the minimum set: not convex", fontsize=11)
ax.legend(loc="lower left", fontsize=9, framealpha=0.9)
plt.show()

# %%
# Part (b): the explicit update
# -----------------------------
# Substituting the gradient into the per-layer GD step (both components
# computed from the weights at step :math:`k`):
#
# .. math::
#
#    w_1(k+1) = w_1(k) - \alpha_1 w_1(k) w_2(k)^2 = w_1(k)\,\big(1 - \alpha_1 w_2(k)^2\big),
#
#    w_2(k+1) = w_2(k) - \alpha_2 w_1(k)^2 w_2(k) = w_2(k)\,\big(1 - \alpha_2 w_1(k)^2\big).
#
# Each weight is multiplied by a factor set by the *other* weight. The
# product :math:`v = w_1 w_2`, the function the network computes, follows
#
# .. math::
#
#    \begin{aligned}
#    v(k+1) &= v(k)\,\big(1 - \alpha_1 w_2^2\big)\big(1 - \alpha_2 w_1^2\big)
#            = v(k)\,\big(1 - s(k) + \alpha_1\alpha_2\, v(k)^2\big), \\
#    s &= \alpha_1 w_2^2 + \alpha_2 w_1^2 .
#    \end{aligned}
#
# For a one-layer model :math:`v` the factor would be the constant
# :math:`1 - \alpha`; here it changes with the weights, which is why the
# exact analysis is harder. :func:`nntheory.deep_linear.gd_losses` runs this
# update on whole grids of :math:`(\alpha_1, \alpha_2)` at once with numpy
# broadcasting. A run whose loss passes :math:`10^{100}` is stopped and
# reported as :math:`+\infty` (drawn in grey below); no floating-point
# overflow ever happens. A quick check against a hand-written loop:
a1, a2, w = 0.3, 0.7, (1.0, 1.5)
x1, x2 = w
for _ in range(25):
    x1, x2 = x1 - a1 * x1 * x2**2, x2 - a2 * x1**2 * x2
print(f"L after 25 steps: loop {0.5 * (x1 * x2) ** 2:.6e}, library {deep_linear.gd_losses(*w, a1, a2, [25])[0]:.6e}")

# %%
# Part (c1): loss after k steps over a grid of learning rates
# -----------------------------------------------------------
# We start from :math:`w_1(0) = 1`, :math:`w_2(0) = 1.5` and sweep a
# 240 × 240 grid with :math:`\alpha_1 \in [0, 2]`,
# :math:`\alpha_2 \in [0, 4.5]`. The colour is :math:`\log_{10} L` after
# :math:`k` steps, clipped below at :math:`10^{-16}` (loss can be exactly 0:
# when :math:`\alpha_1 w_2^2 = 1` a single step sets :math:`w_1` to zero);
# grey cells diverged. The dashed line is
# :math:`s(0) = \alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2 = 4`, explained below.
from matplotlib.colors import Normalize
from matplotlib.patches import Patch

STEPS = [10, 25, 50, 100, 200]
W1_0, W2_0 = 1.0, 1.5
alpha1 = np.linspace(0.0, 2.0, 240)
alpha2 = np.linspace(0.0, 4.5, 240)
A1, A2 = np.meshgrid(alpha1, alpha2)  # (240, 240): rows index alpha2
losses = deep_linear.gd_losses(W1_0, W2_0, A1, A2, STEPS)  # (5, 240, 240)

CMAP = plt.get_cmap("viridis").with_extremes(bad="0.78")
NORM = Normalize(vmin=-16, vmax=2)


def show_log_loss(ax, a1, a2, loss):
    """Heatmap of log10 L with diverged cells (inf) masked in grey."""
    with np.errstate(divide="ignore"):
        z = np.ma.masked_invalid(np.log10(np.maximum(loss, 1e-300)))
    return ax.pcolormesh(a1, a2, np.clip(z, NORM.vmin, None), cmap=CMAP, norm=NORM, shading="auto", rasterized=True)


def s_line(ax, w1_0, w2_0, a1_max, **kw):
    a = np.linspace(0, a1_max, 50)
    ax.plot(a, (4 - a * w2_0**2) / w1_0**2, "--", color="white", lw=1.6, **kw)


fig, axes = plt.subplots(2, 3, figsize=(13, 8.4), sharex=True, sharey=True, layout="constrained")
for ax, k, loss in zip(axes.flat, STEPS, losses):
    mesh = show_log_loss(ax, alpha1, alpha2, loss)
    s_line(ax, W1_0, W2_0, alpha1[-1])
    ax.set_xlim(alpha1[0], alpha1[-1])
    ax.set_ylim(alpha2[0], alpha2[-1])
    ax.set_title(f"k = {k}: {np.mean(loss < 1e-6):.0%} below 1e-6, {np.mean(np.isinf(loss)):.0%} diverged", fontsize=11)
for ax in axes[1]:
    ax.set_xlabel(r"$\alpha_1$", fontsize=12)
for ax in axes[:, 0]:
    ax.set_ylabel(r"$\alpha_2$", fontsize=12)
# The sixth panel holds the key instead of a heatmap.
key = axes[1, 2]
key.set_axis_off()
key.legend(handles=[Patch(color="0.78", label="diverged"), plt.Line2D([], [], ls="--", color="black", label=r"$\alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2 = 4$")],
           loc="center", fontsize=11, title=r"$w(0) = (1, 1.5)$, 240 $\times$ 240 grid", title_fontsize=11)
cbar = fig.colorbar(mesh, ax=axes, extend="min", pad=0.01)
cbar.set_label(r"$\log_{10} L(w_1(k), w_2(k))$", fontsize=11)
fig.suptitle("The converged region deepens with k; its edge stays on the dashed line", fontsize=13)
plt.show()

print("  k   diverged   median log10 L of the other cells")
for k, loss in zip(STEPS, losses):
    median = np.median(np.log10(np.maximum(loss[np.isfinite(loss)], 1e-300)))
    print(f"{k:3d} {np.mean(np.isinf(loss)):10.1%} {median:14.2f}")

# %%
# How the picture changes with :math:`k`: after 10 steps only part of the
# stable region has reached small loss (printed in the panel titles), and
# bright bands of slow convergence cross near the point
# :math:`\alpha_1 w_2(0)^2 = \alpha_2 w_1(0)^2 = 1`, where the first step
# would set both weights to zero at once: nearby, the first step lands next
# to the saddle at the origin, where the cubic gradient makes progress slow
# (the loss is small but falls slowly). As :math:`k` grows the converging
# region darkens (its loss drops geometrically), the bright bands narrow to
# thin curves, and the diverged (grey) region keeps growing by a sliver
# (the printed percentages): runs near the edge that oscillate for a while
# eventually blow up.
# The learning rates that converge fastest are the moderate ones *inside*
# the region, not the largest ones next to the edge. Rates near zero
# converge slowly too (the dark region fades towards the axes).
#
# Why the edge sits on :math:`s(0) = 4`. Write the two step-size-weighted
# curvatures :math:`u = \alpha_2 w_1^2` and :math:`t = \alpha_1 w_2^2`
# (so :math:`s = u + t`). The update of part (b) gives
#
# .. math::
#
#    u' = \alpha_2 w_1^2 (1 - t)^2 = u (1 - t)^2, \qquad t' = t (1 - u)^2 ,
#
# a closed map of the :math:`(u, t)` plane. On the line :math:`u + t = 4`,
# substituting :math:`t = 4 - u`,
#
# .. math::
#
#    \begin{aligned}
#    u' + t' &= u (u - 3)^2 + (4 - u)(1 - u)^2 \\
#            &= (u^3 - 6u^2 + 9u) + (-u^3 + 6u^2 - 9u + 4) = 4 ,
#    \end{aligned}
#
# so the line :math:`s = 4` is mapped onto itself: a run that starts on it
# never leaves it, and neither converges (:math:`L \to 0` needs
# :math:`u t = \alpha_1\alpha_2 (w_1 w_2)^2 \to 0` while :math:`s` stays 4,
# e.g. :math:`(w_1, w_2) = (1, 1)`, :math:`\alpha_1 = \alpha_2 = 2` hops
# between :math:`(1, 1)` and :math:`(-1, -1)` forever) nor escapes. This
# invariant line is the edge between the two fates. The exceptions are the
# axes of the grid: with :math:`\alpha_2 = 0` only :math:`w_1` moves, the
# problem is one-layer, and it is stable only for :math:`t = \alpha_1 w_2^2 < 2`.
# The fraction of grid cells off the axes on the predicted side (converged
# below the line, diverged above it, after 200 steps) is:
off_axes = (A1 > 0) & (A2 > 0)
s0 = A1 * W2_0**2 + A2 * W1_0**2
agree = np.mean(((s0 < 4) == np.isfinite(losses[-1]))[off_axes])
print(f"cells off the axes on the predicted side of s(0) = 4 after 200 steps: {agree:.2%}")
hops = [tuple(float(v) for v in deep_linear.gd_step(*w, 2.0, 2.0)) for w in [(1.0, 1.0), (-1.0, -1.0)]]
print("on the line, alpha1 = alpha2 = 2: GD maps (1, 1) and (-1, -1) to", hops)

# %%
# Part (c2, c3): other initialisations
# ------------------------------------
# The same map after :math:`k = 100` steps, now on a common
# :math:`[0, 3]^2` grid, for six initialisations. Each panel carries its own
# line :math:`\alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2 = 4`. (A run on the
# axis :math:`\alpha_2 = 0` with :math:`2 < t < 4` grows only geometrically
# and may not pass the :math:`10^{100}` threshold within 100 steps; it shows
# as a thin yellow edge row, not grey.)
INITS = [(1.0, 1.0), (1.5, 0.5), (0.5, 1.5), (2.0, 2.0), (1.0, -1.5), (0.2, 0.2)]
alpha = np.linspace(0.0, 3.0, 240)
B1, B2 = np.meshgrid(alpha, alpha)
inits = np.array(INITS)
# One call for all six: initialisations on a leading axis, broadcast against the grid.
loss_inits = deep_linear.gd_losses(inits[:, 0, None, None], inits[:, 1, None, None], B1, B2, [100])[0]  # (6, 240, 240)

fig, axes = plt.subplots(2, 3, figsize=(13, 8.4), sharex=True, sharey=True, layout="constrained")
for ax, (a, b), loss in zip(axes.flat, INITS, loss_inits):
    mesh = show_log_loss(ax, alpha, alpha, loss)
    s_line(ax, a, b, 3.0)
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_title(f"$w(0) = ({a:g}, {b:g})$: {np.mean(np.isinf(loss)):.0%} diverged, {np.mean(loss < 1e-6):.0%} below 1e-6", fontsize=10)
for ax in axes[1]:
    ax.set_xlabel(r"$\alpha_1$", fontsize=12)
for ax in axes[:, 0]:
    ax.set_ylabel(r"$\alpha_2$", fontsize=12)
cbar = fig.colorbar(mesh, ax=axes, extend="min", pad=0.01)
cbar.set_label(r"$\log_{10} L$ after $k = 100$ steps", fontsize=11)
axes[0, 0].legend(handles=[Patch(color="0.78", label="diverged")], loc="upper right", fontsize=9)
fig.suptitle("Larger initial weights shrink the stable region (edge on the dashed line); a tiny initialisation is stable but slow", fontsize=12)
plt.show()

print("   w(0)      diverged  predicted side  median L")
for (a, b), loss in zip(INITS, loss_inits):
    s = B1 * b**2 + B2 * a**2
    finite = np.isfinite(loss)
    inside = (B1 > 0) & (B2 > 0)
    print(f"({a:4.1f}, {b:4.1f}) {np.mean(~finite):10.1%} {np.mean(((s < 4) == finite)[inside]):16.2%} {np.median(loss):12.1e}")
mirror = deep_linear.gd_losses(1.0, 1.5, B1, B2, [100])[0]
same = np.array_equal(np.isinf(mirror), np.isinf(loss_inits[4]))
print(f"(1, -1.5) vs (1, 1.5): same diverged cells {same}, max |difference| elsewhere "
      f"{np.abs(mirror[np.isfinite(mirror)] - loss_inits[4][np.isfinite(mirror)]).max():.1e}")
print("predicted side: fraction of off-axis cells converging below s(0) = 4, diverging above")

# %%
# What the initialisations show:
#
# * **Scale.** The stable region is roughly the triangle
#   :math:`\alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2 < 4`: doubling both initial
#   weights from :math:`(1, 1)` to :math:`(2, 2)` shrinks it by a factor of 4
#   in each direction. Larger weights mean a sharper starting point (the
#   Hessian entries are the squared weights), hence smaller stable rates.
# * **Asymmetry.** With :math:`w(0) = (1.5, 0.5)` the *second* layer's rate is
#   the sensitive one (its update is multiplied by :math:`w_1^2 = 2.25`) and
#   the first layer tolerates large rates; :math:`(0.5, 1.5)` is the mirror
#   image. Each layer's step is scaled by the other layer's weight.
# * **Sign.** :math:`(1, -1.5)` gives exactly the same losses as
#   :math:`(1, 1.5)` (printed: same diverged cells, zero difference): the
#   map :math:`(w_1, w_2) \mapsto (w_1, -w_2)` commutes with the update,
#   because :math:`w_2` enters the update of :math:`w_1` only squared and its
#   own update is odd in :math:`w_2`.
# * **Tiny initialisation.** At :math:`(0.2, 0.2)` nothing diverges on this
#   grid, and the loss, small to begin with, falls slowly at first: the
#   start is close to the
#   saddle at the origin where the gradient :math:`(w_1 w_2^2, w_1^2 w_2)` is
#   cubic in the weights. Deep networks share this slow start from small
#   initialisations.
#
# Part (c4): zoom on the edge
# ---------------------------
# We zoom into a window on the edge for :math:`w(0) = (1, 1)`,
# :math:`\alpha_1 \in [2.9, 3.3]`, :math:`\alpha_2 \in [0.7, 1.1]`, at
# 300 × 300 resolution, and compare :math:`k = 50` with :math:`k = 200`.
zoom1 = np.linspace(2.9, 3.3, 300)
zoom2 = np.linspace(0.7, 1.1, 300)
Z1, Z2 = np.meshgrid(zoom1, zoom2)
zoom_losses = deep_linear.gd_losses(1.0, 1.0, Z1, Z2, [50, 200])  # (2, 300, 300)

fig, axes = plt.subplots(1, 2, figsize=(12, 5.4), sharey=True, layout="constrained")
for ax, k, loss in zip(axes, [50, 200], zoom_losses):
    mesh = show_log_loss(ax, zoom1, zoom2, loss)
    ax.plot(zoom1, 4 - zoom1, "--", color="white", lw=1.6)
    ax.set_xlim(zoom1[0], zoom1[-1])
    ax.set_ylim(zoom2[0], zoom2[-1])
    slow = np.mean(np.isfinite(loss) & (loss > 1e-6))
    ax.set_title(f"k = {k}: {np.mean(np.isinf(loss)):.1%} of the window diverged, {slow:.1%} finite but above 1e-6", fontsize=11)
    ax.set_xlabel(r"$\alpha_1$", fontsize=12)
axes[0].set_ylabel(r"$\alpha_2$", fontsize=12)
axes[0].legend(handles=[Patch(color="0.78", label="diverged"), plt.Line2D([], [], ls="--", color="white", label=r"$\alpha_1 + \alpha_2 = 4$")], loc="lower left", fontsize=9, facecolor="0.3", labelcolor="white")
cbar = fig.colorbar(mesh, ax=axes, extend="min", pad=0.01)
cbar.set_label(r"$\log_{10} L$", fontsize=11)
fig.suptitle(r"Zoom at the edge, $w(0) = (1, 1)$: the edge is the straight line $s = 4$; slow filaments branch ever finer towards it", fontsize=12)
plt.show()

changed = np.isfinite(zoom_losses[0]) != np.isfinite(zoom_losses[1])
print(f"cells whose fate (finite or diverged) changes from k=50 to k=200: {np.mean(changed):.2%}")
slow50, slow200 = (np.mean(np.isfinite(z) & (z > 1e-6)) for z in zoom_losses)
print(f"cells still finite but with L > 1e-6: {slow50:.1%} at k=50, {slow200:.1%} at k=200")

# %%
# Zoomed in, the boundary itself stays a straight line, as the invariance
# argument predicts: no fractal fringe of divergence, and (printed above)
# almost no cell changes fate between :math:`k = 50` and :math:`k = 200`.
# What is intricate is the convergence *speed* near it: bright filaments of
# slow convergence branch again and again as they approach the line, finer
# and finer. A run started just below the line spends many steps near the
# invariant line (near its oscillation), and the rates at which it leaves
# towards a minimiser depend very sensitively on where it started. With
# more steps the filaments thin out (fewer finite cells above
# :math:`10^{-6}` at :math:`k = 200`), but they never disappear near the line.

# %%
# What to notice
# --------------
# * (a) :math:`L(w_1, w_2) = \tfrac12 (w_1 w_2)^2`, gradient
#   :math:`(w_1 w_2^2, w_1^2 w_2)`, Hessian
#   :math:`\begin{pmatrix} w_2^2 & 2w_1w_2 \\ 2w_1w_2 & w_1^2\end{pmatrix}`
#   (both match autograd to rounding error, printed above); the loss is not
#   convex (determinant :math:`-3 w_1^2 w_2^2 < 0` off the axes; the chord
#   from :math:`(1,0)` to :math:`(0,1)` leaves the zero set); the minimum is 0,
#   attained on the union of the two axes.
# * (b) :math:`w_1 \leftarrow w_1 (1 - \alpha_1 w_2^2)`,
#   :math:`w_2 \leftarrow w_2 (1 - \alpha_2 w_1^2)`.
# * (c) The map of :math:`\log_{10} L` darkens with :math:`k` inside a
#   stable region, whose size hardly changes after 10 steps (the printed
#   diverged fraction of the first grid moves by about one percentage point
#   from :math:`k = 10` to :math:`k = 200`). Off the axes the edge is
#   the line :math:`\alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2 = 4` (every
#   printed agreement is above 99.9%), a line that GD maps onto itself.
#   Larger initial weights shrink the stable rates, each layer's rate is
#   limited by the *other* layer's initial weight, the sign of a weight does
#   not matter, and a very small initialisation is stable but slow (the
#   saddle at the origin). Zoomed in, the edge stays straight; the fine
#   structure lies in how slowly runs near it converge.
# * (c5) Our research question, where on the valley of minimisers GD lands
#   and how that depends on the learning rates, is on the next page.
