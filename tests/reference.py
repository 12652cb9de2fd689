"""Test helpers: build a function from source text twice, against NumPy (for srcgrad)
and against autograd.numpy (the reference tape), and compare their gradients."""
import itertools
import linecache
import textwrap

import autograd
import autograd.numpy as anp
import numpy as np

import srcgrad

_count = itertools.count()

# The textbook chapter's data-dependent function (while loop and branch on the values).
CHAPTER = """
def f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c
"""


def build(src, name, np_module=np, extra=None, filename=None):
    """Compile `src` under a linecache-registered filename and return `name` from it."""
    src = textwrap.dedent(src)
    filename = filename or f"<srcgrad-test-{next(_count)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {"np": np_module, "srcgrad": srcgrad}
    namespace.update(extra or {})
    exec(compile(src, filename, "exec"), namespace)
    return namespace[name]


def tape_grad(src, name, args, wrt=0, extra=None):
    """The gradient autograd computes for the same source (sum of a non-scalar output)."""
    f = build(src, name, anp, extra)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)

    def total(*a):
        return anp.sum(f(*a))
    grads = [autograd.grad(total, p)(*args) for p in positions]
    return tuple(grads) if isinstance(wrt, tuple) else grads[0]


def numeric_grad(f, args, wrt=0, eps=1e-6):
    """Central finite differences of sum(f(*args)) with respect to args[wrt]."""
    args = list(args)
    x = args[wrt]
    scalar = np.ndim(x) == 0
    base = np.array(x, dtype=float)
    g = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        for sign in (1, -1):
            xp = base.copy()
            xp[idx] += sign * eps
            args[wrt] = float(xp) if scalar else xp
            g[idx] += sign * np.sum(f(*args))
    g /= 2 * eps
    return float(g) if scalar else g


def assert_close(actual, expected, rtol=1e-6, atol=1e-8):
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol, atol)
        return
    np.testing.assert_allclose(np.asarray(actual, dtype=float),
                               np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


def check(src, name, args, wrt=0, extra=None, unroll="auto", rtol=1e-6):
    """srcgrad (optimized and not) must match autograd on the same source."""
    f = build(src, name, np, extra)
    expected = tape_grad(src, name, args, wrt, extra)
    results = []
    for optimize in (True, False):
        got = srcgrad.grad(f, wrt=wrt, optimize=optimize, unroll=unroll)(*args)
        assert_close(got, expected, rtol=rtol)
        _check_types(got, args, wrt)
        results.append(got)
    return results[0]


def _check_types(got, args, wrt):
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    gots = got if isinstance(wrt, tuple) else (got,)
    for g, p in zip(gots, positions):
        x = args[p]
        if isinstance(x, float):
            assert isinstance(g, float), (type(g), type(x))
        elif isinstance(x, np.ndarray):
            assert isinstance(g, np.ndarray) and g.shape == x.shape and g.dtype == x.dtype, \
                (getattr(g, "shape", None), x.shape)
