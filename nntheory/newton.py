"""Newton's method for one-hidden-layer tanh networks, with the exact Hessian.

First-order methods crawl near the interpolation threshold of a width sweep:
the last directions to fit are very flat, and after thousands of Adam steps
the training loss is still falling. To train such networks *to convergence*
we finish with Newton's method, which needs the Hessian of the loss. For
:math:`f(x) = W_2^\\top \\tanh(W_1^\\top x + b_1) + b_2` (weights stored as in
:mod:`nntheory.sweep`, :math:`W_1 \\in \\R^{d\\times M}`, :math:`W_2 \\in
\\R^{M\\times k}`) it has a short closed form.

Write :math:`\\tilde x_n = (x_n, 1)` and :math:`U = \\binom{W_1}{b_1}`, so
:math:`z_n = U^\\top \\tilde x_n`, :math:`h_n = \\tanh z_n`, :math:`\\tilde h_n =
(h_n, 1)`, :math:`V = \\binom{W_2}{b_2}` and :math:`f_n = V^\\top \\tilde
h_n`. With residuals :math:`r_{nj} = f_{nj} - y_{nj}`, the loss
:math:`L = c \\sum_{nj} r_{nj}^2 / 2`, :math:`c = 2/(Nk)`, is the mean squared
error. Let :math:`s = 1 - h^2 = \\tanh'(z)`; then :math:`\\tanh''(z) = -2hs`.
The first derivatives of an output are

.. math::

   \\frac{\\partial f_{nj}}{\\partial V_{mj'}} = \\delta_{jj'} \\tilde h_{nm},
   \\qquad
   \\frac{\\partial f_{nj}}{\\partial U_{am}} = \\tilde x_{na}\\, s_{nm} W_{2,mj},

and the Hessian of :math:`L` is :math:`c\\,(J^\\top J + S)` with
:math:`S = \\sum_{nj} r_{nj} \\nabla^2 f_{nj}`. The output is linear in
:math:`V`, so :math:`S` has only two kinds of non-zero entries, both local to
one hidden unit :math:`m`:

.. math::

   S_{(am),(a'm)} = \\sum_n \\tilde x_{na} \\tilde x_{na'}\\, (-2 h_{nm} s_{nm})
   \\sum_j r_{nj} W_{2,mj},

   S_{(am),(mj)} = \\sum_n \\tilde x_{na}\\, s_{nm}\\, r_{nj}.

Near a minimum with a non-zero residual (a network too small to interpolate)
the term :math:`S` is what Gauss–Newton and Levenberg–Marquardt leave out, and
why they converge slowly, if at all, there; Newton keeps it.

:func:`newton_refine` takes damped Newton steps :math:`(H + \\mu I)\\,p =
-\\nabla L`: :math:`\\mu` is raised until the matrix is positive definite
(a Cholesky factorisation succeeds), a step is kept only if it lowers the
loss, and :math:`\\mu` shrinks when the quadratic model predicted the decrease
well and grows when it did not (the Levenberg–Marquardt rule applied to the
full Hessian). Close to a minimum with a positive definite Hessian,
:math:`\\mu \\to 0` and the iteration converges quadratically. A run stops when
the gradient norm is below ``gtol``; at that point the smallest eigenvalue of
the Hessian tells a minimum (:math:`\\ge 0`) from a saddle.

**At and above the interpolation threshold** (:math:`P \\ge Nk`) the loss
can reach zero, and there the term :math:`S` vanishes with the residuals:
Gauss–Newton converges quadratically to an interpolating solution.
:func:`gauss_newton_refine` takes its Levenberg–Marquardt steps in the
*dual* form

.. math::

   p = -J^\\top (J J^\\top + \\mu I)^{-1} r,

the same step as :math:`(J^\\top J + \\mu I)\\,p = -J^\\top r` (push-through
identity), which needs only the :math:`Nk \\times Nk` Gram matrix
:math:`K = J J^\\top` (the network's empirical neural tangent kernel) instead
of a :math:`P \\times P` Hessian. From the derivatives above,

.. math::

   K_{(nj),(n'j')} = \\delta_{jj'}\\, \\tilde h_n \\cdot \\tilde h_{n'}
   + (\\tilde x_n \\cdot \\tilde x_{n'}) \\sum_m s_{nm} W_{2,mj}\\,
   s_{n'm} W_{2,mj'},

and :math:`J^\\top \\alpha` is the gradient formula with the residuals
replaced by :math:`\\alpha`. The cost per iteration is
:math:`O((Nk)^2 M + (Nk)^3)`, linear in the width, and the linear systems of
networks of *any* widths have the same size, so they are solved as one
stack. A zero-padded hidden unit (zero incoming weights, bias and outgoing
weights) has :math:`h = 0` and zero outgoing weights, so both of its step
components vanish and it stays zero: networks of different widths can share
a padded stack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from nntheory import _checks

__all__ = ["NewtonResult", "mlp_mse", "mlp_loss_grad_hessian", "newton_refine", "gauss_newton_refine"]


@dataclass(frozen=True)
class NewtonResult:
    """Outcome of :func:`newton_refine` for a stack of networks.

    Attributes
    ----------
    weights : tuple of torch.Tensor
        Final ``(W1, b1, W2, b2)``, stacked as the input.
    loss : numpy.ndarray, shape (n_models,)
        Final training loss (mean squared error).
    grad_norm : numpy.ndarray, shape (n_models,)
        Euclidean norm of the final gradient.
    min_eigenvalue : numpy.ndarray, shape (n_models,)
        Smallest eigenvalue of the final Hessian (``nan`` if not computed).
    n_iter : numpy.ndarray of int, shape (n_models,)
        Newton iterations each network took (``max_iter`` if it did not converge).
    converged : numpy.ndarray of bool, shape (n_models,)
        ``grad_norm <= gtol``.
    loss_history : numpy.ndarray, shape (max_iter + 1, n_models)
        Loss before each iteration, ``nan`` once a network has stopped.
    stalled : numpy.ndarray of bool, shape (n_models,)
        Stopped by the ``ftol`` test: the loss had stopped decreasing
        although the gradient had not vanished (all False with ``ftol=0``).
    """

    weights: tuple
    loss: np.ndarray
    grad_norm: np.ndarray
    min_eigenvalue: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    loss_history: np.ndarray
    stalled: np.ndarray | None = None


def _check_weights(X, Y, W1, b1, W2, b2, *, finite=False, cast=False):
    """Data and weights of a stack of networks, at the public entry.

    ``X`` and ``Y`` are finite floating tensors of one dtype; the weights are
    floating tensors of matching shapes, of ``X``'s dtype unless ``cast``
    (the refiners convert them), finite if ``finite`` (the refiners' loops
    need finite starts; a loss may be evaluated at diverged weights).
    """
    X = _checks.check_tensor(X, "X", ndim=2)
    Y = _checks.check_tensor(Y, "Y", ndim=2, dtype=X.dtype, dtype_of="X's")
    _checks.check_same_length({"X": X, "Y": Y})
    (N, d), k = X.shape, Y.shape[1]
    wdtype = None if cast else X.dtype
    W1 = _checks.check_tensor(W1, "W1", dtype=wdtype, dtype_of="X's", finite=finite)
    if W1.ndim != 3 or W1.shape[1] != d:
        raise ValueError(f"W1 must have shape (n_models, {d}, n_hidden) for X with {d} features, got {tuple(W1.shape)}")
    B, M = W1.shape[0], W1.shape[2]
    for name, t, shape, source in (("b1", b1, (B, M), "n_models and n_hidden from W1"), ("W2", W2, (B, M, k), "n_models and n_hidden from W1, n_outputs from Y"), ("b2", b2, (B, k), "n_models from W1, n_outputs from Y")):
        t = _checks.check_tensor(t, name, dtype=wdtype, dtype_of="X's", finite=finite)
        if tuple(t.shape) != shape:
            raise ValueError(f"{name} must have shape {shape} ({source}), got {tuple(t.shape)}")


_MAX_DAMPING_RAISES = 40  # tenfold increases of mu within one Newton iteration


_STALL_WINDOW = 10  # iterations over which the ftol test compares the loss


def _check_options(max_iter, gtol, mu0, ftol=0.0, device="cpu"):
    """The refiners' options, as Python numbers and a torch.device."""
    max_iter = _checks.check_int(max_iter, "max_iter", low=1)
    gtol = _checks.check_real(gtol, "gtol", low=0, low_open=True)
    mu0 = _checks.check_real(mu0, "mu0", low=0, low_open=True)
    ftol = _checks.check_real(ftol, "ftol", low=0, high=1, high_open=True)
    device = _checks.check_device(device)
    return max_iter, gtol, mu0, ftol, device


def _stalled(history, it, active, ftol):
    """Networks (of ``active``) whose loss fell by less than a fraction ``ftol`` over the last _STALL_WINDOW iterations."""
    if ftol <= 0 or it < _STALL_WINDOW:
        return torch.zeros(len(active), dtype=torch.bool, device=active.device)
    a = active.cpu().numpy()
    before, now = history[it - _STALL_WINDOW, a], history[it, a]
    return torch.as_tensor(before - now <= ftol * np.abs(now), device=active.device)


def _forward(X, W1, b1, W2, b2):
    h = torch.tanh(torch.baddbmm(b1[:, None, :], X.expand(W1.shape[0], *X.shape), W1))  # (B, N, M)
    return h, torch.baddbmm(b2[:, None, :], h, W2)  # (B, N, k)


def mlp_mse(X: torch.Tensor, Y: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each network of a stack of tanh networks (no derivatives).

    Parameters
    ----------
    X, Y, W1, b1, W2, b2 : torch.Tensor
        As in :func:`mlp_loss_grad_hessian`.

    Returns
    -------
    torch.Tensor, shape (n_models,)
        :math:`\\frac{1}{Nk}\\sum_{n,j} (f_j(x_n) - y_{nj})^2` per network.
    """
    _check_weights(X, Y, W1, b1, W2, b2)
    return _mse(X, Y, W1, b1, W2, b2)


def _mse(X, Y, W1, b1, W2, b2):
    """:func:`mlp_mse` without the checks (the refiners' loops call it every iteration)."""
    return ((_forward(X, W1, b1, W2, b2)[1] - Y) ** 2).mean(dim=(1, 2))


def mlp_loss_grad_hessian(X: torch.Tensor, Y: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean squared error, its gradient and its exact Hessian for a stack of tanh networks.

    The parameters of network ``i`` are flattened as
    ``torch.cat([W1[i].ravel(), b1[i], W2[i].ravel(), b2[i]])``, so
    :math:`P = (d+1)M + (M+1)k`. The formulas are in the module docstring.

    Parameters
    ----------
    X : torch.Tensor, shape (n_samples, d)
    Y : torch.Tensor, shape (n_samples, k)
    W1 : torch.Tensor, shape (n_models, d, M)
    b1 : torch.Tensor, shape (n_models, M)
    W2 : torch.Tensor, shape (n_models, M, k)
    b2 : torch.Tensor, shape (n_models, k)

    Returns
    -------
    loss : torch.Tensor, shape (n_models,)
    grad : torch.Tensor, shape (n_models, P)
    hessian : torch.Tensor, shape (n_models, P, P)
    """
    _check_weights(X, Y, W1, b1, W2, b2)
    return _loss_grad_hessian(X, Y, W1, b1, W2, b2)


def _loss_grad_hessian(X, Y, W1, b1, W2, b2):
    """:func:`mlp_loss_grad_hessian` without the checks (called every Newton iteration)."""
    (N, d), k = X.shape, Y.shape[1]
    B, M = W1.shape[0], W1.shape[2]
    c = 2.0 / (N * k)
    Xt = torch.cat([X, X.new_ones(N, 1)], dim=1)  # (N, d+1)
    h, out = _forward(X, W1, b1, W2, b2)
    Ht = torch.cat([h, h.new_ones(B, N, 1)], dim=2)  # (B, N, M+1)
    s = 1.0 - h * h  # tanh'
    R = out - Y  # (B, N, k)
    RW = R @ W2.transpose(1, 2)  # (B, N, M): sum_j r_nj W2_mj
    nU, nV = (d + 1) * M, (M + 1) * k

    loss = (R * R).mean(dim=(1, 2))
    grad_U = Xt.T @ (s * RW)  # (B, d+1, M)
    grad_V = Ht.transpose(1, 2) @ R  # (B, M+1, k)
    grad = c * torch.cat([grad_U.reshape(B, nU), grad_V.reshape(B, nV)], dim=1)

    # J^T J.  Q[n, (a, m)] = xt_na s_nm is the U-Jacobian without its W2 factor.
    Q = (Xt[None, :, :, None] * s[:, :, None, :]).reshape(B, N, nU)
    G = W2 @ W2.transpose(1, 2)  # (B, M, M)
    UU = (Q.transpose(1, 2) @ Q).reshape(B, d + 1, M, d + 1, M) * G[:, None, :, None, :]
    UV = ((Q.transpose(1, 2) @ Ht).reshape(B, d + 1, M, M + 1, 1) * W2[:, None, :, None, :])  # (B, d+1, M, M+1, k)
    VV = torch.kron(Ht.transpose(1, 2) @ Ht, torch.eye(k, dtype=X.dtype, device=X.device))  # (B, nV, nV)

    # S: the residual-weighted second derivatives, block-diagonal in the hidden unit.
    e = -2.0 * h * s * RW  # (B, N, M)
    m = torch.arange(M, device=X.device)
    UU[:, :, m, :, m] += torch.einsum("na,bnm,nc->mbac", Xt, e, Xt)
    UV[:, :, m, m, :] += (Q.transpose(1, 2) @ R).view(B, d + 1, M, k)  # sum_n xt_na s_nm r_nj, one batched product

    hess = torch.empty(B, nU + nV, nU + nV, dtype=X.dtype, device=X.device)
    hess[:, :nU, :nU] = UU.reshape(B, nU, nU)
    hess[:, :nU, nU:] = UV.reshape(B, nU, nV)
    hess[:, nU:, :nU] = UV.reshape(B, nU, nV).transpose(1, 2)
    hess[:, nU:, nU:] = VV
    return loss, grad, c * hess


def _split(theta, d, M, k):
    B = theta.shape[0]
    sizes = (d * M, M, M * k, k)
    W1, b1, W2, b2 = torch.split(theta, sizes, dim=1)
    return W1.reshape(B, d, M), b1, W2.reshape(B, M, k), b2


def newton_refine(X: torch.Tensor, Y: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor, *, max_iter: int = 200, gtol: float = 1e-10, mu0: float = 1e-3, eigenvalue: bool = True, ftol: float = 0.0, device: str | torch.device = "cpu") -> NewtonResult:
    """Damped Newton iterations from given weights until the gradient vanishes.

    All networks of the stack have the same width and are refined
    independently (batched); a network leaves the batch once its gradient
    norm is at most ``gtol``. Computations are in the dtype of ``X``; use
    float64 (float32 cannot resolve gradients much below 1e-6).

    Parameters
    ----------
    X : torch.Tensor, shape (n_samples, d)
    Y : torch.Tensor, shape (n_samples, k)
    W1, b1, W2, b2 : torch.Tensor
        Starting weights, shapes as in :func:`mlp_loss_grad_hessian`
        (converted to the dtype of ``X``).
    max_iter : int, default 200
        Largest number of Newton iterations per network.
    gtol : float, default 1e-10
        Stop once the Euclidean norm of the gradient is at most this.
    mu0 : float, default 1e-3
        Initial damping :math:`\\mu`.
    eigenvalue : bool, default True
        Compute the smallest eigenvalue of the final Hessian (a full
        symmetric eigendecomposition, the costliest single step for large
        :math:`P`); ``nan`` if False.
    ftol : float, default 0
        Also stop a network, as *stalled* (not converged), once its loss
        fell by less than this fraction over the last 10 iterations. A
        network whose loss has no minimiser at finite weights (the infimum
        is approached as weights grow without bound) never meets ``gtol``;
        its loss, and the function it computes, still settle. 0 disables
        the test.
    device : str or torch.device, default "cpu"

    Returns
    -------
    NewtonResult

    Raises
    ------
    TypeError
        If an array is not a floating-point :class:`torch.Tensor`, ``Y``
        has not ``X``'s dtype, or ``max_iter`` is not an integer.
    ValueError
        On inconsistent shapes, NaN or inf in ``X``, ``Y`` or the weights,
        or a non-positive (or non-finite) ``max_iter``, ``gtol`` or ``mu0``.

    Notes
    -----
    Every loop is bounded: at most ``max_iter`` iterations, and within one
    iteration at most 40 tenfold increases of :math:`\\mu` to make
    :math:`H + \\mu I` positive definite (from :math:`\\mu \\ge 10^{-15}`
    that passes :math:`10^{25}`, beyond the spectral radius of any finite
    Hessian here). A network whose matrix is still not positive definite
    stops there, unconverged.

    The kernels are small (factorisations of a few hundred unknowns), and
    torch runs them on the caller's intra-op threads. On two idle cores two
    threads were 1.2-1.5x faster than one (stacks of 3 to 6 networks of
    width 16 to 60, measured);
    on a machine busy with other work, one thread
    (``torch.set_num_threads(1)``) wastes far less CPU time in threads
    waiting for each other.
    """
    max_iter, gtol, mu0, ftol, device = _check_options(max_iter, gtol, mu0, ftol, device)
    eigenvalue = _checks.check_bool(eigenvalue, "eigenvalue")
    _check_weights(X, Y, W1, b1, W2, b2, finite=True, cast=True)
    X, Y = X.to(device), Y.to(device)
    (N, d), k, M = X.shape, Y.shape[1], W1.shape[2]
    theta = torch.cat([t.to(device=device, dtype=X.dtype).reshape(W1.shape[0], -1) for t in (W1, b1, W2, b2)], dim=1)
    B, P = theta.shape
    mu = torch.full((B,), float(mu0), dtype=X.dtype, device=device)
    n_iter = np.full(B, int(max_iter))
    max_iter = int(max_iter)
    history = np.full((max_iter + 1, B), np.nan)
    stalled = np.zeros(B, dtype=bool)
    active = torch.arange(B, device=device)
    for it in range(max_iter + 1):
        loss, grad, hess = _loss_grad_hessian(X, Y, *_split(theta[active], d, M, k))
        history[it, active.cpu().numpy()] = loss.cpu().numpy()
        stall = _stalled(history, it, active, ftol)
        stalled[active[stall].cpu().numpy()] = True
        done = (torch.linalg.vector_norm(grad, dim=1) <= gtol) | stall
        n_iter[active[done].cpu().numpy()] = it
        keep = ~done
        active, loss, grad, hess = active[keep], loss[keep], grad[keep], hess[keep]
        if it == max_iter or len(active) == 0:
            break
        m = mu[active]
        diag = hess.diagonal(dim1=1, dim2=2)
        diag += m[:, None]
        chol, info = torch.linalg.cholesky_ex(hess)
        for _ in range(_MAX_DAMPING_RAISES):  # not positive definite: more damping (bounded: see below)
            bad = torch.nonzero(info > 0).flatten()
            if len(bad) == 0:
                break
            bump = torch.where(info > 0, 9.0 * m, torch.zeros_like(m))
            diag += bump[:, None]
            m = m + bump
            chol[bad], info[bad] = torch.linalg.cholesky_ex(hess[bad])  # refactorise only the networks that failed
        # A finite Hessian plus mu I is positive definite once mu exceeds its spectral radius, long before the bound;
        # a network still failing has a non-finite Hessian (overflow): it stops here, unconverged, at its last weights.
        failed = info > 0
        if bool(failed.any()):
            n_iter[active[failed].cpu().numpy()] = it
            keep = ~failed
            active, loss, grad, hess, chol, m = active[keep], loss[keep], grad[keep], hess[keep], chol[keep], m[keep]
            if len(active) == 0:
                break
        step = -torch.cholesky_solve(grad[..., None], chol)[..., 0]
        # Decrease predicted by the quadratic model, -g.p - p.H.p/2; with (H + mu I) p = -g this is (-g.p + mu |p|^2) / 2 > 0.
        predicted = 0.5 * (-(grad * step).sum(1) + m * (step * step).sum(1))
        trial = theta[active] + step
        new_loss = _mse(X, Y, *_split(trial, d, M, k))
        rho = (loss - new_loss) / predicted
        accept = (new_loss < loss) & torch.isfinite(new_loss)
        theta[active] = torch.where(accept[:, None], trial, theta[active])
        m = torch.where(rho > 0.75, m / 3.0, torch.where(rho < 0.25, 4.0 * m, m))
        mu[active] = m.clamp(1e-15, 1e10)

    loss, grad, hess = _loss_grad_hessian(X, Y, *_split(theta, d, M, k))
    grad_norm = torch.linalg.vector_norm(grad, dim=1)
    min_eig = torch.linalg.eigvalsh(hess)[:, 0].cpu().numpy() if eigenvalue else np.full(B, np.nan)
    return NewtonResult(
        weights=_split(theta, d, M, k),
        loss=loss.cpu().numpy(),
        grad_norm=grad_norm.cpu().numpy(),
        min_eigenvalue=min_eig,
        n_iter=n_iter,
        converged=(grad_norm <= gtol).cpu().numpy(),
        loss_history=history,
        stalled=stalled & (grad_norm > gtol).cpu().numpy(),
    )


def _grad_norm_and_ntk(X, Y, W1, b1, W2, b2, want_kernel):
    """Loss, residuals, gradient norm and (optionally) the Gram matrix K = J J^T of a stack, shapes (B,), (B, N, k), (B,), (B, Nk, Nk)."""
    (N, d), k, B = X.shape, Y.shape[1], W1.shape[0]
    Xt = torch.cat([X, X.new_ones(N, 1)], dim=1)  # (N, d+1)
    h, out = _forward(X, W1, b1, W2, b2)
    s = 1.0 - h * h
    R = out - Y  # (B, N, k)
    c = 2.0 / (N * k)
    grad_U = Xt.T @ (s * (R @ W2.transpose(1, 2)))  # (B, d+1, M)
    grad_V = torch.cat([h, h.new_ones(B, N, 1)], dim=2).transpose(1, 2) @ R  # (B, M+1, k)
    grad_norm = c * torch.sqrt((grad_U**2).sum(dim=(1, 2)) + (grad_V**2).sum(dim=(1, 2)))
    loss = (R * R).mean(dim=(1, 2))
    if not want_kernel:
        return loss, R, grad_norm, None
    T = (s[:, :, None, :] * W2.transpose(1, 2)[:, None, :, :]).reshape(B, N * k, -1)  # (B, Nk, M): s_nm W2_mj
    K = (T @ T.transpose(1, 2)).view(B, N, k, N, k) * (Xt @ Xt.T)[None, :, None, :, None]
    HH = h @ h.transpose(1, 2) + 1.0  # (B, N, N): h~_n . h~_n'
    K.diagonal(dim1=2, dim2=4).add_(HH[..., None])  # delta_jj' term
    return loss, R, grad_norm, K.view(B, N * k, N * k)


def gauss_newton_refine(X: torch.Tensor, Y: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor, *, max_iter: int = 100, gtol: float = 1e-10, mu0: float = 1e-3, ftol: float = 0.0, device: str | torch.device = "cpu") -> NewtonResult:
    """Levenberg–Marquardt steps in the dual form, for networks that can interpolate, until the gradient vanishes.

    Each iteration solves :math:`(K + \\mu I)\\,\\alpha = r` with the
    :math:`Nk \\times Nk` Gram matrix :math:`K = JJ^\\top` and steps by
    :math:`p = -J^\\top \\alpha` (module docstring). A step is kept only if it
    lowers the loss; :math:`\\mu` shrinks when the linearised model predicted
    the decrease well and grows when it did not, as in
    :func:`newton_refine`. Meant for :math:`P \\ge Nk`, where a minimum of
    zero loss exists and the convergence is quadratic; with fewer parameters
    :math:`K` is singular and the method degrades to a damped first-order
    one. The networks of the stack may have different widths, zero-padded
    to a common one (padded units stay exactly zero).

    Parameters
    ----------
    X : torch.Tensor, shape (n_samples, d)
    Y : torch.Tensor, shape (n_samples, k)
    W1, b1, W2, b2 : torch.Tensor
        Starting weights, shapes as in :func:`mlp_loss_grad_hessian`
        (converted to the dtype of ``X``; use float64).
    max_iter : int, default 100
        Largest number of iterations per network.
    gtol : float, default 1e-10
        Stop once the Euclidean norm of the gradient of the mean squared
        error is at most this.
    mu0 : float, default 1e-3
        Initial damping :math:`\\mu`, relative to the mean diagonal entry
        of :math:`K` at the starting weights (so it does not depend on the
        scale of the network).
    ftol : float, default 0
        As in :func:`newton_refine`.
    device : str or torch.device, default "cpu"

    Returns
    -------
    NewtonResult
        ``min_eigenvalue`` is ``nan`` (at an interpolating solution the
        Hessian is :math:`c\\,J^\\top J`, positive semi-definite by
        construction).

    Raises
    ------
    TypeError
        If an array is not a floating-point :class:`torch.Tensor`, ``Y``
        has not ``X``'s dtype, or ``max_iter`` is not an integer.
    ValueError
        On inconsistent shapes, NaN or inf in ``X``, ``Y`` or the weights,
        or a non-positive (or non-finite) ``max_iter``, ``gtol`` or ``mu0``.

    Notes
    -----
    Every loop is bounded as in :func:`newton_refine`.
    """
    max_iter, gtol, mu0, ftol, device = _check_options(max_iter, gtol, mu0, ftol, device)
    _check_weights(X, Y, W1, b1, W2, b2, finite=True, cast=True)
    max_iter = int(max_iter)
    stalled = np.zeros(W1.shape[0], dtype=bool)
    X, Y = X.to(device), Y.to(device)
    W = [t.to(device=device, dtype=X.dtype).clone() for t in (W1, b1, W2, b2)]
    (N, d), k, B = X.shape, Y.shape[1], W[0].shape[0]
    Xt = torch.cat([X, X.new_ones(N, 1)], dim=1)
    mu = torch.full((B,), np.nan, dtype=X.dtype, device=device)  # set from K at the first iteration
    n_iter = np.full(B, max_iter)
    history = np.full((max_iter + 1, B), np.nan)
    active = torch.arange(B, device=device)
    eye = torch.eye(N * k, dtype=X.dtype, device=device)
    for it in range(max_iter + 1):
        w = [t[active] for t in W]
        loss, R, grad_norm, K = _grad_norm_and_ntk(X, Y, *w, want_kernel=it < max_iter)
        history[it, active.cpu().numpy()] = loss.cpu().numpy()
        stall = _stalled(history, it, active, ftol)
        stalled[active[stall].cpu().numpy()] = True
        done = (grad_norm <= gtol) | stall
        n_iter[active[done].cpu().numpy()] = it
        if it == max_iter or bool(done.all()):
            break
        keep = ~done
        active, loss, R, K, w = active[keep], loss[keep], R[keep], K[keep], [t[keep] for t in w]
        if it == 0:  # mu0 is relative to the scale of K
            mu[active] = float(mu0) * K.diagonal(dim1=1, dim2=2).mean(dim=1)
        m = mu[active]
        A = K + m[:, None, None] * eye
        chol, info = torch.linalg.cholesky_ex(A)
        for _ in range(_MAX_DAMPING_RAISES):  # K is positive semi-definite, so this only guards against rounding
            if not bool((info > 0).any()):
                break
            bump = torch.where(info > 0, 9.0 * m, torch.zeros_like(m))
            A.diagonal(dim1=1, dim2=2).add_(bump[:, None])
            m = m + bump
            chol, info = torch.linalg.cholesky_ex(A)
        failed = info > 0  # only with a non-finite K (overflow): stop those networks, unconverged
        if bool(failed.any()):
            n_iter[active[failed].cpu().numpy()] = it
            keep = ~failed
            active, loss, R, K, chol, m, w = active[keep], loss[keep], R[keep], K[keep], chol[keep], m[keep], [t[keep] for t in w]
            if len(active) == 0:
                break
        b = len(active)
        r = R.reshape(b, N * k, 1)
        alpha = torch.cholesky_solve(r, chol)  # (b, Nk, 1)
        # The linearised residual after the step, r + J p = r - K alpha, gives the predicted loss.
        predicted = ((r - K @ alpha) ** 2).mean(dim=(1, 2))
        a = alpha.view(b, N, k)
        W1a, b1a, W2a, b2a = w
        h = torch.tanh(torch.baddbmm(b1a[:, None, :], X.expand(b, N, d), W1a))
        dU = Xt.T @ ((1.0 - h * h) * (a @ W2a.transpose(1, 2)))  # (b, d+1, M): J_U^T alpha
        dV = torch.cat([h, h.new_ones(b, N, 1)], dim=2).transpose(1, 2) @ a  # (b, M+1, k): J_V^T alpha
        trial = [W1a - dU[:, :d], b1a - dU[:, d], W2a - dV[:, :-1], b2a - dV[:, -1]]
        new_loss = _mse(X, Y, *trial)
        rho = (loss - new_loss) / (loss - predicted)
        accept = (new_loss < loss) & torch.isfinite(new_loss)
        for t, old, new in zip(W, w, trial):
            t[active] = torch.where(accept.view(-1, *[1] * (new.ndim - 1)), new, old)
        m = torch.where(rho > 0.75, m / 3.0, torch.where(rho < 0.25, 4.0 * m, m))
        mu[active] = m.clamp(1e-15, 1e10)

    loss, _, grad_norm, _ = _grad_norm_and_ntk(X, Y, *W, want_kernel=False)
    return NewtonResult(
        weights=tuple(W),
        loss=loss.cpu().numpy(),
        grad_norm=grad_norm.cpu().numpy(),
        min_eigenvalue=np.full(B, np.nan),
        n_iter=n_iter,
        converged=(grad_norm <= gtol).cpu().numpy(),
        loss_history=history,
        stalled=stalled & (grad_norm > gtol).cpu().numpy(),
    )
