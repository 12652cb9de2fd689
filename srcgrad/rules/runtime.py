"""Rules for srcgrad's own run-time helpers, so generated adjoints can be
differentiated again (higher-order derivatives)."""
import numpy as np

from .. import runtime as rt
from ..runtime import (broadcast_like, dot_grad_a, dot_grad_b, element, matmul_grad_a,
                       matmul_grad_b, scatter_add, unbroadcast, written_last, zero_at)
from .registry import adjoint, d, nondifferentiable


@adjoint(rt.cast_like)
def _(y, g, x):
    d[g] = broadcast_like(d[y], g)


@adjoint(rt.unbroadcast)
def _(y, g, x):
    d[g] = broadcast_like(d[y], g)


@adjoint(rt.broadcast_like)
def _(y, g, x):
    d[g] = broadcast_like(d[y], g)


@adjoint(rt.sum_grad)
def _(y, g, x, axis=None, keepdims=False):
    d[g] = broadcast_like(np.sum(d[y], axis=axis, keepdims=keepdims), g)


@adjoint(rt.mean_grad)
def _(y, g, x, axis=None, keepdims=False):
    d[g] = broadcast_like(np.sum(d[y], axis=axis, keepdims=keepdims), g) * (
        np.size(g) / np.size(x))


@adjoint(rt.element)
def _(y, g, idx):
    d[g] = scatter_add(None, g, idx, d[y])


@adjoint(rt.assigned_part)
def _(out, g, y, idx):
    d[g] = scatter_add(None, g, idx, d[out] * written_last(y, idx))


@adjoint(rt.as_list)
def _(y, g):
    d[g] = d[y]


@adjoint(rt.copy_value)
def _(y, x):
    d[x] = d[y]


@adjoint(rt.take_saved)
def _(y, g, idx):
    d[g] = scatter_add(None, g, idx, d[y])


@adjoint(rt.scatter_add)
def _(y, acc, x, idx, g):
    d[acc] = d[y]
    d[g] = unbroadcast(element(d[y], idx), g)


@adjoint(rt.zero_at)
def _(y, g, x, idx, owned):
    d[g] = zero_at(d[y], x, idx, False)


# y = matmul_grad_a(g, a, b) is the transpose of a -> a @ b applied to g: linear in g,
# whose transpose is that product again, and bilinear in (g, b).
@adjoint(rt.matmul_grad_a)
def _(y, g, a, b):
    d[g] = np.matmul(d[y], b)
    d[b] = matmul_grad_b(g, d[y], b)


@adjoint(rt.matmul_grad_b)
def _(y, g, a, b):
    d[g] = np.matmul(a, d[y])
    d[a] = matmul_grad_a(g, a, d[y])


# The same for np.dot, whose contraction differs from matmul's above two dimensions.
@adjoint(rt.dot_grad_a)
def _(y, g, a, b):
    d[g] = np.dot(d[y], b)
    d[b] = dot_grad_b(g, d[y], b)


@adjoint(rt.dot_grad_b)
def _(y, g, a, b):
    d[g] = np.dot(a, d[y])
    d[a] = dot_grad_a(g, a, d[y])


@adjoint(rt.real_like)
def _(y, g, x):
    d[g] = d[y]  # the real part's cotangent enters g along the real axis


@adjoint(rt.refuse_complex)
def _(y, v, probe, what):
    d[v] = d[y]


@adjoint(rt.conj)
def _(y, v):
    d[v] = rt.conj(d[y])


@adjoint(rt.add)
def _(y, a, b):
    d[a] = d[y]
    d[b] = d[y]


nondifferentiable(rt.seed, rt.zeros_like, rt.refuse_shared_array, rt.written_last)
