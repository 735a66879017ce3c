"""
Gradients of the building blocks, derived and checked
=====================================================

Question 1 of assignment 1 of the University of Amsterdam's Deep Learning 1
course (ID ``uva-dl1-a1/q1``) asks for the backward pass of every module of a
small network: the gradients of a linear layer with respect to its weights,
its bias and its input (a-c), of an elementwise activation (d), and of a
softmax followed by the cross-entropy loss, whose combination collapses to
:math:`(Y - T)/S` (e). We derive each formula in index notation, implement
it in :mod:`nntheory.numpy_nn`, and compare every gradient with
``torch.autograd`` in float64 over many random shapes: the largest
difference is at the level of floating-point rounding.
"""

# %%
# Conventions
# -----------
# A batch holds :math:`S` samples as rows. A module maps its input
# :math:`X` to its output :math:`Y`; the loss :math:`L` is a scalar. The
# backward pass receives the *upstream gradient*
# :math:`\bar Y = \partial L/\partial Y` (same shape as :math:`Y`) and
# returns :math:`\bar X = \partial L/\partial X`. Everything follows from
# the chain rule summed over every entry of :math:`Y`:
#
# .. math::
#
#    \frac{\partial L}{\partial \theta} = \sum_{i,j} \bar Y_{ij}\,
#    \frac{\partial Y_{ij}}{\partial \theta}.
#
# All random numbers come from one generator created here. Every array is
# float64, and so is every torch tensor made from one, so the comparison
# measures our formulas, not float32 rounding.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import numpy_nn

rng = np.random.default_rng(42)

# %%
# (a)-(c) The linear layer
# ------------------------
# The layer computes :math:`Y = XW^\top + \mathbf{1}b^\top` with
# :math:`X \in \mathbb{R}^{S\times M}`, :math:`W \in \mathbb{R}^{N\times M}`
# (torch's layout), :math:`b \in \mathbb{R}^N`, so
# :math:`Y_{ij} = \sum_k X_{ik} W_{jk} + b_j`. Differentiating one entry,
# :math:`\partial Y_{ij}/\partial W_{mn} = \delta_{jm} X_{in}`, and
#
# .. math::
#
#    \frac{\partial L}{\partial W_{mn}}
#    = \sum_{i,j} \bar Y_{ij}\, \delta_{jm} X_{in}
#    = \sum_i \bar Y_{im} X_{in}
#    \quad\Longrightarrow\quad
#    \frac{\partial L}{\partial W} = \bar Y^\top X \in \mathbb{R}^{N\times M}.
#
# (b) The bias gradient: :math:`\partial Y_{ij}/\partial b_n = \delta_{jn}`, so
# :math:`\partial L/\partial b_n = \sum_i \bar Y_{in}`, the column sums,
# :math:`\partial L/\partial b = \mathbf{1}^\top \bar Y`. Every sample
# contributes, because the same bias was added to every row.
#
# (c) The input gradient: :math:`\partial Y_{ij}/\partial X_{mn} = \delta_{im} W_{jn}`,
# so :math:`\partial L/\partial X_{mn} = \sum_j \bar Y_{mj} W_{jn}`, that is
# :math:`\partial L/\partial X = \bar Y W \in \mathbb{R}^{S\times M}`. Sample
# :math:`m`'s input gradient depends only on its own row of :math:`\bar Y`.
#
# We check all three against autograd for one layer, with a random upstream
# gradient (``backward`` of :math:`\sum_{ij} \bar Y_{ij} Y_{ij}` seeds autograd with
# exactly :math:`\bar Y`).
S, M, N = 5, 4, 3
layer = numpy_nn.Linear(M, N, rng=rng)
layer.params["bias"] = rng.standard_normal(N)  # non-zero, to test it too
X = rng.standard_normal((S, M))
Y = layer.forward(X)
Y_bar = rng.standard_normal(Y.shape)
X_bar = layer.backward(Y_bar)

X_t = torch.tensor(X, requires_grad=True)
W_t = torch.tensor(layer.params["weight"], requires_grad=True)
b_t = torch.tensor(layer.params["bias"], requires_grad=True)
(torch.nn.functional.linear(X_t, W_t, b_t) * torch.from_numpy(Y_bar)).sum().backward()

for name, ours, ref in [
    ("dL/dW = Ybar^T X", layer.grads["weight"], W_t.grad),
    ("dL/db = 1^T Ybar", layer.grads["bias"], b_t.grad),
    ("dL/dX = Ybar W", X_bar, X_t.grad),
]:
    diff = np.abs(ours - ref.numpy()).max()
    print(f"{name:18s} shape {str(ours.shape):8s} max |numpy - autograd| = {diff:.1e}")

# %%
# (d) Elementwise activation
# --------------------------
# For :math:`Y_{ij} = h(X_{ij})` only the entry in the same place depends on
# :math:`X_{mn}`: :math:`\partial Y_{ij}/\partial X_{mn} = \delta_{im}\delta_{jn} h'(X_{mn})`.
# The double sum keeps a single term,
#
# .. math::
#
#    \frac{\partial L}{\partial X} = \bar Y \circ h'(X),
#
# a Hadamard (elementwise) product, not a matrix product. For ReLU
# :math:`h'(x) = \mathbb{1}[x > 0]`; for ELU, :math:`h(x) = x` if :math:`x>0`
# and :math:`\alpha(e^x - 1)` otherwise, so :math:`h'(x) = 1` or :math:`\alpha e^x`.
X = 2 * rng.standard_normal((S, M))
Y_bar = rng.standard_normal((S, M))
for module, torch_fn in [(numpy_nn.ReLU(), torch.relu), (numpy_nn.ELU(), torch.nn.functional.elu)]:
    module.forward(X)
    X_t = torch.tensor(X, requires_grad=True)
    (torch_fn(X_t) * torch.from_numpy(Y_bar)).sum().backward()
    diff = np.abs(module.backward(Y_bar) - X_t.grad.numpy()).max()
    print(f"{type(module).__name__:4s}: max |numpy - autograd| of dL/dX = {diff:.1e}")

# %%
# (e) Softmax followed by cross-entropy
# -------------------------------------
# The softmax maps logits :math:`Z` row by row to probabilities
# :math:`Y_{ij} = e^{Z_{ij}}/\sum_k e^{Z_{ik}}`. Its Jacobian within a row is
# :math:`\partial Y_{ij}/\partial Z_{ik} = Y_{ij}(\delta_{jk} - Y_{ik})`, and rows
# do not interact, so
#
# .. math::
#
#    \frac{\partial L}{\partial Z_{ik}} = \sum_j \bar Y_{ij} Y_{ij}(\delta_{jk} - Y_{ik})
#    = Y_{ik}\Big(\bar Y_{ik} - \sum_j \bar Y_{ij} Y_{ij}\Big),
#    \qquad
#    \frac{\partial L}{\partial Z} = Y \circ \big(\bar Y - (\bar Y \circ Y)\mathbf{1}\mathbf{1}^\top\big).
#
# The mean cross-entropy with targets :math:`T` (one-hot rows, each summing
# to one) is :math:`L = -\frac1S\sum_{ik} T_{ik}\log Y_{ik}`, whose gradient is
#
# .. math::
#
#    \bar Y = \frac{\partial L}{\partial Y} = -\frac1S\, T \oslash Y
#
# (elementwise division: the :math:`1/Y` comes from the logarithm).
# Substituting, :math:`Y \circ \bar Y = -T/S`, and
# :math:`(\bar Y \circ Y)\mathbf{1} = -\frac1S T\mathbf{1} = -\frac1S\mathbf{1}`
# because each row of :math:`T` sums to one. Hence
#
# .. math::
#
#    \frac{\partial L}{\partial Z} = -\frac{T}{S} + \frac{1}{S}\, Y \circ \mathbf{1}\mathbf{1}^\top
#    = \frac{1}{S}\,(Y - T),
#    \qquad \alpha = \frac1S,\quad M = Y - T.
#
# The answer sheet reaches the same final formula, but its intermediate
# gradient :math:`\partial L/\partial Y = -\frac1S T` drops the division by
# :math:`Y`, and a later step replaces :math:`Y \circ T` by :math:`T`; the
# two slips cancel. The correct intermediate is :math:`-\frac1S T \oslash Y`.
#
# We check three routes against ``torch.nn.functional.cross_entropy`` (which
# takes logits): the chain Softmax then CrossEntropy, the fused
# :class:`~nntheory.numpy_nn.SoftmaxCrossEntropy`, and the formula
# :math:`(Y-T)/S` written out.
K = 6
Z = 3 * rng.standard_normal((S, K))
labels = rng.integers(0, K, S)
T = numpy_nn.one_hot(labels, K)

softmax, ce, fused = numpy_nn.Softmax(), numpy_nn.CrossEntropy(), numpy_nn.SoftmaxCrossEntropy()
loss_chain = ce.forward(softmax.forward(Z), labels)
dZ_chain = softmax.backward(ce.backward())
loss_fused = fused.forward(Z, labels)
dZ_fused = fused.backward()
Y = softmax.forward(Z)

Z_t = torch.tensor(Z, requires_grad=True)
loss_t = torch.nn.functional.cross_entropy(Z_t, torch.from_numpy(labels))
loss_t.backward()
print(f"loss: chain {loss_chain:.15f}, fused {loss_fused:.15f}, torch {loss_t.item():.15f}")
routes = {"Softmax -> CrossEntropy": dZ_chain, "SoftmaxCrossEntropy": dZ_fused, "(Y - T)/S": (Y - T) / S}
for name, ours in routes.items():
    print(f"{name:24s} max |dL/dZ - autograd| = {np.abs(ours - Z_t.grad.numpy()).max():.1e}")
# the intermediate gradient: -T/(S Y), and what the sheet wrote, -T/S
Y_t = torch.tensor(Y, requires_grad=True)
(-(torch.from_numpy(T) * torch.log(Y_t)).sum() / S).backward()
print(f"dL/dY: max |-T/(S Y) - autograd| = {np.abs(-T / Y / S - Y_t.grad.numpy()).max():.1e}, "
      f"max |-T/S - autograd| = {np.abs(-T / S - Y_t.grad.numpy()).max():.2f}")

# %%
# Many random shapes
# ------------------
# One shape could hide a transposition that happens to fit (a square
# matrix, a batch of one). We repeat every check on 40 random shapes with
# batch sizes from 1 to 64 and widths from 1 to 50, and record the largest
# absolute difference between our backward pass and autograd for each
# gradient.


def max_differences(S, M, N, K):
    """Max |numpy - autograd| for every gradient of every module, at one shape."""
    out = {}
    lin = numpy_nn.Linear(M, N, rng=rng)
    lin.params["bias"] = rng.standard_normal(N)
    X = rng.standard_normal((S, M))
    Y_bar = rng.standard_normal((S, N))
    lin.forward(X)
    X_bar = lin.backward(Y_bar)
    X_t, W_t, b_t = (torch.tensor(a, requires_grad=True)
                     for a in (X, lin.params["weight"], lin.params["bias"]))
    (torch.nn.functional.linear(X_t, W_t, b_t) * torch.from_numpy(Y_bar)).sum().backward()
    out["Linear dW"] = np.abs(lin.grads["weight"] - W_t.grad.numpy()).max()
    out["Linear db"] = np.abs(lin.grads["bias"] - b_t.grad.numpy()).max()
    out["Linear dX"] = np.abs(X_bar - X_t.grad.numpy()).max()
    for module, fn in [(numpy_nn.ReLU(), torch.relu), (numpy_nn.ELU(), torch.nn.functional.elu)]:
        module.forward(X)
        X_t = torch.tensor(X, requires_grad=True)
        (fn(X_t) * torch.from_numpy(X)).sum().backward()  # upstream gradient: X itself
        out[f"{type(module).__name__} dX"] = np.abs(module.backward(X) - X_t.grad.numpy()).max()
    Z = 3 * rng.standard_normal((S, K))
    lab = rng.integers(0, K, S)
    sce = numpy_nn.SoftmaxCrossEntropy()
    sce.forward(Z, lab)
    Z_t = torch.tensor(Z, requires_grad=True)
    torch.nn.functional.cross_entropy(Z_t, torch.from_numpy(lab)).backward()
    out["Softmax+CE dZ"] = np.abs(sce.backward() - Z_t.grad.numpy()).max()
    return out


records = []
for _ in range(40):
    S_, M_, N_ = int(rng.integers(1, 65)), *rng.integers(1, 51, size=2)  # batch, widths
    records.append(max_differences(S_, M_, N_, K=int(rng.integers(2, 51))))
names = list(records[0])
diffs = np.array([[r[n] for n in names] for r in records])  # (n_shapes, n_gradients)
print(f"{'gradient':14s} {'max over 40 shapes':>20s}")
for name, column in zip(names, diffs.T):
    print(f"{name:14s} {column.max():20.1e}")
print(f"largest difference overall: {diffs.max():.1e} "
      f"(float64 machine epsilon {np.finfo(float).eps:.1e})")

# %%
# The differences are rounding errors. Exact zeros (ReLU's mask, sums done
# in the same order) cannot be drawn on a log axis, so the figure puts them
# at :math:`10^{-18}`.
fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
colours = plt.get_cmap("tab10").colors
jitter = rng.uniform(-0.18, 0.18, size=diffs.shape[0])
for j, name in enumerate(names):
    ax.scatter(j + jitter, np.maximum(diffs[:, j], 1e-18), s=18, color=colours[j], alpha=0.8)
ax.axhline(np.finfo(float).eps, color="0.3", ls="--", lw=1)
ax.text(2.6, np.finfo(float).eps * 1.4, "float64 machine epsilon",
        ha="center", va="bottom", fontsize=10, color="0.3")
ax.set_yscale("log")
ax.set_ylim(3e-19, 1e-12)
ax.set_xticks(range(len(names)), names, rotation=20, fontsize=11)
ax.set_ylabel("max |numpy - autograd|", fontsize=11)
ax.set_title("Hand-written backward passes match autograd to rounding error "
             "(40 random shapes)", fontsize=12)
plt.show()

# %%
# Why the fused module: the log-sum-exp trick
# -------------------------------------------
# Computed literally, :math:`\log(e^{Z_{ik}}/\sum_j e^{Z_{ij}})` overflows once a
# logit exceeds about 709 (:math:`e^{710}` is infinite in float64) and
# underflows to :math:`\log 0 = -\infty` when the target's probability is
# below about :math:`10^{-308}`. Subtracting the row maximum :math:`m_i`
# first changes nothing mathematically,
# :math:`\log Y_{ik} = Z_{ik} - m_i - \log\sum_j e^{Z_{ij}-m_i}`, but every
# exponent is then :math:`\le 0` and the sum is at least 1. We scale a fixed set
# of logits by a growing factor and compare the naive loss, the stable one, and
# torch's.
Z0 = rng.standard_normal((S, K))
scales = np.logspace(0, 4, 30)
naive, stable, reference = [], [], []
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    for c in scales:
        Zc = c * Z0
        P = np.exp(Zc) / np.exp(Zc).sum(axis=1, keepdims=True)
        naive.append(-np.log(P[np.arange(S), labels]).mean())
        stable.append(numpy_nn.SoftmaxCrossEntropy().forward(Zc, labels))
        loss_t = torch.nn.functional.cross_entropy(torch.from_numpy(Zc), torch.from_numpy(labels))
        reference.append(loss_t.item())
naive, stable, reference = map(np.array, (naive, stable, reference))
first_bad = scales[~np.isfinite(naive)].min()
print(f"naive loss is first non-finite at scale {first_bad:.0f}; "
      f"stable loss stays finite: {np.isfinite(stable).all()}")
print(f"max |stable - torch| / torch = {np.max(np.abs(stable - reference) / reference):.1e}")

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.loglog(scales, reference, color="0.6", lw=5, label="torch cross_entropy")
ax.loglog(scales, stable, color=colours[0], lw=2, label="SoftmaxCrossEntropy (log-sum-exp)")
finite = np.isfinite(naive)
ax.loglog(scales[finite], naive[finite], "o", color=colours[1], ms=4, label="naive log(softmax)")
ax.axvline(first_bad, color=colours[1], ls=":", lw=1.5)
ax.text(first_bad * 1.1, reference.min() * 1.5, "naive: inf / nan\nfrom here on",
        color=colours[1], fontsize=10)
ax.set_xlabel("logit scale factor c  (logits c Z)", fontsize=11)
ax.set_ylabel("mean cross-entropy L", fontsize=11)
ax.set_title("The naive softmax loss breaks down; log-sum-exp does not", fontsize=12)
ax.legend(fontsize=10)
plt.show()

# %%
# What to notice
# --------------
# * (a-c) For :math:`Y = XW^\top + \mathbf 1 b^\top`:
#   :math:`\partial L/\partial W = \bar Y^\top X`,
#   :math:`\partial L/\partial b = \mathbf 1^\top \bar Y`,
#   :math:`\partial L/\partial X = \bar Y W`.
# * (d) For an elementwise activation, :math:`\partial L/\partial X = \bar Y \circ h'(X)`.
# * (e) Softmax followed by mean cross-entropy gives
#   :math:`\partial L/\partial Z = \frac1S (Y - T)`, so :math:`\alpha = 1/S` and
#   :math:`M = Y - T`; on the way, :math:`\partial L/\partial Y = -\frac1S T\oslash Y`,
#   not :math:`-\frac1S T` as the answer sheet writes (that expression is far
#   from autograd's gradient, see the printed difference).
# * Over 40 random shapes every hand-written gradient agrees with
#   ``torch.autograd`` to better than :math:`10^{-13}` (see the printed table):
#   rounding error of sums over up to 64 samples, so the formulas and their
#   implementation are right.
# * Fusing softmax and cross-entropy is not only shorter to differentiate; with
#   the log-sum-exp trick the loss stays finite where the literal formula
#   overflows.

# sphinx_gallery_thumbnail_number = 1
