"""
Double descent over the width of an MLP, and when more data hurts
=================================================================

Exercise c2 of session 2 of the NNDL 2025 course (ID ``nndl-s2/c2``) asks us
to train networks of growing width :math:`M` on only :math:`N = 100` noisy
samples of a map :math:`\\R^{10} \\to \\R^5`, every one of them to
convergence with full-batch optimisation, and to plot the final training and
test losses against :math:`M`. The claim to check: the test loss first falls,
then *rises* to a peak where the network has just enough parameters to fit
the training set exactly (the *interpolation threshold*), and falls again
beyond it. The second part: at a fixed width, five times more data from the
same distribution can make the test loss *worse*.
"""

# %%
# The data and the architecture
# -----------------------------
# The course's notebook is not available, so we build the same kind of problem
# (:mod:`nntheory.data.teacher_student`): inputs :math:`x \sim \mathcal
# N(0, I_{10})`, targets :math:`y = g(x) + 0.5\,\varepsilon` from a fixed random
# tanh *teacher* network :math:`g` with 20 hidden units, and Gaussian label
# noise :math:`\varepsilon \sim \mathcal N(0, I_5)`. The noise alone costs a
# test loss of :math:`0.5^2 = 0.25` (we report the mean squared error over
# samples and the 5 outputs), the floor no model can beat.
#
# The *student* is a one-hidden-layer ReLU network
# :math:`f(x) = W_2\,\mathrm{relu}(W_1 x + b_1) + b_2` with
# :math:`W_1 \in \R^{M\times 10}`, :math:`b_1 \in \R^M`,
# :math:`W_2 \in \R^{5\times M}`, :math:`b_2 \in \R^5`, so it has
#
# .. math::
#
#    P(M) = 10M + M + 5M + 5 = 16M + 5
#
# parameters. Fitting :math:`N = 100` samples exactly means solving
# :math:`N \cdot 5 = 500` equations, so the interpolation threshold is
# expected where :math:`P(M) \approx 500`, that is :math:`M^\star = 31`
# (:math:`P = 501`).
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.sweep import mlp_n_params, train_mlp_sweep

teacher = make_teacher(n_features=10, n_outputs=5, n_hidden=20, seed=0)
data_generator = torch.Generator().manual_seed(1)
data = sample_teacher_student(teacher, 100, 5000, noise_std=0.5, generator=data_generator, dtype=torch.float32)

widths = np.arange(2, 61)
seeds = [0, 1, 2]
n_outputs = data.y_train.shape[1]
M_star = int(widths[np.argmax([mlp_n_params(m) >= 100 * n_outputs for m in widths])])
print(f"interpolation threshold: M* = {M_star} with P(M*) = {mlp_n_params(M_star)} parameters "
      f"(N * outputs = {100 * n_outputs})")

# %%
# Training every width to convergence, all at once
# ------------------------------------------------
# :math:`59` widths times :math:`3` seeds make :math:`177` networks. Each is
# tiny, so :func:`~nntheory.sweep.train_mlp_sweep` trains them *together*:
# their hidden layers are zero-padded and stacked (four stacks of
# consecutive widths, each padded to its own largest width), and one batched
# matrix product per layer serves all the networks of a stack. The padded units have
# zero weights, contribute nothing, receive exactly zero gradient and so stay
# zero; the module's documentation proves it, and ``tests/test_sweep.py``
# checks the sweep against a plain loop over models
# (:func:`~nntheory.sweep.train_mlp_loop`). ``benchmarks/`` measures the
# speed-up.
#
# Every network gets full-batch Adam (:math:`B = N`, so no gradient noise)
# for 3000 steps, learning rate :math:`10^{-2}` decayed to zero on a cosine
# schedule, from PyTorch's default initialisation.
n_steps = 3000
all_widths = np.tile(widths, len(seeds))
all_seeds = np.repeat(seeds, len(widths))
sweep = train_mlp_sweep(data.X_train, data.y_train, data.X_test, data.y_test, all_widths, all_seeds,
                        n_steps=n_steps, lr=1e-2, schedule="cosine", record_every=50, n_buckets=4)
train = sweep.train_loss.reshape(len(seeds), len(widths))  # (n_seeds, n_widths)
test = sweep.test_loss.reshape(len(seeds), len(widths))

# %%
# Did every run converge?
# -----------------------
# The exercise warns to check that each model is optimised well enough, so
# we print the final training loss of *every* width (mean over the seeds,
# and the largest of the three) and plot a few training curves below.
# Below the threshold the loss settles at what a network of that width can
# reach on 500 noisy numbers; well above it, it falls to numerically zero:
# the networks interpolate the noisy training data. Around the threshold
# (roughly :math:`M = 26` to :math:`36`) the runs are **not** converged:
# the loss is still creeping down when the cosine schedule brings the
# learning rate to zero, and it ends between a few :math:`10^{-4}` and a
# few :math:`10^{-2}` (table below).
# This slowness is itself a feature of the threshold: the interpolating
# solution there is nearly unique and badly conditioned, so the last
# directions to fit are very flat. Longer training lowers these training
# losses further but does not remove the test-loss peak (try ``n_steps``
# four times larger; it takes minutes rather than seconds).
print("final training loss after", n_steps, "steps (mean and max over 3 seeds)")
print(" M   P(M)   mean train  max train   mean test")
for j, m in enumerate(widths):
    print(f"{m:2d}  {mlp_n_params(m):4d}   {train[:, j].mean():.2e}   {train[:, j].max():.2e}   {test[:, j].mean():.3f}")

colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, 5))
fig, ax = plt.subplots(figsize=(7, 4.2))
for c, m in zip(colours, [5, 20, M_star, 40, 60]):
    i = int(np.flatnonzero((all_widths == m) & (all_seeds == 0))[0])
    ax.semilogy(sweep.steps, np.maximum(sweep.train_history[:, i], 1e-16), color=c, lw=2, label=f"$M = {m}$")
ax.set_xlabel("full-batch Adam step")
ax.set_ylabel("training loss (MSE)")
ax.set_title("Far from the threshold the loss flattens; near it, it still creeps down")
ax.legend(title="seed 0", fontsize=10)
fig.tight_layout()

# %%
# The double-descent curve
# ------------------------
# Mean over the three seeds, the band spans their minimum and maximum.
fig, (ax, ax_log) = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True, height_ratios=[3, 2])
for a, scale in ((ax, "linear"), (ax_log, "log")):
    for values, colour, label in ((train, "#0072B2", "training loss"), (test, "#D55E00", "test loss")):
        a.fill_between(widths, values.min(0), values.max(0), color=colour, alpha=0.25, lw=0)
        a.plot(widths, values.mean(0), "o-", ms=3, color=colour, lw=2, label=label)
    a.axhline(data.noise_std**2, color="0.4", ls=":", lw=1.5, label=r"noise floor $\sigma_\varepsilon^2 = 0.25$")
    a.axvline(M_star, color="k", ls="--", lw=1.5, label=f"interpolation threshold $M^\\star = {M_star}$ ($P = {mlp_n_params(M_star)}$)")
    a.set_yscale(scale)
    a.set_ylabel("mean squared error" + (" (log scale)" if scale == "log" else ""))
ax.set_ylim(0, None)
ax_log.set_ylim(1e-15, 10)
ax_log.set_xlabel("hidden width $M$")
top = ax.secondary_xaxis("top", functions=(lambda m: 16 * m + 5, lambda p: (p - 5) / 16))
top.set_xlabel("number of parameters $P = 16M + 5$")
ax.set_title("Test loss peaks where the network first interpolates ($N = 100$)")
ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.06), fontsize=9)
fig.tight_layout()

peak = int(widths[np.argmax(test.mean(0))])
print(f"test loss peaks at M = {peak} (P = {mlp_n_params(peak)}); mean test loss there {test.mean(0).max():.3f}, "
      f"at M = 60: {test[:, -1].mean():.3f}, smallest in the underparameterized regime: "
      f"{test.mean(0)[widths < M_star].min():.3f} at M = {widths[np.argmin(test.mean(0)[widths < M_star])]}")

# %%
# More data can hurt
# ------------------
# We now draw :math:`N = 500` training samples from the *same* distribution
# (same teacher, same noise level) and retrain two widths, three seeds each:
# :math:`M = 31`, the threshold for :math:`N = 100`, and :math:`M = 156`,
# deep in the overparameterized regime for :math:`N = 100`
# (:math:`P = 2501`, five times the 500 equations). With :math:`N = 500` the
# threshold itself moves: there are now :math:`2500` equations, so
# :math:`P(M) \approx 2500` at :math:`M = 156`.
data500 = sample_teacher_student(teacher, 500, 5000, noise_std=0.5, generator=data_generator, dtype=torch.float32)
compare = {}
for N, d in ((100, data), (500, data500)):
    for m in (M_star, 156):
        if N == 100 and m == M_star:
            compare[N, m] = (train[:, widths == m].ravel(), test[:, widths == m].ravel())
            continue
        r = train_mlp_sweep(d.X_train, d.y_train, d.X_test, d.y_test, [m] * len(seeds), seeds,
                            n_steps=n_steps, lr=1e-2, schedule="cosine", record_every=n_steps)
        compare[N, m] = (r.train_loss, r.test_loss)

print("  M   P(M)     N   train loss   test loss (mean +- std over 3 seeds)")
for (N, m), (tr, te) in compare.items():
    print(f"{m:3d}  {mlp_n_params(m):5d}  {N:4d}   {tr.mean():.2e}    {te.mean():.3f} +- {te.std():.3f}")

fig, ax = plt.subplots(figsize=(6.5, 4.2))
for k, (N, colour) in enumerate(((100, "#0072B2"), (500, "#E69F00"))):
    means = [compare[N, m][1].mean() for m in (M_star, 156)]
    stds = [compare[N, m][1].std() for m in (M_star, 156)]
    ax.bar(np.arange(2) + (k - 0.5) * 0.38, means, 0.36, yerr=stds, capsize=4, color=colour, label=f"$N = {N}$")
ax.axhline(data.noise_std**2, color="0.4", ls=":", lw=1.5, label="noise floor")
ax.set_xticks([0, 1], [f"$M = {M_star}$\n(threshold for $N=100$)", "$M = 156$\n(threshold for $N=500$)"])
ax.set_ylabel("test loss (MSE)")
ax.set_title("Five times more data helps at $M=31$ but hurts at $M=156$")
ax.legend(fontsize=10)
fig.tight_layout()
# sphinx_gallery_thumbnail_number = 2

# %%
# What to notice
# --------------
# **(b)** The training loss falls monotonically with :math:`M` and reaches
# numerical zero once the network can interpolate; the test loss falls, then
# climbs to a peak near the interpolation threshold
# :math:`M^\star = 31`, :math:`P = 501 \approx N \cdot 5 = 500` parameters
# (the printed peak location is within a few units of it; the band in the
# figure shows how much the three seeds differ), and descends again for larger :math:`M`. That is double descent.
# At the threshold there is essentially one set of weights that fits all 500
# noisy numbers, and fitting the noise exactly forces large, wiggly weights,
# so the variance of the fitted function explodes. With more parameters there
# are many interpolating solutions and gradient descent from a small
# initialisation picks a smooth one; the excess parameters act as an implicit
# regulariser.
#
# **(c)** The printed table shows the two effects of more data. At
# :math:`M = 31`, the :math:`N = 500` networks are far *below* their new
# threshold (:math:`P = 501 \ll 2500`), no longer fit the noise, and their
# test loss is much lower: data helps. At :math:`M = 156` the same five-fold
# increase moves the network from comfortably overparameterized
# (:math:`P = 2501 = 5 \times 500`) to exactly *at* its threshold
# (:math:`P \approx 5 \times 500`), and the test loss goes *up*. More data
# shifts the peak of the double-descent curve to the right, and any width
# between the old and the new threshold can be hurt by it. The fix is not to
# throw data away but to regularise (or to tune the width with the data):
# the peak is a symptom of fitting noise exactly.
