"""Shape operations: linear, so each tangent is the operation applied to the tangent."""
import numpy as np

from ...runtime import concatenate_grad, stack_grad, transpose_grad, unbroadcast
from ..registry import d, nondifferentiable
from ..shorthand import linear


@linear(np.transpose)
def _(y, x, axes=None):
    d[x] = transpose_grad(d[y], axes)


@linear("ndarray.transpose")
def _(y, x, *axes):
    d[x] = transpose_grad(d[y], axes)


@linear("ndarray.T")
def _(y, x):
    d[x] = np.transpose(d[y])


# A reshape in Fortran order is undone by reshaping the cotangent in the same order;
# 'A' (and ravel's 'K') depend on the memory layout, which srcgrad does not track.
_ORDERS = {"order": ("C", "F")}


@linear(np.reshape, supports=_ORDERS)
def _(y, x, shape=None, order="C", copy=None):
    d[x] = np.reshape(d[y], np.shape(x), order=order)


@linear("ndarray.reshape", supports=_ORDERS)
def _(y, x, *shape, order="C", copy=None):
    d[x] = np.reshape(d[y], np.shape(x), order=order)


@linear((np.ravel, "ndarray.ravel", "ndarray.flatten"), supports=_ORDERS)
def _(y, x, order="C"):
    d[x] = np.reshape(d[y], np.shape(x), order=order)


@linear(np.squeeze)
def _(y, x, axis=None):
    d[x] = np.reshape(d[y], np.shape(x))


@linear("ndarray.squeeze")
def _(y, x, axis=None):
    d[x] = np.reshape(d[y], np.shape(x))


@linear(np.expand_dims)
def _(y, x, axis):
    d[x] = np.reshape(d[y], np.shape(x))


@linear(np.broadcast_to)
def _(y, x, shape, subok=False):
    d[x] = unbroadcast(d[y], x)


@linear(np.concatenate)
def _(y, parts, axis=0):
    d[parts] = concatenate_grad(d[y], parts, axis)


@linear(np.stack)
def _(y, parts, axis=0):
    d[parts] = stack_grad(d[y], parts, axis)


nondifferentiable(np.shape, np.ndim, np.size, "ndarray.shape", "ndarray.ndim",
                  "ndarray.size", "ndarray.dtype")
