"""
Co-adaptation: how much a network relies on single hidden units
===============================================================

Exercise 9.1.4 of the Theory of Neural Networks sheet 9 (ID ``tnn-9/1.4``)
asks what *co-adaptation* of hidden units is, why it is harmful, and how
dropout counters it (Srivastava et al., 2014). Co-adaptation means that
units become useful only in combination: one unit's output corrects the
mistakes of specific others, so the network's function rests on fragile,
finely tuned conspiracies that fit the training set (including its noise)
rather than on features that are useful on their own. Dropout makes every
unit's partners unreliable (any of them may be missing at any step), so each
unit has to be useful in many random contexts. We show the measurable
consequence: removing single hidden units, or growing random groups of them,
from a trained network hurts much less if it was trained with dropout.
"""

# %%
# The experiment
# --------------
# A 5-class problem from the teacher–student generator
# (:mod:`nntheory.data.teacher_student`): the label is the index of the
# largest of the teacher's 5 noisy outputs. A ReLU network
# :math:`10 \to 64 \to 64 \to 5` is trained with cross-entropy and Adam
# (minibatches of 100, 1500 steps), once without dropout and once with
# inverted dropout (:class:`~nntheory.models.dropout.InvertedDropout`,
# ``p_keep = 0.5``) after each hidden layer, for three seeds each. Inverted
# dropout leaves the test-time network unscaled, so *removing* a unit is
# simply setting its activation to zero. We remove units of the second hidden
# layer, one at a time, and then random groups of :math:`k` units, and record
# the test accuracy.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.models.dropout import InvertedDropout

generator = torch.Generator().manual_seed(0)
rng = np.random.default_rng(0)
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

    def forward(self, x):
        h1 = self.d1(torch.relu(self.l1(x)))
        h2 = self.d2(torch.relu(self.l2(h1))) * self.unit_mask  # (n_samples, 64)
        return self.l3(h2)


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
def accuracy(net, removed=()):
    net.unit_mask.fill_(1.0)
    net.unit_mask[list(removed)] = 0.0
    acc = (net(data.X_test).argmax(1) == y_test).float().mean().item()
    net.unit_mask.fill_(1.0)
    return acc


nets = {name: [train(p_keep, seed) for seed in range(3)] for name, p_keep in (("no dropout", 1.0), ("dropout, p_keep = 0.5", 0.5))}
for name, group in nets.items():
    with torch.no_grad():
        train_acc = [(net(data.X_train).argmax(1) == y_train).float().mean().item() for net in group]
    print(f"{name:22s}: train accuracy {np.mean(train_acc):.3f}, test accuracy {np.mean([accuracy(n) for n in group]):.3f}")

# %%
# Removing one unit at a time
# ---------------------------
# For every unit :math:`j` of the second hidden layer, the drop in test
# accuracy when :math:`h_j` is set to zero, for all three seeds (192 units
# per setting), sorted from the most to the least harmful.
drops = {}
for name, group in nets.items():
    drops[name] = np.sort(np.concatenate([[accuracy(net) - accuracy(net, [j]) for j in range(64)] for net in group]))[::-1]
    d = drops[name]
    print(f"{name:22s}: single-unit removal costs on average {100 * d.mean():.2f} points of accuracy, "
          f"at most {100 * d.max():.2f}; {np.mean(d > 0.005):.0%} of the units cost more than 0.5 points")

colours = {"no dropout": "#D55E00", "dropout, p_keep = 0.5": "#0072B2"}
fig, ax = plt.subplots(figsize=(7, 4.2))
for name, d in drops.items():
    ax.plot(np.arange(1, len(d) + 1), 100 * d, lw=2, color=colours[name], label=name)
ax.axhline(0, color="0.5", lw=1)
ax.set_xlabel("hidden unit (sorted by harm when removed; 3 seeds x 64 units)")
ax.set_ylabel("drop in test accuracy (percentage points)")
ax.set_title("Without dropout, single units matter more")
ax.legend(fontsize=10)
fig.tight_layout()

# %%
# Removing random groups of units
# -------------------------------
# Co-adapted units fail together: removing a group hurts more than the sum of
# their single effects suggests. We remove :math:`k` random units of the
# second hidden layer (20 random groups per :math:`k` and network).
ks = [0, 4, 8, 16, 24, 32, 40, 48]
fig, ax = plt.subplots(figsize=(7, 4.2))
for name, group in nets.items():
    curves = np.array([[np.mean([accuracy(net, rng.choice(64, k, replace=False)) for _ in range(20)]) for k in ks] for net in group])
    ax.plot(ks, 100 * curves.mean(0), "o-", lw=2, color=colours[name], label=name)
    ax.fill_between(ks, 100 * curves.min(0), 100 * curves.max(0), color=colours[name], alpha=0.2, lw=0)
    print(f"{name:22s}: test accuracy with k = 0, 16, 32, 48 units removed: "
          + ", ".join(f"{100 * curves.mean(0)[ks.index(k)]:.1f}%" for k in (0, 16, 32, 48)))
ax.axhline(100 * np.bincount(y_test.numpy()).max() / len(y_test), color="0.5", ls=":", label="always the most frequent class")
ax.set_xlabel("number $k$ of removed units (of 64)")
ax.set_ylabel("test accuracy (%)")
ax.set_title("Dropout-trained networks degrade gracefully")
ax.legend(fontsize=10)
fig.tight_layout()
# sphinx_gallery_thumbnail_number = 2

# %%
# What to notice
# --------------
# Without dropout, removing a single hidden unit costs more accuracy on
# average, and removing groups of units makes the accuracy collapse quickly
# (printed numbers, second figure): the units depend on each other, which is
# what co-adaptation means. With dropout, each unit was trained in random
# company, so it cannot rely on particular partners; the network degrades
# gracefully as units disappear. Co-adaptation is bad because such
# conspiracies are exactly what fits idiosyncrasies of the training set and
# does not transfer to new data; dropout breaks them by making the presence
# of any other unit unreliable, which pushes each unit towards a feature
# that is useful on its own (and, with the weight-scaling rule, yields an
# average over many thinned networks; see :doc:`plot_02_bagging_ols`).
# The first printed lines show the same story from the generalisation side:
# the network without dropout fits the training set much better than the
# test set, while the dropout network has a lower training accuracy, a
# smaller gap and, here, the better test accuracy. (Dropout is not free: it
# slows training and, with plenty of data for the model, can cost accuracy.)
