"""The explicit training loop: it follows a hand-written loop exactly and records a history."""

import pytest
import torch

from nntheory.training import History, minibatches, train


def _data(generator):
    X = torch.randn(50, 4, generator=generator, dtype=torch.float64)
    y = X @ torch.randn(4, 1, generator=generator, dtype=torch.float64)
    return X, y


def _model(seed):
    torch_gen = torch.Generator().manual_seed(seed)
    model = torch.nn.Linear(4, 1).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=torch_gen, dtype=torch.float64))
    return model


def test_minibatches_partition(generator):
    batches = minibatches(23, 5, generator)
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    assert sorted(torch.cat(batches).tolist()) == list(range(23))
    assert torch.equal(torch.cat(minibatches(7, 3, shuffle=False)), torch.arange(7))


def test_train_matches_hand_written_loop(generator):
    X, y = _data(generator)
    loss_fn = torch.nn.MSELoss()
    a, b = _model(1), _model(1)
    opt_a = torch.optim.SGD(a.parameters(), lr=0.05, momentum=0.9)
    opt_b = torch.optim.SGD(b.parameters(), lr=0.05, momentum=0.9)
    hist = train(a, loss_fn, opt_a, X, y, batch_size=8, n_epochs=3, generator=torch.Generator().manual_seed(5), progress=False)

    # Oracle: the same loop written out by hand with the same permutations.
    gen = torch.Generator().manual_seed(5)
    step_losses, epoch_losses = [], []
    for _ in range(3):
        for idx in torch.randperm(50, generator=gen).split(8):
            loss = loss_fn(b(X[idx]), y[idx])
            opt_b.zero_grad()
            loss.backward()
            opt_b.step()
            step_losses.append(loss.item())
        epoch_losses.append(loss_fn(b(X), y).item())
    assert hist.n_steps == 3 * 7
    assert hist.step_loss == pytest.approx(step_losses, rel=1e-12)
    assert hist.epoch_loss == pytest.approx(epoch_losses, rel=1e-12)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_callback_and_target_loss(generator):
    X, y = _data(generator)
    model = _model(2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hist = train(model, torch.nn.MSELoss(), opt, X, y, batch_size=50, n_epochs=500, generator=generator, target_loss=1e-3, callback=lambda epoch, m: {"epoch": epoch, "w_norm": m.weight.norm().item()}, progress=False)
    assert isinstance(hist, History)
    assert hist.epoch_loss[-1] < 1e-3 <= min(hist.epoch_loss[:-1])
    assert hist.records["epoch"] == list(range(1, len(hist.epoch_loss) + 1))
    assert len(hist.records["w_norm"]) == len(hist.epoch_loss)


def test_bad_input(generator):
    X, y = _data(generator)
    model = _model(3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="same number of samples"):
        train(model, torch.nn.MSELoss(), opt, X, y[:10], batch_size=5, n_epochs=1, generator=generator)
    with pytest.raises(ValueError, match="batch_size"):
        train(model, torch.nn.MSELoss(), opt, X, y, batch_size=0, n_epochs=1, generator=generator)
    with pytest.raises(ValueError, match="n_epochs"):
        train(model, torch.nn.MSELoss(), opt, X, y, batch_size=5, n_epochs=0, generator=generator)
    with pytest.raises(TypeError, match="generator"):
        minibatches(10, 2, None)


def test_arguments_are_checked_before_the_first_step(generator):
    """Issue 14: counts, dtypes, target shapes and the loss are checked up front, each named."""
    X, y = _data(generator)
    model = _model(3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="^n_epochs must be an integer >= 1, got -1"):
        train(model, torch.nn.MSELoss(), opt, X, y, batch_size=5, n_epochs=-1, generator=generator)  # used to return an empty history
    with pytest.raises(TypeError, match="^batch_size must be an integer"):
        train(model, torch.nn.MSELoss(), opt, X, y, batch_size=5.5, n_epochs=1, generator=generator)
    with pytest.raises(TypeError, match=r"^X must have dtype torch.float64 \(the model's\)"):
        train(model, torch.nn.MSELoss(), opt, X.float(), y.float(), batch_size=5, n_epochs=1, generator=generator)
    with pytest.raises(ValueError, match=r"^y must have shape \(n_samples, \*\(1,\)\)"):
        train(model, torch.nn.MSELoss(), opt, X, y[:, 0], batch_size=5, n_epochs=1, generator=generator)  # (n,) vs (n, 1) would broadcast
    with pytest.raises(ValueError, match="^X of shape"):
        train(model, torch.nn.MSELoss(), opt, X[:, :3], y, batch_size=5, n_epochs=1, generator=generator)
    with pytest.raises(ValueError, match=r"^loss_fn\(model\(X\), y\) must return a scalar tensor"):
        train(model, torch.nn.MSELoss(reduction="none"), opt, X, y, batch_size=5, n_epochs=1, generator=generator)
    bad = y.clone()
    bad[3] = float("nan")
    with pytest.raises(ValueError, match="^y must be finite"):
        train(model, torch.nn.MSELoss(), opt, X, bad, batch_size=5, n_epochs=1, generator=generator)
    with pytest.raises(TypeError, match="^optimizer must be a torch.optim.Optimizer"):
        train(model, torch.nn.MSELoss(), "sgd", X, y, batch_size=5, n_epochs=1, generator=generator)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # nothing was trained
    with pytest.raises(TypeError, match="^n_samples must be an integer"):
        minibatches(10.0, 2, generator)


def test_numpy_scalars_are_accepted():
    import numpy as np

    runs = []
    for batch_size, n_epochs in ((5, 2), (np.int64(5), np.int64(2))):
        gen = torch.Generator().manual_seed(0)
        X, y = _data(gen)
        model = _model(3)
        hist = train(model, torch.nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1), X, y, batch_size=batch_size, n_epochs=n_epochs, generator=gen, progress=False)
        runs.append(hist.step_loss)
    assert runs[0] == runs[1]
