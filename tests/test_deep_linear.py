"""Tests for nntheory.deep_linear against autograd, a Monte Carlo loss and a scalar loop."""

import numpy as np
import pytest
import torch

from nntheory import deep_linear


def _scalar_gd_loss(w1, w2, a1, a2, k, max_loss=1e100):
    """Independent reference: the update in plain Python floats."""
    w1, w2 = float(w1), float(w2)
    for _ in range(k):
        w1, w2 = w1 * (1.0 - a1 * (w2 * w2)), w2 * (1.0 - a2 * (w1 * w1))
        try:
            loss = 0.5 * (w1 * w2) ** 2
        except OverflowError:
            return np.inf
        if not loss <= max_loss:
            return np.inf
    return 0.5 * (w1 * w2) ** 2


def test_population_loss_matches_monte_carlo(rng):
    # X uniform on [-sqrt(3), sqrt(3)] has mean 0 and variance 1.
    x = rng.uniform(-np.sqrt(3), np.sqrt(3), size=400_000)
    w1, w2 = 0.7, -1.3
    mc = np.mean(0.5 * (w2 * w1 * x) ** 2)
    se = np.std(0.5 * (w2 * w1 * x) ** 2) / np.sqrt(x.size)
    assert abs(mc - deep_linear.population_loss(w1, w2)) < 5 * se


def test_gradient_and_hessian_match_autograd(rng):
    for w1, w2 in rng.normal(size=(10, 2)) * 2:
        w = torch.tensor([w1, w2], dtype=torch.float64, requires_grad=True)
        loss_fn = lambda v: 0.5 * (v[0] * v[1]) ** 2  # noqa: E731
        (g,) = torch.autograd.grad(loss_fn(w), w)
        h = torch.autograd.functional.hessian(loss_fn, w.detach())
        g1, g2 = deep_linear.gradient(w1, w2)
        np.testing.assert_allclose([g1, g2], g.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(deep_linear.hessian(w1, w2), h.numpy(), rtol=1e-12, atol=1e-12)


def test_hessian_is_indefinite_off_the_axes(rng):
    w1, w2 = rng.normal(size=(2, 50))
    eig = np.linalg.eigvalsh(deep_linear.hessian(w1, w2))
    assert np.all(eig[:, 0] < 0) and np.all(eig[:, 1] > 0)


def test_gd_step_is_the_gradient_step(rng):
    w1, w2, a1, a2 = rng.uniform(0.1, 1.5, size=4)
    g1, g2 = deep_linear.gradient(w1, w2)
    n1, n2 = deep_linear.gd_step(w1, w2, a1, a2)
    np.testing.assert_allclose([n1, n2], [w1 - a1 * g1, w2 - a2 * g2], rtol=1e-14)


def test_grid_matches_scalar_loop_at_sampled_points(rng):
    a1, a2 = np.meshgrid(np.linspace(0.0, 3.0, 120), np.linspace(0.0, 3.0, 110))
    inits = np.array([[1.0, 1.0], [0.5, 1.5], [-1.2, 0.3]])
    steps = [0, 10, 25, 200]
    out = deep_linear.gd_losses(inits[:, 0, None, None], inits[:, 1, None, None], a1, a2, steps)
    assert out.shape == (4, 3, 110, 120)
    for _ in range(60):
        s = rng.integers(3)
        i, j = rng.integers(110), rng.integers(120)
        for r, k in enumerate(steps):
            ref = _scalar_gd_loss(inits[s, 0], inits[s, 1], a1[i, j], a2[i, j], k)
            got = out[r, s, i, j]
            if np.isinf(ref):
                assert np.isinf(got)
            else:
                assert got == pytest.approx(ref, rel=1e-9, abs=1e-300)
    assert np.isinf(out).any() and np.isfinite(out).any()


def test_divergence_reported_as_inf_without_warnings():
    with np.errstate(all="raise"):  # any leaked floating-point warning would raise
        out = deep_linear.gd_losses(2.0, 2.0, 10.0, 10.0, [0, 1, 50])
    assert np.isfinite(out[0]) and np.isinf(out[-1])


def test_trajectory_agrees_with_losses(rng):
    a1 = rng.uniform(0.05, 0.6, size=5)
    traj = deep_linear.gd_trajectory(1.0, 1.2, a1, 0.3, 30)
    losses = deep_linear.gd_losses(1.0, 1.2, a1, 0.3, [0, 7, 30])
    np.testing.assert_allclose(traj.loss[[0, 7, 30]], losses, rtol=1e-12)


def test_flow_invariant_change_per_step(rng):
    w1, w2, a1, a2 = rng.uniform(0.2, 1.0, size=4)
    n1, n2 = deep_linear.gd_step(w1, w2, a1, a2)
    change = deep_linear.flow_invariant(n1, n2, a1, a2) - deep_linear.flow_invariant(w1, w2, a1, a2)
    assert change == pytest.approx(w1**2 * w2**2 * (a1 * w2**2 - a2 * w1**2), rel=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="alpha1"):
        deep_linear.gd_losses(1.0, 1.0, -0.1, 0.1, [1])
    with pytest.raises(ValueError, match="steps"):
        deep_linear.gd_losses(1.0, 1.0, 0.1, 0.1, [-1])
    with pytest.raises(TypeError, match="steps"):
        deep_linear.gd_losses(1.0, 1.0, 0.1, 0.1, [1.5])
    with pytest.raises(TypeError, match="w1"):
        deep_linear.population_loss("a", 1.0)
    with pytest.raises(ValueError, match="max_loss"):
        deep_linear.gd_losses(1.0, 1.0, 0.1, 0.1, [1], max_loss=0)
    with pytest.raises(ValueError, match="positive"):
        deep_linear.flow_invariant(1.0, 1.0, 0.0, 1.0)


def test_shapes_that_do_not_broadcast_are_named():
    with pytest.raises(ValueError, match=r"w1 \(3,\), w2 \(2,\)"):
        deep_linear.hessian(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="alpha1"):
        deep_linear.gd_losses(1.0, 1.5, np.ones(3), np.ones(2), steps=[1])
