"""Tests of nntheory.autodiff against torch.autograd, finite differences and closed forms."""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nntheory import autodiff as ad

# ---------------------------------------------------------------------------
# Random expressions: a small tree of operations over three inputs, evaluated
# once by the engine and once by torch, so the two are built independently.
# ---------------------------------------------------------------------------

UNARY = ["neg", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "log", "pow2", "pow3", "powhalf"]
BINARY = ["add", "sub", "mul", "div", "pow"]


def _expressions(depth):
    leaf = st.tuples(st.just("x"), st.integers(0, 2))
    if depth == 0:
        return leaf
    sub = _expressions(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(UNARY), sub),
        st.tuples(st.sampled_from(BINARY), sub, sub),
    )


def _evaluate(expr, xs, lib):
    """Evaluate an expression tree with the engine ('ad') or torch ('torch').

    Domain-restricted operations are made safe the same way in both
    evaluations (log of 1 + x², division by 1 + x², pow of a positive base),
    so both see the identical mathematical function.
    """
    kind = expr[0]
    if kind == "x":
        return xs[expr[1]]
    if kind in UNARY:
        v = _evaluate(expr[1], xs, lib)
        f = ad if lib == "ad" else torch
        return {
            "neg": lambda: -v,
            "exp": lambda: f.exp(v * 0.5),
            "sin": lambda: f.sin(v),
            "cos": lambda: f.cos(v),
            "tanh": lambda: f.tanh(v),
            "sigmoid": lambda: f.sigmoid(v),
            "relu": lambda: (ad.relu(v) if lib == "ad" else torch.relu(v)),
            "log": lambda: f.log(1 + v * v),
            "pow2": lambda: v**2,
            "pow3": lambda: v**3,
            "powhalf": lambda: (1 + v * v) ** 0.5,
        }[kind]()
    u = _evaluate(expr[1], xs, lib)
    v = _evaluate(expr[2], xs, lib)
    f = ad if lib == "ad" else torch
    return {
        "add": lambda: u + v,
        "sub": lambda: u - v,
        "mul": lambda: u * v,
        "div": lambda: u / (1 + v * v),
        "pow": lambda: (1 + u * u) ** f.tanh(v),
    }[kind]()


def _engine(expr, point):
    g = ad.Graph()
    xs = [g.input(float(p), f"x{i}") for i, p in enumerate(point)]
    out = _evaluate(expr, xs, "ad")
    if not isinstance(out, ad.Node):
        return g, xs, None
    return g, xs, out


def _torch_grad(expr, point):
    xs = [torch.tensor(float(p), dtype=torch.float64, requires_grad=True) for p in point]
    out = _evaluate(expr, xs, "torch")
    grads = torch.autograd.grad(out, xs, allow_unused=True)
    return out.item(), [0.0 if gr is None else gr.item() for gr in grads]


points = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=3, max_size=3)
_settings = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _near_relu_kink(expr, point):
    """True if some relu argument is within 1e-6 of 0 (derivatives differ there)."""
    g, xs, out = _engine(expr, point)
    return any(n.op == "relu" and abs(n.parents[0].value) < 1e-6 for n in g.nodes)


@_settings
@given(expr=_expressions(4), point=points)
def test_values_and_gradients_match_torch(expr, point):
    g, xs, out = _engine(expr, point)
    if out is None or _near_relu_kink(expr, point):
        return
    value, grads = _torch_grad(expr, point)
    assert out.value == pytest.approx(value, rel=1e-12, abs=1e-12)
    g.backward(out)
    for node, expected in zip(xs, grads):
        assert node.grad == pytest.approx(expected, rel=1e-10, abs=1e-10)


@_settings
@given(expr=_expressions(4), point=points)
def test_forward_mode_equals_reverse_mode(expr, point):
    g, xs, out = _engine(expr, point)
    if out is None:
        return
    g.backward(out)
    for i, node in enumerate(xs):
        g.tangents({node: 1.0})
        assert out.tangent == pytest.approx(node.grad, rel=1e-12, abs=1e-12)
        # Dual numbers (no recorded graph) agree too.
        duals = [ad.Dual(p, 1.0 if k == i else 0.0) for k, p in enumerate(point)]
        dual_out = _evaluate(expr, duals, "ad")
        assert dual_out.tangent == pytest.approx(node.grad, rel=1e-12, abs=1e-12)


@_settings
@given(expr=_expressions(3), point=points)
def test_gradients_match_central_finite_differences(expr, point):
    g, xs, out = _engine(expr, point)
    if out is None or _near_relu_kink(expr, point):
        return
    g.backward(out)
    h = 1e-6
    for i, node in enumerate(xs):
        plus, minus = list(point), list(point)
        plus[i] += h
        minus[i] -= h
        fd = (_engine(expr, plus)[2].value - _engine(expr, minus)[2].value) / (2 * h)
        # Central differences: truncation O(h^2) plus rounding O(eps / h).
        assert node.grad == pytest.approx(fd, rel=1e-5, abs=1e-6)


def test_nndl_m1_gradient_matches_closed_form():
    g = ad.Graph()
    a, b = g.input(2.0, "a"), g.input(1.0, "b")
    v = a**2
    z = v / (v + b**2 + 1)
    g.backward(z)
    # Quotient rule: dz/da = 2a(b^2+1)/(a^2+b^2+1)^2, dz/db = -2a^2 b/(...)^2.
    assert a.grad == pytest.approx(2 * 2 * 2 / 36, abs=1e-15)
    assert b.grad == pytest.approx(-2 * 4 * 1 / 36, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(a=st.floats(-3.0, 3.0), b=st.floats(-3.0, 3.0))
def test_nndl_m1_gradient_matches_torch_and_closed_form_everywhere(a, b):
    g = ad.Graph()
    an, bn = g.input(a, "a"), g.input(b, "b")
    v1 = an**2
    z = v1 / (v1 + bn**2 + 1)
    g.backward(z)
    at = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    (at**2 / (at**2 + bt**2 + 1)).backward()
    d = (a * a + b * b + 1) ** 2
    closed = (2 * a * (b * b + 1) / d, -2 * a * a * b / d)
    for got, ref, cf in zip((an.grad, bn.grad), (at.grad.item(), bt.grad.item()), closed):
        assert got == pytest.approx(ref, rel=1e-13, abs=1e-300)
        assert got == pytest.approx(cf, rel=1e-13, abs=1e-300)


@settings(max_examples=100, deadline=None)
@given(x=st.floats(-4.0, 1.2))
def test_dl_sheet_1_both_modes_match_torch_and_closed_form(x):
    """y = exp(e^x + e^2x) + sin(e^x + e^2x) on its minimal six-operation graph."""
    g = ad.Graph()
    xn = g.input(x, "x")
    f1 = ad.exp(xn)
    f3 = f1 + f1**2
    y = ad.exp(f3) + ad.sin(f3)
    g.tangents({xn: 1.0})
    g.backward(y)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    e = torch.exp(xt)
    (torch.exp(e + e**2) + torch.sin(e + e**2)).backward()
    s = math.exp(x) + math.exp(2 * x)
    closed = (math.exp(x) + 2 * math.exp(2 * x)) * (math.exp(s) + math.cos(s))
    # exp amplifies a relative rounding error in s by s (at most 12.5 here): allow 64 eps.
    for got in (y.tangent, xn.grad):
        assert got == pytest.approx(xt.grad.item(), rel=64 * 2.2e-16)
        assert got == pytest.approx(closed, rel=64 * 2.2e-16)


def test_adjoints_accumulate_over_shared_nodes():
    g = ad.Graph()
    x = g.input(3.0, "x")
    y = x * x + x  # x is used three times
    g.backward(y)
    assert x.grad == pytest.approx(2 * 3.0 + 1)


def test_trace_records_values_and_partials():
    g = ad.Graph()
    x = g.input(0.3, "x")
    y = ad.sin(x) * x
    g.backward(y)
    rows = {r.name: r for r in g.trace()}
    assert rows["v1"].op == "sin"
    assert rows["v1"].partials == pytest.approx((math.cos(0.3),))
    assert rows["v2"].inputs == ("v1", "x")
    assert rows["v2"].partials == pytest.approx((0.3, math.sin(0.3)))
    assert rows["x"].adjoint == pytest.approx(math.cos(0.3) * 0.3 + math.sin(0.3))
    text = ad.format_table(g.trace(), columns=("name", "op", "value", "adjoint"))
    assert "sin" in text and text.count("\n") == 1 + len(g.trace())


def test_default_names_count_operations_only():
    g = ad.Graph()
    x = g.input(1.0, "x")
    y = ad.exp(x * 2.0) + 1.0  # constants 2 and 1 are not counted
    g.input(3.0, "later")
    w = y * y
    assert [n.name for n in g.nodes if n.op not in ("input", "const")] == ["v1", "v2", "v3", "v4"]
    assert w.name == "v4"


def test_jacobians_match_torch(rng):
    W = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)

    def f(v):
        return [ad.tanh(sum((w * vj for w, vj in zip(row, v)), 0.0)) * v[0] for row in W]

    expected = torch.autograd.functional.jacobian(
        lambda t: torch.tanh(torch.as_tensor(W) @ t) * t[0], torch.as_tensor(x)
    ).numpy()
    np.testing.assert_allclose(ad.jacobian_forward(f, x), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ad.jacobian_reverse(f, x), expected, rtol=1e-12, atol=1e-14)


@settings(max_examples=60, deadline=None)
@given(expr=_expressions(4), point=points)
def test_backward_records_a_reverse_topological_sweep(expr, point):
    """Graph.sweep: every node of the tape up to the output, each after all of its consumers."""
    g = ad.Graph()
    xs = [g.input(v, f"x{i}") for i, v in enumerate(point)]
    try:
        out = _evaluate(expr, xs, "ad")
    except OverflowError:  # exp of exp can overflow; the sweep is not the point there
        assume(False)
    assume(isinstance(out, ad.Node))
    g.input(1.0, "after")  # created after the output: not visited
    g.backward(out)
    tape = g.nodes[: out.index + 1]
    assert sorted(map(id, g.sweep)) == sorted(map(id, tape)) and len(g.sweep) == len(tape)
    position = {id(n): k for k, n in enumerate(g.sweep)}
    for node in g.sweep:
        for parent in node.parents:
            assert position[id(parent)] > position[id(node)]  # the consumer is visited first
    assert g.sweep[0] is out and (g.n_sweeps, g.n_visits) == (1, len(tape))


def test_sweep_counters_accumulate():
    g = ad.Graph()
    x = g.input(0.5, "x")
    y1 = ad.sin(x)  # tape: x, y1
    y2 = y1 * 3.0  # tape: x, y1, 3, y2
    g.backward(y1)
    assert [n.name for n in g.sweep] == ["v1", "x"]
    g.backward(y2)
    assert [n.name for n in g.sweep] == ["v2", "3", "v1", "x"]
    assert (g.n_sweeps, g.n_visits) == (2, 2 + 4)
    assert ad.Graph().sweep == [] and ad.Graph().n_sweeps == 0


@pytest.mark.parametrize("n, m", [(1, 1), (3, 1), (1, 4), (2, 3)])
def test_jacobians_take_n_passes_or_one_recording_and_m_sweeps(n, m, rng):
    W = rng.standard_normal((m, n))
    calls = []

    def f(v):
        calls.append(v[0])
        return [ad.tanh(sum((w * vj for w, vj in zip(row, v)), 0.0)) for row in W]

    ad.jacobian_forward(f, rng.standard_normal(n))
    assert len(calls) == n and all(isinstance(v, ad.Dual) for v in calls)
    calls.clear()
    ad.jacobian_reverse(f, rng.standard_normal(n))
    assert len(calls) == 1
    graph = calls[0].graph
    # Per output: n constants, n products, n + 1 sums (from 0.0), a constant 0 and a tanh: 3n + 2 nodes.
    assert len(graph.nodes) == n + m * (3 * n + 2)
    assert graph.n_sweeps == m
    # Sweep i walks the tape back from output i, at position n + i (3n + 2) - 1.
    assert graph.n_visits == sum(n + i * (3 * n + 2) for i in range(1, m + 1))


def test_input_names_are_unique_across_renaming():
    g = ad.Graph()
    x = g.input(1.0, "x")
    y = ad.exp(x) * 3.0  # nodes v1, the constant "3", v2
    with pytest.raises(ValueError, match="'v2' is already used"):
        g.input(0.0, "v2")
    with pytest.raises(ValueError, match="'3' is already used"):
        g.input(0.0, "3")
    y.name = "y"  # renamed, as the gallery does: the old name is free, the new one taken
    assert g.input(0.0, "v2").name == "v2"
    with pytest.raises(ValueError, match="'y' is already used"):
        g.input(0.0, "y")
    assert [n.name for n in g.nodes] == ["x", "v1", "3", "y", "v2"]


def test_sigmoid_is_stable_for_large_arguments():
    for v in (-800.0, 800.0):
        value, (d,) = ad._rule_sigmoid(v)
        assert 0.0 <= value <= 1.0 and d == pytest.approx(0.0, abs=1e-300)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_log_of_non_positive_is_refused():
    g = ad.Graph()
    x = g.input(-1.0, "x")
    with pytest.raises(ValueError, match="log: x must be positive"):
        ad.log(x)
    with pytest.raises(ValueError, match="positive"):
        ad.log(ad.Dual(0.0, 1.0))


def test_division_by_zero_is_refused():
    g = ad.Graph()
    x = g.input(1.0, "x")
    with pytest.raises(ZeroDivisionError, match="denominator"):
        x / (x - 1.0)


def test_variable_exponent_needs_positive_base():
    g = ad.Graph()
    x, y = g.input(-2.0, "x"), g.input(0.5, "y")
    with pytest.raises(ValueError, match="positive base"):
        x**y


def test_backward_needs_a_node_of_the_graph():
    g, h = ad.Graph(), ad.Graph()
    x = g.input(1.0, "x")
    y = h.input(2.0, "y")
    with pytest.raises(TypeError, match="output must be a scalar Node"):
        g.backward(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="output must be a scalar Node"):
        g.backward(3.0)
    with pytest.raises(ValueError, match="different graph"):
        g.backward(y)
    with pytest.raises(ValueError, match="different graphs"):
        x + y


def test_non_scalar_inputs_are_refused():
    g = ad.Graph()
    with pytest.raises(TypeError, match="value must be a real number"):
        g.input(np.ones(3), "x")
    with pytest.raises(TypeError, match="value must be a real number"):
        g.input(True, "x")
    x = g.input(1.0, "x")
    with pytest.raises(ValueError, match="already used"):
        g.input(2.0, "x")
    with pytest.raises(TypeError, match="real number"):
        x + "1"
    with pytest.raises(TypeError, match="cannot mix"):
        x + ad.Dual(1.0, 0.0)


def test_tangent_seed_must_name_inputs():
    g = ad.Graph()
    x = g.input(1.0, "x")
    y = ad.exp(x)
    with pytest.raises(ValueError, match="not an input"):
        g.tangents({y: 1.0})
    with pytest.raises(TypeError, match="seed must be a dict"):
        g.tangents([x])


def test_jacobian_point_must_be_a_vector():
    with pytest.raises(ValueError, match="x must have 1 dimension"):
        ad.jacobian_forward(lambda v: v, np.ones((2, 2)))
    with pytest.raises(ValueError, match="x must not be empty"):
        ad.jacobian_reverse(lambda v: v, [])


def test_format_table_formats_floats_with_fmt():
    from fractions import Fraction

    g = ad.Graph()
    a = g.input(2.0, "a")
    z = a / (a * a + 2.0)  # 1/3, partials 1/6 and -1/18
    rows = [r for r in g.trace() if r.name == z.name]
    text = ad.format_table(rows, columns=("name", "value", "partials"), fmt=lambda v: str(Fraction(v).limit_denominator(100)))
    assert text.splitlines()[-1].split() == [z.name, "1/3", "1/6,", "-1/18"]
    assert "0.333333" in ad.format_table(rows, columns=("value",))  # default: 6 significant digits
    with pytest.raises(TypeError, match="fmt must be callable"):
        ad.format_table(rows, fmt="{:.3f}")


def test_format_table_rejects_unknown_columns():
    g = ad.Graph()
    g.input(1.0, "x")
    with pytest.raises(ValueError, match="unknown field 'grad'"):
        ad.format_table(g.trace(), columns=("name", "grad"))


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(ad, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_values_must_be_finite_numbers():
    g = ad.Graph()
    with pytest.raises(ValueError, match="^value must be a finite number"):
        g.input(float("nan"), "x")
    with pytest.raises(ValueError, match="^tangent must be a finite number"):
        ad.Dual(1.0, float("inf"))
    with pytest.raises(ValueError, match="^x must be a finite number"):
        ad.exp(float("nan"))
    assert ad.Dual(np.float32(0.5), np.int64(1)).value == 0.5  # numpy scalars are numbers
    x = g.input(np.float64(2.0), "x")
    assert (x * np.int64(3)).value == 6.0


def test_jacobians_name_a_bad_f():
    with pytest.raises(TypeError, match="^f must return a sequence of scalars"):
        ad.jacobian_forward(lambda v: v[0] * v[1], [1.0, 2.0])
    with pytest.raises(TypeError, match="^f must return a sequence of scalars .* at position 0"):
        ad.jacobian_reverse(lambda v: [[v[0]]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^f\(x\) for x of length 1 failed: IndexError"):
        ad.jacobian_forward(lambda v: [v[0] * v[1]], [1.0])
    with pytest.raises(TypeError, match="^f must be callable"):
        ad.jacobian_reverse(3, [1.0])


def test_format_table_arguments():
    g = ad.Graph()
    x = g.input(1.0, "x")
    ad.exp(x)
    with pytest.raises(TypeError, match="^fmt must return a str"):
        ad.format_table(g.trace(), fmt=lambda v: v)
    with pytest.raises(TypeError, match="^precision must be an integer"):
        ad.format_table(g.trace(), precision=2.5)
    with pytest.raises(TypeError, match=r"^rows\[0\] must be a TraceEntry"):
        ad.format_table([1.0])
