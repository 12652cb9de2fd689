"""Run-time helpers that generated adjoint code calls.

Only operations that are not one NumPy expression live here (reductions undone along
an axis, scatter of a subscript's adjoint, casting a gradient to its argument's type).
Elementwise rules inline NumPy code; the few complex-number helpers below (real_like,
conj, refuse_complex) are removed at compile time where the values are statically real
(transforms/complexes.py).

Complex numbers follow autograd's (and JAX's) convention: the gradient of a real f(z)
is df/dx - i df/dy, and the adjoint passed back for a cotangent c is the gradient of
Re(sum(c * f)). Holomorphic rules are therefore c * f'(z) with no conjugate; the
adjoint of a real value is real (the real part where a real value meets a complex one).
"""
import numbers

import numpy as np

from .runtime_linalg import norm_grad  # noqa: F401  (generated code and rules use it)


def stop_gradient(x):
    """Identity at run time; srcgrad lets no derivative flow through it (registered as
    the 'stop' marker in rules/registry.py)."""
    return x


def is_complex(v):
    """Whether `v` holds complex numbers (cheap for arrays and Python numbers)."""
    t = type(v)
    if t is np.ndarray:
        return v.dtype.kind == "c"
    if t is float or t is int or v is None:
        return False
    if t is complex:
        return True
    if isinstance(v, (list, tuple)):
        return any(is_complex(e) for e in v)
    return np.iscomplexobj(v)


def real_like(g, x):
    """The adjoint `g` of a real `x` that met complex values: its real part (the
    derivative along the real axis, which is all x has). `g` as it is otherwise."""
    if is_complex(g) and not is_complex(x):
        return np.real(g)
    return g


def conj(v):
    """np.conjugate for complex values; real values as they are (no copy)."""
    return np.conjugate(v) if is_complex(v) else v


def refuse_complex(v, probe, what):
    """`v`, unless `probe` is complex: `what` has no derivative for complex numbers."""
    if is_complex(probe):
        from .errors import RuntimeRefusal
        raise RuntimeRefusal(
            f"{what} is not differentiable for complex numbers (it orders them, or has "
            "no complex derivative)", hint="Apply it to a real part, np.abs or np.real.")
    return v


def unbroadcast(g, x):
    """Sum `g` down to the shape of `x`, undoing NumPy broadcasting (and the real
    part for a real `x`: see real_like)."""
    shape = np.shape(x)
    gshape = np.shape(g)
    if is_complex(g) and not is_complex(x):
        g = np.real(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead > 0:
        g = np.sum(g, axis=tuple(range(lead)))
        gshape = np.shape(g)
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and gshape[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    if np.shape(g) != shape:  # g smaller than x (e.g. a scalar zero): spread it
        g = np.broadcast_to(g, shape)
    return g


def broadcast_like(g, x):
    """`g` brought to the shape of `x`: broadcast up, or summed down."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    try:
        return np.broadcast_to(g, shape)
    except ValueError:
        return unbroadcast(g, x)


def _expand(g, x, axis, keepdims):
    """Broadcast a reduction's adjoint `g` back over the shape of `x`."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def sum_grad(g, x, axis=None, keepdims=False):
    return _expand(g, x, axis, keepdims)


def mean_grad(g, x, axis=None, keepdims=False):
    shape = np.shape(x)
    if axis is None:
        count = np.prod(shape, dtype=int)
    else:
        axes = axis if isinstance(axis, tuple) else (axis,)
        count = int(np.prod([shape[a] for a in axes]))
    return _expand(g, x, axis, keepdims) / count


def extremum_grad(g, x, y, axis=None, keepdims=False):
    """Adjoint of max/min: ties share the gradient equally, so the total stays right."""
    # the check's result is used, so higher-order code differentiates through it
    hit = refuse_complex(np.asarray(x), x, "np.max/np.min") == _expand(y, x, axis, keepdims)
    share = hit / np.sum(hit, axis=axis, keepdims=True)
    return _expand(g, x, axis, keepdims) * share


def prod_grad(g, x, y, axis=None, keepdims=False):
    return _expand(g, x, axis, keepdims) * _expand(y, x, axis, keepdims) / x


def _as_matrix_pair(a, b):
    return np.asarray(a), np.asarray(b)


def matmul_grad_a(g, a, b):
    """Adjoint of `a @ b` (or np.dot for operands of up to 2 dimensions) for a (real
    for a real `a`, like every helper reverse.py lists in _SELF_REAL)."""
    a, b = _as_matrix_pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return unbroadcast(g * b, a)
    if a.ndim == 1 and b.ndim == 1:
        return real_like(g * b, a)
    if b.ndim == 1:
        g = np.expand_dims(g, -1)
        b = b[None, :]
    else:
        b = np.swapaxes(b, -1, -2)
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
        da = g @ b
        return unbroadcast(da, a[None, :]).reshape(a.shape)
    return unbroadcast(g @ b, a)


def matmul_grad_b(g, a, b):
    a, b = _as_matrix_pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return unbroadcast(g * a, b)
    if a.ndim == 1 and b.ndim == 1:
        return real_like(g * a, b)
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
        a = a[:, None]
    else:
        a = np.swapaxes(a, -1, -2)
    if b.ndim == 1:
        g = np.expand_dims(g, -1)
        db = a @ g
        return unbroadcast(db, b[:, None]).reshape(b.shape)
    return unbroadcast(a @ g, b)


def _tensordot_axes(axes, a_ndim, b_ndim):
    """The summed axes of np.tensordot(a, b, axes) as two paired lists of
    non-negative ints (a_sum[k] is contracted with b_sum[k])."""
    if isinstance(axes, numbers.Integral):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, numbers.Integral) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, numbers.Integral) else list(b_axes)
    return [i % a_ndim for i in a_axes], [i % b_ndim for i in b_axes]


def tensordot_grad_a(g, a, b, axes=2):
    a, b = _as_matrix_pair(a, b)
    a_sum, b_sum = _tensordot_axes(axes, a.ndim, b.ndim)
    a_free = [i for i in range(a.ndim) if i not in a_sum]
    b_free = [i for i in range(b.ndim) if i not in b_sum]
    g_b = list(range(len(a_free), np.ndim(g)))
    # dims of out: a_free..., then b's summed axes in increasing order, each standing
    # for the axis of a it was paired with
    out = np.tensordot(g, b, axes=(g_b, b_free))
    held = a_free + [a_sum[b_sum.index(j)] for j in sorted(b_sum)]
    return np.transpose(out, np.argsort(held))


def tensordot_grad_b(g, a, b, axes=2):
    a, b = _as_matrix_pair(a, b)
    a_sum, b_sum = _tensordot_axes(axes, a.ndim, b.ndim)
    a_free = [i for i in range(a.ndim) if i not in a_sum]
    g_a = list(range(len(a_free)))
    b_free = [i for i in range(b.ndim) if i not in b_sum]
    # dims of out: a's summed axes in increasing order (as their paired axes of b),
    # then b_free...
    out = np.tensordot(a, g, axes=(a_free, g_a))
    held = [b_sum[a_sum.index(i)] for i in sorted(a_sum)] + b_free
    return np.transpose(out, np.argsort(held))


def _dot_axes(b):
    # np.dot sums a's last axis with b's second-to-last (its only axis when 1-d)
    return [-1], [max(np.ndim(b) - 2, 0)]


def dot_grad_a(g, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0 or (np.ndim(a) <= 2 and np.ndim(b) <= 2):
        return matmul_grad_a(g, a, b)  # a scalar operand: a product, no contraction
    return real_like(tensordot_grad_a(g, a, b, _dot_axes(b)), a)


def dot_grad_b(g, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0 or (np.ndim(a) <= 2 and np.ndim(b) <= 2):
        return matmul_grad_b(g, a, b)
    return real_like(tensordot_grad_b(g, a, b, _dot_axes(b)), b)


def transpose_grad(g, axes=None):
    """Adjoint of np.transpose(x, axes) and of x.transpose(*axes), whose axes may also
    come as one tuple (x.transpose((2, 0, 1))) or as None."""
    if isinstance(axes, tuple) and len(axes) == 1 and \
            (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    if axes is None or (isinstance(axes, tuple) and not axes):
        return np.transpose(g)
    ndim = len(axes)
    return np.transpose(g, np.argsort([int(a) % ndim for a in axes]))


def linspace_grad(g, y, end, num=50, endpoint=True, axis=0, first=True):
    """Adjoint of y = np.linspace(start, stop, num, endpoint, axis=axis) for `end`,
    the start (first) or the stop: y_k = start + (stop - start) * t_k, t_k = k / div."""
    if np.result_type(y).kind not in "fc":  # an integer dtype floors: a step function
        return zeros_like(end)
    g = np.moveaxis(np.asarray(g), axis, 0) if np.ndim(g) > 1 else np.asarray(g)
    div = (num - 1) if endpoint else num
    t = np.arange(num) / div if div > 0 else np.zeros(num)
    w = (1.0 - t) if first else t
    total = np.tensordot(w, g, axes=(0, 0)) if num else np.zeros(np.shape(g)[1:])
    return unbroadcast(total, end)


def arange_grad_start(g, y, stop):
    """Adjoint of y = np.arange(start, stop, step) for start (for np.arange(stop), its
    only argument is the stop: the count is all it decides, a step function)."""
    if stop is None or np.result_type(y).kind not in "fc":
        return 0.0
    return np.sum(g)


def arange_grad_step(g, y):
    """Adjoint of y = np.arange(start, stop, step) for step: y_k = start + k * step."""
    if np.result_type(y).kind not in "fc":
        return 0.0
    return np.sum(g * np.arange(np.size(y)))


def concatenate_grad(g, parts, axis=0):
    if axis is None:
        sizes = np.cumsum([np.size(p) for p in parts])[:-1]
        return tuple(np.reshape(real_like(piece, p), np.shape(p))
                     for piece, p in zip(np.split(g, sizes), parts))
    sizes = np.cumsum([np.shape(p)[axis] for p in parts])[:-1]
    return tuple(real_like(piece, p)
                 for piece, p in zip(np.split(g, sizes, axis=axis), parts))


def stack_grad(g, parts, axis=0):
    return tuple(real_like(np.take(g, i, axis=axis), p) for i, p in enumerate(parts))


def _is_basic_index(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (numbers.Integral, slice)) or i is None or i is Ellipsis
               for i in items)


def zeros_like(x):
    """A fresh zero adjoint shaped like the primal value `x` (lists/tuples elementwise)."""
    if isinstance(x, (list, tuple)):
        return rebuild(x, [zeros_like(v) for v in x])
    if isinstance(x, np.ndarray):
        return np.zeros(x.shape, dtype=x.dtype if x.dtype.kind in "fc" else float)
    return 0.0 * x if isinstance(x, (float, complex, np.inexact)) else 0.0


def astype_grad(g, x, dtype):
    """The cotangent of `x.astype(dtype)`, in x's dtype; zero through a cast to
    integers or booleans, which is a step function."""
    if np.dtype(dtype).kind not in "fc":
        return zeros_like(x)
    return np.asarray(real_like(g, x), dtype=np.result_type(x))


def add(a, b):
    """a + b for adjoints that may be tuples or lists of adjoints (elementwise)."""
    if isinstance(a, (tuple, list)):
        return rebuild(a, [add(x, y) for x, y in zip(a, b)])
    return a + b


def scatter_add(acc, x, idx, g):
    """Return acc + (the adjoint of `x[idx]` carrying `g`), with acc None meaning zero.

    Updates `acc` in place: the generated code passes only an acc it owns (made here
    or by zeros_like), and rebinds its name to the result.
    """
    if isinstance(x, (list, tuple)):
        acc = list(zeros_like(x)) if acc is None else list(acc)
        if isinstance(idx, slice):
            positions = range(len(x))[idx]
            for k, gk in zip(positions, g):
                acc[k] = add(acc[k], gk)
        else:
            acc[idx] = add(acc[idx], g)
        return rebuild(x, acc)
    if acc is None:
        acc = zeros_like(np.asarray(x))
    if _is_basic_index(idx):
        acc[idx] += g
    else:
        np.add.at(acc, idx, g)
    return acc


def take_saved(y, idx):
    """A copy of `y[idx]`, saved before `y[idx]` is overwritten."""
    value = y[idx]
    return value.copy() if isinstance(value, np.ndarray) else value


def zero_at(dy, y, idx, owned):
    """`dy` with the entries at `idx` zeroed (a copy unless the caller owns dy)."""
    if isinstance(dy, (list, tuple)):
        dy = list(dy)
        dy[idx] = zeros_like(y[idx])
        return rebuild(y, dy)
    dy = np.array(np.broadcast_to(dy, np.shape(y))) if not owned or np.shape(dy) != np.shape(y) else dy
    dy[idx] = 0
    return dy


def element(dy, idx):
    """The adjoint of one element/slice of an array or list adjoint (never a view:
    the caller may zero those entries of `dy` in place next)."""
    piece = dy[idx]
    return piece.copy() if isinstance(piece, np.ndarray) else piece


def written_last(y, idx):
    """For `y[idx] = v`: a boolean array over the selection `y[idx]` that is True where
    that element's write is the one NumPy keeps (the last write to a repeated
    position); True when `idx` is basic or a boolean mask (no position repeats)."""
    if not isinstance(y, np.ndarray) or _is_basic_index(idx) or \
            isinstance(idx, np.ndarray) and idx.dtype == bool:
        return True
    pos = np.full(y.shape, -1, dtype=np.intp)
    shape = np.shape(pos[idx])
    order = np.arange(int(np.prod(shape, dtype=np.intp)), dtype=np.intp).reshape(shape)
    pos[idx] = order  # the same assignment with position numbers: later ones win
    return pos[idx] == order


def assigned_part(dy, y, idx):
    """The cotangent of the value `v` written by `y[idx] = v`: dy[idx] (a copy), zero
    where a repeated index let a later element's write win."""
    piece = element(dy, idx)
    won = written_last(y, idx)
    if won is True:
        return piece
    return np.where(won, piece, 0.0 * piece)


def copy_value(x):
    """A copy of an array (or list) the generated code is about to write into but
    does not own: an argument, or a value it returned or saved for a pullback."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, list):
        return list(x)
    return x


def as_list(g):
    """A list adjoint of a list the code appends to (its adjoint is popped once per
    append): a new list of the items of a tuple or of an array's rows."""
    return list(g)


def refuse_shared_array(value, message):
    """Raise when an augmented assignment would update an array shared with another
    name (srcgrad reads `s += e` as `s = s + e`, which is right only for scalars)."""
    if isinstance(value, np.ndarray):
        from .errors import UnsupportedSyntaxError
        raise UnsupportedSyntaxError(message)


def seed(y):
    """The cotangent of a scalar or array output: ones, i.e. d sum(y) / dy."""
    if isinstance(y, (float, int)):
        return 1.0
    if isinstance(y, (tuple, list, dict)):
        from .errors import ArgumentError
        raise ArgumentError(
            f"the differentiated function returned a {type(y).__name__}, not a number or "
            "an array.", hint="Pick one element with of=INDEX, or return a single value.")
    if np.result_type(y).kind not in "biufc" if isinstance(y, (np.ndarray, np.generic)) \
            else not isinstance(y, numbers.Number):
        from .errors import RuntimeRefusal
        raise RuntimeRefusal(
            f"the differentiated function returned {type(y).__name__} {y!r:.40}, which is "
            "not a number or a numeric array.")
    return np.ones_like(y, dtype=None if np.result_type(y).kind in "fc" else float)


def cast_like(g, x):
    """The gradient `g` in the type, shape and dtype of the argument `x`; a fresh,
    writable array for an array argument. `g` may be anything that broadcasts to x.
    A real `x` gets the real part of a complex `g` (see real_like)."""
    if type(x) is np.ndarray:  # the common case first: it costs one call
        if type(g) is np.ndarray and g.base is None and g.dtype == x.dtype and \
                g.shape == x.shape and g is not x:
            return g  # already a fresh array of the right kind
        if x.dtype.kind != "c" and is_complex(g):
            g = np.real(g)
        if np.ndim(g) == 0 and not isinstance(g, complex):
            out = np.empty(x.shape, x.dtype)
            out.fill(g)  # a scalar cotangent spread over x
            return out
        g = unbroadcast(g, x) if np.shape(g) != x.shape else g
        out = np.asarray(g, dtype=x.dtype)
        if out.shape != x.shape:
            out = np.broadcast_to(out, x.shape)
        if not out.flags.writeable or out is g and not out.flags.owndata:
            out = np.array(out)
        return out
    if type(x) is float:
        if type(g) is float:
            return g
        g = np.real(g) if is_complex(g) else g
        return float(np.sum(g)) if np.ndim(g) else float(g)
    if isinstance(x, bool):
        raise TypeError("cannot differentiate with respect to a bool")
    if isinstance(x, complex):
        return complex(np.sum(g)) if np.ndim(g) else complex(g)
    if isinstance(x, (list, tuple)):
        return rebuild(x, [cast_like(gi, xi) for gi, xi in zip(_pieces(g, x), x)])
    if isinstance(x, np.generic):
        g = np.real(g) if is_complex(g) and not is_complex(x) else g
        return x.dtype.type(np.sum(g) if np.ndim(g) else g)
    return g


def rebuild(x, items):
    """A list or tuple of `items` of the type of `x` (a NamedTuple takes its fields as
    separate arguments)."""
    if type(x) is list or type(x) is tuple:
        return type(x)(items)
    if hasattr(x, "_fields"):
        return type(x)(*items)
    return type(x)(items)


def _pieces(g, x):
    """The gradient `g` of a list or tuple argument `x` as one piece per element of x.
    `g` is a list or tuple of as many pieces, or an array of x's own shape (the adjoint
    of a NumPy function that read x as an array). Anything else would be spread or
    truncated into a wrong gradient: refused."""
    from .errors import RuntimeRefusal
    if isinstance(g, (list, tuple)):
        if len(g) == len(x):
            return g
        found = f"a {type(g).__name__} of {len(g)} pieces"
    else:
        try:
            shape = np.shape(x)
        except ValueError:  # a ragged list: it has no array shape
            shape = None
        if shape is not None and np.shape(g) == shape and shape:
            return [g[i] for i in range(len(x))]
        found = f"a value of shape {np.shape(g)}"
    raise RuntimeRefusal(
        f"the gradient with respect to a {type(x).__name__} of {len(x)} elements came out "
        f"as {found}: the code used the {type(x).__name__} in a way srcgrad cannot "
        "differentiate (list and tuple operators such as + and * concatenate and repeat)",
        hint="Convert the argument to an array with np.asarray(x) before calling, or pass "
             "its elements as separate parameters.")
