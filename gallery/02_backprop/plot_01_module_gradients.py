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
``torch.autograd`` in float64 over many random shapes: every difference
stays below the standard bound on the rounding error of the sums involved.
We also check the answer sheet's formulas: (a)-(d) are right, and its
derivation of (e), followed line by line, reaches the right result through
three slips and a misread product, which we locate numerically.
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
#
# **What "equal to rounding" means here.** Two correct programs that add the
# same :math:`n` products in different orders can differ; the classical bound
# (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1) on the error
# of one computed sum is :math:`\gamma_n\sum|\text{terms}|` with
# :math:`\gamma_n \approx n u` and :math:`u = \varepsilon/2` the unit
# roundoff, so two programs differ by at most about
# :math:`n\,\varepsilon\sum|\text{terms}|` entrywise. Each check below divides
# the difference by that bound, evaluated on absolute values, and asserts
# the ratio is at most 1. A wrong formula (a missing transpose, a
# dropped term) misses by an amount of the size of the gradient itself, as
# the answer sheet's intermediate gradient does in (e) below.
import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import numpy_nn
from nntheory.seeding import base_seed

SEED = base_seed(42)
rng = np.random.default_rng(SEED)
EPS = np.finfo(np.float64).eps


def rounding_ratio(ours, reference, bound):
    """max |ours - reference| / bound, entrywise: at most 1 means "equal to rounding"."""
    return float(np.max(np.abs(ours - np.asarray(reference)) / bound))

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

W_abs = np.abs(layer.params["weight"])
for name, ours, ref, bound in [  # bound: n eps sum|terms|, n = length of the sum
    ("dL/dW = Ybar^T X", layer.grads["weight"], W_t.grad, S * EPS * np.abs(Y_bar).T @ np.abs(X)),
    ("dL/db = 1^T Ybar", layer.grads["bias"], b_t.grad, S * EPS * np.abs(Y_bar).sum(axis=0)),
    ("dL/dX = Ybar W", X_bar, X_t.grad, N * EPS * np.abs(Y_bar) @ W_abs),
]:
    diff = np.abs(ours - ref.numpy()).max()
    ratio = rounding_ratio(ours, ref.numpy(), bound)
    print(f"{name:18s} shape {str(ours.shape):8s} max |numpy - autograd| = {diff:.1e}, "
          f"{ratio:.2f} of the rounding bound")
    assert ratio <= 1, (name, ratio)  # "equal to rounding"

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
#
# Multiplying by ReLU's 0/1 mask is exact in floating point, so there the two
# programs must agree bit for bit; ELU's :math:`\alpha e^x` takes a few
# roundings, each at most :math:`u\,|\bar Y_{ij}|` since :math:`|h'| \le 1`
# for :math:`\alpha = 1`: we allow :math:`4\varepsilon|\bar Y_{ij}|`.
X = 2 * rng.standard_normal((S, M))
Y_bar = rng.standard_normal((S, M))
for module, torch_fn in [(numpy_nn.ReLU(), torch.relu), (numpy_nn.ELU(), torch.nn.functional.elu)]:
    module.forward(X)
    X_t = torch.tensor(X, requires_grad=True)
    (torch_fn(X_t) * torch.from_numpy(Y_bar)).sum().backward()
    ours = module.backward(Y_bar)
    diff = np.abs(ours - X_t.grad.numpy()).max()
    print(f"{type(module).__name__:4s}: max |numpy - autograd| of dL/dX = {diff:.1e}")
    if isinstance(module, numpy_nn.ReLU):
        assert diff == 0, diff  # the mask product is exact
    else:
        assert rounding_ratio(ours, X_t.grad.numpy(), 4 * EPS * np.abs(Y_bar)) <= 1, diff

# %%
# The answer sheet's (a)-(d)
# --------------------------
# The sheet uses the same conventions (:math:`Y = XW^\top + B`, rows are
# samples), and its (a), (c) and (d) are right, derivations included:
# :math:`\partial L/\partial W = (\partial L/\partial Y)^\top X`,
# :math:`\partial L/\partial X = (\partial L/\partial Y)\,W` and
# :math:`\partial L/\partial X = \partial L/\partial Y \circ h'(X)`. Its (b)
# reaches the right result, the column sums of :math:`\partial L/\partial Y`,
# with two blemishes of notation: it indexes the vector
# :math:`\partial L/\partial b` with two indices, :math:`[\cdot]_{mn}`,
# although only :math:`n` occurs in the derivation, and it writes the
# result as :math:`\mathbf 1\,\partial L/\partial Y`, where :math:`\mathbf 1`
# must be a *row* of :math:`S` ones (our :math:`\mathbf 1^\top`) for the
# product to be defined. We evaluate the four formulas as the sheet writes
# them, on a new random layer, against autograd.
sheet_rng = np.random.default_rng(SEED + 2)  # own generator: the draws below stay as they were
lin_s = numpy_nn.Linear(M, N, rng=sheet_rng)
X_s, Yb_s = sheet_rng.standard_normal((S, M)), sheet_rng.standard_normal((S, N))
W_s = lin_s.params["weight"]
X_t = torch.tensor(X_s, requires_grad=True)
W_t = torch.tensor(W_s, requires_grad=True)
b_t = torch.zeros(N, dtype=torch.float64, requires_grad=True)
(torch.nn.functional.linear(X_t, W_t, b_t) * torch.from_numpy(Yb_s)).sum().backward()
Yb_d = sheet_rng.standard_normal((S, M))  # an upstream gradient for (d), of the activation's shape
Xe_t = torch.tensor(X_s, requires_grad=True)
(torch.nn.functional.elu(Xe_t) * torch.from_numpy(Yb_d)).sum().backward()
h_prime = np.where(X_s > 0, 1.0, np.exp(np.minimum(X_s, 0)))  # ELU, alpha = 1
sheet_formulas = {
    "(a) (dL/dY)^T X": (Yb_s.T @ X_s, W_t.grad, S * EPS * np.abs(Yb_s).T @ np.abs(X_s)),
    "(b) 1 dL/dY, 1 a row": (np.ones((1, S)) @ Yb_s, b_t.grad[None, :], S * EPS * np.abs(Yb_s).sum(axis=0)),
    "(c) (dL/dY) W": (Yb_s @ W_s, X_t.grad, N * EPS * np.abs(Yb_s) @ np.abs(W_s)),
    "(d) dL/dY o h'(X)": (Yb_d * h_prime, Xe_t.grad, 4 * EPS * np.abs(Yb_d)),
}
for name, (formula, ref, bound) in sheet_formulas.items():
    ratio = rounding_ratio(formula, ref.numpy(), bound)
    print(f"sheet {name:22s} max |formula - autograd| / rounding bound = {ratio:.2f}")
    assert ratio <= 1, (name, ratio)  # the sheet's (a)-(d) results are right

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
#    \frac{\partial L}{\partial Z} = Y \circ \big(\bar Y - (\bar Y \circ Y)\mathbf{1}\mathbf{1}^\top\big),
#
# where :math:`A\mathbf 1\mathbf 1^\top` (with :math:`\mathbf 1` the vector of
# :math:`K` ones) repeats each row sum of :math:`A` across its row. The mean
# cross-entropy with targets :math:`T` (one-hot rows, each summing to one) is
# :math:`L = -\frac1S\sum_{ik} T_{ik}\log Y_{ik}`, whose gradient is
#
# .. math::
#
#    \bar Y = \frac{\partial L}{\partial Y} = -\frac1S\, T \oslash Y
#
# (elementwise division: the :math:`1/Y` comes from the logarithm).
# Substituting, :math:`Y \circ \bar Y = -T/S` in the first term, and in the
# second :math:`(\bar Y \circ Y)\mathbf{1}\mathbf 1^\top = -\frac1S T\mathbf{1}\mathbf 1^\top
# = -\frac1S\mathbf{1}_S\mathbf 1^\top` because each row of :math:`T` sums to one. Hence
#
# .. math::
#
#    \frac{\partial L}{\partial Z} = -\frac{T}{S} + \frac{1}{S}\, Y \circ (\mathbf{1}_S\mathbf{1}^\top)
#    = \frac{1}{S}\,(Y - T),
#    \qquad \alpha = \frac1S,\quad M = Y - T.
#
# We check three routes against ``torch.nn.functional.cross_entropy`` (which
# takes logits): the chain Softmax then CrossEntropy, the fused
# :class:`~nntheory.numpy_nn.SoftmaxCrossEntropy`, and the formula
# :math:`(Y-T)/S` written out; and the intermediate :math:`\bar Y` against
# autograd of the cross-entropy alone. The rounding bounds: :math:`Y` itself
# carries a relative error of up to about :math:`(K + 2 + d_i)\,u`, from the
# sum of :math:`K` exponentials and from the exponential turning an absolute
# error :math:`u\,d_i` in its argument into a relative one, with
# :math:`d_i = \max_k |Z_{ik} - \max_j Z_{ij}|` the spread of row :math:`i`'s
# logits. So we allow :math:`(K + 4 + d_i)\,\varepsilon\,(Y+T)/S` for
# :math:`\partial L/\partial Z`, and :math:`4\varepsilon|\bar Y|` for the
# elementwise :math:`\bar Y`.
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
dZ_ref = Z_t.grad.numpy()
print(f"loss: chain {loss_chain:.15f}, fused {loss_fused:.15f}, torch {loss_t.item():.15f}")


def n_roundings(Z):
    """K + 4 + d_i per row: the relative rounding error of softmax(Z), in units of eps."""
    return Z.shape[1] + 4 + (Z.max(axis=1, keepdims=True) - Z.min(axis=1, keepdims=True))


np.testing.assert_allclose([loss_chain, loss_fused], loss_t.item(), rtol=n_roundings(Z).max() * EPS)
bound_dZ = n_roundings(Z) * EPS * (Y + T) / S
routes = {"Softmax -> CrossEntropy": dZ_chain, "SoftmaxCrossEntropy": dZ_fused, "(Y - T)/S": (Y - T) / S}
for name, ours in routes.items():
    ratio = rounding_ratio(ours, dZ_ref, bound_dZ)
    print(f"{name:24s} max |dL/dZ - autograd| = {np.abs(ours - dZ_ref).max():.1e} "
          f"({ratio:.2f} of the bound)")
    assert ratio <= 1, (name, ratio)  # every route gives (Y - T)/S, to rounding
# the intermediate gradient: -T/(S Y), and what the sheet wrote, -T/S
Y_t = torch.tensor(Y, requires_grad=True)
(-(torch.from_numpy(T) * torch.log(Y_t)).sum() / S).backward()
dY_ref = Y_t.grad.numpy()
wrong_dY = np.abs(-T / S - dY_ref).max()
print(f"dL/dY: max |-T/(S Y) - autograd| = {np.abs(-T / Y / S - dY_ref).max():.1e}, "
      f"max |-T/S - autograd| = {wrong_dY:.2f}")
assert rounding_ratio(-T / Y / S, dY_ref, 4 * EPS * np.abs(dY_ref) + 1e-300) <= 1
assert wrong_dY > 0.1, wrong_dY  # -T/S is not the gradient

# %%
# The answer sheet's derivation of (e), line by line
# --------------------------------------------------
# The answer sheet reaches the same final formula, :math:`\alpha M = (Y-T)/S`,
# but not by a correct route. Its six lines (numbered 1-6 here, with
# :math:`\bar Y_\text{sheet} = -T/S`) are
#
# .. math::
#
#    &(1)\; Y \circ \big(\bar Y_\text{sheet} - (\bar Y_\text{sheet} \circ Y)\mathbf 1\mathbf 1^\top\big)
#    \quad (2)\; Y \circ \big(-\tfrac1S T + \tfrac1S T\mathbf 1\mathbf 1^\top\big)
#    \quad (3)\; -Y\circ\tfrac1S T + \tfrac{Y\circ T}{S}\mathbf 1\mathbf 1^\top \\
#    &(4)\; -\tfrac1S T + \tfrac{Y\circ T}{S}\mathbf 1\mathbf 1^\top
#    \quad (5)\; \tfrac1S\big(-T + Y\circ T\mathbf 1\mathbf 1^\top\big)
#    \quad (6)\; \tfrac1S(Y - T).
#
# Three slips: the wrong starting gradient, and two steps where consecutive
# lines are not equal:
#
# * **slip 1**, before line 1: :math:`\bar Y = -T/S` instead of
#   :math:`-T\oslash Y/S` (the derivative of the logarithm is dropped);
# * **slip 2**, line 1 to 2: inside :math:`(\bar Y_\text{sheet}\circ Y)\mathbf 1\mathbf 1^\top`
#   the factor :math:`\circ Y` disappears;
# * **slip 3**, line 3 to 4: :math:`Y\circ T` in the first term becomes :math:`T`.
#
# Slip 2 undoes slip 1 in the second term (the correct
# :math:`\bar Y\circ Y` *is* :math:`-T/S`), and slip 3 undoes it in the first
# (the correct :math:`Y\circ\bar Y` *is* :math:`-T/S`). Besides these, lines 3-5
# write :math:`\frac{Y\circ T}{S}\mathbf 1\mathbf 1^\top`, grouping
# :math:`Y\circ T` in the fraction. Taken as written,
# :math:`(Y\circ T)\mathbf 1\mathbf 1^\top` repeats each sample's probability
# of its true class across the row, and then the steps from line 2 to 3 and
# from 5 to 6 are wrong as well. The derivation needs the other reading,
# :math:`Y\circ(T\mathbf 1\mathbf 1^\top)`, which equals :math:`Y` because each
# row of :math:`T` sums to one; read that way, slips 1-3 are its only errors.
# We evaluate every line under both readings and compare consecutive lines
# and each line with autograd's :math:`\partial L/\partial Z`.
ones = np.ones((K, 1))
Yb_sheet = -T / S


def sheet_lines(reading):
    """The sheet's six lines; ``reading`` is how to evaluate "Y o T 11^T"."""
    if reading == "(Y o T) 11^T":
        YT11 = (Y * T) @ ones @ ones.T  # each row: the true class's probability
    else:  # "Y o (T 11^T)"
        YT11 = Y * (T @ ones @ ones.T)  # = Y, since each row of T sums to 1
    return [
        Y * (Yb_sheet - (Yb_sheet * Y) @ ones @ ones.T),
        Y * (-T / S + T @ ones @ ones.T / S),
        -Y * T / S + YT11 / S,
        -T / S + YT11 / S,
        (-T + YT11) / S,
        (Y - T) / S,
    ]


print(f"{'reading of Y o T 11^T':22s} {'line':>4s} {'|line - previous|':>18s} {'|line - autograd|':>18s}")
steps_broken = {}
for reading in ("(Y o T) 11^T", "Y o (T 11^T)"):
    lines = sheet_lines(reading)
    steps_broken[reading] = []
    for k, line in enumerate(lines, start=1):
        step = f"{np.abs(line - lines[k - 2]).max():.1e}" if k > 1 else "-"
        if k > 1 and np.abs(line - lines[k - 2]).max() > 1e-12:  # rounding is ~1e-17
            steps_broken[reading].append(f"{k - 1}->{k}")
        print(f"{reading:22s} {k:4d} {step:>18s} {np.abs(line - dZ_ref).max():18.1e}")
for reading, broken in steps_broken.items():
    print(f"reading {reading}: the value changes at steps {', '.join(broken)}")
# line 1 (slip 1) is already wrong; slips 2 and 3 are the steps 1->2 and 3->4;
# read as written, (Y o T) 11^T also breaks steps 2->3 and 5->6
assert np.abs(sheet_lines("Y o (T 11^T)")[0] - dZ_ref).max() > 1e-3
assert steps_broken == {"(Y o T) 11^T": ["1->2", "2->3", "3->4", "5->6"],
                        "Y o (T 11^T)": ["1->2", "3->4"]}, steps_broken

# %%
# Many random shapes
# ------------------
# One shape could hide a transposition that happens to fit (a square
# matrix, a batch of one). We repeat every check on 40 random shapes with
# batch sizes :math:`S` from 1 to 64, widths from 1 to 50 and
# :math:`K` from 2 to 50 classes, for every module on its own: the linear
# layer, both activations, the standalone
# :class:`~nntheory.numpy_nn.Softmax`, the standalone
# :class:`~nntheory.numpy_nn.CrossEntropy`, and the fused module. Every
# module that takes an upstream gradient gets an arbitrary one, Gaussian and
# drawn independently of the module's input: for the softmax that tests the
# full Jacobian formula and not only its cross-entropy special case, and for
# the activations it is what makes the check able to fail (next section).
# For each gradient we record the largest absolute difference from autograd
# and its ratio to the rounding bound.
def module_differences(S, M, N, K):
    """(max |numpy - autograd|, that difference / rounding bound) per gradient, at one shape."""
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
    absY = np.abs(Y_bar)
    checks = {
        "Linear dW": (lin.grads["weight"], W_t.grad, S * EPS * absY.T @ np.abs(X)),
        "Linear db": (lin.grads["bias"], b_t.grad, S * EPS * absY.sum(axis=0)),
        "Linear dX": (X_bar, X_t.grad, N * EPS * absY @ np.abs(lin.params["weight"])),
    }
    G_act = rng.standard_normal(X.shape)  # upstream gradient, independent of X
    for module, fn in [(numpy_nn.ReLU(), torch.relu), (numpy_nn.ELU(), torch.nn.functional.elu)]:
        module.forward(X)
        X_t = torch.tensor(X, requires_grad=True)
        (fn(X_t) * torch.from_numpy(G_act)).sum().backward()
        # |h'| <= 1: a few roundings of |upstream| (ReLU's exactness is asserted below)
        checks[f"{type(module).__name__} dX"] = (module.backward(G_act), X_t.grad, 4 * EPS * np.abs(G_act))
    # softmax alone, arbitrary upstream gradient G
    Z = 3 * rng.standard_normal((S, K))
    G = rng.standard_normal((S, K))
    sm = numpy_nn.Softmax()
    P = sm.forward(Z)
    Z_t = torch.tensor(Z, requires_grad=True)
    (torch.softmax(Z_t, dim=1) * torch.from_numpy(G)).sum().backward()
    bound = n_roundings(Z) * EPS * P * (np.abs(G) + (np.abs(G) * P).sum(axis=1, keepdims=True))
    checks["Softmax dZ"] = (sm.backward(G), Z_t.grad, bound)
    # cross-entropy alone, on the probabilities P
    lab = rng.integers(0, K, S)
    ce = numpy_nn.CrossEntropy()
    ce.forward(P, lab)
    P_t = torch.tensor(P, requires_grad=True)
    torch.nn.functional.nll_loss(torch.log(P_t), torch.from_numpy(lab)).backward()
    dP = ce.backward()
    checks["CrossEntropy dY"] = (dP, P_t.grad, 4 * EPS * np.abs(dP) + 1e-300)
    # the fused module
    sce = numpy_nn.SoftmaxCrossEntropy()
    sce.forward(Z, lab)
    Z_t = torch.tensor(Z, requires_grad=True)
    torch.nn.functional.cross_entropy(Z_t, torch.from_numpy(lab)).backward()
    T_ = numpy_nn.one_hot(lab, K)
    checks["Softmax+CE dZ"] = (sce.backward(), Z_t.grad, n_roundings(Z) * EPS * (P + T_) / S)
    for name, (ours, ref, bound) in checks.items():
        out[name] = (np.abs(ours - ref.numpy()).max(), rounding_ratio(ours, ref.numpy(), bound))
    return out


records = []
for _ in range(40):
    S_, M_, N_ = int(rng.integers(1, 65)), *rng.integers(1, 51, size=2)  # batch, widths
    records.append(module_differences(S_, M_, N_, K=int(rng.integers(2, 51))))
names = list(records[0])
diffs = np.array([[r[n][0] for n in names] for r in records])  # (n_shapes, n_gradients)
ratios = np.array([[r[n][1] for n in names] for r in records])
print(f"{'gradient':16s} {'max |numpy - autograd|':>23s} {'max / rounding bound':>21s}")
for name, column, ratio in zip(names, diffs.T, ratios.T):
    print(f"{name:16s} {column.max():23.1e} {ratio.max():21.2f}")
print(f"largest ratio to the rounding bound: {ratios.max():.2f}")
print("(CrossEntropy's absolute differences are larger because its gradient -T/(S Y)\n"
      " is large where Y is small)")
# every gradient, every shape: equal to rounding; ReLU's mask product exactly
assert ratios.max() <= 1, dict(zip(names, ratios.max(axis=0)))
assert diffs[:, names.index("ReLU dX")].max() == 0

# %%
# Every point is one shape: the largest difference between our gradient and
# autograd's, divided by the rounding bound of that gradient (the quantity
# asserted above). All lie below 1. Ratios that are exactly zero (ReLU's
# mask always; others when both programs happen to round identically) have
# no place on a log axis: they are drawn as open circles on the separate
# row at the bottom, labelled "exact 0", with the number of such shapes
# (of 40) written under each column's circles.
fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
colours = plt.get_cmap("tab10").colors
ZERO_ROW = 1e-5
jitter = rng.uniform(-0.18, 0.18, size=ratios.shape[0])
for j, name in enumerate(names):
    nonzero = ratios[:, j] > 0
    ax.scatter(j + jitter[nonzero], ratios[nonzero, j], s=18, color=colours[j], alpha=0.8)
    ax.scatter(j + jitter[~nonzero], np.full((~nonzero).sum(), ZERO_ROW), s=18,
               facecolors="none", edgecolors=colours[j], alpha=0.8)
    if (~nonzero).any():  # overlapping circles: say how many
        ax.text(j, 4.5e-6, f"{(~nonzero).sum()}x", ha="center", va="center", fontsize=10,
                color=colours[j], fontweight="bold")
ax.axhline(1.0, color="0.3", ls="--", lw=1)
ax.text(-0.45, 1.12, "rounding bound (ratio 1)", color="0.3", fontsize=10, va="bottom")
ax.axhline(2.5e-5, color="0.6", lw=0.8)  # separates the exact-zero row from the log axis
ax.set_yscale("log")
ax.set_ylim(3e-6, 3)
ax.set_yticks([ZERO_ROW, 1e-4, 1e-3, 1e-2, 1e-1, 1],
              ["exact 0", "$10^{-4}$", "$10^{-3}$", "$10^{-2}$", "$10^{-1}$", "1"])
ax.minorticks_off()
ax.set_xticks(range(len(names)), names, rotation=25, ha="right", fontsize=11)
ax.set_ylabel("max |numpy - autograd| / rounding bound", fontsize=11)
ax.set_title("Hand-written backward passes match autograd to rounding error "
             "(40 random shapes)", fontsize=12)
plt.show()
assert ratios[ratios > 0].min() > ZERO_ROW * 4, "a ratio would fall into the exact-0 row"
n_exact = (ratios == 0).sum(axis=0)
print("shapes with an exact-0 ratio, per gradient: "
      + ", ".join(f"{n} {k}" for n, k in zip(n_exact, names)))
assert n_exact[names.index("ReLU dX")] == len(records)  # ReLU's mask: every shape

# %%
# Can these checks fail?
# ----------------------
# A check is only worth something if a wrong implementation fails it. The
# choice of upstream gradient matters here: with the input itself as upstream
# gradient (:math:`\bar Y = X`), three plausible bugs give exactly the right
# answer, because :math:`X\circ\mathbb 1[X>0] = \max(X, 0) = \text{ReLU}(X)`
# and ELU's :math:`h'(X)\circ X` is the same whichever of the two factors the
# derivative is read from:
#
# * a ReLU backward returning :math:`\max(\bar Y, 0)`;
# * a ReLU backward returning the forward output :math:`\max(X, 0)`;
# * an ELU backward computing :math:`h'(\bar Y)\circ\bar Y`, the derivative
#   at the upstream gradient instead of at the cached input.
#
# With an independent Gaussian :math:`\bar Y`, as in the sweep above, each
# misses the rounding bound by many orders of magnitude.
def elu_grad(x):
    return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))  # alpha = 1


mutants = {
    "ReLU: max(dout, 0)": (torch.relu, lambda X, G: np.maximum(G, 0)),
    "ReLU: forward output": (torch.relu, lambda X, G: np.maximum(X, 0)),
    "ELU: h'(dout) o dout": (torch.nn.functional.elu, lambda X, G: elu_grad(G) * G),
}
rng_mutants = np.random.default_rng(SEED + 1)  # own generator: the draws below stay as they were
X = rng_mutants.standard_normal((S, M))
G = rng_mutants.standard_normal((S, M))
print(f"{'wrong backward':22s} {'ratio, upstream = X':>20s} {'ratio, Gaussian upstream':>25s}")
mutant_ratios = {}
for name, (fn, wrong) in mutants.items():
    row = []
    for upstream in (X, G):
        X_t = torch.tensor(X, requires_grad=True)
        (fn(X_t) * torch.from_numpy(upstream)).sum().backward()
        row.append(rounding_ratio(wrong(X, upstream), X_t.grad.numpy(), 4 * EPS * np.abs(upstream) + 1e-300))
    mutant_ratios[name] = row
    print(f"{name:22s} {row[0]:20.2f} {row[1]:25.1e}")
# with upstream = X every bug passes the check; with a Gaussian upstream every bug fails it
assert all(r[0] <= 1 for r in mutant_ratios.values()), mutant_ratios
assert all(r[1] > 1e6 for r in mutant_ratios.values()), mutant_ratios

# %%
# Why the fused module: the log-sum-exp trick
# -------------------------------------------
# Computed literally, :math:`\log(e^{Z_{ik}}/\sum_j e^{Z_{ij}})` overflows once a
# logit exceeds :math:`\log(\text{largest float64}) \approx 709.78`
# (:math:`e^{710}` is infinite), and gives :math:`\log 0 = -\infty` once the
# target's :math:`e^{Z_{ik}}` or its probability rounds to 0, that is, falls
# below half the smallest positive float64
# (:math:`2^{-1075}\approx 2.5\times10^{-324}`: a logit or a log-probability
# below :math:`-1075\ln 2 \approx -745.13`). Subtracting the row maximum :math:`m_i`
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
rel_gap = np.max(np.abs(stable - reference) / reference)
print(f"naive loss is first non-finite at scale {first_bad:.0f} "
      f"(largest logit there {first_bad * Z0.max():.0f}); "
      f"stable loss stays finite: {np.isfinite(stable).all()}")
print(f"max |stable - torch| / torch = {rel_gap:.1e}")
# the three failure modes named above, predicted from the exact log-probabilities
tiny = -1075 * np.log(2)  # about -745.13: below it, e^x rounds to 0
assert np.exp(tiny + 1e-9) > 0 and np.exp(tiny - 1e-9) == 0  # the threshold in the text
z_true = Z0[np.arange(S), labels]
predicted_bad = np.array([
    c * Z0.max() > np.log(np.finfo(float).max)  # overflow of some e^z
    or c * z_true.min() < tiny  # e^{z_target} underflows to 0
    or (c * z_true - np.log(np.exp(c * Z0 - c * Z0.max(axis=1, keepdims=True)).sum(axis=1))
        - c * Z0.max(axis=1)).min() < tiny  # the probability itself underflows
    for c in scales])
assert np.isfinite(naive[~predicted_bad]).all()  # no failure outside the named modes
assert not np.isfinite(naive[scales >= first_bad]).any()  # "from here on"
assert np.isfinite(stable).all()  # log-sum-exp never fails
# each per-sample loss is a sum of non-negative terms, so it carries a few
# roundings, relative; the mean of S of them adds S more; two programs: x2
assert rel_gap <= (S + 3) * EPS, rel_gap

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
# * The answer sheet's (a)-(d) are right; its (b) only writes the vector
#   :math:`\partial L/\partial b` with two indices and needs its
#   :math:`\mathbf 1` read as a row of ones.
# * (e) Softmax followed by mean cross-entropy gives
#   :math:`\partial L/\partial Z = \frac1S (Y - T)`, so :math:`\alpha = 1/S` and
#   :math:`M = Y - T`; on the way, :math:`\partial L/\partial Y = -\frac1S T\oslash Y`,
#   not :math:`-\frac1S T` as the answer sheet writes. The sheet's final
#   formula is right only because two further slips (a dropped :math:`\circ Y`
#   and :math:`Y\circ T` turned into :math:`T`) each cancel the first in one
#   term, and its last step needs :math:`Y\circ T\mathbf 1\mathbf 1^\top`
#   read as :math:`Y\circ(T\mathbf 1\mathbf 1^\top)` (the table of lines above).
# * Over 40 random shapes every hand-written gradient, the standalone softmax
#   with an arbitrary upstream gradient and the standalone cross-entropy
#   included, agrees with ``torch.autograd`` within the rounding bound of
#   its sums (every printed ratio is at most 1), and ReLU's exactly. The
#   upstream gradients are random and independent of the inputs: with the
#   input itself as upstream gradient, three plausible wrong activation
#   backward passes would pass the same check.
# * Fusing softmax and cross-entropy is not only shorter to differentiate; with
#   the log-sum-exp trick the loss stays finite where the literal formula
#   overflows or takes the logarithm of 0.

# sphinx_gallery_thumbnail_number = 1
