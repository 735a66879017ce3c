"""Many copies of :class:`nntheory.models.mlp.MLP` trained at once, one batched product per layer.

A seed study or a learning-rate sweep trains dozens of small MLPs of one
architecture. Each is too small to keep a CPU busy, so :class:`MLPEnsemble`
stacks the parameters of ``n_members`` such networks along a leading axis
(weights ``(n_members, n_out, n_in)``, biases, batch-norm scales, shifts and
running statistics ``(n_members, width)``) and evaluates all of them with
one batched matrix product per layer. :func:`train_sgd` trains them with
plain mini-batch SGD, each member on its own batches (one
``numpy.random.Generator`` per member) and with its own learning rate.

**Why this is the same training as separate runs.** The loss that is
differentiated is the *sum* of the members' mean cross-entropies; member
:math:`k`'s parameters enter only its own term, so their gradient is the
gradient of its own loss alone, and the SGD update acts elementwise. Batch
normalisation takes its statistics over each member's own batch (the
sample axis, never the member axis). So the ensemble performs, member by
member, the arithmetic of :func:`nntheory.models.mlp.train_sgd` on that
member, up to the order of floating-point summation inside the products;
``tests/test_models_mlp_ensemble.py`` checks this in float64 against
separate runs. A member whose loss becomes NaN does not affect the others.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import nn

from nntheory._checks import check_bool, check_int, check_real, check_rng, check_sequence, check_tensor
from nntheory.models.mlp import MLP
from nntheory.numpy_nn.mlp import History, minibatch_indices

__all__ = ["MLPEnsemble", "train_sgd", "accuracy"]

_ACT = {"relu": torch.relu, "elu": nn.functional.elu}


class MLPEnsemble(nn.Module):
    """``n_members`` MLPs of one architecture, with stacked parameters.

    Build it with :meth:`from_models` from :class:`nntheory.models.mlp.MLP`
    instances (which drew their own initial weights), and get members back
    with :meth:`member`.

    Attributes
    ----------
    weights, biases : torch.nn.ParameterList
        Per linear layer ``l``: ``weights[l]`` of shape
        ``(n_members, n_out, n_in)`` and ``biases[l]`` of shape
        ``(n_members, n_out)``.
    bn_weights, bn_biases : torch.nn.ParameterList
        Per hidden layer, the batch-norm :math:`\\gamma` and :math:`\\beta`,
        shape ``(n_members, width)`` (empty without batch norm).
    running_means, running_vars : list of Tensor
        Batch-norm running statistics, shape ``(n_members, width)``.

    Notes
    -----
    Batch norm uses ``torch.nn.BatchNorm1d``'s conventions (``eps``,
    ``momentum`` taken from the template, biased batch variance for the
    output, unbiased for the running estimate). The batch counter
    ``num_batches_tracked`` is not kept: with a fixed momentum torch does not
    use it.
    """

    def __init__(self, template: MLP, n_members: int) -> None:
        super().__init__()
        if not isinstance(template, MLP):
            raise TypeError(f"template must be a nntheory.models.mlp.MLP, got {type(template).__name__}")
        self.n_members = check_int(n_members, "n_members", low=1)
        self.activation, self.batch_norm = template.activation, template.batch_norm
        self.n_inputs, self.n_classes = template.n_inputs, template.n_classes
        linears = [m for m in template.layers if isinstance(m, nn.Linear)]
        norms = [m for m in template.layers if isinstance(m, nn.BatchNorm1d)]
        self.hidden_sizes = [m.out_features for m in linears[:-1]]
        self.eps = norms[0].eps if norms else 1e-5
        self.momentum = norms[0].momentum if norms else 0.1
        E, dt = self.n_members, linears[0].weight.dtype
        self.weights = nn.ParameterList(nn.Parameter(torch.zeros(E, *m.weight.shape, dtype=dt)) for m in linears)
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(E, m.out_features, dtype=dt)) for m in linears)
        self.bn_weights = nn.ParameterList(nn.Parameter(torch.ones(E, h, dtype=dt)) for h in (self.hidden_sizes if self.batch_norm else []))
        self.bn_biases = nn.ParameterList(nn.Parameter(torch.zeros(E, h, dtype=dt)) for h in (self.hidden_sizes if self.batch_norm else []))
        for i, h in enumerate(self.hidden_sizes if self.batch_norm else []):
            self.register_buffer(f"running_mean_{i}", torch.zeros(E, h, dtype=dt))
            self.register_buffer(f"running_var_{i}", torch.ones(E, h, dtype=dt))

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the parameters (follows ``.to(dtype)``)."""
        return self.weights[0].dtype

    @property
    def running_means(self) -> list[torch.Tensor]:
        return [getattr(self, f"running_mean_{i}") for i in range(len(self.bn_weights))]

    @property
    def running_vars(self) -> list[torch.Tensor]:
        return [getattr(self, f"running_var_{i}") for i in range(len(self.bn_weights))]

    @classmethod
    def from_models(cls, models: Sequence[MLP]) -> "MLPEnsemble":
        """Stack the parameters (and batch-norm running statistics) of ``models``.

        Parameters
        ----------
        models : sequence of nntheory.models.mlp.MLP
            At least one; all of one architecture, activation, batch-norm
            setting and dtype.

        Returns
        -------
        MLPEnsemble
            Member ``k`` computes what ``models[k]`` computes.
        """
        models = check_sequence(models, "models")
        for k, m in enumerate(models):
            if not isinstance(m, MLP):
                raise TypeError(f"models[{k}] must be a nntheory.models.mlp.MLP, got {type(m).__name__}")
        keys = [{k: (v.shape, v.dtype) for k, v in m.state_dict().items()} for m in models]
        if any(k != keys[0] for k in keys) or len({(m.activation, m.batch_norm) for m in models}) > 1:
            raise ValueError("models must all have the same architecture, activation, batch-norm setting and dtype")
        ens = cls(models[0], len(models))
        with torch.no_grad():
            for k, m in enumerate(models):
                ens._load_member(k, m)
        return ens

    def _load_member(self, k: int, model: MLP) -> None:
        linears = [m for m in model.layers if isinstance(m, nn.Linear)]
        norms = [m for m in model.layers if isinstance(m, nn.BatchNorm1d)]
        for l, lin in enumerate(linears):
            self.weights[l][k] = lin.weight
            self.biases[l][k] = lin.bias
        for i, bn in enumerate(norms):
            self.bn_weights[i][k] = bn.weight
            self.bn_biases[i][k] = bn.bias
            self.running_means[i][k] = bn.running_mean
            self.running_vars[i][k] = bn.running_var

    @torch.no_grad()
    def member(self, k: int) -> MLP:
        """A new :class:`nntheory.models.mlp.MLP` holding member ``k``'s parameters and statistics."""
        k = check_int(k, "k", low=0, high=self.n_members - 1)
        model = MLP(self.n_inputs, self.hidden_sizes, self.n_classes, generator=torch.Generator(),
                    activation=self.activation, batch_norm=self.batch_norm, dtype=self.dtype)
        linears = [m for m in model.layers if isinstance(m, nn.Linear)]
        norms = [m for m in model.layers if isinstance(m, nn.BatchNorm1d)]
        for l, lin in enumerate(linears):
            lin.weight.copy_(self.weights[l][k])
            lin.bias.copy_(self.biases[l][k])
        for i, bn in enumerate(norms):
            bn.weight.copy_(self.bn_weights[i][k])
            bn.bias.copy_(self.bn_biases[i][k])
            bn.running_mean.copy_(self.running_means[i][k])
            bn.running_var.copy_(self.running_vars[i][k])
        return model

    def _check_input(self, X: torch.Tensor) -> torch.Tensor:
        X = check_tensor(X, "X", ndim=(2, 3), dtype=self.dtype, dtype_of="the ensemble's", finite=False)
        if X.shape[-1] != self.n_inputs or (X.ndim == 3 and X.shape[0] != self.n_members):
            raise ValueError(f"X must have shape (n_samples, {self.n_inputs}) or "
                             f"({self.n_members}, n_samples, {self.n_inputs}), got {tuple(X.shape)}")
        return X if X.ndim == 3 else X.expand(self.n_members, *X.shape)

    def _layers(self, X: torch.Tensor, keep_hidden: bool = False):
        """Logits (n_members, n_samples, n_classes), and the hidden activations if asked."""
        x, hidden = X, []
        for l in range(len(self.weights)):
            x = torch.baddbmm(self.biases[l].unsqueeze(1), x, self.weights[l].transpose(1, 2))
            if l == len(self.weights) - 1:
                break
            if self.batch_norm:
                x = self._batch_norm(x, l)
            x = _ACT[self.activation](x)
            if keep_hidden:
                hidden.append(x)
        return x, hidden

    def _batch_norm(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """Batch norm of x (n_members, n_samples, width) over the sample axis, per member."""
        gamma, beta = self.bn_weights[i].unsqueeze(1), self.bn_biases[i].unsqueeze(1)
        if not self.training:
            mean, var = self.running_means[i].unsqueeze(1), self.running_vars[i].unsqueeze(1)
            return (x - mean) / torch.sqrt(var + self.eps) * gamma + beta
        n = x.shape[1]
        if n < 2:
            raise ValueError("batch norm in training mode needs at least 2 samples per batch")
        mean = x.mean(dim=1, keepdim=True)
        var = x.var(dim=1, unbiased=False, keepdim=True)
        with torch.no_grad():  # torch's convention: the running variance is unbiased
            m = self.momentum
            self.running_means[i].mul_(1 - m).add_(m * mean.squeeze(1))
            self.running_vars[i].mul_(1 - m).add_(m * var.squeeze(1) * n / (n - 1))
        return (x - mean) / torch.sqrt(var + self.eps) * gamma + beta

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Inputs (n_samples, n_inputs), shared, or (n_members, n_samples, n_inputs) -> logits (n_members, n_samples, n_classes).

        In training mode batch norm uses each member's batch statistics and
        updates its running statistics, as ``torch.nn.BatchNorm1d`` does.
        """
        return self._layers(self._check_input(X))[0]

    @torch.no_grad()
    def hidden_activations(self, X: torch.Tensor, *, train_mode: bool = False) -> list[torch.Tensor]:
        """Outputs of every hidden activation, each (n_members, n_samples, width).

        Like :func:`nntheory.models.mlp.hidden_activations`: with
        ``train_mode=True`` batch norm uses the statistics of ``X`` itself, and
        the running statistics are left unchanged; the module's mode is restored.
        """
        train_mode = check_bool(train_mode, "train_mode")
        X = self._check_input(X)
        was_training, saved = self.training, [b.clone() for b in self.buffers()]
        self.train(train_mode)
        hidden = self._layers(X, keep_hidden=True)[1]
        for b, s in zip(self.buffers(), saved):
            b.copy_(s)
        self.train(was_training)
        return hidden


@torch.no_grad()
def accuracy(ensemble: MLPEnsemble, X: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Each member's fraction of samples whose largest logit is the label, in eval mode.

    Parameters
    ----------
    ensemble : MLPEnsemble
    X : Tensor, shape (n_samples, n_inputs)
    y : Tensor of int64, shape (n_samples,)

    Returns
    -------
    ndarray, shape (n_members,)
        NaN logits count as wrong (``argmax`` of a NaN row is arbitrary, so
        such a member scores whatever its non-NaN logits give).
    """
    _check_ensemble(ensemble)
    X = check_tensor(X, "X", shape=(None, ensemble.n_inputs), dtype=ensemble.dtype, dtype_of="the ensemble's")
    y = _check_labels(y, "y", X.shape[0], ensemble.n_classes)
    return _accuracy(ensemble, X, y)


def _check_ensemble(ensemble) -> None:
    if not isinstance(ensemble, MLPEnsemble):
        raise TypeError(f"ensemble must be an MLPEnsemble, got {type(ensemble).__name__}")


def _check_labels(y, name: str, n_samples: int, n_classes: int) -> torch.Tensor:
    """int64 class labels of shape (n_samples,), each in [0, n_classes)."""
    y = check_tensor(y, name, shape=(n_samples,), floating=False)
    if y.dtype != torch.int64:
        raise TypeError(f"{name} must hold int64 class labels, got dtype {y.dtype}")
    if int(y.min()) < 0 or int(y.max()) >= n_classes:
        raise ValueError(f"{name} must be int64 labels in [0, {n_classes - 1}], got values in [{int(y.min())}, {int(y.max())}]")
    return y


@torch.no_grad()
def _accuracy(ensemble: MLPEnsemble, X: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """:func:`accuracy` without the checks (train_sgd scores its validation data every epoch)."""
    was_training = ensemble.training
    ensemble.eval()
    logits = ensemble(X)  # (n_members, n_samples, n_classes)
    ensemble.train(was_training)
    correct = (logits.argmax(dim=2) == y.unsqueeze(0)) & torch.isfinite(logits).all(dim=2)
    return correct.double().mean(dim=1).numpy()


def train_sgd(ensemble: MLPEnsemble, X: torch.Tensor, y: torch.Tensor, *, lr: float | Sequence[float], batch_size: int, n_epochs: int, rngs: Sequence[np.random.Generator], X_val: torch.Tensor | None = None, y_val: torch.Tensor | None = None, restore_best: bool = False) -> list[History]:
    """Plain mini-batch SGD on every member at once, each on its own batches.

    Member ``k`` does what :func:`nntheory.models.mlp.train_sgd` does to
    ``ensemble.member(k)`` with ``lr[k]`` and ``rngs[k]``: the same batches,
    the same updates (up to summation order), the same validation and
    model selection.

    Parameters
    ----------
    ensemble : MLPEnsemble
        Trained in place.
    X : Tensor, shape (n_samples, n_inputs)
        Shared training inputs, of the ensemble's dtype.
    y : Tensor of int64, shape (n_samples,)
    lr : float or sequence of float
        One learning rate for all members, or one per member.
    batch_size, n_epochs : int
    rngs : sequence of numpy.random.Generator
        One per member; each shuffles that member's batches every epoch.
        Generators continue where they stopped, so calling this once per
        epoch gives the same batches as one call for all epochs.
    X_val, y_val : Tensor, optional
        Validation data, scored after every epoch.
    restore_best : bool, default False
        At the end each member goes back to its own epoch of highest
        validation accuracy (the first on ties), recorded in its
        ``History.best_epoch``. Needs ``X_val`` and ``y_val``.

    Returns
    -------
    list of nntheory.numpy_nn.History
        One per member; a diverged member's losses are NaN.
    """
    # Every argument is checked here, once; nothing is checked per step.
    _check_ensemble(ensemble)
    E = ensemble.n_members
    X = check_tensor(X, "X", shape=(None, ensemble.n_inputs), dtype=ensemble.dtype, dtype_of="the ensemble's")
    y = _check_labels(y, "y", X.shape[0], ensemble.n_classes)
    if isinstance(lr, (list, tuple)) or (isinstance(lr, (np.ndarray, torch.Tensor)) and lr.ndim > 0):
        lrs = list(lr)
        if len(lrs) != E:
            raise ValueError(f"lr must be one number or {E} numbers (one per member), got {len(lrs)}")
        lrs = [check_real(v, f"lr[{k}]", low=0, low_open=True) for k, v in enumerate(lrs)]
    else:
        lrs = [check_real(lr, "lr", low=0, low_open=True)] * E
    batch_size = check_int(batch_size, "batch_size", low=1)
    n_epochs = check_int(n_epochs, "n_epochs", low=0)
    rngs = check_sequence(rngs, "rngs", length=E)  # one generator per member
    rngs = [check_rng(r, f"rngs[{k}]") for k, r in enumerate(rngs)]
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together (or neither)")
    if X_val is not None:
        X_val = check_tensor(X_val, "X_val", shape=(None, ensemble.n_inputs), dtype=ensemble.dtype, dtype_of="the ensemble's")
        y_val = _check_labels(y_val, "y_val", X_val.shape[0], ensemble.n_classes)
    restore_best = check_bool(restore_best, "restore_best")
    if restore_best and X_val is None:
        raise ValueError("restore_best=True needs validation data (X_val, y_val)")

    neg_lr = -torch.tensor(lrs, dtype=ensemble.dtype)
    params = list(ensemble.parameters())
    histories = [History() for _ in range(E)]
    best_state, best_acc = None, np.full(E, -np.inf)
    n = X.shape[0]
    for _ in range(n_epochs):
        ensemble.train()
        totals = np.zeros(E)
        for idx in zip(*(minibatch_indices(n, batch_size, r) for r in rngs)):
            idx_t = torch.from_numpy(np.stack(idx))  # (n_members, batch)
            logits = ensemble(X[idx_t])  # (n_members, batch, n_classes)
            losses = nn.functional.cross_entropy(logits.reshape(-1, ensemble.n_classes), y[idx_t].reshape(-1),
                                                 reduction="none").view(E, -1).mean(dim=1)
            for p in params:
                p.grad = None
            losses.sum().backward()  # member k's gradient is that of its own loss
            with torch.no_grad():
                for p in params:
                    p.addcmul_(neg_lr.view(-1, *[1] * (p.ndim - 1)), p.grad)
            step = losses.detach().tolist()
            for h, v in zip(histories, step):
                h.step_loss.append(v)
            totals += np.array(step) * idx_t.shape[1]
        for h, t in zip(histories, totals):
            h.epoch_loss.append(t / n)
        if X_val is not None:
            acc = _accuracy(ensemble, X_val, y_val)
            for h, a in zip(histories, acc):
                h.val_accuracy.append(float(a))
            if restore_best:
                better = acc > best_acc
                best_acc = np.where(better, acc, best_acc)
                state = ensemble.state_dict()
                if best_state is None:
                    best_state = {key: v.clone() for key, v in state.items()}
                mask = torch.from_numpy(better)
                for key, v in state.items():
                    if v.ndim and v.shape[0] == E:
                        best_state[key][mask] = v[mask]
                for k in np.flatnonzero(better):
                    histories[k].best_epoch = len(histories[k].val_accuracy)
    if best_state is not None:
        ensemble.load_state_dict(best_state)
    return histories
