r"""
How much can a residual network stretch its input?
==================================================

The bonus exercise 4 of the deep learning exercise sheet (ID ``dl-sheet/4``)
considers a residual network :math:`f = T_L \circ \dots \circ T_1` of blocks
:math:`T(x) = x + F(x)` whose residual branches :math:`F` are 1-Lipschitz. It
asks (a) why each block is Lipschitz and with what constant, (b) for a bound
on the Lipschitz constant of the whole network as a function of the depth
:math:`L`, and (c) why batch normalisation spoils such a guarantee at test
time.

The claims, each checked below: :math:`\operatorname{Lip}(T) \le 1 +
\operatorname{Lip}(F) \le 2` and :math:`\operatorname{Lip}(f) \le 2^L`, and
both bounds are attained by some network, so they cannot be improved
without further assumptions; random networks of this kind stretch far less
than :math:`2^L`; and with batch normalisation in the branch the test-time
Lipschitz constant is set by the running variances seen in training: it can
be far above 2 (up to :math:`1 + |\gamma|/\sqrt\varepsilon`, about 317 for
:math:`\gamma = 1` and :math:`\varepsilon = 10^{-5}`, and unbounded as the
learnable scale :math:`\gamma` grows) or below 2, and then below the
constant of the same weights without batch norm; while in training mode the
network is not even a function of a single input.
"""

# %%
# (a) One block: :math:`\operatorname{Lip}(T) \le 1 + \operatorname{Lip}(F) \le 2`
# ---------------------------------------------------------------------------------
# For any :math:`x, y`, by the triangle inequality and the Lipschitz property
# of :math:`F`,
#
# .. math::
#
#    \begin{aligned}
#    \|T(x) - T(y)\| &= \|(x - y) + (F(x) - F(y))\| \\
#    &\le \|x - y\| + \|F(x) - F(y)\| \\
#    &\le \big(1 + \operatorname{Lip}(F)\big)\,\|x - y\| \le 2\,\|x - y\| .
#    \end{aligned}
#
# So :math:`T` is Lipschitz with :math:`\operatorname{Lip}(T) \le 1 +
# \operatorname{Lip}(F) \le 2`; the first form is the sharper statement (a
# branch scaled by :math:`c < 1` gives :math:`1 + c`, checked further
# below). The bound is attained: :math:`F(x) = x` is 1-Lipschitz and gives
# :math:`T(x) = 2x`. The reverse triangle inequality gives the matching
# lower estimate
# :math:`\|T(x) - T(y)\| \ge (1 - \operatorname{Lip}(F))\|x - y\|`
# (also checked below).
#
# In :mod:`nntheory.models.residual` the branch is
# :math:`F(x) = \tilde W_2\, \mathrm{ReLU}(\tilde W_1 x + b_1) + b_2` with every
# weight divided by its exact spectral norm, so
# :math:`\operatorname{Lip}(F) \le \|\tilde W_2\|_2 \cdot 1 \cdot \|\tilde W_1\|_2 = 1`.
# :func:`~nntheory.diagnostics.lipschitz.lipschitz_upper_bound` applies these
# rules to a module; :func:`~nntheory.diagnostics.lipschitz.lipschitz_lower_bound`
# measures :math:`\max_x \|J_f(x)\|_2` by power iteration over many inputs,
# which can never exceed the true constant.
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from nntheory.diagnostics.lipschitz import lipschitz_lower_bound, lipschitz_upper_bound, optimized_secant_lower_bound, secant_lower_bound
from nntheory.models.residual import ResidualBlock, ResidualNet

from nntheory.seeding import base_seed

# sphinx_gallery_thumbnail_number = 1
SEED = base_seed(0)
generator = torch.Generator().manual_seed(SEED)
torch.set_default_dtype(torch.float64)
# Networks this small run fastest on one thread; sphinx-gallery restores the
# dtype and the thread count after the page.
torch.set_num_threads(1)
DIM = 16

block = ResidualBlock(DIM, hidden=32, generator=generator)
probe = torch.randn(512, DIM, generator=generator)
block_upper, branch_upper = lipschitz_upper_bound(block), lipschitz_upper_bound(block.branch)
block_jac = lipschitz_lower_bound(block, probe, generator=generator)
print(f"random block: upper bound {block_upper:.4f} = 1 + {branch_upper:.4f} (bound for F)")
print(f"random block: Jacobian lower bound {block_jac:.4f}")
pairs = probe + 1e-3 * torch.randn(512, DIM, generator=generator)
block_secant = secant_lower_bound(block, probe, pairs)
print(f"random block: secant lower bound {block_secant:.4f}")
# "every weight divided by its exact spectral norm, so Lip(F) <= 1": the bound for F is 1, for T 1 + 1
assert abs(branch_upper - 1) < 1e-9 and abs(block_upper - 2) < 1e-9, (branch_upper, block_upper)
assert block_secant <= block_jac * (1 + 1e-6) and block_jac <= block_upper, (block_secant, block_jac, block_upper)  # lower bounds stay below the bound


def make_tight(net):
    """Set every branch to F(x) = x (identity weights, zero biases): T(x) = 2x on the positive orthant."""
    with torch.no_grad():
        for blk in net.blocks:
            for lin in (blk.branch[0], blk.branch[2]):
                lin.weight.copy_(torch.eye(lin.out_features, lin.in_features))
                lin.bias.zero_()
    return net


tight_block = make_tight(ResidualNet(DIM, n_blocks=1, generator=generator))
positive = torch.rand(64, DIM, generator=generator) + 0.1  # where ReLU(x) = x
tight_measured = lipschitz_lower_bound(tight_block, positive, generator=generator)
print(f"tight block F(x) = x: Jacobian lower bound {tight_measured:.6f}")
assert abs(tight_measured - 2) < 1e-9, tight_measured  # "the bound is attained: T(x) = 2x"

# %%
# A branch scaled by :math:`c`
# ----------------------------
# With :math:`\operatorname{Lip}(F) \le c`, the triangle inequality and the
# reverse triangle inequality :math:`\|a + b\| \ge \|a\| - \|b\|` give
#
# .. math::
#
#    (1 - c)\,\|x - y\| \;\le\; \|T(x) - T(y)\| \;\le\; (1 + c)\,\|x - y\| .
#
# Both ends are attained, by :math:`F(x) = cx` and :math:`F(x) = -cx` (a ReLU
# branch with :math:`\tilde W_1 = I`, :math:`\tilde W_2 = \pm cI` and zero
# biases, on the positive orthant). For :math:`c < 1` the left side makes the
# block invertible with a Lipschitz inverse, the property invertible
# residual networks (Behrmann et al., 2019) are built on, and a network of
# :math:`L` such blocks satisfies
# :math:`(1 - c)^L\|x - y\| \le \|f(x) - f(y)\| \le (1 + c)^L\|x - y\|`.
# ``branch_scale`` sets :math:`c` in :mod:`nntheory.models.residual`; we check
# the bound :math:`1 + c`, both ends being attained, and the two-sided
# bound on random pairs for a random network of four blocks.
C = 0.5
gen_c = torch.Generator().manual_seed(SEED + 4)  # its own stream: the cells below draw as before


def make_signed(net, sign):
    """Branch weights W1 = I, W2 = sign * I (times the branch scale), zero biases: F(x) = sign * c * x for x > 0."""
    with torch.no_grad():
        for blk in net.blocks:
            for lin, s in ((blk.branch[0], 1.0), (blk.branch[2], sign)):
                lin.weight.copy_(s * torch.eye(lin.out_features, lin.in_features))
                lin.bias.zero_()
    return net


x_pos, y_pos = torch.rand(256, DIM, generator=gen_c) + 0.1, torch.rand(256, DIM, generator=gen_c) + 0.1
ratios_signed = {}
for sign in (1.0, -1.0):
    net_c = make_signed(ResidualNet(DIM, n_blocks=1, branch_scale=C, generator=gen_c), sign)
    with torch.no_grad():
        q = (net_c(x_pos) - net_c(y_pos)).norm(dim=1) / (x_pos - y_pos).norm(dim=1)
    ratios_signed[sign] = (q.min().item(), q.max().item())
scaled_upper = lipschitz_upper_bound(ResidualNet(DIM, n_blocks=1, hidden=32, branch_scale=C, generator=gen_c))
deep_c = ResidualNet(DIM, n_blocks=4, hidden=32, branch_scale=C, generator=gen_c)
xa, xb = torch.randn(4096, DIM, generator=gen_c), torch.randn(4096, DIM, generator=gen_c)
xb = torch.cat([xb[:2048], xa[2048:] + 1e-3 * xb[2048:]])  # half far apart, half close together
with torch.no_grad():
    q_deep = (deep_c(xa) - deep_c(xb)).norm(dim=1) / (xa - xb).norm(dim=1)
print(f"c = {C}: architecture bound {scaled_upper:.4f} (1 + c = {1 + C})")
print(f"F(x) = +c x: difference quotients {ratios_signed[1.0][0]:.6f} to {ratios_signed[1.0][1]:.6f}")
print(f"F(x) = -c x: difference quotients {ratios_signed[-1.0][0]:.6f} to {ratios_signed[-1.0][1]:.6f}")
print(f"random 4-block net, c = {C}: quotients {q_deep.min():.3f} to {q_deep.max():.3f}, "
      f"bounds (1-c)^4 = {(1 - C) ** 4:.4f} and (1+c)^4 = {(1 + C) ** 4:.4f}")
assert abs(scaled_upper - (1 + C)) < 1e-9, scaled_upper  # "a branch scaled by c gives 1 + c"
np.testing.assert_allclose(ratios_signed[1.0], 1 + C, rtol=1e-9)  # "attained by F(x) = cx"
np.testing.assert_allclose(ratios_signed[-1.0], 1 - C, rtol=1e-9)  # "attained by F(x) = -cx": the lower estimate is sharp
assert (1 - C) ** 4 <= q_deep.min() and q_deep.max() <= (1 + C) ** 4, (q_deep.min(), q_deep.max())  # the two-sided bound

# %%
# (b) The whole network: :math:`\operatorname{Lip}(f) \le 2^L`
# -------------------------------------------------------------
# Lipschitz constants multiply under composition:
# :math:`\|g(h(x)) - g(h(y))\| \le \operatorname{Lip}(g)\|h(x) - h(y)\| \le
# \operatorname{Lip}(g)\operatorname{Lip}(h)\|x - y\|`. By induction over the
# blocks,
#
# .. math::
#
#    \operatorname{Lip}(f) \le \prod_{l=1}^L \operatorname{Lip}(T_l)
#    \le \prod_{l=1}^L \big(1 + \operatorname{Lip}(F_l)\big) \le 2^L .
#
# With every branch equal to the identity, :math:`f(x) = 2^L x` on the
# positive orthant, so :math:`2^L` is attained and cannot be improved in
# general. For *random* spectrally normalised networks we measure the lower
# bound for :math:`L = 1, \dots, 10` (five networks per depth, 256 random
# probe inputs each) and compare with :math:`2^L`, the architecture's upper
# bound and the tight construction.
depths = np.arange(1, 11)
n_nets = 5
lower = np.zeros((len(depths), n_nets))
optimised = np.zeros(len(depths))
upper = np.zeros(len(depths))
tight = np.zeros(len(depths))
for i, L in enumerate(depths):
    for j in range(n_nets):
        net = ResidualNet(DIM, n_blocks=int(L), hidden=32, generator=generator)
        x = torch.randn(256, DIM, generator=generator)
        lower[i, j] = lipschitz_lower_bound(net, x, n_iter=20, generator=generator)
    # For the last network of each depth, also search for stretched pairs by gradient ascent.
    optimised[i] = max(lower[i, -1], optimized_secant_lower_bound(net, x[:32], n_steps=50, generator=generator))
    upper[i] = lipschitz_upper_bound(net)
    tight[i] = lipschitz_lower_bound(make_tight(ResidualNet(DIM, n_blocks=int(L), generator=generator)), positive, generator=generator)

growth = np.exp(np.polyfit(depths, np.log(lower.mean(axis=1)), 1)[0])
print("upper: architecture bound; tight: identity branches (measured);")
print("min / max: lower bounds of the five random nets; ascent: last net, optimised pairs")
print(" L    2^L    upper   tight    min     max   ascent")
for L, u, t, lo, op in zip(depths, upper, tight, lower, optimised):
    print(f"{L:2d} {2.0**L:6.0f} {u:8.2f} {t:7.2f} {lo.min():6.3f} {lo.max():7.3f} {op:8.3f}")
print(f"random nets: lower bound grows by a factor of about {growth:.3f} per block")
print(f"largest lower bound / upper bound over the random nets: {np.max(np.maximum(lower.max(axis=1), optimised) / upper):.3f}")
ascent_gain = np.max(optimised / lower[:, -1])
print(f"gain of the ascent over random probing: at most {ascent_gain:.3f}x")
np.testing.assert_allclose(upper, 2.0**depths, rtol=1e-9)  # the architecture bound is 2^L
np.testing.assert_allclose(tight, 2.0**depths, rtol=1e-9)  # "identity branches sit exactly on 2^L"
assert np.all(np.maximum(lower.max(axis=1), optimised) <= upper), "a lower bound above the upper bound"
assert growth < 1.25, growth  # "random networks grow much more slowly" than the factor 2 per block
assert ascent_gain < 1.2, ascent_gain  # "raises the bound by only the printed small factor"

fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
ax.semilogy(depths, 2.0**depths, "k-", lw=2, label=r"bound $2^L$")
ax.semilogy(depths, upper, "o", ms=10, mfc="none", mec="#D55E00", mew=2, label=r"architecture bound $\prod_l (1 + \mathrm{Lip}(F_l))$")
ax.semilogy(depths, tight, "x", ms=9, color="#CC79A7", mew=2, label=r"identity branches: measured $\max\|J_f\|_2$")
for j in range(n_nets):
    ax.semilogy(depths, lower[:, j], "o", ms=4, color="#0072B2", alpha=0.7, label="random networks: measured lower bound" if j == 0 else None)
ax.semilogy(depths, optimised, "^", ms=7, mfc="none", mec="#009E73", mew=1.5, label="one random network per depth: input pairs optimised")
ax.semilogy(depths, growth**depths * lower[0].mean() / growth, "--", color="#0072B2", lw=1, label=rf"fit: $\approx {growth:.2f}^L$")
ax.set_xlabel("number of residual blocks $L$", fontsize=12)
ax.set_ylabel("Lipschitz constant (log scale)", fontsize=12)
ax.set_xticks(depths)
ax.legend(fontsize=9, loc="upper left")
ax.set_title(r"$2^L$ is attained by identity branches, but random networks stay far below it", fontsize=11)
plt.show()

# %%
# The identity-branch networks sit exactly on :math:`2^L`: the bound is
# tight. Random networks grow much more slowly: each block's Jacobian is
# :math:`I + J_F` with :math:`\|J_F\|_2 \le 1`, and a random :math:`J_F` is not
# aligned with the identity, so :math:`\|I + J_F\|_2` is well below 2 and the
# directions stretched by successive blocks do not line up. The lower bounds
# are what we *found*; the true constants of the random networks lie
# somewhere between them and :math:`2^L`. Searching harder (gradient ascent
# on the difference quotient over pairs of inputs,
# :func:`~nntheory.diagnostics.lipschitz.optimized_secant_lower_bound`) raises
# the bound by only the printed small factor, so for these random networks
# the worst-case bound :math:`2^L` is very pessimistic.
#
# (c) Batch normalisation at test time
# ------------------------------------
# In training mode a batch-norm layer maps sample :math:`x_i` of a batch
# :math:`B` to :math:`\gamma \odot (x_i - \mu_B)/\sqrt{\sigma_B^2 + \varepsilon} + \beta`,
# with the mean and variance *of the batch*; at test time it uses running
# averages :math:`\hat\mu, \hat\sigma^2` collected during training, and is
# the affine map
#
# .. math::
#
#    \mathrm{BN}(x)_j = \gamma_j \frac{x_j - \hat\mu_j}{\sqrt{\hat\sigma_j^2 + \varepsilon}} + \beta_j,
#    \qquad
#    \operatorname{Lip}(\mathrm{BN}) = \max_j \frac{|\gamma_j|}{\sqrt{\hat\sigma_j^2 + \varepsilon}} .
#
# The student answer on the sheet leaves (c) empty. The answer has three
# parts:
#
# 1. **The constant depends on the data, not the architecture.** It is set by
#    the running variances seen in training. A feature with small variance
#    gets a large gain; a feature that is (almost) constant on the training
#    data gets gain up to :math:`|\gamma_j|/\sqrt{\varepsilon}`, about 316 for
#    :math:`\gamma_j = 1` and :math:`\varepsilon = 10^{-5}` (and :math:`\gamma_j`
#    is learned, so nothing bounds it). No weight normalisation of the linear maps
#    prevents this, so a branch with batch norm is no longer 1-Lipschitz and
#    the bound :math:`2^L` is lost (the product of per-block bounds becomes
#    :math:`\prod_l (1 + \operatorname{Lip}(F_l))` with
#    :math:`\operatorname{Lip}(F_l) \le \|\tilde W_{2,l}\|_2 \,
#    \operatorname{Lip}(\mathrm{BN}_l)\, \|\tilde W_{1,l}\|_2 =
#    \operatorname{Lip}(\mathrm{BN}_l)` for spectrally normalised weights, so
#    :math:`\operatorname{Lip}(f) \le \prod_l (1 + \operatorname{Lip}(\mathrm{BN}_l))`,
#    with constants only known after training). The gain can just as well be
#    *small*: a feature with a large running variance is shrunk, and then
#    the block's constant falls below 2, and below that of the same weights
#    without batch norm. A guarantee needs the gain itself constrained
#    during training, as Gouk et al. (2021) do.
# 2. **Training and test networks are different functions.** The guarantee
#    one could prove for the training-time network does not transfer, and the
#    test-time constant changes whenever the running statistics are
#    re-estimated (new data, a distribution shift, a different momentum).
# 3. **In training mode there is no per-input Lipschitz constant at all**: the
#    output for :math:`x_i` depends on the other members of the batch, so
#    :math:`f(x_i)` can change while :math:`x_i` stays fixed.
#
# We show each numerically. First, a residual block whose branch is
# spectrally normalised linear → batch norm → ReLU → spectrally normalised
# linear, with running statistics collected (100 training-mode batches of
# 64) on Gaussian inputs of standard deviation :math:`s`, then evaluated in
# eval mode on inputs of the same scale.
#
# For comparison we bound the constant of the *same weights without batch
# norm* from both sides. From below, by the largest Jacobian norm over 4,096
# inputs. From above, without the crude :math:`1 + 1`: the Jacobian is
# :math:`I + \tilde W_2 D(x) \tilde W_1` with :math:`D(x)` the diagonal 0/1
# matrix of active units. Writing :math:`D = \tfrac12(I + S)` with
# :math:`S` diagonal with entries :math:`\pm1` (so :math:`\|S\|_2 = 1`),
#
# .. math::
#
#    \|I + \tilde W_2 D \tilde W_1\|_2
#    \le \big\|I + \tfrac12 \tilde W_2 \tilde W_1\big\|_2
#    + \tfrac12 \|\tilde W_2\|_2 \|S\|_2 \|\tilde W_1\|_2
#    = \big\|I + \tfrac12 \tilde W_2 \tilde W_1\big\|_2 + \tfrac12
#
# for every activation pattern, so this bounds the constant. The exact
# constant is the largest norm over the activation patterns the inputs can
# reach, exponentially many: computing Lipschitz constants of ReLU networks
# exactly is NP-hard (Virmaux and Scaman, 2018), so two-sided bounds are
# what one can afford.


def bn_block(seed):
    gen = torch.Generator().manual_seed(seed)
    blk = ResidualBlock(DIM, hidden=32, generator=gen)
    lin1, relu, lin2 = blk.branch
    # momentum=None: running statistics are plain averages over the batches seen.
    blk.branch = nn.Sequential(lin1, nn.BatchNorm1d(32, momentum=None), relu, lin2)
    return blk


def collect_running_stats(blk, scale, gen, n_batches=100):
    blk.train()
    with torch.no_grad():
        for _ in range(n_batches):
            blk(scale * torch.randn(64, DIM, generator=gen))
    return blk.eval()


plain = ResidualBlock(DIM, hidden=32, generator=torch.Generator().manual_seed(SEED + 3))  # bn_block's weights, no BN
gen_plain = torch.Generator().manual_seed(SEED + 5)
plain_lower = lipschitz_lower_bound(plain, torch.randn(4096, DIM, generator=gen_plain), n_iter=30, generator=gen_plain)
with torch.no_grad():
    W1, W2 = plain.branch[0].effective_weight(), plain.branch[2].effective_weight()
    plain_upper = torch.linalg.matrix_norm(torch.eye(DIM) + 0.5 * W2 @ W1, ord=2).item() + 0.5
    patterns = (torch.rand(20_000, 32, generator=gen_plain) < 0.5).to(W1.dtype)  # random diagonals D, reachable or not
    pattern_norms = torch.linalg.matrix_norm(torch.eye(DIM) + torch.einsum("ij,nj,jk->nik", W2, patterns, W1), ord=2)
print(f"same weights without batch norm: measured lower bound {plain_lower:.3f}, "
      f"upper bound ||I + W2 W1 / 2|| + 1/2 = {plain_upper:.3f} "
      f"(largest norm over 20,000 random activation patterns: {pattern_norms.max():.3f})")
assert plain_lower <= plain_upper < 2 and pattern_norms.max() <= plain_upper * (1 + 1e-12), (plain_lower, plain_upper)  # the bound, below 2

scales = np.logspace(-3, 2, 11)
bn_upper, bn_lower, min_var, bn_gain_formula, bn_gain_measured = [], [], [], [], []
for s in scales:
    blk = collect_running_stats(bn_block(seed=SEED + 3), float(s), generator)  # same weights for every s
    bn_upper.append(lipschitz_upper_bound(blk))
    probe = float(s) * torch.randn(256, DIM, generator=generator)
    bn_lower.append(lipschitz_lower_bound(blk, probe, n_iter=20, generator=generator))
    bn = blk.branch[1]
    min_var.append(bn.running_var.min().item())
    # Lip(BN) = max_j |gamma_j| / sqrt(var_j + eps), against the measured norm of the (diagonal) BN Jacobian
    bn_gain_formula.append((bn.weight.abs() / torch.sqrt(bn.running_var + bn.eps)).max().item())
    jac = torch.autograd.functional.jacobian(bn, torch.randn(1, 32, generator=generator)).reshape(32, 32)
    bn_gain_measured.append(torch.linalg.matrix_norm(jac, ord=2).item())
print(" input std s   min running var   Lip(BN)   upper bound for T   measured lower bound for T")
for s, v, g, u, lo in zip(scales, min_var, bn_gain_formula, bn_upper, bn_lower):
    print(f"{s:11.3g} {v:17.3g} {g:9.2f} {u:19.2f} {lo:28.2f}")
bn_upper, bn_lower = np.array(bn_upper), np.array(bn_lower)
np.testing.assert_allclose(bn_gain_measured, bn_gain_formula, rtol=1e-10)  # the formula for Lip(BN), against autograd's Jacobian
np.testing.assert_allclose(bn_upper, 1 + np.array(bn_gain_formula), rtol=1e-6)  # Lip(T) <= 1 + ||W2|| Lip(BN) ||W1|| = 1 + Lip(BN)
assert np.all(bn_lower <= bn_upper * (1 + 1e-9))

fig, (ax, ax_zoom) = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained", width_ratios=[1.5, 1])
large = scales >= 1
for a, sel, plot in ((ax, slice(None), ax.loglog), (ax_zoom, large, ax_zoom.semilogx)):
    a.axhline(2.0, color="0.45", lw=1.5, zorder=1, label=r"any 1-Lipschitz branch: $\mathrm{Lip}(T) \leq 2$")
    a.axhspan(plain_lower, plain_upper, color="#CC79A7", alpha=0.45, lw=0, zorder=1,
              label=f"same weights, no batch norm:\nLip(T) between {plain_lower:.2f} (measured) and {plain_upper:.2f} (bound)")
    plot(scales[sel], bn_lower[sel], "o-", color="#0072B2", lw=2, zorder=3, label="with batch norm (eval mode): measured lower bound")
    plot(scales[sel], bn_upper[sel], "s--", color="#D55E00", lw=1.5, mfc="white", ms=7, zorder=4, label="with batch norm: architecture upper bound")
    a.set_xlabel(r"standard deviation $s$ of the training inputs", fontsize=12)
    a.set_ylabel(r"$\mathrm{Lip}(T)$ at test time", fontsize=12)
ax.legend(fontsize=9, loc="upper right")
ax.set_title("With batch norm the test-time constant is set by the training data:\n"
             r"about $\propto 1/s$ in the middle, capped near $1/\sqrt{\varepsilon}$ for tiny $s$", fontsize=11)
ax_zoom.set_ylim(0.9, 1.05 * bn_upper[large].max())
ax_zoom.set_title("Zoom on $s \\geq 1$ (linear scale): for large $s$ below 2,\nand below the same weights without batch norm", fontsize=11)
plt.show()

# %%
# The same weights, the same architecture: only the data the running
# statistics were collected on differ, and the test-time Lipschitz constant
# of the block ranges over two orders of magnitude (measured, not just
# bounded: for small input scales the lower bounds are far above 2). The
# running variances scale like :math:`s^2`, so over the middle of the range
# the gain :math:`1/\sqrt{\hat\sigma^2 + \varepsilon}` falls like
# :math:`1/s`; for tiny :math:`s` the variances drop below
# :math:`\varepsilon`, which takes over and caps the gain near
# :math:`1/\sqrt{\varepsilon} \approx 316`; for large :math:`s` the gain is
# below 1 and the block's bound :math:`1 + \operatorname{Lip}(\mathrm{BN})`
# falls *below* 2 (at :math:`s = 10` at the latest). At :math:`s = 100` it
# is even below the measured lower bound for the same weights without batch
# norm (the shaded band), so there batch norm has provably *shrunk* the
# constant: the block without it stretches some direction more than the
# block with it can stretch any. Batch norm can shrink the constant as well
# as inflate it.
mid = (scales >= 0.03) & (scales <= 0.35)
slope = np.polyfit(np.log(scales[mid]), np.log(bn_upper[mid] - 1), 1)[0]
print(f"log-log slope of Lip(BN) = upper - 1 against s for 0.03 <= s <= 0.35: {slope:.2f}")
assert -1.15 < slope < -0.85, slope  # "falls like 1/s over the middle of the range"
assert bn_upper[0] <= 1 + 1 / np.sqrt(1e-5) and bn_upper[0] > 0.9 * (1 + 1 / np.sqrt(1e-5)), bn_upper[0]  # "capped near 316"
assert bn_upper[0] / bn_upper[1] < 1.1, bn_upper[:2]  # saturation at tiny s
at_10 = int(np.argmin(np.abs(scales - 10)))
print(f"upper bound with batch norm at s = {scales[at_10]:.0f}: {bn_upper[at_10]:.3f}; at s = {scales[-1]:.0f}: {bn_upper[-1]:.3f}; "
      f"same weights without batch norm: at least {plain_lower:.3f}")
assert bn_lower.max() > 50 and bn_upper[at_10] < 2, (bn_lower, bn_upper)  # "far above 2"; "below 2 at s = 10"
assert bn_upper[-1] < plain_lower, (bn_upper[-1], plain_lower)  # "at s = 100 below the no-BN lower bound": BN shrank the constant

# %%
# Training mode: no Lipschitz constant at all
# ---------------------------------------------
# In training mode the output for a fixed input changes with its batch
# mates, so no constant :math:`K` with
# :math:`\|f(x) - f(y)\| \le K \|x - y\|` can hold (take :math:`x = y`).
blk = collect_running_stats(bn_block(seed=SEED + 3), 1.0, generator)
blk.train()
x0 = torch.randn(1, DIM, generator=generator)
with torch.no_grad():
    out_a = blk(torch.cat([x0, torch.randn(31, DIM, generator=generator)]))[0]
    out_b = blk(torch.cat([x0, 3.0 * torch.randn(31, DIM, generator=generator)]))[0]
    blk.eval()
    out_eval = blk(x0)[0]
batch_diff, mode_diff = torch.linalg.norm(out_a - out_b).item(), torch.linalg.norm(out_a - out_eval).item()
print(f"same x in two batches (training mode): ||difference of outputs|| = {batch_diff:.3f}")
print(f"same x, training mode vs eval mode:      ||difference of outputs|| = {mode_diff:.3f}")
assert batch_diff > 0.05 and mode_diff > 0.01, (batch_diff, mode_diff)  # "the output for a fixed input changes"
raised = False
try:
    blk.train()
    lipschitz_upper_bound(blk)
except ValueError as err:
    raised = True
    print("lipschitz_upper_bound in training mode raises ValueError:")
    print(" ", err)
assert raised

# %%
# What to notice
# --------------
# * (a) :math:`\|T(x) - T(y)\| \le \|x - y\| + \|F(x) - F(y)\|`, so
#   :math:`\operatorname{Lip}(T) \le 1 + \operatorname{Lip}(F) \le 2`; a
#   branch :math:`F(x) = x` attains 2. The student answer is right. With
#   :math:`\operatorname{Lip}(F) \le c < 1` the block is also bounded below,
#   :math:`\|T(x) - T(y)\| \ge (1 - c)\|x - y\|`, and both :math:`1 \pm c` are
#   attained.
# * (b) Constants multiply under composition:
#   :math:`\operatorname{Lip}(f) \le \prod_l (1 + \operatorname{Lip}(F_l)) \le 2^L`.
#   The student's "one factor 2 per block" is right in substance; the
#   composition rule is what makes it a proof. Identity branches attain
#   :math:`2^L` exactly (printed table); random spectrally normalised
#   networks measured from below grow only by the printed factor per block,
#   and every measured lower bound stayed below the upper bound.
# * (c) Batch norm breaks the guarantee: at test time it is an affine map with
#   gain :math:`\max_j |\gamma_j|/\sqrt{\hat\sigma_j^2 + \varepsilon}`, fixed by
#   the training data's running variances and not bounded by the architecture
#   (measured above: far above 2 when the training inputs have a small
#   scale, capped only by :math:`|\gamma_j|/\sqrt{\varepsilon}`, and below 2,
#   even below the constant of the same weights without batch norm, when
#   they have a large one); the product bound becomes
#   :math:`\prod_l (1 + \operatorname{Lip}(F_l))` with
#   :math:`\operatorname{Lip}(F_l) \le \operatorname{Lip}(\mathrm{BN}_l)`
#   for spectrally normalised weights; the network used in training is a
#   different function from the one used at test time; and in training mode
#   the output for one input depends on the rest of the batch, so there is no
#   per-input Lipschitz constant at all.
#
# References: T. Miyato, T. Kataoka, M. Koyama and Y. Yoshida, *Spectral
# normalization for generative adversarial networks*, ICLR 2018 (weights
# divided by their spectral norm, there estimated by power iteration; we
# compute it exactly); J. Behrmann, W. Grathwohl, R. T. Q. Chen, D. Duvenaud
# and J.-H. Jacobsen, *Invertible residual networks*, ICML 2019 (blocks with
# :math:`\operatorname{Lip}(F) < 1` are invertible, and the network is
# bi-Lipschitz); A. Virmaux and K. Scaman, *Lipschitz regularity of deep
# neural networks: analysis and efficient estimation*, NeurIPS 2018 (exact
# computation is NP-hard; better upper bounds than the product); H. Gouk,
# E. Frank, B. Pfahringer and M. J. Cree, *Regularisation of neural networks
# by enforcing Lipschitz continuity*, Machine Learning 110, 2021 (including
# a constraint on batch norm's gain).
