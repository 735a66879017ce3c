r"""Dropout on linear regression: the expected loss is a data-dependent L2 penalty.

The tnn-9 sheet's model drops each input feature of each sample
independently, keeping it with probability :math:`p` (``p_keep``), and the
loss is

.. math::

   J(w; R) = \sum_{i=1}^{N} \Big(y_i - \sum_{j=1}^{d} w_j R_{ij} x_{ij}\Big)^2,
   \qquad R_{ij} \sim \mathrm{Bernoulli}(p) \text{ i.i.d.}

Its expectation over the masks is

.. math::

   \E_R[J] = \|y - p X w\|^2 + p(1-p)\, w^\top \Gamma w,
   \qquad \Gamma = \operatorname{diag}(X^\top X),

minimised by :math:`w^\star = (p X^\top X + (1-p)\Gamma)^{-1} X^\top y`.
At test time the standard-dropout network predicts :math:`p\, w^{\star\top} x`,
and :math:`\tilde w = p w^\star = (X^\top X + \tfrac{1-p}{p}\Gamma)^{-1} X^\top y`
is a ridge regression whose penalty on :math:`w_j` is proportional to
:math:`\sum_i x_{ij}^2`.
"""

from __future__ import annotations

import numpy as np

from nntheory import _checks

__all__ = ["dropout_loss_sample", "dropout_loss_expected", "dropout_ridge_solution"]


def _check(w, X, y, p_keep, need_w=True):
    X = _checks.check_array(X, "X", ndim=2, dtype=np.float64)
    y = _checks.check_array(y, "y", ndim=1, dtype=np.float64)
    _checks.check_same_length({"X": X, "y": y})
    if need_w:
        w = _checks.check_array(w, "w", ndim=1, dtype=np.float64)
        if w.shape != (X.shape[1],):
            raise ValueError(f"w must have one weight per column of X, shape ({X.shape[1]},), got {w.shape}")
    p = _checks.check_real(p_keep, "p_keep", low=0, high=1, low_open=True)  # numpy scalars accepted
    return w, X, y, p


def dropout_loss_sample(w: np.ndarray, X: np.ndarray, y: np.ndarray, p_keep: float, *, rng: np.random.Generator, n_masks: int = 1) -> np.ndarray:
    """The sheet's dropout loss :math:`J(w; R)` for ``n_masks`` random masks.

    Parameters
    ----------
    w : numpy.ndarray, shape (n_features,)
    X : numpy.ndarray, shape (n_samples, n_features)
    y : numpy.ndarray, shape (n_samples,)
    p_keep : float in (0, 1]
        Keep probability :math:`p` of every :math:`R_{ij}`.
    rng : numpy.random.Generator
    n_masks : int, default 1
        Number of independent masks :math:`R` (each of shape
        ``(n_samples, n_features)``).

    Returns
    -------
    numpy.ndarray, shape (n_masks,)
        :math:`J(w; R^{(s)})` (a sum, not a mean, over samples).
    """
    w, X, y, p = _check(w, X, y, p_keep)
    _checks.check_rng(rng, "rng")
    n_masks = _checks.check_int(n_masks, "n_masks", low=1)
    R = rng.random((n_masks, *X.shape)) < p  # (n_masks, n_samples, n_features)
    residual = y - (R * X) @ w  # (n_masks, n_samples)
    return (residual**2).sum(axis=1)


def dropout_loss_expected(w: np.ndarray, X: np.ndarray, y: np.ndarray, p_keep: float) -> float:
    """Closed form of :math:`\\E_R[J(w; R)] = \\|y - pXw\\|^2 + p(1-p)\\sum_j w_j^2 \\sum_i x_{ij}^2`.

    Parameters
    ----------
    w : numpy.ndarray, shape (n_features,)
    X : numpy.ndarray, shape (n_samples, n_features)
    y : numpy.ndarray, shape (n_samples,)
    p_keep : float in (0, 1]

    Returns
    -------
    float
    """
    w, X, y, p = _check(w, X, y, p_keep)
    gamma = (X**2).sum(axis=0)  # diag(X^T X), (n_features,)
    return float(((y - p * X @ w) ** 2).sum() + p * (1 - p) * (gamma * w**2).sum())


def dropout_ridge_solution(X: np.ndarray, y: np.ndarray, p_keep: float) -> np.ndarray:
    """Minimiser :math:`w^\\star = (pX^\\top X + (1-p)\\,\\mathrm{diag}(X^\\top X))^{-1} X^\\top y` of the expected loss.

    Parameters
    ----------
    X : numpy.ndarray, shape (n_samples, n_features)
    y : numpy.ndarray, shape (n_samples,)
    p_keep : float in (0, 1]

    Returns
    -------
    numpy.ndarray, shape (n_features,)
        The weights used *during training*; the test-time predictor of
        standard dropout is :math:`p\\, w^{\\star\\top} x`.
    """
    _, X, y, p = _check(None, X, y, p_keep, need_w=False)
    zero = np.flatnonzero(~X.any(axis=0))
    if zero.size:  # diag(X^T X) has a zero: the minimiser is not unique
        raise ValueError(f"X has an all-zero column {int(zero[0])}; its weight is not determined")
    G = X.T @ X
    A = p * G + (1 - p) * np.diag(np.diag(G))
    return np.linalg.solve(A, X.T @ y)
