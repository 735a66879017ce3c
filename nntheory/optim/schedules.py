"""Learning-rate schedules: pure functions of the number of updates taken.

They follow :mod:`torch.optim.lr_scheduler` (``StepLR``, ``LinearLR`` +
``CosineAnnealingLR``), which is their test oracle.
"""

from __future__ import annotations

import math
from typing import Callable

from nntheory import _checks

__all__ = ["Schedule", "constant", "step_decay", "warmup_cosine"]

Schedule = Callable[[int], float]


def _check_nonneg(value, name: str) -> float:
    """A finite real number >= 0 (numpy scalars accepted), as a Python float."""
    return _checks.check_real(value, name, low=0)


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
    lr = _check_nonneg(lr, "lr")
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
    lr = _check_nonneg(lr, "lr")
    gamma = _check_nonneg(gamma, "gamma")
    step_size = _checks.check_int(step_size, "step_size", low=1)
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
    lr = _check_nonneg(lr, "lr")
    eta_min = _check_nonneg(eta_min, "eta_min")
    warmup_steps = _checks.check_int(warmup_steps, "warmup_steps", low=0)
    total_steps = _checks.check_int(total_steps, "total_steps", low=warmup_steps + 1)  # > warmup_steps
    start_factor = _checks.check_real(start_factor, "start_factor", low=0, high=1)
    if eta_min > lr:
        raise ValueError(f"eta_min must be <= lr, got {eta_min} > {lr}")
    span = total_steps - warmup_steps

    def schedule(count: int) -> float:
        if count < warmup_steps:
            return lr * (start_factor + (1.0 - start_factor) * count / warmup_steps)
        k = min(count - warmup_steps, span)
        return eta_min + 0.5 * (lr - eta_min) * (1.0 + math.cos(math.pi * k / span))

    return schedule
