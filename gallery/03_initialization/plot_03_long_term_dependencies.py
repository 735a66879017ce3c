"""
Long-term dependencies: the gradient as a product of Jacobians
==============================================================

In an :math:`N`-layer fully connected network that uses the *same* square
weight matrix :math:`W` in every layer, the gradient with respect to a
first-layer weight is a product of :math:`N-1` layer Jacobians. The exercise
asks for this product in matrix–vector form, for what happens to it when
:math:`\\nabla_y E` is an eigenvector and every ReLU is active, for the effect
of sigmoid or tanh activations, and for two further reasons why training
deep networks is hard. This is exercise 9.3.2 of sheet 9 of the Theory of
Neural Networks course, ID ``tnn-9/3.2``.

The claim checked here: with all ReLUs active and :math:`\\nabla_y E` an
eigenvector (of :math:`W^\\top`) with eigenvalue :math:`\\lambda`,
:math:`\\partial E/\\partial w^{(1)}_{11} = \\lambda^{N-1} x_1 (\\nabla_y E)_1`,
which vanishes or explodes exponentially in the depth unless
:math:`|\\lambda| = 1`. Sigmoids and tanh bound each layer's factor by
:math:`\\|W\\|_2/4` and :math:`\\|W\\|_2`. That tanh can only shrink the
linear law :math:`\\lambda^{N-1}`, and the sigmoid shrinks it by at least
:math:`4^{-(N-1)}`, holds only under conditions (:math:`W \\ge 0` and
:math:`\\nabla_y E \\ge 0` entrywise), which the page states and proves;
counterexamples that break either condition alone, or both, show tanh
keeping a gradient many orders of magnitude larger than the linear law.
"""

# %%
# Notation and the backward recursion
# -----------------------------------
# Following Bishop's §5.3.1 as the sheet does: :math:`z^{(1)} = x`,
# :math:`a^{(k+1)} = W^{(k)} z^{(k)}`, :math:`z^{(k)} = h(a^{(k)})` for
# :math:`k = 2, \dots, N`, linear output :math:`y = a^{(N+1)}`, and
# :math:`\delta^{(k)} = \partial E/\partial a^{(k)}`. The chain rule through
# :math:`a^{(k+1)}_l = \sum_j w^{(k)}_{lj} h(a^{(k)}_j)` gives
#
# .. math::
#
#    \delta^{(k)}_j = h'(a^{(k)}_j) \sum_l w^{(k)}_{lj}\, \delta^{(k+1)}_l,
#    \qquad \frac{\partial E}{\partial w^{(k)}_{ji}} = \delta^{(k+1)}_j z^{(k)}_i .
#
# (The sheet prints :math:`\delta^{(k+1)}_j` inside the sum; the summation
# index must be :math:`l`.) In vector form, with :math:`\odot` the
# elementwise product and :math:`D^{(k)} = \operatorname{diag}(h'(a^{(k)}))`,
#
# .. math::
#
#    \delta^{(k)} = h'(a^{(k)}) \odot \big(W^{(k)\top} \delta^{(k+1)}\big)
#    = D^{(k)} W^{(k)\top} \delta^{(k+1)}, \qquad
#    \delta^{(N+1)} = \nabla_y E .
#
# (a) The first-layer derivative
# ------------------------------
# Unrolling the recursion from :math:`\delta^{(N+1)}` down to
# :math:`\delta^{(2)}` with :math:`W^{(k)} = W` in every layer,
#
# .. math::
#
#    \frac{\partial E}{\partial w^{(1)}_{11}} = \delta^{(2)}_1\, x_1
#    = x_1\, \Big[ D^{(2)} W^\top D^{(3)} W^\top \cdots D^{(N)} W^\top
#    \nabla_y E \Big]_1 ,
#
# or, written with :math:`\odot`,
#
# .. math::
#
#    \delta^{(2)} = h'(a^{(2)}) \odot W^\top \Big( h'(a^{(3)}) \odot W^\top
#    \big( \cdots \big( h'(a^{(N)}) \odot W^\top \nabla_y E \big) \cdots \big) \Big),
#
# so the derivative is a product of :math:`N - 1` factors :math:`D^{(k)} W^\top`.
# :func:`nntheory.diagnostics.jacobian_products.shared_weight_backprop` (module
# :mod:`nntheory.diagnostics.jacobian_products`) evaluates exactly this
# recursion; we compare it with ``torch.autograd`` on a network whose
# :math:`N` layers hold separate copies of :math:`W` (so that autograd
# returns the derivative with respect to the *first-layer* copy, not the
# sum over layers that a truly tied parameter would get), with the loss
# :math:`E = \tfrac12\|y - t\|^2`, so :math:`\nabla_y E = y - t`.
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory.diagnostics.jacobian_products import first_layer_gradient_bound, shared_weight_backprop
from nntheory.seeding import base_seed

SEED = base_seed(0)  # override with NNTHEORY_SEED to rerun under another seed
rng = np.random.default_rng(SEED)
n_units = 8
ACT = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def autograd_first_layer(W, x, t, n_layers, activation, linear_loss=False):
    """dE/dW^(1) (shape (n_units, n_units)) and grad_y E, by torch.autograd in float64.

    E = ||y - t||^2 / 2, or with linear_loss=True E = t . y (then grad_y E = t exactly).
    """
    Ws = [torch.tensor(W, requires_grad=True) for _ in range(n_layers)]
    z = torch.tensor(x)
    for k, Wk in enumerate(Ws):
        a = Wk @ z
        z = {"identity": lambda a: a, **ACT}[activation](a) if k < n_layers - 1 else a  # linear output layer
    t = torch.tensor(t)
    E = (t * z).sum() if linear_loss else 0.5 * ((z - t) ** 2).sum()
    E.backward()
    return Ws[0].grad.numpy(), (t if linear_loss else z - t).detach().numpy()


W = rng.normal(0.0, 1.0 / math.sqrt(n_units), size=(n_units, n_units))
x, t = rng.normal(size=n_units), rng.normal(size=n_units)
print("random W, N = 6: dE/dw11 by the product formula and by autograd")
for activation in ACT:
    ref, grad_y = autograd_first_layer(W, x, t, 6, activation)
    ours = shared_weight_backprop(W, x, grad_y, 6, activation).grad_first_layer
    diff = np.abs(ours - ref).max()
    print(f"  {activation:7s}  formula {ours[0, 0]:+.6e}  autograd {ref[0, 0]:+.6e}  max |diff| over all of dE/dW1 = {diff:.1e}")
    assert diff <= 1e-12 * np.abs(ref).max(), diff  # the formula equals autograd to rounding

# %%
# (b) All ReLUs active, :math:`\nabla_y E` an eigenvector
# --------------------------------------------------------
# If every ReLU fires, :math:`h'(a^{(k)}) = 1` and :math:`D^{(k)} = I`, so
# :math:`\partial E/\partial w^{(1)}_{11} = x_1 [(W^\top)^{N-1} \nabla_y E]_1`.
# If :math:`W^\top \nabla_y E = \lambda \nabla_y E`,
#
# .. math::
#
#    \frac{\partial E}{\partial w^{(1)}_{11}} = \lambda^{N-1}\, x_1\, (\nabla_y E)_1 .
#
# (Precisely, :math:`\nabla_y E` must be an eigenvector of :math:`W^\top`,
# a left eigenvector of :math:`W`; for a symmetric :math:`W`, as used
# below, the two coincide.) For :math:`|\lambda| < 1` the derivative
# **vanishes** exponentially with the depth: the first layer receives
# essentially no learning signal, training stalls in the lower layers, and
# the network cannot learn how the output depends on inputs many layers
# (or, in a recurrent network, many time steps) back. For
# :math:`|\lambda| > 1` it **explodes**: a single gradient step is then
# huge, overshoots and can diverge (or overflow), unless the step size is
# made so small that the other layers no longer learn. Only
# :math:`|\lambda| = 1` keeps the scale, and that is a knife edge.
#
# Practice has remedies for both. Against explosion, **gradient clipping**:
# rescale the gradient whenever its norm exceeds a threshold (Pascanu,
# Mikolov and Bengio, 2013). Against both, start on the knife edge:
# **orthogonal initialisation**, all singular values 1 (Saxe, McClelland and
# Ganguli, 2014), or an identity-initialised recurrent matrix in a recurrent
# network (Le, Jaitly and Hinton, 2015). And change the product itself:
# **LSTM cells** (Hochreiter and Schmidhuber, 1997) and **residual
# connections** (He et al., 2016) add paths whose Jacobian contains an
# identity term, :math:`I + (\dots)`, so the gradient does not have to pass
# through :math:`N - 1` contracting factors.
#
# To make every ReLU fire we take a symmetric matrix :math:`P` with positive
# entries, scaled so that its largest eigenvalue is 1, and its positive
# (Perron) eigenvector :math:`u`; with :math:`W = \lambda P` and a positive
# input, all pre-activations are positive, and the target
# :math:`t = y - u` makes :math:`\nabla_y E = y - t = u` an eigenvector with
# eigenvalue :math:`\lambda`.
A = rng.uniform(0.2, 1.0, size=(n_units, n_units))
P = (A + A.T) / 2
eigvals, eigvecs = np.linalg.eigh(P)
P = P / eigvals[-1]
u = np.abs(eigvecs[:, -1])  # Perron vector: all entries of one sign
x_pos = rng.uniform(0.5, 1.0, size=n_units)

lambdas = [0.7, 0.9, 1.0, 1.1, 1.3]
depths = np.arange(1, 41)


def eigen_experiment(lam, activation):
    """|dE/dw11| for each depth: autograd, formula, and the norm bound; shape (len(depths),) each."""
    W = lam * P
    auto, formula, bound, all_active = [], [], [], True
    for N in depths:
        res = shared_weight_backprop(W, x_pos, u, N, activation)
        y = res.preactivations[-1]
        ref, grad_y = autograd_first_layer(W, x_pos, y - u, N, activation)
        all_active &= all(np.all(a > 0) for a in res.preactivations[:-1])
        auto.append(abs(ref[0, 0]))
        formula.append(abs(shared_weight_backprop(W, x_pos, grad_y, N, activation).grad_first_layer[0, 0]))
        bound.append(first_layer_gradient_bound(W, x_pos, grad_y, N, activation, entry=(0, 0)))
    return np.array(auto), np.array(formula), np.array(bound), all_active


results = {(lam, act): eigen_experiment(lam, act) for lam in lambdas for act in ACT}
law = {lam: lam ** (depths - 1.0) * x_pos[0] * u[0] for lam in lambdas}
print("ReLU, grad_y E = eigenvector with eigenvalue lambda:")
print("  lambda  all ReLUs active  |dE/dw11| at N=40   lambda^39 x1 u1   max rel. diff (autograd vs law, all N)")
for lam in lambdas:
    auto, formula, _, active = results[(lam, "relu")]
    rel = np.max(np.abs(auto / law[lam] - 1))
    print(f"  {lam:.1f}     {active}              {auto[-1]:.4e}         {law[lam][-1]:.4e}        {rel:.1e}")
    assert active  # every ReLU fires, by construction
    assert rel < 1e-9, rel  # lambda^(N-1) x_1 u_1 to rounding (which accumulates over 40 layers)
    assert np.max(np.abs(formula / auto - 1)) < 1e-12

# %%
# (c) Sigmoid and tanh
# --------------------
# Now :math:`D^{(k)}` is no longer the identity. Its diagonal entries are
# :math:`\sigma'(a) \in (0, 1/4]` or :math:`\tanh'(a) \in (0, 1]`, so
# :math:`\|D^{(k)}\|_2 \le c` with :math:`c = 1/4` or 1. Since
# :math:`\partial E/\partial w^{(1)}_{11} = x_1 \delta^{(2)}_1` and
# :math:`|\delta^{(2)}_1| \le \|\delta^{(2)}\|`,
#
# .. math::
#
#    \Big|\frac{\partial E}{\partial w^{(1)}_{11}}\Big|
#    \le |x_1|\, \|D^{(2)} W^\top \cdots D^{(N)} W^\top \nabla_y E\|
#    \le |x_1|\, \big(c\, \|W\|_2\big)^{N-1} \|\nabla_y E\| .
#
# (The factor is :math:`|x_1|`, not :math:`\|x\|`: the latter bounds the
# Frobenius norm of the whole matrix :math:`\partial E/\partial W^{(1)} =
# \delta^{(2)} x^\top`. The library's
# :func:`~nntheory.diagnostics.jacobian_products.first_layer_gradient_bound`
# computes either; here ``entry=(0, 0)``.) This is the sufficient condition
# of Pascanu, Mikolov and Bengio (2013, *On the difficulty of training
# recurrent neural networks*), with :math:`\gamma = \sup|h'| = c`: if
# :math:`\|W\|_2 < 1/\gamma`, the gradient vanishes exponentially (and
# :math:`\|W\|_2 > 1/\gamma` is necessary for it to explode). With the
# sigmoid every layer multiplies the bound by :math:`\|W\|_2 / 4`, so
# :math:`\|W\|_2 < 4` forces exponential decay; at :math:`\|W\|_2 \ge 4`
# the bound does not decay and says nothing either way.
#
# **Compared with the linear law, under a condition.** The bound runs at the
# rate :math:`c\|W\|_2`, and :math:`\|W\|_2 \ge |\lambda|` for every
# eigenvalue. So it says "no slower decay than :math:`\lambda^{N-1}`" only
# when :math:`|\lambda| = \|W\|_2`, i.e. when :math:`\nabla_y E` belongs to
# the largest singular value, and even then only up to the constant
# :math:`\|\nabla_y E\|/|(\nabla_y E)_1|`. In our construction a sharper,
# entrywise argument applies. If :math:`W \ge 0` entrywise and
# :math:`\nabla_y E \ge 0`, then :math:`W^\top \delta^{(k+1)} \ge 0` whenever
# :math:`\delta^{(k+1)} \ge 0`, and :math:`0 < h' \le c` gives
# :math:`0 \le \delta^{(k)} \le c\, W^\top \delta^{(k+1)}`; multiplying by the
# non-negative :math:`W^\top` preserves inequalities, so by induction
#
# .. math::
#
#    0 \le \delta^{(2)} \le c^{N-1} (W^\top)^{N-1} \nabla_y E
#    = c^{N-1} \lambda^{N-1} \nabla_y E
#
# entrywise, whatever the forward pass did. Hence, for the positive
# :math:`W = \lambda P`, :math:`x` and :math:`u` used here, tanh gives at most
# the all-active ReLU value :math:`\lambda^{N-1} x_1 u_1` and the sigmoid at
# most :math:`4^{-(N-1)}` times it, at every depth. Both conditions are
# needed, and neither suffices alone: after the figure, one counterexample
# breaks each of them, and a third breaks both.
#
# Here the two bounds differ only by a constant: :math:`P` is symmetric with
# positive entries, so :math:`\|W\|_2 = \lambda\|P\|_2 = \lambda`, and with
# :math:`\|u\| = 1` the norm bound is the entrywise bound times
# :math:`1/u_1`, at every depth and for every :math:`\lambda`.
for act in ("tanh", "sigmoid"):
    c = 0.25 if act == "sigmoid" else 1.0
    print(f"{act}: |dE/dw11| at N = 40 (autograd) against the entrywise bound c^39 lambda^39 x1 u1")
    print(f"      and the norm bound |x1| (c ||W||)^39 ||grad_y E||")
    for lam in lambdas:
        auto, formula, bound, _ = results[(lam, act)]
        entrywise = c ** (depths - 1.0) * law[lam]
        print(f"  lambda={lam:.1f}: {auto[-1]:.3e}   entrywise {entrywise[-1]:.3e}   norm {bound[-1]:.3e}   "
              f"max rel. diff formula vs autograd: {np.max(np.abs(formula / auto - 1)):.1e}")
        assert np.all(auto <= bound * (1 + 1e-12)), act  # the norm bound, at every depth
        assert np.all(auto <= entrywise * (1 + 1e-9)), act  # the entrywise bound (W, u >= 0), at every depth
        assert np.max(np.abs(formula / auto - 1)) < 1e-12
        np.testing.assert_allclose(bound, entrywise / u[0], rtol=1e-9)  # norm bound = entrywise bound / u_1 here
    # With the sigmoid even lambda = 1.3 vanishes: the norm bound itself is tiny at N = 40.
    if act == "sigmoid":
        assert max(results[(lam, act)][2][-1] for lam in lambdas) < 1e-15

# %%
# Figure: first-layer gradient against depth
# ------------------------------------------
# Left: ReLU, :math:`|\partial E/\partial w^{(1)}_{11}|` itself; markers
# ``torch.autograd`` (open circles), lines the law
# :math:`\lambda^{N-1} x_1 u_1`. Middle and right: sigmoid and tanh, each
# value divided by the entrywise bound :math:`c^{N-1}\lambda^{N-1} x_1 u_1`
# (:math:`c = 1/4` and 1), so that the bounds become single lines for all
# :math:`\lambda`: the entrywise bound at 1 (dotted) and the norm bound, here
# :math:`1/u_1` (dashed, a constant factor above). Every marker lies on or
# below the dotted line. The vertical axes are logarithmic, so exponential
# laws are straight lines.
okabe_ito = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000"]
fig, axes = plt.subplots(1, 3, figsize=(11, 5.2))
for ax, act in zip(axes, ACT):
    c = 0.25 if act == "sigmoid" else 1.0
    for i, lam in enumerate(lambdas):
        auto = results[(lam, act)][0]
        if act == "relu":
            ax.semilogy(depths, auto, "o", ms=4, mfc="none", color=okabe_ito[i], label=f"$\\lambda = {lam}$")
            ax.semilogy(depths, law[lam], "-", lw=1.2, color=okabe_ito[i])
        else:
            ax.semilogy(depths, auto / (c ** (depths - 1.0) * law[lam]), "o", ms=3.5, color=okabe_ito[i])
    if act != "relu":
        ax.axhline(1.0, color="k", ls=":", lw=1.5, label="entrywise bound $c^{N-1}\\lambda^{N-1} x_1 u_1$")
        ax.axhline(1.0 / u[0], color="k", ls="--", lw=1.0, label="norm bound $|x_1|(c\\|W\\|_2)^{N-1}\\|\\nabla_y E\\|$, here $1/u_1$ times it")
        ax.set_ylabel("$|\\partial E / \\partial w^{(1)}_{11}|$ / entrywise bound", fontsize=11)
        ax.set_ylim(top=(10.0 if act == "sigmoid" else 100.0) * max(1.0, 0.4 / u[0]))  # the bound lines clear of the top edge
    ax.set_xlabel("depth $N$ (weight layers)", fontsize=11)
    ax.set_title({"relu": "ReLU, all active: $\\lambda^{N-1} x_1 u_1$", "tanh": "tanh ($c = 1$)",
                  "sigmoid": "sigmoid ($c = 1/4$)"}[act], fontsize=11)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=10)
axes[0].set_ylabel("$|\\partial E / \\partial w^{(1)}_{11}|$", fontsize=12)
axes[0].set_ylim(1e-12, 1e8)
axes[0].legend(fontsize=10, loc="lower left")  # in the empty lower part of the ReLU panel
# The bound styles once, below the panels (the colours are the lambda legend of the ReLU panel).
fig.legend(*axes[1].get_legend_handles_labels(), fontsize=10, loc="lower center", ncol=2, frameon=False)
fig.suptitle("With $W \\geq 0$ and $\\nabla_y E \\geq 0$: $\\lambda^{N-1}$ with all ReLUs active,\n"
             "never more with tanh, at most $4^{-(N-1)}$ times it with sigmoids", fontsize=12)
fig.tight_layout(rect=(0, 0.07, 1, 1))
# The lambda legend sits where there is no data: every ReLU value is far above it.
assert min(results[(lam, "relu")][0].min() for lam in lambdas) > 1e-8

# %%
# Counterexamples: when the conditions fail, tanh can beat the linear law
# -----------------------------------------------------------------------
# First an instance that breaks both conditions at once; then (next cell)
# one for each condition alone. Take a symmetric :math:`W = Q \operatorname{diag}(\lambda_1, \dots, \lambda_8) Q^\top`
# with a random orthogonal :math:`Q`, eigenvalues
# :math:`(0.5, 1.5, 1.0, 0.9, 0.8, 0.7, 0.6, 0.4)`, and
# :math:`\nabla_y E = q_1` the eigenvector of :math:`\lambda_1 = 0.5`. Now
# :math:`\|W\|_2 = 1.5 \ne |\lambda_1|` and :math:`W` has entries of both
# signs. A linear network (or a ReLU network with every unit active) gives
# exactly :math:`0.5^{N-1} x_1 (q_1)_1`. In the tanh network, :math:`D^{(k)}` is
# not a multiple of the identity, so it rotates part of :math:`\delta` into
# the eigenvector of 1.5, which is amplified by 1.5 per layer instead of being
# damped by 0.5: the gradient is far larger than the linear law. The sigmoid
# likewise stays far above :math:`4^{-(N-1)}` times the law (though here,
# for :math:`N \ge 2`, below the law itself, as :math:`\|W\|_2/4 = 0.375 < 0.5`
# suggests). This instance is a fixed
# problem (numpy seed 0 for :math:`Q` and :math:`x`, whatever the page's
# base seed); the scan after it draws 200 random instances from the page's
# seed to show that it is typical, not cherry-picked.
#
# One numerical subtlety: floating-point rounding puts a component of order
# :math:`10^{-16}` along the 1.5-eigenvector into the *linear* network too,
# which grows relative to the 0.5-direction by :math:`3^{N-1}`. At
# :math:`N = 30` that is a relative error of order :math:`10^{-2}`, at
# :math:`N = 35` of order 1, so we stop at :math:`N = 30`.
counter_rng = np.random.default_rng(0)  # the fixed counterexample
eig_counter = np.array([0.5, 1.5, 1.0, 0.9, 0.8, 0.7, 0.6, 0.4])


def symmetric_with_spectrum(eigenvalues, rng):
    """W = Q diag(eigenvalues) Q^T with Q Haar-random orthogonal; returns (W, Q)."""
    Q, R = np.linalg.qr(rng.normal(size=(len(eigenvalues), len(eigenvalues))))
    Q = Q * np.sign(np.diag(R))  # makes Q Haar-distributed
    return (Q * eigenvalues) @ Q.T, Q


W_c, Q_c = symmetric_with_spectrum(eig_counter, counter_rng)
q1 = Q_c[:, 0]
x_c = counter_rng.normal(size=n_units)
depths_c = np.arange(1, 31)
law_c = 0.5 ** (depths_c - 1.0) * x_c[0] * q1[0]
counter = {act: [] for act in ("identity", "tanh", "sigmoid")}
for N in depths_c:
    for act in counter:
        # E = q1 . y, so grad_y E = q1 exactly. (A squared loss with target y - q1 would
        # subtract two numbers of size |y| ~ 1.5^N in the linear network, and the
        # rounding error, along the 1.5-eigenvector, would swamp the 0.5^N signal.)
        ref, _ = autograd_first_layer(W_c, x_c, q1, N, act, linear_loss=True)
        counter[act].append(ref[0, 0])
counter = {act: np.abs(np.array(v)) for act, v in counter.items()}
print(f"counterexample, N = 30: linear law 0.5^29 x1 (q1)_1 = {abs(law_c[-1]):.2e}; linear network (float64) {counter['identity'][-1]:.2e}")
print(f"  tanh {counter['tanh'][-1]:.2e} (x {counter['tanh'][-1] / abs(law_c[-1]):.1e} the law); "
      f"sigmoid {counter['sigmoid'][-1]:.2e} (x {counter['sigmoid'][-1] / (abs(law_c[-1]) * 4.0**-29):.1e} the 4^-29-scaled law)")
assert np.all(np.abs(counter["identity"] / np.abs(law_c) - 1) < 0.05)  # linear network = law, up to the amplified rounding
assert counter["tanh"][-1] > 1e3 * abs(law_c[-1])  # tanh far above the linear law
assert counter["sigmoid"][-1] > 1e3 * abs(law_c[-1]) * 4.0**-29  # sigmoid far above 4^-(N-1) times the law
assert np.all(counter["sigmoid"] <= np.abs(x_c[0]) * (1.5 / 4) ** (depths_c - 1.0) * (1 + 1e-12))  # the norm bound still holds
assert np.all(counter["sigmoid"][1:] < np.abs(law_c[1:]))  # ... though below the law itself



def wilson_lower(k, n, z=4.0):
    """Lower end of the Wilson score interval for a binomial fraction k/n, z standard errors."""
    p = k / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


# How typical is this? 200 random orientations Q and inputs x, same spectrum, N = 30.
n_scan, N_scan = 200, 30
beats = {"tanh": 0, "sigmoid": 0}
for _ in range(n_scan):
    W_r, Q_r = symmetric_with_spectrum(eig_counter, rng)
    x_r = rng.normal(size=n_units)
    law_r = abs(0.5 ** (N_scan - 1) * x_r[0] * Q_r[0, 0])
    beats["tanh"] += abs(shared_weight_backprop(W_r, x_r, Q_r[:, 0], N_scan, "tanh").grad_first_layer[0, 0]) > law_r
    beats["sigmoid"] += abs(shared_weight_backprop(W_r, x_r, Q_r[:, 0], N_scan, "sigmoid").grad_first_layer[0, 0]) > law_r * 4.0 ** -(N_scan - 1)
print(f"{n_scan} random instances, N = {N_scan}: tanh above the linear law in {beats['tanh'] / n_scan:.0%} "
      f"(4-s.e. lower bound {wilson_lower(beats['tanh'], n_scan):.2f}); sigmoid above 4^-29 times the law in "
      f"{beats['sigmoid'] / n_scan:.0%} (lower bound {wilson_lower(beats['sigmoid'], n_scan):.2f})")
# "Most instances are counterexamples": the fraction's lower confidence bound (Wilson score interval,
# 4 standard errors) is above one half; a true fraction of one half or less would pass this check
# with probability of order 3e-5 (the interval's approximate one-sided coverage at 4 standard errors).
assert wilson_lower(beats["tanh"], n_scan) > 0.5 and wilson_lower(beats["sigmoid"], n_scan) > 0.5, beats

fig, ax = plt.subplots(figsize=(10, 4.8))
ax.semilogy(depths_c, np.abs(law_c), "k-", lw=1.5, label="linear law $0.5^{N-1} x_1 (q_1)_1$")
ax.semilogy(depths_c, counter["identity"], "o", ms=3, mfc="none", color="k", label="linear network (float64)")
ax.semilogy(depths_c, counter["tanh"], "o", ms=4, color=okabe_ito[0], label="tanh (autograd)")
ax.semilogy(depths_c, np.abs(x_c[0]) * 1.5 ** (depths_c - 1.0), "--", color=okabe_ito[0], lw=1, label="tanh norm bound $|x_1| 1.5^{N-1}$")
ax.semilogy(depths_c, counter["sigmoid"], "s", ms=4, color=okabe_ito[1], label="sigmoid (autograd)")
ax.semilogy(depths_c, np.abs(law_c) * 4.0 ** -(depths_c - 1.0), ":", color=okabe_ito[1], lw=1.5, label="$4^{-(N-1)} \\times$ linear law")
ax.set_xlabel("depth $N$", fontsize=12)
ax.set_ylabel("$|\\partial E / \\partial w^{(1)}_{11}|$", fontsize=12)
ax.tick_params(labelsize=10)
ax.grid(alpha=0.3)
ax.legend(fontsize=10, loc="center left", bbox_to_anchor=(1.01, 0.5))
ax.set_title("Symmetric $W$ with eigenvalues 0.5 and 1.5, $\\nabla_y E$ along 0.5:\ntanh decays far slower than $0.5^{N-1}$", fontsize=12)
fig.tight_layout()

# %%
# Each condition alone is needed
# ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
# **(A)** :math:`W \ge 0`, :math:`\nabla_y E` of mixed signs. Take the
# positive matrix :math:`W = P` of (b) (largest eigenvalue 1) and
# :math:`\nabla_y E = v`, the eigenvector of the eigenvalue :math:`\mu` of
# second-largest modulus; it is orthogonal to the positive Perron vector,
# so it has entries of both signs. The input is the positive
# :math:`x` of (b), :math:`N = 20`. The linear law is
# :math:`\mu^{N-1} x_1 v_1`; in the tanh network :math:`D^{(k)}` moves part of
# :math:`\delta` onto the Perron vector, which is damped only by the factors
# :math:`\tanh' \le 1` instead of :math:`|\mu|` per layer.
#
# **(B)** :math:`\nabla_y E \ge 0`, :math:`W` of mixed signs. Take the
# spectrum of the counterexample above, but with the 0.5-eigenvector chosen
# positive, :math:`q_1 = w/\|w\|` with :math:`w` uniform on
# :math:`[0.2, 1]^8`, and the other eigenvectors completing it to a random
# orthonormal basis; then :math:`W` has entries of both signs (checked), and
# :math:`\nabla_y E = q_1 \ge 0`, :math:`N = 30`.
#
# Each is a fixed problem (numpy seed 0, continuing the generator above, for
# (B)'s eigenvectors and input; (A) uses the page's :math:`P`); below each,
# a scan of 50 random instances from the page's seed shows that it is
# typical. The linear laws come from the eigen-decomposition, not from a
# float64 linear network, whose rounding error would be amplified by
# :math:`(1/|\mu|)^{N-1}` in (A) and :math:`3^{N-1}` in (B).
N_a, N_b = 20, 30
ev_P, V_P = np.linalg.eigh(P)
k2 = np.argsort(np.abs(ev_P))[-2]  # second-largest |eigenvalue|
mu, v2 = ev_P[k2], V_P[:, k2]


def positive_eigvec_instance(rng):
    """W = Q diag(eig_counter) Q^T with a positive first column q1 of Q; returns (W, q1)."""
    w = rng.uniform(0.2, 1.0, size=n_units)
    Q, R = np.linalg.qr(np.column_stack([w, rng.normal(size=(n_units, n_units - 1))]))
    Q = Q * np.sign(np.diag(R))  # first column = w / ||w|| > 0
    return (Q * eig_counter) @ Q.T, Q[:, 0]


W_b, q1_b = positive_eigvec_instance(counter_rng)
x_b = counter_rng.normal(size=n_units)
single = {"A": (P, x_pos, v2, mu, N_a), "B": (W_b, x_b, q1_b, 0.5, N_b)}
single_curves = {}
for name, (W_s, x_s, g_s, lam_s, N_s) in single.items():
    d_s = np.arange(1, N_s + 1)
    law_s = np.abs(lam_s ** (d_s - 1.0) * x_s[0] * g_s[0])
    tanh_s = np.array([abs(autograd_first_layer(W_s, x_s, g_s, N, "tanh", linear_loss=True)[0][0, 0]) for N in d_s])
    single_curves[name] = (d_s, law_s, tanh_s)
    print(f"({name}) min W = {W_s.min():+.2f}, grad_y E in [{g_s.min():+.2f}, {g_s.max():+.2f}], eigenvalue {lam_s:+.3f}, N = {N_s}: "
          f"linear law {law_s[-1]:.2e}, tanh {tanh_s[-1]:.2e} (x {tanh_s[-1] / law_s[-1]:.1e})")
    assert tanh_s[-1] > 1e3 * law_s[-1], name  # tanh far above the linear law
assert P.min() > 0 and v2.min() < 0 < v2.max()  # (A): W >= 0, grad_y E of mixed signs
assert q1_b.min() > 0 and W_b.min() < 0 < W_b.max()  # (B): grad_y E >= 0, W of mixed signs
np.testing.assert_allclose(P @ v2, mu * v2, atol=1e-13)
np.testing.assert_allclose(W_b @ q1_b, 0.5 * q1_b, atol=1e-13)

n_scan_single = 50
hits = {"A": 0, "B": 0}
for _ in range(n_scan_single):
    A_r = rng.uniform(0.2, 1.0, size=(n_units, n_units))
    ev_r, V_r = np.linalg.eigh((A_r + A_r.T) / 2)
    P_r = (A_r + A_r.T) / 2 / ev_r[-1]
    k_r = np.argsort(np.abs(ev_r))[-2]
    x_r = rng.uniform(0.5, 1.0, size=n_units)
    law_r = abs((ev_r[k_r] / ev_r[-1]) ** (N_a - 1) * x_r[0] * V_r[0, k_r])
    hits["A"] += abs(shared_weight_backprop(P_r, x_r, V_r[:, k_r], N_a, "tanh").grad_first_layer[0, 0]) > law_r
    W_r, q_r = positive_eigvec_instance(rng)
    x_r = rng.normal(size=n_units)
    law_r = abs(0.5 ** (N_b - 1) * x_r[0] * q_r[0])
    hits["B"] += abs(shared_weight_backprop(W_r, x_r, q_r, N_b, "tanh").grad_first_layer[0, 0]) > law_r
for name in hits:
    print(f"({name}) {n_scan_single} random instances: tanh above the linear law in {hits[name] / n_scan_single:.0%} "
          f"(4-s.e. lower bound {wilson_lower(hits[name], n_scan_single):.2f})")
    assert wilson_lower(hits[name], n_scan_single) > 0.5, hits  # most instances break the result, as in the scan above

fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True)
titles = {"A": f"(A) $W \\geq 0$, $\\nabla_y E$ of mixed signs ($\\mu = {mu:.2f}$)", "B": "(B) $\\nabla_y E \\geq 0$, $W$ of mixed signs (0.5)"}
for ax, (name, (d_s, law_s, tanh_s)) in zip(axes, single_curves.items()):
    ax.semilogy(d_s, law_s, "k-", lw=1.5, label="linear law $\\lambda^{N-1} x_1 (\\nabla_y E)_1$")
    ax.semilogy(d_s, tanh_s, "o", ms=4, color=okabe_ito[0], label="tanh (autograd)")
    ax.set_xlabel("depth $N$", fontsize=12)
    ax.set_title(titles[name], fontsize=11)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=10)
axes[0].set_ylabel("$|\\partial E / \\partial w^{(1)}_{11}|$", fontsize=12)
axes[0].legend(fontsize=10, loc="lower left")
fig.suptitle("Either condition failing is enough: tanh stays far above the linear law", fontsize=12)
fig.tight_layout()

# %%
# (d) Two further obstacles
# -------------------------
# 1. **Saddle points and flat regions**: in high dimension the critical
#    points of typical non-convex losses with high loss are mostly saddles
#    (Dauphin et al., 2014; see the
#    :ref:`saddle-point page <sphx_glr_auto_examples_04_optimization_plot_05_saddle_points.py>`),
#    surrounded by plateaus where the gradient is tiny although the loss is
#    far from minimal, so gradient descent slows to a crawl there.
# 2. **Inexact gradients**: minibatch (stochastic) gradients are noisy
#    estimates of the true gradient, so with a constant learning rate the
#    iterates keep fluctuating; converging needs a decaying learning rate (or
#    growing batches), trading speed against precision.
#
# (Ill-conditioned Hessians, the other classic obstacle, are the subject of
# exercise 9.3.1.)
#
# What to notice
# --------------
# * (a) :math:`\partial E/\partial w^{(1)}_{11} = x_1 [D^{(2)} W^\top \cdots
#   D^{(N)} W^\top \nabla_y E]_1` with :math:`D^{(k)} = \operatorname{diag}(h'(a^{(k)}))`;
#   the library's recursion matches autograd to rounding error (checked).
# * (b) With all ReLUs active and :math:`\nabla_y E` an eigenvector, the
#   derivative is :math:`\lambda^{N-1} x_1 (\nabla_y E)_1`: straight lines
#   on the log axis, down for :math:`|\lambda| < 1` (vanishing gradients:
#   the first layers stop learning), up for :math:`|\lambda| > 1`
#   (exploding gradients: unstable steps), flat only for :math:`|\lambda| = 1`.
# * (c) The norm bound :math:`|x_1|(c\|W\|_2)^{N-1}\|\nabla_y E\|` always
#   holds (:math:`c = 1/4` sigmoid, 1 tanh), so sigmoids vanish whenever
#   :math:`\|W\|_2 < 4`, even for :math:`\lambda = 1.3`. That tanh never does
#   better than :math:`\lambda^{N-1}`, and the sigmoid at least
#   :math:`4^{-(N-1)}` times worse, holds entrywise when :math:`W \ge 0` and
#   :math:`\nabla_y E \ge 0` (our construction), and up to a constant when
#   :math:`|\lambda| = \|W\|_2`, but not in general: with eigenvalues 0.5 and
#   1.5 and :math:`\nabla_y E` along 0.5, tanh keeps a gradient orders of
#   magnitude above the linear law, in most random instances; and neither
#   condition suffices alone ((A): :math:`W \ge 0` with a mixed-sign
#   :math:`\nabla_y E`; (B): a positive :math:`\nabla_y E` with a mixed-sign
#   :math:`W`). Remedies for vanishing and exploding gradients: gradient
#   clipping, orthogonal or identity initialisation, LSTM cells and residual
#   connections.
# * (d) Saddle points/plateaus, and noisy minibatch gradients.

# sphinx_gallery_thumbnail_number = 1
