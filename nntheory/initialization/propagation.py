r"""Forward signal propagation at initialisation: the second-moment recursion.

For a fully connected network without biases,
:math:`h^{(l)} = W^{(l)} \phi(h^{(l-1)})` with independent weights
:math:`W^{(l)}_{ij} \sim (0, \sigma_l^2)`, the pre-activations have mean
zero and

.. math::

   q_l = \E[(h^{(l)}_i)^2] = n_{l-1}\, \sigma_l^2\, \E[\phi(h^{(l-1)}_j)^2],

with the second moment (not the variance!) of the previous layer's
outputs. :func:`propagate_variance` iterates this recursion. The second
moment :math:`m(q) = \E[\phi(h)^2]` is

* identity: :math:`m(q) = q` (exact);
* ReLU: :math:`m(q) = q/2` (exact for any symmetric :math:`h`, in
  particular at any width, because :math:`\mathrm{relu}(h)^2 +
  \mathrm{relu}(-h)^2 = h^2`);
* tanh: :math:`m(q) = \E[\tanh(h)^2]` for :math:`h \sim \mathcal N(0, q)`,
  computed by numerical quadrature to about 1e-12
  (:func:`tanh_second_moment`). The
  Gaussian assumption is the approximation: it holds in the infinite-width
  limit, while at finite width :math:`h` is a Gaussian scale mixture. The
  small-variance linearisation :math:`\tanh(h) \approx h`, i.e.
  :math:`m(q) \approx q`, is available as ``activation="tanh_linear"`` for
  comparison; it overestimates :math:`m(q)` because
  :math:`\tanh(h)^2 \le h^2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from nntheory import _checks
from nntheory.initialization.schemes import _check_fan

__all__ = [
    "ACTIVATIONS",
    "relu_moments",
    "tanh_second_moment",
    "second_moment",
    "SignalPropagation",
    "propagate_variance",
    "empirical_preactivations",
]

#: Names accepted by ``activation`` in the propagation theory.
ACTIVATIONS = ("identity", "relu", "tanh", "tanh_linear")


# ---------------------------------------------------------------------------
# Moments of activations of a centred Gaussian h ~ N(0, q).
# ---------------------------------------------------------------------------


def _check_q(q) -> np.ndarray:
    q = _checks.check_array(q, "q", dtype=np.float64)
    if np.any(q < 0):
        raise ValueError("q (a variance) must be finite and non-negative")
    return q


def relu_moments(q):
    r"""Mean and second moment of :math:`\mathrm{relu}(h)` for :math:`h \sim \mathcal N(0, q)`.

    .. math::

       \E[\mathrm{relu}(h)] = \sqrt{q / (2\pi)}, \qquad
       \E[\mathrm{relu}(h)^2] = q / 2 .

    The second identity needs only the symmetry of :math:`h`.

    Parameters
    ----------
    q : float or array_like
        Variance of :math:`h`.

    Returns
    -------
    mean, second_moment : float or numpy.ndarray
        Same shape as ``q``. The variance is
        ``second_moment - mean**2`` :math:`= q(1/2 - 1/(2\pi))`.
    """
    q = _check_q(q)
    mean = np.sqrt(q / (2.0 * np.pi))
    second = q / 2.0
    if mean.ndim == 0:
        return float(mean), float(second)
    return mean, second


@lru_cache(maxsize=8)
def _hermegauss(n_points: int) -> tuple[np.ndarray, np.ndarray]:
    # Computing the nodes solves an eigenproblem (~15 ms); the recursion asks for them once per layer.
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_points)
    nodes.flags.writeable = False
    weights.flags.writeable = False
    return nodes, weights


def tanh_second_moment(q, n_points: int = 120):
    r""":math:`\E[\tanh(h)^2]` for :math:`h \sim \mathcal N(0, q)`, by numerical quadrature.

    For :math:`q \le 1`, Gauss–Hermite quadrature with the probabilists'
    nodes :math:`t_k` and weights :math:`w_k`:
    :math:`\E[f(h)] \approx \sum_k w_k f(\sqrt{q}\, t_k) / \sqrt{2\pi}`.
    For :math:`q > 1` this converges slowly (``tanh`` is then close to a
    step on the scale of the Gaussian), so we use
    :math:`\E[\tanh(h)^2] = 1 - \E[\operatorname{sech}(h)^2]` and the
    trapezoidal rule on :math:`h \in [-40, 40]` with step 0.005, where the
    smooth, exponentially decaying integrand
    :math:`\operatorname{sech}(h)^2 \varphi_q(h)` makes the rule converge
    geometrically. Both branches agree with adaptive quadrature to about
    1e-12 (see the tests).

    Parameters
    ----------
    q : float or array_like
        Variance of :math:`h`.
    n_points : int, default 120
        Number of Gauss–Hermite nodes (branch :math:`q \le 1`).

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``q``.
    """
    q = _check_q(q)
    n_points = _check_fan(n_points, "n_points")
    nodes, weights = _hermegauss(n_points)
    small = np.tanh(np.sqrt(np.minimum(q, 1.0))[..., None] * nodes) ** 2 @ weights / np.sqrt(2.0 * np.pi)
    h = np.linspace(-40.0, 40.0, 16001)  # (n_grid,)
    qq = np.maximum(q, 1.0)[..., None]
    density = np.exp(-(h**2) / (2.0 * qq)) / np.sqrt(2.0 * np.pi * qq)  # (..., n_grid)
    sech2 = 1.0 / np.cosh(h) ** 2
    large = 1.0 - (sech2 * density).sum(axis=-1) * (h[1] - h[0])
    vals = np.where(q <= 1.0, small, large)
    return float(vals) if vals.ndim == 0 else vals


def second_moment(q, activation: str):
    r"""Second moment :math:`m(q) = \E[\phi(h)^2]` of an activation of :math:`h \sim \mathcal N(0, q)`.

    Parameters
    ----------
    q : float or array_like
        Variance of the pre-activation.
    activation : {"identity", "relu", "tanh", "tanh_linear"}
        ``"tanh"`` uses :func:`tanh_second_moment`; ``"tanh_linear"`` the
        small-variance linearisation :math:`m(q) = q`.

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``q``.

    Raises
    ------
    ValueError
        If ``activation`` is unknown.
    """
    _checks.check_choice(activation, "activation", ACTIVATIONS)
    q = _check_q(q)
    if activation in ("identity", "tanh_linear"):
        out = q.copy()
    elif activation == "relu":
        out = q / 2.0
    else:
        out = np.asarray(tanh_second_moment(q))
    return float(out) if out.ndim == 0 else out


@dataclass
class SignalPropagation:
    r"""Predicted pre-activation statistics, one entry per layer.

    Attributes
    ----------
    mean : numpy.ndarray of shape (n_layers,)
        :math:`\E[h^{(l)}_i]`, zero for zero-mean weights.
    variance : numpy.ndarray of shape (n_layers,)
        :math:`q_l = \operatorname{Var}[h^{(l)}_i]`.
    post_second_moment : numpy.ndarray of shape (n_layers,)
        :math:`\E[\phi(h^{(l)}_i)^2]`, which feeds layer :math:`l+1`.
    """

    mean: np.ndarray
    variance: np.ndarray
    post_second_moment: np.ndarray


def propagate_variance(n_layers: int, weight_variance: float | Sequence[float], widths: int | Sequence[int], activation: str = "relu", input_second_moment: float = 1.0) -> SignalPropagation:
    r"""Pre-activation variance layer by layer, from the mean-field recursion.

    Layer :math:`l = 1, \dots, L` computes
    :math:`h^{(l)} = W^{(l)} z^{(l-1)}` with :math:`z^{(0)} = x` and
    :math:`z^{(l)} = \phi(h^{(l)})`, weights i.i.d. with mean 0 and
    variance :math:`\sigma_l^2`, no biases. Then :math:`\E[h^{(l)}_i] = 0` and

    .. math::

       q_1 = n_0 \sigma_1^2 \E[x_j^2], \qquad
       q_l = n_{l-1} \sigma_l^2\, m(q_{l-1}),

    with :math:`m` from :func:`second_moment`. For identity and ReLU the
    recursion gives the exact expectation over weights and inputs at any
    width; for tanh it assumes Gaussian pre-activations (infinite width).

    Parameters
    ----------
    n_layers : int
        Number of weight layers :math:`L`.
    weight_variance : float or sequence of float
        :math:`\sigma_l^2`, one value for all layers or one per layer.
    widths : int or sequence of int
        Fan-in of each layer, :math:`n_0, \dots, n_{L-1}`: one value (all
        layers of width :math:`M`) or a sequence of length ``n_layers``.
    activation : {"identity", "relu", "tanh", "tanh_linear"}, default "relu"
        The activation :math:`\phi` applied after every layer.
    input_second_moment : float, default 1.0
        :math:`\E[x_j^2]` (1 for z-scored inputs).

    Returns
    -------
    SignalPropagation
        Arrays of shape ``(n_layers,)``.

    Raises
    ------
    TypeError
        If a count or width is not an integer, or a variance not a number.
    ValueError
        On a non-positive ``n_layers`` or width, sequences of the wrong
        length, negative or non-finite variances, an unknown activation, or
        a variance that overflows.

    Examples
    --------
    >>> p = propagate_variance(3, weight_variance=2 / 100, widths=100, activation="relu")
    >>> [round(float(v), 12) for v in p.variance]
    [2.0, 2.0, 2.0]
    """
    n_layers = _check_fan(n_layers, "n_layers")
    _checks.check_choice(activation, "activation", ACTIVATIONS)
    if np.ndim(weight_variance) == 0:
        s2 = np.full(n_layers, _checks.check_real(weight_variance, "weight_variance", low=0))
    else:
        s2 = np.array(_checks.check_real_sequence(weight_variance, "weight_variance", low=0))
        if s2.shape != (n_layers,):
            raise ValueError(f"weight_variance must be a scalar or have length n_layers={n_layers}, got {len(s2)}")
    if np.ndim(widths) == 0:
        n = np.full(n_layers, _check_fan(widths, "widths"))
    else:
        n = np.array(_checks.check_int_sequence(widths, "widths", low=1))
        if n.shape != (n_layers,):
            raise ValueError(f"widths must be an int or have length n_layers={n_layers}, got {len(n)}")
    input_second_moment = _checks.check_real(input_second_moment, "input_second_moment", low=0)
    q = np.empty(n_layers)
    m = np.empty(n_layers)
    prev = float(input_second_moment)
    for l in range(n_layers):
        q[l] = n[l] * s2[l] * prev
        if not np.isfinite(q[l]):
            raise ValueError(f"the variance overflows at layer {l + 1} (weight_variance * widths is too large for n_layers={n_layers})")
        m[l] = second_moment(q[l], activation)
        prev = m[l]
    return SignalPropagation(mean=np.zeros(n_layers), variance=q, post_second_moment=m)


_NUMPY_ACTS = {
    "identity": lambda h: h,
    "relu": lambda h: np.maximum(h, 0.0),
    "tanh": np.tanh,
}


def empirical_preactivations(X: np.ndarray, weights: Sequence[np.ndarray], activation: str = "relu") -> list[np.ndarray]:
    r"""Forward pass of a bias-free MLP in numpy, returning every pre-activation.

    Parameters
    ----------
    X : numpy.ndarray of shape (n_samples, n_features)
        Inputs, one row per sample.
    weights : sequence of numpy.ndarray
        ``weights[l]`` has shape ``(n_{l+1}, n_l)``, as from
        :func:`~nntheory.initialization.schemes.sample_weights`.
    activation : {"identity", "relu", "tanh"}, default "relu"
        Applied after every layer (the last layer's output is returned
        before activation like all others).

    Returns
    -------
    list of numpy.ndarray
        ``h[l]`` of shape ``(n_samples, n_{l+1})``.

    Raises
    ------
    TypeError
        If ``X`` or a weight is not an array of numbers, or ``weights`` not
        a list or tuple.
    ValueError
        If ``X`` or a weight is empty or not finite, shapes do not chain, or
        the activation is unknown.
    """
    _checks.check_choice(activation, "activation", tuple(_NUMPY_ACTS))
    X = _checks.check_array(X, "X", ndim=2, dtype=np.float64)
    weights = _checks.check_sequence(weights, "weights")
    act = _NUMPY_ACTS[activation]
    z, out = X, []
    for l, W in enumerate(weights):
        W = _checks.check_array(W, f"weights[{l}]", dtype=np.float64)
        if W.ndim != 2 or W.shape[1] != z.shape[1]:
            reads = f"the {z.shape[1]} features of X" if l == 0 else f"the {z.shape[1]} units of weights[{l - 1}]"
            raise ValueError(f"weights[{l}] must have shape (n_out, {z.shape[1]}) to read {reads}, got {W.shape}")
        h = z @ W.T  # (n_samples, n_out)
        out.append(h)
        z = act(h)
    return out
