"""Train many one-hidden-layer MLPs of different widths at once.

A width sweep (double descent) trains dozens of small networks
:math:`f(x) = W_2\\,\\mathrm{relu}(W_1 x + b_1) + b_2`, :math:`\\R^d \\to \\R^k`,
one per width :math:`M` and seed. Each is far too small to keep a CPU busy,
so :func:`train_mlp_sweep` stacks all of them into one model with
``n_models`` batched weight tensors, every hidden layer zero-padded to the
largest width :math:`M_{\\max}`, and trains them together with one set of
batched matrix products per step.

**Why the padding is exact.** A padded hidden unit :math:`j` of model
:math:`b` starts with zero incoming weights and bias and a zero outgoing
weight row. Its pre-activation is then :math:`z_{nj} = 0`, its activation
:math:`h_{nj} = \\mathrm{relu}(0) = 0`, so it adds nothing to the output;
the gradient of its outgoing weights, :math:`\\sum_n h_{nj}\\,\\delta_n = 0`,
and of its incoming weights, :math:`\\sum_n x_n\\,(W_{2,j\\cdot}\\cdot
\\delta_n)\\,\\mathrm{relu}'(z_{nj}) = 0` (both the zero row and
:math:`\\mathrm{relu}'(0) = 0` kill it), vanish. Adam and gradient descent map a
zero gradient with zero optimiser state to a zero update, so by induction
the padded weights stay exactly zero at every step. The total loss is the
*sum* of the per-model losses, so the gradient with respect to model
:math:`b`'s weights is the gradient of its own loss alone; and both
optimisers act elementwise, so the stacked run performs, model by model,
exactly the arithmetic of a separate run, up to the order of floating-point
summation inside the matrix products. :func:`train_mlp_loop` is that
separate run (one :class:`torch.optim.Optimizer` per model); in float64 the
two agree to about 1e-10 in the losses (``tests/test_sweep.py``), in float32
to float32 rounding amplified by training.

A model of width :math:`M` has :math:`(d+1)M + (M+1)k` parameters
(:func:`mlp_n_params`); for :math:`d = 10, k = 5` that is :math:`16M + 5`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

__all__ = ["SweepResult", "mlp_n_params", "init_mlp", "train_mlp_sweep", "train_mlp_loop"]


@dataclass(frozen=True)
class SweepResult:
    """Losses of every model of a sweep (mean squared error over samples and outputs).

    Attributes
    ----------
    widths : numpy.ndarray of int, shape (n_models,)
        Hidden width :math:`M` of each model.
    seeds : numpy.ndarray of int, shape (n_models,)
        Initialisation seed of each model.
    train_loss : numpy.ndarray, shape (n_models,)
        Final training loss.
    test_loss : numpy.ndarray, shape (n_models,)
        Final test loss.
    steps : numpy.ndarray of int, shape (n_records,)
        Steps at which the training loss was recorded.
    train_history : numpy.ndarray, shape (n_records, n_models)
        Training loss at ``steps`` (before the update of that step).
    """

    widths: np.ndarray
    seeds: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    steps: np.ndarray
    train_history: np.ndarray


def mlp_n_params(n_hidden: int, n_features: int = 10, n_outputs: int = 5) -> int:
    """Number of parameters :math:`(d+1)M + (M+1)k` of a ``d -> M -> k`` MLP with biases.

    Parameters
    ----------
    n_hidden, n_features, n_outputs : int
        :math:`M`, :math:`d`, :math:`k`.

    Returns
    -------
    int
    """
    return (n_features + 1) * n_hidden + (n_hidden + 1) * n_outputs


def init_mlp(n_hidden: int, n_features: int, n_outputs: int, *, seed: int, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, ...]:
    """Initial weights of one ``d -> M -> k`` MLP, fixed by ``seed``.

    The scheme is :class:`torch.nn.Linear`'s default: every weight and bias
    of a layer with fan-in :math:`n` uniform on
    :math:`[-1/\\sqrt n, 1/\\sqrt n]`. Both :func:`train_mlp_sweep` and
    :func:`train_mlp_loop` start from these tensors.

    Parameters
    ----------
    n_hidden, n_features, n_outputs : int
        :math:`M`, :math:`d`, :math:`k`.
    seed : int
        Seed of a private :class:`torch.Generator`.
    dtype : torch.dtype, default torch.float64

    Returns
    -------
    W1 : torch.Tensor, shape (n_features, n_hidden)
    b1 : torch.Tensor, shape (n_hidden,)
    W2 : torch.Tensor, shape (n_hidden, n_outputs)
    b2 : torch.Tensor, shape (n_outputs,)
    """
    g = torch.Generator().manual_seed(int(seed))

    def uniform(shape, fan_in):
        return (2.0 * torch.rand(shape, generator=g, dtype=dtype) - 1.0) / fan_in**0.5

    W1 = uniform((n_features, n_hidden), n_features)
    b1 = uniform((n_hidden,), n_features)
    W2 = uniform((n_hidden, n_outputs), n_hidden)
    b2 = uniform((n_outputs,), n_hidden)
    return W1, b1, W2, b2


def _check_inputs(X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule):
    for name, t in (("X_train", X_train), ("y_train", y_train), ("X_test", X_test), ("y_test", y_test)):
        if not isinstance(t, torch.Tensor) or t.ndim != 2:
            raise ValueError(f"{name} must be a 2-D torch.Tensor")
    if X_train.shape[0] != y_train.shape[0] or X_test.shape[0] != y_test.shape[0]:
        raise ValueError("X and y must have the same number of samples")
    if X_train.shape[1] != X_test.shape[1] or y_train.shape[1] != y_test.shape[1]:
        raise ValueError("training and test sets must have the same numbers of features and outputs")
    widths = np.asarray(widths, dtype=int).ravel()
    seeds = np.asarray(seeds, dtype=int).ravel()
    if widths.size == 0 or widths.shape != seeds.shape:
        raise ValueError("widths and seeds must be non-empty sequences of the same length (one entry per model)")
    if widths.min() < 1:
        raise ValueError(f"widths must be positive, got minimum {widths.min()}")
    if not isinstance(n_steps, int) or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative int, got {n_steps!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if optimizer not in ("adam", "gd"):
        raise ValueError(f"optimizer must be 'adam' or 'gd', got {optimizer!r}")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    return widths, seeds


def _make_optimizer(params, optimizer, lr, schedule, n_steps):
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr)
    if schedule == "cosine":
        return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(n_steps, 1))
    return opt, None


def train_mlp_sweep(X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor, widths: Sequence[int], seeds: Sequence[int], *, n_steps: int, lr: float, optimizer: str = "adam", schedule: str = "constant", record_every: int = 100, n_buckets: int = 1, device: str | torch.device = "cpu") -> SweepResult:
    """Full-batch training of many ReLU MLPs at once, hidden layers zero-padded.

    The padded units provably stay zero (module docstring); the final
    padded weights are not returned.

    Model ``i`` has width ``widths[i]`` and starts from
    ``init_mlp(widths[i], d, k, seed=seeds[i])``. All models see the same
    data. See the module docstring for why this equals separate training.

    Parameters
    ----------
    X_train : torch.Tensor, shape (n_train, n_features)
    y_train : torch.Tensor, shape (n_train, n_outputs)
    X_test : torch.Tensor, shape (n_test, n_features)
    y_test : torch.Tensor, shape (n_test, n_outputs)
    widths, seeds : sequence of int, length n_models
        Width and initialisation seed of each model.
    n_steps : int
        Number of full-batch optimiser steps.
    lr : float
        Learning rate.
    optimizer : {"adam", "gd"}, default "adam"
        :class:`torch.optim.Adam` with default betas, or plain gradient
        descent (:class:`torch.optim.SGD` without momentum).
    schedule : {"constant", "cosine"}, default "constant"
        Constant learning rate, or cosine decay from ``lr`` to 0 over
        ``n_steps`` (:class:`torch.optim.lr_scheduler.CosineAnnealingLR`).
    record_every : int, default 100
        Record the training losses every this many steps.
    n_buckets : int, default 1
        Sort the models by width and train them as this many separate
        stacks of consecutive widths, each padded only to its own largest
        width (less arithmetic wasted on padding; same results).
    device : str or torch.device, default "cpu"

    Returns
    -------
    SweepResult
        Losses are the mean squared error over samples and outputs,
        :math:`\\frac{1}{Nk}\\sum_{n,j} (f_j(x_n) - y_{nj})^2`.

    Raises
    ------
    ValueError
        On inconsistent shapes, empty or mismatched ``widths``/``seeds``,
        a non-positive ``lr`` or an unknown ``optimizer``/``schedule``.
    """
    widths, seeds = _check_inputs(X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule)
    if not isinstance(n_buckets, int) or n_buckets < 1:
        raise ValueError(f"n_buckets must be a positive int, got {n_buckets!r}")
    order = np.argsort(widths, kind="stable")
    parts = [_train_stack(X_train, y_train, X_test, y_test, widths[idx], seeds[idx], n_steps, lr, optimizer, schedule, record_every, device)
             for idx in np.array_split(order, min(n_buckets, len(widths)))]
    train_loss, test_loss = np.empty(len(widths)), np.empty(len(widths))
    history = np.empty((len(parts[0][2]), len(widths)))
    for idx, (tr, te, hist, steps, _) in zip(np.array_split(order, min(n_buckets, len(widths))), parts):
        train_loss[idx], test_loss[idx], history[:, idx] = tr, te, hist
    return SweepResult(widths, seeds, train_loss, test_loss, steps, history)


def _train_stack(X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule, record_every, device):
    """One zero-padded stack; returns (train_loss, test_loss, history, steps, final stacked params)."""
    dtype = X_train.dtype
    d, k = X_train.shape[1], y_train.shape[1]
    B, M = len(widths), int(widths.max())
    # Stacked, zero-padded parameters.
    W1 = torch.zeros(B, d, M, dtype=dtype)  # (n_models, n_features, max_width)
    b1 = torch.zeros(B, 1, M, dtype=dtype)
    W2 = torch.zeros(B, M, k, dtype=dtype)  # (n_models, max_width, n_outputs)
    b2 = torch.zeros(B, 1, k, dtype=dtype)
    for i, (m, s) in enumerate(zip(widths, seeds)):
        w1, c1, w2, c2 = init_mlp(int(m), d, k, seed=int(s), dtype=dtype)
        W1[i, :, :m], b1[i, 0, :m], W2[i, :m, :], b2[i, 0, :] = w1, c1, w2, c2
    params = [t.to(device).requires_grad_() for t in (W1, b1, W2, b2)]
    Xtr, ytr, Xte, yte = (t.to(device) for t in (X_train, y_train, X_test, y_test))
    opt, sched = _make_optimizer(params, optimizer, lr, schedule, n_steps)

    def per_model_loss(X, y):
        W1, b1, W2, b2 = params
        H = torch.relu(torch.baddbmm(b1, X.expand(B, *X.shape), W1))  # (n_models, n_samples, max_width)
        out = torch.baddbmm(b2, H, W2)  # (n_models, n_samples, n_outputs)
        return ((out - y) ** 2).mean(dim=(1, 2))  # (n_models,)

    steps, history = [], []
    for step in range(n_steps):
        opt.zero_grad(set_to_none=False)
        losses = per_model_loss(Xtr, ytr)
        if step % record_every == 0:
            steps.append(step)
            history.append(losses.detach().cpu().numpy().copy())
        losses.sum().backward()
        opt.step()
        if sched is not None:
            sched.step()
    with torch.no_grad():
        train_loss = per_model_loss(Xtr, ytr).cpu().numpy()
        test_loss = per_model_loss(Xte, yte).cpu().numpy()
    steps.append(n_steps)
    history.append(train_loss.copy())
    return train_loss, test_loss, np.stack(history), np.asarray(steps), [t.detach() for t in params]


def train_mlp_loop(X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor, widths: Sequence[int], seeds: Sequence[int], *, n_steps: int, lr: float, optimizer: str = "adam", schedule: str = "constant", record_every: int = 100, device: str | torch.device = "cpu") -> SweepResult:
    """The reference for :func:`train_mlp_sweep`: the same models trained one by one.

    Each model is an unpadded ``d -> M -> k`` MLP with its own
    :class:`torch.optim.Optimizer`. Parameters and return value as in
    :func:`train_mlp_sweep`.

    Parameters
    ----------
    X_train : torch.Tensor, shape (n_train, n_features)
    y_train : torch.Tensor, shape (n_train, n_outputs)
    X_test : torch.Tensor, shape (n_test, n_features)
    y_test : torch.Tensor, shape (n_test, n_outputs)
    widths, seeds : sequence of int, length n_models
    n_steps : int
    lr : float
    optimizer : {"adam", "gd"}, default "adam"
    schedule : {"constant", "cosine"}, default "constant"
    record_every : int, default 100
    device : str or torch.device, default "cpu"

    Returns
    -------
    SweepResult
    """
    widths, seeds = _check_inputs(X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule)
    d, k = X_train.shape[1], y_train.shape[1]
    Xtr, ytr, Xte, yte = (t.to(device) for t in (X_train, y_train, X_test, y_test))
    n_rec = len(range(0, n_steps, record_every)) + 1
    history = np.empty((n_rec, len(widths)))
    train_loss, test_loss = np.empty(len(widths)), np.empty(len(widths))

    for i, (m, s) in enumerate(zip(widths, seeds)):
        params = [t.to(device).requires_grad_() for t in init_mlp(int(m), d, k, seed=int(s), dtype=X_train.dtype)]
        opt, sched = _make_optimizer(params, optimizer, lr, schedule, n_steps)

        def loss(X, y):
            W1, b1, W2, b2 = params
            return ((torch.relu(X @ W1 + b1) @ W2 + b2 - y) ** 2).mean()

        r = 0
        for step in range(n_steps):
            opt.zero_grad()
            value = loss(Xtr, ytr)
            if step % record_every == 0:
                history[r, i] = value.item()
                r += 1
            value.backward()
            opt.step()
            if sched is not None:
                sched.step()
        with torch.no_grad():
            train_loss[i] = loss(Xtr, ytr).item()
            test_loss[i] = loss(Xte, yte).item()
        history[r, i] = train_loss[i]
    steps = np.append(np.arange(0, n_steps, record_every), n_steps)
    return SweepResult(widths, seeds, train_loss, test_loss, steps, history)
