"""Torch models: MLPs, dropout layers, deep linear, heteroscedastic and residual networks."""

__all__: list[str] = []
