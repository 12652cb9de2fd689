"""Elementwise NumPy functions: each derivative stated once (shorthand.py) gives the
adjoint and the tangent. Add a function with one line here, and its test inputs in
tests/test_rule_forms.py, tests/rule_cases.py and tests/test_tangents.py."""
import numpy as np

from ...runtime import astype_grad, conj, real_like, refuse_complex, unbroadcast  # noqa: F401
from ..registry import adjoint, d, nondifferentiable, t, tangent
from ..shorthand import binary, elementwise, linear

elementwise(np.sin, "g * np.cos(x)")
elementwise(np.cos, "-g * np.sin(x)")
elementwise(np.tan, "g * (1.0 + y * y)")
elementwise(np.arcsin, "g / np.sqrt(1.0 - x * x)")
elementwise(np.arccos, "-g / np.sqrt(1.0 - x * x)")
elementwise(np.arctan, "g / (1.0 + x * x)")
elementwise(np.sinh, "g * np.cosh(x)")
elementwise(np.cosh, "g * np.sinh(x)")
elementwise(np.tanh, "g * (1.0 - y * y)")
elementwise(np.arcsinh, "g / np.sqrt(x * x + 1.0)")
elementwise(np.arccosh, "g / np.sqrt(x * x - 1.0)")
elementwise(np.arctanh, "g / (1.0 - x * x)")
elementwise(np.exp, "g * y")
elementwise(np.exp2, "g * y * np.log(2.0)")
elementwise(np.expm1, "g * (y + 1.0)")
elementwise(np.log, "g / x")
elementwise(np.log1p, "g / (1.0 + x)")
elementwise(np.log2, "g / (x * np.log(2.0))")
elementwise(np.log10, "g / (x * np.log(10.0))")
elementwise(np.sqrt, "g * 0.5 / y")
elementwise(np.cbrt, "g / (3.0 * y * y)")
elementwise(np.square, "g * 2.0 * x")
elementwise(np.reciprocal, "-g * y * y")
linear((np.deg2rad, np.radians), "g * (np.pi / 180.0)")
linear((np.rad2deg, np.degrees), "g * (180.0 / np.pi)")
# sign(x) = x / |x| for complex x; |x| is not holomorphic: its tangent is the real part
elementwise((np.abs, np.absolute, np.fabs), "g * conj(np.sign(x))",
            tangent="np.real(g * conj(np.sign(x)))")

binary((np.maximum, np.fmax), "g * refuse_complex(x == z, z, 'np.maximum') / (1.0 + (x == y))",
       "g * refuse_complex(y == z, z, 'np.maximum') / (1.0 + (x == y))")
binary((np.minimum, np.fmin), "g * refuse_complex(x == z, z, 'np.minimum') / (1.0 + (x == y))",
       "g * refuse_complex(y == z, z, 'np.minimum') / (1.0 + (x == y))")
binary(np.logaddexp, "g * np.exp(x - z)", "g * np.exp(y - z)")
binary(np.logaddexp2, "g * np.exp2(x - z)", "g * np.exp2(y - z)")
binary(np.arctan2, "g * y / (x * x + y * y)", "-g * x / (x * x + y * y)")
binary(np.hypot, "g * x / z", "g * y / z")

# --- complex parts ----------------------------------------------------------------
linear((np.real, "ndarray.real"), "g")
linear((np.imag, "ndarray.imag"), "real_like(-1j * g, x)")
linear((np.conjugate, "ndarray.conj", "ndarray.conjugate"), "conj(g)")
elementwise(np.angle, "real_like(g * np.conjugate(x * 1j) / (x * np.conjugate(x)), x)",
            tangent="np.real(g * np.conjugate(x * 1j) / (x * np.conjugate(x)))")


@adjoint(np.where)
def _(z, c, x, y):
    d[x] = unbroadcast(np.where(c, d[z], 0.0), x)
    d[y] = unbroadcast(np.where(c, 0.0, d[z]), y)


@tangent(np.where)
def _(z, c, x, y):
    t[z] = np.where(c, t[x], 0.0)
    t[z] = np.where(c, 0.0, t[y])


@adjoint(np.clip)
def _(y, x, a_min=None, a_max=None):
    d[x] = d[y] * refuse_complex((y != a_min) & (y != a_max), y, "np.clip")
    d[a_min] = unbroadcast(d[y] * (y == a_min), a_min)
    d[a_max] = unbroadcast(d[y] * (y == a_max) * (y != a_min), a_max)


@tangent(np.clip)
def _(y, x, a_min=None, a_max=None):
    t[y] = t[x] * ((y != a_min) & (y != a_max))
    t[y] = t[a_min] * (y == a_min)
    t[y] = t[a_max] * (y == a_max) * (y != a_min)


linear((np.copy, np.array, np.asarray, np.ascontiguousarray, "ndarray.copy"), "g")


@adjoint("ndarray.astype")
def _(y, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    d[x] = astype_grad(d[y], x, dtype)


# sign is constant for real numbers, but z / |z| for complex ones: refused there
elementwise(np.sign, "refuse_complex(0.0 * g, x, 'np.sign')")

nondifferentiable(
    np.floor, np.ceil, np.round, np.rint, np.trunc, np.isnan, np.isinf,
    np.isfinite, np.greater, np.less, np.equal, np.not_equal, np.greater_equal,
    np.less_equal, np.logical_and, np.logical_or, np.logical_not, np.allclose,
    np.isclose, np.floor_divide,
)
