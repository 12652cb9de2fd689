"""Rules for Python's operators (keyed by the `operator` module's functions)."""
import operator

import numpy as np

from ..runtime import matmul_grad_a, matmul_grad_b, unbroadcast
from .registry import adjoint, d, nondifferentiable


@adjoint(operator.add, np.add)
def _(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(d[z], y)


@adjoint(operator.sub, np.subtract)
def _(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(-d[z], y)


@adjoint(operator.mul, np.multiply)
def _(z, x, y):
    d[x] = unbroadcast(d[z] * y, x)
    d[y] = unbroadcast(d[z] * x, y)


@adjoint(operator.truediv, np.divide, np.true_divide)
def _(z, x, y):
    d[x] = unbroadcast(d[z] / y, x)
    d[y] = unbroadcast(-d[z] * z / y, y)


@adjoint(operator.pow, np.power)
def _(z, x, y):
    d[x] = unbroadcast(d[z] * y * x ** np.where(y, y - 1, 1.0), x)
    d[y] = unbroadcast(d[z] * np.log(np.where(x, x, 1.0)) * z, y)


@adjoint(operator.mod, np.mod, np.remainder)
def _(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(-d[z] * np.floor(x / y), y)


@adjoint(operator.matmul, np.matmul)
def _(z, x, y):
    d[x] = matmul_grad_a(d[z], x, y)
    d[y] = matmul_grad_b(d[z], x, y)


@adjoint(operator.neg, np.negative)
def _(y, x):
    d[x] = -d[y]


@adjoint(operator.pos, np.positive)
def _(y, x):
    d[x] = d[y]


nondifferentiable(
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.is_, operator.is_not, operator.contains,
    operator.floordiv, operator.invert, operator.and_, operator.or_, operator.xor,
    operator.lshift, operator.rshift, operator.truth,
)
