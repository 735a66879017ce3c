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

The claims in short, each proved or checked below: the population loss
:math:`\\tfrac12 (w_1 w_2)^2` is not convex; its minimisers are the two
coordinate axes, the origin included (a degenerate global minimiser, not a
saddle); with both rates positive, GD's loss tends to 0 whenever
:math:`s(0) = \\alpha_1 w_2(0)^2 + \\alpha_2 w_1(0)^2 < 4`, and at or above
4 it cannot tend to 0 unless a weight becomes exactly zero after finitely
many steps (a set of measure zero); :math:`s` is the network's tangent
kernel weighted by the rates, so :math:`2 < s(0) < 4` is a "catapult"
window where the linearised network diverges but the network converges;
and how *fast* a converging run gets there is set by the minimiser it lands
on.
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
from nntheory.seeding import base_seed

# sphinx_gallery_thumbnail_number = 3
SEED = base_seed(0)
rng = np.random.default_rng(SEED)

w1, w2 = 0.8, -1.3
n = 1_000_000
exact = float(deep_linear.population_loss(w1, w2))
for name, x in [("normal", rng.standard_normal(n)), ("uniform", rng.uniform(-np.sqrt(3), np.sqrt(3), n))]:
    pointwise = 0.5 * (w2 * w1 * x) ** 2
    se = pointwise.std() / np.sqrt(n)
    print(f"{name:8s} Monte Carlo L = {pointwise.mean():.5f} +- {se:.5f}   closed form = {exact:.5f}")
    # Monte Carlo: within 4 standard errors of the closed form (fails by chance with probability 6e-5).
    assert abs(pointwise.mean() - exact) < 4 * se, (name, pointwise.mean(), exact, se)

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
    scale = max(1.0, float(np.abs(h.numpy()).max()))
    grad_err = max(grad_err, np.abs(np.array(deep_linear.gradient(a, b)) - g.numpy()).max() / scale)
    hess_err = max(hess_err, np.abs(deep_linear.hessian(a, b) - h.numpy()).max() / scale)
print(f"max |closed-form gradient - autograd| / scale over 20 points: {grad_err:.2e}")
print(f"max |closed-form Hessian  - autograd| / scale over 20 points: {hess_err:.2e}")
assert grad_err < 1e-13 and hess_err < 1e-13, (grad_err, hess_err)  # "match autograd to rounding error"

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
# :math:`L` is not convex. At :math:`(1, 1)` the Hessian is
# :math:`\begin{pmatrix} 1 & 2 \\ 2 & 1 \end{pmatrix}`, with eigenvalues
# :math:`3` and :math:`-1` (the direction :math:`(1, -1)` curves downwards).
#
# A direct counterexample to the definition
# :math:`L(\tfrac{u+v}2) \le \tfrac12 L(u) + \tfrac12 L(v)` needs no
# calculus: :math:`u = (1, 0)` and :math:`v = (0, 1)` both have loss 0, but
# their midpoint :math:`(\tfrac12, \tfrac12)` has loss
# :math:`\tfrac12 \cdot \tfrac1{16} = \tfrac1{32} > 0`.
eig_11 = np.linalg.eigvalsh(deep_linear.hessian(1.0, 1.0))
print("eigenvalues of the Hessian at (1, 1):", eig_11)
np.testing.assert_allclose(eig_11, [-1.0, 3.0], rtol=0, atol=1e-14)  # "eigenvalues 3 and -1"
chord = [float(deep_linear.population_loss(*p)) for p in [(1.0, 0.0), (0.0, 1.0), (0.5, 0.5)]]
print("L(1, 0), L(0, 1), L(1/2, 1/2) =", chord)
assert chord == [0.0, 0.0, 1 / 32], chord  # exact in binary floating point
off_axis = rng.normal(size=(10_000, 2))
eig = np.linalg.eigvalsh(deep_linear.hessian(off_axis[:, 0], off_axis[:, 1]))
indefinite = np.mean((eig[:, 0] < 0) & (eig[:, 1] > 0))
print(f"random points off the axes with an indefinite Hessian: {indefinite:.1%}")
assert indefinite == 1.0, indefinite  # "indefinite at every point off the axes"

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
# convex (the minimisers of a convex function form a convex set).
#
# The origin belongs to this set: it is a *global minimiser*, not a saddle
# (no point near it has a lower loss, since :math:`L \ge 0 = L(0, 0)`). It is
# a *degenerate* one: there the gradient and the Hessian both vanish, so the
# second-order test says nothing, and near it the loss is quartic,
# :math:`L(\varepsilon w) = \varepsilon^4 L(w)`, with a cubic gradient,
# :math:`\nabla L(\varepsilon w) = \varepsilon^3 \nabla L(w)`. A GD step
# from :math:`\varepsilon w` therefore has length :math:`O(\varepsilon^3)`:
# runs that start near the origin, or pass close to it, move slowly, not
# because the origin is a saddle, but because the landscape is flat to
# third order there. Off the origin the valley is flat only *along* itself:
# on the axis :math:`w_2 = 0` the Hessian is
# :math:`\operatorname{diag}(0, w_1^2)`, curvature :math:`w_1^2` across the
# valley. This *sharpness* will decide which minima GD can settle in, and
# how fast.
eps = np.array([1.0, 0.1, 0.01])
w_dir = np.array([0.7, -1.2])
L_scaled = deep_linear.population_loss(eps * w_dir[0], eps * w_dir[1])
g_scaled = np.linalg.norm(np.array(deep_linear.gradient(eps * w_dir[0], eps * w_dir[1])), axis=0)
print("eps        L(eps w) / eps^4    |grad L(eps w)| / eps^3")
for e, lv, gv in zip(eps, L_scaled, g_scaled):
    print(f"{e:5.2f} {lv / e**4:18.12f} {gv / e**3:24.12f}")
np.testing.assert_allclose(L_scaled / eps**4, L_scaled[0], rtol=1e-12)  # "quartic"
np.testing.assert_allclose(g_scaled / eps**3, g_scaled[0], rtol=1e-12)  # "cubic gradient"
np.testing.assert_array_equal(deep_linear.hessian(0.0, 0.0), np.zeros((2, 2)))  # gradient and Hessian vanish at 0
np.testing.assert_array_equal(deep_linear.gradient(0.0, 0.0), (0.0, 0.0))
np.testing.assert_array_equal(deep_linear.hessian(1.7, 0.0), np.diag([0.0, 1.7**2]))  # diag(0, w1^2) on the axis

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
# Each weight is multiplied by a factor set by the *other* weight. Write
# :math:`t = \alpha_1 w_2^2` and :math:`u = \alpha_2 w_1^2` for the two
# step-size-weighted curvatures and :math:`s = t + u`. The product
# :math:`v = w_1 w_2`, the function the network computes, follows
#
# .. math::
#
#    v(k+1) = v(k)\,(1 - t)(1 - u) = v(k)\,\big(1 - s(k) + \alpha_1\alpha_2\, v(k)^2\big),
#
# so :math:`L(k+1) = L(k)\,(1 - t)^2 (1 - u)^2`. For a one-layer model the
# factor would be the constant :math:`1 - \alpha`; here it changes with the
# weights, which is why the exact analysis is harder.
# :func:`nntheory.deep_linear.gd_losses` runs this update on whole grids of
# :math:`(\alpha_1, \alpha_2)` at once with numpy broadcasting. A run whose
# loss passes :math:`10^{100}` (tested at every step) is reported as
# :math:`+\infty` from that step on (drawn in grey below), so no overflow
# or ``nan`` reaches the pictures. A check against a hand-written loop:
a1, a2, w = 0.3, 0.7, (1.0, 1.5)
x1, x2 = w
for _ in range(25):
    x1, x2 = x1 - a1 * x1 * x2**2, x2 - a2 * x1**2 * x2
loop_loss, lib_loss = 0.5 * (x1 * x2) ** 2, float(deep_linear.gd_losses(*w, a1, a2, [25])[0])
print(f"L after 25 steps: loop {loop_loss:.6e}, library {lib_loss:.6e}")
assert abs(loop_loss - lib_loss) <= 1e-12 * loop_loss, (loop_loss, lib_loss)  # same update, up to rounding

# %%
# Where the edge between convergence and divergence lies
# -------------------------------------------------------
# The number :math:`s = t + u = \alpha_1 w_2^2 + \alpha_2 w_1^2` decides the
# fate of a run. From the update, :math:`u' = \alpha_2 w_1^2 (1 - t)^2 = u (1 - t)^2`
# and :math:`t' = t (1 - u)^2`, so
#
# .. math::
#
#    \begin{aligned}
#    s' &= u (1 - 2t + t^2) + t (1 - 2u + u^2) = s - 4ut + ut\,(t + u)
#        = s + ut\,(s - 4), \\
#    s(k+1) - 4 &= \big(1 + \alpha_1\alpha_2\, w_1(k)^2 w_2(k)^2\big)\,\big(s(k) - 4\big),
#    \end{aligned}
#
# using :math:`ut = \alpha_1\alpha_2 w_1^2 w_2^2 = 2\alpha_1\alpha_2 L`. The
# factor is at least 1, so :math:`s - 4` never changes sign and never
# shrinks in size. Two consequences, for :math:`\alpha_1, \alpha_2 > 0`:
#
# * **Below the line,** :math:`s(0) < 4`, **the loss tends to 0.** Multiplying
#   the identity over steps, :math:`4 - s(k) = (4 - s(0))\prod_{j<k}(1 + 2\alpha_1\alpha_2 L(j))`,
#   and :math:`4 - s(k) \le 4` since :math:`s \ge 0`. With
#   :math:`\prod_j (1 + x_j) \ge 1 + \sum_j x_j` for :math:`x_j \ge 0`,
#
#   .. math::
#
#      2\alpha_1\alpha_2 \sum_{j=0}^{k-1} L(j) \;\le\; \frac{4 - s(k)}{4 - s(0)} - 1
#      \;\le\; \frac{s(0)}{4 - s(0)} \quad\text{for every } k,
#
#   so the losses are summable and :math:`L(k) \to 0`.
# * **Above the line,** :math:`s(0) > 4`, **the loss does not tend to 0**,
#   except on a set of measure zero. Suppose :math:`L(k) \to 0`, so
#   :math:`ut \to 0`, while :math:`u + t = s(k) \ge s(0) > 4`. From some step
#   on, then, one of the two, say :math:`u`, exceeds :math:`4 - t` and the
#   other, :math:`t`, is below :math:`0.1`. At such a step
#   :math:`t' = t\,(1 - u)^2 \ge t\,(3 - t)^2 > 8t` and
#   :math:`u' = u\,(1 - t)^2 > 3 \cdot 0.81 > 2`, so :math:`u` stays the large
#   one and :math:`t` grows by a factor above 8 at every later step — it
#   cannot stay small unless :math:`t = 0`, i.e. :math:`w_2` has become
#   *exactly* 0 (likewise for :math:`w_1`). A weight becomes exactly 0 only
#   through :math:`t(k) = 1` or :math:`u(k) = 1` at some step: a countable
#   union of curves in the plane of rates. Example: :math:`w(0) = (1, 1)`,
#   :math:`\alpha = (3.5, 1)` has :math:`s(0) = 4.5`, yet :math:`u(0) = 1`
#   sets :math:`w_2` to 0 in one step and :math:`L = 0` from step 1 on. (The
#   proof does not say the loss blows up above the line; in every grid
#   below it does.)
# * **On the line** :math:`s(0) = 4` the factor keeps :math:`s(k) = 4`
#   exactly, so the weights stay bounded (:math:`\alpha_2 w_1^2 \le 4` and
#   :math:`\alpha_1 w_2^2 \le 4`), but that alone does not decide convergence.
#   The argument of the previous bullet holds with :math:`u + t = 4`: if
#   :math:`L(k) \to 0`, the small one of :math:`t, u` would grow by a factor
#   above 8 per step, so the loss does not tend to 0 unless a weight becomes
#   exactly 0 after finitely many steps. Both cases occur: :math:`(1, 1)` with
#   :math:`\alpha_1 = \alpha_2 = 2` hops between :math:`(1, 1)` and
#   :math:`(-1, -1)` forever, while :math:`(1, 1)` with :math:`\alpha = (1, 3)`
#   (or :math:`(3, 1)`) goes to :math:`(0, -2)` (or :math:`(-2, 0)`) in one
#   step, and :math:`L = 0` from then on.
#
# On the axes of the rate plane the problem is one-layer: with
# :math:`\alpha_2 = 0` only :math:`w_1` moves, by the constant factor
# :math:`1 - t`, which converges only for :math:`0 < t < 2`.
#
# We check the identity at :math:`10^4` random points, the bound on the
# summed losses on a 120 × 120 grid of rates (every step from 0 to 200), and
# the four examples.
wr = rng.normal(scale=1.5, size=(2, 10_000))
ar = rng.uniform(0.0, 3.0, size=(2, 10_000))
n1, n2 = deep_linear.gd_step(wr[0], wr[1], ar[0], ar[1])
s_now = ar[0] * wr[1] ** 2 + ar[1] * wr[0] ** 2
s_next = ar[0] * n2**2 + ar[1] * n1**2
rhs = (1 + ar[0] * ar[1] * wr[0] ** 2 * wr[1] ** 2) * (s_now - 4)
identity_err = np.max(np.abs(s_next - 4 - rhs) / np.maximum(1.0, np.abs(rhs)))
print(f"max |s(k+1) - 4 - (1 + a1 a2 w1^2 w2^2)(s(k) - 4)| / max(1, |rhs|) over 10^4 points: {identity_err:.1e}")
assert identity_err < 1e-13, identity_err  # the identity, up to rounding

W1_0, W2_0 = 1.0, 1.5
coarse1, coarse2 = np.meshgrid(np.linspace(0.0, 2.0, 120), np.linspace(0.0, 4.5, 120))
every_step = deep_linear.gd_losses(W1_0, W2_0, coarse1, coarse2, list(range(201)))  # (201, 120, 120)
s0_coarse = coarse1 * W2_0**2 + coarse2 * W1_0**2
below = (s0_coarse < 4) & (coarse1 > 0) & (coarse2 > 0)
summed = 2 * coarse1[below] * coarse2[below] * every_step[:, below].sum(axis=0)
ratio = summed / (s0_coarse[below] / (4 - s0_coarse[below]))
print(f"cells below the line: {below.sum()}; largest (2 a1 a2 sum_k L(k)) / (s(0) / (4 - s(0))): {ratio.max():.6f}")
assert ratio.max() <= 1 + 1e-9, ratio.max()  # the bound, up to rounding in the sum

exception = deep_linear.gd_losses(1.0, 1.0, 3.5, 1.0, [0, 1, 2, 100])
print("w(0) = (1, 1), alpha = (3.5, 1), s(0) = 4.5: L at steps 0, 1, 2, 100 =", exception)
np.testing.assert_array_equal(exception, [0.5, 0.0, 0.0, 0.0])  # "L = 0 from step 1 on"
hops = [tuple(float(v) for v in deep_linear.gd_step(*w, 2.0, 2.0)) for w in [(1.0, 1.0), (-1.0, -1.0)]]
print("on the line, alpha1 = alpha2 = 2: GD maps (1, 1) and (-1, -1) to", hops)
assert hops == [(-1.0, -1.0), (1.0, 1.0)], hops  # "hops between (1, 1) and (-1, -1)"
for rates, landing in [((1.0, 3.0), (0.0, -2.0)), ((3.0, 1.0), (-2.0, 0.0))]:
    line_run = deep_linear.gd_trajectory(1.0, 1.0, *rates, 100)
    s_line_run = rates[0] * line_run.w2**2 + rates[1] * line_run.w1**2
    print(f"on the line, alpha = {rates}: w(1) = ({line_run.w1[1]:g}, {line_run.w2[1]:g}); s(k) = 4 for every k <= 100: "
          f"{np.all(s_line_run == 4.0)}; L at steps 0, 1, 2, 100 = {line_run.loss[[0, 1, 2, 100]]}")
    assert (line_run.w1[1], line_run.w2[1]) == landing and np.all(s_line_run == 4.0)  # "goes to (0, -2) in one step", s stays 4
    np.testing.assert_array_equal(line_run.loss[[0, 1, 2, 100]], [0.5, 0.0, 0.0, 0.0])  # "L = 0 from then on"

# %%
# What :math:`s` is: the tangent kernel, and the catapult window
# ----------------------------------------------------------------
# The output's gradient in the weights is
# :math:`\partial f/\partial w_1 = w_2 x`, :math:`\partial f/\partial w_2 = w_1 x`,
# so the neural tangent kernel of :math:`f`, with each layer weighted by its
# learning rate, is
#
# .. math::
#
#    \Theta(x, x') = \alpha_1 \frac{\partial f(x)}{\partial w_1}\frac{\partial f(x')}{\partial w_1}
#    + \alpha_2 \frac{\partial f(x)}{\partial w_2}\frac{\partial f(x')}{\partial w_2}
#    = (\alpha_1 w_2^2 + \alpha_2 w_1^2)\, x x' = s\, x x' .
#
# With :math:`\mathbb E[X^2] = 1` its one non-zero eigenvalue (on the
# functions :math:`c\,x`) is :math:`s` itself: :math:`s` is the rate-weighted
# NTK. The *linearised* network, :math:`f` replaced by its first-order
# Taylor expansion in the weights around :math:`w(0)`, is a one-layer model:
# its output is :math:`v_{\rm lin}\, x` with
# :math:`v_{\rm lin} = v(0) + w_2(0)(w_1 - w_1(0)) + w_1(0)(w_2 - w_2(0))`,
# the gradient of its loss is :math:`v_{\rm lin}\,(w_2(0), w_1(0))`, and so
# :math:`v_{\rm lin}(k+1) = v_{\rm lin}(k) - (\alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2)\, v_{\rm lin}(k) = (1 - s(0))\, v_{\rm lin}(k)`
# and converges only for :math:`s(0) < 2`. For :math:`2 < s(0) < 4` the
# linearised model diverges while the network converges: this is the
# *catapult phase* that Lewkowycz, Bahri, Dyer, Sohl-Dickstein & Gur-Ari
# (2020) found in a two-layer linear network (step size times NTK eigenvalue
# between 2 and 4); the identity above makes the upper edge 4 exact here.
# It also shows how the network escapes: below the line,
# :math:`s(k+1) - s(k) = 2\alpha_1\alpha_2 L(k)\,(s(k) - 4) < 0` whenever
# :math:`L(k) > 0`, so the kernel shrinks at every step until GD can settle
# (used again in the speed section below). We compare :math:`\Theta` from
# ``torch.autograd`` with :math:`s` at random points, and run GD on the
# linearised network (autograd gradients) and on the network from
# :math:`w(0) = (1, 1.5)` with :math:`\alpha = (1.2, 0.9)`, :math:`s(0) = 3.6`.
ntk_err = 0.0
rng_ntk = np.random.default_rng(SEED + 1)  # its own stream: the draws of the later cells stay as they were
for (a, b), (r_1, r_2) in zip(rng_ntk.normal(scale=1.5, size=(20, 2)), rng_ntk.uniform(0.0, 3.0, size=(20, 2))):
    w = torch.tensor([a, b], dtype=torch.float64, requires_grad=True)
    (df,) = torch.autograd.grad(w[1] * w[0] * 1.0, w)  # gradient of f(x = 1) in the weights
    ntk = r_1 * df[0] ** 2 + r_2 * df[1] ** 2
    s_here = r_1 * b**2 + r_2 * a**2
    ntk_err = max(ntk_err, abs(float(ntk) - s_here) / max(1.0, s_here))
print(f"max |rate-weighted NTK (autograd) - s| / max(1, s) over 20 points: {ntk_err:.1e}")
assert ntk_err < 1e-14, ntk_err  # "s is the rate-weighted NTK"

w_init, rates_c = torch.tensor([1.0, 1.5], dtype=torch.float64), torch.tensor([1.2, 0.9], dtype=torch.float64)
s_init = float(rates_c[0] * w_init[1] ** 2 + rates_c[1] * w_init[0] ** 2)


def linearised_loss(w):
    """Population loss of the first-order Taylor expansion of f in the weights around w_init (E[X^2] = 1)."""
    v_lin = w_init[0] * w_init[1] + w_init[1] * (w[0] - w_init[0]) + w_init[0] * (w[1] - w_init[1])
    return 0.5 * v_lin**2


w_lin = w_init.clone()
v_lin = []
for _ in range(20):
    w_lin.requires_grad_(True)
    (g,) = torch.autograd.grad(linearised_loss(w_lin), w_lin)
    w_lin = (w_lin - rates_c * g).detach()
    v_lin.append(float(w_init[0] * w_init[1] + w_init[1] * (w_lin[0] - w_init[0]) + w_init[0] * (w_lin[1] - w_init[1])))
v_lin = np.array(v_lin)
net_run = deep_linear.gd_trajectory(1.0, 1.5, 1.2, 0.9, 200)
s_run = 1.2 * net_run.w2**2 + 0.9 * net_run.w1**2
print(f"s(0) = {s_init:.2f}; linearised model: |v_lin(20)| = {abs(v_lin[-1]):.2e} "
      f"(predicted 1.5 * |1 - s(0)|^20 = {1.5 * abs(1 - s_init) ** 20:.2e}); network: L(200) = {net_run.loss[-1]:.1e}")
# Once L(k) < 1e-12 the fall 2 a1 a2 L (4 - s) is below the rounding of s (~1e-16): there we check only "never rises".
visible = net_run.loss[:-1] > 1e-12
print(f"network: s(k) falls at each of the {visible.sum()} steps with L(k) > 1e-12: {np.all(np.diff(s_run)[visible] < 0)}; "
      f"never rises: {np.all(np.diff(s_run) <= 0)}; s(200) = {s_run[-1]:.3f}")
np.testing.assert_allclose(v_lin, 1.5 * (1 - s_init) ** np.arange(1, 21), rtol=1e-12)  # v_lin(k+1) = (1 - s(0)) v_lin(k)
assert 2 < s_init < 4 and abs(v_lin[-1]) > 1e7 and net_run.loss[-1] < 1e-30  # linearised diverges, network converges
assert np.all(np.diff(s_run)[visible] < 0) and np.all(np.diff(s_run) <= 0) and s_run[-1] < 2  # "the kernel shrinks at every step"

# %%
# Part (c1): loss after k steps over a grid of learning rates
# -----------------------------------------------------------
# We start from :math:`w_1(0) = 1`, :math:`w_2(0) = 1.5` and sweep a
# 240 × 240 grid with :math:`\alpha_1 \in [0, 2]`,
# :math:`\alpha_2 \in [0, 4.5]`. The colour is :math:`\log_{10} L` after
# :math:`k` steps. The converged runs span more than 300 decades by
# :math:`k = 200`, so a linear colour scale would either crush the early
# panels or clip the late ones (a floor at :math:`10^{-16}` would hide
# most converged runs from :math:`k = 50` on, printed below). We use one *symmetric-logarithmic*
# colour scale for all panels: the colour moves evenly with the *order of
# magnitude* of the number of decades, so that :math:`10^{-3}`,
# :math:`10^{-30}` and :math:`10^{-300}` are equally far apart. The scale
# reaches up to :math:`10^{100}`, the divergence threshold, so every run
# that has not diverged has its own colour, however large its loss (yellow:
# :math:`L` far above 1). White cells have :math:`L = 0` in float64 (a loss
# below about :math:`10^{-323}` underflows to 0). Grey cells diverged. The
# dashed line is :math:`s(0) = 4`.
#
# The bottom row :math:`\alpha_2 = 0` and the left column
# :math:`\alpha_1 = 0` are one-layer problems: only one weight moves, by the
# constant factor :math:`1 - t` (bottom row, :math:`t = \alpha_1 w_2(0)^2`) or
# :math:`1 - u` (left column, :math:`u = \alpha_2 w_1(0)^2`). Where that
# factor exceeds 1 in size (:math:`t` or :math:`u` above 2) the loss grows
# geometrically, slowly near 2, and the cells that have not yet passed
# :math:`10^{100}` are yellow even at :math:`k = 200`. Everything said about
# the line :math:`s(0) = 4` concerns the cells off these two edges.
import matplotlib.patheffects as pe
from matplotlib.colors import SymLogNorm
from matplotlib.patches import Patch

STEPS = [10, 25, 50, 100, 200]
alpha1 = np.linspace(0.0, 2.0, 240)
alpha2 = np.linspace(0.0, 4.5, 240)
A1, A2 = np.meshgrid(alpha1, alpha2)  # (240, 240): rows index alpha2
losses = deep_linear.gd_losses(W1_0, W2_0, A1, A2, STEPS)  # (5, 240, 240)

CMAP = plt.get_cmap("viridis").with_extremes(bad="0.6", under="white")
NORM = SymLogNorm(linthresh=1.0, linscale=0.3, vmin=-330.0, vmax=100.0, base=10)  # vmax: the divergence threshold 1e100
EDGE_STYLE = dict(ls="--", color="black", lw=1.6, path_effects=[pe.Stroke(linewidth=3.2, foreground="white"), pe.Normal()])
ZERO_PATCH = Patch(facecolor="white", edgecolor="0.3", label=r"$L = 0$ in float64")
DIVERGED_PATCH = Patch(color="0.6", label="diverged")
CBAR_TICKS = [-300, -100, -30, -10, -3, -1, 0, 1, 10, 100]


def log_colorbar(fig, mesh, axes, label):
    """One colour bar for a row of heatmaps, ticks written as plain numbers."""
    cbar = fig.colorbar(mesh, ax=axes, extend="min", pad=0.01, ticks=CBAR_TICKS)
    cbar.ax.set_yticklabels([f"{t:g}".replace("-", "\u2212") for t in CBAR_TICKS])
    cbar.set_label(label, fontsize=11)
    return cbar


def log_loss(loss):
    """log10 L, with L = 0 sent below the colour scale (white) and diverged runs masked (grey)."""
    with np.errstate(divide="ignore"):
        z = np.log10(loss)
    z[loss == 0] = NORM.vmin - 1
    return np.ma.masked_invalid(z)


def show_log_loss(ax, a1, a2, loss):
    return ax.pcolormesh(a1, a2, log_loss(loss), cmap=CMAP, norm=NORM, shading="auto", rasterized=True)


def s_line(ax, w1_0, w2_0, a1_max, **kw):
    a = np.linspace(0, a1_max, 50)
    return ax.plot(a, (4 - a * w2_0**2) / w1_0**2, **EDGE_STYLE, **kw)


def median_log10(loss):
    """Median of log10 L over the runs that did not diverge (L = 0 counts as the smallest)."""
    finite = loss[np.isfinite(loss)]
    with np.errstate(divide="ignore"):
        return float(np.median(np.log10(finite)))


# The stable region of the proof: the off-axis cells below the line, where every run converges.
off_axes = (A1 > 0) & (A2 > 0)
s0 = A1 * W2_0**2 + A2 * W1_0**2
stable = off_axes & (s0 < 4)

fig, axes = plt.subplots(2, 3, figsize=(13, 8.4), sharex=True, sharey=True, layout="constrained")
for ax, k, loss in zip(axes.flat, STEPS, losses):
    mesh = show_log_loss(ax, alpha1, alpha2, loss)
    s_line(ax, W1_0, W2_0, alpha1[-1])
    ax.set_xlim(alpha1[0], alpha1[-1])
    ax.set_ylim(alpha2[0], alpha2[-1])
    median_text = f"{median_log10(loss[stable]):.0f}".replace("-", "\u2212")  # a typographic minus
    ax.set_title(f"k = {k}: median $\\log_{{10}} L$ = {median_text} below the line,\n{np.mean(np.isinf(loss)):.1%} of all cells diverged", fontsize=11)
for ax in axes[1]:
    ax.set_xlabel(r"$\alpha_1$", fontsize=12)
for ax in axes[:, 0]:
    ax.set_ylabel(r"$\alpha_2$", fontsize=12)
# The sixth panel holds the key instead of a heatmap.
key = axes[1, 2]
key.set_axis_off()
key.legend(handles=[DIVERGED_PATCH, ZERO_PATCH, plt.Line2D([], [], **EDGE_STYLE, label=r"$\alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2 = 4$")],
           loc="center", fontsize=11, title=r"$w(0) = (1, 1.5)$, 240 $\times$ 240 grid", title_fontsize=11)
log_colorbar(fig, mesh, axes, r"$\log_{10} L(w_1(k), w_2(k))$ (symmetric-log colour scale)")
fig.suptitle("The converged region darkens with k by tens of decades; its edge stays on the dashed line", fontsize=13)
plt.show()

print(f"stable region (off-axis cells with s(0) < 4): {stable.sum()} of {stable.size} cells")
print("  k   diverged (all cells)   median log10 L   per step   L < 1e-6   L < 1e-16   L = 0   (from 'median' on: over the stable region)")
table = []
for k, loss in zip(STEPS, losses):
    here = loss[stable]
    table.append((np.mean(np.isinf(loss)), median_log10(here), np.mean(here < 1e-6), np.mean(here < 1e-16), np.mean(here == 0)))
    print(f"{k:3d} {table[-1][0]:20.2%} {table[-1][1]:16.1f} {table[-1][1] / k:10.3f} {table[-1][2]:10.1%} {table[-1][3]:11.1%} {table[-1][4]:7.1%}")
diverged_frac, medians, small_frac, below16_frac, zero_frac = (np.array(col) for col in zip(*table))
assert np.all(np.isfinite(losses[:, stable])), "a run below the line diverged"  # the proof: every stable run converges
assert np.all(below16_frac[2:] > 0.5), below16_frac  # "a floor at 1e-16 would hide most converged runs from k = 50 on"
assert np.mean(losses[-1][stable] < 1e-300) > 0.01  # "more than 300 decades by k = 200"
finite_max = [np.log10(loss[np.isfinite(loss)].max()) for loss in losses]
print("largest log10 L among the runs not diverged, k = 10 ... 200:", np.round(finite_max, 1))
assert max(finite_max) <= 100 and max(finite_max) > 90  # the colour scale reaches every finite loss; some come close to 1e100
edge_rows = np.zeros_like(stable)
edge_rows[0, :] = edge_rows[:, 0] = True  # alpha2 = 0 (bottom row) and alpha1 = 0 (left column)
L_init = float(deep_linear.population_loss(W1_0, W2_0))
grown = [np.isfinite(loss) & (loss > L_init) & edge_rows for loss in losses]  # finite, and above the initial loss
one_layer = ((np.abs(1 - A1 * W2_0**2) > 1) & (A2 == 0)) | ((np.abs(1 - A2 * W1_0**2) > 1) & (A1 == 0))
print("edge cells (alpha1 = 0 or alpha2 = 0) finite with L(k) > L(0), k = 10 ... 200:", [int(g.sum()) for g in grown])
assert grown[-1].any()  # "yellow even at k = 200"
assert all(np.all(one_layer[g]) for g in grown)  # they are the cells with |1 - t| > 1 (or |1 - u| > 1)

# %%
# How the picture changes with :math:`k`. The checks below hold each
# sentence; all fractions and medians are over the stable region (the
# off-axis cells below the line).
#
# * The converged region *darkens*: the median :math:`\log_{10} L` falls at
#   every :math:`k`, by tens of decades by :math:`k = 200`. From
#   :math:`k = 25` on it falls by a nearly constant number of decades per
#   step (the printed per-step column varies by less than 20 %), so about in
#   proportion to :math:`k`: most runs converge geometrically. The first 10
#   steps are faster per step.
# * After 10 steps only part of the stable region is below
#   :math:`10^{-6}` (about 40 %, printed); by :math:`k = 200` almost all
#   of it is (above 95 %).
# * The diverged (grey) region grows by a sliver only, under one percentage
#   point from :math:`k = 10` to :math:`k = 200`. Runs above the line, with
#   :math:`s(0)` up to the printed value, are still finite after 10 steps,
#   their loss growing as they oscillate (the yellow cells just above the
#   dashed line at :math:`k = 10`); all have passed :math:`10^{100}` by
#   :math:`k = 25` (the proof above says they cannot converge).
# * The stable region is not uniform: bright bands of slow convergence
#   cross it, and rates near zero are slow too. The next section explains
#   where the bands lie.
per_step = medians / np.array(STEPS)
above_finite = [off_axes & (s0 > 4) & np.isfinite(loss) for loss in losses]
print(f"largest s(0) of an off-axis run above the line still finite at k = 10: {s0[above_finite[0]].max():.2f}; "
      f"such runs at k = 10, 25, ...: {[int(m.sum()) for m in above_finite]}")
assert np.all(np.diff(medians) < 0), medians  # "darkens at every k"
assert medians[-1] < medians[0] - 30, medians  # "by tens of decades"
assert per_step[1:].max() / per_step[1:].min() < 1.2, per_step  # "nearly constant per step from k = 25 on" (ratio of slopes)
assert per_step[0] < per_step[1:].min(), per_step  # "the first 10 steps are faster per step"
assert 0.3 < small_frac[0] < 0.5 and small_frac[-1] > 0.95, small_frac  # "about 40 % ... above 95 %"
assert np.all(np.diff(diverged_frac) >= 0) and diverged_frac[-1] - diverged_frac[0] < 0.01, diverged_frac  # "a sliver"
assert above_finite[0].any() and not any(m.any() for m in above_finite[1:])  # "all have passed 1e100 by k = 25"
agree = np.mean(((s0 < 4) == np.isfinite(losses[-1]))[off_axes])
print(f"cells off the axes on the predicted side of s(0) = 4 after 200 steps: {agree:.2%}")
assert agree == 1.0, agree  # every off-axis cell of this grid: converging below the line, diverged above it

# %%
# What sets the speed: the minimiser a run lands on
# --------------------------------------------------
# Once a converging run approaches a point :math:`(a, 0)` of the valley, the
# factor :math:`(1 - t)^2 = (1 - \alpha_1 w_2^2)^2` of part (b) tends to 1
# and the loss falls by the factor :math:`(1 - \alpha_2 a^2)^2` per step:
# :math:`\alpha_2 a^2 = \alpha_2 \lambda` is the step size times the
# sharpness :math:`\lambda = a^2` of the landing point (on the other axis,
# :math:`(1 - \alpha_1 b^2)^2`). So a run is fast when
# :math:`\alpha\lambda \approx 1` and slow when :math:`\alpha\lambda` is
# near 0 (a small rate, or a landing point near the flat origin) or near 2
# (the stability limit of that minimiser). The kernel :math:`s` of the
# catapult section bounds the landing point in one line: below the line
# :math:`s(k)` never rises, and at :math:`(a, 0)` it equals
# :math:`\alpha_2 a^2 = \alpha\lambda`, so
# :math:`\alpha\lambda = s(\infty) \le s(0)`. A run cannot land with a
# step-size-times-sharpness above its starting kernel :math:`s(0)`: a small
# :math:`s(0)` (small rates or small weights) forces a slow end. We run 3,000 random rate pairs of
# the same rectangle for 400 steps with
# :func:`~nntheory.deep_linear.gd_trajectory`, read off the landing point,
# and count the steps each needs to reach :math:`L < 10^{-10}`.
n_runs = 3000
r1, r2 = rng.uniform(0.0, 2.0, n_runs), rng.uniform(0.0, 4.5, n_runs)
runs = deep_linear.gd_trajectory(W1_0, W2_0, r1, r2, 400)
converged = np.isfinite(runs.loss[-1]) & (r1 > 0) & (r2 > 0)
on_w2_axis = np.abs(runs.w1[-1]) >= np.abs(runs.w2[-1])  # landed on w2 = 0, w1 -> a
sharpness = np.where(on_w2_axis, runs.w1[-1], runs.w2[-1]) ** 2
alpha_lambda = np.where(on_w2_axis, r2, r1) * sharpness
reached = runs.loss < 1e-10
steps_to_small = np.where(reached.any(axis=0), reached.argmax(axis=0), np.inf)  # inf: not within 400 steps

# The per-step factor late in a run, against (1 - alpha lambda)^2 at that step.
k_late = 60
small, large = np.where(on_w2_axis, runs.w2[k_late], runs.w1[k_late]), np.where(on_w2_axis, runs.w1[k_late], runs.w2[k_late])
rate_large, rate_small = np.where(on_w2_axis, r2, r1), np.where(on_w2_axis, r1, r2)
late = converged & (runs.loss[k_late] > 1e-280) & (runs.loss[k_late] < 1e-20) & (large**2 > 1e-2)
measured = runs.loss[k_late + 1][late] / runs.loss[k_late][late]
predicted = (1 - rate_large[late] * large[late] ** 2) ** 2
factor_err = np.max(np.abs(measured / predicted - 1))
print(f"runs converged: {converged.sum()} of {n_runs}; late (L(60) < 1e-20, landing sharpness > 0.01): {late.sum()}")
print(f"max |L(61)/L(60) / (1 - alpha lambda)^2 - 1| over the late runs: {factor_err:.1e}")
assert late.sum() > 100 and factor_err < 1e-6, (late.sum(), factor_err)  # "falls by (1 - alpha lambda)^2 per step"
s_runs = r1 * runs.w2**2 + r2 * runs.w1**2  # (401, n_runs)
s_rise = np.max(np.diff(s_runs[:, converged], axis=0) / s_runs[:-1, converged])
print(f"converged runs: largest relative rise of s(k) in one step: {s_rise:.1e}; "
      f"largest alpha lambda - s(0): {np.max(alpha_lambda[converged] - s_runs[0, converged]):.2e}")
assert s_rise <= 1e-15, s_rise  # "s(k) never rises" below the line (up to the rounding of s, ~1e-16 relative)
assert np.all(alpha_lambda[converged] <= s_runs[0, converged]), "alpha lambda > s(0)"  # "alpha lambda = s(inf) <= s(0)"

bins = [0.0, 0.05, 0.2, 0.6, 0.8, 1.2, 1.6, 2.0]
print("alpha * lambda at the landing point   runs   median steps to L < 1e-10")
bin_medians = []
for lo, hi in zip(bins[:-1], bins[1:]):
    in_bin = converged & (alpha_lambda >= lo) & (alpha_lambda < hi)
    bin_medians.append(np.median(steps_to_small[in_bin]) if in_bin.sum() >= 5 else np.nan)
    print(f"[{lo:4.2f}, {hi:4.2f})                      {in_bin.sum():6d}   {bin_medians[-1]:8.0f}")
bin_medians = np.array(bin_medians)
fastest_bin = int(np.nanargmin(bin_medians))
print(f"fastest bin: alpha lambda in [{bins[fastest_bin]}, {bins[fastest_bin + 1]})")
assert bins[fastest_bin] <= 1.0 <= bins[fastest_bin + 1], fastest_bin  # "fast when alpha lambda is about 1"
assert bin_medians[0] > 10 * bin_medians[fastest_bin], bin_medians  # "slow near 0"
assert bin_medians[-1] > 2 * bin_medians[fastest_bin], bin_medians  # "slow near 2"
assert np.all(alpha_lambda[converged] <= 2.0), alpha_lambda[converged].max()  # no run settles past the stability limit

fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
shown = np.where(np.isfinite(steps_to_small), steps_to_small, 450)
ax.semilogy(alpha_lambda[converged], shown[converged], "o", ms=2.5, alpha=0.5, color="#0072B2", label="one run (400 steps: drawn at 450 if not reached)")
al = np.linspace(0.005, 1.995, 400)
ax.semilogy(al, 10 / (-2 * np.log10(np.abs(1 - al))), "--", color="#D55E00", lw=2,
            label=r"$10 / (-2 \log_{10}|1 - \alpha\lambda|)$: 10 decades at the late rate")
ax.set_xlabel(r"$\alpha\lambda$: rate of the moving layer $\times$ sharpness of the landing point", fontsize=11)
ax.set_ylabel(r"steps until $L < 10^{-10}$", fontsize=12)
ax.set_xlim(0, 2)
ax.set_ylim(1, 600)
ax.legend(fontsize=9, loc="upper center")
ax.set_title(r"Runs are fastest when the landing point has $\alpha\lambda \approx 1$, slow near 0 and 2", fontsize=11)
plt.show()

# %%
# The dashed curve is the count a run would need at its late rate alone
# from :math:`L = 1`; the runs follow its shape (they start at
# :math:`L(0) = 1.125` and move faster or slower before they land). Most
# slow runs have :math:`\alpha\lambda` near 0: a small rate, or a landing
# point near the flat origin. The latter is what happens near the point
# :math:`\alpha_1 w_2(0)^2 = \alpha_2 w_1(0)^2 = 1`, where the bright bands
# of the heatmaps cross: there the first step would set both weights to
# zero at once, so nearby runs land close to the origin, where the valley is
# flat (small :math:`\lambda`) and the loss is quartic. We check that the
# runs near that point land on flat minima and are slow:
near = converged & (np.abs(r1 * W2_0**2 - 1) < 0.15) & (np.abs(r2 * W1_0**2 - 1) < 0.15)
print(f"runs within 0.15 of t(0) = u(0) = 1: {near.sum()}; median landing sharpness {np.median(sharpness[near]):.3f} "
      f"(all converged runs: {np.median(sharpness[converged]):.3f}); median steps {np.median(steps_to_small[near])} "
      f"(all: {np.median(steps_to_small[converged])})")
assert near.sum() >= 5 and np.median(sharpness[near]) < 0.2 * np.median(sharpness[converged]), near.sum()
assert np.median(steps_to_small[near]) > 5 * np.median(steps_to_small[converged])
slow_runs = converged & (steps_to_small > 100)
print(f"slow runs (more than 100 steps): {slow_runs.sum()}, of which alpha lambda < 0.2: {np.mean(alpha_lambda[slow_runs] < 0.2):.0%}")
assert np.mean(alpha_lambda[slow_runs] < 0.2) > 0.5  # "most slow runs have alpha lambda near 0"

# %%
# Part (c2, c3): other initialisations
# ------------------------------------
# The same map after :math:`k = 100` steps, now on a common
# :math:`[0, 3]^2` grid, for six initialisations. Each panel carries its own
# line :math:`\alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2 = 4`. (A run on the
# axis :math:`\alpha_2 = 0` with :math:`2 < t < 4` grows only geometrically
# and may not pass the :math:`10^{100}` threshold within 100 steps; it shows
# as a thin edge row, not grey.)
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
log_colorbar(fig, mesh, axes, r"$\log_{10} L$ after $k = 100$ steps (symmetric-log colour scale)")
axes[0, 0].legend(handles=[DIVERGED_PATCH, ZERO_PATCH, plt.Line2D([], [], **EDGE_STYLE, label="$s(0) = 4$")], loc="upper right", fontsize=9)
fig.suptitle("Larger initial weights shrink the stable region (edge on the dashed line); a tiny initialisation is stable but slow", fontsize=12)
plt.show()

print("   w(0)      diverged  predicted side   decades of loss lost in 100 steps (median)")
inside = (B1 > 0) & (B2 > 0)
decades = []
for (a, b), loss in zip(INITS, loss_inits):
    s = B1 * b**2 + B2 * a**2
    finite = np.isfinite(loss)
    side = np.mean(((s < 4) == finite)[inside])
    decades.append(np.log10(float(deep_linear.population_loss(a, b))) - median_log10(loss))
    print(f"({a:4.1f}, {b:4.1f}) {np.mean(~finite):10.1%} {side:16.2%} {decades[-1]:14.1f}")
    assert side == 1.0, ((a, b), side)  # every off-axis cell on the predicted side
mirror = deep_linear.gd_losses(1.0, 1.5, B1, B2, [100])[0]
print(f"(1, -1.5) vs (1, 1.5): identical losses in every cell: {np.array_equal(mirror, loss_inits[4])}")
print(f"(1.5, 0.5) vs (0.5, 1.5) with the rates swapped: identical: {np.array_equal(loss_inits[1], loss_inits[2].T)}")
print(f"(0.2, 0.2): diverged cells {np.isinf(loss_inits[5]).sum()}")

# %%
# What the initialisations show (each point checked below):
#
# * **Scale.** The stable region is the triangle
#   :math:`\alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2 < 4` (every off-axis cell of
#   every panel is on the predicted side, printed): doubling both initial
#   weights from :math:`(1, 1)` to :math:`(2, 2)` divides both intercepts
#   :math:`4/w_2(0)^2` and :math:`4/w_1(0)^2` by 4. Larger weights mean a
#   sharper starting point (the Hessian entries are the squared weights),
#   hence smaller stable rates.
# * **Asymmetry.** With :math:`w(0) = (1.5, 0.5)` the *second* layer's rate
#   is the sensitive one (its update is multiplied by :math:`w_1^2 = 2.25`)
#   and the first layer tolerates large rates; :math:`(0.5, 1.5)` is the
#   exact mirror image: swapping the two weights and the two rates swaps
#   the two update lines, so the map is transposed, to the last bit.
# * **Sign.** :math:`(1, -1.5)` gives exactly the same losses as
#   :math:`(1, 1.5)`: the map :math:`(w_1, w_2) \mapsto (w_1, -w_2)`
#   commutes with the update, because :math:`w_2` enters the update of
#   :math:`w_1` only squared and its own update is odd in :math:`w_2`.
# * **Tiny initialisation.** At :math:`(0.2, 0.2)` nothing diverges on this
#   grid (:math:`s(0) \le 0.24` everywhere), but the loss falls slowly: the
#   start is close to the origin, where the loss is quartic and the
#   gradient cubic (part a6). In 100 steps its median loss drops by fewer
#   decades than that of any other initialisation that converges on most of
#   the grid. The same flatness is behind the plateau of deep linear
#   networks trained towards a *non-zero* target from a small
#   initialisation: they linger near the origin for a time that grows like
#   :math:`\log(1/\text{scale})` before they learn (Saxe, McClelland &
#   Ganguli 2014). In our network with target :math:`f^*(x) = x`, loss
#   :math:`\tfrac12 (w_1 w_2 - 1)^2`, a balanced start :math:`(\varepsilon, \varepsilon)`
#   stays balanced and grows by the factor :math:`1 + \alpha(1 - w^2) \approx 1 + \alpha`
#   per step while small, so each decade less of :math:`\varepsilon` costs
#   :math:`\ln 10 / \ln(1 + \alpha)` more steps: 24.2 at :math:`\alpha = 0.1`
#   (counted below, to :math:`L < 0.005`).
assert np.array_equal(mirror, loss_inits[4])  # "exactly the same losses"
assert np.array_equal(loss_inits[1], loss_inits[2].T)  # "exact mirror image"
assert not np.isinf(loss_inits[5]).any()  # "nothing diverges"
majority_converge = [i for i, loss in enumerate(loss_inits) if np.mean(np.isfinite(loss)) > 0.5 and i != 5]
assert all(decades[5] < decades[i] for i in majority_converge), decades  # "fewer decades than any other"


def steps_to_learn(eps, lr, tol=0.005):
    """GD steps on 0.5 (w1 w2 - 1)^2 from (eps, eps) until the loss is below tol."""
    v1, v2, k = eps, eps, 0
    while 0.5 * (v1 * v2 - 1) ** 2 >= tol:
        err = v1 * v2 - 1
        v1, v2, k = v1 - lr * v2 * err, v2 - lr * v1 * err, k + 1
    return k


plateau = np.array([steps_to_learn(e, 0.1) for e in [1e-2, 1e-3, 1e-4, 1e-5]])
per_decade = np.log(10) / np.log(1.1)
print(f"target f*(x) = x, alpha = 0.1: steps to L < 0.005 from eps = 1e-2 ... 1e-5: {plateau}; "
      f"differences {np.diff(plateau)} (predicted ln 10 / ln 1.1 = {per_decade:.1f})")
assert np.all(np.abs(np.diff(plateau) - per_decade) <= 1), plateau  # "ln 10 / ln(1 + alpha) more steps per decade" (to one step)

# %%
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
    ax.plot(zoom1, 4 - zoom1, **EDGE_STYLE)
    ax.set_xlim(zoom1[0], zoom1[-1])
    ax.set_ylim(zoom2[0], zoom2[-1])
    slow = np.mean(np.isfinite(loss) & (loss > 1e-6))
    ax.set_title(f"k = {k}: {np.mean(np.isinf(loss)):.1%} diverged,\n{slow:.1%} finite but above $10^{{-6}}$", fontsize=11)
    ax.set_xlabel(r"$\alpha_1$", fontsize=12)
axes[0].set_ylabel(r"$\alpha_2$", fontsize=12)
axes[0].legend(handles=[DIVERGED_PATCH, ZERO_PATCH, plt.Line2D([], [], **EDGE_STYLE, label=r"$\alpha_1 + \alpha_2 = 4$")], loc="lower left", fontsize=9)
log_colorbar(fig, mesh, axes, r"$\log_{10} L$ (symmetric-log colour scale)")
fig.suptitle(r"Zoom at the edge, $w(0) = (1, 1)$: the edge is the straight line $s = 4$; slow filaments run towards it", fontsize=12)
plt.show()

s_zoom = Z1 + Z2
on_line = np.abs(s_zoom - 4) < 1e-12  # the grid crosses the line at 300 cells, where s(0) = 4 up to rounding
zoom_side = [np.mean(((s_zoom < 4) == np.isfinite(z))[~on_line]) for z in zoom_losses]
changed = np.isfinite(zoom_losses[0]) != np.isfinite(zoom_losses[1])
slow50, slow200 = (np.mean(np.isfinite(z) & (z > 1e-6)) for z in zoom_losses)
print(f"cells off the line on the predicted side of s = 4: {zoom_side[0]:.3%} at k=50, {zoom_side[1]:.3%} at k=200")
print(f"cells on the line (s(0) = 4 up to rounding): {on_line.sum()}; finite at k=200: {np.mean(np.isfinite(zoom_losses[1][on_line])):.0%}")
print(f"cells whose fate (finite or diverged) changes from k=50 to k=200: {changed.sum()}, of which on the line: {(changed & on_line).sum()}")
print(f"cells still finite but with L > 1e-6: {slow50:.1%} at k=50, {slow200:.1%} at k=200")

# %%
# Zoomed in, the boundary itself stays the straight line :math:`s = 4`, as
# the proof predicts: every cell off the line is on the predicted side
# already at :math:`k = 50`, and none of them changes fate afterwards. The
# only cells that do change are those on the line itself, where the
# computed :math:`s(0)` is 4 up to rounding: which side of 4 the true
# float64 run sits on is decided by rounding, and a run so close to the line
# needs many steps to show its fate. What is intricate is the convergence
# *speed* near the line: bright filaments of slow runs reach towards it. A
# run started just below the line has
# :math:`s(k) - 4 = (s(0) - 4)\prod_j(1 + 2\alpha_1\alpha_2 L(j))`, so it
# stays close to the line, oscillating, until the product has grown, and
# where it then lands, hence its speed, depends sensitively on the start.
# With more steps the filaments thin out (fewer finite cells above
# :math:`10^{-6}` at :math:`k = 200`, printed).
assert zoom_side == [1.0, 1.0], zoom_side  # "every cell off the line on the predicted side already at k = 50"
assert not (changed & ~on_line).any()  # "none of them changes fate afterwards"
assert slow200 < slow50, (slow50, slow200)  # "the filaments thin out"

# %%
# What to notice
# --------------
# * (a) :math:`L(w_1, w_2) = \tfrac12 (w_1 w_2)^2`, gradient
#   :math:`(w_1 w_2^2, w_1^2 w_2)`, Hessian
#   :math:`\begin{pmatrix} w_2^2 & 2w_1w_2 \\ 2w_1w_2 & w_1^2\end{pmatrix}`
#   (both match autograd to rounding error); the loss is not convex
#   (determinant :math:`-3 w_1^2 w_2^2 < 0` off the axes; the chord from
#   :math:`(1,0)` to :math:`(0,1)` leaves the zero set); the minimum is 0,
#   attained on the union of the two axes. The origin is one of these
#   global minimisers, a degenerate one (zero gradient and Hessian, quartic
#   loss), not a saddle.
# * (b) :math:`w_1 \leftarrow w_1 (1 - \alpha_1 w_2^2)`,
#   :math:`w_2 \leftarrow w_2 (1 - \alpha_2 w_1^2)`.
# * (c) The identity :math:`s(k+1) - 4 = (1 + 2\alpha_1\alpha_2 L(k))(s(k) - 4)`
#   proves that, for positive rates, the loss tends to 0 below the line
#   :math:`\alpha_1 w_2(0)^2 + \alpha_2 w_1(0)^2 = 4` and cannot tend to 0
#   on or above it except on a set of measure zero; on all our grids, every
#   off-axis cell not on the line itself is on the predicted side.
#   :math:`s` is the rate-weighted tangent kernel of the network: for
#   :math:`2 < s(0) < 4` the linearised network diverges while the network
#   converges, the catapult phase of Lewkowycz et al. (2020), and below the
#   line :math:`s` falls at every step, so a run lands with
#   :math:`\alpha\lambda \le s(0)`. Inside, the map darkens by tens
#   of decades between :math:`k = 10` and :math:`k = 200`; the speed of a
#   run is set by where it lands, through :math:`(1 - \alpha\lambda)^2`
#   per step: fastest at :math:`\alpha\lambda \approx 1`, slow for small
#   rates and for runs that land near the flat origin. Larger initial
#   weights shrink the stable rates, each layer's rate is limited by the
#   *other* layer's initial weight, the sign of a weight does not matter,
#   and a very small initialisation is stable but slow. Zoomed in, the
#   edge stays straight; the fine structure lies in how slowly runs near it
#   converge.
# * (c5) Our research question, where on the valley of minimisers GD lands
#   and how that depends on the learning rates, is on the next page.
#
# References: A. M. Saxe, J. L. McClelland, S. Ganguli, *Exact solutions to
# the nonlinear dynamics of learning in deep linear neural networks*, ICLR
# 2014; A. Lewkowycz, Y. Bahri, E. Dyer, J. Sohl-Dickstein, G. Gur-Ari, *The
# large learning rate phase of deep learning: the catapult mechanism*,
# arXiv:2003.02218, 2020.
