"""MNIST-1D generated locally, and per-channel standardisation."""

import random

import numpy as np
import pytest

from nntheory.data import Splits, make_mnist1d, standardize_per_channel
from nntheory.data import mnist1d as mnist1d_module


@pytest.fixture(scope="module")
def small():
    return make_mnist1d(n_samples=500, n_val=40)


def test_shapes_labels_and_split(small):
    assert small.X_train.shape == (360, 40) and small.X_val.shape == (40, 40) and small.X_test.shape == (100, 40)
    assert small.n_channels == 1 and small.n_classes == 10 and small.name == "MNIST-1D"
    for y in (small.y_train, small.y_val, small.y_test):
        assert y.dtype == np.int64 and y.min() >= 0 and y.max() <= 9
    assert set(np.concatenate([small.y_train, small.y_val, small.y_test])) == set(range(10))


def test_seeded_reproducible_and_leaves_global_rng_alone(small):
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.rand(), random.random()
    np.random.seed(123)
    random.seed(123)
    mnist1d_module._generate.cache_clear()  # make sure the generator really runs
    again = make_mnist1d(n_samples=500, n_val=40)
    assert np.random.rand() == expected_np and random.random() == expected_py
    np.testing.assert_array_equal(again.X_train, small.X_train)
    other = make_mnist1d(n_samples=500, n_val=40, seed=7)
    assert not np.array_equal(other.X_train, small.X_train)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_val"):
        make_mnist1d(n_samples=100, n_val=80)
    with pytest.raises(ValueError, match="train_fraction"):
        make_mnist1d(train_fraction=1.5)
    # floats are refused, not truncated (seed=1.5 used to run with seed 1)
    for kwargs, name in [({"seed": 1.5}, "seed"), ({"n_val": 2.5}, "n_val"), ({"n_samples": 100.0}, "n_samples")]:
        with pytest.raises(TypeError, match=f"^{name} must be an integer"):
            make_mnist1d(**kwargs)
    with pytest.raises(ValueError, match="^seed must be an integer >= 0"):
        make_mnist1d(seed=-1)
    with pytest.raises(ValueError, match="^train_fraction must be a finite number"):
        make_mnist1d(train_fraction=float("nan"))


def test_numpy_scalars_are_accepted():
    a = make_mnist1d(seed=np.int64(42), n_samples=np.int64(500), train_fraction=np.float32(0.8), n_val=np.int32(40))
    b = make_mnist1d(n_samples=500, n_val=40)
    np.testing.assert_array_equal(a.X_train, b.X_train)


def test_standardize_per_channel_uses_training_statistics_only(rng):
    # three channels with different offsets and scales, 4 values each
    scale, offset = np.array([1.0, 5.0, 0.1]), np.array([0.0, -3.0, 10.0])
    def draw(n):
        return (rng.standard_normal((n, 3, 4)) * scale[:, None] + offset[:, None]).reshape(n, 12)
    splits = Splits(draw(500), np.zeros(500, np.int64), draw(50) + 100, np.zeros(50, np.int64), draw(60), np.zeros(60, np.int64), "toy", 3, 1)
    out, mean, std = standardize_per_channel(splits)
    tr = splits.X_train.reshape(500, 3, 4)
    np.testing.assert_allclose(mean, [tr[:, c].mean() for c in range(3)])
    np.testing.assert_allclose(std, [tr[:, c].std() for c in range(3)])
    z = out.X_train.reshape(500, 3, 4)
    np.testing.assert_allclose(z.mean(axis=(0, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=(0, 2)), 1, atol=1e-12)
    # the validation set is shifted by +100: it keeps that shift, measured in training units
    np.testing.assert_allclose(out.X_val.reshape(50, 3, 4)[:, 0] , (splits.X_val.reshape(50, 3, 4)[:, 0] - mean[0]) / std[0])
    with pytest.raises(TypeError, match="Splits"):
        standardize_per_channel(splits.X_train)
    bad = splits.X_train.copy()
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match=r"^splits.X_train must be finite"):
        standardize_per_channel(Splits(bad, *(getattr(splits, k) for k in ("y_train", "X_val", "y_val", "X_test", "y_test", "name", "n_channels", "n_classes"))))
    with pytest.raises(ValueError, match=r"^splits.X_val must have shape \(\*, 12\)"):
        standardize_per_channel(Splits(splits.X_train, splits.y_train, splits.X_val[:, :6], *(getattr(splits, k) for k in ("y_val", "X_test", "y_test", "name", "n_channels", "n_classes"))))
    with pytest.raises(TypeError, match="^dtype must be numpy.float32 or numpy.float64"):
        standardize_per_channel(splits, dtype=np.int64)


def test_repeated_calls_return_independent_copies(small):
    again = make_mnist1d(n_samples=500, n_val=40)
    again.X_train[:] = 0  # callers may modify what they get
    third = make_mnist1d(n_samples=500, n_val=40)
    np.testing.assert_array_equal(third.X_train, small.X_train)
    assert third.X_train.flags.writeable
