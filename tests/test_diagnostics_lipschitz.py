"""Tests for nntheory.diagnostics.lipschitz: exact on linear maps, lower <= upper, batch norm."""

import pytest
import torch
from torch import nn

from nntheory.diagnostics.lipschitz import (
    block_upper_bounds,
    jacobian_spectral_norms,
    lipschitz_lower_bound,
    lipschitz_upper_bound,
    optimized_secant_lower_bound,
    secant_lower_bound,
)
from nntheory.models.residual import ResidualBlock, ResidualNet


def test_linear_map_lower_and_upper_equal_the_spectral_norm(generator):
    lin = nn.Linear(6, 4).double()
    with torch.no_grad():
        lin.weight.copy_(torch.randn(4, 6, generator=generator, dtype=torch.float64))
    ref = float(torch.linalg.svdvals(lin.weight.detach())[0])  # oracle: SVD
    x = torch.randn(3, 6, generator=generator, dtype=torch.float64)
    assert lipschitz_lower_bound(lin, x, n_iter=200, generator=generator) == pytest.approx(ref, rel=1e-8)
    assert lipschitz_upper_bound(lin) == pytest.approx(ref, rel=1e-12)


def test_power_iteration_matches_full_jacobian(generator):
    net = ResidualNet(5, n_blocks=3, activation="tanh", generator=generator).double()
    x = torch.randn(20, 5, generator=generator, dtype=torch.float64)
    est = jacobian_spectral_norms(net, x, n_iter=300, generator=generator)
    J = torch.func.vmap(torch.func.jacrev(net))(x)  # oracle: autograd Jacobians + SVD
    torch.testing.assert_close(est, torch.linalg.matrix_norm(J, ord=2).detach(), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("n_blocks", [1, 3, 6])
def test_lower_bounds_never_exceed_upper_bound(generator, n_blocks):
    net = ResidualNet(8, n_blocks=n_blocks, generator=generator).double()
    x = torch.randn(200, 8, generator=generator, dtype=torch.float64)
    y = x + 1e-3 * torch.randn(200, 8, generator=generator, dtype=torch.float64)
    upper = lipschitz_upper_bound(net)
    assert upper == pytest.approx(2.0**n_blocks, rel=1e-9)
    assert lipschitz_lower_bound(net, x, generator=generator) <= upper
    assert secant_lower_bound(net, x, y) <= upper
    assert len(block_upper_bounds(net)) == n_blocks


def test_tight_example_attains_two_to_the_L(generator):
    # F(x) = x is 1-Lipschitz, so T(x) = 2x and f(x) = 2^L x: the bound is attained.
    net = ResidualNet(3, n_blocks=4, generator=generator).double()
    with torch.no_grad():
        for block in net.blocks:
            for layer in (block.branch[0], block.branch[2]):
                layer.weight.copy_(torch.eye(3))
                layer.bias.zero_()
    x = torch.rand(10, 3, generator=generator, dtype=torch.float64) + 0.1  # ReLU active
    assert lipschitz_lower_bound(net, x, generator=generator) == pytest.approx(16.0, rel=1e-10)


def test_batch_norm_eval_bound_is_exact_and_train_mode_is_refused(generator):
    bn = nn.BatchNorm1d(3, momentum=None).double()  # cumulative running averages
    data = torch.randn(512, 3, generator=generator, dtype=torch.float64) * torch.tensor([1.0, 0.01, 3.0], dtype=torch.float64)
    bn.train()
    bn(data)
    with pytest.raises(ValueError, match="training mode"):
        lipschitz_upper_bound(bn)
    bn.eval()
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
    x = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    assert lipschitz_upper_bound(bn) == pytest.approx(float(scale.abs().max()), rel=1e-12)
    assert lipschitz_lower_bound(bn, x, generator=generator) == pytest.approx(float(scale.abs().max()), rel=1e-8)
    assert lipschitz_upper_bound(bn) > 50  # the feature with standard deviation 0.01


def test_bad_input(generator):
    with pytest.raises(TypeError, match="no Lipschitz rule"):
        lipschitz_upper_bound(nn.Conv1d(1, 1, 3))
    with pytest.raises(ValueError, match="x must have 2 dimension"):
        lipschitz_lower_bound(nn.Identity(), torch.zeros(3))
    with pytest.raises(ValueError, match="differ"):
        secant_lower_bound(nn.Identity(), torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(TypeError, match="ResidualNet"):
        block_upper_bounds(nn.Linear(2, 2))


def test_optimized_secant_bound_on_a_linear_map_and_below_upper(generator):
    lin = nn.Linear(5, 5, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(torch.randn(5, 5, generator=generator, dtype=torch.float64))
    ref = float(torch.linalg.svdvals(lin.weight.detach())[0])
    x = torch.randn(16, 5, generator=generator, dtype=torch.float64)
    found = optimized_secant_lower_bound(lin, x, n_steps=300, lr=0.05, generator=generator)
    assert found <= ref * (1 + 1e-12)
    assert found == pytest.approx(ref, rel=1e-3)
    net = ResidualNet(6, n_blocks=4, generator=generator).double()
    x = torch.randn(64, 6, generator=generator, dtype=torch.float64)
    random_only = secant_lower_bound(net, x, x + 0.1 * torch.randn(64, 6, generator=generator, dtype=torch.float64))
    optimised = optimized_secant_lower_bound(net, x, n_steps=50, generator=generator)
    assert random_only <= lipschitz_upper_bound(net) and optimised <= lipschitz_upper_bound(net)


def test_maps_and_points_are_checked(generator):
    net = ResidualNet(3, n_blocks=2, generator=generator).double()
    x = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"^f\(x\) for x of shape \(5, 3\) and dtype torch.float32 failed"):
        lipschitz_lower_bound(net, x.float())  # float32 points, float64 network
    with pytest.raises(ValueError, match=r"^f must map a \(n_samples, n_in\) batch to a \(n_samples, n_out\) batch"):
        lipschitz_lower_bound(lambda t: net(t).sum(), x)
    with pytest.raises(ValueError, match="^x must be finite"):
        lipschitz_lower_bound(net, torch.full((2, 3), float("nan"), dtype=torch.float64))
    with pytest.raises(TypeError, match="^n_iter must be an integer"):
        lipschitz_lower_bound(net, x, n_iter=2.5)
    with pytest.raises(TypeError, match="^y must be a torch tensor"):
        secant_lower_bound(net, x, x.numpy())
    with pytest.raises(ValueError, match="^offset must be a number > 0"):
        optimized_secant_lower_bound(net, x, offset=0.0)
    with pytest.raises(TypeError, match="^module must be a torch.nn.Module"):
        lipschitz_upper_bound("net")


def _all_patterns(n):
    """Every diagonal 0/1 activation pattern of n units, as rows, shape (2**n, n)."""
    return torch.tensor([[(k >> j) & 1 for j in range(n)] for k in range(2**n)], dtype=torch.float64)


@pytest.mark.parametrize("seed", range(5))
def test_half_split_bound_covers_every_activation_pattern(seed):
    # The ResNet page, (c): ||I + W2 D W1|| <= ||I + W2 W1 / 2|| + 1/2 for every 0/1 diagonal D
    # when ||W1|| = ||W2|| = 1. Oracle: all 2^10 patterns enumerated.
    gen = torch.Generator().manual_seed(seed)
    block = ResidualBlock(4, hidden=10, generator=gen).double()
    W1, W2 = (block.branch[i].effective_weight().detach() for i in (0, 2))
    norms = torch.linalg.matrix_norm(torch.eye(4, dtype=torch.float64) + torch.einsum("ij,nj,jk->nik", W2, _all_patterns(10), W1), ord=2)
    bound = float(torch.linalg.matrix_norm(torch.eye(4, dtype=torch.float64) + 0.5 * W2 @ W1, ord=2)) + 0.5
    assert float(norms.max()) <= bound * (1 + 1e-12)
    assert bound <= 2 + 1e-12


@pytest.mark.parametrize("c", [0.0, 0.3, 0.9])
def test_scaled_branch_is_bi_lipschitz(c):
    # The ResNet page, (a): with Lip(F) <= c < 1 every Jacobian I + J_F has singular values in [1 - c, 1 + c].
    # Oracle: smallest and largest singular values over all 2^8 activation patterns.
    gen = torch.Generator().manual_seed(7)
    block = ResidualBlock(3, hidden=8, branch_scale=c, generator=gen).double()
    W1, W2 = (block.branch[i].effective_weight().detach() for i in (0, 2))
    sv = torch.linalg.svdvals(torch.eye(3, dtype=torch.float64) + torch.einsum("ij,nj,jk->nik", W2, _all_patterns(8), W1))
    assert float(sv.min()) >= 1 - c - 1e-12 and float(sv.max()) <= 1 + c + 1e-12
    assert lipschitz_upper_bound(block) == pytest.approx(1 + c, abs=1e-12)
