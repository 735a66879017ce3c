"""Shared pytest configuration: float64 torch by default inside tests that ask for it."""

import numpy as np
import pytest
import torch


@pytest.fixture
def rng():
    """A fresh, seeded numpy Generator owned by the test that asks for it."""
    return np.random.default_rng(20261124)


@pytest.fixture
def generator():
    """A fresh, seeded torch.Generator owned by the test that asks for it."""
    return torch.Generator().manual_seed(20261124)
