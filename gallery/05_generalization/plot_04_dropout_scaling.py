"""
Why dropout rescales at test time, and standard against inverted dropout
========================================================================

Two exercises ask the same question from opposite conventions. Exercise
9.1.5 of the Theory of Neural Networks sheet 9 (ID ``tnn-9/1.5``) keeps each
unit with probability :math:`p` during training and asks why the units are
multiplied by :math:`p` at test time, and whether *inverted* dropout (divide
by :math:`p` during training, do nothing at test time) is equivalent.
Question 3 of the CSC413 math homework 2 (ID ``csc413-hw2/q3``) drops each
unit with probability :math:`p` and asks why the weights are multiplied by
:math:`1-p` at test time. To avoid the clash we write ``p_keep`` (the first
sheet's :math:`p`, the second's :math:`1-p`). We show that the scaling makes
the test-time pre-activations equal to their training-time *expectation*
(exactly for the linear layer that follows dropout, only approximately after
a nonlinearity), and that the two dropout versions represent the same
functions but are not trained identically by SGD with the same learning
rate.
"""

# %%
# Why the scaling
# ---------------
# Let :math:`h \in \R^n` be the activations entering a dropout layer and
# :math:`a = W(r \odot h) + b` the next pre-activation, with
# :math:`r_j \sim \mathrm{Bernoulli}(p_{\text{keep}})` independent. By linearity
# of expectation,
#
# .. math::
#
#    \E_r[a] = W\,\E[r \odot h] + b = p_{\text{keep}}\, W h + b .
#
# During training the next layer therefore sees inputs whose scale is
# :math:`p_{\text{keep}}` times the full activations, and its weights are tuned
# to that scale. Switching dropout off at test time without scaling feeds it
# :math:`Wh + b`, too large by a factor :math:`1/p_{\text{keep}}` in the
# weighted sum (twice too large for :math:`p_{\text{keep}} = 0.5`), and every
# later layer receives inputs it never saw. Multiplying by
# :math:`p_{\text{keep}}` (that is, by :math:`1-p` with the csc413 sheet's drop
# probability :math:`p`) makes the deterministic test pass produce exactly
# :math:`\E_r[a]`. It is also the cheap stand-in for averaging the
# :math:`2^n` thinned networks: exact for the linear layer after dropout, an
# approximation (the "weight-scaling inference rule") once a nonlinearity
# :math:`\phi` follows, because :math:`\E[\phi(a)] \ne \phi(\E[a])`
# in general (Jensen).
#
# We check this on a random ReLU network
# :math:`10 \to 100 \to 100 \to 1` with dropout (``p_keep = 0.5``) after each
# hidden layer, using :class:`~nntheory.models.dropout.StandardDropout`, and
# average over :math:`20\,000` masks.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.models.dropout import InvertedDropout, StandardDropout

generator = torch.Generator().manual_seed(0)
torch.set_default_dtype(torch.float64)
p_keep = 0.5
x = torch.randn(64, 10, generator=generator)  # 64 test inputs
lin1, lin2, lin3 = (torch.nn.Linear(i, o) for i, o in ((10, 100), (100, 100), (100, 1)))
with torch.no_grad():
    for lin in (lin1, lin2, lin3):
        lin.weight.copy_(torch.randn(lin.weight.shape, generator=generator) * (2 / lin.in_features) ** 0.5)
        lin.bias.copy_(0.1 * torch.randn(lin.bias.shape, generator=generator))
drop1, drop2 = StandardDropout(p_keep, generator=generator), StandardDropout(p_keep, generator=generator)


def forward(x, mode):
    """Returns (pre-activation after the first dropout, network output)."""
    for d in (drop1, drop2):
        d.train(mode == "train")
    h1 = torch.relu(lin1(x))
    a2 = lin2(h1 if mode == "unscaled" else drop1(h1))
    h2 = torch.relu(a2)
    return a2, lin3(h2 if mode == "unscaled" else drop2(h2))


n_masks, chunk = 20_000, 500
with torch.no_grad():
    a2_sum, a2_sq, out_sum = torch.zeros(64, 100), torch.zeros(64, 100), torch.zeros(64, 1)
    for _ in range(n_masks // chunk):
        a2, out = forward(x.repeat(chunk, 1), "train")  # chunk masks at once: (chunk * 64, ...)
        a2, out = a2.view(chunk, 64, 100), out.view(chunk, 64, 1)
        a2_sum += a2.sum(0)
        a2_sq += (a2**2).sum(0)
        out_sum += out.sum(0)
    a2_mc, out_mc = a2_sum / n_masks, out_sum / n_masks
    a2_se = ((a2_sq / n_masks - a2_mc**2) / n_masks).sqrt()  # Monte Carlo standard error, (64, 100)
    a2_scaled, out_scaled = forward(x, "eval")
    a2_unscaled, out_unscaled = forward(x, "unscaled")


def rel(a, b):
    return ((a - b).norm() / b.norm()).item()


print(f"pre-activation after dropout:  |scaled - MC mean| / |MC mean| = {rel(a2_scaled, a2_mc):.4f}   "
      f"unscaled: {rel(a2_unscaled, a2_mc):.4f}")
print(f"largest |scaled - MC mean| of a pre-activation, in Monte Carlo standard errors: {((a2_scaled - a2_mc).abs() / a2_se).max():.2f}")
print(f"network output (after ReLU):   |scaled - MC mean| / |MC mean| = {rel(out_scaled, out_mc):.4f}   "
      f"unscaled: {rel(out_unscaled, out_mc):.4f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
for ax, mc, scaled, unscaled, name in ((axes[0], a2_mc, a2_scaled, a2_unscaled, "pre-activation $a^{(2)}$ (linear in the mask)"),
                                        (axes[1], out_mc, out_scaled, out_unscaled, "network output (after a ReLU)")):
    ax.scatter(mc.flatten(), unscaled.flatten(), s=8, color="#D55E00", alpha=0.6, label="no test-time scaling")
    ax.scatter(mc.flatten(), scaled.flatten(), s=8, color="#0072B2", alpha=0.6, label=r"scaled by $p_{\mathrm{keep}}$")
    lim = [mc.min().item(), mc.max().item()]
    ax.plot(lim, lim, "k--", lw=1, label="equality")
    ax.set_xlabel(r"mean over 20 000 dropout masks, $\mathbb{E}_r[\cdot]$")
    ax.set_ylabel("deterministic test-time pass")
    ax.set_title(name, fontsize=11)
    ax.legend(fontsize=9)
fig.suptitle("Scaling by $p_{\\mathrm{keep}}$ matches the training-time mean: exactly before, nearly after a ReLU")
fig.tight_layout()

# %%
# Standard and inverted dropout represent the same functions
# ----------------------------------------------------------
# Inverted dropout computes :math:`a = W'(r \odot h)/p_{\text{keep}} + b` in
# training and :math:`W'h + b` at test time. With :math:`W' = p_{\text{keep}} W`
# both modes give exactly what standard dropout with weights :math:`W` gives:
# the two parameterisations are related by a fixed rescaling of the weights
# that *follow* each dropout layer, so they have the same function class and
# the same expected training-time activations. That answers "equivalent?"
# for the model. It does not answer it for *training*: the loss as a function
# of :math:`W'` is :math:`\mathcal L'(W') = \mathcal L(W'/p_{\text{keep}})`,
# so :math:`\nabla_{W'}\mathcal L' = \nabla_W \mathcal L / p_{\text{keep}}`.
# One SGD step with learning rate :math:`\eta` on the inverted net moves
# :math:`W'` by :math:`-\eta\nabla_W\mathcal L / p_{\text{keep}}`, i.e. moves
# the equivalent :math:`W = W'/p_{\text{keep}}` by
# :math:`-\eta\nabla_W\mathcal L / p_{\text{keep}}^2`: the weights after
# dropout effectively learn :math:`1/p_{\text{keep}}^2` times faster (4 times
# for :math:`p_{\text{keep}} = 0.5`), while all other parameters learn at the same
# rate. Standard dropout with rate :math:`\eta` is reproduced exactly by
# inverted dropout with rate :math:`p_{\text{keep}}^2\eta` on those weights only.
# Likewise a weight decay :math:`\lambda\|W'\|^2` on the inverted net is
# :math:`\lambda p_{\text{keep}}^2 \|W\|^2` on the standard one: the same
# :math:`\lambda` means a different penalty. (Adam, being nearly invariant to
# the scale of the gradient, needs a rate :math:`p_{\text{keep}}\eta` instead.)
#
# We train a :math:`10 \to 64 \to 5` ReLU regressor with dropout on the hidden
# layer, on teacher–student data (:mod:`nntheory.data.teacher_student`), by
# SGD with minibatches of 20, three ways, from equivalent initial weights and
# with *identical* dropout masks (each run gets a generator with the same seed):
# standard dropout (rate :math:`\eta`), inverted dropout (rate :math:`\eta`),
# and inverted dropout with rate :math:`p_{\text{keep}}^2\eta` on the output
# weights.
data = sample_teacher_student(make_teacher(seed=0), 200, 2000, noise_std=0.3, generator=generator)
init = torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.ReLU(), torch.nn.Linear(64, 5))
with torch.no_grad():  # torch's default ranges, drawn from our generator
    for lin in (init[0], init[2]):
        for t in (lin.weight, lin.bias):
            t.copy_((2 * torch.rand(t.shape, generator=generator) - 1) / lin.in_features**0.5)


def train(kind, lr, lr_out, n_epochs=60, batch_size=20, weight_decay=0.0):
    """SGD on a 10 -> 64 -> 5 net with dropout after the hidden layer; returns test losses per epoch."""
    net = torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.ReLU(), torch.nn.Linear(64, 5))
    net.load_state_dict(init.state_dict())
    masks = torch.Generator().manual_seed(123)  # same masks in every run
    order = torch.Generator().manual_seed(7)  # same minibatches in every run
    drop = StandardDropout(p_keep, generator=masks) if kind == "standard" else InvertedDropout(p_keep, generator=masks)
    if kind != "standard":
        with torch.no_grad():
            net[2].weight.mul_(p_keep)  # W' = p_keep W: the same function
    opt = torch.optim.SGD([{"params": [net[0].weight, net[0].bias, net[2].bias], "lr": lr},
                           {"params": [net[2].weight], "lr": lr_out, "weight_decay": weight_decay}])
    model = torch.nn.Sequential(net[0], net[1], drop, net[2])
    losses = []
    for _ in range(n_epochs):
        model.train()
        for idx in torch.randperm(200, generator=order).split(batch_size):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(data.X_train[idx]), data.y_train[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            losses.append(torch.nn.functional.mse_loss(model(data.X_test), data.y_test).item())
    with torch.no_grad():
        return np.array(losses), model(data.X_test)


lr = 0.05
loss_std, pred_std = train("standard", lr, lr)
loss_inv, pred_inv = train("inverted", lr, lr)
loss_fix, pred_fix = train("inverted", lr, p_keep**2 * lr)
print(f"test loss after 60 epochs: standard (lr {lr}) {loss_std[-1]:.4f} | inverted (lr {lr}) {loss_inv[-1]:.4f} | "
      f"inverted (lr {p_keep**2 * lr:.4f} on output weights) {loss_fix[-1]:.4f}")
print(f"max |test prediction difference|: standard vs inverted same lr = {(pred_std - pred_inv).abs().max():.3e}, "
      f"standard vs inverted with p_keep^2 lr = {(pred_std - pred_fix).abs().max():.3e}")

fig, ax = plt.subplots(figsize=(7, 4.2))
epochs = np.arange(1, len(loss_std) + 1)
ax.plot(epochs, loss_std, color="#0072B2", lw=3, label=r"standard, $\eta$")
ax.plot(epochs, loss_inv, color="#D55E00", lw=2, label=r"inverted, $\eta$")
ax.plot(epochs, loss_fix, "--", color="k", lw=1.5, label=r"inverted, $p_{\mathrm{keep}}^2\eta$ on output weights")
ax.set_xlabel("epoch")
ax.set_ylabel("test loss (MSE)")
ax.set_yscale("log")
ax.set_title("Same masks, same $\\eta$: inverted dropout trains differently")
ax.legend(fontsize=10)
fig.tight_layout()

# %%
# Weight decay
# ------------
# Add a weight decay :math:`\lambda` on the output weights (``weight_decay``
# of :class:`torch.optim.SGD`, the gradient of :math:`\frac{\lambda}{2}\|W\|^2`).
# In the standard parameterisation the step is
# :math:`W \leftarrow W - \eta(\nabla_W\mathcal L + \lambda W)`. The inverted
# net with rate :math:`p_{\text{keep}}^2\eta` and decay :math:`\lambda'` moves
# :math:`W = W'/p_{\text{keep}}` by
# :math:`-\eta\nabla_W\mathcal L - p_{\text{keep}}^2\eta\lambda' W`, so it
# matches only for :math:`\lambda' = \lambda/p_{\text{keep}}^2`: the same
# coefficient is a weaker penalty on the inverted net.
wd = 0.05
_, pred_std_wd = train("standard", lr, lr, weight_decay=wd)
_, pred_inv_same = train("inverted", lr, p_keep**2 * lr, weight_decay=wd)
_, pred_inv_scaled = train("inverted", lr, p_keep**2 * lr, weight_decay=wd / p_keep**2)
print(f"weight decay {wd} on the standard net; max |test prediction difference| to the inverted net with "
      f"decay {wd}: {(pred_std_wd - pred_inv_same).abs().max():.3e}, with decay {wd / p_keep**2}: "
      f"{(pred_std_wd - pred_inv_scaled).abs().max():.3e}")

# %%
# What to notice
# --------------
# **Why scale (both sheets).** The first printed line: after the linear
# layer the scaled deterministic pass equals the average over masks up to
# Monte Carlo error (every one of the 6400 pre-activations lies within the
# printed number of standard errors), while the unscaled pass is off by the factor
# :math:`1/p_{\text{keep}} = 2` (relative error near 1). After a ReLU the scaled
# pass is close to, but not exactly, the mean over masks (second line): the
# weight-scaling rule is exact only where the network is linear in the
# mask. Without the scaling the network's test-time inputs to each layer are
# systematically larger than anything it was trained on, and its
# predictions are not meaningful; with the csc413 convention (drop
# probability :math:`p`) the factor is :math:`1 - p`.
#
# **Standard against inverted.** As models they are equivalent: a weight
# rescaling by :math:`p_{\text{keep}}` maps one onto the other in both training
# and test mode, and the expected activations agree. As training procedures
# they are not: at the same SGD learning rate the inverted net's post-dropout
# weights move :math:`1/p_{\text{keep}}^2` times faster in the common
# parameterisation, so the two runs diverge (second figure, and the printed
# prediction difference), although they use identical masks and
# minibatches. Scaling that learning rate by :math:`p_{\text{keep}}^2`
# restores the standard run (here to the last bit, since multiplying by
# :math:`p_{\text{keep}} = 0.5` is exact in floating point). Weight decay with the same
# coefficient is likewise a different penalty in the two (last printed line:
# the runs differ with the same :math:`\lambda` and coincide with
# :math:`\lambda/p_{\text{keep}}^2`). Inverted dropout is
# preferred in practice (e.g. :class:`torch.nn.Dropout`) because the test-time
# network is untouched and can be used without knowing :math:`p_{\text{keep}}`.

# sphinx_gallery_thumbnail_number = 1
