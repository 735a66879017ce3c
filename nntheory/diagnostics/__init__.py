"""Diagnostics: activation and gradient statistics, dead units, Hessians, Lipschitz estimates."""

__all__: list[str] = []
