r"""Per-sample gradients and the gradient statistics of SGD theory.

The NNDL session-2 sheet (exercise c1) defines the *mean squared per-sample
gradient norm* over a data set of :math:`N` samples,

.. math::

   \|\nabla_\theta \mathcal L(\theta)\|^2 :=
   \frac1N \sum_{i=1}^N \sum_{j=1}^P
   \bigl(\partial_{\theta_j} \mathcal L_i(\theta)\bigr)^2 ,

where :math:`\mathcal L_i` is the loss of sample :math:`i` alone and
:math:`P` the number of parameters. (This is the average of the per-sample
squared norms, not the squared norm of the average gradient.) Computing it
needs one gradient per sample; :func:`per_sample_grads` gets all of them in
one vectorised call with ``torch.func`` (``functional_call`` + ``vmap`` +
``grad``) instead of :math:`N` backward passes.

Materialising :math:`N` gradients of :math:`P` numbers is memory-bound,
though, and on a CPU it can be *slower* than the plain loop (see
``benchmarks/bench_per_sample_grads.py``). When only the squared norms are
needed and every parameter belongs to an :class:`torch.nn.Linear` layer,
:func:`per_sample_sq_grad_norms` uses the exact identity

.. math::

   \Bigl\|\frac{\partial \mathcal L_i}{\partial W}\Bigr\|_F^2
   = \|\delta_i a_i^\top\|_F^2 = \|\delta_i\|^2\,\|a_i\|^2,
   \qquad
   \Bigl\|\frac{\partial \mathcal L_i}{\partial b}\Bigr\|^2 = \|\delta_i\|^2,

for a layer :math:`z_i = W a_i + b` with output gradient
:math:`\delta_i = \partial\mathcal L_i/\partial z_i`: one ordinary
forward and backward pass over the whole batch gives every
:math:`a_i, \delta_i` (Goodfellow's per-example norm trick), with no
per-sample gradient ever formed.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch.func import functional_call, grad, vmap

from nntheory import _checks

__all__ = [
    "per_sample_grads",
    "per_sample_sq_grad_norms",
    "mean_sq_grad_norm",
    "batch_sq_grad_norms",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


METHODS = ("auto", "vmap", "ghost")


def _check(model, loss_fn, X, y, chunk_size=None) -> None:
    """The model, loss, data and chunk size of every function here, checked before any gradient."""
    _checks.check_model_data(model, X, y, loss_fn)
    if chunk_size is not None:
        _checks.check_int(chunk_size, "chunk_size", low=1)


def per_sample_grads(model: torch.nn.Module, loss_fn: LossFn, X: torch.Tensor, y: torch.Tensor, *, chunk_size: int | None = None) -> dict[str, torch.Tensor]:
    r"""Gradients of each sample's own loss with respect to every parameter.

    Sample :math:`i`'s loss is ``loss_fn(model(X[i:i+1]), y[i:i+1])``, i.e.
    the model sees a batch of one. Only parameters with ``requires_grad``
    are differentiated (frozen ones enter as constants), as a backward pass
    would see them. Buffers (e.g. batch-norm statistics) are used as they
    are; put the model in ``eval()`` mode if it has any.

    Parameters
    ----------
    model : torch.nn.Module
        The model; its parameters are not modified.
    loss_fn : callable
        ``loss_fn(prediction, target) -> scalar tensor``.
    X : torch.Tensor
        Inputs, shape ``(n_samples, ...)``.
    y : torch.Tensor
        Targets, shape ``(n_samples, ...)``.
    chunk_size : int, optional
        Passed to :func:`torch.func.vmap` to bound memory.

    Returns
    -------
    dict of str to torch.Tensor
        For each named parameter with ``requires_grad`` (shape ``s``), a
        tensor of shape ``(n_samples, *s)``.
    """
    _check(model, loss_fn, X, y, chunk_size)
    return _per_sample_grads(model, loss_fn, X, y, chunk_size)


def _per_sample_grads(model, loss_fn, X, y, chunk_size):
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    frozen = {k: v.detach() for k, v in model.named_parameters() if not v.requires_grad}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def sample_loss(p, x, t):
        out = functional_call(model, (p, frozen, buffers), (x.unsqueeze(0),))
        return loss_fn(out, t.unsqueeze(0))

    return vmap(grad(sample_loss), in_dims=(None, 0, 0), chunk_size=chunk_size)(params, X, y)


def _linear_only(model: torch.nn.Module) -> bool:
    """True if every trainable parameter belongs to exactly one nn.Linear and to no other module."""
    owners: dict[int, list[torch.nn.Module]] = {}
    for m in model.modules():  # each module once, but a shared parameter under each owner
        for p in m.parameters(recurse=False):
            owners.setdefault(id(p), []).append(m)
    trainable = [p for p in model.parameters() if p.requires_grad]
    return bool(trainable) and all(
        len(owners.get(id(p), [])) == 1 and isinstance(owners[id(p)][0], torch.nn.Linear) for p in trainable
    )


class _GhostUnsupported(ValueError):
    """The ghost method cannot handle this model or input; ``auto`` falls back to vmap."""


def _ghost_sq_norms(model: torch.nn.Module, loss_fn: LossFn, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample squared norms from layer inputs and output gradients (Linear layers only)."""
    records: list[tuple[torch.nn.Linear, torch.Tensor, torch.Tensor]] = []

    def hook(module, inputs, output):
        records.append((module, inputs[0], output))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    try:
        out = model(X)
    finally:
        for h in handles:
            h.remove()
    if any(a.ndim != 2 for _, a, _ in records) or len({id(m) for m, _, _ in records}) != len(records):
        raise _GhostUnsupported("method='ghost' needs each Linear layer applied once to a (n_samples, n_in) input; use method='vmap'")
    # Sample i's own loss, for any loss_fn: apply it to batches of one (cheap: outputs only).
    losses = vmap(lambda o, t: loss_fn(o.unsqueeze(0), t.unsqueeze(0)))(out, y)  # (n_samples,)
    deltas = torch.autograd.grad(losses.sum(), [z for _, _, z in records])
    total = torch.zeros(X.shape[0], dtype=out.dtype, device=out.device)
    for (module, a, _), delta in zip(records, deltas):
        d2 = delta.pow(2).sum(dim=1)  # (n_samples,)
        if module.weight.requires_grad:
            total = total + d2 * a.detach().pow(2).sum(dim=1)
        if module.bias is not None and module.bias.requires_grad:
            total = total + d2
    return total


def per_sample_sq_grad_norms(model: torch.nn.Module, loss_fn: LossFn, X: torch.Tensor, y: torch.Tensor, *, method: str = "auto", chunk_size: int | None = None) -> torch.Tensor:
    r"""Squared norm :math:`\sum_j (\partial_{\theta_j}\mathcal L_i)^2` for each sample.

    The sum runs over the parameters with ``requires_grad`` (frozen ones are
    left out, as a backward pass leaves them out), whichever the method.
    With ``method="vmap"`` the per-sample gradients of
    :func:`per_sample_grads` are formed and reduced. With ``method="ghost"``
    (only for models whose trainable parameters each belong to one
    ``nn.Linear`` layer, not shared with another module, applied once to
    ``(n_samples, n_in)`` inputs, and which treat samples independently,
    e.g. MLPs without batch norm) the norms come from one batched backward
    pass via :math:`\|\delta_i\|^2\|a_i\|^2`; see the module notes.
    ``"auto"`` uses ``"ghost"`` where it applies and falls back to
    ``"vmap"`` otherwise (shared weights, a layer applied twice, other
    module types).

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    loss_fn : callable
        ``loss_fn(prediction, target) -> scalar tensor``.
    X : torch.Tensor
        Inputs, shape ``(n_samples, ...)``.
    y : torch.Tensor
        Targets, shape ``(n_samples, ...)``.
    method : {"auto", "vmap", "ghost"}, default "auto"
        How to compute them (same values up to rounding).
    chunk_size : int, optional
        Passed to :func:`torch.func.vmap` (``method="vmap"`` only).

    Returns
    -------
    torch.Tensor
        Shape ``(n_samples,)``.

    Raises
    ------
    ValueError
        For an unknown ``method``, or ``"ghost"`` on a model it cannot handle.
    """
    _checks.check_choice(method, "method", METHODS)
    _check(model, loss_fn, X, y, chunk_size)
    if method == "ghost" and not _linear_only(model):
        raise ValueError("method='ghost' needs every trainable parameter to belong to exactly one nn.Linear layer (no sharing)")
    if method == "ghost":
        return _ghost_sq_norms(model, loss_fn, X, y)
    if method == "auto" and _linear_only(model):
        try:
            return _ghost_sq_norms(model, loss_fn, X, y)
        except _GhostUnsupported:
            pass
    grads = _per_sample_grads(model, loss_fn, X, y, chunk_size)
    return sum(g.flatten(start_dim=1).pow(2).sum(dim=1) for g in grads.values())


def mean_sq_grad_norm(model: torch.nn.Module, loss_fn: LossFn, X: torch.Tensor, y: torch.Tensor, *, method: str = "auto", chunk_size: int | None = None) -> float:
    r"""The sheet's :math:`\|\nabla_\theta\mathcal L\|^2 = \frac1N\sum_i\sum_j(\partial_{\theta_j}\mathcal L_i)^2`.

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    loss_fn : callable
        ``loss_fn(prediction, target) -> scalar tensor``.
    X : torch.Tensor
        Inputs, shape ``(n_samples, ...)``.
    y : torch.Tensor
        Targets, shape ``(n_samples, ...)``.
    method : {"auto", "vmap", "ghost"}, default "auto"
        See :func:`per_sample_sq_grad_norms`.
    chunk_size : int, optional
        Passed to :func:`torch.func.vmap`.

    Returns
    -------
    float
        The mean over samples of the per-sample squared gradient norms.
    """
    return per_sample_sq_grad_norms(model, loss_fn, X, y, method=method, chunk_size=chunk_size).mean().item()


def batch_sq_grad_norms(model: torch.nn.Module, loss_fn: LossFn, X: torch.Tensor, y: torch.Tensor, *, batch_size: int, generator: torch.Generator | None = None, shuffle: bool = True, method: str = "auto") -> torch.Tensor:
    r"""The sheet's expression evaluated on each minibatch separately.

    The samples are split into minibatches :math:`\mathcal B_k` (a random
    partition if ``shuffle``) and for each batch
    :math:`\frac{1}{|\mathcal B_k|}\sum_{i\in\mathcal B_k}\|\nabla_\theta
    \mathcal L_i\|^2` is returned; its variance over ``k`` is the
    "variation over minibatches" of exercise nndl-s2/c1.

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    loss_fn : callable
        ``loss_fn(prediction, target) -> scalar tensor``.
    X : torch.Tensor
        Inputs, shape ``(n_samples, ...)``.
    y : torch.Tensor
        Targets, shape ``(n_samples, ...)``.
    batch_size : int
        Minibatch size :math:`B`.
    generator : torch.Generator, optional
        Source of the permutation (required if ``shuffle``).
    shuffle : bool, default True
        Randomly partition the samples (else consecutive batches).
    method : {"auto", "vmap", "ghost"}, default "auto"
        See :func:`per_sample_sq_grad_norms`.

    Returns
    -------
    torch.Tensor
        Shape ``(ceil(n_samples / batch_size),)``.
    """
    from nntheory.training import minibatches

    batch_size = _checks.check_int(batch_size, "batch_size", low=1)
    shuffle = _checks.check_bool(shuffle, "shuffle")
    if shuffle:
        _checks.check_torch_generator(generator, "generator")
    elif generator is not None:
        _checks.check_torch_generator(generator, "generator")
    norms = per_sample_sq_grad_norms(model, loss_fn, X, y, method=method)
    return torch.stack([norms[idx].mean() for idx in minibatches(X.shape[0], batch_size, generator, shuffle=shuffle)])
