"""The double-descent width sweep against what a PyTorch user would write instead.

The work: 177 one-hidden-layer tanh networks ``10 -> M -> 5`` (widths
2..60, 3 seeds each), each trained by 500 full-batch Adam steps (learning
rate 1e-2, default betas) on the same 100 samples, float32, from the same
initial weights (:class:`torch.nn.Linear`'s default ranges, drawn per
network from ``torch.Generator().manual_seed(seed)``).

* **ours**: :func:`nntheory.sweep.train_mlp_sweep` (stacks chosen by its
  cost model, hand-written gradients, one Adam update on a flat buffer);
* **peer 1**: the plain PyTorch loop, one ``nn.Sequential`` and one
  ``torch.optim.Adam`` per network, trained one after the other;
* **peer 2**: PyTorch's model-ensembling recipe (``torch.func``
  tutorial): every network zero-padded to width 60 (padded units stay
  zero: zero weights get zero gradients), parameters stacked with
  ``stack_module_state``, the forward pass ``vmap``-ed over the stack, one
  ``torch.optim.Adam`` over the stacked tensors.

The peers are written here plainly and use nothing from nntheory. The
agreement printed is the largest difference of the 177 final training
losses between each peer and ours, relative to the loss: float32 rounding,
amplified by 500 steps of a non-convex optimisation.

Timings are wall clock (``_harness``); on a machine shared with other
jobs, repeat and compare the minima. Run: ``python benchmarks/bench_sweep_peers.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import copy

from _harness import Row, print_rows, threads, time_pair

import numpy as np  # noqa: E402  (after _harness, which fixes the thread counts)
import torch  # noqa: E402
from torch.func import functional_call, stack_module_state, vmap  # noqa: E402

WIDTHS = np.tile(np.arange(2, 61), 3)
SEEDS = np.repeat([0, 1, 2], 59)
N_STEPS, LR, N_TRAIN, D, K = 500, 1e-2, 100, 10, 5
DTYPE = torch.float32
WORK = f"DD sweep: {len(WIDTHS)} tanh MLPs (M = 2..60 x 3), {N_STEPS} Adam steps"


def _data():
    """100 samples of a fixed smooth target with noise (any data does for timing; the same for every side)."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(N_TRAIN, D, generator=g)
    A = torch.randn(D, 30, generator=g) / D**0.5
    y = torch.tanh(X @ A) @ torch.randn(30, K, generator=g) / 30**0.5 + 0.1 * torch.randn(N_TRAIN, K, generator=g)
    return X.to(DTYPE), y.to(DTYPE)


def _initial_net(m: int, seed: int, width: int | None = None) -> torch.nn.Sequential:
    """``nn.Sequential(Linear(10, m), Tanh, Linear(m, 5))`` with nn.Linear's default ranges, U(-1/sqrt(fan_in), ...),
    drawn in the order W1, b1, W2, b2 (W stored as (in, out)); zero-padded to ``width`` hidden units if given."""
    g = torch.Generator().manual_seed(int(seed))

    def uniform(shape, fan_in):
        return (2.0 * torch.rand(shape, generator=g, dtype=DTYPE) - 1.0) / fan_in**0.5

    W1, b1, W2, b2 = uniform((D, m), D), uniform((m,), D), uniform((m, K), m), uniform((K,), m)
    width = width or m
    net = torch.nn.Sequential(torch.nn.Linear(D, width), torch.nn.Tanh(), torch.nn.Linear(width, K)).to(DTYPE)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net[0].weight[:m] = W1.T
        net[0].bias[:m] = b1
        net[2].weight[:, :m] = W2.T
        net[2].bias[:] = b2
    return net


def ours(X, y):
    from nntheory.sweep import train_mlp_sweep
    r = train_mlp_sweep(X, y, X, y, WIDTHS, SEEDS, n_steps=N_STEPS, lr=LR, activation="tanh", record_every=N_STEPS)
    return r.train_loss


def plain_loop(X, y):
    losses = np.empty(len(WIDTHS))
    for i, (m, s) in enumerate(zip(WIDTHS, SEEDS)):
        net = _initial_net(int(m), int(s))
        opt = torch.optim.Adam(net.parameters(), lr=LR)
        for _ in range(N_STEPS):
            opt.zero_grad()
            torch.nn.functional.mse_loss(net(X), y).backward()
            opt.step()
        with torch.no_grad():
            losses[i] = torch.nn.functional.mse_loss(net(X), y).item()
    return losses


def padded_vmap(X, y):
    models = [_initial_net(int(m), int(s), width=int(WIDTHS.max())) for m, s in zip(WIDTHS, SEEDS)]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")

    def fmodel(p, b, x):
        return functional_call(base, (p, b), (x,))

    ensemble = vmap(fmodel, in_dims=(0, 0, None))
    opt = torch.optim.Adam(params.values(), lr=LR)
    for _ in range(N_STEPS):
        opt.zero_grad()
        ((ensemble(params, buffers, X) - y) ** 2).mean(dim=(1, 2)).sum().backward()
        opt.step()
    with torch.no_grad():
        return ((ensemble(params, buffers, X) - y) ** 2).mean(dim=(1, 2)).numpy()


def _agreement(a, b):
    rel = np.abs(a - b) / np.abs(b)
    return f"final train losses: max rel. diff {rel.max():.1e}, median {np.median(rel):.1e}"


def compare(repeats: int = 5) -> list[Row]:
    torch.set_num_threads(threads())
    X, y = _data()
    ref = ours(X, y)
    rows = []
    for name, peer in (("plain torch loop, one model at a time", plain_loop),
                       ("torch.func stack_module_state + vmap, padded to 60", padded_vmap)):
        agreement = _agreement(peer(X, y), ref)
        t_ours, t_peer = time_pair(lambda: ours(X, y), lambda: peer(X, y), repeats)
        rows.append(Row(WORK, name, t_ours, t_peer, agreement))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    print_rows(compare(parser.parse_args().repeats))
