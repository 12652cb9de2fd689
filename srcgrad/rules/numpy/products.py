"""Products (np.matmul is with the @ operator in rules/builtins.py). Each is bilinear:
its tangent is the product of one argument's tangent with the other argument."""
import numpy as np

from ...runtime import dot_grad_a, dot_grad_b, tensordot_grad_a, tensordot_grad_b
from ..registry import adjoint, d, t, tangent


@adjoint(np.dot, "ndarray.dot")
def _(z, x, y):
    d[x] = dot_grad_a(d[z], x, y)
    d[y] = dot_grad_b(d[z], x, y)


@tangent(np.dot, "ndarray.dot")
def _(z, x, y):
    t[z] = np.dot(t[x], y)
    t[z] = np.dot(x, t[y])


@adjoint(np.outer)
def _(z, x, y):
    d[x] = np.reshape(d[z] @ np.ravel(y), np.shape(x))
    d[y] = np.reshape(np.ravel(x) @ d[z], np.shape(y))


@tangent(np.outer)
def _(z, x, y):
    t[z] = np.outer(t[x], y)
    t[z] = np.outer(x, t[y])


@adjoint(np.tensordot)
def _(z, x, y, axes=2):
    d[x] = tensordot_grad_a(d[z], x, y, axes)
    d[y] = tensordot_grad_b(d[z], x, y, axes)


@tangent(np.tensordot)
def _(z, x, y, axes=2):
    t[z] = np.tensordot(t[x], y, axes)
    t[z] = np.tensordot(x, t[y], axes)
