"""What `grad(fun)` differentiates: `fun` made into a Python function to compile plus
the leading arguments bound to it.

- a plain function: itself;
- a bound method (`model.loss`, inherited ones too) or a callable object: the
  underlying function with `self` bound; `wrt` counts the parameters after `self`,
  which carries no derivative (as in autograd);
- a primitive srcgrad has a derivative rule for (`np.tanh`, `np.sum`, a function
  registered with `srcgrad.adjoint`): a one-line wrapper function calling it, whose
  source is registered in linecache (so it can be shown and located);
- anything else: an ArgumentError saying what can be differentiated.

Signatures are read from what runs (never following `__wrapped__`), except for
srcgrad's own gradient functions, which take the arguments of what they differentiate.
"""
import functools
import inspect
import itertools
import keyword
import linecache
import types

import numpy as np

from .errors import ArgumentError
from .rules import registry

_primitive_wrappers = {}  # id(primitive) -> (primitive, wrapper function)
_counter = itertools.count(1)


class Target:
    """fn: the Python function to compile; bound: arguments passed before the user's
    (self); label: the name users know it by; where: the location for errors."""

    def __init__(self, fn, bound=(), label=None):
        self.fn = fn
        self.bound = bound
        self.label = label or getattr(fn, "__qualname__", None) or repr(fn)
        inner = getattr(fn, "__srcgrad_target__", None)
        code = getattr(inner.fn if inner is not None else fn, "__code__", None)
        self.where = dict(filename=code.co_filename, lineno=code.co_firstlineno,
                          function=self.label) if code is not None else {}
        if inner is not None:
            self.where = dict(inner.where, function=self.label)
        try:
            sig = inspect.signature(fn, follow_wrapped=hasattr(fn, "__srcgrad_wrapped__"))
        except (TypeError, ValueError):
            sig = None
        self.signature = sig
        params = list(sig.parameters.values()) if sig is not None else []
        self.named = [p.name for p in params
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        self.varargs = any(p.kind is p.VAR_POSITIONAL for p in params)

    def translate_wrt(self, wrt):
        """wrt as the user wrote it (counting parameters after self) -> wrt of fn."""
        if not self.bound:
            return wrt
        items = wrt if isinstance(wrt, tuple) else (wrt,)
        out = tuple(self._translate(w) for w in items)
        return out if isinstance(wrt, tuple) else out[0]

    def _translate(self, w):
        skip = len(self.bound)
        if isinstance(w, str):
            if w in self.named[:skip]:
                raise ArgumentError(
                    f"wrt={w!r}: {self.label}() is a bound method, and its {w!r} carries "
                    "no derivative", **self.where,
                    hint="Differentiate with respect to the method's other parameters; "
                         "to differentiate with respect to an attribute, pass it as a "
                         "parameter.")
            return w
        n = len(self.named) - skip
        if self.varargs and w >= 0:
            return w + skip
        if not -n <= w < n:
            raise ArgumentError(
                f"wrt={w} is out of range: the bound method {self.label}() has {n} "
                f"parameter(s) after {self.named[0] if self.named else 'self'}",
                **self.where, hint="wrt counts the parameters after self, from 0.")
        return w % n + skip


def _is_gradient(fun):
    return hasattr(fun, "__srcgrad_wrapped__")


def target(fun):
    """The Target for `fun`, or an ArgumentError saying why it cannot be one."""
    bound = getattr(fun, "__srcgrad_bound__", None)
    if bound is not None:  # grad(model.loss) differentiated again
        inner, args = bound
        return Target(inner, args, label=getattr(fun, "__qualname__", None))
    if not callable(fun):
        raise ArgumentError(
            f"srcgrad differentiates functions; {fun!r} ({type(fun).__name__}) is not "
            "a function", hint="Pass the function itself: srcgrad.grad(f), not grad(f(x)).")
    if isinstance(fun, types.MethodType):
        func = fun.__func__
        if not isinstance(func, types.FunctionType):
            raise _not_python(fun)
        return Target(func, (fun.__self__,), label=func.__qualname__)
    if registry.lookup(fun) is not None and not _is_gradient(fun):
        return Target(primitive_wrapper(fun))
    if isinstance(fun, types.FunctionType):
        return Target(fun)
    call = getattr(type(fun), "__call__", None)
    if isinstance(call, types.FunctionType) and not isinstance(fun, type):
        return Target(call, (fun,), label=f"{type(fun).__qualname__}.__call__")
    raise _not_python(fun)


def _not_python(fun):
    name = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or \
        type(fun).__name__
    hint = "Differentiate a Python function that calls it, and register a derivative " \
           "for it with @srcgrad.adjoint if srcgrad does not know one."
    if isinstance(fun, functools.partial):
        hint = "Differentiate a lambda or def that calls the function with the fixed " \
               "arguments instead: grad(lambda x: f(a, x))."
    return ArgumentError(
        f"srcgrad cannot differentiate {name} ({type(fun).__name__}): it differentiates "
        "Python functions, methods, and the NumPy primitives it has derivative rules "
        "for.", hint=hint)


def _reference(prim):
    """(expression text, globals) that name `prim` in the wrapper's source."""
    name = getattr(prim, "__name__", "")
    for prefix, module in (("np", np), ("np.linalg", np.linalg)):
        if name.isidentifier() and getattr(module, name, None) is prim:
            return f"{prefix}.{name}", {"np": np}
    return "primitive", {"primitive": prim}


def primitive_wrapper(prim):
    """A Python function `def name(x, ...): return prim(x, ...)` taking the required
    arguments of prim's derivative rule, compiled from source kept in linecache."""
    known = _primitive_wrappers.get(id(prim))
    if known is not None and known[0] is prim:
        return known[1]
    rule = registry.lookup(prim)
    params = [p.name for p in rule.signature.parameters.values()
              if p.default is p.empty and
              p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    expr, namespace = _reference(prim)
    name = getattr(prim, "__name__", "")
    if not name.isidentifier() or keyword.iskeyword(name) or name in params:
        name = "primitive_function"
    text = f"def {name}({', '.join(params)}):\n    return {expr}({', '.join(params)})\n"
    filename = f"<srcgrad: wrapper of {expr if expr != 'primitive' else name} " \
               f"#{next(_counter)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace["__name__"] = "srcgrad.primitive"
    exec(compile(text, filename, "exec"), namespace)
    fn = namespace[name]
    _primitive_wrappers[id(prim)] = (prim, fn)
    return fn
