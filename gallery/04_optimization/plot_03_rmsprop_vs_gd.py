"""
RMSProp against gradient descent on a badly scaled problem
==========================================================

Question 2 of math homework 2 of the Toronto course CSC413 (ID
``csc413-hw2/q2``) recalls RMSProp, which divides each coordinate of the
gradient by a running root-mean-square of that coordinate's past gradients,
and supposes that the gradient along :math:`\\theta_1` is consistently large
while the gradient along :math:`\\theta_2` is consistently small. How does
RMSProp change the trajectories of :math:`\\theta_1` and :math:`\\theta_2`
compared with (stochastic) gradient descent, and is that a good thing?

This page runs both optimisers from :mod:`nntheory.optim` on a quadratic
whose two gradient components differ by a factor of 100, plots the
trajectories and states the answer with its costs: RMSProp speeds up the
flat coordinate and slows down the steep one; its rescaling is per
coordinate, so on a rotated copy of the problem it beats GD only from some
starting points (measured below over rotation angles and starts); and with a
constant learning rate it does not converge, with or without gradient noise.
"""

# %%
# The objective and the two update rules
# --------------------------------------
# We take
#
# .. math::
#
#    \mathcal E(\theta) = \tfrac12\bigl(h_1 \theta_1^2 + h_2 \theta_2^2\bigr),
#    \qquad h_1 = 100,\ h_2 = 1,
#    \qquad \frac{\partial\mathcal E}{\partial\theta_j} = h_j \theta_j ,
#
# so along :math:`\theta_1` gradients are a hundred times larger than along
# :math:`\theta_2` at the same distance from the minimum at the origin.
#
# Gradient descent with rate :math:`\alpha` multiplies each coordinate by
# :math:`1 - \alpha h_j` per step. It is stable only for
# :math:`\alpha < 2/h_1` (the steep direction sets the step), and then
# :math:`\theta_2` shrinks by the factor :math:`1 - \alpha h_2 > 1 - 2h_2/h_1
# = 0.98` per step: hundreds of steps. With :math:`\alpha = 0.019`, just
# below the limit, :math:`|\theta_1(k)| = 0.9^k` and
# :math:`|\theta_2(k)| = 0.981^k` from :math:`\theta(0) = (1, 1)`, so the
# number of steps until :math:`|\theta_j| < 10^{-2}` is
# :math:`\lceil \ln 10^{-2} / \ln|1 - \alpha h_j| \rceil`: 44 for
# :math:`\theta_1` and 241 for :math:`\theta_2`.
#
# RMSProp (torch's convention, :func:`nntheory.optim.rmsprop`; the sheet
# writes :math:`\beta_2` for the averaging constant :math:`\rho` and puts
# :math:`\epsilon` inside the root, a convention TensorFlow's RMSProp shares
# and torch's does not, so neither is wrong; since :math:`\sqrt{s_j + \epsilon} =
# \sqrt{s_j}\,(1 + \epsilon/(2 s_j) + \dots)` and :math:`s_j` stays above
# :math:`50\,\epsilon` in the axis-aligned 300-step run, the rotated one of
# the figure, the 6000-step constant-rate run and, after the first 10 steps,
# in every noisy
# run (printed at the end), that changes the denominator there by less than
# 1 %; the examples of tiny :math:`s_j` (the underflow, the decaying
# schedules) are about torch's convention only) keeps
# :math:`s_j \leftarrow \rho s_j + (1-\rho) g_j^2` and steps
# :math:`\theta_j \leftarrow \theta_j - \alpha\, g_j/(\sqrt{s_j} +
# \epsilon)`. Since :math:`\sqrt{s_j}` is the typical size of :math:`|g_j|`,
# as long as the gradients keep their size the step in *each* coordinate is
# of order :math:`\alpha` whatever the gradient's scale: :math:`\theta_1`'s large gradients are scaled down and
# :math:`\theta_2`'s small ones scaled up. On this quadratic RMSProp is GD
# with the per-coordinate rate :math:`\alpha/(\sqrt{s_j}+\epsilon)`, so each
# coordinate is multiplied by :math:`1 - \alpha h_j/(\sqrt{s_j}+\epsilon)`
# per step.
import math

import matplotlib.pyplot as plt
import numpy as np

from nntheory import optim
from nntheory.seeding import base_seed

SEED = base_seed(413)
rng = np.random.default_rng(SEED)  # gradient noise for the stochastic variant

H = np.array([100.0, 1.0])
THETA0 = np.array([1.0, 1.0])
N_STEPS = 300
EPS = 1e-8  # RMSProp's epsilon (the library's default)


def run(rule, theta0, n_steps, noise=0.0, R=np.eye(2)):
    """Run a rule on E(theta) = 1/2 (R theta)^T diag(H) (R theta).

    ``theta0`` is one start, shape (2,), or a stack of independent copies,
    shape (n_copies, 2) (the rules act elementwise). Returns the path, shape
    (n_steps + 1, *theta0.shape), and RMSProp's s after each step, shape
    (n_steps, *theta0.shape) (zeros for GD).
    """
    theta, state = theta0.copy(), rule.init(theta0)
    path, square_avg = [theta], []
    for _ in range(n_steps):
        g = ((theta @ R.T) * H) @ R + noise * rng.standard_normal(theta.shape)  # R^T diag(H) R theta, row-wise
        theta, state = rule.update(theta, g, state)
        path.append(theta)
        square_avg.append(getattr(state, "square_avg", [np.zeros_like(theta)])[0])
    return np.array(path), np.array(square_avg)


def first_below(values, tol):
    """First index k with values[k] < tol, or None."""
    hit = np.nonzero(values < tol)[0]
    return int(hit[0]) if hit.size else None


LR_GD = 0.019  # just below the stability limit 2/h1 = 0.02
LR_RMS = 0.01
RHO = 0.99
rules = {"GD": optim.sgd(LR_GD), "RMSProp": optim.rmsprop(LR_RMS, alpha=RHO, eps=EPS)}
paths, square_avgs = {}, {}
for name, rule in rules.items():
    paths[name], square_avgs[name] = run(rule, THETA0, N_STEPS)
    print(rule.name)

steps_to = {name: [first_below(np.abs(path[:, j]), 1e-2) for j in (0, 1)] for name, path in paths.items()}
gd_closed = [math.ceil(math.log(1e-2) / math.log(abs(1 - LR_GD * h))) for h in H]
for name in rules:
    print(f"{name:>8}: steps until |theta_1| < 1e-2: {steps_to[name][0]},  until |theta_2| < 1e-2: {steps_to[name][1]}")
print(f"GD closed form ceil(ln 1e-2 / ln|1 - lr h_j|): {gd_closed}")
assert steps_to["GD"] == gd_closed == [44, 241], (steps_to["GD"], gd_closed)  # the two counts derived above

# %%
# Trajectories
# ------------
# Left: the paths on the contours of :math:`\mathcal E`. Right: each
# coordinate against the step. GD's :math:`\theta_1` zig-zags (its factor
# per step is :math:`1 - 0.019 \cdot 100 = -0.9`, so its sign flips every
# step) and is below :math:`10^{-2}` after 44 steps, but its
# :math:`\theta_2` creeps towards zero. RMSProp moves both coordinates at
# the same speed and heads along the diagonal straight for the minimum. On
# this separable problem with a symmetric start, :math:`h_j` cancels from the
# update up to :math:`\epsilon`: :math:`g_j = h_j\theta_j` and
# :math:`\sqrt{s_j} \propto h_j`, so both coordinates follow the same
# sequence, to a relative difference of order :math:`\epsilon/\sqrt{s_2}`
# (the two blue curves on the right lie on top of each other).
COLOURS = {"GD": "#D55E00", "RMSProp": "#0072B2"}


def contours(ax, R=np.eye(2), lim=1.25):
    t1, t2 = np.meshgrid(np.linspace(-lim, lim, 300), np.linspace(-lim, lim, 300))
    pts = np.stack([t1, t2], axis=-1) @ R.T  # rotated coordinates
    E = 0.5 * (H[0] * pts[..., 0] ** 2 + H[1] * pts[..., 1] ** 2)
    ax.contour(t1, t2, E, levels=np.logspace(-3, 2, 12), colors="0.75", linewidths=0.8)
    ax.plot(0, 0, "k*", ms=12)
    ax.set_xlabel(r"$\theta_1$", fontsize=12)
    ax.set_ylabel(r"$\theta_2$", fontsize=12)
    ax.set_aspect("equal")


fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
contours(ax0)
for name, path in paths.items():
    ax0.plot(path[:, 0], path[:, 1], ".-", color=COLOURS[name], lw=1.2, ms=3, label=name)
ax0.set_title(r"Paths from $\theta = (1, 1)$ on $\mathcal{E} = (100\theta_1^2 + \theta_2^2)/2$", fontsize=12)
ax0.legend(fontsize=11)
steps = np.arange(N_STEPS + 1)
for name, path in paths.items():
    ax1.plot(steps, np.abs(path[:, 0]), color=COLOURS[name], lw=2, label=rf"{name}: $|\theta_1|$")
    ax1.plot(steps, np.abs(path[:, 1]), color=COLOURS[name], lw=2, ls="--", label=rf"{name}: $|\theta_2|$")
ax1.axhline(1e-2, color="0.5", lw=0.8, ls=":")
ax1.set_yscale("log")
ax1.set_ylim(1e-5, 2)
ax1.set_xlabel("step k", fontsize=12)
ax1.set_ylabel(r"$|\theta_j(k)|$", fontsize=12)
ax1.set_title(r"RMSProp speeds up $\theta_2$ and slows down $\theta_1$", fontsize=12)
ax1.legend(fontsize=10, ncol=2, loc="lower left")
for a in (ax0, ax1):
    a.tick_params(labelsize=11)
plt.show()

gd, rms = paths["GD"], paths["RMSProp"]
sign_flips = np.all(np.sign(gd[1:, 0]) == -np.sign(gd[:-1, 0]))
rel_diag = np.max(np.abs(rms[:, 0] - rms[:, 1]) / np.abs(rms[:, 1]))
eps_scale = EPS / np.sqrt(square_avgs["RMSProp"][:, 1]).min()
print(f"GD's theta_1 changes sign at every step: {sign_flips}")
print(f"RMSProp: max_k |theta_1 - theta_2| / |theta_2| over {N_STEPS} steps = {rel_diag:.1e}   (largest eps / sqrt(s_2) = {eps_scale:.1e})")
assert sign_flips  # "its sign flips every step"
assert rel_diag < 1e-4, rel_diag  # "the same sequence, up to eps": a relative difference far below what the plot resolves
assert steps_to["RMSProp"][0] > steps_to["GD"][0] and steps_to["RMSProp"][1] < steps_to["GD"][1], steps_to  # the title

# %%
# The effective per-coordinate learning rate
# ------------------------------------------
# RMSProp's step on coordinate :math:`j` is GD's step with the learning rate
# :math:`\alpha/(\sqrt{s_j}+\epsilon)`. Along the RMSProp path the two
# effective rates differ by the factor :math:`h_1/h_2 = 100` (up to
# :math:`\epsilon`): the flat direction gets a rate above GD's stability limit
# :math:`2/h_1 = 0.02` (fatal for :math:`\theta_1` if GD used it), the steep
# one a rate far below GD's 0.019.
eff = LR_RMS / (np.sqrt(square_avgs["RMSProp"]) + EPS)  # (n_steps, 2); eff[k] is the rate of step k + 1
for k in (1, 10, 30, 60, 100):
    print(f"step {k:>3}: effective lr  theta_1 {eff[k - 1, 0]:.2e}   theta_2 {eff[k - 1, 1]:.2e}   ratio {eff[k - 1, 1] / eff[k - 1, 0]:.2f}   (GD uses {LR_GD} for both)")
ratio = eff[:100, 1] / eff[:100, 0]
np.testing.assert_allclose(ratio, H[0] / H[1], rtol=1e-5)  # "differ by the factor h1/h2 = 100"
assert eff[:100, 1].min() > 2 / H[0] and eff[:100, 0].max() < LR_GD / 10, (eff[:100, 1].min(), eff[:100, 0].max())

# %%
# Is it a good thing? The cost on :math:`\theta_1`
# ------------------------------------------------
# For the coordinate with small gradients, yes: :math:`\theta_2` reaches
# :math:`10^{-2}` in 104 steps instead of GD's 241. For the coordinate with
# large gradients it is a cost: RMSProp's :math:`\theta_1` needs 104 steps
# instead of GD's 44, because its effective rate on :math:`\theta_1`
# (between :math:`3.8` and :math:`5.1\times10^{-4}` over the approach, steps
# 41–104, printed below) makes its factor per step
# :math:`1 - 100\,\alpha/\sqrt{s_1}` between 0.94 and 0.97 instead of GD's
# :math:`|{-0.9}|`. RMSProp equalises the coordinates: it is faster on the
# slowest one, and therefore to the minimum as a whole, but slower on the
# fastest one. Whether that is good depends on what limits the problem; for
# badly scaled axes, the usual case it is designed for, the slowest
# coordinate does.
print(f"steps to |theta_j| < 1e-2   theta_1: RMSProp {steps_to['RMSProp'][0]} vs GD {steps_to['GD'][0]};   theta_2: RMSProp {steps_to['RMSProp'][1]} vs GD {steps_to['GD'][1]}")
assert steps_to["RMSProp"] == [104, 104], steps_to  # the counts in the text (deterministic run)
factor_1 = 1 - H[0] * eff[40:104, 0]  # RMSProp's factor per step on theta_1 over the approach
print(f"RMSProp's effective rate on theta_1, steps 41-104: {eff[40:104, 0].min():.2e} to {eff[40:104, 0].max():.2e}")
assert abs(eff[40:104, 0].min() - 3.8e-4) < 5e-6 and abs(eff[40:104, 0].max() - 5.1e-4) < 5e-6  # "between 3.8 and 5.1e-4" (to the digits given)
print(f"RMSProp's factor per step on theta_1, steps 41-104: {factor_1.min():.3f} to {factor_1.max():.3f}")
assert np.all((factor_1 > 0.94) & (factor_1 < 0.97)), factor_1  # "between 0.94 and 0.97"

# %%
# A constant learning rate does not converge, even without noise
# --------------------------------------------------------------
# Run the same RMSProp longer. Once the iterate is tiny, the gradients are
# tiny too, and :math:`s_j` forgets its past: :math:`s_{k+1} \ge \rho s_k`,
# and when :math:`g_j^2 \ll s_j` it decays at that rate, so
# :math:`\sqrt{s_j}` shrinks by :math:`\sqrt\rho \approx 0.995` per step and
# the effective rate grows by :math:`1/\sqrt\rho` per step. The quantity that
# decides stability is :math:`x_j = \alpha h_j/(\sqrt{s_j}+\epsilon)`: the
# coordinate is multiplied by :math:`1 - x_j`, which shrinks it only while
# :math:`0 < x_j < 2`. So :math:`|\theta_j|` falls while :math:`x_j < 2`
# (down to astronomically small values), reaches its minimum exactly where
# :math:`x_j` first exceeds 2, and then grows geometrically, until the
# gradients are large enough to refill :math:`s_j`. (:math:`\epsilon` caps
# the effective rate at :math:`\alpha/\epsilon = 10^6`, far beyond the
# stability limit, so it does not prevent this.)
#
# That is the story in exact arithmetic. In floating point the trough can
# fall below the smallest positive double (about :math:`5\times10^{-324}`):
# then :math:`\theta_j` is rounded to exactly 0, where its gradient is 0 and
# no rule on this page moves it again. With the page's :math:`\rho = 0.99`
# the trough (printed below) stays representable; with :math:`\rho = 0.999`
# (a slower climb of the effective rate, so a deeper trough) :math:`\theta_1`
# underflows to exactly 0 and stays there, and :math:`\theta_2` stops among
# the subnormal numbers, below :math:`10^{-300}` (checked below over 3000
# steps). The float64 run "converges" then, by underflow.
#
# Where does it end? In a cycle of period two, :math:`\theta_j \to
# -\theta_j`, with :math:`s_j` constant. The cycle needs
# :math:`1 - x_j = -1`, i.e. :math:`\sqrt{s_j} = \alpha h_j/2` (neglecting
# :math:`\epsilon`), and a constant :math:`s_j` needs
# :math:`s_j = g_j^2 = h_j^2\theta_j^2`. Together,
#
# .. math::
#
#    |\theta_j| = \frac{\alpha}{2}\quad\text{for every } j,
#
# whatever the curvature :math:`h_j`: here :math:`|\theta_j| = 0.005`. (Keeping
# :math:`\epsilon`, the same two conditions give
# :math:`|\theta_j| = \alpha/2 - \epsilon/h_j`, a relative correction of
# :math:`2\times10^{-6}` for :math:`h_2 = 1`.) The run reaches this cycle to
# within 1 % by step 3000 and keeps closing in.
N_LONG = 6000
long_path, long_s = run(rules["RMSProp"], THETA0, N_LONG)
x = LR_RMS * H / (np.sqrt(long_s) + EPS)  # (N_LONG, 2); x[k] multiplies into step k + 1
k_min = np.argmin(np.abs(long_path[:, 0]))
k_cross = int(np.argmax(x[:, 0] > 2))  # theta(k_cross) is the first iterate multiplied by 1 - x_1 < -1
print(f"smallest |theta_1| = {np.abs(long_path[:, 0]).min():.1e} at k = {k_min}; first k whose next step has x_1 > 2: {k_cross}")
print(f"|theta| at step 1000: {np.linalg.norm(long_path[1000]):.1e}")
print(f"growth of the effective rate, steps 400-700: x per step = {(x[699, 0] / x[399, 0]) ** (1 / 300):.5f}   (1/sqrt(rho) = {1 / math.sqrt(RHO):.5f})")
assert k_min == k_cross, (k_min, k_cross)  # "its minimum exactly where x first exceeds 2"
assert np.abs(long_path[:, 0]).min() < 1e-200  # "astronomically small" (the figure's title: below 1e-200)
np.testing.assert_allclose((x[699, 0] / x[399, 0]) ** (1 / 300), 1 / math.sqrt(RHO), rtol=1e-4)  # "grows by 1/sqrt(rho) per step"
for start in (3000, 5000):
    print(f"from step {start} on: max | |theta_j| / (lr/2) - 1 | = {np.max(np.abs(np.abs(long_path[start:]) / (LR_RMS / 2) - 1)):.1e}")
print("last four iterates:", np.array2string(long_path[-4:], precision=6))
np.testing.assert_allclose(np.abs(long_path[3000:]), LR_RMS / 2, rtol=1e-2)  # the cycle |theta_j| = lr/2: within 1 % from step 3000
np.testing.assert_allclose(np.abs(long_path[5000:]), LR_RMS / 2, rtol=1e-5)  # and ever closer (1e-5 from step 5000)
tail = long_path[3000:]
assert np.all(np.sign(tail[1:]) == -np.sign(tail[:-1]))  # period two: the sign flips every step
print(f"last iterate against lr/2 - eps/h_j: relative difference {np.max(np.abs(np.abs(long_path[-1]) / (LR_RMS / 2 - EPS / H) - 1)):.1e}")
np.testing.assert_allclose(np.abs(long_path[-1]), LR_RMS / 2 - EPS / H, rtol=1e-6)  # the cycle with eps kept

# The floating-point exception: rho = 0.999, same rate and start, 3000 steps.
path_999, _ = run(optim.rmsprop(LR_RMS, alpha=0.999, eps=EPS), THETA0, 3000)
k_zero = int(np.argmax(path_999[:, 0] == 0))
print(f"rho = 0.999: theta_1 is exactly 0 from step {k_zero} on: {bool(np.all(path_999[k_zero:, 0] == 0))}; "
      f"largest |theta_2| from then on: {np.abs(path_999[k_zero:, 1]).max():.1e}")
assert np.all(np.abs(long_path) > 0)  # rho = 0.99: the trough stays representable
assert k_zero > 0 and np.all(path_999[k_zero:, 0] == 0), k_zero  # rho = 0.999: theta_1 underflows to exactly 0 and stays there
assert np.abs(path_999[k_zero:, 1]).max() < 1e-300  # ... and theta_2 stays below 1e-300

# %%
# The long run on a log scale (top left) and the stability quantity
# :math:`x_j` (top right, both coordinates on top of each other again): the
# iterate falls until :math:`x_j` crosses 2, climbs back, and :math:`x_j`
# settles at exactly 2. On a log axis spanning 220 decades the cycle at
# :math:`\alpha/2` cannot be told from 1, so the bottom panel shows the tail
# on a linear axis: after the trough the iterate overshoots to several times
# :math:`\alpha/2` (largest value printed), then settles on the cycle (inset).
long_steps = np.arange(N_LONG + 1)
fig, axes = plt.subplot_mosaic([["log", "x"], ["lin", "lin"]], figsize=(12, 8), layout="constrained")
ax0, ax1, ax2 = axes["log"], axes["x"], axes["lin"]
ax0.semilogy(long_steps, np.abs(long_path[:, 0]), color="#0072B2", lw=2, label=r"$|\theta_1|$")
ax0.semilogy(long_steps, np.abs(long_path[:, 1]), color="#56B4E9", lw=1.2, ls="--", label=r"$|\theta_2|$")
ax0.axhline(LR_RMS / 2, color="#D55E00", lw=1, ls=":", label=r"$\alpha/2$")
ax0.axvline(k_cross, color="0.5", lw=0.8)
ax0.set_xlabel("step k", fontsize=12)
ax0.set_ylabel(r"$|\theta_j(k)|$", fontsize=12)
ax0.set_ylim(1e-220, 10)
ax0.set_yticks([10.0**e for e in range(-200, 1, 50)])
ax0.set_title("RMSProp, constant rate, no noise: below 1e-200, then back", fontsize=12)
ax0.legend(fontsize=10, loc="lower right")
ax1.semilogy(long_steps[1:], x[:, 0], color="#0072B2", lw=2, label=r"$x_1 = \alpha h_1/(\sqrt{s_1}+\epsilon)$")
ax1.semilogy(long_steps[1:], x[:, 1], color="#56B4E9", lw=1.2, ls="--", label=r"$x_2$")
ax1.axhline(2, color="#D55E00", lw=1, ls=":", label="stability limit 2")
ax1.axvline(k_cross, color="0.5", lw=0.8)
ax1.set_xlabel("step k", fontsize=12)
ax1.set_ylabel(r"effective rate $\times$ curvature", fontsize=12)
ax1.set_title(r"$\sqrt{s}$ forgets the past; the rate grows past 2", fontsize=12)
ax1.legend(fontsize=10, loc="lower right")
K_TAIL = 1000  # the bottom panel starts here, after the trough
tail_steps = long_steps[K_TAIL:]
ax2.plot(tail_steps, np.abs(long_path[K_TAIL:, 0]), color="#0072B2", lw=2, label=r"$|\theta_1|$")
ax2.plot(tail_steps, np.abs(long_path[K_TAIL:, 1]), color="#56B4E9", lw=1.2, ls="--", label=r"$|\theta_2|$")
ax2.axhline(LR_RMS / 2, color="#D55E00", lw=1, ls=":", label=r"$\alpha/2 = 0.005$")
ax2.set_xlim(K_TAIL, N_LONG)
ax2.set_ylim(0, None)
ax2.set_xlabel("step k", fontsize=12)
ax2.set_ylabel(r"$|\theta_j(k)|$ (linear scale)", fontsize=12)
ax2.set_title(rf"Linear scale from step {K_TAIL}: the climb back, then the period-two cycle at $\alpha/2$", fontsize=12)
ax2.legend(fontsize=10, loc="upper left")
inset = ax2.inset_axes([0.45, 0.35, 0.5, 0.55])
inset.plot(long_steps[3000:], np.abs(long_path[3000:, 0]), color="#0072B2", lw=2)
inset.plot(long_steps[3000:], np.abs(long_path[3000:, 1]), color="#56B4E9", lw=1.2, ls="--")
inset.axhline(LR_RMS / 2, color="#D55E00", lw=1, ls=":")
inset.set_ylim(0.9 * LR_RMS / 2, 1.1 * LR_RMS / 2)
inset.set_title(r"steps 3000–6000: within 1 % of $\alpha/2$", fontsize=10)
inset.tick_params(labelsize=9)
for a in (ax0, ax1, ax2):
    a.tick_params(labelsize=11)
plt.show()
overshoot = np.abs(long_path[K_TAIL:, 0]).max()
print(f"largest |theta_1| after the trough: {overshoot:.3f} = {overshoot / (LR_RMS / 2):.1f} alpha/2, at step {K_TAIL + int(np.argmax(np.abs(long_path[K_TAIL:, 0])))}")
assert overshoot > 2 * LR_RMS / 2, overshoot  # "overshoots to several times alpha/2"
assert np.all(np.abs(np.abs(long_path[3000:]) / (LR_RMS / 2) - 1) < 0.1)  # the inset's range holds the whole cycle

# %%
# Which learning-rate schedule removes the excursion?
# ---------------------------------------------------
# Since :math:`s_{k+1} \ge \rho s_k`, a rate that decays at least by
# :math:`\sqrt\rho` per step, :math:`\alpha_k = \alpha\,\rho^{k/2}`, keeps
# the effective rate :math:`\alpha_k/\sqrt{s_k}` from growing. But that is
# a geometric schedule: its rates sum to
# :math:`\alpha/(1-\sqrt\rho) \approx 200\,\alpha` (they fall by a factor
# :math:`e` every 200 steps), so on a problem that needs many more steps than
# that, training stops short, wherever it is. Here it works: the iterate
# never climbs back and keeps shrinking to the end. What is used in
# practice is a schedule that anneals the rate over the planned number of
# steps, such as step decay or cosine annealing to zero (Loshchilov and
# Hutter, *SGDR*, ICLR 2017; the recipe of the zero-training-error page of
# this chapter). On this problem cosine annealing over the 6000
# steps does *not* prevent the excursion (the rate is still near
# :math:`\alpha` at the trough), but it ends far below the cycle, because the
# rate goes to zero.
schedules = {
    "constant": optim.constant(LR_RMS),
    r"cosine to 0 over 6000 steps": optim.warmup_cosine(LR_RMS, 0, N_LONG),
    r"geometric, $\alpha\rho^{k/2}$": lambda k: LR_RMS * RHO ** (k / 2),
}
sched_paths = {name: run(optim.rmsprop(sch, alpha=RHO, eps=EPS), THETA0, N_LONG)[0] for name, sch in schedules.items()}
sup = {name: np.abs(path).max(axis=1) for name, path in sched_paths.items()}  # max_j |theta_j(k)|, (N_LONG + 1,)
geo_sum = sum(LR_RMS * RHO ** (k / 2) for k in range(100_000))
fig, ax = plt.subplots(figsize=(8, 4.4), layout="constrained")
for (name, m), colour, ls in zip(sup.items(), ("#0072B2", "#E69F00", "#009E73"), ("-", "--", "-.")):
    ax.semilogy(long_steps, m, color=colour, lw=2, ls=ls, label=name)
ax.axhline(LR_RMS / 2, color="#D55E00", lw=1, ls=":", label=r"$\alpha/2$")
ax.set_ylim(1e-220, 10)
ax.set_yticks([10.0**e for e in range(-200, 1, 50)])
ax.set_xlabel("step k", fontsize=12)
ax.set_ylabel(r"$\max_j |\theta_j(k)|$", fontsize=12)
ax.set_title("RMSProp without noise under three learning-rate schedules", fontsize=12)
ax.legend(fontsize=10, loc="lower right")  # the lower right is empty; the troughs are at the lower left
ax.tick_params(labelsize=11)
plt.show()
for name, m in sup.items():
    k_low = int(np.argmin(m[:2000]))
    print(f"{name:>30}: lowest max_j|theta_j| in the first 2000 steps {m[k_low]:.1e} (step {k_low}); largest after it {m[k_low:].max():.1e}; final {m[-1]:.1e}")
print(f"sum of the geometric rates: {geo_sum / LR_RMS:.2f} alpha   (1/(1 - sqrt(rho)) = {1 / (1 - math.sqrt(RHO)):.2f})")
m_cos, m_geo = sup[r"cosine to 0 over 6000 steps"], sup[r"geometric, $\alpha\rho^{k/2}$"]
np.testing.assert_allclose(geo_sum, LR_RMS / (1 - math.sqrt(RHO)), rtol=1e-12)  # "the rates sum to alpha/(1 - sqrt(rho))"
assert abs(1 / (1 - math.sqrt(RHO)) - 200) < 1  # "about 200 alpha"
assert np.all(np.diff(m_geo) <= 0) and m_geo[-1] < 1e-40, m_geo[-1]  # geometric: no excursion, it keeps converging here
k_low = int(np.argmin(m_cos[:2000]))
print(f"cosine rate at its trough (step {k_low}): {schedules[r'cosine to 0 over 6000 steps'](k_low) / LR_RMS:.3f} alpha")
assert schedules[r"cosine to 0 over 6000 steps"](k_low) > 0.9 * LR_RMS  # "the rate is still near alpha at the trough"
assert m_cos[k_low:].max() > 1e-2, m_cos[k_low:].max()  # cosine: the excursion is still there
assert m_cos[-1] < 1e-100, m_cos[-1]  # ... but it ends far below the cycle at alpha/2

# %%
# With noisy gradients, and when the bad scaling is not along the axes
# ----------------------------------------------------------------------
# The question says (S)GD, so we repeat with gradient noise of standard
# deviation :math:`\sigma = 0.5` in each coordinate, in 400 independent runs
# (left: one of them). Near the minimum the noise dominates the gradient of
# :math:`\theta_2`, so :math:`s_2 \approx \sigma^2 + h_2^2\,\mathbb
# E[\theta_2^2] \approx \sigma^2` and RMSProp's effective rate on
# :math:`\theta_2` falls to about :math:`\alpha/\sigma = 0.02`, about GD's
# 0.019: the rescaling is now set by the noise, not by the
# curvature. Neither optimiser converges; both hover around the minimum at a
# distance set by the noise. For GD this distance is known exactly: each
# coordinate follows :math:`\theta \leftarrow (1 - \alpha h_j)\theta -
# \alpha\xi`, whose stationary variance is
# :math:`\alpha^2\sigma^2/(1 - (1-\alpha h_j)^2) = \alpha\sigma^2 /
# \bigl(h_j(2 - \alpha h_j)\bigr)`, so
# :math:`\mathbb E\|\theta\|^2 \to \sum_j \alpha\sigma^2 /
# \bigl(h_j(2 - \alpha h_j)\bigr)`, about :math:`0.054^2`.
#
# Right: the same objective rotated by 45°, so that the steep and flat
# directions are diagonals, started from :math:`(0.2, 1)`. Now each
# coordinate's gradient mixes both directions, the two RMS values
# :math:`\sqrt{s_1}, \sqrt{s_2}` are within a few per cent of each other
# (printed), and RMSProp's per-coordinate rescaling can no longer separate
# the directions: from this start it drops into the valley and then crawls
# along it, and after 300 steps it is farther from the minimum than GD.
SIGMA = 0.5
c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
ROT = np.array([[c, -s], [s, c]])
N_COPIES = 400
noisy = {name: run(rule, np.tile(THETA0, (N_COPIES, 1)), N_STEPS, noise=SIGMA) for name, rule in rules.items()}  # paths (n_steps + 1, N_COPIES, 2)
rotated = {name: run(rule, np.array([0.2, 1.0]), N_STEPS, R=ROT) for name, rule in rules.items()}

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
contours(ax0)
contours(ax1, R=ROT)
for name in rules:
    ax0.plot(noisy[name][0][:, 0, 0], noisy[name][0][:, 0, 1], ".-", color=COLOURS[name], lw=1, ms=2, label=f"noisy {name} (one run)")
    ax1.plot(rotated[name][0][:, 0], rotated[name][0][:, 1], ".-", color=COLOURS[name], lw=1.2, ms=3, label=name)
ax0.set_title(rf"Stochastic gradients (noise std {SIGMA})", fontsize=12)
ax1.set_title("Rotated by 45°, start (0.2, 1): RMSProp ends farther from the minimum", fontsize=11)
for a in (ax0, ax1):
    a.legend(fontsize=11)
    a.tick_params(labelsize=11)
plt.show()

root_s2 = np.sqrt(noisy["RMSProp"][1][-1, :, 1])  # (N_COPIES,) at the last step
print(f"noisy RMSProp after {N_STEPS} steps: sqrt(s_2) = {root_s2.mean():.3f} +- {root_s2.std(ddof=1) / math.sqrt(N_COPIES):.3f} (mean +- s.e. over runs; sigma = {SIGMA})")
print(f"  effective rate on theta_2 = {LR_RMS / root_s2.mean():.4f}   (GD: {LR_GD})")
sq_dist = {name: np.sum(noisy[name][0][-1] ** 2, axis=1) for name in rules}  # (N_COPIES,) squared distance at the last step
gd_stationary = float(np.sum(LR_GD * SIGMA**2 / (H * (2 - LR_GD * H))))
for name in rules:
    m, se = sq_dist[name].mean(), sq_dist[name].std(ddof=1) / math.sqrt(N_COPIES)
    print(f"{name:>8}, noisy: mean squared distance to the minimum at step {N_STEPS}: {m:.2e} +- {se:.1e}   (noise-free run: {np.sum(paths[name][-1] ** 2):.1e})")
print(f"GD's stationary value sum_j lr sigma^2 / (h_j (2 - lr h_j)) = {gd_stationary:.2e}")
# Monte Carlo over N_COPIES independent runs: tolerances in standard errors.
# "sqrt(s_2) is about sigma": within 5 %. The s.e. is 0.2 %; the deterministic offsets are of order 1 %
# (s_2 has forgotten all but 1 - rho^300 = 95 % of its start at zero, the early large gradients add, E[theta_2^2] adds 0.5 %).
assert abs(root_s2.mean() - SIGMA) < 0.05 * SIGMA, root_s2.mean()
assert abs(LR_RMS / root_s2.mean() - LR_RMS / SIGMA) < 0.05 * LR_RMS / SIGMA  # "falls to about lr/sigma = 0.02"
assert abs(math.sqrt(gd_stationary) - 0.054) < 5e-4, gd_stationary  # "about 0.054^2"
gd_m, gd_se = sq_dist["GD"].mean(), sq_dist["GD"].std(ddof=1) / math.sqrt(N_COPIES)
assert abs(gd_m - gd_stationary) < 4 * gd_se, (gd_m, gd_stationary, gd_se)  # GD's distance = the stationary value, within 4 s.e.
for name in rules:  # "neither converges": the distance stays at the noise level, far above the noise-free run's
    assert sq_dist[name].mean() - 4 * sq_dist[name].std(ddof=1) / math.sqrt(N_COPIES) > 100 * np.sum(paths[name][-1] ** 2), name
root_s_rot = np.sqrt(rotated["RMSProp"][1][9:])  # from step 10 on
rot_ratio = root_s_rot[:, 0] / root_s_rot[:, 1]
dist_rot = {name: np.linalg.norm(rotated[name][0][-1]) for name in rules}
print(f"rotated: sqrt(s_1)/sqrt(s_2) from step 10 on between {rot_ratio.min():.3f} and {rot_ratio.max():.3f}")
for name in rules:
    print(f"{name:>8}: distance to the minimum after 50 / {N_STEPS} steps: axis-aligned {np.linalg.norm(paths[name][50]):.1e} / {np.linalg.norm(paths[name][-1]):.1e},  rotated {np.linalg.norm(rotated[name][0][50]):.1e} / {dist_rot[name]:.1e}")
assert np.all(np.abs(rot_ratio - 1) < 0.1), rot_ratio  # "within a few per cent of each other"
assert dist_rot["RMSProp"] > 10 * dist_rot["GD"], dist_rot  # "farther from the minimum than GD" (the title)
s_min = min(square_avgs["RMSProp"].min(), long_s.min(), rotated["RMSProp"][1].min())
s_min_noisy = noisy["RMSProp"][1][9:].min()  # from step 10 on, over all copies
print(f"smallest s_j: {s_min:.1e} in those noise-free RMSProp runs, {s_min_noisy:.1e} in the noisy ones after step 10  (eps = {EPS:g})")
# "s_j stays above 50 eps": then eps inside the root changes sqrt(s_j) by less than eps / (2 s_j) = 1 %
assert min(s_min, s_min_noisy) > 50 * EPS, (s_min, s_min_noisy)

# %%
# How much the rotation matters depends on the start
# --------------------------------------------------
# The rotated panel is one start at one angle. Two things change the
# picture. First, the start: rotated by 45°, the start :math:`(1, 1)` lies
# on the flat eigenvector, where the gradient is :math:`h_2\theta`, the two
# coordinates have equal gradients, and RMSProp is GD with one scalar rate
# :math:`\alpha/\sqrt{s}` that adapts to the small gradient along that
# direction, while GD's rate stays capped by the steep direction. From there
# RMSProp ends *closer* than GD. In exact arithmetic the path would stay on
# the eigenvector. In floating point the component along the steep direction
# starts at rounding level, about :math:`10^{-16}`; the scalar rate grows as
# the gradient shrinks, far beyond :math:`2/h_1`, so that component is
# unstable and bursts out, for a while larger than the flat one (printed),
# until its own gradient raises :math:`\sqrt s` and damps it: the mechanism of
# the long run above, in miniature. Most of the time the path is back on the
# eigenvector (fraction of steps printed). Second, the angle, and
# not monotonically for a given start: from :math:`(0.2, 1)` RMSProp ends
# closer than GD at 5° but farther at 10°, 20° and 45° (printed).
#
# To see the trend rather than single cases we start from 36 points spread
# evenly over the directions of the unit circle (angles :math:`\phi`,
# :math:`\phi + \pi` give mirrored paths, so half the circle suffices) and
# record the distance to the minimum after 300 steps, at rotation angles
# from 0° to 45° (45° to 90° mirror them, with the roles of the axes
# exchanged). The median distance of RMSProp over the starts grows with the
# angle, and the fraction of starts from which it ends closer than GD falls
# from almost all (axis-aligned) to almost none (45°). GD is unaffected: it
# commutes with rotations, so rotating the problem only rotates the start,
# and its median over the evenly spread starts stays put.
def rotation(degrees):
    a = np.deg2rad(degrees)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


single = {}
for deg, start in ((45, (1.0, 1.0)), (5, (0.2, 1.0)), (10, (0.2, 1.0)), (20, (0.2, 1.0)), (45, (0.2, 1.0))):
    single[deg, start] = {name: np.linalg.norm(run(rule, np.array(start), N_STEPS, R=rotation(deg))[0][-1]) for name, rule in rules.items()}
    print(f"rotated {deg:>2} deg, start {start}: distance after {N_STEPS} steps  RMSProp {single[deg, start]['RMSProp']:.1e}   GD {single[deg, start]['GD']:.1e}")
path_eig = run(rules["RMSProp"], THETA0, N_STEPS, R=rotation(45))[0] @ rotation(45).T  # (N_STEPS + 1, 2): (steep, flat) components
print(f"(1, 1) rotated by 45 deg: (steep, flat) components {path_eig[0]}; largest |steep component| on the RMSProp path "
      f"{np.abs(path_eig[:, 0]).max():.1e} (largest ratio to the flat one {np.max(np.abs(path_eig[:, 0] / path_eig[:, 1])):.2f})")
off_line = np.abs(path_eig[:, 0] / path_eig[:, 1])  # (N_STEPS + 1,) steep / flat component
print(f"fraction of steps with |steep| < 1e-2 |flat|: {np.mean(off_line < 1e-2):.2f}")
assert abs(path_eig[0, 0]) < 1e-15 and off_line.max() > 1, off_line.max()  # "starts at rounding level", "bursts ... larger than the flat one"
assert np.mean(off_line < 1e-2) > 0.5  # "most of the time the path is back on the eigenvector"
assert single[45, (1.0, 1.0)]["RMSProp"] < single[45, (1.0, 1.0)]["GD"]  # "from (1, 1) RMSProp ends closer than GD"
assert single[5, (0.2, 1.0)]["RMSProp"] < single[5, (0.2, 1.0)]["GD"]  # "closer at 5 deg ..."
assert all(single[d, (0.2, 1.0)]["RMSProp"] > single[d, (0.2, 1.0)]["GD"] for d in (10, 20, 45))  # "... farther at 10, 20, 45 deg"

ANGLES = [0, 2, 5, 10, 15, 20, 30, 45]
phis = (np.arange(36) + 0.5) * np.pi / 36  # 36 start directions on the half circle, none on an axis
starts = np.stack([np.cos(phis), np.sin(phis)], axis=1)  # (36, 2)
sweep = {name: np.array([np.linalg.norm(run(rule, starts, N_STEPS, R=rotation(deg))[0][-1], axis=1) for deg in ANGLES])
         for name, rule in rules.items()}  # (n_angles, 36) distances after N_STEPS steps
closer = np.mean(sweep["RMSProp"] < sweep["GD"], axis=1)  # (n_angles,)
med = {name: np.median(d, axis=1) for name, d in sweep.items()}
print(f"{'angle':>6} | {'RMSProp median':>14} {'(min - max)':>19} | {'GD median':>9} | RMSProp closer than GD")
for i, deg in enumerate(ANGLES):
    print(f"{deg:>5}° | {med['RMSProp'][i]:>14.1e} ({sweep['RMSProp'][i].min():.1e} - {sweep['RMSProp'][i].max():.1e}) | {med['GD'][i]:>9.1e} | {closer[i]:.2f}")
fig, ax = plt.subplots(figsize=(8, 4.4), layout="constrained")
for name in rules:
    ax.fill_between(ANGLES, sweep[name].min(axis=1), sweep[name].max(axis=1), color=COLOURS[name], alpha=0.2)
    ax.semilogy(ANGLES, med[name], "o-", color=COLOURS[name], lw=2, label=f"{name}: median over 36 starts (band: min to max)")
ax.set_xlabel("rotation of the problem (degrees)", fontsize=12)
ax.set_ylabel(f"distance to the minimum after {N_STEPS} steps", fontsize=12)
ax.set_title("RMSProp's advantage shrinks as the bad scaling turns away from the axes", fontsize=12)
ax.legend(fontsize=10, loc="lower right")
ax.tick_params(labelsize=11)
plt.show()
assert np.all(np.diff(med["RMSProp"]) > 0), med["RMSProp"]  # "the median distance of RMSProp grows with the angle"
assert closer[0] >= 0.9 and closer[-1] <= 0.1, closer  # "from almost all (axis-aligned) to almost none (45 deg)"
assert med["RMSProp"][0] < 1e-3 * med["GD"][0] and med["RMSProp"][-1] > 10 * med["GD"][-1], med  # the two ends of the figure
assert np.ptp(med["GD"]) < 0.5 * med["GD"].min(), med["GD"]  # "its median ... stays put"

# %%
# What to notice
# --------------
# * **Effect on the trajectory.** RMSProp divides each coordinate's step by the
#   RMS of its own recent gradients. For :math:`\theta_1` (large gradients)
#   that shrinks the step, for :math:`\theta_2` (small gradients) it enlarges
#   it, so both coordinates shrink at the same rate: :math:`\theta_2` reaches
#   :math:`10^{-2}` in 104 steps instead of 241, :math:`\theta_1` stops
#   zig-zagging, but needs 104 steps instead of 44.
# * **Is that good?** GD's single learning rate is capped by the steepest
#   direction (:math:`\alpha < 2/h_1`), which leaves the flat direction with a
#   tiny effective step; RMSProp gives each coordinate its own rate (a factor
#   :math:`h_1/h_2 = 100` apart here), undoing the bad scaling like a
#   diagonal preconditioner. That helps whenever the slowest coordinate limits
#   training, at the price of slowing the fastest one.
# * **Limits.** Its rescaling is per coordinate: when the bad scaling is
#   not along the axes it helps only from some starts (the median distance
#   after 300 steps grows with the rotation, and at 45° RMSProp beat GD from
#   only a few of 36 starts), although along a single eigenvector its
#   normalisation still acts as a scalar adaptive rate. With noisy
#   gradients :math:`\sqrt{s_j}` measures the noise, not the curvature, near
#   the minimum. And with a constant :math:`\alpha` it does not converge even
#   without noise (in exact arithmetic): :math:`\sqrt{s}` forgets the large
#   early gradients, the effective rate grows until it is unstable, and the
#   iterate ends in a period-two cycle at :math:`|\theta_j| = \alpha/2`. A
#   rate that decays by :math:`\sqrt\rho` per step prevents that, but its
#   rates sum to about :math:`200\,\alpha`; in practice the rate is annealed
#   over the planned run (cosine to zero here), which ends at the minimum
#   although the excursion still happens.
#
# Every number in these bullets was checked in the cells above.

# sphinx_gallery_thumbnail_number = 1
