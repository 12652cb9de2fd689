"""Compile-time resolution of what a call or attribute in the user's code refers to.

`Resolver.callee(call_node)` classifies a normalized call as a primitive with a rule,
a primitive without derivative, `stop_gradient`, a user function (differentiated by
compiling its own adjoint), or unknown. Every global or closure lookup that decided a
classification is recorded as a guard, so the compile cache can tell when a name has
been rebound since.
"""
import builtins
import types

import gast

from . import rules
from .transforms.syntax import dotted_path

_OPERATORS = {}


def _operators():
    if not _OPERATORS:
        import operator
        _OPERATORS.update({
            gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
            gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
            gast.Mod: operator.mod, gast.FloorDiv: operator.floordiv,
            gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
            gast.Invert: operator.invert, gast.BitAnd: operator.and_,
            gast.BitOr: operator.or_, gast.BitXor: operator.xor,
            gast.LShift: operator.lshift, gast.RShift: operator.rshift,
        })
    return _OPERATORS


def operator_for(op):
    return _operators()[type(op)]


class Callee:
    """What a call refers to. kind: rule | nondiff | stop | user | unknown."""

    def __init__(self, kind, obj=None, rule=None, label=""):
        self.kind = kind
        self.obj = obj
        self.rule = rule
        self.label = label


class Resolver:
    def __init__(self, source, locals_):
        self.source = source
        self.locals = locals_
        self.guards = []  # (namespace kind, name, object) triples
        self._memo = {}

    def lookup_path(self, path):
        """(found, object) for a dotted global/closure path such as 'np.linalg.norm'."""
        parts = path.split(".")
        found, obj = self.source.resolve(parts[0])
        if not found:
            return False, None
        self.guards.append((parts[0], obj))
        for part in parts[1:]:
            if not hasattr(obj, part):
                return False, None
            obj = getattr(obj, part)
        return True, obj

    def static_object(self, node):
        """The object a global/closure Name or dotted Attribute chain refers to, or
        None (a local, an expression, or a name that does not resolve)."""
        path = dotted_path(node)
        if path is None or path.split(".")[0] in self.locals:
            return None
        found, obj = self.lookup_path(path)
        return obj if found else None

    def callee(self, call):
        func = call.func
        key = id(func)
        known = self._memo.get(key)
        if known is not None and known[0] is func:
            return known[1]
        path = dotted_path(func)
        if path is not None and path.split(".")[0] not in self.locals:
            found, obj = self.lookup_path(path)
            result = classify(obj, path) if found else Callee("unknown", label=path)
        elif isinstance(func, gast.Attribute):
            method = "ndarray." + func.attr
            result = self.method(method, func.attr)
        else:
            result = Callee("unknown", label=path or "this callable")
        # the node is kept with its result: alive, its id cannot name another node
        self._memo[key] = (func, result)
        return result

    def method(self, key, attr):
        rule = rules.lookup(key)
        if rule is not None:
            return Callee("rule", key, rule, "." + attr + "()")
        if rules.is_nondifferentiable(key):
            return Callee("nondiff", key, label="." + attr)
        return Callee("unknown", key, label="." + attr + "()")

    def attribute(self, attr):
        return self.method("ndarray." + attr, attr)


def classify(obj, label):
    from .api import stop_gradient
    if obj is stop_gradient:
        return Callee("stop", obj, label=label)
    try:
        rule = rules.lookup(obj)
    except TypeError:
        rule = None
    if rule is not None:
        return Callee("rule", obj, rule, label)
    if rules.is_nondifferentiable(obj):
        return Callee("nondiff", obj, label=label)
    if isinstance(obj, types.FunctionType):
        return Callee("user", obj, label=label)
    if isinstance(obj, type) or obj in vars(builtins).values():
        return Callee("unknown", obj, label=label)
    return Callee("unknown", obj, label=label)
