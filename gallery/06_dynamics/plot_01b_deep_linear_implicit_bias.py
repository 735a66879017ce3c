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

The answer we find: for small rates a conserved quantity of gradient flow,
:math:`w_1^2/\\alpha_1 - w_2^2/\\alpha_2`, predicts the landing point exactly,
so the *ratio* of the two rates selects the minimiser; for larger rates GD
breaks the conservation law in a definite direction and lands on flatter
minima than the flow would, always with sharpness below :math:`2/\\alpha`.
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
# The landing point depends on the rates only through their ratio.
#
# One GD step changes :math:`C`. Expanding
# :math:`w_1'^2 = w_1^2 (1 - \alpha_1 w_2^2)^2` and the same for :math:`w_2`,
#
# .. math::
#
#    \begin{aligned}
#    C' - C &= \big(-2 w_1^2 w_2^2 + \alpha_1 w_1^2 w_2^4\big)
#             - \big(-2 w_1^2 w_2^2 + \alpha_2 w_1^4 w_2^2\big) \\
#           &= w_1^2 w_2^2 \big(\alpha_1 w_2^2 - \alpha_2 w_1^2\big) .
#    \end{aligned}
#
# The terms that gradient flow also has cancel; what remains is one order
# higher in the step size. Per unit of flow time (:math:`1/\alpha` steps)
# the drift is therefore of order :math:`\alpha`, and it vanishes in the
# flow limit. We check the formula with
# :func:`nntheory.deep_linear.flow_invariant` at random points.
import matplotlib.pyplot as plt
import numpy as np

from nntheory import deep_linear

# sphinx_gallery_thumbnail_number = 2
rng = np.random.default_rng(1)

w = rng.uniform(-1.5, 1.5, size=(2, 1000))
a = rng.uniform(0.01, 1.0, size=(2, 1000))
w_next = deep_linear.gd_step(w[0], w[1], a[0], a[1])
change = deep_linear.flow_invariant(*w_next, *a) - deep_linear.flow_invariant(*w, *a)
predicted = w[0] ** 2 * w[1] ** 2 * (a[0] * w[1] ** 2 - a[1] * w[0] ** 2)
print(f"max |C' - C - predicted change| over 1000 random points: {np.abs(change - predicted).max():.2e}")

# %%
# Trajectories: the flow's hyperbola and where GD leaves it
# ---------------------------------------------------------
# From :math:`w(0) = (1.5, 0.5)` with equal rates :math:`\alpha_1 = \alpha_2 = \alpha`
# the flow predicts :math:`w_1(\infty)^2 = 2.25 - 0.25 = 2`, i.e.
# :math:`w_1(\infty) = \sqrt 2`, whatever :math:`\alpha`. GD with a small rate
# follows the hyperbola :math:`w_1^2 - w_2^2 = 2`; larger rates cut the
# corner, overshoot, and land closer to the origin.
W0 = (1.5, 0.5)
rates = [0.02, 0.5, 1.0, 1.4]
colours = ["#0072B2", "#009E73", "#E69F00", "#CC79A7"]  # Okabe–Ito
traj = deep_linear.gd_trajectory(*W0, np.array(rates), np.array(rates), 3000)  # w1: (3001, 4)

fig, ax = plt.subplots(figsize=(7.5, 5.2), layout="constrained")
w2_curve = np.linspace(0, 0.55, 200)
ax.plot(np.sqrt(2 + w2_curve**2), w2_curve, color="black", lw=2.5, alpha=0.35, label=r"flow: $w_1^2 - w_2^2 = 2$")
for rate, colour, i in zip(rates, colours, range(len(rates))):
    ax.plot(traj.w1[:, i], traj.w2[:, i], "-o", color=colour, ms=3, lw=1, label=rf"GD, $\alpha = {rate}$: lands at $w_1 = {traj.w1[-1, i]:.3f}$")
ax.axhline(0, color="0.5", lw=1)
ax.plot(W0[0], W0[1], "k*", ms=14, label="start (1.5, 0.5)")
ax.set_xlabel(r"$w_1$", fontsize=12)
ax.set_ylabel(r"$w_2$", fontsize=12)
ax.set_xlim(-0.65, 1.65)
ax.legend(fontsize=9, loc="upper left")
ax.set_title("Small steps follow the conserved hyperbola; large steps cut across it\nand land nearer the origin, where the valley is flatter", fontsize=11)
plt.show()

print(f"flow prediction: w1 = sqrt(2) = {np.sqrt(2):.4f}, w2 = 0")
for rate, i in zip(rates, range(len(rates))):
    print(f"alpha = {rate:4.2f}: GD ends at ({traj.w1[-1, i]:+.4f}, {traj.w2[-1, i]:+.1e}), loss {traj.loss[-1, i]:.1e}")

# %%
# The sharpness of the landing point
# ----------------------------------
# At a minimiser :math:`(a, 0)` the Hessian is
# :math:`\operatorname{diag}(0, a^2)`: the *sharpness* (largest Hessian
# eigenvalue) is :math:`\lambda = a^2`. Near it, only :math:`w_2` moves,
# :math:`w_2' = w_2 (1 - \alpha_2 a^2)`, so GD can only settle there if
#
# .. math::
#
#    |1 - \alpha_2 \lambda| \le 1 \iff \lambda \le \frac{2}{\alpha_2} ,
#
# the same condition as for a quadratic of curvature :math:`\lambda`. We sweep
# the common rate :math:`\alpha` over 400 values, run 3000 steps from
# :math:`(1.5, 0.5)`, and plot the sharpness of the landing point against
# the flow's prediction (constant 2) and the stability limit :math:`2/\alpha`.
alphas = np.linspace(0.005, 1.9, 400)
sweep = deep_linear.gd_trajectory(*W0, alphas, alphas, 3000)
w1_end, w2_end, loss_end = sweep.w1[-1], sweep.w2[-1], sweep.loss[-1]
converged = loss_end < 1e-8  # slow runs near the origin are still on their way
diverged = np.isinf(loss_end)
sharpness = w1_end**2 + w2_end**2  # = largest Hessian eigenvalue on an axis

fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
ax.plot(alphas[converged], sharpness[converged], "o", ms=3, color="#0072B2", label="GD: sharpness of the landing point")
ax.axhline(2.0, color="black", alpha=0.5, lw=2, label="gradient flow prediction $w_1(0)^2 - w_2(0)^2 = 2$")
ax.plot(alphas, 2 / alphas, "--", color="#D55E00", lw=2, label=r"stability limit $2/\alpha$")
ax.axvspan(alphas[diverged].min(), alphas[-1], color="0.85", label="GD diverged")
ax.set_ylim(0, 3.2)
ax.set_xlim(0, alphas[-1])
ax.set_xlabel(r"learning rate $\alpha = \alpha_1 = \alpha_2$", fontsize=12)
ax.set_ylabel(r"sharpness $\lambda_{\max}(\nabla^2 L)$ at the limit", fontsize=12)
ax.legend(fontsize=9, loc="upper right")
ax.set_title("Larger steps land on flatter minimisers, always below the stability limit", fontsize=11)
plt.show()

small = converged & (alphas < 0.05)
print(f"alpha < 0.05: max |landing sharpness - flow prediction| = {np.abs(sharpness[small] - 2).max():.2e}")
print(f"largest alpha * sharpness over converged runs: {np.max(alphas[converged] * sharpness[converged]):.3f} (stability needs <= 2)")
print(f"runs converged to L < 1e-8: {converged.sum()} of {alphas.size}, diverged: {diverged.sum()}")
other_axis = np.isfinite(loss_end) & (np.abs(w1_end) < np.abs(w2_end))
print(f"runs ending nearer the axis w1 = 0 than w2 = 0: {other_axis.sum()} of {alphas.size}")
print(f"  all with alpha between {alphas[other_axis].min():.3f} and {alphas[other_axis].max():.3f}")
print(f"smallest diverging alpha on the sweep: {alphas[diverged].min():.3f}")
print(f"the edge s(0) = 4 of the previous page predicts: {4 / (W0[0] ** 2 + W0[1] ** 2):.3f}")

# %%
# The loss of the flow invariant is not noise: by the formula above, while
# :math:`w_1^2 > w_2^2` and the rates are equal, every GD step *lowers*
# :math:`C = (w_1^2 - w_2^2)/\alpha`, and the lower :math:`C`, the closer to
# the origin (the flatter) the landing point. The relative drift of
# :math:`C` over the whole run grows in proportion to :math:`\alpha` for small
# rates (slope 1 on log-log axes), as the second-order drift predicts:
C0 = deep_linear.flow_invariant(*W0, alphas, alphas)
C_end = deep_linear.flow_invariant(w1_end, w2_end, alphas, alphas)
drift = np.abs(C_end - C0) / np.abs(C0)

fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
ax.loglog(alphas[converged], drift[converged], "o", ms=3, color="#0072B2", label="GD, 3000 steps")
ref = alphas[converged][:60]
slope = np.polyfit(np.log(ref), np.log(drift[converged][:60]), 1)[0]
ax.loglog(ref, drift[converged][0] * ref / ref[0], "k--", label=r"$\propto \alpha$")
ax.set_xlabel(r"learning rate $\alpha$", fontsize=12)
ax.set_ylabel(r"relative drift $|C(\infty) - C(0)| / |C(0)|$", fontsize=12)
ax.legend(fontsize=10)
ax.set_title(f"GD breaks the flow's conservation law at first order in the step (fitted slope {slope:.2f})", fontsize=10)
plt.show()
print(f"log-log slope of the drift over the 60 smallest rates: {slope:.3f}")

# %%
# Per-layer rates choose the minimiser
# ------------------------------------
# With *different* rates the flow prediction
# :math:`w_1(\infty)^2 = w_1(0)^2 - (\alpha_1/\alpha_2) w_2(0)^2` moves with
# the ratio :math:`r = \alpha_2/\alpha_1`, and when :math:`r` drops below
# :math:`w_2(0)^2/w_1(0)^2` the invariant changes sign and the network ends
# on the *other* axis, :math:`w_1 = 0`. We start from :math:`(1, 0.8)`, fix
# the geometric mean :math:`\sqrt{\alpha_1\alpha_2} = 0.01` (small, flow
# regime) and sweep :math:`r` over four decades.
W0b = (1.0, 0.8)
r = np.logspace(-2, 2, 81)
a1, a2 = 0.01 / np.sqrt(r), 0.01 * np.sqrt(r)
ratio_runs = deep_linear.gd_trajectory(*W0b, a1, a2, 20_000)
w1_r, w2_r = np.abs(ratio_runs.w1[-1]), np.abs(ratio_runs.w2[-1])
C_b = deep_linear.flow_invariant(*W0b, a1, a2)
pred_w1 = np.sqrt(np.clip(a1 * C_b, 0, None))
pred_w2 = np.sqrt(np.clip(-a2 * C_b, 0, None))

fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
ax.semilogx(r, w1_r, "o", ms=4, color="#0072B2", label=r"GD: $|w_1(\infty)|$")
ax.semilogx(r, w2_r, "s", ms=4, color="#D55E00", label=r"GD: $|w_2(\infty)|$")
ax.semilogx(r, pred_w1, "-", color="#0072B2", lw=1.5, label="flow prediction")
ax.semilogx(r, pred_w2, "-", color="#D55E00", lw=1.5)
ax.axvline(W0b[1] ** 2 / W0b[0] ** 2, color="0.4", ls=":", label=r"$r = w_2(0)^2 / w_1(0)^2$: $C$ changes sign")
ax.set_xlabel(r"rate ratio $r = \alpha_2 / \alpha_1$", fontsize=12)
ax.set_ylabel("final weight magnitude", fontsize=12)
ax.legend(fontsize=9, loc="center right")
ax.set_title("The ratio of the per-layer rates decides which layer is switched off, and where", fontsize=11)
plt.show()
done = ratio_runs.loss[-1] < 1e-8
print(f"runs converged to L < 1e-8: {done.mean():.0%}; max |GD - flow| over them: "
      f"{max(np.abs(w1_r - pred_w1)[done].max(), np.abs(w2_r - pred_w2)[done].max()):.2e}")

# %%
# What to notice
# --------------
# * **The question.** All points of the two axes are global minima of
#   :math:`\tfrac12 (w_1 w_2)^2`; which one GD reaches is decided by the
#   learning rates, not by the loss.
# * **Small rates: a conservation law decides.** Gradient flow with
#   per-layer rates conserves :math:`C = w_1^2/\alpha_1 - w_2^2/\alpha_2`
#   (derived above); the landing point :math:`w_1(\infty)^2 = \alpha_1 C`
#   (or :math:`w_2(\infty)^2 = -\alpha_2 C`) matches GD with small rates to
#   the printed accuracy (the gap shrinks in proportion to the rate). Only
#   the ratio :math:`\alpha_2/\alpha_1` matters, and it can switch which
#   layer ends at zero: per-layer learning rates are an implicit choice of
#   solution, not just a speed knob.
# * **Larger rates: GD drifts to flatter minima.** One GD step changes
#   :math:`C` by :math:`w_1^2 w_2^2(\alpha_1 w_2^2 - \alpha_2 w_1^2)`; the
#   total drift grows linearly in :math:`\alpha` (printed slope close to 1),
#   and its sign pushes the landing point towards the origin: the landing
#   sharpness falls below the flow's value 2 as :math:`\alpha` grows, to
#   almost zero for some rates, and irregularly close to the divergence edge
#   where runs bounce across the valley (for some of the larger rates, in
#   the printed range, they even end on the other axis, :math:`w_1 = 0`). A
#   minimiser of sharpness :math:`\lambda` is only stable for
#   :math:`\alpha\lambda \le 2`, and every converged run respects it (the
#   printed maximum of :math:`\alpha\lambda`); the drift keeps the runs well
#   inside the limit, so here large steps select flat minima by the dynamics
#   before stability has to. Rates past the edge found on the previous page
#   (:math:`s(0) = 4`) diverge.
