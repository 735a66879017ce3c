"""Cross-entropy losses with hand-written backward passes.

Both losses average over the batch: :math:`L = -\\frac1S \\sum_{i,k} T_{ik}
\\log Y_{ik}`, with :math:`S` the batch size and :math:`T` the targets, one
row per sample (one-hot for class labels). ``forward(x, target)`` returns the
scalar loss and caches; ``backward()`` returns :math:`\\partial L/\\partial x`.
"""

from __future__ import annotations

import numpy as np

from nntheory import _checks
from nntheory.numpy_nn.layers import _check_batch

__all__ = ["CrossEntropy", "SoftmaxCrossEntropy", "one_hot"]


def one_hot(labels: np.ndarray, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Class labels -> one-hot rows.

    Parameters
    ----------
    labels : ndarray of int, shape (n_samples,)
        Values in ``0, ..., n_classes - 1``.
    n_classes : int
        Number of classes.
    dtype : numpy dtype, default float64

    Returns
    -------
    ndarray, shape (n_samples, n_classes)

    Raises
    ------
    TypeError
        If ``labels`` are not integers, ``n_classes`` not an int or
        ``dtype`` not a float dtype.
    ValueError
        If ``labels`` is empty or not 1-D, ``n_classes < 1``, or a label is
        out of range.
    """
    return _one_hot(labels, n_classes, dtype, "labels")


def _one_hot(labels, n_classes, dtype, name, width_of: str | None = None):
    if _checks.is_tensor(labels):
        raise TypeError(f"{name} must be a numpy array, got a torch tensor (pass {name}.numpy())")
    if labels is None or isinstance(labels, (str, bytes)):
        raise TypeError(f"{name} must be integer class labels, got {labels!r}")
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, got dtype {labels.dtype}")
    labels = _checks.check_array(labels, name, ndim=1, kind="int")
    n_classes = _checks.check_int(n_classes, "n_classes", low=1)
    dtype = _checks.check_numpy_float_dtype(dtype, "dtype")
    if labels.min() < 0 or labels.max() >= n_classes:
        what = "labels" if name == "labels" else f"{name} labels"
        source = f" ({width_of} has {n_classes} columns)" if width_of else ""
        raise ValueError(f"{what} must lie in [0, {n_classes - 1}]{source}, got values in [{labels.min()}, {labels.max()}]")
    t = np.zeros((labels.size, n_classes), dtype=dtype)
    t[np.arange(labels.size), labels] = 1
    return t


def _targets(target, shape, dtype, name: str) -> np.ndarray:
    """Integer labels or a (n_samples, n_classes) matrix of target distributions -> T."""
    if _checks.is_tensor(target):
        raise TypeError("target must be a numpy array, got a torch tensor (pass target.numpy())")
    if target is None or isinstance(target, (str, bytes)):
        raise TypeError(f"target must be integer labels or a matrix of probabilities, got {target!r}")
    target = np.asarray(target)
    if target.ndim == 1:
        if target.shape[0] != shape[0]:
            raise ValueError(f"target has {target.shape[0]} labels for a batch of {shape[0]} samples")
        return _one_hot(target, shape[1], dtype, "target", width_of=name)
    target = _checks.check_array(target, "target", ndim=2)
    if target.shape != shape:
        raise ValueError(f"target must be labels of shape ({shape[0]},) or a matrix of {name}'s shape {shape}, got shape {target.shape}")
    if np.any(target < 0) or not np.allclose(target.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("target rows must be probability vectors (non-negative, summing to 1)")
    return target.astype(dtype, copy=False)


class CrossEntropy:
    r"""Cross-entropy of probabilities: :math:`L = -\frac1S\sum_{ik} T_{ik}\log Y_{ik}`.

    Notes
    -----
    :math:`\partial L/\partial Y = -\frac1S\, T \oslash Y` (elementwise
    division). Chained through :class:`~nntheory.numpy_nn.Softmax` this gives
    :math:`(Y - T)/S`; :class:`SoftmaxCrossEntropy` computes that directly
    and stably.
    """

    def __init__(self) -> None:
        self.cache = None

    def forward(self, y: np.ndarray, target) -> float:
        """Probabilities ``y`` (n_samples, n_classes), labels (n_samples,) or T -> scalar loss."""
        y = _check_batch(y, "y")
        if np.any(y <= 0):  # NaN passes: a diverged network's loss is NaN, not an error
            raise ValueError("y must be strictly positive probabilities (log 0 is -inf)")
        t = _targets(target, y.shape, y.dtype, "y")
        self.cache = (y, t)
        return float(-(t * np.log(y)).sum() / y.shape[0])

    def backward(self) -> np.ndarray:
        """dL/dY, shape (n_samples, n_classes)."""
        if self.cache is None:
            raise RuntimeError("CrossEntropy.backward called before forward")
        y, t = self.cache
        return -t / y / y.shape[0]


class SoftmaxCrossEntropy:
    r"""Softmax followed by cross-entropy, on logits: the stable combined module.

    Notes
    -----
    :math:`\log Y = Z - m - \log\sum_k e^{Z_{ik} - m}` with :math:`m` the
    row maximum (log-sum-exp), so no probability is ever rounded to 0 inside a
    logarithm. The backward pass is :math:`\partial L/\partial Z = (Y - T)/S`.
    """

    def __init__(self) -> None:
        self.cache = None

    def forward(self, z: np.ndarray, target) -> float:
        """Logits ``z`` (n_samples, n_classes), labels (n_samples,) or T -> scalar loss."""
        z = _check_batch(z, "z")
        return self._forward(z, _targets(target, z.shape, z.dtype, "z"))

    def _forward(self, z: np.ndarray, t: np.ndarray) -> float:
        """:meth:`forward` on checked logits and a target matrix T (a training loop checks its data once)."""
        shifted = z - z.max(axis=1, keepdims=True)
        log_y = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.cache = (np.exp(log_y), t)
        return float(-(t * log_y).sum() / z.shape[0])

    def backward(self) -> np.ndarray:
        """dL/dZ = (Y - T)/S, shape (n_samples, n_classes)."""
        if self.cache is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward")
        y, t = self.cache
        return (y - t) / y.shape[0]
