"""Diagnostics: activation and gradient statistics, dead units, Hessians, Lipschitz estimates."""

from nntheory.diagnostics.gradients import batch_sq_grad_norms, mean_sq_grad_norm, per_sample_grads, per_sample_sq_grad_norms
from nntheory.diagnostics.hessian import condition_number, flat_loss, hessian_matrix, hvp, top_eigenvalue
from nntheory.diagnostics.activations import LayerStatistics, activation_statistics, gradient_norms
from nntheory.diagnostics.dead_units import DeadUnitReport, dead_on_box, dead_on_samples, dead_unit_report, interval_bounds, relu_mlp_preactivations
from nntheory.diagnostics.jacobian_products import SharedWeightBackprop, first_layer_gradient_bound, shared_weight_backprop
from nntheory.diagnostics.lipschitz import block_upper_bounds, jacobian_spectral_norms, lipschitz_lower_bound, lipschitz_upper_bound, optimized_secant_lower_bound, secant_lower_bound

__all__: list[str] = [
    "batch_sq_grad_norms",
    "mean_sq_grad_norm",
    "per_sample_grads",
    "per_sample_sq_grad_norms",
    "condition_number",
    "flat_loss",
    "hessian_matrix",
    "hvp",
    "top_eigenvalue",
    "LayerStatistics",
    "activation_statistics",
    "gradient_norms",
    "DeadUnitReport",
    "dead_on_box",
    "dead_on_samples",
    "dead_unit_report",
    "interval_bounds",
    "relu_mlp_preactivations",
    "SharedWeightBackprop",
    "first_layer_gradient_bound",
    "shared_weight_backprop",
    "block_upper_bounds",
    "jacobian_spectral_norms",
    "lipschitz_lower_bound",
    "lipschitz_upper_bound",
    "optimized_secant_lower_bound",
    "secant_lower_bound",
]
