"""Checks of what users pass to the API: the options (wrt, of, unroll, ...) and the
argument values a gradient is called with.

Everything here raises ArgumentError with what to do instead, so that a mistake in a
call never surfaces as an exception from inside srcgrad (or from NumPy called on a
value whose operators mean something else).
"""
import numbers
import operator
import os
import types

import numpy as np

from .errors import ArgumentError


def _index(w):
    """`w` as a Python int when it is an integer (NumPy's too) but not a bool."""
    if isinstance(w, (bool, np.bool_)):
        return None
    try:
        return operator.index(w)
    except TypeError:
        return None


def _wrt_item(w):
    i = _index(w)
    if i is not None:
        return i
    if isinstance(w, str):
        return w
    raise ArgumentError(
        f"wrt must be a parameter position (int) or name (str), or a tuple of those; "
        f"got {w!r} ({type(w).__name__})",
        hint="For example wrt=0, wrt='x' or wrt=(0, 'y').")


def normalize_wrt(wrt):
    """wrt as an int, a str or a non-empty tuple of those (NumPy ints made Python ints);
    bools, floats and lists are refused rather than compared equal to 0 or 1."""
    if isinstance(wrt, tuple):
        if not wrt:
            raise ArgumentError("wrt=() names nothing to differentiate with respect to",
                                hint="Name at least one parameter, e.g. wrt=(0,).")
        items = tuple(_wrt_item(w) for w in wrt)
        if len(set(items)) != len(items):
            raise ArgumentError(f"wrt={wrt!r} names the same thing twice")
        return items
    if isinstance(wrt, list):
        raise ArgumentError(
            f"wrt must be an int, a str or a tuple, not a list ({wrt!r})",
            hint=f"Use a tuple: wrt={tuple(wrt)!r}.")
    return _wrt_item(wrt)


def normalize_of(of):
    if of is None or isinstance(of, str):
        return of
    i = _index(of)
    if i is None:
        raise ArgumentError(
            f"of must be a local variable name (str) or the index of an element of a "
            f"returned tuple (int), not {of!r} ({type(of).__name__})")
    return i


def normalize_options(wrt, of, optimize, unroll, save_to=None):
    """The validated (wrt, of, optimize, unroll, save_to)."""
    if not isinstance(optimize, (bool, np.bool_)):
        raise ArgumentError(f"optimize must be True or False, not {optimize!r}")
    if not (unroll == "auto" and isinstance(unroll, str)) and \
            not isinstance(unroll, (bool, np.bool_)):
        raise ArgumentError(f"unroll must be 'auto', True or False, not {unroll!r}")
    if save_to is not None and not isinstance(save_to, (str, os.PathLike)):
        raise ArgumentError(f"save_to must be a file name, not {save_to!r}")
    unroll = unroll if isinstance(unroll, str) else bool(unroll)
    return normalize_wrt(wrt), normalize_of(of), bool(optimize), unroll, save_to


def _article(word):
    return "an" if word[:1] in "aeiou" else "a"


# -- argument values ---------------------------------------------------------------------

# Types whose values srcgrad knows how to treat as operands (or that never are one).
_INERT = (str, bytes, type(None), slice, range, set, frozenset, types.ModuleType,
          types.FunctionType, types.BuiltinFunctionType, types.MethodType, type,
          np.ufunc, np.dtype)
# Defining any of these makes an object an operand whose arithmetic srcgrad's rules do
# not describe (scipy.sparse matrices, pandas, tensors of other libraries, ...).
_OPERATOR_HOOKS = ("__array__", "__array_ufunc__", "__array_function__",
                   "__array_interface__", "__array_priority__", "__add__", "__radd__",
                   "__sub__", "__rsub__", "__mul__", "__rmul__", "__matmul__",
                   "__rmatmul__", "__truediv__", "__rtruediv__", "__pow__", "__rpow__",
                   "__neg__")


def _describe(value):
    t = type(value)
    mod = t.__module__
    return t.__qualname__ if mod == "builtins" else f"{mod}.{t.__qualname__}"


def foreign_operand(value, depth=0):
    """Why `value` (an argument, or inside one) cannot be an operand of differentiated
    code, or None when srcgrad knows how to treat it."""
    t = type(value)
    if t is np.ndarray or t is float or t is int or t is bool or t is complex:
        return None
    if isinstance(value, np.ndarray):
        return (f"a {_describe(value)}, a subclass of numpy.ndarray whose operators and "
                "indexing may mean something else (np.matrix: * is a matrix product; "
                "masked arrays skip masked entries)")
    if isinstance(value, (numbers.Number, np.generic)) or isinstance(value, _INERT):
        return None
    if isinstance(value, (list, tuple, dict)):
        if depth > 8:
            return None
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            why = foreign_operand(item, depth + 1)
            if why is not None:
                return why
        return None
    hooks = [h for h in _OPERATOR_HOOKS if getattr(t, h, None) is not None]
    if hooks and not callable(value):
        return (f"a {_describe(value)}, whose operators ({', '.join(hooks[:3])}...) are "
                "not NumPy's, so srcgrad's derivative rules do not describe them")
    return None


def has_container(args):
    """Whether some argument is a container, whose contents a kind key does not cover
    (their check then runs on every call)."""
    return any(isinstance(a, (list, tuple, dict)) for a in args)


def check_operands(args, kwargs, label, where):
    """Refuse argument values whose arithmetic srcgrad does not know."""
    for i, value in enumerate(args):
        why = foreign_operand(value)
        if why is not None:
            _refuse_operand(f"argument {i}", why, label, where)
    for k, value in kwargs.items():
        why = foreign_operand(value)
        if why is not None:
            _refuse_operand(f"argument {k!r}", why, label, where)


def _refuse_operand(which, why, label, where):
    raise ArgumentError(
        f"cannot differentiate {label}(): its {which} is {why}.", **where,
        hint="Pass a plain NumPy array (np.asarray(x), or A.toarray() for a sparse "
             "matrix).")


_NOT_DIFFERENTIABLE = (bool, int, str, bytes, np.integer, np.bool_)


def differentiable_value(value, depth=0):
    """Why a value named in `wrt` cannot carry a derivative, or None."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fc":
            return f"an array of {value.dtype}"
        return None
    if isinstance(value, dict):
        return ("a dict; srcgrad does not differentiate with respect to dicts yet")
    if isinstance(value, (list, tuple)):
        if not value:
            return f"an empty {type(value).__name__}"
        for item in value:
            why = differentiable_value(item, depth + 1)
            if why is not None:
                return f"a {type(value).__name__} holding {why}"
        return None
    if isinstance(value, _NOT_DIFFERENTIABLE):
        kind = type(value).__name__
        return f"{_article(kind)} {kind}"
    if isinstance(value, (numbers.Number, np.generic)):
        return None
    if value is None:
        return "None"
    kind = _describe(value)
    return f"{_article(kind)} {kind}"


def check_wrt_values(slots, label, where):
    """`slots`: [(name, value)] of the parameters named in wrt."""
    for pname, value in slots:
        why = differentiable_value(value)
        if why is not None:
            hint = "Pass a float, e.g. float(x) or x.astype(float), or leave it out of wrt."
            if "dict" in why:
                hint = ("Pass the arrays as separate parameters, or as a tuple or a "
                        "NamedTuple.")
            raise ArgumentError(
                f"cannot differentiate {label}() with respect to {pname!r}: it is {why}; "
                "only float (and complex) numbers and arrays, and lists or tuples of "
                "them, carry derivatives.", **where, hint=hint)


def bind_call(target, args, kwargs):
    """inspect.BoundArguments of a call of target.fn (defaults applied), or None when
    its signature is unknown; ArgumentError when the call does not fit."""
    sig = target.signature
    if sig is None:
        return None
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentError(f"cannot call {target.label}() with these arguments: {exc}",
                            **target.where) from None
    bound.apply_defaults()
    return bound


def wrt_values(target, wrt, args, bound):
    """[(name, value) or None] for each item of (fn-level) wrt: the argument value it
    names, None for an intermediate or what the compiler will report as out of range."""
    out = []
    named = target.named
    for w in (wrt if isinstance(wrt, tuple) else (wrt,)):
        name = None
        if isinstance(w, int):
            if -len(named) <= w < len(named) and not (target.varargs and w < 0):
                name = named[w]
            elif target.varargs and 0 <= w < len(args):
                out.append((f"argument {w}", args[w]))
                continue
        elif w in named:
            name = w
        if name is not None and bound is not None and name in bound.arguments:
            out.append((name, bound.arguments[name]))
        else:
            out.append(None)
    return out


def check_call(target, wrt, args, kwargs, skip):
    """Every check of one call of a gradient: the arguments fit fn's signature, none is
    an operand srcgrad does not know (the first `skip`, self, are exempt), and those
    named in wrt can carry derivatives. Returns wrt_values()."""
    bound = bind_call(target, args, kwargs)
    check_operands(args[skip:], kwargs, target.label, target.where)
    values = wrt_values(target, wrt, args, bound)
    check_wrt_values([v for v in values if v is not None], target.label, target.where)
    return values


# -- values coming back ------------------------------------------------------------------

def _numeric(value):
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biufc"
    if isinstance(value, np.generic):
        return value.dtype.kind in "biufc"
    return isinstance(value, numbers.Number)


def check_output(value, target):
    """The differentiated output must be a number or a numeric array: a function that
    forgot its `return` (None) or returns a str has no derivative, not a zero one."""
    if _numeric(value):
        return
    if value is None:
        msg, hint = ("returned None, not a number", "Did the function forget to return "
                     "its result?")
    elif isinstance(value, (tuple, list, dict)):
        msg, hint = (f"returned a {type(value).__name__}, not a number or an array",
                     "Pick one element with of=INDEX, or return a single value.")
    else:
        msg, hint = (f"returned {_describe(value)} {value!r:.40}, not a number or a "
                     "numeric array", "Return the number to differentiate.")
    raise ArgumentError(f"cannot differentiate {target.label}(): it {msg}",
                        **target.where, hint=hint)


def check_cotangent(cotangent, value, label):
    """The cotangent given to a pullback, as the array or number the backward sweep
    computes with: of the value's shape; integers become floats; lists become arrays."""
    if isinstance(cotangent, (list, tuple)):
        try:
            cotangent = np.asarray(cotangent)
        except ValueError:
            raise ArgumentError("the cotangent is a ragged list, not an array") from None
    if type(cotangent) is not np.ndarray and isinstance(cotangent, np.ndarray) or \
            not _numeric(cotangent) or isinstance(cotangent, (bool, np.bool_)) or \
            np.result_type(cotangent).kind == "b":
        raise ArgumentError(
            f"the cotangent must be a number or a NumPy array of floats, not "
            f"{_describe(cotangent)}", hint="Pass e.g. np.ones_like(value).")
    if np.shape(cotangent) != np.shape(value):
        raise ArgumentError(
            f"the cotangent has shape {np.shape(cotangent)}, but {label}() returned a "
            f"value of shape {np.shape(value)}", hint="Pass a cotangent shaped like the value.")
    if np.result_type(cotangent).kind == "c" and np.result_type(value).kind != "c":
        raise ArgumentError(
            f"the cotangent is complex, but {label}() returned a real value",
            hint="Pass the real and imaginary parts in two calls of the pullback.")
    if np.result_type(cotangent).kind in "iu":
        cotangent = np.asarray(cotangent, dtype=float) if isinstance(
            cotangent, (np.ndarray, np.generic)) else float(cotangent)
    return cotangent
