"""The torch MLP that mirrors :class:`nntheory.numpy_nn.MLP`, weight copying, and SGD training.

The layer list is an ``nn.Sequential`` named ``layers`` with the same
indices as the numpy model, so both share one set of state-dict names and
:func:`numpy_to_torch` / :func:`torch_to_numpy` copy weights (and batch-norm
running statistics) one-to-one.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import nn

from nntheory.numpy_nn.mlp import MLP as NumpyMLP
from nntheory import _checks
from nntheory.numpy_nn.mlp import History, minibatch_indices

__all__ = ["MLP", "numpy_to_torch", "torch_to_numpy", "train_sgd", "accuracy", "hidden_activations"]

_ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU}


class MLP(nn.Module):
    """Linear -> [BatchNorm1d] -> activation, repeated, then a Linear output layer.

    Parameters
    ----------
    n_inputs : int
        Input width.
    hidden_sizes : sequence of int
        Widths of the hidden layers.
    n_classes : int
        Number of outputs (logits).
    generator : torch.Generator
        Draws the initial weights.
    activation : {"elu", "relu"}, default "elu"
    batch_norm : bool, default False
        Insert ``nn.BatchNorm1d`` after each hidden Linear layer, before the activation.
    dtype : torch.dtype, default torch.float32
    device : str or torch.device, default "cpu"

    Attributes
    ----------
    layers : torch.nn.Sequential
        The modules, indexed as in :class:`nntheory.numpy_nn.MLP`.

    Notes
    -----
    Kaiming normal initialisation in fan-in mode with zero biases: gain 1 for
    the first layer (it reads standardised inputs), :math:`\\sqrt2` for every
    later layer, exactly as in the numpy model.
    """

    def __init__(self, n_inputs: int, hidden_sizes: Sequence[int], n_classes: int, *, generator: torch.Generator, activation: str = "elu", batch_norm: bool = False, dtype: torch.dtype = torch.float32, device="cpu") -> None:
        super().__init__()
        n_inputs = _checks.check_int(n_inputs, "n_inputs", low=1)
        hidden_sizes = _checks.check_int_sequence(hidden_sizes, "hidden_sizes", low=1, nonempty=False)  # widths=[2.7] is refused
        n_classes = _checks.check_int(n_classes, "n_classes", low=1)
        _checks.check_torch_generator(generator, "generator")
        _checks.check_choice(activation, "activation", sorted(_ACTIVATIONS))
        batch_norm = _checks.check_bool(batch_norm, "batch_norm")
        dtype = _checks.check_torch_float_dtype(dtype, "dtype")
        device = _checks.check_device(device)
        modules: list[nn.Module] = []
        width = n_inputs
        for h in hidden_sizes:
            modules.append(nn.Linear(width, h, dtype=dtype))
            if batch_norm:
                modules.append(nn.BatchNorm1d(h, dtype=dtype))
            modules.append(_ACTIVATIONS[activation]())
            width = h
        modules.append(nn.Linear(width, n_classes, dtype=dtype))
        self.layers = nn.Sequential(*modules)
        self.n_inputs, self.n_classes = n_inputs, n_classes
        self.activation, self.batch_norm = activation, bool(batch_norm)
        first = True
        with torch.no_grad():
            for layer in self.layers:
                if isinstance(layer, nn.Linear):
                    std = (1.0 if first else math.sqrt(2.0)) / math.sqrt(layer.in_features)
                    layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator, dtype=dtype) * std)
                    layer.bias.zero_()
                    first = False
        self.to(device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs (n_samples, n_inputs) -> logits (n_samples, n_classes)."""
        _checks.check_forward_input(x, "x", self.n_inputs, self.layers._modules["0"].weight.dtype)
        return self.layers(x)


def _check_labels(y, name: str, n_samples: int, n_classes: int):
    y = _checks.check_tensor(y, name, ndim=1, floating=False)
    if y.dtype != torch.int64:
        raise TypeError(f"{name} must hold int64 class labels, got dtype {y.dtype}")
    if y.shape[0] != n_samples:
        raise ValueError(f"{name} must hold one label per sample ({n_samples}), got {y.shape[0]}")
    if int(y.min()) < 0 or int(y.max()) >= n_classes:
        raise ValueError(f"{name} must be labels in [0, {n_classes - 1}], got values in [{int(y.min())}, {int(y.max())}]")
    return y


def _check_data(model, X, y, x_name: str, y_name: str):
    dtype = _checks.module_dtype(model)
    X = _checks.check_tensor(X, x_name, ndim=2, dtype=dtype)
    n_inputs = getattr(model, "n_inputs", None)
    if n_inputs is not None and X.shape[1] != n_inputs:
        raise ValueError(f"{x_name} must have {n_inputs} features (shape (n_samples, {n_inputs})), got {tuple(X.shape)}")
    n_classes = getattr(model, "n_classes", None)
    if n_classes is None:
        n_classes = int(_checks.trial_forward(model, X, x_name).shape[1])
    return X, _check_labels(y, y_name, X.shape[0], n_classes)


def _check_pair(np_model, torch_model):
    if not isinstance(np_model, NumpyMLP):
        raise TypeError(f"np_model must be a nntheory.numpy_nn.MLP, got {type(np_model).__name__}")
    if not isinstance(torch_model, MLP):
        raise TypeError(f"torch_model must be a nntheory.models.mlp.MLP, got {type(torch_model).__name__}")
    np_kinds = [type(m).__name__ for m in np_model.layers]
    torch_kinds = [type(m).__name__ for m in torch_model.layers]
    if np_kinds != torch_kinds:
        raise ValueError(f"the two models have different layers: {np_kinds} vs {torch_kinds}")


def numpy_to_torch(np_model: NumpyMLP, torch_model: MLP) -> None:
    """Copy every parameter and running statistic of the numpy model into the torch model.

    Parameters
    ----------
    np_model : nntheory.numpy_nn.MLP
    torch_model : MLP
        Overwritten in place; its dtype and device are kept.

    Raises
    ------
    ValueError
        If the architectures differ.
    """
    _check_pair(np_model, torch_model)
    state = torch_model.state_dict()
    with torch.no_grad():
        for key, value in np_model.state_dict().items():
            state[key].copy_(torch.from_numpy(value))


def torch_to_numpy(torch_model: MLP, np_model: NumpyMLP) -> None:
    """Copy every parameter and running statistic of the torch model into the numpy model.

    Parameters
    ----------
    torch_model : MLP
    np_model : nntheory.numpy_nn.MLP
        Overwritten in place; its dtype is kept.

    Raises
    ------
    ValueError
        If the architectures differ.
    """
    _check_pair(np_model, torch_model)
    state = {k: v.detach().cpu().numpy() for k, v in torch_model.state_dict().items() if not k.endswith("num_batches_tracked")}
    np_model.load_state_dict(state)


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 4096) -> float:
    """Fraction of samples whose largest logit is the label, in eval mode (mode restored after).

    Parameters
    ----------
    model : torch.nn.Module
    X : Tensor, shape (n_samples, n_inputs)
    y : Tensor of int64, shape (n_samples,)
    batch_size : int, default 4096

    Returns
    -------
    float
    """
    _checks.check_module(model, "model")
    X, y = _check_data(model, X, y, "X", "y")
    batch_size = _checks.check_int(batch_size, "batch_size", low=1)
    return _accuracy(model, X, y, batch_size)


@torch.no_grad()
def _accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 4096) -> float:
    was_training = model.training
    model.eval()
    try:
        correct = 0
        for start in range(0, X.shape[0], batch_size):
            correct += int((model(X[start : start + batch_size]).argmax(dim=1) == y[start : start + batch_size]).sum())
    finally:
        model.train(was_training)
    return correct / X.shape[0]


@torch.no_grad()
def hidden_activations(model: MLP, X: torch.Tensor, *, train_mode: bool = False) -> list[torch.Tensor]:
    """Outputs of every hidden activation layer for the inputs ``X``.

    Parameters
    ----------
    model : MLP
    X : Tensor, shape (n_samples, n_inputs)
    train_mode : bool, default False
        Evaluate in training mode (batch norm uses the statistics of ``X``
        itself; its running statistics are saved and restored) instead of
        inference mode.

    Returns
    -------
    list of Tensor
        One tensor of shape (n_samples, width) per hidden layer.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a nntheory.models.mlp.MLP, got {type(model).__name__}")
    _checks.check_forward_input(X, "X", model.n_inputs, _checks.module_dtype(model))
    train_mode = _checks.check_bool(train_mode, "train_mode")
    was_training = model.training
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    model.train(train_mode)
    out, x = [], X
    for layer in model.layers:
        x = layer(x)
        if isinstance(layer, tuple(_ACTIVATIONS.values())):
            out.append(x)
    model.load_state_dict(saved)
    model.train(was_training)
    return out


def train_sgd(model: MLP, X: torch.Tensor, y: torch.Tensor, *, lr: float, batch_size: int, n_epochs: int, rng: np.random.Generator, X_val: torch.Tensor | None = None, y_val: torch.Tensor | None = None, device="cpu", restore_best: bool = False) -> History:
    """Plain mini-batch SGD (``torch.optim.SGD``) on the mean cross-entropy.

    The batches come from :func:`nntheory.numpy_nn.minibatch_indices` with
    ``rng``, so this loop and :func:`nntheory.numpy_nn.train_sgd` given
    generators in the same state visit the same samples in the same order.

    Parameters
    ----------
    model : MLP
        Trained in place.
    X : Tensor, shape (n_samples, n_inputs)
    y : Tensor of int64, shape (n_samples,)
    lr : float
    batch_size : int
    n_epochs : int
    rng : numpy.random.Generator
        Shuffles the training set each epoch.
    X_val, y_val : Tensor, optional
        Validation data, scored after every epoch.
    device : str or torch.device, default "cpu"
        Where the model and data are moved for training.
    restore_best : bool, default False
        Model selection on the validation data: at the end, load the state
        (parameters and batch-norm buffers) of the epoch with the highest
        validation accuracy, the first such epoch on ties, and record it in
        ``History.best_epoch``. Requires ``X_val`` and ``y_val``. With
        ``False`` the model keeps its last state.

    Returns
    -------
    nntheory.numpy_nn.History

    Raises
    ------
    ValueError
        If ``restore_best`` is set without validation data.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a nntheory.models.mlp.MLP, got {type(model).__name__}")
    X, y = _check_data(model, X, y, "X", "y")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together")
    if X_val is not None:
        X_val, y_val = _check_data(model, X_val, y_val, "X_val", "y_val")
    lr = _checks.check_real(lr, "lr", low=0, low_open=True)
    batch_size = _checks.check_int(batch_size, "batch_size", low=1)
    n_epochs = _checks.check_int(n_epochs, "n_epochs", low=1)
    _checks.check_rng(rng, "rng")
    device = _checks.check_device(device)
    restore_best = _checks.check_bool(restore_best, "restore_best")
    if restore_best and X_val is None:
        raise ValueError("restore_best=True needs validation data (X_val, y_val)")
    model.to(device)
    X, y = X.to(device), y.to(device)
    if X_val is not None:
        X_val, y_val = X_val.to(device), y_val.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    history = History()
    best_state = None
    for _ in range(n_epochs):
        model.train()
        total = 0.0
        for idx in minibatch_indices(X.shape[0], batch_size, rng):
            idx_t = torch.from_numpy(idx).to(device)
            loss = nn.functional.cross_entropy(model(X[idx_t]), y[idx_t])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            history.step_loss.append(loss.item())
            total += loss.item() * idx.size
        history.epoch_loss.append(total / X.shape[0])
        if X_val is not None:
            history.val_accuracy.append(_accuracy(model, X_val, y_val))
            if restore_best and (best_state is None or history.val_accuracy[-1] > max(history.val_accuracy[:-1])):
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                history.best_epoch = len(history.val_accuracy)
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
