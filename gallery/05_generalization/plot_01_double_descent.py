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
# The *student* is a one-hidden-layer tanh network
# :math:`f(x) = W_2\,\tanh(W_1 x + b_1) + b_2` with
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
# (:math:`P = 501`). We use tanh rather than ReLU because we want to train
# every network *to convergence* and certify it, which needs Newton's method
# (below), and Newton's method needs a loss with second derivatives. (A ReLU
# network's loss is piecewise smooth with kinks wherever a unit switches; in
# trials outside this page, Levenberg–Marquardt steps started from Adam's
# ReLU solutions kept crossing kinks and made no progress near the
# threshold.)
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.newton import mlp_mse, newton_refine
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
# Training every width to convergence
# -----------------------------------
# :math:`59` widths times :math:`3` seeds make :math:`177` networks, trained
# in two phases.
#
# 1. **Adam.** Full-batch Adam (:math:`B = N`, so no gradient noise), 2000
#    steps, learning rate :math:`10^{-2}` decayed to zero on a cosine
#    schedule, from PyTorch's default initialisation. The networks are tiny,
#    so :func:`~nntheory.sweep.train_mlp_sweep` trains them *together*: their
#    hidden layers are zero-padded and stacked (four stacks of consecutive
#    widths), and one batched matrix product per layer serves all the
#    networks of a stack. Padded units have zero weights, contribute nothing,
#    receive exactly zero gradient and so stay zero (proved in
#    :mod:`nntheory.sweep`; ``tests/test_sweep.py`` checks the sweep against a
#    plain loop over models, and ``benchmarks/`` measures the speed-up).
# 2. **Newton.** Adam alone does not converge near the threshold: after
#    thousands of steps the training loss there is still falling. So every
#    network is finished with Newton's method in float64
#    (:func:`~nntheory.newton.newton_refine`): the exact Hessian of the loss,
#    in closed form, damped until positive definite, at most 200 iterations.
#    A network counts as **converged** when the norm of its gradient is below
#    :math:`10^{-10}`; the smallest eigenvalue of its Hessian then says
#    whether it sits in a minimum.
n_adam, gtol = 2000, 1e-10
all_widths = np.tile(widths, len(seeds))
all_seeds = np.repeat(seeds, len(widths))
sweep = train_mlp_sweep(data.X_train, data.y_train, data.X_test, data.y_test, all_widths, all_seeds,
                        n_steps=n_adam, lr=1e-2, schedule="cosine", activation="tanh", newton_iter=200, gtol=gtol,
                        record_every=50, n_buckets=4)


def by_width(values):
    """Reshape a per-network array to (n_seeds, n_widths)."""
    return np.asarray(values).reshape(len(seeds), len(widths))


train, test, grad_norm = by_width(sweep.train_loss), by_width(sweep.test_loss), by_width(sweep.grad_norm)
adam_train = by_width(sweep.train_history[-1])
converged = grad_norm <= gtol

# %%
# Did every run converge?
# -----------------------
# The exercise warns to check that each model is optimised well enough. For
# every width: the training loss after Adam and after Newton (mean over the
# three seeds), the largest final gradient norm, how many of the three
# networks converged, the largest number of Newton iterations, and the mean
# test loss.
print(f"{converged.sum()} of {converged.size} networks converged (gradient norm <= {gtol:.0e})")
print(" M   P(M)  train: Adam    Newton    max |grad|  conv  Newton its  test")
for j, m in enumerate(widths):
    print(f"{m:2d}  {mlp_n_params(m):4d}     {adam_train[:, j].mean():.2e}  {train[:, j].mean():.2e}  "
          f"{grad_norm[:, j].max():.1e}     {converged[:, j].sum()}/3   {by_width(sweep.newton_iter)[:, j].max():4d}     "
          f"{test[:, j].mean():.3f}")

# %%
# From :math:`M = 31` on, every network reaches a training loss of about
# :math:`10^{-18}` or less: it interpolates the 500 noisy numbers to
# rounding error, a global minimum. Newton needs few iterations there (a
# handful far above the threshold, more near it). Below the threshold the
# networks cannot interpolate, and a converged network sits at a genuine
# local minimum: gradient below :math:`10^{-10}` and a Hessian whose smallest
# eigenvalue is non-negative up to rounding (printed next; the Hessian's
# entries are of order one). The networks that did *not* converge are listed
# with how much their loss still moved during the last 50 Newton iterations.
n_newton = sweep.newton_history.shape[0] - 1
min_eig = by_width(sweep.min_eigenvalue)
below = by_width(sweep.widths) < M_star
print(f"smallest Hessian eigenvalue among the {(converged & below).sum()} converged networks with M < {M_star}: "
      f"{min_eig[converged & below].min():.1e}")
stuck = np.flatnonzero(~converged.ravel())
output_norm = np.array([torch.linalg.norm(W2).item() for _, _, W2, _ in sweep.weights])  # Frobenius norm of W2
print(f"||W2|| of the converged networks with M < {M_star}: median {np.median(output_norm[converged.ravel() & below.ravel()]):.1f}, "
      f"largest {output_norm[converged.ravel() & below.ravel()].max():.1f}")
print(f"networks that stopped short (all below the threshold: {bool(np.all(sweep.widths[stuck] < M_star))}):")
print(" M  seed  loss      |grad|   min eig   change*  ||W2||  pair: diff in  cos out")
for i in stuck:
    h = sweep.newton_history[:, i]
    W1, b1, W2, _ = sweep.weights[i]
    U = torch.cat([W1, b1[None]])  # incoming weights and bias, one column per hidden unit
    a, b = torch.argsort(torch.linalg.norm(W2, dim=1), descending=True)[:2].tolist()  # largest outgoing weights
    diff_in = (torch.linalg.norm(U[:, a] - U[:, b]) / torch.linalg.norm(U[:, a])).item()
    cos_out = torch.cosine_similarity(W2[a], W2[b], dim=0).item()
    print(f"{sweep.widths[i]:2d}   {sweep.seeds[i]}   {h[-1]:.3e}  {sweep.grad_norm[i]:.1e}  {sweep.min_eigenvalue[i]:8.1e}  "
          f"{(h[-51] - h[-1]) / h[-1]:.1e}  {output_norm[i]:5.0f}        {diff_in:.1e}   {cos_out:+.3f}")
print("* relative decrease of the loss over the last 50 Newton iterations")

# %%
# The networks that stop short are below the threshold, where the training
# loss stays far from zero, and their Hessians have an eigenvalue close to
# zero: the loss keeps decreasing very slowly along an almost flat
# direction. What they share is visible in the weights: their output
# weights :math:`W_2` are larger than those of every converged network
# below the threshold, most of them many times larger (printed). In some of
# them the two hidden units with the largest outgoing weights have almost
# equal incoming weights and opposite outgoing weights (the last two
# columns: a relative difference of a few percent or less, cosine close to
# :math:`-1`). Such a pair approximates the *derivative* of a tanh unit, a
# function no network of that width represents exactly; the loss can
# approach it only as the outgoing weights grow without bound, so there may
# be no minimum at any finite distance. The relative changes printed are
# far below anything the curves below can show, but we do not call these
# runs converged.
#
# The training curves of one seed at five widths: Adam's steps, then
# Newton's iterations.
colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, 5))
fig, (ax_adam, ax_newton) = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True, width_ratios=[3, 2])
for c, m in zip(colours, [5, 20, M_star, 40, 60]):
    i = int(np.flatnonzero((all_widths == m) & (all_seeds == 0))[0])
    ax_adam.semilogy(sweep.steps, sweep.train_history[:, i], color=c, lw=2, label=f"$M = {m}$")
    ax_newton.semilogy(np.arange(n_newton + 1), sweep.newton_history[:, i], "o-", ms=3, color=c, lw=2)
ax_adam.set_xlabel("full-batch Adam step (float32)")
ax_newton.set_xlabel("Newton iteration (float64)")
ax_adam.set_ylabel("training loss (MSE)")
ax_newton.set_xscale("symlog", linthresh=10)
ax_adam.set_ylim(1e-24, 10)
ax_adam.legend(title="seed 0", fontsize=10)
fig.suptitle(f"Adam stalls near the threshold; Newton converges (curves end once |grad| < {gtol:.0e})")
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
ax_log.set_ylim(1e-24, 10)
ax_log.set_xlabel("hidden width $M$")
top = ax.secondary_xaxis("top", functions=(lambda m: 16 * m + 5, lambda p: (p - 5) / 16))
top.set_xlabel("number of parameters $P = 16M + 5$")
ax.set_title("Test loss peaks around the interpolation threshold ($N = 100$)")
ax.legend(loc="upper right", fontsize=9)
fig.tight_layout()

peak = int(widths[np.argmax(test.mean(0))])
high = widths[test.mean(0) > 1.0]
print(f"mean test loss: peak {test.mean(0).max():.3f} at M = {peak} (P = {mlp_n_params(peak)}), {test[:, -1].mean():.3f} at M = 60,"
      f"\nsmallest below the threshold {test.mean(0)[widths < M_star].min():.3f} at M = {widths[np.argmin(test.mean(0)[widths < M_star])]}")
print(f"mean test loss above 1.0 for M = {high.min()} ... {high.max()}; "
      f"mean training loss below 1e-2 from M = {widths[np.argmax(train.mean(0) < 1e-2)]} on")

# %%
# More data can hurt
# ------------------
# We now draw :math:`N = 500` training samples from the *same* distribution
# (same teacher, same noise level) and retrain two widths, three seeds each,
# in the same two phases: :math:`M = 31`, the threshold for :math:`N = 100`,
# and :math:`M = 156`, deep in the overparameterized regime for
# :math:`N = 100` (:math:`P = 2501`, five times the 500 equations). With
# :math:`N = 500` the threshold itself moves: there are now :math:`2500`
# equations, so :math:`P(M) \approx 2500` at :math:`M = 156`.
#
# One of the four cases is **not** converged: :math:`M = 156` with
# :math:`N = 500` sits exactly at *its* threshold, where Newton's method
# needs many iterations, and each one factorises a :math:`2501 \times 2501`
# Hessian per network (about a second for the three networks on this
# machine). We give it 5 Newton iterations and print how far it got, with
# the test loss after Adam alone for comparison.
data500 = sample_teacher_student(teacher, 500, 5000, noise_std=0.5, generator=data_generator, dtype=torch.float32)
compare = {}
for N, d in ((100, data), (500, data500)):
    for m in (M_star, 156):
        if N == 100 and m == M_star:
            i = widths == m
            compare[N, m] = (train[:, i].ravel(), test[:, i].ravel(), grad_norm[:, i].ravel(), None)
            continue
        r = train_mlp_sweep(d.X_train, d.y_train, d.X_test, d.y_test, [m] * len(seeds), seeds, n_steps=n_adam, lr=1e-2,
                            schedule="cosine", activation="tanh", newton_iter=0 if (N, m) == (500, 156) else 200,
                            record_every=n_adam)
        if (N, m) != (500, 156):
            compare[N, m] = (r.train_loss, r.test_loss, r.grad_norm, None)
            continue
        # The expensive case: 5 Newton iterations from Adam's weights, directly with newton_refine.
        start = [torch.stack([w[q] for w in r.weights]).double() for q in range(4)]
        X64, y64 = d.X_train.double(), d.y_train.double()
        nr = newton_refine(X64, y64, *start, max_iter=5, eigenvalue=False)
        test_after = mlp_mse(d.X_test.double(), d.y_test.double(), *nr.weights).numpy()
        compare[N, m] = (nr.loss, test_after, nr.grad_norm, r.test_loss)

print("  M   P(M)     N   train loss   max |grad|   test loss (mean +- std over 3 seeds)")
for (N, m), (tr, te, gn, adam_only) in compare.items():
    note = "" if adam_only is None else f"   (after Adam alone: {adam_only.mean():.3f})"
    print(f"{m:3d}  {mlp_n_params(m):5d}  {N:4d}   {tr.mean():.2e}     {gn.max():.1e}     {te.mean():.3f} +- {te.std():.3f}{note}")

fig, ax = plt.subplots(figsize=(6.5, 4.2))
for k, (N, colour) in enumerate(((100, "#0072B2"), (500, "#E69F00"))):
    means = [compare[N, m][1].mean() for m in (M_star, 156)]
    stds = [compare[N, m][1].std() for m in (M_star, 156)]
    ax.bar(np.arange(2) + (k - 0.5) * 0.38, means, 0.36, yerr=stds, capsize=4, color=colour, label=f"$N = {N}$")
ax.axhline(data.noise_std**2, color="0.4", ls=":", lw=1.5, label="noise floor")
ax.set_xticks([0, 1], [f"$M = {M_star}$\n(threshold for $N=100$)", "$M = 156$\n(threshold for $N=500$)"])
ax.set_ylabel("test loss (MSE)")
ax.set_title(f"Five times more data helps at $M={M_star}$ but hurts at $M=156$")
ax.legend(fontsize=10)
fig.tight_layout()
# sphinx_gallery_thumbnail_number = 2

# %%
# What to notice
# --------------
# **(b)** The training loss falls monotonically with :math:`M` and is
# zero to rounding error (about :math:`10^{-18}`) from :math:`M^\star = 31` on,
# the first width with at least as many parameters as equations
# (:math:`P = 501 \ge N \cdot 5 = 500`). The test loss does not follow it.
# With only 100 noisy samples the best underparameterized network is a very
# small one (the printed minimum), so the first, classical part of the
# curve is short; the test loss then climbs to a broad peak and descends
# again as :math:`M` grows past the threshold. That is double descent. For a
# nonlinear network the threshold is not sharp: the networks already fit
# almost all of the noise a few units below :math:`M^\star` (the training loss
# drops below :math:`10^{-2}` there), and the peak lies in the band of widths
# where they do, with its exact position varying between seeds (the band in
# the figure).
# Near the threshold there is essentially one set of weights that fits all
# 500 noisy numbers, and fitting the noise exactly forces large, wiggly
# weights, so the variance of the fitted function explodes. With more
# parameters there are many interpolating solutions, and an optimiser
# started from a small initialisation ends at one close to its start, a
# smoother one; the excess parameters act as an implicit regulariser.
#
# **(c)** The printed table shows the two effects of more data. At
# :math:`M = 31`, the :math:`N = 500` networks are far *below* their new
# threshold (:math:`P = 501 \ll 2500`), no longer fit the noise, and their
# test loss is much lower: data helps. At :math:`M = 156` the same five-fold
# increase moves the network from comfortably overparameterized
# (:math:`P = 2501 = 5 \times 500`) to exactly *at* its threshold
# (:math:`P \approx 5 \times 500`), and the test loss goes *up*. That
# network is not converged; its test loss rose during Newton's iterations
# (compare the value after Adam alone) as it fitted more of the noise, so we
# expect full convergence to widen the gap rather than close it, but we have
# not run it. (The :math:`N = 500`, :math:`M = 31` networks also stop short
# of the gradient tolerance, at a training loss far from zero, like the
# small widths of the sweep.) More data
# shifts the peak of the double-descent curve to the right, and any width
# between the old and the new threshold can be hurt by it. The fix is not to
# throw data away but to regularise (or to tune the width with the data):
# the peak is a symptom of fitting noise exactly.
