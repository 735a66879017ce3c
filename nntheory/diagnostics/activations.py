"""Per-layer activation statistics and gradient norms of torch models.

:func:`activation_statistics` runs one forward pass with forward hooks and
records, for every selected submodule, the mean, variance, second moment and
fraction of exact zeros of its output over the batch and the units.
:func:`gradient_norms` reads the gradient norm of every parameter after a
backward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nntheory import _checks

__all__ = ["LayerStatistics", "activation_statistics", "gradient_norms"]


@dataclass
class LayerStatistics:
    """Statistics of one module's output over a batch.

    All statistics pool every entry of the output (samples and units).

    Attributes
    ----------
    name : str
        Qualified name of the module in the model (``"0"``, ``"3"``, ...).
    module_type : str
        Class name of the module, e.g. ``"Linear"`` or ``"ReLU"``.
    mean : float
        Mean of the output entries.
    variance : float
        Population variance of the output entries (divisor ``n``).
    second_moment : float
        Mean of the squared output entries.
    fraction_zero : float
        Fraction of output entries exactly equal to zero.
    shape : tuple of int
        Shape of the output, e.g. ``(n_samples, n_units)``.
    """

    name: str
    module_type: str
    mean: float
    variance: float
    second_moment: float
    fraction_zero: float
    shape: tuple[int, ...]


def activation_statistics(model: nn.Module, X: torch.Tensor, module_types: tuple[type, ...] = (nn.Linear,)) -> list[LayerStatistics]:
    """Output statistics of selected submodules during one forward pass.

    With the default ``module_types=(nn.Linear,)`` the records are the
    pre-activations of an MLP built from ``nn.Linear`` and activation
    modules; pass e.g. ``(nn.ReLU,)`` for post-activations.

    Parameters
    ----------
    model : torch.nn.Module
        The model; it is run once on ``X`` under :func:`torch.no_grad`.
    X : torch.Tensor of shape (n_samples, n_features)
        The batch.
    module_types : tuple of type, default (torch.nn.Linear,)
        Submodules of these types are recorded, in call order.

    Returns
    -------
    list of LayerStatistics
        One record per call of a selected submodule, in call order.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module``, ``X`` not a floating tensor of
        the model's dtype, or ``module_types`` not a tuple of module classes.
    ValueError
        If ``X`` is empty, not finite or does not fit the model, or no
        submodule of the requested types was called.
    """
    _checks.check_model_data(model, X, need_y=False, need_loss=False)
    if not isinstance(module_types, tuple) or not module_types or not all(isinstance(t, type) and issubclass(t, nn.Module) for t in module_types):
        raise TypeError(f"module_types must be a non-empty tuple of torch.nn.Module subclasses, got {module_types!r}")
    records: list[LayerStatistics] = []
    handles = []

    def make_hook(name):
        def hook(module, inputs, output):
            out = output.detach().to(torch.float64)
            records.append(LayerStatistics(name=name, module_type=type(module).__name__, mean=out.mean().item(), variance=out.var(unbiased=False).item(), second_moment=(out**2).mean().item(), fraction_zero=(out == 0).double().mean().item(), shape=tuple(out.shape)))

        return hook

    for name, module in model.named_modules():
        if isinstance(module, module_types):
            handles.append(module.register_forward_hook(make_hook(name)))
    try:
        with torch.no_grad():
            model(X)
    finally:
        for h in handles:
            h.remove()
    if not records:
        raise ValueError(f"no submodule of types {[t.__name__ for t in module_types]} was called by model")
    return records


def gradient_norms(model: nn.Module, ord: float = 2.0) -> dict[str, float]:
    """Norm of the gradient of every parameter, after ``loss.backward()``.

    Parameters
    ----------
    model : torch.nn.Module
        A model whose parameters hold ``.grad`` from a backward pass.
    ord : float, default 2.0
        Norm of the flattened gradient (2: Euclidean/Frobenius), positive
        or ``inf``.

    Returns
    -------
    dict of str to float
        ``{parameter name: norm}`` in registration order; parameters
        without a gradient are left out.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module`` or ``ord`` not a number.
    ValueError
        If ``ord`` is not positive, or no parameter has a gradient.
    """
    _checks.check_module(model, "model")
    ord = _checks.check_real(ord, "ord", low=0, low_open=True, finite=False)
    norms = {name: torch.linalg.vector_norm(p.grad.detach().flatten(), ord=ord).item() for name, p in model.named_parameters() if p.grad is not None}
    if not norms:
        raise ValueError("model has no parameter with a gradient: call loss.backward() first")
    return norms
