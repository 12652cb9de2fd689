"""Array constructors: those with a float argument have rules; the rest create arrays
that carry no derivative."""
import numpy as np

from ... import runtime as rt
from ...runtime import (arange_grad_start, arange_grad_step, astype_grad, linspace_grad,
                        unbroadcast)
from ..registry import adjoint, d, nondifferentiable


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


nondifferentiable(np.zeros, np.ones, np.zeros_like, np.ones_like, np.empty, np.empty_like,
                  np.eye, np.identity, rt.seed)
