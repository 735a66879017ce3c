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

__all__ = ["dropout_mask", "StandardDropout", "InvertedDropout"]


def _check_p_keep(p_keep) -> float:
    if isinstance(p_keep, bool) or not isinstance(p_keep, (int, float)) or not 0.0 < p_keep <= 1.0:
        raise ValueError(f"p_keep must be a probability in (0, 1], got {p_keep!r}")
    return float(p_keep)


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
    p_keep = _check_p_keep(p_keep)
    u = torch.rand(shape, generator=generator, dtype=dtype, device=device)
    return (u < p_keep).to(dtype)


class _Dropout(nn.Module):
    def __init__(self, p_keep: float, *, generator: torch.Generator | None = None):
        super().__init__()
        self.p_keep = _check_p_keep(p_keep)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        self.generator = generator

    @property
    def p_drop(self) -> float:
        """Drop probability ``1 - p_keep``."""
        return 1.0 - self.p_keep

    def extra_repr(self) -> str:
        return f"p_keep={self.p_keep}"

    def _mask(self, x: torch.Tensor) -> torch.Tensor:
        return dropout_mask(tuple(x.shape), self.p_keep, generator=self.generator, dtype=x.dtype, device=x.device)


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
        if self.training:
            return x * self._mask(x) / self.p_keep
        return x
