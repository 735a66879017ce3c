r"""Dead ReLU units: on a data set, and provably on a whole box of inputs.

A ReLU unit is *dead on a set of inputs* if its output
:math:`\mathrm{relu}(a_j(x))` is zero for every input in the set, i.e.
:math:`a_j(x) \le 0` throughout. On a finite data set this is checked by a
forward pass (:func:`dead_on_samples`). On a box
:math:`[\ell, u] \subset \R^d` it is certified by interval bound propagation
(:func:`interval_bounds`, :func:`dead_on_box`): with centre
:math:`c = (\ell + u)/2` and radius :math:`r = (u - \ell)/2`, every
pre-activation of an affine layer satisfies

.. math::

   a_j(x) = w_j^\top x + b_j \le w_j^\top c + b_j + |w_j|^\top r ,

with equality at the box corner :math:`x = c + r \odot \operatorname{sign}(w_j)`.
So for the first layer the bound is exact (on :math:`[-1, 1]^d` it reads
:math:`\max_x a_j(x) = b_j + \|w_j\|_1`); for deeper layers the
post-activation box :math:`[\mathrm{relu}(\ell), \mathrm{relu}(u)]` is
propagated, which is sound but may be loose. A unit whose upper bound is
:math:`\le 0` is dead on the whole box; a unit dead on a sample but not
certified is reported separately (:class:`DeadUnitReport`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nntheory import _checks

__all__ = ["relu_mlp_preactivations", "dead_on_samples", "interval_bounds", "dead_on_box", "DeadUnitReport", "dead_unit_report"]


def _to_numpy(value, name: str, **kwargs) -> np.ndarray:
    """A finite float64 array from a numpy array, a list or a torch tensor (detached)."""
    if _checks.is_tensor(value):
        value = value.detach().cpu().numpy()
    return _checks.check_array(value, name, dtype=np.float64, **kwargs)


def _check_layers(weights, biases, n_features: int, source: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The layers as float64 arrays; ``source`` names what the first layer reads (for messages)."""
    weights = _checks.check_sequence(weights, "weights")
    biases = _checks.check_sequence(biases, "biases", nonempty=False)
    if len(weights) != len(biases):
        raise ValueError(f"weights and biases must have equal length (one bias per layer), got {len(weights)} and {len(biases)}")
    Ws, bs = [], []
    fan_in = n_features
    for l, (W, b) in enumerate(zip(weights, biases)):
        W, b = _to_numpy(W, f"weights[{l}]"), _to_numpy(b, f"biases[{l}]")
        if W.ndim != 2 or W.shape[1] != fan_in:
            reads = source if l == 0 else f"the {fan_in} units of weights[{l - 1}]"
            raise ValueError(f"weights[{l}] must have shape (n_units, {fan_in}) to read {reads}, got {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"biases[{l}] must have shape ({W.shape[0]},), got {b.shape}")
        Ws.append(W)
        bs.append(b)
        fan_in = W.shape[0]
    return Ws, bs


def relu_mlp_preactivations(X, weights: Sequence, biases: Sequence) -> list[np.ndarray]:
    r"""Pre-activations of the ReLU layers of an MLP.

    Layer :math:`l` computes :math:`a^{(l)} = W_l z^{(l-1)} + b_l` and
    :math:`z^{(l)} = \mathrm{relu}(a^{(l)})`, with :math:`z^{(0)} = x`.
    Pass only the hidden (ReLU) layers; a linear output layer is not
    needed.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Inputs (numpy or torch).
    weights : sequence of array_like
        ``weights[l]`` of shape ``(n_units_l, n_units_{l-1})`` (the layout
        of ``torch.nn.Linear.weight``).
    biases : sequence of array_like
        ``biases[l]`` of shape ``(n_units_l,)``.

    Returns
    -------
    list of numpy.ndarray
        ``a[l]`` of shape ``(n_samples, n_units_l)``.

    Raises
    ------
    TypeError
        If ``X``, a weight or a bias is not an array of numbers, or
        ``weights``/``biases`` not a list or tuple.
    ValueError
        If ``X`` is empty or not finite, shapes do not chain, or a
        pre-activation overflows.
    """
    X = _to_numpy(X, "X", ndim=2)
    Ws, bs = _check_layers(weights, biases, X.shape[1], f"the {X.shape[1]} features of X")
    out, z = [], X
    for l, (W, b) in enumerate(zip(Ws, bs)):
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            a = z @ W.T + b  # (n_samples, n_units)
        if not np.isfinite(a).all():  # overflow: a NaN unit would count as neither dead nor alive
            raise ValueError(f"the pre-activations of weights[{l}] overflow (not finite); X and the weights are too large")
        out.append(a)
        z = np.maximum(a, 0.0)
    return out


def dead_on_samples(X, weights: Sequence, biases: Sequence) -> list[np.ndarray]:
    """Which ReLU units output zero on every sample of ``X``.

    Parameters
    ----------
    X, weights, biases
        As in :func:`relu_mlp_preactivations`.

    Returns
    -------
    list of numpy.ndarray of bool
        ``dead[l]`` of shape ``(n_units_l,)``: True where
        :math:`a_j(x) \\le 0` for all rows of ``X``.

    Raises
    ------
    ValueError
        As in :func:`relu_mlp_preactivations`: ``X`` empty or not finite,
        shapes that do not chain. Every pre-activation is finite, so no NaN
        unit is counted as alive or dead.
    """
    return [np.all(a <= 0.0, axis=0) for a in relu_mlp_preactivations(X, weights, biases)]


def interval_bounds(lower, upper, weights: Sequence, biases: Sequence) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""Interval bounds on every ReLU layer's pre-activations over a box.

    Parameters
    ----------
    lower, upper : array_like of shape (n_features,)
        The box :math:`\{x : \ell \le x \le u\}` (componentwise).
    weights, biases
        As in :func:`relu_mlp_preactivations`.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        ``(lo, hi)`` per layer, each of shape ``(n_units_l,)``, with
        ``lo <= a(x) <= hi`` for every ``x`` in the box. Exact (attained)
        for the first layer.

    Raises
    ------
    ValueError
        If ``lower > upper`` somewhere, a bound is not finite, or shapes do
        not match.
    """
    lo, hi = _to_numpy(lower, "lower", ndim=1), _to_numpy(upper, "upper", ndim=1)
    if lo.shape != hi.shape:
        raise ValueError(f"lower and upper must have equal shape, got {lo.shape} and {hi.shape}")
    if np.any(lo > hi):
        raise ValueError("lower must be <= upper componentwise")
    Ws, bs = _check_layers(weights, biases, lo.shape[0], f"the {lo.shape[0]} features of lower and upper")
    bounds = []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            centre, radius = (lo + hi) / 2.0, (hi - lo) / 2.0
            mid = W @ centre + b
            spread = np.abs(W) @ radius
            a_lo, a_hi = mid - spread, mid + spread
        if not (np.isfinite(a_lo).all() and np.isfinite(a_hi).all()):
            raise ValueError(f"the interval bounds of weights[{l}] overflow (not finite); the box or the weights are too large")
        bounds.append((a_lo, a_hi))
        lo, hi = np.maximum(a_lo, 0.0), np.maximum(a_hi, 0.0)
    return bounds


def dead_on_box(lower, upper, weights: Sequence, biases: Sequence) -> list[np.ndarray]:
    """Which ReLU units are certified dead on the whole box.

    Parameters
    ----------
    lower, upper, weights, biases
        As in :func:`interval_bounds`.

    Returns
    -------
    list of numpy.ndarray of bool
        ``dead[l]`` of shape ``(n_units_l,)``: True where the interval upper
        bound of the pre-activation is ``<= 0``. Sound (a True unit is dead
        for every input in the box); complete for the first layer only.

    Raises
    ------
    ValueError
        As in :func:`interval_bounds`.
    """
    return [hi <= 0.0 for _, hi in interval_bounds(lower, upper, weights, biases)]


@dataclass
class DeadUnitReport:
    """Dead units of each ReLU layer, on a sample and on a box.

    Attributes
    ----------
    dead_on_samples : list of numpy.ndarray of bool
        Per layer, shape ``(n_units_l,)``: zero output on every sample.
    dead_on_box : list of numpy.ndarray of bool
        Per layer: certified dead on the whole box by interval bounds.
    dead_on_samples_only : list of numpy.ndarray of bool
        Per layer: dead on the sample but not certified on the box (either
        alive somewhere in the box, or the bound is loose).
    """

    dead_on_samples: list
    dead_on_box: list
    dead_on_samples_only: list


def dead_unit_report(X, lower, upper, weights: Sequence, biases: Sequence) -> DeadUnitReport:
    """Dead units on a sample and on a box, side by side.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        The sample (usually drawn from the box).
    lower, upper : array_like of shape (n_features,)
        The box.
    weights, biases
        As in :func:`relu_mlp_preactivations`.

    Returns
    -------
    DeadUnitReport

    Raises
    ------
    ValueError
        As in :func:`dead_on_samples` and :func:`interval_bounds`.
    """
    on_samples = dead_on_samples(X, weights, biases)
    on_box = dead_on_box(lower, upper, weights, biases)
    return DeadUnitReport(dead_on_samples=on_samples, dead_on_box=on_box, dead_on_samples_only=[s & ~b for s, b in zip(on_samples, on_box)])
