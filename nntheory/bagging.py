r"""Bagging ordinary least squares, and Monte Carlo bias and variance of an estimator.

A bagged OLS estimator averages :math:`m` OLS fits, each on a random subset
of the training rows:

.. math::

   \hat w_{\text{bag}} = \frac1m \sum_{k=1}^m (X_{S_k}^\top X_{S_k})^{-1} X_{S_k}^\top y_{S_k}.

For fixed subsets it is linear in :math:`y` and unbiased, so by the
Gauss–Markov theorem its variance is at least that of OLS on all rows.
:func:`bias_variance_mc` measures both by Monte Carlo over the label noise
(and over the estimator's own randomness) at a fixed design;
:func:`bagged_ols_variance` gives the prediction variance of an ensemble of
any size without label noise, from the two subset averages that determine it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from nntheory import _checks

__all__ = ["ols_fit", "bagged_ols_fit", "bias_variance_mc", "BaggedOLSVariance", "bagged_ols_variance"]


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

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of numbers.
    ValueError
        If they are empty, not finite, of different lengths, or ``X`` has
        fewer rows than columns or is rank deficient.
    """
    X, y = _check_design(X, y)
    return _ols(X, y, "X")


def _check_design(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = _checks.check_array(X, "X", ndim=2, dtype=np.float64)
    y = _checks.check_array(y, "y", ndim=1, dtype=np.float64)
    _checks.check_same_length({"X": X, "y": y})
    if X.shape[0] < X.shape[1]:
        raise ValueError(f"OLS needs n_samples >= n_features, got X of shape {X.shape}")
    return X, y


def _ols(X: np.ndarray, y: np.ndarray, what: str) -> np.ndarray:
    """Least squares, refusing a rank-deficient design (lstsq would return its minimum-norm solution silently)."""
    w, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    if rank < X.shape[1]:
        raise ValueError(f"{what} must have full column rank {X.shape[1]}, got rank {rank}: the OLS solution is not unique")
    return w


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

    Raises
    ------
    TypeError
        If an argument has the wrong kind (``n_models=2.5`` is refused;
        numpy scalars are accepted).
    ValueError
        As in :func:`ols_fit`, for values out of range, or if a subset has
        fewer rows than ``X`` has columns or is rank deficient.
    """
    X, y = _check_design(X, y)
    n_models = _checks.check_int(n_models, "n_models", low=1)
    subset_fraction = _checks.check_real(subset_fraction, "subset_fraction", low=0, high=1, low_open=True)
    _checks.check_rng(rng, "rng")
    n = X.shape[0]
    size = int(round(subset_fraction * n))
    if size < X.shape[1]:
        raise ValueError(f"subset_fraction={subset_fraction} gives subsets of {size} rows, fewer than the {X.shape[1]} columns of X")
    what = "every subset of the rows of X"
    fits = [_ols(X[idx], y[idx], what) for idx in (rng.choice(n, size=size, replace=False) for _ in range(n_models))]
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

    Raises
    ------
    TypeError
        If ``fit`` is not callable or an argument has the wrong kind.
    ValueError
        If arrays are empty, not finite or of mismatched shapes, a value is
        out of range, or ``fit`` fails or returns weights of another shape.
    """
    _checks.check_callable(fit, "fit")
    X = _checks.check_array(X, "X", ndim=2, dtype=np.float64)
    d = X.shape[1]
    w_true = _checks.check_array(w_true, "w_true", ndim=1, dtype=np.float64)
    if w_true.shape != (d,):
        raise ValueError(f"w_true must have one weight per column of X, shape ({d},), got {w_true.shape}")
    noise_std = _checks.check_real(noise_std, "noise_std", low=0)
    X_eval = _check_eval(X_eval, d)
    n_trials = _checks.check_int(n_trials, "n_trials", low=2)
    _checks.check_rng(rng, "rng")
    preds = np.empty((n_trials, X_eval.shape[0]))  # (n_trials, n_eval)
    for t in range(n_trials):
        y = X @ w_true + noise_std * rng.standard_normal(X.shape[0])
        w = _checks.call_on_trial(fit, X, y, rng, what="fit(X, y, rng)")
        if np.shape(w) != (d,):
            raise ValueError(f"fit must return weights of shape ({d},), got shape {np.shape(w)}")
        preds[t] = X_eval @ w
    bias2 = float(((preds.mean(axis=0) - X_eval @ w_true) ** 2).mean())
    variance = float(preds.var(axis=0, ddof=1).mean())
    return bias2, variance


@dataclass(frozen=True)
class BaggedOLSVariance:
    r"""Prediction variance of OLS and of bagged OLS ensembles at a fixed design.

    With :math:`A = (X^\top X)^{-1}X^\top` (OLS on all rows) and
    :math:`B_S = A_S - A` for a random subset :math:`S` (:math:`A_S` is OLS on
    the rows :math:`S`, zero in the other columns), the ensemble of :math:`m`
    members on independent subsets has mean prediction variance

    .. math::

       \operatorname{Var}_m = V_{\text{OLS}} + \frac{D_1}{m} + \Big(1 - \frac1m\Big) D_\infty,
       \qquad
       D_1 = \sigma^2\, \E_S \overline{\|B_S^\top x\|^2},
       \quad
       D_\infty = \sigma^2\, \overline{\|(\E_S B_S)^\top x\|^2},

    where the bar is the mean over the evaluation inputs :math:`x`.

    Attributes
    ----------
    ols : float
        :math:`V_{\text{OLS}} = \sigma^2\,\overline{x^\top (X^\top X)^{-1} x}`, exact.
    excess_one, excess_one_se : float
        :math:`D_1` (excess variance of one member over OLS) and its Monte
        Carlo standard error over the random subsets.
    excess_inf, excess_inf_se : float
        :math:`D_\infty` (excess of the infinite ensemble) and its standard
        error; estimated without bias (a U-statistic over pairs of subsets).
    """

    ols: float
    excess_one: float
    excess_one_se: float
    excess_inf: float
    excess_inf_se: float

    def excess(self, n_models: float | np.ndarray) -> float | np.ndarray:
        r""":math:`D_1/m + (1 - 1/m) D_\infty`, the ensemble's variance minus OLS's (``n_models`` may be an array or ``inf``)."""
        m = _check_sizes(n_models)
        out = self.excess_inf + (self.excess_one - self.excess_inf) / m
        return float(out) if out.ndim == 0 else out

    def excess_se(self, n_models: float | np.ndarray) -> float | np.ndarray:
        r"""Standard error of :meth:`excess` (the two subset averages' errors added: an upper bound whatever their correlation)."""
        m = _check_sizes(n_models)
        out = self.excess_one_se / m + (1 - 1 / m) * self.excess_inf_se
        return float(out) if out.ndim == 0 else out

    def variance(self, n_models: float | np.ndarray) -> float | np.ndarray:
        r""":math:`\operatorname{Var}_m = V_{\text{OLS}} + D_1/m + (1 - 1/m) D_\infty`."""
        return self.ols + self.excess(n_models)


def _check_eval(X_eval, d: int) -> np.ndarray:
    X_eval = _checks.check_array(X_eval, "X_eval", ndim=2, dtype=np.float64)
    if X_eval.shape[1] != d:
        raise ValueError(f"X_eval must have the {d} columns of X, got shape {X_eval.shape}")
    return X_eval


def _check_sizes(n_models) -> np.ndarray:
    """Ensemble sizes: numbers >= 1 (``inf`` allowed), any shape."""
    m = _checks.check_array(n_models, "n_models", kind="real", finite=False, dtype=None).astype(np.float64)
    if np.any(np.isnan(m)) or np.any(m < 1):
        raise ValueError(f"n_models must be >= 1 (inf allowed), got {n_models!r}")
    return m


def bagged_ols_variance(X: np.ndarray, X_eval: np.ndarray, noise_std: float, *, subset_fraction: float = 2 / 3, n_subsets: int = 200_000, n_groups: int = 20, rng: np.random.Generator) -> BaggedOLSVariance:
    r"""Prediction variance of bagged OLS of every ensemble size, from random subsets.

    The label noise enters in closed form (:math:`\sigma^2` times a quadratic
    form); only the expectations over the random subsets (drawn as in
    :func:`bagged_ols_fit`) are Monte Carlo averages, over ``n_subsets``
    subsets split into ``n_groups`` groups whose spread gives the standard
    errors. :math:`D_\infty = \sigma^2\overline{\|(\E_S B_S)^\top x\|^2}` is
    estimated within each group by the unbiased
    :math:`\frac{1}{K(K-1)}\sum_{k \ne l}\sigma^2\overline{\langle B_k^\top x, B_l^\top x\rangle}`
    (squaring the mean of :math:`B_k` would add :math:`(D_1 - D_\infty)/K`).

    Parameters
    ----------
    X : numpy.ndarray, shape (n_samples, n_features)
        Design; every subset must have full column rank.
    X_eval : numpy.ndarray, shape (n_eval, n_features)
        Inputs at which predictions are evaluated.
    noise_std : float
        :math:`\sigma`.
    subset_fraction : float in (0, 1], default 2/3
    n_subsets : int, default 200000
    n_groups : int, default 20
        At least 2; ``n_subsets`` must be a multiple of ``n_groups`` with at
        least 2 subsets per group (a ``ValueError`` otherwise, rather than
        silently dropping the remainder).
    rng : numpy.random.Generator

    Returns
    -------
    BaggedOLSVariance
    """
    X = _checks.check_array(X, "X", ndim=2, dtype=np.float64)
    X_eval = _check_eval(X_eval, X.shape[1])
    subset_fraction = _checks.check_real(subset_fraction, "subset_fraction", low=0, high=1, low_open=True)
    noise_std = _checks.check_real(noise_std, "noise_std", low=0)
    n_groups = _checks.check_int(n_groups, "n_groups", low=2)
    n_subsets = _checks.check_int(n_subsets, "n_subsets", low=2 * n_groups)
    if n_subsets % n_groups:
        raise ValueError(f"n_subsets must be a multiple of n_groups = {n_groups}, got {n_subsets}")
    _checks.check_rng(rng, "rng")
    n, d = X.shape
    size = int(round(subset_fraction * n))
    if size < d:
        raise ValueError(f"subsets of {size} rows cannot have full column rank {d}")
    A = np.linalg.pinv(X)  # OLS map (d, n)
    M = noise_std**2 * X_eval.T @ X_eval / X_eval.shape[0]  # sigma^2 * mean of x x^T, (d, d)
    ols = float(np.einsum("ij,ji->", M, np.linalg.inv(X.T @ X)))
    k = n_subsets // n_groups
    one, inf = np.empty(n_groups), np.empty(n_groups)
    for g in range(n_groups):
        idx = np.argsort(rng.random((k, n)), axis=1)[:, :size]  # k uniform random subsets, (k, size)
        XS = X[idx]  # (k, size, d)
        try:
            AS = np.linalg.solve(XS.transpose(0, 2, 1) @ XS, XS.transpose(0, 2, 1))  # (k, d, size)
        except np.linalg.LinAlgError:
            raise ValueError(f"a random subset of {size} rows of X is rank deficient; every subset must have full column rank {d}") from None
        B = np.zeros((k, d, n))
        B[np.arange(k)[:, None, None], np.arange(d)[None, :, None], idx[:, None, :]] = AS
        B -= A  # B_S = A_S - A, (k, d, n)
        q = np.einsum("ij,kil,kjl->k", M, B, B)  # sigma^2 mean_x |B_S^T x|^2 per subset, (k,)
        S = B.sum(axis=0)  # (d, n)
        one[g] = q.mean()
        inf[g] = (np.einsum("ij,il,jl->", M, S, S) - q.sum()) / (k * (k - 1))
    return BaggedOLSVariance(ols=ols, excess_one=float(one.mean()), excess_one_se=float(one.std(ddof=1) / np.sqrt(n_groups)),
                             excess_inf=float(inf.mean()), excess_inf_se=float(inf.std(ddof=1) / np.sqrt(n_groups)))
