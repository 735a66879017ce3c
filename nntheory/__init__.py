"""nntheory: the theory of neural networks, one checked exercise at a time.

The library is organised one concept per module; import the module you need::

    from nntheory import autodiff, plotting

Modules: :mod:`nntheory.autodiff` (reverse- and forward-mode automatic
differentiation on scalar graphs), :mod:`nntheory.plotting` (matplotlib
helpers that take an ``ax`` and return it).
"""

from nntheory import autodiff, deep_linear, initialization, numpy_nn, optim, plotting, training

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "autodiff",
    "deep_linear",
    "initialization",
    "numpy_nn",
    "optim",
    "plotting",
    "training",
]
