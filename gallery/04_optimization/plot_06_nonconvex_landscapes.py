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
ends; momentum and Adam cross the Rosenbrock valley's flat floor where GD
crawls, Adam at a speed that falls as it goes (its steps are far smaller
than its learning rate there), and which of them arrives first depends on
the (untuned) learning rates; their basins of attraction differ from GD's
(momentum's are fragmented); and saddle points are unstable for noisy GD,
with an escape time that grows only logarithmically as the noise shrinks.
"""

# %%
# The two landscapes
# ------------------
# Rosenbrock: :math:`f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2`, minimum
# :math:`f = 0` at :math:`(1, 1)`. Its Hessian there,
# :math:`\bigl(\begin{smallmatrix}802 & -400\\ -400 & 200\end{smallmatrix}\bigr)`,
# has eigenvalues :math:`501 \pm \sqrt{501^2 - 400} \approx 1001.6` and
# :math:`0.3994` (condition number about 2500), and away from the minimum
# the valley floor :math:`y = x^2` bends, so no fixed linear rescaling
# straightens it.
#
# Himmelblau: :math:`f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`. Both
# components of its gradient are cubic polynomials, so by Bézout's theorem
# it has at most :math:`3 \times 3 = 9` isolated critical points. We locate
# nine distinct ones by Newton's method from rough guesses, using the exact
# Hessian from :func:`nntheory.diagnostics.hessian.hessian_matrix`, and
# classify them by the signs of the Hessian eigenvalues: four minima with
# :math:`f = 0`, four saddle points and one local maximum, and by the bound
# there are no others.
#
# The optimisers work on many starting points at once: the parameters are an
# array of shape ``(2, n_starts)``, and the pure update rules act elementwise.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import optim
from nntheory.diagnostics.hessian import hessian_matrix

from nntheory.seeding import base_seed

SEED = base_seed(94)
rng = np.random.default_rng(SEED)  # the gradient check's points and the gradient noise of the last section


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
    print(f"{name}: max |closed-form gradient - torch.func.grad| = {np.abs(auto - grad(pts)).max():.1e}  (largest |gradient| {np.abs(auto).max():.0f})")
    np.testing.assert_allclose(grad(pts), auto, rtol=1e-12, atol=1e-12 * np.abs(auto).max())  # equal to rounding

H_min = hessian_matrix(rosenbrock, torch.tensor([1.0, 1.0], dtype=torch.float64)).numpy()
eig_min = np.linalg.eigvalsh(H_min)
print(f"Rosenbrock Hessian at (1, 1): {H_min.tolist()}, eigenvalues {eig_min[0]:.4f}, {eig_min[1]:.1f}, condition number {eig_min[1] / eig_min[0]:.0f}")
np.testing.assert_allclose(H_min, [[802, -400], [-400, 200]], rtol=1e-12)
np.testing.assert_allclose(eig_min, 501 + np.array([-1, 1]) * np.sqrt(501**2 - 400), rtol=1e-12)  # "1001.6 and 0.3994"

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
found = np.array([*critical["minimum"], *critical["saddle"], *critical["maximum"]])  # (9, 2)
pair_dist = np.linalg.norm(found[:, None] - found[None], axis=-1) + np.eye(len(found))
assert pair_dist.min() > 0.1, "two guesses converged to the same critical point"  # "nine distinct"
assert np.abs(himmelblau_grad(found.T)).max() < 1e-9  # they are critical points
assert [len(critical[k]) for k in ("minimum", "saddle", "maximum")] == [4, 4, 1], critical
assert max(himmelblau(m) for m in minima) < 1e-20  # "four minima with f = 0"


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
# From :math:`(-1.2, 1)`, 4000 steps each. Near the minimum a stable fixed
# GD step must stay below :math:`2/\lambda_{\max} \approx 0.0020` (the steep
# walls), and on the flat valley floor such a step makes little progress.
# Heavy-ball momentum with the same learning rate accumulates speed along the
# floor: on a slowly varying gradient :math:`g` its buffer
# :math:`b \leftarrow \mu b + g` settles at :math:`g/(1-\mu)`, an effective
# step :math:`\eta/(1-\mu)`, ten times GD's. Adam's step on coordinate
# :math:`j` is :math:`\eta\,\hat m_j/(\sqrt{\hat v_j} + \epsilon)`; it equals
# :math:`\eta` only while the gradient keeps its sign *and its size*. Here
# the gradient shrinks by orders of magnitude as Adam moves down the valley,
# and :math:`\hat v` averages :math:`g^2` over about
# :math:`1/(1-\beta_2) = 1000` steps, so it still remembers the large early
# gradients: the step is about :math:`\eta\,|g_j|/\sqrt{\hat v_j} \ll \eta`.
# Adam then behaves like GD with a slowly growing per-coordinate learning
# rate :math:`\eta/\sqrt{\hat v_j}`, and with the learning rates chosen here
# reaches the minimum later than momentum (these learning rates are
# untuned; how the ranking depends on them is the next section). GD gets
# within 0.01 only long after the 4000 steps shown (printed). The first
# figure shows each path on its own panel (they overlap along the valley
# floor); the second, the distance to the minimum and Adam's steps against
# the step number.
rosen_rules = {"GD": optim.sgd(1.5e-3), "momentum": optim.sgd(1.5e-3, momentum=0.9), "Adam": optim.adam(2e-2)}
LR_ADAM, BETAS = 2e-2, (0.9, 0.999)
N_ROSEN = 4000
start = np.array([[-1.2], [1.0]])
rosen_paths = {name: run(rule, rosenbrock_grad, start, N_ROSEN)[:, :, 0] for name, rule in rosen_rules.items()}
rosen_dist = {name: np.linalg.norm(path - np.array([1.0, 1.0]), axis=1) for name, path in rosen_paths.items()}
hit = {}
for name, path in rosen_paths.items():
    close = np.nonzero(rosen_dist[name] < 1e-2)[0]
    hit[name] = close[0] if close.size else None
    print(f"{rosen_rules[name].name:>62}: steps to within 0.01 of (1, 1): {hit[name] if close.size else 'not in 4000'};  final distance {rosen_dist[name][-1]:.1e}, final f = {rosenbrock(path[-1]):.1e}")
assert 2 / eig_min[1] < 2.0e-3  # "a stable step must stay below 2/lambda_max ~ 0.0020"
assert hit["GD"] is None and hit["momentum"] is not None and hit["Adam"] is not None  # "momentum and Adam get there, GD does not (in 4000)"
assert hit["momentum"] < hit["Adam"], hit  # "with these learning rates Adam reaches the minimum later than momentum"
# GD does get there, much later: continue its run from step 4000.
z, rule = rosen_paths["GD"][-1][:, None].copy(), rosen_rules["GD"]
state, gd_hit = rule.init(z), None
for k in range(N_ROSEN + 1, 4 * N_ROSEN + 1):
    z, state = rule.update(z, rosenbrock_grad(z), state)
    if np.linalg.norm(z[:, 0] - 1.0) < 1e-2:
        gd_hit = k
        break
print(f"GD, continued: within 0.01 of (1, 1) at step {gd_hit}")
assert gd_hit is not None and gd_hit > 1.5 * N_ROSEN, gd_hit  # "GD gets there too, but only after ... steps"

# Adam's state along its path: the step relative to eta, and the gradient relative to sqrt(v_hat).
rule, z = rosen_rules["Adam"], start[:, 0].copy()
state = rule.init(z)
grads, vhat_sqrt = [], []
for _ in range(N_ROSEN):
    g = rosenbrock_grad(z)
    z, state = rule.update(z, g, state)
    grads.append(g)
    vhat_sqrt.append(np.sqrt(state.v[0] / (1 - BETAS[1] ** state.count)))
grads, vhat_sqrt = np.array(grads), np.array(vhat_sqrt)  # (N_ROSEN, 2) each
step_over_lr = np.abs(np.diff(rosen_paths["Adam"], axis=0)) / LR_ADAM  # (N_ROSEN, 2)
windows = [(0, 100), (100, 1000), (1000, 2000), (2000, 2500)]
print(f"{'Adam, steps':>12} | {'mean |step|/eta (x, y)':>24} | {'mean |g|/sqrt(v_hat) (x, y)':>28} | gradient sign changes")
for lo, hi in windows:
    ratio = step_over_lr[lo:hi].mean(axis=0)
    g_ratio = (np.abs(grads[lo:hi]) / vhat_sqrt[lo:hi]).mean(axis=0)
    flips = (np.diff(np.sign(grads[lo:hi]), axis=0) != 0).sum(axis=0)
    print(f"{lo:>5}-{hi:<6} | {ratio[0]:>11.4f} {ratio[1]:>11.4f} | {g_ratio[0]:>13.4f} {g_ratio[1]:>13.4f} | {flips[0]:>4} {flips[1]:>4}")
assert step_over_lr[0].max() > 0.999  # the first step is eta (sign of g, bias correction)
assert np.all(step_over_lr[:100].mean(axis=0) < 0.3)  # "far smaller than eta" from the start
assert np.all(step_over_lr[2000:2500].mean(axis=0) < 0.01)  # ... and falling by orders of magnitude
# "the step is about eta |g_j| / sqrt(v_hat_j)": once the gradient keeps its sign (steps 100-2500),
# m_hat ~ g and the two ratios agree to 10 % on average
np.testing.assert_allclose(step_over_lr[100:2500].mean(axis=0), (np.abs(grads[100:2500]) / vhat_sqrt[100:2500]).mean(axis=0), rtol=0.1)
assert (np.diff(np.sign(grads[100:2500]), axis=0) != 0).sum() <= 5  # "keeps its sign" after step 100
assert np.abs(grads[2000:2500]).max() < 1e-2 * np.abs(grads[:100]).max()  # "shrinks by orders of magnitude"

xx, yy = np.meshgrid(np.linspace(-1.6, 1.6, 400), np.linspace(-0.5, 2.2, 400))
LABELS = {"GD": "GD, lr 0.0015", "momentum": "heavy ball, lr 0.0015, μ 0.9", "Adam": "Adam, lr 0.02"}
fig, axes = plt.subplots(1, 3, figsize=(12, 4.4), layout="constrained", sharey=True)
for ax, name in zip(axes, ("GD", "momentum", "Adam")):
    path = rosen_paths[name]
    ax.contour(xx, yy, rosenbrock(np.stack([xx, yy])), levels=np.logspace(-1, 3.5, 16), colors="0.7", linewidths=0.8)
    ax.plot(path[:, 0], path[:, 1], "-", color=COLOURS[name], lw=1.8)
    ax.plot(path[::200, 0], path[::200, 1], "o", color=COLOURS[name], ms=5, label="every 200 steps")
    ax.plot(1, 1, "k*", ms=15, label="minimum (1, 1)")
    ax.plot(-1.2, 1, "ks", ms=7, label="start")
    ax.set_title(f"{LABELS[name]}: end {rosen_dist[name][-1]:.1e} from (1, 1)", fontsize=11)
    ax.set_xlabel("x", fontsize=12)
    ax.tick_params(labelsize=11)
axes[0].set_ylabel("y", fontsize=12)
axes[0].legend(fontsize=10, loc="upper center")
fig.suptitle("Rosenbrock, 4000 steps from (−1.2, 1): GD is still crawling along the floor", fontsize=13)
plt.show()

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
steps = np.arange(N_ROSEN + 1)
for name in ("GD", "momentum", "Adam"):
    ax0.semilogy(steps, rosen_dist[name], color=COLOURS[name], lw=2, label=LABELS[name])
ax0.axhline(1e-2, color="0.4", lw=1, ls=":", label="distance 0.01")
ax0.set_xlabel("step", fontsize=12)
ax0.set_ylabel("distance to the minimum (1, 1)", fontsize=12)
ax0.set_title(f"Momentum arrives first, Adam later, GD not within {N_ROSEN} steps", fontsize=12)
ax0.legend(fontsize=10, loc="lower left")
marks = np.arange(0, N_ROSEN, 150)
for j, (coord, colour) in enumerate((("x", "#009E73"), ("y", "#CC79A7"))):
    ax1.semilogy(np.arange(1, N_ROSEN + 1), step_over_lr[:, j], color=colour, lw=1.5, label=rf"$|\Delta {coord}|/\eta$")
    ax1.semilogy(marks + 1, np.abs(grads[marks, j]) / vhat_sqrt[marks, j], "o", mfc="none", color=colour, ms=6, label=rf"$|g_{coord}|/\sqrt{{\hat v_{coord}}}$ (every 150 steps)")
ax1.axhline(1.0, color="0.4", lw=1, ls=":", label=r"step = learning rate $\eta$")
ax1.set_ylim(1e-9, 3)  # room below the curves for the legend
ax1.set_xlabel("step", fontsize=12)
ax1.set_ylabel("Adam's step relative to its learning rate", fontsize=12)
ax1.set_title("Adam's steps shrink far below η: |Δθⱼ|/η ≈ |gⱼ|/√v̂ⱼ", fontsize=12)
ax1.legend(fontsize=10, loc="lower left")
for ax in (ax0, ax1):
    ax.tick_params(labelsize=11)
plt.show()

# %%
# The ranking depends on the learning rates
# -----------------------------------------
# None of the learning rates above was tuned, so "momentum arrives before
# Adam" is a statement about these settings only. A small sweep on the same
# problem, 4000 steps each from :math:`(-1.2, 1)`, records when each run
# first comes within 0.01 of the minimum and whether it then stays within
# 0.01 up to step 4000. Larger Adam learning rates arrive sooner (the largest,
# 0.5, before our momentum run), but from 0.1 on Adam does not stay: after
# arriving it keeps wandering around the minimum, farther than 0.01 at times
# (the largest distance after arrival is printed). Momentum with
# :math:`\mu = 0.95` arrives in about half the steps of :math:`\mu = 0.9`,
# and :math:`\mu = 0.99` at the same learning rate diverges. A fair
# comparison of optimisers tunes each one, and says by which criterion
# (first arrival, or arrival to stay).
sweep = {f"Adam, lr {lr:g}": optim.adam(lr) for lr in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)}
sweep |= {f"heavy ball, lr {lr:g}, μ {mu:g}": optim.sgd(lr, momentum=mu) for lr, mu in ((1.5e-3, 0.9), (1.5e-3, 0.95), (1.5e-3, 0.99), (1e-3, 0.9))}
first_hit, stays = {}, {}
print(f"{'rule':>29} | first within 0.01 | stays within 0.01 | largest distance after arrival")
for name, rule in sweep.items():
    with np.errstate(over="ignore", invalid="ignore"):
        dist = np.linalg.norm(run(rule, rosenbrock_grad, start, N_ROSEN)[:, :, 0] - 1.0, axis=1)
    close = np.nonzero(dist < 1e-2)[0]
    first_hit[name] = int(close[0]) if close.size else None
    after = dist[first_hit[name] :] if close.size else np.array([np.nan])
    stays[name] = bool(close.size and np.all(after < 1e-2))
    print(f"{name:>29} | {str(first_hit[name]):>17} | {str(stays[name]):>17} | {after.max():.3g}")
# the runs above are the sweep's reference settings
assert first_hit["Adam, lr 0.02"] == hit["Adam"] and first_hit["heavy ball, lr 0.0015, μ 0.9"] == hit["momentum"]
adam_names = [n for n in sweep if n.startswith("Adam")]  # in increasing lr
assert np.all(np.diff([first_hit[n] for n in adam_names]) < 0), first_hit  # "larger Adam learning rates arrive sooner"
assert first_hit["Adam, lr 0.5"] < hit["momentum"], first_hit  # "the largest before our momentum run"
assert [stays[n] for n in adam_names] == [True, True, True, False, False, False], stays  # "from 0.1 on Adam does not stay"
ratio_mu = first_hit["heavy ball, lr 0.0015, μ 0.95"] / first_hit["heavy ball, lr 0.0015, μ 0.9"]
assert 0.4 < ratio_mu < 0.6, ratio_mu  # "mu = 0.95 arrives in about half the steps"
assert first_hit["heavy ball, lr 0.0015, μ 0.99"] is None  # "mu = 0.99 diverges" (never within 0.01; the distance overflows)

# %%
# Trajectories and basins on Himmelblau's function
# ------------------------------------------------
# Each optimiser runs 600 steps from every point of a
# :math:`120 \times 120` grid on :math:`[-5, 5]^2`; a start is coloured by the
# minimum it ends within 0.05 of (grey: none, e.g. still moving or
# diverged). GD (:math:`\eta = 0.005`, below :math:`2/\lambda_{\max}` of the
# Hessian everywhere on the square: the Hessian is
# :math:`\operatorname{diag}(12x^2, 12y^2)` plus a matrix affine in
# :math:`(x, y)`, so :math:`\lambda_{\max}` is convex in :math:`(x, y)` and
# largest at a corner, :math:`326.8` at :math:`(5, 5)`) approximates the
# gradient flow, so its basins are bounded by the stable
# manifolds of the saddle points: four connected regions, which all meet at
# the local maximum. On the grid each basin is one 4-neighbour connected
# piece except for single cells next to the maximum, where two cells of a
# basin touch only at a corner (the printed piece counts); counting
# diagonal neighbours too, each GD basin is one piece. Momentum
# (:math:`\eta = 0.002`, :math:`\mu = 0.9`) carries speed across those
# boundaries and overshoots into neighbouring basins, so its basin map breaks
# into interleaved bands, most of them far out on the steep flanks. Adam
# (:math:`\eta = 0.05`) keeps nearly connected basins, but its normalised
# steps do not follow the gradient flow, so the borders move away from the
# saddles' stable manifolds. We count, per optimiser, the share of starts
# that do not lie in the largest connected piece (4-neighbour connectivity on
# the grid) of their basin: zero for four connected regions, up to those
# corner cells.
# sphinx_gallery_thumbnail_number = 4
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


def connected_pieces(label_img, diagonal=False):
    """Label of the connected piece each grid cell belongs to (the smallest flat index in it).

    Neighbours share an edge (4-connectivity) or, with diagonal=True, also a corner (8-connectivity).
    """
    piece = np.arange(label_img.size).reshape(label_img.shape)
    # (a, b): slices selecting each cell and its neighbour below, to the right, and (8-connectivity) diagonally
    shifts = [((slice(1, None), slice(None)), (slice(None, -1), slice(None))), ((slice(None), slice(1, None)), (slice(None), slice(None, -1)))]
    if diagonal:
        shifts += [((slice(1, None), slice(1, None)), (slice(None, -1), slice(None, -1))), ((slice(1, None), slice(None, -1)), (slice(None, -1), slice(1, None)))]
    while True:  # propagate the minimum index between equal neighbours until nothing changes
        new = piece.copy()
        for a, b in shifts:
            same = label_img[a] == label_img[b]
            low = np.minimum(new[a], new[b])
            new[a] = np.where(same, low, new[a])
            new[b] = np.where(same, np.minimum(new[b], low), new[b])
        if np.array_equal(new, piece):
            return piece
        piece = new


hxx = 12 * gx**2 + 4 * gy - 42  # Hessian entries of Himmelblau's function on the grid
hyy = 12 * gy**2 + 4 * gx - 26
hxy = 4 * gx + 4 * gy
lam_max_grid = (hxx + hyy) / 2 + np.sqrt(((hxx - hyy) / 2) ** 2 + hxy**2)
print(f"largest Hessian eigenvalue on the grid: {lam_max_grid.max():.1f} (GD is stable below 2/eta = {2 / 5e-3:.0f})")
assert lam_max_grid.max() < 2 / 5e-3  # "below 2/lambda_max everywhere on the square"
np.testing.assert_allclose(lam_max_grid.max(), 286 + np.sqrt(8**2 + 40**2), rtol=1e-12)  # "largest at (5, 5): 326.8"
grad_norm_grid = np.linalg.norm(himmelblau_grad(grid), axis=0)
stray = {}
for name in himmel_rules:
    img = labels[name].reshape(N_GRID, N_GRID)
    piece = connected_pieces(img)
    in_largest = np.zeros(img.shape, bool)
    n_pieces = []
    for k in range(len(minima)):
        sizes = np.bincount(piece[img == k])
        n_pieces.append(int((sizes > 0).sum()))
        in_largest |= piece == sizes.argmax()
    stray[name] = ~in_largest.ravel()
    print(f"{name:>9}: connected pieces per basin {n_pieces}; share of starts outside their basin's largest piece {stray[name].mean():.4f}")
print(f"median |grad f| at momentum's stray starts {np.median(grad_norm_grid[stray['momentum']]):.0f}, over all starts {np.median(grad_norm_grid):.0f}")
# "four connected regions, up to single cells next to the maximum that touch their basin only at a corner"
img_gd = labels["GD"].reshape(N_GRID, N_GRID)
piece4, piece8 = connected_pieces(img_gd), connected_pieces(img_gd, diagonal=True)
pieces8 = [int((np.bincount(piece8[img_gd == k]) > 0).sum()) for k in range(len(minima))]
maximum = np.array(critical["maximum"][0])
extra = [(k, i) for k in range(len(minima)) for i in np.unique(piece4[img_gd == k]) if i != np.bincount(piece4[img_gd == k]).argmax()]
extra_cells = [np.argwhere(piece4 == i) for _, i in extra]
extra_dist = [np.linalg.norm(grid[:, r * N_GRID + c] - maximum) for cells in extra_cells for r, c in cells]
print(f"GD with diagonal neighbours: pieces per basin {pieces8}; the extra 4-neighbour pieces have {[len(c) for c in extra_cells]} cells,"
      f" at most {max(extra_dist, default=0):.2f} from the maximum (grid spacing {10 / (N_GRID - 1):.3f})")
assert pieces8 == [1, 1, 1, 1], pieces8  # "each GD basin is one piece" with diagonal neighbours
near_max = np.unique(labels["GD"][np.linalg.norm(grid - maximum[:, None], axis=0) < 0.3])
assert near_max.tolist() == [0, 1, 2, 3], near_max  # "all meet at the local maximum": its neighbourhood reaches all four
assert all(len(c) == 1 for c in extra_cells) and max(extra_dist, default=0) < 3 * 10 / (N_GRID - 1), extra_dist  # single cells by the maximum
assert stray["GD"].mean() < 1e-3
# "GD's basins are bounded by the saddles' stable manifolds": the saddles lie on basin borders,
# i.e. the GD starts within 0.3 of each saddle end in at least two different minima
near_saddle = [np.unique(labels["GD"][np.linalg.norm(grid - sd[:, None], axis=0) < 0.3]) for sd in saddles]
print("minima reached by GD from the starts within 0.3 of each saddle:", [m.tolist() for m in near_saddle])
assert all(len(m) >= 2 for m in near_saddle)
assert stray["momentum"].mean() > 0.05  # "momentum's basin map breaks into bands"
assert stray["Adam"].mean() < 0.02  # "Adam keeps nearly connected basins"
assert np.median(grad_norm_grid[stray["momentum"]]) > 2 * np.median(grad_norm_grid)  # "far out on the steep flanks"
assert 1 - agree[0] > 0.05 and 1 - agree[1] > 0.03, agree  # both send a share of the starts elsewhere than GD

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

fig, axes = plt.subplots(1, 3, figsize=(12, 4.9), layout="constrained", sharey=True)
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
# off; in the linearised dynamics the component along the negative-curvature
# eigenvector then grows by a factor :math:`1 + \eta|\lambda_{-}|` per step,
# so the escape time grows like :math:`\ln(1/\sigma)`, with slope
# :math:`1/\ln(1 + \eta|\lambda_-|)` steps per e-fold of :math:`\sigma`. We
# run 200 noisy GD runs per noise level, :math:`\sigma = 10^{-10}, \dots,
# 10^{-1}`, and count the steps until :math:`f` has dropped by 1 below the
# saddle value.
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
    assert np.isfinite(steps).all(), f"a run did not escape in {MAX_STEPS} steps at sigma = {sigma}"  # every run escapes
    if sigma == 0.0:
        steps_no_noise = np.median(steps)
    else:
        median_escape.append(np.median(steps))
slope = np.polyfit(np.log(1 / sigmas), median_escape, 1)[0]
print("median escape steps for sigma = 1e-10 ... 1e-1:", [int(m) for m in median_escape])
print(f"slope d(steps)/d ln(1/sigma) = {slope:.1f}; linear theory 1/ln(1 + eta |lambda_-|) = {rate:.1f}")
extrapolated = median_escape[0] + rate * np.log(sigmas[0] / grad_at_saddle)
print(f"no added noise: escape after {steps_no_noise:.0f} steps; the log law at sigma = |gradient at the computed saddle| predicts about {extrapolated:.0f}")
assert 1e-15 < grad_at_saddle < 1e-13, grad_at_saddle  # "of order 1e-14, not zero"
# "the escape time grows like ln(1/sigma)" with the linear theory's slope: within 5 %
# (medians of 200 runs; the fit's scatter across seeds is below 2 %)
assert abs(slope - rate) < 0.05 * rate, (slope, rate)
# "noise-free GD escapes after the number of steps the log law predicts": within 5 %
assert abs(steps_no_noise - extrapolated) < 0.05 * extrapolated, (steps_no_noise, extrapolated)

fig, ax = plt.subplots(figsize=(7.5, 4.4), layout="constrained")
ax.semilogx(sigmas, median_escape, "o", color="#0072B2", ms=8, label="noisy GD, median of 200 runs")
ax.semilogx(grad_at_saddle, steps_no_noise, "D", color="#CC79A7", ms=9, label="no added noise (rounding only),\nplotted at σ = |∇f(saddle)|")
sig_line = np.logspace(np.log10(grad_at_saddle) - 0.5, -1, 50)
ax.semilogx(sig_line, median_escape[-1] + rate * np.log(sigmas[-1] / sig_line), color="#D55E00", lw=2, ls="--", label=r"slope $1/\ln(1 + \eta|\lambda_-|)$")
ax.set_xlabel(r"gradient noise $\sigma$", fontsize=12)
ax.set_ylabel("steps to leave the saddle", fontsize=12)
ax.set_title("Noisy GD leaves a saddle in a time that grows like ln(1/σ)", fontsize=12)
ax.legend(fontsize=10)
ax.tick_params(labelsize=11)
plt.show()

# %%
# What to notice
# --------------
# * **Trajectories.** On the Rosenbrock valley the stable GD step is set by
#   the steep walls and GD crawls along the floor: after 4000 steps it is
#   still short of the minimum (distance printed; it arrives only after the
#   printed, much larger number of steps), while momentum and Adam get within
#   0.01 of it, momentum first with the learning rates chosen. That order is
#   not a property of the methods: in the sweep, Adam with a large learning
#   rate arrives before our momentum run but does not stay, and momentum
#   with :math:`\mu = 0.95` halves its own time. Adam's steps are not "about
#   :math:`\eta`": they start below :math:`\eta` and fall by orders of
#   magnitude along the valley, because :math:`\sqrt{\hat v}` remembers
#   gradients far larger than the current one (printed table); it acts like GD
#   with a slowly growing per-coordinate learning rate.
# * **Basins.** On Himmelblau's function the end point depends on the
#   optimiser as much as on the start: GD's basins are four connected regions
#   (on the grid, up to single corner cells at the maximum) bounded by the
#   saddles' stable manifolds, while momentum and Adam send a
#   share of the starts to a different minimum than GD (printed agreement
#   fractions); momentum's basin map is fragmented, mostly on the steep
#   flanks, and Adam's borders are shifted. Which minimum is found is a
#   property of the dynamics, not of the landscape alone.
# * **Saddles.** A saddle is a fixed point of exact GD, but an unstable one:
#   every noise level we tried moves the iterate off it, and the escape time
#   grows only like :math:`\ln(1/\sigma)` (the printed slope is within 5 % of
#   the linear theory); even the rounding residual of the computed saddle is
#   enough. This is one reason why saddles, though far more numerous than
#   minima in high dimension (previous page), slow noisy training down rather
#   than stop it.
