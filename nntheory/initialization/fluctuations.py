r"""Finite-width statistics of a random network: exact results for Gaussian weights.

The recursion of :mod:`~nntheory.initialization.propagation` gives the
*expected* second moment of the pre-activations. At finite width one network,
probed with one input, fluctuates around it. For Gaussian weights and a
Gaussian input these fluctuations have an exact description, because of one
fact. Given the previous layer's output :math:`z`, a layer with i.i.d.
:math:`\mathcal N(0, \sigma^2)` weights computes pre-activations
:math:`h_i = w_i^\top z` that are i.i.d. :math:`\mathcal N(0, \sigma^2\|z\|^2)`,
i.e. :math:`h = \sigma \|z\|\, g` with :math:`g \sim \mathcal N(0, I_n)`
independent of :math:`z`. So

.. math::

   \|h\|^2 = \sigma^2 \|z\|^2\, \|g\|^2, \qquad
   \|\mathrm{relu}(h)\|^2 = \sigma^2 \|z\|^2\, \|\mathrm{relu}(g)\|^2 ,

with :math:`\|g\|^2 \sim \chi^2_n` and :math:`\|\mathrm{relu}(g)\|^2 \sim
\chi^2_K`, where :math:`K \sim \mathrm{Bin}(n, 1/2)` counts the active units.
Unrolled through the widths :math:`n_0, \dots, n_L`, the mean square
:math:`\hat q_l = \|h^{(l)}\|^2 / n_l` of layer :math:`l` for one input
:math:`x \sim \mathcal N(0, I_{n_0})` divided by its expectation
:math:`q_l` (the recursion) is a product of independent factors of mean 1,

.. math::

   \frac{\hat q_l}{q_l} = \frac{\chi^2_{n_0}}{n_0}
   \prod_{k=1}^{l-1} F_k \cdot \frac{\chi^2_{n_l}}{n_l}, \qquad
   F_k = \frac{\chi^2_{n_k}}{n_k} \ \text{(identity)}, \quad
   F_k = \frac{2\chi^2_{K_k}}{n_k} \ \text{(ReLU)} .

Its logarithm is therefore a sum of independent terms whose means and
variances are digamma and trigamma values,
:math:`\E[\log \chi^2_k] = \psi(k/2) + \log 2` and
:math:`\operatorname{Var}[\log \chi^2_k] = \psi'(k/2)`.
:func:`finite_width_log_moments` returns the mean (the *shift* of a typical
network below the expectation, about :math:`-1/n` per identity layer and
:math:`-5/(2n)` per ReLU layer) and the variance of
:math:`\log(\hat q_l / q_l)`. :func:`relu_neuron_moments` gives the exact
mean and second moment of one ReLU neuron with Gaussian inputs, without
assuming that its pre-activation is Gaussian.

For activations without such a product structure (tanh), the same
conditioning still reduces one network to a scalar Markov chain, and
:func:`perturbative_log_moments` gives the mean and variance of
:math:`\log(\hat q_l / q_l)` to first order in :math:`1/M`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nntheory import _checks
from nntheory.initialization.propagation import _hermegauss, propagate_variance, tanh_second_moment
from nntheory.initialization.schemes import _check_fan

__all__ = ["LogFluctuation", "finite_width_log_moments", "perturbative_log_moments", "relu_neuron_moments"]

#: Activations for which :func:`finite_width_log_moments` is exact.
_EXACT_ACTIVATIONS = ("identity", "relu")


def _polygamma_half(k_max: int) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\psi(k/2)` and :math:`\psi'(k/2)` for :math:`k = 1, \dots, k_\text{max}`.

    The standard method: shift the argument up to :math:`x \ge 20` with the
    recurrences :math:`\psi(x) = \psi(x+1) - 1/x` and
    :math:`\psi'(x) = \psi'(x+1) + 1/x^2`, then use the asymptotic series
    (Abramowitz & Stegun 6.3.18 and 6.4.12), accurate to about 1e-15 there.
    Index ``k - 1`` holds ``k``.
    """
    x = np.arange(1, k_max + 1) / 2.0
    psi = np.zeros(k_max)
    tri = np.zeros(k_max)
    while np.any(x < 20.0):
        low = x < 20.0
        psi[low] -= 1.0 / x[low]
        tri[low] += 1.0 / x[low] ** 2
        x = np.where(low, x + 1.0, x)
    r = 1.0 / x**2
    psi += np.log(x) - 0.5 / x - r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r / 132))))
    tri += 1.0 / x + 0.5 * r + (r / x) * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30 - r * 5 / 66))))
    return psi, tri


def _log_chi2_over_dof(n: int) -> tuple[float, float]:
    r"""Mean and variance of :math:`\log(\chi^2_n / n)`."""
    psi, tri = _polygamma_half(n)
    return float(psi[n - 1] - math.log(n / 2.0)), float(tri[n - 1])


def _log_relu_factor(n: int) -> tuple[float, float]:
    r"""Mean and variance of :math:`\log(2\chi^2_K / n)`, :math:`K \sim \mathrm{Bin}(n, 1/2)`, given :math:`K \ge 1`."""
    psi, tri = _polygamma_half(n)
    K = np.arange(1, n + 1)
    log_pmf = np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in K]) - n * math.log(2.0)
    p = np.exp(log_pmf - log_pmf.max())
    p /= p.sum()  # conditional on K >= 1
    mean_psi = float(p @ psi)
    var = float(p @ tri + p @ (psi - mean_psi) ** 2)
    return mean_psi + math.log(4.0 / n), var


@dataclass
class LogFluctuation:
    r"""Mean and variance of :math:`\log(\hat q_l / q_l)`, one entry per layer.

    Attributes
    ----------
    shift : numpy.ndarray of shape (n_layers,)
        :math:`\E[\log(\hat q_l / q_l)] < 0`: a typical network (the
        geometric mean, or median, over networks) sits at
        :math:`q_l\, e^{\text{shift}_l}`, below the expectation :math:`q_l`.
    variance : numpy.ndarray of shape (n_layers,)
        :math:`\operatorname{Var}[\log(\hat q_l / q_l)]`. The mean of
        :math:`\log \hat q_l` over ``n_nets`` independent networks has
        standard error ``sqrt(variance / n_nets)``.
    """

    shift: np.ndarray
    variance: np.ndarray


def finite_width_log_moments(widths: Sequence[int], activation: str = "relu", random_input: bool = True) -> LogFluctuation:
    r"""Exact mean and variance of the log mean square of each layer of one random network.

    The network is :math:`h^{(l)} = W^{(l)} \phi(h^{(l-1)})`,
    :math:`\phi(h^{(0)}) = x`, with independent Gaussian weights
    :math:`W^{(l)}_{ij} \sim \mathcal N(0, \sigma_l^2)` (any variances: they
    cancel in :math:`\hat q_l / q_l`) and no biases. For
    :math:`\hat q_l = \|h^{(l)}\|^2 / n_l` and its expectation :math:`q_l`
    (:func:`~nntheory.initialization.propagation.propagate_variance`),
    :math:`\log(\hat q_l / q_l)` is a sum of independent log-chi-square terms
    (see the module docstring). For ReLU the moments are conditional on no
    layer being entirely inactive (probability at least
    :math:`1 - \sum_k 2^{-n_k}`).

    The backward pass of a linear network is the forward pass of the
    transposed network, so ``widths[::-1]`` with ``activation="identity"``
    describes :math:`\|\partial E/\partial h^{(l)}\|^2 / n_l` for
    :math:`E = g^\top h^{(L)}`, :math:`g \sim \mathcal N(0, I)`.

    Parameters
    ----------
    widths : sequence of int
        :math:`n_0, n_1, \dots, n_L`: the input dimension and the width of
        each layer (length ``n_layers + 1``).
    activation : {"identity", "relu"}, default "relu"
        The activation between layers.
    random_input : bool, default True
        ``True``: :math:`x \sim \mathcal N(0, I_{n_0})`, contributing a
        factor :math:`\chi^2_{n_0} / n_0`. ``False``: a fixed input, with
        :math:`q_l` computed from its own mean square :math:`\|x\|^2/n_0`.

    Returns
    -------
    LogFluctuation
        Arrays of shape ``(n_layers,)``.

    Raises
    ------
    TypeError
        If ``widths`` is not a sequence of integers or ``random_input`` not a bool.
    ValueError
        If ``widths`` has fewer than two entries or a non-positive entry,
        or the activation is not one for which the result is exact.

    Examples
    --------
    >>> f = finite_width_log_moments([256] * 51, activation="identity")
    >>> round(float(f.shift[-1]), 3), round(float(f.variance[-1]), 3)
    (-0.199, 0.4)
    """
    if activation not in _EXACT_ACTIVATIONS:
        raise ValueError(f"activation must be one of {_EXACT_ACTIVATIONS} (the exact cases), got {activation!r}")
    n = _checks.check_int_sequence(widths, "widths", low=1)
    if len(n) < 2:
        raise ValueError(f"widths must be a sequence (n_0, ..., n_L) of length at least 2, got {widths!r}")
    random_input = _checks.check_bool(random_input, "random_input")
    chi = {w: _log_chi2_over_dof(w) for w in set(n)}
    inner = chi if activation == "identity" else {w: _log_relu_factor(w) for w in set(n[1:-1])}
    n_layers = len(n) - 1
    shift = np.empty(n_layers)
    variance = np.empty(n_layers)
    base_mean, base_var = chi[n[0]] if random_input else (0.0, 0.0)
    acc_mean, acc_var = base_mean, base_var  # input factor and F_1 ... F_{l-1}
    for l in range(1, n_layers + 1):
        shift[l - 1] = acc_mean + chi[n[l]][0]
        variance[l - 1] = acc_var + chi[n[l]][1]
        if l < n_layers:
            acc_mean += inner[n[l]][0]
            acc_var += inner[n[l]][1]
    return LogFluctuation(shift=shift, variance=variance)


def relu_neuron_moments(fan_in: int, weight_variance: float) -> tuple[float, float]:
    r"""Exact mean and second moment of :math:`z = \mathrm{relu}(w^\top x)` for Gaussian weights and inputs.

    With :math:`w \sim \mathcal N(0, \sigma^2 I_M)` and
    :math:`x \sim \mathcal N(0, I_M)` independent,
    :math:`h = w^\top x` given :math:`x` is :math:`\mathcal N(0, \sigma^2\|x\|^2)`,
    so :math:`\E[z \mid x] = \sigma\|x\| / \sqrt{2\pi}` and
    :math:`\E[z^2 \mid x] = \sigma^2\|x\|^2 / 2`. Averaging over
    :math:`\|x\| \sim \chi_M`,

    .. math::

       \E[z] = \frac{\sigma}{\sqrt{2\pi}}\, \E[\chi_M]
       = \sigma\, \frac{\Gamma((M+1)/2)}{\sqrt{\pi}\, \Gamma(M/2)}, \qquad
       \E[z^2] = \frac{M\sigma^2}{2} .

    :math:`h` itself is not Gaussian (it is a Gaussian scale mixture); the
    Gaussian formula :math:`\sqrt{q/(2\pi)}` with :math:`q = M\sigma^2`
    overestimates the mean by the factor :math:`\sqrt M / \E[\chi_M] = 1 + 1/(4M) + O(M^{-2})`.

    Parameters
    ----------
    fan_in : int
        :math:`M`, the number of inputs.
    weight_variance : float
        :math:`\sigma^2 \ge 0`.

    Returns
    -------
    mean, second_moment : float
        The variance is ``second_moment - mean**2``.

    Raises
    ------
    TypeError
        If ``weight_variance`` is not a real number.
    ValueError
        If ``fan_in`` is not a positive integer or ``weight_variance`` is
        negative or not finite.
    """
    M = _check_fan(fan_in, "fan_in")
    s2 = _checks.check_real(weight_variance, "weight_variance", low=0)
    mean = math.sqrt(s2) * math.exp(math.lgamma((M + 1) / 2) - math.lgamma(M / 2)) / math.sqrt(math.pi)
    return mean, M * s2 / 2.0


def _tanh_fourth_moment(t: float, n_points: int = 120) -> float:
    r""":math:`\E[\tanh(h)^4]` for :math:`h \sim \mathcal N(0, t)`, by the quadrature of :func:`tanh_second_moment`.

    Gauss–Hermite for :math:`t \le 1`; for :math:`t > 1` the trapezoidal
    rule on :math:`1 - \E[\operatorname{sech}^2(h)\,(2 - \operatorname{sech}^2(h))]`,
    whose integrand is smooth and decays exponentially.
    """
    if t <= 1.0:
        nodes, weights = _hermegauss(n_points)
        return float(np.tanh(math.sqrt(t) * nodes) ** 4 @ weights / math.sqrt(2.0 * math.pi))
    h = np.linspace(-40.0, 40.0, 16001)
    density = np.exp(-(h**2) / (2.0 * t)) / math.sqrt(2.0 * math.pi * t)
    sech2 = 1.0 / np.cosh(h) ** 2
    return float(1.0 - (sech2 * (2.0 - sech2) * density).sum() * (h[1] - h[0]))


def _activation_moments(t: float, activation: str) -> tuple[float, float]:
    r""":math:`(\E[\phi(h)^2], \E[\phi(h)^4])` for :math:`h \sim \mathcal N(0, t)`."""
    if activation == "identity":
        return t, 3.0 * t * t
    if activation == "relu":
        return t / 2.0, 1.5 * t * t
    return float(tanh_second_moment(t)), _tanh_fourth_moment(t)


def perturbative_log_moments(n_layers: int, weight_variance: float, width: int, activation: str = "tanh") -> LogFluctuation:
    r"""Mean and variance of the log mean square of one random network, to first order in :math:`1/M`.

    The network has :math:`L` = ``n_layers`` layers of width :math:`M`,
    input :math:`x \sim \mathcal N(0, I_M)`, weights i.i.d.
    :math:`\mathcal N(0, \sigma^2)` with :math:`c = M\sigma^2`, no biases, and
    :math:`h^{(l)} = W^{(l)} \phi(h^{(l-1)})`. Write
    :math:`t_l = \sigma^2 \|z^{(l-1)}\|^2` (:math:`z^{(0)} = x`). Given
    :math:`t_l`, :math:`h^{(l)} = \sqrt{t_l}\, g` with
    :math:`g \sim \mathcal N(0, I_M)` independent of the past, so *exactly*

    .. math::

       \hat q_l = t_l\, \frac{\chi^2_M}{M}, \qquad
       t_{l+1} = \frac{c}{M} \sum_{i=1}^M \phi\big(\sqrt{t_l}\, g_i\big)^2 ,

    a scalar Markov chain, with :math:`t_1 = c\,\chi^2_M/M`. The mean-field
    recursion is :math:`q_{l+1} = F(q_l)`, :math:`F(t) = c\, m_2(t)`,
    :math:`m_k(t) = \E[\phi(\sqrt t\, g)^k]`, :math:`q_1 = c`. Then
    :math:`t_{l+1} = F(t_l)(1 + \eta_l)` with :math:`\E[\eta_l \mid t_l] = 0`
    and :math:`\operatorname{Var}[\eta_l \mid t_l] = \kappa(t_l)/M`,
    :math:`\kappa = m_4/m_2^2 - 1`. For :math:`u_l = \log(t_l/q_l)`, with
    :math:`G(y) = \log F(e^y)`, :math:`a_l = G'(\log q_l)` and
    :math:`b_l = G''(\log q_l)`, a second-order expansion in :math:`u_l` and
    :math:`\eta_l` gives

    .. math::

       \E u_{l+1} = a_l \E u_l + \tfrac12 b_l\, \E[u_l^2] - \frac{\kappa(q_l)}{2M},
       \qquad
       \operatorname{Var} u_{l+1} = a_l^2 \operatorname{Var} u_l + \frac{\kappa(q_l)}{M},

    started from the exact moments of :math:`\log(\chi^2_M/M)`; finally
    :math:`\log(\hat q_l/q_l) = u_l + \log(\chi^2_M/M)`. Neglected terms are
    of second order in :math:`1/M` per layer (and in the accumulated
    :math:`\operatorname{Var} u_l`). For the identity and ReLU,
    :math:`a_l = 1`, :math:`b_l = 0` and :math:`\kappa = 2` and 5: the
    first-order form of :func:`finite_width_log_moments`, which is exact.
    For tanh, :math:`m_2` is :func:`~nntheory.initialization.propagation.tanh_second_moment`,
    :math:`m_4` the same quadrature, and :math:`a_l, b_l` central finite
    differences of :math:`G` with step :math:`10^{-3}` in :math:`\log t`.

    Parameters
    ----------
    n_layers : int
        :math:`L`.
    weight_variance : float
        :math:`\sigma^2 > 0`, the same in every layer.
    width : int
        :math:`M`, the input dimension and the width of every layer.
    activation : {"identity", "relu", "tanh"}, default "tanh"
        :math:`\phi`.

    Returns
    -------
    LogFluctuation
        ``shift`` and ``variance`` of :math:`\log(\hat q_l / q_l)`, shape
        ``(n_layers,)``, relative to ``propagate_variance(n_layers,
        weight_variance, width, activation).variance``.

    Raises
    ------
    TypeError
        If ``weight_variance`` is not a real number.
    ValueError
        If ``n_layers`` or ``width`` is not a positive integer,
        ``weight_variance`` is not positive and finite, or the activation
        is unknown.
    """
    n_layers = _check_fan(n_layers, "n_layers")
    M = _check_fan(width, "width")
    weight_variance = _checks.check_real(weight_variance, "weight_variance", low=0, low_open=True)
    _checks.check_choice(activation, "activation", ("identity", "relu", "tanh"))
    c = M * float(weight_variance)
    q = propagate_variance(n_layers, float(weight_variance), M, activation=activation).variance
    chi_mean, chi_var = _log_chi2_over_dof(M)
    eps = 1e-3

    def log_m2(y: float) -> float:
        return math.log(_activation_moments(math.exp(y), activation)[0])

    mean, var = chi_mean, chi_var  # u_1 = log(chi^2_M / M)
    shift = np.empty(n_layers)
    variance = np.empty(n_layers)
    for l in range(n_layers):
        shift[l] = mean + chi_mean
        variance[l] = var + chi_var
        m2, m4 = _activation_moments(float(q[l]), activation)
        kappa = m4 / m2**2 - 1.0
        if activation == "tanh":
            y = math.log(q[l])
            up, mid, down = log_m2(y + eps), log_m2(y), log_m2(y - eps)
            a, b = (up - down) / (2 * eps), (up - 2 * mid + down) / eps**2
        else:
            a, b = 1.0, 0.0
        mean = a * mean + 0.5 * b * (var + mean**2) - kappa / (2 * M)
        var = a * a * var + kappa / M
    return LogFluctuation(shift=shift, variance=variance)
