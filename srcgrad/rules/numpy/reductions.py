"""Reductions: each calls a helper from srcgrad.runtime because undoing an axis is not
one NumPy expression. Sum and mean are linear: their tangent is themselves."""
import numpy as np

from ...runtime import extremum_grad, mean_grad, prod_grad, sum_grad
from ..registry import adjoint, d, nondifferentiable
from ..shorthand import linear


@linear((np.sum, "ndarray.sum"))
def _(y, x, axis=None, keepdims=False):
    d[x] = sum_grad(d[y], x, axis, keepdims)


@linear((np.mean, "ndarray.mean"))
def _(y, x, axis=None, keepdims=False):
    d[x] = mean_grad(d[y], x, axis, keepdims)


@adjoint(np.prod, "ndarray.prod")
def _(y, x, axis=None, keepdims=False):
    d[x] = prod_grad(d[y], x, y, axis, keepdims)


@adjoint(np.max, np.amax, "ndarray.max", np.min, np.amin, "ndarray.min")
def _(y, x, axis=None, keepdims=False):
    d[x] = extremum_grad(d[y], x, y, axis, keepdims)


nondifferentiable(
    np.argmax, np.argmin, np.argsort, np.any, np.all, np.count_nonzero, np.nonzero,
    "ndarray.argmax", "ndarray.argmin", "ndarray.any", "ndarray.all", "ndarray.nonzero",
)
