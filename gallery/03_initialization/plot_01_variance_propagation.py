"""
How the weight variance sets the signal scale across depth
==========================================================

A neuron with :math:`M` inputs :math:`x_m \\sim \\mathcal N(0, 1)` and
weights :math:`w_m \\sim \\mathcal N(0, \\sigma^2)` (no bias) computes the
pre-activation :math:`h = \\sum_m w_m x_m`. The exercise asks for the mean and
variance of :math:`h`, then of a second-layer neuron fed by :math:`M` such
neurons through the identity, for the :math:`\\sigma^2` that keeps the
variance fixed however many layers are stacked (and what happens away from
it), and finally for the same questions with a ReLU. This is exercise 2 of the
math part of session 2 of the NNDL 2025 course, ID ``nndl-s2/m2``.

The claim checked here: the pre-activation variance is multiplied by
:math:`M\\sigma^2` per linear layer and by :math:`M\\sigma^2/2` per ReLU
layer, so :math:`\\sigma^2 = 1/M` (LeCun) and :math:`\\sigma^2 = 2/M` (He)
are the only depth-independent choices; every other choice makes the
variance grow or decay geometrically with depth.
"""

# %%
# Setup
# -----
# One numpy generator for the one- and two-layer Monte Carlo checks, one torch
# generator for the deep networks. Width :math:`M = 256` throughout. Library:
# :mod:`nntheory.initialization` (initialisers and the variance recursion) and
# :mod:`nntheory.diagnostics.activations` (per-layer statistics).
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from nntheory import initialization
from nntheory.diagnostics.activations import activation_statistics

rng = np.random.default_rng(0)
generator = torch.Generator().manual_seed(0)
M = 256

# %%
# (a) One neuron
# --------------
# The weights and inputs are independent and have mean zero, so every
# product :math:`w_m x_m` has mean :math:`\E[w_m]\E[x_m] = 0` and variance
# :math:`\E[w_m^2]\E[x_m^2] = \sigma^2 \cdot 1`. Products with different
# :math:`m` are independent, so their variances add:
#
# .. math::
#
#    \E[h] = \sum_{m=1}^M \E[w_m]\,\E[x_m] = 0, \qquad
#    \operatorname{Var}[h] = \sum_{m=1}^M \E[w_m^2]\,\E[x_m^2] = M\sigma^2 .
#
# (:math:`h` is not Gaussian: it is a sum of products of Gaussians. Only its
# first two moments matter here.) We check both numbers by drawing
# 20 000 independent pairs of weight vector and input vector.
sigma2 = 0.7 / M
n_draws = 20_000
w = rng.normal(0.0, math.sqrt(sigma2), size=(n_draws, M))
x = rng.normal(size=(n_draws, M))
h = np.einsum("nm,nm->n", w, x)  # (n_draws,)
# Monte Carlo standard error of a sample variance: about Var * sqrt(2 / n)
# (h is close to Gaussian for large M).
se = M * sigma2 * math.sqrt(2 / n_draws)
print(f"one neuron, M={M}, sigma^2={sigma2:.5f}")
print(f"  mean:     Monte Carlo {h.mean():+.4f}   theory 0")
print(f"  variance: Monte Carlo {h.var():.4f}   theory M*sigma^2 = {M * sigma2:.4f}   (standard error {se:.4f})")

# %%
# (b) A second layer with identity activation
# -------------------------------------------
# Now :math:`M` such neurons :math:`h^{(1)}_m = \sum_k w_{mk} x_k` (each with
# its own weights) feed one neuron :math:`h^{(2)} = \sum_m v_m h^{(1)}_m`
# with :math:`v_m \sim \mathcal N(0, \sigma^2)` independent of everything
# else. The :math:`h^{(1)}_m` share the same input, so they are *not*
# independent; but they are uncorrelated:
# :math:`\E[h^{(1)}_m h^{(1)}_{m'}] = \sum_{k} \E[w_{mk}]\E[w_{m'k}]\E[x_k^2] = 0`
# for :math:`m \neq m'`. Hence, using the independence of :math:`v` from
# :math:`h^{(1)}`,
#
# .. math::
#
#    \E[h^{(2)}] = \sum_m \E[v_m]\,\E[h^{(1)}_m] = 0,
#
#    \operatorname{Var}[h^{(2)}] = \sum_{m, m'} \E[v_m v_{m'}]\,
#    \E[h^{(1)}_m h^{(1)}_{m'}] = \sum_m \sigma^2 \cdot M\sigma^2 =
#    (M\sigma^2)^2 .
#
# Only the diagonal terms survive, because :math:`\E[v_m v_{m'}] = 0` for
# :math:`m \neq m'`.
#
# To keep the check cheap we use that, given :math:`x`, the rows of
# :math:`W^{(1)}` are independent Gaussian vectors, so the
# :math:`h^{(1)}_m` are i.i.d. :math:`\mathcal N(0, \sigma^2 \|x\|^2)`
# *given* :math:`x`: their shared factor :math:`\|x\|` is exactly the
# dependence described above.
n_draws = 20_000
x = rng.normal(size=(n_draws, M))
x_norm = np.linalg.norm(x, axis=1, keepdims=True)  # (n_draws, 1)
h1 = math.sqrt(sigma2) * x_norm * rng.normal(size=(n_draws, M))  # (n_draws, M)
v = rng.normal(0.0, math.sqrt(sigma2), size=(n_draws, M))
h2 = np.einsum("nm,nm->n", v, h1)  # (n_draws,)
se = h2.var() * math.sqrt(2 / n_draws)
print(f"second layer, identity activation, sigma^2 = {sigma2 * M:.1f}/M")
print(f"  mean:     Monte Carlo {h2.mean():+.4f}   theory 0")
print(f"  variance: Monte Carlo {h2.var():.4f}   theory (M*sigma^2)^2 = {(M * sigma2) ** 2:.4f}   (standard error about {se:.4f})")

# %%
# (c) Many layers: :math:`\sigma^2 = 1/M`, and what happens away from it
# ----------------------------------------------------------------------
# The argument of (b) applies to every layer: with identity activations,
# :math:`q_l = \operatorname{Var}[h^{(l)}] = M\sigma^2\, q_{l-1}`, so
#
# .. math::
#
#    q_L = (M\sigma^2)^L .
#
# The variance is the same in every layer for any depth exactly when
# :math:`M\sigma^2 = 1`, i.e. :math:`\sigma^2 = 1/M` (the LeCun
# initialisation; for a layer with different fan-in and fan-out the fan-in
# :math:`M` is what counts in the forward pass). Writing
# :math:`\sigma^2 = c/M`, the variance grows as :math:`c^L` for
# :math:`c > 1` (the signal explodes: 1.2 per layer is already a factor
# :math:`1.2^{50} \approx 9100` after 50 layers) and decays as :math:`c^L`
# for :math:`c < 1` (the signal vanishes into numerical noise, and so do
# the gradients, which are propagated by the transposed matrices).
#
# We build 50-layer bias-free networks of width :math:`M` with
# :func:`nntheory.initialization.init_` and read the variance of each
# layer's pre-activations with
# :func:`nntheory.diagnostics.activations.activation_statistics` (forward hooks on the
# ``nn.Linear`` modules), for 8 independent networks, each on its own batch
# of 32 standard-normal inputs.
#
# A caveat on what to compare. The recursion gives the **expectation** over
# the random weights. For one input, the squared norm of a network's layer
# :math:`l` is a product of :math:`l` independent random per-layer factors
# (given layer :math:`l-1`, the squared norm of layer :math:`l` is
# :math:`\sigma^2` times a sum of :math:`M` i.i.d. squares), each with mean
# :math:`c` (identity) or :math:`c/2` (ReLU) and relative variance
# :math:`\kappa/M`, with :math:`\kappa = 2` for the identity (a
# :math:`\chi^2_M/M` factor) and :math:`\kappa = 5` for ReLU
# (:math:`\E[\mathrm{relu}(g)^4]/\E[\mathrm{relu}(g)^2]^2 - 1 = 6 - 1`).
# The expectation of the product is exact, but its logarithm drifts by
# about :math:`-\kappa/(2M)` per layer, so a *typical* network (the median
# over networks) sits below the mean by about :math:`e^{-l\kappa/(2M)}`, a
# finite-width effect that vanishes as :math:`M \to \infty`. Averaging over
# a batch of inputs helps only if the inputs stay spread over many
# directions: they do in a linear network, but a deep ReLU network maps all
# inputs to nearly the same direction, so the whole batch then shares one
# fluctuation (we print the cosine similarities below). We plot the median
# over networks (markers) against the mean theory (solid) and, for ReLU,
# the typical-network correction (dashed).
n_layers, n_samples, n_nets = 50, 32, 8
layers = np.arange(1, n_layers + 1)


def deep_net(c, activation):
    """A bias-free MLP of width M with weights N(0, c/M) (LeCun variance times c)."""
    modules = []
    for _ in range(n_layers):
        # skip_init: no default initialisation, init_ draws the weights.
        linear = torch.nn.utils.skip_init(nn.Linear, M, M, bias=False)
        initialization.init_(linear.weight, "lecun", generator=generator, gain=math.sqrt(c))
        modules += [linear, activation()]
    return nn.Sequential(*modules)


def simulated_variance(c, activation, n_nets=n_nets):
    """Per-layer pre-activation variance, median over n_nets networks: shape (n_layers,)."""
    runs = []
    for _ in range(n_nets):
        X = torch.randn(n_samples, M, generator=generator)
        stats = activation_statistics(deep_net(c, activation), X)
        runs.append([s.variance for s in stats])
    return np.median(runs, axis=0)


def typical_factor(kappa):
    """exp(-l * kappa / (2M)): median/mean of a product of l factors with relative variance kappa/M."""
    return np.exp(-layers * kappa / (2 * M))


cs_identity = [0.8, 0.9, 1.0, 1.1, 1.2]
sim_identity = {c: simulated_variance(c, nn.Identity) for c in cs_identity}
theory_identity = {c: initialization.propagate_variance(n_layers, c / M, M, activation="identity").variance for c in cs_identity}
print("identity activation: variance at layer 50 (median over networks)")
print(f"    c   simulated   theory c^50   ratio   (typical-network ratio e^(-50*2/(2M)) = {typical_factor(2.0)[-1]:.3f})")
for c in cs_identity:
    print(f"  {c:.1f}   {sim_identity[c][-1]:.4g}   {theory_identity[c][-1]:.4g}   {sim_identity[c][-1] / theory_identity[c][-1]:.3f}")

# %%
# (d) ReLU: mean and second moment after the activation
# -----------------------------------------------------
# Let :math:`h \sim \mathcal N(0, q)` (pre-activations of a wide layer are
# close to Gaussian) and :math:`z = \mathrm{relu}(h) = \max(h, 0)`. The mean
# needs one integral:
#
# .. math::
#
#    \E[z] = \int_0^\infty h\, \frac{e^{-h^2/(2q)}}{\sqrt{2\pi q}}\, dh
#    = \frac{q}{\sqrt{2\pi q}} \Big[-e^{-h^2/(2q)}\Big]_0^\infty
#    = \sqrt{\frac{q}{2\pi}} .
#
# The second moment needs none, only symmetry: for every real :math:`h`,
# :math:`\mathrm{relu}(h)^2 + \mathrm{relu}(-h)^2 = h^2`, and :math:`h` and
# :math:`-h` have the same distribution, so
# :math:`2\,\E[\mathrm{relu}(h)^2] = \E[h^2]`:
#
# .. math::
#
#    \E[z^2] = \frac{q}{2}, \qquad
#    \operatorname{Var}[z] = \frac{q}{2} - \frac{q}{2\pi}
#    = q\,\frac{\pi - 1}{2\pi} \approx 0.34\, q .
#
# The next layer computes :math:`h' = \sum_m w_m z_m` with zero-mean weights
# independent of :math:`z`. As in (a), :math:`\E[h'] = 0` and
#
# .. math::
#
#    \operatorname{Var}[h'] = \sum_m \E[w_m^2]\,\E[z_m^2] = M \sigma^2\, \frac{q}{2} .
#
# Be careful here: what enters is the **second moment**
# :math:`\E[z^2] = q/2`, not the variance :math:`\operatorname{Var}[z]`,
# because the mean of :math:`z` is not zero (the zero-mean weights are what
# centre :math:`h'`). So yes, an initialisation rule still keeps the variance:
# :math:`M\sigma^2/2 = 1`, i.e. :math:`\sigma^2 = 2/M` (He/Kaiming). The
# symmetry argument does not need :math:`h` to be Gaussian, so this factor
# :math:`1/2` holds at any width. Matching :math:`\operatorname{Var}[z]`
# instead would give :math:`\sigma^2 = \frac{2\pi}{(\pi-1)M} \approx 2.93/M`
# and an explosion by a factor :math:`\pi/(\pi-1) \approx 1.47` per layer.
q = 1.7
hs = rng.normal(0.0, math.sqrt(q), size=500_000)
zs = np.maximum(hs, 0.0)
mean_th, second_th = initialization.relu_moments(q)
print(f"relu of N(0, q={q}), 5e5 samples")
print(f"  E[z]     Monte Carlo {zs.mean():.4f}   theory sqrt(q/2pi) = {mean_th:.4f}")
print(f"  E[z^2]   Monte Carlo {np.mean(zs**2):.4f}   theory q/2 = {second_th:.4f}")
print(f"  Var[z]   Monte Carlo {zs.var():.4f}   theory q(pi-1)/(2pi) = {q * (math.pi - 1) / (2 * math.pi):.4f}")

# %%
# Deep ReLU networks
# ^^^^^^^^^^^^^^^^^^
# With :math:`\sigma^2 = c/M` the first layer has variance :math:`c` (the
# inputs have second moment 1) and each further layer multiplies it by
# :math:`c/2`: :math:`q_l = c\,(c/2)^{l-1}`. We simulate
# :math:`c \in \{1.6, 1.8, 2, 2.2, 2.4\}` and the "variance-matching" mistake
# :math:`c = 2\pi/(\pi-1)`. We also run tanh, whose theory curve iterates
# :math:`q_l = c\, \E[\tanh(h)^2]` for :math:`h \sim \mathcal N(0, q_{l-1})`
# by numerical quadrature (exact for Gaussian pre-activations, i.e. in the
# wide limit), against the small-variance linearisation
# :math:`\tanh(h) \approx h`, which predicts :math:`c^l`.
c_wrong = 2 * math.pi / (math.pi - 1)
cs_relu = [1.6, 1.8, 2.0, 2.2, 2.4, c_wrong]
sim_relu = {c: simulated_variance(c, nn.ReLU) for c in cs_relu}
theory_relu = {c: initialization.propagate_variance(n_layers, c / M, M, activation="relu").variance for c in cs_relu}
cs_tanh = [0.8, 1.0, 1.5, 3.0]
sim_tanh = {c: simulated_variance(c, nn.Tanh) for c in cs_tanh}
theory_tanh = {c: initialization.propagate_variance(n_layers, c / M, M, activation="tanh").variance for c in cs_tanh}
linear_tanh = {c: initialization.propagate_variance(n_layers, c / M, M, activation="tanh_linear").variance for c in cs_tanh}

# For ReLU the per-layer factor is a sum of M squared ReLUs of Gaussians:
# relative variance E[relu(g)^4]/E[relu(g)^2]^2 - 1 = (3/2)/(1/4) - 1 = 5.
print("ReLU activation: variance at layer 50 (median over networks)")
print(f"     c   simulated   theory c(c/2)^49   ratio   (typical-network ratio about e^(-50*5/(2M)) = {typical_factor(5.0)[-1]:.3f})")
for c in cs_relu:
    print(f"  {c:.2f}   {sim_relu[c][-1]:.4g}   {theory_relu[c][-1]:.4g}   {sim_relu[c][-1] / theory_relu[c][-1]:.3f}")
def mean_cosine(c, activation):
    """Mean pairwise cosine similarity of the last layer's outputs over a batch."""
    X = torch.randn(n_samples, M, generator=generator)
    with torch.no_grad():
        out = deep_net(c, activation)(X)
    out = out / out.norm(dim=1, keepdim=True)
    cos = out @ out.T
    return ((cos.sum() - n_samples) / (n_samples * (n_samples - 1))).item()


print(f"mean pairwise cosine similarity of the layer-50 outputs of {n_samples} random inputs:")
print(f"  identity, c=1: {mean_cosine(1.0, nn.Identity):.3f}    ReLU, c=2: {mean_cosine(2.0, nn.ReLU):.3f}")
print("tanh activation: variance at layer 50")
print("     c   simulated   quadrature theory   linearised c^50")
for c in cs_tanh:
    print(f"  {c:.2f}   {sim_tanh[c][-1]:.4g}   {theory_tanh[c][-1]:.4g}   {linear_tanh[c][-1]:.4g}")

# %%
# Figure: variance against depth
# ------------------------------
# Markers are the simulation (median over 8 networks), solid lines the
# theory for the mean, dashed lines the typical-network correction
# (identity and ReLU; for tanh the dotted lines are the linearisation). On
# the logarithmic axis the geometric laws are straight lines of slope
# :math:`\log c` (identity) and :math:`\log(c/2)` (ReLU).
colours = plt.get_cmap("tab10").colors
fig, axes = plt.subplots(1, 3, figsize=(12, 4.6), sharex=True)
panels = [
    (axes[0], "identity", cs_identity, sim_identity, theory_identity, "c"),
    (axes[1], "ReLU", cs_relu, sim_relu, theory_relu, "c"),
    (axes[2], "tanh", cs_tanh, sim_tanh, theory_tanh, "c"),
]
kappas = {"ReLU": 5.0}
for ax, name, cs, sim, theory, _ in panels:
    for i, c in enumerate(cs):
        label = f"c = {c:.2f}" + (" (matches Var[z])" if math.isclose(c, c_wrong) else "")
        ax.semilogy(layers, sim[c], "o", ms=3.5, color=colours[i], label=label)
        ax.semilogy(layers, theory[c], "-", lw=1.5, color=colours[i])
        if name in kappas:
            ax.semilogy(layers, theory[c] * typical_factor(kappas[name]), "--", lw=1.0, color=colours[i])
    ax.set_xlabel("layer $l$", fontsize=12)
    ax.set_title(f"{name}, $\\sigma^2 = c/M$, $M = {M}$", fontsize=12)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9, loc={"identity": "lower left", "ReLU": "upper left", "tanh": "lower right"}[name])
axes[1].plot([], [], "k-", label="theory (mean)")
axes[1].plot([], [], "k--", label="typical network")
axes[1].legend(fontsize=9, loc="upper left", ncol=2)
for i, c in enumerate(cs_tanh):
    axes[2].semilogy(layers, linear_tanh[c], ":", lw=1.2, color=colours[i])
axes[2].plot([], [], "k-", label="quadrature theory")
axes[2].plot([], [], "k:", label="linearised, $c^l$")
axes[2].legend(fontsize=9, loc="lower right", ncol=2)
axes[2].set_ylim(1e-3, 1e2)
axes[0].set_ylabel("pre-activation variance $q_l$", fontsize=12)
fig.suptitle("Variance is constant across depth only at $\\sigma^2 = 1/M$ (identity) and $2/M$ (ReLU); otherwise it changes geometrically", fontsize=13)
fig.tight_layout()

# %%
# Figure: the whole range of :math:`c` for ReLU networks
# -------------------------------------------------------
# Two networks (mean) per value of :math:`c` on a grid from 1 to 3; the colour is the
# simulated :math:`\log_{10} q_l`, the black contours are the theory
# :math:`\log_{10}\big(c\,(c/2)^{l-1}\big)`. Along the dashed line
# :math:`c = 2` the variance stays at :math:`q_l = 2` in every layer; below
# it the signal dies out, above it the signal explodes, and the further
# from :math:`c = 2`, the faster.
c_grid = np.linspace(1.0, 3.0, 13)
log_var = np.array([np.log10(simulated_variance(c, nn.ReLU, n_nets=2)) for c in c_grid])  # (n_c, n_layers)  # (n_c, n_layers)
theory_grid = np.array([np.log10(initialization.propagate_variance(n_layers, c / M, M, activation="relu").variance) for c in c_grid])
print(f"heatmap: max |simulated - theory| in log10 variance over the grid: {np.abs(log_var - theory_grid).max():.3f}")

fig, ax = plt.subplots(figsize=(8, 5))
lim = np.abs(log_var).max()
mesh = ax.pcolormesh(layers, c_grid, log_var, cmap="RdBu_r", vmin=-lim, vmax=lim, shading="nearest")
cs_lines = ax.contour(layers, c_grid, theory_grid, levels=[-10, -5, 0, 5, 10], colors="k", linewidths=1.0)
ax.clabel(cs_lines, fmt="%d", fontsize=9)
ax.axhline(2.0, color="k", ls="--", lw=1)
ax.set_xlabel("layer $l$", fontsize=12)
ax.set_ylabel("$c = M\\sigma^2$", fontsize=12)
fig.colorbar(mesh, ax=ax, label="simulated $\\log_{10} q_l$ (contours: theory)")
ax.set_title("ReLU networks keep their scale only at $c = 2$ (He initialisation)", fontsize=12)
fig.tight_layout()

# %%
# What to notice
# --------------
# * (a) One neuron: mean 0 and variance :math:`M\sigma^2`; the printed Monte
#   Carlo values agree within a few standard errors.
# * (b) Second layer, identity: mean 0 and variance :math:`(M\sigma^2)^2`,
#   because the first-layer neurons are uncorrelated (though dependent).
# * (c) The variance after :math:`L` linear layers is :math:`(M\sigma^2)^L`.
#   It is independent of depth only for :math:`\sigma^2 = 1/M`; for larger
#   :math:`\sigma^2` it explodes and for smaller it vanishes geometrically,
#   as the straight lines on the log axis show. For ReLU the simulated
#   median sits below the mean theory, by roughly the predicted
#   finite-width factor :math:`e^{-l\kappa/(2M)}` (the printed ratios at
#   layer 50 scatter around it, since only 8 networks are drawn per
#   curve); the slopes agree.
# * (d) After a ReLU the mean is :math:`\sqrt{q/(2\pi)}` and the variance
#   :math:`q(\pi-1)/(2\pi)`, but the next layer's variance is set by the
#   second moment :math:`q/2`, so :math:`\sigma^2 = 2/M` retains the
#   variance. Choosing :math:`\sigma^2` to preserve :math:`\operatorname{Var}[z]`
#   instead (:math:`c \approx 2.93`) makes the signal explode, as the
#   brown curve shows.
# * For tanh, :math:`\sigma^2 = 1/M` does not keep the variance either: since
#   :math:`\tanh(h)^2 < h^2`, the signal decays slowly (sub-geometrically);
#   larger :math:`c` settles at a fixed point :math:`q^* = c\,\E[\tanh(h)^2]`.
#   The linearisation :math:`c^l` is only right while :math:`q` is small.
#
# sphinx_gallery_thumbnail_number = 1
