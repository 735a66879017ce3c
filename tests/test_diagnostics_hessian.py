"""Hessians, Hessian-vector products and curvature estimates against independent oracles."""

import copy

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


@pytest.mark.parametrize("conv", [False, True])
def test_batch_norm_in_training_mode_hessian_and_untouched_buffers(generator, conv):
    # Regression: flat_loss updated running statistics in place, and torch.func's
    # batch-norm batching rule gives wrong Hessian entries. Oracle: a loop of
    # autograd double-backward passes (torch.autograd.functional.hessian, no vmap)
    # through torch's own BatchNorm module.
    torch.manual_seed(0)
    if conv:
        model = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 3), torch.nn.BatchNorm1d(3), torch.nn.Tanh(), torch.nn.Flatten(), torch.nn.Linear(9, 1))
        X = torch.randn(6, 2, 5, generator=generator, dtype=torch.float64)
    else:
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
        X = torch.randn(10, 3, generator=generator, dtype=torch.float64)
    model = model.double().train()
    y = torch.randn(X.shape[0], 1, generator=generator, dtype=torch.float64)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    f, theta = flat_loss(model, torch.nn.functional.mse_loss, X, y)
    H = hessian_matrix(f, theta)

    names = [k for k, _ in model.named_parameters()]
    shapes = [v.shape for _, v in model.named_parameters()]
    sizes = [v.numel() for _, v in model.named_parameters()]
    reference = copy.deepcopy(model)

    def torch_loss(t):
        params = {n: p.reshape(s) for n, p, s in zip(names, torch.split(t, sizes), shapes)}
        return torch.nn.functional.mse_loss(torch.func.functional_call(reference, params, (X,)), y)

    torch.testing.assert_close(H, torch.autograd.functional.hessian(torch_loss, theta), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(f(theta), torch.nn.functional.mse_loss(model(X), y).detach(), rtol=1e-14, atol=0)
    v = torch.randn(theta.shape, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(hvp(f, theta, v), H @ v, rtol=1e-10, atol=1e-12)
    model(X)  # the check above ran a real forward: restore, then compare only f's effect
    model.load_state_dict(before)
    f(theta), hessian_matrix(f, theta), hvp(f, theta, v)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert "forward" not in vars(model[1])  # the class's forward is back


def test_points_and_functions_are_checked(generator):
    _, _, f = _quadratic(generator)
    theta = torch.zeros(6, dtype=torch.float64)
    with pytest.raises(ValueError, match="^theta must be finite"):
        hessian_matrix(f, torch.full((6,), float("nan"), dtype=torch.float64))
    with pytest.raises(TypeError, match="^theta must be a floating-point tensor"):
        hessian_matrix(f, torch.zeros(6, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"^f\(theta\) must return a scalar tensor, got shape \(6,\)"):
        hessian_matrix(lambda t: t**2, theta)
    with pytest.raises(ValueError, match=r"^f\(theta\) must be finite"):
        hvp(lambda t: (t / 0.0).sum(), theta, theta)
    with pytest.raises(TypeError, match="^f must be callable"):
        top_eigenvalue("f", theta, generator=generator)
    with pytest.raises(TypeError, match=r"^v must have dtype torch.float64 \(theta's\)"):
        hvp(f, theta, theta.float())
    with pytest.raises(TypeError, match="^n_iter must be an integer"):
        top_eigenvalue(f, theta, generator=generator, n_iter=2.5)
    with pytest.raises(TypeError, match="^generator must be a torch.Generator"):
        top_eigenvalue(f, theta, generator=None)
    # a flat_loss function names a theta of the wrong dtype or size
    model = torch.nn.Sequential(torch.nn.Linear(3, 2)).double()
    g, th = flat_loss(model, torch.nn.functional.mse_loss, torch.ones(4, 3, dtype=torch.float64), torch.ones(4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"theta must have dtype torch.float64 \(the model's\), got torch.float32"):
        hessian_matrix(g, th.float())
    with pytest.raises(ValueError, match=r"theta must have shape \(8,\)"):
        hessian_matrix(g, th[:5])
    with pytest.raises(ValueError, match=r"^X of shape \(4, 2\) does not fit the model"):
        flat_loss(model, torch.nn.functional.mse_loss, torch.ones(4, 2, dtype=torch.float64), torch.ones(4, 2, dtype=torch.float64))


def test_condition_number_input():
    with pytest.raises(ValueError, match="^H must be symmetric"):
        condition_number(torch.tensor([[1.0, 2.0], [0.0, 1.0]], dtype=torch.float64))
    with pytest.raises(ValueError, match="^H must be finite"):
        condition_number(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    assert condition_number(np.array([[2, 0], [0, 1]])) == 2.0  # integers and numpy arrays are fine
    assert condition_number(torch.diag(torch.tensor([1.0, 0.0]))) == float("inf")
