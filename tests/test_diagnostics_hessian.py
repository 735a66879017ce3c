"""Hessians, Hessian-vector products and curvature estimates against independent oracles."""

import numpy as np
import pytest
import torch

from nntheory.diagnostics import condition_number, flat_loss, hessian_matrix, hvp, top_eigenvalue


def _quadratic(generator, n=6):
    Q = torch.randn(n, n, generator=generator, dtype=torch.float64)
    A = Q @ Q.T + 0.1 * torch.eye(n, dtype=torch.float64)
    b = torch.randn(n, generator=generator, dtype=torch.float64)
    return A, b, (lambda th: 0.5 * th @ A @ th - b @ th)


def test_hessian_of_quadratic_is_A(generator):
    A, _, f = _quadratic(generator)
    theta = torch.randn(6, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(hessian_matrix(f, theta), A, rtol=1e-12, atol=1e-12)
    v = torch.randn(6, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(hvp(f, theta, v), A @ v, rtol=1e-12, atol=1e-12)


def _small_net(generator):
    X = torch.randn(15, 3, generator=generator, dtype=torch.float64)
    y = torch.randn(15, 1, generator=generator, dtype=torch.float64)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
    return model, X, y


def test_model_hessian_matches_autograd_functional(generator):
    model, X, y = _small_net(generator)
    f, theta = flat_loss(model, torch.nn.MSELoss(), X, y)
    assert theta.shape == (sum(p.numel() for p in model.parameters()),)
    assert f(theta).item() == pytest.approx(torch.nn.MSELoss()(model(X), y).item(), rel=1e-14)
    ref = torch.autograd.functional.hessian(f, theta)
    H = hessian_matrix(f, theta)
    torch.testing.assert_close(H, ref, rtol=1e-10, atol=1e-12)
    v = torch.randn(theta.shape, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(hvp(f, theta, v), ref @ v, rtol=1e-10, atol=1e-12)


def test_top_eigenvalue_and_condition_number(generator):
    model, X, y = _small_net(generator)
    f, theta = flat_loss(model, torch.nn.MSELoss(), X, y)
    eig = np.linalg.eigvalsh(torch.autograd.functional.hessian(f, theta).numpy())
    lam, vec = top_eigenvalue(f, theta, generator=generator, n_iter=2000, tol=1e-13)
    top = eig[np.argmax(np.abs(eig))]
    assert lam == pytest.approx(top, rel=1e-6)
    assert vec.norm().item() == pytest.approx(1.0)
    H = np.diag([4.0, -0.5, 2.0])
    assert condition_number(torch.tensor(H)) == pytest.approx(8.0)
    assert condition_number(np.diag([1.0, 0.0])) == float("inf")


def test_bad_input(generator):
    _, _, f = _quadratic(generator)
    with pytest.raises(ValueError, match="theta"):
        hessian_matrix(f, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="v must"):
        hvp(f, torch.zeros(6, dtype=torch.float64), torch.zeros(5, dtype=torch.float64))
    with pytest.raises(ValueError, match="square"):
        condition_number(torch.zeros(2, 3))
