"""Train many one-hidden-layer MLPs of different widths at once.

A width sweep (double descent) trains dozens of small networks
:math:`f(x) = W_2^\\top \\sigma(W_1^\\top x + b_1) + b_2`, :math:`\\R^d \\to \\R^k`,
:math:`\\sigma \\in \\{\\mathrm{relu}, \\tanh\\}`, one per width :math:`M` and
seed. Each is far too small to keep a CPU busy, so :func:`train_mlp_sweep`
stacks them into a few models with batched weight tensors, every hidden
layer zero-padded to the largest width of its stack, and trains them
together with one set of batched matrix products per stack and step.

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
``newton_iter > 0`` (tanh only) every network is then finished in float64
until its gradient norm is at most ``gtol`` (or, with ``ftol``, until its
loss stops decreasing): with fewer parameters than
training targets by Newton's method with the exact Hessian
(:func:`nntheory.newton.newton_refine`, the networks of one width
together), otherwise by Gauss–Newton steps in the dual form
(:func:`nntheory.newton.gauss_newton_refine`), whose linear systems have
the same size :math:`Nk` for every width, so networks of many widths are
refined in one zero-padded stack.

**Cost.** Sorting the models by width and padding each stack only to its
own largest width saves arithmetic, but every stack costs fixed overhead
per step; :func:`plan_buckets` chooses the stacks that minimise a cost
model of one step. Gradients are written out by hand (no autograd), the
first layer of every model of the sweep is one matrix product (the inputs
are shared by all models), and Adam updates one flat buffer holding every
parameter.

A model of width :math:`M` has :math:`(d+1)M + (M+1)k` parameters
(:func:`mlp_n_params`); for :math:`d = 10, k = 5` that is :math:`16M + 5`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from nntheory import _checks
from nntheory.newton import gauss_newton_refine, mlp_mse, newton_refine

__all__ = ["SweepResult", "mlp_n_params", "init_mlp", "plan_buckets", "train_mlp_sweep", "train_mlp_loop"]

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
    newton_stalled : numpy.ndarray of bool, shape (n_models,), or None
        Second-order phase stopped by the ``ftol`` test (loss settled,
        gradient not below ``gtol``); None without a second-order phase.
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
    newton_stalled: np.ndarray | None = None


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
    n_hidden = _checks.check_int(n_hidden, "n_hidden", low=1)
    n_features = _checks.check_int(n_features, "n_features", low=1)
    n_outputs = _checks.check_int(n_outputs, "n_outputs", low=1)
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
    n_hidden = _checks.check_int(n_hidden, "n_hidden", low=1)
    n_features = _checks.check_int(n_features, "n_features", low=1)
    n_outputs = _checks.check_int(n_outputs, "n_outputs", low=1)
    seed = _checks.check_int(seed, "seed", low=0)  # seed=1.5 is refused, not used as 1
    dtype = _checks.check_torch_float_dtype(dtype, "dtype")
    g = torch.Generator().manual_seed(seed)

    def uniform(shape, fan_in):
        return (2.0 * torch.rand(shape, generator=g, dtype=dtype) - 1.0) / fan_in**0.5

    W1 = uniform((n_features, n_hidden), n_features)
    b1 = uniform((n_hidden,), n_features)
    W2 = uniform((n_hidden, n_outputs), n_hidden)
    b2 = uniform((n_outputs,), n_hidden)
    return W1, b1, W2, b2


def _check_data(X_train, y_train, X_test, y_test):
    """The four data tensors: 2-D, finite, non-empty, one floating dtype, matching samples, features and outputs."""
    X_train = _checks.check_tensor(X_train, "X_train", ndim=2)
    dtype = X_train.dtype
    y_train = _checks.check_tensor(y_train, "y_train", ndim=2, dtype=dtype, dtype_of="X_train's")
    X_test = _checks.check_tensor(X_test, "X_test", ndim=2, dtype=dtype, dtype_of="X_train's")
    y_test = _checks.check_tensor(y_test, "y_test", ndim=2, dtype=dtype, dtype_of="X_train's")
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_test and X_train must have the same number of features, got {X_test.shape[1]} and {X_train.shape[1]}")
    if y_test.shape[1] != y_train.shape[1]:
        raise ValueError(f"y_test and y_train must have the same number of outputs, got {y_test.shape[1]} and {y_train.shape[1]}")
    _checks.check_same_length({"X_train": X_train, "y_train": y_train})
    _checks.check_same_length({"X_test": X_test, "y_test": y_test})


def _check_inputs(X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule, activation, newton_iter, gtol, ftol, record_every, device):
    """Every argument of a sweep, at the public entry (nothing is checked inside the training loop)."""
    _check_data(X_train, y_train, X_test, y_test)
    widths = _checks.check_int_sequence(widths, "widths", low=1)  # widths=[2.7] is refused, not trained as width 2
    seeds = _checks.check_int_sequence(seeds, "seeds", low=0)  # seed=1.5 is refused, not used as 1
    if len(widths) != len(seeds):
        raise ValueError(f"widths and seeds must have the same length (one entry per model), got {len(widths)} and {len(seeds)}")
    n_steps = _checks.check_int(n_steps, "n_steps", low=0)
    lr = _checks.check_real(lr, "lr", low=0, low_open=True)
    _checks.check_choice(optimizer, "optimizer", ("adam", "gd"))
    _checks.check_choice(schedule, "schedule", ("constant", "cosine"))
    _checks.check_choice(activation, "activation", tuple(_ACTIVATIONS))
    newton_iter = _checks.check_int(newton_iter, "newton_iter", low=0)
    if newton_iter and activation != "tanh":
        raise ValueError("newton_iter > 0 needs activation='tanh' (Newton's method needs a twice-differentiable activation)")
    gtol = _checks.check_real(gtol, "gtol", low=0, low_open=True)
    ftol = _checks.check_real(ftol, "ftol", low=0, high=1, high_open=True)
    record_every = _checks.check_int(record_every, "record_every", low=1)  # 0 would divide by zero
    device = _checks.check_device(device)
    return np.asarray(widths, dtype=int), np.asarray(seeds, dtype=int), n_steps, lr, newton_iter, gtol, ftol, record_every, device


def _make_optimizer(params, optimizer, lr, schedule, n_steps):
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr)
    if schedule == "cosine":
        return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(n_steps, 1))
    return opt, None


# Per-step cost of a padded stack, in units of one hidden unit of one model (the padded width times the number of
# models), plus a fixed overhead per stack and step: the half-dozen kernel launches of its second layer. On a 2-core
# x86 CPU with 100 samples in float32 one stack costs about as much as 100 hidden units (per-step times of the
# 177-network benchmark sweep, benchmarks/bench_sweep_peers.py, for overheads 25..800).
_STACK_OVERHEAD = 100.0


def plan_buckets(widths: Sequence[int], *, overhead: float = _STACK_OVERHEAD, extra: float = 0.0) -> list[np.ndarray]:
    """Split models into stacks of consecutive widths that minimise a cost model of one training step.

    Sorting the models by width and padding each stack only to its own
    largest width wastes less arithmetic on padding, but every stack costs a
    fixed overhead per step (its own kernel launches). The cost of a stack
    of ``B`` models padded to width ``M`` is taken as
    ``overhead + B * (M + extra)``; the partition of the sorted widths into
    contiguous stacks with the least total cost is found exactly by dynamic
    programming over the split points (``O(n_models**2)``).

    Parameters
    ----------
    widths : sequence of int, length n_models
        Hidden width of each model.
    overhead : float, default 100
        Fixed cost of one stack, in units of one hidden unit of one model.
    extra : float, default 0
        Cost per model that does not depend on the padded width (for
        example a factorisation whose size is fixed by the data).

    Returns
    -------
    list of numpy.ndarray of int
        Indices into ``widths`` of the models of each stack, stacks in
        increasing width; every index appears exactly once.

    Raises
    ------
    ValueError
        If ``widths`` is empty or not positive, or ``overhead`` or ``extra``
        is negative or not finite.
    """
    w = np.asarray(_checks.check_int_sequence(widths, "widths", low=1), dtype=int)
    overhead = _checks.check_real(overhead, "overhead", low=0)
    extra = _checks.check_real(extra, "extra", low=0)
    order = np.argsort(w, kind="stable")
    ws = w[order].astype(float)
    n = len(ws)
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    split = np.zeros(n + 1, dtype=int)
    for j in range(1, n + 1):  # best[j]: cheapest partition of the j narrowest models; its last stack ends at j - 1
        i = np.arange(j)
        cost = best[:j] + overhead + (j - i) * (ws[j - 1] + extra)
        split[j] = int(np.argmin(cost))
        best[j] = cost[split[j]]
    stacks, j = [], n
    while j > 0:
        stacks.append(order[split[j]:j])
        j = split[j]
    return stacks[::-1]


def _activation_and_slope(activation):
    """sigma, and sigma' computed in place from sigma's output (which it overwrites)."""
    if activation == "tanh":
        return torch.tanh, lambda H: H.mul_(H).neg_().add_(1.0)  # 1 - tanh^2
    return torch.relu, lambda H: H.gt_(0.0)  # 1 where relu > 0, else 0


class _Stacks:
    """All models of a sweep in one flat parameter buffer, as zero-padded stacks of consecutive widths.

    Stack ``s`` holds ``B`` models padded to width ``M`` as views into the buffer, each weight matrix stored
    transposed: ``W1t (B, M, d)``, ``b1 (B, M)``, ``W2t (B, k, M)``, ``b2 (B, k)``. The first-layer weights of all
    stacks are laid out one after the other, so together they are *one* ``(U, d)`` matrix, ``U`` the number of
    (padded) hidden units of the whole sweep: the pre-activations of every model are one product with the shared
    inputs, ``W1 @ X.T`` of shape ``(U, N)``, whose rows of stack ``s`` already form the ``(B, M, N)`` layout its
    batched second layer needs (no tensor is ever copied to change its layout), and the first-layer gradient of every
    model is one product too. The gradients live in a second buffer of the same layout, so an optimiser step is a few
    elementwise operations on two flat tensors.
    """

    def __init__(self, widths, seeds, stacks, d, k, dtype, device):
        self.k, self.stacks = k, stacks
        dims = [(len(idx), int(widths[idx].max())) for idx in stacks]  # (B, M) per stack
        self.n_units = sum(B * M for B, M in dims)
        self.flat = torch.zeros(self.n_units * (d + 1 + k) + sum(B for B, _ in dims) * k, dtype=dtype, device=device)
        self.grad = torch.zeros_like(self.flat)
        U = self.n_units
        blocks = [(0, U * d), (U * d, U * (d + 1)), (U * (d + 1), U * (d + 1 + k)), (U * (d + 1 + k), len(self.flat))]
        self.W1, self.b1 = self.flat[:U * d].view(U, d), self.flat[U * d:U * (d + 1)]  # every stack's first layer
        self.gW1, self.gb1 = self.grad[:U * d].view(U, d), self.grad[U * d:U * (d + 1)]
        self.params, self.grads = [], []
        unit, model = 0, 0
        for B, M in dims:
            spans = [(unit * d, (unit + B * M) * d, (B, M, d)), (unit, unit + B * M, (B, M)),
                     (unit * k, (unit + B * M) * k, (B, k, M)), (model * k, (model + B) * k, (B, k))]
            self.params.append([self.flat[start + lo:start + hi].view(shape) for (start, _), (lo, hi, shape) in zip(blocks, spans)])
            self.grads.append([self.grad[start + lo:start + hi].view(shape) for (start, _), (lo, hi, shape) in zip(blocks, spans)])
            unit, model = unit + B * M, model + B
        for (W1t, b1, W2t, b2), idx in zip(self.params, stacks):
            for j, i in enumerate(idx):
                m = int(widths[i])
                W1, b1[j, :m], W2, b2[j] = init_mlp(m, d, k, seed=int(seeds[i]), dtype=dtype)
                W1t[j, :m], W2t[j, :, :m] = W1.T, W2.T

    def losses(self, X, y, sigma, slope_inplace=None, want_loss=True):
        """Per-model MSE, one (B,) tensor per stack (None without ``want_loss``); with ``slope_inplace``, also fill
        ``self.grad`` with the per-model gradients.

        ``X`` and ``y`` are the inputs and targets transposed, ``(d, N)`` and ``(k, N)``. The gradient is that of the
        sum over models of each model's MSE; the sum is separable, so model ``b``'s slice is its own gradient.
        """
        d, N = X.shape
        c = 2.0 / y.numel()
        H_all = sigma(torch.addmm(self.b1[:, None], self.W1, X))  # hidden units of every model (U, N)
        dZ_all = torch.empty_like(H_all) if slope_inplace is not None else None
        out, unit = [], 0
        for (W1t, b1, W2t, b2), (gW1t, gb1, gW2t, gb2) in zip(self.params, self.grads):
            B, M = b1.shape
            H = H_all[unit:unit + B * M].view(B, M, N)
            R = torch.baddbmm(b2[:, :, None], W2t, H).sub_(y)  # residuals (B, k, N)
            out.append((R * R).mean(dim=(1, 2)) if want_loss else None)
            if slope_inplace is not None:
                R.mul_(c)  # dL/d(output)
                torch.sum(R, dim=2, out=gb2)
                torch.bmm(R, H.transpose(1, 2), out=gW2t)
                dZ = dZ_all[unit:unit + B * M].view(B, M, N)
                torch.bmm(W2t.transpose(1, 2), R, out=dZ)  # dL/dH
            unit += B * M
        if slope_inplace is not None:
            dZ_all.mul_(slope_inplace(H_all))  # dL/d(pre-activation); H_all is overwritten by sigma'
            torch.mm(dZ_all, X.T, out=self.gW1)
            torch.sum(dZ_all, dim=1, out=self.gb1)
        return out

    def grad_norms(self):
        """Euclidean norm of each model's gradient, one (B,) tensor per stack."""
        return [((gW1t * gW1t).sum(dim=(1, 2)) + (gb1 * gb1).sum(1) + (gW2t * gW2t).sum(dim=(1, 2)) + (gb2 * gb2).sum(1)).sqrt()
                for gW1t, gb1, gW2t, gb2 in self.grads]

    def unpadded(self, n_models, widths):
        """Per-model ``(W1 (d, M), b1 (M,), W2 (M, k), b2 (k,))``, copies, in the original order."""
        weights = [None] * n_models
        for (W1t, b1, W2t, b2), idx in zip(self.params, self.stacks):
            for j, i in enumerate(idx):
                m = int(widths[i])
                weights[i] = (W1t[j, :m].T.clone(), b1[j, :m].clone(), W2t[j, :, :m].T.clone(), b2[j].clone())
        return weights


def _train_stacks(X_train, y_train, X_test, y_test, widths, seeds, stacks, n_steps, lr, optimizer, schedule, activation, record_every, device):
    """First-order phase of the sweep; returns (train_loss, test_loss, grad_norm, history, steps, weights).

    Adam is :class:`torch.optim.Adam`'s update with its default hyper-parameters, written out on the flat buffer (the
    arithmetic of its single-tensor implementation); the cosine schedule is the closed form of
    :class:`torch.optim.lr_scheduler.CosineAnnealingLR` with ``eta_min = 0``. Padded units stay exactly zero: their
    gradient is exactly zero (module docstring), and so is the update Adam and gradient descent make from it.
    """
    n, d, k = len(widths), X_train.shape[1], y_train.shape[1]
    S = _Stacks(widths, seeds, stacks, d, k, X_train.dtype, device)
    sigma, slope = _activation_and_slope(activation)
    Xtr, ytr, Xte, yte = (t.to(device).T.contiguous() for t in (X_train, y_train, X_test, y_test))  # (d, N), (k, N)
    order = np.concatenate(stacks)

    def per_model(tensors):
        values = np.empty(n)
        values[order] = torch.cat(tensors).detach().cpu().numpy()
        return values

    beta1, beta2, eps = 0.9, 0.999, 1e-8
    if optimizer == "adam":
        exp_avg, exp_avg_sq = torch.zeros_like(S.flat), torch.zeros_like(S.flat)
    steps, history = [], []
    for step in range(n_steps):
        recording = step % record_every == 0
        losses = S.losses(Xtr, ytr, sigma, slope, want_loss=recording)
        if recording:
            steps.append(step)
            history.append(per_model(losses))
        rate = lr if schedule == "constant" else 0.5 * lr * (1.0 + math.cos(math.pi * step / n_steps))
        if optimizer == "gd":
            S.flat.add_(S.grad, alpha=-rate)
            continue
        t = step + 1
        exp_avg.lerp_(S.grad, 1.0 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(S.grad, S.grad, value=1.0 - beta2)
        denom = (exp_avg_sq.sqrt() / math.sqrt(1.0 - beta2**t)).add_(eps)
        S.flat.addcdiv_(exp_avg, denom, value=-rate / (1.0 - beta1**t))
    train_loss = per_model(S.losses(Xtr, ytr, sigma, slope))
    steps.append(n_steps)
    history.append(train_loss.copy())
    grad_norm = per_model(S.grad_norms())
    test_loss = per_model(S.losses(Xte, yte, sigma))
    return train_loss, test_loss, grad_norm, np.stack(history), np.asarray(steps), S.unpadded(n, widths)


def train_mlp_sweep(X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor, widths: Sequence[int], seeds: Sequence[int], *, n_steps: int, lr: float, optimizer: str = "adam", schedule: str = "constant", activation: str = "relu", newton_iter: int = 0, gtol: float = 1e-10, ftol: float = 0.0, record_every: int = 100, n_buckets: int | str = "auto", device: str | torch.device = "cpu") -> SweepResult:
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
    ftol : float, default 0
        Also stop a network of the Newton phase, as stalled, once its loss
        fell by less than this fraction over 10 iterations (see
        :func:`nntheory.newton.newton_refine`); 0 disables the test.
    record_every : int, default 100
        Record the training losses every this many steps.
    n_buckets : int or "auto", default "auto"
        Sort the models by width and train them as separate stacks of
        consecutive widths, each padded only to its own largest width. An
        int gives that many stacks of (nearly) equal numbers of models;
        ``"auto"`` chooses the stacks by a cost model of one step
        (:func:`plan_buckets`). The results are the same up to the order of
        floating-point summation.
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
    TypeError
        If a data argument is not a floating torch tensor of ``X_train``'s
        dtype, or a count (``n_steps``, ``record_every``, ``newton_iter``,
        an entry of ``widths`` or ``seeds``) is not an integer.
    ValueError
        On inconsistent shapes, NaN or inf in the data, empty or mismatched
        ``widths``/``seeds``, widths < 1, negative seeds, a non-positive or
        non-finite ``lr`` or ``gtol``, ``ftol`` outside [0, 1),
        ``record_every < 1``, an unknown
        ``optimizer``/``schedule``/``activation``, or ``newton_iter > 0``
        with ReLU. All checks run before any training.
    """
    widths, seeds, n_steps, lr, newton_iter, gtol, ftol, record_every, device = _check_inputs(
        X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule, activation, newton_iter, gtol, ftol, record_every, device)
    if isinstance(n_buckets, str):
        _checks.check_choice(n_buckets, "n_buckets", ("auto",))
        stacks = plan_buckets(widths)
    else:
        n_buckets = _checks.check_int(n_buckets, "n_buckets", low=1)
        stacks = np.array_split(np.argsort(widths, kind="stable"), min(n_buckets, len(widths)))
    n = len(widths)
    train_loss, test_loss, grad_norm, history, steps, weights = _train_stacks(
        X_train, y_train, X_test, y_test, widths, seeds, stacks, n_steps, lr, optimizer, schedule, activation, record_every, device)
    result = SweepResult(widths, seeds, train_loss, test_loss, grad_norm, steps, history, weights,
                         np.zeros(n, dtype=int), np.empty((0, n)), np.full(n, np.nan))
    if not newton_iter:
        return result
    return _newton_phase(result, X_train, y_train, X_test, y_test, newton_iter, gtol, ftol, device)


# Cost of one dual Gauss-Newton iteration per network, in the units of plan_buckets: building K = J J^T costs
# 2 (Nk)^2 M flops, its Cholesky factorisation (Nk)^3 / 3, so in units of 2 (Nk)^2 flops per hidden unit a network
# costs M + Nk / 6, and the fixed overhead of a stack (about 30 small kernels) is worth a few dozen hidden units.
_GN_OVERHEAD = 50.0


def _newton_phase(result, X_train, y_train, X_test, y_test, newton_iter, gtol, ftol, device, one_by_one=False):
    """Refine every model of ``result`` in float64 until its gradient norm is at most ``gtol``.

    Models with fewer parameters than training targets cannot interpolate: Newton's method with the exact Hessian,
    one batched run per width. The others: dual Gauss-Newton (Levenberg-Marquardt) in zero-padded stacks of mixed
    widths chosen by :func:`plan_buckets`. ``one_by_one`` refines each model on its own (the reference loop).
    """
    Xtr, ytr, Xte, yte = (t.to(device=device, dtype=torch.float64) for t in (X_train, y_train, X_test, y_test))
    n, (d, k) = len(result.widths), (Xtr.shape[1], ytr.shape[1])
    widths = result.widths
    train_loss, test_loss, grad_norm, min_eig = (np.empty(n) for _ in range(4))
    n_iter, history, weights = np.empty(n, dtype=int), np.empty((newton_iter + 1, n)), list(result.weights)
    stalled = np.zeros(n, dtype=bool)
    under = np.array([mlp_n_params(int(m), d, k) < ytr.numel() for m in widths])
    if one_by_one:
        groups = [np.array([i]) for i in range(n)]
    else:
        groups = [np.flatnonzero(under & (widths == m)) for m in np.unique(widths[under])]
        over = np.flatnonzero(~under)
        if over.size:
            groups += [over[idx] for idx in plan_buckets(widths[over], overhead=_GN_OVERHEAD, extra=ytr.numel() / 6)]
    for idx in groups:
        M = int(widths[idx].max())
        start = [torch.zeros(len(idx), *shape, dtype=torch.float64, device=device) for shape in ((d, M), (M,), (M, k), (k,))]
        for j, i in enumerate(idx):  # zero-padded to the widest model of the group
            m = int(widths[i])
            start[0][j, :, :m], start[1][j, :m], start[2][j, :m], start[3][j] = (w.to(start[0]) for w in result.weights[i])
        if under[idx[0]]:
            # The Hessian's smallest eigenvalue tells a minimum from a saddle only where the loss cannot reach zero.
            r = newton_refine(Xtr, ytr, *start, max_iter=newton_iter, gtol=gtol, eigenvalue=True, ftol=ftol, device=device)
        else:
            r = gauss_newton_refine(Xtr, ytr, *start, max_iter=newton_iter, gtol=gtol, ftol=ftol, device=device)
        train_loss[idx], grad_norm[idx], min_eig[idx], n_iter[idx], history[:, idx] = r.loss, r.grad_norm, r.min_eigenvalue, r.n_iter, r.loss_history
        stalled[idx] = r.stalled
        with torch.no_grad():
            test_loss[idx] = mlp_mse(Xte, yte, *r.weights).cpu().numpy()
        for j, i in enumerate(idx):
            m = int(widths[i])
            W1, b1, W2, b2 = (t[j] for t in r.weights)
            weights[i] = (W1[:, :m], b1[:m], W2[:m], b2)
    return SweepResult(result.widths, result.seeds, train_loss, test_loss, grad_norm, result.steps, result.train_history,
                       weights, n_iter, history, min_eig, stalled)


def train_mlp_loop(X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor, widths: Sequence[int], seeds: Sequence[int], *, n_steps: int, lr: float, optimizer: str = "adam", schedule: str = "constant", activation: str = "relu", newton_iter: int = 0, gtol: float = 1e-10, ftol: float = 0.0, record_every: int = 100, device: str | torch.device = "cpu") -> SweepResult:
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
    ftol : float, default 0
    record_every : int, default 100
    device : str or torch.device, default "cpu"

    Returns
    -------
    SweepResult
    """
    widths, seeds, n_steps, lr, newton_iter, gtol, ftol, record_every, device = _check_inputs(
        X_train, y_train, X_test, y_test, widths, seeds, n_steps, lr, optimizer, schedule, activation, newton_iter, gtol, ftol, record_every, device)
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
    return _newton_phase(result, X_train, y_train, X_test, y_test, newton_iter, gtol, ftol, device, one_by_one=True)
