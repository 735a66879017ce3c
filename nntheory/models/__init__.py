"""Torch models: MLPs, dropout layers, deep linear, heteroscedastic and residual networks."""

from nntheory.models.mlp import MLP, numpy_to_torch, torch_to_numpy

__all__: list[str] = ["MLP", "numpy_to_torch", "torch_to_numpy"]
