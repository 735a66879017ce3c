"""One training epoch of the numpy MLP against one of the torch MLP, on identical shapes.

Both models get the same initial weights, the same data and the same batches
(the question 2-3 network: one hidden layer of 128 ELU units, SGD, batches of
128). Each epoch is timed side by side in the same process, repeated, and the
medians are compared. Usage::

    python benchmarks/bench_numpy_vs_torch_mlp.py [--repeats 5] [--dtype float32]

Set ``OMP_NUM_THREADS`` to fix the number of threads both libraries use.
"""

import argparse
import time

import numpy as np
import torch

from nntheory import numpy_nn
from nntheory.models import mlp

SHAPES = {
    # name: (n_samples, n_features); CIFAR-10-shaped inputs are random, the timing does not care
    "MNIST-1D-shaped": (3600, 40),
    "CIFAR-10-shaped": (10000, 3072),
}


def epoch_times(n_samples, n_features, dtype, repeats, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)).astype(dtype)
    y = rng.integers(0, 10, n_samples)
    np_model = numpy_nn.MLP(n_features, [128], 10, rng=rng, activation="elu", dtype=dtype)
    torch_model = mlp.MLP(n_features, [128], 10, generator=torch.Generator().manual_seed(seed), activation="elu",
                          dtype=torch.float32 if dtype == np.float32 else torch.float64)
    mlp.numpy_to_torch(np_model, torch_model)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    kw = dict(lr=0.01, batch_size=128, n_epochs=1)
    # one warm-up epoch each (torch builds its kernels lazily)
    numpy_nn.train_sgd(np_model, X, y, rng=np.random.default_rng(1), **kw)
    mlp.train_sgd(torch_model, X_t, y_t, rng=np.random.default_rng(1), **kw)
    t_np, t_torch = [], []
    for r in range(repeats):  # interleaved, so both see the same machine load
        t0 = time.perf_counter()
        numpy_nn.train_sgd(np_model, X, y, rng=np.random.default_rng(r), **kw)
        t_np.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        mlp.train_sgd(torch_model, X_t, y_t, rng=np.random.default_rng(r), **kw)
        t_torch.append(time.perf_counter() - t0)
    return np.median(t_np), np.median(t_torch)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = parser.parse_args()
    dtype = np.dtype(args.dtype).type
    print(f"torch {torch.__version__}, numpy {np.__version__}, torch threads {torch.get_num_threads()}, dtype {args.dtype}, "
          f"median of {args.repeats} epochs")
    print(f"{'shapes':16s} {'samples x features':>19s} {'numpy epoch':>12s} {'torch epoch':>12s} {'numpy/torch':>12s}")
    for name, (n, d) in SHAPES.items():
        t_np, t_torch = epoch_times(n, d, dtype, args.repeats)
        print(f"{name:16s} {f'{n} x {d}':>19s} {t_np:11.3f}s {t_torch:11.3f}s {t_np / t_torch:12.2f}")


if __name__ == "__main__":
    main()
