"""
Bagging least squares does not help, bagging networks does, and dropout is cheap bagging
========================================================================================

Exercises 9.1.1 to 9.1.3 of the Theory of Neural Networks sheet 9 (IDs
``tnn-9/1.1``, ``tnn-9/1.2``, ``tnn-9/1.3``) compare one ordinary
least-squares (OLS) fit on all the data with the average of :math:`m` OLS
fits, each on about two thirds of the data; then ask whether bagging neural
networks is useful and affordable, and how dropout relates to it. The
claims shown here: under the Gauss–Markov assumptions the bagged ensemble
has the same (zero) bias and a *larger* variance than the single fit, by an
amount we compute for every :math:`m`; for networks, whose variance
is large, bagging helps but multiplies the compute by :math:`m`; dropout
trains an exponentially large ensemble of weight-sharing subnetworks for
roughly the price of one network, and for a softmax output the halved
weights average that ensemble exactly, as a geometric mean.
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
# :math:`\operatorname{Cov}[\hat w] = \sigma^2 AA^\top = \sigma^2 (X^\top X)^{-1}`.
#
# *Bagging.* Model :math:`k` sees the rows :math:`S_k` (about :math:`2N/3` of
# them, assumed to still have full column rank) and returns
# :math:`\hat w_k = A_{S_k} y`, where :math:`A_S` is OLS on the rows
# :math:`S` written as a :math:`d\times N` matrix with zero columns outside
# :math:`S`. Since :math:`A_S X = I`, each member is unbiased, and so is the
# average :math:`\hat w_{\text{bag}} = C y`, :math:`C = \frac1m\sum_k A_{S_k}`,
# for every fixed choice of the subsets: :math:`CXw = w`.
#
# **The variance, exactly.** For *any* linear unbiased :math:`Cy` (that is,
# :math:`CX = I`) write :math:`C = A + B` with :math:`BX = 0`. Then
# :math:`AB^\top = (X^\top X)^{-1}(BX)^\top = 0`, so the cross term vanishes
# and, for a prediction at :math:`x`,
#
# .. math::
#
#    \operatorname{Var}[x^\top C y] = \sigma^2\|(A + B)^\top x\|^2
#    = \underbrace{\sigma^2 x^\top (X^\top X)^{-1} x}_{\text{OLS}}
#    + \sigma^2\|B^\top x\|^2 .
#
# This *is* the Gauss–Markov theorem for this class: no linear unbiased
# estimator beats OLS, and the excess is :math:`\sigma^2\|B^\top x\|^2`
# (it also says that :math:`x^\top Cy - x^\top Ay` is uncorrelated with
# :math:`x^\top Ay`). For the ensemble, :math:`B = \frac1m\sum_k B_k` with
# :math:`B_k = A_{S_k} - A` and independent random subsets; averaging over
# them as well (the law of total variance, the conditional mean being
# :math:`x^\top w` for every choice of subsets),
#
# .. math::
#
#    \operatorname{Var}_m = V_{\text{OLS}} + \frac{D_1}{m} + \Big(1 - \frac1m\Big) D_\infty,
#    \qquad
#    D_1 = \sigma^2\,\E_S\|B_S^\top x\|^2,
#    \quad
#    D_\infty = \sigma^2\,\|(\E_S B_S)^\top x\|^2 ,
#
# averaged over the test inputs :math:`x`. Both excesses are :math:`\ge 0`,
# and :math:`D_1 \ge D_\infty` by Jensen, so the ensemble's variance falls
# with :math:`m` from one member's :math:`V_{\text{OLS}} + D_1` to
# :math:`V_{\text{OLS}} + D_\infty`, never below OLS.
#
# **Answer.** Bias: both zero. Variance: the ensemble's is at least that of
# the single fit, with equality only if :math:`B_S^\top x = 0` for every
# subset that can be drawn (e.g. every subset is the whole data set; for
# :math:`m \to \infty` it suffices that :math:`(\E_S B_S)^\top x = 0`). Averaging reduces the variance *of the members*,
# each of which used only 2/3 of the data, but cannot beat the estimator that
# uses all of it optimally. Bagging helps unstable, high-variance, non-linear
# learners, not OLS.
#
# The setting: :math:`N = 60`, :math:`d = 5`, :math:`\sigma = 1`, subsets of
# :math:`40 = \frac23 N` rows, predictions at 200 test inputs. The noise
# enters the formula in closed form; only the two averages over random
# subsets, :math:`D_1` and :math:`D_\infty`, are estimated, from
# :math:`2\times 10^5` subsets (:func:`nntheory.bagging.bagged_ols_variance`,
# which estimates :math:`D_\infty` without the :math:`D_1/K` bias of squaring
# an average of :math:`K` matrices).
import time
from statistics import NormalDist

import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.bagging import bagged_ols_fit, bagged_ols_variance, ols_fit
from nntheory.seeding import base_seed

SEED = base_seed(0)
rng = np.random.default_rng(SEED)
n_samples, n_features, sigma, subset_fraction = 60, 5, 1.0, 2 / 3
subset_size = int(round(subset_fraction * n_samples))  # 40 rows
X = rng.standard_normal((n_samples, n_features))
w_true = rng.standard_normal(n_features)
X_eval = rng.standard_normal((200, n_features))

exact = bagged_ols_variance(X, X_eval, sigma, subset_fraction=subset_fraction, n_subsets=200_000, rng=np.random.default_rng(SEED + 1))
print(f"V_OLS = {exact.ols:.5f} (closed form)")
print(f"D_1   = {exact.excess_one:.5f} +- {exact.excess_one_se:.1e}   (one member: variance {exact.variance(1):.5f})")
print(f"D_inf = {exact.excess_inf:.3e} +- {exact.excess_inf_se:.1e}   (infinite ensemble: variance {exact.variance(np.inf):.5f}, "
      f"{exact.variance(np.inf) / exact.ols - 1:.2%} above OLS)")
# Every member is unbiased: A_S X = I for every subset (checked on 100 random subsets).
worst = max(np.abs(np.linalg.pinv(X[idx]) @ X[idx] - np.eye(n_features)).max()
            for idx in (rng.choice(n_samples, size=subset_size, replace=False) for _ in range(100)))
print(f"max |A_S X - I| over 100 subsets = {worst:.1e}")

# %%
# The excesses are positive and ordered, :math:`D_1 > D_\infty > 0`, each by
# many standard errors of its subset average; so the exact
# :math:`\operatorname{Var}_m` decreases with :math:`m` and stays above OLS
# for every :math:`m`, including :math:`m \to \infty`, which comes within a
# fraction of a percent of OLS here. Each member is exactly unbiased.
assert worst < 1e-12, worst  # A_S X = I: unbiased for every subset
assert exact.excess_inf > 5 * exact.excess_inf_se, exact  # D_inf > 0
assert exact.excess_one - exact.excess_inf > 5 * (exact.excess_one_se + exact.excess_inf_se), exact  # D_1 > D_inf
assert exact.excess_inf < 0.01 * exact.ols, exact  # "within a fraction of a percent"

# %%
# Monte Carlo over the label noise
# --------------------------------
# We check the formula, and the claim "unbiased", by drawing 2000 label
# vectors :math:`y = Xw + \sigma\varepsilon` and fitting OLS and the bagged
# ensembles with :math:`m = 1, 3, 10, 30` *to the same draws* (common random
# numbers, each ensemble with fresh random subsets per draw). Sharing the
# draws lets us estimate the excess of each ensemble over OLS directly, as
# the variance of the paired difference :math:`x^\top(\hat w_{\text{bag}} - \hat w)`,
# which by the identity above is exactly the excess. Two independent Monte
# Carlo estimates of the variances, divided by each other, could not resolve an
# excess of a few percent with 2000 draws: the ratio's standard error is as
# large as the excess of the :math:`m = 30` ensemble (checked below), so it
# would fall below one with a probability of the order of
# :math:`\Phi(-1) \approx 16\%` although the true ratio never does. Standard errors: the
# mean over test inputs of a sample variance is the mean over draws of
# :math:`q_t = \overline{(\hat f_t(x) - \bar f(x))^2}`, so its standard error is
# that of a mean of :math:`q_t`.
n_trials = 2000
ensemble_sizes = [1, 3, 10, 30]
noise_rng, subset_rng = np.random.default_rng(SEED + 2), np.random.default_rng(SEED + 3)
weights = {name: np.empty((n_trials, n_features)) for name in ["OLS", *ensemble_sizes]}
for t in range(n_trials):
    y = X @ w_true + sigma * noise_rng.standard_normal(n_samples)
    weights["OLS"][t] = ols_fit(X, y)
    for m in ensemble_sizes:
        weights[m][t] = bagged_ols_fit(X, y, n_models=m, subset_fraction=subset_fraction, rng=subset_rng)


def variance_mc(preds):
    """Mean over test inputs of the sample variance over draws, and its standard error; preds is (n_trials, n_eval)."""
    q = ((preds - preds.mean(axis=0)) ** 2).mean(axis=1) * n_trials / (n_trials - 1)  # (n_trials,)
    return q.mean(), q.std(ddof=1) / np.sqrt(n_trials)


preds = {name: w @ X_eval.T for name, w in weights.items()}  # (n_trials, n_eval) each
var_ols, se_ols = variance_mc(preds["OLS"])
print(f"OLS      : variance {var_ols:.5f} +- {se_ols:.5f}   exact {exact.ols:.5f}")
mc = {}
for m in ensemble_sizes:
    v, se = variance_mc(preds[m])
    ex, ex_se = variance_mc(preds[m] - preds["OLS"])  # variance of the paired difference = the excess
    d, o = preds[m] - preds["OLS"], preds["OLS"]
    c = ((d - d.mean(axis=0)) * (o - o.mean(axis=0))).mean(axis=1)  # per-draw covariance of difference and OLS, (n_trials,)
    mc[m] = (v, se, ex, ex_se, c.mean(), c.std(ddof=1) / np.sqrt(n_trials))
    print(f"m = {m:2d}   : variance {v:.5f} +- {se:.5f}   exact {exact.variance(m):.5f} | "
          f"excess over OLS {ex:.2e} +- {ex_se:.1e}   exact {exact.excess(m):.2e} | "
          f"cov(difference, OLS) {mc[m][4]:+.1e} +- {mc[m][5]:.1e}")

# %%
# Every Monte Carlo variance, of OLS and of each ensemble, agrees with the
# exact value within four standard errors (the subset averages' own errors
# added), and so does every paired excess, which falls with :math:`m` like
# :math:`D_1/m` towards the floor :math:`D_\infty`. The difference from OLS
# is uncorrelated with OLS, as the identity says (the printed covariances
# are zero within four standard errors). Independent estimates would not
# have settled the question: the ratio of two independent variance
# estimates has a relative standard error of about :math:`\sqrt2` times that
# of one (printed), of the same size as the :math:`m = 30` ensemble's relative
# excess (within a factor of two).
assert abs(var_ols - exact.ols) < 4 * se_ols, (var_ols, exact.ols, se_ols)
for m, (v, se, ex, ex_se, cov, cov_se) in mc.items():
    assert abs(v - exact.variance(m)) < 4 * (se + exact.excess_se(m)), (m, v, exact.variance(m), se)
    assert abs(ex - exact.excess(m)) < 4 * (ex_se + exact.excess_se(m)), (m, ex, exact.excess(m), ex_se)
    assert abs(cov) < 4 * cov_se, (m, cov, cov_se)
ratio_se, rel_excess = np.sqrt(2) * se_ols / var_ols, exact.excess(30) / exact.ols
print(f"relative standard error of a ratio of two independent estimates: {ratio_se:.1%};  relative excess of m = 30: {rel_excess:.1%}")
assert 0.5 < ratio_se / rel_excess < 2, (ratio_se, rel_excess)  # "of the same size"

# %%
# The squared bias of an estimator measured from 2000 draws is not zero even
# when the estimator is unbiased: :math:`(\bar f(x) - x^\top w)^2` has
# expectation :math:`\operatorname{Var}[\hat f(x)]/2000`, so each estimator
# has its *own* noise level, :math:`\operatorname{Var}_m/2000` (one member,
# with the largest variance, has the largest). The sharper test is per test
# input: :math:`z(x) = (\bar f(x) - x^\top w)/\mathrm{se}(x)` is standard
# normal for an unbiased estimator, and by the union bound the largest of the
# 200 values of :math:`|z|` exceeds :math:`z^\ast` with
# :math:`2\cdot 200\,\Phi(-z^\ast) = 10^{-4}` with probability at most
# :math:`10^{-4}`, whatever the correlations between the test inputs.
z_star = -NormalDist().inv_cdf(1e-4 / (2 * X_eval.shape[0]))
bias2, max_z = {}, {}
for name, p in preds.items():
    err = p.mean(axis=0) - X_eval @ w_true  # (n_eval,)
    bias2[name] = (err**2).mean()
    max_z[name] = np.abs(err / (p.std(axis=0, ddof=1) / np.sqrt(n_trials))).max()
    level = (exact.ols if name == "OLS" else exact.variance(name)) / n_trials
    label = "OLS on all data" if name == "OLS" else f"bagged, m = {name}"
    print(f"{label:16s}: squared bias {bias2[name]:.2e}   its noise level Var/n_trials {level:.2e}   "
          f"max |z| over test inputs {max_z[name]:.2f} (threshold {z_star:.2f})")
assert all(z < z_star for z in max_z.values()), max_z  # "unbiased": no test input's mean is off by more than z*

# %%
# The figure: left, the ensemble's variance against :math:`m`, exact curve
# and Monte Carlo points (error bars: two standard errors); middle, the
# excess over OLS on a logarithmic scale, where the infinite ensemble's floor
# :math:`D_\infty` becomes visible (on the left it sits a fraction of a
# percent above the OLS line); right, the squared biases against each
# estimator's own noise level, with the central 99.9% of the values that an
# unbiased estimator with the measured covariance of :math:`\hat w` gives
# (simulated from a Gaussian, which the mean of 2000 draws nearly is).
m_grid = np.logspace(0, 3, 200)
fig, (ax, ax_ex, ax_bias) = plt.subplots(1, 3, figsize=(14, 4.3))
ax.plot(m_grid, exact.variance(m_grid), color="#D55E00", lw=2, label=r"bagged OLS, exact $\mathrm{Var}_m$")
ax.errorbar(ensemble_sizes, [mc[m][0] for m in ensemble_sizes], yerr=[2 * mc[m][1] for m in ensemble_sizes], fmt="o", color="k",
            capsize=4, label="bagged OLS, Monte Carlo")
ax.axhline(exact.ols, color="#0072B2", lw=2, ls="--", label=r"OLS on all data, $\sigma^2 x^\top (X^\top X)^{-1} x$")
ax.set_xscale("log")
ax.set_xlabel("ensemble size $m$")
ax.set_ylabel("prediction variance (mean over test inputs)")
ax.set_title("Variance: falls with $m$, never below OLS", fontsize=11)
ax.legend(fontsize=9)

ax_ex.plot(m_grid, exact.excess(m_grid), color="#D55E00", lw=2, label=r"exact, $D_1/m + (1 - 1/m)D_\infty$")
ax_ex.errorbar(ensemble_sizes, [mc[m][2] for m in ensemble_sizes], yerr=[2 * mc[m][3] for m in ensemble_sizes], fmt="o", color="k",
               capsize=4, label="Monte Carlo, paired with OLS")
ax_ex.axhline(exact.excess_inf, color="#009E73", ls=":", lw=2, label=r"$m \to \infty$: $D_\infty$")
ax_ex.set_xscale("log")
ax_ex.set_yscale("log")
ax_ex.set_xlabel("ensemble size $m$")
ax_ex.set_ylabel(r"excess variance $\mathrm{Var}_m - V_{\mathrm{OLS}}$")
ax_ex.set_title("Excess over OLS: positive for every $m$", fontsize=11)
ax_ex.legend(fontsize=9)

names = ["OLS", *ensemble_sizes]
pos = np.arange(len(names))
M_eval = X_eval.T @ X_eval / X_eval.shape[0]  # mean of x x^T over test inputs, (d, d)
for k, n in enumerate(names):  # central 99.9% of the squared bias of an unbiased estimator with this covariance (simulated)
    L = np.linalg.cholesky(np.cov(weights[n].T) / n_trials)
    e = rng.standard_normal((20_000, n_features)) @ L.T  # (20000, d) simulated errors of the mean weights
    lo, hi = np.quantile(np.einsum("ti,ij,tj->t", e, M_eval, e), [0.0005, 0.9995])
    ax_bias.plot([k, k], [lo, hi], color="0.6", lw=8, solid_capstyle="butt", label="99.9% range if unbiased" if k == 0 else None)
ax_bias.plot(pos, [(exact.ols if n == "OLS" else exact.variance(n)) / n_trials for n in names], "_", color="k", ms=22, mew=2,
             label=r"expectation if unbiased, $\mathrm{Var}/2000$")
ax_bias.plot(pos, [bias2[n] for n in names], "o", color="#CC79A7", ms=8, label="squared bias, Monte Carlo")
ax_bias.set_xticks(pos, ["OLS", *[f"m = {m}" for m in ensemble_sizes]])
ax_bias.set_yscale("log")
ax_bias.set_ylim(top=ax_bias.get_ylim()[1] * 30)
ax_bias.set_ylabel("squared bias (mean over test inputs)")
ax_bias.set_title(f"Squared bias: at each estimator's noise level\n(largest |z| below {z_star:.1f} for all)", fontsize=11)
ax_bias.legend(fontsize=9, loc="upper center", ncols=1)
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
# :math:`m` in *compute and memory*: :math:`m` training runs, :math:`m` sets of
# weights to store, and :math:`m` forward passes per prediction. It need not
# be linear in *wall-clock time*: the members are independent, so with
# :math:`m` devices they train (and predict) in parallel, in the time of one.
# We measure the compute of training on a small MLP (process CPU time, on one
# thread, members one after another), and scale up with the parameter count
# and the forward cost of a standard large network (ResNet-50 as in
# torchvision's model table: 25,557,032 parameters and 4.09 GFLOPs per
# 224x224 image).
from nntheory.data.teacher_student import make_teacher, sample_teacher_student  # noqa: E402

data = sample_teacher_student(make_teacher(seed=0), 100, 500, generator=torch.Generator().manual_seed(SEED + 4))


def train_member(seed, n_steps=300):
    """One bagging member: a 10-40-5 ReLU MLP trained by Adam on a bootstrap resample; returns its test predictions."""
    g = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(10, 40), torch.nn.ReLU(), torch.nn.Linear(40, 5)).double()
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-0.3, 0.3, generator=g)
    idx = torch.randint(0, 100, (100,), generator=g)  # bootstrap resample
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(n_steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(net(data.X_train[idx]), data.y_train[idx]).backward()
        opt.step()
    with torch.no_grad():
        return net(data.X_test)


n_threads = torch.get_num_threads()
torch.set_num_threads(1)  # one thread, so that CPU time counts the members' work and no idle spinning
train_member(SEED)  # warm-up
cpu = {}
for m in (1, 2, 4, 8):
    t0 = time.process_time()
    ensemble = [train_member(SEED + 10 + k) for k in range(m)]
    cpu[m] = time.process_time() - t0
    print(f"train {m} MLPs 10-40-5 for 300 steps, one after another: {cpu[m]:.2f} s CPU  ({cpu[m] / m:.2f} s per member)")
torch.set_num_threads(n_threads)
member_mse = np.array([torch.nn.functional.mse_loss(p, data.y_test).item() for p in ensemble])
average = torch.stack(ensemble).mean(0)
bagged_mse = torch.nn.functional.mse_loss(average, data.y_test).item()
spread = np.mean([torch.nn.functional.mse_loss(p, average).item() for p in ensemble])  # members' variance around their mean
print(f"test MSE of the 8 members: mean {member_mse.mean():.4f} (best {member_mse.min():.4f}); of their average: {bagged_mse:.4f}")
print(f"mean member MSE - MSE of the average = {member_mse.mean() - bagged_mse:.4f};  spread of the members around their average = {spread:.4f}")

resnet_params, resnet_gflops = 25_557_032, 4.09
print("\n  m   ResNet-50 weights (float32)   inference GFLOPs / image   training compute")
for m in (1, 5, 10, 100):
    print(f"{m:3d}   {m * resnet_params * 4 / 1e9:8.2f} GB                 {m * resnet_gflops:8.1f}                  {m:3d} x one run")

# %%
# The measured CPU time per member stays roughly constant (within a factor
# of two of the single member's), so the compute grows in proportion to
# :math:`m`. What averaging buys is the *ambiguity decomposition*: for the
# squared error, the mean member's error minus the error of the average is
# exactly the members' spread around their average (expand
# :math:`\|p_k - y\|^2 = \|p_k - \bar p\|^2 + 2\langle p_k - \bar p, \bar p - y\rangle + \|\bar p - y\|^2`
# and average over :math:`k`; the middle term vanishes). The gain is the
# members' variance, which is large for networks and, for OLS fits on
# subsets, is precisely what the ensemble failed to remove below the single
# fit on all data. The ResNet-50 rows are arithmetic: :math:`m` times the
# weights (4 bytes each) and :math:`m` times the forward cost.
for m in (2, 4, 8):
    assert 0.5 < cpu[m] / (m * cpu[1]) < 2.0, cpu  # compute proportional to m
np.testing.assert_allclose(member_mse.mean() - bagged_mse, spread, rtol=1e-10)  # the ambiguity decomposition
assert spread > 0.05 * bagged_mse, (spread, bagged_mse)  # the networks disagree: a sizeable gain

# %%
# **Answer (1.2).** Useful, yes: averaging reduces the large variance of
# networks. Feasible for a handful of members (:math:`m \approx 5` is common
# practice); for many members the compute is the obstacle: each member is a
# full training run (days on big models), and a bagged predictor needs
# :math:`m` times the memory and the inference compute. Parallel hardware
# hides the training time, not the cost. Bagging also gives each member only
# about 63% of the distinct training points, which raises the members' own
# error; for networks one often uses all data and relies on random
# initialisation for diversity instead.
boot = np.array([np.unique(rng.integers(0, n_samples, n_samples)).size for _ in range(4000)]) / n_samples
expected = 1 - (1 - 1 / n_samples) ** n_samples
print(f"distinct rows in a bootstrap sample of size N = {n_samples}: {boot.mean():.4f} +- {boot.std() / np.sqrt(boot.size):.4f} "
      f"(4000 samples); exact 1 - (1 - 1/N)^N = {expected:.4f}; limit 1 - 1/e = {1 - np.exp(-1):.4f}")
assert abs(boot.mean() - expected) < 4 * boot.std() / np.sqrt(boot.size)  # "about 63%"
assert 0.62 < expected < 0.65

# %%
# Dropout as an implicit ensemble
# -------------------------------
# With dropout on :math:`n` units, every *example* in a minibatch gets its
# own independent mask: a training step on :math:`B` examples samples up to
# :math:`B` of the :math:`2^n` *thinned* subnetworks and moves each on one
# example, by a gradient step on the shared weights. This is like bagging in
# that the members see different data and each is trained to do the task on
# its own, and unlike bagging in that the members **share weights**: almost
# none of the :math:`2^n` subnetworks is ever sampled, but each inherits
# parameters trained in many others. The library's dropout layers draw one
# mask entry per example and unit (below: 100 rows, 100 distinct masks).
#
# At test time, multiplying by :math:`p_{\text{keep}}` replaces the average
# over all :math:`2^n` members by one pass. For a linear output that is the
# arithmetic mean exactly (the output is linear in the mask); after a
# nonlinear output it is only an approximation (see
# :doc:`plot_04_dropout_scaling`). We check both on a tiny network whose
# :math:`2^{10} = 1024` subnetworks can be enumerated.
from nntheory.models.dropout import StandardDropout, all_masks, mask_probabilities  # noqa: E402

gen = torch.Generator().manual_seed(SEED + 5)
batch_masks = StandardDropout(0.5, generator=gen).train()(torch.ones(100, 100, dtype=torch.float64))
n_distinct = len({tuple(r) for r in batch_masks.tolist()})
print(f"one minibatch of 100 examples through a dropout layer of 100 units: {n_distinct} distinct masks")
assert n_distinct == 100, n_distinct  # one mask per example

n_hidden = 10
W1 = torch.randn(n_hidden, 3, generator=gen, dtype=torch.float64)
W2 = torch.randn(1, n_hidden, generator=gen, dtype=torch.float64) / n_hidden**0.5
x = torch.randn(200, 3, generator=gen, dtype=torch.float64)
h = torch.tanh(x @ W1.T)  # (200, n_hidden)
masks = all_masks(n_hidden)  # all 1024 subnetworks, (1024, n_hidden)
members = (h[None] * masks[:, None, :]) @ W2.T  # (1024, 200, 1): linear output
members_tanh = torch.tanh(members)  # the same members with a nonlinear output unit
scaled = 0.5 * h @ W2.T
diff_linear = (members.mean(0) - scaled).abs().max().item()
diff_tanh = (members_tanh.mean(0) - torch.tanh(scaled)).abs().max().item()
print(f"\n{2**n_hidden} subnetworks, p_keep = 0.5 (all equally likely)")
print(f"linear output   : max |ensemble mean - scaled single pass| = {diff_linear:.1e}")
print(f"tanh output unit: max |ensemble mean - scaled single pass| = {diff_tanh:.3f}  (output range {members_tanh.mean(0).abs().max():.2f})")
assert diff_linear < 1e-12, diff_linear  # exact for a linear output (rounding only)
assert diff_tanh > 1e-3, diff_tanh  # not exact after a nonlinearity

# %%
# The classic answer for a softmax output
# ---------------------------------------
# Hinton et al. (2012) and Srivastava et al. (2014) make the link exact for
# the case they started from: one hidden layer of :math:`N` units with
# dropout at :math:`p_{\text{keep}} = \frac12`, and a softmax output. The
# subnetwork with mask :math:`r` predicts
# :math:`o_r = \operatorname{softmax}(z_r)`, :math:`z_r = W(r\odot h) + b`.
# Take the geometric mean of the :math:`2^N` predicted distributions and
# renormalise it over the classes :math:`y`:
#
# .. math::
#
#    \prod_r o_r(y)^{2^{-N}}
#    = \exp\Big(\frac{1}{2^N}\sum_r z_r(y) - \frac{1}{2^N}\sum_r \log\sum_{y'} e^{z_r(y')}\Big)
#    \;\propto_y\; \exp\Big(W\frac{h}{2} + b\Big)(y),
#
# because the log-normaliser does not depend on :math:`y` and
# :math:`\frac{1}{2^N}\sum_r r = \frac12\mathbf 1`. After renormalising,
# the geometric mean of the ensemble *is*
# :math:`\operatorname{softmax}(\frac12 Wh + b)`, the network with its outgoing
# weights halved: exact, for every input, whatever the weights. (With any
# :math:`p_{\text{keep}}` the same steps give the geometric mean weighted by
# the mask probabilities, and :math:`\operatorname{softmax}(p_{\text{keep}}Wh + b)`.)
# Hinton et al. add that, unless all members agree, this average gives the
# correct class a higher log-probability than the members do on average:
# the normaliser :math:`\sum_y\prod_r o_r(y)^{2^{-N}} \le 1` (Hölder), so
# renormalising can only raise the geometric mean. It is a geometric, not an
# arithmetic, mean: the ensemble's plain average of probabilities is
# another number. We check all of this by enumerating the 1024 masks of
# :math:`N = 10` units, for :math:`p_{\text{keep}} = \frac12` and, so that
# :math:`p` and :math:`1-p` cannot be confused, :math:`p_{\text{keep}} = 0.8`.
n_classes = 4
W_out = torch.randn(n_classes, n_hidden, generator=gen, dtype=torch.float64)
b_out = torch.randn(n_classes, generator=gen, dtype=torch.float64)
log_o = torch.log_softmax((h[None] * masks[:, None, :]) @ W_out.T + b_out, dim=-1)  # (1024, 200, n_classes)
for p_keep in (0.5, 0.8):
    prob = mask_probabilities(masks, p_keep)[:, None, None]  # (1024, 1, 1), uniform 1/1024 for p_keep = 1/2
    geo = torch.softmax((prob * log_o).sum(0), dim=-1)  # renormalised weighted geometric mean, (200, n_classes)
    arith = (prob * log_o.exp()).sum(0)
    weight_scaled = torch.softmax(p_keep * h @ W_out.T + b_out, dim=-1)
    diff_geo = (geo - weight_scaled).abs().max().item()
    diff_arith = (arith - weight_scaled).abs().max().item()
    gain = (geo.log() - (prob * log_o).sum(0)).min().item()  # log G(y) - mean_r log o_r(y), over inputs and classes
    print(f"p_keep = {p_keep}: max |geometric mean - weight-scaled softmax| = {diff_geo:.1e}   "
          f"max |arithmetic mean - weight-scaled softmax| = {diff_arith:.3f}   "
          f"min (log G(y) - mean log o_r(y)) = {gain:.2e}")
    assert diff_geo < 1e-12, diff_geo  # exact: the renormalised geometric mean
    assert diff_arith > 1e-3, diff_arith  # the arithmetic mean is a different average
    assert gain > 0, gain  # the averaged prediction beats the members' mean log-probability, for every class
for n in (10, 100, 1000):
    print(f"a layer of {n:4d} units with dropout: 2^{n} = 10^{n * np.log10(2):.1f} weight-sharing subnetworks")

# %%
# What to notice
# --------------
# **1.1** Under the Gauss–Markov assumptions the bagged OLS ensemble has the
# same bias as one OLS fit on all data (zero: every measured squared bias is
# at its own noise level, and no test input's mean is off by more than the
# union-bound threshold) and a larger variance, by exactly
# :math:`D_1/m + (1-1/m)D_\infty`: the Monte Carlo points, paired with OLS
# through shared noise draws, sit on that curve. The infinite ensemble
# (the averaged linear map :math:`\E_S A_S`, still exactly unbiased) comes
# within a fraction of a percent of OLS here, but, being a linear unbiased
# estimator, it cannot go below: at best, bagging OLS reproduces OLS at
# :math:`m` times the cost.
#
# **1.2** For networks bagging is useful, because their variance is large
# (the average of 8 small networks gains the members' spread over their
# average member), but its
# compute and memory grow linearly in :math:`m` (the measured CPU time per
# member is constant, and so are the printed ResNet-50 costs per member), so
# it is feasible only for small :math:`m`; training the members in parallel
# saves time, not compute.
#
# **1.3** Dropout with :math:`p_{\text{keep}} = 0.5` on every hidden layer
# trains an ensemble of :math:`2^n` subnetworks that share their weights, a
# few of them (one per example) at every step, at roughly the cost of one
# network (same memory and inference cost; Srivastava et al. report two to
# three times longer training than without dropout). The weight-scaling
# rule then averages the ensemble in one pass: the arithmetic mean exactly
# for a linear output, the renormalised geometric mean exactly for a softmax
# output after one dropout layer (both printed differences at rounding level),
# and only approximately otherwise. Dropout does not always help: it lowers
# the variance but adds bias (on linear regression it is a ridge penalty,
# see :doc:`plot_05_dropout_as_l2`), so on small models or with plenty of
# data it can underfit and hurt; the keep probability is a hyperparameter to
# tune.

# sphinx_gallery_thumbnail_number = 1
