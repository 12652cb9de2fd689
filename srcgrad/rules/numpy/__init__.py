"""Rules for NumPy, one module per kind of function.

Complex numbers (see runtime.py): holomorphic rules are `d[y] * f'(x)` with no
conjugate; abs, angle, real, imag and conj conjugate where autograd does; rules that
order values (maximum, minimum, clip, max, min) refuse complex input at run time.
"""
from . import creation, elementwise, linalg, products, reductions, shape  # noqa: F401
