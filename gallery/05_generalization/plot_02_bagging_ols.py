"""
Bagging least squares does not help, bagging networks does, and dropout is cheap bagging
========================================================================================

Exercises 9.1.1 to 9.1.3 of the Theory of Neural Networks sheet 9 (IDs
``tnn-9/1.1``, ``tnn-9/1.2``, ``tnn-9/1.3``) compare one ordinary
least-squares (OLS) fit on all the data with the average of :math:`m` OLS
fits, each on about two thirds of the data; then ask whether bagging neural
networks is useful and affordable, and how dropout relates to it. The
claims shown here: under the Gauss–Markov assumptions the bagged ensemble
has the same (zero) bias and a *larger* variance than the single fit; for
networks, whose variance is large, bagging helps but multiplies every cost
by :math:`m`; dropout trains an exponentially large ensemble of
weight-sharing subnetworks for roughly the price of one network.
"""

# %%
# Bias and variance of bagged OLS: the argument
# ---------------------------------------------
# Assume the linear model :math:`y = Xw + \varepsilon` with a fixed design
# :math:`X \in \R^{N\times d}` of full column rank and noise with
# :math:`\E[\varepsilon] = 0`, :math:`\operatorname{Cov}[\varepsilon] = \sigma^2 I`
# (uncorrelated, equal variances: the Gauss–Markov assumptions).
#
# *OLS on all the data* is :math:`\hat w = (X^\top X)^{-1}X^\top y = Ay` with
# :math:`AX = I`, hence :math:`\E[\hat w] = AXw = w`: unbiased, with
# :math:`\operatorname{Cov}[\hat w] = \sigma^2 (X^\top X)^{-1}`.
#
# *Bagging.* Model :math:`k` sees the rows :math:`S_k` (about :math:`2N/3` of
# them, assumed to still have full column rank) and returns
# :math:`\hat w_k = A_k y` with :math:`A_k = (X_{S_k}^\top X_{S_k})^{-1} X_{S_k}^\top P_{S_k}`,
# where :math:`P_{S_k}` selects the rows. Since :math:`A_k X = I`, each member
# is unbiased, and so is the average
# :math:`\hat w_{\text{bag}} = C y`, :math:`C = \frac1m\sum_k A_k`, for every
# fixed choice of the subsets: :math:`\E[\hat w_{\text{bag}}\mid S] = CXw = w`.
#
# So, given the subsets, :math:`\hat w_{\text{bag}}` is a *linear unbiased*
# estimator, and Gauss–Markov says that OLS has the smallest variance in that
# class: :math:`\operatorname{Var}[c^\top \hat w_{\text{bag}} \mid S] \ge
# \operatorname{Var}[c^\top \hat w]` for every direction :math:`c` (in
# particular for every prediction :math:`c = x`). The subsets are random, but
# by the law of total variance
#
# .. math::
#
#    \operatorname{Var}[c^\top \hat w_{\text{bag}}]
#    = \E_S\big[\operatorname{Var}[c^\top\hat w_{\text{bag}}\mid S]\big]
#      + \operatorname{Var}_S\big[\underbrace{\E[c^\top\hat w_{\text{bag}}\mid S]}_{= c^\top w}\big]
#    \ge \operatorname{Var}[c^\top \hat w] + 0 .
#
# **Answer.** Bias: both zero. Variance: the ensemble's is at least that of
# the single fit, with equality only if :math:`C = (X^\top X)^{-1}X^\top`
# (e.g. every subset is the whole data set). Averaging does reduce the
# variance *of the members*, each of which used only 2/3 of the data, but
# cannot beat the estimator that uses all of it optimally. Bagging helps
# unstable, high-variance, non-linear learners, not OLS.
#
# The Monte Carlo check below uses :mod:`nntheory.bagging`: :math:`N = 60`,
# :math:`d = 5`, :math:`\sigma = 1`, subsets of :math:`40 = \frac23 N` rows drawn
# afresh for every member and every trial, :math:`2000` noise draws, and the
# bias and variance of the predictions :math:`x^\top\hat w` averaged over 200
# test inputs.
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.bagging import bagged_ols_fit, bias_variance_mc, ols_fit

rng = np.random.default_rng(0)
n_samples, n_features, sigma = 60, 5, 1.0
X = rng.standard_normal((n_samples, n_features))
w_true = rng.standard_normal(n_features)
X_eval = rng.standard_normal((200, n_features))
n_trials = 2000

exact_ols = sigma**2 * np.einsum("ij,jk,ik->i", X_eval, np.linalg.inv(X.T @ X), X_eval).mean()
bias_ols, var_ols = bias_variance_mc(lambda X, y, r: ols_fit(X, y), X, w_true, sigma, X_eval, n_trials=n_trials, rng=rng)
print(f"Monte Carlo noise level of a squared bias: about variance / n_trials = {exact_ols / n_trials:.1e} (OLS)")
print(f"OLS on all data   : bias^2 = {bias_ols:.2e}   variance = {var_ols:.4f}   (exact variance {exact_ols:.4f})")
print(f"distinct rows in a bootstrap sample of size N: on average 1 - (1 - 1/N)^N = {1 - (1 - 1 / n_samples) ** n_samples:.3f} "
      f"of them (-> 1 - 1/e = {1 - np.exp(-1):.3f}); our subsets use 2/3")
ensemble_sizes = [1, 3, 10, 30]
results = []
for m in ensemble_sizes:
    b, v = bias_variance_mc(lambda X, y, r: bagged_ols_fit(X, y, n_models=m, subset_fraction=2 / 3, rng=r), X, w_true, sigma, X_eval,
                            n_trials=n_trials, rng=rng)
    results.append((b, v))
    print(f"bagged, m = {m:2d}    : bias^2 = {b:.2e}   variance = {v:.4f}   variance / OLS variance = {v / var_ols:.3f}")

# The limit m -> infinity: the linear map C = E_S[A_S], estimated from 5000 random subsets.
C = np.zeros((n_features, n_samples))
for _ in range(5000):
    idx = rng.choice(n_samples, size=40, replace=False)
    C[:, idx] += np.linalg.pinv(X[idx]) / 5000  # A_S = (X_S^T X_S)^{-1} X_S^T, scattered into the rows S
var_inf = sigma**2 * np.einsum("ij,jk,ik->i", X_eval, C @ C.T, X_eval).mean()
print(f"bagged, m -> inf  : |CX - I| = {np.abs(C @ X - np.eye(n_features)).max():.1e} (unbiased)   "
      f"variance = {var_inf:.4f}   variance / exact OLS variance = {var_inf / exact_ols:.3f}")

# %%
# Both squared biases are at the Monte Carlo noise level (a few times
# variance / 2000, printed first); the ensemble's variance falls with
# :math:`m` towards, but not below, the single fit's.
fig, (ax, ax_bias) = plt.subplots(1, 2, figsize=(11, 4))
ax.plot(ensemble_sizes, [v for _, v in results], "o-", color="#D55E00", lw=2, label="bagged OLS (Monte Carlo)")
ax.axhline(var_inf, color="#D55E00", ls=":", lw=1.5, label=r"bagged OLS, $m \to \infty$")
ax.axhline(exact_ols, color="#0072B2", lw=2, label=r"OLS on all data, $\sigma^2 x^\top (X^\top X)^{-1} x$")
ax.set_xscale("log")
ax.set_xlabel("ensemble size $m$")
ax.set_ylabel("prediction variance (mean over test inputs)")
ax.set_title("Variance: never below OLS", fontsize=11)
ax.legend(fontsize=9)
ax_bias.plot(ensemble_sizes, [b for b, _ in results], "s-", color="#CC79A7", lw=2, label="bagged OLS")
ax_bias.axhline(bias_ols, color="#0072B2", ls="--", label="OLS on all data")
ax_bias.axhline(exact_ols / n_trials, color="0.4", ls=":", label="Monte Carlo noise level")
ax_bias.set_xscale("log")
ax_bias.set_yscale("log")
ax_bias.set_ylim(1e-6, 1e-2)
ax_bias.set_xlabel("ensemble size $m$")
ax_bias.set_ylabel("squared bias (mean over test inputs)")
ax_bias.set_title("Squared bias: zero up to Monte Carlo noise", fontsize=11)
ax_bias.legend(fontsize=9)
fig.suptitle("Bagged OLS stays unbiased but never beats the variance of one OLS fit on all data")
fig.tight_layout()

# %%
# Bagging neural networks: useful, and what it costs
# --------------------------------------------------
# Networks are the opposite of OLS: low bias, high variance, and
# non-convex training, so members trained on different resamples (and from
# different initialisations) make partly independent errors, and averaging
# :math:`m` of them removes a large part of the variance. Ensembles of a few
# networks are indeed a reliable way to gain accuracy. The price is linear in
# :math:`m`: :math:`m` training runs, :math:`m` sets of weights to store, and
# :math:`m` forward passes per prediction. We measure the training part on
# our small MLPs (one after another, as independent bagging members would be
# trained), and scale up with the parameter count and the forward cost of a
# standard large network (ResNet-50: about 25.6 million parameters and 4.1
# GFLOPs per 224x224 image, as published).
from nntheory.data.teacher_student import make_teacher, sample_teacher_student  # noqa: E402
from nntheory.sweep import train_mlp_loop  # noqa: E402

data = sample_teacher_student(make_teacher(seed=0), 100, 500, generator=torch.Generator().manual_seed(1))
train_mlp_loop(data.X_train, data.y_train, data.X_test, data.y_test, [40], [0], n_steps=20, lr=1e-2)  # warm-up
for m in (1, 2, 4, 8):
    t0 = time.perf_counter()
    train_mlp_loop(data.X_train, data.y_train, data.X_test, data.y_test, [40] * m, list(range(m)), n_steps=200, lr=1e-2)
    print(f"train {m} MLPs 10-40-5 for 200 steps, one after another: {time.perf_counter() - t0:.2f} s")

resnet_params, resnet_gflops = 25.6e6, 4.1
print("\n  m   ResNet-50 weights (float32)   inference GFLOPs / image   training cost")
for m in (1, 5, 10, 100):
    print(f"{m:3d}   {m * resnet_params * 4 / 1e9:8.2f} GB                 {m * resnet_gflops:8.1f}                  {m:3d} x one run")

# %%
# **Answer (1.2).** Useful, yes: averaging reduces the large variance of
# networks. Feasible for a handful of members (:math:`m \approx 5` is common
# practice); for many members it is not, since each one is a full training
# run of days on big models, and a bagged predictor needs :math:`m` times the
# memory and inference time. Bagging also gives each member only about 63% of
# the distinct training points, which raises the members' own error; for
# networks one often uses all data and relies on random initialisation for
# diversity instead.
#
# Dropout as an implicit ensemble
# -------------------------------
# With dropout on :math:`n` units, each training step samples one of
# :math:`2^n` *thinned* subnetworks and takes a gradient step on it with one
# minibatch. This is like bagging in that every member sees different data
# (its minibatch) and is trained to do the task on its own, and unlike
# bagging in that the members **share weights**: almost none of the
# :math:`2^n` subnetworks is ever sampled, but each inherits parameters
# trained in many others. At test time, multiplying by
# :math:`p_{\text{keep}}` replaces the average over all :math:`2^n` members by
# one pass (exact for a linear output, approximately after nonlinearities,
# see :doc:`plot_04_dropout_scaling`). We check this on a tiny network whose
# :math:`2^{10} = 1024` subnetworks can be enumerated.
n_hidden = 10
gen = torch.Generator().manual_seed(0)
W1 = torch.randn(n_hidden, 3, generator=gen, dtype=torch.float64)
W2 = torch.randn(1, n_hidden, generator=gen, dtype=torch.float64) / n_hidden**0.5
x = torch.randn(200, 3, generator=gen, dtype=torch.float64)
h = torch.tanh(x @ W1.T)  # (200, n_hidden)
masks = torch.tensor([[(k >> j) & 1 for j in range(n_hidden)] for k in range(2**n_hidden)], dtype=torch.float64)  # all 1024 subnetworks
members = (h[None] * masks[:, None, :]) @ W2.T  # (1024, 200, 1): linear output
members_tanh = torch.tanh(members)  # the same members with a nonlinear output unit
scaled = 0.5 * h @ W2.T
print(f"\n{2**n_hidden} subnetworks, p_keep = 0.5 (all equally likely)")
print(f"linear output   : max |ensemble mean - scaled single pass| = {(members.mean(0) - scaled).abs().max():.1e}")
print(f"tanh output unit: max |ensemble mean - scaled single pass| = {(members_tanh.mean(0) - torch.tanh(scaled)).abs().max():.3f}"
      f"  (output range {members_tanh.mean(0).abs().max():.2f})")
for n in (10, 100, 1000):
    print(f"a layer of {n:4d} units with dropout: 2^{n} = 10^{n * np.log10(2):.1f} weight-sharing subnetworks")

# %%
# What to notice
# --------------
# **1.1** Under the Gauss–Markov assumptions the bagged OLS ensemble has the
# same bias as one OLS fit on all data (zero; both printed squared biases are
# Monte Carlo noise) and a larger variance: the printed variance ratio stays
# above one for every finite :math:`m`. The infinite ensemble (the averaged
# linear map :math:`C = \E_S[A_S]`, still exactly unbiased, :math:`CX = I`)
# comes very close to OLS here (printed ratio just above one), but, being a
# linear unbiased estimator, it cannot go below: at best, bagging OLS
# reproduces OLS at :math:`m` times the cost. Bagging cannot
# improve on the best linear unbiased estimator.
#
# **1.2** For networks bagging is useful, because their variance is large,
# but its cost grows linearly in :math:`m` (the measured training times grow
# in proportion to :math:`m`, and the printed memory and inference costs of a
# ResNet-50 ensemble do too), so it is feasible only for small :math:`m`.
#
# **1.3** Dropout with :math:`p_{\text{keep}} = 0.5` on every hidden layer trains
# an ensemble of :math:`2^n` subnetworks that share their weights, at roughly
# the cost of one network (longer training, same memory and inference); the
# weight-scaling rule then averages the ensemble in one pass, exactly for a
# linear output (the printed difference is at rounding level) and
# approximately otherwise. Dropout does not always help: it lowers the
# variance but adds bias (on linear regression it is a ridge penalty, see
# :doc:`plot_05_dropout_as_l2`), so on small models or with plenty of data it
# can underfit and hurt; the keep probability is a hyperparameter to tune.

# sphinx_gallery_thumbnail_number = 1
