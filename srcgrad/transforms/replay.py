"""Replay safety: whether running a function again is unobservable.

The Python-float specialization (scalars.py) computes on `math` and plain floats,
which raise where NumPy float64 gives inf or nan. When that code raises, the compiler
runs the user's function to learn whether the exception is the user's own, and then
the NumPy version of the gradient. That is only sound when a second run cannot be
observed: no side effects, no randomness, no mutation of what the caller can see.

Entry: `replay_safe(tree, resolver, stack) -> bool` for a function's syntax tree (the
user's source, or a generated function with its per-call stack `stack`). Conservative:
every call must be to a known pure function, and nothing outside the function's own
fresh locals may be written.
"""
import builtins

import gast
import numpy as np

from .. import rules, runtime
from ..treewalk import walk

# builtins that neither mutate their arguments nor have other effects
_PURE_BUILTINS = {getattr(builtins, n) for n in (
    "abs", "all", "any", "bool", "divmod", "enumerate", "float", "int", "len", "list",
    "max", "min", "pow", "range", "reversed", "round", "slice", "sorted", "sum",
    "tuple", "zip")}
# NumPy functions that write into an argument or draw random numbers
_NUMPY_EFFECTS = {"copyto", "put", "place", "putmask", "fill_diagonal",
                  "put_along_axis", "seterr", "seterrcall", "save", "savez", "savetxt"}


def replay_safe(tree, resolver, stack=None, immutable=None, nodes=None):
    """Whether running `tree` (a FunctionDef) twice with the same arguments gives the
    same results and leaves no trace. `immutable`: for the user's code, the names that
    only ever hold numbers, so that `name += e` rebinds rather than mutates; None for
    generated code, whose augmented assignments update only its own fresh adjoints.
    `nodes`: walk(tree), if the caller has it."""
    for node in nodes or walk(tree):
        if node is not tree and isinstance(node, (gast.FunctionDef, gast.Lambda,
                                                  gast.AsyncFunctionDef, gast.ClassDef)):
            return False
        if isinstance(node, (gast.Global, gast.Nonlocal, gast.Delete, gast.Yield,
                             gast.YieldFrom, gast.Await, gast.With, gast.AsyncWith)):
            return False
        if isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)) and \
                isinstance(node.ctx, gast.Store):
            return False
        if immutable is not None and isinstance(node, gast.AugAssign) and not (
                isinstance(node.target, gast.Name) and node.target.id in immutable):
            return False
        if isinstance(node, gast.Call) and not _pure_call(node, resolver, stack):
            return False
    return True


def _pure_call(node, resolver, stack):
    if any(k.arg is None or k.arg == "out" for k in node.keywords):
        return False
    func = node.func
    if isinstance(func, gast.Name) and func.id == "__srcgrad_comment__":
        return True  # a comment of the generated code, printed as one
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
            func.value.id == stack and func.attr in ("append", "pop"):
        return True  # the generated code's own per-call stack
    obj = resolver.static_object(func)
    if obj is None:
        # a method of a local value: pure if it is an ndarray method with a rule
        return isinstance(func, gast.Attribute) and \
            rules.lookup("ndarray." + func.attr) is not None
    if isinstance(obj, np.ufunc) or isinstance(obj, type) and issubclass(obj, np.generic):
        return True  # a ufunc, or a NumPy scalar type such as np.float64
    if getattr(obj, "__module__", None) in ("math", runtime.__name__):
        return True
    try:
        if obj in _PURE_BUILTINS:
            return True
    except TypeError:  # unhashable
        return False
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__name__", "")
    if module.split(".")[0] == "numpy" and not module.startswith("numpy.random") and \
            name not in _NUMPY_EFFECTS:
        try:
            return rules.lookup(obj) is not None or rules.is_nondifferentiable(obj)
        except TypeError:
            return False
    return False

