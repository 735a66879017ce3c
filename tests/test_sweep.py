"""The batched width sweep equals a plain loop over models (float64)."""

import numpy as np
import pytest
import torch

from nntheory.data.teacher_student import make_teacher, sample_teacher_student
from nntheory.sweep import _activation_and_slope, _Stacks, _train_stacks, init_mlp, mlp_n_params, plan_buckets, train_mlp_loop, train_mlp_sweep


@pytest.fixture
def data():
    return sample_teacher_student(make_teacher(seed=0), 40, 200, generator=torch.Generator().manual_seed(5))


@pytest.mark.parametrize("optimizer, lr, schedule, activation", [("adam", 1e-2, "cosine", "relu"), ("gd", 5e-2, "constant", "relu"),
                                                                ("adam", 1e-2, "constant", "tanh")])
def test_sweep_equals_loop(data, optimizer, lr, schedule, activation):
    widths = [1, 3, 7, 12, 3]
    seeds = [0, 0, 1, 2, 5]
    kw = dict(n_steps=400, lr=lr, optimizer=optimizer, schedule=schedule, activation=activation, record_every=50)
    loop = train_mlp_loop(data.X_train, data.y_train, data.X_test, data.y_test, widths, seeds, **kw)
    for n_buckets in (1, 2, "auto"):
        batched = train_mlp_sweep(data.X_train, data.y_train, data.X_test, data.y_test, widths, seeds, n_buckets=n_buckets, **kw)
        np.testing.assert_array_equal(batched.widths, widths)
        np.testing.assert_array_equal(batched.steps, loop.steps)
        np.testing.assert_allclose(batched.train_history, loop.train_history, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(batched.train_loss, loop.train_loss, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(batched.test_loss, loop.test_loss, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(batched.grad_norm, loop.grad_norm, rtol=1e-8, atol=1e-12)
        for wb, wl in zip(batched.weights, loop.weights):
            for tb, tl in zip(wb, wl):
                assert tb.shape == tl.shape
                torch.testing.assert_close(tb, tl, rtol=1e-8, atol=1e-10)
    # Training actually happened.
    assert np.all(loop.train_loss < loop.train_history[0])


@pytest.mark.parametrize("optimizer", ["adam", "gd"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_padded_weights_stay_exactly_zero(data, optimizer, activation, monkeypatch):
    """The padded hidden units of narrow models keep zero in- and outgoing weights after training."""
    widths = np.array([2, 5, 9])
    stacks = [np.arange(3)]  # one stack padded to width 9
    kept = []
    original = _Stacks.unpadded

    def keep(self, n, w):  # capture the padded buffers at the end of training
        kept.append([t.clone() for t in self.params[0]])
        return original(self, n, w)

    monkeypatch.setattr(_Stacks, "unpadded", keep)
    _train_stacks(data.X_train, data.y_train, data.X_test, data.y_test, widths, np.zeros(3, int), stacks,
                  200, 1e-2, optimizer, "constant", activation, 50, "cpu")
    W1t, b1, W2t, b2 = kept[0]  # (B, M, d), (B, M), (B, k, M), (B, k)
    for i, m in enumerate(widths):
        assert torch.all(W1t[i, m:] == 0) and torch.all(b1[i, m:] == 0) and torch.all(W2t[i, :, m:] == 0)
        assert torch.all(W2t[i, :, :m] != 0)  # the real units did train


def test_stacked_gradient_against_autograd(data):
    """The hand-written loss and gradient of stacked models (at their initial weights) equal torch.autograd's."""
    widths, seeds = np.array([1, 4, 7, 7]), np.array([3, 1, 0, 2])
    for activation, sigma in (("tanh", torch.tanh), ("relu", torch.relu)):
        S = _Stacks(widths, seeds, [np.array([1, 0]), np.array([2, 3])], 10, 5, torch.float64, "cpu")
        losses = torch.cat(S.losses(data.X_train.T.contiguous(), data.y_train.T.contiguous(), *_activation_and_slope(activation)))
        norms = torch.cat(S.grad_norms())
        for j, (i, params) in enumerate(zip([1, 0, 2, 3], [p for idx in S.stacks for p in _unpadded(S, idx, widths)])):
            params = [t.clone().requires_grad_() for t in params]
            loss = ((sigma(data.X_train @ params[0] + params[1]) @ params[2] + params[3] - data.y_train) ** 2).mean()
            grads = torch.autograd.grad(loss, params)
            assert losses[j].item() == pytest.approx(loss.item(), rel=1e-13)
            assert norms[j].item() == pytest.approx(torch.sqrt(sum((g**2).sum() for g in grads)).item(), rel=1e-12)


def _unpadded(S, idx, widths):
    s = next(q for q, stack in enumerate(S.stacks) if np.array_equal(stack, idx))
    W1t, b1, W2t, b2 = S.params[s]
    return [(W1t[j, :widths[i]].T, b1[j, :widths[i]], W2t[j, :, :widths[i]].T, b2[j]) for j, i in enumerate(idx)]


def test_plan_buckets_is_the_cheapest_partition():
    """The dynamic programme against brute force over every split of a short sorted list."""
    import itertools
    rng = np.random.default_rng(0)
    for _ in range(20):
        widths = rng.integers(1, 60, size=7)
        overhead, extra = float(rng.uniform(0, 200)), float(rng.uniform(0, 50))
        ws = np.sort(widths)

        def cost(parts):
            return sum(overhead + len(p) * (p.max() + extra) for p in parts)

        brute = min(cost(np.split(ws, cuts)) for r in range(len(ws)) for cuts in itertools.combinations(range(1, len(ws)), r))
        stacks = plan_buckets(widths, overhead=overhead, extra=extra)
        assert sorted(np.concatenate(stacks).tolist()) == list(range(len(widths)))
        assert cost([widths[idx] for idx in stacks]) == pytest.approx(brute, rel=1e-12)
    # The limits: no overhead gives one stack per distinct width, a huge overhead one stack.
    assert len(plan_buckets([2, 2, 3, 5, 5, 5], overhead=0.0)) in (3, 6)
    assert len(plan_buckets([2, 3, 5], overhead=1e9)) == 1


def test_newton_phase_sweep_equals_loop_and_converges(data):
    """After the Newton phase the batched sweep and the loop agree, and every model is stationary."""
    widths, seeds = [3, 6, 6, 20], [0, 1, 2, 0]
    kw = dict(n_steps=300, lr=1e-2, activation="tanh", newton_iter=100, gtol=1e-9, record_every=100)
    batched = train_mlp_sweep(data.X_train, data.y_train, data.X_test, data.y_test, widths, seeds, n_buckets=2, **kw)
    loop = train_mlp_loop(data.X_train, data.y_train, data.X_test, data.y_test, widths, seeds, **kw)
    # At a minimum the loss is quadratic in the weights, so the training losses agree far more closely than the
    # weights (and the test losses), which are only pinned down to about gtol / curvature.
    np.testing.assert_allclose(batched.train_loss, loop.train_loss, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(batched.test_loss, loop.test_loss, rtol=1e-6)
    np.testing.assert_array_equal(batched.newton_iter, loop.newton_iter)
    assert np.all(batched.grad_norm <= 1e-9) and np.all(batched.newton_iter > 0)
    assert not batched.newton_stalled.any()
    # Widths 3 and 6 (P = 53, 101 < Nk = 200) were refined by Newton's method, which reports the Hessian's smallest
    # eigenvalue; width 20 (P = 325 >= 200) by Gauss-Newton, which does not.
    assert np.all(np.isfinite(batched.min_eigenvalue[:3])) and np.isnan(batched.min_eigenvalue[3])
    # The reported gradient norm is that of the returned weights (autograd, independent of newton.py).
    for (W1, b1, W2, b2), g_reported in zip(batched.weights, batched.grad_norm):
        params = [t.clone().requires_grad_() for t in (W1, b1, W2, b2)]
        loss = ((torch.tanh(data.X_train @ params[0] + params[1]) @ params[2] + params[3] - data.y_train) ** 2).mean()
        g = torch.sqrt(sum((t**2).sum() for t in torch.autograd.grad(loss, params))).item()
        assert g <= 1e-9 and g == pytest.approx(g_reported, rel=1e-3, abs=1e-12)
    # Newton lowered the first-order losses (recorded at the last first-order step).
    assert np.all(batched.train_loss < batched.train_history[-1])


def test_loop_matches_torch_nn_reference(data):
    """The loop itself against nn.Sequential + torch.optim.Adam from the same initial weights."""
    W1, b1, W2, b2 = init_mlp(6, 10, 5, seed=4)
    net = torch.nn.Sequential(torch.nn.Linear(10, 6), torch.nn.ReLU(), torch.nn.Linear(6, 5)).double()
    with torch.no_grad():
        net[0].weight.copy_(W1.T), net[0].bias.copy_(b1), net[2].weight.copy_(W2.T), net[2].bias.copy_(b2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(100):
        opt.zero_grad()
        torch.nn.functional.mse_loss(net(data.X_train), data.y_train).backward()
        opt.step()
    with torch.no_grad():
        ref = torch.nn.functional.mse_loss(net(data.X_test), data.y_test).item()
    loop = train_mlp_loop(data.X_train, data.y_train, data.X_test, data.y_test, [6], [4], n_steps=100, lr=1e-2)
    assert loop.test_loss[0] == pytest.approx(ref, rel=1e-12)


def test_n_params_against_torch():
    for m in (2, 31, 60):
        net = torch.nn.Sequential(torch.nn.Linear(10, m), torch.nn.ReLU(), torch.nn.Linear(m, 5))
        assert mlp_n_params(m) == sum(p.numel() for p in net.parameters()) == 16 * m + 5


def test_init_is_torch_default_range():
    W1, b1, W2, b2 = init_mlp(50, 10, 5, seed=0)
    assert W1.abs().max() <= 10**-0.5 and W2.abs().max() <= 50**-0.5
    assert W1.abs().max() > 0.9 * 10**-0.5  # actually uses the range


def test_bad_input(data):
    args = (data.X_train, data.y_train, data.X_test, data.y_test)
    with pytest.raises(ValueError, match="widths and seeds"):
        train_mlp_sweep(*args, [2, 3], [0], n_steps=1, lr=0.1)
    with pytest.raises(ValueError, match=r"^widths\[0\] must be an integer >= 1"):
        train_mlp_sweep(*args, [0], [0], n_steps=1, lr=0.1)
    with pytest.raises(ValueError, match="optimizer"):
        train_mlp_sweep(*args, [2], [0], n_steps=1, lr=0.1, optimizer="sgd")
    with pytest.raises(ValueError, match="n_buckets"):
        train_mlp_sweep(*args, [2], [0], n_steps=1, lr=0.1, n_buckets=0)
    with pytest.raises(ValueError, match="n_buckets"):
        train_mlp_sweep(*args, [2], [0], n_steps=1, lr=0.1, n_buckets="fast")
    with pytest.raises(ValueError, match="overhead"):
        plan_buckets([2, 3], overhead=float("nan"))
    with pytest.raises(ValueError, match="widths"):
        plan_buckets([])
    with pytest.raises(ValueError, match="schedule"):
        train_mlp_loop(*args, [2], [0], n_steps=1, lr=0.1, schedule="step")
    with pytest.raises(ValueError, match="lr"):
        train_mlp_loop(*args, [2], [0], n_steps=1, lr=0.0)
    with pytest.raises(ValueError, match="activation"):
        train_mlp_sweep(*args, [2], [0], n_steps=1, lr=0.1, activation="gelu")
    with pytest.raises(ValueError, match="newton_iter > 0 needs activation='tanh'"):
        train_mlp_sweep(*args, [2], [0], n_steps=1, lr=0.1, newton_iter=5)
    with pytest.raises(ValueError, match="gtol"):
        train_mlp_loop(*args, [2], [0], n_steps=1, lr=0.1, activation="tanh", newton_iter=5, gtol=0.0)
    with pytest.raises(ValueError, match="ftol"):
        train_mlp_sweep(*args, [2], [0], n_steps=1, lr=0.1, activation="tanh", newton_iter=5, ftol=-0.1)
    with pytest.raises(ValueError, match="same number of samples"):
        train_mlp_sweep(data.X_train, data.y_test, data.X_test, data.y_test, [2], [0], n_steps=1, lr=0.1)


def test_arguments_are_checked_before_training(data):
    """Issue 14: floats for counts, zero record_every, non-finite data and rates are refused up front, named."""
    args = (data.X_train, data.y_train, data.X_test, data.y_test)
    with pytest.raises(TypeError, match=r"^widths\[0\] must be an integer"):
        train_mlp_sweep(*args, [2.7], [0], n_steps=1, lr=0.1)  # used to train width 2
    with pytest.raises(TypeError, match=r"^seeds\[0\] must be an integer"):
        train_mlp_loop(*args, [2], [1.5], n_steps=1, lr=0.1)  # used to run seed 1
    with pytest.raises(ValueError, match="^record_every must be an integer >= 1, got 0"):
        train_mlp_sweep(*args, [2], [0], n_steps=1, lr=0.1, record_every=0)  # used to divide by zero
    with pytest.raises(ValueError, match="^lr must be a finite number"):
        train_mlp_sweep(*args, [2], [0], n_steps=1, lr=float("inf"))
    bad = data.y_train.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="^y_train must be finite"):
        train_mlp_sweep(data.X_train, bad, data.X_test, data.y_test, [2], [0], n_steps=1, lr=0.1)
    with pytest.raises(TypeError, match=r"^y_test must have dtype torch.float64 \(X_train's\)"):
        train_mlp_loop(data.X_train, data.y_train, data.X_test, data.y_test.float(), [2], [0], n_steps=1, lr=0.1)
    with pytest.raises(ValueError, match="^X_test and X_train must have the same number of features"):
        train_mlp_sweep(data.X_train, data.y_train, data.X_test[:, :3], data.y_test, [2], [0], n_steps=1, lr=0.1)
    with pytest.raises(ValueError, match="^n_hidden must be an integer >= 1, got -1"):
        mlp_n_params(-1)  # used to return -11
    with pytest.raises(TypeError, match="^seed must be an integer"):
        init_mlp(3, 4, 2, seed=1.5)


def test_numpy_scalars_are_accepted(data):
    args = (data.X_train, data.y_train, data.X_test, data.y_test)
    ref = train_mlp_sweep(*args, [2, 3], [0, 1], n_steps=3, lr=0.01, record_every=1)
    res = train_mlp_sweep(*args, np.array([2, 3]), [np.int64(0), np.int64(1)], n_steps=np.int64(3), lr=np.float64(0.01), record_every=np.int32(1))
    np.testing.assert_array_equal(res.train_loss, ref.train_loss)
    assert mlp_n_params(np.int64(3)) == mlp_n_params(3)
