"""Bagged OLS and the Monte Carlo bias/variance estimator against closed forms."""

import numpy as np
import pytest

from nntheory.bagging import bagged_ols_fit, bias_variance_mc, ols_fit


def test_ols_against_normal_equations(rng):
    X = rng.standard_normal((20, 3))
    y = rng.standard_normal(20)
    np.testing.assert_allclose(ols_fit(X, y), np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-10)


def test_bagged_with_full_subsets_is_ols(rng):
    X = rng.standard_normal((15, 3))
    y = rng.standard_normal(15)
    np.testing.assert_allclose(bagged_ols_fit(X, y, n_models=4, subset_fraction=1.0, rng=rng), ols_fit(X, y), rtol=1e-10)


def test_bias_variance_of_ols_against_closed_form(rng):
    """OLS: bias 0, prediction variance sigma^2 x^T (X^T X)^{-1} x averaged over X_eval (6 standard errors)."""
    X = rng.standard_normal((25, 3))
    X_eval = rng.standard_normal((10, 3))
    w = np.array([1.0, -2.0, 0.5])
    sigma, n = 0.7, 4000
    bias2, var = bias_variance_mc(lambda X, y, r: ols_fit(X, y), X, w, sigma, X_eval, n_trials=n, rng=rng)
    exact = sigma**2 * np.einsum("ij,jk,ik->i", X_eval, np.linalg.inv(X.T @ X), X_eval).mean()
    # Sample variance of a Gaussian has relative standard error sqrt(2/(n-1)).
    assert abs(var - exact) < 6 * exact * np.sqrt(2 / (n - 1))
    # Squared bias of an unbiased estimator estimated from n trials is about var/n.
    assert bias2 < 10 * exact / n


def test_bagged_is_unbiased_and_no_better_than_ols(rng):
    X = rng.standard_normal((30, 3))
    X_eval = rng.standard_normal((10, 3))
    w = np.array([1.0, -2.0, 0.5])
    b_ols, v_ols = bias_variance_mc(lambda X, y, r: ols_fit(X, y), X, w, 1.0, X_eval, n_trials=1500, rng=rng)
    b_bag, v_bag = bias_variance_mc(lambda X, y, r: bagged_ols_fit(X, y, n_models=10, rng=r), X, w, 1.0, X_eval, n_trials=1500, rng=rng)
    assert b_bag < 10 * v_bag / 1500
    assert v_bag > v_ols


def test_bad_input(rng):
    X = rng.standard_normal((5, 3))
    with pytest.raises(ValueError, match="n_samples >= n_features"):
        ols_fit(X[:2], np.zeros(2))
    with pytest.raises(ValueError, match="n_models"):
        bagged_ols_fit(X, np.zeros(5), n_models=0, rng=rng)
    with pytest.raises(ValueError, match="subset_fraction"):
        bagged_ols_fit(X, np.zeros(5), n_models=2, subset_fraction=0.0, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        bagged_ols_fit(X, np.zeros(5), n_models=2, rng=None)
    with pytest.raises(ValueError, match="w_true"):
        bias_variance_mc(lambda X, y, r: ols_fit(X, y), X, np.zeros(2), 1.0, X, n_trials=3, rng=rng)
    with pytest.raises(ValueError, match="n_trials"):
        bias_variance_mc(lambda X, y, r: ols_fit(X, y), X, np.zeros(3), 1.0, X, n_trials=1, rng=rng)
