"""Pure optimiser update rules: (params, grads, state) -> (new params, new state).

See :mod:`nntheory.optim` for the conventions (those of :mod:`torch.optim`).
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, NamedTuple

import numpy as np
import torch

from nntheory import _checks
from nntheory.optim.schedules import Schedule, _check_nonneg, constant

__all__ = ["UpdateRule", "SGDState", "RMSPropState", "AdamState", "sgd", "rmsprop", "adam", "adamw"]


class UpdateRule(NamedTuple):
    """An optimiser as two pure functions (optax style).

    Attributes
    ----------
    init : callable
        ``init(params) -> state``: the initial optimiser state.
    update : callable
        ``update(params, grads, state) -> (new_params, new_state)``.
    name : str
        A short human-readable description with the hyperparameters.
    """

    init: Callable[[Any], Any]
    update: Callable[[Any, Any, Any], tuple[Any, Any]]
    name: str


class SGDState(NamedTuple):
    """State of :func:`sgd`.

    Attributes
    ----------
    count : int
        Number of updates taken so far.
    momentum : list of arrays
        Heavy-ball buffers :math:`b`, one per parameter array (zeros at start).
    """

    count: int
    momentum: list


class RMSPropState(NamedTuple):
    """State of :func:`rmsprop`.

    Attributes
    ----------
    count : int
        Number of updates taken so far.
    square_avg : list of arrays
        Running average :math:`v` of the squared gradients.
    """

    count: int
    square_avg: list


class AdamState(NamedTuple):
    """State of :func:`adam` and :func:`adamw`.

    Attributes
    ----------
    count : int
        Number of updates taken so far (:math:`t-1` during update :math:`t`).
    m : list of arrays
        First-moment estimates (running average of gradients).
    v : list of arrays
        Second-moment estimates (running average of squared gradients).
    """

    count: int
    m: list
    v: list


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _is_array(x) -> bool:
    return isinstance(x, (torch.Tensor, np.ndarray)) or isinstance(x, numbers.Real)


def _flatten(tree, name: str) -> tuple[list, bool]:
    """Return ``(list_of_arrays, was_single)``; raise if the structure is unsupported."""
    if _is_array(tree):
        return [tree], True
    if isinstance(tree, (list, tuple)) and all(_is_array(t) for t in tree):
        if not tree:
            raise ValueError(f"{name} must not be empty")
        return list(tree), False
    raise TypeError(f"{name} must be an array or a list/tuple of arrays, got {type(tree).__name__}")


def _unflatten(leaves: list, single: bool, like):
    if single:
        return leaves[0]
    return tuple(leaves) if isinstance(like, tuple) else list(leaves)


def _zeros_like(x):
    if isinstance(x, torch.Tensor):
        return torch.zeros_like(x)
    return np.zeros_like(np.asarray(x, dtype=float))


def _sqrt(x):
    if isinstance(x, torch.Tensor):
        return torch.sqrt(x)
    return np.sqrt(x)


def _check_unit(value, name: str) -> float:
    """A decay rate: a real number in [0, 1)."""
    return _checks.check_real(value, name, low=0, high=1, high_open=True)


def _check_eps(value) -> float:
    return _checks.check_real(value, "eps", low=0, low_open=True)


def _as_schedule(lr: float | Schedule) -> Schedule:
    """Turn a number into a constant schedule; check a number is a valid lr, and a schedule's first rate."""
    if callable(lr):
        rate = _checks.call_on_trial(lr, 0, what="lr(0)")
        if isinstance(rate, (np.ndarray, torch.Tensor)) and rate.ndim > 0:
            raise ValueError(f"lr(0) must return a number (the learning rate at step 0), got shape {tuple(rate.shape)}")
        _checks.check_real(rate, "lr(0)", low=0)  # a schedule must return a finite rate >= 0
        return lr
    return constant(_check_nonneg(lr, "lr"))


def _kind(x) -> str:
    return "a torch tensor" if isinstance(x, torch.Tensor) else "a numpy array"


def _pair(params, grads, state, n_buffers: str):
    """Leaves of ``params`` and ``grads``, checked against each other and ``state`` (shapes only: cheap per step).

    A gradient must have its parameter's shape and kind (numpy or torch): a (3,)
    gradient would broadcast onto a (3, 1) parameter into (3, 3). Every buffer
    list of ``state`` must hold one array per parameter, of its shape (a
    state built for fewer arrays would silently drop a parameter).
    Values are not scanned: NaN propagates, as in ``torch.optim``.
    """
    p_leaves, single = _flatten(params, "params")
    g_leaves, _ = _flatten(grads, "grads")
    if len(p_leaves) != len(g_leaves):
        raise ValueError(f"grads has {len(g_leaves)} arrays but params has {len(p_leaves)}")
    shapes = [getattr(p, "shape", ()) for p in p_leaves]  # a Python number is a 0-d parameter
    for i, (p, g, shape) in enumerate(zip(p_leaves, g_leaves, shapes)):
        if getattr(g, "shape", ()) != shape:
            raise ValueError(f"grads[{i}] has shape {tuple(np.shape(g))} but params[{i}] has shape {tuple(shape)}")
        if isinstance(p, torch.Tensor) != isinstance(g, torch.Tensor):
            raise TypeError(f"grads[{i}] is {_kind(g)} but params[{i}] is {_kind(p)}: pass both as numpy arrays or both as torch tensors")
    buffers = getattr(state, n_buffers, None)
    if not (isinstance(state, tuple) and isinstance(buffers, list)):
        raise TypeError(f"state must be the rule's state, built by rule.init(params), got {type(state).__name__}")
    for field in state._fields:
        buffers = getattr(state, field)
        if not isinstance(buffers, list):
            continue
        if len(buffers) != len(p_leaves):
            raise ValueError(f"state.{field} holds {len(buffers)} arrays but params has {len(p_leaves)}: build the state with rule.init(params)")
        for i, (b, shape) in enumerate(zip(buffers, shapes)):
            if getattr(b, "shape", ()) != shape:
                raise ValueError(f"state.{field}[{i}] has shape {tuple(np.shape(b))} but params[{i}] has shape {tuple(shape)}: build the state with rule.init(params)")
    return p_leaves, g_leaves, single


# ---------------------------------------------------------------------------


# The update rules: the math, one parameter array at a time
# ---------------------------------------------------------------------------


def sgd(lr: float | Schedule, momentum: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> UpdateRule:
    r"""Stochastic gradient descent, optionally with heavy-ball momentum.

    With :math:`g_t = \nabla_\theta L + \lambda\theta_{t-1}` (``weight_decay``
    :math:`\lambda`), the update in torch's convention is

    .. math::

       b_t = \mu b_{t-1} + g_t,\qquad \theta_t = \theta_{t-1} - \eta_t b_t,

    with :math:`b_0 = 0` (so :math:`b_1 = g_1`). With ``nesterov=True`` the
    step uses :math:`g_t + \mu b_t` instead of :math:`b_t`.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta \ge 0`, or a schedule ``lr(count)``.
    momentum : float, default 0
        Momentum :math:`\mu \in [0, 1)`.
    weight_decay : float, default 0
        L2 coefficient :math:`\lambda \ge 0` added to the gradient.
    nesterov : bool, default False
        Nesterov's variant of momentum.

    Returns
    -------
    UpdateRule
        With state :class:`SGDState`.

    Raises
    ------
    ValueError
        If ``lr`` or ``weight_decay`` is negative or ``momentum`` is not in
        [0, 1).
    """
    schedule = _as_schedule(lr)
    momentum = _check_unit(momentum, "momentum")
    weight_decay = _check_nonneg(weight_decay, "weight_decay")
    nesterov = _checks.check_bool(nesterov, "nesterov")
    if nesterov and momentum == 0.0:
        raise ValueError("nesterov=True needs momentum > 0")

    def init(params) -> SGDState:
        leaves, _ = _flatten(params, "params")
        return SGDState(0, [_zeros_like(p) for p in leaves])

    def update(params, grads, state: SGDState):
        p_leaves, g_leaves, single = _pair(params, grads, state, "momentum")
        eta = schedule(state.count)
        new_p, new_b = [], []
        for p, g, b in zip(p_leaves, g_leaves, state.momentum):
            g = g + weight_decay * p
            b = momentum * b + g
            direction = g + momentum * b if nesterov else b
            new_p.append(p - eta * direction)
            new_b.append(b)
        return _unflatten(new_p, single, params), SGDState(state.count + 1, new_b)

    name = f"SGD(lr={lr if not callable(lr) else 'schedule'}, momentum={momentum}, weight_decay={weight_decay})"
    return UpdateRule(init, update, name)


def rmsprop(lr: float | Schedule, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0) -> UpdateRule:
    r"""RMSProp in torch's convention (:math:`\epsilon` outside the square root).

    .. math::

       v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\qquad
       \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{v_t} + \epsilon},

    elementwise, with :math:`v_0 = 0` and :math:`g_t = \nabla_\theta L +
    \lambda\theta_{t-1}`. (The CSC413 sheet writes :math:`\beta_2` for
    :math:`\alpha` and puts :math:`\epsilon` inside the root; for
    :math:`\epsilon \ll g^2` the two agree.)

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta \ge 0`, or a schedule ``lr(count)``.
    alpha : float, default 0.99
        Decay rate of the squared-gradient average, in [0, 1).
    eps : float, default 1e-8
        :math:`\epsilon > 0` added to :math:`\sqrt{v_t}`.
    weight_decay : float, default 0
        L2 coefficient :math:`\lambda \ge 0` added to the gradient.

    Returns
    -------
    UpdateRule
        With state :class:`RMSPropState`.

    Raises
    ------
    ValueError
        For a negative ``lr`` or ``weight_decay``, ``alpha`` outside [0, 1)
        or ``eps <= 0``.
    """
    schedule = _as_schedule(lr)
    alpha = _check_unit(alpha, "alpha")
    eps = _check_eps(eps)
    weight_decay = _check_nonneg(weight_decay, "weight_decay")

    def init(params) -> RMSPropState:
        leaves, _ = _flatten(params, "params")
        return RMSPropState(0, [_zeros_like(p) for p in leaves])

    def update(params, grads, state: RMSPropState):
        p_leaves, g_leaves, single = _pair(params, grads, state, "square_avg")
        eta = schedule(state.count)
        new_p, new_v = [], []
        for p, g, v in zip(p_leaves, g_leaves, state.square_avg):
            g = g + weight_decay * p
            v = alpha * v + (1.0 - alpha) * g * g
            new_p.append(p - eta * g / (_sqrt(v) + eps))
            new_v.append(v)
        return _unflatten(new_p, single, params), RMSPropState(state.count + 1, new_v)

    name = f"RMSProp(lr={lr if not callable(lr) else 'schedule'}, alpha={alpha}, eps={eps}, weight_decay={weight_decay})"
    return UpdateRule(init, update, name)


def _adam_rule(lr, betas, eps, weight_decay, decoupled: bool, bias_correction: bool, label: str) -> UpdateRule:
    """Adam (L2 in the gradient) or AdamW (decoupled decay); see :func:`adam`."""
    schedule = _as_schedule(lr)
    beta1, beta2 = _checks.check_sequence(betas, "betas", length=2)  # a pair (beta1, beta2)
    beta1 = _check_unit(beta1, "betas[0]")
    beta2 = _check_unit(beta2, "betas[1]")
    eps = _check_eps(eps)
    weight_decay = _check_nonneg(weight_decay, "weight_decay")
    bias_correction = _checks.check_bool(bias_correction, "bias_correction")

    def init(params) -> AdamState:
        leaves, _ = _flatten(params, "params")
        return AdamState(0, [_zeros_like(p) for p in leaves], [_zeros_like(p) for p in leaves])

    def update(params, grads, state: AdamState):
        p_leaves, g_leaves, single = _pair(params, grads, state, "v")
        eta = schedule(state.count)
        t = state.count + 1
        # Bias corrections 1 - beta^t undo the zero initialisation of m and v.
        c1 = 1.0 - beta1**t if bias_correction else 1.0
        c2 = 1.0 - beta2**t if bias_correction else 1.0
        new_p, new_m, new_v = [], [], []
        for p, g, m, v in zip(p_leaves, g_leaves, state.m, state.v):
            if decoupled:
                p = p - eta * weight_decay * p  # AdamW: decay the weights, not the gradient
            else:
                g = g + weight_decay * p  # Adam + L2: the penalty's gradient joins g
            m = beta1 * m + (1.0 - beta1) * g
            v = beta2 * v + (1.0 - beta2) * g * g
            m_hat, v_hat = m / c1, v / c2
            new_p.append(p - eta * m_hat / (_sqrt(v_hat) + eps))
            new_m.append(m)
            new_v.append(v)
        return _unflatten(new_p, single, params), AdamState(t, new_m, new_v)

    lr_txt = lr if not callable(lr) else "schedule"
    bc = "" if bias_correction else ", bias_correction=False"
    return UpdateRule(init, update, f"{label}(lr={lr_txt}, betas=({beta1}, {beta2}), eps={eps}, weight_decay={weight_decay}{bc})")


def adam(lr: float | Schedule = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0, bias_correction: bool = True) -> UpdateRule:
    r"""Adam, with the L2 penalty (if any) in the gradient, as ``torch.optim.Adam``.

    With :math:`g_t = \nabla_\theta L + \lambda\theta_{t-1}`, elementwise,

    .. math::

       m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\\
       \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad
       \hat v_t = \frac{v_t}{1-\beta_2^t},\qquad
       \theta_t = \theta_{t-1} - \eta_t \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},

    with :math:`m_0 = v_0 = 0`. ``weight_decay`` :math:`\lambda` is the same
    as adding :math:`\tfrac{\lambda}{2}\|\theta\|^2` to the loss; for
    decoupled decay use :func:`adamw`.

    Parameters
    ----------
    lr : float or callable, default 1e-3
        Learning rate :math:`\eta \ge 0`, or a schedule ``lr(count)``.
    betas : (float, float), default (0.9, 0.999)
        Decay rates :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : float, default 1e-8
        :math:`\epsilon > 0`, added outside the square root.
    weight_decay : float, default 0
        L2 coefficient :math:`\lambda \ge 0` added to the gradient.
    bias_correction : bool, default True
        If False, use :math:`m_t` and :math:`v_t` in place of
        :math:`\hat m_t, \hat v_t` (the original pre-correction form).

    Returns
    -------
    UpdateRule
        With state :class:`AdamState`.

    Raises
    ------
    ValueError
        For a negative ``lr`` or ``weight_decay``, a beta outside [0, 1) or
        ``eps <= 0``.
    """
    return _adam_rule(lr, betas, eps, weight_decay, decoupled=False, bias_correction=bias_correction, label="Adam")


def adamw(lr: float | Schedule = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2, bias_correction: bool = True) -> UpdateRule:
    r"""AdamW: Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    Each update first shrinks the weights,
    :math:`\theta \leftarrow (1 - \eta_t\lambda)\,\theta`, then takes the
    Adam step of :func:`adam` with the *unpenalised* gradient. The decay is
    therefore the same for every parameter, whatever its gradient scale,
    unlike an L2 term in the loss, whose gradient :math:`\lambda\theta` is
    divided by :math:`\sqrt{\hat v_t}` like the rest of the gradient.

    Parameters
    ----------
    lr : float or callable, default 1e-3
        Learning rate :math:`\eta \ge 0`, or a schedule ``lr(count)``.
    betas : (float, float), default (0.9, 0.999)
        Decay rates :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : float, default 1e-8
        :math:`\epsilon > 0`, added outside the square root.
    weight_decay : float, default 1e-2
        Decoupled decay coefficient :math:`\lambda \ge 0` (torch's default).
    bias_correction : bool, default True
        As in :func:`adam`.

    Returns
    -------
    UpdateRule
        With state :class:`AdamState`.

    Raises
    ------
    ValueError
        For a negative ``lr`` or ``weight_decay``, a beta outside [0, 1) or
        ``eps <= 0``.
    """
    return _adam_rule(lr, betas, eps, weight_decay, decoupled=True, bias_correction=bias_correction, label="AdamW")
