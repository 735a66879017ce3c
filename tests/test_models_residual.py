"""Tests for nntheory.models.residual: spectral normalisation and the residual structure."""

import numpy as np
import pytest
import torch

from nntheory.models.residual import ResidualBlock, ResidualNet, SpectralNormLinear


def test_spectral_norm_linear_has_the_requested_norm(generator):
    for scale in (1.0, 0.5, 0.0):
        layer = SpectralNormLinear(7, 5, scale=scale, generator=generator).double()
        sv = torch.linalg.svdvals(layer.effective_weight().detach())
        assert float(sv.max()) == pytest.approx(scale, abs=1e-12)
        x = torch.randn(4, 7, generator=generator, dtype=torch.float64)
        ref = x @ layer.effective_weight().T + layer.bias
        torch.testing.assert_close(layer(x), ref)


def test_norm_constraint_survives_training(generator):
    layer = SpectralNormLinear(6, 6, generator=generator).double()
    opt = torch.optim.SGD(layer.parameters(), lr=0.5)
    x = torch.randn(32, 6, generator=generator, dtype=torch.float64)
    for _ in range(20):
        opt.zero_grad()
        (-(layer(x) ** 2).sum()).backward()  # pushes the weight to grow
        opt.step()
    assert float(torch.linalg.matrix_norm(layer.effective_weight().detach(), ord=2)) == pytest.approx(1.0, abs=1e-10)


def test_block_is_identity_plus_branch_and_branch_is_one_lipschitz(generator):
    block = ResidualBlock(5, hidden=9, generator=generator).double()
    x = torch.randn(200, 5, generator=generator, dtype=torch.float64)
    y = torch.randn(200, 5, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(block(x), x + block.branch(x))
    with torch.no_grad():
        ratio = (block.branch(x) - block.branch(y)).norm(dim=1) / (x - y).norm(dim=1)
    assert float(ratio.max()) <= 1.0 + 1e-12
    # The Jacobian of the branch, by autograd, has spectral norm at most 1 everywhere.
    J = torch.func.vmap(torch.func.jacrev(block.branch))(x)
    assert float(torch.linalg.matrix_norm(J.detach(), ord=2).max()) <= 1.0 + 1e-12


def test_net_composes_blocks(generator):
    net = ResidualNet(4, n_blocks=3, activation="tanh", branch_scale=0.5, generator=generator).double()
    x = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    h = x
    for block in net.blocks:
        h = h + block.branch(h)
    torch.testing.assert_close(net(x), h)


def test_bad_input():
    with pytest.raises(ValueError, match="in_features"):
        SpectralNormLinear(0, 3)
    with pytest.raises(ValueError, match="scale"):
        SpectralNormLinear(2, 3, scale=-1.0)
    with pytest.raises(ValueError, match="activation"):
        ResidualBlock(3, activation="sigmoid")
    with pytest.raises(ValueError, match="branch_scale"):
        ResidualBlock(3, branch_scale=1.5)
    with pytest.raises(ValueError, match="n_blocks"):
        ResidualNet(3, n_blocks=0)


def test_forward_names_a_width_or_dtype_mismatch(generator):
    net = ResidualNet(3, n_blocks=2, generator=generator)  # float32
    with pytest.raises(ValueError, match=r"^x must have 3 features \(shape \(n_samples, 3\)\), got shape \(4, 2\)"):
        net(torch.ones(4, 2))  # not "mat1 and mat2 shapes cannot be multiplied"
    with pytest.raises(TypeError, match=r"^x must have dtype torch.float32 \(the model's\), got torch.float64"):
        net(torch.ones(4, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="^x must be a torch tensor, got a numpy array"):
        net(torch.ones(4, 3).numpy())
    with pytest.raises(TypeError, match="^n_blocks must be an integer"):
        ResidualNet(3, n_blocks=2.0)
    with pytest.raises(TypeError, match="^bias must be True or False"):
        SpectralNormLinear(2, 3, bias="yes")
    assert net(torch.ones(3)).shape == (3,)  # one sample without a batch axis, as torch.nn.Linear allows
    assert ResidualNet(np.int64(3), n_blocks=np.int64(1), branch_scale=np.float32(0.5)).blocks[0].branch_scale == 0.5
