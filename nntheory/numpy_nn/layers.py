"""Layers with hand-written forward and backward passes: Linear, ReLU, ELU, Softmax.

Every layer follows one protocol. ``forward(x)`` computes the output and
stores in ``cache`` exactly what the backward pass needs; ``backward(dout)``
takes :math:`\\partial L/\\partial Y` (same shape as the output), writes
:math:`\\partial L/\\partial \\theta` for each parameter into ``grads``
(overwriting, never accumulating) and returns :math:`\\partial L/\\partial X`.
Arrays are batches of row vectors, shape ``(n_samples, n_features)``.
"""

from __future__ import annotations

import numpy as np

from nntheory import _checks

__all__ = ["Module", "Linear", "ReLU", "ELU", "Softmax"]

_FLOAT_DTYPES = (np.float32, np.float64)


def _check_dtype(dtype, name: str = "dtype") -> np.dtype:
    return _checks.check_numpy_float_dtype(dtype, name)


def _check_batch(x, name: str, n_features: int | None = None, dtype=None) -> np.ndarray:
    """Return ``x`` as a non-empty 2-D floating array (of ``dtype`` if given) or raise a clear error naming it.

    Values are not scanned: a layer maps NaN to NaN, as ``torch.nn`` does, and
    a scan per call would cost as much as a ReLU. Loops check their data once.
    """
    if not isinstance(x, np.ndarray):
        if _checks.is_tensor(x):
            raise TypeError(f"{name} must be a numpy array, got a torch tensor (pass {name}.numpy())")
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, n_features), got shape {x.shape}")
    if x.dtype.type not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got dtype {x.dtype}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} columns, got shape {x.shape}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{name} must have the layer's dtype {np.dtype(dtype)}, got {x.dtype} (convert with {name}.astype(np.{np.dtype(dtype)}))")
    return x


class Module:
    """Base class: parameters, their gradients, a cache and a train/eval flag.

    Attributes
    ----------
    params : dict of str to ndarray
        Trainable parameters, named as in the matching ``torch.nn`` module
        (``"weight"``, ``"bias"``).
    grads : dict of str to ndarray
        :math:`\\partial L/\\partial \\theta` from the last :meth:`backward`,
        same keys and shapes as ``params``.
    cache : object or None
        What :meth:`forward` stored for :meth:`backward`; ``None`` before
        the first forward pass.
    training : bool
        Training mode (matters for batch normalisation only).
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache = None
        self.training = True

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """Compute the output for a batch ``x`` and cache what backward needs."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """Given :math:`\\partial L/\\partial Y`, fill ``grads`` and return :math:`\\partial L/\\partial X`."""
        raise NotImplementedError

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (``True``) or inference mode (``False``); return self."""
        self.training = _checks.check_bool(mode, "mode")
        return self

    def eval(self) -> "Module":
        """Set inference mode; return self."""
        return self.train(False)

    def _cached(self):
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self.cache

    def _check_dout(self, dout, shape, dtype=None) -> np.ndarray:
        if not isinstance(dout, np.ndarray):
            raise TypeError(f"dout must be a numpy array of the output's shape {shape}, got {type(dout).__name__}")
        if dout.shape != shape:
            raise ValueError(f"dout must be an array of the output's shape {shape}, got {dout.shape}")
        if dout.dtype.type not in _FLOAT_DTYPES or (dtype is not None and dout.dtype != dtype):
            raise TypeError(f"dout must have the output's dtype {np.dtype(dtype) if dtype is not None else 'float32 or float64'}, got {dout.dtype}")
        return dout


class Linear(Module):
    r"""Affine layer :math:`Y = X W^\top + \mathbf{1} b^\top`, as ``torch.nn.Linear``.

    Parameters
    ----------
    in_features : int
        Input width :math:`d_\text{in}`.
    out_features : int
        Output width :math:`d_\text{out}`.
    rng : numpy.random.Generator
        Draws the initial weights.
    gain : float, default sqrt(2)
        Positive. Kaiming (He) normal initialisation, fan-in mode:
        :math:`W_{ij} \sim \mathcal{N}(0, \text{gain}^2/d_\text{in})`, biases 0.
        ``sqrt(2)`` suits a layer that follows a ReLU-like activation; use
        ``1.0`` for a layer that reads standardised inputs directly.
    dtype : numpy dtype, default float64
        float32 or float64.

    Attributes
    ----------
    params : dict
        ``"weight"``, shape ``(out_features, in_features)``; ``"bias"``,
        shape ``(out_features,)``.

    Notes
    -----
    With :math:`\bar Y = \partial L/\partial Y` of shape ``(S, d_out)``:
    :math:`\partial L/\partial W = \bar Y^\top X`,
    :math:`\partial L/\partial b = \mathbf{1}^\top \bar Y` (column sums),
    :math:`\partial L/\partial X = \bar Y W`.
    """

    def __init__(self, in_features: int, out_features: int, *, rng: np.random.Generator, gain: float = float(np.sqrt(2.0)), dtype=np.float64) -> None:
        super().__init__()
        in_features = _checks.check_int(in_features, "in_features", low=1)
        out_features = _checks.check_int(out_features, "out_features", low=1)
        _checks.check_rng(rng, "rng")
        gain = _checks.check_real(gain, "gain", low=0, low_open=True)
        dtype = _check_dtype(dtype)
        self.in_features, self.out_features = in_features, out_features
        std = gain / np.sqrt(in_features)
        self.params = {
            "weight": (rng.standard_normal((out_features, in_features)) * std).astype(dtype),
            "bias": np.zeros(out_features, dtype=dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x`` (n_samples, in_features) -> ``y`` (n_samples, out_features)."""
        x = _check_batch(x, "x", self.in_features, self.params["weight"].dtype)
        self.cache = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """``dout`` (n_samples, out_features) -> ``dx`` (n_samples, in_features).

        With ``input_grad=False`` only ``grads`` are filled and ``None`` is
        returned: the first layer of a network has no consumer for
        :math:`\\partial L/\\partial X`, and skipping that product saves a
        third of the layer's backward work (torch skips it too, since its
        input does not require a gradient).
        """
        x = self._cached()
        input_grad = _checks.check_bool(input_grad, "input_grad")
        dout = self._check_dout(dout, (x.shape[0], self.out_features), x.dtype)
        self.grads["weight"] = dout.T @ x  # (out_features, in_features)
        self.grads["bias"] = dout.sum(axis=0)  # (out_features,)
        return dout @ self.params["weight"] if input_grad else None


class ReLU(Module):
    r"""Elementwise :math:`h(x) = \max(x, 0)`; :math:`h'(0)` is taken as 0, like torch.

    Notes
    -----
    :math:`\partial L/\partial X = \partial L/\partial Y \circ \mathbb{1}[X > 0]`.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x`` (n_samples, n_features) -> same shape."""
        x = _check_batch(x, "x")
        mask = x > 0  # (n_samples, n_features)
        self.cache = mask
        return x * mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout`` -> ``dx``, both (n_samples, n_features)."""
        mask = self._cached()
        return self._check_dout(dout, mask.shape) * mask


class ELU(Module):
    r"""Elementwise :math:`h(x) = x` for :math:`x > 0`, :math:`\alpha(e^x - 1)` otherwise.

    Parameters
    ----------
    alpha : float, default 1.0
        Saturation value :math:`-\alpha` for :math:`x \to -\infty`.

    Notes
    -----
    :math:`h'(x) = 1` for :math:`x > 0` and :math:`\alpha e^x` otherwise, so
    :math:`\partial L/\partial X = \partial L/\partial Y \circ h'(X)`.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = _checks.check_real(alpha, "alpha", low=0, low_open=True)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x`` (n_samples, n_features) -> same shape."""
        x = _check_batch(x, "x")
        # exp of the clipped input never overflows in the branch not taken.
        e = np.exp(np.minimum(x, 0))
        pos = x > 0
        self.cache = (pos, e)
        return np.where(pos, x, self.alpha * (e - 1))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout`` -> ``dx``, both (n_samples, n_features)."""
        pos, e = self._cached()
        dout = self._check_dout(dout, pos.shape, e.dtype)
        return dout * np.where(pos, 1, self.alpha * e)


class Softmax(Module):
    r"""Row-wise softmax :math:`Y_{ij} = e^{Z_{ij}} / \sum_k e^{Z_{ik}}`, computed stably.

    Notes
    -----
    The forward pass subtracts each row's maximum before exponentiating (the
    log-sum-exp trick), which leaves :math:`Y` unchanged and never overflows.
    The backward pass is
    :math:`\partial L/\partial Z = Y \circ (\bar Y - (\bar Y \circ Y)\mathbf{1}\mathbf{1}^\top)`
    with :math:`\bar Y = \partial L/\partial Y`.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Logits ``x`` (n_samples, n_classes) -> probabilities, same shape."""
        x = _check_batch(x, "x")
        e = np.exp(x - x.max(axis=1, keepdims=True))
        y = e / e.sum(axis=1, keepdims=True)
        self.cache = y
        return y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout`` = dL/dY -> dL/dZ, both (n_samples, n_classes)."""
        y = self._cached()
        dout = self._check_dout(dout, y.shape, y.dtype)
        return y * (dout - (dout * y).sum(axis=1, keepdims=True))
