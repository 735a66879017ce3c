"""
Co-adaptation: what dropout changes in the hidden units, against a weight-decay control
=======================================================================================

Exercise 9.1.4 of the Theory of Neural Networks sheet 9 (ID ``tnn-9/1.4``)
asks what *co-adaptation* of hidden units is, why it is harmful, and how
dropout counters it, with Srivastava et al. (2014) as the reference.
Co-adaptation means that units become useful only in combination: the
gradient tells each unit how to change *given what all the others are
doing*, so a unit can learn to fix up the mistakes of specific other units,
and the network's function comes to rest on finely tuned combinations that
fit the training set (including its noise) rather than on features that are
useful on their own. Dropout makes every unit's partners unreliable (any of
them may be missing at any step), so each unit has to be useful in many
random contexts. We train small classifiers without regularisation, with
dropout, and, as a control, with weight decay tuned to a comparable
generalisation gap, and measure what removing hidden units does, how much
each unit tells about the class on its own, and how sparse the hidden code
is. What the evidence shows: dropout networks shrug off *zeroed* units,
which is what they were trained on; against units replaced by their mean,
dropout loses the lead it has over weight decay, and single units become
more informative with either regulariser; what sets dropout apart is a sparser hidden code.
"""

# %%
# What the paper says
# -------------------
# Srivastava et al. motivate dropout in their Section 2 with two analogies.
# *Sexual reproduction*: a child gets half of each parent's genes, which
# breaks up sets of genes that only work together; natural selection then
# favours genes that work well with a *random* set of other genes, so each
# gene has to do something useful on its own or with a few partners. Each
# hidden unit trained with dropout must likewise work with a random sample of
# the other units. *Conspiracies*: several small conspiracies are probably a
# better way to cause havoc than one large one in which everyone must play
# their part; a large conspiracy works if nothing changes and there is time
# to rehearse (a training set), while small ones are more likely to survive
# changed conditions (new data). Complex co-adaptations fit the training set
# and fail on test data more often than several simpler ones that do the
# same job.
#
# The evidence they show (their Section 7): **Figure 7**, the features
# learned by a one-hidden-layer autoencoder of ReLUs on MNIST, without and
# with dropout: without it the units do not seem to detect meaningful
# features individually (they have co-adapted to reconstruct together),
# while with dropout they detect edges, strokes and spots, each meaningful on
# its own. **Figure 8**, sparsity: as a side effect of dropout, without any
# sparsity penalty, the hidden activations become sparser, with lower mean
# activations and a histogram concentrated nearer zero. Goodfellow et al.
# (2016, §7.12) stress that dropout destroys *features* rather than raw
# values: dropping a unit erases, for that example, what the unit detected,
# so the rest of the network must either encode that information
# redundantly or solve the task by another route.
#
# The experiment
# --------------
# A 5-class problem from the teacher–student generator
# (:mod:`nntheory.data.teacher_student`; the teacher is fixed by its own
# seed, the samples come from the page's seed): the label is the index of
# the largest of the teacher's 5 noisy outputs; 2000 training and 3000 test
# points. A ReLU network :math:`10 \to 64 \to 64 \to 5` is trained with
# cross-entropy and Adam (minibatches of 100, 1500 steps) in three settings,
# from three initialisations each: without regularisation; with inverted
# dropout (:class:`~nntheory.models.dropout.InvertedDropout`,
# ``p_keep = 0.5``) after each hidden layer; and, as a control, with the
# penalty :math:`\lambda\sum\|W\|^2` on the three weight matrices, with
# :math:`\lambda = 5\times 10^{-3}` chosen by hand so that the generalisation
# gap comes out close to dropout's. Any regulariser shrinks the gap, so a
# property of the dropout networks tells us something about *dropout* only
# if the weight-decay networks do not share it. The three networks of a
# setting are trained side by side in one batched computation: each has its
# own initialisation, minibatches and masks, and Adam updates every
# parameter on its own, so this is the same as training them one at a time.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.models.dropout import InvertedDropout
from nntheory.seeding import base_seed

SEED = base_seed(0)
# Small networks: one thread is fastest (more threads thrash on these tiny
# products); sphinx-gallery restores the setting after the page.
torch.set_num_threads(1)
generator = torch.Generator().manual_seed(SEED)
rng = np.random.default_rng(SEED)
data = sample_teacher_student(make_teacher(seed=0), 2000, 3000, noise_std=0.3, generator=generator, dtype=torch.float32)
X_train, X_test = data.X_train, data.X_test
y_train, y_test = data.y_train.argmax(1), data.y_test.argmax(1)
print("class frequencies in the training set:", np.bincount(y_train.numpy(), minlength=5) / len(y_train))
n_nets, n_hidden = 3, 64


def init_params(seed):
    """Weights and biases of ``n_nets`` networks 10-64-64-5, torch's default ranges, from our own generator."""
    g = torch.Generator().manual_seed(seed)
    shapes, fan_in = [(64, 10), (64,), (64, 64), (64,), (5, 64), (5,)], [10, 10, 64, 64, 64, 64]
    return [((2 * torch.rand((n_nets, *s), generator=g) - 1) / f**0.5).requires_grad_() for s, f in zip(shapes, fan_in)]


def hidden(params, X, dropout=None):
    """Second-layer activations of every network, (n_nets, n_samples, 64); X is (n_nets, n_samples, 10)."""
    W1, b1, W2, b2 = params[:4]
    h = torch.relu(X @ W1.transpose(1, 2) + b1[:, None])
    if dropout is not None:
        h = dropout(h)
    h = torch.relu(h @ W2.transpose(1, 2) + b2[:, None])
    return h if dropout is None else dropout(h)


def readout(params, h):
    """Logits from second-layer activations, (n_nets, n_samples, 5)."""
    return h @ params[4].transpose(1, 2) + params[5][:, None]


def accuracy(logits, y):
    """Fraction of rows whose true class has the largest logit; logits (..., n_samples, 5), y (n_samples,) -> (...)."""
    true = logits.gather(-1, y.expand(logits.shape[:-1]).unsqueeze(-1)).squeeze(-1)
    return (true >= logits.amax(-1)).float().mean(-1).numpy()  # as argmax == y, but faster (ties have probability 0)


def train(seed, p_keep=1.0, weight_decay=0.0, n_steps=1500, batch_size=100):
    params = init_params(seed)
    dropout = InvertedDropout(p_keep, generator=torch.Generator().manual_seed(seed + 100)).train() if p_keep < 1 else None
    opt = torch.optim.Adam(params, lr=3e-3)
    order = torch.Generator().manual_seed(seed + 200)
    for _ in range(n_steps):
        idx = torch.randint(0, len(y_train), (n_nets, batch_size), generator=order)  # each network its own minibatch
        logits = readout(params, hidden(params, X_train[idx], dropout))
        # the sum of the networks' mean losses, so that each network gets the gradient of its own loss
        loss = n_nets * torch.nn.functional.cross_entropy(logits.reshape(-1, 5), y_train[idx].reshape(-1))
        loss = loss + weight_decay * sum((W**2).sum() for W in params[0:6:2])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.detach() for p in params]


names = ("no regularisation", "dropout, p_keep = 0.5", "weight decay")
settings = dict(zip(names, ({}, {"p_keep": 0.5}, {"weight_decay": 5e-3})))
nets = {name: train(SEED + 1000 * i, **kw) for i, (name, kw) in enumerate(settings.items())}
colours = dict(zip(names, ("#D55E00", "#0072B2", "#009E73")))
H_train, H_test, logits_test, train_acc, test_acc = {}, {}, {}, {}, {}
with torch.no_grad():
    for name, params in nets.items():
        H_train[name] = hidden(params, X_train.expand(n_nets, -1, -1))  # test mode: no dropout, (3, 2000, 64)
        H_test[name] = hidden(params, X_test.expand(n_nets, -1, -1))  # (3, 3000, 64)
        logits_test[name] = readout(params, H_test[name])
        train_acc[name] = accuracy(readout(params, H_train[name]), y_train)
        test_acc[name] = accuracy(logits_test[name], y_test)
gap = {name: train_acc[name] - test_acc[name] for name in names}
for name in names:
    print(f"{name:22s}: train accuracy {train_acc[name].mean():.3f}, test {test_acc[name].mean():.3f}, "
          f"gap {gap[name].mean():.3f}\n{'':24s}(per network: test {np.round(test_acc[name], 3)}, gap {np.round(gap[name], 3)})")

# %%
# Without regularisation the networks fit the training set far better than
# the test set; with dropout, and with weight decay, both the training
# accuracy and the gap are smaller for every one of the three networks, the
# two regularisers' mean gaps agree within a factor of two (weight decay's
# strength was tuned for this at the default seed), and here every
# regularised network has a higher test accuracy than every unregularised
# one. (That last point depends on the problem: dropout adds bias, and
# :doc:`plot_02_bagging_ols` shows a model on which, with plenty of data, it
# costs accuracy.)
none, drop, wd = names
for reg in (drop, wd):
    assert gap[reg].max() < gap[none].min(), gap  # every regularised network has a smaller gap
    assert train_acc[reg].max() < train_acc[none].min(), train_acc  # and a lower training accuracy
    assert test_acc[reg].min() > test_acc[none].max(), test_acc  # "here ... the higher test accuracy"
assert 0.5 < gap[wd].mean() / gap[drop].mean() < 2, gap  # the control is matched: "within a factor of two"

# %%
# Removing one unit at a time
# ---------------------------
# How do we remove a unit? Setting :math:`h_j` to zero is what dropout does
# in training (there, each unit with probability 1/2, the others scaled by 2), so a
# dropout network has been trained for this kind of perturbation; for a
# network trained without dropout, zero may be a value :math:`h_j` rarely
# takes, and the shift it causes downstream costs accuracy whether or not
# the unit's *information* was needed. Replacing :math:`h_j` by its mean over
# the training inputs (*mean-ablation*) removes the information and keeps
# the downstream input on average where it was. We do both, for every unit
# of the second hidden layer of all three networks of each setting (192
# units per setting), and record the drop in test accuracy, sorted from the
# most to the least harmful. One test point is
# :math:`1/3000 \approx 0.03` percentage points. To see how much of a
# single unit's measured cost is the noise of the test set, we also measure
# the zeroed costs on a second, independent set of 10000 points from the
# same distribution. Removing unit :math:`j`
# changes the logits by :math:`-(h_j - c_j)\,W_{3,:j}` (:math:`c_j` = 0 or
# the mean), so all removals are computed from one forward pass.
ablations = ("zeroed", "mean-ablated")
ablation_title = {"zeroed": "units set to zero", "mean-ablated": "units replaced by their training mean"}
single = {}  # (ablation, name) -> (3, 64) accuracy drops
fresh = sample_teacher_student(make_teacher(seed=0), 1, 10_000, noise_std=0.3, generator=torch.Generator().manual_seed(SEED + 1),
                               dtype=torch.float32)  # a second, independent test set
X_fresh, y_fresh = fresh.X_test, fresh.y_test.argmax(1)
single_fresh = {}  # zeroed, on the second test set
with torch.no_grad():
    for name, params in nets.items():
        W3 = params[4]  # (3, 5, 64)
        for ablation in ablations:
            fill = torch.zeros(n_nets, n_hidden) if ablation == "zeroed" else H_train[name].mean(1)  # (3, 64)
            H_fresh = hidden(params, X_fresh.expand(n_nets, -1, -1))  # (3, 10000, 64)
            for H, logits, y, store in ((H_test[name], logits_test[name], y_test, single),
                                        (H_fresh, readout(params, H_fresh), y_fresh, single_fresh)):
                if store is single_fresh and ablation != "zeroed":
                    continue
                delta = (H - fill[:, None]).transpose(1, 2)[..., None] * W3.transpose(1, 2)[:, :, None, :]  # (3, 64, n, 5)
                acc_removed = accuracy(logits[:, None] - delta, y)  # (3, 64)
                acc_full = accuracy(logits, y)[:, None]
                store[ablation, name] = acc_full - acc_removed
for ablation in ablations:
    print(f"single units {ablation}:")
    for name in names:
        d = single[ablation, name].ravel()
        print(f"  {name:22s}: mean cost {100 * d.mean():+.3f} +- {100 * d.std(ddof=1) / np.sqrt(d.size):.3f} points, "
              f"largest {100 * d.max():.2f}, most negative {100 * d.min():+.2f}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
for ax, ablation in zip(axes, ablations):
    for name in names:
        d = np.sort(single[ablation, name].ravel())[::-1]
        ax.plot(np.arange(1, d.size + 1), 100 * d, lw=2, color=colours[name], label=name)
    ax.axhline(0, color="0.5", lw=1)
    ax.set_xlabel("hidden unit (sorted by harm when removed; 3 networks x 64)")
    ax.set_title(ablation_title[ablation], fontsize=11)
axes[0].set_ylabel("drop in test accuracy (percentage points)")
axes[0].legend(fontsize=10)
fig.suptitle("Single units: zeroed (left), they barely matter after dropout training; replaced by their training mean (right)")
fig.tight_layout()

# %%
# Zeroed, a single unit costs the unregularised networks accuracy on
# average (more than the dropout networks by many standard errors), while for
# the dropout networks the average cost is below three test points of 3000,
# and the unregularised networks' most harmful unit costs more too. Without
# regularisation the spread is wide in both directions: removing some units
# *raises* the test accuracy (the most negative drops in the figure, larger
# in size than with dropout). Part of that is the noise of a 3000-point test
# set, selected by sorting: on the second test set, removing the units that
# helped on the first raises the accuracy by less on average (printed;
# regression to the mean). Single-unit costs of a few tenths of a point are
# to be read with that noise in mind.
# Replaced by their mean (right panel), single units are a weak probe: the
# mean costs are a fraction of a percentage point in every setting. We
# compare the settings on random groups below, where the costs are many
# times their noise.
z_none, z_drop = single["zeroed", none].ravel(), single["zeroed", drop].ravel()
se = np.hypot(z_none.std(ddof=1) / np.sqrt(z_none.size), z_drop.std(ddof=1) / np.sqrt(z_drop.size))
print(f"zeroed: difference of the mean single-unit costs {100 * (z_none.mean() - z_drop.mean()):.2f} points "
      f"= {(z_none.mean() - z_drop.mean()) / se:.1f} standard errors")
helpful = z_none < 0  # units whose removal raises the test accuracy (no regularisation)
fresh_cost = single_fresh["zeroed", none].ravel()[helpful]
print(f"no regularisation: {helpful.sum()} units whose removal raises the test accuracy, by {-100 * z_none[helpful].mean():.2f} points "
      f"on average;\n  on the second test set, by {-100 * fresh_cost.mean():+.2f} +- "
      f"{100 * fresh_cost.std(ddof=1) / np.sqrt(fresh_cost.size):.2f} points")
assert z_none.mean() - z_drop.mean() > 4 * se, (z_none.mean(), z_drop.mean(), se)
assert abs(z_drop.mean()) < 3 / 3000, z_drop.mean()  # "below three test points of 3000"
assert z_none.max() > z_drop.max(), (z_none.max(), z_drop.max())  # the most harmful unit costs more
assert z_none.min() < z_drop.min() < 0, (z_none.min(), z_drop.min())  # removals that help: larger without regularisation
assert fresh_cost.mean() > z_none[helpful].mean(), (fresh_cost.mean(), z_none[helpful].mean())  # "by less on average"
assert all(abs(single["mean-ablated", name].mean()) < 0.01 for name in names), single  # "a fraction of a percentage point"

# %%
# Removing random groups of units
# -------------------------------
# We remove :math:`k` random units of the second hidden layer (40 random
# groups per :math:`k` and network, the same groups in every setting),
# zeroed and mean-ablated, and compare the test accuracy with the intact
# network's (band: range over the 3 networks of a setting).
ks = [0, 4, 8, 16, 24, 32, 40, 48]
n_groups = 40
groups = {k: [[rng.choice(n_hidden, k, replace=False) for _ in range(n_groups)] for _ in range(n_nets)] for k in ks}
group_cost = {}  # (ablation, name, k) -> (3, n_groups) accuracy lost
with torch.no_grad():
    for name, params in nets.items():
        for ablation in ablations:
            fill = torch.zeros(n_nets, n_hidden) if ablation == "zeroed" else H_train[name].mean(1)
            for k in ks:
                cost = np.empty((n_nets, n_groups))
                for i in range(n_nets):
                    G = torch.as_tensor(np.array(groups[k][i]).reshape(n_groups, k))  # (n_groups, k)
                    delta = H_test[name][i][:, G].transpose(0, 1) - fill[i, G][:, None, :]  # (n_groups, 3000, k)
                    logits = logits_test[name][i] - delta @ params[4][i][:, G].permute(1, 2, 0)  # (n_groups, 3000, 5)
                    cost[i] = accuracy(logits_test[name][i], y_test) - accuracy(logits, y_test)
                group_cost[ablation, name, k] = cost
chance = np.bincount(y_test.numpy()).max() / len(y_test)
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
for ax, ablation in zip(axes, ablations):
    for name in names:
        acc = np.array([[test_acc[name][i] - group_cost[ablation, name, k][i].mean() for k in ks] for i in range(n_nets)])  # (3, len(ks))
        ax.plot(ks, 100 * acc.mean(0), "o-", lw=2, color=colours[name], label=f"{name} (mean of 3 networks)")
        ax.fill_between(ks, 100 * acc.min(0), 100 * acc.max(0), color=colours[name], alpha=0.2, lw=0)
    ax.axhline(100 * chance, color="0.3", ls=":", label="always the most frequent class")
    ax.set_xlabel("number $k$ of removed units (of 64)")
    ax.set_title(ablation_title[ablation], fontsize=11)
axes[0].set_ylabel("test accuracy (%)")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncols=2, fontsize=10)
fig.suptitle("Zeroed: dropout networks degrade least. Mean-ablated: dropout loses that lead")
fig.tight_layout(rect=(0, 0.13, 1, 1))
# sphinx_gallery_thumbnail_number = 2
for ablation in ablations:
    print(f"groups {ablation}: accuracy lost at k = 16, 32, 48 (points; mean +- s.e. over 3 networks x {n_groups} groups)")
    for name in names:
        print(f"  {name:22s}: " + ", ".join(f"{100 * group_cost[ablation, name, k].mean():5.2f} +- "
                                             f"{100 * group_cost[ablation, name, k].std(ddof=1) / np.sqrt(n_nets * n_groups):.2f}" for k in (16, 32, 48)))

# %%
# Half the units removed (:math:`k = 32`). The standard errors over the 120
# groups measure the choice of groups for *these* networks; a statement about
# a training method must also hold from network to network, so we compare
# the three networks of each setting one by one (mean cost over their 40
# groups, printed). Zeroed: every dropout network loses less than every
# weight-decay network, which loses less than every unregularised one; so
# dropout's robustness to zeroing is more than a regulariser's (the same
# order holds at :math:`k = 48`). Mean-ablated: every weight-decay network
# loses less than every unregularised one, and dropout loses its lead: not
# every dropout network loses less than every weight-decay network. The
# dropout networks lose less than the unregularised ones on average (here
# also network by network, which we did not find under every base seed), and
# we do not rank the two regularisers: here dropout loses more than weight
# decay (difference printed), but three networks per setting are too few to
# say that this holds in general. The factor by which the unregularised networks lose
# more than the dropout networks, several (above three) when the units are
# zeroed, falls by more than half (printed). The robustness to deletion
# that is specific to dropout is robustness to the deletion it was trained
# with.


def mean_se(ablation, name, k):
    c = group_cost[ablation, name, k]
    return c.mean(), c.std(ddof=1) / np.sqrt(c.size)


per_net = {(ablation, name, k): group_cost[ablation, name, k].mean(1) for ablation in ablations for name in names for k in (32, 48)}
for ablation in ablations:
    print(f"{ablation}, k = 32, mean cost of each network (points): "
          + "; ".join(f"{name} {np.round(100 * per_net[ablation, name, 32], 2)}" for name in names))
zero = {k: {name: mean_se("zeroed", name, k) for name in names} for k in (32, 48)}
mean = {name: mean_se("mean-ablated", name, 32) for name in names}
factor_zero, factor_mean = zero[32][none][0] / zero[32][drop][0], mean[none][0] / mean[drop][0]
print(f"k = 32: unregularised loss / dropout loss: zeroed {factor_zero:.1f}, mean-ablated {factor_mean:.1f} "
      f"(ratio of the factors {factor_zero / factor_mean:.1f})")
for k in (32, 48):  # zeroed: dropout < weight decay < none, network by network
    assert per_net["zeroed", drop, k].max() < per_net["zeroed", wd, k].min(), (k, per_net)
    assert per_net["zeroed", wd, k].max() < per_net["zeroed", none, k].min(), (k, per_net)
# mean-ablated: every weight-decay network < every unregularised one; dropout in between on average
assert per_net["mean-ablated", wd, 32].max() < per_net["mean-ablated", none, 32].min(), per_net
assert not per_net["mean-ablated", drop, 32].max() < per_net["mean-ablated", wd, 32].min(), per_net  # "dropout loses its lead"
print(f"mean-ablated, k = 32: dropout minus weight decay {100 * (mean[drop][0] - mean[wd][0]):+.2f} "
      f"+- {100 * np.hypot(mean[drop][1], mean[wd][1]):.2f} points (s.e. over the groups of these networks)")
assert mean[drop][0] < mean[none][0], mean  # "and less than the unregularised ones on average"
assert factor_zero > 3, factor_zero  # "several (above three) when zeroed"
assert factor_zero > 2 * factor_mean, (factor_zero, factor_mean)  # "falls by more than half" under mean-ablation

# %%
# Does a group hurt more than the sum of its units?
# -------------------------------------------------
# A tempting reading of "co-adapted units fail together" is that removing a
# group should cost more than the sum of what its units cost one at a time.
# We computed it (zeroed units), as the mean cost of the groups of :math:`k`
# units divided by the mean over the same groups of the summed single-unit
# costs, with a standard error from the 120 groups (delta method). It does not
# test co-adaptation. If unit :math:`a` exists to correct unit :math:`b`'s
# mistakes, removing :math:`a` alone leaves :math:`b`'s mistakes uncorrected
# and hurts, while removing both removes the mistakes too: the group costs
# *less* than the sum. Redundancy (several units carrying the same feature)
# does the opposite: one copy can go without harm, all of them cannot, and
# the group costs *more* than the sum. The two effects mix. What the
# measurement can say depends on its precision: without regularisation the
# ratio is well determined (relative standard error below 15%); with
# dropout the denominator is a small number (single zeroed units cost almost
# nothing) with a larger relative standard error at every :math:`k`, and
# when it is within a couple of standard errors of zero (a printed relative
# standard error of 50% or more) the ratio means nothing and can come out
# with either sign.
ratio_stats = {}
for name in (none, drop):
    for k in (8, 16, 32):
        g = group_cost["zeroed", name, k].ravel()  # (120,)
        s = np.array([single["zeroed", name][i, G].sum() for i in range(n_nets) for G in groups[k][i]])  # (120,)
        r = g.mean() / s.mean()
        r_se = np.std(g - r * s, ddof=1) / np.sqrt(g.size) / abs(s.mean())  # delta method for a ratio of means
        s_rel = s.std(ddof=1) / np.sqrt(s.size) / abs(s.mean())
        ratio_stats[name, k] = (r, r_se, s.mean(), s_rel)
    print(f"{name}: group cost / summed single-unit costs (ratio +- s.e.; denominator, its relative s.e.)")
    print("  " + "   ".join(f"k = {k}: {ratio_stats[name, k][0]:.2f} +- {ratio_stats[name, k][1]:.2f} "
                            f"({100 * ratio_stats[name, k][2]:.2f} pts, {ratio_stats[name, k][3]:.0%})" for k in (8, 16, 32)))
for k in (8, 16, 32):
    r, r_se, _, s_rel = ratio_stats[none, k]
    assert r_se < 0.15 * abs(r), (k, r, r_se)  # without regularisation: well determined
    assert ratio_stats[drop, k][3] > s_rel, (k, ratio_stats[drop, k], s_rel)  # dropout: the denominator is less precise

# %%
# How informative is one unit on its own?
# ---------------------------------------
# The most direct reading of "each unit must be useful on its own" is how
# much a single unit tells about the class. For every unit we build a simple
# classifier that reads only :math:`h_j`: cut its values at the training
# deciles (a unit that is zero on many inputs gets fewer, wider bins), and
# predict in each bin the most frequent training class; we report its test
# accuracy. The measure does not depend on the unit's scale, and a dead unit
# scores the frequency of the most common class.


def unit_probe(H_tr, H_te, n_bins=10):
    """Test accuracy of the majority-class-per-bin classifier on each single unit, (n_nets, 64)."""
    out = np.empty((H_tr.shape[0], H_tr.shape[2]))
    for i in range(H_tr.shape[0]):
        for j in range(H_tr.shape[2]):
            a, b = H_tr[i, :, j].numpy(), H_te[i, :, j].numpy()
            edges = np.unique(np.quantile(a, np.linspace(0, 1, n_bins + 1)[1:-1]))
            bin_a, bin_b = np.searchsorted(edges, a, side="right"), np.searchsorted(edges, b, side="right")
            counts = np.zeros((edges.size + 1, 5))
            np.add.at(counts, (bin_a, y_train.numpy()), 1)
            out[i, j] = (counts.argmax(1)[bin_b] == y_test.numpy()).mean()
    return out


probe = {name: unit_probe(H_train[name], H_test[name]).ravel() for name in names}
for name in names:
    print(f"{name:22s}: single-unit test accuracy, mean over 192 units {probe[name].mean():.3f} "
          f"+- {probe[name].std(ddof=1) / np.sqrt(probe[name].size):.3f} (most frequent class: {chance:.3f})")
d_dw = probe[drop] - probe[wd]
print(f"dropout minus weight decay: {d_dw.mean():+.3f} +- {np.hypot(probe[drop].std(ddof=1), probe[wd].std(ddof=1)) / np.sqrt(192):.3f}")

# %%
# Single units of both regularised settings tell more about the class than
# those of the unregularised networks (by more than four standard errors
# over the units, and network by network: every regularised network's mean
# above every unregularised one's);
# the difference between dropout and weight decay is less than half of
# either's advantage over no regularisation. So "useful on its own",
# measured this way, is mostly a property of regularised networks, not of
# dropout in particular.
for reg in (drop, wd):
    se_reg = np.hypot(probe[reg].std(ddof=1), probe[none].std(ddof=1)) / np.sqrt(192)
    assert probe[reg].mean() - probe[none].mean() > 4 * se_reg, (reg, probe[reg].mean(), probe[none].mean())
    assert probe[reg].reshape(n_nets, -1).mean(1).min() > probe[none].reshape(n_nets, -1).mean(1).max(), probe  # network by network
advantage = min(probe[drop].mean(), probe[wd].mean()) - probe[none].mean()
assert abs(d_dw.mean()) < 0.5 * advantage, (d_dw.mean(), advantage)  # "less than half of either's advantage"

# %%
# Sparsity, as in the paper's Figure 8, measured without units
# ------------------------------------------------------------
# The paper shows that dropout lowers the activations. Raw activation sizes
# are not a fair measure here: a ReLU network computes the same function
# after :math:`h_j \to c\,h_j`, :math:`W_{3,:j} \to W_{3,:j}/c` for any
# :math:`c > 0`, and the dropout networks' output weights are about half the
# size of the unregularised ones' (printed :math:`\|W_3\|`), so smaller
# activations could be a matter of scale. The weight-decay networks have
# output weights of about the dropout networks' size (within 20%), and we
# use measures that do not change under the rescaling: the fraction of
# exact zeros, the number of dead units (zero on every test input), and, per
# unit, the fraction of test inputs on which it is active and the ratio of
# its mean to its standard deviation over the test inputs (low for a unit
# that is often silent, with occasional large values).
W3_norm = {name: np.array([nets[name][4][i].norm().item() for i in range(n_nets)]) for name in names}
zero_frac = {name: (H_test[name] == 0).float().mean((1, 2)).numpy() for name in names}  # per network, (3,)
active = {name: (H_test[name] > 0).float().mean(1).numpy().ravel() for name in names}  # per unit, (192,)
dead = {name: int((active[name] == 0).sum()) for name in names}
mean_over_std = {}
for name in names:
    mu, sd = H_test[name].mean(1), H_test[name].std(1)  # (3, 64)
    mean_over_std[name] = [(mu[i][sd[i] > 0] / sd[i][sd[i] > 0]).mean().item() for i in range(n_nets)]  # living units
    print(f"{name:22s}: ||W3|| {np.round(W3_norm[name], 2)}, exact zeros {np.round(zero_frac[name], 3)}, "
          f"dead units {dead[name]} of 192,\n{'':24s}mean active fraction {active[name].mean():.3f}, "
          f"mean/std per living unit (average) {np.round(mean_over_std[name], 3)}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
for n, name in enumerate(names):
    axes[0].hist(active[name][active[name] > 0], bins=np.linspace(0, 1, 26), histtype="step", lw=2, color=colours[name], label=name)
    x_dead = -0.11 + 0.03 * n  # the dead units as a separate bar each, left of 0
    axes[0].bar(x_dead, dead[name], width=0.025, color=colours[name])
    axes[0].annotate(str(dead[name]), (x_dead, dead[name]), ha="center", va="bottom", fontsize=10)
    living = H_test[name].std(1) > 0
    ratio = (H_test[name].mean(1)[living] / H_test[name].std(1)[living]).numpy()
    axes[1].hist(ratio, bins=np.linspace(0, 3, 31), histtype="step", lw=2, color=colours[name], label=name)
axes[0].set_xticks([-0.08, 0, 0.2, 0.4, 0.6, 0.8, 1.0], ["dead", "0", "0.2", "0.4", "0.6", "0.8", "1"])
axes[0].set_xlabel("fraction of test inputs on which the unit is active ($h_j > 0$)")
axes[0].set_ylabel("number of units (of 3 x 64)")
axes[0].set_title("Activity per unit: about half of the inputs with dropout,\nfew dead units (bars left of 0)", fontsize=11)
axes[1].set_xlabel("mean / standard deviation of $h_j$ over the test inputs (living units)")
axes[1].set_ylabel("number of units")
axes[1].set_title("Lower mean/std with dropout: silent on about\nhalf the inputs, occasionally large", fontsize=11)
handles, labels = axes[1].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncols=3, fontsize=10)
fig.suptitle("Dropout makes the hidden code sparser; weight decay with a comparable gap does not")
fig.tight_layout(rect=(0, 0.07, 1, 1))

# %%
# Every dropout network has more exact zeros and a lower mean-to-spread
# ratio than every network of the two other settings (its units are active
# on about half of the inputs: mean active fraction between 0.4 and 0.6), and the dropout
# networks together have fewer dead units than either; the weight-decay
# networks move the other way (fewer exact zeros than the unregularised
# ones, more dead units). The dropout networks' output weights are smaller
# than every unregularised network's (about half, between 0.4 and 0.6 of them
# on average), and the weight-decay networks' are within 20% of the dropout
# networks' on average.
for other in (none, wd):
    assert zero_frac[drop].min() > zero_frac[other].max(), zero_frac
    assert max(mean_over_std[drop]) < min(mean_over_std[other]), mean_over_std
    assert dead[drop] < dead[other], dead
assert zero_frac[wd].max() < zero_frac[none].min() and dead[wd] > dead[none], (zero_frac, dead)  # weight decay: the other way
assert min(mean_over_std[wd]) > max(mean_over_std[none]), mean_over_std  # ... also in the mean-to-spread ratio
assert 0.4 < active[drop].mean() < 0.6, active[drop].mean()  # "about half of the inputs"
assert W3_norm[drop].max() < W3_norm[none].min(), W3_norm
assert 0.4 < W3_norm[drop].mean() / W3_norm[none].mean() < 0.6, W3_norm  # "about half the size"
assert abs(W3_norm[wd].mean() / W3_norm[drop].mean() - 1) < 0.2, W3_norm

# %%
# What to notice
# --------------
# Removing hidden units is the obvious experiment, and it needs a control.
# Zeroed, single units cost the dropout networks nothing measurable and
# random groups less than in the other two settings; but zeroing is what
# dropout trained them for, so this part is largely a consistency check.
# Replaced by their training mean, groups of units cost both regularised
# settings less than the unregularised one (every weight-decay network; the
# dropout networks on average, by a smaller factor than when zeroed), and
# dropout loses its lead over weight decay tuned to a comparable
# generalisation gap. Single units are
# more informative on their own after either regulariser, with a small
# difference between the two. What the control does not reproduce is the
# code itself: dropout networks have more exact zeros, fewer dead units and
# units silent on about half the inputs (lower mean-to-spread ratio), while weight decay moves
# these measures the other way. The comparison of a group's cost with the
# sum of its units' costs does not diagnose co-adaptation, and we do not
# claim that it does.
#
# **Answer.** Co-adaptation is bad because such finely tuned combinations
# fit idiosyncrasies of the training set and do not transfer to new data
# (the conspiracy that needs everyone). Dropout breaks them by making the
# presence of any other unit unreliable, which pushes each unit towards a
# feature that is useful on its own or with a few random partners (and, with
# the weight-scaling rule, yields an average over many thinned networks; see
# :doc:`plot_02_bagging_ols`). On a small problem the measurable effects are
# those of a regulariser (a smaller generalisation gap, less reliance on
# single units) plus a sparser code that weight decay does not give. Dropout
# is not free: it adds bias, which with plenty of data can cost accuracy
# (shown exactly for linear regression in :doc:`plot_02_bagging_ols`).
