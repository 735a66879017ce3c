r"""
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
setting, and why at large learning rates it only avoids divergence.
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
from nntheory.models import mlp, mlp_ensemble
from nntheory.seeding import base_seed

# sphinx_gallery_thumbnail_number = 2
torch.set_num_threads(1)  # these small models run fastest on one thread, and identically on every machine
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
# The answer sheet writes :math:`[\partial L/\partial\gamma]_n = \bar y_n x_n` and
# :math:`[\partial L/\partial\beta]_n = \bar y_n`: both without the sum over
# the samples of the batch (its :math:`y` and :math:`x` carry one index, as
# if the batch held one sample), and the first with :math:`x` in place of the
# normalised :math:`\hat x`. For the input,
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
# used). The answer sheet words the condition in terms of "the input" of the
# neuron ("all the inputs are negative"). Read as the input *of the ReLU*,
# that is :math:`a_j`, and the sheet is right. Read as the unit's inputs
# :math:`x` (the usual meaning of a neuron's inputs), it is not: negative
# inputs with negative weights give a positive :math:`a_j`, and a hidden unit
# fed by an earlier ReLU layer never sees a negative input at all. What must
# be non-positive on all the data is the weighted sum plus bias.
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


def run(batch_norm, lr, bias_shift=0.0, every_epoch_train_mode=False, width=HIDDEN[0]):
    """Train a ReLU MLP for N_EPOCHS from SEED, recording dead units after every epoch.

    The training-mode count (slower) is taken after every epoch only if asked,
    otherwise only at the end. The test accuracy is that of the model after
    the last epoch (no validation selection: it is the model whose units are
    counted).
    """
    model = mlp.MLP(data.n_features, [width], data.n_classes, generator=torch.Generator().manual_seed(SEED),
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
                diverged=diverged, model=model, loss=losses[-1],
                acc=np.nan if diverged else mlp.accuracy(model, X_test, y_test))


shift = {bnorm: run(bnorm, lr=0.1, bias_shift=-3.0, every_epoch_train_mode=True)
         for bnorm in (False, True)}
print("bias shift -3, lr 0.1: dead units (of 128) at initialisation and after each epoch")
for bnorm in (False, True):
    r = shift[bnorm]
    print(f"  {'with' if bnorm else 'without':7s} BN, inference mode: {r['dead']}")
    print(f"  {'with' if bnorm else 'without':7s} BN, training mode:  {r['dead_train']}")
    print(f"  test accuracy after epoch 10: {r['acc']:.1%}")

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
# Without batch norm they stay dead, and the shifted network's test
# accuracy is far below the batch-norm one's (both printed above).
r_plain, r_bn = shift[False], shift[True]
assert r_bn["dead"][0] == r_plain["dead"][0] > 0  # same weights, same shift: same count
assert max(r_bn["dead_train"]) == 0 and max(r_bn["dead"][1:]) == 0  # cured
assert r_bn["acc"] > r_plain["acc"] + 0.10, (r_bn["acc"], r_plain["acc"])
assert r_plain["dead"][-1] >= 24  # "dozens of dead units" without batch norm

# %%
# **Is it the dead units that cost the accuracy?** Not mostly. Three control
# runs without batch norm, at the default seed (test accuracy after epoch 10):
#
# * the same network without the shift, at learning rate 0.1;
# * a *narrower* network without the shift, with only as many hidden units
#   as the shifted network has alive at the end (128 minus its dead count):
#   it is what the shifted network would be if losing units were all that
#   the shift did;
# * the shifted network at learning rate 1 instead of 0.1.
#
# The narrower network's accuracy lies much closer to the full network's
# than to the shifted one's: losing the dead units accounts for less than
# half of the gap. And the shifted network at learning rate 1 gains more
# than ten points, although even more of its units die. What the shift does
# to the units that stay alive is slow them down: at initialisation they
# are active (positive pre-activation) on a tiny fraction of the training
# samples, against about half without the shift (printed), so each receives
# gradient from few samples, and the output layer reads sparse
# activations. At learning rate 0.1, 290 steps are not enough to make up for
# that; the training loss after epoch 10 is far higher (printed).
n_live = HIDDEN[0] - r_plain["dead"][-1]
control = {"no shift, 128 units": run(False, lr=0.1),
           f"no shift, {n_live} units": run(False, lr=0.1, width=n_live),
           "shift -3, lr 1": run(False, lr=1.0, bias_shift=-3.0)}
control = {"shift -3, lr 0.1 (above)": r_plain, **control}
for name, r in control.items():
    print(f"{name:26s}: test accuracy {r['acc']:.1%}, dead units {r['dead'][-1]:3d}, "
          f"training loss in epoch 10 {r['loss']:.2f}")
with torch.no_grad():
    fresh_shift = mlp.MLP(*shape, generator=torch.Generator().manual_seed(SEED), activation="relu")
    pre_plain = fresh_shift.layers[0](X_train)  # (n_samples, 128) pre-activations at initialisation
live_init = ~r_plain["masks"][0]
active_shift = (pre_plain[:, live_init] - 3.0 > 0).float().mean().item()
active_plain = (pre_plain > 0).float().mean().item()
print(f"at initialisation, fraction of (sample, live unit) pairs with positive pre-activation: "
      f"{active_shift:.2%} with the shift, {active_plain:.0%} without")
acc_full = control["no shift, 128 units"]["acc"]
acc_narrow = control[f"no shift, {n_live} units"]["acc"]
acc_lr1 = control["shift -3, lr 1"]["acc"]
# the narrower network is closer to the full one than to the shifted one: "less than half of the gap"
assert acc_full - acc_narrow < acc_narrow - r_plain["acc"], (acc_full, acc_narrow, r_plain["acc"])
assert acc_lr1 > r_plain["acc"] + 0.10, (acc_lr1, r_plain["acc"])  # "gains more than ten points"
assert control["shift -3, lr 1"]["dead"][-1] >= r_plain["dead"][-1]  # "although even more die"
assert active_shift < 0.05 and 0.4 < active_plain < 0.6, (active_shift, active_plain)  # "tiny", "about half"
assert r_plain["loss"] > control["no shift, 128 units"]["loss"] + 0.3  # "far higher"

# %%
# But the ReLU receives :math:`\gamma_j\hat x_{ij}+\beta_j`, not
# :math:`\hat x_{ij}`, and that is non-positive for the whole batch as soon
# as :math:`\max_i \gamma_j\hat x_{ij} + \beta_j \le 0`, that is
# :math:`\beta_j \le -\gamma_j \max_i \hat x_{ij}` for :math:`\gamma_j>0`
# (and :math:`\beta_j \le -\gamma_j \min_i \hat x_{ij}` for
# :math:`\gamma_j<0`). Nothing stops gradient descent from moving
# :math:`\gamma_j` and :math:`\beta_j` there, which a learning-rate sweep
# shows. It trains one network per learning rate, with and without batch
# norm, all from the default seed, and reports the model after epoch 10 (no
# validation selection, unlike part (f): it is the model whose units are
# counted): its dead units in both modes and its test accuracy. These are
# single-seed, last-epoch numbers, and they move by several points from
# seed to seed; the statements below, and their checks, are only those that
# held under every base seed we reran the page with.
lrs = [0.1, 1.0, 2.0, 3.0, 4.0, 5.0]
sweep = {(False, 0.1): control["no shift, 128 units"]}  # already trained above
sweep.update({(bnorm, lr): run(bnorm, lr) for bnorm in (False, True) for lr in lrs if (bnorm, lr) not in sweep})
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
# * At the assignment's learning rate, with ReLU units, and up to learning
#   rate 2, no unit dies with or without batch norm: dying, in this sweep,
#   needs a learning rate of 3 or more (or the bias shift above). At 3 units
#   die with batch norm, without it, or both; which network loses more is
#   not settled by one seed.
# * Batch norm does **not** guarantee that no unit dies, contrary to the
#   answer sheet: with batch norm, at learning rate 4 at least a tenth of
#   the 128 units are dead, and at 5 more than half, in inference and in
#   training mode.
# * Batch norm keeps training finite at the learning rates where the plain
#   network diverges (4 and 5), and that is all it does here: those runs
#   reach a lower test accuracy than the same batch-norm network at its
#   best smaller learning rate, and than the best plain network of the
#   sweep. Batch norm does not make the larger learning rates *useful* in
#   this network (why: see the section after part (f)).
for bnorm in (False, True):  # "no unit dies up to lr 2"
    for lr in (0.1, 1.0, 2.0):
        r = sweep[(bnorm, lr)]
        assert not r["diverged"] and r["dead"][-1] == r["dead_train"][-1] == 0, (bnorm, lr)
assert sweep[(False, 3.0)]["dead"][-1] + sweep[(True, 3.0)]["dead"][-1] > 0  # "at 3 units die"
assert all(sweep[(False, lr)]["diverged"] == (lr >= 4) for lr in lrs)  # plain diverges at 4, 5
assert not any(sweep[(True, lr)]["diverged"] for lr in lrs)  # batch norm stays finite
for lr, share in ((4.0, 0.1), (5.0, 0.5)):  # "a tenth" at 4, "more than half" at 5, both modes
    n_dead = min(sweep[(True, lr)]["dead"][-1], sweep[(True, lr)]["dead_train"][-1])
    assert n_dead > share * HIDDEN[0], (lr, n_dead)
best_plain = max(sweep[(False, lr)]["acc"] for lr in lrs if not sweep[(False, lr)]["diverged"])
best_bn_small = max(sweep[(True, lr)]["acc"] for lr in lrs if lr <= 3)
best_bn_large = max(sweep[(True, lr)]["acc"] for lr in (4.0, 5.0))
print(f"best plain accuracy in the sweep {best_plain:.1%}; with batch norm: best at lr <= 3 "
      f"{best_bn_small:.1%}, best at lr 4 or 5 {best_bn_large:.1%}")
assert best_bn_large < min(best_plain, best_bn_small), (best_bn_large, best_plain, best_bn_small)

# %%
# The per-epoch counts of dead units (inference mode), at the default seed.
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
ax0.set_title(f"bias shift -3, lr 0.1, seed {SEED}", fontsize=11)
ax1.set_title(f"large learning rates, seed {SEED} (diverged runs omitted)", fontsize=11)
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
# :math:`\gamma_j`? We look at the learning-rate-4 run with batch norm. The
# dead units' :math:`\gamma_j` collapsed: their median is below 0.3, far
# below its initial value 1 and below the live units' median. Their
# :math:`\beta_j` are moderately negative, in a range that overlaps the live
# units' values. To compare the two on a fair footing we ask how well one
# threshold on :math:`\gamma_j` alone, or on :math:`\beta_j` alone, sorts
# dead from live units, against the *base rate*: the trivial rule that calls
# every unit by the majority class. The threshold on :math:`\gamma_j` removes
# at least 40 % of the trivial rule's errors, and more of them than the
# threshold on :math:`\beta_j` does (printed). With :math:`\gamma_j` near 0
# the normalised signal :math:`\gamma_j\hat x_{ij}` can no longer lift the
# unit above a modest negative :math:`\beta_j`, and once the unit is dead in
# training mode its :math:`\gamma_j` and :math:`\beta_j` receive no gradient
# to get it back. Some steps even push :math:`\gamma_j` through 0: at
# learning rate 5 several units end with :math:`\gamma_j < 0` (printed, for
# both runs), and the condition then reads
# :math:`\beta_j \le -\gamma_j\min_i \hat x_{ij}`. At learning rate 5 the
# dead units' :math:`\gamma_j` have collapsed as well (median below 0.3,
# printed). We do not compare them with the survivors there: in reruns of
# this page under other base seeds as few as 3 of the 128 units survived,
# too few for the comparison.
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
base_rate = max(dead_mask.mean(), 1 - dead_mask.mean())
removed = {name: (a - base_rate) / (1 - base_rate) for name, a in (("gamma", acc_gamma), ("beta", acc_beta))}
print(f"dead units: {dead_mask.sum()}; units with max_i gamma_j x_hat_ij + beta_j <= 0: "
      f"{(top + beta <= 0).sum()}")
print(f"gamma_j: median {np.median(gamma[dead_mask]):.2f} dead, "
      f"{np.median(gamma[~dead_mask]):.2f} alive")
print(f"beta_j of dead units in [{beta[dead_mask].min():.2f}, {beta[dead_mask].max():.2f}], "
      f"of live units in [{beta[~dead_mask].min():.2f}, {beta[~dead_mask].max():.2f}]")
print(f"units classified right: trivial rule (base rate) {base_rate:.0%}, best threshold on gamma_j "
      f"{acc_gamma:.0%}, on beta_j {acc_beta:.0%}")
print(f"share of the trivial rule's errors removed: by gamma_j {removed['gamma']:.0%}, "
      f"by beta_j {removed['beta']:.0%}")
n_negative = {lr: int((sweep[(True, lr)]["model"].layers[1].weight < 0).sum()) for lr in (4.0, 5.0)}
print(f"units with gamma_j < 0: {n_negative[4.0]} at lr 4, {n_negative[5.0]} at lr 5")
assert np.array_equal(top + beta <= 0, dead_mask)  # the condition, unit by unit
assert np.median(gamma[dead_mask]) < min(0.3, np.median(gamma[~dead_mask]))  # collapsed
# beta alone does not separate them: the two ranges overlap
assert beta[~dead_mask].min() < beta[dead_mask].max() and beta[dead_mask].min() < beta[~dead_mask].max()
assert removed["gamma"] >= 0.4 and removed["gamma"] > removed["beta"], removed
assert n_negative[5.0] > 0  # "several units end with gamma_j < 0"

# learning rate 5: the dead units' gamma_j collapsed too; the survivors are too few to compare with
model5, dead5 = sweep[(True, 5.0)]["model"], sweep[(True, 5.0)]["masks"][-1].numpy()
gamma5 = model5.layers[1].weight.detach().numpy()
print(f"lr 5: {dead5.sum()} dead units, gamma_j median {np.median(gamma5[dead5]):.2f}; "
      f"{(~dead5).sum()} alive, gamma_j median {np.median(gamma5[~dead5]):.2f}")
assert np.median(gamma5[dead5]) < 0.3  # "shrinks their gamma_j toward 0" at lr 5 too

fig, ((ax0, zoom0), (ax1, zoom1)) = plt.subplots(2, 2, figsize=(11, 9), layout="constrained")
for ax, x_vals, y_vals in ((ax0, gamma, beta), (zoom0, gamma, beta), (ax1, top, -beta), (zoom1, top, -beta)):
    ax.scatter(x_vals[dead_mask], y_vals[dead_mask], s=30, marker="x", color=colours[3], zorder=2,
               label=f"dead ({dead_mask.sum()})")
    ax.scatter(x_vals[~dead_mask], y_vals[~dead_mask], s=22, facecolors="none", edgecolors=colours[0],
               zorder=3, label=f"alive ({(~dead_mask).sum()})")
# the zooms (right column): the dead cluster and the live units next to it, marked by a box on the left
zoom0_box = ([min(gamma[dead_mask].min(), 0) - 0.05, 0.6],
             [beta[dead_mask].min() - 0.15, beta[dead_mask].max() + 0.15])
zoom1_lim = [min(top[dead_mask].min(), 0) - 0.1,
             max(-beta[dead_mask].min() + 0.1, -beta[dead_mask].max(), top[dead_mask].max() + 0.3)]
zoom1_box = (zoom1_lim, zoom1_lim)
for ax, zoom, (xlim, ylim) in ((ax0, zoom0, zoom0_box), (ax1, zoom1, zoom1_box)):
    zoom.set_xlim(xlim)
    zoom.set_ylim(ylim)
    ax.add_patch(plt.Rectangle((xlim[0], ylim[0]), xlim[1] - xlim[0], ylim[1] - ylim[0],
                               fill=False, edgecolor="0.4", lw=1, zorder=1))
    ax.text(xlim[1], ylim[1], " zoom: right", color="0.4", fontsize=9, va="bottom", ha="left")
zoom0.axvline(0, color="0.5", lw=0.8, zorder=0)
if (gamma[dead_mask] < 0).any():
    k = np.flatnonzero(dead_mask & (gamma < 0))[0]
    zoom0.annotate(r"dead, $\gamma_j<0$", (gamma[k], beta[k]), xytext=(10, -18), textcoords="offset points",
                   fontsize=10, arrowprops=dict(arrowstyle="-", color="0.3"))
ax0.axvline(1.0, color="0.5", ls=":", lw=1, zorder=0)
ax0.text(1.02, 0.02, r"initial $\gamma_j = 1$", transform=ax0.get_xaxis_transform(), fontsize=10)
for ax in (ax0, zoom0):
    ax.set_xlabel(r"scale $\gamma_j$", fontsize=11)
    ax.set_ylabel(r"shift $\beta_j$", fontsize=11)
ax0.set_title(r"dead units: $\gamma_j$ near 0, $\beta_j$ like live units'", fontsize=11)
zoom0.set_title(r"zoom on the dead units ($\gamma_j$, $\beta_j$)", fontsize=11)
lim = [min(top.min(), -beta.max()) - 0.3, max(top.max(), -beta.min()) + 0.3]
for ax in (ax1, zoom1):
    ax.plot(lim, lim, color="0.4", ls="--", lw=1, label="dead above this line", zorder=0)
    ax.set_xlabel(r"largest scaled input $\max_i \gamma_j \hat x_{ij}$", fontsize=11)
    ax.set_ylabel(r"$-\beta_j$", fontsize=11)
ax1.set_xlim(top.min() - 0.3, top.max() + 0.3)
ax1.set_ylim(-beta.max() - 0.3, -beta.min() + 0.3)
ax1.set_title(r"dead exactly when $\max_i \gamma_j \hat x_{ij} + \beta_j \leq 0$", fontsize=11)
zoom1.set_title("zoom on the dead units (same axes)", fontsize=11)
for ax in (ax0, ax1):  # the zooms use the same markers; a legend there would cover points
    ax.legend(fontsize=10, loc="best")
fig.suptitle(f"With batch norm at lr 4 (seed {SEED}), units die because their scale "
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
# conditions. The ten seeds of each network train together, one batched
# matrix product per layer (:mod:`nntheory.models.mlp_ensemble`, which
# trains each member as :func:`nntheory.models.mlp.train_sgd` would). For
# the default seed the training-loss curves of the two networks stay close
# (the printed largest gap between their epoch means).
#
# The answer sheet's explanation that batch norm leaves fewer dead units
# cannot apply to this network: ELU units do not die. In exact arithmetic
# :math:`\text{ELU}'(x) = \alpha e^x > 0` for every :math:`x \le 0`. These
# models compute in float32, where :math:`\alpha e^x` (:math:`\alpha = 1`)
# rounds to exactly 0 once it falls below half the smallest positive float32,
# :math:`2^{-150}`, that is below :math:`x = -150\ln 2 \approx -103.97`
# (at :math:`x = -100` it is still :math:`3.8\times10^{-44}`). The
# pre-activations of both networks stay far above that on the whole training
# set (the most negative one is printed), so every ELU unit keeps a non-zero
# derivative on every sample.
plain_model = mlp.MLP(*shape, generator=torch.Generator().manual_seed(SEED), activation="elu")
plain_history = mlp.train_sgd(plain_model, X_train, y_train, rng=np.random.default_rng(SEED),
                              **train_settings)
acc = {"without BN": mlp.accuracy(plain_model, X_test, y_test),
       "with BN": mlp.accuracy(bn_model, X_test, y_test)}
print(f"seed {SEED} test accuracy: without BN {acc['without BN']:.2%}, with BN {acc['with BN']:.2%}")
seeds = [SEED + k for k in range(1, 11)]
seed_acc = {}
for name, bnorm in (("without BN", False), ("with BN", True)):
    ensemble = mlp_ensemble.MLPEnsemble.from_models(
        [mlp.MLP(*shape, generator=torch.Generator().manual_seed(seed), activation="elu", batch_norm=bnorm)
         for seed in seeds])
    mlp_ensemble.train_sgd(ensemble, X_train, y_train, rngs=[np.random.default_rng(seed) for seed in seeds],
                           **train_settings)
    vals = mlp_ensemble.accuracy(ensemble, X_test, y_test)
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
# ELU in float32: the derivative underflows to 0 below -150 ln 2, and nothing here comes close
x_elu = torch.tensor([-100.0, -103.9, -104.0], requires_grad=True)  # float32
torch.nn.functional.elu(x_elu).sum().backward()
with torch.no_grad():
    bn_model.eval()
    lowest = min(plain_model.layers[0](X_train).min().item(),
                 bn_model.layers[1](bn_model.layers[0](X_train)).min().item())
    bn_model.train()
print(f"float32 ELU'(x) at x = -100, -103.9, -104: {x_elu.grad.tolist()}; "
      f"-150 ln 2 = {-150 * np.log(2):.3f}")
print(f"most negative ELU input over the training set, both networks: {lowest:.1f}")
assert x_elu.grad[0] > 0 and x_elu.grad[1] > 0 and x_elu.grad[2] == 0  # the float32 threshold
assert abs(x_elu.grad[0].item() - 3.8e-44) < 0.05e-44  # "still 3.8e-44"
assert round(-150 * np.log(2), 2) == -103.97
assert lowest > -20, lowest  # "far above" -103.97: no ELU derivative is 0 here

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
# Why batch norm changes little here, and what it did on this page
# -----------------------------------------------------------------
# Batch normalisation re-centres and re-scales each pre-activation over the
# batch. *Why* that helps deep networks is still debated. Its authors
# (Ioffe & Szegedy, 2015) motivated it by *internal covariate shift*, the
# change in each layer's input distribution as the layers below it train;
# Goodfellow, Bengio & Courville (*Deep Learning*, 2016, §8.7.1) present it
# in the same spirit, as a reparametrisation that spares each layer from
# having to adapt to every change in the layers below it. Santurkar et al.
# (2018, "How does batch normalization help optimization?") trained networks
# with batch norm and deliberately injected noise that restores such a
# shift, found that they still trained well, and attribute the benefit to a
# smoother loss landscape instead.
#
# One effect is not in dispute: *scale invariance*. In training mode the output of batch norm does not change
# when the weights :math:`w_j` (and bias) of a unit before it are multiplied
# by any :math:`c > 0`, since the batch mean and standard deviation scale
# with them (Ioffe & Szegedy, §3.3). Differentiating
# :math:`L(c\,w_j) = L(w_j)` gives two consequences: the gradient
# :math:`\partial L/\partial w_j` is orthogonal to :math:`w_j` (at
# :math:`c = 1`), and it scales as :math:`1/\|w_j\|`. An SGD step therefore
# lengthens :math:`w_j` (:math:`\|w_j\|^2` grows by
# :math:`\text{lr}^2\|\partial L/\partial w_j\|^2`) and turns its direction by an
# angle of about :math:`\text{lr}\,\|\partial L/\partial w_j\|/\|w_j\|`,
# proportional to :math:`\text{lr}/\|w_j\|^2`: an effective learning rate
# that falls as the weights grow. (:math:`\epsilon` breaks the invariance
# slightly; we check it to that accuracy.) The parameters after the
# normalisation, :math:`\gamma_j`, :math:`\beta_j` and the output layer, have
# no such invariance and take the full step.
#
# In the assignment's network there is little for batch norm to do:
#
# * there is one hidden layer, so one batch-norm layer, fed directly by a
#   linear map of the inputs: no stack of layers below it whose training
#   could shift its inputs;
# * the inputs are standardised and the first layer is Kaiming-initialised
#   with gain 1, so at initialisation every pre-activation already has a
#   mean within a tenth of its own standard deviation of 0, and a standard
#   deviation of order 1 (between 1/3 and 3) over the training set (printed
#   below): batch norm's first action is close to a per-unit rescaling by a
#   factor of order 1;
# * at learning rate 0.1 plain SGD is stable (no divergence, a falling
#   loss).
#
# Nor did batch norm make larger learning rates *useful* here. In the sweep
# its only effect at learning rates 4 and 5 was to avoid the NaN: those runs
# ended below the same network's best at smaller rates, with many dead
# units. Scale invariance says why it did no more. The first layer's rows
# did grow at learning rate 4, and barely at 0.1 (the printed median growth),
# which lowers their effective learning rate; but :math:`\gamma_j` and
# :math:`\beta_j` are stepped directly at the full rate, and at learning rate
# 4 the :math:`\gamma_j`, all 1 at the start, end spread over a wide range
# that reaches below 0.3, the collapse that killed the units (printed, with
# the narrow range at 0.1). Where batch norm did help on this page is the
# shifted bias: it turned a network with dozens of dead units into one with
# none.
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

# scale invariance, in float64 on one training batch of the batch-norm network of (c)
inv_model = mlp.MLP(*shape, generator=torch.Generator().manual_seed(SEED), activation="elu",
                    batch_norm=True, dtype=torch.float64)
xb, yb = X_train[:BATCH_SIZE].double(), y_train[:BATCH_SIZE]
W = inv_model.layers[0].weight


def first_layer_grad():
    inv_model.zero_grad()
    torch.nn.functional.cross_entropy(inv_model(xb), yb).backward()
    return W.grad.clone()  # (128, n_features)


g1 = first_layer_grad()
with torch.no_grad():
    W.mul_(2.0)
g2 = first_layer_grad()
with torch.no_grad():
    W.div_(2.0)
cosine = ((W * g1).sum(dim=1).abs() / (W.norm(dim=1) * g1.norm(dim=1))).max().item()
halving = ((g2 - g1 / 2).norm() / g1.norm()).item()
print(f"largest |cos(w_j, dL/dw_j)| over the 128 rows: {cosine:.1e}; "
      f"weights doubled: |g(2W) - g(W)/2| / |g(W)| = {halving:.1e}")
# orthogonal, and scaling as 1/|w|, up to the eps of batch norm (relative size ~ eps / variance ~ 1e-5)
assert cosine < 1e-3 and halving < 1e-3, (cosine, halving)
growth = {}
for lr in (0.1, 4.0):
    start = mlp.MLP(*shape, generator=torch.Generator().manual_seed(SEED), activation="relu", batch_norm=True)
    ratio = sweep[(True, lr)]["model"].layers[0].weight.norm(dim=1) / start.layers[0].weight.norm(dim=1)
    growth[lr] = ratio.median().item()
    g = sweep[(True, lr)]["model"].layers[1].weight
    print(f"batch norm, lr {lr:g}: median growth of the first layer's row norms {growth[lr]:.2f}; "
          f"gamma_j in [{g.min().item():.2f}, {g.max().item():.2f}] (all 1 at the start)")
assert growth[4.0] > 1.15 and growth[0.1] < 1.05, growth  # "did grow at lr 4, and barely at 0.1"
g4, g01 = sweep[(True, 4.0)]["model"].layers[1].weight, sweep[(True, 0.1)]["model"].layers[1].weight
assert g4.min() < 0.3 and g4.max() - g4.min() > 5 * (g01.max() - g01.min())  # "a wide range ... narrow at 0.1"

# %%
# What to notice
# --------------
# * (a) The gradients of :math:`\gamma` and :math:`\beta` are sums over the
#   batch (the answer sheet drops the sum in both), and the input gradient
#   has two extra terms for the paths through :math:`\mu_j` and
#   :math:`\sigma_j^2`. The hand-written backward pass matches
#   ``torch.nn.BatchNorm1d`` to rounding error in both modes, and so do the
#   running statistics (torch's momentum convention, unbiased variance in
#   the running estimate); ignoring the statistics gives a visibly wrong
#   gradient in training mode (printed above).
# * (b) 800 weights + 40 biases + 40 :math:`\gamma` + 40 :math:`\beta` = 920
#   trainable parameters, counted on real torch and numpy modules; the 80
#   running statistics are buffers, and the 40 linear biases are redundant in
#   front of batch norm (their gradient is zero up to rounding).
# * (c) With batch statistics an output depends on the rest of the batch, and
#   a batch of one maps every input to :math:`\beta`; inference mode uses the
#   running averages instead, which estimate the training-set statistics
#   (printed comparison) and make each prediction a fixed function of its
#   own input.
# * (d) A unit is dead when its pre-activation (the input of its ReLU) is
#   non-positive on all the data; it then gets exactly zero gradient, and
#   without batch norm it never recovers.
# * (e) Batch norm cures dying caused by a shifted bias, but does not
#   guarantee that no unit dies: with it, at learning rate 4 at least a tenth
#   of the units die and at 5 more than half, because training shrinks
#   their :math:`\gamma_j` toward 0 (or past it). At the assignment's
#   learning rate, with ReLU units, no unit dies with or without it. The
#   shifted network's low accuracy comes mostly from its live units
#   learning slowly, not from the units it lost.
# * (f) In the assignment's setting batch norm moves the test accuracy by a
#   few points at most (the printed three-standard-error interval over ten
#   seeds lies within five points of zero), for the reasons above; a single
#   pair of runs (like the answer sheet's 50.62 % against 49.85 %) cannot
#   decide the sign of such a difference. ELU units cannot die here. At
#   large learning rates batch norm only avoids the NaN; it does not make
#   them useful.
