"""One explicit epoch/minibatch training loop that returns its history.

The loop is deliberately plain, so that a reader sees every step the
exercises ask for: shuffle the sample indices with an explicit generator,
cut them into minibatches, and for each batch do forward pass, loss,
``zero_grad``, ``backward`` and ``step``. After each epoch the loss on the
*whole* training set is evaluated (without gradients), which is the
training error the exercises plot.

A progress bar (``tqdm``, an optional dependency) is shown on a terminal and
hidden when the output is not a terminal, e.g. in the built documentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from nntheory import _checks

__all__ = ["History", "minibatches", "train"]


@dataclass
class History:
    """What :func:`train` records.

    Attributes
    ----------
    step_loss : list of float
        Minibatch loss at every update, in order (length ``n_steps``).
    epoch_loss : list of float
        Loss on the whole training set after each epoch (length
        ``n_epochs_run``).
    records : dict of str to list
        Whatever the callback returned, one list entry per epoch and key.
    n_steps : int
        Number of optimiser updates taken.
    """

    step_loss: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    records: dict = field(default_factory=dict)
    n_steps: int = 0


def minibatches(n_samples: int, batch_size: int, generator: torch.Generator | None = None, shuffle: bool = True) -> list[torch.Tensor]:
    """Split ``range(n_samples)`` into minibatches of indices.

    Parameters
    ----------
    n_samples : int
        Number of samples :math:`N`.
    batch_size : int
        Batch size :math:`B`; the last batch is smaller if :math:`B` does not
        divide :math:`N`.
    generator : torch.Generator, optional
        Source of the random permutation (required if ``shuffle``).
    shuffle : bool, default True
        Permute the indices before splitting.

    Returns
    -------
    list of torch.Tensor
        ``ceil(N / B)`` index tensors of shape ``(B,)`` (the last maybe shorter).
    """
    n_samples = _checks.check_int(n_samples, "n_samples", low=1)
    batch_size = _checks.check_int(batch_size, "batch_size", low=1)
    shuffle = _checks.check_bool(shuffle, "shuffle")
    if shuffle:
        _checks.check_torch_generator(generator, "generator")  # required: the permutation is drawn from it
    else:
        _checks.check_optional_torch_generator(generator, "generator")
    return _minibatches(n_samples, batch_size, generator, shuffle)


def _minibatches(n_samples: int, batch_size: int, generator, shuffle: bool) -> list[torch.Tensor]:
    """:func:`minibatches` without the checks (the training loop calls it every epoch)."""
    if shuffle:
        order = torch.randperm(n_samples, generator=generator)
    else:
        order = torch.arange(n_samples)
    return list(torch.split(order, batch_size))


def train(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int,
    n_epochs: int,
    generator: torch.Generator,
    device: str | torch.device = "cpu",
    callback: Callable[[int, torch.nn.Module], dict | None] | None = None,
    target_loss: float | None = None,
    shuffle: bool = True,
    progress: bool | None = None,
) -> History:
    """Train ``model`` with an explicit loop over epochs and minibatches.

    For each epoch: draw a permutation with ``generator``, split it into
    batches of ``batch_size``, and for each batch compute
    ``loss = loss_fn(model(X[idx]), y[idx])``, ``optimizer.zero_grad()``,
    ``loss.backward()``, ``optimizer.step()``. Then evaluate
    ``loss_fn(model(X), y)`` on the whole training set without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        The model, moved to ``device``.
    loss_fn : callable
        ``loss_fn(prediction, target) -> scalar tensor``, a mean over the
        batch (e.g. ``torch.nn.MSELoss()``).
    optimizer : torch.optim.Optimizer
        Any torch optimiser over ``model.parameters()``, including
        :class:`nntheory.optim.TorchOptimizer`.
    X : torch.Tensor
        Inputs, shape ``(n_samples, n_features)``.
    y : torch.Tensor
        Targets, shape ``(n_samples, ...)``.
    batch_size : int
        Minibatch size :math:`B`.
    n_epochs : int
        Maximum number of passes over the data.
    generator : torch.Generator
        Source of the per-epoch permutations.
    device : str or torch.device, default "cpu"
        Where to train.
    callback : callable, optional
        ``callback(epoch, model) -> dict or None``, called after each epoch
        (``epoch`` counts from 1); each returned key is appended to
        ``history.records[key]``.
    target_loss : float, optional
        Stop after the first epoch whose full training loss is below this.
    shuffle : bool, default True
        Reshuffle every epoch (False: fixed order, e.g. full-batch GD).
    progress : bool, optional
        Show a tqdm progress bar: True always, False never, None (default)
        only when stderr is a terminal.

    Returns
    -------
    History
        Per-step and per-epoch losses and the callback's records.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not a torch tensor, ``X`` (or a floating ``y``)
        has not the model's dtype, ``loss_fn`` or ``callback`` is not
        callable, or a count is not an integer.
    ValueError
        If ``X`` and ``y`` have different numbers of samples, hold NaN or
        inf, ``X`` does not fit the model, ``y`` has not the output's shape
        per sample, ``loss_fn`` does not return a scalar, or ``n_epochs`` or
        ``batch_size`` is not a positive integer. All checks run before the
        first step.
    """
    # Every argument is checked here, once; nothing is checked per step.
    _checks.check_module(model, "model")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {optimizer!r}")
    batch_size = _checks.check_int(batch_size, "batch_size", low=1)
    n_epochs = _checks.check_int(n_epochs, "n_epochs", low=1)  # n_epochs=-1 used to return an empty history
    shuffle = _checks.check_bool(shuffle, "shuffle")
    if shuffle:
        _checks.check_torch_generator(generator, "generator")
    else:
        _checks.check_optional_torch_generator(generator, "generator")
    device = _checks.check_device(device)
    if callback is not None:
        _checks.check_callable(callback, "callback")
    if target_loss is not None:
        target_loss = _checks.check_real(target_loss, "target_loss")
    if progress is not None:
        progress = _checks.check_bool(progress, "progress")
    model.to(device)
    if _checks.is_tensor(X) and _checks.is_tensor(y):
        X, y = X.to(device), y.to(device)
    # finite data of the model's dtype, as many targets as samples, each of the output's shape; loss_fn a scalar
    X, y = _checks.check_model_data(model, X, y, loss_fn)
    n_samples = X.shape[0]
    history = History()

    epochs = range(1, n_epochs + 1)
    bar = None
    if progress is not False:
        try:
            from tqdm import tqdm
        except ImportError:  # tqdm is optional: no bar without it
            tqdm = None
        if tqdm is not None:
            bar = tqdm(epochs, disable=None if progress is None else False, desc="training", unit="epoch", leave=False)
            epochs = bar

    for epoch in epochs:
        model.train()
        for idx in _minibatches(n_samples, batch_size, generator, shuffle):
            idx = idx.to(device)
            loss = loss_fn(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.step_loss.append(loss.item())
            history.n_steps += 1

        model.eval()
        with torch.no_grad():
            full = loss_fn(model(X), y).item()
        history.epoch_loss.append(full)
        if callback is not None:
            extra = callback(epoch, model)
            for key, value in (extra or {}).items():
                history.records.setdefault(key, []).append(value)
        if bar is not None:
            bar.set_postfix(loss=f"{full:.3e}")
        if target_loss is not None and full < target_loss:
            break
    if bar is not None:
        bar.close()
    return history
