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
along the valley floor, where it moves SGD of every batch size below the
full batch to the flattest minimum, at a speed set by the batch size.
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
# Tensors this small are fastest on one thread (the results do not depend on it);
# sphinx-gallery restores the setting after the page.
torch.set_num_threads(1)
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
# (:func:`~nntheory.implicit_regularization.gradient_flow`, 4 substeps per
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
    flow = gradient_flow(loss, theta0, times, n_substeps=4)
    flow_mod = gradient_flow(lambda t: modified_loss(loss, t, lr), theta0, times, n_substeps=4)
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
    shuffles = rng.permuted(np.tile(np.arange(N), (2000, 1)), axis=1)  # 2000 random orders, (2000, N)
    batch_grads = per_example[shuffles].reshape(2000, N // B, B, 2).mean(2)  # (2000, m, 2)
    draws = (batch_grads**2).sum(-1).mean(-1)  # (1/m) sum_k |grad L_k|^2 per shuffle, (2000,)
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
# Where SGD ends, and how fast it gets there
# ------------------------------------------
# In this model a single step tells the whole story. Every minibatch
# gradient is :math:`g_k\,(b, a)` with the scalar
# :math:`g_k = ab\,\overline{x^2}_k - \overline{xy}_k` (means over the batch),
# and the step :math:`(a, b) \leftarrow (a - \varepsilon g_k b,\ b - \varepsilon g_k a)`
# changes the balance :math:`u = a^2 - b^2`, which the flow of :math:`L`
# conserves, exactly by
#
# .. math::
#
#    u_{k+1} = u_k\,(1 - \varepsilon^2 g_k^2) .
#
# While :math:`\varepsilon|g_k| < \sqrt 2` (checked below) the factor lies in
# :math:`(-1, 1]`, so every step shrinks :math:`|u|`, and it keeps shrinking
# as long as the batch gradients do not vanish. Full-batch GD has
# :math:`g_k = \ell'(ab) \to 0` on the floor, so its :math:`u` freezes
# wherever the descent left it: only GD stops off-balance. For :math:`B < N` the batch gradients on the floor keep a
# mean square :math:`\kappa_B V(c)`, with
# :math:`\kappa_B = \frac{N-B}{B(N-1)}` and
# :math:`V(ab) = \operatorname{Var}_i(r_ix_i)` the factors of the extra SGD
# term, so :math:`u \to 0` for *every* :math:`B < N`: all batch sizes end on
# the diagonal :math:`a = b`, at the balanced minimum (up to a small shift
# of :math:`ab` discussed below). The batch size sets the speed, not the
# destination, and the modified loss gives the speed: both regularisers are
# :math:`(a^2 + b^2)` times a function of :math:`ab`, so its flow has
# :math:`\dot u = -\varepsilon\,(\ell'(ab)^2 + \kappa_B V(ab))\,u`; an epoch
# lasts :math:`t = \varepsilon N/B`, so on the floor
#
# .. math::
#
#    |u| \propto e^{-\rho_B\,e}\ \text{after } e \text{ epochs}, \qquad
#    \rho_B = \varepsilon^2\,\frac NB\,\kappa_B\,V(c) ,
#
# which falls roughly like :math:`1/B^2`: exactly 1,225 times slower at
# :math:`B = 25` than at :math:`B = 1` for :math:`N = 50`.
#
# We run SGD with :math:`\varepsilon = 0.1` from :math:`(2.5, 0.1)`, five
# shuffling seeds per batch size: :math:`B = 1, 2, 5, 10` for about
# :math:`10/\rho_B` epochs (at least 1,000), long enough to arrive;
# :math:`B = 25`, which would need :math:`10/\rho_{25}` epochs (printed), for
# 5,000 to measure its rate; and full-batch GD (:math:`B = 50`) for 200. We
# measure each rate as the slope of :math:`\log|u|` from epoch 20 (by then
# the descent into the valley is over: GD's :math:`|\ell'(ab)|` has fallen
# below 1% of its initial value within 20 steps, checked) until :math:`|u|`
# has fallen a thousandfold or the run ends. For comparison: where the
# gradient flows of :math:`L` and of the GD-modified loss end (at
# :math:`t = 20`, the time of 200 GD steps).
xs, ys = x.numpy(), y.numpy()


def var_rx(v):
    """V(v) = Var_i(r_i x_i) at product ab = v (any shape), with r_i = v x_i - y_i."""
    v = np.asarray(v, dtype=float)
    return ((v[..., None] * xs**2 - xs * ys) ** 2).mean(-1) - (v * sxx - sxy) ** 2  # mean of squares minus l'(v)^2


def kappa(B):
    return (N - B) / (B * (N - 1))


def sgd_runs(B, n_epochs, seeds, lr=0.1, chunk=2000):
    """SGD with reshuffling each epoch, one run per seed, vectorised over the seeds.

    Returns the iterates at the end of every epoch, (n_epochs + 1, 2, n_seeds); the running sum of
    log|1 - lr^2 g_k^2| at the end of every epoch, (n_epochs + 1, n_seeds); and max_k lr |g_k|.
    """
    shuffles = [np.random.default_rng(s) for s in seeds]
    m, n = N // B, len(seeds)
    a, b = np.full(n, theta0[0].item()), np.full(n, theta0[1].item())
    path, log_factor = np.empty((n_epochs + 1, 2, n)), np.zeros((n_epochs + 1, n))
    path[0] = a, b
    running, largest = np.zeros(n), 0.0
    for start in range(0, n_epochs, chunk):  # draw the orders chunk by chunk to bound memory
        n_ep = min(chunk, n_epochs - start)
        order = np.stack([g.permuted(np.tile(np.arange(N), (n_ep, 1)), axis=1) for g in shuffles])  # (n, n_ep, N)
        batch_xx = (xs[order] ** 2).reshape(n, n_ep * m, B).mean(-1).T.copy()  # batch means of x^2, (steps, n)
        batch_xy = (xs[order] * ys[order]).reshape(n, n_ep * m, B).mean(-1).T.copy()
        for k in range(n_ep * m):
            g = a * b * batch_xx[k] - batch_xy[k]  # the minibatch gradient is g (b, a)
            a, b = a - lr * g * b, b - lr * g * a
            running += np.log(np.abs(1 - (lr * g) ** 2))
            largest = max(largest, lr * np.abs(g).max())
            if (k + 1) % m == 0:
                path[start + (k + 1) // m] = a, b
                log_factor[start + (k + 1) // m] = running
    return path, log_factor, largest


rho = {B: 0.1**2 * (N / B) * kappa(B) * var_rx(c) for B in (1, 2, 5, 10, 25)}
n_epochs = {B: max(1000, int(np.ceil(10 / rho[B]))) for B in (1, 2, 5, 10)} | {25: 5000, 50: 200}
runs = {B: sgd_runs(B, n_ep, [SEED + 1000 + s for s in range(5)]) for B, n_ep in n_epochs.items()}
print(f"rho_1 / rho_25 = {rho[1] / rho[25]:.6g}; B = 25 would need 10 / rho_25 = {10 / rho[25]:,.0f} epochs")
assert abs(rho[1] / rho[25] - 1225) < 1e-9, rho  # "exactly 1,225 times slower"
gd_path = runs[50][0][:, :, 0]  # (201, 2)
ell_prime_gd = np.abs(gd_path[:, 0] * gd_path[:, 1] * sxx - sxy)
assert ell_prime_gd[20] < 0.01 * ell_prime_gd[0], ell_prime_gd[[0, 20]]  # the descent is over within 20 steps
flow_end = gradient_flow(loss, theta0, np.array([0.0, 20.0]), n_substeps=400)[-1]
mod_end = gradient_flow(lambda t: modified_loss(loss, t, 0.1), theta0, np.array([0.0, 20.0]), n_substeps=400)[-1]
gd_end = runs[50][0][-1, :, 0]
grad_gd_end = np.linalg.norm(torch.autograd.functional.jacobian(loss, torch.tensor(gd_end)).numpy())
flow_n, mod_n, gd_n = (flow_end**2).sum().item(), (mod_end**2).sum().item(), (gd_end**2).sum()
print(f"a^2 + b^2 at the end: flow of L {flow_n:.3f}; flow of the GD-modified loss {mod_n:.3f}; "
      f"GD {gd_n:.3f} (|grad L| there {grad_gd_end:.1e}); balanced minimum 2c = {2 * c:.3f}")


def balance(path):
    return path[:, 0] ** 2 - path[:, 1] ** 2  # u = a^2 - b^2, (n_epochs + 1, n_seeds)


rate = {}
print(" B   epochs   rho_B (per epoch)   measured rate / rho_B (5 seeds)      a^2+b^2 after 200 epochs   late mean a^2+b^2   "
      "late mean ab   largest eps |g_k|")
for B, (path, _, largest) in runs.items():
    u, s2 = balance(path), (path**2).sum(1)
    late = slice(len(path) // 2, None)  # the second half of the run
    if B < 50:
        ends = [20 + np.argmax(np.abs(u[20:, i]) < 1e-3 * np.abs(u[20, i])) if (np.abs(u[20:, i]) < 1e-3 * np.abs(u[20, i])).any()
                else len(u) - 1 for i in range(u.shape[1])]  # epoch where |u| has fallen a thousandfold, per seed
        rate[B] = np.array([(np.log(abs(u[20, i])) - np.log(abs(u[e, i]))) / (e - 20) for i, e in enumerate(ends)])
    print(f"{B:2d}  {len(path) - 1:6d}   {rho.get(B, 0.0):.2e}            {np.array2string(rate[B] / rho[B], precision=2) if B < 50 else '(GD)':35s}  "
          f"{s2[200].mean():.3f}                      {s2[late].mean():.3f}               {(path[late, 0] * path[late, 1]).mean():.4f}"
          f"         {largest:.2f}")

# %%
# The identity holds to rounding on every run (checked over the first 200
# epochs, while :math:`|u|` is still far above rounding error), and no step
# had :math:`\varepsilon|g_k| \ge \sqrt 2`. GD's balance stops changing: between
# epochs 100 and 200 it moves by less than :math:`10^{-12}` of itself, far
# from 0. Every measured rate lies between 1 and 2.5 times the prediction
# :math:`\rho_B`, across a range of 1,225 in :math:`\rho_B`: the prediction
# is the leading order in :math:`\varepsilon`, and the measured rates are
# faster by corrections of relative order :math:`\varepsilon s_{xx}(a^2 +
# b^2)` that it leaves out (the iterate moves between the batches of an
# epoch and jitters across the valley, which raises the mean square of the
# batch gradients above :math:`\kappa_B V(c)`).
for B, (path, log_factor, largest) in runs.items():
    u = balance(path)
    if B > 1:  # at B = 1, |u| reaches rounding level (1e-16 of a^2) within 200 epochs
        np.testing.assert_allclose(np.log(np.abs(u[200] / u[0])), log_factor[200], rtol=1e-9, atol=1e-9)  # u_{k+1} = u_k (1 - eps^2 g_k^2)
    assert largest < np.sqrt(2), (B, largest)  # every factor 1 - eps^2 g_k^2 lies in (-1, 1]
u_gd = balance(runs[50][0])
assert np.all(np.abs(u_gd[200] - u_gd[100]) < 1e-12 * np.abs(u_gd[200])) and np.all(np.abs(u_gd[200]) > 1), u_gd[[100, 200]]  # GD freezes off-balance
for B in rate:
    assert np.all((rate[B] > rho[B]) & (rate[B] < 2.5 * rho[B])), (B, rate[B] / rho[B])  # the predicted speed, to leading order

# %%
# After the same 200 epochs, the smaller the batch the further it has
# drifted: on every shuffling seed :math:`a^2 + b^2` at epoch 200 grows from
# :math:`B = 1` through :math:`B = 5, 10, 25` to GD's value. But
# that ordering is the speed, not the destination: run long enough, every
# :math:`B < N` ends balanced (in the second half of each run
# :math:`|a^2 - b^2| < 0.05`) with :math:`a^2 + b^2` within 5% of :math:`2c`
# (the remaining shift, largest at :math:`B = 1`, is the subject of the next
# section), while GD stays where it stopped. GD ends on the valley floor
# (the gradient is zero to rounding) slightly below where the flow of
# :math:`L` ends; the
# flow of the modified loss ends on the floor too, in between (at
# :math:`\varepsilon = 0.1` it captures part of GD's shift, the rest being of
# higher order). The full-batch regulariser shifted the endpoint a little
# while descending, and stopped acting there. Almost all of the selection
# comes from the SGD term: GD moved :math:`a^2 + b^2` by less than 2% of what
# batch size 1 did.
grad_mod_end = np.linalg.norm(torch.autograd.functional.jacobian(loss, mod_end).numpy())
print(f"|grad L| at the end of the modified flow: {grad_mod_end:.1e}")
assert grad_gd_end < 1e-10 and grad_mod_end < 1e-8, (grad_gd_end, grad_mod_end)  # both on the valley floor
assert gd_n < mod_n < flow_n, (gd_n, mod_n, flow_n)
at_200 = {B: (runs[B][0][200] ** 2).sum(0) for B in runs}  # a^2 + b^2 at epoch 200, per seed
assert all(np.all(at_200[b1] < at_200[b2]) for b1, b2 in zip((1, 5, 10, 25), (5, 10, 25, 50))), at_200  # smaller batches drifted further
for B in (1, 2, 5, 10):
    late = runs[B][0][len(runs[B][0]) // 2:]
    assert np.abs(balance(late)).max() < 0.05, B  # balanced
    assert abs((late**2).sum(1).mean() - 2 * c) < 0.05 * 2 * c, (B, (late**2).sum(1).mean())  # at the balanced minimum, within 5 %
shift = {B: abs((runs[B][0][len(runs[B][0]) // 2:] ** 2).sum(1).mean() - 2 * c) for B in (1, 2, 5, 10)}
assert shift[1] == max(shift.values()), shift  # "the remaining shift, largest at B = 1"
assert flow_n - gd_n < 0.02 * (gd_n - at_200[1].mean()), (flow_n, gd_n, at_200[1])

fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
colors = {1: "#CC79A7", 2: "#E69F00", 5: "#009E73", 10: "#0072B2", 25: "#56B4E9", 50: "k"}
for B, (path, _, _) in runs.items():
    epochs = np.arange(len(path))
    label = f"SGD, $B = {B}$" if B < 50 else "GD ($B = N = 50$)"
    axes[0].loglog(epochs[1:], np.abs(balance(path)).mean(1)[1:], color=colors[B], lw=2, label=label)
    axes[1].semilogx(epochs[1:], (path**2).sum(1).mean(1)[1:], color=colors[B], lw=2, label=label)
    if B < 50:
        e = np.arange(20, len(path))
        axes[0].loglog(e, np.abs(balance(path)).mean(1)[20] * np.exp(-rho[B] * (e - 20)), ":", color=colors[B], lw=1.5)
axes[0].plot([], [], ":", color="0.3", lw=1.5, label=r"leading order $e^{-\rho_B\,\mathrm{epoch}}$")
axes[0].set_ylim(1e-6, 20)
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("$|a^2 - b^2|$ (mean over 5 shuffling seeds)")
axes[0].set_title("Every $B < N$ drives the balance to 0, at a rate set by $B$;\nfull-batch GD freezes it", fontsize=11)
axes[0].legend(fontsize=9, loc="lower left")
axes[1].axhline(2 * c, color="0.4", ls="--", lw=1)
axes[1].axvline(200, color="0.6", lw=1)
axes[1].annotate("epoch 200", (200, 4.4), ha="right", va="top", rotation=90, fontsize=9, color="0.3")
axes[1].annotate("balanced minimum $2c$", (1.1, 2 * c + 0.05), va="bottom", fontsize=9, color="0.3")
axes[1].set_xlabel("epoch")
axes[1].set_ylabel("$a^2 + b^2$ (mean over 5 shuffling seeds)")
axes[1].set_title("After 200 epochs smaller batches have drifted further;\nin the end every $B < N$ reaches the balanced minimum", fontsize=11)
fig.tight_layout()

# %%
# The modified loss and its minimum
# ---------------------------------
# On the diagonal :math:`a^2 + b^2 = 2ab`, so a late mean of
# :math:`a^2 + b^2` below :math:`2c` (as it can come out for small batches)
# does not mean a minimum flatter than the balanced one: no point of the
# floor :math:`ab = c` has :math:`a^2 + b^2 < 2c`. It means a cloud whose
# :math:`ab` sits off :math:`c`, slightly off the floor: a small-batch run
# ends near, not on, the minima of :math:`L`. The modified loss says where.
# With both terms,
#
# .. math::
#
#    \tilde L_B(a, b) = \ell(ab) + \frac{\varepsilon}{4}\,(a^2 + b^2)\,
#    \big(\ell'(ab)^2 + \kappa_B V(ab)\big) .
#
# At fixed :math:`ab = v > 0`, :math:`a^2 + b^2 \ge 2v` with equality only at
# :math:`a = b`, and the bracket is positive, so :math:`\tilde L_B` is
# minimal on the diagonal, at :math:`a = b = \sqrt{v_B}` where :math:`v_B`
# minimises the cubic :math:`\ell(v) + \frac{\varepsilon}{2}v\,(\ell'(v)^2 +
# \kappa_B V(v))`: a single minimum instead of a valley (in the quadrant
# :math:`a, b > 0` drawn below; :math:`(a, b) \to (-a, -b)` mirrors
# everything), at
# :math:`ab = v_B \ne c`, so not a minimum of :math:`L` (its gradient there
# is printed). We find :math:`v_B` as a root of the quadratic derivative,
# check it against a fine grid of :math:`\tilde L_B` around it, and compare
# it with the late iterates' mean :math:`ab`. The modified loss is exact to
# second order in :math:`\varepsilon` only; the agreement is within 0.3% of
# :math:`c` for :math:`B = 5, 10`, but only within 5% for :math:`B = 1, 2`,
# where single steps are far from small (the largest :math:`\varepsilon|g_k|`
# of each run, printed above, is largest at :math:`B = 1`) and a
# second-order theory is cruder.
def modified_sgd_loss(a, b, B, lr=0.1):
    """L~_B = L + (lr/4)(a^2 + b^2)(l'(ab)^2 + kappa_B V(ab)) (any shapes)."""
    v = a * b
    return 0.5 * (sxx * v**2 - 2 * sxy * v + (ys @ ys) / N) + lr / 4 * (a**2 + b**2) * ((sxx * v - sxy) ** 2 + kappa(B) * var_rx(v))


assert runs[1][2] == max(runs[B][2] for B in runs), {B: runs[B][2] for B in runs}  # the largest steps at B = 1
v_min = {}
for B in (1, 2, 5, 10):
    # d/dv [l(v) + (lr/2) v q(v)] with q(v) = l'(v)^2 + kappa V(v) = q2 v^2 + q1 v + q0
    q2, q1, q0 = np.polyfit([0.0, 1.0, 2.0], [(sxx * v - sxy) ** 2 + kappa(B) * var_rx(v) for v in (0.0, 1.0, 2.0)], 2)
    roots = np.roots([1.5 * 0.1 * q2, sxx + 0.1 * q1, -sxy + 0.05 * q0])
    v_min[B] = roots[np.isreal(roots)].real[np.argmin(np.abs(roots[np.isreal(roots)].real - c))]
    grid = np.sqrt(v_min[B]) + np.linspace(-0.02, 0.02, 401)  # spacing 1e-4
    Ag, Bg_ = np.meshgrid(grid, grid)
    i, j = np.unravel_index(np.argmin(modified_sgd_loss(Ag, Bg_, B)), Ag.shape)
    assert max(abs(Ag[i, j] - np.sqrt(v_min[B])), abs(Bg_[i, j] - np.sqrt(v_min[B]))) <= 1e-4, (B, Ag[i, j], Bg_[i, j])  # grid argmin
    late = runs[B][0][len(runs[B][0]) // 2:]
    mean_ab = (late[:, 0] * late[:, 1]).mean()
    grad_there = abs(sxx * v_min[B] - sxy) * np.sqrt(2 * v_min[B])  # |grad L| = |l'(v)| |(b, a)| at a = b = sqrt(v)
    print(f"B = {B:2d}: minimum of the modified loss at a = b = {np.sqrt(v_min[B]):.4f}, ab = v_B = {v_min[B]:.4f} "
          f"(c = {c:.4f}, |grad L| there {grad_there:.1e}); late iterates: mean ab {mean_ab:.4f}, "
          f"mean a^2 + b^2 {(late**2).sum(1).mean():.4f} (2 v_B = {2 * v_min[B]:.4f})")
    assert abs(mean_ab - v_min[B]) < (0.003 if B >= 5 else 0.05) * c, (B, mean_ab, v_min[B])  # at the modified loss's minimum
    assert grad_there > 0, grad_there  # not a minimum of L

# %%
# The landscape
# -------------
# Prince (*Understanding Deep Learning*, Section 9.2.1 and its figure 9.3)
# draws how the discrete steps leave the continuous path; here the plane of
# the parameters, with :math:`\varepsilon = 0.1` (colour scales logarithmic).
# Top left, :math:`L` with its valley of minima (thin dashes) and the paths
# of the flow of :math:`L` (thick) and of GD (dotted, on top of it), and the
# first 200 epochs of one SGD run with :math:`B = 1` (one dot per epoch). Top
# right, the modified loss :math:`\tilde L_1` itself, on the same colour
# scale (cut at 1): the valley has become a single minimum (cross) near the
# balanced point, the loss rising along the floor away from it, with the
# late iterates of
# the long :math:`B = 1` run around it. Middle left, the GD regulariser
# :math:`\frac{\varepsilon}{4}\|\nabla L\|^2`, zero on the valley floor (the
# dark band); middle right, the extra SGD term for :math:`B = 1`, positive
# on the floor. Bottom, both terms *along* the floor (parameterised by
# :math:`a`, with :math:`b = c/a`): the GD term is zero there, the SGD term
# (log scale; the curves differ only by the factor :math:`\kappa_B`) is
# smallest at the balanced minimum. Open circles: where SGD with
# :math:`B = 5, 10, 25` was after 200 epochs (mean over the seeds); filled:
# the mean of the second half of the long runs.
a_grid, b_grid = np.linspace(-0.2, 3.0, 241), np.linspace(-0.3, 2.2, 201)
A, Bg = np.meshgrid(a_grid, b_grid)  # (201, 241)
V = A * Bg
L_grid = 0.5 * (sxx * V**2 - 2 * sxy * V + (ys @ ys) / N)
ell_p = sxx * V - sxy
reg_gd = 0.1 / 4 * ell_p**2 * (A**2 + Bg**2)
reg_sgd = 0.1 / 4 * (A**2 + Bg**2) * var_rx(V)  # B = 1, where (N - B) / (B (N - 1)) = 1
mod_grid = modified_sgd_loss(A, Bg, 1)
for a, b in ((0.7, 1.9), (2.4, 0.2), (1.3, c / 1.3)):  # the grid formulas against the library's closed form
    full, extra = sgd_regularizer(per_example_grads(a, b), 1)
    np.testing.assert_allclose([0.1 / 4 * (a * b * sxx - sxy) ** 2 * (a * a + b * b), 0.1 / 4 * (a * a + b * b) * var_rx(a * b)],
                               [0.1 / 4 * full, 0.1 / 4 * extra], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(modified_sgd_loss(a, b, 1), loss(torch.tensor([a, b], dtype=torch.float64)).item() + 0.1 / 4 * (full + extra), rtol=1e-12)

fig = plt.figure(figsize=(12, 14))
grid_spec = fig.add_gridspec(3, 2, height_ratios=[1, 1, 0.9])
axes = [fig.add_subplot(grid_spec[i, j]) for i in range(2) for j in range(2)]
hyper_a = np.linspace(c / 2.2, 3.0, 200)
sgd_path = runs[1][0][:201, :, 0]  # the first 200 epochs of one B = 1 run
late_cloud = runs[1][0][len(runs[1][0]) // 2::5, :, 0]  # every fifth epoch of its second half
flow_path = gradient_flow(loss, theta0, np.linspace(0, 20, 201), n_substeps=4).numpy()
panels = ((L_grid - L_grid.min() + 1e-3, 1e-3, 1.0, "loss $L$ (minus its minimum, + 0.001)", True),
          (mod_grid - mod_grid.min() + 1e-3, 1e-3, 1.0, r"modified loss $\tilde L_1$ (minus its minimum, + 0.001)", True),
          (np.maximum(reg_gd, 1e-4), 1e-4, reg_gd.max(), r"GD regulariser $\frac{\varepsilon}{4}\|\nabla L\|^2$ (floored at $10^{-4}$)", False),
          (np.maximum(reg_sgd, 1e-4), 1e-4, reg_sgd.max(), r"extra SGD term, $B = 1$ (floored at $10^{-4}$)", True))
for ax, (Z, low, high, title, valley) in zip(axes, panels):
    # the two losses share a scale that stops at 1, so that the variation along the valley (below 0.1) fills it
    cs = ax.contourf(A, Bg, np.minimum(Z, high), levels=np.logspace(np.log10(low), np.log10(high), 25), norm=LogNorm(), cmap="viridis")
    fig.colorbar(cs, ax=ax, format="%.0e")
    if valley:
        ax.plot(hyper_a, c / hyper_a, color="w", lw=0.8, dashes=(4, 4), label="valley $ab = c$")
    ax.plot(flow_path[:, 0], flow_path[:, 1], color="#D55E00", lw=4, alpha=0.8, label="flow of $L$", zorder=3)
    ax.plot(gd_path[:, 0], gd_path[:, 1], ":", color="k", lw=1.8, label=r"GD, $\varepsilon = 0.1$", zorder=4)
    ax.plot(sgd_path[:, 0], sgd_path[:, 1], ".", color="#CC79A7", ms=5, label="SGD, $B = 1$ (end of each epoch)", zorder=5)
    ax.plot([np.sqrt(c)], [np.sqrt(c)], "*", color="#F0E442", ms=15, mec="k", label="balanced minimum", zorder=6)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("$a$")
    ax.set_ylabel("$b$")
    ax.set_xlim(a_grid[0], a_grid[-1])
    ax.set_ylim(b_grid[0], b_grid[-1])
axes[1].plot(late_cloud[:, 0], late_cloud[:, 1], ".", color="w", ms=3, zorder=5, label="SGD, $B = 1$, late epochs")
axes[1].plot([np.sqrt(v_min[1])], [np.sqrt(v_min[1])], "X", color="#F0E442", ms=10, mec="k", zorder=7,
             label=r"minimum of $\tilde L_1$")
axes[0].legend(fontsize=9, loc="upper right", framealpha=0.9, facecolor="0.8")
axes[1].legend(handles=axes[1].get_lines()[-2:], fontsize=9, loc="upper right", framealpha=0.9, facecolor="0.8")

ax = fig.add_subplot(grid_spec[2, :])
a_floor = np.linspace(0.4, 2.8, 300)
on_floor = (a_floor**2 + (c / a_floor) ** 2) * var_rx(np.full_like(a_floor, c))  # (a^2 + b^2) V(c) on ab = c
floor_term = {B: 0.1 / 4 * kappa(B) * on_floor for B in (1, 2, 5, 10, 25)}
for B, style in zip((1, 2, 5, 10, 25), ("-", "--", "-.", ":", (0, (1, 3)))):
    ax.semilogy(a_floor, floor_term[B], ls=style, color=colors[B], lw=2, label=f"extra SGD term, $B = {B}$")
    a_200 = runs[B][0][200, 0].mean()  # mean over the seeds
    if B >= 5:  # the batch sizes still drifting at epoch 200
        ax.plot(a_200, 0.1 / 4 * kappa(B) * (a_200**2 + (c / a_200) ** 2) * var_rx(c), "o", mfc="white", mec=colors[B], mew=2, ms=9)
    if B < 25:
        a_late = runs[B][0][len(runs[B][0]) // 2:, 0].mean()
        ax.plot(a_late, 0.1 / 4 * kappa(B) * (a_late**2 + (c / a_late) ** 2) * var_rx(c), "o", color=colors[B], ms=7)
ax.axvline(gd_end[0], color="k", lw=1.5, label=f"GD stops here (GD regulariser: zero along the floor)")
ax.axvline(np.sqrt(c), color="#F0E442", lw=2, label="balanced minimum")
ax.plot([], [], "o", mfc="white", mec="0.3", mew=2, ms=9, ls="", label="after 200 epochs")
ax.plot([], [], "o", color="0.3", ms=7, ls="", label="end of the long run")
ax.set_xlabel("position $a$ along the valley floor ($b = c/a$)")
ax.set_ylabel("implicit regulariser")
ax.set_title("Along the floor only the SGD term acts: after 200 epochs the small batches are further down; in the end all reach its minimum",
             fontsize=11)
ax.legend(fontsize=9, loc="upper center", ncols=3)
ax.set_ylim(top=ax.get_ylim()[1] * 30)
fig.suptitle("GD's regulariser vanishes on the valley of minima; the SGD term does not, and turns the valley ($a, b > 0$) into a single minimum")
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
# (the shift is under 2% of what SGD with :math:`B = 1` achieved in 200
# epochs), far from the balanced minimum. What moves SGD *along* the valley
# to its flattest point, where :math:`a^2 + b^2`, the sharpness across the
# valley, is smallest, is the extra SGD term, which stays positive on the
# floor; its closed form matches the Monte Carlo average over shuffles and
# it grows as the batch shrinks (roughly like :math:`1/B`, zero at
# :math:`B = N`). Here every step multiplies :math:`a^2 - b^2` by
# :math:`1 - \varepsilon^2 g_k^2`, so every batch size :math:`B < N` ends at
# the balanced minimum, and the batch size sets only the speed, above but
# within a factor 2.5 of the rate :math:`\varepsilon^2 (N/B)\kappa_B V(c)`
# per epoch that the modified loss predicts to leading order; after a fixed
# number of epochs smaller batches have drifted further, which is what a
# finite training run sees. Only full-batch GD stops off-balance. More
# precisely, the late iterates sit near the minimum of the modified loss
# :math:`\tilde L_B`, a single point on the diagonal where the valley of
# :math:`L` was (their mean :math:`ab` within 0.3% of :math:`c` of it for
# :math:`B = 5, 10`; only within 5% for :math:`B = 1, 2`).

# sphinx_gallery_thumbnail_number = 3
