"""
The cost of a Jacobian: forward against reverse mode
====================================================

Beyond the course sheets: the two previous pages differentiate functions
with one output. Here we ask what each mode costs for the whole Jacobian of
a function :math:`f:\\mathbb{R}^n\\to\\mathbb{R}^m`, count the passes, time
them with the library's engine, and explain why training a network, whose
loss has one output and millions of inputs, uses reverse mode.
"""

# %%
# Passes needed
# -------------
# One forward-mode pass seeds a tangent direction :math:`\dot x = e_j` and
# returns the column :math:`J e_j`: a Jacobian-vector product. One
# reverse-mode sweep seeds :math:`\bar y = e_i` and returns the row
# :math:`e_i^\top J`: a vector-Jacobian product. Each pass costs a small
# constant multiple of one evaluation of :math:`f`, so
#
# .. math::
#
#    \text{cost}_{\text{forward}} \approx n \cdot c\,\text{cost}(f), \qquad
#    \text{cost}_{\text{reverse}} \approx m \cdot c'\,\text{cost}(f)
#    \;(+\text{memory for the recorded graph}).
#
# We test this on :math:`f(x) = \tanh(Wx)` with a fixed random
# :math:`W\in\mathbb{R}^{m\times n}`, whose Jacobian is known in closed form,
# :math:`J = \operatorname{diag}(1-\tanh^2(Wx))\,W`.
import time

import matplotlib.pyplot as plt
import numpy as np

from nntheory import autodiff

rng = np.random.default_rng(0)


def make_f(W):
    """f(x) = tanh(W x), written with scalar operations of the engine."""

    def f(x):
        return [autodiff.tanh(sum((w * xj for w, xj in zip(row, x)), 0.0)) for row in W]

    return f


def median_time(fn, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure(n, m):
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    f = make_f(W)
    J_true = (1 - np.tanh(W @ x) ** 2)[:, None] * W
    J_fwd = autodiff.jacobian_forward(f, x)
    J_rev = autodiff.jacobian_reverse(f, x)
    err = max(np.abs(J_fwd - J_true).max(), np.abs(J_rev - J_true).max())
    t_fwd = median_time(lambda: autodiff.jacobian_forward(f, x))
    t_rev = median_time(lambda: autodiff.jacobian_reverse(f, x))
    return t_fwd, t_rev, err


# %%
# Many inputs, one output, and the reverse situation
# --------------------------------------------------
# First :math:`m = 1` and growing :math:`n` (the shape of a loss function),
# then :math:`n = 1` and growing :math:`m`. Every Jacobian is compared with
# the closed form.
sizes = [1, 2, 4, 8, 16, 32, 64]
wide = np.array([measure(n, 1) for n in sizes])  # (len(sizes), 3)
tall = np.array([measure(1, m) for m in sizes])
print(f"max |J - closed form| over all runs: {max(wide[:, 2].max(), tall[:, 2].max()):.1e}")
print(f"{'size':>5s} | {'m=1: forward':>13s} {'reverse':>10s} {'ratio':>7s} | {'n=1: forward':>13s} {'reverse':>10s} {'ratio':>7s}")
for k, s in enumerate(sizes):
    print(
        f"{s:5d} | {wide[k, 0] * 1e3:10.2f} ms {wide[k, 1] * 1e3:7.2f} ms {wide[k, 0] / wide[k, 1]:7.1f}"
        f" | {tall[k, 0] * 1e3:10.2f} ms {tall[k, 1] * 1e3:7.2f} ms {tall[k, 0] / tall[k, 1]:7.2f}"
    )

# %%
# The measured cost follows the pass count: with one output, forward mode's
# time grows with :math:`n` while one reverse sweep suffices; with one input,
# it is the other way round.
colours = {"forward": "#0072B2", "reverse": "#D55E00"}
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
for ax, data, label in ((axes[0], wide, "number of inputs n (m = 1)"), (axes[1], tall, "number of outputs m (n = 1)")):
    ax.loglog(sizes, data[:, 0] * 1e3, "o-", color=colours["forward"], label="forward mode (n passes)")
    ax.loglog(sizes, data[:, 1] * 1e3, "s-", color=colours["reverse"], label="reverse mode (m sweeps)")
    ax.set_xlabel(label, fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
axes[0].set_ylabel("time for the full Jacobian [ms]", fontsize=11)
axes[0].set_title("f: Rⁿ → R: reverse mode wins", fontsize=12)
axes[1].set_title("f: R → Rᵐ: forward mode wins", fontsize=12)
axes[0].legend(fontsize=10)
plt.show()

# %%
# What to notice
# --------------
# * Both modes return the same Jacobian, equal to the closed form to float64
#   rounding (first printed line).
# * For :math:`f:\mathbb{R}^n\to\mathbb{R}` forward mode needs :math:`n`
#   passes and reverse mode one sweep; the printed ratio of their times
#   grows with :math:`n`. For :math:`f:\mathbb{R}\to\mathbb{R}^m` the roles
#   swap. (Our reverse sweep walks the whole tape up to each output, which
#   is why its cost with many outputs grows faster than linearly here.)
# * A training loss maps millions of parameters to one number, so one
#   reverse sweep, costing a few forward passes, gives the whole gradient;
#   forward mode would need one pass per parameter. The price of reverse
#   mode is memory: the forward values must be stored until the backward
#   sweep uses them.

# sphinx_gallery_thumbnail_number = 1
