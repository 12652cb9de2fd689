"""Python-float specialization: `math` instead of NumPy where values are Python floats.

`np.sin(x)` on a Python float builds a NumPy scalar and pays NumPy's dispatch; every
later operation on it is NumPy-scalar arithmetic. When the arguments are Python
floats (the cache key knows), the same program on `math.sin` and plain floats runs
several times faster. Entry: `use_math(func, arg_kinds, resolver, math_name, stack)
-> names holding Python floats`.

Which values are Python floats is inferred (flow-insensitive, to a fixpoint): float
parameters and constants, arithmetic on Python numbers with at least one float, and
the rewritten calls themselves. Two kinds of assignment are ignored because they
never give a name a value of another kind: `x = None` (the pre-initialisation of
saved names, never read as a number) and `x = stack.pop()` (a restore: the value is
one `x` held before). A name with any other assignment of unknown kind is unknown,
and calls on it stay NumPy calls.

`math` raises where NumPy returns inf or nan (math.log(0.0), math.exp(1000.0)), and so
does plain float arithmetic on a value that was a NumPy scalar before the rewrite
(division by zero, overflow in `**`). The compiler uses this code only where running
the function again is unobservable (replay.py); when it raises, it runs the user's
function, whose own exception then propagates, and otherwise the NumPy version of the
gradient. A power of a rewritten value with a possibly fractional exponent would not
raise but give a complex number: use_math declines such functions.
"""
import enum

import gast
import numpy as np

from .. import runtime
from .kinds import infer_kinds
from .syntax import dotted_path, name, popped_list, statements
from ..treewalk import walk


class PyNumber(enum.Enum):
    """The inferred kinds of Python numbers (values are the cache key's names)."""
    FLOAT = "float"
    INT = "int"


_NUMBERS = (PyNumber.FLOAT, PyNumber.INT)


# NumPy ufunc -> function of the math module (same value on finite floats, up to
# rounding of the last bit in some libm implementations)
MATH = {
    np.sin: "sin", np.cos: "cos", np.tan: "tan", np.arcsin: "asin", np.arccos: "acos",
    np.arctan: "atan", np.sinh: "sinh", np.cosh: "cosh", np.tanh: "tanh",
    np.arcsinh: "asinh", np.arccosh: "acosh", np.arctanh: "atanh", np.exp: "exp",
    np.expm1: "expm1", np.log: "log", np.log1p: "log1p", np.log2: "log2",
    np.log10: "log10", np.sqrt: "sqrt", np.arctan2: "atan2", np.hypot: "hypot",
}
_ARITH = {gast.Add, gast.Sub, gast.Mult, gast.Div}


def use_math(func, arg_kinds, resolver, math_name, stack, nodes=None):
    """Rewrite NumPy calls on Python floats in `func` into math calls, in place, and
    return the names that hold Python floats; None (and `func` unchanged) where the
    rewrite could change a result without raising. `arg_kinds`: {parameter: 'float' |
    'int' | other}; `stack`: the name of the per-call stack (None without one);
    `nodes`: walk(func) as a list, if the caller has it."""
    resolver = _Objects.of(resolver)
    env = python_numbers(func, arg_kinds, resolver, stack)
    nodes = nodes or list(walk(func))
    if _complex_power(func, nodes, env, resolver, stack):
        return None
    # inner calls first (the reverse of walk's order), as a NodeTransformer's visit
    # would: an outer call sees its arguments rewritten already
    for node in reversed(nodes):
        if isinstance(node, gast.Call):
            fn = _math_for(node, resolver)
            if fn is not None and all(_kind(a, env, resolver) in _NUMBERS
                                      for a in node.args):
                node.func = gast.Attribute(value=name(math_name), attr=fn, ctx=gast.Load())
    return {n for n, k in env.items() if k == PyNumber.FLOAT}


def python_numbers(func, arg_kinds, resolver, stack):
    """{name: PyNumber} for the names of `func` that hold Python numbers once
    the NumPy ufunc calls on them are math calls."""
    resolver = _Objects.of(resolver)
    return infer_kinds(
        func, {k: PyNumber(v) for k, v in arg_kinds.items() if v in ("float", "int")},
        lambda value, env: _kind(value, env, resolver),
        skip=lambda s: _is_preinit(s) or stack is not None and
        popped_list(s.value, resolver) == stack)


def lookup_once(resolver):
    """`resolver`, for a pass that reads its `static_object` and `locals` only, with
    each distinct dotted path looked up once (in one pass the same names answer the
    same; guards keep one check per distinct lookup, the first)."""
    return _Objects.of(resolver)


class _Objects:
    """A resolver whose `static_object` looks each distinct dotted path up once.
    `of(resolver)` wraps a resolver once."""

    def __init__(self, resolver):
        self.resolver = resolver
        self.locals = resolver.locals
        self._known = {}

    @classmethod
    def of(cls, resolver):
        return resolver if isinstance(resolver, cls) else cls(resolver)

    def static_object(self, node):
        kind = node.__class__
        if kind is gast.Attribute and node.value.__class__ is gast.Name:
            key = (node.value.id, node.attr)
        elif kind is gast.Name:
            key = node.id
        else:
            key = dotted_path(node)  # (a string with a dot: no name's)
            if key is None:
                return None
        known = self._known
        if key in known:
            return known[key]
        obj = known[key] = self.resolver.static_object(node)
        return obj


def _complex_power(func, nodes, env, resolver, stack):
    """Whether `func` has a power with an operand the rewrite may turn from a NumPy
    float64 into a Python float, and an exponent that may be fractional: a negative
    base then gives a complex number in Python, without raising, where NumPy gives nan.
    Flow-insensitive and conservative: a name is demoted if any assignment may give it
    a rewritten call's result. `nodes`: walk(func)."""
    def integral(e):
        return isinstance(e, gast.Constant) and type(e.value) in (int, float) and \
            float(e.value).is_integer() or _kind(e, env, resolver) == PyNumber.INT
    # the powers with an exponent that may be fractional, first: without one (the
    # common case) what the rewrite demotes does not matter
    powers = []
    for node in nodes:
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Pow):
            base, exponent = node.left, node.right
        elif isinstance(node, gast.AugAssign) and isinstance(node.op, gast.Pow):
            base, exponent = node.target, node.value
        elif isinstance(node, gast.Call) and resolver.static_object(node.func) is pow \
                and len(node.args) == 2:
            base, exponent = node.args
        else:
            continue
        if not integral(exponent):
            powers.append((base, exponent))
    if not powers:
        return False
    rewritten = {id(n) for n in nodes if isinstance(n, gast.Call) and
                 _math_for(n, resolver) is not None and
                 all(_kind(a, env, resolver) in _NUMBERS for a in n.args)}

    def blocked(node):
        """A call whose result is NumPy's, or a conversion: as before the rewrite."""
        obj = resolver.static_object(node.func)
        return isinstance(obj, np.ufunc) or any(obj is c for c in (float, int, bool, len)) \
            or (getattr(obj, "__module__", None) or "").split(".")[0] == "numpy"

    def carries(node):
        if isinstance(node, gast.Name):
            return node.id in demoted
        if isinstance(node, gast.Call):
            if id(node) in rewritten:
                return True
            if blocked(node):
                return False
        return any(carries(c) for c in gast.iter_child_nodes(node))

    def sources(value):
        """(whether `value` carries a rewritten result whatever is demoted, the names
        it carries if demoted)."""
        names, todo = set(), [value]
        while todo:
            node = todo.pop()
            if isinstance(node, gast.Name):
                names.add(node.id)
                continue
            if isinstance(node, gast.Call):
                if id(node) in rewritten:
                    return True, names
                if blocked(node):
                    continue
            todo.extend(gast.iter_child_nodes(node))
        return False, names

    flows = []
    for st in statements(func.body):
        if isinstance(st, gast.Assign) and not (
                stack is not None and popped_list(st.value, resolver) == stack):
            flows.append((st.targets, st.value))
        elif isinstance(st, gast.AugAssign):
            flows.append(([st.target], st))
        elif isinstance(st, gast.For):
            flows.append(([st.target], st.iter))
    # the least set of demoted names, by a worklist over the names each value carries
    demoted, todo, readers = set(), [], {}

    def demote(targets):
        for t in targets:
            for n in walk(t):
                if isinstance(n, gast.Name) and n.id not in demoted:
                    demoted.add(n.id)
                    todo.append(n.id)
    for i, (targets, value) in enumerate(flows):
        always, names = sources(value)
        if always:
            demote(targets)
        else:
            for n in names:
                readers.setdefault(n, []).append(i)
    while todo:
        for i in readers.pop(todo.pop(), ()):
            demote(flows[i][0])

    return any(carries(base) or carries(exponent) for base, exponent in powers)


def is_python_float(expr, floats, resolver):
    return _kind(expr, {n: PyNumber.FLOAT for n in floats}, resolver) == PyNumber.FLOAT


def _kind(node, env, resolver):
    if isinstance(node, gast.Constant):
        return {float: PyNumber.FLOAT, int: PyNumber.INT}.get(type(node.value))
    if isinstance(node, gast.Name):
        return env.get(node.id)
    if isinstance(node, gast.BinOp) and type(node.op) in _ARITH:
        a = _kind(node.left, env, resolver)
        b = _kind(node.right, env, resolver)
        if a is None or b is None:
            return None
        if a == b == PyNumber.INT and not isinstance(node.op, gast.Div):
            return PyNumber.INT
        return PyNumber.FLOAT
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return _kind(node.operand, env, resolver)
    if isinstance(node, gast.Call) and not node.keywords:
        args = [_kind(a, env, resolver) for a in node.args]
        if any(a is None for a in args):
            return None
        obj = resolver.static_object(node.func)
        if _math_for(node, resolver) is not None or obj is float:
            return PyNumber.FLOAT
        if obj is runtime.zeros_like or obj is runtime.cast_like:
            return PyNumber.FLOAT if args[0] == PyNumber.FLOAT else None
    return None


def _math_for(node, resolver):
    """The math function name for a NumPy ufunc call with the right arity."""
    if not isinstance(node, gast.Call) or node.keywords:
        return None
    obj = resolver.static_object(node.func)
    if not isinstance(obj, np.ufunc) or obj not in MATH or len(node.args) != obj.nin:
        return None
    return MATH[obj]


def _is_preinit(s):
    return isinstance(s.value, gast.Constant) and s.value.value is None
