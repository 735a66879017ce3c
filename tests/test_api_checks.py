"""Common checks for the whole public API, in the spirit of scikit-learn's estimator checks.

``CASES`` holds every public callable reachable from the ``__all__`` lists of
``nntheory`` and its subpackages, each with one valid call, and the key
methods where bad input matters (``Linear.forward``, ``Graph.backward``,
``UpdateRule.update``, ...). For every argument of that call, a generic set
of corruptions is derived from the valid value's kind (a wrong type,
``None``, NaN, inf, empty, negative, zero, a float where an int is meant, an
integer tensor, a mismatched dtype, a wrong width or length, a numpy array
where a tensor is needed and vice versa, a sequence one item short, a
callable that returns the wrong shape, a model of another dtype). Each
corrupted call must raise ``ValueError`` or ``TypeError`` whose message names
the argument (as a word), from the library's own code, within a time limit
(no hangs), unless the case lists the (argument, corruption) pair

* in ``accept``, with the reason it is valid input: the call must then
  really succeed, so the table cannot go stale; or
* in ``raises``, with another exception that is the documented answer
  (``FileNotFoundError`` for a missing file).

Numbers are also given as numpy scalars (``np.int64``, ``np.float32``,
``np.bool_``), which must be accepted wherever a Python number is.

``test_every_public_callable_is_in_the_table`` fails when a public callable
has no entry, so the discipline holds for code not yet written.

Run ``python tests/test_api_checks.py`` for the counts (callables,
corruptions tried, rejected, accepted with a reason).
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import importlib
import inspect
import io
import pickle
import pkgutil
import re
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import nntheory
from nntheory import _checks

TIME_LIMIT = 30  # seconds per call: a corrupted input must not hang a routine

# -- the callables --------------------------------------------------------------------------------


def public_callables() -> dict[str, Callable]:
    """Every function and class reachable from the ``__all__`` lists, by defining module and name.

    The ``__all__`` of every public module counts, also of modules that no
    package re-exports (``nntheory.models.mlp_ensemble``): a module path
    without a part starting with ``_`` is public.
    """
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
    for info in pkgutil.walk_packages(nntheory.__path__, "nntheory."):
        if info.name not in visited and not any(part.startswith("_") for part in info.name.split(".")):
            visited.add(info.name)
            walk(importlib.import_module(info.name))
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
        for methods (``lambda self, **kw: self.update(**kw)``, with ``self``
        among the kwargs and in ``fixed``).
    accept : dict
        ``(argument, corruption) -> reason``: corruptions that are valid input.
    raises : dict
        ``(argument, corruption) -> (exception type, reason)``: corruptions
        answered by another documented exception.
    fixed : dict
        ``argument -> reason``: arguments not corrupted at all.
    """

    kwargs: Callable[[], dict]
    call: Callable | None = None
    accept: dict[tuple[str, str], str] = field(default_factory=dict)
    raises: dict[tuple[str, str], tuple[type, str]] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)


def ok(reason: str, *pairs: tuple[str, str]) -> dict[tuple[str, str], str]:
    """``accept`` entries: each (argument, corruption) pair is valid input for ``reason``."""
    return {pair: reason for pair in pairs}


def each(args: str, *labels: str) -> list[tuple[str, str]]:
    """The pairs (arg, label) for every whitespace-separated arg and every label."""
    return [(a, lab) for a in args.split() for lab in labels]


SELF = {"self": "the object whose method is called"}
RESULT_TYPE = "a result container (NamedTuple or dataclass) that the library fills; it does not validate"

# Reasons shared by many entries.
OPTIONAL = "optional: None means the documented default"
OPTIONAL_GENERATOR = "optional: None draws from torch's global generator (documented)"
INT_TO_FLOAT = "an integer array is converted to float64, as numpy promotes it"
INT_TENSOR_OK = "integer class labels are valid targets (checked as labels of a (n, n_classes) output)"
LAYER_VALUES = "a layer maps NaN to NaN as torch.nn does: no scan of the values per call (it would cost as much as a ReLU); the training loop checks its data"
FORWARD_VALUES = "forward checks shape and dtype only: values cannot be read inside torch.func transforms (vmap, grad) that call forward, and NaN propagates as in torch.nn"
EMPTY_BATCH = "an empty batch gives an empty output, as in torch.nn"
ELEMENTWISE = "elementwise: any shape"
ZERO_OK = "zero is a valid value here"
ANY_NAME = "any non-empty string is a valid name"
DIVERGED = "a diverged network's loss is NaN or inf, not an error (training sweeps record it)"
PREDICTION = "predictions of a diverged model give a NaN loss, as they should; only the data y is checked"
FLOAT32_OK = "any floating dtype works here (nothing else to match)"
SPLIT_ONLY = "the split only permutes rows; values are not computed with"
NO_HIDDEN = "no hidden layer: softmax regression, a valid model"
CAST = "the weights are cast to the receiving model's dtype (documented)"
DIVERGED_RUN = "an elementwise closed form: the NaN of a diverged run (as gd_trajectory returns it) maps to NaN"
ONE_FEATURE = "one feature is a valid design"
ANY_THETA = "the test's loss is defined for any length and floating dtype of theta"
BROADCAST = "arguments broadcast against each other (documented): a length-1 array is valid"
NO_THRESHOLD = "max_loss=inf: only float overflow counts as divergence (documented)"
NEW_FIGURE = "None: a new figure of the drawing's size (documented)"
LR_ZERO = "a learning rate of 0 is valid (documented: >= 0), as in torch.optim"
NO_STEP = "no step: the initial networks are evaluated"
DIVERGED_WEIGHTS = "the loss of diverged weights is NaN or inf, not an error (the data X and Y are checked)"
WEIGHTS_CAST = "the starting weights are converted to X's dtype (documented)"
UPDATE_VALUES = "an update maps NaN to NaN as torch.optim does: no scan of the values per step (it would cost as much as the update)"
TENSOR_READ = "torch tensors are accepted (documented: numpy or torch) and read with .detach().numpy()"


# -- builders of valid arguments ------------------------------------------------------------------


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


def _mlp_with_grads() -> torch.nn.Module:
    model = _mlp()
    model(_Xy()["X"]).pow(2).sum().backward()
    return model


MSE = torch.nn.functional.mse_loss

_TMP = Path(tempfile.mkdtemp(prefix="nntheory-api-checks-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
_counter = [0]


def _fresh_dir() -> Path:
    _counter[0] += 1
    path = _TMP / f"d{_counter[0]}"
    path.mkdir()
    return path


def _csv_file() -> Path:
    path = _fresh_dir() / "d.csv"
    path.write_text("x,y\n1.0,2.0\n3.0,4.0\n")
    return path


def _cifar_folder() -> Path:
    """A folder with six tiny batches in the CIFAR-10 pickle format (2 images each)."""
    root = _fresh_dir()
    folder = root / "cifar-10-batches-py"
    folder.mkdir()
    rng = _rng(3)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        X = rng.integers(0, 256, (2, 3072), dtype=np.uint8)
        with open(folder / name, "wb") as f:
            pickle.dump({b"labels": [1, 7], b"data": X}, f, protocol=2)
    return root


_FAKE_ARCHIVE = b"not really an archive, but the bytes the fake opener serves"


class _FakeResponse(io.BytesIO):
    headers: dict = {}


def _fake_urlopen(url):
    return _FakeResponse(_FAKE_ARCHIVE)


def _download(**kw):
    """download_cifar10 with a fake opener whose bytes carry the expected MD5 (no network)."""
    from nntheory.data import cifar10

    old = cifar10.ARCHIVE_MD5
    cifar10.ARCHIVE_MD5 = hashlib.md5(_FAKE_ARCHIVE).hexdigest()
    try:
        return cifar10.download_cifar10(**kw)
    finally:
        cifar10.ARCHIVE_MD5 = old


def _graph():
    from nntheory import autodiff as ad

    g = ad.Graph()
    a, b = g.input(2.0, "a"), g.input(1.0, "b")
    z = a * a / (a * a + b * b + 1.0)
    return g, a, z


def _layout():
    from nntheory.plotting import graph_layout

    g, _, z = _graph()
    return graph_layout(g, z)


def _axes():
    import matplotlib.pyplot as plt

    return plt.figure().add_subplot()


def _sin_f(v):
    from nntheory import autodiff as ad

    return [v[0] * v[1], ad.sin(v[0])]


def _fmt(v: float) -> str:
    return f"{v:.3f}"


def _relu_layers() -> dict:
    return dict(weights=[np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([[1.0, 1.0]])], biases=[np.array([0.0, -0.1]), np.array([0.2])])


def _box() -> dict:
    return dict(lower=np.array([-1.0, -1.0]), upper=np.array([1.0, 1.0]))


def _splits():
    from nntheory.data.preprocessing import Splits

    rng = _rng(1)
    return Splits(rng.standard_normal((8, 6)), np.zeros(8, np.int64), rng.standard_normal((2, 6)), np.zeros(2, np.int64), rng.standard_normal((3, 6)), np.zeros(3, np.int64), "toy", 2, 1)


def _forwarded(layer, x):
    layer.forward(x)
    return layer


def _np_linear():
    from nntheory.numpy_nn import Linear

    return Linear(3, 2, rng=_rng())


def _np_mlp():
    from nntheory.numpy_nn import MLP

    return MLP(3, [4], 2, rng=_rng())


def _torch_mlp():
    from nntheory.models import MLP

    return MLP(3, [4], 2, generator=_g(), dtype=torch.float64)


def _teacher_data():
    from nntheory.data.teacher_student import make_teacher, sample_teacher_student

    return sample_teacher_student(make_teacher(4, 2, 3, seed=0), 6, 4, generator=_g(5))


def _newton_weights() -> dict:
    from nntheory.sweep import init_mlp

    data = _teacher_data()
    W1, b1, W2, b2 = (w[None] for w in init_mlp(3, 4, 2, seed=0))  # one model
    return dict(X=data.X_train, Y=data.y_train, W1=W1, b1=b1, W2=W2, b2=b2)


def _sweep_kwargs() -> dict:
    d = _teacher_data()
    return dict(X_train=d.X_train, y_train=d.y_train, X_test=d.X_test, y_test=d.y_test, widths=[1, 3], seeds=[0, 1], n_steps=4, lr=1e-2, record_every=2)


def _rule_update(name: str) -> dict:
    from nntheory import optim

    params = [np.ones((3, 1)), np.ones(2)]
    rule = getattr(optim, name)(0.1)
    return dict(self=rule, params=params, grads=[np.ones((3, 1)), np.ones(2)], state=rule.init(params))


def _ensemble():
    from nntheory.models.mlp_ensemble import MLPEnsemble

    return MLPEnsemble.from_models([_member_mlp(_g(k)) for k in range(3)])


def _member_mlp(generator):
    from nntheory.models import MLP

    return MLP(3, [4], 2, generator=generator, dtype=torch.float64)


def _labelled(suffix: str = "") -> dict:
    """Six float64 samples of 3 features with int64 labels of 2 classes, as X{suffix}, y{suffix}."""
    return {f"X{suffix}": torch.randn(6, 3, generator=_g(7), dtype=torch.float64), f"y{suffix}": torch.tensor([0, 1, 1, 0, 1, 0])}


def _torch_optimizer():
    from nntheory import optim

    model = _mlp()
    opt = optim.TorchOptimizer(model.parameters(), optim.adam(0.1))
    model(_Xy()["X"]).pow(2).sum().backward()
    opt.step()
    return opt


_POINTS = np.array([[1.5, -2.0, 0.5], [0.3, 2.2, -1.1]])  # no row rounds to zero as integers


def _design() -> np.ndarray:
    return np.array([[1.0, 0.5], [0.2, 2.0], [-1.0, 1.0], [3.0, 0.0], [0.5, -1.5], [2.0, 2.5]])


def _ols_fit3(X, y, rng):
    return nntheory.bagging.ols_fit(X, y)


def _quadratic(t: torch.Tensor) -> torch.Tensor:
    return 0.5 * (t * t).sum() + t[0] * t[-1]


# -- the table ------------------------------------------------------------------------------------

# A value that is a string says why the callable has no checked input.
CASES: dict[str, Case | str] = {
    # -- seeding
    "nntheory.seeding.base_seed": Case(lambda: dict(default=3), accept=ok(ZERO_OK, ("default", "zero"))),
    # -- autodiff
    "nntheory.autodiff.Dual": Case(lambda: dict(value=1.5, tangent=1.0), accept=ok("any finite value or tangent", *each("value tangent", "negative", "zero"))),
    "nntheory.autodiff.Graph": Case(lambda: {}),
    "nntheory.autodiff.Node": "made by Graph.input, Graph.const and operations on nodes, never constructed directly",
    "nntheory.autodiff.TraceEntry": RESULT_TYPE,
    **{
        f"nntheory.autodiff.{op}": Case(lambda: dict(x=0.5), accept=ok("defined for every real number", ("x", "negative"), ("x", "zero")))
        for op in ("exp", "sin", "cos", "tanh", "sigmoid", "relu")
    },
    "nntheory.autodiff.log": Case(lambda: dict(x=0.5)),
    "nntheory.autodiff.format_table": Case(
        lambda: dict(rows=_graph()[0].trace(), columns=("name", "op", "value"), precision=4, fmt=_fmt),
        accept=ok("an empty trace gives a header alone", ("rows", "empty")) | ok(OPTIONAL, ("fmt", "none")),
    ),
    "nntheory.autodiff.jacobian_forward": Case(lambda: dict(f=_sin_f, x=np.array([0.5, 2.0])), accept=ok(INT_TO_FLOAT, ("x", "integer dtype"))),
    "nntheory.autodiff.jacobian_reverse": Case(lambda: dict(f=_sin_f, x=np.array([0.5, 2.0])), accept=ok(INT_TO_FLOAT, ("x", "integer dtype"))),
    "nntheory.autodiff.Graph.input": Case(
        lambda: dict(self=_graph()[0], value=2.0, name="c"),
        call=lambda self, **kw: self.input(**kw),
        fixed=SELF,
        accept=ok("any finite value", ("value", "negative"), ("value", "zero")) | ok(ANY_NAME, ("name", "unknown option")),
    ),
    "nntheory.autodiff.Graph.const": Case(lambda: dict(self=_graph()[0], value=2.0), call=lambda self, **kw: self.const(**kw), fixed=SELF, accept=ok("any finite value", ("value", "negative"), ("value", "zero"))),
    "nntheory.autodiff.Graph.backward": Case(lambda: dict(zip(("self", "output"), _graph()[::2])), call=lambda self, **kw: self.backward(**kw), fixed=SELF),
    "nntheory.autodiff.Graph.tangents": Case(lambda: (lambda g, a, z: dict(self=g, seed={a: 1.0}))(*_graph()), call=lambda self, **kw: self.tangents(**kw), fixed=SELF),
    "nntheory.autodiff.Graph.trace": Case(lambda: dict(self=_graph()[0], include_constants=True), call=lambda self, **kw: self.trace(**kw), fixed=SELF),
    # -- plotting
    "nntheory.plotting.geometry.Rect": RESULT_TYPE,
    "nntheory.plotting.labels.TextItem": RESULT_TYPE,
    "nntheory.plotting.layout.NodeBox": RESULT_TYPE,
    "nntheory.plotting.layout.EdgeRoute": RESULT_TYPE,
    "nntheory.plotting.layout.GraphLayout": RESULT_TYPE,
    "nntheory.plotting.layout.graph_layout": Case(
        lambda: (lambda g, a, z: dict(graph=g, output=z, sweep="forward", show_partials=True, show_tangents=False, show_constants=False, fontsize=10.0, fmt=_fmt))(*_graph()),
        accept=ok("None draws the last node (documented)", ("output", "none")) | ok(OPTIONAL, ("fmt", "none")),
    ),
    "nntheory.plotting.draw.draw_graph": Case(lambda: dict(layout=_layout(), ax=_axes()), call=lambda **kw: _close(nntheory.plotting.draw_graph(**kw)), accept=ok(NEW_FIGURE, ("ax", "none"))),
    "nntheory.plotting.draw.plot_graph": Case(
        lambda: (lambda g, a, z: dict(graph=g, output=z, ax=_axes(), show_partials=True, show_constants=False, fontsize=10.0))(*_graph()),
        call=lambda **kw: _close(nntheory.plotting.plot_graph(**kw)),
        accept=ok("None draws the last node (documented)", ("output", "none")) | ok(NEW_FIGURE, ("ax", "none")),
    ),
    "nntheory.plotting.draw.graph_panels": Case(
        lambda: dict(layouts=[_layout()], title_height=0.45, titles=["forward"], title_fontsize=12.0),
        call=lambda **kw: _close(nntheory.plotting.graph_panels(**kw)[0]),
        accept=ok("no room for titles is a valid choice", ("title_height", "zero")) | ok("None: no titles (documented)", ("titles", "none")) | ok("any title text", ("titles", "unknown item")),
    ),
    "nntheory.plotting.checks.layout_problems": Case(lambda: dict(layout=_layout(), tol=1e-6, min_gap=2.0), accept=ok("tol 0: exact geometry", ("tol", "zero")) | ok("min_gap 0: only crossings count", ("min_gap", "zero"))),
    "nntheory.plotting.checks.figure_text_problems": Case(lambda: dict(fig=_axes().figure, tol=0.5), call=lambda **kw: (nntheory.plotting.checks.figure_text_problems(**kw), _close(kw["fig"]))[0], accept=ok("tol 0: exact extents", ("tol", "zero"))),
    # -- numpy_nn: layers, losses, batch norm
    "nntheory.numpy_nn.layers.Module": "the abstract base of the layers: forward and backward raise NotImplementedError",
    "nntheory.numpy_nn.layers.Module.train": Case(lambda: dict(self=nntheory.numpy_nn.ReLU(), mode=False), call=lambda self, **kw: self.train(**kw), fixed=SELF),
    "nntheory.numpy_nn.layers.Linear": Case(lambda: dict(in_features=3, out_features=2, rng=_rng(), gain=1.0, dtype=np.float32)),
    "nntheory.numpy_nn.layers.Linear.forward": Case(
        lambda: dict(self=_np_linear(), x=np.ones((4, 3))),
        call=lambda self, **kw: self.forward(**kw),
        fixed=SELF,
        accept=ok(LAYER_VALUES, *each("x", "nan", "inf")),
    ),
    "nntheory.numpy_nn.layers.Linear.backward": Case(
        lambda: dict(self=_forwarded(_np_linear(), np.ones((4, 3))), dout=np.ones((4, 2)), input_grad=False),
        call=lambda self, **kw: self.backward(**kw),
        fixed=SELF,
        accept=ok(LAYER_VALUES, *each("dout", "nan", "inf")),
    ),
    "nntheory.numpy_nn.layers.ReLU": Case(lambda: {}),
    "nntheory.numpy_nn.layers.Softmax": Case(lambda: {}),
    "nntheory.numpy_nn.layers.ELU": Case(lambda: dict(alpha=0.7)),
    **{
        f"nntheory.numpy_nn.layers.{cls}.forward": Case(
            lambda cls=cls: dict(self=getattr(nntheory.numpy_nn, cls)(), x=np.ones((4, 3))),
            call=lambda self, **kw: self.forward(**kw),
            fixed=SELF,
            accept=ok(LAYER_VALUES, *each("x", "nan", "inf")) | ok("any number of features", ("x", "wrong width")),
        )
        for cls in ("ReLU", "ELU", "Softmax")
    },
    **{
        f"nntheory.numpy_nn.layers.{cls}.backward": Case(
            lambda cls=cls: dict(self=_forwarded(getattr(nntheory.numpy_nn, cls)(), np.ones((4, 3))), dout=np.ones((4, 3))),
            call=lambda self, **kw: self.backward(**kw),
            fixed=SELF,
            accept=ok(LAYER_VALUES, *each("dout", "nan", "inf")),
        )
        for cls in ("ReLU", "ELU", "Softmax")
    },
    "nntheory.numpy_nn.batchnorm.BatchNorm1d": Case(lambda: dict(num_features=3, eps=1e-5, momentum=0.1, dtype=np.float64), accept=ok("momentum 0 freezes the running statistics", ("momentum", "zero"))),
    "nntheory.numpy_nn.batchnorm.BatchNorm1d.forward": Case(
        lambda: dict(self=nntheory.numpy_nn.BatchNorm1d(3), x=np.arange(12.0).reshape(4, 3)),
        call=lambda self, **kw: self.forward(**kw),
        fixed=SELF,
        accept=ok(LAYER_VALUES, *each("x", "nan", "inf")),
    ),
    "nntheory.numpy_nn.batchnorm.BatchNorm1d.backward": Case(
        lambda: dict(self=_forwarded(nntheory.numpy_nn.BatchNorm1d(3), np.arange(12.0).reshape(4, 3)), dout=np.ones((4, 3))),
        call=lambda self, **kw: self.backward(**kw),
        fixed=SELF,
        accept=ok(LAYER_VALUES, *each("dout", "nan", "inf")),
    ),
    "nntheory.numpy_nn.losses.one_hot": Case(lambda: dict(labels=np.array([0, 2, 1]), n_classes=3, dtype=np.float32), accept=ok("any number of labels", ("labels", "wrong length"))),
    "nntheory.numpy_nn.losses.CrossEntropy": Case(lambda: {}),
    "nntheory.numpy_nn.losses.SoftmaxCrossEntropy": Case(lambda: {}),
    "nntheory.numpy_nn.losses.CrossEntropy.forward": Case(
        lambda: dict(self=nntheory.numpy_nn.CrossEntropy(), y=np.full((2, 3), 1 / 3), target=np.array([0, 2])),
        call=lambda self, **kw: self.forward(**kw),
        fixed=SELF,
        accept=ok(DIVERGED, *each("y", "nan", "inf")),
    ),
    "nntheory.numpy_nn.losses.SoftmaxCrossEntropy.forward": Case(
        lambda: dict(self=nntheory.numpy_nn.SoftmaxCrossEntropy(), z=np.ones((2, 3)), target=np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])),
        call=lambda self, **kw: self.forward(**kw),
        fixed=SELF,
        accept=ok(DIVERGED, *each("z", "nan", "inf")),
    ),
    # -- numpy_nn: the MLP and its training loop (ch2-backprop)
    "nntheory.numpy_nn.mlp.History": RESULT_TYPE,
    "nntheory.numpy_nn.mlp.MLP": Case(
        lambda: dict(n_inputs=3, hidden_sizes=[4], n_classes=2, rng=_rng(), activation="relu", batch_norm=True, dtype=np.float64),
        accept=ok(NO_HIDDEN, ("hidden_sizes", "empty")),
    ),
    "nntheory.numpy_nn.mlp.MLP.forward": Case(lambda: dict(self=_np_mlp(), x=np.ones((4, 3))), call=lambda self, **kw: self.forward(**kw), fixed=SELF, accept=ok(LAYER_VALUES, *each("x", "nan", "inf"))),
    "nntheory.numpy_nn.mlp.MLP.loss_and_backward": Case(
        lambda: dict(self=_np_mlp(), x=np.ones((4, 3)), labels=np.array([0, 1, 1, 0])),
        call=lambda self, **kw: self.loss_and_backward(**kw),
        fixed=SELF,
        accept=ok(LAYER_VALUES, *each("x", "nan", "inf")),
    ),
    "nntheory.numpy_nn.mlp.minibatch_indices": Case(lambda: dict(n_samples=10, batch_size=4, rng=_rng()), call=lambda **kw: list(nntheory.numpy_nn.minibatch_indices(**kw))),
    "nntheory.numpy_nn.mlp.sgd_step": Case(
        lambda: dict(model=(lambda m: (m.loss_and_backward(np.ones((4, 3)), np.array([0, 1, 1, 0])), m)[1])(_np_mlp()), lr=0.1),
        accept=ok("a learning rate of 0 is a valid (if useless) step", ("lr", "zero")),
    ),
    "nntheory.numpy_nn.mlp.accuracy": Case(lambda: dict(model=_np_mlp(), X=np.ones((4, 3)), y=np.array([0, 1, 1, 0]), batch_size=2)),
    "nntheory.numpy_nn.mlp.train_sgd": Case(
        lambda: dict(model=_np_mlp(), X=np.ones((4, 3)), y=np.array([0, 1, 1, 0]), lr=0.1, batch_size=2, n_epochs=2, rng=_rng(), X_val=np.ones((2, 3)), y_val=np.array([0, 1])),
    ),
    # -- models
    "nntheory.models.mlp.MLP": Case(
        lambda: dict(n_inputs=3, hidden_sizes=[4], n_classes=2, generator=_g(), activation="relu", batch_norm=False, dtype=torch.float64, device="cpu"),
        accept=ok(NO_HIDDEN, ("hidden_sizes", "empty")),
    ),
    "nntheory.models.mlp.MLP.forward": Case(lambda: dict(self=_torch_mlp(), x=torch.ones(4, 3, dtype=torch.float64)), call=lambda self, **kw: self(**kw), fixed=SELF, accept=ok(FORWARD_VALUES, *each("x", "nan", "inf")) | ok(EMPTY_BATCH, ("x", "empty"))),
    "nntheory.models.mlp.numpy_to_torch": Case(lambda: dict(np_model=_np_mlp(), torch_model=_torch_mlp()), accept=ok(CAST, ("torch_model", "mismatched dtype"))),
    "nntheory.models.mlp.torch_to_numpy": Case(lambda: dict(torch_model=_torch_mlp(), np_model=_np_mlp()), accept=ok(CAST, ("torch_model", "mismatched dtype"))),
    "nntheory.models.heteroscedastic.MeanMLP": Case(lambda: dict(hidden=[5, 3], n_features=2, generator=_g()), accept=ok(OPTIONAL_GENERATOR, ("generator", "none"))),
    "nntheory.models.heteroscedastic.MeanVarianceMLP": Case(lambda: dict(hidden=(5,), n_features=2, min_var=1e-3, generator=_g()), accept=ok(OPTIONAL_GENERATOR, ("generator", "none"))),
    **{
        f"nntheory.models.heteroscedastic.{cls}.forward": Case(
            lambda cls=cls: dict(self=getattr(nntheory.models, cls)(hidden=(4,), n_features=2, generator=_g()), x=torch.ones(3, 2)),
            call=lambda self, **kw: self(**kw),
            fixed=SELF,
            accept=ok(FORWARD_VALUES, *each("x", "nan", "inf")) | ok(EMPTY_BATCH, ("x", "empty")),
        )
        for cls in ("MeanMLP", "MeanVarianceMLP")
    },
    "nntheory.models.heteroscedastic.gaussian_nll": Case(
        lambda: dict(mean=torch.zeros(3), var=torch.ones(3), y=torch.tensor([0.5, -1.0, 2.0]), reduction="sum"),
        accept=ok(PREDICTION, *each("mean var", "nan", "inf")),
    ),
    "nntheory.models.residual.SpectralNormLinear": Case(
        lambda: dict(in_features=3, out_features=2, scale=0.5, bias=False, generator=_g()),
        accept=ok(OPTIONAL_GENERATOR, ("generator", "none")) | ok("scale 0 is the zero map (documented: non-negative)", ("scale", "zero")),
    ),
    "nntheory.models.residual.ResidualBlock": Case(
        lambda: dict(dim=3, hidden=4, activation="tanh", branch_scale=0.5, generator=_g()),
        accept=ok(OPTIONAL_GENERATOR, ("generator", "none")) | ok("None: the branch is as wide as dim (documented)", ("hidden", "none")) | ok("a zero branch: T(x) = x + b", ("branch_scale", "zero")),
    ),
    "nntheory.models.residual.ResidualNet": Case(
        lambda: dict(dim=3, n_blocks=2, hidden=4, activation="relu", branch_scale=1.0, generator=_g()),
        accept=ok(OPTIONAL_GENERATOR, ("generator", "none")) | ok("None: the branch is as wide as dim (documented)", ("hidden", "none")) | ok("a zero branch: T(x) = x + b", ("branch_scale", "zero")),
    ),
    **{
        f"nntheory.models.residual.{cls}.forward": Case(
            lambda build=build: dict(self=build(), x=torch.ones(4, 3)),
            call=lambda self, **kw: self(**kw),
            fixed=SELF,
            accept=ok(FORWARD_VALUES, *each("x", "nan", "inf")) | ok(EMPTY_BATCH, ("x", "empty")),
        )
        for cls, build in (
            ("SpectralNormLinear", lambda: nntheory.models.SpectralNormLinear(3, 2, generator=_g())),
            ("ResidualBlock", lambda: nntheory.models.ResidualBlock(3, generator=_g())),
            ("ResidualNet", lambda: nntheory.models.ResidualNet(3, 2, generator=_g())),
        )
    },
    "nntheory.models.dropout.dropout_mask": Case(lambda: dict(shape=(3, 2), p_keep=0.5, generator=_g(), dtype=torch.float64, device="cpu"), accept=ok(OPTIONAL_GENERATOR, ("generator", "none"))),
    "nntheory.models.dropout.all_masks": Case(lambda: dict(n_units=3, dtype=torch.float32), call=lambda **kw: nntheory.models.dropout.all_masks(**kw)),
    "nntheory.models.dropout.mask_probabilities": Case(
        lambda: dict(masks=nntheory.models.dropout.all_masks(2), p_keep=0.7),
        call=lambda **kw: nntheory.models.dropout.mask_probabilities(**kw),
        accept=ok("masks are 0/1 indicators of any dtype", ("masks", "integer tensor"), ("masks", "mismatched dtype")) | ok("any set of masks", ("masks", "wrong width")),
    ),
    "nntheory.models.dropout.StandardDropout": Case(lambda: dict(p_keep=0.5, generator=_g()), accept=ok(OPTIONAL_GENERATOR, ("generator", "none"))),
    "nntheory.models.dropout.InvertedDropout": Case(lambda: dict(p_keep=0.5, generator=_g()), accept=ok(OPTIONAL_GENERATOR, ("generator", "none"))),
    **{
        f"nntheory.models.dropout.{cls}.forward": Case(
            lambda cls=cls: dict(self=getattr(nntheory.models, cls)(0.5, generator=_g()), x=torch.ones(4, 3)),
            call=lambda self, **kw: self(**kw),
            fixed=SELF,
            accept=ok("dropout maps NaN to NaN, as torch.nn.Dropout (values are not read)", *each("x", "nan", "inf")) | ok("any floating dtype and shape, as torch.nn.Dropout", *each("x", "mismatched dtype", "empty", "wrong width")),
        )
        for cls in ("StandardDropout", "InvertedDropout")
    },
    # -- data
    "nntheory.data.preprocessing.Splits": RESULT_TYPE,
    "nntheory.data.preprocessing.standardize_per_channel": Case(lambda: dict(splits=_splits(), dtype=np.float32)),
    "nntheory.data.mnist1d.make_mnist1d": Case(
        lambda: dict(seed=3, n_samples=200, train_fraction=0.8, n_val=20),
        accept=ok(ZERO_OK, ("seed", "zero"), ("n_val", "zero")),
    ),
    "nntheory.data.heteroscedastic.true_mean": Case(lambda: dict(x=np.array([0.0, 2.5, 10.0])), accept=ok(ELEMENTWISE, ("x", "wrong length")) | ok(INT_TO_FLOAT, ("x", "integer dtype"))),
    "nntheory.data.heteroscedastic.true_std": Case(lambda: dict(x=np.array([0.0, 2.5, 10.0])), accept=ok(ELEMENTWISE, ("x", "wrong length")) | ok(INT_TO_FLOAT, ("x", "integer dtype"))),
    "nntheory.data.heteroscedastic.make_heteroscedastic": Case(lambda: dict(n_samples=5, rng=_rng()), accept=ok("None: the generator of the shipped file (documented)", ("rng", "none"))),
    "nntheory.data.heteroscedastic.to_csv_text": Case(lambda: dict(x=np.array([0.5, 1.5]), y=np.array([1.0, -2.0])), accept=ok(INT_TO_FLOAT, *each("x y", "integer dtype"))),
    "nntheory.data.heteroscedastic.regenerate_csv_text": Case(lambda: {}),
    "nntheory.data.heteroscedastic.load_x_y": Case(lambda: {}),
    "nntheory.data.heteroscedastic.load_xy_csv": Case(
        lambda: dict(path=_csv_file(), n_expected=2),
        accept=ok(OPTIONAL, ("n_expected", "none")),
        raises={("path", "missing path"): (FileNotFoundError, "a missing file is a FileNotFoundError naming it")},
    ),
    "nntheory.data.heteroscedastic.train_test_split": Case(
        lambda: dict(x=np.arange(6.0), y=np.arange(6.0) * 2, test_fraction=0.5, rng=_rng()),
        accept=ok(SPLIT_ONLY, *each("x y", "nan", "inf", "integer dtype")),
    ),
    "nntheory.data.cifar10.md5sum": Case(lambda: dict(path=_csv_file(), chunk_size=4), raises={("path", "missing path"): (FileNotFoundError, "a missing file is a FileNotFoundError naming it")}),
    "nntheory.data.cifar10.read_batch": Case(
        lambda: dict(path=_cifar_folder() / "cifar-10-batches-py" / "test_batch"),
        raises={("path", "missing path"): (FileNotFoundError, "a missing file is a FileNotFoundError naming it and saying how to get the data")},
    ),
    "nntheory.data.cifar10.load_cifar10": Case(
        lambda: dict(root=_cifar_folder(), n_val=3, verify=False),
        accept=ok(ZERO_OK, ("n_val", "zero")),
        raises={
            ("root", "none"): (FileNotFoundError, "None reads NNTHEORY_CIFAR10_DIR (documented); unset, the error says how to get the data"),
            ("root", "missing path"): (FileNotFoundError, "a missing folder is a FileNotFoundError saying how to get the data"),
        },
    ),
    "nntheory.data.cifar10.download_cifar10": Case(
        lambda: dict(dest=_fresh_dir(), url="https://example.invalid/cifar.tar.gz", urlopen=_fake_urlopen, progress=False, chunk_size=8),
        call=_download,
        fixed={"urlopen": "None would go to the network; a fake opener serves the bytes"},
        accept=ok("any URL string: the opener decides", ("url", "unknown option")),
        raises={("dest", "missing path"): (FileNotFoundError, "dest must be an existing directory (documented)")},
    ),
    "nntheory.data.teacher_student.Teacher": RESULT_TYPE,
    "nntheory.data.teacher_student.TeacherStudentData": RESULT_TYPE,
    "nntheory.data.teacher_student.make_teacher": Case(lambda: dict(n_features=4, n_outputs=2, n_hidden=3, seed=0, dtype=torch.float64)),
    "nntheory.data.teacher_student.sample_teacher_student": Case(
        lambda: dict(teacher=nntheory.data.make_teacher(4, 2, 3, seed=0), n_train=5, n_test=3, noise_std=0.5, generator=_g(), dtype=torch.float64),
        accept=ok("noise-free labels", ("noise_std", "zero")),
    ),
    "nntheory.data.teacher_student.Teacher.__call__": Case(
        lambda: dict(self=nntheory.data.make_teacher(4, 2, 3, seed=0), X=torch.ones(5, 4, dtype=torch.float64)),
        call=lambda self, **kw: self(**kw),
        fixed=SELF,
        accept=ok("a network maps NaN to NaN", *each("X", "nan", "inf")) | ok(EMPTY_BATCH, ("X", "empty")) | ok("the teacher's weights are cast to X's dtype (documented)", ("X", "mismatched dtype")),
    ),
    # -- diagnostics: gradients and Hessians
    "nntheory.diagnostics.gradients.per_sample_grads": Case(lambda: dict(model=_mlp(), loss_fn=MSE, **_Xy(), chunk_size=2), accept=ok(OPTIONAL, ("chunk_size", "none"))),
    "nntheory.diagnostics.gradients.per_sample_sq_grad_norms": Case(lambda: dict(model=_mlp(), loss_fn=MSE, method="auto", **_Xy())),
    "nntheory.diagnostics.gradients.mean_sq_grad_norm": Case(lambda: dict(model=_mlp(), loss_fn=MSE, method="vmap", chunk_size=3, **_Xy()), accept=ok(OPTIONAL, ("chunk_size", "none"))),
    "nntheory.diagnostics.gradients.batch_sq_grad_norms": Case(lambda: dict(model=_mlp(), loss_fn=MSE, batch_size=2, generator=_g(), shuffle=True, method="ghost", **_Xy())),
    "nntheory.diagnostics.hessian.flat_loss": Case(lambda: dict(model=_mlp(), loss_fn=MSE, **_Xy())),
    "nntheory.diagnostics.hessian.hessian_matrix": Case(lambda: dict(zip(("f", "theta"), _flat()))),
    "nntheory.diagnostics.hessian.hvp": Case(lambda: dict(zip(("f", "theta"), _flat())) | {"v": torch.ones(26, dtype=torch.float64)}),
    "nntheory.diagnostics.hessian.top_eigenvalue": Case(
        lambda: dict(zip(("f", "theta"), _flat())) | {"generator": _g(), "n_iter": 20, "tol": 1e-8},
        accept=ok("tol 0 runs all n_iter iterations", ("tol", "zero")),
    ),
    "nntheory.diagnostics.hessian.condition_number": Case(
        lambda: dict(H=torch.diag(torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64))),
        accept=ok("an integer matrix is converted to float64", ("H", "integer tensor")) | ok(FLOAT32_OK, ("H", "mismatched dtype")) | ok("numpy arrays are accepted (documented)", ("H", "array for tensor")),
    ),
    # -- diagnostics: activations, dead units, Lipschitz, Jacobian products
    "nntheory.diagnostics.activations.LayerStatistics": RESULT_TYPE,
    "nntheory.diagnostics.activations.activation_statistics": Case(lambda: dict(model=_mlp(), X=_Xy()["X"], module_types=(torch.nn.Linear, torch.nn.Tanh))),
    "nntheory.diagnostics.activations.gradient_norms": Case(lambda: dict(model=_mlp_with_grads(), ord=1.0), accept=ok("ord=inf is the max norm", ("ord", "inf"))),
    "nntheory.diagnostics.dead_units.DeadUnitReport": RESULT_TYPE,
    "nntheory.diagnostics.dead_units.relu_mlp_preactivations": Case(lambda: dict(X=np.array([[0.5, -0.5], [1.0, 2.0]]), **_relu_layers()), accept=ok(INT_TO_FLOAT, ("X", "integer dtype")) | ok(TENSOR_READ, ("X", "tensor for array"))),
    "nntheory.diagnostics.dead_units.dead_on_samples": Case(lambda: dict(X=np.array([[0.5, -0.5], [1.0, 2.0]]), **_relu_layers()), accept=ok(INT_TO_FLOAT, ("X", "integer dtype")) | ok(TENSOR_READ, ("X", "tensor for array"))),
    "nntheory.diagnostics.dead_units.interval_bounds": Case(lambda: dict(**_box(), **_relu_layers()), accept=ok(INT_TO_FLOAT, *each("lower upper", "integer dtype")) | ok(TENSOR_READ, *each("lower upper", "tensor for array"))),
    "nntheory.diagnostics.dead_units.dead_on_box": Case(lambda: dict(**_box(), **_relu_layers()), accept=ok(INT_TO_FLOAT, *each("lower upper", "integer dtype")) | ok(TENSOR_READ, *each("lower upper", "tensor for array"))),
    "nntheory.diagnostics.dead_units.dead_unit_report": Case(
        lambda: dict(X=np.array([[0.5, -0.5], [1.0, 0.2]]), **_box(), **_relu_layers()),
        accept=ok(INT_TO_FLOAT, *each("X lower upper", "integer dtype")) | ok(TENSOR_READ, *each("X lower upper", "tensor for array")),
    ),
    "nntheory.diagnostics.lipschitz.jacobian_spectral_norms": Case(lambda: dict(f=_mlp(), x=_Xy()["X"], n_iter=5, generator=_g()), accept=ok(OPTIONAL_GENERATOR, ("generator", "none"))),
    "nntheory.diagnostics.lipschitz.lipschitz_lower_bound": Case(lambda: dict(f=_mlp(), x=_Xy()["X"], n_iter=5, generator=_g()), accept=ok(OPTIONAL_GENERATOR, ("generator", "none"))),
    "nntheory.diagnostics.lipschitz.secant_lower_bound": Case(lambda: dict(f=_mlp(), x=_Xy()["X"], y=_Xy()["X"] + 0.5)),
    "nntheory.diagnostics.lipschitz.optimized_secant_lower_bound": Case(
        lambda: dict(f=_mlp(), x=_Xy()["X"], n_steps=3, lr=0.05, offset=0.1, generator=_g()),
        accept=ok(OPTIONAL_GENERATOR, ("generator", "none")) | ok("no ascent step: the starting quotients", ("n_steps", "zero")),
    ),
    "nntheory.diagnostics.lipschitz.lipschitz_upper_bound": Case(lambda: dict(module=_mlp()), accept=ok("any dtype: only the weights are read", ("module", "mismatched dtype"))),
    "nntheory.diagnostics.lipschitz.block_upper_bounds": Case(lambda: dict(net=nntheory.models.ResidualNet(3, 2, generator=_g())), accept=ok("any dtype: only the weights are read", ("net", "mismatched dtype"))),
    "nntheory.diagnostics.jacobian_products.SharedWeightBackprop": RESULT_TYPE,
    **{
        f"nntheory.diagnostics.jacobian_products.{fn}": Case(
            lambda: dict(weight=np.eye(2) * 0.5, x=np.array([1.0, -1.0]), grad_output=np.array([0.2, 0.3]), n_layers=3, activation="relu"),
            accept=ok(INT_TO_FLOAT, *each("weight x grad_output", "integer dtype")),
        )
        for fn in ("shared_weight_backprop", "first_layer_gradient_bound")
    },
    # -- initialization
    "nntheory.initialization.propagation.SignalPropagation": RESULT_TYPE,
    "nntheory.initialization.propagation.propagate_variance": Case(
        lambda: dict(n_layers=3, weight_variance=0.5, widths=4, activation="relu", input_second_moment=1.0),
        accept=ok("zero variance: a zero signal, exactly", ("weight_variance", "zero"), ("input_second_moment", "zero")),
    ),
    "nntheory.initialization.propagation.empirical_preactivations": Case(
        lambda: dict(X=np.ones((3, 2)), weights=[np.eye(2), np.ones((1, 2))], activation="tanh"),
        accept=ok(INT_TO_FLOAT, ("X", "integer dtype")) | ok("a network with one layer fewer", ("weights", "one fewer")),
    ),
    "nntheory.initialization.propagation.relu_moments": Case(lambda: dict(q=np.array([0.5, 2.0])), accept=ok(INT_TO_FLOAT, ("q", "integer dtype")) | ok(ELEMENTWISE, ("q", "wrong length"))),
    "nntheory.initialization.propagation.second_moment": Case(lambda: dict(q=np.array([0.5, 2.0]), activation="tanh"), accept=ok(INT_TO_FLOAT, ("q", "integer dtype")) | ok(ELEMENTWISE, ("q", "wrong length"))),
    "nntheory.initialization.propagation.tanh_second_moment": Case(lambda: dict(q=np.array([0.5, 2.0]), n_points=40), accept=ok(INT_TO_FLOAT, ("q", "integer dtype")) | ok(ELEMENTWISE, ("q", "wrong length"))),
    "nntheory.initialization.schemes.init_variance": Case(lambda: dict(scheme="xavier", fan_in=4, fan_out=3, gain=1.0), accept=ok("gain 0: zero weights", ("gain", "zero"))),
    "nntheory.initialization.schemes.sample_weights": Case(lambda: dict(shape=(3, 4), scheme="kaiming", rng=_rng(), distribution="uniform", gain=1.0), accept=ok("gain 0: zero weights", ("gain", "zero"))),
    "nntheory.initialization.schemes.init_": Case(
        lambda: dict(tensor=torch.zeros(3, 4, dtype=torch.float64), scheme="lecun", generator=_g(), distribution="normal", gain=1.0),
        accept=ok("the values are overwritten", *each("tensor", "nan", "inf")) | ok(FLOAT32_OK, ("tensor", "mismatched dtype")) | ok("a 3 x 3 weight is as valid", ("tensor", "wrong width")) | ok("gain 0: zero weights", ("gain", "zero")),
    ),
    "nntheory.initialization.fluctuations.LogFluctuation": RESULT_TYPE,
    "nntheory.initialization.fluctuations.finite_width_log_moments": Case(lambda: dict(widths=[4, 5, 3], activation="relu", random_input=False)),
    "nntheory.initialization.fluctuations.relu_neuron_moments": Case(lambda: dict(fan_in=3, weight_variance=0.5), accept=ok("variance 0: the zero neuron", ("weight_variance", "zero"))),
    # -- random matrices and the spin glass
    "nntheory.initialization.fluctuations.perturbative_log_moments": Case(lambda: dict(n_layers=3, weight_variance=0.5, width=8, activation="tanh")),
    "nntheory.spin_glass.expected_critical_points": Case(lambda: dict(n=3, n_samples=20, rng=_rng())),
    "nntheory.random_matrices.goe": Case(lambda: dict(n=3, size=2, rng=_rng())),
    "nntheory.random_matrices.pfaffian": Case(
        lambda: dict(A=np.array([[0.0, 1.0, 2.0, 0.5], [-1.0, 0.0, 3.0, 1.0], [-2.0, -3.0, 0.0, 4.0], [-0.5, -1.0, -4.0, 0.0]])),
        accept=ok("an integer matrix is a matrix of numbers", ("A", "integer dtype")),
    ),
    "nntheory.random_matrices.goe_index_distribution": Case(lambda: dict(n=3)),
    "nntheory.random_matrices.goe_positive_definite_probability": Case(lambda: dict(n=3)),
    "nntheory.spin_glass.couplings": Case(lambda: dict(n=3, rng=_rng())),
    **{
        f"nntheory.spin_glass.{fn}": Case(
            lambda: dict(J=nntheory.spin_glass.couplings(3, _rng()), sigma=_POINTS.copy()),
            accept=ok(INT_TO_FLOAT, *each("J sigma", "integer dtype")) | ok("an empty batch of points gives an empty result", ("sigma", "empty")),
        )
        for fn in ("energy", "gradient", "hessian", "riemannian_gradient", "riemannian_hessian_eigenvalues")
    },
    "nntheory.spin_glass.to_sphere": Case(lambda: dict(x=_POINTS.copy()), accept=ok(INT_TO_FLOAT, ("x", "integer dtype")) | ok("an empty batch of points gives an empty result", ("x", "empty")) | ok("any dimension", ("x", "wrong width"))),
    "nntheory.spin_glass.descend": Case(
        lambda: dict(J=nntheory.spin_glass.couplings(3, _rng()), starts=_POINTS.copy(), lr=0.05, n_steps=3),
        accept=ok(INT_TO_FLOAT, *each("J starts", "integer dtype")) | ok("an empty batch of points gives an empty result", ("starts", "empty")) | ok("no step: the starts on the sphere", ("n_steps", "zero")),
    ),
    "nntheory.spin_glass.critical_points": Case(
        lambda: dict(J=nntheory.spin_glass.couplings(3, _rng()), starts=_POINTS.copy(), n_iter=3, tol=1e-9, min_separation=1e-6),
        accept=ok(INT_TO_FLOAT, *each("J starts", "integer dtype")) | ok("an empty batch of points gives an empty result", ("starts", "empty")) | ok("no Newton step: the starts on the sphere", ("n_iter", "zero")) | ok("separation 0 keeps every converged point", ("min_separation", "zero")),
    ),
    # -- optim
    "nntheory.optim.rules.UpdateRule": RESULT_TYPE,
    "nntheory.optim.rules.SGDState": RESULT_TYPE,
    "nntheory.optim.rules.RMSPropState": RESULT_TYPE,
    "nntheory.optim.rules.AdamState": RESULT_TYPE,
    "nntheory.optim.rules.sgd": Case(
        lambda: dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=False),
        accept=ok(LR_ZERO, ("lr", "zero")) | ok("momentum 0: plain SGD", ("momentum", "zero")) | ok("no weight decay", ("weight_decay", "zero")),
    ),
    "nntheory.optim.rules.sgd[lr=schedule]": Case(
        lambda: dict(lr=nntheory.optim.warmup_cosine(0.1, 2, 10), momentum=0.9),
        call=lambda **kw: nntheory.optim.sgd(**kw),
        accept=ok("a number is a constant rate (documented: float or schedule)", ("lr", "not callable")) | ok("momentum 0: plain SGD", ("momentum", "zero")),
    ),
    "nntheory.optim.rules.rmsprop": Case(
        lambda: dict(lr=0.1, alpha=0.99, eps=1e-8, weight_decay=0.0),
        accept=ok(LR_ZERO, ("lr", "zero")) | ok("alpha 0: v is the last squared gradient", ("alpha", "zero")),
    ),
    "nntheory.optim.rules.adam": Case(lambda: dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, bias_correction=True), accept=ok(LR_ZERO, ("lr", "zero"))),
    "nntheory.optim.rules.adamw": Case(
        lambda: dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, bias_correction=True),
        accept=ok(LR_ZERO, ("lr", "zero")) | ok("no weight decay: Adam", ("weight_decay", "zero")),
    ),
    "nntheory.optim.schedules.constant": Case(lambda: dict(lr=0.1), accept=ok(LR_ZERO, ("lr", "zero"))),
    "nntheory.optim.schedules.step_decay": Case(
        lambda: dict(lr=0.1, step_size=10, gamma=0.5),
        accept=ok(LR_ZERO, ("lr", "zero")) | ok("gamma 0: the rate drops to 0 after step_size updates", ("gamma", "zero")),
    ),
    "nntheory.optim.schedules.warmup_cosine": Case(
        lambda: dict(lr=0.1, warmup_steps=2, total_steps=10, start_factor=0.1, eta_min=0.0),
        accept=ok(LR_ZERO, ("lr", "zero")) | ok("no warm-up", ("warmup_steps", "zero")) | ok("warm-up from 0 (torch's LinearLR allows it)", ("start_factor", "zero")),
    ),
    "nntheory.optim.torch_wrapper.TorchOptimizer": Case(
        lambda: dict(params=list(_mlp().parameters()), rule=nntheory.optim.adam(0.1)),
        fixed={"params": "torch.optim.Optimizer's own checks (an iterable of tensors)"},
    ),
    "nntheory.optim.torch_wrapper.TorchOptimizer.step": Case(
        lambda: dict(self=_torch_optimizer(), closure=lambda: torch.tensor(1.0)),
        call=lambda self, **kw: self.step(**kw),
        fixed=SELF,
        accept=ok("optional: no closure (documented)", ("closure", "none")) | ok("the closure's value is handed back as is, as torch.optim does", ("closure", "wrong shape")),
    ),
    "nntheory.optim.torch_wrapper.TorchOptimizer.load_state_dict": Case(
        lambda: (lambda opt: dict(self=opt, state_dict=opt.state_dict()))(_torch_optimizer()),
        call=lambda self, **kw: self.load_state_dict(**kw),
        fixed=SELF,
    ),
    # the pure functions of a rule, with params, grads and state that must match
    **{
        f"nntheory.optim.rules.{rule}().update": Case(
            lambda rule=rule: _rule_update(rule),
            call=lambda self, **kw: self.update(**kw),
            fixed=SELF | {"state": "an opaque value built by rule.init; its mismatch with params is checked via params (and in test_optim)"},
            accept=ok(UPDATE_VALUES, *each("params grads", "nan item")),
        )
        for rule in ("sgd", "rmsprop", "adam")
    },
    "nntheory.optim.rules.adam().init": Case(
        lambda: (lambda rule: dict(self=rule, params=[np.ones((3, 1)), np.ones(2)]))(nntheory.optim.adam(0.1)),
        call=lambda self, **kw: self.init(**kw),
        fixed=SELF,
        accept=ok("init reads only the shapes", ("params", "nan item")) | ok("any number of arrays: init makes a buffer of each", ("params", "one fewer")),
    ),
    # -- training
    "nntheory.training.History": RESULT_TYPE,
    "nntheory.training.minibatches": Case(lambda: dict(n_samples=10, batch_size=4, generator=_g(), shuffle=True)),
    "nntheory.training.train": Case(
        lambda: (lambda model: dict(model=model, loss_fn=MSE, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **_Xy(), batch_size=3, n_epochs=2, generator=_g(), target_loss=1e-9, progress=False))(_mlp()),
        accept=ok("None: a bar only on a terminal (documented)", ("progress", "none")) | ok("optional: None never stops early (documented)", ("target_loss", "none")) | ok("a target of 0 is never reached: all epochs run", ("target_loss", "zero"), ("target_loss", "negative")),
    ),
    # -- sweep and Newton
    "nntheory.sweep.SweepResult": RESULT_TYPE,
    "nntheory.sweep.mlp_n_params": Case(lambda: dict(n_hidden=3, n_features=4, n_outputs=2)),
    "nntheory.sweep.init_mlp": Case(lambda: dict(n_hidden=3, n_features=4, n_outputs=2, seed=1, dtype=torch.float64), accept=ok(ZERO_OK, ("seed", "zero"))),
    "nntheory.sweep.plan_buckets": Case(
        lambda: dict(widths=[1, 5, 3, 8], overhead=10.0, extra=1.0),
        accept=ok("no fixed cost per stack: one stack per width", ("overhead", "zero")) | ok("no width-independent cost", ("extra", "zero")),
    ),
    "nntheory.sweep.train_mlp_loop": Case(_sweep_kwargs, accept=ok(NO_STEP, ("n_steps", "zero"))),
    "nntheory.sweep.train_mlp_sweep": Case(lambda: _sweep_kwargs() | dict(n_buckets=2), accept=ok(NO_STEP, ("n_steps", "zero"))),
    "nntheory.sweep.train_mlp_sweep[newton]": Case(
        lambda: _sweep_kwargs() | dict(activation="tanh", newton_iter=2, gtol=1e-8, ftol=0.1),
        call=lambda **kw: nntheory.sweep.train_mlp_sweep(**kw),
        accept=ok(NO_STEP, ("n_steps", "zero")) | ok("ftol 0 disables the stall test (documented)", ("ftol", "zero")) | ok("newton_iter 0: no second-order phase", ("newton_iter", "zero")),
    ),
    "nntheory.newton.NewtonResult": RESULT_TYPE,
    **{
        f"nntheory.newton.{fn}": Case(_newton_weights, accept=ok(DIVERGED_WEIGHTS, *each("W1 b1 W2 b2", "nan", "inf")))
        for fn in ("mlp_mse", "mlp_loss_grad_hessian")
    },
    "nntheory.newton.newton_refine": Case(
        lambda: _newton_weights() | dict(max_iter=3, gtol=1e-10, mu0=1e-3, eigenvalue=True, ftol=0.1),
        accept=ok(WEIGHTS_CAST, *each("W1 b1 W2 b2", "mismatched dtype")) | ok("ftol 0 disables the stall test (documented)", ("ftol", "zero")),
    ),
    "nntheory.newton.gauss_newton_refine": Case(
        lambda: _newton_weights() | dict(max_iter=3, gtol=1e-10, mu0=1e-3, ftol=0.1),
        accept=ok(WEIGHTS_CAST, *each("W1 b1 W2 b2", "mismatched dtype")) | ok("ftol 0 disables the stall test (documented)", ("ftol", "zero")),
    ),
    # -- models: the ensemble of MLPs (ch2-review-fixes)
    "nntheory.models.mlp_ensemble.MLPEnsemble": Case(lambda: dict(template=_torch_mlp(), n_members=3), accept=ok("any floating dtype: the ensemble takes the template's", ("template", "mismatched dtype"))),
    "nntheory.models.mlp_ensemble.MLPEnsemble.from_models": Case(lambda: dict(models=[_torch_mlp(), _torch_mlp()]), call=lambda **kw: nntheory.models.mlp_ensemble.MLPEnsemble.from_models(**kw)),
    "nntheory.models.mlp_ensemble.MLPEnsemble.member": Case(lambda: dict(self=_ensemble(), k=1), call=lambda self, **kw: self.member(**kw), fixed=SELF, accept=ok("member 0 is the first", ("k", "zero"))),
    "nntheory.models.mlp_ensemble.MLPEnsemble.forward": Case(
        lambda: dict(self=_ensemble(), X=torch.ones(4, 3, dtype=torch.float64)),
        call=lambda self, **kw: self(**kw),
        fixed=SELF,
        accept=ok(FORWARD_VALUES, *each("X", "nan", "inf")),
    ),
    "nntheory.models.mlp_ensemble.MLPEnsemble.hidden_activations": Case(
        lambda: dict(self=_ensemble(), X=torch.ones(4, 3, dtype=torch.float64), train_mode=True),
        call=lambda self, **kw: self.hidden_activations(**kw),
        fixed=SELF,
        accept=ok(FORWARD_VALUES, *each("X", "nan", "inf")),
    ),
    "nntheory.models.mlp_ensemble.accuracy": Case(lambda: dict(ensemble=_ensemble(), **_labelled())),
    "nntheory.models.mlp_ensemble.train_sgd": Case(
        lambda: dict(ensemble=_ensemble(), **_labelled(), lr=0.1, batch_size=2, n_epochs=1, rngs=[_rng(k) for k in range(3)], **_labelled("_val"), restore_best=True),
        accept=ok("no epoch: the ensemble is left as it is", ("n_epochs", "zero")),
    ),
    "nntheory.models.mlp_ensemble.train_sgd[lr per member]": Case(
        lambda: dict(ensemble=_ensemble(), **_labelled(), lr=[0.1, 0.05, 0.2], batch_size=2, n_epochs=1, rngs=[_rng(k) for k in range(3)]),
        call=lambda **kw: nntheory.models.mlp_ensemble.train_sgd(**kw),
        accept=ok("no epoch: the ensemble is left as it is", ("n_epochs", "zero")),
    ),
    "nntheory.models.mlp.accuracy": Case(lambda: dict(model=_torch_mlp(), **_labelled(), batch_size=2)),
    "nntheory.models.mlp.hidden_activations": Case(
        lambda: dict(model=_torch_mlp(), X=torch.ones(4, 3, dtype=torch.float64), train_mode=True),
        accept=ok(FORWARD_VALUES, *each("X", "nan", "inf")) | ok(EMPTY_BATCH, ("X", "empty")),
    ),
    "nntheory.models.mlp.train_sgd": Case(lambda: dict(model=_torch_mlp(), **_labelled(), lr=0.1, batch_size=2, n_epochs=1, rng=_rng(), **_labelled("_val"), device="cpu", restore_best=True)),
    # -- a plotting helper
    "nntheory.plotting.layout.arrow_head": Case(lambda: dict(edge=_layout().edges[0], fontsize=10.0)),
    # -- single exercises
    "nntheory.deep_linear.GDTrajectory": RESULT_TYPE,
    **{
        f"nntheory.deep_linear.{fn}": Case(
            lambda: dict(w1=np.array([0.5, 1.0]), w2=np.array([1.5, -0.5])),
            accept=ok(INT_TO_FLOAT, *each("w1 w2", "integer dtype")) | ok(BROADCAST, *each("w1 w2", "wrong length")) | ok(DIVERGED_RUN, *each("w1 w2", "nan", "inf")),
        )
        for fn in ("population_loss", "gradient", "hessian")
    },
    "nntheory.deep_linear.gd_step": Case(
        lambda: dict(w1=np.array([0.5, 1.0]), w2=np.array([1.5, -0.5]), alpha1=0.1, alpha2=0.2),
        accept=ok(INT_TO_FLOAT, *each("w1 w2", "integer dtype")) | ok(BROADCAST, *each("w1 w2", "wrong length")) | ok(DIVERGED_RUN, *each("w1 w2", "nan", "inf")) | ok("a frozen layer", *each("alpha1 alpha2", "zero")),
    ),
    "nntheory.deep_linear.flow_invariant": Case(
        lambda: dict(w1=np.array([0.5, 1.0]), w2=np.array([1.5, -0.5]), alpha1=0.1, alpha2=0.2),
        accept=ok(INT_TO_FLOAT, *each("w1 w2", "integer dtype")) | ok(BROADCAST, *each("w1 w2", "wrong length")) | ok(DIVERGED_RUN, *each("w1 w2", "nan", "inf")),
    ),
    "nntheory.deep_linear.gd_invariant": Case(
        lambda: dict(w1=np.array([0.5, 1.0]), w2=np.array([1.5, -0.5]), alpha1=0.1, alpha2=0.2),
        accept=ok(INT_TO_FLOAT, *each("w1 w2", "integer dtype")) | ok(BROADCAST, *each("w1 w2", "wrong length")) | ok(DIVERGED_RUN, *each("w1 w2", "nan", "inf")),
    ),
    "nntheory.deep_linear.predicted_landing": Case(
        lambda: dict(w1_0=np.array([0.5, 1.0]), w2_0=np.array([1.5, -0.5]), alpha1=0.1, alpha2=0.2, method="first-order"),
        accept=ok(INT_TO_FLOAT, *each("w1_0 w2_0", "integer dtype")) | ok(BROADCAST, *each("w1_0 w2_0", "wrong length")),
    ),
    "nntheory.deep_linear.gd_trajectory": Case(
        lambda: dict(w1_0=1.0, w2_0=1.2, alpha1=0.1, alpha2=0.3, n_steps=5, max_loss=1e6),
        accept=ok("any real initial weight", *each("w1_0 w2_0", "negative", "zero")) | ok("a frozen layer", *each("alpha1 alpha2", "zero")) | ok("no step: the initial point", ("n_steps", "zero")) | ok(NO_THRESHOLD, ("max_loss", "inf")),
    ),
    "nntheory.deep_linear.gd_losses": Case(
        lambda: dict(w1_0=1.0, w2_0=1.2, alpha1=0.1, alpha2=0.3, steps=[0, 3, 5], max_loss=1e6),
        accept=ok("any real initial weight", *each("w1_0 w2_0", "negative", "zero")) | ok("a frozen layer", *each("alpha1 alpha2", "zero")) | ok(NO_THRESHOLD, ("max_loss", "inf")),
    ),
    "nntheory.bagging.ols_fit": Case(lambda: dict(X=_design(), y=np.arange(6.0)), accept=ok(INT_TO_FLOAT, *each("X y", "integer dtype")) | ok(ONE_FEATURE, ("X", "wrong width"))),
    "nntheory.bagging.bagged_ols_fit": Case(
        lambda: dict(X=_design(), y=np.arange(6.0), n_models=3, subset_fraction=0.8, rng=_rng()),
        accept=ok(INT_TO_FLOAT, *each("X y", "integer dtype")) | ok(ONE_FEATURE, ("X", "wrong width")),
    ),
    "nntheory.bagging.bias_variance_mc": Case(
        lambda: dict(fit=_ols_fit3, X=_design(), w_true=np.array([1.0, -1.0]), noise_std=0.5, X_eval=np.ones((3, 2)), n_trials=4, rng=_rng()),
        accept=ok(INT_TO_FLOAT, *each("X w_true X_eval", "integer dtype")) | ok("noise-free labels: zero variance", ("noise_std", "zero")),
    ),
    "nntheory.bagging.bagged_ols_variance": Case(
        lambda: dict(X=_design(), X_eval=np.ones((3, 2)), noise_std=0.5, subset_fraction=0.8, n_subsets=8, n_groups=2, rng=_rng()),
        accept=ok(INT_TO_FLOAT, *each("X X_eval", "integer dtype")) | ok("noise-free labels: zero variance", ("noise_std", "zero")),
    ),
    "nntheory.bagging.BaggedOLSVariance": RESULT_TYPE,
    **{
        f"nntheory.bagging.BaggedOLSVariance.{method}": Case(
            lambda: dict(self=nntheory.bagging.BaggedOLSVariance(1.0, 0.5, 0.01, 0.2, 0.01), n_models=np.array([1.0, 5.0, 10.0])),
            call=lambda self, method=method, **kw: getattr(self, method)(**kw),
            fixed=SELF,
            accept=ok("inf is the infinite ensemble (documented)", ("n_models", "inf")) | ok("ensemble sizes are counts given as numbers", ("n_models", "integer dtype")) | ok("any number of sizes", ("n_models", "wrong length")),
        )
        for method in ("excess", "excess_se", "variance")
    },
    "nntheory.dropout_regression.dropout_loss_expected": Case(lambda: dict(w=np.array([1.0, -1.0]), X=np.ones((3, 2)), y=np.arange(3.0), p_keep=0.6), accept=ok(INT_TO_FLOAT, *each("w X y", "integer dtype"))),
    "nntheory.dropout_regression.dropout_loss_sample": Case(lambda: dict(w=np.array([1.0, -1.0]), X=np.ones((3, 2)), y=np.arange(3.0), p_keep=0.6, rng=_rng(), n_masks=4), accept=ok(INT_TO_FLOAT, *each("w X y", "integer dtype"))),
    "nntheory.dropout_regression.dropout_ridge_solution": Case(
        lambda: dict(X=_rng().standard_normal((4, 2)) * 3, y=np.arange(4.0), p_keep=0.6),
        accept=ok(INT_TO_FLOAT, *each("X y", "integer dtype")) | ok("one feature is a valid design", ("X", "wrong width")),
    ),
    "nntheory.implicit_regularization.modified_loss": Case(
        lambda: dict(loss_fn=_quadratic, theta=torch.tensor([0.5, -1.0], dtype=torch.float64), lr=0.1),
        accept=ok(ANY_THETA, *each("theta", "mismatched dtype", "wrong length")) | ok("lr 0: the loss itself", ("lr", "zero")),
    ),
    "nntheory.implicit_regularization.gd_trajectory": Case(
        lambda: dict(loss_fn=_quadratic, theta0=torch.tensor([0.5, -1.0], dtype=torch.float64), lr=0.1, n_steps=4),
        accept=ok(ANY_THETA, *each("theta0", "mismatched dtype", "wrong length")) | ok("lr 0: theta0 repeated", ("lr", "zero")) | ok("no step: theta0 alone", ("n_steps", "zero")),
    ),
    "nntheory.implicit_regularization.gradient_flow": Case(
        lambda: dict(loss_fn=_quadratic, theta0=torch.tensor([0.5, -1.0], dtype=torch.float64), times=np.array([0.0, 0.5, 1.0]), n_substeps=4),
        accept=ok(ANY_THETA, *each("theta0", "mismatched dtype", "wrong length")) | ok("fewer report times", ("times", "wrong length")),
    ),
    "nntheory.implicit_regularization.sgd_regularizer": Case(
        lambda: dict(per_example_grads=_rng().standard_normal((6, 2)), batch_size=2),
        accept=ok(INT_TO_FLOAT, ("per_example_grads", "integer dtype")) | ok("one parameter is a valid model", ("per_example_grads", "wrong width")),
    ),
}


def _close(obj):
    """Close the figure of what a drawing call returned (an Axes or a Figure)."""
    import matplotlib.pyplot as plt

    plt.close(getattr(obj, "figure", obj))
    return obj


# -- the corruptions ------------------------------------------------------------------------------


def _wrong_shape(fn: Callable) -> Callable:
    """A callable like ``fn`` whose result gains a leading axis of two copies (a wrong shape)."""

    def wrapped(*args, **kwargs):
        out = fn(*args, **kwargs)
        if isinstance(out, torch.Tensor):
            return torch.stack([out, out])
        if isinstance(out, np.ndarray):
            return np.stack([out, out])
        if isinstance(out, list):
            return [out, out]
        return (out, out)

    return wrapped


def _is_dtype(value) -> bool:
    return isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)) or isinstance(value, torch.dtype)


def corruptions(value: Any) -> list[tuple[str, Any]]:
    """(label, corrupted value) pairs derived from the kind of a valid value."""
    out: list[tuple[str, Any]] = [("none", None), ("wrong type", object())]
    if isinstance(value, (bool, np.bool_)):
        return out + [("string", "yes")]
    if isinstance(value, (int, np.integer)):
        out += [("float for int", float(value) + 0.5), ("negative", -abs(int(value)) - 1), ("string", "3"), ("nan", float("nan"))]
        return out + ([("zero", 0)] if value != 0 else [])
    if isinstance(value, (float, np.floating)):
        out += [("nan", float("nan")), ("inf", float("inf")), ("negative", -abs(float(value)) - 1.0), ("string", "0.1")]
        return out + ([("zero", 0.0)] if value != 0 else [])
    if isinstance(value, str):
        return [("none", None), ("unknown option", "no-such-option"), ("wrong type", 3)]
    if isinstance(value, Path):
        return out + [("missing path", _TMP / "no-such-folder" / "no-such-file"), ("empty path", "")]
    if _is_dtype(value):
        return out + [("integer dtype", torch.int64 if isinstance(value, torch.dtype) else np.int64)]
    if isinstance(value, np.random.Generator) or isinstance(value, torch.Generator):
        return out + [("seed for generator", 0)]
    if isinstance(value, np.ndarray):
        return out + _array_corruptions(value)
    if isinstance(value, torch.Tensor):
        return out + _tensor_corruptions(value)
    if isinstance(value, torch.nn.Module):
        dtypes = {p.dtype for p in value.parameters() if p.is_floating_point()}
        if dtypes:
            other = torch.float32 if dtypes.pop() == torch.float64 else torch.float64
            out.append(("mismatched dtype", copy.deepcopy(value).to(other)))
        return out
    if type(value) in (list, tuple) and value:  # not NamedTuples (rule states, results)
        return out + _sequence_corruptions(value)
    if callable(value) and not isinstance(value, type):
        return out + [("not callable", 3), ("wrong shape", _wrong_shape(value))]
    return out


def _sequence_corruptions(value) -> list[tuple[str, Any]]:
    kind = type(value)
    items = list(value)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in items):
        return [("empty", kind()), ("float for int", kind([float(items[0]) + 0.5, *items[1:]])), ("negative", kind([-1, *items[1:]]))]
    if all(isinstance(v, (float, np.floating)) for v in items):
        return [("nan", kind([float("nan"), *items[1:]])), ("inf", kind([float("inf"), *items[1:]])), ("negative", kind([-1.0, *items[1:]]))]
    if all(isinstance(v, str) for v in items):
        return [("empty", kind()), ("unknown item", kind(["no-such-item", *items[1:]]))]
    if all(isinstance(v, (np.ndarray, torch.Tensor)) for v in items):
        out = [("empty", kind()), ("none item", kind([None, *items[1:]]))]
        if len(items) >= 2:
            out.append(("one fewer", kind(items[:-1])))
        first = items[0]
        floating = first.dtype.kind == "f" if isinstance(first, np.ndarray) else first.is_floating_point()
        if floating and first.ndim >= 1 and first.shape[0] > 0:
            bad = first.copy() if isinstance(first, np.ndarray) else first.detach().clone()
            bad.reshape(-1)[0] = float("nan")
            out.append(("nan item", kind([bad, *items[1:]])))
        if first.ndim >= 1 and first.shape[-1] > 1:
            out.append(("wrong shape item", kind([first[..., :-1], *items[1:]])))
        return out
    return [("empty", kind())]


def _array_corruptions(value: np.ndarray) -> list[tuple[str, Any]]:
    out = []
    if value.dtype.kind == "f" and value.size:
        for label, bad in (("nan", np.nan), ("inf", np.inf)):
            v = value.copy()
            v.flat[0] = bad
            out.append((label, v))
        out.append(("integer dtype", value.astype(np.int64)))
    if value.ndim >= 1:
        out.append(("empty", value[:0].copy()))
    if value.ndim >= 2 and value.shape[-1] > 1:
        out.append(("wrong width", value[..., :-1].copy()))
    if value.ndim == 1 and value.size >= 2:
        out.append(("wrong length", value[:-1].copy()))
    out.append(("tensor for array", torch.from_numpy(np.array(value))))
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
    if value.ndim == 1 and value.numel() >= 2:
        out.append(("wrong length", value.detach()[:-1].clone()))
    out.append(("array for tensor", value.detach().cpu().numpy().copy()))
    return out


def _numpy_scalar(value: Any) -> Any:
    """The numpy-scalar twin of a Python number (``None`` if ``value`` is not one)."""
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int):
        return np.int64(value)
    if isinstance(value, float):
        return np.float32(value) if value == 0 or 1e-30 < abs(value) < 1e30 else np.float64(value)
    return None


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


def _numpy_scalar_params():
    for name, case in CASES.items():
        if isinstance(case, str):
            continue
        for arg, value in case.kwargs().items():
            if arg not in case.fixed and _numpy_scalar(value) is not None:
                yield pytest.param(name, arg, id=f"{name}-{arg}")


def test_every_public_callable_is_in_the_table():
    missing = sorted(set(public_callables()) - set(CASES))
    assert not missing, f"public callables without an entry in CASES: {missing}"


def test_table_entries_exist():
    stale = sorted(k for k, v in CASES.items() if (isinstance(v, str) or v.call is None) and k not in public_callables())
    assert not stale, f"entries for callables that are not public (renamed?): {stale}"


def test_accepted_and_raised_pairs_are_corruptions_of_the_case():
    for name, case in CASES.items():
        if isinstance(case, str):
            continue
        labels = {(arg, label) for arg, value in case.kwargs().items() for label, _ in corruptions(value)}
        unknown = sorted((set(case.accept) | set(case.raises)) - labels)
        assert not unknown, f"{name}: accept/raises name corruptions that are not tried: {unknown}"


@pytest.mark.parametrize("name", [k for k, v in CASES.items() if isinstance(v, Case)])
def test_valid_call(name):
    case = CASES[name]
    _call_with_limit(_target(name, case), case.kwargs())


@pytest.mark.parametrize("name, arg", list(_numpy_scalar_params()))
def test_numpy_scalars_are_accepted(name, arg):
    case = CASES[name]
    kwargs = case.kwargs()
    kwargs[arg] = _numpy_scalar(kwargs[arg])
    _call_with_limit(_target(name, case), kwargs)


def _names(arg: str, message: str) -> bool:
    """Whether ``message`` names ``arg`` as a word (``y`` in "y must ...", not in "dtype")."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(arg)}(?![A-Za-z0-9_])", message) is not None


@pytest.mark.parametrize("name, arg, label", list(_corruption_params()))
def test_corrupted_argument_is_rejected_clearly(name, arg, label):
    case = CASES[name]
    kwargs = case.kwargs()
    kwargs[arg] = dict(corruptions(kwargs[arg]))[label]
    if (arg, label) in case.accept:
        _call_with_limit(_target(name, case), kwargs)  # accepted: must really work
        return
    expected = case.raises.get((arg, label), ((ValueError, TypeError), None))[0]
    with pytest.raises(Exception) as info:
        _call_with_limit(_target(name, case), kwargs)
    assert not isinstance(info.value, _Timeout), f"no answer within {TIME_LIMIT} s"
    assert isinstance(info.value, expected), f"{type(info.value).__name__} instead of {expected}: {info.value}"
    if (arg, label) not in case.raises:
        assert _names(arg, str(info.value)), f"the message does not name {arg!r}: {info.value}"
    # the error comes from the library's own checks, not from deep inside numpy or torch
    assert "/nntheory/" in info.traceback[-1].path.as_posix(), f"raised outside nntheory: {info.traceback[-1].path}: {info.value}"


def test_no_unrestricted_deserialisation():
    """Issue 14 (security held; keep it so): no module calls pickle.load/loads, an Unpickler other than a
    restricted subclass, torch.load without weights_only=True, or np.load with allow_pickle=True."""
    import ast

    found = []
    for path in sorted(Path(nntheory.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
            if name in ("pickle.load", "pickle.loads", "pickle.Unpickler", "cPickle.load", "dill.load", "joblib.load"):
                found.append(f"{path.name}:{node.lineno}: {name}")
            elif name.endswith("torch.load") and keywords.get("weights_only") != "True":
                found.append(f"{path.name}:{node.lineno}: {name} without weights_only=True")
            elif name in ("np.load", "numpy.load") and keywords.get("allow_pickle", "False") != "False":
                found.append(f"{path.name}:{node.lineno}: {name} with allow_pickle")
    assert not found, found


def test_checks_module_is_private():
    assert _checks.__all__ == []


def _counts() -> dict:
    """Callables in the table, corruptions tried, accepted with a reason, answered by another exception."""
    cases = {k: v for k, v in CASES.items() if isinstance(v, Case)}
    tried = [(name, arg, label) for name, case in cases.items() for arg, value in case.kwargs().items() if arg not in case.fixed for label, _ in corruptions(value)]
    accepted = [t for t in tried if t[1:] in cases[t[0]].accept]
    other = [t for t in tried if t[1:] in cases[t[0]].raises]
    return dict(entries=len(CASES), public=len(public_callables()), cases=len(cases), tried=len(tried), rejected=len(tried) - len(accepted) - len(other), accepted=len(accepted), other_exception=len(other))


if __name__ == "__main__":  # pragma: no cover - a report for humans
    counts = _counts()
    print(counts)
    reasons: dict[str, int] = {}
    for case in CASES.values():
        if isinstance(case, Case):
            for reason in case.accept.values():
                reasons[reason] = reasons.get(reason, 0) + 1
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"{n:4d}  {reason}")
