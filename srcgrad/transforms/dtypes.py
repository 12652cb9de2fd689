"""Which names of a generated function certainly hold float64 values.

Entry: `float64_names(func, arg_kinds, resolver) -> set of names`, and
`is_float64(expr, names, resolver)`.

Used to return a gradient as it is, without the run-time `cast_like`, when it is
already a fresh float64 array of the argument's shape. The lattice is tiny: F64 (a
float64 array or NumPy scalar), WEAK (a Python int or float, which NumPy's promotion
rules never let change an array's dtype) and unknown. A name is F64 only if every
assignment to it is (flow-insensitive, iterated to a fixpoint); anything not covered
by the rules below is unknown, which keeps the cast.
"""
import functools

import gast
import numpy as np

from .kinds import infer_kinds


F64, WEAK = "f8", "weak"
_ARITH = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.MatMult, gast.USub,
          gast.UAdd)
_PRODUCTS = (np.dot, np.outer, np.matmul)
_METHODS = {"sum", "mean", "dot", "copy", "reshape", "transpose", "ravel"}


def float64_names(func, arg_kinds, resolver):
    """`arg_kinds`: {parameter: numpy dtype string ('<f8'), 'float' or 'int'}."""
    env = {}
    for k, v in arg_kinds.items():
        if v == np.dtype(np.float64).str:
            env[k] = F64
        elif v in ("float", "int"):
            env[k] = WEAK
    env = infer_kinds(func, env, lambda value, env: _kind(value, env, resolver))
    return {n for n, k in env.items() if k == F64}


def is_float64(expr, names, resolver):
    return _kind(expr, {n: F64 for n in names}, resolver) == F64


def is_product(obj):
    """np.dot, np.outer or np.matmul (by identity: `obj` may be any callable)."""
    return any(obj is p for p in _PRODUCTS)


def _kind(node, env, resolver):
    if isinstance(node, gast.Constant):
        return WEAK if type(node.value) in (int, float) else None
    if isinstance(node, gast.Name):
        return env.get(node.id)
    if isinstance(node, gast.BinOp) and isinstance(node.op, _ARITH):
        return _promote([_kind(node.left, env, resolver), _kind(node.right, env, resolver)])
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, _ARITH):
        return _kind(node.operand, env, resolver)
    if isinstance(node, gast.Attribute) and node.attr == "T":
        return F64 if _kind(node.value, env, resolver) == F64 else None
    if not isinstance(node, gast.Call) or node.keywords and not _axis_only(node):
        return None
    func = node.func
    obj = resolver.static_object(func)
    if obj is None and isinstance(func, gast.Attribute) and func.attr in _METHODS:
        receiver = _kind(func.value, env, resolver)
        if receiver != F64 or func.attr in ("sum", "mean") and node.args:
            return None  # a positional axis or dtype: not followed
        if func.attr == "dot":
            return _promote([receiver] + [_kind(a, env, resolver) for a in node.args])
        return F64  # reductions and reshapes of float64 stay float64
    if obj is None:
        return None
    args = [_kind(a, env, resolver) for a in node.args]
    if isinstance(obj, np.ufunc):
        if node.keywords or len(args) != obj.nin or not _float_ufunc(obj):
            return None
        return _promote(args)
    if is_product(obj) and len(args) == 2:
        return _promote(args)
    if obj is np.float64 and len(args) == 1 and args[0] is not None:
        return F64
    if obj is np.sum and len(args) == 1:
        return F64 if args[0] == F64 else None
    return None


def _axis_only(call):
    return all(k.arg in ("axis", "keepdims") for k in call.keywords)


def _promote(kinds):
    """F64 if the operands are F64 or Python numbers and at least one is F64."""
    if any(k is None for k in kinds):
        return None
    return F64 if F64 in kinds else WEAK


@functools.lru_cache(maxsize=None)
def _float_ufunc(uf):
    """Whether the ufunc maps float64 operands to one float64 result."""
    try:
        return uf.nout == 1 and uf(*([np.ones(1)] * uf.nin)).dtype == np.float64
    except Exception:
        return False
