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
    dtype_of: str = "the model's",
):
    """A torch tensor with the given rank, shape and dtype.

    ``floating=True`` rejects integer and boolean tensors; ``dtype`` (e.g. a
    model's parameter dtype, described by ``dtype_of``) must match exactly. A
    numpy array is rejected with a message that says to pass
    ``torch.from_numpy``.
    """
    if isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a torch tensor, got a numpy array (pass torch.from_numpy({name}))")
    if not is_tensor(value):
        raise TypeError(f"{name} must be a torch tensor, got {_describe(value)}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} ({dtype_of}), got {value.dtype}")
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


# -- more kinds: paths, dtypes, sequences of reals ----------------------------------------------


def check_path(value: Any, name: str = "path"):
    """A file-system path: a non-empty ``str`` or an ``os.PathLike``; returned unchanged."""
    import os

    if isinstance(value, str):
        if not value:
            raise ValueError(f"{name} must be a non-empty path, got ''")
        return value
    if not isinstance(value, os.PathLike):
        raise TypeError(f"{name} must be a str or os.PathLike path, got {_describe(value)}")
    return value


def check_numpy_float_dtype(value: Any, name: str = "dtype") -> np.dtype:
    """``numpy.float32`` or ``numpy.float64`` (anything ``np.dtype`` maps to them), as a ``np.dtype``."""
    if is_tensor(value) or value is None or isinstance(value, (bool, numbers.Number)):
        raise TypeError(f"{name} must be numpy.float32 or numpy.float64, got {_describe(value)}")
    try:
        dtype = np.dtype(value)
    except TypeError as exc:
        raise TypeError(f"{name} must be numpy.float32 or numpy.float64, got {_describe(value)}") from exc
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must be numpy.float32 or numpy.float64, got {dtype}")
    return dtype


def check_torch_float_dtype(value: Any, name: str = "dtype"):
    """A floating torch dtype (``torch.float32``, ``torch.float64``, ...)."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.dtype) or not value.is_floating_point:
        raise TypeError(f"{name} must be a floating torch dtype such as torch.float64, got {_describe(value)}")
    return value


def check_real_sequence(
    value: Any,
    name: str,
    *,
    length: int | None = None,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> list[float]:
    """A sequence of real numbers (of the given length), each checked as by :func:`check_real`."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) and not is_tensor(value):
        raise TypeError(f"{name} must be a sequence of numbers, got {_describe(value)}")
    items = list(np.asarray(value).ravel()) if isinstance(value, np.ndarray) else list(value)
    if length is not None and len(items) != length:
        raise ValueError(f"{name} must hold {length} numbers, got {len(items)}")
    if not items:
        raise ValueError(f"{name} must not be empty")
    return [check_real(v, f"{name}[{i}]", low=low, high=high, low_open=low_open, high_open=high_open) for i, v in enumerate(items)]


def check_sequence(value: Any, name: str, *, nonempty: bool = True, length: int | None = None) -> list:
    """A list or tuple (not a string, array or tensor), as a list."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list or tuple, got {_describe(value)}")
    if length is not None and len(value) != length:
        raise ValueError(f"{name} must hold {length} items, got {len(value)}")
    if nonempty and not value:
        raise ValueError(f"{name} must not be empty")
    return list(value)


# -- torch models and the data they are given ---------------------------------------------------


def check_module(value: Any, name: str = "model"):
    """A ``torch.nn.Module``."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {_describe(value)}")
    return value


def module_dtype(model) -> Any:
    """The dtype of a module's floating parameters (``None`` if it has none); mixed dtypes are an error."""
    dtypes = {p.dtype for p in model.parameters() if p.is_floating_point()}
    if len(dtypes) > 1:
        raise TypeError(f"model has parameters of several dtypes {sorted(map(str, dtypes))}; convert it with model.to(dtype)")
    return dtypes.pop() if dtypes else None


def trial_forward(model, X, name: str = "X"):
    """The model's output on the first (up to) two rows of ``X``, every submodule in eval mode, no gradients.

    Catches a width or shape that does not fit the model before a long
    computation, with a message naming ``X``. Eval mode means no dropout draw
    (no generator advances) and no batch-norm statistics update; each
    submodule's mode is restored afterwards.
    """
    import torch

    modes = [(m, m.training) for m in model.modules()]
    try:
        for m, _ in modes:
            m.training = False
        with torch.no_grad():
            return model(X[:2])
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        raise ValueError(f"{name} of shape {tuple(X.shape)} does not fit the model: model({name}) raised {type(exc).__name__}: {exc}") from exc
    finally:
        for m, mode in modes:
            m.training = mode


def check_model_data(
    model,
    X,
    y=None,
    loss_fn=None,
    *,
    names: tuple[str, str, str, str] = ("model", "X", "y", "loss_fn"),
    need_y: bool = True,
    need_loss: bool = True,
    trial: bool = True,
):
    """Check a model, its inputs, targets and loss together; return ``(X, y)``.

    ``y`` and ``loss_fn`` are required unless ``need_y``/``need_loss`` is
    False (then ``None`` means "not given").

    * ``model`` is an ``nn.Module``; ``X`` a non-empty finite floating tensor
      of the model's dtype with at least one dimension; ``y`` (if given) a
      non-empty finite tensor with as many samples; a floating ``y`` has the
      model's dtype; ``loss_fn`` (if given) is callable.
    * With ``trial``: the model is run on two samples (see
      :func:`trial_forward`), so a width mismatch is named. If the output is a
      tensor, a floating ``y`` must have its shape per sample (a (n, 1) target
      for a (n,) output would broadcast into a meaningless (n, n) loss), and
      an integer ``y`` must be class labels of shape (n,) for a (n, n_classes)
      output. ``loss_fn`` applied to those samples must return a finite
      scalar tensor.
    """
    model_name, x_name, y_name, loss_name = names
    check_module(model, model_name)
    dtype = module_dtype(model)
    X = check_tensor(X, x_name, dtype=dtype)
    if X.ndim < 1:
        raise ValueError(f"{x_name} must have a sample axis, got a 0-d tensor")
    if y is not None or need_y:
        y = check_tensor(y, y_name, floating=False)
        if y.dtype == sys.modules["torch"].bool or y.is_complex():
            raise TypeError(f"{y_name} must hold real numbers or integer class labels, got dtype {y.dtype}")
        if y.is_floating_point() and dtype is not None and y.dtype != dtype:
            raise TypeError(f"{y_name} must have dtype {dtype} (the model's), got {y.dtype}")
        if y.ndim < 1:
            raise ValueError(f"{y_name} must have a sample axis, got a 0-d tensor")
        check_same_length({x_name: X, y_name: y})
    if loss_fn is not None or need_loss:
        check_callable(loss_fn, loss_name)
    if not trial:
        return X, y
    out = trial_forward(model, X, x_name)
    if y is None:
        return X, y
    if is_tensor(out):
        if y.is_floating_point() and tuple(y.shape[1:]) != tuple(out.shape[1:]):
            raise ValueError(f"{y_name} must have shape (n_samples, *{tuple(out.shape[1:])}) like the model's output, got {tuple(y.shape)}")
        if not y.is_floating_point() and not (y.ndim == 1 and out.ndim == 2):
            raise ValueError(f"{y_name} holds integers, so it must be class labels of shape (n_samples,) for a (n_samples, n_classes) output; got {tuple(y.shape)} for an output of shape (n_samples, *{tuple(out.shape[1:])})")
    if loss_fn is not None:
        what = f"{loss_name}(model({x_name}), {y_name})"
        check_scalar_output(call_on_trial(loss_fn, out, y[:2], what=what), what, finite=False)
    return X, y


def call_on_trial(fn, *args, what: str):
    """Call a user function on trial input; wrap its failure in a ``ValueError`` that says what was called."""
    try:
        return fn(*args)
    except (RuntimeError, ValueError, TypeError, IndexError, ZeroDivisionError) as exc:
        raise ValueError(f"{what} failed: {type(exc).__name__}: {exc}") from exc


def check_scalar_output(value: Any, what: str, *, finite: bool = True):
    """What a user function returned must be a real scalar tensor (0-d, or one element), finite."""
    if not is_tensor(value):
        raise TypeError(f"{what} must return a scalar tensor, got {_describe(value)}")
    if value.numel() != 1 or value.ndim > 1:
        raise ValueError(f"{what} must return a scalar tensor, got shape {tuple(value.shape)}")
    if not value.is_floating_point():
        raise TypeError(f"{what} must return a floating-point tensor, got dtype {value.dtype}")
    if finite and not math.isfinite(float(value.detach().reshape(()).item())):
        raise ValueError(f"{what} must be finite, got {float(value.detach().reshape(()).item())}")
    return value


def check_floating_tensor(x: Any, name: str) -> Any:
    """A floating tensor of any shape, values not read (for ``forward`` methods; see :func:`check_forward_input`)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor) and x.is_floating_point():
        return x
    return check_tensor(x, name, finite=False, nonempty=False)


def check_device(value: Any, name: str = "device"):
    """A torch device: a ``str`` such as ``"cpu"`` or a ``torch.device``, as a ``torch.device``."""
    import torch

    if isinstance(value, torch.device):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or torch.device, got {_describe(value)}")
    try:
        return torch.device(value)
    except RuntimeError as exc:
        raise ValueError(f"{name} must name a torch device such as 'cpu', got {value!r}") from exc


def check_optional_torch_generator(value: Any, name: str = "generator"):
    """``None`` (torch's global generator) or a ``torch.Generator``."""
    return None if value is None else check_torch_generator(value, name)


def check_forward_input(x: Any, name: str, n_features: int, dtype=None) -> Any:
    """The input of a model's ``forward``: a floating tensor of the model's dtype, shape (n_samples, n_features) or (n_features,).

    One sample without a batch axis is allowed, as ``torch.nn.Linear``
    allows it (``torch.func.vmap`` calls ``forward`` that way). Shape and
    dtype only, no scan of the values: ``forward`` runs inside ``torch.func``
    transforms, where a check on values cannot run, and maps NaN to NaN as
    every ``torch.nn`` module does. An empty batch gives an empty output, as
    in ``torch.nn``. ``dtype=None`` checks only that ``x`` is floating (for
    a container whose first layer checks the dtype itself).
    """
    torch = sys.modules.get("torch")
    # Fast path (forward runs in every training step): a few attribute reads; the detailed checks only on failure.
    if torch is not None and isinstance(x, torch.Tensor) and (x.dtype == dtype if dtype is not None else x.is_floating_point()) and x.ndim in (1, 2) and x.shape[-1] == n_features:
        return x
    x = check_tensor(x, name, ndim=(1, 2), dtype=dtype, finite=False, nonempty=False)
    if x.shape[-1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (shape (n_samples, {n_features})), got shape {tuple(x.shape)}")
    return x
