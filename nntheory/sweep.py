"""Train many one-hidden-layer MLPs of different widths at once.

A width sweep (double descent) trains dozens of small networks
:math:`f(x) = W_2^\\top \\sigma(W_1^\\top x + b_1) + b_2`, :math:`\\R^d \\to \\R^k`,
:math:`\\sigma \\in \\{\\mathrm{relu}, \\tanh\\}`, one per width :math:`M` and
seed. Each is far too small to keep a CPU busy, so :func:`train_mlp_sweep`
stacks all of them into one model with ``n_models`` batched weight tensors,
every hidden layer zero-padded to the largest width :math:`M_{\\max}`, and
trains them together with one set of batched matrix products per step.

**Why the padding is exact.** A padded hidden unit :math:`j` of model
:math:`b` starts with zero incoming weights and bias and a zero outgoing
weight row. Its pre-activation is then :math:`z_{nj} = 0`, its activation
:math:`h_{nj} = \\sigma(0) = 0` (both activations vanish at 0), so it adds
nothing to the output; the gradient of its outgoing weights,
:math:`\\sum_n h_{nj}\\,\\delta_n = 0`, and of its incoming weights,
:math:`\\sum_n x_n\\,(W_{2,j\\cdot}\\cdot \\delta_n)\\,\\sigma'(z_{nj}) = 0`
(the zero row kills it), vanish. Adam and gradient descent map a zero
gradient with zero optimiser state to a zero update, so by induction the
padded weights stay exactly zero at every step. The total loss is the *sum*
of the per-model losses, so the gradient with respect to model :math:`b`'s
weights is the gradient of its own loss alone; and both optimisers act
elementwise, so the stacked run performs, model by model, exactly the
arithmetic of a separate run, up to the order of floating-point summation
inside the matrix products. :func:`train_mlp_loop` is that separate run (one
:class:`torch.optim.Optimizer` per model); in float64 the two agree to about
1e-10 in the losses (``tests/test_sweep.py``), in float32 to float32
rounding amplified by training.

**Training to convergence.** First-order training leaves networks near the
interpolation threshold with a training loss that is still falling. With
``newton_iter > 0`` (tanh only) every network is then finished by
:func:`nntheory.newton.newton_refine` in float64, exact Hessian, until its
gradient norm is at most ``gtol``; the networks of one width are refined
together, unpadded.

A model of width :math:`M` has :math:`(d+1)M + (M+1)k` parameters
(:func:`mlp_n_params`); for :math:`d = 10, k = 5` that is :math:`16M + 5`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from nntheory.newton import mlp_mse, newton_refine

__all__ = ["SweepResult", "mlp_n_params", "init_mlp", "train_mlp_sweep", "train_mlp_loop"]

_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


@dataclass(frozen=True)
class SweepResult:
    """Losses and final weights of every model of a sweep (losses are mean squared errors over samples and outputs).

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
    grad_norm : numpy.ndarray, shape (n_models,)
        Euclidean norm of the gradient of the final training loss.
    steps : numpy.ndarray of int, shape (n_records,)
        Optimiser steps at which the training loss was recorded.
    train_history : numpy.ndarray, shape (n_records, n_models)
        Training loss at ``steps`` (before the update of that step).
    weights : list of tuple of torch.Tensor, length n_models
        Final ``(W1, b1, W2, b2)`` of each model, unpadded, shapes
        ``(d, M), (M,), (M, k), (k,)``.
    newton_iter : numpy.ndarray of int, shape (n_models,)
        Newton iterations each model took after the first-order phase (0
        without a Newton phase).
    newton_history : numpy.ndarray, shape (newton_iter_max + 1, n_models)
        Training loss before each Newton iteration, ``nan`` once converged
        (no rows without a Newton phase).
    min_eigenvalue : numpy.ndarray, shape (n_models,)
        Smallest eigenvalue of the final Hessian, computed only for models
        with fewer parameters than training targets (``n_train * n_outputs``),
        which cannot interpolate and whose minima need this check; ``nan``
        otherwise and without a Newton phase.
    """

    widths: np.ndarray
    seeds: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    grad_norm: np.ndarray
    steps: np.ndarray
    train_history: np.ndarray
    weights: list
    newton_iter: np.ndarray
    newton_history: np.ndarray
    min_eigenvalue: np.ndarray


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


def _check_inputs(X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule, activation, newton_iter, gtol):
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
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be 'relu' or 'tanh', got {activation!r}")
    if not isinstance(newton_iter, int) or newton_iter < 0:
        raise ValueError(f"newton_iter must be a non-negative int, got {newton_iter!r}")
    if newton_iter and activation != "tanh":
        raise ValueError("newton_iter > 0 needs activation='tanh' (Newton's method needs a twice-differentiable activation)")
    if not gtol > 0:
        raise ValueError(f"gtol must be positive, got {gtol!r}")
    return widths, seeds


def _make_optimizer(params, optimizer, lr, schedule, n_steps):
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr)
    if schedule == "cosine":
        return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(n_steps, 1))
    return opt, None


def _stack_mse(X, y, W1, b1, W2, b2, activation):
    """Per-model MSE of stacked networks: W1 (B, d, M), b1 (B, M), W2 (B, M, k), b2 (B, k) -> (B,)."""
    H = _ACTIVATIONS[activation](torch.baddbmm(b1[:, None, :], X.expand(W1.shape[0], *X.shape), W1))  # (B, n_samples, M)
    out = torch.baddbmm(b2[:, None, :], H, W2)  # (B, n_samples, k)
    return ((out - y) ** 2).mean(dim=(1, 2))


def train_mlp_sweep(X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor, widths: Sequence[int], seeds: Sequence[int], *, n_steps: int, lr: float, optimizer: str = "adam", schedule: str = "constant", activation: str = "relu", newton_iter: int = 0, gtol: float = 1e-10, record_every: int = 100, n_buckets: int = 1, device: str | torch.device = "cpu") -> SweepResult:
    """Full-batch training of many MLPs at once, hidden layers zero-padded.

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
        Number of full-batch first-order steps.
    lr : float
        Learning rate.
    optimizer : {"adam", "gd"}, default "adam"
        :class:`torch.optim.Adam` with default betas, or plain gradient
        descent (:class:`torch.optim.SGD` without momentum).
    schedule : {"constant", "cosine"}, default "constant"
        Constant learning rate, or cosine decay from ``lr`` to 0 over
        ``n_steps`` (:class:`torch.optim.lr_scheduler.CosineAnnealingLR`).
    activation : {"relu", "tanh"}, default "relu"
        Hidden-layer nonlinearity :math:`\\sigma`.
    newton_iter : int, default 0
        If positive, finish every model with at most this many Newton
        iterations (:func:`nntheory.newton.newton_refine`, float64, exact
        Hessian); needs ``activation="tanh"``.
    gtol : float, default 1e-10
        Gradient-norm tolerance of the Newton phase.
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
        :math:`\\frac{1}{Nk}\\sum_{n,j} (f_j(x_n) - y_{nj})^2`. After a
        Newton phase the losses, gradient norms and weights are those of the
        float64 networks.

    Raises
    ------
    ValueError
        On inconsistent shapes, empty or mismatched ``widths``/``seeds``,
        a non-positive ``lr`` or ``gtol``, an unknown
        ``optimizer``/``schedule``/``activation``, or ``newton_iter > 0``
        with ReLU.
    """
    widths, seeds = _check_inputs(X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule, activation, newton_iter, gtol)
    if not isinstance(n_buckets, int) or n_buckets < 1:
        raise ValueError(f"n_buckets must be a positive int, got {n_buckets!r}")
    n = len(widths)
    train_loss, test_loss, grad_norm, weights = np.empty(n), np.empty(n), np.empty(n), [None] * n
    history = None
    for idx in np.array_split(np.argsort(widths, kind="stable"), min(n_buckets, n)):
        tr, te, gn, hist, steps, (W1, b1, W2, b2) = _train_stack(X_train, y_train, X_test, y_test, widths[idx], seeds[idx], n_steps, lr, optimizer, schedule, activation, record_every, device)
        history = np.empty((len(steps), n)) if history is None else history
        train_loss[idx], test_loss[idx], grad_norm[idx], history[:, idx] = tr, te, gn, hist
        for j, i in enumerate(idx):
            m = widths[i]
            weights[i] = (W1[j, :, :m], b1[j, :m], W2[j, :m], b2[j])
    result = SweepResult(widths, seeds, train_loss, test_loss, grad_norm, steps, history, weights,
                         np.zeros(n, dtype=int), np.empty((0, n)), np.full(n, np.nan))
    if not newton_iter:
        return result
    by_width = [np.flatnonzero(widths == m) for m in np.unique(widths)]
    return _newton_phase(result, by_width, X_train, y_train, X_test, y_test, newton_iter, gtol, device)


def _train_stack(X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule, activation, record_every, device):
    """One zero-padded stack; returns (train_loss, test_loss, grad_norm, history, steps, final stacked params)."""
    dtype = X_train.dtype
    d, k = X_train.shape[1], y_train.shape[1]
    B, M = len(widths), int(widths.max())
    # Stacked, zero-padded parameters.
    W1 = torch.zeros(B, d, M, dtype=dtype)  # (n_models, n_features, max_width)
    b1 = torch.zeros(B, M, dtype=dtype)
    W2 = torch.zeros(B, M, k, dtype=dtype)  # (n_models, max_width, n_outputs)
    b2 = torch.zeros(B, k, dtype=dtype)
    for i, (m, s) in enumerate(zip(widths, seeds)):
        W1[i, :, :m], b1[i, :m], W2[i, :m, :], b2[i, :] = init_mlp(int(m), d, k, seed=int(s), dtype=dtype)
    params = [t.to(device).requires_grad_() for t in (W1, b1, W2, b2)]
    Xtr, ytr, Xte, yte = (t.to(device) for t in (X_train, y_train, X_test, y_test))
    opt, sched = _make_optimizer(params, optimizer, lr, schedule, n_steps)

    steps, history = [], []
    for step in range(n_steps):
        opt.zero_grad(set_to_none=False)
        losses = _stack_mse(Xtr, ytr, *params, activation)
        if step % record_every == 0:
            steps.append(step)
            history.append(losses.detach().cpu().numpy().copy())
        losses.sum().backward()
        opt.step()
        if sched is not None:
            sched.step()
    # The summed loss is separable, so each model's slice of its gradient is that model's own gradient.
    losses = _stack_mse(Xtr, ytr, *params, activation)
    grads = torch.autograd.grad(losses.sum(), params)
    grad_norm = torch.sqrt(sum((g.reshape(B, -1) ** 2).sum(1) for g in grads))
    with torch.no_grad():
        test_loss = _stack_mse(Xte, yte, *params, activation).cpu().numpy()
    train_loss = losses.detach().cpu().numpy()
    steps.append(n_steps)
    history.append(train_loss.copy())
    return train_loss, test_loss, grad_norm.cpu().numpy(), np.stack(history), np.asarray(steps), [t.detach() for t in params]


def _newton_phase(result, groups, X_train, y_train, X_test, y_test, newton_iter, gtol, device):
    """Refine every model of ``result`` with Newton's method in float64, one batched run per group of equal-width models."""
    Xtr, ytr, Xte, yte = (t.to(device=device, dtype=torch.float64) for t in (X_train, y_train, X_test, y_test))
    n = len(result.widths)
    train_loss, test_loss, grad_norm, min_eig = (np.empty(n) for _ in range(4))
    n_iter, history, weights = np.empty(n, dtype=int), np.empty((newton_iter + 1, n)), list(result.weights)
    for idx in groups:
        m = int(result.widths[idx[0]])
        start = [torch.stack([result.weights[i][q] for i in idx]).to(Xtr) for q in range(4)]
        # The Hessian's smallest eigenvalue tells a minimum from a saddle only where the loss cannot reach zero.
        underparameterized = mlp_n_params(m, Xtr.shape[1], ytr.shape[1]) < ytr.numel()
        r = newton_refine(Xtr, ytr, *start, max_iter=newton_iter, gtol=gtol, eigenvalue=underparameterized, device=device)
        train_loss[idx], grad_norm[idx], min_eig[idx], n_iter[idx], history[:, idx] = r.loss, r.grad_norm, r.min_eigenvalue, r.n_iter, r.loss_history
        with torch.no_grad():
            test_loss[idx] = mlp_mse(Xte, yte, *r.weights).cpu().numpy()
        for j, i in enumerate(idx):
            weights[i] = tuple(t[j] for t in r.weights)
    return SweepResult(result.widths, result.seeds, train_loss, test_loss, grad_norm, result.steps, result.train_history,
                       weights, n_iter, history, min_eig)


def train_mlp_loop(X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor, widths: Sequence[int], seeds: Sequence[int], *, n_steps: int, lr: float, optimizer: str = "adam", schedule: str = "constant", activation: str = "relu", newton_iter: int = 0, gtol: float = 1e-10, record_every: int = 100, device: str | torch.device = "cpu") -> SweepResult:
    """The reference for :func:`train_mlp_sweep`: the same models trained one by one.

    Each model is an unpadded ``d -> M -> k`` MLP with its own
    :class:`torch.optim.Optimizer` (and its own Newton run). Parameters and
    return value as in :func:`train_mlp_sweep`.

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
    activation : {"relu", "tanh"}, default "relu"
    newton_iter : int, default 0
    gtol : float, default 1e-10
    record_every : int, default 100
    device : str or torch.device, default "cpu"

    Returns
    -------
    SweepResult
    """
    widths, seeds = _check_inputs(X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule, activation, newton_iter, gtol)
    d, k = X_train.shape[1], y_train.shape[1]
    act = _ACTIVATIONS[activation]
    Xtr, ytr, Xte, yte = (t.to(device) for t in (X_train, y_train, X_test, y_test))
    n = len(widths)
    history = np.empty((len(range(0, n_steps, record_every)) + 1, n))
    train_loss, test_loss, grad_norm = np.empty(n), np.empty(n), np.empty(n)
    weights = []

    for i, (m, s) in enumerate(zip(widths, seeds)):
        params = [t.to(device).requires_grad_() for t in init_mlp(int(m), d, k, seed=int(s), dtype=X_train.dtype)]
        opt, sched = _make_optimizer(params, optimizer, lr, schedule, n_steps)

        def loss(X, y):
            W1, b1, W2, b2 = params
            return ((act(X @ W1 + b1) @ W2 + b2 - y) ** 2).mean()

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
        value = loss(Xtr, ytr)
        grad_norm[i] = torch.sqrt(sum((g**2).sum() for g in torch.autograd.grad(value, params))).item()
        with torch.no_grad():
            train_loss[i] = value.item()
            test_loss[i] = loss(Xte, yte).item()
        history[r, i] = train_loss[i]
        weights.append(tuple(t.detach() for t in params))
    steps = np.append(np.arange(0, n_steps, record_every), n_steps)
    result = SweepResult(widths, seeds, train_loss, test_loss, grad_norm, steps, history, weights,
                         np.zeros(n, dtype=int), np.empty((0, n)), np.full(n, np.nan))
    if not newton_iter:
        return result
    return _newton_phase(result, [[i] for i in range(n)], X_train, y_train, X_test, y_test, newton_iter, gtol, device)  # each model on its own
