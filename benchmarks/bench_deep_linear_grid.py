"""A 200 x 200 grid of per-layer learning rates: nntheory against a lean numpy version.

The work: gradient descent on the scalar deep linear network of csc413-hw2/q4
from (w1, w2) = (1, 1.5), for every (alpha1, alpha2) on a 200 x 200 grid over
[0, 2]², recording the loss after 10, 25, 50, 100 and 200 steps, runs whose
loss passes 1e100 reported as +inf. The peer is the version a numpy user
writes in ten lines (below): broadcasting over the grid, one Python loop over
steps, a divergence mask tested every step. Both must report the same diverged
set and finite losses equal to a relative 1e-12 (printed).

Run: ``python benchmarks/bench_deep_linear_grid.py``.
"""

from __future__ import annotations

from _harness import Row, print_rows, time_pair

import numpy as np  # noqa: E402

from nntheory.deep_linear import gd_losses  # noqa: E402

N_GRID = 200
STEPS = [10, 25, 50, 100, 200]
W1_0, W2_0 = 1.0, 1.5
MAX_LOSS = 1e100


def lean_numpy(w1_0, w2_0, a1, a2, steps, max_loss):
    """GD on L = (w1 w2)^2 / 2 over a whole grid, in plain numpy."""
    w1, w2 = np.full(a1.shape, w1_0), np.full(a1.shape, w2_0)
    out, dead = np.empty((len(steps),) + a1.shape), np.zeros(a1.shape, bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(max(steps) + 1):
            if k:
                w1, w2 = w1 * (1 - a1 * (w2 * w2)), w2 * (1 - a2 * (w1 * w1))
                dead |= ~(0.5 * (w1 * w2) ** 2 <= max_loss)
            for i in np.flatnonzero(np.asarray(steps) == k):
                out[i] = np.where(dead, np.inf, 0.5 * (w1 * w2) ** 2)
    return out


def compare(repeats: int = 5) -> list[Row]:
    alpha = np.linspace(0.0, 2.0, N_GRID)
    a1, a2 = np.meshgrid(alpha, alpha)

    def ours():
        return gd_losses(W1_0, W2_0, a1, a2, STEPS, max_loss=MAX_LOSS)

    def peer():
        return lean_numpy(W1_0, W2_0, a1, a2, STEPS, MAX_LOSS)

    mine, theirs = ours(), peer()
    if not np.array_equal(np.isinf(mine), np.isinf(theirs)):
        raise AssertionError("nntheory and the lean version disagree on which runs diverge")
    finite = np.isfinite(mine)
    rel = float(np.max(np.abs(mine[finite] - theirs[finite]) / np.maximum(np.abs(theirs[finite]), 1e-300)))
    if not rel < 1e-12:
        raise AssertionError(f"finite losses differ by a relative {rel:.1e}")
    t_ours, t_peer = time_pair(ours, peer, repeats)
    agreement = f"same diverged set ({np.isinf(mine[-1]).mean():.0%} of the grid); finite rel. diff {rel:.1e}"
    return [Row(f"deep-linear GD grid {N_GRID}x{N_GRID}, {max(STEPS)} steps", "lean 10-line numpy", t_ours, t_peer, agreement)]


if __name__ == "__main__":
    print_rows(compare())
