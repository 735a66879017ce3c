"""Tests for nntheory.models.heteroscedastic: shapes, positivity, and the NLL against torch."""

import math

import numpy as np
import pytest
import torch

from nntheory.models.heteroscedastic import MeanMLP, MeanVarianceMLP, gaussian_nll


def test_nll_matches_torch_gaussian_nll_loss(generator):
    mean = torch.randn(50, generator=generator, dtype=torch.float64)
    var = torch.rand(50, generator=generator, dtype=torch.float64) + 0.05
    y = torch.randn(50, generator=generator, dtype=torch.float64)
    for reduction in ("mean", "sum", "none"):
        ref = torch.nn.GaussianNLLLoss(full=True, eps=0.0, reduction=reduction)(mean, y, var)
        torch.testing.assert_close(gaussian_nll(mean, var, y, reduction=reduction), ref, rtol=1e-12, atol=1e-12)


def test_nll_is_the_normal_log_density(generator):
    mean = torch.randn(20, generator=generator, dtype=torch.float64)
    var = torch.rand(20, generator=generator, dtype=torch.float64) + 0.1
    y = torch.randn(20, generator=generator, dtype=torch.float64)
    ref = -torch.distributions.Normal(mean, var.sqrt()).log_prob(y)
    torch.testing.assert_close(gaussian_nll(mean, var, y, reduction="none"), ref)


def test_constant_variance_nll_is_affine_in_mse(generator):
    mean = torch.randn(30, generator=generator, dtype=torch.float64)
    y = torch.randn(30, generator=generator, dtype=torch.float64)
    s2 = 0.7
    nll = gaussian_nll(mean, torch.full_like(y, s2), y)
    mse = torch.mean((y - mean) ** 2)
    assert float(nll) == pytest.approx(0.5 * math.log(2 * math.pi * s2) + float(mse) / (2 * s2), rel=1e-12)


def test_models_shapes_positivity_and_seeding():
    x = torch.linspace(-3, 3, 17).unsqueeze(1)
    m1 = MeanMLP(generator=torch.Generator().manual_seed(1))
    m2 = MeanMLP(generator=torch.Generator().manual_seed(1))
    assert m1(x).shape == (17,)
    torch.testing.assert_close(m1(x), m2(x))
    sizes = [tuple(p.shape) for p in m1.parameters()]
    assert sizes == [(32, 1), (32,), (64, 32), (64,), (1, 64), (1,)]
    mv = MeanVarianceMLP(min_var=1e-3, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        mv.net[-1].bias[1] = -1e4  # drive softplus to 0: the floor must hold
    mean, var = mv(x)
    assert mean.shape == var.shape == (17,)
    assert bool((var >= 1e-3).all())


def test_mean_variance_model_learns_a_variance(generator):
    # A constant-noise problem: the fitted variance should approach the true one.
    x = torch.rand(512, 1, generator=generator) * 2 - 1
    y = 0.5 * x.squeeze(1) + 0.3 * torch.randn(512, generator=generator)
    model = MeanVarianceMLP(hidden=(16,), generator=generator)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(400):
        opt.zero_grad()
        loss = gaussian_nll(*model(x), y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        _, var = model(x)
    assert float(var.mean()) == pytest.approx(0.09, rel=0.3)


def test_bad_input():
    z = torch.zeros(3)
    with pytest.raises(ValueError, match="same shape"):
        gaussian_nll(z, torch.ones(4), z)
    with pytest.raises(ValueError, match="positive"):
        gaussian_nll(z, z, z)
    with pytest.raises(ValueError, match="reduction"):
        gaussian_nll(z, torch.ones(3), z, reduction="max")
    with pytest.raises(ValueError, match="hidden"):
        MeanMLP(hidden=())
    with pytest.raises(ValueError, match="min_var"):
        MeanVarianceMLP(min_var=0.0)


def test_inputs_are_checked():
    model = MeanVarianceMLP(hidden=(4,), n_features=2, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match=r"^x must have 2 features"):
        model(torch.ones(5, 1))
    with pytest.raises(TypeError, match="^hidden\\[0\\] must be an integer"):
        MeanMLP(hidden=(2.7,))  # used to build a width-2 layer
    with pytest.raises(TypeError, match="^mean, var and y must have the same dtype"):
        gaussian_nll(torch.zeros(3), torch.ones(3), torch.zeros(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="^y must be finite"):
        gaussian_nll(torch.zeros(2), torch.ones(2), torch.tensor([0.0, float("nan")]))
    assert math.isnan(gaussian_nll(torch.tensor([float("nan"), 0.0]), torch.ones(2), torch.zeros(2)).item())  # a diverged model's loss


def test_nll_gradient_in_the_mean_is_the_residual_over_the_variance(generator):
    # The heteroscedastic page, (e) item 4: d/d mean_i of the mean NLL = (mean_i - y_i) / (N var_i).
    mean = torch.randn(40, generator=generator, dtype=torch.float64, requires_grad=True)
    var = torch.rand(40, generator=generator, dtype=torch.float64) + 0.05
    y = torch.randn(40, generator=generator, dtype=torch.float64)
    gaussian_nll(mean, var, y).backward()  # oracle: autograd
    torch.testing.assert_close(mean.grad, (mean.detach() - y) / var / 40, rtol=1e-12, atol=0)


@pytest.mark.parametrize("mu, s, f", [(0.0, 1.0, 0.0), (1.0, 0.5, 1.3), (-2.0, 0.2, -1.0)])
def test_nll_optimal_variance_is_variance_plus_squared_bias(mu, s, f):
    # The page's (e) item 3: for y ~ N(mu, s^2) and a fixed mean f, the expected NLL
    # 0.5 log v + E[(y - f)^2] / (2 v) is minimised at v = s^2 + (f - mu)^2.
    # Oracle: the expectation by Gauss-Hermite quadrature, minimised on a fine grid.
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)  # for the weight exp(-z^2 / 2)
    weights = weights / weights.sum()
    y = mu + s * nodes
    v = np.linspace(0.01, 3.0, 299_001)
    expected = 0.5 * np.log(v) + np.sum(weights * (y - f) ** 2) / (2 * v)
    assert v[np.argmin(expected)] == pytest.approx(s**2 + (f - mu) ** 2, abs=1e-5)
