r"""Weight initialisation schemes: LeCun, Xavier/Glorot and He/Kaiming.

Every scheme draws weights with mean zero and a variance fixed by the fan-in
:math:`n_\text{in}` and fan-out :math:`n_\text{out}` of the layer:

=========================  =======================================
scheme                     variance :math:`\sigma^2`
=========================  =======================================
``"lecun"``                :math:`1 / n_\text{in}`
``"xavier"`` (Glorot)      :math:`2 / (n_\text{in} + n_\text{out})`
``"he"`` (Kaiming)         :math:`2 / n_\text{in}`
=========================  =======================================

times ``gain**2``. The ``"normal"`` distribution is
:math:`\mathcal N(0, \sigma^2)`; the ``"uniform"`` distribution is
:math:`U(-a, a)` with :math:`a = \sqrt{3}\,\sigma`, which has the same
variance. :func:`sample_weights` draws numpy arrays from an explicit
``rng``; :func:`init_` fills a torch tensor in place from an explicit
``generator``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from nntheory import _checks

__all__ = ["SCHEMES", "init_variance", "sample_weights", "init_"]

#: Names accepted by ``scheme`` (aliases map to the same formula).
SCHEMES = ("lecun", "xavier", "glorot", "he", "kaiming")
_DISTRIBUTIONS = ("normal", "uniform")


def _check_fan(value, name: str) -> int:
    return _checks.check_int(value, name, low=1)


def _check_gain(gain) -> float:
    return _checks.check_real(gain, "gain", low=0)


def init_variance(scheme: str, fan_in: int, fan_out: int | None = None, gain: float = 1.0) -> float:
    r"""Weight variance :math:`\sigma^2` prescribed by an initialisation scheme.

    Parameters
    ----------
    scheme : {"lecun", "xavier", "glorot", "he", "kaiming"}
        ``"lecun"``: :math:`1/n_\text{in}`; ``"xavier"``/``"glorot"``:
        :math:`2/(n_\text{in}+n_\text{out})`; ``"he"``/``"kaiming"``:
        :math:`2/n_\text{in}`.
    fan_in : int
        Number of inputs of the layer, :math:`n_\text{in}`.
    fan_out : int, optional
        Number of outputs :math:`n_\text{out}`; required for Xavier.
    gain : float, default 1.0
        Non-negative; the variance is multiplied by ``gain**2``.

    Returns
    -------
    float
        The variance of each weight.

    Raises
    ------
    TypeError
        If a fan is not an integer or ``gain`` not a number.
    ValueError
        If ``scheme`` is unknown, a fan is not positive, ``gain`` is negative
        or not finite, or Xavier is asked for without ``fan_out``.

    Examples
    --------
    >>> init_variance("he", 100)
    0.02
    """
    _checks.check_choice(scheme, "scheme", SCHEMES)
    fan_in = _check_fan(fan_in, "fan_in")
    if fan_out is not None:
        fan_out = _check_fan(fan_out, "fan_out")
    gain = _check_gain(gain)
    if scheme in ("lecun",):
        var = 1.0 / fan_in
    elif scheme in ("he", "kaiming"):
        var = 2.0 / fan_in
    else:
        if fan_out is None:
            raise ValueError("fan_out is required for the Xavier/Glorot scheme")
        var = 2.0 / (fan_in + fan_out)
    return gain**2 * var


def sample_weights(shape: tuple[int, int], scheme: str, rng: np.random.Generator, distribution: str = "normal", gain: float = 1.0) -> np.ndarray:
    r"""Draw a weight matrix with numpy.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``, the layout of ``W`` in ``h = W @ x``
        (and of ``torch.nn.Linear.weight``).
    scheme : str
        See :func:`init_variance`.
    rng : numpy.random.Generator
        Source of randomness.
    distribution : {"normal", "uniform"}, default "normal"
        Gaussian, or uniform on :math:`[-\sqrt{3}\sigma, \sqrt{3}\sigma]`.
    gain : float, default 1.0
        Multiplies the standard deviation.

    Returns
    -------
    numpy.ndarray of shape (fan_out, fan_in)

    Raises
    ------
    TypeError
        If ``rng`` is not a :class:`numpy.random.Generator`, or ``shape``
        not a pair of integers.
    ValueError
        If ``shape`` is not a pair of positive integers, or ``scheme``,
        ``distribution`` or ``gain`` is invalid.
    """
    _checks.check_rng(rng, "rng")
    shape = _checks.check_int_sequence(shape, "shape", low=1)
    if len(shape) != 2:
        raise ValueError(f"shape must be (fan_out, fan_in), got {shape!r}")
    fan_out, fan_in = shape
    _checks.check_choice(distribution, "distribution", _DISTRIBUTIONS)
    std = math.sqrt(init_variance(scheme, fan_in, fan_out, gain))
    if distribution == "normal":
        return rng.normal(0.0, std, size=(fan_out, fan_in))
    bound = math.sqrt(3.0) * std
    return rng.uniform(-bound, bound, size=(fan_out, fan_in))


def init_(tensor: torch.Tensor, scheme: str, generator: torch.Generator, distribution: str = "normal", gain: float = 1.0) -> torch.Tensor:
    r"""Fill a torch weight tensor in place, from an explicit generator.

    Parameters
    ----------
    tensor : torch.Tensor of shape (fan_out, fan_in)
        E.g. ``torch.nn.Linear(fan_in, fan_out).weight``. Filled under
        :func:`torch.no_grad`.
    scheme : str
        See :func:`init_variance`.
    generator : torch.Generator
        Source of randomness.
    distribution : {"normal", "uniform"}, default "normal"
        Gaussian, or uniform on :math:`[-\sqrt{3}\sigma, \sqrt{3}\sigma]`.
    gain : float, default 1.0
        Multiplies the standard deviation.

    Returns
    -------
    torch.Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        If ``tensor`` is not a floating tensor or ``generator`` not a
        ``torch.Generator``.
    ValueError
        If ``tensor`` is empty or not two-dimensional, or ``scheme``,
        ``distribution`` or ``gain`` is invalid.

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(100, 50, bias=False)
    >>> _ = init_(layer.weight, "he", generator=torch.Generator().manual_seed(0))
    """
    # The values are overwritten, so only the kind and the shape matter (finite=False).
    _checks.check_tensor(tensor, "tensor", finite=False)
    _checks.check_torch_generator(generator, "generator")
    if tensor.dim() != 2:
        raise ValueError(f"tensor must be 2-D (fan_out, fan_in), got shape {tuple(tensor.shape)}")
    _checks.check_choice(distribution, "distribution", _DISTRIBUTIONS)
    fan_out, fan_in = tensor.shape
    std = math.sqrt(init_variance(scheme, int(fan_in), int(fan_out), gain))
    with torch.no_grad():
        if distribution == "normal":
            tensor.normal_(0.0, std, generator=generator)
        else:
            bound = math.sqrt(3.0) * std
            tensor.uniform_(-bound, bound, generator=generator)
    return tensor
