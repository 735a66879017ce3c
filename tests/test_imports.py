"""Lazy imports: numpy-only modules do not load torch or matplotlib; every public name still resolves."""

import subprocess
import sys

import pytest

import nntheory


def _loaded_after(statement: str) -> set[str]:
    """Top-level modules in sys.modules after running ``statement`` in a fresh interpreter."""
    code = f"import sys; {statement}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "statement",
    [
        "import nntheory",
        "import nntheory.numpy_nn",
        "import nntheory.deep_linear",
        "from nntheory import numpy_nn, deep_linear, autodiff, bagging, dropout_regression",
        "from nntheory.data import load_xy_csv",
    ],
)
def test_numpy_only_imports_load_neither_torch_nor_matplotlib(statement):
    loaded = _loaded_after(statement)
    assert "nntheory" in loaded
    assert "torch" not in loaded, statement
    assert "matplotlib" not in loaded, statement


def test_torch_is_loaded_when_a_torch_module_is_used():
    assert "torch" in _loaded_after("import nntheory; nntheory.training")


@pytest.mark.parametrize("name", [n for n in nntheory.__all__ if n != "__version__"])
def test_every_public_subpackage_resolves(name):
    module = getattr(nntheory, name)
    assert module.__name__ == f"nntheory.{name}"
    assert name in dir(nntheory)  # tab completion sees it before first use


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_module"):
        nntheory.no_such_module


def test_star_import_and_data_reexports():
    namespace: dict = {}
    exec("from nntheory import *", namespace)
    assert {"optim", "numpy_nn", "__version__"} <= namespace.keys()
    from nntheory.data import Splits, load_xy_csv, sample_teacher_student  # noqa: F401
    from nntheory.data.preprocessing import Splits as S

    assert Splits is S
