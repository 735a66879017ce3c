"""A multi-layer perceptron assembled from the numpy modules, and plain SGD training."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np

from nntheory import _checks
from nntheory.numpy_nn.batchnorm import BatchNorm1d
from nntheory.numpy_nn.layers import ELU, Linear, Module, ReLU, _check_batch, _check_dtype
from nntheory.numpy_nn.losses import SoftmaxCrossEntropy

__all__ = ["MLP", "History", "minibatch_indices", "sgd_step", "train_sgd", "accuracy"]

_ACTIVATIONS = {"relu": ReLU, "elu": ELU}


class MLP:
    """Linear -> [BatchNorm1d] -> activation, repeated, then a Linear output layer.

    The layer list mirrors :class:`nntheory.models.mlp.MLP` index by index, so
    :meth:`state_dict` keys (``"layers.0.weight"``, ...) are the torch keys.

    Parameters
    ----------
    n_inputs : int
        Input width.
    hidden_sizes : sequence of int
        Widths of the hidden layers (may be empty: multinomial logistic regression).
    n_classes : int
        Number of outputs (logits).
    rng : numpy.random.Generator
        Draws the initial weights.
    activation : {"elu", "relu"}, default "elu"
    batch_norm : bool, default False
        Insert :class:`~nntheory.numpy_nn.BatchNorm1d` after each hidden
        Linear layer, before the activation.
    dtype : numpy dtype, default float64

    Attributes
    ----------
    layers : list of Module
        The modules in order.

    Notes
    -----
    Initialisation is Kaiming normal in fan-in mode with zero biases. The
    first layer reads standardised inputs, not activations, so its gain is 1
    (:math:`\\operatorname{Var} W = 1/d_\\text{in}`); every later layer uses
    the ReLU gain :math:`\\sqrt2` (:math:`\\operatorname{Var} W = 2/d_\\text{in}`).
    """

    def __init__(self, n_inputs: int, hidden_sizes: Sequence[int], n_classes: int, *, rng: np.random.Generator, activation: str = "elu", batch_norm: bool = False, dtype=np.float64) -> None:
        n_inputs = _checks.check_int(n_inputs, "n_inputs", low=1)
        hidden_sizes = _checks.check_int_sequence(hidden_sizes, "hidden_sizes", low=1, nonempty=False)  # widths=[2.7] is refused
        n_classes = _checks.check_int(n_classes, "n_classes", low=1)
        _checks.check_rng(rng, "rng")
        _checks.check_choice(activation, "activation", sorted(_ACTIVATIONS))
        batch_norm = _checks.check_bool(batch_norm, "batch_norm")
        dtype = _check_dtype(dtype)
        self.activation, self.batch_norm, self.dtype = activation, bool(batch_norm), dtype
        self.layers: list[Module] = []
        width = n_inputs
        for i, h in enumerate(hidden_sizes):
            gain = 1.0 if i == 0 else float(np.sqrt(2.0))
            self.layers.append(Linear(width, h, rng=rng, gain=gain, dtype=dtype))
            if batch_norm:
                self.layers.append(BatchNorm1d(h, dtype=dtype))
            self.layers.append(_ACTIVATIONS[activation]())
            width = h
        gain = 1.0 if not hidden_sizes else float(np.sqrt(2.0))
        self.layers.append(Linear(width, n_classes, rng=rng, gain=gain, dtype=dtype))
        self.n_inputs, self.n_classes = n_inputs, n_classes
        self.loss = SoftmaxCrossEntropy()

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Inputs (n_samples, n_inputs) -> logits (n_samples, n_classes)."""
        x = _check_batch(x, "x", self.n_inputs, self.dtype)  # float32 data for a float64 model is refused, not upcast
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, dlogits: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """dL/dlogits (n_samples, n_classes) -> dL/dx (n_samples, n_inputs); fills every ``grads``.

        With ``input_grad=False`` the first layer skips :math:`\\partial
        L/\\partial X` (nothing consumes it when training) and ``None`` is
        returned; the parameter gradients are the same.
        """
        input_grad = _checks.check_bool(input_grad, "input_grad")
        first, *rest = self.layers  # the first layer is always Linear
        for layer in reversed(rest):
            dlogits = layer.backward(dlogits)
        return first.backward(dlogits, input_grad=input_grad)

    def loss_and_backward(self, x: np.ndarray, labels: np.ndarray) -> float:
        """Forward, softmax cross-entropy, backward (without the unused input gradient); return the batch's mean loss."""
        x = _check_batch(x, "x", self.n_inputs, self.dtype)
        _check_labels(labels, "labels", x.shape[0], self.n_classes)
        return self._loss_and_backward(x, labels)

    def _loss_and_backward(self, x: np.ndarray, labels: np.ndarray) -> float:
        """:meth:`loss_and_backward` without the checks of ``x`` and ``labels`` (train_sgd checks its data once)."""
        z = x
        for layer in self.layers:
            z = layer.forward(z)
        loss = self.loss._forward(z, np.eye(self.n_classes, dtype=z.dtype)[labels])  # one-hot targets (n, n_classes)
        self.backward(self.loss.backward(), input_grad=False)
        return loss

    def train(self, mode: bool = True) -> "MLP":
        """Training (``True``) or inference (``False``) mode for every layer; return self."""
        mode = _checks.check_bool(mode, "mode")
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> "MLP":
        """Inference mode; return self."""
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, under ``torch``'s state-dict names."""
        state = {}
        for i, layer in enumerate(self.layers):
            for name, value in {**layer.params, **getattr(layer, "buffers", {})}.items():
                state[f"layers.{i}.{name}"] = value.copy()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Overwrite parameters and buffers from a :meth:`state_dict`-like mapping.

        Raises
        ------
        KeyError
            If a name is missing.
        ValueError
            If a shape differs.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict like state_dict(), got {type(state).__name__}")
        for i, layer in enumerate(self.layers):
            for store in (layer.params, getattr(layer, "buffers", {})):
                for name in store:
                    key = f"layers.{i}.{name}"
                    if key not in state:
                        raise KeyError(f"state has no entry {key!r}")
                    value = np.asarray(state[key], dtype=self.dtype)
                    if value.shape != store[name].shape:
                        raise ValueError(f"{key}: expected shape {store[name].shape}, got {value.shape}")
                    store[name] = value.copy()

    def n_parameters(self) -> int:
        """Number of trainable scalars (weights, biases, gamma, beta; not running statistics)."""
        return sum(v.size for layer in self.layers for v in layer.params.values())


@dataclass
class History:
    """What a training run records.

    Attributes
    ----------
    step_loss : list of float
        Mini-batch loss at every SGD step, before that step's update.
    epoch_loss : list of float
        Mean of ``step_loss`` over each epoch (weighted by batch size).
    val_accuracy : list of float
        Validation accuracy after each epoch (empty without validation data).
    best_epoch : int or None
        With ``restore_best=True``: the epoch (1-based) whose parameters the
        model holds at the end, the first one with the highest validation
        accuracy; ``None`` otherwise.
    """

    step_loss: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    best_epoch: int | None = None


def minibatch_indices(n_samples: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """One epoch of shuffled mini-batch index arrays (the last batch may be smaller).

    Parameters
    ----------
    n_samples : int
    batch_size : int
    rng : numpy.random.Generator
        Draws the permutation; two trainers given generators in the same
        state see the same batches.

    Yields
    ------
    ndarray of int, shape (batch_size,) or smaller for the last batch
    """
    n_samples = _checks.check_int(n_samples, "n_samples", low=1)
    batch_size = _checks.check_int(batch_size, "batch_size", low=1)
    _checks.check_rng(rng, "rng")
    return _batches(n_samples, batch_size, rng)  # checked now; the permutation is drawn at the first batch, as before


def _batches(n_samples: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    perm = rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield perm[start : start + batch_size]


def sgd_step(model: MLP, lr: float) -> None:
    """In place :math:`\\theta \\leftarrow \\theta - \\eta\\,\\partial L/\\partial\\theta` for every parameter.

    Parameters
    ----------
    model : MLP
        A model whose ``backward`` has just filled every layer's ``grads``.
    lr : float
        Learning rate :math:`\\eta`, non-negative.

    Raises
    ------
    ValueError
        If ``lr`` is negative or not finite.
    """
    _check_model(model)
    _sgd_step(model, _checks.check_real(lr, "lr", low=0))


def _sgd_step(model: MLP, lr: float) -> None:
    """:func:`sgd_step` without the checks (train_sgd checks ``lr`` once)."""
    for layer in model.layers:
        for name, p in layer.params.items():
            p -= lr * layer.grads[name]


def accuracy(model: MLP, X: np.ndarray, y: np.ndarray, batch_size: int = 4096) -> float:
    """Fraction of samples whose largest logit is the label, in inference mode.

    The model is put in inference mode for the evaluation and left in the
    mode it was in before.

    Parameters
    ----------
    model : MLP
    X : ndarray, shape (n_samples, n_inputs)
    y : ndarray of int, shape (n_samples,)
    batch_size : int, default 4096

    Returns
    -------
    float
    """
    _check_model(model)
    X, y = _check_data(X, y, model, "X", "y")
    batch_size = _checks.check_int(batch_size, "batch_size", low=1)
    return _accuracy(model, X, y, batch_size)


def _accuracy(model: MLP, X: np.ndarray, y: np.ndarray, batch_size: int = 4096) -> float:
    modes = [layer.training for layer in model.layers]
    model.eval()
    try:
        correct = 0
        for start in range(0, X.shape[0], batch_size):
            logits = model.forward(X[start : start + batch_size])
            correct += int((logits.argmax(axis=1) == y[start : start + batch_size]).sum())
    finally:
        for layer, mode in zip(model.layers, modes):
            layer.train(mode)
    return correct / X.shape[0]


def _check_model(model) -> None:
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a nntheory.numpy_nn.MLP, got {type(model).__name__}")


def _check_labels(y, name: str, n_samples: int, n_classes: int) -> np.ndarray:
    if _checks.is_tensor(y):
        raise TypeError(f"{name} must be a numpy array, got a torch tensor (pass {name}.numpy())")
    y = _checks.check_array(y, name, ndim=1, kind="int")
    if y.shape[0] != n_samples:
        raise ValueError(f"{name} must hold one label per sample ({n_samples}), got {y.shape[0]}")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"{name} must be integer labels in [0, {n_classes - 1}], got values in [{y.min()}, {y.max()}]")
    return y


def _check_data(X, y, model, x_name, y_name):
    """Data for a training or evaluation loop: checked once, values included (a layer does not scan them)."""
    X = _check_batch(X, x_name, model.n_inputs, model.dtype)
    if not np.isfinite(X).all():
        raise ValueError(f"{x_name} must be finite (no NaN or inf)")
    return X, _check_labels(y, y_name, X.shape[0], model.n_classes)


def train_sgd(model: MLP, X: np.ndarray, y: np.ndarray, *, lr: float, batch_size: int, n_epochs: int, rng: np.random.Generator, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None, restore_best: bool = False) -> History:
    """Plain mini-batch SGD on the mean softmax cross-entropy.

    Parameters
    ----------
    model : MLP
        Trained in place.
    X : ndarray, shape (n_samples, n_inputs)
    y : ndarray of int, shape (n_samples,)
    lr : float
        Learning rate :math:`\\eta`.
    batch_size : int
    n_epochs : int
    rng : numpy.random.Generator
        Shuffles the training set each epoch (see :func:`minibatch_indices`).
    X_val, y_val : ndarray, optional
        Validation data, scored with :func:`accuracy` after every epoch.
    restore_best : bool, default False
        Model selection on the validation data: at the end, load the
        parameters (and batch-norm running statistics) of the epoch with the
        highest validation accuracy, the first such epoch on ties, and record
        it in ``History.best_epoch``. Requires ``X_val`` and ``y_val``. With
        ``False`` the model keeps its last parameters.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        If ``restore_best`` is set without validation data.
    """
    _check_model(model)
    X, y = _check_data(X, y, model, "X", "y")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together")
    if X_val is not None:
        X_val, y_val = _check_data(X_val, y_val, model, "X_val", "y_val")
    lr = _checks.check_real(lr, "lr", low=0, low_open=True)
    batch_size = _checks.check_int(batch_size, "batch_size", low=1)
    n_epochs = _checks.check_int(n_epochs, "n_epochs", low=1)  # n_epochs=-1 used to return an empty history
    _checks.check_rng(rng, "rng")
    restore_best = _checks.check_bool(restore_best, "restore_best")
    if restore_best and X_val is None:
        raise ValueError("restore_best=True needs validation data (X_val, y_val)")
    history = History()
    best_state = None
    for _ in range(n_epochs):
        model.train()
        total = 0.0
        for idx in _batches(X.shape[0], batch_size, rng):
            loss = model._loss_and_backward(X[idx], y[idx])  # data and lr were checked above, once
            _sgd_step(model, lr)
            history.step_loss.append(loss)
            total += loss * idx.size
        history.epoch_loss.append(total / X.shape[0])
        if X_val is not None:
            history.val_accuracy.append(_accuracy(model, X_val, y_val))
            if restore_best and (best_state is None or history.val_accuracy[-1] > max(history.val_accuracy[:-1])):
                best_state, history.best_epoch = model.state_dict(), len(history.val_accuracy)
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
