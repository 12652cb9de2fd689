"""Rules for Python's operators (keyed by the `operator` module's functions, with the
NumPy ufuncs that compute the same thing) and builtins."""
import builtins
import operator

import numpy as np

from ..runtime import conj, matmul_grad_a, matmul_grad_b, unbroadcast  # noqa: F401
from .registry import adjoint, d, nondifferentiable, t, tangent
from .shorthand import binary, elementwise, linear

binary((operator.add, np.add), "g", "g")
binary((operator.sub, np.subtract), "g", "-g")
binary((operator.mul, np.multiply), "g * y", "g * x")
binary((operator.truediv, np.divide, np.true_divide), "g / y", "-g * z / y")
binary((operator.pow, np.power), "g * y * x ** np.where(y, y - 1, 1.0)",
       "g * np.log(np.where(x, x, 1.0)) * z")
binary((operator.mod, np.mod, np.remainder), "g", "-g * np.floor(x / y)")
linear((operator.neg, np.negative), "-g")
linear((operator.pos, np.positive), "g")
# |x| of complex x is not holomorphic: its tangent is the real part
elementwise(builtins.abs, "g * conj(np.sign(x))", tangent="np.real(g * conj(np.sign(x)))")


@adjoint(operator.matmul, np.matmul)
def _(z, x, y):
    d[x] = matmul_grad_a(d[z], x, y)
    d[y] = matmul_grad_b(d[z], x, y)


nondifferentiable(
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.is_, operator.is_not, operator.contains,
    operator.floordiv, operator.invert, operator.and_, operator.or_, operator.xor,
    operator.lshift, operator.rshift, operator.truth,
    len, range, int, bool, str, isinstance, print,
)


@tangent(operator.matmul, np.matmul)
def _(z, x, y):
    t[z] = np.matmul(t[x], y)
    t[z] = np.matmul(x, t[y])
