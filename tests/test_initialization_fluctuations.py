"""Tests for nntheory.initialization.fluctuations.

Oracles: scipy.special for digamma and trigamma; direct Monte Carlo over
random networks (numpy, drawn here, not with the library) for the moments
of the log mean square; adaptive quadrature over the chi distribution and
Monte Carlo for the ReLU neuron. Monte Carlo tolerances are five standard
errors (false-failure probability below 1e-6 per comparison).
"""

import math

import numpy as np
import pytest

from nntheory.initialization import fluctuations as fl
from nntheory.initialization import propagate_variance

special = pytest.importorskip("scipy.special")
integrate = pytest.importorskip("scipy.integrate")


def test_polygamma_half_matches_scipy():
    psi, tri = fl._polygamma_half(3000)
    x = np.arange(1, 3001) / 2
    np.testing.assert_allclose(psi, special.digamma(x), rtol=0, atol=1e-13)
    np.testing.assert_allclose(tri, special.polygamma(1, x), rtol=1e-13)
    psi1, tri1 = fl._polygamma_half(1)
    np.testing.assert_allclose([psi1[0], tri1[0]], [special.digamma(0.5), special.polygamma(1, 0.5)], rtol=1e-14)


def _simulated_log_ratio(rng, widths, activation, n_nets, random_input=True):
    """log(q_hat_l / q_l) for n_nets independent networks: shape (n_nets, L); -inf where a layer died."""
    L = len(widths) - 1
    s2 = [1.7 / w for w in widths[:-1]]  # any variances: they cancel in the ratio
    x = rng.normal(size=(n_nets, widths[0])) if random_input else np.tile(np.linspace(-1, 2, widths[0]), (n_nets, 1))
    z, out = x, []
    for l in range(L):
        W = rng.normal(0, math.sqrt(s2[l]), size=(n_nets, widths[l + 1], widths[l]))
        h = np.einsum("nij,nj->ni", W, z)
        out.append(np.mean(h**2, axis=1))
        z = np.maximum(h, 0) if activation == "relu" else h
    m0 = 1.0 if random_input else float(np.mean(x[0] ** 2))
    q = propagate_variance(L, s2, widths[:-1], activation=activation, input_second_moment=m0).variance
    with np.errstate(divide="ignore"):
        return np.log(np.array(out).T / q)


@pytest.mark.parametrize("activation", ["identity", "relu"])
@pytest.mark.parametrize("random_input", [True, False])
def test_log_moments_match_monte_carlo(rng, activation, random_input):
    # Small, unequal widths: far from the wide limit, so the exact digamma
    # moments differ clearly from the asymptotic -kappa/(2n) per layer.
    widths = [3, 5, 4, 7, 2, 6]
    n_nets = 200_000
    logs = _simulated_log_ratio(rng, widths, activation, n_nets, random_input)
    theory = fl.finite_width_log_moments(widths, activation, random_input=random_input)
    for l in range(len(widths) - 1):
        v = logs[:, l][np.isfinite(logs[:, l])]  # condition on no layer being entirely inactive
        if activation == "identity":
            assert v.size == n_nets
        mean_se = v.std() / math.sqrt(v.size)
        c = v - v.mean()
        var_se = math.sqrt(np.mean(c**4) - np.mean(c**2) ** 2) / math.sqrt(v.size)
        assert abs(v.mean() - theory.shift[l]) < 5 * mean_se, (l, v.mean(), theory.shift[l], mean_se)
        assert abs(v.var() - theory.variance[l]) < 5 * var_se, (l, v.var(), theory.variance[l], var_se)
    # The test has the power to see the finite-width effect: the wide-limit
    # shift (0) is far outside the tolerance at the last layer.
    assert abs(theory.shift[-1]) > 50 * mean_se


def test_log_moments_wide_limit():
    # Large width: shift -> -(l+1)/n (identity) and about -1/n - (l-1) * 5/(2n) - 1/n (ReLU).
    n, L = 4096, 30
    ident = fl.finite_width_log_moments([n] * (L + 1), "identity")
    relu = fl.finite_width_log_moments([n] * (L + 1), "relu")
    l = np.arange(1, L + 1)
    np.testing.assert_allclose(ident.shift, -(l + 1) / n, rtol=1e-3)
    np.testing.assert_allclose(ident.variance, 2 * (l + 1) / n, rtol=1e-3)
    np.testing.assert_allclose(relu.shift, -(2 + 5 * (l - 1) / 2) / n, rtol=2e-3)
    np.testing.assert_allclose(relu.variance, (4 + 5 * (l - 1)) / n, rtol=2e-3)
    fixed = fl.finite_width_log_moments([n] * (L + 1), "identity", random_input=False)
    np.testing.assert_allclose(ident.shift - fixed.shift, ident.shift[0] - fixed.shift[0], rtol=1e-12)


def test_relu_neuron_moments(rng):
    M, s2 = 7, 0.3
    mean, second = fl.relu_neuron_moments(M, s2)
    # Oracle 1: E[z] = sigma / sqrt(2 pi) * E[chi_M], with E[chi_M] by quadrature of the chi density.
    chi_pdf = lambda r: r ** (M - 1) * math.exp(-r * r / 2) / (2 ** (M / 2 - 1) * math.gamma(M / 2))
    e_chi = integrate.quad(lambda r: r * chi_pdf(r), 0, np.inf, epsabs=1e-13)[0]
    assert mean == pytest.approx(math.sqrt(s2 / (2 * math.pi)) * e_chi, rel=1e-10)
    assert second == pytest.approx(M * s2 / 2, rel=1e-15)
    # Oracle 2: Monte Carlo over the weights and inputs themselves.
    n = 400_000
    z = np.maximum(np.einsum("nm,nm->n", rng.normal(0, math.sqrt(s2), (n, M)), rng.normal(size=(n, M))), 0)
    assert abs(z.mean() - mean) < 5 * z.std() / math.sqrt(n)
    assert abs(np.mean(z**2) - second) < 5 * np.std(z**2) / math.sqrt(n)
    # The Gaussian-h formula overestimates the mean by 1 + 1/(4M) + O(1/M^2).
    gauss = math.sqrt(M * s2 / (2 * math.pi))
    assert gauss / mean - 1 == pytest.approx(1 / (4 * M), rel=0.1)


def test_fluctuations_bad_inputs():
    with pytest.raises(ValueError, match="activation"):
        fl.finite_width_log_moments([4, 4], "tanh")
    with pytest.raises(ValueError, match="widths"):
        fl.finite_width_log_moments([4], "relu")
    with pytest.raises(TypeError, match="widths"):
        fl.finite_width_log_moments(4, "relu")
    with pytest.raises(ValueError, match="widths"):
        fl.finite_width_log_moments([4, 0, 3], "relu")
    with pytest.raises(ValueError, match="fan_in"):
        fl.relu_neuron_moments(0, 1.0)
    with pytest.raises(ValueError, match="weight_variance"):
        fl.relu_neuron_moments(3, -1.0)
    with pytest.raises(ValueError, match="weight_variance"):
        fl.relu_neuron_moments(3, float("nan"))
    with pytest.raises(TypeError, match="weight_variance"):
        fl.relu_neuron_moments(3, "0.5")


# -- perturbative_log_moments: the first-order finite-width correction ------------------------------


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_perturbative_matches_exact_to_second_order(activation):
    # Oracle: the exact digamma moments. The expansion drops O(1/M^2) per layer,
    # so the discrepancy must shrink by about 16 when M grows by 4.
    L = 40
    diffs = []
    for M in (256, 1024):
        approx = fl.perturbative_log_moments(L, 1.3 / M, M, activation)
        exact = fl.finite_width_log_moments([M] * (L + 1), activation)
        d = max(np.abs(approx.shift - exact.shift).max(), np.abs(approx.variance - exact.variance).max())
        assert d < 20 * L / M**2, (M, d)
        diffs.append(d)
    assert diffs[1] < diffs[0] / 8, diffs


def _tanh_chain(rng, c, M, L, n):
    """log(q_hat_l / q_l) by the exact scalar reduction t_{l+1} = c mean_i tanh(sqrt(t_l) g_i)^2: shape (n, L)."""
    t = c * rng.chisquare(M, size=n) / M
    out = []
    for _ in range(L):
        h = np.sqrt(t)[:, None] * rng.normal(size=(n, M))
        out.append(np.log(np.mean(h**2, axis=1)))
        t = c * np.mean(np.tanh(h) ** 2, axis=1)
    q = propagate_variance(L, c / M, M, activation="tanh").variance
    return np.array(out).T - np.log(q)


def test_tanh_chain_is_the_network(rng):
    # The reduction used by the oracle below, checked against random tanh networks drawn here.
    M, L, c, n = 8, 6, 1.5, 40_000
    x = rng.normal(size=(n, M))
    z, net = x, []
    for _ in range(L):
        h = np.einsum("nij,nj->ni", rng.normal(0, math.sqrt(c / M), size=(n, M, M)), z)
        net.append(np.log(np.mean(h**2, axis=1)))
        z = np.tanh(h)
    q = propagate_variance(L, c / M, M, activation="tanh").variance
    net = np.array(net).T - np.log(q)
    chain = _tanh_chain(rng, c, M, L, n)
    se_mean = np.sqrt((net.var(0) + chain.var(0)) / n)
    assert np.all(np.abs(net.mean(0) - chain.mean(0)) < 5 * se_mean)
    se_var = np.sqrt((np.var(net**2, axis=0) + np.var(chain**2, axis=0)) / n)  # generous: s.e. of the raw second moments
    assert np.all(np.abs(net.var(0) - chain.var(0)) < 5 * se_var)


@pytest.mark.parametrize("c", [1.0, 3.0])
def test_perturbative_tanh_against_monte_carlo(rng, c):
    # Oracle: Monte Carlo of the exact scalar chain (3,000 networks, width 256, 25 layers).
    # Mean: within 5 standard errors at every layer. Variance: within 10 % (its
    # first-order recursion drops O(Var u^2) terms; measured error about 5 %).
    M, L, n = 256, 25, 3_000
    logs = _tanh_chain(rng, c, M, L, n)
    theory = fl.perturbative_log_moments(L, c / M, M, "tanh")
    se = logs.std(0) / math.sqrt(n)
    assert np.all(np.abs(logs.mean(0) - theory.shift) < 5 * se), (logs.mean(0) - theory.shift) / se
    np.testing.assert_allclose(logs.var(0), theory.variance, rtol=0.1)
    # Power: near the linear regime (c = 1) the correction is many standard errors from
    # zero; at c = 3 (saturated fixed point) it is small, and the variance carries the test.
    if c == 1.0:
        assert abs(theory.shift[-1]) > 5 * se[-1]


def test_perturbative_bad_inputs():
    with pytest.raises(ValueError, match="activation"):
        fl.perturbative_log_moments(3, 0.01, 16, "sigmoid")
    with pytest.raises(ValueError, match="width"):
        fl.perturbative_log_moments(3, 0.01, 0)
    with pytest.raises(ValueError, match="n_layers"):
        fl.perturbative_log_moments(0, 0.01, 16)
    with pytest.raises(ValueError, match="weight_variance"):
        fl.perturbative_log_moments(3, -0.01, 16)
    with pytest.raises(TypeError, match="weight_variance"):
        fl.perturbative_log_moments(3, "0.01", 16)


def test_tanh_fourth_moment_against_adaptive_quadrature():
    for t in (1e-6, 0.05, 0.7, 1.0, 1.3, 4.0, 30.0):
        s = math.sqrt(t)
        ref = integrate.quad(lambda g: math.tanh(s * g) ** 4 * math.exp(-g * g / 2) / math.sqrt(2 * math.pi), -np.inf, np.inf, epsabs=1e-14, limit=200)[0]
        assert fl._tanh_fourth_moment(t) == pytest.approx(ref, rel=1e-9, abs=1e-14), t
