"""A thin :class:`torch.optim.Optimizer` over a pure update rule."""

from __future__ import annotations

import torch

from nntheory.optim.rules import UpdateRule

__all__ = ["TorchOptimizer"]


class TorchOptimizer(torch.optim.Optimizer):
    """Use an :class:`UpdateRule` in an ordinary torch training loop.

    ``step()`` gathers the parameters' ``.grad``, calls the pure
    ``rule.update`` and copies the new values into the parameters in place;
    the rule's state is kept in ``self.rule_state``. Learning-rate changes
    belong in the rule (pass a schedule as ``lr``); torch's
    ``lr_scheduler`` classes do not act on it.

    Parameters
    ----------
    params : iterable of torch.Tensor
        The parameters to optimise (one group).
    rule : UpdateRule
        E.g. ``adam(lr=1e-3)``.

    Attributes
    ----------
    rule : UpdateRule
        The pure rule.
    rule_state : Any
        Its current state.

    Examples
    --------
    >>> model = torch.nn.Linear(3, 1)
    >>> opt = TorchOptimizer(model.parameters(), sgd(lr=0.1, momentum=0.9))
    >>> loss = model(torch.ones(4, 3)).pow(2).mean()
    >>> loss.backward()
    >>> opt.step()
    """

    def __init__(self, params, rule: UpdateRule):
        if not isinstance(rule, UpdateRule):
            raise TypeError(f"rule must be an UpdateRule (e.g. nntheory.optim.adam(...)), got {type(rule).__name__}")
        super().__init__(params, defaults={})
        if len(self.param_groups) != 1:
            raise ValueError("TorchOptimizer supports a single parameter group")
        self.rule = rule
        self._params: list[torch.Tensor] = list(self.param_groups[0]["params"])
        self.rule_state = rule.init([p.detach() for p in self._params])

    @torch.no_grad()
    def step(self, closure=None):
        """Take one update; parameters without a gradient get a zero gradient.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss (as in torch).

        Returns
        -------
        loss : torch.Tensor or None
            What ``closure`` returned, if given.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        params = [p.detach() for p in self._params]
        grads = [p.grad.detach() if p.grad is not None else torch.zeros_like(p) for p in self._params]
        new_params, self.rule_state = self.rule.update(params, grads, self.rule_state)
        for p, new in zip(self._params, new_params):
            p.copy_(new)
        return loss
