"""Per-sample gradient statistics against a plain loop of one backward pass per sample."""

import pytest
import torch

from nntheory.diagnostics import batch_sq_grad_norms, mean_sq_grad_norm, per_sample_grads, per_sample_sq_grad_norms


def _setup(generator):
    torch_dtype = torch.float64
    X = torch.randn(20, 5, generator=generator, dtype=torch_dtype)
    y = torch.randn(20, 2, generator=generator, dtype=torch_dtype)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch_dtype))
    return model, torch.nn.MSELoss(), X, y


def _loop_norms(model, loss_fn, X, y):
    """Oracle: one ordinary backward pass per sample."""
    out = []
    for i in range(X.shape[0]):
        model.zero_grad()
        loss_fn(model(X[i : i + 1]), y[i : i + 1]).backward()
        out.append(sum(p.grad.pow(2).sum() for p in model.parameters() if p.requires_grad))
    return torch.stack(out)


def test_per_sample_grads_match_loop(generator):
    model, loss_fn, X, y = _setup(generator)
    grads = per_sample_grads(model, loss_fn, X, y)
    for i in (0, 7, 19):
        model.zero_grad()
        loss_fn(model(X[i : i + 1]), y[i : i + 1]).backward()
        for name, p in model.named_parameters():
            torch.testing.assert_close(grads[name][i], p.grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", ["vmap", "ghost", "auto"])
def test_sq_norms_match_loop(generator, method):
    model, loss_fn, X, y = _setup(generator)
    ref = _loop_norms(model, loss_fn, X, y)
    torch.testing.assert_close(per_sample_sq_grad_norms(model, loss_fn, X, y, method=method), ref, rtol=1e-12, atol=0)


def test_ghost_with_cross_entropy_and_frozen_layer(generator):
    X = torch.randn(12, 4, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (12,), generator=generator)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3, bias=False)).double()
    model[0].bias.requires_grad_(False)
    loss_fn = torch.nn.CrossEntropyLoss()
    torch.testing.assert_close(per_sample_sq_grad_norms(model, loss_fn, X, y, method="ghost"), _loop_norms(model, loss_fn, X, y), rtol=1e-12, atol=0)


def test_vmap_fallback_for_non_linear_parameters(generator):
    X = torch.randn(10, 4, generator=generator, dtype=torch.float64)
    y = torch.randn(10, 4, generator=generator, dtype=torch.float64)
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4)).double()
    loss_fn = torch.nn.MSELoss()
    torch.testing.assert_close(per_sample_sq_grad_norms(model, loss_fn, X, y), _loop_norms(model, loss_fn, X, y), rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="nn.Linear"):
        per_sample_sq_grad_norms(model, loss_fn, X, y, method="ghost")


def test_mean_and_batches(generator):
    model, loss_fn, X, y = _setup(generator)
    ref = _loop_norms(model, loss_fn, X, y)
    assert mean_sq_grad_norm(model, loss_fn, X, y) == pytest.approx(ref.mean().item(), rel=1e-12)
    per_batch = batch_sq_grad_norms(model, loss_fn, X, y, batch_size=5, shuffle=False)
    torch.testing.assert_close(per_batch, ref.reshape(4, 5).mean(dim=1), rtol=1e-12, atol=0)
    shuffled = batch_sq_grad_norms(model, loss_fn, X, y, batch_size=5, generator=generator)
    # Equal-size batches partition the data: their mean is the full mean.
    assert shuffled.mean().item() == pytest.approx(ref.mean().item(), rel=1e-12)


def test_bad_input(generator):
    model, loss_fn, X, y = _setup(generator)
    with pytest.raises(ValueError, match="same number of samples"):
        per_sample_grads(model, loss_fn, X, y[:3])
    with pytest.raises(TypeError, match="model"):
        per_sample_grads(lambda x: x, loss_fn, X, y)
    with pytest.raises(ValueError, match="method"):
        per_sample_sq_grad_norms(model, loss_fn, X, y, method="fast")


@pytest.mark.parametrize("method", ["vmap", "ghost", "auto"])
def test_frozen_weight_is_left_out_by_every_method(method):
    # Regression: ghost ignored frozen parameters while vmap included them.
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    model[0].weight.requires_grad_(False)
    X, y = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    loss_fn = torch.nn.functional.mse_loss
    torch.testing.assert_close(per_sample_sq_grad_norms(model, loss_fn, X, y, method=method), _loop_norms(model, loss_fn, X, y), rtol=1e-12, atol=0)
    assert "0.weight" not in per_sample_grads(model, loss_fn, X, y)


def test_weight_shared_by_two_linear_layers_falls_back(generator):
    # Regression: auto summed per-module norms instead of the norm of the summed gradient.
    first, second = torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)
    second.weight = first.weight
    model = torch.nn.Sequential(first, torch.nn.Tanh(), second).double()
    X = torch.randn(8, 4, generator=generator, dtype=torch.float64)
    y = torch.randn(8, 4, generator=generator, dtype=torch.float64)
    loss_fn = torch.nn.functional.mse_loss
    ref = _loop_norms(model, loss_fn, X, y)
    torch.testing.assert_close(per_sample_sq_grad_norms(model, loss_fn, X, y), ref, rtol=1e-12, atol=0)
    torch.testing.assert_close(per_sample_sq_grad_norms(model, loss_fn, X, y, method="vmap"), ref, rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="sharing"):
        per_sample_sq_grad_norms(model, loss_fn, X, y, method="ghost")


def test_linear_applied_twice_falls_back_under_auto(generator):
    class Twice(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 3)

        def forward(self, x):
            return self.lin(torch.tanh(self.lin(x)))

    model = Twice().double()
    X = torch.randn(7, 3, generator=generator, dtype=torch.float64)
    y = torch.randn(7, 3, generator=generator, dtype=torch.float64)
    loss_fn = torch.nn.functional.mse_loss
    torch.testing.assert_close(per_sample_sq_grad_norms(model, loss_fn, X, y), _loop_norms(model, loss_fn, X, y), rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="applied once"):
        per_sample_sq_grad_norms(model, loss_fn, X, y, method="ghost")


def test_data_that_does_not_fit_the_model_is_named(generator):
    model, loss_fn, X, y = _setup(generator)
    cases = [
        (dict(X=X.float()), TypeError, r"^X must have dtype torch.float64 \(the model's\), got torch.float32"),  # float32 data, float64 model
        (dict(X=X.long()), TypeError, "^X must be a floating-point tensor"),
        (dict(X=X.numpy()), TypeError, r"^X must be a torch tensor, got a numpy array \(pass torch.from_numpy\(X\)\)"),
        (dict(X=X[:, :4]), ValueError, r"^X of shape \(20, 4\) does not fit the model"),  # not "mat1 and mat2 shapes cannot be multiplied"
        (dict(X=X[:0], y=y[:0]), ValueError, "^X must not be empty"),
        (dict(y=y[:, :1]), ValueError, r"^y must have shape \(n_samples, \*\(2,\)\) like the model's output, got \(20, 1\)"),  # would broadcast
        (dict(y=y[:5]), ValueError, "^X and y must have the same number of samples: X has 20, y has 5"),
        (dict(y=y.long()), ValueError, "^y holds integers, so it must be class labels of shape"),
        (dict(y=torch.where(y > 0, y, float("nan"))), ValueError, "^y must be finite"),
        (dict(loss_fn=lambda out, t: (out - t).pow(2)), ValueError, r"^loss_fn\(model\(X\), y\) must return a scalar tensor, got shape \(2, 2\)"),
        (dict(loss_fn="mse"), TypeError, "^loss_fn must be callable"),
        (dict(model=_setup(generator)[0].float()), TypeError, r"^X must have dtype torch.float32"),
    ]
    for change, exc, message in cases:
        args = dict(model=_setup(generator)[0], loss_fn=loss_fn, X=X, y=y) | change
        for fn in (per_sample_grads, per_sample_sq_grad_norms, mean_sq_grad_norm):
            with pytest.raises(exc, match=message):
                fn(args["model"], args["loss_fn"], args["X"], args["y"])
    with pytest.raises(ValueError, match="^method must be one of 'auto', 'vmap', 'ghost'"):
        per_sample_sq_grad_norms(model, loss_fn, X, y, method="loop")
    with pytest.raises(TypeError, match="^chunk_size must be an integer"):
        per_sample_grads(model, loss_fn, X, y, chunk_size=2.5)
    with pytest.raises(TypeError, match="^batch_size must be an integer"):
        batch_sq_grad_norms(model, loss_fn, X, y, batch_size=2.5, generator=generator)
    with pytest.raises(TypeError, match="^generator must be a torch.Generator"):
        batch_sq_grad_norms(model, loss_fn, X, y, batch_size=4)


def test_class_labels_are_targets(generator):
    model, _, X, _ = _setup(generator)
    labels = torch.randint(0, 2, (20,), generator=generator)
    norms = per_sample_sq_grad_norms(model, torch.nn.functional.cross_entropy, X, labels, method="vmap")
    torch.testing.assert_close(norms, _loop_norms(model, torch.nn.functional.cross_entropy, X, labels))


def test_the_check_leaves_model_state_and_generators_alone(generator):
    # The trial forward runs every submodule in eval mode: no dropout draw, no batch-norm update.
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.BatchNorm1d(7), torch.nn.Dropout(0.5), torch.nn.Linear(7, 2)).double()
    model[2].eval()  # a mixed state must survive too
    X = torch.randn(20, 5, generator=generator, dtype=torch.float64)
    y = torch.randn(20, 2, generator=generator, dtype=torch.float64)
    from nntheory import _checks

    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng_state = torch.get_rng_state()
    _checks.check_model_data(model, X, y, torch.nn.functional.mse_loss)
    assert [m.training for m in model] == [True, True, False, True]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng_state)
