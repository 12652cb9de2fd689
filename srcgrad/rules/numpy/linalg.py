"""np.linalg (the norm's helper is in srcgrad/runtime_linalg.py)."""
import numpy as np

from ...runtime import norm_grad
from ..registry import adjoint, d


@adjoint(np.linalg.norm)
def _(y, x, ord=None, axis=None, keepdims=False):
    d[x] = norm_grad(d[y], x, y, ord, axis, keepdims)
