"""
Saddle points: the Hessian at a minimum, their abundance, and slow escapes
==========================================================================

Question 4 of assignment 1 of the University of Amsterdam course Deep
Learning 1 (ID ``uva-dl1-a1/q4``) has three parts: (a) show that at a local
minimum of a twice continuously differentiable :math:`f:\\R^n\\to\\R` all
eigenvalues of the Hessian are non-negative; (b) explain intuitively why, in
high dimension, saddle points (Hessian eigenvalues of both signs) vastly
outnumber local minima; (c) use the gradient-descent update near a saddle
point to show why saddles can harm training.

The sheet includes a student's answer. Its proof in (a) argues with an
approximation sign where an inequality is needed; its count in (b) drops a
factor from the binomial probability and treats eigenvalue signs as
independent coin flips, which they are not; and in (c) it only considers a
start exactly at the saddle. This page gives a complete proof, a Monte Carlo
over random symmetric matrices that shows positive definiteness is far rarer
than the coin-flip estimate :math:`2^{-n}`, and measures how long gradient
descent lingers near a saddle.
"""

# %%
# (a) At a local minimum the Hessian is positive semidefinite
# -----------------------------------------------------------
# Let :math:`x^\star` be a local minimum: :math:`f(x^\star + h) \ge
# f(x^\star)` for all :math:`\|h\| < r`. Then :math:`\nabla f(x^\star) = 0`
# (first-order condition). Fix any unit vector :math:`v` and
# :math:`0 < t < r`. Taylor's theorem with the Lagrange remainder, applied to
# :math:`\varphi(t) = f(x^\star + t v)`, gives some :math:`s \in (0, 1)` with
#
# .. math::
#
#    \begin{aligned}
#    0 \le f(x^\star + t v) - f(x^\star)
#    &= t\, \nabla f(x^\star)^\top v + \tfrac12 t^2\, v^\top \nabla^2 f(x^\star + s t v)\, v \\
#    &= \tfrac12 t^2\, v^\top \nabla^2 f(x^\star + s t v)\, v .
#    \end{aligned}
#
# Divide by :math:`t^2/2 > 0` and let :math:`t \to 0`; since :math:`f` is
# :math:`C^2` the Hessian is continuous, so
# :math:`v^\top \nabla^2 f(x^\star)\, v \ge 0` for every :math:`v`: the
# Hessian :math:`H` is positive semidefinite. If :math:`H u = \lambda u` with
# :math:`\|u\| = 1`, taking :math:`v = u` gives
# :math:`\lambda = u^\top H u \ge 0`. ∎
#
# (The student's version writes :math:`f(x^\star + \Delta x) \approx \dots
# \ge f(x^\star)` and concludes an exact inequality from an approximation;
# the exact remainder and the limit :math:`t \to 0` are what make it a
# proof.) The bound is :math:`\ge 0`, not :math:`> 0`, even at a *strict*
# minimum: :math:`f(x) = \sum_i x_i^4` has a strict minimum at 0 with
# :math:`H = 0`. We check both claims with :func:`nntheory.diagnostics.hessian.hessian_matrix`.
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import optim
from nntheory.diagnostics.hessian import hessian_matrix

rng = np.random.default_rng(4)  # every random draw on this page

quartic = lambda x: (x**4).sum()
print("sum x^4 at its strict minimum 0, Hessian eigenvalues:", torch.linalg.eigvalsh(hessian_matrix(quartic, torch.zeros(3, dtype=torch.float64))).tolist())

# A smooth function with a local minimum and a saddle point.
f2 = lambda z: z[0] ** 2 * (z[0] - 1.5) ** 2 + z[1] ** 2 - 0.2 * z[0] * z[1]
for name, point in (("near (0, 0)", [0.0, 0.0]), ("near (0.75, 0)", [0.75, 0.0])):
    z = torch.tensor(point, dtype=torch.float64)
    for _ in range(50):  # Newton iterations to the nearby critical point
        z = z - torch.linalg.solve(hessian_matrix(f2, z), torch.func.grad(f2)(z))
    print(f"critical point {name}: z = {np.round(z.numpy(), 4)}, Hessian eigenvalues {np.round(torch.linalg.eigvalsh(hessian_matrix(f2, z)).numpy(), 3)}")

# %%
# (b) Why saddles dominate: a coin-flip count, corrected, then tested
# -------------------------------------------------------------------
# **The coin-flip picture.** Suppose each of the :math:`n` Hessian eigenvalues
# at a critical point were positive with probability :math:`p`,
# independently. The number :math:`k` of positive eigenvalues would be
# binomial,
#
# .. math::
#
#    P(k) = \binom{n}{k} p^k (1-p)^{n-k} .
#
# (The student's formula drops :math:`(1-p)^{n-k}`; without it the
# "probabilities" do not sum to 1.) A minimum needs :math:`k = n`:
# :math:`P(\text{min}) = p^n`, and with :math:`p = 1/2` the odds of a saddle
# against a minimum are :math:`(1 - 2\cdot 2^{-n}) / 2^{-n} = 2^n - 2`:
# exponentially many saddles per minimum.
#
# **But the signs are not independent.** For the Hessian of a random
# function a natural model is a random symmetric matrix, e.g. the Gaussian
# orthogonal ensemble (GOE): :math:`A = (G + G^\top)/\sqrt2` with i.i.d.
# standard normal :math:`G`. Its eigenvalues repel each other, so they
# spread to both sides of zero, and having all :math:`n` of them positive
# requires a collective shift of the whole spectrum. The probability then
# falls like :math:`e^{-\theta n^2}` with :math:`\theta = \ln 3/4` to leading
# order (Dean and Majumdar, 2006): much faster than :math:`2^{-n}`.
#
# Monte Carlo: for each :math:`n`, draw :math:`M` GOE matrices and count those
# with all eigenvalues positive (error bars: binomial standard error).
dims = np.arange(1, 6)
n_draws = {1: 50_000, 2: 100_000, 3: 150_000, 4: 200_000, 5: 200_000}
p_pd, p_err = [], []
for n in dims:
    G = rng.standard_normal((n_draws[n], n, n))
    A = (G + np.swapaxes(G, 1, 2)) / np.sqrt(2)  # (M, n, n) GOE
    positive_definite = np.linalg.eigvalsh(A).min(axis=1) > 0
    p = positive_definite.mean()
    p_pd.append(p)
    p_err.append(np.sqrt(p * (1 - p) / n_draws[n]))
print(f"{'n':>3} | {'P(all eig > 0), GOE':>22} | {'2^-n':>8} | {'ratio':>7}")
for n, p, e in zip(dims, p_pd, p_err):
    print(f"{n:>3} | {p:>12.2e} ± {e:.1e} | {2.0**-n:>8.2e} | {p / 2.0**-n:>7.3f}")

# %%
# The left panel compares the Monte Carlo probabilities with :math:`2^{-n}`
# (and shows the :math:`e^{-n^2 \ln 3/4}` decay as a guide to the slope; its
# prefactor is not part of the asymptotic result). The right panel shows why:
# for :math:`n = 10` the number of positive eigenvalues of a GOE matrix is far
# more concentrated around :math:`n/2` than the binomial count, so the
# extreme :math:`k = n` (a minimum) is much rarer than under independent
# coin flips.
n_big, m_big = 10, 20_000
G = rng.standard_normal((m_big, n_big, n_big))
k_pos = (np.linalg.eigvalsh((G + np.swapaxes(G, 1, 2)) / np.sqrt(2)) > 0).sum(axis=1)
k_values = np.arange(n_big + 1)
goe_freq = np.bincount(k_pos, minlength=n_big + 1) / m_big
binom = np.array([math.comb(n_big, k) for k in k_values]) / 2.0**n_big
print(f"n = {n_big}: variance of k, GOE {k_pos.var():.2f} vs binomial {n_big / 4:.2f}; frequency of k = n: GOE {goe_freq[-1]:.1e}, binomial {binom[-1]:.1e}")

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
ax0.errorbar(dims, p_pd, yerr=p_err, fmt="o", color="#0072B2", ms=8, capsize=3, label="GOE, Monte Carlo")
nn = np.linspace(1, 8, 100)
ax0.semilogy(nn, 2.0**-nn, color="#D55E00", lw=2, label=r"independent coin flips $2^{-n}$")
ax0.semilogy(nn, np.exp(-np.log(3) / 4 * nn**2), color="0.4", lw=1.5, ls=":", label=r"$e^{-n^2 \ln 3 / 4}$ (slope guide)")
ax0.set_yscale("log")
ax0.set_ylim(1e-7, 1)
ax0.set_xlabel("dimension n", fontsize=12)
ax0.set_ylabel("P(all eigenvalues > 0)", fontsize=12)
ax0.set_title("A random Hessian is positive definite far less often than 2⁻ⁿ", fontsize=12)
ax0.legend(fontsize=10)
width = 0.4
ax1.bar(k_values - width / 2, goe_freq, width, color="#0072B2", label="GOE (Monte Carlo)")
ax1.bar(k_values + width / 2, binom, width, color="#D55E00", label="Binomial(n, 1/2)")
ax1.set_yscale("log")
ax1.set_xlabel(f"number k of positive eigenvalues (n = {n_big})", fontsize=12)
ax1.set_ylabel("probability", fontsize=12)
ax1.set_title("Eigenvalue repulsion concentrates k near n/2", fontsize=12)
ax1.legend(fontsize=10)
for a in (ax0, ax1):
    a.tick_params(labelsize=11)
plt.show()

# %%
# (c) Gradient descent near a saddle
# ----------------------------------
# Near a critical point :math:`x^\star` with Hessian :math:`H`, GD on the
# quadratic model gives :math:`x_{k+1} - x^\star = (I - \alpha H)(x_k -
# x^\star)`, so along an eigenvector with eigenvalue :math:`\lambda` the
# component is multiplied by :math:`1 - \alpha\lambda` each step. Components
# along positive-curvature directions shrink; along a negative-curvature
# direction (:math:`\lambda = -|\lambda|`) the component grows by the factor
# :math:`1 + \alpha|\lambda|`, but it starts tiny if we arrive close to the
# saddle. The gradient, :math:`H(x_k - x^\star)`, is tiny too, so the loss
# sits on a plateau. Escaping to a distance :math:`c` from a start at
# distance :math:`\delta` along the unstable direction takes
#
# .. math::
#
#    k_{\rm escape} \approx \frac{\ln(c/\delta)}{\ln(1 + \alpha|\lambda|)},
#
# growing like :math:`\ln(1/\delta)` without bound as :math:`\delta \to 0`;
# exactly on the stable manifold (:math:`\delta = 0`) GD converges *to* the
# saddle. That, rather than "the update is exactly zero at the saddle"
# (the student's answer, true only if we start exactly there), is the harm:
# long plateaus that look like convergence.
#
# The experiment: :math:`f(x, y) = \tfrac12 x^2 - \tfrac12 y^2 + \tfrac14
# y^4`, with a saddle at the origin (Hessian eigenvalues :math:`1, -1`) and
# minima at :math:`(0, \pm 1)`. GD with :math:`\alpha = 0.1` starts at
# :math:`(1, \delta)`; we count steps until :math:`|y| > 1/2`.
ALPHA = 0.1
saddle_f = lambda x, y: 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4
saddle_grad = lambda z: np.array([z[0], -z[1] + z[1] ** 3])
deltas = np.logspace(-12, -1, 12)
escape, curves = [], {}
for delta in deltas:
    rule = optim.sgd(ALPHA)
    z = np.array([1.0, delta])
    state = rule.init(z)
    losses = [saddle_f(*z)]
    while abs(z[1]) <= 0.5:
        z, state = rule.update(z, saddle_grad(z), state)
        losses.append(saddle_f(*z))
    for _ in range(60):  # continue a little past the escape, for the loss curves
        z, state = rule.update(z, saddle_grad(z), state)
        losses.append(saddle_f(*z))
    escape.append(len(losses) - 61)
    curves[delta] = losses
predicted = np.log(0.5 / deltas) / np.log(1 + ALPHA)
slope = np.polyfit(np.log(1 / deltas), escape, 1)[0]
print(f"escape steps for delta = 1e-12 ... 1e-1: {escape}")
print(f"fitted slope d(steps)/d ln(1/delta) = {slope:.2f}; theory 1/ln(1 + alpha) = {1 / np.log(1 + ALPHA):.2f}")

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
ax0.semilogx(deltas, escape, "o", color="#0072B2", ms=8, label="GD, measured")
ax0.semilogx(deltas, predicted, color="#D55E00", lw=2, ls="--", label=r"$\ln(0.5/\delta)\,/\,\ln(1+\alpha)$ (linearised)")
ax0.set_xlabel(r"initial distance $\delta$ from the stable manifold", fontsize=12)
ax0.set_ylabel(r"steps until $|y| > 1/2$", fontsize=12)
ax0.set_title("Escape time grows like ln(1/δ)", fontsize=12)
ax0.legend(fontsize=10)
cmap = plt.get_cmap("viridis")
for i, delta in enumerate(deltas[::3]):
    ax1.plot(curves[delta], color=cmap(0.85 * i / 3), lw=2, label=rf"$\delta = 10^{{{int(round(np.log10(delta)))}}}$")
ax1.axhline(0, color="0.5", lw=0.8, ls=":")
ax1.text(2, 0.02, "saddle value f = 0", color="0.3", fontsize=10)
ax1.set_xlabel("step k", fontsize=12)
ax1.set_ylabel(r"$f(x_k, y_k)$", fontsize=12)
ax1.set_title("The loss plateaus at the saddle value before dropping", fontsize=12)
ax1.legend(fontsize=10)
for a in (ax0, ax1):
    a.tick_params(labelsize=11)
plt.show()

# %%
# What to notice
# --------------
# * **(a)** At a local minimum of a :math:`C^2` function,
#   :math:`v^\top H v \ge 0` for every :math:`v` (Taylor with exact remainder,
#   then :math:`t\to 0`), so every eigenvalue is :math:`\ge 0`; zero
#   eigenvalues are possible even at a strict minimum (the printed Hessian of
#   :math:`\sum x_i^4`).
# * **(b)** Under independent coin flips a minimum has probability
#   :math:`2^{-n}` against :math:`1 - 2^{1-n}` for a saddle, already
#   exponentially rare. For random symmetric matrices it is rarer still: the
#   Monte Carlo probabilities fall far below :math:`2^{-n}` (the printed
#   ratio shrinks with :math:`n`), in line with :math:`e^{-\theta n^2}`,
#   because repelling eigenvalues do not choose their signs independently.
# * **(c)** Near a saddle GD's progress along the escape direction is
#   multiplicative, so the time spent on the plateau grows like
#   :math:`\ln(1/\delta)` (the printed slope matches
#   :math:`1/\ln(1+\alpha)`), and a start on the stable manifold never
#   escapes. Noise (SGD), momentum or curvature information shorten these
#   plateaus; the next page shows noise kicking GD off a saddle.

# sphinx_gallery_thumbnail_number = 1
