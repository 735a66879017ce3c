"""Tests for nntheory.initialization against closed forms, quadrature and Monte Carlo.

Monte Carlo tolerances: the mean of ``n`` squared i.i.d. weights with
variance ``s2`` has standard error ``s2 * sqrt(2 / n)`` (normal) or
``s2 * sqrt(0.8 / n)`` (uniform, since E[w^4] = 9 s2^2 / 5). We allow five
standard errors (a false-failure probability below 1e-6).
"""

import math

import numpy as np
import pytest
import torch

from nntheory import initialization as init

integrate = pytest.importorskip("scipy.integrate")


@pytest.mark.parametrize(
    "scheme, fan_in, fan_out, expected",
    [("lecun", 50, 20, 1 / 50), ("xavier", 50, 30, 2 / 80), ("glorot", 50, 30, 2 / 80), ("he", 50, 7, 2 / 50), ("kaiming", 8, None, 2 / 8)],
)
def test_init_variance_formulas(scheme, fan_in, fan_out, expected):
    assert init.init_variance(scheme, fan_in, fan_out) == pytest.approx(expected, rel=1e-15)
    assert init.init_variance(scheme, fan_in, fan_out, gain=3.0) == pytest.approx(9 * expected, rel=1e-15)


@pytest.mark.parametrize("distribution, kurtosis_term", [("normal", 2.0), ("uniform", 0.8)])
@pytest.mark.parametrize("scheme", ["lecun", "xavier", "he"])
def test_sample_weights_variance(rng, scheme, distribution, kurtosis_term):
    shape = (300, 400)
    W = init.sample_weights(shape, scheme, rng=rng, distribution=distribution)
    s2 = init.init_variance(scheme, fan_in=400, fan_out=300)
    n = W.size
    assert W.shape == shape
    assert abs(np.mean(W**2) - s2) < 5 * s2 * math.sqrt(kurtosis_term / n)
    assert abs(W.mean()) < 5 * math.sqrt(s2 / n)
    if distribution == "uniform":
        assert np.abs(W).max() <= math.sqrt(3 * s2)


@pytest.mark.parametrize("distribution, kurtosis_term", [("normal", 2.0), ("uniform", 0.8)])
def test_torch_init_variance_and_generator(generator, distribution, kurtosis_term):
    W = torch.empty(300, 500, dtype=torch.float64)
    out = init.init_(W, "xavier", generator=generator, distribution=distribution)
    assert out is W
    s2 = 2 / 800
    assert abs((W**2).mean().item() - s2) < 5 * s2 * math.sqrt(kurtosis_term / W.numel())
    # The explicit generator makes the draw reproducible.
    W2 = init.init_(torch.empty(300, 500, dtype=torch.float64), "xavier", generator=torch.Generator().manual_seed(20261124), distribution=distribution)
    assert torch.equal(W, W2)


def test_relu_moments_against_quadrature():
    for q in [0.01, 1.0, 7.5]:
        pdf = lambda h: math.exp(-h * h / (2 * q)) / math.sqrt(2 * math.pi * q)
        m1 = integrate.quad(lambda h: h * pdf(h), 0, np.inf)[0]
        m2 = integrate.quad(lambda h: h * h * pdf(h), 0, np.inf)[0]
        mean, second = init.relu_moments(q)
        assert mean == pytest.approx(m1, rel=1e-8)
        assert second == pytest.approx(m2, rel=1e-8)


def test_tanh_second_moment_against_adaptive_quadrature():
    for q in [1e-4, 0.3, 1.0, 2.0, 20.0, 500.0, 5000.0]:
        s = math.sqrt(q)
        # Even integrand; breakpoints where tanh(s t) bends keep quad accurate.
        f = lambda t: math.tanh(s * t) ** 2 * math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
        ref = 2 * integrate.quad(f, 0, 40, epsabs=1e-14, epsrel=1e-14, limit=500, points=[0.5 / s, 1 / s, 3 / s, 10 / s])[0]
        assert init.tanh_second_moment(q) == pytest.approx(ref, abs=1e-11)
    # Linearisation: tanh(h)^2 <= h^2, so m(q) < q, and m(q)/q -> 1 as q -> 0.
    q = np.array([1e-6, 0.1, 1.0])
    m = init.tanh_second_moment(q)
    assert np.all(m < q)
    assert m[0] / q[0] == pytest.approx(1.0, abs=1e-5)


def test_propagate_variance_closed_forms():
    M, L = 64, 10
    for c in [0.5, 1.0, 2.0]:
        p = init.propagate_variance(L, c / M, M, activation="identity")
        np.testing.assert_allclose(p.variance, c ** np.arange(1, L + 1), rtol=1e-12)
        p = init.propagate_variance(L, c / M, M, activation="relu", input_second_moment=3.0)
        # q_1 = c * 3, then each layer multiplies by c / 2.
        np.testing.assert_allclose(p.variance, 3 * c * (c / 2) ** np.arange(L), rtol=1e-12)
        np.testing.assert_array_equal(p.mean, 0.0)


def _monte_carlo(rng, activation, widths, s2, n_nets, n_samples):
    """Per-network estimates of E[h_l^2]: mean of squares over units and samples."""
    L = len(widths) - 1
    est = np.empty((n_nets, L))
    for k in range(n_nets):
        Ws = [rng.normal(0, math.sqrt(s2[l]), size=(widths[l + 1], widths[l])) for l in range(L)]
        X = rng.normal(size=(n_samples, widths[0]))
        hs = init.empirical_preactivations(X, Ws, activation=activation)
        est[k] = [np.mean(h**2) for h in hs]
    return est


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_propagation_theory_matches_monte_carlo(rng, activation):
    # Non-uniform widths and variances exercise the general recursion.
    widths = [20, 40, 30, 50, 25]
    s2 = [1.3 / 20, 2.5 / 40, 1.0 / 30, 3.0 / 50]
    est = _monte_carlo(rng, activation, widths, s2, n_nets=400, n_samples=16)
    theory = init.propagate_variance(4, s2, widths[:-1], activation=activation).variance
    # Networks are independent, so the standard error comes from their spread.
    se = est.std(axis=0, ddof=1) / math.sqrt(len(est))
    assert np.all(np.abs(est.mean(axis=0) - theory) < 5 * se)


def test_tanh_propagation_matches_monte_carlo_loosely(rng):
    # The quadrature recursion assumes Gaussian pre-activations (infinite
    # width); at width 200 we allow 3 % plus five standard errors.
    widths = [200] * 5
    s2 = [1.5 / 200] * 4
    est = _monte_carlo(rng, "tanh", widths, s2, n_nets=40, n_samples=32)
    theory = init.propagate_variance(4, s2, 200, activation="tanh").variance
    se = est.std(axis=0, ddof=1) / math.sqrt(len(est))
    assert np.all(np.abs(est.mean(axis=0) - theory) < 0.03 * theory + 5 * se)
    # The linearisation overestimates beyond the first layer.
    lin = init.propagate_variance(4, s2, 200, activation="tanh_linear").variance
    assert np.all(lin[1:] > est.mean(axis=0)[1:])


def test_bad_inputs(rng, generator):
    with pytest.raises(ValueError, match="scheme"):
        init.init_variance("orthogonal", 10)
    with pytest.raises(ValueError, match="fan_out"):
        init.init_variance("xavier", 10)
    with pytest.raises(ValueError, match="fan_in"):
        init.init_variance("he", 0)
    with pytest.raises(TypeError, match="rng"):
        init.sample_weights((3, 4), "he", rng=0)
    with pytest.raises(ValueError, match="distribution"):
        init.sample_weights((3, 4), "he", rng=rng, distribution="cauchy")
    with pytest.raises(ValueError, match="shape"):
        init.sample_weights((3, 4, 5), "he", rng=rng)
    with pytest.raises(TypeError, match="generator"):
        init.init_(torch.empty(3, 4), "he", generator=rng)
    with pytest.raises(ValueError, match="2-D"):
        init.init_(torch.empty(3), "he", generator=generator)
    with pytest.raises(ValueError, match="activation"):
        init.propagate_variance(3, 0.1, 10, activation="gelu")
    with pytest.raises(ValueError, match="weight_variance"):
        init.propagate_variance(3, [0.1, 0.2], 10)
    with pytest.raises(ValueError, match="widths"):
        init.propagate_variance(3, 0.1, [10, 10])
    with pytest.raises(ValueError, match="q"):
        init.relu_moments(-1.0)
    with pytest.raises(ValueError, match="weights\\[1\\]"):
        init.empirical_preactivations(np.ones((2, 3)), [np.ones((4, 3)), np.ones((2, 3))])
