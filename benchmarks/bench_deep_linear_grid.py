"""Vectorised (alpha1, alpha2) grid of GD runs against a Python loop over grid points.

Runs gradient descent on the scalar deep linear network L = (w1 w2)^2 / 2 for
every point of an alpha grid, once with :func:`nntheory.deep_linear.gd_losses`
(numpy broadcasting, one loop over steps) and once with a plain Python loop
over grid points and steps, checks that both give the same losses (inf == inf
for diverged runs) and prints the speed ratio.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_deep_linear_grid.py``.
"""

import time

import numpy as np

from nntheory.deep_linear import gd_losses

N_GRID = 200  # the density of the gallery heatmaps
STEPS = [10, 25, 50, 100, 200]
W1_0, W2_0 = 1.0, 1.5
MAX_LOSS = 1e100


def loop_reference(w1_0, w2_0, alpha1, alpha2, steps, max_loss=MAX_LOSS):
    """The same GD in Python floats, one grid point at a time."""
    out = np.empty((len(steps),) + alpha1.shape)
    k_max = max(steps)
    for idx in np.ndindex(alpha1.shape):
        a1, a2 = float(alpha1[idx]), float(alpha2[idx])
        w1, w2 = w1_0, w2_0
        diverged = False
        for k in range(k_max + 1):
            if k > 0 and not diverged:
                n1, n2 = w1 * (1.0 - a1 * (w2 * w2)), w2 * (1.0 - a2 * (w1 * w1))
                try:
                    loss = 0.5 * (n1 * n2) ** 2
                except OverflowError:
                    loss = float("inf")
                if not loss <= max_loss:
                    diverged = True
                else:
                    w1, w2 = n1, n2
            if k in steps:
                out[(steps.index(k),) + idx] = np.inf if diverged else 0.5 * (w1 * w2) ** 2
    return out


def main():
    alpha = np.linspace(0.0, 2.0, N_GRID)
    a1, a2 = np.meshgrid(alpha, alpha)

    t0 = time.perf_counter()
    for _ in range(5):
        vec = gd_losses(W1_0, W2_0, a1, a2, STEPS, max_loss=MAX_LOSS)
    t_vec = (time.perf_counter() - t0) / 5

    t0 = time.perf_counter()
    ref = loop_reference(W1_0, W2_0, a1, a2, STEPS)
    t_loop = time.perf_counter() - t0

    same_inf = np.array_equal(np.isinf(vec), np.isinf(ref))
    finite = np.isfinite(vec) & np.isfinite(ref)
    rel = np.max(np.abs(vec[finite] - ref[finite]) / np.maximum(np.abs(ref[finite]), 1e-300))
    print(f"grid {N_GRID} x {N_GRID}, steps {STEPS}, init (w1, w2) = ({W1_0}, {W2_0})")
    print(f"diverged runs: {np.isinf(vec[-1]).mean():.1%} of the grid after {STEPS[-1]} steps")
    print(f"same diverged set (inf == inf): {same_inf}")
    print(f"max abs difference on finite losses: {np.max(np.abs(vec[finite] - ref[finite])):.3e}")
    print(f"max relative difference on finite losses: {rel:.3e}")
    print(f"vectorised: {t_vec * 1e3:.1f} ms   python loop: {t_loop * 1e3:.0f} ms   ratio: {t_loop / t_vec:.0f}x")


if __name__ == "__main__":
    main()
