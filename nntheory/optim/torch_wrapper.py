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

    ``state_dict()`` / ``load_state_dict()`` round-trip the rule's state
    exactly, as ``torch.optim`` does: each parameter's entry of
    ``state_dict()["state"]`` holds its slice of every per-parameter buffer
    (e.g. Adam's ``m`` and ``v``) and the step ``count``, so a run saved,
    reloaded into a new optimiser and continued matches an uninterrupted one.

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
        if closure is not None and not callable(closure):
            raise TypeError(f"closure must be callable or None, got {type(closure).__name__}")
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        params = [p.detach() for p in self._params]
        grads = [p.grad.detach() if p.grad is not None else torch.zeros_like(p) for p in self._params]
        new_params, self.rule_state = self.rule.update(params, grads, self.rule_state)
        for p, new in zip(self._params, new_params):
            p.copy_(new)
        return loss

    def state_dict(self) -> dict:
        """torch's optimiser state dict, with the rule's state in ``["state"]``, per parameter."""
        self.state.clear()
        self.state.update({p: entry for p, entry in zip(self._params, _split_state(self.rule_state, len(self._params)))})
        try:
            return super().state_dict()
        finally:
            self.state.clear()

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the rule's state saved by :meth:`state_dict` (tensors cast to each parameter's dtype and device)."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise TypeError(f"state_dict must be a dict with 'state' and 'param_groups', as state_dict() returns, got {type(state_dict).__name__}")
        try:
            super().load_state_dict(state_dict)
        except (ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise ValueError(f"state_dict does not fit this optimizer's parameters: {exc}") from exc
        entries = [self.state.get(p, {}) for p in self._params]
        self.state.clear()
        try:
            new_state = _join_state(self.rule_state, entries)
            # The same checks as every update: one buffer per parameter, of its shape.
            self.rule.update([p.detach() for p in self._params], [torch.zeros_like(p) for p in self._params], new_state)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"state_dict does not fit this optimizer's rule and parameters: {exc}") from exc
        self.rule_state = new_state


def _split_state(state, n_params: int) -> list[dict]:
    """One dict per parameter: its element of every per-parameter list, and every scalar field."""
    if not hasattr(state, "_fields"):
        raise TypeError(f"state_dict needs a NamedTuple rule state, got {type(state).__name__}")
    entries: list[dict] = [{} for _ in range(n_params)]
    for field in state._fields:
        value = getattr(state, field)
        if isinstance(value, (list, tuple)):
            if len(value) != n_params:
                raise ValueError(f"rule state field {field!r} has {len(value)} entries for {n_params} parameters")
            for entry, v in zip(entries, value):
                entry[field] = v.clone() if isinstance(v, torch.Tensor) else v
        else:
            for entry in entries:
                entry[field] = value
    return entries


def _join_state(template, entries: list[dict]):
    """Inverse of :func:`_split_state`, shaped like ``template``."""
    fields = {}
    for field in template._fields:
        value = getattr(template, field)
        if not all(field in e for e in entries):
            raise ValueError(f"the loaded state has no {field!r} for every parameter (saved by another rule?)")
        if isinstance(value, (list, tuple)):
            fields[field] = type(value)(e[field] for e in entries)
        else:
            fields[field] = entries[0][field]
    return type(template)(**fields)
