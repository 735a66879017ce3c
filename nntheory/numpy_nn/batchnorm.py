"""Batch normalisation over a batch of feature vectors, with its full backward pass."""

from __future__ import annotations

import numpy as np

from nntheory import _checks
from nntheory.numpy_nn.layers import Module, _check_batch, _check_dtype

__all__ = ["BatchNorm1d"]


class BatchNorm1d(Module):
    r"""Batch normalisation of each feature, as ``torch.nn.BatchNorm1d`` on 2-D input.

    In training mode each feature :math:`j` is normalised with the statistics
    of the current batch of :math:`N` samples,

    .. math::

       \mu_j = \frac1N\sum_i x_{ij},\qquad
       \sigma^2_j = \frac1N\sum_i (x_{ij}-\mu_j)^2,

       \hat x_{ij} = \frac{x_{ij}-\mu_j}{\sqrt{\sigma^2_j+\epsilon}},\qquad
       y_{ij} = \gamma_j \hat x_{ij} + \beta_j,

    and the running statistics are updated with torch's momentum convention
    :math:`r \leftarrow (1-m)\,r + m\,s`, where the variance fed to the running
    estimate is the *unbiased* one, :math:`\frac{N}{N-1}\sigma^2_j`. In
    inference mode (:meth:`eval`) the running mean and variance replace the
    batch statistics, so each sample is normalised independently of the others.

    Parameters
    ----------
    num_features : int
        Number of features :math:`M` (columns of the input).
    eps : float, default 1e-5
        Added to the variance before the square root.
    momentum : float, default 0.1
        Weight :math:`m` of the newest batch in the running statistics.
    dtype : numpy dtype, default float64

    Attributes
    ----------
    params : dict
        ``"weight"`` (:math:`\gamma`, initialised to 1) and ``"bias"``
        (:math:`\beta`, initialised to 0), each of shape ``(num_features,)``.
    buffers : dict
        ``"running_mean"`` (initialised to 0) and ``"running_var"``
        (initialised to 1), each of shape ``(num_features,)``.

    Notes
    -----
    Backward in training mode, with :math:`\bar y = \partial L/\partial y`
    and :math:`g = \bar y\,\gamma` (that is :math:`\partial L/\partial\hat x`):

    .. math::

       \frac{\partial L}{\partial\gamma_j} = \sum_i \bar y_{ij}\hat x_{ij},\qquad
       \frac{\partial L}{\partial\beta_j} = \sum_i \bar y_{ij},

       \frac{\partial L}{\partial x_{ij}} = \frac{1}{N\sqrt{\sigma_j^2+\epsilon}}
       \Big(N g_{ij} - \sum_k g_{kj} - \hat x_{ij}\sum_k g_{kj}\hat x_{kj}\Big).

    The last two terms are the paths through :math:`\mu_j` and
    :math:`\sigma^2_j`. In inference mode the statistics are constants and
    :math:`\partial L/\partial x_{ij} = g_{ij}/\sqrt{v_j+\epsilon}` with
    :math:`v_j` the running variance.
    """

    def __init__(self, num_features: int, *, eps: float = 1e-5, momentum: float = 0.1, dtype=np.float64) -> None:
        super().__init__()
        num_features = _checks.check_int(num_features, "num_features", low=1)
        eps = _checks.check_real(eps, "eps", low=0, low_open=True)
        momentum = _checks.check_real(momentum, "momentum", low=0, high=1)
        dtype = _check_dtype(dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.params = {"weight": np.ones(num_features, dtype=dtype), "bias": np.zeros(num_features, dtype=dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {"running_mean": np.zeros(num_features, dtype=dtype), "running_var": np.ones(num_features, dtype=dtype)}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x`` (n_samples, num_features) -> ``y``, same shape.

        Raises
        ------
        ValueError
            In training mode with a batch of one sample: its variance is 0,
            every output would equal :math:`\\beta` whatever the input, and the
            unbiased variance for the running estimate is 0/0 (torch raises too).
        """
        x = _check_batch(x, "x", self.num_features, self.params["weight"].dtype)
        gamma, beta = self.params["weight"], self.params["bias"]
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    "BatchNorm1d in training mode needs at least 2 samples per batch: with one "
                    "sample the batch variance is 0 and the output is beta whatever the input; "
                    "call eval() to use the running statistics"
                )
            mean = x.mean(axis=0)  # (num_features,)
            xc = x - mean
            var = (xc * xc).mean(axis=0)  # biased, used to normalise
            m = self.momentum
            self.buffers["running_mean"] = (1 - m) * self.buffers["running_mean"] + m * mean
            self.buffers["running_var"] = (1 - m) * self.buffers["running_var"] + m * var * (n / (n - 1))
        else:
            xc = x - self.buffers["running_mean"]
            var = self.buffers["running_var"]
        inv_std = 1.0 / np.sqrt(var + self.eps)  # (num_features,)
        x_hat = xc * inv_std
        self.cache = (x_hat, inv_std, self.training)
        return gamma * x_hat + beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout`` (n_samples, num_features) -> ``dx``, same shape; fills ``grads``."""
        x_hat, inv_std, training = self._cached()
        dout = self._check_dout(dout, x_hat.shape, x_hat.dtype)
        self.grads["weight"] = (dout * x_hat).sum(axis=0)
        self.grads["bias"] = dout.sum(axis=0)
        g = dout * self.params["weight"]  # dL/dx_hat, (n_samples, num_features)
        if not training:
            return g * inv_std
        n = x_hat.shape[0]
        return (inv_std / n) * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
