"""Run-time helpers for the adjoint of np.linalg.norm (every `ord` NumPy documents).

Complex inputs follow autograd's convention: the gradient of a real f(z) is
df/dx - i df/dy, so |z| contributes conj(z) / |z|.
"""
import numbers

import numpy as np

from .errors import RuntimeRefusal

def _unit(x):
    """d|x|/dx elementwise: sign(x) for reals, conj(x)/|x| for complex (0 at 0)."""
    if np.iscomplexobj(x):
        a = np.abs(x)
        return np.conj(x) / np.where(a == 0, 1.0, a)
    return np.sign(x)


def _conj(x):
    return np.conj(x) if np.iscomplexobj(x) else x


def _share(values, axis):
    """The tie-splitting weights of max/min of `values` along `axis`: where the
    extremum is reached, 1/(number of ties); elsewhere 0 (as for np.max)."""
    return values / np.sum(values, axis=axis, keepdims=True)


def _axes(axis, ndim):
    """The reduced axes of norm(x, axis=axis) as a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    for a in items:
        if not isinstance(a, numbers.Integral):
            raise RuntimeRefusal(f"np.linalg.norm: cannot differentiate with axis={axis!r}")
    return tuple(int(a) % ndim for a in items)


def norm_grad(g, x, y, ord=None, axis=None, keepdims=False):
    """Adjoint of y = np.linalg.norm(x, ord, axis, keepdims) carrying cotangent g."""
    x = np.asarray(x)
    reduced = _axes(axis, x.ndim)
    flat = axis is None and ord is None  # the 2-norm of all elements, any ndim
    if not flat and len(reduced) not in (1, 2):
        raise RuntimeRefusal(f"np.linalg.norm: cannot differentiate ord={ord!r}, "
                             f"axis={axis!r} on an array of {x.ndim} dimensions")
    if not keepdims and reduced:  # g and y broadcast over x with size-1 reduced axes
        g = np.expand_dims(g, reduced)
        y = np.expand_dims(y, reduced)
    if flat or ord is None or (len(reduced) == 2 and ord == "fro") or \
            (len(reduced) == 1 and _is_real(ord) and ord == 2):
        return g / y * _conj(x)
    if len(reduced) == 1:
        return _vector_grad(g, x, y, ord, reduced[0])
    return _matrix_grad(g, x, ord, reduced)


def _is_real(ord):
    return isinstance(ord, numbers.Real) and not isinstance(ord, bool)


def _vector_grad(g, x, y, ord, axis):
    if not _is_real(ord):
        raise RuntimeRefusal(f"np.linalg.norm: cannot differentiate ord={ord!r} of a vector")
    if ord == 0:  # the number of nonzero entries: piecewise constant
        return np.zeros(x.shape, np.result_type(x, float))
    if ord in (np.inf, -np.inf):
        a = np.abs(x)
        pick = np.max if ord > 0 else np.min
        return g * _share(a == pick(a, axis=axis, keepdims=True), axis) * _unit(x)
    if ord == 1:
        return g * _unit(x)
    # d/dx (sum |x|^p)^(1/p) = |x|^(p-1) sign(x) / y^(p-1)
    return g / y ** (ord - 1) * np.abs(x) ** (ord - 1) * _unit(x)


def _matrix_grad(g, x, ord, reduced):
    if not (ord == "nuc" or _is_real(ord) and ord in (1, -1, 2, -2, np.inf, -np.inf)):
        raise RuntimeRefusal(f"np.linalg.norm: cannot differentiate the matrix norm "
                             f"ord={ord!r}")
    row, col = reduced
    xm = np.moveaxis(x, (row, col), (-2, -1))
    gm = np.moveaxis(g, (row, col), (-2, -1))  # (..., 1, 1)
    if ord == "nuc" or ord in (2, -2):
        u, _, vh = np.linalg.svd(xm, full_matrices=False)
        if ord == "nuc":  # the sum of the singular values: U V^T
            dm = u @ vh
        else:  # the largest (2) or smallest (-2) singular value: u_k v_k^T
            k = slice(0, 1) if ord == 2 else slice(-1, None)
            dm = u[..., :, k] @ vh[..., k, :]
        dm = _conj(dm)
    else:
        # 1/-1: the max/min over columns of the column sums of |x|; inf/-inf: the
        # max/min over rows of the row sums
        sum_axis, pick_axis = (-2, -1) if ord in (1, -1) else (-1, -2)
        sums = np.sum(np.abs(xm), axis=sum_axis, keepdims=True)
        pick = np.max if ord > 0 else np.min
        dm = _share(sums == pick(sums, axis=pick_axis, keepdims=True), pick_axis) * \
            _unit(xm)
    return np.moveaxis(gm * dm, (-2, -1), (row, col))
