r"""Implicit regularisation of (stochastic) gradient descent (Smith et al., 2021).

Gradient descent :math:`\theta_{k+1} = \theta_k - \varepsilon \nabla L(\theta_k)`
with a finite step :math:`\varepsilon` does not follow the gradient flow
:math:`\dot\theta = -\nabla L` of its loss. By backward error analysis it
follows, to second order in :math:`\varepsilon`, the flow of the *modified
loss*

.. math::

   \tilde L(\theta) = L(\theta) + \frac{\varepsilon}{4} \|\nabla L(\theta)\|^2 ,
   \qquad \nabla\tilde L = \nabla L + \frac{\varepsilon}{2} H \nabla L .

For minibatch SGD with :math:`m = N/B` minibatches per epoch, sampled
without replacement, the modified loss averaged over the random partitions
gains a second term (:func:`sgd_regularizer`):

.. math::

   \E\,\tilde L_{\text{SGD}} = L + \frac{\varepsilon}{4}\|\nabla L\|^2
   + \frac{\varepsilon}{4}\,\frac{N - B}{B(N-1)}\,
     \frac1N \sum_{i=1}^N \|\nabla \ell_i - \nabla L\|^2 .

This module provides the modified loss, a gradient-descent trajectory, and a
finely integrated (RK4) gradient flow to compare them.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from nntheory import _checks

__all__ = ["modified_loss", "gd_trajectory", "gradient_flow", "sgd_regularizer"]


def _as_theta(theta, loss_fn, name: str = "theta") -> torch.Tensor:
    """A finite flat parameter vector at which ``loss_fn`` returns a finite scalar."""
    _checks.check_callable(loss_fn, "loss_fn")
    theta = _checks.check_tensor(theta, name, ndim=1)
    value = _checks.call_on_trial(loss_fn, theta.detach(), what=f"loss_fn({name}) for {name} of shape {tuple(theta.shape)} and dtype {theta.dtype}")
    _checks.check_scalar_output(value, f"loss_fn({name})")
    return theta


def modified_loss(loss_fn: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor, lr: float) -> torch.Tensor:
    """:math:`L(\\theta) + \\frac{\\varepsilon}{4}\\|\\nabla L(\\theta)\\|^2`, differentiable in ``theta``.

    Parameters
    ----------
    loss_fn : callable ``theta -> scalar tensor``
        The loss :math:`L`.
    theta : torch.Tensor, shape (n_params,)
        Must have ``requires_grad=True`` if the result is to be
        differentiated (its gradient is :math:`\\nabla L + \\frac{\\varepsilon}{2} H\\nabla L`).
    lr : float
        The step size :math:`\\varepsilon`.

    Returns
    -------
    torch.Tensor, shape ()
    """
    theta = _as_theta(theta, loss_fn)
    lr = _checks.check_real(lr, "lr", low=0)
    if not theta.requires_grad:
        theta = theta.detach().requires_grad_()
    loss = loss_fn(theta)
    (grad,) = torch.autograd.grad(loss, theta, create_graph=True)
    return loss + 0.25 * lr * (grad**2).sum()


def _gradient(loss_fn, theta: torch.Tensor) -> torch.Tensor:
    theta = theta.detach().requires_grad_()
    (grad,) = torch.autograd.grad(loss_fn(theta), theta)
    return grad


def gd_trajectory(loss_fn: Callable[[torch.Tensor], torch.Tensor], theta0: torch.Tensor, lr: float, n_steps: int) -> torch.Tensor:
    """Iterates of full-batch gradient descent :math:`\\theta_{k+1} = \\theta_k - \\varepsilon\\nabla L(\\theta_k)`.

    Parameters
    ----------
    loss_fn : callable ``theta -> scalar tensor``
    theta0 : torch.Tensor, shape (n_params,)
    lr : float
        Step size :math:`\\varepsilon`.
    n_steps : int

    Returns
    -------
    torch.Tensor, shape (n_steps + 1, n_params)
        :math:`\\theta_0, \\dots, \\theta_{n}`.
    """
    theta = _as_theta(theta0, loss_fn, "theta0").detach().clone()
    lr = _checks.check_real(lr, "lr", low=0)
    n_steps = _checks.check_int(n_steps, "n_steps", low=0)
    path = [theta]
    for _ in range(n_steps):
        theta = theta - lr * _gradient(loss_fn, theta)
        path.append(theta)
    return torch.stack(path)


def gradient_flow(loss_fn: Callable[[torch.Tensor], torch.Tensor], theta0: torch.Tensor, times: np.ndarray, *, n_substeps: int = 20) -> torch.Tensor:
    """Solution of :math:`\\dot\\theta = -\\nabla L(\\theta)` by classical RK4.

    Parameters
    ----------
    loss_fn : callable ``theta -> scalar tensor``
        Pass ``lambda t: modified_loss(L, t, lr)`` to follow the modified flow.
    theta0 : torch.Tensor, shape (n_params,)
    times : array_like, shape (n_times,)
        Increasing times, starting at 0, at which to report the solution.
    n_substeps : int, default 20
        RK4 steps between consecutive reported times (the global error is
        :math:`O(h^4)` in the substep :math:`h`).

    Returns
    -------
    torch.Tensor, shape (n_times, n_params)
    """
    theta = _as_theta(theta0, loss_fn, "theta0").detach().clone()
    times = _checks.check_array(times, "times", ndim=1, dtype=np.float64)
    if times[0] != 0 or np.any(np.diff(times) <= 0):
        raise ValueError("times must be a 1-D increasing array starting at 0")
    n_substeps = _checks.check_int(n_substeps, "n_substeps", low=1)

    def velocity(t):
        return -_gradient(loss_fn, t)

    out = [theta]
    for dt in np.diff(times):
        h = float(dt) / n_substeps
        for _ in range(n_substeps):
            k1 = velocity(theta)
            k2 = velocity(theta + 0.5 * h * k1)
            k3 = velocity(theta + 0.5 * h * k2)
            k4 = velocity(theta + h * k3)
            theta = theta + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(theta)
    return torch.stack(out)


def sgd_regularizer(per_example_grads: np.ndarray, batch_size: int) -> tuple[float, float]:
    """The two implicit-regulariser terms of minibatch SGD, divided by :math:`\\varepsilon/4`.

    With per-example gradients :math:`g_i = \\nabla\\ell_i` and
    :math:`\\nabla L = \\bar g`, the expected mean squared minibatch gradient
    over random partitions into batches of size :math:`B` (without
    replacement) is :math:`\\|\\bar g\\|^2 + \\frac{N-B}{B(N-1)}\\,\\frac1N\\sum_i\\|g_i-\\bar g\\|^2`.

    Parameters
    ----------
    per_example_grads : numpy.ndarray, shape (n_samples, n_params)
    batch_size : int
        :math:`B`, a divisor of ``n_samples``.

    Returns
    -------
    full_batch : float
        :math:`\\|\\nabla L\\|^2` (the GD term).
    minibatch : float
        :math:`\\frac{N-B}{B(N-1)}\\,\\frac1N\\sum_i\\|g_i-\\bar g\\|^2` (the extra SGD term;
        zero for :math:`B = N`).
    """
    g = _checks.check_array(per_example_grads, "per_example_grads", ndim=2, dtype=np.float64)
    n = g.shape[0]
    batch_size = _checks.check_int(batch_size, "batch_size", low=1)
    if n % batch_size:
        raise ValueError(f"batch_size must be a positive divisor of n_samples={n}, got {batch_size!r}")
    mean = g.mean(axis=0)
    spread = ((g - mean) ** 2).sum(axis=1).mean()
    factor = (n - batch_size) / (batch_size * (n - 1)) if n > 1 else 0.0
    return float((mean**2).sum()), float(factor * spread)
