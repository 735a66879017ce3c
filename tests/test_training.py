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
