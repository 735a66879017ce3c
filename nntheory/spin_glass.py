r"""The spherical 3-spin glass: a random landscape whose critical points can all be classified.

The energy of :math:`\sigma \in \R^n` on the sphere :math:`\|\sigma\|^2 = n` is

.. math::

   H(\sigma) = \frac1n \sum_{i,j,k=1}^n J_{ijk}\, \sigma_i \sigma_j \sigma_k,
   \qquad J_{ijk} \text{ i.i.d. } \mathcal N(0, 1),

a Gaussian random function with :math:`E[H(\sigma) H(\sigma')] = n\,
(\sigma\cdot\sigma'/n)^3` (Auffinger, Ben Arous and Černý, *Random matrices
and complexity of spin glasses*, 2013). Only the symmetrised tensor matters,
so :func:`couplings` returns it. With :math:`J` symmetric the Euclidean
gradient and Hessian are :math:`\nabla H = \frac3n J(\cdot, \sigma, \sigma)`
and :math:`\nabla^2 H = \frac6n J(\cdot, \cdot, \sigma)`.

On the sphere, :math:`\sigma` is a critical point when
:math:`\nabla H(\sigma) = \mu\sigma` for a Lagrange multiplier :math:`\mu`;
since :math:`H` is homogeneous of degree 3, :math:`\sigma\cdot\nabla H = 3H`,
so :math:`\mu = 3H/n`. The Riemannian Hessian is
:math:`P(\nabla^2 H - \mu I)P` on the tangent space
(:math:`P = I - \sigma\sigma^\top/n`, :math:`\mu = \sigma\cdot\nabla H/n`);
the number of its negative eigenvalues is the *index* of the critical point
(0 for a minimum, :math:`n-1` for a maximum). :math:`H(-\sigma) =
-H(\sigma)`, so critical points come in pairs of opposite energy and
complementary index.

:func:`expected_critical_points` gives the expected number of critical
points of each index from the exact Kac–Rice identity of Auffinger, Ben
Arous and Černý (specialised to :math:`p = 3`): for every
:math:`n` and index :math:`k`,

.. math::

   E\,\mathrm{Crt}_{n,k} = 2\sqrt{2/3}\; 2^{n/2}\;
   E\bigl[e^{-n\lambda_{k+1}^2/6}\bigr],

with :math:`\lambda_1 \le \dots \le \lambda_n` the eigenvalues of an
:math:`n \times n` GOE matrix scaled so that :math:`E M_{ij}^2 = (1 +
\delta_{ij})/(2n)`; the expectation over the GOE is taken by Monte Carlo.
For large :math:`n` the total grows like :math:`2^{n/2}` and the number of
minima like :math:`e^{n(\ln 2/2 - 1/3)}`, so minima are a share of order
:math:`e^{-n/3}` of the critical points.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from nntheory import _checks

__all__ = [
    "couplings",
    "energy",
    "gradient",
    "hessian",
    "to_sphere",
    "riemannian_gradient",
    "riemannian_hessian_eigenvalues",
    "descend",
    "critical_points",
    "expected_critical_points",
]


def _check_J(J) -> np.ndarray:
    """Finite couplings of shape (n, n, n), symmetric under every permutation of the indices (as the formulas assume)."""
    J = _checks.check_array(J, "J", dtype=np.float64)
    if J.ndim != 3 or not (J.shape[0] == J.shape[1] == J.shape[2]):
        raise ValueError(f"J must have shape (n, n, n), got {J.shape}")
    scale = max(np.abs(J).max(), np.finfo(float).tiny)
    for axes in ((1, 0, 2), (0, 2, 1)):  # two transpositions generate every permutation
        if np.abs(J - J.transpose(axes)).max() > 1e-12 * scale:
            raise ValueError("J must be symmetric under permutations of its indices (as from couplings); the gradient and Hessian formulas assume it")
    return J


def _check_sigma(J: np.ndarray, sigma, name: str = "sigma") -> np.ndarray:
    """Finite points of shape (..., n); an empty batch (0, n) is allowed."""
    sigma = _checks.check_array(sigma, name, ndim=range(1, 33), dtype=np.float64, nonempty=False)
    if sigma.shape[-1] != J.shape[0]:
        raise ValueError(f"{name} must have shape (..., {J.shape[0]}) for J of shape {J.shape}, got {sigma.shape}")
    return sigma


def _contract2(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """J(., sigma, sigma) as one matrix product: (..., n)."""
    n = J.shape[0]
    outer = (sigma[..., :, None] * sigma[..., None, :]).reshape(*sigma.shape[:-1], n * n)
    return outer @ J.reshape(n, n * n).T


def couplings(n: int, rng: np.random.Generator) -> np.ndarray:
    """Symmetrised couplings :math:`\\frac16\\sum_\\pi J_{\\pi(ijk)}` of i.i.d. standard normals.

    Parameters
    ----------
    n : int
        Number of spins (at least 2).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n, n, n)
        Invariant under every permutation of its three indices.
    """
    n = _checks.check_int(n, "n", low=2)
    _checks.check_rng(rng, "rng")
    J = rng.standard_normal((n, n, n))
    return sum(np.transpose(J, p) for p in permutations(range(3))) / 6.0


def energy(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """:math:`H(\\sigma) = \\frac1n J(\\sigma, \\sigma, \\sigma)`.

    Parameters
    ----------
    J : numpy.ndarray, shape (n, n, n)
        Symmetric couplings from :func:`couplings`.
    sigma : numpy.ndarray, shape (..., n)

    Returns
    -------
    numpy.ndarray, shape (...)
    """
    J = _check_J(J)
    sigma = _check_sigma(J, sigma)
    return np.einsum("...i,...i->...", _contract2(J, sigma), sigma) / J.shape[0]


def gradient(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Euclidean gradient :math:`\\frac3n J(\\cdot, \\sigma, \\sigma)` (J symmetric), shape (..., n)."""
    J = _check_J(J)
    sigma = _check_sigma(J, sigma)
    return _gradient(J, sigma)


def _gradient(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    return 3.0 * _contract2(J, sigma) / J.shape[0]


def hessian(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Euclidean Hessian :math:`\\frac6n J(\\cdot, \\cdot, \\sigma)` (J symmetric), shape (..., n, n)."""
    J = _check_J(J)
    sigma = _check_sigma(J, sigma)
    return _hessian(J, sigma)


def _hessian(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    n = J.shape[0]
    return 6.0 * (sigma @ J.reshape(n * n, n).T).reshape(*sigma.shape[:-1], n, n) / n


def to_sphere(x: np.ndarray) -> np.ndarray:
    """Rescale each row of ``x`` (shape (..., n), non-zero, finite) to squared norm n."""
    x = _checks.check_array(x, "x", ndim=range(1, 33), dtype=np.float64, nonempty=False)
    if x.shape[-1] == 0:
        raise ValueError(f"x must have at least one coordinate per row, got shape {x.shape}")
    return _to_sphere(x)


def _to_sphere(x: np.ndarray, name: str = "x") -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError(f"{name} must have no zero rows")
    return x * np.sqrt(x.shape[-1]) / norm


def riemannian_gradient(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Tangential part :math:`\\nabla H - (\\sigma\\cdot\\nabla H/n)\\,\\sigma` of the gradient, shape (..., n)."""
    J = _check_J(J)
    sigma = _check_sigma(J, sigma)
    return _riemannian_gradient(J, sigma)


def _riemannian_gradient(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    g = _gradient(J, sigma)
    n = J.shape[0]
    return g - (np.einsum("...i,...i->...", g, sigma) / n)[..., None] * sigma


def riemannian_hessian_eigenvalues(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Eigenvalues of the Riemannian Hessian on the tangent space at points of the sphere.

    Parameters
    ----------
    J : numpy.ndarray, shape (n, n, n)
    sigma : numpy.ndarray, shape (m, n)
        Points with :math:`\\|\\sigma\\|^2 = n`.

    Returns
    -------
    numpy.ndarray, shape (m, n - 1)
        Ascending eigenvalues of :math:`T^\\top(\\nabla^2 H - \\mu I)T`, with
        :math:`T` an orthonormal basis of the tangent space and
        :math:`\\mu = \\sigma\\cdot\\nabla H/n`. The index of a critical
        point is the number of negative ones.
    """
    J = _check_J(J)
    sigma = np.atleast_2d(_check_sigma(J, sigma))
    n = J.shape[0]
    mu = np.einsum("bi,bi->b", _gradient(J, sigma), sigma) / n
    # QR of [sigma, I]: the first column of Q is +-sigma/|sigma|, the other n - 1 span its complement.
    Q, _ = np.linalg.qr(np.concatenate([sigma[:, :, None], np.broadcast_to(np.eye(n), (len(sigma), n, n))], axis=2))
    T = Q[:, :, 1:n]  # (m, n, n - 1)
    shifted = _hessian(J, sigma) - mu[:, None, None] * np.eye(n)
    return np.linalg.eigvalsh(np.swapaxes(T, 1, 2) @ shifted @ T)


def descend(J: np.ndarray, starts: np.ndarray, *, lr: float, n_steps: int) -> np.ndarray:
    """Riemannian gradient descent: step along minus the tangential gradient, then rescale to the sphere.

    Parameters
    ----------
    J : numpy.ndarray, shape (n, n, n)
    starts : numpy.ndarray, shape (m, n)
    lr : float
        Step size (positive).
    n_steps : int

    Returns
    -------
    numpy.ndarray, shape (m, n)
        The end points, on the sphere.
    """
    J = _check_J(J)
    lr = _checks.check_real(lr, "lr", low=0, low_open=True)
    n_steps = _checks.check_int(n_steps, "n_steps", low=0)
    sigma = _to_sphere(_check_sigma(J, starts, "starts"), "starts")
    for _ in range(n_steps):
        sigma = _to_sphere(sigma - lr * _riemannian_gradient(J, sigma))
    return sigma


def critical_points(J: np.ndarray, starts: np.ndarray, *, n_iter: int = 50, tol: float = 1e-9, min_separation: float = 1e-6) -> np.ndarray:
    """Critical points on the sphere, by Newton's method on the Lagrange system from many starts.

    Solves :math:`F(\\sigma, \\mu) = (\\nabla H(\\sigma) - \\mu\\sigma,\\;
    (\\|\\sigma\\|^2 - n)/2) = 0` with the Jacobian
    :math:`\\bigl(\\begin{smallmatrix}\\nabla^2 H - \\mu I & -\\sigma \\\\
    \\sigma^\\top & 0\\end{smallmatrix}\\bigr)`. Newton's method converges to
    critical points of every index, not only to minima.

    Parameters
    ----------
    J : numpy.ndarray, shape (n, n, n)
    starts : numpy.ndarray, shape (m, n)
        Starting points (rescaled to the sphere first).
    n_iter : int, default 50
        Newton iterations.
    tol : float, default 1e-9
        A run counts as converged when :math:`\\|F\\| <` ``tol``.
    min_separation : float, default 1e-6
        Converged points closer than this are the same critical point.

    Returns
    -------
    numpy.ndarray, shape (k, n)
        The distinct critical points found, on the sphere.
    """
    J = _check_J(J)
    n_iter = _checks.check_int(n_iter, "n_iter", low=0)
    tol = _checks.check_real(tol, "tol", low=0, low_open=True)
    min_separation = _checks.check_real(min_separation, "min_separation", low=0)
    sigma = _to_sphere(np.atleast_2d(_check_sigma(J, starts, "starts")), "starts")
    n, m = J.shape[0], len(sigma)
    mu = np.einsum("bi,bi->b", _gradient(J, sigma), sigma) / n

    def residual(sigma, mu):
        return np.concatenate([_gradient(J, sigma) - mu[:, None] * sigma, 0.5 * (np.einsum("bi,bi->b", sigma, sigma) - n)[:, None]], axis=1)

    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_iter):
            jac = np.zeros((m, n + 1, n + 1))
            jac[:, :n, :n] = _hessian(J, sigma) - mu[:, None, None] * np.eye(n)
            jac[:, :n, n] = -sigma
            jac[:, n, :n] = sigma
            ok = np.all(np.isfinite(jac), axis=(1, 2)) & (np.abs(np.linalg.det(np.where(np.isfinite(jac), jac, 0.0))) > 1e-300)
            step = np.zeros((m, n + 1))
            step[ok] = np.linalg.solve(jac[ok], -residual(sigma[ok], mu[ok])[..., None])[..., 0]
            sigma, mu = sigma + step[:, :n], mu + step[:, n]
        converged = np.all(np.isfinite(sigma), axis=1)
        converged[converged] = np.linalg.norm(residual(sigma[converged], mu[converged]), axis=1) < tol
    found = sigma[converged]
    distinct = np.empty((len(found), n))
    k = 0
    for point in found:
        if k == 0 or np.min(np.linalg.norm(distinct[:k] - point, axis=1)) > min_separation:
            distinct[k] = point
            k += 1
    return distinct[:k].copy()


def expected_critical_points(n: int, n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    r"""Expected number of critical points of each index on the sphere, by the Kac–Rice identity.

    Auffinger, Ben Arous and Černý (2013) reduce the Kac–Rice count to a GOE
    expectation, :math:`E\,\mathrm{Crt}_{n,k} = 2\sqrt{2/3}\,2^{n/2}\,
    E[e^{-n\lambda_{k+1}^2/6}]` for the 3-spin model of this module (see the
    module docstring); the GOE expectation is a Monte Carlo average.

    Parameters
    ----------
    n : int
        Number of spins (at least 2); the sphere has dimension n - 1.
    n_samples : int
        Number of GOE matrices drawn (at least 2).
    rng : numpy.random.Generator

    Returns
    -------
    mean : numpy.ndarray, shape (n,)
        ``mean[k]`` estimates the expected number of critical points of index
        ``k`` (0: minima, n - 1: maxima); ``mean.sum()`` the expected total.
    std_error : numpy.ndarray, shape (n,)
        Monte Carlo standard errors of ``mean``.
    """
    n = _checks.check_int(n, "n", low=2)
    n_samples = _checks.check_int(n_samples, "n_samples", low=2)
    _checks.check_rng(rng, "rng")
    G = rng.standard_normal((n_samples, n, n))
    M = (G + np.swapaxes(G, 1, 2)) / (2.0 * np.sqrt(n))  # off-diagonal variance 1/(2n), diagonal 1/n
    weights = np.exp(-n * np.linalg.eigvalsh(M) ** 2 / 6.0)  # (n_samples, n), ascending eigenvalues
    prefactor = 2.0 * np.sqrt(2.0 / 3.0) * 2.0 ** (n / 2)
    return prefactor * weights.mean(axis=0), prefactor * weights.std(axis=0, ddof=1) / np.sqrt(n_samples)
