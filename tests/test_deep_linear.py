"""Tests for nntheory.deep_linear against autograd, a Monte Carlo loss and a scalar loop."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nntheory import deep_linear


def _scalar_gd_losses(w1, w2, a1, a2, k_max, max_loss=1e100):
    """Independent reference: losses at steps 0..k_max in plain Python floats.

    The divergence rule written out step by step: the run diverges at the
    first step j >= 0 whose loss 0.5 * (w1 * w2)^2 is not <= max_loss, and
    every loss from step j on is inf.
    """
    w1, w2, a1, a2 = float(w1), float(w2), float(a1), float(a2)
    losses, diverged = [], False
    for k in range(k_max + 1):
        if k > 0:
            w1, w2 = w1 * (1.0 - a1 * (w2 * w2)), w2 * (1.0 - a2 * (w1 * w1))
        p = w1 * w2  # Python float arithmetic overflows to inf, it does not raise
        loss = 0.5 * (p * p)
        diverged = diverged or not loss <= max_loss
        losses.append(np.inf if diverged else loss)
    return losses


def _scalar_gd_loss(w1, w2, a1, a2, k, max_loss=1e100):
    return _scalar_gd_losses(w1, w2, a1, a2, k, max_loss)[k]


def test_population_loss_matches_monte_carlo(rng):
    # X uniform on [-sqrt(3), sqrt(3)] has mean 0 and variance 1.
    x = rng.uniform(-np.sqrt(3), np.sqrt(3), size=400_000)
    w1, w2 = 0.7, -1.3
    mc = np.mean(0.5 * (w2 * w1 * x) ** 2)
    se = np.std(0.5 * (w2 * w1 * x) ** 2) / np.sqrt(x.size)
    assert abs(mc - deep_linear.population_loss(w1, w2)) < 5 * se


def test_gradient_and_hessian_match_autograd(rng):
    for w1, w2 in rng.normal(size=(10, 2)) * 2:
        w = torch.tensor([w1, w2], dtype=torch.float64, requires_grad=True)
        loss_fn = lambda v: 0.5 * (v[0] * v[1]) ** 2  # noqa: E731
        (g,) = torch.autograd.grad(loss_fn(w), w)
        h = torch.autograd.functional.hessian(loss_fn, w.detach())
        g1, g2 = deep_linear.gradient(w1, w2)
        np.testing.assert_allclose([g1, g2], g.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(deep_linear.hessian(w1, w2), h.numpy(), rtol=1e-12, atol=1e-12)


def test_hessian_is_indefinite_off_the_axes(rng):
    w1, w2 = rng.normal(size=(2, 50))
    eig = np.linalg.eigvalsh(deep_linear.hessian(w1, w2))
    assert np.all(eig[:, 0] < 0) and np.all(eig[:, 1] > 0)


def test_gd_step_is_the_gradient_step(rng):
    w1, w2, a1, a2 = rng.uniform(0.1, 1.5, size=4)
    g1, g2 = deep_linear.gradient(w1, w2)
    n1, n2 = deep_linear.gd_step(w1, w2, a1, a2)
    np.testing.assert_allclose([n1, n2], [w1 - a1 * g1, w2 - a2 * g2], rtol=1e-14)


def test_grid_matches_scalar_loop_at_sampled_points(rng):
    a1, a2 = np.meshgrid(np.linspace(0.0, 3.0, 120), np.linspace(0.0, 3.0, 110))
    inits = np.array([[1.0, 1.0], [0.5, 1.5], [-1.2, 0.3]])
    steps = [0, 10, 25, 200]
    out = deep_linear.gd_losses(inits[:, 0, None, None], inits[:, 1, None, None], a1, a2, steps)
    assert out.shape == (4, 3, 110, 120)
    for _ in range(60):
        s = rng.integers(3)
        i, j = rng.integers(110), rng.integers(120)
        for r, k in enumerate(steps):
            ref = _scalar_gd_loss(inits[s, 0], inits[s, 1], a1[i, j], a2[i, j], k)
            got = out[r, s, i, j]
            if np.isinf(ref):
                assert np.isinf(got)
            else:
                assert got == pytest.approx(ref, rel=1e-9, abs=1e-300)
    assert np.isinf(out).any() and np.isfinite(out).any()


def test_divergence_reported_as_inf_without_warnings():
    with np.errstate(all="raise"):  # any leaked floating-point warning would raise
        out = deep_linear.gd_losses(2.0, 2.0, 10.0, 10.0, [0, 1, 50])
    assert np.isfinite(out[0]) and np.isinf(out[-1])


def test_trajectory_agrees_with_losses(rng):
    a1 = rng.uniform(0.05, 0.6, size=5)
    traj = deep_linear.gd_trajectory(1.0, 1.2, a1, 0.3, 30)
    losses = deep_linear.gd_losses(1.0, 1.2, a1, 0.3, [0, 7, 30])
    np.testing.assert_array_equal(traj.loss[[0, 7, 30]], losses)


# Issue 14, wrong result 5: divergence was tested only every 4 steps (and at
# recorded steps), so a run that passed max_loss and came back in between was
# missed, and the loss at step 12 depended on whether step 1 was requested.
def test_issue14_transient_divergence_is_caught_whatever_steps_are_requested():
    args = (1.0, -1.75, 0.94, 0.09)
    ref = _scalar_gd_losses(*args, 12, max_loss=2.0)
    # The premise: the loss passes 2 at step 1 and would be far below it at step 12.
    assert ref[0] < 2.0 and np.isinf(ref[1])
    assert _scalar_gd_loss(*args, 12, max_loss=np.inf) < 1e-3
    alone = deep_linear.gd_losses(*args, [12], max_loss=2.0)
    together = deep_linear.gd_losses(*args, [1, 12], max_loss=2.0)
    assert np.isinf(alone[0]) and np.isinf(together).all()
    np.testing.assert_array_equal(deep_linear.gd_trajectory(*args, 12, max_loss=2.0).loss, ref)


# Issue 14, wrong result 6: at step 0 gd_trajectory ignored the threshold
# (8.0) while gd_losses applied it (inf).
def test_issue14_initial_loss_above_threshold_is_diverged_in_both():
    losses = deep_linear.gd_losses(2.0, 2.0, 0.1, 0.1, [0, 3], max_loss=2.0)
    traj = deep_linear.gd_trajectory(2.0, 2.0, 0.1, 0.1, 3, max_loss=2.0)
    assert deep_linear.population_loss(2.0, 2.0) == 8.0
    assert np.isinf(losses).all() and np.isinf(traj.loss).all()
    assert np.isnan(traj.w1).all() and np.isnan(traj.w2).all()


@settings(max_examples=200, deadline=None)
@given(
    w=st.tuples(st.floats(-2.5, 2.5), st.floats(-2.5, 2.5)),
    rates=st.tuples(st.floats(0.0, 4.0), st.floats(0.0, 4.0)),
    max_loss=st.floats(1e-3, 1e3),
    steps=st.lists(st.integers(0, 40), min_size=1, max_size=6),
)
def test_each_step_is_independent_of_the_other_requested_steps(w, rates, max_loss, steps):
    ref = _scalar_gd_losses(*w, *rates, max(steps), max_loss=max_loss)
    together = deep_linear.gd_losses(*w, *rates, steps, max_loss=max_loss)
    traj = deep_linear.gd_trajectory(*w, *rates, max(steps), max_loss=max_loss)
    for got, k in zip(together, steps):
        alone = deep_linear.gd_losses(*w, *rates, [k], max_loss=max_loss)[0]
        assert got == alone == ref[k] == traj.loss[k], (k, got, alone, ref[k], traj.loss[k])


def test_threshold_is_the_computed_loss_exactly():
    # Rates 0 keep the weights fixed, so the loss is the same at every step.
    w1, w2 = 1.1, 1.3
    loss = 0.5 * ((w1 * w2) * (w1 * w2))
    for max_loss, diverged in [(loss, False), (np.nextafter(loss, 0.0), True)]:
        losses = deep_linear.gd_losses(w1, w2, 0.0, 0.0, [0, 1, 5], max_loss=max_loss)
        traj = deep_linear.gd_trajectory(w1, w2, 0.0, 0.0, 5, max_loss=max_loss)
        assert np.isinf(losses).all() == diverged and np.isinf(traj.loss).all() == diverged
        if not diverged:
            assert (losses == loss).all() and (traj.loss == loss).all()


def test_threshold_boundary_at_random_products(rng):
    # For products p at and next to the largest one allowed, the library and
    # the scalar rule 0.5 * p**2 <= max_loss must agree, float for float.
    for max_loss in 10.0 ** rng.uniform(-300, 300, size=200):
        p = np.sqrt(2.0 * max_loss)
        for x in [np.nextafter(np.nextafter(p, 0), 0), np.nextafter(p, 0), p, np.nextafter(p, np.inf), np.nextafter(np.nextafter(p, np.inf), np.inf)]:
            expected = np.inf if not 0.5 * (x * x) <= max_loss else 0.5 * (x * x)
            assert deep_linear.gd_losses(x, 1.0, 0.0, 0.0, [0, 2], max_loss=max_loss)[1] == expected
            assert deep_linear.gd_trajectory(x, 1.0, 0.0, 0.0, 2, max_loss=max_loss).loss[2] == expected


def test_overflow_is_divergence_even_without_a_finite_threshold():
    for max_loss in (np.finfo(float).max, np.inf):
        out = deep_linear.gd_losses(1e200, 1e200, 0.0, 0.0, [0, 1], max_loss=max_loss)
        traj = deep_linear.gd_trajectory(1e200, 1e200, 0.0, 0.0, 1, max_loss=max_loss)
        assert np.isinf(out).all() and np.isinf(traj.loss).all()


def test_large_grids_run_in_blocks_with_the_same_results(rng):
    # 70,000 runs are processed in two blocks; gd_trajectory has no blocks.
    a1 = rng.uniform(0.0, 2.0, size=(350, 200))
    a2 = rng.uniform(0.0, 2.0, size=(350, 200))
    out = deep_linear.gd_losses(1.0, 1.5, a1, a2, [0, 5, 30], max_loss=50.0)
    traj = deep_linear.gd_trajectory(1.0, 1.5, a1, a2, 30, max_loss=50.0)
    np.testing.assert_array_equal(out, traj.loss[[0, 5, 30]])
    assert np.isinf(out[-1]).any() and np.isfinite(out[-1]).any()
    for i, j in zip(rng.integers(350, size=30), rng.integers(200, size=30)):
        ref = _scalar_gd_losses(1.0, 1.5, a1[i, j], a2[i, j], 30, max_loss=50.0)
        assert out[:, i, j].tolist() == [ref[0], ref[5], ref[30]]


def test_flow_invariant_change_per_step(rng):
    w1, w2, a1, a2 = rng.uniform(0.2, 1.0, size=4)
    n1, n2 = deep_linear.gd_step(w1, w2, a1, a2)
    change = deep_linear.flow_invariant(n1, n2, a1, a2) - deep_linear.flow_invariant(w1, w2, a1, a2)
    assert change == pytest.approx(w1**2 * w2**2 * (a1 * w2**2 - a2 * w1**2), rel=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="alpha1"):
        deep_linear.gd_losses(1.0, 1.0, -0.1, 0.1, [1])
    with pytest.raises(ValueError, match="steps"):
        deep_linear.gd_losses(1.0, 1.0, 0.1, 0.1, [-1])
    with pytest.raises(TypeError, match="steps"):
        deep_linear.gd_losses(1.0, 1.0, 0.1, 0.1, [1.5])
    with pytest.raises(TypeError, match="w1"):
        deep_linear.population_loss("a", 1.0)
    with pytest.raises(ValueError, match="max_loss"):
        deep_linear.gd_losses(1.0, 1.0, 0.1, 0.1, [1], max_loss=0)
    with pytest.raises(ValueError, match="positive"):
        deep_linear.flow_invariant(1.0, 1.0, 0.0, 1.0)


def test_shapes_that_do_not_broadcast_are_named():
    with pytest.raises(ValueError, match=r"w1 \(3,\), w2 \(2,\)"):
        deep_linear.hessian(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="alpha1"):
        deep_linear.gd_losses(1.0, 1.5, np.ones(3), np.ones(2), steps=[1])


def _scalar_gd_end(w1, w2, a1, a2, n_steps):
    """Independent reference: the weights after n_steps GD steps, in plain Python floats."""
    w1, w2, a1, a2 = float(w1), float(w2), float(a1), float(a2)
    for _ in range(n_steps):
        w1, w2 = w1 - a1 * w1 * w2 * w2, w2 - a2 * w1 * w1 * w2
    return w1, w2


def test_one_step_laws_of_the_two_invariants(rng):
    # C' = C (1 - p) and Q' = Q (1 - p^2) with p = 2 a1 a2 L, the step taken by the scalar loop.
    for _ in range(200):
        w1, w2 = rng.uniform(-2.0, 2.0, size=2)
        a1, a2 = rng.uniform(0.01, 2.0, size=2)
        n1, n2 = _scalar_gd_end(w1, w2, a1, a2, 1)
        p = a1 * a2 * (w1 * w2) ** 2
        C, Q = w1**2 / a1 - w2**2 / a2, (w1**2 / a1 - w2**2 / a2) * (a1 * w2**2 + a2 * w1**2 - 4)
        assert deep_linear.flow_invariant(n1, n2, a1, a2) == pytest.approx(C * (1 - p), rel=1e-9, abs=1e-9 * (1 + abs(C)))
        assert deep_linear.gd_invariant(n1, n2, a1, a2) == pytest.approx(Q * (1 - p**2), rel=1e-9, abs=1e-9 * (1 + abs(Q)))
        assert deep_linear.gd_invariant(w1, w2, a1, a2) == pytest.approx(Q, rel=1e-12)


def test_flow_landing_matches_an_rk4_integration_of_the_flow():
    # The gradient flow dw1/dt = -a1 w1 w2^2, dw2/dt = -a2 w1^2 w2, integrated by classical RK4.
    def field(w, a1, a2):
        return np.array([-a1 * w[0] * w[1] ** 2, -a2 * w[0] ** 2 * w[1]])

    for (w1, w2, a1, a2) in [(1.5, 0.5, 1.0, 1.0), (1.0, 0.8, 0.5, 2.0), (0.6, 1.1, 1.0, 0.3)]:
        w, dt = np.array([w1, w2]), 0.01
        for _ in range(20_000):  # flow time 200: the vanishing weight is below 1e-20
            k1 = field(w, a1, a2)
            k2 = field(w + dt / 2 * k1, a1, a2)
            k3 = field(w + dt / 2 * k2, a1, a2)
            k4 = field(w + dt * k3, a1, a2)
            w = w + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        sq1, sq2 = deep_linear.predicted_landing(w1, w2, a1, a2, method="flow")
        np.testing.assert_allclose([sq1, sq2], w**2, atol=1e-8)


@pytest.mark.parametrize("start", [(1.5, 0.5, 1.0, 1.0), (1.0, 0.8, 0.3, 3.0), (0.7, 1.2, 1.0, 0.5)])
def test_landing_predictions_have_errors_of_order_one_two_three(start):
    # Rates h * (r1, r2); GD from the scalar loop for a fixed flow time. Halving h should divide
    # the error of the three predictions by about 2, 4 and 8.
    w1, w2, r1, r2 = start
    errors = {m: [] for m in ("flow", "first-order", "gd-invariant")}
    for h in (0.04, 0.02):
        e1, e2 = _scalar_gd_end(w1, w2, h * r1, h * r2, int(150 / h))
        assert 0.5 * (e1 * e2) ** 2 < 1e-40  # landed
        for m in errors:
            sq1, sq2 = deep_linear.predicted_landing(w1, w2, h * r1, h * r2, method=m)
            errors[m].append(abs(sq1 - e1**2) + abs(sq2 - e2**2))
    for m, order in [("flow", 1), ("first-order", 2), ("gd-invariant", 3)]:
        ratio = errors[m][0] / errors[m][1]
        assert 2**order * 0.75 < ratio < 2**order * 1.33, (m, ratio, errors[m])


def test_predicted_landing_picks_the_axis_by_the_sign_of_c():
    sq1, sq2 = deep_linear.predicted_landing([1.5, 0.5], [0.5, 1.5], 0.1, 0.1)
    assert sq1[0] > 0 and sq2[0] == 0 and sq1[1] == 0 and sq2[1] > 0
    assert sq1[0] == pytest.approx(sq2[1])  # mirror starts, equal rates


def test_predicted_landing_bad_input():
    with pytest.raises(ValueError, match="method"):
        deep_linear.predicted_landing(1.0, 1.0, 0.1, 0.1, method="exact")
    with pytest.raises(ValueError, match="s\\(0\\)"):
        deep_linear.predicted_landing(1.0, 1.0, 2.0, 2.5)
    with pytest.raises(ValueError, match="positive"):
        deep_linear.predicted_landing(1.0, 1.0, 0.0, 0.1, method="flow")

def test_arguments_are_checked():
    with pytest.raises(ValueError, match="^w1_0 must be finite"):
        deep_linear.gd_losses(np.nan, 1.0, 0.1, 0.1, [3])
    # the closed forms are elementwise: a diverged run's NaN (as gd_trajectory returns it) maps to NaN
    assert np.isnan(deep_linear.flow_invariant(np.array([1.0, np.nan]), 1.0, 0.1, 0.1)).tolist() == [False, True]
    with pytest.raises(ValueError, match="^alpha2 must be finite"):
        deep_linear.gd_step(1.0, 1.0, 0.1, np.inf)
    with pytest.raises(ValueError, match="^w2_0 must be finite"):
        deep_linear.gd_trajectory(1.0, np.inf, 0.1, 0.1, 3)
    with pytest.raises(TypeError, match=r"^steps\[0\] must be an integer"):
        deep_linear.gd_losses(1.0, 1.0, 0.1, 0.1, [2.5])
    with pytest.raises(TypeError, match="^n_steps must be an integer"):
        deep_linear.gd_trajectory(1.0, 1.0, 0.1, 0.1, 1.5)
    with pytest.raises(ValueError, match="^max_loss must be a finite number"):
        deep_linear.gd_losses(1.0, 1.0, 0.1, 0.1, [3], max_loss=float("nan"))
    with pytest.raises(TypeError, match="^alpha1 must be a numpy array"):
        deep_linear.gd_step(1.0, 1.0, "0.1", 0.1)
    # numpy scalars and an infinite threshold are fine
    a = deep_linear.gd_losses(np.float32(1.0), 1.2, np.float64(0.1), 0.3, np.int64(4), max_loss=np.inf)
    b = deep_linear.gd_losses(1.0, 1.2, 0.1, 0.3, [4])
    np.testing.assert_array_equal(a, b)
