"""
Batch normalisation: backward pass, statistics and dead units
=============================================================

Question 5 of assignment 1 of the University of Amsterdam's Deep Learning 1
course (ID ``uva-dl1-a1/q5``) is about batch normalisation: its gradients
(a), the parameter count of a fully connected layer of 20 inputs and 40
outputs with batch normalisation (b), why inference cannot use batch
statistics (c), dead ReLU units (d), whether batch normalisation keeps units
from dying (e), and the MLP of questions 2-3 retrained with batch
normalisation after the hidden layer (f). We derive the complete backward
pass, including the paths through the batch mean and variance, and check it
against ``torch``; count the parameters on real modules; show train and
inference mode disagreeing on the same inputs; and *measure* dead units. The
answer sheet claims that batch normalisation stops units from dying; the
measurements below show that it cures one cause of dying (a shifted bias)
but not another (a large learning rate), and that what kills a unit under
batch normalisation is its scale :math:`\gamma_j` collapsing. Finally we
explain why batch normalisation changes little in the assignment's own
setting, and show where it does matter.
"""

# %%
# The forward pass
# ----------------
# For a batch of :math:`N` samples and one feature :math:`j` (a column of the
# layer's output), batch normalisation in training mode computes
#
# .. math::
#
#    \mu_j = \frac1N\sum_{i=1}^N x_{ij},\qquad
#    \sigma^2_j = \frac1N\sum_{i=1}^N (x_{ij}-\mu_j)^2,
#
#    \hat x_{ij} = \frac{x_{ij}-\mu_j}{\sqrt{\sigma^2_j+\epsilon}},\qquad
#    y_{ij} = \gamma_j\hat x_{ij}+\beta_j .
#
# :math:`\gamma_j` and :math:`\beta_j` are learned; :math:`\mu_j` and
# :math:`\sigma^2_j` are functions of *every* sample in the batch, so each
# output depends on all the inputs of its column. All randomness comes from
# the base seed ``SEED``, set here.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import numpy_nn
from nntheory.data import make_mnist1d, standardize_per_channel
from nntheory.models import mlp
from nntheory.seeding import base_seed

# sphinx_gallery_thumbnail_number = 2
SEED = base_seed(42)
rng = np.random.default_rng(SEED)
generator = torch.Generator().manual_seed(SEED)
colours = plt.get_cmap("tab10").colors

# %%
# (a) The backward pass, through the batch statistics too
# -------------------------------------------------------
# Write :math:`\bar y_{ij} = \partial L/\partial y_{ij}` for the upstream
# gradient and :math:`s_j = \sqrt{\sigma_j^2+\epsilon}`. The parameters enter
# every sample of column :math:`j`, so their gradients are sums over the batch:
#
# .. math::
#
#    \frac{\partial L}{\partial\gamma_j} = \sum_i \bar y_{ij}\,\hat x_{ij},\qquad
#    \frac{\partial L}{\partial\beta_j} = \sum_i \bar y_{ij}.
#
# (The answer sheet writes :math:`\bar y_j x_j` for the first: without the sum
# over samples and with :math:`x` in place of :math:`\hat x`.) For the input,
# let :math:`g_{ij} = \bar y_{ij}\gamma_j = \partial L/\partial\hat x_{ij}`.
# :math:`x_{kj}` reaches :math:`\hat x_{ij}` directly (if :math:`i = k`) and
# through :math:`\mu_j` and :math:`\sigma^2_j`, with
# :math:`\partial\mu_j/\partial x_{kj} = 1/N` and
# :math:`\partial\sigma^2_j/\partial x_{kj} = 2(x_{kj}-\mu_j)/N` (the term from
# :math:`\mu_j` inside the variance sums to zero). Differentiating
# :math:`\hat x_{ij} = (x_{ij}-\mu_j)\,(\sigma_j^2+\epsilon)^{-1/2}`,
#
# .. math::
#
#    \frac{\partial\hat x_{ij}}{\partial x_{kj}}
#    = \frac{1}{s_j}\Big(\delta_{ik} - \frac1N\Big)
#      - \frac{x_{ij}-\mu_j}{2 s_j^3}\cdot\frac{2(x_{kj}-\mu_j)}{N}
#    = \frac{1}{N s_j}\Big(N\delta_{ik} - 1 - \hat x_{ij}\hat x_{kj}\Big),
#
# and summing :math:`g_{ij}` times this over :math:`i`,
#
# .. math::
#
#    \frac{\partial L}{\partial x_{kj}} = \frac{1}{N s_j}
#    \Big(N g_{kj} - \sum_i g_{ij} - \hat x_{kj}\sum_i g_{ij}\hat x_{ij}\Big).
#
# The two sums are the paths through the mean and the variance; without them
# (treating :math:`\mu_j, \sigma_j^2` as constants) one gets only the first
# term, :math:`g_{kj}/s_j`, which is the right gradient in *inference* mode,
# where the statistics are fixed running averages. The gradient with respect
# to the input sums to zero over the batch in each column (the three sums
# cancel, as :math:`\sum_k \hat x_{kj} = 0`), and it is orthogonal to
# :math:`\hat x_{\cdot j}` up to the small :math:`\epsilon`: since
# :math:`\sum_k \hat x_{kj}^2 = N\sigma_j^2/s_j^2`,
# :math:`\sum_k \frac{\partial L}{\partial x_{kj}}\hat x_{kj}
# = \frac{\epsilon}{s_j^3}\sum_i g_{ij}\hat x_{ij}`. Shifting a column of
# inputs does not change the output, and scaling it changes it only through
# :math:`\epsilon`.
#
# We check :class:`~nntheory.numpy_nn.BatchNorm1d` against
# ``torch.nn.BatchNorm1d`` in float64, in both modes, over several training
# steps (so the running statistics are compared too). Tolerance: every
# quantity is of order 1 to 10 and built from sums over the :math:`N = 16`
# samples, so rounding is about :math:`16\varepsilon\times 10 \approx
# 4\times10^{-14}`; we allow :math:`10^{-12}`, still :math:`10^{11}` times
# smaller than the error of a missing term (printed below).
N, M = 16, 40
bn = numpy_nn.BatchNorm1d(M)
bn.params["weight"] = 1 + 0.5 * rng.standard_normal(M)  # gamma, away from its initial 1
bn.params["bias"] = rng.standard_normal(M)  # beta
ref = torch.nn.BatchNorm1d(M, dtype=torch.float64)
with torch.no_grad():
    ref.weight.copy_(torch.from_numpy(bn.params["weight"]))
    ref.bias.copy_(torch.from_numpy(bn.params["bias"]))


def compare(x, y_bar):
    """Max |numpy - torch| of y, dL/dx, dL/dgamma, dL/dbeta and the running statistics."""
    y = bn.forward(x)
    dx = bn.backward(y_bar)
    x_t = torch.tensor(x, requires_grad=True)
    ref.weight.grad = ref.bias.grad = None
    y_t = ref(x_t)
    y_t.backward(torch.from_numpy(y_bar))
    pairs = [
        (y, y_t),
        (dx, x_t.grad),
        (bn.grads["weight"], ref.weight.grad),
        (bn.grads["bias"], ref.bias.grad),
        (bn.buffers["running_mean"], ref.running_mean),
        (bn.buffers["running_var"], ref.running_var),
    ]
    return [np.abs(a - b.detach().numpy()).max() for a, b in pairs]


print("max |numpy - torch| of")
print("mode  step        y    dL/dx  dL/dgam dL/dbeta run.mean  run.var")
all_diffs = []
for step in range(3):
    x = 2 * rng.standard_normal((N, M)) + rng.standard_normal(M)
    diffs = compare(x, rng.standard_normal((N, M)))
    all_diffs += diffs
    print(f"train {step:4d} " + " ".join(f"{d:8.1e}" for d in diffs))
bn.eval()
ref.eval()
diffs = compare(2 * rng.standard_normal((N, M)), rng.standard_normal((N, M)))
all_diffs += diffs
print("eval     - " + " ".join(f"{d:8.1e}" for d in diffs))
bn.train()
assert max(all_diffs) < 1e-12, max(all_diffs)  # "matches torch to rounding, both modes"

# the naive gradient that ignores the statistics is wrong in training mode:
x = 2 * rng.standard_normal((N, M))
y_bar = rng.standard_normal((N, M))
bn.forward(x)
dx_full = bn.backward(y_bar)
dx_naive = y_bar * bn.params["weight"] / np.sqrt(x.var(axis=0) + bn.eps)
naive_gap = np.abs(dx_full - dx_naive).max()
col_sums = np.abs(dx_full.sum(axis=0)).max()
s_j = np.sqrt(x.var(axis=0) + bn.eps)
x_hat = (x - x.mean(axis=0)) / s_j
g = y_bar * bn.params["weight"]
orth = (dx_full * x_hat).sum(axis=0)  # (M,)
orth_theory = bn.eps / s_j**3 * (g * x_hat).sum(axis=0)
print(f"train mode: max |full - naive dL/dx| = {naive_gap:.2f}; "
      f"column sums of the full dL/dx: max |sum| = {col_sums:.1e}")
print(f"sum_k dL/dx_kj x_hat_kj: largest {np.abs(orth).max():.1e}, "
      f"max |measured - eps/s^3 sum g x_hat| = {np.abs(orth - orth_theory).max():.1e}")
assert naive_gap > 0.1, naive_gap  # ignoring the statistics is visibly wrong
assert col_sums < 1e-12, col_sums  # the gradient sums to zero in each column
np.testing.assert_allclose(orth, orth_theory, rtol=0, atol=1e-12)  # orthogonal up to eps

# %%
# (b) Counting parameters: 920
# ----------------------------
# A fully connected layer from 20 to 40 units has a :math:`40\times 20`
# weight matrix and 40 biases, 840 parameters; batch normalisation adds one
# :math:`\gamma_j` and one :math:`\beta_j` per output, 80 more: 920. The
# running mean and variance (40 each) are *buffers*, estimated from data and
# not trained by gradient descent. We count on real modules.
layer_t = torch.nn.Sequential(torch.nn.Linear(20, 40), torch.nn.BatchNorm1d(40))
n_torch = sum(p.numel() for p in layer_t.parameters() if p.requires_grad)
n_buffers = sum(b.numel() for name, b in layer_t.named_buffers() if "running" in name)
np_layers = [numpy_nn.Linear(20, 40, rng=rng), numpy_nn.BatchNorm1d(40)]
n_numpy = sum(p.size for layer in np_layers for p in layer.params.values())
print(f"trainable parameters: torch {n_torch}, numpy {n_numpy}")
print(f"running-statistic buffers (not trained): {n_buffers}")
assert n_torch == n_numpy == 20 * 40 + 40 + 2 * 40 == 920 and n_buffers == 80

# %%
# One redundancy is worth knowing: the linear layer's bias :math:`b_j` is
# added to every sample of column :math:`j` and removed again with the batch
# mean, so it has no effect on the output in training mode and receives a zero
# gradient. Only 880 of the 920 parameters matter.
layer_t = layer_t.double()
x_t = torch.from_numpy(rng.standard_normal((N, 20)))
out = layer_t(x_t)
upstream = torch.from_numpy(rng.standard_normal(out.shape))
(out * upstream).sum().backward()
grad_b, grad_W = layer_t[0].bias.grad.abs().max(), layer_t[0].weight.grad.abs().max()
print(f"max |dL/db| of the linear bias before batch norm: {grad_b:.1e} "
      f"(while max |dL/dW| = {grad_W:.2f})")
assert grad_b < 1e-12 * max(1.0, grad_W), grad_b  # zero up to rounding

# %%
# (c) Training mode against inference mode
# ----------------------------------------
# In training mode a sample's output depends on the other samples in its
# batch. At inference time there may be a single sample; then
# :math:`x_{1j} - \mu_j = 0` and :math:`\sigma^2_j = 0`, so
# :math:`\hat x_{1j} = 0/\sqrt{\epsilon} = 0` and the layer outputs
# :math:`\beta_j` whatever the input; and the unbiased variance that updates
# the running estimate, :math:`\frac{1}{N-1}\sum_i (x_{ij}-\mu_j)^2`, is
# :math:`0/0`. torch refuses a batch of one in training mode, and so does our
# module. Batch normalisation therefore keeps running averages during training,
# :math:`r \leftarrow (1-m)\,r + m\cdot(\text{batch statistic})` with
# momentum :math:`m = 0.1` (torch's convention), and uses them as fixed
# constants in inference mode (``eval()``): each sample is then normalised
# on its own, deterministically.
#
# We train the question 2-3 network with batch normalisation (settings of
# part (f), below) on MNIST-1D (the data set is the fixed problem, generated
# with its own seed 42; see the question 2-3 page), then push the same test
# samples through the batch-norm layer in training mode inside different
# random batches, as a batch of one, and in inference mode. As in the
# assignment, the model kept is the one from the epoch with the best
# validation accuracy.
data, _, _ = standardize_per_channel(make_mnist1d(seed=42), dtype=np.float32)
X_train, y_train = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
X_val, y_val = torch.from_numpy(data.X_val), torch.from_numpy(data.y_val)
X_test, y_test = torch.from_numpy(data.X_test), torch.from_numpy(data.y_test)
print(f"dataset: {data.name}, {X_train.shape[0]} training samples")

HIDDEN, LR, BATCH_SIZE, N_EPOCHS = [128], 0.1, 128, 10
shape = (data.n_features, HIDDEN, data.n_classes)
train_settings = dict(lr=LR, batch_size=BATCH_SIZE, n_epochs=N_EPOCHS,
                      X_val=X_val, y_val=y_val, restore_best=True)
bn_model = mlp.MLP(*shape, generator=generator, activation="elu", batch_norm=True)
bn_history = mlp.train_sgd(bn_model, X_train, y_train, rng=np.random.default_rng(SEED),
                           **train_settings)
linear, norm = bn_model.layers[0], bn_model.layers[1]

probe = X_test[:8]  # (8, n_features)
with torch.no_grad():
    h_probe = linear(probe)
    h_train = linear(X_train)
    norm.eval()
    y_eval = norm(h_probe)  # (8, 128)
    norm.train()
    y_batches = []
    for _ in range(30):  # the probes inside 30 random batches of 128 training samples
        pick = rng.choice(X_train.shape[0], BATCH_SIZE - 8, replace=False)
        others = h_train[torch.from_numpy(pick)]
        saved = (norm.running_mean.clone(), norm.running_var.clone())
        y_batches.append(norm(torch.cat([h_probe, others]))[:8])
        norm.running_mean.copy_(saved[0])
        norm.running_var.copy_(saved[1])
    y_batches = torch.stack(y_batches)  # (30, 8, 128)
    refused = []
    try:
        norm(h_probe[:1])
    except ValueError as err:
        refused.append("torch")
        print(f"torch, training mode, batch of one: ValueError:\n  {err}")
    bn_np = numpy_nn.BatchNorm1d(128)
    try:
        bn_np.forward(h_probe[:1].double().numpy())
    except ValueError as err:
        refused.append("numpy")
        print(f"numpy, training mode, batch of one: ValueError:\n  {err}")
    assert refused == ["torch", "numpy"]  # both refuse a batch of one in training mode
    # what batch statistics would give for a batch of one, computed by hand: x - mu = 0
    single = h_probe[:1]
    x_hat = (single - single.mean(0)) / torch.sqrt(single.var(0, unbiased=False) + norm.eps)
    by_hand = norm.weight * x_hat + norm.bias
    beta_gap = (by_hand - norm.bias).abs().max().item()
    print(f"batch of one by hand: max |output - beta| = {beta_gap:.1e}, whatever the input")
    assert beta_gap == 0  # x - mu is exactly 0, so the output is exactly beta
    spread = y_batches.std(dim=0)  # (8, 128): batch-to-batch standard deviation of each output
    print("training mode, same 8 samples in 30 batches: mean batch-to-batch std "
          f"of an output {spread.mean().item():.3f}")
    print("mean |training-mode average - inference-mode output| "
          f"{(y_batches.mean(0) - y_eval).abs().mean().item():.3f}")
    assert spread.min().item() > 0  # every output depends on the rest of its batch
    pop_mean, pop_std = h_train.mean(0), h_train.std(0)
    mean_gap = ((norm.running_mean - pop_mean).abs() / pop_std).max().item()
    var_ratio = norm.running_var / pop_std**2
    print(f"running mean vs training-set mean: max |difference| / std {mean_gap:.3f}")
    print(f"running var / training-set var in "
          f"[{var_ratio.min().item():.2f}, {var_ratio.max().item():.2f}]")
    # "estimate the training-set statistics": an exponential average over about
    # (2 - m)/m = 19 batches of 128 has a relative standard error of a few
    # per cent, and the weights move meanwhile; we hold every unit to 15 % of
    # a standard deviation for the mean and to a factor 4/3 for the variance
    assert mean_gap < 0.15, mean_gap
    assert 0.75 < var_ratio.min().item() and var_ratio.max().item() < 4 / 3, var_ratio

# %%
# Each column of dots is one output of one test sample; its vertical spread
# is how much that output changes with the company the sample keeps in its
# batch. The inference-mode output (orange) is a single number.
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
units = np.arange(12)
for k, u in enumerate(units):
    vals = y_batches[:, 0, u].numpy()
    jitter = rng.uniform(-0.15, 0.15, vals.size)
    ax.scatter(k + jitter, vals, s=12, color=colours[0], alpha=0.6,
               label="training mode, 30 different batches" if k == 0 else None)
    ax.scatter(k, y_eval[0, u].item(), marker="D", s=50, color=colours[1], zorder=3,
               label="inference mode (running statistics)" if k == 0 else None)
    ax.scatter(k, norm.bias[u].item(), marker="x", s=50, color="k", zorder=3,
               label=r"training mode, batch of one: $\beta_j$" if k == 0 else None)
ax.set_xticks(range(len(units)), [f"{u}" for u in units])
ax.set_xlabel("hidden unit j (first test sample)", fontsize=11)
ax.set_ylabel(r"batch-norm output $y_{1j}$", fontsize=11)
ax.set_title("Batch statistics make a sample's output depend on its batch", fontsize=12)
ax.legend(fontsize=9, loc="best")
plt.show()

# %%
# (d) Dead ReLU units
# -------------------
# A ReLU unit :math:`j` of the hidden layer computes :math:`\max(0, a_j)` of
# its *pre-activation* :math:`a_j = w_j^\top x + b_j`, one number per sample.
# For :math:`a_j \le 0` both its output and its derivative are 0. **Definition
# used here**: unit :math:`j` is *dead* if :math:`a_j \le 0` for every one of
# the 3,600 training samples (with the network in inference mode; for batch
# norm, :math:`a_j` is the batch-norm output and the running statistics are
# used). The answer sheet words the condition in terms of the unit's
# *inputs* ("all the inputs are negative"); that is not it. Negative inputs
# with negative weights give a positive :math:`a_j`, and a hidden unit fed by
# an earlier ReLU layer never sees a negative input at all. What must be
# non-positive on all the data is the weighted sum plus bias.
#
# How it harms training: a dead unit outputs 0 on every sample, so it
# contributes nothing to the prediction, and the gradient reaching its
# incoming weights and bias, :math:`\sum_i \bar a_{ij}x_i` with
# :math:`\bar a_{ij} = 0`, is exactly zero on every batch. Without batch norm
# nothing then changes its pre-activations (in this one-hidden-layer network
# its inputs are the fixed data), so it stays dead for good: the network is
# narrower than it looks, and the dead unit's parameters are wasted.
#
# We provoke dying with ReLU units (ELU units cannot die, see (f)) and
# otherwise the question 2-3 settings, in two ways:
#
# 1. a *negative bias shift*: the first layer's biases start at -3 (inputs are
#    standardised, so most pre-activations start negative);
# 2. a *large learning rate*, from 0.1 up to 5.
#
# Besides the inference-mode count we count units that are zero on every
# mini-batch of a pass over the training set in *training* mode (batch
# statistics), which is what the gradient sees.


def dead_units(model, X, train_mode=False):
    """Mask of dead hidden units: ReLU output 0 on every sample (inference) or every batch (training)."""
    if not train_mode:
        return (mlp.hidden_activations(model, X)[0] == 0).all(dim=0)
    alive = torch.zeros(model.layers[0].out_features, dtype=torch.bool)
    batches = np.random.default_rng(SEED + 1)
    for idx in numpy_nn.minibatch_indices(X.shape[0], BATCH_SIZE, batches):
        h = mlp.hidden_activations(model, X[torch.from_numpy(idx)], train_mode=True)[0]
        alive |= (h > 0).any(dim=0)
    return ~alive


def run(batch_norm, lr, bias_shift=0.0, every_epoch_train_mode=False):
    """Train a ReLU MLP for N_EPOCHS from SEED, recording dead units after every epoch.

    The training-mode count (slower) is taken after every epoch only if asked,
    otherwise only at the end.
    """
    model = mlp.MLP(*shape, generator=torch.Generator().manual_seed(SEED),
                    activation="relu", batch_norm=batch_norm)
    with torch.no_grad():
        model.layers[0].bias.fill_(bias_shift)
    batches = np.random.default_rng(SEED)
    masks = [dead_units(model, X_train)]
    dead_train = [int(dead_units(model, X_train, train_mode=True).sum())]
    losses = []
    for _ in range(N_EPOCHS):
        history = mlp.train_sgd(model, X_train, y_train, lr=lr, batch_size=BATCH_SIZE,
                                n_epochs=1, rng=batches)
        losses += history.epoch_loss
        masks.append(dead_units(model, X_train))
        if every_epoch_train_mode:
            dead_train.append(int(dead_units(model, X_train, train_mode=True).sum()))
    if not every_epoch_train_mode:
        dead_train.append(int(dead_units(model, X_train, train_mode=True).sum()))
    diverged = not np.isfinite(losses[-1])
    return dict(masks=masks, dead=[int(m.sum()) for m in masks], dead_train=dead_train,
                diverged=diverged, model=model,
                acc=np.nan if diverged else mlp.accuracy(model, X_test, y_test))


shift = {bnorm: run(bnorm, lr=0.1, bias_shift=-3.0, every_epoch_train_mode=True)
         for bnorm in (False, True)}
print("bias shift -3, lr 0.1: dead units (of 128) at initialisation and after each epoch")
for bnorm in (False, True):
    r = shift[bnorm]
    print(f"  {'with' if bnorm else 'without':7s} BN, inference mode: {r['dead']}")
    print(f"  {'with' if bnorm else 'without':7s} BN, training mode:  {r['dead_train']}")
    print(f"  test accuracy {r['acc']:.1%}")

# %%
# The harm, measured on the network without batch norm: the gradient of the
# loss on the whole training set is exactly zero for every parameter that
# touches a dead unit (its row of :math:`W^{(1)}`, its bias, its column of
# :math:`W^{(2)}`), and no unit dead at initialisation came back.
plain_shift = shift[False]["model"]
plain_shift.zero_grad()
torch.nn.functional.cross_entropy(plain_shift(X_train), y_train).backward()
dead = shift[False]["masks"][-1]
W1, W2 = plain_shift.layers[0], plain_shift.layers[2]
dead_grad = max(W1.weight.grad[dead].abs().max(), W1.bias.grad[dead].abs().max(),
                W2.weight.grad[:, dead].abs().max()).item()
live_grad = W1.weight.grad[~dead].abs().max().item()
revived = int((shift[False]["masks"][0] & ~shift[False]["masks"][-1]).sum())
print(f"{int(dead.sum())} dead units: largest gradient of their parameters {dead_grad:.1e}")
print(f"(live units' incoming weights: up to {live_grad:.1e}); units revived: {revived}")
assert dead_grad == 0 and live_grad > 0  # "exactly zero"
assert revived == 0  # "it stays dead for good"
assert all(a <= b for a, b in zip(shift[False]["dead"], shift[False]["dead"][1:]))

# %%
# (e) Does batch normalisation keep units alive?
# ----------------------------------------------
# Batch normalisation before the ReLU removes any shift of the
# pre-activation by the linear layer's bias (the batch mean subtracts it),
# and for each unit the normalised values :math:`\hat x_{ij}` have mean 0
# and variance (nearly) 1 over the batch, so at least one of them is
# positive (unless all are equal). That is the answer sheet's argument, and it cures the bias
# shift: in training mode no unit is dead at any epoch, and the units counted
# dead at initialisation in inference mode (where the initial running
# statistics, mean 0 and variance 1, do not yet remove the shift, so the
# count equals the plain network's) are all alive after the first epoch.
# Without batch norm they stay dead, and the accuracy shows it.
#
# But the ReLU receives :math:`\gamma_j\hat x_{ij}+\beta_j`, not
# :math:`\hat x_{ij}`, and that is non-positive for the whole batch as soon
# as :math:`\beta_j \le -\gamma_j \max_i \hat x_{ij}` (for
# :math:`\gamma_j>0`). Nothing stops gradient descent from moving
# :math:`\gamma_j` and :math:`\beta_j` there, which the learning-rate sweep
# shows. We record the dead units after the last epoch in both modes, and
# the test accuracy, with and without batch norm.
r_plain, r_bn = shift[False], shift[True]
assert r_bn["dead"][0] == r_plain["dead"][0] > 0  # same weights, same shift: same count
assert max(r_bn["dead_train"]) == 0 and max(r_bn["dead"][1:]) == 0  # cured
assert r_bn["acc"] > r_plain["acc"] + 0.10, (r_bn["acc"], r_plain["acc"])
assert r_plain["dead"][-1] >= 24  # "dozens of dead units" without batch norm

lrs = [0.1, 1.0, 2.0, 3.0, 4.0, 5.0]
sweep = {(bnorm, lr): run(bnorm, lr) for bnorm in (False, True) for lr in lrs}
print("learning-rate sweep, no bias shift: dead units after epoch 10\n"
      "(inference / training mode) and test accuracy")
print(f"{'lr':>5s} {'without BN':>22s} {'with BN':>22s}")
for lr in lrs:
    cells = []
    for bnorm in (False, True):
        r = sweep[(bnorm, lr)]
        cells.append("diverged (NaN)" if r["diverged"]
                     else f"{r['dead'][-1]:3d} / {r['dead_train'][-1]:3d}, {r['acc']:5.1%}")
    print(f"{lr:5.1f} {cells[0]:>22s} {cells[1]:>22s}")

# %%
# The table answers three questions.
#
# * At the assignment's learning rate, and up to 2, no unit dies with or
#   without batch norm: dying, in this sweep, needs a learning rate of 3 or
#   more (or the bias shift above).
# * Batch norm does **not** guarantee that no unit dies, contrary to the
#   answer sheet: at learning rates 4 and 5 dozens of units are dead *with*
#   batch norm, in inference and in training mode.
# * What batch norm does do is keep training finite at the learning rates
#   where the plain network diverges (4 and 5). Finite is not good,
#   though: those runs reach a lower test accuracy than the best plain
#   network of the sweep, and many of their units are dead.
for bnorm in (False, True):  # "no unit dies up to lr 2"
    for lr in (0.1, 1.0, 2.0):
        r = sweep[(bnorm, lr)]
        assert not r["diverged"] and r["dead"][-1] == r["dead_train"][-1] == 0, (bnorm, lr)
assert all(sweep[(False, lr)]["diverged"] == (lr >= 4) for lr in lrs)  # plain diverges at 4, 5
assert not any(sweep[(True, lr)]["diverged"] for lr in lrs)  # batch norm stays finite
for lr in (4.0, 5.0):  # "dozens" of units die with batch norm, in both modes
    assert min(sweep[(True, lr)]["dead"][-1], sweep[(True, lr)]["dead_train"][-1]) >= 24, lr
best_plain = max(sweep[(False, lr)]["acc"] for lr in lrs if not sweep[(False, lr)]["diverged"])
best_bn_large = max(sweep[(True, lr)]["acc"] for lr in (4.0, 5.0))
print(f"best plain accuracy in the sweep {best_plain:.1%}; "
      f"best with batch norm at lr 4 or 5: {best_bn_large:.1%}")
assert best_bn_large < best_plain, (best_bn_large, best_plain)

# %%
# The per-epoch counts of dead units (inference mode).
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
epochs = np.arange(N_EPOCHS + 1)
for bnorm, ls in ((False, "-"), (True, "--")):
    label = "with BN" if bnorm else "without BN"
    ax0.plot(epochs, shift[bnorm]["dead"], ls, marker="o", color=colours[int(bnorm)], label=label)
    for k, lr in enumerate((3.0, 4.0, 5.0)):
        r = sweep[(bnorm, lr)]
        if not r["diverged"]:
            ax1.plot(epochs, r["dead"], ls, marker="o", ms=4, color=colours[2 + k],
                     label=f"lr {lr:g}, {label}")
ax0.set_title("bias shift -3, lr 0.1", fontsize=11)
ax1.set_title("large learning rates (diverged runs omitted)", fontsize=11)
for ax in (ax0, ax1):
    ax.set_xlabel("epoch", fontsize=11)
    ax.set_ylabel("dead hidden units (of 128)", fontsize=11)
ax0.legend(fontsize=10, loc="center right")
ax1.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.suptitle("Batch norm cures a bias shift but does not stop units from dying "
             "at large learning rates", fontsize=12)
plt.show()

# %%
# Why the batch-norm units died: :math:`\gamma_j` collapsed
# -----------------------------------------------------------
# For unit :math:`j` the largest ReLU input over the training set is
# :math:`\max_i \gamma_j\hat x_{ij} + \beta_j` (inference mode: :math:`\hat x`
# from the running statistics). The unit is dead exactly when this is
# :math:`\le 0`. Is it :math:`\beta_j` that training drove down, or the scale
# :math:`\gamma_j`? We look at the learning-rate-4 run with batch norm. A
# threshold on :math:`\gamma_j` alone separates dead from live units much
# better than a threshold on :math:`\beta_j` alone: dead units have a
# :math:`\gamma_j` far below its initial value 1, while their
# :math:`\beta_j` is moderately negative, in a range that overlaps the live
# units' values. With :math:`\gamma_j` near 0 the normalised signal
# :math:`\gamma_j\hat x_{ij}` can no longer lift the unit above a modest
# negative :math:`\beta_j`, and once the unit is dead in training mode its
# :math:`\gamma_j` and :math:`\beta_j` receive no gradient to get it back.
bn_relu = sweep[(True, 4.0)]["model"]
lin, norm_relu = bn_relu.layers[0], bn_relu.layers[1]
with torch.no_grad():
    h = lin(X_train)  # (n_samples, 128)
    x_hat = (h - norm_relu.running_mean) / torch.sqrt(norm_relu.running_var + norm_relu.eps)
    top = (norm_relu.weight * x_hat).max(dim=0).values.numpy()  # max_i gamma_j x_hat_ij
    gamma, beta = norm_relu.weight.numpy(), norm_relu.bias.numpy()
dead_mask = sweep[(True, 4.0)]["masks"][-1].numpy()


def best_threshold_accuracy(values, is_dead):
    """Best fraction of units classified right by one rule 'dead iff value <= t' (or >= t)."""
    cuts = np.concatenate([[-np.inf], np.sort(values)])
    acc = np.array([np.mean((values <= t) == is_dead) for t in cuts])
    return max(acc.max(), (1 - acc).max())


acc_gamma = best_threshold_accuracy(gamma, dead_mask)
acc_beta = best_threshold_accuracy(beta, dead_mask)
print(f"dead units: {dead_mask.sum()}; units with max_i gamma_j x_hat_ij + beta_j <= 0: "
      f"{(top + beta <= 0).sum()}")
print(f"gamma_j: median {np.median(gamma[dead_mask]):.2f} dead, "
      f"{np.median(gamma[~dead_mask]):.2f} alive")
print(f"beta_j of dead units in [{beta[dead_mask].min():.2f}, {beta[dead_mask].max():.2f}], "
      f"of live units in [{beta[~dead_mask].min():.2f}, {beta[~dead_mask].max():.2f}]")
print(f"best single threshold classifies dead/alive: on gamma_j {acc_gamma:.0%}, "
      f"on beta_j {acc_beta:.0%}")
assert np.array_equal(top + beta <= 0, dead_mask)  # the condition, unit by unit
assert np.median(gamma[dead_mask]) < 0.5 * min(1.0, np.median(gamma[~dead_mask]))  # collapsed
# beta alone does not separate them: the two ranges overlap
assert beta[~dead_mask].min() < beta[dead_mask].max() and beta[dead_mask].min() < beta[~dead_mask].max()
assert acc_gamma > acc_beta, (acc_gamma, acc_beta)

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
for ax, x_vals, y_vals in ((ax0, gamma, beta), (ax1, top, -beta)):
    ax.scatter(x_vals[~dead_mask], y_vals[~dead_mask], s=20, color=colours[0],
               label=f"alive ({(~dead_mask).sum()})")
    ax.scatter(x_vals[dead_mask], y_vals[dead_mask], s=28, marker="x", color=colours[3],
               label=f"dead ({dead_mask.sum()})")
ax0.axvline(1.0, color="0.5", ls=":", lw=1)
ax0.text(1.03, 0.02, r"initial $\gamma_j = 1$", transform=ax0.get_xaxis_transform(), fontsize=10)
ax0.set_xlabel(r"scale $\gamma_j$", fontsize=11)
ax0.set_ylabel(r"shift $\beta_j$", fontsize=11)
ax0.set_title(r"dead units: $\gamma_j$ near 0, $\beta_j$ like live units'", fontsize=11)
lim = [min(top.min(), -beta.max()) - 0.3, max(top.max(), -beta.min()) + 0.3]
ax1.plot(lim, lim, color="0.4", ls="--", lw=1, label="dead above this line")
ax1.set_xlim(top.min() - 0.3, top.max() + 0.3)
ax1.set_ylim(-beta.max() - 0.3, -beta.min() + 0.3)
ax1.set_xlabel(r"largest scaled input $\max_i \gamma_j \hat x_{ij}$", fontsize=11)
ax1.set_ylabel(r"$-\beta_j$", fontsize=11)
ax1.set_title(r"dead exactly when $\max_i \gamma_j \hat x_{ij} + \beta_j \leq 0$", fontsize=11)
for ax in (ax0, ax1):
    ax.legend(fontsize=10, loc="best")
fig.suptitle("With batch norm at lr 4, units die because their scale "
             r"$\gamma_j$ collapsed, not because $\beta_j$ ran off", fontsize=12)
plt.show()

# %%
# (f) The question 2-3 network with batch normalisation
# -----------------------------------------------------
# The default network (128 ELU units, SGD with learning rate 0.1, batches of
# 128, 10 epochs, the best-validation epoch kept) with and without a
# batch-norm layer between the hidden Linear layer and the ELU. The
# batch-norm network trained above is the "with" run; we add the run
# without, and ten more seeds of each to judge whether a difference in
# test accuracy is larger than the seed-to-seed spread. From the two means
# and their standard errors we get an interval of three standard errors
# around the difference, which bounds the effect of batch norm here. All runs here are
# torch models in float32 with torch-drawn initial weights, so the
# "without" accuracies are not those of the float64 numpy/torch pair on
# the question 2-3 page (other initial weights, other precision); what
# matters is that with and without batch norm are compared under identical
# conditions. For the default seed the training-loss curves of the two
# networks stay close (the printed largest gap between their epoch means).
#
# The answer sheet's explanation that batch norm leaves fewer dead units
# cannot apply to this network: ELU units do not die, because
# :math:`\text{ELU}'(x) = \alpha e^x > 0` for every :math:`x \le 0` (in
# float64 until :math:`e^x` underflows, below :math:`x \approx -745`).
plain_model = mlp.MLP(*shape, generator=torch.Generator().manual_seed(SEED), activation="elu")
plain_history = mlp.train_sgd(plain_model, X_train, y_train, rng=np.random.default_rng(SEED),
                              **train_settings)
acc = {"without BN": mlp.accuracy(plain_model, X_test, y_test),
       "with BN": mlp.accuracy(bn_model, X_test, y_test)}
print(f"seed {SEED} test accuracy: without BN {acc['without BN']:.2%}, with BN {acc['with BN']:.2%}")
seeds = [SEED + k for k in range(1, 11)]
seed_acc = {}
for name, bnorm in (("without BN", False), ("with BN", True)):
    vals = []
    for seed in seeds:
        model = mlp.MLP(*shape, generator=torch.Generator().manual_seed(seed),
                        activation="elu", batch_norm=bnorm)
        mlp.train_sgd(model, X_train, y_train, rng=np.random.default_rng(seed), **train_settings)
        vals.append(mlp.accuracy(model, X_test, y_test))
    seed_acc[name] = np.array(vals)
    print(f"{name:10s} seeds {seeds[0]}-{seeds[-1]}: " + ", ".join(f"{a:.1%}" for a in vals))
    print(f"{'':10s} mean {np.mean(vals):.1%}, std {np.std(vals, ddof=1):.1%}")
gap = seed_acc["with BN"].mean() - seed_acc["without BN"].mean()
se_gap = np.sqrt(sum(v.var(ddof=1) / v.size for v in seed_acc.values()))
print(f"difference of the means (with - without BN): {gap:+.1%}, standard error {se_gap:.1%}")
print(f"3-standard-error interval [{gap - 3 * se_gap:+.1%}, {gap + 3 * se_gap:+.1%}]")
# "at most a few points either way": the 3-standard-error interval of the
# difference lies inside +-5 points (a t-interval with 18 degrees of freedom
# at 3 standard errors covers the true difference with probability 99 %)
assert abs(gap) + 3 * se_gap < 0.05, (gap, se_gap)
loss_gap = np.max(np.abs(np.array(bn_history.epoch_loss) - np.array(plain_history.epoch_loss)))
print(f"largest difference of the epoch-mean training losses (seed {SEED}): {loss_gap:.3f}")
assert loss_gap < 0.15, loss_gap  # "the loss curves stay close"

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained", width_ratios=[2, 1])
steps = np.arange(1, len(plain_history.step_loss) + 1)
ax0.plot(steps, plain_history.step_loss, color=colours[0], lw=1, label="without BN")
ax0.plot(steps, bn_history.step_loss, color=colours[1], lw=1, label="with BN")
ax0.set_xlabel("SGD step", fontsize=11)
ax0.set_ylabel("training loss (mini-batch)", fontsize=11)
ax0.set_title(f"seed {SEED}", fontsize=11)
ax0.legend(fontsize=10)
for k, (name, vals) in enumerate(seed_acc.items()):
    ax1.scatter(k + rng.uniform(-0.08, 0.08, vals.size), vals, color=colours[k], s=30)
    ax1.errorbar(k + 0.25, vals.mean(), yerr=vals.std(ddof=1), fmt="s", color=colours[k], capsize=4)
ax1.set_xticks([0, 1], list(seed_acc))
ax1.set_xlim(-0.5, 1.6)
ax1.set_ylabel("test accuracy", fontsize=11)
ax1.set_title("ten seeds (mean +/- std)", fontsize=11)
fig.suptitle(f"{data.name}, 128 ELU units, SGD lr 0.1: batch norm moves the test accuracy "
             "by a few points at most", fontsize=13)
plt.show()

# %%
# Why batch norm changes little here, and where it helps
# -------------------------------------------------------
# Batch normalisation re-centres and re-scales each pre-activation over the
# batch. In the assignment's network there is little to correct:
#
# * there is one hidden layer, so one batch-norm layer, fed directly by a
#   linear map of the inputs; no stack of layers whose input distributions
#   shift as the layers below them train;
# * the inputs are standardised and the first layer is Kaiming-initialised
#   with gain 1, so at initialisation every pre-activation already has a
#   mean within a tenth of its own standard deviation of 0, and a standard
#   deviation of order 1 (between 1/3 and 3) over the training set (printed
#   below): batch norm's first action is close to a per-unit rescaling by a
#   factor of order 1;
# * at learning rate 0.1 plain SGD is stable (no divergence, a falling loss),
#   so batch norm's best-known benefit, tolerating much larger learning
#   rates, is not called on.
#
# Where it does help is visible on this page: with the shifted bias it
# turns a network with dozens of dead units into one with none, and in the
# learning-rate sweep it keeps training finite at learning rates 4 and 5,
# where the plain network diverges (though not at an accuracy worth having).
with torch.no_grad():
    fresh = mlp.MLP(*shape, generator=torch.Generator().manual_seed(SEED), activation="elu")
    pre = fresh.layers[0](X_train)  # (n_samples, 128) pre-activations at initialisation
mu_j, sd_j = pre.mean(dim=0), pre.std(dim=0)
print(f"at initialisation: per-unit mean of the pre-activation in "
      f"[{mu_j.min().item():.3f}, {mu_j.max().item():.3f}],")
print(f"  at most {(mu_j.abs() / sd_j).max().item():.3f} of the unit's standard deviation; "
      f"standard deviation in [{sd_j.min().item():.2f}, {sd_j.max().item():.2f}]")
assert (mu_j.abs() / sd_j).max().item() < 0.1  # "within a tenth of its standard deviation"
assert 1 / 3 < sd_j.min().item() and sd_j.max().item() < 3  # "between 1/3 and 3"
assert all(np.diff(plain_history.epoch_loss) < 0)  # "a falling loss" at lr 0.1

# %%
# What to notice
# --------------
# * (a) The gradients of :math:`\gamma` and :math:`\beta` are sums over the
#   batch, and the input gradient has two extra terms for the paths through
#   :math:`\mu_j` and :math:`\sigma_j^2`. The hand-written backward pass
#   matches ``torch.nn.BatchNorm1d`` to rounding error in both modes, and
#   so do the running statistics (torch's momentum convention, unbiased
#   variance in the running estimate); ignoring the statistics gives a
#   visibly wrong gradient in training mode (printed above).
# * (b) 800 weights + 40 biases + 40 :math:`\gamma` + 40 :math:`\beta` = 920
#   trainable parameters, counted on real torch and numpy modules; the 80
#   running statistics are buffers, and the 40 linear biases are redundant in
#   front of batch norm (their gradient is zero up to rounding).
# * (c) With batch statistics an output depends on the rest of the batch, and
#   a batch of one maps every input to :math:`\beta`; inference mode uses the
#   running averages instead, which estimate the training-set statistics
#   (printed comparison) and make each prediction a fixed function of its
#   own input.
# * (d) A unit is dead when its pre-activation, not its input, is
#   non-positive on all the data; it then gets exactly zero gradient, and
#   without batch norm it never recovers.
# * (e) Batch norm cures dying caused by a shifted bias, but does not
#   guarantee that no unit dies: at learning rates 4 and 5 dozens of units
#   die with it, because training shrinks their :math:`\gamma_j` toward 0.
#   At the assignment's settings no unit dies with or without it.
# * (f) In the assignment's setting batch norm moves the test accuracy by a
#   few points at most (the printed three-standard-error interval over ten
#   seeds lies within five points of zero), for the reasons above; a single
#   pair of runs (like the answer sheet's 50.62 % against 49.85 %) cannot
#   decide the sign of such a difference. It matters where something is
#   wrong with the plain network: a shifted bias, or a learning rate too
#   large for it.
