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
# :math:`e_i^\top J`: a vector-Jacobian product. A pass does, for every
# operation of :math:`f`, the operation itself and a fixed amount of
# derivative arithmetic (a tangent from the local partials going forward;
# one multiply-add per edge coming back), so its cost is proportional to the
# number of operations :math:`|f|`, whatever :math:`n` and :math:`m` are:
#
# .. math::
#
#    \text{cost}_{\text{forward}} \approx n \cdot c\,|f|, \qquad
#    \text{cost}_{\text{reverse}} \approx c_0\,|f| + m \cdot c'\,|f|
#    \;(+\text{memory for the recorded graph}),
#
# where :math:`c_0|f|` records the graph once. We test this on
# :math:`f(x) = \tanh(Wx)` with a random :math:`W\in\mathbb{R}^{m\times n}`,
# for which :math:`|f| \propto mn` and the Jacobian is known in closed form,
# :math:`J = \operatorname{diag}(1-\tanh^2(Wx))\,W`. Times are CPU times of
# this process (the minimum over five repeats of a batch of calls), so that
# other programs running on the machine barely affect them.
import gc
import time

import matplotlib.pyplot as plt
import numpy as np

from nntheory import autodiff
from nntheory.seeding import base_seed

SEED = base_seed(0)
rng = np.random.default_rng(SEED)
eps = np.finfo(float).eps


def make_f(W):
    """f(x) = tanh(W x), written with scalar operations of the engine."""

    def f(x):
        return [autodiff.tanh(sum((w * xj for w, xj in zip(row, x)), 0.0)) for row in W]

    return f


def cpu_time(fn, repeats=5, batch=2e-3):
    """CPU seconds per call: the minimum over ``repeats`` batches of calls lasting at least ``batch`` s.

    The garbage collector is paused while timing, as :mod:`timeit` does: its
    passes over all live objects would otherwise add a cost that depends on
    what else the process holds.
    """
    gc.disable()
    try:
        return _cpu_time(fn, repeats, batch)
    finally:
        gc.enable()


def _cpu_time(fn, repeats, batch):
    calls = 1
    while True:
        start = time.process_time()
        for _ in range(calls):
            fn()
        total = time.process_time() - start
        if total >= batch:
            break
        calls *= 2
    best = total
    for _ in range(repeats - 1):
        start = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, time.process_time() - start)
    return best / calls


def measure(n, m):
    """CPU times of the forward and reverse Jacobians, of f on floats, and the Jacobian error against its bound."""
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    f = make_f(W)
    J_true = (1 - np.tanh(W @ x) ** 2)[:, None] * W
    err = max(np.abs(autodiff.jacobian_forward(f, x) - J_true).max(), np.abs(autodiff.jacobian_reverse(f, x) - J_true).max())
    # Rounding bound: u = Wx is a sum of n products, off by at most n eps sum_j |W_ij x_j|; 1 - tanh^2 has slope
    # at most 4 / (3 sqrt 3) < 0.77 in u; a few more roundings in tanh and the products.
    bound = (0.77 * n * eps * (np.abs(W) @ np.abs(x))[:, None] * np.abs(W) + 8 * eps * np.abs(J_true)).max() + 8 * eps
    t_fwd = cpu_time(lambda: autodiff.jacobian_forward(f, x))
    t_rev = cpu_time(lambda: autodiff.jacobian_reverse(f, x))
    t_f = cpu_time(lambda: f(list(x)))
    return t_fwd, t_rev, t_f, err, bound


# %%
# Many inputs, one output, and the reverse situation
# --------------------------------------------------
# First :math:`m = 1` and growing :math:`n` (the shape of a loss function),
# then :math:`n = 1` and growing :math:`m`. Every Jacobian is compared with
# the closed form, within a rounding-error bound computed for each run (it
# is of order :math:`n\,\varepsilon` for sums of :math:`n` terms).
sizes_n = [1, 2, 4, 8, 16, 32, 64]
sizes_m = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
wide = np.array([measure(n, 1) for n in sizes_n])  # (len(sizes_n), 5): m = 1
tall = np.array([measure(1, m) for m in sizes_m])  # (len(sizes_m), 5): n = 1
errors = np.concatenate([wide[:, 3], tall[:, 3]])
bounds = np.concatenate([wide[:, 4], tall[:, 4]])
print(f"max |J - closed form| over all runs: {errors.max():.1e}; smallest ratio bound / error: {np.min(bounds / np.maximum(errors, 1e-300)):.0f}")
assert np.all(errors <= bounds), (errors, bounds)  # "equal to the closed form to float64 rounding"

ratio_wide = wide[:, 0] / wide[:, 1]  # forward time / reverse time
ratio_tall = tall[:, 0] / tall[:, 1]
print(f"{'n':>4s} {'forward (m=1)':>14s} {'reverse':>10s} {'fwd/rev':>8s} | {'m':>4s} {'forward (n=1)':>14s} {'reverse':>10s} {'fwd/rev':>8s}")
for k in range(len(sizes_m)):
    left = f"{sizes_n[k]:4d} {wide[k, 0] * 1e3:11.3f} ms {wide[k, 1] * 1e3:7.3f} ms {ratio_wide[k]:8.2f}" if k < len(sizes_n) else " " * 41
    print(f"{left} | {sizes_m[k]:4d} {tall[k, 0] * 1e3:11.3f} ms {tall[k, 1] * 1e3:7.3f} ms {ratio_tall[k]:8.2f}")

# %%
# The measured cost follows the pass count. With one output, forward mode
# makes :math:`n` passes over a function of size :math:`|f|\propto n`, so its
# time grows like :math:`n^2`, while reverse mode records once and sweeps
# once, time :math:`\propto n`: the ratio grows like :math:`n`.
#
# With one input, forward mode makes one pass, time :math:`\propto m`, and
# reverse mode records once and sweeps :math:`m` times. Our engine's sweep
# for output :math:`i` resets every adjoint and walks the tape up to that
# output, so each sweep costs :math:`\propto m` and the total grows like
# :math:`m^2`. A sweep is cheap next to the recording (a multiply-add per
# edge against creating a node per operation), so up to :math:`m \approx 16`
# the two modes take about the same time; beyond, the sweeps dominate and
# forward mode pulls ahead. The slopes of straight-line fits on the log-log
# plot measure the exponents: over :math:`n \ge 8` for one output, over
# :math:`m \ge 8` for forward mode and :math:`m \ge 128` for reverse mode
# with one input, where the sweeps dominate.


def slope(sizes, t, smallest):
    keep = np.array(sizes) >= smallest
    return np.polyfit(np.log(np.array(sizes)[keep]), np.log(t[keep]), 1)[0]


slopes = {
    "forward, m=1": slope(sizes_n, wide[:, 0], 8),
    "reverse, m=1": slope(sizes_n, wide[:, 1], 8),
    "forward, n=1": slope(sizes_m, tall[:, 0], 8),
    "reverse, n=1": slope(sizes_m, tall[:, 1], 128),
}
print("log-log slopes: " + ", ".join(f"{k}: {v:.2f}" for k, v in slopes.items()))
assert 1.8 <= slopes["forward, m=1"] <= 2.2, slopes  # forward, one output: ~ n^2
assert 0.8 <= slopes["reverse, m=1"] <= 1.2, slopes  # reverse, one output: ~ n
assert 0.8 <= slopes["forward, n=1"] <= 1.2, slopes  # forward, one input: ~ m
assert slopes["reverse, n=1"] >= 1.4, slopes  # reverse, one input: faster than linear, towards m^2
assert np.all(np.diff(ratio_wide) > 0) and ratio_wide[-1] >= 0.5 * sizes_n[-1], ratio_wide  # the ratio grows like n
assert 0.7 <= ratio_wide[0] <= 1.4, ratio_wide  # "about 1 at n = 1"
small, large = np.array(sizes_m) <= 16, np.array(sizes_m) >= 64
assert np.all((0.8 <= ratio_tall[small]) & (ratio_tall[small] <= 1.25)), ratio_tall  # "about the same time"
assert np.all(ratio_tall[large] < 0.9) and np.all(np.diff(ratio_tall[large]) < 0), ratio_tall  # forward pulls ahead

colours = {"forward": "#0072B2", "reverse": "#D55E00"}
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
for ax, sizes, data, label in ((axes[0], sizes_n, wide, "number of inputs n (m = 1)"), (axes[1], sizes_m, tall, "number of outputs m (n = 1)")):
    ax.loglog(sizes, data[:, 0] * 1e3, "o-", color=colours["forward"], label="forward mode (n passes)")
    ax.loglog(sizes, data[:, 1] * 1e3, "s-", color=colours["reverse"], label="reverse mode (record once, m sweeps)")
    ax.set_xlabel(label, fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.tick_params(labelsize=10)
axes[0].set_ylabel("CPU time for the full Jacobian [ms]", fontsize=11)
axes[0].set_title(f"f: Rⁿ → R: forward takes {ratio_wide[-1]:.0f}× as long at n = {sizes_n[-1]}", fontsize=12)
axes[1].set_title(f"f: R → Rᵐ: reverse takes {1 / ratio_tall[-1]:.1f}× as long at m = {sizes_m[-1]}", fontsize=12)
axes[0].legend(fontsize=10, loc="upper left")
plt.show()

# %%
# Constants and memory
# --------------------
# The constants :math:`c_0, c, c'` depend on the implementation. This engine
# creates a Python object for every operation, so one forward pass, and
# equally the recording, costs more than ten times an evaluation of
# :math:`f` on plain floats, while one backward sweep only multiplies and
# adds numbers already stored, several times cheaper than the recording. That
# is why, with one input, reverse mode keeps up with forward mode until
# :math:`m` sweeps add up. Other implementations have other constants, but
# the same pass counts.
#
# Reverse mode also has to keep the recorded graph, every intermediate value
# and local partial, until the sweep has used it: its memory grows with
# :math:`|f|`, while a forward pass only holds the values still needed.
n_big = sizes_n[-1]
W = rng.standard_normal((1, n_big))
x_big = rng.standard_normal(n_big)
f_big = make_f(W)


def record():
    g = autodiff.Graph()
    out = f_big([g.input(v, f"x{j}") for j, v in enumerate(x_big)])[0]
    return g, out


g_big, out_big = record()
t_float = cpu_time(lambda: f_big(list(x_big)))
t_pass = cpu_time(lambda: f_big([autodiff.Dual(v, 1.0) for v in x_big]))
t_record = cpu_time(record)
t_sweep = cpu_time(lambda: g_big.backward(out_big))
print(f"n = {n_big}, m = 1, CPU time relative to one evaluation on floats: one forward (dual) pass {t_pass / t_float:.0f}, "
      f"recording {t_record / t_float:.0f}, one backward sweep {t_sweep / t_float:.0f}")
assert t_pass > 10 * t_float and t_record > 10 * t_float, (t_pass, t_record, t_float)  # "more than ten times"
assert t_record > 3 * t_sweep, (t_record, t_sweep)  # a sweep is "several times cheaper than the recording"

tape = []
for n in (32, 64):
    g = autodiff.Graph()
    xs = [g.input(v, f"x{j}") for j, v in enumerate(rng.standard_normal(n))]
    make_f(rng.standard_normal((1, n)))(xs)
    tape.append(len(g.nodes))
print(f"nodes recorded for one evaluation of f: {tape[0]} at n = 32, {tape[1]} at n = 64")
# n inputs; per term a constant w_j, a product and a sum; the starting 0 and the tanh: 4n + 2 nodes.
assert tape == [4 * 32 + 2, 4 * 64 + 2], tape  # "its memory grows with |f|"

# %%
# What to notice
# --------------
# * Both modes return the same Jacobian, equal to the closed form to float64
#   rounding (within the bound computed for each run; first printed line).
# * For :math:`f:\mathbb{R}^n\to\mathbb{R}` forward mode needs :math:`n`
#   passes and reverse mode one sweep; the printed ratio of their times
#   grows like :math:`n` (from about 1 at :math:`n = 1` to the value in the
#   left title at :math:`n = 64`). For :math:`f:\mathbb{R}\to\mathbb{R}^m`
#   the roles swap, though later than the pass count alone suggests: a
#   reverse sweep is much cheaper than the recording, so the two modes are
#   about equally fast up to :math:`m = 16`, and forward mode pulls ahead
#   from :math:`m = 64` on. (Our reverse sweep walks the tape up to each
#   output, which is why its cost with many outputs grows faster than
#   linearly here.)
# * A training loss maps millions of parameters to one number, so one
#   reverse sweep gives the whole gradient at a cost proportional to one
#   evaluation of the loss; forward mode would need one pass per parameter.
#   The price of reverse mode is memory: the recorded values must be kept
#   until the backward sweep uses them.

# sphinx_gallery_thumbnail_number = 1
