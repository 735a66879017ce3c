r"""Residual networks whose blocks :math:`T(x) = x + F(x)` have a 1-Lipschitz residual branch.

:math:`F` is a two-layer perceptron :math:`F(x) = c\,\tilde W_2\, \phi(\tilde W_1 x + b_1) + b_2`
where each :math:`\tilde W = W / \|W\|_2` is divided by its exact spectral norm
(largest singular value) in every forward pass, :math:`\phi` is a
1-Lipschitz activation (ReLU or tanh), and :math:`0 \le c \le 1` scales the
branch. Then :math:`\operatorname{Lip}(F) \le c \le 1`, so
:math:`\operatorname{Lip}(T) \le 1 + c \le 2` and a network of :math:`L` blocks has
:math:`\operatorname{Lip}(f) \le (1+c)^L \le 2^L`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nntheory import _checks

__all__ = ["SpectralNormLinear", "ResidualBlock", "ResidualNet"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class SpectralNormLinear(nn.Module):
    r"""Linear map :math:`x \mapsto \text{scale}\cdot W x / \|W\|_2 + b` with spectral norm exactly ``scale``.

    The spectral norm is computed exactly (``torch.linalg.matrix_norm(W, 2)``,
    an SVD) in every forward pass, so the constraint holds during training
    too, and gradients flow through the normalisation.

    Parameters
    ----------
    in_features, out_features : int
        Dimensions of the map, :math:`W` has shape ``(out_features, in_features)``.
    scale : float, default 1.0
        The spectral norm of the effective weight, non-negative.
    bias : bool, default True
        Whether to add a bias (it does not change the Lipschitz constant).
    generator : torch.Generator, optional
        Draws the raw weight, entries :math:`\mathcal N(0, 1/\text{in\_features})`,
        and the bias, :math:`\mathcal N(0, 0.1^2)`.
    """

    def __init__(self, in_features: int, out_features: int, scale: float = 1.0, bias: bool = True, generator: torch.Generator | None = None):
        super().__init__()
        in_features = _checks.check_int(in_features, "in_features", low=1)
        out_features = _checks.check_int(out_features, "out_features", low=1)
        scale = _checks.check_real(scale, "scale", low=0)
        bias = _checks.check_bool(bias, "bias")
        _checks.check_optional_torch_generator(generator, "generator")
        self.in_features, self.out_features, self.scale = in_features, out_features, scale
        w = torch.randn(out_features, in_features, generator=generator) / math.sqrt(in_features)
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(0.1 * torch.randn(out_features, generator=generator)) if bias else None

    def effective_weight(self) -> torch.Tensor:
        """The normalised weight ``scale * W / ||W||_2``, shape ``(out_features, in_features)``."""
        return self.scale * self.weight / torch.linalg.matrix_norm(self.weight, ord=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the map to ``x`` of shape ``(n_samples, in_features)``."""
        _checks.check_forward_input(x, "x", self.in_features, self.weight.dtype)
        out = x @ self.effective_weight().T
        return out if self.bias is None else out + self.bias


class ResidualBlock(nn.Module):
    r"""Residual block :math:`T(x) = x + F(x)` with :math:`\operatorname{Lip}(F) \le \text{branch\_scale}`.

    Parameters
    ----------
    dim : int
        Width of the residual stream (input and output dimension).
    hidden : int, optional
        Width inside the branch; ``dim`` by default.
    activation : {"relu", "tanh"}, default "relu"
        A 1-Lipschitz activation.
    branch_scale : float, default 1.0
        The constant :math:`c \le 1` multiplying the branch; the product of
        the spectral norms of its two linear maps equals it.
    generator : torch.Generator, optional
        Draws the weights.

    Attributes
    ----------
    branch : torch.nn.Sequential
        The residual branch :math:`F` (linear, activation, linear).
    """

    def __init__(self, dim: int, hidden: int | None = None, activation: str = "relu", branch_scale: float = 1.0, generator: torch.Generator | None = None):
        super().__init__()
        dim = _checks.check_int(dim, "dim", low=1)
        hidden = dim if hidden is None else _checks.check_int(hidden, "hidden", low=1)
        _checks.check_choice(activation, "activation", sorted(_ACTIVATIONS))
        branch_scale = _checks.check_real(branch_scale, "branch_scale", low=0, high=1)
        _checks.check_optional_torch_generator(generator, "generator")
        self.dim = dim
        self.branch_scale = branch_scale
        self.branch = nn.Sequential(
            SpectralNormLinear(dim, hidden, scale=1.0, generator=generator),
            _ACTIVATIONS[activation](),
            SpectralNormLinear(hidden, dim, scale=branch_scale, generator=generator),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`x + F(x)` for ``x`` of shape ``(n_samples, dim)``."""
        _checks.check_forward_input(x, "x", self.dim)  # the branch's first layer checks the dtype
        return x + self.branch(x)


class ResidualNet(nn.Module):
    r"""Composition :math:`f = T_L \circ \dots \circ T_1` of :class:`ResidualBlock` s.

    Parameters
    ----------
    dim : int
        Width of the residual stream.
    n_blocks : int
        Depth :math:`L`, at least 1.
    hidden : int, optional
        Width inside each branch (``dim`` by default).
    activation : {"relu", "tanh"}, default "relu"
        Activation inside each branch.
    branch_scale : float, default 1.0
        Scale :math:`c` of every branch; :math:`\operatorname{Lip}(f) \le (1+c)^L`.
    generator : torch.Generator, optional
        Draws all weights.

    Attributes
    ----------
    blocks : torch.nn.ModuleList
        The :math:`L` blocks, applied in order.

    Examples
    --------
    >>> net = ResidualNet(dim=4, n_blocks=3, generator=torch.Generator().manual_seed(0))
    >>> net(torch.zeros(2, 4)).shape
    torch.Size([2, 4])
    """

    def __init__(self, dim: int, n_blocks: int, hidden: int | None = None, activation: str = "relu", branch_scale: float = 1.0, generator: torch.Generator | None = None):
        super().__init__()
        n_blocks = _checks.check_int(n_blocks, "n_blocks", low=1)
        self.dim = _checks.check_int(dim, "dim", low=1)
        self.blocks = nn.ModuleList(ResidualBlock(dim, hidden, activation, branch_scale, generator) for _ in range(n_blocks))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the blocks in order to ``x`` of shape ``(n_samples, dim)``."""
        _checks.check_forward_input(x, "x", self.dim)  # the first block's first layer checks the dtype
        for block in self.blocks:
            x = block(x)
        return x
