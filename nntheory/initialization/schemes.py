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

__all__ = ["SCHEMES", "init_variance", "sample_weights", "init_"]

#: Names accepted by ``scheme`` (aliases map to the same formula).
SCHEMES = ("lecun", "xavier", "glorot", "he", "kaiming")
_DISTRIBUTIONS = ("normal", "uniform")


def _check_fan(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


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
        The variance is multiplied by ``gain**2``.

    Returns
    -------
    float
        The variance of each weight.

    Raises
    ------
    ValueError
        If ``scheme`` is unknown, a fan is not a positive integer, or Xavier
        is asked for without ``fan_out``.

    Examples
    --------
    >>> init_variance("he", 100)
    0.02
    """
    fan_in = _check_fan(fan_in, "fan_in")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if scheme in ("lecun",):
        var = 1.0 / fan_in
    elif scheme in ("he", "kaiming"):
        var = 2.0 / fan_in
    else:
        if fan_out is None:
            raise ValueError("fan_out is required for the Xavier/Glorot scheme")
        fan_out = _check_fan(fan_out, "fan_out")
        var = 2.0 / (fan_in + fan_out)
    return float(gain) ** 2 * var


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
        If ``rng`` is not a :class:`numpy.random.Generator`.
    ValueError
        If ``shape`` is not a pair of positive integers or ``distribution``
        is unknown.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if len(tuple(shape)) != 2:
        raise ValueError(f"shape must be (fan_out, fan_in), got {shape!r}")
    fan_out, fan_in = (_check_fan(s, "shape") for s in shape)
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {_DISTRIBUTIONS}, got {distribution!r}")
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
        If ``tensor`` or ``generator`` has the wrong type.
    ValueError
        If ``tensor`` is not two-dimensional or ``distribution`` is unknown.

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(100, 50, bias=False)
    >>> _ = init_(layer.weight, "he", generator=torch.Generator().manual_seed(0))
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    if tensor.dim() != 2:
        raise ValueError(f"tensor must be 2-D (fan_out, fan_in), got shape {tuple(tensor.shape)}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {_DISTRIBUTIONS}, got {distribution!r}")
    fan_out, fan_in = tensor.shape
    std = math.sqrt(init_variance(scheme, int(fan_in), int(fan_out), gain))
    with torch.no_grad():
        if distribution == "normal":
            tensor.normal_(0.0, std, generator=generator)
        else:
            bound = math.sqrt(3.0) * std
            tensor.uniform_(-bound, bound, generator=generator)
    return tensor
