"""Train/validation/test splits as one object, and per-channel standardisation fitted on the training set."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from nntheory import _checks

__all__ = ["Splits", "standardize_per_channel"]


@dataclass(frozen=True)
class Splits:
    """A classification data set split into training, validation and test parts.

    Attributes
    ----------
    X_train, X_val, X_test : ndarray, shape (n, n_features)
        Inputs, one flattened sample per row; a sample with ``n_channels``
        channels stores them one after the other (channel-major).
    y_train, y_val, y_test : ndarray of int64, shape (n,)
        Class labels.
    name : str
        Which data set this is (printed by the examples).
    n_channels : int
        Number of input channels (1 for MNIST-1D, 3 for CIFAR-10).
    n_classes : int
        Number of classes.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    n_channels: int
    n_classes: int

    @property
    def n_features(self) -> int:
        """Input width."""
        return self.X_train.shape[1]


def standardize_per_channel(splits: Splits, dtype=np.float64) -> tuple[Splits, np.ndarray, np.ndarray]:
    """Subtract each channel's training mean and divide by its training standard deviation.

    The statistics come from ``X_train`` only, so no information about the
    validation or test samples leaks into the inputs.

    Parameters
    ----------
    splits : Splits
    dtype : numpy dtype, default float64
        dtype of the returned inputs.

    Returns
    -------
    standardized : Splits
        Same labels; every ``X`` as ``dtype`` with per-channel zero mean and
        unit variance on the training set.
    mean, std : ndarray, shape (n_channels,)
        The training statistics that were applied.

    Raises
    ------
    TypeError
        If ``splits`` is not a :class:`Splits` (or its inputs are not
        arrays of numbers), or ``dtype`` not float32/float64.
    ValueError
        If an input array is empty, not 2-D, not finite, or of another width
        than ``X_train``; if the width is not a multiple of ``n_channels``;
        or if a channel is constant on the training set.
    """
    if not isinstance(splits, Splits):
        raise TypeError(f"splits must be a Splits, got {type(splits).__name__}")
    dtype = _checks.check_numpy_float_dtype(dtype, "dtype")
    c = _checks.check_int(splits.n_channels, "splits.n_channels", low=1)
    width = _checks.check_array(splits.X_train, "splits.X_train", ndim=2, kind="real").shape[1]
    for part in ("X_val", "X_test"):
        _checks.check_array(getattr(splits, part), f"splits.{part}", ndim=2, shape=(None, width), kind="real", nonempty=False)
    if splits.n_features % c:
        raise ValueError(f"n_features={splits.n_features} is not a multiple of n_channels={c}")

    def by_channel(X):  # (n, n_features) -> (n, n_channels, n_per_channel)
        return X.reshape(X.shape[0], c, -1)

    Xtr = by_channel(splits.X_train.astype(np.float64))
    mean = Xtr.mean(axis=(0, 2))
    std = Xtr.std(axis=(0, 2))
    if np.any(std == 0):
        raise ValueError("a channel is constant on the training set; cannot standardise it")

    def apply(X):
        Z = (by_channel(X.astype(np.float64)) - mean[:, None]) / std[:, None]
        return Z.reshape(X.shape[0], -1).astype(dtype)

    out = replace(splits, X_train=apply(splits.X_train), X_val=apply(splits.X_val), X_test=apply(splits.X_test))
    return out, mean, std
