r"""Optimisers as pure update rules, learning-rate schedules, and a torch wrapper.

Every optimiser is an :class:`UpdateRule`: a pair of pure functions in the
style of optax,

* ``state = rule.init(params)`` builds the optimiser state (step count and
  the moment buffers, all zeros);
* ``params, state = rule.update(params, grads, state)`` returns the *new*
  parameters and the *new* state and changes nothing in place.

``params`` and ``grads`` are a single array or a list/tuple of arrays
(:class:`torch.Tensor` or :class:`numpy.ndarray`; the rules use only
arithmetic, so both work) and the result has the same structure. Because
the state is an explicit value it can be stored and plotted, which is what
the optimisation gallery does.

The conventions are those of :mod:`torch.optim`, so that ``torch.optim`` is
the test oracle (see ``tests/test_optim.py``):

* momentum SGD uses the *heavy-ball buffer* :math:`b_t = \mu b_{t-1} + g_t`,
  :math:`\theta_t = \theta_{t-1} - \eta b_t` (no :math:`1-\mu` factor, so the
  effective step on a constant gradient is :math:`\eta/(1-\mu)`);
* RMSProp uses :math:`v_t = \alpha v_{t-1} + (1-\alpha) g_t^2` and
  :math:`\theta_t = \theta_{t-1} - \eta\, g_t / (\sqrt{v_t} + \epsilon)`,
  with :math:`\epsilon` **outside** the square root;
* Adam's ``weight_decay`` adds :math:`\lambda\theta` to the gradient (an L2
  penalty :math:`\tfrac{\lambda}{2}\|\theta\|^2` in the loss), while AdamW
  decays the weights directly, :math:`\theta \leftarrow \theta - \eta\lambda
  \theta`, before the Adam step.

The learning rate of any rule may be a number or a *schedule*: a function of
the number of updates already taken (:func:`constant`, :func:`step_decay`,
:func:`warmup_cosine`).

Examples
--------
>>> import numpy as np
>>> rule = adam(lr=0.1)
>>> theta = np.array([1.0, -2.0])
>>> state = rule.init(theta)
>>> theta, state = rule.update(theta, np.array([3.0, -1e-3]), state)
>>> np.round(theta, 6)  # first Adam step: about -lr * sign(g)
array([ 0.9     , -1.900001])
"""


from nntheory.optim.rules import AdamState, RMSPropState, SGDState, UpdateRule, adam, adamw, rmsprop, sgd
from nntheory.optim.schedules import Schedule, constant, step_decay, warmup_cosine
from nntheory.optim.torch_wrapper import TorchOptimizer

__all__ = [
    "UpdateRule",
    "SGDState",
    "RMSPropState",
    "AdamState",
    "sgd",
    "rmsprop",
    "adam",
    "adamw",
    "Schedule",
    "constant",
    "step_decay",
    "warmup_cosine",
    "TorchOptimizer",
]
