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
:math:`w_1^2/\\alpha_1 - w_2^2/\\alpha_2` (the per-layer-rate form of the
"balancedness" that gradient flow preserves in deep linear networks: Du, Hu
& Lee 2018; Arora, Cohen & Hazan 2018), predicts the landing point up to an
error of first order in the rates, so the *ratio* of the two rates selects
the minimiser. We derive that first-order error in closed form, and with it
the landing point is predicted to second order. For larger rates GD moves
away from the conservation law in a definite direction: on our sweep every
converged run lands on a flatter minimum than the flow would, and below the
stability limit :math:`2/\\alpha`.

References: S. S. Du, W. Hu, J. D. Lee, *Algorithmic regularization in
learning deep homogeneous models: layers are automatically balanced*,
NeurIPS 2018; S. Arora, N. Cohen, E. Hazan, *On the optimization of deep
networks: implicit acceleration by overparameterization*, ICML 2018.
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
# higher in the step size. Relative to :math:`C`, which is of order
# :math:`1/\alpha`, one step moves it by :math:`O(\alpha^2)`, and a run
# of order :math:`1/\alpha` steps by :math:`O(\alpha)`: GD conserves
# :math:`C` only to first order in the rates, not exactly. Below we compute
# that first-order drift in closed form. We check the formula with
# :func:`nntheory.deep_linear.flow_invariant` at random points.
import matplotlib.pyplot as plt
import numpy as np

from nntheory import deep_linear

# sphinx_gallery_thumbnail_number = 2
from nntheory.seeding import base_seed

SEED = base_seed(1)
rng = np.random.default_rng(SEED)

w = rng.uniform(-1.5, 1.5, size=(2, 1000))
a = rng.uniform(0.01, 1.0, size=(2, 1000))
w_next = deep_linear.gd_step(w[0], w[1], a[0], a[1])
change = deep_linear.flow_invariant(*w_next, *a) - deep_linear.flow_invariant(*w, *a)
predicted = w[0] ** 2 * w[1] ** 2 * (a[0] * w[1] ** 2 - a[1] * w[0] ** 2)
change_err = np.max(np.abs(change - predicted) / np.maximum(1.0, np.abs(predicted)))
print(f"max |C' - C - predicted change| / max(1, |predicted|) over 1000 random points: {change_err:.2e}")
# C is a difference of terms up to 1.5**2 / 0.01 = 225, so rounding leaves ~1e-13.
assert change_err < 1e-11, change_err  # the one-step formula

# %%
# How far a whole run moves the invariant
# ---------------------------------------
# Measured in steps, GD is the Euler method with step 1 for the flow
# :math:`dw_1/d\tau = -\alpha_1 w_1 w_2^2`, :math:`dw_2/d\tau = -\alpha_2 w_1^2 w_2`,
# whose vector field carries the rates. Summing the one-step change over a
# run and replacing the sum by the integral along this flow (the error of
# that replacement is one order higher in the rates),
#
# .. math::
#
#    C(\infty) - C(0) = \int_0^\infty v^2 \big(\alpha_1 w_2^2 - \alpha_2 w_1^2\big)\, d\tau
#    + \text{h.o.t.}, \qquad v = w_1 w_2 .
#
# Along the flow :math:`C` is constant, so :math:`w_1^2 = \alpha_1 (C + X/\alpha_2)`
# with :math:`X = w_2^2`, and the integrand is
# :math:`v^2(\alpha_1 X - \alpha_1\alpha_2 C - \alpha_1 X) = -\alpha_1\alpha_2 C\, v^2`.
# With :math:`dX/d\tau = -2\alpha_2 v^2`, for :math:`C > 0` (landing on
# :math:`w_2 = 0`, so :math:`X` runs from :math:`w_2(0)^2` down to 0),
#
# .. math::
#
#    C(\infty) - C(0) = \int_{w_2(0)^2}^{0} \big(-\alpha_1\alpha_2 C\, v^2\big)
#    \Big(-\frac{dX}{2\alpha_2 v^2}\Big)
#    = -\frac{\alpha_1 w_2(0)^2}{2}\, C(0),
#
# so GD lands, to second order in the rates, at
#
# .. math::
#
#    w_1(\infty)^2 = \alpha_1 C(0) \Big(1 - \frac{\alpha_1 w_2(0)^2}{2}\Big) + O(\alpha^2),
#    \qquad\text{and for } C(0) < 0:\quad
#    w_2(\infty)^2 = -\alpha_2 C(0) \Big(1 - \frac{\alpha_2 w_1(0)^2}{2}\Big) + O(\alpha^2).
#
# The correction always shrinks :math:`|C|`: to first order, GD lands
# *closer to the origin* than the flow, on a flatter minimum. For the start
# :math:`w(0) = (1.5, 0.5)` with equal rates :math:`\alpha`, the flow lands
# at :math:`w_1(\infty)^2 = 2` and GD at :math:`2(1 - \alpha/8) = 2 - \alpha/4`
# plus :math:`O(\alpha^2)`; the relative drift of :math:`C` is
# :math:`\alpha/8 + O(\alpha^2)`. The checks follow the figures.
#
# Trajectories: the flow's hyperbola and where GD leaves it
# ---------------------------------------------------------
# From :math:`w(0) = (1.5, 0.5)` with equal rates :math:`\alpha_1 = \alpha_2 = \alpha`
# the flow predicts :math:`w_1(\infty) = \sqrt 2`, whatever :math:`\alpha`.
# GD with a small rate stays within about :math:`\alpha/4` of the hyperbola
# :math:`w_1^2 - w_2^2 = 2`; larger rates cut the corner, overshoot, and
# land closer to the origin.
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
off_hyperbola = np.max(np.abs(traj.w1[:, 0] ** 2 - traj.w2[:, 0] ** 2 - 2))
print(f"alpha = 0.02: max |w1^2 - w2^2 - 2| along the run: {off_hyperbola:.2e} (alpha / 4 = {0.02 / 4:.2e})")
assert off_hyperbola < 1.1 * 0.02 / 4, off_hyperbola  # "within about alpha/4 of the hyperbola"
assert np.all(np.diff(np.abs(traj.w1[-1])) < 0) and np.all(traj.loss[-1] < 1e-30), traj.w1[-1]  # "land closer to the origin"

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
# the same condition as for a quadratic of curvature :math:`\lambda` (a run
# can end elsewhere only by hitting :math:`w_2 = 0` exactly). We sweep the
# common rate :math:`\alpha` over 400 values, run 3000 steps from
# :math:`(1.5, 0.5)`, and plot the sharpness of the landing point against
# the flow's prediction (constant 2), the first-order prediction
# :math:`2 - \alpha/4` derived above, and the stability limit :math:`2/\alpha`.
alphas = np.linspace(0.005, 1.9, 400)
sweep = deep_linear.gd_trajectory(*W0, alphas, alphas, 3000)
w1_end, w2_end, loss_end = sweep.w1[-1], sweep.w2[-1], sweep.loss[-1]
converged = loss_end < 1e-8  # slow runs near the origin are still on their way
diverged = np.isinf(loss_end)
sharpness = w1_end**2 + w2_end**2  # = largest Hessian eigenvalue on an axis

fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
ax.plot(alphas[converged], sharpness[converged], "o", ms=3, color="#0072B2", label="GD: sharpness of the landing point")
ax.axhline(2.0, color="black", alpha=0.5, lw=2, label="gradient flow prediction $w_1(0)^2 - w_2(0)^2 = 2$")
ax.plot(alphas, 2 - alphas / 4, ":", color="black", lw=2, label=r"first order in $\alpha$: $2 - \alpha/4$")
ax.plot(alphas, 2 / alphas, "--", color="#D55E00", lw=2, label=r"stability limit $2/\alpha$")
ax.axvspan(alphas[diverged].min(), alphas[-1], color="0.85", label="GD diverged")
ax.set_ylim(0, 3.2)
ax.set_xlim(0, alphas[-1])
ax.set_xlabel(r"learning rate $\alpha = \alpha_1 = \alpha_2$", fontsize=12)
ax.set_ylabel(r"sharpness $\lambda_{\max}(\nabla^2 L)$ at the limit", fontsize=12)
ax.legend(fontsize=9, loc="upper right")
ax.set_title("Larger steps land on flatter minimisers, below the stability limit", fontsize=11)
plt.show()

small = converged & (alphas < 0.2)
remainder = sharpness - (2 - alphas / 4)
print(f"alpha < 0.05: max |landing sharpness - 2| = {np.abs(sharpness[converged & (alphas < 0.05)] - 2).max():.2e} "
      f"(first order: 0.05 / 4 = {0.05 / 4:.2e})")
print("alpha    sharpness   2 - alpha/4   remainder / alpha^2")
for i in np.flatnonzero(small)[::8]:
    print(f"{alphas[i]:.3f} {sharpness[i]:11.6f} {2 - alphas[i] / 4:13.6f} {remainder[i] / alphas[i] ** 2:16.3f}")
print(f"largest sharpness over converged runs: {sharpness[converged].max():.4f} (flow: 2)")
print(f"largest alpha * sharpness over converged runs: {np.max(alphas[converged] * sharpness[converged]):.3f} (stability needs <= 2)")
print(f"runs converged to L < 1e-8: {converged.sum()} of {alphas.size}, diverged: {diverged.sum()}")
other_axis = np.isfinite(loss_end) & (np.abs(w1_end) < np.abs(w2_end))
print(f"runs ending nearer the axis w1 = 0 than w2 = 0: {other_axis.sum()} of {alphas.size}")
print(f"  all with alpha between {alphas[other_axis].min():.3f} and {alphas[other_axis].max():.3f}")
print(f"smallest diverging alpha on the sweep: {alphas[diverged].min():.3f}")
print(f"the edge s(0) = 4 of the previous page predicts: {4 / (W0[0] ** 2 + W0[1] ** 2):.3f}")
# "the landing point is predicted to second order": the remainder is O(alpha^2) (coefficient about -0.25 to -0.33 here)
assert np.all(np.abs(remainder[small]) <= 0.5 * alphas[small] ** 2), np.max(np.abs(remainder[small]) / alphas[small] ** 2)
assert np.all(sharpness[converged] < 2.0)  # "every converged run lands on a flatter minimum than the flow"
assert np.all(alphas[converged] * sharpness[converged] <= 2.0)  # "below the stability limit"
assert np.max(alphas[converged] * sharpness[converged]) < 1.5  # "well inside that limit" (What to notice)
assert np.array_equal(diverged, alphas > 4 / (W0[0] ** 2 + W0[1] ** 2))  # the s(0) = 4 edge of the previous page
assert other_axis.any() and alphas[other_axis].min() > 1.0  # "for some of the larger rates"

# %%
# The drift of the invariant over the whole run, :math:`|C(\infty) - C(0)|/|C(0)|`,
# against the first-order prediction :math:`\alpha/8` derived above: for
# small rates it is proportional to :math:`\alpha` (slope 1 on log-log
# axes), and the ratio drift / :math:`\alpha` tends to the predicted 1/8
# as :math:`\alpha \to 0` (within :math:`0.2\alpha` of it below
# :math:`\alpha = 0.2`).
C0 = deep_linear.flow_invariant(*W0, alphas, alphas)
C_end = deep_linear.flow_invariant(w1_end, w2_end, alphas, alphas)
drift = np.abs(C_end - C0) / np.abs(C0)

fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
ax.loglog(alphas[converged], drift[converged], "o", ms=3, color="#0072B2", label="GD, 3000 steps")
ax.loglog(alphas, alphas / 8, "k--", label=r"first order: $\alpha\, w_2(0)^2/2 = \alpha/8$")
ax.set_xlabel(r"learning rate $\alpha$", fontsize=12)
ax.set_ylabel(r"relative drift $|C(\infty) - C(0)| / |C(0)|$", fontsize=12)
ax.legend(fontsize=10)
ax.set_title(r"GD breaks the flow's conservation law at first order: drift $\approx \alpha/8$ for small $\alpha$", fontsize=10)
plt.show()
drift_coef = drift[small] / alphas[small]
print(f"alpha < 0.2: drift / alpha from {drift_coef.min():.4f} to {drift_coef.max():.4f} (prediction 1/8 = 0.125)")
assert np.all(np.abs(drift_coef - 1 / 8) <= 0.2 * alphas[small]), drift_coef  # 1/8 + O(alpha)

# %%
# Per-layer rates choose the minimiser
# ------------------------------------
# With *different* rates the flow prediction
# :math:`w_1(\infty)^2 = w_1(0)^2 - (\alpha_1/\alpha_2) w_2(0)^2` moves with
# the ratio :math:`r = \alpha_2/\alpha_1`, and when :math:`r` drops below
# :math:`w_2(0)^2/w_1(0)^2` the invariant changes sign and the network ends
# on the *other* axis, :math:`w_1 = 0`. We start from :math:`(1, 0.8)`, fix
# the geometric mean :math:`\sqrt{\alpha_1\alpha_2} = 0.01` (small, flow
# regime) and sweep :math:`r` over four decades, comparing with the flow's
# prediction and with the first-order prediction derived above.
W0b = (1.0, 0.8)
r = np.logspace(-2, 2, 81)
a1, a2 = 0.01 / np.sqrt(r), 0.01 * np.sqrt(r)
ratio_runs = deep_linear.gd_trajectory(*W0b, a1, a2, 20_000)
w1_r, w2_r = np.abs(ratio_runs.w1[-1]), np.abs(ratio_runs.w2[-1])
C_b = deep_linear.flow_invariant(*W0b, a1, a2)
pred_w1 = np.sqrt(np.clip(a1 * C_b, 0, None))
pred_w2 = np.sqrt(np.clip(-a2 * C_b, 0, None))
first_w1 = np.sqrt(np.clip(a1 * C_b * (1 - a1 * W0b[1] ** 2 / 2), 0, None))
first_w2 = np.sqrt(np.clip(-a2 * C_b * (1 - a2 * W0b[0] ** 2 / 2), 0, None))

fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
ax.semilogx(r, w1_r, "o", ms=4, color="#0072B2", label=r"GD: $|w_1(\infty)|$")
ax.semilogx(r, w2_r, "s", ms=4, color="#D55E00", label=r"GD: $|w_2(\infty)|$")
ax.semilogx(r, pred_w1, "-", color="#0072B2", lw=1.5, label="flow prediction (first-order prediction\nis indistinguishable at this scale)")
ax.semilogx(r, pred_w2, "-", color="#D55E00", lw=1.5)
ax.axvline(W0b[1] ** 2 / W0b[0] ** 2, color="0.4", ls=":", label=r"$r = w_2(0)^2 / w_1(0)^2$: $C$ changes sign")
ax.set_xlabel(r"rate ratio $r = \alpha_2 / \alpha_1$", fontsize=12)
ax.set_ylabel("final weight magnitude", fontsize=12)
ax.legend(fontsize=9, loc="center right")
ax.set_title("The ratio of the per-layer rates decides which layer is switched off, and where", fontsize=11)
plt.show()
done = ratio_runs.loss[-1] < 1e-8
err_flow = np.maximum(np.abs(w1_r - pred_w1), np.abs(w2_r - pred_w2))[done]
err_first = np.maximum(np.abs(w1_r - first_w1), np.abs(w2_r - first_w2))[done]
print(f"runs converged to L < 1e-8: {done.mean():.0%}; max |GD - flow prediction| over them: {err_flow.max():.2e}; "
      f"max |GD - first-order prediction|: {err_first.max():.2e}")
switched = done & (r < W0b[1] ** 2 / W0b[0] ** 2)
print(f"converged runs with r below the sign change that end on w1 = 0: {np.mean(w1_r[switched] < w2_r[switched]):.0%}")
assert done.mean() > 0.95, done.mean()  # slow runs sit next to the sign change, where the landing point nears the flat origin
assert err_flow.max() < 0.1 * np.max(a1 + a2), err_flow.max()  # flow prediction: error of first order in the rates
assert err_first.max() < 0.01 * err_flow.max(), (err_first.max(), err_flow.max())  # the first-order term removes >99% of it
assert np.all(w1_r[switched] < w2_r[switched]) and np.all((w1_r > w2_r)[done & (r > W0b[1] ** 2 / W0b[0] ** 2)])  # which layer is switched off

# %%
# What to notice
# --------------
# * **The question.** All points of the two axes are global minima of
#   :math:`\tfrac12 (w_1 w_2)^2`; which one GD reaches is decided by the
#   learning rates, not by the loss.
# * **Small rates: a conservation law decides, to first order.** Gradient
#   flow with per-layer rates conserves
#   :math:`C = w_1^2/\alpha_1 - w_2^2/\alpha_2` (the balancedness of Du, Hu
#   & Lee and of Arora, Cohen & Hazan, weighted by the rates). GD does not
#   conserve it exactly: each step moves it at second order, a whole run at
#   first order, and we derived that first-order change,
#   :math:`C(\infty) = C(0)\,(1 - \alpha_1 w_2(0)^2/2)` for :math:`C > 0`. The
#   flow's landing point is therefore right up to an error proportional to
#   the rates (for :math:`\alpha < 0.05` the printed deviation of the
#   landing sharpness is about :math:`0.05/4`), and the first-order landing point up to
#   :math:`O(\alpha^2)`. Only the ratio :math:`\alpha_2/\alpha_1` enters the
#   flow's prediction, and it can switch which layer ends at zero:
#   per-layer learning rates are an implicit choice of solution, not just a
#   speed knob.
# * **Larger rates: GD drifts to flatter minima.** The drift always shrinks
#   :math:`|C|`, towards the origin: on our sweep every converged run landed
#   on a minimum flatter than the flow's (sharpness below 2), increasingly
#   so as :math:`\alpha` grows, irregularly close to the divergence edge
#   where runs bounce across the valley (for some rates above 1 they end on
#   the other axis, :math:`w_1 = 0`). A minimiser of sharpness
#   :math:`\lambda` is only stable for :math:`\alpha\lambda \le 2`, and every
#   converged run respects it; the drift keeps the runs well inside that
#   limit (the printed maximum of :math:`\alpha\lambda`), so here large
#   steps select flat minima by the dynamics before stability has to. Rates
#   past the edge of the previous page (:math:`s(0) = 4`, here
#   :math:`\alpha = 1.6`) diverge, every one of them.
