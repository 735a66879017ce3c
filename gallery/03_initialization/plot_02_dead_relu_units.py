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
so weight decay is the only force acting on it; with a step that shrinks
the decayed parameters without overshooting (:math:`0 < \\eta\\lambda < 1`),
decaying weights alone revives a unit dead on the training data if and only
if its bias is positive (impossible for a unit dead on the whole box), and
decaying weights and biases together never revives it. A step with
:math:`\\eta\\lambda > 1` flips the sign of the parameters and does revive
it; AdamW's decoupled decay acts on a dead unit exactly like SGD's.
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
# :math:`\rho = 1 - \eta\lambda`. **We assume** :math:`0 < \eta\lambda < 1`,
# i.e. :math:`0 < \rho < 1`: each step shrinks the decayed parameters
# without overshooting zero, as the continuous decay
# :math:`\theta(s) = e^{-\lambda s}\theta(0)` it discretises does. The
# other cases are treated after the two answers.
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
# :math:`a_j \equiv 0`, the boundary).
#
# **Steps with** :math:`\eta\lambda \ge 1`. The same algebra,
# :math:`a_j(x; t) = \rho^t a_j(x; 0)`, holds for any :math:`\rho` while the
# unit is dead, but its conclusion does not. At :math:`\eta\lambda = 1`
# (:math:`\rho = 0`) one step sets :math:`w_j` and :math:`b_j` to zero, so
# :math:`a_j \equiv 0`; with :math:`\mathrm{relu}'(0) = 0` (torch's
# convention) the gradients stay zero and the unit stays on the boundary,
# still dead. At :math:`\eta\lambda > 1` (:math:`\rho < 0`) the first step
# already gives :math:`a_j(x; 1) = \rho\, a_j(x; 0) > 0` for every input:
# the unit revives at :math:`t = 1`. That revival is an artefact of a step
# that overshoots zero, not of weight decay, whose continuous-time version
# never changes a sign; so "never" holds exactly under
# :math:`0 < \eta\lambda < 1`. We check both edge cases after the main
# simulation.
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


def train(decay_biases, lr=lr, wd=wd, optimizer=torch.optim.SGD, n_steps=n_steps):
    """Full-batch training with weight decay wd on W1 and w2 (and on b1 and b2 if decay_biases).

    optimizer: torch.optim.SGD (decay added to the gradient) or torch.optim.AdamW (decoupled).
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
    opt = optimizer(groups, lr=lr)
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
# The edge cases :math:`\eta\lambda = 1` and :math:`\eta\lambda > 1`, decay on
# weights and biases. Same network and data; :math:`\lambda = 2` and
# :math:`\lambda = 3` with :math:`\eta = 0.5`, i.e. :math:`\rho = 0` and
# :math:`\rho = -0.5`.
edge = {wd_edge: train(decay_biases=True, wd=wd_edge, n_steps=10) for wd_edge in (2.0, 3.0)}
for wd_edge, (data_max, _, _, _) in edge.items():
    rho_edge = 1 - lr * wd_edge
    print(f"decay on weights and biases, eta*lambda = {lr * wd_edge:.1f} (rho = {rho_edge:+.1f}): "
          f"max over data of a_j(x; t) at t = 0, 1, 2: {np.round(data_max[:3], 3).tolist()}")
assert np.all(edge[2.0][0][1:] == 0.0)  # eta*lambda = 1: a_j = 0 exactly from t = 1 on, never positive: still dead
assert np.all(edge[3.0][0][1] > 0)  # eta*lambda > 1: every unit is active at t = 1
np.testing.assert_allclose(edge[3.0][0][1], -0.5 * relu_mlp_preactivations(X_train.numpy(), [W1_init], [b1_init])[0].min(axis=0), rtol=1e-12)  # rho * min_x a_j(x; 0)

# %%
# Figure: the largest pre-activation of each unit during training
# ---------------------------------------------------------------
# Solid: maximum over the training inputs; dashed: maximum over the whole box
# :math:`[-1, 1]^2` (:math:`b_j + \|w_j\|_1`); thin black dotted: the closed
# form of (c), :math:`\rho^t a + (1 - \rho^t) b_j` (weights only) or
# :math:`\rho^t a` (both), with :math:`a = \max_x a_j(x; 0)`. A unit is alive
# on the data once the solid line crosses zero; the vertical lines mark the
# predicted revival steps (printed above) of the units with
# :math:`b_j > 0`. Until then the simulation is the closed form to rounding.
# After it, the closed form no longer applies: the unit's data gradients are
# no longer zero, and training moves its bias and weights. Here they are
# weak (the output weight :math:`w^{(2)}_j` has itself decayed by
# :math:`\rho^t` meanwhile), so the simulated curves stay within a few
# hundredths of the dotted ones, far above rounding but too close to see;
# the printed deviations below show it.
colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]  # Okabe–Ito
fig, axes = plt.subplots(1, 2, figsize=(10, 5.4), sharey=True)
for ax, (variant, (data_max, box_max, _, _)) in zip(axes, runs.items()):
    for j in range(4):
        ax.plot(steps[:, 0], data_max[:, j], "-", lw=2, color=colours[j], label=f"$b_{j + 1}(0) = {b1_init[j]:+.1f}$, over data")
        ax.plot(steps[:, 0], box_max[:, j], "--", lw=1.2, color=colours[j])
        ax.plot(steps[:, 0], predicted[variant][:, j], ":", lw=1.0, color="k")
    if variant == "weights only":
        for j, t_rev in enumerate(t_pred):
            if t_rev is not None:
                ax.axvline(t_rev, color=colours[j], lw=1.0, ls=(0, (1, 3)))
                # Near the top edge, where only the t = 0 ends of the dashed curves reach.
                ax.annotate(f"$t = {t_rev}$", (t_rev, 0.93), xycoords=ax.get_xaxis_transform(), xytext=(3, 0), textcoords="offset points",
                            fontsize=10, color=colours[j])
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xlabel("gradient step $t$", fontsize=12)
    ax.set_title(f"decay on {variant}" + (" ($W^{(1)}, w^{(2)}$)" if variant == "weights only" else " (all parameters)"), fontsize=12)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=10)
axes[0].plot([], [], "k--", lw=1.2, label="dashed: over the box $[-1,1]^2$")
axes[0].plot([], [], "k:", lw=1.0, label="dotted: closed form (while dead)")
axes[0].set_ylabel("max pre-activation $\\max_x a_j(x; t)$", fontsize=12)
# One legend below both panels, where it cannot cover a curve.
fig.legend(*axes[0].get_legend_handles_labels(), fontsize=10, loc="lower center", ncol=3, frameon=False)
fig.suptitle("Decaying weights only revives exactly the units with positive bias, at the predicted steps;\n"
             "decaying biases too revives none", fontsize=12)
fig.tight_layout(rect=(0, 0.13, 1, 1))
# After revival the closed form no longer holds, though the deviation stays small here.
data_max_w, _, b1_path_w, _ = runs["weights only"]
for j, t_rev in enumerate(t_pred):
    if t_rev is not None:
        gap = np.abs(data_max_w[t_rev:, j] - predicted["weights only"][t_rev:, j]).max()
        b_move = np.abs(b1_path_w[t_rev:, j] - b1_init[j]).max()
        print(f"unit {j + 1}: after revival at t = {t_rev}: max |simulated - closed form| = {gap:.4f}, max |b_j(t) - b_j(0)| = {b_move:.4f}")
        assert 1e-4 < gap < 0.05 and b_move > 1e-4, (gap, b_move)  # off the closed form (far above rounding), by a few hundredths at most

# %%
# Beyond the sheet: remedies, and AdamW
# -------------------------------------
# What practice does about dead units, and what (c) says about each:
#
# * **Leaky ReLU** (Maas, Hannun and Ng, 2013),
#   :math:`\max(\alpha a, a)` with a small :math:`\alpha > 0`: its derivative
#   is :math:`\alpha` for :math:`a < 0`, so a unit negative on every input
#   still gets the gradient :math:`\partial y/\partial b_j = \alpha w^{(2)}_j`
#   and can move back; no unit is ever exactly dead. (Checked below on the
#   network of (a).)
# * **A small positive bias at initialisation** (0.01, say): a
#   unit then fires at least near :math:`x = 0`, where
#   :math:`a_j(0) = b_j > 0`; and by (c) a positive bias that is not decayed
#   is exactly what lets weight decay bring a unit back.
# * **A lower learning rate** (or a warm-up): a unit dies when an update
#   pushes its weights and bias into the region where :math:`a_j < 0` on
#   every input, and every update is proportional to :math:`\eta`, so
#   smaller steps are less likely to jump that far.
# * **AdamW** (Loshchilov and Hutter, 2019) decays *decoupled* from the
#   gradient: :math:`\theta \leftarrow (1 - \eta\lambda)\theta - \eta\,
#   \hat m/(\sqrt{\hat v} + \epsilon)`. For a unit dead from the start its
#   gradients are exactly zero, so Adam's moment estimates
#   :math:`\hat m, \hat v` stay exactly zero and so does the Adam step: only
#   the factor :math:`\rho = 1 - \eta\lambda` acts, as with SGD, and all of
#   (c) carries over with the same :math:`\rho`. (A unit that dies during
#   training still carries old moments, which fade geometrically; then the
#   match is not exact at first.)
#
# The check: AdamW with :math:`\eta = 0.05` and :math:`\lambda = 1`
# (:math:`\rho = 0.95`, as in the SGD runs) on the same network and data.
# While dead, every unit follows the same closed form to rounding, and the
# weights-only variant revives the same units at the same steps.
W1_fixed, w2_fixed = torch.tensor(W1), w2_t.detach()
J_b1_leaky = torch.autograd.functional.jacobian(
    lambda b: torch.nn.functional.leaky_relu(X_grid @ W1_fixed.T + b, 0.01) @ w2_fixed, torch.tensor(b1))  # (1681, 2): dy/db1 per grid point
print(f"leaky ReLU (alpha = 0.01) on the network of (a): dy/db1 over the grid in {J_b1_leaky.min().item():+.4f} .. {J_b1_leaky.max().item():+.4f}; "
      f"alpha * w2 = {(0.01 * w2_fixed).numpy().round(4)}")
torch.testing.assert_close(J_b1_leaky, (0.01 * w2_fixed).expand_as(J_b1_leaky), rtol=0, atol=1e-15)  # alpha w2_j at every input
assert torch.all(w2_fixed != 0)  # so the gradient is never zero: no unit is exactly dead

runs_adamw = {"weights only": train(decay_biases=False, lr=0.05, wd=1.0, optimizer=torch.optim.AdamW),
              "weights and biases": train(decay_biases=True, lr=0.05, wd=1.0, optimizer=torch.optim.AdamW)}
for variant, (data_max, _, _, _) in runs_adamw.items():
    revived = [int(np.argmax(data_max[:, j] > 0)) if np.any(data_max[:, j] > 0) else None for j in range(4)]
    dead_steps = np.cumsum(data_max > 0, axis=0) == 0
    err = np.abs(data_max - predicted[variant])[dead_steps].max()
    print(f"AdamW, decay on {variant}: first revival step per unit {revived}; while dead, max |simulated - closed form| = {err:.1e}")
    assert err < 1e-12, err  # the SGD closed form with rho = 1 - eta*lambda, to rounding
    assert revived == (t_pred if variant == "weights only" else [None] * 4), revived

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
# * (c) For a step with :math:`0 < \eta\lambda < 1`: with decay on the
#   weights only, a unit dead on the training data
#   revives if and only if :math:`b_j^{(1)} > 0` (here the units with
#   :math:`b = 0.5` and :math:`1.5`, at the printed steps, which match
#   :math:`\rho^t < b_j/(b_j - \max_x a_j(x;0))`); units with
#   :math:`b_j \le 0`, including every unit dead on the whole box, stay dead.
#   With decay on weights and biases the pre-activations are only rescaled
#   by :math:`\rho^t > 0`, so no unit revives; they creep towards zero from
#   below. Until a unit revives, the simulated trajectories coincide with the
#   closed form (printed difference at rounding level). A step with
#   :math:`\eta\lambda > 1` flips the signs and revives every unit at
#   :math:`t = 1`; :math:`\eta\lambda = 1` leaves them at :math:`a_j \equiv 0`.
# * Remedies: leaky ReLU (never exactly dead), a small positive initial bias,
#   a lower learning rate. AdamW decays a dead unit by the same factor
#   :math:`1 - \eta\lambda` as SGD, with the same revival steps.

# sphinx_gallery_thumbnail_number = 1
