"""Modified loss, GD trajectory, RK4 flow and the SGD regulariser against independent oracles."""

import itertools

import numpy as np
import pytest
import torch

from nntheory.implicit_regularization import gd_trajectory, gradient_flow, modified_loss, sgd_regularizer


def _loss(theta):
    a, b = theta
    return 0.5 * (a * b - 1.0) ** 2 + 0.1 * torch.sin(a) ** 2


def test_modified_loss_gradient_against_hessian_formula():
    """grad of L + (lr/4)|grad L|^2 equals grad L + (lr/2) H grad L, H from torch.autograd.functional.hessian."""
    theta = torch.tensor([1.3, -0.4], dtype=torch.float64, requires_grad=True)
    lr = 0.3
    (grad_mod,) = torch.autograd.grad(modified_loss(_loss, theta, lr), theta)
    g = torch.autograd.functional.jacobian(_loss, theta.detach())
    H = torch.autograd.functional.hessian(_loss, theta.detach())
    torch.testing.assert_close(grad_mod, g + 0.5 * lr * H @ g, rtol=1e-12, atol=1e-14)


def test_modified_loss_value_against_finite_differences():
    theta = torch.tensor([0.7, 2.0], dtype=torch.float64)
    h = 1e-6
    g = torch.tensor([(_loss(theta + h * e) - _loss(theta - h * e)) / (2 * h) for e in torch.eye(2, dtype=torch.float64)])
    expected = _loss(theta) + 0.25 * 0.2 * (g**2).sum()
    assert modified_loss(_loss, theta, 0.2).item() == pytest.approx(expected.item(), rel=1e-9)


def test_gd_trajectory_against_torch_optim_sgd():
    theta0 = torch.tensor([2.0, 0.3], dtype=torch.float64)
    path = gd_trajectory(_loss, theta0, 0.1, 25)
    p = theta0.clone().requires_grad_()
    opt = torch.optim.SGD([p], lr=0.1)
    for _ in range(25):
        opt.zero_grad()
        _loss(p).backward()
        opt.step()
    assert path.shape == (26, 2)
    torch.testing.assert_close(path[-1], p.detach(), rtol=1e-13, atol=1e-14)


def test_gradient_flow_against_closed_form_quadratic():
    """For L = 0.5 theta^T A theta the flow is theta(t) = exp(-A t) theta0."""
    A = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    theta0 = torch.tensor([1.0, -1.0], dtype=torch.float64)
    times = np.linspace(0, 2, 5)
    flow = gradient_flow(lambda t: 0.5 * t @ A @ t, theta0, times, n_substeps=50)
    exact = torch.stack([torch.linalg.matrix_exp(-A * t) @ theta0 for t in times])
    torch.testing.assert_close(flow, exact, rtol=1e-9, atol=1e-11)


def test_sgd_regularizer_against_enumerated_partitions(rng):
    """Closed form against the exact average over all orderings' batch partitions (N = 6, B = 2 and 3)."""
    g = rng.standard_normal((6, 3))
    for B in (1, 2, 3, 6):
        full, extra = sgd_regularizer(g, B)
        values = []
        for perm in itertools.permutations(range(6)):
            batches = np.array(perm).reshape(-1, B)
            values.append(np.mean([(g[b].mean(0) ** 2).sum() for b in batches]))
        assert full + extra == pytest.approx(np.mean(values), rel=1e-12)
        assert full == pytest.approx((g.mean(0) ** 2).sum())
    assert sgd_regularizer(g, 6)[1] == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="theta"):
        modified_loss(_loss, torch.zeros(2, 2), 0.1)
    with pytest.raises(ValueError, match="lr"):
        modified_loss(_loss, torch.zeros(2), -0.1)
    with pytest.raises(ValueError, match="n_steps"):
        gd_trajectory(_loss, torch.zeros(2), 0.1, -1)
    with pytest.raises(ValueError, match="times"):
        gradient_flow(_loss, torch.zeros(2), [1.0, 2.0])
    with pytest.raises(ValueError, match="batch_size"):
        sgd_regularizer(np.zeros((6, 2)), 4)


def test_scalar_network_valley_hessian_and_sgd_term():
    """For L(a, b) = mean (abx - y)^2 / 2: on the valley ab = c = s_xy/s_xx the gradient vanishes, the Hessian is
    s_xx (b, a)(b, a)^T (eigenvalues 0 and s_xx (a^2 + b^2)), and the extra SGD term is (a^2 + b^2) Var_i(r_i x_i)
    times (N - B)/(B(N - 1)); oracles: torch.autograd and per-example autograd gradients."""
    g = torch.Generator().manual_seed(5)
    x = torch.randn(20, generator=g, dtype=torch.float64)
    y = x + 0.5 * torch.randn(20, generator=g, dtype=torch.float64)

    def loss(theta, idx=slice(None)):
        return 0.5 * ((theta[0] * theta[1] * x[idx] - y[idx]) ** 2).mean()

    sxx = (x @ x).item() / 20
    c = (x @ y).item() / (x @ x).item()
    for a in (0.5, 1.0, 2.5):
        theta = torch.tensor([a, c / a], dtype=torch.float64)
        grad = torch.autograd.functional.jacobian(loss, theta)
        assert grad.abs().max() < 1e-14
        H = torch.autograd.functional.hessian(loss, theta)
        v = torch.tensor([c / a, a], dtype=torch.float64)
        torch.testing.assert_close(H, sxx * torch.outer(v, v), rtol=1e-12, atol=1e-13)
        per_example = np.stack([torch.autograd.functional.jacobian(lambda t: loss(t, [i]), theta).numpy() for i in range(20)])
        r = (c * x - y).numpy()
        for B in (1, 4):
            _, extra = sgd_regularizer(per_example, B)
            expected = (20 - B) / (B * 19) * (a * a + (c / a) ** 2) * np.var(r * x.numpy())
            assert extra == pytest.approx(expected, rel=1e-12)


def test_arguments_are_checked():
    theta = torch.tensor([0.5, -1.0], dtype=torch.float64)
    with pytest.raises(ValueError, match="^theta0 must be finite"):
        gd_trajectory(_loss, torch.tensor([float("nan"), 1.0], dtype=torch.float64), 0.1, 3)
    with pytest.raises(TypeError, match="^n_steps must be an integer"):
        gd_trajectory(_loss, theta, 0.1, 3.0)
    with pytest.raises(ValueError, match="^lr must be a finite number"):
        gd_trajectory(_loss, theta, float("inf"), 3)
    with pytest.raises(ValueError, match=r"^loss_fn\(theta\) must return a scalar tensor, got shape \(2,\)"):
        modified_loss(lambda t: t**2, theta, 0.1)
    with pytest.raises(ValueError, match="^times must be finite"):
        gradient_flow(_loss, theta, np.array([0.0, np.inf]))
    with pytest.raises(TypeError, match="^batch_size must be an integer"):
        sgd_regularizer(np.ones((4, 2)), 2.0)
    np.testing.assert_allclose(gd_trajectory(_loss, theta, np.float32(0.125), np.int64(2)).numpy(), gd_trajectory(_loss, theta, 0.125, 2).numpy())
