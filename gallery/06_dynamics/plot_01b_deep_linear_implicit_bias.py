"""
Which minimiser does gradient descent pick?
===========================================

Part (c5) of question 4 of the CSC413 math homework 2 (ID
``csc413-hw2/q4``) asks for a research question of our own about the scalar
deep linear network :math:`f(x) = w_2 w_1 x` with population loss
:math:`L = \\tfrac12 (w_1 w_2)^2` (derived on
:ref:`sphx_glr_auto_examples_06_dynamics_plot_01_deep_linear_dynamics.py`).
Every point of the two axes is a global minimiser, so "does GD converge" is
only half the story. Our question:

    *Where on the valley of minimisers does gradient descent with per-layer
    learning rates* :math:`(\\alpha_1, \\alpha_2)` *end up, and how does the
    answer depend on the rates?*

What we find, each point proved or checked below:

* Gradient flow conserves :math:`C = w_1^2/\\alpha_1 - w_2^2/\\alpha_2` (the
  per-layer-rate form of the "balancedness" of deep linear networks: Du, Hu
  & Lee 2018; Arora, Cohen & Hazan 2018). GD multiplies it by exactly
  :math:`1 - 2\\alpha_1\\alpha_2 L` at every step, so the flow's landing
  point is right up to an error of first order in the rates, and the
  *ratio* of the two rates selects the minimiser.
* With the identity of the previous page, :math:`Q = C\\,(s - 4)` is
  multiplied by :math:`1 - (2\\alpha_1\\alpha_2 L)^2` per step: GD conserves
  it to third order, and it predicts the landing point with an error of
  third order in the rates (measured slopes 1, 2 and 3 for the flow, the
  first-order and the :math:`Q` predictions).
* Larger rates: for :math:`s(0) < 2` GD provably lands on a flatter minimum
  than the flow's; with equal rates that holds for :math:`s(0) \\le 2\\sqrt2`.
  Beyond, it is not a law: a few percent of random converging runs land
  on a *sharper* minimum than the flow's. From the start we sweep, every
  converging run lands flatter.

We relate this to Kreisler, Nacson, Soudry & Carmon (2023), who prove that GD
decreases the sharpness of the gradient-flow solution in scalar networks,
and to the catapult phase of Lewkowycz et al. (2020), at the end of the page.

References: S. S. Du, W. Hu, J. D. Lee, *Algorithmic regularization in
learning deep homogeneous models: layers are automatically balanced*,
NeurIPS 2018; S. Arora, N. Cohen, E. Hazan, *On the optimization of deep
networks: implicit acceleration by overparameterization*, ICML 2018;
I. Kreisler, M. S. Nacson, D. Soudry, Y. Carmon, *Gradient descent
monotonically decreases the sharpness of gradient flow solutions in scalar
networks and beyond*, ICML 2023; A. Lewkowycz, Y. Bahri, E. Dyer,
J. Sohl-Dickstein, G. Gur-Ari, *The large learning rate phase of deep
learning: the catapult mechanism*, arXiv:2003.02218, 2020.
"""

# %%
# A conserved quantity of gradient flow
# -------------------------------------
# In the small-step limit, GD with per-layer rates becomes the gradient flow
# :math:`\dot w_1 = -\alpha_1 w_1 w_2^2`, :math:`\dot w_2 = -\alpha_2 w_1^2 w_2`.
# Then
#
# .. math::
#
#    \frac{d}{dt}\frac{w_1^2}{\alpha_1} = \frac{2 w_1 \dot w_1}{\alpha_1} = -2 w_1^2 w_2^2
#    = \frac{d}{dt}\frac{w_2^2}{\alpha_2},
#    \qquad\text{so}\qquad
#    C = \frac{w_1^2}{\alpha_1} - \frac{w_2^2}{\alpha_2} \ \text{is constant.}
#
# The flow moves along the curve :math:`C = C(0)` (a hyperbola) until it hits
# an axis. If :math:`C > 0` it cannot reach :math:`w_1 = 0`, so it stops at
# :math:`w_2 = 0` with
#
# .. math::
#
#    w_1(\infty)^2 = \alpha_1 C = w_1(0)^2 - \frac{\alpha_1}{\alpha_2}\, w_2(0)^2,
#
# and if :math:`C < 0` at :math:`w_1 = 0` with
# :math:`w_2(\infty)^2 = -\alpha_2 C = w_2(0)^2 - \tfrac{\alpha_2}{\alpha_1} w_1(0)^2`.
# The landing point depends on the rates only through their ratio. At
# :math:`(a, 0)` the Hessian is :math:`\operatorname{diag}(0, a^2)`, so the
# *sharpness* (largest Hessian eigenvalue) of the landing point is the one
# non-zero squared weight.
#
# One GD step multiplies C by a known factor
# ------------------------------------------
# Expanding :math:`w_1'^2 = w_1^2 (1 - \alpha_1 w_2^2)^2` and the same for
# :math:`w_2`,
#
# .. math::
#
#    \begin{aligned}
#    C' - C &= \big(-2 w_1^2 w_2^2 + \alpha_1 w_1^2 w_2^4\big)
#             - \big(-2 w_1^2 w_2^2 + \alpha_2 w_1^4 w_2^2\big)
#           = w_1^2 w_2^2 \big(\alpha_1 w_2^2 - \alpha_2 w_1^2\big)
#           = -\alpha_1\alpha_2 w_1^2 w_2^2\, C , \\
#    C(k+1) &= \big(1 - p_k\big)\, C(k), \qquad p_k = \alpha_1\alpha_2 w_1(k)^2 w_2(k)^2 = 2\alpha_1\alpha_2 L(k).
#    \end{aligned}
#
# The terms that gradient flow also has cancel; what remains, :math:`p_k`,
# is a product of *two* rates. We check both forms with
# :func:`nntheory.deep_linear.flow_invariant` at random points.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import deep_linear

# sphinx_gallery_thumbnail_number = 2
from nntheory.seeding import base_seed

SEED = base_seed(1)
rng = np.random.default_rng(SEED)

w = rng.uniform(-1.5, 1.5, size=(2, 1000))
a = rng.uniform(0.01, 1.0, size=(2, 1000))
w_next = deep_linear.gd_step(w[0], w[1], a[0], a[1])
C_here = deep_linear.flow_invariant(*w, *a)
change = deep_linear.flow_invariant(*w_next, *a) - C_here
predicted = w[0] ** 2 * w[1] ** 2 * (a[0] * w[1] ** 2 - a[1] * w[0] ** 2)
p_here = a[0] * a[1] * w[0] ** 2 * w[1] ** 2
terms = w[0] ** 2 / a[0] + w[1] ** 2 / a[1]  # the size of the two terms of C, for the rounding scale
change_err = np.max(np.abs(change - predicted) / np.maximum(1.0, np.abs(predicted)))
law_err = np.max(np.abs(deep_linear.flow_invariant(*w_next, *a) - (1 - p_here) * C_here) / terms)
print(f"max |C' - C - predicted change| / max(1, |predicted|) over 1000 random points: {change_err:.2e}")
print(f"max |C' - (1 - p) C| / (w1^2/a1 + w2^2/a2): {law_err:.2e}")
# C is a difference of terms up to 1.5**2 / 0.01 = 225, so rounding leaves ~1e-13.
assert change_err < 1e-11, change_err  # the one-step formula
assert law_err < 1e-14, law_err  # C(k+1) = (1 - p_k) C(k), up to rounding of the terms

# %%
# A quantity GD conserves to third order
# --------------------------------------
# The previous page proved, with :math:`s = \alpha_1 w_2^2 + \alpha_2 w_1^2`,
# the identity :math:`s(k+1) - 4 = (1 + p_k)\,(s(k) - 4)`. Multiplying the
# two laws, :math:`Q = C\,(s - 4)` obeys
#
# .. math::
#
#    Q(k+1) = (1 - p_k)(1 + p_k)\, Q(k) = \big(1 - p_k^2\big)\, Q(k) .
#
# Since :math:`p_k` is of second order in the rates, one step changes
# :math:`Q` by a relative :math:`O(\alpha^4)`, against :math:`O(\alpha^2)`
# for :math:`C`. :func:`nntheory.deep_linear.gd_invariant` computes
# :math:`Q`; we check the law at the same random points.
Q_here = deep_linear.gd_invariant(*w, *a)
Q_err = np.max(np.abs(deep_linear.gd_invariant(*w_next, *a) - (1 - p_here**2) * Q_here) / (4 * terms))
print(f"max |Q' - (1 - p^2) Q| / (4 (w1^2/a1 + w2^2/a2)): {Q_err:.2e}")
assert Q_err < 1e-14, Q_err  # Q(k+1) = (1 - p_k^2) Q(k), up to rounding

# %%
# How much a whole run moves C and Q
# ----------------------------------
# Below the line :math:`s(0) < 4` the previous page proved that
# :math:`s(k)` never rises and that :math:`\sum_k p_k \le s(0)/(4 - s(0))`;
# with :math:`t = \alpha_1 w_2^2` and :math:`u = \alpha_2 w_1^2`, the
# inequality of arithmetic and geometric means adds
# :math:`p_k = t u \le \big(\tfrac{t + u}{2}\big)^2 = s(k)^2/4 \le s(0)^2/4`. With
# :math:`C(\infty) = C(0)\prod_k (1 - p_k)`,
# :math:`Q(\infty) = Q(0)\prod_k (1 - p_k^2)` and
# :math:`\prod_k (1 - x_k) \ge 1 - \sum_k x_k` for :math:`0 \le x_k \le 1`:
#
# * **If** :math:`s(0) < 2`, every :math:`p_k < 1`: :math:`C` never changes
#   sign, :math:`|C|` shrinks at every step, and
#
#   .. math::
#
#      1 - \frac{s(0)}{4 - s(0)} \le \frac{C(\infty)}{C(0)} \le 1, \qquad
#      1 - \frac{s(0)^3}{4\,(4 - s(0))} \le \frac{Q(\infty)}{Q(0)} \le 1,
#
#   the second because :math:`\sum_k p_k^2 \le \max_k p_k \sum_k p_k`. As
#   :math:`s(0)` is of first order in the rates, a whole run moves
#   :math:`C` by a relative :math:`O(\alpha)` and :math:`Q` by
#   :math:`O(\alpha^3)`. The run lands on the flow's axis: :math:`L \to 0`
#   forces :math:`w_1 w_2 \to 0` while :math:`w_1^2/\alpha_1 - w_2^2/\alpha_2 \to C(\infty)`,
#   which has the sign of :math:`C(0)`; for :math:`C(0) > 0` that leaves
#   :math:`w_2 \to 0` and :math:`w_1^2 \to \alpha_1 C(\infty)`. Its sharpness
#   :math:`\alpha_1 C(\infty)` is *at most* the flow's :math:`\alpha_1 C(0)`,
#   smaller by a relative amount of at most :math:`s(0)/(4 - s(0))`: GD
#   lands flatter than the flow, and the flow is right to first order.
# * **If** :math:`s(0) \le 2\sqrt2`, every :math:`p_k \le 2`, so
#   :math:`|1 - p_k| \le 1`: :math:`|C|` never grows, though :math:`C`
#   changes sign at a step with :math:`p_k > 1` (and the run may then land
#   on the other axis). With equal rates the landing sharpness is
#   :math:`\alpha |C(\infty)|` on either axis, so GD still lands at least as
#   flat as the flow.
# * **Above** :math:`2\sqrt2` a step can have :math:`p_k > 2`, and then
#   :math:`|C|` grows at that step. We come back to this below.
#
# We check all of it on random starts: :math:`w(0)` uniform in
# :math:`[-2, 2]^2` and rates uniform in :math:`[0.01, 3]`, 10,000 draws with
# independent per-layer rates and 10,000 with equal rates, keeping those
# with :math:`s(0) < 4`; each runs 2,000 steps, and we record at every step
# whether :math:`|C|` grew or changed sign, and the largest :math:`p_k`.
n_draws = 10_000
w0 = rng.uniform(-2.0, 2.0, size=(2, 2 * n_draws))
rates = rng.uniform(0.01, 3.0, size=(2, 2 * n_draws))
rates[1, n_draws:] = rates[0, n_draws:]  # the second half: equal rates
s_0 = rates[0] * w0[1] ** 2 + rates[1] * w0[0] ** 2
keep = s_0 < 4
w0, rates, s_0 = w0[:, keep], rates[:, keep], s_0[keep]
equal = np.flatnonzero(keep) >= n_draws
C_0, Q_0 = deep_linear.flow_invariant(*w0, *rates), deep_linear.gd_invariant(*w0, *rates)
T_0 = w0[0] ** 2 / rates[0] + w0[1] ** 2 / rates[1]  # size of the terms of C: the rounding scale
x1, x2, C_prev = w0[0], w0[1], C_0
p_max = np.zeros_like(C_0)
grew, flipped = np.zeros(C_0.shape, bool), np.zeros(C_0.shape, bool)
for _ in range(2000):
    p_max = np.maximum(p_max, rates[0] * rates[1] * (x1 * x2) ** 2)
    x1, x2 = deep_linear.gd_step(x1, x2, *rates)
    C_new = deep_linear.flow_invariant(x1, x2, *rates)
    grew |= np.abs(C_new) > np.abs(C_prev) + 1e-13 * (x1**2 / rates[0] + x2**2 / rates[1])  # beyond rounding
    flipped |= C_new * C_prev < 0
    C_prev = C_new
C_end, Q_end = C_prev, deep_linear.gd_invariant(x1, x2, *rates)
landed = 0.5 * (x1 * x2) ** 2 < 1e-20
gd_sharp = x1**2 + x2**2  # the landing point's one non-zero squared weight
flow_sharp = np.where(C_0 > 0, rates[0] * C_0, -rates[1] * C_0)
sharper = landed & (gd_sharp > flow_sharp * (1 + 1e-9))
low, mid = s_0 < 2, s_0 <= 2 * np.sqrt(2)
C_bound = np.abs(C_0) * s_0 / (4 - s_0)
Q_bound = np.abs(Q_0) * s_0**3 / (4 * (4 - s_0))
print(f"starts with s(0) < 4: {s_0.size} ({equal.sum()} with equal rates); landed (L < 1e-20) after 2000 steps: {landed.sum()}")
print(f"largest p_k / (s(0)^2 / 4): {np.max(p_max / (s_0**2 / 4)):.4f}")
print(f"s(0) < 2 ({low.sum()} starts): C changed sign {flipped[low].sum()}, |C| grew {grew[low].sum()}; "
      f"largest |C(end) - C(0)| / bound {np.max((np.abs(C_end - C_0) / C_bound)[low]):.3f}, "
      f"largest |Q(end) - Q(0)| / bound {np.max((np.abs(Q_end - Q_0) / Q_bound)[low]):.3f}")
print(f"s(0) <= 2 sqrt 2 ({mid.sum()} starts): |C| grew at some step in {grew[mid].sum()}; "
      f"landed sharper than the flow: {sharper[low].sum()} with s(0) < 2, {sharper[mid & equal].sum()} with equal rates")
assert np.all(p_max <= s_0**2 / 4 * (1 + 1e-12)), np.max(p_max / (s_0**2 / 4))  # p_k <= s(0)^2 / 4
assert not flipped[low].any() and not grew[low].any()  # s(0) < 2: no sign change, |C| shrinks at every step
assert np.all((np.abs(C_end - C_0) <= C_bound + 1e-12 * T_0)[low])  # the bound on C(inf) / C(0)
assert np.all((np.abs(Q_end - Q_0) <= Q_bound + 4e-12 * T_0)[low])  # the bound on Q(inf) / Q(0)
assert not grew[mid].any()  # s(0) <= 2 sqrt 2: |C| never grows
assert not sharper[low].any() and not sharper[mid & equal].any()  # lands at least as flat as the flow
assert np.all(((C_0 > 0) == (np.abs(x1) > np.abs(x2)))[landed & low])  # s(0) < 2: lands on the flow's axis

# %%
# Where GD lands, to third order
# ------------------------------
# At a landing point :math:`(a, 0)`, :math:`C = a^2/\alpha_1` and
# :math:`s = \alpha_2 a^2`, so :math:`Q = (a^2/\alpha_1)(\alpha_2 a^2 - 4)`.
# Setting this equal to :math:`Q(0)`, which a run changes only at third
# order, gives a quadratic for the sharpness :math:`\lambda = a^2`, whose
# root that tends to the flow's point is
#
# .. math::
#
#    \lambda = \frac{2\alpha_1 |Q(0)|}{4 + \sqrt{16 - 4\alpha_1\alpha_2 |Q(0)|}}
#
# (on the other axis exchange :math:`\alpha_1` and :math:`\alpha_2`). Its
# expansion to first order in the rates, with :math:`|Q(0)| = C(0)(4 - s(0))`
# and :math:`\alpha_1\alpha_2 C(0) = \alpha_2 w_1(0)^2 - \alpha_1 w_2(0)^2`, is
#
# .. math::
#
#    \lambda = \alpha_1 C(0)\Big(1 - \frac{s(0)}{4}\Big)\Big(1 + \frac{\alpha_2 w_1(0)^2 - \alpha_1 w_2(0)^2}{4}\Big) + O(\alpha^2)
#    = \alpha_1 C(0)\Big(1 - \frac{\alpha_1 w_2(0)^2}{2}\Big) + O(\alpha^2),
#
# the first-order correction to the flow. The three predictions (flow,
# first order, :math:`Q`) are :func:`nntheory.deep_linear.predicted_landing`.
# For the start :math:`w(0) = (1.5, 0.5)` with equal rates :math:`\alpha`,
# used below, the flow predicts sharpness 2, the first order
# :math:`2(1 - \alpha/8) = 2 - \alpha/4`. We check that the first-order
# formula is the expansion of the :math:`Q` prediction: their difference
# falls like :math:`\alpha^2`.
W0 = (1.5, 0.5)
h = np.array([0.0025, 0.005, 0.01, 0.02])
lam_Q = deep_linear.predicted_landing(*W0, h, h)[0]
lam_first = deep_linear.predicted_landing(*W0, h, h, method="first-order")[0]
np.testing.assert_allclose(lam_first, 2 - h / 4, rtol=1e-14)  # "2 - alpha/4"
gap_slope = np.polyfit(np.log(h), np.log(np.abs(lam_Q - lam_first)), 1)[0]
print(f"|Q prediction - first-order prediction| at alpha = {h}: {np.abs(lam_Q - lam_first)}; log-log slope {gap_slope:.3f}")
assert abs(gap_slope - 2) < 0.05, gap_slope  # "their difference falls like alpha^2"

# %%
# Trajectories: the flow's hyperbola and where GD leaves it
# ---------------------------------------------------------
# From :math:`w(0) = (1.5, 0.5)` with equal rates :math:`\alpha_1 = \alpha_2 = \alpha`
# the flow predicts :math:`w_1(\infty) = \sqrt 2`, whatever :math:`\alpha`.
# GD with a small rate stays within about :math:`\alpha/4` of the hyperbola
# :math:`w_1^2 - w_2^2 = 2`; from this start, larger rates cut the corner,
# overshoot, and land closer to the origin.
rates_shown = [0.02, 0.5, 1.0, 1.4]
colours = ["#0072B2", "#009E73", "#E69F00", "#CC79A7"]  # Okabe–Ito
traj = deep_linear.gd_trajectory(*W0, np.array(rates_shown), np.array(rates_shown), 3000)  # w1: (3001, 4)

fig, ax = plt.subplots(figsize=(10, 5.2), layout="constrained")
w2_curve = np.linspace(0, 0.55, 200)
ax.plot(np.sqrt(2 + w2_curve**2), w2_curve, color="black", lw=2.5, alpha=0.35, label=r"flow: $w_1^2 - w_2^2 = 2$")
for rate, colour, i in zip(rates_shown, colours, range(len(rates_shown))):
    ax.plot(traj.w1[:, i], traj.w2[:, i], "-o", color=colour, ms=3, lw=1, label=rf"GD, $\alpha = {rate}$: lands at $w_1 = {traj.w1[-1, i]:.3f}$")
ax.axhline(0, color="0.5", lw=1)
ax.plot(W0[0], W0[1], "k*", ms=14, label="start (1.5, 0.5)")
ax.set_xlabel(r"$w_1$", fontsize=12)
ax.set_ylabel(r"$w_2$", fontsize=12)
ax.set_xlim(-0.65, 1.65)
ax.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: the paths fill the axes
ax.set_title("From (1.5, 0.5), small steps follow the conserved hyperbola; large steps cut\nacross it and land nearer the origin, where the valley is flatter", fontsize=11)
plt.show()

print(f"flow prediction: w1 = sqrt(2) = {np.sqrt(2):.4f}, w2 = 0")
for rate, i in zip(rates_shown, range(len(rates_shown))):
    print(f"alpha = {rate:4.2f}: GD ends at ({traj.w1[-1, i]:+.4f}, {traj.w2[-1, i]:+.1e}), loss {traj.loss[-1, i]:.1e}")
off_hyperbola = np.max(np.abs(traj.w1[:, 0] ** 2 - traj.w2[:, 0] ** 2 - 2))
print(f"alpha = 0.02: max |w1^2 - w2^2 - 2| along the run: {off_hyperbola:.2e} (alpha / 4 = {0.02 / 4:.2e})")
assert off_hyperbola < 1.1 * 0.02 / 4, off_hyperbola  # "within about alpha/4 of the hyperbola"
assert np.all(np.diff(np.abs(traj.w1[-1])) < 0) and np.all(traj.loss[-1] < 1e-30), traj.w1[-1]  # "land closer to the origin"

# %%
# The sharpness of the landing point, from one start
# --------------------------------------------------
# Near a minimiser :math:`(a, 0)` only :math:`w_2` moves,
# :math:`w_2' = w_2 (1 - \alpha_2 a^2)`, so GD can only settle there if
#
# .. math::
#
#    |1 - \alpha_2 \lambda| \le 1 \iff \lambda \le \frac{2}{\alpha_2} ,
#
# the same condition as for a quadratic of curvature :math:`\lambda = a^2`
# (a run can end elsewhere only by hitting :math:`w_2 = 0` exactly). We
# sweep the common rate :math:`\alpha` over 400 values and run 3000 steps
# from :math:`(1.5, 0.5)`, where :math:`s(0) = 2.5\,\alpha`: the proof
# above covers :math:`\alpha < 0.8` (:math:`s(0) < 2`) and, the rates being
# equal, :math:`\alpha \le 2\sqrt2/2.5 \approx 1.13`; the divergence edge
# :math:`s(0) = 4` is :math:`\alpha = 1.6`. We plot the landing sharpness
# against the flow's prediction (2), the first order (:math:`2 - \alpha/4`),
# the :math:`Q` prediction and the stability limit :math:`2/\alpha`.
alphas = np.linspace(0.005, 1.9, 400)
sweep = deep_linear.gd_trajectory(*W0, alphas, alphas, 3000)
w1_end, w2_end, loss_end = sweep.w1[-1], sweep.w2[-1], sweep.loss[-1]
converged = loss_end < 1e-8  # slow runs near the origin are still on their way
diverged = np.isinf(loss_end)
sharpness = w1_end**2 + w2_end**2  # = largest Hessian eigenvalue on an axis
lam_Q_sweep = deep_linear.predicted_landing(*W0, alphas[alphas < 1.6], alphas[alphas < 1.6])[0]
with np.errstate(invalid="ignore"):
    p_sweep = np.nanmax(alphas**2 * (sweep.w1 * sweep.w2) ** 2, axis=0)  # largest p_k of each run
proved = 2 * np.sqrt(2) / 2.5  # s(0) = 2 sqrt 2
first_flip = alphas[p_sweep > 1].min()  # the first rate at which some step flips the sign of C

fig, ax = plt.subplots(figsize=(9.5, 5.2), layout="constrained")
ax.plot(alphas[converged], sharpness[converged], "o", ms=3, color="#0072B2", zorder=4, label="GD: sharpness of the landing point")
ax.axhline(2.0, color="black", alpha=0.5, lw=2, label="gradient flow: $w_1(0)^2 - w_2(0)^2 = 2$")
ax.plot(alphas, 2 - alphas / 4, ":", color="black", lw=2, label=r"first order in $\alpha$: $2 - \alpha/4$")
ax.plot(alphas[alphas < 1.6], lam_Q_sweep, "-", color="#009E73", lw=2, label=r"$Q$ conserved (third order)")
ax.plot(alphas, 2 / alphas, "--", color="#D55E00", lw=2, label=r"stability limit $2/\alpha$")
ax.axvline(first_flip, color="#CC79A7", ls="-.", lw=1.2, zorder=1, label=rf"$\alpha = {first_flip:.2f}$: first step with $p_k > 1$")
ax.axvspan(proved, alphas[diverged].min(), color="0.93", label=r"$s(0) > 2\sqrt{2}$: not covered by the proof")
ax.axvspan(alphas[diverged].min(), alphas[-1], color="0.8", label="GD diverged")
ax.set_ylim(0, 3.2)
ax.set_xlim(0, alphas[-1])
ax.set_xlabel(r"learning rate $\alpha = \alpha_1 = \alpha_2$", fontsize=12)
ax.set_ylabel(r"sharpness $\lambda_{\max}(\nabla^2 L)$ at the limit", fontsize=12)
ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
ax.set_title("From (1.5, 0.5), larger steps land on flatter minimisers;\npast the first sign flip of $C$ the landing point varies irregularly", fontsize=11)
plt.show()

# %%
# What the sweep shows (each point checked below):
#
# * For small rates the three predictions have errors of first, second and
#   third order in :math:`\alpha`: the log-log slopes of the error against
#   :math:`\alpha`, fitted over :math:`\alpha \le 0.1`, are close to 1, 2
#   and 3 (printed).
# * Every converged run lands flatter than the flow's point (sharpness
#   below 2). The proof covers :math:`\alpha \le 1.13`; on this start no
#   step has :math:`p_k > 2` below the printed rate (about 1.38), so the same
#   argument covers those runs too; from there to the edge it is only
#   observed.
# * The landing sharpness falls monotonically with :math:`\alpha` up to the
#   first rate at which some step has :math:`p_k > 1`, so that :math:`C`
#   changes sign (:math:`\alpha \approx 1.16`, printed). From there to the
#   divergence edge at :math:`\alpha = 1.6`, more than a quarter of the
#   stable range, runs bounce across the valley, some land on the other
#   axis :math:`w_1 = 0`, and the landing sharpness varies irregularly,
#   rising and falling with :math:`\alpha` (its range is printed).
# * Every converged run respects the stability limit :math:`\alpha\lambda \le 2`,
#   and the largest :math:`\alpha\lambda` stays well inside it (printed).
order_range = converged & (alphas <= 0.1)
err_sweep = {"flow": np.abs(sharpness - 2), "first order": np.abs(sharpness - (2 - alphas / 4)),
             "Q conserved": np.abs(sharpness[alphas < 1.6] - lam_Q_sweep)}
slopes_sweep = {}
for (name, err), order in zip(err_sweep.items(), [1, 2, 3]):
    sel = order_range[: err.size]
    slopes_sweep[name] = np.polyfit(np.log(alphas[: err.size][sel]), np.log(err[sel]), 1)[0]
    print(f"{name:12s}: error at alpha = 0.005 {err[0]:.1e}, at alpha = 0.1 {err[np.argmin(np.abs(alphas - 0.1))]:.1e}; "
          f"log-log slope over alpha <= 0.1: {slopes_sweep[name]:.2f}")
    assert abs(slopes_sweep[name] - order) < 0.15, (name, slopes_sweep[name])  # "errors of first, second, third order"
no_growth_below = alphas[p_sweep > 2].min()
after = converged & (alphas >= first_flip)
print(f"converged: {converged.sum()} of {alphas.size}; largest sharpness {sharpness[converged].max():.4f} (flow: 2)")
print(f"first rate with some p_k > 2 (|C| can grow): {no_growth_below:.3f}; first rate with some p_k > 1 (C flips): {first_flip:.3f}")
print(f"landing sharpness for alpha >= {first_flip:.3f}: from {sharpness[after].min():.4f} to {sharpness[after].max():.3f}; "
      f"irregular range {first_flip:.2f} to 1.6 = {(1.6 - first_flip) / 1.6:.0%} of the stable range")
print(f"largest alpha * sharpness over converged runs: {np.max(alphas[converged] * sharpness[converged]):.3f} (stability needs <= 2)")
other_axis = np.isfinite(loss_end) & (np.abs(w1_end) < np.abs(w2_end))
print(f"runs ending nearer the axis w1 = 0 than w2 = 0: {other_axis.sum()}, with alpha between "
      f"{alphas[other_axis].min():.3f} and {alphas[other_axis].max():.3f}; smallest diverging alpha {alphas[diverged].min():.3f}")
assert np.all(sharpness[converged] < 2.0)  # "every converged run lands flatter than the flow's point"
assert 1.3 < no_growth_below < 1.45 and 1.1 < first_flip < 1.2, (no_growth_below, first_flip)  # "about 1.38", "about 1.16"
assert np.all(np.diff(sharpness[converged & (alphas < first_flip)]) < 0)  # "falls monotonically up to the first flip"
assert np.any(np.diff(sharpness[after]) > 0) and (1.6 - first_flip) / 1.6 > 0.25  # "irregular ... more than a quarter"
assert other_axis.any() and alphas[other_axis].min() >= first_flip  # "some land on the other axis" (only past the flip)
assert np.all(alphas[converged] * sharpness[converged] <= 2.0)  # "below the stability limit"
assert np.max(alphas[converged] * sharpness[converged]) < 1.5  # "well inside that limit"
assert np.array_equal(diverged, alphas > 4 / (W0[0] ** 2 + W0[1] ** 2))  # the s(0) = 4 edge of the previous page

# %%
# How far a run moves C and Q, from this start
# --------------------------------------------
# The whole-run drifts :math:`|C(\infty)/C(0) - 1|` and
# :math:`|Q(\infty)/Q(0) - 1|` of the sweep, for the rates the proof covers
# (:math:`s(0) < 2`, :math:`\alpha < 0.8`), against the bounds
# :math:`s(0)/(4 - s(0))` and :math:`s(0)^3/(4(4 - s(0)))` proved above.
# :math:`C` drifts at first order, and its drift over :math:`\alpha` tends to
# the :math:`1/8` of the first-order formula (within :math:`0.2\alpha` of it
# below :math:`\alpha = 0.2`); :math:`Q` drifts at third order (fitted
# log-log slope near 3 below :math:`\alpha = 0.1`, printed), eight times more
# for each doubling of the rate.
C0_sweep = deep_linear.flow_invariant(*W0, alphas, alphas)
Q0_sweep = deep_linear.gd_invariant(*W0, alphas, alphas)
covered = converged & (2.5 * alphas < 2)
with np.errstate(invalid="ignore"):
    drift_C = np.abs(deep_linear.flow_invariant(w1_end, w2_end, alphas, alphas) / C0_sweep - 1)
    drift_Q = np.abs(deep_linear.gd_invariant(w1_end, w2_end, alphas, alphas) / Q0_sweep - 1)
s0_sweep = 2.5 * alphas

fig, ax = plt.subplots(figsize=(8.5, 5), layout="constrained")
ax.loglog(alphas[covered], drift_C[covered], "o", ms=3, color="#0072B2", label=r"$C$: GD, 3000 steps")
ax.loglog(alphas[covered], (s0_sweep / (4 - s0_sweep))[covered], "--", color="#0072B2", label=r"bound $s(0)/(4 - s(0))$")
ax.loglog(alphas[covered], alphas[covered] / 8, ":", color="black", lw=2, label=r"first order: $\alpha/8$")
ax.loglog(alphas[covered], drift_Q[covered], "s", ms=3, color="#D55E00", label=r"$Q = C\,(s - 4)$: GD, 3000 steps")
ax.loglog(alphas[covered], (s0_sweep**3 / (4 * (4 - s0_sweep)))[covered], "--", color="#D55E00", label=r"bound $s(0)^3/(4(4 - s(0)))$")
ax.set_xlabel(r"learning rate $\alpha$", fontsize=12)
ax.set_ylabel("relative drift over the whole run", fontsize=12)
ax.legend(fontsize=9, loc="lower right")
ax.set_title(r"GD moves $C$ at first order in $\alpha$ and $Q$ at third order; both within the proved bounds", fontsize=11)
plt.show()
small = covered & (alphas < 0.2)
drift_coef = drift_C[small] / alphas[small]
slope_C = np.polyfit(np.log(alphas[covered & (alphas <= 0.1)]), np.log(drift_C[covered & (alphas <= 0.1)]), 1)[0]
slope_Q = np.polyfit(np.log(alphas[covered & (alphas <= 0.1)]), np.log(drift_Q[covered & (alphas <= 0.1)]), 1)[0]
print(f"alpha < 0.2: drift of C / alpha from {drift_coef.min():.4f} to {drift_coef.max():.4f} (prediction 1/8 = 0.125)")
print(f"log-log slopes over alpha <= 0.1: C {slope_C:.3f}, Q {slope_Q:.3f}; "
      f"drift of Q at alpha = 0.005, 0.01, 0.02: {[f'{drift_Q[np.argmin(np.abs(alphas - x))]:.1e}' for x in (0.005, 0.01, 0.02)]}")
assert np.all(np.abs(drift_coef - 1 / 8) <= 0.2 * alphas[small]), drift_coef  # 1/8 + O(alpha)
assert np.all(drift_C[covered] <= (s0_sweep / (4 - s0_sweep))[covered])  # within the proved bound
assert np.all(drift_Q[covered] <= (s0_sweep**3 / (4 * (4 - s0_sweep)))[covered] + 1e-14)  # within the proved bound (+ rounding)
assert abs(slope_C - 1) < 0.1 and abs(slope_Q - 3) < 0.15, (slope_C, slope_Q)  # "first order", "third order"

# %%
# Per-layer rates choose the minimiser
# ------------------------------------
# With *different* rates the flow prediction
# :math:`w_1(\infty)^2 = w_1(0)^2 - (\alpha_1/\alpha_2) w_2(0)^2` moves with
# the ratio :math:`r = \alpha_2/\alpha_1`, and when :math:`r` drops below
# :math:`w_2(0)^2/w_1(0)^2` the invariant changes sign and the network ends
# on the *other* axis, :math:`w_1 = 0`. We start from :math:`(1, 0.8)`, fix
# the geometric mean :math:`g = \sqrt{\alpha_1\alpha_2}`, and sweep :math:`r`
# over four decades, for :math:`g = 0.01, 0.02, 0.04, 0.08` (20,000 steps
# each: a flow time of at least 200). The left panel compares
# :math:`g = 0.01` with the flow's prediction. The right panel tests the
# *order* of each prediction: the largest error of the landing sharpness
# over the converged runs against :math:`g` should fall with slope 1 (flow),
# 2 (first order) and 3 (:math:`Q`) on log-log axes.
W0b = (1.0, 0.8)
r = np.logspace(-2, 2, 81)
g = np.array([0.01, 0.02, 0.04, 0.08])
a1, a2 = g[:, None] / np.sqrt(r), g[:, None] * np.sqrt(r)  # (4, 81)
v1, v2 = np.full(a1.shape, W0b[0]), np.full(a1.shape, W0b[1])
for _ in range(20_000):
    v1, v2 = deep_linear.gd_step(v1, v2, a1, a2)
done = np.all(0.5 * (v1 * v2) ** 2 < 1e-8, axis=0)  # converged at every g
predictions = {m: deep_linear.predicted_landing(*W0b, a1, a2, method=m) for m in ("flow", "first-order", "gd-invariant")}
max_err = {m: np.max((np.abs(v1**2 - p1) + np.abs(v2**2 - p2))[:, done], axis=1) for m, (p1, p2) in predictions.items()}
slopes = {m: np.polyfit(np.log(g), np.log(e), 1)[0] for m, e in max_err.items()}

fig, (ax, ax_err) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
flow1, flow2 = (np.sqrt(p) for p in predictions["flow"])
ax.semilogx(r, np.abs(v1[0]), "o", ms=4, color="#0072B2", label=r"GD: $|w_1(\infty)|$")
ax.semilogx(r, np.abs(v2[0]), "s", ms=4, color="#D55E00", label=r"GD: $|w_2(\infty)|$")
ax.semilogx(r, flow1[0], "-", color="#0072B2", lw=1.5, label="flow prediction (the others are\nindistinguishable at this scale)")
ax.semilogx(r, flow2[0], "-", color="#D55E00", lw=1.5)
ax.axvline(W0b[1] ** 2 / W0b[0] ** 2, color="0.4", ls=":", label=r"$r = w_2(0)^2 / w_1(0)^2$: $C$ changes sign")
ax.set_xlabel(r"rate ratio $r = \alpha_2 / \alpha_1$", fontsize=12)
ax.set_ylabel("final weight magnitude", fontsize=12)
ax.legend(fontsize=9, loc="center right")
ax.set_title(r"$\sqrt{\alpha_1\alpha_2} = 0.01$: the rate ratio decides which layer is switched off", fontsize=11)
names = {"flow": "flow ($C$ conserved)", "first-order": "first order", "gd-invariant": "$Q$ conserved"}
for (m, e), colour, marker in zip(max_err.items(), ["#0072B2", "#E69F00", "#009E73"], ["o", "s", "^"]):
    ax_err.loglog(g, e, "-" + marker, color=colour, label=f"{names[m]}: slope {slopes[m]:.2f}")
ax_err.set_xlabel(r"geometric mean of the rates $\sqrt{\alpha_1\alpha_2}$", fontsize=12)
ax_err.set_ylabel(r"largest error of the squared landing weights", fontsize=12)
ax_err.legend(fontsize=10, title="prediction", loc="lower right")
ax_err.set_title("Errors of first, second and third order in the rates", fontsize=11)
plt.show()

print(f"runs converged to L < 1e-8 at every g: {done.sum()} of {r.size} (not: r = {np.round(r[~done], 3)})")
for m in max_err:
    print(f"{m:13s} largest error at g = {g}: {', '.join(f'{e:.2e}' for e in max_err[m])}; log-log slope {slopes[m]:.2f}")
switched = done & (r < W0b[1] ** 2 / W0b[0] ** 2)
assert done.mean() > 0.95, done.mean()  # slow runs sit next to the sign change, where the landing point nears the flat origin
for m, order in [("flow", 1), ("first-order", 2), ("gd-invariant", 3)]:
    assert abs(slopes[m] - order) < 0.3, (m, slopes[m])  # "slope 1, 2 and 3"
assert np.all(max_err["gd-invariant"] < max_err["first-order"]) and np.all(max_err["first-order"] < max_err["flow"])
assert np.all(np.abs(v1[:, switched]) < np.abs(v2[:, switched]))  # below the sign change: w1 is switched off
assert np.all((np.abs(v1) > np.abs(v2))[:, done & (r > W0b[1] ** 2 / W0b[0] ** 2)])  # above it: w2

# %%
# Beyond the proof: GD can land sharper than the flow
# ---------------------------------------------------
# Above :math:`s(0) = 2\sqrt2` a step can have :math:`p_k > 2`, and then it
# multiplies :math:`C` by :math:`1 - p_k < -1`: :math:`|C|` grows, and so can
# the sharpness of the landing point. "Larger steps land flatter" is
# therefore not a law of this network. Two starts with equal rates:
#
# * :math:`w(0) = (1.3, -1.0)`, :math:`\alpha = 1.2`, :math:`s(0) = 3.23`:
#   :math:`p_0 = 2.43`, so the first step multiplies :math:`C` by
#   :math:`-1.43`. The flow would land on :math:`w_2 = 0` with sharpness
#   0.69; GD lands at :math:`(0, 0.939)`, sharpness 0.882.
# * :math:`w(0) = (1.5, 1.2)`, :math:`\alpha = 0.8`, :math:`s(0) = 2.95`:
#   :math:`p_0 = 2.07`; GD lands at sharpness 0.841 against the flow's 0.810.
#
# How common is it? Among the random starts above that landed (all with
# :math:`s(0) < 4`), a few percent end with a larger :math:`|C|` than they
# started with, and a few percent land sharper than the flow's point, with
# per-layer and with equal rates (printed); as the proof requires, every
# one of them has :math:`s(0) > 2\sqrt2` (larger :math:`|C|`) or
# :math:`s(0) > 2` (sharper).
print("  w(0)        alpha  s(0)   p_0  C(1)/C(0)  flow sharp.  GD lands at       GD sharp.  |C(inf)/C(0)|")
counter = []
for start, rate in [((1.3, -1.0), 1.2), ((1.5, 1.2), 0.8)]:
    run = deep_linear.gd_trajectory(*start, rate, rate, 3000)
    c_run = deep_linear.flow_invariant(run.w1, run.w2, rate, rate)
    flow_lam = rate * abs(c_run[0])
    gd_lam = run.w1[-1] ** 2 + run.w2[-1] ** 2
    p0 = rate**2 * (start[0] * start[1]) ** 2
    counter.append((rate * (start[0] ** 2 + start[1] ** 2), p0, c_run[1] / c_run[0], flow_lam, (run.w1[-1], run.w2[-1]), gd_lam, abs(c_run[-1] / c_run[0])))
    print(f"({start[0]:4.1f}, {start[1]:4.1f}) {rate:5.1f} {counter[-1][0]:5.2f} {p0:5.2f} {counter[-1][2]:10.2f} {flow_lam:12.3f}  "
          f"({run.w1[-1]:+.3f}, {run.w2[-1]:+.3f}) {gd_lam:9.3f} {counter[-1][6]:14.3f}")
    assert run.loss[-1] < 1e-30 and gd_lam > flow_lam  # lands, and sharper than the flow
(s_a, p_a, ratio_a, flow_a, end_a, gd_a, _), (s_b, p_b, _, flow_b, _, gd_b, _) = counter
np.testing.assert_allclose([s_a, p_a, ratio_a, flow_a, gd_a], [3.23, 2.43, -1.43, 0.69, 0.882], atol=0.005)  # the typed numbers
np.testing.assert_allclose([abs(end_a[0]), abs(end_a[1])], [0.0, 0.939], atol=0.0005)  # "lands at (0, 0.939)"
np.testing.assert_allclose([s_b, p_b, flow_b, gd_b], [2.95, 2.07, 0.810, 0.841], atol=0.005)

larger_C = landed & (np.abs(C_end) > np.abs(C_0) + 1e-12 * T_0)
print("                 landed  |C(inf)| > |C(0)|  sharper than the flow  smallest s(0) of each")
fractions = {}
for name, group in [("per-layer rates", ~equal), ("equal rates", equal)]:
    n_landed = (landed & group).sum()
    fractions[name] = (np.mean(larger_C[landed & group]), np.mean(sharper[landed & group]))
    se = [np.sqrt(f * (1 - f) / n_landed) for f in fractions[name]]
    print(f"{name:16s} {n_landed:6d} {fractions[name][0]:11.1%} +- {se[0]:.1%} {fractions[name][1]:13.1%} +- {se[1]:.1%}"
          f"   {s_0[larger_C & group].min():.3f}, {s_0[sharper & group].min():.3f}")
    # "a few percent": each fraction is at least 10 standard errors (~0.2 %) away from 1 % and from 10 %.
    assert all(0.01 < f < 0.10 for f in fractions[name]), (name, fractions[name])
assert np.all(s_0[larger_C] > 2 * np.sqrt(2)) and np.all(s_0[sharper] > 2)  # as the proof requires

# %%
# Relation to the literature
# --------------------------
# **Kreisler, Nacson, Soudry & Carmon (2023).** They define the *GFS
# sharpness* of an iterate, the sharpness of the minimiser that gradient
# flow would reach from it, and prove for scalar networks (one unit per
# layer, like ours) trained with the squared loss by GD with one step size
# :math:`\eta` that GD decreases it at every step, under conditions on the
# step size and the initialisation stated in their paper; with it they
# characterise settings in which GD provably converges to the edge of
# stability. Our question is
# essentially theirs, for two layers and a zero target: with equal rates
# :math:`\alpha = \eta` the GFS sharpness is :math:`|w_1^2 - w_2^2| = \alpha |C|`,
# and the law for :math:`C` reads
# :math:`\varphi(k+1) = |1 - p_k|\,\varphi(k)`.
#
# Our counterexamples do not contradict their theorem. For two layers the
# one-step law holds for every target :math:`y`: with
# :math:`L = \tfrac12 (w_1 w_2 - y)^2` the same expansion gives
# :math:`C(k+1) = (1 - 2\alpha_1\alpha_2 L(k))\, C(k)`, and for equal rates
# the flow lands on :math:`w_1 w_2 = y` with :math:`w_1^2 - w_2^2 = \alpha C`,
# where the Hessian has eigenvalues 0 and :math:`w_1^2 + w_2^2`, so the GFS
# sharpness is :math:`\sqrt{\alpha^2 C^2 + 4y^2}`, increasing in
# :math:`|C|` (both checked below). So for two layers GD does not raise the GFS
# sharpness at step :math:`k` exactly when :math:`2\eta^2 L(k) \le 2`,
# whatever the target: a correct theorem of monotone decrease must have
# conditions that keep :math:`2\eta^2 L \le 2` along the run. Our two
# counterexamples break it at the first step (:math:`p_0 = 2.43` and
# :math:`2.07`), so they lie outside any such conditions. What this page
# adds for the zero target is an explicit sufficient condition,
# :math:`s(0) \le 2\sqrt2`, and the fact that convergence, :math:`s(0) < 4`,
# is not enough.
#
# **Lewkowycz et al. (2020).** In the catapult window
# :math:`2 < s(0) < 4` of the previous page (the linearised network
# diverges, the network converges) they find that the loss first grows and
# training then converges to a flatter minimum, the kernel's curvature
# falling on the way. Here the second half is exact: the rate-weighted
# kernel :math:`s` falls at every step and has to get from above 2 to at
# most 2 before a run can settle (at a landing point
# :math:`s = \alpha\lambda \le 2`, checked below), so every such run ends
# on a minimum flatter, relative to its rate, than where it started. Flatter
# than the small-rate (flow) landing point from the same start, our
# question, holds only in part: both counterexamples above lie in the
# catapult window (:math:`s(0) = 3.23` and :math:`2.95`).
rng_lit = np.random.default_rng(SEED + 1)
pts = rng_lit.uniform(-2.0, 2.0, size=(2, 1000))
lr_lit = rng_lit.uniform(0.01, 1.5, size=(2, 1000))
y = 1.0
res = pts[0] * pts[1] - y
n1 = pts[0] - lr_lit[0] * pts[1] * res  # one GD step on 0.5 (w1 w2 - y)^2
n2 = pts[1] - lr_lit[1] * pts[0] * res
law_y = np.abs(deep_linear.flow_invariant(n1, n2, *lr_lit) - (1 - lr_lit[0] * lr_lit[1] * res**2) * deep_linear.flow_invariant(*pts, *lr_lit))
law_y_err = np.max(law_y / (pts[0] ** 2 / lr_lit[0] + pts[1] ** 2 / lr_lit[1]))
print(f"target y = 1: max |C' - (1 - 2 a1 a2 L) C| / (w1^2/a1 + w2^2/a2) over 1000 random points: {law_y_err:.1e}")
assert law_y_err < 1e-13, law_y_err  # the one-step law holds for a non-zero target
gfs_err = 0.0
for c in [-3.0, -0.5, 0.0, 0.7, 2.0]:  # c = w1^2 - w2^2 = alpha C on the minimiser set w1 w2 = y
    w1_sq = (c + np.sqrt(c**2 + 4 * y**2)) / 2
    w_min = torch.tensor([np.sqrt(w1_sq), y / np.sqrt(w1_sq)], dtype=torch.float64)
    hess = torch.autograd.functional.hessian(lambda v: 0.5 * (v[0] * v[1] - y) ** 2, w_min)
    eig = torch.linalg.eigvalsh(hess).numpy()
    gfs_err = max(gfs_err, abs(eig[1] - np.sqrt(c**2 + 4 * y**2)), abs(eig[0]))
print(f"target y = 1: max |Hessian eigenvalues at the flow's minimiser - (0, sqrt(c^2 + 4 y^2))|: {gfs_err:.1e}")
assert gfs_err < 1e-12, gfs_err  # "the GFS sharpness is sqrt(alpha^2 C^2 + 4 y^2)"
s_end = rates[0] * x2**2 + rates[1] * x1**2
catapult = landed & (s_0 > 2)
print(f"random starts in the catapult window 2 < s(0) < 4 that landed: {catapult.sum()}; largest s at the landing point: {s_end[catapult].max():.4f}")
assert catapult.sum() > 100 and np.all(s_end[landed] <= 2 + 1e-9)  # "at a landing point s = alpha lambda <= 2"

# %%
# What to notice
# --------------
# * **The question.** All points of the two axes are global minima of
#   :math:`\tfrac12 (w_1 w_2)^2`; which one GD reaches is decided by the
#   learning rates, not by the loss.
# * **Small rates: conservation laws decide.** Gradient flow with per-layer
#   rates conserves :math:`C = w_1^2/\alpha_1 - w_2^2/\alpha_2` (the
#   balancedness of Du, Hu & Lee and of Arora, Cohen & Hazan, weighted by
#   the rates). GD multiplies it by :math:`1 - 2\alpha_1\alpha_2 L` at every
#   step, so the flow's landing point is right to first order, with a
#   proved bound; :math:`Q = C\,(s - 4)` is multiplied by
#   :math:`1 - (2\alpha_1\alpha_2 L)^2`, and the landing point it predicts is
#   right to third order. The measured error slopes are 1, 2 and 3 for the
#   flow, the first-order and the :math:`Q` predictions. Only the ratio
#   :math:`\alpha_2/\alpha_1` enters the flow's prediction, and it can switch
#   which layer ends at zero: per-layer learning rates are an implicit choice
#   of solution, not just a speed knob.
# * **Larger rates: flatter, within limits.** For :math:`s(0) < 2` GD lands
#   on the flow's axis on a flatter minimum than the flow's, and with equal
#   rates :math:`|C|`, hence the sharpness of the gradient-flow solution,
#   never grows while :math:`s(0) \le 2\sqrt2`. From :math:`(1.5, 0.5)`
#   every converged run lands flatter, monotonically in the rate until the
#   first step that flips the sign of :math:`C`, irregularly beyond. But it
#   is not a law: past :math:`s(0) = 2\sqrt2` a step can multiply :math:`|C|`
#   by more than 1, and a few percent of random converging runs land sharper
#   than the flow's point. This is the two-layer, zero-target case of the
#   monotone GFS-sharpness decrease of Kreisler et al. (2023), whose
#   conditions must keep :math:`2\eta^2 L \le 2`. Every converged run
#   respects the stability limit :math:`\alpha\lambda \le 2`, and rates past
#   the edge :math:`s(0) = 4` of the previous page (here :math:`\alpha = 1.6`)
#   diverge, every one of them.
