"""The stacked MLP ensemble against separate torch MLPs trained one by one (the oracle: mlp.train_sgd, torch.optim.SGD)."""

import copy

import numpy as np
import pytest
import torch

from nntheory.models import mlp, mlp_ensemble
from nntheory.models.mlp_ensemble import MLPEnsemble


def _models(n, *, activation="relu", batch_norm=False, hidden=(8, 5), dtype=torch.float64, seed=0):
    return [mlp.MLP(6, list(hidden), 4, generator=torch.Generator().manual_seed(seed + k),
                    activation=activation, batch_norm=batch_norm, dtype=dtype) for k in range(n)]


def _data(rng, n=70, dtype=torch.float64):
    X = torch.from_numpy(rng.standard_normal((n, 6))).to(dtype)
    y = torch.from_numpy(rng.integers(0, 4, n))
    return X, y


@pytest.mark.parametrize("activation", ["relu", "elu"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_forward_and_member_match_the_separate_models(activation, batch_norm, rng):
    models = _models(3, activation=activation, batch_norm=batch_norm)
    ens = MLPEnsemble.from_models(models)
    for k, m in enumerate(models):  # member() gives back every parameter and statistic exactly
        back = ens.member(k).state_dict()
        for key, v in m.state_dict().items():
            if not key.endswith("num_batches_tracked"):
                assert torch.equal(back[key], v), key
    X, _ = _data(rng)
    for train in (True, False):  # training mode also updates the running statistics alike
        ens.train(train)
        out = ens(X)
        for k, m in enumerate(models):
            m.train(train)
            torch.testing.assert_close(out[k], m(X), rtol=0, atol=1e-12)
            acts = mlp.hidden_activations(m, X, train_mode=train)
            for a_ens, a_ref in zip(ens.hidden_activations(X, train_mode=train), acts):
                torch.testing.assert_close(a_ens[k], a_ref, rtol=0, atol=1e-12)
    for k, m in enumerate(models):  # the running statistics were updated alike
        back = ens.member(k).state_dict()
        for key, v in m.state_dict().items():
            if not key.endswith("num_batches_tracked"):
                torch.testing.assert_close(back[key], v, rtol=0, atol=1e-12, msg=key)


@pytest.mark.parametrize("activation", ["relu", "elu"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_training_equals_separate_runs(activation, batch_norm, rng):
    models = _models(3, activation=activation, batch_norm=batch_norm)
    ens = MLPEnsemble.from_models(models)
    X, y = _data(rng)
    X_val, y_val = _data(rng, n=40)
    lrs = [0.05, 0.2, 0.5]
    settings = dict(batch_size=16, n_epochs=4, X_val=X_val, y_val=y_val, restore_best=True)
    hist = mlp_ensemble.train_sgd(ens, X, y, lr=lrs, rngs=[np.random.default_rng(10 + k) for k in range(3)],
                                  **settings)
    for k, m in enumerate(models):
        ref = mlp.train_sgd(m, X, y, lr=lrs[k], rng=np.random.default_rng(10 + k), **settings)
        # float64: summation order differs inside the products, nothing else
        np.testing.assert_allclose(hist[k].step_loss, ref.step_loss, rtol=1e-12)
        np.testing.assert_allclose(hist[k].epoch_loss, ref.epoch_loss, rtol=1e-12)
        assert hist[k].val_accuracy == ref.val_accuracy and hist[k].best_epoch == ref.best_epoch
        back = ens.member(k).state_dict()
        for key, v in m.state_dict().items():
            if not key.endswith("num_batches_tracked"):
                torch.testing.assert_close(back[key], v, rtol=0, atol=1e-12, msg=key)
    np.testing.assert_allclose(mlp_ensemble.accuracy(ens, X, y),
                               [mlp.accuracy(m, X, y) for m in models])


def test_epoch_by_epoch_calls_equal_one_call(rng):
    X, y = _data(rng)
    ens_a, ens_b = (MLPEnsemble.from_models(_models(2, batch_norm=True)) for _ in range(2))
    rngs_a = [np.random.default_rng(k) for k in range(2)]
    rngs_b = [np.random.default_rng(k) for k in range(2)]
    ha = mlp_ensemble.train_sgd(ens_a, X, y, lr=0.1, batch_size=16, n_epochs=3, rngs=rngs_a)
    hb = [mlp_ensemble.train_sgd(ens_b, X, y, lr=0.1, batch_size=16, n_epochs=1, rngs=rngs_b) for _ in range(3)]
    for k in range(2):
        assert ha[k].step_loss == [v for h in hb for v in h[k].step_loss]
    for pa, pb in zip(ens_a.state_dict().values(), ens_b.state_dict().values()):
        assert torch.equal(pa, pb)


def test_a_diverging_member_does_not_touch_the_others(rng):
    X, y = _data(rng)
    models = _models(3, activation="elu")
    with torch.no_grad():  # member 1 overflows: infinite logits, NaN loss and gradients
        models[1].layers[0].weight.mul_(1e308)
    ens = MLPEnsemble.from_models(copy.deepcopy(models))
    hist = mlp_ensemble.train_sgd(ens, X, y, lr=0.1, batch_size=16, n_epochs=3,
                                  rngs=[np.random.default_rng(k) for k in range(3)])
    assert np.isnan(hist[1].step_loss).all()
    for k in (0, 2):
        ref = mlp.train_sgd(models[k], X, y, lr=0.1, batch_size=16, n_epochs=3, rng=np.random.default_rng(k))
        np.testing.assert_allclose(hist[k].step_loss, ref.step_loss, rtol=1e-12)
    acc = mlp_ensemble.accuracy(ens, X, y)
    assert np.isfinite(acc).all() and 0 <= acc.min() and acc.max() <= 1


def test_float32_ensemble_runs(rng):
    X, y = _data(rng, dtype=torch.float32)
    ens = MLPEnsemble.from_models(_models(2, dtype=torch.float32, batch_norm=True))
    hist = mlp_ensemble.train_sgd(ens, X, y, lr=0.1, batch_size=16, n_epochs=2,
                                  rngs=[np.random.default_rng(k) for k in range(2)])
    assert all(np.isfinite(h.step_loss).all() for h in hist)
    assert ens.weights[0].dtype == torch.float32


def test_bad_input_is_refused(rng):
    X, y = _data(rng)
    models = _models(2)
    with pytest.raises(ValueError, match="same architecture"):
        MLPEnsemble.from_models([models[0], mlp.MLP(6, [8, 5], 4, generator=torch.Generator(), activation="elu",
                                                   dtype=torch.float64)])
    with pytest.raises(ValueError, match="^models must not be empty"):
        MLPEnsemble.from_models([])
    ens = MLPEnsemble.from_models(models)
    with pytest.raises(ValueError, match="rngs must hold 2"):
        mlp_ensemble.train_sgd(ens, X, y, lr=0.1, batch_size=8, n_epochs=1, rngs=[np.random.default_rng(0)])
    with pytest.raises(ValueError, match="lr must be one number or 2"):
        mlp_ensemble.train_sgd(ens, X, y, lr=[0.1, 0.2, 0.3], batch_size=8, n_epochs=1,
                               rngs=[np.random.default_rng(0)] * 2)
    with pytest.raises(ValueError, match="lr must be a number > 0"):
        mlp_ensemble.train_sgd(ens, X, y, lr=-1.0, batch_size=8, n_epochs=1, rngs=[np.random.default_rng(0)] * 2)
    with pytest.raises(TypeError, match="X must have dtype"):
        ens(X.float())
    with pytest.raises(ValueError, match="X must have shape"):
        ens(X[:, :5])
    with pytest.raises(ValueError, match="restore_best"):
        mlp_ensemble.train_sgd(ens, X, y, lr=0.1, batch_size=8, n_epochs=1, rngs=[np.random.default_rng(0)] * 2,
                               restore_best=True)
    with pytest.raises(ValueError, match="k must be"):
        ens.member(2)


def test_arguments_are_checked_once_at_the_call(rng):
    """Issue 14: validation data, labels, non-finite data, a float for a count and the ensemble's dtype, named."""
    X, y = _data(rng)
    ens = MLPEnsemble.from_models(_models(2))
    rngs = [np.random.default_rng(0), np.random.default_rng(1)]
    with pytest.raises(ValueError, match="^X_val and y_val must be given together"):
        mlp_ensemble.train_sgd(ens, X, y, lr=0.1, batch_size=8, n_epochs=1, rngs=rngs, X_val=X)
    with pytest.raises(TypeError, match="^y_val must hold int64 class labels"):
        mlp_ensemble.train_sgd(ens, X, y, lr=0.1, batch_size=8, n_epochs=1, rngs=rngs, X_val=X, y_val=y.int())
    bad = X.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="^X must be finite"):
        mlp_ensemble.train_sgd(ens, bad, y, lr=0.1, batch_size=8, n_epochs=1, rngs=rngs)
    with pytest.raises(TypeError, match="^batch_size must be an integer"):
        mlp_ensemble.train_sgd(ens, X, y, lr=0.1, batch_size=8.5, n_epochs=1, rngs=rngs)
    with pytest.raises(ValueError, match=r"^y must be int64 labels in \[0, 3\]"):
        mlp_ensemble.accuracy(ens, X, torch.full_like(y, 7))
    with pytest.raises(TypeError, match=r"^X must have dtype torch.float32 \(the ensemble's\)"):
        ens.float()(X)  # dtype follows .to(dtype)


def test_numpy_scalars_are_accepted(rng):
    X, y = _data(rng)
    runs = []
    for lr, batch_size, n_epochs in ((0.1, 8, 1), (np.float32(0.1), np.int64(8), np.int64(1))):
        ens = MLPEnsemble.from_models(_models(2))
        mlp_ensemble.train_sgd(ens, X, y, lr=lr, batch_size=batch_size, n_epochs=n_epochs, rngs=[np.random.default_rng(k) for k in range(2)])
        runs.append(ens.weights[0].detach().clone())
    torch.testing.assert_close(runs[0], runs[1], rtol=1e-6, atol=0)  # np.float32(0.1) is 0.1 to float32 rounding
