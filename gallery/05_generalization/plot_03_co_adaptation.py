"""
Co-adaptation: how much a network relies on single hidden units
===============================================================

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
random contexts. We measure two consequences on a small classifier:
removing hidden units from a trained network hurts much less if it was
trained with dropout, and its hidden activations are sparser, as the
paper's Figure 8 reports.
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
# the other units. *Conspiracies*: ten conspiracies of five people each are
# a surer way to cause havoc than one of fifty in which everyone must play
# their part; a large conspiracy works if nothing changes and there is time
# to rehearse (a training set), while small ones survive changed conditions
# (new data). Complex co-adaptations fit the training set and fail on test
# data more often than several simpler ones that do the same job.
#
# The evidence they show (Section 7): **Figure 7**, the features of a
# one-hidden-layer autoencoder with 256 ReLUs on MNIST: both versions
# reconstruct equally well, but without dropout no single unit seems to
# detect a meaningful feature (the units have co-adapted to reconstruct
# together), while with dropout (:math:`p = 0.5`) the units detect edges,
# strokes and spots, each meaningful on its own. **Figure 8**, sparsity: as a side effect
# of dropout, without any sparsity penalty, the hidden activations become
# sparse: the mean activation of a unit drops from about 2.0 to about 0.7,
# and the histogram of activations gets a sharp peak at zero.
#
# The experiment
# --------------
# A 5-class problem from the teacher–student generator
# (:mod:`nntheory.data.teacher_student`; the teacher is fixed by its own
# seed, the samples come from the page's seed): the label is the index of
# the largest of the teacher's 5 noisy outputs. A ReLU network
# :math:`10 \to 64 \to 64 \to 5` is trained with cross-entropy and Adam
# (minibatches of 100, 1500 steps), once without dropout and once with
# inverted dropout (:class:`~nntheory.models.dropout.InvertedDropout`,
# ``p_keep = 0.5``) after each hidden layer, from three initialisations each.
# Inverted dropout leaves the test-time network unscaled, so *removing* a
# unit is simply setting its activation to zero. We remove units of the
# second hidden layer, one at a time and in random groups of :math:`k`, and
# record the test accuracy on 3000 test points. One caveat up front:
# dropout *trains* the network to cope with deleted units (half of them,
# at every step), so its robustness to deletion is partly a consistency
# check of the training objective; the independent evidence is in the
# generalisation gap and the sparsity below.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.models.dropout import InvertedDropout
from nntheory.seeding import base_seed

SEED = base_seed(0)
generator = torch.Generator().manual_seed(SEED)
rng = np.random.default_rng(SEED)
data = sample_teacher_student(make_teacher(seed=0), 2000, 3000, noise_std=0.3, generator=generator, dtype=torch.float32)
y_train, y_test = data.y_train.argmax(1), data.y_test.argmax(1)
print("class frequencies in the training set:", np.bincount(y_train.numpy(), minlength=5) / len(y_train))


class Net(torch.nn.Module):
    """10 -> 64 -> 64 -> 5 ReLU network; optional dropout; ``unit_mask`` removes units of layer 2."""

    def __init__(self, p_keep, seed):
        super().__init__()
        self.l1, self.l2, self.l3 = torch.nn.Linear(10, 64), torch.nn.Linear(64, 64), torch.nn.Linear(64, 5)
        init = torch.Generator().manual_seed(seed)
        with torch.no_grad():  # torch's default ranges, drawn from our own generator
            for lin in (self.l1, self.l2, self.l3):
                for t in (lin.weight, lin.bias):
                    t.copy_((2 * torch.rand(t.shape, generator=init) - 1) / lin.in_features**0.5)
        masks = torch.Generator().manual_seed(seed + 100)
        self.d1 = InvertedDropout(p_keep, generator=masks) if p_keep < 1 else torch.nn.Identity()
        self.d2 = InvertedDropout(p_keep, generator=masks) if p_keep < 1 else torch.nn.Identity()
        self.register_buffer("unit_mask", torch.ones(64))

    def hidden(self, x):
        """Second-layer activations (after dropout in training mode), (n_samples, 64)."""
        return self.d2(torch.relu(self.l2(self.d1(torch.relu(self.l1(x))))))

    def forward(self, x):
        return self.l3(self.hidden(x) * self.unit_mask)


def train(p_keep, seed, n_steps=1500, batch_size=100):
    net = Net(p_keep, seed)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    order = torch.Generator().manual_seed(seed + 200)
    net.train()
    for step in range(n_steps):
        idx = torch.randint(0, len(y_train), (batch_size,), generator=order)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(data.X_train[idx]), y_train[idx]).backward()
        opt.step()
    return net.eval()


@torch.no_grad()
def accuracy(net, removed=(), X=data.X_test, y=y_test):
    net.unit_mask.fill_(1.0)
    net.unit_mask[list(removed)] = 0.0
    acc = (net(X).argmax(1) == y).float().mean().item()
    net.unit_mask.fill_(1.0)
    return acc


names = ("no dropout", "dropout, p_keep = 0.5")
nets = {name: [train(p_keep, SEED + seed) for seed in range(3)] for name, p_keep in zip(names, (1.0, 0.5))}
train_acc = {name: np.array([accuracy(net, X=data.X_train, y=y_train) for net in group]) for name, group in nets.items()}
test_acc = {name: np.array([accuracy(net) for net in group]) for name, group in nets.items()}
for name in names:
    print(f"{name:22s}: train accuracy {train_acc[name].mean():.3f}, test accuracy {test_acc[name].mean():.3f}, "
          f"gap {(train_acc[name] - test_acc[name]).mean():.3f}   (per network: test {np.round(test_acc[name], 3)})")

# %%
# Without dropout the network fits the training set far better than the
# test set; with dropout both the training accuracy and the gap are smaller
# for every one of the three networks, and here every dropout network also
# has the higher test accuracy. (That last point depends on the problem:
# with plenty of data for the model, dropout can cost accuracy.)
gap = {name: train_acc[name] - test_acc[name] for name in names}
assert gap[names[1]].max() < gap[names[0]].min(), gap  # every dropout network has a smaller gap
assert train_acc[names[1]].max() < train_acc[names[0]].min(), train_acc  # and a lower training accuracy
assert test_acc[names[1]].min() > test_acc[names[0]].max(), test_acc  # "here ... the higher test accuracy"

# %%
# Removing one unit at a time
# ---------------------------
# For every unit :math:`j` of the second hidden layer, the drop in test
# accuracy when :math:`h_j` is set to zero, for all three networks (192 units
# per setting), sorted from the most to the least harmful. One test point
# is :math:`1/3000 \approx 0.03` percentage points.
single = {name: np.array([[accuracy(net) - accuracy(net, [j]) for j in range(64)] for net in group]) for name, group in nets.items()}  # (3, 64)
drops = {}
for name in names:
    drops[name] = d = np.sort(single[name].flatten())[::-1]
    print(f"{name:22s}: single-unit removal costs on average {100 * d.mean():.2f} points of accuracy "
          f"(+- {100 * d.std(ddof=1) / np.sqrt(d.size):.2f}), at most {100 * d.max():.2f}; "
          f"{np.mean(d > 0.005):.0%} of the units cost more than 0.5 points")

colours = dict(zip(names, ("#D55E00", "#0072B2")))
fig, ax = plt.subplots(figsize=(7, 4.2))
for name, d in drops.items():
    ax.plot(np.arange(1, len(d) + 1), 100 * d, lw=2, color=colours[name], label=name)
ax.axhline(0, color="0.5", lw=1)
ax.set_xlabel("hidden unit (sorted by harm when removed; 3 networks x 64 units)")
ax.set_ylabel("drop in test accuracy (percentage points)")
ax.set_title("Without dropout, single units matter more")
ax.legend(fontsize=10)
fig.tight_layout()

# %%
# Without dropout, removing one unit costs on average several times more
# accuracy than with dropout, where the average cost is within about one
# test point of zero (the difference of the means is many standard errors),
# and the most harmful unit costs more too.
d0, d1 = drops[names[0]], drops[names[1]]
se = np.hypot(d0.std(ddof=1) / np.sqrt(d0.size), d1.std(ddof=1) / np.sqrt(d1.size))
print(f"difference of the mean single-unit costs: {100 * (d0.mean() - d1.mean()):.2f} points = {(d0.mean() - d1.mean()) / se:.1f} standard errors")
assert d0.mean() - d1.mean() > 4 * se, (d0.mean(), d1.mean(), se)
assert d0.mean() > 3 * max(d1.mean(), 0.0), (d0.mean(), d1.mean())  # "several times more": at least three times
assert abs(d1.mean()) < 3 / 3000, d1.mean()  # within about one test point (of 3000) of zero: below three
assert d0.max() > d1.max(), (d0.max(), d1.max())

# %%
# Removing random groups of units
# -------------------------------
# We remove :math:`k` random units of the second hidden layer (20 random
# groups per :math:`k` and network) and compare the accuracy with the
# intact network's.
ks = [0, 4, 8, 16, 24, 32, 40, 48]
groups = {k: [[rng.choice(64, k, replace=False) for _ in range(20)] for _ in range(3)] for k in ks}
curves = {}
fig, ax = plt.subplots(figsize=(7, 4.2))
for name, group in nets.items():
    curves[name] = np.array([[np.mean([accuracy(net, G) for G in groups[k][i]]) for k in ks] for i, net in enumerate(group)])  # (3, len(ks))
    mean = curves[name].mean(0)
    ax.plot(ks, 100 * mean, "o-", lw=2, color=colours[name], label=f"{name} (mean of 3 networks)")
    ax.fill_between(ks, 100 * curves[name].min(0), 100 * curves[name].max(0), color=colours[name], alpha=0.2, lw=0)
    print(f"{name:22s}: test accuracy with k = 0, 16, 32, 48 units removed: "
          + ", ".join(f"{100 * mean[ks.index(k)]:.1f}%" for k in (0, 16, 32, 48)))
chance = np.bincount(y_test.numpy()).max() / len(y_test)
ax.axhline(100 * chance, color="0.5", ls=":", label="always the most frequent class")
ax.set_xlabel("number $k$ of removed units (of 64)")
ax.set_ylabel("test accuracy (%)")
ax.set_title("Dropout-trained networks degrade gracefully (band: range over 3 networks)")
ax.legend(fontsize=10)
fig.tight_layout()
# sphinx_gallery_thumbnail_number = 2

# %%
# From 16 removed units on, every dropout network loses less accuracy than
# every network without dropout: at :math:`k = 16, 32, 48` the largest loss
# among the three dropout networks is smaller than the smallest loss among
# the three others.
loss_at = {name: curves[name][:, [0]] - curves[name] for name in names}  # (3, len(ks)) accuracy lost
for k in (16, 32, 48):
    i = ks.index(k)
    print(f"k = {k:2d}: accuracy lost, no dropout {np.round(100 * loss_at[names[0]][:, i], 1)} points, "
          f"dropout {np.round(100 * loss_at[names[1]][:, i], 1)} points")
    assert loss_at[names[1]][:, i].max() < loss_at[names[0]][:, i].min(), (k, loss_at)

# %%
# Does a group hurt more than the sum of its units?
# -------------------------------------------------
# A tempting reading of "co-adapted units fail together" is that removing a
# group should cost more than the sum of what its units cost one at a time.
# We computed it, as the mean cost of the groups of :math:`k` units divided
# by the mean over the same groups of the summed single-unit costs. It does
# not test co-adaptation. If unit :math:`a` exists to correct unit
# :math:`b`'s mistakes, removing :math:`a` alone leaves :math:`b`'s mistakes
# uncorrected and hurts, while removing both removes the mistakes too: the
# group costs *less* than the sum. Redundancy (several units carrying the
# same feature) does the opposite: one copy can go without harm, all of them
# cannot, and the group costs *more* than the sum. The two effects mix, and
# the measurement says little: without dropout the group's cost is within
# a factor of two of the sum (the units' effects roughly add up), and with
# dropout a single unit's cost is so close to zero (above) that the ratio
# mostly measures the noise of its denominator and can even come out
# negative.
for name in names:
    ratios = []
    for k in (8, 16, 32):
        group_cost = np.mean([curves[name][n, 0] - accuracy(nets[name][n], G) for n in range(3) for G in groups[k][n]])
        summed = np.mean([single[name][n, G].sum() for n in range(3) for G in groups[k][n]])
        ratios.append(group_cost / summed)
    print(f"{name:22s}: mean group cost / mean summed single-unit cost, k = 8, 16, 32: {np.round(ratios, 2)}   "
          f"mean single-unit cost {100 * np.mean(single[name]):.3f} points")
    if name == names[0]:
        assert all(0.5 < r < 2 for r in ratios), ratios  # roughly additive without dropout: within a factor of two

# %%
# Sparsity, as in the paper's Figure 8
# ------------------------------------
# The activations of the second hidden layer on the test inputs (test mode,
# no units removed): the histogram of all activations and the histogram of
# each unit's mean activation, for the first network of each kind, and the
# fraction of exact zeros for all three.
with torch.no_grad():
    acts = {name: [net.hidden(data.X_test) for net in group] for name, group in nets.items()}  # 3 x (3000, 64)
zero_frac = {name: np.array([(a == 0).float().mean().item() for a in acts[name]]) for name in names}
mean_act = {name: np.array([a.mean().item() for a in acts[name]]) for name in names}
top = {name: np.array([a.quantile(0.99).item() for a in acts[name]]) for name in names}  # 99th percentile of the activations
for name in names:
    print(f"{name:22s}: fraction of zero activations {np.round(zero_frac[name], 3)}, mean activation {np.round(mean_act[name], 3)}, "
          f"99th percentile {np.round(top[name], 2)}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
bins = np.linspace(0, max(a.max().item() for a in (acts[names[0]][0], acts[names[1]][0])), 50)
mean_bins = np.linspace(0, max(a.mean(0).max().item() for a in (acts[names[0]][0], acts[names[1]][0])), 25)
for name in names:
    a = acts[name][0]
    zeros = (a == 0).float().mean().item()
    axes[0].hist(a[a > 0].numpy(), bins=bins, color=colours[name], alpha=0.6, label=f"{name} (+ {zeros:.0%} exact zeros)")
    axes[1].hist(a.mean(0).numpy(), bins=mean_bins, color=colours[name], alpha=0.6, label=name)
axes[0].set_yscale("log")
axes[0].set_xlabel("positive activation $h_j(x)$ of a second-layer unit")
axes[0].set_ylabel("count (of 3000 inputs x 64 units)")
axes[0].set_title("Activations: more exact zeros, fewer large values", fontsize=11)
axes[1].set_xlabel("mean activation of a unit over the test inputs")
axes[1].set_ylabel("number of units")
axes[1].set_title("Mean activation per unit: lower with dropout", fontsize=11)
for ax in axes:
    ax.legend(fontsize=10)
fig.suptitle("Dropout makes the hidden code sparser (first network of each kind)")
fig.tight_layout()

# %%
# Every dropout network has more exact zeros, a lower mean activation and
# fewer large activations (a lower 99th percentile) than every network
# trained without dropout: the direction of the paper's Figure 8, on a
# different task and so not with its numbers.
assert zero_frac[names[1]].min() > zero_frac[names[0]].max(), zero_frac
assert mean_act[names[1]].max() < mean_act[names[0]].min(), mean_act
assert top[names[1]].max() < top[names[0]].min(), top

# %%
# What to notice
# --------------
# Without dropout, removing a single hidden unit costs several times more
# accuracy on average, and removing groups costs more at every group size
# from 16 units on (printed numbers, second figure): the network's output
# depends on particular units being present. With dropout, each unit was
# trained in random company and cannot rely on particular partners; the
# network degrades gracefully as units disappear, which is what it was
# trained for, so this part is largely a consistency check. The
# sharper evidence that dropout changes *what* the units compute is the
# sparsity (third figure: more exact zeros and lower mean activations,
# as in the paper's Figure 8) and the smaller generalisation gap of every
# dropout network (first printed lines). The comparison of a group's cost with
# the sum of its units' costs turned out not to diagnose co-adaptation, and
# we do not claim that it does.
#
# **Answer.** Co-adaptation is bad because such finely tuned combinations
# fit idiosyncrasies of the training set and do not transfer to new data
# (the conspiracy that needs fifty people). Dropout breaks them by making
# the presence of any other unit unreliable, which pushes each unit towards
# a feature that is useful on its own or with a few random partners (and,
# with the weight-scaling rule, yields an average over many thinned
# networks; see :doc:`plot_02_bagging_ols`). Dropout is not free: it slows
# training and, with plenty of data for the model, can cost accuracy.
