r"""Bagging ordinary least squares, and Monte Carlo bias and variance of an estimator.

A bagged OLS estimator averages :math:`m` OLS fits, each on a random subset
of the training rows:

.. math::

   \hat w_{\text{bag}} = \frac1m \sum_{k=1}^m (X_{S_k}^\top X_{S_k})^{-1} X_{S_k}^\top y_{S_k}.

For fixed subsets it is linear in :math:`y` and unbiased, so by the
Gauss–Markov theorem its variance is at least that of OLS on all rows.
:func:`bias_variance_mc` measures both by Monte Carlo over the label noise
(and over the estimator's own randomness) at a fixed design.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["ols_fit", "bagged_ols_fit", "bias_variance_mc"]


def ols_fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ordinary least squares :math:`\\hat w = \\arg\\min_w \\|y - Xw\\|^2`.

    Parameters
    ----------
    X : numpy.ndarray, shape (n_samples, n_features)
        Must have full column rank.
    y : numpy.ndarray, shape (n_samples,)

    Returns
    -------
    numpy.ndarray, shape (n_features,)
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n_samples, n_features) and y (n_samples,), got {X.shape} and {y.shape}")
    if X.shape[0] < X.shape[1]:
        raise ValueError(f"OLS needs n_samples >= n_features, got X of shape {X.shape}")
    return np.linalg.lstsq(X, y, rcond=None)[0]


def bagged_ols_fit(X: np.ndarray, y: np.ndarray, *, n_models: int, subset_fraction: float = 2 / 3, rng: np.random.Generator) -> np.ndarray:
    """Average of ``n_models`` OLS fits, each on a random subset of the rows.

    Each subset is drawn without replacement and has
    ``round(subset_fraction * n_samples)`` rows: a bootstrap sample "ignoring
    duplicates" contains about :math:`1 - e^{-1} \\approx 0.63` of the rows,
    the tnn-9 sheet's "approximately 2/3".

    Parameters
    ----------
    X : numpy.ndarray, shape (n_samples, n_features)
    y : numpy.ndarray, shape (n_samples,)
    n_models : int
        Ensemble size :math:`m`.
    subset_fraction : float in (0, 1], default 2/3
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n_features,)
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if not isinstance(n_models, int) or n_models < 1:
        raise ValueError(f"n_models must be a positive int, got {n_models!r}")
    if not 0.0 < subset_fraction <= 1.0:
        raise ValueError(f"subset_fraction must be in (0, 1], got {subset_fraction!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n = X.shape[0]
    size = int(round(subset_fraction * n))
    fits = [ols_fit(X[idx], y[idx]) for idx in (rng.choice(n, size=size, replace=False) for _ in range(n_models))]
    return np.mean(fits, axis=0)


def bias_variance_mc(fit: Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray], X: np.ndarray, w_true: np.ndarray, noise_std: float, X_eval: np.ndarray, *, n_trials: int, rng: np.random.Generator) -> tuple[float, float]:
    """Monte Carlo squared bias and variance of an estimator's predictions.

    Draws ``n_trials`` label vectors :math:`y = Xw_{\\text{true}} + \\sigma\\varepsilon`
    at the fixed design ``X``, fits each with ``fit(X, y, rng)``, and returns,
    averaged over the rows :math:`x` of ``X_eval``,
    :math:`(\\bar f(x) - x^\\top w_{\\text{true}})^2` and the sample variance of
    :math:`\\hat f(x) = x^\\top \\hat w`.

    Parameters
    ----------
    fit : callable ``(X, y, rng) -> w``
        The estimator; it may use ``rng`` for its own randomness.
    X : numpy.ndarray, shape (n_samples, n_features)
    w_true : numpy.ndarray, shape (n_features,)
    noise_std : float
    X_eval : numpy.ndarray, shape (n_eval, n_features)
    n_trials : int
    rng : numpy.random.Generator

    Returns
    -------
    bias2 : float
    variance : float
    """
    X = np.asarray(X, dtype=float)
    w_true = np.asarray(w_true, dtype=float)
    if w_true.shape != (X.shape[1],):
        raise ValueError(f"w_true must have shape ({X.shape[1]},), got {w_true.shape}")
    if not isinstance(n_trials, int) or n_trials < 2:
        raise ValueError(f"n_trials must be an int >= 2, got {n_trials!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    preds = np.empty((n_trials, X_eval.shape[0]))  # (n_trials, n_eval)
    for t in range(n_trials):
        y = X @ w_true + noise_std * rng.standard_normal(X.shape[0])
        preds[t] = X_eval @ fit(X, y, rng)
    bias2 = float(((preds.mean(axis=0) - X_eval @ w_true) ** 2).mean())
    variance = float(preds.var(axis=0, ddof=1).mean())
    return bias2, variance
