"""
Bagging a correct linear model does not help, bagging networks does, and dropout is cheap bagging
=================================================================================================

Exercises 9.1.1 to 9.1.3 of the Theory of Neural Networks sheet 9 (IDs
``tnn-9/1.1``, ``tnn-9/1.2``, ``tnn-9/1.3``) compare one ordinary
least-squares (OLS) fit on all the data with the average of :math:`m` OLS
fits, each on about two thirds of the data; then ask whether bagging neural
networks is useful and affordable, and how dropout relates to it. The
claims shown here: under the Gauss–Markov assumptions the bagged ensemble
has the same (zero) bias and a *larger* variance than the single fit, by an
amount we compute for every :math:`m` (outside those assumptions, with a
misspecified linear model, bagging changes the bias, in either direction);
for networks, whose variance is large, bagging helps but multiplies the
compute by :math:`m`; dropout trains an exponentially large ensemble of
weight-sharing subnetworks with the memory and inference cost of one
network, and for a softmax output after one dropout layer the halved
weights average that ensemble exactly, as a geometric mean. Dropout, too,
does not always help: it trades variance for bias.
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
# :math:`m \to \infty` it suffices that :math:`(\E_S B_S)^\top x = 0`).
# Averaging reduces the variance *of the members*, each of which used only
# 2/3 of the data, but cannot beat the estimator that uses all of it
# optimally. Under these assumptions bagging cannot help OLS; it helps
# unstable, high-variance learners (and, outside the assumptions, it changes
# the bias of OLS too: see below).
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
# The problems here are tiny: one thread is fastest, and it makes the CPU times
# measured below count the work done (sphinx-gallery restores the setting after the page).
torch.set_num_threads(1)
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
    print(f"m = {m:2d}   : variance {v:.5f} +- {se:.5f}   exact {exact.variance(m):.5f}\n"
          f"           excess over OLS {ex:.2e} +- {ex_se:.1e}   exact {exact.excess(m):.2e}\n"
          f"           cov(difference, OLS) {mc[m][4]:+.1e} +- {mc[m][5]:.1e}")

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
print(f"relative standard error of a ratio of two independent estimates: {ratio_se:.1%}\n"
      f"relative excess of m = 30: {rel_excess:.1%}")
assert 0.5 < ratio_se / rel_excess < 2, (ratio_se, rel_excess)  # "of the same size"

# %%
# The squared bias of an estimator measured from 2000 draws is not zero even
# when the estimator is unbiased: :math:`(\bar f(x) - x^\top w)^2` has
# expectation :math:`\operatorname{Var}[\hat f(x)]/2000`, so each estimator
# has its *own* noise level, :math:`\operatorname{Var}_m/2000` (one member,
# with the largest variance, has the largest). Around that level, an
# unbiased estimator's measured squared bias still scatters widely (it is a
# weighted sum of five squared Gaussians, one per weight): we simulate its
# central 99.9% range from the measured covariance of :math:`\hat w` (the
# mean of 2000 draws is Gaussian for OLS and nearly so for the ensembles),
# and every measured squared bias falls inside its range. The five values
# are not five independent confirmations: they come from the *same* noise
# draws, and by the identity above an ensemble's mean error at :math:`x`
# is OLS's mean error plus a part uncorrelated with it, so the two have
# correlation :math:`\sqrt{V_{\text{OLS}}(x)/\operatorname{Var}_m(x)}` over
# the noise: high, since the excess is small next to :math:`V_{\text{OLS}}`
# (the printed ratio of the averages, :math:`V_{\text{OLS}}/\operatorname{Var}_m`,
# is above one half for one member and above 0.8 from :math:`m = 3` on), so
# the five values tend to rise and fall together.
#
# The sharper test is per test input:
# :math:`z(x) = (\bar f(x) - x^\top w)/\mathrm{se}(x)` is approximately
# standard normal for an unbiased estimator, and by the union bound the largest of the
# 200 values of :math:`|z|` exceeds :math:`z^\ast` with
# :math:`2\cdot 200\,\Phi(-z^\ast) = 10^{-4}` with probability at most
# :math:`10^{-4}`, whatever the correlations between the test inputs.
z_star = -NormalDist().inv_cdf(1e-4 / (2 * X_eval.shape[0]))
M_eval = X_eval.T @ X_eval / X_eval.shape[0]  # mean of x x^T over test inputs, (d, d)
bias2, max_z, level, bias_range = {}, {}, {}, {}
for name, p in preds.items():
    err = p.mean(axis=0) - X_eval @ w_true  # (n_eval,)
    bias2[name] = (err**2).mean()
    max_z[name] = np.abs(err / (p.std(axis=0, ddof=1) / np.sqrt(n_trials))).max()
    level[name] = (exact.ols if name == "OLS" else exact.variance(name)) / n_trials
    # central 99.9% of the squared bias of an unbiased estimator with this covariance of w_hat (simulated)
    L = np.linalg.cholesky(np.cov(weights[name].T) / n_trials)
    e = rng.standard_normal((20_000, n_features)) @ L.T  # (20000, d) simulated errors of the mean weights
    bias_range[name] = np.quantile(np.einsum("ti,ij,tj->t", e, M_eval, e), [0.0005, 0.9995])
    label = "OLS on all data" if name == "OLS" else f"bagged, m = {name}"
    print(f"{label:16s}: squared bias {bias2[name]:.2e}   noise level Var/n_trials {level[name]:.2e}\n"
          f"{'':18s}99.9% range if unbiased [{bias_range[name][0]:.1e}, {bias_range[name][1]:.1e}]   "
          f"max |z| {max_z[name]:.2f} (threshold {z_star:.2f})")
print("V_OLS / Var_m (ratio of the averages): " + ", ".join(f"m = {m}: {exact.ols / exact.variance(m):.2f}" for m in ensemble_sizes))
for name in preds:
    lo, hi = bias_range[name]
    assert lo < bias2[name] < hi, (name, bias2[name], lo, hi)  # "inside its 99.9% range"
assert exact.ols / exact.variance(1) > 0.5, exact  # "above one half for one member"
assert all(exact.ols / exact.variance(m) > 0.8 for m in ensemble_sizes[1:]), exact  # "above 0.8 from m = 3 on"
assert all(z < z_star for z in max_z.values()), max_z  # "unbiased": no test input's mean is off by more than z*

# %%
# The figure: left, the ensemble's variance against :math:`m`, exact curve
# and Monte Carlo points (error bars: two standard errors); middle, the
# excess over OLS on a logarithmic scale, where the infinite ensemble's floor
# :math:`D_\infty` becomes visible (on the left it sits a fraction of a
# percent above the OLS line); right, each measured squared bias inside the
# 99.9% range of an unbiased estimator, with the noise level
# :math:`\operatorname{Var}/2000` marked.
m_grid = np.logspace(0, 3, 200)
fig, (ax, ax_ex, ax_bias) = plt.subplots(1, 3, figsize=(14, 4.6))
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
for k, n in enumerate(names):
    lo, hi = bias_range[n]
    ax_bias.plot([k, k], [lo, hi], color="0.6", lw=8, solid_capstyle="butt", label="99.9% range if unbiased" if k == 0 else None)
ax_bias.plot(pos, [level[n] for n in names], "_", color="k", ms=22, mew=2, label=r"noise level $\mathrm{Var}/2000$")
ax_bias.plot(pos, [bias2[n] for n in names], "o", color="#CC79A7", ms=8, label="squared bias, Monte Carlo")
ax_bias.set_xticks(pos, ["OLS", *[f"m = {m}" for m in ensemble_sizes]])
ax_bias.set_yscale("log")
ax_bias.set_xlim(-0.5, len(names) - 0.5)
ax_bias.set_ylabel("squared bias (mean over test inputs)")
ax_bias.set_title("Squared bias: inside the range of an unbiased\nestimator, for all five (shared noise draws)", fontsize=11)
ax_bias.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2)  # below the panel: the bars span its height
fig.suptitle("Bagged OLS stays unbiased but never beats the variance of one OLS fit on all data")
fig.tight_layout()

# %%
# Outside the Gauss–Markov assumptions
# ------------------------------------
# Two assumptions of the argument deserve a second look.
#
# *Duplicates.* A real bootstrap sample draws :math:`N` rows with
# replacement. A row drawn :math:`c_i` times counts :math:`c_i` times in the
# squared error, so the member is weighted least squares,
# :math:`A_W = (X^\top W X)^{-1} X^\top W` with :math:`W = \operatorname{diag}(c)`:
# still linear in :math:`y`, and :math:`A_W X = I`, so still unbiased. The
# identity above and the Gauss–Markov theorem apply unchanged, and so does
# the conclusion.
#
# *A correct model.* If the truth is :math:`y = f + \varepsilon` with
# :math:`f` not a linear function of :math:`x`, every linear fit is biased,
# and bagging changes the bias: :math:`\E[A_S y] = A_S f \ne A f`, so the
# ensemble's mean prediction :math:`x^\top \bar A f`, with
# :math:`\bar A = \E_S A_S` (the same for every :math:`m`), differs from
# OLS's :math:`x^\top A f`. *At the training inputs* OLS is the orthogonal
# projection of :math:`f` onto the column space of :math:`X`, so no linear
# fit has a smaller bias there:
# :math:`\|X\bar A f - f\|^2 = \|XAf - f\|^2 + \|X(\bar A - A)f\|^2`
# (Pythagoras). *At new inputs* either can be closer. We take ten
# misspecified targets on the same design, :math:`f(x) = x_j^3` and
# :math:`f(x) = \sin(2x_j)` for :math:`j = 1, \dots, 5`, estimate
# :math:`\bar A` from :math:`2\times 10^4` random subsets (standard errors
# from 20 groups of subsets), and compare the squared bias at the 200 test
# inputs: bagging lowers it for some targets and raises it for others (at
# least one each way by more than four standard errors).
#
# Can bagging then lower the expected test error? Besides the label noise,
# the members now vary with their subsets even without noise: member
# :math:`k` predicts :math:`x^\top A_{S_k} f`, which differs from subset to
# subset when :math:`f` is not linear. For :math:`m` members on independent
# subsets, the expected squared error at :math:`x` (over the label noise and
# the subsets) is
#
# .. math::
#
#    (x^\top \bar A f - f(x))^2 + \frac1m \operatorname{Var}_S[x^\top A_S f]
#    + \sigma^2\,\E_S\|C^\top x\|^2 ,
#
# with :math:`C = \frac1m\sum_k A_{S_k}` the ensemble's map as above (the
# cross terms vanish: the noise has mean zero, and the deviations of
# :math:`x^\top A_{S_k} f` from :math:`x^\top\bar A f` have mean zero over
# the subsets), and for OLS :math:`(x^\top A f - f(x))^2 + \sigma^2 x^\top(X^\top X)^{-1}x`.
# The ensemble has the smaller expected test error when its squared bias is
# lower than OLS's by more than its excess noise variance
# :math:`D_1/m + (1 - 1/m)D_\infty` *plus* the subset variance
# :math:`\frac1m\operatorname{Var}_S[x^\top A_S f]`, which we estimate from
# the same subsets. So the answer "bagging cannot help OLS" is a statement about the
# correctly specified linear model; Breiman (1996), who introduced bagging,
# locates its gains in *unstable* procedures, whose fit changes a lot when
# the training set is perturbed, and least squares is a stable one.
boot_worst = 0.0
for _ in range(100):
    c = np.bincount(rng.integers(0, n_samples, n_samples), minlength=n_samples)  # multiplicities of a bootstrap sample
    A_W = np.linalg.solve(X.T @ (c[:, None] * X), X.T * c)  # weighted least squares, (d, N)
    boot_worst = max(boot_worst, np.abs(A_W @ X - np.eye(n_features)).max())
print(f"bootstrap members (weighted least squares): max |A_W X - I| over 100 samples = {boot_worst:.1e}")

targets = {**{f"x{j + 1}^3": (lambda Z, j=j: Z[:, j] ** 3) for j in range(n_features)},
           **{f"sin(2 x{j + 1})": (lambda Z, j=j: np.sin(2 * Z[:, j])) for j in range(n_features)}}
F = np.stack([f(X) for f in targets.values()], axis=1)  # targets at the training inputs, (N, 10)
F_eval = np.stack([f(X_eval) for f in targets.values()], axis=1)  # and at the test inputs, (n_eval, 10)
A = np.linalg.pinv(X)  # OLS, (d, N)
sub_rng = np.random.default_rng(SEED + 6)
A_bar_groups, subset_var_groups = [], []
for _ in range(20):  # 20 groups of 1000 random subsets
    idx = np.argsort(sub_rng.random((1000, n_samples)), axis=1)[:, :subset_size]  # (1000, 40)
    XS = X[idx]  # (1000, 40, d)
    AS = np.linalg.solve(XS.transpose(0, 2, 1) @ XS, XS.transpose(0, 2, 1))  # OLS on each subset, (1000, d, 40)
    A_full = np.zeros((1000, n_features, n_samples))
    A_full[np.arange(1000)[:, None, None], np.arange(n_features)[None, :, None], idx[:, None, :]] = AS
    A_bar_groups.append(A_full.mean(axis=0))
    member_preds = X_eval @ A_full @ F  # x^T A_S f for every subset, test input and target, (1000, n_eval, 10)
    subset_var_groups.append(member_preds.var(axis=0, ddof=1).mean(axis=0))  # mean over x of Var_S, (10,)
A_bar = np.mean(A_bar_groups, axis=0)  # E_S A_S, (d, N)
subset_var = np.mean(subset_var_groups, axis=0)  # mean over x of Var_S[x^T A_S f], (10,)
bias2_ols = ((X_eval @ A @ F - F_eval) ** 2).mean(axis=0)  # (10,)
bias2_bag = ((X_eval @ A_bar @ F - F_eval) ** 2).mean(axis=0)
change_groups = np.array([((X_eval @ Ag @ F - F_eval) ** 2).mean(axis=0) - bias2_ols for Ag in A_bar_groups])  # (20, 10)
change_se = change_groups.std(axis=0, ddof=1) / np.sqrt(len(A_bar_groups))
z_change = (bias2_bag - bias2_ols) / change_se
in_ols = ((X @ A @ F - F) ** 2).sum(axis=0)
in_bag = ((X @ A_bar @ F - F) ** 2).sum(axis=0)
pythagoras = in_ols + ((X @ (A_bar - A) @ F) ** 2).sum(axis=0)
print(f"{'target':11s} {'squared bias at the test inputs':>33s}   {'change (bagged - OLS)':>24s}")
print(f"{'':11s} {'OLS':>16s} {'bagged':>16s}")
for name, bo, bb, se_, z in zip(targets, bias2_ols, bias2_bag, change_se, z_change):
    print(f"{name:11s} {bo:16.4f} {bb:16.4f}   {bb - bo:+.4f} +- {se_:.4f} ({z:+5.1f} s.e.)")
# expected test error of OLS minus that of bagging with m = 30: bias change, excess noise variance, subset variance / m
gain = bias2_ols - bias2_bag - exact.excess(30) - subset_var / 30
gain_groups = -change_groups - np.array(subset_var_groups) / 30  # per group of subsets, up to the constant excess, (20, 10)
gain_se = gain_groups.std(axis=0, ddof=1) / np.sqrt(len(A_bar_groups))
best = int(np.argmax(gain / gain_se))
print(f"largest gain in expected test error of the m = 30 ensemble over OLS: {gain[best]:.4f} (+- {gain_se[best]:.4f}), "
      f"target {list(targets)[best]}\n  = bias change {bias2_ols[best] - bias2_bag[best]:.4f} - excess noise variance "
      f"{exact.excess(30):.4f} - subset variance / 30 {subset_var[best] / 30:.4f}")

# %%
# Every bootstrap member is exactly unbiased (rounding), in-sample the
# bagged fit is never closer to :math:`f` than OLS (Pythagoras, checked to
# rounding), and at the test inputs the squared bias moves both ways, at
# least one target each way by more than four standard errors; for at least
# one target the :math:`m = 30` ensemble's expected test error is below
# OLS's by more than four standard errors.
assert boot_worst < 1e-12, boot_worst  # A_W X = I: unbiased
np.testing.assert_allclose(in_bag, pythagoras, rtol=1e-10)  # the Pythagoras identity
assert np.all(in_bag >= in_ols), (in_bag, in_ols)  # in-sample, OLS's bias is the smallest
assert z_change.min() < -4 and z_change.max() > 4, z_change  # "lowers it for some targets and raises it for others"
assert gain[best] > 4 * gain_se[best], (gain, gain_se)  # "bagged OLS even has the smaller expected test error"

# %%
# Bagging neural networks: useful, and what it costs
# --------------------------------------------------
# Networks are the opposite of OLS: low bias, high variance, and
# non-convex training, so members trained on different resamples (and from
# different initialisations) make partly independent errors, and averaging
# them removes part of the variance. For the squared error the gain is
# exact, the *ambiguity decomposition* of Krogh & Vedelsby (1995): the mean
# member's error minus the error of the average is the members' spread
# around their average (expand
# :math:`\|p_k - y\|^2 = \|p_k - \bar p\|^2 + 2\langle p_k - \bar p, \bar p - y\rangle + \|\bar p - y\|^2`
# and average over :math:`k`; the middle term vanishes). So the average is
# never worse than the average member (for any convex loss, by Jensen's
# inequality). How the gain grows with :math:`m`: for members drawn
# independently in the same way, the expected error of their average is
# :math:`\|\E p - y\|^2 + V/m`, with :math:`V` the members' variance, so
# :math:`m` members realise a fraction :math:`1 - 1/m` of the gain of an
# infinite ensemble over one member: 80% with five, 90% with ten. A handful
# of members gets most of it.
#
# The price is linear in :math:`m` in *compute and memory*: :math:`m`
# training runs, :math:`m` sets of weights to store, and :math:`m` forward
# passes per prediction. It need not be linear in *wall-clock time*: the
# members are independent, so with :math:`m` devices they train (and
# predict) in parallel, in the time of one. We measure the compute of
# training on a small MLP (process CPU time, on one thread, members one after
# another), train 8 members on bootstrap resamples and 8 on all of the data
# (different initialisations only), and count the size and forward cost of a
# standard large network, ResNet-50 (torchvision's version), from its
# architecture.
from itertools import combinations  # noqa: E402

from nntheory.data.teacher_student import make_teacher, sample_teacher_student  # noqa: E402

data = sample_teacher_student(make_teacher(seed=0), 100, 500, generator=torch.Generator().manual_seed(SEED + 4))


def train_member(seed, bootstrap=True, n_steps=300):
    """One member: a 10-40-5 ReLU MLP trained by Adam on a bootstrap resample (or all the data); returns its test predictions."""
    g = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(10, 40), torch.nn.ReLU(), torch.nn.Linear(40, 5)).double()
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-0.3, 0.3, generator=g)
    idx = torch.randint(0, 100, (100,), generator=g) if bootstrap else torch.arange(100)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(n_steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(net(data.X_train[idx]), data.y_train[idx]).backward()
        opt.step()
    with torch.no_grad():
        return net(data.X_test)


def resnet50_counts(image_size=224):
    """Parameters and multiply-accumulates (convolutions and the final layer) of torchvision's ResNet-50, counted layer by layer."""
    params = macs = 0

    def conv(c_in, c_out, k, stride, h):  # a k x k convolution without bias, then batch norm (scale and shift)
        nonlocal params, macs
        h_out = (h + 2 * (k // 2) - k) // stride + 1
        params += c_in * c_out * k * k + 2 * c_out
        macs += c_in * c_out * k * k * h_out * h_out
        return h_out

    h = conv(3, 64, 7, 2, image_size)
    h = (h + 2 - 3) // 2 + 1  # 3x3 max-pool, stride 2
    c = 64
    for width, n_blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(n_blocks):  # bottleneck blocks 1x1, 3x3 (carrying the stride), 1x1 to 4 x width
            s = stride if b == 0 else 1
            h_out = conv(width, 4 * width, 1, 1, conv(width, width, 3, s, conv(c, width, 1, 1, h)))
            if b == 0:
                conv(c, 4 * width, 1, s, h)  # projection shortcut
            c, h = 4 * width, h_out
    params += c * 1000 + 1000  # global average pool, then the 1000-way linear layer
    macs += c * 1000
    return params, macs


train_member(SEED)  # warm-up
ensemble, member_cpu = [], []
for k in range(8):  # the members one after another, each timed
    t0 = time.process_time()
    ensemble.append(train_member(SEED + 10 + k))
    member_cpu.append(time.process_time() - t0)
cpu = {m: sum(member_cpu[:m]) for m in (1, 2, 4, 8)}  # CPU time to train m members
per_member = np.median(member_cpu)
for m in cpu:
    print(f"train {m} MLPs 10-40-5 for 300 steps, one after another: {cpu[m]:.2f} s CPU "
          f"({cpu[m] / (m * per_member):.2f} x m x the median member's {per_member:.3f} s)")
full_data = [train_member(SEED + 30 + k, bootstrap=False) for k in range(8)]


def ensemble_errors(members):
    """Each member's test MSE, the test MSE of their average, and the members' spread around the average."""
    average = torch.stack(members).mean(0)
    member_mse = np.array([torch.nn.functional.mse_loss(p, data.y_test).item() for p in members])
    spread = np.mean([torch.nn.functional.mse_loss(p, average).item() for p in members])
    return member_mse, torch.nn.functional.mse_loss(average, data.y_test).item(), spread


member_mse, bagged_mse, spread = ensemble_errors(ensemble)
full_mse, full_avg_mse, full_spread = ensemble_errors(full_data)
for label, mm, avg, sp in (("bootstrap resamples", member_mse, bagged_mse, spread), ("all data, init only", full_mse, full_avg_mse, full_spread)):
    print(f"8 members on {label}: member test MSE {mm.mean():.4f} +- {mm.std(ddof=1) / np.sqrt(mm.size):.4f}, "
          f"average's {avg:.4f}\n{'':12s}mean member - average = {mm.mean() - avg:.4f}; spread around the average = {sp:.4f}")
# every sub-ensemble of the 8 bootstrap members: mean test MSE of the average of m of them
K = len(ensemble)
sub_mse = {m: np.mean([torch.nn.functional.mse_loss(torch.stack([ensemble[i] for i in S]).mean(0), data.y_test).item()
                       for S in combinations(range(K), m)]) for m in range(1, K + 1)}
sub_formula = {m: bagged_mse + spread * (K - m) / (m * (K - 1)) for m in sub_mse}
print("mean test MSE of the average of m of the 8 (all subsets) | finite-population formula:")
print("  " + "   ".join(f"m = {m}: {sub_mse[m]:.4f} | {sub_formula[m]:.4f}" for m in (1, 2, 5, 8)))

resnet_params, resnet_macs = resnet50_counts()
print(f"\nResNet-50 (counted): {resnet_params:,} parameters, {resnet_macs / 1e9:.3f} G multiply-accumulates per 224x224 image")
print("  m   weights (float32)   multiply-accumulates / image   training compute")
for m in (1, 5, 10, 100):
    print(f"{m:3d}   {m * resnet_params * 4 / 1e9:8.2f} GB         {m * resnet_macs / 1e9:8.1f} G                    {m:3d} x one run")

# %%
# The CPU time to train :math:`m` members is :math:`m` times the median
# member's within a factor of two (the timings of single short runs are
# noisy on a shared machine), so the compute grows in proportion to
# :math:`m`. The ambiguity decomposition holds to rounding for both
# ensembles, and the spread is a sizeable part of the error (more than 30 %
# of the average's error). Averaged over
# all :math:`\binom{8}{m}` sub-ensembles of the 8 bootstrap members, the
# error of the average follows the finite-population form of
# :math:`V/m`,
# :math:`\mathrm{MSE}(\bar p_8) + s^2\,\frac{8 - m}{m\,(8 - 1)}` with
# :math:`s^2` the spread (to rounding). So :math:`m` of these 8, drawn
# without replacement, realise the fraction :math:`8(m-1)/(7m)` of the
# 8-average's gain over a single member (57 % at :math:`m = 2`, checked),
# which tends to the :math:`1 - 1/m` of the law above as the population
# grows. Resampling did not make the members measurably worse here, although
# each saw only about 63% of the distinct points (their mean error differs
# from that of the members trained on all the data by less than three
# standard errors of the difference: these small networks overfit either
# way), but it made them disagree more, and their average beat the average
# of the members trained on all the data (by more than four standard errors
# over the test points, for these 16 trained networks). ResNet-50:
# counting its convolutions and final layer gives exactly the 25,557,032
# parameters of torchvision's model table, and
# :math:`4.09\times 10^9` multiply–accumulates per image, the number that
# table lists as "GFLOPS": about :math:`8.2\times 10^9` floating-point
# operations if a multiply and an add count as two. The table's rows are
# arithmetic: :math:`m` times the weights (4 bytes each) and :math:`m`
# times the forward cost.
for m in (2, 4, 8):
    assert 0.5 < cpu[m] / (m * per_member) < 2.0, member_cpu  # compute proportional to m
np.testing.assert_allclose(member_mse.mean() - bagged_mse, spread, rtol=1e-10)  # the ambiguity decomposition
np.testing.assert_allclose(full_mse.mean() - full_avg_mse, full_spread, rtol=1e-10)
assert spread > 0.3 * bagged_mse, (spread, bagged_mse)  # "the spread is a sizeable part of the error"
realised = {m: (sub_mse[1] - sub_mse[m]) / (sub_mse[1] - sub_mse[K]) for m in (2, 5)}
np.testing.assert_allclose([realised[m] for m in (2, 5)], [K * (m - 1) / ((K - 1) * m) for m in (2, 5)], rtol=1e-8)  # 8(m-1)/(7m)
np.testing.assert_allclose([sub_mse[m] for m in sub_mse], [sub_formula[m] for m in sub_mse], rtol=1e-10)  # the V/m law, finite form
diff_se = np.hypot(member_mse.std(ddof=1), full_mse.std(ddof=1)) / np.sqrt(K)
assert abs(member_mse.mean() - full_mse.mean()) < 3 * diff_se, (member_mse, full_mse)  # "not measurably worse"
assert spread > full_spread, (spread, full_spread)  # "disagree more"
point_diff = (((average_boot := torch.stack(ensemble).mean(0)) - data.y_test) ** 2 - (torch.stack(full_data).mean(0) - data.y_test) ** 2).mean(1).numpy()
print(f"average of bootstrap members minus average of all-data members, test MSE: {point_diff.mean():+.4f} "
      f"+- {point_diff.std(ddof=1) / np.sqrt(point_diff.size):.4f} (over {point_diff.size} test points)")
assert point_diff.mean() < -4 * point_diff.std(ddof=1) / np.sqrt(point_diff.size), point_diff.mean()  # "their average beat"
assert resnet_params == 25_557_032, resnet_params  # torchvision's table
assert round(resnet_macs / 1e9, 2) == 4.09, resnet_macs  # torchvision's "GFLOPS" column counts multiply-accumulates

# %%
# **Answer (1.2).** Useful, yes: averaging reduces the large variance of
# networks, and by the :math:`1 - 1/m` law a handful of members gives most
# of the gain. Feasible for a handful; for many members the compute is the
# obstacle: each member is a full training run (days on big models), and a
# bagged predictor needs :math:`m` times the memory and the inference
# compute. Parallel hardware hides the training time, not the cost.
# Bagging also gives each member only about 63% of the distinct training
# points; whether that costs the members accuracy depends on how much they
# need the data (here it did not, measurably), and the resampling adds
# diversity: on this problem the bagged average beat an ensemble of members
# trained on all the data that differ only in their initialisation.
boot = np.array([np.unique(rng.integers(0, n_samples, n_samples)).size for _ in range(4000)]) / n_samples
expected = 1 - (1 - 1 / n_samples) ** n_samples
print(f"distinct rows in a bootstrap sample of size N = {n_samples}: {boot.mean():.4f} +- {boot.std() / np.sqrt(boot.size):.4f} "
      f"(4000 samples)\nexact 1 - (1 - 1/N)^N = {expected:.4f}; limit 1 - 1/e = {1 - np.exp(-1):.4f}")
assert abs(boot.mean() - expected) < 4 * boot.std() / np.sqrt(boot.size)  # "about 63%"
assert 0.62 < expected < 0.65

# %%
# Dropout as an implicit ensemble
# -------------------------------
# With dropout on :math:`n` units, every *example* in a minibatch gets its
# own independent mask: a training step on :math:`B` examples evaluates up
# to :math:`B` of the :math:`2^n` *thinned* subnetworks, each on its one
# example, and then takes a single step on the shared weights along the
# average of the :math:`B` per-example gradients. This is like bagging in
# that the members see different data and each is trained to do the task on
# its own, and unlike bagging in that the members **share weights**: each
# subnetwork inherits parameters trained in many others. For a large layer
# almost none of the :math:`2^n` subnetworks is ever sampled: with
# :math:`n = 100` units, :math:`10^6` steps of :math:`B = 100` examples draw
# :math:`10^8` masks, at most a fraction :math:`10^8/2^{100} < 10^{-22}` of
# the subnetworks. A small layer is the opposite: after :math:`T`
# independent draws, on average :math:`2^n(1 - 2^{-n})^T` subnetworks are
# still unseen, which for the :math:`n = 10` units below is about 38% of them
# after 10 steps of 100 examples, and 0.06 subnetworks (almost surely none)
# after 100 steps. The library's dropout layers draw one mask entry per
# example and unit (below: 100 rows, 100 distinct masks), and 10 minibatches
# of 100 examples through 10 units see the number of distinct masks the
# formula predicts.
from nntheory.models.dropout import StandardDropout, all_masks, mask_probabilities  # noqa: E402

gen = torch.Generator().manual_seed(SEED + 5)
batch_masks = StandardDropout(0.5, generator=gen).train()(torch.ones(100, 100, dtype=torch.float64))
n_distinct = len({tuple(r) for r in batch_masks.tolist()})
print(f"one minibatch of 100 examples through a dropout layer of 100 units: {n_distinct} distinct masks")
small_masks = StandardDropout(0.5, generator=gen).train()(torch.ones(1000, 10, dtype=torch.float64))  # 10 steps x 100 examples
seen = len({tuple(r) for r in small_masks.tolist()})
M, T = 2**10, 1000
unseen_mean = M * (1 - 1 / M) ** T  # expected number of never-drawn masks
seen_var = M * (M - 1) * (1 - 2 / M) ** T + unseen_mean - unseen_mean**2  # exact variance of the unseen (= of the seen) count
print(f"10 minibatches of 100 through 10 units: {seen} of {M} masks seen; expected {M - unseen_mean:.1f} +- {seen_var**0.5:.1f} "
      f"({unseen_mean / M:.0%} unseen)\nexpected unseen after 100 steps: {M * (1 - 1 / M) ** 10_000:.3f};  "
      f"n = 100, 1e8 draws: fraction sampled <= {1e8 / 2**100:.1e}")
assert n_distinct == 100, n_distinct  # one mask per example
assert abs(seen - (M - unseen_mean)) < 4 * seen_var**0.5, (seen, M - unseen_mean)  # "the number the formula predicts"
assert abs(unseen_mean / M - 0.38) < 0.005 and abs(M * (1 - 1 / M) ** 10_000 - 0.06) < 0.005  # "about 38%", "0.06"
assert 1e8 / 2**100 < 1e-22  # "at most a fraction 1e8 / 2^100 < 1e-22"

# %%
# The weight-scaling rule: when it is exact
# -----------------------------------------
# At test time, multiplying by :math:`p_{\text{keep}}` replaces the average
# over all members by one pass. When the dropped units feed a *linear output
# directly* (dropout on the last hidden layer, or on the inputs of a linear
# model), the output is linear in the mask and the pass is the arithmetic
# mean of the ensemble, exactly. With dropout on *every* hidden layer, the
# setting of 1.3, the output is a nonlinear function of the earlier layers'
# masks even when the output unit is linear, and the rule is an
# approximation; so it is after a nonlinear output unit (see
# :doc:`plot_04_dropout_scaling`). We enumerate every mask, with
# :math:`p_{\text{keep}} = \frac12`, of a :math:`3 \to 10 \to 1` tanh network
# (1024 subnetworks) with a linear and with a tanh output unit, and of a
# :math:`3 \to 5 \to 5 \to 1` tanh network with a linear output, with
# dropout on its last hidden layer only (32 subnetworks) and on both hidden
# layers (1024).
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

V1 = torch.randn(5, 3, generator=gen, dtype=torch.float64)
V2 = torch.randn(5, 5, generator=gen, dtype=torch.float64) / 5**0.5
v3 = torch.randn(1, 5, generator=gen, dtype=torch.float64) / 5**0.5
g1 = torch.tanh(x @ V1.T)  # first hidden layer, (200, 5)
r1, r2 = masks[:, :5], masks[:, 5:]  # the 1024 masks split over the two layers, (1024, 5) each
two_layer = (torch.tanh((g1[None] * r1[:, None, :]) @ V2.T) * r2[:, None, :]) @ v3.T  # (1024, 200, 1)
two_layer_scaled = 0.5 * torch.tanh(0.5 * g1 @ V2.T) @ v3.T
last_only = (torch.tanh(g1 @ V2.T)[None] * all_masks(5)[:, None, :]) @ v3.T  # (32, 200, 1)
last_only_scaled = 0.5 * torch.tanh(g1 @ V2.T) @ v3.T
diff_last = (last_only.mean(0) - last_only_scaled).abs().max().item()
diff_both = (two_layer.mean(0) - two_layer_scaled).abs().max().item()
print(f"p_keep = 0.5, every mask enumerated: max |ensemble mean - weight-scaled single pass| over 200 inputs")
print(f"  3-10-1, linear output            : {diff_linear:.1e}")
print(f"  3-10-1, tanh output unit          : {diff_tanh:.3f}  (outputs up to {members_tanh.mean(0).abs().max():.2f})")
print(f"  3-5-5-1, dropout on layer 2 only  : {diff_last:.1e}")
print(f"  3-5-5-1, dropout on both layers   : {diff_both:.3f}  (outputs up to {two_layer.mean(0).abs().max():.2f})")

# %%
# Exact (rounding only) where the dropped units feed the linear output
# directly; off by far more than rounding after a tanh output unit and,
# with a linear output, when the first hidden layer is dropped too.
assert diff_linear < 1e-12 and diff_last < 1e-12, (diff_linear, diff_last)  # exact: output linear in the mask
assert diff_tanh > 1e-3, diff_tanh  # not exact after a nonlinear output
assert diff_both > 1e-3, diff_both  # not exact with dropout on an earlier layer, even with a linear output

# %%
# The classic answer for a softmax output
# ---------------------------------------
# Hinton et al. (2012), who introduced dropout, make the link exact for the
# case they started from: one hidden layer of :math:`N` units with dropout
# at :math:`p_{\text{keep}} = \frac12`, and a softmax output (Goodfellow et
# al., 2016, §7.12, give the same derivation for softmax regression, i.e.
# dropout on the inputs of a softmax layer). The
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
# Moreover, unless all members agree, this average gives every class (the
# correct one included) a higher log-probability than the members do on average:
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
    print(f"p_keep = {p_keep}: max |geometric mean - weight-scaled softmax| = {diff_geo:.1e}\n"
          f"              max |arithmetic mean - weight-scaled softmax| = {diff_arith:.3f}\n"
          f"              min (log G(y) - mean log o_r(y)) = {gain:.2e}")
    assert diff_geo < 1e-12, diff_geo  # exact: the renormalised geometric mean
    assert diff_arith > 1e-3, diff_arith  # the arithmetic mean is a different average
    assert gain > 0, gain  # the averaged prediction beats the members' mean log-probability, for every class
for n in (10, 100, 1000):
    print(f"a layer of {n:4d} units with dropout: 2^{n} = 10^{n * np.log10(2):.1f} weight-sharing subnetworks")

# %%
# Does dropout always help?
# -------------------------
# No: it lowers the variance and adds bias. The case that can be solved
# exactly is the sheet's 1.6, dropout on the inputs of linear regression with
# test-time scaling by :math:`p = p_{\text{keep}}` (derived in
# :doc:`plot_05_dropout_as_l2`). Written for the test-time weights
# :math:`v = p\,w`, the expected training loss is
# :math:`\|y - Xv\|^2 + \lambda \sum_j v_j^2 \|X_{:j}\|^2` with
# :math:`\lambda = (1 - p)/p`, so the test-time predictor is a ridge
# regression, :math:`\hat v = (X^\top X + \lambda \operatorname{diag}(X^\top X))^{-1} X^\top y = Cy`.
# The penalty grows with the number :math:`N` of training rows as fast as the
# data term, so it does not fade with more data: for isotropic inputs
# :math:`X^\top X \approx N I` and :math:`\hat v \to w/(1 + \lambda) = p\,w`.
# The predictions stay shrunk by the factor :math:`p` however much data
# there is, a squared bias :math:`(1 - p)^2\|w\|^2` at a random test input,
# while the variance vanishes like :math:`1/N` (for OLS exactly
# :math:`\sigma^2 d/(N - d - 1)` with Gaussian inputs). So dropout helps
# when data are scarce and noisy, and hurts when they are plentiful. We
# compute the expected excess test error of both predictors, exactly over the
# label noise and over Gaussian test inputs
# (:math:`\|(CX - I)w\|^2 + \sigma^2\operatorname{tr}(CC^\top)`), averaged
# over 200 random Gaussian designs per :math:`N` (error bars: two standard
# errors over designs, mostly smaller than the markers), with :math:`d = 5`,
# :math:`\sigma = 1` and :math:`\|w\| = 1` (the page's :math:`w` normalised).
w_unit = w_true / np.linalg.norm(w_true)
design_rng = np.random.default_rng(SEED + 7)
N_grid = [10, 15, 20, 30, 50, 100, 300, 1000, 3000]
risk = {}  # (name, N) -> (mean, s.e.) of the excess test error over designs; plus the dropout bias
for N in N_grid:
    Xs = design_rng.standard_normal((200, N, n_features))  # 200 designs, (200, N, d)
    G = Xs.transpose(0, 2, 1) @ Xs  # (200, d, d)
    ols_var = sigma**2 * np.trace(np.linalg.inv(G), axis1=1, axis2=2)
    risk["OLS", N] = (ols_var.mean(), ols_var.std(ddof=1) / np.sqrt(200))
    for p_keep in (0.8, 0.5):
        lam = (1 - p_keep) / p_keep
        C = np.linalg.solve(G + lam * G * np.eye(n_features), Xs.transpose(0, 2, 1))  # (200, d, N)
        b = (C @ Xs - np.eye(n_features)) @ w_unit  # bias of the test-time weights, (200, d)
        total = (b**2).sum(axis=1) + sigma**2 * (C**2).sum(axis=(1, 2))
        risk[p_keep, N] = (total.mean(), total.std(ddof=1) / np.sqrt(200))
        risk["bias2", p_keep, N] = (b**2).sum(axis=1).mean()
print("expected excess test error (mean over 200 designs)")
print(f"{'N':>6s} {'OLS exact':>10s} {'OLS':>17s} {'dropout p=0.8':>20s} {'dropout p=0.5':>20s}")
for N in N_grid:
    print(f"{N:6d} {sigma**2 * n_features / (N - n_features - 1):10.4f} "
          + " ".join(f"{risk[k, N][0]:9.4f} +- {risk[k, N][1]:.1e}" for k in ("OLS", 0.8, 0.5)))
for p_keep in (0.8, 0.5):
    print(f"p_keep = {p_keep}: squared bias at N = {N_grid[-1]}: {risk['bias2', p_keep, N_grid[-1]]:.4f};  "
          f"limit (1 - p)^2 ||w||^2 = {(1 - p_keep) ** 2:.4f}")

fig, ax = plt.subplots(figsize=(7, 4.4))
N_fine = np.logspace(np.log10(N_grid[0]), np.log10(N_grid[-1]), 200)
ax.plot(N_fine, sigma**2 * n_features / (N_fine - n_features - 1), color="#0072B2", lw=2, label=r"OLS, exact $\sigma^2 d/(N-d-1)$")
for p_keep, colour, marker in ((0.8, "#009E73", "s"), (0.5, "#D55E00", "o")):
    ax.errorbar(N_grid, [risk[p_keep, N][0] for N in N_grid], yerr=[2 * risk[p_keep, N][1] for N in N_grid], fmt=marker + "-",
                color=colour, capsize=3, label=rf"dropout on the inputs, $p_{{\mathrm{{keep}}}}$ = {p_keep}")
    ax.axhline((1 - p_keep) ** 2, color=colour, ls=":", lw=1.5, label=f"its bias limit $(1-p)^2$ = {(1 - p_keep) ** 2:.2f}")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("number of training rows $N$")
ax.set_ylabel("expected excess test error")
ax.set_title("Dropout on linear regression: helps with few rows,\nhurts with many (its bias does not fade)", fontsize=11)
ax.legend(fontsize=9, loc="lower left")
fig.tight_layout()

# %%
# With the fewest rows both dropout predictors have a lower expected error
# than OLS, with the most rows a higher one (each by more than four standard
# errors over designs); dropout's squared bias approaches
# :math:`(1-p)^2\|w\|^2` (within 5% at the largest :math:`N`), and the OLS
# Monte Carlo agrees with :math:`\sigma^2 d/(N-d-1)` (within four standard
# errors from :math:`N = 20` on, where the estimate's variance is finite and
# well estimated).
for p_keep in (0.8, 0.5):
    r_small, se_small = risk[p_keep, N_grid[0]]
    r_large, se_large = risk[p_keep, N_grid[-1]]
    ols_small, ols_large = (sigma**2 * n_features / (N - n_features - 1) for N in (N_grid[0], N_grid[-1]))
    assert ols_small - r_small > 4 * se_small, (p_keep, r_small, ols_small)  # helps with few rows
    assert r_large - ols_large > 4 * se_large, (p_keep, r_large, ols_large)  # hurts with many
    assert abs(risk["bias2", p_keep, N_grid[-1]] / (1 - p_keep) ** 2 - 1) < 0.05, risk["bias2", p_keep, N_grid[-1]]
for N in N_grid[2:]:
    assert abs(risk["OLS", N][0] - sigma**2 * n_features / (N - n_features - 1)) < 4 * risk["OLS", N][1], (N, risk["OLS", N])

# %%
# What to notice
# --------------
# **1.1** Under the Gauss–Markov assumptions the bagged OLS ensemble has the
# same bias as one OLS fit on all data (zero: every measured squared bias
# lies inside the range of an unbiased estimator, and no test input's mean
# is off by more than the union-bound threshold) and a larger variance, by
# exactly :math:`D_1/m + (1-1/m)D_\infty`: the Monte Carlo points, paired
# with OLS through shared noise draws, sit on that curve. The infinite
# ensemble (the averaged linear map :math:`\E_S A_S`, still exactly
# unbiased) comes within a fraction of a percent of OLS here, but, being a
# linear unbiased estimator, it cannot go below: at best, bagging OLS
# reproduces OLS at :math:`m` times the cost. Bootstrap samples with
# duplicates change nothing (weighted least squares, still linear and
# unbiased). With a misspecified linear model the conclusion changes:
# bagging moves the bias, up for some targets and down for others, and can
# then lower the test error.
#
# **1.2** For networks bagging is useful, because their variance is large
# (the average of 8 small networks gains the members' spread over their
# average member, and :math:`m` members get a fraction :math:`1 - 1/m` of
# the gain of infinitely many), but its compute and memory grow linearly in
# :math:`m` (the measured CPU time per member is constant, and so are the
# ResNet-50 costs per member), so it is feasible only for small
# :math:`m`; training the members in parallel saves time, not compute.
#
# **1.3** Dropout with :math:`p_{\text{keep}} = 0.5` on every hidden layer
# trains an ensemble of :math:`2^n` subnetworks that share their weights, up
# to one per example at every step, with the memory and inference cost of
# one network. The weight-scaling rule then averages the ensemble in one
# pass: exactly the arithmetic mean when the dropped units feed a linear
# output directly, exactly the renormalised geometric mean for a softmax
# output after one dropout layer (all these printed differences at rounding
# level), and only approximately otherwise, including with dropout on every
# hidden layer. Dropout does not always help: it lowers the variance but
# adds bias, and on linear regression its penalty grows with the data, so
# with plenty of data it costs accuracy (last figure); the keep probability
# is a hyperparameter to tune.

# sphinx_gallery_thumbnail_number = 1
