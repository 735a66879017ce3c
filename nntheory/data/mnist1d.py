"""MNIST-1D, generated locally by the ``mnist1d`` package (no download).

MNIST-1D (Greydanus, 2020) is a 1-D analogue of MNIST: ten template
signals, randomly padded, translated, scaled, sheared and noised, 40 samples
long. The package's generator (``mnist1d.data.make_dataset``) builds it in
about a second, so the site needs no network access. This module never calls
the package's download path.
"""

from __future__ import annotations

import random
from functools import lru_cache

import numpy as np

from nntheory import _checks
from nntheory.data.preprocessing import Splits

__all__ = ["make_mnist1d"]


def make_mnist1d(*, seed: int = 42, n_samples: int = 5000, train_fraction: float = 0.8, n_val: int = 400) -> Splits:
    """Generate MNIST-1D with the package's default transformations.

    Parameters
    ----------
    seed : int, default 42
        Seed of the generator (42 is the package's default, which reproduces
        the published data set).
    n_samples : int, default 5000
        Total number of signals, split into training and test parts.
    train_fraction : float, default 0.8
        Fraction of ``n_samples`` in the training part.
    n_val : int, default 400
        How many of the training signals (the last ones; the generator has
        already shuffled them) are held out as a validation set.

    Returns
    -------
    Splits
        Inputs of shape ``(n, 40)`` (float64, one channel), labels 0-9.
        With the defaults: 3600 training, 400 validation and 1000 test samples.

    Raises
    ------
    TypeError
        If ``seed``, ``n_samples`` or ``n_val`` is not an integer (a float
        such as ``1.5`` is refused, not truncated), or ``train_fraction`` not
        a number.
    ValueError
        If a value is out of range or a part would be empty.

    Notes
    -----
    ``mnist1d`` seeds numpy's and Python's *global* random generators; this
    function saves both states before and restores them after, so calling it
    leaves the caller's global randomness untouched. The generated arrays are
    cached per ``(seed, n_samples, train_fraction)`` within a process (a few
    seconds saved when several examples run in one process); every call
    returns fresh copies, so callers may modify them.
    """
    seed = _checks.check_int(seed, "seed", low=0, high=2**32 - 1)
    n_samples = _checks.check_int(n_samples, "n_samples", low=20)
    train_fraction = _checks.check_real(train_fraction, "train_fraction", low=0, high=1, low_open=True, high_open=True)
    n_val = _checks.check_int(n_val, "n_val", low=0)
    n_train_all = int(n_samples * train_fraction)
    if not 0 < n_train_all < n_samples:
        raise ValueError(f"train_fraction={train_fraction} leaves an empty training or test part of {n_samples} samples")
    if not n_val < n_train_all:
        raise ValueError(f"n_val must lie in [0, {n_train_all}), got {n_val!r}")

    X, y, X_test, y_test = (a.copy() for a in _generate(seed, n_samples, train_fraction))
    n_fit = X.shape[0] - n_val
    return Splits(
        X_train=X[:n_fit],
        y_train=y[:n_fit],
        X_val=X[n_fit:],
        y_val=y[n_fit:],
        X_test=X_test,
        y_test=y_test,
        name="MNIST-1D",
        n_channels=1,
        n_classes=10,
    )


@lru_cache(maxsize=4)
def _generate(seed: int, n_samples: int, train_fraction: float):
    """Run the package's generator with the global RNG states saved and restored."""
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as err:  # pragma: no cover - optional extra
        raise ImportError("make_mnist1d needs the mnist1d package: pip install 'nntheory[data]'") from err
    args = get_dataset_args()
    args.seed, args.num_samples, args.train_split = seed, n_samples, train_fraction
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    arrays = (
        np.asarray(data["x"], dtype=np.float64),
        np.asarray(data["y"], dtype=np.int64),
        np.asarray(data["x_test"], dtype=np.float64),
        np.asarray(data["y_test"], dtype=np.int64),
    )
    for a in arrays:
        a.setflags(write=False)  # the cached copy is never handed out
    return arrays
