"""Benchmark: the double-descent width sweep, batched against a loop over models.

Trains the 177 networks of ``gallery/05_generalization/plot_01_double_descent.py``
(widths 2..60, 3 seeds, N = 100, float32, full-batch Adam with a cosine
schedule) twice on identical settings: with :func:`nntheory.sweep.train_mlp_sweep`
(zero-padded stacks, batched matrix products) and with
:func:`nntheory.sweep.train_mlp_loop` (one network and one optimiser at a time).
Prints both wall times, their ratio, and the largest difference between the
losses. The gallery runs 5000 steps; to keep the loop affordable this
comparison runs ``--steps`` (default 300) steps for both methods; the cost
per step does not depend on the step count.

In float32 (the gallery's precision) the two runs differ by rounding
amplified over the steps; ``--dtype float64`` shows agreement to about
1e-10 (as ``tests/test_sweep.py`` checks), at a somewhat lower ratio.

Run: ``python benchmarks/bench_double_descent_sweep.py [--steps 300] [--threads 2] [--dtype float64]``
"""

import argparse
import time

import numpy as np
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.sweep import train_mlp_loop, train_mlp_sweep


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    data = sample_teacher_student(make_teacher(seed=0), 100, 5000, noise_std=0.5, generator=torch.Generator().manual_seed(1), dtype=getattr(torch, args.dtype))
    widths = np.tile(np.arange(2, 61), 3)
    seeds = np.repeat([0, 1, 2], 59)
    kw = dict(n_steps=args.steps, lr=1e-2, schedule="cosine", record_every=50)
    sets = (data.X_train, data.y_train, data.X_test, data.y_test, widths, seeds)

    t0, c0 = time.perf_counter(), time.process_time()
    batched = train_mlp_sweep(*sets, n_buckets=4, **kw)
    t_batched, c_batched = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    loop = train_mlp_loop(*sets, **kw)
    t_loop, c_loop = time.perf_counter() - t0, time.process_time() - c0

    diff_train = np.abs(batched.train_loss - loop.train_loss).max()
    diff_test = np.abs(batched.test_loss - loop.test_loss).max()
    print(f"{len(widths)} networks, {args.steps} full-batch Adam steps each, {args.dtype}, {args.threads} thread(s), identical settings")
    print(f"                wall time   CPU time")
    print(f"batched sweep : {t_batched:7.2f} s  {c_batched:7.2f} s")
    print(f"loop of models: {t_loop:7.2f} s  {c_loop:7.2f} s")
    print(f"speed-up      : {t_loop / t_batched:7.1f} x  {c_loop / c_batched:7.1f} x")
    rel = np.abs(batched.test_loss - loop.test_loss).max() / np.abs(loop.test_loss).max()
    print(f"max |train loss difference| = {diff_train:.2e}, max |test loss difference| = {diff_test:.2e} "
          f"(relative {rel:.1e}; {args.dtype} rounding, amplified by training)")


if __name__ == "__main__":
    main()
