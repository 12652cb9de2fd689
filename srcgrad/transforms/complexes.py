"""Remove the complex-number helpers from adjoints whose values are statically real.

The rules call `real_like(g, x)` (the real part of the adjoint of a real value that
met a complex one), `conj(v)` and `refuse_complex(v, probe, what)` (see runtime.py).
On real data each is the identity, but still a Python call. When the argument types
are known (the code specialized on them), the names that certainly hold no complex
numbers are inferred (flow-insensitive, to a fixpoint, transforms/kinds.py), and the
calls whose operand is one of them are replaced by that operand.

Entries: `real_names(func, arg_kinds, resolver)` (on the user's normalized function:
the reverse transform then writes no real_like for an operation with a real result,
so the adjoint reads no extra primal values) and `drop_real_helpers(func, arg_kinds,
scope, stack)` (on the generated function).

Soundness: a value is REAL only by the rules below; anything else (a global array,
a callee's result, a call with a `dtype=` keyword, a complex constant) is unknown
and keeps its helper calls.
"""
import builtins

import gast
import numpy as np

from .. import runtime
from ..resolve import Resolver
from ..treewalk import CHILD_FIELDS
from .syntax import dotted_path, popped_list
from .kinds import infer_kinds
from .scalars import lookup_once

REAL = "real"

_REAL_ATTRS = {"real", "imag", "shape", "ndim", "size", "dtype"}
_KEEP_ATTRS = {"T"}
_METHODS = {"sum", "mean", "prod", "max", "min", "dot", "copy", "reshape", "transpose",
            "ravel", "flatten", "squeeze", "conj", "conjugate", "swapaxes", "cumsum"}
# results that are real whatever the arguments
_ALWAYS = [np.abs, np.absolute, np.fabs, np.real, np.imag, np.angle, np.linalg.norm,
           np.shape, np.ndim, np.size, np.isnan, np.isinf, np.isfinite, np.argmax,
           np.argmin, np.argsort, len, range, builtins.abs, float, int, bool]
# real for real arguments (with no dtype= keyword)
_PRESERVING = [np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.dot,
               np.matmul, np.outer, np.tensordot, np.transpose, np.reshape,
               np.broadcast_to, np.where, np.concatenate, np.stack, np.expand_dims,
               np.squeeze, np.ravel, np.zeros_like, np.ones_like, np.zeros, np.ones,
               np.array, np.asarray, np.copy, np.float64, np.sign, np.clip, np.split,
               np.take, np.swapaxes, np.cumsum, np.full, np.full_like, np.eye,
               np.arange, np.linspace, list, tuple, slice, reversed, zip, enumerate]
# by identity, as `obj is a` for each listed object (they live as long as the module)
_ALWAYS_IDS = frozenset(map(id, _ALWAYS))
_PRESERVING_IDS = frozenset(map(id, _PRESERVING))
_HELPERS = {id(runtime.real_like): 0, id(runtime.conj): 0, id(runtime.refuse_complex): 1}


def real_names(func, arg_kinds, resolver, stack=None):
    """The names of `func` that certainly hold no complex numbers. `arg_kinds`:
    {parameter: dtype string, 'float', 'int' or None}; `stack`: the per-call stack's
    name (its pops restore values the name held before)."""
    env = {k: REAL for k, v in arg_kinds.items() if _real_kind(v)}
    names = getattr(resolver, "body_names", None)  # the statements' names, if shared
    resolver = lookup_once(resolver)
    env = infer_kinds(func, env, lambda value, env: _kind(value, env, resolver),
                      skip=lambda s: stack is not None and
                      popped_list(s.value, resolver) == stack, names=names)
    return set(env)


def drop_real_helpers(func, arg_kinds, scope, stack, walked=None):
    """Replace, in place, the helper calls whose operand is statically real. `scope`:
    name resolution in the generated code (the names `func` assigns are its locals);
    `walked`: `_stores_and_calls(func)`'s answer (in any order), if the caller has it.
    Returns False where `func` is certainly unchanged (it calls no helper)."""
    stores, calls = walked if walked is not None else _stores_and_calls(func)
    resolver = Resolver(scope, stores)
    if not _calls_a_helper(calls, resolver):
        return False
    env = dict.fromkeys(real_names(func, arg_kinds, resolver, stack), REAL)

    class _DropRealHelpers(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            probe = _HELPERS.get(id(resolver.static_object(node.func)))
            if probe is not None and not node.keywords and len(node.args) > probe and \
                    _kind(node.args[probe], env, resolver) == REAL:
                return node.args[0]
            return node
    _DropRealHelpers().visit(func)
    return True


def _calls_a_helper(calls, resolver):
    # a call's function resolves by its dotted path alone (the same globals throughout
    # one compile): each distinct path is looked up once, not once per call; the
    # commonest, `name.attr` and `name`, are told by their parts, without the path
    helper_path = {}
    attribute, name_ = gast.Attribute, gast.Name
    for n in calls:
        func = n.func
        if func.__class__ is attribute and func.value.__class__ is name_:
            path = (func.value.id, func.attr)
        elif func.__class__ is name_:
            path = func.id
        else:
            path = dotted_path(func)  # (a string with a dot: no name's)
            if path is None:
                continue
        known = helper_path.get(path)
        if known is None:
            known = helper_path[path] = id(resolver.static_object(func)) in _HELPERS
        if known:
            return True
    return False


def _calls(tree):
    """The Call nodes under `tree`, in no particular order."""
    return _stores_and_calls(tree)[1]


def _stores_and_calls(tree):
    """(the names `tree` assigns, as syntax.store_names gives them; the Call nodes
    under `tree`, in no particular order): one loop over the fields that can hold a
    name or a call (treewalk's table), for the two walks it saves."""
    stores, found = set(), []
    todo = [tree]
    pop, push, fields_of = todo.pop, todo.append, CHILD_FIELDS
    ast, call, name_cls, constant = gast.AST, gast.Call, gast.Name, gast.Constant
    stored = (gast.Store, gast.Param)
    while todo:
        node = pop()
        cls = node.__class__
        if cls is name_cls:  # the commonest node: its ctx, and its one child field
            if isinstance(node.ctx, stored):
                stores.add(node.id)
            annotation = getattr(node, "annotation", None)
            if isinstance(annotation, ast):
                push(annotation)
            continue
        if cls is constant:  # (its value is a number or a string)
            continue
        if isinstance(node, call):
            found.append(node)
        elif isinstance(node, name_cls) and isinstance(node.ctx, stored):
            stores.add(node.id)  # a subclass of Name
        for field in fields_of[cls]:
            value = getattr(node, field, None)
            if isinstance(value, ast):
                push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast):
                        push(item)
    return stores, found


def _real_kind(v):
    if v in ("float", "int"):
        return True
    try:
        return v is not None and np.dtype(v).kind in "fiub"
    except TypeError:
        return False


def _all(nodes, env, resolver):
    return REAL if all(_kind(n, env, resolver) == REAL for n in nodes) else None


def _kind(node, env, resolver):
    if isinstance(node, gast.Constant):
        return None if isinstance(node.value, complex) else REAL
    if isinstance(node, gast.Name):
        return env.get(node.id)
    if isinstance(node, gast.BinOp):
        return _all([node.left, node.right], env, resolver)
    if isinstance(node, gast.UnaryOp):
        return _kind(node.operand, env, resolver)
    if isinstance(node, gast.Compare):
        return REAL  # booleans
    if isinstance(node, gast.BoolOp):
        return _all(node.values, env, resolver)
    if isinstance(node, gast.IfExp):
        return _all([node.body, node.orelse], env, resolver)
    if isinstance(node, (gast.Tuple, gast.List)):
        return _all(node.elts, env, resolver)
    if isinstance(node, gast.Subscript):
        return _kind(node.value, env, resolver)
    if isinstance(node, gast.Attribute):
        if resolver.static_object(node) is not None:
            return None  # a module attribute (np.pi is fine, but not worth a case)
        if node.attr in _REAL_ATTRS:
            return REAL
        return _kind(node.value, env, resolver) if node.attr in _KEEP_ATTRS else None
    if not isinstance(node, gast.Call):
        return None
    if any(k.arg in (None, "dtype") for k in node.keywords):
        return None
    operands = list(node.args) + [k.value for k in node.keywords]
    obj = resolver.static_object(node.func)
    if obj is None:
        func = node.func
        if isinstance(func, gast.Attribute) and func.attr in _METHODS:
            return _all([func.value] + operands, env, resolver)
        return None
    if id(obj) in _ALWAYS_IDS:
        return REAL
    if isinstance(obj, np.ufunc) or id(obj) in _PRESERVING_IDS or \
            getattr(obj, "__module__", None) == runtime.__name__:
        return _all(operands, env, resolver)
    return None
