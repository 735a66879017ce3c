r"""The scalar deep linear network :math:`f(x) = w_2 w_1 x` learning the zero function.

With target :math:`f^*(x) = 0`, squared error :math:`\ell(y, t) = \tfrac12 (y-t)^2`
and inputs with :math:`\mathbb E[X] = 0`, :math:`\mathbb E[X^2] = 1`, the
population loss is

.. math::

   L(w_1, w_2) = \mathbb E\big[\tfrac12 (w_2 w_1 X)^2\big] = \tfrac12 (w_1 w_2)^2 .

This module gives the loss, its gradient and Hessian in closed form, and
gradient descent with per-layer learning rates :math:`(\alpha_1, \alpha_2)`,

.. math::

   w_1 \leftarrow w_1 - \alpha_1 w_1 w_2^2, \qquad
   w_2 \leftarrow w_2 - \alpha_2 w_1^2 w_2,

vectorised with numpy broadcasting: every argument may be an array, so a whole
grid of learning rates (and of initialisations) runs in one loop over steps.

Divergent runs are handled deliberately: a run whose loss exceeds
``max_loss`` (or stops being finite) is frozen and reported as ``+inf`` from
that step on, and floating-point warnings are silenced only inside the update.

Examples
--------
>>> import numpy as np
>>> a1, a2 = np.meshgrid(np.linspace(0.1, 1.0, 3), np.linspace(0.1, 1.0, 3))
>>> losses = gd_losses(1.0, 1.0, a1, a2, steps=[10, 100])
>>> losses.shape
(2, 3, 3)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = [
    "population_loss",
    "gradient",
    "hessian",
    "gd_step",
    "gd_losses",
    "gd_trajectory",
    "GDTrajectory",
    "flow_invariant",
]


def _as_float_array(value, name: str) -> np.ndarray:
    """Return ``value`` as a float64 array or raise a ``TypeError`` naming it."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number or array of reals, got bool")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a real number or array of reals, got {type(value).__name__}") from err
    return arr


def _as_float_arrays(**values) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """Convert each named value with :func:`_as_float_array` and check that they broadcast.

    Returns the arrays, in the order given, and their broadcast shape; a
    ``ValueError`` names the arguments whose shapes do not fit.
    """
    arrays = [_as_float_array(value, name) for name, value in values.items()]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(f"{name} {a.shape}" for name, a in zip(values, arrays))
        raise ValueError(f"arguments must broadcast against each other, got shapes {shapes}") from None
    return arrays, shape


def _check_rates(alpha1: np.ndarray, alpha2: np.ndarray) -> None:
    if np.any(~np.isfinite(alpha1)) or np.any(alpha1 < 0):
        raise ValueError("alpha1 must be finite and non-negative")
    if np.any(~np.isfinite(alpha2)) or np.any(alpha2 < 0):
        raise ValueError("alpha2 must be finite and non-negative")


def population_loss(w1, w2) -> np.ndarray:
    r"""Population loss :math:`L(w_1, w_2) = \tfrac12 (w_1 w_2)^2`.

    Parameters
    ----------
    w1, w2 : float or array_like
        Weights of the first and second layer; broadcast against each other.

    Returns
    -------
    numpy.ndarray
        The loss, shape ``np.broadcast(w1, w2).shape``.
    """
    (w1, w2), _ = _as_float_arrays(w1=w1, w2=w2)
    return 0.5 * (w1 * w2) ** 2


def gradient(w1, w2) -> tuple[np.ndarray, np.ndarray]:
    r"""Gradient :math:`\nabla L = (w_1 w_2^2,\; w_1^2 w_2)`.

    Parameters
    ----------
    w1, w2 : float or array_like
        Weights; broadcast against each other.

    Returns
    -------
    dL_dw1, dL_dw2 : numpy.ndarray
        The two partial derivatives, each of the broadcast shape.
    """
    (w1, w2), _ = _as_float_arrays(w1=w1, w2=w2)
    return w1 * w2**2, w1**2 * w2


def hessian(w1, w2) -> np.ndarray:
    r"""Hessian of the population loss.

    .. math::

       \nabla^2 L = \begin{pmatrix} w_2^2 & 2 w_1 w_2 \\ 2 w_1 w_2 & w_1^2 \end{pmatrix}.

    Parameters
    ----------
    w1, w2 : float or array_like
        Weights; broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Shape ``(*broadcast_shape, 2, 2)``.
    """
    (w1, w2), _ = _as_float_arrays(w1=w1, w2=w2)
    w1, w2 = np.broadcast_arrays(w1, w2)
    out = np.empty(w1.shape + (2, 2))
    out[..., 0, 0] = w2**2
    out[..., 0, 1] = out[..., 1, 0] = 2.0 * w1 * w2
    out[..., 1, 1] = w1**2
    return out


def gd_step(w1, w2, alpha1, alpha2) -> tuple[np.ndarray, np.ndarray]:
    r"""One gradient-descent step with per-layer learning rates.

    .. math::

       w_1' = w_1 - \alpha_1 w_1 w_2^2 = w_1 (1 - \alpha_1 w_2^2), \qquad
       w_2' = w_2 - \alpha_2 w_1^2 w_2 = w_2 (1 - \alpha_2 w_1^2).

    Both updates use the *old* weights (a simultaneous update).

    Parameters
    ----------
    w1, w2 : float or array_like
        Current weights.
    alpha1, alpha2 : float or array_like
        Learning rates of the two layers, non-negative. All four arguments
        broadcast against each other.

    Returns
    -------
    w1_new, w2_new : numpy.ndarray
        Updated weights of the broadcast shape. Overflow is not caught here;
        use :func:`gd_losses` for runs that may diverge.
    """
    (w1, w2, alpha1, alpha2), _ = _as_float_arrays(w1=w1, w2=w2, alpha1=alpha1, alpha2=alpha2)
    _check_rates(alpha1, alpha2)
    return w1 * (1.0 - alpha1 * w2**2), w2 * (1.0 - alpha2 * w1**2)


# Divergence is tested every few steps (and at every recorded step): a run
# past the threshold overflows to inf/nan within a few more steps at most and
# stays there, so testing less often changes no result but saves time.
_CHECK_EVERY = 4


def _check_steps(steps) -> np.ndarray:
    if isinstance(steps, numbers.Integral) and not isinstance(steps, bool):
        steps = [steps]
    try:
        arr = np.asarray(list(steps))
    except TypeError as err:
        raise TypeError("steps must be an int or a sequence of ints") from err
    if arr.size == 0 or arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError("steps must be a non-empty sequence of ints")
    if np.any(arr < 0):
        raise ValueError(f"steps must be non-negative, got {arr.tolist()}")
    return arr.astype(np.int64)


def gd_losses(w1_0, w2_0, alpha1, alpha2, steps: Sequence[int] | int, max_loss: float = 1e100) -> np.ndarray:
    r"""Population loss after each requested number of GD steps, for whole grids at once.

    All of ``w1_0, w2_0, alpha1, alpha2`` broadcast against each other, so a
    grid of learning rates (from :func:`numpy.meshgrid`) and a stack of
    initialisations (an extra leading axis) run together.

    Parameters
    ----------
    w1_0, w2_0 : float or array_like
        Initial weights :math:`w_1(0), w_2(0)`.
    alpha1, alpha2 : float or array_like
        Per-layer learning rates, non-negative.
    steps : int or sequence of int
        Step counts :math:`k` at which to record :math:`L(w_1(k), w_2(k))`;
        ``0`` records the initial loss. Need not be sorted.
    max_loss : float, default 1e100
        Divergence threshold. Once a run's loss exceeds it (or is no longer
        finite; tested every few steps and at every recorded step), the run
        is stopped and reported as ``+inf`` at every later
        recorded step. The default lies far below float64 overflow, so no
        ``nan`` reaches the result.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(steps), *broadcast_shape)``; entry ``[i, ...]`` is the
        loss after ``steps[i]`` steps, ``+inf`` for diverged runs.

    Raises
    ------
    ValueError
        If a learning rate is negative or not finite, a step count is
        negative, or ``max_loss`` is not positive.
    TypeError
        If ``steps`` is not an int or a sequence of ints.
    """
    steps_arr = _check_steps(steps)
    if not (isinstance(max_loss, numbers.Real) and max_loss > 0):
        raise ValueError(f"max_loss must be a positive number, got {max_loss!r}")
    (w1, w2, alpha1, alpha2), shape = _as_float_arrays(w1_0=w1_0, w2_0=w2_0, alpha1=alpha1, alpha2=alpha2)
    _check_rates(alpha1, alpha2)
    w1 = np.broadcast_to(w1, shape).copy()
    w2 = np.broadcast_to(w2, shape).copy()

    out = np.empty((len(steps_arr),) + shape)
    diverged = np.zeros(shape, dtype=bool)
    # Which output rows to fill at each step count.
    wanted: dict[int, list[int]] = {}
    for i, k in enumerate(steps_arr):
        wanted.setdefault(int(k), []).append(i)
    # |w1 w2| above this means loss above max_loss; cheaper than the loss.
    threshold = np.sqrt(2.0 * float(max_loss))
    a1 = np.broadcast_to(alpha1, shape)
    a2 = np.broadcast_to(alpha2, shape)
    t1 = np.empty(shape)
    t2 = np.empty(shape)

    ok = np.empty(shape, dtype=bool)

    def check() -> None:
        # ok <=> |w1 w2| <= threshold; false for inf and nan as well.
        np.multiply(w1, w2, out=t1)
        np.abs(t1, out=t1)
        np.less_equal(t1, threshold, out=ok)
        if not ok.all():
            # A diverged run is parked at (0, 0), a fixed point that can never
            # overflow, and is reported as +inf from now on.
            diverged[~ok] = True
            w1[diverged] = 0.0
            w2[diverged] = 0.0

    def record(k: int) -> None:
        for i in wanted.get(k, ()):
            out[i] = np.where(diverged, np.inf, 0.5 * (w1 * w2) ** 2)

    check()
    record(0)
    for k in range(1, int(steps_arr.max()) + 1):
        # In-place form of w1 <- w1 (1 - alpha1 w2^2), w2 <- w2 (1 - alpha2 w1^2),
        # both from the old weights. Overflow inside a divergent run is
        # expected: it turns the run into inf/nan, which check() catches.
        with np.errstate(over="ignore", invalid="ignore"):
            np.multiply(w2, w2, out=t1)
            t1 *= a1
            np.subtract(1.0, t1, out=t1)
            np.multiply(w1, w1, out=t2)
            t2 *= a2
            np.subtract(1.0, t2, out=t2)
            w1 *= t1
            w2 *= t2
            if k % _CHECK_EVERY == 0 or k in wanted:
                check()
        record(k)
    return out


@dataclass(frozen=True)
class GDTrajectory:
    """Weights and loss of gradient-descent runs at every step.

    Attributes
    ----------
    w1, w2 : numpy.ndarray
        Shape ``(n_steps + 1, *broadcast_shape)``; row ``k`` holds the weights
        after ``k`` steps (row 0 the initialisation). ``nan`` after divergence.
    loss : numpy.ndarray
        Same shape; ``+inf`` after divergence.
    """

    w1: np.ndarray
    w2: np.ndarray
    loss: np.ndarray


def gd_trajectory(w1_0, w2_0, alpha1, alpha2, n_steps: int, max_loss: float = 1e100) -> GDTrajectory:
    """Full trajectories of GD with per-layer learning rates.

    Parameters
    ----------
    w1_0, w2_0 : float or array_like
        Initial weights.
    alpha1, alpha2 : float or array_like
        Per-layer learning rates, non-negative; all four broadcast together.
    n_steps : int
        Number of steps, non-negative.
    max_loss : float, default 1e100
        Divergence threshold as in :func:`gd_losses`.

    Returns
    -------
    GDTrajectory
        Weights and losses at steps ``0, 1, ..., n_steps``.

    Raises
    ------
    ValueError
        On negative or non-finite learning rates or a negative ``n_steps``.
    """
    if not isinstance(n_steps, numbers.Integral) or isinstance(n_steps, bool):
        raise TypeError(f"n_steps must be an int, got {type(n_steps).__name__}")
    if n_steps < 0:
        raise ValueError(f"n_steps must be non-negative, got {n_steps}")
    (w1, w2, alpha1, alpha2), shape = _as_float_arrays(w1_0=w1_0, w2_0=w2_0, alpha1=alpha1, alpha2=alpha2)
    _check_rates(alpha1, alpha2)
    W1 = np.empty((n_steps + 1,) + shape)
    W2 = np.empty_like(W1)
    W1[0], W2[0] = np.broadcast_to(w1, shape), np.broadcast_to(w2, shape)
    diverged = np.zeros(shape, dtype=bool)
    for k in range(n_steps):
        with np.errstate(over="ignore", invalid="ignore"):
            w1_new = W1[k] * (1.0 - alpha1 * W2[k] ** 2)
            w2_new = W2[k] * (1.0 - alpha2 * W1[k] ** 2)
            loss = 0.5 * (w1_new * w2_new) ** 2
        diverged |= ~(loss <= max_loss)
        W1[k + 1] = np.where(diverged, np.nan, w1_new)
        W2[k + 1] = np.where(diverged, np.nan, w2_new)
    loss = 0.5 * (W1 * W2) ** 2
    loss[np.isnan(loss)] = np.inf
    return GDTrajectory(w1=W1, w2=W2, loss=loss)


def flow_invariant(w1, w2, alpha1, alpha2) -> np.ndarray:
    r"""The quantity gradient *flow* conserves: :math:`C = w_1^2/\alpha_1 - w_2^2/\alpha_2`.

    Under :math:`\dot w_i = -\alpha_i \partial L/\partial w_i` one has
    :math:`\tfrac{d}{dt}(w_1^2/\alpha_1) = -2 w_1^2 w_2^2 = \tfrac{d}{dt}(w_2^2/\alpha_2)`,
    so :math:`C` is constant along the flow. One GD step changes it by
    :math:`w_1^2 w_2^2 (\alpha_1 w_2^2 - \alpha_2 w_1^2)`.

    Parameters
    ----------
    w1, w2 : float or array_like
        Weights.
    alpha1, alpha2 : float or array_like
        Learning rates, positive. All four broadcast together.

    Returns
    -------
    numpy.ndarray
        :math:`C`, of the broadcast shape.
    """
    (w1, w2, alpha1, alpha2), _ = _as_float_arrays(w1=w1, w2=w2, alpha1=alpha1, alpha2=alpha2)
    if np.any(~(alpha1 > 0)) or np.any(~(alpha2 > 0)):
        raise ValueError("alpha1 and alpha2 must be positive for the flow invariant")
    return w1**2 / alpha1 - w2**2 / alpha2
