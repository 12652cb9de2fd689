"""Derivative rules: one template per primitive, registered with @adjoint.

Importing this package registers every built-in rule.
"""
from .registry import adjoint, d, nondifferentiable, lookup, is_nondifferentiable  # noqa: F401
from . import operators, numpy_rules, runtime_rules  # noqa: F401  (registration side effects)
