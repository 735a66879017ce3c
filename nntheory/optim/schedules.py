"""Learning-rate schedules: pure functions of the number of updates taken.

They follow :mod:`torch.optim.lr_scheduler` (``StepLR``, ``LinearLR`` +
``CosineAnnealingLR``), which is their test oracle.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable

__all__ = ["Schedule", "constant", "step_decay", "warmup_cosine"]

Schedule = Callable[[int], float]


def _check_nonneg(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not value >= 0.0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def constant(lr: float) -> Schedule:
    """A constant learning rate.

    Parameters
    ----------
    lr : float
        The learning rate, ``>= 0``.

    Returns
    -------
    callable
        ``schedule(count) -> lr``.
    """
    _check_nonneg(lr, "lr")
    return lambda count: lr


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` updates.

    :math:`\eta_k = \eta\,\gamma^{\lfloor k/s \rfloor}`, as
    ``torch.optim.lr_scheduler.StepLR``.

    Parameters
    ----------
    lr : float
        Initial learning rate, ``>= 0``.
    step_size : int
        Number of updates between decays, ``>= 1``.
    gamma : float, default 0.1
        Decay factor, ``>= 0``.

    Returns
    -------
    callable
        ``schedule(count) -> float``.
    """
    _check_nonneg(lr, "lr")
    _check_nonneg(gamma, "gamma")
    if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral) or step_size < 1:
        raise ValueError(f"step_size must be a positive integer, got {step_size!r}")
    return lambda count: lr * gamma ** (count // step_size)


def warmup_cosine(lr: float, warmup_steps: int, total_steps: int, start_factor: float = 0.0, eta_min: float = 0.0) -> Schedule:
    r"""Linear warm-up followed by cosine annealing.

    For :math:`k < W` (``warmup_steps``) the rate rises linearly,
    :math:`\eta_k = \eta\,(f + (1-f)\,k/W)` with :math:`f` = ``start_factor``;
    afterwards it follows half a cosine from :math:`\eta` down to
    :math:`\eta_{\min}` over the remaining :math:`T - W` updates,

    .. math::

       \eta_k = \eta_{\min} + \tfrac12(\eta - \eta_{\min})
       \Bigl(1 + \cos\frac{\pi (k - W)}{T - W}\Bigr),

    and stays at :math:`\eta_{\min}` after :math:`T`. This is torch's
    ``SequentialLR([LinearLR, CosineAnnealingLR], milestones=[W])``.

    Parameters
    ----------
    lr : float
        Peak learning rate :math:`\eta \ge 0`.
    warmup_steps : int
        :math:`W \ge 0`.
    total_steps : int
        :math:`T > W`.
    start_factor : float, default 0
        Fraction of ``lr`` at step 0, in [0, 1].
    eta_min : float, default 0
        Final learning rate, ``0 <= eta_min <= lr``.

    Returns
    -------
    callable
        ``schedule(count) -> float``.
    """
    _check_nonneg(lr, "lr")
    _check_nonneg(eta_min, "eta_min")
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, numbers.Integral) or warmup_steps < 0:
        raise ValueError(f"warmup_steps must be a non-negative integer, got {warmup_steps!r}")
    if isinstance(total_steps, bool) or not isinstance(total_steps, numbers.Integral) or total_steps <= warmup_steps:
        raise ValueError(f"total_steps must be an integer > warmup_steps, got {total_steps!r}")
    if not 0.0 <= start_factor <= 1.0:
        raise ValueError(f"start_factor must be in [0, 1], got {start_factor}")
    if eta_min > lr:
        raise ValueError(f"eta_min must be <= lr, got {eta_min} > {lr}")
    span = total_steps - warmup_steps

    def schedule(count: int) -> float:
        if count < warmup_steps:
            return lr * (start_factor + (1.0 - start_factor) * count / warmup_steps)
        k = min(count - warmup_steps, span)
        return eta_min + 0.5 * (lr - eta_min) * (1.0 + math.cos(math.pi * k / span))

    return schedule
