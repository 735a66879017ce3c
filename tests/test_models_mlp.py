"""The torch MLP against the numpy MLP: identical weights give identical outputs, gradients and training."""

import numpy as np
import pytest
import torch

from nntheory import numpy_nn
from nntheory.models import mlp


def _pair(rng, generator, **kw):
    np_model = numpy_nn.MLP(6, [8, 5], 4, rng=rng, **kw)
    torch_model = mlp.MLP(6, [8, 5], 4, generator=generator, dtype=torch.float64, **kw)
    return np_model, torch_model


def test_init_is_kaiming_with_zero_bias(generator):
    model = mlp.MLP(300, [400, 200], 10, generator=generator)
    w0, w1 = model.layers[0].weight, model.layers[2].weight
    # 120,000 and 80,000 Gaussian draws: relative standard error of the variance below 0.5 %
    assert abs(w0.var().item() * 300 - 1) < 0.03
    assert abs(w1.var().item() * 400 / 2 - 1) < 0.03
    assert all(float(m.bias.detach().abs().max()) == 0 for m in model.layers if isinstance(m, torch.nn.Linear))


@pytest.mark.parametrize("activation", ["relu", "elu"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_copied_weights_give_identical_outputs_and_gradients(activation, batch_norm, rng, generator):
    np_model, torch_model = _pair(rng, generator, activation=activation, batch_norm=batch_norm)
    mlp.numpy_to_torch(np_model, torch_model)
    X, y = rng.standard_normal((9, 6)), rng.integers(0, 4, 9)
    loss = np_model.loss_and_backward(X, y)
    ref = torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(X)), torch.from_numpy(y))
    ref.backward()
    assert abs(loss - ref.item()) < 1e-12
    grads = {f"layers.{i}.{n}": g for i, layer in enumerate(np_model.layers) for n, g in layer.grads.items()}
    for name, p in torch_model.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), atol=1e-12, err_msg=name)
    # Inference mode uses the running statistics, updated identically by the forward pass above.
    np_model.eval()
    torch_model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(np_model.forward(X), torch_model(torch.from_numpy(X)).numpy(), atol=1e-12)


def test_copy_round_trip(rng, generator):
    np_model, torch_model = _pair(rng, generator, batch_norm=True)
    mlp.torch_to_numpy(torch_model, np_model)
    for k, v in np_model.state_dict().items():
        np.testing.assert_array_equal(v, torch_model.state_dict()[k].numpy())
    other = numpy_nn.MLP(6, [8, 5], 4, rng=rng, batch_norm=True)
    mlp.numpy_to_torch(other, torch_model)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, torch_model.state_dict()[k].numpy())


def test_copy_refuses_different_architectures(rng, generator):
    np_model = numpy_nn.MLP(6, [8], 4, rng=rng, batch_norm=True)
    torch_model = mlp.MLP(6, [8], 4, generator=generator)
    with pytest.raises(ValueError, match="different layers"):
        mlp.numpy_to_torch(np_model, torch_model)
    with pytest.raises(TypeError, match="np_model"):
        mlp.torch_to_numpy(torch_model, torch_model)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_training_agrees_step_by_step_with_torch_optim(batch_norm, rng, generator):
    np_model, torch_model = _pair(rng, generator, batch_norm=batch_norm)
    mlp.numpy_to_torch(np_model, torch_model)
    X, y = rng.standard_normal((100, 6)), rng.integers(0, 4, 100)
    kw = dict(lr=0.1, batch_size=16, n_epochs=3)
    h_np = numpy_nn.train_sgd(np_model, X, y, rng=np.random.default_rng(5), X_val=X, y_val=y, **kw)
    h_t = mlp.train_sgd(torch_model, torch.from_numpy(X), torch.from_numpy(y), rng=np.random.default_rng(5), X_val=torch.from_numpy(X), y_val=torch.from_numpy(y), **kw)
    assert len(h_np.step_loss) == len(h_t.step_loss) == 3 * 7
    np.testing.assert_allclose(h_np.step_loss, h_t.step_loss, atol=1e-12)
    assert h_np.val_accuracy == h_t.val_accuracy
    for k, v in np_model.state_dict().items():
        np.testing.assert_allclose(v, torch_model.state_dict()[k].numpy(), atol=1e-11, err_msg=k)


def test_hidden_activations_leave_the_model_unchanged(rng, generator):
    model = mlp.MLP(6, [8, 5], 4, generator=generator, activation="relu", batch_norm=True, dtype=torch.float64)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    X = torch.from_numpy(rng.standard_normal((20, 6)))
    acts = mlp.hidden_activations(model, X, train_mode=True)
    assert [a.shape for a in acts] == [(20, 8), (20, 5)]
    assert all(float(a.min()) >= 0 for a in acts)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert model.training
    # In training mode the first BN output has zero batch mean per unit; check against a manual pass.
    pre = model.layers[1](model.layers[0](X))
    torch.testing.assert_close(acts[0], torch.relu(pre).detach())


def test_accuracy_and_bad_inputs(rng, generator):
    model = mlp.MLP(3, [4], 2, generator=generator, dtype=torch.float64)
    X = torch.from_numpy(rng.standard_normal((10, 3)))
    pred = model(X).argmax(dim=1)
    assert mlp.accuracy(model, X, pred) == 1.0
    assert mlp.accuracy(model, X, 1 - pred) == 0.0
    with pytest.raises(ValueError, match="shape"):
        model(torch.ones(2, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="labels"):
        mlp.train_sgd(model, X, torch.full((10,), 2), lr=0.1, batch_size=4, n_epochs=1, rng=rng)
    with pytest.raises(ValueError, match="activation"):
        mlp.MLP(3, [4], 2, generator=generator, activation="sigmoid")
    with pytest.raises(TypeError, match="generator"):
        mlp.MLP(3, [4], 2, generator=0)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_restore_best_matches_the_numpy_trainer_and_a_shorter_run(batch_norm):
    data = np.random.default_rng(3)
    X, Xv = data.standard_normal((120, 5)), data.standard_normal((40, 5))
    y = (X[:, 0] + 0.8 * data.standard_normal(120) > 0).astype(np.int64)
    yv = (Xv[:, 0] + 0.8 * data.standard_normal(40) > 0).astype(np.int64)
    t = {k: torch.from_numpy(a) for k, a in dict(X=X, y=y, Xv=Xv, yv=yv).items()}

    def pair():
        np_model = numpy_nn.MLP(5, [16], 2, rng=np.random.default_rng(0), batch_norm=batch_norm)
        torch_model = mlp.MLP(5, [16], 2, generator=torch.Generator().manual_seed(0),
                              batch_norm=batch_norm, dtype=torch.float64)
        mlp.numpy_to_torch(np_model, torch_model)
        return np_model, torch_model

    kw = dict(lr=0.5, batch_size=16)
    np_model, torch_model = pair()
    h_np = numpy_nn.train_sgd(np_model, X, y, n_epochs=8, rng=np.random.default_rng(1),
                              X_val=Xv, y_val=yv, restore_best=True, **kw)
    h_t = mlp.train_sgd(torch_model, t["X"], t["y"], n_epochs=8, rng=np.random.default_rng(1),
                        X_val=t["Xv"], y_val=t["yv"], restore_best=True, **kw)
    assert h_t.val_accuracy == h_np.val_accuracy
    assert h_t.best_epoch == h_np.best_epoch == int(np.argmax(h_t.val_accuracy)) + 1
    assert h_t.best_epoch < 8, "the test must exercise a restore (best epoch is not the last)"
    assert mlp.accuracy(torch_model, t["Xv"], t["yv"]) == max(h_t.val_accuracy)
    # Oracle: the torch run stopped after best_epoch epochs (buffers included).
    _, oracle = pair()
    mlp.train_sgd(oracle, t["X"], t["y"], n_epochs=h_t.best_epoch, rng=np.random.default_rng(1), **kw)
    for key, value in oracle.state_dict().items():
        assert torch.equal(torch_model.state_dict()[key], value), key
    with pytest.raises(ValueError, match="restore_best"):
        mlp.train_sgd(oracle, t["X"], t["y"], n_epochs=1, rng=np.random.default_rng(1),
                      restore_best=True, **kw)


def test_torch_mlp_checks_its_arguments():
    import torch

    from nntheory.models import mlp

    g = torch.Generator().manual_seed(0)
    with pytest.raises(TypeError, match=r"^hidden_sizes\[0\] must be an integer"):
        mlp.MLP(3, [2.7], 2, generator=g)
    model = mlp.MLP(3, [4], 2, generator=g, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"^x must have dtype torch.float64 \(the model's\), got torch.float32"):
        model(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"^x must have 3 features"):
        model(torch.ones(2, 4, dtype=torch.float64))
    X, y = torch.ones(4, 3, dtype=torch.float64), torch.tensor([0, 1, 1, 0])
    with pytest.raises(ValueError, match="^n_epochs must be an integer >= 1"):
        mlp.train_sgd(model, X, y, lr=0.1, batch_size=2, n_epochs=0, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="^y must hold int64 class labels"):
        mlp.train_sgd(model, X, y.int(), lr=0.1, batch_size=2, n_epochs=1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="^device must name a torch device"):
        mlp.MLP(3, [4], 2, generator=g, device="gpu7")
