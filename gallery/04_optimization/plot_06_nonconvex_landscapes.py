"""
Gradient descent, momentum and Adam on nonconvex landscapes
===========================================================

Exercise 4 of sheet 9 of the Theory of Neural Networks course (ID
``tnn-9/4``) is a notebook on nonconvex optimisation that we do not have, so
we answer its theme in our own way: how do plain gradient descent (GD),
heavy-ball momentum and Adam behave when the loss is not convex? We run the
three update rules of :mod:`nntheory.optim` on two classic two-dimensional
test functions, the Rosenbrock valley (one minimum at the end of a long,
curved, flat-bottomed valley) and Himmelblau's function (four minima separated
by four saddle points and a maximum), and look at three things: the
trajectories over the contour plots, the basins of attraction (which minimum
each starting point ends in, for each optimiser) and how a little gradient
noise gets GD off a saddle point where exact GD stays forever.

The claims: the optimiser, not only the landscape, decides where training
ends; momentum and Adam cross regions where GD crawls, but their basins of
attraction differ from GD's (momentum's are fragmented); and saddle points are unstable for noisy GD, with an escape
time that grows only logarithmically as the noise shrinks.
"""

# %%
# The two landscapes
# ------------------
# Rosenbrock: :math:`f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2`, minimum
# :math:`f = 0` at :math:`(1, 1)`. Its Hessian there has eigenvalues about
# 1000 and 0.4 (condition number about 2500), and away from the minimum the
# valley floor bends, so no fixed linear rescaling straightens it.
#
# Himmelblau: :math:`f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`, four
# minima with :math:`f = 0`, four saddle points and one local maximum. We
# locate every critical point by Newton's method from a rough guess, using
# the exact Hessian from :func:`nntheory.diagnostics.hessian.hessian_matrix`, and classify
# it by the signs of the Hessian eigenvalues.
#
# The optimisers work on many starting points at once: the parameters are an
# array of shape ``(2, n_starts)``, and the pure update rules act elementwise.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import optim
from nntheory.diagnostics.hessian import hessian_matrix

rng = np.random.default_rng(94)  # gradient noise in the last section


def rosenbrock(z):
    x, y = z[0], z[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(z):
    x, y = z[0], z[1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def himmelblau(z):
    x, y = z[0], z[1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def himmelblau_grad(z):
    x, y = z[0], z[1]
    a, b = x**2 + y - 11, x + y**2 - 7
    return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b])


# The hand-written gradients against torch.func.grad at random points.
pts = rng.uniform(-5, 5, (2, 100))
for name, fun, grad in (("Rosenbrock", rosenbrock, rosenbrock_grad), ("Himmelblau", himmelblau, himmelblau_grad)):
    auto = np.stack([torch.func.grad(fun)(torch.tensor(p)).numpy() for p in pts.T], axis=1)
    print(f"{name}: max |closed-form gradient - torch.func.grad| = {np.abs(auto - grad(pts)).max():.1e}")

guesses = [(3, 2), (-2.8, 3.1), (-3.8, -3.3), (3.6, -1.8), (0.1, 2.9), (-3.1, -0.1), (3.4, 0.1), (-0.1, -2.0), (-0.3, -0.9)]
critical = {"minimum": [], "saddle": [], "maximum": []}
for guess in guesses:
    z = torch.tensor(guess, dtype=torch.float64)
    for _ in range(30):
        z = z - torch.linalg.solve(hessian_matrix(himmelblau, z), torch.func.grad(himmelblau)(z))
    eig = torch.linalg.eigvalsh(hessian_matrix(himmelblau, z)).numpy()
    kind = "minimum" if eig.min() > 0 else ("maximum" if eig.max() < 0 else "saddle")
    critical[kind].append(z.numpy())
    print(f"critical point ({z[0]:+.4f}, {z[1]:+.4f}): f = {himmelblau(z).item():8.4f}, Hessian eigenvalues ({eig[0]:+8.2f}, {eig[1]:+8.2f}) -> {kind}")
minima = np.array(critical["minimum"])  # (4, 2)
saddles = np.array(critical["saddle"])  # (4, 2)


def run(rule, grad, z0, n_steps, noise=0.0, keep_path=True):
    """Run a rule from starting points z0 of shape (2, n_starts).

    Returns the path, shape (n_steps + 1, 2, n_starts), or only the end points
    (2, n_starts) if keep_path is False.
    """
    z, state = z0.copy(), rule.init(z0)
    path = [z]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_steps):
            g = grad(z) + (noise * rng.standard_normal(z.shape) if noise else 0.0)
            z, state = rule.update(z, g, state)
            if keep_path:
                path.append(z)
    return np.array(path) if keep_path else z


COLOURS = {"GD": "#D55E00", "momentum": "#0072B2", "Adam": "#009E73"}

# %%
# Trajectories on the Rosenbrock valley
# -------------------------------------
# From :math:`(-1.2, 1)`, 4000 steps each. GD's step must stay below
# :math:`2/\lambda_{\max} \approx 0.002` (the steep walls), and on the flat
# valley floor that step makes almost no progress. Heavy-ball momentum with
# the same learning rate accumulates speed along the floor (its effective step
# on a slowly varying gradient is :math:`\eta/(1-\mu)`). Adam normalises each
# coordinate's step to about :math:`\eta`, so it moves along the valley at a
# roughly constant speed whatever the gradient's size.
rosen_rules = {"GD": optim.sgd(1.5e-3), "momentum": optim.sgd(1.5e-3, momentum=0.9), "Adam": optim.adam(2e-2)}
start = np.array([[-1.2], [1.0]])
rosen_paths = {name: run(rule, rosenbrock_grad, start, 4000)[:, :, 0] for name, rule in rosen_rules.items()}
for name, path in rosen_paths.items():
    dist = np.linalg.norm(path - np.array([1.0, 1.0]), axis=1)
    hit = np.nonzero(dist < 1e-2)[0]
    print(f"{rosen_rules[name].name:>62}: steps to within 0.01 of (1, 1): {hit[0] if hit.size else 'not in 4000'};  final f = {rosenbrock(path[-1]):.1e}")

xx, yy = np.meshgrid(np.linspace(-2, 2, 400), np.linspace(-1, 3, 400))
fig, ax = plt.subplots(figsize=(8, 6.2), layout="constrained")
ax.contour(xx, yy, rosenbrock(np.stack([xx, yy])), levels=np.logspace(-1, 3.5, 16), colors="0.7", linewidths=0.8)
LABELS = {"GD": "GD, lr 0.0015", "momentum": "heavy ball, lr 0.0015, momentum 0.9", "Adam": "Adam, lr 0.02"}
for name in ("Adam", "momentum", "GD"):  # GD last, dashed, so the overlapping paths stay visible
    path = rosen_paths[name]
    ax.plot(path[:, 0], path[:, 1], "--" if name == "GD" else "-", color=COLOURS[name], lw=2.5 if name == "GD" else 1.8, label=LABELS[name])
    ax.plot(path[::200, 0], path[::200, 1], "o", color=COLOURS[name], ms=5)
ax.plot(1, 1, "k*", ms=16, label="minimum (1, 1)")
ax.plot(-1.2, 1, "ks", ms=8, label="start")
ax.set_xlabel("x", fontsize=12)
ax.set_ylabel("y", fontsize=12)
ax.set_title("Rosenbrock, 4000 steps (dots every 200): GD is slowest along the flat floor", fontsize=12)
ax.legend(fontsize=10, loc="upper left")
ax.tick_params(labelsize=11)
plt.show()

# %%
# Trajectories and basins on Himmelblau's function
# ------------------------------------------------
# Each optimiser runs 600 steps from every point of a
# :math:`120 \times 120` grid on :math:`[-5, 5]^2`; a start is coloured by the
# minimum it ends within 0.05 of (grey: none, e.g. still moving or
# diverged). GD (:math:`\eta = 0.005`, below :math:`2/\lambda_{\max}` on most
# of the square) follows the gradient flow, so its basins are bounded by the
# stable manifolds of the saddle points: four clean regions. Momentum
# (:math:`\eta = 0.002`, :math:`\mu = 0.9`) carries speed across those
# boundaries and overshoots into neighbouring basins, so its basin map breaks
# into interleaved bands where the landscape is steep. Adam
# (:math:`\eta = 0.05`) keeps fairly clean basins, but its normalised steps do
# not follow the gradient flow, so the borders move away from the saddles'
# stable manifolds.
# sphinx_gallery_thumbnail_number = 3
himmel_rules = {"GD": optim.sgd(5e-3), "momentum": optim.sgd(2e-3, momentum=0.9), "Adam": optim.adam(5e-2)}
N_GRID, N_STEPS = 120, 600
gx, gy = np.meshgrid(np.linspace(-5, 5, N_GRID), np.linspace(-5, 5, N_GRID))
grid = np.stack([gx.ravel(), gy.ravel()])  # (2, N_GRID**2)
MIN_COLOURS = ["#E69F00", "#56B4E9", "#CC79A7", "#009E73"]  # Okabe-Ito
basin_cmap = plt.matplotlib.colors.ListedColormap(MIN_COLOURS + ["#BBBBBB"])


def basins(final):
    """Index of the minimum each final point is within 0.05 of; len(minima) if none."""
    d = np.linalg.norm(final[None, :, :] - minima[:, :, None], axis=1)  # (4, n_starts)
    label = d.argmin(axis=0)
    label[~(d.min(axis=0) < 0.05)] = len(minima)
    return label


labels = {}
for name, rule in himmel_rules.items():
    final = run(rule, himmelblau_grad, grid, N_STEPS, keep_path=False)
    labels[name] = basins(final)
    shares = np.bincount(labels[name], minlength=5) / labels[name].size
    print(f"{name:>9}: share of starts per minimum " + ", ".join(f"({m[0]:+.2f}, {m[1]:+.2f}): {s:.2f}" for m, s in zip(minima, shares[:4])) + f", none: {shares[4]:.3f}")
agree = np.mean(labels["GD"] == labels["momentum"]), np.mean(labels["GD"] == labels["Adam"])
print(f"starts ending in the same minimum as GD: momentum {agree[0]:.2f}, Adam {agree[1]:.2f}")

# A few trajectories of each optimiser from the same starts.
starts = np.array([[-0.5, 0.6, -4.5, 4.5, 0.0], [0.5, -0.2, 0.0, 4.5, -4.8]])
fig, axes = plt.subplots(1, 3, figsize=(12, 4.6), layout="constrained", sharey=True)
hx, hy = np.meshgrid(np.linspace(-5, 5, 300), np.linspace(-5, 5, 300))
for ax, (name, rule) in zip(axes, himmel_rules.items()):
    ax.contour(hx, hy, himmelblau(np.stack([hx, hy])), levels=np.logspace(-0.5, 2.7, 14), colors="0.7", linewidths=0.8)
    path = run(rule, himmelblau_grad, starts, N_STEPS)
    for j in range(starts.shape[1]):
        ax.plot(path[:, 0, j], path[:, 1, j], "-", color=COLOURS[name], lw=1.8)
        ax.plot(path[0, 0, j], path[0, 1, j], "ks", ms=6)
    ax.plot(minima[:, 0], minima[:, 1], "k*", ms=13)
    ax.plot(saddles[:, 0], saddles[:, 1], "kx", ms=9, mew=2)
    ax.set_title({"GD": "GD, lr 0.005", "momentum": "heavy ball, lr 0.002, momentum 0.9", "Adam": "Adam, lr 0.05"}[name], fontsize=12)
    ax.set_xlabel("x", fontsize=12)
    ax.set_xlim(-5, 5)
    ax.set_ylim(-5, 5)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=11)
axes[0].set_ylabel("y", fontsize=12)
fig.suptitle("Himmelblau: trajectories from the same five starts (★ minima, ✕ saddles)", fontsize=13)
plt.show()

fig, axes = plt.subplots(1, 3, figsize=(12, 4.6), layout="constrained", sharey=True)
for ax, name in zip(axes, himmel_rules):
    ax.imshow(labels[name].reshape(N_GRID, N_GRID), origin="lower", extent=(-5, 5, -5, 5), cmap=basin_cmap, vmin=-0.5, vmax=4.5, interpolation="nearest")
    ax.plot(minima[:, 0], minima[:, 1], "k*", ms=13)
    ax.plot(saddles[:, 0], saddles[:, 1], "kx", ms=9, mew=2)
    ax.set_title(f"{name}: basins of attraction", fontsize=12)
    ax.set_xlabel("x (start)", fontsize=12)
    ax.tick_params(labelsize=11)
axes[0].set_ylabel("y (start)", fontsize=12)
fig.suptitle("Which minimum each start reaches after 600 steps: momentum fragments GD's basins, Adam shifts their borders", fontsize=13)
plt.show()

# %%
# Escaping a saddle with a little noise
# -------------------------------------
# Start at the saddle point of Himmelblau's function near
# :math:`(0.09, 2.88)`. At an exact critical point the gradient is zero and
# exact GD never moves. Adding Gaussian noise of standard deviation
# :math:`\sigma` to every gradient (a caricature of SGD) kicks the iterate
# off; the component along the negative-curvature eigenvector then grows by a
# factor :math:`1 + \eta|\lambda_{-}|` per step, so the escape time grows
# like :math:`\ln(1/\sigma)`. We run 200 noisy GD runs per noise level and
# count the steps until :math:`f` has dropped by 1 below the saddle value.
#
# Floating point adds a twist: the computed saddle is exact only to rounding,
# and its gradient (printed) is of order :math:`10^{-14}`, not zero. That
# residual plays the role of noise, so even "noise-free" GD escapes, after the
# number of steps the logarithmic law predicts for :math:`\sigma` of that size.
saddle = saddles[np.argmin(np.linalg.norm(saddles - np.array([0.09, 2.88]), axis=1))]
lam_neg = torch.linalg.eigvalsh(hessian_matrix(himmelblau, torch.tensor(saddle))).min().item()
f_saddle = himmelblau(saddle)
grad_at_saddle = np.linalg.norm(himmelblau_grad(saddle))
ETA, N_RUNS, MAX_STEPS = 5e-3, 200, 3000
rate = 1 / np.log(1 + ETA * abs(lam_neg))  # steps per e-fold of growth along the escape direction
print(f"saddle ({saddle[0]:.4f}, {saddle[1]:.4f}): f = {f_saddle:.4f}, |gradient| = {grad_at_saddle:.1e}, negative eigenvalue {lam_neg:.2f}")
sigmas = np.logspace(-10, -1, 10)
median_escape = []
for sigma in [0.0, *sigmas]:
    path = run(optim.sgd(ETA), himmelblau_grad, np.repeat(saddle[:, None], N_RUNS, axis=1), MAX_STEPS, noise=sigma)
    fvals = himmelblau(np.moveaxis(path, 1, 0))  # (MAX_STEPS + 1, N_RUNS)
    escaped = fvals < f_saddle - 1.0
    steps = np.where(escaped.any(axis=0), escaped.argmax(axis=0), np.inf)
    if sigma == 0.0:
        steps_no_noise = np.median(steps)
    else:
        median_escape.append(np.median(steps))
slope = np.polyfit(np.log(1 / sigmas), median_escape, 1)[0]
print("median escape steps for sigma = 1e-10 ... 1e-1:", [int(m) for m in median_escape])
print(f"slope d(steps)/d ln(1/sigma) = {slope:.1f}; linear theory 1/ln(1 + eta |lambda_-|) = {rate:.1f}")
extrapolated = median_escape[0] + rate * np.log(sigmas[0] / grad_at_saddle)
print(f"no added noise: escape after {steps_no_noise:.0f} steps; the log law at sigma = |gradient at the computed saddle| predicts about {extrapolated:.0f}")

fig, ax = plt.subplots(figsize=(7.5, 4.4), layout="constrained")
ax.semilogx(sigmas, median_escape, "o", color="#0072B2", ms=8, label="noisy GD, median of 200 runs")
ax.semilogx(grad_at_saddle, steps_no_noise, "D", color="#CC79A7", ms=9, label="no added noise (rounding only),\nplotted at σ = |∇f(saddle)|")
sig_line = np.logspace(np.log10(grad_at_saddle) - 0.5, -1, 50)
ax.semilogx(sig_line, median_escape[-1] + rate * np.log(sigmas[-1] / sig_line), color="#D55E00", lw=2, ls="--", label=r"slope $1/\ln(1 + \eta|\lambda_-|)$")
ax.set_xlabel(r"gradient noise $\sigma$", fontsize=12)
ax.set_ylabel("steps to leave the saddle", fontsize=12)
ax.set_title("Noise of any size frees GD from a saddle, in O(ln 1/σ) steps", fontsize=12)
ax.legend(fontsize=10)
ax.tick_params(labelsize=11)
plt.show()

# %%
# What to notice
# --------------
# * **Trajectories.** On the Rosenbrock valley the stable GD step is set by
#   the steep walls and GD crawls along the floor; momentum and Adam reach the
#   minimum within the 4000 steps and GD does not (printed). Momentum
#   overshoots across the valley before settling; Adam's path hugs the valley
#   because its per-coordinate steps are all about :math:`\eta`.
# * **Basins.** On Himmelblau's function the end point depends on the
#   optimiser as much as on the start: GD's basins are four connected regions
#   bounded by the saddles' stable manifolds, while momentum and Adam send a
#   sizeable share of the starts to a different minimum than GD (printed
#   agreement fractions); momentum's basin map is fragmented and Adam's borders
#   are shifted. Which minimum is found is a property of the dynamics, not of
#   the landscape alone.
# * **Saddles.** A saddle is a fixed point of exact GD, but an unstable one:
#   noise of any size moves the iterate off it, and the escape time grows only
#   like :math:`\ln(1/\sigma)` (the printed slope is close to the linear
#   theory); even floating-point rounding at the computed saddle is enough. This is one reason why saddles, though far more numerous than
#   minima in high dimension (previous page), rarely stop noisy training
#   for good; they slow it down.
