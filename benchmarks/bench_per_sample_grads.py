"""Per-sample squared gradient norms: nntheory against Opacus and torch.func.

The work: the squared norm of every sample's loss gradient, for the model of
exercise nndl-s2/c1 (16-400-200-100-1 ReLU MLP, 107,201 parameters, float64)
on N = 128 samples with the mean squared error. What a user would pick
instead of :func:`nntheory.diagnostics.per_sample_sq_grad_norms`:

* Opacus's ghost clipping (``GradSampleModuleFastGradientClipping`` with
  ``use_ghost_clipping=True``): the same method, one batched backward pass;
* ``torch.func``: ``vmap(grad(...))`` over the samples, which forms every
  per-sample gradient and then reduces it;
* Opacus's ``GradSampleModule``: per-sample gradients from hooks.

Opacus is optional (``pip install -e ".[bench]"``); without it those rows are
skipped with a message. Every peer must agree with nntheory to a relative
1e-10 (printed). Run: ``python benchmarks/bench_per_sample_grads.py``.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="Full backward hook")  # Opacus on a model whose input needs no gradient

from _harness import Row, print_rows, threads, time_pair

import torch  # noqa: E402  (after the harness pins the thread pools)

from nntheory.diagnostics import per_sample_sq_grad_norms  # noqa: E402

N_SAMPLES = 128
WORK = "per-sample sq. grad norms, c1 MLP, N=128, f64"


def c1_model(generator: torch.Generator) -> torch.nn.Sequential:
    """The nndl-s2/c1 network with LeCun-normal weights, float64."""
    model = torch.nn.Sequential(
        torch.nn.Linear(16, 400), torch.nn.ReLU(),
        torch.nn.Linear(400, 200), torch.nn.ReLU(),
        torch.nn.Linear(200, 100), torch.nn.ReLU(),
        torch.nn.Linear(100, 1),
    ).double()
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p.shape[1] if p.ndim == 2 else p.shape[0]
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64) / fan_in**0.5)
    return model


def torch_func_norms(model, X, y):
    """The torch.func recipe: vmap over samples of grad of the per-sample loss."""
    params = {k: v.detach() for k, v in model.named_parameters()}

    def sample_loss(p, x, t):
        out = torch.func.functional_call(model, p, (x.unsqueeze(0),))
        return torch.nn.functional.mse_loss(out, t.unsqueeze(0))

    grads = torch.func.vmap(torch.func.grad(sample_loss), in_dims=(None, 0, 0))(params, X, y)
    return sum(g.flatten(start_dim=1).pow(2).sum(dim=1) for g in grads.values())


def opacus_peers(model, X, y):
    """(name, callable) for Opacus's two methods, or [] with a message when Opacus is absent."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from opacus.grad_sample import GradSampleModule, GradSampleModuleFastGradientClipping
    except ImportError:
        print("Opacus is not installed (pip install -e '.[bench]'): its rows are skipped")
        return []
    ghost = GradSampleModuleFastGradientClipping(c1_copy(model), max_grad_norm=1.0, use_ghost_clipping=True, loss_reduction="mean")
    hooks = GradSampleModule(c1_copy(model), loss_reduction="mean")

    def ghost_norms():
        ghost.zero_grad()
        torch.nn.functional.mse_loss(ghost(X), y).backward()
        return ghost.get_norm_sample().pow(2)

    def hook_norms():
        hooks.zero_grad()
        torch.nn.functional.mse_loss(hooks(X), y).backward()
        out = sum(p.grad_sample.flatten(start_dim=1).pow(2).sum(dim=1) for p in hooks.parameters())
        for p in hooks.parameters():
            p.grad_sample = None
        return out

    return [("Opacus 1.6 ghost clipping (same method)", ghost_norms), ("Opacus GradSampleModule (hooks)", hook_norms)]


def c1_copy(model):
    clone = c1_model(torch.Generator().manual_seed(0))
    clone.load_state_dict(model.state_dict())
    return clone


def compare(repeats: int = 5) -> list[Row]:
    torch.set_num_threads(threads())
    generator = torch.Generator().manual_seed(0)
    model = c1_model(generator)
    X = torch.rand(N_SAMPLES, 16, generator=generator, dtype=torch.float64) * 2 - 1
    y = torch.randn(N_SAMPLES, 1, generator=generator, dtype=torch.float64)

    def ours():
        return per_sample_sq_grad_norms(model, torch.nn.functional.mse_loss, X, y)

    reference = ours()
    peers = [("torch.func vmap(grad)", lambda: torch_func_norms(model, X, y)), *opacus_peers(model, X, y)]
    rows = []
    for name, peer in peers:
        rel = ((peer() - reference).abs() / reference.abs()).max().item()
        if not rel < 1e-10:
            raise AssertionError(f"{name} disagrees with nntheory: max relative difference {rel:.1e}")
        t_ours, t_peer = time_pair(ours, peer, repeats)
        rows.append(Row(WORK, name, t_ours, t_peer, f"max rel. diff {rel:.1e}"))
    return rows


if __name__ == "__main__":
    print_rows(compare())
