"""Argument checks shared by every public function: one place, one wording.

Each check takes the value and the argument's name, returns the value in the
form the caller computes with (a Python ``int``/``float``, a numpy array, a
torch tensor), and otherwise raises before any numpy or torch call:

* ``TypeError`` when the kind is wrong (a float where an int is meant, a
  string, ``None``, a numpy array where a tensor is required, an integer
  tensor where floats are needed, a dtype that does not match);
* ``ValueError`` when the kind is right but the value is not (negative or zero
  sizes, NaN or inf, an empty array, a wrong shape or width).

Every message starts with the argument's name and says what was expected and
what was given: ``"n_epochs must be an integer >= 1, got -1"``.

What numpy and torch users pass is accepted: numpy scalars (``np.float32(0.5)``,
``np.int64(3)``) and 0-d arrays or tensors holding a number count as numbers;
``bool`` never counts as a number. This module imports torch only when a value
already is a torch tensor, so numpy-only modules stay torch-free.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

__all__: list[str] = []  # private: used by the library, not part of the API


def _describe(value: Any) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if is_tensor(value):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def is_tensor(value: Any) -> bool:
    """True if ``value`` is a torch tensor (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _scalar(value: Any) -> Any:
    """Unwrap a 0-d numpy array or 0-d tensor holding one number; other values pass through."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    if is_tensor(value) and value.ndim == 0:
        return value.item()
    return value


def _bounds_text(low, high, low_open, high_open) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high}")
    return " and ".join(parts)


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """An integer in ``[low, high]`` (either bound optional), as a Python ``int``.

    Accepts ``int`` and numpy integers (and 0-d integer arrays/tensors);
    rejects ``bool``, floats (even ``3.0``), strings and ``None`` with a
    ``TypeError``, and out-of-range values with a ``ValueError``.
    """
    raw = _scalar(value)
    if isinstance(raw, (bool, np.bool_)) or not isinstance(raw, (numbers.Integral, np.integer)):
        bounds = _bounds_text(low, high, False, False)
        raise TypeError(f"{name} must be an integer{' ' + bounds if bounds else ''}, got {_describe(value)}")
    out = int(raw)
    if (low is not None and out < low) or (high is not None and out > high):
        raise ValueError(f"{name} must be an integer {_bounds_text(low, high, False, False)}, got {out}")
    return out


def check_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """A real number in the given interval, as a Python ``float``.

    ``low_open``/``high_open`` make a bound strict (``low=0, low_open=True``
    means positive). NaN is always rejected; ``inf`` unless ``finite=False``.
    """
    raw = _scalar(value)
    if isinstance(raw, (bool, np.bool_)) or not isinstance(raw, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    out = float(raw)
    if math.isnan(out) or (finite and math.isinf(out)):
        raise ValueError(f"{name} must be a finite number, got {out}")
    too_low = low is not None and (out <= low if low_open else out < low)
    too_high = high is not None and (out >= high if high_open else out > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be a number {_bounds_text(low, high, low_open, high_open)}, got {out}")
    return out


def check_bool(value: Any, name: str) -> bool:
    """A ``bool`` (or numpy bool)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_describe(value)}")
    return bool(value)


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """One of a fixed set of strings."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {_describe(value)}")
    return value


def check_callable(value: Any, name: str) -> Callable:
    """Something callable."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {_describe(value)}")
    return value


def check_rng(value: Any, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator`` (randomness is explicit: no seeds, no ``None``)."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {_describe(value)}")
    return value


def check_torch_generator(value: Any, name: str = "generator"):
    """A ``torch.Generator``."""
    import torch

    if not isinstance(value, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator (e.g. torch.Generator().manual_seed(0)), got {_describe(value)}")
    return value


def check_int_sequence(value: Any, name: str, *, low: int | None = None, nonempty: bool = True) -> list[int]:
    """A sequence of integers each ``>= low``, as a list of Python ints."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) and not is_tensor(value):
        raise TypeError(f"{name} must be a sequence of integers, got {_describe(value)}")
    items = list(np.asarray(value).ravel()) if isinstance(value, np.ndarray) else list(value)
    if nonempty and not items:
        raise ValueError(f"{name} must not be empty")
    return [check_int(v, f"{name}[{i}]", low=low) for i, v in enumerate(items)]


def check_array(
    value: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    kind: str = "float",
    finite: bool = True,
    nonempty: bool = True,
    dtype: Any = None,
) -> np.ndarray:
    """A numpy array of real numbers with the given rank and shape.

    Parameters
    ----------
    value
        A numpy array (or, for ``kind="float"``, anything ``np.asarray``
        turns into a real array: lists, numpy scalars). Torch tensors are
        rejected with a message that says to pass ``tensor.numpy()``.
    name : str
        The argument's name, for messages.
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    shape : sequence of (int or None), optional
        Required sizes per axis; ``None`` leaves an axis free.
    kind : {"float", "int", "real"}
        ``"float"``: floating dtype, converted with ``dtype`` if given (an
        integer array is converted to float64); ``"int"``: integer dtype;
        ``"real"``: any integer or floating dtype, unchanged.
    finite : bool
        Reject NaN and inf.
    nonempty : bool
        Reject arrays with zero elements.
    dtype : numpy dtype, optional
        For ``kind="float"``: the dtype to convert to.
    """
    if is_tensor(value):
        raise TypeError(f"{name} must be a numpy array, got a torch tensor (pass {name}.numpy())")
    if value is None or isinstance(value, (str, bytes, dict)):
        raise TypeError(f"{name} must be a numpy array, got {_describe(value)}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numpy array of numbers, got {_describe(value)}") from exc
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must hold numbers, not booleans")
    if kind == "int":
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    elif kind == "float":
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.float64)
    elif kind != "real":
        raise ValueError(f"kind must be 'float', 'int' or 'real', got {kind!r}")  # pragma: no cover - internal
    _check_shape(arr.shape, name, ndim, shape)
    if nonempty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def check_tensor(
    value: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    floating: bool = True,
    finite: bool = True,
    nonempty: bool = True,
    dtype: Any = None,
):
    """A torch tensor with the given rank, shape and dtype.

    ``floating=True`` rejects integer and boolean tensors; ``dtype`` (e.g. a
    model's parameter dtype) must match exactly. A numpy array is rejected
    with a message that says to pass ``torch.from_numpy``.
    """
    if isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a torch tensor, got a numpy array (pass torch.from_numpy({name}))")
    if not is_tensor(value):
        raise TypeError(f"{name} must be a torch tensor, got {_describe(value)}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} (the model's), got {value.dtype}")
    _check_shape(tuple(value.shape), name, ndim, shape)
    if nonempty and value.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    if finite and value.is_floating_point():
        import torch

        if not bool(torch.isfinite(value).all()):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
    return value


def check_same_length(named: dict[str, Any]) -> int:
    """All arrays/tensors have the same first dimension; return it."""
    lengths = {k: int(v.shape[0]) for k, v in named.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise ValueError(f"{' and '.join(lengths)} must have the same number of samples: {listed}")
    return next(iter(lengths.values()))


def _check_shape(actual: tuple, name: str, ndim, shape) -> None:
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if len(actual) not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {actual}")
    if shape is not None:
        if len(actual) != len(shape) or any(s is not None and a != s for a, s in zip(actual, shape)):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {actual}")
