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

Divergent runs are handled deliberately, by one rule shared by
:func:`gd_losses` and :func:`gd_trajectory`: a run *diverges at step* :math:`j`
if :math:`j \ge 0` is the first step whose loss, computed in float64 as
``0.5 * (w1 * w2) ** 2``, is not ``<= max_loss`` (so also when it overflows or
is ``nan``). The loss is tested at every step, the initial one included, and
the run is reported as diverged (loss ``+inf``) from step :math:`j` on, even if
its loss later falls back below ``max_loss``. So the value reported at a step
never depends on which other steps were asked for. Floating-point warnings
are silenced only inside the update.

Examples
--------
>>> import numpy as np
>>> a1, a2 = np.meshgrid(np.linspace(0.1, 1.0, 3), np.linspace(0.1, 1.0, 3))
>>> losses = gd_losses(1.0, 1.0, a1, a2, steps=[10, 100])
>>> losses.shape
(2, 3, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nntheory import _checks

__all__ = [
    "population_loss",
    "gradient",
    "hessian",
    "gd_step",
    "gd_losses",
    "gd_trajectory",
    "GDTrajectory",
    "flow_invariant",
    "gd_invariant",
    "predicted_landing",
]


def _as_float_array(value, name: str, finite: bool = True) -> np.ndarray:
    """Return ``value`` as a non-empty float64 array (finite unless ``finite=False``) or raise naming it."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number or array of reals, got bool")
    return _checks.check_array(value, name, dtype=np.float64, finite=finite)


def _as_float_arrays(*, weights_finite: bool = True, **values) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """Convert each named value with :func:`_as_float_array` and check that they broadcast.

    Learning rates (names starting with ``alpha``) must be finite; weights
    too, unless ``weights_finite=False``: the closed forms are elementwise and
    map the NaN of a diverged run (as :func:`gd_trajectory` returns it) to NaN.
    Returns the arrays, in the order given, and their broadcast shape; a
    ``ValueError`` names the arguments whose shapes do not fit.
    """
    arrays = [_as_float_array(value, name, finite=weights_finite or name.startswith("alpha")) for name, value in values.items()]
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
    (w1, w2), _ = _as_float_arrays(w1=w1, w2=w2, weights_finite=False)
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
    (w1, w2), _ = _as_float_arrays(w1=w1, w2=w2, weights_finite=False)
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
    (w1, w2), _ = _as_float_arrays(w1=w1, w2=w2, weights_finite=False)
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
    (w1, w2, alpha1, alpha2), _ = _as_float_arrays(w1=w1, w2=w2, alpha1=alpha1, alpha2=alpha2, weights_finite=False)
    _check_rates(alpha1, alpha2)
    return w1 * (1.0 - alpha1 * w2**2), w2 * (1.0 - alpha2 * w1**2)


_FLOAT_MAX = float(np.finfo(np.float64).max)


# Runs per block in gd_losses (a block holds between _BLOCK and 2 * _BLOCK runs).
_BLOCK = 1 << 15


def _half_square(x: float) -> float:
    """``0.5 * (x * x)`` in float64: the loss for a product ``x = w1 * w2``."""
    return 0.5 * (x * x)


def _product_bound(max_loss) -> float:
    r"""The largest float64 ``b`` with ``0.5 * (b * b) <= max_loss``.

    Rounding is monotone, so ``0.5 * (x * x)`` is non-decreasing in
    :math:`|x|`; hence for every float64 ``x`` (``inf`` and ``nan`` included)

        ``0.5 * (x * x) <= max_loss``  if and only if  ``abs(x) <= b``,

    and testing :math:`|w_1 w_2| \le b` tests the loss *exactly* as computed,
    with one multiplication, one absolute value and one comparison.
    ``max_loss`` above the largest float is capped to it, so an overflowed
    loss always counts as divergence.
    """
    m = min(_checks.check_real(max_loss, "max_loss", low=0, low_open=True, finite=False), _FLOAT_MAX)
    # Bisection on the bit patterns of non-negative floats, which are ordered
    # like the floats: at most 63 halvings, whatever max_loss (a walk by ulps
    # from sqrt(2 max_loss) could take ~10**15 steps for huge or subnormal ones).
    lo = 0  # bits of 0.0: 0.5 * 0 ** 2 <= m always
    hi = int(np.float64(np.inf).view(np.int64))  # 0.5 * inf ** 2 > m always
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _half_square(float(np.int64(mid).view(np.float64))) <= m:
            lo = mid
        else:
            hi = mid
    return float(np.int64(lo).view(np.float64))


def _within(w1: np.ndarray, w2: np.ndarray, bound: float) -> np.ndarray:
    """``0.5 * (w1 * w2) ** 2 <= max_loss`` elementwise, for ``bound = _product_bound(max_loss)``."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.abs(w1 * w2) <= bound


def _check_steps(steps) -> np.ndarray:
    if isinstance(steps, (int, np.integer)) and not isinstance(steps, (bool, np.bool_)):
        return np.array([_checks.check_int(steps, "steps", low=0)], dtype=np.int64)
    return np.array(_checks.check_int_sequence(steps, "steps", low=0), dtype=np.int64)


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
        Divergence threshold, the same rule as :func:`gd_trajectory`: a run
        diverges at the first step :math:`j \ge 0` (the initial loss
        included) whose loss ``0.5 * (w1 * w2) ** 2`` is not
        ``<= max_loss``; the loss is tested at every step. The default lies
        far below float64 overflow.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(steps), *broadcast_shape)``; entry ``[i, ...]`` is the
        loss after ``steps[i]`` steps, or ``+inf`` if the run diverged at a
        step :math:`j \le` ``steps[i]``, even if its loss has come back
        below ``max_loss`` since. An entry does not depend on which other
        steps are requested, and no ``nan`` reaches the result.

    Raises
    ------
    ValueError
        If a weight or learning rate is not finite (or empty), a learning
        rate is negative, a step count is negative, or ``max_loss`` is not
        positive.
    TypeError
        If ``steps`` is not an int or a sequence of ints (``2.5`` is
        refused, not truncated).
    """
    steps_arr = _check_steps(steps)
    bound = _product_bound(max_loss)
    (w1_0, w2_0, alpha1, alpha2), shape = _as_float_arrays(w1_0=w1_0, w2_0=w2_0, alpha1=alpha1, alpha2=alpha2)
    _check_rates(alpha1, alpha2)
    # Every run is independent, so the runs are processed as one flat array,
    # in blocks of 2**15 to 2**16 runs: a block's few arrays stay in the CPU's
    # cache for all the steps (for 3.5 * 10**5 runs this took 1.8x less CPU
    # time than whole-array steps; grids below 2**16 runs are one block).
    w1_all, w2_all, a1_all, a2_all = (np.broadcast_to(v, shape).reshape(-1).copy() for v in (w1_0, w2_0, alpha1, alpha2))
    n_runs = w1_all.size
    n_blocks = max(1, n_runs // _BLOCK)
    block = max(1, -(-n_runs // n_blocks))
    out = np.empty((len(steps_arr), n_runs))
    # Which output rows to fill at each step count.
    wanted: dict[int, list[int]] = {}
    for i, k in enumerate(steps_arr):
        wanted.setdefault(int(k), []).append(i)
    k_max = int(steps_arr.max())
    t1_all, t2_all, ok_now_all = np.empty(block), np.empty(block), np.empty(block, dtype=bool)

    # Overflow inside a divergent run is expected: the run turns into inf or
    # nan, which fails the test; such runs are masked by `ok` in the result.
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, n_runs, block):
            stop = min(start + block, n_runs)
            w1, w2 = w1_all[start:stop], w2_all[start:stop]  # views: updated in place
            a1, a2 = a1_all[start:stop], a2_all[start:stop]
            t1, t2, ok_now = t1_all[: stop - start], t2_all[: stop - start], ok_now_all[: stop - start]
            ok = _within(w1, w2, bound)  # not diverged at any step so far
            for i in wanted.get(0, ()):
                out[i, start:stop] = np.where(ok, 0.5 * (w1 * w2) ** 2, np.inf)
            for k in range(1, k_max + 1):
                # In-place form of w1 <- w1 (1 - alpha1 w2^2), w2 <- w2 (1 - alpha2 w1^2),
                # both from the old weights.
                np.multiply(w2, w2, out=t1)
                t1 *= a1
                np.subtract(1.0, t1, out=t1)
                np.multiply(w1, w1, out=t2)
                t2 *= a2
                np.subtract(1.0, t2, out=t2)
                w1 *= t1
                w2 *= t2
                # The divergence test at every step: _within(w1, w2, bound) in place.
                np.multiply(w1, w2, out=t1)
                np.abs(t1, out=t1)
                np.less_equal(t1, bound, out=ok_now)
                ok &= ok_now
                for i in wanted.get(k, ()):
                    out[i, start:stop] = np.where(ok, 0.5 * (w1 * w2) ** 2, np.inf)
    return out.reshape((len(steps_arr),) + shape)


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
    r"""Full trajectories of GD with per-layer learning rates.

    Parameters
    ----------
    w1_0, w2_0 : float or array_like
        Initial weights.
    alpha1, alpha2 : float or array_like
        Per-layer learning rates, non-negative; all four broadcast together.
    n_steps : int
        Number of steps, non-negative.
    max_loss : float, default 1e100
        Divergence threshold, the same rule as :func:`gd_losses`: a run
        diverges at the first step :math:`j \ge 0` (the initial loss
        included) whose loss ``0.5 * (w1 * w2) ** 2`` is not
        ``<= max_loss``.

    Returns
    -------
    GDTrajectory
        Weights and losses at steps ``0, 1, ..., n_steps``; from the step at
        which a run diverges on, its weights are ``nan`` and its loss
        ``+inf``. Where both are finite, ``loss[k]`` equals
        ``gd_losses(..., steps=[k], max_loss=max_loss)`` exactly.

    Raises
    ------
    ValueError
        On non-finite weights, negative or non-finite learning rates, a
        negative ``n_steps`` or a ``max_loss`` that is not positive.
    TypeError
        If ``n_steps`` is not an int.
    """
    n_steps = _checks.check_int(n_steps, "n_steps", low=0)
    bound = _product_bound(max_loss)
    (w1, w2, alpha1, alpha2), shape = _as_float_arrays(w1_0=w1_0, w2_0=w2_0, alpha1=alpha1, alpha2=alpha2)
    _check_rates(alpha1, alpha2)
    W1 = np.empty((n_steps + 1,) + shape)
    W2 = np.empty_like(W1)
    w1, w2 = np.broadcast_to(w1, shape), np.broadcast_to(w2, shape)
    ok = _within(w1, w2, bound)
    W1[0], W2[0] = np.where(ok, w1, np.nan), np.where(ok, w2, np.nan)
    for k in range(n_steps):
        # The same operations, in the same order, as gd_losses: bitwise equal results.
        with np.errstate(over="ignore", invalid="ignore"):
            w1_new = W1[k] * (1.0 - W2[k] * W2[k] * alpha1)
            w2_new = W2[k] * (1.0 - W1[k] * W1[k] * alpha2)
        ok &= _within(w1_new, w2_new, bound)
        W1[k + 1] = np.where(ok, w1_new, np.nan)
        W2[k + 1] = np.where(ok, w2_new, np.nan)
    with np.errstate(invalid="ignore"):
        loss = 0.5 * (W1 * W2) ** 2
    loss[np.isnan(loss)] = np.inf
    return GDTrajectory(w1=W1, w2=W2, loss=loss)


def flow_invariant(w1, w2, alpha1, alpha2) -> np.ndarray:
    r"""The quantity gradient *flow* conserves: :math:`C = w_1^2/\alpha_1 - w_2^2/\alpha_2`.

    Under :math:`\dot w_i = -\alpha_i \partial L/\partial w_i` one has
    :math:`\tfrac{d}{dt}(w_1^2/\alpha_1) = -2 w_1^2 w_2^2 = \tfrac{d}{dt}(w_2^2/\alpha_2)`,
    so :math:`C` is constant along the flow. One GD step changes it by
    :math:`w_1^2 w_2^2 (\alpha_1 w_2^2 - \alpha_2 w_1^2) = -2\alpha_1\alpha_2 L\, C`,
    that is, GD multiplies it by :math:`1 - 2\alpha_1\alpha_2 L` exactly.

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
    (w1, w2, alpha1, alpha2), _ = _as_float_arrays(w1=w1, w2=w2, alpha1=alpha1, alpha2=alpha2, weights_finite=False)
    if np.any(~(alpha1 > 0)) or np.any(~(alpha2 > 0)):
        raise ValueError("alpha1 and alpha2 must be positive for the flow invariant")
    return w1**2 / alpha1 - w2**2 / alpha2


def gd_invariant(w1, w2, alpha1, alpha2) -> np.ndarray:
    r"""The quantity GD conserves to third order: :math:`Q = C\,(s - 4)`.

    Here :math:`C = w_1^2/\alpha_1 - w_2^2/\alpha_2` is the flow invariant
    (:func:`flow_invariant`) and :math:`s = \alpha_1 w_2^2 + \alpha_2 w_1^2`.
    With :math:`p = 2\alpha_1\alpha_2 L = \alpha_1\alpha_2 w_1^2 w_2^2`, one
    GD step maps :math:`C \mapsto C(1 - p)` and
    :math:`s - 4 \mapsto (s - 4)(1 + p)`, so it maps
    :math:`Q \mapsto Q\,(1 - p^2)` exactly. Since :math:`p` is of second
    order in the rates, a run of order :math:`1/\alpha` steps changes
    :math:`Q` by a relative :math:`O(\alpha^3)`, against :math:`O(\alpha)`
    for :math:`C`.

    Parameters
    ----------
    w1, w2 : float or array_like
        Weights.
    alpha1, alpha2 : float or array_like
        Learning rates, positive. All four broadcast together.

    Returns
    -------
    numpy.ndarray
        :math:`Q`, of the broadcast shape.
    """
    (w1, w2, alpha1, alpha2), _ = _as_float_arrays(w1=w1, w2=w2, alpha1=alpha1, alpha2=alpha2, weights_finite=False)
    s = alpha1 * w2**2 + alpha2 * w1**2
    return flow_invariant(w1, w2, alpha1, alpha2) * (s - 4.0)


_LANDING_METHODS = ("flow", "first-order", "gd-invariant")


def predicted_landing(w1_0, w2_0, alpha1, alpha2, method: str = "gd-invariant") -> tuple[np.ndarray, np.ndarray]:
    r"""Predicted landing point of GD from :math:`(w_1(0), w_2(0))`, as squared weights.

    The run lands on the axis :math:`w_2 = 0` if :math:`C(0) > 0` and on
    :math:`w_1 = 0` if :math:`C(0) < 0` (:math:`C` as in :func:`flow_invariant`);
    the sharpness of the landing point is the one non-zero squared weight.

    ``"flow"``
        :math:`C` conserved, the gradient-flow landing point:
        :math:`w_1(\infty)^2 = \alpha_1 C(0)` (or
        :math:`w_2(\infty)^2 = -\alpha_2 C(0)`). Error of first order in the rates.
    ``"first-order"``
        The flow point times :math:`1 - \alpha_1 w_2(0)^2/2` (or
        :math:`1 - \alpha_2 w_1(0)^2/2`). Error of second order.
    ``"gd-invariant"``
        :math:`Q` of :func:`gd_invariant` conserved. At :math:`(a, 0)`,
        :math:`Q = (a^2/\alpha_1)(\alpha_2 a^2 - 4)`; the root that tends to
        the flow point is
        :math:`a^2 = 2\alpha_1 |Q(0)| / \big(4 + \sqrt{16 - 4\alpha_1\alpha_2 |Q(0)|}\big)`
        (:math:`\alpha_1 \leftrightarrow \alpha_2` on the other axis). Error of
        third order. Needs :math:`s(0) < 4`, where GD converges.

    The orders hold for small rates, when no step has
    :math:`2\alpha_1\alpha_2 L \ge 1` (which would flip the sign of :math:`C`);
    :math:`s(0) < 2` guarantees that.

    Parameters
    ----------
    w1_0, w2_0 : float or array_like
        Initial weights.
    alpha1, alpha2 : float or array_like
        Learning rates, positive. All four broadcast together.
    method : {"gd-invariant", "first-order", "flow"}
        Which quantity is taken as conserved (see above).

    Returns
    -------
    w1_sq, w2_sq : numpy.ndarray
        Predicted :math:`w_1(\infty)^2` and :math:`w_2(\infty)^2`, of the
        broadcast shape; at each entry at least one of them is 0.

    Raises
    ------
    ValueError
        For an unknown ``method``, rates that are not positive, or (method
        ``"gd-invariant"``) a start with :math:`s(0) \ge 4`.
    """
    _checks.check_choice(method, "method", _LANDING_METHODS)
    (w1, w2, alpha1, alpha2), _ = _as_float_arrays(w1_0=w1_0, w2_0=w2_0, alpha1=alpha1, alpha2=alpha2)
    C = flow_invariant(w1, w2, alpha1, alpha2)  # checks the rates
    on_w2_axis = C > 0  # lands on w2 = 0, with w1^2 > 0
    if method == "flow":
        sq1, sq2 = alpha1 * C, -alpha2 * C
    elif method == "first-order":
        sq1, sq2 = alpha1 * C * (1 - alpha1 * w2**2 / 2), -alpha2 * C * (1 - alpha2 * w1**2 / 2)
    else:
        s0 = alpha1 * w2**2 + alpha2 * w1**2
        if np.any(~(s0 < 4)):
            raise ValueError("method 'gd-invariant' needs s(0) = alpha1 * w2_0**2 + alpha2 * w1_0**2 < 4")
        q = np.abs(C) * (4 - s0)  # |Q(0)|
        # alpha1 alpha2 |Q| = |u - t| (4 - s) <= s (4 - s) <= 4: the root is real.
        denom = 4 + np.sqrt(np.maximum(16 - 4 * alpha1 * alpha2 * q, 0.0))
        sq1, sq2 = 2 * alpha1 * q / denom, 2 * alpha2 * q / denom
    zero = np.zeros_like(C)
    return np.where(on_w2_axis, sq1, zero), np.where(C < 0, sq2, zero)
