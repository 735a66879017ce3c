"""Neural-network modules with hand-written forward and backward passes, in numpy.

Each module caches in ``forward`` what its ``backward`` needs and returns
:math:`\\partial L/\\partial X` from :math:`\\partial L/\\partial Y`, filling
``grads`` for its parameters; :class:`MLP` chains them and :func:`train_sgd`
trains it with plain mini-batch SGD. The parameter names match ``torch.nn``,
so weights copy one-to-one to :class:`nntheory.models.mlp.MLP`.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> model = MLP(40, [128], 10, rng=rng)
>>> X, y = rng.standard_normal((8, 40)), rng.integers(0, 10, 8)
>>> loss = model.loss_and_backward(X, y)
>>> model.layers[0].grads["weight"].shape
(128, 40)
"""

from nntheory.numpy_nn.batchnorm import BatchNorm1d
from nntheory.numpy_nn.layers import ELU, Linear, Module, ReLU, Softmax
from nntheory.numpy_nn.losses import CrossEntropy, SoftmaxCrossEntropy, one_hot
from nntheory.numpy_nn.mlp import MLP, History, accuracy, minibatch_indices, sgd_step, train_sgd

__all__ = [
    "Module",
    "Linear",
    "ReLU",
    "ELU",
    "Softmax",
    "CrossEntropy",
    "SoftmaxCrossEntropy",
    "one_hot",
    "BatchNorm1d",
    "MLP",
    "History",
    "minibatch_indices",
    "sgd_step",
    "accuracy",
    "train_sgd",
]
