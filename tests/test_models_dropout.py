"""Dropout layers: expectations against Monte Carlo, masks, modes, bad input."""

import pytest
import torch

from nntheory.models.dropout import InvertedDropout, StandardDropout, all_masks, dropout_mask, mask_probabilities

N_MC = 40000


def _mc_mean(layer, x):
    layer.train()
    return layer(x.expand(N_MC, -1)).mean(0)  # N_MC independent masks, one per row


@pytest.mark.parametrize("cls", [StandardDropout, InvertedDropout])
@pytest.mark.parametrize("p_keep", [0.3, 0.8])
def test_train_mean_equals_eval_output(cls, p_keep):
    """E[train output] = eval output, for both conventions (Monte Carlo, 6 standard errors)."""
    g = torch.Generator().manual_seed(0)
    layer = cls(p_keep, generator=g)
    x = torch.linspace(-2, 3, 7, dtype=torch.float64)[None, :]
    mean = _mc_mean(layer, x)
    scale = 1 / p_keep if cls is InvertedDropout else 1.0
    stderr = scale * x.abs() * (p_keep * (1 - p_keep) / N_MC) ** 0.5
    assert torch.all((mean - layer.eval()(x)).abs() <= 6 * stderr + 1e-15)


def test_eval_outputs_and_torch_equivalence():
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(StandardDropout(0.7).eval()(x), 0.7 * x)
    torch.testing.assert_close(InvertedDropout(0.7).eval()(x), x)
    # Training mode: inverted output takes values in {0, x / p_keep}, like torch.nn.Dropout(p=p_drop).
    y = InvertedDropout(0.25, generator=torch.Generator().manual_seed(2)).train()(x)
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] / 0.25)
    ref = torch.nn.Dropout(p=0.75).train()(torch.ones(100000))
    assert set(torch.unique(ref).tolist()) == set(torch.unique(InvertedDropout(0.25)(torch.ones(10000))).tolist())


def test_mask_rate_and_generator():
    m = dropout_mask((200000,), 0.35, generator=torch.Generator().manual_seed(0))
    assert set(torch.unique(m).tolist()) <= {0.0, 1.0}
    assert abs(m.mean().item() - 0.35) < 6 * (0.35 * 0.65 / 200000) ** 0.5
    a = dropout_mask((50,), 0.5, generator=torch.Generator().manual_seed(9))
    b = dropout_mask((50,), 0.5, generator=torch.Generator().manual_seed(9))
    assert torch.equal(a, b)


def test_p_drop_and_repr():
    layer = StandardDropout(0.8)
    assert layer.p_drop == pytest.approx(0.2)
    assert "p_keep=0.8" in repr(layer)
    assert torch.equal(InvertedDropout(1.0).train()(torch.ones(3)), torch.ones(3))


def test_bad_input():
    for bad in (0.0, 1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="^p_keep must be"):
            StandardDropout(bad)
    for bad in (True, "0.5", None):
        with pytest.raises(TypeError, match="^p_keep must be a real number"):
            StandardDropout(bad)
    with pytest.raises(TypeError, match="generator"):
        InvertedDropout(0.5, generator=3)
    with pytest.raises(ValueError, match="p_keep"):
        dropout_mask((3,), 0.0)


def test_all_masks_and_probabilities():
    m = all_masks(6)
    assert m.shape == (64, 6) and set(torch.unique(m).tolist()) == {0.0, 1.0}
    assert len({tuple(r) for r in m.tolist()}) == 64  # all distinct, hence all 2^6 subsets
    for p_keep in (0.5, 0.8):
        prob = mask_probabilities(m, p_keep)
        torch.testing.assert_close(prob.sum(), torch.tensor(1.0, dtype=torch.float64))
        torch.testing.assert_close(prob @ m, torch.full((6,), p_keep, dtype=torch.float64))  # Bernoulli marginals
    torch.testing.assert_close(mask_probabilities(m, 0.5), torch.full((64,), 1 / 64, dtype=torch.float64))
    with pytest.raises(ValueError, match="n_units"):
        all_masks(0)
    with pytest.raises(ValueError, match="masks"):
        mask_probabilities(torch.ones(3), 0.5)
    with pytest.raises(ValueError, match="only 0 and 1"):
        mask_probabilities(torch.full((2, 3), 0.5), 0.5)  # not keep indicators: the formula would be meaningless


@pytest.mark.parametrize("p_keep", [0.5, 0.8])
def test_weight_scaling_is_the_geometric_mean_for_a_softmax_output(p_keep):
    """Dropout on the last hidden layer before a softmax: the normalised, probability-weighted geometric mean of
    the 2^N subnetworks' output distributions is softmax(p_keep W h + b) (Hinton et al. 2012), by enumeration."""
    g = torch.Generator().manual_seed(3)
    n_hidden, n_classes = 8, 4
    h = torch.relu(torch.randn(30, n_hidden, generator=g, dtype=torch.float64))
    W = torch.randn(n_classes, n_hidden, generator=g, dtype=torch.float64)
    b = torch.randn(n_classes, generator=g, dtype=torch.float64)
    masks = all_masks(n_hidden)
    log_probs = torch.log(torch.stack([torch.softmax((h * r) @ W.T + b, dim=1) for r in masks]))  # (2^N, 30, K)
    weights = mask_probabilities(masks, p_keep)
    geo = torch.exp((weights[:, None, None] * log_probs).sum(0))
    geo = geo / geo.sum(dim=1, keepdim=True)
    torch.testing.assert_close(geo, torch.softmax(p_keep * h @ W.T + b, dim=1), rtol=1e-12, atol=1e-14)
    arith = (weights[:, None, None] * log_probs.exp()).sum(0)
    assert (arith - geo).abs().max() > 1e-3  # the arithmetic mean is a different average


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_standard_and_inverted_dropout_train_identically_with_rescaled_rate(optimizer):
    """With W' = p W on the weights after dropout and the same masks, inverted dropout reproduces standard dropout
    when those weights get rate p^2 lr (SGD, weight decay lambda / p^2) or rate p lr and eps / p (Adam); oracle:
    the two torch.optim runs themselves, and the same run with the unscaled rate must differ."""
    p, lr = 0.7, 0.05 if optimizer == "sgd" else 1e-2
    g = torch.Generator().manual_seed(0)
    X = torch.randn(40, 4, generator=g, dtype=torch.float64)
    Y = torch.randn(40, 2, generator=g, dtype=torch.float64)
    W1 = torch.randn(8, 4, generator=g, dtype=torch.float64) * 0.5
    W2 = torch.randn(2, 8, generator=g, dtype=torch.float64) * 0.5

    def run(kind, lr_out, eps_out=1e-8, wd=0.0):
        w1 = W1.clone().requires_grad_()
        w2 = (W2 * (p if kind == "inverted" else 1.0)).requires_grad_()
        layer = (StandardDropout if kind == "standard" else InvertedDropout)(p, generator=torch.Generator().manual_seed(1))
        groups = [{"params": [w1], "lr": lr}, {"params": [w2], "lr": lr_out, "weight_decay": wd}]
        if optimizer == "sgd":
            opt = torch.optim.SGD(groups)
        else:
            groups[1]["eps"] = eps_out
            opt = torch.optim.Adam(groups)
        for _ in range(30):
            opt.zero_grad()
            ((layer.train()(torch.relu(X @ w1.T)) @ w2.T - Y) ** 2).mean().backward()
            opt.step()
        with torch.no_grad():
            return layer.eval()(torch.relu(X @ w1.T)) @ w2.T

    ref = run("standard", lr, wd=0.1 if optimizer == "sgd" else 0.0)
    if optimizer == "sgd":
        torch.testing.assert_close(run("inverted", p**2 * lr, wd=0.1 / p**2), ref, rtol=1e-10, atol=1e-12)
        assert (run("inverted", lr, wd=0.1) - ref).abs().max() > 1e-4
    else:
        torch.testing.assert_close(run("inverted", p * lr, eps_out=1e-8 / p), ref, rtol=1e-10, atol=1e-12)
        assert (run("inverted", lr) - ref).abs().max() > 1e-4


def test_numpy_scalars_and_bad_arguments():
    import numpy as np

    layer = StandardDropout(np.float32(0.5), generator=torch.Generator().manual_seed(0))  # used to be refused
    assert layer.p_keep == 0.5
    a = dropout_mask((np.int64(4), 3), np.float32(0.5), generator=torch.Generator().manual_seed(1))
    b = dropout_mask((4, 3), 0.5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    with pytest.raises(TypeError, match=r"^shape\[0\] must be an integer"):
        dropout_mask((2.5, 3), 0.5)
    with pytest.raises(TypeError, match="^dtype must be a floating torch dtype"):
        dropout_mask((2, 3), 0.5, dtype=torch.int64)
    with pytest.raises(ValueError, match="^device must name a torch device"):
        dropout_mask((2, 3), 0.5, device="gpu7")
    with pytest.raises(TypeError, match="^x must be a torch tensor, got a numpy array"):
        layer(np.ones(3))
    with pytest.raises(ValueError, match="^masks must hold only 0 and 1"):
        mask_probabilities(torch.full((2, 3), 0.5), 0.5)
