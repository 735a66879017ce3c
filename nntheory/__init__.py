"""nntheory: the theory of neural networks, one checked exercise at a time.

The library is organised one concept per module; import the module you need::

    from nntheory import autodiff, optim, training
    from nntheory.diagnostics import hessian

Modules: :mod:`~nntheory.autodiff` (automatic differentiation on scalar
graphs), :mod:`~nntheory.numpy_nn` (hand-written forward/backward modules),
:mod:`~nntheory.models` (torch models), :mod:`~nntheory.initialization`
(initialisers and signal propagation), :mod:`~nntheory.optim` (pure update
rules and schedules), :mod:`~nntheory.training` (an explicit training loop),
:mod:`~nntheory.sweep` (many small models trained at once),
:mod:`~nntheory.newton` (Newton's method with the exact Hessian of a tanh MLP),
:mod:`~nntheory.diagnostics` (gradient statistics, Hessians, dead units,
Lipschitz estimates), :mod:`~nntheory.data` (datasets),
:mod:`~nntheory.bagging`, :mod:`~nntheory.dropout_regression`,
:mod:`~nntheory.implicit_regularization`, :mod:`~nntheory.deep_linear`,
:mod:`~nntheory.random_matrices`, :mod:`~nntheory.spin_glass`
(the mathematics of single exercises), :mod:`~nntheory.plotting`, and
:mod:`~nntheory.seeding` (each gallery page's base seed, overridable for
reruns under other seeds).
"""

# Subpackages load on first use (SPEC 1 lazy loading, PEP 562 ``__getattr__``):
# ``import nntheory.numpy_nn`` or ``nntheory.deep_linear`` then costs numpy
# alone, not torch and matplotlib. ``from nntheory import optim``,
# ``nntheory.optim`` and tab completion work as with eager imports.
import lazy_loader as _lazy

__version__ = "0.1.0"

_SUBMODULES = [
    "autodiff",
    "bagging",
    "data",
    "deep_linear",
    "diagnostics",
    "dropout_regression",
    "implicit_regularization",
    "initialization",
    "models",
    "newton",
    "numpy_nn",
    "optim",
    "plotting",
    "random_matrices",
    "seeding",
    "spin_glass",
    "sweep",
    "training",
]
__getattr__, __dir__, _all = _lazy.attach(__name__, submodules=_SUBMODULES)
__all__ = ["__version__", *_all]
