"""
Dropout on linear regression is a data-dependent L2 penalty
===========================================================

Exercise 9.1.6 of the Theory of Neural Networks sheet 9 (ID ``tnn-9/1.6``)
applies dropout to the inputs of a linear model trained by least squares:
every input :math:`x_j^{(i)}` is multiplied by an independent
:math:`R_{ij} \\sim \\mathrm{Bernoulli}(p)`, where :math:`p` is the *keep*
probability (``p_keep``). We derive the moments of :math:`R`, the expected
loss (a least-squares loss with shrunken predictions plus a penalty
:math:`p(1-p)\\sum_j w_j^2 \\sum_i x_j^{(i)2}`), and its closed-form
minimiser, and check all three numerically: the moments and the expected
loss by Monte Carlo, the minimiser against the numerical minimum of the
Monte Carlo dropout loss and against dropout training itself.
"""

# %%
# The moments of the mask
# -----------------------
# :math:`R_{ij}` takes the value 1 with probability :math:`p` and 0 otherwise, so
#
# .. math::
#
#    \E[R_{ij}] = 1 \cdot p + 0 \cdot (1-p) = p .
#
# For :math:`j = k`, :math:`R_{ij}^2 = R_{ij}` (as :math:`0^2 = 0`, :math:`1^2 = 1`),
# so :math:`\E[R_{ij}R_{ij}] = p`. For :math:`j \ne k` the two entries are
# independent, so :math:`\E[R_{ij}R_{ik}] = \E[R_{ij}]\E[R_{ik}] = p^2`.
# Together,
#
# .. math::
#
#    \E[R_{ij}R_{ik}] = \delta_{jk}\, p + (1-\delta_{jk})\, p^2
#                    = p^2 + p(1-p)\,\delta_{jk} .
import matplotlib.pyplot as plt
import numpy as np

from nntheory.dropout_regression import dropout_loss_expected, dropout_loss_sample, dropout_ridge_solution
from nntheory.seeding import base_seed

SEED = base_seed(0)
rng = np.random.default_rng(SEED)
p = 0.6  # keep probability p_keep, the sheet's p

n_draws = 200_000
R = rng.random((n_draws, 2)) < p  # two entries R_ij, R_ik of one row, 200k draws
for label, draws, exact in (("E[R_ij]     ", R[:, 0], p), ("E[R_ij R_ij]", R[:, 0] * R[:, 0], p), ("E[R_ij R_ik]", R[:, 0] * R[:, 1], p**2)):
    se = np.sqrt(exact * (1 - exact) / n_draws)  # a Bernoulli(exact) mean
    print(f"{label}: Monte Carlo {draws.mean():.4f}   exact {exact:.4f}   |diff| / std. error {abs(draws.mean() - exact) / se:.2f}")
    assert abs(draws.mean() - exact) < 4 * se, (label, draws.mean(), exact)  # within 4 standard errors

# %%
# The expected loss
# -----------------
# Write :math:`s_i = \sum_j w_j R_{ij} x_j^{(i)}` for the dropped-out
# prediction on sample :math:`i`. Expanding the square,
# :math:`\E[(y^{(i)} - s_i)^2] = y^{(i)2} - 2y^{(i)}\E[s_i] + \E[s_i^2]`, with
#
# .. math::
#
#    \E[s_i] &= p \sum_j w_j x_j^{(i)}, \\
#    \E[s_i^2] &= \sum_{j,k} w_j w_k x_j^{(i)} x_k^{(i)} \E[R_{ij}R_{ik}]
#              = p^2 \Big(\sum_j w_j x_j^{(i)}\Big)^2 + p(1-p)\sum_j w_j^2 x_j^{(i)2} .
#
# The first two terms and the :math:`p^2` part recombine into
# :math:`(y^{(i)} - p\sum_j w_j x_j^{(i)})^2`; summing over :math:`i`,
#
# .. math::
#
#    \E_R[J(w)] &= \sum_{i=1}^{N} \Big(y^{(i)} - p \sum_{j} w_j x_j^{(i)}\Big)^2
#    + p(1-p) \sum_{j} w_j^2 \sum_{i} x_j^{(i)2} \\
#    &= \|y - pXw\|^2 + p(1-p)\, w^\top \Gamma w,
#
# with :math:`\Gamma = \operatorname{diag}(X^\top X)`. We check it at three
# random weight vectors, averaging :math:`J` over :math:`10^5` masks each. The
# features have very different scales (standard deviations 0.3 to 3); we
# come back to this below.
n_samples, n_features = 40, 5
scales = np.array([0.3, 0.6, 1.0, 2.0, 3.0])
X = rng.standard_normal((n_samples, n_features)) * scales
w_true = np.array([2.0, -1.0, 0.5, 1.0, -0.5])
y = X @ w_true + 0.5 * rng.standard_normal(n_samples)

print("                      Monte Carlo mean of J   closed form E[J]   |diff| / std. error")
for trial in range(3):
    w = rng.standard_normal(n_features)
    J = dropout_loss_sample(w, X, y, p, rng=rng, n_masks=100_000)
    exact = dropout_loss_expected(w, X, y, p)
    se = J.std() / np.sqrt(J.size)
    print(f"random w #{trial}:          {J.mean():12.3f}        {exact:12.3f}          {abs(J.mean() - exact) / se:.2f}")
    assert abs(J.mean() - exact) < 4 * se, (trial, J.mean(), exact, se)  # "within a few standard errors": four

# %%
# The closed-form minimiser
# -------------------------
# The expected loss is a convex quadratic in :math:`w`. Setting its gradient
# to zero,
#
# .. math::
#
#    \nabla_w \E_R[J] = -2pX^\top(y - pXw) + 2p(1-p)\,\Gamma w = 0
#    \iff \big(p^2 X^\top X + p(1-p)\Gamma\big) w = p X^\top y ,
#
# and dividing by :math:`p`,
#
# .. math::
#
#    w^\star = \big(p X^\top X + (1-p)\operatorname{diag}(X^\top X)\big)^{-1} X^\top y .
#
# These are the weights *during training*. At test time standard dropout
# multiplies by :math:`p` (see :doc:`plot_04_dropout_scaling`), so the
# deployed predictor is :math:`\tilde w = p w^\star = (X^\top X + \lambda
# \Gamma)^{-1} X^\top y` with :math:`\lambda = (1-p)/p`: ridge regression in
# which the penalty on :math:`w_j` is proportional to
# :math:`\sum_i x_j^{(i)2}`. That makes the penalty scale-free: it is
# ordinary ridge regression on the features rescaled to unit Euclidean norm,
# :math:`z_j = x_j/\|x_j\|` (rescaled, *not* centred, so this is not the
# usual standardisation), so every feature is shrunk by the same rule
# whatever its scale, and the penalty vanishes as :math:`p \to 1`.
#
# Two numerical checks that do not use the formula. (1) The *Monte Carlo*
# dropout loss :math:`\frac1S\sum_{s=1}^S J(w; R^{(s)})` over :math:`S` fixed
# masks is an ordinary least-squares problem in the stacked design
# :math:`[R^{(1)}\odot X; \dots; R^{(S)}\odot X]`; its minimiser must approach
# :math:`w^\star` as :math:`S` grows, with error :math:`O(S^{-1/2})`.
# (2) Dropout *training*: stochastic gradient descent on :math:`J` with a
# fresh mask every step and a decaying step size, and the average of its
# second half of iterates. For (1) we average the squared error over 10
# independent sets of masks per :math:`S` and fit the slope of its root on a
# log-log scale, from :math:`S = 100` on (the rate is asymptotic, so the
# smallest :math:`S` is left out of the fit).
w_star = dropout_ridge_solution(X, y, p)
sizes = [10, 100, 1_000, 10_000]
errors = []
for S in sizes:
    sq = []
    for _ in range(10):
        masks = rng.random((S, n_samples, n_features)) < p
        A = (masks * X).reshape(S * n_samples, n_features)
        w_mc = np.linalg.lstsq(A, np.tile(y, S), rcond=None)[0]
        sq.append(np.sum((w_mc - w_star) ** 2))
    errors.append(np.sqrt(np.mean(sq)))
    print(f"S = {S:6d} masks: root mean square |w_MC - w*| over 10 repetitions = {errors[-1]:.4f}")
slope = np.polyfit(np.log(sizes[1:]), np.log(errors[1:]), 1)[0]
print(f"fitted log-log slope from S = 100 on: {slope:.3f} (theory -1/2)")
assert abs(slope + 0.5) < 0.1, slope  # the S^(-1/2) rate

w = np.zeros(n_features)
n_sgd = 20_000
path = np.empty(n_sgd)
w_avg = np.zeros(n_features)  # Polyak-Ruppert average of the second half of the iterates
for t in range(n_sgd):
    mask = rng.random((n_samples, n_features)) < p
    Xr = mask * X
    grad = -2 * Xr.T @ (y - Xr @ w) / n_samples
    w -= 0.05 / (1 + t / 2000) * grad
    path[t] = np.linalg.norm(w - w_star)
    if t >= n_sgd // 2:
        w_avg += w / (n_sgd - n_sgd // 2)
w_ols = np.linalg.lstsq(X, y, rcond=None)[0]
print(f"dropout SGD after {n_sgd} steps: |w - w*| = {path[-1]:.4f}; average of the last {n_sgd // 2} iterates: "
      f"{np.linalg.norm(w_avg - w_star):.4f}; for comparison |w_OLS - w*| = {np.linalg.norm(w_ols - w_star):.4f}")
print("feature scale       :", np.array2string(scales, precision=2))
print("w* (closed form)    :", np.array2string(w_star, precision=3))
print("p w* (test weights) :", np.array2string(p * w_star, precision=3))
print("OLS                 :", np.array2string(w_ols, precision=3))
print("shrinkage p w*/OLS  :", np.array2string(p * w_star / w_ols, precision=3))

# The same predictor as plain ridge regression on features rescaled to unit norm (not centred).
norms = np.sqrt((X**2).sum(axis=0))  # sqrt(diag(X^T X)), (n_features,)
Z = X / norms
lam = (1 - p) / p
v = np.linalg.solve(Z.T @ Z + lam * np.eye(n_features), Z.T @ y)
ridge_diff = np.abs(p * w_star - v / norms).max()
print(f"max |p w* - ridge on unit-norm features| = {ridge_diff:.1e}")
# Rescaling a feature leaves the deployed predictor unchanged (its weight scales inversely).
X_scaled = X * np.array([10.0, 1.0, 1.0, 1.0, 0.1])
pred_diff = np.abs(p * X_scaled @ dropout_ridge_solution(X_scaled, y, p) - p * X @ w_star).max()
print(f"feature 1 multiplied by 10 and feature 5 by 0.1: max change of the deployed predictions {pred_diff:.1e}")
# Shrinkage in the rescaled coordinates: the norm of v = diag(|x_j|) p w* is below that of OLS.
shrunk, ols_norm = np.linalg.norm(norms * p * w_star), np.linalg.norm(norms * w_ols)
print(f"|diag(|x_j|) p w*| = {shrunk:.3f}  <  |diag(|x_j|) w_OLS| = {ols_norm:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
axes[0].loglog(sizes, errors, "o-", color="#0072B2", lw=2, label="minimiser of the Monte Carlo loss")
axes[0].loglog(sizes, errors[1] * (np.array(sizes) / sizes[1]) ** -0.5, "--", color="0.4", label=r"slope $-1/2$")
axes[0].set_xlabel("number of masks $S$")
axes[0].set_ylabel(r"$\|w_{\mathrm{MC}} - w^\star\|$ (root mean square over 10 sets)")
axes[0].set_title("Monte Carlo minimiser converges to $w^\\star$")
axes[0].legend(fontsize=10)
axes[1].loglog(np.arange(1, n_sgd + 1), path, color="#D55E00", lw=1.5, label="iterate $w_t$")
axes[1].axhline(np.linalg.norm(w_avg - w_star), color="#0072B2", ls="--", lw=2, label="average of the second half of the iterates")
axes[1].axhline(np.linalg.norm(w_ols - w_star), color="0.4", ls=":", lw=2, label="OLS, for scale")
axes[1].legend(fontsize=9, loc="lower left")
axes[1].set_xlabel("dropout SGD step")
axes[1].set_ylabel(r"$\|w_t - w^\star\|$")
axes[1].set_title("Dropout training converges to $w^\\star$")
fig.tight_layout()

# %%
# The Monte Carlo minimiser's error falls at the :math:`S^{-1/2}` rate (the
# fitted slope, checked above, within 0.1 of :math:`-1/2`); dropout SGD's
# averaged iterate ends within 2% of :math:`\|w^\star\|` of :math:`w^\star`
# (OLS is printed for scale: how far it lies from :math:`w^\star` depends on
# the data). :math:`p w^\star` equals
# ridge on unit-norm features to rounding, and does not change when a
# feature is rescaled. Ridge shrinks the weights of the unit-norm features,
# :math:`\|v\| < \|v_{\text{OLS}}\|`; the raw weights need not all shrink by
# the same factor.
assert np.linalg.norm(w_avg - w_star) < 0.02 * np.linalg.norm(w_star), (w_avg, w_star)
assert ridge_diff < 1e-12, ridge_diff  # "is ordinary ridge ... (agreement to rounding error)"
assert pred_diff < 1e-12, pred_diff  # invariant to rescaling a feature
assert shrunk < ols_norm, (shrunk, ols_norm)

# %%
# The absorbed bias is dropped too
# --------------------------------
# The sheet absorbs the bias into :math:`w` through a constant feature
# :math:`x_0 = 1`. Dropout then drops that feature as well, with the same
# probability, so the bias is multiplied by :math:`p` in expectation and
# penalised by :math:`p(1-p)\,N w_0^2` like any other weight, whereas ridge
# regression in practice leaves the intercept unpenalised. With a constant
# column and targets of mean about 3, the deployed intercept
# :math:`p w_0^\star` is pulled towards zero, and the deployed predictions no
# longer average to the targets' mean.
X1 = np.column_stack([np.ones(n_samples), X])  # absorbed bias, (n_samples, 1 + n_features)
y1 = 3.0 + y
w1_star = dropout_ridge_solution(X1, y1, p)
w1_ols = np.linalg.lstsq(X1, y1, rcond=None)[0]
print(f"intercept: OLS {w1_ols[0]:.3f}   deployed dropout p w0* {p * w1_star[0]:.3f}   "
      f"mean residual of the deployed predictor {np.mean(y1 - p * X1 @ w1_star):.3f} (OLS: {np.mean(y1 - X1 @ w1_ols):.1e})")
assert abs(p * w1_star[0]) < 0.8 * abs(w1_ols[0]), (p * w1_star[0], w1_ols[0])  # the bias is shrunk too
assert abs(np.mean(y1 - p * X1 @ w1_star)) > 0.1 * abs(w1_ols[0]), w1_star  # the predictions are biased on average

# %%
# What to notice
# --------------
# The moments match :math:`p` and :math:`p^2`, and the Monte Carlo means of
# :math:`J` agree with the closed form :math:`\E_R[J]` to within four
# standard errors (the last column). The closed form
# :math:`w^\star = (pX^\top X + (1-p)\operatorname{diag}(X^\top X))^{-1}X^\top y`
# is the limit of both numerical minimisations: the Monte Carlo minimiser
# approaches it at the :math:`S^{-1/2}` rate, and dropout SGD settles on it.
# The deployed weights :math:`p w^\star` are shrunk relative to OLS, in the
# norm of the unit-norm features.
# The penalty :math:`p(1-p)\, w_j^2 \sum_i x_j^{(i)2}` charges more per unit
# of weight on features with a large :math:`\sum_i x_j^{(i)2}`, as the sheet
# says; but such features need correspondingly smaller weights, and the two
# effects cancel: substituting :math:`z_j = x_j/\sqrt{\Gamma_{jj}}` (unit
# Euclidean norm, no centring) turns the penalty into the plain
# :math:`\lambda\|v\|^2`, and the printed check confirms that
# :math:`p w^\star` *is* ordinary ridge regression with
# :math:`\lambda = (1-p)/p` on these rescaled features (agreement to
# rounding error). So dropout on a linear model is a ridge penalty that is
# invariant to rescaling a feature (the deployed predictions did not change
# when we rescaled two features), unlike ridge on the raw features; the
# shrinkage pattern in the printed row depends on the correlations of the
# features, not on their scales. Because it does not centre, it also
# penalises the absorbed bias, which dropout drops like any other input.

# sphinx_gallery_thumbnail_number = 1
