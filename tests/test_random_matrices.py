"""GOE sampling, the Pfaffian, and the exact index distribution against closed forms,
Monte Carlo, importance sampling (n = 7..10, independent of de Bruijn's identity) and
50-digit arithmetic."""

import math

import mpmath
import numpy as np
import pytest
import torch

from nntheory.random_matrices import MAX_N, goe, goe_index_distribution, goe_positive_definite_probability, pfaffian


def _antisymmetric(rng, m, complex_=False):
    B = rng.standard_normal((m, m))
    if complex_:
        B = B + 1j * rng.standard_normal((m, m))
    return B - B.T


@pytest.mark.parametrize("m", [2, 4, 6, 8, 10])
@pytest.mark.parametrize("complex_", [False, True])
def test_pfaffian_squared_is_determinant(rng, m, complex_):
    A = _antisymmetric(rng, m, complex_)
    np.testing.assert_allclose(pfaffian(A) ** 2, np.linalg.det(A), rtol=1e-10)


def test_pfaffian_sign_against_the_4x4_formula(rng):
    """Pf = a12 a34 - a13 a24 + a14 a23 (the square root of det cannot fix this sign)."""
    for _ in range(20):
        A = _antisymmetric(rng, 4)
        expected = A[0, 1] * A[2, 3] - A[0, 2] * A[1, 3] + A[0, 3] * A[1, 2]
        np.testing.assert_allclose(pfaffian(A), expected, rtol=1e-12)


def test_pfaffian_of_block_diagonal_and_odd_and_congruence(rng):
    A = np.zeros((4, 4))
    A[0, 1], A[2, 3] = 2.0, -3.0
    A = A - A.T
    assert pfaffian(A) == pytest.approx(-6.0)
    assert pfaffian(_antisymmetric(rng, 5)) == 0.0
    # Pf(B A B^T) = det(B) Pf(A)
    A = _antisymmetric(rng, 6)
    B = rng.standard_normal((6, 6))
    np.testing.assert_allclose(pfaffian(B @ A @ B.T), np.linalg.det(B) * pfaffian(A), rtol=1e-10)


def test_pfaffian_rejects_bad_input():
    with pytest.raises(ValueError, match="square"):
        pfaffian(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="antisymmetric"):
        pfaffian(np.ones((2, 2)))


def test_goe_entries_have_the_stated_variances(rng):
    M = 20_000
    A = goe(3, M, rng)
    assert A.shape == (M, 3, 3)
    np.testing.assert_array_equal(A, np.swapaxes(A, 1, 2))
    # Sample variance of a Gaussian has relative standard error sqrt(2/(M-1)); 5 standard errors.
    se = np.sqrt(2 / (M - 1))
    assert abs(A[:, 0, 0].var() / 2.0 - 1) < 5 * se
    assert abs(A[:, 0, 1].var() - 1) < 5 * se


def test_goe_rejects_bad_input(rng):
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        goe(0, 3, rng)
    with pytest.raises(TypeError, match="rng"):
        goe(2, 3, 0)
    with pytest.raises(TypeError, match="size"):
        goe(2, 3.0, rng)


def test_small_n_closed_forms():
    """n = 1: a N(0, 2) variable is positive with probability 1/2. n = 2: the mean of the two
    eigenvalues is N(0, 1), independent of the half gap, which is Rayleigh(1); hence
    P(both > 0) = int_0^inf phi(u) (1 - e^{-u^2/2}) du = (2 - sqrt 2)/4."""
    np.testing.assert_allclose(goe_index_distribution(1), [0.5, 0.5], rtol=1e-14)
    q = (2 - math.sqrt(2)) / 4
    np.testing.assert_allclose(goe_index_distribution(2), [q, 1 - 2 * q, q], rtol=1e-13)
    assert goe_positive_definite_probability(2) == pytest.approx(q, rel=1e-13)


@pytest.mark.parametrize("n", range(1, MAX_N + 1))
def test_distribution_is_positive_and_normalised(n):
    p = goe_index_distribution(n)
    assert p.shape == (n + 1,)
    assert np.all(p > 0)
    np.testing.assert_allclose(p.sum(), 1.0, atol=1e-11)
    assert p[0] == p[-1] == goe_positive_definite_probability(n)


@pytest.mark.parametrize("n", [3, 4, 5])
def test_distribution_against_monte_carlo(rng, n):
    """Every k within 4 binomial standard errors (computed from the exact p) of 200,000 draws."""
    M = 200_000
    k = (np.linalg.eigvalsh(goe(n, M, rng)) > 0).sum(axis=1)
    freq = np.bincount(k, minlength=n + 1) / M
    p = goe_index_distribution(n)
    se = np.sqrt(p * (1 - p) / M)
    assert np.all(np.abs(freq - p) < 4 * se), (freq, p, se)


def _mp_pf(A):
    A = A.copy()
    m, pf = A.rows, mpmath.mpf(1)
    for k in range(0, m - 1, 2):
        kp = max(range(k + 1, m), key=lambda j: abs(A[k, j]))
        if kp != k + 1:
            for c in range(m):
                A[k + 1, c], A[kp, c] = A[kp, c], A[k + 1, c]
            for r in range(m):
                A[r, k + 1], A[r, kp] = A[r, kp], A[r, k + 1]
            pf = -pf
        pf *= A[k, k + 1]
        for i in range(k + 2, m):
            for j in range(k + 2, m):
                A[i, j] += (A[k + 1, i] * A[k, j] - A[k, i] * A[k + 1, j]) / A[k, k + 1]
    return pf


def _mp_index_distribution(n, dps=50):
    """The same de Bruijn construction in 50-digit arithmetic, with the angular integrals from the
    incomplete beta function instead of quadrature, int_0^{pi/4} sin^a cos^b dt = B_{1/2}((a+1)/2, (b+1)/2)/2,
    and the plain Fourier transform on the unit circle."""
    with mpmath.workdps(dps):
        half = lambda a, b: mpmath.betainc(mpmath.mpf(a + 1) / 2, mpmath.mpf(b + 1) / 2, 0, mpmath.mpf(1) / 2) / 2
        radial = lambda s: 2 ** (s + 1) * mpmath.gamma(mpmath.mpf(s) / 2 + 1)
        m_plus = [2**i * mpmath.gamma(mpmath.mpf(i + 1) / 2) for i in range(n)]
        m_minus = [(-1) ** i * m_plus[i] for i in range(n)]
        pp = [[radial(i + j) * (half(i, j) - half(j, i)) for j in range(n)] for i in range(n)]
        size = n + n % 2

        def matrix(z):
            A = mpmath.matrix(size, size)
            for i in range(n):
                for j in range(n):
                    A[i, j] = -((-1) ** (i + j)) * pp[i][j] + z * (m_minus[i] * m_plus[j] - m_plus[i] * m_minus[j]) + z**2 * pp[i][j]
                if n % 2:
                    A[i, n], A[n, i] = m_minus[i] + z * m_plus[i], -(m_minus[i] + z * m_plus[i])
            return A

        norm = _mp_pf(matrix(mpmath.mpf(1)))
        N = n + 1
        G = [_mp_pf(matrix(mpmath.exp(2j * mpmath.pi * j / N))) / norm for j in range(N)]
        return np.array([float(mpmath.re(sum(G[j] * mpmath.exp(-2j * mpmath.pi * j * k / N) for j in range(N)) / N)) for k in range(N)])


@pytest.mark.parametrize(("n", "rtol"), [(3, 1e-12), (6, 1e-10), (10, 1e-6), (12, 1e-3)])
def test_distribution_against_50_digit_arithmetic(n, rtol):
    np.testing.assert_allclose(goe_index_distribution(n), _mp_index_distribution(n), rtol=rtol)
def test_rejects_bad_n():
    with pytest.raises(ValueError, match="<= 12"):
        goe_index_distribution(MAX_N + 1)
    with pytest.raises(ValueError, match=">= 1"):
        goe_positive_definite_probability(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        goe_index_distribution(2.0)


@pytest.mark.parametrize("n", [7, 8, 9, 10])
def test_positive_definite_probability_against_importance_sampling(n):
    """An estimator independent of de Bruijn's identity, for the sizes plain Monte Carlo cannot
    reach (P < 1e-7). Split A = t I + A0 (t = tr A / n ~ N(0, 2/n), independent of the traceless
    A0), so P(A > 0) = E[Phi_bar(|lambda_min(A0)| sqrt(n/2))]. Draw A0 from the traceless GOE
    scaled by s = 0.72 (its density exp(-tr A0^2 / (4 s^2)) on d0 = n(n+1)/2 - 1 dimensions) and
    reweight by the density ratio s^d0 exp(tr A0^2 (1/s^2 - 1)/4); s > 1/sqrt 2 keeps the weights'
    variance finite. Within 4 standard errors (relative errors 1-10 % with 200,000 draws)."""
    rng = np.random.default_rng(1000 + n)
    s, M = 0.72, 200_000
    d0 = n * (n + 1) // 2 - 1
    B = goe(n, M, rng)
    lam = s * np.linalg.eigvalsh(B - np.trace(B, axis1=1, axis2=2)[:, None, None] / n * np.eye(n))  # (M, n)
    log_weight = d0 * np.log(s) + (lam**2).sum(axis=1) * (1 / s**2 - 1) / 4
    tail = 0.5 * torch.special.erfc(torch.from_numpy(np.abs(lam[:, 0]) * math.sqrt(n / 4))).numpy()  # Phi_bar(|x| sqrt(n/2))
    estimates = np.exp(log_weight) * tail
    mean, se = estimates.mean(), estimates.std(ddof=1) / np.sqrt(M)
    assert se < 0.15 * mean, (mean, se)  # the estimator resolves the probability
    assert abs(mean - goe_positive_definite_probability(n)) < 4 * se, (mean, goe_positive_definite_probability(n), se)


def test_pfaffian_refuses_non_finite_and_non_numeric_input():
    A = np.array([[0.0, np.nan], [-np.nan, 0.0]])
    with pytest.raises(ValueError, match="^A must be finite"):
        pfaffian(A)
    with pytest.raises(TypeError, match="^A must hold real or complex numbers"):
        pfaffian(np.array([["a", "b"], ["c", "d"]]))
    assert pfaffian(np.array([[0, 2], [-2, 0]])) == 2.0  # integers are numbers
