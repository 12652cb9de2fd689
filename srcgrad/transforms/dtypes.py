"""Which names of a generated function certainly hold float64 values.

Entry: `float64_names(func, arg_kinds, resolver) -> set of names`, and
`is_float64(expr, names, resolver)`.

Used to return a gradient as it is, without the run-time `cast_like`, when it is
already a fresh float64 array of the argument's shape. The lattice is tiny: FLOAT64 (a
float64 array or NumPy scalar), PYTHON_NUMBER (a Python int or float, which NumPy's promotion
rules never let change an array's dtype) and unknown. A name is FLOAT64 only if every
assignment to it is (flow-insensitive, iterated to a fixpoint); anything not covered
by the rules below is unknown, which keeps the cast.
"""
import enum
import functools

import gast
import numpy as np

from .kinds import infer_kinds


class Dtype(enum.Enum):
    """The lattice's known kinds (unknown is the absence of a kind)."""
    FLOAT64 = "float64 array or NumPy scalar"
    PYTHON_NUMBER = "Python int or float"  # weakly typed: cannot change an array's dtype


_ARITH = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.MatMult, gast.USub,
          gast.UAdd)
_PRODUCTS = (np.dot, np.outer, np.matmul)
_METHODS = {"sum", "mean", "dot", "copy", "reshape", "transpose", "ravel"}


def float64_names(func, arg_kinds, resolver):
    """`arg_kinds`: {parameter: numpy dtype string ('<f8'), 'float' or 'int'}."""
    env = {}
    for k, v in arg_kinds.items():
        if v == np.dtype(np.float64).str:
            env[k] = Dtype.FLOAT64
        elif v in ("float", "int"):
            env[k] = Dtype.PYTHON_NUMBER
    env = infer_kinds(func, env, lambda value, env: _kind(value, env, resolver))
    return {n for n, k in env.items() if k == Dtype.FLOAT64}


def is_float64(expr, names, resolver):
    return _kind(expr, {n: Dtype.FLOAT64 for n in names}, resolver) == Dtype.FLOAT64


def is_product(obj):
    """np.dot, np.outer or np.matmul (by identity: `obj` may be any callable)."""
    return any(obj is p for p in _PRODUCTS)


def _kind(node, env, resolver):
    if isinstance(node, gast.Constant):
        return Dtype.PYTHON_NUMBER if type(node.value) in (int, float) else None
    if isinstance(node, gast.Name):
        return env.get(node.id)
    if isinstance(node, gast.BinOp) and isinstance(node.op, _ARITH):
        return _promote([_kind(node.left, env, resolver), _kind(node.right, env, resolver)])
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, _ARITH):
        return _kind(node.operand, env, resolver)
    if isinstance(node, gast.Attribute) and node.attr == "T":
        return Dtype.FLOAT64 if _kind(node.value, env, resolver) == Dtype.FLOAT64 else None
    if not isinstance(node, gast.Call) or node.keywords and not _axis_only(node):
        return None
    func = node.func
    obj = resolver.static_object(func)
    if obj is None and isinstance(func, gast.Attribute) and func.attr in _METHODS:
        receiver = _kind(func.value, env, resolver)
        if receiver != Dtype.FLOAT64 or func.attr in ("sum", "mean") and node.args:
            return None  # a positional axis or dtype: not followed
        if func.attr == "dot":
            return _promote([receiver] + [_kind(a, env, resolver) for a in node.args])
        return Dtype.FLOAT64  # reductions and reshapes of float64 stay float64
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
        return Dtype.FLOAT64
    if obj is np.sum and len(args) == 1:
        return Dtype.FLOAT64 if args[0] == Dtype.FLOAT64 else None
    return None


def _axis_only(call):
    return all(k.arg in ("axis", "keepdims") for k in call.keywords)


def _promote(kinds):
    """FLOAT64 if the operands are FLOAT64 or Python numbers and at least one is FLOAT64."""
    if any(k is None for k in kinds):
        return None
    return Dtype.FLOAT64 if Dtype.FLOAT64 in kinds else Dtype.PYTHON_NUMBER


@functools.lru_cache(maxsize=None)
def _float_ufunc(uf):
    """Whether the ufunc maps float64 operands to one float64 result."""
    try:
        return uf.nout == 1 and uf(*([np.ones(1)] * uf.nin)).dtype == np.float64
    except Exception:
        return False
