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

rng = np.random.default_rng(0)
p = 0.6  # keep probability p_keep, the sheet's p

R = rng.random((200_000, 2)) < p  # two entries R_ij, R_ik of one row, 200k draws
print(f"E[R_ij]       : Monte Carlo {R[:, 0].mean():.4f}   exact p   = {p:.4f}")
print(f"E[R_ij R_ij]  : Monte Carlo {(R[:, 0] * R[:, 0]).mean():.4f}   exact p   = {p:.4f}")
print(f"E[R_ij R_ik]  : Monte Carlo {(R[:, 0] * R[:, 1]).mean():.4f}   exact p^2 = {p**2:.4f}")

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
# ordinary ridge regression on standardised features, so every feature is
# shrunk by the same rule whatever its scale, and the penalty vanishes as
# :math:`p \to 1`.
#
# Two numerical checks that do not use the formula. (1) The *Monte Carlo*
# dropout loss :math:`\frac1S\sum_{s=1}^S J(w; R^{(s)})` over :math:`S` fixed
# masks is an ordinary least-squares problem in the stacked design
# :math:`[R^{(1)}\odot X; \dots; R^{(S)}\odot X]`; its minimiser must approach
# :math:`w^\star` as :math:`S` grows, with error :math:`O(S^{-1/2})`.
# (2) Dropout *training*: stochastic gradient descent on :math:`J` with a
# fresh mask every step and a decaying step size.
w_star = dropout_ridge_solution(X, y, p)
sizes = [10, 100, 1_000, 10_000]
errors = []
for S in sizes:
    masks = rng.random((S, n_samples, n_features)) < p
    A = (masks * X).reshape(S * n_samples, n_features)
    w_mc = np.linalg.lstsq(A, np.tile(y, S), rcond=None)[0]
    errors.append(np.linalg.norm(w_mc - w_star))
    print(f"S = {S:6d} masks: |w_MC - w*| = {errors[-1]:.4f}")

w = np.zeros(n_features)
n_sgd = 20_000
path = np.empty(n_sgd)
for t in range(n_sgd):
    mask = rng.random((n_samples, n_features)) < p
    Xr = mask * X
    grad = -2 * Xr.T @ (y - Xr @ w) / n_samples
    w -= 0.05 / (1 + t / 200) * grad
    path[t] = np.linalg.norm(w - w_star)
w_ols = np.linalg.lstsq(X, y, rcond=None)[0]
print(f"dropout SGD after {n_sgd} steps: |w - w*| = {path[-1]:.4f}")
print("feature scale       :", np.array2string(scales, precision=2))
print("w* (closed form)    :", np.array2string(w_star, precision=3))
print("p w* (test weights) :", np.array2string(p * w_star, precision=3))
print("OLS                 :", np.array2string(w_ols, precision=3))
print("shrinkage p w*/OLS  :", np.array2string(p * w_star / w_ols, precision=3))

# The same predictor as plain ridge regression on standardised features.
norms = np.sqrt((X**2).sum(axis=0))  # sqrt(diag(X^T X)), (n_features,)
Z = X / norms
lam = (1 - p) / p
v = np.linalg.solve(Z.T @ Z + lam * np.eye(n_features), Z.T @ y)
print(f"max |p w* - ridge on standardised features| = {np.abs(p * w_star - v / norms).max():.1e}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
axes[0].loglog(sizes, errors, "o-", color="#0072B2", lw=2, label="minimiser of the Monte Carlo loss")
axes[0].loglog(sizes, errors[0] * (np.array(sizes) / sizes[0]) ** -0.5, "--", color="0.4", label=r"slope $-1/2$")
axes[0].set_xlabel("number of masks $S$")
axes[0].set_ylabel(r"$\|w_{\mathrm{MC}} - w^\star\|$")
axes[0].set_title("Monte Carlo minimiser converges to $w^\\star$")
axes[0].legend(fontsize=10)
axes[1].loglog(np.arange(1, n_sgd + 1), path, color="#D55E00", lw=1.5)
axes[1].set_xlabel("dropout SGD step")
axes[1].set_ylabel(r"$\|w_t - w^\star\|$")
axes[1].set_title("Dropout training converges to $w^\\star$")
fig.tight_layout()

# %%
# What to notice
# --------------
# The moments match :math:`p` and :math:`p^2`, and the Monte Carlo means of
# :math:`J` agree with the closed form :math:`\E_R[J]` to within a few
# standard errors (the last column). The closed form
# :math:`w^\star = (pX^\top X + (1-p)\operatorname{diag}(X^\top X))^{-1}X^\top y`
# is the limit of both numerical minimisations: the Monte Carlo minimiser
# approaches it at the :math:`S^{-1/2}` rate, and dropout SGD settles on it.
# The deployed weights :math:`p w^\star` are shrunk relative to OLS.
# The penalty :math:`p(1-p)\, w_j^2 \sum_i x_j^{(i)2}` charges more per unit
# of weight on features with a large :math:`\sum_i x_j^{(i)2}`, as the sheet
# says; but such features need correspondingly smaller weights, and the two
# effects cancel: substituting :math:`z_j = x_j/\sqrt{\Gamma_{jj}}` turns the
# penalty into the plain :math:`\lambda\|v\|^2`, and the last printed line
# confirms that :math:`p w^\star` *is* ordinary ridge regression with
# :math:`\lambda = (1-p)/p` on standardised features (agreement to rounding
# error). So dropout on a linear model is a ridge penalty that is invariant to
# rescaling a feature, unlike ridge on the raw features; the shrinkage pattern
# in the printed row depends on the correlations of the features, not on
# their scales.

# sphinx_gallery_thumbnail_number = 1
