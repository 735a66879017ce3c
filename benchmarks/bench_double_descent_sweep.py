"""Benchmark: the double-descent width sweep, batched against a loop over models.

Trains the 177 networks of ``gallery/05_generalization/plot_01_double_descent.py``
(widths 2..60, 3 seeds, N = 100, tanh, full-batch Adam with a cosine
schedule in float32, then Newton's method in float64) twice on identical
settings: with :func:`nntheory.sweep.train_mlp_sweep` (zero-padded stacks and
batched matrix products for Adam; the Newton phase batched over the seeds of
each width) and with :func:`nntheory.sweep.train_mlp_loop` (one network, one
optimiser and one Newton run at a time).

Two comparisons, each printed with both wall times, their ratio and the
largest difference between the losses:

1. the first-order phase alone (``--steps`` Adam steps, default 2000 as in
   the gallery);
2. the whole sweep, the same Adam steps followed by up to ``--newton-iter``
   Newton iterations (default 200, as in the gallery).

Batching pays in the first phase, where each step of a tiny network is
dominated by fixed overheads. A Newton iteration is dominated by the
factorisation of a P x P Hessian per network, which batching cannot shrink,
so the second ratio is lower.

In float32 (the gallery's precision for the first phase) the two runs
differ by rounding amplified over the steps, and Newton's method can then
settle a network in a different local minimum. ``--dtype float64`` runs the
first phase in float64 too, where the two agree closely (as
``tests/test_sweep.py`` checks on a small sweep).

Run: ``python benchmarks/bench_double_descent_sweep.py [--steps 2000] [--newton-iter 200] [--threads 2] [--dtype float32]``
"""

import argparse
import time

import numpy as np
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.sweep import train_mlp_loop, train_mlp_sweep


def timed(fn, *args, **kwargs):
    """Run ``fn`` once; return its result, wall time and CPU time."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0, time.process_time() - c0


def report(title, batched, loop):
    (rb, tb, cb), (rl, tl, cl) = batched, loop
    print(title)
    print("                wall time   CPU time")
    print(f"batched sweep : {tb:7.2f} s  {cb:7.2f} s")
    print(f"loop of models: {tl:7.2f} s  {cl:7.2f} s")
    print(f"speed-up      : {tl / tb:7.1f} x  {cl / cb:7.1f} x")
    diff_train = np.abs(rb.train_loss - rl.train_loss).max()
    diff_test = np.abs(rb.test_loss - rl.test_loss).max()
    print(f"max |train loss difference| = {diff_train:.2e}, max |test loss difference| = {diff_test:.2e} "
          f"(relative to the largest test loss: {diff_test / np.abs(rl.test_loss).max():.1e})\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--newton-iter", type=int, default=200)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    data = sample_teacher_student(make_teacher(seed=0), 100, 5000, noise_std=0.5, generator=torch.Generator().manual_seed(1), dtype=getattr(torch, args.dtype))
    widths = np.tile(np.arange(2, 61), 3)
    seeds = np.repeat([0, 1, 2], 59)
    sets = (data.X_train, data.y_train, data.X_test, data.y_test, widths, seeds)
    kw = dict(n_steps=args.steps, lr=1e-2, schedule="cosine", activation="tanh", record_every=50)
    print(f"{len(widths)} networks, {args.threads} thread(s), identical settings for both methods\n")

    report(f"1. {args.steps} full-batch Adam steps ({args.dtype})",
           timed(train_mlp_sweep, *sets, n_buckets=4, **kw), timed(train_mlp_loop, *sets, **kw))
    batched = timed(train_mlp_sweep, *sets, n_buckets=4, newton_iter=args.newton_iter, **kw)
    loop = timed(train_mlp_loop, *sets, newton_iter=args.newton_iter, **kw)
    report(f"2. the whole sweep: {args.steps} Adam steps, then up to {args.newton_iter} Newton iterations (float64)", batched, loop)
    print(f"networks converged (|grad| <= 1e-10): batched {int((batched[0].grad_norm <= 1e-10).sum())}, "
          f"loop {int((loop[0].grad_norm <= 1e-10).sum())} of {len(widths)}")


if __name__ == "__main__":
    main()
