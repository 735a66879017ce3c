r"""The Gaussian orthogonal ensemble: sampling, and how many eigenvalues are positive.

A GOE matrix of size :math:`n` is :math:`A = (G + G^\top)/\sqrt2` with
:math:`G` an :math:`n \times n` matrix of i.i.d. standard normals: diagonal
entries :math:`\mathcal N(0, 2)`, off-diagonal entries :math:`\mathcal N(0,
1)`, all independent up to symmetry, with density proportional to
:math:`e^{-\operatorname{tr} A^2/4}`. The density is invariant under
:math:`A \mapsto O A O^\top` for orthogonal :math:`O`, and the eigenvalues
have the joint density

.. math::

   p(\lambda_1, \dots, \lambda_n) \propto \prod_{i<j} |\lambda_i - \lambda_j|
   \prod_i e^{-\lambda_i^2/4}.

:func:`goe_index_distribution` gives, exactly up to floating-point rounding,
the probability that exactly :math:`k` of the :math:`n` eigenvalues are
positive. It uses de Bruijn's identity (de Bruijn, *On some multiple
integrals involving determinants*, 1955): for functions
:math:`\phi_0, \dots, \phi_{n-1}` and even :math:`n`,

.. math::

   \int_{x_1 < \dots < x_n} \det[\phi_i(x_j)]\, dx
   = \operatorname{Pf}\Bigl[\iint \operatorname{sign}(y - x)\,
     \phi_i(x)\, \phi_j(y)\, dx\, dy\Bigr]_{i,j},

and for odd :math:`n` the same with the matrix bordered by the column
:math:`\int \phi_i` (and its negative as a row). With
:math:`\phi_i(x) = x^i e^{-x^2/4} c(x)` the determinant is the Vandermonde
:math:`\prod_{i<j}(x_j - x_i)` times the weights, so the integral is the
normalising constant of the eigenvalue density with an extra factor
:math:`c(\lambda)` per eigenvalue. Taking :math:`c(x) = z` for
:math:`x > 0` and :math:`1` for :math:`x < 0` makes the ratio to
:math:`c \equiv 1` the generating function :math:`E[z^K] = \sum_k P(K = k)
z^k` of the number :math:`K` of positive eigenvalues; evaluating it at the
:math:`(n+1)`-th roots of unity and taking a discrete Fourier transform gives
every :math:`P(K = k)`. The entries of the matrix are Gaussian moments in
closed form and one smooth angular integral, done by Gauss–Legendre
quadrature.
"""

from __future__ import annotations

import math

import numpy as np

from nntheory import _checks

__all__ = ["goe", "pfaffian", "goe_index_distribution", "goe_positive_definite_probability"]

#: Largest matrix size for which the exact probabilities are computed. In
#: float64 the relative error of the smallest probabilities grows with n:
#: against 50-digit arithmetic it is below 1e-6 for n <= 10 and about 1e-4
#: for P(K = 0) at n = 12 (tests/test_random_matrices.py).
MAX_N = 12


def _check_n(n, name: str = "n", upper: int | None = None) -> int:
    return _checks.check_int(n, name, low=1, high=upper)


def goe(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw GOE matrices :math:`A = (G + G^\\top)/\\sqrt2`, :math:`G_{ij}` i.i.d. standard normal.

    Parameters
    ----------
    n : int
        Matrix size.
    size : int
        Number of matrices.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (size, n, n)
        Symmetric matrices; diagonal entries have variance 2, off-diagonal ones 1.
    """
    n = _check_n(n)
    size = _check_n(size, "size")
    _checks.check_rng(rng, "rng")
    G = rng.standard_normal((size, n, n))
    return (G + np.swapaxes(G, 1, 2)) / np.sqrt(2.0)


def pfaffian(A: np.ndarray) -> float | complex:
    """Pfaffian of an antisymmetric matrix, by Gaussian elimination with pivoting.

    :math:`\\operatorname{Pf}(A)^2 = \\det A`; the Pfaffian also fixes the sign.
    Each step moves the largest entry of the current row into the pivot
    position (a symmetric swap of a row and a column, which flips the sign)
    and eliminates the rest of the row and column by congruence, which leaves
    the Pfaffian unchanged: :math:`\\operatorname{Pf}(A) = a_{12}
    \\operatorname{Pf}(A')` with :math:`A'` the updated trailing block.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, m)
        Antisymmetric (:math:`A^\\top = -A`), real or complex.

    Returns
    -------
    float or complex
        0 for odd ``m``.

    Raises
    ------
    TypeError
        If ``A`` is not an array of real or complex numbers.
    ValueError
        If ``A`` is not square, not finite or not antisymmetric.
    """
    if _checks.is_tensor(A):
        raise TypeError("A must be a numpy array, got a torch tensor (pass A.numpy())")
    if A is None or isinstance(A, (str, bytes)):
        raise TypeError(f"A must be a numpy array of numbers, got {A!r}")
    A = np.asarray(A)
    if A.dtype.kind not in "iufc":
        raise TypeError(f"A must hold real or complex numbers, got dtype {A.dtype}")
    A = np.array(A, dtype=np.result_type(A, float), copy=True)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    if not np.isfinite(A).all():
        raise ValueError("A must be finite (no NaN or inf)")
    scale = max(np.abs(A).max(), np.finfo(float).tiny)
    if np.abs(A + A.T).max() > 1e-12 * scale:
        raise ValueError("A must be antisymmetric (A.T == -A)")
    m = A.shape[0]
    if m % 2:
        return A.dtype.type(0)
    pf = A.dtype.type(1)
    for k in range(0, m - 1, 2):
        kp = k + 1 + int(np.abs(A[k, k + 1 :]).argmax())
        if kp != k + 1:
            A[[k + 1, kp], :] = A[[kp, k + 1], :]
            A[:, [k + 1, kp]] = A[:, [kp, k + 1]]
            pf = -pf
        if A[k, k + 1] == 0:
            return A.dtype.type(0)
        pf = pf * A[k, k + 1]
        if k + 2 < m:
            tau = A[k, k + 2 :] / A[k, k + 1]
            # column_j -= tau_j column_(k+1), row_j -= tau_j row_(k+1), on the trailing block
            A[k + 2 :, k + 2 :] += np.outer(A[k + 1, k + 2 :], tau) - np.outer(tau, A[k + 1, k + 2 :])
    return pf


def _blocks(n: int, n_nodes: int = 64):
    """The pieces of de Bruijn's matrix for phi_i(x) = x^i e^{-x^2/4}, split by the signs of x and y.

    Returns M_pp, M_mm (n, n): the double integrals over x, y > 0 and x, y < 0, and
    m_plus, m_minus (n,): the single integrals over x > 0 and x < 0.
    """
    i = np.arange(n)
    # int_0^inf x^i e^{-x^2/4} dx = 2^i Gamma((i + 1)/2); on x < 0 the sign is (-1)^i
    m_plus = np.array([2.0**k * math.gamma((k + 1) / 2) for k in i])
    m_minus = (-1.0) ** i * m_plus
    # Over the quadrant x, y > 0 in polar coordinates: the radial part
    # int_0^inf r^(i+j+1) e^{-r^2/4} dr = 2^(i+j+1) Gamma((i+j)/2 + 1), times the angular part
    # int_0^{pi/2} sign(sin t - cos t) cos^i t sin^j t dt = int_0^{pi/4} (sin^i cos^j - cos^i sin^j) dt.
    radial = np.array([2.0 ** (s + 1) * math.gamma(s / 2 + 1) for s in range(2 * n - 1)])
    t, w = np.polynomial.legendre.leggauss(n_nodes)
    t = np.pi / 8 * (t + 1)  # nodes on (0, pi/4)
    w = np.pi / 8 * w
    c, s = np.cos(t)[None, :] ** i[:, None], np.sin(t)[None, :] ** i[:, None]  # (n, n_nodes)
    angular = np.einsum("q,iq,jq->ij", w, s, c) - np.einsum("q,iq,jq->ij", w, c, s)
    M_pp = radial[i[:, None] + i[None, :]] * angular
    # x, y < 0: substitute x -> -x, y -> -y; sign(y - x) flips and x^i y^j gains (-1)^(i+j)
    M_mm = -((-1.0) ** (i[:, None] + i[None, :])) * M_pp
    return M_pp, M_mm, m_plus, m_minus


def _bordered(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """M for even n; for odd n, M bordered by the column v and the row -v (de Bruijn's odd case)."""
    n = M.shape[0]
    if n % 2 == 0:
        return M
    B = np.zeros((n + 1, n + 1), dtype=np.result_type(M, v))
    B[:n, :n] = M
    B[:n, n] = v
    B[n, :n] = -v
    return B


def _de_bruijn(n: int, z, blocks) -> np.ndarray:
    """De Bruijn's matrix for the weight e^{-x^2/4} c(x), c = 1 for x < 0 and z for x > 0."""
    M_pp, M_mm, m_plus, m_minus = blocks
    # x < 0 < y: sign +1; x > 0 > y: sign -1
    M = M_mm + z * (np.outer(m_minus, m_plus) - np.outer(m_plus, m_minus)) + z**2 * M_pp
    return _bordered(M, m_minus + z * m_plus)


def goe_positive_definite_probability(n: int) -> float:
    """Probability that an n x n GOE matrix is positive definite.

    The coefficient of :math:`z^n` in :math:`E[z^K]`: de Bruijn's matrix
    restricted to the positive half-line (all eigenvalues positive), over the
    one for the whole line. Computed directly, so its relative accuracy does
    not suffer from the Fourier transform of :func:`goe_index_distribution`.

    Parameters
    ----------
    n : int
        Matrix size, 1 to :data:`MAX_N`.

    Returns
    -------
    float
        :math:`P(\\lambda_{\\min} > 0)`; 1/2 for n = 1 and
        :math:`(2 - \\sqrt2)/4` for n = 2.
    """
    n = _check_n(n, upper=MAX_N)
    blocks = _blocks(n)
    M_pp, _, m_plus, _ = blocks
    return float(pfaffian(_bordered(M_pp, m_plus)) / pfaffian(_de_bruijn(n, 1.0, blocks)))


def _coefficients_on_circle(n: int, radius: float, blocks, norm) -> np.ndarray:
    """p_k estimated from E[z^K] at the (n+1)-th roots of unity scaled by radius: (n + 1,)."""
    z = radius * np.exp(2j * np.pi * np.arange(n + 1) / (n + 1))
    generating = np.array([pfaffian(_de_bruijn(n, zj, blocks)) for zj in z]) / norm
    # E[z^K] = sum_k p_k z^k, so p_k radius^k = (1/(n+1)) sum_j G(z_j) exp(-2 pi i j k/(n+1))
    return np.fft.fft(generating).real / (n + 1) / radius ** np.arange(n + 1)


def goe_index_distribution(n: int) -> np.ndarray:
    """Exact distribution of the number of positive eigenvalues of an n x n GOE matrix.

    Parameters
    ----------
    n : int
        Matrix size, 1 to :data:`MAX_N`.

    Returns
    -------
    numpy.ndarray, shape (n + 1,)
        ``p[k]`` is the probability that exactly ``k`` eigenvalues are
        positive; ``p[k] == p[n - k]`` (:math:`A` and :math:`-A` are equally
        likely), which the computation uses. ``p[0]`` comes from
        :func:`goe_positive_definite_probability`. Each ``p[k]``,
        :math:`0 < k \\le n/2`, is a Fourier coefficient of the generating
        function on a circle of radius :math:`r_k = \\sqrt{p_{k-1}/p_{k+1}}`
        (first estimated on the unit circle), where the term :math:`p_k
        r_k^k` dominates, so that it keeps its relative accuracy even when it
        is tiny (see :data:`MAX_N`).
    """
    n = _check_n(n, upper=MAX_N)
    blocks = _blocks(n)
    norm = pfaffian(_de_bruijn(n, 1.0, blocks))
    rough = _coefficients_on_circle(n, 1.0, blocks, norm)
    p = np.empty(n + 1)
    p[0] = goe_positive_definite_probability(n)
    for k in range(1, n // 2 + 1):
        lower = p[k - 1] if k == 1 else rough[k - 1]
        radius = float(np.clip(np.sqrt(abs(lower / rough[k + 1])), 1e-3, 1.0))
        p[k] = _coefficients_on_circle(n, radius, blocks, norm)[k]
    p[n // 2 + 1 :] = p[: (n + 1) // 2][::-1]
    return p
