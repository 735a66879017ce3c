"""Tests for nntheory.diagnostics.dead_units on constructed cases.

Oracles: a linear function attains its maximum over a box at a corner, so
enumerating the corners gives the exact first-layer bound; dense random
samples check soundness of the deeper bounds.
"""

import itertools

import numpy as np
import pytest
import torch

from nntheory.diagnostics import dead_units as du

LO, HI = np.array([-1.0, -1.0]), np.array([1.0, 1.0])


def _corners(lo, hi):
    return np.array(list(itertools.product(*zip(lo, hi))))


def test_dead_alive_and_partially_dead_units(rng):
    # Unit 0: max over the box is -2 + 1.5 < 0 (dead). Unit 1: alive.
    # Unit 2: a = -x_1, dead on the half box x_1 >= 0 but not on the box.
    W = np.array([[1.0, 0.5], [0.3, -0.2], [-1.0, 0.0]])
    b = np.array([-2.0, 0.1, 0.0])
    X_half = rng.uniform([0.0, -1.0], [1.0, 1.0], size=(500, 2))
    report = du.dead_unit_report(X_half, LO, HI, [W], [b])
    np.testing.assert_array_equal(report.dead_on_samples[0], [True, False, True])
    np.testing.assert_array_equal(report.dead_on_box[0], [True, False, False])
    np.testing.assert_array_equal(report.dead_on_samples_only[0], [False, False, True])
    # On a dense grid of the full box, unit 2 is alive, unit 0 is dead.
    g = np.linspace(-1, 1, 101)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    np.testing.assert_array_equal(du.dead_on_samples(grid, [W], [b])[0], [True, False, False])


def test_first_layer_bound_is_exact(rng):
    W, b = rng.normal(size=(6, 3)), rng.normal(size=6)
    lo, hi = -rng.uniform(0, 2, size=3), rng.uniform(0, 2, size=3)
    (a_lo, a_hi), = du.interval_bounds(lo, hi, [W], [b])
    a = _corners(lo, hi) @ W.T + b
    np.testing.assert_allclose(a_hi, a.max(axis=0), rtol=1e-13)
    np.testing.assert_allclose(a_lo, a.min(axis=0), rtol=1e-13)
    # On [-1, 1]^d the upper bound is b + ||w||_1.
    (_, hi1), = du.interval_bounds(-np.ones(3), np.ones(3), [W], [b])
    np.testing.assert_allclose(hi1, b + np.abs(W).sum(axis=1), rtol=1e-13)


def test_deep_bounds_are_sound(rng):
    Ws = [rng.normal(size=(8, 2)), rng.normal(size=(5, 8)), rng.normal(size=(4, 5))]
    bs = [rng.normal(size=8), rng.normal(size=5), rng.normal(size=4)]
    X = rng.uniform(LO, HI, size=(5000, 2))
    for (lo, hi), a in zip(du.interval_bounds(LO, HI, Ws, bs), du.relu_mlp_preactivations(X, Ws, bs)):
        assert np.all(a <= hi + 1e-12) and np.all(a >= lo - 1e-12)


def test_loose_bound_reports_samples_only():
    # Layer 2 computes relu(x_1) - relu(x_1) - 0.1 = -0.1: dead everywhere,
    # but interval arithmetic forgets the cancellation.
    W1, b1 = np.array([[1.0, 0.0], [1.0, 0.0]]), np.zeros(2)
    W2, b2 = np.array([[1.0, -1.0]]), np.array([-0.1])
    g = np.linspace(-1, 1, 41)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    report = du.dead_unit_report(grid, LO, HI, [W1, W2], [b1, b2])
    assert report.dead_on_samples[1][0] and not report.dead_on_box[1][0]
    assert report.dead_on_samples_only[1][0]


def test_accepts_torch_parameters():
    lin = torch.nn.Linear(2, 3)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 1.0], [0.0, 1.0], [2.0, -1.0]]))
        lin.bias.copy_(torch.tensor([-2.0, 0.0, -2.5]))
    dead = du.dead_on_box(LO, HI, [lin.weight], [lin.bias])[0]
    np.testing.assert_array_equal(dead, [True, False, False])


def test_bad_inputs():
    W, b = np.ones((2, 2)), np.zeros(2)
    with pytest.raises(ValueError, match="weights\\[0\\]"):
        du.dead_on_samples(np.ones((3, 3)), [W], [b])
    with pytest.raises(ValueError, match="biases\\[0\\]"):
        du.dead_on_box(LO, HI, [W], [np.zeros(3)])
    with pytest.raises(ValueError, match="lower"):
        du.interval_bounds(HI, LO, [W], [b])
    with pytest.raises(ValueError, match="equal length"):
        du.interval_bounds(LO, HI, [W], [])
    with pytest.raises(ValueError, match="X must not be empty"):
        du.dead_on_samples(np.ones((0, 2)), [W], [b])
    with pytest.raises(ValueError, match="X must"):
        du.relu_mlp_preactivations(np.ones(2), [W], [b])


def test_nan_units_are_not_called_alive():
    # A NaN pre-activation is neither <= 0 nor > 0; the old code counted such a unit as not dead.
    W, b = np.array([[1.0, -1.0]]), np.array([0.0])
    with pytest.raises(ValueError, match="^X must be finite"):
        du.dead_on_samples(np.array([[np.nan, 0.0]]), [W], [b])
    with pytest.raises(ValueError, match=r"^weights\[0\] must be finite"):
        du.dead_on_samples(np.ones((1, 2)), [np.array([[np.inf, 0.0]])], [b])
    with pytest.raises(ValueError, match=r"pre-activations of weights\[1\] overflow"):
        du.dead_on_samples(np.ones((1, 2)), [np.array([[1e200, 1e200]]), np.array([[1e200]])], [b, b])
    with pytest.raises(ValueError, match=r"interval bounds of weights\[1\] overflow"):
        du.dead_on_box(LO, HI, [np.array([[1e200, 1e200]]), np.array([[1e200]])], [b, b])
    with pytest.raises(ValueError, match="^lower must be finite"):
        du.dead_on_box(np.array([-np.inf, -1.0]), HI, [W], [b])
    with pytest.raises(ValueError, match=r"^weights\[0\] must have shape \(n_units, 3\) to read the 3 features of X"):
        du.relu_mlp_preactivations(np.ones((2, 3)), [W], [b])
    with pytest.raises(TypeError, match="^weights must be a list or tuple"):
        du.relu_mlp_preactivations(np.ones((2, 2)), W, [b])
