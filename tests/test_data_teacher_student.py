"""Tests for nntheory.data.teacher_student."""

import pytest
import torch

from nntheory.data.teacher_student import Teacher, make_teacher, sample_teacher_student


def test_shapes_and_dtype():
    teacher = make_teacher(10, 5, 20, seed=3)
    data = sample_teacher_student(teacher, 100, 300, generator=torch.Generator().manual_seed(0))
    assert data.X_train.shape == (100, 10) and data.y_train.shape == (100, 5)
    assert data.X_test.shape == (300, 10) and data.y_test.shape == (300, 5)
    assert data.X_train.dtype == torch.float64


def test_teacher_fixed_by_its_seed_samples_by_generator():
    t1, t2 = make_teacher(seed=7), make_teacher(seed=7)
    assert torch.equal(t1.W1, t2.W1) and torch.equal(t1.W2, t2.W2)
    assert not torch.equal(make_teacher(seed=8).W1, t1.W1)
    d1 = sample_teacher_student(t1, 10, 10, generator=torch.Generator().manual_seed(0))
    d2 = sample_teacher_student(t1, 10, 10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(d1.y_train, d2.y_train)


def test_noise_statistics_monte_carlo():
    """Residuals y - g(x) have mean 0 and variance noise_std**2 (tolerance: 5 standard errors)."""
    teacher = make_teacher(seed=0)
    data = sample_teacher_student(teacher, 20000, 1, noise_std=0.5, generator=torch.Generator().manual_seed(1))
    residual = data.y_train - teacher(data.X_train)
    n = residual.numel()
    assert abs(residual.mean().item()) < 5 * 0.5 / n**0.5
    # Var of the sample variance of a Gaussian: 2 sigma^4 / n.
    assert abs(residual.var().item() - 0.25) < 5 * (2 * 0.25**2 / n) ** 0.5


def test_teacher_is_the_formula():
    teacher = make_teacher(4, 2, 3, seed=0)
    X = torch.randn(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    expected = torch.stack([teacher.W2 @ torch.tanh(teacher.W1 @ x + teacher.b1) for x in X])
    torch.testing.assert_close(teacher(X), expected)


def test_bad_input():
    with pytest.raises(ValueError, match="n_features"):
        make_teacher(0)
    teacher = make_teacher()
    with pytest.raises(ValueError, match="n_train"):
        sample_teacher_student(teacher, 0, 10, generator=torch.Generator())
    with pytest.raises(ValueError, match="noise_std"):
        sample_teacher_student(teacher, 5, 10, noise_std=-1.0, generator=torch.Generator())
    with pytest.raises(TypeError, match="generator"):
        sample_teacher_student(teacher, 5, 10, generator=0)
    with pytest.raises(TypeError, match="teacher"):
        sample_teacher_student("t", 5, 10, generator=torch.Generator())
    with pytest.raises(ValueError, match="X"):
        teacher(torch.zeros(3, 4, dtype=torch.float64))
    assert isinstance(teacher, Teacher)


def test_arguments_are_checked():
    """Issue 14: numpy scalars accepted; floats for counts and seeds, NaN noise and a wrong width refused, named."""
    import numpy as np

    teacher = make_teacher(4, 2, 3, seed=0)
    a = sample_teacher_student(teacher, 5, 3, noise_std=0.5, generator=torch.Generator().manual_seed(1))
    b = sample_teacher_student(teacher, np.int64(5), np.int64(3), noise_std=np.float64(0.5), generator=torch.Generator().manual_seed(1))
    assert torch.equal(a.y_train, b.y_train)
    assert torch.equal(make_teacher(np.int64(4), 2, 3, seed=np.int64(0)).W1, teacher.W1)
    with pytest.raises(TypeError, match="^seed must be an integer"):
        make_teacher(seed=1.5)  # used to be passed to manual_seed
    with pytest.raises(TypeError, match="^n_train must be an integer"):
        sample_teacher_student(teacher, 2.5, 3, generator=torch.Generator())
    with pytest.raises(ValueError, match="^noise_std must be a finite number"):
        sample_teacher_student(teacher, 5, 3, noise_std=float("nan"), generator=torch.Generator())
    with pytest.raises(ValueError, match=r"^X must have shape \(\*, 4\)"):
        teacher(torch.ones(2, 3, dtype=torch.float64))
