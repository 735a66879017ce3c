"""
The implicit regularisation of gradient descent with a finite step
==================================================================

Exercise 9.2 of the Theory of Neural Networks sheet 9 (ID ``tnn-9/2``) is a
reading exercise on Smith, Dherin, Barrett and De (2021), "On the origin of
implicit regularization in stochastic gradient descent". It asks four
questions: how SGD differs from GD and where its randomness comes from;
what implicit regularisation and the implicit regulariser are; how the
modified loss :math:`L + \\frac{\\varepsilon}{4}\\|\\nabla L\\|^2` shapes
training at a small but finite learning rate; and what else minibatches buy.
We answer them, then check the central claim numerically: gradient descent
with step :math:`\\varepsilon` stays much closer to the gradient flow of the
modified loss than to that of :math:`L` (error :math:`O(\\varepsilon^2)`
against :math:`O(\\varepsilon)`). On a loss with a valley of minima we then
see where each regulariser acts: the full-batch one only on the way down
into the valley, where the gradient is not zero; the extra term of SGD also
along the valley floor, where it moves small-batch SGD to the flattest
minimum.
"""

# %%
# The four answers
# ----------------
# **1. GD and SGD.** Gradient descent updates with the full-batch gradient
# :math:`\nabla L(\theta) = \frac1N\sum_{i=1}^N \nabla\ell_i(\theta)`.
# Stochastic gradient descent splits the :math:`N` examples into
# :math:`m = N/B` minibatches and steps with the minibatch gradient
# :math:`\nabla \hat L_k = \frac1B\sum_{i\in\text{batch }k}\nabla\ell_i`, an
# unbiased but noisy estimate of :math:`\nabla L`. The randomness comes from
# which examples land in which minibatch, and in which order (the random
# shuffle of the data each epoch), not from the model.
#
# **2. Implicit regularisation.** The optimiser itself, without any penalty
# written into the loss, biases training towards particular solutions, as if
# a regularisation term had been added. Smith et al. make this precise: with
# a finite learning rate, (S)GD follows the gradient flow of a *modified*
# loss, the original one plus an *implicit regulariser* proportional to the
# learning rate. The regulariser penalises large gradient norms along the
# trajectory, which biases training towards regions where the loss changes
# slowly; Smith et al. (and Barrett and Dherin, 2021, for full-batch GD)
# connect this with flatter minima and argue that these generalise better.
#
# **3. The modified loss.** For full-batch GD, backward error analysis gives
#
# .. math::
#
#    \tilde L_{\mathrm{GD}}(\theta) = L(\theta) + \frac{\varepsilon}{4}\|\nabla L(\theta)\|^2 ,
#
# since one plain GD step :math:`\theta - \varepsilon\nabla L(\theta)` agrees
# to :math:`O(\varepsilon^3)` with the exact flow of
# :math:`\dot\theta = -\nabla\tilde L = -\nabla L -
# \frac{\varepsilon}{2}H\nabla L` run for time :math:`\varepsilon`, one
# order better than with the flow of :math:`L` (:math:`O(\varepsilon^2)`). For
# small finite :math:`\varepsilon` the regulariser is a small penalty that
# grows linearly with the learning rate and vanishes as
# :math:`\varepsilon\to 0`. It also vanishes wherever :math:`\nabla L = 0`,
# and so does its gradient :math:`\frac{\varepsilon}{2}H\nabla L`: on a
# valley of minima the full-batch regulariser exerts no force at all; it can
# only shape the path *while* the trajectory approaches the valley.
#
# For SGD, Smith et al.'s statement concerns the *mean* iterate over random
# shuffles: after one epoch of :math:`m` minibatch steps in a random order,
# the expected iterate follows, to second order in :math:`\varepsilon`, the
# gradient flow of :math:`L + \frac{\varepsilon}{4m}\sum_k\|\nabla\hat L_k\|^2`
# (single runs fluctuate around it). Averaged over the random partitions
# into batches, this loss has an extra term,
#
# .. math::
#
#    \E\,\tilde L_{\mathrm{SGD}} = L + \frac{\varepsilon}{4}\|\nabla L\|^2
#    + \frac{\varepsilon}{4}\,\frac{N-B}{B(N-1)}\;\frac1N\sum_{i=1}^N\|\nabla\ell_i - \nabla L\|^2 ,
#
# penalising the variance of the per-example gradients, with strength
# :math:`\propto \varepsilon/B` for :math:`B \ll N`: smaller batches (or a
# larger learning rate) regularise more. Unlike the first term, this one does
# not vanish at a minimum of :math:`L` that leaves residuals on the single
# examples, so it keeps acting along a valley of minima.
#
# **4. Another benefit of minibatches.** The :math:`B` per-example gradients of
# a minibatch are independent computations, so they are evaluated in
# parallel (vectorised on one accelerator, or split over several devices in
# data-parallel training), with memory that scales with :math:`B` rather than
# :math:`N`; and one pass over the data yields :math:`m` parameter updates
# instead of one.
#
# The test problem
# ----------------
# A two-layer scalar linear network :math:`f(x) = a\,b\,x` fitted by least
# squares to :math:`N = 50` noisy samples of :math:`y = x`:
# :math:`L(a, b) = \frac{1}{2N}\sum_i (abx_i - y_i)^2 = \ell(ab)` with
# :math:`\ell(v) = \frac12(s_{xx}v^2 - 2s_{xy}v + s_{yy})` and :math:`s` the
# sample moments. Its minima form the valley :math:`ab = c = s_{xy}/s_{xx}`,
# a hyperbola. Three facts we use, each checked below with autograd:
#
# * :math:`\nabla L = \ell'(ab)\,(b, a)`, so
#   :math:`\frac{\varepsilon}{4}\|\nabla L\|^2 = \frac{\varepsilon}{4}\ell'(ab)^2(a^2 + b^2)`:
#   at a given height on the valley's wall (a given :math:`\ell'`) it is
#   smaller where :math:`a^2 + b^2` is smaller, but on the floor
#   (:math:`\ell' = 0`) it is zero;
# * on the floor the Hessian is :math:`s_{xx}(b, a)(b, a)^\top`: eigenvalue
#   0 *along* the valley, and :math:`s_{xx}(a^2 + b^2)` *across* it, so
#   :math:`a^2 + b^2` measures the sharpness of a minimum, smallest
#   (:math:`2c`) at the balanced minimum :math:`a = b = \sqrt c`;
# * :math:`\nabla\ell_i - \nabla L = (r_ix_i - \ell'(ab))\,(b, a)` with
#   residuals :math:`r_i = abx_i - y_i`, so the extra SGD term is
#   :math:`\frac{\varepsilon}{4}\frac{N-B}{B(N-1)}\,(a^2+b^2)\operatorname{Var}_i(r_ix_i)`,
#   positive on the floor (the residuals do not vanish) and proportional to
#   the sharpness there.
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import LogNorm

from nntheory.implicit_regularization import gd_trajectory, gradient_flow, modified_loss, sgd_regularizer
from nntheory.seeding import base_seed

SEED = base_seed(0)
rng = np.random.default_rng(SEED)
N = 50
x = torch.tensor(rng.standard_normal(N))
y = x + 0.5 * torch.tensor(rng.standard_normal(N))
sxx, sxy = (x @ x).item() / N, (x @ y).item() / N
c = sxy / sxx  # the valley ab = c


def loss(theta, idx=slice(None)):
    a, b = theta
    return 0.5 * ((a * b * x[idx] - y[idx]) ** 2).mean()


def per_example_grads(a, b):
    """Per-example gradients of l_i = (abx_i - y_i)^2 / 2 in closed form, (N, 2)."""
    r = (a * b * x - y).numpy()  # residuals, (N,)
    return np.outer(r * x.numpy(), [b, a])


# The three facts, against autograd at random points and on the valley floor.
for a, b in rng.uniform(-2, 3, size=(3, 2)):
    theta = torch.tensor([a, b], dtype=torch.float64)
    grad = torch.autograd.functional.jacobian(loss, theta).numpy()
    ell_prime = a * b * sxx - sxy
    np.testing.assert_allclose(grad, ell_prime * np.array([b, a]), rtol=1e-12)  # grad L = l'(ab) (b, a)
    autograd_per_example = np.stack([torch.autograd.functional.jacobian(lambda t: loss(t, [i]), theta).numpy() for i in range(N)])
    np.testing.assert_allclose(per_example_grads(a, b), autograd_per_example, rtol=1e-12, atol=1e-14)
a_floor = 2.0
H = torch.autograd.functional.hessian(loss, torch.tensor([a_floor, c / a_floor], dtype=torch.float64)).numpy()
eig = np.linalg.eigvalsh(H)
print(f"Hessian on the valley floor at a = {a_floor}: eigenvalues {eig[0]:.1e} and {eig[1]:.4f}; "
      f"s_xx (a^2 + b^2) = {sxx * (a_floor**2 + (c / a_floor) ** 2):.4f}")
np.testing.assert_allclose(eig, [0.0, sxx * (a_floor**2 + (c / a_floor) ** 2)], atol=1e-12, rtol=1e-12)  # 0 along, s_xx(a^2+b^2) across

# %%
# GD against the two gradient flows
# ---------------------------------
# We run GD with step :math:`\varepsilon` from the unbalanced start
# :math:`(a, b) = (2.5, 0.1)`
# (:func:`~nntheory.implicit_regularization.gd_trajectory`) and integrate
# both flows finely with RK4
# (:func:`~nntheory.implicit_regularization.gradient_flow`, 10 substeps per
# :math:`\varepsilon`), comparing :math:`\theta_k` with the flows at time
# :math:`t = k\varepsilon`, up to :math:`t = 4`.
theta0 = torch.tensor([2.5, 0.1], dtype=torch.float64)
T = 4.0
lrs = [0.025, 0.05, 0.1, 0.2]
dev_plain, dev_mod, paths = [], [], {}
for lr in lrs:
    n_steps = int(round(T / lr))
    times = lr * np.arange(n_steps + 1)
    gd = gd_trajectory(loss, theta0, lr, n_steps)
    flow = gradient_flow(loss, theta0, times, n_substeps=10)
    flow_mod = gradient_flow(lambda t: modified_loss(loss, t, lr), theta0, times, n_substeps=10)
    dev_plain.append((gd - flow).norm(dim=1).max().item())
    dev_mod.append((gd - flow_mod).norm(dim=1).max().item())
    paths[lr] = (gd, flow, flow_mod)
    print(f"lr = {lr:5.3f}: max_k |theta_k - flow of L| = {dev_plain[-1]:.2e}   "
          f"max_k |theta_k - flow of modified loss| = {dev_mod[-1]:.2e}")
slopes = np.polyfit(np.log(lrs), np.log(dev_plain), 1)[0], np.polyfit(np.log(lrs), np.log(dev_mod), 1)[0]
local = np.log(dev_plain[1] / dev_plain[0]) / np.log(2), np.log(dev_mod[1] / dev_mod[0]) / np.log(2)
print(f"fitted log-log slopes over all four rates: {slopes[0]:.2f} (flow of L), {slopes[1]:.2f} (flow of the modified loss); "
      f"between the two smallest rates: {local[0]:.2f} and {local[1]:.2f}")

# %%
# At every step size GD is closer to the modified flow; between the two
# smallest step sizes the distances shrink at the predicted orders, within
# 0.15 of 1 and 2 (the fit over all four rates comes out steeper because the
# largest :math:`\varepsilon` already feels higher-order terms).
assert all(m < p for m, p in zip(dev_mod, dev_plain)), (dev_mod, dev_plain)
assert abs(local[0] - 1) < 0.15 and abs(local[1] - 2) < 0.15, local

fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.6))
gd, flow, flow_mod = paths[0.05]
t_grid = 0.05 * np.arange(len(gd))


def balance(path):
    """a^2 - b^2, conserved by the gradient flow of L, minus its initial value."""
    return (path[:, 0] ** 2 - path[:, 1] ** 2 - (theta0[0] ** 2 - theta0[1] ** 2)).numpy()


unexplained = {}  # the part of GD's drift in a^2 - b^2 at t = 4 that the modified flow does not reproduce
for lr, (g, f, fm) in paths.items():
    unexplained[lr] = (balance(g)[-1] - balance(fm)[-1]) / balance(g)[-1]
    print(f"eps = {lr:5.3f}, t = 4: drift of a^2 - b^2 under GD {balance(g)[-1]:+.2e}, flow of L {balance(f)[-1]:+.1e}, "
          f"fraction not reproduced by the modified flow {unexplained[lr]:.2f}")
axes[0].plot(t_grid, balance(flow), color="#D55E00", lw=2, label="gradient flow of $L$")
axes[0].plot(t_grid, balance(flow_mod), "--", color="#0072B2", lw=2, label="gradient flow of $L + \\frac{\\varepsilon}{4}\\|\\nabla L\\|^2$")
axes[0].plot(t_grid, balance(gd), "o", ms=3, markevery=2, color="k", label="GD iterates, $\\varepsilon = 0.05$")
axes[0].set_xlabel("time $t = k\\varepsilon$")
axes[0].set_ylabel("$(a^2 - b^2) - (a_0^2 - b_0^2)$")
axes[0].set_title("GD leaves the invariant of the flow of $L$;\nthe modified flow captures most of the drift", fontsize=11)
axes[0].legend(fontsize=9)
axes[1].loglog(lrs, dev_plain, "o-", color="#D55E00", lw=2, label="distance to flow of $L$")
axes[1].loglog(lrs, dev_mod, "s-", color="#0072B2", lw=2, label="distance to flow of modified loss")
axes[1].loglog(lrs, dev_plain[0] * np.array(lrs) / lrs[0], ":", color="0.4", label="slope 1")
axes[1].loglog(lrs, dev_mod[0] * (np.array(lrs) / lrs[0]) ** 2, "--", color="0.4", label="slope 2")
axes[1].set_xlabel("learning rate $\\varepsilon$")
axes[1].set_ylabel(r"$\max_{k\varepsilon \leq 4} \|\theta_k - \theta(k\varepsilon)\|$")
axes[1].set_title("Error $O(\\varepsilon)$ against $O(\\varepsilon^2)$", fontsize=11)
axes[1].legend(fontsize=9)
fig.tight_layout()

# %%
# The flow of :math:`L` keeps :math:`a^2 - b^2` up to an integration error
# below 0.1% of GD's drift; GD drifts, and for :math:`\varepsilon \le 0.05`
# (the figure) the modified flow reproduces most of that drift; the part it
# misses shrinks with :math:`\varepsilon` (roughly in proportion to it), as a
# higher-order remainder should, and at :math:`\varepsilon = 0.2` it is
# already the larger part.
assert all(abs(balance(f)[-1]) < 1e-3 * abs(balance(g)[-1]) for g, f, _ in paths.values())  # conserved by the flow of L
assert all(0 <= unexplained[lr] < 0.5 for lr in lrs if lr <= 0.05), unexplained  # "most of the drift"
assert unexplained[0.2] > 0.5, unexplained
assert all(unexplained[a] < unexplained[b] for a, b in zip(lrs, lrs[1:])), unexplained

# %%
# The effect of the batch size
# ----------------------------
# The extra SGD term needs the per-example gradients :math:`\nabla\ell_i`.
# We check :func:`~nntheory.implicit_regularization.sgd_regularizer` (the
# closed form over random partitions) at one point against a Monte Carlo
# average over 2000 random shuffles, for several batch sizes.
theta = (1.5, 0.4)
per_example = per_example_grads(*theta)  # (N, 2)
print(" B    |grad L|^2   extra SGD term   Monte Carlo mean of (1/m) sum_k |grad L_k|^2   closed form sum   |diff| / se")
extras = {}
for B in (1, 2, 5, 10, 25, 50):
    full, extras[B] = sgd_regularizer(per_example, B)
    draws = np.array([np.mean([(per_example[b].mean(0) ** 2).sum() for b in rng.permutation(N).reshape(-1, B)]) for _ in range(2000)])
    se = draws.std(ddof=1) / np.sqrt(draws.size)
    z = f"{abs(draws.mean() - full - extras[B]) / se:.2f}" if se > 1e-12 else "(one partition)"
    print(f"{B:2d}    {full:.4f}       {extras[B]:.4f}           {draws.mean():.4f}                                       "
          f"{full + extras[B]:.4f}            {z}")
    assert abs(draws.mean() - full - extras[B]) <= 4 * se + 1e-12, (B, draws.mean(), full + extras[B], se)  # 4 standard errors

# %%
# The closed form matches the shuffles within four standard errors at every
# batch size (exactly at :math:`B = N`, where every shuffle gives the same
# single batch), and the extra term falls as the batch grows, to zero at
# :math:`B = N`.
assert extras[50] == 0.0 and all(extras[b1] > extras[b2] for b1, b2 in zip((1, 2, 5, 10, 25), (2, 5, 10, 25, 50))), extras

# %%
# Where SGD ends
# --------------
# We run SGD with the same learning rate :math:`\varepsilon = 0.1` and
# different batch sizes from :math:`(2.5, 0.1)` for 200 epochs (five
# shuffling seeds each; :math:`B = 50` is full-batch GD), and record the
# sharpness measure :math:`a^2 + b^2`, averaged over the iterates at the ends
# of the last 100 epochs (a single small-batch iterate fluctuates around
# the mean iterate, which is what the theory describes; the balanced minimum
# has :math:`2c`). For comparison: where the gradient flows of :math:`L` and
# of the GD-modified loss end (at :math:`t = 20`, the time of 200 steps).
def sgd_run(B, seed, lr=0.1, n_epochs=200):
    """SGD with reshuffling each epoch; returns the iterate at the end of every epoch, (n_epochs + 1, 2)."""
    shuffle = np.random.default_rng(seed)
    a, b = theta0.tolist()
    xs, ys = x.numpy(), y.numpy()
    out = [(a, b)]
    for _ in range(n_epochs):
        for idx in shuffle.permutation(N).reshape(-1, B):
            r = a * b * xs[idx] - ys[idx]  # residuals of the minibatch, (B,)
            ga, gb = (r * b * xs[idx]).mean(), (r * a * xs[idx]).mean()
            a, b = a - lr * ga, b - lr * gb
        out.append((a, b))
    return np.array(out)


batch_sizes = [1, 2, 5, 10, 50]
runs = {B: [sgd_run(B, SEED + 1000 + s) for s in range(5)] for B in batch_sizes}
final = {B: np.array([(r[101:] ** 2).sum(1).mean() for r in runs[B]]) for B in batch_sizes}  # mean over epochs 101-200
flow_end = gradient_flow(loss, theta0, np.array([0.0, 20.0]), n_substeps=400)[-1]
mod_end = gradient_flow(lambda t: modified_loss(loss, t, 0.1), theta0, np.array([0.0, 20.0]), n_substeps=400)[-1]
gd_end = runs[50][0][-1]
grad_gd_end = np.linalg.norm(torch.autograd.functional.jacobian(loss, torch.tensor(gd_end)).numpy())
print(f"a^2 + b^2 at the end: flow of L {(flow_end**2).sum().item():.3f}; flow of the GD-modified loss {(mod_end**2).sum().item():.3f}; "
      f"GD {final[50][0]:.3f} (|grad L| there {grad_gd_end:.1e}); balanced minimum 2c = {2 * c:.3f}")
for B in batch_sizes:
    print(f"B = {B:2d}: a^2 + b^2 (mean over the last 100 epochs) = {final[B].mean():.3f} +- {final[B].std():.3f} (std over 5 shuffle seeds); "
          f"last iterates {np.round([(r[-1] ** 2).sum() for r in runs[B]], 2)}")

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.errorbar(batch_sizes, [final[B].mean() for B in batch_sizes], yerr=[final[B].std() for B in batch_sizes],
            fmt="o-", color="#0072B2", lw=2, capsize=4, label="SGD, $\\varepsilon = 0.1$ (mean, std over 5 shuffle seeds)")
ax.axhline((flow_end**2).sum().item(), color="#D55E00", ls="--", label="gradient flow of $L$")
ax.axhline(2 * c, color="0.4", ls=":", label="balanced minimum $2c$")
ax.set_xscale("log")
ax.set_xlabel("batch size $B$ ($B = 50$ is full-batch GD)")
ax.set_ylabel("$a^2 + b^2$, mean over epochs 101-200")
ax.set_title("Smaller batches end at flatter minima")
ax.legend(fontsize=9)
fig.tight_layout()

# %%
# Full-batch GD ends on the valley floor (the gradient is zero to rounding)
# slightly below where the flow of :math:`L` ends; the flow of the modified
# loss ends on the floor too, in between (at :math:`\varepsilon = 0.1` it
# captures part of GD's shift, the rest being of higher order). The
# full-batch regulariser shifted the endpoint a little while descending,
# and stopped acting there. Smaller batches end at much flatter minima:
# :math:`a^2 + b^2` falls from GD's value through :math:`B = 10` and
# :math:`B = 5`, and at :math:`B \le 2` the mean iterate sits at the balanced
# minimum (within 5% of :math:`2c`). Almost all of the selection comes from
# the SGD term: GD moved :math:`a^2 + b^2` by less than 2% of what batch size
# 1 did.
flow_n, mod_n, gd_n = (flow_end**2).sum().item(), (mod_end**2).sum().item(), (gd_end**2).sum()
grad_mod_end = np.linalg.norm(torch.autograd.functional.jacobian(loss, mod_end).numpy())
print(f"|grad L| at the end of the modified flow: {grad_mod_end:.1e}")
assert grad_gd_end < 1e-10 and grad_mod_end < 1e-8, (grad_gd_end, grad_mod_end)  # both on the valley floor
assert gd_n < mod_n < flow_n, (gd_n, mod_n, flow_n)
assert final[1].mean() < final[5].mean() < final[10].mean() < gd_n, final  # smaller batches, flatter minima
assert all(abs(final[B].mean() - 2 * c) < 0.05 * 2 * c for B in (1, 2)), (final, 2 * c)
assert flow_n - gd_n < 0.02 * (gd_n - final[1].mean()), (flow_n, gd_n, final[1].mean())

# %%
# The landscape
# -------------
# Prince (*Understanding Deep Learning*, Section 9.2) draws this comparison
# in the plane of the parameters: the loss, the implicit regulariser, and
# the paths of the discrete and the continuous descent. Here, with
# :math:`\varepsilon = 0.1` (colour scales logarithmic): top left, :math:`L`
# with its valley (dashed), the flow of :math:`L`, GD and one run of SGD with
# :math:`B = 1` (one dot per epoch); top right, the GD regulariser
# :math:`\frac{\varepsilon}{4}\|\nabla L\|^2`, zero on the valley floor;
# bottom left, the extra SGD term for :math:`B = 1`, positive on the floor;
# bottom right, both terms *along* the floor (parameterised by :math:`a`,
# with :math:`b = c/a`) for several batch sizes: the GD term is identically
# zero there, the SGD term is smallest at the balanced minimum, and the
# smaller the batch, the stronger its pull.
a_grid, b_grid = np.linspace(-0.2, 3.0, 241), np.linspace(-0.3, 2.2, 201)
A, Bg = np.meshgrid(a_grid, b_grid)  # (201, 241)
V = A * Bg
xs, ys = x.numpy(), y.numpy()
L_grid = 0.5 * (sxx * V**2 - 2 * sxy * V + (ys @ ys) / N)
ell_p = sxx * V - sxy


def var_rx(v):
    """Var_i(r_i x_i) at product ab = v (any shape), with r_i = v x_i - y_i."""
    v = np.asarray(v, dtype=float)
    return ((v[..., None] * xs**2 - xs * ys) ** 2).mean(-1) - (v * sxx - sxy) ** 2  # mean of squares minus l'(v)^2


reg_gd = 0.1 / 4 * ell_p**2 * (A**2 + Bg**2)
reg_sgd = 0.1 / 4 * (A**2 + Bg**2) * var_rx(V)  # B = 1, where (N - B) / (B (N - 1)) = 1
for a, b in ((0.7, 1.9), (2.4, 0.2), (1.3, c / 1.3)):  # the grid formulas against the library's closed form
    full, extra = sgd_regularizer(per_example_grads(a, b), 1)
    np.testing.assert_allclose([0.1 / 4 * (a * b * sxx - sxy) ** 2 * (a * a + b * b), 0.1 / 4 * (a * a + b * b) * var_rx(a * b)],
                               [0.1 / 4 * full, 0.1 / 4 * extra], rtol=1e-10, atol=1e-15)

fig, axes = plt.subplots(2, 2, figsize=(12, 9.5))
hyper_a = np.linspace(c / 2.2, 3.0, 200)
sgd_path = runs[1][0]
flow_path = gradient_flow(loss, theta0, np.linspace(0, 20, 201), n_substeps=4).numpy()
panels = ((L_grid - L_grid.min() + 1e-3, 1e-3, "loss $L$ (minus its minimum, + 0.001)"),
          (reg_gd + 1e-6, 1e-6, r"GD regulariser $\frac{\varepsilon}{4}\|\nabla L\|^2$ (+ $10^{-6}$)"),
          (np.maximum(reg_sgd, 1e-4), 1e-4, r"extra SGD term, $B = 1$ (floored at $10^{-4}$)"))
for ax, (Z, low, title) in zip(axes.flat, panels):
    cs = ax.contourf(A, Bg, Z, levels=np.logspace(np.log10(low), np.log10(Z.max()), 25), norm=LogNorm(), cmap="viridis")
    fig.colorbar(cs, ax=ax, format="%.0e")
    ax.plot(hyper_a, c / hyper_a, "w--", lw=1.5, label="valley $ab = c$")
    ax.plot(flow_path[:, 0], flow_path[:, 1], color="#D55E00", lw=3, label="flow of $L$")
    ax.plot(runs[50][0][:, 0], runs[50][0][:, 1], ":", color="#56B4E9", lw=2, label=r"GD, $\varepsilon = 0.1$")
    ax.plot(sgd_path[:, 0], sgd_path[:, 1], ".", color="#CC79A7", ms=5, label="SGD, $B = 1$ (end of each epoch)")
    ax.plot([np.sqrt(c)], [np.sqrt(c)], "*", color="#F0E442", ms=15, mec="k", label="balanced minimum")
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("$a$")
    ax.set_ylabel("$b$")
    ax.set_xlim(a_grid[0], a_grid[-1])
    ax.set_ylim(b_grid[0], b_grid[-1])
axes[0, 0].legend(fontsize=9, loc="upper right", framealpha=0.9, facecolor="0.8")

ax = axes[1, 1]
a_floor = np.linspace(0.4, 2.8, 300)
on_floor = (a_floor**2 + (c / a_floor) ** 2) * var_rx(np.full_like(a_floor, c))  # (a^2 + b^2) Var_i(r_i x_i) on ab = c
ax.plot(a_floor, np.zeros_like(a_floor), color="#56B4E9", lw=3, label=r"GD regulariser (zero on the floor)")
for B, style in zip((1, 2, 5, 10), ("-", "--", "-.", ":")):
    ax.plot(a_floor, 0.1 / 4 * (N - B) / (B * (N - 1)) * on_floor, style, color="#CC79A7", lw=2, label=f"extra SGD term, $B = {B}$")
for B in (1, 10, 50):
    a_end = np.mean([r[101:, 0].mean() for r in runs[B]])
    ax.axvline(a_end, color="0.4", lw=1)
    ax.annotate(f"SGD $B = {B}$ ends" if B < 50 else "GD ends", (a_end, ax.get_ylim()[1] * 0.9), rotation=90, va="top", ha="right", fontsize=9)
ax.axvline(np.sqrt(c), color="#F0E442", lw=2, label="balanced minimum")
ax.set_xlabel("position $a$ along the valley floor ($b = c/a$)")
ax.set_ylabel("implicit regulariser")
ax.set_title("Along the floor only the SGD term acts", fontsize=11)
ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2)
fig.suptitle("GD's regulariser vanishes on the valley of minima; the SGD term does not, and pulls SGD to the balanced minimum")
fig.tight_layout()

# %%
# On the floor the SGD term is :math:`(a^2 + c^2/a^2)` times a positive
# constant, so it is smallest at :math:`a = \sqrt c`, the balanced minimum
# (checked on the grid above), and it is not zero there.
i_min = np.argmin(on_floor)
print(f"the SGD term on the floor is smallest at a = {a_floor[i_min]:.3f}; sqrt(c) = {np.sqrt(c):.3f}; its value there "
      f"(B = 1) {0.1 / 4 * on_floor[i_min]:.2e}")
assert abs(a_floor[i_min] - np.sqrt(c)) < 2 * (a_floor[1] - a_floor[0]) and on_floor.min() > 0, (a_floor[i_min], np.sqrt(c))

# %%
# What to notice
# --------------
# The printed maximal distances fall like :math:`\varepsilon` for the flow of
# :math:`L` and like :math:`\varepsilon^2` for the flow of the modified loss.
# The first figure shows the mechanism: the flow of :math:`L` conserves
# :math:`a^2 - b^2`, GD does not, and for small steps (here
# :math:`\varepsilon \le 0.05`) the modified flow reproduces most of GD's
# drift (the remainder is of higher order in :math:`\varepsilon`). A
# finite step is not a noisy version of gradient flow but an
# exact-to-second-order version of a *different* flow. But the full-batch
# regulariser :math:`\frac{\varepsilon}{4}\|\nabla L\|^2` only acts where
# :math:`\nabla L \ne 0`: it nudged GD while it descended into the valley, and
# GD then stopped on the floor close to where the flow of :math:`L` stops
# (the shift is under 2% of what SGD with :math:`B = 1` achieved), far from
# the balanced minimum. What moved the small-batch runs *along* the valley to
# its flattest point, where :math:`a^2 + b^2`, the sharpness across the
# valley, is smallest, is the extra SGD term, which stays positive on the
# floor; its closed form matches the Monte Carlo average over shuffles and
# it grows as the batch shrinks (roughly like :math:`1/B`, zero at
# :math:`B = N`). The mean :math:`a^2 + b^2` of the late iterates falls as the
# batch shrinks from the full batch to a few samples at the same learning
# rate, as the modified SGD loss predicts.

# sphinx_gallery_thumbnail_number = 3
