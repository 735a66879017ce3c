"""The shared argument checks: what they accept, what they reject, and that messages name the argument."""

import sys
import subprocess

import numpy as np
import pytest
import torch

from nntheory import _checks as c


@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3), np.array(3), torch.tensor(3)])
def test_int_accepts_integers(value):
    assert c.check_int(value, "n", low=1) == 3 and type(c.check_int(value, "n")) is int


@pytest.mark.parametrize("value, exc", [(2.5, TypeError), (3.0, TypeError), (True, TypeError), ("3", TypeError), (None, TypeError), (0, ValueError), (-1, ValueError)])
def test_int_rejects(value, exc):
    with pytest.raises(exc, match=r"^n_epochs must be an integer"):
        c.check_int(value, "n_epochs", low=1)


@pytest.mark.parametrize("value", [0.5, np.float32(0.5), np.float64(0.5), np.array(0.5), torch.tensor(0.5), 1])
def test_real_accepts_numpy_and_torch_scalars(value):
    assert c.check_real(value, "lr", low=0, low_open=True) == pytest.approx(float(value))


@pytest.mark.parametrize("value, exc", [(float("nan"), ValueError), (float("inf"), ValueError), (-0.1, ValueError), (0.0, ValueError), (None, TypeError), ("a", TypeError), (False, TypeError), ([0.1], TypeError)])
def test_real_rejects(value, exc):
    with pytest.raises(exc, match=r"^lr must be"):
        c.check_real(value, "lr", low=0, low_open=True)


def test_real_bounds_and_infinity():
    assert c.check_real(float("inf"), "max_loss", finite=False) == float("inf")
    with pytest.raises(ValueError, match=r"p_keep must be a number > 0 and <= 1, got 1.5"):
        c.check_real(1.5, "p_keep", low=0, high=1, low_open=True)


def test_array_checks():
    x = c.check_array([[1, 2], [3, 4]], "X", ndim=2, shape=(None, 2))
    assert x.dtype == np.float64
    assert c.check_array(np.ones(3, np.float32), "x").dtype == np.float32
    with pytest.raises(ValueError, match=r"^X must have shape \(\*, 3\)"):
        c.check_array(np.ones((4, 2)), "X", shape=(None, 3))
    with pytest.raises(ValueError, match="^X must be finite"):
        c.check_array(np.array([1.0, np.nan]), "X")
    with pytest.raises(ValueError, match="^X must not be empty"):
        c.check_array(np.ones((0, 2)), "X")
    with pytest.raises(TypeError, match=r"^X must be a numpy array, got a torch tensor"):
        c.check_array(torch.ones(2), "X")
    with pytest.raises(TypeError, match="^y must be an integer array"):
        c.check_array(np.ones(2), "y", kind="int")
    with pytest.raises(TypeError, match="^X must hold real numbers"):
        c.check_array(np.array(["a"]), "X")
    with pytest.raises(ValueError, match=r"^X must have 2 dimension"):
        c.check_array(np.ones(3), "X", ndim=2)


def test_tensor_checks():
    t = torch.ones(3, 2, dtype=torch.float64)
    assert c.check_tensor(t, "X", ndim=2, dtype=torch.float64) is t
    with pytest.raises(TypeError, match=r"^X must be a torch tensor, got a numpy array"):
        c.check_tensor(np.ones(2), "X")
    with pytest.raises(TypeError, match="^X must be a floating-point tensor"):
        c.check_tensor(torch.ones(2, dtype=torch.int64), "X")
    with pytest.raises(TypeError, match=r"^X must have dtype torch.float32"):
        c.check_tensor(t, "X", dtype=torch.float32)
    with pytest.raises(ValueError, match="^X must be finite"):
        c.check_tensor(torch.tensor([1.0, float("inf")]), "X")
    with pytest.raises(ValueError, match=r"^X and y must have the same number of samples: X has 3, y has 2"):
        c.check_same_length({"X": t, "y": torch.ones(2)})


def test_misc_checks():
    assert c.check_int_sequence(np.array([2, 3]), "widths", low=1) == [2, 3]
    with pytest.raises(TypeError, match=r"^widths\[0\] must be an integer"):
        c.check_int_sequence([2.7], "widths", low=1)
    with pytest.raises(ValueError, match="^widths must not be empty"):
        c.check_int_sequence([], "widths")
    with pytest.raises(ValueError, match="^method must be one of 'a', 'b'"):
        c.check_choice("c", "method", ["a", "b"])
    with pytest.raises(TypeError, match="^rng must be a numpy.random.Generator"):
        c.check_rng(0)
    with pytest.raises(TypeError, match="^generator must be a torch.Generator"):
        c.check_torch_generator(np.random.default_rng(0))
    with pytest.raises(TypeError, match="^loss_fn must be callable"):
        c.check_callable(3, "loss_fn")
    with pytest.raises(TypeError, match="^shuffle must be True or False"):
        c.check_bool(1, "shuffle")


def test_importing_the_checks_does_not_load_torch():
    code = "import sys, nntheory._checks; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_paths_dtypes_and_sequences(tmp_path):
    assert c.check_path(tmp_path, "root") is tmp_path and c.check_path("x.csv", "path") == "x.csv"
    with pytest.raises(ValueError, match="^path must be a non-empty path"):
        c.check_path("", "path")
    with pytest.raises(TypeError, match="^path must be a str or os.PathLike"):
        c.check_path(3, "path")
    assert c.check_numpy_float_dtype("float32") == np.dtype(np.float32)
    for bad in (np.int64, None, torch.float64, 3):
        with pytest.raises(TypeError, match="^dtype must be numpy.float32 or numpy.float64"):
            c.check_numpy_float_dtype(bad)
    assert c.check_torch_float_dtype(torch.float32) is torch.float32
    with pytest.raises(TypeError, match="^dtype must be a floating torch dtype"):
        c.check_torch_float_dtype(torch.int64)
    assert c.check_real_sequence((0.9, np.float32(0.5)), "betas", length=2, low=0, high=1, high_open=True) == [0.9, 0.5]
    with pytest.raises(ValueError, match=r"^betas\[1\] must be a number >= 0 and < 1"):
        c.check_real_sequence((0.9, 1.0), "betas", low=0, high=1, high_open=True)
    with pytest.raises(ValueError, match="^betas must hold 2 numbers, got 3"):
        c.check_real_sequence((0.1, 0.2, 0.3), "betas", length=2)
    with pytest.raises(TypeError, match="^weights must be a list or tuple"):
        c.check_sequence(np.ones(3), "weights")
    with pytest.raises(ValueError, match="^weights must not be empty"):
        c.check_sequence([], "weights")
    assert c.check_optional_torch_generator(None) is None


def _net():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Dropout(0.5), torch.nn.Linear(4, 2)).double()


def test_model_data():
    net, X, y = _net(), torch.ones(5, 3, dtype=torch.float64), torch.zeros(5, 2, dtype=torch.float64)
    assert c.module_dtype(net) == torch.float64 and c.module_dtype(torch.nn.ReLU()) is None
    X2, y2 = c.check_model_data(net, X, y, torch.nn.functional.mse_loss)
    assert X2 is X and y2 is y
    with pytest.raises(TypeError, match="^model must be a torch.nn.Module"):
        c.check_model_data(lambda x: x, X, y, torch.nn.functional.mse_loss)
    with pytest.raises(TypeError, match="^y must be a torch tensor, got None"):
        c.check_model_data(net, X, None, torch.nn.functional.mse_loss)
    assert c.check_model_data(net, X, need_y=False, need_loss=False)[1] is None
    with pytest.raises(ValueError, match=r"^X of shape \(5, 2\) does not fit the model: model\(X\) raised RuntimeError"):
        c.check_model_data(net, X[:, :2], y, torch.nn.functional.mse_loss)
    with pytest.raises(ValueError, match=r"^loss_fn\(model\(X\), y\) failed: "):
        c.check_model_data(net, X, y, lambda out, t: torch.cat([out, t], dim=2))
    with pytest.raises(TypeError, match=r"^loss_fn\(model\(X\), y\) must return a scalar tensor, got 3.0"):
        c.check_model_data(net, X, y, lambda out, t: 3.0)
    mixed = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2).double())
    with pytest.raises(TypeError, match="^model has parameters of several dtypes"):
        c.module_dtype(mixed)


def test_forward_input_and_scalar_output():
    x = torch.ones(4, 3)
    assert c.check_forward_input(x, "x", 3, torch.float32) is x
    assert c.check_forward_input(torch.ones(3), "x", 3, torch.float32).shape == (3,)  # one sample, as nn.Linear allows
    assert c.check_forward_input(torch.full((2, 3), float("nan")), "x", 3, torch.float32).shape == (2, 3)  # values are not read
    with pytest.raises(ValueError, match=r"^x must have 3 features \(shape \(n_samples, 3\)\), got shape \(4, 2\)"):
        c.check_forward_input(torch.ones(4, 2), "x", 3, torch.float32)
    with pytest.raises(ValueError, match="^f must return a scalar tensor, got shape"):
        c.check_scalar_output(torch.ones(2), "f")
    with pytest.raises(ValueError, match="^f must be finite, got nan"):
        c.check_scalar_output(torch.tensor(float("nan")), "f")
    assert c.check_scalar_output(torch.tensor([2.0]), "f").item() == 2.0
    with pytest.raises(ValueError, match=r"^f\(x\) failed: ZeroDivisionError"):
        c.call_on_trial(lambda v: 1 / v, 0, what="f(x)")
