"""Newton's method for tanh MLPs: the closed-form Hessian against torch.func, convergence, bad input."""

import numpy as np
import pytest
import torch
from torch.func import grad, hessian

from nntheory.newton import mlp_loss_grad_hessian, mlp_mse, newton_refine
from nntheory.sweep import init_mlp


def _flat_loss(X, Y, d, M, k):
    """The mean squared error as a function of one flat parameter vector (independent forward pass)."""
    def loss(theta):
        W1, b1, W2, b2 = torch.split(theta, (d * M, M, M * k, k))
        return ((torch.tanh(X @ W1.reshape(d, M) + b1) @ W2.reshape(M, k) + b2 - Y) ** 2).mean()
    return loss


@pytest.mark.parametrize("N, d, k, M", [(13, 4, 3, 5), (7, 2, 1, 1), (20, 3, 2, 9)])
def test_hessian_against_autograd(generator, N, d, k, M):
    B = 3
    X = torch.randn(N, d, generator=generator, dtype=torch.float64)
    Y = torch.randn(N, k, generator=generator, dtype=torch.float64)
    W = [torch.randn(B, *shape, generator=generator, dtype=torch.float64) for shape in ((d, M), (M,), (M, k), (k,))]
    loss, g, H = mlp_loss_grad_hessian(X, Y, *W)
    f = _flat_loss(X, Y, d, M, k)
    for i in range(B):
        theta = torch.cat([t[i].reshape(-1) for t in W])
        assert loss[i].item() == pytest.approx(f(theta).item(), rel=1e-14)
        assert mlp_mse(X, Y, *W)[i].item() == pytest.approx(f(theta).item(), rel=1e-14)
        torch.testing.assert_close(g[i], grad(f)(theta), rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(H[i], hessian(f)(theta), rtol=1e-11, atol=1e-13)
        torch.testing.assert_close(H[i], H[i].T, rtol=0, atol=1e-15)


def test_refine_reaches_a_minimum(generator):
    """Newton reaches gradient ~0 with a positive semi-definite Hessian and a lower loss.

    The targets come from a network of the same shape plus noise, so a minimum exists near its weights
    (with arbitrary targets tanh units can saturate and the infimum lie at infinity); we start from
    perturbed teacher weights.
    """
    X = torch.randn(40, 3, generator=generator, dtype=torch.float64)
    teacher = [torch.randn(1, *shape, generator=generator, dtype=torch.float64) for shape in ((3, 4), (4,), (4, 2), (2,))]
    Y = torch.tanh(X @ teacher[0][0] + teacher[1][0]) @ teacher[2][0] + teacher[3][0]
    Y = Y + 0.3 * torch.randn(Y.shape, generator=generator, dtype=torch.float64)
    W = [t.expand(3, *t.shape[1:]) + 0.3 * torch.randn(3, *t.shape[1:], generator=generator, dtype=torch.float64) for t in teacher]
    start = mlp_loss_grad_hessian(X, Y, *W)[0]
    r = newton_refine(X, Y, *W, max_iter=300, gtol=1e-10)
    assert r.converged.all() and np.all(r.grad_norm <= 1e-10)
    assert np.all(r.loss < start.numpy())
    assert np.all(r.min_eigenvalue > -1e-10)
    # The history starts at the initial loss and never increases (only descent steps are accepted).
    np.testing.assert_allclose(r.loss_history[0], start.numpy(), rtol=1e-14)
    for b in range(3):
        h = r.loss_history[: r.n_iter[b] + 1, b]
        assert np.all(np.diff(h) <= 0) and not np.isnan(h).any()
    # A true local minimum: small random perturbations do not lower the loss.
    f = _flat_loss(X, Y, 3, 4, 2)
    theta = torch.cat([t[0].reshape(-1) for t in r.weights])
    for _ in range(20):
        assert f(theta + 1e-4 * torch.randn(theta.shape, generator=generator, dtype=torch.float64)) >= f(theta) - 1e-15


def test_refine_interpolates_when_overparameterized(generator):
    """With more parameters than equations the minimum is zero loss, reached quadratically fast."""
    X = torch.randn(6, 2, generator=generator, dtype=torch.float64)
    Y = torch.randn(6, 1, generator=generator, dtype=torch.float64)
    W = [t[None] for t in init_mlp(8, 2, 1, seed=0)]  # 33 parameters, 6 equations
    r = newton_refine(X, Y, *W, max_iter=100, gtol=1e-12)
    assert r.converged[0] and r.loss[0] < 1e-24


def test_bad_input(generator):
    X, Y = torch.zeros(5, 3, dtype=torch.float64), torch.zeros(5, 2, dtype=torch.float64)
    W = [t[None] for t in init_mlp(4, 3, 2, seed=0)]
    with pytest.raises(ValueError, match="W1 must have shape"):
        mlp_loss_grad_hessian(X, Y, W[0][0], *W[1:])
    with pytest.raises(ValueError, match="W2 must have shape"):
        mlp_loss_grad_hessian(X, Y, W[0], W[1], W[2][:, :, :1], W[3])
    with pytest.raises(ValueError, match="same number of rows"):
        newton_refine(X, Y[:4], *W)
    with pytest.raises(TypeError, match="X must be a torch.Tensor"):
        newton_refine(X.numpy(), Y, *W)
    with pytest.raises(ValueError, match="max_iter"):
        newton_refine(X, Y, *W, max_iter=0)
    with pytest.raises(ValueError, match="gtol"):
        newton_refine(X, Y, *W, gtol=-1.0)
