"""Bagged OLS and the Monte Carlo bias/variance estimator against closed forms."""

import numpy as np
import pytest

from nntheory.bagging import bagged_ols_variance, bagged_ols_fit, bias_variance_mc, ols_fit


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
    # Each Monte Carlo variance is compared with its own exact-in-noise value
    # (not with the other estimate: two independent estimates could swap order).
    X = rng.standard_normal((30, 3))
    X_eval = rng.standard_normal((10, 3))
    w = np.array([1.0, -2.0, 0.5])
    n_trials, m = 1500, 10
    exact = bagged_ols_variance(X, X_eval, 1.0, n_subsets=20_000, rng=rng)
    var_bag = exact.ols + exact.excess_one / m + (1 - 1 / m) * exact.excess_inf
    assert var_bag > exact.ols  # bagging cannot beat OLS (Gauss-Markov)
    b_ols, v_ols = bias_variance_mc(lambda X, y, r: ols_fit(X, y), X, w, 1.0, X_eval, n_trials=n_trials, rng=rng)
    b_bag, v_bag = bias_variance_mc(lambda X, y, r: bagged_ols_fit(X, y, n_models=m, rng=r), X, w, 1.0, X_eval, n_trials=n_trials, rng=rng)
    se = np.sqrt(2 / (n_trials - 1))  # relative s.e. of a sample variance (Gaussian predictions)
    assert abs(v_ols / exact.ols - 1) < 4 * se, (v_ols, exact.ols)
    assert abs(v_bag / var_bag - 1) < 4 * se + 4 * exact.excess_one_se / var_bag, (v_bag, var_bag)
    # squared bias: its Monte Carlo estimate has mean variance / n_trials when the estimator is unbiased
    assert b_ols < 10 * v_ols / n_trials and b_bag < 10 * v_bag / n_trials


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


def test_bagged_ols_variance_against_enumerated_subsets(rng):
    """D_1 and D_inf against the exact averages over all C(7, 5) = 21 subsets (5 standard errors)."""
    from itertools import combinations

    from nntheory.bagging import bagged_ols_variance

    X = rng.standard_normal((7, 2))
    X_eval = rng.standard_normal((4, 2))
    sigma = 0.8
    A = np.linalg.pinv(X)
    Bs = []
    for S in combinations(range(7), 5):
        AS = np.zeros((2, 7))
        AS[:, S] = np.linalg.pinv(X[list(S)])
        Bs.append(AS - A)
    Bs = np.array(Bs)  # (21, 2, 7)
    d1 = sigma**2 * np.mean([((X_eval @ B) ** 2).sum(axis=1).mean() for B in Bs])
    dinf = sigma**2 * ((X_eval @ Bs.mean(axis=0)) ** 2).sum(axis=1).mean()
    ols = sigma**2 * np.einsum("ij,jk,ik->i", X_eval, np.linalg.inv(X.T @ X), X_eval).mean()
    res = bagged_ols_variance(X, X_eval, sigma, subset_fraction=5 / 7, n_subsets=40_000, rng=rng)
    np.testing.assert_allclose(res.ols, ols, rtol=1e-12)
    assert abs(res.excess_one - d1) < 5 * res.excess_one_se, (res.excess_one, d1, res.excess_one_se)
    assert abs(res.excess_inf - dinf) < 5 * res.excess_inf_se, (res.excess_inf, dinf, res.excess_inf_se)
    assert dinf > 0 and d1 > dinf  # the enumeration itself: one member is worse than the infinite ensemble


def test_bagged_ols_variance_against_noise_monte_carlo(rng):
    """Var_m of the formula against the Monte Carlo variance over label noise of bagged_ols_fit (m = 3; 5 standard errors)."""
    from nntheory.bagging import bagged_ols_variance

    X = rng.standard_normal((15, 2))
    X_eval = rng.standard_normal((5, 2))
    w = np.array([1.0, -1.0])
    n = 6000
    res = bagged_ols_variance(X, X_eval, 1.0, n_subsets=20_000, rng=rng)
    preds = np.array([X_eval @ bagged_ols_fit(X, X @ w + rng.standard_normal(15), n_models=3, rng=rng) for _ in range(n)])
    q = ((preds - preds.mean(axis=0)) ** 2).mean(axis=1)  # per-trial contribution to the mean variance, (n,)
    se = np.hypot(q.std(ddof=1) / np.sqrt(n), res.excess_se(3))
    assert abs(q.mean() * n / (n - 1) - res.variance(3)) < 5 * se


def test_bagged_ols_variance_full_subsets_and_bad_input(rng):
    from nntheory.bagging import bagged_ols_variance

    X = rng.standard_normal((10, 3))
    res = bagged_ols_variance(X, X, 1.0, subset_fraction=1.0, n_subsets=100, n_groups=2, rng=rng)
    assert abs(res.excess_one) < 1e-20 and abs(res.excess_inf) < 1e-20
    assert res.variance(np.inf) == res.ols + res.excess_inf
    with pytest.raises(ValueError, match="n_models"):
        res.excess(0.5)
    with pytest.raises(ValueError, match="subset_fraction"):
        bagged_ols_variance(X, X, 1.0, subset_fraction=0.0, rng=rng)
    with pytest.raises(ValueError, match="noise_std"):
        bagged_ols_variance(X, X, -1.0, rng=rng)
    with pytest.raises(ValueError, match="n_subsets"):
        bagged_ols_variance(X, X, 1.0, n_subsets=3, rng=rng)
    with pytest.raises(ValueError, match="multiple of n_groups"):
        bagged_ols_variance(X, X, 1.0, n_subsets=45, n_groups=20, rng=rng)  # would silently use 40
    with pytest.raises(ValueError, match="full column rank"):
        bagged_ols_variance(X, X, 1.0, subset_fraction=0.2, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        bagged_ols_variance(X, X, 1.0, rng=0)


def test_arguments_are_checked(rng):
    X, y = rng.standard_normal((6, 2)), rng.standard_normal(6)
    np.testing.assert_allclose(bagged_ols_fit(X, y, n_models=np.int64(3), subset_fraction=np.float32(0.8), rng=np.random.default_rng(1)),
                               bagged_ols_fit(X, y, n_models=3, subset_fraction=0.8, rng=np.random.default_rng(1)))  # numpy scalars
    with pytest.raises(TypeError, match="^n_models must be an integer"):
        bagged_ols_fit(X, y, n_models=2.5, rng=rng)
    with pytest.raises(ValueError, match="^X must have full column rank 2, got rank 1"):
        ols_fit(np.ones((5, 2)), np.ones(5))  # lstsq would return a minimum-norm answer silently
    with pytest.raises(ValueError, match="^every subset of the rows of X must have full column rank"):
        bagged_ols_fit(np.vstack([np.ones((4, 2)), np.eye(2)]), np.ones(6), n_models=50, subset_fraction=0.5, rng=rng)
    with pytest.raises(ValueError, match="^y must be finite"):
        ols_fit(X, np.full(6, np.nan))
    with pytest.raises(ValueError, match=r"^fit must return weights of shape \(2,\)"):
        bias_variance_mc(lambda X, y, r: np.ones(3), X, np.ones(2), 0.5, X, n_trials=2, rng=rng)
    with pytest.raises(ValueError, match="^noise_std must be a finite number"):
        bias_variance_mc(lambda X, y, r: ols_fit(X, y), X, np.ones(2), float("inf"), X, n_trials=2, rng=rng)
