"""
Regression with noise that grows with the input
===============================================

Exercise 3 of the deep learning exercise sheet (ID ``dl-sheet/3``) works
with a one-dimensional regression data set, ``x_y.csv``, whose noise grows
with :math:`x`. It asks to (a) load and split it 66/33, (b) explain why the
mean squared error is a Gaussian log-likelihood with a fixed noise level,
(c) fit a 1 → 32 → 64 → 1 ReLU network and judge under- or overfitting,
(d) compare a learning rate that is too large, one that is too small, and
a warm-up plus cosine schedule, (e) derive the log-likelihood when the
network predicts a mean *and* a variance, and (f) fit that model. The data
set ships with the package (:mod:`nntheory.data.heteroscedastic`, generated
by a documented seeded model, so we also know the true noise level).

The claim: a network trained with MSE estimates the conditional mean well
but its single noise level is wrong almost everywhere; predicting the
variance as well, trained with the full Gaussian negative log-likelihood,
recovers a noise level that grows with :math:`x`, and its ±1σ and ±2σ bands
are calibrated (we check the coverage, which the sheet does not ask for).
"""

# %%
# (a) Load and split
# ------------------
# :func:`~nntheory.data.heteroscedastic.load_x_y` reads the shipped CSV and
# validates it (header ``x,y``, 1,000 finite rows);
# :func:`~nntheory.data.heteroscedastic.train_test_split` permutes it with an
# explicit generator and keeps a third for testing. For the learning-rate
# study we hold out a further fifth of the training set as a validation set,
# so the test set is only used for the final plots and numbers.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.data import heteroscedastic as het
from nntheory.models.heteroscedastic import MeanMLP, MeanVarianceMLP, gaussian_nll
from nntheory.training import train

rng = np.random.default_rng(0)
generator = torch.Generator().manual_seed(0)

x, y = het.load_x_y()
x_train, x_test, y_train, y_test = het.train_test_split(x, y, test_fraction=1 / 3, rng=rng)
x_fit, x_val, y_fit, y_val = het.train_test_split(x_train, y_train, test_fraction=0.2, rng=rng)
print(f"loaded {x.size} points: {x_train.size} for training, {x_test.size} for testing")
print(f"the training set, for the learning-rate study: {x_fit.size} for fitting, {x_val.size} for validation")

# The network sees a standardised input; the statistics come from training data only.
x_mean, x_std = x_train.mean(), x_train.std()


def to_tensor(a, standardise=False):
    a = (a - x_mean) / x_std if standardise else a
    return torch.as_tensor(a, dtype=torch.float32)


X_train, X_test, X_fit, X_val = (to_tensor(a, True).unsqueeze(1) for a in (x_train, x_test, x_fit, x_val))
Y_train, Y_test, Y_fit, Y_val = (to_tensor(a) for a in (y_train, y_test, y_fit, y_val))
x_grid = np.linspace(0, 10, 400)
X_grid = to_tensor(x_grid, True).unsqueeze(1)

fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
ax.scatter(x_train, y_train, s=8, color="#0072B2", alpha=0.6, label=f"training set ({x_train.size})")
ax.scatter(x_test, y_test, s=8, color="#E69F00", alpha=0.8, label=f"test set ({x_test.size})")
ax.set_xlabel("$x$", fontsize=12)
ax.set_ylabel("$y$", fontsize=12)
ax.legend(fontsize=10)
ax.set_title("x_y.csv: the spread of y around its trend grows with x", fontsize=12)
plt.show()

# %%
# (b) Why the mean squared error is a log-likelihood
# --------------------------------------------------
# With :math:`p(y \mid x, \theta) = \mathcal N(y \mid f_\mu(x), \sigma^2)` and
# independent samples, the log-likelihood of the training set is
#
# .. math::
#
#    \begin{aligned}
#    \log p(\mathbf y \mid \mathbf x, \theta)
#    &= \sum_{i=1}^N \Big[-\tfrac12 \log(2\pi\sigma^2) - \frac{(y_i - f_\mu(x_i))^2}{2\sigma^2}\Big] \\
#    &= -\frac N2 \log(2\pi\sigma^2) - \frac{N}{2\sigma^2}\,\mathrm{MSE}(\theta),
#    \end{aligned}
#
# with :math:`\mathrm{MSE}(\theta) = \frac1N \sum_i (y_i - f_\mu(x_i))^2`. For a
# fixed :math:`\sigma` the first term does not depend on :math:`\theta` and the
# second is a negative multiple of the MSE, so maximising the likelihood in
# :math:`\theta` *is* minimising the MSE, whatever the value of :math:`\sigma`.
# Setting the derivative in :math:`\sigma^2` to zero also gives the maximum
# likelihood noise level, :math:`\hat\sigma^2 = \mathrm{MSE}(\hat\theta)`. A
# numerical check that the mean NLL with a constant variance is this affine
# function of the MSE:
pred = torch.randn(50, generator=generator)
targets = torch.randn(50, generator=generator)
for s2 in (0.1, 1.0, 4.0):
    nll = gaussian_nll(pred, torch.full_like(targets, s2), targets)
    mse = torch.mean((targets - pred) ** 2)
    affine = 0.5 * np.log(2 * np.pi * s2) + mse / (2 * s2)
    print(f"sigma^2 = {s2:3.1f}: mean NLL {nll:.6f}, affine function of the MSE {affine:.6f}")

# %%
# (c) The 1 → 32 → 64 → 1 ReLU network
# ------------------------------------
# :class:`~nntheory.models.heteroscedastic.MeanMLP` has exactly the requested
# layers. We train it with Adam (learning rate :math:`10^{-2}`, batch size
# 64, 150 epochs) on the MSE with the project's explicit loop
# :func:`nntheory.training.train`. To judge the fit we compare with the best
# any model can do: since we know the generating model, the expected MSE of
# the *true* mean on the test set is the average noise variance
# :math:`\frac1{N}\sum_i \sigma(x_i)^2` (the irreducible error).
mse = torch.nn.MSELoss()
model = MeanMLP(hidden=(32, 64), generator=generator)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
hist = train(model, mse, opt, X_train, Y_train, batch_size=64, n_epochs=150, generator=generator, progress=False)

with torch.no_grad():
    train_mse = mse(model(X_train), Y_train).item()
    test_mse = mse(model(X_test), Y_test).item()
    mean_grid = model(X_grid).numpy()
print("MSE on    network   true mean   difference   mean sigma(x)^2")
for name, xs, ys, fitted in [("train", x_train, y_train, train_mse), ("test", x_test, y_test, test_mse)]:
    truth = np.mean((ys - het.true_mean(xs)) ** 2)
    print(f"{name:6s} {fitted:10.4f} {truth:11.4f} {fitted - truth:+12.4f} {np.mean(het.true_std(xs) ** 2):17.4f}")

fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
ax.scatter(x_test, y_test, s=9, color="#E69F00", alpha=0.8, label="test data")
ax.plot(x_grid, het.true_mean(x_grid), "k--", lw=1.5, label=r"true mean $\mu(x)$")
ax.plot(x_grid, mean_grid, color="#0072B2", lw=2.5, label="MLP trained with MSE")
ax.set_xlabel("$x$", fontsize=12)
ax.set_ylabel("$y$", fontsize=12)
ax.legend(fontsize=10)
ax.set_title(f"The MSE fit follows the true mean: train MSE {train_mse:.2f}, test MSE {test_mse:.2f}", fontsize=12)
plt.show()

# %%
# Neither under- nor overfitting. The yardstick is the MSE of the *true*
# mean on the same points (the realised noise, printed above): the network's
# MSE differs from it by a few hundredths at most, on the training and on
# the test set alike. An underfitting model (e.g. a straight line) would sit
# clearly above the yardstick on both sets; an overfitting one would fit
# the training noise (training error well *below* the yardstick) and pay for
# it on the test set (test error well above). The test errors are lower than
# the training errors only because this draw of test points happens to be
# less noisy, as the true mean's own errors show.
#
# (d) Learning rates and a schedule
# ---------------------------------
# We train the same architecture for 120 epochs (batch size 64) with Adam
# at a learning rate that is too large (0.3), one that is too small (:math:`10^{-4}`), and
# with a schedule: a linear warm-up from :math:`10^{-4}` to :math:`10^{-2}`
# over the first 10 epochs, followed by cosine annealing to zero,
#
# .. math::
#
#    \eta_t = \tfrac12\, \eta_{\max} \Big(1 + \cos\frac{\pi (t - t_w)}{T - t_w}\Big),
#    \qquad t_w \le t \le T,
#
# (``torch.optim.lr_scheduler.LinearLR`` then ``CosineAnnealingLR``, chained
# with ``SequentialLR`` and stepped once per epoch). Training and validation
# MSE are recorded after every epoch.
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

N_EPOCHS, WARMUP = 120, 10


def run(lr, schedule=False, hidden=(32, 64), seed=1):
    gen = torch.Generator().manual_seed(seed)
    net = MeanMLP(hidden=hidden, generator=gen)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    sched = None
    if schedule:
        sched = SequentialLR(
            optimizer,
            [LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=WARMUP), CosineAnnealingLR(optimizer, T_max=N_EPOCHS - WARMUP)],
            milestones=[WARMUP],
        )

    def after_epoch(epoch, net):
        lr_now = optimizer.param_groups[0]["lr"]
        if sched is not None:
            sched.step()
        with torch.no_grad():
            return {"val": mse(net(X_val), Y_val).item(), "lr": lr_now}

    h = train(net, mse, optimizer, X_fit, Y_fit, batch_size=64, n_epochs=N_EPOCHS, generator=gen, callback=after_epoch, progress=False)
    return h


runs = {
    "too large: lr = 0.3": run(0.3),
    "too small: lr = 1e-4": run(1e-4),
    "warm-up + cosine, peak 1e-2": run(1e-2, schedule=True),
}
colours = ["#D55E00", "#0072B2", "#009E73"]
fig, (ax, ax_lr) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained", width_ratios=[2.2, 1])
epochs = np.arange(1, N_EPOCHS + 1)
for (name, h), c in zip(runs.items(), colours):
    ax.semilogy(epochs, h.epoch_loss, color=c, lw=2, label=f"{name} (train)")
    ax.semilogy(epochs, h.records["val"], color=c, lw=2, ls="--", label=f"{name} (validation)")
    ax_lr.semilogy(epochs, h.records["lr"], color=c, lw=2)
ax.axhline(np.mean((y_val - het.true_mean(x_val)) ** 2), color="0.3", lw=1, ls=":", label="MSE of the true mean (validation)")
ax.set_xlabel("epoch", fontsize=12)
ax.set_ylabel("MSE", fontsize=12)
ax.legend(fontsize=8.5, ncol=2, loc="upper right")
ax.set_title("Too large: noisy and higher; too small: slow; the schedule: fast, then smooth and lowest", fontsize=11)
ax_lr.set_xlabel("epoch", fontsize=12)
ax_lr.set_ylabel("learning rate", fontsize=12)
ax_lr.set_title("Learning rate used in each epoch", fontsize=11)
plt.show()

print(f"{'MSE after training':30s}{'final train':>12s}{'final val':>11s}{'best val':>10s}")
for name, h in runs.items():
    print(f"{name:30s}{h.epoch_loss[-1]:12.4f}{h.records['val'][-1]:11.4f}{min(h.records['val']):10.4f}")

# %%
# With the rate too large, Adam's steps are bigger than the features of the
# loss it should resolve: the curves jump around at a high level. With the
# rate too small, both curves fall slowly and are still far from the noise
# floor after 120 epochs. The warm-up avoids large, badly directed steps while
# Adam's moment estimates are still poor, and the cosine decay shrinks the
# steps at the end so the weights settle instead of rattling around the
# minimum: its curves are the lowest and smoothest at the end. The
# validation curve follows the training curve in all three runs: this model
# is too small to overfit 534 points in 120 epochs.
#
# Trying other architectures (the sheet's invitation to "play around") with
# the same schedule: a deeper, wider network gives no gain, because the
# requested one already sits near the noise floor, while a single hidden
# layer of 16 units is clearly worse (it underfits the oscillating mean).
print(f"hidden layers (32, 64)    : final validation MSE {runs['warm-up + cosine, peak 1e-2'].records['val'][-1]:.4f}")
for hidden in [(64, 64, 64), (16,)]:
    h = run(1e-2, schedule=True, hidden=hidden)
    print(f"hidden layers {str(hidden):12s}: final validation MSE {h.records['val'][-1]:.4f}")

# %%
# (e) The heteroscedastic log-likelihood
# --------------------------------------
# Now the network outputs a mean :math:`f_\mu(x)` and a variance
# :math:`f_{\sigma^2}(x) > 0`, and
# :math:`p(y \mid x, \theta) = \mathcal N\big(y \mid f_\mu(x), f_{\sigma^2}(x)\big)`.
# The student answer on the sheet says only "insert :math:`\sigma^2(x)`"
# into (b); that misses the point of the exercise. Writing it out for
# independent samples,
#
# .. math::
#
#    -\log p(\mathbf y \mid \mathbf x, \theta)
#    = \sum_{i=1}^N \Big[\tfrac12 \log 2\pi + \tfrac12 \log f_{\sigma^2}(x_i)
#      + \frac{(y_i - f_\mu(x_i))^2}{2 f_{\sigma^2}(x_i)}\Big] .
#
# Three things change compared with (b):
#
# 1. The :math:`\log f_{\sigma^2}(x_i)` term now depends on :math:`\theta` and
#    must stay in the loss. Without it the loss would be minimised by
#    letting every variance go to infinity.
# 2. The squared errors are *weighted* by :math:`1/f_{\sigma^2}(x_i)`: points
#    the model considers noisy pull less on the mean. The loss is no longer
#    a multiple of the MSE.
# 3. For a fixed mean, each variance has its own optimum: the derivative of
#    :math:`\tfrac12\log v + r^2/(2v)` in :math:`v` is
#    :math:`\tfrac1{2v} - \tfrac{r^2}{2v^2}`, zero at :math:`v = r^2`. So the
#    variance head learns the expected squared residual at each :math:`x`,
#    i.e. :math:`\operatorname{Var}[y \mid x]`.
#
# The variance must be positive by construction:
# :class:`~nntheory.models.heteroscedastic.MeanVarianceMLP` uses
# :math:`f_{\sigma^2} = \operatorname{softplus}(s) + 10^{-6}` for the second
# output :math:`s`. Our :func:`~nntheory.models.heteroscedastic.gaussian_nll`
# is the bracket above averaged over samples; it agrees with
# ``torch.nn.GaussianNLLLoss(full=True)``:
m, v, t = torch.randn(100, generator=generator), torch.rand(100, generator=generator) + 0.1, torch.randn(100, generator=generator)
print(f"|gaussian_nll - torch GaussianNLLLoss(full=True)| = "
      f"{abs(gaussian_nll(m, v, t) - torch.nn.GaussianNLLLoss(full=True, eps=0.0)(m, t, v)).item():.2e}")

# %%
# (f) Predicting mean and variance
# --------------------------------
# Same hidden layers (32, 64), two outputs, trained on the full training set
# on the Gaussian NLL with Adam and the warm-up + cosine schedule (peak
# learning rate :math:`5 \cdot 10^{-3}`, 250 epochs, batch size 64).
het_model = MeanVarianceMLP(hidden=(32, 64), generator=generator)
opt = torch.optim.Adam(het_model.parameters(), lr=5e-3)
sched = SequentialLR(opt, [LinearLR(opt, start_factor=0.01, total_iters=15), CosineAnnealingLR(opt, T_max=235)], milestones=[15])


def nll_loss(out, target):
    mean, var = out
    return gaussian_nll(mean, var, target)


h_het = train(het_model, nll_loss, opt, X_train, Y_train, batch_size=64, n_epochs=250, generator=generator,
              callback=lambda epoch, net: sched.step(), progress=False)

with torch.no_grad():
    het_train_nll = nll_loss(het_model(X_train), Y_train).item()
    het_test_nll = nll_loss(het_model(X_test), Y_test).item()
    mu_grid, var_grid = (t.numpy() for t in het_model(X_grid))
    mu_test, var_test = (t.numpy() for t in het_model(X_test))
    homo_mean_test = model(X_test).numpy()
# The homoscedastic model's best single variance is its training MSE (part b).
sigma2_homo = train_mse
homo_test_nll = gaussian_nll(torch.as_tensor(homo_mean_test), torch.full((x_test.size,), sigma2_homo), Y_test).item()
true_test_nll = gaussian_nll(torch.as_tensor(het.true_mean(x_test)), torch.as_tensor(het.true_std(x_test) ** 2), torch.as_tensor(y_test)).item()
print(f"heteroscedastic model: train NLL {het_train_nll:.4f}, test NLL {het_test_nll:.4f}")
print(f"homoscedastic model (sigma^2 = train MSE = {sigma2_homo:.3f}): test NLL {homo_test_nll:.4f}")
print(f"true generating model: test NLL {true_test_nll:.4f}")

sd_grid = np.sqrt(var_grid)
fig, (ax, ax_sd) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
ax.scatter(x_test, y_test, s=9, color="#E69F00", alpha=0.8, label="test data")
ax.fill_between(x_grid, mu_grid - 2 * sd_grid, mu_grid + 2 * sd_grid, color="#56B4E9", alpha=0.35, label=r"predicted mean $\pm 2\sigma(x)$")
ax.plot(x_grid, mu_grid, color="#0072B2", lw=2.5, label="predicted mean")
ax.plot(x_grid, het.true_mean(x_grid) + 2 * het.true_std(x_grid), "k--", lw=1, label=r"true $\mu \pm 2\sigma$")
ax.plot(x_grid, het.true_mean(x_grid) - 2 * het.true_std(x_grid), "k--", lw=1)
ax.set_xlabel("$x$", fontsize=12)
ax.set_ylabel("$y$", fontsize=12)
ax.legend(fontsize=9, loc="upper left")
ax.set_title("Mean and variance network on the test set: the band widens with x", fontsize=11)

ax_sd.plot(x_grid, sd_grid, color="#0072B2", lw=2.5, label=r"predicted $\sigma(x)$")
ax_sd.plot(x_grid, het.true_std(x_grid), "k--", lw=1.5, label=r"true $\sigma(x) = 0.1 + 0.15x$")
ax_sd.axhline(np.sqrt(sigma2_homo), color="#D55E00", lw=2, label=r"MSE model: one $\hat\sigma$ for all $x$")
ax_sd.scatter(x_test, np.abs(y_test - mu_test), s=6, color="0.6", alpha=0.6, label="|test residual|")
ax_sd.set_xlabel("$x$", fontsize=12)
ax_sd.set_ylabel(r"noise standard deviation", fontsize=12)
ax_sd.legend(fontsize=9, loc="upper left")
ax_sd.set_title("The learned noise level tracks the true one", fontsize=11)
plt.show()

# %%
# The training and test NLL are close to each other and to the NLL of the
# true generating model (printed above), so this model does not overfit
# either; its test NLL is well below that of the homoscedastic model with
# its best single variance.
#
# Calibration: does the band mean what it says?
# ---------------------------------------------
# If the predicted Gaussians are right, 68.3% of test points should fall
# within one predicted standard deviation of the predicted mean and 95.4%
# within two. We count, overall and in five bins of :math:`x`, for both
# models.
from math import erf, sqrt

# P(|Z| < k) for a standard normal Z.
ideal = {k: erf(k / sqrt(2)) for k in (1, 2)}
z_het = np.abs(y_test - mu_test) / np.sqrt(var_test)
z_homo = np.abs(y_test - homo_mean_test) / np.sqrt(sigma2_homo)
print(f"{'':24s}{'within 1 sigma':>16s}{'within 2 sigma':>16s}")
print(f"{'Gaussian ideal':24s}{ideal[1]:16.1%}{ideal[2]:16.1%}")
print(f"{'mean + variance model':24s}{np.mean(z_het < 1):16.1%}{np.mean(z_het < 2):16.1%}")
print(f"{'MSE model, one sigma':24s}{np.mean(z_homo < 1):16.1%}{np.mean(z_homo < 2):16.1%}")

edges = np.linspace(0, 10, 6)
centres = 0.5 * (edges[1:] + edges[:-1])
bins = np.digitize(x_test, edges[1:-1])
counts = np.array([np.sum(bins == b) for b in range(5)])
# Binomial standard error of a coverage fraction if the model were exact.
se = np.sqrt(ideal[1] * (1 - ideal[1]) / counts)
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
ax.fill_between(centres, ideal[1] - 2 * se, ideal[1] + 2 * se, color="0.85", label="ideal ± 2 binomial s.e.")
print("fraction within 1 sigma, by bin of x")
print("bin centre  points  mean+var model  MSE model  ideal +- 2 s.e.")
cover = {}
for z, c, name, mk in [(z_het, "#0072B2", "mean + variance model", "o"), (z_homo, "#D55E00", "MSE model (one sigma)", "s")]:
    cover[name] = np.array([np.mean(z[bins == b] < 1) for b in range(5)])
    ax.plot(centres, cover[name], marker=mk, ms=8, lw=2, color=c, label=name)
for i in range(5):
    print(f"{centres[i]:10.0f} {counts[i]:7d} {cover['mean + variance model'][i]:15.1%} {cover['MSE model (one sigma)'][i]:10.1%}"
          f"  {ideal[1] - 2 * se[i]:.1%} to {ideal[1] + 2 * se[i]:.1%}")
ax.axhline(ideal[1], color="k", ls="--", lw=1.5, label="ideal 68.3%")
ax.set_ylim(0, 1.05)
ax.set_xlabel("$x$ (bin centre, 5 bins of the test set)", fontsize=12)
ax.set_ylabel(r"fraction within $\pm 1\sigma$", fontsize=12)
ax.legend(fontsize=10, loc="lower left")
ax.set_title("Only the variance-predicting model is calibrated at every x", fontsize=12)
plt.show()

# %%
# What to notice
# --------------
# * (a) 667 training and 333 test points, from a seeded permutation.
# * (b) With a fixed :math:`\sigma` the Gaussian negative log-likelihood is
#   :math:`\tfrac N2\log(2\pi\sigma^2) + \tfrac{N}{2\sigma^2}\mathrm{MSE}`:
#   minimising the MSE maximises the likelihood, and
#   :math:`\hat\sigma^2 = \mathrm{MSE}`.
# * (c) The 1 → 32 → 64 → 1 ReLU network's MSE is within a few hundredths of
#   the true mean's MSE on both the training and the test set: a good fit
#   of the mean, neither under- nor overfitting.
# * (d) Too large a learning rate leaves the error noisy and high; too small
#   a rate is slow; linear warm-up plus cosine annealing gives the lowest and
#   smoothest final curves. Extra depth and width do not help here; too few
#   units do hurt.
# * (e) The heteroscedastic NLL keeps the :math:`\tfrac12\log f_{\sigma^2}(x)`
#   term and weights each squared error by :math:`1/f_{\sigma^2}(x)`; its
#   optimum variance is the conditional variance. "Insert
#   :math:`\sigma^2(x)`" is not enough.
# * (f) The two-output model's :math:`\pm2\sigma` band widens with
#   :math:`x` like the data; the learned :math:`\sigma(x)` tracks the true one;
#   its test NLL is lower than the homoscedastic model's, and its coverage
#   of :math:`\pm1\sigma` and :math:`\pm2\sigma` is close to the Gaussian
#   68.3% and 95.4% overall, and within the sampling error in every bin of
#   :math:`x` (printed table), while the single-σ model covers far too much
#   at small :math:`x` and too little at large :math:`x`: roughly right at
#   :math:`\pm2\sigma` overall, wrong in every bin.

# sphinx_gallery_thumbnail_number = 4
