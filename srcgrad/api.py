"""The public API: grad, value_and_grad, vjp, show, stop_gradient.

What the user passes is checked first (arguments.py: options, argument values; and
targets.py: what `fun` is), so that every mistake is a SrcgradError saying what to do.
"""
import functools
import inspect
import operator
import types
import weakref

import numpy as np

from . import arguments, cache, compiler, dispatch, targets
from .arguments import check_call, check_cotangent, check_output, has_container
from .errors import ArgumentError, RuntimeRefusal
from .runtime import cast_like, stop_gradient  # noqa: F401  (public API, re-exported)


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


_WRAPPERS = "__srcgrad_wrappers__"
_wrappers = weakref.WeakKeyDictionary()  # fn -> {options: gradient}, for objects
#                                          without a __dict__ of their own
_primitives = {}  # id(fn) -> (fn, {options: gradient function}), for ufuncs and other
#                   callables without weak references (long-lived library objects)


class _Wrappers(dict):
    """A function's {options: gradient function}, kept in the function's own __dict__:
    a gradient refers to its function, and that cycle is freed with the function (a
    weak-keyed table's value referring to its key would never be). `owner` tells it
    from a copy functools.wraps made into another function's __dict__."""

    def __init__(self, owner):
        super().__init__()
        self.owner = weakref.ref(owner)

    def __reduce__(self):  # pickling fun's __dict__ (cloudpickle) leaves these out
        return cache._nothing, ()


def _known(fun, create=False):
    """The {options: gradient function} cache of `fun` (KeyError if none yet)."""
    namespace = getattr(fun, "__dict__", None)
    if type(namespace) is dict and isinstance(fun, types.FunctionType):
        found = namespace.get(_WRAPPERS)
        if type(found) is _Wrappers and found.owner() is fun:
            return found
        if not create:
            raise KeyError(fun)
        found = namespace[_WRAPPERS] = _Wrappers(fun)
        return found
    try:
        return _wrappers[fun] if not create else _wrappers.setdefault(fun, {})
    except TypeError:  # no weak reference to fun
        entry = _primitives.get(id(fun))
        if entry is None or entry[0] is not fun:
            if not create:
                raise KeyError(fun) from None
            entry = _primitives[id(fun)] = (fun, {})
        return entry[1]


_ndarray = np.ndarray


def kind_key(args):
    """Type, shape and dtype of each argument: what decides both the specialization
    and whether an argument may carry a derivative."""
    return tuple([(a.shape, a.dtype) if type(a) is _ndarray else type(a) for a in args])


_kind = operator.attrgetter("shape", "dtype", "__class__")


def _key(args):
    """The specialization key of positional `args` in the gradient's table: (shape,
    dtype, type) of arrays and NumPy scalars, computed in one C loop; kind_key
    otherwise. (The warm path, dispatch.py, tests the same without building it.)"""
    try:
        key = tuple(map(_kind, args))
        hash(key)
        return key
    except Exception:  # no shape (numbers, lists), or a user's object's odd one
        return kind_key(args)


def _bound(fun, arts, deep):
    """Drop the least recently used specializations beyond the cache limit, here and
    in the compile cache."""
    while len(arts) > cache.limit():
        try:
            old = next(iter(arts))
            art, _ = arts.pop(old)
        except (StopIteration, KeyError, RuntimeError):  # another thread got there
            break
        deep.discard(old)
        cache.forget(fun, art)


def _typed(option):
    """An option as a cache key that tells True, 1 and 1.0 apart."""
    if type(option) is tuple:
        return tuple((type(o), o) for o in option)
    return type(option), option


def _make(fun, mode, wrt, of, optimize, unroll, save_to):
    """The gradient function of `fun`; the same object for the same options, so that
    `srcgrad.grad(f)(x)` in a loop costs a dictionary lookup, not a new wrapper (for a
    bound method, a lookup and a small object binding self)."""
    key_fun, bound = fun, ()
    if type(fun) is types.MethodType:  # model.loss is a new object on every access
        key_fun, bound = fun.__func__, (fun.__self__,)
    key = (mode, bool(bound), _typed(wrt), _typed(of), _typed(optimize), _typed(unroll),
           save_to)
    try:
        inner = _known(key_fun)[key]
    except (KeyError, TypeError):  # not seen, or unhashable options
        inner = None
    if inner is None:
        wrt, of, optimize, unroll, save_to = arguments.normalize_options(
            wrt, of, optimize, unroll, save_to)
        target = targets.target(fun)
        inner = _new_wrapper(target, mode, target.translate_wrt(wrt), of, optimize,
                             unroll, save_to)
        if target.bound and not bound:
            return _BoundGradient(inner, target.bound, target.label)  # a callable object
        try:
            _known(key_fun, create=True)[key] = inner
        except TypeError:
            pass
    return _BoundGradient(inner, bound, fun.__func__.__qualname__) if bound else inner


class _BoundGradient:
    """The gradient of a bound method: calls the function's gradient with self first.
    A callable object, not a function, so that srcgrad never reads this module's source
    as the user's (differentiating it again goes through __srcgrad_bound__)."""

    def __init__(self, inner, bound, label):
        self.__srcgrad_bound__ = (inner, bound)
        self._inner = inner
        self._bound = bound
        self.__qualname__ = label
        self.__name__ = label.rpartition(".")[2]
        self.__doc__ = inner.__doc__

    def __call__(self, *args, **kwargs):
        return self._inner(*self._bound, *args, **kwargs)

    @property
    def __signature__(self):  # what callers pass: the parameters after self
        sig = inspect.signature(self._inner)
        return sig.replace(parameters=list(sig.parameters.values())[len(self._bound):])

    def __repr__(self):
        return f"<srcgrad gradient of {self.__qualname__}>"


class _ValueChecked:
    """An artifact whose output carries no derivative (the gradient is zero): its
    value, never computed by the grad code, is checked to be a number at all."""

    def __init__(self, art, target, mode):
        self.art = art
        self.target = target
        self.mode = mode
        self.valid = art.valid

    def main(self, *args, **kwargs):
        value, grads = self.art.main(*args, **kwargs)
        check_output(value, self.target)
        return grads if self.mode == "grad" else (value, grads)


def _new_wrapper(target, mode, wrt, of, optimize, unroll, save_to):
    fun = target.fn
    skip = len(target.bound)
    specs = []  # the Spec, made at the first call (it loads the compiler's passes)

    def base_spec():
        if not specs:
            specs.append(compiler.Spec(wrt=wrt, of=of, mode=mode, optimize=optimize,
                                       unroll=unroll, save_to=save_to))
        return specs[0]
    arts = cache.Table()  # argument kinds -> (Artifact specialized on them, its
    #                       dispatch entry or None); `arts.last`: the warm path's entry
    deep = set()  # kinds with containers, whose contents are checked on every call

    def compile_for(spec_):
        art = compiler.compile(fun, spec_)
        if art.info.get("output_active", True):
            return art
        if mode == "grad":  # the grad code never computes the value: get it too
            art = compiler.compile(fun, compiler.Spec(
                wrt, of, "value_and_grad", optimize, unroll, None, spec_.shapes,
                spec_.dtypes))
        return _ValueChecked(art, target, mode)

    def slow(args, kwargs):
        if kwargs:  # keyword calls are not specialized, and are checked every time
            check_call(target, wrt, args, kwargs, skip)
            return _located(compile_for(base_spec()).main, args, kwargs)
        key = _key(args)
        art, entry = arts.get(key, _NONE)
        if art is None or not art.valid():
            # the key holds each argument's type (and dtype), so a value that passed
            # this check once passes it for every later call with the same key
            check_call(target, wrt, args, kwargs, skip)
            art = compile_for(base_spec().with_shapes(shape_key(args), dtype_key(args)))
            container = has_container(args)
            entry = None if container else dispatch.entry(
                args, getattr(art, "art", art).flat_guards, art.main)
            arts.pop(key, None)
            arts[key] = (art, entry)
            _bound(fun, arts, deep)
            if container:
                deep.add(key)
        elif deep and key in deep:  # but not the contents of a list or tuple
            check_call(target, wrt, args, kwargs, skip)
        elif len(arts) > 1:  # least recently used first
            arts[key] = arts.pop(key, (art, entry))
        if entry is not None and (n is None or entry[2] == n):
            arts.last = entry  # the next call with these kinds takes the warm path
        return _located(art.main, args, {})

    n = dispatch.arity(target.signature)
    gradient = functools.wraps(fun)(dispatch.gradient(n, arts, slow, RuntimeRefusal, _locate))
    for copied in (_WRAPPERS, "__srcgrad_cache__"):  # functools.wraps copies fun's
        gradient.__dict__.pop(copied, None)
    gradient.__srcgrad_wrapped__ = lambda: compiler.compile(fun, base_spec()).functions["main"]
    gradient.__srcgrad_target__ = target
    if target.signature is not None:
        gradient.__signature__ = target.signature
    return gradient


_NONE = (None, None)


def _locate(exc):
    return compiler.locate(exc)


def _located(generated, args, kwargs):
    """Call generated code; a RuntimeRefusal from a runtime helper gets the user's file
    and line of the statement whose derivative raised it."""
    try:
        return generated(*args, **kwargs)
    except RuntimeRefusal as exc:
        raise compiler.locate(exc)


def _no_positional(name, extra):
    if extra:
        raise ArgumentError(
            f"{name}() takes the function as its only positional argument; got "
            f"{1 + len(extra)}",
            hint=f"Pass the position by keyword: srcgrad.{name}(f, wrt={extra[0]!r}) "
                 "(autograd's argnum).")


def grad(fun=None, *extra, wrt=0, of=None, optimize=True, unroll="auto", save_to=None):
    """The gradient of `fun` with respect to `wrt`, as a function of fun's arguments.

    `fun`: a Python function, a bound method (wrt counts the parameters after self,
    which carries no derivative), or a primitive srcgrad has a rule for (np.tanh).
    `wrt`: a parameter position or name, an intermediate local assigned once, or a
    tuple of those (then a tuple of gradients). `of`: differentiate this local variable
    (str) or this element of a returned tuple (int) instead of the return value. A
    non-scalar output is differentiated through the sum of its elements.
    """
    _no_positional("grad", extra)
    if fun is None:
        arguments.normalize_options(wrt, of, optimize, unroll, save_to)
        return lambda f: grad(f, wrt=wrt, of=of, optimize=optimize, unroll=unroll,
                              save_to=save_to)
    return _make(fun, "grad", wrt, of, optimize, unroll, save_to)


def value_and_grad(fun=None, *extra, wrt=0, of=None, optimize=True, unroll="auto",
                   save_to=None):
    """Like grad, but returns (value, gradient) from a single pass."""
    _no_positional("value_and_grad", extra)
    if fun is None:
        arguments.normalize_options(wrt, of, optimize, unroll, save_to)
        return lambda f: value_and_grad(f, wrt=wrt, of=of, optimize=optimize,
                                        unroll=unroll, save_to=save_to)
    return _make(fun, "value_and_grad", wrt, of, optimize, unroll, save_to)


def vjp(fun, *args, wrt=0, of=None, optimize=True, unroll="auto", **kwargs):
    """(value, pullback): pullback(cotangent) returns the gradient(s) wrt `wrt`; the
    cotangent is a number or an array of the value's shape.

    The pullback may be called any number of times; nothing is freed.
    """
    wrt, of, optimize, unroll, _ = arguments.normalize_options(wrt, of, optimize, unroll)
    target = targets.target(fun)
    fwrt = target.translate_wrt(wrt)
    args = target.bound + args
    values = check_call(target, fwrt, args, kwargs, len(target.bound))
    art = compiler.compile(target.fn, compiler.Spec(wrt=fwrt, of=of, mode="vjp",
                                                    optimize=optimize, unroll=unroll))
    value, saved = _located(art.functions["fwd"], args, kwargs)
    check_output(value, target)
    single = not isinstance(wrt, tuple)
    bwd = art.functions["bwd"]

    def pullback(cotangent):
        cotangent = check_cotangent(cotangent, value, target.label)
        grads = _located(bwd, (saved, cotangent), {})
        if len(values) == 1:  # the backward sweep returns a lone gradient as it is
            grads = (grads,)
        # parameters get their argument's type; intermediates' gradients stay as they are
        out = tuple(g if v is None else cast_like(g, v[1]) for g, v in zip(grads, values))
        return out[0] if single else out

    return value, pullback


def show(fun, *, wrt=0, of=None, optimize=True, unroll="auto", args=None):
    """The generated source of grad(fun, ...): exactly the code that runs.

    grad() specializes its code on the shapes of the arguments it is called with
    (dropping the undoing of broadcasting where shapes cannot differ). Without `args`
    this shows the generic code; `args=(x, ...)` shows the code that runs for them.
    """
    wrt, of, optimize, unroll, _ = arguments.normalize_options(wrt, of, optimize, unroll)
    if args is not None and not isinstance(args, (tuple, list)):
        raise ArgumentError(f"args must be a tuple of arguments, not {type(args).__name__}",
                            hint="For one argument write args=(x,).")
    target = targets.target(fun)
    if args is not None:
        args = target.bound + tuple(args)
    spec = compiler.Spec(wrt=target.translate_wrt(wrt), of=of, mode="grad",
                         optimize=optimize, unroll=unroll,
                         shapes=shape_key(args) if args is not None else None,
                         dtypes=dtype_key(args) if args is not None else None)
    return compiler.compile(target.fn, spec).full_text()
