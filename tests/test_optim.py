"""The pure update rules and schedules against torch.optim, step by step, in float64."""

import math

import numpy as np
import pytest
import torch

from nntheory import optim

N_STEPS = 120


def _problem(generator):
    """A small tanh network on random regression data: real, changing gradients."""
    X = torch.randn(32, 3, generator=generator, dtype=torch.float64)
    y = torch.randn(32, 1, generator=generator, dtype=torch.float64)
    params = [
        0.5 * torch.randn(3, 8, generator=generator, dtype=torch.float64),
        0.1 * torch.randn(8, generator=generator, dtype=torch.float64),
        0.5 * torch.randn(8, 1, generator=generator, dtype=torch.float64),
    ]

    def loss(ps):
        w1, b1, w2 = ps
        return ((torch.tanh(X @ w1 + b1) @ w2 - y) ** 2).mean()

    return params, loss


def _grads(loss, params):
    ps = [p.detach().requires_grad_(True) for p in params]
    return [g.detach() for g in torch.autograd.grad(loss(ps), ps)]


def _run_both(generator, rule, torch_cls, torch_kwargs, scheduler=None):
    """Max abs difference between our rule and torch's optimizer over N_STEPS steps."""
    params, loss = _problem(generator)
    ref = [p.clone().requires_grad_(True) for p in params]
    opt = torch_cls(ref, **torch_kwargs)
    sched = scheduler(opt) if scheduler is not None else None
    ours = [p.clone() for p in params]
    state = rule.init(ours)
    worst = 0.0
    for _ in range(N_STEPS):
        opt.zero_grad()
        loss(ref).backward()
        opt.step()
        if sched is not None:
            sched.step()
        ours, state = rule.update(ours, _grads(loss, ours), state)
        worst = max(worst, max((a - b.detach()).abs().max().item() for a, b in zip(ours, ref)))
    # The parameters must actually have moved, or the comparison is vacuous.
    assert max((a - b).abs().max().item() for a, b in zip(ours, params)) > 1e-3
    return worst


@pytest.mark.parametrize(
    "rule, torch_cls, kwargs",
    [
        (optim.sgd(lr=0.1), torch.optim.SGD, dict(lr=0.1)),
        (optim.sgd(lr=0.05, momentum=0.9), torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
        (optim.sgd(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01), torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
        (optim.rmsprop(lr=0.01), torch.optim.RMSprop, dict(lr=0.01)),
        # (alpha, eps chosen so that the RMSProp map stays stable on this problem: where
        # sqrt(v) is tiny its effective step explodes and amplifies rounding by ~4x per step.)
        (optim.rmsprop(lr=0.01, alpha=0.95, eps=1e-4, weight_decay=0.1), torch.optim.RMSprop, dict(lr=0.01, alpha=0.95, eps=1e-4, weight_decay=0.1)),
        (optim.adam(lr=0.01), torch.optim.Adam, dict(lr=0.01)),
        (optim.adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
        (optim.adamw(lr=0.01, weight_decay=0.5), torch.optim.AdamW, dict(lr=0.01, weight_decay=0.5)),
    ],
    ids=["sgd", "momentum", "nesterov-wd", "rmsprop", "rmsprop-wd", "adam", "adam-l2", "adamw"],
)
def test_rules_match_torch(generator, rule, torch_cls, kwargs):
    assert _run_both(generator, rule, torch_cls, kwargs) < 1e-12


def test_adam_without_bias_correction_closed_form():
    # Oracle: the first step without correction is -lr (1 - b1) / sqrt(1 - b2) * sign(g) for |g| >> eps.
    lr, b1, b2 = 0.1, 0.9, 0.999
    g = np.array([2.0, -0.5, 1e3])
    rule = optim.adam(lr=lr, betas=(b1, b2), eps=1e-12, bias_correction=False)
    theta, _ = rule.update(np.zeros(3), g, rule.init(np.zeros(3)))
    np.testing.assert_allclose(theta, -lr * (1 - b1) / math.sqrt(1 - b2) * np.sign(g), rtol=1e-9)


def test_adam_first_step_is_sign():
    g = torch.tensor([3.0, -1e-4, 1e6], dtype=torch.float64)
    rule = optim.adam(lr=0.01, eps=1e-12)
    theta, state = rule.update(torch.zeros(3, dtype=torch.float64), g, rule.init(torch.zeros(3, dtype=torch.float64)))
    torch.testing.assert_close(theta, -0.01 * torch.sign(g), rtol=1e-7, atol=0)
    assert state.count == 1


def test_numpy_and_single_array_structure():
    rule = optim.sgd(lr=0.5, momentum=0.5)
    p, state = rule.update(np.array([1.0, 2.0]), np.array([1.0, 1.0]), rule.init(np.array([1.0, 2.0])))
    np.testing.assert_allclose(p, [0.5, 1.5])
    p, state = rule.update(p, np.array([1.0, 1.0]), state)
    np.testing.assert_allclose(p, [0.5 - 0.5 * 1.5, 1.5 - 0.5 * 1.5])  # b2 = 0.5*1 + 1
    ps, _ = rule.update((np.ones(2), np.ones(1)), (np.ones(2), np.ones(1)), rule.init((np.ones(2), np.ones(1))))
    assert isinstance(ps, tuple) and len(ps) == 2


def test_update_is_pure(generator):
    params, loss = _problem(generator)
    before = [p.clone() for p in params]
    rule = optim.adam(lr=0.1)
    state = rule.init(params)
    grads = _grads(loss, params)
    rule.update(params, grads, state)
    for a, b in zip(params, before):
        assert torch.equal(a, b)
    assert all(torch.count_nonzero(m) == 0 for m in state.m)


def _torch_lrs(make_scheduler, n, lr=1.0):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = make_scheduler(opt)
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(lrs)


def test_step_decay_matches_steplr():
    ours = optim.step_decay(0.3, step_size=7, gamma=0.5)
    ref = _torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5), 40, lr=0.3)
    np.testing.assert_allclose([ours(k) for k in range(40)], ref, rtol=1e-12)


def test_warmup_cosine_matches_sequential_lr():
    lr, warm, total, eta_min = 0.2, 10, 50, 0.01

    def make(o):
        a = torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=warm)
        b = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total - warm, eta_min=eta_min)
        return torch.optim.lr_scheduler.SequentialLR(o, [a, b], milestones=[warm])

    ours = optim.warmup_cosine(lr, warm, total, start_factor=0.1, eta_min=eta_min)
    ref = _torch_lrs(make, total, lr=lr)
    np.testing.assert_allclose([ours(k) for k in range(total)], ref, rtol=1e-10, atol=1e-14)
    assert ours(total + 5) == pytest.approx(eta_min)


def test_schedule_drives_the_rule(generator):
    sched = optim.step_decay(0.1, step_size=10, gamma=0.5)
    err = _run_both(generator, optim.sgd(lr=sched, momentum=0.9), torch.optim.SGD, dict(lr=0.1, momentum=0.9), scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=10, gamma=0.5))
    assert err < 1e-12


def test_torch_wrapper_matches_torch_adamw(generator):
    params, loss = _problem(generator)
    a = [p.clone().requires_grad_(True) for p in params]
    b = [p.clone().requires_grad_(True) for p in params]
    ours = optim.TorchOptimizer(a, optim.adamw(lr=0.01, weight_decay=0.1))
    ref = torch.optim.AdamW(b, lr=0.01, weight_decay=0.1)
    for _ in range(N_STEPS):
        for opt, ps in ((ours, a), (ref, b)):
            opt.zero_grad()
            loss(ps).backward()
            opt.step()
    assert max((p - q).abs().max().item() for p, q in zip(a, b)) < 1e-12


@pytest.mark.parametrize(
    "make, word",
    [
        (lambda: optim.sgd(lr=-0.1), "lr"),
        (lambda: optim.sgd(lr=0.1, momentum=1.0), "momentum"),
        (lambda: optim.sgd(lr=0.1, weight_decay=-1.0), "weight_decay"),
        (lambda: optim.rmsprop(lr=0.1, alpha=1.0), "alpha"),
        (lambda: optim.rmsprop(lr=0.1, eps=0.0), "eps"),
        (lambda: optim.adam(lr=-1e-3), "lr"),
        (lambda: optim.adam(betas=(1.0, 0.999)), "betas"),
        (lambda: optim.adam(betas=(0.9, -0.1)), "betas"),
        (lambda: optim.adam(eps=-1e-8), "eps"),
        (lambda: optim.adamw(weight_decay=-0.01), "weight_decay"),
        (lambda: optim.step_decay(0.1, step_size=0), "step_size"),
        (lambda: optim.warmup_cosine(0.1, 10, 5), "total_steps"),
    ],
)
def test_invalid_hyperparameters(make, word):
    with pytest.raises(ValueError, match=word):
        make()


def test_bad_structures():
    rule = optim.sgd(lr=0.1)
    with pytest.raises(TypeError, match="params"):
        rule.init({"a": np.ones(2)})
    with pytest.raises(ValueError, match="grads"):
        rule.update([np.ones(2)], [np.ones(2), np.ones(2)], rule.init([np.ones(2)]))
    with pytest.raises(TypeError, match="rule"):
        optim.TorchOptimizer([torch.zeros(1, requires_grad=True)], "adam")


@pytest.mark.parametrize(
    "make, torch_cls, kwargs",
    [
        (lambda: optim.adam(lr=0.1), torch.optim.Adam, dict(lr=0.1)),
        (lambda: optim.sgd(lr=0.05, momentum=0.9), torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
        (lambda: optim.rmsprop(lr=0.01), torch.optim.RMSprop, dict(lr=0.01)),
    ],
)
def test_torch_wrapper_checkpoint_round_trip(generator, tmp_path, make, torch_cls, kwargs):
    # Regression: state_dict()["state"] was empty, so save -> reload -> continue
    # differed from an uninterrupted run. Oracle: torch.optim, checkpointed the same way.
    params, loss = _problem(generator)

    def run(opt_factory, split):
        ps = [p.clone().requires_grad_(True) for p in params]
        opt = opt_factory(ps)
        for k in range(10):
            if k == split:
                torch.save({"params": [p.detach() for p in ps], "opt": opt.state_dict()}, tmp_path / "ckpt.pt")
                saved = torch.load(tmp_path / "ckpt.pt", weights_only=True)
                ps = [p.clone().requires_grad_(True) for p in saved["params"]]
                opt = opt_factory(ps)
                opt.load_state_dict(saved["opt"])
            opt.zero_grad()
            loss(ps).backward()
            opt.step()
        return torch.cat([p.detach().flatten() for p in ps])

    ours = lambda ps: optim.TorchOptimizer(ps, make())  # noqa: E731
    theirs = lambda ps: torch_cls(ps, **kwargs)  # noqa: E731
    uninterrupted = run(ours, None)
    assert torch.equal(run(ours, 5), uninterrupted)
    torch.testing.assert_close(run(theirs, 5), uninterrupted, rtol=1e-12, atol=1e-12)
    assert optim.TorchOptimizer([params[0].clone().requires_grad_(True)], make()).state_dict()["state"]  # not empty


# ---------------------------------------------------------------------------
# Long-run and stationary behaviour derived on the optimisation pages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("lr, h", [(0.01, (100.0, 1.0)), (0.02, (3.0, 0.5))])
def test_rmsprop_constant_rate_ends_in_period_two_cycle(lr, h):
    # Oracle: the derivation on the RMSProp page. A period-2 cycle theta -> -theta with constant s
    # needs lr h / (sqrt(s) + eps) = 2 and s = h^2 theta^2, hence |theta_j| = lr / 2 - eps / h_j.
    # torch.optim.RMSprop runs the dynamics, independently of our rule, and our rule must agree.
    H = torch.tensor(h, dtype=torch.float64)
    p = torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.RMSprop([p], lr=lr, alpha=0.99, eps=1e-8)
    rule = optim.rmsprop(lr, alpha=0.99, eps=1e-8)
    ours = np.ones(2)
    state = rule.init(ours)
    for _ in range(8000):
        opt.zero_grad()
        p.grad = H * p.detach()
        opt.step()
        ours, state = rule.update(ours, H.numpy() * ours, state)
    tail = []
    for _ in range(2):
        p.grad = H * p.detach()
        opt.step()
        tail.append(p.detach().clone())
    cycle = lr / 2 - 1e-8 / H.numpy()
    np.testing.assert_allclose(tail[0].abs().numpy(), cycle, rtol=1e-9)
    torch.testing.assert_close(tail[1], -tail[0], rtol=1e-9, atol=0)  # period two
    np.testing.assert_allclose(np.abs(ours), cycle, rtol=1e-9)


@pytest.mark.parametrize("rho", [0.9, 0.99])
def test_rmsprop_geometric_schedule_keeps_the_effective_rate_from_growing(rng, rho):
    # Oracle: the RMSProp page's argument. s_{k+1} >= rho s_k, so with lr_k = lr rho^(k/2)
    # lr_{k+1} / (sqrt(s_{k+1}) + eps) <= lr_k / (sqrt(s_k) + eps / sqrt(rho)) <= lr_k / (sqrt(s_k) + eps),
    # whatever the gradients: here gradients whose scale jumps over six decades, including exact zeros.
    lr, eps, n_steps = 0.01, 1e-8, 400
    schedule = lambda k: lr * rho ** (k / 2)
    grads = rng.standard_normal((n_steps, 3)) * 10.0 ** rng.uniform(-6, 0, (n_steps, 1))
    grads[rng.random(n_steps) < 0.2] = 0.0
    rule = optim.rmsprop(schedule, alpha=rho, eps=eps)
    theta, state = np.zeros(3), rule.init(np.zeros(3))
    rates = []
    for k, g in enumerate(grads):
        theta, state = rule.update(theta, g, state)
        rates.append(schedule(k) / (np.sqrt(state.square_avg[0]) + eps))  # the rate update k used
    rates = np.array(rates)  # (n_steps, 3)
    assert np.all(rates[1:] <= rates[:-1] * (1 + 1e-12))
    # and with a constant rate the same gradients do make it grow (the excursion of the page)
    rule = optim.rmsprop(lr, alpha=rho, eps=eps)
    theta, state = np.zeros(3), rule.init(np.zeros(3))
    const_rates = []
    for g in grads:
        theta, state = rule.update(theta, g, state)
        const_rates.append(lr / (np.sqrt(state.square_avg[0]) + eps))
    assert np.any(np.diff(np.array(const_rates), axis=0) > 0)


def _linear_problem(rng, scales, n_samples=512, noise=0.1):
    X = rng.standard_normal((n_samples, len(scales))) * scales
    y = X @ rng.choice([-1.0, 1.0], len(scales)) + noise * rng.standard_normal(n_samples)
    return X, y


def test_l2_in_the_loss_ends_at_ridge_for_sgd_and_adam_and_adamw_at_weighted_ridge(rng):
    # Oracles: closed forms. A stationary point of the L2-in-the-loss update has grad(L + lam/2 |w|^2) = 0
    # (ridge) for SGD and Adam alike; AdamW's has grad L + lam (sqrt(v_hat) + eps) w = 0 (weighted ridge).
    # Polyak averages over the second half remove the minibatch noise.
    scales = np.logspace(-2, 1, 4)
    X, y = _linear_problem(rng, scales)
    lam, lr, steps, batch = 0.05, 1e-2, 16_000, 32
    A, b = X.T @ X / len(y), X.T @ y / len(y)
    ridge = np.linalg.solve(A + lam * np.eye(len(scales)), b)
    batches = rng.integers(0, len(y), (steps, batch))
    averages, root_v = {}, None
    for name, rule in {"sgd": optim.sgd(lr, weight_decay=lam), "adam": optim.adam(lr, weight_decay=lam), "adamw": optim.adamw(lr, weight_decay=lam)}.items():
        w = np.zeros(len(scales))
        state = rule.init(w)
        w_sum, v_sum = np.zeros_like(w), np.zeros_like(w)
        for k, idx in enumerate(batches):
            w, state = rule.update(w, X[idx].T @ (X[idx] @ w - y[idx]) / batch, state)
            if k >= steps // 2:
                w_sum += w
                if name == "adamw":
                    v_sum += np.sqrt(state.v[0] / (1 - 0.999**state.count))
        averages[name] = w_sum / (steps - steps // 2)
        if name == "adamw":
            root_v = v_sum / (steps - steps // 2)
    weighted = np.linalg.solve(A + lam * np.diag(root_v + 1e-8), b)
    assert np.abs(averages["sgd"] - ridge).max() < 5e-3
    assert np.abs(averages["adam"] - ridge).max() < 5e-3
    assert np.abs(averages["adamw"] - ridge).max() > 0.5  # the smallest-scale weight: ridge kills it, AdamW does not
    assert np.abs(averages["adamw"] - weighted).max() < 0.1 * np.abs(averages["adamw"] - ridge).max()


@pytest.mark.parametrize("schedule", ["warmup_cosine", "inverse_time"])
@pytest.mark.parametrize("lam", [0.05, 2.0])
def test_full_batch_adamw_minimises_in_the_box(lam, schedule):
    # Oracle: with orthogonal columns X^T X / N is diagonal, so least squares in the box
    # ||w||_inf <= 1/lam is the OLS solution clipped to the box, coordinate by coordinate.
    # Xie and Li (2024) prove it for non-increasing rates with a divergent sum (inverse_time);
    # warm-up + cosine to zero breaks both conditions, and the conclusion holds here all the same.
    n, scales = 64, np.logspace(-1, 1, 4)
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((n, 4)))
    X = math.sqrt(n) * Q * scales  # (n, 4), X^T X / n = diag(scales^2)
    y = X @ np.array([1.0, -0.8, 0.3, -1.2]) + 0.05 * np.random.default_rng(1).standard_normal(n)
    A, b = X.T @ X / n, X.T @ y / n
    box = np.clip(b / np.diag(A), -1 / lam, 1 / lam)
    steps = 20_000
    lr = optim.warmup_cosine(1e-2, 100, steps) if schedule == "warmup_cosine" else (lambda t: 1e-2 / (1 + t / 1000))
    rule = optim.adamw(lr, weight_decay=lam)
    w = np.zeros(4)
    state = rule.init(w)
    for _ in range(steps):
        w, state = rule.update(w, A @ w - b, state)
    np.testing.assert_allclose(w, box, atol=1e-3)
    if lam == 2.0:
        assert np.sum(np.abs(box) == 1 / lam) >= 2  # the box binds: the test is not just OLS


def test_adam_step_is_invariant_to_gradient_scale(rng):
    g = rng.standard_normal((50, 3)) + 0.3
    rule = optim.adam(lr=1e-2, eps=1e-12)
    paths = []
    for c in (1.0, 1e-3, 1e4):
        theta, state = np.zeros(3), rule.init(np.zeros(3))
        for g_t in g:
            theta, state = rule.update(theta, c * g_t, state)
        paths.append(theta)
    np.testing.assert_allclose(paths[1], paths[0], rtol=1e-7)
    np.testing.assert_allclose(paths[2], paths[0], rtol=1e-7)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw"])
def test_update_checks_params_grads_and_state(name):
    """Issue 14: a (3,) gradient used to broadcast onto a (3, 1) parameter into (3, 3), and a state built
    for fewer arrays silently dropped a parameter; both are refused, named."""
    rule = getattr(optim, name)(0.1)
    params = [np.ones((3, 1)), np.ones(2)]
    with pytest.raises(ValueError, match=r"^grads\[0\] has shape \(3,\) but params\[0\] has shape \(3, 1\)"):
        rule.update(params, [np.ones(3), np.ones(2)], rule.init(params))
    with pytest.raises(ValueError, match=r"^state\.\w+ holds 1 arrays but params has 2"):
        rule.update(params, [np.ones((3, 1)), np.ones(2)], rule.init(params[:1]))
    with pytest.raises(ValueError, match=r"^state\.\w+\[1\] has shape \(3,\) but params\[1\] has shape \(2,\)"):
        rule.update(params, [np.ones((3, 1)), np.ones(2)], rule.init([np.ones((3, 1)), np.ones(3)]))
    with pytest.raises(TypeError, match=r"^grads\[1\] is a torch tensor but params\[1\] is a numpy array"):
        rule.update(params, [np.ones((3, 1)), torch.ones(2, dtype=torch.float64)], rule.init(params))
    with pytest.raises(ValueError, match="^params must not be empty"):
        rule.init([])


def test_hyperparameters_checked_numpy_scalars_accepted():
    """Issue 14: inf rates and schedules returning a non-number are refused; numpy scalars are numbers."""
    with pytest.raises(ValueError, match="^lr must be a finite number"):
        optim.sgd(lr=float("inf"))
    with pytest.raises(ValueError, match=r"^lr\(0\) must be a finite number"):
        optim.adam(lambda count: float("nan"))
    with pytest.raises(TypeError, match=r"^lr\(0\) must be a real number"):
        optim.sgd(lambda count: "0.1")
    with pytest.raises(TypeError, match="^step_size must be an integer"):
        optim.step_decay(0.1, step_size=2.5)
    with pytest.raises(TypeError, match="^nesterov must be True or False"):
        optim.sgd(0.1, momentum=0.9, nesterov="yes")
    params = [np.ones((3, 1)), np.ones(2)]
    grads = [np.full((3, 1), 0.5), np.full(2, -1.0)]
    for make in (lambda lr, b: optim.adam(lr, betas=(b, 0.999)), lambda lr, b: optim.sgd(lr, momentum=b)):
        ref = make(0.1, 0.9)
        alt = make(np.float64(0.1), np.float64(0.9))
        a, _ = ref.update(params, grads, ref.init(params))
        b, _ = alt.update(params, grads, alt.init(params))
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    assert optim.warmup_cosine(np.float32(0.5), np.int64(2), np.int64(10))(1) == optim.warmup_cosine(0.5, 2, 10)(1)


def test_load_state_dict_is_checked():
    model = torch.nn.Linear(3, 2).double()
    opt = optim.TorchOptimizer(model.parameters(), optim.adam(0.1))
    other = optim.TorchOptimizer(torch.nn.Linear(4, 2).double().parameters(), optim.adam(0.1))
    with pytest.raises(TypeError, match="^state_dict must be a dict"):
        opt.load_state_dict([1, 2])
    model(torch.ones(2, 3, dtype=torch.float64)).sum().backward()
    opt.step()
    with pytest.raises(ValueError, match="^state_dict does not fit"):
        other.load_state_dict(opt.state_dict())  # Adam buffers of (2, 3) for a (2, 4) weight
