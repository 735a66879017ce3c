r"""Hessians of small models and losses, Hessian-vector products, curvature.

Everything works on a function of one flat parameter vector,
:math:`f:\mathbb R^P\to\mathbb R`; :func:`flat_loss` builds such a function
from a model, a loss and a data set. For small :math:`P` the exact Hessian
(:func:`hessian_matrix`, the Jacobian of the gradient, reverse-over-reverse with
``torch.func``) is affordable;
for larger models :func:`hvp` gives :math:`Hv` for the cost of about two
gradients, and :func:`top_eigenvalue` finds the largest curvature by power
iteration on it.

The condition number follows the definition of the tnn-9 sheet:
:math:`\kappa = |\lambda|_{\max} / |\lambda|_{\min}` over the eigenvalues.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Callable

import numpy as np
import torch
from torch.func import functional_call, grad, vjp

from nntheory import _checks

__all__ = ["flat_loss", "hessian_matrix", "hvp", "top_eigenvalue", "condition_number"]

FlatFn = Callable[[torch.Tensor], torch.Tensor]


def _check_point(f, theta) -> torch.Tensor:
    """``f`` callable and ``theta`` a finite flat vector at which ``f`` returns a finite scalar."""
    _checks.check_callable(f, "f")
    theta = _checks.check_tensor(theta, "theta", ndim=1)
    value = _checks.call_on_trial(f, theta.detach(), what=f"f(theta) for theta of shape {tuple(theta.shape)} and dtype {theta.dtype}")
    _checks.check_scalar_output(value, "f(theta)")
    return theta


def flat_loss(model: torch.nn.Module, loss_fn: Callable, X: torch.Tensor, y: torch.Tensor) -> tuple[FlatFn, torch.Tensor]:
    """The training loss as a function of one flat parameter vector.

    The model is evaluated in the mode it is in. Batch-norm layers in
    training mode normalise with the batch's statistics, as in training, but
    their running statistics are left untouched (``f`` has no side effect,
    so ``torch.func`` transforms such as :func:`hessian_matrix` apply).

    Parameters
    ----------
    model : torch.nn.Module
        The model (not modified, buffers included).
    loss_fn : callable
        ``loss_fn(prediction, target) -> scalar tensor``.
    X : torch.Tensor
        Inputs, shape ``(n_samples, ...)``.
    y : torch.Tensor
        Targets, shape ``(n_samples, ...)``.

    Returns
    -------
    f : callable
        ``f(theta) -> scalar tensor`` with ``theta`` of shape ``(P,)``.
    theta : torch.Tensor
        The model's current parameters, flattened, shape ``(P,)``.
    """
    _checks.check_model_data(model, X, y, loss_fn)
    names = [k for k, _ in model.named_parameters()]
    shapes = [v.shape for _, v in model.named_parameters()]
    sizes = [v.numel() for _, v in model.named_parameters()]
    if not names:
        raise ValueError("model has no parameters")
    theta = torch.cat([v.detach().reshape(-1) for _, v in model.named_parameters()])

    def f(flat: torch.Tensor) -> torch.Tensor:
        # Shape and dtype only: a check on the values would not work inside torch.func transforms.
        if not isinstance(flat, torch.Tensor) or flat.shape != theta.shape:
            raise ValueError(f"theta must have shape {tuple(theta.shape)} (the model's parameters, flattened), got {getattr(flat, 'shape', type(flat).__name__)}")
        if flat.dtype != theta.dtype:
            raise TypeError(f"theta must have dtype {theta.dtype} (the model's), got {flat.dtype}")
        pieces = torch.split(flat, sizes)
        params = {n: p.reshape(s) for n, p, s in zip(names, pieces, shapes)}
        with _batch_statistics_only(model):
            return loss_fn(functional_call(model, params, (X,)), y)

    return f, theta


@contextlib.contextmanager
def _batch_statistics_only(model: torch.nn.Module):
    """Batch-norm layers in training mode normalise by the batch, in plain tensor operations, writing no buffer.

    Two reasons for the plain formula instead of ``F.batch_norm``: the running
    statistics must not be updated (``f`` is a pure function, which
    ``torch.func`` transforms require), and in torch 2.13 the batching rule
    of ``batch_norm``'s double backward gives wrong Hessian entries under
    ``vmap`` (checked in ``tests/test_diagnostics_hessian.py`` against
    ``torch.autograd.functional.hessian``).
    """
    layers = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.training]
    for m in layers:
        m.forward = functools.partial(_batch_norm_train, m)  # instance attribute shadows the class's forward
    try:
        yield
    finally:
        for m in layers:
            del m.forward


def _batch_norm_train(module: torch.nn.modules.batchnorm._BatchNorm, x: torch.Tensor) -> torch.Tensor:
    """Training-mode batch norm over every axis but the channel axis 1, biased variance, as torch."""
    axes = [0, *range(2, x.ndim)]
    shape = [1, -1] + [1] * (x.ndim - 2)
    mean = x.mean(dim=axes, keepdim=True)
    var = x.var(dim=axes, unbiased=False, keepdim=True)
    out = (x - mean) / torch.sqrt(var + module.eps)
    if module.affine:
        out = out * module.weight.reshape(shape) + module.bias.reshape(shape)
    return out


def hessian_matrix(f: FlatFn, theta: torch.Tensor) -> torch.Tensor:
    """Exact Hessian of a scalar function of a flat vector.

    Parameters
    ----------
    f : callable
        ``f(theta) -> scalar tensor``, differentiable twice.
    theta : torch.Tensor
        Point of evaluation, shape ``(P,)``.

    Returns
    -------
    torch.Tensor
        Shape ``(P, P)``, symmetric up to rounding.
    """
    theta = _check_point(f, theta)
    # Reverse-over-reverse (jacrev of jacrev): forward-mode AD is not needed and
    # works for every loss torch can differentiate twice.
    return torch.func.jacrev(torch.func.jacrev(f))(theta.detach())


def hvp(f: FlatFn, theta: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    r"""Hessian-vector product :math:`\nabla^2 f(\theta)\, v` without forming the Hessian.

    Reverse-over-reverse: the vector-Jacobian product of the gradient map
    with :math:`v` (``torch.func.vjp`` of ``torch.func.grad``), which is
    :math:`Hv` because the Hessian is symmetric.

    Parameters
    ----------
    f : callable
        ``f(theta) -> scalar tensor``.
    theta : torch.Tensor
        Shape ``(P,)``.
    v : torch.Tensor
        Direction, shape ``(P,)``.

    Returns
    -------
    torch.Tensor
        Shape ``(P,)``.
    """
    theta = _check_point(f, theta)
    v = _checks.check_tensor(v, "v", shape=tuple(theta.shape), dtype=theta.dtype, dtype_of="theta's")
    return _hvp(f, theta, v)


def _hvp(f: FlatFn, theta: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    _, pullback = vjp(grad(f), theta.detach())
    return pullback(v.detach())[0]


def top_eigenvalue(f: FlatFn, theta: torch.Tensor, *, generator: torch.Generator, n_iter: int = 200, tol: float = 1e-10) -> tuple[float, torch.Tensor]:
    r"""Eigenvalue of largest magnitude of :math:`\nabla^2 f(\theta)`, by power iteration.

    Repeats :math:`v \leftarrow Hv/\|Hv\|` from a random start and returns the
    Rayleigh quotient :math:`v^\top H v`. Converges at the rate
    :math:`|\lambda_2/\lambda_1|` per iteration, so slowly when the two
    largest magnitudes are close.

    Parameters
    ----------
    f : callable
        ``f(theta) -> scalar tensor``.
    theta : torch.Tensor
        Shape ``(P,)``.
    generator : torch.Generator
        Source of the random starting vector.
    n_iter : int, default 200
        Maximum number of Hessian-vector products.
    tol : float, default 1e-10
        Stop when the Rayleigh quotient changes by less than ``tol`` times
        its magnitude.

    Returns
    -------
    eigenvalue : float
        The estimate of the eigenvalue with the largest :math:`|\lambda|`
        (with its sign).
    eigenvector : torch.Tensor
        Unit vector, shape ``(P,)``.
    """
    theta = _check_point(f, theta)
    _checks.check_torch_generator(generator, "generator")
    n_iter = _checks.check_int(n_iter, "n_iter", low=1)
    tol = _checks.check_real(tol, "tol", low=0)
    v = torch.randn(theta.shape, generator=generator, dtype=theta.dtype)
    v = v / v.norm()
    lam = 0.0
    for _ in range(n_iter):
        hv = _hvp(f, theta, v)
        new_lam = torch.dot(v, hv).item()
        norm = hv.norm()
        if not torch.isfinite(norm):
            raise ValueError("the Hessian-vector product is not finite at theta (f overflows or is not twice differentiable there)")
        if norm == 0:
            return 0.0, v
        v = hv / norm
        if abs(new_lam - lam) <= tol * abs(new_lam):
            lam = new_lam
            break
        lam = new_lam
    return lam, v


def condition_number(H: torch.Tensor) -> float:
    r"""Condition number :math:`|\lambda|_{\max}/|\lambda|_{\min}` of a symmetric matrix.

    Parameters
    ----------
    H : torch.Tensor or numpy.ndarray
        Symmetric matrix, shape ``(P, P)``.

    Returns
    -------
    float
        ``inf`` if an eigenvalue is exactly zero.
    """
    if isinstance(H, np.ndarray):
        H = _checks.check_array(H, "H", ndim=2, kind="real")
        H = torch.from_numpy(H)
    H = _checks.check_tensor(H, "H", ndim=2, floating=False)
    if H.dtype == torch.bool or H.is_complex():
        raise TypeError(f"H must hold real numbers, got dtype {H.dtype}")
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square matrix, got shape {tuple(H.shape)}")
    if not H.is_floating_point():
        H = H.to(torch.float64)
    # Symmetric up to rounding: a Hessian from reverse-over-reverse differs from its transpose by rounding only.
    scale = H.abs().max().item()
    if (H - H.T).abs().max().item() > (torch.finfo(H.dtype).eps ** 0.5) * scale:
        raise ValueError("H must be symmetric (up to rounding); eigvalsh would read only its lower triangle")
    abs_eig = torch.linalg.eigvalsh(H).abs()
    smallest = abs_eig.min().item()
    return float("inf") if smallest == 0.0 else abs_eig.max().item() / smallest
