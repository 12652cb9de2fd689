"""The public API: grad, value_and_grad, vjp, show, stop_gradient."""
import functools
import inspect
import weakref

import numpy as np

from . import compiler
from .errors import ArgumentError
from .runtime import cast_like

_NOT_DIFFERENTIABLE = (bool, int, str, bytes, np.integer, np.bool_)


def stop_gradient(x):
    """Identity at run time; srcgrad lets no derivative flow through it."""
    return x


def _wrt_slots(fun, wrt):
    """[(position, name)] of the parameters named in `wrt` (intermediates skipped)."""
    try:
        params = list(inspect.signature(fun).parameters)
    except (TypeError, ValueError):
        return []
    slots = []
    for w in (wrt if isinstance(wrt, tuple) else (wrt,)):
        if isinstance(w, int) and not isinstance(w, bool) and -len(params) <= w < len(params):
            slots.append((w % len(params), params[w]))
        elif isinstance(w, str) and w in params:
            slots.append((params.index(w), w))
    return slots


def _article(word):
    return "an" if word[:1] in "aeiou" else "a"


def _check_values(slots, args, kwargs, fun):
    for pos, pname in slots:
        value = args[pos] if pos < len(args) else kwargs.get(pname)
        bad = isinstance(value, _NOT_DIFFERENTIABLE) or (
            isinstance(value, np.ndarray) and value.dtype.kind not in "fc")
        if bad:
            kind = type(value).__name__ if not isinstance(value, np.ndarray) \
                else f"array of {value.dtype}"
            raise ArgumentError(
                f"cannot differentiate {fun.__qualname__}() with respect to {pname!r}: "
                f"it is {_article(kind)} {kind}; only float (and complex) numbers and arrays carry "
                "derivatives.", filename=fun.__code__.co_filename,
                lineno=fun.__code__.co_firstlineno, function=fun.__qualname__,
                hint="Pass a float, e.g. float(x) or x.astype(float), or leave it out "
                     "of wrt.")


_SCALARS = (float, int, bool)


def shape_key(args):
    """The argument shapes generated code is specialized on (None where unknown)."""
    key = []
    for a in args:
        t = type(a)
        key.append(a.shape if t is np.ndarray else () if t in _SCALARS or
                   isinstance(a, np.generic) else None)
    return tuple(key)


def dtype_key(args):
    """Each argument's NumPy dtype string, 'float' or 'int' for Python numbers."""
    return tuple(a.dtype.str if type(a) is np.ndarray else
                 {float: "float", int: "int"}.get(type(a)) for a in args)


_wrappers = weakref.WeakKeyDictionary()  # fun -> {options: gradient function}


_ndarray = np.ndarray


def kind_key(args):
    """Type, shape and dtype of each argument: what decides both the specialization
    and whether an argument may carry a derivative."""
    return tuple([(a.shape, a.dtype) if type(a) is _ndarray else type(a) for a in args])


def _make(fun, mode, wrt, of, optimize, unroll, save_to):
    """The gradient function of `fun`; the same object for the same options, so that
    `srcgrad.grad(f)(x)` in a loop costs a dictionary lookup, not a new wrapper."""
    options = (mode, wrt, of, optimize, unroll, save_to)
    try:
        known = _wrappers.get(fun)
        if known is not None and options in known:
            return known[options]
    except TypeError:  # unhashable options or a non-weakrefable callable
        return _new_wrapper(fun, mode, wrt, of, optimize, unroll, save_to)
    wrapper = _new_wrapper(fun, mode, wrt, of, optimize, unroll, save_to)
    try:
        _wrappers.setdefault(fun, {})[options] = wrapper
    except TypeError:
        pass
    return wrapper


def _new_wrapper(fun, mode, wrt, of, optimize, unroll, save_to):
    spec = compiler.Spec(wrt=wrt, of=of, mode=mode, optimize=optimize, unroll=unroll,
                         save_to=save_to)
    slots = _wrt_slots(fun, wrt)
    arts = {}  # argument shapes -> Artifact specialized on them

    @functools.wraps(fun)
    def gradient(*args, **kwargs):
        if kwargs:  # keyword calls are not specialized, and are checked every time
            if slots:
                _check_values(slots, args, kwargs, fun)
            return compiler.compile(fun, spec).main(*args, **kwargs)
        key = kind_key(args)
        art = arts.get(key)
        if art is None or not art.valid():
            # the key holds each argument's type (and dtype), so a value that passed
            # this check once passes it for every later call with the same key
            if slots:
                _check_values(slots, args, kwargs, fun)
            art = arts[key] = compiler.compile(fun, spec.with_shapes(shape_key(args),
                                                                     dtype_key(args)))
        return art.main(*args)

    gradient.__srcgrad_wrapped__ = lambda: compiler.compile(fun, spec).functions["main"]
    return gradient


def grad(fun=None, *, wrt=0, of=None, optimize=True, unroll="auto", save_to=None):
    """The gradient of `fun` with respect to `wrt`, as a function of fun's arguments.

    `wrt`: a parameter position or name, an intermediate local assigned once, or a
    tuple of those (then a tuple of gradients). `of`: differentiate this local variable
    (str) or this element of a returned tuple (int) instead of the return value. A
    non-scalar output is differentiated through the sum of its elements.
    """
    if fun is None:
        return lambda f: grad(f, wrt=wrt, of=of, optimize=optimize, unroll=unroll,
                              save_to=save_to)
    return _make(fun, "grad", wrt, of, optimize, unroll, save_to)


def value_and_grad(fun=None, *, wrt=0, of=None, optimize=True, unroll="auto",
                   save_to=None):
    """Like grad, but returns (value, gradient) from a single pass."""
    if fun is None:
        return lambda f: value_and_grad(f, wrt=wrt, of=of, optimize=optimize,
                                        unroll=unroll, save_to=save_to)
    return _make(fun, "value_and_grad", wrt, of, optimize, unroll, save_to)


def vjp(fun, *args, wrt=0, of=None, optimize=True, unroll="auto", **kwargs):
    """(value, pullback): pullback(cotangent) returns the gradient(s) wrt `wrt`.

    The pullback may be called any number of times; nothing is freed.
    """
    slots = _wrt_slots(fun, wrt)
    _check_values(slots, args, kwargs, fun)
    art = compiler.compile(fun, compiler.Spec(wrt=wrt, of=of, mode="vjp",
                                              optimize=optimize, unroll=unroll))
    value, saved = art.functions["fwd"](*args, **kwargs)
    like = [args[pos] if pos < len(args) else kwargs.get(pname) for pos, pname in slots]
    single = not isinstance(wrt, tuple)

    def pullback(cotangent):
        if np.shape(cotangent) != np.shape(value):
            raise ArgumentError(
                f"the cotangent has shape {np.shape(cotangent)}, but "
                f"{fun.__qualname__}() returned a value of shape {np.shape(value)}")
        grads = art.functions["bwd"](saved, cotangent)
        if single:
            grads = (grads,)
        out = tuple(cast_like(g, x) if i < len(like) else g
                    for i, (g, x) in enumerate(zip(grads, like + [None] * len(grads))))
        return out[0] if single else out

    return value, pullback


def show(fun, *, wrt=0, of=None, optimize=True, unroll="auto", args=None):
    """The generated source of grad(fun, ...): exactly the code that runs.

    grad() specializes its code on the shapes of the arguments it is called with
    (dropping the undoing of broadcasting where shapes cannot differ). Without `args`
    this shows the generic code; `args=(x, ...)` shows the code that runs for them.
    """
    spec = compiler.Spec(wrt=wrt, of=of, mode="grad", optimize=optimize, unroll=unroll,
                         shapes=shape_key(args) if args is not None else None,
                         dtypes=dtype_key(args) if args is not None else None)
    return compiler.compile(fun, spec).full_text()
