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
start exactly at the saddle. This page gives a complete proof; computes, for
random symmetric (GOE) matrices drawn without regard to any loss, the exact
probability that all eigenvalues are positive (closed form for
:math:`n = 2`; for every :math:`n \\le 10` an exact integral, which two Monte Carlo
estimators check up to :math:`n = 6` and the known asymptotics beyond, and
the tests against importance sampling and 50-digit arithmetic), which is far
smaller than the coin-flip estimate :math:`2^{-n}`; then shows why that is
not the share of minima among the critical points of a random function: at
a critical point the Hessian is tied to the loss, the index (its number of
negative eigenvalues) grows with the loss, minima sit at low loss, and their
share among critical points falls only exponentially in :math:`n`. Finally
it measures how long gradient descent lingers near a saddle, and compares
Newton's method (attracted to saddles) with its saddle-free variant.
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
# :math:`H = 0`. We check both with
# :func:`nntheory.diagnostics.hessian.hessian_matrix`: the Hessian of
# :math:`\sum_i x_i^4` at 0, and the Hessians at a local minimum (no nearby
# point is lower) and at a saddle point of a function of two variables.
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import optim, random_matrices, spin_glass
from nntheory.diagnostics.hessian import hessian_matrix
from nntheory.seeding import base_seed

SEED = base_seed(4)
rng = np.random.default_rng(SEED)  # the Monte Carlo over GOE matrices in (b)

quartic = lambda x: (x**4).sum()
eig_quartic = torch.linalg.eigvalsh(hessian_matrix(quartic, torch.zeros(3, dtype=torch.float64)))
print("sum x^4 at its strict minimum 0, Hessian eigenvalues:", eig_quartic.tolist())
assert torch.all(eig_quartic == 0)  # "a strict minimum with H = 0"

# A smooth function with a local minimum and a saddle point.
f2 = lambda z: z[0] ** 2 * (z[0] - 1.5) ** 2 + z[1] ** 2 - 0.2 * z[0] * z[1]
eig_f2 = {}
for name, point in (("near (0, 0)", [0.0, 0.0]), ("near (0.75, 0)", [0.75, 0.0])):
    z = torch.tensor(point, dtype=torch.float64)
    for _ in range(50):  # Newton iterations to the nearby critical point
        z = z - torch.linalg.solve(hessian_matrix(f2, z), torch.func.grad(f2)(z))
    eig_f2[name] = torch.linalg.eigvalsh(hessian_matrix(f2, z)).numpy()
    grad_norm = torch.func.grad(f2)(z).norm().item()
    print(f"critical point {name}: z = {np.round(z.numpy(), 4)}, |gradient| = {grad_norm:.0e}, Hessian eigenvalues {np.round(eig_f2[name], 3)}")
    assert grad_norm < 1e-12, grad_norm  # a critical point
    if name == "near (0, 0)":  # a local minimum: no nearby point is lower, and the Hessian is PSD
        h = 1e-3 * torch.tensor(np.random.default_rng(SEED + 3).standard_normal((1000, 2)))
        assert all(f2(z + dh) >= f2(z) for dh in h)
z_min_eig, z_saddle_eig = eig_f2["near (0, 0)"], eig_f2["near (0.75, 0)"]
assert z_min_eig.min() > 0 and z_saddle_eig.min() < 0 < z_saddle_eig.max()  # minimum vs saddle
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
# **But the signs are not independent.** To test the coin-flip picture,
# take the simplest model of "a random symmetric matrix", drawn without
# regard to any loss: the Gaussian orthogonal ensemble (GOE,
# :func:`nntheory.random_matrices.goe`),
# :math:`A = (G + G^\top)/\sqrt2` with i.i.d. standard normal :math:`G`, so
# diagonal entries :math:`\mathcal N(0, 2)`, off-diagonal ones
# :math:`\mathcal N(0, 1)`, density :math:`\propto e^{-\operatorname{tr}
# A^2/4}`, unchanged by rotations :math:`A \mapsto OAO^\top`. Its eigenvalues
# repel each other, so they spread to both sides of zero, and having all
# :math:`n` of them positive requires a collective shift of the whole
# spectrum. (This is the Hessian at a point chosen independently of the
# loss. At the *critical points* of a random function the Hessian is not
# independent of the loss value, and the share of minima among them behaves
# quite differently: see "Index and loss" below.)
#
# **An exact formula for** :math:`P(A \succ 0)`. Split :math:`A = tI + A_0`
# with :math:`t = \operatorname{tr}A/n` the mean eigenvalue and :math:`A_0`
# traceless. Since :math:`\operatorname{tr}A^2 = n t^2 +
# \operatorname{tr}A_0^2`, the density factorises: :math:`t \sim \mathcal
# N(0, 2/n)` is independent of :math:`A_0`. The eigenvalues of :math:`A`
# are those of :math:`A_0` shifted by :math:`t`, and
# :math:`\lambda_{\min}(A_0) \le 0` (they sum to zero), so
#
# .. math::
#
#    P(A \succ 0) = P\bigl(t > |\lambda_{\min}(A_0)|\bigr)
#    = E\Bigl[\bar\Phi\Bigl(|\lambda_{\min}(A_0)|\sqrt{n/2}\Bigr)\Bigr],
#
# with :math:`\bar\Phi` the standard normal tail. For :math:`n = 2`,
# :math:`A_0 = \bigl(\begin{smallmatrix} d & b\\ b & -d\end{smallmatrix}\bigr)`
# with :math:`d = (A_{11} - A_{22})/2` and :math:`b = A_{12}` independent
# standard normals, so its eigenvalues are :math:`\pm r`,
# :math:`r = \sqrt{d^2 + b^2}` Rayleigh distributed,
# :math:`P(r < u) = 1 - e^{-u^2/2}`; and :math:`t \sim \mathcal N(0, 1)`:
#
# .. math::
#
#    P(A \succ 0) = \int_0^\infty \varphi(u)\,\bigl(1 - e^{-u^2/2}\bigr)\,du
#    = \frac12 - \frac{1}{\sqrt{2\pi}}\int_0^\infty e^{-u^2}\,du
#    = \frac12 - \frac{1}{2\sqrt2} = \frac{2 - \sqrt2}{4} \approx 0.146,
#
# against :math:`2^{-2} = 0.25` for coin flips. This value holds for the GOE
# at any scale; another ensemble gives another number. Among centred
# Gaussian ensembles with independent entries, rotation invariance forces the
# diagonal variance to be twice the off-diagonal one, i.e. the GOE; a
# symmetric matrix with *all* independent entries :math:`\mathcal N(0, 1)`
# is not rotation invariant and gives another value (printed below, by Monte
# Carlo). But rotation-invariant Gaussian ensembles form a two-parameter
# family: :math:`A + zI` with :math:`z \sim \mathcal N(0, c)` independent of
# :math:`A` is invariant too (its diagonal entries are correlated), and at
# :math:`n = 2` only the variance of the mean eigenvalue changes, to
# :math:`\sigma^2 = 1 + c`. The same integral then gives
#
# .. math::
#
#    P(A + zI \succ 0) = \int_0^\infty \frac{e^{-u^2/2\sigma^2}}{\sigma\sqrt{2\pi}}
#    \bigl(1 - e^{-u^2/2}\bigr)\,du = \frac12 - \frac{1}{2\sqrt{1 + \sigma^2}}
#    = \frac12 - \frac{1}{2\sqrt{2 + c}},
#
# :math:`(2 - \sqrt2)/4` at :math:`c = 0` and :math:`1/2 - 1/(2\sqrt3)
# \approx 0.211` at :math:`c = 1` (checked by Monte Carlo below).
#
# For every :math:`n`, the whole distribution of the number of positive
# eigenvalues follows exactly from the joint eigenvalue density
# :math:`\propto \prod_{i<j}|\lambda_i - \lambda_j| \prod_i
# e^{-\lambda_i^2/4}` by de Bruijn's identity, an :math:`n`-fold integral
# turned into a Pfaffian (:func:`nntheory.random_matrices.goe_index_distribution`).
# Three independent estimates check it: plain Monte Carlo (the fraction of
# positive definite draws, binomial standard errors), the conditional
# estimator above (the average of
# :math:`\bar\Phi(|\lambda_{\min}(A_0)|\sqrt{n/2})` over draws, which uses
# every draw and so reaches :math:`n = 6`, where plain Monte Carlo sees one
# positive definite matrix in about :math:`1/P \approx 2 \times 10^5` draws
# and needs :math:`100/P \approx 2 \times 10^7` for a 10 % relative error),
# and for :math:`n = 2` the closed form. Dean and Majumdar (2006) showed that the probability decays
# like :math:`e^{-\theta n^2}` with :math:`\theta = \ln 3/4` to leading order:
# much faster than :math:`2^{-n}`.
normal_tail = lambda x: 0.5 * torch.erfc(torch.as_tensor(x) / np.sqrt(2)).numpy()
q2 = (2 - np.sqrt(2)) / 4
p_exact = {n: random_matrices.goe_positive_definite_probability(n) for n in range(1, 11)}
print(f"n = 2: exact integral {p_exact[2]:.15f}, closed form (2 - sqrt 2)/4 = {q2:.15f}")
np.testing.assert_allclose(p_exact[2], q2, rtol=1e-13)  # the closed form
np.testing.assert_allclose(p_exact[1], 0.5, rtol=1e-14)

dims = np.arange(1, 6)
n_draws = {1: 50_000, 2: 100_000, 3: 150_000, 4: 200_000, 5: 200_000}
p_pd, p_err = [], []
for n in dims:
    A = random_matrices.goe(n, n_draws[n], rng)  # (M, n, n)
    positive_definite = np.linalg.eigvalsh(A).min(axis=1) > 0
    p = positive_definite.mean()
    p_pd.append(p)
    p_err.append(np.sqrt(p_exact[n] * (1 - p_exact[n]) / n_draws[n]))  # binomial s.e. at the exact p

rng_cond = np.random.default_rng(SEED + 1)  # the conditional estimator's draws
cond_dims = np.arange(1, 7)
n_cond = {1: 10_000, 2: 50_000, 3: 50_000, 4: 100_000, 5: 100_000, 6: 400_000}
p_cond, p_cond_err = [], []
for n in cond_dims:
    estimates = []
    for _ in range(n_cond[n] // 50_000 or 1):  # in chunks of at most 50,000 draws to bound memory
        lam = np.linalg.eigvalsh(random_matrices.goe(int(n), min(n_cond[n], 50_000), rng_cond))  # (M, n)
        lam0_min = lam[:, 0] - lam.mean(axis=1)  # smallest eigenvalue of the traceless part
        estimates.append(normal_tail(np.abs(lam0_min) * np.sqrt(n / 2)))
    estimates = np.concatenate(estimates)
    p_cond.append(estimates.mean())
    p_cond_err.append(estimates.std() / np.sqrt(len(estimates)))

print(f"{'n':>3} | {'exact':>10} | {'plain Monte Carlo':>22} | {'conditional estimator':>24} | {'2^-n':>8} | exact / 2^-n")
for n in range(1, 11):
    plain = f"{p_pd[n - 1]:.3e} ± {p_err[n - 1]:.1e}" if n <= 5 else ""
    cond = f"{p_cond[n - 1]:.3e} ± {p_cond_err[n - 1]:.1e}" if n <= 6 else ""
    print(f"{n:>3} | {p_exact[n]:>10.3e} | {plain:>22} | {cond:>24} | {2.0**-n:>8.2e} | {p_exact[n] / 2.0**-n:.2e}")
for n in dims:  # plain Monte Carlo within 4 binomial standard errors of the exact value
    assert abs(p_pd[n - 1] - p_exact[n]) < 4 * p_err[n - 1], (n, p_pd[n - 1], p_exact[n])
for n in cond_dims:  # the conditional estimator within 4 standard errors;
    # at n = 1 the traceless part is 0 and every draw gives exactly 1/2
    assert abs(p_cond[n - 1] - p_exact[n]) <= 4 * p_cond_err[n - 1] + 1e-15, (n, p_cond[n - 1], p_exact[n], p_cond_err[n - 1])
print(f"plain Monte Carlo at n = 6: one hit per 1/P = {1 / p_exact[6]:.1e} draws; 100/P = {100 / p_exact[6]:.1e} draws for 10 % relative error")
assert 1.5e5 < 1 / p_exact[6] < 2.5e5  # "about 2 x 10^5"
ratios = np.array([p_exact[n] / 2.0**-n for n in range(1, 11)])
assert np.all(ratios[1:] < 1) and np.all(np.diff(ratios) < 0)  # "far rarer than 2^-n, more so as n grows"

# Leading order of -ln P: fit a n^2 + b n + c on n = 4..10 and compare a with ln(3)/4.
n_fit = np.arange(4, 11)
a_fit = np.polyfit(n_fit, [-np.log(p_exact[n]) for n in n_fit], 2)[0]
print(f"-ln P(n) fitted by a n^2 + b n + c on n = 4..10: a = {a_fit:.4f}; Dean-Majumdar theta = ln(3)/4 = {np.log(3) / 4:.4f}")
assert abs(a_fit / (np.log(3) / 4) - 1) < 0.01, a_fit  # "e^{-theta n^2} to leading order"

# Another ensemble, another number: symmetric, all independent entries N(0, 1), n = 2.
G = np.random.default_rng(SEED + 5).standard_normal((200_000, 2, 2))
B = np.triu(G) + np.swapaxes(np.triu(G, 1), 1, 2)  # (M, 2, 2), diagonal and off-diagonal variance 1
p_other = (np.linalg.eigvalsh(B)[:, 0] > 0).mean()
se_other = np.sqrt(p_other * (1 - p_other) / len(B))
print(f"n = 2, all entries N(0, 1): P(positive definite) = {p_other:.4f} ± {se_other:.4f}  vs GOE {q2:.4f}")
assert abs(p_other - q2) > 10 * se_other, (p_other, q2)  # "another ensemble gives another number"

# A rotation-invariant ensemble that is not the GOE: A + z I, z ~ N(0, c = 1), n = 2.
rng_shift = np.random.default_rng(SEED + 6)
A_shift = random_matrices.goe(2, 200_000, rng_shift) + rng_shift.standard_normal(200_000)[:, None, None] * np.eye(2)
p_shift = (np.linalg.eigvalsh(A_shift)[:, 0] > 0).mean()
q_shift = 0.5 - 1 / (2 * np.sqrt(3))  # 1/2 - 1/(2 sqrt(2 + c)) at c = 1
se_shift = np.sqrt(q_shift * (1 - q_shift) / 200_000)
O, _ = np.linalg.qr(rng_shift.standard_normal((2, 2)))
rotated = O @ A_shift[:100_000] @ O.T  # (100000, 2, 2)
var_before, var_after = A_shift[:100_000, [0, 0, 1], [0, 1, 1]].var(axis=0), rotated[:, [0, 0, 1], [0, 1, 1]].var(axis=0)
print(f"n = 2, GOE + z I with z ~ N(0, 1): P(positive definite) = {p_shift:.4f}, closed form 1/2 - 1/(2 sqrt 3) = {q_shift:.4f} (GOE {q2:.4f})")
print(f"  variances of the entries (11, 12, 22), before / after a random rotation: {np.round(var_before, 3)} / {np.round(var_after, 3)}")
assert abs(p_shift - q_shift) < 4 * se_shift, (p_shift, q_shift)  # the closed form, within 4 binomial s.e.
assert abs(q_shift - q2) > 0.05  # "another rotation-invariant ensemble, another value"
# "invariant too": the entry variances (3, 1, 3) are the same after a rotation; a sample variance has
# relative s.e. sqrt(2/(M-1)) = 0.0045 (M = 1e5), allow 5 of them
np.testing.assert_allclose(var_after, [3.0, 1.0, 3.0], rtol=5 * np.sqrt(2 / 1e5))
np.testing.assert_allclose(var_before, [3.0, 1.0, 3.0], rtol=5 * np.sqrt(2 / 1e5))

# %%
# The left panel compares the exact probabilities with :math:`2^{-n}` and
# with the two Monte Carlo estimates (and shows :math:`e^{-n^2 \ln 3/4}` as a
# guide to the slope; its prefactor is not part of the asymptotic result).
# The right panel shows why: for :math:`n = 10` the number of positive
# eigenvalues of a GOE matrix is far more concentrated around :math:`n/2`
# than the binomial count (printed variances), so the extreme :math:`k = n`
# (a minimum) is much rarer than under independent coin flips. Bars show the
# frequencies in 20,000 draws, dots the exact probabilities. Bars are
# missing where no draw fell: at :math:`k \le 1` and :math:`k \ge 9` the
# expected count :math:`20{,}000\,P(k)` is below :math:`10^{-4}`, and at
# :math:`k = 2, 8` it is about 0.5, so each is empty about 60 % of the time.
# The dotted line is one draw in 20,000.
n_big, m_big = 10, 20_000
k_pos = (np.linalg.eigvalsh(random_matrices.goe(n_big, m_big, rng)) > 0).sum(axis=1)
k_values = np.arange(n_big + 1)
counts = np.bincount(k_pos, minlength=n_big + 1)
goe_exact = random_matrices.goe_index_distribution(n_big)
binom = np.array([math.comb(n_big, k) for k in k_values]) / 2.0**n_big
var_exact = np.sum(goe_exact * (k_values - n_big / 2) ** 2)
print(f"n = {n_big}: variance of k, GOE exact {var_exact:.3f} (Monte Carlo {k_pos.var():.3f}) vs binomial {n_big / 4:.2f}")
print(f"  P(k = n): GOE exact {goe_exact[-1]:.2e}, binomial {binom[-1]:.1e}")
print("  k:              " + " ".join(f"{k:>8}" for k in k_values))
print("  counts:         " + " ".join(f"{c:>8}" for c in counts))
print("  expected count: " + " ".join(f"{m_big * p:>8.1e}" for p in goe_exact))
assert var_exact < 0.25 * (n_big / 4)  # "far more concentrated than the binomial count"
expected = m_big * goe_exact
assert np.all(expected[[0, 1, 9, 10]] < 1e-4) and np.all(np.abs(expected[[2, 8]] - 0.5) < 0.05)  # the stated expected counts
assert np.all(counts[expected < 1e-4] == 0)  # nothing where less than 1e-4 draws are expected
well_sampled = expected > 20  # elsewhere: the counts within 4 binomial standard errors of the exact ones
assert np.all(np.abs(counts - expected)[well_sampled] < 4 * np.sqrt(expected * (1 - goe_exact))[well_sampled]), (counts, expected)

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
n_all = np.arange(1, 11)
ax0.semilogy(n_all, [p_exact[n] for n in n_all], "o-", color="#0072B2", ms=7, lw=1.5, label="GOE, exact (de Bruijn)")
ax0.errorbar(dims - 0.12, p_pd, yerr=p_err, fmt="s", color="#56B4E9", ms=6, capsize=3, label="plain Monte Carlo")
ax0.errorbar(cond_dims + 0.12, p_cond, yerr=p_cond_err, fmt="^", color="#009E73", ms=7, capsize=3, label="conditional estimator")
ax0.semilogy(n_all, 2.0**-n_all, color="#D55E00", lw=2, label=r"independent coin flips $2^{-n}$")
ax0.semilogy(n_all, np.exp(-np.log(3) / 4 * n_all**2), color="0.4", lw=1.5, ls=":", label=r"$e^{-n^2 \ln 3 / 4}$ (slope guide)")
ax0.set_xlabel("dimension n", fontsize=12)
ax0.set_ylabel("P(all eigenvalues > 0)", fontsize=12)
ax0.set_title("A GOE matrix is positive definite far less often than 2⁻ⁿ", fontsize=12)
ax0.legend(fontsize=10, loc="lower left")
width = 0.4
ax1.bar(k_values - width / 2, np.where(counts > 0, counts / m_big, np.nan), width, color="#0072B2", label=f"GOE, {m_big:,} draws")
ax1.plot(k_values - width / 2, goe_exact, "o", color="black", ms=6, label="GOE, exact")
ax1.bar(k_values + width / 2, binom, width, color="#D55E00", label="Binomial(n, 1/2)")
ax1.axhline(1 / m_big, color="0.4", lw=1, ls=":", label="one draw")
ax1.set_yscale("log")
ax1.set_ylim(1e-15, 1)
ax1.set_xlabel(f"number k of positive eigenvalues (n = {n_big})", fontsize=12)
ax1.set_ylabel("probability", fontsize=12)
ax1.set_title("Eigenvalue repulsion concentrates k near n/2", fontsize=12)
ax1.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)  # below: the bars fill the axes
for a in (ax0, ax1):
    a.tick_params(labelsize=11)
plt.show()

# %%
# Index and loss: where the minima are
# ------------------------------------
# The counting argument is only half of the story the question is built on.
# At the critical points of a random high-dimensional function the index
# (the number of negative Hessian eigenvalues) is not independent of the
# value: it grows with the loss. Minima lie at low loss, and at higher loss
# the critical points are overwhelmingly saddles with ever more descending
# directions (Bray and Dean, *Statistics of critical points of Gaussian
# fields on large-dimensional spaces*, 2007, for Gaussian random fields;
# Dauphin et al., *Identifying and attacking the saddle point problem in
# high-dimensional non-convex optimization*, 2014, for the training loss of
# neural networks). So a descent method that is still at high loss is near
# saddles, not near bad minima.
#
# A small experiment where every critical point can be classified: the
# spherical 3-spin glass (:mod:`nntheory.spin_glass`),
# :math:`H(\sigma) = \frac1n\sum_{ijk} J_{ijk}\sigma_i\sigma_j\sigma_k` on the
# sphere :math:`\|\sigma\|^2 = n`, :math:`n = 12`, :math:`J_{ijk}` i.i.d.
# standard normal, a Gaussian random function on the sphere. Why this model:
# Choromanska, Henaff, Mathieu, Ben Arous and LeCun (*The loss surfaces of
# multilayer networks*, AISTATS 2015) connect the loss of a fully connected
# ReLU network with the energy of a spherical spin glass (of order the
# network's depth), under the assumptions of variable independence,
# redundancy in the parametrisation and uniformity, which Choromanska, LeCun
# and Ben Arous (COLT 2015 open problem) call possibly unrealistic. So it is
# a tractable proxy for a random high-dimensional loss, not a network.
# Newton's method
# on the Lagrange system from 3000 random starts converges to critical points
# of any index, not only to minima (it finds mostly saddles); Riemannian
# gradient descent from 200 more starts adds the minima, which Newton's small
# basins tend to miss (and their mirror images
# :math:`-\sigma`, maxima, since :math:`H(-\sigma) = -H(\sigma)`). For each
# distinct critical point we record the energy per spin :math:`H/n` (the
# "loss") and the index of the Riemannian Hessian on the
# :math:`(n-1)`-dimensional tangent space.
#
# Why the index follows the energy (Auffinger, Ben Arous and Černý, 2013):
# at a critical point :math:`\nabla H = \mu\sigma` with :math:`\mu = 3H/n`,
# and the Riemannian Hessian is :math:`\nabla^2 H - \mu I` on the tangent
# space. The tangent block of :math:`\nabla^2 H` is independent of :math:`H`
# and distributed as a GOE matrix with off-diagonal variance :math:`6/n`
# (the Kac–Rice formula for counting critical points weights it further by
# :math:`|\det|`). So the Hessian at a critical point of energy :math:`E =
# H/n` is a random symmetric matrix shifted by :math:`-3E`: at low energy
# the shift pushes all eigenvalues positive (a minimum), at high energy it
# makes most of them negative. For large :math:`n` the eigenvalues fill a
# semicircle of radius :math:`2\sqrt6` centred at :math:`-3E`, which predicts
# an index of :math:`(n-1)\,F_{\rm sc}(3E)`, :math:`F_{\rm sc}` the
# semicircle's distribution function, and minima only below
# :math:`E = -2\sqrt6/3 \approx -1.63`. At :math:`n = 12` the edge of the
# spectrum is soft and minima appear well above that energy, so the formula
# is only a rough guide (drawn in the figure); the checks below hold the
# measured relation. The critical points found are a sample, not a census:
# the counts say what Newton's method and descent found, and the claims are
# about how index and energy go together among them.
#
# **The share of minima among critical points is not** :math:`P(A \succ 0)`.
# The GOE probability above is for a Hessian drawn independently of the loss.
# At a critical point the Hessian is a random matrix *shifted by*
# :math:`-3E`, and the low-energy critical points get a large positive
# shift. Their expected numbers follow from the Kac–Rice formula, which
# Auffinger, Ben Arous and Černý turn into an exact GOE expectation for every
# :math:`n` (:func:`nntheory.spin_glass.expected_critical_points`). For
# :math:`n = 12` it gives a share of minima of about 1 %, the same order as
# in our sample (whose total is of the same order as the expected total, so
# it covers much of this landscape), and some :math:`10^{14}` times the probability that an
# :math:`11 \times 11` GOE matrix (the tangent space has :math:`n - 1 = 11`
# dimensions) is positive definite, and even above the coin-flip
# :math:`2^{-11}`. For large :math:`n` the expected total grows like
# :math:`2^{n/2}` and the number of minima like :math:`e^{n(\ln 2/2 - 1/3)}`,
# so the share of minima falls like :math:`e^{-n/3}`, exponentially, not
# like :math:`e^{-\theta n^2}`: the printed :math:`-\ln(\text{share})/n`
# approaches :math:`1/3`. Saddles do dominate, but the GOE number
# overstates by far how rare minima are.
N_SPINS = 12
rng_spin = np.random.default_rng(SEED + 2)  # the couplings and every start
J = spin_glass.couplings(N_SPINS, rng_spin)
newton_points = spin_glass.critical_points(J, rng_spin.standard_normal((3000, N_SPINS)))
descended = spin_glass.descend(J, rng_spin.standard_normal((200, N_SPINS)), lr=0.05, n_steps=1000)
gd_minima = spin_glass.critical_points(J, descended, n_iter=5)  # polished by a few Newton steps
crit = spin_glass.critical_points(J, np.concatenate([newton_points, gd_minima, -gd_minima]), n_iter=2)
hess_eig = spin_glass.riemannian_hessian_eigenvalues(J, crit)  # (n_crit, n - 1)
index = (hess_eig < 0).sum(axis=1)
energy = spin_glass.energy(J, crit) / N_SPINS
print(f"{len(crit)} distinct critical points ({len(newton_points)} from Newton, {len(gd_minima)} minima from descent)")
print(f"max |Riemannian gradient| {np.abs(spin_glass.riemannian_gradient(J, crit)).max():.0e}, smallest |Hessian eigenvalue| {np.abs(hess_eig).min():.2f}")
assert np.abs(spin_glass.riemannian_gradient(J, crit)).max() < 1e-8  # all critical
assert np.abs(hess_eig).min() > 1e-6  # non-degenerate, so the index is well defined
assert np.all(spin_glass.riemannian_hessian_eigenvalues(J, gd_minima)[:, 0] > 0)  # descent found minima

print(f"{'index':>5} | {'count':>5} | {'mean energy':>11} | {'min':>7} | {'max':>7}")
mean_energy = {}
for k in range(N_SPINS):
    sel = index == k
    if sel.any():
        mean_energy[k] = energy[sel].mean()
        print(f"{k:>5} | {sel.sum():>5} | {mean_energy[k]:>11.3f} | {energy[sel].min():>7.3f} | {energy[sel].max():>7.3f}")
rank = lambda v: np.argsort(np.argsort(v))
spearman = np.corrcoef(rank(energy), rank(index))[0, 1]
minima_energy = energy[index == 0]
highest_minimum_quantile = max(np.mean(energy < e) for e in minima_energy)  # share of critical points below it
semicircle_cdf = lambda x: 0.5 + (np.clip(x, -1, 1) * np.sqrt(1 - np.clip(x, -1, 1) ** 2) + np.arcsin(np.clip(x, -1, 1))) / np.pi
predicted_index = (N_SPINS - 1) * semicircle_cdf(3 * energy / (2 * np.sqrt(6)))
print(f"rank correlation of index and energy: {spearman:.3f}")
print(f"minima: {len(minima_energy)} of {len(crit)} critical points; the highest minimum lies above only {100 * highest_minimum_quantile:.1f} % of the critical points")
print(f"mean |index - semicircle prediction|: {np.abs(index - predicted_index).mean():.2f}")
well_populated = [k for k in mean_energy if (index == k).sum() >= 3]
assert np.all(np.diff([mean_energy[k] for k in well_populated]) > 0)  # "the index grows with the loss"
assert spearman > 0.9, spearman
# "minima lie at low loss": every minimum found is among the lowest 10 % of the critical points by
# energy, so above that level all critical points found are saddles (or maxima)
assert len(minima_energy) >= 1 and highest_minimum_quantile < 0.10, highest_minimum_quantile
assert len(minima_energy) < 0.05 * len(crit)  # "overwhelmingly saddles"
assert np.abs(index - predicted_index).mean() < 1.0  # "a rough guide": within one index on average

# Kac-Rice: the expected number of critical points and minima, and the share of minima, against
# the GOE probability of a positive definite (n - 1) x (n - 1) matrix.
rng_kr = np.random.default_rng(SEED + 7)
kr_share = {}
for n_kr, m_kr in ((N_SPINS, 20_000), (24, 6_000), (48, 2_000)):
    kr_mean, kr_se = spin_glass.expected_critical_points(n_kr, m_kr, rng_kr)
    kr_share[n_kr] = (kr_mean[0] / kr_mean.sum(), kr_se[0] / kr_mean[0])  # share, relative s.e. of the minima
    if n_kr == N_SPINS:
        kr_total, kr_minima = kr_mean.sum(), kr_mean[0]
found_share = len(minima_energy) / len(crit)
p_goe_tangent = random_matrices.goe_positive_definite_probability(N_SPINS - 1)
print(f"n = {N_SPINS}, Kac-Rice: expected {kr_total:.0f} critical points, {kr_minima:.1f} minima, share {kr_share[N_SPINS][0]:.2%};"
      f" found: {len(crit)}, {len(minima_energy)}, share {found_share:.2%}")
print(f"  P(GOE {N_SPINS - 1}x{N_SPINS - 1} positive definite) = {p_goe_tangent:.1e};  2^-{N_SPINS - 1} = {2.0 ** -(N_SPINS - 1):.1e}")
print("  -ln(share of minima)/n for n = " + ", ".join(f"{k}: {-np.log(v[0]) / k:.3f}" for k, v in kr_share.items()) + "  (-> 1/3)")
assert all(v[1] < 0.05 for v in kr_share.values()), kr_share  # Monte Carlo resolves each share to 5 %
assert 0.005 < kr_share[N_SPINS][0] < 0.02  # "about 1 %"
# "the same order as in our sample": within a factor 4 (the number of minima found, 5-9 under our
# seeds, fluctuates from landscape to landscape like a count with mean ~7)
assert 0.25 < found_share / kr_share[N_SPINS][0] < 4, (found_share, kr_share[N_SPINS][0])
assert 0.5 < len(crit) / kr_total < 2, (len(crit), kr_total)  # "total of the same order as the expected total"
assert 1e13 < kr_share[N_SPINS][0] / p_goe_tangent < 1e15  # "some 10^14 times" P(GOE > 0)
assert kr_share[N_SPINS][0] > 2.0 ** -(N_SPINS - 1)  # "even above the coin flip"
rates = [-np.log(v[0]) / k for k, v in kr_share.items()]
assert np.all(np.diff(rates) < 0) and abs(rates[-1] - 1 / 3) < 0.01, rates  # "approaches 1/3"

fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
jitter = np.random.default_rng(SEED + 4).uniform(-0.25, 0.25, len(index))  # only to separate the dots
is_min, is_max = index == 0, index == N_SPINS - 1
ax.scatter(energy[~is_min & ~is_max], index[~is_min & ~is_max] + jitter[~is_min & ~is_max], s=10, color="#0072B2", alpha=0.5, label="saddle points")
ax.scatter(energy[is_min], index[is_min] + jitter[is_min], s=40, marker="v", color="#D55E00", label="minima")
ax.scatter(energy[is_max], index[is_max] + jitter[is_max], s=40, marker="^", color="#009E73", label="maxima")
e_line = np.linspace(energy.min(), energy.max(), 200)
ax.plot(e_line, (N_SPINS - 1) * semicircle_cdf(3 * e_line / (2 * np.sqrt(6))), color="0.3", lw=1.5, ls="--", label=r"large-$n$ guide $(n-1)F_{\rm sc}(3E)$")
ax.set_xlabel(r"energy per spin $E = H(\sigma)/n$ (the loss)", fontsize=12)
ax.set_ylabel("index (negative Hessian eigenvalues)", fontsize=12)
ax.set_title(f"Spherical 3-spin glass, n = {N_SPINS}: the index grows with the loss", fontsize=12)
ax.legend(fontsize=10, loc="upper left")
ax.tick_params(labelsize=11)
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
print(f"linearised prediction:                   {[int(round(p)) for p in predicted]}")
print(f"fitted slope d(steps)/d ln(1/delta) = {slope:.2f}; theory 1/ln(1 + alpha) = {1 / np.log(1 + ALPHA):.2f}")
assert abs(slope * np.log(1 + ALPHA) - 1) < 0.02, slope  # "the slope matches 1/ln(1 + alpha)"
assert np.all(np.abs(np.array(escape) - predicted) <= 3), (escape, predicted)  # the linearised count, to 3 steps
# The plateau: from the smallest delta, f stays within 1e-3 of the saddle value from step 40
# (x has decayed) until 60 steps before the escape.
plateau = np.array(curves[deltas[0]][40 : escape[0] - 60])
assert np.abs(plateau).max() < 1e-3, np.abs(plateau).max()

# Exactly on the stable manifold (delta = 0) GD converges to the saddle: y stays 0, x -> 0.
rule = optim.sgd(ALPHA)
z = np.array([1.0, 0.0])
state = rule.init(z)
for _ in range(400):
    z, state = rule.update(z, saddle_grad(z), state)
print(f"from (1, 0), after 400 steps: z = ({z[0]:.1e}, {z[1]:.1e})")
assert z[1] == 0.0 and abs(z[0]) < 1e-17  # x_k = 0.9^k; y never moves

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
# Momentum helps; Newton's method is attracted to the saddle
# ----------------------------------------------------------
# Heavy-ball momentum (:math:`b \leftarrow \mu b + g`, :math:`x \leftarrow x
# - \alpha b`) multiplies the escape component, per step, by the larger root
# of :math:`r^2 - (1 + \mu + \alpha|\lambda|)\,r + \mu = 0`; with
# :math:`\alpha = 0.1`, :math:`\mu = 0.9`, :math:`|\lambda| = 1` that is
# :math:`r = 1 + \sqrt{0.1} \approx 1.32` instead of GD's :math:`1.1`, so
# the plateau is :math:`\ln 1.1/\ln 1.32 \approx 1/2.9` as long.
#
# Curvature information is a different matter. Newton's step
# :math:`-H^{-1}\nabla f` rescales each eigen-direction by
# :math:`1/\lambda`; along a negative-curvature direction that reverses the
# step, which then points *towards* the saddle: Newton's method is attracted
# to every critical point, whatever its index (this page uses exactly that
# to find saddles). On :math:`f` above, the Newton update of :math:`y` is
# :math:`y - (y^3 - y)/(3y^2 - 1) = 2y^3/(3y^2 - 1) \approx -2y^3`: from
# :math:`(1, \delta)` it lands on the saddle within a few steps. Dauphin et
# al. (2014) propose the *saddle-free Newton* step :math:`-|H|^{-1}\nabla f`,
# with :math:`|H|` the Hessian with its eigenvalues replaced by their
# absolute values: it keeps Newton's rescaling but always descends, and
# near the saddle it *doubles* :math:`y` per step (:math:`y + y(1 - y^2)/(1 -
# 3y^2) \approx 2y`), leaving in about :math:`\log_2(0.5/\delta)` steps. Near
# :math:`y = 1/\sqrt3`, where the curvature along :math:`y` passes through
# zero, the undamped step is huge and overshoots far beyond the minimum
# (the largest :math:`|y|` is printed); from there the Newton steps bring it
# back to the minimum :math:`(0, 1)`. Practical versions damp :math:`|H|`
# (Dauphin et al. add a damping constant and work in a low-dimensional
# Krylov subspace).
saddle_hess = lambda z: np.diag([1.0, -1.0 + 3.0 * z[1] ** 2])
delta_demo = 1e-6
escape_mom = {}
for mom in (0.0, 0.9):
    rule = optim.sgd(ALPHA, momentum=mom)
    z = np.array([1.0, delta_demo])
    state, k = rule.init(z), 0
    while abs(z[1]) <= 0.5:
        z, state = rule.update(z, saddle_grad(z), state)
        k += 1
    escape_mom[mom] = k
r_mom = 1 + np.sqrt(0.1)
np.testing.assert_allclose(np.roots([1, -(1 + 0.9 + ALPHA), 0.9]).max(), r_mom, rtol=1e-12)  # the larger root

newton_path, sfn_path = [np.array([1.0, delta_demo])], [np.array([1.0, delta_demo])]
for _ in range(40):
    z = newton_path[-1]
    newton_path.append(z - np.linalg.solve(saddle_hess(z), saddle_grad(z)))
    z = sfn_path[-1]
    w, V = np.linalg.eigh(saddle_hess(z))
    sfn_path.append(z - V @ ((V.T @ saddle_grad(z)) / np.abs(w)))  # -|H|^{-1} grad
newton_path, sfn_path = np.array(newton_path), np.array(sfn_path)  # (41, 2) each
sfn_escape = int(np.argmax(np.abs(sfn_path[:, 1]) > 0.5))
print(f"from (1, {delta_demo:.0e}): steps until |y| > 1/2: GD {escape_mom[0.0]}, heavy ball (mu 0.9) {escape_mom[0.9]}"
      f" (ratio {escape_mom[0.0] / escape_mom[0.9]:.2f}; ln r / ln 1.1 = {np.log(r_mom) / np.log(1 + ALPHA):.2f})")
print(f"Newton: y after 1, 2, 3 steps = {newton_path[1, 1]:.1e}, {newton_path[2, 1]:.1e}, {newton_path[3, 1]:.1e}; |z| after 40 steps = {np.linalg.norm(newton_path[-1]):.1e} (the saddle)")
print(f"saddle-free Newton: |y| > 1/2 after {sfn_escape} steps (log2(0.5/delta) = {np.log2(0.5 / delta_demo):.1f}); largest |y| {np.abs(sfn_path[:, 1]).max():.1f};"
      f" after 40 steps z = ({sfn_path[-1, 0]:.1e}, {sfn_path[-1, 1]:.15f})")
# "momentum shortens the plateau by about ln 1.1 / ln r": the counts' ratio within 10 % (the
# counts include a transient of a few steps, and the last steps leave the linear regime)
np.testing.assert_allclose(escape_mom[0.0] / escape_mom[0.9], np.log(r_mom) / np.log(1 + ALPHA), rtol=0.1)
# y -> 2y^3/(3y^2 - 1), to the rounding of the difference y - (y^3 - y)/(3y^2 - 1) of two numbers of size delta
np.testing.assert_allclose(newton_path[1, 1], 2 * delta_demo**3 / (3 * delta_demo**2 - 1), rtol=0, atol=4 * np.finfo(float).eps * delta_demo)
assert np.all(newton_path[3:] == 0.0)  # "lands on the saddle within a few steps" (exactly, in floating point)
assert abs(sfn_escape - np.log2(0.5 / delta_demo)) <= 2, sfn_escape  # "about log2(0.5/delta) steps"
assert (sfn_escape, escape_mom[0.0]) == (19, 139), (sfn_escape, escape_mom)  # the counts typed in "What to notice"
assert np.abs(sfn_path[:, 1]).max() > 2  # "overshoots far beyond the minimum" y = 1
np.testing.assert_allclose(sfn_path[-1], [0.0, 1.0], atol=1e-15)  # "... back to the minimum (0, 1)"

# |y_k| for the four methods (the Newton iterate is exactly 0 from step 2: the curve ends there).
y_paths = {}
for mom in (0.0, 0.9):
    rule = optim.sgd(ALPHA, momentum=mom)
    z = np.array([1.0, delta_demo])
    state, ys = rule.init(z), [delta_demo]
    for _ in range(60):
        z, state = rule.update(z, saddle_grad(z), state)
        ys.append(abs(z[1]))
    y_paths["GD" if mom == 0 else "heavy ball, μ = 0.9"] = np.array(ys)
fig, ax = plt.subplots(figsize=(7.5, 4.4), layout="constrained")
styles = {"GD": ("#0072B2", "-"), "heavy ball, μ = 0.9": ("#009E73", "-")}
for name, ys in y_paths.items():
    ax.semilogy(ys, color=styles[name][0], ls=styles[name][1], lw=2, label=f"{name} (α = {ALPHA})")
ax.semilogy(np.abs(sfn_path[:41, 1]), "o-", color="#D55E00", ms=4, lw=1.5, label="saddle-free Newton")
nonzero = np.abs(newton_path[:, 1]) > 0
ax.semilogy(np.nonzero(nonzero)[0], np.abs(newton_path[nonzero, 1]), "s-", color="#CC79A7", ms=6, lw=1.5, label="Newton (y = 0 exactly from step 2)")
ax.axhline(0.5, color="0.4", lw=1, ls=":", label="escaped: |y| = 1/2")
ax.set_xlim(0, 60)
ax.set_ylim(1e-19, 1e3)  # the saddle-free Newton overshoot stays in view
ax.set_xlabel("step k", fontsize=12)
ax.set_ylabel(r"$|y_k|$ (distance along the escape direction)", fontsize=12)
ax.set_title("From δ = 10⁻⁶: momentum leaves faster, Newton falls into the saddle", fontsize=12)
ax.legend(fontsize=10, loc="lower right")
ax.tick_params(labelsize=11)
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
#   exponentially rare. For a GOE matrix drawn independently of any loss,
#   positive definiteness is rarer still: :math:`(2-\sqrt2)/4 \approx 0.146`
#   at :math:`n = 2`, and the exact probabilities fall ever further below
#   :math:`2^{-n}` (the printed ratio shrinks with :math:`n`), like
#   :math:`e^{-n^2\ln 3/4}` to leading order, because repelling eigenvalues do
#   not choose their signs independently. Both Monte Carlo estimators agree
#   with the exact values within their error bars; the absent bars in the
#   right panel are values of :math:`k` so rare that 20,000 draws expect
#   fewer than one.
# * **Index and loss.** That probability is *not* the share of minima among
#   the critical points of a random function, whose Hessian is tied to the
#   loss. On the spin glass the minima found lie among the lowest-lying
#   critical points (the lowest 10 % by energy), the mean index rises
#   steadily with the loss, and minima make up about 1 % of the critical
#   points at :math:`n = 12` (Kac–Rice; the same order in our sample), some
#   :math:`10^{14}` times the GOE probability, with a share that falls only
#   like :math:`e^{-n/3}`. Saddles dominate at high loss: a method still at
#   high loss is among saddles, with many directions of descent, not stuck in
#   a bad minimum.
# * **(c)** Near a saddle GD's progress along the escape direction is
#   multiplicative, so the time spent on the plateau grows like
#   :math:`\ln(1/\delta)` (the printed slope matches
#   :math:`1/\ln(1+\alpha)`), and a start on the stable manifold never
#   escapes. Momentum shortens these plateaus (here by the printed factor,
#   close to the predicted 2.9), and so does noise (the next page shows it kicking GD off a
#   saddle). Curvature information helps only if used with care: plain
#   Newton is attracted to the saddle, the saddle-free step
#   :math:`-|H|^{-1}\nabla f` escapes it in about :math:`\log_2(0.5/\delta)`
#   steps (19 against GD's 139 from :math:`\delta = 10^{-6}`).

# sphinx_gallery_thumbnail_number = 1
