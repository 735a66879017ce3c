"""Reverse- and forward-mode automatic differentiation on small scalar graphs.

A :class:`Graph` records every scalar operation as a :class:`Node` that keeps
its value and its *local partial derivatives* with respect to its inputs.
Reverse mode (:meth:`Graph.backward`) then sweeps the recorded tape backwards
and accumulates adjoints :math:`\\bar v = \\partial z / \\partial v`; forward
mode sweeps it forwards and accumulates tangents :math:`\\dot v = \\partial v /
\\partial x` (:meth:`Graph.tangents`). The same primitive operations also work
on :class:`Dual` numbers, forward mode without a recorded graph.

The engine favours clarity over speed: every quantity a pen-and-paper
derivation writes down (values, local partials, adjoints, tangents) can be
read back from it.

Examples
--------
>>> g = Graph()
>>> a, b = g.input(2.0, "a"), g.input(1.0, "b")
>>> v = a**2
>>> z = v / (v + b**2 + 1)
>>> g.backward(z)
>>> round(a.grad, 12), round(b.grad, 12)
(0.222222222222, -0.222222222222)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from nntheory import _checks

__all__ = [
    "Graph",
    "Node",
    "Dual",
    "TraceEntry",
    "exp",
    "log",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "format_table",
    "jacobian_forward",
    "jacobian_reverse",
]


def _as_real(value, name: str) -> float:
    """Return ``value`` as a finite Python float or raise a ``TypeError``/``ValueError`` naming it."""
    return _checks.check_real(value, name)


# ---------------------------------------------------------------------------
# The primitive operations: value and local partials, shared by both modes.
# Each rule maps input values to (output value, partials w.r.t. each input).
# ---------------------------------------------------------------------------


def _rule_add(x, y):
    return x + y, (1.0, 1.0)


def _rule_sub(x, y):
    return x - y, (1.0, -1.0)


def _rule_mul(x, y):
    return x * y, (y, x)


def _rule_div(x, y):
    if y == 0.0:
        raise ZeroDivisionError("div: the denominator evaluated to 0")
    return x / y, (1.0 / y, -x / (y * y))


def _rule_pow(x, y):
    # x ** y with both as graph inputs; the partial in y needs log(x).
    if x <= 0.0:
        raise ValueError(
            f"pow: a variable exponent needs a positive base, got base {x!r}"
        )
    out = x**y
    return out, (y * x ** (y - 1.0), out * math.log(x))


def _rule_neg(x):
    return -x, (-1.0,)


def _rule_exp(x):
    out = math.exp(x)
    return out, (out,)


def _rule_log(x):
    if x <= 0.0:
        raise ValueError(f"log: x must be positive, got {x!r}")
    return math.log(x), (1.0 / x,)


def _rule_sin(x):
    return math.sin(x), (math.cos(x),)


def _rule_cos(x):
    return math.cos(x), (-math.sin(x),)


def _rule_tanh(x):
    out = math.tanh(x)
    return out, (1.0 - out * out,)


def _rule_sigmoid(x):
    # Two branches so that exp never overflows.
    if x >= 0.0:
        out = 1.0 / (1.0 + math.exp(-x))
    else:
        e = math.exp(x)
        out = e / (1.0 + e)
    return out, (out * (1.0 - out),)


def _rule_relu(x):
    # The subgradient 0 at x = 0, as torch uses.
    return (x if x > 0.0 else 0.0), ((1.0 if x > 0.0 else 0.0),)


def _rule_powconst(p):
    def rule(x):
        if x == 0.0 and p < 1.0:
            raise ValueError(f"pow: 0 ** {p} has no finite derivative")
        if x < 0.0 and not float(p).is_integer():
            raise ValueError(f"pow: a negative base {x!r} needs an integer exponent, got {p!r}")
        return x**p, (p * x ** (p - 1.0),)

    return rule


_UNARY = {
    "neg": _rule_neg,
    "exp": _rule_exp,
    "log": _rule_log,
    "sin": _rule_sin,
    "cos": _rule_cos,
    "tanh": _rule_tanh,
    "sigmoid": _rule_sigmoid,
    "relu": _rule_relu,
}


# ---------------------------------------------------------------------------
# Reverse mode: a recorded graph of scalar nodes.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceEntry:
    """One row of a forward trace.

    Attributes
    ----------
    name : str
        The node's name (``"a"``, ``"v3"``, ...).
    op : str
        The operation that produced it (``"input"``, ``"const"``, ``"mul"``, ...).
    inputs : tuple of str
        Names of the nodes it was computed from.
    value : float
        Its value.
    partials : tuple of float
        Local partial derivatives with respect to each of ``inputs``.
    adjoint : float or None
        :math:`\\partial z/\\partial v` after :meth:`Graph.backward`, else ``None``.
    tangent : float or None
        :math:`\\partial v/\\partial x` after :meth:`Graph.tangents`, else ``None``.
    """

    name: str
    op: str
    inputs: tuple
    value: float
    partials: tuple
    adjoint: float | None = None
    tangent: float | None = None


class Node:
    """A scalar in a :class:`Graph`: a value, its parents and local partials.

    Nodes are made by :meth:`Graph.input`, :meth:`Graph.const` or by applying
    operations to existing nodes; they are not constructed directly.

    Attributes
    ----------
    value : float
        The value computed in the forward pass.
    grad : float
        The adjoint :math:`\\partial z / \\partial v` after the last
        :meth:`Graph.backward` (0 for nodes that ``z`` does not depend on).
    name : str
        A name for tables and figures.
    op : str
        The operation that produced the node.
    """

    __slots__ = ("value", "grad", "tangent", "_name", "op", "parents", "partials", "graph", "index")

    def __init__(self, graph, value, op, parents=(), partials=(), name=None):
        self.graph = graph
        self.value = value
        self.op = op
        self.parents = tuple(parents)
        self.partials = tuple(partials)
        self.grad = 0.0
        self.tangent = None
        self.index = len(graph.nodes)
        self._name = name if name is not None else f"v{graph._n_intermediate()}"
        counts = graph._name_counts
        counts[self._name] = counts.get(self._name, 0) + 1

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, new: str) -> None:
        # The graph counts the names in use, so that Graph.input checks a new name in O(1).
        counts = self.graph._name_counts
        counts[self._name] -= 1
        counts[new] = counts.get(new, 0) + 1
        self._name = new

    def __repr__(self):
        return f"Node({self.name}={self.value!r}, op={self.op!r})"

    # -- arithmetic ---------------------------------------------------------
    def _lift(self, other, opname):
        if isinstance(other, Node):
            if other.graph is not self.graph:
                raise ValueError(
                    f"{opname}: operands belong to different graphs; build the "
                    "whole expression from inputs of one Graph"
                )
            return other
        if isinstance(other, Dual):
            raise TypeError(f"{opname}: cannot mix a graph Node with a Dual number")
        return self.graph.const(_as_real(other, f"{opname} operand"))

    def _binary(self, other, opname, rule, reverse=False):
        other = self._lift(other, opname)
        x, y = (other, self) if reverse else (self, other)
        return self.graph._apply(opname, rule, (x, y))

    def __add__(self, other):
        return self._binary(other, "add", _rule_add)

    def __radd__(self, other):
        return self._binary(other, "add", _rule_add, reverse=True)

    def __sub__(self, other):
        return self._binary(other, "sub", _rule_sub)

    def __rsub__(self, other):
        return self._binary(other, "sub", _rule_sub, reverse=True)

    def __mul__(self, other):
        return self._binary(other, "mul", _rule_mul)

    def __rmul__(self, other):
        return self._binary(other, "mul", _rule_mul, reverse=True)

    def __truediv__(self, other):
        return self._binary(other, "div", _rule_div)

    def __rtruediv__(self, other):
        return self._binary(other, "div", _rule_div, reverse=True)

    def __pow__(self, other):
        if isinstance(other, Node):
            return self._binary(other, "pow", _rule_pow)
        p = _as_real(other, "pow exponent")
        label = f"pow{int(p)}" if p.is_integer() else f"pow{p:g}"
        return self.graph._apply(label, _rule_powconst(p), (self,))

    def __rpow__(self, other):
        return self._binary(other, "pow", _rule_pow, reverse=True)

    def __neg__(self):
        return self.graph._apply("neg", _rule_neg, (self,))


class Graph:
    """A tape of scalar :class:`Node` objects, in the order they were computed.

    Because nodes are appended as they are created, the tape is already a
    topological order: reverse mode walks it backwards, forward mode forwards.

    Attributes
    ----------
    nodes : list of Node
        The tape, in the order the nodes were created.
    sweep : list of Node
        The nodes the last :meth:`backward` visited, in the order it visited
        them (empty before the first sweep).
    n_sweeps : int
        How many times :meth:`backward` has run on this graph.
    n_visits : int
        How many nodes those sweeps visited in all: the cost count of reverse
        mode, one visit per node walked (a visit to a node whose adjoint is 0
        ends at once).

    Examples
    --------
    >>> g = Graph()
    >>> x = g.input(0.5, "x")
    >>> y = exp(x) * x
    >>> g.backward(y)
    >>> abs(x.grad - math.exp(0.5) * 1.5) < 1e-12
    True
    """

    def __init__(self):
        self.nodes: list[Node] = []
        self.sweep: list[Node] = []
        self.n_sweeps = 0
        self.n_visits = 0
        self._name_counts: dict[str, int] = {}  # name -> number of nodes that carry it
        self._n_ops = 0  # operations recorded so far; counted, not recounted, so recording stays linear

    def _n_intermediate(self) -> int:
        """The number of the next operation node, for its default name ``v<k>``."""
        return 1 + self._n_ops

    def _apply(self, op, rule, parents):
        value, partials = rule(*(p.value for p in parents))
        node = Node(self, value, op, parents, partials)
        self.nodes.append(node)
        self._n_ops += 1
        return node

    def input(self, value: float, name: str) -> Node:
        """Create an independent variable.

        Parameters
        ----------
        value : float
            Its value (finite).
        name : str
            Its name in tables and figures, not used before in this graph.

        Returns
        -------
        Node

        Raises
        ------
        TypeError
            If ``value`` is not a real number or ``name`` not a non-empty string.
        ValueError
            If ``value`` is not finite or ``name`` is taken.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {name!r}")
        if self._name_counts.get(name, 0) > 0:
            raise ValueError(f"name {name!r} is already used in this graph")
        node = Node(self, _as_real(value, "value"), "input", name=name)
        self.nodes.append(node)
        return node

    def const(self, value: float) -> Node:
        """Create a constant (a leaf whose derivative nobody asks for)."""
        value = _as_real(value, "value")
        node = Node(self, value, "const", name=f"{value:g}")
        self.nodes.append(node)
        return node

    def _check_node(self, node, argname):
        if not isinstance(node, Node):
            raise TypeError(
                f"{argname} must be a scalar Node of this graph, got {type(node).__name__}"
            )
        if node.graph is not self:
            raise ValueError(f"{argname} belongs to a different graph")

    def backward(self, output: Node) -> None:
        """Reverse sweep: set every node's ``grad`` to :math:`\\partial z/\\partial v`.

        Parameters
        ----------
        output : Node
            The scalar :math:`z` to differentiate. Adjoints of nodes created
            after it, or that it does not depend on, are 0.

        Notes
        -----
        The sweep resets every adjoint on the tape, then visits the nodes from
        ``output`` back to the first one, each after all of its consumers.
        It records the nodes it visits, in order, in :attr:`sweep`, and counts
        them in :attr:`n_visits`: ``output.index + 1`` visits, whatever part of
        the tape ``output`` depends on.
        """
        self._check_node(output, "output")
        for node in self.nodes:
            node.grad = 0.0
        output.grad = 1.0
        visited = []
        for node in reversed(self.nodes[: output.index + 1]):
            visited.append(node)
            if node.grad == 0.0:
                continue
            for parent, partial in zip(node.parents, node.partials):
                # Adjoints accumulate over every path out of the parent.
                parent.grad += node.grad * partial
        self.sweep = visited
        self.n_sweeps += 1
        self.n_visits += len(visited)

    def tangents(self, seed: dict) -> None:
        """Forward sweep: set every node's ``tangent`` to :math:`\\partial v/\\partial x`.

        Parameters
        ----------
        seed : dict of Node to float
            The tangent of each input, e.g. ``{x: 1.0}`` for
            :math:`\\partial/\\partial x`; inputs not named get 0.
        """
        if not isinstance(seed, dict):
            raise TypeError("seed must be a dict mapping input nodes to floats")
        for node, value in seed.items():
            self._check_node(node, "seed key")
            if node.op != "input":
                raise ValueError(f"seed key {node.name!r} is not an input of the graph")
            _as_real(value, "seed value")
        for node in self.nodes:
            if not node.parents:
                node.tangent = float(seed.get(node, 0.0))
            else:
                node.tangent = sum(p.tangent * d for p, d in zip(node.parents, node.partials))

    def trace(self, include_constants: bool = False) -> list[TraceEntry]:
        """The forward trace: one :class:`TraceEntry` per node, in order.

        Parameters
        ----------
        include_constants : bool, default False
            Whether constant leaves get their own rows.

        Returns
        -------
        list of TraceEntry
        """
        include_constants = _checks.check_bool(include_constants, "include_constants")
        rows = []
        for node in self.nodes:
            if node.op == "const" and not include_constants:
                continue
            rows.append(
                TraceEntry(
                    name=node.name,
                    op=node.op,
                    inputs=tuple(p.name for p in node.parents),
                    value=node.value,
                    partials=node.partials,
                    adjoint=node.grad,
                    tangent=node.tangent,
                )
            )
        return rows


# ---------------------------------------------------------------------------
# Forward mode without a graph: dual numbers.
# ---------------------------------------------------------------------------


class Dual:
    """A dual number :math:`v + \\dot v\\,\\varepsilon` with :math:`\\varepsilon^2 = 0`.

    Arithmetic on duals carries the tangent :math:`\\dot v` along with the
    value by the chain rule, so evaluating ``f(Dual(x, 1.0))`` returns
    :math:`f(x)` and :math:`f'(x)` in one forward pass.

    Parameters
    ----------
    value : float
        The primal value.
    tangent : float, default 0.0
        The derivative carried along.
    """

    __slots__ = ("value", "tangent")

    def __init__(self, value: float, tangent: float = 0.0):
        self.value = _as_real(value, "value")
        self.tangent = _as_real(tangent, "tangent")

    def __repr__(self):
        return f"Dual({self.value!r}, {self.tangent!r})"

    @staticmethod
    def _lift(other, opname):
        if isinstance(other, Dual):
            return other
        if isinstance(other, Node):
            raise TypeError(f"{opname}: cannot mix a Dual number with a graph Node")
        return Dual(_as_real(other, f"{opname} operand"), 0.0)

    @classmethod
    def _make(cls, value: float, tangent: float) -> "Dual":
        # Results of the rules: already floats, so the argument checks of __init__ are skipped.
        out = object.__new__(cls)
        out.value, out.tangent = value, tangent
        return out

    def _apply(self, rule, *others):
        args = (self, *others)
        value, partials = rule(*(a.value for a in args))
        return Dual._make(value, sum(a.tangent * d for a, d in zip(args, partials)))

    def __add__(self, other):
        return self._apply(_rule_add, self._lift(other, "add"))

    def __radd__(self, other):
        return self._lift(other, "add")._apply(_rule_add, self)

    def __sub__(self, other):
        return self._apply(_rule_sub, self._lift(other, "sub"))

    def __rsub__(self, other):
        return self._lift(other, "sub")._apply(_rule_sub, self)

    def __mul__(self, other):
        return self._apply(_rule_mul, self._lift(other, "mul"))

    def __rmul__(self, other):
        return self._lift(other, "mul")._apply(_rule_mul, self)

    def __truediv__(self, other):
        return self._apply(_rule_div, self._lift(other, "div"))

    def __rtruediv__(self, other):
        return self._lift(other, "div")._apply(_rule_div, self)

    def __pow__(self, other):
        if isinstance(other, Dual):
            return self._apply(_rule_pow, other)
        return self._apply(_rule_powconst(_as_real(other, "pow exponent")))

    def __rpow__(self, other):
        return self._lift(other, "pow")._apply(_rule_pow, self)

    def __neg__(self):
        return self._apply(_rule_neg)


def _unary(opname):
    rule = _UNARY[opname]

    def fn(x):
        if isinstance(x, Node):
            return x.graph._apply(opname, rule, (x,))
        if isinstance(x, Dual):
            return x._apply(rule)
        return rule(_as_real(x, "x"))[0]

    fn.__name__ = opname
    fn.__qualname__ = opname
    fn.__doc__ = f"""Elementary function ``{opname}`` on a :class:`Node`, a :class:`Dual` or a float.

    Parameters
    ----------
    x : Node, Dual or float

    Returns
    -------
    Node, Dual or float
        The same kind as ``x``.
    """
    return fn


exp = _unary("exp")
log = _unary("log")
sin = _unary("sin")
cos = _unary("cos")
tanh = _unary("tanh")
sigmoid = _unary("sigmoid")
relu = _unary("relu")


# ---------------------------------------------------------------------------
# Jacobians and tables.
# ---------------------------------------------------------------------------


def _check_point(f, x):
    _checks.check_callable(f, "f")
    return _checks.check_array(x, "x", ndim=1, dtype=np.float64)


def _outputs(f, args, kind) -> list:
    """``f(args)`` as a list of scalars (``kind`` objects or real numbers), or a clear error naming ``f``."""
    out = _checks.call_on_trial(f, args, what=f"f(x) for x of length {len(args)}")
    if not isinstance(out, (list, tuple)):
        raise TypeError(f"f must return a sequence of scalars, got {type(out).__name__}")
    for i, v in enumerate(out):
        if not isinstance(v, kind) and (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))):
            raise TypeError(f"f must return a sequence of scalars ({kind.__name__} or float), got {type(v).__name__} at position {i}")
    return list(out)


def jacobian_forward(f: Callable[[Sequence], Sequence], x) -> np.ndarray:
    """Jacobian of ``f`` at ``x`` by forward mode: one dual-number pass per input.

    Parameters
    ----------
    f : callable
        Maps a sequence of ``n`` scalars to a sequence of ``m`` scalars, using
        only operations of this module.
    x : array_like, shape (n,)
        The point.

    Returns
    -------
    ndarray, shape (m, n)
        ``J[i, j]`` is :math:`\\partial f_i / \\partial x_j`; it took ``n`` passes.
    """
    x = _check_point(f, x)
    columns = []
    for j in range(x.size):
        duals = [Dual(v, 1.0 if k == j else 0.0) for k, v in enumerate(x)]
        columns.append([out.tangent if isinstance(out, Dual) else 0.0 for out in _outputs(f, duals, Dual)])
        if len(columns[-1]) != len(columns[0]):
            raise ValueError(f"f must return the same number of outputs on every call, got {len(columns[0])} and {len(columns[-1])}")
    return np.array(columns, dtype=float).T


def jacobian_reverse(f: Callable[[Sequence], Sequence], x) -> np.ndarray:
    """Jacobian of ``f`` at ``x`` by reverse mode: one recorded forward pass, one backward sweep per output.

    Parameters
    ----------
    f : callable
        Maps a sequence of ``n`` scalars to a sequence of ``m`` scalars, using
        only operations of this module.
    x : array_like, shape (n,)
        The point.

    Returns
    -------
    ndarray, shape (m, n)
        ``J[i, j]`` is :math:`\\partial f_i / \\partial x_j`; it took ``m`` sweeps.
    """
    x = _check_point(f, x)
    g = Graph()
    inputs = [g.input(v, f"x{k}") for k, v in enumerate(x)]
    rows = []
    for out in _outputs(f, inputs, Node):
        if not isinstance(out, Node):  # an output that does not depend on x
            rows.append(np.zeros(x.size))
            continue
        g.backward(out)
        rows.append([node.grad for node in inputs])
    return np.array(rows, dtype=float)


def format_table(rows: Sequence[TraceEntry], columns: Sequence[str] = ("name", "op", "inputs", "value", "partials"), precision: int = 6, fmt: Callable[[float], str] | None = None) -> str:
    """Render trace rows as a fixed-width text table (for printing in examples).

    Parameters
    ----------
    rows : sequence of TraceEntry
        Typically ``graph.trace()``.
    columns : sequence of str
        Which :class:`TraceEntry` fields to show, in order.
    precision : int, default 6
        Significant digits for floats (when ``fmt`` is not given).
    fmt : callable, optional
        Formats each float instead, e.g. as an exact fraction.

    Returns
    -------
    str
    """
    rows = _checks.check_sequence(rows, "rows", nonempty=False)
    for i, r in enumerate(rows):
        if not isinstance(r, TraceEntry):
            raise TypeError(f"rows[{i}] must be a TraceEntry (from Graph.trace()), got {type(r).__name__}")
    columns = _checks.check_sequence(columns, "columns")
    valid = TraceEntry.__dataclass_fields__.keys()
    for col in columns:
        if col not in valid:
            raise ValueError(f"columns: unknown field {col!r}; choose from {sorted(valid)}")
    precision = _checks.check_int(precision, "precision", low=1)
    if fmt is not None and not callable(fmt):
        raise TypeError(f"fmt must be callable (float -> str), got {type(fmt).__name__}")

    def formatted(v):
        text = fmt(v)
        if not isinstance(text, str):
            raise TypeError(f"fmt must return a str, got {type(text).__name__} for {v!r}")
        return text

    def cell(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return formatted(v) if fmt is not None else f"{v:.{precision}g}"
        if isinstance(v, tuple):
            return ", ".join(cell(u) for u in v) if v else "-"
        return str(v)

    cells = [[cell(getattr(r, c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(out)
