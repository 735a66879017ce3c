"""Tests for nntheory.diagnostics.activations and .jacobian_products.

Oracles: statistics recomputed from a manual forward pass; the product
formula for the first-layer gradient against torch.autograd in float64.
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

from nntheory.diagnostics import activations, jacobian_products
from nntheory.initialization import init_


def _mlp(generator, widths, act=nn.ReLU):
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        lin = nn.Linear(a, b, bias=True).double()
        init_(lin.weight, "he", generator=generator)
        with torch.no_grad():
            lin.bias.uniform_(-0.5, 0.5, generator=generator)
        layers += [lin, act()]
    return nn.Sequential(*layers[:-1])


def test_activation_statistics_match_manual_forward(generator):
    model = _mlp(generator, [5, 30, 20, 3])
    X = torch.randn(64, 5, generator=generator, dtype=torch.float64)
    stats = activations.activation_statistics(model, X)
    assert [s.name for s in stats] == ["0", "2", "4"]
    z, pre = X, []
    for m in model:
        z = m(z)
        if isinstance(m, nn.Linear):
            pre.append(z.detach())
    for s, h in zip(stats, pre):
        assert s.module_type == "Linear"
        assert s.shape == tuple(h.shape)
        assert s.mean == pytest.approx(h.mean().item(), abs=1e-12)
        assert s.second_moment == pytest.approx((h**2).mean().item(), rel=1e-12)
        assert s.variance == pytest.approx(np.var(h.numpy()), rel=1e-12)
        assert s.fraction_zero == 0.0
    relu_stats = activations.activation_statistics(model, X, module_types=(nn.ReLU,))
    assert [s.module_type for s in relu_stats] == ["ReLU", "ReLU"]
    for s, h in zip(relu_stats, pre[:2]):
        assert s.fraction_zero == pytest.approx((h <= 0).double().mean().item(), abs=1e-15)
    # Hooks are removed afterwards.
    assert all(len(m._forward_hooks) == 0 for m in model)


def test_gradient_norms(generator):
    model = _mlp(generator, [4, 6, 2])
    X = torch.randn(10, 4, generator=generator, dtype=torch.float64)
    model(X).pow(2).sum().backward()
    norms = activations.gradient_norms(model)
    assert list(norms) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for name, p in model.named_parameters():
        assert norms[name] == pytest.approx(math.sqrt((p.grad**2).sum().item()), rel=1e-12)


def test_activation_bad_inputs():
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="model"):
        activations.activation_statistics(lambda x: x, torch.ones(1, 2))
    with pytest.raises(TypeError, match="X"):
        activations.activation_statistics(model, np.ones((1, 2)))
    with pytest.raises(ValueError, match="no submodule"):
        activations.activation_statistics(model, torch.ones(1, 2), module_types=(nn.ReLU,))
    with pytest.raises(ValueError, match="backward"):
        activations.gradient_norms(model)


def _autograd_first_layer(W, x, t, n_layers, activation):
    """dE/dW^(1) by autograd, with a separate leaf copy of W in every layer."""
    act = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda a: a}[activation]
    Ws = [torch.tensor(W, dtype=torch.float64, requires_grad=True) for _ in range(n_layers)]
    z = torch.tensor(x, dtype=torch.float64)
    for k, Wk in enumerate(Ws):
        a = Wk @ z
        z = act(a) if k < n_layers - 1 else a
    y = z
    E = 0.5 * ((y - torch.tensor(t)) ** 2).sum()
    E.backward()
    return Ws[0].grad.numpy(), (y - torch.tensor(t)).detach().numpy()


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "identity"])
@pytest.mark.parametrize("n_layers", [1, 2, 7])
def test_product_formula_matches_autograd(rng, activation, n_layers):
    n = 5
    W = rng.normal(0, 1.2 / math.sqrt(n), size=(n, n))
    x, t = rng.normal(size=n), rng.normal(size=n)
    ref, grad_y = _autograd_first_layer(W, x, t, n_layers, activation)
    res = jacobian_products.shared_weight_backprop(W, x, grad_y, n_layers, activation)
    np.testing.assert_allclose(res.grad_first_layer, ref, rtol=1e-10, atol=1e-14)
    assert len(res.deltas) == n_layers and len(res.preactivations) == n_layers
    bound = jacobian_products.first_layer_gradient_bound(W, x, grad_y, n_layers, activation)
    assert np.linalg.norm(ref) <= bound * (1 + 1e-12)
    # The entry bound |x_i| (c ||W||_2)^(N-1) ||grad_y E|| holds for every single weight.
    for j in range(n):
        for i in range(n):
            entry_bound = jacobian_products.first_layer_gradient_bound(W, x, grad_y, n_layers, activation, entry=(j, i))
            assert abs(ref[j, i]) <= entry_bound * (1 + 1e-12)
            assert entry_bound == pytest.approx(bound * abs(x[i]) / np.linalg.norm(x), rel=1e-12)


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_entry_bound_is_attained(activation):
    # Diagonal W with its largest entry at (0, 0), grad_y E along e_1, positive
    # input (so every ReLU fires): delta^(2) = d_0^(N-1) g e_1 and
    # dE/dw11 = x_1 d_0^(N-1) g, equal to the entry bound. The Frobenius-type
    # bound with ||x|| in place of |x_1| would be larger by ||x|| / |x_1|.
    d = np.array([1.3, 0.9, -0.7, 0.2])
    x = np.array([0.5, 2.0, 1.0, 3.0])
    g = np.array([0.8, 0.0, 0.0, 0.0])
    for n_layers in [1, 4, 9]:
        W = np.diag(d)
        y = jacobian_products.shared_weight_backprop(W, x, g, n_layers, activation).preactivations[-1]
        ref, grad_y = _autograd_first_layer(W, x, y - g, n_layers, activation)  # E = ||y - t||^2 / 2, grad_y E = g
        np.testing.assert_allclose(grad_y, g, rtol=0, atol=1e-15)
        bound = jacobian_products.first_layer_gradient_bound(W, x, grad_y, n_layers, activation, entry=(0, 0))
        assert abs(ref[0, 0]) == pytest.approx(bound, rel=1e-12)
        assert bound == pytest.approx(x[0] * 1.3 ** (n_layers - 1) * 0.8, rel=1e-12)
        assert jacobian_products.first_layer_gradient_bound(W, x, grad_y, n_layers, activation) > 2 * abs(ref[0, 0])


def test_eigenvector_case_grows_as_lambda_power(rng):
    # Symmetric W with positive entries and x > 0: every ReLU fires, and the
    # gradient of an eigenvector u of W is x_1 * lam^(N-1) * u_1.
    n = 4
    A = rng.uniform(0.1, 1.0, size=(n, n))
    P = (A + A.T) / 2
    lams, U = np.linalg.eigh(P)
    x = rng.uniform(0.5, 1.0, size=n)
    for i in range(n):
        for N in [1, 3, 6]:
            res = jacobian_products.shared_weight_backprop(P, x, U[:, i], N, "relu")
            assert all(np.all(a > 0) for a in res.preactivations)
            assert res.grad_first_layer[0, 0] == pytest.approx(x[0] * lams[i] ** (N - 1) * U[0, i], rel=1e-9, abs=1e-14)


def test_jacobian_products_bad_inputs():
    with pytest.raises(ValueError, match="square"):
        jacobian_products.shared_weight_backprop(np.ones((2, 3)), np.ones(3), np.ones(2), 2)
    with pytest.raises(ValueError, match="x must"):
        jacobian_products.shared_weight_backprop(np.eye(2), np.ones(3), np.ones(2), 2)
    with pytest.raises(ValueError, match="grad_output"):
        jacobian_products.shared_weight_backprop(np.eye(2), np.ones(2), np.ones(3), 2)
    with pytest.raises(ValueError, match="n_layers"):
        jacobian_products.shared_weight_backprop(np.eye(2), np.ones(2), np.ones(2), 0)
    with pytest.raises(ValueError, match="activation"):
        jacobian_products.first_layer_gradient_bound(np.eye(2), np.ones(2), np.ones(2), 2, "gelu")
    for bad in [(0, 2), (0,), [0, 0], (-1, 0), (0.0, 0), (True, 0)]:
        with pytest.raises(ValueError, match="entry"):
            jacobian_products.first_layer_gradient_bound(np.eye(2), np.ones(2), np.ones(2), 2, entry=bad)
