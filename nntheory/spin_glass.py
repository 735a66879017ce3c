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
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

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
]


def _check_J(J) -> np.ndarray:
    J = np.asarray(J, dtype=float)
    if J.ndim != 3 or not (J.shape[0] == J.shape[1] == J.shape[2]):
        raise ValueError(f"J must have shape (n, n, n), got {J.shape}")
    return J


def _check_sigma(J: np.ndarray, sigma) -> np.ndarray:
    sigma = np.asarray(sigma, dtype=float)
    if sigma.ndim < 1 or sigma.shape[-1] != J.shape[0]:
        raise ValueError(f"sigma must have shape (..., {J.shape[0]}), got {sigma.shape}")
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
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
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
    return 3.0 * _contract2(J, sigma) / J.shape[0]


def hessian(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Euclidean Hessian :math:`\\frac6n J(\\cdot, \\cdot, \\sigma)` (J symmetric), shape (..., n, n)."""
    J = _check_J(J)
    sigma = _check_sigma(J, sigma)
    n = J.shape[0]
    return 6.0 * (sigma @ J.reshape(n * n, n).T).reshape(*sigma.shape[:-1], n, n) / n


def to_sphere(x: np.ndarray) -> np.ndarray:
    """Rescale each row of ``x`` (shape (..., n), non-zero) to squared norm n."""
    x = np.asarray(x, dtype=float)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError("x must have no zero rows")
    return x * np.sqrt(x.shape[-1]) / norm


def riemannian_gradient(J: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Tangential part :math:`\\nabla H - (\\sigma\\cdot\\nabla H/n)\\,\\sigma` of the gradient, shape (..., n)."""
    g = gradient(J, sigma)
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
    mu = np.einsum("bi,bi->b", gradient(J, sigma), sigma) / n
    # QR of [sigma, I]: the first column of Q is +-sigma/|sigma|, the other n - 1 span its complement.
    Q, _ = np.linalg.qr(np.concatenate([sigma[:, :, None], np.broadcast_to(np.eye(n), (len(sigma), n, n))], axis=2))
    T = Q[:, :, 1:n]  # (m, n, n - 1)
    shifted = hessian(J, sigma) - mu[:, None, None] * np.eye(n)
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
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    sigma = to_sphere(_check_sigma(J, starts))
    for _ in range(int(n_steps)):
        sigma = to_sphere(sigma - lr * riemannian_gradient(J, sigma))
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
    sigma = to_sphere(np.atleast_2d(_check_sigma(J, starts)))
    n, m = J.shape[0], len(sigma)
    mu = np.einsum("bi,bi->b", gradient(J, sigma), sigma) / n

    def residual(sigma, mu):
        return np.concatenate([gradient(J, sigma) - mu[:, None] * sigma, 0.5 * (np.einsum("bi,bi->b", sigma, sigma) - n)[:, None]], axis=1)

    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(n_iter)):
            jac = np.zeros((m, n + 1, n + 1))
            jac[:, :n, :n] = hessian(J, sigma) - mu[:, None, None] * np.eye(n)
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
