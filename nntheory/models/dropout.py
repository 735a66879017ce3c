"""Dropout layers: standard (scaled at test time) and inverted (scaled at training time).

Both layers are parameterised by the *keep* probability ``p_keep`` (the
:math:`p` of the tnn-9 sheet and of Srivastava et al. 2014); the drop
probability is ``p_drop = 1 - p_keep`` (the :math:`p` of
:class:`torch.nn.Dropout` and of the csc413 sheet). In training mode each
unit is multiplied by an independent :math:`r \\sim \\mathrm{Bernoulli}(p_{\\text{keep}})`.

* :class:`StandardDropout` (the original paper): training output :math:`r x`;
  evaluation output :math:`p_{\\text{keep}}\\, x`, the expectation of the
  training output.
* :class:`InvertedDropout` (what :class:`torch.nn.Dropout` does): training
  output :math:`r x / p_{\\text{keep}}`; evaluation output :math:`x`, again the
  expectation of the training output.

Examples
--------
>>> import torch
>>> layer = InvertedDropout(p_keep=0.8, generator=torch.Generator().manual_seed(0))
>>> x = torch.ones(2, 3)
>>> layer.eval()(x).tolist()
[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
"""

from __future__ import annotations

import torch
from torch import nn

from nntheory import _checks

__all__ = ["dropout_mask", "all_masks", "mask_probabilities", "StandardDropout", "InvertedDropout"]


def _check_p_keep(p_keep) -> float:
    """A keep probability in (0, 1] (numpy scalars accepted)."""
    return _checks.check_real(p_keep, "p_keep", low=0, high=1, low_open=True)


def dropout_mask(shape: tuple[int, ...], p_keep: float, *, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu") -> torch.Tensor:
    """Independent Bernoulli(``p_keep``) keep indicators.

    Parameters
    ----------
    shape : tuple of int
        Shape of the mask, usually the activations' ``(n_samples, n_units)``.
    p_keep : float in (0, 1]
        Probability that an entry is 1 (the unit is kept).
    generator : torch.Generator, optional
        Source of randomness; torch's default generator if omitted.
    dtype : torch.dtype, default torch.float32
    device : str or torch.device, default "cpu"

    Returns
    -------
    torch.Tensor, shape ``shape``
        Entries in {0, 1}.
    """
    shape = tuple(_checks.check_int_sequence(shape, "shape", low=0))
    p_keep = _check_p_keep(p_keep)
    _checks.check_optional_torch_generator(generator, "generator")
    dtype = _checks.check_torch_float_dtype(dtype, "dtype")
    device = _checks.check_device(device)
    return _draw_mask(shape, p_keep, generator, dtype, device)


def _draw_mask(shape, p_keep: float, generator, dtype, device) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, dtype=dtype, device=device)
    return (u < p_keep).to(dtype)


def all_masks(n_units: int, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Every one of the :math:`2^n` keep masks of ``n_units`` units, one per row.

    Row :math:`k` is the binary expansion of :math:`k` (unit :math:`j` is kept
    when bit :math:`j` is set), so the rows are distinct and cover all
    thinned subnetworks; for enumerating the dropout ensemble of a small layer.

    Parameters
    ----------
    n_units : int
        :math:`n`, between 1 and 20.
    dtype : torch.dtype, default torch.float64

    Returns
    -------
    torch.Tensor, shape (2**n_units, n_units)
        Entries in {0, 1}.
    """
    n_units = _checks.check_int(n_units, "n_units", low=1, high=20)
    dtype = _checks.check_torch_float_dtype(dtype, "dtype")
    k = torch.arange(2**n_units)[:, None]
    return ((k >> torch.arange(n_units)) & 1).to(dtype)


def mask_probabilities(masks: torch.Tensor, p_keep: float) -> torch.Tensor:
    """Probability :math:`\\prod_j p^{r_j}(1-p)^{1-r_j}` of each mask under independent Bernoulli(``p_keep``) units.

    Parameters
    ----------
    masks : torch.Tensor, shape (n_masks, n_units)
        Entries in {0, 1}, e.g. from :func:`all_masks` (whose probabilities sum to 1).
    p_keep : float in (0, 1]

    Returns
    -------
    torch.Tensor, shape (n_masks,)
    """
    masks = _checks.check_tensor(masks, "masks", ndim=2, floating=False)
    if masks.dtype == torch.bool or masks.is_complex() or not bool(((masks == 0) | (masks == 1)).all()):
        raise ValueError("masks must hold only 0 and 1 (keep indicators, as from all_masks)")
    p_keep = _check_p_keep(p_keep)
    kept = masks.sum(dim=1)
    return p_keep**kept * (1.0 - p_keep) ** (masks.shape[1] - kept)


class _Dropout(nn.Module):
    def __init__(self, p_keep: float, *, generator: torch.Generator | None = None):
        super().__init__()
        self.p_keep = _check_p_keep(p_keep)
        self.generator = _checks.check_optional_torch_generator(generator, "generator")

    @property
    def p_drop(self) -> float:
        """Drop probability ``1 - p_keep``."""
        return 1.0 - self.p_keep

    def extra_repr(self) -> str:
        return f"p_keep={self.p_keep}"

    def _mask(self, x: torch.Tensor) -> torch.Tensor:
        return _draw_mask(tuple(x.shape), self.p_keep, self.generator, x.dtype, x.device)  # arguments checked already


class StandardDropout(_Dropout):
    """Dropout as in Srivastava et al. (2014): scale by ``p_keep`` at test time.

    Training mode: :math:`x \\mapsto r \\odot x`,
    :math:`r_i \\sim \\mathrm{Bernoulli}(p_{\\text{keep}})` i.i.d.;
    evaluation mode: :math:`x \\mapsto p_{\\text{keep}}\\, x`.

    Parameters
    ----------
    p_keep : float in (0, 1]
        Keep probability (the sheet's :math:`p`).
    generator : torch.Generator, optional
        Source of the masks; torch's default generator if omitted.

    Attributes
    ----------
    p_keep : float
    p_drop : float
        ``1 - p_keep``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply dropout to ``x`` of any shape; returns a tensor of the same shape."""
        _checks.check_floating_tensor(x, "x")  # kind only: NaN propagates, as in torch.nn.Dropout
        if self.training:
            return x * self._mask(x)
        return x * self.p_keep


class InvertedDropout(_Dropout):
    """Inverted dropout: scale by ``1/p_keep`` at training time, identity at test time.

    Training mode: :math:`x \\mapsto r \\odot x / p_{\\text{keep}}`;
    evaluation mode: :math:`x \\mapsto x`. Same as
    ``torch.nn.Dropout(p=1 - p_keep)``.

    Parameters
    ----------
    p_keep : float in (0, 1]
        Keep probability.
    generator : torch.Generator, optional
        Source of the masks; torch's default generator if omitted.

    Attributes
    ----------
    p_keep : float
    p_drop : float
        ``1 - p_keep``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply dropout to ``x`` of any shape; returns a tensor of the same shape."""
        _checks.check_floating_tensor(x, "x")  # kind only: NaN propagates, as in torch.nn.Dropout
        if self.training:
            return x * self._mask(x) / self.p_keep
        return x
