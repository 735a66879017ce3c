"""Datasets: synthetic generators, the shipped CSV, and loaders for local files."""

from nntheory.data.cifar10 import load_cifar10
from nntheory.data.mnist1d import make_mnist1d
from nntheory.data.preprocessing import Splits, standardize_per_channel

__all__: list[str] = ["Splits", "load_cifar10", "make_mnist1d", "standardize_per_channel"]
