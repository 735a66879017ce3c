"""Newton's method for tanh MLPs: the closed-form Hessian against torch.func, convergence, bad input."""

import numpy as np
import pytest
import torch
from torch.func import grad, hessian

from nntheory.newton import gauss_newton_refine, mlp_loss_grad_hessian, mlp_mse, newton_refine
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
    with pytest.raises(ValueError, match="^X and Y must have the same number of samples"):
        newton_refine(X, Y[:4], *W)
    with pytest.raises(TypeError, match=r"^X must be a torch tensor, got a numpy array \(pass torch.from_numpy\(X\)\)"):
        newton_refine(X.numpy(), Y, *W)
    with pytest.raises(ValueError, match="max_iter"):
        newton_refine(X, Y, *W, max_iter=0)
    with pytest.raises(ValueError, match="gtol"):
        newton_refine(X, Y, *W, gtol=-1.0)


def _padded(weights, M):
    """Stack per-network (W1, b1, W2, b2) of different widths, zero-padded to width M."""
    B, (d, _), k = len(weights), weights[0][0].shape, weights[0][2].shape[1]
    out = [torch.zeros(B, *shape, dtype=torch.float64) for shape in ((d, M), (M,), (M, k), (k,))]
    for j, (W1, b1, W2, b2) in enumerate(weights):
        m = W1.shape[1]
        out[0][j, :, :m], out[1][j, :m], out[2][j, :m], out[3][j] = W1, b1, W2, b2
    return out


def test_gram_matrix_is_j_jt(generator):
    """The closed-form K = J J^T against the Jacobian from torch.func.jacrev (independent forward pass)."""
    from torch.func import jacrev

    from nntheory.newton import _grad_norm_and_ntk
    N, d, k, M = 9, 3, 2, 5
    X = torch.randn(N, d, generator=generator, dtype=torch.float64)
    Y = torch.randn(N, k, generator=generator, dtype=torch.float64)
    W = [torch.randn(2, *shape, generator=generator, dtype=torch.float64) for shape in ((d, M), (M,), (M, k), (k,))]
    loss, _, grad_norm, K = _grad_norm_and_ntk(X, Y, *W, want_kernel=True)
    for i in range(2):
        theta = torch.cat([t[i].reshape(-1) for t in W])

        def outputs(th):
            W1, b1, W2, b2 = torch.split(th, (d * M, M, M * k, k))
            return (torch.tanh(X @ W1.reshape(d, M) + b1) @ W2.reshape(M, k) + b2).reshape(-1)

        J = jacrev(outputs)(theta)
        torch.testing.assert_close(K[i], J @ J.T, rtol=1e-12, atol=1e-13)
        f = _flat_loss(X, Y, d, M, k)
        assert grad_norm[i].item() == pytest.approx(torch.linalg.norm(grad(f)(theta)).item(), rel=1e-12)


def test_gauss_newton_step_is_the_primal_levenberg_marquardt_step(generator):
    """One dual step p = -J^T (J J^T + mu I)^-1 r equals the primal -(J^T J + mu I)^-1 J^T r (push-through identity)."""
    from torch.func import jacrev
    N, d, k, M = 6, 2, 1, 8  # P = 33 > Nk = 6
    X = torch.randn(N, d, generator=generator, dtype=torch.float64)
    Y = torch.randn(N, k, generator=generator, dtype=torch.float64)
    W = [t[None] for t in init_mlp(M, d, k, seed=1)]
    theta = torch.cat([t[0].reshape(-1) for t in W])

    def outputs(th):
        W1, b1, W2, b2 = torch.split(th, (d * M, M, M * k, k))
        return (torch.tanh(X @ W1.reshape(d, M) + b1) @ W2.reshape(M, k) + b2).reshape(-1)

    J, r = jacrev(outputs)(theta), outputs(theta) - Y.reshape(-1)
    mu0 = 0.1  # relative to the mean diagonal of J J^T; damped enough for the step to lower the loss
    mu = mu0 * (J * J).sum(1).mean()
    p = -torch.linalg.solve(J.T @ J + mu * torch.eye(len(theta), dtype=torch.float64), J.T @ r)
    f = _flat_loss(X, Y, d, M, k)
    assert f(theta + p) < f(theta)  # so the step is accepted
    res = gauss_newton_refine(X, Y, *W, max_iter=1, gtol=1e-30, mu0=mu0)
    torch.testing.assert_close(torch.cat([t[0].reshape(-1) for t in res.weights]), theta + p, rtol=1e-9, atol=1e-11)


def test_gauss_newton_interpolates_a_padded_stack_of_mixed_widths(generator):
    """Networks of widths 15, 20, 40 in one zero-padded stack reach zero loss; padded units stay exactly zero;
    each network ends where it ends when refined alone."""
    N, d, k = 30, 3, 2  # Nk = 60; P = 92, 122, 242
    X = torch.randn(N, d, generator=generator, dtype=torch.float64)
    Y = torch.randn(N, k, generator=generator, dtype=torch.float64)
    widths = [15, 20, 40]
    starts = [init_mlp(m, d, k, seed=i) for i, m in enumerate(widths)]
    r = gauss_newton_refine(X, Y, *_padded(starts, 40), max_iter=100, gtol=1e-11)
    assert r.converged.all() and np.all(r.loss < 1e-20)
    assert np.isnan(r.min_eigenvalue).all()
    for j, m in enumerate(widths):
        assert torch.all(r.weights[0][j, :, m:] == 0) and torch.all(r.weights[1][j, m:] == 0) and torch.all(r.weights[2][j, m:] == 0)
        alone = gauss_newton_refine(X, Y, *_padded([starts[j]], m), max_iter=100, gtol=1e-11)
        assert alone.n_iter[0] == r.n_iter[j]
        torch.testing.assert_close(alone.weights[0][0], r.weights[0][j, :, :m], rtol=1e-8, atol=1e-10)
        # The reported gradient norm is that of the returned weights (autograd).
        f = _flat_loss(X, Y, d, m, k)
        theta = torch.cat([r.weights[0][j, :, :m].reshape(-1), r.weights[1][j, :m], r.weights[2][j, :m].reshape(-1), r.weights[3][j]])
        assert torch.linalg.norm(grad(f)(theta)).item() <= 1e-11
        h = r.loss_history[: r.n_iter[j] + 1, j]
        assert np.all(np.diff(h) <= 0)


@pytest.mark.parametrize("refine", [newton_refine, gauss_newton_refine])
def test_non_finite_input_is_rejected_before_iterating(refine):
    """Issue 14: NaN targets or infinite weights used to make the damping loop raise mu forever."""
    X = torch.randn(8, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Y = torch.randn(8, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    W = [t[None] for t in init_mlp(4, 3, 2, seed=0)]
    bad_Y = Y.clone()
    bad_Y[3, 1] = float("nan")
    with pytest.raises(ValueError, match="^Y must be finite"):
        refine(X, bad_Y, *W)
    for q, name in enumerate(("W1", "b1", "W2", "b2")):
        bad = [t.clone() for t in W]
        bad[q].view(-1)[0] = float("inf")
        with pytest.raises(ValueError, match=f"^{name} must be finite"):
            refine(X, Y, *bad)
    bad_X = X.clone()
    bad_X[0, 0] = -float("inf")
    with pytest.raises(ValueError, match="^X must be finite"):
        refine(X=bad_X, Y=Y, W1=W[0], b1=W[1], W2=W[2], b2=W[3])
    with pytest.raises(TypeError, match="X must be a floating-point tensor"):
        refine(X.long(), Y, *W)
    for name, value in (("gtol", float("nan")), ("mu0", float("inf"))):
        with pytest.raises(ValueError, match=f"^{name} must be a finite number"):
            refine(X, Y, *W, **{name: value})
    with pytest.raises(TypeError, match="^max_iter must be an integer"):
        refine(X, Y, *W, max_iter=2.5)  # a float where a count is meant


@pytest.mark.parametrize("refine", [newton_refine, gauss_newton_refine])
def test_damping_loop_is_bounded(refine, monkeypatch):
    """Even if no damping ever makes the matrix positive definite, the call returns, reporting no convergence."""
    X = torch.randn(8, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Y = torch.randn(8, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    W = [t[None] for t in init_mlp(4, 3, 2, seed=0)]
    calls = []

    def never_positive_definite(A):
        calls.append(1)
        return A, torch.ones(A.shape[:-2], dtype=torch.int32)

    monkeypatch.setattr(torch.linalg, "cholesky_ex", never_positive_definite)
    r = refine(X, Y, *W, max_iter=50)
    assert not r.converged[0] and r.n_iter[0] == 0
    assert len(calls) <= 41  # one factorisation and at most 40 retries with more damping
    for t, w in zip(r.weights, W):
        torch.testing.assert_close(t, w)  # stopped where it started


@pytest.mark.parametrize("refine", [newton_refine, gauss_newton_refine])
def test_ftol_stops_a_network_whose_loss_has_settled(refine):
    """With ftol, a network stops as 'stalled' at the first iteration where its loss fell by less than ftol
    (relative) over the last 10 iterations; the loss history says when, and ftol=0 never stalls."""
    X = torch.randn(30, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Y = torch.randn(30, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    W = [t[None] for t in init_mlp(4, 3, 2, seed=0)]  # P = 30 < Nk = 60: the loss settles above zero
    free = refine(X, Y, *W, max_iter=30, gtol=1e-30)
    assert not free.stalled.any() and free.n_iter[0] == 30
    ftol = 0.5
    r = refine(X, Y, *W, max_iter=30, gtol=1e-30, ftol=ftol)
    h = free.loss_history[:, 0]  # the same iterates up to the stop
    expected = next(it for it in range(10, 31) if h[it - 10] - h[it] <= ftol * h[it])
    assert r.stalled[0] and not r.converged[0] and r.n_iter[0] == expected
    np.testing.assert_array_equal(r.loss_history[: expected + 1, 0], h[: expected + 1])
    assert np.isnan(r.loss_history[expected + 1:, 0]).all()
    with pytest.raises(ValueError, match="ftol"):
        refine(X, Y, *W, ftol=1.5)
