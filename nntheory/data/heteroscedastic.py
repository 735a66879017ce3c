r"""The heteroscedastic regression data set ``x_y.csv``: generator, loaders, split.

The course sheet ships a file ``x_y.csv`` with 1,000 points of one input and
one output whose noise grows with :math:`x`. The original file is not
available, so the package ships its own ``x_y.csv``, produced by
:func:`make_heteroscedastic` with ``seed=SEED`` and written by
:func:`to_csv_text`; :func:`regenerate_csv_text` reproduces the shipped file
byte for byte. The generating model is

.. math::

   x \sim \mathcal U(0, 10), \qquad
   y \mid x \sim \mathcal N\big(\mu(x), \sigma(x)^2\big), \qquad
   \mu(x) = 2 \sin(x) + 0.5\,x, \qquad \sigma(x) = 0.1 + 0.15\,x ,

so the noise standard deviation grows linearly from 0.1 to 1.6 across the
input range (:func:`true_mean`, :func:`true_std`).

Examples
--------
>>> x, y = load_x_y()
>>> x.shape, y.shape
((1000,), (1000,))
"""

from __future__ import annotations

import csv
import io
import math
from importlib import resources
from os import PathLike

import numpy as np

from nntheory import _checks

__all__ = [
    "SEED",
    "N_SAMPLES",
    "true_mean",
    "true_std",
    "make_heteroscedastic",
    "to_csv_text",
    "regenerate_csv_text",
    "load_xy_csv",
    "load_x_y",
    "train_test_split",
]

#: Seed of the generator that produced the shipped ``x_y.csv``.
SEED = 20250611
#: Number of points in the shipped file.
N_SAMPLES = 1000
_X_RANGE = (0.0, 10.0)
_FLOAT_FORMAT = "{:.6f}"


def true_mean(x) -> np.ndarray:
    r"""Mean of the generating model, :math:`\mu(x) = 2\sin x + x/2`.

    Parameters
    ----------
    x : array_like
        Inputs, any shape.

    Returns
    -------
    numpy.ndarray
        :math:`\mu(x)`, same shape as ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not an array of numbers (a tensor: pass ``x.numpy()``).
    ValueError
        If ``x`` is empty or not finite.
    """
    x = _checks.check_array(x, "x", dtype=np.float64)
    return 2.0 * np.sin(x) + 0.5 * x


def true_std(x) -> np.ndarray:
    r"""Noise standard deviation of the generating model, :math:`\sigma(x) = 0.1 + 0.15\,x`.

    Parameters
    ----------
    x : array_like
        Inputs, any shape.

    Returns
    -------
    numpy.ndarray
        :math:`\sigma(x)`, same shape as ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not an array of numbers (a tensor: pass ``x.numpy()``).
    ValueError
        If ``x`` is empty or not finite, or :math:`x \le -2/3`, where the
        formula would give a standard deviation :math:`\le 0`.
    """
    x = _checks.check_array(x, "x", dtype=np.float64)
    if np.any(x <= -2.0 / 3.0):
        raise ValueError(f"x must be > -2/3, where sigma(x) = 0.1 + 0.15 x is positive; got min(x) = {x.min()}")
    return 0.1 + 0.15 * x


def make_heteroscedastic(n_samples: int = N_SAMPLES, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw a sample from the generating model.

    Parameters
    ----------
    n_samples : int, default 1000
        Number of points.
    rng : numpy.random.Generator, optional
        Source of randomness. By default ``np.random.default_rng(SEED)``,
        the generator of the shipped file.

    Returns
    -------
    x, y : numpy.ndarray
        Inputs and outputs, each of shape ``(n_samples,)``.
    """
    n_samples = _checks.check_int(n_samples, "n_samples", low=1)
    if rng is None:
        rng = np.random.default_rng(SEED)
    else:
        _checks.check_rng(rng, "rng")
    x = rng.uniform(*_X_RANGE, size=n_samples)
    y = true_mean(x) + true_std(x) * rng.standard_normal(n_samples)
    return x, y


def to_csv_text(x, y) -> str:
    """Render data as the CSV text of ``x_y.csv``.

    Header ``x,y``, one row per point, six decimals, ``\\n`` line endings:
    the same arrays always give the same bytes.

    Parameters
    ----------
    x, y : array_like
        Shape ``(n_samples,)`` each.

    Returns
    -------
    str
        The file contents.

    Raises
    ------
    TypeError
        If ``x`` or ``y`` is not an array of numbers.
    ValueError
        If they are empty, not 1-D, of different lengths, or not finite:
        what :func:`load_xy_csv` would refuse to read is never written.
    """
    x = _checks.check_array(x, "x", ndim=1, dtype=np.float64)
    y = _checks.check_array(y, "y", ndim=1, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have equal length, got shapes {x.shape} and {y.shape}")
    lines = ["x,y"]
    lines += [f"{_FLOAT_FORMAT.format(a)},{_FLOAT_FORMAT.format(b)}" for a, b in zip(x, y)]
    return "\n".join(lines) + "\n"


def regenerate_csv_text() -> str:
    """The exact text of the shipped ``x_y.csv``, regenerated from :data:`SEED`.

    Returns
    -------
    str
        ``to_csv_text(*make_heteroscedastic(N_SAMPLES, np.random.default_rng(SEED)))``.
    """
    return to_csv_text(*make_heteroscedastic(N_SAMPLES, np.random.default_rng(SEED)))


def _parse(text: str, source: str, n_expected: int | None) -> tuple[np.ndarray, np.ndarray]:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise ValueError(f"{source}: not a valid CSV file ({err})") from None
    rows = [r for r in rows if r]  # a trailing newline gives no row; blank lines are skipped
    if not rows:
        raise ValueError(f"{source}: the file is empty (expected a header 'x,y' and data rows)")
    header = [h.strip() for h in rows[0]]
    for column in ("x", "y"):
        if column not in header:
            raise ValueError(f"{source}: missing column {column!r} in the header {header}")
    ix, iy = header.index("x"), header.index("y")
    data = rows[1:]
    if not data:
        raise ValueError(f"{source}: no data rows after the header")
    x = np.empty(len(data))
    y = np.empty(len(data))
    for n, row in enumerate(data):
        line = n + 2  # 1-based, after the header
        if len(row) != len(header):
            raise ValueError(f"{source}, line {line}: expected {len(header)} fields, got {len(row)}")
        for arr, col, name in ((x, ix, "x"), (y, iy, "y")):
            try:
                arr[n] = float(row[col])
            except ValueError:
                raise ValueError(f"{source}, line {line}: column {name!r} holds {row[col]!r}, not a number") from None
            if not math.isfinite(arr[n]):
                raise ValueError(f"{source}, line {line}: column {name!r} holds {row[col]!r}, not a finite number")
    if n_expected is not None and len(data) != n_expected:
        raise ValueError(f"{source}: expected {n_expected} data rows, got {len(data)}")
    return x, y


def load_xy_csv(path: str | PathLike, n_expected: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load and validate a CSV file with columns ``x`` and ``y``.

    Parameters
    ----------
    path : str or os.PathLike
        The file. It must have a header row naming the columns ``x`` and
        ``y`` (other columns are ignored) and only finite numbers in them.
    n_expected : int, optional
        If given, the exact number of data rows required.

    Returns
    -------
    x, y : numpy.ndarray
        Shape ``(n_samples,)`` each, float64.

    Raises
    ------
    ValueError
        With the file name and the problem: not UTF-8 text (a binary
        file), empty file, missing column, wrong number of fields, a
        non-numeric or non-finite value (with its line number), or the wrong
        number of rows.
    FileNotFoundError
        If the file does not exist.
    TypeError
        If ``path`` is not a path or ``n_expected`` not an int.

    Notes
    -----
    The file is read as UTF-8; a byte-order mark at its start (as some
    spreadsheet programs write) is skipped.
    """
    _checks.check_path(path, "path")
    if n_expected is not None:
        n_expected = _checks.check_int(n_expected, "n_expected", low=1)
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")  # skips a byte-order mark
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a UTF-8 text file (undecodable byte at offset {err.start}); expected a CSV file with columns x and y") from None
    if "\x00" in text:
        raise ValueError(f"{path}: holds NUL bytes, so it is a binary file, not a CSV file with columns x and y")
    return _parse(text, str(path), n_expected)


def load_x_y() -> tuple[np.ndarray, np.ndarray]:
    """Load the ``x_y.csv`` file shipped inside the package.

    Returns
    -------
    x, y : numpy.ndarray
        Shape ``(1000,)`` each.
    """
    text = resources.files("nntheory.data").joinpath("x_y.csv").read_text(encoding="utf-8")
    return _parse(text, "nntheory/data/x_y.csv", N_SAMPLES)


def train_test_split(x, y, test_fraction: float = 1 / 3, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random split into a training and a test set (66/33 by default).

    Parameters
    ----------
    x, y : array_like
        Shape ``(n_samples, ...)``; split along the first axis.
    test_fraction : float, default 1/3
        Fraction of points in the test set, in (0, 1); the number of test
        points is ``round(test_fraction * n_samples)``.
    rng : numpy.random.Generator
        Source of the random permutation (required).

    Returns
    -------
    x_train, x_test, y_train, y_test : numpy.ndarray
        The two parts, in the permuted order.

    Raises
    ------
    TypeError
        If ``rng`` is not a generator, or ``x``/``y`` not numpy arrays of
        numbers (the values themselves are only permuted, not checked).
    ValueError
        If ``x`` and ``y`` have different numbers of rows, or a part would
        be empty.
    """
    _checks.check_rng(rng, "rng")
    x = _checks.check_array(x, "x", ndim=range(1, 33), kind="real", finite=False)
    y = _checks.check_array(y, "y", ndim=range(1, 33), kind="real", finite=False)
    _checks.check_same_length({"x": x, "y": y})
    test_fraction = _checks.check_real(test_fraction, "test_fraction", low=0, high=1, low_open=True, high_open=True)
    n = x.shape[0]
    n_test = int(round(test_fraction * n))
    if n_test == 0 or n_test == n:
        raise ValueError(f"test_fraction={test_fraction} leaves an empty part for {n} samples")
    perm = rng.permutation(n)
    test, train = perm[:n_test], perm[n_test:]
    return x[train], x[test], y[train], y[test]
