"""Per-sample squared gradient norms: vectorised methods against a Python loop.

Uses the model of exercise nndl-s2/c1 (an MLP with hidden layers 400-200-100,
ReLU, linear output; 8 inputs, 104,001 parameters, float64) on N random
samples. The loop does one ordinary backward pass per sample. Two vectorised
versions from :func:`nntheory.diagnostics.per_sample_sq_grad_norms` are
timed against it: ``method="vmap"`` (``torch.func``: functional_call + vmap
+ grad, which forms all N per-sample gradients) and ``method="ghost"`` (one
batched backward pass and the identity ||delta a^T||^2 = ||delta||^2 ||a||^2).
All must give the same numbers (maximum relative differences are printed),
then the best-of-``REPEATS`` wall times and the ratios are printed.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_per_sample_grads.py``.
"""

import time

import torch

from nntheory.diagnostics import per_sample_sq_grad_norms

N_SAMPLES = 128  # the training-set size of the gallery example
REPEATS = 7


def c1_model(generator: torch.Generator) -> torch.nn.Module:
    torch_dtype = torch.float64
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 400), torch.nn.ReLU(),
        torch.nn.Linear(400, 200), torch.nn.ReLU(),
        torch.nn.Linear(200, 100), torch.nn.ReLU(),
        torch.nn.Linear(100, 1),
    ).to(torch_dtype)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p.shape[1] if p.ndim == 2 else p.shape[0]
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch_dtype) / fan_in**0.5)
    return model


def loop_norms(model, loss_fn, X, y):
    """One backward pass per sample: the reference."""
    out = torch.empty(X.shape[0], dtype=X.dtype)
    for i in range(X.shape[0]):
        model.zero_grad()
        loss_fn(model(X[i : i + 1]), y[i : i + 1]).backward()
        out[i] = sum(p.grad.pow(2).sum() for p in model.parameters())
    return out


def best_time(fn, repeats=REPEATS):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    generator = torch.Generator().manual_seed(0)
    model = c1_model(generator)
    X = torch.rand(N_SAMPLES, 8, generator=generator, dtype=torch.float64) * 2 - 1
    y = torch.randn(N_SAMPLES, 1, generator=generator, dtype=torch.float64)
    loss_fn = torch.nn.MSELoss()
    n_params = sum(p.numel() for p in model.parameters())

    t_loop, ref = best_time(lambda: loop_norms(model, loss_fn, X, y))
    print(f"model: 8-400-200-100-1 ReLU MLP, {n_params} parameters, float64; N = {N_SAMPLES} samples")
    print(f"torch threads: {torch.get_num_threads()}; times are best of {REPEATS}")
    print(f"Python loop (reference): {t_loop * 1e3:8.1f} ms")
    for method in ("vmap", "ghost"):
        t, vec = best_time(lambda: per_sample_sq_grad_norms(model, loss_fn, X, y, method=method))
        rel = ((vec - ref).abs() / ref.abs()).max().item()
        print(f"method={method!r:8}: {t * 1e3:8.1f} ms   speed-up vs loop {t_loop / t:6.1f}x   max rel. diff {rel:.1e}")


if __name__ == "__main__":
    main()
