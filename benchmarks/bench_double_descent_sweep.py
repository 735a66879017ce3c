"""Benchmark: the double-descent page's sweep, phase by phase, batched against one network at a time.

Runs the training of ``gallery/05_generalization/plot_01_double_descent.py``
(135 tanh networks, widths 2..800, N = 100; 500 full-batch Adam steps in
float32, then up to 80 second-order iterations in float64: Newton's method
below the interpolation threshold, dual Gauss-Newton at and above it) and
reports, in CPU time (user + system of this process, robust to other jobs on
the machine) and wall time:

1. the first-order phase: :func:`nntheory.sweep.train_mlp_sweep` (stacks
   chosen by the cost model) against :func:`nntheory.sweep.train_mlp_loop`
   (one ``torch.optim.Adam`` per network), with the largest difference of
   the final losses;
2. the second-order phase from the *same* Adam weights: batched (Newton per
   width, Gauss-Newton in padded stacks of mixed widths) against one network
   at a time, with the largest difference of the final training losses of
   the networks that converged in both;
3. the share of the second-order phase in the page's sweep.

Run: ``python benchmarks/bench_double_descent_sweep.py [--threads 2] [--newton-iter 80]``
"""

import argparse
import time

import numpy as np
import torch

from nntheory import sweep as sw
from nntheory.data.teacher_student import make_teacher, sample_teacher_student

WIDTHS = np.array([2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 29, 30,
                   31, 32, 33, 34, 36, 40, 45, 50, 60, 80, 100, 156, 200, 300, 400, 600, 800])


def timed(fn, *args, **kwargs):
    """Run ``fn`` once; return its result, wall time and CPU time."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0, time.process_time() - c0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--newton-iter", type=int, default=80)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    data = sample_teacher_student(make_teacher(n_hidden=1000, seed=0), 100, 5000, noise_std=0.05,
                                  generator=torch.Generator().manual_seed(1), dtype=torch.float32)
    extra = WIDTHS[(WIDTHS >= 16) & (WIDTHS <= 30)]
    widths = np.concatenate([np.repeat(WIDTHS, 3), np.repeat(extra, 3)])
    seeds = np.random.default_rng(1).integers(0, 2**31 - 1, size=len(widths))
    sets = (data.X_train, data.y_train, data.X_test, data.y_test, widths, seeds)
    kw = dict(n_steps=args.steps, lr=1e-2, activation="tanh", record_every=10)
    print(f"{len(widths)} networks, {args.threads} thread(s); times are CPU (wall)\n")

    (fast, t_fast, c_fast), (loop, t_loop, c_loop) = timed(sw.train_mlp_sweep, *sets, **kw), timed(sw.train_mlp_loop, *sets, **kw)
    rel = np.abs(fast.train_loss - loop.train_loss) / loop.train_loss
    print(f"1. {args.steps} Adam steps: batched {c_fast:.2f} s ({t_fast:.2f} s), loop {c_loop:.2f} s ({t_loop:.2f} s): "
          f"{c_loop / c_fast:.1f}x CPU, {t_loop / t_fast:.1f}x wall; final training losses agree to {rel.max():.1e} (relative, float32)")

    second = (data.X_train, data.y_train, data.X_test, data.y_test, args.newton_iter, 1e-10, 0.0, "cpu")
    (b, t_b, c_b), (o, t_o, c_o) = timed(sw._newton_phase, fast, *second), timed(sw._newton_phase, fast, *second, one_by_one=True)
    both = (b.grad_norm <= 1e-10) & (o.grad_norm <= 1e-10)
    diff = np.abs(b.train_loss - o.train_loss)[both].max()
    print(f"2. second-order phase: batched {c_b:.2f} s ({t_b:.2f} s), one by one {c_o:.2f} s ({t_o:.2f} s): "
          f"{c_o / c_b:.1f}x CPU, {t_o / t_b:.1f}x wall; {both.sum()} networks converged in both, training losses "
          f"agree to {diff:.1e}")
    interp = np.array([sw.mlp_n_params(int(m)) >= data.y_train.numel() for m in widths])
    under_iters, over_iters = b.newton_iter[~interp].sum(), b.newton_iter[interp].sum()
    print(f"   iterations: {under_iters} Newton (P < Nk), {over_iters} Gauss-Newton (P >= Nk)")
    print(f"3. the page's sweep: first order {c_fast:.2f} s + second order {c_b:.2f} s CPU; second-order share "
          f"{c_b / (c_fast + c_b):.0%}")


if __name__ == "__main__":
    main()
