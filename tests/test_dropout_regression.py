"""Dropout on linear regression: the expected-loss identity and its minimiser."""

import numpy as np
import pytest
import torch

from nntheory.dropout_regression import dropout_loss_expected, dropout_loss_sample, dropout_ridge_solution


def _problem(rng, n=30, d=4):
    X = rng.standard_normal((n, d)) * np.array([0.5, 1.0, 2.0, 3.0])[:d]
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    return X, y


def test_expected_loss_monte_carlo(rng):
    """Mean of J over 200k masks matches the closed form within 5 standard errors."""
    X, y = _problem(rng)
    w = rng.standard_normal(4)
    samples = dropout_loss_sample(w, X, y, 0.6, rng=rng, n_masks=200000)
    stderr = samples.std() / np.sqrt(samples.size)
    assert abs(samples.mean() - dropout_loss_expected(w, X, y, 0.6)) < 5 * stderr


def test_closed_form_against_lstsq_on_augmented_problem(rng):
    """E[J] = ||y - pXw||^2 + ||sqrt(p(1-p)) Gamma^{1/2} w||^2 is least squares in the stacked design."""
    X, y = _problem(rng)
    p = 0.7
    gamma = (X**2).sum(0)
    A = np.vstack([p * X, np.diag(np.sqrt(p * (1 - p) * gamma))])
    b = np.concatenate([y, np.zeros(X.shape[1])])
    w_lstsq = np.linalg.lstsq(A, b, rcond=None)[0]
    np.testing.assert_allclose(dropout_ridge_solution(X, y, p), w_lstsq, rtol=1e-10, atol=1e-12)


def test_closed_form_against_autograd_minimisation(rng):
    """Gradient descent (torch.optim.LBFGS) on the expected loss, written independently in torch."""
    X, y = _problem(rng)
    p = 0.5
    Xt, yt = torch.tensor(X), torch.tensor(y)
    w = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=200, tolerance_grad=1e-14, tolerance_change=1e-16, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        # E over masks of the per-sample residual, elementwise: mean p*x*w, variance p(1-p) x^2 w^2.
        loss = ((yt - p * Xt @ w) ** 2).sum() + (p * (1 - p) * Xt**2 * w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(dropout_ridge_solution(X, y, p), w.detach().numpy(), rtol=1e-8, atol=1e-10)


def test_p_keep_one_is_ols(rng):
    X, y = _problem(rng)
    np.testing.assert_allclose(dropout_ridge_solution(X, y, 1.0), np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-10)
    w = rng.standard_normal(4)
    assert dropout_loss_expected(w, X, y, 1.0) == pytest.approx(((y - X @ w) ** 2).sum())


def test_bad_input(rng):
    X, y = _problem(rng)
    with pytest.raises(ValueError, match="p_keep"):
        dropout_ridge_solution(X, y, 0.0)
    with pytest.raises(ValueError, match="y must"):
        dropout_ridge_solution(X, y[:-1], 0.5)
    with pytest.raises(ValueError, match="w must"):
        dropout_loss_expected(np.zeros(3), X, y, 0.5)
    with pytest.raises(TypeError, match="rng"):
        dropout_loss_sample(np.zeros(4), X, y, 0.5, rng=1)
    with pytest.raises(ValueError, match="X must"):
        dropout_ridge_solution(np.zeros(5), y, 0.5)


def test_arguments_are_checked():
    X, y = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]]), np.array([1.0, 0.0, -1.0])
    np.testing.assert_allclose(dropout_ridge_solution(X, y, np.float32(0.5)), dropout_ridge_solution(X, y, 0.5), rtol=1e-6)  # numpy scalars
    with pytest.raises(ValueError, match=r"^p_keep must be a number > 0 and <= 1"):
        dropout_ridge_solution(X, y, 1.5)
    with pytest.raises(ValueError, match="^p_keep must be a finite number"):
        dropout_loss_expected(np.ones(2), X, y, float("nan"))
    with pytest.raises(TypeError, match="^w must be a numpy array"):
        dropout_loss_expected(None, X, y, 0.5)  # used to be taken as "no w"
    with pytest.raises(ValueError, match=r"^w must have one weight per column of X, shape \(2,\)"):
        dropout_loss_sample(np.ones(3), X, y, 0.5, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="^n_masks must be an integer"):
        dropout_loss_sample(np.ones(2), X, y, 0.5, rng=np.random.default_rng(0), n_masks=2.5)
    with pytest.raises(ValueError, match="^X has an all-zero column 1"):
        dropout_ridge_solution(np.array([[1.0, 0.0], [2.0, 0.0]]), np.ones(2), 0.5)
    with pytest.raises(ValueError, match="^y must be finite"):
        dropout_ridge_solution(X, np.array([1.0, np.nan, 0.0]), 0.5)
