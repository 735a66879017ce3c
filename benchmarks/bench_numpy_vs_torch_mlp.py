"""One SGD epoch of the numpy MLP against idiomatic PyTorch, and against the GEMM floor.

The work: one training epoch of the question 2-3 network of uva-dl1-a1 (one
hidden layer of 128 ELU units, 10 classes, softmax cross-entropy, plain SGD,
batches of 128, float32) on two input shapes: MNIST-1D (3,600 x 40) and
CIFAR-10 (10,000 x 3,072; random inputs, the timing does not depend on
them). The peer is what a PyTorch user writes: ``nn.Sequential(Linear, ELU,
Linear)``, ``F.cross_entropy``, ``torch.optim.SGD``, the same batches. Both
start from the same weights; after the epoch their weights must agree to a
relative 1e-3 (float32 rounding over 79 steps; printed).

The floor: the epoch's matrix products, counted (forward 2·N·(d·h + h·c),
weight gradients the same again, the hidden layer's input gradient 2·N·h·c;
the first layer's input gradient is not needed), divided by the rate numpy's
float32 matmul reaches on a (128 x d) @ (d x 128) product on this machine.
The same product timed with torch shows how much of a gap to torch is the
BLAS library rather than our code: numpy's wheels link OpenBLAS, torch's CPU
wheel MKL, and the two are not equally fast at these shapes.

Run: ``python benchmarks/bench_numpy_vs_torch_mlp.py``.
"""

from __future__ import annotations

import time

from _harness import Row, print_rows, threads, time_pair

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nntheory import numpy_nn  # noqa: E402

SHAPES = {"MNIST-1D": (3600, 40), "CIFAR-10": (10000, 3072)}
HIDDEN, CLASSES, BATCH, LR = 128, 10, 128, 0.01


def torch_peer(np_model: numpy_nn.MLP) -> torch.nn.Sequential:
    """An idiomatic torch model holding a copy of the numpy model's weights."""
    first, _, last = np_model.layers
    model = torch.nn.Sequential(torch.nn.Linear(first.in_features, HIDDEN), torch.nn.ELU(), torch.nn.Linear(HIDDEN, CLASSES))
    with torch.no_grad():
        for layer, src in ((model[0], first), (model[2], last)):
            layer.weight.copy_(torch.from_numpy(src.params["weight"]))
            layer.bias.copy_(torch.from_numpy(src.params["bias"]))
    return model


def torch_epoch(model, optimizer, X, y, batches):
    for idx in batches:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
        optimizer.step()


def gemm_rate(d: int, repeats: int = 20) -> float:
    """FLOP/s of numpy's float32 (128 x d) @ (d x 128), best of ``repeats``."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((BATCH, d), dtype=np.float32)
    b = rng.standard_normal((d, HIDDEN), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * BATCH * d * HIDDEN / best


def torch_gemm_rate(d: int, repeats: int = 20) -> float:
    """FLOP/s of torch's float32 (128 x d) @ (d x 128) (torch's own BLAS, MKL in the CPU wheel), best of ``repeats``."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(BATCH, d, generator=g), torch.randn(d, HIDDEN, generator=g)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * BATCH * d * HIDDEN / best


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def epoch_flops(n: int, d: int) -> int:
    forward = 2 * n * (d * HIDDEN + HIDDEN * CLASSES)
    return 2 * forward + 2 * n * HIDDEN * CLASSES


def compare(repeats: int = 5) -> list[Row]:
    torch.set_num_threads(threads())
    rows = []
    for name, (n, d) in SHAPES.items():
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, d), dtype=np.float32)
        y = rng.integers(0, CLASSES, n)
        batches = list(numpy_nn.minibatch_indices(n, BATCH, np.random.default_rng(1)))
        np_model = numpy_nn.MLP(d, [HIDDEN], CLASSES, rng=rng, activation="elu", dtype=np.float32)
        model = torch_peer(np_model)
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
        batches_t = [torch.from_numpy(idx) for idx in batches]

        def ours():
            for idx in batches:
                np_model.loss_and_backward(X[idx], y[idx])
                numpy_nn.sgd_step(np_model, LR)

        # agreement after one epoch from the same weights on the same batches
        ours()
        torch_epoch(model, optimizer, X_t, y_t, batches_t)
        rel = max(
            np.abs(layer.params["weight"] - ref.weight.detach().numpy()).max() / np.abs(layer.params["weight"]).max()
            for layer, ref in ((np_model.layers[0], model[0]), (np_model.layers[2], model[2]))
        )
        if not rel < 1e-3:
            raise AssertionError(f"{name}: numpy and torch weights differ by a relative {rel:.1e} after one epoch")
        t_ours, t_peer = time_pair(ours, lambda: torch_epoch(model, optimizer, X_t, y_t, batches_t), repeats)
        rate = gemm_rate(d)
        floor = epoch_flops(n, d) / rate
        agreement = (f"weights after 1 epoch: rel. diff {rel:.1e}; ours / GEMM floor {min(t_ours) / floor:.2f} "
                     f"(floor {floor * 1e3:.1f} ms); torch's BLAS / numpy's on the same GEMM {torch_gemm_rate(d) / rate:.2f}")
        rows.append(Row(f"numpy MLP SGD epoch, {name} shapes, f32", "torch nn.Sequential + optim.SGD", t_ours, t_peer, agreement))
    return rows


if __name__ == "__main__":
    print_rows(compare())
