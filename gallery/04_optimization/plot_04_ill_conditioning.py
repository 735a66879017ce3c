"""
Ill-conditioned Hessians slow gradient descent; Newton's method does not care
=============================================================================

Part 1 of exercise 3 on sheet 9 of the Theory of Neural Networks course (ID
``tnn-9/3.1``) studies gradient descent with a fixed learning rate
:math:`\\alpha` on a function :math:`f(\\theta)`, :math:`\\theta \\in \\R^D`:
(a) using a second-order Taylor expansion, when does a step *increase*
:math:`f`? (b) If :math:`\\alpha` is made small enough that this cannot
happen, what goes wrong when the Hessian is ill-conditioned, i.e. its
condition number :math:`\\kappa = |\\lambda|_{\\max}/|\\lambda|_{\\min}` is
large? (c) Which algorithm should one use for a strictly convex function
whose Hessian is ill-conditioned almost everywhere?

This page derives the step condition and checks it on a small neural-network
loss with the exact Hessian from :mod:`nntheory.diagnostics`, then measures
the number of iterations to a fixed tolerance against :math:`\\kappa` for
gradient descent at its best fixed step, heavy-ball momentum and Newton's
method, on the same problems, and accounts for the measured counts: GD's
exactly by a recount from the eigen-decomposition (and to within 5 % by a
two-direction estimate), heavy ball's between two proved bounds. It also
shows the price of heavy ball's optimal tuning (its parameters sit within a
relative :math:`1/\\kappa` of divergence) and that its :math:`\\sqrt\\kappa`
rate is a property of quadratics: on a non-quadratic strongly convex function
the same tuning can cycle forever, while Nesterov's method keeps an
accelerated rate. For (c) it shows what Newton's method needs to work: a
positive definite Hessian for its fast local convergence, and a line search
for convergence from far away.
"""

# %%
# (a) When does a gradient step increase f?
# -----------------------------------------
# Write :math:`g = \nabla f(\theta)` and :math:`H = \nabla^2 f(\theta)`. The
# step is :math:`\Delta\theta = -\alpha g`, and to second order
#
# .. math::
#
#    f(\theta - \alpha g) \approx f(\theta) - \alpha\, g^\top g
#    + \tfrac12 \alpha^2\, g^\top H g .
#
# The step increases :math:`f` when the curvature term beats the linear
# decrease, :math:`\tfrac12\alpha^2 g^\top H g > \alpha\, g^\top g`, that is
# (for :math:`\alpha > 0` and :math:`g^\top H g > 0`)
#
# .. math::
#
#    \alpha > \alpha^\star := \frac{2\, g^\top g}{g^\top H g} .
#
# If :math:`g^\top H g \le 0` (zero or negative curvature along
# :math:`g`) the quadratic model never predicts an increase. Since
# :math:`g^\top H g \le \lambda_{\max}\, g^\top g`, every direction is safe
# (to second order) when :math:`\alpha < 2/\lambda_{\max}` with
# :math:`\lambda_{\max} > 0`.
#
# Three checks. On an exact quadratic the expansion is exact, so
# :math:`\alpha^\star` is exactly where :math:`f(\theta - \alpha g)` crosses
# :math:`f(\theta)` (found by bisection). On the mean squared error of a small
# tanh network at a random parameter point, the exact Hessian from
# :func:`nntheory.diagnostics.hessian.hessian_matrix` gives the two
# coefficients of the expansion: along the line,
# :math:`\varphi(\alpha) = f(\theta - \alpha g)` has
# :math:`\varphi'(0) = -g^\top g` and :math:`\varphi''(0) = g^\top H g`, which
# we compare with ``torch.func`` derivatives of :math:`\varphi`. And the
# remainder :math:`\varphi(\alpha) - \varphi(0) - \varphi'(0)\alpha -
# \tfrac12\varphi''(0)\alpha^2` is of third order: divided by
# :math:`\alpha^3` it tends to :math:`\varphi'''(0)/6`. On the network the
# true crossing therefore differs from :math:`\alpha^\star` by an amount set
# by those higher-order terms, which depends on the point (printed).
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import optim
from nntheory.diagnostics.hessian import condition_number, flat_loss, hessian_matrix
from nntheory.seeding import base_seed

SEED = base_seed(31)
generator = torch.Generator().manual_seed(SEED)  # the network and its data
rng = np.random.default_rng(SEED)  # the quadratic problems of (b) and (c)

X = torch.randn(40, 3, generator=generator, dtype=torch.float64)
y = torch.sin(X.sum(dim=1, keepdim=True))
net = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1)).double()
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
f, theta = flat_loss(net, torch.nn.MSELoss(), X, y)  # f: R^P -> R, theta: (P,)
g = torch.func.grad(f)(theta)
H = hessian_matrix(f, theta)  # (P, P)
gg, gHg = (g @ g).item(), (g @ H @ g).item()
alpha_star = 2 * gg / gHg


def crossing(fun, theta, g, lo, hi, n_iter=200):
    """Bisection for the alpha in (lo, hi) at which fun(theta - alpha g) = fun(theta)."""
    f0 = fun(theta).item()
    assert fun(theta - lo * g).item() < f0 < fun(theta - hi * g).item(), "no crossing in (lo, hi)"
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if fun(theta - mid * g).item() < f0 else (lo, mid)
    return 0.5 * (lo + hi)


# The same check on an exact quadratic, where the Taylor expansion is exact.
A = torch.diag(torch.tensor([10.0, 1.0, 0.1], dtype=torch.float64))
quad = lambda th: 0.5 * th @ A @ th
th_q = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
g_q = A @ th_q
a_pred = (2 * g_q @ g_q / (g_q @ A @ g_q)).item()
a_quad = crossing(quad, th_q, g_q, 1e-9, 1.0)
print(f"quadratic: predicted {a_pred:.12f}, actual crossing {a_quad:.12f}")
assert abs(a_quad - a_pred) < 1e-12 * a_pred, (a_quad, a_pred)  # "exactly where it crosses"

# The network: the expansion's coefficients, and a third-order remainder.
phi = lambda a: f(theta - a * g)
d1 = torch.func.grad(phi)
d2 = torch.func.grad(d1)
d3 = torch.func.grad(d2)
zero = torch.zeros((), dtype=torch.float64)
phi1, phi2, phi3 = d1(zero).item(), d2(zero).item(), d3(zero).item()
print(f"network: P = {theta.numel()} parameters, f(theta) = {f(theta).item():.4f}, kappa(H) = {condition_number(H):.1f}")
print(f"  phi'(0) = {phi1:.12f}  vs -g.g  = {-gg:.12f}")
print(f"  phi''(0) = {phi2:.12f}  vs g.H.g = {gHg:.12f}")
np.testing.assert_allclose(phi1, -gg, rtol=1e-12)  # "phi'(0) = -g.g"
np.testing.assert_allclose(phi2, gHg, rtol=1e-12)  # "phi''(0) = g.H.g"
f_theta = f(theta).item()
small = alpha_star * np.logspace(-1, -3, 3)
remainder_ratio = [(phi(torch.tensor(a)).item() - f_theta - phi1 * a - 0.5 * phi2 * a**2) / a**3 for a in small]
print("  remainder / alpha^3 at alpha = alpha* x 1e-1, 1e-2, 1e-3: " + ", ".join(f"{r:.6f}" for r in remainder_ratio) + f";  phi'''(0)/6 = {phi3 / 6:.6f}")
# "the remainder is of third order": remainder / alpha^3 tends to phi'''(0)/6, its distance
# shrinking at least in proportion to alpha (tenfold per decade, from the O(alpha^4) term);
# rounding in the difference of losses adds at most ~1e-15 f / alpha^3.
dev = [abs(r - phi3 / 6) for r in remainder_ratio]
assert dev[2] <= 0.2 * dev[1] + 1e-15 * abs(f_theta) / small[2] ** 3, dev
alpha_true = crossing(f, theta, g, 1e-6 * alpha_star, 3 * alpha_star)
print(f"  predicted threshold 2 g.g / g.H.g = {alpha_star:.5f}")
print(f"  actual crossing of f(theta)       = {alpha_true:.5f}   (relative difference {abs(alpha_true - alpha_star) / alpha_star:.1e}: higher-order terms)")

alphas = np.linspace(0, 1.6 * max(alpha_star, alpha_true), 200)
actual = [phi(torch.tensor(a)).item() - f_theta for a in alphas]
model = -alphas * gg + 0.5 * alphas**2 * gHg
fig, ax = plt.subplots(figsize=(7.5, 4.4), layout="constrained")
ax.plot(alphas, actual, color="#0072B2", lw=2.5, label=r"$f(\theta - \alpha g) - f(\theta)$")
ax.plot(alphas, model, color="#D55E00", lw=2, ls="--", label=r"$-\alpha g^\top g + \frac{1}{2}\alpha^2 g^\top H g$")
ax.axhline(0, color="0.5", lw=0.8)
ax.axvline(alpha_star, color="#009E73", lw=1.5, ls=":", label=r"$\alpha^\star = 2g^\top g / g^\top H g$")
ax.set_xlabel(r"learning rate $\alpha$", fontsize=12)
ax.set_ylabel("change in the loss", fontsize=12)
ax.set_title("A gradient step increases f once α exceeds 2gᵀg/gᵀHg (to second order)", fontsize=12)
ax.legend(fontsize=10, loc="upper left")
ax.tick_params(labelsize=11)
plt.show()

# %%
# (b) Iterations against the condition number
# -------------------------------------------
# Take :math:`\alpha < 2/\lambda_{\max}` so no step increases :math:`f`.
# On a quadratic :math:`f = \tfrac12\theta^\top H\theta` (minimum
# :math:`\theta^\star = 0`) the component :math:`c_i` of the error along an
# eigenvector :math:`u_i` evolves as :math:`c_i (1 - \alpha\lambda_i)^k`. The
# best fixed step, :math:`\alpha = 2/(\lambda_{\max} + \lambda_{\min})`,
# balances the slowest and the fastest direction: both contract by
# :math:`\rho = (\kappa - 1)/(\kappa + 1)` per step, every other direction
# faster. If the whole error lies along :math:`u_{\min}` (or
# :math:`u_{\max}`), reaching a tolerance :math:`\varepsilon` takes
#
# .. math::
#
#    k_{\rm GD} = \Bigl\lceil \frac{\ln(1/\varepsilon)}{-\ln\rho} \Bigr\rceil
#    \approx \frac{\kappa}{2}\ln\frac{1}{\varepsilon}
#
# iterations: **linear in** :math:`\kappa`. The problem with the small safe
# step is that the flat directions (small :math:`\lambda`) barely move:
# the step is set by the steepest direction, the progress by the flattest.
#
# The picture in two dimensions (:math:`H = \operatorname{diag}(10, 1)`,
# :math:`\kappa = 10`, the best fixed step :math:`\alpha = 2/11`): along the
# steep axis the factor :math:`1 - \alpha\lambda_{\max} = -9/11` is
# negative, so that coordinate flips sign every step and the path zig-zags
# across the valley, while along the flat axis the factor
# :math:`1 - \alpha\lambda_{\min} = +9/11` only creeps towards the
# minimum. Both shrink by the same :math:`\rho = 9/11` per step.
H2 = np.diag([10.0, 1.0])
zig_rule, zig = optim.sgd(2 / 11), [np.array([1.0, 8.0])]  # (x_steep, y_flat)
zig_state = zig_rule.init(zig[0])
for _ in range(25):
    nxt, zig_state = zig_rule.update(zig[-1], H2 @ zig[-1], zig_state)
    zig.append(nxt)
zig = np.array(zig)  # (26, 2)
print("GD on diag(10, 1), first steps (steep, flat): " + ", ".join(f"({a:+.2f}, {b:.2f})" for a, b in zig[:5]))
np.testing.assert_allclose(zig[1:, 0] / zig[:-1, 0], -9 / 11, rtol=1e-12)  # "flips sign every step", factor -9/11
np.testing.assert_allclose(zig[1:, 1] / zig[:-1, 1], 9 / 11, rtol=1e-12)  # "creeps": factor +9/11

xx2, yy2 = np.meshgrid(np.linspace(-1.3, 1.3, 200), np.linspace(-0.5, 8.5, 200))
fig, ax = plt.subplots(figsize=(7.5, 4.4), layout="constrained")
ax.contour(yy2, xx2, 0.5 * (10 * xx2**2 + yy2**2), levels=np.geomspace(0.05, 40, 12), colors="0.7", linewidths=0.8)
ax.plot(zig[:, 1], zig[:, 0], "o-", color="#D55E00", ms=4, lw=1.5, label=r"GD, $\alpha = 2/(\lambda_{\max}+\lambda_{\min})$")
ax.plot(0, 0, "k*", ms=14, label="minimum")
ax.set_xlabel(r"flat coordinate ($\lambda_{\min} = 1$)", fontsize=12)
ax.set_ylabel(r"steep coordinate ($\lambda_{\max} = 10$)", fontsize=12)
ax.set_title("κ = 10: GD zig-zags across the valley and creeps along it", fontsize=12)
ax.legend(fontsize=10, loc="upper right")
ax.tick_params(labelsize=11)
plt.show()

# %%
# Momentum and Newton on the same problems
# ----------------------------------------
# Heavy-ball momentum (:func:`nntheory.optim.sgd` with ``momentum``, torch's
# convention :math:`b \leftarrow \mu b + g`, :math:`\theta \leftarrow \theta
# - \alpha b`, which is Polyak's method
# :math:`\theta_{k+1} = \theta_k - \alpha g_k + \mu(\theta_k - \theta_{k-1})`)
# with its optimal parameters
# :math:`\alpha = 4/(\sqrt{\lambda_{\max}}+\sqrt{\lambda_{\min}})^2`,
# :math:`\mu = \bigl(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\bigr)^2` contracts,
# on a quadratic, by about
# :math:`\sqrt\mu = (\sqrt\kappa-1)/(\sqrt\kappa+1)` per step:
# :math:`k \approx \frac{\sqrt\kappa}{2}\ln\frac1\varepsilon`, proportional to
# :math:`\sqrt\kappa` (why, and why it needs somewhat more than that, below
# the table; and why this is a statement about quadratics, at the end of
# (b)). Newton's method,
# :math:`\theta \leftarrow \theta - H^{-1} g`, lands on the minimum of a
# quadratic in one step, whatever :math:`\kappa`.
#
# Problems: :math:`D = 50`, eigenvalues spaced logarithmically in
# :math:`[1, \kappa]`, random eigenvectors, a random start; stop when
# :math:`\|\theta_k - \theta^\star\| \le 10^{-6}\|\theta_0 - \theta^\star\|`.
# GD also runs from a start on :math:`u_{\min}`, its worst case, and heavy
# ball from a start on :math:`u_{\max}`, its worst case (shown below).
D, TOL = 50, 1e-6
kappas = np.logspace(1, 4, 7)


def quadratic(kappa):
    """A (D, D) Hessian with eigenvalues logspaced in [1, kappa] (ascending) and random eigenvectors."""
    Q, _ = np.linalg.qr(rng.standard_normal((D, D)))
    lam = np.logspace(0, np.log10(kappa), D)
    return Q @ np.diag(lam) @ Q.T, lam, Q


def iterations(rule, Hmat, theta0, max_iter=10**6):
    theta, state = theta0.copy(), rule.init(theta0)
    r0 = np.linalg.norm(theta0)
    for k in range(1, max_iter + 1):
        theta, state = rule.update(theta, Hmat @ theta, state)
        if np.linalg.norm(theta) <= TOL * r0:
            return k
    return None


def gd_count_from_spectrum(c, factors):
    """Smallest k with ||(c_i factor_i^k)|| <= TOL ||c||: GD's count computed from the eigen-decomposition."""
    err = lambda k: np.sqrt(np.sum(c**2 * factors ** (2.0 * k))) / np.linalg.norm(c)
    lo, hi = 1, 10**7
    while lo < hi:  # bisection on k; err(k) decreases with k
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if err(mid) <= TOL else (mid + 1, hi)
    return lo


results = {"GD (best fixed step)": [], "heavy-ball momentum": [], "Newton": []}
gd_worst, gd_spectral, slow_share, rhos = [], [], [], []
hb_worst, top_share, quadratics = [], [], []
for kappa in kappas:
    Hmat, lam, Q = quadratic(kappa)
    L, mu = lam.max(), lam.min()
    theta0 = rng.standard_normal(D)
    quadratics.append((Hmat, Q, theta0))
    step = 2 / (L + mu)
    results["GD (best fixed step)"].append(iterations(optim.sgd(step), Hmat, theta0))
    sq = np.sqrt(kappa)
    heavy_ball = optim.sgd(4 / (np.sqrt(L) + np.sqrt(mu)) ** 2, momentum=((sq - 1) / (sq + 1)) ** 2)
    results["heavy-ball momentum"].append(iterations(heavy_ball, Hmat, theta0))
    hb_worst.append(iterations(heavy_ball, Hmat, Q[:, -1].copy()))  # heavy ball from a start on u_max
    theta, k = theta0.copy(), 0
    while np.linalg.norm(theta) > TOL * np.linalg.norm(theta0):
        theta = theta - np.linalg.solve(Hmat, Hmat @ theta)  # Newton step
        k += 1
    results["Newton"].append(k)
    # Why GD's count depends on the start: the worst case, and the count predicted from the spectrum.
    gd_worst.append(iterations(optim.sgd(step), Hmat, Q[:, 0].copy()))  # start on u_min
    c = Q.T @ theta0  # (D,) components of the start along the eigenvectors
    gd_spectral.append(gd_count_from_spectrum(c, np.abs(1 - step * lam)))
    slow_share.append(np.hypot(c[0], c[-1]) / np.linalg.norm(c))
    top_share.append(abs(c[-1]) / np.linalg.norm(c))
    rhos.append((kappa - 1) / (kappa + 1))
rhos, slow_share, top_share = np.array(rhos), np.array(slow_share), np.array(top_share)
k_theory = np.log(1 / TOL) / -np.log(rhos)  # ln(1/eps) / (-ln rho)

print(f"{'kappa':>7} | " + " | ".join(f"{name:>20}" for name in results) + " | GD worst case ceil(ln(1/eps)/(-ln rho))")
for i, kappa in enumerate(kappas):
    print(f"{kappa:>7.0f} | " + " | ".join(f"{results[name][i]:>20}" for name in results) + f" | {int(np.ceil(k_theory[i])):>10}")
slopes = {}
for name in ("GD (best fixed step)", "heavy-ball momentum"):
    slopes[name] = np.polyfit(np.log(kappas[2:]), np.log(results[name][2:]), 1)[0]
    print(f"log-log slope of iterations vs kappa, {name}: {slopes[name]:.2f}")
assert all(k == 1 for k in results["Newton"]), results["Newton"]  # "Newton: one step, whatever kappa"
assert abs(slopes["GD (best fixed step)"] - 1) < 0.1, slopes  # "linear in kappa"
assert abs(slopes["heavy-ball momentum"] - 0.5) < 0.1, slopes  # "proportional to sqrt(kappa)"
# The closed form and its approximation kappa/2 ln(1/eps) agree to O(1/kappa^2) relative.
np.testing.assert_allclose(k_theory, kappas / 2 * np.log(1 / TOL), rtol=1 / kappas[0] ** 2)

# %%
# Why the measured GD counts sit below the worst-case column
# ----------------------------------------------------------
# The last column of the table is the **worst case**: it assumes the whole
# initial error lies along the slowest eigenvector. A random start in
# :math:`D = 50` dimensions puts only a fraction
# :math:`w = \sqrt{c_1^2 + c_D^2}/\|c\|` of its norm (typically about
# :math:`\sqrt{2/D} = 0.2`) on the two directions that contract at the
# slowest rate :math:`\rho`; the other components die faster. Late in the run
# :math:`\|\theta_k\| \approx w\,\rho^k \|\theta_0\|`, so the count is
# shorter by about :math:`\ln(1/w)/(-\ln\rho) \approx \frac{\kappa}{2}\ln(1/w)`
# iterations:
#
# .. math::
#
#    k_{\rm GD} \approx \frac{\ln(1/\varepsilon) - \ln(1/w)}{-\ln\rho} .
#
# The table checks three things: from a start on :math:`u_{\min}` GD needs
# exactly the theory's :math:`\lceil\ln(1/\varepsilon)/(-\ln\rho)\rceil`; the
# count from the random start equals the one computed from the
# eigen-decomposition, :math:`\min\{k : \|(c_i(1 - \alpha\lambda_i)^k)_i\|
# \le \varepsilon\|c\|\}`; and the two-direction estimate above accounts for
# the gap.
gd = np.array(results["GD (best fixed step)"])
k_two_dir = (np.log(1 / TOL) - np.log(1 / slow_share)) / -np.log(rhos)
print("GD iterations: random start, its count from the spectrum, the share w, the two-direction estimate;")
print("start on u_min, the theory's ceil(ln(1/eps)/(-ln rho)); random start / theory")
print(f"{'kappa':>7} | {'random':>6} | {'spectrum':>8} | {'w':>5} | {'estimate':>8} | {'u_min':>6} | {'theory':>6} | ratio")
for i, kappa in enumerate(kappas):
    print(f"{kappa:>7.0f} | {gd[i]:>6} | {gd_spectral[i]:>8} | {slow_share[i]:>5.3f} | {k_two_dir[i]:>8.0f} | {gd_worst[i]:>6} | {int(np.ceil(k_theory[i])):>6} | {gd[i] / k_theory[i]:.3f}")
# "from a start on u_min GD needs exactly the theory's count" (+-1: rounding at the threshold)
assert np.all(np.abs(np.array(gd_worst) - np.ceil(k_theory)) <= 1), (gd_worst, k_theory)
# "the count from the random start equals the one computed from the eigen-decomposition"
assert np.all(np.abs(gd - np.array(gd_spectral)) <= 1), (gd, gd_spectral)
# "the two-direction estimate accounts for the gap": within 5 % of the measured count
# (it neglects the next-slowest directions, whose share matters when w is small)
np.testing.assert_allclose(k_two_dir, gd, rtol=0.05)
assert np.all(gd < np.ceil(k_theory)), "a random start is never slower than the worst case"

# %%
# Heavy ball at its optimal parameters: critically damped, and next to the edge
# -----------------------------------------------------------------------------
# Along an eigenvector with eigenvalue :math:`\lambda`, Polyak's recursion
# :math:`e_{k+1} = (1 + \mu - \alpha\lambda)\,e_k - \mu\, e_{k-1}` has the
# characteristic polynomial :math:`r^2 - (1 + \mu - \alpha\lambda)\,r + \mu`.
# Its two roots multiply to :math:`\mu`. When the discriminant
# :math:`(1 + \mu - \alpha\lambda)^2 - 4\mu` is negative they are complex with
# modulus exactly :math:`\sqrt\mu` (under-damped); when it is positive they
# are real and one of them is larger than :math:`\sqrt\mu` in modulus
# (over-damped). With the optimal :math:`\alpha` and :math:`\mu`,
# writing :math:`a = \sqrt{\lambda_{\max}}`, :math:`b = \sqrt{\lambda_{\min}}`,
#
# .. math::
#
#    1 + \mu - \alpha b^2 = \frac{2a^2 - 2b^2}{(a+b)^2} = 2\sqrt\mu,
#    \qquad
#    1 + \mu - \alpha a^2 = -2\sqrt\mu ,
#
# so the discriminant vanishes at both extreme eigenvalues: they are
# **critically damped**, with a double root :math:`\pm\sqrt\mu`, and every
# eigenvalue in between has complex roots of modulus :math:`\sqrt\mu`. With
# :math:`\alpha` fixed at its optimal value, a smaller :math:`\mu` leaves the
# extreme directions over-damped (a real root above :math:`\sqrt\mu`), a
# larger one makes all directions under-damped with modulus
# :math:`\sqrt\mu`: the optimum is where the two meet.
#
# **The root moduli are far from 1; the parameters are not far from the
# divergence boundary.** For :math:`\mu \ge 0` the recursion converges
# exactly when :math:`\mu < 1` and :math:`0 < \alpha\lambda < 2(1 + \mu)`
# (Jury's criterion for a quadratic), for every :math:`\lambda`, i.e. at
# :math:`\lambda_{\max}`. At the optimum, with :math:`1 + \mu =
# 2(a^2 + b^2)/(a+b)^2`,
#
# .. math::
#
#    \frac{\alpha\lambda_{\max}}{2(1 + \mu)} = \frac{a^2}{a^2 + b^2}
#    = \frac{\kappa}{\kappa + 1},
#
# a relative :math:`1/(\kappa+1)` below the limit 1. So with :math:`\mu`
# fixed, raising :math:`\alpha` by a factor :math:`1 + 1/\kappa` reaches the
# boundary; and with :math:`\alpha` fixed, the boundary is at
# :math:`\mu = \alpha\lambda_{\max}/2 - 1 = \mu^\star - 2/(\sqrt\kappa + 1)^2`.
# For :math:`\kappa = 100` that is :math:`\mu = 0.6529` against
# :math:`\mu^\star = 0.6694`; for :math:`\kappa = 10^4`, :math:`0.96059`
# against :math:`0.96079`. The optimal heavy ball is critically damped with
# every root of modulus :math:`\sqrt{\mu^\star}`, and at the same time
# within a relative :math:`\approx 1/\kappa` of divergence in
# :math:`(\alpha, \mu)`. In practice :math:`\lambda_{\max}` is estimated:
# tuning with an estimate :math:`\hat L = \lambda_{\max}(1 - 1/\kappa)`
# (both :math:`\alpha` and :math:`\mu` computed from :math:`\hat L`) puts the
# method exactly on the boundary, since then :math:`\alpha\lambda_{\max}/2(1
# + \mu) = \hat\kappa/(\hat\kappa + 1) \cdot \lambda_{\max}/\hat L = 1`, and
# any lower estimate diverges. Below we raise
# :math:`\alpha` by :math:`2/\kappa` (2 % at :math:`\kappa = 100`, 0.02 % at
# :math:`\kappa = 10^4`) and run the problems of the table. The safe side is a
# smaller :math:`\alpha` or a larger :math:`\mu`: a larger :math:`\mu` keeps
# every root at modulus :math:`\sqrt\mu < 1`.
def hb_roots(lam, alpha, mu):
    """Roots (2,) of r^2 - (1 + mu - alpha lam) r + mu, Polyak's recursion along one eigenvector."""
    return np.roots([1.0, -(1 + mu - alpha * lam), mu])


def hb_max_modulus(lam, alpha, mu):
    """Larger root modulus of r^2 - b r + mu, b = 1 + mu - alpha lam, in closed form (broadcasts)."""
    b = 1 + mu - alpha * lam
    disc = b**2 - 4 * mu
    return np.where(disc >= 0, (np.abs(b) + np.sqrt(np.maximum(disc, 0))) / 2, np.sqrt(mu))


def hb_optimal(kappa):
    """Polyak's optimal (alpha, mu) for eigenvalues in [1, kappa]."""
    return 4 / (np.sqrt(kappa) + 1) ** 2, ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2


kappa_demo = 100.0
lam_demo = np.logspace(0, 2, 200)  # eigenvalues in [1, kappa_demo]
a_opt, mu_opt = hb_optimal(kappa_demo)
disc = [(1 + mu_opt - a_opt * lam) ** 2 - 4 * mu_opt for lam in (1.0, kappa_demo)]
moduli = np.array([np.abs(hb_roots(lam, a_opt, mu_opt)) for lam in lam_demo])  # (200, 2)
print(f"kappa = {kappa_demo:.0f}: discriminant at lambda_min, lambda_max = {disc[0]:.1e}, {disc[1]:.1e};  sqrt(mu*) = {np.sqrt(mu_opt):.6f}")
print(f"  root moduli over lambda in [1, kappa]: min {moduli.min():.6f}, max {moduli.max():.6f}")
assert max(abs(d) for d in disc) < 1e-14, disc  # "the discriminant vanishes at both extreme eigenvalues"
# "every root has modulus sqrt(mu)": up to the 1e-8 spread np.roots gives a double root (sqrt of rounding)
np.testing.assert_allclose(moduli, np.sqrt(mu_opt), rtol=1e-7)

mus = np.linspace(0.0, 0.99, 991)
radius = hb_max_modulus(lam_demo[None, :], a_opt, mus[:, None])  # (991, 200)
spectral_radius = radius.max(axis=1)  # largest root modulus over the eigenvalues, per mu
for m in (0.3, mu_opt, 0.9):  # the closed form against np.roots
    np.testing.assert_allclose(hb_max_modulus(lam_demo, a_opt, m), [np.abs(hb_roots(lam, a_opt, m)).max() for lam in lam_demo], rtol=1e-7)
mu_best = mus[spectral_radius.argmin()]
print(f"  spectral radius over mu (alpha fixed): minimised at mu = {mu_best:.3f}; mu* = {mu_opt:.4f}")
assert abs(mu_best - mu_opt) <= mus[1] - mus[0], (mu_best, mu_opt)  # "the optimum is where the two meet"
assert np.all(spectral_radius[mus < mu_opt] > np.sqrt(mus[mus < mu_opt])), "below mu*: over-damped"
np.testing.assert_allclose(spectral_radius[mus > mu_opt], np.sqrt(mus[mus > mu_opt]), rtol=1e-12)  # above: all sqrt(mu)

# The divergence boundary, for the two condition numbers of the text.
print(f"{'kappa':>7} | alpha L / 2(1+mu*) | kappa/(kappa+1) | edge mu = alpha L/2 - 1 |       mu* | radius at alpha (1 + 2/kappa)")
edge = {}
for kappa in (100.0, 1e4):
    a_k, mu_k = hb_optimal(kappa)
    lam_k = np.logspace(0, np.log10(kappa), D)
    edge[kappa] = (a_k * kappa / 2 - 1, hb_max_modulus(lam_k, a_k * (1 + 2 / kappa), mu_k).max())
    print(f"{kappa:>7.0f} | {a_k * kappa / (2 * (1 + mu_k)):>18.8f} | {kappa / (kappa + 1):>15.8f} | {edge[kappa][0]:>23.5f} | {mu_k:>9.5f} | {edge[kappa][1]:.4f}")
    np.testing.assert_allclose(a_k * kappa / (2 * (1 + mu_k)), kappa / (kappa + 1), rtol=1e-13)  # "= kappa/(kappa + 1)"
    np.testing.assert_allclose(edge[kappa][0], mu_k - 2 / (np.sqrt(kappa) + 1) ** 2, rtol=1e-12)  # "mu* - 2/(sqrt kappa + 1)^2"
    # on the boundary a root has modulus exactly 1, in both directions of the parameter plane
    np.testing.assert_allclose(hb_max_modulus(kappa, a_k, edge[kappa][0]), 1.0, rtol=1e-12)
    np.testing.assert_allclose(hb_max_modulus(kappa, a_k * (1 + 1 / kappa), mu_k), 1.0, rtol=1e-12)
    assert edge[kappa][1] > 1  # raising alpha by 2/kappa: a root outside the unit circle
    # tuned with the estimate L_hat = L (1 - 1/kappa): exactly on the boundary; 1e-3 lower: outside
    for shrink, expected in ((1 - 1 / kappa, "on"), ((1 - 1 / kappa) * (1 - 1e-3), "out")):
        a_hat, mu_hat = hb_optimal(kappa * shrink)
        r_hat = hb_max_modulus(kappa, a_hat, mu_hat)
        assert (abs(r_hat - 1) < 1e-9) if expected == "on" else (r_hat > 1), (kappa, shrink, r_hat)
# the values typed in the text, to their rounding
assert abs(edge[100.0][0] - 0.6529) < 5e-5 and abs(hb_optimal(100.0)[1] - 0.6694) < 5e-5
assert abs(edge[1e4][0] - 0.96059) < 5e-6 and abs(hb_optimal(1e4)[1] - 0.96079) < 5e-6

# The table's problems at kappa = 100 and 1e4, with alpha raised by 2/kappa and mu = mu*.
for kappa in (100.0, 1e4):
    i = int(np.argmin(np.abs(kappas - kappa)))
    Hmat, _, theta0 = quadratics[i]
    a_k, mu_k = hb_optimal(kappa)
    n_steps = 200 if kappa == 100.0 else 2000
    rule, theta = optim.sgd(a_k * (1 + 2 / kappa), momentum=mu_k), theta0.copy()
    state = rule.init(theta)
    for _ in range(n_steps):
        theta, state = rule.update(theta, Hmat @ theta, state)
    growth = np.linalg.norm(theta) / np.linalg.norm(theta0)
    print(f"kappa = {kappa:.0f}, alpha x (1 + 2/kappa): ||theta|| grows by {growth:.1e} in {n_steps} steps")
    assert growth > 1e3, growth  # "breaks it": the iterates diverge

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
ax0.plot(mus, spectral_radius, color="#0072B2", lw=2.5, label=r"largest root modulus over $\lambda \in [\lambda_{\min}, \lambda_{\max}]$")
ax0.plot(mus, np.sqrt(mus), color="#D55E00", lw=1.5, ls="--", label=r"$\sqrt{\mu}$ (modulus of complex roots)")
ax0.axhline(1.0, color="0.3", lw=1.2, ls=":", label="divergence boundary |r| = 1")
ax0.axvline(edge[100.0][0], color="#CC79A7", lw=1.2, ls="-.", label=r"$\mu = \alpha\lambda_{\max}/2 - 1$")
ax0.plot(mu_opt, np.sqrt(mu_opt), "o", color="#009E73", ms=10, label=rf"optimal $\mu^\star$ = {mu_opt:.3f}: critically damped")
ax0.set_xlabel(r"momentum $\mu$ ($\alpha$ fixed at its optimum)", fontsize=12)
ax0.set_ylabel("convergence factor per step", fontsize=12)
ax0.set_xlim(0.3, 0.99)
ax0.set_ylim(0.5, 1.5)
ax0.set_title(r"$\kappa$ = 100: |r| = √μ* at the optimum, divergence just left of it", fontsize=12)
ax0.legend(fontsize=10, loc="upper right")
alpha_ratio = np.linspace(0.9, 1.03, 1301)
radius_alpha = hb_max_modulus(lam_demo[None, :], a_opt * alpha_ratio[:, None], mu_opt).max(axis=1)
ax1.plot(alpha_ratio, radius_alpha, color="#0072B2", lw=2.5, label="largest root modulus")
ax1.axhline(1.0, color="0.3", lw=1.2, ls=":", label="divergence boundary |r| = 1")
ax1.axvline(1 + 1 / kappa_demo, color="#CC79A7", lw=1.2, ls="-.", label=r"$\alpha/\alpha^\star = 1 + 1/\kappa$")
ax1.plot(1.0, np.sqrt(mu_opt), "o", color="#009E73", ms=10, label=r"optimum $\alpha^\star$")
ax1.set_xlabel(r"step $\alpha/\alpha^\star$ ($\mu = \mu^\star$ fixed)", fontsize=12)
ax1.set_ylabel("convergence factor per step", fontsize=12)
ax1.set_ylim(0.5, 1.5)
ax1.set_title(r"$\kappa$ = 100: 1 % more step and heavy ball diverges", fontsize=12)
ax1.legend(fontsize=10, loc="upper left")
for ax in (ax0, ax1):
    ax.tick_params(labelsize=11)
plt.show()

# %%
# Why heavy ball needs more than :math:`\ln(1/\varepsilon)/(-\ln\sqrt\mu)` iterations
# --------------------------------------------------------------------------------------
# Write :math:`s = \sqrt{\mu^\star}` and let the roots along eigenvalue
# :math:`\lambda` be :math:`s e^{\pm i\varphi}` (at the extremes the double
# root :math:`\pm s`). The sequence :math:`u_k = (r_1^{k+1} -
# r_2^{k+1})/(r_1 - r_2) = s^k \sin((k+1)\varphi)/\sin\varphi` solves the
# recursion with :math:`u_0 = 1`, :math:`u_{-1} = 0`; heavy ball starts with
# zero velocity (:math:`e_{-1} = e_0`), and the solution with that start is
#
# .. math::
#
#    e_k = e_0\,(u_k - \mu\, u_{k-1}),
#    \qquad
#    |e_k| \le \bigl(1 + (1 + s)\,k\bigr)\, s^k\, |e_0| ,
#
# using :math:`|\sin((k+1)\varphi)| \le (k+1)|\sin\varphi|`. At
# :math:`\lambda_{\max}` the bound is an equality: with the double root
# :math:`-s`, :math:`u_k = (k+1)(-s)^k` and :math:`e_k = e_0\,(1 + (1+s)k)
# (-s)^k`. A double root multiplies the geometric decay by a factor that
# grows linearly in :math:`k`, and the steep end is the worse one (at
# :math:`\lambda_{\min}` the same calculation gives :math:`1 + (1-s)k`, with
# :math:`1 - s = 2/(\sqrt\kappa + 1)` small): the momentum keeps carrying the
# steep component back and forth across the minimum. Hence three statements
# about the count :math:`k_{\rm HB}`, with :math:`w_{\max} = |c_D|/\|c\|` the
# start's share on :math:`u_{\max}`:
#
# * from a start on :math:`u_{\max}` it is exactly
#   :math:`k_{\rm up} = \min\{k : (1 + (1+s)k)\,s^k \le \varepsilon\}`, the
#   worst case;
# * from any start it is at most :math:`k_{\rm up}`;
# * and at least :math:`k_{\rm lo} = \min\{k : w_{\max}(1 + (1+s)k)\,s^k \le
#   \varepsilon\}`, the :math:`u_{\max}` component alone.
#
# Solving :math:`(1 + (1+s)k)\,s^k = \varepsilon` for :math:`k`, the worst
# case exceeds :math:`\ln(1/\varepsilon)/(-\ln s)` by
# :math:`\ln(1 + (1+s)k_{\rm up})/(-\ln s) \approx \frac{\sqrt\kappa}{2}\ln(2k_{\rm up})`
# steps: the relative excess grows (slowly) with :math:`\kappa`, from about
# 28 % at :math:`\kappa = 10` to 55 % at :math:`\kappa = 10^4` here. Random
# starts fall between the bounds.
def first_k_below(err, hi=10**7):
    """Smallest k >= 1 with err(k) <= TOL, for err decreasing in k (bisection)."""
    lo = 1
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if err(mid) <= TOL else (mid + 1, hi)
    return lo


s_hb = (np.sqrt(kappas) - 1) / (np.sqrt(kappas) + 1)  # sqrt(mu*) per kappa
k_up = np.array([first_k_below(lambda k: (1 + (1 + s) * k) * s**k) for s in s_hb])
k_lo = np.array([first_k_below(lambda k: w * (1 + (1 + s) * k) * s**k) for s, w in zip(s_hb, top_share)])
k_hb = np.array(results["heavy-ball momentum"])
k_hb_curve = np.log(1 / TOL) / -np.log(s_hb)
print("heavy ball: random start between the bounds; start on u_max against the worst case")
print(f"{'kappa':>7} | {'w_max':>6} | {'k_lo':>5} | {'random':>6} | {'k_up':>5} | {'u_max':>5} | ln(1/eps)/(-ln s) | random / that | k_up / that")
for i, kappa in enumerate(kappas):
    print(f"{kappa:>7.0f} | {top_share[i]:>6.3f} | {k_lo[i]:>5} | {k_hb[i]:>6} | {k_up[i]:>5} | {hb_worst[i]:>5} | {k_hb_curve[i]:>17.1f} | {k_hb[i] / k_hb_curve[i]:>13.2f} | {k_up[i] / k_hb_curve[i]:.2f}")
# "e_k = e_0 (1 + (1 + s) k)(-s)^k at lambda_max": the run from u_max at kappa = 100 follows it step by step
Hmat, Q, _ = quadratics[int(np.argmin(np.abs(kappas - 100.0)))]
a_k, mu_k = hb_optimal(100.0)
rule, theta = optim.sgd(a_k, momentum=mu_k), Q[:, -1].copy()
state, norms = rule.init(theta), []
for _ in range(60):
    theta, state = rule.update(theta, Hmat @ theta, state)
    norms.append(np.linalg.norm(theta))
ks = np.arange(1, 61)
np.testing.assert_allclose(norms, (1 + (1 + np.sqrt(mu_k)) * ks) * np.sqrt(mu_k) ** ks, rtol=1e-9)  # (rounding in Q and H)
# "from a start on u_max: exactly k_up" (+-1: rounding at the threshold)
assert np.all(np.abs(np.array(hb_worst) - k_up) <= 1), (hb_worst, k_up)
# "from any start between k_lo and k_up" (+-1 likewise)
assert np.all((k_lo - 1 <= k_hb) & (k_hb <= k_up + 1)), (k_lo, k_hb, k_up)
# "the worst case exceeds ln(1/eps)/(-ln s) by ln(1 + (1 + s) k_up)/(-ln s)", to the ceiling's one step
assert np.all(np.abs(k_up - (k_hb_curve + np.log(1 + (1 + s_hb) * k_up) / -np.log(s_hb))) <= 1)
excess = k_up / k_hb_curve
assert np.all(np.diff(excess) > 0) and round(100 * (excess[0] - 1)) == 28 and round(100 * (excess[-1] - 1)) == 55, excess  # "28 % ... 55 %"

# %%
# Iterations against :math:`\kappa` on log-log axes, with the predicted
# curves :math:`\ln(1/\varepsilon)/(-\ln\rho)` for the two contraction
# factors :math:`\rho` (for GD its worst case; GD from a random start lies
# below it) and heavy ball's worst case :math:`k_{\rm up}`, above its
# :math:`\rho = \sqrt\mu` curve by the double-root factor.
colours = {"GD (best fixed step)": "#D55E00", "heavy-ball momentum": "#0072B2", "Newton": "#009E73"}
markers = {"GD (best fixed step)": "o", "heavy-ball momentum": "s", "Newton": "^"}
kk = np.logspace(1, 4, 100)
s_kk = (np.sqrt(kk) - 1) / (np.sqrt(kk) + 1)
k_up_kk = [first_k_below(lambda k: (1 + (1 + s) * k) * s**k) for s in s_kk]
fig, ax = plt.subplots(figsize=(7.5, 5.4), layout="constrained")
for name, its in results.items():
    ax.loglog(kappas, its, markers[name], color=colours[name], ms=9, label=name)
ax.loglog(kappas, gd_worst, "o", mfc="none", color=colours["GD (best fixed step)"], ms=12, mew=1.5, label=r"GD from a start on $u_{\min}$")
ax.loglog(kappas, hb_worst, "s", mfc="none", color=colours["heavy-ball momentum"], ms=12, mew=1.5, label=r"heavy ball from a start on $u_{\max}$")
ax.loglog(kk, np.log(1 / TOL) / -np.log((kk - 1) / (kk + 1)), color=colours["GD (best fixed step)"], lw=1.2, ls="--", label=r"$\ln(1/\varepsilon)\,/\,{-\ln\frac{\kappa-1}{\kappa+1}} \approx \frac{\kappa}{2}\ln\frac{1}{\varepsilon}$")
ax.loglog(kk, np.log(1 / TOL) / -np.log(s_kk), color=colours["heavy-ball momentum"], lw=1.2, ls="--", label=r"$\ln(1/\varepsilon)\,/\,{-\ln\frac{\sqrt{\kappa}-1}{\sqrt{\kappa}+1}}$")
ax.loglog(kk, k_up_kk, color=colours["heavy-ball momentum"], lw=1.2, ls=":", label=r"heavy ball's worst case $k_{\rm up}$")
ax.set_xlabel(r"condition number $\kappa = \lambda_{\max}/\lambda_{\min}$", fontsize=12)
ax.set_ylabel(r"iterations to $\|\theta_k-\theta^\star\| \leq 10^{-6}\|\theta_0-\theta^\star\|$", fontsize=11)
ax.set_title("GD needs ∝ κ iterations, heavy ball ∝ √κ (quadratics), Newton one", fontsize=12)
ax.set_ylim(0.5, 1e7)  # room above the data for the legend
ax.legend(fontsize=10, loc="upper left")
ax.tick_params(labelsize=11)
plt.show()

# %%
# Beyond quadratics: heavy ball can cycle, Nesterov's method cannot
# -----------------------------------------------------------------
# The :math:`\sqrt\kappa` rate of heavy ball is a statement about quadratics,
# where every direction obeys its own linear recursion. For a general
# :math:`m`-strongly convex function with :math:`L`-Lipschitz gradient,
# Polyak's optimal parameters need not converge at all. Lessard, Recht and
# Packard (*Analysis and design of optimization algorithms via integral
# quadratic constraints*, SIAM J. Optim., 2016) give a one-dimensional
# example with :math:`m = 1`, :math:`L = 25` (:math:`\kappa = 25`): the
# gradient is continuous and piecewise linear with slopes 25, 1, 25,
#
# .. math::
#
#    f'(x) = \begin{cases} 25x & x < 1 \\ x + 24 & 1 \le x < 2 \\
#    25x - 24 & x \ge 2, \end{cases}
#
# so :math:`f` is strongly convex with curvature between 1 and 25 and its
# minimum at 0. Heavy ball with :math:`\alpha = 4/(\sqrt L + \sqrt m)^2 =
# 1/9` and :math:`\mu = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2 = 4/9` (each
# linear piece alone would be solved at the rate :math:`2/3`) falls, from
# some starts (e.g. :math:`x_0 \in [3.07, 3.46]`), into a cycle of period 3
# that never approaches the minimum. Nesterov's method,
# :math:`y_k = x_k + \beta(x_k - x_{k-1})`, :math:`x_{k+1} = y_k -
# \nabla f(y_k)/L` with :math:`\beta = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)`,
# keeps an accelerated rate on *every* such function: :math:`f(x_k) - f^\star
# \le (1 - 1/\sqrt\kappa)^k\,\bigl(f(x_0) - f^\star + \tfrac m2\|x_0 -
# x^\star\|^2\bigr)` (Nesterov, *Introductory Lectures on Convex
# Optimization*, 2004, §2.2), about :math:`\sqrt\kappa\ln(1/\varepsilon)`
# iterations. (``nntheory.optim.sgd(..., nesterov=True)`` is the same method
# in torch's form, whose iterates are the look-ahead points :math:`y_k`.) We
# run both from 2001 starts in :math:`[-10, 10]` for 3000 steps.
def lrp_grad(x):
    """f' of Lessard, Recht and Packard's example: slopes 25, 1, 25 (m = 1, L = 25)."""
    return np.where(x < 1, 25 * x, np.where(x < 2, x + 24, 25 * x - 24))


def lrp_f(x):
    """f with f(0) = 0, the integral of lrp_grad."""
    return np.where(x < 1, 12.5 * x**2, np.where(x < 2, 0.5 * x**2 + 24 * x - 12, 12.5 * x**2 - 24 * x + 36))


M_LRP, L_LRP = 1.0, 25.0
x_probe = np.linspace(-10, 10, 200_001)
slopes_lrp = np.diff(lrp_grad(x_probe)) / np.diff(x_probe)
assert M_LRP - 1e-9 <= slopes_lrp.min() and slopes_lrp.max() <= L_LRP + 1e-9  # "curvature between 1 and 25" (f' continuous)
np.testing.assert_allclose(np.diff(lrp_f(x_probe)) / np.diff(x_probe), lrp_grad(0.5 * (x_probe[1:] + x_probe[:-1])), rtol=1e-6, atol=1e-6)  # f' is f's derivative

x0s = np.linspace(-10, 10, 2001)
a_lrp, mu_lrp = 4 / (np.sqrt(L_LRP) + np.sqrt(M_LRP)) ** 2, ((np.sqrt(L_LRP / M_LRP) - 1) / (np.sqrt(L_LRP / M_LRP) + 1)) ** 2
np.testing.assert_allclose([a_lrp, mu_lrp], [1 / 9, 4 / 9], rtol=1e-14)
# "each linear piece alone would be solved at the rate 2/3": root moduli sqrt(mu) = 2/3 at curvature 1 and 25
np.testing.assert_allclose(hb_max_modulus(np.array([1.0, 25.0]), a_lrp, mu_lrp), 2 / 3, rtol=1e-7)
rule = optim.sgd(a_lrp, momentum=mu_lrp)
x_hb, state = x0s.copy(), rule.init(x0s)
tail = []
for k in range(3000):
    x_hb, state = rule.update(x_hb, lrp_grad(x_hb), state)
    if k >= 2994:
        tail.append(x_hb)
tail = np.array(tail)  # (6, 2001): the last six iterates
cycling = np.abs(tail).max(axis=0) > 0.1
beta = (np.sqrt(L_LRP / M_LRP) - 1) / (np.sqrt(L_LRP / M_LRP) + 1)
x_prev, x_nes, f_nes, y_nes = x0s.copy(), x0s.copy(), [lrp_f(x0s)], []
for k in range(3000):
    y = x_nes + beta * (x_nes - x_prev)
    x_prev, x_nes = x_nes, y - lrp_grad(y) / L_LRP
    f_nes.append(lrp_f(x_nes))
    y_nes.append(y)
f_nes = np.array(f_nes)  # (3001, 2001)
# "optim.sgd(nesterov=True) is the same method in torch's form, its iterates the look-ahead points y_k"
rule = optim.sgd(1 / L_LRP, momentum=beta, nesterov=True)
theta, state = x0s.copy(), rule.init(x0s)
for k in range(30):
    np.testing.assert_allclose(theta, y_nes[k], rtol=1e-10, atol=1e-12)
    theta, state = rule.update(theta, lrp_grad(theta), state)
nesterov_bound = (1 - np.sqrt(M_LRP / L_LRP)) ** np.arange(3001)[:, None] * (lrp_f(x0s) + 0.5 * M_LRP * x0s**2)
in_window = (x0s >= 3.07) & (x0s <= 3.46)
print(f"heavy ball (alpha 1/9, mu 4/9): {cycling.sum()} of {len(x0s)} starts still cycle after 3000 steps, e.g. every start in [3.07, 3.46]: {cycling[in_window].all()}")
print(f"  the cycle: {', '.join(f'{v:.4f}' for v in tail[-3:, np.argmax(in_window)])}, then repeating")
print(f"Nesterov (1/L, beta {beta:.3f}): max |x_3000| = {np.abs(x_nes).max():.1e};  max over k, x0 of f(x_k) / bound = {np.max(f_nes[nesterov_bound > 0] / nesterov_bound[nesterov_bound > 0]):.2f}")
assert cycling[in_window].all()  # "from x0 in [3.07, 3.46] heavy ball cycles"
np.testing.assert_allclose(tail[3:], tail[:3], rtol=1e-9, atol=1e-12)  # "a cycle of period 3" (x_(k+3) = x_k) ...
assert np.all(np.abs(tail[:, cycling]).max(axis=0) > 2)  # ... that stays away from the minimum 0
assert np.all(f_nes <= nesterov_bound * (1 + 1e-12))  # Nesterov's bound, at every step from every start
assert np.abs(x_nes).max() < 1e-12

# %%
# (c) What Newton's method needs
# ------------------------------
# For a strictly convex function whose Hessian is ill-conditioned almost
# everywhere, use a second-order method: Newton's method
# :math:`\theta \leftarrow \theta - t\,[\nabla^2 f(\theta)]^{-1}\nabla
# f(\theta)` rescales every eigen-direction by its own curvature, so the
# condition number drops out. Two conditions come with it, and strict
# convexity guarantees neither:
#
# * **A positive definite Hessian.** The step needs :math:`\nabla^2 f`
#   invertible, and it is a descent direction (:math:`g^\top H^{-1} g > 0`)
#   when :math:`H \succ 0`. Strict convexity only gives :math:`H \succeq 0`:
#   :math:`f(x) = x^4` is strictly convex with :math:`f''(0) = 0` at its
#   minimum. There the step :math:`x - 4x^3/12x^2 = \tfrac23 x` converges only
#   *linearly*, by a factor :math:`2/3` per step; the quadratic convergence of
#   Newton's method (correct digits doubling) holds near a minimum with
#   :math:`\nabla^2 f(\theta^\star) \succ 0` and a Lipschitz Hessian.
#   Levenberg–Marquardt damping, :math:`(H + \lambda I)^{-1}g`, is the usual
#   remedy where :math:`H` is nearly singular.
# * **Damping or a line search for convergence from far away.** The full
#   step (:math:`t = 1`) can diverge even when :math:`H \succ 0` everywhere.
#   For :math:`f(x) = \sqrt{1 + x^2}`, :math:`f' = x/\sqrt{1+x^2}` and
#   :math:`f'' = (1+x^2)^{-3/2} > 0`, so the Newton step is
#   :math:`x - x(1 + x^2) = -x^3`: from :math:`|x_0| < 1` it converges (even
#   cubically), from :math:`|x_0| = 1` it oscillates, from :math:`|x_0| > 1` it
#   diverges. A backtracking line search (halve :math:`t` until the Armijo
#   condition :math:`f(\theta + t d) \le f(\theta) + c\,t\, g^\top d` holds,
#   :math:`c = 10^{-4}`) makes it converge from every start we try; for
#   functions with :math:`mI \preceq H \preceq MI` and a Lipschitz Hessian
#   this *damped* Newton method converges from any start and quadratically in
#   the end (Boyd and Vandenberghe, *Convex Optimization*, 2004, §9.5).
#
# When :math:`D` is too large to form and solve with the Hessian,
# quasi-Newton methods (BFGS, L-BFGS) and Newton–CG, which needs only
# Hessian-vector products, are the practical versions (Nocedal and Wright,
# *Numerical Optimization*, 2006, ch. 6–7).
def newton(grad, hess_solve, fun, x0, line_search, max_iter=100, gtol=1e-10):
    """Newton's method; with line_search, backtracking on the Armijo condition. Returns the iterates."""
    xs = [x0]
    x = x0
    for _ in range(max_iter):
        g_x = grad(x)
        if np.linalg.norm(g_x) <= gtol or not np.all(np.isfinite(x)) or np.linalg.norm(x) > 1e12:
            break
        d = -hess_solve(x, g_x)
        t = 1.0
        if line_search:
            # Armijo condition; the allowance 4 eps |f| keeps rounding in f from rejecting the
            # full step near the minimum, where the predicted decrease falls below it.
            f_x, slope = fun(x), np.dot(np.atleast_1d(g_x), np.atleast_1d(d))
            while fun(x + t * d) > f_x + 1e-4 * t * slope + 4 * np.finfo(float).eps * abs(f_x) and t > 1e-12:
                t /= 2
        x = x + t * d
        xs.append(x)
    return np.array(xs)


# x^4: a strictly convex function whose Hessian is singular at the minimum.
quartic = newton(lambda x: 4 * x**3, lambda x, g_x: g_x / (12 * x**2), lambda x: x**4, 1.0, line_search=False, max_iter=40)
ratios = quartic[1:] / quartic[:-1]
print(f"x^4 from x0 = 1: {len(quartic) - 1} steps to |f'| < 1e-10 (x = {quartic[-1]:.1e}); max |x_(k+1)/x_k - 2/3| = {np.abs(ratios - 2 / 3).max():.0e}")
np.testing.assert_allclose(ratios, 2 / 3, rtol=1e-14)  # "converges only linearly, by a factor 2/3 per step"

# sqrt(1 + x^2): Hessian positive everywhere, yet the full Newton step diverges from |x0| > 1.
soft_abs = lambda x: np.sqrt(1 + x**2)
soft_grad = lambda x: x / np.sqrt(1 + x**2)
soft_solve = lambda x, g_x: g_x * (1 + x**2) ** 1.5  # g / f''
print("sqrt(1 + x^2): the first iterates of pure Newton; the iterations damped Newton needs to |x| < 1e-10")
pure_end, damped_its = {}, {}
for x0 in (0.9, 1.1, 3.0, 100.0):
    pure = newton(soft_grad, soft_solve, soft_abs, x0, line_search=False, max_iter=6)
    damped = newton(soft_grad, soft_solve, soft_abs, x0, line_search=True)
    pure_end[x0], damped_its[x0] = abs(pure[-1]), len(damped) - 1
    print(f"  x0 = {x0:>5}: pure {', '.join(f'{v:.3g}' for v in pure[:5])};  damped: {damped_its[x0]} iterations")
    # "the Newton step is -x^3", to rounding (x - x(1 + x^2) loses ~1e-16 |x| to cancellation)
    assert np.all(np.abs(pure[1:] + pure[:-1] ** 3) <= 1e-12 * np.abs(pure[:-1]) ** 3 + 1e-15 * np.abs(pure[:-1])), pure
    assert abs(damped[-1]) < 1e-10, damped  # "damped Newton converges from every start we try"
assert pure_end[0.9] < 1e-10 and all(pure_end[x0] > 1e3 for x0 in (1.1, 3.0, 100.0)), pure_end  # converges / diverges

# %%
# Newton's method on an ill-conditioned, strictly convex, non-quadratic problem
# -----------------------------------------------------------------------------
# :math:`f(\theta) = \tfrac12\theta^\top A\theta + \sum_j
# \log(1 + e^{\theta_j - 1})`, strictly convex with Hessian
# :math:`A + \operatorname{diag}(\sigma'(\theta_j - 1))` between
# :math:`\lambda_{\min}(A) I` and :math:`(\lambda_{\max}(A) + \tfrac14) I`,
# ill-conditioned through :math:`A` (eigenvalues as above, :math:`D = 20`).
# Damped Newton uses the exact Hessian of
# :func:`nntheory.diagnostics.hessian.hessian_matrix`; GD uses the fixed step
# :math:`\alpha = 1/(\lambda_{\max}(A) + 1/4)`, below :math:`2/\lambda_{\max}`
# of the Hessian everywhere because the softplus term adds at most
# :math:`1/4` of curvature; with a step at most :math:`1/L` on a function
# whose curvature is at most :math:`L`, every step decreases :math:`f` (by at
# least :math:`\alpha\|\nabla f\|^2/2`, the descent lemma). Both stop when
# :math:`\|\nabla f\| \le 10^{-10}`.
print(f"{'kappa(A)':>9} | {'Newton iterations':>17} | {'GD iterations':>13}")
max_grad_diff, newton_counts, gd_counts, last_ratios = 0.0, [], [], []
for kappa in (10.0, 100.0, 1000.0):
    Q, _ = np.linalg.qr(rng.standard_normal((20, 20)))
    A_t = torch.tensor(Q @ np.diag(np.logspace(0, np.log10(kappa), 20)) @ Q.T)
    fun = lambda th: 0.5 * th @ A_t @ th + torch.nn.functional.softplus(th - 1).sum()
    grad_fn = torch.func.grad(fun)
    th0 = torch.tensor(rng.standard_normal(20) * 3)
    # GD with the closed-form gradient A theta + sigmoid(theta - 1) in numpy (fast),
    # checked once against torch.func.grad.
    A_np = A_t.numpy()
    grad_np = lambda th: A_np @ th + 1 / (1 + np.exp(-(th - 1)))
    fun_np = lambda th: 0.5 * th @ A_np @ th + np.logaddexp(0, th - 1).sum()
    max_grad_diff = max(max_grad_diff, np.abs(grad_np(th0.numpy()) - grad_fn(th0).numpy()).max())
    path = newton(grad_np, lambda th, g_th: torch.linalg.solve(hessian_matrix(fun, torch.tensor(th)), torch.tensor(g_th)).numpy(), fun_np, th0.numpy(), line_search=True)
    gnorms = np.array([np.linalg.norm(grad_np(th)) for th in path])
    newton_counts.append(len(path) - 1)
    # quadratic convergence: once ||g|| < 1e-2, log ||g_(k+1)|| / log ||g_k|| >= 1.8 (digits nearly
    # double), over the steps that end above the rounding floor (~1e-13 here)
    pairs = [(a, b) for a, b in zip(gnorms[:-1], gnorms[1:]) if a < 1e-2 and b > 1e-13]
    last_ratios += [np.log(b) / np.log(a) for a, b in pairs]
    step = 1.0 / (kappa + 0.25)
    th, gd_its, f_prev, monotone = th0.numpy().copy(), 0, fun_np(th0.numpy()), True
    while np.linalg.norm(grad_np(th)) > 1e-10 and gd_its < 200000:
        th = th - step * grad_np(th)
        f_new = fun_np(th)
        monotone &= f_new <= f_prev + 1e-12 * abs(f_prev)
        f_prev = f_new
        gd_its += 1
    gd_counts.append(gd_its)
    print(f"{kappa:>9.0f} | {newton_counts[-1]:>17} | {gd_its:>13}   gradient norms along Newton: " + ", ".join(f"{v:.0e}" for v in gnorms))
    assert monotone, "a GD step increased f"  # "every step decreases f"
print(f"closed-form gradient vs torch.func.grad: max difference {max_grad_diff:.1e}")
print(f"Newton near the minimum: log||g_(k+1)|| / log||g_k|| = " + ", ".join(f"{r:.2f}" for r in last_ratios))
print(f"GD iterations per tenfold kappa: x{gd_counts[1] / gd_counts[0]:.2f}, x{gd_counts[2] / gd_counts[1]:.2f}")
assert max_grad_diff < 1e-10, max_grad_diff
assert max(newton_counts) <= 6, newton_counts  # "a handful of Newton iterations for every kappa"
assert last_ratios and min(last_ratios) >= 1.8, last_ratios  # "correct digits (nearly) double per step"
gd_growth = np.array(gd_counts[1:]) / np.array(gd_counts[:-1])
assert np.all((gd_growth > 8) & (gd_growth < 12)), gd_growth  # "GD's count grows in proportion to kappa"

# %%
# What to notice
# --------------
# * **(a)** A gradient step increases :math:`f` (to second order) exactly when
#   :math:`\alpha > 2\,g^\top g / g^\top H g`; on a quadratic this is the true
#   crossing to rounding, on a network the expansion's coefficients match
#   autograd to rounding and the remainder is of third order, so the true
#   crossing moves by an amount that depends on how far from quadratic
#   :math:`f` is along :math:`g`. Any :math:`0 < \alpha < 2/\lambda_{\max}` is
#   safe in every direction, to second order.
# * **(b)** With such a safe step the flat directions contract by only
#   :math:`1 - \alpha\lambda_{\min} \approx 1 - 2/\kappa` per step, so the
#   iterations grow linearly with :math:`\kappa` (log-log slope within 0.1 of
#   1); on quadratics heavy-ball momentum improves this to
#   :math:`\sqrt\kappa` (slope within 0.1 of 1/2) but does not remove it.
#   GD's worst-case column is met exactly from a start on the slowest
#   eigenvector; random starts need fewer iterations by
#   :math:`\approx\frac\kappa2\ln(1/w)`, :math:`w` their share on the two
#   slowest-contracting directions. At its optimal parameters heavy ball is
#   critically damped at the extreme eigenvalues (double roots of modulus
#   :math:`\sqrt\mu < 1`); the double root's factor :math:`1 + (1+s)k` costs
#   it 28–55 % more steps than :math:`\ln(1/\varepsilon)/(-\ln\sqrt\mu)` in
#   the worst case (start on :math:`u_{\max}`), and its parameters sit within
#   a relative :math:`1/\kappa` of the divergence boundary, so a slightly
#   larger step diverges. Beyond quadratics the same tuning can cycle forever
#   (Lessard, Recht and Packard's example), while Nesterov's method keeps the
#   rate :math:`(1 - 1/\sqrt\kappa)^k` on every smooth strongly convex
#   function.
# * **(c)** Newton's method with a line search (or, at scale, quasi-Newton /
#   Newton–CG methods) is the answer: one iteration on every quadratic, a
#   handful on the non-quadratic strictly convex problem for every
#   :math:`\kappa` where GD's count grows tenfold per tenfold :math:`\kappa`.
#   It needs a positive definite Hessian for its fast local convergence
#   (:math:`x^4`: only linear, factor 2/3) and damping for global convergence
#   (:math:`\sqrt{1+x^2}`: the full step diverges from :math:`|x_0| > 1`).

# sphinx_gallery_thumbnail_number = 4
