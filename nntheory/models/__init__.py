"""Torch models: MLPs, dropout layers, deep linear, heteroscedastic and residual networks."""

from nntheory.models.mlp import MLP, numpy_to_torch, torch_to_numpy
from nntheory.models.heteroscedastic import MeanMLP, MeanVarianceMLP, gaussian_nll
from nntheory.models.residual import ResidualBlock, ResidualNet, SpectralNormLinear
from nntheory.models.dropout import InvertedDropout, StandardDropout, dropout_mask

__all__: list[str] = ["MLP", "numpy_to_torch", "torch_to_numpy", "MeanMLP", "MeanVarianceMLP", "gaussian_nll", "ResidualBlock", "ResidualNet", "SpectralNormLinear", "InvertedDropout", "StandardDropout", "dropout_mask"]
