r"""Backpropagation as a product of Jacobians, for a deep net with one shared weight matrix.

Notation of Bishop's *Pattern Recognition and Machine Learning*, §5.3.1 (as
in exercise sheet 9 of *Theory of Neural Networks*): an :math:`N`-layer
network with input :math:`z^{(1)} = x`, pre-activations
:math:`a^{(k+1)} = W^{(k)} z^{(k)}`, hidden outputs
:math:`z^{(k)} = h(a^{(k)})` for :math:`k = 2, \dots, N` and linear output
:math:`y = a^{(N+1)}`. With errors
:math:`\delta^{(k)} = \partial E / \partial a^{(k)}` the backward pass is

.. math::

   \delta^{(N+1)} = \nabla_y E, \qquad
   \delta^{(k)} = h'(a^{(k)}) \odot \big(W^{(k)\top} \delta^{(k+1)}\big),
   \qquad \frac{\partial E}{\partial W^{(k)}} = \delta^{(k+1)} z^{(k)\top}.

With the same square matrix :math:`W` in every layer and
:math:`D^{(k)} = \operatorname{diag}(h'(a^{(k)}))`,

.. math::

   \frac{\partial E}{\partial w^{(1)}_{11}} = x_1 \Big[ D^{(2)} W^\top
   D^{(3)} W^\top \cdots D^{(N)} W^\top \nabla_y E \Big]_1 ,

a product of :math:`N-1` factors :math:`D^{(k)} W^\top`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nntheory import _checks

__all__ = ["SharedWeightBackprop", "shared_weight_backprop", "first_layer_gradient_bound", "MAX_DERIVATIVE"]


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


_ACTS = {
    "identity": (lambda a: a, lambda a: np.ones_like(a)),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
    "sigmoid": (_sigmoid, lambda a: _sigmoid(a) * (1.0 - _sigmoid(a))),
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
}

#: :math:`\sup_a |h'(a)|` for each activation: the per-layer factor of the bound.
MAX_DERIVATIVE = {"identity": 1.0, "relu": 1.0, "sigmoid": 0.25, "tanh": 1.0}


@dataclass
class SharedWeightBackprop:
    r"""Forward and backward quantities of :func:`shared_weight_backprop`.

    Attributes
    ----------
    preactivations : list of numpy.ndarray
        :math:`a^{(2)}, \dots, a^{(N+1)}`, each of shape ``(n_units,)``;
        the last one is the output :math:`y`.
    deltas : list of numpy.ndarray
        :math:`\delta^{(2)}, \dots, \delta^{(N+1)}`, each of shape
        ``(n_units,)``; the last one is :math:`\nabla_y E`.
    grad_first_layer : numpy.ndarray of shape (n_units, n_units)
        :math:`\partial E / \partial W^{(1)} = \delta^{(2)} x^\top`; its
        ``[0, 0]`` entry is :math:`\partial E / \partial w^{(1)}_{11}`.
    """

    preactivations: list
    deltas: list
    grad_first_layer: np.ndarray


def _check(weight, x, grad_output, n_layers, activation):
    weight = _checks.check_array(weight, "weight", ndim=2, dtype=np.float64)
    if weight.shape[0] != weight.shape[1]:
        raise ValueError(f"weight must be a square matrix (n_units, n_units), got shape {weight.shape}")
    n = weight.shape[0]
    x = _checks.check_array(x, "x", shape=(n,), dtype=np.float64)
    grad_output = _checks.check_array(grad_output, "grad_output", shape=(n,), dtype=np.float64)
    n_layers = _checks.check_int(n_layers, "n_layers", low=1)
    _checks.check_choice(activation, "activation", tuple(_ACTS))
    return weight, x, grad_output, n_layers


def shared_weight_backprop(weight: np.ndarray, x: np.ndarray, grad_output: np.ndarray, n_layers: int, activation: str = "relu") -> SharedWeightBackprop:
    r"""First-layer weight gradient of a shared-weight net by the product formula.

    Runs the forward pass :math:`a^{(k+1)} = W z^{(k)}` and then the
    backward recursion
    :math:`\delta^{(k)} = h'(a^{(k)}) \odot (W^\top \delta^{(k+1)})` from
    :math:`\delta^{(N+1)} = \nabla_y E` given as ``grad_output`` (so the
    loss need not be specified: :math:`E` is any function of :math:`y`
    whose gradient at the output is ``grad_output``).

    Parameters
    ----------
    weight : numpy.ndarray of shape (n_units, n_units)
        The shared matrix :math:`W` (row :math:`j`, column :math:`i` is
        :math:`w_{ji}`).
    x : numpy.ndarray of shape (n_units,)
        The input.
    grad_output : numpy.ndarray of shape (n_units,)
        :math:`\nabla_y E`.
    n_layers : int
        :math:`N`, the number of weight layers (``N - 1`` hidden layers).
    activation : {"relu", "sigmoid", "tanh", "identity"}, default "relu"
        The hidden activation :math:`h`; :math:`\mathrm{relu}'(0) = 0`,
        as in torch.

    Returns
    -------
    SharedWeightBackprop

    Raises
    ------
    TypeError
        If an array is not an array of numbers or ``n_layers`` not an int.
    ValueError
        On mismatched shapes, empty or non-finite arrays, a non-positive
        ``n_layers`` or an unknown activation.
    """
    weight, x, grad_output, n_layers = _check(weight, x, grad_output, n_layers, activation)
    h, dh = _ACTS[activation]
    pre = []
    z = x
    for k in range(n_layers):
        a = weight @ z  # (n_units,)
        pre.append(a)
        z = h(a)
    delta = grad_output
    deltas = [delta]
    for a in reversed(pre[:-1]):  # a^(N), ..., a^(2)
        delta = dh(a) * (weight.T @ delta)
        deltas.append(delta)
    deltas.reverse()
    return SharedWeightBackprop(preactivations=pre, deltas=deltas, grad_first_layer=np.outer(deltas[0], x))


def first_layer_gradient_bound(weight: np.ndarray, x: np.ndarray, grad_output: np.ndarray, n_layers: int, activation: str = "relu", entry: tuple[int, int] | None = None) -> float:
    r"""Upper bound on the first-layer gradient from the product formula.

    Since :math:`\|D^{(k)}\|_2 \le c = \sup_a |h'(a)|` (1/4 for the
    sigmoid, 1 for tanh and ReLU), the backward recursion gives
    :math:`\|\delta^{(2)}\| \le (c\,\|W\|_2)^{N-1} \|\nabla_y E\|`, and
    :math:`\partial E/\partial w^{(1)}_{ji} = \delta^{(2)}_j x_i`. Hence, for
    one entry (``entry=(j, i)``; ``(0, 0)`` is :math:`w^{(1)}_{11}`),

    .. math::

       \Big|\frac{\partial E}{\partial w^{(1)}_{ji}}\Big| = |x_i|\,|\delta^{(2)}_j|
       \le |x_i|\, \big(c\,\|W\|_2\big)^{N-1} \|\nabla_y E\| ,

    and for the whole matrix (``entry=None``, the default)

    .. math::

       \Big\|\frac{\partial E}{\partial W^{(1)}}\Big\|_F =
       \|\delta^{(2)}\|\,\|x\| \le \|x\|\,\big(c\,\|W\|_2\big)^{N-1}
       \|\nabla_y E\| .

    The entry bound is the tighter one for a single weight (it is attained,
    e.g., by a diagonal :math:`W` whose largest entry is :math:`w_{jj}` with
    :math:`\nabla_y E` along :math:`e_j` and the identity activation).

    Parameters
    ----------
    weight, x, grad_output, n_layers, activation
        As in :func:`shared_weight_backprop`.
    entry : tuple of int, optional
        ``(j, i)``: bound :math:`|\partial E/\partial w^{(1)}_{ji}|` (0-based
        indices) instead of the Frobenius norm of the whole gradient.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As in :func:`shared_weight_backprop`, or if ``entry`` is not a pair
        of valid indices.
    """
    weight, x, grad_output, n_layers = _check(weight, x, grad_output, n_layers, activation)
    factor = MAX_DERIVATIVE[activation] * np.linalg.norm(weight, 2)
    if entry is None:
        scale = np.linalg.norm(x)
    else:
        n = weight.shape[0]
        ok = isinstance(entry, tuple) and len(entry) == 2 and all(isinstance(e, (int, np.integer)) and not isinstance(e, bool) and 0 <= e < n for e in entry)
        if not ok:
            raise ValueError(f"entry must be a pair (j, i) of indices in [0, {n}), got {entry!r}")
        scale = abs(x[entry[1]])
    return float(scale * factor ** (n_layers - 1) * np.linalg.norm(grad_output))
