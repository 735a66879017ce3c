r"""Regression MLPs that predict a mean, or a mean and a variance, and the Gaussian NLL.

With :math:`p(y \mid x) = \mathcal N\big(y \mid \mu(x), \sigma^2(x)\big)` the
negative log-likelihood of one observation is

.. math::

   -\log p(y \mid x) = \tfrac12 \log\big(2\pi\sigma^2(x)\big)
   + \frac{(y - \mu(x))^2}{2\sigma^2(x)} .

For a constant :math:`\sigma` this is the squared error up to a positive
factor and an additive constant (:class:`MeanMLP` trained with MSE); letting
the network output :math:`\sigma^2(x)` as well gives :class:`MeanVarianceMLP`,
trained with :func:`gaussian_nll`.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from nntheory import _checks

__all__ = ["MeanMLP", "MeanVarianceMLP", "gaussian_nll"]


def _check_hidden(hidden: Sequence[int]) -> tuple[int, ...]:
    return tuple(_checks.check_int_sequence(hidden, "hidden", low=1))


def _check_common(hidden, n_features, generator) -> tuple[tuple[int, ...], int]:
    _checks.check_optional_torch_generator(generator, "generator")
    return _check_hidden(hidden), _checks.check_int(n_features, "n_features", low=1)


def _mlp(n_in: int, hidden: tuple[int, ...], n_out: int, generator: torch.Generator | None) -> nn.Sequential:
    """Linear-ReLU stack with torch's default initialisation drawn from ``generator``."""
    layers: list[nn.Module] = []
    sizes = (n_in,) + hidden
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-1], n_out))
    if generator is not None:
        with torch.no_grad():
            for layer in layers:
                if isinstance(layer, nn.Linear):
                    # torch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
                    bound = 1.0 / math.sqrt(layer.in_features)
                    layer.weight.uniform_(-bound, bound, generator=generator)
                    layer.bias.uniform_(-bound, bound, generator=generator)
    return nn.Sequential(*layers)


class MeanMLP(nn.Module):
    """ReLU MLP for scalar regression, 1 → 32 → 64 → 1 by default.

    Parameters
    ----------
    hidden : sequence of int, default (32, 64)
        Widths of the hidden layers.
    n_features : int, default 1
        Input dimension.
    generator : torch.Generator, optional
        Draws the initial weights (torch's default uniform scheme); without
        it torch's global generator is used.

    Examples
    --------
    >>> model = MeanMLP(generator=torch.Generator().manual_seed(0))
    >>> model(torch.zeros(5, 1)).shape
    torch.Size([5])
    """

    def __init__(self, hidden: Sequence[int] = (32, 64), n_features: int = 1, generator: torch.Generator | None = None):
        super().__init__()
        hidden, self.n_features = _check_common(hidden, n_features, generator)
        self.net = _mlp(self.n_features, hidden, 1, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted mean, shape ``(n_samples,)`` from ``x`` of shape ``(n_samples, n_features)``."""
        _checks.check_forward_input(x, "x", self.n_features, self.net._modules["0"].weight.dtype)
        return self.net(x).squeeze(-1)


class MeanVarianceMLP(nn.Module):
    r"""ReLU MLP with two outputs: the mean and the variance of a Gaussian.

    The second output :math:`s` is mapped to a variance that is positive by
    construction, :math:`\sigma^2 = \operatorname{softplus}(s) + \texttt{min\_var}`.

    Parameters
    ----------
    hidden : sequence of int, default (32, 64)
        Widths of the shared hidden layers.
    n_features : int, default 1
        Input dimension.
    min_var : float, default 1e-6
        Floor on the predicted variance; keeps the NLL bounded below.
    generator : torch.Generator, optional
        Draws the initial weights.

    Examples
    --------
    >>> model = MeanVarianceMLP(generator=torch.Generator().manual_seed(0))
    >>> mean, var = model(torch.zeros(5, 1))
    >>> mean.shape, bool((var > 0).all())
    (torch.Size([5]), True)
    """

    def __init__(self, hidden: Sequence[int] = (32, 64), n_features: int = 1, min_var: float = 1e-6, generator: torch.Generator | None = None):
        super().__init__()
        self.min_var = _checks.check_real(min_var, "min_var", low=0, low_open=True)
        hidden, self.n_features = _check_common(hidden, n_features, generator)
        self.net = _mlp(self.n_features, hidden, 2, generator)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance, each of shape ``(n_samples,)``, from ``x`` of shape ``(n_samples, n_features)``."""
        _checks.check_forward_input(x, "x", self.n_features, self.net._modules["0"].weight.dtype)
        out = self.net(x)  # (n_samples, 2)
        return out[:, 0], F.softplus(out[:, 1]) + self.min_var


def gaussian_nll(mean: torch.Tensor, var: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Gaussian negative log-likelihood, including the :math:`\tfrac12\log 2\pi` constant.

    .. math::

       \operatorname{NLL}_i = \tfrac12 \log(2\pi) + \tfrac12 \log \sigma_i^2
       + \frac{(y_i - \mu_i)^2}{2 \sigma_i^2} .

    Parameters
    ----------
    mean, var, y : torch.Tensor
        Predicted means, predicted variances (positive) and targets, all of
        the same shape ``(n_samples,)``.
    reduction : {"mean", "sum", "none"}, default "mean"
        How to combine the per-sample terms.

    Returns
    -------
    torch.Tensor
        A scalar, or shape ``(n_samples,)`` for ``reduction="none"``. Equal to
        ``torch.nn.GaussianNLLLoss(full=True, eps=0)`` for positive variances.

    Raises
    ------
    TypeError
        If an argument is not a floating tensor, or their dtypes differ.
    ValueError
        If the shapes differ, a variance is not positive, ``y`` is not
        finite, or ``reduction`` is unknown. (A NaN prediction gives a NaN
        loss, as a diverged model should.)
    """
    _checks.check_tensor(mean, "mean", finite=False, nonempty=False)
    _checks.check_tensor(var, "var", finite=False, nonempty=False)
    _checks.check_tensor(y, "y", nonempty=False)
    if not (mean.dtype == var.dtype == y.dtype):
        raise TypeError(f"mean, var and y must have the same dtype, got {mean.dtype}, {var.dtype}, {y.dtype}")
    if not (mean.shape == var.shape == y.shape):
        raise ValueError(f"mean, var and y must have the same shape, got {tuple(mean.shape)}, {tuple(var.shape)}, {tuple(y.shape)}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if bool((var <= 0).any()):
        raise ValueError("var must be positive everywhere")
    nll = 0.5 * (math.log(2 * math.pi) + torch.log(var) + (y - mean) ** 2 / var)
    if reduction == "mean":
        return nll.mean()
    if reduction == "sum":
        return nll.sum()
    return nll
