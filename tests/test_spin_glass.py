"""The spherical 3-spin glass: derivatives against torch.autograd, the Riemannian Hessian against
central finite differences along great circles, the energy's variance by Monte Carlo, and the
critical points Newton's method returns."""

from itertools import permutations

import numpy as np
import pytest
import torch

from nntheory import spin_glass as sg


def test_couplings_are_symmetric(rng):
    J = sg.couplings(5, rng)
    for p in permutations(range(3)):
        np.testing.assert_allclose(J, np.transpose(J, p), rtol=0, atol=1e-15)  # up to the order of summation


def test_couplings_reject_bad_input(rng):
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        sg.couplings(1, rng)
    with pytest.raises(TypeError, match="rng"):
        sg.couplings(3, 0)
    with pytest.raises(ValueError, match=r"\(n, n, n\)"):
        sg.energy(np.zeros((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="sigma"):
        sg.energy(np.zeros((3, 3, 3)), np.ones(4))


def test_gradient_and_hessian_against_autograd(rng):
    n = 6
    J = sg.couplings(n, rng)
    sigma = rng.standard_normal(n)  # anywhere in R^n: the formulas are Euclidean
    J_t = torch.tensor(J)
    H = lambda s: torch.einsum("ijk,i,j,k->", J_t, s, s, s) / n
    s_t = torch.tensor(sigma)
    np.testing.assert_allclose(sg.energy(J, sigma), H(s_t).item(), rtol=1e-13)
    np.testing.assert_allclose(sg.gradient(J, sigma), torch.func.grad(H)(s_t).numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sg.hessian(J, sigma), torch.func.hessian(H)(s_t).numpy(), rtol=1e-12, atol=1e-14)


def test_energy_variance_is_n(rng):
    """Var H(sigma) = (1/n^2) sum_ijk sigma_i^2 sigma_j^2 sigma_k^2 = n on the sphere; the sample
    variance of a Gaussian has relative standard error sqrt(2/(M-1)); 5 standard errors."""
    n, M = 4, 4000
    sigma = sg.to_sphere(rng.standard_normal(n))
    energies = np.array([sg.energy(sg.couplings(n, rng), sigma) for _ in range(M)])
    assert abs(energies.var() / n - 1) < 5 * np.sqrt(2 / (M - 1)), energies.var()


def test_riemannian_hessian_against_great_circle_differences(rng):
    """Along the great circle c(t) = cos t sigma + sin t sqrt(n) u (u a unit tangent vector),
    d^2/dt^2 H(c(t)) at 0 equals n u^T (Hess H - mu I) u; polarisation gives the whole matrix
    on a tangent basis, whose eigenvalues must match. Central differences in float64."""
    n = 5
    J = sg.couplings(n, rng)
    sigma = sg.to_sphere(rng.standard_normal(n))  # not a critical point
    Q, _ = np.linalg.qr(np.column_stack([sigma, rng.standard_normal((n, n - 1))]))
    T = Q[:, 1:]  # orthonormal tangent basis, (n, n - 1)
    h = 1e-4

    def q(u):
        u = u / np.linalg.norm(u)
        f = lambda t: sg.energy(J, np.cos(t) * sigma + np.sin(t) * np.sqrt(n) * u)
        return (f(h) - 2 * f(0.0) + f(-h)) / h**2 / n

    R = np.empty((n - 1, n - 1))
    diag = [q(T[:, a]) for a in range(n - 1)]
    for a in range(n - 1):
        for b in range(n - 1):
            R[a, b] = diag[a] if a == b else q(T[:, a] + T[:, b]) - (diag[a] + diag[b]) / 2
    expected = np.linalg.eigvalsh(R)
    got = sg.riemannian_hessian_eigenvalues(J, sigma[None])[0]
    np.testing.assert_allclose(got, expected, atol=1e-5 * np.abs(expected).max())


def test_critical_points_are_critical_distinct_and_paired(rng):
    n = 6
    J = sg.couplings(n, rng)
    crit = sg.critical_points(J, rng.standard_normal((300, n)))
    assert len(crit) >= 4
    np.testing.assert_allclose(np.einsum("bi,bi->b", crit, crit), n, rtol=1e-12)  # on the sphere
    assert np.abs(sg.riemannian_gradient(J, crit)).max() < 1e-8
    d = np.linalg.norm(crit[:, None] - crit[None], axis=-1) + np.eye(len(crit))
    assert d.min() > 1e-6
    # H(-sigma) = -H(sigma): -sigma is critical with the negated Hessian spectrum (complementary index)
    ev, ev_neg = sg.riemannian_hessian_eigenvalues(J, crit), sg.riemannian_hessian_eigenvalues(J, -crit)
    np.testing.assert_allclose(ev_neg, -ev[:, ::-1], atol=1e-10)
    assert np.abs(sg.riemannian_gradient(J, -crit)).max() < 1e-8


def test_descend_reaches_minima(rng):
    n = 6
    J = sg.couplings(n, rng)
    starts = sg.to_sphere(rng.standard_normal((20, n)))
    ends = sg.descend(J, starts, lr=0.05, n_steps=3000)
    assert np.all(sg.energy(J, ends) < sg.energy(J, starts))
    assert np.abs(sg.riemannian_gradient(J, ends)).max() < 1e-6
    assert np.all(sg.riemannian_hessian_eigenvalues(J, ends)[:, 0] > 0)  # all local minima
    with pytest.raises(ValueError, match="lr"):
        sg.descend(J, starts, lr=0.0, n_steps=1)


def test_expected_critical_points_against_a_census(rng):
    """The Kac-Rice expectation against direct counting: at n = 3 (the sphere S^2, where a cubic
    form has at most 14 critical points) Newton's method from 200 starts finds the critical points
    of each of 300 random landscapes (in our trials, on 200 landscapes, as many as from 2,000
    starts); the averages of the total and of the number of minima
    agree with the formula within 4 combined standard errors."""
    n, n_landscapes = 3, 300
    totals, minima = [], []
    for _ in range(n_landscapes):
        J = sg.couplings(n, rng)
        crit = sg.critical_points(J, rng.standard_normal((200, n)))
        totals.append(len(crit))
        minima.append(int((sg.riemannian_hessian_eigenvalues(J, crit)[:, 0] > 0).sum()))
    totals, minima = np.array(totals), np.array(minima)
    assert totals.max() <= 14 and np.all(totals % 2 == 0)  # the bound; critical points come in pairs +-sigma
    mean, se = sg.expected_critical_points(n, 200_000, rng)
    assert mean.shape == se.shape == (n,)
    se_total = np.hypot(totals.std(ddof=1) / np.sqrt(n_landscapes), np.sqrt((se**2).sum()))  # se's: a bound for the sum's
    assert abs(totals.mean() - mean.sum()) < 4 * se_total, (totals.mean(), mean.sum(), se_total)
    se_min = np.hypot(minima.std(ddof=1) / np.sqrt(n_landscapes), se[0])
    assert abs(minima.mean() - mean[0]) < 4 * se_min, (minima.mean(), mean[0], se_min)
    # index k and n - 1 - k are equally many (H(-sigma) = -H(sigma)); 4 combined standard errors
    assert np.all(np.abs(mean - mean[::-1]) < 4 * np.hypot(se, se[::-1]) + 1e-12), (mean, se)


def test_expected_critical_points_rejects_bad_input(rng):
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        sg.expected_critical_points(1, 10, rng)
    with pytest.raises(ValueError, match="n_samples"):
        sg.expected_critical_points(3, 1, rng)
    with pytest.raises(TypeError, match="rng"):
        sg.expected_critical_points(3, 10, 0)


def test_arguments_are_checked(rng):
    J = sg.couplings(3, rng)
    starts = rng.standard_normal((4, 3))
    with pytest.raises(ValueError, match="^J must be symmetric"):
        sg.gradient(rng.standard_normal((3, 3, 3)), starts)  # the formulas assume symmetric couplings
    bad = starts.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="^starts must be finite"):
        sg.descend(J, bad, lr=0.1, n_steps=3)
    with pytest.raises(TypeError, match="^n_steps must be an integer"):
        sg.descend(J, starts, lr=0.1, n_steps=2.5)  # used to run int(2.5) = 2 steps
    with pytest.raises(ValueError, match="^lr must be a finite number"):
        sg.descend(J, starts, lr=float("inf"), n_steps=1)
    with pytest.raises(TypeError, match="^n_iter must be an integer"):
        sg.critical_points(J, starts, n_iter=3.0)
    with pytest.raises(ValueError, match=r"^sigma must have shape \(\.\.\., 3\)"):
        sg.energy(J, np.ones(2))
    assert sg.energy(J, np.ones((0, 3))).shape == (0,)  # an empty batch is fine
    assert sg.couplings(np.int64(3), rng).shape == (3, 3, 3)
