r"""Lipschitz constants of networks, bounded from below and from above.

*Lower bounds* come from the network itself: for any inputs,

.. math::

   \operatorname{Lip}(f) \;\ge\; \|J_f(x)\|_2 \quad\text{and}\quad
   \operatorname{Lip}(f) \;\ge\; \frac{\|f(x) - f(y)\|}{\|x - y\|},

where :math:`\|J_f(x)\|_2` (the largest singular value of the Jacobian) is
found by power iteration on :math:`J^\top J` with Jacobian-vector and
vector-Jacobian products (:func:`jacobian_spectral_norms`); maximising over
many inputs gives :func:`lipschitz_lower_bound`.

*Upper bounds* come from the architecture (:func:`lipschitz_upper_bound`):
a composition is bounded by the product of its parts, a linear map by its
spectral norm, a 1-Lipschitz activation by 1, a residual block
:math:`x + F(x)` by :math:`1 + \operatorname{Lip}(F)`, and a batch-norm layer
in evaluation mode by :math:`\max_j |\gamma_j| / \sqrt{\hat\sigma_j^2 + \varepsilon}`.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from nntheory import _checks

from nntheory.models.residual import ResidualBlock, ResidualNet, SpectralNormLinear

__all__ = [
    "jacobian_spectral_norms",
    "lipschitz_lower_bound",
    "secant_lower_bound",
    "optimized_secant_lower_bound",
    "lipschitz_upper_bound",
    "block_upper_bounds",
]


def _check_rowwise(f, x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """``f`` callable and ``x`` a finite (n_samples, n_in) batch that ``f`` maps to a finite (n_samples, n_out) batch."""
    _checks.check_callable(f, "f")
    x = _checks.check_tensor(x, name, ndim=2)
    with torch.no_grad():
        out = _checks.call_on_trial(f, x[:2], what=f"f({name}) for {name} of shape {tuple(x.shape)} and dtype {x.dtype}")
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != min(2, x.shape[0]):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"f must map a (n_samples, n_in) batch to a (n_samples, n_out) batch, row by row; f({name}[:2]) gave {got}")
    if not out.is_floating_point():
        raise TypeError(f"f must return a floating-point tensor, got dtype {out.dtype}")
    return x


def _check_generator(generator):
    if generator is not None:
        _checks.check_torch_generator(generator, "generator")


def jacobian_spectral_norms(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, n_iter: int = 50, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Largest singular value of the Jacobian of ``f`` at every row of ``x``, by power iteration.

    ``f`` must act row by row (row :math:`i` of the output depends only on
    row :math:`i` of the input; true for MLPs and residual networks, false
    for batch norm in training mode). Then one Jacobian-vector product and
    one vector-Jacobian product over the batch advance the power iteration
    :math:`u \leftarrow J^\top J u / \|J^\top J u\|` for all rows at once.

    Parameters
    ----------
    f : callable
        Maps ``(n_samples, n_in)`` to ``(n_samples, n_out)``.
    x : torch.Tensor
        Points, shape ``(n_samples, n_in)``.
    n_iter : int, default 50
        Power-iteration steps.
    generator : torch.Generator, optional
        Draws the random starting vectors.

    Returns
    -------
    torch.Tensor
        Shape ``(n_samples,)``: :math:`\|J_f(x_i) u_i\|` for the final unit
        vectors :math:`u_i`, a lower bound on (and, as ``n_iter`` grows, a
        converging estimate of) :math:`\|J_f(x_i)\|_2`.
    """
    x = _check_rowwise(f, x)
    n_iter = _checks.check_int(n_iter, "n_iter", low=1)
    _check_generator(generator)
    return _jacobian_spectral_norms(f, x, n_iter, generator)


def _jacobian_spectral_norms(f, x, n_iter, generator):
    x = x.detach().requires_grad_(True)
    y = f(x)  # one forward pass, reused by every product below
    # J^T v is linear in v; differentiating <J^T v, u> in v gives J u (the
    # "double-vjp" trick: forward-mode products from reverse mode alone).
    v0 = torch.zeros_like(y, requires_grad=True)
    (jt_v0,) = torch.autograd.grad(y, x, v0, create_graph=True)

    def jvp_fn(u: torch.Tensor) -> torch.Tensor:
        return torch.autograd.grad(jt_v0, v0, u, retain_graph=True)[0]

    def vjp_fn(v: torch.Tensor) -> tuple[torch.Tensor]:
        return torch.autograd.grad(y, x, v, retain_graph=True)

    u = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    u = u / u.norm(dim=1, keepdim=True)
    for _ in range(n_iter):
        (w,) = vjp_fn(jvp_fn(u))  # J^T J u, row by row
        w = w.detach()
        norm = w.norm(dim=1, keepdim=True)
        # A zero Jacobian row keeps its vector (and reports 0 below).
        u = torch.where(norm > 0, w / norm.clamp_min(torch.finfo(x.dtype).tiny), u)
    with torch.no_grad():
        return jvp_fn(u).norm(dim=1)


def lipschitz_lower_bound(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, n_iter: int = 50, generator: torch.Generator | None = None) -> float:
    r"""Lower bound :math:`\max_i \|J_f(x_i)\|_2 \le \operatorname{Lip}(f)`.

    Parameters
    ----------
    f : callable
        Row-wise map, ``(n_samples, n_in)`` to ``(n_samples, n_out)``.
    x : torch.Tensor
        Probe points, shape ``(n_samples, n_in)``; more (and better chosen)
        points give a tighter bound.
    n_iter : int, default 50
        Power-iteration steps per point.
    generator : torch.Generator, optional
        Draws the power-iteration starting vectors.

    Returns
    -------
    float
        The largest Jacobian spectral norm found.

    See Also
    --------
    jacobian_spectral_norms : the per-point values.
    secant_lower_bound : the bound from difference quotients.
    optimized_secant_lower_bound : difference quotients maximised by ascent.
    """
    return float(jacobian_spectral_norms(f, x, n_iter=n_iter, generator=generator).max())


def secant_lower_bound(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> float:
    r"""Lower bound :math:`\max_i \|f(x_i) - f(y_i)\| / \|x_i - y_i\| \le \operatorname{Lip}(f)`.

    Needs no derivatives, so it also applies where :math:`f` is not
    differentiable.

    Parameters
    ----------
    f : callable
        Row-wise map, ``(n_samples, n_in)`` to ``(n_samples, n_out)``.
    x, y : torch.Tensor
        Pairs of points, shape ``(n_samples, n_in)`` each, with
        :math:`x_i \ne y_i`.

    Returns
    -------
    float
        The largest difference quotient.
    """
    x = _check_rowwise(f, x, "x")
    y = _check_rowwise(f, y, "y")
    if x.dtype != y.dtype:
        raise TypeError(f"x and y must have the same dtype, got {x.dtype} and {y.dtype}")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    dx = (x - y).norm(dim=1)
    if bool((dx == 0).any()):
        raise ValueError("x and y must differ in every row")
    with torch.no_grad():
        return float(((f(x) - f(y)).norm(dim=1) / dx).max())


def optimized_secant_lower_bound(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, n_steps: int = 100, lr: float = 0.05, offset: float = 0.1, generator: torch.Generator | None = None) -> float:
    r"""Lower bound from difference quotients maximised by gradient ascent over input pairs.

    Starts from pairs :math:`(x_i, x_i + \delta_i)` with random offsets of
    norm ``offset`` and runs Adam on both points to increase
    :math:`\log(\|f(x_i) - f(y_i)\| / \|x_i - y_i\|)`. Every quotient
    evaluated along the way is a valid lower bound on
    :math:`\operatorname{Lip}(f)`; the largest is returned. Unlike the
    Jacobian norm of a ReLU network, which is piecewise constant in
    :math:`x`, the quotient has useful gradients.

    Parameters
    ----------
    f : callable
        Row-wise map, ``(n_samples, n_in)`` to ``(n_samples, n_out)``.
    x : torch.Tensor
        Starting points, shape ``(n_samples, n_in)``.
    n_steps : int, default 100
        Ascent steps.
    lr : float, default 0.05
        Adam learning rate for the points.
    offset : float, default 0.1
        Initial distance between the two points of each pair.
    generator : torch.Generator, optional
        Draws the initial offsets.

    Returns
    -------
    float
        The largest difference quotient seen.
    """
    x = _check_rowwise(f, x)
    n_steps = _checks.check_int(n_steps, "n_steps", low=0)
    lr = _checks.check_real(lr, "lr", low=0, low_open=True)
    offset = _checks.check_real(offset, "offset", low=0, low_open=True)
    _check_generator(generator)
    d = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    d = offset * d / d.norm(dim=1, keepdim=True)
    a = x.detach().clone().requires_grad_(True)
    b = (x.detach() + d).requires_grad_(True)
    opt = torch.optim.Adam([a, b], lr=lr)
    best = 0.0
    for step in range(n_steps + 1):
        ratio = (f(a) - f(b)).norm(dim=1) / (a - b).norm(dim=1)  # (n_samples,)
        finite = torch.isfinite(ratio)
        if bool(finite.any()):
            best = max(best, float(ratio[finite].detach().max()))
        if step == n_steps:
            break
        opt.zero_grad()
        (-torch.log(ratio[finite].clamp_min(1e-300))).sum().backward()
        opt.step()
    return best


def lipschitz_upper_bound(module: nn.Module) -> float:
    r"""Upper bound on :math:`\operatorname{Lip}(f)` (Euclidean norms) from the architecture.

    Rules, applied recursively:

    * :class:`torch.nn.Linear`: :math:`\|W\|_2` (exact, by SVD);
      :class:`~nntheory.models.residual.SpectralNormLinear`: the spectral
      norm of its effective weight;
    * ReLU, ReLU6, tanh, softsign, identity, dropout in evaluation mode: 1;
      ELU: :math:`\max(1, \alpha)`; LeakyReLU: :math:`\max(1, |a|)`;
      sigmoid: 1/4;
    * :class:`torch.nn.Sequential` and :class:`~nntheory.models.residual.ResidualNet`:
      the product over the parts;
    * :class:`~nntheory.models.residual.ResidualBlock` :math:`x + F(x)`:
      :math:`1 + \text{bound}(F)`;
    * :class:`torch.nn.BatchNorm1d` in evaluation mode, the affine map
      :math:`x_j \mapsto \gamma_j (x_j - \hat\mu_j)/\sqrt{\hat\sigma_j^2 + \varepsilon} + \beta_j`:
      :math:`\max_j |\gamma_j| / \sqrt{\hat\sigma_j^2 + \varepsilon}`.

    Parameters
    ----------
    module : torch.nn.Module
        The network.

    Returns
    -------
    float
        The bound.

    Raises
    ------
    ValueError
        For batch norm in training mode: the output then depends on the whole
        batch, so the layer is not a function of one input and has no
        Lipschitz constant of its own.
    TypeError
        For a module type without a rule.
    """
    _checks.check_module(module, "module")
    if isinstance(module, SpectralNormLinear):
        with torch.no_grad():
            return float(torch.linalg.matrix_norm(module.effective_weight(), ord=2))
    if isinstance(module, nn.Linear):
        with torch.no_grad():
            return float(torch.linalg.matrix_norm(module.weight, ord=2))
    if isinstance(module, (nn.ReLU, nn.ReLU6, nn.Tanh, nn.Identity, nn.Softsign)):
        return 1.0
    if isinstance(module, nn.ELU):
        return max(1.0, float(module.alpha))
    if isinstance(module, nn.LeakyReLU):
        return max(1.0, abs(float(module.negative_slope)))
    if isinstance(module, nn.Sigmoid):
        return 0.25
    if isinstance(module, nn.Dropout):
        if module.training:
            raise ValueError("dropout in training mode is random; call .eval() first")
        return 1.0
    if isinstance(module, ResidualBlock):
        return 1.0 + lipschitz_upper_bound(module.branch)
    if isinstance(module, ResidualNet):
        return math.prod(lipschitz_upper_bound(b) for b in module.blocks)
    if isinstance(module, nn.Sequential):
        return math.prod(lipschitz_upper_bound(m) for m in module)
    if isinstance(module, nn.BatchNorm1d):
        if module.training:
            raise ValueError("batch norm in training mode depends on the whole batch and has no per-input Lipschitz constant; call .eval() first")
        if not module.track_running_stats or module.running_var is None:
            raise ValueError("batch norm without running statistics normalises with batch statistics even in eval mode")
        with torch.no_grad():
            gamma = module.weight if module.affine else torch.ones_like(module.running_var)
            return float((gamma.abs() / torch.sqrt(module.running_var + module.eps)).max())
    raise TypeError(f"no Lipschitz rule for module type {type(module).__name__}")


def block_upper_bounds(net: ResidualNet) -> list[float]:
    r"""Per-block bounds :math:`1 + \operatorname{Lip}(F_l)` of a residual network.

    Parameters
    ----------
    net : ResidualNet
        The network.

    Returns
    -------
    list of float
        One bound per block; their product is :func:`lipschitz_upper_bound` of ``net``.
    """
    if not isinstance(net, ResidualNet):
        raise TypeError(f"net must be a ResidualNet, got {type(net).__name__}")
    return [lipschitz_upper_bound(b) for b in net.blocks]
