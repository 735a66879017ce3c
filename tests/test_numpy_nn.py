"""numpy modules against torch.autograd and central finite differences, in float64."""

import numpy as np
import pytest
import torch

from nntheory import numpy_nn as nn

# (n_samples, n_features): the edge case (1, 1), a few fixed ones, and six
# drawn at random (from a generator of this module, so runs are reproducible).
_shape_rng = np.random.default_rng(20261124)
SHAPES = [(1, 1), (3, 5), (7, 2), (16, 9)] + [
    (int(n), int(d)) for n, d in _shape_rng.integers(1, 17, size=(6, 2))
]


def _fd_grad(f, a, h=1e-6):
    """Central finite differences of the scalar f() with respect to the array a (perturbed in place)."""
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + h
        fp = f()
        a[i] = old - h
        fm = f()
        a[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def _away_from_zero(x):
    """Entries at least 0.1 from 0, so a finite difference never straddles a kink."""
    return np.sign(x) * (np.abs(x) + 0.1)


def _check_module(module, x, rng, atol_fd=1e-7):
    """dL/dx and dL/dparams of L = sum(G * module(x)) against finite differences."""
    y = module.forward(x)
    G = rng.standard_normal(y.shape)
    dx = module.backward(G)

    def loss():
        return float((G * module.forward(x)).sum())

    np.testing.assert_allclose(dx, _fd_grad(loss, x), atol=atol_fd, rtol=1e-6)
    for name, p in module.params.items():
        analytic = module.grads[name].copy()
        np.testing.assert_allclose(analytic, _fd_grad(loss, p), atol=atol_fd, rtol=1e-6, err_msg=name)


def _torch_check(module, torch_fn, x, rng, torch_params=()):
    """Outputs and gradients against torch.autograd; torch_fn(x_t, *params_t) -> y_t."""
    y = module.forward(x)
    G = rng.standard_normal(y.shape)
    dx = module.backward(G)
    x_t = torch.tensor(x, requires_grad=True)
    ps = [torch.tensor(module.params[n], requires_grad=True) for n in torch_params]
    y_t = torch_fn(x_t, *ps)
    y_t.backward(torch.from_numpy(G))
    np.testing.assert_allclose(y, y_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, x_t.grad.numpy(), rtol=1e-12, atol=1e-12)
    for n, p in zip(torch_params, ps):
        np.testing.assert_allclose(module.grads[n], p.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=n)


@pytest.mark.parametrize("shape", SHAPES)
def test_linear_against_torch_and_fd(shape, rng):
    n, d_in = shape
    d_out = int(rng.integers(1, 6))
    layer = nn.Linear(d_in, d_out, rng=rng)
    layer.params["bias"] = rng.standard_normal(d_out)
    x = rng.standard_normal((n, d_in))
    _torch_check(layer, torch.nn.functional.linear, x, rng, ("weight", "bias"))
    _check_module(layer, x, rng)


def test_linear_init_is_kaiming(rng):
    layer = nn.Linear(400, 300, rng=rng)
    # sample variance of 120,000 N(0, 2/400) draws: relative standard error sqrt(2/120000) ~ 0.4 %
    assert abs(layer.params["weight"].var() / (2 / 400) - 1) < 0.02
    assert np.all(layer.params["bias"] == 0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["relu", "elu", "softmax"])
def test_activations_against_torch_and_fd(name, shape, rng):
    module, fn = {
        "relu": (nn.ReLU(), torch.relu),
        "elu": (nn.ELU(alpha=0.7), lambda t: torch.nn.functional.elu(t, alpha=0.7)),
        "softmax": (nn.Softmax(), lambda t: torch.softmax(t, dim=1)),
    }[name]
    x = _away_from_zero(2 * rng.standard_normal(shape))
    _torch_check(module, fn, x, rng)
    _check_module(module, x, rng)


def test_softmax_is_stable_for_huge_logits(rng):
    x = rng.standard_normal((4, 6)) * 1e3 + 1e4
    y = nn.Softmax().forward(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, torch.softmax(torch.from_numpy(x), dim=1).numpy(), atol=1e-15)


@pytest.mark.parametrize("shape", SHAPES[1:] + [(5, 10)])
def test_cross_entropy_losses_against_torch_and_fd(shape, rng):
    n, k = shape
    z = 3 * rng.standard_normal((n, k))
    labels = rng.integers(0, k, n)
    z_t = torch.tensor(z, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(z_t, torch.from_numpy(labels))
    ref.backward()

    sce = nn.SoftmaxCrossEntropy()
    loss = sce.forward(z, labels)
    dz = sce.backward()
    assert abs(loss - ref.item()) < 1e-12
    np.testing.assert_allclose(dz, z_t.grad.numpy(), atol=1e-14)
    # (Y - T)/S, written out
    y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(dz, (y - nn.one_hot(labels, k)) / n, atol=1e-15)
    np.testing.assert_allclose(dz, _fd_grad(lambda: sce.forward(z, labels), z), atol=1e-8)

    # The two-module chain Softmax -> CrossEntropy gives the same gradient.
    sm, ce = nn.Softmax(), nn.CrossEntropy()
    assert abs(ce.forward(sm.forward(z), labels) - loss) < 1e-12
    np.testing.assert_allclose(sm.backward(ce.backward()), dz, atol=1e-14)

    # CrossEntropy on probabilities alone: -T/(S Y) against finite differences,
    # with a step relative to each probability (some are tiny, where -log p
    # curves sharply and an absolute step would be far too coarse).
    p = y.copy()
    fd = np.zeros_like(p)
    for i in np.ndindex(p.shape):
        h, old = 1e-6 * p[i], p[i]
        p[i] = old + h
        fp = ce.forward(p, labels)
        p[i] = old - h
        fm = ce.forward(p, labels)
        p[i] = old
        fd[i] = (fp - fm) / (2 * h)
    ce.forward(p, labels)  # refresh the cache at the unperturbed point
    np.testing.assert_allclose(ce.backward(), fd, rtol=1e-6, atol=1e-9)


def test_soft_targets_match_torch(rng):
    z = rng.standard_normal((6, 4))
    t = rng.dirichlet(np.ones(4), size=6)
    z_t = torch.tensor(z, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(z_t, torch.from_numpy(t))
    ref.backward()
    sce = nn.SoftmaxCrossEntropy()
    assert abs(sce.forward(z, t) - ref.item()) < 1e-12
    np.testing.assert_allclose(sce.backward(), z_t.grad.numpy(), atol=1e-14)


def test_softmax_cross_entropy_is_stable(rng):
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 800.0]])
    loss = nn.SoftmaxCrossEntropy().forward(z, np.array([2, 0]))
    ref = torch.nn.functional.cross_entropy(torch.from_numpy(z), torch.tensor([2, 0])).item()
    assert np.isfinite(loss) and abs(loss - ref) < 1e-9


@pytest.mark.parametrize("shape", [(2, 1), (5, 3), (17, 8)])
def test_batchnorm_training_mode_against_torch_and_fd(shape, rng):
    n, m = shape
    bn = nn.BatchNorm1d(m)
    bn.params["weight"] = rng.standard_normal(m)
    bn.params["bias"] = rng.standard_normal(m)
    ref = torch.nn.BatchNorm1d(m, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(bn.params["weight"]))
        ref.bias.copy_(torch.from_numpy(bn.params["bias"]))
    for _ in range(3):  # several steps: the running statistics must follow torch's
        x = 3 * rng.standard_normal((n, m)) + rng.standard_normal(m)
        G = rng.standard_normal((n, m))
        y = bn.forward(x)
        dx = bn.backward(G)
        x_t = torch.tensor(x, requires_grad=True)
        ref.weight.grad = ref.bias.grad = None
        y_t = ref(x_t)
        y_t.backward(torch.from_numpy(G))
        np.testing.assert_allclose(y, y_t.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(dx, x_t.grad.numpy(), atol=1e-11)
        np.testing.assert_allclose(bn.grads["weight"], ref.weight.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(bn.grads["bias"], ref.bias.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(bn.buffers["running_mean"], ref.running_mean.numpy(), atol=1e-14)
        np.testing.assert_allclose(bn.buffers["running_var"], ref.running_var.numpy(), atol=1e-13)
    # Finite differences through the batch statistics (running statistics do not affect the output).
    x = rng.standard_normal((n, m))
    _check_module(bn, x, rng, atol_fd=1e-6)


def test_batchnorm_eval_mode_against_torch_and_fd(rng):
    n, m = 6, 4
    bn = nn.BatchNorm1d(m, momentum=0.3)
    ref = torch.nn.BatchNorm1d(m, momentum=0.3, dtype=torch.float64)
    for _ in range(4):
        x = rng.standard_normal((n, m)) * 2 + 1
        bn.forward(x)
        ref(torch.from_numpy(x))
    bn.eval()
    ref.eval()
    x = rng.standard_normal((1, m))  # a batch of one is fine in eval mode
    _torch_check(bn, ref, x, rng)
    before = {k: v.copy() for k, v in bn.buffers.items()}
    _check_module(bn, rng.standard_normal((n, m)), rng)
    for k in before:  # eval mode never touches the running statistics
        np.testing.assert_array_equal(before[k], bn.buffers[k])


def test_batchnorm_refuses_batch_of_one_in_training():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="at least 2 samples"):
        bn.forward(np.ones((1, 3)))
    with pytest.raises(ValueError):  # torch agrees
        torch.nn.BatchNorm1d(3)(torch.ones(1, 3))


def test_mlp_parameter_count_and_state_dict(rng):
    model = nn.MLP(20, [40], 10, rng=rng, batch_norm=True)
    linear, bn = model.layers[0], model.layers[1]
    assert sum(p.size for p in linear.params.values()) + sum(p.size for p in bn.params.values()) == 20 * 40 + 40 + 2 * 40
    assert model.n_parameters() == 920 + 40 * 10 + 10
    state = model.state_dict()
    assert set(state) == {"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.1.running_mean", "layers.1.running_var", "layers.3.weight", "layers.3.bias"}
    other = nn.MLP(20, [40], 10, rng=rng, batch_norm=True)
    other.load_state_dict(state)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, state[k])


def test_mlp_backward_against_fd(rng):
    for batch_norm in (False, True):
        model = nn.MLP(5, [6, 4], 3, rng=rng, activation="elu", batch_norm=batch_norm)
        X, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
        model.loss_and_backward(X, y)
        for layer in model.layers:
            for name, p in layer.params.items():
                fd = _fd_grad(lambda: model.loss.forward(model.forward(X), y), p)
                np.testing.assert_allclose(layer.grads[name], fd, atol=1e-8)


def test_train_sgd_decreases_loss_and_is_reproducible(rng):
    X = rng.standard_normal((200, 5))
    y = (X[:, 0] > 0).astype(np.int64)
    runs = []
    for _ in range(2):
        model = nn.MLP(5, [16], 2, rng=np.random.default_rng(0))
        runs.append(nn.train_sgd(model, X, y, lr=0.1, batch_size=32, n_epochs=5, rng=np.random.default_rng(1), X_val=X, y_val=y))
    assert runs[0].step_loss == runs[1].step_loss
    assert len(runs[0].step_loss) == 5 * 7 and len(runs[0].val_accuracy) == 5
    assert runs[0].epoch_loss[-1] < runs[0].epoch_loss[0]
    assert runs[0].val_accuracy[-1] > 0.9


def test_minibatches_cover_every_sample_once(rng):
    idx = list(nn.minibatch_indices(10, 4, rng))
    assert [len(i) for i in idx] == [4, 4, 2]
    assert sorted(np.concatenate(idx)) == list(range(10))


def test_bad_inputs_give_clear_errors(rng):
    layer = nn.Linear(3, 2, rng=rng)
    with pytest.raises(ValueError, match="3 columns"):
        layer.forward(np.ones((4, 5)))
    with pytest.raises(ValueError, match="n_samples, n_features"):
        layer.forward(np.ones(3))
    with pytest.raises(TypeError, match="float32 or float64"):
        layer.forward(np.ones((4, 3), dtype=int))
    with pytest.raises(TypeError, match="numpy array"):
        layer.forward([[1.0, 2.0, 3.0]])
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Linear(3, 2, rng=rng).backward(np.ones((4, 2)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="dout"):
        layer.backward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 2, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        nn.Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        nn.SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="labels must lie"):
        nn.SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.array([-1, 0]))
    with pytest.raises(ValueError, match="2 samples"):
        nn.SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="probability vectors"):
        nn.SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="activation"):
        nn.MLP(3, [4], 2, rng=rng, activation="tanh")
    model = nn.MLP(3, [4], 2, rng=rng)
    with pytest.raises(ValueError, match=r"^y must be integer labels in \[0, 1\]"):
        nn.train_sgd(model, np.ones((4, 3)), np.array([0, 1, 2, 0]), lr=0.1, batch_size=2, n_epochs=1, rng=rng)
    with pytest.raises(TypeError, match="dtype"):
        model.forward(np.ones((4, 3), dtype=np.float32))


def test_sgd_step_refuses_a_bad_learning_rate(rng):
    model = nn.MLP(3, [4], 2, rng=rng)
    for lr, exc in ((-0.1, ValueError), (float("nan"), ValueError), ("0.1", TypeError)):
        with pytest.raises(exc, match="^lr must be a"):
            nn.sgd_step(model, lr)


def test_mlp_input_gradient_against_fd_and_skipping_it_changes_no_parameter_gradient(rng):
    for batch_norm in (False, True):
        model = nn.MLP(5, [6, 4], 3, rng=rng, activation="elu", batch_norm=batch_norm)
        X, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
        model.loss.forward(model.forward(X), y)
        dx = model.backward(model.loss.backward())
        with_dx = {(i, k): g.copy() for i, layer in enumerate(model.layers) for k, g in layer.grads.items()}
        np.testing.assert_allclose(dx, _fd_grad(lambda: model.loss.forward(model.forward(X), y), X), atol=1e-8)
        model.loss.forward(model.forward(X), y)
        assert model.backward(model.loss.backward(), input_grad=False) is None
        for i, layer in enumerate(model.layers):
            for k, g in layer.grads.items():
                np.testing.assert_array_equal(g, with_dx[(i, k)])


def test_layers_check_dtype_and_counts(rng):
    layer = nn.Linear(3, 2, rng=rng)  # float64
    with pytest.raises(TypeError, match=r"^x must have the layer's dtype float64, got float32"):
        layer.forward(np.ones((4, 3), dtype=np.float32))  # used to compute in float64 silently
    with pytest.raises(ValueError, match="^x must not be empty"):
        layer.forward(np.ones((0, 3)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(TypeError, match="^dout must have the output's dtype float64, got float32"):
        layer.backward(np.ones((4, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="^input_grad must be True or False"):
        layer.backward(np.ones((4, 2)), input_grad="no")
    with pytest.raises(TypeError, match="^in_features must be an integer"):
        nn.Linear(2.0, 2, rng=rng)
    with pytest.raises(ValueError, match="^gain must be a number > 0"):
        nn.Linear(3, 2, rng=rng, gain=-1.0)
    with pytest.raises(TypeError, match="^dtype must be numpy.float32 or numpy.float64"):
        nn.Linear(3, 2, rng=rng, dtype=np.int64)
    with pytest.raises(ValueError, match="^momentum must be a number >= 0 and <= 1"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="^momentum must be a finite number"):
        nn.BatchNorm1d(3, momentum=float("nan"))
    with pytest.raises(ValueError, match="^alpha must be a finite number"):
        nn.ELU(alpha=float("inf"))
    with pytest.raises(TypeError, match="^mode must be True or False"):
        nn.ReLU().train("no")
    # numpy scalars are numbers
    assert nn.Linear(np.int64(3), np.int32(2), rng=rng, gain=np.float32(1.0)).params["weight"].shape == (2, 3)
    assert nn.BatchNorm1d(np.int64(3), eps=np.float32(1e-5), momentum=np.float64(0.2)).momentum == pytest.approx(0.2)


def test_loss_targets_are_checked():
    with pytest.raises(ValueError, match=r"^target labels must lie in \[0, 1\] \(z has 2 columns\)"):
        nn.SoftmaxCrossEntropy().forward(np.ones((2, 2)), np.array([0, 2]))
    with pytest.raises(TypeError, match="^target must be integers"):
        nn.SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="^target must be finite"):
        nn.CrossEntropy().forward(np.full((2, 2), 0.5), np.array([[np.nan, 1.0], [0.5, 0.5]]))
    with pytest.raises(TypeError, match="^labels must be integers"):
        nn.one_hot(np.array([0.5]), 2)
    with pytest.raises(TypeError, match="^n_classes must be an integer"):
        nn.one_hot(np.array([0, 1]), 2.0)


def _noisy_problem(rng):
    """A small two-class problem with label noise, so validation accuracy goes up and down."""
    X, Xv = rng.standard_normal((120, 5)), rng.standard_normal((40, 5))
    y = (X[:, 0] + 0.8 * rng.standard_normal(120) > 0).astype(np.int64)
    yv = (Xv[:, 0] + 0.8 * rng.standard_normal(40) > 0).astype(np.int64)
    return X, y, Xv, yv


@pytest.mark.parametrize("batch_norm", [False, True])
def test_restore_best_keeps_the_first_best_validation_epoch(batch_norm):
    X, y, Xv, yv = _noisy_problem(np.random.default_rng(3))
    kw = dict(lr=0.5, batch_size=16, rng=np.random.default_rng(1), X_val=Xv, y_val=yv)
    model = nn.MLP(5, [16], 2, rng=np.random.default_rng(0), batch_norm=batch_norm)
    history = nn.train_sgd(model, X, y, n_epochs=8, restore_best=True, **kw)
    acc = history.val_accuracy
    assert history.best_epoch == int(np.argmax(acc)) + 1  # np.argmax: first maximum
    assert history.best_epoch < 8, "the test must exercise a restore (best epoch is not the last)"
    assert nn.accuracy(model, Xv, yv) == max(acc)
    # Oracle: the same run stopped after best_epoch epochs.
    oracle = nn.MLP(5, [16], 2, rng=np.random.default_rng(0), batch_norm=batch_norm)
    nn.train_sgd(oracle, X, y, n_epochs=history.best_epoch, **{**kw, "rng": np.random.default_rng(1)})
    for key, value in oracle.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value, err_msg=key)
    # Without restore_best the model keeps its last parameters and best_epoch stays None.
    last = nn.MLP(5, [16], 2, rng=np.random.default_rng(0), batch_norm=batch_norm)
    h_last = nn.train_sgd(last, X, y, n_epochs=8, **{**kw, "rng": np.random.default_rng(1)})
    assert h_last.best_epoch is None and h_last.val_accuracy == acc
    assert nn.accuracy(last, Xv, yv) == acc[-1]


def test_restore_best_needs_validation_data(rng):
    model = nn.MLP(3, [4], 2, rng=rng)
    with pytest.raises(ValueError, match="restore_best"):
        nn.train_sgd(model, np.ones((4, 3)), np.array([0, 1, 1, 0]), lr=0.1, batch_size=2,
                     n_epochs=1, rng=rng, restore_best=True)


def test_mlp_and_training_loop_check_their_arguments(rng):
    with pytest.raises(TypeError, match=r"^hidden_sizes\[0\] must be an integer"):
        nn.MLP(3, [2.7], 2, rng=rng)  # used to build a width-2 layer
    model = nn.MLP(3, [4], 2, rng=rng)
    X, y = np.ones((4, 3)), np.array([0, 1, 1, 0])
    kw = dict(lr=0.1, batch_size=2, n_epochs=1, rng=rng)
    for change, exc, message in [
        (dict(n_epochs=-1), ValueError, "^n_epochs must be an integer >= 1"),  # used to return an empty history
        (dict(n_epochs=2.5), TypeError, "^n_epochs must be an integer"),
        (dict(batch_size=0), ValueError, "^batch_size must be an integer >= 1"),
        (dict(lr=float("inf")), ValueError, "^lr must be a finite number"),
        (dict(X_val=np.ones((2, 3))), ValueError, "^X_val and y_val must be given together"),
    ]:
        with pytest.raises(exc, match=message):
            nn.train_sgd(model, X, y, **(kw | change))
    with pytest.raises(ValueError, match="^X must be finite"):
        nn.train_sgd(model, np.full((4, 3), np.nan), y, **kw)
    with pytest.raises(TypeError, match="^X must have the layer's dtype float64, got float32"):
        nn.train_sgd(model, X.astype(np.float32), y, **kw)
    with pytest.raises(ValueError, match=r"^labels must hold one label per sample \(4\)"):
        model.loss_and_backward(X, y[:3])
    with pytest.raises(TypeError, match="^n_samples must be an integer"):
        nn.minibatch_indices(10.0, 2, rng)  # refused at the call, not at the first batch
    # numpy scalars are numbers
    hist = nn.train_sgd(model, X, y, lr=np.float32(0.1), batch_size=np.int64(2), n_epochs=np.int32(2), rng=rng)
    assert len(hist.epoch_loss) == 2
