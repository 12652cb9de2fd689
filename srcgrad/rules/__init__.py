"""Derivative rules, grouped by namespace: numpy/ (one module per kind of function),
builtins.py (Python operators and builtins), math.py, runtime.py (srcgrad's own helpers,
for higher order). SciPy's rules, when they come, go in rules/scipy/, registered only
when SciPy is importable. registry.py holds them, language.py checks templates, shorthand.py
states an elementwise or linear derivative once for both modes.

Importing this package registers every built-in rule (parsing none: see registry.py).
"""
from .registry import (adjoint, d, is_nondifferentiable, lookup, lookup_tangent,  # noqa: F401
                       nondifferentiable, t, tangent)
from . import builtins, math, numpy, runtime  # noqa: F401  (registration side effects)
