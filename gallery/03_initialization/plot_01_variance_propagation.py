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

The claim checked here: the expected pre-activation variance is multiplied by
:math:`M\\sigma^2` per linear layer and by :math:`M\\sigma^2/2` per ReLU
layer, so :math:`\\sigma^2 = 1/M` (LeCun) and :math:`\\sigma^2 = 2/M` (He)
are the only depth-independent choices; every other choice makes it grow or
decay geometrically with depth. The backward pass gives the same condition
with the fan-out in place of the fan-in, and Glorot's
:math:`2/(n_\\text{in} + n_\\text{out})` splits the difference when the two
differ.
"""

# %%
# Setup
# -----
# All randomness comes from one base seed (override it with the environment
# variable ``NNTHEORY_SEED`` to rerun the page under another seed): a numpy
# generator for the one- and two-layer Monte Carlo checks, a torch generator
# for the deep networks (and generators seeded with the base seed + 1 for
# two later additions, so that they do not shift the other draws). Width
# :math:`M = 256` unless said otherwise. Library:
# :mod:`nntheory.initialization` (initialisers, the variance recursion, and
# the finite-width statistics of
# :mod:`~nntheory.initialization.fluctuations`).
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import TwoSlopeNorm

from nntheory import initialization
from nntheory.seeding import base_seed

SEED = base_seed(0)
rng = np.random.default_rng(SEED)
generator = torch.Generator().manual_seed(SEED)
M = 256

# %%
# (a) One neuron
# --------------
# Condition on the input first. Given :math:`x`, :math:`h = \sum_m w_m x_m`
# is a linear combination of the independent Gaussians :math:`w_m` with fixed
# coefficients :math:`x_m`, so
#
# .. math::
#
#    h \mid x \;\sim\; \mathcal N\big(0,\ \sigma^2 \|x\|^2\big) .
#
# Averaging over :math:`x` (with :math:`\E\|x\|^2 = M`):
#
# .. math::
#
#    \E[h] = \E\big[\E[h \mid x]\big] = 0, \qquad
#    \operatorname{Var}[h] = \E\big[\sigma^2 \|x\|^2\big] = M\sigma^2 .
#
# (The same follows from the independence of the products :math:`w_m x_m`,
# each of mean 0 and variance :math:`\sigma^2`.) :math:`h` is not Gaussian:
# it is a Gaussian whose variance :math:`\sigma^2\|x\|^2` is itself random, a
# *scale mixture*. Its fourth moment is
# :math:`\E[h^4] = 3\sigma^4\,\E\|x\|^4 = 3\sigma^4 M(M+2)`, which gives the
# Monte Carlo standard errors: over :math:`n` independent draws, the mean of
# :math:`h` has standard error :math:`\sqrt{M\sigma^2/n}` and the mean of
# :math:`h^2` has :math:`M\sigma^2\sqrt{(2 + 6/M)/n}`. We draw 20 000
# independent pairs of weight vector and input vector and require agreement
# within 4 standard errors (a false alarm has probability 6e-5 per check).
sigma2 = 0.7 / M
n_draws = 20_000
w = rng.normal(0.0, math.sqrt(sigma2), size=(n_draws, M))
x = rng.normal(size=(n_draws, M))
h = np.einsum("nm,nm->n", w, x)  # (n_draws,)
q_a = M * sigma2
se_mean = math.sqrt(q_a / n_draws)
se_var = q_a * math.sqrt((2 + 6 / M) / n_draws)
print(f"one neuron, M={M}, sigma^2={sigma2:.5f}")
print(f"  mean:     Monte Carlo {h.mean():+.4f}   theory 0                  standard error {se_mean:.4f}")
print(f"  variance: Monte Carlo {np.mean(h**2):.4f}   theory M*sigma^2 = {q_a:.4f}   standard error {se_var:.4f}")
assert abs(h.mean()) < 4 * se_mean, h.mean()  # E[h] = 0
assert abs(np.mean(h**2) - q_a) < 4 * se_var, np.mean(h**2)  # Var[h] = M sigma^2

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
# To keep the check cheap we sample with the conditioning of (a): given
# :math:`x`, the rows of :math:`W^{(1)}` are independent Gaussian vectors, so
# the :math:`h^{(1)}_m` are i.i.d. :math:`\mathcal N(0, \sigma^2 \|x\|^2)`
# *given* :math:`x`; their shared factor :math:`\|x\|` is exactly the
# dependence described above. The same conditioning one layer up gives
# :math:`\E[(h^{(2)})^4] = 3\sigma^8 M^2(M+2)^2`, so the mean of
# :math:`(h^{(2)})^2` over :math:`n` draws has standard error
# :math:`(M\sigma^2)^2 \sqrt{(2 + 12/M + 12/M^2)/n}`.
x = rng.normal(size=(n_draws, M))
x_norm = np.linalg.norm(x, axis=1, keepdims=True)  # (n_draws, 1)
h1 = math.sqrt(sigma2) * x_norm * rng.normal(size=(n_draws, M))  # (n_draws, M)
v = rng.normal(0.0, math.sqrt(sigma2), size=(n_draws, M))
h2 = np.einsum("nm,nm->n", v, h1)  # (n_draws,)
q_b = q_a**2
se_mean = math.sqrt(q_b / n_draws)
se_var = q_b * math.sqrt((2 + 12 / M + 12 / M**2) / n_draws)
print(f"second layer, identity activation, sigma^2 = {sigma2 * M:.1f}/M")
print(f"  mean:     Monte Carlo {h2.mean():+.4f}   theory 0                        standard error {se_mean:.4f}")
print(f"  variance: Monte Carlo {np.mean(h2**2):.4f}   theory (M*sigma^2)^2 = {q_b:.4f}   standard error {se_var:.4f}")
assert abs(h2.mean()) < 4 * se_mean, h2.mean()  # E[h2] = 0
assert abs(np.mean(h2**2) - q_b) < 4 * se_var, np.mean(h2**2)  # Var[h2] = (M sigma^2)^2

# %%
# The sampling above uses the representation the conditioning argument
# produced, so it cannot catch a mistake in that argument. As an independent
# check we also draw everything from scratch, fewer times because each draw
# costs a whole :math:`M \times M` matrix: 2 000 independent triples
# :math:`(x, W^{(1)}, v)`, with :math:`h^{(1)} = W^{(1)} x` and
# :math:`h^{(2)} = v^\top h^{(1)}` computed as the network computes them.
# The standard errors are those above with :math:`n = 2000`, and the sample
# also shows the uncorrelated first-layer units: the average over all pairs
# :math:`m \neq m'` of :math:`h^{(1)}_m h^{(1)}_{m'}` has mean 0 (its
# standard error, :math:`M\sigma^2\sqrt{2/(M(M-1)n)}` to leading order, is
# estimated from the sample).
n_direct = 2_000
rng_direct = np.random.default_rng(SEED + 1)  # its own stream, so the draws below stay as they were
h2_direct, cross = np.empty(n_direct), np.empty(n_direct)
for start in range(0, n_direct, 100):  # 100 networks at a time: (100, M, M) weights
    W1 = rng_direct.normal(0.0, math.sqrt(sigma2), size=(100, M, M))
    h1_direct = np.einsum("nij,nj->ni", W1, rng_direct.normal(size=(100, M)))  # (100, M)
    h2_direct[start : start + 100] = np.einsum("ni,ni->n", rng_direct.normal(0.0, math.sqrt(sigma2), size=(100, M)), h1_direct)
    cross[start : start + 100] = (h1_direct.sum(1) ** 2 - (h1_direct**2).sum(1)) / (M * (M - 1))  # mean over m != m'
se_mean_d = math.sqrt(q_b / n_direct)
se_var_d = q_b * math.sqrt((2 + 12 / M + 12 / M**2) / n_direct)
se_cross = cross.std() / math.sqrt(n_direct)
print(f"direct draws of (x, W1, v), {n_direct} networks:")
print(f"  mean of h2:     {h2_direct.mean():+.4f}   theory 0                    standard error {se_mean_d:.4f}")
print(f"  mean of h2^2:   {np.mean(h2_direct**2):.4f}   theory (M sigma^2)^2 = {q_b:.4f}   standard error {se_var_d:.4f}")
print(f"  mean of h1_m h1_m' (m != m'): {cross.mean():+.5f}   theory 0   standard error {se_cross:.5f}")
assert abs(h2_direct.mean()) < 4 * se_mean_d, h2_direct.mean()  # E[h2] = 0, from raw weights
assert abs(np.mean(h2_direct**2) - q_b) < 4 * se_var_d, np.mean(h2_direct**2)  # Var[h2] = (M sigma^2)^2, from raw weights
assert abs(cross.mean()) < 4 * se_cross, cross.mean()  # the first-layer units are uncorrelated

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
# :math:`M` is what counts in the forward pass, see the backward pass
# below). Writing :math:`\sigma^2 = c/M`, the variance grows as :math:`c^L`
# for :math:`c > 1` (the signal explodes: 1.2 per layer is already a factor
# :math:`1.2^{50} \approx 9100` after 50 layers) and decays as :math:`c^L`
# for :math:`c < 1` (the signal vanishes).
#
# **The mean and a typical network.** :math:`q_l` is an expectation over
# weights and input. We simulate it with many independent 50-layer networks,
# each probed with one standard-normal input, and must say how far one
# network may fall from :math:`q_l`. The conditioning of (a) answers this
# exactly. Given the output :math:`z` of layer :math:`l-1`, the :math:`M`
# pre-activations of layer :math:`l` are i.i.d.
# :math:`\mathcal N(0, \sigma^2\|z\|^2)`, so the layer's mean square
# :math:`\hat q_l = \|h^{(l)}\|^2/M` is :math:`\sigma^2\|z\|^2` times an
# independent factor :math:`\chi^2_M/M`. Unrolled,
# :math:`\hat q_l / q_l` is a product of :math:`l + 1` independent factors
# of mean 1 (:math:`\chi^2_M/M` for the input and for each layer). The
# expectation of the product is exactly 1, but the logarithm of each factor
# has mean :math:`\psi(M/2) - \log(M/2) \approx -1/M` (:math:`\psi` the
# digamma function) and variance :math:`\psi'(M/2) \approx 2/M`. So
# :math:`\log \hat q_l` is a sum of independent terms: a *typical* network
# (the geometric mean over networks, the markers below) sits at
# :math:`q_l\, e^{s_l}` with a shift :math:`s_l \approx -(l+1)/M`, and one
# network scatters around it with variance :math:`v_l \approx 2(l+1)/M`
# (:func:`nntheory.initialization.finite_width_log_moments` computes both
# exactly). This is a finite-width effect. At a fixed depth it vanishes as
# :math:`M \to \infty`; at a fixed width both :math:`s_l` and :math:`v_l`
# grow in proportion to the depth, so what matters is the ratio of depth to
# width (see *Depth against width* below).
#
# **The check.** For each :math:`c` and layer, the mean of
# :math:`\log \hat q_l` over :math:`n = 8` networks must lie within 5
# standard errors :math:`\sqrt{v_l/n}` of :math:`\log q_l + s_l`. (The mean
# of the logs is a sum of many independent terms and close to Gaussian; with
# 5 standard errors, a false alarm anywhere among the 550 layer-and-:math:`c`
# comparisons of this and the ReLU cell has probability below
# :math:`550 \times 5.7\cdot 10^{-7} \approx 3\cdot 10^{-4}`.)
n_layers, n_nets = 50, 8
layers = np.arange(1, n_layers + 1)
ACTIVATIONS = {"identity": lambda h: h, "relu": torch.relu, "tanh": torch.tanh}
assert abs(1.2**50 - 9100) < 50, 1.2**50  # "1.2^50 ≈ 9100"


def simulate(weight_variance, activation, widths=None, backward=False, gen=None):
    """Independent bias-free networks, one per row of weight_variance, each probed with one standard-normal input.

    weight_variance: shape (n_nets,) (one variance for all layers of a network) or
    (n_nets, n_layers). All networks run as one batch. Returns log(||h^(l)||^2 / n_l)
    for l = 1..L, shape (n_nets, L); with backward=True also log(||dE/dh^(l)||^2 / n_l)
    for l = 0..L-1 (h^(0) = x), for E = g^T h^(L) with g ~ N(0, I) independent of the weights.
    """
    widths = [M] * (n_layers + 1) if widths is None else widths
    gen = generator if gen is None else gen
    n_nets, L = len(weight_variance), len(widths) - 1
    std = torch.tensor(np.sqrt(np.broadcast_to(np.asarray(weight_variance, dtype=float).reshape(n_nets, -1), (n_nets, L))), dtype=torch.float32)
    x = torch.randn(n_nets, widths[0], generator=gen, requires_grad=backward)
    z, hs = x, []
    for l in range(L):
        W = torch.randn(n_nets, widths[l + 1], widths[l], generator=gen)  # (n_nets, n_out, n_in)
        h = std[:, l : l + 1] * torch.bmm(W, z[..., None])[..., 0]  # (n_nets, n_out)
        hs.append(h)
        z = ACTIVATIONS[activation](h)
    forward = torch.stack([(h.detach() ** 2).mean(dim=1) for h in hs], dim=1).log().numpy()
    if not backward:
        return forward
    g = torch.randn(n_nets, widths[-1], generator=gen)
    grads = torch.autograd.grad((hs[-1] * g).sum(), [x] + hs[:-1])  # dE/dh^(l), l = 0..L-1
    return forward, torch.stack([(d**2).mean(dim=1) for d in grads], dim=1).log().numpy()


def simulate_per_c(cs, activation, n_per_c):
    """n_per_c networks with sigma^2 = c/M for each c, in one batch: {c: log q_hat of shape (n_per_c, n_layers)}."""
    logs = simulate(np.repeat(np.asarray(cs) / M, n_per_c), activation)
    return {c: logs[i * n_per_c : (i + 1) * n_per_c] for i, c in enumerate(cs)}


def theory(c, activation):
    """Expected pre-activation variance q_l, l = 1..n_layers, for sigma^2 = c/M."""
    return initialization.propagate_variance(n_layers, c / M, M, activation=activation).variance


fluct = {act: initialization.finite_width_log_moments([M] * (n_layers + 1), act) for act in ("identity", "relu")}
z_limit = 5.0


def check_against_typical(log_q, c, activation):
    """Standardised residual of the mean log over networks against log q_l + s_l: shape (n_layers,)."""
    f = fluct[activation]
    return (log_q.mean(axis=0) - np.log(theory(c, activation)) - f.shift) / np.sqrt(f.variance / len(log_q))


cs_identity = [0.8, 0.9, 1.0, 1.1, 1.2]
sim_identity = simulate_per_c(cs_identity, "identity", n_nets)
s50, v50 = fluct["identity"].shift[-1], fluct["identity"].variance[-1]
se50 = math.sqrt(v50 / n_nets)
print(f"identity: typical-network shift s_50 = {s50:.3f} (approx. -51/M = {-51 / M:.3f}), factor e^s_50 = {math.exp(s50):.3f}")
print(f"          one network's s.d. of log q_50: sqrt(v_50) = {math.sqrt(v50):.3f}; "
      f"standard error of the mean log over {n_nets} networks: {se50:.2f}")
print(f"          so the ratio is expected in e^(s_50 +- 2 s.e.) = [{math.exp(s50 - 2 * se50):.2f}, {math.exp(s50 + 2 * se50):.2f}]")
print("    c   geometric mean of q_50   theory c^50   ratio   z at layer 50   max |z| over layers")
for c in cs_identity:
    z = check_against_typical(sim_identity[c], c, "identity")
    sim50 = math.exp(sim_identity[c][:, -1].mean())
    print(f"  {c:.1f}   {sim50:12.4g}   {c**50:12.4g}   {sim50 / c**50:.3f}      {z[-1]:+.2f}          {np.abs(z).max():.2f}")
    assert np.all(np.abs(z) < z_limit), (c, z)  # the simulation follows q_l e^{s_l} within 5 standard errors
# The exact shift is close to its approximation -(l+1)/M, as the text says.
np.testing.assert_allclose(fluct["identity"].shift, -(layers + 1) / M, rtol=0.01)
np.testing.assert_allclose(fluct["identity"].variance, 2 * (layers + 1) / M, rtol=0.01)

# %%
# (d) ReLU: mean and second moment after the activation
# -----------------------------------------------------
# Condition on the input again. Given :math:`x`,
# :math:`h \mid x \sim \mathcal N(0, s^2)` with :math:`s^2 = \sigma^2\|x\|^2`,
# and :math:`z = \mathrm{relu}(h) = \max(h, 0)`. The conditional mean needs
# one integral:
#
# .. math::
#
#    \E[z \mid x] = \int_0^\infty h\, \frac{e^{-h^2/(2s^2)}}{\sqrt{2\pi s^2}}\, dh
#    = \frac{s^2}{\sqrt{2\pi s^2}} \Big[-e^{-h^2/(2s^2)}\Big]_0^\infty
#    = \frac{s}{\sqrt{2\pi}} .
#
# The conditional second moment needs none, only symmetry: for every real
# :math:`h`, :math:`\mathrm{relu}(h)^2 + \mathrm{relu}(-h)^2 = h^2`, and
# :math:`h` and :math:`-h` have the same conditional distribution, so
# :math:`\E[z^2 \mid x] = s^2/2`. Now average over :math:`x`, with
# :math:`q = M\sigma^2 = \E[s^2]`:
#
# .. math::
#
#    \E[z^2] = \frac{M\sigma^2}{2} = \frac q2, \qquad
#    \E[z] = \frac{\sigma\, \E\|x\|}{\sqrt{2\pi}}
#    = \sqrt{\frac{q}{2\pi}}\; \frac{\E[\chi_M]}{\sqrt M}, \qquad
#    \operatorname{Var}[z] = \frac q2 - \E[z]^2 ,
#
# where :math:`\|x\| \sim \chi_M` has mean
# :math:`\E[\chi_M] = \sqrt 2\, \Gamma(\tfrac{M+1}{2})/\Gamma(\tfrac M2)
# = \sqrt M\,(1 - \tfrac{1}{4M} + O(M^{-2}))`. These are exact: no
# assumption that :math:`h` is Gaussian (it is not). Treating :math:`h` as
# :math:`\mathcal N(0, q)` gives :math:`\sqrt{q/(2\pi)}` and
# :math:`\operatorname{Var}[z] = q\,\frac{\pi - 1}{2\pi} \approx 0.34\, q`,
# off by relative :math:`O(1/M)` (0.1 % at :math:`M = 256`).
#
# The next layer computes :math:`h' = \sum_m w'_m z_m` with zero-mean weights
# independent of :math:`z`. Conditioning on :math:`z` as we conditioned on
# :math:`x`: :math:`h' \mid z \sim \mathcal N(0, \sigma^2\|z\|^2)`, so
# :math:`\E[h'] = 0` and
#
# .. math::
#
#    \operatorname{Var}[h'] = \sigma^2\, \E\|z\|^2 = M \sigma^2\, \frac{q}{2} ,
#
# and the same step repeats at every layer, whatever the distribution of
# the pre-activations. Be careful here: what enters is the **second moment**
# :math:`\E[z^2] = q/2`, not the variance :math:`\operatorname{Var}[z]`,
# because the mean of :math:`z` is not zero (the zero-mean weights are what
# centre :math:`h'`). So yes, an initialisation rule still keeps the variance:
# :math:`M\sigma^2/2 = 1`, i.e. :math:`\sigma^2 = 2/M` (He/Kaiming).
# Matching :math:`\operatorname{Var}[z]` instead would give
# :math:`\sigma^2 = \frac{2\pi}{(\pi-1)M} \approx 2.93/M` and an explosion by
# a factor :math:`\pi/(\pi-1) \approx 1.47` per layer.
#
# We check the neuron by drawing 100 000 independent weight and input
# vectors (not :math:`h` directly), with standard errors from the sample,
# 4 standard errors per check.
q = 1.7
n_draws = 100_000
w = rng.normal(0.0, math.sqrt(q / M), size=(n_draws, M))
zs = np.maximum(np.einsum("nm,nm->n", w, rng.normal(size=(n_draws, M))), 0.0)  # (n_draws,)
mean_th, second_th = initialization.relu_neuron_moments(M, q / M)
var_th = second_th - mean_th**2
mean_gauss, _ = initialization.relu_moments(q)  # the Gaussian-h formulas
se = {"mean": zs.std() / math.sqrt(n_draws), "second": np.std(zs**2) / math.sqrt(n_draws)}
se["var"] = np.std((zs - zs.mean()) ** 2) / math.sqrt(n_draws)
print(f"relu(w.x), M = {M}, q = M sigma^2 = {q}: {n_draws} draws of (w, x)")
print(f"  E[z]    Monte Carlo {zs.mean():.4f}   exact {mean_th:.5f}   Gaussian-h sqrt(q/2pi) {mean_gauss:.5f}   s.e. {se['mean']:.4f}")
print(f"  E[z^2]  Monte Carlo {np.mean(zs**2):.4f}   exact q/2 = {second_th:.4f}   s.e. {se['second']:.4f}")
print(f"  Var[z]  Monte Carlo {zs.var():.4f}   exact {var_th:.5f}   Gaussian-h q(pi-1)/(2pi) {q * (math.pi - 1) / (2 * math.pi):.5f}   s.e. {se['var']:.4f}")
assert abs(zs.mean() - mean_th) < 4 * se["mean"], zs.mean()
assert abs(np.mean(zs**2) - second_th) < 4 * se["second"], np.mean(zs**2)
assert abs(zs.var() - var_th) < 4 * se["var"], zs.var()
# The Gaussian-h mean is too large by 1 + 1/(4M) + O(1/M^2): 0.1 % here.
assert abs((mean_gauss / mean_th - 1) * 4 * M - 1) < 0.01, mean_gauss / mean_th
assert abs((math.pi - 1) / (2 * math.pi) - 0.34) < 0.005  # "≈ 0.34 q"
c_wrong = 2 * math.pi / (math.pi - 1)
assert abs(c_wrong - 2.93) < 0.005 and abs(c_wrong / 2 - 1.47) < 0.005  # "2.93/M", "1.47 per layer"

# %%
# Deep ReLU networks
# ^^^^^^^^^^^^^^^^^^
# With :math:`\sigma^2 = c/M` the first layer has variance :math:`c` (the
# inputs have second moment 1) and each further layer multiplies it by
# :math:`c/2`: :math:`q_l = c\,(c/2)^{l-1}`. We simulate
# :math:`c \in \{1.6, 1.8, 2, 2.2, 2.4\}` and the "variance-matching" mistake
# :math:`c = 2\pi/(\pi-1)`, 8 networks each. The typical-network shift works
# as for the identity, with one change: after a ReLU layer
# :math:`h = \sigma\|z\|\, g`, :math:`g \sim \mathcal N(0, I_M)`, and
# :math:`\|\mathrm{relu}(g)\|^2 \sim \chi^2_K`, where
# :math:`K \sim \mathrm{Bin}(M, 1/2)` units are active, so the mean square of
# the layer's output is
#
# .. math::
#
#    \frac{\|\mathrm{relu}(h)\|^2}{M} = \sigma^2\|z\|^2\, \frac{\chi^2_K}{M}
#    = \frac{\sigma^2\|z\|^2}{2} \cdot \frac{2\chi^2_K}{M} ,
#
# the expected value :math:`\sigma^2\|z\|^2/2` times a factor
# :math:`2\chi^2_K/M` of mean 1 and relative variance :math:`5/M` (instead of
# :math:`2/M` for :math:`\chi^2_M/M`). So the shift is
# about :math:`-5/(2M)` per layer, :math:`s_l \approx -(2 + 5(l-1)/2)/M`,
# and :math:`v_l \approx (4 + 5(l-1))/M` (exact values from
# ``finite_width_log_moments``). Because :math:`\mathrm{relu}` and the
# identity are positively homogeneous, :math:`c` only rescales the network
# (:math:`h^{(l)}` is :math:`c^{l/2}` times the :math:`c = 1` network), so
# the ratio :math:`\hat q_l / q_l` has the same distribution for every
# :math:`c`; we pool it over :math:`c` in the lower panels below.
#
# We also run tanh, whose theory curve iterates
# :math:`q_l = c\, \E[\tanh(h)^2]` for :math:`h \sim \mathcal N(0, q_{l-1})`
# by numerical quadrature. That is the wide-width limit; at finite width
# :math:`h` is a Gaussian scale mixture. The conditioning argument still
# describes one finite network exactly: given the previous layer, the
# pre-activations of layer :math:`l` are i.i.d. :math:`\mathcal N(0, t_l)`
# with :math:`t_l = \sigma^2\|z^{(l-1)}\|^2`, so one network is the scalar
# Markov chain :math:`t_{l+1} = \frac cM \sum_i \tanh(\sqrt{t_l}\, g_i)^2`,
# :math:`g \sim \mathcal N(0, I_M)`. Its log, expanded to first order in
# :math:`1/M`, follows the bookkeeping above with two changes: the relative
# variance of a layer's output mean square is :math:`\kappa/M` with
# :math:`\kappa = \E[\tanh^4]/\E[\tanh^2]^2 - 1` instead of :math:`5/M`, and a
# deviation :math:`u` of :math:`\log t_l` from the recursion is passed on as
# :math:`a_l u + \tfrac12 b_l u^2` (slope and curvature of the recursion in
# :math:`\log q`) instead of unchanged;
# :func:`nntheory.initialization.perturbative_log_moments` computes the
# resulting shift :math:`s_l` and variance :math:`v_l`. (For the identity
# and ReLU, :math:`a_l = 1`, :math:`b_l = 0`, and the expansion reproduces
# the exact values above to within 2 % at every layer, the neglected terms
# being of order :math:`1/M^2` per layer; for tanh the package's tests check
# it against a Monte Carlo of the chain.) So tanh gets the same check
# as identity and ReLU, with no extra allowance: 16 networks per :math:`c`,
# every layer within 5 standard errors :math:`\sqrt{v_l/16}` of
# :math:`\log q_l + s_l`. At :math:`c = 1.5` and 3, where saturation makes
# the quadrature matter, 5 standard errors are below 0.17 in
# :math:`\log q_l` at every layer, so a recursion off by 25 % (0.22) at any
# layer would fail the check. Saturation also damps the fluctuations: at
# :math:`c = 3` the typical shift is below 0.01 in magnitude, while at
# :math:`c = 0.8` it grows as :math:`q` becomes small and tanh nearly linear,
# to within 10 % of the identity network's at layer 50. The small-variance linearisation
# :math:`\tanh(h) \approx h` predicts :math:`c^l`.
cs_relu = [1.6, 1.8, 2.0, 2.2, 2.4, c_wrong]
sim_relu = simulate_per_c(cs_relu, "relu", n_nets)
s50, v50 = fluct["relu"].shift[-1], fluct["relu"].variance[-1]
se50 = math.sqrt(v50 / n_nets)
print(f"ReLU: typical-network shift s_50 = {s50:.3f} (approx. -(2 + 5*49/2)/M = {-(2 + 5 * 49 / 2) / M:.3f}), factor e^s_50 = {math.exp(s50):.3f}")
print(f"      one network's s.d. of log q_50: sqrt(v_50) = {math.sqrt(v50):.3f}; "
      f"standard error of the mean log over {n_nets} networks: {se50:.2f}")
print(f"      so the ratio is expected in e^(s_50 +- 2 s.e.) = [{math.exp(s50 - 2 * se50):.2f}, {math.exp(s50 + 2 * se50):.2f}]")
print("     c   geometric mean of q_50   theory c(c/2)^49   ratio   z at layer 50   max |z| over layers")
for c in cs_relu:
    z = check_against_typical(sim_relu[c], c, "relu")
    sim50, th50 = math.exp(sim_relu[c][:, -1].mean()), theory(c, "relu")[-1]
    print(f"  {c:.2f}   {sim50:12.4g}   {th50:12.4g}   {sim50 / th50:.3f}      {z[-1]:+.2f}          {np.abs(z).max():.2f}")
    assert np.all(np.abs(z) < z_limit), (c, z)  # within 5 standard errors of q_l e^{s_l}
# The relative variance 5/M of the factor 2 chi^2_K / M, exactly, from the binomial law of K
# (E[(chi^2_K)^2 | K] = K^2 + 2K).
p_K = np.array([math.comb(M, k) for k in range(M + 1)], dtype=float) / 2.0**M
K = np.arange(M + 1)
mean_F = p_K @ (2 * K / M)
np.testing.assert_allclose([mean_F, p_K @ ((2 / M) ** 2 * (K**2 + 2 * K)) - mean_F**2], [1.0, 5 / M], rtol=1e-12)
np.testing.assert_allclose(theory(2.0, "relu"), 2.0, rtol=1e-12)  # c = 2: q_l = 2 in every layer
np.testing.assert_allclose(fluct["relu"].shift, -(2 + 5 * (layers - 1) / 2) / M, rtol=0.02)
np.testing.assert_allclose(fluct["relu"].variance, (4 + 5 * (layers - 1)) / M, rtol=0.02)

# Pooled over c (the ratio's distribution does not depend on c): mean log ratio per layer.
pooled = {
    "identity": np.concatenate([sim_identity[c] - np.log(theory(c, "identity")) for c in cs_identity]),
    "relu": np.concatenate([sim_relu[c] - np.log(theory(c, "relu")) for c in cs_relu]),
}
for act, logs in pooled.items():
    f = fluct[act]
    se_pool = np.sqrt(f.variance / len(logs))
    z_typ = (logs.mean(0) - f.shift) / se_pool
    print(f"{act}, pooled over {len(logs)} networks: mean log(q_hat/q) at layer 50 {logs[:, -1].mean():+.3f}, "
          f"typical theory {f.shift[-1]:+.3f}, s.e. {se_pool[-1]:.3f}; max |z| {np.abs(z_typ).max():.2f}")
    assert np.all(np.abs(z_typ) < z_limit), (act, z_typ)

cs_tanh = [0.8, 1.0, 1.5, 3.0]
n_nets_tanh = 16
sim_tanh = simulate_per_c(cs_tanh, "tanh", n_nets_tanh)
theory_tanh = {c: theory(c, "tanh") for c in cs_tanh}
fluct_tanh = {c: initialization.perturbative_log_moments(n_layers, c / M, M, "tanh") for c in cs_tanh}
print(f"tanh: {n_nets_tanh} networks per c against the quadrature recursion q_l and the typical network q_l e^(s_l)")
print("     c   sim. q_50   quadrature q_50   typical q_50 e^s_50   linearised c^50   max |z| over layers   max 5 s.e. (log)")
for c in cs_tanh:
    f = fluct_tanh[c]
    se = np.sqrt(f.variance / n_nets_tanh)
    z = (sim_tanh[c].mean(0) - np.log(theory_tanh[c]) - f.shift) / se
    sim50 = math.exp(sim_tanh[c][:, -1].mean())
    print(f"  {c:.2f}   {sim50:9.4g}   {theory_tanh[c][-1]:9.4g}         {theory_tanh[c][-1] * math.exp(f.shift[-1]):9.4g}"
          f"             {c**50:9.4g}         {np.abs(z).max():.2f}                  {5 * se.max():.3f}")
    assert np.all(np.abs(z) < z_limit), (c, z)  # within 5 standard errors of the first-order typical network
    assert sim50 < c**50 / 5  # the linearisation overestimates at depth
    if c >= 1.5:
        assert 5 * se.max() < 0.17, se.max()  # "5 standard errors are below 0.17 in log q_l at every layer"
assert np.all(np.abs(fluct_tanh[3.0].shift) < 0.01)  # "at c = 3 the typical shift is below 0.01 in magnitude"
assert abs(fluct_tanh[0.8].shift[-1] / fluct["identity"].shift[-1] - 1) < 0.1  # "at layer 50 within 10 % of the identity network's"
for act in ("identity", "relu"):  # the first-order expansion against the exact values: "within 2 %"
    first_order = initialization.perturbative_log_moments(n_layers, 1.0 / M, M, act)
    np.testing.assert_allclose(first_order.shift, fluct[act].shift, rtol=0.02)
    np.testing.assert_allclose(first_order.variance, fluct[act].variance, rtol=0.02)

# %%
# Figure: variance against depth
# ------------------------------
# Top: markers are the simulation (geometric mean over the networks, i.e. a
# typical network), solid lines the theory for the mean :math:`q_l`, dashed
# lines the typical network :math:`q_l e^{s_l}` (identity and ReLU; for tanh
# the dotted lines are the linearisation :math:`c^l`). On the logarithmic
# axis the geometric laws are straight lines of slope :math:`\log c`
# (identity) and :math:`\log(c/2)` (ReLU). Bottom: the same simulation
# divided by the mean theory, :math:`\log(\hat q_l / q_l)` averaged over the
# networks (identity and ReLU: pooled over :math:`c`, band of
# :math:`\pm 2` standard errors :math:`\sqrt{v_l/n}` around the typical
# shift :math:`s_l`; tanh: one line per :math:`c`, against the quadrature,
# with its first-order typical shift :math:`s_l` dashed). The ReLU panel's
# :math:`c = 2\pi/(\pi - 1) \approx 2.93` is the variance-matching mistake
# of (d), growing by :math:`\pi/(\pi-1) \approx 1.47` per layer.
okabe_ito = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000"]
fig, axes = plt.subplots(2, 3, figsize=(10.5, 8.6), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
top = [
    (axes[0, 0], "identity", cs_identity, sim_identity, {c: theory(c, "identity") for c in cs_identity}),
    (axes[0, 1], "relu", cs_relu, sim_relu, {c: theory(c, "relu") for c in cs_relu}),
    (axes[0, 2], "tanh", cs_tanh, sim_tanh, theory_tanh),
]
for ax, act, cs, sim, th in top:
    for i, c in enumerate(cs):
        colour = okabe_ito[i]
        ax.semilogy(layers, np.exp(sim[c].mean(0)), "o", ms=3, color=colour)
        ax.semilogy(layers, th[c], "-", lw=1.4, color=colour)
        if act in fluct:
            ax.semilogy(layers, th[c] * np.exp(fluct[act].shift), "--", lw=1.0, color=colour)
        else:
            ax.semilogy(layers, c**layers, ":", lw=1.2, color=colour)
        # Label each curve at its right end instead of a legend that would cover data.
        ax.annotate(f"c = {c:.2f}" if act != "identity" else f"c = {c:.1f}", (n_layers, th[c][-1]), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=10, color=colour)
    ax.set_xlim(0, 64)
    ax.grid(True, which="major", alpha=0.3)
    ax.tick_params(labelsize=10)
axes[0, 0].set_title("identity, $\\sigma^2 = c/M$, $M = 256$", fontsize=11)
axes[0, 1].set_title("ReLU, $\\sigma^2 = c/M$ ($c = 2.93$ matches\nVar[$z$] instead of $\\mathrm{E}[z^2]$: $\\times 1.47$/layer)", fontsize=11)
axes[0, 2].set_title("tanh, $\\sigma^2 = c/M$", fontsize=11)
axes[0, 2].set_ylim(1e-9, 1e2)
axes[0, 0].set_ylim(1e-8, 1e5)  # room below the c = 0.8 curve for the legend
axes[0, 0].set_ylabel("pre-activation variance $q_l$", fontsize=12)
style = [plt.Line2D([], [], color="k", ls="", marker="o", ms=3), plt.Line2D([], [], color="k", ls="-"), plt.Line2D([], [], color="k", ls="--")]
axes[0, 0].legend(style, ["simulation (typical)", "theory, mean $q_l$", "typical $q_l e^{s_l}$"], fontsize=10, loc="lower left")
axes[0, 2].legend(style[:2] + [plt.Line2D([], [], color="k", ls=":")], ["simulation (typical)", "quadrature (wide limit)", "linearised $c^l$"],
                  fontsize=10, loc="lower left")
for ax, act in zip(axes[1, :2], ("identity", "relu")):
    logs, f = pooled[act], fluct[act]
    band = 2 * np.sqrt(f.variance / len(logs))
    ax.fill_between(layers, f.shift - band, f.shift + band, color="0.8", label=f"typical $s_l \\pm 2$ s.e., {len(logs)} nets")
    ax.plot(layers, f.shift, "k--", lw=1.0)
    ax.plot(layers, logs.mean(0), "o-", ms=3, lw=1, color=okabe_ito[4], label="simulation (all $c$)")
    ax.axhline(0.0, color="k", lw=1.2, label="mean theory")
    ax.legend(fontsize=10, loc="lower left")
for i, c in enumerate(cs_tanh):
    axes[1, 2].plot(layers, (sim_tanh[c] - np.log(theory_tanh[c])).mean(0), "o-", ms=2.5, lw=1, color=okabe_ito[i], label=f"c = {c:.2f}")
    axes[1, 2].plot(layers, fluct_tanh[c].shift, "--", lw=1.2, color=okabe_ito[i])
axes[1, 2].axhline(0.0, color="k", lw=1.2)
# The colours are those labelled in the panel above; here only the line styles.
axes[1, 2].legend([plt.Line2D([], [], color="k", marker="o", ms=2.5, lw=1), plt.Line2D([], [], color="k", ls="--", lw=1.2)],
                  ["simulation (per $c$)", "typical $s_l$, first order"], fontsize=10, loc="lower left")
for ax in axes[1, :2]:
    lo, hi = ax.get_ylim()
    ax.set_ylim(min(lo, -1.6), max(hi, 0.6))  # room for the legend below the data
lo, hi = axes[1, 2].get_ylim()
axes[1, 2].set_ylim(min(lo, -1.0), max(hi, 0.4))  # tanh: the shifts are small, so a finer scale
for ax in axes[1]:
    ax.set_xlabel("layer $l$", fontsize=12)
    ax.grid(True, alpha=0.3)
    ax.tick_params(labelsize=10)
axes[1, 0].set_ylabel("$\\log(\\hat q_l / q_l)$, mean", fontsize=12)
fig.suptitle("The variance is constant across depth only at $\\sigma^2 = 1/M$ (identity) and $2/M$ (ReLU);\n"
             "a typical finite-width network sits slightly below the mean, as predicted", fontsize=13)
fig.tight_layout()

# %%
# The tanh curves
# ^^^^^^^^^^^^^^^
# For tanh, :math:`\sigma^2 = 1/M` does not keep the variance: since
# :math:`\tanh(h)^2 < h^2` for :math:`h \ne 0`, each layer loses a little.
# For small :math:`q`, :math:`\tanh(h)^2 = h^2 - \tfrac23 h^4 + O(h^6)` gives
# :math:`\E[\tanh(h)^2] = q - 2q^2 + O(q^3)`, so at :math:`c = 1`
# :math:`q_{l+1} \approx q_l - 2q_l^2` and :math:`q_l \approx 1/(2l)`: a slow,
# power-law decay, not a geometric one. For :math:`c > 1` the recursion
# settles at the fixed point :math:`q^* = c\, \E[\tanh(h)^2]`,
# :math:`h \sim \mathcal N(0, q^*)`, where the loss to saturation balances the
# gain :math:`c`. The linearisation :math:`c^l` is right only while
# :math:`q` is small.
q_c1 = theory_tanh[1.0]
print(f"tanh, c = 1: 2 l q_l at l = 10, 25, 50: {2 * 10 * q_c1[9]:.3f}, {2 * 25 * q_c1[24]:.3f}, {2 * 50 * q_c1[49]:.3f}  (tends to 1)")
assert abs(2 * 50 * q_c1[49] - 1) < 0.1 and np.all(np.diff(q_c1) < 0)  # q_l ≈ 1/(2l), decreasing
for c in (1.5, 3.0):
    q_star = theory_tanh[c][-1]
    residual = c * initialization.tanh_second_moment(q_star) - q_star
    print(f"tanh, c = {c}: fixed point q* = {q_star:.4f} (c E[tanh^2] - q* = {residual:.1e}); simulated layers 41-50: "
          f"{np.exp(sim_tanh[c][:, 40:].mean(0)).min():.4f} to {np.exp(sim_tanh[c][:, 40:].mean(0)).max():.4f}")
    assert abs(residual) < 1e-6 * q_star, residual  # the recursion has converged to q* = c E[tanh(h)^2]

# %%
# Figure: the whole range of :math:`c` for ReLU networks
# -------------------------------------------------------
# Four networks per value of :math:`c` on a grid from 1 to 3. The colour is
# the simulated :math:`\log_{10} q_l` (geometric mean over the four), centred
# on :math:`\log_{10} 2`: white is :math:`q_l = 2`, the scale that He
# initialisation keeps. (The inputs have second moment 1; the first layer
# multiplies it by :math:`c`, so at :math:`c = 2` it doubles the scale, and
# each later layer multiplies by :math:`c/2`.) Blue and red each use the full
# colour range of their side, so the colour bar is not symmetric. The black
# contours are the theory :math:`\log_{10}\big(c\,(c/2)^{l-1}\big)` at
# :math:`q_l = 10^{-10}, 10^{-5}, 2, 10^{5}`. The contour
# :math:`q_l = 2` is the line :math:`c = 2`: there the variance stays at 2 in
# every layer; below it the signal dies out, above it the signal explodes,
# and the further from :math:`c = 2`, the faster.
#
# How close should colour and contours be? In every cell the simulation sits
# below the mean theory by the typical shift :math:`|s_l|` (up to 0.21 in
# :math:`\log_{10}` at layer 50) and scatters around that with standard error
# :math:`\sqrt{v_l/4}/\ln 10` (up to 0.22 at layer 50). So the printed
# maximum of :math:`|\log_{10}\hat q_l - \log_{10} q_l|` over the 650 cells,
# a few tenths, is what Monte Carlo error allows; the check is that every
# cell's standardised residual against the typical network is below 5
# (Bonferroni over 650 cells: false-alarm probability below 4e-4).
c_grid = np.linspace(1.0, 3.0, 13)
n_nets_grid = 4
log_q_grid = np.array(list(simulate_per_c(c_grid, "relu", n_nets_grid).values()))  # (n_c, n_nets, n_layers)
theory_grid = np.log(np.array([theory(c, "relu") for c in c_grid]))  # (n_c, n_layers)
f = fluct["relu"]
resid = log_q_grid.mean(axis=1) - theory_grid
z_grid = (resid - f.shift) / np.sqrt(f.variance / n_nets_grid)
print(f"heatmap: max |log10 q_sim - log10 q_theory| over the grid = {np.abs(resid).max() / math.log(10):.3f}")
print(f"         in log10 at layer 50: typical shift {abs(f.shift[-1]) / math.log(10):.3f}, "
      f"standard error {math.sqrt(f.variance[-1] / n_nets_grid) / math.log(10):.3f}")
print(f"         max |z| against the typical network = {np.abs(z_grid).max():.2f} (limit {z_limit:.0f})")
assert np.all(np.abs(z_grid) < z_limit), np.abs(z_grid).max()
assert abs(abs(f.shift[-1]) / math.log(10) - 0.21) < 0.005 and abs(math.sqrt(f.variance[-1] / 4) / math.log(10) - 0.22) < 0.005
# The theory's q = 2 contour is the line c = 2: q_l = 2 for all l there, above 2 for c > 2 and below for c < 2 (l >= 2).
assert np.allclose(theory(2.0, "relu"), 2.0) and np.all(theory(2.05, "relu")[1:] > 2) and np.all(theory(1.95, "relu")[1:] < 2)

log10_sim = log_q_grid.mean(axis=1) / math.log(10)
fig, ax = plt.subplots(figsize=(8.5, 5))
# Each side of the centre gets the full colour range of its half (the data reach about -15 and +9).
norm = TwoSlopeNorm(vcenter=math.log10(2), vmin=log10_sim.min(), vmax=log10_sim.max())
mesh = ax.pcolormesh(layers, c_grid, log10_sim, cmap="RdBu_r", norm=norm, shading="nearest")
# The theory contours on a fine grid of c that avoids c = 2 itself (a contour level equal to a whole
# row of grid values is drawn with spurious stubs).
c_fine = np.linspace(1.0, 3.0, 400)
theory_fine = np.array([np.log10(theory(c, "relu")) for c in c_fine])  # (400, n_layers)
levels = [-10, -5, math.log10(2), 5]
cs_lines = ax.contour(layers, c_fine, theory_fine, levels=levels, colors="k", linewidths=1.0, linestyles="solid")
# Labels placed by hand, each on its own contour and away from the edges.
ax.clabel(cs_lines, fmt={lev: ("$q=2$" if lev == levels[2] else f"$10^{{{lev:.0f}}}$") for lev in levels}, fontsize=10,
          manual=[(44, 1.167), (30, 1.331), (30, 2.0), (40, 2.621)], inline_spacing=4)
ax.set_xlabel("layer $l$", fontsize=12)
ax.set_ylabel("$c = M\\sigma^2$", fontsize=12)
ax.tick_params(labelsize=10)
fig.colorbar(mesh, ax=ax, label="simulated $\\log_{10} q_l$ (contours: theory $\\log_{10} q_l$)")
ax.set_title("ReLU networks keep their scale only at $c = 2$ (He initialisation)", fontsize=12)
fig.tight_layout()

# %%
# Depth against width: the mean is kept, one network is not
# ----------------------------------------------------------
# (c) asks for the :math:`\sigma^2` that keeps the variance "irrespective of
# how many layers we stack". :math:`\sigma^2 = 1/M` (identity) and
# :math:`2/M` (ReLU) do that for the *expected* variance :math:`q_l`, at
# every depth, exactly. They do not do it for one network. The typical shift
# :math:`s_l` and the spread :math:`v_l` of :math:`\log(\hat q_l / q_l)`
# grow in proportion to the depth, about :math:`-5l/(2M)` and :math:`5l/M`
# for ReLU, so the ratio :math:`L/M` decides. At this page's
# :math:`L/M = 50/256` a typical network is within a factor 2 of the mean;
# at :math:`M = 256` and :math:`L = 256` (from
# ``finite_width_log_moments``, printed below) it sits at about 0.08 of
# the mean, and :math:`\log \hat q_L` scatters with standard deviation
# about 2.3, a factor of about 10 either way. The mean stays exactly
# :math:`q_L` only because rare networks lie far above it: from the factors
# of the *Deep ReLU networks* cell (independent, mean 1, relative variances
# :math:`2/M` and :math:`5/M`),
#
# .. math::
#
#    \E\Big[\big(\hat q_L / q_L\big)^2\Big] = \Big(1 + \frac 2M\Big)^2
#    \Big(1 + \frac 5M\Big)^{L-1} \approx e^{5L/M},
#
# so at :math:`M = L = 256` the standard deviation of one network's
# :math:`\hat q_L` is about 12 times its mean. Hanin and Rolnick (2018, *How
# to start training: the effect of initialization and architecture*) prove
# the same for deep ReLU networks: the expected length of the activations is
# kept by :math:`\sigma^2 = 2/n_\text{in}`, but the fluctuations of one
# network grow exponentially in :math:`\sum_l 1/n_l`, i.e. in :math:`L/M` at
# constant width. So the answer to (c) holds for the mean at any depth, and
# for a single network only while :math:`L \ll M`.
#
# We check this on real networks at a size we can afford with the same
# ratio :math:`L/M = 1`: 400 ReLU networks of width 32 and depth 32 with
# :math:`\sigma^2 = 2/M`. At every layer the mean of
# :math:`\log(\hat q_l/q_l)` must lie within 5 standard errors of
# :math:`s_l`, and its sample variance within 5 standard errors (estimated
# from the sample's fourth moment) of :math:`v_l`.
for M_big, L_big in ((256, 50), (256, 256)):
    fb = initialization.finite_width_log_moments([M_big] * (L_big + 1), "relu")
    rel_sd = math.sqrt((1 + 2 / M_big) ** 2 * (1 + 5 / M_big) ** (L_big - 1) - 1)
    print(f"ReLU, M = {M_big}, L = {L_big}: s_L = {fb.shift[-1]:+.3f} (typical network at e^s_L = {math.exp(fb.shift[-1]):.3f} of the mean), "
          f"sd of log = {math.sqrt(fb.variance[-1]):.2f}, sd of q_hat_L / q_L = {rel_sd:.1f}")
    if L_big == 50:
        assert math.exp(fb.shift[-1]) > 0.5  # "within a factor 2 of the mean"
    else:
        assert abs(math.exp(fb.shift[-1]) - 0.08) < 0.005, fb.shift[-1]  # "about 0.08 of the mean"
        assert abs(math.sqrt(fb.variance[-1]) - 2.3) < 0.1  # "standard deviation about 2.3"
        assert 9 < math.exp(math.sqrt(fb.variance[-1])) < 11  # "a factor of about 10"
        assert abs(rel_sd - 12) < 0.5, rel_sd  # "about 12 times its mean"
        np.testing.assert_allclose([fb.shift[-1], fb.variance[-1]], [-5 * L_big / (2 * M_big), 5 * L_big / M_big], rtol=0.02)

M_s = L_s = 32
n_nets_s = 400
log_s = simulate(np.full(n_nets_s, 2.0 / M_s), "relu", widths=[M_s] * (L_s + 1), gen=torch.Generator().manual_seed(SEED + 1))  # (n_nets_s, L_s); q_l = 2
log_s = log_s - math.log(2.0)  # log(q_hat_l / q_l)
f_s = initialization.finite_width_log_moments([M_s] * (L_s + 1), "relu")
z_mean = (log_s.mean(0) - f_s.shift) / np.sqrt(f_s.variance / n_nets_s)
cen = log_s - log_s.mean(0)
z_var = (log_s.var(0) - f_s.variance) / (np.sqrt(np.mean(cen**4, axis=0) - np.mean(cen**2, axis=0) ** 2) / math.sqrt(n_nets_s))
print(f"{n_nets_s} ReLU networks, M = L = {M_s}: at layer {L_s} mean log(q_hat/q) {log_s[:, -1].mean():+.2f} (theory {f_s.shift[-1]:+.2f}), "
      f"variance {log_s[:, -1].var():.2f} (theory {f_s.variance[-1]:.2f})")
print(f"    max |z| over layers: mean {np.abs(z_mean).max():.2f}, variance {np.abs(z_var).max():.2f}; "
      f"networks below the mean q_L: {np.mean(log_s[:, -1] < 0):.0%}")
assert np.all(np.abs(z_mean) < z_limit) and np.all(np.abs(z_var) < z_limit), (z_mean, z_var)

# %%
# Figure: one network against the mean at :math:`L/M = 1`
# --------------------------------------------------------
# Thin lines: 40 of
# the 400 networks; markers: the mean of :math:`\log(\hat q_l/q_l)` over all
# 400, i.e. the typical network; dashed: its prediction :math:`e^{s_l}`,
# with the band :math:`e^{s_l \pm \sqrt{v_l}}`, one standard deviation of
# :math:`\log \hat q_l` either side; solid: the mean, kept exactly by
# :math:`\sigma^2 = 2/M`.
# The horizontal axis is :math:`l/M`; the grey curve is the typical network
# at :math:`M = 256` out to :math:`L = 256`, which nearly coincides: what
# matters is depth over width.
fig, ax = plt.subplots(figsize=(9, 6.2))
l_s = np.arange(1, L_s + 1)
for k in range(40):
    ax.semilogy(l_s / M_s, np.exp(log_s[k]), "-", lw=0.6, color=okabe_ito[5], alpha=0.6)
ax.fill_between(l_s / M_s, np.exp(f_s.shift - np.sqrt(f_s.variance)), np.exp(f_s.shift + np.sqrt(f_s.variance)), color="0.85", zorder=0,
                label="typical $\\pm$ one s.d. of $\\log$, $e^{s_l \\pm \\sqrt{v_l}}$")
ax.semilogy(l_s / M_s, np.exp(log_s.mean(0)), "o", ms=4, color=okabe_ito[4], label=f"geometric mean of {n_nets_s} networks, $M = {M_s}$")
ax.semilogy(l_s / M_s, np.exp(f_s.shift), "k--", lw=1.2, label="typical network $e^{s_l}$, $M = 32$")
fb = initialization.finite_width_log_moments([256] * 257, "relu")
ax.semilogy(np.arange(1, 257) / 256, np.exp(fb.shift), "-", color="0.45", lw=4, alpha=0.6, zorder=1, label="typical network $e^{s_l}$, $M = 256$")
ax.axhline(1.0, color="k", lw=1.2, label="mean: $\\mathrm{E}[\\hat q_l] = q_l$")
ax.plot([], [], "-", lw=0.6, color=okabe_ito[5], label="single networks ($M = 32$)")
ax.set_xlabel("depth over width $l/M$", fontsize=12)
ax.set_ylabel("$\\hat q_l / q_l$ (log scale)", fontsize=12)
ax.tick_params(labelsize=10)
ax.grid(True, which="major", alpha=0.3)
fig.legend(*ax.get_legend_handles_labels(), fontsize=10, loc="lower center", ncol=2, frameon=False)  # below, off the data
ax.set_title("He initialisation keeps the mean at any depth; one ReLU network\ndrifts below it and scatters once $L$ is comparable to $M$", fontsize=12)
fig.tight_layout(rect=(0, 0.14, 1, 1))
# The M = 32 and M = 256 typical curves agree at the same l/M (to 5 % in log at l/M = 1).
assert abs(f_s.shift[-1] / fb.shift[-1] - 1) < 0.05, (f_s.shift[-1], fb.shift[-1])

# %%
# Beyond the sheet: the backward pass, fan-out, and Glorot's compromise
# ----------------------------------------------------------------------
# The gradients travel through the transposed matrices. For a loss
# :math:`E` of the output :math:`h^{(L)}`, write
# :math:`\delta^{(l)} = \partial E/\partial h^{(l)}`. With identity
# activations :math:`\delta^{(l-1)} = W^{(l)\top} \delta^{(l)}`, where
# :math:`W^{(l)}` has :math:`n_l` rows (fan-out) and :math:`n_{l-1}`
# columns (fan-in). If :math:`W^{(l)}` is independent of :math:`\delta^{(l)}`
# (true in a linear network when the output gradient
# :math:`g = \partial E/\partial h^{(L)}` does not depend on the weights;
# we take :math:`E = g^\top h^{(L)}` with a random
# :math:`g \sim \mathcal N(0, I)`), the conditioning of (a) applies to the
# transposed matrix: given :math:`\delta^{(l)}`, the entries of
# :math:`W^{(l)\top}\delta^{(l)}` are i.i.d.
# :math:`\mathcal N(0, \sigma_l^2 \|\delta^{(l)}\|^2)`, so the mean square
# :math:`r_l = \E[(\delta^{(l)}_j)^2]` obeys
#
# .. math::
#
#    r_{l-1} = n_l\, \sigma_l^2\; r_l
#    \qquad \text{(backward)}, \qquad\qquad
#    q_l = n_{l-1}\, \sigma_l^2\; q_{l-1} \qquad \text{(forward)}.
#
# The backward pass of a linear network is the forward pass of its
# transpose. Keeping the gradients' scale needs :math:`\sigma_l^2 = 1/n_l`
# (fan-out), keeping the signal's needs :math:`\sigma_l^2 = 1/n_{l-1}`
# (fan-in); both hold only if :math:`n_{l-1} = n_l`. Glorot and Bengio
# (2010) choose
#
# .. math::
#
#    \sigma_l^2 = \frac{2}{n_{l-1} + n_l}
#    \quad\Longleftrightarrow\quad
#    f_l + b_l = 2, \qquad
#    f_l = n_{l-1}\sigma_l^2,\ b_l = n_l\sigma_l^2 ,
#
# the unique variance for which the forward factor :math:`f_l` and the
# backward factor :math:`b_l` average to 1: one is :math:`1 - d_l`, the other
# :math:`1 + d_l`, with :math:`d_l = (n_l - n_{l-1})/(n_l + n_{l-1})`. Two
# consequences. With fan-in initialisation the backward factors telescope,
# :math:`\prod_l n_l/n_{l-1} = n_L/n_0`: the gradient's scale changes by the
# ratio of the last to the first width, not exponentially in depth (and the
# same holds for the forward pass with fan-out initialisation, which is why
# He et al. (2015) note that either condition alone is usually enough).
# Glorot's choice spreads that ratio over both passes instead.
#
# We check this on linear networks of 20 layers whose width doubles every
# 5 layers, :math:`n_l = \mathrm{round}(64 \cdot 2^{l/5})` from 64 to 1024,
# with 16 networks per scheme, against the recursions and the typical-network
# shift (for the backward pass, ``finite_width_log_moments`` of the reversed
# widths). For ReLU layers each factor picks up the :math:`1/2` of (d)
# (He et al. use :math:`2/n_\text{in}` or :math:`2/n_\text{out}`), but there
# :math:`\delta^{(l)}` depends on :math:`W^{(l)}` through the ReLU pattern,
# so the backward recursion holds only approximately; we check the exact
# linear case.
L_g = 20
widths_g = [int(round(64 * 2 ** (l / 5))) for l in range(L_g + 1)]
fan_in, fan_out = np.array(widths_g[:-1]), np.array(widths_g[1:])
schemes = {
    "fan-in (LeCun)": np.array([initialization.init_variance("lecun", a) for a in fan_in]),
    "fan-out": 1.0 / fan_out,
    "Glorot": np.array([initialization.init_variance("xavier", a, b) for a, b in zip(fan_in, fan_out)]),
}
n_nets_g = 16
fluct_fwd = initialization.finite_width_log_moments(widths_g, "identity")
fluct_bwd = initialization.finite_width_log_moments(widths_g[::-1], "identity")  # delta^(L-1), ..., delta^(0)
glorot = {}
print(f"widths {widths_g[0]} -> {widths_g[-1]} over {L_g} linear layers; {n_nets_g} networks per scheme")
print("  scheme            forward q_L (theory, sim.)   backward r_0 (theory, sim.)   max |z| fwd, bwd")
fwd_all, bwd_all = simulate(np.repeat(np.array(list(schemes.values())), n_nets_g, axis=0), "identity", widths=widths_g, backward=True)
for k, (name, s2) in enumerate(schemes.items()):
    fwd, bwd = fwd_all[k * n_nets_g : (k + 1) * n_nets_g], bwd_all[k * n_nets_g : (k + 1) * n_nets_g]
    q_fwd = initialization.propagate_variance(L_g, s2, widths_g[:-1], activation="identity").variance  # q_1..q_L
    r_bwd = initialization.propagate_variance(L_g, s2[::-1], widths_g[:0:-1], activation="identity").variance[::-1]  # r_0..r_{L-1}
    z_fwd = (fwd.mean(0) - np.log(q_fwd) - fluct_fwd.shift) / np.sqrt(fluct_fwd.variance / n_nets_g)
    z_bwd = (bwd.mean(0) - np.log(r_bwd) - fluct_bwd.shift[::-1]) / np.sqrt(fluct_bwd.variance[::-1] / n_nets_g)
    glorot[name] = (fwd, bwd, q_fwd, r_bwd)
    print(f"  {name:16s}  {q_fwd[-1]:7.3f}  {math.exp(fwd[:, -1].mean()):7.3f}            "
          f"{r_bwd[0]:7.3f}  {math.exp(bwd[:, 0].mean()):7.3f}           {np.abs(z_fwd).max():.2f}, {np.abs(z_bwd).max():.2f}")
    # Monte Carlo against the recursions, 5 standard errors (120 comparisons: false alarm < 1e-4).
    assert np.all(np.abs(z_fwd) < z_limit) and np.all(np.abs(z_bwd) < z_limit), (name, z_fwd, z_bwd)

# The derived identities: telescoping under fan-in / fan-out, and Glorot's f + b = 2.
ratio = widths_g[-1] / widths_g[0]
q_in, r_in = glorot["fan-in (LeCun)"][2], glorot["fan-in (LeCun)"][3]
q_out, r_out = glorot["fan-out"][2], glorot["fan-out"][3]
np.testing.assert_allclose([q_in[-1], r_in[0]], [1.0, ratio], rtol=1e-12)  # fan-in: forward kept, backward x n_L/n_0
np.testing.assert_allclose([q_out[-1], r_out[0]], [1.0 / ratio, 1.0], rtol=1e-12)  # fan-out: the mirror image
s2_glorot = schemes["Glorot"]
np.testing.assert_allclose(fan_in * s2_glorot + fan_out * s2_glorot, 2.0, rtol=1e-12)  # f_l + b_l = 2
q_gl, r_gl = glorot["Glorot"][2], glorot["Glorot"][3]
assert 1.0 / ratio < q_gl[-1] < 1.0 < r_gl[0] < ratio, (q_gl[-1], r_gl[0])  # Glorot: in between, in both passes

# %%
# Figure: forward and backward variance when the width changes
# -------------------------------------------------------------
# Markers: geometric mean over the 16 networks; solid lines: the recursions
# for the mean; dashed: the typical network (a small shift here, since the
# widths are at least 64 and there are only 20 layers). Fan-in
# initialisation keeps the forward signal and lets the gradient grow by
# :math:`n_L/n_0 = 16` towards the input; fan-out initialisation does the
# reverse; Glorot's variance is in between in both passes.
fig, (ax_f, ax_b) = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True)
for i, (name, (fwd, bwd, q_fwd, r_bwd)) in enumerate(glorot.items()):
    ax_f.semilogy(np.arange(1, L_g + 1), np.exp(fwd.mean(0)), "o", ms=4, color=okabe_ito[i])
    ax_f.semilogy(np.arange(1, L_g + 1), q_fwd, "-", color=okabe_ito[i], label=name)
    ax_f.semilogy(np.arange(1, L_g + 1), q_fwd * np.exp(fluct_fwd.shift), "--", lw=1.0, color=okabe_ito[i])
    ax_b.semilogy(np.arange(0, L_g), np.exp(bwd.mean(0)), "o", ms=4, color=okabe_ito[i])
    ax_b.semilogy(np.arange(0, L_g), r_bwd, "-", color=okabe_ito[i], label=name)
    ax_b.semilogy(np.arange(0, L_g), r_bwd * np.exp(fluct_bwd.shift[::-1]), "--", lw=1.0, color=okabe_ito[i])
ax_f.set_title("forward: signal $q_l = \\mathrm{E}[(h^{(l)}_i)^2]$", fontsize=11)
ax_b.set_title("backward: gradient $r_l = \\mathrm{E}[(\\partial E/\\partial h^{(l)}_j)^2]$", fontsize=11)
for ax in (ax_f, ax_b):
    ax.set_xlabel("layer $l$ (width $n_l = 64 \\cdot 2^{l/5}$)", fontsize=12)
    ax.grid(True, which="both", alpha=0.3)
    ax.tick_params(labelsize=10)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
ax_f.set_ylabel("mean square (log scale)", fontsize=12)
ax_f.set_ylim(1 / 25, 25)
ax_f.legend(fontsize=10, loc="lower left", title="$\\sigma_l^2$ from", title_fontsize=10)
ax_b.legend([plt.Line2D([], [], color="k", ls="", marker="o", ms=4), plt.Line2D([], [], color="k", ls="-"), plt.Line2D([], [], color="k", ls="--")],
            ["simulation (geometric mean)", "recursion (mean)", "typical network"], fontsize=10, loc="lower left")
fig.suptitle("Widening linear network (64 → 1024): fan-in keeps the signal,\nfan-out the gradient, Glorot splits the difference", fontsize=12)
fig.tight_layout()

# %%
# What to notice
# --------------
# * (a) One neuron: mean 0 and variance :math:`M\sigma^2`, exactly, by
#   conditioning on the input; the Monte Carlo values agree within 4
#   standard errors (checked above).
# * (b) Second layer, identity: mean 0 and variance :math:`(M\sigma^2)^2`,
#   because the first-layer neurons are uncorrelated (though dependent).
# * (c) The expected variance after :math:`L` linear layers is
#   :math:`(M\sigma^2)^L`. It is independent of depth only for
#   :math:`\sigma^2 = 1/M`; for larger :math:`\sigma^2` it explodes and for
#   smaller it vanishes geometrically, as the straight lines on the log axis
#   show. One finite-width network sits below the mean by the exactly known
#   factor :math:`e^{s_l}` and scatters around it; every simulated curve is
#   within 5 standard errors of that prediction. "Irrespective of how many
#   layers" holds for the mean; for one network only while the depth is
#   small against the width: :math:`s_L` and the spread grow with
#   :math:`L/M`, and at :math:`M = L = 256` a typical ReLU network sits at
#   about 0.08 of the mean (Hanin and Rolnick, 2018).
# * (d) After a ReLU the mean is :math:`\sqrt{q/(2\pi)}\,\E[\chi_M]/\sqrt M`
#   and the second moment :math:`q/2`, exactly; the next layer's variance is
#   set by the second moment, so :math:`\sigma^2 = 2/M` retains the variance.
#   Choosing :math:`\sigma^2` to preserve :math:`\operatorname{Var}[z]`
#   instead (:math:`c \approx 2.93`) makes the signal explode.
# * For tanh, :math:`\sigma^2 = 1/M` does not keep the variance either: it
#   decays like :math:`1/(2l)`; larger :math:`c` settles at a fixed point
#   :math:`q^* = c\,\E[\tanh(h)^2]`. The linearisation :math:`c^l` is only
#   right while :math:`q` is small. At finite width the tanh networks follow
#   the first-order typical network within 5 standard errors, like the
#   identity and ReLU networks.
# * Backward pass: the gradient's mean square is multiplied by
#   :math:`n_\text{out}\sigma^2` per linear layer, so the fan-out plays the
#   role the fan-in plays forward; with unequal widths no single variance
#   keeps both, and Glorot's :math:`2/(n_\text{in} + n_\text{out})` makes the
#   two per-layer factors average to exactly 1.
#
# sphinx_gallery_thumbnail_number = 1
