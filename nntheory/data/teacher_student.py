"""A teacher–student regression problem :math:`\\R^{10} \\to \\R^5` with label noise.

A fixed random *teacher* network :math:`g` maps Gaussian inputs to targets,
and the labels carry independent Gaussian noise:

.. math::

   x \\sim \\mathcal N(0, I_{d}), \\qquad
   y = g(x) + \\sigma_\\varepsilon\\, \\varepsilon, \\quad
   \\varepsilon \\sim \\mathcal N(0, I_{k}),

with :math:`g(x) = W_2 \\tanh(W_1 x + b_1)`. The teacher is fixed by its own
seed (:func:`make_teacher`), so that training sets of different sizes
(:math:`N = 100` and :math:`N = 500` in the double-descent exercise) are
drawn from the same distribution; the samples themselves come from the
``generator`` passed to :func:`sample_teacher_student`.

Examples
--------
>>> import torch
>>> teacher = make_teacher(seed=0)
>>> data = sample_teacher_student(teacher, 100, 1000, generator=torch.Generator().manual_seed(1))
>>> tuple(data.X_train.shape), tuple(data.y_train.shape), tuple(data.y_test.shape)
((100, 10), (100, 5), (1000, 5))
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nntheory import _checks

__all__ = ["Teacher", "TeacherStudentData", "make_teacher", "sample_teacher_student"]


@dataclass(frozen=True)
class Teacher:
    """A fixed one-hidden-layer tanh network :math:`g(x) = W_2 \\tanh(W_1 x + b_1)`.

    Attributes
    ----------
    W1 : torch.Tensor, shape (n_hidden, n_features)
    b1 : torch.Tensor, shape (n_hidden,)
    W2 : torch.Tensor, shape (n_outputs, n_hidden)
    """

    W1: torch.Tensor
    b1: torch.Tensor
    W2: torch.Tensor

    @property
    def n_features(self) -> int:
        """Input dimension :math:`d`."""
        return self.W1.shape[1]

    @property
    def n_outputs(self) -> int:
        """Output dimension :math:`k`."""
        return self.W2.shape[0]

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """Noise-free targets.

        Parameters
        ----------
        X : torch.Tensor, shape (n_samples, n_features)

        Returns
        -------
        torch.Tensor, shape (n_samples, n_outputs)
        """
        X = _checks.check_tensor(X, "X", shape=(None, self.n_features), finite=False, nonempty=False)  # NaN maps to NaN, as a network does
        W1, b1, W2 = (t.to(X.dtype) for t in (self.W1, self.b1, self.W2))
        return torch.tanh(X @ W1.T + b1) @ W2.T


@dataclass(frozen=True)
class TeacherStudentData:
    """Training and test sets drawn from one teacher.

    Attributes
    ----------
    X_train : torch.Tensor, shape (n_train, n_features)
    y_train : torch.Tensor, shape (n_train, n_outputs)
    X_test : torch.Tensor, shape (n_test, n_features)
    y_test : torch.Tensor, shape (n_test, n_outputs)
    noise_std : float
        Standard deviation :math:`\\sigma_\\varepsilon` of the label noise; the
        Bayes-optimal test loss (mean squared error per output) is
        ``noise_std ** 2``.
    """

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    noise_std: float


def make_teacher(n_features: int = 10, n_outputs: int = 5, n_hidden: int = 20, *, seed: int = 0, dtype: torch.dtype = torch.float64) -> Teacher:
    """A random teacher network, fixed by ``seed``.

    The weights are drawn with variance ``1/fan_in`` (so every target
    coordinate has variance of order one): :math:`W_1 \\sim \\mathcal N(0,
    1/d)`, :math:`b_1 \\sim \\mathcal N(0, 1)`, :math:`W_2 \\sim \\mathcal N(0,
    1/h)`.

    Parameters
    ----------
    n_features, n_outputs, n_hidden : int
        Input dimension :math:`d`, output dimension :math:`k` and teacher
        width :math:`h`.
    seed : int, default 0
        Seed of the teacher's own :class:`torch.Generator` (the teacher is
        part of the *distribution*, not of a sample).
    dtype : torch.dtype, default torch.float64

    Returns
    -------
    Teacher
    """
    n_features = _checks.check_int(n_features, "n_features", low=1)
    n_outputs = _checks.check_int(n_outputs, "n_outputs", low=1)
    n_hidden = _checks.check_int(n_hidden, "n_hidden", low=1)
    seed = _checks.check_int(seed, "seed", low=0)  # seed=1.5 is refused, not used as 1
    dtype = _checks.check_torch_float_dtype(dtype, "dtype")
    g = torch.Generator().manual_seed(seed)
    W1 = torch.randn(n_hidden, n_features, generator=g, dtype=dtype) / n_features**0.5
    b1 = torch.randn(n_hidden, generator=g, dtype=dtype)
    W2 = torch.randn(n_outputs, n_hidden, generator=g, dtype=dtype) / n_hidden**0.5
    return Teacher(W1, b1, W2)


def sample_teacher_student(teacher: Teacher, n_train: int, n_test: int, *, noise_std: float = 0.5, generator: torch.Generator, dtype: torch.dtype = torch.float64) -> TeacherStudentData:
    """Draw a training and a test set from ``teacher`` with Gaussian label noise.

    Parameters
    ----------
    teacher : Teacher
        From :func:`make_teacher`.
    n_train, n_test : int
        Numbers of training and test samples.
    noise_std : float, default 0.5
        Label-noise standard deviation :math:`\\sigma_\\varepsilon` (added to
        training *and* test labels).
    generator : torch.Generator
        Source of the inputs and the noise.
    dtype : torch.dtype, default torch.float64

    Returns
    -------
    TeacherStudentData
    """
    if not isinstance(teacher, Teacher):
        raise TypeError(f"teacher must be a Teacher, got {type(teacher).__name__}")
    n_train = _checks.check_int(n_train, "n_train", low=1)  # numpy integers accepted, 2.5 refused
    n_test = _checks.check_int(n_test, "n_test", low=1)
    noise_std = _checks.check_real(noise_std, "noise_std", low=0)  # np.float32(0.5) accepted, NaN and inf refused
    _checks.check_torch_generator(generator, "generator")
    dtype = _checks.check_torch_float_dtype(dtype, "dtype")

    def draw(n):
        X = torch.randn(n, teacher.n_features, generator=generator, dtype=dtype)
        noise = torch.randn(n, teacher.n_outputs, generator=generator, dtype=dtype)
        return X, teacher(X) + noise_std * noise

    X_train, y_train = draw(n_train)
    X_test, y_test = draw(n_test)
    return TeacherStudentData(X_train, y_train, X_test, y_test, float(noise_std))
