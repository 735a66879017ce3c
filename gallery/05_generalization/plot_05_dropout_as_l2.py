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
#
# The first step is an identity, checked on every draw; the three moments
# are then estimated from separate columns of independent draws, so that
# each Monte Carlo check can fail on its own.
import matplotlib.pyplot as plt
import numpy as np

from nntheory.dropout_regression import dropout_loss_expected, dropout_loss_sample, dropout_ridge_solution
from nntheory.seeding import base_seed

SEED = base_seed(0)
rng = np.random.default_rng(SEED)
p = 0.6  # keep probability p_keep, the sheet's p

n_draws = 200_000
R = (rng.random((n_draws, 4)) < p).astype(float)  # four independent columns of entries R_ij, 200k draws each
assert np.array_equal(R * R, R), "R_ij R_ij = R_ij"  # the identity, on all 800k entries
for label, draws, exact in (("E[R_ij]     ", R[:, 0], p), ("E[R_ij R_ij]", R[:, 1] * R[:, 1], p),
                            ("E[R_ij R_ik]", R[:, 2] * R[:, 3], p**2)):
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
# This reading is not ours. Srivastava et al. (2014, Section 9.1, "Linear
# Regression", in their section on marginalising dropout) derive the same
# expected loss, written :math:`\|y - pXw\|^2 + p(1-p)\|\Gamma w\|^2` with
# their :math:`\Gamma = \operatorname{diag}(X^\top X)^{1/2}` (the square root
# of ours), call it ridge regression with a particular form of
# :math:`\Gamma`, and absorb :math:`p` into the weights to get the constant
# :math:`(1-p)/p`. Wager, Wang and Liang (2013, "Dropout training as
# adaptive regularization") generalise it: for generalised linear models
# the dropout penalty is, to first order, an L2 penalty on features
# normalised by the diagonal of the Fisher information, an *adaptive*
# ridge. For least squares that diagonal is proportional to
# :math:`\operatorname{diag}(X^\top X)`, and because the loss is quadratic
# the first-order statement is exact: the unit-norm ridge above.
#
# Two numerical checks that do not use the formula. (1) The *Monte Carlo*
# dropout loss :math:`\frac1S\sum_{s=1}^S J(w; R^{(s)})` over :math:`S` fixed
# masks is an ordinary least-squares problem in the stacked design
# :math:`[R^{(1)}\odot X; \dots; R^{(S)}\odot X]`; its minimiser must approach
# :math:`w^\star` as :math:`S` grows. (2) Dropout *training*: stochastic
# gradient descent on :math:`J` with a fresh mask every step and a decaying
# step size, and the average of its second half of iterates.
#
# For (1) theory gives more than a rate. Write :math:`A_s = R^{(s)}\odot X`;
# the minimiser :math:`w_{\mathrm{MC}} = (\sum_s A_s^\top A_s)^{-1}\sum_s
# A_s^\top y` is a ratio of two Monte Carlo averages. Since :math:`w^\star`
# minimises the expected loss, the per-mask gradient
# :math:`g_s = A_s^\top(y - A_s w^\star)` has mean zero, and
# :math:`w_{\mathrm{MC}} - w^\star = (\frac1S\sum_s A_s^\top A_s)^{-1}\,\frac1S\sum_s g_s
# \approx G^{-1}\,\frac1S\sum_s g_s` with
# :math:`G = \E[A_s^\top A_s] = p^2X^\top X + p(1-p)\Gamma`, so
#
# .. math::
#
#    S\,\E\|w_{\mathrm{MC}} - w^\star\|^2 \to C = \operatorname{tr}(G^{-1} V G^{-1}),
#    \qquad V = \operatorname{Cov}(g_s),
#
# the root mean square error falls like :math:`\sqrt{C/S}`, with corrections
# of relative order :math:`1/S` (a ratio estimator is biased at that
# order). The rows of a mask are independent, so :math:`V` is the sum over
# samples of the covariance of one row's term, which we compute exactly by
# enumerating the :math:`2^5 = 32` masks of a row (this also checks
# :math:`G` and :math:`\E[g_s] = 0` to rounding). Then we measure
# :math:`S\,\|w_{\mathrm{MC}} - w^\star\|^2 / C` over many independent sets of
# :math:`S` masks and assert its mean within four standard errors of 1 at
# every :math:`S`: a check of the constant, not only of the slope, with no
# fitted parameter. No :math:`1/S` correction is visible at these :math:`S`,
# even at :math:`S = 10`: every measured ratio is within four standard
# errors of 1.
from itertools import product  # noqa: E402

w_star = dropout_ridge_solution(X, y, p)
row_masks = np.array(list(product([0.0, 1.0], repeat=n_features)))  # all 32 masks of one row, (32, n_features)
row_prob = p ** row_masks.sum(1) * (1 - p) ** (n_features - row_masks.sum(1))  # (32,)
G, V, mean_g = np.zeros((n_features, n_features)), np.zeros((n_features, n_features)), np.zeros(n_features)
for x_i, y_i in zip(X, y):
    a_i = row_masks * x_i  # the row under each mask, (32, n_features)
    g_i = a_i * (y_i - a_i @ w_star)[:, None]  # its gradient term, (32, n_features)
    G += np.einsum("m,mj,mk->jk", row_prob, a_i, a_i)
    mean_g += row_prob @ g_i
    V += np.einsum("m,mj,mk->jk", row_prob, g_i, g_i) - np.outer(row_prob @ g_i, row_prob @ g_i)
G_inv = np.linalg.inv(G)
C = np.trace(G_inv @ V @ G_inv)
gram = X.T @ X
print(f"enumeration: max |G - (p^2 X^T X + p(1-p) Gamma)| = {np.abs(G - p**2 * gram - p * (1 - p) * np.diag(np.diag(gram))).max():.1e}, "
      f"|E[g_s]| = {np.linalg.norm(mean_g):.1e}; C = tr(G^-1 V G^-1) = {C:.4f}")
np.testing.assert_allclose(G, p**2 * gram + p * (1 - p) * np.diag(np.diag(gram)), rtol=1e-12)  # E[A^T A] from E[R R]
assert np.linalg.norm(mean_g) < 1e-10 * np.linalg.norm(X.T @ y), mean_g  # w* zeroes the expected gradient

sizes, n_sets = [10, 100, 1_000, 10_000], [400, 400, 100, 20]
errors, error_se = [], []
for S, n in zip(sizes, n_sets):
    ratio = []  # S |w_MC - w*|^2 / C, one per independent set of S masks
    for _ in range(n):
        masks = rng.random((S, n_samples, n_features)) < p
        A = (masks * X).reshape(S * n_samples, n_features)
        w_mc = np.linalg.solve(A.T @ A, A.T @ np.tile(y, S))  # normal equations of the stacked least squares
        ratio.append(S * np.sum((w_mc - w_star) ** 2) / C)
    ratio = np.array(ratio)
    se = ratio.std(ddof=1) / np.sqrt(n)
    errors.append(np.sqrt(ratio.mean() * C / S))
    error_se.append(errors[-1] * se / ratio.mean() / 2)  # standard error of the root mean square (delta method)
    print(f"S = {S:6d} masks, {n:3d} sets: root mean square |w_MC - w*| = {errors[-1]:.4f}, sqrt(C/S) = {np.sqrt(C / S):.4f}; "
          f"S |w_MC - w*|^2 / C = {ratio.mean():.3f} +- {se:.3f}")
    assert abs(ratio.mean() - 1) < 4 * se, (S, ratio.mean(), se)  # the constant C, within four standard errors

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
axes[0].loglog(sizes, np.sqrt(C / np.array(sizes)), "-", color="0.6", lw=6, alpha=0.6, label=r"theory $\sqrt{C/S}$ (slope $-1/2$)")
axes[0].errorbar(sizes, errors, yerr=2 * np.array(error_se), fmt="o", color="#0072B2", ms=7, capsize=4,
                 label="minimiser of the Monte Carlo loss\n(root mean square, $\\pm 2$ standard errors)")
axes[0].set_xlabel("number of masks $S$")
axes[0].set_ylabel(r"$\|w_{\mathrm{MC}} - w^\star\|$ (root mean square over sets)")
axes[0].set_title("Monte Carlo minimiser: error $\\sqrt{C/S}$, as predicted")
axes[0].legend(fontsize=10)
axes[1].loglog(np.arange(1, n_sgd + 1), path, color="#D55E00", lw=1.5, label="iterate $w_t$")
axes[1].axhline(np.linalg.norm(w_avg - w_star), color="#0072B2", ls="--", lw=2, label="average of the second half of the iterates")
axes[1].axhline(np.linalg.norm(w_ols - w_star), color="0.4", ls=":", lw=2, label="OLS, for scale")
axes[1].set_ylim(2e-3, None)  # room below the curves for the legend
axes[1].legend(fontsize=9, loc="lower left")
axes[1].set_xlabel("dropout SGD step")
axes[1].set_ylabel(r"$\|w_t - w^\star\|$")
axes[1].set_title("Dropout training converges to $w^\\star$")
fig.tight_layout()

# %%
# The Monte Carlo minimiser's error is :math:`\sqrt{C/S}` (checked above at
# every :math:`S` within four standard errors), the :math:`S^{-1/2}` rate
# with the predicted constant; dropout SGD's
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
# approaches it with root mean square error :math:`\sqrt{C/S}`, the
# :math:`S^{-1/2}` rate with the predicted constant, and dropout SGD settles
# on it.
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
