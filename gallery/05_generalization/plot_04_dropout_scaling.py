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
a nonlinearity, and exactly again, as a geometric mean, for a softmax output
whose logits stay multilinear in the masks), measure how many sampled masks
the one scaled pass is worth against Monte-Carlo averaging, and show that
the two dropout versions represent the same functions but are not trained
identically by SGD with the same learning rate.
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
# :math:`10 \to 100 \to 100 \to 1` with dropout after each hidden layer,
# using :class:`~nntheory.models.dropout.StandardDropout`, and average over
# :math:`10\,000` masks, for ``p_keep = 0.5`` and ``p_keep = 0.8``. The second
# matters: at :math:`p_{\text{keep}} = 0.5` the keep and the drop probability
# coincide, so a check there cannot tell the right factor from the
# convention trap of scaling by the *drop* probability. We therefore also
# scale by :math:`1 - p_{\text{keep}}` (the csc413 sheet's :math:`p`, the wrong
# factor) to see the trap fail.
from statistics import NormalDist

import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.models.dropout import InvertedDropout, StandardDropout
from nntheory.seeding import base_seed

SEED = base_seed(0)
generator = torch.Generator().manual_seed(SEED)
torch.set_default_dtype(torch.float64)
# Products this small run fastest on one thread (two threads spend most of their time
# synchronising; the results do not depend on it); sphinx-gallery restores the setting.
torch.set_num_threads(1)
x = torch.randn(64, 10, generator=generator)  # 64 test inputs
lin1, lin2, lin3 = (torch.nn.Linear(i, o) for i, o in ((10, 100), (100, 100), (100, 1)))
with torch.no_grad():
    for lin in (lin1, lin2, lin3):
        lin.weight.copy_(torch.randn(lin.weight.shape, generator=generator) * (2 / lin.in_features) ** 0.5)
        lin.bias.copy_(0.1 * torch.randn(lin.bias.shape, generator=generator))


def forward(h1, drops, mode):
    """Returns (pre-activation after the first dropout, second hidden layer, network output).

    h1: the first hidden layer relu(lin1(x)), (n, 100); it comes before any dropout.

    mode: "train" (random masks), "eval" (the library's test-time scaling by p_keep),
    "unscaled" (dropout switched off, no scaling) or "drop-prob" (scaled by 1 - p_keep: the trap).
    """
    for d in drops:
        d.train(mode == "train")
    scale = {"unscaled": 1.0, "drop-prob": 1 - drops[0].p_keep}.get(mode)
    a2 = lin2(drops[0](h1) if scale is None else scale * h1)
    h2 = torch.relu(a2)
    return a2, h2, lin3(drops[1](h2) if scale is None else scale * h2)


with torch.no_grad():
    h1 = torch.relu(lin1(x))  # (64, 100)


def mask_average(p_keep, n_masks=10_000, chunk=100):
    """Monte Carlo over masks: means and standard errors of a2, h2 and the output, each (64, n_units);
    the smallest and largest a2 seen, (64, 100); and the output under every mask, (n_masks, 64)."""
    drops = [StandardDropout(p_keep, generator=generator) for _ in range(2)]
    sums = [0.0] * 3
    squares = [0.0] * 3
    a2_min, a2_max, outputs = torch.full((64, 100), torch.inf), torch.full((64, 100), -torch.inf), []
    with torch.no_grad():
        h1_chunk = h1.repeat(chunk, 1)  # the 64 inputs, chunk times
        for _ in range(n_masks // chunk):
            outs = forward(h1_chunk, drops, "train")  # chunk masks at once: (chunk * 64, ...)
            for i, o in enumerate(outs):
                o = o.view(chunk, 64, -1)
                sums[i] = sums[i] + o.sum(0)
                squares[i] = squares[i] + (o**2).sum(0)
            a2 = outs[0].view(chunk, 64, 100)
            a2_min, a2_max = torch.minimum(a2_min, a2.amin(0)), torch.maximum(a2_max, a2.amax(0))
            outputs.append(outs[2].view(chunk, 64))
    means = [s_ / n_masks for s_ in sums]
    ses = [((q / n_masks - m**2) / n_masks).sqrt() for q, m in zip(squares, means)]
    with torch.no_grad():
        passes = {mode: forward(h1, drops, mode) for mode in ("eval", "unscaled", "drop-prob")}
    return means, ses, passes, (a2_min, a2_max, torch.cat(outputs))


def rel(a, b):
    return ((a - b).norm() / b.norm()).item()


results = {p_keep: mask_average(p_keep) for p_keep in (0.5, 0.8)}
print("relative error |pass - MC mean| / |MC mean| of the pre-activation a2 after the first dropout layer")
print("p_keep   scaled by p_keep   scaled by 1 - p_keep (trap)   unscaled")
for p_keep, (means, ses, passes, _) in results.items():
    print(f"{p_keep:5.1f}    {rel(passes['eval'][0], means[0]):10.4f}         {rel(passes['drop-prob'][0], means[0]):10.4f}"
          f"                   {rel(passes['unscaled'][0], means[0]):.4f}")

# %%
# Scaling by :math:`p_{\text{keep}}` matches the mean over masks up to Monte
# Carlo error for both keep probabilities; scaling by the drop probability
# is right only at :math:`p_{\text{keep}} = 0.5` and far off at 0.8 (it shrinks
# the sum by :math:`0.2/0.8`); the unscaled pass is off by the factor
# :math:`1/p_{\text{keep}}`, i.e. by a relative error of about
# :math:`1/p_{\text{keep}} - 1`.
#
# "Up to Monte Carlo error" needs a yardstick that is not circular. For each
# of the :math:`64 \times 100 = 6400` pre-activations,
# :math:`z = (\text{scaled} - \text{MC mean})/\text{se}` is approximately
# standard normal if the scaled pass is the exact mean (by the central limit
# theorem, with an estimated standard error). The largest of 6400 such
# values is large even then: for independent values its median is printed
# below, and by the union bound (valid whatever the correlations between
# them) it exceeds :math:`z^\ast`, defined by
# :math:`2\cdot 6400\,\Phi(-z^\ast) = 10^{-4}`, with probability
# approximately at most :math:`10^{-4}` ("approximately" because the
# :math:`z` are only approximately normal). The same test rejects the trap
# factor at once.
n_z = 64 * 100
z_median = -NormalDist().inv_cdf((1 - 0.5 ** (1 / n_z)) / 2)
z_star = -NormalDist().inv_cdf(1e-4 / (2 * n_z))
print(f"largest |z| of {n_z} independent standard normal values: median {z_median:.2f}; union-bound threshold at 1e-4: {z_star:.2f}")
max_z = {}
for p_keep, (means, ses, passes, _) in results.items():
    max_z[p_keep] = {m: ((passes[m][0] - means[0]).abs() / ses[0]).max().item() for m in ("eval", "drop-prob")}
    print(f"p_keep = {p_keep}: largest |z| of the scaled pass {max_z[p_keep]['eval']:.2f}, "
          f"of the pass scaled by 1 - p_keep {max_z[p_keep]['drop-prob']:.1f}")
for p_keep, (means, ses, passes, _) in results.items():
    assert max_z[p_keep]["eval"] < z_star, (p_keep, max_z)  # the scaled pass is the mean over masks
    assert abs(rel(passes["unscaled"][0], means[0]) - (1 / p_keep - 1)) < 0.2 * (1 / p_keep - 1), p_keep  # off by 1/p_keep
means, ses, passes, _ = results[0.8]
assert rel(passes["drop-prob"][0], means[0]) > 0.5, rel(passes["drop-prob"][0], means[0])  # the trap fails at p_keep != 0.5
assert max_z[0.8]["drop-prob"] > 10 * z_star, max_z  # by far more than Monte Carlo error

# %%
# After a nonlinearity
# --------------------
# The network output passes through a ReLU after the second layer, and
# there the rule is only an approximation. Jensen's inequality says in which
# direction the hidden layer errs: ReLU is convex, so
# :math:`\E[\operatorname{relu}(a)] \ge \operatorname{relu}(\E[a])`, and
# the scaled pass (which computes :math:`\operatorname{relu}(\E[a])` in the
# second hidden layer) never overestimates the mean activation over masks
# of a unit. Equality holds exactly for a unit whose sign does not depend
# on the mask: if :math:`a \ge 0` under every mask, the ReLU is the identity
# on all of them; if :math:`a \le 0` under every mask (a unit never active),
# both sides are 0. For any other unit the inequality is strict: if
# :math:`\E[a] \ge 0`, :math:`\operatorname{relu}(a) > a` on the masks with
# :math:`a < 0`; if :math:`\E[a] < 0`, :math:`\operatorname{relu}(a) > 0 =
# \operatorname{relu}(\E[a])` on the masks with :math:`a > 0`. The same
# holds for the empirical distribution of our sampled masks, so we sort the
# 6400 (unit, input) pairs by whether :math:`a` kept one sign under every
# sampled mask, and check both cases: the empirical gap
# :math:`\overline{\operatorname{relu}(a)} - \operatorname{relu}(\bar a)`
# is zero to rounding on the sign-constant pairs and positive on all the
# others; and on the sign-constant pairs the scaled pass agrees with the
# Monte Carlo mean activation within the union-bound threshold. (The
# counts are printed; at :math:`p_{\text{keep}} = 0.8`, with fewer units
# dropped, more pairs keep their sign.)
#
# The output, a signed combination of those activations, is off in either
# direction: for some inputs the scaled pass lies above the mean output over
# masks, for others below, each by more than the union-bound threshold
# :math:`z^\ast` (counts printed), and the relative error printed below is
# far outside the Monte Carlo error.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
for p_keep, (means, ses, passes, (a2_min, a2_max, _)) in results.items():
    a2_mc, h2_mc, out_mc = means
    jensen = ((h2_mc - torch.relu(passes["eval"][0])) / ses[1].clamp_min(1e-300)).min().item()  # >= 0 up to noise
    always, never = a2_min >= 0, a2_max <= 0  # the sign of a2 did not depend on the sampled mask
    constant = always | never
    gap = h2_mc - torch.relu(a2_mc)  # Jensen's gap on the empirical distribution of the masks, (64, 100)
    z_constant = ((h2_mc - torch.relu(passes["eval"][0])) / ses[1].clamp_min(1e-300))[constant].abs()
    out_z_signed = (passes["eval"][2] - out_mc) / ses[2]  # (64, 1)
    above, below = int((out_z_signed > z_star).sum()), int((out_z_signed < -z_star).sum())
    out_rel = rel(passes["eval"][2], out_mc)
    out_z = out_z_signed.abs().max().item()
    print(f"p_keep = {p_keep}: (unit, input) pairs with a2 >= 0 under every sampled mask {int(always.sum())}, "
          f"<= 0 under every mask {int(never.sum())}, both signs {int((~constant).sum())}")
    on_constant = (f"largest |gap| on sign-constant pairs {gap[constant].abs().max().item():.1e}, largest |z| of the scaled "
                   f"pass there {z_constant.max().item():.2f}" if constant.any() else "no sign-constant pairs")
    print(f"    empirical Jensen gap: {on_constant}; smallest gap on the others {gap[~constant].min().item():.1e}")
    print(f"    smallest (E[relu(a)] - relu(E[a])) / se over all 6400 pairs: {jensen:.2f}")
    print(f"    output |scaled - MC mean| / |MC mean| = {out_rel:.3f} (largest |z| {out_z:.0f}); scaled pass above the "
          f"mean by more than z* for {above} inputs, below for {below}; unscaled: {rel(passes['unscaled'][2], out_mc):.3f}")
    assert jensen > -z_star, jensen  # Jensen: the mean activation is never below the scaled pass's, up to noise
    assert not constant.any() or gap[constant].abs().max() < 1e-12, gap[constant]  # equality if the sign is fixed
    assert gap[~constant].min() > 0, gap[~constant].min()  # strict otherwise
    assert not constant.any() or z_constant.max() < z_star, z_constant.max()  # equality for the true mean, up to noise
    assert above >= 1 and below >= 1, (above, below)  # "off in either direction", each beyond noise
    assert out_z > 3 * z_star, out_z  # the output is visibly, not noisily, off
n_constant = {p: int(((r[3][0] >= 0) | (r[3][1] <= 0)).sum()) for p, r in results.items()}
assert n_constant[0.8] > n_constant[0.5], n_constant  # "at p_keep = 0.8 more pairs keep their sign"

means, ses, passes, _ = results[0.8]
for ax, mc, idx, name in ((axes[0], means[0], 0, "pre-activation $a^{(2)}$ (linear in the mask)"),
                          (axes[1], means[2], 2, "network output (after a ReLU)")):
    ax.scatter(mc.flatten(), passes["unscaled"][idx].flatten(), s=8, color="#D55E00", alpha=0.6, label="no test-time scaling")
    ax.scatter(mc.flatten(), passes["drop-prob"][idx].flatten(), s=8, color="#CC79A7", alpha=0.6,
               label=r"scaled by $1 - p_{\mathrm{keep}}$ (the trap)")
    ax.scatter(mc.flatten(), passes["eval"][idx].flatten(), s=8, color="#0072B2", alpha=0.6, label=r"scaled by $p_{\mathrm{keep}}$")
    lim = [mc.min().item(), mc.max().item()]
    ax.plot(lim, lim, "k--", lw=1, label="equality")
    ax.set_xlabel(r"mean over 10 000 dropout masks, $\mathbb{E}_r[\cdot]$")
    ax.set_ylabel("deterministic test-time pass")
    ax.set_title(name, fontsize=11)
    ax.legend(fontsize=9)
fig.suptitle("$p_{\\mathrm{keep}} = 0.8$: scaling by $p_{\\mathrm{keep}}$ matches the mean over masks exactly before a ReLU, only approximately after", fontsize=11)
fig.tight_layout()

# %%
# Weight scaling against Monte-Carlo averaging
# --------------------------------------------
# The alternative to the rule is to keep dropout on at test time and average
# the outputs of :math:`k` sampled masks ("Monte-Carlo model averaging"): it
# is unbiased for the ensemble's mean output :math:`\E_r[\hat y]`, but costs
# :math:`k` forward passes and is noisy. Srivastava et al. (2014, Section 7.5)
# compare the two on MNIST by the test error as a function of :math:`k`, and
# Goodfellow, Bengio and Courville (2016, Section 7.12) review such
# comparisons and conclude that the better choice is problem-dependent. For
# our network the comparison has a closed form. The average of :math:`k`
# independent masks has mean squared distance :math:`\operatorname{tr}\Sigma/k`
# to :math:`\E_r[\hat y]`, with :math:`\Sigma` the covariance over masks of
# the 64 outputs, while the scaled pass has a fixed error
# :math:`\|b\| = \|\hat y_{\text{scaled}} - \E_r[\hat y]\|`. The two cross at
#
# .. math::
#
#    k^\ast = \operatorname{tr}\Sigma / \|b\|^2 :
#
# below :math:`k^\ast` the single scaled pass is closer to the ensemble mean
# than the average of :math:`k` masks, above it the average is closer; that
# is how many masks the rule is worth. We estimate :math:`\operatorname{tr}\Sigma`
# from the 10,000 masks and :math:`\|b\|^2` as
# :math:`\|\hat y_{\text{scaled}} - \bar y\|^2 - \operatorname{tr}\Sigma/n`
# (the Monte Carlo mean :math:`\bar y` of :math:`n` masks is itself off by
# :math:`\operatorname{tr}\Sigma/n` in mean square). To check the :math:`1/k`
# law we split the masks into disjoint groups of :math:`k` and compare each
# group's mean with the mean of all the other masks, which is independent of
# it, so the expected squared distance is
# :math:`\operatorname{tr}\Sigma\,(1/k + 1/(n-k))`; each measured mean is
# asserted within four standard errors (over the groups) of it for
# :math:`k \ge 2` (at :math:`k = 1` the two agree identically).
k_grid = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
fig, ax = plt.subplots(figsize=(11, 4.6))
k_star, mc_curves, rule_error = {}, {}, {}
for (p_keep, (means, ses, passes, (_, _, outputs))), color in zip(results.items(), ("#0072B2", "#D55E00")):
    n = outputs.shape[0]  # outputs: (n_masks, 64)
    mu, scale = outputs.mean(0), outputs.mean(0).norm().item()
    tr_sigma = outputs.var(0).sum().item()
    bias_sq = (passes["eval"][2][:, 0] - mu).norm().item() ** 2 - tr_sigma / n
    rule_error[p_keep], k_star[p_keep] = bias_sq**0.5 / scale, tr_sigma / bias_sq
    rms, z_k = [], []
    for k in k_grid:
        groups = outputs[: (n // k) * k].view(n // k, k, 64).mean(1)  # (n // k, 64)
        rest = (n * mu - k * groups) / (n - k)  # mean of the other n - k masks
        sq = ((groups - rest) ** 2).sum(1) / scale**2
        expected = tr_sigma * (1 / k + 1 / (n - k)) / scale**2
        rms.append(sq.mean().sqrt().item())
        z_k.append((sq.mean().item() - expected) / (sq.std().item() / len(sq) ** 0.5))
    mc_curves[p_keep] = np.array(rms)
    print(f"p_keep = {p_keep}: scaled pass off by {rule_error[p_keep]:.3f} of |E_r[y]|; one mask by "
          f"{tr_sigma**0.5 / scale:.2f}; k* = tr(Sigma) / |b|^2 = {k_star[p_keep]:.0f} masks")
    print("    measured vs expected mean square for k = " + ", ".join(f"{k}: {z:+.1f} se" for k, z in zip(k_grid[1:], z_k[1:])))
    assert all(abs(z) < 4 for z in z_k[1:]), z_k  # the 1/k law, within four standard errors
    ks = np.logspace(0, 4, 50)
    ax.loglog(ks, (tr_sigma / ks) ** 0.5 / scale, color=color, lw=2, label=f"average of $k$ masks, $p_{{\\mathrm{{keep}}}} = {p_keep}$: "
              r"$\sqrt{\mathrm{tr}\,\Sigma / k}\,/\,\|\mathbb{E}_r[\hat y]\|$")
    ax.loglog(k_grid, rms, "o", color=color, ms=6, mfc="white", label="  measured (disjoint groups of our 10,000 masks)")
    ax.axhline(rule_error[p_keep], color=color, ls="--", lw=1.5, label=f"  scaled pass (one forward pass); $k^\\ast = {k_star[p_keep]:.0f}$")
    ax.axvline(k_star[p_keep], color=color, ls=":", lw=1)
ax.set_xlabel("number of sampled masks $k$")
ax.set_ylabel(r"$\|\hat y - \mathbb{E}_r[\hat y]\| \,/\, \|\mathbb{E}_r[\hat y]\|$")
ax.set_title("The scaled pass is worth $k^\\ast$ sampled masks:\naveraging fewer is worse, more is better", fontsize=11)
ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.02, 0.5))  # outside the axes: nothing hidden
fig.tight_layout()

# %%
# For this network the rule is worth a few tens to about a hundred masks
# (the printed :math:`k^\ast`, asserted between 10 and 200): one scaled
# pass beats the average of up to :math:`k^\ast` sampled masks, and loses to
# the average of many more, which converges to the ensemble mean. The
# measured errors confirm it on both sides: every :math:`k \le k^\ast/2` of
# the grid is worse than the scaled pass, every :math:`k \ge 2k^\ast` better.
for p_keep in results:
    assert 10 < k_star[p_keep] < 200, k_star  # "a few tens to about a hundred"
    below, above = mc_curves[p_keep][np.array(k_grid) <= k_star[p_keep] / 2], mc_curves[p_keep][np.array(k_grid) >= 2 * k_star[p_keep]]
    assert len(below) and len(above) and below.min() > rule_error[p_keep] > above.max(), (p_keep, below, above, rule_error)

# %%
# A softmax output: exact as a geometric mean
# -------------------------------------------
# For a classifier there is an exact statement after the nonlinearity
# (Hinton et al., 2012; derived on :doc:`plot_02_bagging_ols`): if dropout
# acts only on the last hidden layer :math:`h` before a softmax, the scaled
# pass :math:`\operatorname{softmax}(p_{\text{keep}}Wh + b)` equals the
# renormalised geometric mean of the subnetworks' predicted distributions,
# each weighted by the probability of its mask, because the logits are
# linear in the mask: the weighted geometric mean is
# :math:`\operatorname{softmax}(\E_r[z])`, and :math:`\E_r[z]` is the scaled
# pass's logit vector. The identity needs only that, so it survives dropout
# on several layers as long as the logits' expectation over the masks is
# still the scaled pass's logits. With dropout on two hidden layers and an
# *identity* activation between them, the logits
# :math:`W_3(r_2 \odot (W_2(r_1 \odot h_1) + b_2)) + b_3` are multilinear in
# the independent masks :math:`(r_1, r_2)`, the expectation factorises and
# the identity holds (Goodfellow et al., 2016, Section 7.12, list deep
# networks whose hidden layers have no nonlinearities among the cases where
# the rule is exact). With a ReLU between the two dropout layers it fails,
# because :math:`\E[\operatorname{relu}(\cdot)] \ne
# \operatorname{relu}(\E[\cdot])` (previous section): what breaks it is the
# nonlinearity between dropout layers, not their number. We enumerate all
# masks of a small classifier :math:`10 \to 6 \to 6 \to 4` (first layer
# ReLU; dropout on both hidden layers, :math:`2^{12} = 4096` joint masks;
# between them a ReLU or the identity), at ``p_keep = 0.8``.
from nntheory.models.dropout import all_masks, mask_probabilities  # noqa: E402

p_keep = 0.8
c1, c2, c3 = (torch.nn.Linear(i, o) for i, o in ((10, 6), (6, 6), (6, 4)))
with torch.no_grad():
    for lin in (c1, c2, c3):
        lin.weight.copy_(torch.randn(lin.weight.shape, generator=generator) * (2 / lin.in_features) ** 0.5)
        lin.bias.copy_(0.1 * torch.randn(lin.bias.shape, generator=generator))
masks = all_masks(6)  # (64, 6)
prob = mask_probabilities(masks, p_keep)  # (64,)
with torch.no_grad():
    h1 = torch.relu(c1(x))  # (64 inputs, 6)
    h2_all = torch.relu(c2(h1[None] * masks[:, None, :]))  # one per first-layer mask: (64 masks, 64 inputs, 6)
    log_o = torch.log_softmax(c3(h2_all[:, None] * masks[None, :, None, :]), dim=-1)  # (mask1, mask2, inputs, classes)
    weight = (prob[:, None] * prob[None, :])[:, :, None, None]  # P(mask1) P(mask2)
    geo_both = torch.softmax((weight * log_o).sum((0, 1)), dim=-1)
    geo_last = torch.softmax((prob[:, None, None] * log_o[-1]).sum(0), dim=-1)  # first layer kept whole (mask1 = all ones)
    scaled_last = torch.softmax(c3(p_keep * torch.relu(c2(h1))), dim=-1)
    scaled_both = torch.softmax(c3(p_keep * torch.relu(c2(p_keep * h1))), dim=-1)
    arith_last = (prob[:, None, None] * log_o[-1].exp()).sum(0)
    # the same network with the identity instead of the ReLU between the two dropout layers
    log_o_lin = torch.log_softmax(c3(c2(h1[None] * masks[:, None, :])[:, None] * masks[None, :, None, :]), dim=-1)
    geo_lin = torch.softmax((weight * log_o_lin).sum((0, 1)), dim=-1)
    scaled_lin = torch.softmax(c3(p_keep * c2(p_keep * h1)), dim=-1)
diff_last = (geo_last - scaled_last).abs().max().item()
diff_both = (geo_both - scaled_both).abs().max().item()
diff_lin = (geo_lin - scaled_lin).abs().max().item()
diff_arith = (arith_last - scaled_last).abs().max().item()
print(f"dropout on the last hidden layer only: max |weighted geometric mean - scaled softmax| = {diff_last:.1e}; "
      f"arithmetic mean instead: {diff_arith:.3f}")
print(f"dropout on both hidden layers, identity between them: max |weighted geometric mean - scaled softmax| = {diff_lin:.1e}")
print(f"dropout on both hidden layers, ReLU between them    : max |weighted geometric mean - scaled softmax| = {diff_both:.3f}")
assert diff_last < 1e-12, diff_last  # exact, for p_keep = 0.8 as for 0.5
assert diff_arith > 1e-3, diff_arith  # a geometric, not an arithmetic, mean
assert diff_lin < 1e-12, diff_lin  # exact with two dropout layers when the logits stay multilinear in the masks
assert diff_both > 1e-3, diff_both  # not exact with a ReLU between the dropout layers

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
# for :math:`p_{\text{keep}} = 0.5`, 1.5625 times for 0.8), while all other
# parameters learn at the same rate. Standard dropout with rate :math:`\eta` is reproduced exactly by
# inverted dropout with rate :math:`p_{\text{keep}}^2\eta` on those weights only.
# Likewise a weight decay :math:`\lambda\|W'\|^2` on the inverted net is
# :math:`\lambda p_{\text{keep}}^2 \|W\|^2` on the standard one: the same
# :math:`\lambda` means a different penalty. Adam is nearly invariant to the
# scale of the gradient: its step :math:`\hat m/(\sqrt{\hat v} + \epsilon)`
# becomes :math:`\hat m/(\sqrt{\hat v} + p_{\text{keep}}\epsilon')` for the
# gradient :math:`\nabla_W\mathcal L/p_{\text{keep}}`, so it needs a rate
# :math:`p_{\text{keep}}\eta` instead, and reproduces the standard run exactly
# with :math:`\epsilon' = \epsilon/p_{\text{keep}}`, nearly with the same
# :math:`\epsilon`.
#
# We train a :math:`10 \to 64 \to 5` ReLU regressor with dropout on the hidden
# layer (``p_keep = 0.8``, so that :math:`p_{\text{keep}}^2` and
# :math:`(1-p_{\text{keep}})^2` differ), on teacher–student data
# (:mod:`nntheory.data.teacher_student`), by SGD with minibatches of 20,
# from equivalent initial weights and with *identical* dropout masks and
# minibatches (each run gets generators with the same seeds): standard
# dropout (rate :math:`\eta`), inverted dropout (rate :math:`\eta`), and
# inverted dropout with rate :math:`p_{\text{keep}}^2\eta` on the output
# weights, and, as the convention trap, with :math:`(1-p_{\text{keep}})^2\eta`.
p_keep = 0.8
data = sample_teacher_student(make_teacher(seed=0), 200, 2000, noise_std=0.3, generator=generator)
init = torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.ReLU(), torch.nn.Linear(64, 5))
with torch.no_grad():  # torch's default ranges, drawn from our generator
    for lin in (init[0], init[2]):
        for t in (lin.weight, lin.bias):
            t.copy_((2 * torch.rand(t.shape, generator=generator) - 1) / lin.in_features**0.5)


def train(kind, lr, lr_out, n_epochs=60, batch_size=20, weight_decay=0.0, optimizer="sgd", eps_out=1e-8):
    """(S)GD on a 10 -> 64 -> 5 net with dropout after the hidden layer; returns test losses per epoch and test predictions."""
    net = torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.ReLU(), torch.nn.Linear(64, 5))
    net.load_state_dict(init.state_dict())
    masks = torch.Generator().manual_seed(SEED + 123)  # same masks in every run
    order = torch.Generator().manual_seed(SEED + 7)  # same minibatches in every run
    drop = StandardDropout(p_keep, generator=masks) if kind == "standard" else InvertedDropout(p_keep, generator=masks)
    if kind != "standard":
        with torch.no_grad():
            net[2].weight.mul_(p_keep)  # W' = p_keep W: the same function
    groups = [{"params": [net[0].weight, net[0].bias, net[2].bias], "lr": lr},
              {"params": [net[2].weight], "lr": lr_out, "weight_decay": weight_decay}]
    if optimizer == "sgd":
        opt = torch.optim.SGD(groups)
    else:
        groups[1]["eps"] = eps_out
        opt = torch.optim.Adam(groups)
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


def max_diff(a, b):
    return (a - b).abs().max().item()


lr = 0.05
loss_std, pred_std = train("standard", lr, lr)
loss_inv, pred_inv = train("inverted", lr, lr)
loss_fix, pred_fix = train("inverted", lr, p_keep**2 * lr)
loss_trap, pred_trap = train("inverted", lr, (1 - p_keep) ** 2 * lr)
print(f"test loss after 60 epochs: standard (lr {lr}) {loss_std[-1]:.4f} | inverted (lr {lr}) {loss_inv[-1]:.4f} | "
      f"inverted (lr {p_keep**2 * lr:.4f} on output weights) {loss_fix[-1]:.4f} | "
      f"inverted (lr {(1 - p_keep) ** 2 * lr:.4f}, the trap) {loss_trap[-1]:.4f}")
print(f"max |test prediction difference| to the standard run: inverted, same lr {max_diff(pred_std, pred_inv):.3e}; "
      f"with p_keep^2 lr {max_diff(pred_std, pred_fix):.1e}; with (1 - p_keep)^2 lr {max_diff(pred_std, pred_trap):.3e}")

fig, ax = plt.subplots(figsize=(7, 4.2))
epochs = np.arange(1, len(loss_std) + 1)
ax.plot(epochs, loss_std, color="#0072B2", lw=3, label=r"standard, $\eta$")
ax.plot(epochs, loss_inv, color="#D55E00", lw=2, label=r"inverted, $\eta$")
ax.plot(epochs, loss_trap, ":", color="#CC79A7", lw=2, label=r"inverted, $(1-p_{\mathrm{keep}})^2\eta$ on output weights")
ax.plot(epochs, loss_fix, "--", color="k", lw=1.5, label=r"inverted, $p_{\mathrm{keep}}^2\eta$ on output weights")
ax.set_xlabel("epoch")
ax.set_ylabel("test loss (MSE)")
ax.set_yscale("log")
ax.set_title("$p_{\\mathrm{keep}} = 0.8$, same masks: inverted dropout matches standard\nonly with the rate $p_{\\mathrm{keep}}^2\\eta$ on the output weights",
             fontsize=11)
ax.legend(fontsize=9)
fig.tight_layout()

# %%
# At the same rate the runs differ visibly; with rate
# :math:`p_{\text{keep}}^2\eta` the inverted run reproduces the standard one to
# rounding error (the two compute the same numbers in a different order of
# multiplications by :math:`p_{\text{keep}}`); with
# :math:`(1-p_{\text{keep}})^2\eta` it does not.
assert max_diff(pred_std, pred_inv) > 1e-3, max_diff(pred_std, pred_inv)
assert max_diff(pred_std, pred_fix) < 1e-10, max_diff(pred_std, pred_fix)  # "to rounding error"
assert max_diff(pred_std, pred_trap) > 1e-3, max_diff(pred_std, pred_trap)

# %%
# Weight decay and Adam
# ---------------------
# Add a weight decay :math:`\lambda` on the output weights (``weight_decay``
# of :class:`torch.optim.SGD`, the gradient of :math:`\frac{\lambda}{2}\|W\|^2`).
# In the standard parameterisation the step is
# :math:`W \leftarrow W - \eta(\nabla_W\mathcal L + \lambda W)`. The inverted
# net with rate :math:`p_{\text{keep}}^2\eta` and decay :math:`\lambda'` moves
# :math:`W = W'/p_{\text{keep}}` by
# :math:`-\eta\nabla_W\mathcal L - p_{\text{keep}}^2\eta\lambda' W`, so it
# matches only for :math:`\lambda' = \lambda/p_{\text{keep}}^2`: the same
# coefficient is a weaker penalty on the inverted net. Then Adam, standard
# with rate :math:`\eta_A` against inverted with :math:`p_{\text{keep}}\eta_A` on
# the output weights, with :math:`\epsilon/p_{\text{keep}}` and with the same
# :math:`\epsilon`.
wd = 0.05
_, pred_std_wd = train("standard", lr, lr, weight_decay=wd)
_, pred_inv_same = train("inverted", lr, p_keep**2 * lr, weight_decay=wd)
_, pred_inv_scaled = train("inverted", lr, p_keep**2 * lr, weight_decay=wd / p_keep**2)
print(f"weight decay {wd} on the standard net; max |test prediction difference| to the inverted net with "
      f"decay {wd}: {max_diff(pred_std_wd, pred_inv_same):.3e}, with decay {wd / p_keep**2:.4g}: {max_diff(pred_std_wd, pred_inv_scaled):.1e}")
lr_adam, eps = 1e-3, 1e-8
_, pred_adam = train("standard", lr_adam, lr_adam, optimizer="adam", eps_out=eps)
_, pred_adam_same = train("inverted", lr_adam, lr_adam, optimizer="adam", eps_out=eps)
_, pred_adam_fix = train("inverted", lr_adam, p_keep * lr_adam, optimizer="adam", eps_out=eps / p_keep)
_, pred_adam_near = train("inverted", lr_adam, p_keep * lr_adam, optimizer="adam", eps_out=eps)
print(f"Adam: max |test prediction difference| to the standard run: inverted, same rate {max_diff(pred_adam, pred_adam_same):.3e}; "
      f"rate p_keep lr and eps / p_keep {max_diff(pred_adam, pred_adam_fix):.1e}; rate p_keep lr, same eps {max_diff(pred_adam, pred_adam_near):.1e}")

# %%
# The same decay coefficient gives a different run; :math:`\lambda/p_{\text{keep}}^2`
# reproduces the standard one to rounding. For Adam the rate
# :math:`p_{\text{keep}}\eta_A` with :math:`\epsilon/p_{\text{keep}}` reproduces it
# to rounding, with the same :math:`\epsilon` nearly (the printed difference
# is orders of magnitude below the one at the same rate).
assert max_diff(pred_std_wd, pred_inv_same) > 1e-3, max_diff(pred_std_wd, pred_inv_same)
assert max_diff(pred_std_wd, pred_inv_scaled) < 1e-10, max_diff(pred_std_wd, pred_inv_scaled)
assert max_diff(pred_adam, pred_adam_fix) < 1e-10, max_diff(pred_adam, pred_adam_fix)
assert max_diff(pred_adam, pred_adam_same) > 1e-3, max_diff(pred_adam, pred_adam_same)
assert max_diff(pred_adam, pred_adam_near) < 1e-3 * max_diff(pred_adam, pred_adam_same), (pred_adam_near, pred_adam_same)

# %%
# What to notice
# --------------
# **Why scale (both sheets).** After the linear layer that follows dropout,
# the deterministic pass scaled by :math:`p_{\text{keep}}` equals the average
# over masks up to Monte Carlo error, for :math:`p_{\text{keep}} = 0.5` and
# 0.8 alike: the largest of the 6400 standardised differences stays below
# the union-bound threshold, as it would for exact agreement. Scaling by the
# drop probability instead, the csc413 trap, coincides with the right rule
# only at :math:`p_{\text{keep}} = 0.5` and is far off at 0.8; the unscaled pass
# is off by the factor :math:`1/p_{\text{keep}}`. After a ReLU the scaled pass
# is only an approximation (relative errors printed): the rule is exact where
# the network is linear in the mask, and by Jensen the hidden ReLU units' mean
# activations are never below the scaled pass's, with equality exactly for
# the units whose sign does not depend on the mask; the output errs in both
# directions. Against Monte-Carlo averaging, the one scaled pass is worth
# :math:`k^\ast` sampled masks, a few tens to about a hundred here. For a
# softmax output it is exact in a different sense: it is the normalised
# geometric mean of all subnetworks, as long as the logits stay multilinear
# in the masks (one dropout layer, or several with no nonlinearity between
# them); a ReLU between two dropout layers breaks it. Without the scaling the
# network's test-time inputs to each layer are systematically larger than
# anything it was trained on, and its predictions are not meaningful; with
# the csc413 convention (drop probability :math:`p`) the factor is
# :math:`1 - p`.
#
# **Standard against inverted.** As models they are equivalent: a weight
# rescaling by :math:`p_{\text{keep}}` maps one onto the other in both training
# and test mode, and the expected activations agree. As training procedures
# they are not: at the same SGD learning rate the inverted net's post-dropout
# weights move :math:`1/p_{\text{keep}}^2` times faster in the common
# parameterisation, so the two runs diverge (third figure, and the printed
# prediction difference), although they use identical masks and
# minibatches. Scaling that learning rate by :math:`p_{\text{keep}}^2`, not by
# :math:`(1-p_{\text{keep}})^2`, restores the standard run to rounding error.
# Weight decay with the same coefficient is likewise a different penalty in
# the two (the runs differ with the same :math:`\lambda` and coincide with
# :math:`\lambda/p_{\text{keep}}^2`), and Adam needs the rate
# :math:`p_{\text{keep}}\eta_A`. Inverted dropout is preferred in practice
# (e.g. :class:`torch.nn.Dropout`) because the test-time network is
# untouched and can be used without knowing :math:`p_{\text{keep}}`.

# sphinx_gallery_thumbnail_number = 1
