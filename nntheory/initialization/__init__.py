"""Weight initialisation: the schemes, and the theory of forward signal propagation.

Two modules, both re-exported here so that ``from nntheory.initialization
import propagate_variance`` works:

* :mod:`~nntheory.initialization.schemes`: LeCun, Xavier/Glorot and
  He/Kaiming initialisers for numpy arrays (explicit ``rng``) and torch
  tensors (explicit ``generator``);
* :mod:`~nntheory.initialization.propagation`: the layer-by-layer recursion
  for the second moment of the pre-activations (identity, ReLU, tanh by
  quadrature) and the empirical pre-activations it predicts;
* :mod:`~nntheory.initialization.fluctuations`: exact finite-width
  statistics for Gaussian weights (how far one network, probed with one
  input, falls from the recursion; the exact moments of one ReLU neuron;
  a first-order finite-width correction for tanh).
"""

from nntheory.initialization.fluctuations import LogFluctuation, finite_width_log_moments, perturbative_log_moments, relu_neuron_moments
from nntheory.initialization.propagation import (
    ACTIVATIONS,
    SignalPropagation,
    empirical_preactivations,
    propagate_variance,
    relu_moments,
    second_moment,
    tanh_second_moment,
)
from nntheory.initialization.schemes import SCHEMES, init_, init_variance, sample_weights

__all__ = [
    "SCHEMES",
    "ACTIVATIONS",
    "init_variance",
    "sample_weights",
    "init_",
    "relu_moments",
    "tanh_second_moment",
    "second_moment",
    "SignalPropagation",
    "propagate_variance",
    "empirical_preactivations",
    "LogFluctuation",
    "finite_width_log_moments",
    "perturbative_log_moments",
    "relu_neuron_moments",
]
