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
