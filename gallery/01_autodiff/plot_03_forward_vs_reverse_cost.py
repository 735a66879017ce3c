"""
The cost of a Jacobian: forward against reverse mode
====================================================

Beyond the course sheets: the two previous pages differentiate functions
with one output. Here we ask what each mode costs for the whole Jacobian of
a function :math:`f:\\mathbb{R}^n\\to\\mathbb{R}^m`: we count the passes, the
operations and the nodes each sweep visits (exact numbers, asserted), time
them with the library's engine (an illustration of the counts), measure the
memory, and explain why training a network, whose loss has one output and
millions of inputs, uses reverse mode.
"""

# %%
# Passes needed
# -------------
# One forward-mode pass seeds a tangent direction :math:`\dot x = e_j` and
# returns the column :math:`J e_j`: a Jacobian-vector product. One
# reverse-mode sweep seeds :math:`\bar y = e_i` and returns the row
# :math:`e_i^\top J`: a vector-Jacobian product. A forward pass does, for
# every operation of :math:`f`, the operation itself and a fixed amount of
# derivative arithmetic, so its cost is proportional to the number of
# operations :math:`|f|`. A reverse sweep does one multiply-add per edge for
# every node it visits. This engine's sweep visits every node recorded
# before the output it differentiates, so it too costs up to :math:`|f|`:
#
# .. math::
#
#    \text{cost}_{\text{forward}} \approx n \cdot c\,|f|, \qquad
#    \text{cost}_{\text{reverse}} \approx c_0\,|f| + m \cdot c'\,|f|
#    \;(+\text{memory for the recorded graph}),
#
# where :math:`c_0|f|` records the graph once. We test this on
# :math:`f(x) = \tanh(Wx)` with a random :math:`W\in\mathbb{R}^{m\times n}`,
# for which :math:`|f| = m(2n+1)` (per output, :math:`n` products, :math:`n`
# sums and a :math:`\tanh`) and the Jacobian is known in closed form,
# :math:`J = \operatorname{diag}(1-\tanh^2(Wx))\,W`.
import gc
import time
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np

from nntheory import autodiff
from nntheory.plotting import figure_text_problems
from nntheory.seeding import base_seed

SEED = base_seed(0)
rng = np.random.default_rng(SEED)
eps = np.finfo(float).eps


def make_f(W):
    """f(x) = tanh(W x), written with scalar operations of the engine."""

    def f(x):
        return [autodiff.tanh(sum((w * xj for w, xj in zip(row, x)), 0.0)) for row in W]

    return f


# %%
# Counting the work
# -----------------
# First the exact counts, with no clock involved. We wrap :math:`f` to count
# how often each Jacobian routine calls it, and read the recorded graph's
# counters: :attr:`~nntheory.autodiff.Graph.n_sweeps` and
# :attr:`~nntheory.autodiff.Graph.n_visits`, the number of nodes the sweeps
# visited. Two shapes: :math:`m = 1` output with growing :math:`n` (the shape
# of a loss function), then :math:`n = 1` input with growing :math:`m`.
#
# The tape holds the :math:`n` inputs and, per output, :math:`n` constants
# :math:`W_{ij}`, :math:`n` products, the starting :math:`0`, :math:`n` sums
# and a :math:`\tanh`: :math:`n + m(3n+2)` nodes. Output :math:`i` is the
# last of them at position :math:`n + i(3n+2)`, so its sweep visits that
# many nodes and the :math:`m` sweeps visit
#
# .. math::
#
#    \sum_{i=1}^{m} \bigl(n + i(3n+2)\bigr) = mn + (3n+2)\,\frac{m(m+1)}{2}
#
# nodes in all: the cost model's :math:`m \cdot c'|f|` with
# :math:`|f| \propto m` when :math:`n = 1`, so reverse mode's work grows like
# :math:`m^2` with many outputs. That is a property of sweeping the whole
# tape, not of reverse mode: output :math:`i` depends on only
# :math:`4n + 2` nodes (the inputs and its own :math:`3n + 2`), and an engine
# that restricts each sweep to the output's own subgraph visits
# :math:`m(4n+2)` nodes in all, linear in :math:`m`. ``torch.autograd`` is
# such an engine: a backward call runs the graph reachable from the output's
# ``grad_fn``. We count that graph for the same :math:`f` with :math:`n = 1`
# built from scalar operations in torch: 3 nodes per output (the
# :math:`\tanh`, the product and the input; torch records no constants and
# no starting 0), the same for all :math:`m = 512` outputs.
import torch

sizes_n = [1, 2, 4, 8, 16, 32, 64]
sizes_m = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


def count_work(n, m):
    """Exact counts for one Jacobian of f: R^n -> R^m by each mode."""
    f = make_f(rng.standard_normal((m, n)))
    x = rng.standard_normal(n)
    calls = []

    def counted(v):
        calls.append(v[0])
        return f(v)

    autodiff.jacobian_forward(counted, x)
    forward_calls = len(calls)
    calls.clear()
    autodiff.jacobian_reverse(counted, x)
    graph = calls[0].graph  # the graph jacobian_reverse recorded f into
    outputs = [node for node in graph.nodes if node.op == "tanh"]

    def ancestors(node):  # the output's own subgraph: every node it depends on, itself included
        seen, stack = {node}, [node]
        while stack:
            for parent in stack.pop().parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return len(seen)

    own = [ancestors(out) for out in outputs]
    return {
        "n": n, "m": m, "ops": sum(nd.op not in ("input", "const") for nd in graph.nodes),
        "fwd passes": forward_calls, "rev calls of f": len(calls), "sweeps": graph.n_sweeps,
        "tape": len(graph.nodes), "visits": graph.n_visits, "own subgraphs": sum(own), "own": own,
    }


counts = [count_work(n, 1) for n in sizes_n] + [count_work(1, m) for m in sizes_m[1:]]
cols = ["n", "m", "ops", "fwd passes", "sweeps", "tape", "visits", "own subgraphs"]
widths = [max(len(c), 6) for c in cols]
print("  ".join(f"{c:>{w}s}" for c, w in zip(cols, widths)))
for c in counts:
    print("  ".join(f"{c[k]:{w}d}" for k, w in zip(cols, widths)))

for c in counts:
    n, m = c["n"], c["m"]
    assert c["ops"] == m * (2 * n + 1) and c["tape"] == n + m * (3 * n + 2), c  # |f| and the tape, as counted above
    assert c["fwd passes"] == n, c  # forward mode: n passes
    assert c["rev calls of f"] == 1 and c["sweeps"] == m, c  # reverse mode: one recording, m sweeps
    assert c["visits"] == m * n + (3 * n + 2) * m * (m + 1) // 2, c  # each sweep walks the tape back from its output
    assert c["own"] == [4 * n + 2] * m, c  # output i depends on 4n + 2 nodes: m (4n + 2) in all, linear in m

# torch.autograd on the same f with n = 1 and m = 512, built from scalar operations as ours is: the nodes
# a backward call for output i runs are those reachable from y_i.grad_fn.
xt = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
yt = [torch.tanh(w * xt) for w in torch.as_tensor(rng.standard_normal(512))]


def reachable(fn):
    seen, stack = {fn}, [fn]
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return len(seen)


torch_sizes = {reachable(y.grad_fn) for y in yt}
print(f"torch.autograd, m = 512 outputs: nodes reachable from each output's grad_fn: {sorted(torch_sizes)}")
assert torch_sizes == {3}  # tanh, product, x: the same for every output, whatever m

# %%
# Measured times
# --------------
# The times illustrate these counts; they are not the argument. Each time is
# the CPU time of this thread per call (``time.thread_time``: unlike wall
# time it leaves out other programs running on the machine, and unlike the
# process's CPU time it leaves out other threads, such as the worker threads
# of a numerical library loaded earlier), measured over five batches of calls of at least 2 ms each; we keep the
# fastest and the slowest batch. Every timing claim below is checked with
# that spread against it: "A is slower than B" means A's fastest batch is
# slower than B's slowest, and each log-log slope is bounded by the steepest
# and the flattest line the spread allows. Every Jacobian is also compared
# with the closed form, within a rounding-error bound computed for each run
# (it is of order :math:`n\,\varepsilon` for sums of :math:`n` terms).


def cpu_time(fn, repeats=5, batch=2e-3):
    """CPU seconds of this thread per call: (fastest, slowest) of ``repeats`` batches lasting at least ``batch`` s.

    The garbage collector is paused while timing, as :mod:`timeit` does: its
    passes over all live objects would otherwise add a cost that depends on
    what else the process holds.
    """
    gc.disable()
    try:
        calls = 1
        while True:  # find a batch size that lasts at least `batch` seconds
            start = time.thread_time()
            for _ in range(calls):
                fn()
            if time.thread_time() - start >= batch:
                break
            calls *= 2
        per_call = []
        for _ in range(repeats):
            start = time.thread_time()
            for _ in range(calls):
                fn()
            per_call.append((time.thread_time() - start) / calls)
        return min(per_call), max(per_call)
    finally:
        gc.enable()


def measure(n, m):
    """CPU times (fastest, slowest) of both Jacobians and of f on floats; the Jacobian error and its bound."""
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    f = make_f(W)
    J_true = (1 - np.tanh(W @ x) ** 2)[:, None] * W
    err = max(np.abs(autodiff.jacobian_forward(f, x) - J_true).max(),
              np.abs(autodiff.jacobian_reverse(f, x) - J_true).max())
    # Rounding bound: u = Wx is a sum of n products, off by at most n eps sum_j |W_ij x_j|; 1 - tanh^2 has slope
    # at most 4 / (3 sqrt 3) < 0.77 in u; a few more roundings in tanh and the products.
    bound = (0.77 * n * eps * (np.abs(W) @ np.abs(x))[:, None] * np.abs(W) + 8 * eps * np.abs(J_true)).max() + 8 * eps
    t_fwd = cpu_time(lambda: autodiff.jacobian_forward(f, x))
    t_rev = cpu_time(lambda: autodiff.jacobian_reverse(f, x))
    t_f = cpu_time(lambda: f(list(x)))
    return (*t_fwd, *t_rev, *t_f, err, bound)


FWD, REV, F = 0, 2, 4  # columns: (fastest, slowest) of each
wide = np.array([measure(n, 1) for n in sizes_n])  # (len(sizes_n), 8): m = 1
tall = np.array([measure(1, m) for m in sizes_m])  # (len(sizes_m), 8): n = 1
errors = np.concatenate([wide[:, 6], tall[:, 6]])
bounds = np.concatenate([wide[:, 7], tall[:, 7]])
margin = np.min(bounds / np.maximum(errors, 1e-300))
print(f"max |J - closed form| over all runs: {errors.max():.1e}; smallest ratio bound / error: {margin:.0f}")
assert np.all(errors <= bounds), (errors, bounds)  # "equal to the closed form to float64 rounding"

spread = np.concatenate([wide[:, [1, 3, 5]] / wide[:, [0, 2, 4]], tall[:, [1, 3, 5]] / tall[:, [0, 2, 4]]])
print(f"spread over the five batches (slowest / fastest): median {np.median(spread):.3f}, largest {spread.max():.3f}")


def ms(row, col):
    return f"{row[col] * 1e3:8.3f}-{row[col + 1] * 1e3:<8.3f}"


header = f"{'':>4s} {'forward [ms]':^17s} {'reverse [ms]':^17s} {'fwd/rev':>7s}"
print(f"{'m = 1':^48s} | {'n = 1':^48s}")
print(f"{header.replace('    ', '   n', 1)} | {header.replace('    ', '   m', 1)}")
for k in range(len(sizes_m)):
    left = ""
    if k < len(sizes_n):
        left = f"{sizes_n[k]:4d} {ms(wide[k], FWD)} {ms(wide[k], REV)} {wide[k, FWD] / wide[k, REV]:7.2f}"
    right = f"{sizes_m[k]:4d} {ms(tall[k], FWD)} {ms(tall[k], REV)} {tall[k, FWD] / tall[k, REV]:7.2f}"
    print(f"{left:48s} | {right}")

# %%
# With one output, forward mode makes :math:`n` passes over a function of
# size :math:`|f| \propto n`, so its time grows like :math:`n^2`, while
# reverse mode records once and sweeps once, time :math:`\propto n`: forward
# mode is the slower from :math:`n = 2` on, and the ratio of the two grows
# with :math:`n`.
#
# With one input, forward mode makes one pass, time :math:`\propto m`, and
# this engine's reverse mode records once and sweeps :math:`m` times, each
# sweep walking the tape back from its output: its time grows faster than
# linearly, towards :math:`m^2`. A sweep visits a node for a fraction of what
# recording it costs (measured below), so the sweeps overtake the one
# recording only once :math:`m` is large enough; from the printed crossover
# on, forward mode is faster.
#
# In the figure each point is the geometric mean of the fastest and the
# slowest batch, with a bar between them (mostly hidden by the marker). The
# grey lines :math:`\propto n, n^2` (and :math:`\propto m, m^2`) are
# references for the slopes, drawn next to the largest point of the curve
# whose growth they stand for. The slopes are measured over :math:`n \ge 8`
# with one output, over :math:`m \ge 8` for forward mode with one input,
# and between the two largest :math:`m` for reverse mode, whose
# :math:`m^2` term takes over only there. The checks ask each slope, over
# the whole range the spread allows, to be nearer the exponent the counts
# predict (1 or 2) than the other one, and reverse mode's slope with one
# input to exceed 1.


def slope_range(sizes, data, col, smallest, largest=None):
    """The flattest and steepest log-log slope between two sizes that the spread allows: (lower, upper)."""
    i, j = sizes.index(smallest), sizes.index(largest or sizes[-1])
    run = np.log(sizes[j] / sizes[i])
    return np.log(data[j, col] / data[i, col + 1]) / run, np.log(data[j, col + 1] / data[i, col]) / run


slopes = {
    "forward, m=1 (n = 8..64)": slope_range(sizes_n, wide, FWD, 8),
    "reverse, m=1 (n = 8..64)": slope_range(sizes_n, wide, REV, 8),
    "forward, n=1 (m = 8..512)": slope_range(sizes_m, tall, FWD, 8),
    "reverse, n=1 (m = 256..512)": slope_range(sizes_m, tall, REV, 256),
}
print("log-log slopes, [flattest, steepest] within the spread:")
for k, (lo, hi) in slopes.items():
    print(f"  {k:28s} [{lo:.2f}, {hi:.2f}]")
# Each slope is nearer the exponent the counts predict than the other one (the midpoint 1.5).
assert slopes["forward, m=1 (n = 8..64)"][0] > 1.5, slopes  # forward, one output: ~ n^2
assert slopes["reverse, m=1 (n = 8..64)"][1] < 1.5, slopes  # reverse, one output: ~ n
assert slopes["forward, n=1 (m = 8..512)"][1] < 1.5, slopes  # forward, one input: ~ m
assert slopes["reverse, n=1 (m = 256..512)"][0] > 1.0, slopes  # reverse, one input: faster than linear

fwd_slower = wide[1:, FWD] > wide[1:, REV + 1]  # forward's fastest batch slower than reverse's slowest
ratio_low, ratio_high = wide[:, FWD] / wide[:, REV + 1], wide[:, FWD + 1] / wide[:, REV]
assert np.all(fwd_slower), wide  # "forward mode is the slower from n = 2 on"
assert np.all(ratio_low[1:] > ratio_high[:-1]), (ratio_low, ratio_high)  # the ratio grows with n, beyond the spread
rev_slower = tall[:, REV] > tall[:, FWD + 1]
crossover = next(k for k in range(len(sizes_m)) if rev_slower[k:].all())  # raises if reverse is not slower at m = 512
print(f"with one input, reverse mode is slower beyond the spread from m = {sizes_m[crossover]} on")

colours = {"forward": "#0072B2", "reverse": "#D55E00"}
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained", sharey=True)
for ax, sizes, data, name, first in ((axes[0], sizes_n, wide, "n", 8), (axes[1], sizes_m, tall, "m", 8)):
    s = np.array(sizes, dtype=float)
    labels = {"n": ("forward mode (n passes)", "reverse mode (one recording, one sweep)"),
              "m": ("forward mode (one pass)", "reverse mode (one recording, m sweeps)")}[name]
    for col, mode, marker, label in ((FWD, "forward", "o", labels[0]), (REV, "reverse", "s", labels[1])):
        lo, hi = data[:, col] * 1e3, data[:, col + 1] * 1e3  # fastest and slowest batch
        mid = np.sqrt(lo * hi)
        ax.errorbar(s, mid, yerr=[mid - lo, hi - mid], fmt=marker + "-", color=colours[mode], label=label, capsize=2)
    # Reference slopes through a point 2.5 times below (or, for m^2, above) the largest point of the curve
    # they stand for, so that every line stays visible and none crosses another curve.
    if name == "n":
        quad, lin = data[-1, FWD] / 2.5, data[-1, REV] / 2.5
    else:
        quad, lin = data[-1, REV] * 2.5, data[-1, FWD] / 2.5
    s_lin, s_quad = s[s >= first], s[s >= (first if name == "n" else 128)]
    ax.loglog(s_quad, quad * 1e3 * (s_quad / s[-1]) ** 2, ":", color="0.3", lw=1.5, label=f"∝ {name}² (reference)")
    ax.loglog(s_lin, lin * 1e3 * (s_lin / s[-1]), "--", color="0.3", lw=1.5, label=f"∝ {name} (reference)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.tick_params(labelsize=10)
    ax.legend(fontsize=9.5, loc="upper left")
axes[0].set_xlabel("number of inputs n (m = 1)", fontsize=11)
axes[1].set_xlabel("number of outputs m (n = 1)", fontsize=11)
axes[0].set_ylabel("CPU time for the full Jacobian [ms]", fontsize=11)
axes[0].set_title(f"f: Rⁿ → R: forward takes {wide[-1, FWD] / wide[-1, REV]:.0f}× as long at n = {sizes_n[-1]}",
                  fontsize=12)
axes[1].set_title(f"f: R → Rᵐ: reverse takes {tall[-1, REV] / tall[-1, FWD]:.1f}× as long at m = {sizes_m[-1]}",
                  fontsize=12)
clipped = figure_text_problems(fig)
plt.show()
assert clipped == [], clipped  # no title, tick label or legend entry cut off by the figure's edge

# %%
# Constants: the cheap gradient principle
# ---------------------------------------
# For a scalar function, reverse mode gives the whole gradient for a cost
# that is a constant multiple of evaluating :math:`f`, the same for every
# :math:`n`. Griewank and Walther (2008) call this the *cheap gradient
# principle*; they bound the constant for operation counts by a small
# number, and the principle is often quoted as "within a factor of about 5"
# (Kakade and Lee 2018). In our counts the constant is exact: the tape holds
# 2 nodes per operation of :math:`f` (:math:`4n + 2` for :math:`2n + 1`
# operations, whatever :math:`n`) and the one sweep visits each once.
#
# The constant in *time* depends on the implementation. This engine creates
# a Python object for every operation, so one forward (dual-number) pass, and
# equally the recording, costs more than ten times an evaluation of
# :math:`f` on plain numbers (the printed ratios: tens of times), while one
# backward sweep only multiplies and adds numbers already stored, several
# times cheaper than the recording. A whole reverse gradient at
# :math:`n = 64` thus costs more than ten evaluations of :math:`f` (printed:
# tens), well above the principle's factor of about 5: the principle counts
# arithmetic, and this engine's cost is the bookkeeping around it. At small
# :math:`n` the printed multiple is lower only because an evaluation on
# floats then costs mostly Python's fixed overhead of a function call. The
# cheap sweep is also why, with one input, reverse mode keeps up with forward
# mode until :math:`m` sweeps add up.
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
print(f"n = {n_big}, m = 1, CPU time relative to one evaluation on floats (fastest batches):")
print(f"  one forward (dual) pass {t_pass[0] / t_float[0]:.0f}, recording {t_record[0] / t_float[0]:.0f}, "
      f"one backward sweep {t_sweep[0] / t_float[0]:.0f}")
# Fastest batch of the slow one against the slowest batch of the fast one:
assert t_pass[0] > 10 * t_float[1] and t_record[0] > 10 * t_float[1], (t_pass, t_record, t_float)  # "more than ten times"
assert t_record[0] > 3 * t_sweep[1], (t_record, t_sweep)  # a sweep is "several times cheaper" (at least 3)
assert len(g_big.nodes) == 2 * sum(nd.op not in ("input", "const") for nd in g_big.nodes)  # 2 nodes per operation
rev_over_f = wide[:, REV] / wide[:, F + 1]  # reverse gradient / evaluation on floats, lowest within the spread
print("reverse gradient / one evaluation of f on floats, lowest within the spread:")
print("  " + ", ".join(f"{r:.0f} at n = {n}" for n, r in zip(sizes_n, rev_over_f) if n >= 8))
assert rev_over_f[-1] > 10, rev_over_f  # "more than ten evaluations of f" at n = 64, twice the principle's 5

# %%
# Memory and checkpointing
# ------------------------
# Reverse mode has to keep the recorded graph, every intermediate value and
# local partial, until the sweep has used it: its memory grows with
# :math:`|f|`. A forward pass keeps no record; here it holds the inputs, one
# running sum and the value being added, whatever :math:`n` is. We measure
# the peak memory that Python allocates during one forward pass and during
# one recording (``tracemalloc``; the inputs are created before), at
# :math:`n = 1024` and :math:`n = 4096`. The forward pass's peak is not zero:
# CPython keeps freed small objects (tuples, floats) for reuse, and
# ``tracemalloc`` counts them until ``gc.collect()`` empties those caches,
# which we call before each measurement. The caches have a bounded size, so
# the forward pass's peak stops growing, while the tape's grows in
# proportion to the number of nodes recorded.


def peak_bytes(fn):
    """Peak bytes Python allocates while fn runs, above what it held before (its result kept alive until the end)."""
    gc.collect()  # empties CPython's caches of freed objects, so that every measurement starts alike
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn()  # noqa: F841 (kept alive: the tape stays in memory until measured)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        if not was_tracing:
            tracemalloc.stop()


memory = {}
for n in (1024, 4096):
    f_n = make_f(rng.standard_normal((1, n)))
    x_n = rng.standard_normal(n)
    duals = [autodiff.Dual(v, 1.0) for v in x_n]
    graph_n = autodiff.Graph()
    inputs = [graph_n.input(v, f"x{j}") for j, v in enumerate(x_n)]
    memory[n] = (peak_bytes(lambda: f_n(duals)), peak_bytes(lambda: f_n(inputs)), len(graph_n.nodes) - n)
    print(f"n = {n}: peak of one forward pass {memory[n][0] / 1e3:6.1f} kB; of the recording "
          f"{memory[n][1] / 1e3:7.1f} kB for {memory[n][2]} nodes ({memory[n][1] / memory[n][2]:.0f} bytes per node)")
grow_forward = memory[4096][0] - memory[1024][0]
grow_tape = memory[4096][1] - memory[1024][1]
per_node = [memory[n][1] / memory[n][2] for n in (1024, 4096)]
print(f"from n = 1024 to 4096: the forward pass's peak grows by {grow_forward} bytes, "
      f"the tape's by {grow_tape / 1e6:.2f} MB")
assert grow_forward <= 0.01 * grow_tape, (grow_forward, grow_tape)  # forward: no growth with |f| (< 1 % of the tape's)
assert abs(per_node[1] / per_node[0] - 1) < 0.05, per_node  # the tape grows in proportion to the nodes recorded

# %%
# The standard answer to that memory cost is *checkpointing*: keep only some
# intermediate states during the forward pass and recompute the others from
# the nearest kept one when the backward sweep needs them. For a chain of
# :math:`L` layers, keeping every :math:`\sqrt{L}`-th state costs one extra
# forward pass and memory :math:`\propto \sqrt{L}` instead of :math:`L`
# (Chen et al. 2016); Griewank's binomial checkpointing (Griewank 1992,
# *revolve* in Griewank and Walther 2000) gets logarithmic memory for a
# logarithmic factor of recomputation. ``torch.utils.checkpoint`` implements
# the first.
#
# What to notice
# --------------
# * Both modes return the same Jacobian, equal to the closed form to float64
#   rounding (within the bound computed for each run).
# * The counts are exact: for :math:`f:\mathbb{R}^n\to\mathbb{R}^m` forward
#   mode makes :math:`n` passes of :math:`|f|` operations, reverse mode one
#   recording and :math:`m` sweeps. With one output, reverse mode needs one
#   sweep for the whole gradient, and the printed ratio of the times grows
#   with :math:`n`. With one input the roles swap: forward mode is faster
#   from the printed crossover on. This engine's reverse mode then does work
#   that grows like :math:`m^2` (the exact visit counts), and takes time
#   that grows faster than linearly, as its cost model predicts, because
#   every sweep walks the tape back from its output; an engine that visits
#   only the output's own subgraph, as ``torch.autograd`` does, does work
#   that grows linearly.
# * A training loss maps millions of parameters to one number, so one
#   reverse sweep gives the whole gradient for a constant multiple of one
#   evaluation of the loss (the cheap gradient principle); forward mode would
#   need one pass per parameter. The price of reverse mode is memory: the
#   recorded values must be kept until the backward sweep uses them, unless
#   they are recomputed from checkpoints.
#
# References: A. Griewank and A. Walther, *Evaluating Derivatives:
# Principles and Techniques of Algorithmic Differentiation*, 2nd ed., SIAM,
# 2008. A. Griewank, Achieving logarithmic growth of temporal and spatial
# complexity in reverse automatic differentiation, *Optimization Methods and
# Software* 1 (1992). A. Griewank and A. Walther, Algorithm 799: revolve,
# *ACM Transactions on Mathematical Software* 26 (2000). S. Kakade and
# J. D. Lee, Provably correct automatic subdifferentiation for qualified
# programs, *NeurIPS* 2018. T. Chen, B. Xu,
# C. Zhang and C. Guestrin, Training deep nets with sublinear memory cost,
# arXiv:1604.06174 (2016).

# sphinx_gallery_thumbnail_number = 1
