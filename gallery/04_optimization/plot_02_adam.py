"""
Adam: the update, its first step, and decoupled weight decay
============================================================

Exercise 2 of the deep learning exercise sheet (ID ``dl-sheet/2``) asks four
things about the Adam optimiser: (a) write down its update equations and say
what each line does; (b) show that its very first update reduces to the sign
of the gradient; (c) say how this possibly unwanted behaviour can be avoided;
(d) decide whether an L2 penalty in the loss and weight decay applied directly
to the weights (AdamW) are the same thing under Adam, and which is better.

The sheet comes with a student's answer, which we check rather than trust: its
update has the wrong sign, it puts :math:`\\epsilon` inside the square root
(a variant some RMSProp implementations use, but not Adam's, and not
equivalent), and in (d) it writes the gradient of the L2 penalty incorrectly. This page
states the correct equations, verifies every claim numerically with the pure
update rules of :mod:`nntheory.optim` (themselves tested step by step against
``torch.optim``), and compares Adam + L2, SGD + L2 and AdamW on a problem
where the L2 penalty in the loss and decoupled weight decay end at very
different weights.
"""

# %%
# (a) The update equations
# ------------------------
# Given the gradient :math:`g_t = \nabla_\theta \mathcal L(\theta_{t-1})` at
# step :math:`t = 1, 2, \dots`, with :math:`m_0 = v_0 = 0` and all operations
# elementwise:
#
# 1. :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t`: a running average of
#    the gradients (momentum, the first-moment estimate);
# 2. :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2`: a running average of
#    the squared gradients (the second-moment estimate);
# 3. :math:`\hat m_t = m_t / (1-\beta_1^t)`: removes the bias towards zero
#    that :math:`m_0 = 0` causes in the first steps;
# 4. :math:`\hat v_t = v_t / (1-\beta_2^t)`: the same correction for
#    :math:`v`;
# 5. :math:`\theta_t = \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} +
#    \epsilon)`: a step *against* the averaged gradient, divided per coordinate
#    by its typical size. :math:`\epsilon` keeps the division finite, and it
#    does more: it sets the gradient scale below which Adam stops normalising,
#    since for :math:`|\hat m_t| \approx \sqrt{\hat v_t} \ll \epsilon` the step
#    is :math:`-\eta\,\hat m_t/\epsilon`, SGD with the rate
#    :math:`\eta/\epsilon` (shown in (b), used as a remedy in (c)).
#
# Defaults: :math:`\eta = 10^{-3}`, :math:`\beta_1 = 0.9`,
# :math:`\beta_2 = 0.999`, :math:`\epsilon = 10^{-8}`. The step divides the
# averaged gradient by its typical size, so it does not depend on the scale
# of the gradient: multiplying every gradient of a coordinate by :math:`c > 0`
# multiplies :math:`\hat m_t` by :math:`c` and :math:`\sqrt{\hat v_t}` by
# :math:`c`, and leaves the step unchanged up to :math:`\epsilon` (checked
# below on gradients a thousand times larger). When the gradient keeps its
# sign and size, the step is about :math:`\eta` per coordinate.
#
# **The student's version.** It writes
# :math:`\theta_t = \theta_{t-1} + \eta\, m_t/\sqrt{s_t + \epsilon}`. The
# plus sign is an error: it climbs the loss instead of descending it.
# :math:`\epsilon` inside the square root is not an error in itself but a
# different variant: it is the convention of the CSC413 sheet's RMSProp (see
# the RMSProp page of this chapter) and of TensorFlow's RMSProp kernel
# (``ApplyRMSProp``), but Kingma and Ba's Adam, and ``torch.optim.Adam``, put
# :math:`\epsilon` outside. The two behave differently: inside the root
# :math:`\epsilon` acts like a gradient of size :math:`\sqrt\epsilon`
# (:math:`10^{-4}` for :math:`\epsilon = 10^{-8}`), not :math:`\epsilon`,
# which changes the update for every coordinate whose gradient is below about
# :math:`10^{-4}`, so the same :math:`\epsilon` means something else in the
# two variants. (The student's corrected equations fix the sign and keep
# :math:`\epsilon` inside.)
# Below we check that our rule is ``torch.optim.Adam``, and we show the
# effect of the two placements of :math:`\epsilon` on the first step.
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from nntheory import optim
from nntheory.seeding import base_seed

SEED = base_seed(7)
rng = np.random.default_rng(SEED)  # all random draws on this page
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8

g = np.array([1e3, 1.0, -1e-3, 1e-6, -1e-8, 1e-9, 1e-12])  # one gradient, coordinates of very different sizes


def first_step(rule, grad):
    """Delta theta after one update from theta = 0."""
    theta0 = np.zeros_like(grad)
    theta1, _ = rule.update(theta0, grad, rule.init(theta0))
    return theta1 - theta0


step_bc = first_step(optim.adam(LR, (BETA1, BETA2), EPS), g)
step_no_bc = first_step(optim.adam(LR, (BETA1, BETA2), EPS, bias_correction=False), g)

# Independent reference: torch.optim.Adam on the same gradient.
p = torch.zeros(len(g), dtype=torch.float64, requires_grad=True)
torch_opt = torch.optim.Adam([p], lr=LR, betas=(BETA1, BETA2), eps=EPS)
p.grad = torch.tensor(g)
torch_opt.step()
torch_diff = np.abs(step_bc - p.detach().numpy()).max()
print(f"max |ours - torch.optim.Adam| on the first step: {torch_diff:.1e}")
assert torch_diff < 1e-15, torch_diff  # "our rule is torch.optim.Adam" (to rounding; steps are ~1e-3)

# Scale invariance: 50 steps on random gradients g_t and on 1000 g_t.
g_seq = rng.standard_normal((50, 4)) + 0.3  # (steps, coordinates)
rule = optim.adam(LR, (BETA1, BETA2), EPS)
paths_scaled = []
for c in (1.0, 1000.0):
    theta, state = np.zeros(4), rule.init(np.zeros(4))
    for g_t in g_seq:
        theta, state = rule.update(theta, c * g_t, state)
    paths_scaled.append(theta)
scale_diff = np.abs(paths_scaled[0] - paths_scaled[1]).max() / LR
print(f"after 50 steps, max |theta(g) - theta(1000 g)| / lr = {scale_diff:.1e}")
assert scale_diff < 1e-6, scale_diff  # "leaves the step unchanged up to eps" (|g| ~ 1 here, so eps/|g| ~ 1e-8)

# %%
# (b) The first step is a sign step
# ---------------------------------
# At :math:`t = 1`, with :math:`m_0 = v_0 = 0`,
#
# .. math::
#
#    m_1 = (1-\beta_1) g_1,\quad v_1 = (1-\beta_2) g_1^2
#    \;\Rightarrow\;
#    \hat m_1 = g_1,\quad \hat v_1 = g_1^2,
#
# .. math::
#
#    \Delta\theta_1 = -\eta\,\frac{g_1}{|g_1| + \epsilon}
#    = -\eta\,\operatorname{sign}(g_1)\,\frac{|g_1|}{|g_1|+\epsilon} .
#
# So every coordinate moves by :math:`\eta` in the direction of
# :math:`-\operatorname{sign}(g_1)`, up to the relative error
# :math:`\epsilon/(|g_1|+\epsilon)`, whatever the size of its gradient; only
# when :math:`|g_1|` is comparable to :math:`\epsilon` does the step shrink,
# to :math:`-\eta g_1/\epsilon` when :math:`|g_1| \ll \epsilon`.
#
# **Without bias correction** the same computation with :math:`m_1, v_1` in
# place of :math:`\hat m_1, \hat v_1` gives
#
# .. math::
#
#    \Delta\theta_1 = -\eta\,\frac{(1-\beta_1)\, g_1}{\sqrt{1-\beta_2}\,|g_1| + \epsilon}
#    \approx -\eta\, \frac{1-\beta_1}{\sqrt{1-\beta_2}}\, \operatorname{sign}(g_1),
#
# still a sign step, but :math:`(1-\beta_1)/\sqrt{1-\beta_2}` times larger
# (:math:`\sqrt{10} \approx 3.16` for the defaults, printed below: the step
# is *larger* than :math:`\eta`, not smaller, because
# :math:`\sqrt{1-\beta_2} \approx 0.032` is smaller than
# :math:`1-\beta_1 = 0.1`). The student's answer reaches this factor, but
# with :math:`\epsilon` inside the root its intermediate expression
# :math:`\sqrt{(1-\beta_2) + \epsilon g_1^2}` is wrong: pulling
# :math:`g_1/|g_1|` out of :math:`g_1/\sqrt{(1-\beta_2) g_1^2 + \epsilon}`
# leaves :math:`\sqrt{(1-\beta_2) + \epsilon/g_1^2}` in the denominator.
factor = (1 - BETA1) / math.sqrt(1 - BETA2)
print(f"(1 - beta1) / sqrt(1 - beta2) = {factor:.4f}\n")
closed_bc = -LR * g / (np.abs(g) + EPS)
closed_no_bc = -LR * (1 - BETA1) * g / (math.sqrt(1 - BETA2) * np.abs(g) + EPS)
eps_inside = -LR * g / np.sqrt(g**2 + EPS)  # the student's placement, with bias correction
print(f"{'g':>10} | {'step/lr':>10} {'closed form':>12} | {'no corr.':>10} {'closed form':>12} | {'eps inside sqrt':>15}")
for gi, a, b, c, d, e in zip(g, step_bc / LR, closed_bc / LR, step_no_bc / LR, closed_no_bc / LR, eps_inside / LR):
    print(f"{gi:>10.0e} | {a:>10.4f} {b:>12.4f} | {c:>10.4f} {d:>12.4f} | {e:>15.2e}")
closed_diff = max(np.abs(step_bc - closed_bc).max(), np.abs(step_no_bc - closed_no_bc).max()) / LR
print(f"max |rule - closed form|/lr: {closed_diff:.1e}")
assert closed_diff < 1e-12, closed_diff  # both closed forms of the first step, to rounding
# The student's eps inside the root: the same step for |g| >> sqrt(eps) = 1e-4, a much smaller one below it.
ratio_inside = eps_inside / step_bc
print(f"eps inside / outside the root: {ratio_inside[np.abs(g) >= 1].min():.8f} for |g| >= 1, at most {ratio_inside[np.abs(g) <= 1e-6].max():.3f} for |g| <= 1e-6")
assert np.all(np.abs(ratio_inside[np.abs(g) >= 1] - 1) < 1e-8)  # no difference far above sqrt(eps)
assert np.all(ratio_inside[np.abs(g) <= 1e-6] < 0.02)  # "changes the update for every coordinate whose gradient is below about 1e-4"
big = np.abs(g) > 1e-4
sign_err = np.abs(step_bc[big] / LR + np.sign(g[big])).max()
print(f"coordinates with |g| >= 1e-3: max |step/lr + sign(g)| = {sign_err:.1e}   (eps/|g| <= {EPS / np.abs(g[big]).min():.0e})")
assert sign_err <= EPS / np.abs(g[big]).min(), sign_err  # "eta * sign(g), up to eps/(|g| + eps)"
np.testing.assert_allclose(factor, math.sqrt(10), rtol=1e-14)  # the factor (1 - beta1)/sqrt(1 - beta2) = sqrt(10)

# %%
# The size of the first step against the size of the gradient: flat at
# :math:`\eta` down to :math:`|g| \approx \epsilon`, then proportional to
# :math:`|g|`. Without correction it is flat at :math:`3.16\,\eta` (the
# printed factor) down to :math:`|g| \approx \epsilon/\sqrt{1-\beta_2}
# \approx 3\times10^{-7}`, where :math:`\sqrt{1-\beta_2}\,|g|` meets
# :math:`\epsilon` in the denominator (the table's row :math:`g = 10^{-6}`
# is already below the plateau). With :math:`\epsilon` inside the root the
# cross-over moves up to :math:`\sqrt\epsilon`.
g_grid = np.logspace(-13, 2, 300)
fig, ax = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
ax.loglog(g_grid, np.abs(first_step(optim.adam(LR, (BETA1, BETA2), EPS), g_grid)) / LR, color="#0072B2", lw=2.5, label="Adam (bias-corrected)")
ax.loglog(g_grid, np.abs(first_step(optim.adam(LR, (BETA1, BETA2), EPS, bias_correction=False), g_grid)) / LR, color="#D55E00", lw=2.5, label="without bias correction")
ax.loglog(g_grid, np.abs(g_grid / np.sqrt(g_grid**2 + EPS)), color="#009E73", lw=2, ls="--", label=r"$\epsilon$ inside the root (student; TF's RMSProp)")
ax.axvline(EPS, color="0.5", ls=":", lw=1)
ax.text(EPS * 1.3, 1e-7, r"$|g| = \epsilon$", color="0.3", fontsize=11)
ax.axvline(math.sqrt(EPS), color="0.5", ls=":", lw=1)
ax.text(math.sqrt(EPS) * 1.3, 1e-7, r"$|g| = \sqrt{\epsilon}$", color="0.3", fontsize=11)
ax.set_xlabel(r"gradient magnitude $|g_1|$", fontsize=12)
ax.set_ylabel(r"first step $|\Delta\theta_1| / \eta$", fontsize=12)
ax.set_title("Adam's first step has size η for every coordinate with |g| ≫ ε", fontsize=12)
ax.legend(fontsize=10, loc="lower right")
ax.tick_params(labelsize=11)
plt.show()

# %%
# The bias is not only a first-step effect. For a constant gradient
# :math:`g`, :math:`m_t = (1-\beta_1^t)\, g` and
# :math:`v_t = (1-\beta_2^t)\, g^2`, so without correction the step is
# :math:`\eta\,(1-\beta_1^t)/\sqrt{1-\beta_2^t}` (for :math:`|g| \gg \epsilon`):
# more than 2 % too large for the first 3000 steps, because :math:`v` forgets
# its zero start a hundred times more slowly than :math:`m`. With correction
# it is :math:`\eta` at every step. (The small printed differences from the
# closed forms are the :math:`\epsilon` terms they ignore.)
T = 5000
rule_bc, rule_no = optim.adam(LR, (BETA1, BETA2), EPS), optim.adam(LR, (BETA1, BETA2), EPS, bias_correction=False)
th_bc, th_no = np.zeros(1), np.zeros(1)
s_bc, s_no = rule_bc.init(th_bc), rule_no.init(th_no)
steps_bc, steps_no = [], []
for _ in range(T):
    new_bc, s_bc = rule_bc.update(th_bc, np.array([0.5]), s_bc)
    new_no, s_no = rule_no.update(th_no, np.array([0.5]), s_no)
    steps_bc.append(abs(new_bc - th_bc)[0] / LR)
    steps_no.append(abs(new_no - th_no)[0] / LR)
    th_bc, th_no = new_bc, new_no
t = np.arange(1, T + 1)
closed = (1 - BETA1**t) / np.sqrt(1 - BETA2**t)
print(f"constant gradient: max |step/lr - closed form| without correction {np.abs(np.array(steps_no) - closed).max():.1e}; with correction max |step/lr - 1| {np.abs(np.array(steps_bc) - 1).max():.1e}")
print(f"largest uncorrected step: {max(steps_no):.2f} lr at t = {int(np.argmax(steps_no)) + 1}; uncorrected step at t = 3000: {steps_no[2999]:.4f} lr")
assert np.abs(np.array(steps_no) - closed).max() < 1e-5  # uncorrected: the closed form, up to eps terms
assert np.abs(np.array(steps_bc) - 1).max() < 1e-6  # corrected: exactly eta, up to eps / |g| = 2e-8
assert np.all(np.array(steps_no[:3000]) > 1.02)  # "too large for the first few thousand steps"

fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
ax.semilogx(t, steps_no, color="#D55E00", lw=2.5, label="without bias correction")
ax.semilogx(t, closed, color="k", lw=1, ls="--", label=r"$(1-\beta_1^t)/\sqrt{1-\beta_2^t}$")
ax.semilogx(t, steps_bc, color="#0072B2", lw=2.5, label="with bias correction")
ax.set_xlabel("step t", fontsize=12)
ax.set_ylabel(r"step size $|\Delta\theta_t| / \eta$", fontsize=12)
ax.set_title("Constant gradient: uncorrected Adam overshoots η for thousands of steps", fontsize=12)
ax.legend(fontsize=10)
ax.tick_params(labelsize=11)
plt.show()

# %%
# (c) Remedies
# ------------
# The first steps are unwanted because :math:`\hat v_t` is estimated from one
# or a few gradients, so :math:`\hat m_t/\sqrt{\hat v_t}` is about
# :math:`\pm 1` for *every* coordinate: coordinates whose gradient is mostly
# noise move as far as informative ones.
#
# Bias correction is **not** a remedy for this: it is what makes the first
# step :math:`\eta\operatorname{sign}(g_1)` (up to the :math:`\epsilon` term) in (b). Without it the
# first step is the same sign step, :math:`\sqrt{10} \approx 3.16` times
# larger, and the steps stay too large for thousands of steps; so the
# correction fixes the size of the early steps, not their sign-like nature.
# Remedies for the latter:
#
# * **learning-rate warm-up**: raise :math:`\eta` linearly from (near) zero
#   over the first few hundred or thousand steps, so that the poorly-informed
#   early steps are multiplied by a small rate while :math:`v` accumulates
#   statistics (RAdam, Liu et al. 2020, derives such a warm-up from the
#   variance of :math:`\hat v_t`);
# * a larger :math:`\epsilon`, so that coordinates with small gradients take
#   small, SGD-like steps :math:`-\eta g/\epsilon` (the first-step curve
#   above: the step falls below :math:`\eta` once :math:`|g| < \epsilon`);
#   the price is the scale invariance of (a) for every coordinate whose
#   gradients are of size :math:`\epsilon` or smaller;
# * initialise :math:`v_0` from a few gradients instead of zero (and then
#   leave :math:`v` uncorrected), so that :math:`\hat v_1` is not
#   :math:`g_1^2` alone.
#
# A small experiment: a coordinate whose gradient is pure noise
# (:math:`g_t \sim \mathcal N(0, \sigma^2)`, :math:`\sigma = 0.1`, so its
# ideal position is where it started). We run 2000 independent copies of each
# variant and plot the RMS distance travelled. The uncorrected rule drifts
# fastest early on, the bias-corrected rule takes the sign step of (b) first,
# and a warm-up removes almost all of the early drift (after 10 steps). A
# larger :math:`\epsilon`, of the size of the noise
# (:math:`\epsilon = \sigma = 0.1`), about halves it. Starting :math:`v` from
# the mean of 10 squared gradients does not reduce it at all; it drifts
# slightly *more* (printed). The early drift comes from :math:`\hat m_t`, an
# average of a few noise gradients, and a better :math:`\hat v` does not
# change that; the bias-corrected :math:`\hat v_t` is even a little better
# at limiting it, because it is built from the same few gradients as
# :math:`\hat m_t` and is large exactly when they are. None
# of them removes the later random walk: after 600 steps every variant has
# drifted by more than :math:`10\,\eta`, as it must with gradients that
# never vanish (the warm-up's rate is constant after step 300).
N_RUNS, T_NOISE, WARMUP, SIGMA_G, K_V0 = 2000, 600, 300, 0.1, 10
noise = SIGMA_G * rng.standard_normal((T_NOISE, N_RUNS))  # (steps, runs)
noise_v0 = SIGMA_G * np.random.default_rng(SEED + 1).standard_normal((K_V0, N_RUNS))  # the extra gradients that initialise v_0 (own stream: rng's later draws stay as they were)


def adam_v0(lr, v0):
    """Adam with v started at v0 and not bias-corrected (m still is): an update rule like optim.adam's."""
    def init(theta):
        return 0, np.zeros_like(theta), v0.copy()

    def update(theta, grad, state):
        t, m, v = state[0] + 1, BETA1 * state[1] + (1 - BETA1) * grad, BETA2 * state[2] + (1 - BETA2) * grad**2
        return theta - lr * (m / (1 - BETA1**t)) / (np.sqrt(v) + EPS), (t, m, v)

    return optim.UpdateRule(init, update, "Adam, v0 from gradients")


variants = {
    "no bias correction": optim.adam(LR, (BETA1, BETA2), EPS, bias_correction=False),
    "bias-corrected": optim.adam(LR, (BETA1, BETA2), EPS),
    f"bias-corrected + {WARMUP}-step warm-up": optim.adam(optim.warmup_cosine(LR, WARMUP, 10**6), (BETA1, BETA2), EPS),
    f"bias-corrected, eps = {SIGMA_G:g}": optim.adam(LR, (BETA1, BETA2), SIGMA_G),
    f"v0 = mean of {K_V0} squared gradients": adam_v0(LR, np.mean(noise_v0**2, axis=0)),
}
styles = [("#D55E00", "-"), ("#0072B2", "-"), ("#009E73", "-"), ("#CC79A7", "--"), ("#E69F00", ":")]
drift = {}
fig, ax = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
for (name, rule), (colour, ls) in zip(variants.items(), styles):
    theta = np.zeros(N_RUNS)
    state = rule.init(theta)
    rms = []
    for k in range(T_NOISE):
        theta, state = rule.update(theta, noise[k], state)
        rms.append(np.sqrt(np.mean(theta**2)) / LR)
    print(f"{name:>36}: RMS drift after 1 step {rms[0]:.3f} lr, after 10 steps {rms[9]:.2f} lr, after {T_NOISE} steps {rms[-1]:.2f} lr")
    drift[name] = np.array(rms)
    steps, shown = np.arange(1, T_NOISE + 1), np.array(rms) > 0  # the warm-up's first step is exactly 0: left out
    ax.plot(steps[shown], np.array(rms)[shown], color=colour, ls=ls, lw=2.5, label=name.replace("eps", r"$\epsilon$").replace("v0", r"$v_0$"))
ax.set_xscale("log")
ax.set_yscale("log")
ax.axvline(10, color="0.5", ls=":", lw=1)
ax.text(10.5, 0.02, "t = 10", color="0.3", fontsize=10)
ax.set_xlabel("step t", fontsize=12)
ax.set_ylabel(r"RMS $|\theta_t - \theta_0| / \eta$", fontsize=12)
ax.set_title("Pure-noise gradient: warm-up suppresses the early random walk", fontsize=12)
ax.legend(fontsize=10, loc="lower right")
ax.tick_params(labelsize=11)
plt.show()

d_no, d_bc, d_wu, d_eps, d_v0 = drift.values()
# 2000 independent runs: the RMS values carry a relative s.e. of about 1/sqrt(2 * 2000) = 1.6 %,
# so the margins below (factors 2, 20, and 0.35-0.65 or > 1 against ratios measured at 0.48 and 1.16) are many standard errors.
first_exact = np.sqrt(np.mean((np.abs(noise[0]) / (np.abs(noise[0]) + EPS)) ** 2))  # (b): each run moves eta |g|/(|g| + eps)
np.testing.assert_allclose(d_bc[0], first_exact, rtol=1e-12)  # bias-corrected first step: exactly the sign step of (b)
assert d_no[9] > 2 * d_bc[9], (d_no[9], d_bc[9])  # "the uncorrected rule drifts fastest early on"
assert d_wu[9] < d_bc[9] / 20, (d_wu[9], d_bc[9])  # "warm-up removes almost all of the early drift"
assert 0.35 < d_eps[9] / d_bc[9] < 0.65, d_eps[9] / d_bc[9]  # "a larger eps about halves it"
print(f"drift after 10 steps, v0 from gradients / bias-corrected: {d_v0[9] / d_bc[9]:.2f}")
assert d_v0[9] > d_bc[9], (d_v0[9], d_bc[9])  # "does not reduce it at all; it drifts slightly more"
assert min(d[-1] for d in drift.values()) > 10, [d[-1] for d in drift.values()]  # "more than 10 eta after 600 steps"

# %%
# (d) Adam + L2 against AdamW
# ---------------------------
# With an L2 penalty in the loss, :math:`\tilde{\mathcal L} = \mathcal L +
# \tfrac{\lambda}{2}\|\theta\|^2`, the gradient that enters Adam is
# :math:`g_t = \nabla\mathcal L + \lambda\theta`. (The student writes
# :math:`2\lambda\|\theta\|_2^2` where this gradient belongs. That expression
# is a scalar, twice the penalty :math:`\lambda\|\theta\|^2`, not a gradient:
# the gradient of :math:`\lambda\|\theta\|^2` is the vector
# :math:`2\lambda\theta`, one entry per weight.) The decay then passes
# through Adam's per-coordinate scaling: ignoring momentum, the decay part of
# the step on coordinate :math:`k` is
#
# .. math::
#
#    \Delta\theta_k \supset -\frac{\eta\lambda}{\sqrt{\hat v_{t,k}} + \epsilon}\,\theta_k ,
#
# so along the way weights whose gradients have been large are decayed
# slowly and weights with small gradients quickly. AdamW (Loshchilov and
# Hutter 2019) decouples the two:
#
# .. math::
#
#    \theta_t = (1 - \eta\lambda)\,\theta_{t-1}
#    - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},
#
# with :math:`m_t, v_t` built from :math:`\nabla\mathcal L` alone, so every
# weight decays by the same factor :math:`1 - \eta\lambda` per step. For
# plain SGD the two are identical,
# :math:`\theta - \eta(\nabla\mathcal L + \lambda\theta) = (1-\eta\lambda)\theta
# - \eta\nabla\mathcal L`; for Adam they are not.
#
# **Where they end.** The per-coordinate scaling changes the path, not the
# destination of Adam + L2: a deterministic fixed point of the Adam + L2
# update has :math:`\hat m = 0`, i.e. :math:`\nabla\tilde{\mathcal L} = 0`,
# whatever the preconditioner. On a convex problem the fixed point of
# Adam + L2 is therefore the fixed point of SGD + L2, the minimiser of the
# penalised loss (ridge regression below), and its shrinkage is ridge's, not
# Adam's. With minibatches there is no fixed point, and the averaged iterate
# lands near ridge, not exactly on it: besides the minibatch noise that
# averaging reduces, :math:`\hat m` and :math:`\sqrt{\hat v}` are
# correlated, so the mean step is not the mean gradient divided by a mean
# scale, which biases the average slightly. What is Adam-specific is AdamW's
# stationary point. Setting the AdamW update to zero,
#
# .. math::
#
#    \lambda\,\theta_k = -\frac{\hat m_k}{\sqrt{\hat v_k} + \epsilon}
#    \quad\Longleftrightarrow\quad
#    \partial_k \mathcal L(\theta) + \lambda\,(\sqrt{\hat v_k} + \epsilon)\,\theta_k = 0,
#
# the stationarity condition of :math:`\mathcal L + \tfrac{\lambda}{2}\sum_k
# (\sqrt{\hat v_k}+\epsilon)\,\theta_k^2` with :math:`\hat v` held fixed: an
# L2 penalty whose coefficient for weight :math:`k` is
# :math:`\lambda(\sqrt{\hat v_k}+\epsilon)`, set by that weight's gradient
# statistics. With full-batch gradients a fixed point has
# :math:`\hat m_k = g_k` and :math:`\hat v_k = g_k^2`, so the condition reads
# :math:`\lambda\theta_k = -g_k/(|g_k| + \epsilon)`, i.e.
# :math:`\lambda|\theta_k| = |g_k|/(|g_k| + \epsilon) < 1`. So either
# :math:`|g_k| \gg \epsilon` and :math:`|\theta_k|` sits at :math:`1/\lambda`
# up to a relative :math:`\epsilon/(|g_k| + \epsilon)`, or
# :math:`|g_k| = \epsilon\lambda|\theta_k|/(1 - \lambda|\theta_k|)`, which
# is practically zero unless :math:`|\theta_k|` is within
# :math:`O(\epsilon)` of :math:`1/\lambda`. Xie and Li (2024) prove that if
# full-batch AdamW converges under a non-increasing learning-rate schedule
# whose sum diverges, it converges to a KKT point of minimising
# :math:`\mathcal L` inside the box :math:`\|\theta\|_\infty \le
# 1/\lambda`; for a convex loss like ours that is the minimiser in the box,
# and when the box does not bind, the *unregularised* minimiser. We check it
# below with such a schedule, :math:`\eta_t = \eta/(1 + t/1000)`:
# non-increasing, and its sum diverges like the harmonic series. (Warm-up
# followed by cosine annealing to zero, the usual schedule, breaks both
# conditions: it increases at first and its rates have a finite sum.) With
# minibatches :math:`\hat v` measures the gradient noise and stays positive,
# and the weighted penalty above is what remains.
#
# The experiment: linear regression with 7 independent features whose
# scales :math:`s_k` span three decades, so the gradients of their weights do
# too. SGD + L2, Adam + L2 and AdamW use the same :math:`\lambda`, the same
# minibatches of 32 and a constant learning rate (0.01) for 20,000 steps;
# we average the iterates over the last 10,000 steps (Polyak averaging) to
# remove the minibatch noise around the stationary point, and for AdamW also
# :math:`\sqrt{\hat v}`. We compare the results with ordinary least squares
# (OLS), with ridge :math:`(X^\top X/N + \lambda I)^{-1} X^\top y/N`, and with
# the weighted ridge :math:`(X^\top X/N + \lambda\,\mathrm{diag}(\sqrt{\hat
# v}+\epsilon))^{-1} X^\top y/N` predicted for AdamW.
N_SAMPLES, N_FEATURES = 512, 7
feature_scale = np.logspace(-2, 1, N_FEATURES)
X = rng.standard_normal((N_SAMPLES, N_FEATURES)) * feature_scale  # (n_samples, n_features)
w_true = rng.choice([-1.0, 1.0], N_FEATURES)
y = X @ w_true + 0.1 * rng.standard_normal(N_SAMPLES)
LAMBDA, LR_D, STEPS, N_AVG, BATCH = 0.05, 1e-2, 20_000, 10_000, 32
A, b = X.T @ X / N_SAMPLES, X.T @ y / N_SAMPLES
ols = np.linalg.solve(A, b)
ridge = np.linalg.solve(A + LAMBDA * np.eye(N_FEATURES), b)

rules = {
    "SGD + L2": optim.sgd(LR_D, weight_decay=LAMBDA),
    "Adam + L2": optim.adam(LR_D, weight_decay=LAMBDA),
    "AdamW": optim.adamw(LR_D, weight_decay=LAMBDA),
}
final, sqrt_v = {}, {}
batches = rng.integers(0, N_SAMPLES, (STEPS, BATCH))  # the same minibatches for all three
for name, rule in rules.items():
    w = np.zeros(N_FEATURES)
    state = rule.init(w)
    w_sum, root_v_sum = np.zeros(N_FEATURES), np.zeros(N_FEATURES)
    for step, idx in enumerate(batches):
        grad = X[idx].T @ (X[idx] @ w - y[idx]) / BATCH  # gradient of the half mean squared error
        w, state = rule.update(w, grad, state)
        if step >= STEPS - N_AVG:
            w_sum += w
            if name != "SGD + L2":
                root_v_sum += np.sqrt(state.v[0] / (1 - BETA2**state.count))
    final[name] = w_sum / N_AVG
    sqrt_v[name] = root_v_sum / N_AVG
weighted_ridge = np.linalg.solve(A + LAMBDA * np.diag(sqrt_v["AdamW"] + EPS), b)

dist = {name: np.abs(final[name] - ridge).max() for name in rules}
dist_w = np.abs(final["AdamW"] - weighted_ridge).max()
for name in rules:
    print(f"{name:>9}: max |averaged weights - ridge| = {dist[name]:.1e}")
print(f"    AdamW: max |averaged weights - weighted ridge| = {dist_w:.1e}   (max |ridge| = {np.abs(ridge).max():.2f})")
print(f"{'feature scale':>14} | {'ridge/OLS':>9} {'SGD+L2/OLS':>10} {'Adam+L2/OLS':>11} {'AdamW/OLS':>9} {'w. ridge/OLS':>12} | L2 coefficient: {'ridge':>6} {'AdamW':>8}")
for k in range(N_FEATURES):
    print(
        f"{feature_scale[k]:>14.3f} | {ridge[k] / ols[k]:>9.3f} {final['SGD + L2'][k] / ols[k]:>10.3f} {final['Adam + L2'][k] / ols[k]:>11.3f} "
        f"{final['AdamW'][k] / ols[k]:>9.3f} {weighted_ridge[k] / ols[k]:>12.3f} | {LAMBDA:>22.3g} {LAMBDA * (sqrt_v['AdamW'][k] + EPS):>8.2g}"
    )
# The averages carry minibatch noise and a small bias from the correlation of m and v; 5e-3 is a few
# times what we measured over seeds, against weights of size 1.
assert dist["SGD + L2"] < 5e-3 and dist["Adam + L2"] < 5e-3, dist  # "the averaged iterate lands near ridge" (both)
assert dist["AdamW"] > 0.5, dist  # AdamW ends elsewhere
assert dist_w < 0.1 * dist["AdamW"], (dist_w, dist["AdamW"])  # ... near the weighted ridge predicted by its stationarity condition

# Full-batch AdamW, same lambda, under Xie and Li's conditions: eta_t = eta / (1 + t/1000) is non-increasing and sums to infinity.
# The box ||theta||_inf <= 1/lambda = 20 does not bind (|OLS| ~ 1), so it should end at OLS.
def inverse_time(t):
    return LR_D / (1 + t / 1000)


rule = optim.adamw(inverse_time, weight_decay=LAMBDA)
w = np.zeros(N_FEATURES)
state = rule.init(w)
for _ in range(STEPS):
    w, state = rule.update(w, A @ w - b, state)  # full-batch gradient of the half MSE
print(f"full-batch AdamW (eta_t = eta/(1 + t/1000), {STEPS} steps): max |w - OLS| = {np.abs(w - ols).max():.1e}, max |w - ridge| = {np.abs(w - ridge).max():.2f}")
t_grid = np.arange(10**6)
assert np.all(np.diff(inverse_time(t_grid)) < 0)  # non-increasing
# partial sums: 1000 eta (H(T + 999) - H(999)) ~ 1000 eta ln((T + 999.5) / 999.5), which grows without bound
np.testing.assert_allclose(inverse_time(t_grid).sum(), 1000 * LR_D * math.log((len(t_grid) + 999.5) / 999.5), rtol=1e-6)
assert np.abs(ols).max() < 1 / LAMBDA  # the box does not bind
assert np.abs(w - ols).max() < 1e-3, np.abs(w - ols).max()  # "ends at the unregularised minimiser"

# %%
# The final weights as a fraction of the OLS ones (left) and the L2
# coefficient each method effectively applies to each weight (right):
# :math:`\lambda` for ridge, hence for SGD + L2 and Adam + L2;
# :math:`\lambda(\sqrt{\hat v_k}+\epsilon)` for AdamW. If the features were
# exactly uncorrelated, a penalty with coefficient :math:`c_k` would shrink
# weight :math:`k` by the factor :math:`s_k^2/(s_k^2 + c_k)`; ours are nearly
# so (largest sample correlation printed), and a weight loses more than half
# of its size exactly where its coefficient exceeds the curvature
# :math:`s_k^2` of the data along it (dashed line). Here
# :math:`\sqrt{\hat v_k} < 1` for every weight, so AdamW's coefficients are
# below :math:`\lambda`, by orders of magnitude for the small-scale
# features, and it shrinks them much less than ridge: ridge takes more than
# half off the three smallest-scale weights, AdamW off none (printed). (The
# ratios to OLS of the smallest-scale weights are themselves noisy: with
# inputs of size 0.01 and noise 0.1, OLS determines that weight only to
# about :math:`0.1/(0.01\sqrt{512}) \approx 0.4`.)
coef_adamw = LAMBDA * (sqrt_v["AdamW"] + EPS)
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
ax0.semilogx(feature_scale, ridge / ols, color="k", lw=1.2, ls="--", label="ridge closed form")
ax0.semilogx(feature_scale, weighted_ridge / ols, color="#0072B2", lw=1.2, ls=":", label=r"weighted ridge, $\lambda(\sqrt{\hat v}+\epsilon)$")
ax0.semilogx(feature_scale, final["SGD + L2"] / ols, "^", color="#009E73", ms=11, label="SGD + L2 (trained)")
ax0.semilogx(feature_scale, final["Adam + L2"] / ols, "o", color="#D55E00", ms=6, label="Adam + L2 (trained)")
ax0.semilogx(feature_scale, final["AdamW"] / ols, "s", color="#0072B2", ms=8, mfc="none", mew=2, label="AdamW (trained)")
ax0.set_xlabel(r"feature scale $s_k$ (std of the input)", fontsize=12)
ax0.set_ylabel(r"final weight / OLS weight", fontsize=12)
ax0.set_title("Same λ: Adam + L2 and SGD + L2 end near ridge, AdamW elsewhere", fontsize=11)
ax0.legend(fontsize=9, loc="center right")
ax1.loglog(feature_scale, feature_scale**2, color="0.4", lw=1.2, ls="--", label=r"data curvature $s_k^2$")
ax1.loglog(feature_scale, np.full(N_FEATURES, LAMBDA), "o-", color="#D55E00", ms=8, lw=2, label=r"ridge, SGD + L2, Adam + L2: $\lambda$")
ax1.loglog(feature_scale, coef_adamw, "s-", color="#0072B2", ms=8, lw=2, label=r"AdamW: $\lambda(\sqrt{\hat v_k}+\epsilon)$")
ax1.set_xlabel(r"feature scale $s_k$ (std of the input)", fontsize=12)
ax1.set_ylabel(r"effective L2 coefficient $c_k$", fontsize=12)
ax1.set_title("AdamW's penalty is weighted by its gradient statistics", fontsize=11)
ax1.legend(fontsize=9, loc="upper left")
for a in (ax0, ax1):
    a.tick_params(labelsize=11)
plt.show()

corr = np.corrcoef(X, rowvar=False)
print(f"largest |correlation| between features: {np.abs(corr - np.eye(N_FEATURES)).max():.3f}")
for name, coef, weights in (("ridge", np.full(N_FEATURES, LAMBDA), ridge), ("AdamW", coef_adamw, final["AdamW"])):
    halved = weights / ols < 0.5
    print(f"{name:>6}: shrunk by more than half: {halved.astype(int)}; coefficient above s_k^2: {(coef > feature_scale**2).astype(int)}")
    assert np.array_equal(halved, coef > feature_scale**2), name  # "more than half exactly where c_k > s_k^2"
print(f"AdamW: sqrt(v_hat) from {sqrt_v['AdamW'].min():.1e} to {sqrt_v['AdamW'].max():.1e}")
assert np.all(sqrt_v["AdamW"] < 1) and np.all(coef_adamw < LAMBDA)  # "sqrt(v) < 1, coefficients below lambda"
assert coef_adamw[0] < 1e-2 * LAMBDA, coef_adamw[0]  # "by orders of magnitude for the small-scale features"
halved_ridge, halved_adamw = ridge / ols < 0.5, final["AdamW"] / ols < 0.5
assert halved_ridge[:3].all() and not halved_adamw.any(), (halved_ridge, halved_adamw)  # "ridge: the three smallest, AdamW: none"
ols_se = 0.1 * np.sqrt(np.linalg.inv(X.T @ X)[0, 0])  # standard error of the smallest-scale OLS weight (noise std 0.1)
print(f"standard error of the OLS weight of the smallest-scale feature: {ols_se:.2f}")
assert 0.3 < ols_se < 0.6, ols_se  # "only to about 0.4"
large = feature_scale >= 3
for name, weights in (("ridge", ridge), ("AdamW", final["AdamW"])):
    print(f"{name}: weight / OLS for the features of scale >= 3: {np.round(weights[large] / ols[large], 3)}")
    assert np.all(np.abs(weights[large] / ols[large] - 1) < 0.05), name  # "the weights of scale >= 3 lose at most 5 % under either"

# %%
# What to notice
# --------------
# * **(a)** Adam is :math:`\theta_t = \theta_{t-1} - \eta\,\hat m_t /
#   (\sqrt{\hat v_t} + \epsilon)` with bias-corrected moment estimates: a
#   *minus* sign and :math:`\epsilon` *outside* the root. Our rule agrees with
#   ``torch.optim.Adam`` (checked on the first step here; the test suite
#   checks many steps against ``torch.optim``).
# * **(b)** With bias correction the first step is exactly
#   :math:`-\eta\,g/(|g|+\epsilon)`, i.e. :math:`-\eta\operatorname{sign}(g)`
#   up to the relative error :math:`\epsilon/(|g|+\epsilon)`, and
#   proportionally smaller once :math:`|g|` approaches :math:`\epsilon`.
#   Without correction it is :math:`-\eta(1-\beta_1)/\sqrt{1-\beta_2}\,
#   \operatorname{sign}(g) = -\sqrt{10}\,\eta\operatorname{sign}(g)` for the
#   defaults, and the uncorrected steps stay too large for thousands of steps
#   on a constant gradient.
# * **(c)** Bias correction fixes the size of the early steps (it is what
#   makes the first step :math:`\eta\operatorname{sign}(g)` up to :math:`\epsilon`), not their
#   sign-like nature. Remedies for that, measured on a pure-noise coordinate:
#   a learning-rate warm-up removed almost all of the early drift; an
#   :math:`\epsilon` as large as the gradient noise about halved it, at the
#   price of SGD-like steps for small gradients; starting :math:`v` from a
#   few gradients did not reduce it.
# * **(d)** It makes a difference, but not the one the shrinkage table
#   suggests at first sight. Adam + L2 ends near the ridge solution, where
#   SGD + L2 ends too (both within the printed distance of ridge, which is
#   the fixed point of both updates with full-batch gradients): the strong
#   shrinkage of the small-scale weights is ridge's. AdamW ends elsewhere, at the stationary point of a penalty whose
#   coefficient :math:`\lambda(\sqrt{\hat v_k}+\epsilon)` depends on each
#   weight's gradient statistics (and so on the batch size and the
#   gradient noise); here it shrank the small-scale weights far less than
#   ridge (ridge took more than half off the three smallest-scale weights,
#   AdamW off none; the weights of scale :math:`s_k \ge 3` lose at most 5 %
#   under either), and
#   with full-batch gradients (and a schedule meeting Xie and Li's
#   conditions) it did not regularise at all (the box
#   :math:`\|\theta\|_\infty \le 1/\lambda` did not bind). Which
#   is better is an empirical question. Loshchilov and Hutter argue for
#   AdamW: with the penalty in the loss, Adam decays weights with a large
#   gradient history slowly and weights with small gradients fast along the
#   way, which matters in deep networks that are never trained to a
#   stationary point; with decoupled decay every weight decays at the same
#   rate, and the best :math:`\lambda` depends much less on :math:`\eta`
#   (in their experiments, with better generalisation).
#
# References: D. P. Kingma and J. Ba, *Adam: a method for stochastic
# optimization*, ICLR 2015. TensorFlow, ``tf.raw_ops.ApplyRMSProp`` (the
# RMSProp update with :math:`\epsilon` inside the square root). I. Loshchilov and F. Hutter, *Decoupled weight decay
# regularization*, ICLR 2019. L. Liu et al., *On the variance of the adaptive
# learning rate and beyond* (RAdam), ICLR 2020. S. Xie and Z. Li, *Implicit
# bias of AdamW: ℓ∞-norm constrained optimization*, ICML 2024.

# sphinx_gallery_thumbnail_number = 1
