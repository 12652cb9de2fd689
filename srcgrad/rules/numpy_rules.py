"""Rules for NumPy functions and ndarray methods/attributes.

Complex numbers (see runtime.py): holomorphic rules are `d[y] * f'(x)` with no
conjugate; abs, angle, real, imag and conj conjugate where autograd does; rules that
order values (maximum, minimum, clip, max, min) refuse complex input at run time.

Elementwise rules inline their derivative; reductions and products call a helper from
srcgrad.runtime because undoing an axis is not one NumPy expression.
"""
import builtins

import numpy as np

from .. import runtime as rt
from ..runtime import (arange_grad_start, arange_grad_step, astype_grad, concatenate_grad,
                       conj, dot_grad_a, dot_grad_b, extremum_grad, linspace_grad, mean_grad,
                       norm_grad, prod_grad, real_like, refuse_complex, stack_grad, sum_grad,
                       tensordot_grad_a, tensordot_grad_b, transpose_grad, unbroadcast)
from .registry import adjoint, d, nondifferentiable

# --- elementwise -------------------------------------------------------------


@adjoint(np.sin)
def _(y, x):
    d[x] = d[y] * np.cos(x)


@adjoint(np.cos)
def _(y, x):
    d[x] = -d[y] * np.sin(x)


@adjoint(np.tan)
def _(y, x):
    d[x] = d[y] * (1.0 + y * y)


@adjoint(np.arcsin)
def _(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos)
def _(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan)
def _(y, x):
    d[x] = d[y] / (1.0 + x * x)


@adjoint(np.sinh)
def _(y, x):
    d[x] = d[y] * np.cosh(x)


@adjoint(np.cosh)
def _(y, x):
    d[x] = d[y] * np.sinh(x)


@adjoint(np.tanh)
def _(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(np.exp)
def _(y, x):
    d[x] = d[y] * y


@adjoint(np.expm1)
def _(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(np.log)
def _(y, x):
    d[x] = d[y] / x


@adjoint(np.log1p)
def _(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(np.log2)
def _(y, x):
    d[x] = d[y] / (x * np.log(2.0))


@adjoint(np.log10)
def _(y, x):
    d[x] = d[y] / (x * np.log(10.0))


@adjoint(np.sqrt)
def _(y, x):
    d[x] = d[y] * 0.5 / y


@adjoint(np.square)
def _(y, x):
    d[x] = d[y] * 2.0 * x


@adjoint(np.reciprocal)
def _(y, x):
    d[x] = -d[y] * y * y


@adjoint(np.abs, np.absolute, np.fabs, builtins.abs)
def _(y, x):
    d[x] = d[y] * conj(np.sign(x))  # sign(x) = x / |x| for complex x


@adjoint(np.real, "ndarray.real")
def _(y, x):
    d[x] = d[y]


@adjoint(np.imag, "ndarray.imag")
def _(y, x):
    d[x] = real_like(-1j * d[y], x)


@adjoint(np.conjugate, "ndarray.conj", "ndarray.conjugate")
def _(y, x):
    d[x] = conj(d[y])


@adjoint(np.angle)
def _(y, x):
    d[x] = real_like(d[y] * np.conjugate(x * 1j) / (x * np.conjugate(x)), x)


@adjoint(np.maximum, np.fmax)
def _(z, x, y):
    d[x] = unbroadcast(d[z] * refuse_complex(x == z, z, "np.maximum") / (1.0 + (x == y)), x)
    d[y] = unbroadcast(d[z] * refuse_complex(y == z, z, "np.maximum") / (1.0 + (x == y)), y)


@adjoint(np.minimum, np.fmin)
def _(z, x, y):
    d[x] = unbroadcast(d[z] * refuse_complex(x == z, z, "np.minimum") / (1.0 + (x == y)), x)
    d[y] = unbroadcast(d[z] * refuse_complex(y == z, z, "np.minimum") / (1.0 + (x == y)), y)


@adjoint(np.where)
def _(z, c, x, y):
    d[x] = unbroadcast(np.where(c, d[z], 0.0), x)
    d[y] = unbroadcast(np.where(c, 0.0, d[z]), y)


@adjoint(np.clip)
def _(y, x, a_min=None, a_max=None):
    d[x] = d[y] * refuse_complex((y != a_min) & (y != a_max), y, "np.clip")
    d[a_min] = unbroadcast(d[y] * (y == a_min), a_min)
    d[a_max] = unbroadcast(d[y] * (y == a_max) * (y != a_min), a_max)


@adjoint(np.logaddexp)
def _(z, x, y):
    d[x] = unbroadcast(d[z] * np.exp(x - z), x)
    d[y] = unbroadcast(d[z] * np.exp(y - z), y)


@adjoint(np.copy, np.array, np.asarray, np.ascontiguousarray, "ndarray.copy")
def _(y, x):
    d[x] = d[y]


@adjoint("ndarray.astype")
def _(y, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    d[x] = astype_grad(d[y], x, dtype)


# --- reductions --------------------------------------------------------------


@adjoint(np.sum, "ndarray.sum")
def _(y, x, axis=None, keepdims=False):
    d[x] = sum_grad(d[y], x, axis, keepdims)


@adjoint(np.mean, "ndarray.mean")
def _(y, x, axis=None, keepdims=False):
    d[x] = mean_grad(d[y], x, axis, keepdims)


@adjoint(np.prod, "ndarray.prod")
def _(y, x, axis=None, keepdims=False):
    d[x] = prod_grad(d[y], x, y, axis, keepdims)


@adjoint(np.max, np.amax, "ndarray.max", np.min, np.amin, "ndarray.min")
def _(y, x, axis=None, keepdims=False):
    d[x] = extremum_grad(d[y], x, y, axis, keepdims)


@adjoint(np.linalg.norm)
def _(y, x, ord=None, axis=None, keepdims=False):
    d[x] = norm_grad(d[y], x, y, ord, axis, keepdims)


# --- products ----------------------------------------------------------------


@adjoint(np.dot, "ndarray.dot")
def _(z, x, y):
    d[x] = dot_grad_a(d[z], x, y)
    d[y] = dot_grad_b(d[z], x, y)


@adjoint(np.outer)
def _(z, x, y):
    d[x] = np.reshape(d[z] @ np.ravel(y), np.shape(x))
    d[y] = np.reshape(np.ravel(x) @ d[z], np.shape(y))


@adjoint(np.tensordot)
def _(z, x, y, axes=2):
    d[x] = tensordot_grad_a(d[z], x, y, axes)
    d[y] = tensordot_grad_b(d[z], x, y, axes)


# --- shape -------------------------------------------------------------------


@adjoint(np.transpose)
def _(y, x, axes=None):
    d[x] = transpose_grad(d[y], axes)


@adjoint("ndarray.transpose")
def _(y, x, *axes):
    d[x] = transpose_grad(d[y], axes)


@adjoint("ndarray.T")
def _(y, x):
    d[x] = np.transpose(d[y])


# A reshape in Fortran order is undone by reshaping the cotangent in the same order;
# 'A' (and ravel's 'K') depend on the memory layout, which srcgrad does not track.
_ORDERS = {"order": ("C", "F")}


@adjoint(np.reshape, supports=_ORDERS)
def _(y, x, shape=None, order="C", copy=None):
    d[x] = np.reshape(d[y], np.shape(x), order=order)


@adjoint("ndarray.reshape", supports=_ORDERS)
def _(y, x, *shape, order="C", copy=None):
    d[x] = np.reshape(d[y], np.shape(x), order=order)


@adjoint(np.ravel, "ndarray.ravel", "ndarray.flatten", supports=_ORDERS)
def _(y, x, order="C"):
    d[x] = np.reshape(d[y], np.shape(x), order=order)


@adjoint(np.squeeze)
def _(y, x, axis=None):
    d[x] = np.reshape(d[y], np.shape(x))


@adjoint("ndarray.squeeze")
def _(y, x, axis=None):
    d[x] = np.reshape(d[y], np.shape(x))


@adjoint(np.expand_dims)
def _(y, x, axis):
    d[x] = np.reshape(d[y], np.shape(x))


@adjoint(np.concatenate)
def _(y, parts, axis=0):
    d[parts] = concatenate_grad(d[y], parts, axis)


@adjoint(np.stack)
def _(y, parts, axis=0):
    d[parts] = stack_grad(d[y], parts, axis)


# --- constructors with a float argument -------------------------------------


@adjoint(np.linspace, supports={"retstep": (False,)})
def _(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    d[start] = linspace_grad(d[y], y, start, num, endpoint, axis, True)
    d[stop] = linspace_grad(d[y], y, stop, num, endpoint, axis, False)


@adjoint(np.full)
def _(y, shape, fill_value, dtype=None, order="C"):
    d[fill_value] = astype_grad(unbroadcast(d[y], fill_value), fill_value, np.result_type(y))


@adjoint(np.full_like)
def _(y, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    d[fill_value] = astype_grad(unbroadcast(d[y], fill_value), fill_value, np.result_type(y))


@adjoint(np.arange)
def _(y, start_or_stop, stop=None, step=1, dtype=None):
    d[start_or_stop] = arange_grad_start(d[y], y, stop)
    d[step] = arange_grad_step(d[y], y)


# --- no derivative -----------------------------------------------------------

nondifferentiable(
    np.zeros, np.ones, np.zeros_like, np.ones_like, np.empty, np.empty_like,
    np.eye, np.identity,
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.sign,
    np.floor, np.ceil, np.round, np.rint, np.trunc, np.isnan, np.isinf, np.isfinite,
    np.any, np.all, np.greater, np.less, np.equal, np.not_equal, np.greater_equal,
    np.less_equal, np.logical_and, np.logical_or, np.logical_not, np.allclose,
    np.isclose, np.count_nonzero, np.nonzero, np.floor_divide,
    len, range, int, bool, str, isinstance, print,
    "ndarray.shape", "ndarray.ndim", "ndarray.size", "ndarray.dtype",
    "ndarray.argmax", "ndarray.argmin", "ndarray.any", "ndarray.all",
    "ndarray.nonzero",
    rt.seed,
)
