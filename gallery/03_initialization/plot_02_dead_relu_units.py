"""
Dead ReLU units, their zero gradients, and weight decay
=======================================================

A network maps :math:`x \\in [-1, 1]^2` to two ReLU hidden units
:math:`h = \\mathrm{relu}(W^{(1)} x + b^{(1)})` and a linear output
:math:`y = w^{(2)} h + b^{(2)}`. The exercise asks for first-layer parameters
that make both hidden units output zero for every admissible input, a proof
that :math:`y` then has zero gradient with respect to :math:`W^{(1)}` and
:math:`b^{(1)}`, and whether weight decay can bring such "dead" units back:
for which initial biases when only weights are decayed, and why never when
biases are decayed too. This is question 1 of math homework 2 of the CSC413
course, ID ``csc413-hw2/q1``.

The claims checked here: a unit is dead on the whole box exactly when
:math:`b_j + \\|w_j\\|_1 \\le 0`; its first-layer gradients are exactly zero,
so weight decay is the only force acting on it; decaying weights alone
revives a unit dead on the training data if and only if its bias is
positive (impossible for a unit dead on the whole box), and decaying weights
and biases together never revives it.
"""

# %%
# (a) Parameters that kill both hidden units
# ------------------------------------------
# The pre-activation of unit :math:`j` is :math:`a_j(x) = w_j^\top x + b_j`,
# with :math:`w_j` the :math:`j`-th row of :math:`W^{(1)}`. A linear function
# attains its maximum over the box :math:`[-1, 1]^2` at the corner
# :math:`x = \operatorname{sign}(w_j)`, so
#
# .. math::
#
#    \max_{x \in [-1, 1]^2} a_j(x) = b_j + |w_{j1}| + |w_{j2}|
#    = b_j + \|w_j\|_1 ,
#
# and unit :math:`j` outputs zero on the whole box if and only if
# :math:`b_j \le -\|w_j\|_1`. Any such choice answers (a); we take
#
# .. math::
#
#    W^{(1)} = \begin{pmatrix} 1 & 0.5 \\ -0.5 & 1 \end{pmatrix}, \qquad
#    b^{(1)} = \begin{pmatrix} -2 \\ -2 \end{pmatrix},
#
# for which both maxima are :math:`-2 + 1.5 = -0.5 < 0`. We check this on a
# dense grid of the box and with the interval bound of
# :func:`nntheory.diagnostics.dead_units.interval_bounds` (which for a first
# layer is exactly the formula above; module :mod:`nntheory.diagnostics.dead_units`).
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.diagnostics.dead_units import dead_unit_report, interval_bounds, relu_mlp_preactivations
from nntheory.seeding import base_seed

SEED = base_seed(0)  # override with NNTHEORY_SEED to rerun under another seed
rng = np.random.default_rng(SEED)  # training inputs in (c)
generator = torch.Generator().manual_seed(SEED)  # output weights in (b)

W1 = np.array([[1.0, 0.5], [-0.5, 1.0]])
b1 = np.array([-2.0, -2.0])
lower, upper = np.array([-1.0, -1.0]), np.array([1.0, 1.0])

g = np.linspace(-1.0, 1.0, 401)
grid = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)  # (401*401, 2)
(a_grid,) = relu_mlp_preactivations(grid, [W1], [b1])  # (n_grid, 2)
((_, a_hi),) = interval_bounds(lower, upper, [W1], [b1])
report = dead_unit_report(grid, lower, upper, [W1], [b1])
print("max over a 401 x 401 grid of a_j(x):", a_grid.max(axis=0))
print("interval bound b_j + ||w_j||_1:       ", a_hi)
print("dead on the grid:", report.dead_on_samples[0], "  certified dead on the box:", report.dead_on_box[0])
# The grid contains the maximising corners, so grid maximum and interval bound agree exactly: -0.5 < 0.
np.testing.assert_allclose(a_grid.max(axis=0), [-0.5, -0.5], rtol=0, atol=1e-12)
np.testing.assert_allclose(a_hi, b1 + np.abs(W1).sum(axis=1), rtol=0, atol=1e-12)
assert report.dead_on_samples[0].all() and report.dead_on_box[0].all()

fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), sharey=True)
for j, ax in enumerate(axes):
    im = ax.pcolormesh(g, g, a_grid[:, j].reshape(g.size, g.size), cmap="Blues_r", vmin=-3.6, vmax=0, shading="auto")
    corner = np.sign(W1[j])
    ax.plot(*corner, "o", color="#E69F00", ms=10, mec="k", clip_on=False, zorder=5, label=f"maximiser sign($w_{j + 1}$), $a_{j + 1}$ = {a_hi[j]:.2f}")
    ax.set_xlabel("$x_1$", fontsize=12)
    ax.set_title(f"pre-activation $a_{j + 1}(x)$", fontsize=12)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=10)
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)  # below the panel, off the colour field
axes[0].set_ylabel("$x_2$", fontsize=12)
fig.colorbar(im, ax=axes, label="$a_j(x) = w_j^\\top x + b_j$")
fig.suptitle("Both pre-activations are negative on all of $[-1,1]^2$: both units are dead", fontsize=13)

# %%
# (b) The gradients with respect to the first layer vanish
# --------------------------------------------------------
# By the chain rule, with :math:`\mathrm{relu}'(a) = \mathbb 1[a > 0]`,
#
# .. math::
#
#    \frac{\partial y}{\partial W^{(1)}_{jk}} = w^{(2)}_j\,
#    \mathrm{relu}'(a_j)\, x_k, \qquad
#    \frac{\partial y}{\partial b^{(1)}_j} = w^{(2)}_j\, \mathrm{relu}'(a_j).
#
# Since :math:`a_j(x) \le -0.5 < 0` on the whole box, :math:`\mathrm{relu}'(a_j) = 0`
# (no convention for :math:`\mathrm{relu}'(0)` is involved), and both
# gradients are zero for every input, whatever :math:`w^{(2)}` and
# :math:`b^{(2)}` are. Through :math:`\partial \ell/\partial W^{(1)} =
# \ell'(y)\, \partial y/\partial W^{(1)}` the same holds for any loss, so
# plain gradient descent (without weight decay) never changes
# :math:`W^{(1)}` and :math:`b^{(1)}`.
# (:math:`\partial y/\partial w^{(2)} = h = 0` as well, while
# :math:`\partial y/\partial b^{(2)} = 1`: only the output bias still learns.)
# We compute the per-input Jacobians with ``torch.autograd`` on a
# 41 x 41 grid.
W1_t = torch.tensor(W1, requires_grad=True)
b1_t = torch.tensor(b1, requires_grad=True)
w2_t = torch.randn(2, generator=generator, dtype=torch.float64, requires_grad=True)
b2_t = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
g41 = torch.linspace(-1, 1, 41, dtype=torch.float64)
X_grid = torch.stack(torch.meshgrid(g41, g41, indexing="xy"), dim=-1).reshape(-1, 2)  # (1681, 2)


def net(W1, b1, w2, b2, X):
    """y for every row of X: shape (n_samples,)."""
    return torch.relu(X @ W1.T + b1) @ w2 + b2


jac = torch.autograd.functional.jacobian(lambda W1, b1, w2, b2: net(W1, b1, w2, b2, X_grid), (W1_t, b1_t, w2_t, b2_t), vectorize=True)
names = ["dy/dW1", "dy/db1", "dy/dw2", "dy/db2"]
for name, J in zip(names, jac):
    print(f"{name}: Jacobian shape {tuple(J.shape)}, max |entry| over the grid = {J.abs().max().item():.3g}")
J_W1, J_b1, J_w2, J_b2 = jac
assert torch.all(J_W1 == 0) and torch.all(J_b1 == 0)  # exactly zero at every input
assert torch.all(J_w2 == 0) and torch.all(J_b2 == 1)  # h = 0, and dy/db2 = 1

# %%
# (c) Can weight decay revive a dead unit?
# ----------------------------------------
# Train with gradient descent, step size :math:`\eta`, on a data loss plus
# an :math:`L^2` penalty :math:`\tfrac{\lambda}{2}\|\theta\|^2` on the
# decayed parameters :math:`\theta` (``weight_decay=λ`` in
# ``torch.optim.SGD`` adds exactly :math:`\lambda\theta` to the gradient).
# As the sheet sets it up, "weights" are all weights, :math:`W^{(1)}` and
# :math:`w^{(2)}`, and "biases" are :math:`b^{(1)}` and :math:`b^{(2)}`.
# While unit :math:`j` is dead on every training input, (b) says its data
# gradients are zero, so only the decay acts on :math:`w_j` and :math:`b_j`.
# (The output weight :math:`w^{(2)}_j` has data gradient
# :math:`\ell'(y)\, h_j = 0` too, so it decays as well,
# :math:`w^{(2)}_j(t) = \rho^t w^{(2)}_j(0)`; it does not enter
# :math:`a_j`, so it does not decide whether the unit revives, only how
# strongly a revived unit then speaks to the output.) Write
# :math:`\rho = 1 - \eta\lambda`, with :math:`0 < \rho < 1` for any
# sensible step (:math:`0 < \eta\lambda < 1`).
#
# **Weights decayed, biases not.** Then :math:`w_j(t) = \rho^t w_j(0)` and
# :math:`b_j(t) = b_j(0) = b_j`, so for every input
#
# .. math::
#
#    a_j(x; t) = \rho^t\, w_j(0)^\top x + b_j
#    = \rho^t\, a_j(x; 0) + (1 - \rho^t)\, b_j \;\longrightarrow\; b_j .
#
# If :math:`b_j \le 0`, :math:`a_j(x; t)` is a convex combination of two
# non-positive numbers and stays :math:`\le 0`: the unit stays dead forever.
# If :math:`b_j > 0`, every pre-activation tends to :math:`b_j > 0`, so the
# unit revives after finitely many steps, as soon as
# :math:`\rho^t < b_j / (b_j - a_j(x; 0))` for some training input. The
# answer is therefore :math:`b^{(1)}_j > 0`. Note what this requires: a unit
# dead on the *whole box* has :math:`b_j \le -\|w_j\|_1 \le 0`
# (part (a)), so it can never be revived this way; a positive bias is only
# possible for a unit that is dead on the training inputs because they do
# not fill the box.
#
# **Weights and biases decayed.** Now :math:`b_j(t) = \rho^t b_j(0)` too,
# and
#
# .. math::
#
#    a_j(x; t) = \rho^t \big(w_j(0)^\top x + b_j(0)\big) = \rho^t\, a_j(x; 0) \le 0
#
# for every :math:`t` and every input where the unit was dead: decay only
# rescales the pre-activation by a positive factor and never changes its
# sign. Weight decay alone cannot revive the unit (it shrinks it towards
# :math:`a_j \equiv 0`, the boundary). (With a step so large that
# :math:`\eta\lambda > 1`, :math:`\rho < 0` flips the signs every step; that
# is an artefact of the overshooting discretisation, not of weight decay.)
#
# The simulation
# ^^^^^^^^^^^^^^
# The training inputs fill only the corner :math:`[0.5, 1]^2` of the box,
# with targets :math:`t = \sin(3x_1) + x_2`. To watch several initial
# biases at once we widen the hidden layer to four units: while dead, units
# do not interact, so each behaves exactly like a unit of the two-unit
# network. All four have :math:`w_j = (-2, -2)`, hence
# :math:`a_j(x) \in [b_j - 4, b_j - 2]` on the training inputs (dead for
# :math:`b_j \le 2`) and :math:`\max_{\text{box}} a_j = b_j + 4`. We take
# :math:`b = (-4.5, -0.5, 0.5, 1.5)`: the first unit is dead on the whole
# box (a part-(a) unit), the others only on the data. Step :math:`\eta = 0.5`
# and :math:`\lambda = 0.1`, so :math:`\rho = 0.95`.
n_train, n_steps, lr, wd = 200, 150, 0.5, 0.1
X_train = torch.tensor(rng.uniform(0.5, 1.0, size=(n_train, 2)))
t_train = torch.sin(3 * X_train[:, 0]) + X_train[:, 1]
W1_init = np.full((4, 2), -2.0)
b1_init = np.array([-4.5, -0.5, 0.5, 1.5])
rep = dead_unit_report(X_train.numpy(), lower, upper, [W1_init], [b1_init])
print("dead on the training inputs:", rep.dead_on_samples[0])
print("certified dead on the box:  ", rep.dead_on_box[0])
print("dead on the data only:      ", rep.dead_on_samples_only[0])
assert rep.dead_on_samples[0].all()  # all four start dead on the data
assert list(rep.dead_on_box[0]) == [True, False, False, False]  # only the first on the whole box


def train(decay_biases):
    """GD with torch.optim.SGD, weight decay on W1 and w2 (and on b1 and b2 if decay_biases).

    Returns the max pre-activations over the data and over the box, and the
    trajectories of b1 and w2, each of shape (n_steps + 1, 4).
    """
    W1 = torch.tensor(W1_init, requires_grad=True)
    b1 = torch.tensor(b1_init, requires_grad=True)
    w2 = torch.full((4,), 0.5, dtype=torch.float64, requires_grad=True)
    b2 = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    groups = [{"params": [W1, w2, b1, b2] if decay_biases else [W1, w2], "weight_decay": wd}]
    if not decay_biases:
        groups.append({"params": [b1, b2], "weight_decay": 0.0})
    opt = torch.optim.SGD(groups, lr=lr)
    data_max, box_max, b1_path, w2_path = [], [], [], []
    for step in range(n_steps + 1):
        W, b = W1.detach().numpy(), b1.detach().numpy()
        data_max.append(relu_mlp_preactivations(X_train.numpy(), [W], [b])[0].max(axis=0))
        box_max.append(interval_bounds(lower, upper, [W], [b])[0][1])
        b1_path.append(b.copy())
        w2_path.append(w2.detach().numpy().copy())
        if step == n_steps:
            break
        opt.zero_grad()
        loss = 0.5 * ((net(W1, b1, w2, b2, X_train) - t_train) ** 2).mean()
        loss.backward()
        opt.step()
    return np.array(data_max), np.array(box_max), np.array(b1_path), np.array(w2_path)


runs = {"weights only": train(decay_biases=False), "weights and biases": train(decay_biases=True)}

# Closed-form prediction while a unit is dead: a(x; t) = rho^t a(x; 0) + (1 - rho^t) b (weights only)
# or rho^t a(x; 0) (both). The max over the data is attained at the same input for all t.
rho = 1 - lr * wd
steps = np.arange(n_steps + 1)[:, None]
a0_max = relu_mlp_preactivations(X_train.numpy(), [W1_init], [b1_init])[0].max(axis=0)
predicted = {"weights only": rho**steps * a0_max + (1 - rho**steps) * b1_init, "weights and biases": rho**steps * a0_max}
# First t with rho^t < b / (b - max_x a(x; 0)), for the units with b > 0.
t_pred = [int(np.floor(np.log(b / (b - a)) / np.log(rho))) + 1 if b > 0 else None for a, b in zip(a0_max, b1_init)]
print(f"rho = {rho}; predicted first revival step (weights only): {t_pred}")
for variant, (data_max, _, b1_path, w2_path) in runs.items():
    revived = [int(np.argmax(data_max[:, j] > 0)) if np.any(data_max[:, j] > 0) else None for j in range(4)]
    dead_steps = np.cumsum(data_max > 0, axis=0) == 0  # still dead at every step so far
    err = np.abs(data_max - predicted[variant])[dead_steps].max()
    # While unit j is dead its output weight only decays, and (weights only) its bias does not move.
    w2_err = np.abs(w2_path - rho**steps * 0.5)[dead_steps].max()
    print(f"decay on {variant}: first step with a positive pre-activation per unit {revived}")
    print(f"    while dead: max |simulated - closed form| = {err:.1e}, max |w2_j(t) - rho^t w2_j(0)| = {w2_err:.1e}")
    assert err < 1e-12 and w2_err < 1e-12, (err, w2_err)  # the closed form, to rounding
    if variant == "weights only":
        assert revived == t_pred, (revived, t_pred)  # exactly the units with b > 0, at the predicted steps
        assert np.all(b1_path[dead_steps] == np.broadcast_to(b1_init, b1_path.shape)[dead_steps])
        assert np.all(data_max[-1, b1_init > 0] > 0)  # the revived units are still alive at the end
    else:
        assert revived == [None] * 4  # no unit revives
        assert np.all(data_max < 0)  # every pre-activation stays negative, creeping towards 0

# %%
# Figure: the largest pre-activation of each unit during training
# ---------------------------------------------------------------
# Solid: maximum over the training inputs; dashed: maximum over the whole box
# :math:`[-1, 1]^2` (:math:`b_j + \|w_j\|_1`). A unit is alive on the data
# once the solid line crosses zero.
colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]  # Okabe–Ito
fig, axes = plt.subplots(1, 2, figsize=(10, 5.2), sharey=True)
for ax, (variant, (data_max, box_max, _, _)) in zip(axes, runs.items()):
    for j in range(4):
        ax.plot(steps[:, 0], data_max[:, j], "-", lw=2, color=colours[j], label=f"$b_{j + 1}(0) = {b1_init[j]:+.1f}$, over data")
        ax.plot(steps[:, 0], box_max[:, j], "--", lw=1.2, color=colours[j])
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xlabel("gradient step $t$", fontsize=12)
    ax.set_title(f"decay on {variant}" + (" ($W^{(1)}, w^{(2)}$)" if variant == "weights only" else " (all parameters)"), fontsize=12)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=10)
axes[0].plot([], [], "k--", lw=1.2, label="dashed: over the box $[-1,1]^2$")
axes[0].set_ylabel("max pre-activation $\\max_x a_j(x; t)$", fontsize=12)
# One legend below both panels, where it cannot cover a curve.
fig.legend(*axes[0].get_legend_handles_labels(), fontsize=10, loc="lower center", ncol=3, frameon=False)
fig.suptitle("Decaying weights only revives exactly the units with positive bias;\ndecaying biases too revives none", fontsize=12)
fig.tight_layout(rect=(0, 0.11, 1, 1))

# %%
# What to notice
# --------------
# * (a) :math:`W^{(1)} = \begin{pmatrix} 1 & 0.5 \\ -0.5 & 1 \end{pmatrix}`,
#   :math:`b^{(1)} = (-2, -2)` kills both units on the whole box: the grid
#   maximum and the interval bound :math:`b_j + \|w_j\|_1` printed above
#   are both :math:`-0.5`. In general: :math:`b_j \le -\|w_j\|_1`.
# * (b) The autograd Jacobians of :math:`y` with respect to
#   :math:`W^{(1)}` and :math:`b^{(1)}` are exactly zero at every grid point,
#   because :math:`\mathrm{relu}'(a_j) = 0` there.
# * (c) With decay on the weights only, a unit dead on the training data
#   revives if and only if :math:`b_j^{(1)} > 0` (here the units with
#   :math:`b = 0.5` and :math:`1.5`, at the printed steps, which match
#   :math:`\rho^t < b_j/(b_j - \max_x a_j(x;0))`); units with
#   :math:`b_j \le 0`, including every unit dead on the whole box, stay dead.
#   With decay on weights and biases the pre-activations are only rescaled
#   by :math:`\rho^t > 0`, so no unit revives; they creep towards zero from
#   below. Until a unit revives, the simulated trajectories coincide with the
#   closed form (printed difference at rounding level).

# sphinx_gallery_thumbnail_number = 1
