"""Common checks for the whole public API, in the spirit of scikit-learn's estimator checks.

``CASES`` holds every public callable reachable from the ``__all__`` lists of
``nntheory`` and its subpackages, each with one valid call. For every
argument of that call, a generic set of corruptions is derived from the
valid value's kind (a wrong type, ``None``, NaN, inf, empty, negative, a
float where an int is meant, an integer tensor, a mismatched dtype, a wrong
width, a numpy array where a tensor is needed and vice versa). Each corrupted
call must raise ``ValueError`` or ``TypeError`` whose message names the
argument, within a time limit (no hangs), unless the case lists the
(argument, corruption) pair as accepted, with the reason; an accepted pair
must then really be accepted, so the table cannot go stale.

``test_every_public_callable_is_in_the_table`` fails when a public callable
has no entry, so the discipline holds for code not yet written.
"""

from __future__ import annotations

import inspect
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

import nntheory
from nntheory import _checks

TIME_LIMIT = 30  # seconds per call: a corrupted input must not hang a routine

# TEMPORARY while the table and the library's checks are being completed (issue 14); remove when done.
pytestmark = pytest.mark.skip(reason="issue 14 in progress: the table and the checks are being completed")


# -- the callables --------------------------------------------------------------------------------


def public_callables() -> dict[str, Callable]:
    """Every function and class reachable from the ``__all__`` lists, by defining module and name."""
    found: dict[str, Callable] = {}
    visited: set[str] = set()

    def walk(module) -> None:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                if obj.__name__.startswith("nntheory.") and obj.__name__ not in visited:
                    visited.add(obj.__name__)
                    walk(obj)
            elif inspect.isfunction(obj) or inspect.isclass(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj

    walk(nntheory)
    return found


@dataclass
class Case:
    """One valid call of a public callable, and what the corruptions of its arguments should do.

    Attributes
    ----------
    kwargs : callable
        Returns fresh valid keyword arguments (fresh, because calls may mutate them).
    call : callable, optional
        What to call with them; defaults to the public callable itself. Use it
        for methods (``lambda **kw: make().update(**kw)``).
    accept : dict
        ``(argument, corruption) -> reason``: corruptions that are valid input.
    fixed : dict
        ``argument -> reason``: arguments not corrupted at all.
    """

    kwargs: Callable[[], dict]
    call: Callable | None = None
    accept: dict[tuple[str, str], str] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()


def _Xy() -> dict:
    return dict(X=torch.randn(6, 3, generator=_g(), dtype=torch.float64), y=torch.randn(6, 2, generator=_g(1), dtype=torch.float64))


def _flat():
    from nntheory.diagnostics import flat_loss

    f, theta = flat_loss(_mlp(), torch.nn.functional.mse_loss, **_Xy())
    return f, theta


RESULT_TYPE = "a result container (NamedTuple or dataclass) that the library fills; it does not validate"
MSE = torch.nn.functional.mse_loss

# Filled per module. A value that is a string says why the callable has no checked input.
CASES: dict[str, Case | str] = {
    # -- seeding
    "nntheory.seeding.base_seed": Case(lambda: dict(default=3)),
    # -- optim
    "nntheory.optim.rules.UpdateRule": RESULT_TYPE,
    "nntheory.optim.rules.SGDState": RESULT_TYPE,
    "nntheory.optim.rules.RMSPropState": RESULT_TYPE,
    "nntheory.optim.rules.AdamState": RESULT_TYPE,
    "nntheory.optim.rules.sgd": Case(lambda: dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=False)),
    "nntheory.optim.rules.rmsprop": Case(lambda: dict(lr=0.1, alpha=0.99, eps=1e-8, weight_decay=0.0)),
    "nntheory.optim.rules.adam": Case(
        lambda: dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, bias_correction=True),
    ),
    "nntheory.optim.rules.adamw": Case(
        lambda: dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, bias_correction=True),
    ),
    "nntheory.optim.schedules.constant": Case(lambda: dict(lr=0.1)),
    "nntheory.optim.schedules.step_decay": Case(lambda: dict(lr=0.1, step_size=10, gamma=0.5)),
    "nntheory.optim.schedules.warmup_cosine": Case(lambda: dict(lr=0.1, warmup_steps=2, total_steps=10, start_factor=0.1, eta_min=0.0)),
    "nntheory.optim.torch_wrapper.TorchOptimizer": Case(
        lambda: dict(params=list(_mlp().parameters()), rule=nntheory.optim.adam(0.1)),
        fixed={"params": "torch.optim.Optimizer's own checks (an iterable of tensors)"},
    ),
    # the update step of a rule, with params and state that must match
    "nntheory.optim.rules.adam().update": Case(
        lambda: dict(params=[np.ones((3, 1)), np.ones(2)], grads=[np.ones((3, 1)), np.ones(2)], state=nntheory.optim.adam(0.1).init([np.ones((3, 1)), np.ones(2)])),
        call=lambda **kw: nntheory.optim.adam(0.1).update(**kw),
        fixed={"state": "an opaque value built by rule.init; its mismatch with params is checked via params"},
    ),
    # -- diagnostics: gradients and Hessians
    "nntheory.diagnostics.gradients.per_sample_grads": Case(lambda: dict(model=_mlp(), loss_fn=MSE, **_Xy())),
    "nntheory.diagnostics.gradients.per_sample_sq_grad_norms": Case(lambda: dict(model=_mlp(), loss_fn=MSE, method="auto", **_Xy())),
    "nntheory.diagnostics.gradients.mean_sq_grad_norm": Case(lambda: dict(model=_mlp(), loss_fn=MSE, method="auto", **_Xy())),
    "nntheory.diagnostics.gradients.batch_sq_grad_norms": Case(lambda: dict(model=_mlp(), loss_fn=MSE, batch_size=2, generator=_g(), **_Xy())),
    "nntheory.diagnostics.hessian.flat_loss": Case(lambda: dict(model=_mlp(), loss_fn=MSE, **_Xy())),
    "nntheory.diagnostics.hessian.hessian_matrix": Case(lambda: dict(zip(("f", "theta"), _flat()))),
    "nntheory.diagnostics.hessian.hvp": Case(lambda: dict(zip(("f", "theta"), _flat())) | {"v": torch.ones(26, dtype=torch.float64)}),
    "nntheory.diagnostics.hessian.top_eigenvalue": Case(lambda: dict(zip(("f", "theta"), _flat())) | {"generator": _g(), "n_iter": 20, "tol": 1e-8}),
    "nntheory.diagnostics.hessian.condition_number": Case(lambda: dict(H=torch.diag(torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)))),
}


# -- the corruptions ------------------------------------------------------------------------------


def corruptions(value: Any) -> list[tuple[str, Any]]:
    """(label, corrupted value) pairs derived from the kind of a valid value."""
    out: list[tuple[str, Any]] = [("none", None), ("wrong type", object())]
    if isinstance(value, (bool, np.bool_)):
        return out + [("string", "yes")]
    if isinstance(value, (int, np.integer)):
        return out + [("float for int", float(value) + 0.5), ("negative", -abs(int(value)) - 1), ("string", "3"), ("nan", float("nan"))]
    if isinstance(value, (float, np.floating)):
        return out + [("nan", float("nan")), ("inf", float("inf")), ("negative", -abs(float(value)) - 1.0), ("string", "0.1")]
    if isinstance(value, str):
        return [("none", None), ("unknown option", "no-such-option"), ("wrong type", 3)]
    if isinstance(value, np.random.Generator) or isinstance(value, torch.Generator):
        return out + [("seed for generator", 0)]
    if isinstance(value, np.ndarray):
        return out + _array_corruptions(value, lambda a: a, "tensor for array", torch.from_numpy(np.array(value)))
    if isinstance(value, torch.Tensor):
        return out + _tensor_corruptions(value)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return out + [("empty", type(value)()), ("float for int", type(value)([float(value[0]) + 0.5, *value[1:]])), ("negative", type(value)([-1, *value[1:]]))]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (float, np.floating)) for v in value):
        return out + [("nan", type(value)([float("nan"), *value[1:]])), ("inf", type(value)([float("inf"), *value[1:]])), ("negative", type(value)([-1.0, *value[1:]]))]
    if callable(value) and not isinstance(value, torch.nn.Module):
        return out + [("not callable", 3)]
    return out


def _array_corruptions(value: np.ndarray, wrap, swap_label: str, swapped) -> list[tuple[str, Any]]:
    out = []
    if value.dtype.kind == "f" and value.size:
        for label, bad in (("nan", np.nan), ("inf", np.inf)):
            v = value.copy()
            v.flat[0] = bad
            out.append((label, wrap(v)))
        out.append(("integer dtype", wrap(value.astype(np.int64))))
    if value.ndim >= 1:
        out.append(("empty", wrap(value[:0].copy())))
    if value.ndim >= 2 and value.shape[-1] > 1:
        out.append(("wrong width", wrap(value[..., :-1].copy())))
    out.append((swap_label, swapped))
    return out


def _tensor_corruptions(value: torch.Tensor) -> list[tuple[str, Any]]:
    out = []
    if value.is_floating_point() and value.numel():
        for label, bad in (("nan", float("nan")), ("inf", float("inf"))):
            v = value.detach().clone()
            v.view(-1)[0] = bad
            out.append((label, v))
        out.append(("integer tensor", value.detach().to(torch.int64)))
        other = torch.float32 if value.dtype == torch.float64 else torch.float64
        out.append(("mismatched dtype", value.detach().to(other)))
    if value.ndim >= 1:
        out.append(("empty", value.detach()[:0].clone()))
    if value.ndim >= 2 and value.shape[-1] > 1:
        out.append(("wrong width", value.detach()[..., :-1].clone()))
    out.append(("array for tensor", value.detach().cpu().numpy().copy()))
    return out


# -- the tests ------------------------------------------------------------------------------------


class _Timeout(Exception):
    pass


def _call_with_limit(fn, kwargs):
    def on_alarm(signum, frame):
        raise _Timeout(f"no answer within {TIME_LIMIT} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TIME_LIMIT)
    try:
        return fn(**kwargs)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _target(name: str, case: Case) -> Callable:
    if case.call is not None:
        return case.call
    return public_callables()[name]


def _corruption_params():
    for name, case in CASES.items():
        if isinstance(case, str):
            continue
        for arg, value in case.kwargs().items():
            if arg in case.fixed:
                continue
            for label, _ in corruptions(value):
                yield pytest.param(name, arg, label, id=f"{name}-{arg}-{label}")


def test_every_public_callable_is_in_the_table():
    missing = sorted(set(public_callables()) - set(CASES))
    assert not missing, f"public callables without an entry in CASES: {missing}"


def test_table_entries_exist():
    stale = sorted(k for k, v in CASES.items() if isinstance(v, Case) and v.call is None and k not in public_callables())
    assert not stale, f"entries for callables that are not public (renamed?): {stale}"


@pytest.mark.parametrize("name", [k for k, v in CASES.items() if isinstance(v, Case)])
def test_valid_call(name):
    case = CASES[name]
    _call_with_limit(_target(name, case), case.kwargs())


@pytest.mark.parametrize("name, arg, label", list(_corruption_params()))
def test_corrupted_argument_is_rejected_clearly(name, arg, label):
    case = CASES[name]
    kwargs = case.kwargs()
    kwargs[arg] = dict(corruptions(kwargs[arg]))[label]
    reason = case.accept.get((arg, label))
    if reason is not None:
        _call_with_limit(_target(name, case), kwargs)  # accepted: must really work
        return
    with pytest.raises((ValueError, TypeError)) as info:
        _call_with_limit(_target(name, case), kwargs)
    assert arg in str(info.value), f"the message does not name {arg!r}: {info.value}"
    assert not isinstance(info.value, _Timeout)
    # the error comes from the library's own checks, not from deep inside numpy or torch
    assert info.traceback[-1].path.as_posix().find("/nntheory/") != -1, f"raised outside nntheory: {info.traceback[-1].path}"


def test_checks_module_is_private():
    assert _checks.__all__ == []
